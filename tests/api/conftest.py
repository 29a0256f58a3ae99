"""API fixtures: tokens per role, and a small program with mentors in every state."""

from collections.abc import Callable
from datetime import timedelta

import pytest

from app.api import tokens
from app.auth.models import Role, User
from app.certification import service as certification
from app.clock import utcnow
from app.extensions import db as _db
from app.matching import service as matching
from app.matching.models import CareerStage
from tests.certification.conftest import certify, read_course


@pytest.fixture
def make_token(app) -> Callable[[User], str]:
    def make(user: User, label: str = "matching system") -> str:
        _token, plaintext = tokens.create_token(user, label, now=utcnow())
        _db.session.commit()
        return plaintext

    return make


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def coordinator(make_user) -> User:
    return make_user(Role.COORDINATOR, name="Dr. Cora Coordinator")


@pytest.fixture
def coordinator_headers(coordinator, make_token) -> dict[str, str]:
    return bearer(make_token(coordinator))


def give_profile(user: User, *, capacity: int = 2, specialty: str = "Surgery") -> None:
    matching.save_profile(
        user,
        career_stage=CareerStage.SENIOR,
        interests=["research", "teaching"],
        capacity=capacity,
        open_to_other_specialties=True,
        specialty=specialty,
        now=utcnow(),
    )
    _db.session.commit()


@pytest.fixture
def roster(synced, make_user, coordinator) -> dict:
    """A mentor in each state, two mentees and one match; names sort in this order."""
    now = utcnow()
    ready = make_user(Role.MENTOR, name="Dr. Ada Ready")
    certify(ready, now=now)
    give_profile(ready, specialty="Surgery")
    reading = make_user(Role.MENTOR, name="Dr. Ben Reading")
    read_course(reading, "listening", now=now)
    give_profile(reading, specialty="Pediatrics")
    fresh = make_user(Role.MENTOR, name="Dr. Cy Fresh")
    expired = make_user(Role.MENTOR, name="Dr. Di Expired")
    certify(expired, now=now - timedelta(days=25 * 31))
    give_profile(expired)
    revoked = make_user(Role.MENTOR, name="Dr. Ed Revoked")
    (certificate,) = certify(revoked, now=now)
    certification.revoke(certificate, by=coordinator, reason="left the program", now=now)
    give_profile(revoked)
    unprofiled = make_user(Role.MENTOR, name="Dr. Fay Unprofiled")
    certify(unprofiled, now=now)
    first = matching.add_mentee(
        name="Gus Mentee",
        email="gus@students.example",
        specialty="Surgery",
        career_stage=CareerStage.RESIDENT,
        interests=["research"],
    )
    second = matching.add_mentee(
        name="Hana Mentee",
        email="hana@students.example",
        specialty="Pediatrics",
        career_stage=CareerStage.STUDENT,
        interests=["teaching"],
    )
    match = matching.create_match(
        ready, first, by=coordinator, certification_slug="test-mentor", now=now
    )
    _db.session.commit()
    return {
        "ready": ready,
        "reading": reading,
        "fresh": fresh,
        "expired": expired,
        "revoked": revoked,
        "unprofiled": unprofiled,
        "mentees": [first, second],
        "match": match,
    }
