"""Answer checkers for chapter 5's exercises (``ab.check.ex_5_k``).

The chapter's numbers: the sentence "the cat chased mice because it was hungry" in the toy
embedding table, hand-made projections with 8 query/key dimensions (``d_k = 8``) and
``scale=6.0`` on ``W_Q``: the singular feature maps to the singular dimension with weight 6 in
the queries and 1 in the keys; "cat", "it" and "was" have singular keys.
"""

from __future__ import annotations

import numpy as np

from . import compare_array, compare_choice, compare_number, feedback  # noqa: F401

__all__ = ["ex_5_1", "ex_5_3", "ex_5_5"]

TOKENS = ["the", "cat", "chased", "mice", "because", "it", "was", "hungry"]
_D_K = 8


def _softmax(s: np.ndarray) -> np.ndarray:
    e = np.exp(s - s.max())
    return e / e.sum()


def _one_hot(words) -> np.ndarray:
    return np.array([t in words for t in TOKENS], dtype=float)


def _was_scores(scale: float) -> np.ndarray:
    """Scores of "was" (query: 6 on singular) against the 8 keys, times ``scale``."""
    return 6.0 * _one_hot(("cat", "it", "was")) * scale


def ex_5_1(answer):
    """Exercise 5.1: the 8 weights of "was" in the chapter's sentence, by hand."""
    s = _was_scores(1 / np.sqrt(_D_K))
    return compare_array(answer, _softmax(s), rtol=2e-2, atol=5e-3, what="your row of weights",
                         correct="Correct: \"cat\", \"it\" and \"was\" tie at about 0.28; the "
                                 "five others share what is left.",
                         slips={
        "Those are the scores; the weights are their softmax.": s,
        "A score of 0 still gives e⁰ = 1: the five other keys keep some weight.":
            lambda a: a.shape == (8,) and bool(np.all(a[_one_hot(("cat", "it", "was")) == 0]
                                                      == 0)),
        "Did you divide by √d_k = √8? The scores are 6/√8, not 6.":
            _softmax(_was_scores(1.0)),
        "Divide by √d_k, not by d_k: the scores are 6/√8.": _softmax(_was_scores(1 / _D_K)),
        "\"was\" has a non-zero query: it carries the singular feature. Which keys offer "
        "singular?": np.full(8, 1 / 8),
        "Which keys are singular? \"it\" and \"was\" itself have singular keys too.":
            _softmax(6.0 * _one_hot(("cat",)) / np.sqrt(_D_K)),
    })


def ex_5_3(answer):
    """Exercise 5.3: the 8 weights of "was" once verbs look for a noun (weight 1, scale 6)."""
    s = (6.0 * _one_hot(("cat", "mice")) + 6.0 * _one_hot(("cat", "it", "was"))) / np.sqrt(_D_K)
    chased = 6.0 * _one_hot(("cat", "mice")) / np.sqrt(_D_K)
    return compare_array(answer, _softmax(s), rtol=2e-2, atol=5e-3, what="your row of weights",
                         correct="Correct: \"was\" now finds the singular noun, \"cat\", with "
                                 "about 0.71.",
                         slips={
        "That is the row of \"was\" before the change: did you rebuild W_Q with the verb "
        "entry and recompute Q?": _softmax(_was_scores(1 / np.sqrt(_D_K))),
        "That is the row of \"chased\"; the exercise asks for \"was\" (position 6).":
            _softmax(chased),
        "Those are the scores; the weights are their softmax.": s,
        "Did you divide by √d_k = √8?": _softmax(s * np.sqrt(_D_K)),
    })


def ex_5_5(answer):
    """Exercise 5.5: the smallest L whose float32 L x L weight matrix exceeds 1 GiB."""
    return compare_number(answer, 16385, rtol=0, atol=0.5, what="your length",
                          correct="Correct: 4 · 16384² bytes is exactly 1 GiB, so L = 16384 "
                                  "still fits and 16385 does not.",
                          slips={
        "At L = 16384 the matrix takes exactly 2³⁰ bytes = 1 GiB: it still fits. The "
        "exercise asks for the first length that does not.": 16384,
        "float32 takes 4 bytes per number, not 8 (that is float64).":
            lambda a: abs(float(a) - 11586) <= 1,
        "1 GiB is 2³⁰ = 1,073,741,824 bytes, not 10⁹.": lambda a: abs(float(a) - 15812) <= 1,
    })
