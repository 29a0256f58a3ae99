"""Observed practice as a requirement of certification, in the one progress model: the
certificate waits for it and is awarded the moment it is recorded, only the latest
observation counts and only when every criterion meets the standard, a sign-off stays
valid for renewal; the stored standings, the dashboard, the CSV, the API, eligibility and
the reminders all know it; the mentor reads the rubric from the start and the ratings
after; a content sync keeps every observation."""

import csv
import io
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.auth.models import Role
from app.certification import service as certification
from app.certification.models import Certificate, MentorStanding
from app.certification.reminders import reminders_due
from app.clock import utcnow
from app.content import load_content
from app.courses.models import Course
from app.courses.sync import sync_content
from app.extensions import db as _db
from app.matching import service as matching
from app.practice import service as practice
from app.practice.models import PracticeItem, PracticeObservation
from tests.api.conftest import bearer, give_profile
from tests.certification.conftest import certify, observer, pass_quiz, read_course, sign_off
from tests.certification.test_stored_standings import assert_in_step
from tests.conftest import FIXTURES, client_with_role, csrf_token, log_in

ITEM = "observed-meeting"


def finish_courses(mentor, *, now) -> None:
    read_course(mentor, "listening", now=now)
    read_course(mentor, "goals", now=now)
    pass_quiz(mentor, "goals-check", now=now)
    _db.session.commit()


def record_in_browser(app, make_user, mentor, *, rating: str = "meets", comment: str = "Good."):
    coordinator = client_with_role(app, make_user, Role.COORDINATOR)
    url = f"/coordinator/mentors/{mentor.id}/practice/{ITEM}"
    data = {
        "rating-open-questions": rating,
        "rating-reflects": rating,
        "rating-next-step": rating,
        "observed_on": utcnow().date().isoformat(),
        "comment": comment,
        "csrf_token": csrf_token(coordinator, url),
    }
    response = coordinator.post(url, data=data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return coordinator, response


def certificates_of(mentor) -> list[Certificate]:
    _db.session.expire_all()
    return list(_db.session.scalars(select(Certificate).where(Certificate.user_id == mentor.id)))


def standing_row(mentor) -> MentorStanding:
    _db.session.expire_all()
    return _db.session.scalar(select(MentorStanding).where(MentorStanding.user_id == mentor.id))


@pytest.fixture
def make_token(app):
    from app.api import tokens

    def make(user) -> str:
        _token, plaintext = tokens.create_token(user, "matching system", now=utcnow())
        _db.session.commit()
        return plaintext

    return make


@pytest.fixture
def ready(synced, make_user):
    """A mentor with every course complete and no observation yet."""
    mentor = make_user(Role.MENTOR, name="Dr. Ray Ready")
    finish_courses(mentor, now=utcnow())
    return mentor


# The certificate


def test_the_certificate_waits_for_the_observed_practice(db, ready):
    assert certification.award_if_earned(ready, now=utcnow()) == []
    assert certificates_of(ready) == []
    assert standing_row(ready).state == "in_progress"


def test_recording_the_last_requirement_awards_the_certificate_at_that_moment(
    app, make_user, ready
):
    coordinator, response = record_in_browser(app, make_user, ready)

    [certificate] = certificates_of(ready)
    observation = _db.session.scalars(select(PracticeObservation)).one()
    assert certificate.issued_at == observation.recorded_at
    assert certificate.earned_on["practice"] == {ITEM: 1}
    assert standing_row(ready).state == "holds"
    page = coordinator.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Dr. Ray Ready is now certified ({certificate.code})." in page
    mail = sorted((app.config["OUTBOX_DIR"]).glob("*.eml"))[-1].read_text()
    assert "Every requirement is now met: you are a Test Mentor." in mail
    assert f"http://localhost/certificates/{certificate.code}/" in mail


def test_a_sign_off_before_the_courses_counts_when_the_last_course_is_done(db, make_user, synced):
    mentor = make_user(Role.MENTOR)
    sign_off(mentor, now=utcnow())
    assert certification.award_if_earned(mentor, now=utcnow()) == []
    finish_courses(mentor, now=utcnow())
    assert len(certification.award_if_earned(mentor, now=utcnow())) == 1


def test_a_not_yet_rating_does_not_count(db, ready):
    item = practice.get_item(ITEM)
    ratings = {c["id"]: "exceeds" for c in item.criteria} | {"reflects": "not_yet"}
    practice.record_observation(
        ready,
        item,
        observer=observer(),
        ratings=ratings,
        observed_on=utcnow().date(),
        comment="",
        now=utcnow(),
    )
    assert certification.award_if_earned(ready, now=utcnow()) == []
    _db.session.commit()
    row = standing_row(ready)
    assert (row.courses_complete, row.practice_done) == (True, False)


def test_a_later_recording_replaces_an_earlier_one_for_standing(db, make_user, synced):
    mentor = make_user(Role.MENTOR)
    read_course(mentor, "listening", now=utcnow())
    sign_off(mentor, now=utcnow(), rating="meets")
    _db.session.commit()
    assert standing_row(mentor).practice_done
    sign_off(mentor, now=utcnow(), rating="not_yet")
    _db.session.commit()
    assert not standing_row(mentor).practice_done
    sign_off(mentor, now=utcnow(), rating="exceeds")
    _db.session.commit()
    assert standing_row(mentor).practice_done
    assert db.session.scalar(select(func.count(PracticeObservation.id))) == 3
    assert_in_step()


def test_renewal_needs_the_quizzes_again_not_a_new_observation(db, make_user, synced):
    mentor = make_user(Role.MENTOR)
    [first] = certify(mentor, now=utcnow() - timedelta(days=24 * 31))
    inside = first.expires_at - timedelta(days=10)
    assert certification.award_if_earned(mentor, now=inside) == []  # quizzes not passed again
    pass_quiz(mentor, "goals-check", now=inside)
    [renewed] = certification.award_if_earned(mentor, now=inside)
    assert renewed.issued_at == inside
    assert db.session.scalar(select(func.count(PracticeObservation.id))) == 1


def test_a_certificate_issued_before_the_practice_requirement_is_untouched(
    db, make_user, content_copy
):
    (content_copy / "courses/certifications.yml").write_text(
        "- id: test-mentor\n  title: Test Mentor\n  courses: [listening, goals]\n"
        "  valid_for_months: 24\n  renewal_window_days: 60\n"
    )
    sync_content(load_content(content_copy), now=utcnow())
    db.session.commit()
    holder = make_user(Role.MENTOR)
    finish_courses(holder, now=utcnow())
    [certificate] = certification.award_if_earned(holder, now=utcnow())
    db.session.commit()

    report = sync_content(load_content(FIXTURES / "content_ok"), now=utcnow())
    db.session.commit()

    assert "created practice observed-meeting" in report.lines()
    assert certificates_of(holder) == [certificate] and certificate.revoked_at is None
    assert standing_row(holder).state == "holds"
    assert certification.award_if_earned(holder, now=utcnow()) == []
    eligibility = matching.eligibility(holder, certification_slug="test-mentor", now=utcnow())
    assert "not certified" not in eligibility.reasons
    assert_in_step()


# The one progress model and what reads it


def test_the_stored_standing_equals_a_rebuild_after_each_recording(db, make_user, ready):
    assert standing_row(ready).courses_complete and not standing_row(ready).practice_done
    assert_in_step()
    sign_off(ready, now=utcnow(), rating="not_yet")
    _db.session.commit()
    assert standing_row(ready).state == "in_progress"
    assert_in_step()
    sign_off(ready, now=utcnow())
    certification.award_if_earned(ready, now=utcnow())
    _db.session.commit()
    row = standing_row(ready)
    assert (row.state, row.practice_done) == ("holds", True)
    assert_in_step()


def test_an_observation_alone_counts_as_a_start(db, make_user, synced):
    mentor = make_user(Role.MENTOR)
    sign_off(mentor, now=utcnow())
    _db.session.commit()
    row = standing_row(mentor)
    assert (row.state, row.courses_complete, row.practice_done) == ("in_progress", False, True)


@pytest.fixture
def cohort(db, synced, make_user):
    now = utcnow()
    reading = make_user(Role.MENTOR, name="Dr. Ann Reading")
    read_course(reading, "listening", now=now)
    waiting = make_user(Role.MENTOR, name="Dr. Bo Waiting")
    finish_courses(waiting, now=now)
    done = make_user(Role.MENTOR, name="Dr. Cy Done")
    certify(done, now=now)
    _db.session.commit()
    return {"reading": reading, "waiting": waiting, "done": done}


def test_the_dashboard_has_a_practice_column_and_an_awaiting_observation_stage(
    app, make_user, cohort
):
    coordinator = client_with_role(app, make_user, Role.COORDINATOR)
    html = coordinator.get("/coordinator/").get_data(as_text=True)
    assert '<th scope="col">Practice</th>' in html
    cells = {
        name: re.search(rf">{name}</a>.*?</tr>", html, re.S).group(0)
        for name in ("Dr. Ann Reading", "Dr. Bo Waiting", "Dr. Cy Done")
    }
    assert "<td>not yet</td>" in cells["Dr. Ann Reading"]
    assert (
        "<td>not yet</td>" in cells["Dr. Bo Waiting"]
        and "Awaiting observation" in (cells["Dr. Bo Waiting"])
    )
    assert "<td>done</td>" in cells["Dr. Cy Done"]
    assert (
        "not started: 0; in progress: 1; awaiting observation: 1; certified: 1; "
        "expiring: 0; expired: 0; revoked: 0"
    ) in html
    waiting = coordinator.get("/coordinator/?status=awaiting_observation").get_data(as_text=True)
    table = waiting[waiting.index("<tbody>") :]
    assert "Dr. Bo Waiting" in table and "Dr. Ann Reading" not in table
    assert "Dr. Cy Done" not in table


def test_the_csv_has_an_observed_practice_column(app, make_user, cohort):
    coordinator = client_with_role(app, make_user, Role.COORDINATOR)
    text = coordinator.get("/coordinator/mentors.csv").get_data(as_text=True)
    header, *rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert "Observed practice" in header
    column = header.index("Observed practice")
    assert {row[0]: row[column] for row in rows} == {
        "Dr. Ann Reading": "not yet",
        "Dr. Bo Waiting": "not yet",
        "Dr. Cy Done": "done",
    }


def test_the_mentor_page_links_each_practice_item_to_its_record_page(app, make_user, cohort):
    coordinator = client_with_role(app, make_user, Role.COORDINATOR)
    waiting, done = cohort["waiting"], cohort["done"]
    html = coordinator.get(f"/coordinator/mentors/{waiting.id}/").get_data(as_text=True)
    assert f'href="/coordinator/mentors/{waiting.id}/practice/{ITEM}"' in html
    assert "Not yet recorded" in html and "Record an observation" in html
    html = coordinator.get(f"/coordinator/mentors/{done.id}/").get_data(as_text=True)
    assert 'badge-complete">Done' in html and "Record another observation" in html


def test_the_api_gives_the_practice_field_and_the_eligibility_reason(
    client, make_user, cohort, make_token
):
    headers = bearer(make_token(make_user(Role.COORDINATOR)))
    waiting, done = cohort["waiting"], cohort["done"]
    give_profile(waiting)
    listed = client.get("/api/v1/mentors", headers=headers).get_json()["items"]
    assert {item["name"]: item["practice_done"] for item in listed} == {
        "Dr. Ann Reading": False,
        "Dr. Bo Waiting": False,
        "Dr. Cy Done": True,
    }
    body = client.get(f"/api/v1/mentors/{waiting.id}", headers=headers).get_json()
    assert body["practice_done"] is False
    assert body["practice"] == [
        {
            "item": ITEM,
            "title": "Observed meeting",
            "recorded": False,
            "observed_on": None,
            "done": False,
        }
    ]
    body = client.get(f"/api/v1/mentors/{done.id}", headers=headers).get_json()
    [item] = body["practice"]
    assert item["done"] and item["observed_on"] == utcnow().date().isoformat()

    reasons = client.get(f"/api/v1/mentors/{waiting.id}/eligibility", headers=headers).get_json()
    assert reasons["eligible"] is False
    assert reasons["reasons"] == ["not certified", "observed practice not yet recorded"]
    reading = cohort["reading"]
    reasons = client.get(f"/api/v1/mentors/{reading.id}/eligibility", headers=headers).get_json()
    assert "observed practice not yet recorded" not in reasons["reasons"]


def test_matching_a_mentor_awaiting_observation_is_refused_with_the_reason(
    client, make_user, cohort, make_token
):
    headers = bearer(make_token(make_user(Role.COORDINATOR)))
    waiting = cohort["waiting"]
    give_profile(waiting)
    mentee = matching.add_mentee(
        name="Mia Mentee",
        email="mia@students.example",
        specialty="Surgery",
        career_stage=matching.CareerStage.RESIDENT,
        interests=[],
    )
    _db.session.commit()
    response = client.post(
        "/api/v1/matches", json={"mentor_id": waiting.id, "mentee_id": mentee.id}, headers=headers
    )
    assert response.status_code == 409
    assert "observed practice not yet recorded" in response.get_json()["reasons"]


def test_reminders_tell_a_mentor_awaiting_observation_to_arrange_it_not_to_do_courses(
    app, db, make_user, synced
):
    from flask import render_template

    started = utcnow()
    waiting = make_user(Role.MENTOR, name="Dr. Bo Waiting")
    finish_courses(waiting, now=started)
    reading = make_user(Role.MENTOR, name="Dr. Ann Reading")
    read_course(reading, "listening", now=started)
    _db.session.commit()

    due = {d.user.email: d for d in reminders_due("test-mentor", now=started + timedelta(days=31))}

    assert due[waiting.email].subject == "Arrange your observed mentoring conversation"
    assert due[reading.email].subject == "Pick up where you left off in Preceptor"
    with app.test_request_context(base_url=app.config["BASE_URL"]):
        to_waiting = render_template(due[waiting.email].template, **due[waiting.email].context)
        to_reading = render_template(due[reading.email].template, **due[reading.email].context)
    assert "- Observed meeting" in to_waiting and "http://localhost/me/#practice" in to_waiting
    assert "lessons" not in to_waiting and "Pick up where you left off" not in to_waiting
    assert "Listening well: 3 of 3 lessons" in to_reading


def test_a_renewal_reminder_asks_a_holder_without_a_sign_off_for_one(
    app, db, make_user, content_copy
):
    from flask import render_template

    (content_copy / "courses/certifications.yml").write_text(
        "- id: test-mentor\n  title: Test Mentor\n  courses: [listening, goals]\n"
        "  valid_for_months: 24\n  renewal_window_days: 60\n"
    )
    sync_content(load_content(content_copy), now=utcnow())
    holder, observed = make_user(Role.MENTOR), make_user(Role.MENTOR)
    early = utcnow() - timedelta(days=24 * 30)
    for mentor in (holder, observed):
        finish_courses(mentor, now=early)
        certification.award_if_earned(mentor, now=early)
    sync_content(load_content(FIXTURES / "content_ok"), now=utcnow())
    sign_off(observed, now=utcnow())
    _db.session.commit()

    due = {d.user.email: d for d in reminders_due("test-mentor", now=utcnow())}
    with app.test_request_context(base_url=app.config["BASE_URL"]):
        texts = {email: render_template(d.template, **d.context) for email, d in due.items()}
    assert "also asks for observed practice" in texts[holder.email]
    assert "also asks for observed practice" not in texts[observed.email]


# What the mentor sees


def test_the_mentor_reads_the_rubric_from_the_start_and_the_ratings_after(
    app, client, make_user, ready
):
    log_in(client, ready)
    html = client.get("/me/").get_data(as_text=True)
    section = html[html.index('id="practice"') :]
    assert "Not yet recorded" in section
    assert "An educator watches one mentoring conversation and rates it." in section
    assert "<strong>Reflects before advising</strong>: reflects what the mentee said" in section

    record_in_browser(app, make_user, ready, comment="Lovely summary at the end.")

    html = client.get("/me/").get_data(as_text=True)
    section = html[html.index('id="practice"') :]
    assert 'badge-complete">Done' in section
    assert "Lovely summary at the end." in section
    assert section.count('class="rating rating-meets">Meets<') == 3
    assert "Observed meeting" in section and "Test Mentor" in section


def test_a_coordinator_or_educator_has_no_practice_section_of_their_own(app, make_user, synced):
    coordinator = client_with_role(app, make_user, Role.COORDINATOR)
    assert 'id="practice"' not in coordinator.get("/me/").get_data(as_text=True)


# Content sync keeps the records


def test_editing_a_rubric_makes_a_new_version_and_keeps_every_observation(
    db, make_user, synced, content_copy
):
    mentor = make_user(Role.MENTOR)
    sign_off(mentor, now=utcnow())
    _db.session.commit()
    rubric = content_copy / "courses/practice/observed-meeting.md"
    rubric.write_text(rubric.read_text() + "- {#silence} Uses silence: lets a pause do its work.\n")

    report = sync_content(load_content(content_copy), now=utcnow())
    _db.session.commit()

    assert report.lines() == ["updated practice observed-meeting"]
    item = practice.get_item(ITEM)
    assert item.version == 2 and [c["id"] for c in item.criteria][-1] == "silence"
    [observation] = _db.session.scalars(select(PracticeObservation)).all()
    assert observation.item_version == 1 and len(observation.ratings) == 3
    assert standing_row(mentor).practice_done, "the sign-off on the old rubric still counts"
    again = sync_content(load_content(content_copy), now=utcnow())
    assert not again.changed


def test_a_removed_practice_item_is_archived_and_comes_back_with_its_records(
    db, make_user, synced, content_copy
):
    mentor = make_user(Role.MENTOR)
    finish_courses(mentor, now=utcnow())
    sign_off(mentor, now=utcnow(), rating="not_yet")
    _db.session.commit()
    original = (content_copy / "courses/certifications.yml").read_text()
    (content_copy / "courses/certifications.yml").write_text(original.split("  practice:")[0])

    report = sync_content(load_content(content_copy), now=utcnow())
    _db.session.commit()

    assert "archived practice observed-meeting" in report.lines()
    assert standing_row(mentor).practice_done, "nothing is asked for any more"
    (content_copy / "courses/certifications.yml").write_text(original)
    sync_content(load_content(content_copy), now=utcnow())
    _db.session.commit()
    item = _db.session.scalars(select(PracticeItem)).one()
    assert item.archived_at is None
    assert not standing_row(mentor).practice_done
    assert _db.session.scalar(select(func.count(PracticeObservation.id))) == 1
    assert_in_step()


def test_the_practice_folder_of_the_fixture_is_not_imported_as_a_course(db, synced):
    assert "practice" not in _db.session.scalars(select(Course.slug)).all()
