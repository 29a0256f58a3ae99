"""Whatever an author writes in a course, lesson, certification or quiz file, `content
check` answers with problems at real lines, never a crash: hypothesis writes the files."""

import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.content import ContentError, load_content

FIXTURE = Path(__file__).parents[1] / "fixtures" / "content_ok"

# Pieces an author's file is made of, so the examples reach past the first check.
LINE = st.one_of(
    st.text(max_size=60),
    st.sampled_from(
        [
            "---", "title: Listening", "summary: How to listen", "order: 2", "order: x",
            "estimated_minutes: -5", "quiz: goals-check", "quiz: [1, 2]", "::: note", ":::",
            "::: reflect", "| a | b |", "|---|---|", "## A question {#q .single}", "- [x] yes",
            "- [ ] no", "> because", "courses: [listening]", "- id: test-mentor",
            "valid_for_months: 0", "renewal_window_days: 999999", "title:", ": :", "\t- x",
        ]
    ),
)  # fmt: skip
FILE_TEXT = st.lists(LINE, max_size=25).map("\n".join)
TARGETS = [
    "courses/listening/course.md",
    "courses/listening/01-reflect.md",
    "courses/goals/course.md",
    "courses/certifications.yml",
    "quizzes/goals-check.md",
]


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.sampled_from(TARGETS), st.one_of(FILE_TEXT, st.text(max_size=400)))
def test_any_file_text_loads_or_reports_problems_at_real_lines(target, text):
    with tempfile.TemporaryDirectory() as scratch:
        content = Path(scratch) / "content"
        shutil.copytree(FIXTURE, content)
        path = content / target
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        try:
            load_content(content)
        except ContentError as error:
            assert error.problems
            for problem in error.problems:
                assert problem.line >= 1 and problem.message.strip()
                if problem.path == path:
                    assert problem.line <= max(1, text.count("\n") + 2)
