"""Fill a bench database with a program's worth of mentors, in bulk.

Run by run.py in the bench's environment, after `preceptor db upgrade`, `content sync`
and `demo`: the courses, quizzes, certification and forum categories are the
repository's and the demo's. On top of them, in one transaction of SQLAlchemy Core
executemany inserts (fast on SQLite and on PostgreSQL):

- N mentors (users, user_roles; one shared password hash; a specialty for most), about
  30 % not started, 40 % part-way through the program's lessons, 30 % finished;
- their lesson completions (about 8 per mentor) and submitted quiz attempts (about 2.4
  per mentor), passed and failed, in a plausible order and pace;
- a certificate for each mentor who finished (a few revoked, about a tenth expired,
  some inside the renewal window), mentor profiles for some;
- N / 5 mentees, each matched with a mentor who finished (a few of those mentors no
  longer certified, so the dashboard has matches to flag), a fifth of the matches ended;
- forum threads holding N / 2 posts, numbered per thread, with their counters;
- the bench's own accounts: a coordinator (an educator too, for the question
  statistics), a mentor part-way through (the pages every mentor opens) and a certified
  mentor, with full quiz snapshots like a real attempt's;
- retakes by mentors who took the first course's quiz until it has --stats-attempts
  graded attempts (50,000 at 10,000 mentors), each with the rows the question statistics
  add up (attempt_items, attempt_item_choices) for a draw of its questions, as every
  attempt here has for the questions its snapshot holds.

Inserts go to the tables as the migrations made them (reflected), so a column the models
have but no migration has added yet is simply left out. What the run signs in as and
opens is written to --subjects as JSON.
"""

import argparse
import json
import math
import random
import secrets
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import Connection, MetaData, Table, func, select, text

from app import create_app
from app.auth.passwords import hash_password
from app.certification.service import CODE_ALPHABET, add_months
from app.clock import utcnow
from app.extensions import db
from app.matching.models import INTERESTS, CareerStage
from app.quizzes.models import graded_rows

BENCH_DOMAIN = "bench.preceptor.example"
COORDINATOR_EMAIL = f"bench-coordinator@{BENCH_DOMAIN}"
MENTOR_EMAIL = f"bench-mentor@{BENCH_DOMAIN}"
CERTIFIED_EMAIL = f"bench-certified@{BENCH_DOMAIN}"
DEMO_CERTIFIED_EMAIL = "mentor-certified@demo.preceptor.example"
BATCH_ROWS = 20_000  # rows held in memory before they are written
STATS_ATTEMPTS = 50_000  # graded attempts at one quiz, for its statistics page
FULL_SNAPSHOTS = 200  # the first retakes keep their whole draw: the page shows those
THREAD_PAGE_POSTS = 50  # the bench's forum thread: two and a half pages of 20

TABLES = (
    "users",
    "user_roles",
    "mentor_profiles",
    "lesson_completions",
    "attempts",
    "attempt_items",
    "attempt_item_choices",
    "certificates",
    "forum_categories",
    "forum_threads",
    "forum_posts",
    "forum_watches",
    "mentees",
    "matches",
    "courses",
    "lessons",
    "quizzes",
    "questions",
    "certifications",
)
# Parents before children: every batch is written in this order.
INSERT_ORDER = (
    "users",
    "user_roles",
    "mentor_profiles",
    "mentees",
    "matches",
    "lesson_completions",
    "attempts",
    "attempt_items",
    "attempt_item_choices",
    "certificates",
    "forum_threads",
    "forum_posts",
    "forum_watches",
)

SPECIALTIES = (
    "Internal Medicine",
    "Pediatrics",
    "General Surgery",
    "Emergency Medicine",
    "Family Medicine",
    "Psychiatry",
    "Cardiology",
    "Obstetrics and Gynecology",
    "Anesthesiology",
    "Radiology",
    "Neurology",
    "Oncology",
)
FIRST_NAMES = (
    "Aisha", "Ben", "Carmen", "Daniel", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jonas",
    "Kemi", "Liam", "Maya", "Nikhil", "Olga", "Pedro", "Quinn", "Rosa", "Samir", "Tara",
    "Uma", "Victor", "Wen", "Ximena", "Yusuf", "Zoe", "Amir", "Bianca", "Chen", "Dara",
    "Emeka", "Fatima", "Gabriel", "Hana", "Ivan", "Julia", "Kofi", "Lena", "Mateo", "Nadia",
)  # fmt: skip
LAST_NAMES = (
    "Abara", "Berg", "Castillo", "Dubois", "Eriksen", "Fischer", "Gupta", "Haddad", "Ito",
    "Jovanovic", "Kowalski", "Lopez", "Mensah", "Nakamura", "Okonkwo", "Petrov", "Quispe",
    "Rahman", "Silva", "Tanaka", "Usman", "Varga", "Wong", "Yilmaz", "Zhou", "Adeyemi",
    "Brennan", "Costa", "Delgado", "Evans", "Ferreira", "Garcia", "Hoffman", "Iqbal", "Jensen",
    "Kim", "Larsen", "Moreau", "Novak", "Osei", "Park", "Reyes", "Schmidt", "Torres", "Weber",
)  # fmt: skip


@dataclass(frozen=True)
class Quiz:
    id: int
    slug: str
    version: int
    pass_percent: int
    max_attempts: int | None
    # A real attempt's snapshot, answers and results (the demo's passed attempt), for the
    # bench's own mentors; other attempts keep its first question only, to stay small.
    snapshot: list[dict]
    answers: dict
    possible: int


@dataclass(frozen=True)
class Course:
    id: int
    slug: str
    version: int
    lesson_ids: tuple[int, ...]
    quiz: Quiz | None


@dataclass(frozen=True)
class Program:
    certification_id: int
    valid_for_months: int | None
    courses: tuple[Course, ...]

    @property
    def lesson_count(self) -> int:
        return sum(len(course.lesson_ids) for course in self.courses)

    def earned_on(self) -> dict:
        return {
            "courses": {c.slug: c.version for c in self.courses},
            "quizzes": {c.quiz.slug: c.quiz.version for c in self.courses if c.quiz},
        }


@dataclass
class Journey:
    """What one mentor has done, as times relative to their first step."""

    completions: list[tuple[int, timedelta]] = field(default_factory=list)  # lesson id, when
    attempts: list[tuple[Quiz, bool, timedelta]] = field(default_factory=list)  # passed?
    elapsed: timedelta = timedelta(0)

    def step(self, rng: random.Random, shortest: timedelta, longest: timedelta) -> timedelta:
        self.elapsed += shortest + (longest - shortest) * rng.random()
        return self.elapsed


class Writer:
    """Rows buffered per table and written in parent-first order, in one transaction."""

    def __init__(self, connection: Connection, tables: dict[str, Table]):
        self.connection, self.tables = connection, tables
        self.rows: dict[str, list[dict]] = {name: [] for name in INSERT_ORDER}
        self.written: dict[str, int] = dict.fromkeys(INSERT_ORDER, 0)
        self.next_ids = {name: self._max_id(name) + 1 for name in INSERT_ORDER}

    def _max_id(self, name: str) -> int:
        table = self.tables[name]
        return self.connection.scalar(select(func.coalesce(func.max(table.c.id), 0)))

    def new_id(self, name: str) -> int:
        value = self.next_ids[name]
        self.next_ids[name] += 1
        return value

    def add(self, name: str, row: dict) -> None:
        self.rows[name].append(row)
        if len(self.rows[name]) >= BATCH_ROWS:
            self.flush()

    def flush(self) -> None:
        for name in INSERT_ORDER:
            rows, self.rows[name] = self.rows[name], []
            if rows:
                table = self.tables[name]
                present = set(table.c.keys())
                # A column a later migration drops (or an earlier one has not added yet).
                rows = [{k: v for k, v in row.items() if k in present} for row in rows]
                self.connection.execute(table.insert(), rows)
                self.written[name] += len(rows)


# --- reading what the repository's content and the demo made ---------------------------


def read_program(connection: Connection, tables: dict[str, Table], slug: str) -> Program:
    certifications, courses = tables["certifications"], tables["courses"]
    lessons, quizzes, attempts = tables["lessons"], tables["quizzes"], tables["attempts"]
    certification = connection.execute(
        select(certifications).where(certifications.c.slug == slug)
    ).one_or_none()
    if certification is None:
        sys.exit(f"build_data: no certification {slug!r}: did `content sync` run?")
    course_slugs = certification.course_slugs
    if isinstance(course_slugs, str):
        course_slugs = json.loads(course_slugs)
    program_courses = []
    for course_slug in course_slugs:
        course = connection.execute(
            select(courses).where(courses.c.slug == course_slug, courses.c.archived_at.is_(None))
        ).one()
        lesson_ids = connection.scalars(
            select(lessons.c.id)
            .where(lessons.c.course_id == course.id, lessons.c.archived_at.is_(None))
            .order_by(lessons.c.position)
        ).all()
        quiz_row = connection.execute(
            select(quizzes).where(quizzes.c.course_id == course.id, quizzes.c.archived_at.is_(None))
        ).first()
        quiz = read_quiz(connection, attempts, quiz_row) if quiz_row else None
        program_courses.append(
            Course(course.id, course.slug, course.version, tuple(lesson_ids), quiz)
        )
    return Program(certification.id, certification.valid_for_months, tuple(program_courses))


def read_quiz(connection: Connection, attempts: Table, quiz_row) -> Quiz:
    """The quiz, with the demo's passed attempt at it as the model of a real one."""
    example = connection.execute(
        select(attempts.c.snapshot, attempts.c.answers, attempts.c.possible)
        .where(attempts.c.quiz_id == quiz_row.id, attempts.c.passed.is_(True))
        .order_by(attempts.c.id)
    ).first()
    if example is None:
        sys.exit(f"build_data: the demo passed no attempt at quiz {quiz_row.slug!r}")
    snapshot, answers = example.snapshot, example.answers
    if isinstance(snapshot, str):  # a JSON column reflected as text
        snapshot, answers = json.loads(snapshot), json.loads(answers)
    return Quiz(
        id=quiz_row.id,
        slug=quiz_row.slug,
        version=quiz_row.version,
        pass_percent=quiz_row.pass_percent,
        max_attempts=quiz_row.max_attempts,
        snapshot=snapshot,
        answers=answers,
        possible=example.possible,
    )


# --- mentors ------------------------------------------------------------------------------


def plan_journey(
    rng: random.Random, program: Program, lessons_done: int, *, scripted: bool = False
) -> Journey:
    """Lessons in program order; after each course read in full, its quiz (maybe failed
    first); a mentor who read everything passes every quiz. A scripted mentor takes every
    quiz they can, failing once before passing."""
    journey = Journey()
    finished = lessons_done >= program.lesson_count
    remaining = lessons_done
    for course in program.courses:
        for lesson_id in course.lesson_ids[:remaining]:
            when = journey.step(rng, timedelta(minutes=10), timedelta(days=2))
            journey.completions.append((lesson_id, when))
        remaining -= min(remaining, len(course.lesson_ids))
        read_all = len(journey.completions) >= _lessons_through(program, course)
        if course.quiz is None or not read_all:
            continue
        if not (finished or scripted) and rng.random() < 0.25:
            continue  # read the course, not taken its quiz yet
        outcomes = [False, True] if scripted else _quiz_outcomes(rng, course.quiz, finished)
        for passed in outcomes:
            when = journey.step(rng, timedelta(minutes=35), timedelta(days=3))
            journey.attempts.append((course.quiz, passed, when))
    return journey


def _lessons_through(program: Program, last: Course) -> int:
    total = 0
    for course in program.courses:
        total += len(course.lesson_ids)
        if course is last:
            return total
    return total


def _quiz_outcomes(rng: random.Random, quiz: Quiz, must_pass: bool) -> list[bool]:
    failures = rng.choices((0, 1, 2, 3), weights=(40, 30, 20, 10))[0]
    if quiz.max_attempts:
        failures = min(failures, quiz.max_attempts - 1)
    passes = must_pass or rng.random() < 0.6
    return [False] * failures + ([True] if passes else [])


def certificate_end(rng: random.Random, now: datetime) -> tuple[datetime, datetime | None]:
    """(issued at, revoked at): most valid, some inside the renewal window, about a
    tenth expired, a few revoked."""
    draw = rng.random()
    if draw < 0.10:
        return now - timedelta(days=rng.uniform(760, 1030)), None
    if draw < 0.12:
        issued = now - timedelta(days=rng.uniform(30, 600))
        return issued, issued + timedelta(days=rng.uniform(5, 25))
    return now - timedelta(days=rng.uniform(1, 725)), None


def certificate_code(rng: random.Random, taken: set[str]) -> str:
    while True:
        raw = "".join(rng.choice(CODE_ALPHABET) for _ in range(16))
        code = "-".join(raw[i : i + 4] for i in range(0, 16, 4))
        if code not in taken:
            taken.add(code)
            return code


@dataclass
class MentorSpec:
    email: str
    name: str
    lessons_done: int
    specialty: str | None
    # The bench's own mentors: every quiz failed once then passed, real-size snapshots,
    # and (having read everything) a valid certificate issued a month ago.
    scripted: bool = False


class MentorBuilder:
    """Adds mentors with everything they have done, through a Writer."""

    def __init__(
        self,
        writer: Writer,
        program: Program,
        rng: random.Random,
        *,
        now: datetime,
        password_hash: str,
        codes: set[str],  # certificate codes taken so far
    ):
        self.writer, self.program, self.rng = writer, program, rng
        self.now, self.password_hash, self.codes = now, password_hash, codes
        # Mentors who finished: (user id, whether their certificate is valid today).
        self.holders: list[tuple[int, bool]] = []
        # Per quiz id: user id -> (first attempt submitted at, passed it at some point).
        self.takers: dict[int, dict[int, tuple[datetime, bool]]] = {}
        self.attempts_at: dict[int, int] = {}  # quiz id -> graded attempts written

    def add_user(self, spec: MentorSpec, role: str, created_at: datetime) -> int:
        user_id = self.writer.new_id("users")
        handle = f"{spec.name.lower().removeprefix('dr. ').replace(' ', '-')}-{user_id}"
        self.writer.add(
            "users",
            {
                "id": user_id,
                "email": spec.email,
                "name": spec.name,
                "specialty": spec.specialty,
                "handle": handle[:40],
                "password_hash": self.password_hash,
                "created_at": created_at,
                "last_login_at": None,
                "deactivated_at": None,
                "totp_secret": None,
                "totp_enabled_at": None,
                "totp_last_step": None,
            },
        )
        self.writer.add(
            "user_roles", {"id": self.writer.new_id("user_roles"), "user_id": user_id, "role": role}
        )
        return user_id

    def add_mentor(self, spec: MentorSpec) -> tuple[int, list[int], str | None]:
        """The mentor and their history: (user id, attempt ids, certificate code)."""
        rng, now = self.rng, self.now
        journey = plan_journey(rng, self.program, spec.lessons_done, scripted=spec.scripted)
        finished = spec.lessons_done >= self.program.lesson_count
        revoked_at = None
        if finished and spec.scripted:
            end = now - timedelta(days=30)
        elif finished:
            end, revoked_at = certificate_end(rng, now)
        else:
            end = now - timedelta(days=rng.uniform(0.05, 400))
        start = end - journey.elapsed
        created_at = start - timedelta(days=rng.uniform(0, 30))
        if not journey.completions:
            created_at = now - timedelta(days=rng.uniform(0, 730))
        user_id = self.add_user(spec, "mentor", created_at)
        for lesson_id, offset in journey.completions:
            self.writer.add(
                "lesson_completions",
                {
                    "id": self.writer.new_id("lesson_completions"),
                    "user_id": user_id,
                    "lesson_id": lesson_id,
                    "completed_at": start + offset,
                },
            )
        attempt_ids = [
            self.add_attempt(user_id, quiz, passed, start + offset, spec.scripted)
            for quiz, passed, offset in journey.attempts
        ]
        code = None
        if finished:
            issued = end + timedelta(minutes=1)
            code = self.add_certificate(user_id, spec.name, issued, revoked_at)
            months = self.program.valid_for_months
            expired = months is not None and add_months(issued, months) <= now
            self.holders.append((user_id, revoked_at is None and not expired))
        if rng.random() < (0.6 if finished else 0.2 if journey.completions else 0.05):
            self.add_profile(user_id, created_at)
        return user_id, attempt_ids, code

    def add_attempt(
        self, user_id: int, quiz: Quiz, passed: bool, submitted_at: datetime, full: bool
    ) -> int:
        attempt_id = self.writer.new_id("attempts")
        if full:
            snapshot, answers, earned, results = self._graded_in_full(quiz, passed)
            possible = quiz.possible
        else:
            snapshot = quiz.snapshot[:1]
            possible = quiz.possible
            lowest = quiz.pass_percent if passed else 30
            highest = 100 if passed else quiz.pass_percent - 1
            earned = min(possible, -(-self.rng.randint(lowest, highest) * possible // 100))
            if not passed:
                earned = min(earned, (quiz.pass_percent * possible - 1) // 100)
            answers, results = {}, {snapshot[0]["key"]: passed} if snapshot else {}
        first, passed_before = self.takers.setdefault(quiz.id, {}).get(
            user_id, (submitted_at, False)
        )
        self.takers[quiz.id][user_id] = (min(first, submitted_at), passed_before or passed)
        self.attempts_at[quiz.id] = self.attempts_at.get(quiz.id, 0) + 1
        self.write_attempt(
            attempt_id, user_id, quiz, submitted_at, snapshot, answers, results, earned, possible
        )
        return attempt_id

    def write_attempt(
        self,
        attempt_id: int,
        user_id: int,
        quiz: Quiz,
        submitted_at: datetime,
        snapshot: list[dict],
        answers: dict,
        results: dict,
        earned: int,
        possible: int,
        shown: list[dict] | None = None,  # the questions drawn, when the snapshot is cut
    ) -> None:
        """The attempt, and its rows for the question statistics (as quizzes.submit)."""
        self.writer.add(
            "attempts",
            {
                "id": attempt_id,
                "user_id": user_id,
                "quiz_id": quiz.id,
                "quiz_version": quiz.version,
                "started_at": submitted_at - timedelta(minutes=self.rng.uniform(4, 18)),
                "deadline_at": None,
                "snapshot": snapshot,
                "submitted_at": submitted_at,
                "answers": answers,
                "results": results,
                "earned": earned,
                "possible": possible,
                "percent": 100 * earned // possible if possible else 0,
                "passed": earned * 100 >= quiz.pass_percent * possible,
                "late": False,
            },
        )
        items, choices = graded_rows(
            attempt_id=attempt_id,
            quiz_id=quiz.id,
            quiz_version=quiz.version,
            snapshot=snapshot if shown is None else shown,
            answers=answers,
            results=results,
            earned=earned,
            possible=possible,
        )
        for row in items:
            self.writer.add("attempt_items", row)
        for row in choices:
            self.writer.add("attempt_item_choices", row)

    def _graded_in_full(self, quiz: Quiz, passed: bool) -> tuple[list, dict, int, dict]:
        """The demo's snapshot and right answers; a failed try gets the first three wrong."""
        answers = dict(quiz.answers)
        wrong = [] if passed else [q["key"] for q in quiz.snapshot[:3]]
        for key in wrong:
            answers[key] = "no idea" if isinstance(answers.get(key), str) else []
        results = {q["key"]: q["key"] not in wrong for q in quiz.snapshot}
        earned = sum(q["points"] for q in quiz.snapshot if results[q["key"]])
        return quiz.snapshot, answers, earned, results

    def add_certificate(
        self, user_id: int, holder: str, issued_at: datetime, revoked_at: datetime | None
    ) -> str:
        months = self.program.valid_for_months
        code = certificate_code(self.rng, self.codes)
        self.writer.add(
            "certificates",
            {
                "id": self.writer.new_id("certificates"),
                "code": code,
                "user_id": user_id,
                "certification_id": self.program.certification_id,
                "holder_name": holder,
                "issued_at": issued_at,
                "expires_at": add_months(issued_at, months) if months else None,
                "earned_on": self.program.earned_on(),
                "revoked_at": revoked_at,
                "revoked_reason": "Bench: revoked after a complaint" if revoked_at else None,
                "show_in_recognition": self.rng.random() < 0.1,
            },
        )
        return code

    def add_profile(self, user_id: int, created_at: datetime) -> None:
        rng = self.rng
        self.writer.add(
            "mentor_profiles",
            {
                "id": self.writer.new_id("mentor_profiles"),
                "user_id": user_id,
                "career_stage": rng.choice(list(CareerStage)[2:]).value,
                "interests": rng.sample(INTERESTS, rng.randint(1, 3)),
                "capacity": rng.randint(1, 3),
                "open_to_other_specialties": rng.random() < 0.7,
                "updated_at": created_at + timedelta(days=rng.uniform(0, 20)),
            },
        )


def random_spec(rng: random.Random, number: int, lesson_count: int) -> MentorSpec:
    draw = rng.random()
    if draw < 0.30:
        lessons_done = 0
    elif draw < 0.70:
        lessons_done = rng.randint(1, lesson_count - 1)
    else:
        lessons_done = lesson_count
    name = f"Dr. {rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
    specialty = rng.choice(SPECIALTIES) if rng.random() < 0.85 else None
    return MentorSpec(f"mentor{number:06d}@{BENCH_DOMAIN}", name, lessons_done, specialty)


def add_mentors(builder: MentorBuilder, count: int) -> Iterator[int]:
    """Adds `count` mentors, yielding how many are done every 10 %."""
    step = max(1, count // 10)
    for number in range(1, count + 1):
        builder.add_mentor(random_spec(builder.rng, number, builder.program.lesson_count))
        if number % step == 0 or number == count:
            yield number


# --- retakes for the question statistics ------------------------------------------------


def read_questions(connection: Connection, tables: dict[str, Table], quiz: Quiz) -> list[dict]:
    """The quiz's current questions as a snapshot shows them (options under their own
    keys), each with its lesson."""
    questions, lessons = tables["questions"], tables["lessons"]
    rows = connection.execute(
        select(questions, lessons.c.slug, lessons.c.title, lessons.c.position.label("at"))
        .outerjoin(lessons, lessons.c.id == questions.c.lesson_id)
        .where(questions.c.quiz_id == quiz.id, questions.c.archived_at.is_(None))
        .order_by(questions.c.position)
    ).all()
    shown = []
    for row in rows:
        options = json.loads(row.options) if isinstance(row.options, str) else row.options
        shown.append(
            {
                "key": row.key,
                "kind": row.kind,
                "points": row.points,
                "stem_html": row.stem_html,
                "options": [
                    {"key": o["key"], "source": o["key"], "html": o["html"]} for o in options
                ],
                "correct": [o["key"] for o in options if o["correct"]],
                "accepted": [o["text"] for o in options if o["correct"]]
                if row.kind == "text"
                else [],
                "lesson": {"slug": row.slug, "title": row.title, "position": row.at}
                if row.slug
                else None,
            }
        )
    return shown


def add_retakes(builder: MentorBuilder, quiz: Quiz, questions: list[dict], target: int) -> int:
    """Earlier tries by mentors who took the quiz, until it has `target` graded attempts:
    two questions drawn per lesson, each right with a chance that rises with the mentor's
    ability; only a mentor who passed it gets a passing retake. Returns how many."""
    rng = builder.rng
    takers = builder.takers.get(quiz.id, {})
    wanted = target - builder.attempts_at.get(quiz.id, 0)
    if wanted <= 0 or not takers or not questions:
        return 0
    everyone = sorted(takers)
    passers = [user_id for user_id in everyone if takers[user_id][1]]
    pools: dict[str | None, list[dict]] = {}
    for question in questions:
        pools.setdefault((question["lesson"] or {}).get("slug"), []).append(question)
    written = 0
    for number in range(wanted):
        ability = rng.gauss(0, 1)
        shown = [q for pool in pools.values() for q in rng.sample(pool, min(2, len(pool)))]
        answers, results = {}, {}
        for question in shown:
            right = rng.random() < 1 / (1 + math.exp(-(0.8 + ability)))
            answers[question["key"]] = _answer(rng, question, right)
            results[question["key"]] = right
        possible = sum(q["points"] for q in shown)
        earned = sum(q["points"] for q in shown if results[q["key"]])
        passed = earned * 100 >= quiz.pass_percent * possible
        user_id = rng.choice(passers if passed and passers else everyone)
        if passed and not takers[user_id][1]:
            continue  # no passer to give it to
        first = takers[user_id][0]
        builder.write_attempt(
            builder.writer.new_id("attempts"),
            user_id,
            quiz,
            first - timedelta(days=rng.uniform(1, 60)),  # before the attempts they have
            shown if number < FULL_SNAPSHOTS else shown[:1],
            answers,
            results,
            earned,
            possible,
            shown=shown,
        )
        written += 1
    return written


def _answer(rng: random.Random, question: dict, right: bool) -> list[str] | str:
    if question["kind"] == "text":
        return question["accepted"][0] if right and question["accepted"] else "no idea"
    correct = question["correct"]
    wrong = [o["key"] for o in question["options"] if o["key"] not in correct]
    if right or not wrong:
        return list(correct)
    if question["kind"] == "single":
        return [rng.choice(wrong)]
    return sorted(set(correct[1:]) | {rng.choice(wrong)})


# --- mentees and matches ---------------------------------------------------------------


def add_matches(builder: MentorBuilder, mentees: int, coordinator_id: int) -> None:
    """Mentees, each matched once by the coordinator: mostly with a certified mentor, a
    few with one whose certificate has since lapsed (the dashboard flags those), a fifth
    of the matches ended."""
    writer, rng, now = builder.writer, builder.rng, builder.now
    valid = [user_id for user_id, is_valid in builder.holders if is_valid]
    lapsed = [user_id for user_id, is_valid in builder.holders if not is_valid]
    if not valid:
        return
    for number in range(1, mentees + 1):
        mentee_id = writer.new_id("mentees")
        created_at = now - timedelta(days=rng.uniform(1, 500))
        writer.add(
            "mentees",
            {
                "id": mentee_id,
                "name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                "email": f"mentee{number:06d}@{BENCH_DOMAIN}",
                "specialty": rng.choice(SPECIALTIES),
                "career_stage": rng.choice(list(CareerStage)[:3]).value,
                "interests": rng.sample(INTERESTS, rng.randint(1, 3)),
                "created_at": created_at,
            },
        )
        mentor_id = rng.choice(lapsed if lapsed and rng.random() < 0.05 else valid)
        ended_at = created_at + timedelta(days=rng.uniform(30, 300))
        ended = rng.random() < 0.2 and ended_at < now
        writer.add(
            "matches",
            {
                "id": writer.new_id("matches"),
                "kind": "mentee",
                "mentor_id": mentor_id,
                "mentee_id": mentee_id,
                "peer_id": None,
                "created_at": created_at + timedelta(days=rng.uniform(0, 14)),
                "created_by_id": coordinator_id,
                "ended_at": ended_at if ended else None,
                "end_reason": "Goals met" if ended else None,
            },
        )


# --- forum --------------------------------------------------------------------------------


def posts_per_thread(rng: random.Random, posts: int) -> list[int]:
    """The bench's thread first (THREAD_PAGE_POSTS), then a long tail: most threads short,
    a few long, about 20 posts each on average."""
    sizes = [min(THREAD_PAGE_POSTS, posts)]
    left = posts - sizes[0]
    while left > 0:
        size = min(left, max(1, int(rng.paretovariate(1.3) * 6)), 400)
        sizes.append(size)
        left -= size
    return sizes


def add_forum(
    writer: Writer, rng: random.Random, posts: int, authors: list[int], now: datetime
) -> int:
    """Threads with `posts` posts in all; returns the id of the bench's thread."""
    tables, connection = writer.tables, writer.connection
    categories = connection.scalars(select(tables["forum_categories"].c.id)).all()
    pool = connection.execute(
        select(tables["forum_posts"].c.body, tables["forum_posts"].c.body_html)
    ).all()
    titles = connection.scalars(select(tables["forum_threads"].c.title)).all()
    if not (categories and pool and titles):
        sys.exit("build_data: the demo made no forum categories, threads or posts")
    first_thread = None
    for size in posts_per_thread(rng, posts):
        thread_id = writer.new_id("forum_threads")
        first_thread = first_thread or thread_id
        started = now - timedelta(days=rng.uniform(1, 700))
        times = sorted(started + timedelta(hours=rng.uniform(0, 24 * 60)) for _ in range(size))
        times = [min(t, now) for t in times]
        posters = [rng.choice(authors) for _ in range(size)]
        writer.add(
            "forum_threads",
            {
                "id": thread_id,
                "category_id": rng.choice(categories),
                "title": f"{rng.choice(titles)} ({thread_id})",
                "author_id": posters[0],
                "anonymous": False,
                "lesson_id": None,
                "created_at": times[0],
                "post_count": size,
                "last_posted_at": times[-1],
                "last_poster_id": posters[-1],
                "last_post_anonymous": False,
                "pinned": False,
                "locked_at": None,
                "answer_post_id": None,
            },
        )
        for number, (when, author) in enumerate(zip(times, posters, strict=True), start=1):
            body, body_html = rng.choice(pool)
            writer.add(
                "forum_posts",
                {
                    "id": writer.new_id("forum_posts"),
                    "thread_id": thread_id,
                    "number": number,
                    "author_id": author,
                    "anonymous": False,
                    "body": body,
                    "body_html": body_html,
                    "created_at": when,
                    "edited_at": None,
                    "deleted_at": None,
                    "hidden_at": None,
                    "hidden_by_id": None,
                    "hidden_reason": "",
                    "helpful_count": 0,
                },
            )
        for watcher in sorted(set(posters)):  # posting watches the thread, as the service does
            writer.add(
                "forum_watches",
                {
                    "id": writer.new_id("forum_watches"),
                    "thread_id": thread_id,
                    "user_id": watcher,
                    "created_at": times[0],
                },
            )
    return first_thread


# --- the whole build ----------------------------------------------------------------------


def reflect(connection: Connection) -> dict[str, Table]:
    metadata = MetaData()
    metadata.reflect(bind=connection, only=TABLES)
    return {name: metadata.tables[name] for name in TABLES}


def fix_sequences(connection: Connection, tables: dict[str, Table]) -> None:
    """Ids were given explicitly: PostgreSQL's sequences must continue after them."""
    if connection.dialect.name != "postgresql":
        return
    for name in INSERT_ORDER:
        table = tables[name]
        highest = select(func.coalesce(func.max(table.c.id), 1)).scalar_subquery()
        connection.execute(select(func.setval(func.pg_get_serial_sequence(name, "id"), highest)))


def build(args: argparse.Namespace, connection: Connection, now: datetime) -> dict:
    rng = random.Random(args.seed)  # noqa: S311 (test data, not secrets)
    tables = reflect(connection)
    program = read_program(connection, tables, args.certification)
    stats_quiz = program.courses[0].quiz
    attempts = tables["attempts"]
    demo_attempts = connection.scalar(
        select(func.count()).where(
            attempts.c.quiz_id == stats_quiz.id, attempts.c.submitted_at.is_not(None)
        )
    )
    writer = Writer(connection, tables)
    password = "bench-" + secrets.token_urlsafe(18)
    taken_codes = set(connection.scalars(select(tables["certificates"].c.code)))
    builder = MentorBuilder(
        writer,
        program,
        rng,
        now=now,
        password_hash=hash_password(password),
        codes=taken_codes,
    )
    started = time.monotonic()
    for done in add_mentors(builder, args.mentors):
        print(f"  mentors {done:,}/{args.mentors:,} ({time.monotonic() - started:.1f} s)")
    subjects, coordinator_id = add_subjects(builder, program)
    add_matches(builder, args.mentors // 5, coordinator_id)
    builder.attempts_at[stats_quiz.id] = builder.attempts_at.get(stats_quiz.id, 0) + demo_attempts
    questions = read_questions(connection, tables, stats_quiz)
    extra = add_retakes(builder, stats_quiz, questions, args.stats_attempts)
    subjects["quiz_stats_attempts"] = builder.attempts_at[stats_quiz.id] + extra
    writer.flush()
    mentor_ids = connection.scalars(
        select(tables["user_roles"].c.user_id).where(tables["user_roles"].c.role == "mentor")
    ).all()
    thread_id = add_forum(writer, rng, args.posts, list(mentor_ids), now)
    writer.flush()
    fix_sequences(connection, tables)
    print("  rows: " + ", ".join(f"{name} {n:,}" for name, n in writer.written.items()))
    mentee_id = connection.scalar(select(func.min(tables["mentees"].c.id)))
    return {
        **subjects,
        "password": password,
        "thread": f"/forum/t/{thread_id}/",
        "mentee": f"/matching/mentees/{mentee_id}/",
    }


def add_subjects(builder: MentorBuilder, program: Program) -> tuple[dict, int]:
    """The bench's own accounts and the pages it opens as them; the coordinator's id."""
    coordinator_id = builder.add_user(
        MentorSpec(COORDINATOR_EMAIL, "Bench Coordinator", 0, None),
        "coordinator",
        builder.now - timedelta(days=400),
    )
    # An educator too: the question statistics are the educators' (and admins') page.
    builder.writer.add(
        "user_roles",
        {"id": builder.writer.new_id("user_roles"), "user_id": coordinator_id, "role": "educator"},
    )
    first, second = program.courses[0], program.courses[1]
    if first.quiz is None:
        sys.exit(f"build_data: the program's first course ({first.slug}) has no quiz")
    part_way = len(first.lesson_ids) + 2  # the first course read, two lessons of the second
    mentor = MentorSpec(MENTOR_EMAIL, "Dr. Bench Mentor", part_way, SPECIALTIES[0], True)
    _, attempt_ids, _ = builder.add_mentor(mentor)
    certified = MentorSpec(
        CERTIFIED_EMAIL, "Dr. Bench Certified", program.lesson_count, SPECIALTIES[1], True
    )
    _, _, code = builder.add_mentor(certified)
    next_lesson = _lesson_slug(builder.writer, second.lesson_ids[2])
    pages = {
        "coordinator": COORDINATOR_EMAIL,
        "mentor": MENTOR_EMAIL,
        "certified": CERTIFIED_EMAIL,
        "lesson": f"/courses/{second.slug}/{next_lesson}/",
        "course": f"/courses/{second.slug}/",
        "quiz_result": f"/quizzes/{first.quiz.slug}/attempts/{attempt_ids[-1]}/",
        "certificate_pdf": f"/certificates/{code}.pdf",
        "quiz_stats": f"/author/quizzes/{first.quiz.id}/stats",
        "verify": f"/verify/{code}",
        "specialty": SPECIALTIES[0],
    }
    return pages, coordinator_id


def _lesson_slug(writer: Writer, lesson_id: int) -> str:
    lessons = writer.tables["lessons"]
    return writer.connection.scalar(select(lessons.c.slug).where(lessons.c.id == lesson_id))


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--mentors", type=int, default=10_000)
    parser.add_argument("--posts", type=int, help="forum posts (default: mentors / 2)")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument(
        "--stats-attempts",
        type=int,
        help="graded attempts at the first course's quiz (default: 5 per mentor, at most "
        f"{STATS_ATTEMPTS:,})",
    )
    parser.add_argument("--subjects", type=Path, required=True, help="JSON written here")
    args = parser.parse_args(argv)
    if args.posts is None:
        args.posts = max(THREAD_PAGE_POSTS, args.mentors // 2)
    if args.stats_attempts is None:
        args.stats_attempts = min(STATS_ATTEMPTS, 5 * args.mentors)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    app = create_app()
    args.certification = app.config["MATCHING_CERTIFICATION"]
    now = utcnow()
    with app.app_context():
        started = time.monotonic()
        with db.engine.begin() as connection:
            subjects = build(args, connection, now)
        if db.engine.dialect.name == "postgresql":
            # A live server's autovacuum has statistics; without them the planner guesses.
            with db.engine.begin() as connection:
                connection.execute(text("ANALYZE"))
        else:
            with db.engine.connect() as connection:  # fold the WAL into the database file
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        db.engine.dispose()
    subjects["mentors"] = args.mentors
    subjects["posts"] = args.posts
    args.subjects.write_text(json.dumps(subjects, indent=2) + "\n")
    print(f"  built in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
