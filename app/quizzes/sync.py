"""Import quizzes; a question keeps its id (and row) across edits, so attempts and
statistics keep following it."""

from datetime import datetime

from sqlalchemy import select

from app.content.quizzes import QuestionSource, QuizSource
from app.courses.models import Course, Lesson
from app.extensions import db
from app.quizzes.models import Question, Quiz
from app.rows import assign_changed


def _question_values(source: QuestionSource, position: int, lesson_id: int | None) -> dict:
    return {
        "position": position,
        "lesson_id": lesson_id,
        "kind": source.kind,
        "points": source.points,
        "stem_html": source.stem_html,
        "body_html": source.body_html,
        "options": [
            {"key": o.key, "html": o.html, "text": o.text, "correct": o.correct}
            for o in source.options
        ],
        "explanation_html": source.explanation_html,
        "archived_at": None,
    }


def _sync_questions(
    quiz: Quiz,
    sources: tuple[QuestionSource, ...],
    lessons: dict[str, int],
    now: datetime,
    report,
) -> bool:
    existing = {question.key: question for question in quiz.questions}
    changed = False
    for position, source in enumerate(sources, start=1):
        values = _question_values(source, position, lessons.get(source.lesson or ""))
        question = existing.pop(source.key, None)
        if question is None:
            quiz.questions.append(Question(key=source.key, **values))
            changed = True
        elif assign_changed(question, values):
            changed = True
    for question in existing.values():
        if question.archived_at is None:
            question.archived_at = now
            changed = True
    return changed


def sync_quizzes(sources: tuple[QuizSource, ...], *, now: datetime, report) -> None:
    courses = {c.slug: c.id for c in db.session.scalars(select(Course))}
    quizzes = {q.slug: q for q in db.session.scalars(select(Quiz))}
    lessons: dict[int, dict[str, int]] = {}
    for course_id, slug, lesson_id in db.session.execute(
        select(Lesson.course_id, Lesson.slug, Lesson.id)
    ):
        lessons.setdefault(course_id, {})[slug] = lesson_id
    for source in sources:
        course_lessons = lessons.get(courses[source.course_slug], {})
        values = {
            "course_id": courses[source.course_slug],
            "title": source.title,
            "intro_html": source.intro_html,
            "pass_percent": source.pass_percent,
            "max_attempts": source.max_attempts,
            "attempt_window_days": source.attempt_window_days,
            "cooldown_minutes": source.cooldown_minutes,
            "time_limit_minutes": source.time_limit_minutes,
            "draw": source.draw,
            "draw_per_lesson": source.draw_per_lesson,
            "shuffle": source.shuffle,
            "reveal_answers": source.reveal_answers,
            "content_hash": source.content_hash,
            "archived_at": None,
        }
        quiz = quizzes.pop(source.slug, None)
        if quiz is None:
            quiz = Quiz(slug=source.slug, version=1, **values)
            db.session.add(quiz)
            _sync_questions(quiz, source.questions, course_lessons, now, report)
            report.created.append(f"quiz {source.slug}")
            continue
        settings_changed = assign_changed(quiz, values)
        questions_changed = _sync_questions(quiz, source.questions, course_lessons, now, report)
        if settings_changed or questions_changed:
            quiz.version += 1
            report.updated.append(f"quiz {source.slug}")
    for quiz in quizzes.values():
        if quiz.archived_at is None:
            quiz.archived_at = now
            report.archived.append(f"quiz {quiz.slug}")
