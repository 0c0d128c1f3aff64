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
    """Console errors, page errors and failed or blocked requests seen while a page is open,
    and the requests still open (``pending``)."""

    def __init__(self, page, base: str):
        self.errors: list[str] = []
        self.pending: set[str] = set()
        host = urlparse(base).netloc
        page.on("request", lambda r: self.pending.add(r.url))
        page.on("requestfinished", lambda r: self.pending.discard(r.url))
        page.on("requestfailed", lambda r: self.pending.discard(r.url))

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


def _network_idle(page, problems: PageProblems, timeout: float = 30_000) -> None:
    """Wait for Playwright's "networkidle" (no request for 500 ms). On a long run it now and
    then never fires although every request has finished; then it is enough that none is still
    open (each test goes on to wait for what it checks: maths, frames)."""
    try:
        page.wait_for_load_state("networkidle", timeout=timeout)
    except playwright_sync.TimeoutError:
        assert not problems.pending, (f"requests still open after {timeout / 1000:.0f} s: "
                                      f"{sorted(problems.pending)[:5]}")


def _visible_frame(figure) -> bytes:
    """A screenshot (PNG bytes) of the one frame image an interactive figure shows now.

    Frames are compared by their pixels, which is what a reader sees (the page's player,
    book/_site/static/attnbook-widgets.js, shows each frame from a data: URL).
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
    slider = control.locator("input[type=range]")  # a slider: keyboard steps, as a reader's
    assert slider.count() == 1, f"unknown kind of control: {control.get_attribute('class')}"
    box = slider.bounding_box()
    assert box and box["width"] >= 60, f"a slider too narrow to use: {box}"
    readout = control.locator(".widget-readout")
    shown = readout.inner_text()
    at_end = slider.evaluate("s => s.value === s.max")
    forward, backward = ("ArrowLeft", "ArrowRight") if at_end else ("ArrowRight", "ArrowLeft")
    slider.focus()
    slider.press(forward)
    assert readout.inner_text() != shown, "the slider's readout did not follow it"
    return lambda: (slider.focus(), slider.press(backward))


PAGES = _toc_files()


@pytest.fixture(scope="module", params=PAGES, ids=str)
def desktop(request, browser, server):
    """(page name, page, problems): a page of the book open at 1280 x 900 with its maths and
    frames drawn, shared by the tests that look at it there (pytest runs them one after the
    other, so each page is loaded once for all of them)."""
    context, page, problems = _open(browser, server, request.param)
    try:
        _settled(page, request.param, problems)
        yield request.param, page, problems
    finally:
        context.close()


def test_page_in_browser(desktop):
    page_name, page, problems = desktop
    expected = _interactive_figure_count(page_name) if page_name in CHAPTERS else 0
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
        solo = []  # the frame with only control c moved
        for c in range(controls.count()):
            control = controls.nth(c)
            before = _visible_frame(figure)
            move_back = _move(control)
            page.wait_for_timeout(100)
            after = _visible_frame(figure)
            assert after != before, f"figure {i}, control {c}: moving it did not change the frame"
            solo.append(after)
            move_back()
            page.wait_for_timeout(100)
            assert _visible_frame(figure) == before, f"figure {i}, control {c}: moving back did not restore"
        if controls.count() > 1:
            # All controls moved, then all but the last moved back: the frame must be the one with
            # only the last moved, so the frames behind hidden branches followed the last control.
            first = _visible_frame(figure)
            backs = [_move(controls.nth(c)) for c in range(controls.count())]
            for back in backs[:-1]:
                back()
            page.wait_for_timeout(100)
            assert _visible_frame(figure) == solo[-1], (
                f"figure {i}: after moving every control and all but the last back, the frame is "
                "not the one with only the last control moved")
            backs[-1]()
            page.wait_for_timeout(100)
            assert _visible_frame(figure) == first, f"figure {i}: moving every control back did not restore"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.evaluate("() => window.scrollTo(0, 0)")
    page.screenshot(path=SCREENSHOTS / f"{page_name.replace('/', '__')}.png", full_page=True)
    assert not problems.errors, "\n".join(problems.errors)


# --- Readable at the column's width (second edition) -------------------------------------------

# What must not scroll sideways inside the text column, or run past it.
FIT_CHECK = """() => {
    const out = [];
    const text = e => (e.textContent || e.getAttribute('src') || '').trim().slice(0, 70);
    const article = document.querySelector('article') || document.body;
    const box = article.getBoundingClientRect();
    const scrolls = e => e.scrollWidth > e.clientWidth + 1;
    article.querySelectorAll('.cell_input pre, .cell_output pre, .output pre, div.highlight pre')
        .forEach(e => { if (e.offsetParent !== null && scrolls(e))
            out.push(`code/output scrolls (${e.scrollWidth} > ${e.clientWidth} px): ${text(e)}`); });
    article.querySelectorAll('table').forEach(t => {
        const holder = t.parentElement;
        if (t.offsetParent !== null && (scrolls(holder) || t.getBoundingClientRect().right > box.right + 1))
            out.push(`table wider than the column (${t.scrollWidth} px): ${text(t)}`); });
    article.querySelectorAll('mjx-container[display="true"]').forEach(m => {
        const inner = m.firstElementChild;
        if (!inner || m.offsetParent === null) return;
        const w = inner.getBoundingClientRect().width, c = m.getBoundingClientRect().width;
        if (w > c + 1 || m.getBoundingClientRect().right > box.right + 1)
            out.push(`display maths ${Math.round(w)} px wide in a ${Math.round(c)}-px column: ${text(m)}`); });
    return out;
}"""

# Images shown at less than 0.6x or more than 1.25x their intended CSS size. The intended size is
# the image's width attribute or inline style width (high-density PNGs carry their 1x width there,
# from the output's width metadata) or else its pixels.
SCALE_CHECK = """() => [...document.querySelectorAll('article img')]
    .filter(i => i.offsetParent !== null && i.complete && i.naturalWidth > 0)
    .map(i => { const intended = parseFloat(i.getAttribute('width'))
                                 || parseFloat(i.style.width) || i.naturalWidth;
                const shown = i.getBoundingClientRect().width;
                return [i.getAttribute('src').slice(0, 60), intended, shown, shown / intended]; })
    .filter(([src, intended, shown, ratio]) => ratio < 0.6 || ratio > 1.25)
    .map(([src, intended, shown, ratio]) =>
         `image shown at ${ratio.toFixed(2)}x (${Math.round(shown)} of ${Math.round(intended)} px): ${src}`)"""


def _settled(page, page_name, problems):
    _network_idle(page, problems)
    expected = _interactive_figure_count(page_name) if page_name in CHAPTERS else 0
    if expected:
        page.wait_for_function(
            f"() => document.querySelectorAll('.attnbook-interactive img').length >= {expected}",
            timeout=30_000)


def test_page_fits_the_column_at_1280(desktop):
    _, page, _ = desktop
    issues = page.evaluate(FIT_CHECK) + page.evaluate(SCALE_CHECK)
    assert not issues, f"{len(issues)} things do not fit the column:\n" + "\n".join(issues)


@pytest.mark.parametrize("page_name", PAGES)
def test_page_does_not_scroll_sideways_on_a_phone(browser, server, page_name):
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2)
    page = context.new_page()
    problems = PageProblems(page, server)
    try:
        page.goto(f"{server}/{page_name}.html", wait_until="load")
        _settled(page, page_name, problems)
        if page.locator(".math").count():
            page.wait_for_function("() => window.MathJax && MathJax.startup && MathJax.startup.promise")
            page.evaluate("() => MathJax.startup.promise")
        width = page.evaluate("() => document.documentElement.scrollWidth")
        assert width <= 390, f"the page is {width} px wide on a 390-px phone screen"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / f"phone__{page_name.replace('/', '__')}.png")
    finally:
        context.close()


# --- Exercises and quizzes fold, and open to show their content -------------------------------

def _notebook_counts(page_name: str) -> dict:
    nb = json.loads((ROOT / f"{page_name}.ipynb").read_text())
    md = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    return {"hint": md.count('<details class="hint">'),
            "solution": md.count('<details class="solution">')}


@pytest.mark.parametrize("page_name", CHAPTERS)
def test_hints_solutions_and_quiz_fold_and_open(browser, server, page_name):
    context, page, problems = _open(browser, server, page_name)
    try:
        _network_idle(page, problems)
        counts = _notebook_counts(page_name)
        for kind in ("hint", "solution"):
            assert page.locator(f"article details.{kind}").count() == counts[kind], kind
        folded = page.locator("article details.hint, article details.solution, "
                              "article details.hide, article details.quiz-choice, "
                              "article details.quiz-key")
        n = folded.count()
        assert n >= 2 * counts["hint"], "hints and solutions are missing on the page"
        open_on_load = page.evaluate("""() => [...document.querySelectorAll('article details')]
            .filter(d => d.open).map(d => d.className + ': ' + d.textContent.trim().slice(0, 50))""")
        assert not open_on_load, f"open on load: {open_on_load}"
        # open each one by clicking its summary (in the page: one round trip, not one a block)
        failures = page.evaluate("""() => [...document.querySelectorAll(
                'article details.hint, article details.solution, article details.hide, '
                + 'article details.quiz-choice, article details.quiz-key')].flatMap((d, i) => {
            d.querySelector(':scope > summary').click();
            if (!d.open) return [`details ${i} (${d.className}) did not open`];
            const shown = [...d.children].filter(c => c.tagName !== 'SUMMARY')
                .some(c => c.offsetHeight > 0 && (c.textContent.trim() || c.querySelector('img')));
            return shown ? [] : [`details ${i} (${d.className}) opened but shows nothing`];
        })""")
        assert not failures, "\n".join(failures)
        # every quiz choice gives feedback that says whether it was right, with a reason
        choices = page.locator("article details.quiz-choice")
        assert 6 <= choices.count(), "no quiz on the page (3-5 questions with choices)"
        for i in range(choices.count()):
            feedback = choices.nth(i).locator(".quiz-feedback")
            assert feedback.is_visible(), f"quiz choice {i} shows no feedback when picked"
            assert re.match(r"(Right|Not quite)\.\s+\S", feedback.inner_text().strip())
        assert not problems.errors, "\n".join(problems.errors)
    finally:
        context.close()
