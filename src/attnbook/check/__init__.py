"""Answer checkers for the book's exercises: ``ab.check.ex_N_k(answer)`` for exercise N.k.

A checker takes the reader's answer and replies in words — correct; close, with the likely slip
("did you divide by √d_k?"); or wrong, with what to look at — without printing the solution::

    >>> import attnbook as ab
    >>> ab.check.compare_number(None, 2.0)
    … Replace None with your answer, then run the cell again.
    >>> ab.check.compare_number(0.5, 2.0, slips={"Did you invert it?": 0.5})
    ~ Close. Did you invert it?

Every chapter's checkers live in ``attnbook/check/chNN.py`` and are built from the helpers here:

* :func:`compare_array` / :func:`compare_number` — numbers within a tolerance, with named slips
  (alternative answers that a common mistake produces, or predicates on the answer);
* :func:`compare_choice` — one answer out of named options;
* :func:`feedback` — any verdict with a message.

They return a :class:`Feedback`, whose repr is its message (a stable, plain-text output that nbval
can compare) and whose truth value says whether the answer was correct.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np

__all__ = ["Feedback", "feedback", "compare_array", "compare_number", "compare_choice"]

_ICONS = {"correct": "✓", "close": "~", "wrong": "✗", "missing": "…"}
Slip = Any  # an alternative expected value, or a predicate answer -> bool


@dataclass(frozen=True)
class Feedback:
    """A checker's reply: ``verdict`` is "correct", "close", "wrong" or "missing"."""

    verdict: str
    message: str

    def __post_init__(self):
        if self.verdict not in _ICONS:
            raise ValueError(f"verdict must be one of {sorted(_ICONS)}, got {self.verdict!r}")

    def __bool__(self) -> bool:
        return self.verdict == "correct"

    def __repr__(self) -> str:
        # wrapped to the book's code column, so a stored output never scrolls sideways
        return textwrap.fill(f"{_ICONS[self.verdict]} {self.message}", width=80,
                             subsequent_indent="  ", break_on_hyphens=False)

    __str__ = __repr__


def feedback(verdict: str, message: str) -> Feedback:
    """A :class:`Feedback` with ``verdict`` ("correct", "close", "wrong", "missing")."""
    return Feedback(verdict, message)


MISSING = Feedback("missing", "Replace None with your answer, then run the cell again.")


def _as_array(answer: Any) -> np.ndarray | None:
    try:
        arr = np.asarray(answer, dtype=float)
    except (TypeError, ValueError):
        return None
    return arr


def _matches(arr: np.ndarray, target: Any, rtol: float, atol: float) -> bool:
    if callable(target):
        try:
            return bool(target(arr))
        except Exception:  # a predicate that cannot judge this answer does not match
            return False
    t = np.asarray(target, dtype=float)
    return arr.shape == t.shape and bool(np.allclose(arr, t, rtol=rtol, atol=atol))


def compare_array(answer: Any, expected: Any, *, slips: Mapping[str, Slip] | None = None,
                  rtol: float = 1e-4, atol: float = 1e-6, correct: str = "Correct.",
                  wrong: str = "Not yet: check your steps against the chapter's formula.",
                  what: str = "your answer") -> Feedback:
    """Compare an array answer with ``expected`` (never shown to the reader).

    ``slips`` maps a message ("Did you forget to divide by √d_k?") to the value that slip
    produces (array-like) or to a predicate on the answer; the first that matches gives a
    "close" verdict with that message. A wrong shape is named, with the expected shape.
    """
    if answer is None:
        return MISSING
    arr = _as_array(answer)
    if arr is None:
        return Feedback("wrong", f"Could not read {what} as numbers: give a number, a list or "
                                 "a numpy array.")
    if not np.all(np.isfinite(arr)):
        return Feedback("wrong", f"{what.capitalize()} contains NaN or infinity.")
    exp = np.asarray(expected, dtype=float)
    if _matches(arr, exp, rtol, atol):
        return Feedback("correct", correct)
    for message, target in (slips or {}).items():
        if _matches(arr, target, rtol, atol):
            return Feedback("close", f"Close. {message}")
    if arr.ndim == 2 and _matches(arr.T, exp, rtol, atol):
        return Feedback("close", "Close: the numbers are right but transposed.")
    if arr.shape != exp.shape:
        return Feedback("wrong", f"{what.capitalize()} has shape {arr.shape}; the exercise "
                                 f"asks for shape {exp.shape}.")
    return Feedback("wrong", wrong)


def compare_number(answer: Any, expected: float, *, slips: Mapping[str, Slip] | None = None,
                   rtol: float = 1e-3, atol: float = 1e-6, **kwargs) -> Feedback:
    """Compare a single number with ``expected``; see :func:`compare_array`."""
    if answer is not None and np.ndim(_as_array(answer) if _as_array(answer) is not None
                                     else 0) != 0:
        return Feedback("wrong", "Give a single number.")
    return compare_array(answer, expected, slips=slips, rtol=rtol, atol=atol, **kwargs)


def compare_choice(answer: Any, expected: str, options: Mapping[str, str]) -> Feedback:
    """One of ``options`` (name -> feedback for choosing it); ``expected`` is the right name."""
    if answer is None:
        return MISSING
    key = str(answer).strip().lower()
    names = {str(k).lower(): k for k in options}
    if key not in names:
        return Feedback("wrong", f"Answer with one of {', '.join(map(repr, options))}.")
    name = names[key]
    verdict = "correct" if name == expected else "wrong"
    return Feedback(verdict, options[name])


from .ch01 import *  # noqa: E402,F401,F403  (one module of checkers per chapter)
from .ch02 import *  # noqa: E402,F401,F403
from .ch03 import *  # noqa: E402,F401,F403
from .ch04 import *  # noqa: E402,F401,F403
from .ch05 import *  # noqa: E402,F401,F403
from .ch06 import *  # noqa: E402,F401,F403
from .ch07 import *  # noqa: E402,F401,F403
from .ch08 import *  # noqa: E402,F401,F403
from .ch09 import *  # noqa: E402,F401,F403
from .ch10 import *  # noqa: E402,F401,F403
from .ch11 import *  # noqa: E402,F401,F403
from .ch12 import *  # noqa: E402,F401,F403
