"""Tests of attention at scale: the fast path of scaled_dot_product_attention, online softmax,
tiled and causal-tiled attention, KV-cached decoding, and the approximations (attnbook.scale).

Every fast or streaming variant is compared with a plain computation written out here, in
float64, to 1e-12. No test times anything (benchmarks/ does, and only reports).
"""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import attnbook as ab
import attnbook.attention as attention_module


def plain_attention(q, k, v, mask=None, scale=None):
    """softmax(q k^T * scale) v written out in float64: the reference every variant must equal."""
    q, k, v = (np.asarray(x, dtype=np.float64) for x in (q, k, v))
    scale = 1 / math.sqrt(q.shape[-1]) if scale is None else scale
    s = q @ np.swapaxes(k, -1, -2) * scale
    if mask is not None:
        s = np.where(mask, s, -np.inf)
    m = s.max(-1, keepdims=True)
    m = np.where(np.isneginf(m), 0.0, m)
    e = np.exp(s - m)
    total = e.sum(-1, keepdims=True)
    w = np.divide(e, total, out=np.zeros_like(e), where=total > 0)
    return w @ v, w


def random_qkv(seed, batch=(), lq=5, lk=7, dk=4, dv=3, dtype=np.float64):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=batch + (lq, dk)).astype(dtype),
            rng.normal(size=batch + (lk, dk)).astype(dtype),
            rng.normal(size=batch + (lk, dv)).astype(dtype))


@pytest.fixture
def small_tiles(monkeypatch):
    """Make scaled_dot_product_attention cut even tiny inputs into tiles of 3 query rows and
    run them on the thread pool, so the tiling is tested on data small enough to write out."""
    monkeypatch.setattr(attention_module, "_TILED_WORK", 0)
    monkeypatch.setattr(attention_module, "_TILE_ELEMENTS", 3 * 7)


# --- scaled_dot_product_attention: need_weights and the tiled, threaded path --------------------

@pytest.mark.parametrize("tiled", [False, True])
def test_sdpa_need_weights_false_returns_the_same_output_and_none(tiled, request):
    if tiled:
        request.getfixturevalue("small_tiles")
    q, k, v = random_qkv(0, batch=(2, 3), lq=10, lk=7)
    out, w = ab.scaled_dot_product_attention(q, k, v, need_weights=False)
    assert w is None
    ref_out, _ = plain_attention(q, k, v)
    np.testing.assert_allclose(out, ref_out, rtol=1e-12, atol=1e-12)
    out_w, w = ab.scaled_dot_product_attention(q, k, v)
    np.testing.assert_allclose(out_w, ref_out, rtol=1e-12, atol=1e-12)


@pytest.mark.usefixtures("small_tiles")
@given(st.integers(0, 2**16), st.booleans())
@settings(max_examples=40, deadline=None)
def test_tiled_sdpa_with_masks_and_broadcasting_equals_plain(seed, need_weights):
    rng = np.random.default_rng(seed)
    q = rng.normal(size=(2, 1, 10, 4))   # broadcasts against k, v of shape (3, 7, d)
    k = rng.normal(size=(3, 7, 4))
    v = rng.normal(size=(3, 7, 5))
    mask = rng.random((2, 3, 10, 7)) < 0.6
    mask[0, 1, 4] = False                # a query with no key left
    out, w = ab.scaled_dot_product_attention(q, k, v, mask=mask, need_weights=need_weights)
    ref_out, ref_w = plain_attention(q, k, v, mask)
    assert out.shape == (2, 3, 10, 5)
    np.testing.assert_allclose(out, ref_out, rtol=1e-12, atol=1e-12)
    assert (out[0, 1, 4] == 0).all()
    if need_weights:
        np.testing.assert_allclose(w, ref_w, rtol=1e-12, atol=1e-12)
        assert (w[~mask] == 0).all()
    else:
        assert w is None


def test_sdpa_large_input_takes_the_thread_pool_and_is_exact():
    """Big enough for the real tiles and pool (no monkeypatching), with a causal mask."""
    q, k, v = random_qkv(1, batch=(3,), lq=1100, lk=800, dk=16, dv=80)
    assert 3 * 1100 * 80 * 800 >= attention_module._TILED_WORK
    mask = np.arange(800)[None, :] <= np.arange(1100)[:, None] - 300  # 300 queries see no key
    for need_weights in (False, True):
        out, w = ab.scaled_dot_product_attention(q, k, v, mask=mask, need_weights=need_weights)
        ref_out, ref_w = plain_attention(q, k, v, mask)
        np.testing.assert_allclose(out, ref_out, rtol=1e-12, atol=1e-12)
        if need_weights:
            np.testing.assert_allclose(w, ref_w, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize("tiled", [False, True])
def test_sdpa_float32_stays_float32_and_close_to_float64(tiled, request):
    if tiled:
        request.getfixturevalue("small_tiles")
    q, k, v = random_qkv(2, batch=(4,), lq=9, lk=7, dtype=np.float32)
    out, w = ab.scaled_dot_product_attention(q, k, v, need_weights=False)
    assert out.dtype == np.float32 and w is None
    np.testing.assert_allclose(out, plain_attention(q, k, v)[0], atol=1e-6)


@pytest.mark.parametrize("tiled", [False, True])
def test_sdpa_overflowing_scores_are_an_error_not_nan(tiled, request):
    if tiled:
        request.getfixturevalue("small_tiles")
    q, k, v = random_qkv(3, lq=6, lk=7)
    q[2] = 1e200
    k[3] = 1e200
    for need_weights in (True, False):
        with pytest.raises(ValueError, match="overflowed"):
            ab.scaled_dot_product_attention(q, k, v, need_weights=need_weights)


def test_sdpa_large_but_safe_values_take_the_exact_check_and_pass():
    q, k, v = random_qkv(4, lq=3, lk=4)
    q *= 1e150   # the cheap bound cannot rule out overflow, the exact check finds none
    k *= 1e-150
    out, _ = ab.scaled_dot_product_attention(q, k, v)
    np.testing.assert_allclose(out, plain_attention(q, k, v)[0], rtol=1e-12)


def test_mha_need_weights_false():
    rng = np.random.default_rng(5)
    mha = ab.MultiHeadAttention(8, 2, seed=0)
    x = rng.normal(size=(2, 6, 8))
    out, w = mha(x, x, x, mask=ab.causal_mask(6), need_weights=False)
    ref, ref_w = mha(x, x, x, mask=ab.causal_mask(6))
    assert w is None and ref_w.shape == (2, 2, 6, 6)
    np.testing.assert_allclose(out, ref, rtol=1e-12, atol=1e-12)
