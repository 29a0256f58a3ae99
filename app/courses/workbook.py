"""A lesson's workbook (`workbook: true`): the learner writes their answers to the
lesson's reflection prompts under it, for themselves alone, and can download them.
The goal-setting course ends with one: the mentor's own mentoring philosophy and plan."""

import html
import re
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from app.auth.models import User
from app.courses.models import LessonNote
from app.extensions import db

MAX_LENGTH = 20_000  # characters: several pages, far beyond seven short answers

_REFLECT = re.compile(
    r'<aside class="callout callout-reflect"[^>]*>\s*'
    r'<p class="callout-label">[^<]*</p>(.*?)</aside>',
    re.DOTALL,
)
_TITLE = re.compile(r"<strong>(.*?)</strong>", re.DOTALL)


def _plain(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def prompts(body_html: str) -> list[str]:
    """Each reflection prompt of a lesson: its bold title when it has one, else its text."""
    found = []
    for callout in _REFLECT.findall(body_html):
        title = _TITLE.search(callout)
        found.append(_plain(title.group(1) if title else callout))
    return found


def starting_text(body_html: str) -> str:
    """An empty workbook: the prompts as headings with room under each."""
    return "".join(f"{prompt}\n\n\n" for prompt in prompts(body_html))


def note_of(user: User, lesson_id: int) -> LessonNote | None:
    return db.session.scalar(
        select(LessonNote).where(LessonNote.user_id == user.id, LessonNote.lesson_id == lesson_id)
    )


def save(user: User, lesson_id: int, text: str, *, now: datetime) -> None:
    """Keep what the learner wrote: one row per learner and lesson, the last save wins,
    even when two tabs save at once."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(LessonNote).values(
        user_id=user.id, lesson_id=lesson_id, text=text, updated_at=now
    )
    db.session.execute(
        statement.on_conflict_do_update(
            index_elements=["user_id", "lesson_id"],
            set_={"text": statement.excluded.text, "updated_at": statement.excluded.updated_at},
        )
    )
