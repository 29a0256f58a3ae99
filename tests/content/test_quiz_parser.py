"""The quiz file format: every rule of DESIGN.md, each error at its line."""

import contextlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.content import ContentError
from app.content.quizzes import QuestionKind, Reveal, parse_quiz

PATH = Path("quizzes/sample.md")

HEADER = "---\ntitle: Sample\ncourse: goals\n---\n"


def parse(body: str, header: str = HEADER):
    return parse_quiz(PATH, header + body)


def problems(text: str) -> list[str]:
    with pytest.raises(ContentError) as caught:
        parse_quiz(PATH, text)
    return [f"{p.line}: {p.message}" for p in caught.value.problems]


def test_types_ids_points_body_and_explanation_are_read():
    quiz = parse(
        "Intro **text**.\n\n"
        "## Pick one {#one}\n\nA longer scenario.\n\n- [ ] no\n- [x] yes\n\n> Because.\n\n"
        "## Pick several {.multiple points=2}\n\n- [x] a\n- [x] b\n- [ ] c\n\n"
        "## Name it ___ {#name .text}\n\n- [x] ask-tell-ask\n- [x] ask tell ask\n"
    )
    one, several, name = quiz.questions
    assert (one.key, one.kind, one.points) == ("one", QuestionKind.SINGLE, 1)
    assert "A longer scenario." in one.body_html and "Because." in one.explanation_html
    assert [o.correct for o in one.options] == [False, True]
    assert (several.key, several.kind, several.points) == ("pick-several", QuestionKind.MULTIPLE, 2)
    assert name.kind is QuestionKind.TEXT and name.accepted_answers == (
        "ask-tell-ask",
        "ask tell ask",
    )
    assert "<strong>text</strong>" in quiz.intro_html
    assert (quiz.pass_percent, quiz.shuffle, quiz.reveal_answers) == (80, True, Reveal.AFTER_PASS)


def test_without_a_type_one_correct_is_single_and_more_is_multiple():
    quiz = parse("## A\n\n- [x] a\n- [ ] b\n\n## B\n\n- [x] a\n- [x] b\n")
    assert [q.kind for q in quiz.questions] == [QuestionKind.SINGLE, QuestionKind.MULTIPLE]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (HEADER + "## No options\n\nJust text.\n", "5: question 'no-options' has no options"),
        (
            HEADER + "## One {.single}\n\n- [x] a\n- [x] b\n",
            "5: a .single question needs exactly one",
        ),
        (
            HEADER + "## None {.multiple}\n\n- [ ] a\n- [ ] b\n",
            "5: a .multiple question needs at least one",
        ),
        (HEADER + "## Text {.text}\n\n- [ ] a\n", "5: every item of a .text question"),
        (
            HEADER + "## Same {#x}\n\n- [x] a\n\n## Again {#x}\n\n- [x] b\n",
            "9: duplicate question id 'x'",
        ),
        (HEADER + "## Q {.essay}\n\n- [x] a\n", "5: unknown question attribute '.essay'"),
        (HEADER + "## Q {points=0}\n\n- [x] a\n", "5: points must be a whole number above 0"),
        (HEADER + "## Q\n\n- a\n- [x] b\n", "7: each option must start with '[ ] ' or '[x] '"),
        (HEADER + "## Q\n\n1. [x] a\n", "7: options must be a bulleted list"),
        (HEADER + "## Q\n\n- [x] a\n\n> why\n\nstray text\n", "11: only a block quote"),
        (
            "---\ntitle: T\ncourse: goals\ndraw: 3\n---\n## Q\n\n- [x] a\n",
            "4: draw is 3 but the quiz has only 1",
        ),
        (
            "---\ntitle: T\ncourse: goals\npass_percent: 120\n---\n## Q\n\n- [x] a\n",
            "4: 'pass_percent' must be between 1",
        ),
        (
            "---\ntitle: T\ncourse: goals\nreveal_answers: sometimes\n---\n## Q\n\n- [x] a\n",
            "4: 'reveal_answers' must be one of",
        ),
        (
            "---\ntitle: T\ncourse: goals\nshufle: true\n---\n## Q\n\n- [x] a\n",
            "4: unknown key 'shufle'",
        ),
        ("---\ntitle: T\n---\n## Q\n\n- [x] a\n", "1: missing required key 'course'"),
        (
            "---\ntitle: T\ncourse: goals\nmax_attempts: two\n---\n## Q\n\n- [x] a\n",
            "4: 'max_attempts' must be a whole number",
        ),
        ("---\ntitle: [T\n---\n## Q\n\n- [x] a\n", "2: front matter is not valid YAML"),
        (HEADER + "Only an introduction.\n", "5: the quiz has no questions"),
    ],
)
def test_each_error_is_reported_at_its_line(text, expected):
    assert any(line.startswith(expected) for line in problems(text)), problems(text)


def test_a_quiz_naming_a_missing_course_and_a_course_naming_a_missing_quiz_are_rejected(tmp_path):
    import shutil

    from app.content import load_content

    content = tmp_path / "c"
    shutil.copytree(Path(__file__).parent.parent / "fixtures/content_ok", content)
    (content / "quizzes/goals-check.md").rename(content / "quizzes/other.md")
    (content / "quizzes/ghost.md").write_text(
        "---\ntitle: G\ncourse: ghost\n---\n## Q\n\n- [x] a\n"
    )
    with pytest.raises(ContentError) as caught:
        load_content(content)
    messages = [f"{p.path.name}:{p.line}: {p.message}" for p in caught.value.problems]
    assert "course.md:5: quiz 'goals-check' does not exist: add quizzes/goals-check.md" in messages
    assert "ghost.md:3: course 'ghost' does not exist" in messages
    assert any(m.startswith("other.md:3: course 'goals' does not name this quiz") for m in messages)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("#-[]x {}.>\n:=*`_ab1!\t")), max_size=300))
def test_the_parser_only_ever_raises_content_error_on_arbitrary_text(body):
    with contextlib.suppress(ContentError):
        parse(body)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=400))
def test_the_parser_survives_any_unicode_including_front_matter(text):
    with contextlib.suppress(ContentError):
        parse_quiz(PATH, text)


def test_escaped_braces_in_a_stem_are_text_and_html_comments_do_not_hide_options():
    quiz = parse("## What is \\{a\\}\n\n- [x] a\n\n## Q2\n\n<!-- note\n\n- [x] yes\n- [ ] no\n")
    assert quiz.questions[0].stem == "What is \\{a\\}" and len(quiz.questions[1].options) == 2


def test_accepted_text_answers_lose_their_markdown_escapes():
    quiz = parse("## Which language? {.text}\n\n- [x] C\\#\n")
    assert quiz.questions[0].accepted_answers == ("C#",)
