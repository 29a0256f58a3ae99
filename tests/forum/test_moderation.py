"""Forum moderation through the pages: who may edit, hide, restore, lock, pin, move and work
the report queue; what members and moderators then see; the audit trail; anonymous posts;
odd ids and page numbers."""

import re
from dataclasses import dataclass

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app.audit.models import AuditAction, AuditEvent
from app.auth.models import Role, User
from app.clock import utcnow
from app.extensions import db as _db
from app.forum import service as forum
from app.forum.models import Category, Post, Report, Thread
from tests.conftest import log_in, post_form
from tests.forum.conftest import add_reply, publish, start_thread, text_of

MODERATOR_ROLES = [Role.EDUCATOR, Role.COORDINATOR, Role.ADMIN]

OPENING = "Ask what they noticed first, then what they would change next time."
REPLY = "I keep a notebook of phrases that landed well with residents."
REASON = "Quotes a trainee exam score word for word"


# --- helpers ------------------------------------------------------------------------------


def press(client: FlaskClient, url: str, **data):
    """Press a button that POSTs to url (a moderator tool, report, dismiss, delete…)."""
    return post_form(client, url, data, form_url="/forum/")


def follow(client: FlaskClient, response):
    assert response.status_code == 302, response.status_code
    return client.get(response.headers["Location"])


def html_of(response) -> str:
    return response.get_data(as_text=True)


def fresh(model, id_: int):
    _db.session.expire_all()
    return _db.session.get(model, id_)


def forum_state() -> dict:
    """Everything moderation could change, to show that a refused request changed nothing."""
    _db.session.expire_all()
    rows = {
        "threads": select(Thread.id, Thread.category_id, Thread.pinned, Thread.locked_at),
        "posts": select(Post.id, Post.body, Post.hidden_at, Post.hidden_reason, Post.deleted_at),
        "reports": select(Report.id, Report.resolved_at, Report.resolution),
        "categories": select(Category.id, Category.name, Category.position),
        "audit": select(AuditEvent.id, AuditEvent.action, AuditEvent.reason),
    }
    return {key: sorted(_db.session.execute(query).all()) for key, query in rows.items()}


def audit_events(action: AuditAction) -> list[AuditEvent]:
    _db.session.expire_all()
    return list(
        _db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


def assert_audited(
    action: AuditAction, actor: User, subject: str, subject_user: User, reason: str = ""
) -> AuditEvent:
    [event] = audit_events(action)
    assert event.actor_id == actor.id
    assert subject in event.subject
    assert event.subject_user_id == subject_user.id
    assert event.reason == reason
    return event


def post_count(thread: Thread) -> int:
    _db.session.expire_all()
    return _db.session.scalar(select(func.count(Post.id)).where(Post.thread_id == thread.id))


def thread_titles(response) -> list[str]:
    """The threads a category page lists, in order."""
    return re.findall(r'<a href="/forum/t/\d+/">([^<]+)</a>', html_of(response))


def file_report(reporter: User, post: Post, reason: str = "Seems unkind") -> Report:
    report = forum.report_post(reporter, _db.session.merge(post), reason=reason, now=utcnow())
    _db.session.commit()
    return report


# --- the scene ----------------------------------------------------------------------------


@dataclass
class Member:
    user: User
    client: FlaskClient


@pytest.fixture
def author(as_user) -> Member:
    """A mentor who started the thread."""
    return Member(*as_user(Role.MENTOR, name="Dr. Alma Quist"))


@pytest.fixture
def replier(make_user) -> User:
    return make_user(Role.MENTOR, name="Dr. Ben Ferris")


@pytest.fixture
def reader(as_user) -> Member:
    """A mentor who only reads."""
    return Member(*as_user(Role.MENTOR, name="Dr. Cleo Marsh"))


@pytest.fixture
def scene_educator(make_user) -> User:
    """The educator who hid posts or locked threads before the test began."""
    return make_user(Role.EDUCATOR, name="Dr. Scene Educator")


@pytest.fixture
def hide(scene_educator):
    """hide(post): the scene's educator hid it, straight through the service."""

    def hide(post: Post, reason: str = REASON) -> None:
        forum.hide_post(scene_educator, _db.session.merge(post), reason=reason, now=utcnow())
        _db.session.commit()

    return hide


@pytest.fixture
def thread(categories, author) -> Thread:
    return start_thread(
        author.user, categories["communication"], title="Feedback after a tough case", body=OPENING
    )


@pytest.fixture
def reply(thread, replier) -> Post:
    return add_reply(replier, thread, REPLY)


@pytest.fixture(params=MODERATOR_ROLES, ids=lambda role: role.value)
def moderator(request, as_user) -> Member:
    """Each moderator role in turn."""
    return Member(*as_user(request.param, name=f"Moderator {request.param.value.title()}"))


@pytest.fixture
def educator(as_user) -> Member:
    """One moderator, where the role does not matter."""
    return Member(*as_user(Role.EDUCATOR, name="Dr. Eve Moderator"))


# --- signed-out visitors ---------------------------------------------------------------


SIGNED_IN_PAGES = [
    "/forum/",
    "/forum/c/communication/",
    "/forum/t/{thread}/",
    "/forum/search?q=x",
    "/forum/notifications/",
    "/forum/c/communication/new",
    "/forum/t/{thread}/reply",
    "/forum/p/{post}/report",
    "/forum/p/{post}/hide",
    "/forum/reports/",
    "/forum/categories/",
]


def test_signed_out_visitors_are_sent_to_sign_in(client, thread, reply):
    for url in SIGNED_IN_PAGES:
        response = client.get(url.format(thread=thread.id, post=reply.id))
        assert response.status_code == 302, url
        assert "/auth/login" in response.headers["Location"], url
        assert OPENING not in html_of(response)


# --- only the author edits or deletes a post -------------------------------------------


@pytest.mark.parametrize("role", [Role.MENTOR, *MODERATOR_ROLES], ids=lambda role: role.value)
def test_no_one_but_the_author_edits_or_deletes_a_post(as_user, reply, role):
    """Moderators included: they hide a post, they never rewrite or delete it."""
    _, client = as_user(role)
    before = forum_state()
    edit_url = f"/forum/p/{reply.id}/edit"
    assert client.get(edit_url).status_code == 403
    edited = publish(client, edit_url, {"body": "Rewritten by someone else."}, "/forum/")
    assert edited.status_code == 403
    assert press(client, f"/forum/p/{reply.id}/delete").status_code == 403
    assert forum_state() == before
    page = client.get(f"/forum/t/{reply.thread_id}/")
    assert REPLY in html_of(page) and "Rewritten" not in html_of(page)
    assert f'href="{edit_url}"' not in html_of(page)


# --- mentors cannot moderate -----------------------------------------------------------


@dataclass
class ModerationScene:
    thread: Thread  # open, unpinned
    closed: Thread  # locked and pinned
    reply: Post  # visible, reported
    hidden: Post
    report: Report
    other_category: Category


@pytest.fixture
def moderation_scene(categories, author, replier, thread, reply, scene_educator, hide, make_user):
    closed = start_thread(author.user, categories["communication"], title="Closed for now")
    closed = _db.session.merge(closed)
    forum.set_locked(scene_educator, closed, True, now=utcnow())
    forum.set_pinned(scene_educator, closed, True, now=utcnow())
    _db.session.commit()
    hidden = add_reply(replier, thread, "Something a moderator hid.")
    hide(hidden)
    report = file_report(make_user(Role.MENTOR), reply)
    return ModerationScene(thread, closed, reply, hidden, report, categories["goal-setting"])


MODERATOR_ONLY = {
    "hide form": ("GET", "/forum/p/{reply}/hide", {}),
    "hide": ("POST", "/forum/p/{reply}/hide", {"reason": "Off topic"}),
    "restore": ("POST", "/forum/p/{hidden}/restore", {}),
    "lock": ("POST", "/forum/t/{thread}/lock", {"locked": "1"}),
    "unlock": ("POST", "/forum/t/{closed}/lock", {"locked": "0"}),
    "pin": ("POST", "/forum/t/{thread}/pin", {"pinned": "1"}),
    "unpin": ("POST", "/forum/t/{closed}/pin", {"pinned": "0"}),
    "move": ("POST", "/forum/t/{thread}/move", {"category": "{other_category}"}),
    "report queue": ("GET", "/forum/reports/", {}),
    "dismiss": ("POST", "/forum/reports/{report}/dismiss", {}),
}


@pytest.mark.parametrize("action", MODERATOR_ONLY)
def test_mentors_cannot_moderate(moderation_scene, reader, action):
    ids = {name: item.id for name, item in vars(moderation_scene).items()}
    method, url, data = MODERATOR_ONLY[action]
    url = url.format(**ids)
    before = forum_state()
    if method == "GET":
        response = reader.client.get(url)
    else:
        response = press(reader.client, url, **{k: v.format(**ids) for k, v in data.items()})
    assert response.status_code == 403
    assert forum_state() == before


def test_mentors_see_no_moderator_tools(moderation_scene, reader):
    page = html_of(reader.client.get(f"/forum/t/{moderation_scene.thread.id}/"))
    for tool in ("/hide", "/restore", "/lock", "/pin", "/move"):
        assert tool not in page
    assert "/forum/reports/" not in html_of(reader.client.get("/forum/"))


# --- hiding and restoring --------------------------------------------------------------


def test_moderators_hide_a_post_with_a_reason(moderator, reader, reply, replier):
    hide_url = f"/forum/p/{reply.id}/hide"
    assert REPLY in html_of(moderator.client.get(hide_url))
    response = follow(moderator.client, press(moderator.client, hide_url, reason=REASON))

    assert "The post is hidden from members." in text_of(response)
    assert f"Hidden from members by a moderator: {REASON}." in text_of(response)
    assert REPLY in html_of(response)
    members_page = reader.client.get(f"/forum/t/{reply.thread_id}/")
    assert "A moderator hid this post." in text_of(members_page)
    assert REPLY not in html_of(members_page)
    assert REASON not in html_of(members_page)
    assert_audited(
        AuditAction.POST_HIDDEN,
        moderator.user,
        f"post #2 in thread {reply.thread_id}",
        replier,
        REASON,
    )


def test_moderators_restore_a_hidden_post(moderator, reader, reply, replier, scene_educator, hide):
    hide(reply)
    response = follow(moderator.client, press(moderator.client, f"/forum/p/{reply.id}/restore"))

    assert "The post is visible again." in text_of(response)
    members_page = reader.client.get(f"/forum/t/{reply.thread_id}/")
    assert REPLY in html_of(members_page)
    assert "A moderator hid this post." not in text_of(members_page)
    assert fresh(Post, reply.id).hidden_reason == ""
    assert_audited(AuditAction.POST_RESTORED, moderator.user, "post #2 in thread", replier)
    # The log keeps the hiding as it was.
    assert_audited(AuditAction.POST_HIDDEN, scene_educator, "post #2", replier, REASON)


def search_text(client: FlaskClient, query: str) -> str:
    return text_of(client.get(f"/forum/search?q={query}"))


def test_a_hidden_post_leaves_members_search_until_restored(educator, reader, reply):
    assert "1 post matches “notebook”" in search_text(reader.client, "notebook")
    press(educator.client, f"/forum/p/{reply.id}/hide", reason=REASON)

    assert "0 posts match “notebook”" in search_text(reader.client, "notebook")
    assert "1 post matches “notebook”" in search_text(educator.client, "notebook")

    press(educator.client, f"/forum/p/{reply.id}/restore")
    assert "1 post matches “notebook”" in search_text(reader.client, "notebook")


@pytest.mark.parametrize("reason", ["", "   "])
def test_hiding_needs_a_reason(educator, reply, reason):
    before = forum_state()
    response = press(educator.client, f"/forum/p/{reply.id}/hide", reason=reason)
    assert response.status_code == 422
    assert "Say why, in a few words." in text_of(response)
    assert 'name="reason"' in html_of(response)
    assert forum_state() == before


def test_members_cannot_see_a_hidden_post_by_other_routes(reader, reply, hide):
    hide(reply)
    assert reader.client.get(f"/forum/p/{reply.id}/history").status_code == 404
    assert reader.client.get(f"/forum/p/{reply.id}/report").status_code == 404
    quoting = reader.client.get(f"/forum/t/{reply.thread_id}/reply?quote={reply.id}")
    assert quoting.status_code == 200 and REPLY not in html_of(quoting)


def test_the_author_cannot_change_a_hidden_post(as_user, thread, hide):
    writer, client = as_user(Role.MENTOR)
    post = add_reply(writer, thread, "My first take, later hidden.")
    hide(post)
    before = forum_state()

    edit_url = f"/forum/p/{post.id}/edit"
    assert publish(client, edit_url, {"body": "A quiet fix."}, "/forum/").status_code == 403
    assert press(client, f"/forum/p/{post.id}/delete").status_code == 403
    assert forum_state() == before
    page = html_of(client.get(f"/forum/t/{thread.id}/"))
    assert f'href="{edit_url}"' not in page and "A quiet fix." not in page


def audit_log() -> list[tuple]:
    _db.session.expire_all()
    query = select(
        AuditEvent.id,
        AuditEvent.action,
        AuditEvent.actor_id,
        AuditEvent.subject_user_id,
        AuditEvent.subject,
        AuditEvent.reason,
    ).order_by(AuditEvent.id)
    return list(_db.session.execute(query).all())


def test_the_audit_log_records_every_action_and_only_grows(
    app, educator, author, reader, thread, categories, make_user
):
    opening = _db.session.scalar(select(Post).where(Post.thread_id == thread.id))
    steps = [
        (f"/forum/p/{opening.id}/hide", {"reason": REASON}, AuditAction.POST_HIDDEN, REASON),
        (f"/forum/p/{opening.id}/restore", {}, AuditAction.POST_RESTORED, ""),
        (f"/forum/t/{thread.id}/lock", {"locked": "1"}, AuditAction.THREAD_LOCKED, ""),
        (f"/forum/t/{thread.id}/lock", {"locked": "0"}, AuditAction.THREAD_UNLOCKED, ""),
        (f"/forum/t/{thread.id}/pin", {"pinned": "1"}, AuditAction.THREAD_PINNED, ""),
        (f"/forum/t/{thread.id}/pin", {"pinned": "0"}, AuditAction.THREAD_UNPINNED, ""),
        (
            f"/forum/t/{thread.id}/move",
            {"category": str(categories["goal-setting"].id)},
            AuditAction.THREAD_MOVED,
            "",
        ),
    ]
    log = audit_log()
    for url, data, action, reason in steps:
        assert press(educator.client, url, **data).status_code == 302, url
        *earlier, event = audit_log()
        assert earlier == log, f"{action}: earlier events changed"
        assert (event.action, event.actor_id, event.subject_user_id, event.reason) == (
            action,
            educator.user.id,
            author.user.id,
            reason,
        )
        assert f"thread {thread.id}" in event.subject
        log = [*earlier, event]

    # A report, dismissed: the log keeps the reporter's reason.
    report = file_report(reader.user, opening, "Too personal")
    assert press(educator.client, f"/forum/reports/{report.id}/dismiss").status_code == 302
    *earlier, event = audit_log()
    assert earlier == log
    assert (event.action, event.actor_id, event.reason) == (
        AuditAction.REPORT_DISMISSED,
        educator.user.id,
        "Too personal",
    )

    # Coordinators read the log on the mentor's page.
    coordinator = app.test_client()
    log_in(coordinator, make_user(Role.COORDINATOR))
    page = text_of(coordinator.get(f"/coordinator/mentors/{author.user.id}/"))
    assert f"Dr. Eve Moderator post hidden: post #1 in thread {thread.id}" in page
    assert REASON in page
    assert "thread moved" in page and "report dismissed" in page


def test_no_page_changes_or_removes_audit_events(app):
    """The log is append-only: nothing under an audit path takes a write."""
    writes = {"POST", "PUT", "PATCH", "DELETE"}
    for rule in app.url_map.iter_rules():
        if "audit" in rule.rule or "audit" in rule.endpoint:
            assert not (rule.methods & writes), rule.rule


# --- locking ---------------------------------------------------------------------------


def reply_is_refused(client: FlaskClient, thread: Thread) -> None:
    before = post_count(thread)
    reply_url = f"/forum/t/{thread.id}/reply"
    for response in (
        client.get(reply_url),
        publish(client, reply_url, {"body": "Let me add one more thing."}, "/forum/"),
    ):
        assert response.status_code == 409
        assert "This thread is locked: it takes no more replies." in text_of(response)
    assert post_count(thread) == before


def test_moderators_lock_and_unlock_a_thread(moderator, author, thread):
    lock_url = f"/forum/t/{thread.id}/lock"
    response = follow(moderator.client, press(moderator.client, lock_url, locked="1"))
    assert "The thread is locked." in text_of(response)
    assert_audited(AuditAction.THREAD_LOCKED, moderator.user, f"thread {thread.id}", author.user)
    reply_is_refused(author.client, thread)

    response = follow(moderator.client, press(moderator.client, lock_url, locked="0"))
    assert "The thread is open for replies again." in text_of(response)
    assert_audited(AuditAction.THREAD_UNLOCKED, moderator.user, f"thread {thread.id}", author.user)
    published = publish(author.client, f"/forum/t/{thread.id}/reply", {"body": "Back again."})
    assert published.status_code == 302
    assert post_count(thread) == 2


def test_a_locked_thread_shows_members_no_reply_form(educator, reader, thread):
    press(educator.client, f"/forum/t/{thread.id}/lock", locked="1")
    reply_is_refused(reader.client, thread)
    page = reader.client.get(f"/forum/t/{thread.id}/")
    assert "Locked" in text_of(page)
    assert "This thread is locked: it takes no more replies." in text_of(page)
    assert f'action="/forum/t/{thread.id}/reply"' not in html_of(page)
    assert 'name="body"' not in html_of(page)


def test_moderators_still_reply_in_a_locked_thread(moderator, educator, thread):
    press(educator.client, f"/forum/t/{thread.id}/lock", locked="1")
    page = moderator.client.get(f"/forum/t/{thread.id}/")
    assert f'action="/forum/t/{thread.id}/reply"' in html_of(page)
    response = publish(
        moderator.client, f"/forum/t/{thread.id}/reply", {"body": "Closing note from us."}
    )
    assert response.status_code == 302
    assert "Closing note from us." in html_of(follow(moderator.client, response))


def test_mentors_cannot_edit_their_posts_in_a_locked_thread(educator, author, thread):
    opening = _db.session.scalar(select(Post).where(Post.thread_id == thread.id))
    press(educator.client, f"/forum/t/{thread.id}/lock", locked="1")
    edit_url = f"/forum/p/{opening.id}/edit"
    assert f'href="{edit_url}"' not in html_of(author.client.get(f"/forum/t/{thread.id}/"))

    assert author.client.get(edit_url).status_code == 409
    response = publish(author.client, edit_url, {"body": "Changed after the lock."})
    assert response.status_code == 409
    assert "This thread is locked: its posts can no longer be changed." in text_of(response)
    assert fresh(Post, opening.id).body == OPENING
    deleted = press(author.client, f"/forum/p/{opening.id}/delete")
    assert deleted.status_code == 409
    assert fresh(Post, opening.id).deleted_at is None


# --- pinning and moving ----------------------------------------------------------------


def test_moderators_pin_a_thread_to_the_top(moderator, categories, author):
    category = categories["goal-setting"]
    oldest = start_thread(author.user, category, title="Oldest thread here")
    start_thread(author.user, category, title="Middle thread here")
    start_thread(author.user, category, title="Newest thread here")
    listing = "/forum/c/goal-setting/"
    assert thread_titles(moderator.client.get(listing))[0] == "Newest thread here"

    press(moderator.client, f"/forum/t/{oldest.id}/pin", pinned="1")
    page = moderator.client.get(listing)
    assert thread_titles(page) == ["Oldest thread here", "Newest thread here", "Middle thread here"]
    assert text_of(page).count("Pinned") == 1
    assert_audited(AuditAction.THREAD_PINNED, moderator.user, f"thread {oldest.id}", author.user)

    press(moderator.client, f"/forum/t/{oldest.id}/pin", pinned="0")
    assert thread_titles(moderator.client.get(listing))[-1] == "Oldest thread here"
    assert_audited(AuditAction.THREAD_UNPINNED, moderator.user, f"thread {oldest.id}", author.user)


def test_moderators_move_a_thread(moderator, reader, categories, author, thread):
    target = categories["goal-setting"]
    response = press(moderator.client, f"/forum/t/{thread.id}/move", category=str(target.id))
    assert "The thread is now in Goal setting." in text_of(follow(moderator.client, response))

    assert thread.title in thread_titles(reader.client.get("/forum/c/goal-setting/"))
    assert thread.title not in thread_titles(reader.client.get("/forum/c/communication/"))
    breadcrumb = '<a href="/forum/c/goal-setting/">Goal setting</a></p>'
    assert breadcrumb in html_of(reader.client.get(f"/forum/t/{thread.id}/"))
    event = assert_audited(
        AuditAction.THREAD_MOVED, moderator.user, f"thread {thread.id}", author.user
    )
    assert event.details["from"] == "communication" and event.details["to"] == "goal-setting"


@pytest.mark.parametrize("category", ["999999", "abc", ""])
def test_moving_to_an_unknown_category_is_a_bad_request(educator, thread, category):
    before = forum_state()
    response = press(educator.client, f"/forum/t/{thread.id}/move", category=category)
    assert response.status_code == 400
    assert forum_state() == before


# --- reports ---------------------------------------------------------------------------


def report(client: FlaskClient, post: Post, reason: str):
    return post_form(client, f"/forum/p/{post.id}/report", {"reason": reason})


def open_reports() -> list[Report]:
    _db.session.expire_all()
    return list(_db.session.scalars(select(Report).where(Report.resolved_at.is_(None))))


def test_a_member_reports_a_post_for_moderators_to_review(moderator, reader, reply):
    form = reader.client.get(f"/forum/p/{reply.id}/report")
    assert form.status_code == 200 and REPLY in html_of(form)
    response = report(reader.client, reply, "Names a trainee exam result")
    assert "Thank you. A moderator will look at this post." in text_of(
        follow(reader.client, response)
    )

    assert "Reports to review (1)" in text_of(moderator.client.get("/forum/"))
    queue = moderator.client.get("/forum/reports/")
    assert queue.status_code == 200
    assert "Reported by Dr. Cleo Marsh" in text_of(queue)
    assert "Written by Dr. Ben Ferris" in text_of(queue)
    assert "Reason: Names a trainee exam result" in text_of(queue)
    assert REPLY in html_of(queue)
    assert f'href="/forum/p/{reply.id}"' in html_of(queue)


@pytest.mark.parametrize("reason", ["", "  "])
def test_a_report_needs_a_reason(reader, reply, reason):
    response = report(reader.client, reply, reason)
    assert response.status_code == 422
    assert "Say why, in a few words." in text_of(response)
    assert open_reports() == []


def test_reporting_the_same_post_twice_is_answered_kindly(reader, reply):
    report(reader.client, reply, "Unkind to a colleague")
    again = follow(reader.client, report(reader.client, reply, "Still unkind"))
    assert again.status_code == 200
    assert "You have already reported this post; a moderator will look at it." in text_of(again)
    assert [r.reason for r in open_reports()] == ["Unkind to a colleague"]


def test_members_cannot_report_their_own_posts(author, thread):
    opening = _db.session.scalar(select(Post).where(Post.thread_id == thread.id))

    response = press(author.client, f"/forum/p/{opening.id}/report", reason="Testing")

    assert response.status_code == 403
    assert _db.session.scalar(select(func.count(Report.id))) == 0


def test_moderators_dismiss_a_report(moderator, reader, reply, replier):
    report(reader.client, reply, "Unkind to a colleague")
    [filed] = open_reports()
    response = press(moderator.client, f"/forum/reports/{filed.id}/dismiss")

    queue = follow(moderator.client, response)
    assert "Report dismissed; the post stays as it is." in text_of(queue)
    assert "No open reports." in text_of(queue) and REPLY not in html_of(queue)
    assert "Reports to review (0)" in text_of(moderator.client.get("/forum/"))
    assert fresh(Report, filed.id).resolution == "dismissed"
    assert REPLY in html_of(reader.client.get(f"/forum/t/{reply.thread_id}/"))
    assert_audited(
        AuditAction.REPORT_DISMISSED, moderator.user, "post #2", replier, "Unkind to a colleague"
    )
    # Dismissed already: a second press finds nothing open.
    assert press(moderator.client, f"/forum/reports/{filed.id}/dismiss").status_code == 404


def test_hiding_a_post_resolves_its_open_reports(educator, as_user, reply):
    for _ in range(2):
        report(as_user(Role.MENTOR)[1], reply, "Identifies a trainee")
    assert "Reports to review (2)" in text_of(educator.client.get("/forum/"))

    press(educator.client, f"/forum/p/{reply.id}/hide", reason=REASON)
    assert open_reports() == []
    assert "No open reports." in text_of(educator.client.get("/forum/reports/"))
    assert "Reports to review (0)" in text_of(educator.client.get("/forum/"))
    resolutions = _db.session.scalars(select(Report.resolution)).all()
    assert resolutions == ["post hidden", "post hidden"]


def test_a_hidden_post_cannot_be_reported(reader, reply, hide):
    hide(reply)
    assert report(reader.client, reply, "Unkind").status_code == 404
    assert open_reports() == []


# --- anonymous posts -------------------------------------------------------------------


@dataclass
class AnonymousScene:
    author: Member
    thread: Thread


@pytest.fixture
def anonymous_thread(categories, as_user, reader) -> AnonymousScene:
    """A mentor opens a thread anonymously, mentioning the reader (who is notified)."""
    author = Member(*as_user(Role.MENTOR, name="Dr. Imogen Fairweather"))
    response = publish(
        author.client,
        "/forum/c/common-challenges/new",
        {
            "title": "Running on empty after a run of nights",
            "body": f"I dread my mentoring sessions lately. @{reader.user.handle} have you?",
            "anonymous": "y",
        },
    )
    assert response.status_code == 302
    thread = _db.session.scalar(select(Thread).where(Thread.author_id == author.user.id))
    return AnonymousScene(author, thread)


def assert_no_trace_of(user: User, response) -> None:
    assert response.status_code == 200
    page = html_of(response)
    assert user.name not in page and "Fairweather" not in page
    assert user.handle not in page


def test_other_mentors_never_see_who_posted_anonymously(anonymous_thread, reader):
    author, thread = anonymous_thread.author.user, anonymous_thread.thread
    opening = _db.session.scalar(select(Post).where(Post.thread_id == thread.id))
    pages = {
        "thread": reader.client.get(f"/forum/t/{thread.id}/"),
        "listing": reader.client.get("/forum/c/common-challenges/"),
        "search": reader.client.get("/forum/search?q=dread"),
        "notifications": reader.client.get("/forum/notifications/"),
        "quote": reader.client.get(f"/forum/t/{thread.id}/reply?quote={opening.id}"),
    }
    for page in pages.values():
        assert_no_trace_of(author, page)
    assert "Anonymous mentor" in text_of(pages["thread"])
    assert "Posted anonymously" not in text_of(pages["thread"])
    assert "last post by Anonymous mentor" in text_of(pages["listing"])
    assert "1 post matches “dread”" in text_of(pages["search"])
    assert "Anonymous mentor mentioned you" in text_of(pages["notifications"])
    assert "**Anonymous mentor** wrote:" in html_of(pages["quote"])


def test_moderators_see_who_posted_anonymously(anonymous_thread, moderator):
    author = anonymous_thread.author.user
    page = text_of(moderator.client.get(f"/forum/t/{anonymous_thread.thread.id}/"))
    assert f"{author.name} @{author.handle} Posted anonymously" in page
    assert "Anonymous mentor" not in page


def test_the_author_sees_their_own_name_with_an_anonymous_tag(anonymous_thread):
    author = anonymous_thread.author
    page = text_of(author.client.get(f"/forum/t/{anonymous_thread.thread.id}/"))
    assert f"{author.user.name} @{author.user.handle} Posted anonymously" in page


def test_anonymous_replies_are_hidden_from_other_mentors_too(anonymous_thread, as_user, reader):
    writer, client = as_user(Role.MENTOR, name="Dr. Hugo Fairweather")
    thread = anonymous_thread.thread
    response = publish(
        client, f"/forum/t/{thread.id}/reply", {"body": "Same here.", "anonymous": "y"}
    )
    assert response.status_code == 302
    for page in (
        reader.client.get(f"/forum/t/{thread.id}/"),
        reader.client.get("/forum/c/common-challenges/"),
    ):
        assert_no_trace_of(writer, page)
    assert "Anonymous mentor" in text_of(reader.client.get("/forum/c/common-challenges/"))


def test_choosing_an_answer_does_not_unmask_an_anonymous_thread_author(anonymous_thread, reader):
    thread = anonymous_thread.thread
    answer = add_reply(reader.user, thread, "Protect one evening a week, no exceptions.")
    author = anonymous_thread.author
    assert press(author.client, f"/forum/p/{answer.id}/answer").status_code == 302

    notifications = reader.client.get("/forum/notifications/")
    assert "marked your reply as the answer" in text_of(notifications)
    assert_no_trace_of(author.user, notifications)


def test_anonymous_posting_is_refused_where_the_category_does_not_allow_it(author, thread):
    before = forum_state()
    new_thread = publish(
        author.client,
        "/forum/c/communication/new",
        {"title": "A question I would rather ask quietly", "body": "Hello.", "anonymous": "y"},
    )
    assert new_thread.status_code == 403
    replied = publish(
        author.client, f"/forum/t/{thread.id}/reply", {"body": "Quietly.", "anonymous": "y"}
    )
    assert replied.status_code == 403
    assert forum_state() == before
    assert 'name="anonymous"' not in html_of(author.client.get("/forum/c/communication/new"))


# --- unknown ids and odd page numbers -------------------------------------------------


UNKNOWN = [
    "/forum/t/999999/",
    "/forum/p/999999",
    f"/forum/t/{2**31}/",
    f"/forum/p/{2**31}",
    "/forum/c/no-such-category/",
    "/forum/c/no-such-category/new",
    "/forum/p/999999/edit",
    "/forum/p/999999/report",
    "/forum/p/999999/history",
    "/forum/t/999999/reply",
    "/forum/notifications/999999",
]
UNKNOWN_TO_MODERATORS = [
    "/forum/t/999999/lock",
    "/forum/t/999999/pin",
    "/forum/t/999999/move",
    "/forum/p/999999/hide",
    "/forum/p/999999/restore",
    "/forum/reports/999999/dismiss",
    f"/forum/reports/{2**31}/dismiss",
]


def test_unknown_ids_are_not_found(reader, educator, thread):
    for url in UNKNOWN:
        response = reader.client.get(url)
        assert response.status_code == 404, url
        assert "Page not found" in text_of(response), url
    for url in UNKNOWN_TO_MODERATORS:
        response = press(educator.client, url, locked="1", pinned="1", reason="x")
        assert response.status_code == 404, url


HUGE = "99999999999999999999"


@pytest.mark.parametrize("page", ["abc", "-3", "0", "99999", HUGE])
def test_odd_page_numbers_show_a_sensible_page(author, reply, page):
    """The number is clamped into range: the one page there is shows."""
    pages = {
        "/forum/c/communication/": "Feedback after a tough case",
        f"/forum/t/{reply.thread_id}/": OPENING,
        "/forum/notifications/": "Dr. Ben Ferris replied in “Feedback after a tough case”",
    }
    for url, shows in pages.items():
        response = author.client.get(f"{url}?page={page}")
        assert response.status_code == 200, url
        assert shows in text_of(response), url


@pytest.mark.parametrize(
    "page",
    [
        "abc",
        "-3",
        "0",
        "99999",
        HUGE,
    ],
)
def test_odd_page_numbers_in_search_show_a_sensible_page(author, reply, page):
    response = author.client.get(f"/forum/search?q=notebook&page={page}")
    assert response.status_code == 200
    assert "1 post matches “notebook”" in text_of(response)
    assert f'href="/forum/p/{reply.id}"' in html_of(response)


def test_a_quote_of_an_impossible_post_id_is_not_a_server_error(author, thread):
    response = author.client.get(f"/forum/t/{thread.id}/reply?quote={HUGE}")
    assert response.status_code in (200, 404)


# --- the moderation log ------------------------------------------------------------------


def test_moderators_read_the_moderation_log_newest_first(moderator, reply, thread):
    press(moderator.client, f"/forum/p/{reply.id}/hide", reason="Names a colleague")
    press(moderator.client, f"/forum/t/{thread.id}/lock", locked="1")

    page = text_of(moderator.client.get("/forum/moderation-log/"))

    hidden = page.index("Post hidden: post #2")
    locked = page.index(f"Thread locked: thread {thread.id}")
    assert locked < hidden  # newest first
    assert "Names a colleague" in page
    assert moderator.user.name in page


def test_mentors_cannot_read_the_moderation_log(reader, reply, hide):
    hide(reply)
    response = reader.client.get("/forum/moderation-log/")
    assert response.status_code == 403
    assert REASON not in response.get_data(as_text=True)
