"""Where each mentor stands in the program: one computation for the dashboard, the CSV,
the API and matching. A fixed number of queries, however many mentors there are."""

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select

from app.auth.models import Role, User, UserRole
from app.certification import service
from app.certification.models import Certificate
from app.certification.service import CertificateStatus, status_of
from app.courses.models import Certification, Course, Lesson, LessonCompletion
from app.extensions import db
from app.quizzes.models import Attempt, Quiz


class MentorStatus(enum.StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    CERTIFIED = "certified"
    EXPIRED = "expired"
    REVOKED = "revoked"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


@dataclass(frozen=True)
class CourseStanding:
    slug: str
    title: str
    lessons_done: int
    lessons_total: int
    best_percent: int | None
    quiz_passed: bool
    has_quiz: bool

    @property
    def percent(self) -> int:
        return round(100 * self.lessons_done / self.lessons_total) if self.lessons_total else 0

    @property
    def complete(self) -> bool:
        lessons = self.lessons_total > 0 and self.lessons_done == self.lessons_total
        return lessons and (self.quiz_passed or not self.has_quiz)


@dataclass(frozen=True)
class Standing:
    mentor: User
    status: MentorStatus
    courses: tuple[CourseStanding, ...]
    certificate: Certificate | None  # the latest one, whatever its state
    last_activity: datetime | None
    expiring: bool = False  # valid, and inside the renewal window
    best_quiz_percent: int | None = field(default=None)

    @property
    def certified_at(self) -> datetime | None:
        return self.certificate.issued_at if self.certificate else None

    @property
    def expires_at(self) -> datetime | None:
        return self.certificate.expires_at if self.certificate else None


def program_certification(slug: str) -> Certification | None:
    return db.session.scalar(select(Certification).where(Certification.slug == slug))


def mentors_query():
    return (
        select(User).join(UserRole, UserRole.user_id == User.id).where(UserRole.role == Role.MENTOR)
    )


def standings(
    mentors: list[User], certification: Certification | None, *, now: datetime
) -> list[Standing]:
    """Standing of each mentor toward the certification."""
    if not mentors:
        return []
    ids = [m.id for m in mentors]
    slugs = certification.course_slugs if certification else []
    courses = {c.slug: c for c in db.session.scalars(select(Course).where(Course.slug.in_(slugs)))}
    course_ids = [c.id for c in courses.values()]
    totals = dict(
        db.session.execute(
            select(Lesson.course_id, func.count(Lesson.id))
            .where(Lesson.course_id.in_(course_ids), Lesson.archived_at.is_(None))
            .group_by(Lesson.course_id)
        ).all()
    )
    done: dict[tuple[int, int], int] = {}
    last: dict[int, datetime] = {}
    for user_id, course_id, count, latest in db.session.execute(
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
    quizzes = {
        q.course_id: q
        for q in db.session.scalars(
            select(Quiz).where(Quiz.course_id.in_(course_ids), Quiz.archived_at.is_(None))
        )
    }
    best: dict[tuple[int, int], tuple[int, bool]] = {}
    for user_id, quiz_id, earned, possible, passed, submitted in db.session.execute(
        select(
            Attempt.user_id,
            Attempt.quiz_id,
            Attempt.earned,
            Attempt.possible,
            Attempt.passed,
            Attempt.submitted_at,
        ).where(Attempt.user_id.in_(ids), Attempt.submitted_at.is_not(None))
    ):
        percent = int(100 * earned / possible) if possible else 0
        old_percent, old_passed = best.get((user_id, quiz_id), (-1, False))
        best[(user_id, quiz_id)] = (max(percent, old_percent), old_passed or bool(passed))
        last[user_id] = max(submitted, last.get(user_id, submitted))
    latest_certificates = service.latest_certificates(certification, ids) if certification else {}
    result = []
    for mentor in mentors:
        course_rows = []
        for slug in slugs:
            course = courses.get(slug)
            if course is None:
                continue
            quiz = quizzes.get(course.id)
            percent, passed = (
                best.get((mentor.id, quiz.id), (None, False)) if quiz else (None, False)
            )
            course_rows.append(
                CourseStanding(
                    slug=slug,
                    title=course.title,
                    lessons_done=done.get((mentor.id, course.id), 0),
                    lessons_total=totals.get(course.id, 0),
                    best_percent=percent,
                    quiz_passed=passed,
                    has_quiz=quiz is not None,
                )
            )
        certificate = latest_certificates.get(mentor.id)
        status, expiring = _status(
            certificate, certification, course_rows, mentor.id in last, now=now
        )
        quiz_scores = [c.best_percent for c in course_rows if c.best_percent is not None]
        result.append(
            Standing(
                mentor=mentor,
                status=status,
                courses=tuple(course_rows),
                certificate=certificate,
                last_activity=last.get(mentor.id),
                expiring=expiring,
                best_quiz_percent=max(quiz_scores) if quiz_scores else None,
            )
        )
    return result


def _status(
    certificate, certification, course_rows, active: bool, *, now: datetime
) -> tuple[MentorStatus, bool]:
    if certificate is not None:
        state = status_of(certificate, now=now)
        if state is CertificateStatus.VALID:
            window = timedelta(days=certification.renewal_window_days or 0)
            expiring = certificate.expires_at is not None and now >= certificate.expires_at - window
            return MentorStatus.CERTIFIED, expiring
        return MentorStatus(state.value), False
    started = active or any(c.lessons_done for c in course_rows)
    return (MentorStatus.IN_PROGRESS if started else MentorStatus.NOT_STARTED), False


def standing_of(mentor: User, certification: Certification | None, *, now: datetime) -> Standing:
    return standings([mentor], certification, now=now)[0]
