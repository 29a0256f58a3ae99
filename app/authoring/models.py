"""The content's files as the database keeps them: what is published, an educator's draft,
and every saved revision. `content sync` reads files into these rows, the browser edits
them, and the published text is what courses, lessons and quizzes are imported from."""

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.clock import utcnow
from app.extensions import db


class ContentFile(db.Model):
    """One file of the content folder, by its path (`courses/<slug>/<file>.md`,
    `quizzes/<id>.md`, `courses/certifications.yml`)."""

    __tablename__ = "content_files"
    id: Mapped[int] = mapped_column(primary_key=True)
    path: Mapped[str] = mapped_column(String(300), unique=True)
    # What is published; None for a file written in the browser and not yet published.
    text: Mapped[str | None] = mapped_column(Text)
    # An educator's saved, unpublished text (None: no draft).
    draft: Mapped[str | None] = mapped_column(Text)
    # Waiting for the next publication too: a new place (a lesson moved in its course's
    # order is a file renamed) or the file's removal (a lesson archived).
    draft_path: Mapped[str | None] = mapped_column(String(300))
    draft_removed: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    # How many revisions the file has: the number the next one takes. An editor sends the
    # number it opened, so a save made meanwhile by someone else is noticed, not lost.
    revisions_count: Mapped[int] = mapped_column(default=0)
    # sha256 of the file's text when `content sync` last read it (None: never read from a
    # file). A file unchanged since then leaves the browser's edits alone.
    synced_hash: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_by: Mapped[User | None] = relationship()


class ContentRevision(db.Model):
    """A saved text of a file: a draft, a publication, or what a sync read from disk."""

    __tablename__ = "content_revisions"
    # Two saves of the same opened text would take the same number: one is refused.
    __table_args__ = (UniqueConstraint("file_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    file_id: Mapped[int] = mapped_column(ForeignKey("content_files.id"), index=True)
    number: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(20))  # draft, published, or synced (from a file)
    note: Mapped[str] = mapped_column(String(200), default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    author: Mapped[User | None] = relationship()
    file: Mapped[ContentFile] = relationship()
