"""Chapter 1's answer checkers: the worked answer, each anticipated slip, and a wrong answer."""

import numpy as np
import pytest

import attnbook as ab

K = np.array([[0, 0, 0], [1, 0, 0], [0, 0, 1], [0, 0.3, 0], [0, 0, 0], [0, 1, 0]], float)
V = np.array([[0, 0, 0, 1], [1, 0, 0, 0], [0, 0, 1, 0],
              [0, 0.5, 0, 0.5], [0, 0, 0, 1], [0, 1, 0, 0]], float)


def test_checkers_are_exported():
    for name in ("ex_1_1", "ex_1_3", "ex_1_4"):
        assert name in ab.check.__all__ or hasattr(ab.check, name)
        assert callable(getattr(ab.check, name))


def test_ex_1_1_zero_query():
    context, weights = ab.scaled_dot_product_attention(np.zeros((1, 3)), K, V, scale=1.0)
    assert ab.check.ex_1_1(context[0]).verdict == "correct"
    assert ab.check.ex_1_1(context[0].round(3)).verdict == "correct"  # by hand, 3 decimals
    assert ab.check.ex_1_1(None).verdict == "missing"
    slips = {
        "weights": weights[0],
        "averaged the keys": K.mean(axis=0),
        "added the values": V.sum(axis=0),
        "six keys": np.delete(V, 4, axis=0).mean(axis=0),
    }
    for word, answer in slips.items():
        fb = ab.check.ex_1_1(answer)
        assert fb.verdict == "close" and word in fb.message, (word, fb)
    assert ab.check.ex_1_1([0.25, 0.25, 0.25, 0.25]).verdict == "wrong"
    assert ab.check.ex_1_1([1, 2]).verdict == "wrong"


def test_ex_1_3_on_what():
    q = np.array([[0.0, 3.0, 3.0]])
    _, w = ab.scaled_dot_product_attention(q, K, V, scale=1.0)
    assert ab.check.ex_1_3(w[0]).verdict == "correct"
    assert ab.check.ex_1_3(w[0].round(3)).verdict == "correct"
    _, scaled = ab.scaled_dot_product_attention(q, K, V)
    s = (K @ q[0])
    slips = {"scale=1.0": scaled[0], "exponential": s / s.sum(),
             "context vector": (w @ V)[0], "scores": s}
    for word, answer in slips.items():
        fb = ab.check.ex_1_3(answer)
        assert fb.verdict == "close" and word in fb.message, (word, fb)
    assert ab.check.ex_1_3(np.full(6, 1 / 6)).verdict == "wrong"


def test_ex_1_4_half_weight_temperature():
    tau = 3 / np.log(5)
    w = ab.softmax(np.array([0.0, 3, 0, 0, 0, 0]), temperature=tau)
    assert w[1] == pytest.approx(0.5)
    assert ab.check.ex_1_4(tau).verdict == "correct"
    assert ab.check.ex_1_4(1.864).verdict == "correct"
    assert ab.check.ex_1_4(1.86).verdict == "correct"  # the solution's "≈ 1.86"
    assert ab.check.ex_1_4(1.85).verdict == "wrong"
    assert ab.check.ex_1_4(None).verdict == "missing"
    slips = {"slider stop": 2, "Upside down": np.log(5) / 3, "not 6": 3 / np.log(6),
             "natural logarithm": 3 / np.log10(5)}
    for word, answer in slips.items():
        fb = ab.check.ex_1_4(answer)
        assert fb.verdict == "close" and word in fb.message, (word, fb)
    assert ab.check.ex_1_4(1.0).verdict == "wrong"
    assert ab.check.ex_1_4([1.8, 1.9]).verdict == "wrong"
