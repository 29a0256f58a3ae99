"""Taking a quiz: rules held on the server, grading once, integrity of the attempt."""

import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.auth.models import Role
from app.clock import utcnow
from app.courses import service as courses
from app.quizzes import service
from app.quizzes.models import Attempt
from tests.conftest import client_with_role, csrf_token, log_in

QUIZ_URL = "/quizzes/goals-check/"


@pytest.fixture
def quiz(synced):
    return service.get_quiz("goals-check")


@pytest.fixture
def ready(db, quiz, mentor):
    """The mentor has read both lessons of the goals course."""
    for lesson in courses.course_progress(mentor, courses.get_course("goals")).lessons:
        courses.mark_complete(mentor, lesson, now=utcnow())
    db.session.commit()
    return mentor


@pytest.fixture
def taker(client, ready):
    log_in(client, ready)
    return client


def start(client) -> str:
    response = client.post(QUIZ_URL + "start", data={"csrf_token": csrf_token(client, QUIZ_URL)})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.headers["Location"]


def current_attempt(db) -> Attempt:
    db.session.expire_all()
    return db.session.scalars(select(Attempt).order_by(Attempt.id.desc())).first()


def answers_for(attempt: Attempt, right: bool = True) -> dict:
    form = {}
    for q in attempt.snapshot:
        if q["kind"] == "text":
            form[f"q-{q['key']}"] = q["accepted"][0].upper() if right else "no idea"
        else:
            wrong = [o["key"] for o in q["options"] if o["key"] not in q["correct"]][:1]
            form[f"q-{q['key']}"] = q["correct"] if right else wrong
    return form


def submit(client, url: str, form: dict):
    return client.post(url, data={**form, "csrf_token": csrf_token(client, url)})


def take(client, db, right: bool = True):
    url = start(client)
    attempt = current_attempt(db)
    response = submit(client, url, answers_for(attempt, right))
    return url, response


def test_the_quiz_stays_closed_until_the_lessons_are_done(client, quiz, mentor):
    log_in(client, mentor)
    page = client.get(QUIZ_URL).get_data(as_text=True)
    assert "Finish the lessons of this course first: 0 of 2 are done." in page
    assert "Start the quiz" not in page
    response = client.post(QUIZ_URL + "start", data={"csrf_token": csrf_token(client, QUIZ_URL)})
    assert response.status_code == 302 and response.headers["Location"] == QUIZ_URL
    assert client.get(QUIZ_URL).status_code == 200
    assert service.attempts_of(mentor, quiz) == []


def test_an_attempt_draws_the_configured_number_of_questions_at_random(db, quiz, ready):
    import random

    drawn = set()
    for seed in range(6):
        attempt = service.start_attempt(ready, quiz, now=utcnow(), rng=random.Random(seed))
        assert len(attempt.snapshot) == 4
        drawn.add(tuple(sorted(q["key"] for q in attempt.snapshot)))
        db.session.delete(attempt)
        db.session.flush()
    assert len(drawn) > 1


def test_without_shuffle_questions_and_options_keep_the_file_order(db, quiz, ready):
    quiz.shuffle, quiz.draw = False, None
    attempt = service.start_attempt(ready, quiz, now=utcnow())
    assert [q["key"] for q in attempt.snapshot] == [q.key for q in quiz.questions]
    assert [o["source"] for o in attempt.snapshot[0]["options"]] == ["a", "b", "c"]


def test_the_open_attempt_page_holds_no_trace_of_the_answers(taker, db):
    url = start(taker)
    page = taker.get(url).get_data(as_text=True)
    attempt = current_attempt(db)
    assert "correct" not in page.lower()
    for q in attempt.snapshot:
        assert q["explanation_html"] == "" or q["explanation_html"].strip() not in page
        for accepted in q["accepted"]:
            assert f'value="{accepted}"' not in page
    assert (
        "Specific, measurable and time-bound" not in page and "Named for its four steps" not in page
    )
    assert "data-correct" not in page and "checked" not in page


def test_passing_records_the_score_and_completes_the_course(taker, db, ready):
    url, response = take(taker, db)
    assert response.headers["Location"] == url
    result = taker.get(url).get_data(as_text=True)
    assert "Passed" in result and "You scored <strong>100%</strong>" in result
    catalog = taker.get("/courses/").get_data(as_text=True)
    assert catalog.count("Complete") >= 1
    progress = courses.course_progress(ready, courses.get_course("goals"))
    assert progress.status is courses.Status.COMPLETE


def test_read_lessons_without_a_passed_quiz_leave_the_course_in_progress(taker, ready, db):
    take(taker, db, right=False)
    assert (
        courses.course_progress(ready, courses.get_course("goals")).status
        is courses.Status.IN_PROGRESS
    )


def test_a_resubmission_returns_the_same_result(taker, db):
    url, _ = take(taker, db)
    attempt = current_attempt(db)
    first = (attempt.earned, attempt.submitted_at)
    again = submit(taker, url, answers_for(attempt, right=False))
    assert again.headers["Location"] == url
    attempt = current_attempt(db)
    assert (attempt.earned, attempt.submitted_at) == first
    assert db.session.scalar(select(func.count(Attempt.id))) == 1


def test_concurrent_submissions_record_one_graded_attempt(app, taker, db):
    url = start(taker)
    attempt = current_attempt(db)
    token = csrf_token(taker, url)
    cookie = taker.get_cookie("session").value
    right, wrong = answers_for(attempt, True), answers_for(attempt, False)
    barrier, responses = threading.Barrier(6), []

    def post(form):
        client = app.test_client()
        client.set_cookie("session", cookie)
        barrier.wait()
        responses.append(client.post(url, data={**form, "csrf_token": token}))

    threads = [threading.Thread(target=post, args=(right if i % 2 else wrong,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(r.status_code for r in responses) == [302] * 6
    attempt = current_attempt(db)
    assert attempt.earned in (0, attempt.possible)
    assert attempt.answers in (
        {k.removeprefix("q-"): v for k, v in f.items()} for f in (right, wrong)
    )
    pages = {
        re.search(r"You scored <strong>\d+%", taker.get(url).get_data(as_text=True)).group(0)
        for _ in range(2)
    }
    assert len(pages) == 1
    assert db.session.scalar(select(func.count(Attempt.id))) == 1


def test_answers_after_the_time_limit_and_grace_do_not_count(taker, db):
    url = start(taker)
    attempt = current_attempt(db)
    attempt.deadline_at = utcnow() - timedelta(seconds=31)
    db.session.commit()
    submit(taker, url, answers_for(attempt))
    attempt = current_attempt(db)
    assert attempt.late and attempt.earned == 0 and not attempt.passed
    assert "arrived after the time limit" in taker.get(url).get_data(as_text=True)


def test_answers_within_the_grace_period_count(taker, db):
    url = start(taker)
    attempt = current_attempt(db)
    attempt.deadline_at = utcnow() - timedelta(seconds=20)
    db.session.commit()
    submit(taker, url, answers_for(attempt))
    assert current_attempt(db).passed


def test_an_abandoned_timed_attempt_closes_as_not_passed(taker, db):
    start(taker)
    attempt = current_attempt(db)
    attempt.deadline_at = utcnow() - timedelta(minutes=5)
    db.session.commit()
    page = taker.get(QUIZ_URL).get_data(as_text=True)
    assert "time ran out" in page
    assert current_attempt(db).is_submitted


def test_a_mentor_cannot_see_or_submit_another_mentors_attempt(app, taker, db, make_user):
    url = start(taker)
    attempt = current_attempt(db)
    other = app.test_client()
    log_in(other, make_user(Role.MENTOR))
    assert other.get(url).status_code == 404
    token = csrf_token(other, "/courses/")
    assert other.post(url, data={**answers_for(attempt), "csrf_token": token}).status_code == 404
    assert not current_attempt(db).is_submitted


@pytest.mark.parametrize("tamper", ["foreign option", "unknown question", "two singles"])
def test_tampered_answers_are_refused_and_change_nothing(taker, db, tamper):
    url = start(taker)
    attempt = current_attempt(db)
    form = answers_for(attempt)
    single = next(q for q in attempt.snapshot if q["kind"] == "single")
    other = next(q for q in attempt.snapshot if q["key"] != single["key"] and q["kind"] != "text")
    if tamper == "foreign option":
        form[f"q-{single['key']}"] = ["zz"]
    elif tamper == "unknown question":
        form["q-not-in-this-attempt"] = ["a"]
    else:
        form[f"q-{single['key']}"] = [o["key"] for o in single["options"]][:2]
    del other
    response = submit(taker, url, form)
    assert response.status_code == 400
    assert "not" in response.get_data(as_text=True).lower()
    assert not current_attempt(db).is_submitted


def test_max_attempts_holds_on_the_server(taker, db, quiz):
    quiz.max_attempts, quiz.cooldown_minutes = 1, 0
    db.session.commit()
    take(taker, db, right=False)
    page = taker.get(QUIZ_URL).get_data(as_text=True)
    assert "You have used all 1 attempts at this quiz." in page
    taker.post(QUIZ_URL + "start", data={"csrf_token": csrf_token(taker, QUIZ_URL)})
    assert db.session.scalar(select(func.count(Attempt.id))) == 1


def test_the_cooldown_after_a_failed_attempt_says_when_the_next_is_possible(taker, db):
    take(taker, db, right=False)
    page = taker.get(QUIZ_URL).get_data(as_text=True)
    assert "You can try again on" in page and "Start a new attempt" not in page
    attempt = current_attempt(db)
    attempt.submitted_at -= timedelta(minutes=61)
    db.session.commit()
    assert "Start a new attempt" in taker.get(QUIZ_URL).get_data(as_text=True)


def test_the_best_attempt_counts(taker, db, quiz):
    quiz.cooldown_minutes = 0
    db.session.commit()
    take(taker, db, right=True)
    take(taker, db, right=False)
    page = taker.get(QUIZ_URL).get_data(as_text=True)
    assert "Your best so far: 100%" in page and "(counts)" in page
    course_page = taker.get("/courses/goals/").get_data(as_text=True)
    assert "Passed" in course_page, course_page[course_page.find("<main") :]


def test_correct_answers_are_revealed_only_after_a_pass_when_so_configured(taker, db, quiz):
    quiz.cooldown_minutes = 0
    db.session.commit()
    url, _ = take(taker, db, right=False)
    failed = taker.get(url).get_data(as_text=True)
    assert "(correct)" not in failed and "shown once you have passed" in failed
    assert "Wrong" not in failed and "Right" not in failed, "right or wrong tells the key"
    take(taker, db, right=True)
    passed = taker.get(url).get_data(as_text=True)
    assert "(correct)" in passed and "Wrong" in passed


@pytest.mark.parametrize(("reveal", "shown"), [("after_submit", True), ("never", False)])
def test_reveal_after_submit_and_never(taker, db, quiz, reveal, shown):
    from app.content.quizzes import Reveal

    quiz.reveal_answers = Reveal(reveal)
    db.session.commit()
    url, _ = take(taker, db, right=False)
    assert ("(correct)" in taker.get(url).get_data(as_text=True)) is shown


def test_explanations_follow_the_reveal_rule_because_they_name_the_answer(taker, db, quiz):
    quiz.cooldown_minutes = 0
    db.session.commit()
    url, _ = take(taker, db, right=False)
    attempt = current_attempt(db)
    explained = [q["explanation_html"].strip() for q in attempt.snapshot if q["explanation_html"]]
    failed = taker.get(url).get_data(as_text=True)
    assert explained and not any(text in failed for text in explained)
    assert "shown once you have passed" in failed
    take(taker, db, right=True)
    assert all(text in taker.get(url).get_data(as_text=True) for text in explained)


def review_text(response):
    """The page without its CSRF tokens, which carry a timestamp."""
    return re.sub(r'name="csrf_token" value="[^"]*"', "", response.get_data(as_text=True))


def test_the_review_stays_as_it_was_after_the_quiz_is_edited(taker, db, content_copy):
    from app.content import load_content
    from app.courses.sync import sync_content

    url, _ = take(taker, db)
    before = review_text(taker.get(url))
    quiz_file = content_copy / "quizzes/goals-check.md"
    quiz_file.write_text(
        quiz_file.read_text().replace("Which goal is SMART?", "Which goal is the SMART one?")
    )
    report = sync_content(load_content(content_copy), now=utcnow())
    db.session.commit()
    assert "quiz goals-check" in report.updated
    assert review_text(taker.get(url)) == before
    assert "the SMART one" not in before
    assert db.session.scalar(select(func.count(Attempt.id))) == 1


def test_a_coordinator_grants_extra_time_and_it_sets_the_deadline(app, taker, db, ready, make_user):
    coordinator = client_with_role(app, make_user, Role.COORDINATOR)
    url = "/quizzes/accommodations"
    form = {
        "email": ready.email,
        "multiplier": "1.5",
        "note": "dyslexia",
        "csrf_token": csrf_token(coordinator, url),
    }
    assert coordinator.post(url, data=form).status_code == 302
    assert ready.name in coordinator.get(url).get_data(as_text=True)
    assert "Time: 15 min (includes your extra time)" in taker.get(QUIZ_URL).get_data(as_text=True)
    start(taker)
    attempt = current_attempt(db)
    assert attempt.deadline_at - attempt.started_at == timedelta(minutes=15)


def test_an_untimed_accommodation_removes_the_deadline(app, taker, db, ready, make_user):
    coordinator = client_with_role(app, make_user, Role.COORDINATOR)
    url = "/quizzes/accommodations"
    token = csrf_token(coordinator, url)
    coordinator.post(
        url, data={"email": ready.email, "multiplier": "1", "untimed": "y", "csrf_token": token}
    )
    page = taker.get(start(taker)).get_data(as_text=True)
    assert current_attempt(db).deadline_at is None and 'id="timer"' not in page


def test_a_timed_attempt_shows_the_deadline_and_loads_the_timer(taker):
    page = taker.get(start(taker)).get_data(as_text=True)
    assert 'id="timer"' in page and "Submit by" in page and "quiz-timer.js" in page
    assert 'aria-live="polite"' in page


def test_an_accommodation_for_an_unknown_mentor_is_shown_beside_the_field(app, make_user):
    coordinator = client_with_role(app, make_user, Role.COORDINATOR)
    url = "/quizzes/accommodations"
    form = {
        "email": "ghost@hospital.example",
        "multiplier": "1.5",
        "csrf_token": csrf_token(coordinator, url),
    }
    page = coordinator.post(url, data=form).get_data(as_text=True)
    assert "There is no mentor with this e-mail." in page


@pytest.mark.parametrize("role", [Role.MENTOR, Role.EDUCATOR])
def test_only_coordinators_and_admins_grant_accommodations(app, synced, make_user, role):
    client = client_with_role(app, make_user, role)
    assert client.get("/quizzes/accommodations").status_code == 403


@pytest.mark.parametrize("role", [Role.EDUCATOR, Role.COORDINATOR])
def test_quizzes_are_taken_by_mentors_only(app, synced, make_user, role):
    client = client_with_role(app, make_user, role)
    assert client.get(QUIZ_URL).status_code == 403


def test_the_course_page_lists_the_attempts(taker, db):
    take(taker, db, right=False)
    page = taker.get("/courses/goals/").get_data(as_text=True)
    assert "Your attempts" in page and "Not passed" in page


def test_option_values_are_opaque_and_differ_between_attempts(taker, db, quiz):
    """The posted value of an option says nothing of its place in the file."""
    quiz.cooldown_minutes, quiz.shuffle = 0, False
    db.session.commit()
    seen = []
    for _ in range(2):
        url = start(taker)
        page = taker.get(url).get_data(as_text=True)
        values = re.findall(r'type="(?:radio|checkbox)"[^>]*value="([^"]+)"', page)
        values += re.findall(r'value="([^"]+)"[^>]*type="(?:radio|checkbox)"', page)
        assert values and not set(values) & set("abcdefgh"), values
        seen.append(set(values))
        attempt = current_attempt(db)
        submit(taker, url, answers_for(attempt, right=False))
    assert not seen[0] & seen[1], "each attempt has its own values"


def test_a_file_order_option_key_is_refused_as_not_of_this_question(taker, db):
    url = start(taker)
    attempt = current_attempt(db)
    question = next(q for q in attempt.snapshot if q["kind"] != "text")
    response = submit(taker, url, {f"q-{question['key']}": ["a"]})
    assert response.status_code == 400
    assert current_attempt(db).submitted_at is None
