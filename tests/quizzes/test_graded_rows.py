"""Grading writes the rows the question statistics add up: one per question shown
(attempt_items) and one per option chosen (attempt_item_choices), once, whichever way the
attempt ends; the migration fills them in the same way for attempts graded before it."""

import importlib.util
import random
from datetime import timedelta

import pytest
from sqlalchemy import delete, select

from app.auth.models import Role
from app.clock import utcnow
from app.config import REPOSITORY_ROOT
from app.courses import service as courses
from app.quizzes import service
from app.quizzes.models import Attempt, AttemptChoice, AttemptItem, graded_rows


@pytest.fixture
def quiz(synced):
    return service.get_quiz("goals-check")


@pytest.fixture
def ready(db, quiz, make_user):
    mentor = make_user(Role.MENTOR)
    for lesson in courses.course_progress(mentor, courses.get_course("goals")).lessons:
        courses.mark_complete(mentor, lesson, now=utcnow())
    db.session.commit()
    return mentor


def stored(db, attempt: Attempt) -> tuple[list[tuple], list[tuple]]:
    items = db.session.execute(
        select(
            AttemptItem.question_key,
            AttemptItem.quiz_version,
            AttemptItem.lesson_slug,
            AttemptItem.points,
            AttemptItem.correct,
            AttemptItem.rest_share,
        )
        .where(AttemptItem.attempt_id == attempt.id)
        .order_by(AttemptItem.question_key)
    ).all()
    choices = db.session.execute(
        select(AttemptChoice.question_key, AttemptChoice.option_source)
        .where(AttemptChoice.attempt_id == attempt.id)
        .order_by(AttemptChoice.question_key, AttemptChoice.option_source)
    ).all()
    return [tuple(row) for row in items], [tuple(row) for row in choices]


def one_right_one_wrong(attempt: Attempt) -> tuple[dict, str, str]:
    """The first choice question answered right, the second wrong; the rest blank."""
    picked = [q for q in attempt.snapshot if q["kind"] != "text"][:2]
    right, wrong = picked
    wrong_key = next(o["key"] for o in wrong["options"] if o["key"] not in wrong["correct"])
    return {right["key"]: list(right["correct"]), wrong["key"]: [wrong_key]}, right, wrong


def source_of(question: dict, key: str) -> str:
    return next(o["source"] for o in question["options"] if o["key"] == key)


def test_submitting_writes_a_row_per_question_and_per_chosen_option(db, quiz, ready):
    attempt = service.start_attempt(ready, quiz, now=utcnow(), rng=random.Random(3))
    answers, right, wrong = one_right_one_wrong(attempt)
    service.submit(attempt, answers, now=utcnow())
    db.session.commit()
    items, choices = stored(db, attempt)
    assert sorted(key for key, *_ in items) == sorted(q["key"] for q in attempt.snapshot)
    by_key = {row[0]: row for row in items}
    lessons = {q["key"]: (q["lesson"] or {}).get("slug") for q in attempt.snapshot}
    for q in attempt.snapshot:
        key, version, lesson, points, correct, rest_share = by_key[q["key"]]
        assert (version, lesson, points) == (quiz.version, lessons[key], q["points"])
        assert correct is (key == right["key"])
        rest = attempt.possible - q["points"]
        earned_elsewhere = attempt.earned - (q["points"] if correct else 0)
        assert rest_share == pytest.approx(earned_elsewhere / rest)
    assert choices == sorted(
        [(right["key"], source_of(right, k)) for k in right["correct"]]
        + [(wrong["key"], source_of(wrong, answers[wrong["key"]][0]))]
    )


def test_a_second_submission_writes_nothing_more(db, quiz, ready):
    attempt = service.start_attempt(ready, quiz, now=utcnow())
    answers, _, _ = one_right_one_wrong(attempt)
    service.submit(attempt, answers, now=utcnow())
    first = stored(db, attempt)
    assert not service.submit(attempt, {}, now=utcnow()).recorded
    assert stored(db, attempt) == first and len(first[0]) == len(attempt.snapshot)


def test_an_attempt_that_expires_is_graded_with_its_rows_and_no_choices(db, quiz, ready):
    attempt = service.start_attempt(ready, quiz, now=utcnow())
    attempt.deadline_at = utcnow() - timedelta(minutes=5)
    db.session.flush()
    service.close_expired([attempt], now=utcnow())
    items, choices = stored(db, attempt)
    assert attempt.is_submitted and len(items) == len(attempt.snapshot)
    assert choices == [] and not any(correct for *_, correct, _share in items)


def test_an_unanswered_attempt_is_not_in_the_rows(db, quiz, ready):
    attempt = service.start_attempt(ready, quiz, now=utcnow())
    db.session.flush()
    assert stored(db, attempt) == ([], [])


def test_a_question_alone_in_its_attempt_has_no_rest_share():
    snapshot = [
        {
            "key": "only",
            "kind": "text",
            "points": 2,
            "options": [{"key": "a", "html": "goal"}],
            "correct": ["a"],
            "lesson": None,
        }
    ]
    items, choices = graded_rows(
        attempt_id=1,
        quiz_id=1,
        quiz_version=1,
        snapshot=snapshot,
        answers={"only": "goal"},
        results={"only": True},
        earned=2,
        possible=2,
    )
    assert [(i["correct"], i["rest_share"], i["lesson_slug"]) for i in items] == [
        (True, None, None)
    ]
    assert choices == []  # a typed answer chooses no option


def load_migration():
    path = REPOSITORY_ROOT / "migrations" / "versions" / "1bda443881e1_attempt_items.py"
    spec = importlib.util.spec_from_file_location("attempt_items_migration", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_migration_fills_the_rows_grading_writes(db, quiz, ready, monkeypatch):
    quiz.max_attempts, quiz.cooldown_minutes = None, 0
    graded = []
    for seed in range(3):
        now = utcnow() + timedelta(days=seed)
        attempt = service.start_attempt(ready, quiz, now=now, rng=random.Random(seed))
        answers, _, _ = one_right_one_wrong(attempt)
        service.submit(attempt, answers, now=now)
        graded.append(attempt)
    service.start_attempt(ready, quiz, now=utcnow() + timedelta(days=9))  # left open
    db.session.commit()
    written = [stored(db, attempt) for attempt in graded]
    db.session.execute(delete(AttemptChoice))
    db.session.execute(delete(AttemptItem))
    migration = load_migration()
    monkeypatch.setattr(migration, "BATCH", 2)  # more than one batch
    migration.backfill(db.session.connection())
    assert [stored(db, attempt) for attempt in graded] == written
    assert db.session.scalar(select(AttemptItem.id).limit(1)) is not None


def test_an_attempt_saved_already_graded_gets_its_rows(db, quiz, ready):
    """As the demo's cohort (and any import) saves them: through the ORM, not submit."""
    snapshot = service.start_attempt(ready, quiz, now=utcnow(), rng=random.Random(4)).snapshot
    db.session.rollback()
    answers, right, _ = one_right_one_wrong(Attempt(snapshot=snapshot))
    now = utcnow()
    saved = Attempt(
        user_id=ready.id,
        quiz_id=quiz.id,
        quiz_version=quiz.version,
        started_at=now,
        submitted_at=now,
        snapshot=snapshot,
        answers=answers,
        results={q["key"]: q["key"] == right["key"] for q in snapshot},
        earned=right["points"],
        possible=sum(q["points"] for q in snapshot),
    )
    db.session.add(saved)
    db.session.commit()
    items, choices = stored(db, saved)
    assert len(items) == len(snapshot) and len(choices) == len(right["correct"]) + 1
    saved.late = True  # a later change to a graded attempt writes nothing more
    db.session.commit()
    assert stored(db, saved) == (items, choices)
