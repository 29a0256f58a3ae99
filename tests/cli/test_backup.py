"""`preceptor backup` and `restore`: a database with a row in every table goes to one file
and comes back into an empty database the same, row for row, on SQLite and PostgreSQL."""

from io import BytesIO

import pytest
from PIL import Image
from sqlalchemy import create_engine, exists, make_url, select

from app import create_app
from app.api import tokens
from app.auth import mfa, sessions
from app.auth import service as auth
from app.auth.models import Role, User
from app.authoring import images
from app.certification.models import Reminder
from app.clock import utcnow
from app.config import REPOSITORY_ROOT
from app.courses import workbook
from app.courses.models import Lesson
from app.extensions import db as _db
from app.forum import service as forum
from app.forum.models import Post, Thread, ThreadRead
from app.mail import send_mail
from app.matching import service as matching
from app.matching.models import Mentee
from app.quizzes import service as quizzes
from tests.conftest import POSTGRES_URL, make_config


@pytest.fixture
def config_overrides():
    return {"CONTENT_DIR": REPOSITORY_ROOT, "MATCHING_CERTIFICATION": "physician-mentor"}


def run(app, *args: str):
    result = app.test_cli_runner().invoke(args=list(args))
    return result


def fill_every_table(app) -> None:
    """The demo program, then a row in each table the demo leaves empty."""
    assert run(app, "content", "sync").exit_code == 0
    assert run(app, "demo").exit_code == 0
    now = utcnow()
    admin = _db.session.scalar(select(User).where(User.email.like("admin@%")))
    mentor = _db.session.scalar(select(User).where(User.email.like("mentor-certified@%")))
    other = _db.session.scalar(select(User).where(User.email.like("mentor-new@%")))
    send_mail("someone@hospital.example", "Hello", "Body")
    tokens.create_token(admin, "matching system", now=now)
    forum.set_email_digest(mentor, True)
    auth.create_invite(
        "invited@hospital.example", {Role.MENTOR}, invited_by=admin, now=now, max_age_days=14
    )
    mentee = _db.session.scalars(select(Mentee)).first()
    matching.create_match(mentor, mentee, by=admin, certification_slug="physician-mentor", now=now)
    _db.session.add(Reminder(key="renewal:backup-test", user_id=mentor.id, sent_at=now))
    quizzes.grant_accommodation(
        other, multiplier=1.5, untimed=False, note="dyslexia", by=admin, now=now
    )
    quizzes.grant_attempts(
        other, quizzes.current_quizzes()[0], extra=1, reason="Paged mid-quiz", by=admin, now=now
    )
    plan = _db.session.scalar(select(Lesson).where(Lesson.workbook.is_(True)))
    workbook.save(mentor, plan.id, "My mentoring philosophy", now=now)
    sessions.open_session(mentor, device="Firefox on Linux", remember=True, now=now)
    mfa.new_recovery_codes(admin)
    thread = _db.session.scalars(select(Thread).order_by(Thread.id)).first()
    _db.session.add(ThreadRead(user_id=mentor.id, thread_id=thread.id, last_read_number=1))
    post = _db.session.scalars(  # someone else's, for `other` to report
        select(Post)
        .where(Post.thread_id == thread.id, Post.author_id != other.id)
        .order_by(Post.id)
    ).first()
    forum.edit_post(post.author, post, post.body + "\n\nEdited.", now=now)
    forum.report_post(other, post, reason="Off topic for this category", now=now)
    picture = BytesIO()
    Image.new("RGB", (40, 20), (20, 120, 200)).save(picture, "PNG")
    images.upload_image(
        "communication", BytesIO(picture.getvalue()), filename="chart.png",
        alt_text="A chart", by=admin, now=now,
    )  # fmt: skip
    _db.session.commit()
    empty = [t.name for t in _db.metadata.sorted_tables if not has_rows(t)]
    assert empty == [], f"give these tables a row: {empty}"


def has_rows(table) -> bool:
    return bool(_db.session.scalar(select(exists().select_from(table))))


def every_row(engine) -> dict[str, list[tuple]]:
    with engine.connect() as connection:
        return {
            table.name: [
                tuple(row)
                for row in connection.execute(select(table).order_by(*table.primary_key.columns))
            ]
            for table in _db.metadata.sorted_tables
        }


@pytest.fixture
def empty_database(tmp_path, database):
    """The URL of a database with nothing in it, beside the test's own."""
    if database == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored' / 'empty.db'}"
        return
    name = f"{make_url(POSTGRES_URL).database}_restore"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}"')
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    yield url
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.dispose()


def test_a_backup_restores_into_an_empty_database_row_for_row(app, tmp_path, empty_database):
    fill_every_table(app)
    original = every_row(_db.engine)
    backup_file = tmp_path / "preceptor.backup"

    result = run(app, "backup", str(backup_file))
    assert result.exit_code == 0, result.output
    assert f"backed up the database to {backup_file}" in result.output
    assert backup_file.stat().st_mode & 0o077 == 0, "the backup is private like the database"

    restored_app = create_app(
        make_config(tmp_path / "restored", "sqlite", SQLALCHEMY_DATABASE_URI=empty_database)
    )
    with restored_app.app_context():
        result = run(restored_app, "restore", str(backup_file))
        assert result.exit_code == 0, result.output
        assert every_row(_db.engine) == original
        _db.engine.dispose()


def test_restore_refuses_a_database_that_is_not_empty_unless_forced(app, tmp_path):
    fill_every_table(app)
    backup_file = tmp_path / "preceptor.backup"
    assert run(app, "backup", str(backup_file)).exit_code == 0
    user_count = len(every_row(_db.engine)["users"])
    auth.create_user(
        "later@hospital.example", "Dr. Later", "violet-harbour-lantern-42", {Role.MENTOR}
    )
    _db.session.commit()

    refused = run(app, "restore", str(backup_file))
    assert refused.exit_code == 1
    assert "the database is not empty; restore over it with --force" in refused.output
    assert len(every_row(_db.engine)["users"]) == user_count + 1

    forced = run(app, "restore", "--force", str(backup_file))
    assert forced.exit_code == 0, forced.output
    assert len(every_row(_db.engine)["users"]) == user_count


def test_restore_of_a_missing_file_says_so(app, tmp_path):
    result = run(app, "restore", str(tmp_path / "nothing.backup"))
    assert result.exit_code == 1
    assert "nothing.backup: no such backup file" in result.output


def test_the_empty_check_sees_rows_in_any_table(app):
    from app.backup import is_empty

    assert is_empty()
    send_mail("someone@hospital.example", "Hello", "Body")
    _db.session.commit()
    assert not is_empty()
