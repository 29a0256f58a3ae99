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


@pytest.mark.parametrize("proxies", [0, 1])
def test_the_address_limit_counts_the_client_behind_trusted_proxies_only(
    app, make_user, tmp_path, database, proxies
):
    """Behind one trusted proxy, two clients have their own budgets; with none trusted,
    a made-up X-Forwarded-For changes nothing (everyone is the proxy's address)."""
    from app import create_app
    from tests.conftest import make_config

    served = create_app(
        make_config(
            tmp_path,
            database,
            LOGIN_LIMIT_PER_ACCOUNT="100 per 15 minutes",
            LOGIN_LIMIT_PER_ADDRESS="5 per 15 minutes",
            TRUSTED_PROXIES=proxies,
        )
    )
    users = [make_user() for _ in range(10)]

    def tries_from(address: str, people) -> list[int]:
        client = served.test_client()
        client.environ_base["HTTP_X_FORWARDED_FOR"] = address
        return [log_in(client, u, password="wrong-password-again").status_code for u in people]

    first = tries_from("203.0.113.7", users[:5])
    second = tries_from("198.51.100.9", users[5:])
    assert first == [422] * 5
    assert second == ([422] * 5 if proxies else [429] * 5)
