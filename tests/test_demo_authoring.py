"""The demo gives the educator something to author: a cohort of mentors whose graded
attempts at one quiz make its question statistics show every kind of flag, and a draft in
progress on a goal-setting lesson that mentors never see."""

import re

import pytest
from sqlalchemy import func, select

from app.auth.models import Role, User, UserRole
from app.authoring import documents, stats
from app.authoring.models import ContentFile
from app.clock import utcnow
from app.config import REPOSITORY_ROOT
from app.content import load_content
from app.courses.sync import sync_content
from app.demo import DEMO_DOMAIN, DEMO_DRAFT_NOTE, DEMO_DRAFT_PATH
from app.demo_cohort import BEHAVIORS, COHORT_QUIZ, COHORT_SIZE
from app.extensions import db
from app.quizzes import service as quizzes
from tests.conftest import log_in

DRAFT_SENTENCE = "Goals about procedures tempt mentees to count."
FLAG_OF = {
    "thank-for-bad-news": "too easy",
    "check-in-before-debrief": "too hard",
    "funnel-to-confirm": "does not discriminate",
    "scaling-follow-up": "options almost nobody chooses",
}


@pytest.fixture
def config_overrides() -> dict:
    return {"CONTENT_DIR": REPOSITORY_ROOT, "MATCHING_CERTIFICATION": "physician-mentor"}


@pytest.fixture
def logins(app) -> dict[str, tuple[str, str]]:
    """`content sync` of the repository's content, then the demo: label -> (e-mail,
    password) of each login it printed."""
    documents.sync_folder(REPOSITORY_ROOT, now=utcnow())
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    found = re.findall(r"^demo-login: (\S+) (\S+) (\S+)$", result.output, re.MULTILINE)
    return {label: (email, password) for email, password, label in found}


def quiz_statistics(slug: str) -> stats.QuizStats:
    """The analysis the statistics page shows (authoring.routes.quiz_stats)."""
    return stats.quiz_statistics(quizzes.get_quiz(slug).id)


def test_the_cohort_quiz_shows_every_flag_on_its_own_question(logins):
    found = quiz_statistics(COHORT_QUIZ)
    flags = {item.key: item.flags for item in found.items}
    every = {flag for item_flags in flags.values() for flag in item_flags}
    assert every == set(FLAG_OF.values())
    for key, flag in FLAG_OF.items():
        assert flag in flags[key], (key, flags[key])
    assert set(FLAG_OF) == set(BEHAVIORS)
    assert not any(item.few for item in found.items), "every question has enough attempts"
    healthy = [key for key, item_flags in flags.items() if not item_flags]
    assert len(healthy) >= 3 * len(found.items) // 4, flags


def test_the_cohort_are_mentors_without_a_printed_login(logins):
    assert list(logins) == [
        "admin",
        "coordinator",
        "educator",
        "mentor-certified",
        "mentor-ready",
        "mentor-new",
        "mentor-expired",
    ]
    cohort_mentors = db.session.scalar(
        select(func.count(User.id))
        .join(UserRole, UserRole.user_id == User.id)
        .where(User.email.like(f"cohort-%@{DEMO_DOMAIN}"), UserRole.role == Role.MENTOR)
    )
    assert cohort_mentors == COHORT_SIZE
    ready = db.session.scalar(select(User).where(User.email == f"mentor-ready@{DEMO_DOMAIN}"))
    assert quizzes.attempts_of(ready, quizzes.get_quiz(COHORT_QUIZ)) == []


def test_the_educator_has_a_draft_waiting_on_a_goal_setting_lesson(app, logins):
    row = db.session.scalar(select(ContentFile).where(ContentFile.path == DEMO_DRAFT_PATH))
    educator = db.session.scalar(select(User).where(User.email == logins["educator"][0]))
    assert DRAFT_SENTENCE in row.draft and DRAFT_SENTENCE not in row.text
    assert row.updated_by_id == educator.id
    latest = documents.history(row)[0]
    assert (latest.kind, latest.author_id, latest.note) == ("draft", educator.id, DEMO_DRAFT_NOTE)
    assert documents.problems_for("goal-setting") == []
    client = app.test_client()
    log_in(client, *logins["educator"])
    page = client.get("/author/").get_data(as_text=True)
    entry = re.search(rf"{re.escape(DEMO_DRAFT_PATH)}</a>\s*<span[^>]*>([^<]+)</span>", page)
    assert entry and entry.group(1) == "draft waiting"


def test_a_mentor_never_sees_the_draft_on_the_lesson_page(app, logins):
    client = app.test_client()
    log_in(client, *logins["mentor-certified"])
    response = client.get("/courses/goal-setting/smart-goals/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Writing it down" in page
    assert DRAFT_SENTENCE not in page and "When the goal is a clinical skill" not in page


def test_without_the_content_files_recorded_the_demo_skips_the_draft(app):
    sync_content(load_content(REPOSITORY_ROOT), now=utcnow())  # courses, but no content_files
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(select(func.count(ContentFile.id))) == 0
    assert quiz_statistics(COHORT_QUIZ).attempts > COHORT_SIZE
