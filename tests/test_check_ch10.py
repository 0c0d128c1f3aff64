"""Chapter 10's answer checkers: the worked answer, each anticipated slip, and a wrong answer."""

import numpy as np

import attnbook as ab


def test_checkers_are_exported():
    for name in ("ex_10_1", "ex_10_2", "ex_10_4"):
        assert name in ab.check.__all__ or hasattr(ab.check, name)
        assert callable(getattr(ab.check, name))


def test_ex_10_1_online_normaliser():
    m, d = ab.online_normalizer(np.array([1.0, 3.0, 2.0]))
    assert ab.check.ex_10_1(float(d)).verdict == "correct"
    assert ab.check.ex_10_1(1.503).verdict == "correct"
    assert ab.check.ex_10_1(None).verdict == "missing"
    slips = {"e^(m - m')": 2 + np.exp(-1), "without subtracting": np.exp([1, 3, 2]).sum(),
             "first score": 1 + np.exp(2) + np.exp(1)}
    for word, answer in slips.items():
        fb = ab.check.ex_10_1(answer)
        assert fb.verdict == "close" and word in fb.message, (word, fb)
    assert ab.check.ex_10_1(3.0).verdict == "wrong"
    assert ab.check.ex_10_1([1.5, 1.5]).verdict == "wrong"


def test_ex_10_2_causal_tiles():
    tiles = ab.attention_tiles(32, 32, 4, causal=True)
    assert ab.check.ex_10_2(len(tiles)).verdict == "correct"
    assert ab.check.ex_10_2(None).verdict == "missing"
    for word, answer in {"every tile": 64, "diagonal": 28, "row by row": 32}.items():
        fb = ab.check.ex_10_2(answer)
        assert fb.verdict == "close" and word in fb.message, (word, fb)
    assert ab.check.ex_10_2(37).verdict == "wrong"


def test_ex_10_4_gqa_cache():
    gib = 2 * 80 * 8 * 128 * 8192 * 2 / 2**30
    assert gib == 2.5
    assert ab.check.ex_10_4(gib).verdict == "correct"
    assert ab.check.ex_10_4(None).verdict == "missing"
    slips = {"*and* values": 1.25, "64 query heads": 20.0, "gigabytes": 2.5 * 2**30 / 1e9,
             "2 bytes": 5.0, "one layer": 2.5 / 80}
    for word, answer in slips.items():
        fb = ab.check.ex_10_4(answer)
        assert fb.verdict == "close" and word in fb.message, (word, fb)
    assert ab.check.ex_10_4(16.0).verdict == "wrong"
    assert ab.check.ex_10_4("lots").verdict == "wrong"
