"""Matching in a real browser: a coordinator imports mentees from CSV (a file with a bad row
is refused whole, the corrected one imports), matches one with the top suggestion (both
people are e-mailed), and is refused, with the reason, when forcing an uncertified mentor.
A mentor fills in their profile. The matching and profile pages are axe-clean, and the
coordinator's pages fit a phone.

The people are arranged in the live server's database before the browser starts: two
certified mentors (certified through the same services a mentor's clicks use, against the
repository's real courses) and one uncertified, each with a profile."""

import email
import re
from dataclasses import dataclass
from email import policy
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from app.auth import service as auth
from app.auth.models import Role, User
from app.clock import utcnow
from app.extensions import db
from app.matching import service as matching
from app.matching.models import CareerStage, Match, Mentee
from tests.browser.conftest import MENTOR_EMAIL, LiveServer
from tests.browser.test_coordinator_journey import (
    PHONE,
    assert_no_horizontal_scrolling,
    axe_report,
    certify,
    mentor,
    sign_in_as,
)
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

COORDINATOR = ("coordinator@hospital.example", "Maria Santos")
# (e-mail, name, specialty, career stage, interests, open to other specialties)
BEST_FIT = (
    "priya.shah@hospital.example",
    "Dr. Priya Shah",
    "Pediatrics",
    CareerStage.MID_CAREER,
    ["research", "teaching", "leadership"],
    False,
)
OTHER_FIT = (
    "omar.haddad@hospital.example",
    "Dr. Omar Haddad",
    "Cardiology",
    CareerStage.SENIOR,
    ["wellbeing"],
    True,
)
UNCERTIFIED = (
    "lena.fischer@hospital.example",
    "Dr. Lena Fischer",
    "Pediatrics",
    CareerStage.SENIOR,
    ["research", "teaching"],
    True,
)
FIXTURE_MENTOR = "Dr. Alex Morgan"  # the live server's own mentor: no profile, not certified

HEADER = "name,email,specialty,career_stage,interests"
MENTEE = ("Sam Rivera", "sam.rivera@hospital.example")
GOOD_ROWS = [
    "Sam Rivera,sam.rivera@hospital.example,Pediatrics,resident,research; teaching",
    "Kim Lee,kim.lee@hospital.example,General surgery,Student,wellbeing",
]
BAD_ROW = "Noor Aziz,noor.aziz@hospital.example,Cardiology,intern,"
STAGES = "Student, Resident, Fellow, Early-career attending, Mid-career, Senior"


@dataclass(frozen=True)
class People:
    best_fit_id: int
    other_fit_id: int
    uncertified_id: int


# Fixtures


@pytest.fixture
def people(database: Flask) -> People:
    """A coordinator; two certified mentors and one uncertified, all with profiles."""
    now = utcnow()
    with database.app_context():
        auth.create_user(COORDINATOR[0], COORDINATOR[1], PASSWORD, {Role.COORDINATOR})
        ids = []
        for address, name, specialty, stage, interests, open_to_others in (
            BEST_FIT,
            OTHER_FIT,
            UNCERTIFIED,
        ):
            user = mentor(address, name, specialty)
            matching.save_profile(
                user,
                career_stage=stage,
                interests=interests,
                capacity=2,
                open_to_other_specialties=open_to_others,
                specialty=specialty,
                now=now,
            )
            if user.email != UNCERTIFIED[0]:
                certify(user, now=now)
            ids.append(user.id)
        db.session.commit()
        db.session.remove()
    return People(*ids)


@pytest.fixture
def csv_file(tmp_path: Path):
    """csv_file(name, rows): a CSV file with the header and these rows, to upload."""
    folder = tmp_path / "uploads"
    folder.mkdir()

    def write(name: str, rows: list[str]) -> Path:
        path = folder / name
        path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
        return path

    return write


# Helpers


def upload(page: Page, path: Path) -> None:
    form = page.locator("form").filter(has=page.get_by_label("CSV file"))
    form.get_by_label("CSV file").set_input_files(path)
    form.get_by_role("button", name="Import", exact=True).click()


def mentees_in(database: Flask) -> list[str]:
    with database.app_context():
        names = list(db.session.scalars(select(Mentee.name).order_by(Mentee.name)))
        db.session.remove()
    return names


def matches_of(database: Flask, mentor_id: int) -> int:
    with database.app_context():
        count = db.session.scalar(select(func.count(Match.id)).where(Match.mentor_id == mentor_id))
        db.session.remove()
    return count


def mentee_id(database: Flask, address: str) -> int:
    with database.app_context():
        found = db.session.scalar(select(Mentee.id).where(Mentee.email == address))
        db.session.remove()
    assert found is not None, address
    return found


def suggestion(page: Page, name: str):
    """One mentor's card in the ranked list (not their card among the active matches)."""
    ranked = page.get_by_role("heading", level=2, name="Suggested mentors").locator(
        "xpath=following-sibling::ol[1]"
    )
    return ranked.locator("xpath=./li").filter(has=page.get_by_role("heading", level=3, name=name))


def apart_row(page: Page, name: str):
    return page.get_by_role("row").filter(has=page.get_by_role("cell", name=name, exact=True))


def outbox(
    live_server: LiveServer, count: int, seconds: float = 10
) -> list[email.message.EmailMessage]:
    """The messages the live app wrote since the test began (its outbox starts empty),
    once there are `count` of them (or when `seconds` have passed)."""
    return [
        email.message_from_bytes(path.read_bytes(), policy=policy.default)
        for path in live_server.mail(count, seconds=seconds)
    ]


# Tests


def test_a_coordinator_imports_mentees_matches_the_best_fit_and_is_refused_the_uncertified(
    people, database, csv_file, new_page, live_server
):
    page = new_page()
    sign_in_as(page, COORDINATOR[0])
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Matching").click()
    expect(page).to_have_url(re.compile(r"/matching/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Matching")
    expect(page.get_by_text("No mentees yet.")).to_be_visible()

    # A file with one bad row: the problems by line, and nothing imported.
    upload(page, csv_file("mentees-bad.csv", [*GOOD_ROWS, BAD_ROW]))
    problems = page.get_by_role("alert")
    expect(problems).to_contain_text("1 problem found:")
    expect(problems.get_by_role("listitem")).to_have_text(
        [f"line 4: career stage 'intern' is not one of {STAGES}"]
    )
    file_input = page.get_by_label("CSV file")
    expect(file_input).to_have_attribute("aria-invalid", "true")
    expect(file_input).to_have_accessible_description(
        "Nothing was imported: correct these lines and upload again."
    )
    expect(page.get_by_text("No mentees yet.")).to_be_visible()
    assert mentees_in(database) == []

    # The corrected file imports every row.
    upload(page, csv_file("mentees.csv", GOOD_ROWS))
    expect(page).to_have_url(re.compile(r"/matching/$"))
    expect(page.get_by_role("status")).to_have_text("Imported 2 mentees.")
    expect(page.get_by_role("alert")).to_have_count(0)
    table = page.get_by_role("table")
    expect(table.get_by_role("link")).to_have_text(["Kim Lee", MENTEE[0]])
    expect(table.get_by_role("row").filter(has_text=MENTEE[0])).to_contain_text("none yet")
    assert mentees_in(database) == ["Kim Lee", MENTEE[0]]

    # One mentee: the best fit first, with its reasons; the others apart, with theirs.
    table.get_by_role("link", name=MENTEE[0]).click()
    sam = mentee_id(database, MENTEE[1])
    expect(page).to_have_url(re.compile(rf"/matching/mentees/{sam}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(MENTEE[0])
    expect(page.get_by_text("Not matched yet.")).to_be_visible()
    expect(page.get_by_role("heading", level=3)).to_have_text([BEST_FIT[1], OTHER_FIT[1]])
    expect(suggestion(page, BEST_FIT[1]).get_by_role("listitem")).to_have_text(
        [
            "same specialty (Pediatrics)",
            "career stage ahead (Mid-career for a resident)",
            "shared interests: research, teaching",
            "capacity left: 2 of 2",
        ]
    )
    expect(suggestion(page, OTHER_FIT[1]).get_by_role("listitem")).to_contain_text(
        ["open to mentees from other specialties (Cardiology)", "career stage ahead"]
    )
    expect(
        page.get_by_role("heading", level=2, name="Mentors who cannot be matched now")
    ).to_be_visible()
    expect(apart_row(page, UNCERTIFIED[1]).get_by_role("cell").last).to_have_text("not certified")
    expect(apart_row(page, FIXTURE_MENTOR).get_by_role("cell").last).to_have_text(
        "not certified; no mentor profile"
    )
    expect(page.get_by_role("button", name=f"Match with {UNCERTIFIED[1]}")).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile(r"^Match with "))).to_have_text(
        [f"Match with {BEST_FIT[1]}", f"Match with {OTHER_FIT[1]}"]
    )

    # Match with the top suggestion: confirmed, active, and both people e-mailed.
    page.get_by_role("button", name=f"Match with {BEST_FIT[1]}").click()
    expect(page).to_have_url(re.compile(rf"/matching/mentees/{sam}/$"))
    expect(page.get_by_role("status")).to_have_text(
        f"{MENTEE[0]} is matched with {BEST_FIT[1]}. We e-mailed them both."
    )
    active = page.get_by_role("heading", level=2, name="Active matches").locator(
        "xpath=following-sibling::*[1]"
    )
    expect(active.get_by_role("heading", level=3)).to_have_text([BEST_FIT[1]])
    expect(active).to_contain_text(f"{BEST_FIT[0]} · matched ")
    expect(page.get_by_text("Not matched yet.")).to_have_count(0)
    expect(suggestion(page, BEST_FIT[1]).get_by_role("listitem").last).to_have_text(
        "capacity left: 1 of 2"
    )
    assert matches_of(database, people.best_fit_id) == 1
    mail = {message["To"]: message for message in outbox(live_server, 2)}
    assert sorted(mail) == sorted([BEST_FIT[0], MENTEE[1]]), mail
    assert mail[BEST_FIT[0]]["Subject"] == f"You are matched with {MENTEE[0]}"
    assert mail[MENTEE[1]]["Subject"] == f"Meet your mentor, {BEST_FIT[1]}"

    # The uncertified mentor has no button: post the match form with their id anyway.
    form = page.locator("form").filter(
        has=page.get_by_role("button", name=f"Match with {OTHER_FIT[1]}")
    )
    form.locator("input[name=mentor_id]").evaluate(
        "(input, id) => { input.value = String(id); }", people.uncertified_id
    )
    with page.expect_response(
        lambda response: response.request.method == "POST" and response.url.endswith("/match")
    ) as refused:
        form.get_by_role("button").click()
    assert refused.value.status == 409
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("This mentor cannot be matched: not certified.")
    expect(alert).to_contain_text("Nothing was saved.")
    expect(active.get_by_role("heading", level=3)).to_have_text([BEST_FIT[1]])
    assert matches_of(database, people.uncertified_id) == 0
    assert matches_of(database, people.other_fit_id) == 0
    assert len(outbox(live_server, 3, seconds=0.5)) == 2, "no mail for a refused match"


def test_a_mentor_fills_in_their_profile_and_sees_an_error_beside_capacity(
    database, new_page, sign_in
):
    page = new_page()
    sign_in(page)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My profile").click()
    expect(page).to_have_url(re.compile(r"/me/profile$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("My mentor profile")
    expect(
        page.get_by_text("You cannot be matched yet: not certified; no mentor profile.")
    ).to_be_visible()

    page.get_by_label("Specialty").fill("Internal medicine")
    page.get_by_label("Career stage").select_option(label="Early-career attending")
    interests = page.get_by_role("group", name="What you like to help with")
    interests.get_by_label("Research", exact=True).check()
    interests.get_by_label("Teaching", exact=True).check()
    page.get_by_label("Capacity").fill("3")
    page.get_by_label("Welcome mentees from other specialties").uncheck()
    page.get_by_role("button", name="Save my profile").click()

    expect(page).to_have_url(re.compile(r"/me/profile$"))
    expect(page.get_by_text("Your mentor profile is saved.")).to_be_visible()
    expect(page.get_by_text("You cannot be matched yet: not certified.")).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Last saved "))).to_be_visible()
    page.reload()
    expect(page.get_by_label("Specialty")).to_have_value("Internal medicine")
    expect(page.get_by_label("Career stage")).to_have_value(CareerStage.EARLY_CAREER.value)
    expect(interests.get_by_label("Research", exact=True)).to_be_checked()
    expect(interests.get_by_label("Teaching", exact=True)).to_be_checked()
    expect(interests.get_by_label("Leadership", exact=True)).not_to_be_checked()
    expect(page.get_by_label("Capacity")).to_have_value("3")
    expect(page.get_by_label("Welcome mentees from other specialties")).not_to_be_checked()

    # Too many mentees: the error sits beside the field, and nothing changes.
    capacity = page.get_by_label("Capacity")
    capacity.fill("50")
    with page.expect_response(lambda response: response.request.method == "POST") as saved:
        page.get_by_role("button", name="Save my profile").click()
    assert saved.value.status == 422
    capacity = page.get_by_label("Capacity")
    expect(capacity).to_have_attribute("aria-invalid", "true")
    expect(capacity).to_have_accessible_description("Choose a number from 0 to 10.")
    expect(
        page.locator(".field.invalid").filter(has=capacity).locator(".field-error")
    ).to_have_text("Choose a number from 0 to 10.")
    expect(page.get_by_text("Your mentor profile is saved.")).to_have_count(0)
    with database.app_context():
        user = db.session.scalar(select(User).where(User.email == MENTOR_EMAIL))
        profile = matching.profile_of(user)
        assert (profile.capacity, profile.career_stage, profile.interests) == (
            3,
            CareerStage.EARLY_CAREER,
            ["research", "teaching"],
        )
        assert profile.open_to_other_specialties is False
        assert user.specialty == "Internal medicine"
        db.session.remove()


def test_the_matching_and_profile_pages_have_no_axe_violations(
    people, database, csv_file, new_page
):
    failures = []
    coordinator = new_page()
    sign_in_as(coordinator, COORDINATOR[0])

    coordinator.goto("/matching/")
    expect(coordinator.get_by_role("heading", level=1)).to_have_text("Matching")
    failures.append(axe_report(coordinator, "matching, no mentees"))

    upload(coordinator, csv_file("mentees-bad.csv", [*GOOD_ROWS, BAD_ROW]))
    expect(coordinator.get_by_role("alert")).to_contain_text("1 problem found:")
    failures.append(axe_report(coordinator, "matching, with CSV problems"))

    upload(coordinator, csv_file("mentees.csv", GOOD_ROWS))
    expect(coordinator.get_by_role("status")).to_have_text("Imported 2 mentees.")
    failures.append(axe_report(coordinator, "matching, with mentees"))

    coordinator.get_by_role("link", name=MENTEE[0]).click()
    expect(coordinator.get_by_role("heading", level=3)).to_have_count(2)
    expect(coordinator.get_by_role("table")).to_be_visible()
    failures.append(axe_report(coordinator, "mentee, ranked and ineligible"))
    coordinator.get_by_role("button", name=f"Match with {BEST_FIT[1]}").click()
    expect(coordinator.get_by_role("status")).to_contain_text("is matched with")
    failures.append(axe_report(coordinator, "mentee, with an active match"))

    coordinator.goto("/matching/")
    expect(coordinator.get_by_role("table")).to_contain_text(BEST_FIT[1])
    failures.append(axe_report(coordinator, "matching, with a match"))

    coordinator.goto("/matching/peers")
    expect(coordinator.get_by_role("heading", level=1)).to_have_text("Peer matches")
    failures.append(axe_report(coordinator, "peers"))
    coordinator.get_by_label("First mentor").select_option(label=f"{BEST_FIT[1]} (Mid-career)")
    coordinator.get_by_label("Second mentor").select_option(label=f"{UNCERTIFIED[1]} (Senior)")
    coordinator.get_by_role("button", name="Create the peer match").click()
    expect(coordinator.get_by_role("alert")).to_contain_text(f"{UNCERTIFIED[1]}: not certified")
    failures.append(axe_report(coordinator, "peers, refused"))

    mentor_page = new_page()
    sign_in_as(mentor_page, BEST_FIT[0])
    mentor_page.goto("/me/profile")
    expect(mentor_page.get_by_text("You can be matched with mentees.")).to_be_visible()
    failures.append(axe_report(mentor_page, "profile"))
    mentor_page.get_by_label("Capacity").fill("50")
    mentor_page.get_by_role("button", name="Save my profile").click()
    expect(mentor_page.get_by_text("Choose a number from 0 to 10.")).to_be_visible()
    failures.append(axe_report(mentor_page, "profile, capacity 50"))

    failures = [failure for failure in failures if failure]
    assert not failures, "\n".join(failures)


def test_the_matching_pages_on_a_phone_are_axe_clean_and_fit(people, database, csv_file, new_page):
    page = new_page(PHONE)
    sign_in_as(page, COORDINATOR[0])
    failures = []

    page.goto("/matching/")
    upload(page, csv_file("mentees-bad.csv", [*GOOD_ROWS, BAD_ROW]))
    expect(page.get_by_role("alert")).to_contain_text("1 problem found:")
    assert_no_horizontal_scrolling(page)
    failures.append(axe_report(page, "matching, with CSV problems, at 375 px"))

    upload(page, csv_file("mentees.csv", GOOD_ROWS))
    expect(page.get_by_role("status")).to_have_text("Imported 2 mentees.")
    assert_no_horizontal_scrolling(page)
    failures.append(axe_report(page, "matching at 375 px"))

    page.goto(f"/matching/mentees/{mentee_id(database, MENTEE[1])}/")
    expect(page.get_by_role("heading", level=3)).to_have_count(2)
    assert_no_horizontal_scrolling(page)
    failures.append(axe_report(page, "mentee at 375 px"))

    failures = [failure for failure in failures if failure]
    assert not failures, "\n".join(failures)
