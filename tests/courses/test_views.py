"""The mentor's pages: catalog, course, lesson, completing and continuing."""

import re

import pytest
from sqlalchemy import select

from app.auth.models import Role
from tests.conftest import client_with_role, log_in, post_form, queries_for

LESSON = "/courses/listening/reflect/"


@pytest.fixture
def reader(synced, mentor_client):
    return mentor_client


def complete(client, course: str, lesson: str):
    url = f"/courses/{course}/{lesson}/"
    return post_form(client, url + "complete", {}, form_url=url)


def test_the_catalog_lists_courses_in_order_with_progress_time_and_status(reader):
    page = reader.get("/courses/").get_data(as_text=True)
    assert page.index("Listening well") < page.index("Setting goals")
    assert page.count("Not started") == 2
    assert "3 lessons · about 20 min" in page
    assert 'value="0"' in page and "0 of 3 lessons" in page
    assert "Start here" in page and "Reflecting feeling and content" in page


def test_the_lesson_page_shows_the_stored_html_and_previous_next_links(reader):
    page = reader.get("/courses/listening/questions/").get_data(as_text=True)
    assert "Lesson 2 of 3" in page
    assert 'rel="prev" href="/courses/listening/reflect/"' in page
    assert 'rel="next" href="/courses/listening/silence/"' in page
    assert 'class="callout callout-reflect"' in page


def test_marking_a_lesson_complete_moves_to_the_next_and_shows_on_the_course_page(reader):
    response = complete(reader, "listening", "reflect")
    assert response.status_code == 302
    assert response.headers["Location"] == "/courses/listening/questions/"
    course_page = reader.get("/courses/listening/").get_data(as_text=True)
    assert "1 of 3 lessons" in course_page and "In progress" in course_page
    assert re.search(r'<li class="done">\s*<a href="/courses/listening/reflect/"', course_page)
    assert "Continue: Open questions" in course_page
    assert "You completed this lesson." in reader.get(LESSON).get_data(as_text=True)


def test_completing_twice_keeps_one_completion(reader):
    complete(reader, "listening", "reflect")
    complete(reader, "listening", "reflect")
    assert "1 of 3 lessons" in reader.get("/courses/listening/").get_data(as_text=True)


def test_finishing_every_lesson_marks_the_course_complete(reader):
    for lesson in ("reflect", "questions", "silence"):
        last = complete(reader, "listening", lesson)
    assert last.headers["Location"].startswith("/courses/listening/?finished=silence")
    page = reader.get(last.headers["Location"]).get_data(as_text=True)
    assert "You have finished every lesson of this course." in page
    assert "Complete" in reader.get("/courses/").get_data(as_text=True)


def test_continue_where_you_left_off_points_at_the_next_lesson_after_signing_in_again(
    app, synced, mentor
):
    client = app.test_client()
    log_in(client, mentor)
    complete(client, "listening", "reflect")
    post_form(client, "/auth/logout", {}, form_url="/courses/")
    again = app.test_client()
    log_in(again, mentor)
    page = again.get("/courses/").get_data(as_text=True)
    assert "Continue where you left off" in page
    assert 'href="/courses/listening/questions/">Open questions</a>' in page


def test_an_unknown_course_or_lesson_is_a_404_page(reader):
    assert reader.get("/courses/nope/").status_code == 404
    missing = reader.get("/courses/listening/nope/")
    assert missing.status_code == 404 and "no such lesson" in missing.get_data(as_text=True)


def test_an_archived_lesson_is_gone_from_the_site(reader, db):
    from app.clock import utcnow
    from app.courses.models import Lesson

    lesson = db.session.scalar(select(Lesson).where(Lesson.slug == "silence"))
    lesson.archived_at = utcnow()
    db.session.commit()
    assert reader.get("/courses/listening/silence/").status_code == 404
    assert "2 lessons" in reader.get("/courses/").get_data(as_text=True)


def test_signed_out_visitors_are_sent_to_sign_in(client, synced):
    for url in ("/courses/", "/courses/listening/", LESSON, "/me/"):
        response = client.get(url)
        assert response.status_code == 302
        assert response.headers["Location"].startswith("/auth/login?next=")


def test_only_mentors_can_record_progress(app, synced, make_user):
    for role in (Role.EDUCATOR, Role.COORDINATOR, Role.ADMIN):
        client = client_with_role(app, make_user, role)
        assert client.get(LESSON).status_code == 200
        assert "Mark complete" not in client.get(LESSON).get_data(as_text=True)
        assert complete(client, "listening", "reflect").status_code == 403


def test_completing_without_a_csrf_token_is_refused(reader):
    response = reader.post("/courses/listening/reflect/complete")
    assert response.status_code == 400
    assert "0 of 3 lessons" in reader.get("/courses/listening/").get_data(as_text=True)


def test_my_progress_page_shows_each_course(reader):
    complete(reader, "listening", "reflect")
    page = reader.get("/me/").get_data(as_text=True)
    assert "My progress" in page and "1 of 3 lessons" in page and "0 of 2 lessons" in page


def test_health_checks_answer_ok(client):
    assert client.get("/healthz").get_data(as_text=True) == "ok"
    assert client.get("/readyz").status_code == 200


def test_the_liveness_check_reads_no_session_and_runs_no_query_yet_sends_the_headers(
    client, mentor
):
    log_in(client, mentor)  # a signed-in browser's cookie changes nothing for it
    assert queries_for(client, "/healthz") == 0
    headers = client.get("/healthz").headers
    assert "Vary" not in headers and "Set-Cookie" not in headers
    assert headers["Content-Security-Policy"] and headers["X-Content-Type-Options"] == "nosniff"
