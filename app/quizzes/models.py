from datetime import datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.clock import utcnow
from app.content.quizzes import QuestionKind, Reveal
from app.extensions import db, value_enum


class Quiz(db.Model):
    __tablename__ = "quizzes"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    intro_html: Mapped[str] = mapped_column(Text)
    pass_percent: Mapped[int]
    max_attempts: Mapped[int | None]
    attempt_window_days: Mapped[int | None]  # max_attempts counts within any such window
    cooldown_minutes: Mapped[int]
    time_limit_minutes: Mapped[int | None]
    draw: Mapped[int | None]
    draw_per_lesson: Mapped[int | None]
    shuffle: Mapped[bool]
    reveal_answers: Mapped[Reveal] = mapped_column(value_enum(Reveal, "reveal_answers"))
    version: Mapped[int] = mapped_column(default=1)
    content_hash: Mapped[str] = mapped_column(String(64))
    archived_at: Mapped[datetime | None]
    questions: Mapped[list["Question"]] = relationship(
        back_populates="quiz", order_by="Question.position"
    )


class Question(db.Model):
    __tablename__ = "questions"
    __table_args__ = (UniqueConstraint("quiz_id", "key"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id"), index=True)
    key: Mapped[str] = mapped_column(String(100))
    position: Mapped[int]
    kind: Mapped[QuestionKind] = mapped_column(value_enum(QuestionKind, "question_kind"))
    points: Mapped[int]
    stem_html: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    # [{"key": "a", "html": "...", "text": "...", "correct": true}, ...] in file order
    options: Mapped[list[dict]] = mapped_column(JSON)
    explanation_html: Mapped[str] = mapped_column(Text)
    archived_at: Mapped[datetime | None]
    lesson_id: Mapped[int | None] = mapped_column(ForeignKey("lessons.id"), index=True)
    quiz: Mapped[Quiz] = relationship(back_populates="questions")


class Attempt(db.Model):
    """One try at a quiz. `snapshot` keeps the questions exactly as shown (order,
    options, answers, explanations), so the review stays right after edits."""

    __tablename__ = "attempts"
    __table_args__ = (
        # One open attempt per mentor and quiz, whatever runs at once.
        Index(
            "uq_attempts_open",
            "user_id",
            "quiz_id",
            unique=True,
            sqlite_where=text("submitted_at IS NULL"),
            postgresql_where=text("submitted_at IS NULL"),
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id"), index=True)
    quiz_version: Mapped[int]
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    deadline_at: Mapped[datetime | None]
    snapshot: Mapped[list[dict]] = mapped_column(JSON)
    submitted_at: Mapped[datetime | None]
    answers: Mapped[dict | None] = mapped_column(JSON)
    results: Mapped[dict | None] = mapped_column(JSON)
    earned: Mapped[int | None]
    possible: Mapped[int]
    percent: Mapped[int | None]  # of the points, stored at grading (grading.Grade.percent)
    passed: Mapped[bool | None]
    late: Mapped[bool] = mapped_column(default=False)
    quiz: Mapped[Quiz] = relationship()

    @property
    def is_submitted(self) -> bool:
        return self.submitted_at is not None


class TimeAccommodation(db.Model):
    """Extra time (or none at all) a coordinator grants a mentor for timed quizzes."""

    __tablename__ = "time_accommodations"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    multiplier: Mapped[float] = mapped_column(default=1.0)
    untimed: Mapped[bool] = mapped_column(default=False)
    note: Mapped[str] = mapped_column(String(300), default="")
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    granted_at: Mapped[datetime] = mapped_column(default=utcnow)


class AttemptGrant(db.Model):
    """Extra attempts a coordinator gave one mentor at one quiz: they count in the
    attempts window they were given in (audit logged with the reason)."""

    __tablename__ = "attempt_grants"
    __table_args__ = (CheckConstraint("extra > 0", name="extra_positive"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id"), index=True)
    extra: Mapped[int]
    reason: Mapped[str] = mapped_column(Text)
    granted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
