"""Browser fixtures: the app on a real HTTP server in a thread, with the repository's own
courses imported and a mentor account, and Debian's Chromium driven by Playwright.

One server per test process: the courses are imported once into a seeded database file,
and before each test the server's database is put back to that seed (SQLite's online
backup), its outbox emptied and its rate limits reset, so every test starts from the
same program as if the server were new.

Playwright's own browser download cannot work here and is never attempted: the tests use
/usr/bin/chromium, and skip (or, when PRECEPTOR_REQUIRE_ALL_TESTS is set, fail) without it.
"""

import shutil
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect, sync_playwright
from werkzeug.serving import make_server

from app import create_app
from app.auth import service as auth
from app.auth.models import Role
from app.authoring import documents
from app.clock import utcnow
from app.config import REPOSITORY_ROOT
from app.extensions import db, limiter
from tests.conftest import PASSWORD, closing_wsgi, make_config, unavailable

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
HERE = Path(__file__).parent
MENTOR_EMAIL = "mentor@hospital.example"
DESKTOP = {"width": 1280, "height": 900}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without Chromium every test in this folder is skipped, with the reason."""
    ours = [item for item in items if HERE in item.path.parents]
    if not ours or CHROMIUM.exists():
        return
    skip = unavailable(f"browser tests not run: Debian's Chromium is not at {CHROMIUM}")
    for item in ours:
        item.add_marker(skip)


@dataclass(frozen=True)
class LiveServer:
    url: str
    mentor_email: str
    outbox: Path
    password: str = PASSWORD

    def mail(self, count: int, *, seconds: float = 10) -> list[Path]:
        """The outbox once it holds `count` messages: mail goes out just after the
        response that queued it, so it may land a moment after the next page shows."""
        deadline = time.monotonic() + seconds
        while True:
            files = sorted(self.outbox.glob("*.eml"))
            if len(files) >= count or time.monotonic() > deadline:
                return files
            time.sleep(0.05)


PROGRAM_CERTIFICATION = "physician-mentor"  # courses/certifications.yml


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _live_config(folder: Path):
    """The real courses and quizzes, measured against their program certification."""
    return make_config(
        folder,
        "sqlite",
        CONTENT_DIR=REPOSITORY_ROOT,
        MATCHING_CERTIFICATION=PROGRAM_CERTIFICATION,
    )


@dataclass(frozen=True)
class _Served:
    server: LiveServer
    app: Flask
    database_file: Path
    seed_file: Path


@pytest.fixture(scope="session")
def _served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Served]:
    """The app on 127.0.0.1 with a file SQLite database, the real courses and one mentor;
    the seeded database is also kept aside as a copy to start each test from."""
    folder = tmp_path_factory.mktemp("live-server")
    app = create_app(_live_config(folder))
    database_file = folder / "test.db"
    seed_file = folder / "seed.db"
    with app.app_context():
        db.create_all()
        documents.sync_folder(REPOSITORY_ROOT, now=utcnow())  # files recorded, as `content sync`
        auth.create_user(MENTOR_EMAIL, "Dr. Alex Morgan", PASSWORD, {Role.MENTOR})
        db.session.commit()
        db.session.remove()
    _restore(database_file, seed_file)

    server = make_server("127.0.0.1", _free_port(), closing_wsgi(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    live = LiveServer(
        url=f"http://127.0.0.1:{server.server_port}",
        mentor_email=MENTOR_EMAIL,
        outbox=Path(app.config["OUTBOX_DIR"]),
    )
    try:
        yield _Served(live, app, database_file, seed_file)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.engine.dispose()


def _restore(seed_file: Path, database_file: Path) -> None:
    """Overwrite the live database with the seed, page by page, through SQLite itself
    (safe while the server's pooled connections stay open: they see the new content)."""
    with (
        closing(sqlite3.connect(seed_file)) as seed,
        closing(sqlite3.connect(database_file)) as live,
    ):
        seed.backup(live)


@pytest.fixture
def live_server(_served: _Served) -> LiveServer:
    """The shared server, its database back to the seed, its outbox empty and its rate
    limits reset."""
    _restore(_served.seed_file, _served.database_file)
    shutil.rmtree(_served.server.outbox, ignore_errors=True)
    limiter.reset()
    return _served.server


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One Chromium for the whole run; each test gets its own context (cookies, viewport)."""
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser: Browser, live_server: LiveServer) -> Iterator:
    """new_page(viewport=None): a page in a fresh browser context (a desktop by default)."""
    contexts = []

    def open_page(viewport: dict | None = None) -> Page:
        context = browser.new_context(base_url=live_server.url, viewport=viewport or DESKTOP)
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def sign_in(live_server: LiveServer):
    """sign_in(page): through the form, as a person would, landing on the catalog."""

    def sign_in_with(page: Page) -> None:
        page.goto("/auth/login")
        page.get_by_label("E-mail").fill(live_server.mentor_email)
        page.get_by_label("Password").fill(live_server.password)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("heading", level=1, name="Courses")).to_be_visible()

    return sign_in_with


@pytest.fixture(scope="session")
def _inspector(_served: _Served) -> Iterator[Flask]:
    app = create_app(_live_config(_served.database_file.parent))
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.fixture
def database(live_server: LiveServer, _inspector: Flask) -> Iterator[Flask]:
    """A second app on the live server's SQLite file, to arrange and inspect its data."""
    yield _inspector
    with _inspector.app_context():
        db.session.remove()
