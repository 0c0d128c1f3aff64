r"""One decoder step of an encoder–decoder with attention, after Luong et al. (2015) and
Bahdanau et al. (2015), in plain numpy.

The two papers attend in a different order:

* **Luong** (:func:`luong_step`): the recurrent cell first computes the current state
  :math:`\mathbf h_t`; :math:`\mathbf h_t` is the query; the context :math:`\mathbf c_t` and
  :math:`\mathbf h_t` are combined into the *attentional hidden state*
  :math:`\tilde{\mathbf h}_t = \tanh(W_c [\mathbf c_t; \mathbf h_t])`, which predicts the word.
* **Bahdanau** (:func:`bahdanau_step`): the *previous* state :math:`\mathbf s_{t-1}` is the query;
  the context :math:`\mathbf c_t` is an input of the recurrent step that produces
  :math:`\mathbf s_t`; the word is predicted from :math:`\mathbf s_t`, :math:`\mathbf c_t` and the
  previous word.

Rows are vectors and linear maps are ``x @ W`` (the notation page), so Luong's
:math:`W_c [\mathbf c_t; \mathbf h_t]` is ``concat([c, h]) @ W_c`` with ``W_c`` of shape
``(d_v + d_h, d_out)``. All functions accept leading batch dimensions.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._checks import as_float_array
from .attention import softmax
from .scores import score as _score

__all__ = [
    "attentional_hidden_state",
    "output_distribution",
    "rnn_cell",
    "DecoderStep",
    "luong_step",
    "bahdanau_step",
]


def _matrix(W, name: str, rows: int, what: str) -> np.ndarray:
    W = as_float_array(W, name)
    if W.ndim != 2 or W.shape[0] != rows:
        raise ValueError(f"{name} must have shape ({rows}, d_out) ({what}), got {W.shape}")
    return W


def _bias(b, name: str, size: int) -> np.ndarray | float:
    if b is None:
        return 0.0
    b = as_float_array(b, name)
    if b.shape != (size,):
        raise ValueError(f"{name} must have shape ({size},), got {b.shape}")
    return b


def _leading(name_a: str, a: np.ndarray, name_b: str, b: np.ndarray) -> None:
    try:
        np.broadcast_shapes(a.shape[:-1], b.shape[:-1])
    except ValueError:
        raise ValueError(f"the batch dimensions of {name_a} {a.shape} and {name_b} {b.shape} "
                         "do not broadcast") from None


def attentional_hidden_state(context, h_t, W_c, b_c=None) -> np.ndarray:
    r"""Luong's attentional hidden state :math:`\tilde{\mathbf h}_t = \tanh(W_c [\mathbf c_t; \mathbf h_t])`.

    The context (what attention read from the source) and the decoder state (what the decoder
    knows so far) are concatenated, **context first**, and mixed by one tanh layer.

    Parameters
    ----------
    context : array_like, shape ``(..., d_v)``, the context vector :math:`\mathbf c_t`
    h_t : array_like, shape ``(..., d_h)``, the decoder state :math:`\mathbf h_t`
    W_c : array_like, shape ``(d_v + d_h, d_out)``; rows ``:d_v`` act on the context,
        rows ``d_v:`` on the state
    b_c : array_like, shape ``(d_out,)``, optional (Luong's equation has none)

    Returns
    -------
    ndarray, shape ``(..., d_out)``: ``tanh(concat([c, h]) @ W_c + b_c)``.
    """
    c = as_float_array(context, "context", min_ndim=1)
    h = as_float_array(h_t, "h_t", min_ndim=1)
    _leading("context", c, "h_t", h)
    W_c = _matrix(W_c, "W_c", c.shape[-1] + h.shape[-1],
                  f"d_v + d_h = {c.shape[-1]} + {h.shape[-1]} rows for [c_t; h_t]")
    b_c = _bias(b_c, "b_c", W_c.shape[1])
    shape = np.broadcast_shapes(c.shape[:-1], h.shape[:-1])
    ch = np.concatenate([np.broadcast_to(c, shape + c.shape[-1:]),
                         np.broadcast_to(h, shape + h.shape[-1:])], axis=-1)
    return np.tanh(ch @ W_c + b_c)


def output_distribution(h, W_s, b_s=None) -> np.ndarray:
    r"""The next-word distribution :math:`p(y_t \mid y_{<t}, x) = \operatorname{softmax}(W_s \tilde{\mathbf h}_t)`.

    Parameters
    ----------
    h : array_like, shape ``(..., d)``, the vector the prediction is read from
        (Luong: :math:`\tilde{\mathbf h}_t`)
    W_s : array_like, shape ``(d, V)``, one column per word of the target vocabulary
    b_s : array_like, shape ``(V,)``, optional

    Returns
    -------
    ndarray, shape ``(..., V)``, non-negative, summing to 1 over the vocabulary.
    """
    h = as_float_array(h, "h", min_ndim=1)
    W_s = _matrix(W_s, "W_s", h.shape[-1], f"d = {h.shape[-1]} rows, one column per word")
    b_s = _bias(b_s, "b_s", W_s.shape[1])
    return softmax(h @ W_s + b_s, axis=-1)


def rnn_cell(x, h_prev, W_x, W_h, b=None) -> np.ndarray:
    r"""A plain (Elman) recurrent step :math:`\mathbf h_t = \tanh(W_x^\top \mathbf x_t + W_h^\top \mathbf h_{t-1} + \mathbf b)`.

    Both papers use gated cells (Bahdanau a GRU-like unit, Luong LSTMs); this book uses the
    plain tanh cell so that one step stays readable. The attention does not depend on the choice.

    Parameters
    ----------
    x : array_like, shape ``(..., d_x)``, the input of the step
    h_prev : array_like, shape ``(..., d_h)``, the previous state
    W_x : array_like, shape ``(d_x, d_h)``
    W_h : array_like, shape ``(d_h, d_h)``
    b : array_like, shape ``(d_h,)``, optional

    Returns
    -------
    ndarray, shape ``(..., d_h)``: ``tanh(x @ W_x + h_prev @ W_h + b)``.
    """
    x = as_float_array(x, "x", min_ndim=1)
    h = as_float_array(h_prev, "h_prev", min_ndim=1)
    _leading("x", x, "h_prev", h)
    d_h = h.shape[-1]
    W_x = _matrix(W_x, "W_x", x.shape[-1], f"d_x = {x.shape[-1]} rows")
    W_h = _matrix(W_h, "W_h", d_h, f"d_h = {d_h} rows")
    if W_x.shape[1] != d_h or W_h.shape[1] != d_h:
        raise ValueError(f"W_x {W_x.shape} and W_h {W_h.shape} must both have d_h = {d_h} columns")
    return np.tanh(x @ W_x + h @ W_h + _bias(b, "b", d_h))


class DecoderStep(NamedTuple):
    """Everything one attentional decoder step computed, for reading and plotting."""

    query: np.ndarray  # (..., d_q): the state that attended (Luong h_t, Bahdanau s_{t-1})
    scores: np.ndarray  # (..., L_s): a(query, h̄_s) for every source position
    weights: np.ndarray  # (..., L_s): softmax of the scores
    context: np.ndarray  # (..., d_enc): sum_s weights[s] * encoder_states[s]
    state: np.ndarray  # (..., d_h): the decoder state after the step (Luong h_t, Bahdanau s_t)
    attentional_state: np.ndarray | None  # (..., d_out): Luong's h̃_t; None for Bahdanau
    probs: np.ndarray  # (..., V): the output distribution


def _attend(query: np.ndarray, encoder_states, score: str, score_params: dict | None):
    """Scores, weights and context of one query (per batch element) over the source states."""
    enc = as_float_array(encoder_states, "encoder_states", min_ndim=2)
    try:
        np.broadcast_shapes(query.shape[:-1], enc.shape[:-2])
    except ValueError:
        raise ValueError(f"the batch dimensions of the query {query.shape} and of "
                         f"encoder_states {enc.shape} do not broadcast") from None
    s = _score(score, query[..., None, :], enc, **(score_params or {}))[..., 0, :]  # (..., L_s)
    a = softmax(s, axis=-1)
    c = (a[..., None, :] @ enc)[..., 0, :]  # (..., d_enc)
    return s, a, c


def luong_step(h_t, encoder_states, W_c, W_s, *, score: str = "dot", score_params=None,
               b_c=None, b_s=None) -> DecoderStep:
    r"""The attention part of one decoder step of Luong et al. (2015), global attention.

    .. math::

        s_j &= \operatorname{score}(\mathbf h_t, \bar{\mathbf h}_j), \qquad
        \alpha_j = \operatorname{softmax}_j(s), \qquad
        \mathbf c_t = \textstyle\sum_j \alpha_j \bar{\mathbf h}_j \\
        \tilde{\mathbf h}_t &= \tanh(W_c [\mathbf c_t; \mathbf h_t]), \qquad
        p(y_t \mid y_{<t}, x) = \operatorname{softmax}(W_s \tilde{\mathbf h}_t)

    The current decoder state :math:`\mathbf h_t` (already computed by the recurrent cell, e.g.
    :func:`rnn_cell`) is the query; the encoder states are both keys and values.

    Parameters
    ----------
    h_t : array_like, shape ``(..., d_h)``
    encoder_states : array_like, shape ``(..., L_s, d_enc)``
    W_c : array_like, shape ``(d_enc + d_h, d_out)``
    W_s : array_like, shape ``(d_out, V)``
    score : name of the score function (``dot``, ``general``, ``additive``, ...; see
        :func:`attnbook.score`), with its parameters in ``score_params``
    b_c, b_s : optional biases of shapes ``(d_out,)`` and ``(V,)``

    Returns
    -------
    DecoderStep with ``query = state = h_t`` and ``attentional_state`` = :math:`\tilde{\mathbf h}_t`.
    """
    h = as_float_array(h_t, "h_t", min_ndim=1)
    s, a, c = _attend(h, encoder_states, score, score_params)
    h_tilde = attentional_hidden_state(c, h, W_c, b_c)
    probs = output_distribution(h_tilde, W_s, b_s)
    return DecoderStep(h, s, a, c, h, h_tilde, probs)


def bahdanau_step(s_prev, y_prev, encoder_states, *, W_q, W_k, v, W_x, W_h, W_o, b=None,
                  b_o=None) -> DecoderStep:
    r"""One decoder step of Bahdanau et al. (2015), with a plain tanh cell and a linear read-out.

    .. math::

        e_j &= \mathbf v^\top \tanh(W_q^\top \mathbf s_{t-1} + W_k^\top \mathbf h_j), \qquad
        \alpha_j = \operatorname{softmax}_j(e), \qquad
        \mathbf c_t = \textstyle\sum_j \alpha_j \mathbf h_j \\
        \mathbf s_t &= \tanh(W_x^\top [\mathbf y_{t-1}; \mathbf c_t] + W_h^\top \mathbf s_{t-1} + \mathbf b),
        \qquad p(y_t \mid y_{<t}, x) = \operatorname{softmax}(W_o^\top [\mathbf s_t; \mathbf c_t; \mathbf y_{t-1}] + \mathbf b_o)

    The *previous* state attends (additive score), and the context is an **input** of the
    recurrent step. The paper uses a gated unit and a maxout read-out
    :math:`g(\mathbf y_{t-1}, \mathbf s_t, \mathbf c_t)`; here they are a tanh cell and one linear
    layer, which keeps the order of operations, the point of this function.

    Parameters
    ----------
    s_prev : array_like, shape ``(..., d_s)``, the previous decoder state
    y_prev : array_like, shape ``(..., d_y)``, the embedding of the previous output word
    encoder_states : array_like, shape ``(..., L_s, d_enc)``
    W_q, W_k, v : the additive score's parameters, shapes ``(d_s, d_a)``, ``(d_enc, d_a)``, ``(d_a,)``
    W_x : array_like, shape ``(d_y + d_enc, d_s)``; W_h : shape ``(d_s, d_s)``; b : ``(d_s,)``
    W_o : array_like, shape ``(d_s + d_enc + d_y, V)``; b_o : ``(V,)``

    Returns
    -------
    DecoderStep with ``query = s_{t-1}``, ``state = s_t`` and ``attentional_state = None``.
    """
    s_prev = as_float_array(s_prev, "s_prev", min_ndim=1)
    y_prev = as_float_array(y_prev, "y_prev", min_ndim=1)
    e, a, c = _attend(s_prev, encoder_states, "additive", {"W_q": W_q, "W_k": W_k, "v": v})
    shape = np.broadcast_shapes(c.shape[:-1], y_prev.shape[:-1], s_prev.shape[:-1])
    y = np.broadcast_to(y_prev, shape + y_prev.shape[-1:])
    c = np.broadcast_to(c, shape + c.shape[-1:])
    s_t = rnn_cell(np.concatenate([y, c], axis=-1), s_prev, W_x, W_h, b)
    readout = np.concatenate([s_t, c, y], axis=-1)
    probs = output_distribution(readout, W_o, b_o)
    return DecoderStep(s_prev, e, a, np.array(c), s_t, None, probs)
