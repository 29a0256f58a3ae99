"""A mentor works through a Markdown course in a real browser, on a desktop and on a phone:
progress survives signing out, and "Continue where you left off" leads back to the right
lesson. The locators are the ones a screen reader user has (roles, names, labels)."""

import re

import pytest
from playwright.sync_api import Page, expect

from app.config import REPOSITORY_ROOT

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}  # an iPhone X/11 Pro/12 mini in CSS pixels

COURSE = "Communicating with mentees"
LESSONS = ["Reflective listening", "Asking open questions", "Feedback with ask-tell-ask"]
LESSON_COUNT = len(
    [
        p
        for p in (REPOSITORY_ROOT / "courses" / "communication").glob("*.md")
        if p.name != "course.md"
    ]
)


def assert_no_horizontal_scrolling(page: Page) -> None:
    widths = page.evaluate(
        "({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})"
    )
    assert widths["scroll"] <= widths["inner"], f"{page.url} scrolls sideways: {widths}"


def expect_lesson(page: Page, number: int) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(LESSONS[number - 1])
    expect(page.get_by_text(f"Lesson {number} of {LESSON_COUNT}")).to_be_visible()
    assert_no_horizontal_scrolling(page)


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_a_mentor_completes_two_lessons_signs_out_and_continues_at_the_third(
    new_page, sign_in, viewport
):
    page = new_page(viewport)
    sign_in(page)
    assert_no_horizontal_scrolling(page)

    page.get_by_role("link", name=COURSE).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(COURSE)
    expect(page.get_by_text(f"0 of {LESSON_COUNT} lessons")).to_be_visible()
    assert_no_horizontal_scrolling(page)
    page.get_by_role("link", name=f"Start: {LESSONS[0]}").click()
    expect_lesson(page, 1)

    page.get_by_role("button", name="Mark complete and continue").click()
    expect_lesson(page, 2)
    page.get_by_role("button", name="Mark complete and continue").click()
    expect_lesson(page, 3)

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1, name="Sign in")).to_be_visible()
    expect(page.get_by_role("status")).to_have_text("You are signed out.")

    sign_in(page)
    resume = page.get_by_role("region", name="Continue where you left off")
    expect(resume).to_be_visible()
    resume.get_by_role("link", name=LESSONS[2]).click()
    expect(page).to_have_url(re.compile(r"/courses/communication/ask-tell-ask-feedback/$"))
    expect_lesson(page, 3)
    expect(page.get_by_role("button", name="Mark complete and continue")).to_be_visible()

    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name=COURSE).click()
    expect(page.get_by_text(f"2 of {LESSON_COUNT} lessons")).to_be_visible()
    expect(page.get_by_role("progressbar", name=f"Progress in {COURSE}")).to_have_attribute(
        "value", str(round(200 / LESSON_COUNT))
    )
    lessons = page.get_by_role("list").filter(has=page.get_by_role("link", name=LESSONS[0]))
    for title in LESSONS[:2]:
        expect(lessons.get_by_role("listitem").filter(has_text=title)).to_contain_text("Done")
    expect(lessons.get_by_role("listitem").filter(has_text=LESSONS[2])).not_to_contain_text("Done")


def test_every_lesson_fits_a_phone_screen_without_sideways_scrolling(new_page, sign_in):
    """Tables and callouts included: a 375 px wide page never scrolls horizontally."""
    page = new_page(PHONE)
    sign_in(page)
    course_links = page.get_by_role("list").get_by_role("heading", level=2).get_by_role("link")
    courses = [link.get_attribute("href") for link in course_links.all()]
    assert len(courses) >= 3
    lesson_urls = []
    for course in courses:
        page.goto(course)
        assert_no_horizontal_scrolling(page)
        links = page.locator("ol.lesson-list").get_by_role("link")
        lesson_urls += [link.get_attribute("href") for link in links.all()]
    assert len(lesson_urls) >= 15
    for url in lesson_urls:
        page.goto(url)
        assert_no_horizontal_scrolling(page)
