"""Import a ContentSet into the database without touching anyone's progress."""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from app.content.loader import CertificationSource, ContentSet, CourseSource, LessonSource
from app.courses.models import Certification, Course, Lesson
from app.extensions import db
from app.practice.sync import sync_practice
from app.quizzes.sync import sync_quizzes
from app.rows import assign_changed


@dataclass
class SyncReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    archived: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.archived)

    def lines(self) -> list[str]:
        if not self.changed:
            return ["content is up to date: nothing changed"]
        return (
            [f"created {name}" for name in self.created]
            + [f"updated {name}" for name in self.updated]
            + [f"archived {name}" for name in self.archived]
        )


def _sync_lessons(
    course: Course, sources: tuple[LessonSource, ...], now: datetime, report: SyncReport
) -> bool:
    existing = {lesson.slug: lesson for lesson in course.lessons}
    changed = False
    for source in sources:
        values = {
            "title": source.title,
            "position": source.position,
            "estimated_minutes": source.estimated_minutes,
            "body_html": source.body_html,
            "content_hash": source.content_hash,
            "workbook": source.workbook,
            "archived_at": None,
        }
        name = f"lesson {course.slug}/{source.slug}"
        lesson = existing.pop(source.slug, None)
        if lesson is None:
            course.lessons.append(Lesson(slug=source.slug, **values))
            report.created.append(name)
            changed = True
        elif assign_changed(lesson, values):
            report.updated.append(name)
            changed = True
    for lesson in existing.values():
        if lesson.archived_at is None:
            lesson.archived_at = now
            report.archived.append(f"lesson {course.slug}/{lesson.slug}")
            changed = True
    return changed


def _sync_course(
    source: CourseSource, course: Course | None, now: datetime, report: SyncReport
) -> None:
    values = {
        "title": source.title,
        "summary": source.summary,
        "overview_html": source.overview_html,
        "position": source.position,
        "estimated_minutes": source.estimated_minutes,
        "quiz_id": source.quiz_id,
        "content_hash": source.content_hash,
        "archived_at": None,
    }
    if course is None:
        course = Course(slug=source.slug, version=1, **values)
        db.session.add(course)
        report.created.append(f"course {source.slug}")
        _sync_lessons(course, source.lessons, now, report)
        return
    course_changed = assign_changed(course, values)
    lessons_changed = _sync_lessons(course, source.lessons, now, report)
    if course_changed or lessons_changed:
        course.version += 1
        if course_changed:
            report.updated.append(f"course {source.slug}")


def _sync_certification(
    source: CertificationSource, row: Certification | None, report: SyncReport
) -> None:
    values = {
        "title": source.title,
        "course_slugs": list(source.course_slugs),
        "valid_for_months": source.valid_for_months,
        "renewal_window_days": source.renewal_window_days,
        "archived_at": None,
    }
    if row is None:
        db.session.add(Certification(slug=source.slug, **values))
        report.created.append(f"certification {source.slug}")
    elif assign_changed(row, values):
        report.updated.append(f"certification {source.slug}")


def sync_content(content: ContentSet, *, now: datetime) -> SyncReport:
    """Create, update and archive to match the files; progress rows are never touched."""
    report = SyncReport()
    courses = {c.slug: c for c in db.session.scalars(select(Course))}
    for source in content.courses:
        _sync_course(source, courses.pop(source.slug, None), now, report)
    for course in courses.values():
        if course.archived_at is None:
            course.archived_at = now
            report.archived.append(f"course {course.slug}")
    certifications = {c.slug: c for c in db.session.scalars(select(Certification))}
    for source in content.certifications:
        _sync_certification(source, certifications.pop(source.slug, None), report)
    for row in certifications.values():
        if row.archived_at is None:
            row.archived_at = now
            report.archived.append(f"certification {row.slug}")
    db.session.flush()
    sync_practice(content.certifications, now=now, report=report)
    sync_quizzes(content.quizzes, now=now, report=report)
    db.session.flush()
    if report.changed:  # lessons counted, quizzes and requirements may all have moved
        from app.certification.standing import rebuild_all

        rebuild_all(db.session.connection())
    return report
