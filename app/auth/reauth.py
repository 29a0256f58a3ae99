"""Asking for the password again before an action that changes who can use the account
(ending other devices' sessions, making an API token). A confirmation lasts
CONFIRMED_FOR in this browser's session; signing in counts as one.

A view calls `confirm_password_first()`: None means go ahead; otherwise it returns the
page to show, which posts the same form again to the same URL with the password added,
so the action is done in one more step and nothing typed is lost.
"""

from datetime import timedelta

from flask import current_app, render_template, request, session
from flask_login import current_user
from limits import parse

from app import security_log
from app.auth.forms import ConfirmPasswordForm
from app.auth.passwords import verify_password
from app.clock import utcnow
from app.extensions import limiter

CONFIRMED_FOR = timedelta(minutes=15)
_KEY = "_password_confirmed_at"
CARRIED_OVER_EXCEPT = frozenset({"csrf_token", "confirm_password"})


def mark_confirmed() -> None:
    session[_KEY] = utcnow().timestamp()


def confirmed_recently() -> bool:
    at = session.get(_KEY)
    return isinstance(at, float) and 0 <= utcnow().timestamp() - at < CONFIRMED_FOR.total_seconds()


def wrong_password_limit():
    return parse(current_app.config["LOGIN_LIMIT_PER_ACCOUNT"])


def too_many_wrong_passwords() -> bool:
    """Wrong passwords typed by a signed-in user (here and on the change-password form)
    count against the same budget as sign-in: no guessing from a stolen session."""
    return not limiter.limiter.test(wrong_password_limit(), "wrong-password", current_user.id)


def note_wrong_password() -> None:
    limiter.limiter.hit(wrong_password_limit(), "wrong-password", current_user.id)
    security_log.event("password_confirmation_failed")


def confirm_password_first(purpose: str) -> tuple[str, int] | None:
    """None when the user confirmed their password a short while ago (or does now)."""
    if confirmed_recently():
        return None
    form = ConfirmPasswordForm()
    status = 200
    if "confirm_password" in request.form:
        if too_many_wrong_passwords():
            form.confirm_password.errors = ["Too many wrong passwords. Try again later."]
            status = 429
        elif form.validate() and verify_password(
            current_user.password_hash, form.confirm_password.data
        ):
            mark_confirmed()
            return None
        else:
            note_wrong_password()
            form.confirm_password.errors = ["That is not your password."]
            status = 422
    carried = [
        (name, value)
        for name, value in request.form.items(multi=True)
        if name not in CARRIED_OVER_EXCEPT
    ]
    page = render_template(
        "auth/confirm.html", form=form, purpose=purpose, action=request.path, carried=carried
    )
    return page, status
