"""The question statistics worked out in Python from each attempt's JSON: the oracle the
SQL sums of app.authoring.stats.quiz_statistics are tested against (the app itself reads
only the SQL)."""

import math
from collections.abc import Iterable

from app.authoring.stats import (
    SCORE_BANDS,
    ItemStats,
    LessonStats,
    OptionCount,
    QuizStats,
    _band,
)


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


def analyse(attempts: Iterable, current: dict[str, tuple[str, str, list[dict]]]) -> QuizStats:
    """The same figures, in Python over the attempts' JSON: the reference quiz_statistics
    is tested against. attempts: graded rows with snapshot, answers, results, earned,
    possible, percent, passed. current: question key -> (stem html, kind, options) of the
    quiz as it is now, for questions no attempt has seen yet."""
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
