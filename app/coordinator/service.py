"""The coordinator's view of the program: filter, sort, page and export mentors' standing."""

import csv
import io
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.auth.models import User
from app.certification import standing as standings_module
from app.certification.standing import MentorStatus, Standing
from app.courses.models import Certification, Lesson, LessonCompletion
from app.extensions import db
from app.matching import service as matching
from app.matching.models import Match
from app.quizzes.models import Attempt

PER_PAGE = 25
SORTS = ("name", "status", "progress", "quiz", "certified", "expires", "activity")
STATUS_FILTERS = (*[s.value for s in MentorStatus], "expiring")


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


def _matches(row: Standing, filters: Filters, now: datetime) -> bool:
    if filters.status == "expiring":
        if not row.expiring:
            return False
    elif filters.status and row.status.value != filters.status:
        return False
    if filters.specialty and (row.mentor.specialty or "").lower() != filters.specialty.lower():
        return False
    if filters.expires_within is not None:
        limit = now + timedelta(days=filters.expires_within)
        if (
            row.status is not MentorStatus.CERTIFIED
            or row.expires_at is None
            or row.expires_at > limit
        ):
            return False
    if filters.search:
        needle = filters.search.lower()
        if needle not in row.mentor.name.lower() and needle not in row.mentor.email.lower():
            return False
    return True


def _overall_percent(row: Standing) -> int:
    total = sum(c.lessons_total for c in row.courses)
    return round(100 * sum(c.lessons_done for c in row.courses) / total) if total else 0


_EARLY, _LATE = datetime.min, datetime.max


def _sort_key(filters: Filters):
    keys = {
        "name": lambda r: r.mentor.name.lower(),
        "status": lambda r: (list(MentorStatus).index(r.status), r.mentor.name.lower()),
        "progress": lambda r: (_overall_percent(r), r.mentor.name.lower()),
        "quiz": lambda r: r.best_quiz_percent if r.best_quiz_percent is not None else -1,
        "certified": lambda r: r.certified_at or _EARLY,
        "expires": lambda r: r.expires_at or _LATE,
        "activity": lambda r: r.last_activity or _EARLY,
    }
    return keys[filters.sort]


@dataclass(frozen=True)
class Dashboard:
    rows: list[Standing]
    total: int
    page: int
    pages: int
    funnel: dict[str, int]
    specialties: list[str]
    certification: Certification | None
    flagged: list[tuple[Match, str]]


FUNNEL = ("not started", "in progress", "certified", "expiring", "expired", "revoked")


def funnel_of(rows: list[Standing]) -> dict[str, int]:
    counts = Counter()
    for row in rows:
        if row.status is MentorStatus.CERTIFIED and row.expiring:
            counts["expiring"] += 1
        else:
            counts[row.status.label.lower()] += 1
    return {stage: counts.get(stage, 0) for stage in FUNNEL}


def all_standings(certification: Certification | None, *, now: datetime) -> list[Standing]:
    mentors = list(
        db.session.scalars(standings_module.mentors_query().order_by(User.name)).unique()
    )
    return standings_module.standings(mentors, certification, now=now)


def filtered(rows: list[Standing], filters: Filters, *, now: datetime) -> list[Standing]:
    chosen = [row for row in rows if _matches(row, filters, now)]
    return sorted(chosen, key=_sort_key(filters), reverse=filters.descending)


def dashboard(filters: Filters, certification: Certification | None, *, now: datetime) -> Dashboard:
    rows = all_standings(certification, now=now)
    chosen = filtered(rows, filters, now=now)
    pages = max(1, -(-len(chosen) // PER_PAGE))
    page = min(filters.page, pages)
    start = (page - 1) * PER_PAGE
    specialties = sorted({row.mentor.specialty for row in rows if row.mentor.specialty})
    return Dashboard(
        rows=chosen[start : start + PER_PAGE],
        total=len(chosen),
        page=page,
        pages=pages,
        funnel=funnel_of(rows),
        specialties=specialties,
        certification=certification,
        flagged=matching.flagged_matches(certification_slug=certification.slug, now=now)
        if certification
        else [],
    )


FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: object) -> str:
    """Text a spreadsheet shows as text: a leading formula character is neutralised."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _date(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d") if moment else ""


def csv_lines(rows: list[Standing]) -> Iterator[str]:
    """The rows as CSV, a line at a time; starts with a BOM so spreadsheets read UTF-8."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    course_titles = [c.title for c in rows[0].courses] if rows else []
    writer.writerow(
        [
            "Name",
            "E-mail",
            "Specialty",
            "Status",
            *[f"{t} (% lessons)" for t in course_titles],
            "Best quiz %",
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
        status = "expiring" if row.expiring else row.status.value
        writer.writerow(
            [
                spreadsheet_safe(v)
                for v in (
                    row.mentor.name,
                    row.mentor.email,
                    row.mentor.specialty or "",
                    status,
                    *[c.percent for c in row.courses],
                    "" if row.best_quiz_percent is None else row.best_quiz_percent,
                    _date(row.certified_at),
                    _date(row.expires_at),
                    row.certificate.code if row.certificate else "",
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
