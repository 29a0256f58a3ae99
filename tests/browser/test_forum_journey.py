"""The peer forum in a real browser, two mentors in two browser contexts: one starts a
thread (previewing it first), the other replies mentioning the first by handle; the first
sees the unread count in the header, opens the notification, lands on the reply and marks
it helpful. Posting text that looks like it names a patient is held back with a warning,
the text kept, until it is edited. The forum's pages are axe-clean on a desktop and on a
phone, and a thread fits a phone.

The forum's categories are seeded, and the two mentors made, in the live server's
database before the browsers start; the axe test also arranges a thread there, through
the same services a mentor's clicks use."""

import re
from dataclasses import dataclass

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.auth import service as auth
from app.auth.models import Role, User
from app.clock import utcnow
from app.extensions import db
from app.forum import service as forum
from tests.browser.test_coordinator_journey import (
    PHONE,
    assert_no_horizontal_scrolling,
    axe_report,
    sign_in_as,
)
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

VIEWPORTS = pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])


@dataclass(frozen=True)
class Member:
    email: str
    name: str
    handle: str  # made from the name by app/auth/handles.py


ANA = Member("ana.silva@hospital.example", "Dr. Ana Silva", "ana-silva")
BEN = Member("ben.okafor@hospital.example", "Dr. Ben Okafor", "ben-okafor")

CATEGORY = "Communication"
TITLE = "How do you give feedback after a tough case?"
OPENING = "What has **worked** for you when feedback lands badly after a hard shift?"
MENTION = f"@{ANA.handle} I ask first what they noticed themselves, then add one piece of feedback."
IDENTIFYING = "I saw patient John Smith (MRN 00482913) last week"
CLEANED = "I saw a patient like this last week: asking first made the feedback land."


# Fixtures


@pytest.fixture
def forum_members(database: Flask) -> None:
    """The default forum categories and two mentors, Ana and Ben, with their handles."""
    with database.app_context():
        forum.seed_default_categories()
        for member in (ANA, BEN):
            auth.create_user(member.email, member.name, PASSWORD, {Role.MENTOR})
        db.session.commit()
        handles = {
            user.email: user.handle
            for user in db.session.scalars(
                select(User).where(User.email.in_([ANA.email, BEN.email]))
            ).unique()
        }
        db.session.remove()
    assert handles == {ANA.email: ANA.handle, BEN.email: BEN.handle}


@pytest.fixture
def discussion(forum_members, database: Flask) -> int:
    """Ana's thread in Communication with Ben's reply mentioning her; the thread's id."""
    with database.app_context():
        ana, ben = (
            db.session.scalar(select(User).where(User.email == member.email))
            for member in (ANA, BEN)
        )
        thread = forum.start_thread(
            ana, forum.get_category("communication"), title=TITLE, body=OPENING, now=utcnow()
        )
        forum.reply(ben, thread, MENTION, now=utcnow())
        db.session.commit()
        thread_id = thread.id
        db.session.remove()
    return thread_id


# Helpers


def main_nav(page: Page):
    return page.get_by_role("navigation", name="Main")


def notifications_link(page: Page):
    return main_nav(page).get_by_role("link", name=re.compile(r"^Notifications\b"))


def post_by(page: Page, member: Member):
    """A post's article, named by its author line ("Dr. Ana Silva @ana-silva")."""
    return page.get_by_role("article", name=f"{member.name} @{member.handle}")


def open_category(page: Page) -> None:
    main_nav(page).get_by_role("link", name="Forum", exact=True).click()
    expect(page).to_have_url(re.compile(r"/forum/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Peer forum")
    page.get_by_role("link", name=CATEGORY, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(CATEGORY)


# Tests


def test_two_mentors_talk_one_mentions_the_other_who_marks_the_reply_helpful(
    forum_members, new_page
):
    ana = new_page()
    ben = new_page()
    sign_in_as(ana, ANA.email)
    sign_in_as(ben, BEN.email)

    # Ana starts a thread, previewing it first.
    open_category(ana)
    ana.get_by_role("link", name="Start a thread").click()
    expect(ana.get_by_role("heading", level=1)).to_have_text(f"Start a thread in {CATEGORY}")
    ana.get_by_label("Title", exact=True).fill(TITLE)
    ana.get_by_label("Your post", exact=True).fill(OPENING)
    ana.get_by_role("button", name="Preview").click()
    preview = ana.get_by_role("region", name="Preview")
    expect(preview).to_contain_text(
        "What has worked for you when feedback lands badly after a hard shift?"
    )
    expect(preview.locator("strong")).to_have_text("worked")
    expect(ana).to_have_url(re.compile(r"/forum/c/communication/new$"))
    expect(ana.get_by_label("Title", exact=True)).to_have_value(TITLE)
    expect(ana.get_by_label("Your post", exact=True)).to_have_value(OPENING)
    ana.get_by_role("button", name="Post thread").click()
    expect(ana).to_have_url(re.compile(r"/forum/t/\d+/$"))
    expect(ana.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(post_by(ana, ANA)).to_contain_text("What has worked for you")
    thread_url = ana.url

    # Ben finds it, marked New, and replies mentioning Ana by her handle.
    open_category(ben)
    row = ben.get_by_role("listitem").filter(has=ben.get_by_role("link", name=TITLE))
    expect(row).to_contain_text("New")
    expect(row).to_contain_text(f"0 replies · last post by {ANA.name}")
    row.get_by_role("link", name=TITLE).click()
    expect(ben).to_have_url(thread_url)
    expect(ben.get_by_role("heading", level=1)).to_have_text(TITLE)
    reply_box = ben.get_by_role("region", name="Reply")
    reply_box.get_by_label("Your post", exact=True).fill(MENTION)
    reply_box.get_by_role("button", name="Post reply").click()
    expect(ben).to_have_url(re.compile(r"#post-2$"))
    ben_reply = post_by(ben, BEN)
    expect(ben_reply).to_contain_text("I ask first what they noticed themselves")
    expect(ben_reply.locator(".mention")).to_have_text(f"@{ANA.handle}")
    expect(ben.get_by_text("1 reply", exact=True)).to_be_visible()

    # Ana sees one unread notification in the header and follows it to Ben's reply.
    ana.reload()
    expect(notifications_link(ana)).to_have_accessible_name("Notifications 1 unread")
    notifications_link(ana).click()
    expect(ana).to_have_url(re.compile(r"/forum/notifications/$"))
    expect(ana.get_by_role("heading", level=1)).to_have_text("Notifications")
    notice = ana.get_by_role("link", name=f"{BEN.name} mentioned you in “{TITLE}”")
    expect(notice).to_be_visible()
    expect(ana.get_by_role("listitem").filter(has=notice)).to_contain_text("Unread")
    notice.click()
    expect(ana).to_have_url(re.compile(r"/forum/t/\d+/\?page=1#post-2$"))
    expect(notifications_link(ana)).to_have_accessible_name("Notifications")
    reply = post_by(ana, BEN)
    expect(reply).to_contain_text("I ask first what they noticed themselves")

    # She marks it helpful.
    helpful = reply.get_by_role("button", name="Helpful", exact=True)
    expect(helpful).to_have_attribute("aria-pressed", "false")
    helpful.click()
    expect(ana.get_by_role("status")).to_have_text("Marked as helpful.")
    expect(ana).to_have_url(re.compile(r"#post-2$"))
    reply = post_by(ana, BEN)
    expect(reply).to_contain_text("1 found this helpful")
    expect(reply.get_by_role("button", name="Helpful", exact=True)).to_have_attribute(
        "aria-pressed", "true"
    )
    expect(notifications_link(ana)).to_have_accessible_name("Notifications")
    expect(main_nav(ana).locator(".count-badge")).to_have_count(0)

    # Her reply names a patient: held back with a warning, the text kept.
    reply_box = ana.get_by_role("region", name="Reply")
    reply_box.get_by_label("Your post", exact=True).fill(IDENTIFYING)
    with ana.expect_response(
        lambda response: response.request.method == "POST" and "/reply" in response.url
    ) as held:
        reply_box.get_by_role("button", name="Post reply").click()
    assert held.value.status == 422
    expect(ana).to_have_url(re.compile(r"/forum/t/\d+/reply$"))
    warning = ana.get_by_role("alert")
    expect(warning.get_by_role("heading", level=2)).to_have_text("This may identify a patient")
    expect(warning).to_contain_text("a patient's name")
    expect(warning).to_contain_text("a medical record, chart or account number")
    body = ana.get_by_label("Your post", exact=True)
    expect(body).to_have_value(IDENTIFYING)
    confirm = ana.get_by_label("I have checked: nothing in this post identifies a patient")
    expect(confirm).not_to_be_checked()
    expect(confirm).to_have_accessible_description(re.compile(r"^This text may identify a patient"))

    # Edited, it posts.
    body.fill(CLEANED)
    ana.get_by_role("button", name="Post reply").click()
    expect(ana).to_have_url(re.compile(r"#post-3$"))
    expect(ana.get_by_role("alert")).to_have_count(0)
    expect(ana.get_by_role("article")).to_have_count(3)
    expect(ana.get_by_role("article").last).to_have_accessible_name(f"{ANA.name} @{ANA.handle}")
    expect(ana.get_by_role("article").last).to_contain_text(CLEANED)
    expect(ana.locator("main")).not_to_contain_text("John Smith")

    # Ben, watching the thread he replied in, hears of Ana's reply.
    ben.reload()
    expect(notifications_link(ben)).to_have_accessible_name("Notifications 1 unread")


@VIEWPORTS
def test_the_forum_pages_have_no_axe_violations(discussion, new_page, viewport):
    page = new_page(viewport)
    sign_in_as(page, ANA.email)
    failures = []

    page.goto("/forum/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Peer forum")
    failures.append(axe_report(page, "forum"))

    page.goto("/forum/c/communication/")
    expect(page.get_by_role("link", name=TITLE)).to_be_visible()
    failures.append(axe_report(page, "category"))

    page.goto(f"/forum/t/{discussion}/")
    expect(page.get_by_role("article")).to_have_count(2)
    expect(page.get_by_role("region", name="Reply")).to_be_visible()
    if viewport == PHONE:
        assert_no_horizontal_scrolling(page)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"the thread is {width} px wide at 375 px"
    failures.append(axe_report(page, "thread"))

    page.goto("/forum/c/communication/new")
    page.get_by_role("button", name="Post thread").click()
    expect(page.get_by_label("Title", exact=True)).to_have_accessible_description(
        "Give the thread a title."
    )
    expect(page.get_by_label("Your post", exact=True)).to_have_accessible_description(
        "Write something before posting."
    )
    failures.append(axe_report(page, "new thread, empty"))

    page.get_by_label("Title", exact=True).fill("A hard conversation on the ward")
    page.get_by_label("Your post", exact=True).fill(IDENTIFYING)
    page.get_by_role("button", name="Post thread").click()
    expect(page.get_by_role("alert")).to_contain_text("This may identify a patient")
    expect(page.get_by_text(re.compile(r"^This text may identify a patient"))).to_be_visible()
    failures.append(axe_report(page, "new thread, identifier warning"))

    page.goto("/forum/notifications/")
    expect(page.get_by_role("link", name=f"{BEN.name} mentioned you in “{TITLE}”")).to_be_visible()
    failures.append(axe_report(page, "notifications"))

    page.goto("/forum/search?q=feedback")
    expect(page.get_by_role("status")).to_have_text("2 posts match “feedback”.")
    failures.append(axe_report(page, "search"))

    failures = [failure for failure in failures if failure]
    assert not failures, "\n".join(failures)
