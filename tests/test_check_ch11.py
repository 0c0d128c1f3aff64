"""Chapter 11's answer checkers: the worked answer, each anticipated slip, and a wrong answer."""

import numpy as np
import pytest

import attnbook as ab
from attnbook.check import ch11


def test_checkers_are_exported():
    for name in ("ex_11_1", "ex_11_3"):
        assert callable(getattr(ab.check, name))


def test_ex_11_1_attention_pooling_by_hand():
    u, K, H = (ch11.EX_11_1[k] for k in ("u", "K", "H"))
    c, w = ab.scaled_dot_product_attention(u[None], K, H, scale=1.0)
    assert ab.check.ex_11_1(c[0]).verdict == "correct"
    assert ab.check.ex_11_1(c[0].round(3)).verdict == "correct"  # by hand, 3 decimals
    assert ab.check.ex_11_1(None).verdict == "missing"
    scaled, _ = ab.scaled_dot_product_attention(u[None], K, H)     # default 1/sqrt(d)
    s = K @ u
    slips = {
        "four weights": w[0],
        "√d": scaled[0],
        "mean pooling": H.mean(axis=0),
        "arg-max": H[3],
        "mixed the keys": w[0] @ K,
        "exponential": (s / s.sum()) @ H,
    }
    for word, answer in slips.items():
        result = ab.check.ex_11_1(answer)
        assert result.verdict == "close" and word in result.message, (word, result)
    assert ab.check.ex_11_1([1.0, 1.0]).verdict == "wrong"
    assert ab.check.ex_11_1([1.0, 1.0, 1.0]).verdict == "wrong"
    assert ab.check.ex_11_1("dull").verdict == "wrong"


@pytest.fixture(scope="module")
def erased():
    return ch11.erase_top_word()


def test_erase_top_word_numbers(erased):
    assert 0 <= erased["renormalised"] <= 1 and 0 <= erased["not renormalised"] <= 1


def test_ex_11_3_erasing_the_top_word(erased):
    x = erased["renormalised"]
    assert ab.check.ex_11_3(x).verdict == "correct"
    assert ab.check.ex_11_3(round(x, 3)).verdict == "correct"
    assert ab.check.ex_11_3(None).verdict == "missing"
    assert ab.check.ex_11_3(100 * x).verdict == "close"
    assert "percentage" in ab.check.ex_11_3(100 * x).message
    assert "stays the same" in ab.check.ex_11_3(1 - x).message
    if abs(erased["not renormalised"] - x) > 0.002:
        assert "Renormalise" in ab.check.ex_11_3(erased["not renormalised"]).message
    assert ab.check.ex_11_3(x + 0.05 if x < 0.5 else x - 0.05).verdict == "wrong"
    assert ab.check.ex_11_3([x, x]).verdict == "wrong"
