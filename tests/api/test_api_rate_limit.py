"""API requests are limited per token (or per address without a valid token), in JSON."""

import pytest

from app.auth.models import Role
from tests.api.conftest import bearer
from tests.conftest import client_with_role


@pytest.fixture
def config_overrides():
    return {"API_RATE_LIMIT": "3 per minute"}


def test_past_the_limit_a_token_gets_a_429_json(client, coordinator_headers):
    for _ in range(3):
        assert client.get("/api/v1/mentees", headers=coordinator_headers).status_code == 200
    blocked = client.get("/api/v1/mentors", headers=coordinator_headers)  # one budget for all
    assert blocked.status_code == 429
    assert blocked.mimetype == "application/json"
    body = blocked.get_json()
    assert body["error"] == "too_many_requests" and "wait" in body["message"]
    assert "Retry-After" in blocked.headers


def test_each_token_has_its_own_budget(client, coordinator_headers, make_user, make_token):
    for _ in range(3):
        client.get("/api/v1/mentees", headers=coordinator_headers)
    other = bearer(make_token(make_user(Role.COORDINATOR)))
    assert client.get("/api/v1/mentees", headers=other).status_code == 200


def test_made_up_tokens_share_the_address_budget(client):
    statuses = [
        client.get("/api/v1/mentees", headers=bearer(f"pre_made-up-{n}")).status_code
        for n in range(4)
    ]
    assert statuses == [401, 401, 401, 429]


def test_the_tokens_page_is_not_limited_by_the_api_budget(app, make_user):
    client = client_with_role(app, make_user, Role.COORDINATOR)
    assert all(client.get("/api/tokens").status_code == 200 for _ in range(5))
