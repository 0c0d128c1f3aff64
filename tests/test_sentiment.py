"""Tests of chapter 11's data (attnbook.sentiment) and classifiers (attnbook.sentimentmodel):
the grammar's labels and marks, the hand-written set, gradient checks of the new backward
passes and of whole models, reproducible training and the shipped weights."""

import hashlib
import subprocess
import sys

import numpy as np
import pytest

from attnbook import nn
from attnbook import sentiment as S
from attnbook import sentimentmodel as M
from test_nn import check


# --- data ---------------------------------------------------------------------------------------

def test_generate_is_seeded_balanced_and_in_vocabulary():
    a, b = S.generate(500, seed=3), S.generate(500, seed=3)
    assert a == b
    assert a != S.generate(500, seed=4)
    assert 0.4 < np.mean([e.label for e in a]) < 0.6
    assert {e.kind for e in a} == set(S.KINDS)
    assert all(t in S.VOCAB for e in a for t in e.tokens)
    assert all(e.deciding and max(e.deciding) < len(e.tokens) for e in a)


def test_draws_are_numpys_generator_draw_for_draw():
    """sentiment._Draws must give exactly what np.random.default_rng(seed) gives, in any
    order of calls: the shipped models were trained on data drawn from the Generator."""
    p = (0.35, 0.30, 0.35)
    cumulative = (np.cumsum(p) / np.sum(p)).tolist()
    plan = np.random.default_rng(99)
    for seed in (0, 1, 2, 12345):
        ours, numpy_rng = S._Draws(seed), np.random.default_rng(seed)
        for step in range(30_000):     # > 4096 outputs: crosses blocks of random_raw
            op = int(plan.integers(4))
            if op == 0:                # small n, as the grammar draws, and n = 1
                n = int(plan.integers(1, 30))
                assert ours.integers(n) == numpy_rng.integers(n), (seed, step, n)
            elif op == 1:              # large n: the rejection step is often taken
                n = int(plan.integers(2**31, 2**32 - 1))
                assert ours.integers(n) == numpy_rng.integers(n), (seed, step, n)
            elif op == 2:
                assert ours.random() == numpy_rng.random(), (seed, step)
            else:
                assert ours.choice(cumulative) == numpy_rng.choice(3, p=p), (seed, step)


def test_splits_are_the_data_the_shipped_models_saw():
    """A digest of the default splits: a change to the grammar or the draws changes it,
    and then the shipped weights must be retrained (make train MODEL=sentiment)."""
    digest = hashlib.sha256()
    for examples in S.splits().values():
        for e in examples:
            digest.update(f"{e.text}\t{e.label}\t{e.deciding}\t{e.kind}\t"
                          f"{e.distractor}\n".encode())
    assert digest.hexdigest() == (
        "558410ecbdb56f3f629d4fdd3c42cfab263b16c1765e74324b3a921e0b9ef954")


def test_deciding_words_follow_the_construction():
    pos, neg = set(S.POSITIVE_ADJECTIVES), set(S.NEGATIVE_ADJECTIVES)
    verbs_pos = {w for pair in S.POSITIVE_VERBS for w in pair}
    verbs_neg = {w for pair in S.NEGATIVE_VERBS for w in pair}
    negations = {"not", "never", "wasn't", "isn't", "didn't"}
    for e in S.generate(2000, seed=5):
        words = [e.tokens[i] for i in e.deciding]
        sentiment = [w for w in words if w not in negations]
        assert len(sentiment) == 1, e.marked()
        flips = sum(w in negations for w in words)
        positive_word = sentiment[0] in pos | verbs_pos
        assert sentiment[0] in pos | neg | verbs_pos | verbs_neg
        assert e.label == int(positive_word != (flips % 2 == 1)), e.marked()
        assert (e.kind == "negated") <= (flips == 1)


def test_splits_keep_test_sentences_out_of_training():
    data = S.splits(n_train=2000, n_val=200, n_test=300)
    seen = {e.text for e in data["train"]}
    assert not seen & {e.text for e in data["test"] + data["val"]}
    assert [len(data[k]) for k in ("train", "val", "test")] == [2000, 200, 300]


def test_parse_marked_and_tokenize():
    assert S.parse_marked("The soup [wasn't] [bad], honestly.") == (
        ("the", "soup", "wasn't", "bad", ",", "honestly", "."), (2, 3))
    assert S.parse_marked("[not at all] good")[1] == (0, 1, 2)
    with pytest.raises(ValueError):
        S.parse_marked("[] good")
    with pytest.raises(TypeError):
        S.tokenize(3)


def test_handwritten_set():
    hand = S.handwritten()
    assert len(hand) >= 100
    assert 0.4 <= np.mean([e.label for e in hand]) <= 0.6
    generated = {e.text for e in S.splits()["train"]}
    assert not generated & {e.text for e in hand}  # written outside the grammar


def test_handwritten_rejects_bad_lines(tmp_path):
    path = tmp_path / "x.tsv"
    path.write_text("positive\tno marks here\tplain\n")
    with pytest.raises(ValueError, match="no \\[deciding\\] word"):
        S.handwritten(path)
    path.write_text("good\t[great]\tplain\n")
    with pytest.raises(ValueError, match="label"):
        S.handwritten(path)


def test_encode():
    ids = S.encode(["the soup was good", "zebra"], cls=True)
    assert ids.shape == (2, 5) and (ids[:, 0] == S.CLS).all()
    assert ids[1, 1] == S.UNK and ids[1, 2] == S.PAD
    with pytest.raises(ValueError):
        S.encode([""])
    with pytest.raises(ValueError):
        S.encode(["a b c"], length=2)


# --- gradients ----------------------------------------------------------------------------------

def test_tanh_backward():
    rng = np.random.default_rng(0)
    x, dy = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    check(lambda: np.sum(dy * np.tanh(x)), x, M.tanh_backward(dy, np.tanh(x)))
    with pytest.raises(ValueError):
        M.tanh_backward(dy, x[:2])


def test_attention_pool_backward_with_padding():
    rng = np.random.default_rng(1)
    h = rng.normal(size=(2, 5, 4))
    w, b, u = rng.normal(size=(4, 3)), rng.normal(size=3), rng.normal(size=(2, 3))
    mask = np.array([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]], bool)
    d_out = rng.normal(size=(2, 2, 4))
    out, weights, keys = M.attention_pool(h, w, b, u, mask)
    np.testing.assert_allclose(weights.sum(-1), 1)
    assert (weights[1, :, 3:] == 0).all()
    dh, dw, db, du = M.attention_pool_backward(d_out, h, w, u, weights, keys)
    loss = lambda: np.sum(d_out * M.attention_pool(h, w, b, u, mask)[0])
    for x, g in [(h, dh), (w, dw), (b, db), (u, du)]:
        check(loss, x, g)
    assert (dh[1, 3:] == 0).all()  # padding gets no gradient


TINY = dict(d_model=4, num_heads=2, d_ff=6, d_attn=3)


@pytest.mark.parametrize("pooling", M.POOLINGS)
def test_whole_model_gradient_matches_finite_differences(pooling):
    config = M.SentimentConfig(pooling=pooling, pool_heads=2 if pooling == "multihead" else 1,
                               **TINY)
    params = M.init_params(config, seed=1, dtype=np.float64)
    examples = S.generate(3, seed=0)
    ids = S.encode(examples, cls=pooling == "first")
    labels = np.array([e.label for e in examples])
    _, grads, _ = M.loss_and_grads(params, config, ids, labels)
    assert grads.keys() == params.keys()
    loss = lambda: nn.cross_entropy(M.forward(params, config, ids)[0], labels)
    for name in params:
        check(loss, params[name], grads[name])


@pytest.mark.parametrize("pooling", M.POOLINGS)
def test_padding_changes_nothing(pooling):
    config = M.SentimentConfig.for_pooling(pooling)
    params = M.init_params(config, seed=2)
    ids = S.encode(["the soup was not bad", "i loved it"], cls=pooling == "first")
    short, _ = M.forward(params, config, ids)
    long, _ = M.forward(params, config, np.pad(ids, ((0, 0), (0, 4))))
    np.testing.assert_allclose(short, long, rtol=1e-5, atol=1e-6)


def test_forward_rejects_bad_input():
    config = M.SentimentConfig.for_pooling("first")
    params = M.init_params(config)
    with pytest.raises(ValueError, match="<cls>"):
        M.forward(params, config, S.encode(["good"]))
    with pytest.raises(ValueError, match="pooling"):
        M.SentimentConfig(pooling="median")


def test_training_is_reproducible_and_learns():
    data = S.splits(n_train=600, n_val=100, n_test=10)
    config = M.SentimentConfig(pooling="attention", d_model=8, num_heads=2, d_ff=12, d_attn=8)
    tc = M.TrainingConfig(steps=60, batch_size=32, warmup=5, eval_every=30)
    p1, log1 = M.train(config, tc, data)
    p2, log2 = M.train(config, tc, data)
    for name in p1:
        np.testing.assert_array_equal(p1[name], p2[name])
    np.testing.assert_array_equal(log1["loss"], log2["loss"])
    assert np.isfinite(log1["loss"]).all()
    start = M.init_params(config, tc.seed)
    assert all(not np.array_equal(start[k], p1[k]) for k in p1)  # every parameter trained
    # (learning itself is tested on the shipped models: 60 steps sit on the initial plateau)


# --- the shipped models -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def models():
    return M.load_models()


def test_shipped_models_and_their_claims(models):
    assert list(models) == list(M.POOLINGS)
    assert M.WEIGHTS_PATH.stat().st_size < 5 * 2**20
    test = S.splits()["test"]
    for pooling, model in models.items():
        assert M.accuracy(model, test[:1000]) > 0.8, pooling
    assert models["attention"].predict(["the soup was not bad", "the film was not good"]) == [
        "positive", "negative"]


def test_faithfulness_and_top_weight(models):
    model = models["attention"]
    examples = S.generate(200, seed=9)
    f = M.faithfulness(model, examples, permutations=2)
    assert set(f) == {"learned", "permuted", "uniform"}
    for name in ("permuted", "uniform"):
        assert 0 <= f[name]["flipped"] <= 1 and 0 <= f[name]["tvd"] <= 1
    on = M.top_weight_on_deciding(model, examples)
    assert on.shape == (200,) and on.dtype == bool
    with pytest.raises(ValueError, match="attention"):
        M.faithfulness(models["mean"], examples)


@pytest.mark.parametrize("pooling", M.POOLINGS)
def test_run_without_padding_matches_one_padded_batch(models, pooling):
    """run() groups sentences by length; forward() on one padded batch gives the same
    predictions, weights and states up to rounding, and run() puts zeros at padding."""
    model = models[pooling]
    examples = S.generate(150, seed=4)
    run = model.run(examples, keep_states=True)
    ids = S.encode(examples, cls=pooling == "first")
    logits, cache = M.forward(model.params, model.config, ids)
    np.testing.assert_allclose(run.probabilities, np.exp(nn.log_softmax(logits)),
                               atol=2e-6)
    mask = ids != S.PAD
    states = np.where(mask[..., None], cache["enc.ln"][1], 0)
    np.testing.assert_allclose(run.states, states, atol=2e-5)
    if model.config.uses_attention_pool:
        np.testing.assert_allclose(run.pool_weights, cache["weights"]["pool"],
                                   atol=2e-6)
    hs, encoded_mask = model.encode(examples)
    np.testing.assert_array_equal(hs, run.states)
    np.testing.assert_array_equal(encoded_mask, mask)


def test_a_run_can_be_reused(models):
    model = models["multihead"]
    examples = S.generate(120, seed=6)
    run = model.run(examples, keep_states=True)
    assert M.faithfulness(model, examples, run=run) == M.faithfulness(model, examples)
    weights = np.flip(run.pool_weights, axis=-1).copy()
    np.testing.assert_array_equal(model.probabilities_with_weights(run, weights),
                                  model.probabilities_with_weights(examples, weights))
    expected = np.array([int(np.argmax(run.weights(b))) in e.deciding
                         for b, e in enumerate(examples)])
    np.testing.assert_array_equal(M.top_weight_on_deciding(model, examples, run),
                                  expected)
    without_states = model.run(examples)
    with pytest.raises(ValueError, match="no states"):
        M.faithfulness(model, examples, run=without_states)
    with pytest.raises(ValueError, match="no states"):
        model.probabilities_with_weights(without_states, weights)
    with pytest.raises(ValueError, match="120 sentences, examples 10"):
        M.top_weight_on_deciding(model, examples[:10], run)


def test_model_input_errors(models):
    model = models["attention"]
    with pytest.raises(ValueError):
        model.run([])
    with pytest.raises(ValueError):
        model.run(["..."][:0] + [""])
    with pytest.raises(ValueError, match="at most"):
        model.run(["good " * 100])
    with pytest.raises(ValueError, match="shape"):
        model.probabilities_with_weights(["good"], np.ones((1, 1, 5)))


def test_weights_heatmap(models):
    import matplotlib
    matplotlib.use("Agg")
    run = models["multihead"].run(["the soup was not bad ."])
    hm = M.weights_heatmap(run, 0, deciding=(3, 4))
    labels = [t.get_text() for t in hm.ax.get_xticklabels()]
    assert labels == ["the", "soup", "was", "*not", "*bad", "."]
    assert hm.image.get_array().shape == (4, 6)
    with pytest.raises(ValueError, match="attention"):
        M.weights_heatmap(models["mean"].run(["good"]), 0)


@pytest.mark.parametrize("args, message", [
    (["train", "--steps", "0"], "--steps"),
    (["evaluate", "--weights", "/nonexistent.npz"], "does not exist"),
])
def test_cli_errors_are_one_line(args, message):
    result = subprocess.run([sys.executable, "-m", "attnbook.sentiment_cli", *args],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
