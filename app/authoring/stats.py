"""Item analysis of a quiz from its graded attempts, following each question by its id
across versions (each attempt keeps the questions it showed).

With draws per lesson every attempt sees different questions, so a question's
discrimination is the item-rest point-biserial over the attempts that saw it: the
correlation between getting it right and the rest of that attempt's score (as a share
of the rest's points), which does not depend on which other questions were drawn.

The figures are SQL sums over attempt_items and attempt_item_choices (one row per
question shown and per option chosen, written when an attempt is graded), so the page
does not read every attempt's JSON."""

import math
from dataclasses import dataclass, field

from sqlalchemy import Float, Integer, case, cast, func, select

from app.courses.models import Lesson
from app.extensions import db
from app.quizzes.models import Attempt, AttemptChoice, AttemptItem, Question

FEW_ATTEMPTS = 30  # below this a figure is marked "few attempts"
TOO_EASY, TOO_HARD = 0.90, 0.30  # share answering right
LOW_DISCRIMINATION = 0.20  # item-rest point-biserial
RARELY_CHOSEN = 0.05  # share of the question's answers that picked an option
SCORE_BANDS = 10  # the distribution's bars: 0-9 %, 10-19 %, ..., 90-100 %


@dataclass
class OptionCount:
    key: str  # the option's key in the quiz file (a, b, c...)
    html: str
    correct: bool
    chosen: int = 0


@dataclass
class ItemStats:
    key: str
    stem_html: str
    kind: str
    lesson: str | None
    lesson_position: int = 10**6  # questions are listed in the course's lesson order
    attempts: int = 0
    right: int = 0
    discrimination: float | None = None
    options: dict[str, OptionCount] = field(default_factory=dict)
    _pairs: list[tuple[int, float]] = field(default_factory=list, repr=False)

    @property
    def percent_right(self) -> float | None:
        return 100 * self.right / self.attempts if self.attempts else None

    @property
    def few(self) -> bool:
        return self.attempts < FEW_ATTEMPTS

    @property
    def flags(self) -> list[str]:
        if not self.attempts:
            return []
        found = []
        share = self.right / self.attempts
        if share > TOO_EASY:
            found.append("too easy")
        if share < TOO_HARD:
            found.append("too hard")
        if self.discrimination is not None and self.discrimination < LOW_DISCRIMINATION:
            found.append("does not discriminate")
        if self.rarely_chosen:
            found.append("options almost nobody chooses")
        return found

    @property
    def rarely_chosen(self) -> list[OptionCount]:
        if not self.attempts or self.kind == "text":
            return []
        return [
            o
            for o in self.options.values()
            if not o.correct and o.chosen / self.attempts < RARELY_CHOSEN
        ]


@dataclass
class LessonStats:
    title: str
    earned: int = 0
    possible: int = 0

    @property
    def percent(self) -> float | None:
        return 100 * self.earned / self.possible if self.possible else None


@dataclass
class QuizStats:
    attempts: int
    passed: int
    mean_percent: float | None
    bands: list[int]  # attempts per score band
    items: list[ItemStats]
    lessons: list[LessonStats]

    @property
    def pass_rate(self) -> float | None:
        return 100 * self.passed / self.attempts if self.attempts else None

    @property
    def few(self) -> bool:
        return self.attempts < FEW_ATTEMPTS

    @property
    def flagged(self) -> int:
        return sum(1 for item in self.items if item.flags)


def point_biserial_from_sums(
    n: int, sum_x: int, sum_y: float, sum_xy: float, sum_yy: float
) -> float | None:
    """Pearson's r between 0/1 and a score, from the sums SQL adds up (x is 0 or 1, so
    the sum of x squared is the sum of x); None when either does not vary."""
    if n < 2 or sum_x in (0, n):
        return None
    sxx = sum_x - sum_x * sum_x / n
    syy = sum_yy - sum_y * sum_y / n
    if syy <= 1e-9 * max(sum_yy, 1.0):  # equal shares, but for rounding
        return None
    sxy = sum_xy - sum_x * sum_y / n
    return sxy / math.sqrt(sxx * syy)


def _band(percent: int) -> int:
    return min(percent * SCORE_BANDS // 100, SCORE_BANDS - 1)


def quiz_statistics(quiz_id: int) -> QuizStats:
    """The quiz's statistics from SQL sums over its graded responses (attempt_items and
    attempt_item_choices); a question's text, options and lesson are the ones the first
    attempt that showed it had (at each version), and questions no attempt has seen yet
    are the quiz's current ones."""
    count = passed = total_percent = 0
    bands = [0] * SCORE_BANDS
    for percent, has_passed, attempts in db.session.execute(
        select(Attempt.percent, Attempt.passed, func.count())
        .where(Attempt.quiz_id == quiz_id, Attempt.submitted_at.is_not(None))
        .group_by(Attempt.percent, Attempt.passed)
    ):
        count += attempts
        passed += attempts if has_passed else 0
        total_percent += (percent or 0) * attempts
        bands[_band(percent or 0)] += attempts
    groups = _item_groups(quiz_id)
    shown = _first_shown(groups)
    items: dict[str, ItemStats] = {}
    lessons: dict[str, LessonStats] = {}
    order: dict[str, tuple] = {}
    sums: dict[str, list] = {}
    current = _current_questions(quiz_id)
    for group in sorted(groups, key=lambda g: g.first):
        question = shown.get(group.first, {}).get(group.question_key)
        if question is None:  # the attempt's JSON does not hold it: take the current one
            question = current.get(group.question_key) or _unknown(group.question_key)
        item = items.get(group.question_key)
        if item is None:
            item = items[group.question_key] = _item(question)
        _add_options(item, question)
        lesson = question.get("lesson")
        if group.lesson_slug is not None:
            lesson = lesson if lesson and lesson["slug"] == group.lesson_slug else None
            title = lesson["title"] if lesson else group.lesson_slug
            position = lesson.get("position", 0) if lesson else 0
            order.setdefault(group.lesson_slug, (position, group.lesson_slug))
            stats = lessons.setdefault(group.lesson_slug, LessonStats(title))
            stats.possible += group.possible
            stats.earned += group.earned
        item.attempts += group.attempts
        item.right += group.right
        total = sums.setdefault(group.question_key, [0, 0, 0.0, 0.0, 0.0])
        for index, value in enumerate(
            (group.n, group.sum_x, group.sum_y, group.sum_xy, group.sum_yy)
        ):
            total[index] += value or 0
    for key, source, chosen in db.session.execute(
        select(AttemptChoice.question_key, AttemptChoice.option_source, func.count())
        .where(AttemptChoice.quiz_id == quiz_id)
        .group_by(AttemptChoice.question_key, AttemptChoice.option_source)
    ):
        item = items.get(key)
        if item is not None and item.kind != "text":
            option = item.options.setdefault(source, OptionCount(source, source, False))
            option.chosen += chosen
    for key, question in current.items():
        if key not in items:  # a text question's accepted answers are listed too
            items[key] = _item(question, lesson=False)
            _add_options(items[key], question | {"kind": "single"})
    for key, total in sums.items():
        items[key].discrimination = point_biserial_from_sums(*total)
    return QuizStats(
        attempts=count,
        passed=passed,
        mean_percent=total_percent / count if count else None,
        bands=bands,
        items=sorted(items.values(), key=lambda i: (i.lesson_position, i.key)),
        lessons=[lessons[slug] for slug in sorted(lessons, key=lambda s: order[s])],
    )


def _item_groups(quiz_id: int) -> list:
    """Per question, version and lesson: the sums, and the first attempt that showed it."""
    right = cast(AttemptItem.correct, Integer)
    share = AttemptItem.rest_share
    return db.session.execute(
        select(
            AttemptItem.question_key,
            AttemptItem.lesson_slug,
            func.min(AttemptItem.attempt_id).label("first"),
            func.count().label("attempts"),
            func.sum(right).label("right"),
            func.sum(AttemptItem.points).label("possible"),
            func.sum(AttemptItem.points * right).label("earned"),
            func.count(share).label("n"),
            func.sum(case((share.is_not(None), right), else_=0)).label("sum_x"),
            func.sum(share).label("sum_y"),
            func.sum(case((AttemptItem.correct, share), else_=cast(0, Float))).label("sum_xy"),
            func.sum(share * share).label("sum_yy"),
        )
        .where(AttemptItem.quiz_id == quiz_id)
        .group_by(AttemptItem.question_key, AttemptItem.quiz_version, AttemptItem.lesson_slug)
    ).all()


def _first_shown(groups: list) -> dict[int, dict[str, dict]]:
    """The snapshots of the attempts that first showed each question: key -> question."""
    first = {group.first for group in groups}
    if not first:
        return {}
    rows = db.session.execute(select(Attempt.id, Attempt.snapshot).where(Attempt.id.in_(first)))
    return {attempt_id: {q["key"]: q for q in snapshot} for attempt_id, snapshot in rows}


def _current_questions(quiz_id: int) -> dict[str, dict]:
    """The quiz's current questions, shaped as a snapshot's (options keyed by source)."""
    rows = db.session.execute(
        select(Question, Lesson)
        .outerjoin(Lesson, Lesson.id == Question.lesson_id)
        .where(Question.quiz_id == quiz_id, Question.archived_at.is_(None))
    )
    return {
        question.key: {
            "key": question.key,
            "kind": question.kind.value,
            "stem_html": question.stem_html,
            "options": [
                {"key": o["key"], "source": o["key"], "html": o["html"]} for o in question.options
            ],
            "correct": [o["key"] for o in question.options if o["correct"]],
            "lesson": {"slug": lesson.slug, "title": lesson.title, "position": lesson.position}
            if lesson
            else None,
        }
        for question, lesson in rows
    }


def _unknown(key: str) -> dict:
    return {"key": key, "kind": "single", "stem_html": key, "options": [], "correct": []}


def _item(question: dict, *, lesson: bool = True) -> ItemStats:
    shown = question.get("lesson") if lesson else None
    item = ItemStats(
        question["key"], question["stem_html"], question["kind"], shown and shown["title"]
    )
    if shown:
        item.lesson_position = shown.get("position", 0)
    return item


def _add_options(item: ItemStats, question: dict) -> None:
    if question["kind"] == "text":
        return
    correct = set(question["correct"])
    for option in question["options"]:
        source = option.get("source", option["key"])
        if source not in item.options:
            item.options[source] = OptionCount(source, option["html"], option["key"] in correct)
