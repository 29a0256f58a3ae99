"""A coordinator follows the program in a real browser: the dashboard's funnel and filters,
the CSV export of exactly the filtered rows, a mentor's page, and revoking a certificate,
which the public check then reports. The coordinator's, certificate and check pages are
axe-clean (the dashboard on a phone too), and a mentor is refused the dashboard.

The mentors' progress is arranged in the database before the browser starts, through the
same services a mentor's clicks use, against the repository's real courses; the live
server measures standing toward their program certification, physician-mentor."""

import csv
import io
import re
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Page, expect
from sqlalchemy import select

from app.auth import service as auth
from app.auth.models import Role, User
from app.certification import service as certification
from app.clock import utcnow
from app.courses import service as courses
from app.extensions import db
from app.practice import service as practice
from app.quizzes import service as quizzes
from tests.browser.conftest import PROGRAM_CERTIFICATION
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 812}
PROGRAM_TITLE = "Certified Physician Mentor"
COURSE_TITLES = [
    "Communicating with mentees",
    "Setting and reviewing goals",
    "Navigating common challenges",
]
COORDINATOR = ("coordinator@hospital.example", "Maria Santos")
CERTIFIED = ("priya.shah@hospital.example", "Dr. Priya Shah", "Surgery")
IN_PROGRESS = ("jonas.shahid@hospital.example", "Dr. Jonas Shahid", "Pediatrics")
NOT_STARTED = ("lena.fischer@hospital.example", "Dr. Lena Fischer", "Cardiology")
FIXTURE_MENTOR = "Dr. Alex Morgan"  # the live server's own mentor: no specialty, not started
ALL_NAMES = sorted([FIXTURE_MENTOR, CERTIFIED[1], IN_PROGRESS[1], NOT_STARTED[1]])
READ_IN_PROGRESS = 2  # lessons of the communication course the in-progress mentor has read


@dataclass(frozen=True)
class Program:
    certified_id: int
    code: str
    issued_on: str  # the certificate's issue date, as the CSV writes it
    in_progress_percent: int  # of the communication course, for the in-progress mentor
    lessons: list[str]  # titles of the lessons the certified mentor has read
    quizzes: list[str]  # titles of the quizzes the certified mentor has passed


# Fixtures


@pytest.fixture
def program(database: Flask) -> Program:
    """A coordinator and three mentors: certified, part-way through, not started."""
    now = utcnow()
    with database.app_context():
        auth.create_user(COORDINATOR[0], COORDINATOR[1], PASSWORD, {Role.COORDINATOR})
        certified, in_progress, _ = (
            mentor(email, name, specialty)
            for email, name, specialty in (CERTIFIED, IN_PROGRESS, NOT_STARTED)
        )
        lessons, passed = certify(certified, now=now - timedelta(days=30))
        read(in_progress, "communication", count=READ_IN_PROGRESS, now=now - timedelta(days=2))
        db.session.commit()
        [certificate] = certification.certificates_of(certified)
        total = len(
            courses.course_progress(in_progress, courses.get_course("communication")).lessons
        )
        arranged = Program(
            certified_id=certified.id,
            code=certificate.code,
            issued_on=f"{certificate.issued_at:%Y-%m-%d}",
            in_progress_percent=round(100 * READ_IN_PROGRESS / total),
            lessons=lessons,
            quizzes=passed,
        )
        db.session.remove()
    return arranged


# Arranging progress, as the services record a mentor's clicks (see app/demo.py)


def mentor(email: str, name: str, specialty: str) -> User:
    user = auth.create_user(email, name, PASSWORD, {Role.MENTOR})
    user.specialty = specialty
    return user


def read(user: User, course_slug: str, *, now, count: int | None = None) -> list[str]:
    progress = courses.course_progress(user, courses.get_course(course_slug))
    chosen = progress.lessons if count is None else progress.lessons[:count]
    for offset, lesson in enumerate(chosen):
        courses.mark_complete(user, lesson, now=now + timedelta(minutes=15 * offset))
    return [lesson.title for lesson in chosen]


def pass_quiz(user: User, course_slug: str, *, now) -> str:
    quiz = courses.course_progress(user, courses.get_course(course_slug)).quiz
    assert quiz is not None, f"{course_slug} has a quiz"
    attempt = quizzes.start_attempt(user, quiz, now=now)
    answers = {
        q["key"]: q["accepted"][0] if q["kind"] == "text" else q["correct"]
        for q in attempt.snapshot
    }
    assert quizzes.submit(attempt, answers, now=now + timedelta(minutes=12)).passed
    return quiz.title


OBSERVER = ("observer@hospital.example", "Dr. Olu Observer")


def sign_off(user: User, *, now) -> None:
    """An educator observed the user's mentoring: every criterion of every practice item
    rated meets."""
    observer = db.session.scalar(select(User).where(User.email == OBSERVER[0]))
    observer = observer or auth.create_user(*OBSERVER, PASSWORD, {Role.EDUCATOR})
    for item in practice.current_items():
        practice.record_observation(
            user,
            item,
            observer=observer,
            ratings={c["id"]: "meets" for c in item.criteria},
            observed_on=now.date(),
            comment="A well-held conversation.",
            now=now,
        )


def certify(user: User, *, now) -> tuple[list[str], list[str]]:
    """Every lesson read and every quiz passed of the program's courses, the practice
    observed, then awarded."""
    program = certification.get_certification(PROGRAM_CERTIFICATION)
    assert program is not None, "the repository's content defines physician-mentor"
    lessons, passed = [], []
    for slug in program.course_slugs:
        lessons += read(user, slug, now=now)
        passed.append(pass_quiz(user, slug, now=now + timedelta(hours=2)))
    sign_off(user, now=now + timedelta(hours=2, minutes=30))
    awarded = certification.award_if_earned(user, now=now + timedelta(hours=3))
    assert [c.certification.slug for c in awarded] == [PROGRAM_CERTIFICATION]
    return lessons, passed


# Helpers


def sign_in_as(page: Page, email: str) -> None:
    page.goto("/auth/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1, name="Courses")).to_be_visible()


def mentor_rows(page: Page):
    return page.get_by_role("region", name="Mentors table").locator("tbody tr")


def expect_mentors(page: Page, names: list[str]) -> None:
    count = len(names)
    expect(page.get_by_role("status")).to_have_text(f"{count} mentor{'s' if count != 1 else ''}.")
    expect(mentor_rows(page).get_by_role("link")).to_have_text(names)


def apply_filters(page: Page, *, status: str = "Any", specialty: str = "Any", q: str = "") -> None:
    form = page.get_by_role("search", name="Filter mentors")
    form.get_by_label("Name or e-mail").fill(q)
    form.get_by_label("Status").select_option(label=status)
    form.get_by_label("Specialty").select_option(label=specialty)
    form.get_by_role("button", name="Apply").click()


def axe_report(page: Page, name: str) -> str | None:
    results = Axe().run(page)
    if results.violations_count:
        return f"--- {name} ({page.url}) ---\n{results.generate_report()}"
    return None


def assert_no_horizontal_scrolling(page: Page) -> None:
    widths = page.evaluate(
        "({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})"
    )
    assert widths["scroll"] <= widths["inner"], f"{page.url} scrolls sideways: {widths}"


def revoke(page: Page, code: str, reason: str) -> None:
    page.goto(f"/certificates/{code}/")
    staff = page.get_by_role("region", name="Revoke this certificate")
    staff.get_by_label("Reason").fill(reason)
    staff.get_by_role("button", name="Revoke").click()
    expect(page.get_by_text(f"Certificate {code} is revoked.")).to_be_visible()


# Tests


def test_a_coordinator_filters_exports_and_revokes_a_certificate(program, new_page):
    page = new_page()
    sign_in_as(page, COORDINATOR[0])

    # The dashboard, from the header: the funnel and every mentor.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Mentors").click()
    expect(page).to_have_url(re.compile(r"/coordinator/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Mentors")
    expect(page.get_by_text(f"Standing toward {PROGRAM_TITLE}.")).to_be_visible()
    funnel = page.get_by_role("figure", name="The program at a glance (4 mentors)")
    expect(funnel).to_be_visible()
    expect(
        funnel.get_by_role(
            "img",
            name="not started: 2; in progress: 1; awaiting observation: 0; certified: 1; "
            "expiring: 0; expired: 0; revoked: 0",
        )
    ).to_be_visible()
    expect_mentors(page, ALL_NAMES)
    row = mentor_rows(page).filter(has=page.get_by_role("link", name=CERTIFIED[1]))
    expect(row).to_contain_text(f"{CERTIFIED[0]} · {CERTIFIED[2]}")
    expect(row.locator(".badge")).to_have_text("Certified")
    expect(row.get_by_role("progressbar")).to_have_count(3)
    expect(row.locator("td").nth(3)).to_have_text("100%")

    # Filters: status, then specialty, then a search by name.
    apply_filters(page, status="Certified")
    expect(page).to_have_url(re.compile(r"[?&]status=certified(&|$)"))
    expect_mentors(page, [CERTIFIED[1]])
    expect(page.get_by_label("Status")).to_have_value("certified")

    apply_filters(page, specialty=IN_PROGRESS[2])
    expect_mentors(page, [IN_PROGRESS[1]])
    row = mentor_rows(page).first
    expect(row.locator(".badge")).to_have_text("In progress")
    expect(
        row.get_by_role("progressbar", name=f"{IN_PROGRESS[1]}: {COURSE_TITLES[0]}")
    ).to_have_attribute("value", str(program.in_progress_percent))

    apply_filters(page, q="shah")
    expect(page).to_have_url(re.compile(r"[?&]q=shah(&|$)"))
    expect_mentors(page, [IN_PROGRESS[1], CERTIFIED[1]])
    expect(page.get_by_label("Name or e-mail")).to_have_value("shah")

    # The CSV holds exactly the filtered rows.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV").click()
    download = download_info.value
    assert download.suggested_filename == f"mentors-{utcnow():%Y-%m-%d}.csv"
    data = Path(download.path()).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf"), "a BOM, so spreadsheets read UTF-8"
    table = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    header, *rows = table
    assert header == [
        "Name",
        "E-mail",
        "Specialty",
        "Status",
        *[f"{title} (% lessons)" for title in COURSE_TITLES],
        "Best quiz %",
        "Observed practice",
        "Certified",
        "Expires",
        "Certificate",
        "Last activity",
    ]
    by_name = {line[0]: dict(zip(header, line, strict=True)) for line in rows}
    assert list(by_name) == [IN_PROGRESS[1], CERTIFIED[1]], rows
    shah = by_name[CERTIFIED[1]]
    assert (shah["E-mail"], shah["Specialty"], shah["Status"]) == (
        CERTIFIED[0],
        CERTIFIED[2],
        "certified",
    )
    assert [shah[f"{t} (% lessons)"] for t in COURSE_TITLES] == ["100", "100", "100"]
    assert shah["Best quiz %"] == "100"
    assert (shah["Observed practice"], by_name[IN_PROGRESS[1]]["Observed practice"]) == (
        "done",
        "not yet",
    )
    assert shah["Certificate"] == program.code
    assert shah["Certified"] == program.issued_on
    shahid = by_name[IN_PROGRESS[1]]
    assert (shahid["Specialty"], shahid["Status"], shahid["Certificate"]) == (
        IN_PROGRESS[2],
        "in_progress",
        "",
    )
    assert shahid[f"{COURSE_TITLES[0]} (% lessons)"] == str(program.in_progress_percent)

    # The certified mentor's page: certificate, attempts, lessons.
    page.get_by_role("link", name=CERTIFIED[1]).click()
    expect(page).to_have_url(re.compile(rf"/coordinator/mentors/{program.certified_id}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(CERTIFIED[1])
    expect(page.locator(".facts .badge")).to_have_text("Certified")
    certificates = page.get_by_role("region", name="Certificates", exact=True)
    expect(certificates.locator("tbody tr")).to_have_count(1)
    expect(certificates.locator("tbody tr td").last).to_have_text("valid")
    attempts = page.get_by_role("region", name="Quiz attempts", exact=True)
    expect(attempts.locator("tbody tr")).to_have_count(len(program.quizzes))
    for title in program.quizzes:
        expect(attempts.locator("tbody tr").filter(has_text=title)).to_contain_text("passed")
    completed = page.get_by_role("heading", level=2, name="Lessons completed")
    lessons = completed.locator("xpath=following-sibling::ul[1]").get_by_role("listitem")
    expect(lessons).to_have_count(len(program.lessons))
    for title in program.lessons:
        expect(lessons.filter(has_text=title)).to_have_count(1)

    # Revoke the certificate from its own page.
    page.get_by_role("link", name=program.code).click()
    expect(page).to_have_url(re.compile(rf"/certificates/{program.code}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(PROGRAM_TITLE)
    expect(page.locator(".certificate-facts .badge")).to_have_text("Valid")
    page.get_by_label("Reason").fill("Licence suspended by the medical board.")
    page.get_by_role("button", name="Revoke").click()
    expect(page.get_by_role("status")).to_have_text(f"Certificate {program.code} is revoked.")
    expect(page.locator(".certificate-facts .badge")).to_have_text("Revoked")
    expect(page.get_by_text("(Licence suspended by the medical board.)")).to_be_visible()
    expect(page.get_by_role("heading", level=2)).to_have_text("Reinstate this certificate")
    expect(page.get_by_role("button", name="Revoke")).to_have_count(0)

    # The dashboard and the mentor's audit log show it.
    page.goto(f"/coordinator/mentors/{program.certified_id}/")
    expect(page.locator(".facts .badge")).to_have_text("Revoked")
    audit = page.get_by_role("region", name="Audit log", exact=True)
    expect(audit.locator("tbody tr").filter(has_text="certificate revoked")).to_contain_text(
        "Licence suspended by the medical board."
    )
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Mentors").click()
    expect(page.get_by_role("figure").get_by_role("img")).to_have_accessible_name(
        re.compile(r"certified: 0; .*revoked: 1$")
    )

    # Anyone, signed out, checks the code and learns it is revoked.
    public = new_page()
    public.goto(f"/verify/{program.code}")
    expect(public.get_by_role("heading", level=1)).to_have_text("Certificate check")
    expect(public.get_by_role("status")).to_have_text("This certificate has been revoked.")
    expect(public.get_by_text(CERTIFIED[1])).to_be_visible()


def test_the_coordinator_and_certificate_pages_have_no_axe_violations(program, new_page):
    failures = []
    code = program.code

    coordinator = new_page()
    sign_in_as(coordinator, COORDINATOR[0])
    for name, url in {
        "dashboard": "/coordinator/",
        "dashboard, filtered by status": "/coordinator/?status=certified",
        "dashboard, filtered to nobody": "/coordinator/?status=expired&specialty=Surgery",
        "dashboard, searched and sorted": "/coordinator/?q=shah&sort=progress&dir=desc",
        "certified mentor's page": f"/coordinator/mentors/{program.certified_id}/",
        "certificate page, as the coordinator": f"/certificates/{code}/",
    }.items():
        coordinator.goto(url)
        expect(coordinator.get_by_role("heading", level=1)).to_be_visible()
        failures.append(axe_report(coordinator, name))

    # The other mentors' pages: in progress, and not started (with "None yet." sections).
    coordinator.goto("/coordinator/")
    for who in (IN_PROGRESS[1], NOT_STARTED[1]):
        coordinator.get_by_role("link", name=who).click()
        expect(coordinator.get_by_role("heading", level=1)).to_have_text(who)
        failures.append(axe_report(coordinator, f"mentor's page: {who}"))
        coordinator.go_back()

    holder = new_page()
    sign_in_as(holder, CERTIFIED[0])
    holder.goto(f"/certificates/{code}/")
    expect(holder.get_by_role("button", name="Save my choice")).to_be_visible()
    expect(holder.get_by_role("button", name="Revoke")).to_have_count(0)
    failures.append(axe_report(holder, "certificate page, as the holder"))
    holder.goto(f"/certificates/{code}/?new=1")
    expect(holder.get_by_role("heading", level=1)).to_have_text(f"Congratulations, {CERTIFIED[1]}!")
    failures.append(axe_report(holder, "certificate page, as the holder, just awarded"))

    public = new_page()
    public.goto("/")
    expect(public.get_by_role("heading", level=1)).to_have_text("Preceptor")
    failures.append(axe_report(public, "home page, signed out"))
    public.goto(f"/verify/{code}")
    expect(public.get_by_role("status")).to_have_text("This certificate is valid.")
    failures.append(axe_report(public, "verify, valid"))
    holder.goto("/")
    failures.append(axe_report(holder, "home page, signed in"))

    # Revoking: the browser asks for a reason; past that check, the server refuses an
    # empty one on the page. Then a real reason is accepted.
    coordinator.goto(f"/certificates/{code}/")
    reason = coordinator.get_by_label("Reason")
    expect(reason).to_have_attribute("required", "")
    reason.evaluate("textarea => textarea.removeAttribute('required')")
    coordinator.get_by_role("button", name="Revoke").click()
    expect(coordinator.get_by_text("Say why: it goes into the audit log.")).to_be_visible()
    expect(coordinator.get_by_label("Reason")).to_have_attribute("aria-invalid", "true")
    failures.append(axe_report(coordinator, "certificate page, revoke without a reason"))
    revoke(coordinator, code, "Left the program.")
    failures.append(axe_report(coordinator, "certificate page, revoked, with the reinstate form"))
    coordinator.goto("/coordinator/?status=revoked")
    failures.append(axe_report(coordinator, "dashboard, revoked"))

    public.goto(f"/verify/{code}")
    expect(public.get_by_role("status")).to_have_text("This certificate has been revoked.")
    failures.append(axe_report(public, "verify, revoked"))
    holder.goto(f"/certificates/{code}/")
    expect(holder.locator(".certificate-facts .badge")).to_have_text("Revoked")
    failures.append(axe_report(holder, "certificate page, as the holder, revoked"))

    failures = [failure for failure in failures if failure]
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("url", ["/coordinator/", "/coordinator/?status=certified"])
def test_the_dashboard_on_a_phone_has_no_axe_violations_and_no_sideways_scrolling(
    program, new_page, url
):
    page = new_page(PHONE)
    sign_in_as(page, COORDINATOR[0])
    page.goto(url)
    region = page.get_by_role("region", name="Mentors table")
    expect(region).to_be_visible()
    assert region.evaluate("region => region.scrollWidth > region.clientWidth"), (
        "the table is wider than a phone: it scrolls inside its region"
    )
    assert_no_horizontal_scrolling(page)
    report = axe_report(page, "dashboard at 375 px")
    assert report is None, report


def test_the_mentor_certificate_and_check_pages_on_a_phone_are_axe_clean_and_fit(program, new_page):
    page = new_page(PHONE)
    sign_in_as(page, COORDINATOR[0])
    failures = []
    for url in (
        f"/coordinator/mentors/{program.certified_id}/",
        f"/certificates/{program.code}/",
        f"/verify/{program.code}",
    ):
        page.goto(url)
        expect(page.get_by_role("heading", level=1)).to_be_visible()
        assert_no_horizontal_scrolling(page)
        failures.append(axe_report(page, f"{url} at 375 px"))
    failures = [failure for failure in failures if failure]
    assert not failures, "\n".join(failures)


def test_a_signed_in_mentor_is_refused_the_coordinator_pages(program, new_page, sign_in):
    page = new_page()
    sign_in(page)
    expect(
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Mentors")
    ).to_have_count(0)
    for url in (
        "/coordinator/",
        "/coordinator/mentors.csv",
        f"/coordinator/mentors/{program.certified_id}/",
    ):
        response = page.goto(url)
        assert response is not None and response.status == 403, url
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "You do not have access to this page"
        )
        expect(
            page.get_by_text("Your account does not have the role this page needs.")
        ).to_be_visible()
        expect(page.get_by_role("table")).to_have_count(0)

    # Nor may another mentor open someone's certificate.
    response = page.goto(f"/certificates/{program.code}/")
    assert response is not None and response.status == 403
    expect(
        page.get_by_text("Only the holder and program coordinators can open this certificate.")
    ).to_be_visible()
