"""PostgreSQL going away under a running app: /readyz says 503, pages answer a clear 503
(JSON in the API), a request cut off half-way leaves nothing half-written, and the app
recovers by itself when the database is back. CI's server is never stopped: the app
reaches it through a TCP proxy that the test cuts and restores."""

import contextlib
import socket
import threading
import time

import pytest
from sqlalchemy import event, func, make_url, select, text

from app import create_app
from app.api import tokens
from app.auth.models import Role
from app.clock import utcnow
from app.database import engine_options
from app.extensions import db as _db
from app.forum import service as forum
from app.forum.models import Post, Thread
from tests.conftest import POSTGRES_URL, log_in, make_config, only_postgresql, post_form

pytestmark = only_postgresql


class Proxy:
    """127.0.0.1:<port> -> the database server, until cut."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._listener: socket.socket | None = None
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()

    def start(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", self.port), reuse_port=False)
        threading.Thread(target=self._accept, args=(self._listener,), daemon=True).start()

    def cut(self) -> None:
        """The database is gone: no new connection, and every open one dies."""
        if self._listener is not None:
            with contextlib.suppress(OSError):  # shutdown wakes the thread in accept()
                self._listener.shutdown(socket.SHUT_RDWR)
            self._listener.close()
            self._listener = None
        with self._lock:
            for connection in self._open:
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
                connection.close()
            self._open.clear()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            with self._lock:
                self._open += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with contextlib.suppress(OSError):
                    end.close()


def no_transaction_left_open(db, seconds: float = 10) -> bool:
    """Wait until no other session of this database is idle in a transaction."""
    idle = text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
        " AND pid <> pg_backend_pid() AND state = 'idle in transaction'"
    )
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        count = db.session.scalar(idle)
        db.session.rollback()
        if count == 0:
            return True
        time.sleep(0.2)
    return False


@pytest.fixture
def proxy():
    url = make_url(POSTGRES_URL)
    running = Proxy((url.host or "127.0.0.1", url.port or 5432))
    running.start()
    yield running
    running.cut()


@pytest.fixture
def proxied_app(app, tmp_path, proxy):
    """A second app on the test's database, through the proxy."""
    url = make_url(POSTGRES_URL).set(host="127.0.0.1", port=proxy.port)
    address = url.render_as_string(hide_password=False)
    through = create_app(
        make_config(
            tmp_path / "proxied",
            "postgresql",
            SQLALCHEMY_DATABASE_URI=address,
            # As in production, but a cut transaction ends after 1 s, not 60.
            SQLALCHEMY_ENGINE_OPTIONS=engine_options(address, idle_in_transaction="1s"),
        )
    )
    through.test_client_class = type(app.test_client())
    yield through
    with through.app_context():
        _db.engine.dispose()


def test_the_app_says_503_while_the_database_is_away_and_recovers_alone(
    proxied_app, proxy, make_user
):
    mentor = make_user(Role.MENTOR)
    _token, plaintext = tokens.create_token(make_user(Role.COORDINATOR), "matching", now=utcnow())
    _db.session.commit()
    browser = proxied_app.test_client()

    assert log_in(browser, mentor).status_code == 302
    assert browser.get("/readyz").status_code == 200

    proxy.cut()

    assert browser.get("/healthz").status_code == 200, "the process itself is fine"
    assert browser.get("/readyz").status_code == 503
    page = browser.get("/courses/")
    assert page.status_code == 503 and page.headers["Retry-After"] == "30"
    assert "Preceptor is briefly unavailable" in page.get_data(as_text=True)
    api = proxied_app.test_client().get(
        "/api/v1/mentors", headers={"Authorization": f"Bearer {plaintext}"}
    )
    assert api.status_code == 503 and api.get_json()["error"] == "unavailable"

    proxy.start()  # back, on the same address; the app is not restarted

    assert browser.get("/readyz").status_code == 200
    assert browser.get("/courses/").status_code == 200


def test_a_request_cut_off_half_way_writes_nothing(proxied_app, proxy, make_user, db):
    forum.seed_default_categories()
    db.session.commit()
    author = make_user(Role.MENTOR)
    browser = proxied_app.test_client()

    log_in(browser, author)
    with proxied_app.app_context():
        engine = _db.engine

    def cut_before_the_post(_conn, _cursor, statement, *_args):
        if statement.startswith("INSERT INTO forum_posts"):
            proxy.cut()  # the thread row is written, its opening post not yet

    event.listen(engine, "before_cursor_execute", cut_before_the_post)
    try:
        response = post_form(
            browser,
            "/forum/c/introductions/new",
            {"title": "Hello from the night shift", "body": "Glad to be here.", "action": "post"},
        )
    finally:
        event.remove(engine, "before_cursor_execute", cut_before_the_post)

    assert response.status_code == 503
    assert no_transaction_left_open(db), "the server ended the cut transaction"
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Thread)) == 0
    assert db.session.scalar(select(func.count()).select_from(Post)) == 0
