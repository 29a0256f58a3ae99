"""Who may see what: every view declares its roles here and the server checks them."""

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlsplit

from flask_login import current_user, login_required

from app.auth.models import Role
from app.errors import Forbidden


def role_required(*roles: Role) -> Callable:
    def decorator(view: Callable) -> Callable:
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.has_role(*roles):
                raise Forbidden("Your account does not have the role this page needs.")
            return view(*args, **kwargs)

        return wrapped

    return decorator


def safe_next(target: str | None, fallback: str) -> str:
    """Only a path on this site; anything that could leave it becomes the fallback."""
    if not target or "\\" in target or any(ord(ch) < 32 for ch in target):
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    return target
