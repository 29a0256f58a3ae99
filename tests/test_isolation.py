"""Every test starts from the bare schema although the schema is built once per run: on
SQLite from a copy of a template file, on PostgreSQL from tables emptied after the test
before. Run twice on each database, the second round proves the first left nothing."""

import pytest
from sqlalchemy import func, select

from app.auth.models import Role, User
from app.extensions import db as _db


@pytest.mark.parametrize("round_", [1, 2])
def test_each_test_sees_empty_tables_and_ids_from_one(app, make_user, round_):
    assert _db.session.scalar(select(func.count()).select_from(User)) == 0
    first = make_user(Role.MENTOR)
    second = make_user(Role.COORDINATOR)
    assert (first.id, second.id) == (1, 2)
