"""Observed practice in the content: certifications.yml's `practice:` items and the rubric
files in courses/practice/, every problem at its file and line; courses/practice/ is never
taken for a course."""

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.config import REPOSITORY_ROOT
from app.content import ContentError, load_content
from app.content.practice import parse_rubric

FIXTURES = Path(__file__).parent.parent / "fixtures"
ERRORS = FIXTURES / "practice_errors"
PRECEPTOR = str(Path(sys.executable).parent / "preceptor")

EXPECTED_PROBLEMS = [
    "certifications.yml:8: duplicate practice id 'observed' (also line 5)",
    "certifications.yml:11: missing required key 'id'",
    "certifications.yml:16: unknown key 'rubrik' (known keys: id, title, rubric)",
    "certifications.yml:19: rubric file 'ghost.md' does not exist: add courses/practice/ghost.md",
    "certifications.yml:20: missing required key 'title'",
    "certifications.yml:22: each practice item must be 'key: value' lines",
    "certifications.yml:25: 'rubric' must be the name of a file in courses/practice/",
    "certifications.yml:26: missing required key 'rubric'",
    "certifications.yml:31: 'practice' must be a list",
    "certifications.yml:36: duplicate practice id 'observed' (also line 5)",
    "practice/bad-lines.md:3: unknown key 'colour'",
    "practice/bad-lines.md:10: criterion has no id",
    "practice/bad-lines.md:11: criterion id 'Bad_Id' must be lowercase letters, digits and dashes",
    "practice/bad-lines.md:12: duplicate criterion id 'ok' (also line 9)",
    "practice/bad-lines.md:13: criterion 'no-description' needs a name and a description",
    "practice/bad-lines.md:14: only criteria may follow '## Criteria'",
    "practice/empty.md:6: rubric has no criteria",
    "practice/no-heading.md:4: rubric has no criteria: add a '## Criteria' heading",
    "practice/no-heading.md:6: unknown callout 'danger'",
    "practice/no-title.md:1: missing required key 'title'",
    "practice/no-title.md:2: unknown key 'summary'",
]


def problem_lines(content: Path) -> list[str]:
    with pytest.raises(ContentError) as caught:
        load_content(content)
    prefix = str(content / "courses") + "/"
    return [
        f"{str(p.path).removeprefix(prefix)}:{p.line}: {p.message}" for p in caught.value.problems
    ]


def test_each_practice_and_rubric_error_is_reported_at_its_file_and_line():
    found = problem_lines(ERRORS)
    assert len(found) == len(EXPECTED_PROBLEMS), "\n".join(found)
    for line, expected in zip(found, EXPECTED_PROBLEMS, strict=True):
        assert line.startswith(expected), f"{line!r} should start with {expected!r}"


def test_the_check_command_prints_the_practice_problems_and_exits_1(tmp_path):
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
        "tests/fixtures/practice_errors/courses/practice/bad-lines.md:12: "
        "duplicate criterion id 'ok' (also line 9)"
    ) in result.stderr
    assert (
        "tests/fixtures/practice_errors/courses/certifications.yml:19: "
        "rubric file 'ghost.md' does not exist"
    ) in result.stderr
    assert f"{len(EXPECTED_PROBLEMS)} problem(s); nothing imported." in result.stderr


def test_a_certification_loads_its_practice_items_with_their_rubrics():
    content = load_content(FIXTURES / "content_ok")
    [certification] = content.certifications
    [item] = certification.practice
    assert (item.slug, item.title, item.position) == ("observed-meeting", "Observed meeting", 1)
    assert item.rubric.title == "Observed meeting"
    assert "<p>An educator watches" in item.rubric.intro_html
    assert [c.id for c in item.rubric.criteria] == ["open-questions", "reflects", "next-step"]
    assert item.rubric.criteria[1].name == "Reflects before advising"
    assert item.rubric.criteria[1].description == "reflects what the mentee said before any advice."


def test_the_practice_folder_is_not_a_course():
    content = load_content(FIXTURES / "content_ok")
    assert "practice" not in [course.slug for course in content.courses]


def test_the_program_rubric_is_valid_with_six_to_eight_criteria():
    path = REPOSITORY_ROOT / "courses/practice/observed-conversation.md"
    rubric, problems = parse_rubric(path, path.read_text(encoding="utf-8"))
    assert problems == []
    assert 6 <= len(rubric.criteria) <= 8
    assert len({c.id for c in rubric.criteria}) == len(rubric.criteria)
    assert "observer" in rubric.intro_html and "mentor" in rubric.intro_html


def test_the_program_certification_asks_for_the_observed_conversation(tmp_path):
    """The repository's certifications.yml and rubric, with stand-in courses (the real
    ones are checked by tests/cli)."""
    courses = tmp_path / "courses"
    shutil.copytree(REPOSITORY_ROOT / "courses/practice", courses / "practice")
    shutil.copy(REPOSITORY_ROOT / "courses/certifications.yml", courses)
    for slug in ("communication", "goal-setting", "common-challenges"):
        (courses / slug).mkdir()
        (courses / slug / "course.md").write_text("---\ntitle: T\nsummary: S\n---\nBody\n")
        (courses / slug / "01-x.md").write_text("---\ntitle: X\n---\nBody\n")
    [program] = load_content(tmp_path).certifications
    assert program.slug == "physician-mentor"
    [item] = program.practice
    assert (item.slug, item.title) == ("observed-conversation", "Observed mentoring conversation")


def rubric_problems(text: str) -> list[str]:
    _, problems = parse_rubric(Path("r.md"), text)
    return [f"{p.line}: {p.message}" for p in problems]


def test_a_rubric_parses_from_text():
    rubric, problems = parse_rubric(
        Path("r.md"),
        "---\ntitle: R\n---\nIntro *here*.\n\n## Criteria\n\n- {#a} A thing: looks like this.\n",
    )
    assert problems == []
    assert rubric.intro_html == "<p>Intro <em>here</em>.</p>\n"
    assert [(c.id, c.name, c.description) for c in rubric.criteria] == [
        ("a", "A thing", "looks like this.")
    ]


def test_a_criterion_description_may_hold_a_colon_after_the_first():
    rubric, _ = parse_rubric(
        Path("r.md"), "---\ntitle: R\n---\n## Criteria\n- {#a} Asks: questions like: why?\n"
    )
    assert rubric.criteria[0].description == "questions like: why?"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("no front matter\n## Criteria\n- {#a} A: b\n", "1: missing front matter"),
        ("---\ntitle: R\n---\n## Criteria\n- {#a} A: b\n- {#a} B: c\n", "6: duplicate"),
        ("---\ntitle: R\n---\n## Criteria\n- {#} A: b\n", "5: criterion id '' must be"),
        ("---\ntitle: R\n---\n## Criteria\n- {#a} A:\n", "5: criterion 'a' needs a name"),
        ("---\ntitle: R\n---\n## Criteria\n- {#a} : b\n", "5: criterion 'a' needs a name"),
        ("---\ntitle: R\n---\n## Criteria\n* {#a} A: b\n", "5: only criteria may follow"),
        (f"---\ntitle: R\n---\n## Criteria\n- {{#a}} {'N' * 121}: b\n", "5: criterion 'a': the"),
        ("---\ntitle: ''\n---\n## Criteria\n- {#a} A: b\n", "2: 'title' must not be empty"),
        ("---\ntitle: [R]\n---\n## Criteria\n- {#a} A: b\n", "2: 'title' must be text"),
    ],
)
def test_each_bad_rubric_line_is_reported_at_its_line(text, expected):
    assert any(problem.startswith(expected) for problem in rubric_problems(text)), rubric_problems(
        text
    )


def write_certifications(content: Path, practice_yaml: str) -> None:
    (content / "courses/certifications.yml").write_text(
        "- id: test-mentor\n  title: Test Mentor\n  courses: [listening, goals]\n" + practice_yaml
    )


def test_a_practice_key_given_twice_is_reported(content_copy):
    write_certifications(
        content_copy,
        "  practice:\n    - id: a\n      title: A\n      title: B\n"
        "      rubric: observed-meeting.md\n",
    )
    assert problem_lines(content_copy) == ["certifications.yml:7: key 'title' is given twice"]


def test_a_certification_without_practice_asks_for_none(content_copy):
    write_certifications(content_copy, "")
    assert load_content(content_copy).certifications[0].practice == ()
    write_certifications(content_copy, "  practice: []\n")
    assert load_content(content_copy).certifications[0].practice == ()


def test_a_rubric_no_certification_names_is_still_checked(content_copy):
    (content_copy / "courses/practice/spare.md").write_text("---\ntitle: Spare\n---\nNo list.\n")
    assert problem_lines(content_copy) == [
        "practice/spare.md:4: rubric has no criteria: add a '## Criteria' heading, then one "
        "line per criterion like '- {#id} Name: what meets looks like'"
    ]


LINE = st.one_of(
    st.text(max_size=60),
    st.sampled_from(
        [
            "---", "title: Observed", "title:", "## Criteria", "## criteria", "- {#a} A: b",
            "- {#a} A:", "- {#A} A: b", "- {#} : ", "- no id", "::: note", ":::", "::: x",
            "  practice:", "    - id: observed-meeting", "      title: Observed",
            "      rubric: observed-meeting.md", "      rubric: [x]", "    - x", "  practice: 3",
            "- id: test-mentor", "  title: T", "  courses: [listening, goals]",
        ]
    ),
)  # fmt: skip
FILE_TEXT = st.lists(LINE, max_size=20).map("\n".join)


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    target=st.sampled_from(["courses/practice/observed-meeting.md", "courses/certifications.yml"]),
    text=FILE_TEXT,
)
def test_whatever_is_written_in_a_rubric_or_practice_list_the_check_answers(target, text):
    with tempfile.TemporaryDirectory() as folder:
        content = Path(folder) / "content"
        shutil.copytree(FIXTURES / "content_ok", content)
        (content / target).write_text(text, encoding="utf-8")
        try:
            load_content(content)
        except ContentError as error:
            lines = len(text.splitlines()) or 1
            for problem in error.problems:
                assert problem.line >= 1
                if problem.path == content / target:
                    assert problem.line <= max(lines, 1) + 1, str(problem)
