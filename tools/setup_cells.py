"""Give every chapter notebook the same first cell: install attnbook where it is missing.

    python tools/setup_cells.py            # write/refresh the cell in notebooks/*.ipynb
    python tools/setup_cells.py --check    # exit 1 if any notebook's cell is missing or stale

On Colab (which opens one notebook, not the repository) `import attnbook` fails, so the cell
installs it quietly from the repository; everywhere else (Binder, a local clone, the book build,
nbval) the import succeeds and the cell does nothing. The repository address is read from
`_config.yml` (`repository.url`), the one place it lives. A notebook that needs more packages
lists them in its metadata as ``"attnbook": {"pip_no_deps": ["name==version", ...]}``; they are
installed with ``--no-deps`` by the same cell.

The cell is out of the way everywhere: the ``remove-cell`` tag keeps it off the website,
``jupyter.source_hidden`` folds its code in JupyterLab, and Colab shows it as a form (``cellView``
``form`` with an ``@title`` line): one titled line. Installing attnbook on Colab keeps Colab's own
ipywidgets (attnbook accepts 7.7, which Colab's widget manager shows; see attnbook.widgets).
Rewriting the cell keeps its stored execution count (the cell prints nothing), so a chapter
stays "executed in order" until it is next executed.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parents[1]
CELL_ID = "setup-colab"
TAGS = ["remove-cell"]
METADATA = {"tags": TAGS, "jupyter": {"source_hidden": True}, "cellView": "form"}


def repository_url() -> str:
    return yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"].rstrip("/")


def setup_source(nb: nbformat.NotebookNode) -> str:
    url = repository_url()
    extra = nb.metadata.get("attnbook", {}).get("pip_no_deps", [])
    lines = [
        "# @title Setup: installs attnbook on Colab (does nothing anywhere else)",
        "try:",
        "    import attnbook",
        "except ImportError:  # Colab opens one notebook, without the repository",
        f'    %pip install --quiet "attnbook @ git+{url}"',
    ]
    for req in extra:
        lines.append(f'    %pip install --quiet --no-deps "{req}"')
    return "\n".join(lines)


def sync(path: Path, check: bool) -> bool:
    nb = nbformat.read(path, as_version=4)
    want = setup_source(nb)
    first = nb.cells[0] if nb.cells else None
    has = first is not None and first.get("id") == CELL_ID
    ok = has and first.source == want and first.metadata == METADATA
    if ok or check:
        return ok
    cell = nbformat.v4.new_code_cell(want)
    cell.id = CELL_ID
    cell.metadata.update(json.loads(json.dumps(METADATA)))
    if has:
        cell.execution_count = first.get("execution_count")
        cell.outputs = first.get("outputs", [])
        nb.cells[0] = cell
    else:
        nb.cells.insert(0, cell)
    nbformat.write(nb, path)
    print(f"updated the setup cell of {path.relative_to(ROOT)} (re-execute it: make execute NB={path.relative_to(ROOT)})")
    return True


def main(argv: list[str]) -> int:
    check = "--check" in argv
    bad = [p for p in sorted((ROOT / "notebooks").glob("*.ipynb")) if not sync(p, check)]
    for p in bad:
        print(f"{p.relative_to(ROOT)}: setup cell missing or stale; run python tools/setup_cells.py")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
