"""Helpers that walk a mentor through the fixture program (courses listening and goals,
the goals-check quiz, the observed-meeting practice item, the test-mentor
certification)."""

from datetime import datetime

import pytest
from sqlalchemy import select

from app.auth import service as auth
from app.auth.models import Role, User
from app.certification import service as certification
from app.courses import service as courses
from app.extensions import db
from app.practice import service as practice
from app.quizzes import service as quizzes

OBSERVER_EMAIL = "observer@hospital.example"


def read_course(user, slug: str, *, now: datetime) -> None:
    for lesson in courses.course_progress(user, courses.get_course(slug)).lessons:
        courses.mark_complete(user, lesson, now=now)
    db.session.flush()


def pass_quiz(user, slug: str, *, now: datetime, right: bool = True):
    quiz = quizzes.get_quiz(slug)
    attempt = quizzes.start_attempt(user, quiz, now=now)
    answers = {}
    for q in attempt.snapshot:
        if q["kind"] == "text":
            answers[q["key"]] = q["accepted"][0] if right else "wrong"
        else:
            answers[q["key"]] = q["correct"] if right else []
    quizzes.submit(attempt, answers, now=now)
    return attempt


def observer() -> User:
    """The educator who observes practice in these tests (made the first time)."""
    found = db.session.scalar(select(User).where(User.email == OBSERVER_EMAIL))
    return found or auth.create_user(
        OBSERVER_EMAIL, "Dr. Olu Observer", "observer-password-42", {Role.EDUCATOR}
    )


def sign_off(user, *, now: datetime, rating: str = "meets", by: User | None = None, item=None):
    """An observation of the user's practice (every current item, or `item`), every
    criterion rated `rating`."""
    recorded = []
    for chosen in [item] if item is not None else practice.current_items():
        recorded.append(
            practice.record_observation(
                user,
                chosen,
                observer=by or observer(),
                ratings={c["id"]: rating for c in chosen.criteria},
                observed_on=now.date(),
                comment="Observed in a role-play.",
                now=now,
            )
        )
    db.session.flush()
    return recorded


def certify(user, *, now: datetime):
    """Everything the test-mentor certification needs, then the award check."""
    read_course(user, "listening", now=now)
    read_course(user, "goals", now=now)
    pass_quiz(user, "goals-check", now=now)
    sign_off(user, now=now)
    awarded = certification.award_if_earned(user, now=now)
    db.session.commit()
    return awarded


@pytest.fixture
def program(synced):
    return certification.get_certification("test-mentor")
