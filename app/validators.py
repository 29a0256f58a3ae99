"""Input checks shared by several forms."""

import re

from wtforms.validators import ValidationError

CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f]")


def has_control_characters(text: str) -> bool:
    return bool(CONTROL_CHARACTERS.search(text or ""))


def single_line(_form, field) -> None:
    """Names and the like go into e-mail headers and PDFs: no line breaks or control codes."""
    if has_control_characters(field.data or ""):
        raise ValidationError("Use a single line without special characters.")
