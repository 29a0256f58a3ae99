"""The observed-practice revision upgrades a database in use, also from before the
progress model's revision, whose own rebuild of the standings runs today's code."""

import pytest
from flask_migrate import upgrade
from sqlalchemy import text

from app.clock import utcnow
from app.content import load_content
from app.courses.sync import sync_content
from app.extensions import db as _db
from tests.conftest import FIXTURES


@pytest.mark.fresh_database
def test_an_upgrade_from_before_the_progress_model_with_mentors_reaches_the_head(app):
    _db.drop_all()
    with _db.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    upgrade(revision="e2f8a6b41c57")
    now = utcnow()
    with _db.engine.begin() as connection:
        for statement in (
            "INSERT INTO courses (slug, title, summary, overview_html, position, version,"
            " content_hash) VALUES ('goals', 'Goals', 'S', '', 1, 1, 'h')",
            "INSERT INTO lessons (course_id, slug, title, position, body_html, content_hash)"
            " SELECT id, 'smart', 'SMART', 1, '<p>x</p>', 'h' FROM courses",
            "INSERT INTO users (email, name, handle, password_hash, created_at)"
            " VALUES ('a@hospital.example', 'Dr. A', 'dr-a', 'x', :now)",
            "INSERT INTO user_roles (user_id, role) SELECT id, 'mentor' FROM users",
            "INSERT INTO lesson_completions (user_id, lesson_id, completed_at)"
            " SELECT users.id, lessons.id, :now FROM users, lessons",
            "INSERT INTO certifications (slug, title, course_slugs)"
            " VALUES ('test-mentor', 'Test Mentor', '[\"goals\"]')",
        ):
            connection.execute(text(statement), {"now": now})

    upgrade()

    with _db.engine.connect() as connection:
        row = connection.execute(
            text("SELECT state, courses_complete, practice_done FROM mentor_standings")
        ).one()
    assert (row.state, bool(row.courses_complete), bool(row.practice_done)) == (
        "in_progress",
        True,
        True,  # nothing asked for yet
    )
    sync_content(load_content(FIXTURES / "content_ok"), now=now)
    _db.session.commit()
    with _db.engine.connect() as connection:
        done = connection.scalar(text("SELECT practice_done FROM mentor_standings"))
    assert not done, "the synced certification asks for observed practice"
