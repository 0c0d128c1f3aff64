"""Run the docstring examples (``>>>``) of every attnbook module, so they stay true.

`make test-unit` collects this file with the rest of tests/. An example that cannot run
everywhere is marked ``# doctest: +SKIP`` in its docstring (and says why).
"""

import doctest
import importlib
import pkgutil

import matplotlib
import pytest

import attnbook

matplotlib.use("Agg")

MODULES = sorted(m.name for m in pkgutil.walk_packages(attnbook.__path__, "attnbook.")
                 if not m.name.endswith("_cli"))  # the CLIs only call main(): nothing to test
FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _examples(name):
    module = importlib.import_module(name)
    return [t for t in doctest.DocTestFinder().find(module, name) if t.examples]


@pytest.mark.parametrize("name", [n for n in MODULES if _examples(n)])
def test_docstring_examples(name):
    runner = doctest.DocTestRunner(optionflags=FLAGS)
    for test in _examples(name):
        runner.run(test)
    failed, attempted = runner.summarize(verbose=False)
    assert failed == 0, f"{failed} of {attempted} docstring examples of {name} failed (see stdout)"


def test_the_date_model_example_is_not_skipped():
    """The issue: DateModel's example was skipped and wrong ("nov 23, 26" -> 2066-11-23)."""
    from attnbook.datemodel import DateModel
    assert "+SKIP" not in DateModel.__doc__ and ">>> model.predict(" in DateModel.__doc__
