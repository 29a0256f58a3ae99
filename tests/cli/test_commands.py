"""The console commands, run as an educator or operator would run them."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PRECEPTOR = str(Path(sys.executable).parent / "preceptor")
FIXTURE_CONTENT = REPO / "tests/fixtures/content_ok"


def _runner(instance: Path):
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PRECEPTOR_INSTANCE_PATH": str(instance),
        "PRECEPTOR_ENV": "development",
    }

    def run_command(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [PRECEPTOR, *args],
            capture_output=True,
            text=True,
            env=environment,
            cwd=REPO,
            check=False,
            timeout=120,
        )

    return run_command


@pytest.fixture(scope="session")
def upgraded_instance(tmp_path_factory) -> Path:
    """An instance folder whose database `preceptor db upgrade` brought to the newest
    revision, made once per worker: each test starts from a copy of it."""
    instance = tmp_path_factory.mktemp("upgraded") / "instance"
    done = _runner(instance)("db", "upgrade")
    assert done.returncode == 0, done.stderr
    return instance


@pytest.fixture
def run(tmp_path, upgraded_instance):
    shutil.copytree(upgraded_instance, tmp_path / "instance")
    return _runner(tmp_path / "instance")


def test_sync_imports_then_a_second_run_changes_nothing(run):
    first = run("content", "sync", str(FIXTURE_CONTENT))
    assert first.returncode == 0, first.stderr
    assert "created course listening" in first.stdout
    second = run("content", "sync", str(FIXTURE_CONTENT))
    assert second.stdout.strip() == "content is up to date: nothing changed"


def test_sync_of_broken_content_imports_nothing_and_exits_1(run):
    result = run("content", "sync", str(REPO / "tests/fixtures/content_errors"))
    assert result.returncode == 1 and "nothing imported" in result.stderr
    assert run("content", "sync", str(FIXTURE_CONTENT)).stdout.count("created course") == 2


def test_the_default_courses_pass_the_check(run):
    result = run("content", "check")
    assert (result.returncode, result.stderr) == (0, "")


def test_demo_prints_one_login_per_label_and_refuses_a_second_run(run):
    run("content", "sync")
    result = run("demo")
    assert result.returncode == 0, result.stderr
    logins = re.findall(r"^demo-login: (\S+@\S+) (\S+) (\S+)$", result.stdout, re.MULTILINE)
    assert [label for _, _, label in logins] == [
        "admin",
        "coordinator",
        "educator",
        "mentor-certified",
        "mentor-ready",
        "mentor-new",
        "mentor-expired",
    ]
    assert len({password for _, password, _ in logins}) == 7
    verify = re.findall(
        r"^demo-verify: http://127\.0\.0\.1:8000/verify/([A-Z0-9-]{19})$", result.stdout, re.M
    )
    assert len(verify) == 2
    again = run("demo")
    assert again.returncode == 1 and "already has users" in again.stderr
    assert run("demo", "--if-empty").returncode == 0


def test_users_create_checks_the_password_and_the_role(run, tmp_path):
    weak = run(
        "users",
        "create",
        "--email",
        "a@h.example",
        "--name",
        "A",
        "--role",
        "mentor",
        "--password",
        "short",
    )
    assert weak.returncode == 2 and "at least 12 characters" in weak.stderr
    bad_role = run("users", "create", "--email", "a@h.example", "--name", "A", "--role", "wizard")
    assert bad_role.returncode == 2
    made = run(
        "users",
        "create",
        "--email",
        "a@h.example",
        "--name",
        "A",
        "--role",
        "mentor",
        "--role",
        "educator",
    )
    assert made.returncode == 0 and "created a@h.example (educator, mentor)" in made.stdout
    # No long-lived password is printed: a one-hour, single-use link to choose one,
    # printed and e-mailed.
    assert "password:" not in made.stdout
    link = re.search(
        r"^choose a password within the hour: (\S+/auth/reset/\S+)$", made.stdout, re.M
    )
    assert link
    [mail] = (tmp_path / "instance" / "outbox").glob("*.eml")
    assert link.group(1) in mail.read_text().replace("=\n", "")


def test_keys_rotate_publishes_the_old_key_beside_the_new(run, tmp_path):
    import json

    first = run("keys", "rotate")
    assert first.returncode == 0, first.stderr
    assert "new signing key" in first.stdout and "RSA 3072" in first.stdout
    retired = list((tmp_path / "instance" / "retired_signing_keys").glob("*.json"))
    assert len(retired) == 1 and "d" not in json.loads(retired[0].read_text())


def test_users_deactivate_and_reactivate(run):
    made = run("users", "create", "--email", "b@h.example", "--name", "Dr. B", "--role", "mentor")
    assert made.returncode == 0, made.stderr
    off = run("users", "deactivate", "--email", "b@h.example")
    assert off.returncode == 0 and "deactivated b@h.example" in off.stdout
    on = run("users", "reactivate", "--email", "B@h.example")
    assert on.returncode == 0 and "reactivated b@h.example" in on.stdout
    unknown = run("users", "deactivate", "--email", "nobody@h.example")
    assert unknown.returncode == 2 and "no account for nobody@h.example" in unknown.stderr


def test_users_reset_mfa_turns_off_a_lost_second_factor(run, tmp_path):
    import sqlite3

    made = run("users", "create", "--email", "c@h.example", "--name", "Dr. C", "--role", "admin")
    assert made.returncode == 0, made.stderr
    not_on = run("users", "reset-mfa", "--email", "c@h.example")
    assert not_on.returncode == 2 and "does not use two-step sign-in" in not_on.stderr
    database = sqlite3.connect(tmp_path / "instance" / "preceptor.db")
    with database:
        database.execute(
            "UPDATE users SET totp_secret = 'A' || hex(randomblob(10)),"
            " totp_enabled_at = CURRENT_TIMESTAMP WHERE email = 'c@h.example'"
        )
    reset = run("users", "reset-mfa", "--email", "c@h.example")
    assert reset.returncode == 0 and "two-step sign-in is off for c@h.example" in reset.stdout
    row = database.execute("SELECT totp_secret, totp_enabled_at FROM users").fetchone()
    assert row == (None, None)
