"""Chapter 7's answer checkers: the worked answer, each anticipated slip, and a wrong answer."""

import numpy as np

import attnbook as ab
from attnbook.check.ch07 import _smallest_c, previous_token_worst_weight


def test_checkers_are_exported():
    for name in ("ex_7_1", "ex_7_2"):
        assert name in ab.check.__all__ or hasattr(ab.check, name)
        assert callable(getattr(ab.check, name))


def test_ex_7_1_dot_product_of_two_positions():
    pe = ab.sinusoidal_positional_encoding(4, 4)
    assert ab.check.ex_7_1(float(pe[1] @ pe[3])).verdict == "correct"
    assert ab.check.ex_7_1(0.584).verdict == "correct"  # by hand, 3 decimals
    assert ab.check.ex_7_1(0.58).verdict == "correct"  # by hand, 2 decimals
    assert ab.check.ex_7_1(0.59).verdict != "correct"
    assert ab.check.ex_7_1(None).verdict == "missing"
    slips = {
        "degrees": np.cos(np.radians(2)) + np.cos(np.radians(0.02)),
        "first pair alone": np.cos(2.0),
        "p + q": np.cos(4.0) + np.cos(0.04),
        "only the sines": np.sin(1) * np.sin(3) + np.sin(0.01) * np.sin(0.03),
        "second frequency": np.cos(2.0) + np.cos(0.2),
    }
    for word, answer in slips.items():
        fb = ab.check.ex_7_1(answer)
        assert fb.verdict == "close" and word in fb.message, (word, fb)
    assert ab.check.ex_7_1(1.5).verdict == "wrong"
    assert ab.check.ex_7_1([0.58, 0.58]).verdict == "wrong"


def test_ex_7_2_previous_token_head():
    c = _smallest_c()
    assert previous_token_worst_weight(c) > 0.9 > previous_token_worst_weight(0.98 * c)
    assert 4.0 < c < 4.5
    assert ab.check.ex_7_2(c).verdict == "correct"
    assert ab.check.ex_7_2(round(c, 1)).verdict == "correct"   # two digits
    assert ab.check.ex_7_2(1.04 * c).verdict == "correct"
    assert ab.check.ex_7_2(None).verdict == "missing"
    fb = ab.check.ex_7_2(c * np.sqrt(32))
    assert fb.verdict == "close" and "√32" in fb.message
    fb = ab.check.ex_7_2(0.95 * c)
    assert fb.verdict == "close" and "short" in fb.message
    fb = ab.check.ex_7_2(2 * c)
    assert fb.verdict == "close" and "not the smallest" in fb.message
    assert ab.check.ex_7_2(1.0).verdict == "wrong"
    assert ab.check.ex_7_2(100.0).verdict == "wrong"
    assert ab.check.ex_7_2("four").verdict == "wrong"
    assert ab.check.ex_7_2(float("nan")).verdict == "wrong"
