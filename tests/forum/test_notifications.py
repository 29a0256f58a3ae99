"""Forum notifications through the pages: @mentions, replies in watched threads, answers,
the unread count in the header, and the optional e-mail digest sent by
`preceptor forum digest`."""

import email
import email.policy
import html
import re
from typing import NamedTuple
from urllib.parse import urlsplit

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from app.auth.models import Role, User
from app.extensions import db as _db
from app.forum import service as forum
from app.forum.models import Notification, NotificationKind, Post, Thread
from tests.conftest import post_form
from tests.forum.conftest import publish, start_thread, text_of

BASE_URL = "https://preceptor.example.org"


@pytest.fixture
def config_overrides() -> dict:
    return {"FORUM_POSTS_PER_MINUTE": 1000, "BASE_URL": BASE_URL}


class Member(NamedTuple):
    user: User
    client: FlaskClient


@pytest.fixture
def ana(as_user) -> Member:
    return Member(*as_user(name="Dr. Ana Silva"))  # @ana-silva


@pytest.fixture
def bo(as_user) -> Member:
    return Member(*as_user(name="Dr. Bo Chen"))


@pytest.fixture
def cy(as_user) -> Member:
    return Member(*as_user(name="Dr. Cy Okafor"))  # @cy-okafor


# --- helpers ------------------------------------------------------------------------------


def visible_text(response) -> str:
    return html.unescape(text_of(response))


def notifications_of(user) -> list[tuple[NotificationKind, int | None]]:
    """(kind, actor id) of each of a member's notifications, oldest first."""
    _db.session.expire_all()
    return [
        (n.kind, n.actor_id)
        for n in _db.session.scalars(
            select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
        )
    ]


def only_notification(user) -> Notification:
    _db.session.expire_all()
    return _db.session.scalars(select(Notification).where(Notification.user_id == user.id)).one()


def header_badge(response) -> str:
    """The "Notifications" link in the page header, as read aloud."""
    match = re.search(r'<a href="/forum/notifications/"[^>]*>(.*?)</a>', text(response), re.S)
    assert match, "no Notifications link in the header"
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", match.group(1))).split())


def text(response) -> str:
    return response.get_data(as_text=True)


def listed(client) -> list[str]:
    """The lines of the member's notifications page."""
    page = text(client.get("/forum/notifications/"))
    items = re.findall(r'<li class="notification.*?</li>', page, re.S)
    return [" ".join(html.unescape(re.sub(r"<[^>]+>", " ", item)).split()) for item in items]


def thread_url(thread: Thread) -> str:
    return f"/forum/t/{thread.id}/"


def reply(client, thread: Thread, body: str, **fields):
    """Reply through the thread's reply page; the response is the redirect to the post."""
    response = publish(client, f"/forum/t/{thread.id}/reply", {"body": body, **fields})
    assert response.status_code == 302, visible_text(response)
    return response


def press(client, url: str, thread: Thread, data: dict | None = None):
    return post_form(client, url, data or {}, form_url=thread_url(thread))


def latest_post() -> Post:
    _db.session.expire_all()
    return _db.session.scalars(select(Post).order_by(Post.id.desc()).limit(1)).one()


# --- mentions ---------------------------------------------------------------------------------


def test_handles_are_made_from_names(ana, make_user):
    assert ana.user.handle == "ana-silva"
    assert make_user(name="Ana Silva").handle == "ana-silva-2"


def test_a_mention_notifies_the_member_and_is_shown_as_a_mention(categories, ana, bo):
    thread = start_thread(bo.user, categories["communication"])

    response = reply(bo.client, thread, "@ana-silva what would you say here?")

    assert notifications_of(ana.user) == [(NotificationKind.MENTION, bo.user.id)]
    page = bo.client.get(response.headers["Location"])
    assert '<span class="mention">@ana-silva</span> what would you say here?' in text(page)


def test_a_mention_of_no_one_notifies_nobody_and_stays_plain_text(categories, bo):
    thread = start_thread(bo.user, categories["communication"])

    page = bo.client.get(reply(bo.client, thread, "Ask @nobody-here.").headers["Location"])

    assert _db.session.scalars(select(Notification)).all() == []
    assert "Ask @nobody-here." in text(page)
    assert '<span class="mention">@nobody-here' not in text(page)


def test_mentioning_yourself_notifies_nobody(categories, ana):
    thread = start_thread(ana.user, categories["communication"])

    reply(ana.client, thread, "Note to self, @ana-silva: follow up.")

    assert notifications_of(ana.user) == []


def test_the_header_of_every_page_shows_the_unread_count(categories, ana, bo):
    thread = start_thread(bo.user, categories["communication"])
    assert header_badge(ana.client.get("/forum/")) == "Notifications"

    reply(bo.client, thread, "@ana-silva, your view?")
    reply(bo.client, thread, "And @ana-silva, one more thing.")

    for url in ("/forum/", "/courses/", "/me/", thread_url(thread)):
        assert header_badge(ana.client.get(url)) == "Notifications 2 unread", url
    assert header_badge(bo.client.get("/forum/")) == "Notifications"


def test_the_notifications_page_says_who_mentioned_you_where(categories, ana, bo):
    thread = start_thread(bo.user, categories["communication"], title="Silence in feedback")

    reply(bo.client, thread, "@ana-silva, your view?")

    [line] = listed(ana.client)
    assert line.startswith("Dr. Bo Chen mentioned you in “Silence in feedback” Unread")


def test_opening_a_notification_marks_it_read_and_goes_to_the_post(categories, ana, bo):
    thread = start_thread(bo.user, categories["communication"])
    reply(bo.client, thread, "@ana-silva, your view?")
    notification = only_notification(ana.user)

    response = ana.client.get(f"/forum/notifications/{notification.id}")

    assert response.status_code == 302
    assert response.headers["Location"] == f"/forum/t/{thread.id}/?page=1#post-2"
    assert only_notification(ana.user).read_at is not None
    page = ana.client.get(response.headers["Location"])
    assert header_badge(page) == "Notifications"
    assert "Unread" not in listed(ana.client)[0]


def test_members_cannot_open_someone_elses_notification(categories, ana, bo, cy):
    thread = start_thread(bo.user, categories["communication"])
    reply(bo.client, thread, "@ana-silva, your view?")
    notification = only_notification(ana.user)

    assert cy.client.get(f"/forum/notifications/{notification.id}").status_code == 404
    assert bo.client.get(f"/forum/notifications/{notification.id}").status_code == 404
    assert cy.client.get("/forum/notifications/999999").status_code == 404
    assert only_notification(ana.user).read_at is None


def test_a_mention_added_in_an_edit_notifies_once(categories, ana, bo):
    thread = start_thread(bo.user, categories["communication"])
    reply(bo.client, thread, "Who has tried this?")
    post = latest_post()

    publish(bo.client, f"/forum/p/{post.id}/edit", {"body": "Who has tried this, @ana-silva?"})
    publish(bo.client, f"/forum/p/{post.id}/edit", {"body": "Has @ana-silva tried this?"})

    assert notifications_of(ana.user) == [(NotificationKind.MENTION, bo.user.id)]


def test_mark_all_read_clears_the_count(categories, ana, bo):
    thread = start_thread(bo.user, categories["communication"])
    reply(bo.client, thread, "@ana-silva one")
    reply(bo.client, thread, "@ana-silva two")

    response = post_form(ana.client, "/forum/notifications/read", {}, "/forum/notifications/")

    assert response.status_code == 302
    page = ana.client.get(response.headers["Location"])
    assert "All notifications are marked read." in visible_text(page)
    assert header_badge(page) == "Notifications"
    assert all("Unread" not in line for line in listed(ana.client))
    assert len(listed(ana.client)) == 2


# --- watching ---------------------------------------------------------------------------------


def test_a_reply_in_a_watched_thread_notifies_the_author(categories, ana, bo):
    publish(ana.client, "/forum/c/communication/new", {"title": "Watching works", "body": "Hi"})
    thread = _db.session.scalars(select(Thread)).one()

    reply(bo.client, thread, "A reply.")

    assert notifications_of(ana.user) == [(NotificationKind.REPLY, bo.user.id)]
    assert notifications_of(bo.user) == []
    assert listed(ana.client)[0].startswith("Dr. Bo Chen replied in “Watching works”")


def test_everyone_who_replied_hears_of_later_replies_but_not_of_their_own(categories, ana, bo, cy):
    thread = start_thread(ana.user, categories["communication"])

    reply(bo.client, thread, "Bo's reply.")
    reply(cy.client, thread, "Cy's reply.")

    assert notifications_of(ana.user) == [
        (NotificationKind.REPLY, bo.user.id),
        (NotificationKind.REPLY, cy.user.id),
    ]
    assert notifications_of(bo.user) == [(NotificationKind.REPLY, cy.user.id)]
    assert notifications_of(cy.user) == []


def test_a_mention_in_a_watched_thread_is_one_notification(categories, ana, bo):
    thread = start_thread(ana.user, categories["communication"])

    reply(bo.client, thread, "@ana-silva, here is my answer.")

    assert notifications_of(ana.user) == [(NotificationKind.MENTION, bo.user.id)]


def test_stop_watching_stops_reply_notifications(categories, ana, bo, cy):
    thread = start_thread(ana.user, categories["communication"])
    reply(bo.client, thread, "Bo's reply.")
    assert "Stop watching" in visible_text(bo.client.get(thread_url(thread)))

    response = press(bo.client, f"/forum/t/{thread.id}/watch", thread, {"watch": "0"})

    assert response.status_code == 302
    page = bo.client.get(response.headers["Location"])
    assert "You will no longer be notified of replies." in visible_text(page)
    assert "Watch this thread" in visible_text(page)
    reply(cy.client, thread, "Cy's reply.")
    assert notifications_of(bo.user) == []
    assert len(notifications_of(ana.user)) == 2


def test_watching_a_thread_without_posting_brings_its_replies(categories, ana, bo, cy):
    thread = start_thread(ana.user, categories["communication"])

    press(cy.client, f"/forum/t/{thread.id}/watch", thread, {"watch": "1"})
    reply(bo.client, thread, "Bo's reply.")

    assert notifications_of(cy.user) == [(NotificationKind.REPLY, bo.user.id)]
    assert "Stop watching" in visible_text(cy.client.get(thread_url(thread)))


# --- anonymous posts ----------------------------------------------------------------------------


def test_a_mention_in_an_anonymous_post_does_not_name_its_author(categories, ana, bo):
    thread = start_thread(ana.user, categories["common-challenges"], title="Night shifts")

    reply(bo.client, thread, "@ana-silva I feel the same.", anonymous="y")

    [line] = listed(ana.client)
    assert line.startswith("Anonymous mentor mentioned you in “Night shifts”")
    notification = only_notification(ana.user)
    assert notification.actor_hidden
    page = ana.client.get(ana.client.get(f"/forum/notifications/{notification.id}").location)
    assert "Bo Chen" not in visible_text(page)
    assert "bo-chen" not in text(page)


def test_an_anonymous_reply_in_a_watched_thread_does_not_name_its_author(categories, ana, bo):
    thread = start_thread(ana.user, categories["common-challenges"], title="Night shifts")

    reply(bo.client, thread, "Same here.", anonymous="y")

    notifications = visible_text(ana.client.get("/forum/notifications/"))
    assert "Anonymous mentor replied in “Night shifts”" in notifications
    assert "Bo Chen" not in notifications


# --- answers ----------------------------------------------------------------------------------


def test_the_reply_author_hears_when_their_reply_becomes_the_answer(categories, ana, bo):
    thread = start_thread(ana.user, categories["communication"], title="How long to wait?")
    reply(bo.client, thread, "Count to seven.")
    answer = latest_post()

    press(ana.client, f"/forum/p/{answer.id}/answer", thread)

    assert notifications_of(bo.user) == [(NotificationKind.ANSWER, ana.user.id)]
    assert listed(bo.client)[0].startswith(
        "Dr. Ana Silva marked your reply as the answer in “How long to wait?”"
    )


def test_an_anonymous_thread_author_choosing_the_answer_stays_anonymous(categories, ana, bo):
    thread = start_thread(
        ana.user, categories["common-challenges"], title="Night shifts", anonymous=True
    )
    reply(bo.client, thread, "What helped me: a fixed sleep window.")

    press(ana.client, f"/forum/p/{latest_post().id}/answer", thread)

    [line] = listed(bo.client)
    assert line.startswith("Anonymous mentor marked your reply as the answer in “Night shifts”")


# --- the e-mail digest --------------------------------------------------------------------------


def turn_digest(client, on: bool):
    data = {"email_digest": "y"} if on else {}
    return post_form(client, "/forum/notifications/digest", data, "/forum/notifications/")


def run_digest(app) -> str:
    result = app.test_cli_runner().invoke(args=["forum", "digest"])
    assert result.exit_code == 0, result.output
    return result.output


def outbox(app) -> list[email.message.EmailMessage]:
    directory = app.config["OUTBOX_DIR"]
    files = sorted(directory.glob("*.eml")) if directory.exists() else []
    return [email.message_from_bytes(f.read_bytes(), policy=email.policy.default) for f in files]


def test_a_member_can_turn_the_digest_on_and_off(ana):

    response = turn_digest(ana.client, True)

    assert response.status_code == 302
    page = ana.client.get(response.headers["Location"])
    assert "You will get a daily e-mail digest." in visible_text(page)
    assert re.search(r'<input checked[^>]*name="email_digest"', text(page))
    assert forum.settings_of(ana.user).email_digest
    page = ana.client.get(turn_digest(ana.client, False).headers["Location"])
    assert "No more digest e-mails." in visible_text(page)
    _db.session.expire_all()
    assert not forum.settings_of(ana.user).email_digest


def test_the_digest_emails_unread_notifications_once(app, categories, ana, bo, cy):
    turn_digest(ana.client, True)
    thread = start_thread(bo.user, categories["communication"], title="Silence in feedback")
    reply(bo.client, thread, "@ana-silva and @cy-okafor, your views?")
    post = latest_post()
    assert len(notifications_of(cy.user)) == 1  # Cy has not asked for the digest

    output = run_digest(app)

    assert "1 digest(s) sent" in output
    [message] = outbox(app)
    assert message["To"] == ana.user.email
    assert message["Subject"] == "Preceptor forum: 1 new notification"
    body = message.get_content()
    assert 'Dr. Bo Chen mentioned you in "Silence in feedback"' in body
    assert f"{BASE_URL}/forum/p/{post.id}" in body
    assert f"{BASE_URL}/forum/notifications/" in body
    links = re.findall(r"https?://\S+", body)
    assert links and all(link.startswith(BASE_URL) for link in links)
    # The link leads to the post.
    path = urlsplit(f"{BASE_URL}/forum/p/{post.id}").path
    assert ana.client.get(path).headers["Location"] == f"/forum/t/{thread.id}/?page=1#post-2"

    assert "0 digest(s) sent" in run_digest(app)
    assert len(outbox(app)) == 1


def test_the_digest_leaves_out_notifications_already_read(app, categories, ana, bo):
    turn_digest(ana.client, True)
    thread = start_thread(bo.user, categories["communication"])
    reply(bo.client, thread, "@ana-silva one")
    ana.client.get(f"/forum/notifications/{only_notification(ana.user).id}")
    reply(bo.client, thread, "@ana-silva two")

    run_digest(app)

    [message] = outbox(app)
    assert message["Subject"] == "Preceptor forum: 1 new notification"


def test_members_without_the_digest_get_no_email(app, categories, ana, bo):
    thread = start_thread(bo.user, categories["communication"])
    reply(bo.client, thread, "@ana-silva, your view?")

    assert "0 digest(s) sent" in run_digest(app)
    assert outbox(app) == []
    assert only_notification(ana.user).emailed_at is None


def test_the_digest_does_not_name_an_anonymous_author(app, categories, ana, bo):
    turn_digest(ana.client, True)
    thread = start_thread(ana.user, categories["common-challenges"], title="Night shifts")
    reply(bo.client, thread, "@ana-silva same here.", anonymous="y")

    run_digest(app)

    [message] = outbox(app)
    body = message.get_content()
    assert 'Anonymous mentor mentioned you in "Night shifts"' in body
    assert "Bo Chen" not in body


def test_a_moderator_sees_who_wrote_an_anonymous_post_in_notifications(categories, as_user, bo):
    moderator, moderator_client = as_user(Role.EDUCATOR, name="Dr. Mo Reyes")
    thread = start_thread(moderator, categories["common-challenges"], title="Night shifts")

    reply(bo.client, thread, "Same here.", anonymous="y")

    assert listed(moderator_client)[0].startswith("Dr. Bo Chen replied in “Night shifts”")
