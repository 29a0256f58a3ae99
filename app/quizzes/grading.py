"""Grading, pure: a snapshot of questions and the answers given -> points and results."""

import re
import unicodedata
from dataclasses import dataclass

from app.content.quizzes import QuestionKind

Answers = dict[str, list[str] | str]


def normalize_text(answer: str) -> str:
    """Case-folded, white space collapsed, trailing punctuation dropped."""
    folded = unicodedata.normalize("NFKC", answer).casefold()
    collapsed = re.sub(r"\s+", " ", folded).strip()
    return re.sub(r"[\s.,;:!?]+$", "", collapsed)


TYPO_MIN_LETTERS = 6  # one typo is forgiven in a word at least this long


def _one_edit_apart(typed: str, meant: str) -> bool:
    """One letter added, dropped, changed, or two neighbors swapped."""
    if typed == meant or abs(len(typed) - len(meant)) > 1:
        return False
    if len(typed) == len(meant):
        differ = [i for i, (a, b) in enumerate(zip(typed, meant, strict=True)) if a != b]
        if len(differ) == 1:
            return True
        first, second = differ[0], differ[-1]
        return (
            len(differ) == 2
            and second == first + 1
            and (typed[first], typed[second]) == (meant[second], meant[first])
        )
    shorter, longer = sorted((typed, meant), key=len)
    return any(longer[:i] + longer[i + 1 :] == shorter for i in range(len(longer)))


def matches_text(answer: str, accepted: str) -> bool:
    """A typed answer against one accepted answer, both normalized: equal, or equal but
    for one typo in one word of TYPO_MIN_LETTERS letters or more."""
    if answer == accepted:
        return True
    typed, meant = answer.split(" "), accepted.split(" ")
    if len(typed) != len(meant):
        return False
    differing = [(t, m) for t, m in zip(typed, meant, strict=True) if t != m]
    if len(differing) != 1:
        return False
    word, right = differing[0]
    return len(right) >= TYPO_MIN_LETTERS and _one_edit_apart(word, right)


def is_correct(question: dict, answer: list[str] | str | None) -> bool:
    kind = QuestionKind(question["kind"])
    if answer is None:
        return False
    if kind is QuestionKind.TEXT:
        if not isinstance(answer, str):
            return False
        typed = normalize_text(answer)
        return any(matches_text(typed, normalize_text(text)) for text in question["accepted"])
    chosen = set(answer) if isinstance(answer, list) else set()
    return chosen == set(question["correct"])  # multiple: all or nothing


@dataclass(frozen=True)
class Grade:
    earned: int
    possible: int
    correct: dict[str, bool]

    @property
    def percent(self) -> int:
        """Whole percent of the points, rounded down (a 79.9 % is not an 80 %)."""
        return 100 * self.earned // self.possible if self.possible else 0

    def passed(self, pass_percent: int) -> bool:
        return self.possible > 0 and self.earned * 100 >= pass_percent * self.possible


def grade(snapshot: list[dict], answers: Answers) -> Grade:
    correct = {q["key"]: is_correct(q, answers.get(q["key"])) for q in snapshot}
    earned = sum(q["points"] for q in snapshot if correct[q["key"]])
    return Grade(earned=earned, possible=sum(q["points"] for q in snapshot), correct=correct)
