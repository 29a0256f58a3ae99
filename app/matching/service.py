"""Matching: who may be matched (one check for every path), and who fits a mentee best."""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Text, and_, case, cast, func, literal, or_, select, union_all
from sqlalchemy.orm import aliased, selectinload

from app.auth.models import Role, User, UserRole
from app.certification import service as certification
from app.certification import standing
from app.certification.models import Certificate, MentorStanding
from app.certification.standing import MentorStatus
from app.errors import NotFound, PreceptorError
from app.extensions import db
from app.matching.models import CareerStage, Match, MatchKind, Mentee, MentorProfile
from app.rows import lock_user


class MentorNotEligible(PreceptorError):
    status, code = 409, "mentor_not_eligible"

    def __init__(self, reasons: tuple[str, ...]):
        self.reasons = reasons
        super().__init__("This mentor cannot be matched: " + "; ".join(reasons) + ".")


class MatchError(PreceptorError):
    status, code = 422, "invalid_match"


class AlreadyMatched(MatchError):
    """A valid request that conflicts with a match that exists: a 409, not a 422."""

    status, code = 409, "already_matched"


@dataclass(frozen=True)
class Eligibility:
    reasons: tuple[str, ...]
    certificate: object | None = None

    @property
    def eligible(self) -> bool:
        return not self.reasons


def profile_of(user: User) -> MentorProfile | None:
    return db.session.scalar(select(MentorProfile).where(MentorProfile.user_id == user.id))


def active_mentee_count(mentor: User) -> int:
    return db.session.scalar(
        select(func.count(Match.id)).where(
            Match.mentor_id == mentor.id, Match.kind == MatchKind.MENTEE, Match.ended_at.is_(None)
        )
    )


@dataclass(frozen=True)
class MentorFacts:
    """What eligibility is decided on, loaded for many mentors in a fixed number of queries."""

    standings: dict[int, MentorStanding]  # toward the program certification
    certificates: dict[int, Certificate]  # each one's latest, by certificate id
    profiles: dict[int, MentorProfile]
    active_mentees: dict[int, int]


def _facts(mentors: list[User], certification_slug: str) -> MentorFacts:
    ids = [m.id for m in mentors]
    program = certification.get_certification(certification_slug)
    rows = (
        db.session.scalars(
            select(MentorStanding).where(
                MentorStanding.certification_id == program.id, MentorStanding.user_id.in_(ids)
            )
        ).all()
        if program is not None
        else []
    )
    certificate_ids = [row.certificate_id for row in rows if row.certificate_id is not None]
    certificates = {
        c.id: c
        for c in db.session.scalars(select(Certificate).where(Certificate.id.in_(certificate_ids)))
    }
    profiles = {
        p.user_id: p
        for p in db.session.scalars(select(MentorProfile).where(MentorProfile.user_id.in_(ids)))
    }
    counts = dict(
        db.session.execute(
            select(Match.mentor_id, func.count(Match.id))
            .where(
                Match.mentor_id.in_(ids), Match.kind == MatchKind.MENTEE, Match.ended_at.is_(None)
            )
            .group_by(Match.mentor_id)
        ).all()
    )
    return MentorFacts({row.user_id: row for row in rows}, certificates, profiles, counts)


_NOT_CERTIFIED = {
    MentorStatus.NOT_STARTED: "not certified",
    MentorStatus.IN_PROGRESS: "not certified",
    MentorStatus.EXPIRED: "certificate expired",
    MentorStatus.REVOKED: "certificate revoked",
}
PRACTICE_MISSING = "observed practice not yet recorded"


def _decide(
    mentor: User, facts: MentorFacts, *, now: datetime, needs_capacity: bool
) -> Eligibility:
    reasons = []
    if not mentor.has_role(Role.MENTOR):
        reasons.append("not a mentor")
    row = facts.standings.get(mentor.id)
    status = (
        standing.status_at(row.state, row.expires_at, row.renewal_opens_at, now)[0]
        if row is not None
        else MentorStatus.NOT_STARTED
    )
    if status is not MentorStatus.CERTIFIED:
        reasons.append(_NOT_CERTIFIED[status])
        if status is MentorStatus.IN_PROGRESS and row.courses_complete and not row.practice_done:
            reasons.append(PRACTICE_MISSING)  # the one requirement left
    profile = facts.profiles.get(mentor.id)
    if profile is None:
        reasons.append("no mentor profile")
    elif needs_capacity and facts.active_mentees.get(mentor.id, 0) >= profile.capacity:
        reasons.append("no capacity left")
    certificate = facts.certificates.get(row.certificate_id) if row is not None else None
    return Eligibility(tuple(reasons), certificate if status is MentorStatus.CERTIFIED else None)


def eligibilities(
    mentors: list[User], *, certification_slug: str, now: datetime, needs_capacity: bool = True
) -> dict[int, Eligibility]:
    """Eligibility of many mentors at once (the same rule as `eligibility`)."""
    facts = _facts(mentors, certification_slug)
    return {m.id: _decide(m, facts, now=now, needs_capacity=needs_capacity) for m in mentors}


def eligibility(
    mentor: User, *, certification_slug: str, now: datetime, needs_capacity: bool = True
) -> Eligibility:
    """Why this mentor may not be matched now; no reasons means they may. The one check
    behind the match form, the API and the dashboard."""
    return eligibilities(
        [mentor], certification_slug=certification_slug, now=now, needs_capacity=needs_capacity
    )[mentor.id]


OWN_SPECIALTY_ONLY = "takes mentees from their own specialty only"


@dataclass(frozen=True)
class Suggestion:
    mentor: User
    profile: MentorProfile | None
    score: float
    reasons: tuple[str, ...]  # why it fits (or, for ineligible mentors, why not)
    eligible: bool
    capacity_left: int = 0
    notes: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Suggestions:
    """One page of suggestions for a mentee: the best fits, and some of those who cannot
    be matched now (all of them, or those whose name was asked for), with the totals."""

    ranked: list[Suggestion]
    ranked_total: int
    apart: list[Suggestion]
    apart_total: int


SUGGESTIONS_SHOWN = 20  # best fits on the mentee's page; as many apart


def _stage_points(mentee: Mentee) -> dict[CareerStage, float]:
    """Fit points for each career stage of a mentor: ahead of the mentee counts (a little
    more for two stages ahead), level or behind counts nothing."""
    points = {}
    for stage in CareerStage:
        gap = stage.rank - mentee.career_stage.rank
        points[stage] = 2 + min(gap, 2) * 0.25 if gap > 0 else 0.0
    return points


def _specialty_key(specialty: str | None) -> str:
    return (specialty or "").strip().lower()


def is_same_specialty(mentor: User, mentee: Mentee) -> bool:
    return _specialty_key(mentor.specialty) == _specialty_key(mentee.specialty)


def _interest_listed(interest: str):
    """Whether the mentor's interests (a JSON list of the fixed vocabulary) hold this one:
    its quoted name in the list's text, the same on SQLite and PostgreSQL."""
    return cast(MentorProfile.interests, Text).like(f'%"{interest}"%')


def _fit_score(mentee: Mentee, capacity_left):
    """The fit of a mentor for this mentee, as SQL, so that thousands of mentors are
    ranked in the database: same specialty 3 (open to other specialties 1), career stage
    ahead 2 to 2.5, 1 per shared interest, and up to 0.75 for room to spare."""
    same = func.coalesce(MentorStanding.specialty_key, "") == _specialty_key(mentee.specialty)
    points = _stage_points(mentee)
    shared = [case((_interest_listed(i), 1), else_=0) for i in sorted(set(mentee.interests))]
    return (
        case((same, 3), else_=1)
        + case(*((MentorProfile.career_stage == stage, p) for stage, p in points.items()))
        + sum(shared, literal(0))
        + case((capacity_left >= 3, 0.75), else_=capacity_left * 0.25)
    ).label("score")


def _fit_reasons(
    mentor: User, profile: MentorProfile, mentee: Mentee, capacity_left: int
) -> tuple[list[str], list[str]]:
    """(reasons for, reasons against) one eligible mentor for one mentee, in words; the
    points behind the order are _fit_score's."""
    why, against = [], []
    if is_same_specialty(mentor, mentee):
        why.append(f"same specialty ({mentee.specialty})")
    elif profile.open_to_other_specialties:
        why.append(
            f"open to mentees from other specialties ({mentor.specialty or 'no specialty given'})"
        )
    else:
        against.append(OWN_SPECIALTY_ONLY)
    if _stage_points(mentee)[profile.career_stage]:
        stages = f"{profile.career_stage.label} for a {mentee.career_stage.label.lower()}"
        why.append(f"career stage ahead ({stages})")
    else:
        against.append(f"career stage not ahead of the mentee ({profile.career_stage.label})")
    shared = sorted(set(profile.interests) & set(mentee.interests))
    if shared:
        why.append("shared interests: " + ", ".join(shared))
    why.append(f"capacity left: {capacity_left} of {profile.capacity}")
    return why, against


def _candidates(mentee: Mentee, program_id: int, now: datetime):
    """(mentor, profile, mentees now, score) of every mentor who could take this mentee:
    a mentor, certified now, with a profile and room, in the mentee's specialty or open to
    others. The rule is `_decide`'s, written for the database."""
    active = (
        select(Match.mentor_id, func.count().label("mentees"))
        .where(Match.kind == MatchKind.MENTEE, Match.ended_at.is_(None))
        .group_by(Match.mentor_id)
        .subquery()
    )
    mentees = func.coalesce(active.c.mentees, 0)
    same = func.coalesce(MentorStanding.specialty_key, "") == _specialty_key(mentee.specialty)
    return (
        select(User, MentorProfile, mentees.label("mentees"))
        .join(MentorStanding, MentorStanding.user_id == User.id)
        .join(MentorProfile, MentorProfile.user_id == User.id)
        .outerjoin(active, active.c.mentor_id == User.id)
        .where(
            MentorStanding.certification_id == program_id,
            standing.where_status(MentorStatus.CERTIFIED, now),
            User.id.in_(select(UserRole.user_id).where(UserRole.role == Role.MENTOR)),
            mentees < MentorProfile.capacity,
            or_(same, MentorProfile.open_to_other_specialties.is_(True)),
        )
    ), MentorProfile.capacity - mentees


def suggestions(
    mentee: Mentee,
    *,
    certification_slug: str,
    now: datetime,
    limit: int | None = None,
    apart_named: str = "",
) -> Suggestions:
    """The mentors who fit this mentee best, ranked in the database (a fixed number of
    queries however many mentors the program has), and the first of those who cannot be
    matched now, with why not: in name order, or those whose name holds `apart_named`."""
    limit = limit or SUGGESTIONS_SHOWN
    program = certification.get_certification(certification_slug)
    if program is None:
        candidates, score = None, None
        ranked, ranked_total = [], 0
    else:
        candidates, capacity_left = _candidates(mentee, program.id, now)
        score = _fit_score(mentee, capacity_left)
        rows = (
            db.session.execute(
                candidates.add_columns(score, func.count().over().label("total"))
                .order_by(score.desc(), MentorStanding.name_key, User.id)
                .limit(limit)
            )
            .unique()
            .all()
        )
        ranked = []
        for mentor, profile, mentees, points, _ in rows:
            left = profile.capacity - mentees
            why, against = _fit_reasons(mentor, profile, mentee, left)
            ranked.append(
                Suggestion(mentor, profile, float(points), tuple(why), True, left, tuple(against))
            )
        ranked_total = rows[0].total if rows else 0
    others = standing.mentors_query()
    mentors_total = db.session.scalar(others.with_only_columns(func.count(User.id)))
    if candidates is not None:
        chosen = candidates.with_only_columns(User.id).subquery()
        others = others.where(User.id.not_in(select(chosen.c.id)))
    apart_total = mentors_total - ranked_total
    if apart_named.strip():
        others = others.where(
            func.lower(User.name).contains(apart_named.strip().lower(), autoescape=True)
        )
    shown = list(
        db.session.scalars(others.order_by(func.lower(User.name), User.id).limit(limit)).unique()
    )
    facts = _facts(shown, certification_slug)
    apart = []
    for mentor in shown:
        reasons = _decide(mentor, facts, now=now, needs_capacity=True).reasons
        if not reasons:  # eligible, but only for mentees of their own specialty
            reasons = (OWN_SPECIALTY_ONLY,)
        apart.append(Suggestion(mentor, facts.profiles.get(mentor.id), 0, reasons, eligible=False))
    return Suggestions(ranked, ranked_total, apart, apart_total)


def create_match(
    mentor: User, mentee: Mentee, *, by: User | None, certification_slug: str, now: datetime
) -> Match:
    """A mentor-mentee match, only for an eligible mentor (MentorNotEligible says why not)."""
    lock_user(mentor.id)
    check = eligibility(mentor, certification_slug=certification_slug, now=now)
    if not check.eligible:
        raise MentorNotEligible(check.reasons)
    profile = profile_of(mentor)
    if not profile.open_to_other_specialties and not is_same_specialty(mentor, mentee):
        raise MentorNotEligible((OWN_SPECIALTY_ONLY,))
    if active_match_between(mentor, mentee):
        raise AlreadyMatched("These two are already matched.")
    match = Match(
        kind=MatchKind.MENTEE,
        mentor_id=mentor.id,
        mentee_id=mentee.id,
        created_at=now,
        created_by_id=by.id if by else None,
    )
    db.session.add(match)
    db.session.flush()
    return match


def create_peer_match(
    first: User, second: User, *, by: User | None, certification_slug: str, now: datetime
) -> Match:
    """Two mentors at the same career stage; both must be eligible (capacity aside)."""
    if first.id == second.id:
        raise MatchError("Choose two different mentors.")
    for mentor in (first, second):
        check = eligibility(
            mentor, certification_slug=certification_slug, now=now, needs_capacity=False
        )
        if not check.eligible:
            raise MentorNotEligible(tuple(f"{mentor.name}: {reason}" for reason in check.reasons))
    if profile_of(first).career_stage is not profile_of(second).career_stage:
        raise MatchError("Peer matches are between mentors at the same career stage.")
    pair = {first.id, second.id}
    for existing in matches(mentor_id=first.id, active_only=True):
        if existing.kind is MatchKind.PEER and {existing.mentor_id, existing.peer_id} == pair:
            raise AlreadyMatched("These two mentors are already peers.")
    match = Match(
        kind=MatchKind.PEER,
        mentor_id=first.id,
        peer_id=second.id,
        created_at=now,
        created_by_id=by.id if by else None,
    )
    db.session.add(match)
    db.session.flush()
    return match


def active_match_between(mentor: User, mentee: Mentee) -> Match | None:
    return db.session.scalar(
        select(Match).where(
            Match.mentor_id == mentor.id, Match.mentee_id == mentee.id, Match.ended_at.is_(None)
        )
    )


def end_match(match: Match, *, reason: str, now: datetime) -> None:
    if match.ended_at is not None:
        raise MatchError("This match has already ended.")
    match.ended_at = now
    match.end_reason = reason.strip()


def mentors_with_profiles() -> list[tuple[User, MentorProfile]]:
    query = (
        select(User, MentorProfile)
        .join(MentorProfile, MentorProfile.user_id == User.id)
        .order_by(User.name)
    )
    return [(user, profile) for user, profile in db.session.execute(query).unique()]


def get_mentor(user_id: int | None) -> User:
    mentor = db.session.get(User, user_id) if user_id is not None else None
    if mentor is None or not mentor.has_role(Role.MENTOR):
        raise NotFound("There is no such mentor.")
    return mentor


def get_mentee(mentee_id: int) -> Mentee:
    mentee = db.session.get(Mentee, mentee_id)
    if mentee is None:
        raise NotFound("There is no such mentee.")
    return mentee


def get_match(match_id: int) -> Match:
    match = db.session.get(Match, match_id)
    if match is None:
        raise NotFound("There is no such match.")
    return match


def matches(
    *, mentor_id: int | None = None, mentee_id: int | None = None, active_only: bool = False
) -> list[Match]:
    query = (
        select(Match)
        .options(selectinload(Match.mentor), selectinload(Match.peer), selectinload(Match.mentee))
        .order_by(Match.created_at.desc(), Match.id.desc())
    )
    if mentor_id is not None:
        query = query.where((Match.mentor_id == mentor_id) | (Match.peer_id == mentor_id))
    if mentee_id is not None:
        query = query.where(Match.mentee_id == mentee_id)
    if active_only:
        query = query.where(Match.ended_at.is_(None))
    return list(db.session.scalars(query))


@dataclass(frozen=True)
class Named:
    id: int
    name: str


@dataclass(frozen=True)
class FlaggedMatch:
    """What the lists show of a flagged match: names, not whole people (a page of them
    costs one small query, not an object graph per match)."""

    id: int
    mentor_id: int
    created_at: datetime
    mentor: Named
    mentee: Named | None
    peer: Named | None


@dataclass(frozen=True)
class Flagged:
    """Active matches whose mentor (or peer) lapsed: the newest few, and how many."""

    matches: list[tuple[FlaggedMatch, str]]
    total: int


def flagged_matches(*, certification_slug: str, now: datetime, shown: int = 20) -> Flagged:
    """Active matches whose mentor or peer is no longer certified (certificate revoked or
    expired), newest first. It starts from the matched people whose certificate lapsed,
    read through their own small index, so the cost follows them, not the program."""
    program = certification.get_certification(certification_slug)
    if program is None:
        return Flagged([], 0)
    s = MentorStanding
    lapsed_kinds = (s.state == "revoked", and_(s.state == "holds", s.expires_at <= now))
    people = {
        user_id: (name, MentorStatus(status))
        for user_id, name, status in db.session.execute(
            union_all(
                *(
                    select(s.user_id, User.name, standing.status_sql(now))
                    .join(User, User.id == s.user_id)
                    .where(s.certification_id == program.id, s.active_matches > 0, lapsed)
                    for lapsed in lapsed_kinds
                )
            )
        )
    }
    if not people:
        return Flagged([], 0)
    found = db.session.execute(
        select(Match.id, Match.mentor_id, Match.peer_id)
        .where(
            Match.ended_at.is_(None),
            or_(Match.mentor_id.in_(people), Match.peer_id.in_(people)),
        )
        .order_by(Match.created_at.desc(), Match.id.desc())
    ).all()
    flagged = [
        (row.id, person)
        for row in found
        for person in (row.mentor_id, row.peer_id)
        if person in people
    ]
    newest = flagged[:shown]
    matches = _flagged_rows({match_id for match_id, _ in newest})
    return Flagged(
        [
            (matches[match_id], f"{people[person][0]}: {_NOT_CERTIFIED[people[person][1]]}")
            for match_id, person in newest
        ],
        len(flagged),
    )


def _flagged_rows(match_ids: set[int]) -> dict[int, FlaggedMatch]:
    mentor, peer = aliased(User), aliased(User)
    rows = db.session.execute(
        select(
            Match.id,
            Match.mentor_id,
            Match.created_at,
            mentor.name.label("mentor_name"),
            Mentee.id.label("mentee_id"),
            Mentee.name.label("mentee_name"),
            peer.id.label("peer_id"),
            peer.name.label("peer_name"),
        )
        .join(mentor, mentor.id == Match.mentor_id)
        .outerjoin(Mentee, Mentee.id == Match.mentee_id)
        .outerjoin(peer, peer.id == Match.peer_id)
        .where(Match.id.in_(match_ids))
    )
    return {
        row.id: FlaggedMatch(
            id=row.id,
            mentor_id=row.mentor_id,
            created_at=row.created_at,
            mentor=Named(row.mentor_id, row.mentor_name),
            mentee=Named(row.mentee_id, row.mentee_name) if row.mentee_id is not None else None,
            peer=Named(row.peer_id, row.peer_name) if row.peer_id is not None else None,
        )
        for row in rows
    }


def save_profile(
    user: User,
    *,
    career_stage: CareerStage,
    interests: list[str],
    capacity: int,
    open_to_other_specialties: bool,
    specialty: str,
    now: datetime,
) -> MentorProfile:
    profile = profile_of(user) or MentorProfile(user_id=user.id)
    profile.career_stage = career_stage
    profile.interests = sorted(set(interests))
    profile.capacity = capacity
    profile.open_to_other_specialties = open_to_other_specialties
    profile.updated_at = now
    user.specialty = specialty.strip()
    db.session.add(profile)
    db.session.flush()
    return profile


def add_mentee(
    *, name: str, email: str, specialty: str, career_stage: CareerStage, interests: list[str]
) -> Mentee:
    email = email.strip().lower()
    if db.session.scalar(select(Mentee).where(Mentee.email == email)):
        raise MatchError(f"There is already a mentee with the e-mail {email}.")
    mentee = Mentee(
        name=name.strip(),
        email=email,
        specialty=specialty.strip(),
        career_stage=career_stage,
        interests=sorted(set(interests)),
    )
    db.session.add(mentee)
    db.session.flush()
    return mentee


def list_mentees() -> list[Mentee]:
    return list(db.session.scalars(select(Mentee).order_by(Mentee.name)))


def stage_from_text(value: str) -> CareerStage | None:
    """A career stage from its value or label, forgiving about case, spaces and dashes."""
    wanted = value.strip().lower().replace("-", " ").replace("_", " ")
    for stage in CareerStage:
        if wanted in (stage.value.replace("_", " "), stage.label.lower().replace("-", " ")):
            return stage
    return None
