"""Sphinx extension with attnbook's fixes to the generated pages.

Jupyter Book 1 sets up sphinx-thebe and sphinx-togglebutton twice, so every page carries their
inline scripts twice; the second ``const THEBE_JS_URL = ...`` is a page error in the browser
("Identifier 'THEBE_JS_URL' has already been declared"). This drops exact duplicate scripts from
each page's script list. It also adds ``static/`` to the site: ``attnbook.css`` (code at the
column's width, folded exercises and quizzes, the interactive figures' controls, print rules for
the PDF) and ``attnbook-widgets.js``, the player that draws the interactive figures from the
widget state the notebooks store (``_config.yml`` loads it on the pages with widgets).

The book's own build executes nothing (``_config.yml``: the pages show the stored outputs that
``make execute`` wrote). Should a build execute notebooks anyway, this extension sets
``ATTNBOOK_PRERENDER=1`` for its kernels (they inherit this process's environment): the pages
have no kernel, so interactive figures must draw every frame (see ``attnbook.widgets``). And
after an html build it drops the widget state from the ``_sources/`` copies of the notebooks
(:func:`slim_notebook_sources`).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

STATIC = Path(__file__).parent / "static"  # attnbook.css, attnbook-widgets.js


def _filename(js) -> str:
    # Inline scripts come with a filename of None or "" depending on who added them.
    return str(getattr(js, "filename", js) or "")


def _key(js) -> tuple:
    attributes = getattr(js, "attributes", None) or {}
    return (_filename(js), tuple(sorted((k, str(v)) for k, v in attributes.items())))


def dedupe_scripts(app, pagename, templatename, context, doctree) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, unique = set(), []
    for js in scripts:
        key = _key(js)
        if key not in seen:
            seen.add(key)
            unique.append(js)
    scripts[:] = unique


def figures_before_maths(app, pagename, templatename, context, doctree) -> None:
    """Put the widget player (``attnbook-widgets.js``) before MathJax in the page's scripts.

    Both are deferred, so they run in document order once the page is parsed. myst-nb adds the
    player after MathJax; moved before it, the figures are drawn before MathJax's 1.2-MB script
    is evaluated and the page typeset, and their first frames show about a second sooner on
    long chapters (time to interactive, tests/site/test_interactive_time.py)."""
    scripts = context.get("script_files")
    if not scripts:
        return
    names = [_filename(js) for js in scripts]
    player = next((i for i, n in enumerate(names) if n.endswith("attnbook-widgets.js")), None)
    maths = next((i for i, n in enumerate(names) if "mathjax" in n and n.endswith(".js")), None)
    if player is not None and maths is not None and player > maths:
        scripts.insert(maths, scripts.pop(player))


def add_static(app) -> None:
    app.config.html_static_path.append(str(STATIC))
    app.add_css_file("attnbook.css")


def slim_notebook_sources(app, exception) -> None:
    """Drop the widget state from the ``_sources/`` copies of the notebooks (the page's download
    button serves them): it holds every frame of every interactive figure (most of a chapter's
    megabytes), which only the web page uses: it is embedded in the page already, and a notebook
    opened in Jupyter redraws its figures when run. Outputs, first frames included, are kept."""
    if exception is not None or app.builder.format != "html":
        return
    sources = Path(app.outdir) / "_sources"
    for path in sorted(sources.rglob("*.ipynb*")):
        try:
            nb = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError):
            continue
        if nb.get("metadata", {}).pop("widgets", None) is not None:
            path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


# attnbook.widgets.STILL_HINT (tests/test_widgets.py checks they agree): the text an interactive
# figure's second output shows where no widget manager can draw it. The PDF, printed from the
# single-page build where widget views are switched off, should not tell readers to run a cell.
STILL_HINT = "(A still image: run the cell to move the controls.)"


def drop_still_hints(app, doctree, docname) -> None:
    from docutils import nodes

    for block in list(doctree.findall(nodes.literal_block)):
        if block.astext().strip() == STILL_HINT:
            parent = block.parent
            parent.remove(block)
            if isinstance(parent, nodes.container) and not parent.children and parent.parent:
                parent.parent.remove(parent)


def setup(app):
    os.environ["ATTNBOOK_PRERENDER"] = "1"  # before any notebook is executed
    app.connect("builder-inited", add_static)
    app.connect("html-page-context", dedupe_scripts, priority=900)
    app.connect("html-page-context", figures_before_maths, priority=910)
    app.connect("build-finished", slim_notebook_sources)
    app.connect("doctree-resolved", drop_still_hints)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
