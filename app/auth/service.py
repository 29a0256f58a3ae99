"""Accounts: sign-in, password resets, invitations and sign-up."""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from app.auth import sessions
from app.auth.handles import unique_handle
from app.auth.models import Invite, Role, User, UserRole
from app.auth.passwords import hash_password, verify_against_nothing, verify_password
from app.errors import PreceptorError
from app.extensions import db


class LinkInvalid(PreceptorError):
    status, code = 400, "link_invalid"


class EmailTaken(PreceptorError):
    status, code = 409, "email_taken"


def normalize_email(email: str) -> str:
    return email.strip().lower()


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalize_email(email)))


def _handle_taken(handle: str) -> bool:
    return db.session.scalar(select(User.id).where(User.handle == handle)) is not None


def create_user(email: str, name: str, password: str, roles: set[Role] | list[Role]) -> User:
    """A new account; the caller has checked the password against the rules."""
    email = normalize_email(email)
    if find_user(email):
        raise EmailTaken(f"There is already an account for {email}.")
    user = User(
        email=email,
        name=name.strip(),
        handle=unique_handle(name, _handle_taken),
        password_hash=hash_password(password),
        role_rows=[UserRole(role=role) for role in sorted(set(roles))],
    )
    try:
        with db.session.begin_nested():
            db.session.add(user)
    except IntegrityError:  # the same address, signed up a moment ago in another request
        raise EmailTaken(f"There is already an account for {email}.") from None
    return user


def authenticate(email: str, password: str, *, now: datetime) -> User | None:
    """The user when the password matches; unknown e-mail and wrong password look alike."""
    user = find_user(email)
    if user is None:
        verify_against_nothing(password)
        return None
    if not verify_password(user.password_hash, password):
        return None
    user.last_login_at = now
    return user


def set_password(user: User, password: str, *, now: datetime) -> None:
    """New password; every session and outstanding reset link stops working."""
    user.password_hash = hash_password(password)
    sessions.end_all_sessions(user, now=now)


def deactivate(user: User, *, now: datetime) -> None:
    """No more sign-ins, and every signed-in browser is signed out."""
    user.deactivated_at = now
    sessions.end_all_sessions(user, now=now)


def reactivate(user: User) -> None:
    user.deactivated_at = None


# Password resets: a signed token bound to the current password hash, so it
# stops working once used (the hash changes) and after max_age seconds.


def _reset_serializer(secret_key: str) -> URLSafeSerializer:
    return URLSafeSerializer(
        secret_key, salt="password-reset", signer_kwargs={"digest_method": hashlib.sha256}
    )


def _fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:20]


def make_reset_token(user: User, *, secret_key: str, now: datetime) -> str:
    payload = {"user": user.id, "fingerprint": _fingerprint(user), "issued": int(now.timestamp())}
    return _reset_serializer(secret_key).dumps(payload)


def user_for_reset_token(token: str, *, secret_key: str, max_age: int, now: datetime) -> User:
    try:
        payload = _reset_serializer(secret_key).loads(token)
    except BadSignature:
        raise LinkInvalid("This reset link is not valid. Ask for a new one.") from None
    user = db.session.get(User, payload.get("user"))
    if user is None or payload.get("fingerprint") != _fingerprint(user):
        raise LinkInvalid(
            "This reset link has already been used. Ask for a new one if you need it."
        )
    if now.timestamp() - payload.get("issued", 0) > max_age:
        raise LinkInvalid("This reset link has expired. Ask for a new one below.")
    return user


# Invitations (and self sign-up, which is an invitation the person sends themself).


@dataclass(frozen=True)
class IssuedInvite:
    invite: Invite
    token: str


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_invite(
    email: str, roles: set[Role], *, invited_by: User | None, now: datetime, max_age_days: int
) -> IssuedInvite:
    email = normalize_email(email)
    if find_user(email):
        raise EmailTaken(f"There is already an account for {email}.")
    token = secrets.token_urlsafe(32)
    invite = Invite(
        email=email,
        roles=sorted(role.value for role in roles),
        token_hash=_token_hash(token),
        invited_by=invited_by,
        created_at=now,
        expires_at=now + timedelta(days=max_age_days),
    )
    db.session.add(invite)
    db.session.flush()
    return IssuedInvite(invite, token)


def open_invite(token: str, *, now: datetime) -> Invite:
    invite = db.session.scalar(select(Invite).where(Invite.token_hash == _token_hash(token)))
    if invite is None:
        raise LinkInvalid("This invitation link is not valid.")
    if invite.accepted_at is not None:
        raise LinkInvalid("This invitation has already been used. Sign in instead.")
    if invite.expires_at < now:
        raise LinkInvalid(
            "This invitation has expired. Ask your program coordinator for a new one."
        )
    return invite


def accept_invite(invite: Invite, *, name: str, password: str, now: datetime) -> User:
    """The account the invitation was for; the invitation is claimed first, in one
    statement, so of two tabs accepting at once the second is told it was used."""
    claimed = db.session.execute(
        update(Invite)
        .where(Invite.id == invite.id, Invite.accepted_at.is_(None))
        .values(accepted_at=now)
        .execution_options(synchronize_session="fetch")
    ).rowcount
    if not claimed:
        raise LinkInvalid("This invitation has already been used. Sign in instead.")
    return create_user(invite.email, name, password, {Role(value) for value in invite.roles})


def may_sign_up(email: str, allowed_domains: tuple[str, ...]) -> bool:
    domain = normalize_email(email).rpartition("@")[2]
    return bool(domain) and domain in allowed_domains


def count_users() -> int:
    return db.session.scalar(select(func.count(User.id))) or 0
