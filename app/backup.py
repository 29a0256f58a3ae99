"""`preceptor backup FILE` and `preceptor restore FILE`: the whole database to one file
and back. SQLite uses its online backup API (safe while the site runs); PostgreSQL uses
pg_dump's custom format and pg_restore, which must be on the PATH in a version at least
the server's.
"""

import os
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

from sqlalchemy import exists, make_url, select
from sqlalchemy.engine import URL

from app.extensions import db


class BackupError(Exception):
    """Something an operator can fix, said in one line."""


def _url() -> URL:
    return make_url(str(db.engine.url.render_as_string(hide_password=False)))


def _sqlite_path(url: URL) -> Path:
    return Path(url.database or "")


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A URL pg_dump understands, and the environment holding the password."""
    environment = dict(os.environ)
    if url.password:
        environment["PGPASSWORD"] = url.password
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), environment


def _run(command: list[str], environment: dict[str, str]) -> None:
    try:
        done = subprocess.run(  # noqa: S603 (a fixed program, arguments from our own config)
            command, env=environment, capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        raise BackupError(f"{command[0]} is not installed (PostgreSQL's client tools)") from None
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip()[:500]}")


def backup(target: Path) -> None:
    url = _url()
    target.parent.mkdir(parents=True, exist_ok=True)
    if url.drivername.startswith("sqlite"):
        with (
            closing(sqlite3.connect(_sqlite_path(url))) as source,
            closing(sqlite3.connect(target)) as copy,
        ):
            source.backup(copy)
    elif url.drivername.startswith("postgresql"):
        address, environment = _libpq(url)
        _run(["pg_dump", "--format=custom", "--no-owner", f"--file={target}", address], environment)
    else:
        raise BackupError(f"backups of {url.drivername} databases are not supported")
    target.chmod(0o600)


def is_empty() -> bool:
    """No row in any of the app's tables (the schema alone, or nothing at all)."""
    with db.engine.connect() as connection:
        present = set(db.inspect(connection).get_table_names())
        for table in db.metadata.sorted_tables:
            if table.name in present and connection.scalar(select(exists().select_from(table))):
                return False
    return True


def restore(source: Path, *, force: bool) -> None:
    if not source.is_file():
        raise BackupError(f"{source}: no such backup file")
    if not force and not is_empty():
        raise BackupError("the database is not empty; restore over it with --force")
    url = _url()
    db.session.remove()
    db.engine.dispose()
    if url.drivername.startswith("sqlite"):
        with closing(sqlite3.connect(source)) as backup_copy:
            if backup_copy.execute("PRAGMA quick_check").fetchone() != ("ok",):
                raise BackupError(f"{source}: not a sound SQLite backup")
            with closing(sqlite3.connect(_sqlite_path(url))) as live:
                backup_copy.backup(live)
    elif url.drivername.startswith("postgresql"):
        address, environment = _libpq(url)
        _run(
            ["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
             f"--dbname={address}", str(source)],
            environment,
        )  # fmt: skip
    else:
        raise BackupError(f"restoring {url.drivername} databases is not supported")
