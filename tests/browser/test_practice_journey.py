"""Observed practice in a real browser: an educator finds the mentor under Observations
(the mentors awaiting one), opens their practice page, reads the rubric, sends the form
with a rating missing (the error shows beside that criterion, nothing typed is lost),
completes it and records the observation, which certifies the mentor, whose courses were
done. The mentor is e-mailed, signs in, follows the e-mail's link to My progress and reads
the ratings and the comment. The pages are axe-clean and fit a phone.

The mentor's courses are completed in the live server's database before the browser
starts, through the same services a mentor's clicks use, against the repository's real
courses and its observed-conversation rubric."""

import email
import re
from dataclasses import dataclass
from datetime import timedelta
from email import policy

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.auth import service as auth
from app.auth.models import Role
from app.certification import service as certification
from app.certification.models import Certificate
from app.clock import utcnow
from app.extensions import db
from app.practice import service as practice
from tests.browser.conftest import PROGRAM_CERTIFICATION, LiveServer
from tests.browser.test_coordinator_journey import (
    PHONE,
    assert_no_horizontal_scrolling,
    axe_report,
    mentor,
    pass_quiz,
    read,
    sign_in_as,
)
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

ITEM = "observed-conversation"
EDUCATOR = ("educator@hospital.example", "Dr. Rahul Mehta")
MENTOR = ("amara.osei@hospital.example", "Dr. Amara Osei", "Internal Medicine")
COMMENT = "You let the mentee set the agenda. Next time, leave more room after a question."


@dataclass(frozen=True)
class Arranged:
    mentor_id: int
    criteria: list[str]  # the rubric's criterion names, in order


@pytest.fixture
def arranged(database: Flask) -> Arranged:
    """An educator, and a mentor who has read every lesson and passed every quiz."""
    now = utcnow() - timedelta(days=3)
    with database.app_context():
        auth.create_user(*EDUCATOR, PASSWORD, {Role.EDUCATOR})
        trainee = mentor(*MENTOR)
        program = certification.get_certification(PROGRAM_CERTIFICATION)
        for slug in program.course_slugs:
            read(trainee, slug, now=now)
            pass_quiz(trainee, slug, now=now + timedelta(hours=2))
        assert certification.award_if_earned(trainee, now=now) == [], "practice is missing"
        db.session.commit()
        criteria = [c["name"] for c in practice.get_item(ITEM).criteria]
        result = Arranged(trainee.id, criteria)
        db.session.remove()
    return result


def rate(page: Page, criterion: str, rating: str) -> None:
    page.get_by_role("group", name=criterion).get_by_label(rating, exact=True).check()


def test_an_educator_records_an_observation_and_the_mentor_reads_it(
    arranged, new_page, live_server: LiveServer, database: Flask
):
    url = f"/coordinator/mentors/{arranged.mentor_id}/practice/{ITEM}"
    educator = new_page()
    sign_in_as(educator, EDUCATOR[0])
    educator.get_by_role("navigation", name="Main").get_by_role("link", name="Observations").click()
    expect(educator.get_by_role("status")).to_have_text("1 mentor awaiting an observation.")
    waiting = educator.locator(".course-card").filter(has_text=MENTOR[1])
    waiting.get_by_role("link", name="Observed mentoring conversation").click()
    expect(educator).to_have_url(re.compile(re.escape(url) + "$"))
    expect(educator.get_by_role("heading", level=1)).to_have_text("Observed mentoring conversation")
    expect(educator.get_by_text(MENTOR[1], exact=False).first).to_be_visible()
    rubric = educator.get_by_role("region", name="The rubric")
    expect(rubric.get_by_text("Keeps the mentee's agenda central", exact=False)).to_be_visible()
    expect(educator.get_by_text("None recorded yet.")).to_be_visible()

    # Every criterion but one rated, and a comment: the server says which one is missing.
    first, *others, last = arranged.criteria
    rate(educator, first, "Exceeds")
    for criterion in others:
        rate(educator, criterion, "Meets")
    educator.get_by_label("Comment for the mentor").fill(COMMENT)
    missing = educator.get_by_role("group", name=last)
    missing.locator("input").evaluate_all("inputs => inputs.forEach(i => i.required = false)")
    educator.get_by_role("button", name="Record the observation").click()
    missing = educator.get_by_role("group", name=last)
    expect(missing.locator(".field-error")).to_have_text(
        "Rate this criterion: not yet, meets or exceeds."
    )
    expect(missing.get_by_label("Meets", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(educator.get_by_role("group", name=first).get_by_label("Exceeds")).to_be_checked()
    expect(educator.get_by_label("Comment for the mentor")).to_have_value(COMMENT)
    report = axe_report(educator, "practice page, a rating missing")
    assert report is None, report

    rate(educator, last, "Meets")
    educator.get_by_role("button", name="Record the observation").click()
    expect(educator).to_have_url(re.compile(re.escape(url) + "$"))
    expect(educator.get_by_role("status")).to_contain_text(
        f"Observation of {MENTOR[1]} recorded: meets the standard."
    )
    expect(educator.get_by_role("status")).to_contain_text(f"{MENTOR[1]} is now certified")
    history = educator.get_by_role("region", name="Observations")
    expect(history.get_by_role("article")).to_have_count(1)
    expect(history.get_by_text(COMMENT)).to_be_visible()
    expect(history.get_by_text(f"by {EDUCATOR[1]} · the one that counts")).to_be_visible()

    # The mentor's e-mail.
    [message_file] = live_server.mail(1)
    message = email.message_from_bytes(message_file.read_bytes(), policy=policy.default)
    assert message["To"] == MENTOR[0]
    body = message.get_body(preferencelist=("plain",)).get_content()
    assert "It meets the standard" in body and COMMENT in body
    assert f"- {first}: exceeds" in body

    # The mentor signs in, follows the e-mail's link and reads ratings and comment.
    link = re.search(r"http://\S+(/me/#practice-observed-conversation)", body).group(1)
    page = new_page()
    sign_in_as(page, MENTOR[0])
    page.goto(link)
    expect(page.get_by_role("heading", level=2, name="Observed practice")).to_be_visible()
    item = page.locator("#practice-observed-conversation")
    expect(item.locator(".badge").first).to_have_text("Done")
    latest = item.get_by_role("article")
    expect(latest.get_by_text(COMMENT)).to_be_visible()
    expect(latest.locator(".ratings li")).to_have_count(len(arranged.criteria))
    expect(latest.locator(".ratings li").first).to_contain_text(f"{first} Exceeds")
    expect(latest.locator(".ratings li").last).to_contain_text(f"{last} Meets")
    expect(page.get_by_role("heading", name="Certificates")).to_be_visible()
    report = axe_report(page, "my progress, observed")
    assert report is None, report

    with database.app_context():
        holders = db.session.scalars(
            select(Certificate).where(Certificate.user_id == arranged.mentor_id)
        ).all()
        assert len(holders) == 1
        db.session.remove()


def test_the_practice_pages_are_axe_clean_and_fit_a_phone(arranged, new_page):
    url = f"/coordinator/mentors/{arranged.mentor_id}/practice/{ITEM}"
    failures = []
    educator = new_page(PHONE)
    sign_in_as(educator, EDUCATOR[0])
    educator.goto("/coordinator/practice/")
    expect(educator.get_by_role("heading", level=1)).to_have_text("Observed practice")
    assert_no_horizontal_scrolling(educator)
    failures.append(axe_report(educator, "observations list at 375 px"))
    educator.goto(url)
    expect(educator.get_by_role("heading", level=1)).to_be_visible()
    assert_no_horizontal_scrolling(educator)
    failures.append(axe_report(educator, "practice page at 375 px"))
    choice = educator.get_by_role("group", name=arranged.criteria[0]).get_by_label("Meets")
    box = choice.bounding_box()
    assert box["width"] >= 24 and box["height"] >= 24, box

    mentor_page = new_page(PHONE)
    sign_in_as(mentor_page, MENTOR[0])
    mentor_page.goto("/me/")
    expect(mentor_page.locator("#practice-observed-conversation .badge").first).to_have_text(
        "Not yet recorded"
    )
    expect(mentor_page.get_by_text("Reflects before advising", exact=False).first).to_be_visible()
    assert_no_horizontal_scrolling(mentor_page)
    failures.append(axe_report(mentor_page, "my progress at 375 px, the rubric open"))

    response = mentor_page.goto(url)
    assert response is not None and response.status == 403
    failures = [failure for failure in failures if failure]
    assert not failures, "\n".join(failures)
