"""Chapter 9's answer checkers: the worked answer, each anticipated slip, and a wrong answer."""

import attnbook as ab


def test_checkers_are_exported():
    for name in ("ex_9_1", "ex_9_2", "ex_9_3"):
        assert name in ab.check.ch09.__all__ and callable(getattr(ab.check, name))


def test_missing_answers_ask_for_one():
    for check in (ab.check.ex_9_1, ab.check.ex_9_2, ab.check.ex_9_3):
        assert check(None).verdict == "missing"


def test_ex_9_1():
    assert ab.check.ex_9_1((1 / 16, 2 / 16)).verdict == "correct"
    assert ab.check.ex_9_1([0.0625, 0.125]).verdict == "correct"
    for slip in [(1 / 15, 2 / 16), (1 / 16, 1 / 16), (1 / 14, 2 / 14), (2 / 16, 1 / 16)]:
        assert ab.check.ex_9_1(slip).verdict == "close", slip
    assert ab.check.ex_9_1((0.5, 0.5)).verdict == "wrong"
    assert ab.check.ex_9_1(0.0625).verdict == "wrong"


def test_ex_9_2():
    share = 0.153 / 0.653
    assert ab.check.ex_9_2(share).verdict == "correct"
    assert ab.check.ex_9_2(0.23).verdict == "correct"
    for slip in [0.9, 0.17 / 5.17, 0.153, 0.5 / 0.653]:
        assert ab.check.ex_9_2(slip).verdict == "close", slip
    assert ab.check.ex_9_2(0.6).verdict == "wrong"
    assert ab.check.ex_9_2([0.2, 0.8]).verdict == "wrong"


def test_ex_9_3():
    assert ab.check.ex_9_3((2, 9)).verdict == "correct"
    for slip in [(1, 8), (1, 3), (0, 2), (9, 2)]:
        assert ab.check.ex_9_3(slip).verdict == "close", slip
    assert ab.check.ex_9_3((5, 6)).verdict == "wrong"
    assert ab.check.ex_9_3("layer two").verdict == "wrong"
    assert ab.check.ex_9_3((1, 2, 3)).verdict == "wrong"
