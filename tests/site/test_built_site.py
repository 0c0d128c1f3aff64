"""Checks of the built website in _build/html (run after `make book`)."""

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
HTML = ROOT / "_build" / "html"


def _toc_files():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]
    for part in toc.get("parts", []):
        files += [c["file"] for c in part["chapters"]]
    return files


CHAPTERS = [f for f in _toc_files() if f.startswith("notebooks/")]


def test_site_was_built():
    assert (HTML / "index.html").exists(), "run `make book` first"


@pytest.mark.parametrize("page", _toc_files())
def test_every_toc_page_is_built(page):
    assert (HTML / f"{page}.html").exists()


def test_every_notebook_is_a_chapter_in_the_toc():
    notebooks = sorted(f"notebooks/{p.stem}" for p in (ROOT / "notebooks").glob("*.ipynb"))
    assert notebooks == sorted(CHAPTERS)
    assert notebooks, "no chapter notebooks"


@pytest.mark.parametrize("page", CHAPTERS)
def test_chapter_page_contains_its_figures_and_an_interactive_figure(page):
    html = (HTML / f"{page}.html").read_text(encoding="utf-8")
    images = re.findall(r'<img[^>]+src="([^"]+\.png)"', html)
    assert images, f"{page} shows no figure"
    for src in images:
        assert (HTML / page).parent.joinpath(src).resolve().exists(), f"missing image {src}"
    # the widget state (with its PNG frames) is embedded and a widget view is placed
    assert 'application/vnd.jupyter.widget-state+json' in html
    assert 'application/vnd.jupyter.widget-view+json' in html
    assert re.search(r'"Image(Model|View)"', html), "no embedded image frames"
    # drawn by the book's own player, not the ipywidgets HTML manager (3.6 MB), so the controls
    # can be used about as soon as the page's text is there (test_interactive_time.py)
    assert re.search(r'<script[^>]+src="[^"]*_static/attnbook-widgets\.js', html)
    assert "embed-amd" not in html and "require.js" not in html
    # maths is present as TeX for MathJax, and no cell errored
    assert "math notranslate" in html
    assert "Traceback" not in html and 'class="output traceback' not in html


def test_launch_buttons_on_every_chapter():
    repo = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"].rstrip("/")
    name = repo.split("github.com/")[1]
    for page in CHAPTERS:
        html = (HTML / f"{page}.html").read_text(encoding="utf-8")
        assert f"mybinder.org/v2/gh/{name}/" in html, f"no Binder button on {page}"
        assert f"colab.research.google.com/github/{name}/blob/" in html, f"no Colab button on {page}"
        assert f"{page}.ipynb" in html


def test_pdf_is_built_and_linked_from_the_intro():
    pdf = HTML / "attnbook.pdf"
    assert pdf.exists(), "run `make pdf`"
    data = pdf.read_bytes()
    assert data.startswith(b"%PDF")
    pages = len(re.findall(rb"/Type\s*/Page\b", data))
    assert pages >= 5 * len(CHAPTERS), f"only {pages} pages"
    images = len(re.findall(rb"/Subtype\s*/Image", data))
    assert images >= len(CHAPTERS) and images > 0, f"{images} images in the PDF"
    intro = (HTML / f"{yaml.safe_load((ROOT / '_toc.yml').read_text())['root']}.html").read_text()
    assert 'href="../attnbook.pdf"' in intro


def test_nothing_runs_off_the_pdf_paper():
    """tools/make_pdf.py lays the page out at the paper's text width before printing and lists
    what would run off the paper (code, outputs, tables, display maths, images)."""
    report = HTML / "attnbook.layout.json"
    assert report.exists(), "run `make pdf`"
    import json
    problems = json.loads(report.read_text())
    assert not problems, f"{len(problems)} things run off the PDF's paper:\n" + "\n".join(problems[:30])


@pytest.mark.parametrize("page", CHAPTERS)
def test_diagrams_have_alt_text_on_the_page(page):
    """Every static diagram cell's alt text (cell metadata mystnb.image.alt) reaches its <img>."""
    import json
    nb = json.loads((ROOT / f"{page}.ipynb").read_text())
    widget = "application/vnd.jupyter.widget-view+json"
    alts = [c["metadata"]["mystnb"]["image"]["alt"] for c in nb["cells"]
            if c["cell_type"] == "code" and c["metadata"].get("mystnb", {}).get("image", {}).get("alt")
            # an interactive figure shows widget frames, not an <img> that could carry the alt
            and not any(widget in o.get("data", {}) for o in c.get("outputs", []))]
    html = (HTML / f"{page}.html").read_text(encoding="utf-8")
    import html as html_lib
    shown = {html_lib.unescape(a) for a in re.findall(r'<img[^>]+alt="([^"]*)"', html)}
    for alt in alts:
        assert alt in shown, f"alt text not on the page: {alt[:80]!r}"
