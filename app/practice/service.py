"""Recording observed practice, and reading it back for the mentor and the observers.
Whether an observation counts is the progress model's rule (`observation_passes`)."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app import permissions
from app.auth.models import Role, User
from app.courses.models import Certification
from app.courses.progress import observation_passes
from app.errors import Forbidden, NotFound, PreceptorError
from app.extensions import db
from app.practice.models import PracticeItem, PracticeObservation, Rating

COMMENT_LIMIT = 4000
# The date is the observer's own calendar date: it may already be tomorrow in UTC+14
# while it is today in UTC, and no later.
EARLIEST_ZONE_AHEAD = timedelta(hours=14)
OLDEST_OBSERVATION = timedelta(days=366)  # older is almost surely a typo in the year


class PracticeRefused(Forbidden):
    code = "practice_refused"


class ObservationInvalid(PreceptorError):
    """Input that passed the form's checks but not the rules; `field` says which."""

    status, code = 422, "invalid_observation"

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(message)


def get_mentor(mentor_id: int) -> User:
    """A user with the mentor role, or NotFound."""
    mentor = db.session.get(User, mentor_id)
    if mentor is None or not mentor.has_role(Role.MENTOR):
        raise NotFound("There is no such mentor.")
    return mentor


def get_item(slug: str) -> PracticeItem:
    """A current practice item by its id in certifications.yml."""
    item = db.session.scalar(
        select(PracticeItem).where(PracticeItem.slug == slug, PracticeItem.archived_at.is_(None))
    )
    if item is None:
        raise NotFound("There is no such practice item.")
    return item


def latest_observation_date(now: datetime) -> date:
    """The latest date that is today somewhere on earth: "not in the future"."""
    return (now + EARLIEST_ZONE_AHEAD).date()


def _check_date(observed_on: date, now: datetime) -> None:
    if observed_on > latest_observation_date(now):
        raise ObservationInvalid("observed_on", "The date observed cannot be in the future.")
    if observed_on < (now - OLDEST_OBSERVATION).date():
        raise ObservationInvalid(
            "observed_on", "The date observed cannot be more than a year ago: check the year."
        )


def _rated(item: PracticeItem, ratings: Mapping[str, str]) -> list[dict]:
    """The item's criteria with a rating each, in rubric order."""
    rated = []
    for criterion in item.criteria:
        value = ratings.get(criterion["id"])
        if value not in {r.value for r in Rating}:
            raise ObservationInvalid(
                f"rating-{criterion['id']}", "Rate this criterion: not yet, meets or exceeds."
            )
        rated.append({**criterion, "rating": value})
    return rated


def check_may_record(observer: User, mentor: User) -> None:
    """Refuse (403, with the reason) anyone app.permissions does not let record this."""
    if not permissions.can_record_practice(observer, mentor):
        if observer.id == mentor.id:
            raise PracticeRefused("You cannot record an observation of your own practice.")
        raise PracticeRefused("Only educators, coordinators and admins record observations.")


def record_observation(
    mentor: User,
    item: PracticeItem,
    *,
    observer: User,
    ratings: Mapping[str, str],
    observed_on: date,
    comment: str,
    now: datetime,
) -> PracticeObservation:
    """Record one observation of the mentor against the item's current rubric; the latest
    observation is the one that counts."""
    check_may_record(observer, mentor)
    _check_date(observed_on, now)
    comment = (comment or "").strip()
    if len(comment) > COMMENT_LIMIT:
        raise ObservationInvalid("comment", f"Keep the comment under {COMMENT_LIMIT} characters.")
    observation = PracticeObservation(
        user_id=mentor.id,
        item_id=item.id,
        item_version=item.version,
        observer_id=observer.id,
        observed_on=observed_on,
        ratings=_rated(item, ratings),
        comment=comment,
        recorded_at=now,
    )
    db.session.add(observation)
    db.session.flush()
    return observation


@dataclass(frozen=True)
class ShownObservation:
    observation: PracticeObservation
    passes: bool  # by the progress model's rule
    latest: bool  # the one that counts


@dataclass(frozen=True)
class PracticeView:
    """One practice item for one mentor: the rubric and every observation, newest first."""

    item: PracticeItem
    certification: Certification
    observations: tuple[ShownObservation, ...]

    @property
    def latest(self) -> ShownObservation | None:
        return self.observations[0] if self.observations else None

    @property
    def done(self) -> bool:
        return self.latest is not None and self.latest.passes


def _shown(observations: list[PracticeObservation]) -> tuple[ShownObservation, ...]:
    return tuple(
        ShownObservation(o, observation_passes(r.get("rating") for r in o.ratings), index == 0)
        for index, o in enumerate(observations)
    )


def _observations(mentor: User, item_ids: list[int]) -> dict[int, list[PracticeObservation]]:
    """Newest first (the latest recorded is the one that counts), with the observers."""
    rows = db.session.scalars(
        select(PracticeObservation)
        .options(selectinload(PracticeObservation.observer))
        .where(PracticeObservation.user_id == mentor.id, PracticeObservation.item_id.in_(item_ids))
        .order_by(PracticeObservation.id.desc())
    )
    found: dict[int, list[PracticeObservation]] = {item_id: [] for item_id in item_ids}
    for observation in rows:
        found[observation.item_id].append(observation)
    return found


def practice_view(mentor: User, item: PracticeItem) -> PracticeView:
    """One item's rubric and the mentor's observations of it."""
    return PracticeView(item, item.certification, _shown(_observations(mentor, [item.id])[item.id]))


def mentor_practice(mentor: User) -> list[PracticeView]:
    """Every current practice item of the current certifications, for this mentor."""
    items = db.session.scalars(
        select(PracticeItem)
        .join(Certification, Certification.id == PracticeItem.certification_id)
        .options(selectinload(PracticeItem.certification))
        .where(PracticeItem.archived_at.is_(None), Certification.archived_at.is_(None))
        .order_by(Certification.slug, PracticeItem.position, PracticeItem.slug)
    ).all()
    found = _observations(mentor, [item.id for item in items])
    return [PracticeView(item, item.certification, _shown(found[item.id])) for item in items]


def current_items_of(certification: Certification) -> list[PracticeItem]:
    """The certification's current practice items, in file order."""
    return list(
        db.session.scalars(
            select(PracticeItem)
            .where(
                PracticeItem.certification_id == certification.id,
                PracticeItem.archived_at.is_(None),
            )
            .order_by(PracticeItem.position, PracticeItem.slug)
        )
    )


def current_items() -> list[PracticeItem]:
    """Every current practice item of the current certifications."""
    return list(
        db.session.scalars(
            select(PracticeItem)
            .join(Certification, Certification.id == PracticeItem.certification_id)
            .where(PracticeItem.archived_at.is_(None), Certification.archived_at.is_(None))
            .order_by(Certification.slug, PracticeItem.position, PracticeItem.slug)
        )
    )
