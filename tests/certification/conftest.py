"""Helpers that walk a mentor through the fixture program (courses listening and goals,
the goals-check quiz, the test-mentor certification)."""

from datetime import datetime

import pytest

from app.certification import service as certification
from app.courses import service as courses
from app.extensions import db
from app.quizzes import service as quizzes


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


def certify(user, *, now: datetime):
    """Everything the test-mentor certification needs, then the award check."""
    read_course(user, "listening", now=now)
    read_course(user, "goals", now=now)
    pass_quiz(user, "goals-check", now=now)
    awarded = certification.award_if_earned(user, now=now)
    db.session.commit()
    return awarded


@pytest.fixture
def program(synced):
    return certification.get_certification("test-mentor")
