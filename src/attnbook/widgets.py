"""Interactive figures that keep working on the static website, with no kernel behind the page.

How it works: :func:`interactive_figure` calls your ``draw`` function once for every setting of
the controls *when the notebook executes*, renders each figure to a PNG frame, and puts the frames
in a tree of ``ipywidgets.Stack`` widgets (one level per control). Each control's ``index`` is
linked to its level of stacks with ``ipywidgets.jslink``, a link that lives in the browser. The
notebook stores the widget state, the book embeds it in the page, and the page's widget manager
swaps frames when the reader moves a control — in Jupyter, Binder or Colab exactly as on the
website. All the numbers in a frame come from Python; the browser only chooses which frame shows.

The displayed output also carries the first frame as a plain PNG (for the PDF and for front ends
without widgets) and a short, stable ``text/plain`` description (so nbval compares it).
"""

from __future__ import annotations

import base64
import html
import io
import itertools
from dataclasses import dataclass
from numbers import Number
from typing import Any, Callable, Sequence

import ipywidgets as W
from matplotlib.figure import Figure

__all__ = ["Slider", "Dropdown", "Buttons", "InteractiveFigure", "interactive_figure",
           "LiveFigure", "live_figure"]

MAX_FRAMES = 120  # ~25 KB a frame keeps a chapter page well under 3 MB


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


def _png(draw: Callable, figsize, dpi: int, params: dict) -> bytes:
    fig = Figure(figsize=figsize, dpi=dpi, layout="constrained")
    draw(fig, **params)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, metadata={"Software": None})
    return buf.getvalue()


class InteractiveFigure(W.VBox):
    """Controls above a stack of precomputed frames; built by :func:`interactive_figure`."""

    def __init__(self, controls: dict[str, W.Widget], frames: dict[tuple, bytes], stack,
                 initial: tuple, readouts: dict | None, **kwargs):
        children = [W.HBox(list(controls.values()), layout=W.Layout(flex_flow="row wrap")), stack]
        super().__init__(children, **kwargs)
        self.add_class("attnbook-interactive")  # the browser tests find figures by this class
        self.controls = controls
        self.frames = frames
        self.readouts = readouts
        self.initial = initial

    def _repr_mimebundle_(self, **kwargs):
        data = super()._repr_mimebundle_(**kwargs)
        if not isinstance(data, dict):  # no widget view to show
            return data
        sizes = ", ".join(f"{name}: {len(w.options)} values" for name, w in self.controls.items())
        data["text/plain"] = f"InteractiveFigure({len(self.frames)} frames; {sizes})"
        data["image/png"] = base64.b64encode(self.frames[self.initial]).decode("ascii")
        return data


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
        values, with each control's value passed under the control's keyword name.
    figsize, dpi : size of every frame (inches, dots per inch)
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

    frames, readouts = {}, ({} if readout else None)
    for combo in itertools.product(*(range(n) for n in sizes)):
        params = {name: values[name][i] for name, i in zip(names, combo)}
        frames[combo] = _png(draw, figsize, dpi, params)
        if readout:
            readouts[combo] = str(readout(**params))

    widgets = {name: spec.widget(name) for name, spec in specs.items()}
    initial = tuple(widgets[name].index for name in names)

    def leaf(combo):
        image = W.Image(value=frames[combo], format="png",
                        layout=W.Layout(max_width="100%", height="auto"))
        if readout is None:
            return image
        return W.VBox([image, W.HTML(readouts[combo])])

    def level(depth: int, prefix: tuple):
        if depth == len(names):
            return leaf(prefix)
        stack = W.Stack([level(depth + 1, prefix + (i,)) for i in range(sizes[depth])],
                        selected_index=initial[depth])
        W.jslink((widgets[names[depth]], "index"), (stack, "selected_index"))
        return stack

    return InteractiveFigure(widgets, frames, level(0, ()), initial, readouts)


LIVE_NOTE = ("<small><i>This figure recomputes in a live kernel (Jupyter, Binder, Colab). On the "
             "website it shows its first setting; the figures above it are precomputed.</i></small>")


class LiveFigure(W.VBox):
    """Controls above a figure that Python redraws on every change; built by :func:`live_figure`."""

    def __init__(self, controls: dict[str, W.Widget], image: W.Image, status: W.HTML, note: str,
                 update: Callable[..., None]):
        super().__init__([W.HBox(list(controls.values()), layout=W.Layout(flex_flow="row wrap")),
                          image, status, W.HTML(note)])
        self.add_class("attnbook-live")
        self.controls, self.image, self.status, self.update = controls, image, status, update

    def _repr_mimebundle_(self, **kwargs):
        data = super()._repr_mimebundle_(**kwargs)
        if not isinstance(data, dict):
            return data
        data["text/plain"] = f"LiveFigure({', '.join(self.controls)})"
        data["image/png"] = base64.b64encode(self.image.value).decode("ascii")
        return data


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
        model cannot read) is shown under the figure instead of the figure changing.
    **controls : ipywidgets with a ``value`` (``Text``, ``Dropdown``, ``IntSlider``, ...), passed
        to ``draw`` under their keyword names.

    Returns
    -------
    LiveFigure (an ``ipywidgets.VBox``). On the static site it shows the figure for the controls'
    initial values and a note that it needs a live kernel; use :func:`interactive_figure` for
    figures that must respond on the website.
    """
    if not callable(draw):
        raise TypeError(f"draw must be callable, got {type(draw).__name__}")
    if not controls:
        raise ValueError("live_figure needs at least one control")
    for name, widget in controls.items():
        if not isinstance(widget, W.ValueWidget):
            raise TypeError(f"control {name!r} must be an ipywidgets widget with a value, "
                            f"got {type(widget).__name__}")
    image = W.Image(format="png", layout=W.Layout(max_width="100%", height="auto"))
    status = W.HTML()

    def update(*_):
        params = {name: widget.value for name, widget in controls.items()}
        try:
            image.value = _png(draw, figsize, dpi, params)
            status.value = ""
        except (ValueError, TypeError) as err:
            status.value = f"<span style='color:#b00020'>{html.escape(str(err))}</span>"

    update()
    if not image.value:
        raise ValueError(f"draw failed for the initial values: {status.value}")
    for widget in controls.values():
        widget.observe(update, names="value")
    return LiveFigure(controls, image, status, note, update)
