"""Import practice items and their rubrics; an item keeps its row (and so every
observation of it) across edits, renames of its rubric file and moves between
certifications."""

from datetime import datetime

from sqlalchemy import select

from app.content.loader import CertificationSource
from app.content.practice import PracticeSource
from app.courses.models import Certification
from app.extensions import db
from app.practice.models import PracticeItem
from app.rows import assign_changed


def _values(source: PracticeSource, certification_id: int) -> dict:
    return {
        "certification_id": certification_id,
        "title": source.title,
        "position": source.position,
        "rubric_title": source.rubric.title,
        "intro_html": source.rubric.intro_html,
        "criteria": [
            {"id": c.id, "name": c.name, "description": c.description}
            for c in source.rubric.criteria
        ],
        "content_hash": source.content_hash,
        "archived_at": None,
    }


def sync_practice(
    certifications: tuple[CertificationSource, ...], *, now: datetime, report
) -> None:
    """Create, update (a new version when the title or rubric changed) and archive the
    practice items to match the files; observations are never touched."""
    certification_ids = {c.slug: c.id for c in db.session.scalars(select(Certification))}
    items = {item.slug: item for item in db.session.scalars(select(PracticeItem))}
    for certification in certifications:
        for source in certification.practice:
            values = _values(source, certification_ids[certification.slug])
            item = items.pop(source.slug, None)
            if item is None:
                db.session.add(PracticeItem(slug=source.slug, version=1, **values))
                report.created.append(f"practice {source.slug}")
                continue
            rubric_changed = item.content_hash != source.content_hash
            if assign_changed(item, values):
                if rubric_changed:
                    item.version += 1
                report.updated.append(f"practice {source.slug}")
    for item in items.values():
        if item.archived_at is None:
            item.archived_at = now
            report.archived.append(f"practice {item.slug}")
