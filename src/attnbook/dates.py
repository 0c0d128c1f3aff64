"""Dates written by people, and their ISO form: the data of chapter 8's trained model.

Every example is generated here from a seeded random generator; nothing is downloaded.

* Dates run from 1950-01-01 to 2049-12-31 (36,525 days). Two-digit years ``yy`` are read as
  1950–2049: ``50``–``99`` are 1950–1999, ``00``–``49`` are 2000–2049.
* :data:`FORMATS` lists the input formats, e.g. ``"23 November 2026"``, ``"nov 23, 2026"``,
  ``"monday 23 nov 26"``, ``"23.11.2026"`` — each written in lower case, Title Case or UPPER CASE.
* The target is the 10 characters of the ISO 8601 date, ``"2026-11-23"``.
* :func:`held_out_days` sets aside a fixed 10% of the days: training never sees those dates, in any
  format, so :func:`test_set` measures whether the model learned to *read* dates rather than
  memorise them.

Characters are turned into integer ids with :func:`encode_inputs` (``INPUT_CHARS``, id 0 is
padding) and :func:`encode_targets` (``OUTPUT_CHARS``).
"""

from __future__ import annotations

import datetime as dt
from typing import Callable, Sequence

import numpy as np

from ._checks import positive_int

__all__ = [
    "FIRST_DAY",
    "LAST_DAY",
    "NUM_DAYS",
    "MONTHS",
    "WEEKDAYS",
    "FORMATS",
    "CASES",
    "INPUT_CHARS",
    "OUTPUT_CHARS",
    "MAX_INPUT_LENGTH",
    "OUTPUT_LENGTH",
    "PAD",
    "iso",
    "format_date",
    "held_out_days",
    "training_days",
    "sample",
    "test_set",
    "all_held_out",
    "encode_inputs",
    "encode_targets",
    "decode_outputs",
]

FIRST_DAY = dt.date(1950, 1, 1)
LAST_DAY = dt.date(2049, 12, 31)
NUM_DAYS = (LAST_DAY - FIRST_DAY).days + 1  # 36,525

MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
          "September", "October", "November", "December"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def _ordinal(day: int) -> str:
    """1 -> "1st", 2 -> "2nd", 3 -> "3rd", 11 -> "11th", 22 -> "22nd", ..."""
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


# name -> function writing a date in that format (Title Case; the case is applied afterwards).
# Numbers with a slash are month first (US), with a dot day first (European): one separator, one
# order, so that no input is ambiguous.
FORMATS: dict[str, Callable[[dt.date], str]] = {
    "d MMMM yyyy": lambda d: f"{d.day} {MONTHS[d.month - 1]} {d.year}",
    "MMMM d, yyyy": lambda d: f"{MONTHS[d.month - 1]} {d.day}, {d.year}",
    "MMM d, yyyy": lambda d: f"{MONTHS[d.month - 1][:3]} {d.day}, {d.year}",
    "dddd d MMM yy": lambda d: f"{WEEKDAYS[d.weekday()]} {d.day} {MONTHS[d.month - 1][:3]} {d.year % 100:02d}",
    "dddd, MMMM d, yyyy": lambda d: f"{WEEKDAYS[d.weekday()]}, {MONTHS[d.month - 1]} {d.day}, {d.year}",
    "the dth of MMMM yyyy": lambda d: f"the {_ordinal(d.day)} of {MONTHS[d.month - 1]} {d.year}",
    "dd-MMM-yy": lambda d: f"{d.day:02d}-{MONTHS[d.month - 1][:3]}-{d.year % 100:02d}",
    "dd.mm.yyyy": lambda d: f"{d.day:02d}.{d.month:02d}.{d.year}",
    "mm/dd/yyyy": lambda d: f"{d.month:02d}/{d.day:02d}/{d.year}",
    "yyyy/mm/dd": lambda d: f"{d.year}/{d.month:02d}/{d.day:02d}",
    "ddmmyyyy": lambda d: f"{d.day:02d}{d.month:02d}{d.year}",
}

CASES: dict[str, Callable[[str], str]] = {"lower": str.lower, "title": lambda s: s, "upper": str.upper}
_CASE_P = np.array([0.45, 0.35, 0.20])  # probabilities of lower, Title, UPPER in training

PAD = 0
INPUT_CHARS = "\0" + " ,./-" + "0123456789" + "abcdefghijklmnopqrstuvwxyz" + "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
OUTPUT_CHARS = "0123456789-"
MAX_INPUT_LENGTH = 32
OUTPUT_LENGTH = 10
_IN_ID = {c: i for i, c in enumerate(INPUT_CHARS)}
_OUT_ID = {c: i for i, c in enumerate(OUTPUT_CHARS)}


def iso(date: dt.date) -> str:
    """The target: ``"YYYY-MM-DD"`` (ISO 8601), always 10 characters."""
    return date.isoformat()


def format_date(date: dt.date, fmt: str, case: str = "title") -> str:
    """Write ``date`` in the format named ``fmt`` (a key of :data:`FORMATS`) and ``case``
    (``"lower"``, ``"title"`` or ``"upper"``).

    >>> format_date(dt.date(2026, 11, 23), "dddd d MMM yy", "lower")
    'monday 23 nov 26'
    """
    if not isinstance(date, dt.date):
        raise TypeError(f"date must be a datetime.date, got {type(date).__name__}")
    if not FIRST_DAY <= date <= LAST_DAY:
        raise ValueError(f"date {date} is outside {FIRST_DAY} … {LAST_DAY}")
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; the formats are {list(FORMATS)}")
    if case not in CASES:
        raise ValueError(f"unknown case {case!r}; choose one of {list(CASES)}")
    return CASES[case](FORMATS[fmt](date))


def _day(index: int) -> dt.date:
    return FIRST_DAY + dt.timedelta(days=int(index))


def held_out_days(fraction: float = 0.1, seed: int = 2026) -> np.ndarray:
    """Indices (days since 1950-01-01, sorted) of the days kept for testing: a fixed random
    ``fraction`` of all :data:`NUM_DAYS` days, chosen by ``seed``."""
    if not 0 < fraction < 1:
        raise ValueError(f"fraction must lie strictly between 0 and 1, got {fraction}")
    perm = np.random.default_rng(seed).permutation(NUM_DAYS)
    return np.sort(perm[: int(round(fraction * NUM_DAYS))])


def training_days(fraction: float = 0.1, seed: int = 2026) -> np.ndarray:
    """The complement of :func:`held_out_days`: the day indices training may draw from."""
    return np.setdiff1d(np.arange(NUM_DAYS), held_out_days(fraction, seed))


def sample(n: int, rng: np.random.Generator, days: np.ndarray | None = None,
           formats: Sequence[str] | None = None) -> tuple[list[str], list[str], list[str]]:
    """Draw ``n`` random examples.

    Each example picks a day uniformly from ``days`` (day indices; default: the training days),
    a format uniformly from ``formats`` (default: all of :data:`FORMATS`) and a case with
    probabilities lower 0.45, Title 0.35, UPPER 0.20.

    Returns
    -------
    (inputs, targets, formats) : three lists of ``n`` strings
    """
    n = positive_int(n, "n")
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy Generator (np.random.default_rng(seed)), "
                        f"got {type(rng).__name__}")
    days = training_days() if days is None else np.asarray(days)
    names = list(FORMATS) if formats is None else list(formats)
    for f in names:
        if f not in FORMATS:
            raise ValueError(f"unknown format {f!r}; the formats are {list(FORMATS)}")
    day_ix = rng.choice(days, size=n)
    fmt_ix = rng.integers(0, len(names), size=n)
    case_ix = rng.choice(len(CASES), size=n, p=_CASE_P)
    cases = list(CASES)
    inputs, targets, fmts = [], [], []
    for d, f, c in zip(day_ix, fmt_ix, case_ix):
        date = _day(d)
        inputs.append(CASES[cases[c]](FORMATS[names[f]](date)))
        targets.append(iso(date))
        fmts.append(names[f])
    return inputs, targets, fmts


def test_set(per_format: int = 500, seed: int = 7) -> tuple[list[str], list[str], list[str]]:
    """The held-out test set: ``per_format`` examples of every format, drawn (with ``seed``) from
    the held-out days only, in format order. Returns ``(inputs, targets, formats)``."""
    per_format = positive_int(per_format, "per_format")
    rng = np.random.default_rng(seed)
    days = held_out_days()
    out = ([], [], [])
    for fmt in FORMATS:
        for part, values in zip(out, sample(per_format, rng, days=days, formats=[fmt])):
            part.extend(values)
    return out


test_set.__test__ = False  # not a pytest test, despite its name


def all_held_out() -> tuple[list[str], list[str], list[str]]:
    """Every held-out day in every format and every case (120,516 strings):
    ``(inputs, targets, formats)``."""
    inputs, targets, formats = [], [], []
    cases = list(CASES.values())
    for index in held_out_days():  # each day and format written once, then cased
        date = _day(index)
        target = iso(date)
        for fmt, write in FORMATS.items():
            title = write(date)
            inputs.extend(case(title) for case in cases)
            targets.extend((target,) * len(cases))
            formats.extend((fmt,) * len(cases))
    return inputs, targets, formats


def encode_inputs(texts: Sequence[str], length: int = MAX_INPUT_LENGTH) -> np.ndarray:
    """Character ids of a batch of strings, padded with ``PAD`` (0) to ``length``.

    Returns an int64 array of shape ``(B, length)``. Raises ``ValueError`` for a character outside
    :data:`INPUT_CHARS` or a string longer than ``length``.
    """
    if isinstance(texts, str):
        raise TypeError("encode_inputs takes a list of strings; wrap a single one: [text]")
    ids = np.zeros((len(texts), length), dtype=np.int64)
    for b, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"inputs must be strings, got {type(text).__name__} at index {b}")
        if len(text) > length:
            raise ValueError(f"{text!r} has {len(text)} characters; the model reads at most {length}")
        if not text:
            raise ValueError(f"input {b} is empty")
        for i, ch in enumerate(text):
            if ch not in _IN_ID or ch == "\0":
                raise ValueError(f"character {ch!r} in {text!r} is not one the model knows: "
                                 "letters, digits, space and , . / -")
            ids[b, i] = _IN_ID[ch]
    return ids


def encode_targets(texts: Sequence[str]) -> np.ndarray:
    """Ids of ISO dates (``OUTPUT_CHARS``), an int64 array of shape ``(B, 10)``."""
    if isinstance(texts, str):
        raise TypeError("encode_targets takes a list of strings; wrap a single one: [text]")
    ids = np.zeros((len(texts), OUTPUT_LENGTH), dtype=np.int64)
    for b, text in enumerate(texts):
        if len(text) != OUTPUT_LENGTH or any(ch not in _OUT_ID for ch in text):
            raise ValueError(f"target {text!r} is not a YYYY-MM-DD string")
        ids[b] = [_OUT_ID[ch] for ch in text]
    return ids


def decode_outputs(ids) -> list[str]:
    """Inverse of :func:`encode_targets`: an int array ``(B, 10)`` back to strings."""
    ids = np.asarray(ids)
    if ids.ndim != 2 or not np.issubdtype(ids.dtype, np.integer):
        raise ValueError(f"expected a 2-D int array of output ids, got {ids.dtype} {ids.shape}")
    if ids.min(initial=0) < 0 or ids.max(initial=0) >= len(OUTPUT_CHARS):
        raise ValueError(f"output ids must lie in 0..{len(OUTPUT_CHARS) - 1}")
    return ["".join(OUTPUT_CHARS[i] for i in row) for row in ids]
