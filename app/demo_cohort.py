"""The demo's cohort: mentors who read *Communicating with mentees* and took its quiz, so
the educator's question statistics have enough graded attempts to show every kind of flag.

Answers come from a fixed seed, so the demo is the same every time. Each mentor has an
ability; on most questions the chance of a right answer rises with it (a healthy item
discriminates), and four questions are made to behave as flawed items do (BEHAVIORS).
Wrong answers go to the wrong options in fixed proportions (SpreadChooser), not by
chance, so a healthy question's options are each chosen often enough whatever the draw."""

import math
import random
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select

from app.auth.handles import unique_handle
from app.auth.models import Role, User, UserRole
from app.auth.passwords import hash_password
from app.courses.models import Course, Lesson, LessonCompletion
from app.extensions import db
from app.quizzes import service as quizzes
from app.quizzes.grading import grade
from app.quizzes.models import Attempt, Quiz

COHORT_QUIZ = "communication"
COHORT_SIZE = 72
SEED = 1313
COHORT_SPECIALTIES = (
    "Internal Medicine",
    "Family Medicine",
    "Pediatrics",
    "General Surgery",
    "Emergency Medicine",
    "Obstetrics and Gynecology",
    "Psychiatry",
    "Anesthesiology",
)
RETAKE_GAIN = 0.5  # ability gained between attempts (the lesson results say what to revisit)
GIVES_UP = 0.2  # chance a mentor who did not pass stops trying


@dataclass(frozen=True)
class Behavior:
    """How the cohort answers one question: the chance of a right answer is
    1 / (1 + exp(-slope * (ability - difficulty))), so `difficulty` is the ability at which
    half get it right and `slope` how much ability matters (negative: the strongest miss
    it). `pulls`: how strongly each wrong option (by its key in the quiz file) draws the
    wrong answers; an option not named draws with 1."""

    difficulty: float
    slope: float = 2.4
    pulls: dict[str, float] = field(default_factory=dict)


# The flawed questions: one per flag the statistics page raises (stats.ItemStats.flags).
BEHAVIORS = {
    # Too easy: almost everyone thanks the student for the bad news.
    "thank-for-bad-news": Behavior(difficulty=-3.4, slope=1.5),
    # Too hard: debriefing at once "while it is fresh" draws most, over checking in first.
    "check-in-before-debrief": Behavior(difficulty=0.9, pulls={"b": 6, "c": 1.5, "d": 1.5}),
    # Does not discriminate: the strongest mentors, keen on open questions, choose the open
    # "What else...?" where the summary needs a closed question to confirm it.
    "funnel-to-confirm": Behavior(difficulty=0.3, slope=-0.9, pulls={"a": 2.5}),
    # An option almost nobody chooses: the scornful "Just a three?" fools no one.
    "scaling-follow-up": Behavior(difficulty=-0.7, pulls={"b": 0, "c": 2}),
}
# The other questions are healthy: right for 40 to 80 percent, and better mentors do better.
HEALTHY_DIFFICULTY = (-0.6, 0.1)
WRONG_TEXT_ANSWERS = ("complex reflection", "amplified reflection", "summary", "reframe")


class SpreadChooser:
    """Picks from weighted choices so that after n picks each has been picked its share
    of n, give or take one (smooth weighted round-robin): every cohort gets the same spread."""

    def __init__(self, weights: dict[str, float]):
        self.weights = {choice: weight for choice, weight in weights.items() if weight > 0}
        self.credit = dict.fromkeys(self.weights, 0.0)

    def pick(self) -> str:
        total = sum(self.weights.values())
        for choice, weight in self.weights.items():
            self.credit[choice] += weight
        chosen = max(self.credit, key=self.credit.__getitem__)
        self.credit[chosen] -= total
        return chosen


def behavior_of(key: str) -> Behavior:
    """The question's behavior: a flawed one's, or healthy with a difficulty of its own
    (seeded by its key, so adding a question changes no other's)."""
    if key in BEHAVIORS:
        return BEHAVIORS[key]
    rng = random.Random(f"{SEED}:{key}")  # noqa: S311 (demo data, not secrets)
    return Behavior(difficulty=rng.uniform(*HEALTHY_DIFFICULTY))


def chance_right(behavior: Behavior, ability: float) -> float:
    return 1 / (1 + math.exp(-behavior.slope * (ability - behavior.difficulty)))


class CohortAnswers:
    """The answers the cohort gives, question by question, wrong ones spread evenly."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.spreads: dict[str, SpreadChooser] = {}

    def answer(self, question: dict, ability: float) -> list[str] | str:
        behavior = behavior_of(question["key"])
        if self.rng.random() < chance_right(behavior, ability):
            return question["accepted"][0] if question["kind"] == "text" else question["correct"]
        if question["kind"] == "text":
            return self._spread(question, dict.fromkeys(WRONG_TEXT_ANSWERS, 1.0)).pick()
        by_source = {o["source"]: o["key"] for o in question["options"]}
        correct = set(question["correct"])
        wrong = {
            o["source"]: behavior.pulls.get(o["source"], 1.0)
            for o in question["options"]
            if o["key"] not in correct
        }
        if question["kind"] == "single":
            return [by_source[self._spread(question, wrong).pick()]]
        # Select all that apply: a wrong answer adds one wrong option or leaves out a right one.
        mistakes = {f"add {source}": weight for source, weight in wrong.items()}
        mistakes |= {f"miss {o['source']}": 0.5 for o in question["options"] if o["key"] in correct}
        how, source = self._spread(question, mistakes).pick().split(" ", 1)
        key = by_source[source]
        return sorted(correct | {key}) if how == "add" else sorted(correct - {key})

    def _spread(self, question: dict, weights: dict[str, float]) -> SpreadChooser:
        if question["key"] not in self.spreads:
            self.spreads[question["key"]] = SpreadChooser(weights)
        return self.spreads[question["key"]]


def _attempt(
    quiz: Quiz, mentor: User, snapshot: list[dict], answers: dict, *, at: datetime
) -> Attempt:
    """A graded attempt, as quizzes.submit would have recorded it."""
    result = grade(snapshot, answers)
    allowed = quizzes.time_allowed(quiz, None)
    return Attempt(
        user_id=mentor.id,
        quiz_id=quiz.id,
        quiz_version=quiz.version,
        started_at=at,
        deadline_at=at + allowed if allowed else None,
        submitted_at=at + timedelta(minutes=9 + len(snapshot)),
        snapshot=snapshot,
        answers=answers,
        results=result.correct,
        earned=result.earned,
        possible=result.possible,
        percent=result.percent,
        passed=result.passed(quiz.pass_percent),
    )


def _mentors(domain: str, *, now: datetime) -> list[User]:
    # One hash of a password nobody is told: the cohort cannot sign in, and the demo does
    # not spend a scrypt per mentor.
    password_hash = hash_password(secrets.token_urlsafe(24))
    taken = set(db.session.scalars(select(User.handle)))
    mentors = []
    for number in range(1, COHORT_SIZE + 1):
        name = f"Dr. Cohort Mentor {number:02d}"
        handle = unique_handle(name, taken.__contains__)
        taken.add(handle)
        mentors.append(
            User(
                email=f"cohort-{number:02d}@{domain}",
                name=name,
                handle=handle,
                specialty=COHORT_SPECIALTIES[number % len(COHORT_SPECIALTIES)],
                password_hash=password_hash,
                created_at=now - timedelta(days=120),
                role_rows=[UserRole(role=Role.MENTOR)],
            )
        )
    db.session.add_all(mentors)
    db.session.flush()
    return mentors


def add_cohort(domain: str, *, now: datetime) -> None:
    """The cohort's mentors, their lessons read and their graded attempts at COHORT_QUIZ;
    nothing when the quiz is not there."""
    quiz = quizzes.find_quiz(COHORT_QUIZ)
    if quiz is None:
        return
    course = db.session.get(Course, quiz.course_id)
    lessons = [lesson for lesson in course.lessons if lesson.archived_at is None]
    cohort = CohortAnswers(random.Random(SEED))  # noqa: S311 (demo data, not secrets)
    mentors = _mentors(domain, now=now)
    with db.session.no_autoflush:  # one flush at the end: the standings are refreshed once
        for mentor in mentors:
            _study_and_take(quiz, lessons, mentor, cohort, now=now)
    db.session.flush()


def _study_and_take(
    quiz: Quiz, lessons: list[Lesson], mentor: User, cohort: CohortAnswers, *, now: datetime
) -> None:
    """The mentor reads every lesson, then takes the quiz until passing, giving up, or
    out of attempts; each retake a little stronger."""
    rng = cohort.rng
    ability = rng.gauss(0, 1)
    at = now - timedelta(days=rng.randint(20, 90), hours=rng.randint(0, 10))
    db.session.add_all(
        LessonCompletion(
            user_id=mentor.id, lesson_id=lesson.id, completed_at=at - timedelta(hours=hours)
        )
        for hours, lesson in enumerate(reversed(lessons), start=1)
    )
    for tries in range(quiz.max_attempts or 3):
        snapshot = quizzes._snapshot(quiz, rng)
        answers = {q["key"]: cohort.answer(q, ability + RETAKE_GAIN * tries) for q in snapshot}
        attempt = _attempt(quiz, mentor, snapshot, answers, at=at)
        db.session.add(attempt)
        if attempt.passed or rng.random() < GIVES_UP:
            return
        at += timedelta(days=rng.randint(2, 6))
