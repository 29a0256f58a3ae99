"""The one progress model: how far people are in courses, read in bulk in a fixed number
of queries whatever the number of people.

The rules live here once: a course's percent (current lessons done of current lessons)
and when a course is complete (every current lesson done, and its quiz passed when it
has one). The catalog and lesson pages (courses.service.CourseProgress), certificate
award, the stored mentor standings behind the dashboard, the CSV and the API, and the
reminders all read them from here.

A requirement of another kind (an observed practice sign-off, say) joins as one more
field of CourseFacts and one more condition in `course_complete`.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Integer, and_, cast, func, select
from sqlalchemy.engine import Connection

from app.courses.models import Course, Lesson, LessonCompletion
from app.quizzes.models import Attempt, Quiz


def percent_of(done: int, total: int) -> int:
    """Share of current lessons done, as a whole percent."""
    return round(100 * done / total) if total else 0


def course_complete(done: int, total: int, *, has_quiz: bool, quiz_passed: bool) -> bool:
    """Every current lesson done and, if the course has a quiz, a passed attempt."""
    return total > 0 and done >= total and (quiz_passed or not has_quiz)


@dataclass(frozen=True)
class CourseRef:
    """A current course as progress needs it: its lessons counted, its current quiz."""

    id: int
    slug: str
    title: str
    version: int
    lessons_total: int
    quiz_id: int | None = None
    quiz_slug: str | None = None
    quiz_version: int | None = None

    @property
    def has_quiz(self) -> bool:
        return self.quiz_id is not None


@dataclass(frozen=True)
class CourseFacts:
    """One person in one course."""

    course: CourseRef
    lessons_done: int = 0
    best_percent: int | None = None  # best submitted attempt at the current quiz
    quiz_passed: bool = False

    @property
    def lessons_total(self) -> int:
        return self.course.lessons_total

    @property
    def percent(self) -> int:
        return percent_of(self.lessons_done, self.course.lessons_total)

    @property
    def complete(self) -> bool:
        return course_complete(
            self.lessons_done,
            self.course.lessons_total,
            has_quiz=self.course.has_quiz,
            quiz_passed=self.quiz_passed,
        )

    # The names the pages and payloads use.
    @property
    def slug(self) -> str:
        return self.course.slug

    @property
    def title(self) -> str:
        return self.course.title

    @property
    def has_quiz(self) -> bool:
        return self.course.has_quiz


@dataclass(frozen=True)
class Progress:
    """One person across the courses asked about."""

    courses: tuple[CourseFacts, ...]
    last_activity: datetime | None = None  # any lesson done or quiz submitted, any course

    @property
    def lessons_done(self) -> int:
        return sum(c.lessons_done for c in self.courses)

    @property
    def lessons_total(self) -> int:
        return sum(c.lessons_total for c in self.courses)

    @property
    def percent(self) -> int:
        return percent_of(self.lessons_done, self.lessons_total)

    @property
    def best_quiz_percent(self) -> int | None:
        scores = [c.best_percent for c in self.courses if c.best_percent is not None]
        return max(scores) if scores else None

    @property
    def started(self) -> bool:
        return self.last_activity is not None

    def complete(self) -> bool:
        return all(c.complete for c in self.courses)

    def by_slug(self) -> dict[str, CourseFacts]:
        return {c.course.slug: c for c in self.courses}


def current_courses(connection: Connection, slugs: Sequence[str] | None = None) -> list[CourseRef]:
    """Current courses (catalog order, or the order of `slugs`), their current lessons
    counted and their current quiz: one query."""
    lessons = (
        select(Lesson.course_id, func.count(Lesson.id).label("total"))
        .where(Lesson.archived_at.is_(None))
        .group_by(Lesson.course_id)
        .subquery()
    )
    statement = (
        select(
            Course.id,
            Course.slug,
            Course.title,
            Course.version,
            func.coalesce(lessons.c.total, 0),
            Quiz.id,
            Quiz.slug,
            Quiz.version,
        )
        .outerjoin(lessons, lessons.c.course_id == Course.id)
        .outerjoin(Quiz, and_(Quiz.course_id == Course.id, Quiz.archived_at.is_(None)))
        .where(Course.archived_at.is_(None))
        .order_by(Course.position, Course.slug)
    )
    if slugs is not None:
        statement = statement.where(Course.slug.in_(list(slugs)))
    refs = [CourseRef(*row) for row in connection.execute(statement)]
    if slugs is not None:
        order = {slug: index for index, slug in enumerate(slugs)}
        refs.sort(key=lambda ref: order[ref.slug])
    return refs


def progress_for(
    connection: Connection,
    user_ids: Iterable[int],
    courses: Sequence[CourseRef],
) -> dict[int, Progress]:
    """Each person's progress in `courses`, in two queries (lessons, quizzes), however many
    people: give a page's worth, or a batch of a few hundred, at a time."""
    ids = list(user_ids)
    if not ids:
        return {}
    done: dict[tuple[int, int], int] = {}
    last: dict[int, datetime] = {}
    for user_id, course_id, count, latest in connection.execute(
        select(
            LessonCompletion.user_id,
            Lesson.course_id,
            func.count(),
            func.max(LessonCompletion.completed_at),
        )
        .join(Lesson, Lesson.id == LessonCompletion.lesson_id)
        .where(LessonCompletion.user_id.in_(ids), Lesson.archived_at.is_(None))
        .group_by(LessonCompletion.user_id, Lesson.course_id)
    ):
        done[(user_id, course_id)] = count
        last[user_id] = max(latest, last.get(user_id, latest))
    quizzes: dict[tuple[int, int], tuple[int | None, bool]] = {}
    for user_id, quiz_id, best, passed, latest in connection.execute(
        select(
            Attempt.user_id,
            Attempt.quiz_id,
            func.max(Attempt.percent),
            func.max(cast(Attempt.passed, Integer)),  # PostgreSQL has no max(boolean)
            func.max(Attempt.submitted_at),
        )
        .where(Attempt.user_id.in_(ids), Attempt.submitted_at.is_not(None))
        .group_by(Attempt.user_id, Attempt.quiz_id)
    ):
        quizzes[(user_id, quiz_id)] = (best, bool(passed))
        last[user_id] = max(latest, last.get(user_id, latest))
    result = {}
    for user_id in ids:
        facts = []
        for course in courses:
            best, passed = quizzes.get((user_id, course.quiz_id), (None, False))
            facts.append(CourseFacts(course, done.get((user_id, course.id), 0), best, passed))
        result[user_id] = Progress(tuple(facts), last.get(user_id))
    return result
