"""Chapter 12's answer checkers: the worked answer, each anticipated slip, and a wrong answer."""

import numpy as np
import pytest

import attnbook as ab
from attnbook import babi, memnet
from attnbook.check import ch12

needs_weights = pytest.mark.skipif(not memnet.WEIGHTS_PATH.exists(), reason="no shipped weights")


def test_checkers_are_exported():
    for name in ("ex_12_1", "ex_12_2", "ex_12_3", "ex_12_4"):
        assert callable(getattr(ab.check, name))


def test_ex_12_1_position_encoding():
    l = memnet.position_encoding(np.array([[1, 2, 3, 4, 5]]), 20)[0]   # (W=5, d=20)
    worked = l[[0, 4]][:, [0, 19]]
    assert ab.check.ex_12_1(worked).verdict == "correct"
    assert ab.check.ex_12_1([[0.77, 0.2], [0.05, 1.0]]).verdict == "correct"
    assert ab.check.ex_12_1(worked.T).verdict == "close"
    assert ab.check.ex_12_1(None).verdict == "missing"
    J, d = 5, 20
    f = lambda j, k, J=J, d=d: (1 - j / J) - (k / d) * (1 - 2 * j / J)
    slips = {
        "from 1, not 0": [[f(0, 1), f(0, 20)], [f(4, 1), f(4, 20)]],
        "dimensions from 1": [[f(1, 0), f(1, 19)], [f(5, 0), f(5, 19)]],
        "embedding size": [[f(1, 1, 20, 5), f(1, 20, 20, 5)], [f(5, 1, 20, 5), f(5, 20, 20, 5)]],
    }
    for word, answer in slips.items():
        fb = ab.check.ex_12_1(answer)
        assert fb.verdict == "close" and word in fb.message, (word, fb)
    assert ab.check.ex_12_1([[1, 1], [1, 1]]).verdict == "wrong"
    assert ab.check.ex_12_1([1, 2, 3]).verdict == "wrong"


def test_ex_12_2_hop_by_hand():
    u, m, c = ch12.HOP_U, ch12.HOP_M, ch12.HOP_C
    o, p = ab.scaled_dot_product_attention(u[None], m, c, scale=1.0)
    assert ab.check.ex_12_2(u + o[0]).verdict == "correct"
    assert ab.check.ex_12_2([1.910, 0.335]).verdict == "correct"
    slips = {
        "o¹ alone": o[0],
        "mixes the values": u + (p @ m)[0],
        "linear-start": u + (m @ u) @ c,
        "√d": u + ab.scaled_dot_product_attention(u[None], m, c)[0][0],
    }
    for word, answer in slips.items():
        fb = ab.check.ex_12_2(answer)
        assert fb.verdict == "close" and word in fb.message, (word, fb)
    assert ab.check.ex_12_2([0, 0]).verdict == "wrong"
    assert ab.check.ex_12_2(None).verdict == "missing"


@needs_weights
def test_ex_12_3_slider_question():
    task, index = ch12.SLIDER_STORY
    example = babi.split(task, "test")[index]
    w = memnet.MemNet.load(task).run([example]).hop_weights(0)
    right = int(w[1].argmax()) + 1
    assert ab.check.ex_12_3(right).verdict == "correct"
    fb = ab.check.ex_12_3(right - 1)
    assert fb.verdict == "close" and "from 1" in fb.message
    assert ab.check.ex_12_3(right + 30).verdict == "wrong"
    assert ab.check.ex_12_3(None).verdict == "missing"


@needs_weights
def test_ex_12_4_no_temporal_encoding():
    model = memnet.MemNet.load("single")
    for name in list(model.params):
        if name.startswith("T"):
            model.params[name] = np.zeros_like(model.params[name])
    acc = memnet.evaluate(model).accuracy
    assert acc < 0.9  # the claim the exercise rests on: time matters for "where is mary"
    assert ab.check.ex_12_4(acc).verdict == "correct"
    fb = ab.check.ex_12_4(100 * acc)
    assert fb.verdict == "close" and "fraction" in fb.message
    fb = ab.check.ex_12_4(0.999)
    assert fb.verdict == "close" and "zero the tables" in fb.message
    assert ab.check.ex_12_4(None).verdict == "missing"
    assert ab.check.ex_12_4(acc + 0.2 if acc < 0.7 else acc - 0.2).verdict == "wrong"


def test_task_of_question():
    assert memnet.task_of_question("Where is Mary?") == "single"
    assert memnet.task_of_question("where is the milk") == "two"
    assert memnet.task_of_question("where was the milk before the office") == "three"
    assert memnet.task_of_question("is john in the garden?") == "yes_no"
    with pytest.raises(ValueError, match="not a question"):
        memnet.task_of_question("where is the kitchen")
