"""Chapter 6's answer checkers: the worked answer, each anticipated slip, and a wrong answer."""

import math

import numpy as np

import attnbook as ab

SENTENCE = "the big dog saw the small cat and it ran"
POS = ["determiner", "noun", "pronoun", "verb", "adjective", "preposition", "conjunction"]


def _setup():
    table = ab.toy_embeddings()
    tokens = table.tokenize(SENTENCE)
    X = np.concatenate([table.embed(tokens), ab.one_hot_positions(10, 10)], axis=1)
    columns = list(table.features) + ab.position_names(10)
    heads = [ab.previous_token_head(columns, 10), ab.same_feature_head(columns, POS, 10),
             ab.first_token_head(columns, 10)]
    return tokens, X, columns, heads


def _softmax(s):
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def test_checkers_are_exported():
    for name in ("ex_6_1", "ex_6_2", "ex_6_3", "ex_6_5"):
        assert name in ab.check.ch06.__all__ and callable(getattr(ab.check, name))


def test_tokens_match_the_chapter():
    assert _setup()[0] == ab.check.ch06.TOKENS


def test_ex_6_1_one_head_for_three_jobs():
    tokens, X, columns, heads = _setup()
    params = ab.mha_from_heads(heads).parameters()
    _, w1 = ab.MultiHeadAttention.from_params(1, **params)(X, X, X)
    _, w3 = ab.MultiHeadAttention.from_params(3, **params)(X, X, X)
    assert ab.check.ex_6_1(w1[0, 2]).verdict == "correct"
    assert ab.check.ex_6_1(w1[0, 2].round(2)).verdict == "correct"
    assert ab.check.ex_6_1(None).verdict == "missing"
    s = 8 / math.sqrt(3)

    def row(keys):
        e = np.ones(10)
        e[keys] = math.exp(s)
        return e / e.sum()

    slips = {"its own key": row([0, 1, 6]), "position 0": row([1, 2, 6]),
             "second \"the\"": row([0, 1, 2, 4, 6]), "three heads": w3[0, 2],
             "uniform": np.full(10, 0.1)}
    for word, answer in slips.items():
        fb = ab.check.ex_6_1(answer)
        assert fb.verdict == "close" and word in fb.message, (word, fb)
    assert ab.check.ex_6_1(w1[0, 3]).verdict == "wrong"


def test_ex_6_2_next_token_head():
    tokens, X, columns, heads = _setup()
    prev = heads[0]
    w_q = np.zeros_like(prev.w_q)
    for p in range(10):
        w_q[20 + p, min(p + 1, 9)] = prev.w_q.max()
    nxt = ab.Head(w_q, prev.w_k, prev.w_v, prev.b_q, prev.b_k, prev.b_v)
    w = _softmax(nxt.scores(X))
    assert ab.check.ex_6_2(w).verdict == "correct"
    assert ab.check.ex_6_2(None).verdict == "missing"
    fb = ab.check.ex_6_2(_softmax(prev.scores(X)))
    assert fb.verdict == "close" and "previous-token" in fb.message
    weak = _softmax(nxt.scores(X) / math.sqrt(10))
    fb = ab.check.ex_6_2(weak)
    assert fb.verdict == "close" and "strength" in fb.message, fb
    assert ab.check.ex_6_2(nxt.scores(X)).verdict == "wrong"      # scores, not weights
    assert ab.check.ex_6_2(np.full((10, 10), 0.1)).verdict == "wrong"
    assert ab.check.ex_6_2(np.eye(3)).verdict == "wrong"


def test_ex_6_3_determiner_to_noun():
    tokens, X, columns, heads = _setup()
    w_q, w_k = np.zeros((30, 10)), np.zeros((30, 10))
    w_q[columns.index("determiner"), 0] = 8 * math.sqrt(10)
    w_k[columns.index("noun"), 0] = 1.0
    z = np.zeros(10)
    det_noun = ab.Head(w_q, w_k, np.zeros((30, 10)), z, z, z)
    w = _softmax(det_noun.scores(X))
    assert ab.check.ex_6_3(w[0]).verdict == "correct"
    assert ab.check.ex_6_3(w[4]).verdict == "correct"  # the second "the": same row
    assert ab.check.ex_6_3(None).verdict == "missing"
    same = _softmax(heads[1].scores(X))
    only_dog = np.full(10, 1.0)
    only_dog[2] = math.exp(8)
    with_it = np.full(10, 1.0)
    with_it[[2, 6, 8]] = math.exp(8)
    slips = {"same-kind": same[0], "tells the two nouns apart": only_dog / only_dog.sum(),
             "pronoun": with_it / with_it.sum()}
    for word, answer in slips.items():
        fb = ab.check.ex_6_3(answer)
        assert fb.verdict == "close" and word in fb.message, (word, fb)
    assert ab.check.ex_6_3(np.full(10, 0.1)).verdict == "wrong"


def test_ex_6_5_bert_base_weights():
    mib = ab.attention_cost(512, 512, 64, num_heads=12, itemsize=4).weight_bytes / 2**20
    assert ab.check.ex_6_5(mib).verdict == "correct"
    assert ab.check.ex_6_5(None).verdict == "missing"
    slips = {"4 bytes": 24, "h = 1": 1, "10⁶": 12 * 512**2 * 4 / 1e6}
    for word, answer in slips.items():
        fb = ab.check.ex_6_5(answer)
        assert fb.verdict == "close" and word in fb.message, (word, fb)
    assert ab.check.ex_6_5(805306368).verdict == "wrong"  # the flops
    assert ab.check.ex_6_5([12, 1]).verdict == "wrong"
