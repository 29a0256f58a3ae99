"""One mentor's several tabs at once, against a served app on SQLite and PostgreSQL: the
quiz rules hold (one open attempt, attempts left, the cooldown)."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.clock import utcnow
from app.extensions import db as _db
from app.quizzes import service as quizzes
from app.quizzes.models import Attempt
from tests.certification.conftest import pass_quiz, read_course

QUIZ = "/quizzes/goals-check/"
TABS = 6


def attempts_of(mentor) -> tuple[int, int]:
    """(all attempts, open attempts) as the database holds them."""
    _db.session.expire_all()
    rows = _db.session.scalars(select(Attempt).where(Attempt.user_id == mentor.id)).all()
    return len(rows), sum(1 for attempt in rows if attempt.submitted_at is None)


@pytest.fixture
def ready(synced, mentor):
    read_course(mentor, "goals", now=utcnow())
    _db.session.commit()
    return mentor


def start_in_every_tab(served, mentor) -> list:
    browser = served.signed_in(mentor)
    token = served.csrf(browser, QUIZ)
    return served.at_once(
        TABS,
        lambda tab: tab.post(
            served.url + QUIZ + "start", data={"csrf_token": token}, allow_redirects=False
        ),
        browser,
    )


def test_six_tabs_starting_the_quiz_open_one_attempt(served, ready):
    responses = start_in_every_tab(served, ready)

    assert [r.status_code for r in responses] == [302] * TABS
    assert len({r.headers["Location"] for r in responses}) == 1, "every tab lands on one attempt"
    assert attempts_of(ready) == (1, 1)


def test_the_last_attempt_left_is_started_once(served, ready, db):
    quiz = quizzes.get_quiz("goals-check")
    quiz.max_attempts, quiz.cooldown_minutes = 2, 0
    pass_quiz(ready, "goals-check", now=utcnow() - timedelta(hours=1), right=False)
    db.session.commit()

    start_in_every_tab(served, ready)

    assert attempts_of(ready) == (2, 1)


def test_no_tab_slips_past_the_cooldown(served, ready, db):
    pass_quiz(ready, "goals-check", now=utcnow() - timedelta(minutes=1), right=False)
    db.session.commit()

    responses = start_in_every_tab(served, ready)

    assert {r.headers["Location"] for r in responses} == {QUIZ}, "every tab is sent back"
    assert attempts_of(ready) == (1, 0)
    assert db.session.scalar(select(func.count()).select_from(Attempt)) == 1


def test_the_database_itself_refuses_a_second_open_attempt(ready, db):
    """The constraint under the rule: whatever path writes, one open attempt at most."""
    quiz = quizzes.get_quiz("goals-check")
    first = quizzes.start_attempt(ready, quiz, now=utcnow())
    db.session.commit()
    twin = Attempt(
        user_id=ready.id,
        quiz_id=quiz.id,
        quiz_version=quiz.version,
        snapshot=first.snapshot,
        possible=first.possible,
    )
    db.session.add(twin)
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()

    quizzes.submit(first, {}, now=utcnow())
    db.session.add(
        Attempt(
            user_id=ready.id,
            quiz_id=quiz.id,
            quiz_version=quiz.version,
            snapshot=first.snapshot,
            possible=first.possible,
        )
    )
    db.session.flush()  # a submitted attempt and an open one may stand side by side
    assert attempts_of(ready) == (2, 1)


def test_requests_that_write_take_the_write_lock_and_pages_that_read_do_not(app, synced):
    from app.database import takes_write_lock

    for method, path, expected in [
        ("POST", "/quizzes/goals-check/start", True),
        ("GET", "/quizzes/goals-check/", True),  # closes an expired attempt: @writes
        ("GET", "/forum/t/1/", False),  # moves the read marker, when at all, without it
        ("GET", "/courses/", False),
        ("GET", "/healthz", False),
    ]:
        with app.test_request_context(path, method=method):
            assert takes_write_lock() is expected, (method, path)
    assert takes_write_lock() is False, "outside a request, commands keep the driver's way"
