"""Forum handles: the name people @mention, made from the user's name ("Dr. Tomás
Rivera" is @tomas-rivera) and made unique with a number when taken."""

import re
import unicodedata
from collections.abc import Callable

HANDLE = re.compile(r"[a-z0-9][a-z0-9-]{1,39}")
_TITLES = {"dr", "prof", "professor", "mr", "mrs", "ms", "miss", "mx"}


def base_handle(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    words = [w for w in re.findall(r"[a-z0-9]+", ascii_name) if w not in _TITLES]
    handle = "-".join(words)[:36].strip("-")
    return handle if len(handle) >= 2 else "member"


def unique_handle(name: str, is_taken: Callable[[str], bool]) -> str:
    base = base_handle(name)
    candidate, number = base, 1
    while is_taken(candidate):
        number += 1
        candidate = f"{base}-{number}"
    return candidate
