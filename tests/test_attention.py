"""Unit and property tests of attnbook.attention and attnbook.positional."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

import attnbook as ab

finite = st.floats(-50, 50, allow_nan=False, allow_infinity=False, width=64)
score_arrays = arrays(np.float64, array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=6),
                      elements=finite)


# --- softmax -------------------------------------------------------------------------------

@given(score_arrays)
def test_softmax_rows_sum_to_one_and_are_positive(x):
    p = ab.softmax(x)
    assert p.shape == x.shape
    np.testing.assert_allclose(p.sum(axis=-1), 1.0, rtol=1e-12)
    assert (p >= 0).all()


@given(score_arrays, st.floats(-1e3, 1e3, allow_nan=False))
def test_softmax_invariant_to_adding_a_constant_to_a_row(x, c):
    np.testing.assert_allclose(ab.softmax(x + c), ab.softmax(x), atol=1e-12)


@given(arrays(np.float64, st.integers(2, 8), elements=finite, unique=True))
def test_softmax_is_monotone(x):
    p = ab.softmax(x)
    order = np.argsort(x)
    assert (np.diff(p[order]) >= 0).all()


@pytest.mark.parametrize("big", [1e4, -1e4])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_softmax_is_stable_at_huge_logits(big, dtype):
    x = np.array([[big, 0.0, big - 1.0]], dtype=dtype)
    p = ab.softmax(x)
    assert p.dtype == dtype
    assert np.isfinite(p).all()
    expected = ab.softmax(np.array([[1.0, 1.0 - big, 0.0]]))  # shifted by big - 1, exact
    np.testing.assert_allclose(p, expected, atol=1e-6)


def test_softmax_at_the_edge_of_float64():
    np.testing.assert_array_equal(ab.softmax(np.array([1e300, 0.0])), [1.0, 0.0])


def test_softmax_naive_formula_would_overflow_here():
    x = np.array([1e4, 0.0])
    with np.errstate(over="ignore", invalid="ignore"):
        naive = np.exp(x) / np.exp(x).sum()
    assert np.isnan(naive).any()  # the failure the stable version avoids
    np.testing.assert_allclose(ab.softmax(x), [1.0, 0.0])


def test_softmax_matches_the_formula_on_a_known_example():
    x = np.array([1.0, 2.0, 3.0])
    e = np.exp(x)
    np.testing.assert_allclose(ab.softmax(x), e / e.sum(), rtol=1e-15)


def test_softmax_axis_argument():
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_allclose(ab.softmax(x, axis=0).sum(axis=0), 1.0)
    np.testing.assert_allclose(ab.softmax(x, axis=0), ab.softmax(x.T).T)


def test_softmax_temperature_limits():
    x = np.array([1.0, 3.0, 2.0])
    np.testing.assert_allclose(ab.softmax(x, temperature=1e-3), [0, 1, 0], atol=1e-12)
    np.testing.assert_allclose(ab.softmax(x, temperature=1e6), [1 / 3] * 3, atol=1e-5)
    np.testing.assert_allclose(ab.softmax(x, temperature=2.0), ab.softmax(x / 2.0))


def test_softmax_neg_inf_means_zero_weight_and_all_neg_inf_row_is_zero():
    x = np.array([[0.0, -np.inf, 0.0], [-np.inf, -np.inf, -np.inf]])
    p = ab.softmax(x)
    np.testing.assert_array_equal(p, [[0.5, 0.0, 0.5], [0.0, 0.0, 0.0]])


@pytest.mark.parametrize(
    "x, kwargs, error, match",
    [
        ([1.0, np.nan], {}, ValueError, "NaN"),
        ([1.0, np.inf], {}, ValueError, r"\+inf"),
        (["a", "b"], {}, TypeError, "numeric"),
        ([True, False], {}, TypeError, "numeric"),
        (3.0, {}, ValueError, "at least 1 dimensions"),
        ([1.0, 2.0], {"temperature": 0}, ValueError, "temperature"),
        ([1.0, 2.0], {"temperature": -1}, ValueError, "temperature"),
        ([1.0, 2.0], {"temperature": "hot"}, TypeError, "temperature"),
        ([1.0, 2.0], {"axis": 1}, ValueError, "out of range"),
        ([1e300, 2.0], {"temperature": 1e-10}, ValueError, "overflows"),
    ],
)
def test_softmax_rejects_bad_input_clearly(x, kwargs, error, match):
    with pytest.raises(error, match=match):
        ab.softmax(x, **kwargs)


# --- scaled dot-product attention ------------------------------------------------------------

def _random_qkv(rng, batch=(2,), lq=3, lk=5, dk=4, dv=6, dtype=np.float64):
    return (rng.normal(size=batch + (lq, dk)).astype(dtype),
            rng.normal(size=batch + (lk, dk)).astype(dtype),
            rng.normal(size=batch + (lk, dv)).astype(dtype))


def test_sdpa_matches_the_formula_written_out():
    rng = np.random.default_rng(0)
    q, k, v = _random_qkv(rng)
    out, w = ab.scaled_dot_product_attention(q, k, v)
    for b in range(2):
        for i in range(3):
            s = np.array([q[b, i] @ k[b, j] for j in range(5)]) / math.sqrt(4)
            a = np.exp(s - s.max()) / np.exp(s - s.max()).sum()
            np.testing.assert_allclose(w[b, i], a, rtol=1e-12)
            np.testing.assert_allclose(out[b, i], sum(a[j] * v[b, j] for j in range(5)), rtol=1e-12)


def test_sdpa_shapes_and_float32_kept():
    rng = np.random.default_rng(1)
    q, k, v = _random_qkv(rng, batch=(2, 3), dtype=np.float32)
    out, w = ab.scaled_dot_product_attention(q, k, v)
    assert out.shape == (2, 3, 3, 6) and w.shape == (2, 3, 3, 5)
    assert out.dtype == np.float32 and w.dtype == np.float32


def test_sdpa_scale_argument():
    rng = np.random.default_rng(2)
    q, k, v = _random_qkv(rng)
    _, w1 = ab.scaled_dot_product_attention(q, k, v, scale=1.0)
    np.testing.assert_allclose(w1, ab.softmax(q @ np.swapaxes(k, -1, -2)))


def test_sdpa_batch_dims_broadcast():
    rng = np.random.default_rng(3)
    q = rng.normal(size=(4, 1, 3, 8))
    k = rng.normal(size=(2, 5, 8))
    v = rng.normal(size=(2, 5, 7))
    out, w = ab.scaled_dot_product_attention(q, k, v)
    assert out.shape == (4, 2, 3, 7)
    np.testing.assert_allclose(out[1, 1], ab.scaled_dot_product_attention(q[1, 0], k[1], v[1])[0])


@given(st.integers(1, 6), st.integers(1, 6), st.data())
@settings(max_examples=60)
def test_masked_keys_get_exactly_zero_weight(lq, lk, data):
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16)))
    q, k, v = _random_qkv(rng, batch=(), lq=lq, lk=lk)
    mask = data.draw(arrays(bool, (lq, lk)))
    out, w = ab.scaled_dot_product_attention(q, k, v, mask=mask)
    assert (w[~mask] == 0.0).all()
    rows_with_keys = mask.any(axis=-1)
    np.testing.assert_allclose(w[rows_with_keys].sum(-1), 1.0, rtol=1e-12)
    # a fully masked query: zero weights and zero output, never NaN
    assert (w[~rows_with_keys] == 0).all() and (out[~rows_with_keys] == 0).all()
    assert np.isfinite(out).all()


def test_sdpa_masked_equals_attention_over_the_kept_keys():
    rng = np.random.default_rng(4)
    q, k, v = _random_qkv(rng, batch=())
    keep = np.array([True, False, True, True, False])
    out, _ = ab.scaled_dot_product_attention(q, k, v, mask=keep)
    ref, _ = ab.scaled_dot_product_attention(q, k[keep], v[keep])
    np.testing.assert_allclose(out, ref, rtol=1e-12)


@pytest.mark.parametrize("big", [1e4, -1e4])
def test_sdpa_stable_at_huge_scores(big):
    q = np.array([[1.0, 0.0]])
    k = np.array([[big, 0.0], [0.0, 1.0]])
    v = np.eye(2)
    out, w = ab.scaled_dot_product_attention(q, k, v, scale=1.0)
    assert np.isfinite(w).all()
    np.testing.assert_allclose(w, [[1.0, 0.0]] if big > 0 else [[0.0, 1.0]])


@pytest.mark.parametrize(
    "shapes, mask, error, match",
    [
        (((3, 4), (5, 3), (5, 6)), None, ValueError, r"q has shape \(3, 4\).*k has shape \(5, 3\)"),
        (((3, 4), (5, 4), (6, 6)), None, ValueError, r"same L_k.*\(5, 4\).*\(6, 6\)"),
        (((2, 3, 4), (3, 5, 4), (3, 5, 6)), None, ValueError, "do not broadcast"),
        (((4,), (5, 4), (5, 6)), None, ValueError, "at least 2 dimensions"),
        (((3, 4), (5, 4), (5, 6)), np.ones((3, 5)), TypeError, "boolean"),
        (((3, 4), (5, 4), (5, 6)), np.ones((3, 4), bool), ValueError, r"\(3, 4\).*\(3, 5\)"),
        (((3, 4), (5, 4), (5, 6)), np.ones((2, 3, 5), bool), ValueError, "enlarge"),
    ],
)
def test_sdpa_rejects_bad_input_clearly(shapes, mask, error, match):
    q, k, v = (np.ones(s) for s in shapes)
    with pytest.raises(error, match=match):
        ab.scaled_dot_product_attention(q, k, v, mask=mask)


def test_sdpa_rejects_nan():
    q, k, v = np.ones((3, 4)), np.ones((5, 4)), np.ones((5, 6))
    k[1, 2] = np.nan
    with pytest.raises(ValueError, match=r"k contains NaN \(shape \(5, 4\)\)"):
        ab.scaled_dot_product_attention(q, k, v)


# --- entropy and masks -------------------------------------------------------------------------

def test_entropy_of_one_hot_and_uniform_rows():
    assert ab.entropy(np.array([0.0, 1.0, 0.0])) == 0.0
    np.testing.assert_allclose(ab.entropy(np.full(7, 1 / 7)), math.log(7))
    np.testing.assert_allclose(ab.entropy(np.array([[0.5, 0.5], [0.0, 0.0]])), [math.log(2), 0.0])


def test_entropy_rejects_non_probabilities():
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        ab.entropy(np.array([-0.1, 1.1]))


def test_causal_mask():
    m = ab.causal_mask(4)
    np.testing.assert_array_equal(m, np.tril(np.ones((4, 4), bool)))
    m2 = ab.causal_mask(2, 5)  # the last two positions of five
    np.testing.assert_array_equal(m2, [[1, 1, 1, 1, 0], [1, 1, 1, 1, 1]])
    rng = np.random.default_rng(5)
    q, k, v = _random_qkv(rng, batch=(), lq=4, lk=4)
    _, w = ab.scaled_dot_product_attention(q, k, v, mask=m)
    assert (np.triu(w, 1) == 0).all()
    with pytest.raises(ValueError, match="length_k"):
        ab.causal_mask(5, 3)


def test_padding_mask():
    m = ab.padding_mask([2, 4, 1])
    assert m.shape == (3, 1, 4)
    np.testing.assert_array_equal(m[:, 0], [[1, 1, 0, 0], [1, 1, 1, 1], [1, 0, 0, 0]])
    assert ab.padding_mask([1], max_length=3).shape == (1, 1, 3)
    with pytest.raises(TypeError, match="ints"):
        ab.padding_mask([1.5, 2])
    with pytest.raises(ValueError, match="max_length"):
        ab.padding_mask([4], max_length=3)


# --- multi-head attention ------------------------------------------------------------------------

def _mha_reference(mha, xq, xk, xv, mask=None):
    """Independent loop over heads, written from the paper's per-head formulas."""
    h, dh = mha.num_heads, mha.d_head
    q, k, v = xq @ mha.w_q + mha.b_q, xk @ mha.w_k + mha.b_k, xv @ mha.w_v + mha.b_v
    heads, weights = [], []
    for i in range(h):
        cols = slice(i * dh, (i + 1) * dh)
        s = q[..., cols] @ np.swapaxes(k[..., cols], -1, -2) / math.sqrt(dh)
        if mask is not None:
            s = np.where(mask, s, -np.inf)
        a = np.exp(s - s.max(-1, keepdims=True))
        a = a / a.sum(-1, keepdims=True)
        heads.append(a @ v[..., cols])
        weights.append(a)
    return np.concatenate(heads, -1) @ mha.w_o + mha.b_o, np.stack(weights, -3)


@pytest.mark.parametrize("num_heads", [1, 2, 4])
def test_mha_matches_loop_over_heads(num_heads):
    rng = np.random.default_rng(6)
    mha = ab.MultiHeadAttention(8, num_heads, seed=1)
    for name in ("b_q", "b_k", "b_v", "b_o"):
        setattr(mha, name, rng.normal(size=8))
    xq, xk = rng.normal(size=(2, 3, 8)), rng.normal(size=(2, 5, 8))
    mask = ab.causal_mask(3, 5)
    out, w = mha(xq, xk, xk, mask=mask)
    ref_out, ref_w = _mha_reference(mha, xq, xk, xk, mask)
    assert w.shape == (2, num_heads, 3, 5)
    np.testing.assert_allclose(out, ref_out, atol=1e-6, rtol=0)
    np.testing.assert_allclose(w, ref_w, atol=1e-6, rtol=0)


def test_mha_with_one_head_is_sdpa_on_projected_inputs():
    rng = np.random.default_rng(7)
    mha = ab.MultiHeadAttention(6, 1, seed=2)
    x = rng.normal(size=(4, 6))
    out, w = mha(x, x, x)
    o, a = ab.scaled_dot_product_attention(x @ mha.w_q, x @ mha.w_k, x @ mha.w_v)
    np.testing.assert_allclose(w[0], a, rtol=1e-12)
    np.testing.assert_allclose(out, o @ mha.w_o, rtol=1e-12)


def test_mha_padding_mask_and_seed():
    rng = np.random.default_rng(8)
    x = rng.normal(size=(2, 4, 8))
    mha = ab.MultiHeadAttention(8, 2, seed=3)
    _, w = mha(x, x, x, mask=ab.padding_mask([2, 4]))
    assert (w[0, :, :, 2:] == 0).all()
    assert np.array_equal(ab.MultiHeadAttention(8, 2, seed=3).w_q, mha.w_q)
    assert not np.array_equal(ab.MultiHeadAttention(8, 2, seed=4).w_q, mha.w_q)


def test_mha_from_params_and_errors():
    rng = np.random.default_rng(9)
    ws = [rng.normal(size=(4, 4)) for _ in range(4)]
    mha = ab.MultiHeadAttention.from_params(2, *ws)
    assert mha.d_model == 4 and np.array_equal(mha.w_o, ws[3])
    with pytest.raises(ValueError, match=r"w_k must have shape \(4, 4\)"):
        ab.MultiHeadAttention.from_params(2, ws[0], np.ones((4, 3)), ws[2], ws[3])
    with pytest.raises(ValueError, match="divisible"):
        ab.MultiHeadAttention(6, 4)
    with pytest.raises(ValueError, match=r"query must end in d_model=4, got shape \(3, 5\)"):
        mha(np.ones((3, 5)), np.ones((3, 4)), np.ones((3, 4)))


def test_split_and_merge_heads_are_inverse():
    x = np.arange(2 * 3 * 8.0).reshape(2, 3, 8)
    s = ab.split_heads(x, 4)
    assert s.shape == (2, 4, 3, 2)
    np.testing.assert_array_equal(s[:, 1], x[..., 2:4])
    np.testing.assert_array_equal(ab.merge_heads(s), x)


# --- positional encodings ------------------------------------------------------------------------

def test_sinusoidal_positional_encoding():
    pe = ab.sinusoidal_positional_encoding(50, 16)
    assert pe.shape == (50, 16)
    p, i = 7, 3
    np.testing.assert_allclose(pe[p, 2 * i], math.sin(p / 10000 ** (2 * i / 16)))
    np.testing.assert_allclose(pe[p, 2 * i + 1], math.cos(p / 10000 ** (2 * i / 16)))
    np.testing.assert_allclose((pe[:, 0::2] ** 2 + pe[:, 1::2] ** 2), 1.0)
    with pytest.raises(ValueError, match="even"):
        ab.sinusoidal_positional_encoding(4, 5)
