from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.courses.models import Certification
from app.extensions import db


class Certificate(db.Model):
    """Issued once and never edited; revocation is a state recorded with the audit log."""

    __tablename__ = "certificates"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    certification_id: Mapped[int] = mapped_column(ForeignKey("certifications.id"), index=True)
    holder_name: Mapped[str] = mapped_column(String(120))
    issued_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    # {"courses": {"communication": 3, ...}, "quizzes": {"communication": 2, ...}}
    earned_on: Mapped[dict] = mapped_column(JSON)
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(String(1000))
    show_in_recognition: Mapped[bool] = mapped_column(default=False)
    holder: Mapped[User] = relationship()
    certification: Mapped[Certification] = relationship()


class Reminder(db.Model):
    """One row per reminder sent; the unique key makes each reminder go out once."""

    __tablename__ = "reminders"
    __table_args__ = (UniqueConstraint("key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200))  # e.g. "renewal:42" or "stalled:7:2026-10-01"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    sent_at: Mapped[datetime]
