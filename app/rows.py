"""Small helpers for keeping rows in step with source files."""


def assign_changed(row: object, values: dict) -> bool:
    """Set only the attributes that differ, so an unchanged row is never written."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed


def lock_user(user_id: int) -> None:
    """Hold the user's row until commit, so check-then-write rules for one person
    (attempts left, certificate issued, capacity) run one at a time on PostgreSQL.
    SQLite ignores FOR UPDATE: there a request that writes holds the database's write
    lock from its first statement (app.database), which serializes the same rules."""
    from sqlalchemy import select

    from app.auth.models import User
    from app.extensions import db

    # NO KEY UPDATE: rows that reference the user (a lesson done, an attempt) take a KEY
    # SHARE lock on it, which FOR UPDATE would wait for: two tabs would deadlock.
    db.session.execute(select(User.id).where(User.id == user_id).with_for_update(key_share=True))
