r"""Short reviews whose deciding words are known: the data of chapter 11's classifiers.

Every generated example comes from a small grammar over real English words and a seeded random
generator; nothing is downloaded. A sentence is positive (label 1) or negative (label 0) *by
construction*, and the grammar marks the words that decide it.

Datasheet
---------
*How it is made.* :func:`generate` draws the label first (positive or negative with equal
probability), then a sentence of one of three kinds:

* ``plain`` — one clause that says what the writer thinks: *"the soup was really good ."*,
  *"what an awful phone !"*, *"we loved the ending"*. Deciding word: the sentiment word.
* ``negated`` — one clause with a negation that flips a sentiment word: *"the plot was not
  bad"* (positive), *"i didn't enjoy the film"* (negative), *"it isn't a great hotel"*.
  Deciding words: the negation and the sentiment word.
* ``contrast`` — two clauses of opposite sentiment joined by *but*, *yet*, *however*,
  *although*, *even though*: the clause after *but*/*yet*/*however*, or the main clause of an
  *although*/*even though* sentence, decides (*"the acting was great , but the script was
  dull"* is negative). Either clause may be negated. Deciding words: those of the deciding
  clause.

Any kind may carry *distractors*: neutral words and phrases (*"on a rainy tuesday"*, *"the new
phone"*, *"and it cost ten dollars"*) that a model must learn to ignore. Intensifiers (*very*,
*really*, *absolutely*; after a negation *particularly*, *especially*, as in *"not particularly
good"*, where the negation flips the label) strengthen a clause without changing its label and
are not marked as deciding.

*Sizes and splits.* :func:`splits` gives the chapter's data: 20,000 training sentences
(seed 0), 2,000 validation and 4,000 test sentences (seeds 1 and 2), with every validation and
test sentence absent from the training set (duplicates are redrawn). Kinds are drawn with
probabilities 0.35 plain, 0.30 negated, 0.35 contrast; about 40% of sentences carry a
distractor. Labels are balanced by construction (each 50% ± sampling noise; ``python -m
attnbook.sentiment_cli evaluate`` prints the counts).

*The hand-written set.* ``data/sentiment_handwritten.tsv`` holds sentences written by hand,
outside the grammar's templates (other phrasings, other constructions, words the grammar does
not know, which the model reads as ``<unk>``), with the deciding words marked in ``[brackets]``
and a phenomenon per line. :func:`handwritten` reads it: 120 sentences, 20 for each of six
phenomena (plain, negation, contrast, intensifier, distractor, new words), 61 positive; 284
of their 1,098 tokens are not in :data:`VOCAB`. It measures what a model learned beyond the
templates; it is small, so its accuracies carry several points of sampling error (one
sentence is 0.8 points; one of a phenomenon's 20 is 5 points).

*Known biases and limits.* The grammar knows 20 positive and 20 negative adjectives, a dozen
verbs, and about 60 nouns from four domains (films, restaurants, products, hotels and books).
The sentiment of a sentence is always carried by one of these words: no sarcasm, no sentiment
implied by facts (*"it broke after a day"*), no mixed or neutral reviews, no double negation
beyond *not* + a negative word. Every contrast joins opposite sentiments. The writing is
lower-case and tokenised with spaces around punctuation. A model that does well here has learned
this grammar, not English sentiment.

Tokens are lower-case words (contractions such as *"wasn't"* stay one token) and punctuation;
:data:`VOCAB` lists them with ids (0 padding, 1 unknown, 2 the ``<cls>`` token).
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain, count
from pathlib import Path
from typing import Sequence

import numpy as np

from ._checks import positive_int

__all__ = [
    "Example",
    "KINDS",
    "POSITIVE_ADJECTIVES",
    "NEGATIVE_ADJECTIVES",
    "VOCAB",
    "PAD",
    "UNK",
    "CLS",
    "LABELS",
    "tokenize",
    "generate",
    "splits",
    "handwritten",
    "parse_marked",
    "encode",
    "HANDWRITTEN_PATH",
]

HANDWRITTEN_PATH = Path(__file__).resolve().parent / "data" / "sentiment_handwritten.tsv"

LABELS = ("negative", "positive")
KINDS = ("plain", "negated", "contrast")
KIND_PROBABILITIES = (0.35, 0.30, 0.35)
DISTRACTOR_PROBABILITY = 0.4

POSITIVE_ADJECTIVES = [
    "good", "great", "excellent", "wonderful", "superb", "brilliant", "lovely", "enjoyable",
    "fantastic", "charming", "pleasant", "impressive", "beautiful", "delightful", "fun", "nice",
    "amazing", "perfect", "solid", "terrific"]
NEGATIVE_ADJECTIVES = [
    "bad", "terrible", "awful", "boring", "dull", "poor", "horrible", "weak", "disappointing",
    "bland", "mediocre", "dreadful", "tedious", "clumsy", "forgettable", "lousy", "messy",
    "annoying", "ugly", "painful"]
# (past tense, base form)
POSITIVE_VERBS = [("loved", "love"), ("enjoyed", "enjoy"), ("liked", "like"),
                  ("adored", "adore"), ("admired", "admire"), ("appreciated", "appreciate")]
NEGATIVE_VERBS = [("hated", "hate"), ("disliked", "dislike"), ("loathed", "loathe"),
                  ("detested", "detest"), ("regretted", "regret"), ("resented", "resent")]
INTENSIFIERS = ["very", "really", "truly", "quite", "extremely", "incredibly", "so", "pretty",
                "absolutely", "rather"]
NEGATED_INTENSIFIERS = ["very", "really", "that", "particularly", "especially", "so"]
# before "a/an ... noun": "a truly good film", "not a particularly good film"
NP_INTENSIFIERS = ["very", "really", "truly", "extremely", "incredibly", "absolutely",
                   "rather", "pretty"]
NP_NEGATED_INTENSIFIERS = ["very", "really", "particularly", "especially"]

DOMAINS = {
    "film": ["film", "movie", "plot", "acting", "ending", "soundtrack", "script", "cast",
             "dialogue", "story", "sequel", "show", "director", "music"],
    "restaurant": ["food", "service", "soup", "pasta", "dessert", "waiter", "staff", "coffee",
                   "wine", "menu", "pizza", "meal", "restaurant", "bread"],
    "product": ["phone", "battery", "screen", "camera", "laptop", "keyboard", "charger", "app",
                "printer", "tablet", "speaker", "watch", "update", "design"],
    "place": ["hotel", "room", "bed", "view", "breakfast", "book", "novel", "author", "museum",
              "tour", "pool", "trip", "guide", "album"],
}
NEUTRAL_ADJECTIVES = ["new", "old", "long", "short", "red", "small", "large", "french",
                      "italian", "first", "second", "latest", "local", "cheap"]
SUBJECT_PEOPLE = ["i", "we", "my sister", "my brother", "my friends", "everyone", "my wife",
                  "my husband", "the kids", "my parents"]
PREFIXES = [["honestly", ","], ["to", "be", "honest", ","], ["on", "friday", ","],
            ["last", "night", ","], ["we", "went", "on", "a", "rainy", "tuesday", "and"],
            ["my", "sister", "picked", "it", "and"], ["after", "two", "hours", ","],
            ["for", "the", "price", ","], ["in", "the", "end", ","], ["overall", ","],
            ["i", "went", "with", "my", "parents", "and"], ["as", "expected", ","]]
SUFFIXES = [["and", "we", "went", "home"], [",", "and", "it", "cost", "ten", "dollars"],
            ["on", "a", "sunday"], ["with", "my", "parents"], [",", "to", "be", "honest"],
            ["this", "time"], ["in", "the", "end"], ["at", "the", "weekend"],
            ["last", "year"], [",", "as", "my", "friend", "said"]]
ENDINGS = [["."], ["!"], [], ["."]]

PAD, UNK, CLS = 0, 1, 2
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z]+)?|[.,!?;:]")


def tokenize(text: str) -> list[str]:
    """Lower-case words (``"wasn't"`` stays one token), numbers and punctuation marks."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    return _TOKEN.findall(text.lower().replace("\u2019", "'"))


@dataclass(frozen=True)
class Example:
    """One sentence with its label and the positions of its deciding words."""

    tokens: tuple[str, ...]
    label: int                    # 0 negative, 1 positive
    deciding: tuple[int, ...]     # positions (into tokens) of the deciding words
    kind: str                     # "plain", "negated", "contrast" (or the hand-written phenomenon)
    distractor: bool = False

    @property
    def text(self) -> str:
        return " ".join(self.tokens)

    def marked(self) -> str:
        """The sentence with its deciding words in ``[brackets]``."""
        return " ".join(f"[{t}]" if i in self.deciding else t for i, t in enumerate(self.tokens))


# --- the random draws -------------------------------------------------------------

class _Draws:
    r"""The draws the grammar makes from ``np.random.default_rng(seed)``:
    ``integers(n)``, ``random()`` and ``choice(n, p=p)``, the same numbers bit for
    bit but without the 1-20 µs a Generator call spends on its arguments (a
    sentence makes about 17 draws).

    The generator's 64-bit outputs :math:`x` are fetched in blocks
    (``PCG64.random_raw``) and turned into draws as numpy does:

    * ``random()``: one output, :math:`\lfloor x / 2^{11} \rfloor \cdot 2^{-53}`;
    * ``integers(n)``: a 32-bit word :math:`y` (the low half of a new output; its
      high half at the next call), then :math:`\lfloor y n / 2^{32} \rfloor`
      (Lemire, 2019), drawn again in the rare case that would favour some values;
      ``n = 1`` draws nothing;
    * ``choice(n, p)``: how many entries of the cumulative ``p`` are at most
      ``random()``.

    ``tests/test_sentiment.py`` checks it against the Generator, draw for draw.
    """

    def __init__(self, seed: int):
        bits = np.random.PCG64(seed)
        self._outputs = chain.from_iterable(   # next(self._outputs): next output
            bits.random_raw(4096).tolist() for _ in count())
        self._high = None       # the unused high half of the last output, or None

    def _uint32(self) -> int:
        if self._high is None:
            x = next(self._outputs)
            self._high = x >> 32
            return x & 0xFFFFFFFF
        y, self._high = self._high, None
        return y

    def integers(self, n: int) -> int:
        if n == 1:
            return 0
        m = self._uint32() * n
        if m & 0xFFFFFFFF < n:                  # maybe in the biased range: check
            threshold = (2**32 - n) % n
            while m & 0xFFFFFFFF < threshold:
                m = self._uint32() * n
        return m >> 32

    def random(self) -> float:
        return (next(self._outputs) >> 11) * 2.0**-53

    def choice(self, cumulative: Sequence[float]) -> int:
        """``choice(n, p)`` given ``cumulative``: numpy's ``cumsum(p) / sum(p)``."""
        return bisect_right(cumulative, self.random())


# --- the grammar ---------------------------------------------------------------------------------
# A piece is a list of (token, deciding) pairs.

def _words(text: str, deciding: bool = False) -> list[tuple[str, bool]]:
    return [(w, deciding) for w in text.split()]


def _article(next_word: str) -> str:
    return "an" if next_word[0] in "aeiou" else "a"


_NOUNS_BY_DOMAIN = list(DOMAINS.values())


class _Grammar:
    def __init__(self, rng: _Draws):
        self.rng = rng

    def pick(self, options: Sequence):
        return options[self.rng.integers(len(options))]

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def noun(self, distract: bool) -> str:
        return self.pick(self.pick(_NOUNS_BY_DOMAIN))

    def subject(self, distract: bool) -> list[tuple[str, bool]]:
        det = self.pick(["the", "the", "the", "this", "that", "their", "our"])
        adj = [self.pick(NEUTRAL_ADJECTIVES)] if distract and self.chance(0.5) else []
        return _words(" ".join([det] + adj + [self.noun(distract)]))

    def adjective(self, positive: bool) -> str:
        return self.pick(POSITIVE_ADJECTIVES if positive else NEGATIVE_ADJECTIVES)

    def clause(self, label: int, negate: bool, distract: bool,
               alone: bool = True) -> list[tuple[str, bool]]:
        """One clause whose sentiment is ``label``; ``negate`` flips its sentiment word;
        ``alone`` allows exclamations (*"what a dull meal"*) that cannot be joined."""
        positive_word = bool(label) != negate
        form = self.pick(["copula", "copula", "copula", "noun phrase", "verb"])
        if form == "verb":
            who = _words(self.pick(SUBJECT_PEOPLE))
            obj = _words("it") if self.chance(0.4) else self.subject(distract)
            past, base = self.pick(POSITIVE_VERBS if positive_word else NEGATIVE_VERBS)
            if not negate:
                adverb = _words("really") if self.chance(0.2) else []
                return who + adverb + [(past, True)] + obj
            neg = self.pick([[("did", False), ("not", True), (base, True)],
                             [("didn't", True), (base, True)],
                             [("never", True), (past, True)],
                             [("did", False), ("not", True), ("really", False), (base, True)]])
            return who + neg + obj
        adj = self.adjective(positive_word)
        if negate:
            choices = NEGATED_INTENSIFIERS if form == "copula" else NP_NEGATED_INTENSIFIERS
            intens = [self.pick(choices)] if self.chance(0.3) else []
        else:
            choices = INTENSIFIERS if form == "copula" else NP_INTENSIFIERS
            intens = [self.pick(choices)] if self.chance(0.4) else []
        if form == "copula":
            subject = (_words("it") if self.chance(0.15) else self.subject(distract))
            verb = self.pick(["was", "was", "is", "seemed", "felt", "looked"])
            if negate and verb in ("was", "is"):
                neg = self.pick([[(verb, False), ("not", True)],
                                 [("wasn't" if verb == "was" else "isn't", True)],
                                 [("was", False), ("never", True)]])
            elif negate:  # "did not seem", "didn't look"
                base = verb[:-2] if verb.endswith("ed") else verb[:-1]
                base = {"fel": "feel", "seem": "seem", "look": "look"}[base]
                neg = self.pick([[("did", False), ("not", True)], [("didn't", True)]])
                neg = neg + [(base, False)]
            else:
                neg = [(verb, False)]
            return subject + neg + _words(" ".join(intens)) + [(adj, True)]
        # noun phrase: "it is a great film", "what a dull meal", "not a good hotel"
        noun = self.noun(distract)
        nxt = (intens + [adj])[0]
        if negate:
            start = self.pick([[("it", False), ("is", False), ("not", True)],
                               [("this", False), ("isn't", True)]]
                              + ([[("not", True)]] if alone else []))
        else:
            starts = ["it is", "this is", "it was"] + (["what", "such"] if alone else [])
            start = _words(self.pick(starts))
        return (start + [(_article(nxt), False)] + _words(" ".join(intens)) + [(adj, True)]
                + _words(noun))

    def sentence(self, label: int, kind: str, distract: bool) -> list[tuple[str, bool]]:
        if kind == "plain":
            body = self.clause(label, False, distract)
        elif kind == "negated":
            body = self.clause(label, True, distract)
        else:
            decide = self.clause(label, self.chance(0.25), distract, alone=False)
            other = [(w, False) for w, _ in
                     self.clause(1 - label, self.chance(0.25), distract, alone=False)]
            joint = self.pick(["but", "but", "but", "yet", "however", "although", "even though"])
            if joint in ("but", "yet"):
                comma = [(",", False)] if self.chance(0.7) else []
                body = other + comma + [(joint, False)] + decide
            elif joint == "however":
                body = other + [(";", False), ("however", False), (",", False)] + decide
            elif self.chance(0.5):   # although A , B
                body = _words(joint) + other + [(",", False)] + decide
            else:                    # B , although A
                body = decide + [(",", False)] + _words(joint) + other
        if distract:
            if self.chance(0.5):
                body = [(w, False) for w in self.pick(PREFIXES)] + body
            else:
                body = body + [(w, False) for w in self.pick(SUFFIXES)]
        return body + [(w, False) for w in self.pick(ENDINGS)]


def generate(n: int, seed: int = 0, exclude: set | frozenset = frozenset()) -> list[Example]:
    """``n`` generated examples from the seeded grammar (see the module's datasheet).

    Sentences whose text is in ``exclude`` (a set of strings, :attr:`Example.text`) are redrawn,
    so a test split can be kept apart from a training split. The same ``n``, ``seed`` and
    ``exclude`` always give the same examples.
    """
    n = positive_int(n, "n")
    rng = _Draws(seed)                 # np.random.default_rng(seed), faster
    grammar = _Grammar(rng)
    kind_cdf = np.cumsum(KIND_PROBABILITIES)
    kind_cdf = (kind_cdf / kind_cdf[-1]).tolist()
    out: list[Example] = []
    while len(out) < n:
        label = rng.integers(2)
        kind = KINDS[rng.choice(kind_cdf)]
        distract = grammar.chance(DISTRACTOR_PROBABILITY)
        tokens, marks = zip(*grammar.sentence(label, kind, distract))
        if " ".join(tokens) in exclude:
            continue
        deciding = tuple(i for i, d in enumerate(marks) if d)
        out.append(Example(tokens, label, deciding, kind, distract))
    return out


@lru_cache(maxsize=2)
def splits(n_train: int = 20_000, n_val: int = 2_000, n_test: int = 4_000
           ) -> dict[str, list[Example]]:
    """The chapter's splits: ``{"train", "val", "test"}`` from seeds 0, 1 and 2; no validation or
    test sentence occurs in the training set. The result is cached (the same dict is returned
    for the same sizes): do not change it in place."""
    train = generate(n_train, seed=0)
    seen = frozenset(e.text for e in train)
    return {"train": train, "val": generate(n_val, seed=1, exclude=seen),
            "test": generate(n_test, seed=2, exclude=seen)}


# --- the hand-written set ------------------------------------------------------------------------

def parse_marked(marked: str) -> tuple[tuple[str, ...], tuple[int, ...]]:
    """Tokens and deciding positions of a sentence with its deciding words in ``[brackets]``:
    ``"the soup was [not] [bad]"`` → ``(("the", "soup", "was", "not", "bad"), (3, 4))``."""
    tokens: list[str] = []
    deciding: list[int] = []
    for part in re.split(r"(\[[^\]]*\])", marked):
        is_marked = part.startswith("[") and part.endswith("]")
        words = tokenize(part[1:-1] if is_marked else part)
        if is_marked:
            if not words:
                raise ValueError(f"empty [] in {marked!r}")
            deciding.extend(range(len(tokens), len(tokens) + len(words)))
        tokens.extend(words)
    if "[" in "".join(tokens) or not tokens:
        raise ValueError(f"cannot read {marked!r}")
    return tuple(tokens), tuple(deciding)


def handwritten(path: Path | None = None) -> list[Example]:
    """The hand-written test sentences (``data/sentiment_handwritten.tsv``: label, sentence with
    ``[deciding]`` words, phenomenon), as :class:`Example` s whose ``kind`` is the phenomenon."""
    path = HANDWRITTEN_PATH if path is None else Path(path)
    out = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) != 3 or fields[0] not in LABELS:
            raise ValueError(f"{path.name}:{number}: expected 'label<TAB>sentence<TAB>phenomenon'"
                             f" with label in {LABELS}, got {line!r}")
        tokens, deciding = parse_marked(fields[1])
        if not deciding:
            raise ValueError(f"{path.name}:{number}: no [deciding] word marked")
        out.append(Example(tokens, LABELS.index(fields[0]), deciding, fields[2].strip()))
    return out


# --- vocabulary and encoding ---------------------------------------------------------------------

def _grammar_words() -> list[str]:
    words: set[str] = set()
    lists = [POSITIVE_ADJECTIVES, NEGATIVE_ADJECTIVES, INTENSIFIERS, NEGATED_INTENSIFIERS,
             NEUTRAL_ADJECTIVES, [w for pair in POSITIVE_VERBS + NEGATIVE_VERBS for w in pair],
             [w for nouns in DOMAINS.values() for w in nouns],
             [w for s in SUBJECT_PEOPLE for w in s.split()],
             [w for piece in PREFIXES + SUFFIXES + ENDINGS for w in piece]]
    for words_ in lists:
        words.update(words_)
    words.update("the this that their our it is was seemed felt looked seem feel look not "
                 "wasn't isn't never "
                 "did didn't a an what such but yet however although even though , ; . !".split())
    return sorted(words)


VOCAB: dict[str, int] = {w: i for i, w in enumerate(["<pad>", "<unk>", "<cls>"] + _grammar_words())}


def encode(examples: Sequence, cls: bool = False, length: int | None = None) -> np.ndarray:
    """Token ids ``(B, L)`` of a list of :class:`Example` s (or token lists, or strings), padded
    with 0; unknown words get ``UNK``. With ``cls=True`` every row starts with the ``<cls>``
    token. ``length`` defaults to the longest sentence."""
    rows = []
    for e in examples:
        tokens = tokenize(e) if isinstance(e, str) else list(getattr(e, "tokens", e))
        if not tokens:
            raise ValueError("an empty sentence cannot be classified")
        rows.append(([CLS] if cls else []) + [VOCAB.get(t, UNK) for t in tokens])
    if not rows:
        raise ValueError("no sentences to encode")
    longest = max(map(len, rows))
    length = longest if length is None else positive_int(length, "length")
    if length < longest:
        raise ValueError(f"length={length} is shorter than the longest sentence ({longest})")
    ids = np.zeros((len(rows), length), dtype=np.int64)
    for b, row in enumerate(rows):
        ids[b, :len(row)] = row
    return ids
