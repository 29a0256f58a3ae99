"""Certificates are awarded the moment the last requirement is met, renewed only inside
the window, expire by the clock, and revocation shows everywhere."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.audit.models import AuditAction, AuditEvent
from app.certification import service
from app.certification.models import Certificate
from app.certification.service import CertificateStatus, add_months
from app.clock import utcnow
from tests.certification.conftest import certify, pass_quiz, read_course, sign_off
from tests.conftest import csrf_token, log_in

NOW = datetime(2026, 3, 1, 9, 0)


def test_nothing_is_awarded_before_the_last_requirement(db, program, mentor):
    read_course(mentor, "listening", now=NOW)
    assert service.award_if_earned(mentor, now=NOW) == []
    read_course(mentor, "goals", now=NOW)
    assert service.award_if_earned(mentor, now=NOW) == []  # the goals quiz is not passed yet
    pass_quiz(mentor, "goals-check", now=NOW, right=False)
    assert service.award_if_earned(mentor, now=NOW) == []
    assert db.session.scalar(select(func.count(Certificate.id))) == 0


def test_the_certificate_is_issued_when_the_last_requirement_is_met(db, program, mentor):
    [certificate] = certify(mentor, now=NOW)
    assert certificate.issued_at == NOW
    assert certificate.expires_at == datetime(2028, 3, 1, 9, 0)  # 24 months
    assert certificate.holder_name == mentor.name
    assert service.status_of(certificate, now=NOW) is CertificateStatus.VALID
    assert service.award_if_earned(mentor, now=NOW) == []  # not twice


def test_the_certificate_records_the_course_and_quiz_versions_it_was_earned_on(db, program, mentor):
    [certificate] = certify(mentor, now=NOW)
    assert certificate.earned_on == {
        "courses": {"listening": 1, "goals": 1},
        "quizzes": {"goals-check": 1},
        "practice": {"observed-meeting": 1},
    }


def test_codes_are_unguessable_and_not_sequential():
    codes = {service.new_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(len(code) == 19 and code.count("-") == 3 for code in codes)


def test_the_certificate_expires_by_the_clock(db, program, mentor):
    [certificate] = certify(mentor, now=NOW)
    assert (
        service.status_of(certificate, now=certificate.expires_at - timedelta(seconds=1))
        is CertificateStatus.VALID
    )
    assert service.status_of(certificate, now=certificate.expires_at) is CertificateStatus.EXPIRED


def test_renewal_is_refused_before_the_window_and_granted_inside_it(db, program, mentor):
    [first] = certify(mentor, now=NOW)
    early = first.expires_at - timedelta(days=61)
    pass_quiz(mentor, "goals-check", now=early)
    assert service.award_if_earned(mentor, now=early) == []
    inside = first.expires_at - timedelta(days=30)
    assert (
        service.award_if_earned(mentor, now=inside) == []
    )  # quizzes must be passed again in the window
    pass_quiz(mentor, "goals-check", now=inside)
    [renewed] = service.award_if_earned(mentor, now=inside)
    assert renewed.code != first.code
    assert renewed.expires_at == add_months(first.expires_at, 24)  # no time lost by renewing early


def test_after_expiry_passing_the_quizzes_again_issues_a_new_certificate(db, program, mentor):
    [first] = certify(mentor, now=NOW)
    later = first.expires_at + timedelta(days=100)
    assert service.award_if_earned(mentor, now=later) == []
    pass_quiz(mentor, "goals-check", now=later)
    [renewed] = service.award_if_earned(mentor, now=later)
    assert renewed.issued_at == later and renewed.expires_at == add_months(later, 24)


def test_a_revoked_certificate_is_not_reissued_automatically(db, program, mentor, make_user):
    [certificate] = certify(mentor, now=NOW)
    service.revoke(certificate, by=make_user(), reason="Conduct review", now=NOW)
    inside = certificate.expires_at - timedelta(days=10)
    pass_quiz(mentor, "goals-check", now=inside)
    assert service.award_if_earned(mentor, now=inside) == []


def test_revoking_and_reinstating_are_in_the_audit_log_with_who_when_and_why(
    db, program, mentor, make_user
):
    from app.auth.models import Role

    coordinator = make_user(Role.COORDINATOR)
    [certificate] = certify(mentor, now=NOW)
    service.revoke(certificate, by=coordinator, reason="Licence suspended", now=NOW)
    service.reinstate(
        certificate, by=coordinator, reason="Licence restored", now=NOW + timedelta(days=3)
    )
    db.session.commit()
    events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert [e.action for e in events] == [
        AuditAction.CERTIFICATE_ISSUED,
        AuditAction.CERTIFICATE_REVOKED,
        AuditAction.CERTIFICATE_REINSTATED,
    ]
    revoked = events[1]
    assert (revoked.actor_id, revoked.at, revoked.reason) == (
        coordinator.id,
        NOW,
        "Licence suspended",
    )
    assert revoked.subject == f"certificate {certificate.code}"
    with pytest.raises(service.CertificateStateError):
        service.reinstate(certificate, by=coordinator, reason="again", now=NOW)


def test_the_verify_page_and_the_api_show_the_status(app, client, db, program, mentor, make_user):
    [certificate] = certify(mentor, now=utcnow())
    page = client.get(f"/verify/{certificate.code}").get_data(as_text=True)
    assert "valid" in page and mentor.name in page and "Test Mentor" in page
    data = client.get(f"/api/v1/certificates/{certificate.code}").get_json()
    assert data["status"] == "valid" and data["holder"] == mentor.name
    assert data["certification"]["id"] == "test-mentor"
    service.revoke(certificate, by=make_user(), reason="Review", now=utcnow())
    db.session.commit()
    assert "revoked" in client.get(f"/verify/{certificate.code}").get_data(as_text=True)
    assert client.get(f"/api/v1/certificates/{certificate.code}").get_json()["status"] == "revoked"


def test_an_unknown_code_is_a_404_page_and_404_json(client, synced):
    assert client.get("/verify/AAAA-BBBB-CCCC-DDDD").status_code == 404
    response = client.get("/api/v1/certificates/AAAA-BBBB-CCCC-DDDD")
    assert response.status_code == 404 and response.get_json()["error"] == "not_found"


def test_an_expired_certificate_shows_expired(client, db, program, mentor):
    [certificate] = certify(mentor, now=utcnow() - timedelta(days=800))
    assert client.get(f"/api/v1/certificates/{certificate.code}").get_json()["status"] == "expired"
    assert "expired" in client.get(f"/verify/{certificate.code}").get_data(as_text=True)


def test_passing_the_last_quiz_in_the_browser_leads_to_the_congratulations_page(
    client, db, program, mentor
):
    read_course(mentor, "listening", now=utcnow())
    read_course(mentor, "goals", now=utcnow())
    sign_off(mentor, now=utcnow())
    db.session.commit()
    log_in(client, mentor)
    quiz_url = "/quizzes/goals-check/"
    attempt_url = client.post(
        quiz_url + "start", data={"csrf_token": csrf_token(client, quiz_url)}
    ).headers["Location"]
    from app.quizzes.models import Attempt

    attempt = db.session.scalars(select(Attempt)).one()
    form = {
        f"q-{q['key']}": (q["accepted"][0] if q["kind"] == "text" else q["correct"])
        for q in attempt.snapshot
    }
    response = client.post(
        attempt_url, data={**form, "csrf_token": csrf_token(client, attempt_url)}
    )
    assert (
        response.headers["Location"].startswith("/certificates/")
        and "new=1" in response.headers["Location"]
    )
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Congratulations, {mentor.name}!" in page and "Download the PDF" in page


def test_the_holder_opts_in_to_the_recognition_list(client, db, program, mentor):
    [certificate] = certify(mentor, now=utcnow())
    assert mentor.name not in client.get("/").get_data(as_text=True)
    log_in(client, mentor)
    url = f"/certificates/{certificate.code}/"
    client.post(url + "recognition", data={"shown": "y", "csrf_token": csrf_token(client, url)})
    assert mentor.name in client.get("/").get_data(as_text=True)


def test_another_mentor_cannot_open_someone_elses_certificate_files(
    app, db, program, mentor, make_user
):
    [certificate] = certify(mentor, now=utcnow())
    other = app.test_client()
    log_in(other, make_user())
    for suffix in ("/", ".pdf", ".jwt"):
        assert other.get(f"/certificates/{certificate.code}{suffix}").status_code == 403
    token = csrf_token(other, "/courses/")
    assert (
        other.post(
            f"/certificates/{certificate.code}/recognition", data={"csrf_token": token}
        ).status_code
        == 403
    )


@pytest.mark.parametrize("role", ["mentor", "educator"])
def test_mentors_and_educators_cannot_revoke(app, db, program, mentor, make_user, role):
    from app.auth.models import Role

    [certificate] = certify(mentor, now=utcnow())
    client = app.test_client()
    log_in(client, make_user(Role(role)))
    token = csrf_token(client, "/courses/")
    response = client.post(
        f"/certificates/{certificate.code}/revoke", data={"reason": "x", "csrf_token": token}
    )
    assert response.status_code == 403
    db.session.refresh(certificate)
    assert certificate.revoked_at is None


def test_a_coordinator_revokes_with_a_reason_and_verify_shows_revoked(
    app, client, db, program, mentor, make_user
):
    from app.auth.models import Role

    [certificate] = certify(mentor, now=utcnow())
    coordinator = app.test_client()
    log_in(coordinator, make_user(Role.COORDINATOR))
    url = f"/certificates/{certificate.code}/"
    empty = coordinator.post(
        url + "revoke", data={"reason": "", "csrf_token": csrf_token(coordinator, url)}
    )
    assert empty.status_code == 422 and "audit log" in empty.get_data(as_text=True)
    done = coordinator.post(
        url + "revoke",
        data={"reason": "Left the program", "csrf_token": csrf_token(coordinator, url)},
    )
    assert done.status_code == 302
    assert "revoked" in client.get(f"/verify/{certificate.code}").get_data(as_text=True)


def test_the_holder_downloads_a_signed_badge_that_verifies_with_the_published_keys(
    client, db, program, mentor
):
    from app.certification.credential import verify_credential

    [certificate] = certify(mentor, now=utcnow())
    log_in(client, mentor)
    response = client.get(f"/certificates/{certificate.code}.jwt")
    assert response.status_code == 200 and response.mimetype == "application/jwt"
    keys = client.get("/.well-known/jwks.json").get_json()
    payload = verify_credential(response.get_data(as_text=True), keys)
    assert "OpenBadgeCredential" in payload["type"]
    assert payload["credentialSubject"]["achievement"]["achievementType"] == "Certification"


def test_the_holder_downloads_the_pdf_in_a4_and_letter(client, db, program, mentor):
    [certificate] = certify(mentor, now=utcnow())
    log_in(client, mentor)
    for query in ("", "?size=letter"):
        response = client.get(f"/certificates/{certificate.code}.pdf{query}")
        assert response.status_code == 200 and response.data.startswith(b"%PDF")


def test_a_coordinator_may_open_any_certificate(app, db, program, mentor, make_user):
    from app.auth.models import Role

    [certificate] = certify(mentor, now=utcnow())
    coordinator = app.test_client()
    log_in(coordinator, make_user(Role.COORDINATOR))
    assert coordinator.get(f"/certificates/{certificate.code}/").status_code == 200
    assert coordinator.get(f"/certificates/{certificate.code}.pdf").status_code == 200
