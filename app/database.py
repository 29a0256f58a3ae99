"""SQLite transactions that hold what a request checks before it writes.

Python's sqlite3 driver opens a transaction only before INSERT, UPDATE or DELETE, so the
SELECTs that check a rule ("no open attempt", "capacity left") run outside it, and two
requests can both check, then both write. A request that writes therefore begins its
transaction with BEGIN IMMEDIATE at its first statement, reads included: it holds
SQLite's one write lock while it checks, and a second writer waits for it (busy_timeout)
instead of slipping past. Requests with an unsafe method (POST and the like) write; a GET
view that writes says so with @writes. Everything else (pages that only read, commands)
keeps the driver's own behavior, so readers never wait for a writer (WAL); the commands
that send claim each message or reminder by a unique key instead, and `content sync`
runs alone inside exclusive().

PostgreSQL needs none of this: its check-then-write rules lock rows
(app.rows.lock_user) or rest on constraints.
"""

import os
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import TypeVar

from flask import current_app, has_request_context, request
from sqlalchemy import event, make_url, text
from sqlalchemy.engine import Connection, Engine

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
BUSY_TIMEOUT_MS = 5000

View = TypeVar("View", bound=Callable)


def writes(view: View) -> View:
    """Mark a GET view that writes (a read marker, an expired attempt closed): its
    transaction takes the write lock from the start, like a POST's."""
    view.writes = True  # type: ignore[attr-defined]
    return view


_exclusive = ContextVar("exclusive", default=False)


@contextmanager
def exclusive(name: str) -> Iterator[None]:
    """Run the block's transaction alone among every process that asks for `name` (two
    `content sync` runs at once, say): SQLite's write lock from the first statement;
    on PostgreSQL a transaction-scoped advisory lock. Commit inside the block."""
    from app.extensions import db

    db.session.commit()  # the next statement begins a new transaction, with the lock
    token = _exclusive.set(True)
    try:
        if db.engine.dialect.name == "postgresql":
            key = zlib.crc32(name.encode())
            db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})
        yield
    finally:
        _exclusive.reset(token)


def takes_write_lock() -> bool:
    if _exclusive.get():
        return True
    if not has_request_context():
        return False
    if request.method not in SAFE_METHODS:
        return True
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(view, "writes", False))


def _is_sqlite(dbapi_connection) -> bool:
    return type(dbapi_connection).__module__.startswith("sqlite3")


@event.listens_for(Engine, "connect")
def _sqlite_connect(dbapi_connection, _record) -> None:
    """Foreign keys on, and WAL so readers never wait for the writer."""
    if not _is_sqlite(dbapi_connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(connection: Connection) -> None:
    if connection.dialect.name != "sqlite":
        return
    driver_connection = connection.connection.driver_connection
    if takes_write_lock():
        driver_connection.isolation_level = None  # the driver adds no BEGIN of its own
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    else:
        driver_connection.isolation_level = ""  # the driver's BEGIN before the first write


def create_sqlite_file_privately(database_url: str) -> None:
    """A new SQLite database file is readable by its owner only (0600), like the secret
    key beside it: it holds password hashes and mentees' details. SQLite gives its -wal
    and -shm files the same mode."""
    url = make_url(database_url)
    if not url.drivername.startswith("sqlite") or url.database in (None, "", ":memory:"):
        return
    path = Path(url.database)
    if path.exists():
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))


IDLE_IN_TRANSACTION_LIMIT = "60s"


def engine_options(
    database_url: str, *, idle_in_transaction: str = IDLE_IN_TRANSACTION_LIMIT
) -> dict:
    """A server database can restart under a running app: each pooled connection is
    checked before use, so the first request after a restart works instead of failing.
    And a connection cut half-way through a transaction (a network fault, a killed
    worker) must not hold its locks for long: the server ends such a transaction."""
    if make_url(database_url).drivername.startswith("sqlite"):
        return {}
    return {
        "pool_pre_ping": True,
        "connect_args": {
            "options": f"-c idle_in_transaction_session_timeout={idle_in_transaction}"
        },
    }
