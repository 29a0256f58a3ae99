"""Pages of two-step sign-in (app.auth.mfa): the second step of signing in, and setting
it up, renewing recovery codes and turning it off under My progress."""

from flask import (
    Blueprint,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required
from werkzeug.wrappers import Response

from app import security_log
from app.auth import mfa, reauth
from app.auth.forms import CodeForm
from app.auth.models import User
from app.clock import utcnow
from app.extensions import HEALTH_CHECKS, db, limiter
from app.mail import send_mail
from app.urls import external_url

bp = Blueprint("mfa", __name__, url_prefix="/auth/mfa")

SECOND_STEP_SECONDS = 5 * 60
_PENDING, _SETUP = "_mfa_pending", "_mfa_setup_secret"
# Where someone who must set up two-step sign-in may still go before they have.
ALLOWED_BEFORE_SETUP = HEALTH_CHECKS | {"mfa.settings", "mfa.setup", "auth.logout", "static"}


def start_second_step(user: User, *, remember: bool, destination: str) -> None:
    """Remember, in this browser only, whose password was right; nobody is signed in."""
    session.clear()
    session[_PENDING] = {
        "user": user.id,
        "remember": bool(remember),
        "next": destination,
        "at": utcnow().timestamp(),
    }


def _pending_user() -> tuple[User | None, dict]:
    pending = session.get(_PENDING)
    if not isinstance(pending, dict):
        return None, {}
    if utcnow().timestamp() - pending.get("at", 0) > SECOND_STEP_SECONDS:
        session.pop(_PENDING, None)
        return None, {}
    user = db.session.get(User, pending.get("user"))
    return (user if user is not None and user.is_active and user.has_mfa else None), pending


@bp.route("/code", methods=["GET", "POST"])
def second_step() -> Response | tuple[str, int]:
    from app.auth.routes import sign_in_browser

    user, pending = _pending_user()
    if user is None:
        flash("Sign in again: the second step waits 5 minutes at most.")
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return render_template("auth/mfa_code.html", form=form), status
    if not limiter.limiter.test(reauth.wrong_password_limit(), "mfa-code", user.id):
        form.code.errors.append("Too many wrong codes. Wait 15 minutes and sign in again.")
        return render_template("auth/mfa_code.html", form=form), 429
    used = mfa.verify(user, form.code.data, now=utcnow())
    if used is None:
        limiter.limiter.hit(reauth.wrong_password_limit(), "mfa-code", user.id)
        db.session.rollback()
        security_log.event("mfa_failed", account=user.id)
        form.code.errors.append("That code did not work. Codes change every 30 seconds.")
        return render_template("auth/mfa_code.html", form=form), 422
    sign_in_browser(user, remember=pending["remember"])  # clears the pending step too
    if used == "recovery":
        left = mfa.recovery_codes_left(user)
        security_log.event("mfa_recovery_code_used", left=left)
        flash(f"You signed in with a recovery code; {left} left. Make new ones under My progress.")
    return redirect(pending["next"])


@bp.get("/")
@login_required
def settings() -> str:
    return render_template(
        "auth/mfa_settings.html",
        codes_left=mfa.recovery_codes_left(current_user) if current_user.has_mfa else 0,
        required=mfa.required_for(current_user, current_app.config["MFA_REQUIRED_ROLES"]),
    )


@bp.route("/setup", methods=["GET", "POST"])
@login_required
def setup() -> Response | tuple[str, int] | str:
    if current_user.has_mfa:
        return redirect(url_for("mfa.settings"))
    if page := reauth.confirm_password_first("set up two-step sign-in"):
        return page
    secret = session.get(_SETUP) or mfa.new_secret()
    session[_SETUP] = secret
    form = CodeForm()
    status = 200
    if "code" in request.form:
        codes = form.validate() and mfa.enable(current_user, secret, form.code.data, now=utcnow())
        if codes:
            session.pop(_SETUP, None)
            _tell_owner(current_user, "turned on")
            db.session.commit()
            security_log.event("mfa_enabled")
            return _show_codes(codes, first_time=True)
        db.session.rollback()
        form.code.errors = ["That code did not work. Type the 6 digits the app shows now."]
        status = 422
    uri = mfa.setup_uri(secret, current_user.email)
    page = render_template(
        "auth/mfa_setup.html",
        form=form,
        qr=mfa.qr_data_uri(uri),
        secret=mfa.grouped(secret),
    )
    return page, status


@bp.post("/recovery-codes")
@login_required
def renew_recovery_codes() -> Response | tuple[str, int]:
    if not current_user.has_mfa:
        return redirect(url_for("mfa.settings"))
    if page := reauth.confirm_password_first("make new recovery codes"):
        return page
    codes = mfa.new_recovery_codes(current_user)
    db.session.commit()
    security_log.event("mfa_recovery_codes_renewed")
    return _show_codes(codes, first_time=False)


@bp.post("/disable")
@login_required
def disable() -> Response | tuple[str, int]:
    if mfa.required_for(current_user, current_app.config["MFA_REQUIRED_ROLES"]):
        flash("Your role needs two-step sign-in, so it stays on. Ask an admin if you lost it.")
        return redirect(url_for("mfa.settings"))
    if page := reauth.confirm_password_first("turn off two-step sign-in"):
        return page
    mfa.disable(current_user)
    _tell_owner(current_user, "turned off")
    db.session.commit()
    security_log.event("mfa_disabled")
    flash("Two-step sign-in is off. Your password alone now signs you in.")
    return redirect(url_for("mfa.settings"))


def _show_codes(codes: list[str], *, first_time: bool) -> Response:
    response = make_response(
        render_template("auth/mfa_codes.html", codes=codes, first_time=first_time)
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _tell_owner(user: User, change: str) -> None:
    send_mail(
        user.email,
        f"Two-step sign-in was {change} for your Preceptor account",
        render_template(
            "auth/email/mfa_changed.txt",
            user=user,
            change=change,
            reset_link=external_url("auth.forgot_password"),
        ),
    )


def register_setup_gate(app) -> None:
    @app.before_request
    def ask_for_two_step_setup() -> Response | None:
        """Where the deployment requires it for a role, a signed-in person of that role
        sets up two-step sign-in before anything else (the API's tokens are not asked)."""
        required = app.config["MFA_REQUIRED_ROLES"]
        if not required or request.endpoint in ALLOWED_BEFORE_SETUP:
            return None
        if request.blueprint == "api" or not current_user.is_authenticated:
            return None
        if current_user.has_mfa or not mfa.required_for(current_user, required):
            return None
        flash("Your role needs two-step sign-in. Set it up to go on.")
        return redirect(url_for("mfa.settings"))
