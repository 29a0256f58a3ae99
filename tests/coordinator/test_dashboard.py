"""The coordinator's dashboard, export and per-mentor page."""

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import event, insert

from app.auth.models import Role, User, UserRole
from app.certification import service as certification
from app.clock import utcnow
from app.coordinator.service import spreadsheet_safe
from app.extensions import db as _db
from tests.certification.conftest import certify, read_course
from tests.conftest import client_with_role


@pytest.fixture
def coordinator(app, make_user):
    return client_with_role(app, make_user, Role.COORDINATOR)


@pytest.fixture
def cohort(db, synced, make_user):
    """Four mentors at four stages."""
    now = utcnow()
    fresh = make_user(Role.MENTOR, name="Dr. Ada Fresh")
    fresh.specialty = "Pediatrics"
    busy = make_user(Role.MENTOR, name="Dr. Ben Busy")
    busy.specialty = "Surgery"
    read_course(busy, "listening", now=now)
    done = make_user(Role.MENTOR, name="Dr. Cy Done")
    done.specialty = "Surgery"
    certify(done, now=now)
    old = make_user(Role.MENTOR, name="Dr. Di Old")
    certify(old, now=now - timedelta(days=24 * 31 + 5))
    db.session.commit()
    return {"fresh": fresh, "busy": busy, "done": done, "old": old}


def page(client, query: str = "") -> str:
    response = client.get("/coordinator/" + query)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_every_mentor_is_listed_with_status_progress_and_dates(coordinator, cohort):
    html = page(coordinator)
    for name in ("Dr. Ada Fresh", "Dr. Ben Busy", "Dr. Cy Done", "Dr. Di Old"):
        assert name in html
    assert (
        "Not started" in html
        and "In progress" in html
        and "Certified" in html
        and "Expired" in html
    )
    assert 'aria-label="Dr. Ben Busy: Listening well"' in html


def test_the_funnel_counts_each_stage(coordinator, cohort):
    html = page(coordinator)
    assert (
        "Not started: 1; In progress: 1; Awaiting observation: 0; Certified: 1; Expiring: 0; "
        "Expired: 1; Revoked: 0".lower()
        in html.lower()
    )


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("?status=certified", ["Dr. Cy Done"], ["Dr. Ada Fresh", "Dr. Di Old"]),
        ("?status=expired", ["Dr. Di Old"], ["Dr. Cy Done"]),
        ("?status=not_started", ["Dr. Ada Fresh"], ["Dr. Ben Busy"]),
        ("?specialty=Surgery", ["Dr. Ben Busy", "Dr. Cy Done"], ["Dr. Ada Fresh"]),
        ("?q=ben", ["Dr. Ben Busy"], ["Dr. Cy Done"]),
        ("?expires_within=800", ["Dr. Cy Done"], ["Dr. Di Old", "Dr. Ben Busy"]),
        ("?expires_within=30", [], ["Dr. Cy Done"]),
    ],
)
def test_filters(coordinator, cohort, query, shown, hidden):
    html = page(coordinator, query)
    table = html[html.index("<tbody>") :]
    assert all(name in table for name in shown)
    assert not any(name in table for name in hidden)


def test_sorting_by_name_descending(coordinator, cohort):
    html = page(coordinator, "?sort=name&dir=desc")
    assert html.index("Dr. Di Old") < html.index("Dr. Ada Fresh")


def test_bad_filter_values_are_ignored_not_errors(coordinator, cohort):
    html = page(coordinator, "?status=<script>&expires_within=abc&page=-3&sort=drop")
    assert "Dr. Ada Fresh" in html and "<script>" not in html


def test_the_csv_export_follows_the_filters_and_opens_cleanly(coordinator, cohort):
    response = coordinator.get("/coordinator/mentors.csv?specialty=Surgery")
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][:4] == ["Name", "E-mail", "Specialty", "Status"]
    assert sorted(r[0] for r in rows[1:]) == ["Dr. Ben Busy", "Dr. Cy Done"]
    done = next(r for r in rows if r[0] == "Dr. Cy Done")
    [certificate] = certification.certificates_of(cohort["done"])
    assert done[3] == "certified" and done[-2] == certificate.code


def test_csv_cells_that_look_like_formulas_are_neutralised(coordinator, db, synced, make_user):
    make_user(Role.MENTOR, name='=HYPERLINK("http://evil.example","click")')
    text = coordinator.get("/coordinator/mentors.csv").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[1][0] == '\'=HYPERLINK("http://evil.example","click")'
    assert [spreadsheet_safe(v) for v in ("+1", "-2", "@x", "\tx", "ok", None)] == [
        "'+1",
        "'-2",
        "'@x",
        "'\tx",
        "ok",
        "",
    ]


def test_the_mentor_page_shows_the_whole_history(coordinator, cohort, db, make_user):
    done = cohort["done"]
    [certificate] = certification.certificates_of(done)
    certification.revoke(
        certificate, by=make_user(Role.COORDINATOR), reason="Paused for review", now=utcnow()
    )
    db.session.commit()
    html = coordinator.get(f"/coordinator/mentors/{done.id}/").get_data(as_text=True)
    assert certificate.code in html and "Paused for review" in html
    assert "certificate revoked" in html and "certificate issued" in html
    assert "Reflecting feeling and content" in html  # a lesson completed
    assert "Goals check" in html  # a quiz attempt


def test_an_unknown_or_non_mentor_id_is_a_404(coordinator, make_user):
    assert coordinator.get("/coordinator/mentors/99999/").status_code == 404
    educator = make_user(Role.EDUCATOR)
    assert coordinator.get(f"/coordinator/mentors/{educator.id}/").status_code == 404


@pytest.mark.parametrize("role", [Role.MENTOR, Role.EDUCATOR])
def test_mentors_and_educators_are_refused_the_dashboard_and_export(app, synced, make_user, role):
    client = client_with_role(app, make_user, role)
    for url in (
        "/coordinator/",
        "/coordinator/mentors.csv",
        f"/coordinator/mentors/{make_user().id}/",
    ):
        assert client.get(url).status_code == 403


def test_admins_see_the_dashboard(app, synced, make_user):
    assert client_with_role(app, make_user, Role.ADMIN).get("/coordinator/").status_code == 200


def _add_mentors(count: int) -> None:
    password_hash = _db.session.get(User, 1).password_hash
    start = _db.session.query(User).count()
    rows = [
        {
            "email": f"m{start + i}@load.example",
            "name": f"Mentor {start + i:05d}",
            "handle": f"load-mentor-{start + i}",
            "password_hash": password_hash,
            "created_at": utcnow(),
        }
        for i in range(count)
    ]
    _db.session.execute(insert(User), rows)
    ids = [u.id for u in _db.session.query(User).filter(User.email.like("%@load.example"))]
    existing = {r.user_id for r in _db.session.query(UserRole).filter(UserRole.user_id.in_(ids))}
    _db.session.execute(
        insert(UserRole), [{"user_id": i, "role": Role.MENTOR} for i in ids if i not in existing]
    )
    _db.session.commit()


def count_queries(client, url: str) -> int:
    statements = []

    def record(*_args):
        statements.append(1)

    engine = _db.engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return len(statements)


@pytest.mark.parametrize("database", ["sqlite"], indirect=True)
def test_the_dashboards_query_count_does_not_grow_with_the_number_of_mentors(coordinator, cohort):
    _add_mentors(20)
    few = count_queries(coordinator, "/coordinator/")
    _add_mentors(10_000)
    many = count_queries(coordinator, "/coordinator/")
    assert many == few
    assert count_queries(coordinator, "/coordinator/mentors.csv") <= few


def test_active_matches_of_a_mentor_whose_certificate_was_revoked_are_flagged(
    coordinator, cohort, db, make_user
):
    from app.matching import service as matching
    from app.matching.models import CareerStage

    done = cohort["done"]
    matching.save_profile(
        done,
        career_stage=CareerStage.SENIOR,
        interests=[],
        capacity=2,
        open_to_other_specialties=True,
        specialty="Surgery",
        now=utcnow(),
    )
    mentee = matching.add_mentee(
        name="Dr. Mentee One",
        email="mentee1@hospital.example",
        specialty="Surgery",
        career_stage=CareerStage.RESIDENT,
        interests=[],
    )
    matching.create_match(done, mentee, by=None, certification_slug="test-mentor", now=utcnow())
    db.session.commit()
    assert "review these matches" not in page(coordinator)
    [certificate] = certification.certificates_of(done)
    certification.revoke(certificate, by=make_user(Role.COORDINATOR), reason="Review", now=utcnow())
    db.session.commit()
    html = page(coordinator)
    assert "Certificate lapsed: review these matches" in html
    assert "Dr. Cy Done: certificate revoked</a>" in html and "mentee Dr. Mentee One" in html
