"""Issue 12, section 2: inputs that used to give silent garbage or kill the process.

Each test names the case it pins down; each failed before the fix.
"""

import json
import struct

import numpy as np
import pytest

import attnbook as ab
from attnbook import attention, scores


# --- scaled_dot_product_attention: the result does not depend on need_weights ---------------

@pytest.mark.parametrize("dtype, L_k, value", [
    (np.float16, 2048, 100.0),     # unnormalised sum 2048 * 100 > 65504: was inf
    (np.float32, 4, 1e38),         # 4e38 > float32's max: was inf
    (np.float16, 65536, 1.0),      # the row sum itself overflows float16: was NaN / zero weights
])
def test_sdpa_same_result_with_and_without_weights_at_the_dtype_limits(dtype, L_k, value):
    q = np.zeros((1, 2), dtype=dtype)
    k = np.zeros((L_k, 2), dtype=dtype)
    v = np.full((L_k, 1), value, dtype=dtype)
    out_fast, none = ab.scaled_dot_product_attention(q, k, v, need_weights=False)
    out, w = ab.scaled_dot_product_attention(q, k, v, need_weights=True)
    assert none is None and out.dtype == out_fast.dtype == w.dtype == dtype
    np.testing.assert_allclose(out_fast.astype(np.float64), value, rtol=2e-3)
    np.testing.assert_allclose(out.astype(np.float64), value, rtol=2e-3)
    np.testing.assert_allclose(w.astype(np.float64).sum(axis=-1), 1.0, rtol=2e-3)


def test_sdpa_tiled_path_same_at_the_limit(monkeypatch):
    monkeypatch.setattr(attention, "_TILED_SCORES", 1)
    q = np.zeros((3, 2), dtype=np.float32)
    k = np.zeros((4, 2), dtype=np.float32)
    v = np.full((4, 2), 1e38, dtype=np.float32)
    for need_weights in (False, True):
        out, _ = ab.scaled_dot_product_attention(q, k, v, need_weights=need_weights)
        np.testing.assert_allclose(out, 1e38, rtol=1e-5)


@pytest.mark.parametrize("flag", ["no", 0, 1, None, np.array([True])])
def test_need_weights_must_be_a_bool(flag):
    x = np.ones((2, 3))
    with pytest.raises(TypeError, match="need_weights"):
        ab.scaled_dot_product_attention(x, x, x, need_weights=flag)
    with pytest.raises(TypeError, match="need_weights"):
        ab.MultiHeadAttention(4, 2)(np.ones((2, 4)), np.ones((2, 4)), np.ones((2, 4)),
                                    need_weights=flag)


# --- empty axes -------------------------------------------------------------------------------

@pytest.mark.parametrize("need_weights", [True, False])
def test_sdpa_with_no_queries_or_an_empty_batch_returns_empty_arrays(need_weights):
    out, w = ab.scaled_dot_product_attention(np.ones((0, 4)), np.ones((3, 4)), np.ones((3, 2)),
                                             need_weights=need_weights)
    assert out.shape == (0, 2) and (w is None or w.shape == (0, 3))
    out, w = ab.scaled_dot_product_attention(np.ones((0, 5, 4)), np.ones((0, 3, 4)),
                                             np.ones((0, 3, 2)), need_weights=need_weights)
    assert out.shape == (0, 5, 2) and (w is None or w.shape == (0, 5, 3))


def test_mha_and_scale_functions_with_no_queries():
    mha = ab.MultiHeadAttention(4, 2)
    out, w = mha(np.ones((0, 4)), np.ones((3, 4)), np.ones((3, 4)))
    assert out.shape == (0, 4) and w.shape == (2, 0, 3)
    assert ab.tiled_attention(np.ones((0, 4)), np.ones((3, 4)), np.ones((3, 2))).shape == (0, 2)
    out, _ = ab.linear_attention(np.ones((2, 0, 4)), np.ones((2, 3, 4)), np.ones((2, 3, 2)))
    assert out.shape == (2, 0, 2)


@pytest.mark.parametrize("fn", [ab.tiled_attention, ab.linear_attention,
                                ab.scaled_dot_product_attention])
def test_no_keys_is_a_clear_error(fn):
    with pytest.raises(ValueError, match="empty"):
        fn(np.ones((2, 4)), np.ones((0, 4)), np.ones((0, 2)))


def test_online_softmax_of_an_empty_axis_is_an_error_like_softmax():
    with pytest.raises(ValueError, match="empty"):
        ab.online_softmax(np.ones((3, 0)))


# --- tiled and linear attention: overflow is an error, not NaN ----------------------------------

@pytest.mark.parametrize("dtype, big", [(np.float64, 1e200), (np.float32, 1e30)])
def test_tiled_attention_overflow_is_the_same_error_as_sdpa(dtype, big):
    q = np.full((4, 2), big, dtype=dtype)
    with pytest.raises(ValueError, match="overflowed"):
        ab.scaled_dot_product_attention(q, q, q)
    with pytest.raises(ValueError, match="overflowed"):
        ab.tiled_attention(q, q, q, block_size=2)
    with pytest.raises(ValueError, match="overflowed"):
        ab.tiled_attention_steps(q, q, q, block_size=2)


def test_tiled_attention_huge_values_do_not_overflow_the_running_sum():
    q = np.zeros((3, 2))
    k = np.zeros((8, 2))
    v = np.full((8, 2), 1e308)
    np.testing.assert_allclose(ab.tiled_attention(q, k, v, block_size=2), 1e308)
    steps = ab.tiled_attention_steps(q, k, v, block_size=2)
    np.testing.assert_allclose(steps[-1].partial_output, 1e308)


def test_tiled_attention_float16_long_sequence():
    q = np.zeros((1, 2), dtype=np.float16)
    k = np.zeros((70000, 2), dtype=np.float16)
    v = np.ones((70000, 1), dtype=np.float16)
    out = ab.tiled_attention(q, k, v, block_size=4096)
    assert out.dtype == np.float16 and out[0, 0] == 1


def test_linear_attention_overflow_and_underflow_are_errors():
    q = np.ones((3, 2))
    with pytest.raises(ValueError, match="overflowed"):
        ab.linear_attention(q * 1e200, q * 1e200, q * 1e200)
    with pytest.raises(ValueError, match="underflowed"):
        ab.linear_attention(q, -1e300 * q, q)
    with pytest.raises(ValueError, match="underflowed"):
        ab.linear_attention(q, -1e300 * q, q, causal=True)


# --- dtypes, seeds and integer arguments ------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.int32, bool, np.complex128, "int64", object])
def test_mha_refuses_a_non_float_dtype(dtype):
    with pytest.raises(TypeError, match="dtype"):
        ab.MultiHeadAttention(4, 2, dtype=dtype)


@pytest.mark.parametrize("make", [
    lambda seed: ab.MultiHeadAttention(4, 2, seed=seed),
    lambda seed: ab.init_score_params("general", 3, 3, seed=seed),
    lambda seed: ab.dot_product_variance(3, 10, seed=seed),
])
@pytest.mark.parametrize("seed, error", [(-1, ValueError), (1.5, TypeError), ("0", TypeError),
                                         (None, TypeError)])
def test_seed_errors_name_seed(make, seed, error):
    with pytest.raises(error, match="seed"):
        make(seed)


@pytest.mark.parametrize("max_length, error", [(3.5, TypeError), (-1, ValueError),
                                               ("4", TypeError), (True, TypeError)])
def test_padding_mask_max_length_must_be_an_int(max_length, error):
    with pytest.raises(error, match="max_length"):
        ab.padding_mask([1, 2], max_length=max_length)


def test_split_heads_of_a_vector_is_a_clear_error():
    with pytest.raises(ValueError, match=r"\(\.\.\., L, d_model\)"):
        ab.split_heads(np.ones(8), 2)


# --- MHA mask errors quote the caller's shapes ---------------------------------------------------

def test_mha_mask_error_names_the_callers_shapes_and_per_head_masks():
    mha = ab.MultiHeadAttention(8, 2)
    x = np.ones((3, 5, 8))
    with pytest.raises(ValueError, match=r"\(3, 5, 5\).*per-head masks .* not supported"):
        mha(x, x, x, mask=np.ones((3, 2, 5, 5), dtype=bool))
    with pytest.raises(ValueError) as info:
        mha(x, x, x, mask=np.ones((4, 5), dtype=bool))
    message = str(info.value)
    assert "(4, 5)" in message and "(3, 5, 8)" in message and "d_head" not in message
    assert "(3, 2, 5, 4)" not in message  # the internal per-head shape is not quoted
    with pytest.raises(TypeError, match="boolean"):
        mha(x, x, x, mask=np.ones((5, 5)))
    with pytest.raises(ValueError, match="per-head"):
        ab.nn.multi_head_attention(mha.parameters(), x, x, x, 2,
                                   mask=np.ones((3, 2, 5, 5), dtype=bool))


# --- scores ------------------------------------------------------------------------------------

def test_cosine_score_of_huge_float16_and_float32_vectors_is_one():
    for dtype, big in [(np.float16, 6e4), (np.float32, 3e38)]:
        q = np.full((1, 4), big, dtype=dtype)
        s = ab.cosine_score(q, q)
        assert s.dtype == dtype
        np.testing.assert_allclose(s.astype(np.float64), 1.0, rtol=1e-3)
    tiny = np.full((1, 3), 1e-300)
    np.testing.assert_allclose(ab.cosine_score(tiny, tiny), 0.0)  # norm below eps, as before


def test_additive_score_overflow_is_an_error():
    q = np.ones((2, 2))
    W_q, W_k = np.full((2, 3), 100.0), np.zeros((2, 3))  # every tanh is 1: the score is sum(v)
    with pytest.raises(ValueError, match="overflowed"):
        ab.additive_score(q, q, W_q, W_k, np.full(3, 1e308))


def test_additive_score_is_computed_in_blocks_of_bounded_size(monkeypatch):
    rng = np.random.default_rng(0)
    q, k = rng.standard_normal((2, 7, 3)), rng.standard_normal((2, 5, 4))
    p = ab.init_score_params("additive", 3, 4, 6)
    whole = ab.additive_score(q, k, **p)
    sizes = []
    real_tanh = np.tanh

    def counting_tanh(x, *args, **kwargs):
        sizes.append(x.size)
        return real_tanh(x, *args, **kwargs)
    monkeypatch.setattr(scores, "_ADDITIVE_BLOCK", 2 * 5 * 6)
    monkeypatch.setattr(scores.np, "tanh", counting_tanh)
    blocked = ab.additive_score(q, k, **p)
    np.testing.assert_allclose(blocked, whole, rtol=1e-12)
    assert max(sizes) <= 2 * 5 * 6 and len(sizes) == 2 * 4  # 2 batches x 4 blocks of 2 rows


# --- softmax temperature -----------------------------------------------------------------------

@pytest.mark.parametrize("dtype, tau", [(np.float32, 1e-50), (np.float64, 1e-320),
                                        (np.float16, 1e-10)])
def test_softmax_tiny_temperature_gives_the_argmax_not_zeros(dtype, tau):
    x = np.array([-3.0, -1.0, -2.0], dtype=dtype)
    p = ab.softmax(x, temperature=tau)
    assert p.dtype == dtype
    np.testing.assert_array_equal(p, [0, 1, 0])


def test_softmax_tiny_temperature_at_huge_logits():
    np.testing.assert_array_equal(ab.softmax([1e300, 2.0], temperature=1e-10), [1.0, 0.0])
    p = ab.softmax(np.array([-1e38, 3e38], dtype=np.float32), temperature=1e-3)
    np.testing.assert_array_equal(p, [0, 1])


def test_softmax_float16_long_row_sums_to_one():
    p = ab.softmax(np.zeros(70000, dtype=np.float16))
    assert p.dtype == np.float16 and p[0] > 0
    np.testing.assert_allclose(p.astype(np.float64).sum(), 1.0, rtol=1e-2)


# --- the pretrained model's tokenizer and weights file -------------------------------------------

@pytest.fixture
def tokenizer():
    from attnbook.pretrained import WordPieceTokenizer
    return WordPieceTokenizer(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "##b"])


@pytest.mark.parametrize("ids, error", [([-1], ValueError), ([10**6], ValueError),
                                        ([7], ValueError), ([1.0], TypeError),
                                        (["a"], TypeError), (3, TypeError)])
def test_decode_refuses_ids_outside_the_vocabulary(tokenizer, ids, error):
    with pytest.raises(error, match="ids"):
        tokenizer.decode(ids)


def test_decode_accepts_numpy_ids(tokenizer):
    assert tokenizer.decode(np.array([5, 6])) == ["a", "##b"]


def test_tokenizer_says_which_unicode_version_it_follows(tokenizer):
    import unicodedata

    from attnbook.pretrained import WordPieceTokenizer
    assert tokenizer.unicode_version == unicodedata.unidata_version
    assert "unidata_version" in WordPieceTokenizer.__doc__


def _safetensors(header: bytes, payload: bytes = b"") -> bytes:
    return struct.pack("<Q", len(header)) + header + payload


@pytest.mark.parametrize("header", [
    b"{not json",
    b"[1, 2]",
    json.dumps({"w": {"dtype": "F32", "shape": [2]}}).encode(),              # no data_offsets
    json.dumps({"w": {"dtype": "F32", "shape": "2", "data_offsets": [0, 8]}}).encode(),
    json.dumps({"w": {"dtype": "F32", "shape": [2], "data_offsets": [8, 0]}}).encode(),
    json.dumps({"w": {"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}}).encode(),
    json.dumps({"w": [1]}).encode(),
    b"\xff\xfe",
])
def test_corrupt_safetensors_header_is_a_clear_error(tmp_path, header):
    from attnbook.pretrained import read_safetensors
    path = tmp_path / "bad.safetensors"
    path.write_bytes(_safetensors(header, bytes(8)))
    with pytest.raises(ValueError, match="safetensors"):
        read_safetensors(path)


def test_valid_safetensors_still_reads(tmp_path):
    from attnbook.pretrained import read_safetensors
    header = json.dumps({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]},
                         "__metadata__": {"format": "pt"}}).encode()
    path = tmp_path / "ok.safetensors"
    path.write_bytes(_safetensors(header, np.array([1, 2], "<f4").tobytes()))
    np.testing.assert_array_equal(read_safetensors(path)["w"], [1, 2])
