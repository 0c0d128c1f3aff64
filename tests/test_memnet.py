"""Tests of attnbook.memnet: position encoding, the hops' gradients (finite differences in
float64, with and without the softmax of linear start), training reproducibility, the shipped
weights and the command line."""

import subprocess
import sys

import numpy as np
import pytest

from attnbook import babi as B
from attnbook import memnet as M
from attnbook import nn
from attnbook.attention import scaled_dot_product_attention
from test_nn import check

TINY = M.MemNetConfig(d=4, hops=3, memory_size=8)


def _batch(task="two", n=3, m=8):
    examples = [e for e in B.generate(task, 60, seed=0) if len(e.story) <= m - 2][:n]
    return examples, B.encode(examples, memory_size=m)


def test_position_encoding_formula():
    ids = np.array([[5, 7, 9, 0]])           # J = 3 words, one pad
    l = M.position_encoding(ids, d=2)[0]     # (W, d)
    for j in (1, 2, 3):
        for k in (1, 2):
            assert l[j - 1, k - 1] == pytest.approx((1 - j / 3) - (k / 2) * (1 - 2 * j / 3))
    np.testing.assert_array_equal(l[3], 0)


def test_bag_of_words_equals_position_weighted_sum():
    rng = np.random.default_rng(0)
    _, (stories, *_) = _batch()
    table = rng.normal(size=(TINY.vocab, 6))
    x_a, x_b = M.bag_of_words(stories, TINY.vocab, np.float64)
    kappa = np.arange(1, 7) / 6
    fast = x_a @ table + kappa * (x_b @ table)
    slow = (M.position_encoding(stories, 6) * nn.embedding(stories, table)).sum(axis=2)
    np.testing.assert_allclose(fast, slow, atol=1e-12)


@pytest.mark.parametrize("linear", [False, True])
def test_whole_model_gradient_matches_finite_differences(linear):
    """Every table of a tiny 3-hop model in float64, padded slots included."""
    params = M.init_params(TINY, seed=1, std=0.5, dtype=np.float64)
    _, (stories, questions, lengths, answers) = _batch()
    _, grads, _ = M.loss_and_grads(params, TINY, stories, questions, lengths, answers, linear)
    assert grads.keys() == params.keys()

    def loss():
        logits, _ = M.forward(params, TINY, stories, questions, lengths, linear)
        return nn.cross_entropy(logits, answers)

    for name in params:
        check(loss, params[name], grads[name])


def test_unnormalised_attention_backward():
    rng = np.random.default_rng(3)
    q, k, v = rng.normal(size=(2, 1, 3)), rng.normal(size=(2, 5, 3)), rng.normal(size=(2, 5, 4))
    mask = np.array([True] * 4 + [False])[None, None, :].repeat(2, 0)
    d_out = rng.normal(size=(2, 1, 4))
    out, scores = M.unnormalised_attention(q, k, v, mask)
    assert (scores[..., 4] == 0).all()
    grads = M.unnormalised_attention_backward(d_out, q, k, v, scores, mask)
    for x, g in zip((q, k, v), grads):
        check(lambda: float((M.unnormalised_attention(q, k, v, mask)[0] * d_out).sum()), x, g)


def test_a_hop_is_the_books_attention():
    params = M.init_params(TINY, seed=2)
    _, (stories, questions, lengths, _) = _batch()
    logits, cache = M.forward(params, TINY, stories, questions, lengths)
    u, emb = cache["states"][0], cache["emb"]
    out, w = scaled_dot_product_attention(u[:, None], emb[0], emb[1], scale=1.0,
                                          mask=np.arange(8)[None, None] < lengths[:, None, None])
    np.testing.assert_allclose(cache["states"][1], u + out[:, 0], rtol=1e-6)
    np.testing.assert_allclose(cache["weights"][:, 0], w[:, 0], rtol=1e-6)
    np.testing.assert_allclose(cache["weights"].sum(-1), 1, rtol=1e-5)
    for b, n in enumerate(lengths):
        assert (cache["weights"][b, :, n:] == 0).all()  # padding gets no attention


def test_padding_slots_change_nothing():
    params = M.init_params(TINY, seed=2)
    _, (stories, questions, lengths, _) = _batch(m=8)
    short, _ = M.forward(params, TINY, stories[:, :6], questions, lengths)
    long, _ = M.forward(params, TINY, stories, questions, lengths)
    np.testing.assert_allclose(short, long, rtol=1e-5, atol=1e-6)


def test_random_noise_keeps_the_sentences_in_order():
    _, (stories, _, lengths, _) = _batch(n=3, m=8)
    noisy, new = M._with_noise(stories, lengths, 0.5, 8, np.random.default_rng(0))
    assert (new >= lengths).all() and (new <= 8).all() and (new > lengths).any()
    for b in range(3):
        kept = [tuple(s) for s in noisy[b, :new[b]] if s.any()]
        assert kept == [tuple(s) for s in stories[b, :lengths[b]]]


def test_bad_inputs():
    params = M.init_params(TINY)
    _, (stories, questions, lengths, _) = _batch()
    with pytest.raises(ValueError, match="stories must be"):
        M.forward(params, TINY, stories[0], questions, lengths)
    with pytest.raises(ValueError, match="lengths must lie"):
        M.forward(params, TINY, stories, questions, lengths * 0)
    with pytest.raises(ValueError, match="task must be one of"):
        M.MemNet("four", params, TINY)


def test_training_is_reproducible(tmp_path):
    tc = M.TrainingConfig(epochs=2, linear_start_epochs=1, examples=640)
    config = M.MemNetConfig(d=8)
    runs = []
    for name in ("a", "b"):
        params, log = M.train("single", config, tc)
        M.save(tmp_path / f"{name}.npz", config, tc, {"single": (params, log)})
        runs.append((tmp_path / f"{name}.npz").read_bytes())
    assert runs[0] == runs[1]
    assert log["loss"][-1] < 0.9 * np.log(config.vocab)  # below a uniform guess


# --- the shipped models -------------------------------------------------------------------------

needs_weights = pytest.mark.skipif(not M.WEIGHTS_PATH.exists(), reason="no shipped weights")


@needs_weights
@pytest.mark.parametrize("task, target", [("single", 0.99), ("two", 0.95)])
def test_shipped_models_meet_the_targets(task, target):
    result = M.evaluate(M.MemNet.load(task))
    assert result.n == 1000 and result.accuracy >= target
    assert result.hop_on_support.shape == (3,)
    run = M.MemNet.load(task).run(B.split(task, "test"))   # the run evaluate keeps
    assert result.prediction.answers == run.answers
    assert np.array_equal(result.prediction.weights, run.weights)


@needs_weights
def test_shipped_model_answers_a_new_story():
    model = M.MemNet.load("single")
    story = ["mary went to the kitchen", "john moved to the office", "mary went to the garden"]
    pred = model.run([(story, "Where is Mary?")])
    assert pred.answers == ["garden"] and pred.hop_weights(0).shape == (3, 3)
    with pytest.raises(ValueError, match="unknown word"):
        model.answer(["bob went to the kitchen"], "where is bob")
    with pytest.raises(ValueError, match="at least one sentence"):
        model.answer([], "where is mary")


@needs_weights
def test_command_line_evaluate():
    result = subprocess.run([sys.executable, "-W", "error", "-m", "attnbook.memnet_cli",
                             "evaluate"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    for task in B.TASKS:
        assert task in result.stdout


@pytest.mark.parametrize("args, message", [
    (["train", "--epochs", "0"], "--epochs must be >= 1"),
    (["train", "--task", "four"], "invalid choice"),
    (["evaluate", "--weights", "/nonexistent.npz"], "does not exist"),
    (["fly"], "invalid choice"),
])
def test_command_line_errors_are_one_line(args, message):
    result = subprocess.run([sys.executable, "-m", "attnbook.memnet_cli", *args],
                            capture_output=True, text=True)
    assert result.returncode != 0
    assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr
