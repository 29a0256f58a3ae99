"""One attempts policy: max_attempts in any attempt_window_days, extra attempts a
coordinator gives (audit logged), and what a mentor learns from an attempt that did not
pass: the score per lesson, never which questions were right or the key."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.audit.models import AuditAction, AuditEvent
from app.auth.models import Role
from app.clock import utcnow
from app.courses import service as courses
from app.courses.models import Lesson
from app.quizzes import service
from app.quizzes.models import Attempt, AttemptGrant
from tests.conftest import client_with_role, csrf_token, log_in
from tests.quizzes.test_attempts import QUIZ_URL, current_attempt, take


@pytest.fixture
def policy(db, synced):
    """goals-check allows 2 attempts in any 30 days; its questions are pooled by lesson."""
    quiz = service.get_quiz("goals-check")
    quiz.max_attempts, quiz.attempt_window_days, quiz.cooldown_minutes = 2, 30, 0
    quiz.reveal_answers = service.Reveal.AFTER_PASS
    lessons = db.session.scalars(
        select(Lesson).where(Lesson.course_id == quiz.course_id).order_by(Lesson.position)
    ).all()
    for n, question in enumerate(q for q in quiz.questions if q.archived_at is None):
        question.lesson_id = lessons[n % len(lessons)].id
    db.session.commit()
    return quiz


@pytest.fixture
def taker(client, db, policy, mentor):
    for lesson in courses.course_progress(mentor, courses.get_course("goals")).lessons:
        courses.mark_complete(mentor, lesson, now=utcnow())
    db.session.commit()
    log_in(client, mentor)
    return client


def age_attempts(db, days: int) -> None:
    for attempt in db.session.scalars(select(Attempt)):
        attempt.started_at -= timedelta(days=days)
        attempt.submitted_at -= timedelta(days=days)
    db.session.commit()


def test_attempts_count_in_a_rolling_window(taker, db):
    take(taker, db, right=False)
    age_attempts(db, 20)
    take(taker, db, right=False)
    page = taker.get(QUIZ_URL).get_data(as_text=True)
    assert "You have used all 2 attempts this quiz allows in 30 days." in page
    assert "Your program coordinator can give you more attempts" in page
    oldest = db.session.scalar(select(Attempt.started_at).order_by(Attempt.started_at))
    opens = (oldest + timedelta(days=30)).strftime("%-d %b %Y, %H:%M")
    assert f"You can try again on {opens} UTC." in page
    response = taker.post(QUIZ_URL + "start", data={"csrf_token": csrf_token(taker, QUIZ_URL)})
    assert response.headers["Location"] == QUIZ_URL
    assert db.session.query(Attempt).count() == 2

    age_attempts(db, 11)  # the first is now 31 days old: one attempt is free again
    url, _ = take(taker, db, right=False)
    assert db.session.query(Attempt).count() == 3
    assert "You have used all 2 attempts" in taker.get(url).get_data(as_text=True)


def test_a_coordinator_gives_more_attempts_with_a_reason_in_the_audit_log(
    app, taker, db, make_user, mentor, policy
):
    take(taker, db, right=False)
    take(taker, db, right=False)
    coordinator = client_with_role(app, make_user, Role.COORDINATOR)
    page_url = "/quizzes/accommodations"
    form = {
        "email": mentor.email,
        "quiz": "goals-check",
        "extra": "1",
        "reason": "",
        "csrf_token": csrf_token(coordinator, page_url),
    }
    refused = coordinator.post("/quizzes/accommodations/attempts", data=form)
    assert refused.status_code == 422
    assert "Say why, for the audit log." in refused.get_data(as_text=True)
    assert db.session.query(AttemptGrant).count() == 0

    form["reason"] = "Was called to a code during the second attempt."
    given = coordinator.post("/quizzes/accommodations/attempts", data=form)
    assert given.status_code == 302
    event = db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == AuditAction.ATTEMPTS_GRANTED)
    )
    assert (event.subject, event.subject_user_id, event.reason, event.details) == (
        "quiz goals-check",
        mentor.id,
        "Was called to a code during the second attempt.",
        {"extra": 1},
    )
    listing = coordinator.get(page_url).get_data(as_text=True)
    assert "Was called to a code during the second attempt." in listing
    assert "<title>Quiz time and attempts · Preceptor</title>" in listing
    assert listing.count('id="attempts"') == 1 and listing.count("Recently given") == 1

    take(taker, db, right=False)
    assert db.session.query(Attempt).count() == 3
    assert "You have used all 3 attempts" in taker.get(QUIZ_URL).get_data(as_text=True)


@pytest.mark.parametrize("role", [Role.MENTOR, Role.EDUCATOR])
def test_only_coordinators_and_admins_give_attempts(app, make_user, role, policy):
    client = client_with_role(app, make_user, role)
    assert client.get("/quizzes/accommodations").status_code == 403
    response = client.post("/quizzes/accommodations/attempts", data={"extra": "5"})
    assert response.status_code in (400, 403)


def test_nobody_gives_themselves_attempts(db, make_user, policy):
    both = make_user(Role.COORDINATOR, Role.MENTOR)
    with pytest.raises(service.CannotGrant):
        service.grant_attempts(both, policy, extra=1, reason="Me", by=both, now=utcnow())


def test_before_a_pass_the_mentor_sees_scores_by_lesson_never_the_key(taker, db, policy):
    url, _ = take(taker, db, right=False)
    attempt = current_attempt(db)
    page = taker.get(url).get_data(as_text=True)
    assert "Your score by lesson" in page
    revisit = re.findall(r'<a href="(/courses/goals/[^"]+/)">Revisit ([^<]+)</a>', page)
    assert revisit and all(path.startswith("/courses/goals/") for path, _ in revisit)
    assert "(correct)" not in page and "correct-mark" not in page
    assert "badge-complete" not in page and ">Right<" not in page and ">Wrong<" not in page
    for question in attempt.snapshot:  # not even the questions themselves
        assert question["stem_html"] not in page
        assert question["explanation_html"] not in page or not question["explanation_html"]

    url, _ = take(taker, db, right=True)
    passed = taker.get(url).get_data(as_text=True)
    assert "Your answers" in passed and "(correct)" in passed
    assert "Revisit" not in passed
