"""An educator edits a lesson in the browser editor: preview, a broken draft whose problem
link puts the cursor on the line, publishing, and a mentor who sees the change only once
it is published. The editor's pages pass axe-core and fit a phone's width."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from PIL import Image
from playwright.sync_api import Page, expect

from app.auth import service as auth
from app.auth.models import Role, UserRole
from app.authoring import documents
from app.authoring.models import ContentFile
from app.clock import utcnow
from app.extensions import db
from app.quizzes import service as quizzes

pytestmark = pytest.mark.browser

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}
LESSON_PATH = "courses/communication/01-reflective-listening.md"
LESSON_URL = "/courses/communication/reflective-listening/"
READER_EMAIL = "reader@hospital.example"
READER_PASSWORD = "reader-password-long-enough"
IMAGE_ALT = "The listening loop: hear, reflect, check"
NEW_ADVICE = "Before you answer the first question, reflect it back once."  # no quote: smartquotes
CURSOR_LINE = """() => {
    const text = document.getElementById("text");
    return {
        focused: document.activeElement === text,
        line: text.value.slice(0, text.selectionStart).split("\\n").length,
        selected: text.value.slice(text.selectionStart, text.selectionEnd),
    };
}"""


@pytest.fixture
def educator(database, live_server):
    """The live server's user is also an educator; another mentor, who only reads."""
    with database.app_context():
        user = auth.find_user(live_server.mentor_email)
        db.session.add(UserRole(user_id=user.id, role=Role.EDUCATOR))
        auth.create_user(READER_EMAIL, "Dr. Robin Reader", READER_PASSWORD, {Role.MENTOR})
        db.session.commit()
        db.session.remove()


def sign_in_as(page: Page, email: str, password: str) -> None:
    page.goto("/auth/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", level=1, name="Courses")).to_be_visible()


def test_an_educator_previews_fixes_and_publishes_a_lesson_a_mentor_then_reads(
    new_page, sign_in, educator, tmp_path
):
    page = new_page()
    sign_in(page)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Author").click()
    page.get_by_role("link", name=LESSON_PATH).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Edit {LESSON_PATH}")
    text = page.get_by_label(f"Markdown of {LESSON_PATH}")
    original = text.input_value()
    assert original.startswith("---\ntitle: Reflective listening\n")

    text.click()
    page.keyboard.press("Control+End")
    page.keyboard.insert_text(f"\n::: tip\n{NEW_ADVICE}\n:::\n")
    preview = page.get_by_role("region", name="Preview")
    # The preview follows the typing, and the Preview button (the way without JavaScript)
    # gives the same.
    expect(preview.get_by_role("complementary", name="Tip").last).to_contain_text(NEW_ADVICE)
    page.get_by_role("button", name="Preview").click()
    expect(preview.get_by_role("complementary", name="Tip").last).to_contain_text(NEW_ADVICE)
    expect(text).to_have_value(original + f"\n::: tip\n{NEW_ADVICE}\n:::\n")

    # Break the front matter: no title, and minutes that are not a number.
    edited = text.input_value()
    broken = edited.replace("title: Reflective listening\n", "").replace(
        "estimated_minutes: 12", "estimated_minutes: soon"
    )
    text.fill(broken)
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("status")).to_contain_text("Draft saved.")
    problems = page.get_by_role("region", name="problems to fix")
    expect(problems).to_contain_text("title")
    expect(problems).to_contain_text("estimated_minutes")
    minutes_link = problems.get_by_role("link", name="Line 2")
    expect(minutes_link).to_be_visible()
    text.click()
    page.keyboard.press("Control+End")  # the cursor starts far from line 2
    minutes_link.click()
    cursor = page.evaluate(CURSOR_LINE)
    assert cursor == {"focused": True, "line": 2, "selected": "estimated_minutes: soon"}

    text.fill(edited)
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("status")).to_contain_text("Draft saved.")
    expect(page.get_by_role("region", name="problems to fix")).to_have_count(0)
    expect(text).to_have_value(edited)

    # An image: uploaded for the course, its Markdown pasted into the lesson.
    picture = tmp_path / "listening-loop.png"
    Image.new("RGB", (320, 160), (30, 110, 160)).save(picture)
    editor_url = page.url
    page.get_by_role("link", name="Images of this course").click()
    page.get_by_label("Image file").set_input_files(str(picture))
    page.get_by_label("Alt text").fill(IMAGE_ALT)
    page.get_by_role("button", name="Upload").click()
    snippet = page.get_by_label("Markdown to paste into the lesson").input_value()
    assert snippet.startswith(f"![{IMAGE_ALT}](images/") and snippet.endswith(".png)")
    page.goto(editor_url)
    edited = text.input_value() + f"\n{snippet}\n"
    text.fill(edited)
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_role("status")).to_contain_text("Draft saved.")
    expect(
        page.get_by_role("region", name="Preview").get_by_role("img", name=IMAGE_ALT)
    ).to_be_visible()

    reader = new_page()
    sign_in_as(reader, READER_EMAIL, READER_PASSWORD)
    reader.goto(LESSON_URL)
    expect(reader.get_by_role("heading", level=1)).to_have_text("Reflective listening")
    expect(reader.get_by_text("Say reflections with a downward inflection")).to_be_visible()
    expect(reader.get_by_text(NEW_ADVICE)).to_have_count(0)  # a draft is the educator's

    page.get_by_role("link", name="Author").first.click()
    page.get_by_role("button", name="Publish 1 draft of Communicating with mentees").click()
    expect(page.get_by_role("status")).to_contain_text("Published.")
    expect(page.get_by_role("button", name="Publish 1 draft of Communicating")).to_have_count(0)

    reader.reload()
    expect(reader.get_by_role("complementary", name="Tip").last).to_have_text(f"Tip {NEW_ADVICE}")
    image = reader.get_by_role("img", name=IMAGE_ALT)
    expect(image).to_be_visible()
    assert image.evaluate("(img) => img.complete && img.naturalWidth") == 320


# --- accessibility and phones -------------------------------------------------------------


@pytest.fixture
def editor_pages(database, live_server, educator):
    """A draft of the lesson waiting (with a problem, a callout and a long link, as a busy
    educator leaves them), so the editor, history and diff show all they can; and the
    communication quiz's id."""
    with database.app_context():
        user = auth.find_user(live_server.mentor_email)
        row = db.session.scalar(db.select(ContentFile).where(ContentFile.path == LESSON_PATH))
        draft = row.text.replace("estimated_minutes: 12", "estimated_minutes: soon") + (
            "\n::: warning\nRead the program's policy first: "
            "https://intranet.hospital.example/graduate-medical-education/policies/"
            "mentoring-and-confidentiality-of-disclosures-2025.pdf\n:::\n"
        )
        documents.save_draft(
            row, draft, opened=row.revisions_count, author=user, note="policy link", now=utcnow()
        )
        db.session.commit()
        ids = {"file": row.id, "quiz": quizzes.get_quiz("communication").id}
        db.session.remove()
    return ids


def assert_accessible(page: Page) -> None:
    """axe-core finds nothing at a desktop's width and at a phone's, where the page also
    fits without scrolling sideways; buttons, fields and line links are 24 px high or more."""
    for viewport in (DESKTOP, PHONE):
        page.set_viewport_size(viewport)
        where = f"{page.url} at {viewport['width']} px"
        results = Axe().run(page)
        assert results.violations_count == 0, f"axe on {where}:\n{results.generate_report()}"
        widths = page.evaluate(
            "({inner: window.innerWidth, scroll: document.documentElement.scrollWidth})"
        )
        assert widths["scroll"] <= widths["inner"], f"{where} scrolls sideways: {widths}"
        small = page.evaluate(
            """() => [...document.querySelectorAll(
                "main button, main input:not([type=hidden]):not([type=radio]), main textarea,"
                + " .problem-link, .compare-choice label")]
                .filter((el) => el.getClientRects().length)
                .map((el) => [el.textContent.trim() || el.name, el.getBoundingClientRect().height])
                .filter(([, height]) => height < 24)"""
        )
        assert not small, f"targets under 24 px high on {where}: {small}"


def test_the_author_editor_history_diff_and_statistics_pages_pass_axe_on_desktop_and_phone(
    new_page, sign_in, editor_pages
):
    page = new_page()
    sign_in(page)

    page.goto("/author/")
    expect(page.get_by_role("button", name="Publish 1 draft of Communicating")).to_be_visible()
    assert_accessible(page)

    page.goto(f"/author/files/{editor_pages['file']}/")
    expect(page.get_by_role("link", name="Line 3")).to_be_visible()
    expect(page.get_by_role("complementary", name="Warning").last).to_contain_text("policy")
    expect(page.get_by_role("button", name="Discard the draft")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="History").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"History of {LESSON_PATH}")
    expect(page.get_by_text("“policy link”")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("button", name="Compare").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Revision 1 → 2 of {LESSON_PATH}")
    expect(page.get_by_role("list", name="Changed lines")).to_contain_text(
        "estimated_minutes: soon"
    )
    assert_accessible(page)

    page.goto(f"/author/quizzes/{editor_pages['quiz']}/stats")
    expect(page.get_by_role("heading", level=1)).to_contain_text("question statistics")
    assert_accessible(page)

    page.goto("/author/courses/communication/")
    expect(page.get_by_role("button", name="Move up").first).to_be_visible()
    assert_accessible(page)

    page.goto("/author/courses/communication/images")
    expect(page.get_by_label("Image file")).to_be_visible()
    assert_accessible(page)

    page.goto("/author/courses/new")
    page.get_by_role("button", name="Create the course").click()  # errors beside the fields
    expect(page.locator(".field-error").first).to_be_visible()
    assert_accessible(page)


GUTTER = """() => {
    const text = document.getElementById("text");
    const cells = Array.from(document.querySelectorAll(".editor-gutter > div"));
    return {
        lines: text.value.split("\\n").length,
        numbers: cells.map((cell) => cell.textContent),
        heights: cells.map((cell) => cell.getBoundingClientRect().height),
    };
}"""


def test_the_editor_numbers_wrapped_lines_and_keeps_unsaved_text_in_the_browser(
    new_page, sign_in, educator, database
):
    with database.app_context():
        row = db.session.scalar(db.select(ContentFile).where(ContentFile.path == LESSON_PATH))
        url = f"/author/files/{row.id}/"
        db.session.remove()
    page = new_page(viewport=PHONE)
    sign_in(page)
    page.goto(url)
    text = page.get_by_label(f"Markdown of {LESSON_PATH}")
    long_line = "A long paragraph that wraps on a phone. " * 12
    text.fill(f"---\ntitle: Reflective listening\n---\n{long_line}\nThe next line.\n")
    page.wait_for_timeout(300)  # the numbers follow the text a moment after typing
    gutter = page.evaluate(GUTTER)
    assert gutter["numbers"] == [str(n) for n in range(1, gutter["lines"] + 1)]
    assert gutter["heights"][3] > 2 * gutter["heights"][4]  # number 5 sits below the wrap

    page.wait_for_timeout(500)  # kept in this browser while typing
    page.goto(url)  # the text was never saved: a page left open, a sign-in that expired
    expect(text).not_to_have_value(
        f"---\ntitle: Reflective listening\n---\n{long_line}\nThe next line.\n"
    )
    page.get_by_role("button", name="Put that text back").click()
    expect(text).to_have_value(
        f"---\ntitle: Reflective listening\n---\n{long_line}\nThe next line.\n"
    )
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Draft saved.")).to_be_visible()
    page.reload()
    expect(page.get_by_role("button", name="Put that text back")).to_be_hidden()
