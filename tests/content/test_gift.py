"""Moodle GIFT import: each GIFT feature lands in our quiz format as the GIFT file says,
unsupported questions are reported at their line, and the result always loads."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.content import ContentError, load_content
from app.content.gift import GiftConversion, convert_gift
from app.content.quizzes import QuestionKind, QuestionSource, QuizSource, parse_quiz

FIXTURES = Path(__file__).parent.parent / "fixtures"
MENTORING = FIXTURES / "gift" / "mentoring.gift"
PRECEPTOR = str(Path(sys.executable).parent / "preceptor")
QUIZ_PATH = Path("quizzes/imported.md")


def convert(gift: str) -> GiftConversion:
    return convert_gift(gift, course="goals", title="Imported")


def quiz_of(gift: str) -> QuizSource:
    return parse_quiz(QUIZ_PATH, convert(gift).markdown)


def only(gift: str) -> QuestionSource:
    (question,) = quiz_of(gift).questions
    return question


def options(question: QuestionSource) -> list[tuple[str, bool]]:
    return [(option.text, option.correct) for option in question.options]


def unescaped(markdown: str) -> str:
    """Markdown source without backslash escapes: the text a reader sees."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown)


# --- The file as a whole ------------------------------------------------------------------


def test_the_output_is_a_quiz_file_with_only_title_and_course_in_its_front_matter():
    conversion = convert_gift("Pick one {=a ~b}", course="goals", title="Goals: a check")
    assert conversion.markdown.startswith("---\ntitle: 'Goals: a check'\ncourse: goals\n---\n")
    quiz = parse_quiz(QUIZ_PATH, conversion.markdown)
    assert (quiz.title, quiz.course_slug, quiz.intro_html) == ("Goals: a check", "goals", "")
    assert (quiz.pass_percent, quiz.draw, quiz.shuffle) == (80, None, True)
    assert conversion.skipped == [] and conversion.question_ids == ["pick-one"]


def test_a_course_that_is_not_a_slug_or_an_empty_title_is_refused():
    with pytest.raises(ValueError, match="course must be a slug"):
        convert_gift("Q {=a ~b}", course="Goal Setting", title="T")
    with pytest.raises(ValueError, match="title"):
        convert_gift("Q {=a ~b}", course="goals", title="  ")


# --- Question types -------------------------------------------------------------------------


def test_multiple_choice_with_one_equals_sign_is_single_with_that_option_correct():
    question = only("Who owns the mentee's goals? {~The mentor =The mentee ~The director}")
    assert question.kind is QuestionKind.SINGLE
    assert question.stem == "Who owns the mentee's goals?"
    assert options(question) == [
        ("The mentor", False),
        ("The mentee", True),
        ("The director", False),
    ]


def test_weighted_answers_without_equals_are_multiple_with_the_positive_weights_correct():
    question = only("SMART includes? {~%50%Specific ~%50%Time-bound ~%-100%Mandatory ~Vague}")
    assert question.kind is QuestionKind.MULTIPLE
    assert question.accepted_answers == ("Specific", "Time-bound")
    assert [o.correct for o in question.options] == [True, True, False, False]


def test_a_single_positive_weight_without_equals_is_still_a_multiple_answer_question():
    question = only("Pick all that apply {~%100%Listen ~%-50%Interrupt ~Lecture}")
    assert question.kind is QuestionKind.MULTIPLE and question.accepted_answers == ("Listen",)


@pytest.mark.parametrize(("answer", "truth"), [("T", True), ("TRUE", True), ("F", False)])
def test_true_false_becomes_single_with_the_options_true_and_false(answer, truth):
    question = only(f"Silence can help a mentee think. {{{answer}}}")
    assert question.kind is QuestionKind.SINGLE
    assert options(question) == [("True", truth), ("False", not truth)]


def test_false_spelled_out_with_no_space_before_the_brace_is_read():
    question = only("Advice comes first.{FALSE}")
    assert (question.stem, question.accepted_answers) == ("Advice comes first.", ("False",))


def test_lower_case_true_is_a_short_answer_as_in_moodle():
    question = only("Type the word true {true}")
    assert question.kind is QuestionKind.TEXT and question.accepted_answers == ("true",)


def test_short_answers_become_a_text_question_accepting_each_answer():
    question = only(
        "The model with Goal, Reality, Options, Way forward is ___ {=GROW =the GROW model}"
    )
    assert question.kind is QuestionKind.TEXT
    assert question.stem == "The model with Goal, Reality, Options, Way forward is ___"
    assert question.accepted_answers == ("GROW", "the GROW model")


def test_a_short_answer_with_partial_credit_keeps_the_full_answers_and_notes_the_loss():
    gift = "Name the model {=GROW =%50%G.R.O.W. #Close: no dots. =%0%SMART #That is for goals.}"
    conversion = convert(gift)
    question = parse_quiz(QUIZ_PATH, conversion.markdown).questions[0]
    assert question.accepted_answers == ("GROW",)
    assert conversion.notes == [(1, "partial-credit answer 'G.R.O.W.' dropped")]
    assert "G.R.O.W.: Close: no dots." in question.explanation_html
    assert "SMART: That is for goals." in question.explanation_html


def test_an_accepted_answer_is_written_verbatim_because_learners_type_it():
    question = only("Which symbol marks a heading? {=\\# =*hash*}")
    assert question.accepted_answers == ("#", "*hash*")


# --- Feedback -------------------------------------------------------------------------------


def test_general_and_per_answer_feedback_become_the_explanation():
    gift = (
        "Best first reply? {\n"
        "=It sounds exhausting. # Reflects the feeling.\n"
        "~Have you tried sleeping more? # Advice too soon.\n"
        "~Me too.\n"
        "####Reflect before you fix.\n"
        "}"
    )
    question = only(gift)
    assert options(question) == [
        ("It sounds exhausting.", True),
        ("Have you tried sleeping more?", False),
        ("Me too.", False),
    ]
    explanation = question.explanation_html
    assert explanation.index("Reflect before you fix.") < explanation.index("Reflects the")
    assert "<li>It sounds exhausting.: Reflects the feeling.</li>" in explanation
    assert "<li>Have you tried sleeping more?: Advice too soon.</li>" in explanation
    assert "Me too" not in explanation


def test_true_false_feedback_goes_first_to_the_wrong_then_to_the_right_choice():
    question = only("Advice first. {F#Ask first.#Right: listen first.}")
    assert "<li>True: Ask first.</li>" in question.explanation_html
    assert "<li>False: Right: listen first.</li>" in question.explanation_html


def test_general_feedback_alone_is_the_explanation():
    question = only("Owner of goals? {=Mentee ~Mentor####The mentee owns the goals.}")
    assert question.explanation_html == "<p>The mentee owns the goals.</p>\n"


def test_no_feedback_means_no_explanation():
    assert only("Owner? {=Mentee ~Mentor}").explanation_html == ""


# --- Names, ids, comments, layout -----------------------------------------------------------


def test_a_question_name_becomes_its_id_and_an_unnamed_question_gets_a_slug_of_its_stem():
    quiz = quiz_of("::Ask Tell Ask (v2)::First step? {=Ask ~Tell}\n\nWho's next? {=You ~Me}")
    assert [q.key for q in quiz.questions] == ["ask-tell-ask-v2", "whos-next"]
    assert quiz.questions[0].stem == "First step?"


def test_accented_names_keep_their_letters_in_the_id():
    assert only("::Évaluation précoce::Quand? {=Tôt ~Tard}").key == "evaluation-precoce"


def test_repeated_ids_get_a_number_suffix():
    gift = "Who? {=a ~b}\n\nWho? {=c ~d}\n\n::who::Again {T}\n\nWho? {=e ~f}"
    assert convert(gift).question_ids == ["who", "who-2", "who-3", "who-4"]
    assert [q.key for q in quiz_of(gift).questions] == ["who", "who-2", "who-3", "who-4"]


def test_comments_and_category_lines_are_ignored_and_blank_lines_separate_questions():
    gift = (
        "// a comment before anything\n"
        "$CATEGORY: $course$/Mentoring\n"
        "\n"
        "// about the first question\n"
        "First? {\n"
        "// a comment inside the answers\n"
        "=yes ~no}\n"
        "\n\n\n"
        "$CATEGORY: Other\n"
        "Second? {T}\n"
    )
    conversion = convert(gift)
    assert conversion.skipped == []
    quiz = parse_quiz(QUIZ_PATH, conversion.markdown)
    assert [q.stem for q in quiz.questions] == ["First?", "Second?"]
    assert options(quiz.questions[0]) == [("yes", True), ("no", False)]
    assert "comment" not in conversion.markdown and "CATEGORY" not in conversion.markdown
    assert [q.lesson for q in quiz.questions] == [None, None]


def test_categories_become_lesson_pools_drawn_per_lesson():
    gift = (
        "$CATEGORY: $course$/Communication/Reflective listening\n\n"
        "First? {=yes ~no}\n\nSecond? {=yes ~no}\n\n"
        "$CATEGORY: $course$/Communication/Open questions/\n\n"
        "Third? {=yes ~no}\n\nFourth? {=yes ~no}\n"
    )
    conversion = convert_gift(gift, course="communication", title="Check", draw_per_lesson=2)
    quiz = parse_quiz(QUIZ_PATH, conversion.markdown)
    assert quiz.draw_per_lesson == 2
    assert [q.lesson for q in quiz.questions] == [
        "reflective-listening",
        "reflective-listening",
        "open-questions",
        "open-questions",
    ]


def test_windows_line_endings_are_read_like_unix_ones():
    gift = "::One::First? {\r\n=yes\r\n~no\r\n}\r\n\r\nSecond? {T}\r\n"
    assert [q.key for q in quiz_of(gift).questions] == ["one", "second"]


def test_a_multi_line_stem_puts_its_first_line_in_the_heading_and_the_rest_in_the_body():
    gift = (
        "::Stalled::A mentee has missed two meetings.\n"
        "She says she is fine.\n"
        "What is the best first step? {=Ask what got in the way ~End the mentorship}"
    )
    question = only(gift)
    assert question.stem == "A mentee has missed two meetings."
    assert question.body_html == "<p>She says she is fine.\nWhat is the best first step?</p>\n"
    assert question.accepted_answers == ("Ask what got in the way",)


def test_escaped_characters_are_literal_text_and_backslash_n_is_a_new_line():
    gift = r"Is 1\:3 a \{ratio\} \~ \= \# or C\\D?\nExplain {=yes \= sure # \#1 ~no}"
    conversion = convert(gift)
    question = parse_quiz(QUIZ_PATH, conversion.markdown).questions[0]
    assert unescaped(question.stem) == "Is 1:3 a {ratio} ~ = # or C\\D?"
    assert question.stem_html == "Is 1:3 a {ratio} ~ = # or C\\D?"
    assert question.body_html == "<p>Explain</p>\n"
    assert options(question) == [("yes = sure", True), ("no", False)]
    assert "yes = sure: #1" in question.explanation_html


# --- Formats and escaping for our Markdown --------------------------------------------------


def test_html_is_reduced_to_text_with_its_paragraphs_and_entities():
    gift = (
        "::Feedback::[html]<p>In <b>ask-tell-ask</b>, what comes <em>first</em>?</p>"
        "<p>Think of the learner&rsquo;s view.</p><script>alert(1)</script>{"
        "=<p>Asking for the learner&\\#39;s own view</p>"
        "~<p>Telling &amp; showing</p>}"
    )
    question = only(gift)
    assert question.stem == "In ask-tell-ask, what comes first?"
    assert question.body_html == "<p>Think of the learner\u2019s view.</p>\n"
    assert options(question) == [
        ("Asking for the learner's own view", True),
        ("Telling & showing", False),
    ]
    assert "alert" not in convert(gift).markdown


def test_html_that_looks_like_tags_in_plain_text_is_shown_not_rendered():
    question = only("Is <b>bold</b> allowed? {=No ~<script>alert(1)</script>}")
    assert question.stem_html == "Is &lt;b&gt;bold&lt;/b&gt; allowed?"
    assert question.options[1].html == "&lt;script&gt;alert(1)&lt;/script&gt;"


def test_an_image_in_html_is_dropped_with_a_note():
    conversion = convert('[html]<p>Which chart?</p><img src="@@PLUGINFILE@@/a.png">{=A ~B}')
    assert conversion.notes == [(1, "an image in the HTML was dropped")]
    assert "img" not in conversion.markdown


def test_markdown_format_is_kept_as_markdown():
    question = only(
        "::Silence::[markdown]How long should you stay **silent**? {=About *five* s ~0}"
    )
    assert question.stem_html == "How long should you stay <strong>silent</strong>?"
    assert question.options[0].html == "About <em>five</em> s"


def test_a_markdown_list_in_a_question_body_does_not_become_options():
    question = only("[markdown]Consider:\n- one\n- two\n## Not a question {=a ~b}")
    assert options(question) == [("a", True), ("b", False)]
    assert "<li>" not in question.body_html and "Not a question" in question.body_html


def test_plain_and_moodle_format_markers_are_dropped_and_the_text_shown_as_written():
    quiz = quiz_of("[plain]Is *this* literal? {=Yes ~No}\n\n[moodle]And **this**? {T}")
    assert [q.stem_html for q in quiz.questions] == ["Is *this* literal?", "And **this**?"]


def test_text_that_would_break_our_format_is_escaped_and_shown_as_written():
    gift = (
        "Which option ends with \\{\\#id .text\\} {\n"
        "=[x] a checkbox\n"
        "~[ ] nothing\n"
        "~- a dash\n"
        "~<http://example.org>\n"
        "}"
    )
    question = only(gift)
    assert question.kind is QuestionKind.SINGLE and question.key == "which-option-ends-with-id-text"
    assert question.stem_html == "Which option ends with {#id .text}"
    assert [o.html for o in question.options] == [
        "[x] a checkbox",
        "[ ] nothing",
        "- a dash",
        "&lt;http://example.org&gt;",
    ]
    assert [o.correct for o in question.options] == [True, False, False, False]


def test_body_lines_that_look_like_markdown_blocks_stay_text():
    gift = (
        "Read the note\\n"
        "- not an option\\n"
        "1. not a list\\n"
        "## not a question\\n"
        "---\\n"
        "> not a quote\\n"
        "[ref]: /not-a-link\\n"
        "a | b\\n"
        "Which is right? {=this ~that}"
    )
    question = only(gift)
    assert options(question) == [("this", True), ("that", False)]
    for text in ("- not an option", "1. not a list", "## not a question", "&gt; not a quote"):
        assert text in question.body_html
    assert "[ref]: /not-a-link" in question.body_html and "a | b" in question.body_html
    assert "<li>" not in question.body_html and "<h" not in question.body_html


def test_blanks_and_lone_asterisks_that_render_as_written_are_not_escaped():
    markdown = convert("The model is called ___ {=GROW}\n\nIs 5 * 3 = 15? {T}").markdown
    assert "## The model is called ___ {#the-model-is-called .text}" in markdown
    assert "## Is 5 * 3 = 15? {#is-5-3-15 .single}" in markdown


def test_emphasis_markers_in_plain_text_are_escaped():
    question = only("Is *this* or _that_ right? {=Yes ~No}")
    assert question.stem == r"Is \*this\* or \_that\_ right?"
    assert question.stem_html == "Is *this* or _that_ right?"


# --- What is skipped ------------------------------------------------------------------------


def test_unsupported_question_types_are_skipped_and_reported_at_their_line():
    gift = (
        "// line 1\n"
        "Kept {=a ~b}\n"
        "\n"
        "::Match::Match them. {\n"
        "=Goal -> what they want\n"
        "=Reality -> where they are\n"
        "}\n"
        "\n"
        "How many minutes? {#45:15}\n"
        "\n"
        "A good mentor {=listens ~talks} more than they speak.\n"
        "\n"
        "// an essay\n"
        "::Essay::Describe a hard talk. {}\n"
        "\n"
        "Also kept {T}\n"
    )
    conversion = convert(gift)
    assert [(line, reason.split(" ")[0]) for line, reason in conversion.skipped] == [
        (4, "matching"),
        (9, "numerical"),
        (11, "missing-word"),
        (14, "essay"),
    ]
    assert conversion.question_ids == ["kept", "also-kept"]


def test_multiple_choice_with_two_fully_right_answers_is_skipped_as_ambiguous():
    conversion = convert("A mentor's role? {=Guide =Sponsor ~Supervisor}\n\nQ {=a ~%100%b ~c}")
    assert [line for line, _ in conversion.skipped] == [1, 3]
    assert "Moodle accepts any one of them" in conversion.skipped[0][1]
    assert conversion.question_ids == []


@pytest.mark.parametrize(
    ("gift", "reason"),
    [
        ("Just some text, no answers.", "description (no answer block)"),
        ("Unclosed {=a ~b", "braces do not match"),
        ("Closed first } then {=a}", "braces do not match"),
        ("Nested {=a {b} ~c}", "braces do not match"),
        ("Only one choice {~a}", "a multiple-choice question needs at least two answers"),
        ("Nobody is right {~a ~b}", "multiple choice with no right answer"),
        ("Half right {=%50%a ~b}", "multiple choice with no answer worth 100%"),
        ("Empty choice {=a ~ ~b}", "an answer has no text"),
        ("Only partial {=%50%a}", "short answer with no answer worth 100%"),
        ("{=a ~b}", "the question has no text"),
        ("::Name only::{T}", "the question has no text"),
    ],
)
def test_questions_that_do_not_parse_are_skipped_with_a_reason(gift, reason):
    conversion = convert(f"Good {{T}}\n\n// comment\n{gift}\n")
    assert len(conversion.skipped) == 1
    line, found = conversion.skipped[0]
    assert line == 4 and found.startswith(reason)
    assert conversion.question_ids == ["good"]


def test_partial_credit_in_a_single_choice_question_counts_as_wrong_with_a_note():
    conversion = convert("Best? {=Ask ~%50%Tell ~Leave}")
    question = parse_quiz(QUIZ_PATH, conversion.markdown).questions[0]
    assert question.accepted_answers == ("Ask",)
    assert conversion.notes == [(1, "partial credit for 'Tell' dropped: it counts as wrong")]


def test_a_file_with_nothing_convertible_yields_front_matter_only():
    conversion = convert("// nothing\n\n::E::Essay {}\n")
    assert conversion.markdown == "---\ntitle: Imported\ncourse: goals\n---\n"
    assert conversion.skipped == [(3, "essay question (no answers to grade) is not supported")]


# --- Properties -----------------------------------------------------------------------------

GIFT_PIECES = [
    *"{}=~#:\\%->[]<>*_`|&!TF \t/$01.ab\n",
    "\n\n",
    "::",
    "//",
    "####",
    "->",
    "%50%",
    "%-100%",
    "TRUE",
    "[html]",
    "[markdown]",
    "<p>",
    "</p>",
    "<!--",
    "&amp;",
    "- ",
    "1. ",
    "## ",
    "```",
    "___",
    "$CATEGORY:",
    "[x] ",
    "\\n",
    "word",
]
gift_like = st.lists(st.sampled_from(GIFT_PIECES), max_size=120).map("".join)


def check_loads(conversion: GiftConversion) -> None:
    if not conversion.question_ids:
        with pytest.raises(ContentError, match="the quiz has no questions"):
            parse_quiz(QUIZ_PATH, conversion.markdown)
        return
    quiz = parse_quiz(QUIZ_PATH, conversion.markdown)
    assert [q.key for q in quiz.questions] == conversion.question_ids


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=300), gift_like))
def test_conversion_never_raises_and_its_output_always_loads(text):
    conversion = convert(text)
    assert all(isinstance(line, int) and reason for line, reason in conversion.skipped)
    check_loads(conversion)


answer = st.tuples(
    st.sampled_from(["=", "~", "~%50%", "~%-50%", "=%50%"]),
    gift_like,
    st.sampled_from(["", "#", "#ok"]),
).map("".join)
question = st.tuples(
    st.sampled_from(["", "::Name::", "::a b::"]),
    st.sampled_from(["", "[html]", "[markdown]", "[plain]"]),
    gift_like,
    st.one_of(st.lists(answer, max_size=4).map(" ".join), st.sampled_from(["T", "F#a#b"])),
).map(lambda parts: f"{parts[0]}{parts[1]}{parts[2]} {{{parts[3]}}}")


@settings(max_examples=300, deadline=None)
@given(st.lists(question, min_size=1, max_size=4).map("\n\n".join))
def test_every_question_is_either_converted_so_that_it_loads_or_reported(text):
    conversion = convert(text)
    check_loads(conversion)
    assert all(not reason.startswith("could not be converted") for _, reason in conversion.skipped)


# --- Round trip: a realistic GIFT file into a content folder --------------------------------

EXPECTED = [
    # id, kind, stem, accepted answers (the right options), as mentoring.gift says
    (
        "reflective-listening",
        QuestionKind.SINGLE,
        'A mentee says "I was passed over again."',
        ("It sounds like you feel your work isn't being seen.",),
    ),
    (
        "smart-parts",
        QuestionKind.MULTIPLE,
        "Which are parts of a SMART goal?",
        ("Specific", "Time-bound"),
    ),
    (
        "mentee-owns-goals",
        QuestionKind.SINGLE,
        "The mentee, not the mentor, owns the mentee's goals.",
        ("True",),
    ),
    (
        "advice-first",
        QuestionKind.SINGLE,
        "A good mentor gives advice before asking any questions.",
        ("False",),
    ),
    (
        "grow",
        QuestionKind.TEXT,
        "The coaching model with Goal, Reality, Options and Way forward is called ___.",
        ("GROW", "the GROW model"),
    ),
    (
        "feedback-order",
        QuestionKind.SINGLE,
        "In the ask-tell-ask model, what comes first?",
        ("Asking for the learner's own view",),
    ),
    (
        "silence",
        QuestionKind.SINGLE,
        "How long should you stay **silent** after asking an open question?",
        ("About five seconds",),
    ),
    ("escapes", QuestionKind.SINGLE, "Which ratio is 1:3, written as a {fraction}?", ("1/3",)),
    (
        "who-owns-the-mentees-goals",
        QuestionKind.SINGLE,
        "Who owns the mentee's goals?",
        ("The mentee",),
    ),
    (
        "who-owns-the-mentees-goals-2",
        QuestionKind.SINGLE,
        "Who owns the mentee's goals?",
        ("True",),
    ),
    (
        "stalled-mentee",
        QuestionKind.SINGLE,
        "A mentee has missed two meetings.",
        ("Ask what got in the way",),
    ),
]
EXPECTED_SKIPS = [
    (52, "matching question is not supported"),
    (57, "numerical question is not supported"),
    (59, "missing-word question (text after the answer block) is not supported"),
    (61, "essay question (no answers to grade) is not supported"),
    (63, "multiple choice with 2 fully right answers"),
]


def test_a_realistic_gift_file_converts_into_content_that_loads(content_copy):
    conversion = convert_gift(
        MENTORING.read_text(encoding="utf-8"), course="goals", title="Mentoring basics"
    )
    (content_copy / "quizzes/goals-check.md").write_text(conversion.markdown, encoding="utf-8")

    content = load_content(content_copy)

    (quiz,) = content.quizzes
    assert (quiz.slug, quiz.title, quiz.course_slug) == ("goals-check", "Mentoring basics", "goals")
    found = [(q.key, q.kind, unescaped(q.stem), q.accepted_answers) for q in quiz.questions]
    assert found == EXPECTED
    assert [
        (line, reason[: len(expected)])
        for (line, reason), (_, expected) in zip(conversion.skipped, EXPECTED_SKIPS, strict=True)
    ] == EXPECTED_SKIPS
    reflective = quiz.questions[0]
    assert reflective.body_html == "<p>Which reply shows reflective listening?</p>\n"
    assert "heard." in reflective.explanation_html
    assert "That jumps to fixing the problem." in reflective.explanation_html
    assert "Nothing in SMART is about obligation." in quiz.questions[1].explanation_html


# --- The command ------------------------------------------------------------------------------


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A content folder (the fixture set) and the GIFT file, in a scratch directory."""
    shutil.copytree(FIXTURES / "content_ok", tmp_path / "content")
    shutil.copy(MENTORING, tmp_path / "mentoring.gift")
    return tmp_path


@pytest.fixture
def run(workspace: Path):
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PRECEPTOR_INSTANCE_PATH": str(workspace / "instance"),
        "PRECEPTOR_CONTENT_DIR": str(workspace / "content"),
    }

    def run_command(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [PRECEPTOR, *args],
            capture_output=True,
            text=True,
            env=environment,
            cwd=workspace,
            check=False,
            timeout=120,
        )

    return run_command


def test_import_gift_writes_the_course_quiz_and_reports_each_skipped_question(run, workspace):
    result = run("quizzes", "import-gift", "mentoring.gift", "--course", "goals")

    assert result.returncode == 0, result.stderr
    assert result.stdout == "wrote content/quizzes/goals.md: 11 questions, 5 skipped\n"
    assert result.stderr.splitlines() == [
        f"mentoring.gift:{line}: skipped: {reason}"
        for line, reason in convert_gift(
            MENTORING.read_text(encoding="utf-8"), course="goals", title="x"
        ).skipped
    ]
    assert result.stderr.startswith("mentoring.gift:52: skipped: matching question")
    written = (workspace / "content/quizzes/goals.md").read_text(encoding="utf-8")
    assert written.startswith("---\ntitle: Mentoring\ncourse: goals\n---\n")

    course = workspace / "content/courses/goals/course.md"
    course.write_text(course.read_text().replace("quiz: goals-check", "quiz: goals"))
    (workspace / "content/quizzes/goals-check.md").unlink()
    check = run("content", "check", str(workspace / "content"))
    assert (check.returncode, check.stderr) == (0, "")


def test_import_gift_refuses_to_overwrite_unless_forced(run, workspace):
    out = "content/quizzes/goals-check.md"
    refused = run("quizzes", "import-gift", "mentoring.gift", "--course", "goals", "--out", out)
    assert refused.returncode == 1
    assert refused.stderr == f"{out} already exists: use --force to replace it\n"
    assert "Goals check" in (workspace / out).read_text()

    forced = run(
        "quizzes",
        "import-gift",
        "mentoring.gift",
        "--course",
        "goals",
        "--out",
        out,
        "--title",
        "Mentoring: basics",
        "--force",
    )
    assert forced.returncode == 0, forced.stderr
    assert forced.stdout == f"wrote {out}: 11 questions, 5 skipped\n"
    quiz = load_content(workspace / "content").quizzes[0]
    assert (quiz.title, len(quiz.questions)) == ("Mentoring: basics", 11)


def test_import_gift_reports_an_unreadable_file_cleanly(run, workspace):
    missing = run("quizzes", "import-gift", "nothing.gift", "--course", "goals")
    assert missing.returncode == 1
    assert missing.stderr == "nothing.gift: cannot read file: No such file or directory\n"

    (workspace / "latin1.gift").write_bytes("Q? {=a ~b}\n\nCaf\xe9? {T}\n".encode("latin-1"))
    not_utf8 = run("quizzes", "import-gift", "latin1.gift", "--course", "goals")
    assert (not_utf8.returncode, not_utf8.stderr) == (1, "latin1.gift:3: file is not UTF-8 text\n")
    assert not (workspace / "content/quizzes/goals.md").exists()


def test_import_gift_with_nothing_convertible_exits_1_and_writes_nothing(run, workspace):
    (workspace / "essays.gift").write_text("::E::Write an essay. {}\n", encoding="utf-8")
    result = run("quizzes", "import-gift", "essays.gift", "--course", "goals")
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "essays.gift:1: skipped: essay question (no answers to grade) is not supported",
        "content/quizzes/goals.md:5: the quiz has no questions: add '## ' headings",
        "1 problem(s); content/quizzes/goals.md not written.",
    ]
    assert not (workspace / "content/quizzes/goals.md").exists()


def test_import_gift_rejects_a_course_that_is_not_a_slug_and_a_bom_is_read(run, workspace):
    bad = run("quizzes", "import-gift", "mentoring.gift", "--course", "Goal Setting")
    assert bad.returncode == 2 and "must be a course slug" in bad.stderr

    (workspace / "bom.gift").write_bytes("\ufeff::First::Q? {T}\n".encode())
    result = run("quizzes", "import-gift", "bom.gift", "--course", "goals", "--out", "q/bom.md")
    assert (result.returncode, result.stdout) == (0, "wrote q/bom.md: 1 question, 0 skipped\n")
    assert "{#first .single}" in (workspace / "q/bom.md").read_text(encoding="utf-8")
