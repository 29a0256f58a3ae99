"""Posting in the forum through its pages, as a member's browser would: starting threads,
replying and quoting, previews, the patient-identifier check, editing and deleting,
long threads, the rate limit, lesson discussions, helpful marks and answers, search."""

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app import clock
from app.auth.models import Role
from app.clock import utcnow
from app.courses.models import Course, Lesson
from app.extensions import db as _db
from app.forum import service as forum
from app.forum.models import Post, Thread
from tests.conftest import post_form, queries_for
from tests.forum.conftest import add_reply, publish, start_thread, text_of


@pytest.fixture
def config_overrides() -> dict:
    """Long threads are built faster than anyone types; the rate-limit tests below put
    the default back."""
    return {"FORUM_POSTS_PER_MINUTE": 1000}


# --- helpers ------------------------------------------------------------------------------


def visible_text(response) -> str:
    """The page's text as a reader sees it (entities decoded)."""
    return html.unescape(text_of(response))


def page_html(response) -> str:
    return response.get_data(as_text=True)


def field_error(response, field: str) -> str:
    """The error shown under a form field ("" when there is none)."""
    match = re.search(rf'<p class="field-error" id="{field}-error">(.*?)</p>', page_html(response))
    return html.unescape(match.group(1)) if match else ""


def textarea_text(response, name: str = "body") -> str:
    match = re.search(
        rf'<textarea[^>]*name="{name}"[^>]*>(.*?)</textarea>', page_html(response), re.S
    )
    assert match, f"no {name} text area on the page"
    return html.unescape(match.group(1)).removeprefix("\r\n").removeprefix("\n")


def input_value(response, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', page_html(response))
    assert match, f"no {name} input on the page"
    value = re.search(r'value="([^"]*)"', match.group(0))
    return html.unescape(value.group(1)) if value else ""


def identifier_warnings(response) -> list[str]:
    """The lines of the "This may identify a patient" box."""
    box = re.search(
        r'<section class="notice identifier-warning".*?</section>', page_html(response), re.S
    )
    if not box:
        return []
    items = re.findall(r"<li>(.*?)</li>", box.group(0), re.S)
    return [html.unescape(re.sub(r"<[^>]+>", "", item)) for item in items]


def preview_section(response) -> str:
    match = re.search(r'<section class="post-preview".*?</section>', page_html(response), re.S)
    return match.group(0) if match else ""


def thread_rows(response) -> dict[str, str]:
    """A category listing: each thread's title -> the visible text of its row, in order."""
    rows = {}
    for row in re.findall(r'<li class="thread-row.*?</li>', page_html(response), re.S):
        title = html.unescape(re.search(r'<a href="/forum/t/\d+/">(.*?)</a>', row).group(1))
        rows[title] = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", row)).split())
    return rows


def post_count() -> int:
    return _db.session.scalar(select(func.count(Post.id)))


def thread_count() -> int:
    return _db.session.scalar(select(func.count(Thread.id)))


def fresh(model, id_: int):
    """A row as it is now in the database, after requests changed it."""
    _db.session.expire_all()
    return _db.session.get(model, id_)


def only_thread() -> Thread:
    _db.session.expire_all()
    return _db.session.scalars(select(Thread)).one()


def post_number(thread: Thread, number: int) -> Post:
    return _db.session.scalars(
        select(Post).where(Post.thread_id == thread.id, Post.number == number)
    ).one()


def thread_url(thread: Thread) -> str:
    return f"/forum/t/{thread.id}/"


def reply_url(thread: Thread) -> str:
    return f"/forum/t/{thread.id}/reply"


def press(client, url: str, thread: Thread, data: dict | None = None):
    """Press one of the buttons on a thread page (helpful, answer, delete, watch)."""
    return post_form(client, url, data or {}, form_url=thread_url(thread))


NEW_THREAD = "/forum/c/communication/new"


# --- starting a thread ----------------------------------------------------------------------


def test_starting_a_thread_leads_to_it_with_the_title_and_rendered_body(categories, as_user):
    _, client = as_user(name="Dr. Ana Silva")

    response = publish(
        client,
        NEW_THREAD,
        {"title": "Feedback after a hard night", "body": "What **works** for you?"},
    )

    thread = only_thread()
    assert response.status_code == 302
    assert response.headers["Location"] == f"/forum/t/{thread.id}/"
    page = client.get(response.headers["Location"])
    assert page.status_code == 200
    assert "<h1>Feedback after a hard night</h1>" in page_html(page)
    assert "<p>What <strong>works</strong> for you?</p>" in page_html(page)
    assert "Dr. Ana Silva" in visible_text(page)
    assert thread.category.slug == "communication"


def test_the_category_lists_a_thread_with_its_reply_count_and_last_poster(
    categories, as_user, make_user
):
    ana = make_user(name="Dr. Ana Silva")
    thread = start_thread(ana, categories["communication"], title="Feedback after a hard night")
    add_reply(make_user(name="Dr. Bo Chen"), thread)
    _, reader = as_user()

    rows = thread_rows(reader.get("/forum/c/communication/"))

    assert "1 reply" in rows["Feedback after a hard night"]
    assert "last post by Dr. Bo Chen" in rows["Feedback after a hard night"]
    add_reply(ana, thread)
    rows = thread_rows(reader.get("/forum/c/communication/"))
    assert "2 replies" in rows["Feedback after a hard night"]
    assert "last post by Dr. Ana Silva" in rows["Feedback after a hard night"]


def test_the_category_lists_pinned_threads_first_then_newest_activity(
    categories, as_user, make_user
):
    author = make_user()
    communication = categories["communication"]
    oldest = start_thread(author, communication, title="Pinned: how this category works")
    older = start_thread(author, communication, title="An older question")
    start_thread(author, communication, title="A newer question")
    forum.set_pinned(make_user(Role.EDUCATOR), oldest, True, now=utcnow())
    _db.session.commit()
    _, reader = as_user()

    assert list(thread_rows(reader.get("/forum/c/communication/"))) == [
        "Pinned: how this category works",
        "A newer question",
        "An older question",
    ]
    add_reply(author, older)  # new activity moves it up, under the pinned thread
    rows = thread_rows(reader.get("/forum/c/communication/"))
    assert list(rows) == [
        "Pinned: how this category works",
        "An older question",
        "A newer question",
    ]
    assert rows["Pinned: how this category works"].startswith("Pinned")


def test_a_new_thread_is_new_to_others_until_they_open_it_and_unread_after_a_reply(
    categories, as_user
):
    _, author = as_user()
    posted = publish(author, NEW_THREAD, {"title": "Mentoring across specialties", "body": "Hi"})
    author.get(posted.headers["Location"])
    thread = only_thread()
    _, reader = as_user()

    def marker() -> str:
        row = thread_rows(reader.get("/forum/c/communication/"))["Mentoring across specialties"]
        return "New" if " New " in f" {row} " else "Unread" if "Unread" in row else ""

    assert marker() == "New"
    reader.get(thread_url(thread))
    assert marker() == ""
    replied = publish(author, reply_url(thread), {"body": "Adding a detail."})
    author.get(replied.headers["Location"])
    assert marker() == "Unread"
    reader.get(thread_url(thread))
    assert marker() == ""
    # The author read what they posted.
    author_row = thread_rows(author.get("/forum/c/communication/"))["Mentoring across specialties"]
    assert "New" not in author_row and "Unread" not in author_row


# --- bad input --------------------------------------------------------------------------------


def test_an_empty_body_shows_the_form_again_with_the_error_by_the_body(categories, as_user):
    _, client = as_user()

    response = publish(client, NEW_THREAD, {"title": "A fine title", "body": "  \r\n  "})

    assert response.status_code == 422
    assert field_error(response, "body") == "Write something before posting."
    assert input_value(response, "title") == "A fine title"
    assert thread_count() == 0


def test_a_short_title_shows_the_form_again_with_the_error_and_keeps_the_text(categories, as_user):
    _, client = as_user()

    response = publish(client, NEW_THREAD, {"title": "Hi", "body": "My **long** question…"})

    assert response.status_code == 422
    assert field_error(response, "title") == "A title has 5 to 200 characters."
    assert field_error(response, "body") == ""
    assert textarea_text(response) == "My **long** question…"
    assert thread_count() == 0


@pytest.mark.parametrize("title", ["  Hi   ", "a    b"])
def test_spaces_do_not_make_a_short_title_long_enough(categories, as_user, title):
    _, client = as_user()

    response = publish(client, NEW_THREAD, {"title": title, "body": "A question."})

    assert response.status_code == 422
    assert field_error(response, "title") == "A title has 5 to 200 characters."
    assert thread_count() == 0


def test_a_lesson_with_a_long_title_still_gets_its_discussion(synced, categories, as_user):
    lesson = _db.session.scalar(select(Lesson).order_by(Lesson.id).limit(1))
    lesson.title = "Reflecting " + "feeling and content " * 9 + "again"  # 196 characters
    _db.session.commit()
    _, client = as_user()

    response = publish(client, f"/forum/lessons/{lesson.id}/", {"body": "What worked for you?"})

    assert response.status_code == 302
    title = only_thread().title
    assert len(title) == 200 and title.startswith("Discuss: Reflecting feeling")


def test_a_body_over_20000_characters_is_refused_and_kept(categories, as_user):
    _, client = as_user()
    body = "word " * 4000 + "x"  # 20,001 characters

    response = publish(client, NEW_THREAD, {"title": "A long story", "body": body})

    assert response.status_code == 422
    assert field_error(response, "body") == "Keep a post under 20,000 characters."
    assert textarea_text(response) == body
    assert thread_count() == 0
    assert (
        publish(client, NEW_THREAD, {"title": "A long story", "body": body[:-1]}).status_code == 302
    )


@pytest.mark.parametrize(
    "title",
    ["A tab\there in the title", "Two lines\r\nin a title", "Escape \x1b[31m codes", "Bell\x07!"],
    ids=["tab", "line break", "escape", "bell"],
)
def test_control_characters_in_a_title_are_refused(categories, as_user, title):
    _, client = as_user()

    response = publish(client, NEW_THREAD, {"title": title, "body": "The question itself."})

    assert response.status_code == 422
    assert field_error(response, "title") == "Use a single line without special characters."
    assert textarea_text(response) == "The question itself."
    assert thread_count() == 0


def test_an_empty_reply_is_refused_with_the_error_by_the_field(categories, as_user, make_user):
    thread = start_thread(make_user(), categories["communication"])
    _, client = as_user()

    response = publish(client, reply_url(thread), {"body": ""})

    assert response.status_code == 422
    assert field_error(response, "body") == "Write something before posting."
    assert post_count() == 1


# --- preview ----------------------------------------------------------------------------------


def test_preview_shows_the_rendered_post_and_saves_nothing(categories, as_user):
    _, client = as_user()
    body = "Try **naming the feeling** first.\n\n- listen\n- reflect"

    response = publish(
        client, NEW_THREAD, {"title": "Reflecting feelings", "body": body, "action": "preview"}
    )

    assert response.status_code == 200
    preview = preview_section(response)
    assert "<strong>naming the feeling</strong>" in preview
    assert "<li>listen</li>" in preview
    assert textarea_text(response) == body
    assert input_value(response, "title") == "Reflecting feelings"
    assert (thread_count(), post_count()) == (0, 0)


def test_preview_of_a_reply_saves_nothing(categories, as_user, make_user):
    thread = start_thread(make_user(), categories["communication"])
    _, client = as_user()

    response = publish(client, reply_url(thread), {"body": "*Draft* reply", "action": "preview"})

    assert response.status_code == 200
    assert "<em>Draft</em> reply" in preview_section(response)
    assert post_count() == 1


# --- patient identifiers --------------------------------------------------------------------

IDENTIFYING = "I saw patient John Smith, MRN 00482913, on the ward today."


def test_a_post_that_may_identify_a_patient_is_held_back_with_a_warning(categories, as_user):
    _, client = as_user()

    response = publish(client, NEW_THREAD, {"title": "A hard conversation", "body": IDENTIFYING})

    assert response.status_code == 422
    assert "This may identify a patient" in visible_text(response)
    assert identifier_warnings(response) == [
        "Line 1: a patient's name (patient John Smith)",
        "Line 1: a medical record, chart or account number (MRN 00482913)",
    ]
    assert "tick this box if you are sure" in field_error(response, "confirm")
    assert textarea_text(response) == IDENTIFYING
    assert (thread_count(), post_count()) == (0, 0)


def test_confirming_no_patient_can_be_recognised_publishes_the_post(categories, as_user):
    _, client = as_user()
    data = {"title": "A hard conversation", "body": IDENTIFYING}
    publish(client, NEW_THREAD, data)

    response = publish(client, NEW_THREAD, {**data, "confirm_identifiers": "y"})

    assert response.status_code == 302
    assert post_count() == 1
    assert IDENTIFYING in visible_text(client.get(response.headers["Location"]))


def test_identifiers_in_the_title_are_caught_too(categories, as_user):
    _, client = as_user()

    response = publish(
        client, NEW_THREAD, {"title": "About patient Mary Jones", "body": "What would you do?"}
    )

    assert response.status_code == 422
    assert identifier_warnings(response) == ["Title: a patient's name (patient Mary Jones)"]
    assert thread_count() == 0


def test_a_reply_that_may_identify_a_patient_is_held_back(categories, as_user, make_user):
    thread = start_thread(make_user(), categories["communication"])
    _, client = as_user()

    response = publish(client, reply_url(thread), {"body": IDENTIFYING})

    assert response.status_code == 422
    assert "This may identify a patient" in visible_text(response)
    assert post_count() == 1
    confirmed = publish(
        client, reply_url(thread), {"body": IDENTIFYING, "confirm_identifiers": "y"}
    )
    assert confirmed.status_code == 302
    assert post_count() == 2


def test_a_post_without_identifiers_is_published_without_a_warning(categories, as_user):
    _, client = as_user()

    response = publish(
        client,
        NEW_THREAD,
        {"title": "Feedback timing", "body": "A 45-year-old patient, seen at 07:30 by a PGY-2."},
    )

    assert response.status_code == 302
    assert "This may identify a patient" not in visible_text(
        client.get(response.headers["Location"])
    )


def test_preview_shows_the_identifier_warning_without_holding_the_form(categories, as_user):
    _, client = as_user()

    response = publish(
        client,
        NEW_THREAD,
        {"title": "A hard conversation", "body": IDENTIFYING, "action": "preview"},
    )

    assert response.status_code == 200
    assert "This may identify a patient" in visible_text(response)
    assert field_error(response, "confirm") == ""
    assert post_count() == 0


# --- replying and quoting ---------------------------------------------------------------------


def test_a_reply_is_added_at_the_end_and_the_author_is_taken_to_it(categories, as_user, make_user):
    thread = start_thread(make_user(), categories["communication"])
    _, client = as_user(name="Dr. Bo Chen")

    response = publish(client, reply_url(thread), {"body": "Ask what they noticed first."})

    assert response.status_code == 302
    assert response.headers["Location"] == f"/forum/t/{thread.id}/?page=1#post-2"
    page = client.get(response.headers["Location"])
    assert 'id="post-2"' in page_html(page)
    assert "Ask what they noticed first." in visible_text(page)
    assert "1 reply" in visible_text(page)


def test_quoting_a_post_fills_the_reply_with_a_blockquote_naming_its_author(
    categories, as_user, make_user
):
    ana = make_user(name="Dr. Ana Silva")
    thread = start_thread(ana, categories["communication"], body="Listen first.\n\nThen ask.")
    quoted = post_number(thread, 1)
    _, client = as_user()

    response = client.get(f"{reply_url(thread)}?quote={quoted.id}")

    assert response.status_code == 200
    assert textarea_text(response) == (
        "> **Dr. Ana Silva** wrote:\n>\n> Listen first.\n>\n> Then ask.\n\n"
    )


def test_quoting_an_anonymous_post_does_not_reveal_its_author(categories, as_user, make_user):
    ana = make_user(name="Dr. Ana Silva")
    thread = start_thread(
        ana, categories["common-challenges"], body="I am close to burning out.", anonymous=True
    )
    _, client = as_user()

    response = client.get(f"{reply_url(thread)}?quote={post_number(thread, 1).id}")

    assert textarea_text(response).startswith("> **Anonymous mentor** wrote:")
    assert "Ana Silva" not in visible_text(response)
    assert "ana-silva" not in page_html(response)


def test_a_quote_of_a_post_in_another_thread_is_not_filled_in(categories, as_user, make_user):
    author = make_user()
    thread = start_thread(author, categories["communication"])
    elsewhere = start_thread(author, categories["communication"], body="Somewhere else.")
    _, client = as_user()

    response = client.get(f"{reply_url(thread)}?quote={post_number(elsewhere, 1).id}")

    assert response.status_code == 200
    assert textarea_text(response) == ""


# --- editing and deleting ---------------------------------------------------------------------


def test_editing_a_post_marks_it_edited_and_keeps_the_earlier_text(categories, as_user, make_user):
    thread = start_thread(make_user(), categories["communication"])
    ana, client = as_user()
    reply = add_reply(ana, thread, "Ask open questions.")
    edit_form = client.get(f"/forum/p/{reply.id}/edit")
    assert textarea_text(edit_form) == "Ask open questions."

    response = publish(
        client, f"/forum/p/{reply.id}/edit", {"body": "Ask open questions, then wait."}
    )

    assert response.status_code == 302
    assert response.headers["Location"] == f"/forum/t/{thread.id}/?page=1#post-2"
    page = client.get(response.headers["Location"])
    assert "Ask open questions, then wait." in visible_text(page)
    assert f'<a href="/forum/p/{reply.id}/history">edited</a>' in page_html(page)
    history = visible_text(client.get(f"/forum/p/{reply.id}/history"))
    assert "Edit history of post #2" in history
    assert "Ask open questions." in history
    assert "then wait" not in history


def test_an_unedited_post_has_no_edited_mark(categories, as_user, make_user):
    thread = start_thread(make_user(), categories["communication"])
    reply = add_reply(make_user(), thread)
    _, client = as_user()

    page = client.get(thread_url(thread))

    assert f"/forum/p/{reply.id}/history" not in page_html(page)
    assert "This post has not been edited." in visible_text(
        client.get(f"/forum/p/{reply.id}/history")
    )


def test_editing_the_opening_post_can_change_the_thread_title(categories, as_user):
    _, client = as_user()
    publish(client, NEW_THREAD, {"title": "Feedbak after rounds", "body": "How do you do it?"})
    thread = only_thread()
    opening = post_number(thread, 1)
    assert input_value(client.get(f"/forum/p/{opening.id}/edit"), "title") == "Feedbak after rounds"

    publish(
        client,
        f"/forum/p/{opening.id}/edit",
        {"title": "Feedback after rounds", "body": "How do you do it?"},
    )

    assert "<h1>Feedback after rounds</h1>" in page_html(client.get(thread_url(thread)))
    assert "Feedback after rounds" in thread_rows(client.get("/forum/c/communication/"))
    assert "# Feedbak after rounds" in visible_text(client.get(f"/forum/p/{opening.id}/history"))


def test_an_edit_with_a_bad_body_shows_the_form_again(categories, as_user, make_user):
    thread = start_thread(make_user(), categories["communication"])
    ana, client = as_user()
    reply = add_reply(ana, thread, "Ask open questions.")

    response = publish(client, f"/forum/p/{reply.id}/edit", {"body": ""})

    assert response.status_code == 422
    assert field_error(response, "body") == "Write something before posting."
    assert fresh(Post, reply.id).body == "Ask open questions."


def test_members_cannot_edit_or_delete_someone_elses_post(categories, as_user, make_user):
    thread = start_thread(make_user(), categories["communication"])
    reply = add_reply(make_user(), thread, "Mine, not yours.")
    _, client = as_user()

    assert client.get(f"/forum/p/{reply.id}/edit").status_code == 403
    edit = post_form(
        client, f"/forum/p/{reply.id}/edit", {"action": "post", "body": "Yours now."}, "/forum/"
    )
    assert edit.status_code == 403
    assert press(client, f"/forum/p/{reply.id}/delete", thread).status_code == 403
    post = fresh(Post, reply.id)
    assert (post.body, post.deleted_at) == ("Mine, not yours.", None)


def test_deleting_a_post_leaves_a_marker_in_its_place(categories, as_user, make_user):
    thread = start_thread(make_user(), categories["communication"])
    ana, client = as_user(name="Dr. Ana Silva")
    mine = add_reply(ana, thread, "Something I regret writing.")
    add_reply(make_user(), thread, "A later reply.")

    response = press(client, f"/forum/p/{mine.id}/delete", thread)

    assert response.status_code == 302
    assert response.headers["Location"] == f"/forum/t/{thread.id}/?page=1#post-2"
    page = client.get(response.headers["Location"])
    text = visible_text(page)
    assert "Your post is deleted" in text
    assert "Post deleted" in text
    assert "The author deleted this post." in text
    assert "Something I regret writing." not in text
    assert 'id="post-2"' in page_html(page)
    assert 'id="post-3"' in page_html(page)
    assert "A later reply." in text
    # The text is gone from the other ways in too.
    _, reader = as_user()
    assert "Something I regret writing." not in visible_text(reader.get(thread_url(thread)))
    assert reader.get(f"/forum/p/{mine.id}/history").status_code == 404
    quote = reader.get(f"{reply_url(thread)}?quote={mine.id}")
    assert "regret" not in textarea_text(quote)


def test_a_deleted_post_cannot_be_edited_any_more(categories, as_user, make_user):
    thread = start_thread(make_user(), categories["communication"])
    me, client = as_user()
    mine = add_reply(me, thread, "Something I regret writing.")
    press(client, f"/forum/p/{mine.id}/delete", thread)

    response = client.get(f"/forum/p/{mine.id}/edit")

    assert response.status_code == 404
    assert "regret" not in page_html(response)


# --- long threads -----------------------------------------------------------------------------


def grow(thread: Thread, authors: list, to: int, **kwargs) -> None:
    """Replies from the authors in turn until the thread holds `to` posts."""
    thread = fresh(Thread, thread.id)
    for number in range(thread.post_count + 1, to + 1):
        add_reply(authors[number % len(authors)], thread, f"Reply number {number}.", **kwargs)


def test_a_long_thread_shows_twenty_posts_a_page(categories, as_user, make_user):
    authors = [make_user() for _ in range(3)]
    thread = start_thread(authors[0], categories["communication"])
    grow(thread, authors, to=45)
    _, client = as_user()

    first = page_html(client.get(thread_url(thread)))
    third = page_html(client.get(f"{thread_url(thread)}?page=3"))

    assert re.findall(r'id="post-(\d+)"', first) == [str(n) for n in range(1, 21)]
    assert re.findall(r'id="post-(\d+)"', third) == [str(n) for n in range(41, 46)]
    assert "Go to the last page to reply" in first
    assert 'id="reply-heading"' in third
    assert 'aria-current="page">3<' in third


def test_a_link_to_a_post_opens_the_page_that_holds_it(categories, as_user, make_user):
    authors = [make_user() for _ in range(3)]
    thread = start_thread(authors[0], categories["communication"])
    grow(thread, authors, to=45)
    _, client = as_user()

    response = client.get(f"/forum/p/{post_number(thread, 42).id}")

    assert response.status_code == 302
    assert response.headers["Location"] == f"/forum/t/{thread.id}/?page=3#post-42"
    page = client.get(response.headers["Location"])
    assert 'id="post-42"' in page_html(page)
    assert "Reply number 42." in visible_text(page)


def test_a_thread_page_takes_as_many_queries_at_80_posts_as_at_25(categories, as_user, make_user):
    authors = [make_user() for _ in range(6)]
    thread = start_thread(authors[0], categories["common-challenges"])
    grow(thread, authors, to=20)
    grow(thread, authors, to=25, anonymous=True)  # anonymous and named posts on one page
    forum.toggle_helpful(authors[1], post_number(thread, 22), now=utcnow())
    _db.session.commit()
    _, first_reader = as_user()
    short = queries_for(first_reader, f"{thread_url(thread)}?page=2")  # posts 21-25

    grow(thread, authors, to=70)
    grow(thread, authors, to=80, anonymous=True)
    forum.toggle_helpful(authors[1], post_number(thread, 75), now=utcnow())
    _db.session.commit()
    _, second_reader = as_user()
    long = queries_for(second_reader, f"{thread_url(thread)}?page=4")  # posts 61-80

    assert long == short


def test_two_tabs_reading_a_thread_at_once_leave_one_marker_at_the_furthest_post(
    categories, make_user
):
    authors = [make_user() for _ in range(2)]
    thread = start_thread(authors[0], categories["communication"])
    grow(thread, authors, to=25)
    reader = make_user()
    # Both tabs read before either writes, so both saw no marker yet.
    first_page = forum.thread_page(thread.id, reader, 1)
    second_page = forum.thread_page(thread.id, reader, 2)

    forum.mark_read(reader, second_page)
    forum.mark_read(reader, first_page)  # the slower tab: no second row, and nothing moves back
    _db.session.commit()

    assert forum.thread_page(thread.id, reader, 1).last_read_number == 25
    assert forum.thread_page(thread.id, make_user(), 1).last_read_number == 0


# --- rate limit -------------------------------------------------------------------------------


@pytest.fixture
def travel():
    """Move the app's clock forward; always put back."""
    yield clock.travel
    clock.reset_travel()


class TestRateLimit:
    @pytest.fixture
    def config_overrides(self) -> dict:
        return {}  # the default: FORUM_POSTS_PER_MINUTE = 5

    def test_the_sixth_reply_in_a_minute_is_refused_and_the_text_kept(
        self, app, categories, as_user, make_user
    ):
        assert app.config["FORUM_POSTS_PER_MINUTE"] == 5
        thread = start_thread(make_user(), categories["communication"])
        _, client = as_user()
        for number in range(5):
            assert (
                publish(client, reply_url(thread), {"body": f"Point {number}."}).status_code == 302
            )

        response = publish(client, reply_url(thread), {"body": "One more thought."})

        assert response.status_code == 422
        assert field_error(response, "body").startswith(
            "You can post 5 times a minute. Your text is kept below: post it again in "
        )
        assert textarea_text(response) == "One more thought."
        assert post_count() == 6

    def test_a_new_thread_over_the_limit_keeps_its_title_and_text(
        self, categories, as_user, make_user
    ):
        thread = start_thread(make_user(), categories["communication"])
        me, client = as_user()
        for _ in range(5):
            add_reply(me, thread)

        response = publish(client, NEW_THREAD, {"title": "My sixth post", "body": "Its text."})

        assert response.status_code == 422
        assert "You can post 5 times a minute" in field_error(response, "body")
        assert input_value(response, "title") == "My sixth post"
        assert textarea_text(response) == "Its text."
        assert thread_count() == 1

    def test_posting_works_again_a_minute_later(self, categories, as_user, make_user, travel):
        thread = start_thread(make_user(), categories["communication"])
        me, client = as_user()
        for _ in range(5):
            add_reply(me, thread)
        assert publish(client, reply_url(thread), {"body": "Too soon."}).status_code == 422

        travel(timedelta(minutes=1))

        response = publish(client, reply_url(thread), {"body": "Now it goes through."})
        assert response.status_code == 302
        assert "Now it goes through." in visible_text(client.get(response.headers["Location"]))

    def test_the_limit_is_per_member(self, categories, as_user, make_user):
        thread = start_thread(make_user(), categories["communication"])
        busy = make_user()
        for _ in range(5):
            add_reply(busy, thread)
        _, other = as_user()

        assert publish(other, reply_url(thread), {"body": "My first today."}).status_code == 302


# --- lesson discussions -----------------------------------------------------------------------


def lesson(course_slug: str, lesson_slug: str) -> Lesson:
    return _db.session.scalars(
        select(Lesson).join(Course).where(Course.slug == course_slug, Lesson.slug == lesson_slug)
    ).one()


def test_a_lesson_without_a_discussion_offers_to_start_one(synced, categories, as_user):
    reflect = lesson("listening", "reflect")
    _, client = as_user()

    response = client.get(f"/forum/lessons/{reflect.id}/")

    assert response.status_code == 200
    text = visible_text(response)
    assert "Discuss: Reflecting feeling and content" in text
    assert "No one has discussed this lesson yet." in text
    assert 'name="body"' in page_html(response)
    assert thread_count() == 0


def test_the_first_post_on_a_lesson_starts_its_discussion_thread(synced, categories, as_user):
    reflect = lesson("listening", "reflect")
    _, client = as_user()

    response = publish(client, f"/forum/lessons/{reflect.id}/", {"body": "I tried this today."})

    thread = only_thread()
    assert response.status_code == 302
    assert response.headers["Location"] == f"/forum/t/{thread.id}/?page=1"
    assert thread.title == "Discuss: Reflecting feeling and content"
    assert thread.lesson_id == reflect.id
    page = client.get(response.headers["Location"])
    assert "I tried this today." in visible_text(page)
    again = client.get(f"/forum/lessons/{reflect.id}/")
    assert again.status_code == 302
    assert again.headers["Location"] == f"/forum/t/{thread.id}/"


def test_a_second_post_on_a_lesson_joins_its_thread(synced, categories, as_user, make_user):
    reflect = lesson("listening", "reflect")
    forum.start_lesson_thread(make_user(), reflect, "First!", now=utcnow())
    _db.session.commit()
    _, client = as_user()

    # Someone else started it while this member's form was open.
    response = publish(
        client,
        f"/forum/lessons/{reflect.id}/",
        {"body": "Second thoughts."},
        form_url="/forum/",
    )

    thread = only_thread()
    assert response.status_code == 302
    assert fresh(Thread, thread.id).post_count == 2


def test_the_lesson_page_links_to_its_discussion(synced, categories, as_user):
    reflect = lesson("listening", "reflect")
    _, client = as_user()
    publish(client, f"/forum/lessons/{reflect.id}/", {"body": "I tried this today."})
    thread = only_thread()

    page = client.get("/courses/listening/reflect/")

    link = re.search(r'<a href="([^"]+)">(Discuss this lesson[^<]*)</a>', page_html(page))
    assert link, "no Discuss this lesson link"
    assert client.get(link.group(1)).headers["Location"] == f"/forum/t/{thread.id}/"


def test_archived_or_unknown_lessons_have_no_discussion(synced, categories, as_user):
    reflect = lesson("listening", "reflect")
    reflect.archived_at = utcnow()
    _db.session.commit()
    _, client = as_user()

    assert client.get(f"/forum/lessons/{reflect.id}/").status_code == 404
    assert client.get("/forum/lessons/999999/").status_code == 404
    posted = publish(client, f"/forum/lessons/{reflect.id}/", {"body": "Hello?"}, "/forum/")
    assert posted.status_code == 404
    assert thread_count() == 0


# --- helpful and answer -----------------------------------------------------------------------


def test_marking_a_post_helpful_shows_the_count_and_can_be_undone(categories, as_user, make_user):
    thread = start_thread(make_user(), categories["communication"])
    reply = add_reply(make_user(), thread, "Try silence.")
    _, client = as_user()

    response = press(client, f"/forum/p/{reply.id}/helpful", thread)

    assert response.status_code == 302
    assert response.headers["Location"] == f"/forum/t/{thread.id}/?page=1#post-2"
    page = client.get(response.headers["Location"])
    assert "Marked as helpful." in visible_text(page)
    assert "1 found this helpful" in visible_text(page)
    assert 'aria-pressed="true"' in page_html(page)

    press(client, f"/forum/p/{reply.id}/helpful", thread)
    page = client.get(thread_url(thread))
    assert "found this helpful" not in visible_text(page)
    assert fresh(Post, reply.id).helpful_count == 0


def test_marks_from_several_members_add_up(categories, as_user, make_user):
    thread = start_thread(make_user(), categories["communication"])
    reply = add_reply(make_user(), thread, "Try silence.")
    for _ in range(2):
        _, client = as_user()
        press(client, f"/forum/p/{reply.id}/helpful", thread)

    assert "2 found this helpful" in visible_text(client.get(thread_url(thread)))


def test_members_cannot_mark_their_own_post_helpful(categories, as_user, make_user):
    thread = start_thread(make_user(), categories["communication"])
    me, client = as_user()
    mine = add_reply(me, thread)

    assert press(client, f"/forum/p/{mine.id}/helpful", thread).status_code == 403
    assert fresh(Post, mine.id).helpful_count == 0


def test_the_thread_author_marks_a_reply_as_the_answer(categories, as_user, make_user):
    ana, client = as_user()
    thread = start_thread(ana, categories["communication"], title="How long to wait in silence?")
    reply = add_reply(make_user(), thread, "Count to seven.")

    response = press(client, f"/forum/p/{reply.id}/answer", thread)

    assert response.status_code == 302
    page = client.get(response.headers["Location"])
    assert "Marked as the answer." in visible_text(page)
    assert "Answered: see the answer" in visible_text(page)
    _, reader = as_user()
    assert (
        "Answered"
        in thread_rows(reader.get("/forum/c/communication/"))["How long to wait in silence?"]
    )


def test_only_the_thread_author_can_choose_the_answer(categories, as_user, make_user):
    thread = start_thread(make_user(), categories["communication"], title="How long to wait?")
    reply = add_reply(make_user(), thread, "Count to seven.")
    _, other = as_user()

    assert "Mark as answer" not in visible_text(other.get(thread_url(thread)))
    assert press(other, f"/forum/p/{reply.id}/answer", thread).status_code == 403
    assert fresh(Thread, thread.id).answer_post_id is None
    assert "Answered" not in thread_rows(other.get("/forum/c/communication/"))["How long to wait?"]


def test_pressing_answer_again_unmarks_it(categories, as_user, make_user):
    ana, client = as_user()
    thread = start_thread(ana, categories["communication"], title="How long to wait?")
    reply = add_reply(make_user(), thread, "Count to seven.")
    press(client, f"/forum/p/{reply.id}/answer", thread)

    page = client.get(press(client, f"/forum/p/{reply.id}/answer", thread).headers["Location"])

    assert "No longer marked as the answer." in visible_text(page)
    assert "Answered" not in thread_rows(client.get("/forum/c/communication/"))["How long to wait?"]


def test_the_answer_is_a_reply_from_someone_else(categories, as_user):
    ana, client = as_user()
    thread = start_thread(ana, categories["communication"])
    own_reply = add_reply(ana, thread, "Answering myself.")

    assert press(client, f"/forum/p/{post_number(thread, 1).id}/answer", thread).status_code == 403
    assert press(client, f"/forum/p/{own_reply.id}/answer", thread).status_code == 403
    assert fresh(Thread, thread.id).answer_post_id is None


# --- search -----------------------------------------------------------------------------------


def test_search_highlights_the_words_found(categories, as_user, make_user):
    thread = start_thread(make_user(), categories["communication"], title="Teaching on rounds")
    add_reply(make_user(), thread, "We tried the teach-back method with our residents.")
    _, client = as_user()

    response = client.get("/forum/search?q=residents")

    assert response.status_code == 200
    assert "1 post matches “residents”." in visible_text(response)
    assert "<mark>residents</mark>" in page_html(response)
    assert "Teaching on rounds" in visible_text(response)


def test_search_does_not_show_a_hidden_post_to_mentors(categories, as_user, make_user):
    thread = start_thread(make_user(), categories["communication"])
    reply = add_reply(make_user(), thread, "The stethoscope anecdote, in full.")
    moderator, moderator_client = as_user(Role.EDUCATOR)
    forum.hide_post(moderator, fresh(Post, reply.id), reason="off topic", now=utcnow())
    _db.session.commit()
    _, mentor = as_user()

    hidden = mentor.get("/forum/search?q=stethoscope")

    assert "0 posts match “stethoscope”." in visible_text(hidden)
    assert "anecdote" not in visible_text(hidden)
    assert "<mark>stethoscope</mark>" in page_html(
        moderator_client.get("/forum/search?q=stethoscope")
    )


def test_search_does_not_show_a_deleted_post(categories, as_user, make_user):
    thread = start_thread(make_user(), categories["communication"])
    me, client = as_user()
    mine = add_reply(me, thread, "The stethoscope anecdote, in full.")
    press(client, f"/forum/p/{mine.id}/delete", thread)

    assert "0 posts match" in visible_text(client.get("/forum/search?q=stethoscope"))
