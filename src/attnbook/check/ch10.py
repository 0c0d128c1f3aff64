"""Answer checkers for chapter 10's exercises (``ab.check.ex_10_k``)."""

from __future__ import annotations

from . import compare_array, compare_choice, compare_number, feedback  # noqa: F401

__all__: list[str] = []
