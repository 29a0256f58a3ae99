"""Question statistics (/author/quizzes/<id>/stats): on a hand-made set of attempts the
page shows the numbers worked out here by hand, and only educators and admins see it."""

import math

import pytest

from app.auth.models import Role
from app.authoring.stats import analyse, point_biserial
from app.clock import utcnow
from app.quizzes import service
from app.quizzes.models import Attempt
from tests.conftest import client_with_role

LESSON_A = {"slug": "smart", "title": "SMART goals", "position": 1}
LESSON_B = {"slug": "grow", "title": "The GROW model", "position": 2}


def question(key, lesson, right="r", wrong=("w1", "w2", "w3")):
    return {
        "key": key,
        "kind": "single",
        "points": 1,
        "stem_html": f"Stem {key}",
        "options": [{"key": f"{key}-{o}", "source": o, "html": o} for o in (right, *wrong)],
        "correct": [f"{key}-{right}"],
        "lesson": lesson,
    }


SNAPSHOT = [question("q1", LESSON_A), question("q2", LESSON_A), question("q3", LESSON_B)]


def attempt(picks: dict[str, str]):
    """picks: question key -> the source option chosen."""
    results = {key: picks[key] == "r" for key in picks}
    earned = sum(results.values())
    return Attempt(
        snapshot=SNAPSHOT,
        answers={key: [f"{key}-{source}"] for key, source in picks.items()},
        results=results,
        earned=earned,
        possible=3,
        percent=100 * earned // 3,
        passed=earned == 3,
    )


def made_attempts() -> list[Attempt]:
    return [
        attempt({"q1": "r", "q2": "r", "q3": "r"}),  # 3 of 3: 100 %
        attempt({"q1": "r", "q2": "r", "q3": "w1"}),  # 2: 66 %
        attempt({"q1": "w1", "q2": "r", "q3": "w1"}),  # 1: 33 %
        attempt({"q1": "w1", "q2": "r", "q3": "w1"}),  # 1: 33 %
    ]


def pearson(xs: list[int], ys: list[float]) -> float:
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    return sxy / math.sqrt(sum((x - mx) ** 2 for x in xs) * sum((y - my) ** 2 for y in ys))


def test_the_numbers_are_the_ones_worked_out_by_hand():
    found = analyse(made_attempts(), {})
    assert (found.attempts, found.passed, found.mean_percent) == (4, 1, (100 + 66 + 33 + 33) / 4)
    assert (found.bands[3], found.bands[6], found.bands[9]) == (2, 1, 1)
    q1, q2, q3 = found.items  # in lesson order
    assert (q1.key, q2.key, q3.key) == ("q1", "q2", "q3")
    # q1: right where the rest scored 2/2 and 1/2, wrong where it scored 1/2 and 1/2
    assert q1.percent_right == 50
    assert q1.discrimination == pytest.approx(0.25 / math.sqrt(0.1875))  # 0.577
    assert q1.discrimination == pytest.approx(pearson([1, 1, 0, 0], [1.0, 0.5, 0.5, 0.5]))
    # q3: right only in the best attempt (rest 2/2); wrong with rests 2/2, 1/2, 1/2
    assert q3.discrimination == pytest.approx(pearson([1, 0, 0, 0], [1.0, 1.0, 0.5, 0.5]))
    assert q2.percent_right == 100 and q2.discrimination is None  # no variation
    assert "too easy" in q2.flags and "too hard" in q3.flags
    assert {k: o.chosen for k, o in q1.options.items()} == {"r": 2, "w1": 2, "w2": 0, "w3": 0}
    assert [o.key for o in q1.rarely_chosen] == ["w2", "w3"]
    assert "options almost nobody chooses" in q1.flags
    assert [(lesson.title, lesson.earned, lesson.possible) for lesson in found.lessons] == [
        ("SMART goals", 6, 8),
        ("The GROW model", 1, 4),
    ]


def test_point_biserial_by_hand():
    # means 0.5 and 0.5; sxy 0.9, sxx 1, syy 0.82
    pairs = [(1, 1.0), (1, 0.9), (0, 0.1), (0, 0.0)]
    assert point_biserial(pairs) == pytest.approx(0.9 / math.sqrt(0.82))
    assert point_biserial([(1, 0.5)]) is None
    assert point_biserial([(1, 0.5), (1, 0.2)]) is None  # everyone right: no variation


@pytest.fixture
def graded(db, synced, make_user):
    quiz = service.get_quiz("goals-check")
    mentor = make_user(Role.MENTOR)
    for made in made_attempts():
        made.user_id, made.quiz_id, made.quiz_version = mentor.id, quiz.id, quiz.version
        made.started_at = made.submitted_at = utcnow()
        db.session.add(made)
        db.session.flush()  # one open attempt at a time: each is submitted already
    db.session.commit()
    return quiz


def test_the_page_shows_the_numbers_and_flags(app, make_user, graded):
    educator = client_with_role(app, make_user, Role.EDUCATOR)
    page = educator.get(f"/author/quizzes/{graded.id}/stats").get_data(as_text=True)
    assert "4 graded attempts" in page and "few attempts" in page
    assert "mean score 58%" in page and "25% passed" in page
    assert "Stem q1" in page and "50% right" in page and "discrimination 0.58" in page
    assert "too easy" in page and "too hard" in page and "almost never chosen" in page
    assert "SMART goals" in page and "75%" in page and "(6 of 8)" in page
    assert '<svg viewBox="0 0 330 130"' in page and "Attempts by score band" in page
    index = educator.get("/author/").get_data(as_text=True)
    assert f"/author/quizzes/{graded.id}/stats" in index and "4 graded attempts" in index


@pytest.mark.parametrize("role", [Role.MENTOR, Role.COORDINATOR])
def test_mentors_and_coordinators_without_the_educator_role_are_refused(
    app, make_user, graded, role
):
    client = client_with_role(app, make_user, role)
    assert client.get("/author/").status_code == 403
    assert client.get(f"/author/quizzes/{graded.id}/stats").status_code == 403
    assert ">Author<" not in client.get("/courses/").get_data(as_text=True)


def test_signed_out_visitors_are_sent_to_sign_in(app, graded):
    client = app.test_client()
    for url in ("/author/", f"/author/quizzes/{graded.id}/stats"):
        response = client.get(url)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_admins_see_it_and_an_unknown_quiz_is_a_404(app, make_user, graded):
    admin = client_with_role(app, make_user, Role.ADMIN)
    assert admin.get(f"/author/quizzes/{graded.id}/stats").status_code == 200
    assert admin.get("/author/quizzes/99999/stats").status_code == 404
