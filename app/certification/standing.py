"""Where each mentor stands toward a certification: computed from the progress model
(app.courses.progress) and the latest certificate, and stored as a MentorStanding row so
the dashboard, the CSV, the API and the reminders filter, sort, count and page in the
database, at a cost that does not grow with the program.

The stored rows follow every change in the same transaction: an ORM flush that touches
lessons done, attempts, observations of practice, certificates, roles or a mentor's name,
e-mail or specialty refreshes those people's rows (`_refresh_after_flush`); writes that
bypass the ORM call `refresh_users`; a content sync that changes anything rebuilds them
all.
"""

import enum
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, delete, event, func, insert, inspect, or_, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from app.auth.models import Role, User, UserRole
from app.certification import service
from app.certification.models import Certificate, MentorStanding
from app.courses.models import Certification, LessonCompletion
from app.courses.progress import (
    CourseFacts,
    PracticeFacts,
    Progress,
    current_courses,
    current_practice,
    progress_for,
)
from app.extensions import db
from app.matching.models import Match
from app.practice.models import PracticeItem, PracticeObservation
from app.quizzes.models import Attempt

BATCH = 500  # people per refresh (and CSV) batch: a few queries each


class MentorStatus(enum.StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    CERTIFIED = "certified"
    EXPIRED = "expired"
    REVOKED = "revoked"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


# --- the rule ----------------------------------------------------------------------------


def stored_state(certificate, progress: Progress) -> str:
    """The part of a mentor's status that does not depend on the time."""
    if certificate is not None:
        return "revoked" if certificate.revoked_at is not None else "holds"
    return "in_progress" if progress.started else "not_started"


def status_at(
    state: str, expires_at: datetime | None, renewal_opens_at: datetime | None, now: datetime
) -> tuple[MentorStatus, bool]:
    """(status, expiring) at `now`; `status_sql` and `expiring_sql` say the same in SQL."""
    if state != "holds":
        return MentorStatus(state), False
    if expires_at is not None and expires_at <= now:
        return MentorStatus.EXPIRED, False
    return MentorStatus.CERTIFIED, renewal_opens_at is not None and now >= renewal_opens_at


def _holds_expired(now: datetime):
    return and_(MentorStanding.expires_at.is_not(None), MentorStanding.expires_at <= now)


def status_sql(now: datetime):
    return case(
        (MentorStanding.state != "holds", MentorStanding.state),
        (_holds_expired(now), MentorStatus.EXPIRED.value),
        else_=MentorStatus.CERTIFIED.value,
    )


def expiring_sql(now: datetime):
    return and_(
        MentorStanding.state == "holds",
        or_(MentorStanding.expires_at.is_(None), MentorStanding.expires_at > now),
        MentorStanding.renewal_opens_at <= now,
    )


AWAITING_OBSERVATION = "awaiting_observation"


def awaiting_sql():
    """In progress, courses complete, observed practice not done yet."""
    return and_(
        MentorStanding.state == MentorStatus.IN_PROGRESS.value,
        MentorStanding.courses_complete.is_(True),
        MentorStanding.practice_done.is_(False),
    )


def where_status(status: str, now: datetime):
    """The filter for one status, or "expiring", or "awaiting_observation", written so
    indexes can serve it."""
    if status == "expiring":
        return expiring_sql(now)
    if status == AWAITING_OBSERVATION:
        return awaiting_sql()
    if status == MentorStatus.CERTIFIED:
        return and_(MentorStanding.state == "holds", ~_holds_expired(now))
    if status == MentorStatus.EXPIRED:
        return and_(MentorStanding.state == "holds", _holds_expired(now))
    return MentorStanding.state == status


# --- what the pages show -------------------------------------------------------------------


@dataclass(frozen=True)
class Standing:
    mentor: User
    status: MentorStatus
    courses: tuple[CourseFacts, ...]
    certificate: Certificate | None  # the latest one, whatever its state
    last_activity: datetime | None
    expiring: bool = False  # valid, and inside the renewal window
    best_quiz_percent: int | None = None
    practice: tuple[PracticeFacts, ...] = ()

    @property
    def courses_complete(self) -> bool:
        return Progress(self.courses).courses_complete()

    @property
    def practice_done(self) -> bool:
        return Progress(self.courses, practice=self.practice).practice_done

    @property
    def awaiting_observation(self) -> bool:
        """Courses complete, only observed practice missing (and no certificate yet)."""
        progress = Progress(self.courses, practice=self.practice)
        return self.status is MentorStatus.IN_PROGRESS and progress.awaiting_observation

    @property
    def certified_at(self) -> datetime | None:
        return self.certificate.issued_at if self.certificate else None

    @property
    def expires_at(self) -> datetime | None:
        return self.certificate.expires_at if self.certificate else None


def program_certification(slug: str) -> Certification | None:
    return db.session.scalar(select(Certification).where(Certification.slug == slug))


def mentors_query():
    return (
        select(User).join(UserRole, UserRole.user_id == User.id).where(UserRole.role == Role.MENTOR)
    )


def standings(
    mentors: list[User], certification: Certification | None, *, now: datetime
) -> list[Standing]:
    """Standing of each mentor, computed fresh from the progress model (a fixed number of
    queries). Give it a page of mentors: listings read the stored rows instead."""
    if not mentors:
        return []
    connection = db.session.connection()
    courses = current_courses(connection, certification.course_slugs) if certification else []
    practice = current_practice(connection, certification.id) if certification else []
    progress = progress_for(connection, [m.id for m in mentors], courses, practice)
    ids = [m.id for m in mentors]
    latest = service.latest_certificates(certification, ids) if certification else {}
    result = []
    for mentor in mentors:
        facts, certificate = progress[mentor.id], latest.get(mentor.id)
        opens = service.renewal_opens_at(certificate, certification) if certificate else None
        status, expiring = status_at(
            stored_state(certificate, facts),
            certificate.expires_at if certificate else None,
            opens,
            now,
        )
        result.append(
            Standing(
                mentor=mentor,
                status=status,
                courses=facts.courses,
                certificate=certificate,
                last_activity=facts.last_activity,
                expiring=expiring,
                best_quiz_percent=facts.best_quiz_percent,
                practice=facts.practice,
            )
        )
    return result


def standing_of(mentor: User, certification: Certification | None, *, now: datetime) -> Standing:
    return standings([mentor], certification, now=now)[0]


def page_standings(
    rows: list[MentorStanding], certification: Certification, *, now: datetime
) -> list[Standing]:
    """Stored rows (a page of them) as Standings, with each course's progress: a fixed
    number of queries for the whole page."""
    ids = [row.user_id for row in rows]
    users = {
        user.id: user for user in db.session.scalars(select(User).where(User.id.in_(ids))).unique()
    }
    certificate_ids = [row.certificate_id for row in rows if row.certificate_id is not None]
    certificates = {
        c.id: c
        for c in db.session.scalars(select(Certificate).where(Certificate.id.in_(certificate_ids)))
    }
    connection = db.session.connection()
    progress = progress_for(
        connection,
        ids,
        current_courses(connection, certification.course_slugs),
        current_practice(connection, certification.id),
    )
    result = []
    for row in rows:
        status, expiring = status_at(row.state, row.expires_at, row.renewal_opens_at, now)
        result.append(
            Standing(
                mentor=users[row.user_id],
                status=status,
                courses=progress[row.user_id].courses,
                certificate=certificates.get(row.certificate_id),
                last_activity=row.last_activity_at,
                expiring=expiring,
                best_quiz_percent=row.best_quiz_percent,
                practice=progress[row.user_id].practice,
            )
        )
    return result


# --- keeping the stored rows in step ------------------------------------------------------


def _batches(ids: list[int]) -> Iterator[list[int]]:
    for start in range(0, len(ids), BATCH):
        yield ids[start : start + BATCH]


def _latest_certificates(connection: Connection, certification_id: int, ids: list[int]) -> dict:
    rows = connection.execute(
        select(
            Certificate.id,
            Certificate.user_id,
            Certificate.issued_at,
            Certificate.expires_at,
            Certificate.revoked_at,
        )
        .where(Certificate.certification_id == certification_id, Certificate.user_id.in_(ids))
        .order_by(Certificate.issued_at, Certificate.id)
    )
    return {row.user_id: row for row in rows}  # the newest wins


def _active_matches(connection: Connection, ids: list[int]) -> dict[int, int]:
    """How many active matches each person is in, as mentor or as peer."""
    counts: dict[int, int] = {}
    for side in (Match.mentor_id, Match.peer_id):
        for person, count in connection.execute(
            select(side, func.count()).where(side.in_(ids), Match.ended_at.is_(None)).group_by(side)
        ):
            counts[person] = counts.get(person, 0) + count
    return counts


def _rows_for(connection: Connection, mentors: list, certification) -> list[dict]:
    ids = [mentor.id for mentor in mentors]
    progress = progress_for(
        connection,
        ids,
        current_courses(connection, certification.course_slugs),
        current_practice(connection, certification.id),
    )
    latest = _latest_certificates(connection, certification.id, ids)
    matched = _active_matches(connection, ids)
    rows = []
    for mentor in mentors:
        facts, certificate = progress[mentor.id], latest.get(mentor.id)
        specialty = (mentor.specialty or "").strip() or None
        rows.append(
            {
                "user_id": mentor.id,
                "certification_id": certification.id,
                "name_key": mentor.name.lower(),
                "email": mentor.email,
                "specialty": specialty,
                "specialty_key": specialty.lower() if specialty else None,
                "state": stored_state(certificate, facts),
                "lessons_done": facts.lessons_done,
                "lessons_total": facts.lessons_total,
                "percent": facts.percent,
                "courses_complete": facts.courses_complete(),
                "practice_done": facts.practice_done,
                "best_quiz_percent": facts.best_quiz_percent,
                "last_activity_at": facts.last_activity,
                "certificate_id": certificate.id if certificate else None,
                "issued_at": certificate.issued_at if certificate else None,
                "expires_at": certificate.expires_at if certificate else None,
                "renewal_opens_at": service.renewal_opens_at(certificate, certification)
                if certificate
                else None,
                "active_matches": matched.get(mentor.id, 0),
            }
        )
    return rows


def refresh_users(connection: Connection, user_ids: Iterable[int]) -> None:
    """Recompute these people's stored standings (rows only for those who are mentors)."""
    ids = sorted(set(user_ids))
    if not ids:
        return
    certifications = connection.execute(
        select(
            Certification.id,
            Certification.course_slugs,
            Certification.renewal_window_days,
        ).where(Certification.archived_at.is_(None))
    ).all()
    for batch in _batches(ids):
        # One refresh per person at a time: on PostgreSQL a second transaction waits here
        # for the first to commit, then reads what it wrote (SQLite: the write lock). NO KEY
        # UPDATE, as in app.rows.lock_user, so rows referencing the user cannot deadlock it.
        connection.execute(
            select(User.id)
            .where(User.id.in_(batch))
            .order_by(User.id)
            .with_for_update(key_share=True)
        )
        connection.execute(delete(MentorStanding).where(MentorStanding.user_id.in_(batch)))
        mentors = connection.execute(
            select(User.id, User.name, User.email, User.specialty)
            .join(UserRole, UserRole.user_id == User.id)
            .where(User.id.in_(batch), UserRole.role == Role.MENTOR)
        ).all()
        if not mentors:
            continue
        rows = [row for c in certifications for row in _rows_for(connection, mentors, c)]
        if rows:
            connection.execute(insert(MentorStanding), rows)


# What a rebuild reads and writes.
_REBUILT_FROM = (
    MentorStanding,
    PracticeItem,
    PracticeObservation,
    Certificate,
    Certification,
    LessonCompletion,
    Attempt,
    Match,
)


def schema_is_current(connection: Connection) -> bool:
    """Whether the tables a rebuild reads and writes have every column the models give
    them. Migrations call `rebuild_all` with today's code: run from a revision older than
    the models (f3a9c2d8e4b1, upgrading a database from before it), it would ask for tables
    and columns that later revisions add, and fail the upgrade."""
    found = inspect(connection)
    for model in _REBUILT_FROM:
        table = model.__table__
        if not found.has_table(table.name):
            return False
        if not set(table.columns.keys()) <= {c["name"] for c in found.get_columns(table.name)}:
            return False
    return True


def rebuild_all(connection: Connection) -> int:
    """Every stored standing again (after a content sync, a migration or a bulk import);
    returns how many mentors. On a schema behind the models (inside an older migration)
    it does nothing: the latest revision that changes the standings rebuilds them."""
    if not schema_is_current(connection):
        return 0
    connection.execute(delete(MentorStanding))
    ids = list(
        connection.scalars(
            select(UserRole.user_id).where(UserRole.role == Role.MENTOR).order_by(UserRole.user_id)
        )
    )
    refresh_users(connection, ids)
    # Fresh statistics, so the query planner knows which filters are selective (SQLite
    # keeps none until asked; PostgreSQL's autovacuum would catch up later).
    connection.exec_driver_sql(
        "ANALYZE" if connection.dialect.name == "sqlite" else "ANALYZE mentor_standings"
    )
    return len(ids)


_WATCHED_USER_FIELDS = ("name", "email", "specialty")


def _people_touched(session: Session) -> set[int]:
    touched = set()
    for item in (*session.new, *session.dirty, *session.deleted):
        if isinstance(
            item, LessonCompletion | Attempt | Certificate | UserRole | PracticeObservation
        ):
            touched.add(item.user_id)
        elif isinstance(item, Match):
            touched.update((item.mentor_id, item.peer_id))
        elif isinstance(item, User):
            state = inspect(item)
            if item in session.new or any(
                state.attrs[name].history.has_changes() for name in _WATCHED_USER_FIELDS
            ):
                touched.add(item.id)
    touched.discard(None)
    return touched


@event.listens_for(Session, "after_flush")
def _refresh_after_flush(session: Session, _context) -> None:
    if people := _people_touched(session):
        refresh_users(session.connection(), people)
