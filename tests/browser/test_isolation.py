"""The browser tests share one server; each starts from its seeded database anyway."""

import pytest
from flask import Flask
from playwright.sync_api import expect
from sqlalchemy import func, select

from app.auth import service as auth
from app.auth.models import Role, User
from app.extensions import db
from tests.browser.conftest import LiveServer
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("round_", [1, 2])
def test_a_test_finds_only_the_seeded_mentor_and_an_empty_outbox(
    live_server: LiveServer, database: Flask, new_page, round_
):
    with database.app_context():
        assert db.session.scalars(select(User.email)).all() == [live_server.mentor_email]
        auth.create_user(
            f"left-behind-{round_}@hospital.example", "Dr. Left", PASSWORD, {Role.MENTOR}
        )
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(User)) == 2
    assert not list(live_server.outbox.glob("*.eml"))

    page = new_page()
    page.goto("/auth/forgot")
    page.get_by_label("E-mail").fill(live_server.mentor_email)
    page.get_by_role("button", name="Send the link").click()
    expect(page.get_by_role("heading", name="Check your e-mail")).to_be_visible()
    assert len(live_server.mail(1)) == 1
