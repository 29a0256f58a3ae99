"""One source of "now": naive UTC, the way every timestamp is stored."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)
