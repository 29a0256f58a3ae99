"""API tokens: the service, the page coordinators manage them on, and the console command."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select, text

from app.api import tokens
from app.auth.models import Role
from app.clock import utcnow
from app.extensions import db as _db
from app.matching.models import ApiToken
from tests.api.conftest import bearer
from tests.conftest import PASSWORD, client_with_role, csrf_token, log_in, post_form

# --- the service --------------------------------------------------------------------------


def test_a_token_is_stored_only_as_its_hash(app, coordinator):
    token, plaintext = tokens.create_token(coordinator, "  matching system ", now=utcnow())
    _db.session.commit()
    assert plaintext.startswith("pre_") and len(plaintext) > 40
    assert token.prefix == plaintext[:8] and token.label == "matching system"
    assert token.token_hash == tokens.hash_token(plaintext) != plaintext
    with _db.engine.connect() as connection:
        rows = connection.execute(text("SELECT * FROM api_tokens")).all()
    stored = " ".join(str(value) for row in rows for value in row)
    assert plaintext not in stored and plaintext[8:] not in stored


def test_two_tokens_are_never_the_same(app, coordinator):
    first = tokens.create_token(coordinator, "a", now=utcnow())[1]
    second = tokens.create_token(coordinator, "a", now=utcnow())[1]
    assert first != second


@pytest.mark.parametrize("label", ["", "   ", "x" * 121])
def test_a_token_needs_a_short_label(app, coordinator, label):
    with pytest.raises(tokens.TokenError):
        tokens.create_token(coordinator, label, now=utcnow())


def test_authenticate_returns_the_owner_and_records_the_use(app, coordinator):
    now = utcnow()
    token, plaintext = tokens.create_token(coordinator, "a", now=now)
    assert tokens.authenticate(f"Bearer {plaintext}", now=now) == coordinator
    assert token.last_used_at == now


def test_last_use_is_written_at_most_once_a_minute(app, coordinator):
    now = utcnow()
    token, plaintext = tokens.create_token(coordinator, "a", now=now)
    tokens.authenticate(f"Bearer {plaintext}", now=now)
    tokens.authenticate(f"Bearer {plaintext}", now=now + timedelta(seconds=59))
    assert token.last_used_at == now
    tokens.authenticate(f"Bearer {plaintext}", now=now + timedelta(seconds=61))
    assert token.last_used_at == now + timedelta(seconds=61)


@pytest.mark.parametrize(
    "header", [None, "", "Bearer", "Bearer pre_unknown", "Token pre_x", "Bearer other_prefix"]
)
def test_authenticate_rejects_anything_but_a_known_bearer_token(app, header):
    assert tokens.authenticate(header, now=utcnow()) is None


def test_a_revoked_token_no_longer_authenticates(app, coordinator):
    now = utcnow()
    token, plaintext = tokens.create_token(coordinator, "a", now=now)
    tokens.revoke_token(token, now=now)
    tokens.revoke_token(token, now=now + timedelta(days=1))
    assert token.revoked_at == now
    assert tokens.authenticate(f"Bearer {plaintext}", now=now) is None


def test_a_deactivated_accounts_tokens_stop_working(client, coordinator, make_token):
    from app.auth import service as auth

    plaintext = make_token(coordinator)
    assert client.get("/api/v1/mentors", headers=bearer(plaintext)).status_code == 200
    auth.deactivate(coordinator, now=utcnow())
    _db.session.commit()

    response = client.get("/api/v1/mentors", headers=bearer(plaintext))
    assert response.status_code == 401
    assert response.get_json()["error"] == "unauthorized"

    auth.reactivate(coordinator)
    _db.session.commit()
    assert client.get("/api/v1/mentors", headers=bearer(plaintext)).status_code == 200


def test_an_api_request_records_the_last_use_in_the_database(client, coordinator, make_token):
    plaintext = make_token(coordinator)
    assert client.get("/api/v1/mentors", headers=bearer(plaintext)).status_code == 200
    _db.session.expire_all()
    token = _db.session.scalar(select(ApiToken).where(ApiToken.user_id == coordinator.id))
    assert token.last_used_at is not None


# --- the page -----------------------------------------------------------------------------


@pytest.fixture
def coordinator_client(client, coordinator):
    log_in(client, coordinator)
    return client


def test_coordinators_make_a_token_and_see_it_once(coordinator_client, coordinator):
    response = post_form(coordinator_client, "/api/tokens", {"label": "Matching system"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    assert "only time it is shown" in page
    (token,) = tokens.tokens_of(coordinator)
    plaintext = next(word for word in page.split('"') if word.startswith(token.prefix))
    assert tokens.hash_token(plaintext) == token.token_hash
    listing = coordinator_client.get("/api/tokens").get_data(as_text=True)
    assert "Matching system" in listing and token.prefix in listing
    assert plaintext not in listing
    assert "Never" in listing


def test_the_list_shows_when_a_token_was_last_used(coordinator_client, coordinator, make_token):
    plaintext = make_token(coordinator, "Reporting")
    assert "Never" in coordinator_client.get("/api/tokens").get_data(as_text=True)
    coordinator_client.get("/api/v1/mentors", headers=bearer(plaintext))
    page = coordinator_client.get("/api/tokens").get_data(as_text=True)
    assert "Never" not in page
    assert utcnow().strftime("%Y") + ", " in page  # when() prints "d Mon YYYY, HH:MM UTC"


def test_an_empty_label_shows_the_error_beside_the_field(coordinator_client, coordinator):
    response = post_form(coordinator_client, "/api/tokens", {"label": ""})
    assert response.status_code == 422
    assert "Give the token a label." in response.get_data(as_text=True)
    assert tokens.tokens_of(coordinator) == []


def test_coordinators_revoke_their_own_token(coordinator_client, coordinator, make_token):
    plaintext = make_token(coordinator, "Old system")
    (token,) = tokens.tokens_of(coordinator)
    response = post_form(coordinator_client, f"/api/tokens/{token.id}/revoke", {}, "/api/tokens")
    assert response.status_code == 302
    page = coordinator_client.get("/api/tokens").get_data(as_text=True)
    assert "is revoked" in page and "Revoked " in page
    assert coordinator_client.get("/api/v1/mentors", headers=bearer(plaintext)).status_code == 401


def test_no_one_can_revoke_someone_elses_token(app, coordinator, make_user, make_token):
    make_token(coordinator)
    (token,) = tokens.tokens_of(coordinator)
    other = client_with_role(app, make_user, Role.ADMIN)
    response = post_form(other, f"/api/tokens/{token.id}/revoke", {}, "/api/tokens")
    assert response.status_code == 404
    assert response.mimetype == "text/html"  # a page for people, not API JSON
    _db.session.expire_all()
    assert tokens.tokens_of(coordinator)[0].revoked_at is None


def test_revoking_needs_the_form_token(coordinator_client, coordinator, make_token):
    make_token(coordinator)
    (token,) = tokens.tokens_of(coordinator)
    response = coordinator_client.post(f"/api/tokens/{token.id}/revoke")
    assert response.status_code == 400 and response.mimetype == "text/html"
    _db.session.expire_all()
    assert tokens.tokens_of(coordinator)[0].revoked_at is None


def test_each_user_sees_only_their_own_tokens(app, coordinator, make_user, make_token):
    make_token(coordinator, "Cora's token")
    admin = client_with_role(app, make_user, Role.ADMIN)
    page = admin.get("/api/tokens").get_data(as_text=True)
    assert "Cora's token" not in page and "no API tokens yet" in page


@pytest.mark.parametrize("role", [Role.MENTOR, Role.EDUCATOR])
def test_mentors_and_educators_get_403_on_the_tokens_page(app, make_user, role):
    client = client_with_role(app, make_user, role)
    assert client.get("/api/tokens").status_code == 403
    token = csrf_token(client, "/auth/login")
    response = client.post("/api/tokens", data={"label": "x", "csrf_token": token})
    assert response.status_code == 403
    assert "API tokens" not in client.get("/courses/").get_data(as_text=True)


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get("/api/tokens")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_the_nav_links_coordinators_to_the_page(coordinator_client):
    assert 'href="/api/tokens"' in coordinator_client.get("/courses/").get_data(as_text=True)


# --- the console command ------------------------------------------------------------------


def test_the_command_prints_a_working_token_once(app, client, coordinator):
    result = app.test_cli_runner().invoke(
        args=["tokens", "create", "--email", coordinator.email, "--name", "Matching system"]
    )
    assert result.exit_code == 0, result.output
    plaintext = result.stdout.strip()
    assert plaintext.startswith("pre_")
    assert "warning" not in result.stderr
    assert client.get("/api/v1/mentors", headers=bearer(plaintext)).status_code == 200


def test_the_command_warns_when_the_token_cannot_read_mentor_data(app, mentor):
    result = app.test_cli_runner().invoke(
        args=["tokens", "create", "--email", mentor.email, "--name", "Mine"]
    )
    assert result.exit_code == 0
    assert result.stdout.strip().startswith("pre_")
    assert "warning" in result.stderr and "neither coordinator nor admin" in result.stderr


def test_the_command_refuses_an_unknown_user(app):
    result = app.test_cli_runner().invoke(
        args=["tokens", "create", "--email", "nobody@hospital.example", "--name", "x"]
    )
    assert result.exit_code == 2
    assert "no user with the e-mail" in result.output
    assert _db.session.scalars(select(ApiToken)).all() == []


def test_making_a_token_long_after_sign_in_asks_for_the_password_and_keeps_the_label(
    coordinator_client, coordinator
):
    from app.clock import reset_travel, travel

    travel(timedelta(minutes=20))
    try:
        asked = post_form(coordinator_client, "/api/tokens", {"label": "Nightly sync"})
        page = asked.get_data(as_text=True)
        assert "Confirm it is you" in page and 'value="Nightly sync"' in page
        assert tokens.tokens_of(coordinator) == []
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        made = coordinator_client.post(
            "/api/tokens",
            data={"csrf_token": token, "label": "Nightly sync", "confirm_password": PASSWORD},
        )
        assert made.status_code == 200 and "only time it is shown" in made.get_data(as_text=True)
        assert [t.label for t in tokens.tokens_of(coordinator)] == ["Nightly sync"]
    finally:
        reset_travel()
