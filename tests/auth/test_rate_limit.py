"""Sign-in attempts are limited per account and per address."""

import pytest

from tests.conftest import log_in


@pytest.fixture
def config_overrides():
    return {
        "LOGIN_LIMIT_PER_ACCOUNT": "3 per 15 minutes",
        "LOGIN_LIMIT_PER_ADDRESS": "5 per 15 minutes",
    }


def test_too_many_attempts_on_one_account_get_a_clear_429_page(client, mentor):
    for _ in range(3):
        assert log_in(client, mentor, password="wrong-password-again").status_code == 422
    blocked = log_in(client, mentor)  # even the right password waits now
    assert blocked.status_code == 429
    assert "Too many attempts" in blocked.get_data(as_text=True)
    assert "wait a few minutes" in blocked.get_data(as_text=True)


def test_the_account_limit_does_not_lock_out_other_accounts(client, make_user):
    target, other = make_user(), make_user()
    for _ in range(3):
        log_in(client, target, password="wrong-password-again")
    assert log_in(client, other).status_code == 302


def test_too_many_attempts_from_one_address_across_accounts_are_limited(client, make_user):
    users = [make_user() for _ in range(6)]
    statuses = [log_in(client, user, password="wrong-password-again").status_code for user in users]
    assert statuses[:5] == [422] * 5 and statuses[5] == 429


def test_viewing_the_form_is_not_limited(client, mentor):
    for _ in range(8):
        assert client.get("/auth/login").status_code == 200
