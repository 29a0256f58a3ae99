"""The content checker: every kind of authoring error, each with its path and line."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from app.content import ContentError, load_content
from app.content.markdown import render_markdown

FIXTURES = Path(__file__).parent.parent / "fixtures"
ERRORS = FIXTURES / "content_errors"
PRECEPTOR = str(Path(sys.executable).parent / "preceptor")

EXPECTED_PROBLEMS = [
    "Bad_Folder:1: course folder 'Bad_Folder' must be lowercase letters, digits and dashes",
    "bad-yaml/course.md:3: front matter is not valid YAML",
    "certifications.yml:8: unknown course 'nonexistent' in certification 'broken'",
    "certifications.yml:9: unknown key 'valid_for_month'",
    "duplicate-lessons/02-intro.md:1: duplicate lesson slug 'intro' (also 01-intro.md)",
    "duplicate-lessons/03-empty.md:4: lesson has no text after the front matter",
    "missing-title/01-no-front-matter.md:1: missing front matter",
    "missing-title/course.md:1: missing required key 'title'",
    "no-lessons/course.md:1: course has no lessons",
    "typo/01-callouts.md:6: unknown callout 'danger'",
    "typo/course.md:5: unknown key 'estimated_minute'",
    "wrong-type/01-types.md:2: 'title' must be text",
    "wrong-type/01-types.md:3: 'estimated_minutes' must be a whole number",
    "wrong-type/course.md:4: 'order' must be a whole number",
    "wrong-type/course.md:5: 'estimated_minutes' must be greater than 0",
    "wrong-type/course.md:6: 'quiz' must be lowercase letters, digits and dashes",
]


def problem_lines() -> list[str]:
    with pytest.raises(ContentError) as caught:
        load_content(ERRORS)
    prefix = str(ERRORS / "courses") + "/"
    return [
        f"{str(p.path).removeprefix(prefix)}:{p.line}: {p.message}" for p in caught.value.problems
    ]


def test_each_kind_of_error_is_reported_at_its_file_and_line():
    found = problem_lines()
    assert len(found) == len(EXPECTED_PROBLEMS), "\n".join(found)
    for line, expected in zip(found, EXPECTED_PROBLEMS, strict=True):
        assert line.startswith(expected), f"{line!r} should start with {expected!r}"


def test_the_check_command_prints_path_line_message_and_exits_1(tmp_path):
    result = subprocess.run(
        [PRECEPTOR, "content", "check", str(ERRORS)],
        capture_output=True,
        text=True,
        cwd=ERRORS.parent.parent.parent,
        env={"PRECEPTOR_INSTANCE_PATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert result.returncode == 1
    assert (
        "tests/fixtures/content_errors/courses/typo/course.md:5: unknown key 'estimated_minute'"
        in result.stderr
    )
    assert "16 problem(s); nothing imported." in result.stderr


def test_the_check_command_is_silent_and_exits_0_on_good_content(tmp_path):
    result = subprocess.run(
        [PRECEPTOR, "content", "check", str(FIXTURES / "content_ok")],
        capture_output=True,
        text=True,
        env={"PRECEPTOR_INSTANCE_PATH": str(tmp_path), "PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_good_content_loads_in_catalog_order_with_lesson_slugs_from_file_names():
    content = load_content(FIXTURES / "content_ok")
    assert [c.slug for c in content.courses] == ["listening", "goals"]
    assert [lesson.slug for lesson in content.courses[0].lessons] == [
        "reflect",
        "questions",
        "silence",
    ]
    assert content.certifications[0].course_slugs == ("listening", "goals")


def test_a_title_with_a_colon_must_be_quoted_and_then_loads():
    goals = load_content(FIXTURES / "content_ok").courses[1]
    assert goals.lessons[1].title == "GROW: a coaching model"


def test_a_certification_naming_an_unknown_course_is_rejected(tmp_path):
    shutil.copytree(FIXTURES / "content_ok", tmp_path / "c")
    (tmp_path / "c/courses/certifications.yml").write_text(
        "- id: x\n  title: X\n  courses: [listening, ghost]\n"
    )
    with pytest.raises(ContentError, match=r"certifications.yml:3: unknown course 'ghost'"):
        load_content(tmp_path / "c")


def test_a_duplicate_key_in_front_matter_is_rejected(tmp_path):
    shutil.copytree(FIXTURES / "content_ok", tmp_path / "c")
    lesson = tmp_path / "c/courses/listening/03-silence.md"
    lesson.write_text("---\ntitle: One\ntitle: Two\n---\nBody\n")
    with pytest.raises(ContentError, match=r"03-silence.md:3: key 'title' is given twice"):
        load_content(tmp_path / "c")


def test_callouts_render_as_labelled_asides():
    html = render_markdown("::: reflect\nWhat did you hear?\n:::\n")
    assert '<aside class="callout callout-reflect" aria-label="Reflect">' in html
    assert "What did you hear?" in html


def test_raw_html_in_course_markdown_is_shown_as_text_not_rendered():
    html = render_markdown('<script>alert(1)</script>\n\n<img src=x onerror="alert(1)">')
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;" in html


def test_javascript_links_are_not_rendered_as_links():
    html = render_markdown("[click](javascript:alert(1))")
    assert "href" not in html


def test_tables_footnotes_strikethrough_and_heading_anchors_render():
    html = render_markdown(
        "## Key points\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n~~old~~ text[^1]\n\n[^1]: note\n"
    )
    assert '<h2 id="key-points">' in html
    assert "<table>" in html and "<s>old</s>" in html and 'class="footnote-ref"' in html
