"""Renewal and stalled-progress reminders: each event e-mailed once, whatever the cron does."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from app.auth.models import User
from app.certification import service, standing
from app.certification.models import MentorStanding, Reminder
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


def _practice_missing(certification: Certification) -> set[int]:
    """Holders without a sign-off of the certification's practice (certified before it
    asked for one): their renewal needs it too, so the reminder says so."""
    return set(
        db.session.scalars(
            select(MentorStanding.user_id).where(
                MentorStanding.certification_id == certification.id,
                MentorStanding.state == "holds",
                MentorStanding.practice_done.is_(False),
            )
        )
    )


def _renewals_due(certification: Certification, *, now: datetime) -> list[Due]:
    latest = service.latest_certificates(certification)
    missing = _practice_missing(certification)
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
                    context={
                        "certificate": certificate,
                        "certification": certification,
                        "practice_missing": certificate.user_id in missing,
                    },
                )
            )
    return due


def _stalled(certification: Certification | None, *, now: datetime) -> list[Due]:
    """Mentors in progress with nothing done for STALLED_AFTER, from the stored standings.
    Those whose courses are complete are not sent back to them: what they have left is
    the observed practice, and the e-mail says how to arrange it."""
    if certification is None:
        return []
    quiet = db.session.scalars(
        select(MentorStanding)
        .where(
            MentorStanding.certification_id == certification.id,
            MentorStanding.state == standing.MentorStatus.IN_PROGRESS.value,
            MentorStanding.last_activity_at <= now - STALLED_AFTER,
        )
        .order_by(MentorStanding.user_id)
    ).all()
    due = []
    for start in range(0, len(quiet), standing.BATCH):
        batch = quiet[start : start + standing.BATCH]
        for row in standing.page_standings(batch, certification, now=now):
            due.append(
                Due(
                    key=f"stalled:{row.mentor.id}:{row.last_activity:%Y-%m-%dT%H:%M:%S}",
                    user=row.mentor,
                    subject="Arrange your observed mentoring conversation"
                    if row.awaiting_observation
                    else "Pick up where you left off in Preceptor",
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
