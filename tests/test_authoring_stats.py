"""Question statistics (/author/quizzes/<id>/stats): on a hand-made set of attempts the
page shows the numbers worked out here by hand, and only educators and admins see it.
The SQL sums (quiz_statistics) give what the attempts' JSON gives (tests/stats_reference.py)."""

import math
import random

import pytest
from sqlalchemy import func, select

from app.auth.models import Role
from app.authoring.stats import (
    point_biserial_from_sums,
    quiz_statistics,
)
from app.clock import utcnow
from app.extensions import db as _db
from app.quizzes import service
from app.quizzes.models import Attempt, AttemptChoice, AttemptItem
from tests.conftest import client_with_role
from tests.stats_reference import analyse, point_biserial

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


def picks_for(picks: dict[str, str]) -> dict:
    """picks: question key -> the source option chosen; the answers as the form gives them."""
    return {key: [f"{key}-{source}"] for key, source in picks.items()}


PICKS = [
    {"q1": "r", "q2": "r", "q3": "r"},  # 3 of 3: 100 %
    {"q1": "r", "q2": "r", "q3": "w1"},  # 2: 66 %
    {"q1": "w1", "q2": "r", "q3": "w1"},  # 1: 33 %
    {"q1": "w1", "q2": "r", "q3": "w1"},  # 1: 33 %
]


def attempt(picks: dict[str, str]):
    results = {key: picks[key] == "r" for key in picks}
    earned = sum(results.values())
    return Attempt(
        snapshot=SNAPSHOT,
        answers=picks_for(picks),
        results=results,
        earned=earned,
        possible=3,
        percent=100 * earned // 3,
        passed=earned == 3,
    )


def made_attempts() -> list[Attempt]:
    return [attempt(picks) for picks in PICKS]


def submitted(quiz, user, snapshot: list[dict], answers: dict) -> Attempt:
    """An attempt showing `snapshot`, opened as start_attempt opens one, then graded by
    the real submit path (which writes the rows the statistics add up)."""
    now = utcnow()
    opened = Attempt(
        user_id=user.id,
        quiz_id=quiz.id,
        quiz_version=quiz.version,
        started_at=now,
        snapshot=snapshot,
        possible=sum(q["points"] for q in snapshot),
    )
    _db.session.add(opened)
    _db.session.flush()
    assert service.submit(opened, answers, now=now).recorded
    return opened


def pearson(xs: list[int], ys: list[float]) -> float:
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    return sxy / math.sqrt(sum((x - mx) ** 2 for x in xs) * sum((y - my) ** 2 for y in ys))


def test_the_numbers_are_the_ones_worked_out_by_hand(graded):
    """From the rows the submit path wrote, in SQL."""
    found = quiz_statistics(graded.id)
    assert (found.attempts, found.passed, found.mean_percent) == (4, 1, (100 + 66 + 33 + 33) / 4)
    assert (found.bands[3], found.bands[6], found.bands[9]) == (2, 1, 1)
    q1, q2, q3, *unseen = found.items  # in lesson order, then the questions not seen yet
    assert (q1.key, q2.key, q3.key) == ("q1", "q2", "q3")
    assert unseen and all(item.attempts == 0 and not item.flags for item in unseen)
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


def test_the_json_reference_gives_the_same_numbers():
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
    sums = (4, 2, 2.0, 1.9, 1.0 + 0.81 + 0.01)  # n, x, y, xy, yy of the pairs above
    assert point_biserial_from_sums(*sums) == pytest.approx(0.9 / math.sqrt(0.82))
    assert point_biserial_from_sums(1, 1, 0.5, 0.5, 0.25) is None
    assert point_biserial_from_sums(3, 1, 0.3, 0.1, 0.03) is None  # equal rests: no variation


@pytest.fixture
def graded(db, synced, make_user):
    quiz = service.get_quiz("goals-check")
    mentor = make_user(Role.MENTOR)
    for picks in PICKS:
        submitted(quiz, mentor, SNAPSHOT, picks_for(picks))
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


def varied_snapshot(rng: random.Random, version: int) -> list[dict]:
    """Questions as different as a quiz's: kinds, points, lessons or none, shuffled
    options under opaque keys, an option added and a stem changed at version 2."""
    questions = []
    for number in range(1, 7):
        key = f"v{number}"
        wrong = ["w1", "w2"] + (["w3"] if version == 2 else [])
        options = [(source, source == "r") for source in ["r", *wrong]]
        if number == 5:  # select all that apply
            options = [("r", True), ("r2", True), ("w1", False), ("w2", False)]
        rng.shuffle(options)
        keyed = [(f"{key}-{rng.getrandbits(24):06x}", source, right) for source, right in options]
        kind = "text" if number == 4 else "multiple" if number == 5 else "single"
        lesson = None if number == 6 else LESSON_A if number < 3 else LESSON_B
        questions.append(
            {
                "key": key,
                "kind": kind,
                "points": 2 if number == 3 else 1,
                "stem_html": f"Stem {key} at version {version}",
                "options": [{"key": k, "source": s, "html": f"{s}!"} for k, s, _ in keyed],
                "correct": [k for k, _, right in keyed if right],
                "accepted": ["goal"] if kind == "text" else [],
                "lesson": lesson,
            }
        )
    rng.shuffle(questions)
    return questions[: rng.randint(3, 6)]  # drawn: not every attempt sees every question


def varied_answers(rng: random.Random, snapshot: list[dict]) -> dict:
    answers = {}
    for q in snapshot:
        if rng.random() < 0.1:
            continue  # left blank
        if q["kind"] == "text":
            answers[q["key"]] = rng.choice(["goal", "Goals.", "no idea"])
        elif q["kind"] == "multiple":
            answers[q["key"]] = [o["key"] for o in q["options"] if rng.random() < 0.5]
        else:
            answers[q["key"]] = [rng.choice(q["options"])["key"]]
    return answers


def as_compared(found) -> dict:
    def near(value):
        return None if value is None else round(value, 9)

    return {
        "quiz": (found.attempts, found.passed, near(found.mean_percent), found.bands),
        "lessons": [(x.title, x.earned, x.possible) for x in found.lessons],
        "items": [
            (
                i.key,
                i.stem_html,
                i.kind,
                i.lesson,
                i.lesson_position,
                i.attempts,
                i.right,
                near(i.discrimination),
                {k: (o.html, o.correct, o.chosen) for k, o in i.options.items()},
                i.flags,
            )
            for i in found.items
        ],
    }


def test_the_sql_sums_give_what_the_attempts_json_gives(db, synced, make_user):
    """Two versions of a quiz, many attempts through the submit path (some left to expire):
    every figure as analyse() works it out from the JSON, on SQLite and PostgreSQL."""
    rng = random.Random(7)
    quiz = service.get_quiz("goals-check")
    mentors = [make_user(Role.MENTOR) for _ in range(3)]
    for number in range(90):
        if number == 45:
            quiz.version += 1
            db.session.flush()
        snapshot = varied_snapshot(rng, quiz.version)
        made = submitted(quiz, mentors[number % 3], snapshot, varied_answers(rng, snapshot))
        assert made.is_submitted
    db.session.commit()
    graded = db.session.scalars(
        select(Attempt)
        .where(Attempt.quiz_id == quiz.id, Attempt.submitted_at.is_not(None))
        .order_by(Attempt.id)
    ).all()
    current = {q.key: (q.stem_html, q.kind.value, q.options) for q in quiz.questions}
    by_sql, by_json = quiz_statistics(quiz.id), analyse(graded, current)
    assert as_compared(by_sql) == as_compared(by_json)
    assert by_sql.attempts == 90 and any(i.discrimination for i in by_sql.items)
    assert {i.key for i in by_sql.items} >= {f"v{n}" for n in range(1, 7)} | set(current)


def test_a_quiz_nobody_took_lists_its_current_questions(db, synced):
    quiz = service.get_quiz("goals-check")
    found = quiz_statistics(quiz.id)
    assert (found.attempts, found.mean_percent, found.lessons) == (0, None, [])
    assert [i.key for i in found.items] == sorted(q.key for q in quiz.questions)
    assert as_compared(found) == as_compared(
        analyse([], {q.key: (q.stem_html, q.kind.value, q.options) for q in quiz.questions})
    )


def test_deleting_an_attempt_deletes_its_rows(db, graded):
    attempt = db.session.scalars(select(Attempt).where(Attempt.quiz_id == graded.id)).first()
    db.session.delete(attempt)
    db.session.commit()
    for table in (AttemptItem, AttemptChoice):
        assert (
            db.session.scalar(
                select(func.count()).select_from(table).where(table.attempt_id == attempt.id)
            )
            == 0
        )
    assert quiz_statistics(graded.id).attempts == 3
