"""The exercise machinery: answer-checker helpers (attnbook.check) and quizzes (attnbook.quiz)."""

import numpy as np
import pytest

import attnbook as ab
from attnbook.check import compare_array, compare_choice, compare_number


def test_compare_array_verdicts():
    expected = np.array([[0.2, 0.8], [0.5, 0.5]])
    assert compare_array(expected.tolist(), expected).verdict == "correct"
    assert compare_array(None, expected).verdict == "missing"
    assert "Replace None" in repr(compare_array(None, expected))
    slip = compare_array(expected * 2, expected, slips={"Did you forget to normalise?": expected * 2})
    assert slip.verdict == "close" and "normalise" in slip.message
    assert compare_array(expected.T, expected).verdict == "close"  # transposed
    wrong_shape = compare_array([1, 2, 3], expected)
    assert wrong_shape.verdict == "wrong" and "(3,)" in wrong_shape.message
    assert "(2, 2)" in wrong_shape.message
    assert compare_array("abc", expected).verdict == "wrong"
    assert compare_array([[np.nan, 1], [1, 1]], expected).verdict == "wrong"
    assert compare_array(expected + 0.3, expected).verdict == "wrong"


def test_feedback_never_shows_the_expected_value():
    out = repr(compare_array([0.1, 0.2], [0.123456, 0.654321]))
    assert "0.123" not in out and "0.654" not in out


def test_compare_number_and_predicates():
    assert compare_number(2.0005, 2.0)
    assert not compare_number(2.5, 2.0)
    assert compare_number([1, 2], 2.0).message == "Give a single number."
    close = compare_number(-2.0, 2.0, slips={"Check the sign.": lambda a: a < 0})
    assert close.verdict == "close" and "sign" in close.message


def test_compare_choice():
    options = {"a": "Yes, because …", "b": "No: …"}
    assert compare_choice("A", "a", options)
    assert compare_choice("b", "a", options).verdict == "wrong"
    assert compare_choice("z", "a", options).verdict == "wrong"
    assert compare_choice(None, "a", options).verdict == "missing"


def test_feedback_verdict_is_validated():
    with pytest.raises(ValueError, match="verdict"):
        ab.check.feedback("maybe", "x")


QUESTIONS = [
    ("Why divide by $\\sqrt{d_k}$?", [
        ("To make rows sum to 1.", False, "The softmax does that."),
        ("To keep the variance near 1.", True, "Var(q·k) = d_k for unit-variance entries."),
    ]),
    ("Is `softmax` <shift> invariant?", [
        ("Yes", True, "exp(s + c) = e^c exp(s) cancels."),
        ("No", False, "Try adding 5 to every score."),
    ]),
]


def test_quiz_renders_one_details_per_choice_and_a_key():
    html = ab.quiz(QUESTIONS)._repr_html_()
    assert html.count('class="quiz-question"') == 2
    assert html.count('<details class="quiz-choice"') == 4
    assert html.count('data-correct="true"') == 2
    assert "\\(\\sqrt{d_k}\\)" in html  # maths for MathJax
    assert "&lt;shift&gt;" in html and "<code>softmax</code>" in html  # escaped, code kept
    assert '<details class="quiz-key">' in html and "1: B; 2: A" in html
    assert repr(ab.quiz(QUESTIONS)).startswith("Quiz(2 questions")


@pytest.mark.parametrize("bad, error", [
    ([], ValueError),
    ("question?", TypeError),
    ([("q?", [("a", True, "x")])], ValueError),                      # one choice
    ([("q?", [("a", True, "x"), ("b", True, "y")])], ValueError),    # two correct
    ([("q?", [("a", False, "x"), ("b", False, "y")])], ValueError),  # none correct
    ([("q?", [("a", True, ""), ("b", False, "y")])], ValueError),    # no reason
    ([("q?", [("a", 1, "x"), ("b", False, "y")])], TypeError),       # not a bool
])
def test_quiz_rejects_bad_questions(bad, error):
    with pytest.raises(error):
        ab.quiz(bad)


def test_feedback_wraps_to_the_code_column():
    long = ab.check.feedback("close", "Close. " + "word " * 40)
    lines = repr(long).splitlines()
    assert len(lines) > 1 and all(len(line) <= 80 for line in lines)
    assert lines[1].startswith("  ")


def test_quiz_italics_and_control_characters():
    html = ab.quiz([("Is *soft* **bold**?", [("a*b*c", True, "x"), ("2 * 3 * 4", False, "y")])]
                   )._repr_html_()
    assert "<i>soft</i>" in html and "<b>bold</b>" in html
    assert "a*b*c" in html and "2 * 3 * 4" in html  # not italics
    with pytest.raises(ValueError, match="raw string"):
        ab.quiz([("Why $\tau$?", [("a", True, "x"), ("b", False, "y")])])
