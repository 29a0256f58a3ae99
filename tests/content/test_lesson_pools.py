"""Quizzes drawn per lesson: lesson=, draw_per_lesson, attempt_window_days and the
workbook key, each problem reported once, at its line, with its real cause."""

import random
from pathlib import Path

import pytest

from app.content import ContentError, load_content
from app.content.quizzes import parse_quiz

PATH = Path("quizzes/goals.md")


def question(key: str, lesson: str | None = "first", points: int = 1) -> str:
    attributes = f"#{key}" + (f" lesson={lesson}" if lesson else "")
    attributes += f" points={points}" if points != 1 else ""
    return f"## Question {key} {{{attributes}}}\n\n- [x] right\n- [ ] wrong\n\n"


def quiz_text(front: str, *questions: str) -> str:
    return f"---\ntitle: Goals\ncourse: goals\n{front}---\nIntro.\n\n" + "".join(questions)


def problems(text: str) -> list[str]:
    with pytest.raises(ContentError) as caught:
        parse_quiz(PATH, text)
    return [f"{p.line}: {p.message}" for p in caught.value.problems]


def test_questions_name_their_lesson_and_the_quiz_its_policy():
    quiz = parse_quiz(
        PATH,
        quiz_text(
            "max_attempts: 3\nattempt_window_days: 30\ndraw_per_lesson: 1\n",
            question("a"),
            question("b", lesson="second"),
        ),
    )
    assert [q.lesson for q in quiz.questions] == ["first", "second"]
    assert (quiz.draw_per_lesson, quiz.max_attempts, quiz.attempt_window_days) == (1, 3, 30)


def test_draw_and_draw_per_lesson_together_are_refused_at_the_line():
    text = quiz_text("draw: 1\ndraw_per_lesson: 1\n", question("a"), question("b"))
    assert problems(text) == ["5: use draw or draw_per_lesson, not both"]


def test_a_pool_smaller_than_the_draw_and_a_question_without_lesson_are_at_their_lines():
    text = quiz_text(
        "draw_per_lesson: 2\n",
        question("a"),  # line 8
        question("b", lesson="second"),  # line 13
        question("c", lesson="second"),  # line 18
        question("d", lesson=None),  # line 23
    )
    assert problems(text) == [
        "8: lesson 'first' has 1 question but draw_per_lesson is 2",
        "23: question 'd' names no lesson: with draw_per_lesson every question needs "
        "lesson=<slug> in its {...} block",
    ]


def test_questions_of_one_pool_must_carry_the_same_points():
    text = quiz_text("draw_per_lesson: 1\n", question("a"), question("b", points=2))
    assert problems(text) == [
        "13: question 'b' is worth 2 points but 'a' (line 8), of the same lesson's pool, 1: "
        "every drawn form must carry the same total"
    ]


def test_a_bad_lesson_attribute_and_bad_window_are_reported():
    text = quiz_text("attempt_window_days: 0\n", question("a", lesson="Not_A_Slug"))
    assert problems(text) == [
        "4: 'attempt_window_days' must be greater than 0",
        "8: lesson= must name a lesson's slug, not 'Not_A_Slug'",
    ]


def test_one_problem_does_not_hide_the_draw_exceeding_the_pool():
    text = quiz_text(
        "pass_percent: 150\ndraw: 5\n",
        question("a"),
        "## Broken {#broken}\n\nNo options here.\n\n",
    )
    assert problems(text) == [
        "4: 'pass_percent' must be between 1 and 100",
        "5: draw is 5 but the quiz has only 2 questions",
        "14: question 'broken' has no options: add a list of '- [ ] ...' lines",
    ]


def test_a_broken_question_counts_in_its_pool_so_it_is_reported_once():
    text = quiz_text(
        "draw_per_lesson: 2\n",
        question("a"),
        "## Broken {#broken lesson=first}\n\nNo options here.\n\n",
    )
    assert problems(text) == [
        "13: question 'broken' has no options: add a list of '- [ ] ...' lines",
    ]


# --- against the course -----------------------------------------------------------------


def content(tmp_path: Path, quiz: str, *, quiz_name: str = "goals") -> Path:
    course = tmp_path / "courses" / "goals"
    course.mkdir(parents=True)
    (course / "course.md").write_text(
        f"---\ntitle: Goals\nsummary: Goals.\nquiz: {quiz_name}\n---\nOverview.\n"
    )
    (course / "01-first.md").write_text("---\ntitle: First\n---\nText.\n")
    (course / "02-second.md").write_text("---\ntitle: Second\nworkbook: true\n---\nText.\n")
    (tmp_path / "courses" / "certifications.yml").write_text(
        "- id: goals-cert\n  title: Goals\n  courses: [goals]\n"
    )
    (tmp_path / "quizzes").mkdir()
    (tmp_path / "quizzes" / "goals.md").write_text(quiz)
    return tmp_path


def loaded_problems(root: Path) -> list[str]:
    with pytest.raises(ContentError) as caught:
        load_content(root)
    return [f"{p.path.relative_to(root)}:{p.line}: {p.message}" for p in caught.value.problems]


def test_an_unknown_lesson_and_a_lesson_without_questions_are_reported(tmp_path):
    root = content(tmp_path, quiz_text("draw_per_lesson: 1\n", question("a", lesson="third")))
    assert loaded_problems(root) == [
        "quizzes/goals.md:3: lesson 'first' of course 'goals' has no questions: "
        "with draw_per_lesson each lesson needs at least 1",
        "quizzes/goals.md:3: lesson 'second' of course 'goals' has no questions: "
        "with draw_per_lesson each lesson needs at least 1",
        "quizzes/goals.md:8: lesson 'third' is not a lesson of course 'goals' "
        "(its lessons: first, second)",
    ]


def test_a_quiz_with_errors_is_not_said_to_be_missing_and_is_still_checked(tmp_path):
    root = content(tmp_path, quiz_text("pass_percent: 0\ndraw_per_lesson: 1\n", question("a")))
    found = loaded_problems(root)
    assert "quizzes/goals.md:4: 'pass_percent' must be between 1 and 100" in found
    assert not any("does not exist" in line for line in found)
    assert any("lesson 'second' of course 'goals' has no questions" in line for line in found)


def test_a_lesson_with_a_problem_of_its_own_is_not_a_second_problem_in_the_quiz(tmp_path):
    root = content(
        tmp_path,
        quiz_text("draw_per_lesson: 1\n", question("a"), question("b", lesson="second")),
    )
    (root / "courses/goals/01-first.md").write_text("---\nestimated_minutes: soon\n---\nText.\n")
    found = loaded_problems(root)
    assert found and all(line.startswith("courses/goals/01-first.md") for line in found), found


def test_good_pools_load_with_the_workbook_lesson(tmp_path):
    root = content(
        tmp_path,
        quiz_text("draw_per_lesson: 1\n", question("a"), question("b", lesson="second")),
    )
    loaded = load_content(root)
    [course] = loaded.courses
    assert [lesson.workbook for lesson in course.lessons] == [False, True]
    assert loaded.quizzes[0].draw_per_lesson == 1


def test_every_drawn_form_covers_every_lesson_with_the_same_total(app, db, tmp_path):
    from app.clock import utcnow
    from app.courses.sync import sync_content
    from app.quizzes.models import Quiz
    from app.quizzes.service import draw_questions

    pools = [
        question(f"{lesson[0]}{n}", lesson=lesson)
        for lesson in ("first", "second")
        for n in range(4)
    ]
    sync_content(
        load_content(content(tmp_path, quiz_text("draw_per_lesson: 2\n", *pools))), now=utcnow()
    )
    quiz = db.session.query(Quiz).one()
    rng = random.Random(7)
    forms = {tuple(q.key for q in draw_questions(quiz, rng)) for _ in range(200)}
    assert len(forms) > 10  # the pools really are drawn from
    for form in forms:
        assert sorted(key[0] for key in form) == ["f", "f", "s", "s"]
