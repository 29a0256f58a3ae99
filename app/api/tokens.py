"""API tokens: made once, stored as a hash, sent as `Authorization: Bearer <token>`.
A token acts with its owner's roles."""

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select

from app.api.params import MAX_ID
from app.auth.models import User
from app.errors import NotFound, PreceptorError
from app.extensions import db
from app.matching.models import ApiToken

# Recognisable in logs and by secret scanners; never part of what makes a token unguessable.
TOKEN_PREFIX = "pre_"  # noqa: S105 (a public marker, not a secret)
SHOWN_PREFIX_LENGTH = 8
LABEL_MAX_LENGTH = 120
# Recording every use would write on every API request; a minute is precise enough to
# tell a token in use from one that is not.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class TokenError(PreceptorError):
    status, code = 422, "invalid_token_request"


def hash_token(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def create_token(user: User, label: str, *, now: datetime) -> tuple[ApiToken, str]:
    """A new token for the user; the plaintext is returned here and never stored."""
    label = label.strip()
    if not label:
        raise TokenError("Give the token a label, e.g. the system that will use it.")
    if len(label) > LABEL_MAX_LENGTH:
        raise TokenError(f"The label can be at most {LABEL_MAX_LENGTH} characters.")
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        label=label,
        token_hash=hash_token(plaintext),
        prefix=plaintext[:SHOWN_PREFIX_LENGTH],
        created_at=now,
    )
    db.session.add(token)
    db.session.flush()
    return token, plaintext


def bearer_value(header_value: str | None) -> str | None:
    """The token in an `Authorization: Bearer <token>` header, if it holds one."""
    scheme, _, value = (header_value or "").strip().partition(" ")
    value = value.strip()
    if scheme.lower() != "bearer" or not value.startswith(TOKEN_PREFIX):
        return None
    return value


def find_active_token(plaintext: str | None) -> ApiToken | None:
    """The unrevoked token, if its owner's account is active (a deactivated account's
    tokens stop working with its sessions)."""
    if not plaintext:
        return None
    token = db.session.scalar(
        select(ApiToken).where(
            ApiToken.token_hash == hash_token(plaintext), ApiToken.revoked_at.is_(None)
        )
    )
    return token if token is not None and token.user.is_active else None


def record_use(token: ApiToken, *, now: datetime) -> bool:
    """Note the use, unless one was noted within the minute; True when it wrote."""
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_RESOLUTION:
        return False
    token.last_used_at = now
    return True


def authenticate(header_value: str | None, *, now: datetime) -> User | None:
    """The owner of the unrevoked token in an Authorization header, or None."""
    token = find_active_token(bearer_value(header_value))
    if token is None:
        return None
    record_use(token, now=now)
    return token.user


def revoke_token(token: ApiToken, *, now: datetime) -> None:
    """Revoked tokens stop working at once; revoking twice keeps the first date."""
    if token.revoked_at is None:
        token.revoked_at = now


def tokens_of(user: User) -> list[ApiToken]:
    """Newest first, revoked ones included, so the owner sees the whole history."""
    return list(
        db.session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == user.id)
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def get_own_token(user: User, token_id: int) -> ApiToken:
    token = db.session.get(ApiToken, token_id) if 1 <= token_id <= MAX_ID else None
    if token is None or token.user_id != user.id:
        raise NotFound("You have no API token with this id.")
    return token
