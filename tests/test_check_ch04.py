"""Chapter 4's answer checkers: the worked answer, each anticipated slip, a wrong answer."""

import numpy as np

import attnbook as ab


def _softmax(s):
    z = np.exp(np.asarray(s, float) - np.max(s))
    return z / z.sum()


def test_ex_4_1():
    check = ab.check.ex_4_1
    scores = [2.5, 0.875, 1.0, 0.25, 0.0, 0.0]
    assert check(None).verdict == "missing"
    assert check(scores)
    assert check(np.round(scores, 2))
    slips = {"neighbours": [2.5, 0, 1, 0, 0, 0], "weights": _softmax(scores),
             "plain dot": np.array(scores) / np.sqrt(7)}
    for word, answer in slips.items():
        result = check(answer)
        assert result.verdict == "close" and word in result.message, (word, result)
    assert check([2.5, 1, 1, 0.25, 0, 0]).verdict == "wrong"
    assert check([2.5, 0.875, 1.0]).verdict == "wrong"
    assert "0.875" not in repr(check([0, 0, 0, 0, 0, 0]))


def test_ex_4_2():
    check = ab.check.ex_4_2
    dot = np.array([0, 0.75, 3, 0.75, 0, 0])
    right = _softmax(2 * dot)[2]
    assert check(None).verdict == "missing"
    assert check(right)
    assert check(round(right, 2))
    for answer, word in [(_softmax(dot)[2], "dot score"), (_softmax(dot / 2)[2], "halved"),
                         (6.0, "score, not a weight"), (1.5, "between 0 and 1")]:
        result = check(answer)
        assert result.verdict == "close" and word in result.message, (answer, result)
    assert check(0.5).verdict == "wrong"
    assert check([0.97, 0.5]).verdict == "wrong"
    assert check("abc").verdict == "wrong"
