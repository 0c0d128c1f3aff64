"""Sphinx extension with attnbook's fixes to the generated pages.

Jupyter Book 1 sets up sphinx-thebe and sphinx-togglebutton twice, so every page carries their
inline scripts twice; the second ``const THEBE_JS_URL = ...`` is a page error in the browser
("Identifier 'THEBE_JS_URL' has already been declared"). This drops exact duplicate scripts from
each page's script list. It also adds ``static/attnbook.css`` (folded exercises and quizzes, and
print rules for the PDF).
"""

from __future__ import annotations

from pathlib import Path

STATIC = Path(__file__).parent / "static"  # attnbook.css: exercises, quizzes, print rules


def _key(js) -> tuple:
    # Inline scripts come with a filename of None or "" depending on who added them.
    attributes = getattr(js, "attributes", None) or {}
    filename = getattr(js, "filename", js) or ""
    return (str(filename), tuple(sorted((k, str(v)) for k, v in attributes.items())))


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


def add_static(app) -> None:
    app.config.html_static_path.append(str(STATIC))
    app.add_css_file("attnbook.css")


def setup(app):
    os.environ["ATTNBOOK_PRERENDER"] = "1"  # before any notebook is executed
    app.connect("builder-inited", add_static)
    app.connect("html-page-context", dedupe_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
