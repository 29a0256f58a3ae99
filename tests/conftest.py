"""Fixtures: an app on a fresh database (SQLite, and PostgreSQL when TEST_DATABASE_URL
is set), a client, user factories and signed-in clients per role.

The schema is built once per run and database, not once per test. On SQLite every test
gets its own copy of a database file made at the start; on PostgreSQL every pytest-xdist
worker has its own database (`<name>_gw0`, ...), emptied after each test (rows deleted,
sequences restarted). A test that changes the schema itself is marked `fresh_database`:
it starts from the schema as always, and the schema is rebuilt after it.
"""

import os
import re
import shutil
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient
from jinja2 import MemcachedBytecodeCache
from sqlalchemy import Engine, create_engine, event, exists, literal, make_url, select, union_all
from werkzeug.routing import Rule
from werkzeug.serving import make_server

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
BASE_POSTGRES_URL = os.environ.get("TEST_DATABASE_URL", "")
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")  # gw0, gw1, ... under pytest-xdist


def _worker_database_url(base_url: str, worker: str) -> str:
    """The database this pytest process uses: its own one under pytest-xdist."""
    if not base_url or not worker:
        return base_url
    url = make_url(base_url)
    return url.set(database=f"{url.database}_{worker}").render_as_string(hide_password=False)


POSTGRES_URL = _worker_database_url(BASE_POSTGRES_URL, WORKER)


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


# For a test about one database's own machinery (SQLite's FTS5, a PostgreSQL index): it
# runs on that database only instead of skipping on the other. only_sqlite also serves the
# long role matrices (who may open a page): a rule in Python, the same on both.
only_sqlite = pytest.mark.parametrize("database", ["sqlite"], indirect=True)
only_postgresql = pytest.mark.parametrize("database", database_params()[1:], indirect=True)


class _SharedDict(dict):
    """The get/set client MemcachedBytecodeCache asks for, kept in this process."""

    def set(self, key: str, value: bytes, timeout: int | None = None) -> None:
        self[key] = value


class BuilderSharingRule(Rule):
    """A URL rule whose compiled URL builder is shared by every app of the run.

    Every test makes a new app, and Werkzeug compiles two builder functions for each of
    its ~190 rules (an AST and `compile()` each): a tenth of a second per app, a fifth
    of the suite's time. The builder depends only on the rule's text, its parsed parts
    and defaults, so one compiled for an earlier app serves the next."""

    _builders: ClassVar[dict] = {}

    def _compile_builder(self, append_unknown: bool = True):
        defaults = tuple(sorted((k, repr(v)) for k, v in (self.defaults or {}).items()))
        key = (self.rule, tuple(self._trace), defaults, append_unknown)
        builder = self._builders.get(key)
        if builder is None:
            builder = self._builders[key] = super()._compile_builder(append_unknown)
        return builder


# Every app made in this process (the tests' own and the served ones) compiles each
# template once, not once per app: Jinja's bytecode cache, keyed by the template's name
# and source, so a changed template is compiled again.
TEMPLATE_CODE = MemcachedBytecodeCache(_SharedDict())
Flask.jinja_options = {**Flask.jinja_options, "bytecode_cache": TEMPLATE_CODE}
Flask.url_rule_class = BuilderSharingRule


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
    """Each request in its own application context (its own `g` and database session),
    pushed and popped around the app as a server does, even while the test holds one
    open. The response is read whole, then closed, as a server does: what waits for the
    close (the mail a request queued) runs after the request's context is gone."""

    def run_wsgi_app(self, environ, buffered=False):
        flask_app = self.application

        def in_own_context(environ, start_response):
            with flask_app.app_context():
                return flask_app(environ, start_response)

        self.application = in_own_context
        try:
            return super().run_wsgi_app(environ, buffered=True)
        finally:
            self.application = flask_app


@pytest.fixture(params=database_params())
def database(request) -> str:
    return request.param


@pytest.fixture
def config_overrides() -> dict:
    """Override in a test module to change settings for its app."""
    return {}


def _build_schema(engine: Engine) -> None:
    """The models' schema on an empty database (whatever a stopped run left is dropped)."""
    with engine.begin() as connection:
        _db.metadata.drop_all(connection)
        connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
        _db.metadata.create_all(connection)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file with the schema, made once; each test's database is a copy of it."""
    path = tmp_path_factory.mktemp("sqlite-template") / "test.db"
    with create_app(make_config(path.parent, "sqlite")).app_context():
        _build_schema(_db.engine)
        _db.engine.dispose()
    assert not path.with_name("test.db-wal").exists(), "the template is one self-contained file"
    return path


def _create_worker_database() -> None:
    """CI creates the database TEST_DATABASE_URL names; a worker's own is made beside it."""
    if POSTGRES_URL == BASE_POSTGRES_URL:
        return
    name = make_url(POSTGRES_URL).database
    engine = create_engine(BASE_POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        exists = connection.exec_driver_sql(
            "SELECT 1 FROM pg_database WHERE datname = %(name)s", {"name": name}
        ).scalar()
        if not exists:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()


@pytest.fixture(scope="session")
def postgres_engine() -> Iterator[Engine]:
    """This worker's PostgreSQL database with the schema, built once for the run."""
    _create_worker_database()
    engine = create_engine(POSTGRES_URL)
    _build_schema(engine)
    yield engine
    engine.dispose()


def _empty_postgres(engine: Engine) -> None:
    """Back to the freshly built schema: delete the rows of every table that has any
    (children first) and restart every sequence, so ids begin at 1 again. Much cheaper
    than TRUNCATE or rebuilding the schema for the few rows a test writes."""
    tables = _db.metadata.sorted_tables
    probe = union_all(
        *(
            select(literal(table.name)).where(exists(select(1).select_from(table)))
            for table in tables
        )
    )
    with engine.begin() as connection:
        connection.exec_driver_sql("SET LOCAL lock_timeout = '10s'")  # a leak fails, not hangs
        filled = set(connection.execute(probe).scalars())
        for table in reversed(tables):
            if table.name in filled:
                connection.execute(table.delete())
        connection.exec_driver_sql(
            "SELECT setval(oid, 1, false) FROM pg_class WHERE relkind = 'S'"
        ).all()


@pytest.fixture
def fresh_schema(request, database: str, tmp_path: Path) -> Iterator[None]:
    """The database the test's app opens starts as the schema alone, and stays so."""
    fresh_database = request.node.get_closest_marker("fresh_database") is not None
    if database == "sqlite":
        shutil.copyfile(request.getfixturevalue("sqlite_template"), tmp_path / "test.db")
        yield
        return
    engine = request.getfixturevalue("postgres_engine")
    yield
    if fresh_database:
        _build_schema(engine)
    else:
        _empty_postgres(engine)


@pytest.fixture
def app(
    tmp_path: Path, database: str, config_overrides: dict, fresh_schema: None
) -> Iterator[Flask]:
    app = create_app(make_config(tmp_path, database, **config_overrides))
    app.test_client_class = FreshContextClient
    with app.app_context():
        yield app
        _db.session.remove()
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


@dataclass(frozen=True)
class Served:
    """The test's app on a real HTTP server (threads, each request with its own database
    connection), for races: several people, or one person's several tabs, at once."""

    url: str

    def signed_in(self, user: User, password: str = PASSWORD) -> requests.Session:
        browser = requests.Session()
        page = browser.get(f"{self.url}/auth/login").text
        form = {"email": user.email, "password": password, "csrf_token": _csrf(page)}
        response = browser.post(f"{self.url}/auth/login", data=form, allow_redirects=False)
        assert response.status_code == 302, response.text
        return browser

    def csrf(self, browser: requests.Session, path: str) -> str:
        return _csrf(browser.get(self.url + path).text)

    def at_once(
        self,
        count: int,
        send: Callable[[requests.Session], requests.Response],
        browser: requests.Session,
    ) -> list[requests.Response]:
        """`count` copies of one signed-in browser send together (released by a barrier)."""
        barrier = threading.Barrier(count)

        def one(_index: int) -> requests.Response:
            tab = requests.Session()
            tab.cookies.update(browser.cookies)
            barrier.wait()
            return send(tab)

        with ThreadPoolExecutor(count) as pool:
            return list(pool.map(one, range(count)))


def _csrf(page: str) -> str:
    match = CSRF_INPUT.search(page)
    assert match, "no CSRF token on the page"
    return match.group(1)


def closing_wsgi(app):
    """The app with its response read and closed inside the WSGI call. Werkzeug's
    development server skips close() (where queued mail goes out) when the client
    resets the connection first, which a browser may do after a redirect; gunicorn
    always closes. Reading the response first makes the test servers deterministic."""

    def wrapped(environ, start_response):
        response = app(environ, start_response)
        try:
            return list(response)
        finally:
            if hasattr(response, "close"):
                response.close()

    return wrapped


@pytest.fixture
def served(app: Flask) -> Iterator[Served]:
    server = make_server("127.0.0.1", 0, closing_wsgi(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="served-app", daemon=True)
    thread.start()
    try:
        yield Served(url=f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
