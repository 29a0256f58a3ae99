"""Educators edit a course's files in the browser: drafts mentors never see, publishing
as `content sync` imports, history, diff and restore, and no text lost on the way."""

import re

import pytest
import requests
from sqlalchemy import select

from app.auth.models import Role
from app.authoring.models import ContentRevision
from app.courses.models import Course, Lesson, LessonCompletion
from app.extensions import db as _db
from tests.authoring.conftest import file_row
from tests.conftest import client_with_role, csrf_token, log_in, only_sqlite, post_form

LESSON = "courses/listening/01-reflect.md"
LESSON_URL = "/courses/listening/reflect/"


def edit_url(path: str) -> str:
    return f"/author/files/{file_row(path).id}/"


def save(client, path: str, text: str, note: str = ""):
    url = edit_url(path)
    page = client.get(url).get_data(as_text=True)
    opened = re.search(r'name="opened" type="hidden" value="(\d+)"', page)
    assert opened, "the editor carries the revision it opened"
    data = {"text": text, "opened": opened.group(1), "note": note, "action": "save"}
    return post_form(client, url, data)


def publish(client, slug: str = "listening", note: str = ""):
    return post_form(client, f"/author/courses/{slug}/publish", {"note": note}, "/author/")


def test_the_workspace_lists_each_course_with_its_files_and_their_state(files, educator_client):
    save(educator_client, LESSON, file_row(LESSON).text.replace("Why reflect", "Why we reflect"))
    page = educator_client.get("/author/").get_data(as_text=True)
    assert "courses/listening/course.md" in page and "quizzes/goals-check.md" in page
    listening = page[page.index('id="course-listening"') : page.index('id="course-goals"')]
    assert "draft waiting" in listening and "Publish 1 draft" in listening
    assert "Dr. Edna Educator" in listening


def test_a_draft_is_invisible_to_mentors_until_published(files, educator_client, app, make_user):
    mentor = app.test_client()
    learner = make_user(Role.MENTOR)
    log_in(mentor, learner)
    lesson = _db.session.scalar(select(Lesson).where(Lesson.slug == "reflect"))
    _db.session.add(LessonCompletion(user_id=learner.id, lesson_id=lesson.id))
    _db.session.commit()
    version = _db.session.scalar(select(Course.version).where(Course.slug == "listening"))
    edited = file_row(LESSON).text.replace("Reflect the feeling", "Reflect the emotion")

    response = save(educator_client, LESSON, edited, note="clearer word")
    assert response.status_code == 302
    assert "Reflect the feeling" in mentor.get(LESSON_URL).get_data(as_text=True)
    assert "Reflect the emotion" not in mentor.get(LESSON_URL).get_data(as_text=True)

    assert publish(educator_client).status_code == 302
    page = mentor.get(LESSON_URL).get_data(as_text=True)
    assert "Reflect the emotion" in page and "Reflect the feeling" not in page
    _db.session.expire_all()
    assert (
        _db.session.scalar(select(Course.version).where(Course.slug == "listening")) == version + 1
    )
    assert _db.session.scalar(
        select(LessonCompletion).where(LessonCompletion.user_id == learner.id)
    )
    row = file_row(LESSON)
    assert (row.text, row.draft) == (edited, None)


def test_the_preview_renders_the_posted_text_as_the_site_does_without_saving_it(
    files, educator_client
):
    text = (
        file_row(LESSON).text
        + "\n::: warning\nNever promise confidentiality you cannot keep.\n:::\n"
    )
    url = edit_url(LESSON)
    page = post_form(educator_client, url, {"text": text, "opened": "1", "action": "preview"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'class="callout callout-warning"' in html
    assert file_row(LESSON).draft is None  # a preview saves nothing


def test_invalid_content_is_saved_as_a_draft_but_never_published(files, educator_client, app):
    broken = file_row(LESSON).text.replace("title: Reflecting feeling and content\n", "")
    response = save(educator_client, LESSON, broken)
    assert response.status_code == 302
    page = educator_client.get(edit_url(LESSON)).get_data(as_text=True)
    assert 'data-line="1"' in page and "title" in page  # the problem, at its line

    refused = publish(educator_client)
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    assert "Nothing was published" in text and f"{LESSON}</code></a> line 1" in text
    assert file_row(LESSON).text is not None and "title: Reflecting" in file_row(LESSON).text


def test_a_quiz_preview_shows_the_questions_with_keys_and_explanations(files, educator_client):
    page = educator_client.get(edit_url("quizzes/goals-check.md")).get_data(as_text=True)
    assert "Which goal is SMART?" in page
    assert "key:" in page and "Specific, measurable and time-bound." in page


def test_a_save_made_after_someone_elses_is_refused_and_the_text_kept(
    files, educator_client, app, make_user
):
    other = app.test_client()
    log_in(other, make_user(Role.EDUCATOR, name="Dr. Otto Other"))
    url = edit_url(LESSON)
    mine_token, theirs_token = csrf_token(educator_client, url), csrf_token(other, url)
    opened = str(file_row(LESSON).revisions_count)
    original = file_row(LESSON).text

    theirs = other.post(url, data={"text": original + "\nTheir line.\n", "opened": opened,
                                   "action": "save", "csrf_token": theirs_token})  # fmt: skip
    mine = educator_client.post(url, data={"text": original + "\nMy line.\n", "opened": opened,
                                           "action": "save", "csrf_token": mine_token})  # fmt: skip

    assert theirs.status_code == 302 and mine.status_code == 409
    page = mine.get_data(as_text=True)
    assert "Dr. Otto Other saved this file after you opened it" in page
    assert "My line." in page and "Their line." in page  # my text in the editor, theirs below
    assert "Their line." in file_row(LESSON).draft and "My line." not in file_row(LESSON).draft


def test_an_expired_form_shows_the_text_again_instead_of_an_error(files, educator_client):
    url = edit_url(LESSON)
    response = educator_client.post(
        url, data={"text": "Everything I wrote this afternoon.", "opened": "1", "action": "save"}
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Everything I wrote this afternoon." in page and "The page had expired" in page


def test_history_diff_and_restore(files, educator_client):
    original = file_row(LESSON).text
    save(educator_client, LESSON, original.replace("Why reflect", "Why we reflect"), note="one")
    publish(educator_client, note="first edit")
    save(educator_client, LESSON, original + "\nA closing line.\n", note="two")
    row = file_row(LESSON)
    revisions = _db.session.scalars(
        select(ContentRevision)
        .where(ContentRevision.file_id == row.id)
        .order_by(ContentRevision.number)
    ).all()
    assert [r.kind for r in revisions] == ["synced", "draft", "published", "draft"]

    history = educator_client.get(f"/author/files/{row.id}/history").get_data(as_text=True)
    assert "Revision 4" in history and "“two”" in history and "read from the file" in history

    diff = educator_client.get(
        f"/author/files/{row.id}/diff?old={revisions[0].id}&new={revisions[2].id}"
    ).get_data(as_text=True)
    assert 'class="diff-removed"' in diff and "## Why reflect" in diff
    assert 'class="diff-added"' in diff and "## Why we reflect" in diff

    restore = post_form(
        educator_client,
        f"/author/files/{row.id}/revisions/{revisions[0].id}/restore",
        {},
        f"/author/files/{row.id}/history",
    )
    assert restore.status_code == 302
    row = file_row(LESSON)
    assert row.draft == original and row.text == original.replace("Why reflect", "Why we reflect")
    assert "restored revision 1" in educator_client.get(f"/author/files/{row.id}/history").get_data(
        as_text=True
    )


def test_two_educators_saving_at_once_keep_one_text_and_tell_the_other(files, served, make_user):
    row = file_row(LESSON)
    url = f"{served.url}/author/files/{row.id}/"
    browsers = []
    for name in ("Dr. Ana One", "Dr. Ben Two", "Dr. Cy Three", "Dr. Di Four"):
        browser = served.signed_in(make_user(Role.EDUCATOR, name=name))
        browsers.append((browser, served.csrf(browser, f"/author/files/{row.id}/")))
    opened = str(row.revisions_count)
    import threading
    from concurrent.futures import ThreadPoolExecutor

    barrier = threading.Barrier(len(browsers))

    def send(index: int) -> requests.Response:
        browser, token = browsers[index]
        data = {"text": f"{row.text}\nLine from {index}.\n", "opened": opened,
                "action": "save", "csrf_token": token}  # fmt: skip
        barrier.wait()
        return browser.post(url, data=data, allow_redirects=False)

    with ThreadPoolExecutor(len(browsers)) as pool:
        responses = list(pool.map(send, range(len(browsers))))
    codes = sorted(r.status_code for r in responses)
    assert codes == [302, 409, 409, 409], codes
    _db.session.expire_all()
    assert _db.session.scalar(
        select(ContentRevision.id)
        .where(ContentRevision.file_id == row.id)
        .order_by(ContentRevision.id.desc())
        .limit(1)
    )
    drafts = _db.session.scalars(
        select(ContentRevision).where(
            ContentRevision.file_id == row.id, ContentRevision.kind == "draft"
        )
    ).all()
    assert len(drafts) == 1 and drafts[0].text == file_row(LESSON).draft


ROUTES = [
    ("get", "/author/"),
    ("get", "/author/files/{id}/"),
    ("post", "/author/files/{id}/"),
    ("post", "/author/files/{id}/discard"),
    ("post", "/author/files/{id}/preview"),
    ("get", "/author/files/{id}/history"),
    ("get", "/author/files/{id}/diff?old=1&new=1"),
    ("post", "/author/files/{id}/revisions/1/restore"),
    ("post", "/author/courses/listening/publish"),
]


@only_sqlite  # who may open a page: a rule in Python, the same on both databases
@pytest.mark.parametrize(("method", "route"), ROUTES)
@pytest.mark.parametrize("role", [Role.MENTOR, Role.COORDINATOR, None])
def test_only_educators_and_admins_reach_the_editor(files, app, make_user, method, route, role):
    client = app.test_client()
    if role is not None:
        log_in(client, make_user(role))
    token = csrf_token(client, "/auth/login" if role is None else "/")
    path = route.format(id=file_row(LESSON).id)
    before = (file_row(LESSON).text, file_row(LESSON).draft)
    data = {"text": "x", "opened": "1", "action": "save", "csrf_token": token}
    response = getattr(client, method)(path, data=data)
    if role is None:
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    else:
        assert response.status_code == 403
    assert (file_row(LESSON).text, file_row(LESSON).draft) == before


def test_an_admin_can_edit(files, app, make_user):
    client = client_with_role(app, make_user, Role.ADMIN)
    assert client.get(edit_url(LESSON)).status_code == 200


def test_the_live_preview_answers_the_text_it_is_sent_and_saves_nothing(files, educator_client):
    url = edit_url(LESSON)
    token = csrf_token(educator_client, url)
    response = educator_client.post(
        f"{url}preview",
        data={"text": "---\ntitle: T\n---\n::: tip\nName the feeling.\n:::\n"},
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="preview-body"' in html and 'class="callout callout-tip"' in html
    assert "<html" not in html  # the fragment alone
    assert file_row(LESSON).draft is None
    refused = educator_client.post(f"{url}preview", data={"text": "x"})  # no token
    assert refused.status_code == 400
