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
