"""Answer checkers for chapter 12's exercises (``ab.check.ex_12_k``).

The chapter's numbers: the memory networks of :mod:`attnbook.memnet` (shipped weights) on the
test stories of :mod:`attnbook.babi`; exercise 12.2's hop is a hand-sized example.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from . import compare_array, compare_choice, compare_number, feedback  # noqa: F401

__all__ = ["ex_12_1", "ex_12_2", "ex_12_3", "ex_12_4", "HOP_U", "HOP_M", "HOP_C",
           "SLIDER_STORY"]

#: Exercise 12.2: the state, memory (key) and output (value) vectors of a hand-sized hop.
HOP_U = np.array([1.0, 0.0])
HOP_M = np.array([[2.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
HOP_C = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
#: Exercise 12.3: (task, index in the test split) of the story the exercise asks about.
SLIDER_STORY = ("two", 0)


def _position(J: int, d: int, j, k):
    j, k = np.asarray(j, float), np.asarray(k, float)
    return (1 - j / J) - (k / d) * (1 - 2 * j / J)


def ex_12_1(answer):
    """Exercise 12.1: position-encoding weights of the first and last word of a 5-word sentence
    (rows j = 1, 5) in the first and last embedding dimension (columns k = 1, 20), d = 20."""
    j, k = np.array([[1], [5]]), np.array([[1, 20]])
    expected = _position(5, 20, j, k)
    return compare_array(answer, expected, rtol=1e-3, atol=2e-3, what="your 2 x 2 array",
                         correct="Correct: the first word weighs 0.77 in dimension 1 and "
                                 "0.2 in dimension 20, the last word 0.05 and 1.",
                         slips={
        "Count the words from 1, not 0: j = 1 is the first word, j = J = 5 the last.":
            _position(5, 20, j - 1, k),
        "Count the dimensions from 1: k = 1 and k = d = 20.": _position(5, 20, j, k - 1),
        "d is the embedding size, 20; J is the number of words, 5.": _position(20, 5, j, k),
    })


def _hop(u, m, c, softmax=True):
    s = m @ u
    p = np.exp(s - s.max()) / np.exp(s - s.max()).sum() if softmax else s
    return u + p @ c


def ex_12_2(answer):
    """Exercise 12.2: the next state u² = u¹ + o¹ of the hand-sized hop."""
    expected = _hop(HOP_U, HOP_M, HOP_C)
    return compare_array(answer, expected, rtol=1e-3, atol=2e-3, what="your state vector",
                         correct="Correct: the first memory wins (score 2) and o¹ ≈ "
                                 "[0.91, 0.33] is added to u¹.",
                         slips={
        "That is o¹ alone: a hop adds its output to the state, u² = u¹ + o¹.":
            expected - HOP_U,
        "The output mixes the values c_i (HOP_C), not the memories m_i that were scored.":
            _hop(HOP_U, HOP_M, HOP_M),
        "Without a softmax this is a linear-start hop; the trained model normalises the "
        "scores.": _hop(HOP_U, HOP_M, HOP_C, softmax=False),
        "The memory network does not divide its scores by √d (scale=1.0).":
            _hop(HOP_U, HOP_M / np.sqrt(2), HOP_C),
    })


@lru_cache(maxsize=None)
def _slider_answer() -> int:
    from .. import babi, memnet
    task, index = SLIDER_STORY
    example = babi.split(task, "test")[index]
    weights = memnet.MemNet.load(task).run([example]).hop_weights(0)
    return int(weights[1].argmax()) + 1


def ex_12_3(answer):
    """Exercise 12.3: the number (from 1) of the sentence with hop 2's highest weight in the
    slider's first "two" story."""
    if answer is None:
        return compare_number(None, 0)
    expected = _slider_answer()
    return compare_number(answer, expected, rtol=0, atol=0.01, what="your sentence number",
                          correct=f"Correct: hop 2 looks hardest at sentence {expected}.",
                          slips={
        "Number the sentences from 1, as the figure does.": expected - 1,
    })


@lru_cache(maxsize=None)
def _no_time_accuracy() -> float:
    from .. import babi, memnet
    model = memnet.MemNet.load("single")
    for name, table in model.params.items():
        if name.startswith("T"):
            model.params[name] = np.zeros_like(table)
    return memnet.evaluate(model).accuracy


def ex_12_4(answer):
    """Exercise 12.4: test accuracy (a fraction) of the single-supporting-fact model with its
    temporal encoding set to zero."""
    if answer is None:
        return compare_number(None, 0)
    expected = _no_time_accuracy()
    return compare_number(answer, expected, rtol=0, atol=0.01, what="your accuracy",
                          correct=f"Correct: about {expected:.0%}, down from nearly 100 %.",
                          slips={
        "Give the accuracy as a fraction between 0 and 1, not a percentage.":
            lambda a: abs(float(a) - 100 * expected) < 1,
        "That is the trained model's accuracy: zero the tables T0..T3 first.":
            lambda a: float(a) > 0.98,
    })
