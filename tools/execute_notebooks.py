"""Execute notebooks in place, deterministically, storing their outputs and widget state.

    python tools/execute_notebooks.py notebooks/01_queries_keys_values.ipynb [...]

Each notebook runs top to bottom in a fresh kernel started in its own folder (nbclient, no
timing metadata, consecutive stream outputs merged so that a busy machine does not split a
print into pieces). Widget model ids are random UUIDs; they are renumbered in order of appearance
(uuid5 of the notebook name and a counter) so that re-executing an unchanged notebook rewrites
the same file. Exits non-zero if a cell raises.

The kernels run with ``ATTNBOOK_PRERENDER=1``: interactive figures draw every frame, since the
stored notebook (and the website built from it) has no kernel to draw them later.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
import uuid
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient

# Inherited by every kernel this process starts (see attnbook.widgets.prerender_everything).
os.environ["ATTNBOOK_PRERENDER"] = "1"

UUID = re.compile(r"[0-9a-f]{32}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def stable_widget_ids(nb: nbformat.NotebookNode, name: str) -> nbformat.NotebookNode:
    state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    ids = list(state.get("state", {}))
    if not ids:
        return nb
    text = nbformat.writes(nb)
    mapping = {}
    # Order of first appearance in the cells, then any ids only the state mentions.
    for found in UUID.findall(json.dumps(nb.cells)) + ids:
        if found in state["state"] and found not in mapping:
            mapping[found] = uuid.uuid5(uuid.NAMESPACE_URL, f"attnbook/{name}/{len(mapping)}").hex
    text = re.sub("|".join(map(re.escape, mapping)), lambda m: mapping[m.group(0)], text)
    return nbformat.reads(text, as_version=4)


def kernelspec(name: str = "python3") -> dict:
    """The notebook's ``kernelspec`` exactly as JupyterLab writes it for this kernel (so opening
    and saving a chapter changes nothing): ``{"display_name": "Python 3 (ipykernel)",
    "language": "python", "name": "python3"}`` for ipykernel's python3."""
    spec = KernelSpecManager().get_kernel_spec(name)
    return {"display_name": spec.display_name, "language": spec.language, "name": name}


def execute(path: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    client = NotebookClient(nb, timeout=600, kernel_name="python3", record_timing=False,
                            coalesce_streams=True,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    elapsed = time.perf_counter() - start
    nb.metadata["kernelspec"] = kernelspec()
    nb = stable_widget_ids(nb, path.stem)
    nbformat.validate(nb)
    nbformat.write(nb, path)
    return elapsed


def main(paths: list[str]) -> int:
    if not paths:
        print(__doc__)
        return 2
    for p in paths:
        elapsed = execute(Path(p))
        print(f"executed {p} in {elapsed:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
