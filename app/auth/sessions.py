"""Signed-in browsers (UserSession rows): opened at sign-in, found from the login cookie
on every request, listed on My progress, and ended by signing out, by the user from
another device, by a password change or when an admin deactivates the account.

A session without "Keep me signed in" ends after IDLE_LIMIT without a request; every
session ends REMEMBER_COOKIE_DURATION after sign-in (the remember cookie's own lifetime).
"""

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta

from flask import Flask, Request, current_app
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import joinedload

from app.auth.models import User, UserSession
from app.extensions import db

IDLE_LIMIT = timedelta(hours=12)
SEEN_EVERY = timedelta(minutes=5)  # last_seen_at is written at most this often
COOKIE_ID = re.compile(r"^(\d{1,10})\.([A-Za-z0-9_-]{20,100})$")


class CookieSessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie session, signed with HMAC-SHA-256 rather than its SHA-1."""

    digest_method = staticmethod(hashlib.sha256)

    def __init__(self) -> None:
        self._serializers: dict[tuple, URLSafeTimedSerializer | None] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        """Flask builds a serializer for every request, /healthz included; it depends
        only on the keys, so build it once per set of keys."""
        keys = (app.secret_key, *(app.config["SECRET_KEY_FALLBACKS"] or ()))
        if keys not in self._serializers:
            self._serializers[keys] = super().get_signing_serializer(app)
        return self._serializers[keys]

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if app.secret_key and "HTTP_COOKIE" not in request.environ:
            return self.session_class()  # no cookies at all (a health check): nothing to read
        return super().open_session(app, request)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _remember_for() -> timedelta:
    return current_app.config["REMEMBER_COOKIE_DURATION"]


def open_session(user: User, *, device: str, remember: bool, now: datetime) -> str:
    """A new session for this browser; returns the id its cookies carry."""
    secret = secrets.token_urlsafe(32)
    row = UserSession(
        user_id=user.id,
        secret_hash=_hash(secret),
        device=describe_device(device),
        remember=remember,
        created_at=now,
        last_seen_at=now,
    )
    db.session.add(row)
    db.session.flush()
    return f"{row.id}.{secret}"


def ends_at(row: UserSession) -> datetime:
    """No session outlives REMEMBER_COOKIE_DURATION from sign-in, however often it is
    used; one without "Keep me signed in" also ends after IDLE_LIMIT without a request."""
    absolute = row.created_at + _remember_for()
    if row.remember:
        return absolute
    return min(row.last_seen_at + IDLE_LIMIT, absolute)


def is_live(row: UserSession, *, now: datetime) -> bool:
    return row.ended_at is None and now < ends_at(row) and row.user.is_active


# Every signed-in request runs this, so it is built once (building it cost more than
# running it): one query for the session, its user and, joined by User.role_rows, the roles.
_SESSION_WITH_USER = (
    select(UserSession)
    .options(joinedload(UserSession.user))
    .where(UserSession.id == bindparam("session_id"))
)


def session_from_cookie(cookie_id: str, *, now: datetime) -> UserSession | None:
    """The live session a cookie names, or None (unknown, forged, ended or expired)."""
    match = COOKIE_ID.match(cookie_id or "")
    if match is None:
        return None
    rows = db.session.scalars(_SESSION_WITH_USER, {"session_id": int(match.group(1))})
    row = rows.unique().one_or_none()
    if row is None or not hmac.compare_digest(row.secret_hash, _hash(match.group(2))):
        return None
    return row if is_live(row, now=now) else None


def needs_touch(row: UserSession, *, now: datetime) -> bool:
    return now - row.last_seen_at >= SEEN_EVERY


def touch(row: UserSession, *, now: datetime) -> None:
    db.session.execute(update(UserSession).where(UserSession.id == row.id).values(last_seen_at=now))


def live_sessions(user: User, *, now: datetime) -> list[UserSession]:
    """The user's signed-in browsers, most recently seen first."""
    rows = db.session.scalars(
        select(UserSession)
        .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        .order_by(UserSession.last_seen_at.desc(), UserSession.id.desc())
    ).all()
    return [row for row in rows if is_live(row, now=now)]


def get_own_session(user: User, session_id: int) -> UserSession | None:
    return db.session.scalar(
        select(UserSession).where(UserSession.id == session_id, UserSession.user_id == user.id)
    )


def end_session(row: UserSession, *, now: datetime) -> None:
    if row.ended_at is None:
        row.ended_at = now


def end_all_sessions(user: User, *, now: datetime, keep: UserSession | None = None) -> int:
    """End every session of the user (but `keep`); returns how many were ended."""
    statement = update(UserSession).where(
        UserSession.user_id == user.id, UserSession.ended_at.is_(None)
    )
    if keep is not None:
        statement = statement.where(UserSession.id != keep.id)
    return db.session.execute(
        statement.values(ended_at=now).execution_options(synchronize_session="fetch")
    ).rowcount


_BROWSERS = (
    ("Edge", r"Edg(e|A|iOS)?/"),
    ("Firefox", r"(Firefox|FxiOS)/"),
    ("Chrome", r"(Chrome|CriOS)/"),
    ("Safari", r"Safari/"),
)
_SYSTEMS = (
    ("Android", r"Android"),
    ("iPhone", r"iPhone"),
    ("iPad", r"iPad"),
    ("Windows", r"Windows"),
    ("macOS", r"Mac OS X|Macintosh"),
    ("ChromeOS", r"CrOS"),
    ("Linux", r"Linux"),
)


def describe_device(user_agent: str) -> str:
    """ "Chrome on Android" from a User-Agent header; enough to tell one's devices apart."""
    browser = next((name for name, pattern in _BROWSERS if re.search(pattern, user_agent)), "")
    system = next((name for name, pattern in _SYSTEMS if re.search(pattern, user_agent)), "")
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or "Unknown browser"
