"""Answer checkers for chapter 11's exercises (``ab.check.ex_11_k``)."""

from __future__ import annotations

from . import compare_array, compare_choice, compare_number, feedback  # noqa: F401

__all__: list[str] = []
