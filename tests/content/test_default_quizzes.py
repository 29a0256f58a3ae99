"""The default quizzes as a program director and a psychometrician would check them:
every attempt covers every lesson with the same total, one attempts policy, and the
item-writing rules that can be counted."""

import html
import random
import re
from pathlib import Path

import pytest

from app.content import load_content
from app.content.quizzes import QuestionKind, Reveal

ROOT = Path(__file__).parents[2]
CONTENT = load_content(ROOT)
QUIZZES = {quiz.slug: quiz for quiz in CONTENT.quizzes}
LESSONS = {course.slug: [lesson.slug for lesson in course.lessons] for course in CONTENT.courses}


def plain(text: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", text))


def test_each_course_has_its_quiz_with_one_attempts_policy():
    assert {q.course_slug for q in QUIZZES.values()} == set(LESSONS)
    for quiz in QUIZZES.values():
        assert (quiz.pass_percent, quiz.max_attempts, quiz.attempt_window_days) == (80, 3, 30)
        assert quiz.draw is None and quiz.draw_per_lesson == 2
        assert quiz.reveal_answers is Reveal.AFTER_PASS
        intro = plain(quiz.intro_html)
        assert "3 attempts in any 30 days" in intro, quiz.slug
        assert all(q.explanation_html for q in quiz.questions)


@pytest.mark.parametrize("slug", sorted(QUIZZES))
def test_every_lesson_has_its_own_pool_of_at_least_four(slug):
    quiz = QUIZZES[slug]
    pools = {}
    for question in quiz.questions:
        pools.setdefault(question.lesson, []).append(question)
    assert set(pools) == set(LESSONS[quiz.course_slug])
    assert all(len(pool) >= 4 for pool in pools.values())


@pytest.mark.parametrize("slug", sorted(QUIZZES))
def test_item_writing_rules_that_can_be_counted(slug):
    quiz = QUIZZES[slug]
    singles = [q for q in quiz.questions if q.kind is QuestionKind.SINGLE]
    longest_right = 0
    for question in singles:
        lengths = [len(option.text) for option in question.options]
        right = next(len(o.text) for o in question.options if o.correct)
        longest_right += right == max(lengths) and lengths.count(right) == 1
    assert longest_right <= len(singles) / 3, f"{longest_right} of {len(singles)}"
    multiples = [q for q in quiz.questions if q.kind is QuestionKind.MULTIPLE]
    right_counts = {sum(o.correct for o in q.options) for q in multiples}
    assert len(multiples) < 2 or len(right_counts) >= 2, right_counts
    for question in quiz.questions:
        stem = plain(question.stem_html + " " + question.body_html).lower()
        options = [o.text.lower() for o in question.options]
        assert not re.search(r"\bthe (lesson|course)\b|according to the", stem), question.key
        assert not any(
            re.search(r"\b(all|none|both) of (the|these) above\b|\bboth [a-d] and [a-d]\b", o)
            for o in options
        ), question.key
        assert not stem.startswith("later in the same"), question.key


def test_five_hundred_drawn_forms_each_cover_every_lesson_with_the_same_total(app, db):
    from app.clock import utcnow
    from app.courses.sync import sync_content
    from app.quizzes import service

    sync_content(CONTENT, now=utcnow())
    rng = random.Random(2026)
    for slug, source in QUIZZES.items():
        quiz = service.get_quiz(slug)
        lesson_of = {q.key: q.lesson for q in source.questions}
        assert service.questions_per_attempt(quiz) == 2 * len(LESSONS[source.course_slug])
        totals, forms = set(), set()
        for _ in range(500):
            drawn = service.draw_questions(quiz, rng)
            lessons = [lesson_of[q.key] for q in drawn]
            assert sorted(lessons) == sorted(LESSONS[source.course_slug] * 2), slug
            totals.add(sum(q.points for q in drawn))
            forms.add(frozenset(q.key for q in drawn))
        assert len(totals) == 1, (slug, totals)
        assert len(forms) > 400, (slug, len(forms))  # memory of one form does not pass
