from pathlib import Path

import pytest
from flask import Flask

from app.auth.models import Role
from app.authoring import documents
from app.authoring.models import ContentFile
from app.clock import utcnow
from app.extensions import db as _db
from tests.conftest import log_in


@pytest.fixture
def files(app: Flask, content_copy: Path) -> Path:
    """The fixture content synced as `preceptor content sync` does (its files recorded)."""
    documents.sync_folder(content_copy, now=utcnow())
    _db.session.commit()
    return content_copy


@pytest.fixture
def educator(make_user):
    return make_user(Role.EDUCATOR, name="Dr. Edna Educator")


@pytest.fixture
def educator_client(app: Flask, educator):
    client = app.test_client()
    log_in(client, educator)
    return client


def file_row(path: str) -> ContentFile:
    """The file as the database holds it now (after requests that changed it)."""
    _db.session.expire_all()
    row = _db.session.scalar(_db.select(ContentFile).where(ContentFile.path == path))
    assert row is not None, path
    return row
