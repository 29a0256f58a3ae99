from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user
from limits import parse
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from app import security_log
from app.auth import mfa_routes, reauth, service, sessions
from app.auth.access import role_required, safe_next
from app.auth.forms import (
    AcceptInviteForm,
    ChangePasswordForm,
    ForgotPasswordForm,
    InviteForm,
    LoginForm,
    ResetPasswordForm,
    SignupForm,
)
from app.auth.models import Role, User
from app.auth.passwords import verify_password
from app.clock import utcnow
from app.errors import NotFound
from app.extensions import db, limiter
from app.mail import send_mail
from app.permissions import STAFF, roles_grantable_by
from app.urls import external_url

bp = Blueprint("auth", __name__, url_prefix="/auth")


def _account_key() -> str:
    return "account:" + service.normalize_email(request.form.get("email", ""))


def _limit(setting: str):
    return lambda: current_app.config[setting]


ONE_NOTICE = parse("1 per 15 minutes")


def _tell_owner_sign_in_is_paused(_limit) -> None:
    """The per-account limit pauses sign-in for everyone, the owner included: tell the
    owner (once per window), with the way back in, so a stranger's guessing is noticed."""
    user = service.find_user(request.form.get("email", ""))
    security_log.event("sign_in_paused", account=user.id if user else None)
    if user is None or not limiter.limiter.hit(ONE_NOTICE, "paused-notice", user.id):
        return
    send_mail(
        user.email,
        "Sign-in to your Preceptor account is paused",
        render_template(
            "auth/email/sign_in_paused.txt",
            user=user,
            reset_link=external_url("auth.forgot_password"),
        ),
    )
    db.session.commit()


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_limit("LOGIN_LIMIT_PER_ADDRESS"), methods=["POST"])
@limiter.limit(
    _limit("LOGIN_LIMIT_PER_ACCOUNT"),
    methods=["POST"],
    key_func=_account_key,
    on_breach=_tell_owner_sign_in_is_paused,
)
def login() -> Response | str | tuple[str, int]:
    form = LoginForm()
    destination = safe_next(request.args.get("next"), url_for("courses.catalog"))
    if not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return render_template("auth/login.html", form=form), status
    user = service.authenticate(form.email.data, form.password.data, now=utcnow())
    if user is None:
        account = service.find_user(form.email.data)
        security_log.event("sign_in_failed", account=account.id if account else None)
        form.password.errors.append("That e-mail and password do not match an account.")
        return render_template("auth/login.html", form=form), 422
    if not user.is_active:
        security_log.event("sign_in_refused_deactivated", account=user.id)
        form.email.errors.append(
            "This account is deactivated. Ask your program coordinator to reactivate it."
        )
        return render_template("auth/login.html", form=form), 403
    if user.has_mfa:  # the password was right; the session opens after the code
        mfa_routes.start_second_step(user, remember=form.remember.data, destination=destination)
        return redirect(url_for("mfa.second_step"))
    sign_in_browser(user, remember=form.remember.data)
    return redirect(destination)


def sign_in_browser(user: User, *, remember: bool = False) -> None:
    """A fresh session (nothing from before carries over) with its own server-side row."""
    session.clear()
    user.cookie_id = sessions.open_session(
        user, device=request.headers.get("User-Agent", ""), remember=remember, now=utcnow()
    )
    db.session.commit()
    login_user(user, remember=remember)
    reauth.mark_confirmed()
    security_log.event("signed_in", remember=remember)


def _sign_out() -> None:
    """End this browser's session on the server too, so neither its session cookie nor
    its remember cookie (nor a copy of either) signs anyone in again."""
    if current_user.is_authenticated and current_user.signed_in_session is not None:
        sessions.end_session(current_user.signed_in_session, now=utcnow())
        db.session.commit()
        security_log.event("signed_out")
    session.clear()
    logout_user()  # after clear(): it marks the remember cookie for deletion in the session


@bp.post("/logout")
def logout() -> Response:
    _sign_out()
    flash("You are signed out.")
    return redirect(url_for("auth.login"))


@bp.post("/sessions/<int:session_id>/end")
@login_required
def end_session(session_id: int) -> Response:
    row = sessions.get_own_session(current_user, session_id)
    if row is None:
        raise NotFound("No such session.")
    if row.id == current_user.signed_in_session.id:
        return logout()
    if page := reauth.confirm_password_first(f"sign out {row.device}"):
        return page
    sessions.end_session(row, now=utcnow())
    db.session.commit()
    security_log.event("session_ended", session=row.id)
    flash(f"{row.device} is signed out.")
    return redirect(url_for("site.me", _anchor="sessions"))


@bp.post("/sessions/end-others")
@login_required
def end_other_sessions() -> Response | tuple[str, int]:
    if page := reauth.confirm_password_first("sign out every other device"):
        return page
    ended = sessions.end_all_sessions(
        current_user, now=utcnow(), keep=current_user.signed_in_session
    )
    db.session.commit()
    security_log.event("other_sessions_ended", count=ended)
    flash("Every other device is signed out." if ended else "No other device was signed in.")
    return redirect(url_for("site.me", _anchor="sessions"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def change_password() -> Response | tuple[str, int]:
    """The current password and a new one. Every other device is signed out; this one
    stays signed in on a fresh session."""
    form = ChangePasswordForm()
    form.email_for_check = current_user.email
    if not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return render_template("auth/change_password.html", form=form), status
    if reauth.too_many_wrong_passwords():
        form.current_password.errors.append("Too many wrong passwords. Try again later.")
        return render_template("auth/change_password.html", form=form), 429
    if not verify_password(current_user.password_hash, form.current_password.data):
        reauth.note_wrong_password()
        form.current_password.errors.append("That is not your current password.")
        return render_template("auth/change_password.html", form=form), 422
    user, remember = current_user._get_current_object(), current_user.signed_in_session.remember
    service.set_password(user, form.password.data, now=utcnow())
    send_mail(
        user.email,
        "Your Preceptor password was changed",
        render_template(
            "auth/email/password_changed.txt",
            user=user,
            reset_link=external_url("auth.forgot_password"),
        ),
    )
    security_log.event("password_changed", account=user.id)
    sign_in_browser(user, remember=remember)
    flash("Your password is changed. Every other device is signed out.")
    return redirect(url_for("site.me", _anchor="sessions"))


@bp.route("/forgot", methods=["GET", "POST"])
@limiter.limit(_limit("LOGIN_LIMIT_PER_ADDRESS"), methods=["POST"])
def forgot_password() -> Response | str:
    form = ForgotPasswordForm()
    if not form.validate_on_submit():
        return render_template("auth/forgot.html", form=form)
    # The same work and the same answer either way (one message queued, sent after the
    # response), so neither the page nor its timing tells who has an account.
    user = service.find_user(form.email.data)
    if user is not None:
        token = service.make_reset_token(user, secret_key=current_app.secret_key, now=utcnow())
        link = external_url("auth.reset_password", token=token)
        minutes = current_app.config["RESET_LINK_MAX_AGE_SECONDS"] // 60
        body = render_template("auth/email/reset.txt", user=user, link=link, minutes=minutes)
    else:
        body = render_template(
            "auth/email/no_account.txt", email=form.email.data, link=external_url("auth.login")
        )
    send_mail(user.email if user else form.email.data, "Reset your Preceptor password", body)
    db.session.commit()
    return render_template("auth/forgot_sent.html", email=form.email.data)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str) -> Response | str:
    user = service.user_for_reset_token(
        token,
        secret_key=current_app.secret_key,
        max_age=current_app.config["RESET_LINK_MAX_AGE_SECONDS"],
        now=utcnow(),
    )
    form = ResetPasswordForm()
    form.email_for_check = user.email
    if not form.validate_on_submit():
        return render_template("auth/reset.html", form=form)
    service.set_password(user, form.password.data, now=utcnow())
    db.session.commit()
    security_log.event("password_reset", account=user.id)
    session.clear()
    logout_user()
    flash("Your password is changed and every device is signed out. Sign in with the new one.")
    return redirect(url_for("auth.login"))


@bp.route("/invite", methods=["GET", "POST"])
@role_required(*STAFF)
def invite() -> Response | str:
    form = InviteForm()
    grantable = roles_grantable_by(current_user)
    form.roles.choices = [SelectChoice(role.value, role.value.capitalize()) for role in grantable]
    if request.method == "GET":
        form.roles.data = [Role.MENTOR.value]
    if not form.validate_on_submit():
        return render_template("auth/invite.html", form=form)
    try:
        issued = service.create_invite(
            form.email.data,
            {Role(value) for value in form.roles.data},
            invited_by=current_user,
            now=utcnow(),
            max_age_days=current_app.config["INVITE_MAX_AGE_DAYS"],
        )
    except service.EmailTaken as error:
        form.email.errors.append(str(error))
        return render_template("auth/invite.html", form=form)
    _send_invite(issued, inviter=current_user.name)
    db.session.commit()
    flash(f"Invitation sent to {issued.invite.email}.")
    return redirect(url_for("auth.invite"))


def _send_invite(issued: service.IssuedInvite, inviter: str | None) -> None:
    link = external_url("auth.accept_invite", token=issued.token)
    send_mail(
        issued.invite.email,
        "Your invitation to Preceptor" if inviter else "Finish signing up for Preceptor",
        render_template(
            "auth/email/invite.txt",
            invite=issued.invite,
            link=link,
            inviter=inviter,
            days=current_app.config["INVITE_MAX_AGE_DAYS"],
        ),
    )


@bp.route("/accept/<token>", methods=["GET", "POST"])
def accept_invite(token: str) -> Response | str:
    invite = service.open_invite(token, now=utcnow())
    form = AcceptInviteForm()
    form.email_for_check = invite.email
    if not form.validate_on_submit():
        return render_template("auth/accept.html", form=form, invite=invite)
    user = service.accept_invite(
        invite, name=form.name.data, password=form.password.data, now=utcnow()
    )
    sign_in_browser(user)
    flash(f"Welcome to Preceptor, {user.name}.")
    return redirect(url_for("courses.catalog"))


@bp.route("/signup", methods=["GET", "POST"])
@limiter.limit(_limit("LOGIN_LIMIT_PER_ADDRESS"), methods=["POST"])
def signup() -> Response | str | tuple[str, int]:
    domains = current_app.config["SIGNUP_EMAIL_DOMAINS"]
    if not domains:
        return render_template("auth/signup_closed.html"), 404
    form = SignupForm()
    if form.validate_on_submit():
        if not service.may_sign_up(form.email.data, domains):
            form.email.errors.append(
                "Sign-up is open to addresses at " + ", ".join(f"@{d}" for d in domains) + "."
            )
        elif service.find_user(form.email.data) is None:
            issued = service.create_invite(
                form.email.data,
                {Role.MENTOR},
                invited_by=None,
                now=utcnow(),
                max_age_days=current_app.config["INVITE_MAX_AGE_DAYS"],
            )
            _send_invite(issued, inviter=None)
            db.session.commit()
            return render_template("auth/signup_sent.html", email=issued.invite.email)
        else:
            return render_template("auth/signup_sent.html", email=form.email.data)
    return render_template("auth/signup.html", form=form, domains=domains)
