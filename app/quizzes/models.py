from datetime import datetime

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
    event,
    insert,
    inspect,
    text,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

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


class AttemptItem(db.Model):
    """One question shown in a submitted attempt, as graded: the question statistics
    add these up in SQL. Written with the grade (graded_rows); the attempt's JSON stays
    the record. rest_share is the rest of the attempt's score as a share of the rest's
    points (None when the rest has no points), for the item-rest point-biserial."""

    __tablename__ = "attempt_items"
    __table_args__ = (
        # Covering, in the order the statistics group by: the sums read the index alone.
        Index(
            "ix_attempt_items_quiz_question",
            "quiz_id",
            "question_key",
            "quiz_version",
            "lesson_slug",
            "correct",
            "points",
            "rest_share",
            "attempt_id",
        ),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(
        ForeignKey("attempts.id", ondelete="CASCADE"), index=True
    )
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id"))
    quiz_version: Mapped[int]
    question_key: Mapped[str] = mapped_column(String(100))
    lesson_slug: Mapped[str | None] = mapped_column(String(100))
    points: Mapped[int]
    correct: Mapped[bool]
    rest_share: Mapped[float | None]


class AttemptChoice(db.Model):
    """An option chosen in a submitted attempt, by its key in the quiz file ("source")."""

    __tablename__ = "attempt_item_choices"
    __table_args__ = (
        Index("ix_attempt_item_choices_quiz_question", "quiz_id", "question_key", "option_source"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(
        ForeignKey("attempts.id", ondelete="CASCADE"), index=True
    )
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quizzes.id"))
    question_key: Mapped[str] = mapped_column(String(100))
    option_source: Mapped[str] = mapped_column(String(100))


# The statistics' score bands, pass rate and mean from the index alone (not the JSON rows).
Index(
    "ix_attempts_quiz_scores",
    Attempt.quiz_id,
    Attempt.percent,
    Attempt.passed,
    Attempt.submitted_at,
)


def graded_rows(
    *,
    attempt_id: int,
    quiz_id: int,
    quiz_version: int,
    snapshot: list[dict],
    answers: dict | None,
    results: dict | None,
    earned: int | None,
    possible: int,
) -> tuple[list[dict], list[dict]]:
    """The attempt_items and attempt_item_choices rows of one graded attempt."""
    answers, results, earned = answers or {}, results or {}, earned or 0
    items, choices = [], []
    for question in snapshot:
        key, points = question["key"], question["points"]
        right = bool(results.get(key))
        rest = possible - points
        lesson = question.get("lesson")
        items.append(
            {
                "attempt_id": attempt_id,
                "quiz_id": quiz_id,
                "quiz_version": quiz_version,
                "question_key": key,
                "lesson_slug": lesson["slug"] if lesson else None,
                "points": points,
                "correct": right,
                "rest_share": (earned - points * right) / rest if rest > 0 else None,
            }
        )
        answer = answers.get(key)
        if question["kind"] == "text" or not isinstance(answer, list):
            continue
        for option in question["options"]:
            if option["key"] in answer:
                choices.append(
                    {
                        "attempt_id": attempt_id,
                        "quiz_id": quiz_id,
                        "question_key": key,
                        "option_source": option.get("source", option["key"]),
                    }
                )
    return items, choices


def _graded_by_the_orm(session: Session) -> list[Attempt]:
    """Attempts this flush saved graded: added so (the demo's cohort, imports) or given
    their submitted_at through the ORM. quizzes.submit grades with an UPDATE statement
    and writes its attempt's rows itself."""
    graded = []
    for item in session.new | session.dirty:
        if not isinstance(item, Attempt) or item.submitted_at is None:
            continue
        history = inspect(item).attrs.submitted_at.history
        if item in session.new or (history.added and not any(history.deleted)):
            graded.append(item)
    return graded


@event.listens_for(Session, "after_flush")
def _write_graded_rows(session: Session, _context) -> None:
    items: list[dict] = []
    choices: list[dict] = []
    for attempt in _graded_by_the_orm(session):
        more_items, more_choices = graded_rows(
            attempt_id=attempt.id,
            quiz_id=attempt.quiz_id,
            quiz_version=attempt.quiz_version,
            snapshot=attempt.snapshot,
            answers=attempt.answers,
            results=attempt.results,
            earned=attempt.earned,
            possible=attempt.possible,
        )
        items += more_items
        choices += more_choices
    if items:
        session.connection().execute(insert(AttemptItem), items)
    if choices:
        session.connection().execute(insert(AttemptChoice), choices)
