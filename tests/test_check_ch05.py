"""Chapter 5's answer checkers: the worked answer, each anticipated slip, and a wrong answer."""

import numpy as np

import attnbook as ab

SENTENCE = "the cat chased mice because it was hungry"
QK_DIMS = ["noun", "singular", "plural", "female", "male", "person", "animal", "thing"]


def _weights(verbs_look_for_nouns=False, scale_scores=None):
    """The chapter's self-attention weights (optionally with exercise 5.3's change)."""
    table = ab.toy_embeddings()
    mapping = {"pronoun": {"noun": 2.0}, **{f: f for f in QK_DIMS[1:]}}
    if verbs_look_for_nouns:
        mapping["verb"] = {"noun": 1.0}
    W_Q = ab.feature_projection(table.features, QK_DIMS, mapping, scale=6.0)
    W_K = ab.feature_projection(table.features, QK_DIMS, {f: f for f in QK_DIMS})
    X = table.embed(table.tokenize(SENTENCE))
    Q, K = X @ W_Q, X @ W_K
    return ab.scaled_dot_product_attention(Q, K, X, scale=scale_scores)[1], Q @ K.T


def test_checkers_are_exported():
    for name in ("ex_5_1", "ex_5_3", "ex_5_5"):
        assert name in ab.check.ch05.__all__ and callable(getattr(ab.check, name))


def test_tokens_match_the_chapter():
    table = ab.toy_embeddings()
    assert table.tokenize(SENTENCE) == ab.check.ch05.TOKENS


def test_ex_5_1_weights_of_was():
    A, S = _weights()
    was = 6
    assert ab.check.ex_5_1(A[was]).verdict == "correct"
    assert ab.check.ex_5_1(A[was].round(2)).verdict == "correct"  # by hand, 2 decimals
    assert ab.check.ex_5_1(None).verdict == "missing"
    unscaled, _ = _weights(scale_scores=1.0)
    by_d_k, _ = _weights(scale_scores=1 / 8)
    only_cat = np.full(8, 1.0)
    only_cat[1] = np.exp(6 / np.sqrt(8))
    slips = {
        "scores": S[was] / np.sqrt(8),
        "√d_k = √8?": unscaled[was],
        "not by d_k": by_d_k[was],
        "e⁰ = 1": np.array([0, 1, 0, 0, 0, 1, 1, 0]) / 3,
        "non-zero query": np.full(8, 1 / 8),
        "\"it\" and \"was\" itself": only_cat / only_cat.sum(),
    }
    for word, answer in slips.items():
        fb = ab.check.ex_5_1(answer)
        assert fb.verdict == "close" and word in fb.message, (word, fb)
    assert ab.check.ex_5_1(A[5]).verdict == "wrong"      # the row of "it"
    assert ab.check.ex_5_1([0.5, 0.5]).verdict == "wrong"


def test_ex_5_3_verbs_look_for_nouns():
    A, S = _weights(verbs_look_for_nouns=True)
    before, _ = _weights()
    unscaled, _ = _weights(verbs_look_for_nouns=True, scale_scores=1.0)
    assert ab.check.ex_5_3(A[6]).verdict == "correct"
    assert ab.check.ex_5_3(A[6].round(2)).verdict == "correct"
    assert ab.check.ex_5_3(None).verdict == "missing"
    slips = {"before the change": before[6], "row of \"chased\"": A[2],
             "scores": S[6] / np.sqrt(8), "√d_k = √8?": unscaled[6]}
    for word, answer in slips.items():
        fb = ab.check.ex_5_3(answer)
        assert fb.verdict == "close" and word in fb.message, (word, fb)
    assert ab.check.ex_5_3(A[5]).verdict == "wrong"


def test_ex_5_5_one_gib():
    def fits(L, itemsize=4, budget=2**30):
        return ab.attention_cost(L, L, 64, itemsize=itemsize).weight_bytes <= budget

    first = next(L for L in range(16000, 17000) if not fits(L))
    assert ab.check.ex_5_5(first).verdict == "correct"
    assert ab.check.ex_5_5(float(first)).verdict == "correct"
    float64 = next(L for L in range(11000, 12000) if not fits(L, itemsize=8))
    decimal = next(L for L in range(15000, 16500) if not fits(L, budget=10**9))
    slips = {"still fits": first - 1, "4 bytes": float64, "not 10⁹": decimal}
    for word, answer in slips.items():
        fb = ab.check.ex_5_5(answer)
        assert fb.verdict == "close" and word in fb.message, (word, fb)
    assert ab.check.ex_5_5(1024).verdict == "wrong"
    assert ab.check.ex_5_5([1, 2]).verdict == "wrong"
    assert ab.check.ex_5_5(None).verdict == "missing"
