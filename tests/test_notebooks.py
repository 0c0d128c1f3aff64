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


WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_widget_state_has_every_frame(path):
    """The website is built from the stored outputs (no execution at build time): every widget
    a stored output shows must be in the stored widget state, and every image in it drawn
    (``make execute`` draws every frame of every interactive figure)."""
    nb = nbformat.read(path, as_version=4)
    views = [out.data[WIDGET_VIEW]["model_id"] for cell in nb.cells
             for out in cell.get("outputs", []) if WIDGET_VIEW in out.get("data", {})]
    if not views:
        return
    state = nb.metadata.widgets[WIDGET_STATE]["state"]
    assert set(views) <= set(state), "a widget output is missing from the stored widget state"
    images = {k: m for k, m in state.items() if m["model_name"] == "ImageModel"}
    assert images
    for model_id, model in images.items():
        value = [b for b in model.get("buffers", []) if b.get("path") == ["value"]]
        assert value and value[0]["data"].startswith("iVBORw0KGgo"), (
            f"image {model_id} has no stored frame: run `make execute NB={path.name}`")


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
