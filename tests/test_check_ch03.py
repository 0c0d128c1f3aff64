"""Chapter 3's answer checkers: the worked answer, each anticipated slip, a wrong answer."""

import numpy as np

import attnbook as ab


def _softmax(s, tau=1.0):
    z = np.exp((np.asarray(s, float) - np.max(s)) / tau)
    return z / z.sum()


def _entropy(w):
    return float(-(w * np.log(w)).sum())


def test_ex_3_1():
    check = ab.check.ex_3_1
    assert check(None).verdict == "missing"
    assert check([16 / 21, 4 / 21, 1 / 21])
    assert check(_softmax(np.log([4.0, 2.0, 1.0]), 0.5))
    assert check([0.762, 0.190, 0.048])  # three decimals are enough
    slips = {
        "τ = 1": [4 / 7, 2 / 7, 1 / 7],
        "multiplied": _softmax(np.log([4.0, 2.0, 1.0]), 2.0),
        "numerators": [16, 4, 1],
        "sum to 1": [0.8, 0.2, 0.1],
    }
    for word, answer in slips.items():
        result = check(answer)
        assert result.verdict == "close" and word in result.message, (word, result)
    assert check([0.2, 0.3, 0.5]).verdict == "wrong"
    assert check([0.5, 0.5]).verdict == "wrong"
    assert "0.76" not in repr(check([4 / 7, 2 / 7, 1 / 7]))


def test_ex_3_2():
    check = ab.check.ex_3_2
    s = np.array([4.0, 1.0, 0.5, 0.0, 0.0, -1.0])
    lo, hi = 1.0, 2.0
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if _entropy(_softmax(s, mid)) < 1.0 else (lo, mid)
    assert check(None).verdict == "missing"
    assert check(lo)
    assert check(round(lo, 3))
    assert check(lo * 1.003)
    assert "1.4" in repr(check(lo)) or "1.5" in repr(check(lo))
    # the slip answers, computed the same way
    lo2, hi2 = 1.0, 2.0
    for _ in range(60):
        mid = (lo2 + hi2) / 2
        lo2, hi2 = (mid, hi2) if _entropy(_softmax(s, mid)) < np.log(2) else (lo2, mid)
    bits = check(lo2)
    assert bits.verdict == "close" and "bit" in bits.message
    g = np.array([2.5, 2.0, 1.5, 1.0, 0.5, 0.0])
    lo3, hi3 = 0.1, 1.0
    for _ in range(60):
        mid = (lo3 + hi3) / 2
        lo3, hi3 = (mid, hi3) if _entropy(_softmax(g, mid)) < 1.0 else (lo3, mid)
    graded = check(lo3)
    assert graded.verdict == "close" and "graded" in graded.message
    stop = check(2)
    assert stop.verdict == "close" and "slider" in stop.message
    outside = check(3.0)
    assert outside.verdict == "close" and "between" in outside.message
    assert check(1.7).verdict == "wrong"
    assert check([1.4, 1.5]).verdict == "wrong"


def test_ex_3_3():
    check = ab.check.ex_3_3
    assert check(None).verdict == "missing"
    assert check(-1000 / np.log(10))
    assert check(-434.3)
    for answer, word in [(-1000, "exponent of e"), (-2302.6, "multiplied"),
                         (434.29, "sign"), (-323.3, "smallest")]:
        result = check(answer)
        assert result.verdict == "close" and word in result.message, (answer, result)
    assert check(-400).verdict == "wrong"
    assert check(-434.6).verdict == "wrong"


def test_ex_3_4():
    check = ab.check.ex_3_4
    mask = ab.padding_mask([3, 6], 6) & ab.causal_mask(6)
    assert mask.shape == (2, 6, 6)
    assert check(None).verdict == "missing"
    assert check(mask)
    assert check(mask.astype(int).tolist())
    padding = ab.padding_mask([3, 6], 6)
    causal = ab.causal_mask(6)
    left = ab.padding_mask([3, 6], 6)[:, :, ::-1] & causal
    slips = {
        "alone, shape (2, 1, 6)": padding,
        "causal part is missing": np.broadcast_to(padding, (2, 6, 6)),
        "causal mask alone": np.broadcast_to(causal, (2, 6, 6)),
        "wrong way round": np.swapaxes(mask, -1, -2),
        "left": left,
    }
    for word, answer in slips.items():
        result = check(answer)
        assert result.verdict == "close" and word in result.message, (word, result)
    assert check(np.ones((2, 6, 6), bool)).verdict == "wrong"
    assert check(mask[0]).verdict == "wrong"
