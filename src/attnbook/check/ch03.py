"""Answer checkers for chapter 3's exercises (``ab.check.ex_3_k``)."""

from __future__ import annotations

import numpy as np

from . import compare_array, compare_choice, compare_number, feedback  # noqa: F401

__all__: list[str] = ["ex_3_1", "ex_3_2", "ex_3_3", "ex_3_4"]

# The chapter's "clear winner" row of scores (exercise 3.2).
_CLEAR_WINNER = np.array([4.0, 1.0, 0.5, 0.0, 0.0, -1.0])
_GRADED = np.array([2.5, 2.0, 1.5, 1.0, 0.5, 0.0])


def _softmax(s, tau=1.0):
    z = np.exp((s - s.max()) / tau)
    return z / z.sum()


def _entropy(w):
    w = w[w > 0]
    return float(-(w * np.log(w)).sum())


def _temperature_for(scores, target, lo=0.01, hi=100.0):
    """The temperature at which softmax(scores / τ) has entropy ``target`` (bisection in log τ;
    the entropy of a softmax rises with its temperature)."""
    for _ in range(200):
        mid = np.sqrt(lo * hi)
        if _entropy(_softmax(scores, mid)) < target:
            lo = mid
        else:
            hi = mid
    return float(np.sqrt(lo * hi))


def ex_3_1(answer):
    """Exercise 3.1: the weights of s = [ln 4, ln 2, 0] at τ = 1/2 (exactly [16, 4, 1] / 21)."""
    return compare_array(
        answer, np.array([16.0, 4.0, 1.0]) / 21.0, rtol=2e-3, atol=1e-3,
        what="your weights",
        correct="Correct: halving τ doubles the scores, so every e^{s_j} is squared before "
                "normalising — 16, 4, 1 out of 21.",
        slips={
            "Those are the weights at τ = 1 (4, 2, 1 out of 7): divide the scores by τ = 1/2, "
            "i.e. double them, before the softmax.": np.array([4.0, 2.0, 1.0]) / 7.0,
            "You multiplied the scores by τ; the softmax divides them by τ.":
                np.array([2.0, np.sqrt(2.0), 1.0]) / (3.0 + np.sqrt(2.0)),
            "Those are the numerators e^{s_j/τ}: divide them by their sum.":
                np.array([16.0, 4.0, 1.0]),
            "Weights must sum to 1: divide by the sum of the exponentials.":
                lambda a: a.shape == (3,) and not np.isclose(a.sum(), 1.0, atol=1e-3),
        })


def ex_3_2(answer):
    """Exercise 3.2: the temperature at which the clear-winner row has entropy 1 nat."""
    tau = _temperature_for(_CLEAR_WINNER, 1.0)
    return compare_number(
        answer, tau, rtol=5e-3, atol=0.0, what="your temperature",
        correct=f"Correct: at τ ≈ {tau:.3f} the clear winner's entropy is 1 nat.",
        slips={
            "That τ gives 1 bit (log 2 ≈ 0.69 nats); ab.entropy measures in nats, natural "
            "logs.": _temperature_for(_CLEAR_WINNER, np.log(2.0)),
            "That is where the *graded* row reaches 1 nat; the exercise asks about the clear "
            "winner, S[0].": _temperature_for(_GRADED, 1.0),
            "That is a stop of the slider; the crossing lies between two stops — narrow it "
            "down with ab.softmax and ab.entropy.":
                lambda a: any(np.isclose(float(a), x) for x in (0.5, 1.0, 2.0, 5.0)),
            "The entropy rises with τ: at τ = 1 it is below 1 nat and at τ = 2 above, so the "
            "answer lies between them.": lambda a: not 1.0 < float(a) < 2.0,
        })


def ex_3_3(answer):
    """Exercise 3.3: log10 of the true weight e^{-1000} / (1 + 2 e^{-1000}) = -1000 / ln 10."""
    exponent = -1000.0 / np.log(10.0)
    return compare_number(
        answer, exponent, rtol=0.0, atol=0.05, what="your exponent",
        correct="Correct: the weight is about 10^-434.3, far below the smallest positive "
                "float64 (about 10^-323.3), so exp rounds it to 0.",
        slips={
            "That is the exponent of e, not of 10: log10(e^x) = x / ln 10.": -1000.0,
            "You multiplied by ln 10; divide by it: log10(e^x) = x / ln 10.":
                -1000.0 * np.log(10.0),
            "Check the sign: the weight is tiny, so its base-10 exponent is negative.":
                -exponent,
            "That is the smallest positive float64 (about 10^-323.3), not the true weight; "
            "the weight is smaller still.": lambda a: abs(float(a) + 323.3) < 0.5,
        })


def _mask(lengths, length, left=False):
    j = np.arange(length)
    real = np.array([(j >= length - n) if left else (j < n) for n in lengths])  # (B, L)
    causal = j[None, :] <= j[:, None]                                            # (L, L)
    return real[:, None, :] & causal[None]


def ex_3_4(answer):
    """Exercise 3.4: the padding & causal mask of lengths (3, 6) right-padded to 6, (2, 6, 6)."""
    expected = _mask([3, 6], 6)
    lengths, length = [3, 6], 6
    j = np.arange(length)
    padding = np.array([j < n for n in lengths])[:, None, :]
    causal = (j[None, :] <= j[:, None])
    return compare_array(
        answer, expected, rtol=0.0, atol=0.0, what="your mask",
        correct="Correct: shape (2, 6, 6); no query is left without a key, because key 0 is "
                "real and in every query's past.",
        slips={
            "That is the padding mask alone, shape (2, 1, 6): combine it with the causal "
            "mask with & (it broadcasts to (2, 6, 6)).": padding,
            "That is the padding mask broadcast over the queries: the causal part is missing "
            "(query i may only see keys j <= i).": np.broadcast_to(padding, (2, 6, 6)),
            "That is the causal mask alone: the short sentence's padded keys 3-5 are still "
            "allowed.": np.broadcast_to(causal, (2, 6, 6)),
            "The triangle is the wrong way round: query i may attend to keys j <= i (the "
            "past), a lower triangle.": np.swapaxes(expected, -1, -2),
            "The short sentence is padded on the left there; the exercise pads on the right "
            "(real tokens first).": _mask([3, 6], 6, left=True),
        })
