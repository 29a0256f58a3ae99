"""Preceptor with one more route, /bench/signed-in, that needs a signed-in person and
answers "ok": what every signed-in page pays before any work of its own (the session
cookie, the session and user rows, Flask-Login, the limiter, the response headers). The
wrk table shows it beside the pages, so that a page's ratio can be read against the floor
no signed-in page can go below."""

from flask_login import login_required

from app import create_app


def create():
    app = create_app()

    @app.get("/bench/signed-in")
    @login_required
    def signed_in() -> tuple[str, int, dict[str, str]]:
        return "ok", 200, {"Content-Type": "text/plain; charset=utf-8"}

    return app
