"""`content sync` and the browser edit one body of content: a file unchanged since the
last sync leaves browser edits alone, a file changed in both places is a conflict, and
`content export` writes back files that sync into the same content."""

import shutil
from io import BytesIO
from pathlib import Path

from PIL import Image
from sqlalchemy import select

from app import create_app
from app.authoring import documents, images
from app.authoring.images import ContentImage, ContentImageFile
from app.clock import utcnow
from app.courses.models import Lesson
from app.extensions import db as _db
from tests.authoring.conftest import file_row
from tests.conftest import make_config

LESSON = "courses/listening/01-reflect.md"


def sync(app, folder: Path, *extra: str):
    return app.test_cli_runner().invoke(args=["content", "sync", str(folder), *extra])


def publish_edit(educator, old: str, new: str) -> str:
    row = file_row(LESSON)
    documents.save_draft(row, row.text.replace(old, new), opened=row.revisions_count,
                         author=educator, now=utcnow())  # fmt: skip
    documents.publish("listening", author=educator, now=utcnow())
    _db.session.commit()
    return file_row(LESSON).text


def lesson_html() -> str:
    _db.session.expire_all()
    return _db.session.scalar(select(Lesson.body_html).where(Lesson.slug == "reflect"))


def test_a_file_unchanged_since_the_last_sync_keeps_the_browsers_edits(app, files, educator):
    publish_edit(educator, "Reflect the feeling", "Reflect the emotion")
    result = sync(app, files)
    assert result.exit_code == 0, result.output
    assert f"kept the browser's version of {LESSON}" in result.output
    assert "Reflect the emotion" in lesson_html()


def test_a_file_changed_on_disk_alone_is_imported(app, files):
    path = files / LESSON
    path.write_text(path.read_text().replace("Reflect the feeling", "Mirror the feeling"))
    result = sync(app, files)
    assert result.exit_code == 0, result.output
    assert "Mirror the feeling" in lesson_html()
    assert file_row(LESSON).text == path.read_text()


def test_a_file_changed_in_both_places_is_a_conflict_until_forced(app, files, educator):
    publish_edit(educator, "Reflect the feeling", "Reflect the emotion")
    path = files / LESSON
    path.write_text(path.read_text().replace("Reflect the feeling", "Mirror the feeling"))
    other = files / "courses/listening/02-questions.md"
    other.write_text(other.read_text() + "\nOne more paragraph from the file.\n")

    result = sync(app, files)
    assert result.exit_code == 3
    assert f"{files / LESSON}:1: conflict" in result.output
    assert "Reflect the emotion" in lesson_html()  # nothing of the conflicting file
    assert "One more paragraph from the file." in file_row(other.relative_to(files).as_posix()).text

    forced = sync(app, files, "--force")
    assert forced.exit_code == 0, forced.output
    assert "Mirror the feeling" in lesson_html()
    history = documents.history(file_row(LESSON))
    assert any("Reflect the emotion" in revision.text for revision in history)  # not lost


def _content_rows() -> dict:
    from app.courses.models import Course
    from app.quizzes.models import Question, Quiz

    return {
        "courses": sorted(
            _db.session.execute(
                select(Course.slug, Course.title, Course.overview_html, Course.content_hash)
            ).all()
        ),
        "lessons": sorted(
            _db.session.execute(
                select(Lesson.slug, Lesson.title, Lesson.body_html, Lesson.position)
            ).all()
        ),
        "quizzes": sorted(
            _db.session.execute(select(Quiz.slug, Quiz.title, Quiz.content_hash)).all()
        ),
        "questions": sorted(_db.session.execute(select(Question.key, Question.stem_html)).all()),
        "images": sorted(
            _db.session.execute(
                select(
                    ContentImageFile.course_slug, ContentImageFile.name, ContentImage.sha256
                ).join(ContentImage, ContentImage.id == ContentImageFile.image_id)
            ).all()
        ),
    }


def test_export_then_sync_into_an_empty_database_gives_the_same_content(
    app, files, educator, tmp_path, sqlite_template
):
    picture = BytesIO()
    Image.new("RGB", (60, 30), (200, 80, 40)).save(picture, "PNG")
    images.upload_image("listening", BytesIO(picture.getvalue()), filename="Loop.png",
                        alt_text="The listening loop", by=educator, now=utcnow())  # fmt: skip
    _db.session.commit()
    publish_edit(
        educator,
        "Reflect the feeling",
        "![The listening loop: hear, reflect, check](images/loop.png)\n\nReflect the emotion",
    )
    exported = tmp_path / "exported"
    result = app.test_cli_runner().invoke(args=["content", "export", str(exported)])
    assert result.exit_code == 0, result.output
    assert "Reflect the emotion" in (exported / LESSON).read_text()
    assert (exported / "courses/listening/images/loop.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    here = _content_rows()
    assert here["images"] and 'src="/courses/listening/images/loop.png?v=' in lesson_html()

    second = tmp_path / "second"
    second.mkdir()
    shutil.copyfile(sqlite_template, second / "test.db")
    other = create_app(make_config(second, "sqlite"))
    with other.app_context():
        imported = other.test_cli_runner().invoke(args=["content", "sync", str(exported)])
        assert imported.exit_code == 0, imported.output
        there = _content_rows()
        _db.session.remove()
        _db.engine.dispose()
    assert there == here
