"""The API tokens page: coordinators and admins make, see and revoke their own tokens."""

from flask import Blueprint, flash, make_response, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf.csrf import CSRFError
from werkzeug.wrappers import Response

from app.api import tokens
from app.api.forms import CreateTokenForm
from app.auth import reauth
from app.auth.access import role_required
from app.clock import utcnow
from app.errors import TITLES, PreceptorError
from app.extensions import db
from app.permissions import STAFF

bp = Blueprint("api_tokens", __name__, url_prefix="/api/tokens")


def _error_page(status: int, message: str) -> tuple[str, int]:
    title = TITLES.get(status, "Something went wrong")
    return render_template("errors/error.html", status=status, title=title, message=message), status


# app/errors.py answers every /api/ path in JSON; this page is for people, so it answers
# its own errors as pages.
@bp.errorhandler(PreceptorError)
def domain_error(error: PreceptorError) -> tuple[str, int]:
    db.session.rollback()
    return _error_page(error.status, str(error))


@bp.errorhandler(CSRFError)
def csrf_error(_error: CSRFError) -> tuple[str, int]:
    return _error_page(
        400,
        "This form had expired or did not come from this site, so nothing was saved. "
        "Go back, reload the page and try again.",
    )


def _list_page(form: CreateTokenForm, status: int = 200) -> tuple[str, int]:
    page = render_template(
        "api/tokens.html",
        form=form,
        tokens=tokens.tokens_of(current_user),
    )
    return page, status


@bp.get("")
@role_required(*STAFF)
def list_tokens() -> tuple[str, int]:
    return _list_page(CreateTokenForm())


@bp.post("")
@role_required(*STAFF)
def create_token() -> tuple[str, int] | Response:
    form = CreateTokenForm()
    if not form.validate_on_submit():
        return _list_page(form, 422)
    if page := reauth.confirm_password_first("make an API token"):
        return page  # the label is carried over to the confirmation
    token, plaintext = tokens.create_token(current_user, form.label.data, now=utcnow())
    db.session.commit()
    # Shown on this response only: not in a redirect, a flash or the session cookie.
    response = make_response(
        render_template("api/token_created.html", token=token, plaintext=plaintext)
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/<int:token_id>/revoke")
@role_required(*STAFF)
def revoke_token(token_id: int) -> Response:
    # CSRFProtect has already checked the form's token.
    token = tokens.get_own_token(current_user, token_id)
    tokens.revoke_token(token, now=utcnow())
    db.session.commit()
    flash(f"The token “{token.label}” ({token.prefix}…) is revoked; it no longer works.")
    return redirect(url_for("api_tokens.list_tokens"))
