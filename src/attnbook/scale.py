r"""Attention at scale: online softmax, tiled (FlashAttention-style) attention, KV caching, and
two cheaper approximations — sliding-window and linear attention.

Plain attention builds the whole :math:`L_q \times L_k` matrix of scores. The functions here
compute exactly the same output without ever holding it, by streaming over blocks of keys with
a running maximum and a running sum (:func:`online_softmax`, :func:`tiled_attention`), and
decode a sequence one token at a time reusing the keys and values already computed
(:class:`KVCache`, :class:`CachedSelfAttention`). Chapter 10 of the book walks through them.
"""

from __future__ import annotations

import json
import math
import tracemalloc
from dataclasses import dataclass
from importlib import resources
from typing import Callable

import numpy as np

from ._checks import as_float_array, boolean, compute_dtype, positive_float, positive_int
from .attention import (
    MultiHeadAttention,
    _scores_may_overflow,
    _sum_may_overflow,
    affine,
    causal_mask,
    merge_heads,
    scaled_dot_product_attention,
    split_heads,
)

__all__ = [
    "online_softmax",
    "online_normalizer",
    "attention_tiles",
    "tiled_attention",
    "TiledAttentionStep",
    "tiled_attention_steps",
    "KVCache",
    "CachedSelfAttention",
    "decode_self_attention",
    "sliding_window_mask",
    "linear_attention",
    "peak_memory",
    "power_law_exponent",
    "benchmark_results",
]


# --- online softmax ------------------------------------------------------------------------------

def online_normalizer(x, block_size: int = 1, running: bool = False):
    r"""The maximum and the softmax normaliser of ``x`` along its last axis, in one streaming pass
    (Milakov & Gimelshein, 2018).

    Reading ``x`` one block at a time, it keeps a running maximum :math:`m` and a running sum
    :math:`d = \sum_{j \text{ seen}} e^{x_j - m}`. When a block raises the maximum from
    :math:`m` to :math:`m'`, the sum so far is rescaled to the new reference:

    .. math::

        m' = \max(m, \max_{j \in B} x_j), \qquad
        d' = d\, e^{m - m'} + \sum_{j \in B} e^{x_j - m'} .

    At the end :math:`d = \sum_j e^{x_j - \max x}`, the denominator of the stable softmax.

    Parameters
    ----------
    x : array_like, shape ``(..., n)``; ``-inf`` entries are allowed (weight 0)
    block_size : int, how many entries are read per step (1 = the paper's element-wise loop)
    running : bool, also return the running values after every block

    Returns
    -------
    m, d : ndarrays of shape ``(...)``; ``m = -inf`` and ``d = 0`` for an all ``-inf`` slice.
    With ``running=True``, two more arrays of shape ``(n_blocks, ...)``: ``m`` and ``d`` after
    each block. For float16 input, ``d`` is computed and returned in float32 (a float16 sum
    overflows at 65504).
    """
    x = as_float_array(x, "x", min_ndim=1, allow_neg_inf=True)
    block_size = positive_int(block_size, "block_size")
    running = boolean(running, "running")
    if x.shape[-1] == 0:
        raise ValueError(f"the softmax normaliser of an empty last axis is undefined (x has shape "
                         f"{x.shape})")
    x = x.astype(compute_dtype(x.dtype), copy=False)
    m = np.full(x.shape[:-1], -np.inf, dtype=x.dtype)
    d = np.zeros(x.shape[:-1], dtype=x.dtype)
    history_m, history_d = [], []
    for start in range(0, x.shape[-1], block_size):
        block = x[..., start:start + block_size]
        m_new = np.maximum(m, block.max(axis=-1))
        reference = np.where(np.isneginf(m_new), 0.0, m_new)  # nothing seen yet but -inf
        with np.errstate(over="ignore"):  # differences below the dtype's range: exp(-inf) = 0
            d = d * np.exp(m - reference) + np.exp(block - reference[..., None]).sum(axis=-1)
        m = m_new
        if running:
            history_m.append(m)
            history_d.append(d)
    if running:
        return m, d, np.stack(history_m), np.stack(history_d)
    return m, d


def online_softmax(x, block_size: int = 1) -> np.ndarray:
    r"""Softmax along the last axis, with the normaliser computed online (one pass to find
    :math:`m` and :math:`d`, see :func:`online_normalizer`, one pass to write
    :math:`e^{x_j - m} / d`) instead of the usual three passes (max, sum, divide).

    Equal to :func:`attnbook.softmax` to float precision; an all ``-inf`` row gives zeros.
    """
    x = as_float_array(x, "x", min_ndim=1, allow_neg_inf=True)
    m, d = online_normalizer(x, block_size)
    reference = np.where(np.isneginf(m), 0.0, m)[..., None]
    total = np.where(d > 0, d, 1.0)[..., None]
    with np.errstate(over="ignore"):
        return (np.exp(x.astype(d.dtype) - reference) / total).astype(x.dtype, copy=False)


# --- tiled attention -----------------------------------------------------------------------------

def attention_tiles(length_q: int, length_k: int, block_size: int, causal: bool = False):
    """The tiles of the ``(L_q, L_k)`` score matrix that tiled attention visits, in order.

    Query rows are cut into blocks of ``block_size``, keys likewise; for each block of queries
    (outer loop) every block of keys is visited (inner loop). With ``causal=True`` (query ``i``
    sees keys ``j <= i + L_k - L_q``, as :func:`attnbook.causal_mask`) tiles that lie entirely
    above the diagonal are skipped: every score in them would be masked.

    Returns
    -------
    list of ``(rows, cols)`` pairs of slices.
    """
    length_q = positive_int(length_q, "length_q")
    length_k = positive_int(length_k, "length_k")
    block_size = positive_int(block_size, "block_size")
    causal = boolean(causal, "causal")
    offset = length_k - length_q
    if causal and offset < 0:
        raise ValueError(f"causal attention needs L_k >= L_q, got L_q={length_q}, L_k={length_k}")
    tiles = []
    for i0 in range(0, length_q, block_size):
        i1 = min(i0 + block_size, length_q)
        for j0 in range(0, length_k, block_size):
            if causal and j0 > i1 - 1 + offset:  # even the last query of the block is before j0
                break
            tiles.append((slice(i0, i1), slice(j0, min(j0 + block_size, length_k))))
    return tiles


def _check_qkv(q, k, v, scale):
    q = as_float_array(q, "q", min_ndim=2)
    k = as_float_array(k, "k", min_ndim=2)
    v = as_float_array(v, "v", min_ndim=2)
    if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise ValueError(f"q (..., L_q, d_k), k (..., L_k, d_k) and v (..., L_k, d_v) do not fit: "
                         f"q {q.shape}, k {k.shape}, v {v.shape}")
    if q.shape[-1] == 0 or k.shape[-2] == 0:
        raise ValueError(f"empty queries or keys (d_k = 0 or L_k = 0): q shape {q.shape}, "
                         f"k shape {k.shape}")
    try:
        np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    except ValueError:
        raise ValueError(f"the leading (batch/head) dimensions of q {q.shape}, k {k.shape} and "
                         f"v {v.shape} do not broadcast") from None
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else positive_float(scale, "scale")
    return q, k, v, scale


def _tiled(q, k, v, block_size, causal, scale, on_tile: Callable | None = None) -> np.ndarray:
    """The loop of tiled attention (checked inputs); ``on_tile(rows, cols, m, l, acc, v_scale)``
    sees the running state of the query block after each tile (the output so far is
    ``acc / l * v_scale``).

    Like :func:`attnbook.scaled_dot_product_attention`: float16 is computed in float32, scores
    that overflow are an error, and when the unnormalised sum ``acc`` over ``L_k`` keys could
    overflow, ``v`` is divided by a power of two first (exact) and the output multiplied back.
    """
    L_q, L_k = q.shape[-2], k.shape[-2]
    batch = np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    out_dtype = np.result_type(q, k, v)
    dtype = compute_dtype(out_dtype)
    q, k, v = (x.astype(dtype, copy=False) for x in (q, k, v))
    output = np.empty(batch + (L_q, v.shape[-1]), dtype=dtype)
    if math.prod(batch) * L_q == 0:
        return output.astype(out_dtype, copy=False)
    check_overflow = _scores_may_overflow(q, k, scale)
    v_scale = 1.0
    if _sum_may_overflow(v, L_k):
        v_scale = math.ldexp(1.0, math.frexp(max(float(v.max()), -float(v.min())))[1] - 1)
        v = v / v_scale
    offset = L_k - L_q
    m = l = acc = None
    for rows, cols in attention_tiles(L_q, L_k, block_size, causal):
        if cols.start == 0:  # a new block of queries: start its running state
            with np.errstate(over="ignore"):
                q_block = q[..., rows, :] * scale
            m = np.full(batch + (rows.stop - rows.start, 1), -np.inf, dtype=dtype)  # running max
            l = np.zeros_like(m)                                                     # running sum
            acc = np.zeros(batch + (rows.stop - rows.start, v.shape[-1]), dtype=dtype)
        with np.errstate(over="ignore", invalid="ignore"):
            s = q_block @ np.swapaxes(k[..., cols, :], -1, -2)  # (..., B_q, B_k) tile scores
        if check_overflow and not np.isfinite(s).all():
            raise ValueError("the scores q @ k.T * scale overflowed; rescale q or k")
        if causal and cols.stop - 1 > rows.start + offset:  # the tile crosses the diagonal
            i, j = np.arange(rows.start, rows.stop)[:, None], np.arange(cols.start, cols.stop)
            s = np.where(j <= i + offset, s, -np.inf)  # the causal mask, this tile's part only
        m_new = np.maximum(m, s.max(axis=-1, keepdims=True))
        reference = np.where(np.isneginf(m_new), 0.0, m_new)
        p = np.exp(s - reference)                # weights of the tile, relative to the new max
        rescale = np.exp(m - reference)          # what the old max's sums are worth now
        l = l * rescale + p.sum(axis=-1, keepdims=True)
        acc = acc * rescale + p @ v[..., cols, :]
        m = m_new
        if on_tile is not None:
            on_tile(rows, cols, m, l, acc, v_scale)
        if cols.stop == L_k or (causal and cols.stop > rows.stop - 1 + offset):  # block done
            output[..., rows, :] = acc / np.where(l > 0, l, 1.0) * v_scale
    return output.astype(out_dtype, copy=False)


def tiled_attention(q, k, v, *, block_size: int = 128, causal: bool = False,
                    scale: float | None = None) -> np.ndarray:
    r"""Scaled dot-product attention computed tile by tile, never holding the
    :math:`L_q \times L_k` scores: the idea of FlashAttention (Dao et al., 2022), in numpy.

    For each block of ``block_size`` queries it keeps, per query, a running maximum :math:`m`,
    a running sum :math:`\ell` and an unnormalised output :math:`\mathbf a`, and reads the keys
    and values one block :math:`B` at a time:

    .. math::

        m' = \max\big(m, \max_{j \in B} s_j\big), \quad
        \ell' = \ell\, e^{m - m'} + \sum_{j \in B} e^{s_j - m'}, \quad
        \mathbf a' = \mathbf a\, e^{m - m'} + \sum_{j \in B} e^{s_j - m'}\, \mathbf v_j ,

    with :math:`s_j = \mathbf q^\top \mathbf k_j \cdot \text{scale}`; the output is
    :math:`\mathbf a / \ell` after the last block. The extra memory is
    :math:`O(\text{block}^2 + \text{block} \cdot d_v)` per batch entry instead of
    :math:`O(L_q L_k)`.

    Parameters
    ----------
    q, k, v : array_like, shapes ``(..., L_q, d_k)``, ``(..., L_k, d_k)``, ``(..., L_k, d_v)``
    block_size : int, rows of queries and of keys per tile
    causal : bool, apply :func:`attnbook.causal_mask` and skip the tiles above the diagonal
    scale : float, optional; default ``1 / sqrt(d_k)``

    Returns
    -------
    ndarray, shape ``(..., L_q, d_v)``: equal to
    ``scaled_dot_product_attention(q, k, v, mask=causal_mask(L_q, L_k) if causal else None)[0]``
    to float precision.
    """
    q, k, v, scale = _check_qkv(q, k, v, scale)
    block_size = positive_int(block_size, "block_size")
    causal = boolean(causal, "causal")
    return _tiled(q, k, v, block_size, causal, scale)


@dataclass
class TiledAttentionStep:
    """The state of tiled attention after one tile (see :func:`tiled_attention_steps`).

    ``running_max``, ``running_sum`` have shape ``(L_q,)`` and ``partial_output`` shape
    ``(L_q, d_v)``; rows whose block has not started yet are NaN. ``partial_output`` is the
    normalised output so far, :math:`\\mathbf a / \\ell`: the attention over the keys seen yet.
    """

    index: int
    rows: slice
    cols: slice
    running_max: np.ndarray
    running_sum: np.ndarray
    partial_output: np.ndarray


def tiled_attention_steps(q, k, v, *, block_size: int, causal: bool = False,
                          scale: float | None = None) -> list[TiledAttentionStep]:
    """Run :func:`tiled_attention` on one unbatched ``(L_q, d_k)`` query matrix and record the
    running max, running sum and partial output after every tile, to watch the algorithm work.
    """
    q, k, v, scale = _check_qkv(q, k, v, scale)
    if q.ndim != 2 or k.ndim != 2 or v.ndim != 2:
        raise ValueError(f"tiled_attention_steps takes unbatched 2-D q, k, v, got q {q.shape}, "
                         f"k {k.shape}, v {v.shape}")
    block_size = positive_int(block_size, "block_size")
    causal = boolean(causal, "causal")
    if q.shape[0] == 0:
        return []
    m_all = np.full(q.shape[0], np.nan)
    l_all = np.full(q.shape[0], np.nan)
    out_all = np.full((q.shape[0], v.shape[1]), np.nan)
    steps = []

    def record(rows, cols, m, l, acc, v_scale):
        with np.errstate(invalid="ignore", divide="ignore"):  # l = 0: a row with no key yet
            out_all[rows] = acc / l * v_scale
        m_all[rows], l_all[rows] = m[:, 0], l[:, 0]
        steps.append(TiledAttentionStep(len(steps), rows, cols, m_all.copy(), l_all.copy(),
                                        out_all.copy()))

    _tiled(q, k, v, block_size, causal, scale, on_tile=record)
    return steps


# --- KV cache ------------------------------------------------------------------------------------

class KVCache:
    """The keys and values of the positions decoded so far, for autoregressive decoding.

    A decoder producing token :math:`t` needs the keys and values of tokens :math:`1..t`; those
    of tokens :math:`1..t-1` did not change since the previous step, so they are kept here and
    only the new token's are computed and appended (Pope et al., 2023, discuss the memory this
    costs). Storage grows by doubling, so appending one position costs :math:`O(1)` amortised.

    ``append(k, v)`` takes shapes ``(..., n, d_k)`` and ``(..., n, d_v)``; ``keys`` and
    ``values`` are views of shape ``(..., length, d_k)`` and ``(..., length, d_v)``.
    """

    def __init__(self) -> None:
        self._k = self._v = None
        self.length = 0

    def __len__(self) -> int:
        return self.length

    def append(self, k, v) -> None:
        k = as_float_array(k, "k", min_ndim=2)
        v = as_float_array(v, "v", min_ndim=2)
        if k.shape[-2] != v.shape[-2] or k.shape[:-2] != v.shape[:-2]:
            raise ValueError(f"k (..., n, d_k) and v (..., n, d_v) must agree: k {k.shape}, "
                             f"v {v.shape}")
        if self._k is not None and (k.shape[:-2] != self._k.shape[:-2]
                                    or k.shape[-1] != self._k.shape[-1]
                                    or v.shape[-1] != self._v.shape[-1]):
            raise ValueError(f"new keys {k.shape} / values {v.shape} do not fit the cache's "
                             f"{self.keys.shape} / {self.values.shape}")
        n = k.shape[-2]
        if self._k is None or self.length + n > self._k.shape[-2]:
            capacity = max(16, 2 * (self.length + n))
            self._k = self._grow(self._k, k, capacity)
            self._v = self._grow(self._v, v, capacity)
        self._k[..., self.length:self.length + n, :] = k
        self._v[..., self.length:self.length + n, :] = v
        self.length += n

    def _grow(self, old, new, capacity):
        buffer = np.empty(new.shape[:-2] + (capacity, new.shape[-1]), dtype=new.dtype)
        if old is not None:
            buffer[..., :self.length, :] = old[..., :self.length, :]
        return buffer

    @property
    def keys(self) -> np.ndarray:
        if self._k is None:
            raise ValueError("the cache is empty")
        return self._k[..., :self.length, :]

    @property
    def values(self) -> np.ndarray:
        if self._v is None:
            raise ValueError("the cache is empty")
        return self._v[..., :self.length, :]


class CachedSelfAttention:
    r"""Causal self-attention of a :class:`~attnbook.MultiHeadAttention` layer, one new token at a
    time, with a :class:`KVCache`.

    ``step(x_t)`` projects only the new token :math:`\mathbf x_t` (shape ``(..., d_model)``),
    appends its key and value to the cache, and lets its query attend to all cached keys:
    :math:`O(t\, d_\text{model})` work at step :math:`t` instead of recomputing the whole prefix.
    ``prefill(x)`` fills the cache with a prompt ``(..., n, d_model)`` at once.
    """

    def __init__(self, mha: MultiHeadAttention):
        if not isinstance(mha, MultiHeadAttention):
            raise TypeError(f"mha must be a MultiHeadAttention, got {type(mha).__name__}")
        self.mha = mha
        self.cache = KVCache()

    def _project(self, x):
        mha, h = self.mha, self.mha.num_heads
        return (split_heads(affine(x, mha.w_q, mha.b_q, "x @ w_q + b_q"), h),
                split_heads(affine(x, mha.w_k, mha.b_k, "x @ w_k + b_k"), h),
                split_heads(affine(x, mha.w_v, mha.b_v, "x @ w_v + b_v"), h))  # (..., h, n, d_head)

    def _check(self, x, name, min_ndim):
        x = as_float_array(x, name, min_ndim=min_ndim)
        if x.shape[-1] != self.mha.d_model:
            raise ValueError(f"{name} must end in d_model={self.mha.d_model}, got shape {x.shape}")
        return x

    def prefill(self, x) -> None:
        _, k, v = self._project(self._check(x, "x", 2))
        self.cache.append(k, v)

    def step(self, x_t) -> np.ndarray:
        x_t = self._check(x_t, "x_t", 1)[..., None, :]             # (..., 1, d_model)
        q, k, v = self._project(x_t)
        self.cache.append(k, v)
        out, _ = scaled_dot_product_attention(q, self.cache.keys, self.cache.values,
                                              need_weights=False)  # (..., h, 1, d_head)
        return affine(merge_heads(out), self.mha.w_o, self.mha.b_o, "heads @ w_o + b_o")[..., 0, :]


def decode_self_attention(mha: MultiHeadAttention, x, *, use_cache: bool = True) -> np.ndarray:
    """Causal self-attention over ``x`` (shape ``(..., L, d_model)``) computed one position at a
    time, as a decoder generating text does.

    With ``use_cache`` each step is :meth:`CachedSelfAttention.step`; without, step ``t``
    recomputes the attention of the whole prefix ``x[..., :t+1, :]`` and keeps its last row —
    :math:`O(t^2)` work per step instead of :math:`O(t)`. Both equal
    ``mha(x, x, x, mask=causal_mask(L))[0]`` to float precision.
    """
    if not isinstance(mha, MultiHeadAttention):
        raise TypeError(f"mha must be a MultiHeadAttention, got {type(mha).__name__}")
    use_cache = boolean(use_cache, "use_cache")
    x = as_float_array(x, "x", min_ndim=2)
    if x.shape[-1] != mha.d_model:
        raise ValueError(f"x must end in d_model={mha.d_model}, got shape {x.shape}")
    outputs = []
    decoder = CachedSelfAttention(mha)
    for t in range(x.shape[-2]):
        if use_cache:
            outputs.append(decoder.step(x[..., t, :]))
        else:
            prefix = x[..., :t + 1, :]
            out, _ = mha(prefix, prefix, prefix, mask=causal_mask(t + 1), need_weights=False)
            outputs.append(out[..., -1, :])
    return np.stack(outputs, axis=-2)


# --- cheaper approximations ----------------------------------------------------------------------

def sliding_window_mask(length: int, window: int) -> np.ndarray:
    """Causal sliding-window mask (as in Longformer's local attention, Beltagy et al., 2020):
    query ``i`` may attend to the ``window`` most recent keys, ``i - window < j <= i``.

    Returns a bool array of shape ``(L, L)``; ``window >= L`` gives :func:`causal_mask`.
    """
    length = positive_int(length, "length")
    window = positive_int(window, "window")
    i = np.arange(length)[:, None]
    j = np.arange(length)[None, :]
    return (j <= i) & (j > i - window)


def _elu_plus_one(x):
    return np.where(x > 0, x + 1.0, np.exp(np.minimum(x, 0.0)))


def linear_attention(q, k, v, *, causal: bool = False, need_weights: bool = False):
    r"""Linear attention (Katharopoulos et al., 2020): the softmax kernel
    :math:`e^{\mathbf q^\top \mathbf k}` replaced by :math:`\phi(\mathbf q)^\top \phi(\mathbf k)`
    with the feature map :math:`\phi(x) = \operatorname{elu}(x) + 1 > 0`, so that

    .. math::

        \mathbf o_i = \frac{\phi(\mathbf q_i)^\top \sum_j \phi(\mathbf k_j) \mathbf v_j^\top}
                           {\phi(\mathbf q_i)^\top \sum_j \phi(\mathbf k_j)}

    costs :math:`O(L\, d_k d_v)` instead of :math:`O(L^2 d)`: the sums over :math:`j` are
    computed once (``causal``: as running sums over :math:`j \le i`).

    Parameters
    ----------
    q, k, v : array_like, shapes ``(..., L_q, d_k)``, ``(..., L_k, d_k)``, ``(..., L_k, d_v)``
        (``causal`` needs ``L_q == L_k``)
    need_weights : also return the implied weights
        :math:`\alpha_{ij} = \phi(\mathbf q_i)^\top\phi(\mathbf k_j) / \sum_{j'}
        \phi(\mathbf q_i)^\top\phi(\mathbf k_{j'})`, shape ``(..., L_q, L_k)`` (built with the
        quadratic cost, for looking at them)

    Returns
    -------
    (output ``(..., L_q, d_v)``, weights or ``None``)

    float16 is computed in float32. A ``ValueError`` says so when the sums overflow, or when
    :math:`\phi(\mathbf k) = e^{\mathbf k}` underflows to 0 for every key a query sees (keys
    below about -745 in float64), which would leave 0 / 0.
    """
    causal = boolean(causal, "causal")
    need_weights = boolean(need_weights, "need_weights")
    q, k, v, _ = _check_qkv(q, k, v, None)
    if causal and q.shape[-2] != k.shape[-2]:
        raise ValueError(f"causal linear attention needs L_q == L_k, got q {q.shape}, k {k.shape}")
    batch = np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    out_dtype = np.result_type(q, k, v)
    if math.prod(batch) * q.shape[-2] == 0:
        return (np.empty(batch + (q.shape[-2], v.shape[-1]), dtype=out_dtype),
                np.empty(batch + (q.shape[-2], k.shape[-2]), dtype=out_dtype)
                if need_weights else None)
    dtype = compute_dtype(out_dtype)
    q, k, v = (x.astype(dtype, copy=False) for x in (q, k, v))
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        output, weights, numerator, denominator = _linear(q, k, v, causal, need_weights)
    if not (np.isfinite(numerator).all() and np.isfinite(denominator).all()):
        raise ValueError(f"linear attention overflowed in {dtype}: the sums over keys of "
                         "phi(k) v^T and phi(q)^T phi(k) are too large; rescale q, k or v")
    if not (denominator > 0).all():
        raise ValueError("linear attention: phi(k) = exp(k) underflowed to 0 for every key a "
                         "query sees (keys too negative), so the normaliser phi(q)^T sum phi(k) "
                         "is 0; rescale the keys")
    return output.astype(out_dtype, copy=False), (
        None if weights is None else weights.astype(out_dtype, copy=False))


def _linear(q, k, v, causal, need_weights):
    phi_q, phi_k = _elu_plus_one(q), _elu_plus_one(k)
    if causal:  # running sums over the keys j <= i
        kv = np.cumsum(phi_k[..., :, :, None] * v[..., :, None, :], axis=-3)  # (..., L, d_k, d_v)
        z = np.cumsum(phi_k, axis=-2)                                         # (..., L, d_k)
        numerator = np.einsum("...ik,...ikv->...iv", phi_q, kv)
        denominator = np.einsum("...ik,...ik->...i", phi_q, z)[..., None]
    else:
        numerator = phi_q @ (np.swapaxes(phi_k, -1, -2) @ v)
        denominator = phi_q @ phi_k.sum(axis=-2)[..., :, None]
    output = numerator / denominator
    weights = None
    if need_weights:
        kernel = phi_q @ np.swapaxes(phi_k, -1, -2)
        if causal:
            kernel = np.where(causal_mask(q.shape[-2]), kernel, 0.0)
        weights = kernel / kernel.sum(axis=-1, keepdims=True)
    return output, weights, numerator, denominator


# --- measuring memory ----------------------------------------------------------------------------

def peak_memory(function: Callable, *args, **kwargs) -> tuple[int, object]:
    """Peak bytes newly allocated while ``function(*args, **kwargs)`` runs, and its result.

    Uses :mod:`tracemalloc`, to which numpy reports its array buffers: what is counted is the
    memory the call needs on top of its inputs (its output included). Tracing slows the call
    down; time it separately.
    """
    if not callable(function):
        raise TypeError(f"function must be callable, got {type(function).__name__}")
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    tracemalloc.reset_peak()
    before, _ = tracemalloc.get_traced_memory()
    try:
        result = function(*args, **kwargs)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        if not was_tracing:
            tracemalloc.stop()
    return peak - before, result


def power_law_exponent(x, y) -> float:
    r"""The exponent :math:`p` of a power law :math:`y \approx c\, x^p` fitted to measurements:
    the slope of the least-squares line through :math:`(\log x, \log y)` — the slope one reads
    off a log–log plot. ``x`` and ``y`` are 1-D, of the same length >= 2, positive."""
    x = as_float_array(x, "x", min_ndim=1)
    y = as_float_array(y, "y", min_ndim=1)
    if x.ndim != 1 or x.shape != y.shape or x.size < 2:
        raise ValueError(f"x and y must be 1-D of the same length >= 2, got {x.shape}, {y.shape}")
    if (x <= 0).any() or (y <= 0).any():
        raise ValueError("a power law is fitted to positive x and y only")
    if np.unique(x).size < 2:
        raise ValueError(f"x needs at least two different values to fit a slope, got {x.tolist()}")
    slope, _ = np.polyfit(np.log(x), np.log(y), 1)
    return float(slope)


def benchmark_results() -> dict:
    """The measurements of the last ``make bench`` run stored with attnbook
    (``attnbook/data/attention_benchmark.json``, written by ``benchmarks/bench_attention.py``):
    times, peak memory, causal tiling and KV-cache timings, and a description of the machine."""
    path = resources.files("attnbook").joinpath("data", "attention_benchmark.json")
    return json.loads(path.read_text())
