r"""Diagrams of the attention process, drawn with matplotlib from the chapter's own numbers.

Each diagram is one call that returns a :class:`Diagram`: the figure and axes, the artists a test
(or a curious reader) can inspect, the numbers that were drawn, and ``.alt``, a description of the
picture in words computed from those numbers.

=========================  ===================================================================
``lookup_flow``            a query meets each key, scores, softmax weights, arrows to the
                           values as thick as :math:`\alpha_j`, the context vector (ch 1-3)
``encoder_decoder``        Bahdanau-style encoder-decoder attention at one decoder step (ch 4, 8)
``token_lines``            a head as lines between two columns of tokens, opacity = weight,
                           several heads in colours (ch 5-9)
``sdpa_block``             MatMul -> scale -> mask -> softmax -> MatMul, shapes on the arrows
``mha_block``              projections -> split -> h heads -> merge -> :math:`W_O`, with shapes
``encoder_layer_block``    a transformer encoder layer, pre- or post-norm, with shapes
``kv_cache_diagram``       one decoding step with a KV cache (ch 10)
``tiling_diagram``         the tiles tiled (Flash-style) attention visits, causal skips (ch 10)
=========================  ===================================================================

Colours follow the notation page: query :math:`\mathbf q` orange, keys :math:`\mathbf k_j` blue,
values :math:`\mathbf v_j` green, weights :math:`\alpha_j` purple, context :math:`\mathbf c` red
(``COLORS``). Text is at least 7 pt and default figures are at most 6.4 in wide, so at the book's
688-px column the smallest text is at least 9 CSS px.
Diagrams are for a handful of items: ``lookup_flow``, ``encoder_decoder`` and
``kv_cache_diagram`` draw up to 24 keys, ``token_lines`` up to 60 tokens a column; more raise a
``ValueError`` that says so (use :func:`attnbook.heatmap`, which caps its size, for long texts).

Every function accepts ``fig=`` (draw into an empty figure, as ``draw(fig, ...)`` of
:func:`attnbook.interactive_figure` does) or ``ax=`` (draw into given axes); without either it makes
its own figure. So a slider can drive a diagram::

    def draw(fig, temperature):
        ab.diagrams.lookup_flow(q, K, V, temperature=temperature, fig=fig)

    ab.interactive_figure(draw, temperature=[0.25, 0.5, 1, 2, 4])

How a diagram shows and gets its alt text on the website
--------------------------------------------------------
A cell that **ends with** the call displays the diagram as a high-density PNG (2x pixels, shown at
1x through the output's ``width``/``height`` metadata, which myst-nb keeps) and, as its
``text/plain``, the alt text — so the stored output records the description and nbval checks it.

myst-nb (Jupyter Book 1) takes an output image's ``alt`` attribute from the **cell metadata**
``mystnb.image.alt`` (its ``render_image_options``; an output's own metadata only sets ``width``
and ``height``). So the recipe for a diagram cell is:

1. run the cell; ``d.alt`` (or the printed text) is the description;
2. put it in the cell's metadata (JupyterLab: property inspector; or with nbformat)::

       "metadata": {"mystnb": {"image": {"alt": "<the text of d.alt>"}}}

   ``d.alt_metadata()`` returns exactly that dict, and
   :func:`set_alt_text` writes it into a notebook cell (``nbformat`` node) for tools;
3. the built page then has ``<img alt="...">`` for the cell's image.

The metadata applies to every image of the cell, so keep one diagram per cell. An interactive
figure's frames are widgets (no ``<img alt>`` of their own); give the cell a static diagram
before it, or describe the figure in the prose next to it.
"""

from __future__ import annotations

import io
import textwrap
from dataclasses import dataclass, field
from typing import Any, Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import colors as mcolors
from matplotlib.axes import Axes
from matplotlib.collections import LineCollection
from matplotlib.figure import Figure
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch, Polygon, Rectangle

from ._checks import as_float_array, bool_mask, positive_int

__all__ = [
    "COLORS",
    "Diagram",
    "lookup_flow",
    "encoder_decoder",
    "token_lines",
    "sdpa_block",
    "mha_block",
    "encoder_layer_block",
    "kv_cache_diagram",
    "tiling_diagram",
    "set_alt_text",
]

#: Colours of the symbols of the notation page (colour-blind safe, distinct in grey).
COLORS = {
    "q": "#e66100",      # query: orange
    "k": "#1f77b4",      # keys: blue
    "v": "#2ca02c",      # values: green
    "alpha": "#7b3294",  # weights: purple
    "c": "#d62728",      # context / output: red
    "box": "#f2f2f2",    # operation boxes
    "edge": "#404040",
}
FONT = 8.0    # default text size, pt
SMALL = 7.0   # smallest text size, pt (>= 9 CSS px at the 688-px column)
MAX_WIDTH = 6.4  # inches: default diagrams fit the 6.8-in (688-px) column
VECTOR_CMAP = "RdBu_r"
MAX_ROWS = 24     # keys / source tokens / cached positions a diagram draws
MAX_TOKENS = 60   # tokens per column of token_lines


# ---------------------------------------------------------------------------------------------
# The returned object


@dataclass(repr=False, eq=False)
class Diagram:
    """A drawn diagram: ``fig``, ``ax``, ``alt`` (what it shows, in words), ``artists`` (the
    matplotlib artists by role, e.g. ``arrows``) and ``data`` (the numbers drawn, e.g. ``weights``
    or ``shapes``). Both dictionaries' keys are also attributes: ``d.arrows``, ``d.weights``.
    """

    kind: str
    fig: Figure
    ax: Axes
    alt: str
    artists: dict = field(default_factory=dict)
    data: dict = field(default_factory=dict)
    own_figure: bool = False

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        for store in ("artists", "data"):
            d = self.__dict__.get(store, {})
            if name in d:
                return d[name]
        raise AttributeError(f"{type(self).__name__} {self.__dict__.get('kind')!r} has no "
                             f"attribute {name!r}")

    def __repr__(self) -> str:
        return f"<{self.kind} diagram: {textwrap.shorten(self.alt, 110, placeholder=' …')}>"

    def alt_metadata(self) -> dict:
        """The cell metadata that gives this diagram's image its alt text on the site."""
        return {"mystnb": {"image": {"alt": self.alt}}}

    def png(self, scale: float = 2.0) -> bytes:
        """The figure as PNG bytes at ``scale`` x its dpi (2 = high-density)."""
        buf = io.BytesIO()
        self.fig.savefig(buf, format="png", dpi=self.fig.dpi * scale,
                         metadata={"Software": None})
        return buf.getvalue()

    def _repr_mimebundle_(self, include=None, exclude=None):
        if not self.own_figure:  # drawn into someone else's figure: they display it
            return {"text/plain": repr(self)}
        import base64

        png = self.png(2.0)
        w, h = self.fig.get_size_inches() * self.fig.dpi
        # the figure is shown here: stop the inline backend from showing it a second time
        plt.close(self.fig)
        return ({"image/png": base64.b64encode(png).decode("ascii"), "text/plain": self.alt},
                {"image/png": {"width": int(round(w)), "height": int(round(h))}})


def set_alt_text(cell, diagram_or_text) -> None:
    """Write a diagram's alt text into a notebook cell's metadata (``mystnb.image.alt``).

    ``cell`` is a code cell as a dict / ``nbformat`` node; ``diagram_or_text`` a :class:`Diagram`
    or a string.
    """
    text = diagram_or_text.alt if isinstance(diagram_or_text, Diagram) else diagram_or_text
    if not isinstance(text, str) or not text.strip():
        raise TypeError(f"diagram_or_text must be a Diagram or a non-empty str, got {text!r}")
    if not isinstance(cell, dict) or cell.get("cell_type") != "code":
        raise TypeError("cell must be a notebook code cell (a dict with cell_type 'code')")
    meta = cell.setdefault("metadata", {})
    meta.setdefault("mystnb", {}).setdefault("image", {})["alt"] = text


# ---------------------------------------------------------------------------------------------
# Helpers


def _canvas(fig, ax, figsize) -> tuple[Figure, Axes, bool]:
    if ax is not None:
        if not isinstance(ax, Axes):
            raise TypeError(f"ax must be a matplotlib Axes, got {type(ax).__name__}")
        return ax.figure, ax, False
    if fig is not None:
        if not isinstance(fig, Figure):
            raise TypeError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
        return fig, fig.add_subplot(), False
    width = min(figsize[0], MAX_WIDTH)
    fig = plt.figure(figsize=(width, figsize[1]), layout="constrained")
    return fig, fig.add_subplot(), True


def _labels(labels, n: int, name: str, default) -> list[str]:
    if labels is None:
        return [default(i) for i in range(n)]
    if isinstance(labels, (str, bytes)) or not isinstance(labels, Sequence | np.ndarray):
        raise TypeError(f"{name} must be a sequence of {n} labels, got {type(labels).__name__}")
    labels = [str(x) for x in labels]
    if len(labels) != n:
        raise ValueError(f"{name} has {len(labels)} labels, expected {n}")
    return labels


def _check_count(n: int, limit: int, name: str, symbol: str, instead: str) -> None:
    if n > limit:
        raise ValueError(f"{name} has {symbol} = {n}; this diagram draws at most {limit} so that "
                         f"its text stays readable at the column's width — draw a slice, or "
                         f"use {instead}")


def _fmt(values, fmt=".2f") -> str:
    return "[" + ", ".join(format(float(x), fmt) for x in np.ravel(values)) + "]"


def _shape(shape) -> str:
    """``(2, 4)`` as numpy writes it, ``(4,)`` for one axis."""
    return str(tuple(int(s) for s in shape))


def _check_weights(weights, name: str, axis_len: int | None = None) -> np.ndarray:
    w = as_float_array(weights, name)
    if (w < 0).any():
        raise ValueError(f"{name} must be >= 0 (attention weights), got min {float(w.min()):.3g}")
    if axis_len is not None and w.shape[-1] != axis_len:
        raise ValueError(f"{name} has {w.shape[-1]} weights per row (shape {w.shape}), "
                         f"expected {axis_len}")
    return w


def _add(ax, patch):
    """``ax.add_patch(patch)`` without updating the data limits (every diagram sets its limits
    itself): the same picture, without the path arithmetic that made a diagram of a few hundred
    cells take a second."""
    return ax.add_artist(patch)


def _vector(ax, x, y, vec, *, cw, ch, norm, edge, numbers: bool, label=None) -> list:
    """A vector as a row of cells coloured by value; returns the cell patches."""
    cmap = plt.get_cmap(VECTOR_CMAP)
    cells = []
    for i, value in enumerate(vec):
        rgba = cmap(norm(value))
        rect = Rectangle((x + i * cw, y - ch / 2), cw, ch, facecolor=rgba, edgecolor=edge,
                         linewidth=1.0)
        _add(ax, rect)
        cells.append(rect)
        if numbers:
            lum = 0.299 * rgba[0] + 0.587 * rgba[1] + 0.114 * rgba[2]
            ax.text(x + (i + 0.5) * cw, y, format(float(value), ".1f"), ha="center",
                    va="center", fontsize=SMALL, color="black" if lum > 0.5 else "white")
    if label is not None:
        ax.text(x - 0.08, y, label, ha="right", va="center", fontsize=FONT, color=edge)
    return cells


def _box(ax, x, y, text, *, w=1.4, h=0.5, face=None, edge=None, dashed=False, fontsize=FONT):
    patch = FancyBboxPatch((x - w / 2, y - h / 2), w, h,
                           boxstyle="round,pad=0.02,rounding_size=0.08",
                           facecolor=face or COLORS["box"], edgecolor=edge or COLORS["edge"],
                           linewidth=1.0, linestyle="--" if dashed else "-")
    _add(ax, patch)
    txt = ax.text(x, y, text, ha="center", va="center", fontsize=fontsize,
                  color="0.45" if dashed else "black")
    return patch, txt


def _arrow(ax, start, end, *, label=None, side="right", color=None, lw=1.2, ls="-",
           dx=0.06):
    arrow = FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=9, linewidth=lw,
                            color=color or COLORS["edge"], linestyle=ls, shrinkA=0, shrinkB=0)
    _add(ax, arrow)
    text = None
    if label is not None:
        mx, my = (start[0] + end[0]) / 2, (start[1] + end[1]) / 2
        text = ax.text(mx + (dx if side == "right" else -dx), my, label,
                       ha="left" if side == "right" else "right", va="center", fontsize=SMALL,
                       color="0.15")
    return arrow, text


def _finish(ax, xlim, ylim, title=None):
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=9)


# ---------------------------------------------------------------------------------------------
# Lookup flow (chapters 1-3)


def lookup_flow(
    query,
    keys,
    values,
    weights=None,
    *,
    scores=None,
    temperature: float = 1.0,
    scale: bool = False,
    key_labels: Sequence | None = None,
    title: str | None = None,
    numbers: bool | None = None,
    fig: Figure | None = None,
    ax: Axes | None = None,
) -> Diagram:
    r"""Attention as a soft lookup: one query against every key, softmax, weighted sum of values.

    Draws, one row per key :math:`j`: the key :math:`\mathbf k_j` (labelled), its score
    :math:`s_j`, a bar of its weight :math:`\alpha_j`, the value :math:`\mathbf v_j`, and an arrow
    from the value to the context vector :math:`\mathbf c = \sum_j \alpha_j \mathbf v_j` whose
    line width is proportional to :math:`\alpha_j` (``8 * alpha_j`` points). The query is drawn
    on the left with a thin line to each key. Vectors are rows of cells coloured by value
    (blue < 0 < red), with the numbers written in when they are short (``numbers``, default: when
    ``d <= 4``).

    Parameters
    ----------
    query : array_like, shape ``(d_k,)``
    keys : array_like, shape ``(L_k, d_k)``
    values : array_like, shape ``(L_k, d_v)``
    weights : array_like, shape ``(L_k,)``, optional
        The weights to draw; by default ``softmax(scores / temperature)``.
    scores : array_like, shape ``(L_k,)``, optional
        The scores :math:`s_j`; by default the dot products :math:`\mathbf k_j^\top \mathbf q`
        (divided by :math:`\sqrt{d_k}` if ``scale``).
    temperature : softmax temperature :math:`\tau > 0` (only when ``weights`` is not given)
    key_labels : ``L_k`` names of the keys (e.g. their tokens), optional
    fig, ax : draw into this empty figure / these axes (for :func:`attnbook.interactive_figure`)

    Returns
    -------
    Diagram with artists ``arrows`` (one per key), ``bars``, ``query_lines``, ``context_cells``
    and data ``scores``, ``weights``, ``context``.
    """
    from .attention import softmax

    q = as_float_array(query, "query")
    k = as_float_array(keys, "keys")
    v = as_float_array(values, "values")
    if q.ndim != 1:
        raise ValueError(f"query must be one vector of shape (d_k,), got shape {q.shape}")
    if k.ndim != 2 or k.shape[1] != q.shape[0]:
        raise ValueError(f"keys must have shape (L_k, d_k) = (L_k, {q.shape[0]}), got {k.shape}")
    if v.ndim != 2 or v.shape[0] != k.shape[0]:
        raise ValueError(f"values must have shape (L_k, d_v) = ({k.shape[0]}, d_v), got {v.shape}")
    n, d_k = k.shape
    if n == 0:
        raise ValueError("keys must hold at least one key, got shape (0, d_k)")
    _check_count(n, MAX_ROWS, "keys", "L_k", "attnbook.heatmap of the weights")
    if isinstance(temperature, bool) or not isinstance(temperature, (int, float, np.number)):
        raise TypeError(f"temperature must be a number, got {type(temperature).__name__}")
    if not np.isfinite(temperature) or temperature <= 0:
        raise ValueError(f"temperature must be a finite number > 0, got {temperature}")
    if scores is None:
        s = k @ q / (np.sqrt(d_k) if scale else 1.0)
    else:
        s = as_float_array(scores, "scores")
        if s.shape != (n,):
            raise ValueError(f"scores must have shape (L_k,) = ({n},), got {s.shape}")
    if weights is None:
        a = softmax(s, temperature=float(temperature))
    else:
        if temperature != 1.0:
            raise ValueError("temperature only applies when weights is None (the weights are "
                             "drawn as given)")
        a = _check_weights(weights, "weights")
        if a.shape != (n,):
            raise ValueError(f"weights must have shape (L_k,) = ({n},), got {a.shape}")
    c = a @ v
    labels = _labels(key_labels, n, "key_labels", lambda j: f"key {j + 1}")
    numbers = max(d_k, v.shape[1]) <= 4 if numbers is None else bool(numbers)

    fig, ax, own = _canvas(fig, ax, (MAX_WIDTH, 1.1 + 0.42 * n))
    vmax = max(np.abs(q).max(), np.abs(k).max(), np.abs(v).max(), np.abs(c).max(), 1e-12)
    norm = mcolors.Normalize(-vmax, vmax)
    cw_k, cw_v = min(0.45, 1.6 / d_k), min(0.45, 1.6 / v.shape[1])
    ch = 0.62
    rows = n - 1 - np.arange(n, dtype=float)
    y_mid = (n - 1) / 2
    x_q, x_lab, x_k, x_s, x_bar, x_v, x_c = 0.05, 2.2, 3.0, 5.0, 5.7, 7.85, 10.35
    bar_len = 1.3

    _vector(ax, x_q, y_mid, q, cw=cw_k, ch=ch, norm=norm, edge=COLORS["q"], numbers=numbers)
    q_end = x_q + d_k * cw_k
    query_lines = [ax.plot([q_end + 0.05, x_lab - 0.08], [y_mid, y], color=COLORS["q"],
                           lw=0.8, alpha=0.6)[0] for y in rows]
    bars, arrows = [], []
    for j, y in enumerate(rows):
        ax.text(x_lab, y, labels[j], ha="left", va="center", fontsize=FONT)
        _vector(ax, x_k, y, k[j], cw=cw_k, ch=ch, norm=norm, edge=COLORS["k"], numbers=numbers)
        ax.text(x_s, y, format(float(s[j]), ".2f"), ha="center", va="center", fontsize=FONT)
        bar = Rectangle((x_bar, y - 0.25), bar_len * float(min(a[j], 1.0)), 0.5,
                        facecolor=COLORS["alpha"], alpha=0.85)
        _add(ax, bar)
        bars.append(bar)
        ax.text(x_bar + bar_len * float(min(a[j], 1.0)) + 0.05, y, format(float(a[j]), ".2f"),
                ha="left", va="center", fontsize=SMALL, color=COLORS["alpha"])
        _vector(ax, x_v, y, v[j], cw=cw_v, ch=ch, norm=norm, edge=COLORS["v"], numbers=numbers)
        arrow = FancyArrowPatch((x_v + v.shape[1] * cw_v + 0.08, y), (x_c - 0.1, y_mid),
                                arrowstyle="-|>", mutation_scale=6 + 10 * float(a[j]),
                                linewidth=8.0 * float(a[j]), color=COLORS["alpha"],
                                shrinkA=0, shrinkB=0, alpha=0.9)
        _add(ax, arrow)
        arrows.append(arrow)
    context_cells = _vector(ax, x_c, y_mid, c, cw=cw_v, ch=ch, norm=norm, edge=COLORS["c"],
                            numbers=numbers)
    top = n - 1 + 0.75
    heads = [(x_q, "query $\\mathbf{q}$", "left"), (x_lab, "key $\\mathbf{k}_j$", "left"),
             (x_s, "score $s_j$", "center"), (x_bar, "weight $\\alpha_j$", "left"),
             (x_v, "value $\\mathbf{v}_j$", "left"), (x_c, "context $\\mathbf{c}$", "left")]
    for x, text, ha in heads:
        ax.text(x, top, text, ha=ha, va="bottom", fontsize=FONT)
    ax.text(x_c, y_mid - 0.55, "$\\sum_j \\alpha_j \\mathbf{v}_j$", ha="left", va="top",
            fontsize=FONT, color=COLORS["c"])
    if title is None and weights is None:
        kind = "scaled dot product" if scale else "dot product"
        title = (f"scores: {kind}" if scores is None else "scores as given") + \
                f"; weights = softmax(s / τ), τ = {float(temperature):g}"
    _finish(ax, (0, 12.0), (-0.7, n - 1 + 1.25), title)

    best = int(np.argmax(a))
    alt = (f"Lookup flow: a query of {d_k} numbers is compared with {n} keys "
           f"({', '.join(labels)}). Scores {_fmt(s)}; softmax turns them into weights "
           f"{_fmt(a)}, drawn as bars and as arrows from the values whose thickness follows "
           f"the weight. The largest weight, {float(a[best]):.2f}, goes to {labels[best]}. "
           f"The context vector, the weighted sum of the values, is {_fmt(c)}.")
    return Diagram("lookup flow", fig, ax, alt,
                   artists={"arrows": arrows, "bars": bars, "query_lines": query_lines,
                            "context_cells": context_cells},
                   data={"scores": s, "weights": a, "context": c, "labels": labels},
                   own_figure=own)


# ---------------------------------------------------------------------------------------------
# Encoder-decoder (chapters 4, 8)


def encoder_decoder(
    source_tokens: Sequence,
    weights,
    *,
    target_tokens: Sequence | None = None,
    step: int = 0,
    title: str | None = None,
    fig: Figure | None = None,
    ax: Axes | None = None,
) -> Diagram:
    r"""Encoder-decoder attention at one decoder step, in the style of Bahdanau et al.'s Figure 1.

    Bottom: the source tokens :math:`x_j` and the encoder states :math:`h_j` (the keys and values).
    Top: the decoder states, the one at step :math:`t` highlighted. Between them, a line from each
    :math:`h_j` into the sum node :math:`\mathbf c_t = \sum_j \alpha_{tj} h_j`, with width and
    opacity proportional to :math:`\alpha_{tj}` (width ``7 * alpha``) and the weight written
    above :math:`h_j`; an arrow carries :math:`\mathbf c_t` into the decoder state.

    Parameters
    ----------
    source_tokens : ``L_k`` source tokens
    weights : array_like, shape ``(L_k,)`` (one step) or ``(T, L_k)`` (every step; row ``step``
        is drawn)
    target_tokens : ``T`` target tokens, optional (drawn above the decoder states; the token at
        ``step`` is the one being produced)
    step : the decoder step drawn, ``0 <= step < T`` (0-based; the picture says ``t = step + 1``)
    fig, ax : draw into this figure / these axes

    Returns
    -------
    Diagram with artists ``lines`` (one per source token), ``context``, ``decoder_boxes`` and
    data ``weights`` (the row drawn), ``step``.
    """
    src = _labels(source_tokens, len(source_tokens) if isinstance(source_tokens, Sequence)
                  and not isinstance(source_tokens, (str, bytes)) else -1,
                  "source_tokens", str) if source_tokens is not None else None
    if src is None:
        raise TypeError("source_tokens must be a sequence of tokens")
    n = len(src)
    if n == 0:
        raise ValueError("source_tokens is empty")
    _check_count(n, MAX_ROWS, "source_tokens", "L_k", "attnbook.heatmap of the weights")
    w = _check_weights(weights, "weights")
    if w.ndim == 1:
        w = w[None]
    if w.ndim != 2 or w.shape[1] != n:
        raise ValueError(f"weights must have shape (L_k,) or (T, L_k) with L_k = {n} source "
                         f"tokens, got {np.shape(weights)}")
    n_steps = w.shape[0]
    if isinstance(step, bool) or not isinstance(step, (int, np.integer)):
        raise TypeError(f"step must be an int, got {type(step).__name__}")
    if not 0 <= step < n_steps:
        raise ValueError(f"step must be in 0..{n_steps - 1} (weights has {n_steps} rows), "
                         f"got {step}")
    tgt = None
    if target_tokens is not None:
        tgt = _labels(target_tokens, n_steps, "target_tokens", str)
    a = w[step]
    t = int(step) + 1

    width = max(n, 3)
    fig, ax, own = _canvas(fig, ax, (min(MAX_WIDTH, 1.4 + 0.62 * width), 3.4))
    xs = np.arange(n, dtype=float)
    rotate = max(map(len, src)) > 4 and n > 6
    for x, tok in zip(xs, src):
        ax.text(x, -0.15, tok, ha="right" if rotate else "center", va="top", fontsize=FONT,
                rotation=40 if rotate else 0, rotation_mode="anchor")
        _arrow(ax, (x, 0.0), (x, 0.55), lw=0.8)
    for x in xs:
        _box(ax, x, 0.85, f"$h_{{{int(x) + 1}}}$", w=0.62, h=0.5, face="#dbe9f6",
             edge=COLORS["k"])
    for x in xs[:-1]:
        ax.annotate("", (x + 0.69, 0.85), (x + 0.31, 0.85),
                    arrowprops=dict(arrowstyle="<->", lw=0.7, color="0.4", shrinkA=0, shrinkB=0))
    # decoder row
    if tgt is not None:
        dec_x = np.linspace(0, n - 1, n_steps) if n_steps > 1 else np.array([(n - 1) / 2])
        cur = float(dec_x[step])
    else:
        cur = (n - 1) / 2 + 0.6
        dec_x = np.array([cur - 1.3, cur])
    y_c, y_dec = 2.35, 3.3
    decoder_boxes = []
    if tgt is not None:
        for i, x in enumerate(dec_x):
            now = i == step
            patch, _ = _box(ax, x, y_dec, f"$s_{{{i + 1}}}$", w=0.62, h=0.5,
                            face="#fde3cf" if now else COLORS["box"],
                            edge=COLORS["q"] if now else "0.6", dashed=i > step)
            decoder_boxes.append(patch)
            ax.text(x, y_dec + 0.42, tgt[i], ha="center", va="bottom", fontsize=FONT,
                    color="black" if i <= step else "0.6",
                    fontweight="bold" if now else "normal")
            if i > 0:
                ax.annotate("", (x - 0.31, y_dec), (dec_x[i - 1] + 0.31, y_dec),
                            arrowprops=dict(arrowstyle="-|>", lw=0.7, color="0.4",
                                            shrinkA=0, shrinkB=0))
    else:
        for i, (x, name) in enumerate(zip(dec_x, ["s_{t-1}", "s_t"])):
            patch, _ = _box(ax, x, y_dec, f"${name}$", w=0.7, h=0.5,
                            face="#fde3cf" if i else COLORS["box"],
                            edge=COLORS["q"] if i else "0.6")
            decoder_boxes.append(patch)
        ax.annotate("", (dec_x[1] - 0.35, y_dec), (dec_x[0] + 0.35, y_dec),
                    arrowprops=dict(arrowstyle="-|>", lw=0.8, color="0.4", shrinkA=0,
                                    shrinkB=0))
        ax.text(cur, y_dec + 0.42, f"output $y_t$, t = {t}", ha="center", va="bottom",
                fontsize=FONT)
    # weighted lines into the context node, each starting above its weight's label (a thick
    # line rising past its neighbours' labels would cover them)
    lines = []
    for x, weight in zip(xs, a):
        line = ax.plot([x, cur], [1.5, y_c - 0.16], color=COLORS["alpha"],
                       lw=7.0 * float(weight), alpha=float(min(1.0, 0.15 + 0.85 * weight)),
                       solid_capstyle="round")[0]
        lines.append(line)
        ax.text(x, 1.12, format(float(weight), ".2f"), ha="center", va="bottom",
                fontsize=SMALL, color=COLORS["alpha"])
    context = plt.Circle((cur, y_c), 0.16, facecolor="white", edgecolor=COLORS["c"], lw=1.4)
    _add(ax, context)
    ax.text(cur, y_c, "+", ha="center", va="center", fontsize=FONT, color=COLORS["c"])
    ax.text(cur + 0.25, y_c, f"$\\mathbf{{c}}_{{{t}}} = \\sum_j \\alpha_{{{t}j}} h_j$",
            ha="left", va="center", fontsize=FONT, color=COLORS["c"])
    _arrow(ax, (cur, y_c + 0.16), (cur, y_dec - 0.25), color=COLORS["c"], lw=1.2)
    ax.text(-0.55, 0.85, "encoder", ha="right", va="center", fontsize=FONT, color=COLORS["k"])
    ax.text(-0.55, y_dec, "decoder", ha="right", va="center", fontsize=FONT, color=COLORS["q"])
    if title is None:
        title = f"decoder step t = {t}: attention over the source"
    _finish(ax, (-1.6, max(n - 1, float(dec_x.max())) + 1.4), (-1.0 if rotate else -0.6, 4.1),
            title)

    best = int(np.argmax(a))
    made = f" while producing '{tgt[step]}'" if tgt is not None else ""
    alt = (f"Encoder-decoder attention at decoder step {t}{made}: the source tokens "
           f"{', '.join(src)} have encoder states h1 to h{n}. Lines from each state into the "
           f"context vector have thickness set by the weights {_fmt(a)}; the strongest, "
           f"{float(a[best]):.2f}, comes from '{src[best]}'. The context vector feeds the "
           f"decoder state.")
    return Diagram("encoder-decoder", fig, ax, alt,
                   artists={"lines": lines, "context": context, "decoder_boxes": decoder_boxes},
                   data={"weights": a, "step": int(step), "source_tokens": src,
                         "target_tokens": tgt},
                   own_figure=own)


# ---------------------------------------------------------------------------------------------
# Token-to-token lines (chapters 5-9)


def token_lines(
    weights,
    tokens_q: Sequence,
    tokens_k: Sequence | None = None,
    *,
    heads: Sequence[int] | None = None,
    colors: Sequence | None = None,
    head_labels: Sequence[str] | None = None,
    min_weight: float = 0.01,
    title: str | None = None,
    fig: Figure | None = None,
    ax: Axes | None = None,
) -> Diagram:
    r"""A head's attention as lines between two columns of tokens (bertviz's head view, static).

    Queries on the left, keys on the right; the line from query :math:`i` to key :math:`j` has
    opacity :math:`A_{ij}` (its weight, so each left token's lines' opacities sum to 1). Lines with
    weight below ``min_weight`` are left out (they would be invisible). Several heads are drawn
    over each other, one colour each, with a legend above the columns.

    Parameters
    ----------
    weights : array_like, shape ``(L_q, L_k)`` (one head) or ``(H, L_q, L_k)``
    tokens_q : ``L_q`` query tokens (left column)
    tokens_k : ``L_k`` key tokens (right column; default ``tokens_q``, self-attention)
    heads : indices of the heads to draw (default all ``H``; at most 10)
    colors : one colour per drawn head (default: purple for one head, ``tab10`` for several)
    head_labels : legend labels (default ``head 1 …``, numbered from the index + 1)
    min_weight : lines lighter than this are not drawn (default 0.01)
    fig, ax : draw into this figure / these axes

    Returns
    -------
    Diagram with artists ``collections`` (one ``LineCollection`` per drawn head) and data
    ``pairs`` (per head, the ``(i, j)`` of each drawn line, in the collection's order),
    ``alphas`` (per head, each line's opacity = its weight), ``heads``.
    """
    w = _check_weights(weights, "weights")
    if w.ndim == 2:
        w = w[None]
        single = True
    elif w.ndim == 3:
        single = False
    else:
        raise ValueError(f"weights must have shape (L_q, L_k) or (H, L_q, L_k), got {w.shape}")
    n_h, n_q, n_k = w.shape
    _check_count(max(n_q, n_k), MAX_TOKENS, "weights", "L", "attnbook.heatmap")
    if (w > 1 + 1e-6).any():
        raise ValueError(f"weights must lie in [0, 1] (line opacities), got max "
                         f"{float(w.max()):.3g}")
    if tokens_q is None or isinstance(tokens_q, (str, bytes)):
        raise TypeError("tokens_q must be a sequence of tokens (one per query row)")
    left = _labels(tokens_q, n_q, "tokens_q", str)
    right = left if tokens_k is None and n_k == n_q else _labels(
        tokens_k if tokens_k is not None else tokens_q, n_k, "tokens_k", str)
    if heads is None:
        heads = list(range(n_h))
    else:
        if isinstance(heads, (int, np.integer)):
            heads = [heads]
        heads = [int(h) for h in heads]
        bad = [h for h in heads if not 0 <= h < n_h]
        if bad:
            raise ValueError(f"heads {bad} out of range: weights has {n_h} heads (0..{n_h - 1})")
    if not heads or len(heads) > 10:
        raise ValueError(f"heads must name 1 to 10 heads, got {len(heads)}")
    if colors is None:
        colors = [COLORS["alpha"]] if len(heads) == 1 else \
            [plt.get_cmap("tab10")(i % 10) for i in range(len(heads))]
    elif len(colors) != len(heads):
        raise ValueError(f"colors has {len(colors)} entries for {len(heads)} heads")
    if head_labels is None:
        head_labels = [f"head {h + 1}" for h in heads]
    elif len(head_labels) != len(heads):
        raise ValueError(f"head_labels has {len(head_labels)} entries for {len(heads)} heads")
    if not 0 <= float(min_weight) < 1:
        raise ValueError(f"min_weight must be in [0, 1), got {min_weight}")

    n = max(n_q, n_k)
    longest = max(map(len, left + right))
    fig, ax, own = _canvas(fig, ax, (min(MAX_WIDTH, 2.6 + 0.14 * longest),
                                     0.9 + 0.21 * n + (0.3 if len(heads) > 1 else 0)))
    yq = -np.arange(n_q) * (n - 1) / max(n_q - 1, 1) if n_q > 1 else np.array([-(n - 1) / 2])
    yk = -np.arange(n_k) * (n - 1) / max(n_k - 1, 1) if n_k > 1 else np.array([-(n - 1) / 2])
    for y, tok in zip(yq, left):
        ax.text(-0.04, y, tok, ha="right", va="center", fontsize=FONT)
    for y, tok in zip(yk, right):
        ax.text(1.04, y, tok, ha="left", va="center", fontsize=FONT)
    collections, pairs, alphas = [], [], []
    for h, color, label in zip(heads, colors, head_labels):
        ii, jj = np.nonzero(w[h] >= min_weight)
        segs = np.stack([np.stack([np.zeros_like(yq[ii]), yq[ii]], -1),
                         np.stack([np.ones_like(yk[jj]), yk[jj]], -1)], axis=1)
        alpha = np.clip(w[h][ii, jj], 0.0, 1.0)
        rgba = np.tile(mcolors.to_rgba(color), (len(ii), 1))
        rgba[:, 3] = alpha
        lc = LineCollection(segs, colors=rgba, linewidths=2.0, label=label)
        ax.add_collection(lc)
        collections.append(lc)
        pairs.append(np.stack([ii, jj], -1))
        alphas.append(alpha)
    if len(heads) > 1:
        handles = [plt.Line2D([], [], color=c, lw=2) for c in colors]
        ax.legend(handles, head_labels, loc="lower center", bbox_to_anchor=(0.5, 1.0),
                  ncol=min(4, len(heads)), fontsize=SMALL, frameon=False, handlelength=1.2)
    ax.text(0, 0.7, "query", ha="center", va="bottom", fontsize=SMALL, color="0.3")
    ax.text(1, 0.7, "key", ha="center", va="bottom", fontsize=SMALL, color="0.3")
    _finish(ax, (-0.08, 1.08), (-(n - 1) - 0.6, 1.3), None)
    if title:
        ax.set_title(title, fontsize=9, pad=22 if len(heads) > 1 else 6)

    parts = []
    for h, label in zip(heads, head_labels):
        best = np.argmax(w[h], axis=1)
        strongest = sorted(range(n_q), key=lambda i: -w[h][i, best[i]])[:3]
        desc = "; ".join(f"{left[i]} -> {right[best[i]]} ({float(w[h][i, best[i]]):.2f})"
                         for i in strongest)
        parts.append(f"{label}: strongest lines {desc}")
    alt = (f"Token-to-token attention lines: {n_q} query tokens ({' '.join(left)}) on the left "
           f"joined to {n_k} key tokens on the right, each line as opaque as its weight. "
           + ". ".join(parts) + ".")
    return Diagram("token lines", fig, ax, alt,
                   artists={"collections": collections},
                   data={"pairs": pairs, "alphas": alphas, "heads": heads,
                         "weights": w[0] if single else w},
                   own_figure=own)


# ---------------------------------------------------------------------------------------------
# Block diagrams with shapes (chapters 5-10)


def sdpa_block(
    Q,
    K,
    V,
    mask=None,
    *,
    title: str | None = "scaled dot-product attention",
    fig: Figure | None = None,
    ax: Axes | None = None,
) -> Diagram:
    r"""Scaled dot-product attention as a block diagram (Vaswani et al., Figure 2, left), with the
    shape of every tensor, computed from the arrays, written on its arrow.

    MatMul :math:`QK^\top` → scale by :math:`1/\sqrt{d_k}` → mask (dashed when ``mask`` is None)
    → softmax → MatMul with :math:`V`. Only the shapes are computed (the arrays may be large).

    Parameters
    ----------
    Q : array_like, shape ``(..., L_q, d_k)``
    K : array_like, shape ``(..., L_k, d_k)``
    V : array_like, shape ``(..., L_k, d_v)``
    mask : boolean array broadcastable to ``(..., L_q, L_k)``, True = may attend; optional
    fig, ax : draw into this figure / these axes

    Returns
    -------
    Diagram with data ``shapes`` (name → tuple: ``Q K V scores weights output`` and ``mask``) and
    artists ``labels`` (name → the Text on that arrow) and ``boxes`` (operation → patch).
    """
    q, k, v = (np.asarray(x) for x in (Q, K, V))
    for name, x in (("Q", q), ("K", k), ("V", v)):
        if not (np.issubdtype(x.dtype, np.number) and x.dtype != bool):
            raise TypeError(f"{name} must be a numeric array, got dtype {x.dtype}")
        if x.ndim < 2:
            raise ValueError(f"{name} must have shape (..., L, d), got {x.shape}")
    if k.shape[-1] != q.shape[-1]:
        raise ValueError(f"Q (..., L_q, d_k) and K (..., L_k, d_k) need the same d_k: "
                         f"Q {q.shape}, K {k.shape}")
    if v.shape[-2] != k.shape[-2]:
        raise ValueError(f"K and V need the same L_k: K {k.shape}, V {v.shape}")
    try:
        batch = np.broadcast_shapes(q.shape[:-2], k.shape[:-2], v.shape[:-2])
    except ValueError:
        raise ValueError(f"the batch axes of Q {q.shape}, K {k.shape}, V {v.shape} do not "
                         "broadcast") from None
    l_q, d_k = q.shape[-2:]
    l_k, d_v = v.shape[-2:]
    scores = batch + (l_q, l_k)
    shapes = {"Q": q.shape, "K": k.shape, "V": v.shape, "scores": scores, "weights": scores,
              "output": batch + (l_q, d_v), "mask": None}
    if mask is not None:
        shapes["mask"] = bool_mask(mask, "mask", scores).shape

    fig, ax, own = _canvas(fig, ax, (4.2, 4.6))
    labels, boxes = {}, {}
    xq, xk, xv, xm = 0.0, 1.3, 2.9, 0.65
    _, labels["Q"] = _arrow(ax, (xq, -0.1), (xq, 0.55), label=f"Q {_shape(q.shape)}",
                            side="left", color=COLORS["q"])
    _, labels["K"] = _arrow(ax, (xk, -0.1), (xk, 0.55), label=f"K {_shape(k.shape)}",
                            color=COLORS["k"])
    boxes["matmul1"], _ = _box(ax, xm, 0.8, "MatMul  $QK^\\top$", w=1.9)
    _, labels["scores"] = _arrow(ax, (xm, 1.05), (xm, 1.45), label=f"scores {_shape(scores)}")
    boxes["scale"], _ = _box(ax, xm, 1.7, f"Scale  $1/\\sqrt{{d_k}}$ = 1/√{d_k}", w=1.9)
    _arrow(ax, (xm, 1.95), (xm, 2.35))
    mask_text = "Mask (none)" if mask is None else f"Mask {_shape(shapes['mask'])}"
    boxes["mask"], _ = _box(ax, xm, 2.6, mask_text, w=1.9, dashed=mask is None)
    _arrow(ax, (xm, 2.85), (xm, 3.25))
    boxes["softmax"], _ = _box(ax, xm, 3.5, "SoftMax (over keys)", w=1.9)
    _, labels["weights"] = _arrow(ax, (xm, 3.75), (xm, 4.15), label=f"weights {_shape(scores)}")
    xo = (xm + xv) / 2
    boxes["matmul2"], _ = _box(ax, xo, 4.4, "MatMul  $AV$", w=1.5)
    _, labels["V"] = _arrow(ax, (xv, -0.1), (xv, 4.15), label=f"V {_shape(v.shape)}",
                            color=COLORS["v"])
    _, labels["output"] = _arrow(ax, (xo, 4.65), (xo, 5.2),
                                 label=f"output {_shape(shapes['output'])}", color=COLORS["c"])
    _finish(ax, (-1.7, 4.6), (-0.3, 5.35), title)
    alt = (f"Block diagram of scaled dot-product attention: Q of shape {_shape(q.shape)} and K "
           f"of shape {_shape(k.shape)} are multiplied into scores {_shape(scores)}, scaled by "
           f"1 over the square root of {d_k}, "
           + ("not masked" if mask is None else f"masked by a mask of shape "
              f"{_shape(shapes['mask'])}")
           + f", turned into weights {_shape(scores)} by a softmax over the keys, and multiplied "
           f"with V {_shape(v.shape)} into the output {_shape(shapes['output'])}.")
    return Diagram("scaled dot-product attention block", fig, ax, alt,
                   artists={"labels": labels, "boxes": boxes}, data={"shapes": shapes},
                   own_figure=own)


def mha_block(
    x,
    num_heads: int,
    *,
    memory=None,
    title: str | None = "multi-head attention",
    fig: Figure | None = None,
    ax: Axes | None = None,
) -> Diagram:
    r"""Multi-head attention as a block diagram with the shapes computed from ``x``.

    Linear projections :math:`XW_Q, XW_K, XW_V` → split into ``num_heads`` heads of width
    :math:`d_\text{head} = d_\text{model}/h` → scaled dot-product attention in every head →
    merge (concatenate) the heads → linear :math:`W_O`.

    Parameters
    ----------
    x : array_like, shape ``(..., L_q, d_model)`` — the queries' input (self-attention: also the
        keys' and values')
    num_heads : :math:`h`, must divide ``d_model``
    memory : array_like, shape ``(..., L_k, d_model)``, optional — the keys' and values' input
        (cross-attention, e.g. the encoder output)
    fig, ax : draw into this figure / these axes

    Returns
    -------
    Diagram with data ``shapes`` (``x q k v q_heads k_heads v_heads weights heads_out merged
    output``) and artists ``labels`` (name → Text), ``boxes``, ``head_boxes`` (one per head drawn,
    at most 4).
    """
    xa = np.asarray(x)
    if not (np.issubdtype(xa.dtype, np.number) and xa.dtype != bool):
        raise TypeError(f"x must be a numeric array, got dtype {xa.dtype}")
    if xa.ndim < 2:
        raise ValueError(f"x must have shape (..., L_q, d_model), got {xa.shape}")
    h = positive_int(num_heads, "num_heads")
    *batch, l_q, d = xa.shape
    batch = tuple(batch)
    if d % h:
        raise ValueError(f"num_heads={h} must divide d_model={d} (x has shape {xa.shape})")
    if memory is None:
        l_k = l_q
    else:
        m = np.asarray(memory)
        if m.ndim != xa.ndim or m.shape[-1] != d or m.shape[:-2] != xa.shape[:-2]:
            raise ValueError(f"memory must have shape (..., L_k, d_model) with the batch axes "
                             f"and d_model={d} of x {xa.shape}, got {m.shape}")
        l_k = m.shape[-2]
    dh = d // h
    shapes = {"x": xa.shape, "q": batch + (l_q, d), "k": batch + (l_k, d),
              "v": batch + (l_k, d), "q_heads": batch + (h, l_q, dh),
              "k_heads": batch + (h, l_k, dh), "v_heads": batch + (h, l_k, dh),
              "weights": batch + (h, l_q, l_k), "heads_out": batch + (h, l_q, dh),
              "merged": batch + (l_q, d), "output": batch + (l_q, d)}
    if memory is not None:
        shapes["memory"] = np.shape(memory)

    fig, ax, own = _canvas(fig, ax, (5.6, 5.0))
    labels, boxes = {}, {}
    cols = {"q": 0.0, "k": 1.9, "v": 3.8}
    src = {"q": "x", "k": "x" if memory is None else "memory",
           "v": "x" if memory is None else "memory"}
    for name, cx in cols.items():
        sym = name.upper()
        inp = shapes["x"] if src[name] == "x" else shapes["memory"]
        _, labels[f"in_{name}"] = _arrow(ax, (cx, -0.15), (cx, 0.3),
                                         label=f"{src[name]} {_shape(inp)}")
        boxes[f"w_{name}"], _ = _box(ax, cx, 0.55, f"Linear $W_{sym}$", w=1.3,
                                     edge=COLORS[name])
        _, labels[name] = _arrow(ax, (cx, 0.8), (cx, 1.25), label=_shape(shapes[name]),
                                 color=COLORS[name])
        boxes[f"split_{name}"], _ = _box(ax, cx, 1.5, f"split into {h} heads", w=1.5)
        _, labels[f"{name}_heads"] = _arrow(ax, (cx, 1.75), (cx, 2.3),
                                            label=_shape(shapes[f"{name}_heads"]),
                                            color=COLORS[name])
    head_boxes = []
    shown = min(h, 4)
    for i in reversed(range(shown)):
        off = 0.09 * i
        patch, txt = _box(ax, 1.9 + off, 2.6 + off, "", w=4.6, h=0.55, face="white")
        head_boxes.append(patch)
    ax.text(1.9, 2.6, f"scaled dot-product attention, {h} heads in parallel", ha="center",
            va="center", fontsize=FONT)
    labels["weights"] = ax.text(4.45 + 0.09 * shown, 2.6, f"weights\n{_shape(shapes['weights'])}",
                                ha="left", va="center", fontsize=SMALL, color=COLORS["alpha"])
    _, labels["heads_out"] = _arrow(ax, (1.9, 2.95 + 0.09 * (shown - 1)), (1.9, 3.5),
                                    label=_shape(shapes["heads_out"]))
    boxes["merge"], _ = _box(ax, 1.9, 3.75, "merge (concatenate) heads", w=2.6)
    _, labels["merged"] = _arrow(ax, (1.9, 4.0), (1.9, 4.45), label=_shape(shapes["merged"]))
    boxes["w_o"], _ = _box(ax, 1.9, 4.7, "Linear $W_O$", w=1.3, edge=COLORS["c"])
    _, labels["output"] = _arrow(ax, (1.9, 4.95), (1.9, 5.4),
                                 label=f"output {_shape(shapes['output'])}", color=COLORS["c"])
    _finish(ax, (-0.9, 5.7), (-0.35, 5.55), title)
    kind = "self-attention" if memory is None else "cross-attention"
    alt = (f"Block diagram of multi-head {kind} with {h} heads: the input {_shape(xa.shape)} "
           f"goes through three linear projections W_Q, W_K, W_V to {_shape(shapes['q'])}; each "
           f"is split into {h} heads of width {dh}, {_shape(shapes['q_heads'])}; every head "
           f"computes scaled dot-product attention with weights {_shape(shapes['weights'])}; "
           f"the head outputs {_shape(shapes['heads_out'])} are merged back to "
           f"{_shape(shapes['merged'])} and projected by W_O to the output "
           f"{_shape(shapes['output'])}.")
    return Diagram("multi-head attention block", fig, ax, alt,
                   artists={"labels": labels, "boxes": boxes, "head_boxes": head_boxes},
                   data={"shapes": shapes, "num_heads": h}, own_figure=own)


def encoder_layer_block(
    x_shape,
    norm: str = "pre",
    *,
    num_heads: int | None = None,
    d_ff: int | None = None,
    title: str | None = None,
    fig: Figure | None = None,
    ax: Axes | None = None,
) -> Diagram:
    r"""A transformer encoder layer as a block diagram with shapes, pre-norm or post-norm.

    ``norm="post"`` (Vaswani et al., 2017): ``x → MHA → add x → LayerNorm → FFN → add →
    LayerNorm``. ``norm="pre"`` (GPT-2 and many later models): ``x → LayerNorm → MHA → add x →
    LayerNorm → FFN → add``. Residual connections are drawn as arrows around each sub-layer.

    Parameters
    ----------
    x_shape : shape of the layer's input ``(..., L, d_model)`` (a tuple of ints, or an array
        whose shape is used)
    norm : ``"pre"`` or ``"post"``
    num_heads : written in the attention box, optional (must divide ``d_model``)
    d_ff : width of the feed-forward hidden layer (default ``4 * d_model``)
    fig, ax : draw into this figure / these axes

    Returns
    -------
    Diagram with data ``order`` (the operations bottom to top), ``shapes`` and artists ``boxes``
    (operation → patch, in order), ``labels``, ``residuals`` (the two bypass arrows).
    """
    if isinstance(x_shape, np.ndarray):
        shape = x_shape.shape
    elif isinstance(x_shape, (tuple, list)) and all(
            isinstance(s, (int, np.integer)) and not isinstance(s, bool) for s in x_shape):
        shape = tuple(int(s) for s in x_shape)
    else:
        raise TypeError(f"x_shape must be a tuple of ints (..., L, d_model) or an array, got "
                        f"{x_shape!r}")
    if len(shape) < 2 or min(shape) < 1:
        raise ValueError(f"x_shape must be (..., L, d_model) with sizes >= 1, got {shape}")
    if norm not in ("pre", "post"):
        raise ValueError(f"norm must be 'pre' or 'post', got {norm!r}")
    d = shape[-1]
    if num_heads is not None:
        h = positive_int(num_heads, "num_heads")
        if d % h:
            raise ValueError(f"num_heads={h} must divide d_model={d}")
    d_ff = 4 * d if d_ff is None else positive_int(d_ff, "d_ff")
    hidden = tuple(shape[:-1]) + (d_ff,)
    shapes = {"x": shape, "attention": shape, "ffn_hidden": hidden, "output": shape}
    mha = "multi-head attention" + (f" ({num_heads} heads)" if num_heads else "")
    ffn = "FFN: Linear→ReLU→Linear"
    if norm == "post":
        order = [mha, "add", "LayerNorm", ffn, "add", "LayerNorm"]
    else:
        order = ["LayerNorm", mha, "add", "LayerNorm", ffn, "add"]

    fig, ax, own = _canvas(fig, ax, (4.6, 5.4))
    boxes, labels, residuals = {}, {}, []
    y, step = 0.5, 0.75
    _, labels["x"] = _arrow(ax, (0, -0.1), (0, y - 0.22), label=f"x {_shape(shape)}")
    adds = []
    for i, name in enumerate(order):
        if name == "add":
            circ = plt.Circle((0, y), 0.16, facecolor="white", edgecolor=COLORS["edge"])
            _add(ax, circ)
            ax.text(0, y, "+", ha="center", va="center", fontsize=FONT)
            boxes[f"add{len(adds) + 1}"] = circ
            adds.append(y)
            top = y + 0.16
        else:
            face = "#e8dff0" if name == mha else ("#e3f1e0" if name == ffn else COLORS["box"])
            key = name if name not in boxes else f"{name} 2"
            boxes[key], _ = _box(ax, 0, y, name, w=2.6, h=0.44, face=face)
            top = y + 0.22
        if i < len(order) - 1:
            nxt = y + step
            _arrow(ax, (0, top), (0, nxt - (0.16 if order[i + 1] == "add" else 0.22)))
            y = nxt
        else:
            _, labels["output"] = _arrow(ax, (0, top), (0, top + 0.5),
                                         label=f"output {_shape(shape)}", color=COLORS["c"])
    # residual arrows: from below each sub-layer (pre-norm: below its LayerNorm) into its add
    ys_sub = [i for i, n in enumerate(order) if n in (mha, ffn)]
    for i_sub, y_add in zip(ys_sub, adds):
        y_sub = 0.5 + step * i_sub
        y0 = (y_sub - step - 0.42) if (norm == "pre") else (y_sub - 0.42)
        y0 = max(y0, 0.0)
        pts = [(0, y0), (-1.7, y0), (-1.7, y_add), (-0.16, y_add)]
        line = ax.plot([p[0] for p in pts[:3]], [p[1] for p in pts[:3]], color="0.35", lw=1.0)[0]
        arrow, _ = _arrow(ax, pts[2], pts[3], lw=1.0, color="0.35")
        residuals.append((line, arrow))
        ax.text(-1.75, (y0 + y_add) / 2, "residual", rotation=90, ha="right", va="center",
                fontsize=SMALL, color="0.35")
    i_ffn = order.index(ffn)
    labels["ffn_hidden"] = ax.text(1.4, 0.5 + step * i_ffn, f"hidden {_shape(hidden)}",
                                   ha="left", va="center", fontsize=SMALL, color="0.15")
    labels["attention"] = ax.text(1.4, 0.5 + step * order.index(mha),
                                  f"out {_shape(shape)}", ha="left", va="center",
                                  fontsize=SMALL, color="0.15")
    if title is None:
        title = f"transformer encoder layer, {norm}-norm"
    _finish(ax, (-2.3, 3.3), (-0.3, y + 0.95), title)
    alt = (f"Block diagram of a {norm}-norm transformer encoder layer on an input of shape "
           f"{_shape(shape)}: " + ", then ".join(order) + f". Two residual connections add each "
           f"sub-layer's input to its output; the feed-forward network widens to {_shape(hidden)}"
           f" and back; the output has the input's shape {_shape(shape)}.")
    return Diagram(f"encoder layer ({norm}-norm)", fig, ax, alt,
                   artists={"boxes": boxes, "labels": labels, "residuals": residuals},
                   data={"order": order, "shapes": shapes, "norm": norm}, own_figure=own)


# ---------------------------------------------------------------------------------------------
# Chapter 10: KV cache and tiling


def kv_cache_diagram(
    keys,
    values,
    query,
    *,
    tokens: Sequence | None = None,
    scale: bool = True,
    title: str | None = None,
    fig: Figure | None = None,
    ax: Axes | None = None,
) -> Diagram:
    r"""One decoding step with a KV cache: the new token's query attends over all cached keys.

    Rows are positions :math:`1..t`. The key and value caches are drawn as grids (cells coloured
    by value); the last row, the new token's :math:`\mathbf k_t, \mathbf v_t`, is outlined as
    *appended this step*; the others are reused, not recomputed. The new query's weights
    :math:`\alpha = \operatorname{softmax}(K\mathbf q_t/\sqrt{d_k})` are bars between the caches,
    and the output :math:`\mathbf c_t = \alpha^\top V` is drawn below.

    Parameters
    ----------
    keys : array_like, shape ``(t, d_k)`` — the key cache including the new token's key
    values : array_like, shape ``(t, d_v)``
    query : array_like, shape ``(d_k,)`` — the new token's query
    tokens : ``t`` token labels, optional
    scale : divide the scores by :math:`\sqrt{d_k}` (default True)
    fig, ax : draw into this figure / these axes

    Returns
    -------
    Diagram with data ``weights``, ``output``, ``shapes`` and artists ``bars``, ``new_rows``
    (outlines of the appended key and value rows), ``labels`` (name → Text with the shape).
    """
    from .attention import softmax

    k = as_float_array(keys, "keys")
    v = as_float_array(values, "values")
    q = as_float_array(query, "query")
    if k.ndim != 2 or k.shape[0] == 0:
        raise ValueError(f"keys must be the cache, shape (t, d_k) with t >= 1, got {k.shape}")
    if v.ndim != 2 or v.shape[0] != k.shape[0]:
        raise ValueError(f"values must have shape (t, d_v) = ({k.shape[0]}, d_v), got {v.shape}")
    if q.shape != (k.shape[1],):
        raise ValueError(f"query must have shape (d_k,) = ({k.shape[1]},), got {q.shape}")
    t, d_k = k.shape
    d_v = v.shape[1]
    _check_count(t, MAX_ROWS, "keys", "t", "attnbook.heatmap")
    toks = _labels(tokens, t, "tokens", lambda i: f"pos {i + 1}")
    a = softmax(k @ q / (np.sqrt(d_k) if scale else 1.0))
    out = a @ v
    shapes = {"keys": k.shape, "values": v.shape, "query": q.shape, "weights": (1, t),
              "output": (1, d_v)}

    fig, ax, own = _canvas(fig, ax, (MAX_WIDTH, 1.6 + 0.32 * t))
    vmax = max(np.abs(k).max(), np.abs(v).max(), np.abs(q).max(), np.abs(out).max(), 1e-12)
    norm = mcolors.Normalize(-vmax, vmax)
    cw_k, cw_v, ch = min(0.4, 2.4 / d_k), min(0.4, 2.4 / d_v), 0.8
    x_k, x_bar, x_v = 1.2, 4.3, 6.6
    ys = (t - 1 - np.arange(t)).astype(float)
    for i, y in enumerate(ys):
        ax.text(x_k - 0.1, y, toks[i], ha="right", va="center", fontsize=FONT,
                fontweight="bold" if i == t - 1 else "normal")
        _vector(ax, x_k, y, k[i], cw=cw_k, ch=ch, norm=norm, edge=COLORS["k"], numbers=False)
        _vector(ax, x_v, y, v[i], cw=cw_v, ch=ch, norm=norm, edge=COLORS["v"], numbers=False)
    new_rows = []
    for x0, width, color in ((x_k, d_k * cw_k, COLORS["k"]), (x_v, d_v * cw_v, COLORS["v"])):
        r = Rectangle((x0 - 0.05, -ch / 2 - 0.08), width + 0.1, ch + 0.16, fill=False,
                      edgecolor=COLORS["q"], linewidth=2.0, linestyle="--")
        _add(ax, r)
        new_rows.append(r)
    bars = []
    for i, y in enumerate(ys):
        bar = Rectangle((x_bar, y - 0.3), 1.6 * float(a[i]), 0.6, facecolor=COLORS["alpha"])
        _add(ax, bar)
        bars.append(bar)
        ax.text(x_bar + 1.6 * float(a[i]) + 0.05, y, format(float(a[i]), ".2f"), ha="left",
                va="center", fontsize=SMALL, color=COLORS["alpha"])
    top = t - 1 + 0.6
    labels = {
        "keys": ax.text(x_k, top, f"K cache {_shape(k.shape)}", ha="left", va="bottom",
                        fontsize=FONT, color=COLORS["k"]),
        "weights": ax.text(x_bar, top, f"weights α {_shape((1, t))}", ha="left", va="bottom",
                           fontsize=FONT, color=COLORS["alpha"]),
        "values": ax.text(x_v, top, f"V cache {_shape(v.shape)}", ha="left", va="bottom",
                          fontsize=FONT, color=COLORS["v"]),
    }
    y_low = -1.5
    _vector(ax, x_k, y_low, q, cw=cw_k, ch=ch, norm=norm, edge=COLORS["q"], numbers=False)
    labels["query"] = ax.text(x_k - 0.1, y_low, f"new query {_shape(q.shape)}", ha="right",
                              va="center", fontsize=FONT, color=COLORS["q"])
    _vector(ax, x_v, y_low, out, cw=cw_v, ch=ch, norm=norm, edge=COLORS["c"], numbers=False)
    labels["output"] = ax.text(x_v - 0.1, y_low, f"output {_shape((1, d_v))}", ha="right",
                               va="center", fontsize=FONT, color=COLORS["c"])
    ax.text(x_v + d_v * cw_v + 0.15, 0, "appended\nthis step", ha="left", va="center",
            fontsize=SMALL, color=COLORS["q"])
    if title is None:
        title = f"decoding step t = {t}: 1 new key and value computed, {t - 1} reused"
    _finish(ax, (-1.4, 10.0), (y_low - 0.6, t - 1 + 1.1), title)
    alt = (f"KV cache at decoding step {t}: the key cache {_shape(k.shape)} and value cache "
           f"{_shape(v.shape)} hold one row per token ({', '.join(toks)}); only the last row, "
           f"the new token's key and value, was computed this step and the other {t - 1} were "
           f"reused. The new query's weights over the {t} positions are {_fmt(a)}, giving an "
           f"output of shape {_shape((1, d_v))}.")
    return Diagram("KV cache", fig, ax, alt,
                   artists={"bars": bars, "new_rows": new_rows, "labels": labels},
                   data={"weights": a, "output": out, "shapes": shapes, "tokens": toks},
                   own_figure=own)


def tiling_diagram(
    L_q: int,
    L_k: int,
    block_q: int,
    block_k: int | None = None,
    causal: bool = False,
    *,
    step: int | None = None,
    title: str | None = None,
    fig: Figure | None = None,
    ax: Axes | None = None,
) -> Diagram:
    r"""The ``(L_q, L_k)`` score matrix cut into tiles, as tiled (FlashAttention-style) attention
    visits them: query blocks in the outer loop, key blocks in the inner loop.

    Each tile is labelled with its visit number. With ``causal=True`` (query :math:`i` sees keys
    :math:`j \le i + L_k - L_q`, as :func:`attnbook.causal_mask`) the masked region is shaded,
    tiles on the diagonal are *partial* and tiles entirely above it are *skipped* (hatched, no
    number). With ``step`` the tiles visited before it are dark, the current one outlined in the
    query colour, later ones light — a slider over ``step`` animates the loop.

    Parameters
    ----------
    L_q, L_k : numbers of queries and keys
    block_q, block_k : tile height and width (``block_k`` defaults to ``block_q``)
    causal : skip the tiles above the diagonal
    step : the tile being computed, ``0 <= step < number of visited tiles``, optional

    Returns
    -------
    Diagram with data ``tiles`` (list of dicts: ``rows``, ``cols`` (start, stop), ``status``
    ``"full"``/``"partial"``/``"skipped"``, ``order`` (visit number or None)) and artists
    ``patches`` (one Rectangle per tile, same order), ``current`` (the outline of ``step``).
    """
    L_q = positive_int(L_q, "L_q")
    L_k = positive_int(L_k, "L_k")
    block_q = positive_int(block_q, "block_q")
    block_k = block_q if block_k is None else positive_int(block_k, "block_k")
    if not isinstance(causal, (bool, np.bool_)):
        raise TypeError(f"causal must be True or False, got {causal!r}")
    offset = L_k - L_q
    if causal and offset < 0:
        raise ValueError(f"causal attention needs L_k >= L_q, got L_q={L_q}, L_k={L_k}")
    n_bq, n_bk = -(-L_q // block_q), -(-L_k // block_k)
    if n_bq * n_bk > 400:
        raise ValueError(f"{n_bq} x {n_bk} = {n_bq * n_bk} tiles is too many to draw (max 400): "
                         "use larger block_q / block_k")
    tiles, order = [], 0
    for bi in range(n_bq):
        i0, i1 = bi * block_q, min((bi + 1) * block_q, L_q)
        for bj in range(n_bk):
            j0, j1 = bj * block_k, min((bj + 1) * block_k, L_k)
            if causal and j0 > i1 - 1 + offset:
                status = "skipped"
            elif causal and j1 - 1 > i0 + offset:
                status = "partial"
            else:
                status = "full"
            tiles.append({"rows": (i0, i1), "cols": (j0, j1), "status": status,
                          "order": None if status == "skipped" else order})
            order += status != "skipped"
    n_visit = order
    if step is not None:
        if isinstance(step, bool) or not isinstance(step, (int, np.integer)):
            raise TypeError(f"step must be an int, got {type(step).__name__}")
        if not 0 <= step < n_visit:
            raise ValueError(f"step must be in 0..{n_visit - 1} ({n_visit} tiles are visited), "
                             f"got {step}")

    aspect = L_q / L_k
    w_in = min(MAX_WIDTH, 4.2)
    fig, ax, own = _canvas(fig, ax, (w_in, min(6.0, 1.3 + (w_in - 1.4) * aspect)))
    base = mcolors.to_rgba(COLORS["alpha"])
    patches, current = [], None
    numbers = n_bq * n_bk <= 100
    for tile in tiles:
        (i0, i1), (j0, j1) = tile["rows"], tile["cols"]
        if tile["status"] == "skipped":
            face, hatch = (0.92, 0.92, 0.92, 1.0), "///"
        else:
            done = step is not None and tile["order"] < step
            later = step is not None and tile["order"] > step
            alpha = 0.75 if done else (0.18 if later else 0.45)
            face, hatch = (*base[:3], alpha), None
        r = Rectangle((j0, i0), j1 - j0, i1 - i0, facecolor=face, edgecolor="white",
                      linewidth=1.5, hatch=hatch)
        _add(ax, r)
        patches.append(r)
        if numbers and tile["order"] is not None:
            ax.text((j0 + j1) / 2, (i0 + i1) / 2, str(tile["order"] + 1), ha="center",
                    va="center", fontsize=SMALL, color="black")
        if step is not None and tile["order"] == step:
            current = Rectangle((j0, i0), j1 - j0, i1 - i0, fill=False,
                                edgecolor=COLORS["q"], linewidth=2.5)
    if causal:  # shade the masked cells: keys j > i + offset
        poly = [(0.0 + offset + 1, 0.0)]
        for i in range(L_q):
            poly += [(i + offset + 1, i), (i + offset + 1, i + 1)]
        poly += [(L_k, L_q), (L_k, 0)]
        _add(ax, Polygon(poly, closed=True, facecolor=(0, 0, 0, 0.12), edgecolor="0.3",
                             linewidth=0.8))
    if current is not None:
        _add(ax, current)
    ax.set_xlim(0, L_k)
    ax.set_ylim(L_q, 0)
    ax.set_aspect("equal")
    ax.xaxis.tick_top()
    ax.xaxis.set_label_position("top")
    ax.set_xticks([t["cols"][0] for t in tiles[:n_bk]] + [L_k])
    ax.set_yticks([tiles[i * n_bk]["rows"][0] for i in range(n_bq)] + [L_q])
    ax.tick_params(labelsize=SMALL)
    ax.set_xlabel("keys $j$", fontsize=FONT)
    ax.set_ylabel("queries $i$", fontsize=FONT)
    counts = {s: sum(t["status"] == s for t in tiles) for s in ("full", "partial", "skipped")}
    if title is None:
        title = f"{n_visit} of {len(tiles)} tiles of {block_q}×{block_k} computed"
        if step is not None:
            title += f"; now tile {step + 1}"
    ax.set_title(title, fontsize=9, pad=4 + 2.2 * FONT)
    alt = (f"Tiling of a {L_q} by {L_k} score matrix into {n_bq} by {n_bk} tiles of {block_q} "
           f"queries by {block_k} keys, visited row by row. "
           + (f"Causal: {counts['skipped']} tiles above the diagonal are skipped, "
              f"{counts['partial']} on the diagonal are partly masked and {counts['full']} are "
              f"computed in full." if causal else f"All {len(tiles)} tiles are computed.")
           + (f" Tile {step + 1} of {n_visit} is being computed." if step is not None else ""))
    return Diagram("tiling", fig, ax, alt,
                   artists={"patches": patches, "current": current},
                   data={"tiles": tiles, "counts": counts, "visited": n_visit},
                   own_figure=own)
