"""Answer checkers for chapter 10's exercises (``ab.check.ex_10_k``).

The chapter's numbers: the online normaliser of the scores (1, 3, 2) (exercise 10.1), the tiles
causal tiled attention reads for L = 32 in blocks of 4 (10.2), and the KV cache of a model with
grouped-query attention (10.4).
"""

from __future__ import annotations

import numpy as np

from . import compare_array, compare_choice, compare_number, feedback  # noqa: F401

__all__ = ["ex_10_1", "ex_10_2", "ex_10_4"]


def ex_10_1(answer):
    """Exercise 10.1: the running sum d after the scores 1, 3, 2 (online normaliser)."""
    expected = 1 + np.exp(-1.0) + np.exp(-2.0)
    return compare_number(answer, expected, rtol=2e-3, atol=2e-3, what="your running sum",
                          correct="Correct: d = e^(1-3) + e^(3-3) + e^(2-3), every term "
                                  "relative to the final maximum 3.",
                          slips={
        "You kept the old terms when the maximum rose from 1 to 3: multiply the sum so far by "
        "e^(m - m') = e^(1 - 3) before adding the new term.": 2 + np.exp(-1.0),
        "That is the sum of e^s without subtracting the maximum; the running sum is taken "
        "relative to the running maximum m.": np.exp(1.0) + np.exp(3.0) + np.exp(2.0),
        "You kept the first score as the reference: the maximum moves to 3 at the second "
        "step.": 1 + np.exp(2.0) + np.exp(1.0),
    })


def ex_10_2(answer):
    """Exercise 10.2: tiles causal tiled attention reads for L = 32 in blocks of 4."""
    n = 32 // 4
    return compare_number(answer, n * (n + 1) // 2, rtol=0, atol=0.01, what="your count",
                          correct="Correct: n(n + 1)/2 with n = 8 blocks per side.",
                          slips={
        "That is every tile, n²: the tiles entirely above the diagonal are skipped.": n * n,
        "You left out the diagonal tiles: they are read, with the mask.": n * (n - 1) // 2,
        "Half of n² leaves out half the diagonal: count the tiles row by row, "
        "1 + 2 + … + n.": n * n / 2,
    })


def ex_10_4(answer):
    """Exercise 10.4: the KV cache in GiB of 80 layers, 8 key/value heads of 128, 16-bit
    numbers, 8,192 tokens (grouped-query attention)."""
    layers, kv_heads, d_head, length, nbytes = 80, 8, 128, 8192, 2
    gib = 2 * layers * kv_heads * d_head * length * nbytes / 2**30
    return compare_number(answer, gib, rtol=2e-3, atol=1e-3, what="your cache size",
                          correct="Correct: 2 (keys and values) × 80 layers × 8 heads × 128 "
                                  "× 8,192 tokens × 2 bytes.",
                          slips={
        "The cache holds keys *and* values: twice that.": gib / 2,
        "That is the cache with all 64 query heads keeping their own keys and values "
        "(multi-head attention); with GQA only the 8 key/value heads are cached.": gib * 8,
        "That is in gigabytes (10^9 bytes); the exercise asks for GiB (2^30 bytes).":
            gib * 2**30 / 1e9,
        "16-bit numbers take 2 bytes, not 4.": gib * 2,
        "That is one layer; every layer keeps its own cache.": gib / layers,
    })
