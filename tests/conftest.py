"""Fixtures: an app on a fresh database (SQLite, and PostgreSQL when TEST_DATABASE_URL
is set), a client, user factories and signed-in clients per role."""

import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event

from app import create_app
from app.auth import service as auth
from app.auth.models import Role, User
from app.clock import utcnow
from app.config import TestConfig
from app.content import load_content
from app.courses.sync import sync_content
from app.extensions import db as _db

FIXTURES = Path(__file__).parent / "fixtures"
PASSWORD = "violet-harbour-lantern-42"
POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "")


# CI sets this: there a missing database or browser is a failure, never a quiet skip.
REQUIRE_ALL = bool(os.environ.get("PRECEPTOR_REQUIRE_ALL_TESTS"))


def unavailable(reason: str) -> pytest.MarkDecorator:
    if REQUIRE_ALL:
        pytest.exit(f"required for CI but missing: {reason}", returncode=1)
    return pytest.mark.skip(reason=reason)


def database_params() -> list:
    skip = (
        unavailable("PostgreSQL not tested: TEST_DATABASE_URL is not set")
        if not POSTGRES_URL
        else None
    )
    return [
        "sqlite",
        pytest.param("postgresql", marks=[pytest.mark.postgres, *([skip] if skip else [])]),
    ]


# For a test about one database's own machinery (SQLite's FTS5, a PostgreSQL index):
# it runs on that database only instead of skipping on the other.
only_sqlite = pytest.mark.parametrize("database", ["sqlite"], indirect=True)
only_postgresql = pytest.mark.parametrize("database", database_params()[1:], indirect=True)


def make_config(tmp_path: Path, database: str, **overrides) -> type[TestConfig]:
    url = POSTGRES_URL if database == "postgresql" else f"sqlite:///{tmp_path / 'test.db'}"
    attributes = {
        "INSTANCE_PATH": tmp_path,
        "OUTBOX_DIR": tmp_path / "outbox",
        "SQLALCHEMY_DATABASE_URI": url,
        "CONTENT_DIR": FIXTURES / "content_ok",
        "MATCHING_CERTIFICATION": "test-mentor",
        **overrides,
    }
    return type("PerTestConfig", (TestConfig,), attributes)


class FreshContextClient(FlaskClient):
    """Each request in its own application context (its own `g` and database
    session), as in production, even while the test holds one open."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture(params=database_params())
def database(request) -> str:
    return request.param


@pytest.fixture
def config_overrides() -> dict:
    """Override in a test module to change settings for its app."""
    return {}


@pytest.fixture
def app(tmp_path: Path, database: str, config_overrides: dict) -> Iterator[Flask]:
    app = create_app(make_config(tmp_path, database, **config_overrides))
    app.test_client_class = FreshContextClient
    with app.app_context():
        _db.drop_all()
        _db.create_all()
        yield app
        _db.session.remove()
        _db.drop_all()
        _db.engine.dispose()


@pytest.fixture
def db(app: Flask):
    return _db


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def make_user(app: Flask) -> Callable[..., User]:
    counter = iter(range(1, 10_000))

    def make(*roles: Role, email: str | None = None, name: str | None = None) -> User:
        number = next(counter)
        user = auth.create_user(
            email or f"user{number}@hospital.example",
            name or f"Dr. Test Person {number}",
            PASSWORD,
            set(roles) or {Role.MENTOR},
        )
        _db.session.commit()
        return user

    return make


@pytest.fixture
def synced(app: Flask) -> None:
    """The small fixture course set, imported."""
    sync_content(load_content(FIXTURES / "content_ok"), now=utcnow())
    _db.session.commit()


@pytest.fixture
def content_copy(tmp_path: Path) -> Path:
    """A writable copy of the fixture content, for tests that edit files."""
    target = tmp_path / "content"
    shutil.copytree(FIXTURES / "content_ok", target)
    return target


CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client: FlaskClient, url: str) -> str:
    page = client.get(url).get_data(as_text=True)
    match = CSRF_INPUT.search(page)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def log_in(client: FlaskClient, user: User | str, password: str = PASSWORD, next_url: str = ""):
    email = user if isinstance(user, str) else user.email
    url = "/auth/login" + (f"?next={next_url}" if next_url else "")
    token = csrf_token(client, "/auth/login")
    return client.post(url, data={"email": email, "password": password, "csrf_token": token})


def post_form(client: FlaskClient, url: str, data: dict, form_url: str | None = None):
    """POST as a browser would: with the CSRF token of the page that shows the form."""
    return client.post(url, data={**data, "csrf_token": csrf_token(client, form_url or url)})


@pytest.fixture
def mentor(make_user) -> User:
    return make_user(Role.MENTOR)


@pytest.fixture
def mentor_client(client: FlaskClient, mentor: User) -> FlaskClient:
    log_in(client, mentor)
    return client


def client_with_role(app: Flask, make_user, role: Role) -> FlaskClient:
    client = app.test_client()
    log_in(client, make_user(role))
    return client


def queries_for(client: FlaskClient, url: str) -> int:
    """How many SQL statements one GET of url runs (it must answer 200)."""
    count = 0

    def record(*_args) -> None:
        nonlocal count
        count += 1

    event.listen(_db.engine, "before_cursor_execute", record)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(_db.engine, "before_cursor_execute", record)
    return count
