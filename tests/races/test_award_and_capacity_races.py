"""Check-then-write rules of certification and matching under real concurrency, against a
served app on SQLite and PostgreSQL: the last lesson completed in several tabs at once
issues one certificate; a mentor with room for one mentee is matched once, however many
coordinators (or matching systems) try at the same moment."""

import threading
from concurrent.futures import ThreadPoolExecutor

import requests
from sqlalchemy import func, select

from app.api import tokens
from app.auth.models import Role
from app.certification.models import Certificate
from app.clock import utcnow
from app.courses import service as courses
from app.extensions import db as _db
from app.matching import service as matching
from app.matching.models import CareerStage, Match
from tests.api.conftest import give_profile
from tests.certification.conftest import certify, pass_quiz, read_course, sign_off

TABS = 4


def test_the_last_lesson_completed_in_four_tabs_issues_one_certificate(served, synced, mentor):
    now = utcnow()
    read_course(mentor, "goals", now=now)
    pass_quiz(mentor, "goals-check", now=now)
    sign_off(mentor, now=now)
    lessons = courses.course_progress(mentor, courses.get_course("listening")).lessons
    for lesson in lessons[:-1]:
        courses.mark_complete(mentor, lesson, now=now)
    _db.session.commit()
    last = f"/courses/listening/{lessons[-1].slug}/"
    browser = served.signed_in(mentor)
    token = served.csrf(browser, last)

    responses = served.at_once(
        TABS,
        lambda tab: tab.post(
            served.url + last + "complete", data={"csrf_token": token}, allow_redirects=False
        ),
        browser,
    )

    assert all(r.status_code == 302 for r in responses), [r.status_code for r in responses]
    count = select(func.count()).select_from(Certificate).where(Certificate.user_id == mentor.id)
    assert _db.session.scalar(count) == 1


def test_a_mentor_with_room_for_one_is_matched_once(served, synced, make_user):
    mentor = make_user(Role.MENTOR, name="Dr. Busy Mentor")
    certify(mentor, now=utcnow())
    give_profile(mentor, capacity=1)
    mentees = [
        matching.add_mentee(
            name=f"Mentee {number}",
            email=f"mentee{number}@students.example",
            specialty="Surgery",
            career_stage=CareerStage.RESIDENT,
            interests=["research"],
        )
        for number in range(TABS)
    ]
    _token, plaintext = tokens.create_token(make_user(Role.COORDINATOR), "matching", now=utcnow())
    _db.session.commit()
    mentor_id, mentee_ids = mentor.id, [m.id for m in mentees]
    barrier = threading.Barrier(TABS)

    def match(mentee_id: int) -> int:
        barrier.wait()
        return requests.post(
            served.url + "/api/v1/matches",
            json={"mentor_id": mentor_id, "mentee_id": mentee_id},
            headers={"Authorization": f"Bearer {plaintext}"},
            timeout=30,
        ).status_code

    with ThreadPoolExecutor(TABS) as pool:
        statuses = sorted(pool.map(match, mentee_ids))

    assert statuses == [201] + [409] * (TABS - 1)
    count = select(func.count()).select_from(Match).where(Match.mentor_id == mentor.id)
    assert _db.session.scalar(count) == 1
