"""Grading rules: single and text right or wrong, multiple all or nothing."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.quizzes.grading import grade, is_correct, normalize_text

SINGLE = {"key": "s", "kind": "single", "points": 1, "correct": ["b"], "accepted": []}
MULTIPLE = {"key": "m", "kind": "multiple", "points": 2, "correct": ["a", "c"], "accepted": []}
TEXT = {
    "key": "t",
    "kind": "text",
    "points": 1,
    "correct": ["a"],
    "accepted": ["ask-tell-ask", "ask tell ask"],
}


def test_text_answers_ignore_case_spacing_and_trailing_punctuation():
    assert is_correct(TEXT, "  Ask   Tell ASK. ")
    assert is_correct(TEXT, "ask-tell-ask!")
    assert not is_correct(TEXT, "tell-ask-tell")
    assert normalize_text("GROW\u00a0 model?!") == "grow model"


def test_multiple_choice_is_all_or_nothing():
    assert is_correct(MULTIPLE, ["c", "a"])
    assert not is_correct(MULTIPLE, ["a"])
    assert not is_correct(MULTIPLE, ["a", "b", "c"])


def test_an_unanswered_question_is_wrong():
    assert not is_correct(SINGLE, None) and not is_correct(TEXT, None)


def test_pass_when_earned_times_100_reaches_pass_percent_times_possible():
    result = grade([SINGLE, MULTIPLE, TEXT], {"s": ["b"], "m": ["a", "c"], "t": "nope"})
    assert (result.earned, result.possible) == (3, 4)
    assert result.passed(75) and not result.passed(76)


@given(
    st.lists(st.integers(min_value=1, max_value=5), min_size=1, max_size=12),
    st.data(),
)
def test_the_score_is_the_sum_of_points_of_the_right_answers(points, data):
    snapshot = [
        {"key": f"q{i}", "kind": "single", "points": p, "correct": ["a"], "accepted": []}
        for i, p in enumerate(points)
    ]
    chosen = data.draw(
        st.lists(st.sampled_from(["a", "b"]), min_size=len(points), max_size=len(points))
    )
    result = grade(snapshot, {f"q{i}": [c] for i, c in enumerate(chosen)})
    assert result.possible == sum(points)
    assert result.earned == sum(p for p, c in zip(points, chosen, strict=True) if c == "a")
    assert 0 <= result.earned <= result.possible
    assert result.passed(100) == (result.earned == result.possible)


@given(
    st.dictionaries(
        st.text(max_size=5), st.one_of(st.text(max_size=20), st.lists(st.text(max_size=3)))
    )
)
def test_grading_never_fails_on_any_answers(answers):
    result = grade([SINGLE, MULTIPLE, TEXT], answers)
    assert result.possible == 4 and 0 <= result.earned <= 4


TEXT_QUESTION = {
    "key": "dimension",
    "kind": "text",
    "points": 1,
    "accepted": ["depersonalization", "ask tell ask", "GROW model"],
}


@pytest.mark.parametrize(
    ("typed", "counts"),
    [
        ("depersonalisation", True),  # one letter changed
        ("depersonaliztion", True),  # one dropped
        ("depersonallization", True),  # one added
        ("deperosnalization", True),  # two neighbors swapped
        ("  Depersonalization. ", True),
        ("depersonalsiaton", False),  # two typos
        ("ask tell ask", True),
        ("ask tel ask", False),  # a typo in a short word is a different word
        ("GROW modle", False),  # "model" has five letters
        ("grow model", True),
        ("askt ell ask", False),
        ("cynicism", False),
    ],
)
def test_a_text_answer_forgives_one_typo_in_a_word_of_six_letters_or_more(typed, counts):
    assert is_correct(TEXT_QUESTION, typed) is counts
