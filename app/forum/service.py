"""The forum's rules: who may post, edit, delete and moderate; counters, watching,
mentions and notifications. Views call these and commit."""

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from flask import current_app
from sqlalchemy import Insert, bindparam, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from app import permissions
from app.audit import service as audit
from app.audit.models import AuditAction, AuditEvent
from app.auth.models import User
from app.courses.models import Course, Lesson
from app.errors import Forbidden, NotFound, PreceptorError
from app.extensions import db
from app.forum.markdown import find_mentions, render_post
from app.forum.models import (
    Category,
    ForumSettings,
    HelpfulMark,
    Notification,
    NotificationKind,
    Post,
    PostRevision,
    Report,
    Thread,
    ThreadRead,
    Watch,
)

POSTS_PER_PAGE = 20
THREADS_PER_PAGE = 30
ANONYMOUS_LABEL = "Anonymous mentor"
T = TypeVar("T")

# slug, name, description, allows anonymous posts
DEFAULT_CATEGORIES = (
    ("introductions", "Introductions", "Say who you are, what you practise and mentor on.", False),
    (
        "communication",
        "Communication",
        "Listening, feedback and hard conversations with mentees.",
        False,
    ),
    ("goal-setting", "Goal setting", "SMART and GROW goals, promotion, plans that stick.", False),
    (
        "common-challenges",
        "Common challenges",
        "Burnout, boundaries, struggling mentees. You may post anonymously to peers here.",
        True,
    ),
    ("peer-connections", "Peer connections", "Find mentors at your stage; peer groups.", False),
)


class PostingTooFast(PreceptorError):
    status, code = 429, "posting_too_fast"


class ThreadLocked(PreceptorError):
    status, code = 409, "thread_locked"


class AlreadyReported(PreceptorError):
    status, code = 409, "already_reported"


def _require_moderator(user: User) -> None:
    if not permissions.can_moderate(user):
        raise Forbidden("Only moderators (educators, coordinators, admins) can do this.")


def author_name(author: User | None, anonymous: bool, viewer: User) -> str:
    if author is None:
        return "Former member"
    if permissions.can_see_author(viewer, author, anonymous):
        return author.name
    return ANONYMOUS_LABEL


# --- categories ---------------------------------------------------------------------------


def seed_default_categories() -> None:
    """The starting categories, on a forum that has none."""
    if db.session.scalar(select(func.count(Category.id))):
        return
    for position, (slug, name, description, anonymous) in enumerate(DEFAULT_CATEGORIES):
        db.session.add(
            Category(
                slug=slug,
                name=name,
                description=description,
                position=position,
                allow_anonymous=anonymous,
            )
        )
    db.session.flush()


def categories() -> list[Category]:
    return list(db.session.scalars(select(Category).order_by(Category.position, Category.id)))


def get_category(slug: str) -> Category:
    category = db.session.scalar(select(Category).where(Category.slug == slug))
    if category is None:
        raise NotFound("There is no such forum category.")
    return category


def category_slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:60] or "category"


def save_category(
    category: Category | None, *, name: str, description: str, allow_anonymous: bool
) -> Category:
    if category is None:
        base = category_slug(name)[:54].rstrip("-")  # room for "-<number>" in 60 characters
        slug, number = base, 1
        while db.session.scalar(select(Category.id).where(Category.slug == slug)):
            number += 1
            slug = f"{base}-{number}"
        last = db.session.scalar(select(func.max(Category.position))) or 0
        category = Category(slug=slug, position=last + 1)
        db.session.add(category)
    category.name = name.strip()
    category.description = description.strip()
    category.allow_anonymous = allow_anonymous
    db.session.flush()
    return category


def move_category(category: Category, offset: int) -> None:
    """Swap with the neighbour above (-1) or below (+1); the order is renumbered 0..n."""
    ordered = categories()
    index = ordered.index(category)
    other = index + offset
    if 0 <= other < len(ordered):
        ordered[index], ordered[other] = ordered[other], ordered[index]
    for position, item in enumerate(ordered):
        item.position = position
    db.session.flush()


@dataclass(frozen=True)
class CategorySummary:
    category: Category
    thread_count: int
    post_count: int
    last_posted_at: datetime | None


def category_summaries() -> list[CategorySummary]:
    totals = {
        row.category_id: row
        for row in db.session.execute(
            select(
                Thread.category_id,
                func.count(Thread.id).label("threads"),
                func.coalesce(func.sum(Thread.post_count), 0).label("posts"),
                func.max(Thread.last_posted_at).label("last"),
            ).group_by(Thread.category_id)
        )
    }
    return [
        CategorySummary(
            category,
            totals[category.id].threads if category.id in totals else 0,
            totals[category.id].posts if category.id in totals else 0,
            totals[category.id].last if category.id in totals else None,
        )
        for category in categories()
    ]


# --- listing and reading ------------------------------------------------------------------


@dataclass(frozen=True)
class ThreadRow:
    thread: Thread
    unread: bool  # there are posts the viewer has not seen
    new: bool  # the viewer has never opened it


@dataclass(frozen=True)
class Paged(Generic[T]):
    items: list[T]
    page: int
    pages: int
    total: int


def _page_bounds(page: int, total: int, per_page: int) -> tuple[int, int]:
    pages = max(math.ceil(total / per_page), 1)
    return min(max(page, 1), pages), pages


def thread_listing(category: Category, viewer: User, page: int = 1) -> Paged[ThreadRow]:
    """Pinned first, then newest activity; with the viewer's unread markers."""
    total = db.session.scalar(
        select(func.count(Thread.id)).where(Thread.category_id == category.id)
    )
    page, pages = _page_bounds(page, total, THREADS_PER_PAGE)
    rows = (
        db.session.execute(
            select(Thread, ThreadRead.last_read_number)
            .options(
                joinedload(Thread.last_poster).lazyload(User.role_rows),
                joinedload(Thread.author).lazyload(User.role_rows),
            )
            .outerjoin(
                ThreadRead, (ThreadRead.thread_id == Thread.id) & (ThreadRead.user_id == viewer.id)
            )
            .where(Thread.category_id == category.id)
            .order_by(Thread.pinned.desc(), Thread.last_posted_at.desc(), Thread.id.desc())
            .limit(THREADS_PER_PAGE)
            .offset((page - 1) * THREADS_PER_PAGE)
        )
        .unique()
        .all()
    )
    items = [
        ThreadRow(thread, read is None or read < thread.post_count, read is None)
        for thread, read in rows
    ]
    return Paged(items, page, pages, total)


def get_thread(thread_id: int) -> Thread:
    thread = db.session.get(Thread, thread_id, options=[joinedload(Thread.category)])
    if thread is None:
        raise NotFound("There is no such thread.")
    return thread


def get_post(post_id: int) -> Post:
    post = db.session.get(Post, post_id, options=[joinedload(Post.thread)])
    if post is None:
        raise NotFound("There is no such post.")
    return post


def page_of(number: int) -> int:
    return (number - 1) // POSTS_PER_PAGE + 1


@dataclass(frozen=True)
class ThreadPage:
    thread: Thread
    posts: list[Post]
    page: int
    pages: int
    helpful_mine: set[int]  # ids of posts on this page the viewer marked helpful
    watching: bool
    last_read_number: int  # before this visit


# The thread page is among the most read, so its two statements are built once: the
# thread with its category and the viewer's read marker and watch; then one page of
# posts with their authors (names and handles: no roles) and the viewer's helpful marks.
_THREAD_FOR_VIEWER = (
    select(
        Thread,
        select(ThreadRead.last_read_number)
        .where(ThreadRead.thread_id == Thread.id, ThreadRead.user_id == bindparam("viewer_id"))
        .scalar_subquery(),
        select(Watch.id)
        .where(Watch.thread_id == Thread.id, Watch.user_id == bindparam("viewer_id"))
        .exists(),
    )
    .options(joinedload(Thread.category))
    .where(Thread.id == bindparam("thread_id"))
)
_POSTS_FOR_VIEWER = (
    select(Post, HelpfulMark.id)
    .options(joinedload(Post.author).lazyload(User.role_rows))
    .outerjoin(
        HelpfulMark,
        (HelpfulMark.post_id == Post.id) & (HelpfulMark.user_id == bindparam("viewer_id")),
    )
    .where(
        Post.thread_id == bindparam("thread_id"),
        Post.number.between(bindparam("first"), bindparam("last")),
    )
    .order_by(Post.number)
)


def thread_page(thread_id: int, viewer: User, page: int = 1) -> ThreadPage:
    """One page of posts; the same two queries whatever the thread's length."""
    row = db.session.execute(
        _THREAD_FOR_VIEWER, {"thread_id": thread_id, "viewer_id": viewer.id}
    ).one_or_none()
    if row is None:
        raise NotFound("There is no such thread.")
    thread, last_read, watching = row
    page, pages = _page_bounds(page, thread.post_count, POSTS_PER_PAGE)
    first = (page - 1) * POSTS_PER_PAGE + 1
    parameters = {"first": first, "last": first + POSTS_PER_PAGE - 1}
    rows = db.session.execute(
        _POSTS_FOR_VIEWER, {"thread_id": thread.id, "viewer_id": viewer.id, **parameters}
    ).all()
    posts = [post for post, _ in rows]
    for post in posts:  # the rules under each post read post.thread: no lazy load each time
        set_committed_value(post, "thread", thread)
    helpful = {post.id for post, mark in rows if mark is not None}
    return ThreadPage(thread, posts, page, pages, helpful, watching, last_read or 0)


@dataclass(frozen=True)
class ShownPost:
    """A post as one viewer sees it: whose it is and what they may do with it."""

    post: Post
    author: str
    revealed: bool  # the viewer may see who wrote it
    can: permissions.PostActions
    is_answer: bool
    unread: bool


def shown_posts(view: ThreadPage, viewer: User) -> list[ShownPost]:
    """The page's posts with the rules of app.permissions applied once each, here rather
    than asked again and again by the template."""
    answer_id, last_read = view.thread.answer_post_id, view.last_read_number
    return [
        ShownPost(
            post=post,
            author=author_name(post.author, post.anonymous, viewer),
            revealed=permissions.can_see_author(viewer, post.author, post.anonymous),
            can=permissions.post_actions(viewer, post),
            is_answer=post.id == answer_id,
            unread=bool(last_read) and post.number > last_read,
        )
        for post in view.posts
    ]


def mark_read(viewer: User, view: ThreadPage) -> bool:
    """Move the viewer's read marker to the page's last post, never back; True when it
    wrote. Most visits move nothing and write nothing; two tabs may move it at once, so
    neither statement depends on what this request read."""
    if not view.posts or view.posts[-1].number <= view.last_read_number:
        return False
    number = view.posts[-1].number
    marker = {"user_id": viewer.id, "thread_id": view.thread.id}
    db.session.execute(_insert_unless_present(ThreadRead).values(**marker, last_read_number=number))
    db.session.execute(
        update(ThreadRead)
        .where(
            ThreadRead.user_id == viewer.id,
            ThreadRead.thread_id == view.thread.id,
            ThreadRead.last_read_number < number,
        )
        .values(last_read_number=number)
    )
    return True


def _insert_unless_present(model: type[db.Model]) -> Insert:
    """An INSERT that leaves alone a row already holding its unique key (SQLite, PostgreSQL)."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(model).on_conflict_do_nothing()


def revisions(post: Post) -> list[PostRevision]:
    return list(
        db.session.scalars(
            select(PostRevision)
            .where(PostRevision.post_id == post.id)
            .order_by(PostRevision.replaced_at.desc(), PostRevision.id.desc())
        )
    )


# --- writing ------------------------------------------------------------------------------


def _check_rate(user: User, now: datetime) -> None:
    limit = current_app.config["FORUM_POSTS_PER_MINUTE"]
    window_start = now - timedelta(minutes=1)
    recent = list(
        db.session.scalars(
            select(Post.created_at)
            .where(Post.author_id == user.id, Post.created_at > window_start)
            .order_by(Post.created_at)
        )
    )
    if len(recent) >= limit:
        wait = math.ceil((recent[-limit] - window_start).total_seconds()) or 1
        raise PostingTooFast(
            f"You can post {limit} times a minute. Your text is kept below: "
            f"post it again in {wait} seconds."
        )


def _anonymous_allowed(category: Category, anonymous: bool) -> bool:
    if anonymous and not category.allow_anonymous:
        raise Forbidden("This category does not allow anonymous posts.")
    return anonymous


def _handles_to_users(handles: set[str]) -> dict[str, User]:
    if not handles:
        return {}
    return {
        user.handle: user
        for user in db.session.scalars(select(User).where(User.handle.in_(handles))).unique()
    }


def _render(body: str) -> tuple[str, dict[str, User]]:
    mentioned = _handles_to_users(find_mentions(body))
    return render_post(body, lambda handle: handle in mentioned), mentioned


def preview_html(body: str) -> str:
    return _render(body)[0]


def _watch(user: User, thread: Thread) -> None:
    exists = db.session.scalar(
        select(Watch.id).where(Watch.thread_id == thread.id, Watch.user_id == user.id)
    )
    if not exists:
        db.session.add(Watch(user_id=user.id, thread_id=thread.id))


def set_watching(user: User, thread: Thread, watching: bool) -> None:
    if watching:
        _watch(user, thread)
    else:
        db.session.execute(
            delete(Watch).where(Watch.thread_id == thread.id, Watch.user_id == user.id)
        )
    db.session.flush()


def _notify(
    users: set[int],
    kind: NotificationKind,
    post: Post,
    actor: User,
    now: datetime,
    *,
    actor_hidden: bool,
) -> None:
    """actor_hidden: the actor is anonymous where they acted, so the notice must not name them."""
    for user_id in sorted(users - {actor.id}):
        db.session.add(
            Notification(
                user_id=user_id,
                kind=kind,
                post_id=post.id,
                actor_id=actor.id,
                actor_hidden=actor_hidden,
                created_at=now,
            )
        )


def _add_post(user: User, thread: Thread, body: str, anonymous: bool, now: datetime) -> Post:
    html, mentioned = _render(body)
    # One UPDATE takes the next number and moves the counters, so concurrent replies
    # never share a number.
    number = db.session.execute(
        update(Thread)
        .where(Thread.id == thread.id)
        .values(
            post_count=Thread.post_count + 1,
            last_posted_at=now,
            last_poster_id=user.id,
            last_post_anonymous=anonymous,
        )
        .returning(Thread.post_count)
    ).scalar_one()
    post = Post(
        thread_id=thread.id,
        number=number,
        author_id=user.id,
        anonymous=anonymous,
        body=body,
        body_html=html,
        created_at=now,
    )
    db.session.add(post)
    db.session.flush()
    db.session.refresh(thread)
    mentioned_ids = {u.id for u in mentioned.values()}
    _notify(mentioned_ids, NotificationKind.MENTION, post, user, now, actor_hidden=anonymous)
    watchers = set(db.session.scalars(select(Watch.user_id).where(Watch.thread_id == thread.id)))
    _notify(
        watchers - mentioned_ids, NotificationKind.REPLY, post, user, now, actor_hidden=anonymous
    )
    _watch(user, thread)
    db.session.flush()
    return post


def start_thread(
    user: User,
    category: Category,
    *,
    title: str,
    body: str,
    anonymous: bool = False,
    lesson: Lesson | None = None,
    now: datetime,
) -> Thread:
    _check_rate(user, now)
    thread = Thread(
        category_id=category.id,
        title=" ".join(title.split()),
        author_id=user.id,
        anonymous=_anonymous_allowed(category, anonymous),
        lesson_id=lesson.id if lesson else None,
        created_at=now,
        last_posted_at=now,
    )
    db.session.add(thread)
    db.session.flush()
    _add_post(user, thread, body, thread.anonymous, now)
    return thread


def check_open_for_replies(user: User, thread: Thread) -> None:
    if not permissions.can_reply(user, thread):
        raise ThreadLocked("This thread is locked: it takes no more replies.")


def reply(user: User, thread: Thread, body: str, *, anonymous: bool = False, now: datetime) -> Post:
    check_open_for_replies(user, thread)
    _check_rate(user, now)
    return _add_post(user, thread, body, _anonymous_allowed(thread.category, anonymous), now)


def check_changeable(user: User, post: Post) -> None:
    """permissions.can_change_post decides; this says why not."""
    if permissions.can_change_post(user, post):
        return
    if post.author_id != user.id:
        raise Forbidden("You can only change your own posts.")
    if post.deleted_at is not None:
        raise NotFound("That post was deleted.")
    if post.hidden_at is not None:
        raise Forbidden("A moderator hid this post, so it cannot be changed.")
    raise ThreadLocked("This thread is locked: its posts can no longer be changed.")


def edit_post(user: User, post: Post, body: str, *, title: str | None = None, now: datetime):
    """The author's edit; the text it replaces is kept as a revision."""
    check_changeable(user, post)
    title = " ".join(title.split()) if title is not None else None
    title_changed = post.number == 1 and title and title != post.thread.title
    if body == post.body and not title_changed:
        return
    before = set(find_mentions(post.body))
    db.session.add(
        PostRevision(
            post_id=post.id,
            body=post.body if post.number > 1 else f"# {post.thread.title}\n\n{post.body}",
            written_at=post.edited_at or post.created_at,
            replaced_at=now,
            replaced_by_id=user.id,
        )
    )
    html, mentioned = _render(body)
    post.body, post.body_html, post.edited_at = body, html, now
    if title_changed:
        post.thread.title = title
    db.session.flush()
    fresh = {u.id for handle, u in mentioned.items() if handle not in before}
    _notify(fresh, NotificationKind.MENTION, post, user, now, actor_hidden=post.anonymous)
    db.session.flush()


def delete_post(user: User, post: Post, *, now: datetime) -> None:
    """Soft: the thread keeps a "post deleted" line in its place."""
    check_changeable(user, post)
    post.deleted_at = now
    if post.thread.answer_post_id == post.id:
        post.thread.answer_post_id = None
    db.session.flush()


def toggle_helpful(user: User, post: Post, *, now: datetime) -> bool:
    """Marks or unmarks; the new state. Not on one's own post."""
    if not permissions.can_mark_helpful(user, post):
        if post.author_id == user.id:
            raise Forbidden("You cannot mark your own post helpful.")
        raise NotFound("That post is not available.")
    mark = db.session.scalar(
        select(HelpfulMark).where(HelpfulMark.post_id == post.id, HelpfulMark.user_id == user.id)
    )
    if mark:
        db.session.delete(mark)
        delta = -1
    else:
        db.session.add(HelpfulMark(post_id=post.id, user_id=user.id, created_at=now))
        delta = 1
    db.session.execute(
        update(Post).where(Post.id == post.id).values(helpful_count=Post.helpful_count + delta)
    )
    db.session.flush()
    db.session.refresh(post)
    return mark is None


def toggle_answer(user: User, post: Post, *, now: datetime) -> bool:
    """The thread's author (or a moderator) marks a reply as the answer, or unmarks it."""
    thread = post.thread
    if not permissions.can_choose_answer(user, post):
        if thread.author_id != user.id and not permissions.can_moderate(user):
            raise Forbidden("Only the person who started the thread can choose its answer.")
        if post.number == 1 or not post.is_visible:
            raise Forbidden("Only a visible reply can be the answer.")
        raise Forbidden("The answer is a reply from someone else.")
    if thread.answer_post_id == post.id:
        thread.answer_post_id = None
        db.session.flush()
        return False
    thread.answer_post_id = post.id
    db.session.flush()
    if post.author_id:
        # The thread's author may be anonymous in it; a moderator never is.
        hidden = thread.anonymous and user.id == thread.author_id
        _notify({post.author_id}, NotificationKind.ANSWER, post, user, now, actor_hidden=hidden)
        db.session.flush()
    return True


# --- lessons ------------------------------------------------------------------------------


def lesson_thread(lesson: Lesson) -> Thread | None:
    return db.session.scalar(select(Thread).where(Thread.lesson_id == lesson.id))


def lesson_thread_title(lesson: Lesson) -> str:
    title = f"Discuss: {lesson.title}"
    return title if len(title) <= 200 else title[:199].rstrip() + "…"


def lesson_category(lesson: Lesson) -> Category:
    """The category named like the lesson's course, else the first one."""
    course_slug = db.session.scalar(select(Course.slug).where(Course.id == lesson.course_id))
    category = db.session.scalar(select(Category).where(Category.slug == course_slug))
    if category is None:
        category = db.session.scalar(select(Category).order_by(Category.position).limit(1))
    if category is None:
        raise NotFound("The forum has no categories yet.")
    return category


def start_lesson_thread(user: User, lesson: Lesson, body: str, *, now: datetime) -> Thread:
    """The lesson's thread, made on first use; if someone just made it, the post joins it."""
    existing = lesson_thread(lesson)
    if existing is None:
        try:
            with db.session.begin_nested():
                return start_thread(
                    user,
                    lesson_category(lesson),
                    title=lesson_thread_title(lesson),
                    body=body,
                    lesson=lesson,
                    now=now,
                )
        except IntegrityError:  # made a moment ago by someone else: join it
            existing = lesson_thread(lesson)
            if existing is None:
                raise
    reply(user, existing, body, now=now)
    return existing


# --- notifications ------------------------------------------------------------------------


# The header of every page shows this count. Built once, and on the table rather than the
# entity: the ORM's work per statement cost several times the indexed count itself.
_NOTIFICATIONS = Notification.__table__
_UNREAD_COUNT = (
    select(func.count())
    .select_from(_NOTIFICATIONS)
    .where(_NOTIFICATIONS.c.user_id == bindparam("user_id"), _NOTIFICATIONS.c.read_at.is_(None))
)


def unread_notifications(user: User) -> int:
    return db.session.scalar(_UNREAD_COUNT, {"user_id": user.id})


def notifications_of(user: User, page: int = 1, per_page: int = 30) -> Paged[Notification]:
    total = db.session.scalar(
        select(func.count(Notification.id)).where(Notification.user_id == user.id)
    )
    page, pages = _page_bounds(page, total, per_page)
    items = list(
        db.session.scalars(
            select(Notification)
            .options(
                joinedload(Notification.actor),
                joinedload(Notification.post).joinedload(Post.thread),
            )
            .where(Notification.user_id == user.id)
            .order_by(Notification.created_at.desc(), Notification.id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        ).unique()
    )
    return Paged(items, page, pages, total)


def notification_actor(notification: Notification, viewer: User) -> str:
    return author_name(notification.actor, notification.actor_hidden, viewer)


def open_notification(user: User, notification_id: int, *, now: datetime) -> Notification:
    notification = db.session.get(Notification, notification_id)
    if notification is None or notification.user_id != user.id:
        raise NotFound("There is no such notification.")
    if notification.read_at is None:
        notification.read_at = now
        db.session.flush()
    return notification


def mark_all_read(user: User, *, now: datetime) -> None:
    db.session.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=now)
    )


def settings_of(user: User) -> ForumSettings:
    settings = db.session.scalar(select(ForumSettings).where(ForumSettings.user_id == user.id))
    return settings or ForumSettings(user_id=user.id, email_digest=False)


def set_email_digest(user: User, enabled: bool) -> None:
    settings = settings_of(user)
    settings.email_digest = enabled
    db.session.add(settings)
    db.session.flush()


# --- moderation ---------------------------------------------------------------------------


def _post_subject(post: Post) -> str:
    return f"post #{post.number} in thread {post.thread_id} ({post.thread.title[:80]})"


def _post_event(action: AuditAction, moderator: User, post: Post, reason: str, now: datetime):
    audit.record(
        action,
        actor=moderator,
        subject=_post_subject(post),
        subject_user=post.author,
        reason=reason.strip(),
        details={"post_id": post.id, "thread_id": post.thread_id},
        now=now,
    )


def hide_post(moderator: User, post: Post, *, reason: str, now: datetime) -> None:
    _require_moderator(moderator)
    if post.hidden_at is not None:
        return
    post.hidden_at, post.hidden_by_id, post.hidden_reason = now, moderator.id, reason.strip()
    if post.thread.answer_post_id == post.id:
        post.thread.answer_post_id = None
    _resolve_reports(post, moderator, "post hidden", now)
    _post_event(AuditAction.POST_HIDDEN, moderator, post, reason, now)


def restore_post(moderator: User, post: Post, *, reason: str = "", now: datetime) -> None:
    _require_moderator(moderator)
    if post.hidden_at is None:
        return
    post.hidden_at, post.hidden_by_id, post.hidden_reason = None, None, ""
    _post_event(AuditAction.POST_RESTORED, moderator, post, reason, now)


def _thread_event(action: AuditAction, moderator: User, thread: Thread, now: datetime, **details):
    audit.record(
        action,
        actor=moderator,
        subject=f"thread {thread.id} ({thread.title[:80]})",
        subject_user=thread.author,
        details={"thread_id": thread.id, **details},
        now=now,
    )


def set_locked(moderator: User, thread: Thread, locked: bool, *, now: datetime) -> None:
    _require_moderator(moderator)
    if thread.is_locked == locked:
        return
    thread.locked_at = now if locked else None
    action = AuditAction.THREAD_LOCKED if locked else AuditAction.THREAD_UNLOCKED
    _thread_event(action, moderator, thread, now)


def set_pinned(moderator: User, thread: Thread, pinned: bool, *, now: datetime) -> None:
    _require_moderator(moderator)
    if thread.pinned == pinned:
        return
    thread.pinned = pinned
    action = AuditAction.THREAD_PINNED if pinned else AuditAction.THREAD_UNPINNED
    _thread_event(action, moderator, thread, now)


def move_thread(moderator: User, thread: Thread, category: Category, *, now: datetime) -> None:
    _require_moderator(moderator)
    if thread.category_id == category.id:
        return
    before = thread.category.slug
    thread.category_id = category.id
    db.session.flush()
    db.session.refresh(thread)
    _thread_event(
        AuditAction.THREAD_MOVED, moderator, thread, now, **{"from": before, "to": category.slug}
    )


def report_post(user: User, post: Post, *, reason: str, now: datetime) -> Report:
    if not permissions.can_report(user, post):
        if not post.is_visible:
            raise NotFound("That post is not available.")
        raise Forbidden("You cannot report your own post; edit or delete it instead.")
    open_report = db.session.scalar(
        select(Report.id).where(
            Report.post_id == post.id, Report.reporter_id == user.id, Report.resolved_at.is_(None)
        )
    )
    if open_report:
        raise AlreadyReported("You have already reported this post; a moderator will look at it.")
    report = Report(post_id=post.id, reporter_id=user.id, reason=reason.strip(), created_at=now)
    db.session.add(report)
    db.session.flush()
    return report


def open_reports() -> list[Report]:
    return list(
        db.session.scalars(
            select(Report)
            .options(
                joinedload(Report.reporter),
                joinedload(Report.post).joinedload(Post.author),
                joinedload(Report.post).joinedload(Post.thread),
            )
            .where(Report.resolved_at.is_(None))
            .order_by(Report.created_at)
        ).unique()
    )


def open_report_count() -> int:
    return db.session.scalar(select(func.count(Report.id)).where(Report.resolved_at.is_(None)))


def _resolve_reports(post: Post, moderator: User, resolution: str, now: datetime) -> None:
    db.session.execute(
        update(Report)
        .where(Report.post_id == post.id, Report.resolved_at.is_(None))
        .values(resolved_at=now, resolved_by_id=moderator.id, resolution=resolution)
    )


def dismiss_report(moderator: User, report_id: int, *, now: datetime) -> Report:
    _require_moderator(moderator)
    report = db.session.get(Report, report_id)
    if report is None or report.resolved_at is not None:
        raise NotFound("That report is not open.")
    report.resolved_at, report.resolved_by_id, report.resolution = now, moderator.id, "dismissed"
    audit.record(
        AuditAction.REPORT_DISMISSED,
        actor=moderator,
        subject=_post_subject(report.post),
        subject_user=report.post.author,
        reason=report.reason,
        details={"report_id": report.id, "post_id": report.post_id},
        now=now,
    )
    return report


def quote(post: Post, viewer: User) -> str:
    """Markdown that quotes a post, for the reply form."""
    if not permissions.can_see_post(viewer, post):
        return ""
    # The quote is read by everyone, so it names only what everyone may see.
    who = ANONYMOUS_LABEL if post.anonymous else author_name(post.author, False, viewer)
    quoted = "\n".join(f"> {line}" if line else ">" for line in post.body.splitlines())
    return f"> **{who}** wrote:\n>\n{quoted}\n\n"


MODERATION_ACTIONS = (
    AuditAction.POST_HIDDEN,
    AuditAction.POST_RESTORED,
    AuditAction.THREAD_LOCKED,
    AuditAction.THREAD_UNLOCKED,
    AuditAction.THREAD_PINNED,
    AuditAction.THREAD_UNPINNED,
    AuditAction.THREAD_MOVED,
    AuditAction.REPORT_DISMISSED,
)


def moderation_log(page: int = 1, per_page: int = 50) -> Paged[AuditEvent]:
    """The forum's entries in the audit log, newest first."""
    where = AuditEvent.action.in_(MODERATION_ACTIONS)
    total = db.session.scalar(select(func.count(AuditEvent.id)).where(where))
    page, pages = _page_bounds(page, total, per_page)
    items = list(
        db.session.scalars(
            select(AuditEvent)
            .options(joinedload(AuditEvent.actor).lazyload(User.role_rows))
            .where(where)
            .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        ).unique()
    )
    return Paged(items, page, pages, total)
