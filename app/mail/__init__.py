"""Outgoing e-mail. `send_mail` queues a message in the database, in the caller's
transaction; it is delivered after the response has gone out (or, in a command, by
`deliver_queued`), through SMTP when MAIL_SERVER is set, else as an .eml file in the
outbox. A message the mail server refuses stays queued, with its error, for
`preceptor mail retry` (safe from cron: each message is claimed before it is sent).
"""

import smtplib
import ssl
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from flask import Flask, current_app, g, has_app_context
from sqlalchemy import or_, select, update
from werkzeug.wrappers import Response

from app.clock import utcnow
from app.extensions import db
from app.mail.models import OutgoingMail

CLAIM_EXPIRES = timedelta(minutes=10)  # a sender that died mid-way frees its message


def send_mail(to: str, subject: str, body: str) -> OutgoingMail:
    """Queue one message; it goes out once the caller's transaction has committed."""
    mail = OutgoingMail(
        # Header values are single lines whatever the caller passes (a name in a subject).
        to_address=" ".join(to.split()),
        subject=" ".join(subject.split()),
        body=body,
        message_id=make_msgid(domain="preceptor"),
        created_at=utcnow(),
    )
    db.session.add(mail)
    db.session.flush()
    if has_app_context():
        g.setdefault("queued_mail", []).append(mail.id)
    return mail


def _message(mail: OutgoingMail) -> EmailMessage:
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = mail.to_address
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(mail.created_at.replace(tzinfo=UTC), usegmt=True)
    message["Message-ID"] = mail.message_id
    message.set_content(mail.body)
    return message


def _transmit(message: EmailMessage, *, now: datetime) -> None:
    config = current_app.config
    if config["MAIL_SERVER"]:
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=30) as smtp:
            smtp.starttls(context=ssl.create_default_context())  # verify the server
            if config["MAIL_USERNAME"]:
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
            smtp.send_message(message)
    else:
        outbox = config["OUTBOX_DIR"]
        outbox.mkdir(parents=True, exist_ok=True)
        name = f"{now:%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}.eml"
        (outbox / name).write_bytes(bytes(message))


def _claim(mail_id: int, *, now: datetime) -> bool:
    claimed = db.session.execute(
        update(OutgoingMail)
        .where(
            OutgoingMail.id == mail_id,
            OutgoingMail.sent_at.is_(None),
            or_(OutgoingMail.claimed_at.is_(None), OutgoingMail.claimed_at < now - CLAIM_EXPIRES),
        )
        .values(claimed_at=now)
    ).rowcount
    db.session.commit()
    return bool(claimed)


def deliver_queued(ids: Iterable[int] | None = None) -> tuple[int, int]:
    """Send the queued messages (those ids, or every unsent one); (sent, still queued)."""
    query = select(OutgoingMail.id).where(OutgoingMail.sent_at.is_(None))
    if ids is not None:
        query = query.where(OutgoingMail.id.in_(list(ids)))
    sent = failed = 0
    for mail_id in db.session.scalars(query.order_by(OutgoingMail.id)).all():
        now = utcnow()
        if not _claim(mail_id, now=now):
            continue  # sent already, or another sender has it
        mail = db.session.get(OutgoingMail, mail_id)
        mail.attempts += 1
        try:
            _transmit(_message(mail), now=now)
        except (OSError, smtplib.SMTPException) as error:
            mail.claimed_at, mail.last_error = None, f"{type(error).__name__}: {error}"[:1000]
            failed += 1
            # The message's id, not its address: the log holds no personal data.
            current_app.logger.warning("mail %s stays queued: %s", mail_id, error)
        else:
            mail.sent_at, mail.last_error = now, None
            sent += 1
        db.session.commit()
    return sent, failed


def register_delivery(app: Flask) -> None:
    """Mail queued by a request goes out after its response has been sent, so the request
    does the same work whether or not it sends mail (a reset for an unknown address)."""

    @app.after_request
    def deliver_after_response(response: Response) -> Response:
        ids = g.pop("queued_mail", None)
        if ids:
            application = current_app._get_current_object()
            response.call_on_close(lambda: _deliver_in_new_context(application, ids))
        return response


def _deliver_in_new_context(app: Flask, ids: list[int]) -> None:
    with app.app_context():
        try:
            deliver_queued(ids)
        except Exception:  # never let a mail problem break the server; `mail retry` resends
            app.logger.exception("delivering queued mail failed")
        finally:
            db.session.remove()
