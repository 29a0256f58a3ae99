"""Item analysis of a quiz from its graded attempts, following each question by its id
across versions (each attempt keeps the questions it showed).

With draws per lesson every attempt sees different questions, so a question's
discrimination is the item-rest point-biserial over the attempts that saw it: the
correlation between getting it right and the rest of that attempt's score (as a share
of the rest's points), which does not depend on which other questions were drawn."""

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

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


def point_biserial(pairs: list[tuple[int, float]]) -> float | None:
    """Pearson's r between 0/1 and a score; None when either does not vary."""
    n = len(pairs)
    if n < 2:
        return None
    mean_x = sum(x for x, _ in pairs) / n
    mean_y = sum(y for _, y in pairs) / n
    sxx = sum((x - mean_x) ** 2 for x, _ in pairs)
    syy = sum((y - mean_y) ** 2 for _, y in pairs)
    if sxx == 0 or syy == 0:
        return None
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in pairs)
    return sxy / math.sqrt(sxx * syy)


def _band(percent: int) -> int:
    return min(percent * SCORE_BANDS // 100, SCORE_BANDS - 1)


def analyse(attempts: Iterable, current: dict[str, tuple[str, str, list[dict]]]) -> QuizStats:
    """attempts: graded rows with snapshot, answers, results, earned, possible, percent,
    passed. current: question key -> (stem html, kind, options) of the quiz as it is now,
    for questions no attempt has seen yet."""
    items: dict[str, ItemStats] = {}
    lessons: dict[str, LessonStats] = {}
    order: dict[str, tuple] = {}
    count = passed = total_percent = 0
    bands = [0] * SCORE_BANDS
    for attempt in attempts:
        count += 1
        passed += bool(attempt.passed)
        total_percent += attempt.percent or 0
        bands[_band(attempt.percent or 0)] += 1
        results, answers = attempt.results or {}, attempt.answers or {}
        for question in attempt.snapshot:
            key, points = question["key"], question["points"]
            lesson = question.get("lesson")
            item = items.get(key)
            if item is None:
                item = items[key] = ItemStats(
                    key, question["stem_html"], question["kind"], lesson and lesson["title"]
                )
                if lesson:
                    item.lesson_position = lesson.get("position", 0)
            right = bool(results.get(key))
            item.attempts += 1
            item.right += right
            rest = attempt.possible - points
            if rest > 0:
                item._pairs.append((int(right), (attempt.earned - points * right) / rest))
            _count_choices(item, question, answers.get(key))
            if lesson:
                order.setdefault(lesson["slug"], (lesson.get("position", 0), lesson["slug"]))
                stats = lessons.setdefault(lesson["slug"], LessonStats(lesson["title"]))
                stats.possible += points
                stats.earned += points * right
    for key, (stem_html, kind, options) in current.items():
        if key not in items:
            items[key] = ItemStats(key, stem_html, kind, None)
            for option in options:
                items[key].options[option["key"]] = OptionCount(
                    option["key"], option["html"], option["correct"]
                )
    for item in items.values():
        item.discrimination = point_biserial(item._pairs)
    return QuizStats(
        attempts=count,
        passed=passed,
        mean_percent=total_percent / count if count else None,
        bands=bands,
        items=sorted(items.values(), key=lambda i: (i.lesson_position, i.key)),
        lessons=[lessons[slug] for slug in sorted(lessons, key=lambda s: order[s])],
    )


def _count_choices(item: ItemStats, question: dict, answer) -> None:
    if question["kind"] == "text":
        return
    correct = set(question["correct"])
    for option in question["options"]:
        source = option.get("source", option["key"])
        if source not in item.options:
            item.options[source] = OptionCount(source, option["html"], option["key"] in correct)
        if isinstance(answer, list) and option["key"] in answer:
            item.options[source].chosen += 1
