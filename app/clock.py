"""One source of "now": naive UTC, the way every timestamp is stored."""

from datetime import UTC, datetime, timedelta

# Moved only by tests (a test clock for journeys that must wait, e.g. a quiz cooldown).
_offset = timedelta(0)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None) + _offset


def travel(delta: timedelta) -> None:
    """Test clock: move "now" forward (or back, with a negative delta)."""
    global _offset
    _offset += delta


def reset_travel() -> None:
    global _offset
    _offset = timedelta(0)
