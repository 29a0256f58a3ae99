import re

from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.validators import single_line

MAX_POST_LENGTH = 20_000


def collapse_spaces(value: str | None) -> str | None:
    """A title is checked as it will be stored: trimmed, inner runs of spaces made one."""
    return re.sub(" {2,}", " ", value).strip(" ") if isinstance(value, str) else value


def _body_field() -> TextAreaField:
    return TextAreaField(
        "Your post",
        validators=[
            DataRequired("Write something before posting."),
            Length(max=MAX_POST_LENGTH, message="Keep a post under 20,000 characters."),
        ],
        description="Markdown: **bold**, *italic*, > quote, - list, [link](https://…). "
        "Mention someone with @handle.",
    )


class ComposeForm(FlaskForm):
    """A reply, or the body of an edit. Preview and publish are two buttons of one form."""

    body = _body_field()
    anonymous = BooleanField("Post anonymously to peers (moderators can still see who you are)")
    confirm_identifiers = BooleanField("I have checked: nothing in this post identifies a patient")


class ThreadForm(ComposeForm):
    title = StringField(
        "Title",
        filters=[collapse_spaces],
        validators=[
            DataRequired("Give the thread a title."),
            Length(min=5, max=200, message="A title has 5 to 200 characters."),
            single_line,
        ],
    )


class EditForm(ComposeForm):
    title = StringField(
        "Title",
        filters=[collapse_spaces],
        validators=[Optional(), Length(min=5, max=200), single_line],
    )


class ReasonForm(FlaskForm):
    reason = TextAreaField(
        "Reason",
        validators=[
            DataRequired("Say why, in a few words."),
            Length(max=500, message="Keep the reason under 500 characters."),
        ],
    )


class MoveForm(FlaskForm):
    category = SelectField("Move to", choices=[])


class CategoryForm(FlaskForm):
    name = StringField(
        "Name",
        validators=[DataRequired("Name the category."), Length(max=80), single_line],
    )
    description = StringField("Description", validators=[Length(max=300), single_line])
    allow_anonymous = BooleanField("Members may post anonymously to peers here")


class DigestForm(FlaskForm):
    email_digest = BooleanField("E-mail me a daily digest of unread notifications")
