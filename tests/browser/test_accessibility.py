"""WCAG 2.2 AA in practice: axe-core finds nothing on the main pages (on a desktop and on
a phone), and a keyboard user can skip the header straight to the content."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 812}
VIEWPORTS = pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
# A lesson with tip, warning and reflect callouts and a table.
LESSON = "/courses/goal-setting/the-first-meeting/"
SIGNED_IN_PAGES = {
    "catalog": "/courses/",
    "course": "/courses/goal-setting/",
    "course-in-progress": "/courses/communication/",
    "lesson": LESSON,
    "completed-lesson": "/courses/communication/reflective-listening/",
    "me": "/me/",
}


def assert_no_axe_violations(page: Page) -> None:
    results = Axe().run(page)
    assert results.violations_count == 0, f"axe on {page.url}:\n{results.generate_report()}"


@pytest.fixture
def mentor_with_progress(new_page, sign_in):
    """A signed-in mentor part-way through a course, so pages show every progress state."""

    def open_page(viewport: dict | None = None) -> Page:
        page = new_page(viewport)
        sign_in(page)
        page.goto("/courses/communication/reflective-listening/")
        page.get_by_role("button", name="Mark complete and continue").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Asking open questions")
        return page

    return open_page


@VIEWPORTS
def test_the_sign_in_page_has_no_axe_violations(new_page, viewport):
    page = new_page(viewport)
    page.goto("/auth/login")
    assert_no_axe_violations(page)


@VIEWPORTS
def test_the_sign_in_page_with_an_error_has_no_axe_violations(new_page, viewport):
    page = new_page(viewport)
    page.goto("/auth/login")
    page.get_by_label("E-mail").fill("nobody@hospital.example")
    page.get_by_label("Password").fill("not the right password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("do not match an account")).to_be_visible()
    assert_no_axe_violations(page)


@VIEWPORTS
def test_the_signed_in_pages_have_no_axe_violations(mentor_with_progress, viewport):
    page = mentor_with_progress(viewport)
    failures = []
    for name, url in SIGNED_IN_PAGES.items():
        page.goto(url)
        results = Axe().run(page)
        if results.violations_count:
            failures.append(f"--- {name} ({url}) ---\n{results.generate_report()}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("url", ["/courses/", LESSON, "/me/"])
def test_the_first_tab_reaches_the_skip_link_which_moves_focus_to_main(new_page, sign_in, url):
    page = new_page()
    sign_in(page)
    page.goto(url)
    skip = page.get_by_role("link", name="Skip to main content")
    assert skip.bounding_box()["x"] < 0, "the skip link is off-screen until focused"
    page.keyboard.press("Tab")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box["x"] >= 0 and box["y"] >= 0, f"the focused skip link is on screen: {box}"
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main$"))
    expect(page.get_by_role("main")).to_be_focused()
    # The next Tab continues inside the content, past the header's navigation.
    page.keyboard.press("Tab")
    in_main = page.evaluate("document.querySelector('main').contains(document.activeElement)")
    assert in_main, "after the skip link, Tab goes on inside main"


def test_the_signed_out_sign_in_page_starts_with_the_skip_link(new_page):
    page = new_page()
    page.goto("/auth/login")
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("main")).to_be_focused()
    page.keyboard.press("Tab")
    expect(page.get_by_label("E-mail")).to_be_focused()


def test_the_lesson_can_be_completed_with_the_keyboard_alone(new_page, sign_in):
    page = new_page()
    sign_in(page)
    page.goto(LESSON)
    button = page.get_by_role("button", name="Mark complete and continue")
    for _ in range(60):
        page.keyboard.press("Tab")
        if button.evaluate("element => element === document.activeElement"):
            break
    expect(button).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Writing SMART goals")
