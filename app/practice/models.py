import enum
from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.auth.models import User
from app.courses.models import Certification
from app.extensions import db


class Rating(enum.StrEnum):
    NOT_YET = "not_yet"
    MEETS = "meets"
    EXCEEDS = "exceeds"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ")


class PracticeItem(db.Model):
    """A practice requirement of a certification, with its rubric, as last synced from
    courses/certifications.yml and courses/practice/. Its slug names it everywhere."""

    __tablename__ = "practice_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    certification_id: Mapped[int] = mapped_column(ForeignKey("certifications.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    position: Mapped[int]
    rubric_title: Mapped[str] = mapped_column(String(200))
    intro_html: Mapped[str] = mapped_column(Text)
    # [{"id": "open-questions", "name": "Asks open questions", "description": "..."}, ...]
    criteria: Mapped[list[dict]] = mapped_column(JSON)
    # Raised whenever the title or rubric changes; an observation names the version rated.
    version: Mapped[int] = mapped_column(default=1)
    content_hash: Mapped[str] = mapped_column(String(64))
    archived_at: Mapped[datetime | None]
    certification: Mapped[Certification] = relationship()


class PracticeObservation(db.Model):
    """One observation, as recorded; never edited. The latest one of a mentor and an item
    decides the standing; earlier ones stay as the history."""

    __tablename__ = "practice_observations"
    # Nobody signs off their own practice, whatever path writes the row.
    __table_args__ = (CheckConstraint("observer_id <> user_id", name="not_self"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("practice_items.id"), index=True)
    item_version: Mapped[int]
    observer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    observed_on: Mapped[date]
    # The criteria as rated, so the record reads the same after the rubric changes:
    # [{"id": ..., "name": ..., "description": ..., "rating": "meets"}, ...]
    ratings: Mapped[list[dict]] = mapped_column(JSON)
    comment: Mapped[str] = mapped_column(Text, default="")
    recorded_at: Mapped[datetime]
    item: Mapped[PracticeItem] = relationship()
    observer: Mapped[User] = relationship(foreign_keys=[observer_id])
