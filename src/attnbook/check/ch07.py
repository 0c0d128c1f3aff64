"""Answer checkers for chapter 7's exercises (``ab.check.ex_7_k``).

The chapter's numbers: sinusoidal positional encodings (``ab.sinusoidal_positional_encoding``),
64 positions of width 32 for the previous-token head of exercise 7.2, plain dot-product scores
(``scale=1.0``).
"""

from __future__ import annotations

import numpy as np

from . import compare_array, compare_choice, compare_number, feedback  # noqa: F401

__all__ = ["ex_7_1", "ex_7_2", "previous_token_worst_weight"]


def ex_7_1(answer):
    """Exercise 7.1: PE_1 · PE_3 for d_model = 4, by hand (radians)."""
    expected = np.cos(2.0) + np.cos(0.02)
    # 0.005: a by-hand answer to two decimals (0.58) counts, 0.59 does not
    return compare_number(answer, expected, rtol=0.0, atol=5e-3, what="your dot product",
                          correct="Correct: cos(2) + cos(0.02), one cosine per pair, each "
                                  "of the distance 2 times the pair's frequency.",
                          slips={
        "Your calculator is in degrees: the angles ω p are in radians.":
            np.cos(np.radians(2.0)) + np.cos(np.radians(0.02)),
        "That is the first pair alone: with d_model = 4 there are two (sine, cosine) pairs, "
        "and the slow one (ω = 0.01) adds almost 1.": np.cos(2.0),
        "You used p + q = 4; the product of two positions' pairs gives cos(ω (p − q)).":
            np.cos(4.0) + np.cos(0.04),
        "Did you multiply only the sines? Each pair adds sin·sin + cos·cos.":
            np.sin(1) * np.sin(3) + np.sin(0.01) * np.sin(0.03),
        "Check the second frequency: ω_1 = 10000^(−2·1/4) = 0.01, not 10000^(−1/4).":
            np.cos(2.0) + np.cos(0.2),
    })


def previous_token_worst_weight(c: float, length: int = 64, d_model: int = 32) -> float:
    """Exercise 7.2's quantity: the smallest weight any position p >= 1 puts on p - 1 when
    ``Q = c PE R_{-1}``, ``K = PE`` (plain dot-product scores)."""
    from ..positional import sinusoidal_positional_encoding, sinusoidal_shift_matrix

    pe = sinusoidal_positional_encoding(length, d_model)
    s = c * (pe @ sinusoidal_shift_matrix(-1, d_model)) @ pe.T
    s = s - s.max(axis=1, keepdims=True)
    w = np.exp(s) / np.exp(s).sum(axis=1, keepdims=True)
    return float(np.min(w[np.arange(1, length), np.arange(length - 1)]))


def _smallest_c(target: float = 0.9, length: int = 64, d_model: int = 32) -> float:
    lo, hi = 0.0, 64.0
    for _ in range(50):  # the worst weight grows with c: bisect
        mid = (lo + hi) / 2
        if previous_token_worst_weight(mid, length, d_model) > target:
            hi = mid
        else:
            lo = mid
    return hi


def ex_7_2(answer):
    """Exercise 7.2: the smallest c (to two significant digits) for which every position of 64
    (d_model = 32) puts more than 0.9 of its weight on the previous one."""
    if answer is None:
        return compare_number(None, 0.0)
    try:
        c = float(answer)
    except (TypeError, ValueError):
        return feedback("wrong", "Give c as a single number.")
    if not np.isfinite(c):
        return feedback("wrong", "c must be a finite number.")
    c_min = _smallest_c()
    if 0.99 * c_min <= c <= 1.05 * c_min:  # 4.2 (two digits) counts
        return feedback("correct", "Correct: from this c on, even the worst position puts "
                                   "more than 0.9 on its predecessor.")
    if abs(c - c_min * np.sqrt(32)) <= 0.05 * c_min * np.sqrt(32):
        return feedback("close", "Close. That is √32 times too large: pass scale=1.0, or "
                                 "scaled_dot_product_attention divides the scores by √d_k.")
    if 0.9 * c_min <= c < 0.99 * c_min:
        return feedback("close", "Close, but just short: at this c the worst position still "
                                 "puts less than 0.9 on the previous one. Look at the "
                                 "minimum over positions, not the average.")
    if 1.05 * c_min < c <= 3 * c_min:
        return feedback("close", "That c works, but it is not the smallest: try smaller "
                                 "values until the worst position drops below 0.9.")
    if c < c_min:
        return feedback("wrong", "Too small: some positions put well under 0.9 on the "
                                 "previous one. Print the smallest weight w[p, p - 1].")
    return feedback("wrong", "Far too large: find the c where the smallest weight "
                             "w[p, p - 1] crosses 0.9.")
