"""Two-step sign-in: set up with an authenticator app, asked after the password, recovery
codes, turning it off, and roles a deployment requires it for."""

import re
from datetime import UTC, timedelta

import pyotp
import pytest

from app.auth import mfa
from app.auth.models import Role
from app.clock import reset_travel, travel, utcnow
from app.extensions import db as _db
from tests.auth.test_reset_and_invite import outbox
from tests.conftest import PASSWORD, client_with_role, csrf_token, log_in, post_form


@pytest.fixture(autouse=True)
def clock():
    reset_travel()
    yield travel
    reset_travel()


def code_now(secret: str, steps: int = 0) -> str:
    moment = utcnow().replace(tzinfo=UTC) + timedelta(seconds=30 * steps)
    return pyotp.TOTP(secret).at(moment)  # what the phone shows at the app's "now"


def turn_on(client) -> tuple[str, list[str]]:
    """Set up two-step sign-in as a person would; returns the secret and recovery codes."""
    page = client.get("/auth/mfa/setup").get_data(as_text=True)
    assert "Set up two-step sign-in" in page and 'src="data:image/svg+xml' in page
    secret = re.search(r'<code class="secret">([^<]+)</code>', page).group(1).replace(" ", "")
    response = post_form(client, "/auth/mfa/setup", {"code": code_now(secret)})
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    codes = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", response.get_data(as_text=True))
    assert len(codes) == 10
    return secret, codes


def sign_in_with_code(app, user, code: str | None, password: str = PASSWORD):
    client = app.test_client()
    first = log_in(client, user, password=password)
    return (
        client,
        first,
        (None if code is None else post_form(client, "/auth/mfa/code", {"code": code})),
    )


@pytest.fixture
def protected(app, mentor, mentor_client):
    secret, codes = turn_on(mentor_client)
    travel(timedelta(seconds=31))  # the set-up code's step is used up
    return secret, codes


def test_setting_up_needs_a_right_code_from_the_app(mentor_client, mentor):
    page = mentor_client.get("/auth/mfa/setup").get_data(as_text=True)
    secret = re.search(r'<code class="secret">([^<]+)</code>', page).group(1).replace(" ", "")
    wrong = post_form(mentor_client, "/auth/mfa/setup", {"code": "000000"})
    assert wrong.status_code == 422 and "That code did not work" in wrong.get_data(as_text=True)
    _db.session.refresh(mentor)
    assert not mentor.has_mfa
    again = mentor_client.get("/auth/mfa/setup").get_data(as_text=True)
    assert secret.lower()[:8] in again.replace(" ", "").lower(), "the same key until it works"


def test_my_progress_offers_it_and_setup_e_mails_the_owner(app, mentor, mentor_client):
    page = mentor_client.get("/me/").get_data(as_text=True)
    assert "Two-step sign-in is off." in page and 'href="/auth/mfa/"' in page
    turn_on(mentor_client)
    assert "Two-step sign-in is on." in mentor_client.get("/me/").get_data(as_text=True)
    [notice] = [m for m in outbox(app) if "Two-step sign-in was turned on" in m["Subject"]]
    assert notice["To"] == mentor.email


def test_the_password_alone_no_longer_signs_in(app, mentor, protected):
    client, first, _ = sign_in_with_code(app, mentor, None)
    assert first.status_code == 302 and first.headers["Location"] == "/auth/mfa/code"
    assert client.get("/courses/").status_code == 302, "not signed in before the code"
    assert client.get("/me/").status_code == 302


def test_the_code_from_the_app_signs_in_once(app, mentor, protected):
    secret, _codes = protected
    code = code_now(secret)
    client, _, second = sign_in_with_code(app, mentor, code)
    assert second.status_code == 302 and second.headers["Location"] == "/courses/"
    assert client.get("/me/").status_code == 200
    replayed = sign_in_with_code(app, mentor, code)[2]
    assert replayed.status_code == 422, "a code works once, even within its 30 seconds"


def test_a_wrong_code_says_so_beside_the_field_and_signs_no_one_in(app, mentor, protected):
    client, _, second = sign_in_with_code(app, mentor, "123456")
    page = second.get_data(as_text=True)
    assert second.status_code == 422 and 'id="code-error">That code did not work' in page
    assert client.get("/me/").status_code == 302


def test_guessing_codes_is_limited(app, mentor, protected):
    secret, _ = protected
    client = app.test_client()
    log_in(client, mentor)
    statuses = [
        post_form(client, "/auth/mfa/code", {"code": f"{n:06d}"}).status_code for n in range(11)
    ]
    assert statuses == [422] * 10 + [429]
    right = post_form(client, "/auth/mfa/code", {"code": code_now(secret)})
    assert right.status_code == 429, "the right code waits too"


def test_the_second_step_waits_five_minutes(app, mentor, protected):
    secret, _ = protected
    client = app.test_client()
    log_in(client, mentor)
    travel(timedelta(minutes=6))
    late = post_form(client, "/auth/mfa/code", {"code": code_now(secret)}, form_url="/auth/login")
    assert late.status_code == 302 and late.headers["Location"] == "/auth/login"
    assert client.get("/me/").status_code == 302


def test_a_recovery_code_signs_in_once(app, mentor, protected):
    _secret, codes = protected
    client, _, second = sign_in_with_code(app, mentor, codes[0].upper().replace("-", " "))
    assert second.status_code == 302
    assert "9 left" in client.get("/me/").get_data(as_text=True)
    assert sign_in_with_code(app, mentor, codes[0])[2].status_code == 422
    assert sign_in_with_code(app, mentor, codes[1])[2].status_code == 302


def test_recovery_codes_are_stored_salted_and_hashed(app, mentor, protected):
    from sqlalchemy import select

    from app.auth.models import RecoveryCode

    _secret, codes = protected
    stored = _db.session.scalars(select(RecoveryCode.code_hash)).all()
    assert len(stored) == 10 and len({s.split("$")[0] for s in stored}) == 10
    assert not any(code.replace("-", "") in "".join(stored) for code in codes)


def test_new_recovery_codes_replace_the_old_ones(app, mentor, mentor_client, protected):
    _secret, old = protected
    response = post_form(mentor_client, "/auth/mfa/recovery-codes", {}, form_url="/auth/mfa/")
    new = re.findall(r"<li><code>([a-z0-9-]+)</code></li>", response.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(old)
    assert sign_in_with_code(app, mentor, old[0])[2].status_code == 422
    assert sign_in_with_code(app, mentor, new[0])[2].status_code == 302


def test_turning_it_off_asks_for_the_password_after_a_while(app, mentor, mentor_client, protected):
    travel(timedelta(minutes=16))
    asked = post_form(mentor_client, "/auth/mfa/disable", {}, form_url="/auth/mfa/")
    assert "Confirm it is you" in asked.get_data(as_text=True)
    _db.session.refresh(mentor)
    assert mentor.has_mfa
    token = csrf_token(mentor_client, "/auth/mfa/")
    done = mentor_client.post(
        "/auth/mfa/disable", data={"csrf_token": token, "confirm_password": PASSWORD}
    )
    assert done.status_code == 302
    _db.session.refresh(mentor)
    assert not mentor.has_mfa
    assert log_in(app.test_client(), mentor).headers["Location"] == "/courses/"
    assert any("turned off" in m["Subject"] for m in outbox(app))


def test_signed_out_visitors_cannot_reach_the_settings(client):
    for url in ("/auth/mfa/", "/auth/mfa/setup"):
        assert "/auth/login" in client.get(url).headers["Location"]
    assert client.get("/auth/mfa/code").headers["Location"] == "/auth/login"


@pytest.fixture
def config_overrides(request):
    return {"MFA_REQUIRED_ROLES": ("coordinator",)} if "required" in request.node.name else {}


def test_a_role_that_requires_it_sets_it_up_before_anything_else_required(app, make_user):
    coordinator = client_with_role(app, make_user, Role.COORDINATOR)
    response = coordinator.get("/coordinator/")
    assert response.status_code == 302 and response.headers["Location"] == "/auth/mfa/"
    assert "Your role needs it" in coordinator.get("/auth/mfa/").get_data(as_text=True)
    turn_on(coordinator)
    assert coordinator.get("/coordinator/").status_code == 200
    page = coordinator.get("/auth/mfa/").get_data(as_text=True)
    assert "cannot be turned off here" in page and "/auth/mfa/disable" not in page
    refused = post_form(coordinator, "/auth/mfa/disable", {}, form_url="/auth/mfa/")
    assert refused.status_code == 302
    mentor = client_with_role(app, make_user, Role.MENTOR)
    assert mentor.get("/courses/").status_code == 200, "other roles are not asked"


def test_two_tabs_sending_one_code_sign_in_once(app, mentor, protected):
    secret, _ = protected
    code = code_now(secret)
    _db.session.refresh(mentor)
    user = mentor
    assert mfa.verify(user, code, now=utcnow()) == "app"
    assert mfa.verify(user, code, now=utcnow()) is None
