"""The security event log (app.security_log) and the HTTP hygiene around it: what is
logged, in which format, what never is, and the answers to probes (TRACE, a crash)."""

import logging
import re

import pytest

from app import security_log
from app.auth.models import Role
from tests.conftest import PASSWORD, client_with_role, log_in

LINE = re.compile(r"^event=(\S+)( \w+=(\S+|\"(?:[^\"\\]|\\.)*\"))*$")


@pytest.fixture
def events(caplog):
    caplog.set_level(logging.INFO, logger="preceptor.security")

    def logged() -> list[str]:
        return [r.getMessage() for r in caplog.records if r.name == "preceptor.security"]

    return logged


def names(lines: list[str]) -> list[str]:
    return [line.split()[0].removeprefix("event=") for line in lines]


def test_sign_ins_and_their_failures_are_logged_without_the_address_or_password(
    client, mentor, events
):
    log_in(client, mentor, password="wrong-guess-for-the-log")
    log_in(client, "nobody@hospital.example", password="another-wrong-guess")
    log_in(client, mentor)
    lines = events()
    assert names(lines) == ["sign_in_failed", "sign_in_failed", "signed_in"]
    assert f"account={mentor.id}" in lines[0] and "account=-" in lines[1]
    assert f"user={mentor.id}" in lines[2] and "ip=127.0.0.1" in lines[2]
    for line in lines:
        assert LINE.match(line), line
        assert "@" not in line and "guess" not in line and PASSWORD not in line


def test_refusals_csrf_failures_and_rate_limits_are_logged(app, make_user, client, events):
    mentor_client = client_with_role(app, make_user, Role.MENTOR)
    assert mentor_client.get("/coordinator/").status_code == 403
    assert client.post("/auth/login", data={"email": "x@y.example"}).status_code == 400
    for _ in range(11):
        log_in(client, "target@hospital.example", password="guessing-wrongly-here")
    logged = names(events())
    assert {"access_denied", "csrf_failed", "rate_limited"} <= set(logged)


def test_a_typed_newline_or_quote_cannot_forge_a_second_line_or_field(app, caplog):
    caplog.set_level(logging.INFO, logger="preceptor.security")
    with app.test_request_context('/forum/x\nevent=signed_in user=1 "', method="POST"):
        security_log.event("csrf_failed", reason='bad\r\nevent=forged "quoted"')
    [line] = [r.getMessage() for r in caplog.records]
    assert "\n" not in line and "\r" not in line
    assert line.startswith("event=csrf_failed ") and line.count(" event=") == 0
    assert LINE.match(line), line


def test_log_lines_carry_utc_time_with_a_z():
    record = logging.LogRecord("preceptor.security", logging.INFO, __file__, 1, "x", (), None)
    record.created = 0.0  # 1970-01-01 00:00:00 UTC, whatever the server's zone
    line = security_log.UTCFormatter(security_log.LINE_FORMAT).format(record)
    assert line == "1970-01-01T00:00:00Z preceptor.security INFO x"


def test_a_mail_failure_logs_the_message_id_not_the_address(app, db, caplog):
    from app.mail import deliver_queued, send_mail

    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=1)  # nothing listens there
    send_mail("private.person@hospital.example", "Hello", "Body")
    db.session.commit()
    with caplog.at_level(logging.WARNING):
        sent, failed = deliver_queued()
    assert (sent, failed) == (0, 1)
    assert caplog.records and all("private.person" not in r.getMessage() for r in caplog.records)


def test_trace_and_other_unknown_methods_are_refused(client):
    for method in ("TRACE", "PUT", "DELETE"):
        response = client.open("/auth/login", method=method)
        assert response.status_code == 405, method
        assert "TRACE" not in response.headers.get("Allow", "")


def test_no_configuration_turns_on_debug_mode():
    from app.config import Config, DevelopmentConfig

    for config in (Config, DevelopmentConfig):
        assert not getattr(config, "DEBUG", False) and not getattr(config, "TESTING", False)


def test_an_unexpected_error_shows_a_generic_page_and_is_logged(app, client, caplog):
    @app.get("/boom-for-the-test")
    def boom():
        raise RuntimeError("secret internals: /srv/preceptor/app.py line 12")

    with caplog.at_level(logging.ERROR):
        response = client.get("/boom-for-the-test")
    page = response.get_data(as_text=True)
    assert response.status_code == 500 and "Something went wrong on our side" in page
    assert "secret internals" not in page and "Traceback" not in page
    assert any("unhandled error" in r.getMessage() for r in caplog.records)
    api = client.get("/api/v1/boom")  # and the API's answer is JSON
    assert api.status_code in (401, 404) and api.is_json


def test_health_checks_name_their_charset(client):
    for url in ("/healthz", "/readyz"):
        assert client.get(url).headers["Content-Type"] == "text/plain; charset=utf-8"


def test_a_session_cookie_is_not_a_reset_link_and_a_reset_link_is_not_a_session(
    app, client, mentor
):
    from app.auth import service
    from app.clock import utcnow

    log_in(client, mentor)
    cookie = client.get_cookie("session").value
    assert client.get(f"/auth/reset/{cookie}").status_code == 400
    token = service.make_reset_token(mentor, secret_key=app.secret_key, now=utcnow())
    stranger = app.test_client()
    stranger.set_cookie("session", token)
    assert stranger.get("/me/").status_code == 302, "a reset token signs no one in"


def test_pdfs_and_csv_exports_are_limited_per_person(app, make_user, db):
    """The two heaviest requests: a coordinator cannot keep the workers busy with them."""
    app.config["HEAVY_REQUESTS_LIMIT"] = "3 per minute"
    coordinator = client_with_role(app, make_user, Role.COORDINATOR)
    statuses = [coordinator.get("/coordinator/mentors.csv").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    other = client_with_role(app, make_user, Role.COORDINATOR)
    assert other.get("/coordinator/mentors.csv").status_code == 200, "a budget per person"
