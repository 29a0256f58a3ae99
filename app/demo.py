"""`preceptor demo`: demo users and progress on an empty database, logins printed."""

from datetime import timedelta

import click
from sqlalchemy import select

from app.auth import service as auth
from app.auth.models import Role
from app.clock import utcnow
from app.courses import service as courses
from app.courses.models import Course
from app.extensions import db

DEMO_DOMAIN = "demo.preceptor.example"

# label -> (name, roles)
DEMO_USERS = {
    "admin": ("Dr. Helen Okafor", [Role.ADMIN]),
    "coordinator": ("Maria Santos", [Role.COORDINATOR]),
    "educator": ("Dr. Rahul Mehta", [Role.EDUCATOR]),
    "mentor-new": ("Dr. Wei Zhang", [Role.MENTOR]),
    "mentor-ready": ("Dr. Sarah Lindqvist", [Role.MENTOR]),
}


def _ready_course() -> Course:
    course = db.session.scalar(select(Course).where(Course.slug == "communication"))
    if course is None:
        raise click.ClickException(
            "Run `preceptor content sync` first: the demo needs the communication course."
        )
    return course


@click.command("demo")
@click.option("--if-empty", is_flag=True, help="When the database has users, say so and succeed.")
def demo(if_empty: bool) -> None:
    """Fill an empty database with demo users and print their logins."""
    from app.cli import generate_password

    if auth.count_users():
        message = "The database already has users; the demo only fills an empty one."
        if not if_empty:
            raise click.ClickException(message)
        click.echo(f"{message} Their logins were printed on the first start.")
        return
    course = _ready_course()
    now = utcnow()
    logins = []
    for label, (name, roles) in DEMO_USERS.items():
        password = generate_password()
        user = auth.create_user(f"{label}@{DEMO_DOMAIN}", name, password, roles)
        logins.append((user.email, password, label))
        if label == "mentor-ready":
            progress = courses.course_progress(user, course)
            for offset, lesson in enumerate(progress.lessons):
                courses.mark_complete(
                    user, lesson, now=now - timedelta(days=3, minutes=-10 * offset)
                )
    db.session.commit()
    for email, password, label in logins:
        click.echo(f"demo-login: {email} {password} {label}")
