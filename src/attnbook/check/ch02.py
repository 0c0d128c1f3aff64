"""Answer checkers for chapter 2's exercises (``ab.check.ex_2_k``)."""

from __future__ import annotations

import math

import numpy as np

from . import compare_array, compare_choice, compare_number, feedback  # noqa: F401

__all__ = ["ex_2_1", "ex_2_2", "ex_2_3", "ex_2_4"]

# Chapter 1's sentence, as chapter 2 reuses it (keys: animal, place, action).
_TOKENS = ["the", "cat", "sat", "on", "the", "mat"]
_K = np.array([[0.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0],
               [0.0, 0.3, 0.0], [0.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
_WHERE = np.array([0.0, 3.0, 0.0])


def ex_2_1(answer):
    """Exercise 2.1: Var(q·k) for entries of variance σ² = 4 and d_k = 16 (= σ⁴ d_k = 256)."""
    sigma2, d_k = 4.0, 16
    return compare_number(answer, sigma2 ** 2 * d_k, rtol=1e-3, what="your variance",
                          correct="Correct: each term q_i k_i has variance σ²·σ² = 16.",
                          slips={
        "Each term q_i k_i has variance E[q_i²]·E[k_i²] = σ²·σ², not σ².": sigma2 * d_k,
        "Where did σ go? With σ = 1 it would be d_k.": float(d_k),
        "Each term q_i k_i has variance σ²·σ² = 4·4 = 16, not σ·σ² = 2·4 = 8.":
            2 * sigma2 * d_k,
    })


def ex_2_2(answer):
    """Exercise 2.2: the temperature on the scaled scores that gives the unscaled weights at
    d_k = 1024 (τ = 1/√d_k = 1/32)."""
    d_k = 1024
    return compare_number(answer, 1 / math.sqrt(d_k), rtol=1e-3, what="your temperature",
                          correct="Correct: dividing the scaled scores by 1/32 multiplies "
                                  "them by 32.",
                          slips={
        "Upside down: softmax(s / τ) divides by τ, and the unscaled scores are the scaled "
        "ones *times* √d_k, so τ is below 1.": math.sqrt(d_k),
        "The scaled scores were divided by √d_k, not by d_k.": 1 / d_k,
        "The scaled scores were divided by √d_k, not by d_k; and softmax(s / τ) divides by "
        "τ.": float(d_k),
    })


def _where_weights(W: np.ndarray) -> np.ndarray:
    s = _K @ (W.T @ _WHERE)  # s_j = q^T W k_j
    e = np.exp(s - s.max())
    return e / e.sum()


def ex_2_3(answer):
    """Exercise 2.3: a 3 x 3 matrix W for the general score q^T W k under which "where?"
    gives "on" more weight than "mat". Many matrices work; the checker tests the effect."""
    if answer is None:
        return compare_array(None, np.eye(3))  # the standard "replace None" reply
    try:
        W = np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        return feedback("wrong", "Give W as a 3 x 3 list of lists or numpy array.")
    if W.shape != (3, 3):
        return feedback("wrong", f"W has shape {W.shape}; the general score here needs "
                                 "shape (3, 3) (d_q x d_k).")
    if not np.all(np.isfinite(W)):
        return feedback("wrong", "W contains NaN or infinity.")
    a = _where_weights(W)
    on, mat = a[_TOKENS.index("on")], a[_TOKENS.index("mat")]
    if np.isclose(on, mat, rtol=1e-9, atol=1e-12):
        return feedback("close", "Close: \"on\" and \"mat\" now tie. Both keys point along "
                                 "*place*; what sign must the place-place entry W[1, 1] "
                                 "have for the shorter key to score higher?")
    if on > mat:
        return feedback("correct", "Correct: \"on\" now beats \"mat\". Look at which words "
                                   "win overall — and why.")
    return feedback("wrong", "Not yet: \"mat\" still gets more weight than \"on\". Both keys "
                             "only have the *place* feature; which entry of W multiplies it "
                             "for the query \"where?\"?")


def ex_2_4(answer):
    """Exercise 2.4: the length L = L_q = L_k at which the additive score's projections cost
    as much as its per-pair work, for d_q = d_k = d_a = 64 (L = 64)."""
    return compare_number(answer, 64.0, rtol=1e-6, atol=0.5, what="your length",
                          correct="Correct: 4 d_a d L = 4 d_a L² when L = d = 64.",
                          slips={
        "Count both projections, the queries' and the keys': 2 d_a (d_q L_q + d_k L_k).":
            32.0,
        "Per pair the additive score does 4 d_a FLOPs (add, tanh, multiply-add), not 2 d_a.":
            128.0,
    })
