import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.clock import utcnow
from app.extensions import db, value_enum


class AuditAction(enum.StrEnum):
    CERTIFICATE_ISSUED = "certificate_issued"
    CERTIFICATE_REVOKED = "certificate_revoked"
    CERTIFICATE_REINSTATED = "certificate_reinstated"
    ACCOMMODATION_GRANTED = "accommodation_granted"
    ATTEMPTS_GRANTED = "attempts_granted"
    POST_HIDDEN = "post_hidden"
    POST_RESTORED = "post_restored"
    THREAD_LOCKED = "thread_locked"
    THREAD_UNLOCKED = "thread_unlocked"
    THREAD_PINNED = "thread_pinned"
    THREAD_UNPINNED = "thread_unpinned"
    THREAD_MOVED = "thread_moved"
    REPORT_DISMISSED = "report_dismissed"


class AuditEvent(db.Model):
    """Append-only: the app has no code path that updates or deletes a row."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[AuditAction] = mapped_column(value_enum(AuditAction, "audit_action"))
    subject_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    subject: Mapped[str] = mapped_column(String(200))  # e.g. "certificate 7K2M-9QXD-4HTR-WB6P"
    reason: Mapped[str] = mapped_column(String(1000), default="")
    details: Mapped[dict] = mapped_column(JSON, default=dict)
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
