"""One authenticator code, or one recovery code, sent from four tabs at once (a
double-tap, or someone replaying what they saw): it signs in once."""

from datetime import UTC

import pyotp
import pytest
import requests

from app.auth import mfa
from app.clock import utcnow
from app.extensions import db as _db
from tests.conftest import PASSWORD

TABS = 4


@pytest.fixture
def protected(mentor):
    """Two-step sign-in on, and the code of this very step not used yet."""
    secret = mfa.new_secret()
    step_code = pyotp.TOTP(secret).at(utcnow().replace(tzinfo=UTC))
    codes = mfa.enable(mentor, secret, step_code, now=utcnow())
    mentor.totp_last_step -= 1  # set up with the previous step's code, as it were
    _db.session.commit()
    return codes, step_code


def pending_browser(served, mentor) -> requests.Session:
    """A browser whose password was right and which now waits for the code."""
    browser = requests.Session()
    csrf = served.csrf(browser, "/auth/login")
    form = {"email": mentor.email, "password": PASSWORD, "csrf_token": csrf}
    response = browser.post(f"{served.url}/auth/login", data=form, allow_redirects=False)
    assert response.headers["Location"] == "/auth/mfa/code"
    return browser


@pytest.mark.parametrize("kind", ["app", "recovery"])
def test_one_code_from_four_tabs_signs_in_once(served, mentor, protected, kind):
    codes, step_code = protected
    code = step_code if kind == "app" else codes[0]
    browser = pending_browser(served, mentor)
    csrf = served.csrf(browser, "/auth/mfa/code")

    responses = served.at_once(
        TABS,
        lambda tab: tab.post(
            f"{served.url}/auth/mfa/code",
            data={"code": code, "csrf_token": csrf},
            allow_redirects=False,
        ),
        browser,
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [302] + [422] * (TABS - 1), statuses
