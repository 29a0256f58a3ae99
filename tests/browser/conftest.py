"""Browser fixtures: the app on a real HTTP server in a thread, with the repository's own
courses imported and a mentor account, and Debian's Chromium driven by Playwright.

Playwright's own browser download cannot work here and is never attempted: the tests use
/usr/bin/chromium, and skip (or, when PRECEPTOR_REQUIRE_ALL_TESTS is set, fail) without it.
"""

import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect, sync_playwright
from werkzeug.serving import make_server

from app import create_app
from app.auth import service as auth
from app.auth.models import Role
from app.clock import utcnow
from app.config import REPOSITORY_ROOT
from app.content import load_content
from app.courses.sync import sync_content
from app.extensions import db
from tests.conftest import PASSWORD, make_config, unavailable

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
    password: str = PASSWORD


PROGRAM_CERTIFICATION = "physician-mentor"  # courses/certifications.yml


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _live_config(tmp_path: Path):
    """The real courses and quizzes, measured against their program certification."""
    return make_config(
        tmp_path,
        "sqlite",
        CONTENT_DIR=REPOSITORY_ROOT,
        MATCHING_CERTIFICATION=PROGRAM_CERTIFICATION,
    )


@pytest.fixture
def live_server(tmp_path: Path) -> Iterator[LiveServer]:
    """The app on 127.0.0.1 with a file SQLite database, the real courses and one mentor."""
    app = create_app(_live_config(tmp_path))
    with app.app_context():
        db.create_all()
        sync_content(load_content(REPOSITORY_ROOT), now=utcnow())
        auth.create_user(MENTOR_EMAIL, "Dr. Alex Morgan", PASSWORD, {Role.MENTOR})
        db.session.commit()
        db.session.remove()

    server = make_server("127.0.0.1", _free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", mentor_email=MENTOR_EMAIL)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.engine.dispose()


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


@pytest.fixture
def database(live_server: LiveServer, tmp_path: Path) -> Iterator[Flask]:
    """A second app on the live server's SQLite file, to arrange and inspect its data."""
    app = create_app(_live_config(tmp_path))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
