from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy import false as sa_false
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


class MentorStanding(db.Model):
    """Where one mentor stands toward one certification, kept in step with every change
    (app.certification.standing) so that pages listing thousands of mentors filter, sort,
    count and page in the database. Nothing here depends on the time: whether a held
    certificate is expired or expiring is decided at query time from its dates."""

    __tablename__ = "mentor_standings"
    __table_args__ = (
        *(
            Index(f"ix_mentor_standings_{name}", "certification_id", *columns)
            for name, columns in {
                "state_name": ("state", "name_key", "user_id"),
                "name": ("name_key", "user_id"),
                "percent": ("percent",),
                "quiz": ("best_quiz_percent",),
                "issued": ("issued_at",),
                "expires": ("expires_at",),
                "renewal": ("renewal_opens_at", "expires_at", "state"),
                "activity": ("last_activity_at",),
                "specialty": ("specialty_key", "state", "percent"),
                "awaiting": ("state", "courses_complete", "practice_done"),
            }.items()
        ),
        # Matched mentors whose certificate lapsed, found without reading anyone else.
        Index(
            "ix_mentor_standings_matched",
            "certification_id",
            "state",
            "expires_at",
            sqlite_where=text("active_matches > 0"),
            postgresql_where=text("active_matches > 0"),
        ),
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    certification_id: Mapped[int] = mapped_column(
        ForeignKey("certifications.id", ondelete="CASCADE"), primary_key=True
    )
    # The mentor as the lists filter and sort them (copied from users).
    name_key: Mapped[str] = mapped_column(String(120))  # the name, lower-cased
    email: Mapped[str] = mapped_column(String(254))
    specialty: Mapped[str | None] = mapped_column(String(120))
    specialty_key: Mapped[str | None] = mapped_column(String(120))
    # "not_started", "in_progress", "holds" (a certificate, valid or expired), "revoked"
    state: Mapped[str] = mapped_column(String(20))
    lessons_done: Mapped[int]
    lessons_total: Mapped[int]
    percent: Mapped[int]
    # The progress model's two halves of "every requirement met": with state
    # "in_progress", courses complete and practice not done is "awaiting observation".
    courses_complete: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    practice_done: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    best_quiz_percent: Mapped[int | None]
    last_activity_at: Mapped[datetime | None]
    # The latest certificate of this certification, whatever its state.
    certificate_id: Mapped[int | None] = mapped_column(
        ForeignKey("certificates.id", ondelete="SET NULL")
    )
    issued_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    renewal_opens_at: Mapped[datetime | None]
    active_matches: Mapped[int] = mapped_column(default=0)  # as mentor or as peer
