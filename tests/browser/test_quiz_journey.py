"""A mentor takes the communication course's quiz in a real browser: fails it, sees the
lessons to revisit (never the questions or the key), passes it, and the course turns
Complete; with all 3 attempts of 30 days used, the quiz says when the next opens (on the
test clock). The quiz pages
are axe-clean on a desktop and on a phone, and the timer counts down without chattering
to screen readers every second.

The attempt's questions are drawn at random, so the tests read the attempt's snapshot from
the database (as the live server stored it) to know which answers are right."""

import re
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import delete

from app.auth import service as auth
from app.clock import reset_travel, travel, utcnow
from app.courses import service as courses
from app.extensions import db
from app.quizzes.models import Attempt

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 812}
COURSE_SLUG = "communication"
COURSE = "Communicating with mentees"
QUIZ_URL = "/quizzes/communication/"
ATTEMPT_URL = re.compile(r"/quizzes/communication/attempts/(\d+)/$")
WINDOW = timedelta(days=30)  # 3 attempts in any 30 days
WRONG_TEXT = "a long lecture on my own residency"


# Fixtures


@pytest.fixture
def test_clock() -> Iterator[Callable[[timedelta], None]]:
    """travel(delta) moves "now" for the live server too; always put back afterwards."""
    reset_travel()
    try:
        yield travel
    finally:
        reset_travel()


@pytest.fixture
def ready_mentor(database: Flask, live_server, new_page, sign_in) -> Callable[..., Page]:
    """ready_mentor(viewport=None): a signed-in mentor who has read every lesson of the
    communication course, so its quiz is open."""
    with database.app_context():
        mentor = auth.find_user(live_server.mentor_email)
        progress = courses.course_progress(mentor, courses.get_course(COURSE_SLUG))
        assert progress.quiz is not None, "the communication course has a quiz"
        for lesson in progress.lessons:
            courses.mark_complete(mentor, lesson, now=utcnow())
        # Each test starts with no attempts (the live server's database is shared).
        db.session.execute(delete(Attempt).where(Attempt.user_id == mentor.id))
        db.session.commit()
        db.session.remove()

    def open_page(viewport: dict | None = None) -> Page:
        page = new_page(viewport)
        sign_in(page)
        return page

    return open_page


# Helpers


def snapshot_of(database: Flask, page: Page) -> list[dict]:
    """The questions of the attempt open in the page, as the server stored them."""
    match = ATTEMPT_URL.search(page.url)
    assert match, f"not on an attempt page: {page.url}"
    with database.app_context():
        attempt = db.session.get(Attempt, int(match.group(1)))
        snapshot = attempt.snapshot
        db.session.remove()
    return snapshot


def started_at(database: Flask, page: Page) -> datetime:
    attempt_id = int(ATTEMPT_URL.search(page.url).group(1))
    with database.app_context():
        moment = db.session.get(Attempt, attempt_id).started_at
        db.session.remove()
    return moment


def option(page: Page, question: dict, option_key: str):
    return page.locator(f'[id="q-{question["key"]}-{option_key}"]')


def answer_wrong(page: Page, snapshot: list[dict]) -> None:
    for question in snapshot:
        if question["kind"] == "text":
            assert WRONG_TEXT not in question["accepted"]
            page.locator(f'[id="q-{question["key"]}"]').fill(WRONG_TEXT)
            continue
        wrong = next(o["key"] for o in question["options"] if o["key"] not in question["correct"])
        option(page, question, wrong).check()
        expect(option(page, question, wrong)).to_be_checked()


def answer_right(page: Page, snapshot: list[dict]) -> None:
    """As a person would: click each right option's label; type an accepted answer."""
    for question in snapshot:
        if question["kind"] == "text":
            page.get_by_role("textbox", name="Your answer").and_(
                page.locator(f'[id="q-{question["key"]}"]')
            ).fill(question["accepted"][0])
            continue
        for key in question["correct"]:
            page.locator(f'label[for="q-{question["key"]}-{key}"]').click()
            expect(option(page, question, key)).to_be_checked()
        for other in question["options"]:
            if other["key"] not in question["correct"]:
                expect(option(page, question, other["key"])).not_to_be_checked()


def open_the_quiz_from_the_course(page: Page) -> None:
    page.goto(f"/courses/{COURSE_SLUG}/")
    page.get_by_role("link", name="Take the quiz").click()
    expect(page).to_have_url(re.compile(re.escape(QUIZ_URL) + "$"))


def start(page: Page, button: str) -> None:
    page.get_by_role("button", name=button).click()
    expect(page).to_have_url(ATTEMPT_URL)
    expect(page.get_by_role("button", name="Submit my answers")).to_be_visible()


def submit(page: Page, heading: str) -> None:
    page.get_by_role("button", name="Submit my answers").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)


def when(moment: datetime) -> str:
    return moment.strftime("%-d %b %Y, %H:%M") + " UTC"


def axe_report(page: Page, name: str) -> str | None:
    results = Axe().run(page)
    if results.violations_count:
        return f"--- {name} ({page.url}) ---\n{results.generate_report()}"
    return None


def assert_no_axe_violations(page: Page, name: str) -> None:
    report = axe_report(page, name)
    assert report is None, report


def assert_no_horizontal_scrolling(page: Page) -> None:
    widths = page.evaluate(
        "({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})"
    )
    assert widths["scroll"] <= widths["inner"], f"{page.url} scrolls sideways: {widths}"


# Tests


def test_a_mentor_fails_revisits_the_lessons_shown_passes_and_completes_the_course(
    ready_mentor, database, test_clock
):
    page = ready_mentor()
    open_the_quiz_from_the_course(page)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Communicating with mentees")
    expect(page.get_by_text("No attempts yet.")).to_be_visible()
    expect(page.get_by_text("at most 3 attempts in any 30 days")).to_be_visible()

    # First attempt: everything wrong.
    start(page, "Start the quiz")
    snapshot = snapshot_of(database, page)
    lessons = [q["lesson"]["slug"] for q in snapshot]
    assert len(snapshot) == 12 and all(lessons.count(slug) == 2 for slug in lessons), (
        "two questions from each of the six lessons"
    )
    expect(page.locator("fieldset.question")).to_have_count(12)
    answer_wrong(page, snapshot)
    submit(page, "Not passed this time")
    expect(page.get_by_text("You scored 0%")).to_be_visible()
    scores = page.locator("table.lesson-scores tbody tr")
    expect(scores).to_have_count(6)
    expect(scores.first).to_contain_text("0 of 2")
    # Which lessons to read again, but neither the questions nor the key.
    expect(page.get_by_role("link", name=re.compile("^Revisit "))).to_have_count(6)
    expect(page.locator(".review-item")).to_have_count(0)
    expect(page.get_by_text("(correct)")).to_have_count(0)
    expect(page.get_by_text("Accepted:")).to_have_count(0)
    expect(
        page.get_by_text(
            "The questions, the right answers and their explanations are shown once you have"
            " passed."
        )
    ).to_be_visible()
    page.get_by_role("link", name=re.compile("^Revisit ")).first.click()
    expect(page).to_have_url(re.compile(r"/courses/communication/[a-z-]+/$"))
    expect(page.locator("article.lesson h1")).to_be_visible()

    # No wait after a failed attempt: the next one draws new questions on every lesson.
    page.goto(QUIZ_URL)
    expect(page.locator("table.history tbody tr")).to_have_count(1)
    start(page, "Start a new attempt")
    snapshot = snapshot_of(database, page)
    answer_right(page, snapshot)
    submit(page, "Passed")
    expect(page.get_by_text("You scored 100%")).to_be_visible()
    expect(page.locator(".review-item.right")).to_have_count(12)
    right_options = sum(len(q["correct"]) for q in snapshot if q["kind"] != "text")
    expect(page.locator(".correct-mark")).to_have_count(right_options)
    expect(page.get_by_text("(correct)")).to_have_count(right_options)
    if any(q["kind"] == "text" for q in snapshot):
        expect(page.get_by_text("Accepted:")).to_be_visible()

    # The course is complete, on its page and in the catalog.
    page.get_by_role("link", name=f"back to {COURSE}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(COURSE)
    expect(page.locator(".meta .badge")).to_have_text("Complete")
    quiz_box = page.get_by_role("region", name=re.compile("^Quiz:"))
    expect(quiz_box.locator("p > .badge")).to_have_text("Passed")
    expect(quiz_box.get_by_text("Best score 100%.")).to_be_visible()
    expect(quiz_box.get_by_role("link", name="Take the quiz")).to_have_count(0)

    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Courses").click()
    card = page.locator(".course-card").filter(has=page.get_by_role("link", name=COURSE))
    expect(card.locator(".badge")).to_have_text("Complete")


def test_the_quiz_pages_have_no_axe_violations(ready_mentor, database, test_clock):
    page = ready_mentor()
    failures = []
    page.goto(QUIZ_URL)
    expect(page.get_by_role("button", name="Start the quiz")).to_be_visible()
    failures.append(axe_report(page, "quiz page, before starting"))

    start(page, "Start the quiz")
    expect(page.locator(".timer-clock")).to_have_text(re.compile(r"\d+:\d\d left"))
    failures.append(axe_report(page, "open attempt, with the timer"))

    answer_wrong(page, snapshot_of(database, page))
    submit(page, "Not passed this time")
    failures.append(axe_report(page, "failed result"))
    first_started = started_at(database, page)
    for _ in range(2):  # the other two attempts of the 30 days
        page.goto(QUIZ_URL)
        start(page, "Start a new attempt")
        answer_wrong(page, snapshot_of(database, page))
        submit(page, "Not passed this time")

    page.goto(QUIZ_URL)
    expect(page.get_by_role("status")).to_contain_text(
        "You have used all 3 attempts this quiz allows in 30 days."
    )
    expect(page.get_by_role("status")).to_contain_text(
        f"You can try again on {when(first_started + WINDOW)}."
    )
    expect(page.get_by_role("button", name=re.compile("^Start"))).to_have_count(0)
    failures.append(axe_report(page, "quiz page, attempts used up"))

    test_clock(WINDOW + timedelta(minutes=1))  # a month on: signed out, and an attempt free
    page = ready_mentor()
    page.goto(QUIZ_URL)
    start(page, "Start a new attempt")
    answer_right(page, snapshot_of(database, page))
    submit(page, "Passed")
    failures.append(axe_report(page, "passed result"))

    page.goto(QUIZ_URL)
    failures.append(axe_report(page, "quiz page, passed"))

    failures = [failure for failure in failures if failure]
    assert not failures, "\n".join(failures)


def test_the_open_attempt_on_a_phone_has_no_axe_violations_and_no_sideways_scrolling(
    ready_mentor,
):
    page = ready_mentor(PHONE)
    page.goto(QUIZ_URL)
    assert_no_horizontal_scrolling(page)
    start(page, "Start the quiz")
    expect(page.locator(".timer-clock")).to_have_text(re.compile(r"\d+:\d\d left"))
    assert_no_horizontal_scrolling(page)
    assert_no_axe_violations(page, "open attempt at 375 px")


def test_the_timer_counts_down_and_announces_only_at_thresholds(ready_mentor):
    page = ready_mentor()
    page.goto(QUIZ_URL)
    start(page, "Start the quiz")

    timer = page.locator("#timer")
    expect(timer).to_be_visible()
    expect(timer).to_contain_text("Submit by")
    clock = timer.locator(".timer-clock")
    expect(clock).to_be_visible()
    expect(clock).to_have_text(re.compile(r"^(24:[0-5]\d|25:00) left$"))
    first = clock.text_content()

    announcement = page.locator("#timer-announcement")
    expect(announcement).to_have_attribute("aria-live", "polite")
    expect(announcement).to_have_text("")

    page.wait_for_timeout(2_000)
    expect(clock).not_to_have_text(first)
    expect(clock).to_have_text(re.compile(r"^24:[0-5]\d left$"))
    assert announcement.text_content() == "", "no announcement between thresholds"
