r"""Chapter 12's model: an end-to-end memory network (Sukhbaatar et al., 2015) that answers
questions about the stories of :mod:`attnbook.babi`.

    python -m attnbook.memnet_cli train      # re-train the four task models (seeded)
    python -m attnbook.memnet_cli evaluate   # held-out accuracy and hop-on-support rates

The model, with every sentence of the story one slot of memory and the question the query:

1. **Sentences to vectors.** A sentence :math:`x_i = (x_{i1}, \dots, x_{iJ})` of :math:`J`
   words becomes :math:`\mathbf m_i = \sum_j \mathbf l_j \odot A\,x_{ij} + T_A(i)`: a weighted
   sum of word embeddings (:func:`attnbook.nn.embedding`) with the *position encoding*
   :math:`l_{kj} = (1 - j/J) - (k/d)(1 - 2j/J)` (:func:`position_encoding`, so that *"mary
   went to the kitchen"* and *"the kitchen went to mary"* differ), plus a learned *temporal
   encoding* :math:`T_A(i)` that says how many sentences ago sentence :math:`i` was written.
   The same sentence embedded with a second table, :math:`C` and :math:`T_C`, gives the value
   :math:`\mathbf c_i`. The question becomes :math:`\mathbf u^1 = \sum_j \mathbf l_j \odot
   B\,q_j`.
2. **A hop** is one attention lookup with the state as the query, the memories as keys and
   the :math:`\mathbf c_i` as values (:func:`attnbook.scaled_dot_product_attention` with
   scale 1), added to the state:

   .. math::

       p^k_i = \operatorname{softmax}_i(\mathbf u^{k\top} \mathbf m^k_i), \qquad
       \mathbf o^k = \sum_i p^k_i \mathbf c^k_i, \qquad \mathbf u^{k+1} = \mathbf u^k + \mathbf o^k

3. **The answer** is a softmax over the vocabulary, :math:`\hat a = \operatorname{softmax}(W
   \mathbf u^{K+1})`, after :math:`K = 3` hops.

*Adjacent weight tying*: hop :math:`k`'s output table is hop :math:`k+1`'s input table,
:math:`A^{k+1} = C^k`, with :math:`B = A^1` and :math:`W^\top = C^K`; so the model has
:math:`K + 1` word tables ``E0..EK`` (and, tied the same way, :math:`K + 1` temporal tables
``T0..TK``, our choice: the paper does not say how it ties them). *Linear start*: for the first
epochs the hops' softmax is removed (:func:`unnormalised_attention`), which helps training
find the supporting sentences; then it is put back. *Random noise*: during training 10 % empty
memories are inserted at random, so the temporal encoding cannot memorise positions.

Differences from the paper's training: Adam with a cosine-decayed learning rate instead of
SGD with step decay, a fixed number of linear-start epochs instead of "until the validation
loss stops falling", and one run per task (the paper keeps the best of 10).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ._npz import read_npz, write_npz
from . import babi
from . import nn
from ._blas import one_blas_thread
from ._checks import positive_int
from .attention import padding_mask, scaled_dot_product_attention

__all__ = [
    "MemNetConfig",
    "TrainingConfig",
    "position_encoding",
    "unnormalised_attention",
    "unnormalised_attention_backward",
    "bag_of_words",
    "init_params",
    "forward",
    "backward",
    "loss_and_grads",
    "train",
    "MemNet",
    "Prediction",
    "Hop",
    "Evaluation",
    "evaluate",
    "task_of_question",
    "PAPER_TABLE1",
    "WEIGHTS_PATH",
    "load_training_log",
    "load_training_config",
]

WEIGHTS_PATH = Path(__file__).resolve().parent / "data" / "memnet.npz"

#: Test error (%) of the paper's best single-task MemN2N on bAbI with 1k training questions
#: (Sukhbaatar et al., 2015, Table 1, column "PE LS RN": position encoding, linear start,
#: random noise, 3 hops, adjacent tying), for the bAbI tasks ours are modelled on.
BABI_TASK = {"single": 1, "two": 2, "three": 3, "yes_no": 6}
PAPER_TABLE1 = {"single": 0.0, "two": 8.3, "three": 40.3, "yes_no": 7.6}


@dataclass(frozen=True)
class MemNetConfig:
    """Sizes of a memory network."""

    d: int = 20                      # embedding size (the paper's d = 20 for bAbI)
    hops: int = 3                    # K
    memory_size: int = 24            # slots: the longest story (20) plus random noise
    vocab: int = len(babi.vocabulary())
    words: int = babi.WORDS_PER_SENTENCE

    def __post_init__(self):
        for name in ("d", "hops", "memory_size", "vocab", "words"):
            positive_int(getattr(self, name), name)


@dataclass(frozen=True)
class TrainingConfig:
    """How the shipped weights were trained (``make train MODEL=memnet`` uses these)."""

    epochs: int = 40
    batch_size: int = 32
    lr: float = 0.01
    lr_min: float = 2e-4
    linear_start_epochs: int = 8     # hops without softmax for these first epochs
    random_noise: float = 0.1        # fraction of empty memories inserted while training
    clip: float = 40.0               # gradient norm clipping (the paper's 40)
    init_std: float = 0.1            # embeddings from N(0, 0.1^2), as the paper
    seed: int = 0
    examples: int = babi.SPLIT_SIZES["train"]  # training questions used (tests use fewer)

    def learning_rate(self, epoch: float) -> float:
        """Cosine decay from ``lr`` to ``lr_min`` over the epochs (``epoch`` may be fractional)."""
        t = min(1.0, epoch / self.epochs)
        return self.lr_min + 0.5 * (self.lr - self.lr_min) * (1 + math.cos(math.pi * t))


# --- the pieces ---------------------------------------------------------------------------------

def position_encoding(ids, d: int) -> np.ndarray:
    r"""Sukhbaatar et al.'s position encoding of the words of sentences, zero at padding:

    .. math::

        l_{kj} = \Big(1 - \frac{j}{J}\Big) - \frac{k}{d}\Big(1 - \frac{2j}{J}\Big),
        \qquad j = 1..J,\; k = 1..d,

    with :math:`J` the number of words of the sentence (not counting padding). Word :math:`j`'s
    embedding is multiplied by :math:`\mathbf l_j` entry by entry before the sentence's words are
    summed, so the sum depends on word order.

    Shapes: ``ids`` int ``(..., W)`` (:data:`attnbook.babi.PAD` = 0 pads) → ``(..., W, d)``.
    """
    ids = np.asarray(ids)
    d = positive_int(d, "d")
    if not np.issubdtype(ids.dtype, np.integer) or ids.ndim < 1:
        raise TypeError(f"ids must be an integer array (..., W), got {ids.dtype} {ids.shape}")
    real = ids != babi.PAD
    J = real.sum(axis=-1, keepdims=True)[..., None]               # (..., 1, 1)
    j = np.arange(1, ids.shape[-1] + 1)[:, None]                  # (W, 1)
    k = np.arange(1, d + 1)[None, :]                              # (1, d)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(J > 0, j / np.maximum(J, 1), 0.0)
    weights = (1 - ratio) - (k / d) * (1 - 2 * ratio)
    return np.where(real[..., None], weights, 0.0)


def unnormalised_attention(q, k, v, mask=None):
    r"""Attention without its softmax, as in the paper's *linear start*:

    .. math::

        S = Q K^\top, \qquad O = S V

    (masked scores set to 0). The weights are raw dot products, not a distribution; the
    model starts with these hops and switches to :func:`attnbook.scaled_dot_product_attention`
    once training has found the supporting sentences. Shapes as
    :func:`attnbook.scaled_dot_product_attention`; returns ``(output, scores)``."""
    q, k, v = np.asarray(q), np.asarray(k), np.asarray(v)
    if q.shape[-1] != k.shape[-1] or k.shape[-2] != v.shape[-2]:
        raise ValueError(f"q {q.shape}, k {k.shape}, v {v.shape} do not fit (..., L, d)")
    scores = q @ np.swapaxes(k, -1, -2)
    if mask is not None:
        scores = np.where(mask, scores, 0.0).astype(scores.dtype)
    return scores @ v, scores


def unnormalised_attention_backward(d_output, q, k, v, scores, mask=None):
    r"""Gradients of :func:`unnormalised_attention`: :math:`\bar V = S^\top \bar O`,
    :math:`\bar S = \bar O V^\top` (0 where masked), :math:`\bar Q = \bar S K`,
    :math:`\bar K = \bar S^\top Q`. Returns ``(dq, dk, dv)``."""
    dv = np.swapaxes(scores, -1, -2) @ d_output
    d_scores = d_output @ np.swapaxes(v, -1, -2)
    if mask is not None:
        d_scores = np.where(mask, d_scores, 0.0).astype(d_scores.dtype)
    return d_scores @ k, np.swapaxes(d_scores, -1, -2) @ q, dv


def bag_of_words(ids, vocab: int, dtype=np.float32) -> tuple[np.ndarray, np.ndarray]:
    r"""Position-weighted bags of words, so that a sentence's memory vector is two matrix
    products. The position encoding splits as :math:`l_{kj} = a_j + \frac{k}{d} b_j` with
    :math:`a_j = 1 - j/J` and :math:`b_j = 2j/J - 1`, hence

    .. math::

        \sum_j \mathbf l_j \odot E^\top \mathbf e_{x_j}
        = E^\top \mathbf x^a + \boldsymbol\kappa \odot E^\top \mathbf x^b, \qquad
        \mathbf x^a = \sum_j a_j \mathbf e_{x_j},\; \mathbf x^b = \sum_j b_j \mathbf e_{x_j},
        \; \kappa_k = k/d

    where :math:`\mathbf e_v` is the one-hot vector of word :math:`v` (the paper writes the
    embedding of a word as :math:`A x_{ij}` with :math:`x_{ij}` one-hot). The same sums
    :func:`position_encoding` weights word by word, computed with :func:`attnbook.nn.linear`.

    Shapes: ``ids`` int ``(..., W)`` → ``x_a``, ``x_b`` ``(..., vocab)`` (zero for padding).
    """
    ids = np.asarray(ids)
    vocab = positive_int(vocab, "vocab")
    real = ids != babi.PAD
    J = np.maximum(real.sum(axis=-1, keepdims=True), 1)
    ratio = np.arange(1, ids.shape[-1] + 1) / J                          # j / J, (..., W)
    a = np.where(real, 1 - ratio, 0.0)
    b = np.where(real, 2 * ratio - 1, 0.0)
    onehot = (ids[..., None] == np.arange(vocab)).astype(dtype)          # (..., W, vocab)
    x_a = np.einsum("...wv,...w->...v", onehot, a.astype(dtype))
    x_b = np.einsum("...wv,...w->...v", onehot, b.astype(dtype))
    return x_a, x_b


def init_params(config: MemNetConfig = MemNetConfig(), seed: int = 0, std: float = 0.1,
                dtype=np.float32) -> dict[str, np.ndarray]:
    """``E0..EK`` ``(vocab, d)`` word tables and ``T0..TK`` ``(memory_size, d)`` temporal
    tables, from :math:`\\mathcal N(0, \\text{std}^2)`."""
    rng = np.random.default_rng(seed)
    c = config
    p = {}
    for k in range(c.hops + 1):
        p[f"E{k}"] = rng.normal(0.0, std, (c.vocab, c.d))
    for k in range(c.hops + 1):
        p[f"T{k}"] = rng.normal(0.0, std, (c.memory_size, c.d))
    return {n: v.astype(dtype) for n, v in p.items()}


def _ages(lengths: np.ndarray, m: int) -> np.ndarray:
    """Sentences ago of every slot (0 = the last sentence); padded slots get 0 (masked)."""
    age = lengths[:, None] - 1 - np.arange(m)[None, :]
    return np.where(age >= 0, age, 0)


def _embed(x_a, x_b, table, d):
    """``E^T x_a + kappa * E^T x_b`` for one or several tables side by side (``table``
    ``(vocab, n*d)``)."""
    zero = np.zeros(table.shape[1], table.dtype)
    kappa = np.tile(np.arange(1, d + 1, dtype=table.dtype) / d, table.shape[1] // d)
    return nn.linear(x_a, table, zero) + kappa * nn.linear(x_b, table, zero), kappa


def forward(params: dict, config: MemNetConfig, stories, questions, lengths,
            linear: bool = False) -> tuple[np.ndarray, dict]:
    """Answer logits for a batch.

    Parameters
    ----------
    stories : int ``(B, M, W)``, questions : int ``(B, W)``, lengths : int ``(B,)`` as
        :func:`attnbook.babi.encode` returns them (``M <= config.memory_size``)
    linear : hops without softmax (linear start)

    Returns
    -------
    logits : ``(B, vocab)``
    cache : dict; ``cache["weights"]`` is ``(B, K, M)``, hop ``k``'s attention over the slots
        (raw scores if ``linear``), and the rest is what :func:`backward` needs.
    """
    stories, questions, lengths = (np.asarray(a) for a in (stories, questions, lengths))
    c, p = config, params
    if stories.ndim != 3 or stories.shape[1] > c.memory_size or stories.shape[2] != c.words:
        raise ValueError(f"stories must be (B, M <= {c.memory_size}, {c.words}), "
                         f"got {stories.shape}")
    batch, m, _ = stories.shape
    if questions.shape != (batch, c.words) or lengths.shape != (batch,):
        raise ValueError(f"questions {questions.shape} must be ({batch}, {c.words}) and lengths "
                         f"{lengths.shape} ({batch},)")
    if lengths.min() < 1 or lengths.max() > m:
        raise ValueError(f"lengths must lie in 1..{m}, got {lengths.min()}..{lengths.max()}")
    dtype = p["E0"].dtype
    K, d = c.hops, c.d
    x_a, x_b = bag_of_words(stories, c.vocab, dtype)              # (B, M, vocab) each
    q_a, q_b = bag_of_words(questions, c.vocab, dtype)            # (B, vocab)
    ages = _ages(lengths, m)
    mask = padding_mask(lengths, m)                               # (B, 1, M)
    # all K + 1 tables side by side: emb[k] = E_k-embedding of every sentence + T_k[age]
    words, kappa = _embed(x_a, x_b, np.concatenate([p[f"E{k}"] for k in range(K + 1)], 1), d)
    when = nn.embedding(ages, np.concatenate([p[f"T{k}"] for k in range(K + 1)], 1))
    both = words + when
    emb = [both[..., k * d:(k + 1) * d] for k in range(K + 1)]
    u = _embed(q_a, q_b, p["E0"], d)[0]                           # (B, d)
    states, weights = [u], []
    for k in range(K):
        query = u[:, None, :]
        if linear:
            o, w = unnormalised_attention(query, emb[k], emb[k + 1], mask)
        else:
            o, w = scaled_dot_product_attention(query, emb[k], emb[k + 1], mask=mask, scale=1.0)
        u = u + o[:, 0]
        states.append(u)
        weights.append(w[:, 0])
    logits = nn.linear(u, p[f"E{K}"].T, np.zeros(c.vocab, dtype))
    cache = {"x": (x_a, x_b), "q": (q_a, q_b), "kappa": kappa, "ages": ages, "mask": mask,
             "emb": emb, "states": states, "weights": np.stack(weights, axis=1),
             "linear": linear}
    return logits, cache


def backward(d_logits, params: dict, config: MemNetConfig, cache: dict) -> dict:
    """Gradients of every parameter given ``d_logits`` and :func:`forward`'s cache."""
    c, p = config, params
    K, d = c.hops, c.d
    states, emb, weights, mask = cache["states"], cache["emb"], cache["weights"], cache["mask"]
    du, dw, _ = nn.linear_backward(d_logits, states[K], p[f"E{K}"].T)
    d_emb = [np.zeros_like(e) for e in emb]
    for k in reversed(range(K)):
        query = states[k][:, None, :]
        w = weights[:, k][:, None, :]
        d_out = du[:, None, :]
        if cache["linear"]:
            dq, dm, dc = unnormalised_attention_backward(d_out, query, emb[k], emb[k + 1], w, mask)
        else:
            dq, dm, dc = nn.scaled_dot_product_attention_backward(
                d_out, query, emb[k], emb[k + 1], w, scale=1.0)
        d_emb[k] += dm
        d_emb[k + 1] += dc
        du = du + dq[:, 0]   # u^{k+1} = u^k + o^k: the residual passes du through
    d_both = np.concatenate(d_emb, axis=-1)                       # (B, M, (K+1) d)
    (x_a, x_b), (q_a, q_b), kappa = cache["x"], cache["q"], cache["kappa"]
    tables = np.concatenate([p[f"E{k}"] for k in range(K + 1)], 1)
    d_tables = (nn.linear_backward(d_both, x_a, tables)[1]
                + nn.linear_backward(kappa * d_both, x_b, tables)[1])
    d_times = nn.embedding_backward(d_both, cache["ages"], c.memory_size)
    grads = {}
    for k in range(K + 1):
        grads[f"E{k}"] = d_tables[:, k * d:(k + 1) * d]
        grads[f"T{k}"] = d_times[:, k * d:(k + 1) * d]
    grads[f"E{K}"] = grads[f"E{K}"] + dw.T
    grads["E0"] = (grads["E0"] + nn.linear_backward(du, q_a, p["E0"])[1]
                   + nn.linear_backward(kappa[:d] * du, q_b, p["E0"])[1])
    return {n: np.ascontiguousarray(grads[n]) for n in p}


def loss_and_grads(params: dict, config: MemNetConfig, stories, questions, lengths, answers,
                   linear: bool = False):
    """Cross-entropy of a batch and the gradients of all parameters: ``(loss, grads, logits)``."""
    logits, cache = forward(params, config, stories, questions, lengths, linear)
    loss = nn.cross_entropy(logits, answers)
    grads = backward(nn.cross_entropy_backward(logits, answers), params, config, cache)
    return loss, grads, logits


# --- training -----------------------------------------------------------------------------------

def _with_noise(stories, lengths, rate: float, m: int, rng: np.random.Generator):
    """Insert empty sentences (all padding) at random: before each real sentence one with
    probability ``rate``, as long as the story still fits ``m`` slots. Returns the new stories,
    trimmed to the longest, and lengths."""
    batch, m0, _ = stories.shape
    real = np.arange(m0)[None, :] < lengths[:, None]
    insert = (rng.random((batch, m0)) < rate) & real
    insert &= np.cumsum(insert, axis=1) <= (m - lengths)[:, None]
    shift = np.cumsum(insert, axis=1)
    new_lengths = lengths + shift[:, -1]
    out = np.zeros((batch, int(new_lengths.max()), stories.shape[2]), dtype=stories.dtype)
    rows, cols = np.nonzero(real)
    out[rows, cols + shift[rows, cols]] = stories[rows, cols]
    return out, new_lengths


def train(task: str, config: MemNetConfig = MemNetConfig(), tc: TrainingConfig = TrainingConfig(),
          progress=None) -> tuple[dict, dict]:
    """Train a model for ``task`` from scratch, reproducibly (BLAS on one thread, see
    :func:`attnbook.datemodel.train`). Returns ``(params, log)``: ``log`` holds per epoch the
    mean training ``loss`` and the validation ``valid_accuracy`` (of the model as it is in that
    epoch: without the hops' softmax during linear start), ``seconds`` (wall-clock time) and
    ``cpu_seconds`` (CPU time of this process; the two differ on a busy machine)."""
    with one_blas_thread():
        return _train(task, config, tc, progress)


def _train(task, config, tc, progress):
    examples = babi.split(task, "train")[:tc.examples]
    stories, questions, lengths, answers = babi.encode(examples)
    valid = babi.encode(babi.split(task, "valid"))
    params = init_params(config, tc.seed, tc.init_std)
    opt = nn.Adam(params, lr=tc.lr)
    rng = np.random.default_rng(tc.seed + 1)
    n = len(examples)
    steps_per_epoch = n // tc.batch_size
    log = {"loss": [], "valid_accuracy": []}
    start, cpu_start = time.perf_counter(), time.process_time()
    for epoch in range(tc.epochs):
        linear = epoch < tc.linear_start_epochs
        order = rng.permutation(n)
        losses = []
        for s in range(steps_per_epoch):
            idx = order[s * tc.batch_size:(s + 1) * tc.batch_size]
            st, ln = _with_noise(stories[idx], lengths[idx], tc.random_noise,
                                 config.memory_size, rng)
            loss, grads, _ = loss_and_grads(params, config, st, questions[idx], ln,
                                            answers[idx], linear)
            if not math.isfinite(loss):
                raise FloatingPointError(f"the loss became {loss} in epoch {epoch}")
            nn.clip_grad_norm(grads, tc.clip)
            opt.lr = tc.learning_rate(epoch + s / steps_per_epoch)
            opt.step(grads)
            losses.append(loss)
        logits, _ = forward(params, config, *valid[:3], linear=linear)
        log["loss"].append(float(np.mean(losses)))
        log["valid_accuracy"].append(float((logits.argmax(axis=1) == valid[3]).mean()))
        if progress:
            progress(task, epoch, log)
    log = {k: np.asarray(v) for k, v in log.items()}
    log["seconds"] = np.asarray(time.perf_counter() - start)
    log["cpu_seconds"] = np.asarray(time.process_time() - cpu_start)
    return params, log


def save(path: Path, config: MemNetConfig, tc: TrainingConfig, models: dict) -> None:
    """Write every task's weights (float32) and training log to one compressed ``.npz``, with
    fixed time stamps so the same training writes the same bytes. ``models``: task →
    ``(params, log)``."""
    arrays = {"config": np.asarray(json.dumps(asdict(config))),
              "training": np.asarray(json.dumps(asdict(tc)))}
    for task, (params, log) in models.items():
        arrays.update({f"{task}/params/{k}": v.astype(np.float32) for k, v in params.items()})
        arrays.update({f"{task}/log/{k}": v for k, v in log.items()
                       if k not in ("seconds", "cpu_seconds")})
    write_npz(path, arrays)


def _read(path: Path | None, prefix: str = "") -> dict:
    """The arrays of the weights file (default: the shipped one) whose names start
    with ``prefix`` (all if it is empty), with ``config`` and ``training`` always;
    only those are decompressed (one task's model is a quarter of the file)."""
    return read_npz(WEIGHTS_PATH if path is None else path, "memnet",
                    *(("config", "training", prefix) if prefix else ()))


def load_training_config(path: Path | None = None) -> TrainingConfig:
    """How the stored weights were trained."""
    return TrainingConfig(**json.loads(str(_read(path, "training")["training"])))


def load_training_log(task: str, path: Path | None = None) -> dict[str, np.ndarray]:
    """The training log of ``task``'s model stored with the weights (see :func:`train`)."""
    prefix = f"{task}/log/"
    return {k[len(prefix):]: v for k, v in _read(path, prefix).items()
            if k.startswith(prefix)}


# --- using a trained model ----------------------------------------------------------------------

@dataclass
class Prediction:
    """What a model does with a batch of stories and questions."""

    stories: list            # list of lists of sentences
    questions: list[str]
    answers: list[str]       # the predicted words
    probabilities: np.ndarray  # (B, vocab)
    weights: np.ndarray      # (B, K, M): hop k's attention over sentence i (0 beyond a story)

    def hop_weights(self, b: int = 0) -> np.ndarray:
        """``(K, n)``: each hop's weights over the ``n`` sentences of story ``b``."""
        return self.weights[b, :, :len(self.stories[b])]


@dataclass
class Hop:
    r"""One hop of one example, as a lookup: ``query`` :math:`\mathbf u^k` ``(d,)``, ``keys``
    :math:`\mathbf m^k_i` and ``values`` :math:`\mathbf c^k_i` ``(n, d)``, ``weights``
    :math:`p^k_i` ``(n,)`` and ``output`` :math:`\mathbf o^k` ``(d,)``."""

    query: np.ndarray
    keys: np.ndarray
    values: np.ndarray
    weights: np.ndarray
    output: np.ndarray


class MemNet:
    """A trained memory network for one task: ``MemNet.load("two")``.

    >>> model = MemNet.load("single")                                  # doctest: +SKIP
    >>> model.answer(["mary went to the kitchen"], "where is mary")    # doctest: +SKIP
    'kitchen'
    """

    def __init__(self, task: str, params: dict, config: MemNetConfig = MemNetConfig()):
        if task not in babi.TASKS:
            raise ValueError(f"task must be one of {babi.TASKS}, got {task!r}")
        expected = init_params(config).keys()
        if params.keys() != expected:
            raise ValueError(f"params do not fit the config: {sorted(set(params) ^ set(expected))}")
        self.task, self.config = task, config
        self.params = {k: np.asarray(v, dtype=np.float32) for k, v in params.items()}

    @classmethod
    def load(cls, task: str, path: Path | None = None) -> "MemNet":
        """The shipped model of ``task`` (one of :data:`attnbook.babi.TASKS`)."""
        if task not in babi.TASKS:
            raise ValueError(f"task must be one of {babi.TASKS}, got {task!r}")
        prefix = f"{task}/params/"
        data = _read(path, prefix)
        config = MemNetConfig(**json.loads(str(data["config"])))
        params = {k[len(prefix):]: v for k, v in data.items() if k.startswith(prefix)}
        if not params:
            raise ValueError(f"{path or WEIGHTS_PATH} has no model for task {task!r}")
        return cls(task, params, config)

    @property
    def num_parameters(self) -> int:
        return int(sum(v.size for v in self.params.values()))

    def run(self, examples) -> Prediction:
        """Answer a list of :class:`attnbook.babi.Example` (or ``(story, question)`` pairs,
        ``story`` a list of sentences) and keep every hop's weights."""
        pairs = [(list(e.story), e.question) if isinstance(e, babi.Example) else
                 (list(e[0]), babi.parse_question(e[1])) for e in examples]
        if not pairs:
            raise ValueError("no examples")
        for story, _ in pairs:
            if not story:
                raise ValueError("a story needs at least one sentence")
            if len(story) > self.config.memory_size:
                raise ValueError(f"a story has {len(story)} sentences; the memory holds "
                                 f"{self.config.memory_size}")
        fake = [babi.Example(self.task, tuple(babi.parse_question(s) for s in story), q, "", ())
                for story, q in pairs]
        stories, questions, lengths, _ = babi.encode(fake)
        logits, cache = forward(self.params, self.config, stories, questions, lengths)
        probs = np.exp(nn.log_softmax(logits))
        vocab = babi.vocabulary()
        return Prediction([list(f.story) for f in fake], [f.question for f in fake],
                          [vocab[i] for i in logits.argmax(axis=1)], probs, cache["weights"])

    def trace(self, example) -> list["Hop"]:
        """Every hop of one example (an :class:`attnbook.babi.Example` or a ``(story,
        question)`` pair) as a lookup: its query, keys, values, weights and output."""
        pred = self.run([example])
        fake = babi.Example(self.task, tuple(pred.stories[0]), pred.questions[0], "", ())
        stories, questions, lengths, _ = babi.encode([fake])
        _, cache = forward(self.params, self.config, stories, questions, lengths)
        n = int(lengths[0])
        hops = []
        for k in range(self.config.hops):
            query = cache["states"][k][0]
            hops.append(Hop(query, cache["emb"][k][0, :n], cache["emb"][k + 1][0, :n],
                            cache["weights"][0, k, :n], cache["states"][k + 1][0] - query))
        return hops

    def answer(self, story, question: str) -> str:
        """The model's answer to ``question`` about ``story`` (a list of sentences)."""
        return self.run([(story, question)]).answers[0]


def task_of_question(question: str) -> str:
    """Which task's model answers ``question``: *where is the <object>* → ``"two"``, *where
    is <person>* → ``"single"``, *where was the <object> before the <place>* → ``"three"``,
    *is <person> in the <place>* → ``"yes_no"``; anything else raises ``ValueError``."""
    words = babi.parse_question(question).split()
    people, places, objects = set(babi.PEOPLE), set(babi.PLACES), set(babi.OBJECTS)
    if len(words) == 3 and words[:2] == ["where", "is"] and words[2] in people:
        return "single"
    if len(words) == 4 and words[:3] == ["where", "is", "the"] and words[3] in objects:
        return "two"
    if (len(words) == 7 and words[:3] == ["where", "was", "the"] and words[3] in objects
            and words[4:6] == ["before", "the"] and words[6] in places):
        return "three"
    if (len(words) == 5 and words[0] == "is" and words[1] in people
            and words[2:4] == ["in", "the"] and words[4] in places):
        return "yes_no"
    raise ValueError(f"{question!r} is not a question the models were trained on; ask "
                     "'where is mary', 'where is the milk', 'where was the milk before the "
                     "kitchen' or 'is mary in the kitchen'")


@dataclass
class Evaluation:
    """Held-out accuracy of a model and where its hops look."""

    task: str
    accuracy: float
    hop_on_support: np.ndarray   # (K,): fraction of questions whose hop-k arg-max is a support
    n: int
    errors: list                 # (index, example, predicted answer) of every wrong answer
    prediction: Prediction | None = None  # the model's run on the examples

    def row(self) -> str:
        hops = "  ".join(f"{r:6.1%}" for r in self.hop_on_support)
        return f"{self.task:<8} {self.accuracy:8.1%}   {hops}"


def evaluate(model: MemNet, examples=None) -> Evaluation:
    """Accuracy of ``model`` on ``examples`` (default: its task's 1,000 test questions) and, per
    hop, how often the sentence with the highest weight is a supporting fact. The
    run itself (answers and every hop's weights) is kept as ``prediction``: nothing
    needs to run the model on the same questions twice."""
    examples = list(babi.split(model.task, "test") if examples is None else examples)
    pred = model.run(examples)
    right = np.array([a == e.answer for a, e in zip(pred.answers, examples)])
    top = pred.weights.argmax(axis=2)                                   # (B, K)
    on = np.array([[t in e.support for t in row] for row, e in zip(top, examples)])
    errors = [(i, e, a) for i, (e, a, r) in enumerate(zip(examples, pred.answers, right)) if not r]
    return Evaluation(model.task, float(right.mean()), on.mean(axis=0),
                      len(examples), errors, pred)


# --- command line -------------------------------------------------------------------------------

class _Parser(argparse.ArgumentParser):
    def error(self, message):  # one line, not usage + message
        self.exit(2, f"{self.prog}: error: {message}\n")


def main(argv=None) -> int:
    parser = _Parser(prog="python -m attnbook.memnet_cli",
                     description="Train or evaluate chapter 12's memory networks.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    t = sub.add_parser("train", help="train the task models from scratch (seeded)")
    t.add_argument("--out", type=Path, default=WEIGHTS_PATH)
    t.add_argument("--epochs", type=int, default=TrainingConfig.epochs)
    t.add_argument("--seed", type=int, default=TrainingConfig.seed)
    t.add_argument("--task", choices=babi.TASKS, action="append",
                   help="train only this task (repeatable); default: all four")
    e = sub.add_parser("evaluate", help="held-out accuracy and hop-on-support rates per task")
    e.add_argument("--weights", type=Path, default=WEIGHTS_PATH)
    args = parser.parse_args(argv)

    if args.command == "train":
        if args.epochs < 1:
            parser.error(f"--epochs must be >= 1, got {args.epochs}")
        config = MemNetConfig()
        tc = TrainingConfig(epochs=args.epochs, seed=args.seed,
                            linear_start_epochs=min(TrainingConfig.linear_start_epochs,
                                                    args.epochs // 2))

        def progress(task, epoch, log):
            if epoch % 5 == 4 or epoch == tc.epochs - 1:
                print(f"{task:<7} epoch {epoch + 1:3d}  loss {log['loss'][-1]:.4f}  "
                      f"validation accuracy {log['valid_accuracy'][-1]:6.1%}", flush=True)

        models = {}
        for task in args.task or babi.TASKS:
            params, log = train(task, config, tc, progress)
            models[task] = (params, log)
            print(f"{task}: trained {tc.epochs} epochs in {float(log['seconds']):.0f} s "
                  f"({float(log['cpu_seconds']):.0f} s of CPU time)", flush=True)
        save(args.out, config, tc, models)
        print(f"wrote {args.out} ({args.out.stat().st_size:,} bytes)")
        return 0

    try:
        models = {task: MemNet.load(task, args.weights) for task in babi.TASKS}
    except (FileNotFoundError, ValueError) as err:
        print(f"{parser.prog}: error: {err}", file=sys.stderr)
        return 1
    hops = models["single"].config.hops
    print("Held-out test questions (1,000 per task): accuracy, and how often each hop's "
          "highest weight is on a supporting fact")
    print(f"{'task':<8} {'accuracy':>8}   " + "  ".join(f"hop {k + 1:d}  " for k in range(hops))
          + "  wrong   our error   paper's error (Table 1, 1k, PE LS RN)")
    results = {}
    for task, model in models.items():
        r = results[task] = evaluate(model)
        paper = PAPER_TABLE1.get(task)
        print(f"{r.row()}   {len(r.errors):5d}   {100 * (1 - r.accuracy):8.1f} %   "
              + (f"{paper:.1f} % (bAbI task {BABI_TASK[task]})" if paper is not None else "-"))
    print(f"{models['single'].num_parameters:,} parameters per task model")
    timeless = MemNet("single", {n: np.zeros_like(t) if n.startswith("T") else t
                                 for n, t in models["single"].params.items()})
    print(f"single without its temporal encoding: {evaluate(timeless).accuracy:.1%} "
          "(exercise 12.4)")
    examples = list(babi.split("two", "test"))
    pred = results["two"].prediction          # the run evaluate kept
    top = pred.weights.argmax(axis=2)
    missed = sum(a == e.answer and not any(i in e.support for i in t)
                 for e, a, t in zip(examples, pred.answers, top))
    print(f"two: {missed} right answers with no hop on a supporting fact (exercise 12.5)")
    return 0
