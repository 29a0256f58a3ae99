"""Quiz attempts: who may start one, the snapshot it shows, grading on submit."""

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from app.audit import service as audit
from app.audit.models import AuditAction
from app.auth.models import User
from app.content.quizzes import QuestionKind, Reveal
from app.courses import service as courses
from app.courses.models import Course, Lesson
from app.errors import NotFound, PreceptorError
from app.extensions import db
from app.quizzes.grading import Answers, grade
from app.quizzes.models import (
    Attempt,
    AttemptChoice,
    AttemptGrant,
    AttemptItem,
    Question,
    Quiz,
    TimeAccommodation,
    graded_rows,
)
from app.rows import lock_user

GRACE = timedelta(seconds=30)
FIELD_PREFIX = "q-"


class InvalidAnswers(PreceptorError):
    status, code = 400, "invalid_answers"


class CannotStart(PreceptorError):
    status, code = 409, "cannot_start"


class CannotGrant(PreceptorError):
    status, code = 403, "cannot_grant"


def get_quiz(slug: str) -> Quiz:
    quiz = db.session.scalar(select(Quiz).where(Quiz.slug == slug, Quiz.archived_at.is_(None)))
    if quiz is None:
        raise NotFound("There is no such quiz.")
    return quiz


def find_quiz(slug: str) -> Quiz | None:
    return db.session.scalar(select(Quiz).where(Quiz.slug == slug, Quiz.archived_at.is_(None)))


def current_quizzes() -> list[Quiz]:
    return list(
        db.session.scalars(select(Quiz).where(Quiz.archived_at.is_(None)).order_by(Quiz.title))
    )


def quiz_course(quiz: Quiz) -> Course:
    return db.session.get(Course, quiz.course_id)


def attempts_of(user: User, quiz: Quiz) -> list[Attempt]:
    """Newest first."""
    return list(
        db.session.scalars(
            select(Attempt)
            .where(Attempt.user_id == user.id, Attempt.quiz_id == quiz.id)
            .order_by(Attempt.started_at.desc(), Attempt.id.desc())
        )
    )


def get_attempt(user: User, quiz: Quiz, attempt_id: int) -> Attempt:
    """Only the mentor's own attempt; anyone else's looks like it does not exist."""
    attempt = db.session.scalar(
        select(Attempt).where(
            Attempt.id == attempt_id, Attempt.user_id == user.id, Attempt.quiz_id == quiz.id
        )
    )
    if attempt is None:
        raise NotFound("There is no such attempt.")
    return attempt


def best_attempt(attempts: list[Attempt]) -> Attempt | None:
    """The attempt that counts: the highest score, the earliest among equals."""
    graded = [a for a in attempts if a.is_submitted and a.earned is not None]
    return max(
        graded,
        key=lambda a: (a.passed, a.earned / a.possible if a.possible else 0, -a.id),
        default=None,
    )


def has_passed(attempts: list[Attempt]) -> bool:
    return any(a.passed for a in attempts)


# Time


def accommodation_for(user: User) -> TimeAccommodation | None:
    return db.session.scalar(select(TimeAccommodation).where(TimeAccommodation.user_id == user.id))


def time_allowed(quiz: Quiz, accommodation: TimeAccommodation | None) -> timedelta | None:
    """The time a mentor gets for an attempt; None when untimed."""
    if quiz.time_limit_minutes is None or (accommodation and accommodation.untimed):
        return None
    multiplier = accommodation.multiplier if accommodation else 1.0
    return timedelta(seconds=math.ceil(quiz.time_limit_minutes * 60 * multiplier))


def grant_accommodation(
    mentor: User, *, multiplier: float, untimed: bool, note: str, by: User, now: datetime
) -> TimeAccommodation:
    accommodation = accommodation_for(mentor) or TimeAccommodation(user_id=mentor.id)
    accommodation.multiplier = multiplier
    accommodation.untimed = untimed
    accommodation.note = note.strip()
    accommodation.granted_by_id = by.id
    accommodation.granted_at = now
    db.session.add(accommodation)
    db.session.flush()
    return accommodation


def grant_attempts(
    mentor: User, quiz: Quiz, *, extra: int, reason: str, by: User, now: datetime
) -> AttemptGrant:
    """More attempts for one mentor at one quiz, recorded in the audit log with why."""
    if by.id == mentor.id:
        raise CannotGrant("Nobody can give themselves more attempts.")
    grant = AttemptGrant(
        user_id=mentor.id,
        quiz_id=quiz.id,
        extra=extra,
        reason=reason.strip(),
        granted_by_id=by.id,
        created_at=now,
    )
    db.session.add(grant)
    audit.record(
        AuditAction.ATTEMPTS_GRANTED,
        actor=by,
        subject=f"quiz {quiz.slug}",
        subject_user=mentor,
        reason=grant.reason,
        details={"extra": extra},
        now=now,
    )
    return grant


def recent_grants(limit: int = 50) -> list[tuple[AttemptGrant, User, Quiz]]:
    rows = db.session.execute(
        select(AttemptGrant, User, Quiz)
        .join(User, User.id == AttemptGrant.user_id)
        .join(Quiz, Quiz.id == AttemptGrant.quiz_id)
        .order_by(AttemptGrant.created_at.desc(), AttemptGrant.id.desc())
        .limit(limit)
    ).unique()
    return [(grant, user, quiz) for grant, user, quiz in rows]


def list_accommodations() -> list[tuple[TimeAccommodation, User]]:
    rows = db.session.execute(
        select(TimeAccommodation, User)
        .join(User, User.id == TimeAccommodation.user_id)
        .order_by(User.name)
    )
    return [(accommodation, user) for accommodation, user in rows]


def close_expired(attempts: list[Attempt], *, now: datetime) -> None:
    """An attempt left open past its time (and the grace) ends with nothing answered."""
    for attempt in attempts:
        if not attempt.is_submitted and attempt.deadline_at and now > attempt.deadline_at + GRACE:
            _record(attempt, {}, late=True, now=attempt.deadline_at)


# Starting


@dataclass(frozen=True)
class Availability:
    """Whether the mentor may start an attempt now, and if not, why and when."""

    reason: str | None = None
    next_possible_at: datetime | None = None
    open_attempt: Attempt | None = None

    @property
    def can_start(self) -> bool:
        return self.reason is None


def _window_start(quiz: Quiz, now: datetime) -> datetime | None:
    return now - timedelta(days=quiz.attempt_window_days) if quiz.attempt_window_days else None


def extra_attempts(user: User, quiz: Quiz, *, now: datetime) -> int:
    """Attempts a coordinator added, counted in the window they were given in."""
    since = _window_start(quiz, now)
    query = select(func.coalesce(func.sum(AttemptGrant.extra), 0)).where(
        AttemptGrant.user_id == user.id, AttemptGrant.quiz_id == quiz.id
    )
    if since is not None:
        query = query.where(AttemptGrant.created_at > since)
    return db.session.scalar(query)


@dataclass(frozen=True)
class Allowance:
    """How many attempts the mentor has now: max_attempts (plus extras) in the window."""

    allowed: int
    used: int  # in the window (or ever, without one)
    window_days: int | None
    opens_at: datetime | None  # when one is free again, once all are used

    @property
    def left(self) -> int:
        return max(self.allowed - self.used, 0)


def allowance(
    user: User, quiz: Quiz, attempts: list[Attempt], *, now: datetime
) -> Allowance | None:
    """None when the quiz allows any number of attempts."""
    if quiz.max_attempts is None:
        return None
    since = _window_start(quiz, now)
    counted = [a for a in attempts if since is None or a.started_at > since]
    allowed = quiz.max_attempts + extra_attempts(user, quiz, now=now)
    opens_at = None
    if since is not None and counted and len(counted) >= allowed:
        opens_at = min(a.started_at for a in counted) + timedelta(days=quiz.attempt_window_days)
    return Allowance(allowed, len(counted), quiz.attempt_window_days, opens_at)


def _attempts_left(user: User, quiz: Quiz, attempts: list[Attempt], now: datetime) -> Availability:
    have = allowance(user, quiz, attempts, now=now)
    if have.left:
        return Availability()
    ask = "Your program coordinator can give you more attempts if you need them."
    if have.window_days is None:
        return Availability(f"You have used all {have.allowed} attempts at this quiz. {ask}")
    return Availability(
        f"You have used all {have.allowed} attempts this quiz allows in "
        f"{have.window_days} days. {ask}",
        have.opens_at,
    )


def questions_per_attempt(quiz: Quiz) -> int:
    """How many questions each attempt shows: the same for every draw (draw_questions)."""
    return len(draw_questions(quiz, random.SystemRandom()))


def availability(user: User, quiz: Quiz, attempts: list[Attempt], *, now: datetime) -> Availability:
    open_attempt = next((a for a in attempts if not a.is_submitted), None)
    if open_attempt:
        return Availability(open_attempt=open_attempt)
    progress = courses.course_progress(user, quiz_course(quiz))
    if progress.done_count < len(progress.lessons):
        return Availability(
            f"Finish the lessons of this course first: {progress.done_count} of "
            f"{len(progress.lessons)} are done."
        )
    if quiz.max_attempts is not None:
        left = _attempts_left(user, quiz, attempts, now)
        if not left.can_start:
            return left
    last = attempts[0] if attempts else None
    if last and not last.passed and quiz.cooldown_minutes:
        ready_at = last.submitted_at + timedelta(minutes=quiz.cooldown_minutes)
        if now < ready_at:
            return Availability(
                "After an attempt that did not pass, there is a pause before the next.", ready_at
            )
    return Availability()


def draw_questions(quiz: Quiz, rng: random.Random) -> list[Question]:
    """The questions of one attempt, in file order: with draw_per_lesson, that many from
    each lesson's pool (so every attempt covers every lesson); with draw, that many from
    the whole quiz; otherwise all."""
    questions = [q for q in quiz.questions if q.archived_at is None]
    if quiz.draw_per_lesson:
        pools: dict[int | None, list[Question]] = {}
        for question in questions:
            pools.setdefault(question.lesson_id, []).append(question)
        drawn = [
            question
            for pool in pools.values()
            for question in rng.sample(pool, min(quiz.draw_per_lesson, len(pool)))
        ]
        return sorted(drawn, key=lambda q: q.position)
    if quiz.draw and quiz.draw < len(questions):
        return sorted(rng.sample(questions, quiz.draw), key=lambda q: q.position)
    return questions


def _snapshot(quiz: Quiz, rng: random.Random) -> list[dict]:
    questions = draw_questions(quiz, rng)
    if quiz.shuffle:
        rng.shuffle(questions)
    lesson_ids = {q.lesson_id for q in questions if q.lesson_id is not None}
    lessons = {
        lesson.id: lesson
        for lesson in db.session.scalars(select(Lesson).where(Lesson.id.in_(lesson_ids)))
    }
    return [
        _snapshot_question(q, rng, shuffle=quiz.shuffle, lesson=lessons.get(q.lesson_id))
        for q in questions
    ]


def _opaque_keys(count: int, rng: random.Random) -> list[str]:
    """Option values for one question of one attempt: random, so the posted form says
    nothing of an option's place in the file (where "a, b, c" would hint at the key)."""
    keys: list[str] = []
    while len(keys) < count:
        key = format(rng.getrandbits(40), "010x")
        if key not in keys:
            keys.append(key)
    return keys


def _snapshot_question(
    question: Question, rng: random.Random, *, shuffle: bool, lesson: Lesson | None = None
) -> dict:
    options = list(question.options)
    if shuffle and question.kind is not QuestionKind.TEXT:
        rng.shuffle(options)
    if question.kind is QuestionKind.TEXT:
        keys = [o["key"] for o in options]  # never shown: a text answer is typed
    else:
        keys = _opaque_keys(len(options), rng)
    return {
        "key": question.key,
        "kind": question.kind.value,
        "points": question.points,
        "stem_html": question.stem_html,
        "body_html": question.body_html,
        # "source" is the option's key in the quiz file, for item analysis; never shown.
        "options": [
            {"key": key, "source": o["key"], "html": o["html"]}
            for key, o in zip(keys, options, strict=True)
        ],
        "correct": [key for key, o in zip(keys, options, strict=True) if o["correct"]],
        "accepted": [o["text"] for o in options if o["correct"]]
        if question.kind is QuestionKind.TEXT
        else [],
        "explanation_html": question.explanation_html,
        # The lesson it assesses, as it was: per-lesson results stay right after edits.
        "lesson": {"slug": lesson.slug, "title": lesson.title, "position": lesson.position}
        if lesson
        else None,
    }


def start_attempt(
    user: User, quiz: Quiz, *, now: datetime, rng: random.Random | None = None
) -> Attempt:
    """A new attempt, or the open one if there is one; CannotStart says why not."""
    lock_user(user.id)
    attempts = attempts_of(user, quiz)
    close_expired(attempts, now=now)
    state = availability(user, quiz, attempts, now=now)
    if state.open_attempt:
        return state.open_attempt
    if not state.can_start:
        raise CannotStart(state.reason)
    snapshot = _snapshot(quiz, rng or random.SystemRandom())
    allowed = time_allowed(quiz, accommodation_for(user))
    attempt = Attempt(
        user_id=user.id,
        quiz_id=quiz.id,
        quiz_version=quiz.version,
        started_at=now,
        deadline_at=now + allowed if allowed else None,
        snapshot=snapshot,
        possible=sum(q["points"] for q in snapshot),
    )
    try:
        with db.session.begin_nested():
            db.session.add(attempt)
    except IntegrityError:  # uq_attempts_open: another tab opened one a moment ago
        db.session.expire_all()
        opened = availability(user, quiz, attempts_of(user, quiz), now=now).open_attempt
        if opened is None:
            raise
        return opened
    return attempt


# Submitting


def parse_answers(attempt: Attempt, form: dict[str, list[str]]) -> Answers:
    """The answers in a submitted form; anything that does not belong to this attempt is refused."""
    questions = {q["key"]: q for q in attempt.snapshot}
    answers: Answers = {}
    for field, values in form.items():
        if not field.startswith(FIELD_PREFIX):
            continue
        key = field.removeprefix(FIELD_PREFIX)
        question = questions.get(key)
        if question is None:
            raise InvalidAnswers(
                "The form held an answer to a question that is not in this attempt."
            )
        if question["kind"] == QuestionKind.TEXT.value:
            if len(values) != 1 or len(values[0]) > 500:
                raise InvalidAnswers("A written answer was not in the expected form.")
            answers[key] = values[0]
            continue
        offered = {o["key"] for o in question["options"]}
        if not set(values) <= offered or len(set(values)) != len(values):
            raise InvalidAnswers("The form held an option that does not belong to its question.")
        if question["kind"] == QuestionKind.SINGLE.value and len(values) > 1:
            raise InvalidAnswers("A single-choice question got more than one answer.")
        answers[key] = list(values)
    return answers


def _record(attempt: Attempt, answers: Answers, *, late: bool, now: datetime) -> bool:
    """Grade and store, only if no one else has: True when this call recorded it."""
    result = grade(attempt.snapshot, answers)
    quiz = attempt.quiz
    statement = (
        update(Attempt)
        .where(Attempt.id == attempt.id, Attempt.submitted_at.is_(None))
        .values(
            submitted_at=now,
            answers=answers,
            results=result.correct,
            earned=result.earned,
            percent=result.percent,
            passed=result.passed(quiz.pass_percent),
            late=late,
        )
        .execution_options(synchronize_session=False)
    )
    recorded = db.session.execute(statement).rowcount == 1
    if recorded:  # the statistics' rows; and the standing, refreshed here, not by the ORM
        _write_graded_rows(attempt, answers, result.correct, result.earned)
        from app.certification.standing import refresh_users

        refresh_users(db.session.connection(), [attempt.user_id])
    db.session.refresh(attempt)
    return recorded


def _write_graded_rows(attempt: Attempt, answers: Answers, results: dict, earned: int) -> None:
    """The attempt's rows in attempt_items and attempt_item_choices, for the statistics."""
    items, choices = graded_rows(
        attempt_id=attempt.id,
        quiz_id=attempt.quiz_id,
        quiz_version=attempt.quiz_version,
        snapshot=attempt.snapshot,
        answers=answers,
        results=results,
        earned=earned,
        possible=attempt.possible,
    )
    if items:
        db.session.execute(insert(AttemptItem), items)
    if choices:
        db.session.execute(insert(AttemptChoice), choices)


@dataclass(frozen=True)
class Submission:
    attempt: Attempt
    recorded: bool  # False when an earlier (or concurrent) submission had already graded it

    @property
    def passed(self) -> bool:
        return bool(self.attempt.passed)


def submit(attempt: Attempt, answers: Answers, *, now: datetime) -> Submission:
    """Grade once. A second or concurrent submission returns the first result unchanged;
    answers arriving after the time limit and its grace count for nothing."""
    if attempt.is_submitted:
        return Submission(attempt, recorded=False)
    late = attempt.deadline_at is not None and now > attempt.deadline_at + GRACE
    try:
        recorded = _record(attempt, {} if late else answers, late=late, now=now)
    except OperationalError:
        # SQLite refuses a write from a stale snapshot when another submission won the race.
        db.session.rollback()
        db.session.refresh(attempt)
        if not attempt.is_submitted:
            raise
        recorded = False
    return Submission(attempt, recorded)


# Review


@dataclass(frozen=True)
class LessonResult:
    slug: str
    title: str
    earned: int
    possible: int

    @property
    def to_revisit(self) -> bool:
        return self.earned < self.possible


def lesson_results(attempt: Attempt) -> list[LessonResult]:
    """A graded attempt's points per lesson, in the course's order: what a mentor who did
    not pass is told, instead of which questions were right."""
    totals: dict[str, list] = {}
    for question in attempt.snapshot:
        lesson = question.get("lesson")
        if not lesson:
            continue
        entry = totals.setdefault(
            lesson["slug"], [lesson.get("position", 0), lesson["title"], 0, 0]
        )
        entry[3] += question["points"]
        if (attempt.results or {}).get(question["key"]):
            entry[2] += question["points"]
    ordered = sorted(totals.items(), key=lambda item: (item[1][0], item[0]))
    return [
        LessonResult(slug, title, earned, possible)
        for slug, (_, title, earned, possible) in ordered
    ]


def may_reveal_answers(quiz: Quiz, attempts: list[Attempt]) -> bool:
    if quiz.reveal_answers is Reveal.AFTER_SUBMIT:
        return True
    if quiz.reveal_answers is Reveal.AFTER_PASS:
        return has_passed(attempts)
    return False
