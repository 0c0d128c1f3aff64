"""Print the single-page build of the book to a PDF with headless Chromium.

    python tools/make_pdf.py _build/singlehtml _build/html/attnbook.pdf

`jupyter-book build --builder singlehtml` writes the whole book as one page (its index.html only
redirects to the root page, and the page's relative links assume it sits at the root); interactive figures show their first frame there, because
`_config.yml` gives widget views no priority in that builder. This script serves that folder on
127.0.0.1 with every other request refused, waits for MathJax to typeset, and prints the page.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import sys
import threading
from pathlib import Path

import yaml
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = os.environ.get("ATTNBOOK_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
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
            page.emulate_media(media="print")
            page.pdf(path=str(out), format="A4", print_background=True,
                     margin={"top": "15mm", "bottom": "15mm", "left": "12mm", "right": "12mm"})
            browser.close()
    finally:
        httpd.shutdown()
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
