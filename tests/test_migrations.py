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
