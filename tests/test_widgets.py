"""attnbook.widgets: when frames are drawn (all at once for the book, lazily in a live kernel),
their pixel density, the fallbacks for front ends without widgets, the ipywidgets-7 view (Colab),
and live figures' hints and faded figures after bad input."""

import base64
import io
import sys
import threading
import time
import types

import ipywidgets as W
import pytest
from PIL import Image

import attnbook.widgets as abw

needs_stack = pytest.mark.skipif(not abw.HAS_STACK, reason="ipywidgets 7 has no Stack")


@pytest.fixture(autouse=True)
def _fresh_activity(monkeypatch):
    """Each test starts with no background thread state from the others."""
    monkeypatch.setattr(abw._Activity, "busy", False)
    monkeypatch.setattr(abw._Activity, "hooked", False)
    monkeypatch.setattr(abw._Activity, "stores", [])
    monkeypatch.setattr(abw._Activity, "thread", None)
    monkeypatch.setattr(abw._Activity, "wake", threading.Event())
    yield


def _size(png: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(png)) as im:
        return im.size


def _counting_draw():
    calls = []

    def draw(fig, x, kind):
        calls.append((x, kind))
        ax = fig.subplots()
        ax.plot([0, 1], [0, x], label=kind)
        ax.set_title(f"{x} {kind}")

    return draw, calls


@pytest.mark.parametrize("value, kernel, expected", [
    ("1", True, True), ("true", True, True), ("0", False, False), ("off", False, False),
    ("", False, True), ("", True, False), (None, True, False), (None, False, True),
])
def test_prerender_everything_follows_the_environment_then_the_kernel(
        monkeypatch, value, kernel, expected):
    if value is None:
        monkeypatch.delenv(abw.PRERENDER_ENV, raising=False)
    else:
        monkeypatch.setenv(abw.PRERENDER_ENV, value)
    monkeypatch.setattr(abw, "_kernel_shell", lambda: object() if kernel else None)
    assert abw.prerender_everything() is expected


@needs_stack
def test_lazy_draws_the_first_frame_then_each_frame_once_when_a_control_reaches_it(monkeypatch):
    monkeypatch.setenv(abw.PRERENDER_ENV, "0")
    draw, calls = _counting_draw()
    fig = abw.interactive_figure(draw, x=[1, 2, 3], kind=abw.Buttons(["a", "b"], value="b"),
                                 readout=lambda x, kind: f"x={x}")
    assert calls == [(1, "b")] and list(fig.frames) == [(0, 1)]
    assert fig.n_frames == 6 and fig.store.missing() == 5
    controls, stack, status = fig.children
    slider = fig.controls["x"]
    image, text = fig.leaves[(2, 1)]
    assert image.value == b"" and text.value == ""  # not drawn yet
    slider.index = 2  # what the browser does when the reader moves the slider
    assert calls[-1] == (3, "b") and image.value == fig.frames[(2, 1)] and text.value == "x=3"
    assert status.value == ""
    slider.index = 0
    slider.index = 2  # back and forth: cached, nothing drawn again
    assert calls == [(1, "b"), (3, "b")]
    # the stacks are linked in the browser exactly as when every frame is drawn
    assert isinstance(stack, W.Stack) and stack.selected_index == 0


def test_lazy_and_eager_draw_the_same_frames(monkeypatch):
    draw, _ = _counting_draw()
    monkeypatch.setenv(abw.PRERENDER_ENV, "1")
    eager = abw.interactive_figure(draw, x=[1, 2], kind=["a", "b"])
    assert len(eager.frames) == 4 and eager.store.missing() == 0
    assert all(img.value for img, _ in eager.leaves.values())
    monkeypatch.setenv(abw.PRERENDER_ENV, "0")
    lazy = abw.interactive_figure(draw, x=[1, 2], kind=["a", "b"])
    while lazy.store.missing():
        lazy.store.draw_one(lazy.store.nearest_missing())
    assert lazy.frames == eager.frames


def test_the_nearest_missing_frame_is_next_to_the_current_setting(monkeypatch):
    monkeypatch.setenv(abw.PRERENDER_ENV, "0")
    draw, calls = _counting_draw()
    fig = abw.interactive_figure(draw, x=abw.Slider(list(range(6)), value=3), kind=["a"])
    fig.store.draw_one(fig.store.nearest_missing())
    fig.store.draw_one(fig.store.nearest_missing())
    assert calls == [(3, "a"), (2, "a"), (4, "a")]


@needs_stack
def test_frames_carry_twice_the_pixels_of_their_displayed_size(monkeypatch):
    monkeypatch.setenv(abw.PRERENDER_ENV, "1")
    fig = abw.interactive_figure(lambda fig, x: fig.subplots().plot([0, x]), x=[1, 2],
                                 figsize=(5, 3), dpi=80)
    assert _size(fig.frames[(0,)]) == (800, 480)
    image, _ = fig.leaves[(0,)]
    assert image.width == "400"  # shown at 400 CSS px, never stretched
    assert image.layout.max_width == "100%" and image.layout.align_self == "flex-start"
    with Image.open(io.BytesIO(fig.frames[(1,)])) as im:
        assert im.mode == "P"  # a 256-colour PNG


def test_display_is_the_widget_then_a_hint_only_front_ends_without_widgets_show(monkeypatch):
    shown = []
    monkeypatch.setattr("IPython.display.display",
                        lambda *objs, **kw: shown.append((objs, kw)))
    fig = abw.interactive_figure(lambda fig, x: fig.subplots().plot([0, x]), x=[1, 2],
                                 figsize=(5, 3), dpi=80)
    fig._ipython_display_()
    (data,), kw = shown[0]
    assert kw["raw"] and kw["metadata"] == {"image/png": {"width": 400, "height": 240}}
    assert data["text/plain"] == "InteractiveFigure(2 frames; x: 2 values)"
    assert base64.b64decode(data["image/png"]) == fig.frames[(0,)]
    assert data["application/vnd.jupyter.widget-view+json"]["model_id"] == fig.model_id
    (hint,), _ = shown[1]
    assert isinstance(hint, abw._StillHint) and hint.layout.display == "none"
    hint_data = hint._repr_mimebundle_()
    assert hint_data["text/plain"] == abw.STILL_HINT
    assert "run the cell to move the controls" in abw.STILL_HINT
    assert "image/png" not in hint_data


def test_without_stack_one_image_is_swapped_by_python(monkeypatch):
    """ipywidgets 7 (Colab's) has no Stack: the kernel shows the frame for the controls."""
    monkeypatch.setenv(abw.PRERENDER_ENV, "0")
    monkeypatch.setattr(abw, "HAS_STACK", False)
    draw, calls = _counting_draw()
    fig = abw.interactive_figure(draw, x=[1, 2], kind=["a", "b"],
                                 readout=lambda x, kind: f"{x}{kind}")
    controls, view, status = fig.children
    image, text = fig.leaves[()]
    assert view.children[0] is image and image.value == fig.frames[(0, 0)] and text.value == "1a"
    fig.controls["kind"].index = 1
    assert image.value == fig.frames[(0, 1)] and text.value == "1b"
    fig.controls["kind"].index = 0
    assert image.value == fig.frames[(0, 0)] and text.value == "1a"
    assert calls == [(1, "a"), (1, "b")]


def test_a_frame_that_fails_to_draw_says_why_under_the_figure(monkeypatch):
    monkeypatch.setenv(abw.PRERENDER_ENV, "0")

    def draw(fig, x):
        if x == 2:
            raise ValueError("cannot draw two")
        fig.subplots().plot([0, x])

    fig = abw.interactive_figure(draw, x=[1, 2])
    fig.controls["x"].index = 1
    assert "cannot draw two" in fig.status.value
    with pytest.raises(ValueError, match="cannot draw two"):  # eager: the cell fails
        monkeypatch.setenv(abw.PRERENDER_ENV, "1")
        abw.interactive_figure(draw, x=[1, 2])


class _FakeEvents:
    def __init__(self):
        self.callbacks = {}

    def register(self, name, fn):
        self.callbacks.setdefault(name, []).append(fn)

    def fire(self, name):
        for fn in self.callbacks.get(name, []):
            fn(None)


class _FakeShell:
    kernel = object()

    def __init__(self):
        self.events = _FakeEvents()


def test_in_a_kernel_the_rest_is_drawn_in_the_background_only_while_no_cell_runs(monkeypatch):
    monkeypatch.delenv(abw.PRERENDER_ENV, raising=False)
    shell = _FakeShell()
    monkeypatch.setattr(abw, "_kernel_shell", lambda: shell)
    monkeypatch.setattr(abw, "IDLE_SECONDS", 0.05)
    draw, calls = _counting_draw()
    fig = abw.interactive_figure(draw, x=[1, 2, 3], kind=["a", "b"])  # inside a running cell
    assert len(calls) == 1
    time.sleep(0.3)
    assert len(calls) == 1, "drew while the cell was still running"
    shell.events.fire("post_run_cell")
    deadline = time.monotonic() + 30
    while fig.store.missing() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert fig.store.missing() == 0 and len(calls) == 6 and len(set(calls)) == 6
    # a cell starting waits for the frame being drawn, and stops the background drawing
    more = abw.interactive_figure(draw, x=[4, 5, 6, 7, 8], kind=["a"])
    shell.events.fire("pre_run_cell")
    n = len(calls)
    time.sleep(0.3)
    assert len(calls) == n and more.store.missing() > 0
    shell.events.fire("post_run_cell")
    deadline = time.monotonic() + 30
    while more.store.missing() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert more.store.missing() == 0


def test_live_figure_hints_at_enter_fades_the_old_figure_after_bad_input():
    def draw(fig, text):
        if not text.strip():
            raise ValueError("type a sentence")
        fig.subplots().set_title(text)

    box = abw.live_figure(draw, text=W.Text(value="abc", continuous_update=False),
                          figsize=(4, 3), dpi=80)
    assert "Enter" in box.status.value and not box.stale
    assert box.image.width == "320" and _size(box.image.value) == (640, 480)
    good = box.image.value
    box.controls["text"].value = " "
    assert "type a sentence" in box.status.value and "faded" in box.status.value
    assert box.stale and box.image.value != good
    with Image.open(io.BytesIO(box.image.value)) as faded, Image.open(io.BytesIO(good)) as g:
        # washed out: darkest pixel much lighter than the original's
        assert faded.convert("L").getextrema()[0] > g.convert("L").getextrema()[0] + 100
    box.controls["text"].value = "abcd"
    assert not box.stale and "Enter" in box.status.value
    # a slider redraws as it moves: no Enter hint
    slider_box = abw.live_figure(lambda fig, n: fig.subplots().plot(range(n)),
                                 n=W.IntSlider(value=3, min=2, max=5))
    assert slider_box.status.value == ""
    assert slider_box._repr_mimebundle_()["text/plain"] == "LiveFigure(n)"


@pytest.mark.parametrize("version, expected, enabled", [
    ("7.7.1", "builtin", 0), ("8.1.9", "custom", 1)])
def test_on_colab_widgets_use_the_manager_that_matches_ipywidgets(
        monkeypatch, version, expected, enabled):
    calls = []
    colab = types.ModuleType("google.colab")
    colab.output = types.SimpleNamespace(enable_custom_widget_manager=lambda: calls.append(1))
    google = types.ModuleType("google")
    google.colab = colab
    monkeypatch.setitem(sys.modules, "google", google)
    monkeypatch.setitem(sys.modules, "google.colab", colab)
    monkeypatch.setattr(abw.W, "__version__", version)
    assert abw.colab_widget_manager() == expected and len(calls) == enabled


def test_off_colab_the_widget_manager_is_left_alone(monkeypatch):
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    assert abw.colab_widget_manager() == "not colab"


def test_the_site_extension_drops_the_same_hint_from_printed_pages():
    import importlib.util
    from pathlib import Path

    nodes = pytest.importorskip("docutils.nodes")  # the book tools (not in `make test-widgets7`)
    path = Path(__file__).resolve().parents[1] / "book" / "_site" / "attnbook_site.py"
    spec = importlib.util.spec_from_file_location("attnbook_site", path)
    site = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(site)
    assert site.STILL_HINT == abw.STILL_HINT
    doc = nodes.section()
    output = nodes.container("", nodes.literal_block(abw.STILL_HINT, abw.STILL_HINT))
    kept = nodes.literal_block("InteractiveFigure(2 frames)", "InteractiveFigure(2 frames)")
    doc += [output, nodes.container("", kept)]
    site.drop_still_hints(None, doc, "x")
    assert [n.astext() for n in doc.findall(nodes.literal_block)] == [kept.astext()]
    assert len(doc.children) == 1


def test_a_frame_has_the_pixels_savefig_would_give():
    """Frames are drawn once on the canvas and quantised from it; savefig's extra layout pass
    and PNG round trip would give the same pixels."""
    from matplotlib.figure import Figure

    def draw(fig, x):
        axes = fig.subplots(1, 2)
        for ax in axes:
            ax.imshow([[0, x], [x, 1]], vmin=0, vmax=2)
            ax.set_xticks([0, 1], ["first key", "second"], rotation=90)
            ax.set_title(f"$\\alpha$ = {x}")
        fig.suptitle("two panels")

    fig = Figure(figsize=(5, 3), dpi=160, layout="constrained")
    draw(fig, 2)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=160)
    with Image.open(buf) as im:  # what the frames were before: savefig, then quantised
        small = im.convert("RGB").quantize(256, method=Image.Quantize.FASTOCTREE,
                                           dither=Image.Dither.NONE)
    before = io.BytesIO()
    small.save(before, format="png")
    frame = abw._png(draw, (5, 3), 80, {"x": 2})
    assert _size(frame) == (800, 480) and frame == before.getvalue()


def _kernel(monkeypatch):
    monkeypatch.delenv(abw.PRERENDER_ENV, raising=False)
    shell = _FakeShell()
    monkeypatch.setattr(abw, "_kernel_shell", lambda: shell)
    monkeypatch.setattr(abw, "IDLE_SECONDS", 0.05)
    return shell


def _until(condition, seconds=30):
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)
    return condition()


def test_idle_drawing_does_every_figures_neighbours_before_the_rest(monkeypatch):
    shell = _kernel(monkeypatch)
    calls = []

    def draw(fig, x, kind):
        calls.append((x, kind))
        fig.subplots().plot([0, x])

    a = abw.interactive_figure(draw, x=abw.Slider(list(range(8)), value=3), kind=["a"])
    b = abw.interactive_figure(draw, x=list(range(8)), kind=["p", "q"])
    shell.events.fire("post_run_cell")
    assert _until(lambda: not a.store.missing() and not b.store.missing())
    assert calls[:2] == [(3, "a"), (0, "p")]  # the first frames, when the cells ran
    # then the neighbours of b (displayed last), then a's, before any other frame
    assert calls[2:6] == [(1, "p"), (0, "q"), (4, "a"), (2, "a")]
    assert len(calls) == 8 + 16 == len(set(calls))


@needs_stack
def test_in_a_kernel_a_control_never_waits_and_only_its_last_setting_is_drawn(monkeypatch):
    shell = _kernel(monkeypatch)
    gate = threading.Event()
    calls = []

    def draw(fig, x):
        calls.append(x)
        if x == 1:
            gate.wait(10)  # a slow frame
        fig.subplots().plot([0, x])

    fig = abw.interactive_figure(draw, x=list(range(6)))
    slider = fig.controls["x"]
    t0 = time.perf_counter()
    slider.index = 1  # not drawn yet: the background thread draws it, the move returns
    slider.index = 2
    slider.index = 4  # the reader drags on while frame 1 is still being drawn
    assert time.perf_counter() - t0 < 1 and "drawing" in fig.status.value
    gate.set()
    assert _until(lambda: fig.leaves[(4,)][0].value and fig.status.value == "")
    assert calls in ([0, 4], [0, 1, 4]), calls  # 2 and 3 were passed over (no cell ended)
    # a cached frame shows at once, even while the background thread holds the lock
    with abw._RENDER_LOCK:
        done = threading.Event()
        threading.Thread(target=lambda: (setattr(slider, "index", 0), done.set())).start()
        assert done.wait(2)
    shell.events.fire("post_run_cell")
