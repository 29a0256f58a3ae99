"""Odd input a user can type gets a clear answer, never a server error."""

import pytest

from app.auth.models import Role
from app.mail import send_mail
from tests.conftest import client_with_role, csrf_token, post_form

HUGE = "999999999999999999999"


@pytest.mark.parametrize(
    ("role", "url"),
    [
        (Role.MENTOR, f"/quizzes/goals-check/attempts/{HUGE}/"),
        (Role.COORDINATOR, f"/coordinator/mentors/{HUGE}/"),
        (Role.COORDINATOR, f"/matching/mentees/{HUGE}/"),
    ],
)
def test_ids_too_large_for_the_database_are_not_found(app, synced, make_user, role, url):
    assert client_with_role(app, make_user, role).get(url).status_code == 404


@pytest.mark.parametrize("url", ["/verify/AB%00CD", "/courses/%00/", "/auth/login?next=%00"])
def test_nul_bytes_are_refused_with_400(app, synced, client, url):
    assert client.get(url).status_code == 400


def test_a_certificate_code_with_a_nul_byte_is_not_found_in_the_api(app, synced, client):
    response = client.get("/api/v1/certificates/AB%00CD")
    assert response.status_code == 404 and response.get_json()["error"] == "not_found"


def test_unicode_digits_in_dashboard_filters_are_ignored(app, synced, make_user):
    coordinator = client_with_role(app, make_user, Role.COORDINATOR)
    for query in ("?expires_within=²", "?page=²"):
        assert coordinator.get("/coordinator/" + query).status_code == 200
        assert coordinator.get("/coordinator/mentors.csv" + query).status_code == 200


def test_a_name_with_a_line_break_is_refused_beside_the_field(app, synced, make_user):
    coordinator = client_with_role(app, make_user, Role.COORDINATOR)
    form = {
        "name": "Eve\r\nBcc: x@evil.example",
        "email": "eve@hospital.example",
        "specialty": "Surgery",
        "career_stage": "resident",
    }
    page = post_form(coordinator, "/matching/mentees", form, form_url="/matching/").get_data(
        as_text=True
    )
    assert "Use a single line without special characters." in page


def test_mail_headers_stay_single_lines(app, db):
    import email
    from pathlib import Path

    from app.mail import deliver_queued

    send_mail("someone@hospital.example", "Hello\r\nBcc: x@evil.example", "Body")
    db.session.commit()
    deliver_queued()
    [path] = Path(app.config["OUTBOX_DIR"]).glob("*.eml")
    message = email.message_from_bytes(path.read_bytes())
    assert message["Subject"] == "Hello Bcc: x@evil.example"
    assert "Bcc" not in message


def test_a_nul_byte_in_a_multipart_form_is_refused(app, synced, make_user, db):
    from app.forum import service as forum

    forum.seed_default_categories()
    db.session.commit()
    member = client_with_role(app, make_user, Role.MENTOR)
    token_page = "/forum/c/introductions/new"
    form = {"title": "Hello from the wards", "body": "First\x00post", "action": "post"}
    response = member.post(
        token_page,
        data={**form, "csrf_token": csrf_token(member, token_page)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    from app.forum.models import Post

    assert db.session.scalar(db.select(db.func.count()).select_from(Post)) == 0


def test_a_nul_byte_in_a_repeated_field_is_refused(app, synced, make_user):
    member = client_with_role(app, make_user, Role.MENTOR)
    response = member.get("/courses/?x=fine&x=bad%00")
    assert response.status_code == 400


def test_json_nested_too_deeply_is_a_400_not_a_500(app, synced, make_user):
    from app.api import tokens
    from app.clock import utcnow

    coordinator = make_user(Role.COORDINATOR)
    _token, plaintext = tokens.create_token(coordinator, "matching", now=utcnow())
    from app.extensions import db

    db.session.commit()
    body = "[" * 100_000 + "]" * 100_000
    response = app.test_client().post(
        "/api/v1/matches",
        data=body,
        headers={"Authorization": f"Bearer {plaintext}", "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.get_json()["error"] == "bad_request"
