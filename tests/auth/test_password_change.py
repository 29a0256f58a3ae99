"""Changing one's password in the app, confirming the password before ending other
devices' sessions, and the notice when someone's guessing pauses an account's sign-in."""

import re
from datetime import timedelta

import pytest

from app.clock import reset_travel, travel
from tests.auth.test_reset_and_invite import outbox
from tests.auth.test_sessions import LAPTOP, is_signed_in, signed_in
from tests.conftest import PASSWORD, csrf_token, log_in, post_form

NEW_PASSWORD = "quiet-heron-over-the-marsh-7"


@pytest.fixture
def clock():
    reset_travel()
    yield travel
    reset_travel()


def change(client, current: str, new: str = NEW_PASSWORD, confirm: str | None = None):
    form = {"current_password": current, "password": new, "confirm": confirm or new}
    return post_form(client, "/auth/password", form)


def test_my_progress_leads_to_the_change_password_form(app, mentor):
    phone = signed_in(app, mentor)
    assert 'href="/auth/password"' in phone.get("/me/").get_data(as_text=True)
    page = phone.get("/auth/password").get_data(as_text=True)
    for name in ("current_password", "password", "confirm"):
        [tag] = re.findall(rf'<input[^>]*name="{name}"[^>]*>', page)
        assert 'type="password"' in tag and 'value=""' in tag
    assert 'autocomplete="current-password"' in page and 'autocomplete="new-password"' in page


def test_a_changed_password_signs_out_every_other_device_and_keeps_this_one(app, mentor):
    phone, laptop = signed_in(app, mentor), signed_in(app, mentor, agent=LAPTOP)
    response = change(phone, PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/me/#sessions"
    assert "Every other device is signed out" in phone.get("/me/").get_data(as_text=True)
    assert is_signed_in(phone), "the device that changed it stays signed in"
    assert not is_signed_in(laptop)
    assert log_in(app.test_client(), mentor, password=PASSWORD).status_code == 422
    assert log_in(app.test_client(), mentor, password=NEW_PASSWORD).status_code == 302
    [notice] = [m for m in outbox(app) if m["Subject"] == "Your Preceptor password was changed"]
    assert notice["To"] == mentor.email
    assert "http://localhost/auth/forgot" in notice.get_payload(decode=True).decode()


def test_a_wrong_current_password_changes_nothing_and_says_so_beside_the_field(app, mentor):
    phone = signed_in(app, mentor)
    response = change(phone, "not-my-password-at-all")
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="current_password-error">That is not your current password.' in page
    assert log_in(app.test_client(), mentor, password=PASSWORD).status_code == 302
    assert outbox(app) == []


def test_the_new_password_follows_the_rules(app, mentor):
    phone = signed_in(app, mentor)
    too_common = change(phone, PASSWORD, new="baseball1234")
    assert too_common.status_code == 422
    assert "too common" in too_common.get_data(as_text=True)
    mismatch = change(phone, PASSWORD, new=NEW_PASSWORD, confirm=NEW_PASSWORD + "x")
    assert "The two passwords differ." in mismatch.get_data(as_text=True)
    assert log_in(app.test_client(), mentor, password=PASSWORD).status_code == 302


def test_a_stolen_session_cannot_guess_the_password_on_the_change_form(app, mentor):
    """Wrong current passwords count against the sign-in budget (10 per 15 minutes)."""
    phone = signed_in(app, mentor)
    statuses = [change(phone, f"guess-number-{n:04d}-x").status_code for n in range(11)]
    assert statuses == [422] * 10 + [429]
    assert change(phone, PASSWORD).status_code == 429, "the right one waits too"


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get("/auth/password")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def end_laptop(phone, laptop_session_id: int, **extra):
    return post_form(phone, f"/auth/sessions/{laptop_session_id}/end", extra, form_url="/me/")


def laptop_session_id(phone) -> int:
    page = phone.get("/me/").get_data(as_text=True)
    ids = [int(n) for n in re.findall(r"/auth/sessions/(\d+)/end", page)]
    return max(ids)  # the laptop signed in last


def test_ending_another_device_after_a_while_asks_for_the_password_first(app, mentor, clock):
    phone = signed_in(app, mentor)
    laptop = signed_in(app, mentor, agent=LAPTOP)
    target = laptop_session_id(phone)
    clock(timedelta(minutes=16))  # the confirmation at sign-in has lapsed

    asked = end_laptop(phone, target)
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "Confirm it is you" in page
    assert f'action="/auth/sessions/{target}/end"' in page
    assert is_signed_in(laptop), "nothing ended before the password is confirmed"

    wrong = end_laptop(phone, target, confirm_password="not-my-password-at-all")
    assert wrong.status_code == 422 and "That is not your password." in wrong.get_data(as_text=True)
    assert is_signed_in(laptop)

    right = end_laptop(phone, target, confirm_password=PASSWORD)
    assert right.status_code == 302 and not is_signed_in(laptop)


def test_a_session_restored_from_the_remember_cookie_confirms_before_ending_others(app, mentor):
    kept = signed_in(app, mentor, remember=True)
    signed_in(app, mentor, agent=LAPTOP)
    restored = app.test_client()
    restored.set_cookie("remember_token", kept.get_cookie("remember_token").value)
    token = csrf_token(restored, "/me/")
    response = restored.post("/auth/sessions/end-others", data={"csrf_token": token})
    assert "Confirm it is you" in response.get_data(as_text=True)
    confirmed = restored.post(
        "/auth/sessions/end-others", data={"csrf_token": token, "confirm_password": PASSWORD}
    )
    assert confirmed.status_code == 302
    assert "Every other device is signed out." in restored.get("/me/").get_data(as_text=True)


def test_guessing_an_accounts_password_pauses_it_and_tells_the_owner_once(app, mentor, client):
    statuses = [
        log_in(client, mentor, password=f"guess-{n:04d}-wrong").status_code for n in range(13)
    ]
    assert statuses[:10] == [422] * 10 and set(statuses[10:]) == {429}
    notices = [m for m in outbox(app) if "paused" in m["Subject"]]
    assert len(notices) == 1 and notices[0]["To"] == mentor.email
    body = notices[0].get_payload(decode=True).decode()
    assert "15 minutes" in body and "http://localhost/auth/forgot" in body


def test_guessing_an_unknown_address_tells_no_one(app, client):
    for n in range(12):
        log_in(client, "nobody@hospital.example", password=f"guess-{n:04d}-wrong")
    assert outbox(app) == []
