"""Password rules and hashing (scrypt through Werkzeug)."""

import re
from functools import cache
from pathlib import Path

from flask import current_app, has_app_context
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn.frequency_lists import FREQUENCY_LISTS

MIN_LENGTH = 12
MAX_LENGTH = 128
_COMMON_FILE = Path(__file__).with_name("common_passwords.txt")


@cache
def _common_passwords() -> frozenset[str]:
    """The 30,000 most frequent passwords of zxcvbn's leaked-password corpus, and ours
    (the words attackers try first against a hospital)."""
    lines = _COMMON_FILE.read_text(encoding="utf-8").splitlines()
    ours = (line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))
    return frozenset(ours).union(FREQUENCY_LISTS["passwords"])


def _core(password: str) -> str:
    """The word under common decorations: 'Password2024!' -> 'password'."""
    return re.sub(r"[\d\W_]+$", "", re.sub(r"^[\d\W_]+", "", password.lower()))


def password_problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """Why this password may not be used, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    common = _common_passwords()
    lowered = password.lower()
    core = _core(password)
    if lowered in common or not core or core in common or len(set(lowered)) <= 3:
        return "This password is too common or too easy to guess. Try a few unrelated words."
    personal = {email.lower().split("@")[0], *name.lower().split()}
    if any(len(part) >= 4 and part in lowered for part in personal if part):
        return "Do not use your name or e-mail address in your password."
    return None


PRODUCTION_METHOD = "scrypt"


def _method() -> str:
    """scrypt, unless the app's configuration names a cheaper method (the tests' only)."""
    if has_app_context():
        return current_app.config.get("PASSWORD_HASH_METHOD", PRODUCTION_METHOD)
    return PRODUCTION_METHOD


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=_method())


def verify_password(password_hash: str, password: str) -> bool:
    return check_password_hash(password_hash, password)


@cache
def _dummy_hash(method: str) -> str:
    return generate_password_hash("not-a-real-password-for-timing", method=method)


def verify_against_nothing(password: str) -> None:
    """Costs what checking a real password costs, so an unknown e-mail is not told apart
    from a wrong password by the time it takes."""
    check_password_hash(_dummy_hash(_method()), password)
