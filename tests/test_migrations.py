"""The Alembic migrations build exactly the schema the models describe."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from app.extensions import db as _db
from app.forum.search import is_search_table


def include_name(name, type_, parent_names) -> bool:
    """As migrations/env.py: the SQLite full-text search tables are no model's."""
    return not (type_ == "table" and name and is_search_table(name))


@pytest.mark.fresh_database
def test_migrations_upgrade_an_empty_database_to_the_models(app):
    _db.drop_all()
    with _db.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    upgrade()
    with _db.engine.connect() as connection:
        differences = compare_metadata(
            MigrationContext.configure(connection, opts={"include_name": include_name}),
            _db.metadata,
        )
    assert differences == []


@pytest.mark.fresh_database
def test_an_upgrade_keeps_a_database_in_use(app):
    """From the progress model's revision to the head with courses, lessons, completions
    and questions in place (SQLite with its foreign keys on, as the app runs it): a rebuilt
    table that other rows point at would fail here."""
    from sqlalchemy import text

    from app.clock import utcnow
    from app.content import load_content
    from app.courses.sync import sync_content
    from tests.conftest import FIXTURES

    _db.drop_all()
    with _db.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    upgrade(revision="f3a9c2d8e4b1")
    content = load_content(FIXTURES / "content_ok")
    now = utcnow()
    with _db.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO courses (slug, title, summary, overview_html, position, version,"
                " content_hash) VALUES ('goals', 'Goals', 'S', '', 1, 1, 'h')"
            )
        )
        course_id = connection.scalar(text("SELECT id FROM courses"))
        connection.execute(
            text(
                "INSERT INTO lessons (course_id, slug, title, position, body_html, content_hash)"
                " VALUES (:course, 'smart', 'SMART', 1, '<p>x</p>', 'h')"
            ),
            {"course": course_id},
        )
        connection.execute(
            text(
                "INSERT INTO users (email, name, handle, password_hash, created_at)"
                " VALUES ('a@hospital.example', 'Dr. A', 'dr-a', 'x', :now)"
            ),
            {"now": now},
        )
        connection.execute(
            text(
                "INSERT INTO lesson_completions (user_id, lesson_id, completed_at)"
                " SELECT users.id, lessons.id, :now FROM users, lessons"
            ),
            {"now": now},
        )
    upgrade()
    with _db.engine.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM lesson_completions")) == 1
        assert connection.scalar(text("SELECT workbook FROM lessons")) in (0, False)
    sync_content(content, now=now)  # the new columns take content
    _db.session.commit()


def test_a_new_sqlite_database_file_is_readable_by_its_owner_only(tmp_path):
    import stat

    from app import create_app
    from tests.conftest import make_config

    folder = tmp_path / "fresh"
    app = create_app(make_config(folder, "sqlite"))
    database = folder / "test.db"
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    with app.app_context():
        _db.create_all()
        _db.session.execute(_db.text("SELECT 1"))
        _db.engine.dispose()
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
