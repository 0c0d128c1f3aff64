"""Chapter 8's answer checkers: the worked answer, each anticipated slip, a wrong answer."""

import numpy as np

import attnbook as ab


def test_ex_8_1():
    check = ab.check.ex_8_1
    A, A_bar = np.array([0.5, 0.25, 0.25]), np.array([2.0, 0.0, -2.0])
    right = A * (A_bar - A_bar @ A)
    assert np.allclose(right, [0.75, -0.125, -0.625])
    assert check(None).verdict == "missing"
    assert check(right)
    assert "gradient is positive" in check(right).message  # not "pushed up"
    assert check([0.75, -0.13, -0.63])
    assert check(ab.nn.softmax_backward(A_bar[None], A[None])[0])
    for answer, word in [(A * A_bar, "rowsum"), (A_bar - 0.5, "outer factor"),
                         (-right, "sign"), ([0.75, -0.125], "3 numbers")]:
        result = check(answer)
        assert result.verdict == "close" and word in result.message, (answer, result)
    assert check([0.5, 0.25, -0.75]).verdict == "wrong"
    assert "0.75" not in repr(check([0, 0, 0]))


def test_ex_8_4():
    check = ab.check.ex_8_4
    assert check(None).verdict == "missing"
    assert check(200)
    assert check(200.0)
    for answer, word in [(100, "brightest"), (150, "output's day"), (250, "above 0.9"),
                         (175, "checkpoints are")]:
        result = check(answer)
        assert result.verdict == "close" and word in result.message, (answer, result)
    assert check(600).verdict == "wrong"
    assert check("abc").verdict == "wrong"
