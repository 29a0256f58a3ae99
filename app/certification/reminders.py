"""Renewal and stalled-progress reminders: each event e-mailed once, whatever the cron does."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError

from app.auth.models import User
from app.certification import service, standing
from app.certification.models import Reminder
from app.courses.models import Certification
from app.extensions import db

STALLED_AFTER = timedelta(days=30)


@dataclass(frozen=True)
class Due:
    key: str
    user: User
    subject: str
    template: str
    context: dict


def _renewals_due(certification: Certification, *, now: datetime) -> list[Due]:
    latest = service.latest_certificates(certification)
    due = []
    for certificate in latest.values():
        opens = service.renewal_opens_at(certificate, certification)
        is_valid = service.status_of(certificate, now=now) is service.CertificateStatus.VALID
        if opens is not None and is_valid and now >= opens:
            due.append(
                Due(
                    key=f"renewal:{certificate.id}",
                    user=certificate.holder,
                    subject=f"Your {certification.title} certificate expires soon",
                    template="certification/email/renewal.txt",
                    context={"certificate": certificate, "certification": certification},
                )
            )
    return due


def _stalled(certification: Certification | None, *, now: datetime) -> list[Due]:
    mentors = list(db.session.scalars(standing.mentors_query()).unique())
    due = []
    for row in standing.standings(mentors, certification, now=now):
        quiet_since = row.last_activity
        is_stalled = quiet_since is not None and now - quiet_since >= STALLED_AFTER
        if row.status is standing.MentorStatus.IN_PROGRESS and is_stalled:
            due.append(
                Due(
                    key=f"stalled:{row.mentor.id}:{quiet_since:%Y-%m-%dT%H:%M:%S}",
                    user=row.mentor,
                    subject="Pick up where you left off in Preceptor",
                    template="certification/email/stalled.txt",
                    context={"row": row},
                )
            )
    return due


def reminders_due(program_certification: str, *, now: datetime) -> list[Due]:
    certifications = service.active_certifications()
    due = [d for c in certifications for d in _renewals_due(c, now=now)]
    program = next((c for c in certifications if c.slug == program_certification), None)
    return due + _stalled(program, now=now)


def send_due(due: list[Due], send: Callable[[Due], None], *, now: datetime) -> list[Due]:
    """Claim each reminder by its unique key, then send; a claimed key is never sent again."""
    sent = []
    for reminder in due:
        try:
            db.session.add(Reminder(key=reminder.key, user_id=reminder.user.id, sent_at=now))
            db.session.commit()
        except IntegrityError:
            db.session.rollback()  # already sent, by an earlier run or one running now
            continue
        try:
            send(reminder)
        except Exception:
            db.session.execute(delete(Reminder).where(Reminder.key == reminder.key))
            db.session.commit()  # free the claim so the next run retries
            raise
        sent.append(reminder)
    return sent
