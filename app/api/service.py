"""What the API reads, through the owning features' services: who the mentors are and
where they stand. Matching rules stay in app.matching.service."""

from datetime import datetime

from app.api.params import MAX_ID
from app.auth.models import Role, User
from app.certification import standing
from app.certification.standing import Standing
from app.errors import NotFound
from app.extensions import db
from app.matching import service as matching
from app.matching.models import Mentee


def get_mentor(mentor_id: int) -> User:
    mentor = db.session.get(User, mentor_id) if 1 <= mentor_id <= MAX_ID else None
    if mentor is None or not mentor.has_role(Role.MENTOR):
        raise NotFound("There is no mentor with this id.")
    return mentor


def get_mentee(mentee_id: int) -> Mentee:
    if not 1 <= mentee_id <= MAX_ID:
        raise NotFound("There is no such mentee.")
    return matching.get_mentee(mentee_id)


def mentor_standings(
    *, status: str | None, specialty: str, certification_slug: str, now: datetime
) -> list[Standing]:
    """Every mentor's standing by name, filtered like the coordinator's dashboard."""
    mentors = list(
        db.session.scalars(standing.mentors_query().order_by(User.name, User.id)).unique()
    )
    if specialty:
        wanted = specialty.strip().lower()
        mentors = [m for m in mentors if (m.specialty or "").strip().lower() == wanted]
    rows = standing.standings(mentors, standing.program_certification(certification_slug), now=now)
    return [row for row in rows if status is None or row.status.value == status]


def mentor_standing(mentor: User, *, certification_slug: str, now: datetime) -> Standing:
    return standing.standing_of(mentor, standing.program_certification(certification_slug), now=now)
