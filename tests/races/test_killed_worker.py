"""A worker killed in the middle of grading (after its UPDATE, before its COMMIT) leaves
no half-graded attempt: the attempt is still open, nothing was awarded, and the mentor
can submit it again. A real process, really killed, on SQLite and PostgreSQL."""

import json
import subprocess
import sys
from pathlib import Path

from sqlalchemy import func, select

from app.certification.models import Certificate
from app.clock import utcnow
from app.extensions import db as _db
from app.quizzes import service as quizzes
from app.quizzes.models import Attempt
from tests.certification.conftest import read_course

REPO = Path(__file__).resolve().parents[2]

# Runs in its own process: grades the attempt with the right answers through the same
# service a request uses, and kills itself the moment the grade is written, uncommitted.
# (Nothing is awarded after a kill: the award would come after the grade.)
WORKER = """
import json, os, signal, sys
from sqlalchemy import event
from app import create_app
from app.clock import utcnow
from app.extensions import db
from app.quizzes import service as quizzes
from app.quizzes.models import Attempt
from tests.conftest import make_config
from pathlib import Path

folder, database, url, attempt_id, answers = sys.argv[1:6]
app = create_app(make_config(Path(folder), database, SQLALCHEMY_DATABASE_URI=url))
with app.app_context():
    def die(_conn, _cursor, statement, *_args):
        if statement.startswith("UPDATE attempts"):
            os.kill(os.getpid(), signal.SIGKILL)
    event.listen(db.engine, "after_cursor_execute", die)
    attempt = db.session.get(Attempt, int(attempt_id))
    quizzes.submit(attempt, json.loads(answers), now=utcnow())
    db.session.commit()  # never reached: the process dies at the UPDATE
"""


def right_answers(attempt: Attempt) -> dict:
    return {
        q["key"]: q["accepted"][0] if q["kind"] == "text" else q["correct"]
        for q in attempt.snapshot
    }


def test_a_worker_killed_mid_submit_leaves_the_attempt_open(
    app, synced, mentor, tmp_path, database
):
    read_course(mentor, "goals", now=utcnow())
    attempt = quizzes.start_attempt(mentor, quizzes.get_quiz("goals-check"), now=utcnow())
    _db.session.commit()
    answers = right_answers(attempt)

    url = _db.engine.url.render_as_string(hide_password=False)
    worker = subprocess.run(
        [sys.executable, "-c", WORKER, str(tmp_path / "worker"), database, url,
         str(attempt.id), json.dumps(answers)],
        cwd=REPO, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert worker.returncode == -9, worker.stderr  # SIGKILL, after the UPDATE ran

    _db.session.expire_all()
    reopened = _db.session.get(Attempt, attempt.id)
    assert reopened.submitted_at is None and reopened.earned is None, "nothing half-graded"
    assert _db.session.scalar(select(func.count()).select_from(Certificate)) == 0

    submission = quizzes.submit(reopened, answers, now=utcnow())
    _db.session.commit()
    assert submission.recorded and reopened.earned == reopened.possible
