"""Answer checkers for chapter 4's exercises (``ab.check.ex_4_k``)."""

from __future__ import annotations

import numpy as np

from . import compare_array, compare_choice, compare_number, feedback  # noqa: F401

__all__: list[str] = ["ex_4_1", "ex_4_2"]

# The chapter's hand-written states (features det, black, cat, drink, milk, end, article).
_OWN = np.eye(7)[:6]
_ENCODER = _OWN.copy()
_ENCODER[1:] += 0.25 * _OWN[:-1]
_ENCODER[:-1] += 0.25 * _OWN[1:]
_H1 = np.array([2.5, 0, 1.0, 0, 0, 0, 1.5])     # step 1, 'le'
_H2 = np.array([0, 0, 3.0, 0, 0, 0, 0])         # step 2, 'chat'


def _softmax(s):
    z = np.exp(s - s.max())
    return z / z.sum()


def ex_4_1(answer):
    """Exercise 4.1: the six dot-product scores of step 1, [2.5, 0.875, 1, 0.25, 0, 0]."""
    scores = _ENCODER @ _H1
    return compare_array(
        answer, scores, rtol=0.0, atol=0.006, what="your scores",
        correct="Correct: det and cat are the only features the query shares with the source, "
                "so 'the' leads, then 'cat', then 'black'.",
        slips={
            "You left out the neighbours: every encoder state also carries a quarter of each "
            "neighbour's feature.": _OWN @ _H1,
            "Those are the weights (after the softmax); the exercise asks for the scores.":
                _softmax(scores),
            "The chapter's step uses the plain dot product (score='dot'), not divided by "
            "√d.": scores / np.sqrt(7.0),
        })


def ex_4_2(answer):
    """Exercise 4.2: the weight of 'cat' at step 2 with the general score W = 2I."""
    dot = _ENCODER @ _H2
    return compare_number(
        answer, float(_softmax(2 * dot)[2]), rtol=0.0, atol=0.006, what="your weight",
        correct="Correct: W = 2I doubles every score — the dot score at temperature 1/2.",
        slips={
            "That is the weight with the dot score; h_t W h_j with W = 2I doubles every "
            "score.": float(_softmax(dot)[2]),
            "You halved the scores; W = 2I doubles them.": float(_softmax(dot / 2)[2]),
            "That is a score, not a weight: apply the softmax over the six source words.":
                float(2 * dot[2]),
            "A weight lies between 0 and 1.": lambda a: not 0.0 <= float(a) <= 1.0,
        })
