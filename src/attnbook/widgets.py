"""Interactive figures that keep working on the static website, with no kernel behind the page.

How it works: :func:`interactive_figure` draws one PNG frame for every setting of the controls
with your ``draw`` function and puts the frames in a tree of ``ipywidgets.Stack`` widgets (one
level per control). Each control's ``index`` is linked to its level of stacks with
``ipywidgets.jslink``, a link that lives in the browser. The notebook stores the widget state, the
book embeds it in the page, and the page swaps frames when the reader moves a control (a small
player, ``book/_site/static/attnbook-widgets.js``, draws these widgets from the stored state;
JupyterLab and Colab use their own widget managers). All the numbers in a frame come from
Python; the browser only chooses which frame shows.

When frames are drawn (one code path, two schedules):

* **Every frame at once** when the notebook is executed to be stored or published —
  ``make execute`` (``tools/execute_notebooks.py`` sets ``ATTNBOOK_PRERENDER=1``; the website is
  built from those stored outputs), any ``jupyter-book build`` of this book that executes
  notebooks (its Sphinx extension sets it too) — and in a plain Python process (no kernel: a
  script or a test).
* **Lazily in a live kernel** (JupyterLab, Binder, Colab): the first frame is drawn when the cell
  runs, any other when a control reaches it, and the rest in the background while the kernel is
  idle (never while a cell runs, so Run All is not slowed down) — first the settings one step
  from each figure's current one, so the next move of a control is usually instant; every frame
  is drawn once and cached. A line under the figure says "drawing…" while a frame is being drawn;
  the control stays free meanwhile, and only the setting it ends on is drawn.

``ATTNBOOK_PRERENDER=1`` forces the first schedule and ``ATTNBOOK_PRERENDER=0`` the second.

Frames are drawn at twice the pixels of their displayed size (``dpi`` is CSS pixels per inch;
frames carry ``2 × dpi`` pixels per inch) so they stay sharp on high-density screens, and stored
as 256-colour PNGs, which keeps them about as small as the 1× frames were.

Where ipywidgets has no ``Stack`` (ipywidgets 7, e.g. Colab's own), the figure is one ``Image``
that Python swaps when a control moves: the same frames, shown by the kernel instead of the
browser (a live kernel is always there on Colab). With ipywidgets 8 on Colab,
:func:`colab_widget_manager` turns on Colab's custom widget manager when this module is imported.

The displayed output also carries the first frame as a plain PNG (for the PDF and for front ends
without widgets), a short, stable ``text/plain`` description (so nbval compares it), and, as a
second output, the line "run the cell to move the controls" that only front ends without a widget
manager show (everywhere else it is an empty, hidden widget).
"""

from __future__ import annotations

import base64
import html
import io
import itertools
import os
import threading
import time
import weakref
from dataclasses import dataclass
from numbers import Number
from typing import Any, Callable, Sequence

import ipywidgets as W
from matplotlib.figure import Figure

from ._textlayout import text_layout_cached

__all__ = ["Slider", "Dropdown", "Buttons", "InteractiveFigure", "interactive_figure",
           "LiveFigure", "live_figure", "prerender_everything", "colab_widget_manager"]

MAX_FRAMES = 120  # ~25 KB a frame keeps a chapter page well under 3 MB
SCALE = 2  # pixels per CSS pixel in every frame (high-density screens)
PRERENDER_ENV = "ATTNBOOK_PRERENDER"
IDLE_SECONDS = 1.0  # background drawing starts after the kernel has been idle this long
STILL_HINT = "(A still image: run the cell to move the controls.)"
HAS_STACK = hasattr(W, "Stack")  # ipywidgets >= 8


def colab_widget_manager() -> str:
    """On Colab, make interactive figures work with whichever ipywidgets is installed.

    Colab's own widget manager shows ipywidgets 7 (what Colab ships; attnbook accepts it, and the
    setup cell does not upgrade it); ipywidgets 8 needs Colab's custom widget manager, which this
    then turns on. Called when :mod:`attnbook.widgets` is imported; does nothing elsewhere.
    Returns what it did: ``"not colab"``, ``"builtin"`` or ``"custom"``."""
    import sys

    if "google.colab" not in sys.modules:
        return "not colab"
    if int(W.__version__.split(".")[0]) < 8:
        return "builtin"
    from google.colab import output

    output.enable_custom_widget_manager()
    return "custom"


def _kernel_shell():
    """The IPython shell of a running Jupyter kernel, or None (plain Python, a terminal)."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - ipywidgets depends on IPython
        return None
    shell = get_ipython()
    return shell if shell is not None and getattr(shell, "kernel", None) is not None else None


def prerender_everything() -> bool:
    """Whether interactive figures draw every frame when they are created.

    True when ``ATTNBOOK_PRERENDER`` is ``1`` (set by the book build and ``make execute``, whose
    stored pages need every frame) or when there is no kernel; False when it is ``0`` or in a
    live kernel, where frames are drawn when needed."""
    value = os.environ.get(PRERENDER_ENV, "").strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off"):
        return False
    return _kernel_shell() is None


@dataclass
class _Control:
    options: Sequence[Any]
    label: str | None = None
    value: Any = None  # initial value (default: the first option)
    fmt: str | None = None  # format of the displayed option, e.g. ".2f"

    def pairs(self) -> list[tuple[str, Any]]:
        """(shown label, value) for each option; options may be given as (label, value) pairs."""
        out = []
        for option in self.options:
            if isinstance(option, tuple) and len(option) == 2 and isinstance(option[0], str):
                out.append(option)
            else:
                out.append((format(option, self.fmt) if self.fmt else str(option), option))
        return out

    def initial_index(self, name: str) -> int:
        values = [v for _, v in self.pairs()]
        if self.value is None:
            return 0
        for i, v in enumerate(values):
            if v == self.value:
                return i
        raise ValueError(f"initial value {self.value!r} of control {name!r} is not among {values}")


class Slider(_Control):
    """A slider over a list of discrete values (numbers or labels)."""

    def widget(self, name: str) -> W.Widget:
        return W.SelectionSlider(options=[(lbl, i) for i, (lbl, _) in enumerate(self.pairs())],
                                 index=self.initial_index(name), description=self.label or name,
                                 style={"description_width": "initial"},
                                 layout=W.Layout(width="420px"))


class Dropdown(_Control):
    """A drop-down menu."""

    def widget(self, name: str) -> W.Widget:
        return W.Dropdown(options=[(lbl, i) for i, (lbl, _) in enumerate(self.pairs())],
                          index=self.initial_index(name), description=self.label or name,
                          style={"description_width": "initial"})


class Buttons(_Control):
    """A row of toggle buttons, one of which is on (e.g. scaling on / off)."""

    def widget(self, name: str) -> W.Widget:
        return W.ToggleButtons(options=[(lbl, i) for i, (lbl, _) in enumerate(self.pairs())],
                               index=self.initial_index(name), description=self.label or name,
                               style={"description_width": "initial", "button_width": "auto"})


def _as_control(name: str, spec) -> _Control:
    if isinstance(spec, _Control):
        if len(spec.options) == 0:
            raise ValueError(f"control {name!r} has no options")
        return spec
    if isinstance(spec, (str, bytes)) or not isinstance(spec, Sequence) or len(spec) == 0:
        raise TypeError(f"control {name!r} must be a Slider, Dropdown, Buttons or a non-empty "
                        f"list of values, got {spec!r}")
    numeric = all(isinstance(v, Number) and not isinstance(v, bool) for v in spec)
    return Slider(list(spec)) if numeric else Dropdown(list(spec))


def _png(draw: Callable, figsize, dpi: float, params: dict, scale: int = SCALE) -> bytes:
    """One frame: ``draw(fig, **params)`` on a ``figsize`` figure, ``dpi * scale`` pixels/inch,
    as a 256-colour PNG.

    The figure is drawn once on an Agg canvas and its pixels are quantised straight from the
    canvas. (``fig.savefig`` lays a constrained-layout figure out in an extra pass and writes a
    full-colour PNG that would be decoded again: the same pixels, about 1.4 times the time.)"""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = Figure(figsize=figsize, dpi=dpi * scale, layout="constrained")
    draw(fig, **params)
    canvas = FigureCanvasAgg(fig)
    with text_layout_cached():  # each text laid out once, same pixels: see _textlayout
        canvas.draw()
    return _quantised_png(canvas.buffer_rgba(), canvas.get_width_height())


def _quantised_png(rgba, size: tuple[int, int]) -> bytes:
    """An RGBA pixel buffer as a 256-colour PNG (no dithering, so flat colours stay flat)."""
    from PIL import Image

    image = Image.frombuffer("RGBA", size, rgba, "raw", "RGBA", 0, 1)
    small = image.convert("RGB").quantize(256, method=Image.Quantize.FASTOCTREE,
                                          dither=Image.Dither.NONE)
    buf = io.BytesIO()
    small.save(buf, format="png")
    return buf.getvalue()


def _css_size(figsize, dpi: float) -> tuple[int, int]:
    return round(figsize[0] * dpi), round(figsize[1] * dpi)


def _fade(png: bytes) -> bytes:
    """``png`` washed out towards white: a figure that no longer matches the controls."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as im:
        rgb = im.convert("RGB")
        faded = Image.blend(rgb, Image.new("RGB", rgb.size, "white"), 0.75)
    buf = io.BytesIO()
    faded.save(buf, format="png")
    return buf.getvalue()


# --- drawing frames when they are needed ---------------------------------------------------------
# Every frame of every figure is drawn under one lock, so two frames are never drawn at once
# (matplotlib is not thread-safe). In a kernel, one background thread does the drawing:
#
# 1. frames a control is waiting for ("demand": the reader moved it to a setting not drawn yet),
#    at once, newest request first; a control that moved on meanwhile is drawn where it is now,
#    so dragging a slider across undrawn values costs one frame, not one per value passed;
# 2. while no cell runs (for IDLE_SECONDS), the neighbours of every figure's current setting
#    (one step of one control away), the figure displayed last first, so the next move of any
#    control is usually a cached one;
# 3. then the remaining frames, nearest the current setting first.
#
# IPython's pre/post_run_cell events tell it when cells start and end; a cell that starts waits
# for the frame being drawn to finish (at most one frame) before it runs. Cached frames are
# shown without taking the lock.

_RENDER_LOCK = threading.RLock()


class _Activity:
    busy = False
    since = time.monotonic()
    hooked = False
    thread: threading.Thread | None = None
    stores: list = []  # weak references to _Frames with frames still to draw, display order
    demand: list = []  # weak references to figures whose control waits for a frame
    wake = threading.Event()


def _pre_run_cell(*_):
    _Activity.busy = True
    with _RENDER_LOCK:  # let a frame being drawn in the background finish first
        pass


def _post_run_cell(*_):
    _Activity.busy = False
    _Activity.since = time.monotonic()
    _Activity.wake.set()


def _idle_for() -> float:
    return -1.0 if _Activity.busy else time.monotonic() - _Activity.since


def _background_running() -> bool:
    return _Activity.thread is not None and _Activity.thread.is_alive()


def _take_demand():
    """The figure a control waits for, newest request first (None if there is none)."""
    while _Activity.demand:
        figure = _Activity.demand.pop()()
        if figure is not None:
            _Activity.demand = [r for r in _Activity.demand if r() is not figure]
            return figure
    return None


def _next_frame():
    """(store, combo) to draw next while idle: neighbours first, then the rest; None if done."""
    stores = [s for s in (ref() for ref in _Activity.stores) if s is not None and s.missing()]
    _Activity.stores = [weakref.ref(s) for s in stores]
    for store in reversed(stores):
        for combo in store.neighbours():
            return store, combo
    return (stores[-1], stores[-1].nearest_missing()) if stores else None


def _background_loop():
    while True:
        figure = _take_demand()
        if figure is not None:
            with _RENDER_LOCK:
                figure.show(figure.current())
            continue
        job = _next_frame()
        if job is None:
            _Activity.wake.wait()
            _Activity.wake.clear()
            continue
        idle = _idle_for()
        if idle < IDLE_SECONDS:
            _Activity.wake.wait(IDLE_SECONDS - idle if idle >= 0 else 0.25)
            _Activity.wake.clear()
            continue
        with _RENDER_LOCK:
            if _idle_for() >= IDLE_SECONDS and not _Activity.demand:
                job[0].draw_one(job[1])


def _draw_in_background(store) -> None:
    """Queue ``store``'s missing frames for drawing while the kernel is idle (kernels only)."""
    shell = _kernel_shell()
    if shell is None:
        return
    if not _Activity.hooked:
        shell.events.register("pre_run_cell", _pre_run_cell)
        shell.events.register("post_run_cell", _post_run_cell)
        _Activity.hooked = True
        _Activity.busy = True  # called from a running cell
    _Activity.stores.append(weakref.ref(store))
    if not _background_running():
        _Activity.thread = threading.Thread(target=_background_loop, daemon=True,
                                            name="attnbook-frames")
        _Activity.thread.start()
    _Activity.wake.set()


class _Frames:
    """The frames of one interactive figure, drawn once each and kept: ``get(combo)`` draws a
    frame if it is missing; ``draw_one(nearest_missing())`` draws the missing frame nearest the
    current one."""

    def __init__(self, draw, figsize, dpi, names, values, readout):
        self.draw, self.figsize, self.dpi, self.readout = draw, figsize, dpi, readout
        self.names, self.values = names, values
        self.sizes = [len(values[n]) for n in names]
        self.frames: dict[tuple, bytes] = {}
        self.readouts: dict[tuple, str] | None = {} if readout else None
        self.failed: dict[tuple, str] = {}
        self.current: tuple = ()

    def combos(self):
        return itertools.product(*(range(n) for n in self.sizes))

    def params(self, combo: tuple) -> dict:
        return {name: self.values[name][i] for name, i in zip(self.names, combo)}

    def has(self, combo: tuple) -> bool:
        return combo in self.frames

    def get(self, combo: tuple) -> bytes:
        png = self.frames.get(combo)  # a cached frame needs no lock (one dict read)
        if png is not None:
            return png
        with _RENDER_LOCK:
            if combo not in self.frames:
                params = self.params(combo)
                png = _png(self.draw, self.figsize, self.dpi, params)
                if self.readout is not None:
                    self.readouts[combo] = str(self.readout(**params))
                self.frames[combo] = png
            return self.frames[combo]

    def missing(self) -> int:
        total = 1
        for n in self.sizes:
            total *= n
        return total - len(self.frames) - len(self.failed)

    def _todo(self, combo: tuple) -> bool:
        return combo not in self.frames and combo not in self.failed

    def _here(self) -> tuple:
        return self.current or tuple(0 for _ in self.sizes)

    def neighbours(self) -> list[tuple]:
        """Missing settings one step of one control away from the current one."""
        here = self._here()
        out = []
        for axis, size in enumerate(self.sizes):
            for step in (1, -1):
                i = here[axis] + step
                combo = here[:axis] + (i,) + here[axis + 1:]
                if 0 <= i < size and self._todo(combo):
                    out.append(combo)
        return out

    def nearest_missing(self) -> tuple | None:
        todo = [c for c in self.combos() if self._todo(c)]
        if not todo:
            return None
        here = self._here()
        return min(todo, key=lambda c: (sum(abs(a - b) for a, b in zip(c, here)), c))

    def draw_one(self, combo: tuple | None) -> None:
        """Draw ``combo``'s frame; a failure is kept (shown if a control reaches it, never
        retried in the background)."""
        if combo is None or not self._todo(combo):
            return
        try:
            self.get(combo)
        except Exception as err:
            self.failed[combo] = f"{type(err).__name__}: {err}"


class _StillHint(W.HTML):
    """An empty, hidden widget whose fallback text is :data:`STILL_HINT`: front ends with a widget
    manager (the website, a live kernel) show nothing, the others the hint under the still image."""

    def __init__(self):
        super().__init__("", layout=W.Layout(display="none"))

    def _repr_mimebundle_(self, **kwargs):
        return _bundle(self, STILL_HINT)

    def _ipython_display_(self, **kwargs):
        from IPython.display import display

        display(_bundle(self, STILL_HINT), raw=True)


def _bundle(widget: W.Widget, text: str, png: bytes | None = None) -> dict:
    """A widget's display data, as ipywidgets 7 and 8 both write it, with our fallbacks."""
    data = {"text/plain": text,
            "application/vnd.jupyter.widget-view+json": {
                "version_major": 2, "version_minor": 0, "model_id": widget.model_id}}
    if png is not None:
        data["image/png"] = base64.b64encode(png).decode("ascii")
    return data


class _StillImageOutput:
    """Display as the widget, then the hint line for front ends that cannot show widgets."""

    def _fallback(self) -> tuple[str, bytes, tuple[int, int]]:
        raise NotImplementedError

    def _repr_mimebundle_(self, **kwargs):
        text, png, _ = self._fallback()
        return _bundle(self, text, png)

    def _ipython_display_(self, **kwargs):
        from IPython.display import display

        text, png, (width, height) = self._fallback()
        display(_bundle(self, text, png), raw=True,
                metadata={"image/png": {"width": width, "height": height}})
        display(_StillHint())


class InteractiveFigure(_StillImageOutput, W.VBox):
    """Controls above a stack of frames; built by :func:`interactive_figure`.

    ``frames`` maps each drawn setting (a tuple of control indices) to its PNG; in a live kernel
    it fills up as frames are drawn. ``status`` is the line under the figure ("drawing…")."""

    def __init__(self, controls: dict[str, W.Widget], store: _Frames, view, leaves: dict,
                 initial: tuple, status: W.HTML, **kwargs):
        row = W.HBox(list(controls.values()), layout=W.Layout(flex_flow="row wrap"))
        super().__init__([row, view, status], **kwargs)
        self.add_class("attnbook-interactive")  # the browser tests find figures by this class
        self.controls = controls
        self.store = store
        self.leaves = leaves  # combo -> (Image, readout HTML or None); one shared leaf without Stack
        self.initial = initial
        self.status = status
        for widget in controls.values():
            widget.observe(self._on_move, names="index")

    @property
    def frames(self) -> dict[tuple, bytes]:
        return self.store.frames

    @property
    def readouts(self) -> dict[tuple, str] | None:
        return self.store.readouts

    @property
    def n_frames(self) -> int:
        return len(list(self.store.combos()))

    def current(self) -> tuple:
        return tuple(widget.index for widget in self.controls.values())

    def _on_move(self, _change=None):
        combo = self.current()
        self.store.current = combo
        if self.store.has(combo) or combo in self.store.failed or not _background_running():
            self.show(combo)
            return
        # in a kernel: the background thread draws it next, and the control stays free
        self.status.value = "<small><i>drawing…</i></small>"
        _Activity.demand.append(weakref.ref(self))
        _Activity.wake.set()

    def wait_current(self) -> None:
        """Make sure the frame for the controls' current setting is drawn and shown."""
        self.show(self.current())

    def show(self, combo: tuple) -> None:
        """Draw ``combo``'s frame if it is missing and put it in its place in the widget tree."""
        self.store.current = combo
        image, readout = self.leaves[combo] if HAS_STACK else self.leaves[()]
        if image.value and (HAS_STACK or getattr(image, "_attnbook_combo", None) == combo):
            return
        if combo in self.store.failed:
            self.status.value = _error_html(self.store.failed[combo])
            return
        if not self.store.has(combo):
            self.status.value = "<small><i>drawing…</i></small>"
        try:
            png = self.store.get(combo)
        except Exception as err:
            self.store.failed[combo] = f"{type(err).__name__}: {err}"
            self.status.value = _error_html(self.store.failed[combo])
            return
        image.value = png
        image._attnbook_combo = combo
        if readout is not None:
            readout.value = self.store.readouts[combo]
        self.status.value = ""

    def _fallback(self):
        sizes = ", ".join(f"{name}: {len(w.options)} values" for name, w in self.controls.items())
        text = f"InteractiveFigure({self.n_frames} frames; {sizes})"
        return text, self.store.get(self.initial), _css_size(self.store.figsize, self.store.dpi)


def _error_html(message: str) -> str:
    return f"<span style='color:#b00020'>{html.escape(message)}</span>"


def _image(figsize, dpi, value: bytes = b"") -> W.Image:
    """An Image shown at its CSS size (``figsize × dpi``), never stretched, shrunk to fit."""
    width, _ = _css_size(figsize, dpi)
    return W.Image(value=value, format="png", width=str(width),
                   layout=W.Layout(max_width="100%", height="auto", align_self="flex-start"))


def interactive_figure(
    draw: Callable[..., Any],
    *,
    figsize: tuple[float, float] = (6.0, 4.0),
    dpi: int = 80,
    readout: Callable[..., str] | None = None,
    max_frames: int = MAX_FRAMES,
    **controls,
) -> InteractiveFigure:
    """A figure redrawn by sliders and menus, on the static site as in a live kernel.

    Parameters
    ----------
    draw : callable ``draw(fig, **params)``
        Draws one setting into the empty matplotlib ``Figure`` it is given (use ``fig.subplots()``,
        :func:`attnbook.heatmap` with ``ax=...``, etc.). Called once per combination of control
        values, with each control's value passed under the control's keyword name — all of them
        when the book is built, on demand in a live kernel (see the module docstring).
    figsize, dpi : size of every frame (inches; CSS pixels per inch — frames carry twice the
        pixels, for high-density screens)
    readout : callable ``readout(**params) -> str``, optional
        A line of text (HTML allowed) shown under the figure, e.g. an entropy value.
    max_frames : refuse more combinations than this (each frame is embedded in the page)
    **controls : ``name=Slider([...])``, ``Dropdown([...])``, ``Buttons([...])`` or a plain list
        (numbers give a slider, anything else a drop-down). Option lists may hold
        ``(label, value)`` pairs. The first control is the outermost level of frames.

    Returns
    -------
    InteractiveFigure, an ``ipywidgets.VBox``; display it as the last expression of a cell.

    Example
    -------
    >>> def draw(fig, temperature):
    ...     heatmap(softmax(scores, temperature=temperature), ax=fig.subplots())
    >>> interactive_figure(draw, temperature=[0.1, 0.5, 1.0, 2.0])  # doctest: +SKIP
    """
    if not callable(draw):
        raise TypeError(f"draw must be callable, got {type(draw).__name__}")
    if not controls:
        raise ValueError("interactive_figure needs at least one control, e.g. temperature=[...]")
    specs = {name: _as_control(name, spec) for name, spec in controls.items()}
    sizes = [len(s.options) for s in specs.values()]
    n_frames = 1
    for n in sizes:
        n_frames *= n
    if n_frames > max_frames:
        raise ValueError(f"{n_frames} frames ({' x '.join(map(str, sizes))}) exceed "
                         f"max_frames={max_frames}; use fewer control values")
    values = {name: [v for _, v in s.pairs()] for name, s in specs.items()}
    names = list(specs)
    widgets = {name: spec.widget(name) for name, spec in specs.items()}
    initial = tuple(widgets[name].index for name in names)

    store = _Frames(draw, figsize, dpi, names, values, readout)
    store.current = initial
    store.get(initial)  # the first frame at once, in either schedule
    if prerender_everything():
        for combo in store.combos():
            store.get(combo)

    leaves = {}

    def leaf(combo):
        image = _image(figsize, dpi, store.frames.get(combo, b""))
        text = W.HTML(store.readouts.get(combo, "")) if readout is not None else None
        leaves[combo] = (image, text)
        return image if text is None else W.VBox([image, text])

    def level(depth: int, prefix: tuple):
        if depth == len(names):
            return leaf(prefix)
        stack = W.Stack([level(depth + 1, prefix + (i,)) for i in range(sizes[depth])],
                        selected_index=initial[depth])
        W.jslink((widgets[names[depth]], "index"), (stack, "selected_index"))
        return stack

    if HAS_STACK:
        view = level(0, ())
    else:  # ipywidgets 7: one image, swapped by Python when a control moves
        view = leaf(())
        leaves[()][0].value = store.frames[initial]
        leaves[()][0]._attnbook_combo = initial
        if readout is not None:
            leaves[()][1].value = store.readouts[initial]
    figure = InteractiveFigure(widgets, store, view, leaves, initial, W.HTML(""))
    if store.missing():
        _draw_in_background(store)
    return figure


LIVE_NOTE = ("<small><i>This figure recomputes in a live kernel (Jupyter, Binder, Colab). On the "
             "website it shows its first setting; the figures above it are precomputed.</i></small>")
ENTER_HINT = ("<small><i>Type, then press Enter (or click outside the box) to redraw."
              "</i></small>")


class LiveFigure(_StillImageOutput, W.VBox):
    """Controls above a figure that Python redraws on every change; built by :func:`live_figure`.

    ``stale`` is True while the figure shown is faded because the last input could not be drawn."""

    def __init__(self, controls: dict[str, W.Widget], image: W.Image, status: W.HTML, note: str,
                 update: Callable[..., None], size: tuple[int, int]):
        super().__init__([W.HBox(list(controls.values()), layout=W.Layout(flex_flow="row wrap")),
                          status, image, W.HTML(note)])
        self.add_class("attnbook-live")
        self.controls, self.image, self.status, self.update = controls, image, status, update
        self.size = size
        self.stale = False
        self.first_png = image.value

    def _fallback(self):
        return f"LiveFigure({', '.join(self.controls)})", self.first_png, self.size


def live_figure(
    draw: Callable[..., Any],
    *,
    figsize: tuple[float, float] = (6.0, 4.0),
    dpi: int = 80,
    note: str = LIVE_NOTE,
    **controls: W.ValueWidget,
) -> LiveFigure:
    """A figure that Python redraws whenever a control changes: for inputs that cannot be
    precomputed, such as a text box where the reader types a sentence.

    Parameters
    ----------
    draw : callable ``draw(fig, **params)``, as for :func:`interactive_figure`; it receives each
        control's current ``value``. A ``ValueError``/``TypeError`` it raises (e.g. for input the
        model cannot read) is shown above the figure, and the figure of the last good input is
        faded so that it does not look current.
    figsize, dpi : size of the figure (inches; CSS pixels per inch, drawn at twice the pixels).
        It is shown at that size (never stretched), shrunk only to fit a narrow window.
    **controls : ipywidgets with a ``value`` (``Text``, ``Dropdown``, ``IntSlider``, ...), passed
        to ``draw`` under their keyword names. Text boxes with ``continuous_update=False`` get the
        hint that Enter redraws.

    Returns
    -------
    LiveFigure (an ``ipywidgets.VBox``). On the static site it shows the figure for the controls'
    initial values, its boxes read-only, and a note that it needs a live kernel; use
    :func:`interactive_figure` for figures that must respond on the website.
    """
    if not callable(draw):
        raise TypeError(f"draw must be callable, got {type(draw).__name__}")
    if not controls:
        raise ValueError("live_figure needs at least one control")
    for name, widget in controls.items():
        if not isinstance(widget, W.ValueWidget):
            raise TypeError(f"control {name!r} must be an ipywidgets widget with a value, "
                            f"got {type(widget).__name__}")
    image = _image(figsize, dpi)
    wait_for_enter = any(isinstance(w, (W.Text, W.Textarea)) and not w.continuous_update
                         for w in controls.values())
    idle_status = ENTER_HINT if wait_for_enter else ""
    status = W.HTML(idle_status)
    box: list[LiveFigure] = []
    last_good: list[bytes] = []

    def update(*_):
        params = {name: widget.value for name, widget in controls.items()}
        status.value = "<small><i>drawing…</i></small>"
        try:
            with _RENDER_LOCK:
                png = _png(draw, figsize, dpi, params)
        except (ValueError, TypeError) as err:
            status.value = _error_html(str(err)) + (
                " <small><i>(the faded figure is for the last input that worked)</i></small>"
                if last_good else "")
            if last_good:
                image.value = _fade(last_good[-1])
            if box:
                box[0].stale = True
            return
        image.value = png
        last_good[:] = [png]
        status.value = idle_status
        if box:
            box[0].stale = False

    update()
    if not image.value:
        raise ValueError(f"draw failed for the initial values: {status.value}")
    for widget in controls.values():
        widget.observe(update, names="value")
    figure = LiveFigure(controls, image, status, note, update, _css_size(figsize, dpi))
    box.append(figure)
    return figure


colab_widget_manager()
