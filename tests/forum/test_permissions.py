"""The actions a thread page offers under a post are exactly what the services allow:
for every kind of viewer and every state of a post, each offered action succeeds and
each action not offered is refused (app.permissions decides both)."""

import pytest
from sqlalchemy import select

from app import permissions
from app.auth.models import Role
from app.clock import utcnow
from app.errors import PreceptorError
from app.extensions import db as _db
from app.forum import service as forum
from app.forum.models import Post
from tests.forum.conftest import add_reply, start_thread

STATES = ["live", "hidden", "deleted", "locked", "opening"]
VIEWERS = ["its author", "thread author", "another mentor", "moderator"]


def allowed(action) -> bool:
    """Does the service let it through? Rolled back either way."""
    try:
        action()
    except PreceptorError:
        return False
    finally:
        _db.session.rollback()
    return True


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("viewer_kind", VIEWERS)
def test_offered_actions_are_exactly_the_allowed_ones(
    app, categories, make_user, state, viewer_kind
):
    now = utcnow()
    starter = make_user(Role.MENTOR, name="Dr. Thread Starter")
    writer = make_user(Role.MENTOR, name="Dr. Reply Writer")
    moderator = make_user(Role.EDUCATOR, name="Dr. Moderator")
    thread = start_thread(starter, categories["communication"])
    if state == "opening":
        post = _db.session.scalar(select(Post).where(Post.thread_id == thread.id, Post.number == 1))
    else:
        post = add_reply(writer, thread)
    if state == "hidden":
        forum.hide_post(moderator, post, reason="Names a patient", now=now)
    elif state == "deleted":
        forum.delete_post(post.author, post, now=now)
    elif state == "locked":
        forum.set_locked(moderator, thread, True, now=now)
    _db.session.commit()
    viewer = {
        "its author": post.author,
        "thread author": starter,
        "another mentor": make_user(Role.MENTOR),
        "moderator": moderator,
    }[viewer_kind]

    offered = permissions.post_actions(viewer, post)

    assert offered.shown == permissions.can_see_post(viewer, post)
    assert offered.change == allowed(lambda: forum.check_changeable(viewer, post))
    assert offered.helpful == allowed(lambda: forum.toggle_helpful(viewer, post, now=now))
    assert offered.answer == allowed(lambda: forum.toggle_answer(viewer, post, now=now))
    assert offered.report == allowed(
        lambda: forum.report_post(viewer, post, reason="Looks off-topic here", now=now)
    )
    assert offered.quote == (
        offered.shown and allowed(lambda: forum.check_open_for_replies(viewer, thread))
    )
    assert offered.hide == (
        offered.shown
        and post.hidden_at is None
        and allowed(lambda: forum.hide_post(viewer, post, reason="Test reason", now=now))
    )
