"""Who is calling the API: the owner of the bearer token, looked up once per request."""

from collections.abc import Callable
from functools import wraps

from flask import g, request
from flask_limiter.util import get_remote_address

from app.api import tokens
from app.auth.models import Role, User
from app.clock import utcnow
from app.errors import Forbidden, PreceptorError
from app.extensions import db
from app.permissions import can_read_mentor

# Only these roles read mentor data (the contract in DESIGN.md); a token acts with its
# owner's roles.


class Unauthorized(PreceptorError):
    status, code = 401, "unauthorized"


def api_user() -> User | None:
    """The token owner, or None; the rate limiter asks before the view does, so cache it."""
    if "api_user" not in g:
        token = tokens.find_active_token(tokens.bearer_value(request.headers.get("Authorization")))
        if token is not None and tokens.record_use(token, now=utcnow()):
            db.session.commit()  # at most once a minute per token
        g.api_user = token.user if token is not None else None
    return g.api_user


def rate_limit_key() -> str:
    """One budget per valid token, else per address (so made-up tokens share the address's)."""
    if api_user() is not None:
        plaintext = tokens.bearer_value(request.headers.get("Authorization")) or ""
        return "api-token:" + tokens.hash_token(plaintext)
    return "api-address:" + get_remote_address()


def require_user(*roles: Role) -> User:
    user = api_user()
    if user is None:
        if request.headers.get("Authorization"):
            raise Unauthorized("The API token is not valid, or it has been revoked.")
        raise Unauthorized("This endpoint needs an API token: send Authorization: Bearer <token>.")
    if roles and not user.has_role(*roles):
        raise Forbidden("Only coordinator and admin tokens can use this endpoint.")
    return user


def token_required(*roles: Role) -> Callable:
    """A valid token, whose owner holds one of the roles (any role when none are given)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            require_user(*roles)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def require_mentor_reader(mentor_id: int) -> User:
    """Coordinators and admins read every mentor; anyone else only their own record."""
    user = require_user()
    if not can_read_mentor(user, mentor_id):
        raise Forbidden("This token can read only its owner's own mentor record.")
    return user
