"""Unit tests of attnbook.seq2seq (one attentional decoder step) and ab.contribution_bars."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest

import attnbook as ab


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _rng(seed=0):
    return np.random.default_rng(seed)


# --- Luong's attentional hidden state and the output distribution --------------------------------

def test_attentional_hidden_state_is_tanh_of_the_two_blocks():
    rng = _rng(1)
    c, h = rng.normal(size=3), rng.normal(size=4)
    W_c = rng.normal(size=(7, 5))
    b_c = rng.normal(size=5)
    expected = np.tanh(W_c[:3].T @ c + W_c[3:].T @ h + b_c)  # W_c [c; h], context first
    np.testing.assert_allclose(ab.attentional_hidden_state(c, h, W_c, b_c), expected, rtol=1e-12)


def test_attentional_hidden_state_depends_on_h_t():
    """The point the chapter makes: h̃_t changes with h_t even when the context does not."""
    rng = _rng(2)
    c = rng.normal(size=3)
    W_c = rng.normal(size=(6, 4))
    a = ab.attentional_hidden_state(c, rng.normal(size=3), W_c)
    b = ab.attentional_hidden_state(c, rng.normal(size=3), W_c)
    assert not np.allclose(a, b)
    # ... and with the h_t rows of W_c set to zero, only the context is left: tanh(c W_c[:d_v])
    W_c[3:] = 0
    np.testing.assert_allclose(ab.attentional_hidden_state(c, rng.normal(size=3), W_c),
                               np.tanh(c @ W_c[:3]), rtol=1e-12)


def test_attentional_hidden_state_batches_and_errors():
    rng = _rng(3)
    c, h = rng.normal(size=(2, 5, 3)), rng.normal(size=(5, 4))  # h broadcasts over the batch
    W_c = rng.normal(size=(7, 6))
    out = ab.attentional_hidden_state(c, h, W_c)
    assert out.shape == (2, 5, 6)
    np.testing.assert_allclose(out[1, 2], ab.attentional_hidden_state(c[1, 2], h[2], W_c))
    with pytest.raises(ValueError, match=r"W_c must have shape \(7, d_out\).*3 \+ 4.*got \(6, 6\)"):
        ab.attentional_hidden_state(c, h, np.ones((6, 6)))
    with pytest.raises(ValueError, match=r"b_c must have shape \(6,\)"):
        ab.attentional_hidden_state(c, h, W_c, np.ones(5))
    with pytest.raises(ValueError, match="do not broadcast"):
        ab.attentional_hidden_state(np.ones((2, 3)), np.ones((3, 4)), W_c)


def test_output_distribution_is_a_softmax_over_the_vocabulary():
    rng = _rng(4)
    h, W_s, b_s = rng.normal(size=(2, 5)), rng.normal(size=(5, 9)), rng.normal(size=9)
    p = ab.output_distribution(h, W_s, b_s)
    assert p.shape == (2, 9)
    np.testing.assert_allclose(p.sum(-1), 1.0, rtol=1e-12)
    z = h[0] @ W_s + b_s
    np.testing.assert_allclose(p[0], np.exp(z) / np.exp(z).sum(), rtol=1e-12)
    with pytest.raises(ValueError, match=r"W_s must have shape \(5, d_out\)"):
        ab.output_distribution(h, np.ones((4, 9)))


def test_rnn_cell():
    rng = _rng(5)
    x, h = rng.normal(size=3), rng.normal(size=4)
    W_x, W_h, b = rng.normal(size=(3, 4)), rng.normal(size=(4, 4)), rng.normal(size=4)
    np.testing.assert_allclose(ab.rnn_cell(x, h, W_x, W_h, b), np.tanh(W_x.T @ x + W_h.T @ h + b))
    with pytest.raises(ValueError, match=r"d_h = 4 columns"):
        ab.rnn_cell(x, h, np.ones((3, 5)), W_h)


# --- whole steps ------------------------------------------------------------------------------------

def _luong_setup(seed=6, L=5, d=4, d_out=3, V=7):
    rng = _rng(seed)
    return (rng.normal(size=d), rng.normal(size=(L, d)), rng.normal(size=(2 * d, d_out)),
            rng.normal(size=(d_out, V)))


@pytest.mark.parametrize("score", ["dot", "general", "additive"])
def test_luong_step_composes_the_equations(score):
    h_t, enc, W_c, W_s = _luong_setup()
    params = ab.init_score_params(score, 4, 4, seed=1)
    step = ab.luong_step(h_t, enc, W_c, W_s, score=score, score_params=params)
    s = np.array([ab.score(score, h_t[None], enc[j:j + 1], **params)[0, 0] for j in range(5)])
    a = np.exp(s - s.max()) / np.exp(s - s.max()).sum()
    c = sum(a[j] * enc[j] for j in range(5))
    h_tilde = np.tanh(np.concatenate([c, h_t]) @ W_c)
    z = h_tilde @ W_s
    np.testing.assert_allclose(step.scores, s, rtol=1e-12)
    np.testing.assert_allclose(step.weights, a, rtol=1e-12)
    np.testing.assert_allclose(step.context, c, rtol=1e-12)
    np.testing.assert_allclose(step.attentional_state, h_tilde, rtol=1e-12)
    np.testing.assert_allclose(step.probs, np.exp(z) / np.exp(z).sum(), rtol=1e-12)
    assert step.query is step.state  # Luong attends with the current state h_t


def test_luong_step_batched_matches_one_at_a_time():
    rng = _rng(7)
    _, _, W_c, W_s = _luong_setup()
    h = rng.normal(size=(3, 4))
    enc = rng.normal(size=(3, 5, 4))
    step = ab.luong_step(h, enc, W_c, W_s)
    assert step.weights.shape == (3, 5) and step.probs.shape == (3, 7)
    for b in range(3):
        one = ab.luong_step(h[b], enc[b], W_c, W_s)
        np.testing.assert_allclose(step.context[b], one.context, rtol=1e-12)
        np.testing.assert_allclose(step.probs[b], one.probs, rtol=1e-12)


def test_luong_step_errors_name_the_shapes():
    h_t, enc, W_c, W_s = _luong_setup()
    with pytest.raises(ValueError, match=r"q has shape \(1, 3\).*k has shape \(5, 4\)"):
        ab.luong_step(h_t[:3], enc, W_c, W_s)
    with pytest.raises(ValueError, match="do not broadcast"):
        ab.luong_step(np.ones((2, 4)), np.ones((3, 5, 4)), W_c, W_s)
    with pytest.raises(TypeError, match="missing"):
        ab.luong_step(h_t, enc, W_c, W_s, score="general")


def _bahdanau_params(rng, d_s=3, d_enc=4, d_y=2, d_a=5, V=6):
    return dict(W_q=rng.normal(size=(d_s, d_a)), W_k=rng.normal(size=(d_enc, d_a)),
                v=rng.normal(size=d_a), W_x=rng.normal(size=(d_y + d_enc, d_s)),
                W_h=rng.normal(size=(d_s, d_s)), W_o=rng.normal(size=(d_s + d_enc + d_y, V)),
                b=rng.normal(size=d_s), b_o=rng.normal(size=V))


def test_bahdanau_step_attends_with_the_previous_state_and_feeds_the_context_in():
    rng = _rng(8)
    p = _bahdanau_params(rng)
    s_prev, y_prev, enc = rng.normal(size=3), rng.normal(size=2), rng.normal(size=(5, 4))
    step = ab.bahdanau_step(s_prev, y_prev, enc, **p)
    e = np.array([p["v"] @ np.tanh(s_prev @ p["W_q"] + enc[j] @ p["W_k"]) for j in range(5)])
    a = np.exp(e) / np.exp(e).sum()
    c = a @ enc
    s_t = np.tanh(np.concatenate([y_prev, c]) @ p["W_x"] + s_prev @ p["W_h"] + p["b"])
    z = np.concatenate([s_t, c, y_prev]) @ p["W_o"] + p["b_o"]
    np.testing.assert_allclose(step.scores, e, rtol=1e-12)
    np.testing.assert_array_equal(step.query, s_prev)
    np.testing.assert_allclose(step.context, c, rtol=1e-12)
    np.testing.assert_allclose(step.state, s_t, rtol=1e-12)
    np.testing.assert_allclose(step.probs, np.exp(z) / np.exp(z).sum(), rtol=1e-12)
    assert step.attentional_state is None
    # the new state depends on the source through the context
    other = ab.bahdanau_step(s_prev, y_prev, enc[::-1] * 2.0, **p)
    assert not np.allclose(other.state, step.state)


def test_bahdanau_step_batched_and_errors():
    rng = _rng(9)
    p = _bahdanau_params(rng)
    s_prev, y_prev, enc = rng.normal(size=(2, 3)), rng.normal(size=(2, 2)), rng.normal(size=(2, 5, 4))
    step = ab.bahdanau_step(s_prev, y_prev, enc, **p)
    assert step.state.shape == (2, 3) and step.probs.shape == (2, 6)
    one = ab.bahdanau_step(s_prev[1], y_prev[1], enc[1], **p)
    np.testing.assert_allclose(step.probs[1], one.probs, rtol=1e-12)
    with pytest.raises(ValueError, match=r"W_x must have shape \(6, d_out\)"):
        ab.bahdanau_step(s_prev, y_prev, enc, **(p | {"W_x": np.ones((5, 3))}))
    with pytest.raises(ValueError, match=r"W_k must have shape \(4, 5\)"):
        ab.bahdanau_step(s_prev, y_prev, enc, **(p | {"W_k": np.ones((3, 5))}))


# --- contribution bars ---------------------------------------------------------------------------

def test_contribution_bars_segments_add_up_to_the_context():
    rng = _rng(10)
    w = ab.softmax(rng.normal(size=4))
    v = rng.normal(size=(4, 3))
    ax = ab.contribution_bars(w, v, key_labels=list("abcd"), feature_labels=["x", "y", "z"])
    heights = np.zeros(3)
    for patch in ax.patches:  # positive and negative segments of every key
        heights[round(patch.get_x() + patch.get_width() / 2)] += patch.get_height()
    np.testing.assert_allclose(heights, w @ v, atol=1e-12)
    total = ax.collections[0].get_offsets()[:, 1]
    np.testing.assert_allclose(total, w @ v, atol=1e-12)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["x", "y", "z"]
    assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert sorted(labels) == ["a", "b", "c", "d", "total c"]


def test_contribution_bars_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match=r"weights \(L_k,\) and values \(L_k, d_v\).*\(3,\).*\(4, 2\)"):
        ab.contribution_bars(np.ones(3) / 3, np.ones((4, 2)))
    with pytest.raises(ValueError, match="key_labels has 2 labels"):
        ab.contribution_bars(np.ones(3) / 3, np.ones((3, 2)), key_labels=["a", "b"])
