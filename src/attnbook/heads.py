r"""Attention heads built by hand, so that a reader can see *why* each one looks where it does.

A head of a multi-head layer is the triple of column blocks :math:`W_Q^{(i)}, W_K^{(i)},
W_V^{(i)} \in \mathbb R^{d_\text{model} \times d_\text{head}}` (and bias blocks
:math:`\mathbf b^{(i)} \in \mathbb R^{d_\text{head}}`): the :math:`i`-th block of
:math:`d_\text{head}` columns of the layer's :math:`W_Q, W_K, W_V`. The builders here write those
blocks for an input whose columns have names (see :mod:`attnbook.embeddings`): word features such
as ``noun``, and one-hot positions ``pos 0, pos 1, ...``. The score of query :math:`i` and key
:math:`j` in head :math:`h` is

.. math:: s_{ij} = \frac{(\mathbf x_i W_Q^{(h)} + \mathbf b_Q^{(h)})
          (\mathbf x_j W_K^{(h)} + \mathbf b_K^{(h)})^\top}{\sqrt{d_\text{head}}},

and every builder puts :math:`\text{strength} \cdot \sqrt{d_\text{head}}` on the query side and 1
on the key side, so a matching key scores exactly ``strength`` and a non-matching one 0.
:func:`mha_from_heads` stacks the blocks into a :class:`~attnbook.MultiHeadAttention`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from ._checks import as_float_array, positive_float, positive_int
from .attention import MultiHeadAttention, merge_heads

__all__ = [
    "Head",
    "previous_token_head",
    "same_feature_head",
    "first_token_head",
    "mha_from_heads",
    "heads_of",
]

_POSITION = re.compile(r"pos (\d+)")


@dataclass(frozen=True)
class Head:
    """The parameters of one head: ``w_q, w_k, w_v`` of shape ``(d_model, d_head)`` and
    ``b_q, b_k, b_v`` of shape ``(d_head,)``, applied as ``x @ w + b``."""

    w_q: np.ndarray
    w_k: np.ndarray
    w_v: np.ndarray
    b_q: np.ndarray
    b_k: np.ndarray
    b_v: np.ndarray
    name: str = ""

    def __post_init__(self):
        w_q = as_float_array(self.w_q, "w_q")
        if w_q.ndim != 2:
            raise ValueError(f"w_q must have shape (d_model, d_head), got {w_q.shape}")
        for n in ("w_q", "w_k", "w_v", "b_q", "b_k", "b_v"):
            value = as_float_array(getattr(self, n), n)
            want = w_q.shape if n.startswith("w") else w_q.shape[1:]
            if value.shape != want:
                raise ValueError(f"{n} must have shape {want} (like w_q), got {value.shape}")
            object.__setattr__(self, n, value)

    @property
    def d_model(self) -> int:
        return self.w_q.shape[0]

    @property
    def d_head(self) -> int:
        return self.w_q.shape[1]

    def scores(self, x) -> np.ndarray:
        r"""This head's scaled scores :math:`Q K^\top / \sqrt{d_\text{head}}` for self-attention
        over ``x`` of shape ``(..., L, d_model)``; returns ``(..., L, L)``."""
        x = as_float_array(x, "x", min_ndim=2)
        q, k = x @ self.w_q + self.b_q, x @ self.w_k + self.b_k
        return q @ np.swapaxes(k, -1, -2) / math.sqrt(self.d_head)


def _columns(columns: Sequence[str]) -> list[str]:
    columns = [str(c) for c in columns]
    if not columns or len(set(columns)) != len(columns):
        raise ValueError(f"columns must be non-empty names given once each, got {columns}")
    return columns


def _positions(columns: list[str]) -> dict[int, int]:
    """{position p: column index} for the columns named 'pos p'."""
    found = {}
    for c, name in enumerate(columns):
        m = _POSITION.fullmatch(name)
        if m:
            found[int(m.group(1))] = c
    if not found:
        raise ValueError("no position columns ('pos 0', 'pos 1', ...) among the columns; "
                         "append attnbook.one_hot_positions(...) to the input")
    return found


def _empty(d_model: int, d_head: int) -> dict[str, np.ndarray]:
    return {"w_q": np.zeros((d_model, d_head)), "w_k": np.zeros((d_model, d_head)),
            "w_v": np.zeros((d_model, d_head)), "b_q": np.zeros(d_head),
            "b_k": np.zeros(d_head), "b_v": np.zeros(d_head)}


def _copy_values(p: dict, columns: list[str], values: Sequence[str], d_head: int) -> None:
    """Value slot ``s`` carries input column ``values[s]``: :math:`W_V[c, s] = 1`."""
    values = list(values)
    if len(values) > d_head:
        raise ValueError(f"{len(values)} value columns do not fit in d_head={d_head}")
    for s, name in enumerate(values):
        if name not in columns:
            raise ValueError(f"value column {name!r} is not among the columns {columns}")
        p["w_v"][columns.index(name), s] = 1.0


def _query_weight(strength, d_head: int) -> float:
    return positive_float(strength, "strength") * math.sqrt(d_head)


def previous_token_head(columns: Sequence[str], d_head: int, *, strength: float = 8.0,
                        values: Sequence[str] = ()) -> Head:
    r"""A head in which every token attends to the token just before it.

    The key of position :math:`j` is the unit vector :math:`\mathbf e_j`; the query of position
    :math:`i` is :math:`\mathbf e_{i-1}` (scaled), so the only key that matches is :math:`j = i-1`.
    Position 0 has no previous token and looks at itself (:math:`\mathbf e_0`).

    .. math:: s_{ij} = \text{strength} \cdot [\, j = \max(i-1, 0) \,]

    Parameters
    ----------
    columns : names of the input's ``d_model`` columns; the positions are the one-hot columns
        named ``pos 0, pos 1, ...`` (see :func:`attnbook.position_names`)
    d_head : the head's width; it must be larger than the largest position
    strength : the score of the matching key (after the :math:`1/\sqrt{d_\text{head}}` scaling)
    values : input columns copied into the head's value slots ``0, 1, ...``
    """
    columns = _columns(columns)
    d_head = positive_int(d_head, "d_head")
    positions = _positions(columns)
    if max(positions) >= d_head:
        raise ValueError(f"positions up to {max(positions)} need d_head > {max(positions)}, "
                         f"got d_head={d_head}")
    p = _empty(len(columns), d_head)
    wq = _query_weight(strength, d_head)
    for pos, c in positions.items():
        p["w_q"][c, max(pos - 1, 0)] = wq
        p["w_k"][c, pos] = 1.0
    _copy_values(p, columns, values, d_head)
    return Head(**p, name="previous token")


def same_feature_head(columns: Sequence[str], features: Sequence[str], d_head: int, *,
                      strength: float = 8.0, values: Sequence[str] = ()) -> Head:
    r"""A head in which every token attends to the tokens that share its ``features``.

    Query and key both read the listed features into slots :math:`0, 1, \dots`:

    .. math:: s_{ij} = \text{strength} \cdot \sum_{f \in \text{features}} x_{i f} \, x_{j f}

    With one-hot features such as the parts of speech, a noun attends (evenly) to every noun,
    a verb to every verb: "tokens of the same kind".
    """
    columns = _columns(columns)
    d_head = positive_int(d_head, "d_head")
    features = list(features)
    if not features:
        raise ValueError("features must name at least one column")
    if len(features) > d_head:
        raise ValueError(f"{len(features)} features do not fit in d_head={d_head}")
    p = _empty(len(columns), d_head)
    wq = _query_weight(strength, d_head)
    for s, name in enumerate(features):
        if name not in columns:
            raise ValueError(f"feature {name!r} is not among the columns {columns}")
        p["w_q"][columns.index(name), s] = wq
        p["w_k"][columns.index(name), s] = 1.0
    _copy_values(p, columns, values, d_head)
    return Head(**p, name="same " + "/".join(features) if len(features) < 3 else "same kind")


def first_token_head(columns: Sequence[str], d_head: int, *, strength: float = 8.0,
                     values: Sequence[str] = ()) -> Head:
    r"""A head in which every token attends to the first token.

    Every query is the same vector, the query **bias** :math:`\mathbf b_Q = \text{strength}
    \sqrt{d_\text{head}}\, \mathbf e_0` (the weights :math:`W_Q` are zero); only the key of
    position 0 has a component along :math:`\mathbf e_0`:

    .. math:: s_{ij} = \text{strength} \cdot [\, j = 0 \,]
    """
    columns = _columns(columns)
    d_head = positive_int(d_head, "d_head")
    positions = _positions(columns)
    if 0 not in positions:
        raise ValueError("the columns have no 'pos 0'")
    p = _empty(len(columns), d_head)
    p["b_q"][0] = _query_weight(strength, d_head)
    p["w_k"][positions[0], 0] = 1.0
    _copy_values(p, columns, values, d_head)
    return Head(**p, name="first token")


def mha_from_heads(heads: Sequence[Head], w_o=None, b_o=None) -> MultiHeadAttention:
    r"""Stack hand-built heads into one :class:`~attnbook.MultiHeadAttention` layer.

    Head :math:`i`'s blocks become columns :math:`i d_\text{head}, \dots, (i+1) d_\text{head}-1`
    of :math:`W_Q, W_K, W_V` (and of the biases): the inverse of what the layer's
    ``split_heads`` does to the projected queries, keys and values.

    Parameters
    ----------
    heads : ``h`` :class:`Head` objects of equal shapes, with ``h * d_head == d_model``
    w_o : ``(d_model, d_model)`` output projection, default the identity (the output is then the
        concatenation of the heads' outputs)
    b_o : ``(d_model,)``, default zeros
    """
    heads = list(heads)
    if not heads or not all(isinstance(h, Head) for h in heads):
        raise TypeError("heads must be a non-empty sequence of Head objects")
    d_model, d_head = heads[0].d_model, heads[0].d_head
    for i, h in enumerate(heads):
        if (h.d_model, h.d_head) != (d_model, d_head):
            raise ValueError(f"head {i} has (d_model, d_head) = ({h.d_model}, {h.d_head}), "
                             f"head 0 has ({d_model}, {d_head})")
    if len(heads) * d_head != d_model:
        raise ValueError(f"{len(heads)} heads of d_head={d_head} give {len(heads) * d_head} "
                         f"columns, but d_model={d_model}: multi-head attention needs "
                         "num_heads * d_head == d_model")
    params = {}
    for n in ("w_q", "w_k", "w_v"):
        params[n] = merge_heads(np.stack([getattr(h, n) for h in heads]))  # (d_model, h*d_head)
    for n in ("b_q", "b_k", "b_v"):
        params[n] = np.concatenate([getattr(h, n) for h in heads])
    params["w_o"] = np.eye(d_model) if w_o is None else w_o
    params["b_o"] = b_o
    return MultiHeadAttention.from_params(len(heads), **params)


def heads_of(mha: MultiHeadAttention) -> list[Head]:
    """The inverse of :func:`mha_from_heads`: the per-head column blocks of a layer."""
    if not isinstance(mha, MultiHeadAttention):
        raise TypeError(f"expected a MultiHeadAttention, got {type(mha).__name__}")
    dh = mha.d_head
    return [Head(*(getattr(mha, n)[..., i * dh:(i + 1) * dh]
                   for n in ("w_q", "w_k", "w_v", "b_q", "b_k", "b_v")), name=f"head {i + 1}")
            for i in range(mha.num_heads)]
