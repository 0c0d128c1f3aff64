"""Unit and property tests of attnbook.scores."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import attnbook as ab

NAMES = ["dot", "scaled_dot", "general", "additive", "cosine"]


def _qk(seed, lq=3, lk=5, dq=4, dk=4, batch=()):
    rng = np.random.default_rng(seed)
    return rng.normal(size=batch + (lq, dq)), rng.normal(size=batch + (lk, dk))


# --- each score against its formula written out pair by pair -----------------------------------

@given(st.integers(1, 5), st.integers(1, 5), st.integers(1, 9), st.integers(0, 2**16))
@settings(max_examples=40)
def test_scaled_dot_is_dot_over_sqrt_d(lq, lk, d, seed):
    q, k = _qk(seed, lq, lk, d, d)
    np.testing.assert_allclose(ab.scaled_dot_score(q, k), ab.dot_score(q, k) / math.sqrt(d),
                               rtol=1e-12, atol=1e-12)


def test_dot_score_pair_by_pair():
    q, k = _qk(0)
    s = ab.dot_score(q, k)
    assert s.shape == (3, 5)
    for i in range(3):
        for j in range(5):
            assert s[i, j] == pytest.approx(sum(q[i, n] * k[j, n] for n in range(4)), rel=1e-12)


def test_general_score_pair_by_pair_and_rectangular_W():
    q, k = _qk(1, dq=3, dk=5)  # d_q != d_k is fine for the bilinear score
    W = np.random.default_rng(2).normal(size=(3, 5))
    s = ab.general_score(q, k, W)
    for i in range(3):
        for j in range(5):
            assert s[i, j] == pytest.approx(q[i] @ W @ k[j], rel=1e-12)


def test_general_score_with_identity_is_the_dot_product():
    q, k = _qk(3)
    np.testing.assert_allclose(ab.general_score(q, k, np.eye(4)), ab.dot_score(q, k), rtol=1e-12)


def test_additive_score_pair_by_pair_with_different_sizes():
    q, k = _qk(4, dq=3, dk=6)  # n != m: decoder state of size 3, encoder states of size 6
    p = ab.init_score_params("additive", 3, 6, d_a=7, seed=5)
    s = ab.additive_score(q, k, **p)
    assert s.shape == (3, 5)
    for i in range(3):
        for j in range(5):
            expected = sum(p["v"][a] * math.tanh(q[i] @ p["W_q"][:, a] + k[j] @ p["W_k"][:, a])
                           for a in range(7))
            assert s[i, j] == pytest.approx(expected, rel=1e-12)


def test_additive_equals_luong_concat_form():
    """v^T tanh(W_a [q; k]) with W_a split into blocks is the additive score."""
    q, k = _qk(6, dq=2, dk=3)
    p = ab.init_score_params("concat", 2, 3, d_a=4, seed=7)
    W_a = np.vstack([p["W_q"], p["W_k"]])  # (d_q + d_k, d_a), x @ W convention
    concat = np.array([[np.tanh(np.concatenate([qi, kj]) @ W_a) @ p["v"] for kj in k] for qi in q])
    np.testing.assert_allclose(ab.score("concat", q, k, **p), concat, rtol=1e-12)


def test_cosine_score_properties():
    q, k = _qk(8)
    s = ab.cosine_score(q, k)
    assert (np.abs(s) <= 1).all()
    # only the direction counts
    np.testing.assert_allclose(ab.cosine_score(3.0 * q, 0.5 * k), s, rtol=1e-12)
    # for unit vectors it is the dot product
    qn = q / np.linalg.norm(q, axis=-1, keepdims=True)
    kn = k / np.linalg.norm(k, axis=-1, keepdims=True)
    np.testing.assert_allclose(s, qn @ kn.T, rtol=1e-12)
    np.testing.assert_allclose(ab.cosine_score(q[:1], q[:1]), [[1.0]])


def test_cosine_of_a_zero_vector_is_zero_not_nan():
    s = ab.cosine_score(np.array([[1.0, 2.0]]), np.array([[0.0, 0.0], [2.0, 4.0]]))
    np.testing.assert_allclose(s, [[0.0, 1.0]])


@pytest.mark.parametrize("name", NAMES)
def test_scores_broadcast_batch_dimensions(name):
    q, k = _qk(9, batch=(2, 1))
    k = np.broadcast_to(k, (2, 3, 5, 4)).copy()
    p = ab.init_score_params(name, 4, 4, seed=1)
    s = ab.score(name, q, k, **p)
    assert s.shape == (2, 3, 3, 5)
    np.testing.assert_allclose(s[1, 2], ab.score(name, q[1, 0], k[1, 2], **p), rtol=1e-12)


def test_float32_stays_float32():
    q, k = (a.astype(np.float32) for a in _qk(10))
    for name in NAMES:
        p = {n: a.astype(np.float32) for n, a in ab.init_score_params(name, 4, 4).items()}
        assert ab.score(name, q, k, **p).dtype == np.float32, name


# --- selection by name ---------------------------------------------------------------------------

def test_registry_dispatches_to_the_functions_and_aliases():
    q, k = _qk(11)
    assert list(ab.SCORE_FUNCTIONS) == NAMES
    np.testing.assert_array_equal(ab.score("dot", q, k), ab.dot_score(q, k))
    np.testing.assert_array_equal(ab.score("scaled_dot", q, k), ab.scaled_dot_score(q, k))
    W = np.random.default_rng(0).normal(size=(4, 4))
    np.testing.assert_array_equal(ab.score("bilinear", q, k, W=W), ab.general_score(q, k, W))
    np.testing.assert_array_equal(ab.score("cosine", q, k), ab.cosine_score(q, k))
    for entry in ab.SCORE_FUNCTIONS.values():
        assert entry.params == tuple(ab.init_score_params(entry.name, 4, 4))


def test_score_by_name_rejects_unknown_names_and_parameters():
    q, k = _qk(12)
    with pytest.raises(ValueError, match="unknown score function 'dott'.*'dot'"):
        ab.score("dott", q, k)
    with pytest.raises(TypeError, match=r"general score takes parameters \['W'\]; missing \['W'\]"):
        ab.score("general", q, k)
    with pytest.raises(TypeError, match=r"unexpected \['W'\]"):
        ab.score("dot", q, k, W=np.eye(4))
    with pytest.raises(TypeError, match="must be a str"):
        ab.score(None, q, k)


# --- clear errors --------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["dot", "scaled_dot", "cosine"])
def test_same_size_scores_reject_different_sizes_naming_shapes(name):
    q, k = _qk(13, dq=3, dk=5)
    with pytest.raises(ValueError, match=r"q has shape \(3, 3\) \(d_q=3\), k has shape \(5, 5\) "
                                         r"\(d_k=5\).*general or additive"):
        ab.score(name, q, k)


@pytest.mark.parametrize(
    "bad, match",
    [
        ({"W_q": np.ones((4, 7))}, r"W_q must have shape \(3, 7\).*got \(4, 7\)"),
        ({"W_k": np.ones((6, 5))}, r"W_k must have shape \(6, 7\).*got \(6, 5\)"),
        ({"v": np.ones((7, 1))}, r"v must be a non-empty vector of shape \(d_a,\), got \(7, 1\)"),
        ({"v": np.ones(5)}, r"W_q must have shape \(3, 5\).*got \(3, 7\)"),
    ],
)
def test_additive_rejects_mismatched_parameter_shapes(bad, match):
    q, k = _qk(14, dq=3, dk=6)
    p = ab.init_score_params("additive", 3, 6, d_a=7) | bad
    with pytest.raises(ValueError, match=match):
        ab.additive_score(q, k, **p)


def test_general_rejects_a_wrong_W():
    q, k = _qk(15, dq=3, dk=6)
    with pytest.raises(ValueError, match=r"W must have shape \(3, 6\) \(\(d_q, d_k\)\), got \(6, 3\)"):
        ab.general_score(q, k, np.ones((6, 3)))


def test_scores_reject_nan_bad_rank_and_non_broadcasting_batches():
    q, k = _qk(16)
    q[0, 0] = np.nan
    with pytest.raises(ValueError, match="q contains NaN"):
        ab.dot_score(q, k)
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        ab.dot_score(np.ones(4), k)
    with pytest.raises(ValueError, match="do not broadcast"):
        ab.dot_score(np.ones((2, 3, 4)), np.ones((3, 5, 4)))
    with pytest.raises(ValueError, match="overflowed"):
        ab.dot_score(np.full((1, 2), 1e200), np.full((1, 2), 1e200))
    with pytest.raises(ValueError, match="eps"):
        ab.cosine_score(np.ones((1, 2)), np.ones((1, 2)), eps=0)


def test_init_score_params_checks_sizes():
    assert ab.init_score_params("dot", 4, 4) == {}
    with pytest.raises(ValueError, match="needs d_q == d_k"):
        ab.init_score_params("scaled_dot", 3, 4)
    p = ab.init_score_params("additive", 3, 5)
    assert p["W_q"].shape == (3, 5) and p["W_k"].shape == (5, 5) and p["v"].shape == (5,)
    a, b = ab.init_score_params("general", 3, 4, seed=1), ab.init_score_params("general", 3, 4, seed=1)
    np.testing.assert_array_equal(a["W"], b["W"])


# --- cost: an independent count, operation by operation ------------------------------------------

class _Ops:
    """Scalar re-implementation of each score that counts FLOPs by the documented rules."""

    def __init__(self):
        self.n = 0

    def dot(self, a, b):  # a multiply-add per entry: 2 FLOPs
        self.n += 2 * len(a)
        return float(sum(x * y for x, y in zip(a, b)))

    def matvec(self, x, W):  # x @ W, one dot product per output
        return [self.dot(x, W[:, c]) for c in range(W.shape[1])]

    def one(self, value):  # tanh, sqrt, division, scaling
        self.n += 1
        return value


def _count(name, q, k, params):
    ops = _Ops()
    lq, lk, d = len(q), len(k), k.shape[1]
    s = np.zeros((lq, lk))
    if name in ("dot", "scaled_dot"):
        for i in range(lq):
            for j in range(lk):
                s[i, j] = ops.dot(q[i], k[j])
                if name == "scaled_dot":
                    s[i, j] = ops.one(s[i, j] / math.sqrt(d))
    elif name == "general":
        qw = [ops.matvec(q[i], params["W"]) for i in range(lq)]
        for i in range(lq):
            for j in range(lk):
                s[i, j] = ops.dot(qw[i], k[j])
    elif name == "additive":
        qp = [ops.matvec(q[i], params["W_q"]) for i in range(lq)]
        kp = [ops.matvec(k[j], params["W_k"]) for j in range(lk)]
        for i in range(lq):
            for j in range(lk):
                h = [ops.one(math.tanh(ops.one(a + b))) for a, b in zip(qp[i], kp[j])]
                s[i, j] = ops.dot(h, params["v"])
    else:  # cosine
        def unit(x):
            norm = ops.one(math.sqrt(ops.dot(x, x)))
            return [ops.one(xi / norm) for xi in x]
        qn, kn = [unit(x) for x in q], [unit(x) for x in k]
        for i in range(lq):
            for j in range(lk):
                s[i, j] = ops.dot(qn[i], kn[j])
    return s, ops.n


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("lq, lk, dq, dk, da", [(1, 1, 3, 3, 2), (2, 5, 4, 4, 3), (3, 2, 2, 5, 6)])
def test_score_cost_matches_an_operation_count(name, lq, lk, dq, dk, da):
    if ab.SCORE_FUNCTIONS[name].same_size:
        dq = dk
    q, k = _qk(17, lq, lk, dq, dk)
    p = ab.init_score_params(name, dq, dk, d_a=da, seed=3)
    s, flops = _count(name, q, k, p)
    np.testing.assert_allclose(ab.score(name, q, k, **p), s, rtol=1e-10, atol=1e-12)
    cost = ab.score_cost(name, dq, dk, lq, lk, d_a=da)
    assert cost.flops == flops
    assert cost.params == sum(a.size for a in p.values())


def test_score_cost_rejects_bad_sizes():
    with pytest.raises(ValueError, match="needs d_q == d_k"):
        ab.score_cost("dot", 3, 4)
    with pytest.raises(ValueError, match="L_q must be >= 1"):
        ab.score_cost("dot", 4, 4, L_q=0)


# --- why sqrt(d_k): the measurement agrees with the theory --------------------------------------

@pytest.mark.parametrize("d_k", [2, 16, 256])
def test_dot_product_variance_grows_like_d_k(d_k):
    n = 20_000
    se = math.sqrt((2 + 6 / d_k) / n)  # relative standard error of the variance estimate
    var = ab.dot_product_variance(d_k, n, seed=d_k)
    assert abs(var / d_k - 1) < 5 * se
    scaled = ab.dot_product_variance(d_k, n, seed=d_k, scaled=True)
    assert abs(scaled - 1) < 5 * se
    np.testing.assert_allclose(scaled, var / d_k, rtol=1e-12)


def test_dot_product_variance_is_seeded_and_checks_input():
    assert ab.dot_product_variance(8, 100, seed=1) == ab.dot_product_variance(8, 100, seed=1)
    with pytest.raises(ValueError, match="n_samples must be >= 2"):
        ab.dot_product_variance(8, 1)
    with pytest.raises(TypeError, match="d_k must be an int"):
        ab.dot_product_variance(8.0)


def test_cosine_score_of_huge_vectors_does_not_overflow():
    q = np.array([[1e200, 1e200]])
    np.testing.assert_allclose(ab.cosine_score(q, np.array([[1e200, -1e200], [3.0, 3.0]])),
                               [[0.0, 1.0]], atol=1e-12)
