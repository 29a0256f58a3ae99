import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.clock import utcnow
from app.extensions import db, value_enum


class CareerStage(enum.StrEnum):
    """In order: a mentor should be ahead of the mentee."""

    STUDENT = "student"
    RESIDENT = "resident"
    FELLOW = "fellow"
    EARLY_CAREER = "early_career_attending"
    MID_CAREER = "mid_career"
    SENIOR = "senior"

    @property
    def label(self) -> str:
        return {
            "early_career_attending": "Early-career attending",
            "mid_career": "Mid-career",
        }.get(self.value, self.value.capitalize())

    @property
    def rank(self) -> int:
        return list(CareerStage).index(self)


INTERESTS = (
    "research",
    "clinical skills",
    "leadership",
    "academic promotion",
    "wellbeing",
    "work-life integration",
    "teaching",
    "career planning",
    "quality improvement",
    "global health",
)


class MatchKind(enum.StrEnum):
    MENTEE = "mentee"  # a certified mentor and a mentee
    PEER = "peer"  # two mentors at the same career stage


class MentorProfile(db.Model):
    __tablename__ = "mentor_profiles"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    career_stage: Mapped[CareerStage] = mapped_column(
        value_enum(CareerStage, "mentor_career_stage")
    )
    interests: Mapped[list[str]] = mapped_column(JSON, default=list)
    capacity: Mapped[int] = mapped_column(default=2)
    open_to_other_specialties: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    user: Mapped[User] = relationship()


class Mentee(db.Model):
    __tablename__ = "mentees"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    specialty: Mapped[str] = mapped_column(String(120))
    career_stage: Mapped[CareerStage] = mapped_column(
        value_enum(CareerStage, "mentee_career_stage")
    )
    interests: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Match(db.Model):
    __tablename__ = "matches"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[MatchKind] = mapped_column(value_enum(MatchKind, "match_kind"))
    mentor_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    mentee_id: Mapped[int | None] = mapped_column(
        ForeignKey("mentees.id", ondelete="CASCADE"), index=True
    )
    peer_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(String(500))
    mentor: Mapped[User] = relationship(foreign_keys=[mentor_id])
    peer: Mapped[User | None] = relationship(foreign_keys=[peer_id])
    mentee: Mapped[Mentee | None] = relationship()

    @property
    def is_active(self) -> bool:
        return self.ended_at is None


class ApiToken(db.Model):
    """Only a hash is stored; the token is shown once, when made."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    label: Mapped[str] = mapped_column(String(120))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(
        String(12)
    )  # shown in lists so people can tell tokens apart
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    user: Mapped[User] = relationship()
