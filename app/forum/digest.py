"""The optional e-mail digest: unread notifications not yet e-mailed, one message per
member who asked for it. Each notification goes out at most once, so cron may run it
as often as it likes."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.auth.models import User
from app.extensions import db
from app.forum.models import ForumSettings, Notification, Post


@dataclass(frozen=True)
class Digest:
    user: User
    notifications: list[Notification]


def digests_due() -> list[Digest]:
    rows = (
        db.session.scalars(
            select(Notification)
            .join(ForumSettings, ForumSettings.user_id == Notification.user_id)
            .options(
                joinedload(Notification.actor),
                joinedload(Notification.post).joinedload(Post.thread),
            )
            .where(
                ForumSettings.email_digest.is_(True),
                Notification.read_at.is_(None),
                Notification.emailed_at.is_(None),
            )
            .order_by(Notification.user_id, Notification.created_at)
        )
        .unique()
        .all()
    )
    grouped: dict[int, list[Notification]] = {}
    for notification in rows:
        grouped.setdefault(notification.user_id, []).append(notification)
    users = {
        user.id: user
        for user in db.session.scalars(select(User).where(User.id.in_(grouped))).unique()
    }
    return [Digest(users[user_id], items) for user_id, items in grouped.items()]


def send_digests(send: Callable[[Digest], None], *, now: datetime) -> list[Digest]:
    """Sends each digest and records it, committing one member at a time."""
    sent = []
    for digest in digests_due():
        send(digest)
        for notification in digest.notifications:
            notification.emailed_at = now
        db.session.commit()
        sent.append(digest)
    return sent
