"""Security events, one line each on the `preceptor.security` logger (stderr under
gunicorn, next to the access log): sign-ins and their failures, refusals, CSRF failures,
rate limits, password changes and ended sessions. SECURITY.md lists the events and what
they never hold (passwords, secrets, tokens, e-mail addresses).

A line reads `2026-12-01T17:50:02Z security event=sign_in_failed user=- ip=203.0.113.9
path="/auth/login"`. Every value is JSON-encoded when it is not a plain word, so a
newline or a quote typed by a user cannot forge a second line or field.
"""

import json
import logging
import re
import sys
import time

from flask import has_request_context, request
from flask_login import current_user

logger = logging.getLogger("preceptor.security")
_PLAIN = re.compile(r"^[A-Za-z0-9_.:/@+-]{1,200}$")


def encode(value: object) -> str:
    """A log-safe rendering of one value: plain words as they are, anything else quoted
    with JSON's escapes (newlines, quotes and control characters included)."""
    text = "-" if value is None else str(value)
    return text if _PLAIN.match(text) else json.dumps(text[:500], ensure_ascii=True)


def event(name: str, **fields: object) -> None:
    """Log one security event with who, from where and on which path."""
    context: dict[str, object] = {}
    if has_request_context():
        user = current_user if current_user and current_user.is_authenticated else None
        context = {
            "user": user.id if user is not None else None,
            "ip": request.remote_addr,
            "method": request.method,
            "path": request.path,
        }
    parts = [f"event={encode(name)}"]
    parts += [f"{key}={encode(value)}" for key, value in {**context, **fields}.items()]
    logger.info(" ".join(parts))


LINE_FORMAT = "%(asctime)s %(name)s %(levelname)s %(message)s"


class UTCFormatter(logging.Formatter):
    """ISO 8601 in UTC with a Z, whatever the server's local zone."""

    converter = time.gmtime

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", self.converter(record.created))


class _StandardError(logging.StreamHandler):
    """Whatever sys.stderr is at the time of writing (pytest swaps it per test)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        pass


def configure_logging() -> None:
    """Preceptor's own loggers write `<UTC time> <logger> <level> <message>` to stderr
    once, however many apps a process creates (the tests make hundreds)."""
    root = logging.getLogger("preceptor")
    if getattr(root, "_preceptor_configured", False):
        return
    handler = _StandardError()
    handler.setFormatter(UTCFormatter(LINE_FORMAT))
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    root._preceptor_configured = True  # type: ignore[attr-defined]
