"""Tests of the toy embedding table, hand-built heads, attention cost and the sinusoidal shift
(attnbook.embeddings, attnbook.heads, attnbook.cost, attnbook.positional)."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import attnbook as ab

PARTS_OF_SPEECH = ["determiner", "noun", "pronoun", "verb", "adjective", "preposition",
                   "conjunction"]


# --- the toy embedding table ---------------------------------------------------------------------

def test_toy_table_has_a_few_dozen_words_with_named_features():
    t = ab.toy_embeddings()
    assert 36 <= len(t) <= 100
    assert t.d == len(t.features) == t.vectors.shape[1] == 20
    assert {"animal", "person", "verb", "pronoun", "plural", "singular"} <= set(t.features)
    assert t.describe("cat") == {"noun": 1.0, "animal": 1.0, "singular": 1.0}
    assert t.describe("mice") == {"noun": 1.0, "animal": 1.0, "plural": 1.0}
    assert t.describe("she")["female"] == 1.0 and "it" in t and "unicorn" not in t
    assert ab.toy_embeddings() is t  # loaded once


def test_every_word_has_exactly_one_part_of_speech():
    """The 'same kind' head of chapter 6 relies on one-hot parts of speech."""
    t = ab.toy_embeddings()
    cols = [t.features.index(f) for f in PARTS_OF_SPEECH]
    np.testing.assert_array_equal(t.vectors[:, cols].sum(axis=1), 1.0)
    assert set(np.unique(t.vectors[:, cols])) <= {0.0, 1.0}


def test_nouns_and_pronouns_carry_grammatical_number():
    t = ab.toy_embeddings()
    for w in t.words:
        f = t.describe(w)
        if "noun" in f or "pronoun" in f:
            assert ("singular" in f) != ("plural" in f), w


def test_the_table_is_read_only_and_embed_returns_copies():
    t = ab.toy_embeddings()
    with pytest.raises(ValueError):
        t.vectors[0, 0] = 5.0
    x = t.embed("The cat sat.")
    assert x.shape == (3, t.d) and x.flags.writeable
    np.testing.assert_array_equal(x[1], t.vector("cat"))
    x[:] = 7.0
    assert t.vector("cat").max() == 1.0


def test_tokenize_and_embed_errors_name_the_unknown_words():
    t = ab.toy_embeddings()
    assert t.tokenize("The CAT, the mat!") == ["the", "cat", "the", "mat"]
    with pytest.raises(ValueError, match=r"not in the toy vocabulary: 'unicorn', 'flew'"):
        t.embed("the unicorn flew")
    with pytest.raises(ValueError, match="no words"):
        t.tokenize(" ... ")
    with pytest.raises(TypeError, match="str"):
        t.tokenize(["cat"])
    with pytest.raises(ValueError, match="empty"):
        t.embed([])


@pytest.mark.parametrize(
    "text, match",
    [
        ("cat: noun", "'features:' line must come before"),
        ("features: a b\ncat: a\ncat: b", "line 3: word 'cat' is defined twice"),
        ("features: a b\ncat: c", "line 2: unknown feature 'c'"),
        ("features: a b\ncat: a=x", r"line 2: 'a=x' is not feature=number"),
        ("features: a a", "once each"),
        ("features: a\nCat dog", "line 2: expected 'word: features...'"),
        ("# nothing", "needs a 'features:' line"),
    ],
)
def test_parse_embedding_table_rejects_bad_text_with_line_numbers(text, match):
    with pytest.raises(ValueError, match=match):
        ab.parse_embedding_table(text)


def test_parse_embedding_table_values_and_comments():
    t = ab.parse_embedding_table("# c\nfeatures: a b c\nx: a c=0.5  # note\ny:\n")
    np.testing.assert_array_equal(t.vectors, [[1, 0, 0.5], [0, 0, 0]])
    assert t.words == ("x", "y") and t.features == ("a", "b", "c")


def test_embedding_table_checks_its_shapes():
    with pytest.raises(ValueError, match=r"shape \(words, features\) = \(2, 1\)"):
        ab.EmbeddingTable(("a", "b"), ("f",), np.ones((3, 1)))
    with pytest.raises(ValueError, match="word 'a' appears twice"):
        ab.EmbeddingTable(("a", "a"), ("f",), np.ones((2, 1)))


# --- projections and positions -------------------------------------------------------------------

def test_feature_projection_reads_named_inputs_into_named_outputs():
    w = ab.feature_projection(["a", "b", "c"], ["u", "v"],
                              {"a": "v", "c": {"u": 2.0, "v": -1.0}}, scale=3.0)
    x = np.array([[1.0, 10.0, 100.0]])
    np.testing.assert_array_equal(x @ w, [[600.0, 3.0 - 300.0]])  # b is read by nothing
    assert w.shape == (3, 2)


@pytest.mark.parametrize(
    "mapping, kwargs, error, match",
    [
        ({"z": "u"}, {}, ValueError, "unknown input 'z'"),
        ({"a": "w"}, {}, ValueError, "unknown output 'w'"),
        ({"a": {"u": float("nan")}}, {}, ValueError, "finite number"),
        ({"a": 3}, {}, TypeError, "output name or a dict"),
        ({"a": "u"}, {"scale": float("inf")}, ValueError, "scale"),
        ([("a", "u")], {}, TypeError, "dict"),
    ],
)
def test_feature_projection_rejects_bad_mappings(mapping, kwargs, error, match):
    with pytest.raises(error, match=match):
        ab.feature_projection(["a", "b"], ["u", "v"], mapping, **kwargs)


def test_one_hot_positions():
    p = ab.one_hot_positions(3, 5)
    np.testing.assert_array_equal(p, np.eye(5)[:3])
    assert ab.position_names(3) == ["pos 0", "pos 1", "pos 2"]
    with pytest.raises(ValueError, match="length=6 exceeds max_length=5"):
        ab.one_hot_positions(6, 5)


# --- hand-built heads ---------------------------------------------------------------------------

def _toy_input(sentence="the big dog saw the small cat and it ran", max_length=10):
    t = ab.toy_embeddings()
    tokens = t.tokenize(sentence)
    x = np.concatenate([t.embed(tokens), ab.one_hot_positions(len(tokens), max_length)], axis=1)
    return tokens, x, list(t.features) + ab.position_names(max_length)


def test_previous_token_head_scores_exactly_the_previous_position():
    tokens, x, cols = _toy_input()
    head = ab.previous_token_head(cols, 10, strength=8.0)
    s = head.scores(x)
    L = len(tokens)
    expected = np.zeros((L, L))
    expected[np.arange(L), np.maximum(np.arange(L) - 1, 0)] = 8.0
    np.testing.assert_allclose(s, expected, atol=1e-12)


def test_same_feature_head_scores_shared_features():
    tokens, x, cols = _toy_input()
    head = ab.same_feature_head(cols, PARTS_OF_SPEECH, 10, strength=5.0)
    pos = np.array([[ab.toy_embeddings().describe(t).get(f, 0.0) for f in PARTS_OF_SPEECH]
                    for t in tokens])
    np.testing.assert_allclose(head.scores(x), 5.0 * pos @ pos.T, atol=1e-12)
    assert head.scores(x)[1, 5] == pytest.approx(5.0)  # big / small: both adjectives


def test_first_token_head_uses_the_query_bias():
    tokens, x, cols = _toy_input()
    head = ab.first_token_head(cols, 10, strength=6.0)
    assert not head.w_q.any() and head.b_q[0] > 0
    s = head.scores(x)
    np.testing.assert_allclose(s[:, 0], 6.0)
    np.testing.assert_allclose(s[:, 1:], 0.0, atol=1e-12)


def test_mha_from_heads_runs_each_head_on_its_own_column_block():
    tokens, x, cols = _toy_input()
    heads = [ab.previous_token_head(cols, 10, values=PARTS_OF_SPEECH),
             ab.same_feature_head(cols, PARTS_OF_SPEECH, 10),
             ab.first_token_head(cols, 10)]
    mha = ab.mha_from_heads(heads)
    assert (mha.d_model, mha.num_heads, mha.d_head) == (30, 3, 10)
    out, w = mha(x, x, x)
    for i, head in enumerate(heads):
        np.testing.assert_allclose(w[i], ab.softmax(head.scores(x)), atol=1e-12)
    # the previous-token head's value block carries the previous word's part of speech
    t = ab.toy_embeddings()
    prev_pos = t.embed([tokens[max(i - 1, 0)] for i in range(len(tokens))])[
        :, [t.features.index(f) for f in PARTS_OF_SPEECH]]
    np.testing.assert_allclose(out[:, :7], prev_pos, atol=1e-2)
    # heads_of undoes mha_from_heads
    for a, b in zip(ab.heads_of(mha), heads):
        for n in ("w_q", "w_k", "w_v", "b_q", "b_k", "b_v"):
            np.testing.assert_array_equal(getattr(a, n), getattr(b, n))


def test_heads_of_a_random_layer_rebuild_the_same_layer():
    rng = np.random.default_rng(0)
    mha = ab.MultiHeadAttention(12, 3, seed=4)
    mha.b_q = rng.normal(size=12)
    again = ab.mha_from_heads(ab.heads_of(mha), w_o=mha.w_o, b_o=mha.b_o)
    x = rng.normal(size=(5, 12))
    for a, b in zip(again(x, x, x), mha(x, x, x)):
        np.testing.assert_array_equal(a, b)


def test_head_builders_reject_bad_input():
    _, _, cols = _toy_input()
    with pytest.raises(ValueError, match=r"positions up to 9 need d_head > 9, got d_head=8"):
        ab.previous_token_head(cols, 8)
    with pytest.raises(ValueError, match="no position columns"):
        ab.first_token_head(list(ab.toy_embeddings().features), 4)
    with pytest.raises(ValueError, match="'colour' is not among the columns"):
        ab.same_feature_head(cols, ["colour"], 10)
    with pytest.raises(ValueError, match="do not fit in d_head=2"):
        ab.same_feature_head(cols, PARTS_OF_SPEECH, 2)
    with pytest.raises(ValueError, match="value column 'x'"):
        ab.first_token_head(cols, 10, values=["x"])
    with pytest.raises(ValueError, match="strength"):
        ab.first_token_head(cols, 10, strength=-1)
    h = ab.first_token_head(cols, 10)
    with pytest.raises(ValueError, match=r"2 heads of d_head=10 give 20 columns, but d_model=30"):
        ab.mha_from_heads([h, h])
    with pytest.raises(ValueError, match=r"head 1 has \(d_model, d_head\) = \(30, 15\)"):
        ab.mha_from_heads([h, ab.first_token_head(cols, 15)])
    with pytest.raises(TypeError, match="Head objects"):
        ab.mha_from_heads([np.eye(3)])
    with pytest.raises(ValueError, match=r"w_k must have shape \(3, 2\)"):
        ab.Head(np.ones((3, 2)), np.ones((3, 3)), np.ones((3, 2)), np.ones(2), np.ones(2),
                np.ones(2))


# --- cost --------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_attention_cost_weight_bytes_match_the_real_weights(dtype):
    rng = np.random.default_rng(1)
    q, k, v = (rng.normal(size=s).astype(dtype) for s in ((2, 7, 4), (2, 9, 4), (2, 9, 3)))
    _, w = ab.scaled_dot_product_attention(q, k, v)
    cost = ab.attention_cost(7, 9, 4, 3, num_heads=2, itemsize=np.dtype(dtype).itemsize)
    assert cost.weight_bytes == w.nbytes


def test_attention_cost_counts_the_multiply_adds_of_both_products():
    # count the multiply-adds of Q K^T and A V one by one, as loops would do them
    lq, lk, dk, dv = 3, 4, 5, 2
    multiply_adds = sum(1 for _i in range(lq) for _j in range(lk) for _c in range(dk)) + \
        sum(1 for _i in range(lq) for _j in range(lk) for _c in range(dv))
    assert ab.attention_cost(lq, lk, dk, dv).flops == 2 * multiply_adds


@given(st.integers(1, 64), st.sampled_from([1, 2, 3, 4, 6, 12]))
@settings(max_examples=30)
def test_more_heads_of_the_same_total_width_cost_the_same_flops(length, h):
    one = ab.attention_cost(length, length, 12)
    many = ab.attention_cost(length, length, 12 // h, num_heads=h)
    assert many.flops == one.flops
    assert many.weight_bytes == h * one.weight_bytes


def test_attention_cost_and_timing_reject_bad_input():
    with pytest.raises(ValueError, match="length_q"):
        ab.attention_cost(0, 3, 4)
    with pytest.raises(TypeError, match="d_k"):
        ab.attention_cost(2, 3, 4.0)
    with pytest.raises(ValueError, match="empty"):
        ab.time_attention([])
    with pytest.raises(ValueError, match="length"):
        ab.time_attention([8, -1])


def test_time_attention_returns_one_positive_time_per_length():
    t = ab.time_attention([4, 16, 8], d_k=8, repeats=2)
    assert t.shape == (3,) and np.isfinite(t).all() and (t > 0).all()


# --- sinusoidal shift ---------------------------------------------------------------------------

@given(st.integers(-20, 20), st.sampled_from([2, 8, 20, 64]), st.sampled_from([100.0, 1e4]))
@settings(max_examples=40)
def test_a_fixed_matrix_shifts_every_position(offset, d, base):
    pe = ab.sinusoidal_positional_encoding(60, d, base=base)
    r = ab.sinusoidal_shift_matrix(offset, d, base=base)
    p = np.arange(max(0, -offset), min(60, 60 - offset))
    np.testing.assert_allclose(pe[p] @ r, pe[p + offset], atol=1e-9)
    np.testing.assert_allclose(r @ r.T, np.eye(d), atol=1e-12)  # a rotation
    np.testing.assert_allclose(r.T, ab.sinusoidal_shift_matrix(-offset, d, base=base), atol=1e-12)


def test_shift_matrices_compose_and_reject_bad_input():
    r2, r3 = ab.sinusoidal_shift_matrix(2, 8), ab.sinusoidal_shift_matrix(3, 8)
    np.testing.assert_allclose(r2 @ r3, ab.sinusoidal_shift_matrix(5, 8), atol=1e-12)
    np.testing.assert_array_equal(ab.sinusoidal_shift_matrix(0, 6), np.eye(6))
    with pytest.raises(ValueError, match="even"):
        ab.sinusoidal_shift_matrix(1, 5)
    with pytest.raises(TypeError, match="offset"):
        ab.sinusoidal_shift_matrix(1.5, 4)


def test_positional_dot_product_depends_only_on_the_distance():
    pe = ab.sinusoidal_positional_encoding(40, 16)
    g = pe @ pe.T
    for k in range(5):
        d = np.diagonal(g, offset=k)
        np.testing.assert_allclose(d, d[0], atol=1e-9)
        np.testing.assert_allclose(d[0], np.cos(k * 10000 ** (-np.arange(0, 16, 2) / 16)).sum())
    assert math.isclose(g[0, 0], 8.0)


def test_sinusoidal_frequencies_span_from_one_to_nearly_one_over_base():
    w = ab.sinusoidal_frequencies(16, base=100.0)
    assert w.shape == (8,) and w[0] == 1.0
    np.testing.assert_allclose(w[-1], 100.0 ** (-14 / 16))
    assert (np.diff(w) < 0).all()
    pe = ab.sinusoidal_positional_encoding(5, 16, base=100.0)
    np.testing.assert_allclose(pe[3, 0::2], np.sin(3 * w))
    with pytest.raises(ValueError, match="even"):
        ab.sinusoidal_frequencies(7)
    with pytest.raises(ValueError, match="base"):
        ab.sinusoidal_frequencies(8, base=-1.0)
