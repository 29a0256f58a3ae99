"""`make run` syncs the content at every start: a conflict between a file and the browser
is reported and the server still starts; broken files still stop it. The test runs the
very command `make -n run` prints, against a database where the conflict is real."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app.authoring import documents
from app.clock import utcnow
from app.extensions import db as _db
from tests.authoring.conftest import file_row

REPO = Path(__file__).resolve().parents[2]
LESSON = "courses/listening/01-reflect.md"


def make_run_sync_line() -> str:
    planned = subprocess.run(
        [shutil.which("make") or "make", "-n", "run"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    [line] = [line for line in planned.splitlines() if "preceptor content sync" in line]
    # The same command, with the preceptor of the Python running the tests.
    return re.sub(r"\S*/preceptor ", f"{Path(sys.executable).parent}/preceptor ", line)


def run_line(line: str, app, folder: Path) -> subprocess.CompletedProcess:
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PRECEPTOR_INSTANCE_PATH": str(app.config["INSTANCE_PATH"]),
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "PRECEPTOR_CONTENT_DIR": str(folder),
    }
    return subprocess.run(
        ["/bin/sh", "-c", line], cwd=REPO, env=environment, capture_output=True, text=True,
        timeout=120, check=False,
    )  # fmt: skip


@pytest.fixture
def conflict(app, files, educator) -> Path:
    row = file_row(LESSON)
    documents.save_draft(row, row.text.replace("Reflect the feeling", "Reflect the emotion"),
                         opened=row.revisions_count, author=educator, now=utcnow())  # fmt: skip
    documents.publish("listening", author=educator, now=utcnow())
    _db.session.commit()
    path = files / LESSON
    path.write_text(path.read_text().replace("Reflect the feeling", "Mirror the feeling"))
    _db.session.remove()
    return files


def test_make_run_reports_a_conflict_and_still_starts(app, conflict):
    done = run_line(make_run_sync_line(), app, conflict)
    assert done.returncode == 0, done.stderr
    assert f"{conflict / LESSON}:1: conflict" in done.stderr


def test_make_run_still_stops_on_broken_content(app, files):
    (files / LESSON).write_text("no front matter at all\n")
    done = run_line(make_run_sync_line(), app, files)
    assert done.returncode != 0
    assert "nothing imported" in done.stderr
