r"""Score (alignment) functions :math:`a(\mathbf q, \mathbf k)`: how well a key matches a query.

Every function takes queries ``q`` of shape ``(..., L_q, d_q)`` and keys ``k`` of shape
``(..., L_k, d_k)`` (rows are tokens, as everywhere in attnbook) and returns the scores
``s`` of shape ``(..., L_q, L_k)`` with ``s[..., i, j] = a(q_i, k_j)``. The leading ``...``
(batch, heads) dimensions broadcast against each other. Learned matrices are applied as
``x @ W`` with ``W`` of shape ``(d_in, d_out)`` (the notation page explains the convention).

* ``dot``: :math:`\mathbf q^\top \mathbf k`; no parameters; needs ``d_q == d_k``.
* ``scaled_dot``: :math:`\mathbf q^\top \mathbf k / \sqrt{d_k}`; no parameters; needs ``d_q == d_k``.
* ``general`` (Luong's bilinear score): :math:`\mathbf q^\top W \mathbf k`; ``W`` of shape
  ``(d_q, d_k)``, so the sizes may differ.
* ``additive`` (Bahdanau; Luong's *concat*):
  :math:`\mathbf v^\top \tanh(W_q^\top \mathbf q + W_k^\top \mathbf k)`; ``W_q (d_q, d_a)``,
  ``W_k (d_k, d_a)``, ``v (d_a,)``, so the sizes may differ.
* ``cosine``: :math:`\mathbf q^\top \mathbf k / (\lVert\mathbf q\rVert\,\lVert\mathbf k\rVert)`;
  no parameters; needs ``d_q == d_k``.

:func:`score` selects one by name (``score("additive", q, k, **params)``),
:func:`init_score_params` makes random parameters of the right shapes, and :func:`score_cost`
counts the parameters and floating-point operations of each.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, NamedTuple

import numpy as np

from ._checks import (
    as_float_array,
    boolean,
    compute_dtype,
    positive_float,
    positive_int,
    seed_value,
)

__all__ = [
    "dot_score",
    "scaled_dot_score",
    "general_score",
    "additive_score",
    "cosine_score",
    "ScoreFunction",
    "SCORE_FUNCTIONS",
    "score",
    "init_score_params",
    "ScoreCost",
    "score_cost",
    "dot_product_variance",
]


# --- input checks ------------------------------------------------------------------------------

def _queries_keys(q, k, *, same_size: bool, what: str) -> tuple[np.ndarray, np.ndarray]:
    q = as_float_array(q, "q", min_ndim=2)
    k = as_float_array(k, "k", min_ndim=2)
    if q.shape[-1] == 0 or k.shape[-1] == 0 or q.shape[-2] == 0 or k.shape[-2] == 0:
        raise ValueError(f"empty queries or keys: q shape {q.shape}, k shape {k.shape}")
    if same_size and q.shape[-1] != k.shape[-1]:
        raise ValueError(
            f"the {what} score needs queries and keys of the same size: q has shape {q.shape} "
            f"(d_q={q.shape[-1]}), k has shape {k.shape} (d_k={k.shape[-1]}); "
            "use the general or additive score when the sizes differ"
        )
    try:
        np.broadcast_shapes(q.shape[:-2], k.shape[:-2])
    except ValueError:
        raise ValueError(
            f"the leading (batch/head) dimensions of q {q.shape} and k {k.shape} do not broadcast"
        ) from None
    return q, k


def _param(x, name: str, shape: tuple[int, ...], meaning: str) -> np.ndarray:
    arr = as_float_array(x, name)
    if arr.shape != shape:
        raise ValueError(f"{name} must have shape {shape} ({meaning}), got {arr.shape}")
    return arr


def _finite(compute: Callable[[], np.ndarray], formula: str) -> np.ndarray:
    """Evaluate ``compute()`` with overflow warnings silenced, and raise if it overflowed."""
    with np.errstate(over="ignore", invalid="ignore"):
        s = compute()
    if not np.isfinite(s).all():
        raise ValueError(f"the scores {formula} overflowed; rescale the queries or keys")
    return s


def _t(k: np.ndarray) -> np.ndarray:
    return np.swapaxes(k, -1, -2)


# --- the score functions -----------------------------------------------------------------------

def dot_score(q, k) -> np.ndarray:
    r"""Dot-product score :math:`a(\mathbf q, \mathbf k) = \mathbf q^\top \mathbf k` (Luong's *dot*).

    Parameters
    ----------
    q : array_like, shape ``(..., L_q, d)``
    k : array_like, shape ``(..., L_k, d)``; queries and keys must have the same size ``d``.

    Returns
    -------
    ndarray, shape ``(..., L_q, L_k)``: ``s[..., i, j] = q_i · k_j``, i.e. ``q @ k.T``.
    """
    q, k = _queries_keys(q, k, same_size=True, what="dot")
    return _finite(lambda: q @ _t(k), "q @ k.T")


def scaled_dot_score(q, k) -> np.ndarray:
    r"""Scaled dot-product score :math:`a(\mathbf q, \mathbf k) = \mathbf q^\top \mathbf k / \sqrt{d_k}`
    (Vaswani et al., 2017).

    If the entries of ``q`` and ``k`` are independent with mean 0 and variance 1, then
    :math:`\operatorname{Var}(\mathbf q^\top \mathbf k) = d_k`; dividing by :math:`\sqrt{d_k}` brings
    the variance of the scores back to 1 whatever the size (see :func:`dot_product_variance`).

    Parameters
    ----------
    q : array_like, shape ``(..., L_q, d_k)``
    k : array_like, shape ``(..., L_k, d_k)``

    Returns
    -------
    ndarray, shape ``(..., L_q, L_k)``: ``q @ k.T / sqrt(d_k)``.
    """
    q, k = _queries_keys(q, k, same_size=True, what="scaled dot")
    return _finite(lambda: (q @ _t(k)) * (1.0 / math.sqrt(k.shape[-1])), "q @ k.T / sqrt(d_k)")


def general_score(q, k, W) -> np.ndarray:
    r"""General (bilinear) score :math:`a(\mathbf q, \mathbf k) = \mathbf q^\top W \mathbf k`
    (Luong et al., 2015, *general*).

    ``W`` is learned. With ``W = I`` it is the dot product; a rectangular ``W`` lets queries and
    keys have different sizes. In matrix form the scores are ``q @ W @ k.T``.

    Parameters
    ----------
    q : array_like, shape ``(..., L_q, d_q)``
    k : array_like, shape ``(..., L_k, d_k)``
    W : array_like, shape ``(d_q, d_k)``

    Returns
    -------
    ndarray, shape ``(..., L_q, L_k)``.
    """
    q, k = _queries_keys(q, k, same_size=False, what="general")
    W = _param(W, "W", (q.shape[-1], k.shape[-1]), "(d_q, d_k)")
    return _finite(lambda: (q @ W) @ _t(k), "q @ W @ k.T")


def additive_score(q, k, W_q, W_k, v) -> np.ndarray:
    r"""Additive (concat, MLP) score
    :math:`a(\mathbf q, \mathbf k) = \mathbf v^\top \tanh(W_q^\top \mathbf q + W_k^\top \mathbf k)`
    (Bahdanau et al., 2015; Luong et al., 2015 call it *concat*).

    A one-hidden-layer network with ``d_a`` tanh units scores each (query, key) pair. Queries and
    keys are first projected to the same size ``d_a``, so ``d_q`` and ``d_k`` may differ (in
    Bahdanau's model the decoder state has ``n`` units and the bidirectional encoder states
    ``2n``). Luong's concat form :math:`\mathbf v^\top \tanh(W_a [\mathbf q; \mathbf k])` is the same
    function, with ``W_a`` split into the blocks ``[W_q^T, W_k^T]``. Unlike the dot-product scores it
    does not reduce to one matrix product: it builds an ``(..., L_q, L_k, d_a)`` array.

    Parameters
    ----------
    q : array_like, shape ``(..., L_q, d_q)``
    k : array_like, shape ``(..., L_k, d_k)``
    W_q : array_like, shape ``(d_q, d_a)``
    W_k : array_like, shape ``(d_k, d_a)``
    v : array_like, shape ``(d_a,)``

    Returns
    -------
    ndarray, shape ``(..., L_q, L_k)``: ``tanh(q_i @ W_q + k_j @ W_k) @ v``.

    The ``(..., L_q, L_k, d_a)`` hidden array is built a block of query rows at a time (about
    2**21 numbers per block), so memory stays bounded at any ``L``.
    """
    q, k = _queries_keys(q, k, same_size=False, what="additive")
    v = as_float_array(v, "v")
    if v.ndim != 1 or v.shape[0] == 0:
        raise ValueError(f"v must be a non-empty vector of shape (d_a,), got {v.shape}")
    d_a = v.shape[0]
    W_q = _param(W_q, "W_q", (q.shape[-1], d_a), f"(d_q, d_a) with d_q={q.shape[-1]}, d_a={d_a}")
    W_k = _param(W_k, "W_k", (k.shape[-1], d_a), f"(d_k, d_a) with d_k={k.shape[-1]}, d_a={d_a}")
    qp = _finite(lambda: q @ W_q, "q @ W_q")
    kp = _finite(lambda: k @ W_k, "k @ W_k")
    lead = np.broadcast_shapes(qp.shape[:-2], kp.shape[:-2])
    L_q, L_k = qp.shape[-2], kp.shape[-2]
    formula = "tanh(q @ W_q + k @ W_k) @ v"

    def scores(qp, kp):  # (..., B, d_a), (..., L_k, d_a) -> (..., B, L_k)
        with np.errstate(over="ignore"):  # a sum beyond the range is +-inf: tanh gives +-1
            hidden = np.tanh(qp[..., :, None, :] + kp[..., None, :, :])  # (..., B, L_k, d_a)
        return _finite(lambda: hidden @ v, formula)

    if math.prod(lead) * L_q * L_k * d_a <= _ADDITIVE_BLOCK:
        return scores(qp, kp)
    out = np.empty(lead + (L_q, L_k), dtype=np.result_type(qp, kp, v))
    qp, kp = np.broadcast_to(qp, lead + qp.shape[-2:]), np.broadcast_to(kp, lead + kp.shape[-2:])
    rows = max(1, _ADDITIVE_BLOCK // (L_k * d_a))
    for index in np.ndindex(*lead):
        for start in range(0, L_q, rows):
            out[index][start:start + rows] = scores(qp[index][start:start + rows], kp[index])
    return out


_ADDITIVE_BLOCK = 2**21  # numbers in one block of additive_score's hidden array (16 MB float64)


def cosine_score(q, k, eps: float = 1e-8) -> np.ndarray:
    r"""Cosine similarity :math:`a(\mathbf q, \mathbf k) = \dfrac{\mathbf q^\top \mathbf k}
    {\max(\lVert\mathbf q\rVert, \varepsilon)\,\max(\lVert\mathbf k\rVert, \varepsilon)}`
    (the content-based addressing of the Neural Turing Machine, Graves et al., 2014).

    The score only depends on the angle between ``q`` and ``k``, not on their lengths, and lies
    in ``[-1, 1]``. A zero vector has no direction: clamping its norm at ``eps`` (as PyTorch's
    ``cosine_similarity`` does) gives it the score 0 instead of NaN.

    Parameters
    ----------
    q : array_like, shape ``(..., L_q, d)``
    k : array_like, shape ``(..., L_k, d)``
    eps : float > 0

    Returns
    -------
    ndarray, shape ``(..., L_q, L_k)``, values in ``[-1, 1]``.
    """
    q, k = _queries_keys(q, k, same_size=True, what="cosine")
    eps = positive_float(eps, "eps")
    dtype = np.result_type(q, k)
    work = compute_dtype(dtype)
    qn, kn = _unit(q.astype(work, copy=False), eps), _unit(k.astype(work, copy=False), eps)
    return np.clip(qn @ _t(kn), -1.0, 1.0).astype(dtype, copy=False)


def _unit(x: np.ndarray, eps: float) -> np.ndarray:
    """``x / max(||x||, eps)`` along the last axis, for any magnitude: ``x`` is divided by its
    largest entry first (so squaring neither overflows nor underflows), then by the norm of
    that, which lies in ``[1, sqrt(d)]``; the norm itself is only compared with ``eps``."""
    m = np.max(np.abs(x), axis=-1, keepdims=True)
    y = x / np.where(m > 0, m, 1).astype(x.dtype, copy=False)
    r = np.sqrt(np.sum(y * y, axis=-1, keepdims=True))
    with np.errstate(over="ignore"):  # a norm beyond float64's range is inf, still >= eps
        large = m.astype(np.float64) * r >= eps
    small = np.where(large, 0, x) / eps  # only vectors whose norm is below eps: no overflow
    return np.where(large, y / np.where(r > 0, r, 1), small).astype(x.dtype, copy=False)


# --- selection by name ---------------------------------------------------------------------------

@dataclass(frozen=True)
class ScoreFunction:
    """One entry of :data:`SCORE_FUNCTIONS`: a score function and what a reader needs to know."""

    name: str
    function: Callable[..., np.ndarray]
    formula: str  # LaTeX
    source: str  # the paper, as a bibliography key of book/references.bib
    params: tuple[str, ...]  # names of the learned parameters, in call order
    same_size: bool  # True if d_q must equal d_k


SCORE_FUNCTIONS: dict[str, ScoreFunction] = {
    "dot": ScoreFunction("dot", dot_score, r"\mathbf q^\top \mathbf k", "luong2015", (), True),
    "scaled_dot": ScoreFunction("scaled_dot", scaled_dot_score,
                                r"\mathbf q^\top \mathbf k / \sqrt{d_k}", "vaswani2017", (), True),
    "general": ScoreFunction("general", general_score, r"\mathbf q^\top W \mathbf k",
                             "luong2015", ("W",), False),
    "additive": ScoreFunction("additive", additive_score,
                              r"\mathbf v^\top \tanh(W_q^\top \mathbf q + W_k^\top \mathbf k)",
                              "bahdanau2015", ("W_q", "W_k", "v"), False),
    "cosine": ScoreFunction("cosine", cosine_score,
                            r"\mathbf q^\top \mathbf k / (\lVert \mathbf q \rVert \lVert \mathbf k \rVert)",
                            "graves2014", (), True),
}
"""The score functions by name, in the order the book introduces them."""

_ALIASES = {"bilinear": "general", "concat": "additive", "scaled": "scaled_dot",
            "scaled_dot_product": "scaled_dot", "mlp": "additive"}


def _lookup(name) -> ScoreFunction:
    if not isinstance(name, str):
        raise TypeError(f"a score function name must be a str, got {type(name).__name__}")
    key = _ALIASES.get(name, name)
    if key not in SCORE_FUNCTIONS:
        known = sorted(SCORE_FUNCTIONS) + sorted(_ALIASES)
        raise ValueError(f"unknown score function {name!r}; choose one of {known}")
    return SCORE_FUNCTIONS[key]


def score(name: str, q, k, **params) -> np.ndarray:
    """Scores of the score function called ``name``: ``score("general", q, k, W=W)``.

    Parameters
    ----------
    name : one of ``dot``, ``scaled_dot``, ``general`` (alias ``bilinear``), ``additive``
        (aliases ``concat``, ``mlp``), ``cosine``
    q : array_like, shape ``(..., L_q, d_q)``
    k : array_like, shape ``(..., L_k, d_k)``
    **params : the function's learned parameters by name (``W`` for general; ``W_q``, ``W_k``,
        ``v`` for additive; none for the others; ``eps`` is accepted for cosine)

    Returns
    -------
    ndarray, shape ``(..., L_q, L_k)``.
    """
    fn = _lookup(name)
    allowed = set(fn.params) | ({"eps"} if fn.name == "cosine" else set())
    missing = [p for p in fn.params if p not in params]
    extra = sorted(set(params) - allowed)
    if missing or extra:
        raise TypeError(
            f"the {fn.name} score takes parameters {list(fn.params)}; "
            + (f"missing {missing}" if missing else "")
            + ("; " if missing and extra else "")
            + (f"unexpected {extra}" if extra else "")
        )
    return fn.function(q, k, **params)


def init_score_params(name: str, d_q: int, d_k: int, d_a: int | None = None, *,
                      seed: int = 0) -> dict[str, np.ndarray]:
    """Random parameters of the right shapes for the score function ``name``.

    Weight matrices are drawn from :math:`\\mathcal N(0, 1/d_\\text{in})` (so that a projected
    unit-variance vector keeps unit variance), ``v`` from :math:`\\mathcal N(0, 1/d_a)`.

    Parameters
    ----------
    name : a score function name (see :func:`score`)
    d_q, d_k : sizes of a query and of a key
    d_a : number of hidden units of the additive score (default ``d_k``); ignored by the others
    seed : seed of the random generator

    Returns
    -------
    dict of arrays, to be passed as ``score(name, q, k, **params)``; empty for parameter-free scores.
    """
    fn = _lookup(name)
    d_q, d_k = positive_int(d_q, "d_q"), positive_int(d_k, "d_k")
    if fn.same_size and d_q != d_k:
        raise ValueError(f"the {fn.name} score needs d_q == d_k, got d_q={d_q}, d_k={d_k}")
    rng = np.random.default_rng(seed_value(seed))
    if fn.name == "general":
        return {"W": rng.normal(0.0, 1.0 / math.sqrt(d_q), (d_q, d_k))}
    if fn.name == "additive":
        d_a = d_k if d_a is None else positive_int(d_a, "d_a")
        return {"W_q": rng.normal(0.0, 1.0 / math.sqrt(d_q), (d_q, d_a)),
                "W_k": rng.normal(0.0, 1.0 / math.sqrt(d_k), (d_k, d_a)),
                "v": rng.normal(0.0, 1.0 / math.sqrt(d_a), (d_a,))}
    return {}


# --- cost ----------------------------------------------------------------------------------------

class ScoreCost(NamedTuple):
    """Parameters and floating-point operations of scoring ``L_q`` queries against ``L_k`` keys."""

    params: int
    flops: int


def score_cost(name: str, d_q: int, d_k: int, L_q: int = 1, L_k: int = 1,
               d_a: int | None = None) -> ScoreCost:
    r"""Count the learned parameters and the FLOPs of one score matrix, as this module computes it.

    Counting rules: a multiply-add is 2 FLOPs (so a length-``d`` dot product costs ``2d``), and
    each ``tanh``, ``sqrt``, division or scaling is 1 FLOP. Per-vector work (projecting the
    queries once, normalising every key once) is counted once, not once per pair.

    * ``dot``: 0 parameters, :math:`2 d L_q L_k` FLOPs;
    * ``scaled_dot``: 0 parameters, :math:`2 d L_q L_k + L_q L_k`;
    * ``general``: :math:`d_q d_k` parameters, :math:`2 d_q d_k L_q + 2 d_k L_q L_k`
      (project the queries once, then one dot product per pair);
    * ``additive``: :math:`(d_q + d_k + 1) d_a` parameters,
      :math:`2 d_a (d_q L_q + d_k L_k) + 4 d_a L_q L_k` (project queries and keys once; per pair
      an addition, a tanh and a multiply-add with ``v`` for each of the ``d_a`` units);
    * ``cosine``: 0 parameters, :math:`(3d + 1)(L_q + L_k) + 2 d L_q L_k` (a norm, a sqrt and
      ``d`` divisions per vector, then the dot products).

    Returns
    -------
    ScoreCost(params, flops)
    """
    fn = _lookup(name)
    d_q, d_k = positive_int(d_q, "d_q"), positive_int(d_k, "d_k")
    L_q, L_k = positive_int(L_q, "L_q"), positive_int(L_k, "L_k")
    if fn.same_size and d_q != d_k:
        raise ValueError(f"the {fn.name} score needs d_q == d_k, got d_q={d_q}, d_k={d_k}")
    pairs = L_q * L_k
    d = d_k
    if fn.name == "dot":
        return ScoreCost(0, 2 * d * pairs)
    if fn.name == "scaled_dot":
        return ScoreCost(0, 2 * d * pairs + pairs)
    if fn.name == "general":
        return ScoreCost(d_q * d_k, 2 * d_q * d_k * L_q + 2 * d_k * pairs)
    if fn.name == "additive":
        d_a = d_k if d_a is None else positive_int(d_a, "d_a")
        params = d_q * d_a + d_k * d_a + d_a
        flops = 2 * d_a * (d_q * L_q + d_k * L_k) + 4 * d_a * pairs
        return ScoreCost(params, flops)
    # cosine: a norm (2d) + a sqrt (1) + d divisions per vector, then the dot products
    return ScoreCost(0, (3 * d + 1) * (L_q + L_k) + 2 * d * pairs)


# --- why sqrt(d_k) -------------------------------------------------------------------------------


def dot_product_variance(d_k: int, n_samples: int = 10_000, *, seed: int = 0,
                         scaled: bool = False) -> float:
    r"""Measure :math:`\operatorname{Var}(\mathbf q^\top \mathbf k)` for random ``q``, ``k``.

    Draws ``n_samples`` independent pairs :math:`\mathbf q, \mathbf k \sim \mathcal N(0, I_{d_k})` and
    returns the sample variance of their dot products (divided by :math:`\sqrt{d_k}` first if
    ``scaled``). Theory: each term :math:`q_i k_i` has mean 0 and variance
    :math:`E[q_i^2] E[k_i^2] = 1`, and the :math:`d_k` terms are independent, so the variance is
    :math:`d_k` unscaled and 1 scaled. The relative standard error of the estimate is about
    :math:`\sqrt{(\kappa - 1) / n_\text{samples}}`, with :math:`\kappa` the kurtosis of
    :math:`\mathbf q^\top \mathbf k`; a dot product of normal vectors is not normal
    (:math:`E[(\mathbf q^\top \mathbf k)^4] = 3 d_k^2 + 6 d_k`, so :math:`\kappa = 3 + 6/d_k`),
    hence :math:`\sqrt{(2 + 6/d_k) / n_\text{samples}}`: 2.2 % at ``d_k = 2`` and
    ``n_samples = 10_000``, approaching the Gaussian :math:`\sqrt{2 / n_\text{samples}}` (1.4 %)
    only for large ``d_k``.

    Returns
    -------
    float, the sample variance (``ddof=1``).
    """
    d_k = positive_int(d_k, "d_k")
    n_samples = positive_int(n_samples, "n_samples")
    if n_samples < 2:
        raise ValueError(f"n_samples must be >= 2 to estimate a variance, got {n_samples}")
    rng = np.random.default_rng(seed_value(seed))
    scaled = boolean(scaled, "scaled")
    chunk = max(1, 2_000_000 // d_k)  # bound the memory: ~16 MB per array
    products = []
    for start in range(0, n_samples, chunk):
        n = min(chunk, n_samples - start)
        q = rng.standard_normal((n, d_k))
        k = rng.standard_normal((n, d_k))
        products.append(np.einsum("nd,nd->n", q, k))
    s = np.concatenate(products)
    if scaled:
        s = s / math.sqrt(d_k)
    return float(np.var(s, ddof=1))
