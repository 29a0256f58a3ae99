"""An educator reads a quiz's question statistics in a real browser: the page works and
axe-core finds nothing, on a desktop and on a phone."""

import random

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from app.auth import service as auth
from app.auth.models import Role, UserRole
from app.clock import utcnow
from app.extensions import db
from app.quizzes import service as quizzes
from app.quizzes.grading import grade
from app.quizzes.models import Attempt

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 812}


@pytest.fixture
def educator_with_attempts(database, live_server):
    """The live server's user is also an educator, and 40 mentors' attempts are graded."""
    with database.app_context():
        user = auth.find_user(live_server.mentor_email)
        db.session.add(UserRole(user_id=user.id, role=Role.EDUCATOR))
        quiz = quizzes.get_quiz("communication")
        rng = random.Random(5)
        for n in range(40):
            mentor = auth.create_user(
                f"cohort{n}@hospital.example",
                f"Dr. Cohort {n}",
                "cohort-password-long-enough",
                {Role.MENTOR},
            )
            snapshot = quizzes._snapshot(quiz, rng)
            answers = {
                q["key"]: (
                    q["correct"] if rng.random() < 0.3 + n / 60 else [q["options"][-1]["key"]]
                )
                for q in snapshot
                if q["kind"] != "text"
            }
            result = grade(snapshot, answers)
            db.session.add(
                Attempt(
                    user_id=mentor.id,
                    quiz_id=quiz.id,
                    quiz_version=quiz.version,
                    started_at=utcnow(),
                    submitted_at=utcnow(),
                    snapshot=snapshot,
                    answers=answers,
                    results=result.correct,
                    earned=result.earned,
                    possible=result.possible,
                    percent=result.percent,
                    passed=result.passed(quiz.pass_percent),
                )
            )
        db.session.commit()
        quiz_id = quiz.id
        db.session.remove()
    return quiz_id


@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
def test_an_educator_reads_question_statistics(new_page, sign_in, educator_with_attempts, viewport):
    page = new_page(viewport)
    sign_in(page)
    page.goto("/author/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Author")
    page.get_by_role(
        "link", name="Question statistics for Communicating with mentees — quiz"
    ).click()
    expect(page.get_by_text("40 graded attempts")).to_be_visible()
    expect(page.get_by_role("img", name="Scores")).to_be_visible()
    expect(page.locator(".review-item").first).to_contain_text("right")
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()
    widths = page.evaluate(
        "({inner: window.innerWidth, scroll: document.documentElement.scrollWidth})"
    )
    assert widths["scroll"] <= widths["inner"], f"the page scrolls sideways: {widths}"
