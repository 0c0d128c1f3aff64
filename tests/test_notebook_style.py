"""The house style of the second edition, checked on the committed notebooks and book pages.

Each rule is one test, parametrised by notebook, so `pytest -k 03_` checks one chapter:
- code lines fit the ~84-character column; no MyST-only roles or targets (they show raw in
  JupyterLab and Colab); the kernelspec is stored as Jupyter writes it;
- stored outputs are portable: no numbers at rounding-error level, no numpy scalar reprs;
- every exercise has a hint and a worked solution (folded ``<details>``), every chapter a quiz,
  a diagram and 3-6 exercises;
- the references page lists exactly the works the book cites.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
sys.path.insert(0, str(ROOT / "tools"))
import make_references  # noqa: E402

MAX_CODE_LINE = 84
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
MYST_ONLY = re.compile(
    r"\{(?:doc|ref|numref|eq|cite(?::\w+)?|term|download|glue(?::\w+)?)\}`"  # roles
    r"|^\([\w-]+\)=\s*$"                                                      # targets
    r"|^(?:```|:::)\s*\{[\w-]+\}", re.M)                                      # directives
# A number in scientific notation with exponent <= -8 is at rounding-error level unless it is
# printed as a bound ("< 1e-9", "≤ 1e-12").
TINY = re.compile(r"(?<![<≤\w.])(?<![<≤] )(?<![<≤]  )[-+]?\d+(?:\.\d+)?e-0*(\d+)\b")
NUMPY_REPR = re.compile(r"np\.(?:float|int|uint|complex|bool)\w*\(")
EXERCISE = re.compile(r"^### Exercise (\d+)\.(\d+) — \S", re.M)
HINT = '<details class="hint"><summary>Hint</summary>'
SOLUTION = '<details class="solution"><summary>Solution</summary>'


def _nb(path: Path) -> dict:
    return json.loads(path.read_text())


def _src(cell: dict) -> str:
    return "".join(cell["source"])


def _output_text(out: dict) -> str:
    if "text" in out:
        return "".join(out["text"])
    data = out.get("data", {})
    return "".join(data.get("text/plain", "")) + "".join(data.get("text/html", ""))


def _chapter(path: Path) -> int:
    return int(path.name[:2])


nb_param = pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)


@nb_param
def test_code_lines_fit_the_column(path):
    long = [(i, line) for i, c in enumerate(_nb(path)["cells"]) if c["cell_type"] == "code"
            for line in _src(c).splitlines() if len(line) > MAX_CODE_LINE]
    assert not long, (f"{len(long)} code lines over {MAX_CODE_LINE} characters, e.g. cell "
                      f"{long[0][0]}: {long[0][1]!r}")


@nb_param
def test_no_myst_only_syntax(path):
    found = [(i, m.group(0)) for i, c in enumerate(_nb(path)["cells"])
             if c["cell_type"] == "markdown" for m in MYST_ONLY.finditer(_src(c))]
    assert not found, f"MyST-only syntax shows raw in JupyterLab/Colab: {found[:5]}"


@nb_param
def test_kernelspec_as_jupyter_writes_it(path):
    assert _nb(path)["metadata"].get("kernelspec") == KERNELSPEC


@nb_param
def test_outputs_are_portable(path):
    bad = []
    for i, c in enumerate(_nb(path)["cells"]):
        if c["cell_type"] != "code" or "nbval-ignore-output" in c["metadata"].get("tags", []):
            continue
        for out in c.get("outputs", []):
            text = _output_text(out)
            bad += [(i, m.group(0)) for m in TINY.finditer(text) if int(m.group(1)) >= 8]
            bad += [(i, m.group(0)) for m in NUMPY_REPR.finditer(text)]
    assert not bad, ("outputs that differ between machines or BLAS builds (print a bound such "
                     f"as '< 1e-9', a pass/fail, or plain floats): {bad[:5]}")


def test_tiny_number_rule_itself():
    found = lambda s: [m.group(0) for m in TINY.finditer(s) if int(m.group(1)) >= 8]
    assert found("error 4e-11") == ["4e-11"]
    assert found("error 3.2e-09 and 1e-12") == ["3.2e-09", "1e-12"]
    assert found("max error < 1e-9: True") == []
    assert found("≤ 1e-12") == []
    assert found("lr 3e-3, eps 1e-6") == []


def _exercise_blocks(nb: dict) -> list[tuple[str, str, list[dict]]]:
    """(number, markdown text, following code cells) of each exercise, up to the next one."""
    blocks = []
    in_exercises = False
    for c in nb["cells"]:
        src = _src(c)
        if c["cell_type"] == "markdown" and re.search(r"^## ", src, re.M):
            heads = re.findall(r"^## (.+)$", src, re.M)
            in_exercises = heads[-1].strip() == "Exercises" if heads else in_exercises
        if not in_exercises:
            continue
        found = list(EXERCISE.finditer(src)) if c["cell_type"] == "markdown" else []
        if found:
            for j, m in enumerate(found):
                end = found[j + 1].start() if j + 1 < len(found) else len(src)
                blocks.append([f"{m.group(1)}.{m.group(2)}", src[m.start():end], []])
        elif blocks and c["cell_type"] == "markdown":
            blocks[-1][1] += "\n" + src
        elif blocks:
            blocks[-1][2].append(c)
    return [tuple(b) for b in blocks]


@nb_param
def test_exercises_have_hints_and_solutions(path):
    nb = _nb(path)
    blocks = _exercise_blocks(nb)
    assert 3 <= len(blocks) <= 6, f"{len(blocks)} exercises found (want 3-6, each a markdown " \
        "cell starting '### Exercise N.k — title' under '## Exercises')"
    for number, text, code in blocks:
        assert number.split(".")[0] == str(_chapter(path)), f"exercise {number} misnumbered"
        assert HINT in text, f"exercise {number} has no {HINT!r} block"
        assert SOLUTION in text, f"exercise {number} has no {SOLUTION!r} block"
        assert text.count("</details>") >= 2
        for c in code:
            tags = c["metadata"].get("tags", [])
            if "solution" in tags:
                assert "hide-cell" in tags, f"solution cell of {number} is not folded on the site"
                assert c["metadata"].get("jupyter", {}).get("source_hidden") is True, \
                    f"solution cell of {number} is not folded in JupyterLab"
    numbers = [b[0] for b in blocks]
    assert numbers == [f"{_chapter(path)}.{k}" for k in range(1, len(blocks) + 1)]


@nb_param
def test_chapter_has_a_quiz(path):
    nb = _nb(path)
    cells = nb["cells"]
    heads = [i for i, c in enumerate(cells)
             if c["cell_type"] == "markdown" and "\n## Check your understanding" in "\n" + _src(c)]
    assert heads, "no '## Check your understanding' section"
    quiz_cells = [c for c in cells[heads[0]:] if c["cell_type"] == "code"
                  and "ab.quiz(" in _src(c)]
    assert quiz_cells, "the quiz section has no `ab.quiz(...)` cell"
    assert "remove-input" in quiz_cells[0]["metadata"].get("tags", [])
    html = "".join("".join(o.get("data", {}).get("text/html", ""))
                   for o in quiz_cells[0]["outputs"])
    n = html.count('class="quiz-question"')
    assert 3 <= n <= 5, f"the quiz has {n} questions (want 3-5)"


@nb_param
def test_chapter_has_a_process_diagram(path):
    code = "\n".join(_src(c) for c in _nb(path)["cells"] if c["cell_type"] == "code")
    assert "diagrams." in code, "every chapter draws at least one attnbook.diagrams diagram"


def test_references_page_is_current():
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "make_references.py"),
                             "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


def test_references_are_exactly_the_cited_works():
    entries = make_references.parse_bib(make_references.BIB.read_text())
    cited_links = set()
    for p in make_references._sources():
        cited_links |= set(make_references.CITE.findall(make_references._text(p)))
    unknown = sorted(k for k in cited_links if k not in entries
                     and re.fullmatch(r"[a-z]+\d{4}[a-z0-9]*", k))
    assert not unknown, f"cited but not in book/references.bib: {unknown}"
    uncited = sorted(set(entries) - cited_links)
    assert not uncited, f"in references.bib but cited nowhere (cite or drop): {uncited}"


@nb_param
def test_diagram_cells_have_alt_text(path):
    """A cell that shows a static attnbook diagram carries its alt text for the website
    (cell metadata mystnb.image.alt, as attnbook.diagrams' docstring explains)."""
    missing = []
    for i, c in enumerate(_nb(path)["cells"]):
        if c["cell_type"] != "code" or "diagrams." not in _src(c):
            continue
        static_image = any("image/png" in o.get("data", {}) and "application/vnd.jupyter."
                           "widget-view+json" not in o.get("data", {}) for o in c["outputs"])
        alt = c["metadata"].get("mystnb", {}).get("image", {}).get("alt", "")
        if static_image and len(alt.split()) < 5:
            missing.append(i)
    assert not missing, f"diagram cells without alt text (mystnb.image.alt): {missing}"


@nb_param
def test_citations_link_to_the_key(path):
    """Cite as [Author (year)](#key): the site resolves #key to the references page entry; a
    path link like ../book/references.md#key breaks the -W build and is not counted."""
    bad = [m.group(0) for c in _nb(path)["cells"] if c["cell_type"] == "markdown"
           for m in re.finditer(r"\]\([^)]*references\.(?:md|html)#[^)]*\)", _src(c))]
    assert not bad, f"cite with (#key) instead: {bad[:3]}"
