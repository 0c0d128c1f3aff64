r"""The layers of a small transformer, each with its forward pass and a hand-written backward pass.

Training a network means computing the gradient of a scalar loss :math:`\ell` with respect to
every parameter. Backpropagation does it layer by layer, from the loss back to the inputs: a
layer :math:`Y = f(X; \theta)` receives :math:`\bar Y = \partial \ell / \partial Y` (called
``dy`` in the code, same shape as ``Y``) and returns :math:`\bar X = \partial \ell / \partial X`
and :math:`\bar\theta`. Every ``*_backward`` function here does exactly that, for one layer, in
plain numpy; ``tests/test_nn.py`` checks each one against finite differences in float64.

The forward passes reuse the book's own attention: :func:`multi_head_attention` runs the same
code as :class:`attnbook.MultiHeadAttention` (``attention.multi_head_attention_steps``, built on
:func:`attnbook.scaled_dot_product_attention`), and keeps what its backward pass needs.

Shapes follow PyTorch: a batch of sequences is ``(B, L, d)``; leading dimensions may be any.
Everything keeps the dtype it is given (train in float32, check gradients in float64).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ._checks import as_float_array, positive_float, positive_int
from .attention import affine, check_mha_mask, merge_heads, multi_head_attention_steps, split_heads

__all__ = [
    "xavier_uniform",
    "linear",
    "linear_backward",
    "embedding",
    "embedding_backward",
    "relu",
    "relu_backward",
    "layer_norm",
    "layer_norm_backward",
    "softmax_backward",
    "scaled_dot_product_attention_backward",
    "MHACache",
    "multi_head_attention",
    "multi_head_attention_backward",
    "log_softmax",
    "cross_entropy",
    "cross_entropy_backward",
    "Adam",
    "clip_grad_norm",
    "numerical_gradient",
    "relative_error",
]

MHA_PARAMS = ("w_q", "w_k", "w_v", "w_o", "b_q", "b_k", "b_v", "b_o")


def xavier_uniform(rng: np.random.Generator, d_in: int, d_out: int) -> np.ndarray:
    """A ``(d_in, d_out)`` weight matrix drawn from Glorot and Bengio's uniform initialisation,
    :math:`U(-a, a)` with :math:`a = \\sqrt{6 / (d_\\text{in} + d_\\text{out})}`, from ``rng``."""
    limit = math.sqrt(6.0 / (d_in + d_out))
    return rng.uniform(-limit, limit, (d_in, d_out))


def _unbroadcast(grad: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """Sum ``grad`` over the axes along which an input of ``shape`` was broadcast."""
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for axis, n in enumerate(shape):
        if n == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return grad


def _same_shape(a: np.ndarray, b: np.ndarray, name_a: str, name_b: str) -> None:
    if a.shape != b.shape:
        raise ValueError(f"{name_a} must have the shape of {name_b}: got {a.shape} and {b.shape}")


# --- linear -------------------------------------------------------------------------------------

def linear(x, w, b) -> np.ndarray:
    r"""Affine map :math:`Y = XW + \mathbf b`.

    Shapes: ``x`` ``(..., d_in)``, ``w`` ``(d_in, d_out)``, ``b`` ``(d_out,)`` → ``(..., d_out)``.
    """
    x, w, b = np.asarray(x), np.asarray(w), np.asarray(b)
    if w.ndim != 2 or b.shape != (w.shape[1],) or x.shape[-1:] != (w.shape[0],):
        raise ValueError(f"linear needs x (..., d_in), w (d_in, d_out), b (d_out,): got x {x.shape}, "
                         f"w {w.shape}, b {b.shape}")
    return affine(x, w, b, "linear: x @ w + b")


def linear_backward(dy, x, w) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Gradients of :math:`Y = XW + \mathbf b`:

    .. math::

        \bar X = \bar Y W^\top, \qquad \bar W = X^\top \bar Y, \qquad
        \bar{\mathbf b} = \textstyle\sum_{\text{rows}} \bar Y

    where :math:`X` and :math:`\bar Y` are flattened to ``(N, d_in)`` and ``(N, d_out)`` over all
    leading dimensions (every row used the same ``W``, so their contributions add up).

    Returns ``(dx, dw, db)`` with the shapes of ``x``, ``w`` and ``b``.
    """
    dy, x, w = np.asarray(dy), np.asarray(x), np.asarray(w)
    if dy.shape != x.shape[:-1] + (w.shape[1],):
        raise ValueError(f"dy must have shape {x.shape[:-1] + (w.shape[1],)}, got {dy.shape}")
    dx = dy @ w.T
    dy2 = dy.reshape(-1, dy.shape[-1])
    dw = x.reshape(-1, x.shape[-1]).T @ dy2
    db = dy2.sum(axis=0)
    return dx, dw, db


# --- embedding ----------------------------------------------------------------------------------

def embedding(ids, table) -> np.ndarray:
    """Look up rows of ``table``: ``ids`` (any int shape) → ``table[ids]``, shape ``ids.shape + (d,)``."""
    ids, table = np.asarray(ids), np.asarray(table)
    if not np.issubdtype(ids.dtype, np.integer):
        raise TypeError(f"ids must be integers, got dtype {ids.dtype}")
    if table.ndim != 2:
        raise ValueError(f"table must be (num_embeddings, d), got shape {table.shape}")
    if ids.size and (ids.min() < 0 or ids.max() >= table.shape[0]):
        raise ValueError(f"ids must lie in 0..{table.shape[0] - 1}, got {ids.min()}..{ids.max()}")
    return table[ids]


def embedding_backward(dy, ids, num_embeddings: int) -> np.ndarray:
    r"""Gradient of a lookup :math:`Y_n = E_{\text{id}_n}`: row :math:`i` of :math:`\bar E` is the sum
    of :math:`\bar Y_n` over every position :math:`n` that looked up row :math:`i` (rows never looked
    up get 0). Shapes: ``dy`` ``ids.shape + (d,)`` → ``(num_embeddings, d)``."""
    dy, ids = np.asarray(dy), np.asarray(ids)
    num_embeddings = positive_int(num_embeddings, "num_embeddings")
    if dy.shape[:-1] != ids.shape:
        raise ValueError(f"dy {dy.shape} must be ids.shape {ids.shape} + (d,)")
    d_table = np.zeros((num_embeddings, dy.shape[-1]), dtype=dy.dtype)
    np.add.at(d_table, ids.reshape(-1), dy.reshape(-1, dy.shape[-1]))
    return d_table


# --- ReLU ---------------------------------------------------------------------------------------

def relu(x) -> np.ndarray:
    r""":math:`\max(x, 0)`, element-wise."""
    x = np.asarray(x)
    return np.maximum(x, 0)


def relu_backward(dy, x) -> np.ndarray:
    r"""Gradient of ReLU: :math:`\bar x = \bar y \cdot [x > 0]` (the kink at 0 gets 0)."""
    dy, x = np.asarray(dy), np.asarray(x)
    _same_shape(dy, x, "dy", "x")
    return dy * (x > 0)


# --- layer norm ---------------------------------------------------------------------------------

def layer_norm(x, gamma, beta, eps: float = 1e-5) -> np.ndarray:
    r"""Layer normalisation (Ba et al., 2016) over the last axis:

    .. math::

        \hat{\mathbf x} = \frac{\mathbf x - \mu}{\sqrt{\sigma^2 + \epsilon}}, \qquad
        \mathbf y = \boldsymbol\gamma \odot \hat{\mathbf x} + \boldsymbol\beta

    with :math:`\mu` and :math:`\sigma^2` the mean and (biased) variance of the :math:`d` entries of
    each row. Shapes: ``x`` ``(..., d)``, ``gamma`` and ``beta`` ``(d,)``.
    """
    x, gamma, beta = np.asarray(x), np.asarray(gamma), np.asarray(beta)
    if gamma.shape != x.shape[-1:] or beta.shape != x.shape[-1:]:
        raise ValueError(f"gamma {gamma.shape} and beta {beta.shape} must be (d,) for x {x.shape}")
    eps = positive_float(eps, "eps")
    with np.errstate(over="ignore", invalid="ignore"):
        mu = x.mean(axis=-1, keepdims=True)
        xc = x - mu
        rstd = 1.0 / np.sqrt((xc * xc).mean(axis=-1, keepdims=True) + eps)
        y = xc * rstd * gamma + beta
    if not np.isfinite(y).all():
        raise ValueError(f"layer_norm overflowed in {y.dtype}: a row's variance is beyond the "
                         "dtype's range; rescale x")
    return y


def layer_norm_backward(dy, x, gamma, eps: float = 1e-5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Gradients of :func:`layer_norm`. With :math:`\bar{\hat{\mathbf x}} = \bar{\mathbf y} \odot
    \boldsymbol\gamma` and the mean :math:`\langle\cdot\rangle` over the :math:`d` entries of a row,

    .. math::

        \bar{\mathbf x} = \frac{1}{\sqrt{\sigma^2 + \epsilon}} \Big(\bar{\hat{\mathbf x}}
        - \langle \bar{\hat{\mathbf x}} \rangle
        - \hat{\mathbf x}\, \langle \bar{\hat{\mathbf x}} \odot \hat{\mathbf x} \rangle\Big),
        \qquad \bar{\boldsymbol\gamma} = \sum_{\text{rows}} \bar{\mathbf y} \odot \hat{\mathbf x},
        \qquad \bar{\boldsymbol\beta} = \sum_{\text{rows}} \bar{\mathbf y}

    (the two subtracted terms remove the parts of the gradient that would change the row's mean
    and its variance, which normalisation undoes). Returns ``(dx, dgamma, dbeta)``.
    """
    dy, x, gamma = np.asarray(dy), np.asarray(x), np.asarray(gamma)
    _same_shape(dy, x, "dy", "x")
    mu = x.mean(axis=-1, keepdims=True)
    xc = x - mu
    rstd = 1.0 / np.sqrt((xc * xc).mean(axis=-1, keepdims=True) + eps)
    xhat = xc * rstd
    dxhat = dy * gamma
    dx = rstd * (dxhat - dxhat.mean(axis=-1, keepdims=True)
                 - xhat * (dxhat * xhat).mean(axis=-1, keepdims=True))
    d = x.shape[-1]
    dgamma = (dy * xhat).reshape(-1, d).sum(axis=0)
    dbeta = dy.reshape(-1, d).sum(axis=0)
    return dx, dgamma, dbeta


# --- softmax and attention ----------------------------------------------------------------------

def softmax_backward(d_weights, weights) -> np.ndarray:
    r"""Gradient of a row-wise softmax :math:`A = \operatorname{softmax}(S)` with respect to the
    scores :math:`S`, given :math:`\bar A = \partial\ell/\partial A`:

    .. math::

        \bar S = A \odot \Big(\bar A - \operatorname{rowsum}(\bar A \odot A)\Big),
        \qquad \bar S_{ij} = A_{ij}\Big(\bar A_{ij} - \sum_{j'} \bar A_{ij'} A_{ij'}\Big).

    It comes from the Jacobian :math:`\partial A_{ij'}/\partial S_{ij} = A_{ij'}(\delta_{jj'} -
    A_{ij})` without ever building it. A weight that is exactly 0 (a masked key) gets gradient 0.
    Shapes: both ``(..., L_k)``, softmax taken along the last axis.
    """
    d_weights, weights = np.asarray(d_weights), np.asarray(weights)
    _same_shape(d_weights, weights, "d_weights", "weights")
    return weights * (d_weights - (d_weights * weights).sum(axis=-1, keepdims=True))


def scaled_dot_product_attention_backward(d_output, q, k, v, weights, scale: float | None = None):
    r"""Gradients of :math:`O = AV`, :math:`A = \operatorname{softmax}(S)`,
    :math:`S = s\,QK^\top` (:math:`s = 1/\sqrt{d_k}` by default), given :math:`\bar O`:

    .. math::

        \bar V = A^\top \bar O, \qquad \bar A = \bar O V^\top, \qquad
        \bar S = A \odot (\bar A - \operatorname{rowsum}(\bar A \odot A)), \qquad
        \bar Q = s\, \bar S K, \qquad \bar K = s\, \bar S^\top Q.

    ``weights`` are the :math:`A` returned by :func:`attnbook.scaled_dot_product_attention` (a mask
    is already in them: masked weights are 0, so their scores get no gradient).

    Shapes: ``d_output`` ``(..., L_q, d_v)``, ``q`` ``(..., L_q, d_k)``, ``k`` ``(..., L_k, d_k)``,
    ``v`` ``(..., L_k, d_v)``, ``weights`` ``(..., L_q, L_k)``. Returns ``(dq, dk, dv)`` with the
    shapes of ``q``, ``k``, ``v`` (summed over any leading axes they were broadcast along).
    """
    d_output, q, k, v, weights = (np.asarray(a) for a in (d_output, q, k, v, weights))
    if weights.shape[-2:] != (q.shape[-2], k.shape[-2]) or d_output.shape[-2:] != (q.shape[-2], v.shape[-1]):
        raise ValueError(f"inconsistent shapes: d_output {d_output.shape}, q {q.shape}, k {k.shape}, "
                         f"v {v.shape}, weights {weights.shape}")
    scale = 1.0 / math.sqrt(q.shape[-1]) if scale is None else positive_float(scale, "scale")
    dv = np.swapaxes(weights, -1, -2) @ d_output           # (..., L_k, d_v)
    d_weights = d_output @ np.swapaxes(v, -1, -2)          # (..., L_q, L_k)
    d_scores = softmax_backward(d_weights, np.broadcast_to(weights, d_weights.shape)) * scale
    dq = d_scores @ k                                      # (..., L_q, d_k)
    dk = np.swapaxes(d_scores, -1, -2) @ q                 # (..., L_k, d_k)
    return _unbroadcast(dq, q.shape), _unbroadcast(dk, k.shape), _unbroadcast(dv, v.shape)


@dataclass
class MHACache:
    """What :func:`multi_head_attention_backward` needs from the forward pass."""

    query: np.ndarray
    key: np.ndarray
    value: np.ndarray
    q: np.ndarray        # (..., h, L_q, d_head)
    k: np.ndarray        # (..., h, L_k, d_head)
    v: np.ndarray        # (..., h, L_k, d_head)
    weights: np.ndarray  # (..., h, L_q, L_k)
    heads: np.ndarray    # merged head outputs, (..., L_q, d_model)
    num_heads: int


def multi_head_attention(params: dict, query, key, value, num_heads: int, mask=None):
    r"""Multi-head attention with the parameters of :class:`attnbook.MultiHeadAttention`, keeping
    what the backward pass needs.

    .. math::

        Q = X_q W_Q + \mathbf b_Q,\; K = X_k W_K + \mathbf b_K,\; V = X_v W_V + \mathbf b_V,\qquad
        \text{head}_i = \operatorname{Attention}(Q_i, K_i, V_i),\qquad
        Y = [\text{head}_1, \dots, \text{head}_h] W_O + \mathbf b_O

    It is the computation of ``attnbook.MultiHeadAttention`` (both run
    :func:`attnbook.attention.multi_head_attention_steps`), keeping the intermediates.

    Parameters
    ----------
    params : dict with ``w_q, w_k, w_v, w_o`` ``(d_model, d_model)`` and ``b_q, b_k, b_v, b_o``
        ``(d_model,)``
    query : ``(..., L_q, d_model)``; key, value : ``(..., L_k, d_model)``
    mask : bool, broadcastable to ``(..., L_q, L_k)``, True = may attend; shared by all heads

    Returns
    -------
    output ``(..., L_q, d_model)``, weights ``(..., h, L_q, L_k)``, cache (:class:`MHACache`)
    """
    missing = [n for n in MHA_PARAMS if n not in params]
    if missing:
        raise ValueError(f"params is missing {missing}")
    d_model = params["w_q"].shape[0]
    for name, x in (("query", query), ("key", key), ("value", value)):
        if np.shape(x)[-1:] != (d_model,):
            raise ValueError(f"{name} must end in d_model={d_model}, got shape {np.shape(x)}")
    h = positive_int(num_heads, "num_heads")
    mask = check_mha_mask(mask, np.shape(query), np.shape(key), np.shape(value))
    output, weights, (q, k, v, heads) = multi_head_attention_steps(
        params, query, key, value, h, mask=mask)
    return output, weights, MHACache(np.asarray(query), np.asarray(key), np.asarray(value),
                                     q, k, v, weights, heads, h)


def multi_head_attention_backward(d_output, params: dict, cache: MHACache):
    r"""Gradients of :func:`multi_head_attention`, given :math:`\bar Y` of shape ``(..., L_q, d_model)``.

    Back through :math:`W_O` (:func:`linear_backward`), split :math:`\bar{[\text{head}]}` into
    heads, back through each head's attention (:func:`scaled_dot_product_attention_backward`),
    merge the heads of :math:`\bar Q, \bar K, \bar V` and back through the three projections.

    Returns
    -------
    (d_query, d_key, d_value, grads) : the gradients of the three inputs and a dict of the eight
    parameter gradients. For self-attention (one ``x`` passed as query, key and value) the
    gradient of ``x`` is ``d_query + d_key + d_value``.
    """
    c = cache
    d_heads, grads_wo, grads_bo = linear_backward(d_output, c.heads, params["w_o"])
    d_out = split_heads(d_heads, c.num_heads)
    dq, dk, dv = scaled_dot_product_attention_backward(d_out, c.q, c.k, c.v, c.weights)
    grads = {"w_o": grads_wo, "b_o": grads_bo}
    d_inputs = []
    for name, x, d in (("q", c.query, dq), ("k", c.key, dk), ("v", c.value, dv)):
        dx, grads[f"w_{name}"], grads[f"b_{name}"] = linear_backward(merge_heads(d), x, params[f"w_{name}"])
        d_inputs.append(dx)
    return d_inputs[0], d_inputs[1], d_inputs[2], {n: grads[n] for n in MHA_PARAMS}


# --- loss ---------------------------------------------------------------------------------------

def log_softmax(logits) -> np.ndarray:
    r""":math:`\log\operatorname{softmax}(z)_c = z_c - m - \log\sum_{c'} e^{z_{c'} - m}` along the
    last axis, :math:`m = \max_c z_c` (stable)."""
    z = np.asarray(logits)
    with np.errstate(over="ignore"):  # far below the maximum: -inf, a probability of 0
        z = z - z.max(axis=-1, keepdims=True)
        return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def _check_targets(logits: np.ndarray, targets: np.ndarray) -> None:
    if not np.issubdtype(targets.dtype, np.integer):
        raise TypeError(f"targets must be integer class ids, got dtype {targets.dtype}")
    if targets.shape != logits.shape[:-1]:
        raise ValueError(f"targets {targets.shape} must have the shape of logits {logits.shape} "
                         "without its last (class) axis")
    if targets.size and (targets.min() < 0 or targets.max() >= logits.shape[-1]):
        raise ValueError(f"targets must lie in 0..{logits.shape[-1] - 1}")


def cross_entropy(logits, targets) -> float:
    r"""Mean cross-entropy :math:`\ell = -\frac1N \sum_n \log \operatorname{softmax}(\mathbf z_n)_{t_n}`.

    Shapes: ``logits`` ``(..., C)``, ``targets`` ``(...)`` integer ids in ``0..C-1``; the mean is
    over all ``N`` positions.
    """
    logits = as_float_array(logits, "logits", min_ndim=1)
    targets = np.asarray(targets)
    _check_targets(logits, targets)
    if targets.size == 0:
        raise ValueError(f"cross_entropy of no targets (logits shape {logits.shape}) is undefined")
    logp = log_softmax(logits)
    picked = np.take_along_axis(logp, targets[..., None], axis=-1)
    with np.errstate(over="ignore"):
        loss = float(-picked.astype(np.float64).mean())
    if not np.isfinite(loss):
        raise ValueError("cross_entropy is infinite: a target's probability underflowed to 0 "
                         f"in {logits.dtype}")
    return loss


def cross_entropy_backward(logits, targets) -> np.ndarray:
    r"""Gradient of :func:`cross_entropy` w.r.t. the logits:
    :math:`\bar{\mathbf z}_n = (\operatorname{softmax}(\mathbf z_n) - \mathbf e_{t_n}) / N`,
    shape of ``logits``."""
    logits = np.asarray(logits)
    targets = np.asarray(targets)
    _check_targets(logits, targets)
    p = np.exp(log_softmax(logits))
    np.put_along_axis(p, targets[..., None], np.take_along_axis(p, targets[..., None], -1) - 1, -1)
    return p / targets.size


# --- optimisation -------------------------------------------------------------------------------

def clip_grad_norm(grads: dict, max_norm: float) -> float:
    r"""Scale all gradients in place so that their joint norm :math:`\sqrt{\sum \|g\|^2}` is at most
    ``max_norm``; return the norm before clipping."""
    max_norm = positive_float(max_norm, "max_norm")
    norm = math.sqrt(sum(float((g.astype(np.float64) ** 2).sum()) for g in grads.values()))
    if not math.isfinite(norm):
        raise ValueError("a gradient is NaN or infinite")
    if norm > max_norm:
        for g in grads.values():
            g *= max_norm / norm
    return norm


class Adam:
    r"""Adam (Kingma & Ba, 2015), updating a dict of parameter arrays in place.

    .. math::

        \mathbf m \leftarrow \beta_1 \mathbf m + (1-\beta_1)\mathbf g, \quad
        \mathbf v \leftarrow \beta_2 \mathbf v + (1-\beta_2)\mathbf g^2, \quad
        \theta \leftarrow \theta - \eta\, \frac{\mathbf m / (1-\beta_1^t)}
        {\sqrt{\mathbf v / (1-\beta_2^t)} + \epsilon}

    Parameters
    ----------
    params : dict name → array (updated in place by :meth:`step`)
    lr, betas, eps : the usual hyper-parameters (``lr`` can be changed between steps)
    """

    def __init__(self, params: dict, lr: float = 1e-3, betas=(0.9, 0.999), eps: float = 1e-8):
        self.params = params
        self.lr = positive_float(lr, "lr")
        self.beta1, self.beta2 = (float(b) for b in betas)
        if not (0 <= self.beta1 < 1 and 0 <= self.beta2 < 1):
            raise ValueError(f"betas must lie in [0, 1), got {betas}")
        self.eps = positive_float(eps, "eps")
        self.t = 0
        self.m = {n: np.zeros_like(p) for n, p in params.items()}
        self.v = {n: np.zeros_like(p) for n, p in params.items()}

    def step(self, grads: dict) -> None:
        """One update from ``grads`` (a dict with the same names and shapes as ``params``)."""
        if grads.keys() != self.params.keys():
            raise ValueError(f"grads and params differ: {sorted(set(grads) ^ set(self.params))}")
        self.t += 1
        c1 = 1.0 - self.beta1 ** self.t
        c2 = 1.0 - self.beta2 ** self.t
        for name, p in self.params.items():
            g = grads[name]
            if g.shape != p.shape:
                raise ValueError(f"gradient of {name} has shape {g.shape}, parameter {p.shape}")
            m, v = self.m[name], self.v[name]
            m *= self.beta1
            m += (1.0 - self.beta1) * g
            v *= self.beta2
            v += (1.0 - self.beta2) * (g * g)
            p -= (self.lr / c1) * m / (np.sqrt(v / c2) + self.eps)


# --- checking gradients -------------------------------------------------------------------------

def numerical_gradient(f, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    r"""Central finite differences of a scalar function, entry by entry:

    .. math::

        \frac{\partial f}{\partial x_i} \approx \frac{f(x + h\,\mathbf e_i) - f(x - h\,\mathbf e_i)}{2h}

    (error :math:`O(h^2)` from the formula plus :math:`O(\varepsilon/h)` from rounding; with float64
    and ``h = 1e-6`` both are around 1e-10). ``f()`` takes no argument and reads ``x``, which is
    changed in place and restored. Costs two calls of ``f`` per entry: for checking, not training.
    """
    if not isinstance(x, np.ndarray) or x.dtype != np.float64:
        raise TypeError("x must be a float64 numpy array (finite differences need the precision)")
    h = positive_float(h, "h")
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        plus = f()
        x[i] = old - h
        minus = f()
        x[i] = old
        grad[i] = (plus - minus) / (2 * h)
    return grad


def relative_error(numeric, analytic, zero: float = 1e-9) -> float:
    r""":math:`\|g_\text{num} - g\| / (\|g_\text{num}\| + \|g\|)`, or the absolute difference
    when both gradients are below ``zero`` (a gradient that is 0 in exact arithmetic)."""
    numeric, analytic = np.asarray(numeric), np.asarray(analytic)
    _same_shape(numeric, analytic, "numeric", "analytic")
    denom = float(np.linalg.norm(numeric) + np.linalg.norm(analytic))
    diff = float(np.linalg.norm(numeric - analytic))
    return diff if denom < zero else diff / denom
