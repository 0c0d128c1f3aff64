"""Answer checkers for chapter 1's exercises (``ab.check.ex_1_k``).

The chapter's numbers: the sentence "the cat sat on the mat" with hand-made keys ``K`` (features
animal, place, action) and values ``V`` (feline, furniture, sitting, grammar), scored with the
plain dot product (``scale=1.0``).
"""

from __future__ import annotations

import numpy as np

from . import compare_array, compare_choice, compare_number, feedback  # noqa: F401

__all__ = ["ex_1_1", "ex_1_3", "ex_1_4"]

_K = np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0],
               [0.0, 0.3, 0.0], [0.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
_V = np.array([[0, 0, 0, 1], [1, 0, 0, 0], [0, 0, 1, 0],
               [0, 0.5, 0, 0.5], [0, 0, 0, 1], [0, 1, 0, 0]], dtype=float)


def _softmax(s: np.ndarray) -> np.ndarray:
    e = np.exp(s - s.max())
    return e / e.sum()


def _is_uniform_weights(a: np.ndarray) -> bool:
    return a.shape == (6,) and bool(np.allclose(a, 1 / 6, atol=1e-3))


def ex_1_1(answer):
    """Exercise 1.1: the context vector (4 numbers) of the query [0, 0, 0]."""
    expected = _V.mean(axis=0)
    distinct = np.delete(_V, 4, axis=0).mean(axis=0)  # "the" counted once
    return compare_array(answer, expected, rtol=1e-3, atol=2e-3, what="your context vector",
                         correct="Correct: all six weights are 1/6; c is the average value.",
                         slips={
        "Those are the weights; the exercise asks for the context vector, the weighted sum "
        "of the values (4 numbers).": _is_uniform_weights,
        "You averaged the keys. The weights come from the keys, but the output mixes the "
        "values.": _K.mean(axis=0),
        "You added the values up. The weights must sum to 1, so each of the six is 1/6, "
        "not 1.": _V.sum(axis=0),
        "Both \"the\" tokens are keys of their own: six keys, six weights.": distinct,
    })


def ex_1_3(answer):
    """Exercise 1.3: the six weights of the query "on what?" = [0, 3, 3] (plain dot product)."""
    q = np.array([0.0, 3.0, 3.0])
    s = _K @ q
    return compare_array(answer, _softmax(s), rtol=1e-3, atol=1e-3, what="your row of weights",
                         correct="Correct: \"sat\" and \"mat\" tie, \"on\" gets a little.",
                         slips={
        "These are the scaled weights: pass scale=1.0 to ab.scaled_dot_product_attention "
        "(by default it divides the scores by √d_k = √3).": _softmax(s / np.sqrt(3)),
        "Did you skip the exponential? Dividing the scores by their sum is not a "
        "softmax.": s / s.sum(),
        "That looks like a context vector (4 numbers); the exercise asks for the six "
        "weights.": lambda a: a.shape == (4,),
        "Those are the scores; turn them into weights with the softmax.": s,
    })


def ex_1_4(answer):
    """Exercise 1.4: the temperature at which "cat" gets exactly half of "who?"'s weight."""
    expected = 3 / np.log(5)
    # rtol 3e-3 accepts 1.86, the answer rounded to the two decimals the solution quotes
    return compare_number(answer, expected, rtol=3e-3, atol=0.0, what="your temperature",
                          correct="Correct: e^(3/τ) must equal 5, so τ = 3 / ln 5.",
                          slips={
        "That is the first slider stop past the answer: solve "
        "e^(3/τ) / (e^(3/τ) + 5) = 1/2 for the exact τ.": 2.0,
        "Upside down: the score is divided by τ, so τ = 3 / ln 5, not ln 5 / 3.":
            np.log(5) / 3,
        "The denominator holds \"cat\" itself and five other words: e^(3/τ) must equal 5, "
        "not 6.": 3 / np.log(6),
        "Use the natural logarithm (the softmax uses e).": 3 / np.log10(5),
    })
