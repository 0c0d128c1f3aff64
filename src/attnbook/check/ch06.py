"""Answer checkers for chapter 6's exercises (``ab.check.ex_6_k``).

The chapter's numbers: the sentence "the big dog saw the small cat and it ran" (``L = 10``) with
20 word features and 10 one-hot positions (``d_model = 30``), and three hand-built heads of
``d_head = 10`` whose matching keys score exactly 8 (previous token, same part of speech, first
token).
"""

from __future__ import annotations

import math

import numpy as np

from . import compare_array, compare_choice, compare_number, feedback  # noqa: F401

__all__ = ["ex_6_1", "ex_6_2", "ex_6_3", "ex_6_5"]

TOKENS = ["the", "big", "dog", "saw", "the", "small", "cat", "and", "it", "ran"]
_L = len(TOKENS)


def _row(keys, score: float) -> np.ndarray:
    """Softmax of a row that scores ``score`` on ``keys`` and 0 elsewhere."""
    e = np.ones(_L)
    e[list(keys)] = math.exp(score)
    return e / e.sum()


def ex_6_1(answer):
    """Exercise 6.1: the 10 weights of "dog" (position 2) when the three hand-built heads are
    one head of width 30."""
    s = 8 * math.sqrt(10) / math.sqrt(30)  # each job's score, rescaled by sqrt(10/30)
    return compare_array(answer, _row([0, 1, 2, 6], s), rtol=2e-2, atol=5e-3,
                         what="your row of weights",
                         correct="Correct: four keys share the weight, about 0.25 each — one "
                                 "softmax had to compromise between three jobs.",
                         slips={
        "\"dog\" is a noun too: the same-kind job makes it score its own key.":
            _row([0, 1, 6], s),
        "The first-token job adds a score for position 0 (\"the\") in every row.":
            _row([1, 2, 6], s),
        "Only position 0 is the first token; the second \"the\" gets nothing from that "
        "job.": _row([0, 1, 2, 4, 6], s),
        "That is head 1's row with three heads; with h = 1 the three jobs' scores share "
        "one softmax.": _row([1], 8.0),
        "A uniform row would mean no job matches; which keys does each job pick for "
        "\"dog\"?": np.full(_L, 1 / _L),
    })


def ex_6_2(answer):
    """Exercise 6.2: the (10, 10) weights of a next-token head."""
    if answer is None:
        return compare_array(None, 0)
    try:
        w = np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        return feedback("wrong", "Give the head's weights as a (10, 10) array.")
    if w.shape != (_L, _L):
        return feedback("wrong", f"Your weights have shape {w.shape}; the head's weights "
                                 f"for this sentence are ({_L}, {_L}).")
    if not np.all(np.isfinite(w)) or not np.allclose(w.sum(axis=-1), 1, atol=1e-3):
        return feedback("wrong", "Every row of attention weights sums to 1; pass the "
                                 "weights, not the scores.")
    nxt = np.array([w[i, i + 1] for i in range(_L - 1)])
    prev = np.array([w[i, i - 1] for i in range(1, _L)])
    if nxt.min() > 0.9:
        return feedback("correct", "Correct: every token but the last puts nearly all its "
                                   "weight on the token after it.")
    if prev.min() > 0.9:
        return feedback("close", "Close: that is still the previous-token head. The query of "
                                 "position i must match the key of position i + 1.")
    if nxt.min() > 0.3:
        return feedback("close", "Close: the next token gets the most weight, but not nearly "
                                 "all. Did you keep the query weight strength·√d_head?")
    return feedback("wrong", "Not yet: look at which slot the query of position i writes to "
                             "in the previous-token head's W_Q block, and move it by two.")


def ex_6_3(answer):
    """Exercise 6.3: the 10 weights of the first "the" in a determiner -> noun head."""
    return compare_array(answer, _row([2, 6], 8.0), rtol=2e-2, atol=5e-3,
                         what="your row of weights",
                         correct="Correct: \"the\" splits its weight between the two nouns, "
                                 "\"dog\" and \"cat\" — nothing in the features says which "
                                 "noun is its own.",
                         slips={
        "That is the same-kind head: the query must read determiner and the key noun.":
            _row([0, 4], 8.0),
        "Nothing in the features tells the two nouns apart: \"dog\" and \"cat\" both offer "
        "noun, so they score the same.": _row([2], 8.0),
        "Did the pronoun \"it\" get a noun key? Only \"dog\" and \"cat\" are nouns.":
            _row([2, 6, 8], 8.0),
    })


def ex_6_5(answer):
    """Exercise 6.5: MiB of float32 weights of one BERT-base layer (h = 12) at L = 512."""
    return compare_number(answer, 12.0, rtol=1e-3, what="your number of MiB",
                          correct="Correct: 12 × 512² weights × 4 bytes = 12 MiB, twelve "
                                  "times the 1 MiB of a single head.",
                          slips={
        "float32 takes 4 bytes per number, not 8.": 24.0,
        "That is h = 1; BERT-base has 12 heads, each with its own 512 × 512 weights.": 1.0,
        "That is in megabytes of 10⁶ bytes; the exercise asks for MiB (2²⁰ bytes).":
            lambda a: abs(float(a) - 12 * 512**2 * 4 / 1e6) < 0.01,
    })
