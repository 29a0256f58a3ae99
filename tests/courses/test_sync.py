"""Importing content: idempotent, and learner progress survives every kind of edit."""

import shutil
from pathlib import Path

from sqlalchemy import func, select

from app.clock import utcnow
from app.content import load_content
from app.courses import service
from app.courses.models import Certification, Course, Lesson, LessonCompletion
from app.courses.sync import sync_content


def sync(directory: Path):
    return sync_content(load_content(directory), now=utcnow())


def test_first_sync_creates_courses_lessons_and_certification(db, content_copy):
    report = sync(content_copy)
    db.session.commit()
    assert "course listening" in report.created and "lesson goals/grow" in report.created
    assert db.session.scalar(select(func.count(Lesson.id))) == 5
    certification = db.session.scalar(select(Certification))
    assert certification.course_slugs == ["listening", "goals"]
    assert certification.valid_for_months == 24


def test_a_second_sync_of_unchanged_files_changes_nothing(db, content_copy):
    sync(content_copy)
    db.session.commit()
    versions = dict(db.session.execute(select(Course.slug, Course.version)).all())
    report = sync(content_copy)
    assert not report.changed
    assert report.lines() == ["content is up to date: nothing changed"]
    assert not db.session.dirty and not db.session.new
    assert dict(db.session.execute(select(Course.slug, Course.version)).all()) == versions


def test_lesson_html_is_rendered_at_import_and_stored(db, content_copy):
    sync(content_copy)
    lesson = db.session.scalar(select(Lesson).where(Lesson.slug == "reflect"))
    assert '<aside class="callout callout-tip"' in lesson.body_html


def test_progress_survives_a_resync_that_edits_reorders_adds_and_removes_lessons(
    db, content_copy, mentor
):
    sync(content_copy)
    course = service.get_course("listening")
    lessons = {lesson.slug: lesson for lesson in course.lessons}
    for slug in ("reflect", "questions", "silence"):
        service.mark_complete(mentor, lessons[slug], now=utcnow())
    db.session.commit()

    folder = content_copy / "courses/listening"
    (folder / "01-reflect.md").write_text("---\ntitle: Reflecting, revised\n---\nNew text.\n")
    (folder / "02-questions.md").rename(folder / "05-questions.md")  # reordered to the end
    (folder / "03-silence.md").unlink()  # removed
    (folder / "04-summarising.md").write_text("---\ntitle: Summarising\n---\nPull it together.\n")
    report = sync(content_copy)
    db.session.commit()

    assert "lesson listening/reflect" in report.updated
    assert "lesson listening/silence" in report.archived
    assert "lesson listening/summarising" in report.created
    progress = service.course_progress(mentor, course)
    assert [lesson.slug for lesson in progress.lessons] == ["reflect", "summarising", "questions"]
    assert [progress.is_done(lesson) for lesson in progress.lessons] == [True, False, True]
    assert progress.status == service.Status.IN_PROGRESS
    assert db.session.scalar(select(func.count(LessonCompletion.id))) == 3  # nothing deleted
    assert course.version == 2
    assert (
        db.session.scalar(select(Lesson.title).where(Lesson.slug == "reflect"))
        == "Reflecting, revised"
    )


def test_a_lesson_that_comes_back_is_unarchived_with_its_progress(db, content_copy, mentor):
    sync(content_copy)
    silence = db.session.scalar(select(Lesson).where(Lesson.slug == "silence"))
    service.mark_complete(mentor, silence, now=utcnow())
    db.session.commit()
    kept = (content_copy / "courses/listening/03-silence.md").read_text()
    (content_copy / "courses/listening/03-silence.md").unlink()
    sync(content_copy)
    (content_copy / "courses/listening/03-silence.md").write_text(kept)
    sync(content_copy)
    db.session.commit()
    progress = service.course_progress(mentor, service.get_course("listening"))
    assert progress.is_done(silence) and silence.archived_at is None


def test_a_removed_course_is_archived_and_leaves_the_catalog(db, content_copy, mentor):
    sync(content_copy)
    shutil.rmtree(content_copy / "courses/goals")
    (content_copy / "quizzes/goals-check.md").unlink()
    (content_copy / "courses/certifications.yml").write_text(
        "- id: test-mentor\n  title: Test Mentor\n  courses: [listening]\n"
    )
    report = sync(content_copy)
    db.session.commit()
    assert "course goals" in report.archived
    assert [p.course.slug for p in service.catalog(mentor)] == ["listening"]


def test_nothing_is_imported_from_a_content_set_with_an_error(db, tmp_path):
    broken = tmp_path / "broken"
    shutil.copytree(Path(__file__).parent.parent / "fixtures/content_ok", broken)
    (broken / "courses/goals/02-grow.md").write_text("---\ntitle: [\n---\nx\n")
    try:
        sync(broken)
    except Exception as error:
        assert "02-grow.md:2" in str(error)
    assert db.session.scalar(select(func.count(Course.id))) == 0
