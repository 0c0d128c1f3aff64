"""Fuzzing every public numeric function of attnbook's attention, scale, scores, nn and
pretrained modules with float16/32/64 input, extreme magnitudes and empty axes (issue 12).

The property everywhere: a function either returns finite arrays of the expected shape and
dtype, or raises a ValueError/TypeError; never NaN, inf, a numpy warning (pytest turns
RuntimeWarnings into errors) or another exception. Small shapes and few examples keep the
file to a few seconds.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import attnbook as ab
from attnbook import nn, pretrained

DTYPES = [np.float16, np.float32, np.float64]
fuzz = settings(max_examples=30, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def elements(dtype):
    """Any finite value of the dtype, its extremes, subnormals and zeros included."""
    info = np.finfo(dtype)
    width = {np.float16: 16, np.float32: 32, np.float64: 64}[dtype]
    return st.one_of(
        st.floats(allow_nan=False, allow_infinity=False, width=width),
        st.sampled_from([0.0, -0.0, float(info.max), -float(info.max), float(info.tiny),
                         float(info.smallest_subnormal), 1.0, -1.0]),
        st.floats(-10, 10, width=width),
    )


@st.composite
def tensors(draw, shape, dtype=None):
    dtype = dtype or draw(st.sampled_from(DTYPES))
    return draw(arrays(dtype, shape, elements=elements(dtype)))


sides = st.integers(0, 4)        # 0: an empty axis
sides1 = st.integers(1, 4)


def finite_or_clear_error(fn, *args, **kwargs):
    """Call ``fn``; return its result if it succeeded (checked finite), None if it raised a
    clear error."""
    try:
        result = fn(*args, **kwargs)
    except (ValueError, TypeError) as error:
        assert str(error), f"{fn.__name__} raised {type(error).__name__} with no message"
        return None
    for r in (result if isinstance(result, tuple) else (result,)):
        if isinstance(r, np.ndarray) and np.issubdtype(r.dtype, np.floating):
            assert np.isfinite(r).all(), f"{fn.__name__} returned non-finite values: {r}"
    return result


# --- attention -------------------------------------------------------------------------------

@fuzz
@given(st.data())
def test_softmax_fuzz(data):
    x = data.draw(tensors((data.draw(sides), data.draw(sides))))
    tau = data.draw(st.sampled_from([1.0, 1e-300, 1e-5, 0.5, 3.0, 1e300]))
    p = finite_or_clear_error(ab.softmax, x, temperature=tau)
    if p is not None:
        assert p.dtype == x.dtype and p.shape == x.shape
        assert x.shape[-1] > 0
        sums = p.astype(np.float64).sum(axis=-1)
        np.testing.assert_allclose(sums, 1.0, rtol=5e-2 if x.dtype == np.float16 else 1e-4)
    else:
        assert x.shape[-1] == 0


@fuzz
@given(st.data())
def test_sdpa_fuzz_same_result_with_and_without_weights(data):
    dtype = data.draw(st.sampled_from(DTYPES))
    b, lq, lk, d, dv = (data.draw(s) for s in (sides, sides, sides, sides, sides))
    q = data.draw(tensors((b, lq, d), dtype))
    k = data.draw(tensors((b, lk, d), dtype))
    v = data.draw(tensors((b, lk, dv), dtype))
    mask = data.draw(st.none() | arrays(bool, (lq, lk)))
    with_w = finite_or_clear_error(ab.scaled_dot_product_attention, q, k, v, mask=mask)
    without = finite_or_clear_error(ab.scaled_dot_product_attention, q, k, v, mask=mask,
                                    need_weights=False)
    assert (with_w is None) == (without is None)
    if with_w is None:
        return
    (out, w), (out2, none) = with_w, without
    assert none is None and out.shape == out2.shape == (b, lq, dv) and out.dtype == dtype
    assert w.shape == (b, lq, lk) and w.dtype == dtype
    if w.size:
        assert ((w >= 0) & (w <= 1)).all()
    scale = float(np.abs(v.astype(np.float64)).max(initial=0)) or 1.0
    rtol = {np.float16: 1e-2, np.float32: 1e-5, np.float64: 1e-12}[dtype]
    np.testing.assert_allclose(out.astype(np.float64) / scale, out2.astype(np.float64) / scale,
                               atol=rtol * 4)


@fuzz
@given(st.data())
def test_tiled_and_linear_attention_fuzz(data):
    dtype = data.draw(st.sampled_from(DTYPES))
    lq, lk, d, dv = (data.draw(s) for s in (sides, sides, sides, sides))
    q, k = data.draw(tensors((lq, d), dtype)), data.draw(tensors((lk, d), dtype))
    v = data.draw(tensors((lk, dv), dtype))
    block = data.draw(st.integers(1, 3))
    tiled = finite_or_clear_error(ab.tiled_attention, q, k, v, block_size=block)
    plain = finite_or_clear_error(ab.scaled_dot_product_attention, q, k, v)
    assert (tiled is None) == (plain is None)
    if tiled is not None:
        assert tiled.dtype == dtype and tiled.shape == (lq, dv)
        scale = float(np.abs(v.astype(np.float64)).max(initial=0)) or 1.0
        atol = {np.float16: 2e-2, np.float32: 1e-4, np.float64: 1e-10}[dtype]
        np.testing.assert_allclose(tiled.astype(np.float64) / scale,
                                   plain[0].astype(np.float64) / scale, atol=atol)
    steps = finite_or_clear_error(lambda: ab.tiled_attention_steps(q, k, v, block_size=block))
    assert (steps is None) == (tiled is None)
    causal = data.draw(st.booleans()) and lq == lk
    out = finite_or_clear_error(ab.linear_attention, q, k, v, causal=causal, need_weights=True)
    if out is not None:
        assert out[0].dtype == dtype and out[0].shape == (lq, dv)


@fuzz
@given(st.data())
def test_online_softmax_fuzz(data):
    x = data.draw(tensors((data.draw(sides), data.draw(sides))))
    p = finite_or_clear_error(ab.online_softmax, x, block_size=data.draw(st.integers(1, 3)))
    if p is not None:
        np.testing.assert_allclose(p.astype(np.float64), ab.softmax(x).astype(np.float64),
                                   atol=1e-2 if x.dtype == np.float16 else 1e-5)
    finite_or_clear_error(ab.online_normalizer, x)


@fuzz
@given(st.data())
def test_mha_and_decoding_fuzz(data):
    dtype = data.draw(st.sampled_from(DTYPES))
    h = data.draw(st.integers(1, 2))
    d_model = h * data.draw(st.integers(1, 2))
    mha = ab.MultiHeadAttention(d_model, h, dtype=dtype)
    lq, lk = data.draw(sides), data.draw(sides)
    x = data.draw(tensors((lq, d_model), dtype))
    y = data.draw(tensors((lk, d_model), dtype))
    res = finite_or_clear_error(mha, x, y, y)
    if res is not None:
        assert res[0].shape == (lq, d_model) and res[1].shape == (h, lq, lk)
    finite_or_clear_error(ab.decode_self_attention, mha, x)
    heads = finite_or_clear_error(ab.split_heads, x, h)
    if heads is not None:
        np.testing.assert_array_equal(ab.merge_heads(heads), x)
    finite_or_clear_error(ab.entropy, data.draw(tensors((data.draw(sides), data.draw(sides)))))


# --- scores ------------------------------------------------------------------------------------

@fuzz
@given(st.data())
def test_score_functions_fuzz(data):
    dtype = data.draw(st.sampled_from(DTYPES))
    lq, lk, d, da = (data.draw(s) for s in (sides, sides, sides1, sides1))
    q, k = data.draw(tensors((lq, d), dtype)), data.draw(tensors((lk, d), dtype))
    for fn in (ab.dot_score, ab.scaled_dot_score, ab.cosine_score):
        s = finite_or_clear_error(fn, q, k)
        if s is not None:
            assert s.shape == (lq, lk) and s.dtype == dtype
            if fn is ab.cosine_score:
                assert (np.abs(s) <= 1).all()
    W = data.draw(tensors((d, d), dtype))
    finite_or_clear_error(ab.general_score, q, k, W)
    finite_or_clear_error(ab.additive_score, q, k, data.draw(tensors((d, da), dtype)),
                          data.draw(tensors((d, da), dtype)), data.draw(tensors((da,), dtype)))


# --- nn and pretrained -------------------------------------------------------------------------

@fuzz
@given(st.data())
def test_nn_layers_fuzz(data):
    dtype = data.draw(st.sampled_from(DTYPES))
    n, d = data.draw(sides), data.draw(sides1)
    x = data.draw(tensors((n, d), dtype))
    finite_or_clear_error(nn.linear, x, data.draw(tensors((d, 2), dtype)),
                          data.draw(tensors((2,), dtype)))
    finite_or_clear_error(nn.relu, x)
    finite_or_clear_error(nn.layer_norm, x, np.ones(d, dtype), np.zeros(d, dtype))
    logp = nn.log_softmax(x)  # -inf is right for a probability that underflows to 0
    assert not np.isnan(logp).any() and not np.isposinf(logp).any()
    targets = np.zeros(n, dtype=np.int64)
    finite_or_clear_error(nn.cross_entropy, x, targets)
    finite_or_clear_error(nn.cross_entropy_backward, x, targets)


@fuzz
@given(st.data())
def test_pretrained_maths_fuzz(data):
    x = data.draw(tensors((data.draw(sides), data.draw(sides))))
    for fn in (pretrained.erf, pretrained.gelu):
        y = finite_or_clear_error(fn, x)
        assert y is not None and y.shape == x.shape and y.dtype == x.dtype
    assert (np.abs(pretrained.erf(x)) <= 1).all()
    w = data.draw(tensors((data.draw(sides1),) * 2))
    finite_or_clear_error(pretrained.offset_attention, w, -1)
    finite_or_clear_error(pretrained.attention_to, w, [0])
