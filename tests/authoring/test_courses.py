"""Educators create courses, add, move and archive lessons and change a course's settings
in the browser; mentors see each change once it is published, and keep their progress."""

import re

import pytest
from sqlalchemy import select

from app.auth.models import Role
from app.courses.models import Course, Lesson, LessonCompletion
from app.extensions import db as _db
from tests.authoring.conftest import file_row
from tests.conftest import csrf_token, log_in, only_sqlite, post_form


def publish(client, slug: str):
    response = post_form(client, f"/author/courses/{slug}/publish", {"note": ""}, "/author/")
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def lessons(slug: str) -> list[tuple[str, int, bool]]:
    _db.session.expire_all()
    rows = _db.session.execute(
        select(Lesson.slug, Lesson.position, Lesson.archived_at.is_not(None))
        .join(Course)
        .where(Course.slug == slug)
        .order_by(Lesson.archived_at.is_not(None), Lesson.position)
    ).all()
    return [tuple(row) for row in rows]


@pytest.fixture
def mentor_client(app, make_user):
    client = app.test_client()
    log_in(client, make_user(Role.MENTOR))
    return client


def test_a_new_course_is_a_draft_until_published(files, educator_client, mentor_client):
    response = post_form(
        educator_client,
        "/author/courses/new",
        {"title": "Giving difficult feedback", "slug": "difficult-feedback",
         "summary": "Feedback a resident can act on, even when it is hard to hear."},
    )  # fmt: skip
    assert response.status_code == 302
    assert "Giving difficult feedback" not in mentor_client.get("/courses/").get_data(as_text=True)
    page = educator_client.get("/author/courses/difficult-feedback/").get_data(as_text=True)
    assert "01-introduction.md" in page and "new, not published" in page

    publish(educator_client, "difficult-feedback")
    assert "Giving difficult feedback" in mentor_client.get("/courses/").get_data(as_text=True)
    assert lessons("difficult-feedback") == [("introduction", 1, False)]


def test_a_course_address_must_be_a_slug_and_new(files, educator_client):
    bad = post_form(educator_client, "/author/courses/new",
                    {"title": "X", "slug": "Difficult Feedback!", "summary": "Y"})  # fmt: skip
    assert bad.status_code == 422
    assert 'id="slug-error"' in bad.get_data(as_text=True)
    assert "lowercase letters, digits and dashes" in bad.get_data(as_text=True)
    taken = post_form(educator_client, "/author/courses/new",
                      {"title": "X", "slug": "listening", "summary": "Y"})  # fmt: skip
    assert taken.status_code == 422 and "already" in taken.get_data(as_text=True)
    assert "Difficult Feedback!" in bad.get_data(as_text=True)  # what was typed stays


def test_a_lesson_added_then_written_then_published(files, educator_client, mentor_client):
    response = post_form(
        educator_client,
        "/author/courses/listening/lessons",
        {"title": "Closing the conversation"},
        "/author/courses/listening/",
    )
    assert response.status_code == 302
    row = file_row("courses/listening/04-closing-the-conversation.md")
    assert row.text is None and "title: Closing the conversation" in row.draft
    publish(educator_client, "listening")
    assert ("closing-the-conversation", 4, False) in lessons("listening")
    page = mentor_client.get("/courses/listening/closing-the-conversation/")
    assert page.status_code == 200


def test_moving_a_lesson_renumbers_the_files_and_keeps_addresses_and_progress(
    app, files, educator_client, mentor_client, make_user
):
    learner = make_user(Role.MENTOR)
    silence = _db.session.scalar(select(Lesson).where(Lesson.slug == "silence"))
    _db.session.add(LessonCompletion(user_id=learner.id, lesson_id=silence.id))
    _db.session.commit()
    row = file_row("courses/listening/03-silence.md")
    token = csrf_token(educator_client, "/author/courses/listening/")
    educator_client.post(f"/author/files/{row.id}/move", data={"step": "up", "csrf_token": token})
    page = educator_client.get("/author/courses/listening/").get_data(as_text=True)
    assert page.index("02-silence.md") < page.index("03-questions.md")
    assert lessons("listening") == [
        ("reflect", 1, False),
        ("questions", 2, False),
        ("silence", 3, False),
    ]

    publish(educator_client, "listening")
    assert lessons("listening") == [
        ("reflect", 1, False),
        ("silence", 2, False),
        ("questions", 3, False),
    ]
    assert _db.session.scalar(
        select(LessonCompletion).where(LessonCompletion.user_id == learner.id)
    )
    assert mentor_client.get("/courses/listening/silence/").status_code == 200

    # The folder still has the old names, unchanged since the last sync: the order stays.
    result = app.test_cli_runner().invoke(args=["content", "sync", str(files)])
    assert result.exit_code == 0, result.output
    assert lessons("listening") == [
        ("reflect", 1, False),
        ("silence", 2, False),
        ("questions", 3, False),
    ]

    # ... and moving it back, then syncing again, still makes no second lesson.
    row = file_row("courses/listening/02-silence.md")
    token = csrf_token(educator_client, "/author/courses/listening/")
    educator_client.post(f"/author/files/{row.id}/move", data={"step": "down", "csrf_token": token})
    publish(educator_client, "listening")
    result = app.test_cli_runner().invoke(args=["content", "sync", str(files)])
    assert result.exit_code == 0, result.output
    assert lessons("listening") == [
        ("reflect", 1, False),
        ("questions", 2, False),
        ("silence", 3, False),
    ]


def test_an_archived_lesson_leaves_the_course_and_mentors_keep_their_progress(
    app, files, educator_client, mentor_client, make_user
):
    learner = make_user(Role.MENTOR)
    questions = _db.session.scalar(select(Lesson).where(Lesson.slug == "questions"))
    _db.session.add(LessonCompletion(user_id=learner.id, lesson_id=questions.id))
    _db.session.commit()
    row = file_row("courses/listening/02-questions.md")
    token = csrf_token(educator_client, "/author/courses/listening/")
    educator_client.post(f"/author/files/{row.id}/archive", data={"csrf_token": token})
    page = educator_client.get("/author/courses/listening/").get_data(as_text=True)
    assert "To be archived at the next publication" in page and "02-questions.md" in page
    assert mentor_client.get("/courses/listening/questions/").status_code == 200

    publish(educator_client, "listening")
    assert lessons("listening") == [
        ("reflect", 1, False),
        ("silence", 2, False),
        ("questions", 2, True),
    ]
    assert _db.session.scalar(
        select(LessonCompletion).where(LessonCompletion.user_id == learner.id)
    )
    result = app.test_cli_runner().invoke(args=["content", "sync", str(files)])
    assert result.exit_code == 0, result.output
    assert ("questions", 2, True) in lessons(
        "listening"
    )  # the unchanged file does not bring it back


def test_course_settings_are_saved_as_a_draft_and_keep_the_overview(
    files, educator_client, mentor_client
):
    page = educator_client.get("/author/courses/listening/").get_data(as_text=True)
    opened = re.search(r'name="opened" type="hidden" value="(\d+)"', page).group(1)
    overview = file_row("courses/listening/course.md").text.split("---\n", 2)[2]
    response = post_form(
        educator_client,
        "/author/courses/listening/settings",
        {"title": "Listening that helps", "summary": "Reflect, ask, and leave room for silence.",
         "order": "1", "estimated_minutes": "45", "quiz": "", "opened": opened},
        "/author/courses/listening/",
    )  # fmt: skip
    assert response.status_code == 302
    assert "Listening that helps" not in mentor_client.get("/courses/").get_data(as_text=True)
    publish(educator_client, "listening")
    assert "Listening that helps" in mentor_client.get("/courses/").get_data(as_text=True)
    assert file_row("courses/listening/course.md").text.endswith(overview)

    bad = post_form(educator_client, "/author/courses/listening/settings",
                    {"title": "", "summary": "S", "estimated_minutes": "0", "opened": opened},
                    "/author/courses/listening/")  # fmt: skip
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert 'id="title-error"' in text and 'id="estimated_minutes-error"' in text


ROUTES = [
    ("get", "/author/courses/new"),
    ("post", "/author/courses/new"),
    ("get", "/author/courses/listening/"),
    ("post", "/author/courses/listening/settings"),
    ("post", "/author/courses/listening/lessons"),
    ("post", "/author/files/{id}/move"),
    ("post", "/author/files/{id}/archive"),
]


@only_sqlite  # who may open a page: a rule in Python, the same on both databases
@pytest.mark.parametrize(("method", "route"), ROUTES)
@pytest.mark.parametrize("role", [Role.MENTOR, Role.COORDINATOR, None])
def test_only_educators_and_admins_manage_courses(files, app, make_user, method, route, role):
    client = app.test_client()
    if role is not None:
        log_in(client, make_user(role))
    token = csrf_token(client, "/auth/login" if role is None else "/")
    row = file_row("courses/listening/02-questions.md")
    data = {"title": "T", "slug": "t", "summary": "S", "step": "up", "csrf_token": token}
    response = getattr(client, method)(route.format(id=row.id), data=data)
    if role is None:
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    else:
        assert response.status_code == 403
    row = file_row("courses/listening/02-questions.md")
    assert (row.draft, row.draft_path, row.draft_removed) == (None, None, False)
    assert file_row("courses/listening/course.md").draft is None


def test_a_retitled_lesson_keeps_its_address_and_progress(
    files, educator_client, mentor_client, make_user
):
    learner = make_user(Role.MENTOR)
    reflect = _db.session.scalar(select(Lesson).where(Lesson.slug == "reflect"))
    _db.session.add(LessonCompletion(user_id=learner.id, lesson_id=reflect.id))
    _db.session.commit()
    row = file_row("courses/listening/01-reflect.md")
    url = f"/author/files/{row.id}/"
    text = row.text.replace("title: Reflecting feeling and content", "title: Reflections first")
    data = {"text": text, "opened": str(row.revisions_count), "action": "save"}
    assert post_form(educator_client, url, data).status_code == 302
    publish(educator_client, "listening")
    page = mentor_client.get("/courses/listening/reflect/")
    assert page.status_code == 200 and "Reflections first" in page.get_data(as_text=True)
    assert ("reflect", 1, False) in lessons("listening")
    assert _db.session.scalar(
        select(LessonCompletion).where(LessonCompletion.user_id == learner.id)
    )
