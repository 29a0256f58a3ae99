"""Domain errors and the handlers that turn any error into a page or JSON."""

from flask import Flask, render_template, request, url_for
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from app import security_log
from app.extensions import db


class PreceptorError(Exception):
    status = 400
    code = "bad_request"


class NotFound(PreceptorError):
    status, code = 404, "not_found"


class Forbidden(PreceptorError):
    status, code = 403, "forbidden"


def _wants_json() -> bool:
    return request.blueprint == "api" or request.path.startswith("/api/")


TITLES = {
    400: "Something in the request was not right",
    403: "You do not have access to this page",
    404: "Page not found",
    405: "That action is not allowed here",
    413: "That upload is too large",
    429: "Too many attempts",
    500: "Something went wrong on our side",
    503: "Preceptor is briefly unavailable",
}
RETRY_AFTER_SECONDS = 30


def _page(status: int, message: str, code: str):
    if _wants_json():
        return {"error": code, "message": message}, status
    title = TITLES.get(status, "Something went wrong")
    return render_template("errors/error.html", status=status, title=title, message=message), status


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(PreceptorError)
    def domain_error(error: PreceptorError):
        db.session.rollback()
        if error.status in (401, 403):
            security_log.event("access_denied", code=error.code)
        return _page(error.status, str(error), error.code)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        security_log.event("csrf_failed", reason=error.description)
        message = (
            "This form had expired or did not come from this site, so nothing was saved. "
            "Go back, reload the page and try again."
        )
        return _page(400, message, "csrf_failed")

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        status = error.code or 500
        message = error.description or ""
        if status in (401, 403):
            security_log.event("access_denied", status=status)
        if status == 429:
            security_log.event("rate_limited", limit=str(getattr(error, "limit", "") or ""))
            message = (
                "You have tried this too many times in a short while. "
                "Please wait a few minutes and try again."
            )
        code = (error.name or "error").lower().replace(" ", "_")
        return _page(status, message, code)

    @app.errorhandler(OperationalError)
    def database_unavailable(error: OperationalError):
        """The database is down or unreachable (or, on SQLite, busy past the timeout):
        a clear 503, and the transaction rolled back so nothing is half-written."""
        app.logger.error("database unavailable: %s", error.orig)
        try:
            db.session.rollback()
        except OperationalError:
            db.session.remove()  # the connection is gone; the pool checks the next one
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
        message = "Preceptor cannot reach its database just now. Please try again in a minute."
        if _wants_json():
            return {"error": "unavailable", "message": message}, 503, headers
        # Straight from Jinja: Flask's context processors would look up the signed-in
        # user, in the database that is not there.
        page = app.jinja_env.get_template("errors/unavailable.html")
        return page.render(request=request, url_for=url_for), 503, headers

    @app.errorhandler(Exception)
    def unexpected_error(error: Exception):
        app.logger.exception("unhandled error", exc_info=error)
        db.session.rollback()
        return _page(
            500, "The error has been logged. Please try again in a moment.", "server_error"
        )
