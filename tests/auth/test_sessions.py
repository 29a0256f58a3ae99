"""Sessions live on the server: signing out ends the cookies for good (copies too), a
user sees and ends their signed-in devices, a password change or a deactivation ends
them all, and "Keep me signed in" lasts 30 days."""

import re
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import pytest
from flask.testing import FlaskClient

from app.auth import service as auth
from app.auth import sessions
from app.auth.models import UserSession
from app.clock import reset_travel, travel, utcnow
from tests.conftest import PASSWORD, csrf_token, log_in, post_form

PHONE = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36"
)
LAPTOP = (
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 Version/17.5 Safari/605.1.15"
)


@pytest.fixture
def clock():
    reset_travel()
    yield travel
    reset_travel()


def signed_in(app, user, *, remember: bool = False, agent: str = PHONE) -> FlaskClient:
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = agent
    token = csrf_token(client, "/auth/login")
    form = {"email": user.email, "password": PASSWORD, "csrf_token": token}
    if remember:
        form["remember"] = "y"
    assert client.post("/auth/login", data=form).status_code == 302
    return client


def is_signed_in(client: FlaskClient) -> bool:
    return client.get("/me/").status_code == 200


def copy_of(app, client: FlaskClient, *names: str) -> FlaskClient:
    """Another browser holding copies of the named cookies (as a thief would)."""
    thief = app.test_client()
    for name in names:
        cookie = client.get_cookie(name)
        assert cookie is not None, f"no {name} cookie"
        thief.set_cookie(name, cookie.value)
    return thief


def sign_out(client: FlaskClient):
    return post_form(client, "/auth/logout", {}, form_url="/me/")


def test_signing_out_with_keep_me_signed_in_signs_out(app, mentor):
    client = signed_in(app, mentor, remember=True)
    remember_copy = copy_of(app, client, "remember_token")
    assert is_signed_in(remember_copy), "the remember cookie alone signs in while live"

    response = sign_out(client)

    assert "remember_token=;" in " ".join(response.headers.getlist("Set-Cookie"))
    assert not is_signed_in(client)
    assert not is_signed_in(remember_copy), "a copied remember cookie is dead after sign-out"


def test_a_copied_session_cookie_stops_working_at_sign_out(app, mentor):
    client = signed_in(app, mentor)
    session_copy = copy_of(app, client, "session")
    assert is_signed_in(session_copy)

    sign_out(client)

    assert not is_signed_in(session_copy)


def test_the_remember_cookie_and_its_session_last_30_days(app, mentor, clock):
    client = app.test_client()
    token = csrf_token(client, "/auth/login")
    form = {"email": mentor.email, "password": PASSWORD, "csrf_token": token, "remember": "y"}
    response = client.post("/auth/login", data=form)
    cookie = next(
        c for c in response.headers.getlist("Set-Cookie") if c.startswith("remember_token=")
    )
    expires = parsedate_to_datetime(re.search(r"Expires=([^;]+)", cookie).group(1))
    lifetime = expires.replace(tzinfo=None) - datetime.now(UTC).replace(tzinfo=None)
    assert timedelta(days=29, hours=23) < lifetime <= timedelta(days=30), lifetime
    remember_copy = copy_of(app, client, "remember_token")

    clock(timedelta(days=29, hours=23))
    assert is_signed_in(remember_copy)
    clock(timedelta(hours=2))
    assert not is_signed_in(remember_copy), "30 days after sign-in the session is over"


def test_a_session_without_remember_ends_after_12_idle_hours(app, mentor, clock):
    client = signed_in(app, mentor)
    clock(timedelta(hours=11))
    assert is_signed_in(client), "in use: each request moves last seen"
    clock(timedelta(hours=11))
    assert is_signed_in(client)
    clock(timedelta(hours=12, minutes=1))
    assert not is_signed_in(client)


def test_even_a_session_in_constant_use_ends_30_days_after_sign_in(app, mentor, clock):
    client = signed_in(app, mentor)
    elapsed = timedelta(0)
    while elapsed + timedelta(hours=11) < timedelta(days=30):
        clock(timedelta(hours=11))  # never idle for 12 hours
        elapsed += timedelta(hours=11)
        assert is_signed_in(client), elapsed
    clock(timedelta(days=30) - elapsed + timedelta(minutes=1))
    assert not is_signed_in(client)


def test_my_progress_lists_each_device_and_ends_one(app, mentor, db):
    phone = signed_in(app, mentor, agent=PHONE)
    laptop = signed_in(app, mentor, agent=LAPTOP, remember=True)

    page = phone.get("/me/").get_data(as_text=True)
    assert "Signed-in devices" in page
    assert "Chrome on Android" in page and "Safari on macOS" in page
    assert page.count("This device") == 1

    laptop_row = db.session.scalar(
        db.select(UserSession).where(UserSession.device == "Safari on macOS")
    )
    response = post_form(phone, f"/auth/sessions/{laptop_row.id}/end", {}, form_url="/me/")
    assert response.status_code == 302
    assert "Safari on macOS is signed out." in phone.get("/me/").get_data(as_text=True)
    assert not is_signed_in(laptop)
    assert is_signed_in(phone)


def test_sign_out_every_other_device_keeps_this_one(app, mentor):
    here = signed_in(app, mentor)
    elsewhere = [signed_in(app, mentor, agent=LAPTOP) for _ in range(2)]

    post_form(here, "/auth/sessions/end-others", {}, form_url="/me/")

    assert is_signed_in(here)
    assert not any(is_signed_in(client) for client in elsewhere)


def test_no_one_can_end_another_persons_session(app, mentor, make_user, db):
    other = make_user()
    theirs = signed_in(app, other)
    mine = signed_in(app, mentor)
    their_row = db.session.scalar(db.select(UserSession).where(UserSession.user_id == other.id))

    response = post_form(mine, f"/auth/sessions/{their_row.id}/end", {}, form_url="/me/")

    assert response.status_code == 404
    assert is_signed_in(theirs)


def test_a_password_change_ends_every_session(app, mentor, db):
    devices = [signed_in(app, mentor), signed_in(app, mentor, remember=True)]
    auth.set_password(mentor, "saffron-glacier-compass-19", now=utcnow())
    db.session.commit()
    assert not any(is_signed_in(device) for device in devices)


def test_deactivating_an_account_ends_its_sessions_and_refuses_sign_in(app, mentor, db):
    device = signed_in(app, mentor, remember=True)
    auth.deactivate(mentor, now=utcnow())
    db.session.commit()

    assert not is_signed_in(device)
    response = log_in(app.test_client(), mentor)
    assert response.status_code == 403
    assert "This account is deactivated" in response.get_data(as_text=True)

    auth.reactivate(mentor)
    db.session.commit()
    assert log_in(app.test_client(), mentor).status_code == 302


def test_a_forged_or_malformed_cookie_id_signs_no_one_in(app, mentor, db):
    signed_in(app, mentor)
    row = db.session.scalar(db.select(UserSession))
    for cookie_id in (f"{row.id}.{'A' * 43}", f"{row.id}", "1:abc", "", "9" * 30 + ".x" * 20):
        assert sessions.session_from_cookie(cookie_id, now=utcnow()) is None


@pytest.mark.parametrize(
    ("agent", "device"),
    [
        (PHONE, "Chrome on Android"),
        (LAPTOP, "Safari on macOS"),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) CriOS/126.0 Mobile/15E148",
            "Chrome on iPhone",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0 Safari/537.36 Edg/131.0",
            "Edge on Windows",
        ),
        (
            "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
            "Firefox on Linux",
        ),
        ("curl/8.5", "Unknown browser"),
    ],
)
def test_devices_are_named_as_a_person_would(agent, device):
    assert sessions.describe_device(agent) == device


def test_someone_signed_out_cannot_end_sessions(app, mentor, db):
    signed_in(app, mentor)
    row = db.session.scalar(db.select(UserSession))
    stranger = app.test_client()
    token = csrf_token(stranger, "/auth/login")
    for url in (f"/auth/sessions/{row.id}/end", "/auth/sessions/end-others"):
        response = stranger.post(url, data={"csrf_token": token})
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    db.session.expire_all()
    assert db.session.get(UserSession, row.id).ended_at is None
