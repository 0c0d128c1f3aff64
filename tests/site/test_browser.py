"""The built website in a real browser: headless Chromium driven by Playwright.

Every page of the book is served from _build/html on 127.0.0.1 with every other request aborted
(no network), and must show no console or page errors and no failed requests, rendered maths
(no raw TeX left), loaded images, and interactive figures whose controls change the displayed
frame and restore it when moved back. A screenshot of every page is saved in
_build/screenshots/ for people to look at.

The browser is Debian's ``chromium`` (Playwright's own browser download cannot work here); set
ATTNBOOK_CHROMIUM to use another binary. Without a browser these tests skip, except under
CI=true, where a missing browser is a failure.
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import re
import shutil
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest

from test_built_site import CHAPTERS, HTML, ROOT, _toc_files

playwright_sync = pytest.importorskip("playwright.sync_api")

SCREENSHOTS = ROOT / "_build" / "screenshots"
CHROMIUM = os.environ.get("ATTNBOOK_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-quic", "--no-first-run", "--disable-sync"]
RAW_TEX = re.compile(r"\$\$|\\(frac|mathbf|mathbb|sum|alpha|operatorname|sqrt|top|tau|exp|log)\b")


def _interactive_figure_count(page: str) -> int:
    """How many InteractiveFigure outputs the notebook behind ``page`` displays."""
    nb = json.loads((ROOT / f"{page}.ipynb").read_text())
    return sum(
        1
        for cell in nb["cells"] if cell["cell_type"] == "code"
        for out in cell["outputs"]
        if "".join(out.get("data", {}).get("text/plain", "")).startswith("InteractiveFigure(")
    )


@pytest.fixture(scope="module")
def server():
    if not (HTML / "index.html").exists():
        pytest.fail("run `make book` first")
    handler = functools.partial(_QuietHandler, directory=str(HTML))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        message = f"no chromium at {CHROMIUM} (install Debian's chromium: `make browser`)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    with playwright_sync.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class PageProblems:
    """Console errors, page errors and failed or blocked requests seen while a page is open."""

    def __init__(self, page, base: str):
        self.errors: list[str] = []
        host = urlparse(base).netloc

        def route(r):
            if urlparse(r.request.url).netloc == host or r.request.url.startswith(("data:", "blob:")):
                r.continue_()
            else:
                self.errors.append(f"blocked off-site request {r.request.url}")
                r.abort()

        page.route("**/*", route)
        page.on("console", lambda m: m.type == "error" and self.errors.append(f"console: {m.text}"))
        page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        page.on("requestfailed", lambda r: self.errors.append(f"failed: {r.url} {r.failure}"))
        page.on("response", lambda r: r.status >= 400 and self.errors.append(f"HTTP {r.status}: {r.url}"))


def _open(browser, server, page_name: str):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems = PageProblems(page, server)
    page.goto(f"{server}/{page_name}.html", wait_until="load")
    if page.locator(".math").count():
        page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
        page.evaluate("() => MathJax.startup.promise")
    return context, page, problems


def _visible_frame(figure) -> bytes:
    """A screenshot (PNG bytes) of the one frame image an interactive figure shows now.

    Frames are compared by their pixels: the widget manager renders an Image widget through a
    fresh blob: URL every time its view is shown, so URLs do not identify frames.
    """
    frames = figure.locator("img").filter(visible=True)
    assert frames.count() == 1, f"expected one visible frame, found {frames.count()}"
    return frames.screenshot()


def _move(control):
    """Move a control one step (slider, drop-down or toggle buttons); return how to move it back."""
    if control.locator("select").count():
        select = control.locator("select")
        start = select.evaluate("s => s.selectedIndex")
        select.select_option(index=(start + 1) % select.locator("option").count())
        return lambda: select.select_option(index=start)
    if control.locator("button").count():
        buttons = control.locator("button")
        n = buttons.count()
        start = next(i for i in range(n) if "mod-active" in (buttons.nth(i).get_attribute("class") or ""))
        buttons.nth((start + 1) % n).click()
        return lambda: buttons.nth(start).click()
    handle = control.locator(".noUi-handle")  # a slider: keyboard steps on its handle
    assert handle.count() == 1, f"unknown kind of control: {control.get_attribute('class')}"
    at_end = handle.get_attribute("aria-valuenow") == handle.get_attribute("aria-valuemax")
    forward, backward = ("ArrowLeft", "ArrowRight") if at_end else ("ArrowRight", "ArrowLeft")
    handle.focus()
    handle.press(forward)
    return lambda: (handle.focus(), handle.press(backward))


PAGES = _toc_files()


@pytest.mark.parametrize("page_name", PAGES)
def test_page_in_browser(browser, server, page_name):
    context, page, problems = _open(browser, server, page_name)
    try:
        page.wait_for_load_state("networkidle")
        expected = _interactive_figure_count(page_name) if page_name in CHAPTERS else 0
        if expected:
            page.wait_for_function(
                f"() => document.querySelectorAll('.attnbook-interactive img').length >= {expected}",
                timeout=30_000)
        # maths rendered: MathJax containers present, no TeX left in the prose
        if page.locator(".math").count():
            assert page.locator("mjx-container").count() > 0, "MathJax rendered nothing"
        prose = page.evaluate("""() => {
            const a = document.querySelector('article') || document.body;
            const c = a.cloneNode(true);
            c.querySelectorAll('pre, code, mjx-container, script, .cell_input').forEach(e => e.remove());
            return c.textContent; }""")
        raw = RAW_TEX.search(prose)
        assert raw is None, f"raw TeX left on the page: {prose[max(0, raw.start() - 40):raw.end() + 40]!r}"
        # every image loaded
        broken = page.evaluate("""() => [...document.querySelectorAll('article img')]
            .filter(i => !(i.complete && i.naturalWidth > 0) && i.offsetParent !== null).map(i => i.src)""")
        assert not broken, f"images that did not load: {broken}"
        # every interactive figure rendered and responds to each of its controls
        figures = page.locator(".attnbook-interactive")
        assert figures.count() == expected, f"{figures.count()} interactive figures rendered, {expected} expected"
        for i in range(expected):
            figure = figures.nth(i)
            figure.scroll_into_view_if_needed()
            controls = figure.locator(":scope > :first-child > *")  # the row of controls
            assert controls.count() >= 1, f"figure {i} has no controls"
            for c in range(controls.count()):
                control = controls.nth(c)
                before = _visible_frame(figure)
                move_back = _move(control)
                page.wait_for_timeout(100)
                after = _visible_frame(figure)
                assert after != before, f"figure {i}, control {c}: moving it did not change the frame"
                move_back()
                page.wait_for_timeout(100)
                assert _visible_frame(figure) == before, f"figure {i}, control {c}: moving back did not restore"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.evaluate("() => window.scrollTo(0, 0)")
        page.screenshot(path=SCREENSHOTS / f"{page_name.replace('/', '__')}.png", full_page=True)
        assert not problems.errors, "\n".join(problems.errors)
    finally:
        context.close()
