"""The demo (what `make run` seeds): the certified demo mentor's practice was observed and
signed off by the demo educator; mentor-ready has read lessons but has no sign-off."""

import sqlite3
from contextlib import closing

from tests.cli.test_commands import (  # noqa: F401 (fixtures: `preceptor` in a fresh instance)
    run,
    upgraded_instance,
)


def test_the_certified_demo_mentor_has_a_sign_off_and_mentor_ready_has_none(run, tmp_path):  # noqa: F811
    assert run("content", "sync").returncode == 0
    result = run("demo")
    assert result.returncode == 0, result.stderr
    with closing(sqlite3.connect(tmp_path / "instance" / "preceptor.db")) as database:
        observed = dict(
            database.execute(
                "SELECT mentor.email, observer.email FROM practice_observations o"
                " JOIN users mentor ON mentor.id = o.user_id"
                " JOIN users observer ON observer.id = o.observer_id"
            ).fetchall()
        )
        ratings = database.execute("SELECT ratings FROM practice_observations").fetchall()
        standing = dict(
            database.execute(
                "SELECT u.email, s.practice_done FROM mentor_standings s"
                " JOIN users u ON u.id = s.user_id"
            ).fetchall()
        )
    domain = "demo.preceptor.example"
    assert observed == {
        f"mentor-certified@{domain}": f"educator@{domain}",
        f"mentor-expired@{domain}": f"educator@{domain}",
    }
    assert all('"not_yet"' not in text for (text,) in ratings)
    assert standing[f"mentor-certified@{domain}"] == 1
    assert standing[f"mentor-ready@{domain}"] == 0
    assert standing[f"mentor-new@{domain}"] == 0
