"""Images in course Markdown: alt text is required (`content check` names the line), and a
lesson's `images/<name>` becomes the address the site serves the course's image at."""

import shutil
from pathlib import Path

import pytest

from app.content import ContentError, load_content
from app.content.loader import course_image_url
from app.content.markdown import images_without_alt, render_markdown

FIXTURES = Path(__file__).parent.parent / "fixtures"
NO_ALT = "image without alt text: describe what it shows"


@pytest.fixture
def content(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(FIXTURES / "content_ok", target)
    return target


def write_lesson(content: Path, body: str) -> Path:
    path = content / "courses" / "listening" / "04-pictures.md"
    path.write_text(f"---\ntitle: Pictures\n---\n{body}", encoding="utf-8")
    return path


def problems_of(content: Path) -> list[tuple[str, int, str]]:
    with pytest.raises(ContentError) as caught:
        load_content(content)
    return [(p.path.name, p.line, p.message) for p in caught.value.problems]


def test_an_image_without_alt_text_is_a_problem_at_its_line(content):
    write_lesson(content, "Intro.\n\n![](images/room.png)\n")
    assert problems_of(content) == [("04-pictures.md", 6, NO_ALT)]


def test_alt_text_of_spaces_only_is_no_alt_text(content):
    write_lesson(content, "![   ](images/room.png)\n")
    assert problems_of(content) == [("04-pictures.md", 4, NO_ALT)]


def test_each_image_is_reported_at_its_own_line_within_a_paragraph_and_a_table(content):
    body = (
        "First line ![a door](images/door.png)\n"  # 4: has alt text
        "second line ![](images/chair.png)\n"  # 5
        "\n"
        "| picture | what |\n"  # 7
        "|---|---|\n"
        "| ![](images/desk.png) | a desk |\n"  # 9
        "\n"
        "- ![](https://example.org/x.png)\n"  # 11: any image, not only the course's
    )
    write_lesson(content, body)
    assert problems_of(content) == [
        ("04-pictures.md", 5, NO_ALT),
        ("04-pictures.md", 9, NO_ALT),
        ("04-pictures.md", 11, NO_ALT),
    ]


def test_a_course_overview_image_needs_alt_text_too(content):
    course = content / "courses" / "listening" / "course.md"
    course.write_text(course.read_text(encoding="utf-8") + "\n![](images/cover.png)\n")
    found = problems_of(content)
    assert len(found) == 1
    name, line, message = found[0]
    assert (name, message) == ("course.md", NO_ALT)
    assert course.read_text(encoding="utf-8").splitlines()[line - 1] == "![](images/cover.png)"


def test_an_image_inside_a_footnote_is_found_too():
    assert images_without_alt("Text^[see ![](images/x.png)]\n") == [0]


def test_images_with_alt_text_pass_and_point_at_the_served_image(content):
    write_lesson(content, "![A mentor listening](images/listening.png)\n")
    loaded = load_content(content)
    course = next(c for c in loaded.courses if c.slug == "listening")
    lesson = next(item for item in course.lessons if item.slug == "pictures")
    assert '<img src="/courses/listening/images/listening.png" alt="A mentor listening"' in (
        lesson.body_html
    )


def test_the_app_can_give_each_image_its_versioned_address(content):
    write_lesson(content, "![A chart](images/chart.png) and ![A logo](https://example.org/l.png)")
    loaded = load_content(content, lambda slug, name: f"/x/{slug}/{name}?v=1")
    lesson = next(
        item for c in loaded.courses if c.slug == "listening" for item in c.lessons
        if item.slug == "pictures"
    )  # fmt: skip
    assert 'src="/x/listening/chart.png?v=1"' in lesson.body_html
    assert 'src="https://example.org/l.png"' in lesson.body_html  # not the course's: as written


def test_without_an_address_for_images_the_markdown_renders_as_before():
    text = "![A chart](images/chart.png)"
    assert 'src="images/chart.png"' in render_markdown(text)
    assert 'src="/c/chart.png"' in render_markdown(text, lambda name: f"/c/{name}")


def test_an_image_name_is_escaped_in_its_address():
    assert course_image_url("goals", "a b.png") == "/courses/goals/images/a%20b.png"
    html = render_markdown("![x](images/a%20b.png)", lambda name: course_image_url("g", name))
    assert 'src="/courses/g/images/a%20b.png"' in html
