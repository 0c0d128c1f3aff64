r"""Chapter 8's model: a small transformer that reads a date and writes it in ISO form.

    python -m attnbook.datemodel_cli train      # re-train from scratch (seeded), write the weights
    python -m attnbook.datemodel_cli evaluate   # held-out exact-match accuracy per format
    python -m attnbook.datemodel_cli predict "23 November 2026" "Monday 23 Nov 26"

The model (every layer from :mod:`attnbook.nn`, every attention from :mod:`attnbook.attention`):

1. **Characters in.** The input string (at most 32 characters, padded) is embedded,
   :math:`X^{(0)} = E[\text{ids}] + PE`, with the sinusoidal position encodings of
   :func:`attnbook.sinusoidal_positional_encoding`.
2. **Encoder.** ``num_layers`` pre-norm blocks of multi-head self-attention and a feed-forward
   network, each added back onto its input (a residual connection):

   .. math::

       X \leftarrow X + \operatorname{MHA}(\operatorname{LN}(X)), \qquad
       X \leftarrow X + \operatorname{ReLU}(\operatorname{LN}(X) W_1 + \mathbf b_1) W_2 + \mathbf b_2

   Padding is masked: no query attends to a padded key. The encoder's output, after a last layer
   norm, is the *memory* :math:`Z \in \mathbb R^{L \times d}`, one vector per input character.
3. **Cross-attention.** Ten learned query vectors :math:`P \in \mathbb R^{10 \times d}`, one per
   output character, attend to the memory: :math:`Y = P + \operatorname{MHA}(\operatorname{LN}(P),
   Z, Z)`, then a feed-forward block as above. Its weights, shape ``(heads, 10, L)``, say which input
   characters each output character reads: the alignment the chapter draws.
4. **Characters out.** :math:`\operatorname{LN}(Y) W_\text{out} + \mathbf b_\text{out}` gives 11
   logits (``0``–``9`` and ``-``) for each of the 10 output positions, all predicted at once.

Training minimises the mean cross-entropy of the 10 characters with Adam, on fresh random examples
at every step (:func:`attnbook.dates.sample`); every gradient is computed by the hand-written
``*_backward`` functions of :mod:`attnbook.nn`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import sys
import tempfile
import time
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import NamedTuple

import numpy as np

from . import dates as D
from . import nn
from ._blas import on_every_core, one_blas_thread
from ._npz import write_npz
from ._checks import nonnegative_int, positive_int
from .attention import MultiHeadAttention, padding_mask
from .plotting import heatmap
from .positional import sinusoidal_positional_encoding

__all__ = [
    "DateModelConfig",
    "TrainingConfig",
    "init_params",
    "forward",
    "backward",
    "loss_and_grads",
    "train",
    "DateModel",
    "Prediction",
    "CheckedDate",
    "CONFIDENCE_THRESHOLD",
    "Evaluation",
    "evaluate",
    "load_training_log",
    "input_labels",
    "alignment_heatmap",
    "WEIGHTS_PATH",
]

WEIGHTS_PATH = Path(__file__).resolve().parent / "data" / "datemodel.npz"


@dataclass(frozen=True)
class DateModelConfig:
    """Sizes of the model."""

    d_model: int = 64
    num_heads: int = 4
    d_ff: int = 128
    num_layers: int = 2
    max_len: int = D.MAX_INPUT_LENGTH
    vocab_in: int = len(D.INPUT_CHARS)
    vocab_out: int = len(D.OUTPUT_CHARS)
    out_len: int = D.OUTPUT_LENGTH

    def __post_init__(self):
        if isinstance(self.num_layers, bool) or not isinstance(self.num_layers, int) or self.num_layers < 0:
            raise ValueError(f"num_layers must be an int >= 0, got {self.num_layers!r}")
        for name in ("d_model", "num_heads", "d_ff", "max_len", "vocab_in",
                     "vocab_out", "out_len"):
            positive_int(getattr(self, name), name)
        if self.d_model % self.num_heads or self.d_model % 2:
            raise ValueError(f"d_model={self.d_model} must be even and divisible by "
                             f"num_heads={self.num_heads}")


@dataclass(frozen=True)
class TrainingConfig:
    """How the shipped weights were trained (``make train`` uses these defaults)."""

    steps: int = 1500
    batch_size: int = 128
    lr: float = 3e-3
    warmup: int = 100            # linear warm-up steps, then cosine decay to lr_min
    lr_min: float = 1e-4
    clip: float = 1.0            # gradient norm clipping
    seed: int = 0                # initialisation and the stream of training examples
    eval_every: int = 50         # held-out accuracy on eval_per_format x 11 examples
    eval_per_format: int = 100
    checkpoints: tuple[int, ...] = (0, 50, 100, 150, 200, 250, 300, 400, 600, 1000)

    def __post_init__(self):
        for name in ("steps", "batch_size", "eval_every", "eval_per_format"):
            positive_int(getattr(self, name), name)
        nonnegative_int(self.seed, "seed")
        nonnegative_int(self.warmup, "warmup")

    def learning_rate(self, step: int) -> float:
        """Learning rate of step ``step`` (0-based): linear warm-up, then cosine decay."""
        if step < self.warmup:
            return self.lr * (step + 1) / self.warmup
        t = (step - self.warmup) / max(1, self.steps - self.warmup)
        return self.lr_min + 0.5 * (self.lr - self.lr_min) * (1 + math.cos(math.pi * t))


# --- parameters ---------------------------------------------------------------------------------

def _mha_names(prefix: str) -> list[str]:
    return [f"{prefix}.{n}" for n in nn.MHA_PARAMS]


def init_params(config: DateModelConfig = DateModelConfig(), seed: int = 0,
                dtype=np.float32) -> dict[str, np.ndarray]:
    """Random initial parameters: Xavier-uniform weight matrices (as
    :class:`attnbook.MultiHeadAttention`), zero biases, layer norms at ``gamma = 1, beta = 0``,
    embeddings and output queries from :math:`\\mathcal N(0, 1)`."""
    rng = np.random.default_rng(seed)
    c = config
    p: dict[str, np.ndarray] = {}

    def xavier(d_in, d_out):
        return nn.xavier_uniform(rng, d_in, d_out)

    def ln(prefix):
        p[f"{prefix}.gamma"] = np.ones(c.d_model)
        p[f"{prefix}.beta"] = np.zeros(c.d_model)

    def attn(prefix):
        for n in ("w_q", "w_k", "w_v", "w_o"):
            p[f"{prefix}.{n}"] = xavier(c.d_model, c.d_model)
        for n in ("b_q", "b_k", "b_v", "b_o"):
            p[f"{prefix}.{n}"] = np.zeros(c.d_model)

    def ff(prefix):
        p[f"{prefix}.w1"] = xavier(c.d_model, c.d_ff)
        p[f"{prefix}.b1"] = np.zeros(c.d_ff)
        p[f"{prefix}.w2"] = xavier(c.d_ff, c.d_model)
        p[f"{prefix}.b2"] = np.zeros(c.d_model)

    p["embed"] = rng.standard_normal((c.vocab_in, c.d_model))
    for layer in range(c.num_layers):
        ln(f"enc{layer}.ln1")
        attn(f"enc{layer}.attn")
        ln(f"enc{layer}.ln2")
        ff(f"enc{layer}.ff")
    ln("enc.ln")
    p["dec.queries"] = rng.standard_normal((c.out_len, c.d_model))
    ln("dec.ln1")
    attn("dec.attn")
    ln("dec.ln2")
    ff("dec.ff")
    ln("out.ln")
    p["out.w"] = xavier(c.d_model, c.vocab_out)
    p["out.b"] = np.zeros(c.vocab_out)
    return {k: v.astype(dtype) for k, v in p.items()}


def num_parameters(params: dict) -> int:
    """Total number of scalars in ``params``."""
    return int(sum(v.size for v in params.values()))


# --- forward and backward -----------------------------------------------------------------------

def _sub(params: dict, prefix: str) -> dict:
    n = len(prefix) + 1
    return {k[n:]: v for k, v in params.items() if k.startswith(prefix + ".")}


def _ff_forward(p: dict, prefix: str, x: np.ndarray, cache: dict) -> np.ndarray:
    h = nn.layer_norm(x, p[f"{prefix}.ln2.gamma"], p[f"{prefix}.ln2.beta"])
    pre = nn.linear(h, p[f"{prefix}.ff.w1"], p[f"{prefix}.ff.b1"])
    act = nn.relu(pre)
    cache[prefix + ".ff"] = (x, h, pre, act)
    return x + nn.linear(act, p[f"{prefix}.ff.w2"], p[f"{prefix}.ff.b2"])


def _ff_backward(dy: np.ndarray, p: dict, prefix: str, cache: dict, g: dict) -> np.ndarray:
    x, h, pre, act = cache[prefix + ".ff"]
    d_act, g[f"{prefix}.ff.w2"], g[f"{prefix}.ff.b2"] = nn.linear_backward(dy, act, p[f"{prefix}.ff.w2"])
    d_pre = nn.relu_backward(d_act, pre)
    dh, g[f"{prefix}.ff.w1"], g[f"{prefix}.ff.b1"] = nn.linear_backward(d_pre, h, p[f"{prefix}.ff.w1"])
    dx, g[f"{prefix}.ln2.gamma"], g[f"{prefix}.ln2.beta"] = nn.layer_norm_backward(
        dh, x, p[f"{prefix}.ln2.gamma"])
    return dy + dx  # the residual passes dy through unchanged


def _positions(config: DateModelConfig, length: int, dtype) -> np.ndarray:
    return sinusoidal_positional_encoding(config.max_len, config.d_model)[:length].astype(dtype)


def forward(params: dict, config: DateModelConfig, ids) -> tuple[np.ndarray, dict]:
    """Logits of the 10 output characters for a batch of encoded inputs.

    Parameters
    ----------
    params : from :func:`init_params` or a trained model
    ids : int array ``(B, L)``, ``L <= config.max_len``, from :func:`attnbook.dates.encode_inputs`

    Returns
    -------
    logits : ``(B, out_len, vocab_out)``
    cache : dict; ``cache["weights"]`` holds the attention weights by layer name
        (``"enc0"``… ``(B, h, L, L)``, ``"cross"`` ``(B, h, out_len, L)``), and the rest is what
        :func:`backward` needs.
    """
    ids = np.asarray(ids)
    if ids.ndim != 2 or ids.shape[1] > config.max_len:
        raise ValueError(f"ids must be (B, L) with L <= {config.max_len}, got shape {ids.shape}")
    c, p = config, params
    dtype = p["embed"].dtype
    batch, length = ids.shape
    cache: dict = {"ids": ids, "weights": {}}
    key_mask = padding_mask((ids != D.PAD).sum(axis=1), length)  # (B, 1, L), True = real character
    if (ids[:, 0] == D.PAD).any():
        raise ValueError("every input needs at least one character")

    x = nn.embedding(ids, p["embed"]) + _positions(c, length, dtype)
    for layer in range(c.num_layers):
        pre = f"enc{layer}"
        h = nn.layer_norm(x, p[f"{pre}.ln1.gamma"], p[f"{pre}.ln1.beta"])
        a, w, mha_cache = nn.multi_head_attention(_sub(p, f"{pre}.attn"), h, h, h, c.num_heads,
                                                  mask=key_mask)
        cache[pre + ".attn"] = (x, mha_cache)
        cache["weights"][pre] = w
        x = _ff_forward(p, pre, x + a, cache)
    z = nn.layer_norm(x, p["enc.ln.gamma"], p["enc.ln.beta"])
    cache["enc.ln"] = x

    y0 = np.broadcast_to(p["dec.queries"], (batch, c.out_len, c.d_model))
    hq = nn.layer_norm(y0, p["dec.ln1.gamma"], p["dec.ln1.beta"])
    a, w, mha_cache = nn.multi_head_attention(_sub(p, "dec.attn"), hq, z, z, c.num_heads,
                                              mask=key_mask)
    cache["dec.attn"] = (y0, mha_cache)
    cache["weights"]["cross"] = w
    y = _ff_forward(p, "dec", y0 + a, cache)
    hy = nn.layer_norm(y, p["out.ln.gamma"], p["out.ln.beta"])
    cache["out"] = (y, hy)
    return nn.linear(hy, p["out.w"], p["out.b"]), cache


def backward(d_logits: np.ndarray, params: dict, config: DateModelConfig, cache: dict) -> dict:
    """Gradients of every parameter, given ``d_logits`` (the gradient of the loss with respect to
    the logits :func:`forward` returned) and its ``cache``. Returns a dict like ``params``."""
    c, p = config, params
    g: dict[str, np.ndarray] = {}
    y, hy = cache["out"]
    dhy, g["out.w"], g["out.b"] = nn.linear_backward(d_logits, hy, p["out.w"])
    dy, g["out.ln.gamma"], g["out.ln.beta"] = nn.layer_norm_backward(dhy, y, p["out.ln.gamma"])
    dy = _ff_backward(dy, p, "dec", cache, g)

    y0, mha_cache = cache["dec.attn"]
    d_hq, dz_k, dz_v, g_attn = nn.multi_head_attention_backward(dy, _sub(p, "dec.attn"), mha_cache)
    g.update({f"dec.attn.{n}": v for n, v in g_attn.items()})
    dy0, g["dec.ln1.gamma"], g["dec.ln1.beta"] = nn.layer_norm_backward(d_hq, y0, p["dec.ln1.gamma"])
    g["dec.queries"] = (dy + dy0).sum(axis=0)  # the same queries serve every example

    dx, g["enc.ln.gamma"], g["enc.ln.beta"] = nn.layer_norm_backward(dz_k + dz_v, cache["enc.ln"],
                                                                     p["enc.ln.gamma"])
    for layer in reversed(range(c.num_layers)):
        pre = f"enc{layer}"
        dx = _ff_backward(dx, p, pre, cache, g)
        x, mha_cache = cache[pre + ".attn"]
        dq, dk, dv, g_attn = nn.multi_head_attention_backward(dx, _sub(p, f"{pre}.attn"), mha_cache)
        g.update({f"{pre}.attn.{n}": v for n, v in g_attn.items()})
        dh = dq + dk + dv
        dxn, g[f"{pre}.ln1.gamma"], g[f"{pre}.ln1.beta"] = nn.layer_norm_backward(
            dh, x, p[f"{pre}.ln1.gamma"])
        dx = dx + dxn
    g["embed"] = nn.embedding_backward(dx, cache["ids"], c.vocab_in)
    return {k: g[k] for k in p}


def loss_and_grads(params: dict, config: DateModelConfig, ids, targets):
    """Cross-entropy of a batch and the gradients of all parameters.

    Returns ``(loss, grads, logits)``."""
    logits, cache = forward(params, config, ids)
    loss = nn.cross_entropy(logits, targets)
    grads = backward(nn.cross_entropy_backward(logits, targets), params, config, cache)
    return loss, grads, logits


# --- training -----------------------------------------------------------------------------------

def _exact_and_char_accuracy(logits: np.ndarray, targets: np.ndarray) -> tuple[float, float]:
    correct = logits.argmax(axis=-1) == targets
    return float(correct.all(axis=1).mean()), float(correct.mean())


def train(config: DateModelConfig = DateModelConfig(), tc: TrainingConfig = TrainingConfig(),
          progress=None) -> tuple[dict, dict, dict]:
    """Train from scratch, reproducibly: the same configs give the same weights.

    Parameters
    ----------
    progress : callable ``progress(step, log)``, called after every evaluation (e.g. to print)

    Returns
    -------
    params : dict of float32 arrays, the trained weights
    log : dict of arrays: ``step``, ``loss``, ``train_exact`` (every step) and ``eval_step``,
        ``eval_exact``, ``eval_char``, ``eval_loss`` (held-out, every ``eval_every`` steps),
        ``seconds`` (wall-clock time of the training loop)
    checkpoints : dict step → copy of the params at the start of that step (``steps`` = final)

    BLAS runs on one thread while training (``threadpoolctl``, through ``one_blas_thread``): a multi-threaded matrix product
    may add its terms in another order and round differently, and over a thousand steps those
    last-bit differences grow into different weights. With one thread every run gives the same
    weights, bit for bit, on a given machine and software stack (OpenBLAS picks its kernels by
    CPU model, so another CPU may round differently and land on slightly different, equally good
    weights). This model's small matrices gain nothing from a second thread anyway.
    """
    with one_blas_thread():
        return _train(config, tc, progress)


def _train(config: DateModelConfig, tc: TrainingConfig, progress) -> tuple[dict, dict, dict]:
    params = init_params(config, tc.seed)
    opt = nn.Adam(params, lr=tc.lr)
    rng = np.random.default_rng(tc.seed + 1)
    days = D.training_days()
    ev_in, ev_out, _ = D.test_set(tc.eval_per_format, seed=11)
    ev_ids, ev_targets = D.encode_inputs(ev_in), D.encode_targets(ev_out)
    log = {k: [] for k in ("step", "loss", "train_exact", "eval_step", "eval_exact", "eval_char",
                           "eval_loss")}
    checkpoints = {}

    def evaluate_now(step):
        logits, _ = forward(params, config, ev_ids)
        exact, char = _exact_and_char_accuracy(logits, ev_targets)
        log["eval_step"].append(step)
        log["eval_exact"].append(exact)
        log["eval_char"].append(char)
        log["eval_loss"].append(nn.cross_entropy(logits, ev_targets))
        if progress:
            progress(step, log)

    start = time.perf_counter()
    for step in range(tc.steps):
        if step in tc.checkpoints:
            checkpoints[step] = {k: v.copy() for k, v in params.items()}
        if step % tc.eval_every == 0:
            evaluate_now(step)
        inputs, targets, _ = D.sample(tc.batch_size, rng, days=days)
        ids, tgt = D.encode_inputs(inputs), D.encode_targets(targets)
        loss, grads, logits = loss_and_grads(params, config, ids, tgt)
        if not math.isfinite(loss):
            raise FloatingPointError(f"the loss became {loss} at step {step}")
        nn.clip_grad_norm(grads, tc.clip)
        opt.lr = tc.learning_rate(step)
        opt.step(grads)
        log["step"].append(step)
        log["loss"].append(loss)
        log["train_exact"].append(_exact_and_char_accuracy(logits, tgt)[0])
    evaluate_now(tc.steps)
    checkpoints[tc.steps] = {k: v.copy() for k, v in params.items()}
    log = {k: np.asarray(v) for k, v in log.items()}
    log["seconds"] = np.asarray(time.perf_counter() - start)
    return params, log, checkpoints


def save(path: Path, config: DateModelConfig, tc: TrainingConfig, params: dict, log: dict,
         checkpoints: dict) -> None:
    """Write weights (float32), checkpoints (float16, enough to draw them) and the training log
    to one compressed ``.npz``."""
    arrays = {"config": np.asarray(json.dumps(asdict(config))),
              "training": np.asarray(json.dumps(asdict(tc)))}
    arrays.update({f"params/{k}": v.astype(np.float32) for k, v in params.items()})
    for step, ckpt in checkpoints.items():
        if step == tc.steps:
            continue  # the final checkpoint is the params
        arrays.update({f"ckpt{step}/{k}": v.astype(np.float16) for k, v in ckpt.items()})
    arrays.update({f"log/{k}": v for k, v in log.items() if k != "seconds"})
    write_npz(path, arrays, force_zip64=True)


def _read(path: Path | None, *prefixes: str) -> dict:
    """The arrays of the weights file at ``path`` (default: the shipped one) whose
    names start with one of ``prefixes`` (all if none is given), with ``config`` and
    ``training`` always. Only those members are decompressed: the ten float16
    checkpoints are most of the file; the model or the training log need none."""
    path = WEIGHTS_PATH if path is None else Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist; train the model with `make train`")
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a directory, not a weights file (.npz)")
    if path.stat().st_size == 0:
        raise ValueError(f"{path} is empty, not a weights file (.npz)")
    if not zipfile.is_zipfile(path):
        raise ValueError(f"{path} is not a .npz weights file written by `make train`")
    try:
        with np.load(path, allow_pickle=False) as f:
            names = f.files
            missing = [k for k in ("config", "training") if k not in names]
            if not any(k.startswith("params/") for k in names):
                missing.append("params/...")
            if missing:
                raise LookupError(", ".join(missing))
            wanted = ("config", "training") + prefixes if prefixes else ("",)
            data = {k: f[k] for k in names if k.startswith(wanted)}
    except LookupError as error:
        raise ValueError(f"{path} is a .npz file but not the date model's weights: "
                         f"it lacks {error.args[0]}") from None
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as error:
        raise ValueError(f"{path} is not a readable .npz weights file: {error}") from None
    return data


def _checkpoint_steps(names, data: dict) -> list[int]:
    """The steps of the checkpoints among the member ``names`` of a weights file,
    then the final step (from ``data["training"]``)."""
    steps = sorted(int(k.split("/")[0][4:]) for k in names
                   if k.startswith("ckpt") and k.endswith("/embed"))
    return steps + [json.loads(str(data["training"]))["steps"]]


def load_training_log(path: Path | None = None) -> dict[str, np.ndarray]:
    """The training log stored with the weights (see :func:`train`)."""
    return {k[4:]: v for k, v in _read(path, "log/").items()
            if k.startswith("log/")}


# --- using a trained model ----------------------------------------------------------------------

@dataclass
class Prediction:
    """What the model does with a batch of strings."""

    inputs: list[str]
    outputs: list[str]           # the predicted ISO strings
    probabilities: np.ndarray    # (B, 10, 11): softmax over the output characters
    cross_weights: np.ndarray    # (B, h, 10, L): cross-attention, output chars x input chars
    self_weights: dict = field(default_factory=dict)  # "enc0"... -> (B, h, L, L)

    @property
    def confidence(self) -> np.ndarray:
        """``(B,)``: the probability the model gives the whole string it wrote, the product over
        the 10 output characters of the probability of the character chosen (the characters
        are predicted independently given the input, so this is the string's probability)."""
        return _confidence(self.probabilities)

    @property
    def valid(self) -> np.ndarray:
        """``(B,)`` bool: whether each output is a real calendar date (``2013-13-13`` is not)."""
        return np.array([_is_iso_date(o) for o in self.outputs], dtype=bool)

    @property
    def accepted(self) -> np.ndarray:
        """``(B,)`` bool: a valid date written with confidence >= :data:`CONFIDENCE_THRESHOLD`."""
        return self.valid & (self.confidence >= CONFIDENCE_THRESHOLD)

    def checked(self) -> list["CheckedDate"]:
        """One :class:`CheckedDate` per input."""
        return [_checked(t, o, c) for t, o, c in zip(self.inputs, self.outputs, self.confidence)]

    def alignment(self, b: int = 0) -> np.ndarray:
        """Head-averaged cross-attention of example ``b``, trimmed to its characters: ``(10, len)``."""
        n = len(self.inputs[b])
        return self.cross_weights[b].mean(axis=0)[:, :n]


def _confidence(probabilities: np.ndarray) -> np.ndarray:
    return np.exp(np.log(probabilities.max(axis=-1)).sum(axis=-1))


def _is_iso_date(text: str) -> bool:
    try:
        return len(text) == 10 and dt.date.fromisoformat(text).isoformat() == text
    except ValueError:
        return False


#: Below this confidence an output is not accepted (:attr:`Prediction.accepted`). Measured with
#: the shipped weights on all 120,516 held-out strings (all read exactly right): their lowest
#: confidence is 0.87 (0.91 over the 5,500 of ``make evaluate``; the median 0.999), so 0.85
#: accepts every held-out date. Of 1,000 random strings of 1-19 input characters, 58.7% come
#: out as a real date but only 3.4% are accepted (``tests/test_datemodel_cli.py`` re-checks a
#: sample of the held-out strings).
CONFIDENCE_THRESHOLD = 0.85


class CheckedDate(NamedTuple):
    """A prediction with what tells whether to trust it (:meth:`DateModel.predict_checked`)."""

    text: str            # the input
    output: str          # the ISO string the model wrote
    confidence: float    # probability of that string under the model (Prediction.confidence)
    valid: bool          # a real calendar date
    accepted: bool       # valid and confidence >= CONFIDENCE_THRESHOLD


def _checked(text: str, output: str, confidence) -> CheckedDate:
    valid = _is_iso_date(output)
    return CheckedDate(text, output, float(confidence), valid,
                       valid and float(confidence) >= CONFIDENCE_THRESHOLD)


def _texts(texts) -> list[str]:
    """``texts`` as a non-empty list of str, or a TypeError/ValueError naming ``texts``."""
    if isinstance(texts, str):
        return [texts]
    if texts is None or isinstance(texts, (bytes, dict)) or not hasattr(texts, "__iter__"):
        raise TypeError(f"texts must be a str or a list of str, got {type(texts).__name__}")
    texts = list(texts)
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"texts must be a str or a list of str, but texts[{i}] is "
                            f"{type(text).__name__} {text!r}")
    if not texts:
        raise ValueError("no input strings: texts is empty; give at least one string")
    return texts


class DateModel:
    """A trained date normaliser: ``DateModel.load()`` reads the shipped weights.

    >>> model = DateModel.load()
    >>> model.predict(["23 November 2026", "Monday 23 Nov 26"])
    ['2026-11-23', '2026-11-23']

    It only knows the formats of :data:`attnbook.dates.FORMATS`, but writes a string for any
    input; :meth:`predict_checked` adds the model's confidence and whether the output is a real
    date, to tell which outputs to trust.

    >>> [(r.output, r.valid, r.accepted) for r in model.predict_checked(["13/13/2013"])]
    [('2013-13-13', False, False)]
    """

    def __init__(self, params: dict, config: DateModelConfig = DateModelConfig(), step=None):
        expected = init_params(config, 0).keys()
        if params.keys() != expected:
            raise ValueError(f"params do not fit the config: {sorted(set(params) ^ set(expected))}")
        self.params = {k: np.asarray(v, dtype=np.float32) for k, v in params.items()}
        self.config = config
        self.step = step

    @classmethod
    def load(cls, step: int | None = None, path: Path | None = None) -> "DateModel":
        """The trained model, or the checkpoint saved at the start of training step ``step``
        (see :meth:`checkpoint_steps`)."""
        data = _read(path, "params/", *(() if step is None else (f"ckpt{step}/",)))
        config = DateModelConfig(**json.loads(str(data["config"])))
        final = json.loads(str(data["training"]))["steps"]
        prefix = "params/" if step is None or step == final else f"ckpt{step}/"
        params = {k[len(prefix):]: v for k, v in data.items() if k.startswith(prefix)}
        if not params:
            raise ValueError(f"no checkpoint at step {step}; there are {cls.checkpoint_steps(path)}")
        return cls(params, config, step=final if step is None else step)

    @staticmethod
    def checkpoint_steps(path: Path | None = None) -> list[int]:
        """Training steps at which weights are stored, the last being the trained model."""
        data = _read(path, "config")  # checks the file; reads no weights
        with zipfile.ZipFile(WEIGHTS_PATH if path is None else path) as zf:
            names = [name.removesuffix(".npy") for name in zf.namelist()]
        return _checkpoint_steps(names, data)

    @property
    def num_parameters(self) -> int:
        return num_parameters(self.params)

    def parameter_counts(self) -> dict[str, int]:
        """Number of parameters in each block of the model, in the order data flows through it."""
        def block(name: str) -> str:
            head = name.split(".")[0]
            if head.startswith("enc") and head != "enc":
                return f"encoder layer {int(head[3:]) + 1}"
            return {"embed": "character embedding", "enc": "encoder: final layer norm",
                    "out": "output layer"}.get(head, "output queries" if name == "dec.queries"
                                               else "cross-attention block")
        counts: dict[str, int] = {}
        for name, value in self.params.items():
            counts[block(name)] = counts.get(block(name), 0) + value.size
        return counts

    def run(self, texts, batch_size: int = 1024) -> Prediction:
        """Predict a list of strings and keep every attention weight."""
        texts = _texts(texts)
        batch_size = positive_int(batch_size, "batch_size")
        ids = D.encode_inputs(texts, min(self.config.max_len, max(map(len, texts))))
        chunks = []
        for i in range(0, len(texts), batch_size):
            logits, cache = forward(self.params, self.config, ids[i:i + batch_size])
            chunks.append((logits, cache["weights"]))
        logits = np.concatenate([ch[0] for ch in chunks])
        weights = {k: np.concatenate([ch[1][k] for ch in chunks]) for k in chunks[0][1]}
        probs = np.exp(nn.log_softmax(logits))
        cross = weights.pop("cross")
        return Prediction(texts, D.decode_outputs(logits.argmax(axis=-1)), probs, cross, weights)

    def predict(self, texts, batch_size: int = 256) -> list[str]:
        """The ISO dates the model writes for ``texts`` (a string or a list of strings).

        Runs ``batch_size`` strings at a time and keeps only the outputs (not the attention
        weights :meth:`run` keeps), so memory stays flat however many strings are given:
        chapter 8's 5,500-string evaluation peaked at ~820 MB through ``run``."""
        return self._outputs(texts, batch_size)[0]

    def predict_checked(self, texts, batch_size: int = 256) -> list[CheckedDate]:
        """Like :meth:`predict`, with each output's confidence, whether it is a real date, and
        whether to accept it (a real date with confidence >= :data:`CONFIDENCE_THRESHOLD`)."""
        texts = _texts(texts)
        outputs, confidence = self._outputs(texts, batch_size)
        return [_checked(t, o, c) for t, o, c in zip(texts, outputs, confidence)]

    def _outputs(self, texts, batch_size: int) -> tuple[list[str], np.ndarray]:
        """Outputs and confidences of ``texts``. Each distinct string runs once,
        shortest first, so that a batch pads its strings to nearly their own length
        (padding is masked out: a string's output does not depend on its batch, its
        confidence only to float32 rounding). The batches run on every core (the results
        are the same bit for bit as one after the other: each batch is computed alone)."""
        texts = _texts(texts)
        batch_size = positive_int(batch_size, "batch_size")
        if "" in texts:  # named by its place in texts, not in a batch
            raise ValueError(f"input {texts.index('')} is empty")
        distinct = sorted(dict.fromkeys(texts), key=len)
        chunks = [distinct[i:i + batch_size] for i in range(0, len(distinct), batch_size)]
        done: list = [None] * len(chunks)

        def run(b: int) -> None:
            ids = D.encode_inputs(chunks[b], min(self.config.max_len, len(chunks[b][-1])))
            logits, _ = forward(self.params, self.config, ids)
            done[b] = (D.decode_outputs(logits.argmax(axis=-1)),
                       _confidence(np.exp(nn.log_softmax(logits))))

        on_every_core(run, range(len(chunks)))
        outputs = [text for chunk_outputs, _ in done for text in chunk_outputs]
        confidence = np.concatenate([chunk_confidence for _, chunk_confidence in done])
        where = {text: i for i, text in enumerate(distinct)}
        order = np.array([where[text] for text in texts])
        return [outputs[i] for i in order], confidence[order]

    def encode(self, texts) -> tuple[np.ndarray, np.ndarray]:
        """The encoder's output for ``texts``: the memory :math:`Z` ``(B, L, d_model)`` that the
        output queries attend to, and the key mask ``(B, 1, L)`` (True = a real character)."""
        texts = _texts(texts)
        ids = D.encode_inputs(texts, min(self.config.max_len, max(map(len, texts))))
        _, cache = forward(self.params, self.config, ids)
        return cache["dec.attn"][1].key, padding_mask((ids != D.PAD).sum(axis=1), ids.shape[1])

    def output_queries(self) -> np.ndarray:
        """The 10 learned output queries after their layer norm, :math:`\\operatorname{LN}(P)`,
        shape ``(10, d_model)``: what the cross-attention's :math:`X_q` is, for every input."""
        p = self.params
        return nn.layer_norm(p["dec.queries"], p["dec.ln1.gamma"], p["dec.ln1.beta"])

    def attention_layer(self, name: str = "dec.attn") -> MultiHeadAttention:
        """One of the model's attention layers as a chapter-6 :class:`attnbook.MultiHeadAttention`
        (``"dec.attn"``: the cross-attention; ``"enc0.attn"``, ``"enc1.attn"``: self-attention)."""
        prefix = name + "."
        params = {k[len(prefix):]: v for k, v in self.params.items() if k.startswith(prefix)}
        if not params:
            raise ValueError(f"no attention layer {name!r}; try 'dec.attn' or 'enc0.attn'")
        return MultiHeadAttention.from_params(self.config.num_heads, **params)

    @classmethod
    def checkpoints(cls, path: Path | None = None) -> dict[int, "DateModel"]:
        """Every stored checkpoint, by training step (the last is the trained model), read at once."""
        data = _read(path, "ckpt", "params/")
        config = DateModelConfig(**json.loads(str(data["config"])))
        out = {}
        for step in _checkpoint_steps(data, data)[:-1]:
            prefix = f"ckpt{step}/"
            out[step] = cls({k[len(prefix):]: v for k, v in data.items() if k.startswith(prefix)},
                            config, step=step)
        final = json.loads(str(data["training"]))["steps"]
        out[final] = cls({k[7:]: v for k, v in data.items() if k.startswith("params/")}, config,
                         step=final)
        return out


def input_labels(text: str) -> list[str]:
    """The characters of ``text`` as tick labels, a space shown as ``␣``."""
    return ["\u2423" if ch == " " else ch for ch in text]


def alignment_heatmap(prediction: Prediction, b: int = 0, *, head: int | None = None, ax=None,
                      title: str | None = None, **kwargs):
    """Draw the cross-attention of example ``b`` (head-averaged, or one ``head``): output
    characters down, input characters across. Returns the :class:`attnbook.Heatmap`."""
    text, out = prediction.inputs[b], prediction.outputs[b]
    weights = (prediction.alignment(b) if head is None
               else prediction.cross_weights[b, head][:, :len(text)])
    if title is None:
        title = f"{text!r} \u2192 {out}"
    return heatmap(weights, x_labels=input_labels(text), y_labels=list(out), ax=ax, title=title,
                   xlabel="input character (key)", ylabel="output character (query)", **kwargs)


@dataclass
class Evaluation:
    """Held-out exact-match accuracy of a model."""

    per_format: dict            # format -> fraction of exactly right outputs
    overall: float
    n: int
    errors: list                # (format, input, target, output) of every wrong example

    def table(self) -> str:
        lines = [f"{'format':<22} {'exact match':>11}"]
        lines += [f"{fmt:<22} {acc:>10.1%}" for fmt, acc in self.per_format.items()]
        lines.append(f"{'all ' + str(self.n) + ' held-out':<22} {self.overall:>10.2%}")
        return "\n".join(lines)


def evaluate(model: DateModel, per_format: int | None = 500, seed: int = 7) -> Evaluation:
    """Exact-match accuracy on :func:`attnbook.dates.test_set` (dates never seen in training),
    or with ``per_format=None`` on every held-out string (:func:`attnbook.dates.all_held_out`)."""
    inputs, targets, formats = D.all_held_out() if per_format is None else D.test_set(per_format, seed)
    outputs = model.predict(inputs)
    right = np.array([o == t for o, t in zip(outputs, targets)])
    fmts = np.array(formats)
    per = {f: float(right[fmts == f].mean()) for f in D.FORMATS}
    errors = [(f, i, t, o) for f, i, t, o, r in zip(formats, inputs, targets, outputs, right) if not r]
    return Evaluation(per, float(right.mean()), len(inputs), errors)


# --- command line -------------------------------------------------------------------------------

def _int_at_least(low: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be >= {low}, got {value}")
        return value
    parse.__name__ = f"int >= {low}"
    return parse


def _check_writable(path: Path) -> None:
    """Fail now, not after training, if ``path`` cannot be written (creating its folder as
    :func:`save` would, and writing a scratch file next to it)."""
    if path.is_dir():
        raise IsADirectoryError(f"--out {path} is a directory; give a file name (.npz)")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".write-test-"):
            pass
        if path.exists():
            with open(path, "r+b"):
                pass
    except OSError as error:
        raise PermissionError(f"cannot write --out {path}: {error.strerror or error}") from None


def main(argv=None) -> int:
    """``python -m attnbook.datemodel_cli {train,evaluate,predict}``: returns the exit status
    (0, or 1 with a one-line ``error: ...`` on stderr; argparse's own errors exit with 2)."""
    parser = argparse.ArgumentParser(prog="python -m attnbook.datemodel_cli",
                                     description="Train, evaluate or run chapter 8's date model.")
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train from scratch (seeded) and write the weights")
    t.add_argument("--out", type=Path, default=WEIGHTS_PATH)
    t.add_argument("--steps", type=_int_at_least(1), default=TrainingConfig.steps)
    t.add_argument("--seed", type=_int_at_least(0), default=TrainingConfig.seed)
    e = sub.add_parser("evaluate", help="held-out exact-match accuracy per format")
    e.add_argument("--weights", type=Path, default=WEIGHTS_PATH)
    e.add_argument("--per-format", type=_int_at_least(1), default=500,
                   help="examples per format from the held-out days (default 500)")
    e.add_argument("--all", action="store_true",
                   help="every held-out day in every format and case (120,516 strings)")
    p = sub.add_parser("predict", help="write dates in ISO form: one per argument, or one per "
                       "line of standard input if none is given")
    p.add_argument("dates", nargs="*", help='e.g. "23 November 2026"')
    p.add_argument("--weights", type=Path, default=WEIGHTS_PATH)
    p.add_argument("--confidence", action="store_true",
                   help="print the model's confidence after each date (tab-separated)")
    args = parser.parse_args(argv)
    try:
        return _COMMANDS[args.command](args)
    except (OSError, ValueError, TypeError) as error:
        message = " ".join(str(error).split())  # one line
        print(f"error: {message}", file=sys.stderr)
        return 1


def _train_command(args) -> int:
    config = DateModelConfig()
    tc = TrainingConfig(steps=args.steps, seed=args.seed)
    _check_writable(args.out)

    def progress(step, log):
        loss = f"{log['loss'][-1]:.4f}" if log["loss"] else "   -  "
        print(f"step {step:5d}  loss {loss}  held-out exact {log['eval_exact'][-1]:6.1%}  "
              f"char {log['eval_char'][-1]:6.1%}", flush=True)

    params, log, checkpoints = train(config, tc, progress)
    save(args.out, config, tc, params, log, checkpoints)
    print(f"{num_parameters(params):,} parameters; trained {tc.steps} steps in "
          f"{float(log['seconds']):.0f} s; wrote {args.out} ({args.out.stat().st_size:,} bytes)")
    return 0


def _evaluate_command(args) -> int:
    model = DateModel.load(path=args.weights)
    result = evaluate(model, None if args.all else args.per_format)
    print(result.table())
    for fmt, text, target, output in result.errors[:20]:
        print(f"wrong: {text!r:32} -> {output}  (should be {target}; format {fmt})")
    if len(result.errors) > 20:
        print(f"... and {len(result.errors) - 20} more")
    print(f"{len(result.errors)} of {result.n} held-out inputs wrong")
    return 0


def _predict_command(args) -> int:
    texts = args.dates or [line.rstrip("\r\n") for line in sys.stdin]
    if not texts:
        raise ValueError("no dates given: pass them as arguments or one per line on stdin")
    for i, text in enumerate(texts):  # check every input before printing anything
        if not text.strip():
            raise ValueError(f"input {i + 1} is empty")
        D.encode_inputs([text], max(len(text), 1))  # unknown characters
        if len(text) > D.MAX_INPUT_LENGTH:
            raise ValueError(f"input {i + 1} {text!r} has {len(text)} characters; the model "
                             f"reads at most {D.MAX_INPUT_LENGTH}")
    model = DateModel.load(path=args.weights)
    for result in model.predict_checked(texts):
        if not result.accepted:
            why = ("not a real date" if not result.valid else
                   f"confidence {result.confidence:.2f} < {CONFIDENCE_THRESHOLD}")
            raise ValueError(f"{result.text!r} does not read as a date (the model would write "
                             f"{result.output}: {why})")
        print(f"{result.output}\t{result.confidence:.3f}" if args.confidence else result.output,
              flush=True)
    return 0


_COMMANDS = {"train": _train_command, "evaluate": _evaluate_command, "predict": _predict_command}
