"""Chapter 2's answer checkers: the worked answer, each anticipated slip, and a wrong answer."""

import numpy as np
import pytest

import attnbook as ab

K = np.array([[0, 0, 0], [1, 0, 0], [0, 0, 1], [0, 0.3, 0], [0, 0, 0], [0, 1, 0]], float)
WHERE = np.array([[0.0, 3.0, 0.0]])


def _check_slips(checker, slips):
    for word, answer in slips.items():
        fb = checker(answer)
        assert fb.verdict == "close" and word in fb.message, (word, fb)


def test_checkers_are_exported():
    for name in ("ex_2_1", "ex_2_2", "ex_2_3", "ex_2_4"):
        assert name in ab.check.__all__ or callable(getattr(ab.check, name))


def test_ex_2_1_variance_with_sigma():
    rng = np.random.default_rng(0)
    sigma = 2.0
    q = sigma * rng.standard_normal((200_000, 16))
    k = sigma * rng.standard_normal((200_000, 16))
    measured = np.var(np.einsum("nd,nd->n", q, k))
    assert measured == pytest.approx(256, rel=0.03)  # the expected answer is the true one
    assert ab.check.ex_2_1(256).verdict == "correct"
    assert ab.check.ex_2_1(None).verdict == "missing"
    # (the standard deviation, √256 = 16, is the same number as "forgot σ")
    _check_slips(ab.check.ex_2_1,
                 {"σ²·σ²": 64, "Where did σ go": 16, "not σ·σ² = 2·4 = 8": 128})
    assert ab.check.ex_2_1(200).verdict == "wrong"
    assert ab.check.ex_2_1([256, 256]).verdict == "wrong"


def test_ex_2_2_temperature():
    rng = np.random.default_rng(1)
    q, k = rng.standard_normal((3, 1024)), rng.standard_normal((8, 1024))
    tau = 1 / 32
    assert np.allclose(ab.softmax(ab.scaled_dot_score(q, k), temperature=tau),
                       ab.softmax(ab.dot_score(q, k)))
    assert ab.check.ex_2_2(tau).verdict == "correct"
    assert ab.check.ex_2_2(0.03125).verdict == "correct"
    _check_slips(ab.check.ex_2_2, {"Upside down": 32, "not by d_k": 1 / 1024})
    assert ab.check.ex_2_2(1024).verdict == "close"
    assert ab.check.ex_2_2(0.5).verdict == "wrong"


def test_ex_2_3_general_score_matrix():
    W = np.diag([1.0, -1.0, 1.0])
    w = ab.softmax(ab.score("general", WHERE, K, W=W))[0]
    assert w[3] > w[5]  # the worked answer really makes "on" beat "mat"
    assert ab.check.ex_2_3(W).verdict == "correct"
    assert ab.check.ex_2_3(W.tolist()).verdict == "correct"
    assert ab.check.ex_2_3(None).verdict == "missing"
    tie = ab.check.ex_2_3(np.diag([1.0, 0.0, 1.0]))
    assert tie.verdict == "close" and "tie" in tie.message
    assert ab.check.ex_2_3(np.eye(3)).verdict == "wrong"  # the dot product: "mat" wins
    assert ab.check.ex_2_3(np.eye(2)).verdict == "wrong"
    assert "(3, 3)" in ab.check.ex_2_3(np.eye(2)).message
    assert ab.check.ex_2_3("abc").verdict == "wrong"
    assert ab.check.ex_2_3(np.full((3, 3), np.nan)).verdict == "wrong"


def test_ex_2_4_crossover_length():
    d = 64
    for L in (63, 64, 65):
        cost = ab.score_cost("additive", d_q=d, d_k=d, L_q=L, L_k=L, d_a=d).flops
        projections, pairs = 2 * d * (d * L + d * L), 4 * d * L * L
        assert cost == projections + pairs
    assert 2 * d * (2 * d * 64) == 4 * d * 64 * 64  # equal at L = 64
    assert ab.check.ex_2_4(64).verdict == "correct"
    _check_slips(ab.check.ex_2_4, {"both projections": 32, "not 2 d_a": 128})
    assert ab.check.ex_2_4(512).verdict == "wrong"
