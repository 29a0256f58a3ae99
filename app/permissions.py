"""Who may do what: every role rule in one place. Routes declare roles with these sets
(`role_required(*STAFF)`), services refuse with a reason when a `can_...` says no, and
templates offer only what the same functions allow.
"""

from dataclasses import dataclass

from app.auth.models import Role, User
from app.certification.models import Certificate
from app.forum.models import Post, Thread

# See every mentor's data and act on it (dashboard, matching, certificates, API tokens).
STAFF = (Role.COORDINATOR, Role.ADMIN)
# Keep the forum: hide and restore posts, lock, pin and move threads, handle reports.
MODERATORS = (Role.EDUCATOR, Role.COORDINATOR, Role.ADMIN)
# The educators' workspace (/author/): courses, quizzes and their statistics.
AUTHORS = (Role.EDUCATOR, Role.ADMIN)
# Observe mentors' practice and record it against the rubric.
OBSERVERS = (Role.EDUCATOR, Role.COORDINATOR, Role.ADMIN)


def _signed_in(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False)


def can_author(user: User | None) -> bool:
    return _signed_in(user) and user.has_role(*AUTHORS)


def is_staff(user: User | None) -> bool:
    return _signed_in(user) and user.has_role(*STAFF)


def can_moderate(user: User | None) -> bool:
    return _signed_in(user) and user.has_role(*MODERATORS)


def can_manage_categories(user: User | None) -> bool:
    return _signed_in(user) and user.has_role(Role.ADMIN)


def roles_grantable_by(user: User) -> list[Role]:
    """Admins may invite any role; coordinators invite mentors only."""
    if user.has_role(Role.ADMIN):
        return list(Role)
    if user.has_role(Role.COORDINATOR):
        return [Role.MENTOR]
    return []


# Certificates and mentor records


def can_view_certificate(user: User, certificate: Certificate) -> bool:
    """Its private views (PDF, credential, settings): the holder and staff."""
    return certificate.user_id == user.id or is_staff(user)


def can_read_mentor(user: User, mentor_id: int) -> bool:
    """Staff read every mentor's record; anyone else only their own."""
    return is_staff(user) or user.id == mentor_id


# Observed practice


def can_observe(user: User | None) -> bool:
    """Open mentors' practice pages: the rubric, the history, the form."""
    return _signed_in(user) and user.has_role(*OBSERVERS)


def can_record_practice(user: User | None, mentor: User) -> bool:
    """Educators, coordinators and admins record a mentor's observed practice; nobody
    records their own (the database refuses it too)."""
    return can_observe(user) and user.id != mentor.id


# The forum


def can_see_author(viewer: User, author: User | None, anonymous: bool) -> bool:
    """Anonymous posts hide their author from everyone but the author and moderators."""
    if author is None:
        return False
    return not anonymous or author.id == viewer.id or can_moderate(viewer)


def can_see_post(viewer: User, post: Post) -> bool:
    """Its text: deleted posts show to no one, hidden ones to moderators only."""
    if post.deleted_at is not None:
        return False
    return post.hidden_at is None or can_moderate(viewer)


def can_reply(viewer: User, thread: Thread) -> bool:
    """A locked thread takes replies (and changes to its posts) from moderators only."""
    return not thread.is_locked or can_moderate(viewer)


def can_change_post(viewer: User, post: Post) -> bool:
    """Authors edit and delete their own live posts, and not in a locked thread."""
    return post.author_id == viewer.id and post.is_visible and can_reply(viewer, post.thread)


def can_mark_helpful(viewer: User, post: Post) -> bool:
    return post.author_id != viewer.id and post.is_visible


def can_report(viewer: User, post: Post) -> bool:
    return post.author_id != viewer.id and post.is_visible


def can_choose_answer(viewer: User, post: Post) -> bool:
    """The thread's author (or a moderator) picks a visible reply by someone else."""
    thread = post.thread
    chooser = thread.author_id == viewer.id or can_moderate(viewer)
    by_someone_else = post.author_id is None or post.author_id != thread.author_id
    return chooser and post.number > 1 and post.is_visible and by_someone_else


@dataclass(frozen=True)
class PostActions:
    shown: bool  # the post's text (and so its actions) is shown to the viewer
    helpful: bool
    answer: bool
    quote: bool
    change: bool  # edit and delete
    report: bool
    hide: bool
    restore: bool


def post_actions(viewer: User, post: Post) -> PostActions:
    """What the viewer is offered under a post: exactly what the services allow."""
    if not can_see_post(viewer, post):
        return PostActions(False, False, False, False, False, False, False, False)
    moderator = can_moderate(viewer)
    return PostActions(
        shown=True,
        helpful=can_mark_helpful(viewer, post),
        answer=can_choose_answer(viewer, post),
        quote=can_reply(viewer, post.thread),
        change=can_change_post(viewer, post),
        report=can_report(viewer, post),
        hide=moderator and post.hidden_at is None,
        restore=moderator and post.hidden_at is not None,
    )
