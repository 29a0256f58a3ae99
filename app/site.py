"""Site-wide routes (home, health checks, the user's own page) and response headers."""

from functools import lru_cache
from itertools import chain

from flask import Blueprint, Flask, abort, g, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from werkzeug.wrappers import Response

from app import permissions
from app.auth import sessions
from app.auth.models import Role, User
from app.certification import service as certification
from app.clock import utcnow
from app.courses import service as courses
from app.extensions import HEALTH_CHECKS, db, login_manager
from app.practice import service as practice

bp = Blueprint("site", __name__)

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)

SECURITY_HEADERS = tuple(
    (name.lower(), name, value)
    for name, value in (
        ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "same-origin"),
        ("X-Frame-Options", "DENY"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
    )
)
HSTS_SECONDS = 365 * 24 * 60 * 60
HSTS = f"max-age={HSTS_SECONDS}; includeSubDomains"


@login_manager.user_loader
def load_user(cookie_id: str) -> User | None:
    """The user of the live session the login cookie names (see app.auth.sessions)."""
    row = sessions.session_from_cookie(cookie_id, now=utcnow())
    if row is None:
        return None
    user = row.user
    user.signed_in_session, user.cookie_id = row, cookie_id
    return user


@bp.app_context_processor
def permissions_for_templates() -> dict:
    """The rules of app.permissions, for the signed-in user, as templates ask them."""
    return {
        "is_staff": lambda: permissions.is_staff(current_user),
        "can_author": lambda: permissions.can_author(current_user),
        "can_moderate": lambda: permissions.can_moderate(current_user),
        "can_observe": lambda: permissions.can_observe(current_user),
        "can_manage_categories": lambda: permissions.can_manage_categories(current_user),
    }


@bp.app_template_global()
def link_to(endpoint: str) -> str:
    """url_for(endpoint) for a page that takes no arguments, such as the layout's menu
    on every page: the same text each time, so built once per mount point."""
    return _link(endpoint, request.script_root)


@lru_cache(maxsize=64)
def _link(endpoint: str, script_root: str) -> str:
    return url_for(endpoint)


NOT_SEEN = HEALTH_CHECKS | {"static"}


@bp.before_app_request
def note_last_seen() -> None:
    """Keep "last seen" of the signed-in session current (a few minutes at most stale),
    in its own commit before the view runs, so no page has to write it."""
    if request.endpoint in NOT_SEEN or not current_user.is_authenticated:
        return
    g.signed_in = True
    now = utcnow()
    if sessions.needs_touch(current_user.signed_in_session, now=now):
        sessions.touch(current_user.signed_in_session, now=now)
        db.session.commit()


login_manager.login_view = "auth.login"
login_manager.login_message = "Please sign in to see that page."
login_manager.session_protection = "basic"


@bp.get("/")
def home() -> str:
    return render_template("site/home.html", recent=certification.recently_certified(now=utcnow()))


@bp.get("/healthz")
def healthz() -> tuple[str, int, dict]:
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8"}


@bp.get("/readyz")
def readyz() -> tuple[str, int, dict]:
    """200 when the database answers; 503 (for the load balancer) when it does not."""
    try:
        db.session.execute(text("SELECT 1"))
    except OperationalError:
        db.session.remove()
        return "database unavailable", 503, {"Content-Type": "text/plain; charset=utf-8"}
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8"}


@bp.get("/me/")
@login_required
def me() -> str:
    return render_template(
        "site/me.html",
        progress=courses.catalog(current_user),
        practice=practice.mentor_practice(current_user)
        if current_user.has_role(Role.MENTOR)
        else [],
        certificates=certification.certificates_of(current_user),
        now=utcnow(),
        status_of=certification.status_of,
        signed_in=sessions.live_sessions(current_user, now=utcnow()),
    )


def register_input_guard(app: Flask) -> None:
    @app.before_request
    def refuse_nul_bytes() -> None:
        """PostgreSQL refuses NUL in text; no real input has one, so answer 400 up front.
        The API handles it where it reads (a code with NUL is simply not found)."""
        if request.endpoint in HEALTH_CHECKS or request.path.startswith("/api/"):
            return
        values = [request.path]
        if request.query_string:  # most pages have none: no need to parse them
            values += chain.from_iterable(request.args.listvalues())
        if request.method == "POST":  # every value of every field, multipart forms included
            values += chain.from_iterable(request.form.listvalues())
            values += (upload.filename or "" for upload in request.files.values())
        if any("\x00" in value for value in values):
            abort(400, "The request held a character that is not allowed.")


def register_security_headers(app: Flask) -> None:
    @app.after_request
    def add_headers(response: Response) -> Response:
        # One pass over the response's headers: a view's own value of any of them stays.
        headers = response.headers
        present = {name.lower() for name, _ in headers}
        for lowered, name, value in SECURITY_HEADERS:
            if lowered not in present:
                headers.add(name, value)
        if g.get("signed_in") and "cache-control" not in present:
            # A signed-in page (progress, mentees, the forum) is kept by no cache or proxy.
            headers.add("Cache-Control", "no-store")
        if (
            request.is_secure
            and not app.config["IS_DEVELOPMENT"]
            and "strict-transport-security" not in present
        ):
            headers.add("Strict-Transport-Security", HSTS)
        return response
