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
    monkeypatch.setattr(attention_module, "_TILED_SCORES", 0)
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
    assert 3 * 1100 * 800 >= attention_module._TILED_SCORES
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


# --- online softmax ----------------------------------------------------------------------------

finite = st.floats(-30, 30, allow_nan=False, allow_infinity=False, width=64)


@given(st.lists(finite, min_size=1, max_size=40), st.integers(1, 8))
def test_online_softmax_equals_two_pass_softmax(values, block_size):
    x = np.array(values)
    e = np.exp(x - x.max())
    np.testing.assert_allclose(ab.online_softmax(x, block_size), e / e.sum(), rtol=1e-12, atol=0)


@given(st.integers(0, 2**16), st.integers(1, 9))
def test_online_normalizer_is_the_max_and_the_shifted_sum(seed, block_size):
    x = np.random.default_rng(seed).normal(scale=20, size=(3, 17))
    m, d = ab.online_normalizer(x, block_size)
    np.testing.assert_array_equal(m, x.max(-1))
    np.testing.assert_allclose(d, np.exp(x - x.max(-1, keepdims=True)).sum(-1), rtol=1e-12)


def test_online_normalizer_running_values_rescale_when_the_max_rises():
    x = np.array([1.0, 3.0, 2.0, 5.0])
    m, d, ms, ds = ab.online_normalizer(x, 1, running=True)
    np.testing.assert_array_equal(ms, [1, 3, 3, 5])
    for n in range(1, 5):  # after n entries: the sum of exp(x_j - max so far) over those entries
        np.testing.assert_allclose(ds[n - 1], np.exp(x[:n] - x[:n].max()).sum(), rtol=1e-15)
    assert (m, d) == (ms[-1], ds[-1])


def test_online_softmax_handles_neg_inf_and_huge_logits():
    x = np.array([[-np.inf, 0.0, -np.inf, 0.0], [-np.inf] * 4, [1e4, 0.0, 1e4 - 1, -1e4]])
    p = ab.online_softmax(x, block_size=1)
    np.testing.assert_allclose(p, ab.softmax(x), rtol=1e-12, atol=0)
    assert np.isfinite(p).all() and (p[1] == 0).all()


def test_online_softmax_rejects_bad_input():
    with pytest.raises(ValueError, match="NaN"):
        ab.online_softmax([1.0, np.nan])
    with pytest.raises(ValueError, match="block_size"):
        ab.online_softmax([1.0, 2.0], block_size=0)


# --- tiled and causal-tiled attention ------------------------------------------------------------

@given(st.integers(0, 2**16), st.integers(1, 13), st.integers(1, 13), st.integers(1, 6))
@settings(max_examples=60, deadline=None)
def test_tiled_attention_equals_plain(seed, lq, lk, block_size):
    q, k, v = random_qkv(seed, batch=(2,), lq=lq, lk=lk, dk=4, dv=3)
    out = ab.tiled_attention(q, k, v, block_size=block_size)
    np.testing.assert_allclose(out, plain_attention(q, k, v)[0], rtol=1e-12, atol=1e-12)


@given(st.integers(0, 2**16), st.integers(1, 13), st.integers(0, 5), st.integers(1, 6))
@settings(max_examples=60, deadline=None)
def test_causal_tiled_attention_equals_plain_masked(seed, lq, extra_keys, block_size):
    lk = lq + extra_keys  # queries are the last L_q positions, as causal_mask has it
    q, k, v = random_qkv(seed, batch=(2, 1), lq=lq, lk=lk, dk=4, dv=3)
    out = ab.tiled_attention(q, k, v, block_size=block_size, causal=True)
    ref = plain_attention(q, k, v, mask=ab.causal_mask(lq, lk))[0]
    np.testing.assert_allclose(out, ref, rtol=1e-12, atol=1e-12)


def test_tiled_attention_is_stable_at_huge_scores_and_keeps_float32():
    q, k, v = random_qkv(6, lq=8, lk=8)
    q[3] *= 1e3  # scores of order 1e3: exp would overflow without the running max
    out = ab.tiled_attention(q, k, v, block_size=3)
    np.testing.assert_allclose(out, plain_attention(q, k, v)[0], rtol=1e-12, atol=1e-12)
    q32, k32, v32 = (x.astype(np.float32) for x in random_qkv(7, lq=9, lk=9))
    out32 = ab.tiled_attention(q32, k32, v32, block_size=4, causal=True)
    assert out32.dtype == np.float32
    np.testing.assert_allclose(out32, plain_attention(q32, k32, v32, ab.causal_mask(9))[0],
                               atol=1e-6)


def test_attention_tiles_skip_exactly_the_tiles_above_the_diagonal():
    full = ab.attention_tiles(8, 8, 2)
    causal = ab.attention_tiles(8, 8, 2, causal=True)
    assert len(full) == 16 and len(causal) == 4 * 5 // 2
    mask = ab.causal_mask(8)
    for rows, cols in full:
        assert ((rows, cols) in causal) == mask[rows, cols].any()
    # every score the mask allows is covered by exactly one visited tile
    covered = np.zeros((8, 8), int)
    for rows, cols in causal:
        covered[rows, cols] += 1
    assert (covered[mask] == 1).all()
    with pytest.raises(ValueError, match="L_k >= L_q"):
        ab.attention_tiles(5, 3, 2, causal=True)


def test_tiled_attention_steps_end_at_the_plain_result():
    q, k, v = random_qkv(8, lq=8, lk=8, dk=4, dv=3)
    steps = ab.tiled_attention_steps(q, k, v, block_size=4, causal=True)
    assert len(steps) == 3 and [s.index for s in steps] == [0, 1, 2]
    ref, w = plain_attention(q, k, v, ab.causal_mask(8))
    last = steps[-1]
    np.testing.assert_allclose(last.partial_output, ref, rtol=1e-12, atol=1e-12)
    s = q @ k.T / 2.0
    np.testing.assert_allclose(last.running_max, np.where(ab.causal_mask(8), s, -np.inf).max(-1),
                               rtol=1e-12)
    first = steps[0]  # rows 0-3 against keys 0-3; rows 4-7 not started
    assert np.isnan(first.running_max[4:]).all()
    np.testing.assert_allclose(first.partial_output[:4], ref[:4], rtol=1e-12, atol=1e-12)
    # after the first tile of rows 4-7, their partial output is attention over keys 0-3 only
    mask_first_block = np.zeros((8, 8), bool)
    mask_first_block[:, :4] = True
    np.testing.assert_allclose(steps[1].partial_output[4:],
                               plain_attention(q, k, v, mask_first_block)[0][4:], rtol=1e-12)
    with pytest.raises(ValueError, match="unbatched"):
        ab.tiled_attention_steps(q[None], k[None], v[None], block_size=2)


def test_tiled_attention_peak_memory_grows_linearly_not_quadratically():
    rng = np.random.default_rng(9)
    peaks = {}
    for L in (256, 512, 1024):
        q, k, v = (rng.normal(size=(L, 8)) for _ in range(3))
        peaks[L], out = ab.peak_memory(ab.tiled_attention, q, k, v, block_size=64)
        plain_peak, _ = ab.peak_memory(ab.scaled_dot_product_attention, q, k, v)
        assert plain_peak >= L * L * 8  # the weights alone
    assert peaks[1024] < plain_peak / 10
    # doubling L: at most ~doubles (output + per-block state), far from the 4x of L x L
    assert peaks[1024] < 2.5 * peaks[512] < 2.5 * 2.5 * peaks[256]


def test_tiled_attention_rejects_bad_input():
    with pytest.raises(ValueError, match="do not fit"):
        ab.tiled_attention(np.ones((3, 4)), np.ones((5, 3)), np.ones((5, 2)))
    with pytest.raises(ValueError, match="block_size"):
        ab.tiled_attention(np.ones((3, 4)), np.ones((5, 4)), np.ones((5, 2)), block_size=0)
    with pytest.raises(ValueError, match="do not broadcast"):
        ab.tiled_attention(np.ones((2, 3, 4)), np.ones((3, 5, 4)), np.ones((3, 5, 2)))


# --- KV cache and cached decoding ----------------------------------------------------------------

def test_kv_cache_appends_and_grows():
    rng = np.random.default_rng(10)
    cache = ab.KVCache()
    ks, vs = [], []
    for n in (1, 3, 20, 1, 40):
        k, v = rng.normal(size=(2, n, 4)), rng.normal(size=(2, n, 5))
        cache.append(k, v)
        ks.append(k)
        vs.append(v)
        np.testing.assert_array_equal(cache.keys, np.concatenate(ks, axis=-2))
        np.testing.assert_array_equal(cache.values, np.concatenate(vs, axis=-2))
    assert len(cache) == 65
    with pytest.raises(ValueError, match="do not fit"):
        cache.append(np.ones((2, 1, 3)), np.ones((2, 1, 5)))
    with pytest.raises(ValueError, match="empty"):
        ab.KVCache().keys


@pytest.mark.parametrize("batch", [(), (2,)])
@pytest.mark.parametrize("use_cache", [True, False])
def test_decoding_step_by_step_equals_causal_self_attention(batch, use_cache):
    rng = np.random.default_rng(11)
    mha = ab.MultiHeadAttention(8, 2, seed=4)
    for name in ("b_q", "b_k", "b_v", "b_o"):
        setattr(mha, name, rng.normal(size=8))
    x = rng.normal(size=batch + (9, 8))
    ref, _ = mha(x, x, x, mask=ab.causal_mask(9))
    out = ab.decode_self_attention(mha, x, use_cache=use_cache)
    assert out.shape == batch + (9, 8)
    np.testing.assert_allclose(out, ref, rtol=1e-12, atol=1e-12)


def test_prefill_then_step_equals_the_full_computation():
    rng = np.random.default_rng(12)
    mha = ab.MultiHeadAttention(6, 3, seed=5)
    x = rng.normal(size=(7, 6))
    decoder = ab.CachedSelfAttention(mha)
    decoder.prefill(x[:5])
    assert len(decoder.cache) == 5
    last = [decoder.step(x[5]), decoder.step(x[6])]
    ref, _ = mha(x, x, x, mask=ab.causal_mask(7))
    np.testing.assert_allclose(np.stack(last), ref[5:], rtol=1e-12, atol=1e-12)
    with pytest.raises(ValueError, match="d_model=6"):
        decoder.step(np.ones(5))
    with pytest.raises(TypeError, match="MultiHeadAttention"):
        ab.CachedSelfAttention("not a layer")


# --- approximations ------------------------------------------------------------------------------

def test_sliding_window_mask():
    m = ab.sliding_window_mask(5, 2)
    np.testing.assert_array_equal(m, [[1, 0, 0, 0, 0], [1, 1, 0, 0, 0], [0, 1, 1, 0, 0],
                                      [0, 0, 1, 1, 0], [0, 0, 0, 1, 1]])
    np.testing.assert_array_equal(ab.sliding_window_mask(5, 9), ab.causal_mask(5))


def _phi(x):
    return np.where(x > 0, x + 1, np.exp(x))


@pytest.mark.parametrize("causal", [False, True])
def test_linear_attention_equals_its_kernel_written_out(causal):
    q, k, v = random_qkv(13, batch=(2,), lq=6, lk=6, dk=4, dv=3)
    kernel = _phi(q) @ np.swapaxes(_phi(k), -1, -2)  # phi(q_i) . phi(k_j), all > 0
    if causal:
        kernel = kernel * ab.causal_mask(6)
    w_ref = kernel / kernel.sum(-1, keepdims=True)
    out, w = ab.linear_attention(q, k, v, causal=causal, need_weights=True)
    np.testing.assert_allclose(w, w_ref, rtol=1e-12)
    np.testing.assert_allclose(out, w_ref @ v, rtol=1e-12, atol=1e-12)
    out_only, none = ab.linear_attention(q, k, v, causal=causal)
    assert none is None
    np.testing.assert_allclose(out_only, out, rtol=1e-12)
    with pytest.raises(ValueError, match="L_q == L_k"):
        ab.linear_attention(q[:, :3], k, v, causal=True)


def test_peak_memory_counts_numpy_allocations():
    peak, result = ab.peak_memory(np.zeros, (1000, 1000))
    assert result.shape == (1000, 1000)
    assert 8_000_000 <= peak < 8_100_000
    with pytest.raises(TypeError, match="callable"):
        ab.peak_memory(3)


# --- the benchmark script (run small; nothing about its times is asserted) ----------------------

def test_benchmark_script_runs_and_writes_its_results(tmp_path, capsys):
    import importlib.util
    import json
    from pathlib import Path

    path = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_attention.py"
    spec = importlib.util.spec_from_file_location("bench_attention", path)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    out = tmp_path / "results.json"
    assert bench.main(["--quick", "--out", str(out)]) == 0
    results = json.loads(out.read_text())
    assert {"machine", "speed", "memory", "causal", "kv_cache"} <= results.keys()
    for row in results["speed"]["rows"]:
        assert {"numpy", "attnbook", "attnbook_weights", "tiled"} <= row["seconds"].keys()
        assert max(row["max_abs_diff_to_numpy"].values()) < 1e-5  # same results, float32
    for row in results["kv_cache"]["rows"]:
        assert row["max_abs_diff"] < 1e-5
    assert results["causal"]["tiles"]["causal"] < results["causal"]["tiles"]["full"]
    assert "ab/numpy" in capsys.readouterr().out


def test_power_law_exponent():
    x = np.array([128, 256, 512, 1024])
    assert ab.power_law_exponent(x, 3e-9 * x**2.0) == pytest.approx(2.0, abs=1e-12)
    assert ab.power_law_exponent(x, 5 * x) == pytest.approx(1.0, abs=1e-12)
    with pytest.raises(ValueError, match="positive"):
        ab.power_law_exponent(x, -x)


def test_stored_benchmark_results_hold_what_chapter_10_plots():
    results = ab.benchmark_results()
    lengths = [row["L"] for row in results["speed"]["rows"]]
    assert lengths == [128, 256, 512, 1024, 2048, 4096]
    assert [row["L"] for row in results["memory"]["rows"]][-1] == 8192
    for row in results["speed"]["rows"]:
        assert max(row["max_abs_diff_to_numpy"].values()) < 1e-5
