r"""What attention costs: arithmetic and memory as formulas, and a timing helper.

For ``h`` heads, each with queries and keys of width :math:`d_k` and values of width :math:`d_v`,
scaled dot-product attention of :math:`L_q` queries over :math:`L_k` keys does two matrix
products per head,

.. math::

    \underbrace{Q K^\top}_{2 L_q L_k d_k \text{ flops}} \quad\text{and}\quad
    \underbrace{A V}_{2 L_q L_k d_v \text{ flops}},

(a dot product of length :math:`d` is :math:`d` multiplications and :math:`d-1 \approx d`
additions), plus a softmax whose work is proportional to the :math:`L_q L_k` scores. The weights
:math:`A` of every head exist at once: :math:`h L_q L_k` numbers.
"""

from __future__ import annotations

import time
from typing import NamedTuple, Sequence

import numpy as np

from ._checks import positive_int
from .attention import scaled_dot_product_attention

__all__ = ["AttentionCost", "attention_cost", "time_attention"]


class AttentionCost(NamedTuple):
    """``flops``: multiply-adds of the two matrix products, counted as 2 flops each;
    ``weight_bytes``: memory of the attention-weight matrices."""

    flops: int
    weight_bytes: int


def attention_cost(length_q: int, length_k: int, d_k: int, d_v: int | None = None, *,
                   num_heads: int = 1, itemsize: int = 8) -> AttentionCost:
    r"""Arithmetic and memory of (multi-head) scaled dot-product attention.

    .. math::

        \text{flops} = 2\, h\, L_q L_k (d_k + d_v), \qquad
        \text{weight bytes} = h\, L_q L_k \cdot \text{itemsize}

    Parameters
    ----------
    length_q, length_k : :math:`L_q`, :math:`L_k`
    d_k, d_v : the per-head query/key and value widths (``d_v`` defaults to ``d_k``)
    num_heads : :math:`h`; with :math:`d_k = d_v = d_\text{model}/h` the flops do not depend on
        :math:`h`, the weight memory grows with it
    itemsize : bytes per number (8 for float64, 4 for float32)

    The projections :math:`X W` (:math:`2 L d_\text{model}^2` flops each) are not included: they
    grow linearly in the length, the attention itself quadratically. Nor are the scaling and
    the softmax (a few operations per score, :math:`h L_q L_k` scores): the flops count the two
    matrix products :math:`QK^\top` and :math:`AV` only.
    """
    lq, lk = positive_int(length_q, "length_q"), positive_int(length_k, "length_k")
    d_k = positive_int(d_k, "d_k")
    d_v = d_k if d_v is None else positive_int(d_v, "d_v")
    h = positive_int(num_heads, "num_heads")
    itemsize = positive_int(itemsize, "itemsize")
    return AttentionCost(flops=2 * h * lq * lk * (d_k + d_v), weight_bytes=h * lq * lk * itemsize)


def time_attention(lengths: Sequence[int], d_k: int = 64, *, repeats: int = 3, seed: int = 0,
                   dtype=np.float64) -> np.ndarray:
    """Wall-clock seconds of one self-attention call per sequence length (best of ``repeats``).

    Runs :func:`attnbook.scaled_dot_product_attention` on random ``(L, d_k)`` queries, keys and
    values (seeded). The result depends on the machine and its load: plot it, don't store it as
    text.

    Returns
    -------
    ndarray of shape ``(len(lengths),)``.
    """
    lengths = [positive_int(n, "length") for n in lengths]
    if not lengths:
        raise ValueError("lengths must not be empty")
    d_k = positive_int(d_k, "d_k")
    repeats = positive_int(repeats, "repeats")
    rng = np.random.default_rng(seed)
    seconds = []
    for n in lengths:
        q, k, v = (rng.standard_normal((n, d_k)).astype(dtype) for _ in range(3))
        best = np.inf
        for _ in range(repeats):
            start = time.perf_counter()
            scaled_dot_product_attention(q, k, v)
            best = min(best, time.perf_counter() - start)
        seconds.append(best)
    return np.array(seconds)
