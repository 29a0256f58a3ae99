"""Small helpers for keeping rows in step with source files."""


def assign_changed(row: object, values: dict) -> bool:
    """Set only the attributes that differ, so an unchanged row is never written."""
    changed = False
    for name, value in values.items():
        if getattr(row, name) != value:
            setattr(row, name, value)
            changed = True
    return changed
