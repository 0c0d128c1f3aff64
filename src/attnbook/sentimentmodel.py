r"""Chapter 11's classifiers: one encoder, five ways to pool its token vectors into one label.

    python -m attnbook.sentiment_cli train      # re-train all five from scratch (seeded)
    python -m attnbook.sentiment_cli evaluate   # every number chapter 11 quotes

The model (every layer from :mod:`attnbook.nn`, every attention from :mod:`attnbook.attention`):

1. **Words in.** Token ids (:mod:`attnbook.sentiment`) are embedded and the sinusoidal position
   encodings added, :math:`X = E[\text{ids}] + PE`.
2. **Encoder.** One pre-norm transformer block, as in chapter 8's date model:
   :math:`X \leftarrow X + \operatorname{MHA}(\operatorname{LN}(X))`, then
   :math:`X \leftarrow X + \operatorname{FFN}(\operatorname{LN}(X))`, padding masked, and a last
   layer norm: :math:`H \in \mathbb R^{L \times d}`, one vector per word.
3. **Pooling** — the one thing the five models do differently — turns :math:`H` into one vector:

   * ``mean``: :math:`\frac1L \sum_j \mathbf h_j`;
   * ``max``: the largest value of each feature over the words;
   * ``first``: the vector of a ``<cls>`` token put in front of the sentence (BERT's [CLS]);
   * ``attention`` (Yang et al., 2016): keys :math:`\mathbf k_j = \tanh(W\mathbf h_j +
     \mathbf b)`, one learned query :math:`\mathbf u`, weights
     :math:`\alpha = \operatorname{softmax}_j(\mathbf u^\top \mathbf k_j)` and the sentence vector
     :math:`\sum_j \alpha_j \mathbf h_j` — :func:`attnbook.scaled_dot_product_attention` with one
     query, keys :math:`K` and values :math:`H`, at ``scale=1``;
   * ``multihead`` (Lin et al., 2017): the same with :math:`r = 4` learned queries, their four
     sentence vectors concatenated (without the paper's penalty term, which pushes the heads
     apart).

4. **Label.** A linear layer maps the sentence vector to two logits (negative, positive).

Training minimises cross-entropy with Adam on the 20,000 training sentences of
:func:`attnbook.sentiment.splits`, in seeded random batches, with BLAS on one thread so that
the weights are the same bit for bit on every run on a given machine and software stack (see
:func:`attnbook.datemodel.train`).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from ._npz import read_npz, write_npz
from . import nn
from . import sentiment as S
from ._blas import one_blas_thread
from ._checks import positive_int
from .attention import scaled_dot_product_attention
from .datemodel import TrainingConfig as _Schedule
from .datemodel import _ff_backward, _ff_forward, _sub
from .plotting import heatmap
from .positional import sinusoidal_positional_encoding

__all__ = [
    "POOLINGS",
    "SentimentConfig",
    "TrainingConfig",
    "init_params",
    "forward",
    "backward",
    "loss_and_grads",
    "tanh_backward",
    "attention_pool",
    "attention_pool_backward",
    "train",
    "SentimentModel",
    "Prediction",
    "load_models",
    "accuracy",
    "top_weight_on_deciding",
    "faithfulness",
    "by_kind",
    "weights_heatmap",
    "load_training_log",
    "WEIGHTS_PATH",
]

WEIGHTS_PATH = Path(__file__).resolve().parent / "data" / "sentiment.npz"
POOLINGS = ("mean", "max", "first", "attention", "multihead")


@dataclass(frozen=True)
class SentimentConfig:
    """Sizes of a model and its pooling."""

    pooling: str = "attention"
    d_model: int = 32
    num_heads: int = 2
    d_ff: int = 64
    d_attn: int = 32          # size of the pooling's keys tanh(W h + b)
    pool_heads: int = 1       # r learned queries (1 for "attention", 4 for "multihead")
    max_len: int = 64
    vocab: int = len(S.VOCAB)

    def __post_init__(self):
        if self.pooling not in POOLINGS:
            raise ValueError(f"pooling must be one of {POOLINGS}, got {self.pooling!r}")
        for name in ("d_model", "num_heads", "d_ff", "d_attn", "pool_heads", "max_len", "vocab"):
            positive_int(getattr(self, name), name)
        if self.d_model % self.num_heads or self.d_model % 2:
            raise ValueError(f"d_model={self.d_model} must be even and divisible by "
                             f"num_heads={self.num_heads}")

    @property
    def uses_attention_pool(self) -> bool:
        return self.pooling in ("attention", "multihead")

    @classmethod
    def for_pooling(cls, pooling: str) -> "SentimentConfig":
        """The configuration of the shipped model with this pooling."""
        return cls(pooling=pooling, pool_heads=4 if pooling == "multihead" else 1)


@dataclass(frozen=True)
class TrainingConfig:
    """How the shipped weights were trained (``make train MODEL=sentiment`` uses these)."""

    steps: int = 1000
    batch_size: int = 64
    lr: float = 3e-3
    warmup: int = 100            # linear warm-up, then cosine decay to lr_min
    lr_min: float = 1e-4
    clip: float = 1.0
    seed: int = 0                # initialisation and the order of the batches
    eval_every: int = 200        # validation accuracy every eval_every steps

    def learning_rate(self, step: int) -> float:
        """The date model's schedule (:meth:`attnbook.datemodel.TrainingConfig.learning_rate`)."""
        return _Schedule(steps=self.steps, lr=self.lr, warmup=self.warmup,
                         lr_min=self.lr_min).learning_rate(step)


# --- parameters ---------------------------------------------------------------------------------

def init_params(config: SentimentConfig = SentimentConfig(), seed: int = 0,
                dtype=np.float32) -> dict[str, np.ndarray]:
    """Random initial parameters: Xavier-uniform matrices, zero biases, layer norms at 1 and 0,
    embeddings and pooling queries from :math:`\\mathcal N(0, 1)` (embeddings scaled by
    :math:`1/2`)."""
    rng = np.random.default_rng(seed)
    c = config
    p: dict[str, np.ndarray] = {}

    def xavier(d_in, d_out):
        return nn.xavier_uniform(rng, d_in, d_out)

    def ln(prefix):
        p[f"{prefix}.gamma"] = np.ones(c.d_model)
        p[f"{prefix}.beta"] = np.zeros(c.d_model)

    p["embed"] = 0.5 * rng.standard_normal((c.vocab, c.d_model))
    ln("enc0.ln1")
    for n in ("w_q", "w_k", "w_v", "w_o"):
        p[f"enc0.attn.{n}"] = xavier(c.d_model, c.d_model)
    for n in ("b_q", "b_k", "b_v", "b_o"):
        p[f"enc0.attn.{n}"] = np.zeros(c.d_model)
    ln("enc0.ln2")
    p["enc0.ff.w1"] = xavier(c.d_model, c.d_ff)
    p["enc0.ff.b1"] = np.zeros(c.d_ff)
    p["enc0.ff.w2"] = xavier(c.d_ff, c.d_model)
    p["enc0.ff.b2"] = np.zeros(c.d_model)
    ln("enc.ln")
    width = c.d_model
    if c.uses_attention_pool:
        p["pool.w"] = xavier(c.d_model, c.d_attn)
        p["pool.b"] = np.zeros(c.d_attn)
        p["pool.queries"] = rng.standard_normal((c.pool_heads, c.d_attn))
        width = c.pool_heads * c.d_model
    p["out.w"] = xavier(width, 2)
    p["out.b"] = np.zeros(2)
    return {k: v.astype(dtype) for k, v in p.items()}


def num_parameters(params: dict) -> int:
    """Total number of scalars in ``params``."""
    return int(sum(v.size for v in params.values()))


# --- the new layers: tanh and attention pooling ---------------------------------------------------

def tanh_backward(dy, y) -> np.ndarray:
    r"""Gradient of :math:`y = \tanh(x)` from its output: :math:`\bar x = \bar y\,(1 - y^2)`."""
    dy, y = np.asarray(dy), np.asarray(y)
    if dy.shape != y.shape:
        raise ValueError(f"dy must have the shape of y: got {dy.shape} and {y.shape}")
    return dy * (1 - y * y)


def attention_pool(h, w, b, queries, mask=None):
    r"""Attention pooling (Yang et al., 2016; with several queries, Lin et al., 2017).

    .. math::

        K = \tanh(H W + \mathbf b), \qquad
        A = \operatorname{softmax}(U K^\top), \qquad \text{output} = A H

    with :math:`U` the ``r`` learned queries: :func:`attnbook.scaled_dot_product_attention` with
    queries :math:`U`, keys :math:`K`, values :math:`H` and ``scale=1``.

    Shapes: ``h`` ``(B, L, d)``, ``w`` ``(d, d_a)``, ``b`` ``(d_a,)``, ``queries`` ``(r, d_a)``,
    ``mask`` bool ``(B, L)`` (True = a real word). Returns ``output`` ``(B, r, d)``, ``weights``
    ``(B, r, L)`` and ``keys`` :math:`K` ``(B, L, d_a)`` (for the backward pass).
    """
    h, queries = np.asarray(h), np.asarray(queries)
    if h.ndim != 3 or queries.ndim != 2:
        raise ValueError(f"attention_pool needs h (B, L, d) and queries (r, d_a), got h "
                         f"{h.shape} and queries {queries.shape}")
    keys = np.tanh(nn.linear(h, w, b))
    if mask is not None:
        mask = np.asarray(mask)
        if mask.shape != h.shape[:2]:
            raise ValueError(f"mask must be (B, L) = {h.shape[:2]}, got {mask.shape}")
        mask = mask[:, None, :]
    output, weights = scaled_dot_product_attention(queries, keys, h, mask=mask, scale=1.0)
    return output, weights, keys


def attention_pool_backward(d_output, h, w, queries, weights, keys):
    r"""Gradients of :func:`attention_pool` given :math:`\bar O` ``(B, r, d)``: through the
    attention (:func:`attnbook.nn.scaled_dot_product_attention_backward`, values :math:`H`),
    then :math:`\bar K` through the tanh (:func:`tanh_backward`) and the linear layer, whose
    input is :math:`H` again. Returns ``(dh, dw, db, dqueries)``."""
    dq, dk, dh_values = nn.scaled_dot_product_attention_backward(
        d_output, queries, keys, h, weights, scale=1.0)
    dh_keys, dw, db = nn.linear_backward(tanh_backward(dk, keys), h, w)
    return dh_values + dh_keys, dw, db, dq


# --- forward and backward -----------------------------------------------------------------------

def forward(params: dict, config: SentimentConfig, ids) -> tuple[np.ndarray, dict]:
    """Logits ``(B, 2)`` for a batch of token ids ``(B, L)`` (0 = padding; for ``first``
    pooling every row starts with ``<cls>``). ``cache["weights"]`` holds the encoder's
    self-attention ``(B, h, L, L)`` under ``"self"`` and the pooling's weights ``(B, r, L)``
    under ``"pool"`` (attention poolings only); the rest is for :func:`backward`."""
    ids = np.asarray(ids)
    c, p = config, params
    if ids.ndim != 2 or not 0 < ids.shape[1] <= c.max_len:
        raise ValueError(f"ids must be (B, L) with 0 < L <= {c.max_len}, got shape {ids.shape}")
    if (ids[:, 0] == S.PAD).any():
        raise ValueError("every sentence needs at least one token")
    if c.pooling == "first" and (ids[:, 0] != S.CLS).any():
        raise ValueError("first-token pooling needs <cls> in front: encode(..., cls=True)")
    mask = ids != S.PAD                                        # (B, L)
    lengths = mask.sum(axis=1)
    dtype = p["embed"].dtype
    cache: dict = {"ids": ids, "mask": mask, "weights": {}}

    pe = sinusoidal_positional_encoding(c.max_len, c.d_model)[:ids.shape[1]].astype(dtype)
    x = nn.embedding(ids, p["embed"]) + pe
    h = nn.layer_norm(x, p["enc0.ln1.gamma"], p["enc0.ln1.beta"])
    a, w, mha_cache = nn.multi_head_attention(_sub(p, "enc0.attn"), h, h, h, c.num_heads,
                                              mask=mask[:, None, :])
    cache["enc0.attn"] = (x, mha_cache)
    cache["weights"]["self"] = w
    x = _ff_forward(p, "enc0", x + a, cache)
    hs = nn.layer_norm(x, p["enc.ln.gamma"], p["enc.ln.beta"])
    cache["enc.ln"] = (x, hs)

    if c.pooling == "mean":
        pooled = (hs * mask[..., None]).sum(axis=1) / lengths[:, None].astype(dtype)
    elif c.pooling == "max":
        where = np.where(mask[..., None], hs, -np.inf).argmax(axis=1)       # (B, d)
        cache["argmax"] = where
        pooled = np.take_along_axis(hs, where[:, None, :], axis=1)[:, 0]
    elif c.pooling == "first":
        pooled = hs[:, 0]
    else:
        out, weights, keys = attention_pool(hs, p["pool.w"], p["pool.b"], p["pool.queries"],
                                            mask)
        cache["pool"] = (weights, keys)
        cache["weights"]["pool"] = weights
        pooled = out.reshape(out.shape[0], -1)
    cache["pooled"] = pooled
    return nn.linear(pooled, p["out.w"], p["out.b"]), cache


def backward(d_logits: np.ndarray, params: dict, config: SentimentConfig, cache: dict) -> dict:
    """Gradients of every parameter given ``d_logits`` and the ``cache`` of :func:`forward`."""
    c, p = config, params
    g: dict[str, np.ndarray] = {}
    mask = cache["mask"]
    x_last, hs = cache["enc.ln"]
    d_pooled, g["out.w"], g["out.b"] = nn.linear_backward(d_logits, cache["pooled"], p["out.w"])
    if c.pooling == "mean":
        lengths = mask.sum(axis=1).astype(hs.dtype)
        dhs = d_pooled[:, None, :] * (mask[..., None] / lengths[:, None, None])
    elif c.pooling == "max":
        dhs = np.zeros_like(hs)
        np.put_along_axis(dhs, cache["argmax"][:, None, :], d_pooled[:, None, :], axis=1)
    elif c.pooling == "first":
        dhs = np.zeros_like(hs)
        dhs[:, 0] = d_pooled
    else:
        weights, keys = cache["pool"]
        d_out = d_pooled.reshape(weights.shape[0], weights.shape[1], -1)
        dhs, g["pool.w"], g["pool.b"], g["pool.queries"] = attention_pool_backward(
            d_out, hs, p["pool.w"], p["pool.queries"], weights, keys)
    dx, g["enc.ln.gamma"], g["enc.ln.beta"] = nn.layer_norm_backward(dhs, x_last, p["enc.ln.gamma"])
    dx = _ff_backward(dx, p, "enc0", cache, g)
    x, mha_cache = cache["enc0.attn"]
    dq, dk, dv, g_attn = nn.multi_head_attention_backward(dx, _sub(p, "enc0.attn"), mha_cache)
    g.update({f"enc0.attn.{n}": v for n, v in g_attn.items()})
    dxn, g["enc0.ln1.gamma"], g["enc0.ln1.beta"] = nn.layer_norm_backward(
        dq + dk + dv, x, p["enc0.ln1.gamma"])
    g["embed"] = nn.embedding_backward(dx + dxn, cache["ids"], c.vocab)
    return {k: g[k] for k in p}


def loss_and_grads(params: dict, config: SentimentConfig, ids, labels):
    """Cross-entropy of a batch and the gradients of all parameters: ``(loss, grads, logits)``."""
    logits, cache = forward(params, config, ids)
    loss = nn.cross_entropy(logits, labels)
    grads = backward(nn.cross_entropy_backward(logits, labels), params, config, cache)
    return loss, grads, logits


# --- training -----------------------------------------------------------------------------------

def _batches(examples: Sequence[S.Example], config: SentimentConfig, size: int = 1024):
    """(ids, labels) in chunks, each padded to its own longest sentence."""
    for i in range(0, len(examples), size):
        chunk = examples[i:i + size]
        yield (S.encode(chunk, cls=config.pooling == "first"),
               np.array([e.label for e in chunk]))


def _predict_logits(params, config, examples) -> np.ndarray:
    return np.concatenate([forward(params, config, ids)[0]
                           for ids, _ in _batches(examples, config)])


def train(config: SentimentConfig, tc: TrainingConfig = TrainingConfig(), data=None,
          progress=None) -> tuple[dict, dict]:
    """Train one model from scratch, reproducibly (BLAS on one thread, as
    :func:`attnbook.datemodel.train`): the same configs give the same weights, bit for bit.

    ``data`` defaults to :func:`attnbook.sentiment.splits` (``"train"`` and ``"val"`` are
    used). Returns ``(params, log)``; the log holds ``step``, ``loss`` (every step),
    ``eval_step``, ``eval_accuracy`` (validation), ``seconds`` (wall-clock) and
    ``cpu_seconds`` (CPU time of this process)."""
    data = S.splits() if data is None else data
    with one_blas_thread():
        return _train(config, tc, data, progress)


def _train(config, tc, data, progress):
    params = init_params(config, tc.seed)
    opt = nn.Adam(params, lr=tc.lr)
    rng = np.random.default_rng(tc.seed + 1)
    train_set, val = data["train"], data["val"]
    val_labels = np.array([e.label for e in val])
    log = {k: [] for k in ("step", "loss", "eval_step", "eval_accuracy")}

    def evaluate_now(step):
        acc = float((_predict_logits(params, config, val).argmax(-1) == val_labels).mean())
        log["eval_step"].append(step)
        log["eval_accuracy"].append(acc)
        if progress:
            progress(step, log)

    start, cpu_start = time.perf_counter(), time.process_time()
    for step in range(tc.steps):
        if step % tc.eval_every == 0:
            evaluate_now(step)
        batch = [train_set[i] for i in rng.integers(len(train_set), size=tc.batch_size)]
        ids = S.encode(batch, cls=config.pooling == "first")
        labels = np.array([e.label for e in batch])
        loss, grads, _ = loss_and_grads(params, config, ids, labels)
        if not math.isfinite(loss):
            raise FloatingPointError(f"the loss became {loss} at step {step}")
        nn.clip_grad_norm(grads, tc.clip)
        opt.lr = tc.learning_rate(step)
        opt.step(grads)
        log["step"].append(step)
        log["loss"].append(loss)
    evaluate_now(tc.steps)
    log = {k: np.asarray(v) for k, v in log.items()}
    log["seconds"] = np.asarray(time.perf_counter() - start)
    log["cpu_seconds"] = np.asarray(time.process_time() - cpu_start)
    return params, log


def save(path: Path, tc: TrainingConfig, models: dict) -> None:
    """Write every model (``pooling -> (config, params, log)``) to one compressed ``.npz``, with a
    fixed time stamp on its members so that the same training writes the same bytes."""
    arrays = {"training": np.asarray(json.dumps(asdict(tc)))}
    for pooling, (config, params, log) in models.items():
        arrays[f"{pooling}/config"] = np.asarray(json.dumps(asdict(config)))
        arrays.update({f"{pooling}/params/{k}": v.astype(np.float32) for k, v in params.items()})
        arrays.update({f"{pooling}/log/{k}": v for k, v in log.items()
                       if k not in ("seconds", "cpu_seconds")})
    write_npz(path, arrays)


# --- using a trained model ----------------------------------------------------------------------

_CHUNK_TOKENS = 2048   # tokens per forward pass when classifying: 1k to 16k ran
                       # as fast (2-core x86-64); larger chunks take more memory


def _equal_length_chunks(lengths: np.ndarray, tokens: int = _CHUNK_TOKENS):
    """Yield ``(n, rows)``: the indices ``rows`` of sentences of ``n`` tokens, in
    chunks of at most ``tokens`` tokens (at least one sentence). Sentences of one
    length need no padding; the generated test set, padded to its longest sentence,
    would be 61% padding."""
    order = np.argsort(lengths, kind="stable")
    starts = np.flatnonzero(np.diff(lengths[order])) + 1
    for group in np.split(order, starts):
        n = int(lengths[group[0]])
        size = max(1, tokens // n)
        for i in range(0, len(group), size):
            yield n, group[i:i + size]


@dataclass
class Prediction:
    """What a model does with a batch of sentences."""

    tokens: list[list[str]]        # the words of each sentence (without <cls>)
    probabilities: np.ndarray      # (B, 2): P(negative), P(positive)
    pool_weights: np.ndarray | None  # (B, r, L) attention pooling over the words, or None
    states: np.ndarray | None = None  # (B, L, d) the encoder's H (0 at padding), or None

    @property
    def labels(self) -> np.ndarray:
        return self.probabilities.argmax(axis=-1)

    def weights(self, b: int = 0) -> np.ndarray:
        """Pooling weights of sentence ``b`` over its words, mean of the ``r`` queries: ``(n,)``."""
        if self.pool_weights is None:
            raise ValueError("this model does not pool with attention")
        return self.pool_weights[b].mean(axis=0)[:len(self.tokens[b])]


class SentimentModel:
    """A trained sentence classifier: ``SentimentModel.load("attention")`` reads the shipped
    weights of one pooling (see :data:`POOLINGS`)."""

    def __init__(self, params: dict, config: SentimentConfig):
        expected = init_params(config, 0).keys()
        if params.keys() != expected:
            raise ValueError(f"params do not fit the config: {sorted(set(params) ^ set(expected))}")
        self.params = {k: np.asarray(v, dtype=np.float32) for k, v in params.items()}
        self.config = config

    @classmethod
    def load(cls, pooling: str = "attention", path: Path | None = None) -> "SentimentModel":
        return load_models(path, [pooling])[pooling]

    @property
    def pooling(self) -> str:
        return self.config.pooling

    @property
    def num_parameters(self) -> int:
        return num_parameters(self.params)

    def _ids(self, sentences) -> tuple[list[list[str]], np.ndarray]:
        if isinstance(sentences, (str, S.Example)):
            sentences = [sentences]
        tokens = [S.tokenize(s) if isinstance(s, str) else list(getattr(s, "tokens", s))
                  for s in sentences]
        if not tokens:
            raise ValueError("no sentences")
        if not all(tokens):
            raise ValueError("a sentence has no words to classify")
        longest = max(map(len, tokens)) + (self.pooling == "first")
        if longest > self.config.max_len:
            raise ValueError(f"a sentence has {longest} tokens; the model reads at most "
                             f"{self.config.max_len}")
        return tokens, S.encode(tokens, cls=self.pooling == "first")

    def encode(self, sentences) -> tuple[np.ndarray, np.ndarray]:
        """The encoder's output :math:`H` ``(B, L, d)`` (0 at padding) and the mask
        ``(B, L)`` of real tokens."""
        _, ids = self._ids(sentences)
        return self._forward(ids, keep_states=True)[2], ids != S.PAD

    def run(self, sentences, keep_states: bool = False) -> Prediction:
        """Classify a list of sentences (strings, token lists or :class:`Example` s); with
        ``keep_states`` the prediction keeps the encoder's output :math:`H` too."""
        tokens, ids = self._ids(sentences)
        logits, pool, states = self._forward(ids, keep_states)
        return Prediction(tokens, np.exp(nn.log_softmax(logits)), pool, states)

    def _forward(self, ids: np.ndarray, keep_states: bool):
        """:func:`forward` on token ids ``(B, L)``, sentences of one length at a
        time (:func:`_equal_length_chunks`): logits ``(B, 2)``, pooling weights
        ``(B, r, L)`` (or None) and, with ``keep_states``, :math:`H` ``(B, L, d)``
        (else None); both 0 at padding."""
        batch, width = ids.shape
        dtype = self.params["embed"].dtype
        logits = np.empty((batch, 2), dtype)
        pool = states = None
        if self.config.uses_attention_pool:
            pool = np.zeros((batch, self.config.pool_heads, width), dtype)
        if keep_states:
            states = np.zeros((batch, width, self.config.d_model), dtype)
        for n, rows in _equal_length_chunks((ids != S.PAD).sum(axis=1)):
            logits[rows], cache = forward(self.params, self.config, ids[rows, :n])
            if pool is not None:
                pool[rows, :, :n] = cache["weights"]["pool"]
            if keep_states:
                states[rows, :n] = cache["enc.ln"][1]
        return logits, pool, states

    def predict(self, sentences) -> list[str]:
        """``"positive"`` or ``"negative"`` for each sentence."""
        return [S.LABELS[i] for i in self.run(sentences).labels]

    def probabilities_with_weights(self, sentences, weights) -> np.ndarray:
        """P(negative), P(positive) ``(B, 2)`` when the attention pooling uses the
        given ``weights`` ``(B, r, L)`` instead of its own:
        :math:`\\text{output} = A H` with the encoder's :math:`H` unchanged. For the
        faithfulness test of :func:`faithfulness`. ``sentences`` may be this model's
        :class:`Prediction` of them made with ``keep_states=True``: its :math:`H` is
        used, and the encoder does not run again."""
        if not self.config.uses_attention_pool:
            raise ValueError("this model does not pool with attention")
        if isinstance(sentences, Prediction):
            if sentences.states is None:
                raise ValueError("the Prediction has no states: make it with "
                                 "run(..., keep_states=True)")
            return self._probabilities_from(sentences.states, weights)
        return self._probabilities_from(self.encode(sentences)[0], weights)

    def _probabilities_from(self, hs: np.ndarray, weights) -> np.ndarray:
        weights = np.asarray(weights, dtype=hs.dtype)
        expected = (hs.shape[0], self.config.pool_heads, hs.shape[1])
        if weights.shape != expected:
            raise ValueError(f"weights must have shape {expected}, got {weights.shape}")
        pooled = (weights @ hs).reshape(hs.shape[0], -1)
        logits = nn.linear(pooled, self.params["out.w"], self.params["out.b"])
        return np.exp(nn.log_softmax(logits))

    def __repr__(self) -> str:
        return f"SentimentModel(pooling={self.pooling!r}, {self.num_parameters:,} parameters)"


def _read(path: Path | None) -> dict:
    return read_npz(WEIGHTS_PATH if path is None else path, "sentiment")


def load_models(path: Path | None = None, poolings: Sequence[str] | None = None
                ) -> dict[str, SentimentModel]:
    """The shipped models, by pooling (all of :data:`POOLINGS` by default)."""
    data = _read(path)
    poolings = POOLINGS if poolings is None else list(poolings)
    out = {}
    for pooling in poolings:
        if f"{pooling}/config" not in data:
            raise ValueError(f"no model with pooling {pooling!r}; there are {POOLINGS}")
        config = SentimentConfig(**json.loads(str(data[f"{pooling}/config"])))
        prefix = f"{pooling}/params/"
        out[pooling] = SentimentModel({k[len(prefix):]: v for k, v in data.items()
                                       if k.startswith(prefix)}, config)
    return out


def load_training_log(pooling: str, path: Path | None = None) -> dict[str, np.ndarray]:
    """The training log of one model (see :func:`train`, without ``seconds``)."""
    prefix = f"{pooling}/log/"
    return {k[len(prefix):]: v for k, v in _read(path).items() if k.startswith(prefix)}


def weights_heatmap(prediction: Prediction, b: int = 0, *, deciding=(), ax=None,
                    title: str | None = None, **kwargs):
    """Draw the pooling weights of sentence ``b`` over its words (one row per learned query),
    with the ``deciding`` word positions marked by a ``*`` before the word. Returns the
    :class:`attnbook.Heatmap`."""
    if prediction.pool_weights is None:
        raise ValueError("this model does not pool with attention")
    tokens = prediction.tokens[b]
    weights = prediction.pool_weights[b][:, :len(tokens)]
    labels = [f"*{t}" if i in set(deciding) else t for i, t in enumerate(tokens)]
    rows = ["u"] if len(weights) == 1 else [f"u{i + 1}" for i in range(len(weights))]
    if title is None:
        p = prediction.probabilities[b, 1]
        title = f"P(positive) = {p:.2f}"
    kwargs.setdefault("vmin", 0)
    kwargs.setdefault("vmax", 1)
    kwargs.setdefault("xlabel", "word (* = deciding word)")
    kwargs.setdefault("ylabel", "query")
    return heatmap(weights, x_labels=labels, y_labels=rows, ax=ax, title=title, **kwargs)


# --- measurements -------------------------------------------------------------------------------

def accuracy(model: SentimentModel, examples: Sequence[S.Example]) -> float:
    """Fraction of ``examples`` the model labels right."""
    labels = np.array([e.label for e in examples])
    return float((model.run(examples).labels == labels).mean())


def top_weight_on_deciding(model: SentimentModel, examples: Sequence[S.Example],
                           run: Prediction | None = None) -> np.ndarray:
    """For each example, whether the word with the highest pooling weight (mean of the queries)
    is one of its deciding words: a bool array ``(B,)``. ``run`` may pass ``model.run(examples)``
    if it was computed already."""
    run = _run_of(model, examples, run)
    if run.pool_weights is None:
        raise ValueError("this model does not pool with attention")
    top = run.pool_weights.mean(axis=1).argmax(axis=-1)   # (B,); padding weighs 0
    return np.array([int(j) in e.deciding for j, e in zip(top, examples)])


def _run_of(model: SentimentModel, examples, run: Prediction | None,
            keep_states: bool = False) -> Prediction:
    """``model.run(examples, keep_states)``, or ``run`` if it holds that already."""
    if run is None:
        return model.run(examples, keep_states)
    if len(run.tokens) != len(examples) or (keep_states and run.states is None):
        problem = (f"it has {len(run.tokens)} sentences, examples {len(examples)}"
                   if len(run.tokens) != len(examples) else "it has no states")
        states = ", keep_states=True" if keep_states else ""
        raise ValueError(f"run must be model.run(examples{states}): {problem}")
    return run


def faithfulness(model: SentimentModel, examples: Sequence[S.Example], seed: int = 0,
                 permutations: int = 5, run: Prediction | None = None
                 ) -> dict[str, dict[str, float]]:
    """How much the predictions change when the attention pooling's weights are replaced
    (Jain & Wallace, 2019; Wiegreffe & Pinter, 2019), with the encoder left as it is.

    ``"permuted"``: each sentence's weights shuffled among its words (``permutations`` random
    shuffles, averaged); ``"uniform"``: every word weighted :math:`1/n`. For each: ``flipped``
    (fraction of predicted labels that change), ``tvd`` (mean total-variation distance between
    the two output distributions, :math:`\\frac12 \\sum_c |p_c - p'_c|`) and ``accuracy`` (with
    the replaced weights); ``"learned"`` holds the accuracy with the model's own weights.
    ``run`` may pass ``model.run(examples, keep_states=True)`` if it was computed
    already.
    """
    if not model.config.uses_attention_pool:
        raise ValueError("this model does not pool with attention")
    run = _run_of(model, examples, run, keep_states=True)
    hs = run.states
    labels = np.array([e.label for e in examples])
    p = run.probabilities
    lengths = np.array([len(t) for t in run.tokens])
    width = run.pool_weights.shape[2]
    rng = np.random.default_rng(seed)

    def summary(p_new):
        return {"flipped": float((p_new.argmax(-1) != p.argmax(-1)).mean()),
                "tvd": float(0.5 * np.abs(p_new - p).sum(-1).mean()),
                "accuracy": float((p_new.argmax(-1) == labels).mean())}

    uniform = (np.arange(width)[None, :] < lengths[:, None]) / lengths[:, None]
    uniform = np.broadcast_to(uniform[:, None, :], run.pool_weights.shape)
    out = {"learned": {"accuracy": float((p.argmax(-1) == labels).mean())},
           "uniform": summary(model._probabilities_from(hs, uniform))}
    runs = []
    for _ in range(positive_int(permutations, "permutations")):
        order = np.tile(np.arange(width), (len(lengths), 1))  # padding stays put
        for b, n in enumerate(lengths):
            order[b, :n] = rng.permutation(n)
        shuffled = np.take_along_axis(run.pool_weights, order[:, None, :], axis=2)
        runs.append(summary(model._probabilities_from(hs, shuffled)))
    out["permuted"] = {k: float(np.mean([r[k] for r in runs])) for k in runs[0]}
    return out


def by_kind(values: np.ndarray, examples: Sequence[S.Example]) -> dict[str, float]:
    """Mean of a per-example array within each kind (in order of first appearance)."""
    kinds = np.array([e.kind for e in examples])
    return {k: float(np.mean(values[kinds == k])) for k in dict.fromkeys(kinds.tolist())}


# --- command line -------------------------------------------------------------------------------

def _report(models: dict[str, SentimentModel], data: dict, hand: list,
            path: Path | None = None) -> None:
    train_set, test = data["train"], data["test"]
    print("data")
    for name, examples in [("train", train_set), ("val", data["val"]), ("test", test),
                           ("hand-written", hand)]:
        pos = sum(e.label for e in examples)
        print(f"  {name:<13} {len(examples):>6,} sentences, {pos / len(examples):5.1%} positive")
    unk = sum(t not in S.VOCAB for e in hand for t in e.tokens)
    print(f"  hand-written words unknown to the vocabulary: {unk} of "
          f"{sum(len(e.tokens) for e in hand)}")
    kinds = list(S.KINDS)
    print("\naccuracy " + " ".join(f"{k:>9}" for k in ["test"] + kinds + ["hand"]))
    for pooling, model in models.items():
        labels = np.array([e.label for e in test])
        right = model.run(test).labels == labels
        per = by_kind(right, test)
        hand_acc = accuracy(model, hand)
        print(f"{pooling:<9}" + f"{right.mean():>9.1%}" + "".join(f"{per[k]:>10.1%}" for k in kinds)
              + f"{hand_acc:>10.1%}")
    hand_kinds = list(dict.fromkeys(e.kind for e in hand))
    print("\nhand-written accuracy by phenomenon (n)")
    print(" " * 9 + "".join(f"{k[:9]:>10}" for k in hand_kinds))
    counts = {k: sum(e.kind == k for e in hand) for k in hand_kinds}
    print(" " * 9 + "".join(f"{'(' + str(counts[k]) + ')':>10}" for k in hand_kinds))
    for pooling, model in models.items():
        right = model.run(hand).labels == np.array([e.label for e in hand])
        per = by_kind(right, hand)
        print(f"{pooling:<9}" + "".join(f"{per[k]:>10.1%}" for k in hand_kinds))
    new_words = [e for e in hand if e.kind == "new words"]
    print("\nhand-written 'new words' sentences labelled negative: "
          + ", ".join(f"{p} {int((m.run(new_words).labels == 0).sum())} of {len(new_words)}"
                      for p, m in models.items()))
    print("\nfinal validation accuracy (training log): "
          + ", ".join(f"{p} {float(load_training_log(p, path)['eval_accuracy'][-1]):.1%}"
                      for p in models))
    print("\nhighest pooling weight on a deciding word")
    labels = np.array([e.label for e in test])
    for pooling, model in models.items():
        if not model.config.uses_attention_pool:
            continue
        on_test = top_weight_on_deciding(model, test)
        per = by_kind(on_test, test)
        print(f"  {pooling:<9} test {on_test.mean():6.1%} ("
              + ", ".join(f"{k} {per[k]:.1%}" for k in kinds)
              + f"); hand-written {top_weight_on_deciding(model, hand).mean():6.1%}")
        print(f"  {'':<9} positive test sentences {on_test[labels == 1].mean():.1%}, "
              f"negative {on_test[labels == 0].mean():.1%}")
    chance = [np.mean([len(e.deciding) / len(e.tokens) for e in ex]) for ex in (test, hand)]
    print(f"  {'chance':<9} test {chance[0]:6.1%}; hand-written {chance[1]:6.1%} "
          "(a word picked at random)")
    print("\nreplacing the pooling weights (test split; permuted: mean of 5 shuffles)")
    for pooling, model in models.items():
        if not model.config.uses_attention_pool:
            continue
        f = faithfulness(model, test)
        print(f"  {pooling:<9} learned accuracy {f['learned']['accuracy']:.1%}")
        for name in ("permuted", "uniform"):
            r = f[name]
            print(f"  {'':<9} {name:<8} flipped {r['flipped']:6.1%}  mean TVD {r['tvd']:.3f}  "
                  f"accuracy {r['accuracy']:.1%}")
    from .check.ch11 import erase_top_word
    erased = erase_top_word()
    print("\nexercise 11.3 (shipped weights): erasing the attention model's top-weighted "
          f"word flips {erased['renormalised']:.1%} of the first 1,000 test labels "
          f"({erased['not renormalised']:.1%} without renormalising)")


def _train_one(pooling: str, tc: TrainingConfig):
    """Train the shipped configuration of one pooling, printing progress: (config, params, log)."""
    config = SentimentConfig.for_pooling(pooling)

    def progress(step, log):
        loss = f"{log['loss'][-1]:.4f}" if log["loss"] else "  -   "
        print(f"{pooling:<9} step {step:5d}  loss {loss}  validation accuracy "
              f"{log['eval_accuracy'][-1]:6.1%}", flush=True)

    params, log = train(config, tc, S.splits(), progress)
    print(f"{pooling}: {num_parameters(params):,} parameters, {tc.steps} steps in "
          f"{float(log['seconds']):.0f} s ({float(log['cpu_seconds']):.0f} s CPU)", flush=True)
    return config, params, log


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m attnbook.sentiment_cli",
                                     description="Train or evaluate chapter 11's classifiers.")
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train the five poolings from scratch (seeded)")
    t.add_argument("--out", type=Path, default=WEIGHTS_PATH)
    t.add_argument("--steps", type=int, default=TrainingConfig.steps)
    t.add_argument("--seed", type=int, default=TrainingConfig.seed)
    t.add_argument("--pooling", choices=POOLINGS, action="append",
                   help="train only this pooling (repeatable; default: all five)")
    t.add_argument("--jobs", type=int, default=2,
                   help="models trained at once, one process each (default 2, for 2 cores)")
    e = sub.add_parser("evaluate", help="every number chapter 11 quotes")
    e.add_argument("--weights", type=Path, default=WEIGHTS_PATH)
    args = parser.parse_args(argv)
    try:
        if args.command == "train":
            if args.steps < 1 or args.seed < 0:
                raise ValueError(f"--steps must be >= 1 and --seed >= 0, got {args.steps} and "
                                 f"{args.seed}")
            if args.jobs < 1:
                raise ValueError(f"--jobs must be >= 1, got {args.jobs}")
            tc = TrainingConfig(steps=args.steps, seed=args.seed)
            poolings = [p for p in POOLINGS if p in (args.pooling or POOLINGS)]
            start = time.perf_counter()
            if args.jobs == 1:
                results = [_train_one(p, tc) for p in poolings]
            else:  # one process per model; each is seeded and single-threaded, so the
                # weights are the same as with --jobs 1
                with ProcessPoolExecutor(min(args.jobs, len(poolings))) as pool:
                    results = list(pool.map(_train_one, poolings, [tc] * len(poolings)))
            models = dict(zip(poolings, results))
            save(args.out, tc, models)
            cpu = sum(float(log["cpu_seconds"]) for _, _, log in results)
            print(f"trained {len(models)} models in {time.perf_counter() - start:.0f} s "
                  f"({cpu:.0f} s of CPU time in the training loops); wrote {args.out} "
                  f"({args.out.stat().st_size:,} bytes)")
            return 0
        models = load_models(args.weights)
        _report(models, S.splits(), S.handwritten(), args.weights)
        return 0
    except (ValueError, FileNotFoundError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
