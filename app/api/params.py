"""Reading query strings and JSON bodies strictly: a bad value is a 400 or 422, never a guess."""

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask import Request

from app.errors import PreceptorError

DEFAULT_PER_PAGE = 50
MAX_PER_PAGE = 100
MAX_PAGE = 100_000
# Ids are 32-bit integers in PostgreSQL; anything larger names nothing that exists.
MAX_ID = 2**31 - 1
_DIGITS = re.compile(r"[0-9]{1,12}")


class InvalidParameter(PreceptorError):
    status, code = 400, "invalid_parameter"


class InvalidBody(PreceptorError):
    status, code = 422, "invalid_body"


def whole_number(args: Mapping[str, str], name: str, *, maximum: int) -> int | None:
    """A query-string value from 1 to `maximum`; None when absent (empty is not absent)."""
    if name not in args:
        return None
    raw = args[name]
    if not _DIGITS.fullmatch(raw) or not 1 <= int(raw) <= maximum:
        raise InvalidParameter(f"{name} must be a whole number from 1 to {maximum}.")
    return int(raw)


def choice(args: Mapping[str, str], name: str, allowed: Sequence[str]) -> str | None:
    if name not in args:
        return None
    raw = args[name]
    if raw not in allowed:
        raise InvalidParameter(f"{name} must be one of: {', '.join(allowed)}.")
    return raw


@dataclass(frozen=True)
class PageRequest:
    page: int
    per_page: int

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> "PageRequest":
        return cls(
            page=whole_number(args, "page", maximum=MAX_PAGE) or 1,
            per_page=whole_number(args, "per_page", maximum=MAX_PER_PAGE) or DEFAULT_PER_PAGE,
        )

    def page_envelope(self, items: Sequence[Any], total: int, shape: Callable) -> dict:
        """A page the database already cut, in the list form every list endpoint answers with."""
        return {
            "items": [shape(item) for item in items],
            "page": self.page,
            "per_page": self.per_page,
            "total": total,
        }

    def envelope(self, items: Sequence[Any], shape: Callable[[Any], dict]) -> dict:
        """This page of the items, shaped, in the list form every list endpoint answers with."""
        start = (self.page - 1) * self.per_page
        return self.page_envelope(items[start : start + self.per_page], len(items), shape)


def json_object(body: Any) -> dict:
    if not isinstance(body, dict):
        raise PreceptorError("Send a JSON object as the body, with Content-Type: application/json.")
    return body


def json_body(request: Request) -> Any:
    """The request's JSON, or None when it is not JSON; a body nested too deeply for the
    parser (thousands of brackets) is refused as bad input, not a server error."""
    try:
        return request.get_json(silent=True)
    except RecursionError:
        raise PreceptorError("The JSON body is nested too deeply.") from None


def id_fields(body: dict, *names: str) -> dict[str, int]:
    """Required positive integer fields; every problem named at once."""
    problems, values = [], {}
    for name in names:
        value = body.get(name)
        # JSON has one number type: 7.0 is the integer 7 (as JSON Schema says), true is not.
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if name not in body:
            problems.append(f"{name} is required")
        elif isinstance(value, bool) or not isinstance(value, int) or value < 1:
            problems.append(f"{name} must be a positive integer")
        else:
            values[name] = value
    if problems:
        raise InvalidBody("; ".join(problems) + ".")
    return values
