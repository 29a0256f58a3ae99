"""`preceptor demo`: demo users and their progress on an empty database, logins printed.
Every step goes through the same services a real mentor's clicks do; the cohort of mentors
behind the question statistics (app.demo_cohort) is the one shortcut."""

import secrets
import string
from collections.abc import Callable
from datetime import datetime, timedelta

import click
from flask import current_app
from sqlalchemy import select

from app.auth import service as auth
from app.auth.models import Role, User
from app.authoring import documents
from app.authoring.models import ContentFile
from app.certification import service as certification
from app.clock import utcnow
from app.courses import service as courses
from app.demo_cohort import add_cohort
from app.errors import NotFound
from app.extensions import db
from app.forum import service as forum
from app.forum.demo_threads import DEMO_THREADS
from app.forum.models import Post
from app.matching import service as matching
from app.matching.models import CareerStage
from app.practice import service as practice
from app.quizzes import service as quizzes

DEMO_DOMAIN = "demo.preceptor.example"


def _read(user: User, course_slug: str, *, now: datetime) -> None:
    progress = courses.course_progress(user, courses.get_course(course_slug))
    for offset, lesson in enumerate(progress.lessons):
        courses.mark_complete(user, lesson, now=now + timedelta(minutes=15 * offset))


def _pass_quiz(user: User, quiz_slug: str, *, now: datetime) -> None:
    quiz = quizzes.get_quiz(quiz_slug)
    attempt = quizzes.start_attempt(user, quiz, now=now)
    answers = {
        q["key"]: q["accepted"][0] if q["kind"] == "text" else q["correct"]
        for q in attempt.snapshot
    }
    quizzes.submit(attempt, answers, now=now + timedelta(minutes=12))


DEMO_OBSERVATION_COMMENT = (
    "You let the mentee set the agenda and your summary before the next step was spot on. "
    "Next time, wait a little longer after an open question before filling the silence."
)


def _sign_off(user: User, *, now: datetime) -> None:
    """The demo educator observed a conversation and rated every criterion meets or better."""
    observer = db.session.scalar(select(User).where(User.email == f"educator@{DEMO_DOMAIN}"))
    for item in practice.current_items():
        ratings = {
            c["id"]: "exceeds" if index == 0 else "meets" for index, c in enumerate(item.criteria)
        }
        practice.record_observation(
            user,
            item,
            observer=observer,
            ratings=ratings,
            observed_on=now.date(),
            comment=DEMO_OBSERVATION_COMMENT,
            now=now,
        )


def _certify(user: User, *, now: datetime) -> None:
    program = certification.get_certification(current_app.config["MATCHING_CERTIFICATION"])
    if program is None:
        raise click.ClickException(
            "The demo needs the certification named by MATCHING_CERTIFICATION."
        )
    for slug in program.course_slugs:
        _read(user, slug, now=now)
        course = courses.get_course(slug)
        if course.quiz_id:
            _pass_quiz(user, course.quiz_id, now=now + timedelta(hours=2))
    _sign_off(user, now=now + timedelta(days=1))
    for certificate in certification.award_if_earned(user, now=now + timedelta(days=1, hours=1)):
        certification.set_recognition(certificate, True)


def _expired(user: User, *, now: datetime) -> None:
    program = certification.get_certification(current_app.config["MATCHING_CERTIFICATION"])
    months = (program.valid_for_months or 24) + 2 if program else 26
    _certify(user, now=now - timedelta(days=31 * months))


# label -> (name, roles, specialty, what they have done)
DEMO_USERS: dict[str, tuple[str, list[Role], str | None, Callable | None]] = {
    "admin": ("Dr. Helen Okafor", [Role.ADMIN], None, None),
    "coordinator": ("Maria Santos", [Role.COORDINATOR], None, None),
    "educator": ("Dr. Rahul Mehta", [Role.EDUCATOR], "Internal Medicine", None),
    "mentor-certified": (
        "Dr. Amara Osei",
        [Role.MENTOR],
        "Internal Medicine",
        lambda u, now: _certify(u, now=now - timedelta(days=200)),
    ),
    "mentor-ready": (
        "Dr. Sarah Lindqvist",
        [Role.MENTOR],
        "General Surgery",
        lambda u, now: _read(u, "communication", now=now - timedelta(days=3)),
    ),
    "mentor-new": ("Dr. Wei Zhang", [Role.MENTOR], "Pediatrics", None),
    "mentor-expired": (
        "Dr. Tomás Rivera",
        [Role.MENTOR],
        "Emergency Medicine",
        lambda u, now: _expired(u, now=now),
    ),
}


# label -> (career stage, interests, capacity, open to other specialties)
DEMO_PROFILES = {
    "mentor-certified": (
        CareerStage.MID_CAREER,
        ["academic promotion", "research", "wellbeing"],
        3,
        True,
    ),
    "mentor-ready": (CareerStage.EARLY_CAREER, ["clinical skills", "teaching"], 2, False),
    "mentor-expired": (CareerStage.SENIOR, ["leadership", "work-life integration"], 2, True),
}

# name, e-mail, specialty, career stage, interests
DEMO_MENTEES = (
    (
        "Dr. Priya Raman",
        "priya.raman",
        "Internal Medicine",
        CareerStage.RESIDENT,
        ["research", "wellbeing"],
    ),
    ("Dr. Jonah Feld", "jonah.feld", "General Surgery", CareerStage.RESIDENT, ["clinical skills"]),
    (
        "Dr. Lucía Moreno",
        "lucia.moreno",
        "Pediatrics",
        CareerStage.FELLOW,
        ["academic promotion", "teaching"],
    ),
    (
        "Kwame Boateng",
        "kwame.boateng",
        "Emergency Medicine",
        CareerStage.STUDENT,
        ["work-life integration"],
    ),
    (
        "Dr. Hannah Cole",
        "hannah.cole",
        "Internal Medicine",
        CareerStage.EARLY_CAREER,
        ["leadership", "research"],
    ),
)


def _add_matching_data(users: dict[str, User], *, now: datetime) -> None:
    for label, (stage, interests, capacity, open_to_others) in DEMO_PROFILES.items():
        user = users[label]
        matching.save_profile(
            user,
            career_stage=stage,
            interests=interests,
            capacity=capacity,
            open_to_other_specialties=open_to_others,
            specialty=user.specialty or "",
            now=now,
        )
    for name, handle, specialty, stage, interests in DEMO_MENTEES:
        matching.add_mentee(
            name=name,
            email=f"{handle}@{DEMO_DOMAIN}",
            specialty=specialty,
            career_stage=stage,
            interests=interests,
        )


def _add_forum_threads(users: dict[str, User], *, now: datetime) -> None:
    forum.seed_default_categories()
    for demo_thread in DEMO_THREADS:
        opening, *replies = demo_thread.posts
        thread = forum.start_thread(
            users[opening.author],
            forum.get_category(demo_thread.category),
            title=demo_thread.title,
            body=opening.body,
            anonymous=opening.anonymous,
            now=now - timedelta(days=opening.days_ago),
        )
        posts = [db.session.scalar(select(Post).where(Post.thread_id == thread.id))]
        for demo_post in replies:
            posts.append(
                forum.reply(
                    users[demo_post.author],
                    thread,
                    demo_post.body,
                    anonymous=demo_post.anonymous,
                    now=now - timedelta(days=demo_post.days_ago),
                )
            )
        for index, label in demo_thread.helpful:
            forum.toggle_helpful(users[label], posts[index], now=now)
        if demo_thread.answer is not None:
            forum.toggle_answer(users[opening.author], posts[demo_thread.answer], now=now)
        if demo_thread.pinned:
            forum.set_pinned(users["educator"], thread, True, now=now)


DEMO_DRAFT_PATH = "courses/goal-setting/02-smart-goals.md"
DEMO_DRAFT_NOTE = "New section on goals for a clinical skill, for review"
DEMO_DRAFT_SECTION = """## When the goal is a clinical skill

Goals about procedures tempt mentees to count. "Do 20 lumbar punctures by June" is specific \
and measurable, but a number says little about competence, and chasing it can bring a \
resident to the bedside for the count rather than for the patient. Help the mentee tie the \
number to supervision and feedback instead: "On my neurology rotation in April, perform \
lumbar punctures under direct supervision, and after each one ask the supervising physician \
for a rating on the program's procedure checklist and one thing to change. By May 5, review \
the ratings with Dr. Patel, then ask the rotation director whether I am ready to do them \
with indirect supervision." The measure is now the supervisors' judgment of readiness, \
which is what patients and the program care about, and the date gives the review a deadline.

"""


def _add_draft(educator: User, *, now: datetime) -> None:
    """The educator's unpublished section in a goal-setting lesson, saved as the editor
    saves it; nothing when `content sync` has not recorded the file."""
    row = db.session.scalar(select(ContentFile).where(ContentFile.path == DEMO_DRAFT_PATH))
    if row is None or row.text is None or row.draft is not None:
        return
    text, place = row.text, len(row.text)
    for heading in ("\n## Writing it down", "\n## Key points"):
        if heading in text:
            place = text.index(heading) + 1
            break
    documents.save_draft(
        row,
        text[:place] + DEMO_DRAFT_SECTION + text[place:],
        opened=row.revisions_count,
        author=educator,
        note=DEMO_DRAFT_NOTE,
        now=now,
    )


def generate_password() -> str:
    """Three groups of six letters and digits (about 107 bits), easy to type from the
    terminal. Demo accounts only: real accounts choose their own (`users create`)."""
    alphabet = string.ascii_letters + string.digits
    return "-".join("".join(secrets.choice(alphabet) for _ in range(6)) for _ in range(3))


@click.command("demo")
@click.option("--if-empty", is_flag=True, help="When the database has users, say so and succeed.")
def demo(if_empty: bool) -> None:
    """Fill an empty database with demo users and print their logins."""
    if auth.count_users():
        message = "The database already has users; the demo only fills an empty one."
        if not if_empty:
            raise click.ClickException(message)
        click.echo(f"{message} Their logins were printed on the first start.")
        return
    try:
        courses.get_course("communication")
    except NotFound:
        raise click.ClickException(
            "Run `preceptor content sync` first: the demo needs the courses."
        ) from None
    now = utcnow()
    logins, users = [], {}
    for label, (name, roles, specialty, history) in DEMO_USERS.items():
        password = generate_password()
        user = auth.create_user(f"{label}@{DEMO_DOMAIN}", name, password, roles)
        user.specialty = specialty
        if history:
            history(user, now)
        logins.append((user.email, password, label))
        users[label] = user
    _add_matching_data(users, now=now)
    _add_forum_threads(users, now=now)
    add_cohort(DEMO_DOMAIN, now=now)
    _add_draft(users["educator"], now=now)
    db.session.commit()
    for email, password, label in logins:
        click.echo(f"demo-login: {email} {password} {label}")
    base_url = current_app.config["BASE_URL"].rstrip("/")
    for user in users.values():
        for certificate in certification.certificates_of(user):
            click.echo(f"demo-verify: {base_url}/verify/{certificate.code}")
