"""Reading courses and recording a learner's progress."""

import enum
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import and_, bindparam, case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import load_only

from app.auth.models import User
from app.courses.models import Course, Lesson, LessonCompletion
from app.courses.progress import course_complete, percent_of
from app.errors import NotFound
from app.extensions import db
from app.quizzes.models import Attempt, Quiz


class Status(enum.StrEnum):
    NOT_STARTED = "not started"
    IN_PROGRESS = "in progress"
    COMPLETE = "complete"


@dataclass(frozen=True)
class CourseOutline:
    """The columns of a course the catalog and lesson pages show (read without the ORM)."""

    id: int
    slug: str
    title: str
    summary: str
    estimated_minutes: int | None
    version: int


@dataclass(frozen=True)
class LessonOutline:
    id: int
    slug: str
    title: str
    estimated_minutes: int | None
    body_html: str | None = None  # loaded only for the lesson being shown
    workbook: bool = False  # the page offers a private writing box (app.courses.workbook)


@dataclass(frozen=True)
class QuizOutline:
    id: int
    slug: str
    title: str
    version: int
    pass_percent: int


@dataclass(frozen=True)
class CourseProgress:
    """One learner's standing in one course, from its current (not archived) lessons."""

    course: Course | CourseOutline
    lessons: tuple[Lesson | LessonOutline, ...]
    completed: dict[int, datetime]
    quiz: Quiz | QuizOutline | None = None
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
        return percent_of(self.done_count, len(self.lessons))

    @property
    def lessons_done(self) -> bool:
        return bool(self.lessons) and self.done_count == len(self.lessons)

    @property
    def status(self) -> Status:
        complete = course_complete(
            self.done_count,
            len(self.lessons),
            has_quiz=self.quiz is not None,
            quiz_passed=self.quiz_passed,
        )
        if complete:
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


_COURSE_COLUMNS = (
    Course.id,
    Course.slug,
    Course.title,
    Course.summary,
    Course.estimated_minutes,
    Course.version,
)
_LESSON_COLUMNS = (
    Lesson.id.label("lesson_id"),
    Lesson.slug.label("lesson_slug"),
    Lesson.title.label("lesson_title"),
    Lesson.estimated_minutes.label("lesson_minutes"),
    Lesson.workbook.label("lesson_workbook"),
)


def _outlines(rows, body_of: str | None = None) -> list[CourseProgress]:
    """Rows of course columns + lesson columns + completed_at, in order -> progress per course."""
    courses: dict[int, tuple[CourseOutline, list[LessonOutline], dict[int, datetime]]] = {}
    for row in rows:
        if row.id not in courses:
            course = CourseOutline(
                row.id, row.slug, row.title, row.summary, row.estimated_minutes, row.version
            )
            courses[row.id] = (course, [], {})
        _, lessons, completed = courses[row.id]
        if row.lesson_id is not None:
            body = row.body_html if body_of is not None else None
            lessons.append(
                LessonOutline(
                    row.lesson_id,
                    row.lesson_slug,
                    row.lesson_title,
                    row.lesson_minutes,
                    body,
                    bool(row.lesson_workbook),
                )
            )
            if row.completed_at is not None:
                completed[row.lesson_id] = row.completed_at
    return [
        CourseProgress(course, tuple(lessons), completed)
        for course, lessons, completed in courses.values()
    ]


def _progress_query(*extra_columns):
    """Current courses with their current lessons and one user's completions (:user_id)."""
    return (
        select(*_COURSE_COLUMNS, *_LESSON_COLUMNS, LessonCompletion.completed_at, *extra_columns)
        .select_from(Course)
        .outerjoin(Lesson, and_(Lesson.course_id == Course.id, Lesson.archived_at.is_(None)))
        .outerjoin(
            LessonCompletion,
            and_(
                LessonCompletion.lesson_id == Lesson.id,
                LessonCompletion.user_id == bindparam("user_id"),
            ),
        )
        .where(Course.archived_at.is_(None))
        .order_by(Course.position, Course.slug, Lesson.position)
    )


# Built once: the catalog and lesson pages are the hottest paths, and building a
# statement costs more than running it on SQLite.
_CATALOG_QUERY = _progress_query()
_LESSON_QUERY = _progress_query(
    case((Lesson.slug == bindparam("lesson_slug"), Lesson.body_html), else_=None).label("body_html")
).where(Course.slug == bindparam("course_slug"), Lesson.id.is_not(None))
_PASSED = func.max(case((Attempt.passed.is_(True), 1), else_=0))
_QUIZ_QUERY = (
    select(Quiz.course_id, Quiz.id, Quiz.slug, Quiz.title, Quiz.version, Quiz.pass_percent, _PASSED)
    .outerjoin(Attempt, and_(Attempt.quiz_id == Quiz.id, Attempt.user_id == bindparam("user_id")))
    .where(Quiz.archived_at.is_(None))
    .group_by(Quiz.course_id, Quiz.id, Quiz.slug, Quiz.title, Quiz.version, Quiz.pass_percent)
)


def _read(statement, parameters: dict):
    """Plain rows on the session's connection: these reads need no ORM objects, and
    skipping the ORM layer halves their cost on the hottest pages."""
    return db.session.connection().execute(statement, parameters)


def _quiz_outlines(user: User) -> dict[int, tuple[QuizOutline, bool]]:
    """Each course's current quiz and whether the user has passed it, in one query."""
    rows = _read(_QUIZ_QUERY, {"user_id": user.id})
    return {
        course_id: (QuizOutline(quiz_id, slug, title, version, pass_percent), bool(has_passed))
        for course_id, quiz_id, slug, title, version, pass_percent, has_passed in rows
    }


def catalog(user: User) -> list[CourseProgress]:
    """Every current course in catalog order with the user's progress: two queries in all."""
    progress = _outlines(_read(_CATALOG_QUERY, {"user_id": user.id}))
    quizzes = _quiz_outlines(user)
    return [
        replace(p, quiz=quizzes[p.course.id][0], quiz_passed=quizzes[p.course.id][1])
        if p.course.id in quizzes
        else p
        for p in progress
    ]


def lesson_page(
    user: User, course_slug: str, lesson_slug: str
) -> tuple[CourseProgress, LessonOutline]:
    """A lesson with its course's outline and the user's progress, in one query."""
    parameters = {"user_id": user.id, "course_slug": course_slug, "lesson_slug": lesson_slug}
    rows = _read(_LESSON_QUERY, parameters)
    progress = _outlines(rows, body_of=lesson_slug)
    lesson = next((item for p in progress for item in p.lessons if item.slug == lesson_slug), None)
    if lesson is None:
        raise NotFound("There is no such lesson in this course.")
    return progress[0], lesson


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
