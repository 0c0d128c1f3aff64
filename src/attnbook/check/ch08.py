"""Answer checkers for chapter 8's exercises (``ab.check.ex_8_k``)."""

from __future__ import annotations

import numpy as np

from . import compare_array, compare_choice, compare_number, feedback  # noqa: F401

__all__: list[str] = ["ex_8_1", "ex_8_4"]

# Exercise 8.1: one row of weights and the gradient arriving at them.
_A = np.array([0.5, 0.25, 0.25])
_A_BAR = np.array([2.0, 0.0, -2.0])


def ex_8_1(answer):
    """Exercise 8.1: the score gradient of one row, A * (A_bar - sum(A_bar * A))."""
    average = float(_A_BAR @ _A)
    right = _A * (_A_BAR - average)
    return compare_array(
        answer, right, rtol=0.0, atol=6e-3, what="your gradient",
        correct="Correct: the weighted average of A_bar is 0.5, so only the first key's "
                "gradient is positive (a descent step lowers that score and raises the "
                "other two), and the row sums to zero.",
        slips={
            "You left out the rowsum term (or subtracted the plain mean of A_bar, which is 0): "
            "subtract the weighted average sum(A_bar * A) from every entry of A_bar before "
            "multiplying by A.": _A * _A_BAR,
            "You forgot the outer factor A: each entry is also multiplied by its own weight.":
                _A_BAR - average,
            "The sign is flipped: a key whose A_bar beats the average gets a positive "
            "gradient.": -right,
            "The gradient of one row has one entry per key: 3 numbers.":
                lambda a: a.shape != (3,),
        })


def ex_8_4(answer):
    """Exercise 8.4: the first checkpoint where the day's units digit of '11/23/2026' puts more
    than half of its (head-averaged) weight on the '3' (step 200 with the shipped weights)."""
    return compare_number(
        answer, 200, rtol=0.0, atol=0.5, what="your step",
        correct="Correct: at step 200 the weight on the '3' jumps from 0.38 to 0.76, the "
                "same stretch in which held-out exact match climbs from 64% to 85%.",
        slips={
            "At step 100 the '3' is already the brightest column, but with 0.40 of the "
            "weight, not more than half.": 100,
            "At step 150 the output's day is right, but the '3' gets only 0.38: a right "
            "answer does not need a sharp alignment.": 150,
            "At step 250 the weight is above 0.9; the question asks when it first passes "
            "0.5.": 250,
            "The checkpoints are 0, 50, 100, 150, 200, 250, 300, 400, 600, 1000 and 1500.":
                lambda a: float(a) not in (0, 50, 100, 150, 200, 250, 300, 400, 600, 1000,
                                           1500),
        })
