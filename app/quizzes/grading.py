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


def is_correct(question: dict, answer: list[str] | str | None) -> bool:
    kind = QuestionKind(question["kind"])
    if answer is None:
        return False
    if kind is QuestionKind.TEXT:
        accepted = {normalize_text(text) for text in question["accepted"]}
        return isinstance(answer, str) and normalize_text(answer) in accepted
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
