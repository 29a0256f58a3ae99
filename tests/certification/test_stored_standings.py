"""The stored mentor standings (the rows the dashboard, CSV, API and reminders read) stay
equal to a fresh computation through every kind of change, and the pages that list
mentors (the dashboard, the CSV, the API, a mentee's suggestions) run the same number
of statements with 10 mentors as with 500."""

from datetime import timedelta

import pytest
from sqlalchemy import insert, select

from app.auth.models import Role, User, UserRole
from app.certification import service as certification
from app.certification.models import MentorStanding
from app.certification.standing import rebuild_all
from app.clock import utcnow
from app.content import load_content
from app.courses.sync import sync_content
from app.extensions import db as _db
from app.matching.models import Mentee
from tests.certification.conftest import certify, pass_quiz, read_course
from tests.conftest import client_with_role, queries_for


def stored() -> list[tuple]:
    return [
        tuple(getattr(row, column.name) for column in MentorStanding.__table__.columns)
        for row in _db.session.scalars(
            select(MentorStanding).order_by(MentorStanding.user_id)
        ).all()
    ]


def assert_in_step() -> list[tuple]:
    """The stored rows equal what a rebuild from scratch computes."""
    _db.session.commit()
    _db.session.expire_all()
    kept = stored()
    rebuild_all(_db.session.connection())
    _db.session.expire_all()
    assert stored() == kept
    _db.session.rollback()
    return kept


def row_of(user) -> MentorStanding:
    _db.session.expire_all()
    return _db.session.scalar(select(MentorStanding).where(MentorStanding.user_id == user.id))


def test_the_stored_standing_follows_each_step_of_a_mentor(db, synced, make_user, tmp_path):
    now = utcnow()
    mentor = make_user(Role.MENTOR, name="Dr. Ama Owusu")
    coordinator = make_user(Role.COORDINATOR)
    assert row_of(mentor).state == "not_started" and row_of(mentor).lessons_done == 0
    assert row_of(coordinator) is None, "only mentors have a standing"
    assert_in_step()

    read_course(mentor, "listening", now=now)
    _db.session.commit()
    assert row_of(mentor).state == "in_progress" and row_of(mentor).lessons_done > 0
    assert_in_step()

    read_course(mentor, "goals", now=now)
    pass_quiz(mentor, "goals-check", now=now, right=False)
    _db.session.commit()
    assert row_of(mentor).best_quiz_percent == 0
    assert_in_step()

    mentor.name, mentor.specialty = "Dr. Ama Owusu-Mensah", "  Family Medicine "
    _db.session.commit()
    assert row_of(mentor).name_key == "dr. ama owusu-mensah"
    assert row_of(mentor).specialty_key == "family medicine"
    assert_in_step()

    [certificate] = certify(mentor, now=now + timedelta(hours=2))
    assert row_of(mentor).state == "holds" and row_of(mentor).certificate_id == certificate.id
    assert row_of(mentor).best_quiz_percent == 100
    assert_in_step()

    from app.matching import service as matching
    from app.matching.models import CareerStage, Match, MatchKind

    mentee = matching.add_mentee(
        name="Mentee", email="mentee@hospital.example", specialty="Surgery",
        career_stage=CareerStage.RESIDENT, interests=[],
    )  # fmt: skip
    match = Match(kind=MatchKind.MENTEE, mentor_id=mentor.id, mentee_id=mentee.id)
    _db.session.add(match)
    _db.session.commit()
    assert row_of(mentor).active_matches == 1
    assert_in_step()

    certification.revoke(certificate, by=coordinator, reason="Test", now=now)
    _db.session.commit()
    assert row_of(mentor).state == "revoked"
    assert_in_step()
    [(flagged, why)] = matching.flagged_matches(certification_slug="test-mentor", now=now).matches
    assert flagged.id == match.id and why.endswith("certificate revoked")

    _db.session.get(Match, match.id).ended_at = now
    _db.session.commit()
    assert row_of(mentor).active_matches == 0
    assert matching.flagged_matches(certification_slug="test-mentor", now=now).total == 0
    assert_in_step()


def test_a_content_sync_that_changes_lessons_recounts_everyone(db, synced, make_user, content_copy):
    mentor = make_user(Role.MENTOR)
    read_course(mentor, "listening", now=utcnow())
    _db.session.commit()
    before = row_of(mentor).lessons_total
    lesson = next((content_copy / "courses" / "listening").glob("0*.md"))
    lesson.unlink()  # an educator removes a lesson: it is archived, the total drops
    report = sync_content(load_content(content_copy), now=utcnow())
    _db.session.commit()
    assert report.changed and row_of(mentor).lessons_total == before - 1
    assert_in_step()


def add_lapsed_matches(count: int, start: int) -> None:
    """Matches (written as an old import would) whose mentor is not certified: the
    dashboard lists each one for review."""
    from app.matching import service as matching
    from app.matching.models import CareerStage, Match, MatchKind

    mentors = _db.session.scalars(
        select(User.id).where(User.email.like("bulk%")).order_by(User.id).offset(start).limit(count)
    ).all()
    for n, mentor_id in enumerate(mentors, start=start):
        mentee = matching.add_mentee(
            name=f"Mentee {n}",
            email=f"mentee{n}@hospital.example",
            specialty="Surgery",
            career_stage=CareerStage.RESIDENT,
            interests=[],
        )
        _db.session.add(Match(kind=MatchKind.MENTEE, mentor_id=mentor_id, mentee_id=mentee.id))
    _db.session.commit()


def add_mentors(count: int, start: int) -> None:
    """Mentors written in bulk (as an import would), then the standings rebuilt."""
    users = [
        {
            "email": f"bulk{n}@hospital.example",
            "name": f"Dr. Bulk {n:04d}",
            "handle": f"bulk{n}",
            "password_hash": "x",
            "specialty": "Surgery" if n % 2 else "Pediatrics",
            "created_at": utcnow(),
        }
        for n in range(start, start + count)
    ]
    _db.session.execute(insert(User), users)
    ids = _db.session.scalars(select(User.id).where(User.email.like("bulk%"))).all()
    known = set(_db.session.scalars(select(UserRole.user_id)).all())
    _db.session.execute(
        insert(UserRole), [{"user_id": i, "role": Role.MENTOR} for i in ids if i not in known]
    )
    rebuild_all(_db.session.connection())
    _db.session.commit()


LISTS = [
    "/coordinator/",
    "/coordinator/?status=in_progress&sort=progress&dir=desc",
    "/coordinator/?q=bulk&specialty=Surgery&page=2",
    "/coordinator/mentors.csv",
]


@pytest.fixture
def ten_then_five_hundred(db, synced, make_user):
    from app.matching import service as matching
    from app.matching.models import CareerStage

    now = utcnow()
    for n in range(3):
        mentor = make_user(Role.MENTOR)
        certify(mentor, now=now - timedelta(days=n * 300))
        matching.save_profile(
            mentor,
            career_stage=CareerStage.SENIOR,
            interests=["research"],
            capacity=3,
            open_to_other_specialties=True,
            specialty="Surgery",
            now=now,
        )
    read_course(make_user(Role.MENTOR), "listening", now=now)
    _db.session.commit()
    add_mentors(6, start=0)
    add_lapsed_matches(1, start=0)

    def grow() -> None:
        add_mentors(490, start=6)
        add_lapsed_matches(5, start=1)

    return grow


def test_listing_pages_run_as_many_statements_for_500_mentors_as_for_10(
    app, make_user, ten_then_five_hundred
):
    from app.api import tokens

    coordinator = client_with_role(app, make_user, Role.COORDINATOR)
    _token, plaintext = tokens.create_token(make_user(Role.COORDINATOR), "list", now=utcnow())
    _db.session.commit()
    headers = {"Authorization": f"Bearer {plaintext}"}
    mentee_id = _db.session.scalar(select(Mentee.id).order_by(Mentee.id).limit(1))
    lists = [*LISTS, f"/matching/mentees/{mentee_id}/", f"/matching/mentees/{mentee_id}/?who=bulk"]
    for url in lists:  # warm up (first-request work is not the page's)
        queries_for(coordinator, url)
    api_queries(app, headers)  # the token's first use records when it was used
    small = {url: queries_for(coordinator, url) for url in lists}
    small["api"] = api_queries(app, headers)
    ten_then_five_hundred()
    assert _db.session.scalar(select(MentorStanding.user_id).offset(499).limit(1))
    large = {url: queries_for(coordinator, url) for url in lists}
    large["api"] = api_queries(app, headers)
    assert large == small


def api_queries(app, headers) -> int:
    from sqlalchemy import event

    client, count = app.test_client(), 0

    def record(*_args) -> None:
        nonlocal count
        count += 1

    event.listen(_db.engine, "before_cursor_execute", record)
    try:
        response = client.get("/api/v1/mentors?per_page=50&page=2", headers=headers)
        assert response.status_code == 200
    finally:
        event.remove(_db.engine, "before_cursor_execute", record)
    return count
