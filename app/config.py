"""Configuration: the only module that reads os.environ."""

import os
import secrets
from datetime import timedelta
from pathlib import Path

REPOSITORY_ROOT = Path(__file__).resolve().parent.parent


def _instance_path() -> Path:
    return Path(os.environ.get("PRECEPTOR_INSTANCE_PATH", REPOSITORY_ROOT / "instance")).resolve()


def _secret_key(instance_path: Path) -> str:
    """The environment's SECRET_KEY, else one generated once into the instance folder."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        instance_path.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(48))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _comma_list(value: str) -> tuple[str, ...]:
    return tuple(d.strip().lower().lstrip("@") for d in value.split(",") if d.strip())


class Config:
    INSTANCE_PATH = _instance_path()
    ENVIRONMENT = os.environ.get("PRECEPTOR_ENV", "production")
    IS_DEVELOPMENT = ENVIRONMENT == "development"
    SECRET_KEY = _secret_key(INSTANCE_PATH)
    SQLALCHEMY_DATABASE_URI = os.environ.get(
        "DATABASE_URL", f"sqlite:///{INSTANCE_PATH / 'preceptor.db'}"
    )
    REPOSITORY_MIGRATIONS = REPOSITORY_ROOT / "migrations"
    CONTENT_DIR = Path(os.environ.get("PRECEPTOR_CONTENT_DIR", REPOSITORY_ROOT)).resolve()
    OUTBOX_DIR = INSTANCE_PATH / "outbox"

    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = int(os.environ.get("MAIL_PORT", "587"))
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_FROM = os.environ.get("MAIL_FROM", "Preceptor <preceptor@localhost>")

    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "memory://")
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto are trusted; 0
    # (the default) trusts none, so no client can claim another address.
    TRUSTED_PROXIES = int(os.environ.get("PRECEPTOR_TRUSTED_PROXIES", "0"))
    RATELIMIT_HEADERS_ENABLED = True
    API_RATE_LIMIT = os.environ.get("API_RATE_LIMIT", "300 per minute")
    LOGIN_LIMIT_PER_ACCOUNT = "10 per 15 minutes"
    LOGIN_LIMIT_PER_ADDRESS = "50 per 15 minutes"
    HEAVY_REQUESTS_LIMIT = os.environ.get("HEAVY_REQUESTS_LIMIT", "30 per minute")
    FORUM_POSTS_PER_MINUTE = int(os.environ.get("FORUM_POSTS_PER_MINUTE", "5"))

    SIGNUP_EMAIL_DOMAINS = _comma_list(os.environ.get("SIGNUP_EMAIL_DOMAINS", ""))
    # Roles that must use two-step sign-in (e.g. "admin,coordinator"); anyone may.
    MFA_REQUIRED_ROLES = _comma_list(os.environ.get("PRECEPTOR_MFA_REQUIRED_ROLES", ""))
    # The public address: every link in e-mails and credentials starts with it.
    BASE_URL = os.environ.get("PRECEPTOR_BASE_URL", "http://127.0.0.1:8000")
    MATCHING_CERTIFICATION = os.environ.get("MATCHING_CERTIFICATION", "physician-mentor")

    RESET_LINK_MAX_AGE_SECONDS = 60 * 60
    INVITE_MAX_AGE_DAYS = 14

    # "__Host-" names: a browser accepts them only over HTTPS, for this host and every
    # path, so no sibling subdomain can plant or read them. Plain names over HTTP in
    # development, where the prefix would make the browser drop the cookies.
    SESSION_COOKIE_NAME = "session" if IS_DEVELOPMENT else "__Host-session"
    REMEMBER_COOKIE_NAME = "remember_token" if IS_DEVELOPMENT else "__Host-remember"
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    SESSION_COOKIE_SECURE = not IS_DEVELOPMENT
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_SECURE = not IS_DEVELOPMENT
    REMEMBER_COOKIE_DURATION = timedelta(days=30)  # and the session behind it (auth.sessions)
    MAX_CONTENT_LENGTH = 2 * 1024 * 1024  # uploads (mentee CSV) answer 413 beyond this
    WTF_CSRF_TIME_LIMIT = None  # the token lives as long as the session


class DevelopmentConfig(Config):
    IS_DEVELOPMENT = True
    SESSION_COOKIE_NAME = "session"
    REMEMBER_COOKIE_NAME = "remember_token"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False


class TestConfig(Config):
    TESTING = True
    IS_DEVELOPMENT = True
    SESSION_COOKIE_NAME = "session"
    REMEMBER_COOKIE_NAME = "remember_token"
    SESSION_COOKIE_SECURE = False
    REMEMBER_COOKIE_SECURE = False
    SECRET_KEY = "test-secret-key-not-for-production"  # noqa: S105
    SQLALCHEMY_DATABASE_URI = "sqlite://"
    RATELIMIT_STORAGE_URI = "memory://"
    TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")
    # One round of PBKDF2 instead of scrypt: thousands of test sign-ins in seconds.
    # Config (production) leaves this unset and hashes with scrypt.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1"  # noqa: S105 (a method name, not a password)
    BASE_URL = "http://localhost"


def config_for_environment() -> type[Config]:
    return DevelopmentConfig if Config.IS_DEVELOPMENT else Config
