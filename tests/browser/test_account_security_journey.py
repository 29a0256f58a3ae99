"""On a phone: a mentor changes their password, turns on two-step sign-in with an
authenticator app, signs out and back in with a code, then with a recovery code. Each
page is clean for axe and fits 375 px."""

import re
from datetime import UTC

import pyotp
import pytest
from playwright.sync_api import Page, expect

from app.clock import utcnow
from tests.browser.test_accessibility import PHONE, assert_no_axe_violations

pytestmark = pytest.mark.browser
NEW_PASSWORD = "lanterns-over-the-night-ward-3"


def fits_the_phone(page: Page) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth")
    assert not overflow, f"{page.url} scrolls sideways at 375 px"
    assert_no_axe_violations(page)


def sign_in_with_password(page: Page, email: str, password: str) -> None:
    page.goto("/auth/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_a_mentor_secures_their_account_on_a_phone(new_page, sign_in, live_server):
    page = new_page(PHONE)
    sign_in(page)

    page.goto("/me/")
    page.get_by_role("link", name="Change your password").click()
    fits_the_phone(page)
    page.get_by_label("Current password").fill(live_server.password)
    page.get_by_label("New password").fill(NEW_PASSWORD)
    page.get_by_label("Type it again").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change the password").click()
    expect(page.get_by_text("Every other device is signed out.")).to_be_visible()

    page.get_by_role("link", name="Turn it on").click()
    fits_the_phone(page)
    page.get_by_role("link", name="Set up two-step sign-in").click()
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    fits_the_phone(page)
    secret = page.locator("code.secret").inner_text().replace(" ", "")
    page.get_by_label("Code").fill("000000")
    page.get_by_role("button", name="Turn on two-step sign-in").click()
    expect(page.get_by_text("That code did not work")).to_be_visible()
    fits_the_phone(page)
    totp = pyotp.TOTP(secret)
    page.get_by_label("Code").fill(totp.at(utcnow().replace(tzinfo=UTC)))
    page.get_by_role("button", name="Turn on two-step sign-in").click()
    expect(page.get_by_role("heading", name="Two-step sign-in is on")).to_be_visible()
    fits_the_phone(page)
    codes = [c.inner_text() for c in page.locator(".recovery-codes code").all()]
    assert len(codes) == 10 and all(re.fullmatch(r"[a-z0-9]{5}-[a-z0-9]{5}", c) for c in codes)

    page.get_by_role("button", name="Sign out").click()
    sign_in_with_password(page, live_server.mentor_email, NEW_PASSWORD)
    expect(page.get_by_role("heading", name="Your sign-in code")).to_be_visible()
    fits_the_phone(page)
    page.get_by_label("Code").fill(codes[0])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("You signed in with a recovery code; 9 left.")).to_be_visible()
    expect(page.get_by_role("heading", level=1, name="Courses")).to_be_visible()
