"""A tiny hand-made word embedding table with named features, and named projections.

Chapters 5–7 need token vectors a reader can *read*: the table shipped in
``attnbook/data/toy_embeddings.txt`` gives a few dozen words features such as ``noun``,
``animal``, ``plural`` or ``female`` (value 1 when the word has the feature, 0 otherwise, a few
halves). Because the features have names, so can the columns of a projection such as
:math:`W_Q`: :func:`feature_projection` builds a matrix from a readable mapping ("the *pronoun*
feature of a query looks for the *noun* feature of a key").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Mapping, Sequence

import numpy as np

from ._checks import as_float_array, positive_int

__all__ = [
    "EmbeddingTable",
    "parse_embedding_table",
    "toy_embeddings",
    "one_hot_positions",
    "position_names",
    "feature_projection",
]

_PUNCTUATION = ".,;:!?\"'()"


@dataclass(frozen=True, eq=False)
class EmbeddingTable:
    """Word vectors with named features: ``vectors[i, f]`` is feature ``features[f]`` of ``words[i]``.

    Attributes
    ----------
    words : tuple of str, the vocabulary (lower case)
    features : tuple of str, the names of the ``d = len(features)`` embedding dimensions
    vectors : read-only ndarray, shape ``(len(words), d)``, float64
    """

    words: tuple[str, ...]
    features: tuple[str, ...]
    vectors: np.ndarray

    def __post_init__(self):
        vectors = as_float_array(self.vectors, "vectors")
        if vectors.ndim != 2 or vectors.shape != (len(self.words), len(self.features)):
            raise ValueError(f"vectors must have shape (words, features) = "
                             f"({len(self.words)}, {len(self.features)}), got {vectors.shape}")
        for kind, names in (("word", self.words), ("feature", self.features)):
            seen = set()
            for name in names:
                if name in seen:
                    raise ValueError(f"{kind} {name!r} appears twice")
                seen.add(name)
        vectors = np.array(vectors, dtype=np.float64)  # own copy
        vectors.flags.writeable = False
        object.__setattr__(self, "words", tuple(self.words))
        object.__setattr__(self, "features", tuple(self.features))
        object.__setattr__(self, "vectors", vectors)
        object.__setattr__(self, "_index", {w: i for i, w in enumerate(self.words)})

    @property
    def d(self) -> int:
        """The embedding size (number of features)."""
        return len(self.features)

    def __len__(self) -> int:
        return len(self.words)

    def __contains__(self, word) -> bool:
        return word in self._index

    def __repr__(self) -> str:
        return f"EmbeddingTable({len(self.words)} words × {len(self.features)} features)"

    def tokenize(self, sentence: str) -> list[str]:
        """Split a sentence into the table's words: lower case, whitespace, punctuation dropped.

        Raises ``ValueError`` naming every word that is not in the table.
        """
        if not isinstance(sentence, str):
            raise TypeError(f"sentence must be a str, got {type(sentence).__name__}")
        tokens = [t.strip(_PUNCTUATION).lower() for t in sentence.split()]
        tokens = [t for t in tokens if t]
        if not tokens:
            raise ValueError(f"no words in sentence {sentence!r}")
        self._check_known(tokens)
        return tokens

    def _check_known(self, tokens: Sequence[str]) -> None:
        unknown = [t for t in tokens if t not in self._index]
        if unknown:
            raise ValueError(
                f"not in the toy vocabulary: {', '.join(map(repr, dict.fromkeys(unknown)))}; "
                f"known words: {' '.join(sorted(self.words))}"
            )

    def embed(self, tokens) -> np.ndarray:
        """The embedding matrix :math:`X` of a sentence, one row per token.

        Parameters
        ----------
        tokens : str (a sentence, split with :meth:`tokenize`) or a sequence of words

        Returns
        -------
        ndarray, shape ``(L, d)``, float64 (a fresh, writable copy).
        """
        if isinstance(tokens, str):
            tokens = self.tokenize(tokens)
        tokens = list(tokens)
        if not tokens:
            raise ValueError("cannot embed an empty sequence of tokens")
        if not all(isinstance(t, str) for t in tokens):
            raise TypeError("tokens must be strings")
        self._check_known(tokens)
        return self.vectors[[self._index[t] for t in tokens]].copy()

    def vector(self, word: str) -> np.ndarray:
        """The embedding of one word, shape ``(d,)``."""
        return self.embed([word])[0]

    def describe(self, word: str) -> dict[str, float]:
        """The non-zero features of ``word``, e.g. ``{'noun': 1.0, 'animal': 1.0, ...}``."""
        v = self.vector(word)
        return {f: float(x) for f, x in zip(self.features, v) if x != 0}


def parse_embedding_table(text: str) -> EmbeddingTable:
    """Read the text format of ``toy_embeddings.txt``.

    ``#`` starts a comment; one line ``features: f1 f2 ...`` names the columns in order; every
    other line is ``word: feature feature=value ...`` (a bare feature has value 1, unlisted
    features are 0). Raises ``ValueError`` with the line number for anything else.
    """
    features: list[str] | None = None
    words: list[str] = []
    rows: list[np.ndarray] = []
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        head, sep, rest = line.partition(":")
        head = head.strip()
        if not sep or not re.fullmatch(r"[a-z][a-z'-]*", head):
            raise ValueError(f"line {lineno}: expected 'word: features...', got {raw.strip()!r}")
        if head == "features":
            if features is not None:
                raise ValueError(f"line {lineno}: a second 'features:' line")
            features = rest.split()
            if not features or len(set(features)) != len(features):
                raise ValueError(f"line {lineno}: feature names must be given once each")
            continue
        if features is None:
            raise ValueError(f"line {lineno}: the 'features:' line must come before the words")
        if head in words:
            raise ValueError(f"line {lineno}: word {head!r} is defined twice")
        row = np.zeros(len(features))
        for item in rest.split():
            name, eq, value = item.partition("=")
            if name not in features:
                raise ValueError(f"line {lineno}: unknown feature {name!r} for {head!r}; "
                                 f"features are {' '.join(features)}")
            try:
                row[features.index(name)] = float(value) if eq else 1.0
            except ValueError:
                raise ValueError(f"line {lineno}: {item!r} is not feature=number") from None
        words.append(head)
        rows.append(row)
    if features is None or not words:
        raise ValueError("the table needs a 'features:' line and at least one word")
    return EmbeddingTable(tuple(words), tuple(features), np.array(rows))


@lru_cache(maxsize=1)
def toy_embeddings() -> EmbeddingTable:
    """The book's hand-made embedding table (shipped as ``attnbook/data/toy_embeddings.txt``).

    Returns
    -------
    EmbeddingTable with a few dozen words (``table.words``) and 20 named features
    (``table.features``): parts of speech (``determiner noun pronoun verb adjective preposition
    conjunction``), meanings (``animal person thing place food``), grammar (``singular plural
    female male``) and kinds of action or state (``motion rest eating feeling``).
    """
    text = resources.files("attnbook").joinpath("data", "toy_embeddings.txt").read_text("utf-8")
    return parse_embedding_table(text)


def one_hot_positions(length: int, max_length: int) -> np.ndarray:
    r"""Position codes that simply name the position: row ``p`` is the ``p``-th unit vector.

    .. math:: P_{p, j} = [\,j = p\,], \qquad p = 0, \dots, L-1, \; j = 0, \dots, P-1

    Returns
    -------
    ndarray, shape ``(length, max_length)``, float64. Raises ``ValueError`` if
    ``length > max_length`` (the code has no column for the later positions).
    """
    length = positive_int(length, "length")
    max_length = positive_int(max_length, "max_length")
    if length > max_length:
        raise ValueError(f"length={length} exceeds max_length={max_length}: one-hot positions "
                         "have one column per position")
    return np.eye(length, max_length)


def position_names(max_length: int) -> list[str]:
    """Names of the columns of :func:`one_hot_positions`: ``['pos 0', 'pos 1', ...]``."""
    return [f"pos {p}" for p in range(positive_int(max_length, "max_length"))]


def feature_projection(
    inputs: Sequence[str],
    outputs: Sequence[str],
    mapping: Mapping[str, str | Mapping[str, float]],
    scale: float = 1.0,
) -> np.ndarray:
    r"""A projection matrix :math:`W` written as "input feature → output feature: weight".

    .. math:: (XW)_{:, o} = \text{scale} \cdot \sum_{f} \text{mapping}[f][o] \; X_{:, f}

    Parameters
    ----------
    inputs : names of the ``d_in`` input columns (e.g. ``table.features``)
    outputs : names of the ``d_out`` output columns (e.g. ``["noun", "singular", ...]``)
    mapping : ``{input: output}`` (weight 1) or ``{input: {output: weight, ...}}``
    scale : multiplies every weight

    Returns
    -------
    ndarray ``W``, shape ``(d_in, d_out)``, applied as ``x @ W``. Unknown names raise
    ``ValueError`` listing the valid ones.
    """
    inputs, outputs = list(inputs), list(outputs)
    for kind, names in (("inputs", inputs), ("outputs", outputs)):
        if not names or len(set(names)) != len(names):
            raise ValueError(f"{kind} must be non-empty names given once each, got {names}")
    if not isinstance(mapping, Mapping):
        raise TypeError(f"mapping must be a dict, got {type(mapping).__name__}")
    w = np.zeros((len(inputs), len(outputs)))
    for src, targets in mapping.items():
        if src not in inputs:
            raise ValueError(f"mapping reads unknown input {src!r}; inputs are {inputs}")
        if isinstance(targets, str):
            targets = {targets: 1.0}
        if not isinstance(targets, Mapping):
            raise TypeError(f"mapping[{src!r}] must be an output name or a dict of weights, "
                            f"got {targets!r}")
        for dst, weight in targets.items():
            if dst not in outputs:
                raise ValueError(f"mapping writes unknown output {dst!r}; outputs are {outputs}")
            if isinstance(weight, bool) or not isinstance(weight, (int, float, np.number)) \
                    or not np.isfinite(weight):
                raise ValueError(f"weight {src!r} -> {dst!r} must be a finite number, got {weight!r}")
            w[inputs.index(src), outputs.index(dst)] = weight
    if isinstance(scale, bool) or not isinstance(scale, (int, float, np.number)) \
            or not np.isfinite(scale):
        raise ValueError(f"scale must be a finite number, got {scale!r}")
    return w * scale
