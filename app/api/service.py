"""What the API reads, through the owning features' services: who the mentors are and
where they stand. Matching rules stay in app.matching.service."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from app.api.params import MAX_ID
from app.auth.models import Role, User
from app.certification import standing
from app.certification.models import MentorStanding
from app.certification.standing import MentorStatus, Standing
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


@dataclass(frozen=True)
class MentorRow:
    id: int
    name: str
    email: str
    specialty: str | None
    status: MentorStatus
    practice_done: bool  # every observed practice item of the certification signed off


def mentor_page(
    *, status: str | None, specialty: str, certification_slug: str, now: datetime, page, per_page
) -> tuple[list[MentorRow], int]:
    """One page of mentors by name, filtered like the coordinator's dashboard, and how many
    there are in all: counted and paged in the database."""
    program = standing.program_certification(certification_slug)
    if program is None:
        return [], 0
    s = MentorStanding
    conditions = [s.certification_id == program.id]
    if status:
        conditions.append(standing.where_status(status, now))
    if specialty.strip():
        conditions.append(s.specialty_key == specialty.strip().lower())
    total = db.session.scalar(select(func.count()).select_from(s).where(*conditions))
    rows = db.session.execute(
        select(
            s.user_id,
            User.name,
            User.email,
            User.specialty,
            standing.status_sql(now),
            s.practice_done,
        )
        .join(User, User.id == s.user_id)
        .where(*conditions)
        .order_by(s.name_key, s.user_id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return [MentorRow(*row[:4], MentorStatus(row[4]), row[5]) for row in rows], total


def mentor_standing(mentor: User, *, certification_slug: str, now: datetime) -> Standing:
    return standing.standing_of(mentor, standing.program_certification(certification_slug), now=now)
