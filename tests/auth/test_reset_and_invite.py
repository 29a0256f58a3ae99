"""Password reset by e-mailed link, invitations and sign-up by e-mail domain."""

import email
import re
from datetime import timedelta
from pathlib import Path

import pytest
from flask import request_finished, request_started
from sqlalchemy import event

from app.auth import service
from app.auth.models import Role
from app.clock import utcnow
from tests.conftest import client_with_role, csrf_token, log_in, post_form

NEW_PASSWORD = "cobalt-orchard-meridian-8"


def outbox(app) -> list[email.message.Message]:
    folder = Path(app.config["OUTBOX_DIR"])
    files = sorted(folder.glob("*.eml")) if folder.exists() else []
    return [email.message_from_bytes(path.read_bytes()) for path in files]


def link_in(message: email.message.Message) -> str:
    body = message.get_payload(decode=True).decode()
    return re.search(r"http://localhost(/auth/\S+)", body).group(1)


def ask_for_reset(client, address: str):
    return post_form(client, "/auth/forgot", {"email": address})


def choose_password(client, link: str, password: str = NEW_PASSWORD):
    return post_form(client, link, {"password": password, "confirm": password})


def test_a_forgotten_password_is_reset_through_the_emailed_link(app, client, mentor):
    page = ask_for_reset(client, mentor.email).get_data(as_text=True)
    assert "Check your e-mail" in page
    [message] = outbox(app)
    assert message["To"] == mentor.email and "Reset" in message["Subject"]
    response = choose_password(client, link_in(message))
    assert response.status_code == 302
    assert log_in(client, mentor, password=NEW_PASSWORD).status_code == 302


def test_an_unknown_address_gets_the_same_answer_and_a_mail_without_a_link(app, client):
    page = ask_for_reset(client, "nobody@hospital.example").get_data(as_text=True)
    assert "Check your e-mail" in page and "If there is an account" in page
    [message] = outbox(app)
    body = message.get_payload(decode=True).decode()
    assert message["To"] == "nobody@hospital.example"
    assert "there is no\nPreceptor account for this address" in body
    assert "/auth/reset/" not in body


def test_known_and_unknown_addresses_do_the_same_work_in_the_request(app, client, mentor, db):
    """The same statements in the request, and no mail sent in it (it goes out after the
    response): neither the answer nor the time it takes tells who has an account."""
    in_request = {"on": False}
    statements: list[str] = []
    files_at_the_end: list[int] = []

    def started(_sender, **_extra):
        in_request["on"] = True

    def finished(_sender, **_extra):
        in_request["on"] = False
        files_at_the_end.append(len(outbox(app)))

    def record(_conn, _cursor, statement, *_args):
        if in_request["on"]:
            statements.append(re.sub(r"\s+", " ", statement))

    def work_for(address: str) -> list[str]:
        statements.clear()
        before = len(outbox(app))
        csrf = csrf_token(client, "/auth/forgot")
        with (
            request_started.connected_to(started, app),
            request_finished.connected_to(finished, app),
        ):
            event.listen(db.engine, "before_cursor_execute", record)
            try:
                client.post("/auth/forgot", data={"email": address, "csrf_token": csrf})
            finally:
                event.remove(db.engine, "before_cursor_execute", record)
        assert files_at_the_end.pop() == before, "no mail goes out inside the request"
        assert len(outbox(app)) == before + 1, "it goes out after the response"
        return list(statements)

    known = work_for(mentor.email)
    unknown = work_for("nobody@hospital.example")
    assert known == unknown
    assert any(s.startswith("INSERT INTO outgoing_mail") for s in known)


def test_a_reset_link_works_only_once(app, client, mentor):
    ask_for_reset(client, mentor.email)
    link = link_in(outbox(app)[0])
    choose_password(client, link)
    again = client.get(link)
    assert again.status_code == 400 and "already been used" in again.get_data(as_text=True)


def test_an_expired_reset_link_is_refused(app, client, mentor):
    old = service.make_reset_token(
        mentor, secret_key=app.secret_key, now=utcnow() - timedelta(hours=2)
    )
    response = client.get(f"/auth/reset/{old}")
    assert response.status_code == 400 and "expired" in response.get_data(as_text=True)


def test_a_tampered_reset_link_is_refused(client, mentor):
    assert client.get("/auth/reset/not-a-real-token").status_code == 400


def test_a_weak_new_password_is_shown_beside_the_field_and_nothing_changes(app, client, mentor):
    ask_for_reset(client, mentor.email)
    link = link_in(outbox(app)[0])
    page = choose_password(client, link, "password1234").get_data(as_text=True)
    assert "too common" in page and 'aria-invalid="true"' in page
    assert log_in(client, mentor).status_code == 302  # the old password still works


def invite(client, address: str, *roles: str):
    return post_form(client, "/auth/invite", {"email": address, "roles": list(roles) or ["mentor"]})


def test_a_coordinator_invites_a_mentor_who_sets_up_an_account(app, make_user):
    coordinator = client_with_role(app, make_user, Role.COORDINATOR)
    response = invite(coordinator, "new.mentor@hospital.example")
    assert response.status_code == 302
    [message] = outbox(app)
    assert message["To"] == "new.mentor@hospital.example"
    newcomer = app.test_client()
    link = link_in(message)
    assert "new.mentor@hospital.example" in newcomer.get(link).get_data(as_text=True)
    form = {"name": "Dr. Ama Mensah", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
    assert post_form(newcomer, link, form).headers["Location"] == "/courses/"
    assert "Welcome to Preceptor, Dr. Ama Mensah" in newcomer.get("/courses/").get_data(
        as_text=True
    )
    user = service.find_user("new.mentor@hospital.example")
    assert user.roles == {Role.MENTOR}
    assert newcomer.get(link).status_code == 400  # used once


def test_an_expired_invitation_is_refused(app, db, make_user):
    inviter = make_user(Role.ADMIN)
    issued = service.create_invite(
        "late@hospital.example",
        {Role.MENTOR},
        invited_by=inviter,
        now=utcnow() - timedelta(days=30),
        max_age_days=14,
    )
    db.session.commit()
    response = app.test_client().get(f"/auth/accept/{issued.token}")
    assert response.status_code == 400 and "expired" in response.get_data(as_text=True)


def test_an_admin_may_invite_any_role_and_a_coordinator_only_mentors(app, make_user):
    admin = client_with_role(app, make_user, Role.ADMIN)
    assert invite(admin, "ed@hospital.example", "educator", "coordinator").status_code == 302
    coordinator = client_with_role(app, make_user, Role.COORDINATOR)
    refused = invite(coordinator, "sneaky@hospital.example", "admin")
    assert refused.status_code == 200 and "not a valid choice" in refused.get_data(as_text=True)
    assert [m["To"] for m in outbox(app)] == ["ed@hospital.example"]


def test_inviting_an_existing_account_says_so_beside_the_field(app, make_user):
    existing = make_user()
    admin = client_with_role(app, make_user, Role.ADMIN)
    page = invite(admin, existing.email).get_data(as_text=True)
    assert "There is already an account" in page and 'aria-invalid="true"' in page


@pytest.mark.parametrize("role", [Role.MENTOR, Role.EDUCATOR])
def test_mentors_and_educators_cannot_invite(app, make_user, role):
    client = client_with_role(app, make_user, role)
    assert client.get("/auth/invite").status_code == 403
    assert client.post("/auth/invite", data={"email": "x@hospital.example"}).status_code in (
        400,
        403,
    )


def test_signed_out_visitors_cannot_invite(client):
    assert client.get("/auth/invite").status_code == 302


def test_sign_up_is_closed_without_allowed_domains(client):
    response = client.get("/auth/signup")
    assert response.status_code == 404 and "by invitation" in response.get_data(as_text=True)


class TestSignupByDomain:
    @pytest.fixture
    def config_overrides(self):
        return {"SIGNUP_EMAIL_DOMAINS": ("stmarys.example",)}

    def test_an_address_at_an_allowed_domain_gets_a_link_and_becomes_a_mentor(self, app, client):
        page = post_form(client, "/auth/signup", {"email": "Dr.Lee@StMarys.example"}).get_data(
            as_text=True
        )
        assert "Check your e-mail" in page
        link = link_in(outbox(app)[0])
        form = {"name": "Dr. Min Lee", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
        post_form(client, link, form)
        assert service.find_user("dr.lee@stmarys.example").roles == {Role.MENTOR}

    def test_another_domain_is_refused_beside_the_field(self, app, client):
        page = post_form(client, "/auth/signup", {"email": "someone@gmail.example"}).get_data(
            as_text=True
        )
        assert "Sign-up is open to addresses at @stmarys.example" in page
        assert outbox(app) == []


def test_the_reset_link_uses_the_configured_address_not_the_requests_host(app, client, mentor):
    host = {"base_url": "http://attacker.example"}
    page = client.get("/auth/forgot", **host).get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    client.post("/auth/forgot", data={"email": mentor.email, "csrf_token": token}, **host)
    body = outbox(app)[0].get_payload(decode=True).decode()
    assert "attacker.example" not in body and "http://localhost/auth/reset/" in body
