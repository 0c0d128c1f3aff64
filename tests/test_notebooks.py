"""Checks of the committed notebooks themselves (nbval checks their outputs)."""

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def test_there_are_numbered_chapters():
    assert NOTEBOOKS
    for i, p in enumerate(NOTEBOOKS, start=1):
        assert p.name.startswith(f"{i:02d}_"), f"{p.name} breaks the numbering"


def test_setup_cells_are_current():
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "setup_cells.py"), "--check"],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_is_executed_in_order_with_stored_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    counts = [c.execution_count for c in nb.cells if c.cell_type == "code"]
    assert None not in counts, "a code cell has no stored output: run `make execute`"
    assert counts == list(range(1, len(counts) + 1)), "not executed top to bottom in one kernel"
    assert nb.metadata.kernelspec.name == "python3"
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            assert out.output_type != "error", f"stored error in {path.name}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_chapter_shape(path):
    """Every chapter opens with a title and what the reader will be able to do, and ends with
    a summary and exercises."""
    nb = nbformat.read(path, as_version=4)
    md = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    first_md = next(c.source for c in nb.cells if c.cell_type == "markdown")
    assert first_md.startswith("# ")
    assert "you will be able to" in first_md.lower()
    assert "\n## Summary" in md and "\n## Exercises" in md
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "interactive_figure(" in code, "every chapter has a slider- or menu-driven figure"
