"""A lesson's workbook: what a mentor writes there is theirs alone, kept and downloadable,
and a failed save loses nothing."""

import re
import threading

import pytest
from sqlalchemy import select

from app.auth.models import Role
from app.clock import utcnow
from app.courses import workbook
from app.courses.models import Lesson, LessonNote
from tests.conftest import client_with_role, csrf_token

LESSON = "/courses/goals/grow/"


@pytest.fixture
def workbook_lesson(db, synced):
    lesson = db.session.scalar(select(Lesson).where(Lesson.slug == "grow"))
    lesson.workbook = True
    lesson.body_html += (
        '<aside class="callout callout-reflect" aria-label="Reflect">\n'
        '<p class="callout-label">Reflect</p>\n'
        "<p><strong>1. What mentoring means to you.</strong> Think of a mentor.</p>\n</aside>\n"
        '<aside class="callout callout-reflect" aria-label="Reflect">\n'
        '<p class="callout-label">Reflect</p>\n<p>What will you do next &amp; when?</p>\n</aside>\n'
    )
    db.session.commit()
    return lesson


def save(client, text: str, token: str | None = None):
    token = token if token is not None else csrf_token(client, LESSON)
    return client.post(LESSON + "workbook", data={"text": text, "csrf_token": token})


def test_the_workbook_starts_from_the_prompts_and_keeps_what_is_saved(
    app, db, make_user, workbook_lesson
):
    mentor = client_with_role(app, make_user, Role.MENTOR)
    page = mentor.get(LESSON).get_data(as_text=True)
    assert "Your workbook" in page and "Private to you" in page
    assert "1. What mentoring means to you.\n\n\nWhat will you do next &amp; when?" in page
    response = save(mentor, "I mentor because Dr. Okafor once took me seriously.")
    assert response.status_code == 302 and response.headers["Location"].endswith("#workbook")
    page = mentor.get(LESSON).get_data(as_text=True)
    assert "I mentor because Dr. Okafor once took me seriously." in page
    assert "Last saved" in page
    download = mentor.get(LESSON + "workbook.txt")
    assert download.headers["Content-Disposition"] == 'attachment; filename="grow.txt"'
    assert download.mimetype == "text/plain"
    assert "I mentor because Dr. Okafor once took me seriously." in download.get_data(as_text=True)


def test_no_one_else_reads_a_workbook(app, db, make_user, workbook_lesson):
    writer = client_with_role(app, make_user, Role.MENTOR)
    assert save(writer, "Private plan: leave academia in two years.").status_code == 302
    for role in (Role.MENTOR, Role.COORDINATOR, Role.ADMIN, Role.EDUCATOR):
        other = client_with_role(app, make_user, role)
        assert "Private plan" not in other.get(LESSON).get_data(as_text=True)
        assert "Private plan" not in other.get(LESSON + "workbook.txt").get_data(as_text=True)
    anonymous = app.test_client()
    assert anonymous.get(LESSON + "workbook.txt").status_code == 302  # to the sign-in form


def test_a_failed_save_re_shows_the_text_with_the_reason(app, db, make_user, workbook_lesson):
    mentor = client_with_role(app, make_user, Role.MENTOR)
    long_text = "x" * (workbook.MAX_LENGTH + 1)
    response = save(mentor, long_text)
    assert response.status_code == 422
    assert long_text in response.get_data(as_text=True)
    assert "Keep it under 20,000 characters" in response.get_data(as_text=True)
    expired = save(mentor, "Typed for an hour", token="stale")
    assert expired.status_code == 422
    body = expired.get_data(as_text=True)
    assert "Typed for an hour" in body and "The page had expired" in body
    assert db.session.query(LessonNote).count() == 0


def test_a_lesson_without_a_workbook_has_none(app, db, make_user, synced):
    mentor = client_with_role(app, make_user, Role.MENTOR)
    assert "Your workbook" not in mentor.get(LESSON).get_data(as_text=True)
    assert save(mentor, "text").status_code == 404


def test_two_tabs_saving_at_once_keep_one_row_with_the_last_text(
    app, db, make_user, workbook_lesson
):
    user = make_user(Role.MENTOR)
    lesson_id = workbook_lesson.id
    barrier = threading.Barrier(4)
    errors = []

    def write(n: int) -> None:
        with app.app_context():
            try:
                barrier.wait()
                workbook.save(user, lesson_id, f"version {n}", now=utcnow())
                from app.extensions import db as _db

                _db.session.commit()
            except Exception as error:
                errors.append(error)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    db.session.expire_all()
    [note] = db.session.scalars(select(LessonNote)).all()
    assert re.fullmatch(r"version \d", note.text)
