"""Answer checkers for chapter 6's exercises (``ab.check.ex_6_k``)."""

from __future__ import annotations

from . import compare_array, compare_choice, compare_number, feedback  # noqa: F401

__all__: list[str] = []
