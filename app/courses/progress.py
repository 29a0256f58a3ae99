"""The one progress model: how far people are in courses, read in bulk in a fixed number
of queries whatever the number of people.

The rules live here once: a course's percent (current lessons done of current lessons)
and when a course is complete (every current lesson done, and its quiz passed when it
has one). The catalog and lesson pages (courses.service.CourseProgress), certificate
award, the stored mentor standings behind the dashboard, the CSV and the API, and the
reminders all read them from here.

Observed practice is the other kind of requirement: an item counts as done when the
latest observation of it rated every criterion meets or better (`observation_passes`),
and a person's requirements are complete when every course is and every practice item
is done (`Progress.complete`).
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Integer, and_, cast, func, select
from sqlalchemy.engine import Connection

from app.courses.models import Course, Lesson, LessonCompletion
from app.practice.models import PracticeItem, PracticeObservation, Rating
from app.quizzes.models import Attempt, Quiz


def percent_of(done: int, total: int) -> int:
    """Share of current lessons done, as a whole percent."""
    return round(100 * done / total) if total else 0


def course_complete(done: int, total: int, *, has_quiz: bool, quiz_passed: bool) -> bool:
    """Every current lesson done and, if the course has a quiz, a passed attempt."""
    return total > 0 and done >= total and (quiz_passed or not has_quiz)


def observation_passes(ratings: Iterable[str]) -> bool:
    """An observation counts when it rated every criterion meets or exceeds."""
    values = list(ratings)
    return bool(values) and all(value in (Rating.MEETS, Rating.EXCEEDS) for value in values)


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
class PracticeRef:
    """A current practice item of a certification."""

    id: int
    slug: str
    title: str
    version: int


@dataclass(frozen=True)
class PracticeFacts:
    """One person and one practice item: the latest observation recorded, if any."""

    item: PracticeRef
    observed_on: date | None = None
    recorded_at: datetime | None = None
    rated_version: int | None = None  # the version of the rubric the observer used
    done: bool = False  # the latest observation passes

    @property
    def recorded(self) -> bool:
        return self.recorded_at is not None

    @property
    def slug(self) -> str:
        return self.item.slug

    @property
    def title(self) -> str:
        return self.item.title


@dataclass(frozen=True)
class Progress:
    """One person across the courses (and practice items) asked about."""

    courses: tuple[CourseFacts, ...]
    last_activity: datetime | None = None  # a lesson done, quiz submitted or observation
    practice: tuple[PracticeFacts, ...] = ()

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

    def courses_complete(self) -> bool:
        return all(c.complete for c in self.courses)

    @property
    def practice_done(self) -> bool:
        return all(p.done for p in self.practice)

    def complete(self) -> bool:
        """Every requirement met: the courses complete and the practice items done."""
        return self.courses_complete() and self.practice_done

    @property
    def awaiting_observation(self) -> bool:
        """The courses are complete and only observed practice is missing."""
        return bool(self.courses) and self.courses_complete() and not self.practice_done

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


def current_practice(connection: Connection, certification_id: int) -> list[PracticeRef]:
    """A certification's current practice items, in file order: one query."""
    rows = connection.execute(
        select(PracticeItem.id, PracticeItem.slug, PracticeItem.title, PracticeItem.version)
        .where(
            PracticeItem.certification_id == certification_id,
            PracticeItem.archived_at.is_(None),
        )
        .order_by(PracticeItem.position, PracticeItem.slug)
    )
    return [PracticeRef(*row) for row in rows]


def _latest_observations(
    connection: Connection, ids: list[int], practice: Sequence[PracticeRef]
) -> dict[tuple[int, int], PracticeFacts]:
    """The latest observation of each person and item (a later recording replaces an
    earlier one), in one query."""
    refs = {item.id: item for item in practice}
    latest = (
        select(func.max(PracticeObservation.id))
        .where(PracticeObservation.user_id.in_(ids), PracticeObservation.item_id.in_(list(refs)))
        .group_by(PracticeObservation.user_id, PracticeObservation.item_id)
    )
    rows = connection.execute(
        select(
            PracticeObservation.user_id,
            PracticeObservation.item_id,
            PracticeObservation.observed_on,
            PracticeObservation.recorded_at,
            PracticeObservation.item_version,
            PracticeObservation.ratings,
        ).where(PracticeObservation.id.in_(latest))
    )
    return {
        (user_id, item_id): PracticeFacts(
            refs[item_id],
            observed_on,
            recorded_at,
            version,
            observation_passes(r.get("rating") for r in ratings),
        )
        for user_id, item_id, observed_on, recorded_at, version, ratings in rows
    }


def progress_for(
    connection: Connection,
    user_ids: Iterable[int],
    courses: Sequence[CourseRef],
    practice: Sequence[PracticeRef] = (),
) -> dict[int, Progress]:
    """Each person's progress in `courses` (and `practice`), in two queries (lessons,
    quizzes) and one more with practice items, however many people: give a page's worth,
    or a batch of a few hundred, at a time."""
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
    observed = _latest_observations(connection, ids, practice) if practice else {}
    for (user_id, _), facts in observed.items():
        last[user_id] = max(facts.recorded_at, last.get(user_id, facts.recorded_at))
    result = {}
    for user_id in ids:
        facts = []
        for course in courses:
            best, passed = quizzes.get((user_id, course.quiz_id), (None, False))
            facts.append(CourseFacts(course, done.get((user_id, course.id), 0), best, passed))
        items = tuple(observed.get((user_id, item.id), PracticeFacts(item)) for item in practice)
        result[user_id] = Progress(tuple(facts), last.get(user_id), items)
    return result
