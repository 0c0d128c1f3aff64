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
    """Independent loop over heads, written from the paper's per-head formulas.

    A query whose keys are all masked gets zero weights (the library's documented choice)."""
    h, dh = mha.num_heads, mha.d_head
    q, k, v = xq @ mha.w_q + mha.b_q, xk @ mha.w_k + mha.b_k, xv @ mha.w_v + mha.b_v
    heads, weights = [], []
    for i in range(h):
        cols = slice(i * dh, (i + 1) * dh)
        s = q[..., cols] @ np.swapaxes(k[..., cols], -1, -2) / math.sqrt(dh)
        if mask is not None:
            s = np.where(mask, s, -np.inf)
        m = s.max(-1, keepdims=True)
        a = np.exp(s - np.where(np.isfinite(m), m, 0.0))
        total = a.sum(-1, keepdims=True)
        a = a / np.where(total > 0, total, 1.0)
        heads.append(a @ v[..., cols])
        weights.append(a)
    return np.concatenate(heads, -1) @ mha.w_o + mha.b_o, np.stack(weights, -3)


def _random_biases(mha, rng):
    for name in ("b_q", "b_k", "b_v", "b_o"):
        setattr(mha, name, rng.normal(size=mha.d_model))
    return mha


@pytest.mark.parametrize("num_heads", [1, 2, 4, 8])
def test_mha_matches_loop_over_heads(num_heads):
    rng = np.random.default_rng(6)
    mha = _random_biases(ab.MultiHeadAttention(8, num_heads, seed=1), rng)
    xq, xk, xv = rng.normal(size=(2, 3, 8)), rng.normal(size=(2, 5, 8)), rng.normal(size=(2, 5, 8))
    mask = ab.causal_mask(3, 5)
    out, w = mha(xq, xk, xv, mask=mask)  # cross-attention: keys and values differ
    ref_out, ref_w = _mha_reference(mha, xq, xk, xv, mask)
    assert out.shape == (2, 3, 8) and w.shape == (2, num_heads, 3, 5)
    np.testing.assert_allclose(out, ref_out, atol=1e-6, rtol=0)
    np.testing.assert_allclose(w, ref_w, atol=1e-6, rtol=0)


@given(st.data())
@settings(max_examples=80, deadline=None)
def test_mha_matches_loop_over_heads_for_any_shapes_and_masks(data):
    """float64, random heads, lengths, batch shapes, biases and masks (fully masked rows too):
    agreement to 1e-6, the issue's bound (in practice the difference is ~1e-15)."""
    num_heads = data.draw(st.sampled_from([1, 2, 3, 4]), "num_heads")
    d_model = num_heads * data.draw(st.integers(1, 4), "d_head")
    batch = data.draw(st.sampled_from([(), (1,), (3,), (2, 2)]), "batch")
    lq, lk = data.draw(st.integers(1, 5), "L_q"), data.draw(st.integers(1, 5), "L_k")
    rng = np.random.default_rng(data.draw(st.integers(0, 2**16), "seed"))
    mha = _random_biases(ab.MultiHeadAttention(d_model, num_heads, seed=int(rng.integers(99))), rng)
    xq = rng.normal(size=batch + (lq, d_model))
    xk, xv = rng.normal(size=batch + (lk, d_model)), rng.normal(size=batch + (lk, d_model))
    mask_shape = data.draw(st.sampled_from([None, (lq, lk), (lk,), batch + (1, lk),
                                            batch + (lq, lk)]), "mask_shape")
    mask = None if mask_shape is None else data.draw(arrays(bool, mask_shape), "mask")
    out, w = mha(xq, xk, xv, mask=mask)
    ref_out, ref_w = _mha_reference(mha, xq, xk, xv, mask)
    assert w.shape == batch + (num_heads, lq, lk) and out.shape == batch + (lq, d_model)
    np.testing.assert_allclose(w, ref_w, atol=1e-6, rtol=0)
    np.testing.assert_allclose(out, ref_out, atol=1e-6, rtol=0)
    if mask is not None:  # masked keys get exactly zero weight in every head
        assert (w[np.broadcast_to(~np.expand_dims(mask, -3) if mask.ndim >= 2 else ~mask,
                                  w.shape)] == 0).all()


def test_mha_with_one_head_is_sdpa_on_projected_inputs():
    rng = np.random.default_rng(7)
    mha = _random_biases(ab.MultiHeadAttention(6, 1, seed=2), rng)
    x, y = rng.normal(size=(4, 6)), rng.normal(size=(5, 6))
    for xq, xkv in ((x, x), (x, y)):  # self-attention and cross-attention
        out, w = mha(xq, xkv, xkv)
        o, a = ab.scaled_dot_product_attention(xq @ mha.w_q + mha.b_q, xkv @ mha.w_k + mha.b_k,
                                               xkv @ mha.w_v + mha.b_v)
        assert w.shape == (1,) + a.shape
        np.testing.assert_allclose(w[0], a, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(out, o @ mha.w_o + mha.b_o, rtol=1e-12, atol=1e-14)


def _torch_layout_reference(in_proj_weight, in_proj_bias, out_proj_weight, out_proj_bias,
                            num_heads, query, key, value, attn_mask=None):
    """numpy transcription of PyTorch's ``F.multi_head_attention_forward`` for unbatched-first
    inputs: packed ``in_proj_weight`` (3E, E) applied as ``x @ W.T + b``, sequence-first
    (L, N, E) tensors, heads folded into the batch as ``(N * h, L, E / h)``, ``attn_mask`` True
    where attention is NOT allowed (PyTorch's boolean convention, the opposite of ours)."""
    e = query.shape[-1]
    hd = e // num_heads
    w_q, w_k, w_v = np.split(in_proj_weight, 3)
    b_q, b_k, b_v = np.split(in_proj_bias, 3)
    q, k, v = query @ w_q.T + b_q, key @ w_k.T + b_k, value @ w_v.T + b_v
    tgt, n, _ = q.shape
    src = k.shape[0]
    q = q.reshape(tgt, n * num_heads, hd).transpose(1, 0, 2)
    k = k.reshape(src, n * num_heads, hd).transpose(1, 0, 2)
    v = v.reshape(src, n * num_heads, hd).transpose(1, 0, 2)
    s = (q / math.sqrt(hd)) @ k.transpose(0, 2, 1)            # (N*h, L, S)
    if attn_mask is not None:
        s = np.where(attn_mask, -np.inf, s)
    a = np.exp(s - s.max(-1, keepdims=True))
    a /= a.sum(-1, keepdims=True)
    o = (a @ v).transpose(1, 0, 2).reshape(tgt, n, e)         # (L, N, E)
    return o @ out_proj_weight.T + out_proj_bias, a.reshape(n, num_heads, tgt, src)


def _keras_layout_reference(kernels, biases, num_heads, query, key, value, mask=None):
    """Keras's ``MultiHeadAttention`` layout: per-head kernels ``(E, h, d_head)`` for q/k/v and
    ``(h, d_head, E)`` for the output, applied with einsum; ``mask`` True = may attend."""
    (kq, kk, kv, ko), (bq, bk, bv, bo) = kernels, biases
    q = np.einsum("bqe,ehd->bqhd", query, kq) + bq
    k = np.einsum("bke,ehd->bkhd", key, kk) + bk
    v = np.einsum("bke,ehd->bkhd", value, kv) + bv
    s = np.einsum("bkhd,bqhd->bhqk", k, q / math.sqrt(q.shape[-1]))
    if mask is not None:
        s = np.where(mask[:, None], s, -np.inf)
    a = np.exp(s - s.max(-1, keepdims=True))
    a /= a.sum(-1, keepdims=True)
    o = np.einsum("bhqk,bkhd->bqhd", a, v)
    return np.einsum("bqhd,hde->bqe", o, ko) + bo, a


def test_mha_matches_the_pytorch_and_keras_parameter_layouts():
    """The same weights stored the frameworks' ways give the same attention (float64)."""
    rng = np.random.default_rng(10)
    e, h = 12, 3
    mha = _random_biases(ab.MultiHeadAttention(e, h, seed=5), rng)
    xq, xk, xv = rng.normal(size=(2, 4, e)), rng.normal(size=(2, 6, e)), rng.normal(size=(2, 6, e))
    mask = rng.random((2, 4, 6)) < 0.7
    mask[..., 0] = True  # no fully masked row: nn.MultiheadAttention returns NaN there (2.13)
    out, w = mha(xq, xk, xv, mask=mask)

    # PyTorch: in_proj_weight = [W_Q^T; W_K^T; W_V^T], out_proj.weight = W_O^T, (L, N, E) inputs
    in_w = np.concatenate([mha.w_q.T, mha.w_k.T, mha.w_v.T])
    in_b = np.concatenate([mha.b_q, mha.b_k, mha.b_v])
    t_out, t_w = _torch_layout_reference(in_w, in_b, mha.w_o.T, mha.b_o, h, xq.transpose(1, 0, 2),
                                         xk.transpose(1, 0, 2), xv.transpose(1, 0, 2),
                                         attn_mask=np.repeat(~mask, h, axis=0))
    np.testing.assert_allclose(out, t_out.transpose(1, 0, 2), atol=1e-12, rtol=0)
    np.testing.assert_allclose(w, t_w, atol=1e-12, rtol=0)

    # Keras: kernels (E, h, d_head) and (h, d_head, E), biases (h, d_head) and (E,)
    split = lambda m: m.reshape(e, h, e // h)  # noqa: E731
    kernels = (split(mha.w_q), split(mha.w_k), split(mha.w_v), mha.w_o.reshape(h, e // h, e))
    biases = tuple(b.reshape(h, e // h) for b in (mha.b_q, mha.b_k, mha.b_v)) + (mha.b_o,)
    k_out, k_w = _keras_layout_reference(kernels, biases, h, xq, xk, xv, mask)
    np.testing.assert_allclose(out, k_out, atol=1e-12, rtol=0)
    np.testing.assert_allclose(w, k_w, atol=1e-12, rtol=0)

    # and a layer built from PyTorch-layout weights with from_params is the same layer
    again = ab.MultiHeadAttention.from_params(h, *(m.T for m in np.split(in_w, 3)), mha.w_o,
                                              *np.split(in_b, 3), mha.b_o)
    np.testing.assert_array_equal(again(xq, xk, xv, mask=mask)[0], out)


@pytest.mark.parametrize("dtype, atol", [(np.float64, 1e-12), (np.float32, 2e-5)])
def test_mha_equals_torch_multihead_attention(dtype, atol):
    """Against the real ``torch.nn.MultiheadAttention`` when PyTorch happens to be installed
    (it is not a dependency of the book)."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(11)
    e, h = 16, 4
    mha = _random_biases(ab.MultiHeadAttention(e, h, seed=6), rng)
    params = {n: p.astype(dtype) for n, p in mha.parameters().items()}
    mha = ab.MultiHeadAttention.from_params(h, **params)
    layer = torch.nn.MultiheadAttention(e, h, batch_first=True,
                                        dtype=torch.float64 if dtype == np.float64 else torch.float32)
    with torch.no_grad():
        layer.in_proj_weight.copy_(torch.from_numpy(np.concatenate(
            [params["w_q"].T, params["w_k"].T, params["w_v"].T])))
        layer.in_proj_bias.copy_(torch.from_numpy(np.concatenate(
            [params["b_q"], params["b_k"], params["b_v"]])))
        layer.out_proj.weight.copy_(torch.from_numpy(params["w_o"].T.copy()))
        layer.out_proj.bias.copy_(torch.from_numpy(params["b_o"]))
    xq = rng.normal(size=(2, 5, e)).astype(dtype)
    xkv = rng.normal(size=(2, 7, e)).astype(dtype)
    mask = ab.causal_mask(5, 7)
    out, w = mha(xq, xkv, xkv, mask=mask)
    assert out.dtype == dtype and w.dtype == dtype
    with torch.no_grad():
        t_out, t_w = layer(torch.from_numpy(xq), torch.from_numpy(xkv), torch.from_numpy(xkv),
                           attn_mask=torch.from_numpy(~mask), need_weights=True,
                           average_attn_weights=False)
    np.testing.assert_allclose(out, t_out.numpy(), atol=atol, rtol=0)
    np.testing.assert_allclose(w, t_w.numpy(), atol=atol, rtol=0)


def test_mha_in_float32_stays_float32_and_close_to_float64():
    rng = np.random.default_rng(12)
    mha64 = _random_biases(ab.MultiHeadAttention(8, 2, seed=7), rng)
    mha32 = ab.MultiHeadAttention.from_params(
        2, **{n: p.astype(np.float32) for n, p in mha64.parameters().items()})
    x = rng.normal(size=(3, 6, 8))
    out32, w32 = mha32(x.astype(np.float32), x.astype(np.float32), x.astype(np.float32))
    out64, w64 = mha64(x, x, x)
    assert out32.dtype == np.float32 and w32.dtype == np.float32
    np.testing.assert_allclose(out32, out64, atol=2e-5, rtol=0)
    np.testing.assert_allclose(w32, w64, atol=2e-6, rtol=0)


def test_mha_padding_mask_and_seed():
    rng = np.random.default_rng(8)
    x = rng.normal(size=(2, 4, 8))
    mha = ab.MultiHeadAttention(8, 2, seed=3)
    _, w = mha(x, x, x, mask=ab.padding_mask([2, 4]))
    assert (w[0, :, :, 2:] == 0).all() and (w[1] > 0).all()
    np.testing.assert_allclose(w.sum(-1), 1.0, rtol=1e-12)
    assert np.array_equal(ab.MultiHeadAttention(8, 2, seed=3).w_q, mha.w_q)
    assert not np.array_equal(ab.MultiHeadAttention(8, 2, seed=4).w_q, mha.w_q)
    assert all(p.shape == ((8, 8) if n.startswith("w") else (8,))
               for n, p in mha.parameters().items())


def test_mha_fully_masked_query_gets_zero_weights_and_the_output_bias():
    rng = np.random.default_rng(13)
    mha = _random_biases(ab.MultiHeadAttention(4, 2, seed=8), rng)
    x = rng.normal(size=(3, 4))
    mask = np.array([[True, True, False], [False, False, False], [True, True, True]])
    out, w = mha(x, x, x, mask=mask)
    assert (w[:, 1] == 0).all() and np.isfinite(out).all()
    np.testing.assert_allclose(out[1], mha.b_o, rtol=1e-12)  # zero context, then W_O, + b_O


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
    with pytest.raises(ValueError, match="same L_k"):
        mha(np.ones((3, 4)), np.ones((3, 4)), np.ones((2, 4)))
    with pytest.raises(TypeError, match="boolean"):
        mha(np.ones((3, 4)), np.ones((3, 4)), np.ones((3, 4)), mask=np.ones((3, 3)))


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
