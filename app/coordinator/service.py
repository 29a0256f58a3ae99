"""The coordinator's view of the program: filter, sort, page and export mentors' standing."""

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import selectinload

from app.auth.models import User
from app.certification import standing
from app.certification.models import Certificate, MentorStanding
from app.certification.standing import MentorStatus, Standing
from app.courses.models import Certification, Lesson, LessonCompletion
from app.courses.progress import current_courses, current_practice, progress_for
from app.extensions import db
from app.matching import service as matching
from app.quizzes.models import Attempt

PER_PAGE = 25
SORTS = ("name", "status", "progress", "quiz", "certified", "expires", "activity")
STATUS_FILTERS = (*[s.value for s in MentorStatus], "expiring", standing.AWAITING_OBSERVATION)


def _small_number(text: str) -> bool:
    """ASCII digits only (isdigit() also accepts '²', which int() refuses), at most six."""
    return bool(re.fullmatch(r"[0-9]{1,6}", text))


@dataclass(frozen=True)
class Filters:
    status: str = ""
    specialty: str = ""
    expires_within: int | None = None
    search: str = ""
    sort: str = "name"
    descending: bool = False
    page: int = 1

    @classmethod
    def from_args(cls, args) -> "Filters":
        """Read the query string, ignoring anything malformed rather than failing."""
        status = args.get("status", "")
        days = args.get("expires_within", "")
        page = args.get("page", "1")
        sort = args.get("sort", "name")
        return cls(
            status=status if status in STATUS_FILTERS else "",
            specialty=args.get("specialty", "").strip()[:120],
            expires_within=int(days) if _small_number(days) and int(days) <= 3650 else None,
            search=args.get("q", "").strip()[:200],
            sort=sort if sort in SORTS else "name",
            descending=args.get("dir") == "desc",
            page=int(page) if _small_number(page) and int(page) > 0 else 1,
        )

    def query_args(self, **changes) -> dict:
        current = replace(self, **changes)
        args = {
            "status": current.status,
            "specialty": current.specialty,
            "expires_within": current.expires_within,
            "q": current.search,
            "sort": current.sort if current.sort != "name" else None,
            "dir": "desc" if current.descending else None,
            "page": current.page if current.page > 1 else None,
        }
        return {key: value for key, value in args.items() if value}


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _conditions(certification: Certification, filters: Filters, *, now: datetime) -> list:
    """WHERE clauses on the stored standings for the filters."""
    s = MentorStanding
    conditions = [s.certification_id == certification.id]
    if filters.status:
        conditions.append(standing.where_status(filters.status, now))
    if filters.specialty:
        conditions.append(s.specialty_key == filters.specialty.strip().lower())
    if filters.expires_within is not None:
        conditions.append(standing.where_status(MentorStatus.CERTIFIED, now))
        conditions.append(s.expires_at <= now + timedelta(days=filters.expires_within))
    if filters.search:
        needle = _like(filters.search)
        conditions.append(
            or_(s.name_key.like(needle, escape="\\"), func.lower(s.email).like(needle, escape="\\"))
        )
    return conditions


_STATUS_RANK = {status.value: rank for rank, status in enumerate(MentorStatus)}


def _order(filters: Filters, now: datetime) -> list:
    """ORDER BY for the chosen sort; the name, then the id, break ties."""
    s = MentorStanding
    by_name = [s.name_key, s.user_id]
    if filters.sort == "name":
        return [c.desc() for c in by_name] if filters.descending else by_name
    key = {
        "status": case(_STATUS_RANK, value=standing.status_sql(now)),
        "progress": s.percent,
        "quiz": s.best_quiz_percent,
        "certified": s.issued_at,
        "expires": s.expires_at,
        "activity": s.last_activity_at,
    }[filters.sort]
    # Without a value: first when ascending, except "expires", where never is last.
    empty_last = filters.sort == "expires"
    if filters.descending:
        ordered = key.desc().nulls_first() if empty_last else key.desc().nulls_last()
    else:
        ordered = key.asc().nulls_last() if empty_last else key.asc().nulls_first()
    return [ordered, *by_name]


@dataclass(frozen=True)
class Dashboard:
    rows: list[Standing]
    total: int
    page: int
    pages: int
    funnel: dict[str, int]
    specialties: list[str]
    certification: Certification | None
    flagged: matching.Flagged


FUNNEL = (
    "not started",
    "in progress",
    "awaiting observation",
    "certified",
    "expiring",
    "expired",
    "revoked",
)


def funnel(certification: Certification, *, now: datetime) -> dict[str, int]:
    """How many mentors are at each stage: a GROUP BY of the stored state (read from its
    index alone), then which holders have expired or are expiring, counted through the
    expiry and renewal indexes, and who has finished the courses and awaits an
    observation of practice, through the awaiting index."""
    s = MentorStanding
    here = s.certification_id == certification.id
    by_state = dict(
        db.session.execute(select(s.state, func.count()).where(here).group_by(s.state)).all()
    )
    expired = db.session.scalar(
        select(func.count()).where(here, standing.where_status(MentorStatus.EXPIRED, now))
    )
    expiring = db.session.scalar(select(func.count()).where(here, standing.expiring_sql(now)))
    awaiting = db.session.scalar(select(func.count()).where(here, standing.awaiting_sql()))
    return {
        "not started": by_state.get("not_started", 0),
        "in progress": by_state.get("in_progress", 0) - awaiting,
        "awaiting observation": awaiting,
        "certified": by_state.get("holds", 0) - expired - expiring,
        "expiring": expiring,
        "expired": expired,
        "revoked": by_state.get("revoked", 0),
    }


def specialties(certification: Certification) -> list[str]:
    """The specialties mentors gave, each once. A recursive query steps from one key to
    the next through the index, so it reads one entry per specialty, not one per mentor."""
    s = MentorStanding
    here = s.certification_id == certification.id
    keys = select(func.min(s.specialty_key).label("key")).where(here).cte("keys", recursive=True)
    following = select(
        select(func.min(s.specialty_key))
        .where(here, s.specialty_key > keys.c.key)
        .scalar_subquery()
    ).where(keys.c.key.is_not(None))
    keys = keys.union_all(following)
    shown_as = (
        select(s.specialty).where(here, s.specialty_key == keys.c.key).limit(1).scalar_subquery()
    )
    return sorted(
        db.session.scalars(select(shown_as).where(keys.c.key.is_not(None))), key=str.lower
    )


@dataclass(frozen=True)
class MentorPage:
    rows: list[Standing]
    total: int
    page: int
    pages: int


def mentor_page(filters: Filters, certification: Certification, *, now: datetime) -> MentorPage:
    """One page of mentors: filtered, sorted, counted and paged in the database."""
    conditions = _conditions(certification, filters, now=now)
    total = db.session.scalar(select(func.count()).select_from(MentorStanding).where(*conditions))
    pages = max(1, -(-total // PER_PAGE))
    page = min(filters.page, pages)
    rows = db.session.scalars(
        select(MentorStanding)
        .where(*conditions)
        .order_by(*_order(filters, now))
        .limit(PER_PAGE)
        .offset((page - 1) * PER_PAGE)
    ).all()
    return MentorPage(
        standing.page_standings(list(rows), certification, now=now), total, page, pages
    )


def dashboard(filters: Filters, certification: Certification | None, *, now: datetime) -> Dashboard:
    """One page of mentors with the funnel, the specialties and the flagged matches."""
    if certification is None:
        return Dashboard([], 0, 1, 1, dict.fromkeys(FUNNEL, 0), [], None, matching.Flagged([], 0))
    found = mentor_page(filters, certification, now=now)
    return Dashboard(
        rows=found.rows,
        total=found.total,
        page=found.page,
        pages=found.pages,
        funnel=funnel(certification, now=now),
        specialties=specialties(certification),
        certification=certification,
        flagged=matching.flagged_matches(certification_slug=certification.slug, now=now),
    )


@dataclass(frozen=True)
class ExportRow:
    name: str
    email: str
    specialty: str | None
    status: str  # a MentorStatus value, or "expiring"
    course_percents: tuple[int, ...]
    best_quiz_percent: int | None
    practice: str  # "done", "not yet", or "" when the certification asks for none
    certified_at: datetime | None
    expires_at: datetime | None
    certificate_code: str | None
    last_activity: datetime | None


def export(
    certification: Certification | None, filters: Filters, *, now: datetime
) -> tuple[list[str], Iterator[ExportRow]]:
    """The program's course titles, and every mentor the filters choose, sorted: read as
    one stream, a batch at a time, so memory stays the same however many mentors."""
    if certification is None:
        return [], iter(())
    courses = current_courses(db.session.connection(), certification.course_slugs)
    has_practice = bool(current_practice(db.session.connection(), certification.id))
    s = MentorStanding
    query = (
        select(
            s.user_id,
            User.name,
            User.email,
            User.specialty,
            s.state,
            s.expires_at,
            s.renewal_opens_at,
            s.best_quiz_percent,
            s.practice_done,
            s.issued_at,
            Certificate.code,
            s.last_activity_at,
        )
        .join(User, User.id == s.user_id)
        .outerjoin(Certificate, Certificate.id == s.certificate_id)
        .where(*_conditions(certification, filters, now=now))
        .order_by(*_order(filters, now))
    )

    def rows() -> Iterator[ExportRow]:
        connection = db.session.connection()  # read while the response streams
        streamed = connection.execution_options(stream_results=True).execute(query)
        for chunk in streamed.partitions(standing.BATCH):
            progress = progress_for(connection, [row.user_id for row in chunk], courses)
            for row in chunk:
                status, expiring = standing.status_at(
                    row.state, row.expires_at, row.renewal_opens_at, now
                )
                yield ExportRow(
                    name=row.name,
                    email=row.email,
                    specialty=row.specialty,
                    status="expiring" if expiring else status.value,
                    course_percents=tuple(c.percent for c in progress[row.user_id].courses),
                    best_quiz_percent=row.best_quiz_percent,
                    practice=("done" if row.practice_done else "not yet") if has_practice else "",
                    certified_at=row.issued_at,
                    expires_at=row.expires_at,
                    certificate_code=row.code,
                    last_activity=row.last_activity_at,
                )

    return [course.title for course in courses], rows()


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> str:
    """Text a spreadsheet shows as text: a leading formula character is neutralised."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _date(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d") if moment else ""


def csv_lines(course_titles: list[str], rows: Iterable[ExportRow]) -> Iterator[str]:
    """The rows as CSV, a line at a time; starts with a BOM so spreadsheets read UTF-8."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(
        [
            "Name",
            "E-mail",
            "Specialty",
            "Status",
            *[f"{t} (% lessons)" for t in course_titles],
            "Best quiz %",
            "Observed practice",
            "Certified",
            "Expires",
            "Certificate",
            "Last activity",
        ]
    )
    yield "\ufeff" + buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(
            [
                spreadsheet_safe(v)
                for v in (
                    row.name,
                    row.email,
                    row.specialty or "",
                    row.status,
                    *row.course_percents,
                    "" if row.best_quiz_percent is None else row.best_quiz_percent,
                    row.practice,
                    _date(row.certified_at),
                    _date(row.expires_at),
                    row.certificate_code or "",
                    _date(row.last_activity),
                )
            ]
        )
        yield buffer.getvalue()


@dataclass(frozen=True)
class History:
    completions: list[tuple[LessonCompletion, Lesson]]
    attempts: list[Attempt]


def history_of(mentor: User) -> History:
    completions = db.session.execute(
        select(LessonCompletion, Lesson)
        .join(Lesson, Lesson.id == LessonCompletion.lesson_id)
        .where(LessonCompletion.user_id == mentor.id)
        .order_by(LessonCompletion.completed_at.desc())
    ).all()
    attempts = db.session.scalars(
        select(Attempt)
        .options(selectinload(Attempt.quiz))
        .where(Attempt.user_id == mentor.id)
        .order_by(Attempt.started_at.desc())
    ).all()
    return History([(c, lesson) for c, lesson in completions], list(attempts))
