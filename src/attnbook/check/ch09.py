"""Answer checkers for chapter 9's exercises (``ab.check.ex_9_k``).

The chapter's numbers: all-MiniLM-L6-v2 (6 layers, 12 heads) on "The animal didn't cross the
street because it was too tired." (``L = 16`` tokens with ``[CLS]`` and ``[SEP]``) and six more
sentences; layers and heads are named from 1 in the text.
"""

from __future__ import annotations

import numpy as np

from . import compare_array, compare_choice, compare_number, feedback  # noqa: F401

__all__ = ["ex_9_1", "ex_9_2", "ex_9_3"]

_L = 16


def ex_9_1(answer):
    """Exercise 9.1: (previous-token score, [CLS]/[SEP] score) of a uniform head, L = 16."""
    return compare_array(answer, [1 / _L, 2 / _L], rtol=1e-2, atol=1e-3,
                         what="your pair of scores",
                         correct="Correct: 1/16 and 2/16 — the bar a trained head must clear "
                                 "before its score means anything.",
                         slips={
        "The previous-token score averages weights of 1/L each; averaging over the L - 1 "
        "rows that have a previous token does not turn 1/L into 1/(L - 1).":
            [1 / (_L - 1), 2 / _L],
        "The [CLS]/[SEP] score adds two columns: each row gives 1/L to [CLS] and 1/L to "
        "[SEP].": [1 / _L, 1 / _L],
        "Each weight is 1/L with L = 16 keys (the special tokens count).":
            [1 / (_L - 2), 2 / (_L - 2)],
        "Give the previous-token score first, then the [CLS]/[SEP] score.":
            [2 / _L, 1 / _L],
    })


def ex_9_2(answer):
    """Exercise 9.2: [CLS]'s share of the summed norms (0.9 * 0.17 vs 0.1 * 5)."""
    cls, other = 0.9 * 0.17, 0.1 * 5.0
    return compare_number(answer, cls / (cls + other), rtol=2e-2, atol=2e-3,
                          what="your share",
                          correct="Correct: about 0.23 — nine tenths of the weight, under a "
                                  "quarter of the norm.",
                          slips={
        "That is the share of the weights; multiply each weight by its vector's norm.": 0.9,
        "Keep the weights: the norms to compare are ||alpha_j f(x_j)||, not ||f(x_j)||.":
            0.17 / 5.17,
        "That is [CLS]'s term alone; divide it by the sum of both terms.": cls,
        "That is the other token's share; the question asks for [CLS]'s.":
            other / (cls + other),
    })


def ex_9_3(answer):
    """Exercise 9.3: the next-token head, as (layer, head) named from 1."""
    if answer is None:
        return compare_array(None, 0)
    try:
        pair = np.asarray(answer, dtype=float).ravel()
    except (TypeError, ValueError):
        return feedback("wrong", "Give the head as a pair (layer, head), e.g. (1, 3).")
    if pair.size != 2:
        return feedback("wrong", "Give the head as a pair (layer, head), e.g. (1, 3).")
    layer, head = (int(round(v)) for v in pair)
    if (layer, head) == (2, 9):
        return feedback("correct", "Correct: layer 2, head 9, with a score of about 0.62 — "
                                   "clear of the uniform 0.08, far below the previous-token "
                                   "head's 1.00.")
    if (layer, head) == (1, 8):
        return feedback("close", "Close: those are the array indices. The text names layers "
                                 "and heads from 1: add 1 to both.")
    if (layer, head) in {(1, 3), (0, 2)}:
        return feedback("close", "That is the previous-token head: score with "
                                 "offset_attention(a, +1), not -1.")
    if (layer, head) == (9, 2):
        return feedback("close", "Close: give the layer first, then the head.")
    return feedback("wrong", "Not yet: average ab.offset_attention(a, +1) over the seven "
                             "sentences and take the argmax of the (6, 12) array.")
