"""The Alembic migrations build exactly the schema the models describe."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade

from app.extensions import db as _db


def test_migrations_upgrade_an_empty_database_to_the_models(app):
    _db.drop_all()
    with _db.engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    upgrade()
    with _db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), _db.metadata)
    assert differences == []
