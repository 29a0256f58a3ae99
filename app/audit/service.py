"""The audit log: who did what, to whom, when and why. Rows are only ever added."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.audit.models import AuditAction, AuditEvent
from app.auth.models import User
from app.extensions import db


def record(
    action: AuditAction,
    *,
    actor: User | None,
    subject: str,
    subject_user: User | None = None,
    reason: str = "",
    details: dict | None = None,
    now: datetime,
) -> AuditEvent:
    event = AuditEvent(
        at=now,
        actor_id=actor.id if actor else None,
        action=action,
        subject_user_id=subject_user.id if subject_user else None,
        subject=subject,
        reason=reason,
        details=details or {},
    )
    db.session.add(event)
    db.session.flush()
    return event


def events_about(user: User) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent)
            .options(selectinload(AuditEvent.actor))
            .where(AuditEvent.subject_user_id == user.id)
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        )
    )
