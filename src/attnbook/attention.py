"""Attention, from the softmax to multi-head attention, in plain numpy.

Conventions (the book's notation page explains them):

* rows are tokens: queries ``q`` have shape ``(..., L_q, d_k)``, keys ``k`` ``(..., L_k, d_k)``,
  values ``v`` ``(..., L_k, d_v)``, and a linear map is ``x @ W + b`` with ``W`` of shape
  ``(d_in, d_out)``;
* a boolean ``mask`` broadcastable to ``(..., L_q, L_k)`` is ``True`` where a query may attend to
  a key — the convention of the boolean ``attn_mask`` of PyTorch's
  ``torch.nn.functional.scaled_dot_product_attention``; ``torch.nn.MultiheadAttention``'s
  ``key_padding_mask`` and boolean ``attn_mask`` use the opposite (``True`` = blocked), so pass
  ``~mask`` there;
* a query whose keys are *all* masked gets all-zero weights and therefore a zero output, not NaN
  (as PyTorch's ``scaled_dot_product_attention`` does since version 2.5 — earlier versions gave
  NaN — while code that masks with a large negative number gets a uniform row; zeros keep padded
  batches finite and make the masked positions easy to spot in a heatmap).
"""

from __future__ import annotations

import math

import numpy as np

from ._blas import on_every_core
from ._checks import (
    as_float_array,
    bool_mask,
    boolean,
    compute_dtype,
    float_dtype,
    nonnegative_int,
    positive_float,
    positive_int,
    seed_value,
)

__all__ = [
    "softmax",
    "scaled_dot_product_attention",
    "entropy",
    "causal_mask",
    "padding_mask",
    "split_heads",
    "merge_heads",
    "MultiHeadAttention",
    "multi_head_attention_steps",
]


def _check_axis(axis, ndim: int, name: str = "axis") -> int:
    if isinstance(axis, bool) or not isinstance(axis, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(axis).__name__}")
    if not -ndim <= axis < ndim:
        raise ValueError(f"{name}={axis} is out of range for an array with {ndim} dimensions")
    return int(axis) % ndim


def _softmax(z: np.ndarray, axis: int) -> np.ndarray:
    """Stable softmax of checked scores; ``-inf`` entries get weight 0, all-``-inf`` rows zeros."""
    m = np.max(z, axis=axis, keepdims=True)
    m = np.where(np.isneginf(m), 0.0, m).astype(z.dtype, copy=False)
    with np.errstate(over="ignore"):  # z - m below the dtype's range is -inf: weight 0, exactly
        e = np.exp(z - m)
    total = np.sum(e, axis=axis, keepdims=True)
    return np.divide(e, total, out=np.zeros_like(e), where=total > 0)


def softmax(x, axis: int = -1, temperature: float = 1.0) -> np.ndarray:
    r"""Softmax along ``axis``, with a temperature, computed stably.

    .. math::

        \operatorname{softmax}(x / \tau)_j = \frac{\exp((x_j - m) / \tau)}
        {\sum_i \exp((x_i - m) / \tau)}, \qquad m = \max_i x_i

    Subtracting the maximum ``m`` changes nothing mathematically (softmax is invariant to adding
    a constant to every entry) but keeps ``exp`` from overflowing at large logits.
    A temperature ``τ < 1`` sharpens the distribution towards the arg-max, ``τ > 1`` flattens it
    towards uniform. The temperature divides :math:`x - m` (all entries :math:`\le 0`), computed
    in float64, so no temperature overflows or underflows the result: as :math:`\tau \to 0`
    the weights go to the arg-max (shared equally by tied maxima). float16 is computed in
    float32 (a float16 sum overflows at 65504) and returned as float16.

    Parameters
    ----------
    x : array_like, shape ``(...)`` with at least one dimension
        Real scores (logits). ``-inf`` is allowed and means "weight exactly 0"; a slice that is
        entirely ``-inf`` gets all-zero weights. NaN and ``+inf`` raise ``ValueError``.
    axis : int
        The axis the weights sum to 1 along (default: the last).
    temperature : float
        ``τ > 0``.

    Returns
    -------
    ndarray, same shape as ``x``; float32 input stays float32, integers become float64.
    """
    x = as_float_array(x, "x", min_ndim=1, allow_neg_inf=True)
    axis = _check_axis(axis, x.ndim)
    if x.shape[axis] == 0:
        raise ValueError(f"softmax over an empty axis {axis} of x with shape {x.shape}")
    tau = positive_float(temperature, "temperature")
    work = compute_dtype(x.dtype)
    if tau == 1.0:
        return _softmax(x.astype(work, copy=False), axis).astype(x.dtype, copy=False)
    m = np.max(x, axis=axis, keepdims=True)
    m = np.where(np.isneginf(m), 0.0, m)
    with np.errstate(over="ignore"):  # entries far below the maximum become -inf: weight 0
        z = ((x.astype(np.float64) - m) / tau).astype(work)
    return _softmax(z, axis).astype(x.dtype, copy=False)


def scaled_dot_product_attention(q, k, v, mask=None, scale: float | None = None,
                                 need_weights: bool = True):
    r"""Scaled dot-product attention (Vaswani et al., 2017).

    .. math::

        \operatorname{Attention}(Q, K, V) = \operatorname{softmax}\!\Big(\frac{Q K^\top}{\sqrt{d_k}}\Big) V

    Parameters
    ----------
    q : array_like, shape ``(..., L_q, d_k)``
    k : array_like, shape ``(..., L_k, d_k)``
    v : array_like, shape ``(..., L_k, d_v)``
        The leading ``...`` (batch, heads) dimensions must broadcast against each other.
    mask : bool array_like, broadcastable to ``(..., L_q, L_k)``, optional
        ``True`` where query ``i`` may attend to key ``j``. Masked keys get weight exactly 0;
        a query with no key left gets all-zero weights and a zero output.
    scale : float, optional
        Multiplies the scores; default ``1 / sqrt(d_k)``.
    need_weights : bool
        Return the weights (default). With ``False`` the function returns ``(output, None)``
        and never holds the whole ``(..., L_q, L_k)`` matrix, only a block of query rows per
        thread at a time: faster, and far less memory at large ``L`` (as PyTorch's
        ``need_weights=False`` in multi-head attention). Both give the same output up to
        rounding, for every input.

    Returns
    -------
    output : ndarray, shape ``(..., L_q, d_v)``
        Each row is the weighted sum of the value rows, :math:`\sum_j \alpha_{ij} v_j`.
    weights : ndarray, shape ``(..., L_q, L_k)``, or ``None`` if ``need_weights=False``
        The attention weights :math:`\alpha`; each row sums to 1 (or is all zero, see ``mask``).

    Notes
    -----
    The work is cut into tiles, one (batch/head index, block of query rows) each, and the tiles
    of a large input run on a small thread pool; chapter 10 explains how and why. Every tile
    is the formula above, computed in place by :func:`_attention_tile`. float16 inputs are
    computed in float32 and the results returned as float16. An empty batch or ``L_q = 0``
    gives empty results; ``L_k = 0`` or ``d_k = 0`` is an error (no key to attend to).
    """
    need_weights = boolean(need_weights, "need_weights")
    q = as_float_array(q, "q", min_ndim=2)
    k = as_float_array(k, "k", min_ndim=2)
    v = as_float_array(v, "v", min_ndim=2)
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(
            f"queries and keys must have the same size d_k for dot-product scores: "
            f"q has shape {q.shape} (d_k={q.shape[-1]}), k has shape {k.shape} (d_k={k.shape[-1]})"
        )
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(
            f"keys and values must come in pairs (same L_k): k has shape {k.shape}, "
            f"v has shape {v.shape}"
        )
    if q.shape[-1] == 0 or k.shape[-2] == 0:
        raise ValueError(f"empty queries or keys: q shape {q.shape}, k shape {k.shape}")
    try:
        batch = np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    except ValueError:
        raise ValueError(
            f"the leading (batch/head) dimensions of q {q.shape}, k {k.shape} and v {v.shape} "
            "do not broadcast"
        ) from None
    d_k = q.shape[-1]
    scale = 1.0 / math.sqrt(d_k) if scale is None else positive_float(scale, "scale")
    if mask is not None:
        mask = bool_mask(mask, "mask", batch + (q.shape[-2], k.shape[-2]))

    L_q, L_k, d_v = q.shape[-2], k.shape[-2], v.shape[-1]
    out_dtype, w_dtype = np.result_type(q, k, v), np.result_type(q, k)
    if math.prod(batch) * L_q == 0:  # nothing to compute
        return (np.empty(batch + (L_q, d_v), dtype=out_dtype),
                np.empty(batch + (L_q, L_k), dtype=w_dtype) if need_weights else None)
    work = compute_dtype(out_dtype)
    q, k, v = (x.astype(np.result_type(x, work), copy=False) for x in (q, k, v))
    output = np.empty(batch + (L_q, d_v), dtype=np.result_type(q, k, v))
    weights = np.empty(batch + (L_q, L_k), dtype=np.result_type(q, k)) if need_weights else None
    check_overflow = _scores_may_overflow(q, k, scale)
    # Dividing the (B, d_v) output by the row sums is cheaper than dividing the (B, L_k)
    # weights, but the unnormalised sum over L_k keys can overflow where the normalised one
    # (at most max|v|) does not: then normalise first, as with need_weights.
    normalise_first = need_weights or _sum_may_overflow(v, L_k)
    tile = dict(scale=scale, check_overflow=check_overflow, normalise_first=normalise_first)
    if math.prod(batch) * L_q * L_k < _TILED_SCORES:  # small: one tile holding all heads
        _attention_tile(q, k, v, mask, output, weights, **tile)
        return _as(output, out_dtype), _as(weights, w_dtype)
    q, k, v = (np.broadcast_to(x, batch + x.shape[-2:]) for x in (q, k, v))  # views, no copies
    if mask is not None:
        mask = np.broadcast_to(mask, batch + (L_q, L_k))
    tiles = [
        (q[i][rows], k[i], v[i], None if mask is None else mask[i][rows],
         output[i][rows], None if weights is None else weights[i][rows])
        for i, rows in _tiles(batch, L_q, L_k)
    ]
    on_every_core(lambda t: _attention_tile(*t, **tile), tiles)
    return _as(output, out_dtype), _as(weights, w_dtype)


def _as(x, dtype):
    return None if x is None else x.astype(dtype, copy=False)


def _sum_may_overflow(v, length: int) -> bool:
    """Whether ``sum_j e_j v_j`` with ``0 <= e_j <= 1`` over ``length`` keys could overflow."""
    if v.size == 0:
        return False
    largest = max(float(v.max()), -float(v.min()))
    return not length * largest < 0.25 * float(np.finfo(v.dtype).max)


# --- how scaled_dot_product_attention computes: tiles, in place, on a thread pool -----------

_TILED_SCORES = 2**20    # below ~1 M scores, one tile: a thread pool would cost more than it saves
_TILE_ELEMENTS = 2**19   # a tile of scores holds ~0.5 M entries (2 MB in float32)


def _tiles(batch, L_q, L_k):
    """Yield ``(index, rows)`` per tile: a batch/head index and a block of query rows."""
    rows_per_tile = max(1, min(L_q, _TILE_ELEMENTS // L_k))
    for index in np.ndindex(*batch):
        for start in range(0, L_q, rows_per_tile):
            yield index, slice(start, start + rows_per_tile)


def _attention_tile(q, k, v, mask, output, weights, *, scale, check_overflow,
                    normalise_first=True):
    """``output = softmax(q k^T * scale) v`` for one tile, computed in place.

    ``q`` is a block of query rows ``(..., B, d_k)``; ``k``, ``v`` are all the keys and values;
    ``output`` (and ``weights``, unless it is ``None``) are where the results go.
    Two things make it fast: no ``(B, L_k)`` temporary is created after the scores (``-=``,
    ``exp(out=)``), and the softmax's division is applied to the ``(B, d_v)`` output instead
    of the ``(B, L_k)`` weights — unless the caller asked for the weights or that unnormalised
    product could overflow (``normalise_first``).
    """
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is an error just below
        scores = np.matmul(q * scale, k.swapaxes(-1, -2), out=weights)  # (B, L_k)
    if check_overflow and not np.isfinite(scores).all():
        raise ValueError("the scores q @ k.T * scale overflowed; rescale q or k")
    if mask is not None:
        np.copyto(scores, -np.inf, where=~mask)
    row_max = scores.max(axis=-1, keepdims=True)
    row_max[np.isneginf(row_max)] = 0.0  # a fully masked row: exp(-inf - 0) = 0 everywhere
    scores -= row_max
    e = np.exp(scores, out=scores)       # unnormalised weights, in the scores' memory
    total = e.sum(axis=-1, keepdims=True)
    total[total == 0] = 1.0              # fully masked rows stay all zero
    if normalise_first:
        e /= total
        np.matmul(e, v, out=output)
    else:
        np.matmul(e, v, out=output)
        output /= total


def _scores_may_overflow(q, k, scale) -> bool:
    """Whether a score could overflow. ``|q_i . k_j| <= d_k max|q| max|k|`` bounds every score
    from two cheap reductions, so the ``L_q x L_k`` check only runs for enormous inputs."""
    largest = [max(float(x.max()), -float(x.min())) for x in (q, k)]
    bound = scale * q.shape[-1] * largest[0] * largest[1]  # Python floats: inf, never a warning
    return not bound < 0.25 * float(np.finfo(np.result_type(q, k)).max)


def entropy(weights, axis: int = -1) -> np.ndarray:
    r"""Entropy of attention weights in nats, :math:`H(\alpha) = -\sum_j \alpha_j \log \alpha_j`.

    ``0 log 0`` counts as 0, so a one-hot row has entropy 0 and a uniform row over ``L`` keys
    has entropy ``log L`` (the maximum). An all-zero row (a fully masked query) has entropy 0.

    Parameters
    ----------
    weights : array_like, shape ``(..., L_k)``, entries in ``[0, 1]``
    axis : int, the axis the weights sum to 1 along.

    Returns
    -------
    ndarray of shape ``weights.shape`` without ``axis``.
    """
    p = as_float_array(weights, "weights", min_ndim=1)
    axis = _check_axis(axis, p.ndim)
    if (p < 0).any() or (p > 1 + 1e-6).any():
        raise ValueError(
            f"weights must lie in [0, 1], got values from {p.min()} to {p.max()} (shape {p.shape})"
        )
    logp = np.log(p, out=np.zeros_like(p), where=p > 0)
    return -np.sum(p * logp, axis=axis)


def causal_mask(length_q: int, length_k: int | None = None) -> np.ndarray:
    """Boolean look-ahead mask of shape ``(L_q, L_k)``: query ``i`` may attend to keys ``j <= i``.

    When ``L_k > L_q`` the queries are taken to be the *last* ``L_q`` positions of the sequence
    (as when decoding with a cache), so ``mask[i, j] = j <= i + (L_k - L_q)``.
    """
    length_q = positive_int(length_q, "length_q")
    length_k = length_q if length_k is None else positive_int(length_k, "length_k")
    if length_k < length_q:
        raise ValueError(f"length_k={length_k} must be >= length_q={length_q}")
    i = np.arange(length_q)[:, None]
    j = np.arange(length_k)[None, :]
    return j <= i + (length_k - length_q)


def padding_mask(lengths, max_length: int | None = None) -> np.ndarray:
    """Key padding mask for a batch of sequences of different lengths.

    Parameters
    ----------
    lengths : 1-D array_like of ints, shape ``(B,)``; the real length of each sequence.
    max_length : int, optional; the padded length ``L_k`` (default ``max(lengths)``).

    Returns
    -------
    bool ndarray, shape ``(B, 1, L_k)``: ``True`` where key ``j < lengths[b]`` is a real token.
    The middle axis broadcasts over queries, so the mask can be passed to
    :func:`scaled_dot_product_attention` as it is.
    """
    lengths = np.asarray(lengths)
    if lengths.ndim != 1 or not np.issubdtype(lengths.dtype, np.integer):
        raise TypeError(
            f"lengths must be a 1-D array of ints, got dtype {lengths.dtype} shape {lengths.shape}"
        )
    if (lengths < 0).any():
        raise ValueError(f"lengths must be >= 0, got {lengths.tolist()}")
    if max_length is None:
        max_length = int(lengths.max()) if lengths.size else 0
    else:
        max_length = nonnegative_int(max_length, "max_length")
    if lengths.size and lengths.max() > max_length:
        raise ValueError(f"a length {int(lengths.max())} exceeds max_length={max_length}")
    return (np.arange(max_length)[None, :] < lengths[:, None])[:, None, :]


def split_heads(x, num_heads: int) -> np.ndarray:
    """Reshape ``(..., L, d_model)`` into ``(..., num_heads, L, d_model // num_heads)``."""
    x = np.asarray(x)
    num_heads = positive_int(num_heads, "num_heads")
    if x.ndim < 2:
        raise ValueError(f"split_heads needs x of shape (..., L, d_model), got shape {x.shape}")
    *lead, length, d_model = x.shape
    if d_model % num_heads:
        raise ValueError(f"d_model={d_model} is not divisible by num_heads={num_heads}")
    x = x.reshape(*lead, length, num_heads, d_model // num_heads)
    return np.swapaxes(x, -2, -3)


def merge_heads(x) -> np.ndarray:
    """Inverse of :func:`split_heads`: ``(..., h, L, d_head)`` into ``(..., L, h * d_head)``."""
    x = np.asarray(x)
    if x.ndim < 3:
        raise ValueError(f"expected (..., heads, L, d_head), got shape {x.shape}")
    x = np.swapaxes(x, -2, -3)
    return x.reshape(*x.shape[:-2], x.shape[-2] * x.shape[-1])


class MultiHeadAttention:
    r"""Multi-head attention (Vaswani et al., 2017), with explicit parameters.

    .. math::

        \operatorname{MultiHead}(X_q, X_k, X_v) = \operatorname{Concat}(\text{head}_1, \dots,
        \text{head}_h)\, W_O + b_O, \qquad
        \text{head}_i = \operatorname{Attention}(Q_i, K_i, V_i)

    where :math:`Q = X_q W_Q + b_Q` (likewise :math:`K`, :math:`V`) and :math:`Q_i` is the
    :math:`i`-th block of :math:`d_{head} = d_{model}/h` columns of :math:`Q`.

    Parameters are plain attributes, ``w_q, w_k, w_v, w_o`` of shape ``(d_model, d_model)`` and
    ``b_q, b_k, b_v, b_o`` of shape ``(d_model,)``, applied as ``x @ W + b``. (PyTorch's
    ``nn.MultiheadAttention`` stores ``in_proj_weight`` as ``[W_Q^T; W_K^T; W_V^T]`` and
    ``out_proj.weight`` as ``W_O^T``; load such weights with :meth:`from_params`.)

    Parameters
    ----------
    d_model : int, divisible by ``num_heads``
    num_heads : int
    seed : int, seeds the Xavier-uniform initialisation of the weights (biases start at 0)
    dtype : numpy float dtype of the parameters (default float64)
    """

    def __init__(self, d_model: int, num_heads: int, *, seed: int = 0, dtype=np.float64):
        self.d_model = positive_int(d_model, "d_model")
        self.num_heads = positive_int(num_heads, "num_heads")
        if d_model % num_heads:
            raise ValueError(f"d_model={d_model} is not divisible by num_heads={num_heads}")
        dtype = float_dtype(dtype, "dtype")
        rng = np.random.default_rng(seed_value(seed, "seed"))
        limit = math.sqrt(6.0 / (2 * d_model))
        for name in ("w_q", "w_k", "w_v", "w_o"):
            setattr(self, name, rng.uniform(-limit, limit, (d_model, d_model)).astype(dtype))
        for name in ("b_q", "b_k", "b_v", "b_o"):
            setattr(self, name, np.zeros(d_model, dtype=dtype))

    @property
    def d_head(self) -> int:
        return self.d_model // self.num_heads

    @classmethod
    def from_params(cls, num_heads: int, w_q, w_k, w_v, w_o, b_q=None, b_k=None, b_v=None, b_o=None):
        """Build a layer from given ``(d_model, d_model)`` weights (``x @ W`` convention)."""
        w_q = as_float_array(w_q, "w_q", min_ndim=2)
        d_model = w_q.shape[0]
        mha = cls(d_model, num_heads, dtype=w_q.dtype)
        for name, value in zip(("w_q", "w_k", "w_v", "w_o", "b_q", "b_k", "b_v", "b_o"),
                               (w_q, w_k, w_v, w_o, b_q, b_k, b_v, b_o)):
            if value is None:
                continue
            value = as_float_array(value, name)
            expected = getattr(mha, name).shape
            if value.shape != expected:
                raise ValueError(f"{name} must have shape {expected}, got {value.shape}")
            setattr(mha, name, value)
        return mha

    def parameters(self) -> dict[str, np.ndarray]:
        """The eight parameter arrays by name."""
        return {n: getattr(self, n) for n in ("w_q", "w_k", "w_v", "w_o", "b_q", "b_k", "b_v", "b_o")}

    def __call__(self, query, key, value, mask=None, need_weights: bool = True):
        """Attend from ``query`` to ``key``/``value``.

        Parameters
        ----------
        query : array_like, shape ``(..., L_q, d_model)``
        key, value : array_like, shape ``(..., L_k, d_model)``
        mask : bool array_like broadcastable to ``(..., L_q, L_k)``, optional; ``True`` = may
            attend. The same mask applies to every head (per-head masks are not supported).
        need_weights : bool; with ``False``, ``weights`` is ``None`` and the attention takes its
            faster path (see :func:`scaled_dot_product_attention`).

        Returns
        -------
        output : ndarray, shape ``(..., L_q, d_model)``
        weights : ndarray, shape ``(..., num_heads, L_q, L_k)``, or ``None``
        """
        arrays = {}
        for name, x in (("query", query), ("key", key), ("value", value)):
            x = as_float_array(x, name, min_ndim=2)
            if x.shape[-1] != self.d_model:
                raise ValueError(f"{name} must end in d_model={self.d_model}, got shape {x.shape}")
            arrays[name] = x
        if arrays["key"].shape[-2] != arrays["value"].shape[-2]:
            raise ValueError(
                f"key {arrays['key'].shape} and value {arrays['value'].shape} must have the same L_k"
            )
        need_weights = boolean(need_weights, "need_weights")
        mask = check_mha_mask(mask, arrays["query"].shape, arrays["key"].shape,
                              arrays["value"].shape)
        output, weights, _ = multi_head_attention_steps(
            self.parameters(), arrays["query"], arrays["key"], arrays["value"], self.num_heads,
            mask=mask, need_weights=need_weights)
        return output, weights

    def __repr__(self) -> str:
        return f"MultiHeadAttention(d_model={self.d_model}, num_heads={self.num_heads})"


def check_mha_mask(mask, query_shape, key_shape, value_shape=None):
    """Check a multi-head attention mask against the shapes the caller passed: ``mask`` must be
    boolean and broadcast to ``(..., L_q, L_k)`` (the leading dimensions of query and key);
    the same mask serves every head. Returns the mask as an array (or ``None``)."""
    shapes = [("query", query_shape), ("key", key_shape)]
    if value_shape is not None:
        shapes.append(("value", value_shape))
    try:
        lead = np.broadcast_shapes(*(s[:-2] for _, s in shapes))
    except ValueError:
        raise ValueError("the leading (batch) dimensions of "
                         + ", ".join(f"{n} {s}" for n, s in shapes) + " do not broadcast") from None
    if mask is None:
        return None
    arr = np.asarray(mask)
    if arr.dtype != bool:
        raise TypeError(f"mask must be a boolean array (True = may attend), got dtype {arr.dtype}; "
                        "convert 0/1 masks with mask.astype(bool)")
    target = tuple(lead) + (query_shape[-2], key_shape[-2])
    try:
        fits = np.broadcast_shapes(arr.shape, target) == target
    except ValueError:
        fits = False
    if not fits:
        hint = ("; per-head masks (..., num_heads, L_q, L_k) are not supported: one mask "
                "applies to every head" if arr.ndim > len(target) or arr.ndim >= 3 else "")
        raise ValueError(f"mask of shape {arr.shape} must broadcast to (..., L_q, L_k) = "
                         f"{target} for query {tuple(query_shape)} and key {tuple(key_shape)}"
                         f"{hint}")
    return arr


def multi_head_attention_steps(params: dict, query, key, value, num_heads: int, mask=None,
                               need_weights: bool = True):
    """The computation of :class:`MultiHeadAttention`, returning its intermediate arrays too.

    ``params`` holds ``w_q, w_k, w_v, w_o`` ``(d_model, d_model)`` and ``b_q, b_k, b_v, b_o``
    ``(d_model,)``; the inputs are checked by the caller (:class:`MultiHeadAttention` does).
    Training code (:mod:`attnbook.nn`) keeps the intermediates for its backward pass.

    Returns
    -------
    output ``(..., L_q, d_model)``, weights ``(..., h, L_q, L_k)`` (or ``None``), and
    ``(q, k, v, heads)``: the projected, split queries/keys/values ``(..., h, L, d_head)`` and the
    merged head outputs ``(..., L_q, d_model)`` before ``W_O``.
    """
    q = split_heads(affine(query, params["w_q"], params["b_q"], "query @ w_q + b_q"), num_heads)
    k = split_heads(affine(key, params["w_k"], params["b_k"], "key @ w_k + b_k"), num_heads)
    v = split_heads(affine(value, params["w_v"], params["b_v"], "value @ w_v + b_v"), num_heads)
    if mask is not None:
        mask = np.asarray(mask)
        if mask.ndim >= 2:  # one mask for every head: insert the head axis
            mask = np.expand_dims(mask, -3)
    out, weights = scaled_dot_product_attention(q, k, v, mask=mask, need_weights=need_weights)
    heads = merge_heads(out)
    return affine(heads, params["w_o"], params["b_o"], "heads @ w_o + b_o"), weights, (q, k, v, heads)


def affine(x, w, b, what: str) -> np.ndarray:
    """``x @ w + b``, raising a ValueError naming ``what`` if it overflows (instead of inf)."""
    with np.errstate(over="ignore", invalid="ignore"):
        y = x @ w + b
    if not np.isfinite(y).all():
        raise ValueError(f"{what} overflowed (shape {y.shape}, dtype {y.dtype}); rescale the "
                         "inputs or the weights")
    return y
