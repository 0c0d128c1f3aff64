"""Print the single-page build of the book to a PDF with headless Chromium.

    python tools/make_pdf.py _build/singlehtml _build/html/attnbook.pdf

`jupyter-book build --builder singlehtml` writes the whole book as one page (its index.html only
redirects to the root page, and the page's relative links assume it sits at the root); interactive figures show their first frame there, because
`_config.yml` gives widget views no priority in that builder. This script serves that folder on
127.0.0.1 with every other request refused, waits for MathJax to typeset, opens the folded hints,
solutions and quiz answer keys (quiz choices stay folded: the key lists the answers), and prints
the page. Before printing it lays the page out at the paper's text width and records everything
that would run off the paper (code, outputs, tables, display maths, images wider than the text)
in ``<out>.layout.json``, which tests/site/test_built_site.py requires to be empty.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import sys
import threading
from pathlib import Path

import yaml
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("ATTNBOOK_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
# A4 (210 mm) less the 12-mm side margins, in CSS pixels (96 per inch).
PAPER_TEXT_WIDTH = round((210 - 2 * 12) / 25.4 * 96)
UNFOLD = """() => document.querySelectorAll(
    'details.hint, details.solution, details.quiz-key, details.hide').forEach(d => d.open = true)"""
OVERFLOW = """() => {
    const out = [];
    const name = e => e.tagName.toLowerCase() + (e.className && typeof e.className === 'string'
        ? '.' + e.className.trim().split(/\\s+/).join('.') : '');
    const text = e => (e.textContent || e.getAttribute('src') || '').trim().slice(0, 60);
    const box = (document.querySelector('article') || document.body).getBoundingClientRect();
    document.querySelectorAll('pre, table, mjx-container[display="true"], img').forEach(e => {
        if (e.offsetParent === null) return;
        const r = e.getBoundingClientRect();
        if (e.scrollWidth > e.clientWidth + 1 && e.tagName !== 'IMG')
            out.push(`${name(e)} scrolls: ${e.scrollWidth} > ${e.clientWidth} px: ${text(e)}`);
        else if (r.right > box.right + 1)
            out.push(`${name(e)} runs ${Math.round(r.right - box.right)} px past the text: ${text(e)}`);
        if (e.tagName === 'MJX-CONTAINER') {
            const m = e.firstElementChild && e.firstElementChild.getBoundingClientRect();
            if (m && m.width > r.width + 1)
                out.push(`maths ${Math.round(m.width)} px wide in ${Math.round(r.width)}: ${text(e)}`);
        }
    });
    return out;
}"""
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-quic", "--no-first-run", "--disable-sync"]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def main(src: Path, out: Path) -> int:
    root_page = yaml.safe_load((ROOT / "_toc.yml").read_text())["root"]
    if not (src / f"{root_page}.html").exists():
        sys.exit(f"no {src / root_page}.html: build the single page first")
    if not Path(CHROMIUM).exists():
        sys.exit(f"no chromium at {CHROMIUM}: `make browser` installs Debian's chromium")
    # The single page is written to <root page>.html, one folder deep, but its links to _static/
    # and _images/ are relative to the output root: print a copy that sits at the root.
    shutil.copy2(src / f"{root_page}.html", src / "print.html")
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                            functools.partial(_Quiet, directory=str(src)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    out.parent.mkdir(parents=True, exist_ok=True)
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            page = browser.new_page()
            page.route("**/*", lambda r: r.continue_() if r.request.url.startswith((base, "data:", "blob:")) else r.abort())
            page.goto(f"{base}/print.html", wait_until="networkidle")
            if page.locator(".math").count():
                page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
                page.evaluate("() => MathJax.startup.promise")
            page.evaluate(UNFOLD)
            page.emulate_media(media="print")
            page.set_viewport_size({"width": PAPER_TEXT_WIDTH, "height": 1000})
            page.wait_for_timeout(200)
            problems = page.evaluate(OVERFLOW)
            out.with_suffix(".layout.json").write_text(json.dumps(problems, indent=1))
            page.pdf(path=str(out), format="A4", print_background=True,
                     margin={"top": "15mm", "bottom": "15mm", "left": "12mm", "right": "12mm"})
            browser.close()
    finally:
        httpd.shutdown()
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB); {len(problems)} things run off "
          f"the paper (listed in {out.with_suffix('.layout.json')})")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
