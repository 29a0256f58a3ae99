"""Two `content sync` runs at once (a deploy hook and an operator, say) on an empty
database: one imports, the other waits and then finds nothing to change; no error."""

import threading

from sqlalchemy import func, select

from app.clock import utcnow
from app.content import load_content
from app.courses.models import Course
from app.courses.sync import sync_content
from app.database import exclusive
from app.extensions import db as _db
from tests.cli.test_commands import FIXTURE_CONTENT

RUNS = 3


def test_concurrent_syncs_import_once_and_never_fail(app, db):
    loaded = load_content(FIXTURE_CONTENT)
    barrier, errors, reports = threading.Barrier(RUNS), [], []

    def one_run() -> None:
        with app.app_context():
            try:
                barrier.wait()
                with exclusive("content sync"):
                    reports.append(sync_content(loaded, now=utcnow()))
                    _db.session.commit()
            except Exception as error:
                errors.append(repr(error))
            finally:
                _db.session.remove()

    threads = [threading.Thread(target=one_run) for _ in range(RUNS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    courses = _db.session.scalar(select(func.count(Course.id)))
    assert courses == len(loaded.courses) > 0
    assert sorted(report.changed for report in reports) == [False] * (RUNS - 1) + [True]
