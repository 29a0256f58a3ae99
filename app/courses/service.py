"""Reading courses and recording a learner's progress."""

import enum
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import load_only

from app.auth.models import User
from app.courses.models import Course, Lesson, LessonCompletion
from app.errors import NotFound
from app.extensions import db
from app.quizzes.models import Attempt, Quiz


class Status(enum.StrEnum):
    NOT_STARTED = "not started"
    IN_PROGRESS = "in progress"
    COMPLETE = "complete"


@dataclass(frozen=True)
class CourseProgress:
    """One learner's standing in one course, from its current (not archived) lessons."""

    course: Course
    lessons: tuple[Lesson, ...]
    completed: dict[int, datetime]
    quiz: Quiz | None = None
    quiz_passed: bool = False

    def is_done(self, lesson: Lesson) -> bool:
        return lesson.id in self.completed

    def number_of(self, lesson: Lesson) -> int:
        """1-based place of the lesson among the current ones."""
        return [item.id for item in self.lessons].index(lesson.id) + 1

    @property
    def done_count(self) -> int:
        return sum(1 for lesson in self.lessons if lesson.id in self.completed)

    @property
    def percent(self) -> int:
        return round(100 * self.done_count / len(self.lessons)) if self.lessons else 0

    @property
    def lessons_done(self) -> bool:
        return bool(self.lessons) and self.done_count == len(self.lessons)

    @property
    def status(self) -> Status:
        """Complete: every current lesson done and, if the course has a quiz, a passed attempt."""
        if self.lessons_done and (self.quiz is None or self.quiz_passed):
            return Status.COMPLETE
        return Status.IN_PROGRESS if self.done_count or self.quiz_passed else Status.NOT_STARTED

    @property
    def minutes(self) -> int:
        from_lessons = sum(lesson.estimated_minutes or 0 for lesson in self.lessons)
        return from_lessons or self.course.estimated_minutes or 0

    @property
    def minutes_left(self) -> int:
        return sum(
            lesson.estimated_minutes or 0 for lesson in self.lessons if not self.is_done(lesson)
        )

    @property
    def next_lesson(self) -> Lesson | None:
        return next((lesson for lesson in self.lessons if not self.is_done(lesson)), None)

    @property
    def last_activity(self) -> datetime | None:
        times = [
            self.completed[lesson.id] for lesson in self.lessons if lesson.id in self.completed
        ]
        return max(times, default=None)


_LESSON_OUTLINE = load_only(
    Lesson.id,
    Lesson.course_id,
    Lesson.slug,
    Lesson.title,
    Lesson.position,
    Lesson.estimated_minutes,
)


def _completions(user: User, lesson_ids: list[int]) -> dict[int, datetime]:
    if not lesson_ids:
        return {}
    rows = db.session.execute(
        select(LessonCompletion.lesson_id, LessonCompletion.completed_at).where(
            LessonCompletion.user_id == user.id, LessonCompletion.lesson_id.in_(lesson_ids)
        )
    )
    return dict(rows.all())


def catalog(user: User) -> list[CourseProgress]:
    """Every current course in catalog order with the user's progress: five queries in all."""
    courses = db.session.scalars(
        select(Course).where(Course.archived_at.is_(None)).order_by(Course.position, Course.slug)
    ).all()
    lessons = db.session.scalars(
        select(Lesson)
        .options(_LESSON_OUTLINE)
        .where(Lesson.archived_at.is_(None), Lesson.course_id.in_([c.id for c in courses]))
        .order_by(Lesson.position)
    ).all()
    completed = _completions(user, [lesson.id for lesson in lessons])
    by_course: dict[int, list[Lesson]] = {course.id: [] for course in courses}
    for lesson in lessons:
        by_course[lesson.course_id].append(lesson)
    quizzes = _quizzes_by_course([c.id for c in courses])
    passed = _passed_quiz_ids(user, [q.id for q in quizzes.values()])
    return [
        CourseProgress(
            c,
            tuple(by_course[c.id]),
            completed,
            quizzes.get(c.id),
            quizzes.get(c.id) is not None and quizzes[c.id].id in passed,
        )
        for c in courses
    ]


def _quizzes_by_course(course_ids: list[int]) -> dict[int, Quiz]:
    quizzes = db.session.scalars(
        select(Quiz).where(Quiz.course_id.in_(course_ids), Quiz.archived_at.is_(None))
    )
    return {quiz.course_id: quiz for quiz in quizzes}


def _passed_quiz_ids(user: User, quiz_ids: list[int]) -> set[int]:
    if not quiz_ids:
        return set()
    rows = db.session.scalars(
        select(Attempt.quiz_id)
        .where(Attempt.user_id == user.id, Attempt.quiz_id.in_(quiz_ids), Attempt.passed.is_(True))
        .distinct()
    )
    return set(rows)


def continue_point(progress: list[CourseProgress]) -> tuple[CourseProgress, Lesson] | None:
    """Where to pick up: the next lesson of the course worked on most recently,
    else of the first unfinished course."""
    unfinished = [p for p in progress if p.next_lesson is not None]
    started = [p for p in unfinished if p.last_activity is not None]
    chosen = max(started, key=lambda p: p.last_activity) if started else None
    chosen = chosen or (unfinished[0] if unfinished else None)
    return (chosen, chosen.next_lesson) if chosen else None


def get_course(slug: str) -> Course:
    course = db.session.scalar(
        select(Course).where(Course.slug == slug, Course.archived_at.is_(None))
    )
    if course is None:
        raise NotFound("There is no such course.")
    return course


def course_progress(user: User, course: Course) -> CourseProgress:
    lessons = db.session.scalars(
        select(Lesson)
        .options(_LESSON_OUTLINE)
        .where(Lesson.course_id == course.id, Lesson.archived_at.is_(None))
        .order_by(Lesson.position)
    ).all()
    quiz = _quizzes_by_course([course.id]).get(course.id)
    passed = quiz is not None and quiz.id in _passed_quiz_ids(user, [quiz.id])
    completed = _completions(user, [lesson.id for lesson in lessons])
    return CourseProgress(course, tuple(lessons), completed, quiz, passed)


def get_lesson(course: Course, slug: str) -> Lesson:
    lesson = db.session.scalar(
        select(Lesson).where(
            Lesson.course_id == course.id, Lesson.slug == slug, Lesson.archived_at.is_(None)
        )
    )
    if lesson is None:
        raise NotFound("There is no such lesson in this course.")
    return lesson


def neighbours(progress: CourseProgress, lesson: Lesson) -> tuple[Lesson | None, Lesson | None]:
    index = progress.number_of(lesson) - 1
    previous = progress.lessons[index - 1] if index > 0 else None
    following = progress.lessons[index + 1] if index + 1 < len(progress.lessons) else None
    return previous, following


def mark_complete(user: User, lesson: Lesson, *, now: datetime) -> None:
    """Record the lesson as done; doing it twice keeps the first time."""
    exists = db.session.scalar(
        select(LessonCompletion.id).where(
            LessonCompletion.user_id == user.id, LessonCompletion.lesson_id == lesson.id
        )
    )
    if exists:
        return
    try:
        with db.session.begin_nested():
            db.session.add(LessonCompletion(user_id=user.id, lesson_id=lesson.id, completed_at=now))
    except IntegrityError:
        pass  # a double click raced us; the first completion stands
