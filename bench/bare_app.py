"""The baseline /healthz is compared with: Flask with one route and no extensions, served by
gunicorn with the app's own settings (gunicorn.conf.py). Were /healthz slow, every page
would look fast beside it; this keeps the ratios honest."""

from flask import Flask

app = Flask(__name__)


@app.get("/healthz")
def healthz() -> tuple[str, int, dict[str, str]]:
    return "ok", 200, {"Content-Type": "text/plain; charset=utf-8"}
