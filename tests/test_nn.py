"""Tests of attnbook.nn: every backward pass against finite differences (float64), and the
forward passes against attnbook's attention."""

import numpy as np
import pytest

import attnbook as ab
from attnbook import nn

TOL = 1e-6  # relative error allowed between a hand-written gradient and finite differences


def check(f, x, analytic):
    err = nn.relative_error(nn.numerical_gradient(f, x), analytic)
    assert err < TOL, f"relative error {err:.2e}"
    return err


@pytest.fixture
def rng():
    return np.random.default_rng(0)


# --- gradient checks ----------------------------------------------------------------------------

def test_numerical_gradient_of_a_known_function(rng):
    x = rng.normal(size=(3, 2))
    np.testing.assert_allclose(nn.numerical_gradient(lambda: np.sum(np.sin(x)), x), np.cos(x),
                               rtol=1e-8)
    assert nn.relative_error(np.cos(x), np.cos(x) * (1 + 1e-3)) == pytest.approx(5e-4, rel=1e-3)
    with pytest.raises(TypeError, match="float64"):
        nn.numerical_gradient(lambda: 0.0, x.astype(np.float32))


# --- the backward of every layer -------------------------------------------------------------

def test_linear_backward(rng):
    x, w, b = rng.normal(size=(2, 3, 4)), rng.normal(size=(4, 5)), rng.normal(size=5)
    r = rng.normal(size=(2, 3, 5))  # the loss is sum(r * y): its gradient dy is r
    dx, dw, db = nn.linear_backward(r, x, w)
    loss = lambda: np.sum(r * nn.linear(x, w, b))
    check(loss, x, dx)
    check(loss, w, dw)
    check(loss, b, db)


def test_embedding_backward_adds_up_repeated_ids(rng):
    table = rng.normal(size=(6, 3))
    ids = np.array([[1, 2, 1], [5, 1, 0]])  # id 1 three times, 3 and 4 never
    r = rng.normal(size=(2, 3, 3))
    d_table = nn.embedding_backward(r, ids, 6)
    check(lambda: np.sum(r * nn.embedding(ids, table)), table, d_table)
    np.testing.assert_array_equal(d_table[[3, 4]], 0)
    np.testing.assert_allclose(d_table[1], r[0, 0] + r[0, 2] + r[1, 1])


def test_relu_backward(rng):
    x = rng.normal(size=(4, 5))
    x[np.abs(x) < 1e-3] = 0.5  # stay away from the kink, where finite differences are not defined
    r = rng.normal(size=x.shape)
    check(lambda: np.sum(r * nn.relu(x)), x, nn.relu_backward(r, x))


def test_layer_norm_backward(rng):
    x = rng.normal(size=(2, 3, 6)) * 3 + 1
    gamma, beta = rng.normal(size=6), rng.normal(size=6)
    r = rng.normal(size=x.shape)
    dx, dgamma, dbeta = nn.layer_norm_backward(r, x, gamma)
    loss = lambda: np.sum(r * nn.layer_norm(x, gamma, beta))
    check(loss, x, dx)
    check(loss, gamma, dgamma)
    check(loss, beta, dbeta)


def test_layer_norm_forward_normalises_rows(rng):
    x = rng.normal(size=(5, 8)) * 4 - 2
    y = nn.layer_norm(x, np.ones(8), np.zeros(8), eps=1e-12)
    np.testing.assert_allclose(y.mean(axis=-1), 0, atol=1e-12)
    np.testing.assert_allclose(y.std(axis=-1), 1, rtol=1e-9)


def test_softmax_backward(rng):
    s = rng.normal(size=(2, 3, 5))
    r = rng.normal(size=s.shape)
    d_scores = nn.softmax_backward(r, ab.softmax(s))
    check(lambda: np.sum(r * ab.softmax(s)), s, d_scores)


def test_softmax_backward_equals_the_jacobian(rng):
    """The rowsum formula is the Jacobian A_j (delta_jk - A_k) applied without building it."""
    s, r = rng.normal(size=6), rng.normal(size=6)
    a = ab.softmax(s)
    jacobian = np.diag(a) - np.outer(a, a)  # d a_k / d s_j, symmetric
    np.testing.assert_allclose(nn.softmax_backward(r, a), jacobian @ r, atol=1e-14)


@pytest.mark.parametrize("masked", [False, True])
def test_scaled_dot_product_attention_backward(rng, masked):
    q, k, v = rng.normal(size=(2, 3, 4)), rng.normal(size=(2, 5, 4)), rng.normal(size=(2, 5, 6))
    mask = ab.padding_mask(np.array([5, 3]), 5) if masked else None
    r = rng.normal(size=(2, 3, 6))
    out, weights = ab.scaled_dot_product_attention(q, k, v, mask=mask)
    dq, dk, dv = nn.scaled_dot_product_attention_backward(r, q, k, v, weights)
    loss = lambda: np.sum(r * ab.scaled_dot_product_attention(q, k, v, mask=mask)[0])
    check(loss, q, dq)
    check(loss, k, dk)
    check(loss, v, dv)
    if masked:  # a padded key gets no gradient
        np.testing.assert_array_equal(dk[1, 3:], 0)
        np.testing.assert_array_equal(dv[1, 3:], 0)


def test_attention_backward_with_broadcast_keys_and_a_scale(rng):
    q = rng.normal(size=(3, 2, 4))              # 3 batches of 2 queries
    k, v = rng.normal(size=(5, 4)), rng.normal(size=(5, 2))  # keys and values shared by all
    r = rng.normal(size=(3, 2, 2))
    _, weights = ab.scaled_dot_product_attention(q, k, v, scale=0.7)
    dq, dk, dv = nn.scaled_dot_product_attention_backward(r, q, k, v, weights, scale=0.7)
    assert dk.shape == k.shape and dv.shape == v.shape
    loss = lambda: np.sum(r * ab.scaled_dot_product_attention(q, k, v, scale=0.7)[0])
    check(loss, q, dq)
    check(loss, k, dk)
    check(loss, v, dv)


def _mha_params(rng, d):
    return {n: rng.normal(size=(d, d)) / np.sqrt(d) if n.startswith("w") else rng.normal(size=d) * 0.1
            for n in nn.MHA_PARAMS}


def test_multi_head_attention_backward_cross_attention(rng):
    d, h = 8, 2
    params = _mha_params(rng, d)
    query, key, value = rng.normal(size=(2, 3, d)), rng.normal(size=(2, 5, d)), rng.normal(size=(2, 5, d))
    mask = ab.padding_mask(np.array([5, 2]), 5)
    r = rng.normal(size=(2, 3, d))
    _, _, cache = nn.multi_head_attention(params, query, key, value, h, mask=mask)
    dq, dk, dv, grads = nn.multi_head_attention_backward(r, params, cache)
    loss = lambda: np.sum(r * nn.multi_head_attention(params, query, key, value, h, mask=mask)[0])
    for x, dx in ((query, dq), (key, dk), (value, dv)):
        check(loss, x, dx)
    for name in nn.MHA_PARAMS:
        check(loss, params[name], grads[name])


def test_multi_head_self_attention_gradient_is_the_sum_of_three(rng):
    d, h = 6, 3
    params = _mha_params(rng, d)
    x = rng.normal(size=(4, d))
    r = rng.normal(size=(4, d))
    _, _, cache = nn.multi_head_attention(params, x, x, x, h)
    dq, dk, dv, _ = nn.multi_head_attention_backward(r, params, cache)
    check(lambda: np.sum(r * nn.multi_head_attention(params, x, x, x, h)[0]), x, dq + dk + dv)


def test_key_bias_gets_zero_gradient(rng):
    """Adding b_K adds q . b_K to every score of a query: the softmax ignores it."""
    d = 4
    params = _mha_params(rng, d)
    x = rng.normal(size=(3, d))
    _, _, cache = nn.multi_head_attention(params, x, x, x, 2)
    *_, grads = nn.multi_head_attention_backward(rng.normal(size=(3, d)), params, cache)
    np.testing.assert_allclose(grads["b_k"], 0, atol=1e-14)


def test_cross_entropy_backward(rng):
    logits = rng.normal(size=(2, 3, 4)) * 2
    targets = rng.integers(0, 4, size=(2, 3))
    check(lambda: nn.cross_entropy(logits, targets), logits, nn.cross_entropy_backward(logits, targets))


def test_cross_entropy_values():
    logits = np.log(np.array([[0.5, 0.25, 0.25], [0.1, 0.8, 0.1]]))
    assert nn.cross_entropy(logits, np.array([0, 1])) == pytest.approx(-(np.log(0.5) + np.log(0.8)) / 2)
    assert nn.cross_entropy(np.array([[1e4, 0.0]]), np.array([0])) == pytest.approx(0.0)  # stable


# --- forward passes are the book's attention -----------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_multi_head_attention_forward_is_MultiHeadAttention(rng, dtype):
    d, h = 12, 3
    mha = ab.MultiHeadAttention(d, h, seed=3, dtype=dtype)
    mha.b_q[:], mha.b_k[:], mha.b_v[:], mha.b_o[:] = (rng.normal(size=(4, d)) * 0.1).astype(dtype)
    query = rng.normal(size=(2, 4, d)).astype(dtype)
    memory = rng.normal(size=(2, 7, d)).astype(dtype)
    mask = ab.padding_mask(np.array([7, 4]), 7)
    expected_out, expected_weights = mha(query, memory, memory, mask=mask)
    out, weights, _ = nn.multi_head_attention(mha.parameters(), query, memory, memory, h, mask=mask)
    assert out.dtype == dtype and weights.shape == (2, h, 4, 7)
    np.testing.assert_array_equal(out, expected_out)
    np.testing.assert_array_equal(weights, expected_weights)


def test_linear_and_embedding_forward(rng):
    x, w, b = rng.normal(size=(3, 4)), rng.normal(size=(4, 2)), rng.normal(size=2)
    np.testing.assert_allclose(nn.linear(x, w, b), np.einsum("ni,io->no", x, w) + b)
    table = rng.normal(size=(5, 3))
    np.testing.assert_array_equal(nn.embedding(np.array([[4, 0]]), table), table[[[4, 0]]])


# --- optimisation --------------------------------------------------------------------------------

def test_adam_first_step_moves_each_parameter_by_lr_against_the_gradient_sign():
    params = {"a": np.array([1.0, -2.0, 3.0])}
    opt = nn.Adam(params, lr=0.1)
    opt.step({"a": np.array([0.5, -3.0, 1e-3])})
    # after bias correction m/sqrt(v) = g/|g|: every entry moves by lr (up to eps)
    np.testing.assert_allclose(params["a"], [0.9, -1.9, 2.9], atol=1e-4)


def test_adam_minimises_a_quadratic():
    target = np.array([3.0, -1.0, 0.5])
    params = {"x": np.zeros(3)}
    opt = nn.Adam(params, lr=0.05)
    for _ in range(2000):
        opt.step({"x": 2 * (params["x"] - target)})
    np.testing.assert_allclose(params["x"], target, atol=1e-3)


def test_clip_grad_norm():
    grads = {"a": np.array([3.0, 0.0]), "b": np.array([[4.0]])}
    assert nn.clip_grad_norm(grads, 1.0) == pytest.approx(5.0)
    np.testing.assert_allclose(grads["a"], [0.6, 0.0])
    np.testing.assert_allclose(grads["b"], [[0.8]])
    small = {"a": np.array([0.1])}
    nn.clip_grad_norm(small, 1.0)
    np.testing.assert_array_equal(small["a"], [0.1])


# --- bad input -----------------------------------------------------------------------------------

def test_bad_shapes_raise_clear_errors(rng):
    with pytest.raises(ValueError, match="linear needs"):
        nn.linear(np.ones((2, 3)), np.ones((4, 5)), np.ones(5))
    with pytest.raises(ValueError, match="dy must have shape"):
        nn.linear_backward(np.ones((2, 4)), np.ones((2, 3)), np.ones((3, 5)))
    with pytest.raises(ValueError, match="ids must lie in"):
        nn.embedding(np.array([0, 9]), np.ones((5, 2)))
    with pytest.raises(TypeError, match="integers"):
        nn.embedding(np.array([0.5]), np.ones((5, 2)))
    with pytest.raises(ValueError, match="gamma"):
        nn.layer_norm(np.ones((2, 3)), np.ones(4), np.zeros(4))
    with pytest.raises(ValueError, match="d_weights must have the shape"):
        nn.softmax_backward(np.ones((2, 3)), np.ones((2, 4)))
    with pytest.raises(ValueError, match="targets"):
        nn.cross_entropy(np.ones((2, 3)), np.array([0, 3]))
    with pytest.raises(ValueError, match="missing"):
        nn.multi_head_attention({"w_q": np.eye(2)}, np.ones((1, 2)), np.ones((1, 2)), np.ones((1, 2)), 1)
    with pytest.raises(ValueError, match="NaN"):
        nn.clip_grad_norm({"a": np.array([np.nan])}, 1.0)
    with pytest.raises(ValueError, match="grads and params differ"):
        nn.Adam({"a": np.zeros(2)}).step({"b": np.zeros(2)})
