"""E-mail is queued with what it announces and sent after the response; a mail server
that is down loses nothing: the message waits, with its error, for `mail retry`."""

import socket
import threading
from pathlib import Path

import pytest
from sqlalchemy import select

from app.auth.models import Role
from app.extensions import db as _db
from app.mail import deliver_queued, send_mail
from app.mail.models import OutgoingMail
from tests.conftest import client_with_role, post_form


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens there once the probe closes


@pytest.fixture
def config_overrides():
    return {"MAIL_SERVER": "127.0.0.1", "MAIL_PORT": _closed_port()}


def outbox_files(app) -> list[Path]:
    folder = Path(app.config["OUTBOX_DIR"])
    return sorted(folder.glob("*.eml")) if folder.exists() else []


def queued() -> list[OutgoingMail]:
    _db.session.expire_all()
    return list(_db.session.scalars(select(OutgoingMail).order_by(OutgoingMail.id)))


def test_an_invitation_while_the_mail_server_is_down_waits_for_retry(app, make_user):
    coordinator = client_with_role(app, make_user, Role.COORDINATOR)

    response = post_form(
        coordinator, "/auth/invite", {"email": "new@hospital.example", "roles": "mentor"}
    )

    assert response.status_code == 302, "the invitation stands"
    [mail] = queued()
    assert mail.sent_at is None and mail.attempts == 1
    assert "ConnectionRefusedError" in mail.last_error

    app.config["MAIL_SERVER"] = ""  # the mail server is back (here: the outbox)
    result = app.test_cli_runner().invoke(args=["mail", "retry"])

    assert result.exit_code == 0, result.output
    assert "1 e-mail(s) sent, 0 still queued" in result.output
    [mail] = queued()
    assert mail.sent_at is not None and mail.attempts == 2 and mail.last_error is None
    [file] = outbox_files(app)
    assert "new@hospital.example" in file.read_text()


def test_retry_says_what_is_still_queued_and_exits_1(app, make_user):
    send_mail("someone@hospital.example", "Hello", "Body")
    _db.session.commit()

    result = app.test_cli_runner().invoke(args=["mail", "retry"])

    assert result.exit_code == 1
    assert "0 e-mail(s) sent, 1 still queued" in result.output


def test_senders_running_at_once_send_each_message_once(app):
    app.config["MAIL_SERVER"] = ""
    for number in range(6):
        send_mail(f"person{number}@hospital.example", "Hello", "Body")
    _db.session.commit()
    barrier = threading.Barrier(4)

    def sender() -> None:
        with app.app_context():
            barrier.wait()
            deliver_queued()
            _db.session.remove()

    threads = [threading.Thread(target=sender) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(outbox_files(app)) == 6
    assert all(mail.sent_at is not None and mail.attempts == 1 for mail in queued())


def test_mail_of_a_request_that_fails_is_never_sent(app, make_user, db):
    """Queued in the request's transaction: rolled back with it, nothing goes out."""
    app.config["MAIL_SERVER"] = ""
    send_mail("someone@hospital.example", "Hello", "Body")
    db.session.rollback()
    deliver_queued()
    assert outbox_files(app) == [] and queued() == []
