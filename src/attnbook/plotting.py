"""Heatmaps of attention weights (one matrix, or a grid of heads in one call), and the book's
figure house style.

House style (applied when attnbook is imported):

* **Width.** Default figures are 6.4 in wide at 100 dpi (640 CSS px at 1:1: they fit the book's
  688-px column without being shrunk) and the helpers here never make a figure wider than
  ``MAX_WIDTH`` = 6.4 in. Smallest text is 7 pt (≈ 9.7 CSS px at 1:1).
* **High density.** In IPython/Jupyter, inline figures are rendered as ``retina`` PNGs: twice the
  pixels, with ``width``/``height`` metadata so that JupyterLab, Colab and the website (myst-nb
  copies the metadata to ``<img width height>``) show them at 1× — sharp on high-density
  screens. :func:`use_high_density` does it; call it again after ``%matplotlib inline``.
* **Colour scales** (``vmin``/``vmax`` of :func:`heatmap` and :func:`heatmaps`): numbers fix the
  scale (use ``vmin=0, vmax=1`` for frames that are compared, e.g. slider frames); ``None``
  uses the data's range; the default ``"auto"`` shows weights on 0…1 unless the map is nearly
  uniform (its values span less than ``NEAR_UNIFORM`` = 0.2), in which case the colours are
  stretched to the data and the colour bar's label says so, with the range ("colours stretched:
  0.16–0.18"). Data outside 0…1 (scores, encodings) use their own range.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from functools import partial
from typing import Callable, Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import PIL.Image
from matplotlib.axes import Axes
from matplotlib.colorbar import Colorbar
from matplotlib.figure import Figure
from matplotlib.image import AxesImage

from ._checks import as_float_array
from ._textlayout import text_layout_cached

__all__ = ["Heatmap", "HeatmapGrid", "heatmap", "heatmaps", "contribution_bars",
           "use_high_density", "retina_png", "MAX_WIDTH"]

CMAP = "viridis"
MAX_WIDTH = 6.4       # inches: the widest figure the helpers make (688-px column at 100 dpi)
MAX_HEIGHT = 6.4      # inches: heatmap() without ax never grows taller
MAX_TICKS = 40        # at most this many tick labels per axis; more are thinned
NEAR_UNIFORM = 0.2    # "auto" colour scale: weights spanning less than this are stretched
SMALL = 7.0           # smallest text, pt
STYLE = {"figure.figsize": (6.4, 4.0), "figure.dpi": 100}  # 640 x 400 CSS px at 1:1


def use_high_density(shell=None) -> bool:
    """Render inline figures at 2× pixels displayed at 1× (IPython's ``retina`` format).

    Does nothing outside IPython. Returns True if the format was set. Called when attnbook is
    imported; ``%matplotlib inline`` resets the formats, so call it again after that magic.
    """
    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:  # pragma: no cover - IPython is a dependency of ipywidgets
            return False
        shell = get_ipython()
    if shell is None or not hasattr(shell, "display_formatter"):
        return False
    from IPython.core.pylabtools import select_figure_formats

    kwargs = {"bbox_inches": "tight"}
    try:
        from matplotlib_inline.config import InlineBackend

        cfg = InlineBackend.instance(parent=shell)
        kwargs = dict(cfg.print_figure_kwargs)
        if cfg.figure_formats != {"retina"}:
            cfg.figure_formats = {"retina"}  # so that a later configure keeps it
    except Exception:  # pragma: no cover - matplotlib-inline missing or not configurable
        pass
    select_figure_formats(shell, {"retina"}, **kwargs)
    if kwargs == {"bbox_inches": "tight"}:  # IPython's default: draw each figure once
        formatter = shell.display_formatter.formatters["image/png"]
        ipython_png = formatter.lookup_by_type(Figure)
        formatter.for_type(Figure, partial(retina_png, fallback=ipython_png))
    return True


def retina_png(fig: Figure, fallback: Callable | None = None):
    """``fig`` as IPython's ``retina`` inline PNG, drawn once: ``(base64 PNG, {"width",
    "height"})``, with twice the pixels of the displayed size; None for an empty figure.

    IPython saves the figure with ``bbox_inches="tight"``, which draws it twice: once to lay it
    out and measure it, once more, shifted, into the tight box (plus ``savefig.pad_inches``).
    Here it is drawn once on an Agg canvas and the same box is cut from its pixels (rounded to
    whole pixels: the image is the same size, its content up to half a pixel from where IPython
    puts it), with the figure's face colour for any padding beyond the canvas. The drawing and
    the measuring lay each text out once (:mod:`attnbook._textlayout`; the pixels are the
    same). A figure with something drawn outside its canvas (the tight box reaches beyond it)
    goes to ``fallback`` (IPython's own formatter), which moves the canvas to take it in.

    The PNG is RGB when the figure is opaque, at zlib level 3: half the time of matplotlib's
    RGBA PNG at the default level 6, and no larger.
    """
    from base64 import b64encode

    from matplotlib.backends.backend_agg import FigureCanvasAgg

    if not isinstance(fig, Figure):
        raise TypeError(f"fig must be a matplotlib Figure, got {type(fig).__name__}")
    if not fig.axes and not fig.lines:
        return None
    dpi, old_dpi, old_canvas = 2 * fig.dpi, fig.dpi, fig.canvas
    canvas = FigureCanvasAgg(fig)
    try:
        fig.dpi = dpi
        with text_layout_cached():
            canvas.draw()
            box = fig.get_tightbbox(canvas.get_renderer())
        rgba = np.asarray(canvas.buffer_rgba())
    finally:
        fig.dpi = old_dpi
        fig.set_canvas(old_canvas)
    width, height = fig.get_size_inches()
    if box.x0 < 0 or box.y0 < 0 or box.x1 > width or box.y1 > height:
        if fallback is None:
            from IPython.core.pylabtools import retina_figure

            return retina_figure(fig, base64=True, bbox_inches="tight")
        return fallback(fig)
    box = box.padded(mpl.rcParams["savefig.pad_inches"])
    w, h = int(box.width * dpi), int(box.height * dpi)  # as Agg sizes the tight canvas
    # as Agg draws the tight canvas: the box's lower-left corner at the image's lower-left
    # corner, the fraction of a pixel that int() drops lost at the top
    top, left = round(rgba.shape[0] - box.y0 * dpi - h), round(box.x0 * dpi)
    out = np.empty((h, w, 4), np.uint8)
    # the face colour as Agg writes it (halves rounded up)
    out[...] = np.floor(np.asarray(mpl.colors.to_rgba(fig.get_facecolor())) * 255 + 0.5)
    r0, c0 = max(top, 0), max(left, 0)
    r1, c1 = min(top + h, rgba.shape[0]), min(left + w, rgba.shape[1])
    out[r0 - top:r1 - top, c0 - left:c1 - left] = rgba[r0:r1, c0:c1]
    if (out[..., 3] == 255).all():  # opaque (the usual case): RGB, a tenth smaller
        out = np.ascontiguousarray(out[..., :3])
    buf = io.BytesIO()
    PIL.Image.fromarray(out).save(buf, format="png", compress_level=3, dpi=(dpi, dpi))
    return b64encode(buf.getvalue()).decode("ascii"), {"width": w // 2, "height": h // 2}


def _apply_style() -> None:
    mpl.rcParams.update(STYLE)
    use_high_density()


# ---------------------------------------------------------------------------------------------
# Colour scales


def _colour_scale(data: np.ndarray, vmin, vmax) -> tuple[float | None, float | None, str]:
    """(vmin, vmax, note): ``note`` is added to the colour bar's label ('' when none)."""
    for name, v in (("vmin", vmin), ("vmax", vmax)):
        if not (v is None or isinstance(v, str) and v == "auto"
                or isinstance(v, (int, float, np.number)) and not isinstance(v, bool)):
            raise TypeError(f"{name} must be a number, None or 'auto', got {v!r}")
    auto_lo, auto_hi = isinstance(vmin, str), isinstance(vmax, str)
    if not (auto_lo or auto_hi):
        return vmin, vmax, ""
    lo, hi = (float(data.min()), float(data.max())) if data.size else (0.0, 1.0)
    if lo >= 0.0 and hi <= 1.0:  # weights
        if hi - lo >= NEAR_UNIFORM:
            return (0.0 if auto_lo else vmin), (1.0 if auto_hi else vmax), ""
        return ((lo if auto_lo else vmin), (hi if auto_hi else vmax),
                f"colours stretched: {lo:.3g}–{hi:.3g}")
    return (None if auto_lo else vmin), (None if auto_hi else vmax), ""


def _label(base: str, note: str) -> str:
    return f"{base}\n({note})" if note else base


# ---------------------------------------------------------------------------------------------
# Heatmap


@dataclass(repr=False)
class Heatmap:
    """The artists of one heatmap, so that a caller can redraw it with new weights."""

    ax: Axes
    image: AxesImage
    colorbar: Colorbar | None
    texts: list = field(default_factory=list)
    fmt: str = ".2f"
    note: str = ""

    def __repr__(self) -> str:
        n_q, n_k = self.image.get_array().shape
        lo, hi = self.image.norm.vmin, self.image.norm.vmax
        title = self.ax.get_title()
        return (f"Heatmap({n_q}×{n_k}" + (f", {title!r}" if title else "")
                + f", colours {lo:.3g}–{hi:.3g})")

    def update(self, weights) -> None:
        """Show new weights of the same shape (colour scale and labels are kept)."""
        weights = as_float_array(weights, "weights", min_ndim=2)
        old = self.image.get_array().shape
        if weights.shape != old:
            raise ValueError(f"weights must keep the shape {old}, got {weights.shape}")
        self.image.set_data(weights)
        for text, value in zip(self.texts, weights.ravel()):
            text.set_text(format(value, self.fmt))
            text.set_color(_text_color(self.image, value))


def _text_color(image: AxesImage, value: float) -> str:
    r, g, b, _ = image.cmap(image.norm(value))
    return "black" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "white"


def _check_labels(labels, n: int, name: str):
    if labels is None:
        return None
    if isinstance(labels, (str, bytes)):
        raise TypeError(f"{name} must be a sequence of {n} labels, not one string")
    labels = [str(label) for label in labels]
    if len(labels) != n:
        raise ValueError(f"{name} has {len(labels)} labels for an axis of length {n}")
    return labels


def _ticks(n: int, max_ticks: int = MAX_TICKS) -> np.ndarray:
    """Positions of at most ``max_ticks`` tick labels out of ``n`` (every k-th)."""
    step = max(1, int(np.ceil(n / max(1, max_ticks))))
    return np.arange(0, n, step)


def _axis_points(ax: Axes, axis: str) -> float:
    """Length of the axes along ``axis`` in points (before layout: an estimate)."""
    box = ax.get_window_extent()
    return (box.width if axis == "x" else box.height) * 72.0 / ax.figure.dpi


def _set_ticks(ax: Axes, axis: str, labels, n: int, rotate: bool,
               length: float | None = None) -> int:
    """Label the ticks so that they do not overlap: 8-pt labels where there is room, else 7 pt,
    and beyond that every k-th label (at most MAX_TICKS). ``length``: the axis length in points
    if known (else measured from the axes). Returns k."""
    length = _axis_points(ax, axis) if length is None else length
    size = 8.0 if length / n >= 8.8 else SMALL
    pos = _ticks(n, min(MAX_TICKS, int(length / (1.1 * size))))
    shown = [labels[i] for i in pos]
    if axis == "x":
        long = max(map(len, shown)) > 3
        ax.set_xticks(pos, shown, rotation=(90 if rotate else 45) if long else 0,
                      ha="center" if rotate or not long else "right",
                      rotation_mode="anchor" if long and not rotate else "default",
                      fontsize=size)
    else:
        ax.set_yticks(pos, shown, fontsize=size)
    return int(pos[1] - pos[0]) if len(pos) > 1 else 1


def heatmap(
    weights,
    *,
    x_labels: Sequence | None = None,
    y_labels: Sequence | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    xlabel: str = "keys",
    ylabel: str = "queries",
    vmin: float | str | None = "auto",
    vmax: float | str | None = "auto",
    cmap: str = CMAP,
    colorbar: bool = True,
    colorbar_label: str = "attention weight",
    annotate: bool = False,
    fmt: str = ".2f",
) -> Heatmap:
    """Draw a matrix of attention weights, queries down the rows and keys along the columns.

    Without ``ax`` the figure is sized to the matrix but never larger than
    ``MAX_WIDTH`` × ``MAX_HEIGHT`` (6.4 × 6.4 in), so a long text (L = 700) draws in about a
    second; beyond ``MAX_TICKS`` (40) rows or columns, only every k-th token is labelled and the
    axis label says so ("keys (every 18th labelled)"). ``annotate`` is ignored (with a note in
    the title) beyond 400 cells.

    Parameters
    ----------
    weights : array_like, shape ``(L_q, L_k)``
    x_labels, y_labels : the key tokens (columns) and query tokens (rows), optional
    ax : the axes to draw in (default: a new figure)
    title, xlabel, ylabel : text of the title and the axis labels
    vmin, vmax : the colour scale: numbers = fixed (compare frames with ``vmin=0, vmax=1``);
        ``None`` = this matrix's range; ``"auto"`` (default) = 0 to 1 for weights unless the
        map is nearly uniform, then stretched with the range written in the colour bar's label
        (see the module docstring)
    annotate : write each weight in its cell, formatted with ``fmt``

    Returns
    -------
    Heatmap, holding the axes, image, colour bar and cell texts; ``.update(new_weights)`` redraws.
    Its repr is one short line.
    """
    weights = as_float_array(weights, "weights")
    if weights.ndim != 2:
        raise ValueError(f"heatmap draws one (L_q, L_k) matrix, got shape {weights.shape}; "
                         "use heatmaps() for a grid of them")
    n_q, n_k = weights.shape
    if n_q == 0 or n_k == 0:
        raise ValueError(f"weights is empty (shape {weights.shape})")
    x_labels = _check_labels(x_labels, n_k, "x_labels")
    y_labels = _check_labels(y_labels, n_q, "y_labels")
    lo, hi, note = _colour_scale(weights, vmin, vmax)
    room = {"x": None, "y": None}
    if ax is None:
        longest = max(map(len, y_labels or [""]))
        width = min(MAX_WIDTH, max(3.6, 2.0 + 0.07 * longest + 0.42 * n_k))
        height = min(MAX_HEIGHT, max(2.4, 1.3 + 0.3 * n_q))
        _, ax = plt.subplots(figsize=(width, height), layout="constrained")
        longest_x = max(map(len, x_labels or [""]))
        room = {"x": 72 * (width - 1.9 - 0.07 * longest),
                "y": 72 * (height - 0.8 - (0.07 * longest_x if n_k > 12 else 0.3))}
    elif not isinstance(ax, Axes):
        raise TypeError(f"ax must be a matplotlib Axes, got {type(ax).__name__}")
    image = ax.imshow(weights, cmap=cmap, vmin=lo, vmax=hi, aspect="auto",
                      interpolation="nearest")
    if x_labels is not None:
        step = _set_ticks(ax, "x", x_labels, n_k, rotate=n_k > 12, length=room["x"])
        if step > 1:
            xlabel = f"{xlabel} (every {_ordinal(step)} labelled)"
    if y_labels is not None:
        step = _set_ticks(ax, "y", y_labels, n_q, rotate=False, length=room["y"])
        if step > 1:
            ylabel = f"{ylabel} (every {_ordinal(step)} labelled)"
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    texts = []
    if annotate and n_q * n_k > 400:
        title = (title + " " if title else "") + "(too many cells to write the weights)"
        annotate = False
    if title:
        ax.set_title(title)
    cbar = ax.figure.colorbar(image, ax=ax, label=_label(colorbar_label, note)) \
        if colorbar else None
    if note and not colorbar:
        ax.set_title(_label(title or "", note).strip())
    if annotate:
        size = SMALL if max(n_q, n_k) > 8 else 8
        for (i, j), value in np.ndenumerate(weights):
            texts.append(ax.text(j, i, format(value, fmt), ha="center", va="center",
                                 fontsize=size, color=_text_color(image, value)))
    return Heatmap(ax=ax, image=image, colorbar=cbar, texts=texts, fmt=fmt, note=note)


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


# ---------------------------------------------------------------------------------------------
# Grid of heatmaps


class HeatmapGrid:
    """What :func:`heatmaps` returns: ``fig``, ``axes`` (the full ``(rows, cols)`` grid; unused
    cells are hidden), ``panels`` (the axes of the drawn matrices, in input order), ``images``,
    ``colorbar``. Unpacks as ``fig, axes = ab.heatmaps(...)``; its repr is one short line."""

    def __init__(self, fig, axes, panels, images, colorbar, note):
        self.fig, self.axes, self.panels = fig, axes, panels
        self.images, self.colorbar, self.note = images, colorbar, note

    def __iter__(self):
        return iter((self.fig, self.axes))

    def __getitem__(self, i):
        return (self.fig, self.axes)[i]

    def __len__(self) -> int:
        return 2

    def __repr__(self) -> str:
        n_q, n_k = self.images[0].get_array().shape
        lo, hi = self.images[0].norm.vmin, self.images[0].norm.vmax
        return (f"HeatmapGrid({len(self.panels)} panels of {n_q}×{n_k} in a "
                f"{self.axes.shape[0]}×{self.axes.shape[1]} grid, colours {lo:.3g}–{hi:.3g})")


def heatmaps(
    weights,
    *,
    x_labels: Sequence | None = None,
    y_labels: Sequence | None = None,
    titles: Sequence[str] | None = None,
    row_labels: Sequence[str] | None = None,
    suptitle: str | None = None,
    xlabel: str = "keys",
    ylabel: str = "queries",
    vmin: float | str | None = "auto",
    vmax: float | str | None = "auto",
    cmap: str = CMAP,
    colorbar_label: str = "attention weight",
    ncols: int | None = None,
    panel_size: float | None = None,
    fig: Figure | None = None,
) -> HeatmapGrid:
    """Draw a grid of attention matrices with one shared colour bar, in one call.

    Parameters
    ----------
    weights : array_like, shape ``(H, L_q, L_k)`` (e.g. the heads of a layer: wrapped into rows
        of ``ncols`` panels) or ``(R, H, L_q, L_k)`` (e.g. layers × heads: one row per ``R``).
    x_labels, y_labels : key and query tokens, shared by all panels; ticks and their labels
        are on the bottom panel of each column and the left column only (thinned beyond 40)
    titles : one title per panel of a row (default ``head 1 … head H``)
    row_labels : one label per row of a 4-d input, written left of the row (e.g. ``layer 1``)
    vmin, vmax : the shared colour scale, as for :func:`heatmap` (default ``"auto"``)
    ncols : panels per row for a 3-d input (default ``min(H, 4)`` for maps of up to 10 tokens:
        12 heads make a 3 × 4 grid; ``min(H, 3)`` for longer ones, so their labels fit)
    panel_size : inches per panel (default: what fits ``MAX_WIDTH``, at most 2.2)
    fig : a figure (or subfigure) to draw in (default: a new one)

    Returns
    -------
    HeatmapGrid (unpacks as ``fig, axes``; ``axes`` has shape ``(rows, cols)``).
    """
    weights = as_float_array(weights, "weights")
    if weights.ndim not in (3, 4):
        raise ValueError(f"heatmaps takes (H, L_q, L_k) or (R, H, L_q, L_k), got {weights.shape}")
    if weights.size == 0:
        raise ValueError(f"weights is empty (shape {weights.shape})")
    wrap = weights.ndim == 3
    if wrap:
        n_panels = weights.shape[0]
        if ncols is None:  # 4 columns of small maps, 3 of larger ones (their labels fit)
            ncols = min(n_panels, 4 if max(weights.shape[-2:]) <= 10 else 3)
        elif isinstance(ncols, bool) or not isinstance(ncols, (int, np.integer)) or ncols < 1:
            raise ValueError(f"ncols must be an int >= 1, got {ncols!r}")
        n_cols = min(int(ncols), n_panels)
        n_rows = -(-n_panels // n_cols)
        flat = weights
    else:
        if ncols is not None:
            raise ValueError("ncols wraps a 3-d (H, L_q, L_k) input; a 4-d input is drawn as "
                             "its own (R, H) grid")
        n_rows, n_cols = weights.shape[:2]
        n_panels = n_rows * n_cols
        flat = weights.reshape(-1, *weights.shape[2:])
    n_q, n_k = weights.shape[-2:]
    x_labels = _check_labels(x_labels, n_k, "x_labels")
    y_labels = _check_labels(y_labels, n_q, "y_labels")
    per_row = weights.shape[0] if wrap else n_cols
    titles = [f"head {c + 1}" for c in range(per_row)] if titles is None else list(titles)
    if len(titles) != per_row:
        raise ValueError(f"{len(titles)} titles for {per_row} "
                         f"{'panels' if wrap else 'columns'}")
    if row_labels is not None:
        if wrap:
            raise ValueError("row_labels label the rows of a 4-d (R, H, L_q, L_k) input")
        if len(row_labels) != n_rows:
            raise ValueError(f"{len(row_labels)} row_labels for {n_rows} rows")
    lo, hi, note = _colour_scale(weights, vmin, vmax)
    if panel_size is None:
        longest = max(map(len, y_labels or [""]))
        panel_size = min(2.2, (MAX_WIDTH - 1.0 - 0.06 * longest) / n_cols)
    room = None  # panel side in points, when we size the figure
    if fig is None:
        fig = plt.figure(figsize=(min(MAX_WIDTH, 1.0 + panel_size * n_cols),
                                  0.7 + (panel_size + 0.15) * n_rows), layout="constrained")
        room = 72 * 0.92 * panel_size
    # not shared axes: the inner panels get no ticks at all (shared ones would draw every
    # tick mark, unlabelled, on every panel: most of a 12-panel grid's drawing time)
    axes = np.asarray(fig.subplots(n_rows, n_cols, squeeze=False))
    images, panels = [], []
    for p in range(n_panels):
        r, c = divmod(p, n_cols)
        ax = axes[r, c]
        image = ax.imshow(flat[p], cmap=cmap, vmin=lo, vmax=hi, aspect="auto",
                          interpolation="nearest")
        images.append(image)
        panels.append(ax)
        if wrap or r == 0:
            ax.set_title(titles[p if wrap else c], fontsize=9)
        bottom = r == n_rows - 1 or (wrap and p + n_cols >= n_panels)
        if not bottom:
            ax.set_xticks([])
        else:
            step = 1 if x_labels is None else _set_ticks(ax, "x", x_labels, n_k, rotate=True,
                                                               length=room)
            ax.set_xlabel(xlabel if step == 1 else f"{xlabel} (every {_ordinal(step)})")
        if c != 0:
            ax.set_yticks([])
        else:
            step = 1 if y_labels is None else _set_ticks(ax, "y", y_labels, n_q, rotate=False,
                                                               length=room)
            ylab = ylabel if step == 1 else f"{ylabel} (every {_ordinal(step)})"
            ax.set_ylabel(ylab if row_labels is None else f"{row_labels[r]}\n{ylab}")
    for p in range(n_panels, n_rows * n_cols):
        axes.flat[p].set_visible(False)
    cbar = fig.colorbar(images[-1], ax=axes, label=_label(colorbar_label, note), shrink=0.8)
    if suptitle:  # wrapped where wider than the figure (not a canvas widened to fit it)
        fig.suptitle(suptitle, wrap=True)
    return HeatmapGrid(fig, axes, panels, images, cbar, note)


# ---------------------------------------------------------------------------------------------
# Contributions


def contribution_bars(
    weights,
    values,
    *,
    ax: Axes | None = None,
    key_labels: Sequence | None = None,
    feature_labels: Sequence | None = None,
    title: str | None = "context vector: contributions of the values",
    xlabel: str = "value feature",
    ylabel: str = r"contribution $\alpha_j v_{j,f}$",
    legend: bool = True,
    cmap: str = "tab10",
) -> Axes:
    r"""Stacked bars of how each value contributes to one context vector
    :math:`\mathbf c = \sum_j \alpha_j \mathbf v_j`.

    One bar per value feature; the segment of key ``j`` has height :math:`\alpha_j v_{j,f}`
    (positive segments stack upwards from 0, negative ones downwards), and a black tick marks
    the total :math:`c_f`. The legend sits outside the axes, right of the bars, so it never
    covers them.

    Parameters
    ----------
    weights : array_like, shape ``(L_k,)``, the weights of one query
    values : array_like, shape ``(L_k, d_v)``
    ax : the axes to draw in (default: a new figure)
    key_labels : ``L_k`` names of the keys (legend), optional
    feature_labels : ``d_v`` names of the value features (x axis), optional

    Returns
    -------
    the Axes.
    """
    weights = as_float_array(weights, "weights")
    values = as_float_array(values, "values")
    if weights.ndim != 1 or values.ndim != 2 or values.shape[0] != weights.shape[0]:
        raise ValueError(f"contribution_bars takes weights (L_k,) and values (L_k, d_v), "
                         f"got {weights.shape} and {values.shape}")
    n_k, d_v = values.shape
    key_labels = _check_labels(key_labels, n_k, "key_labels")
    feature_labels = _check_labels(feature_labels, d_v, "feature_labels")
    if ax is None:
        longest = max(map(len, key_labels or ["key 10"]))
        _, ax = plt.subplots(figsize=(min(MAX_WIDTH, 2.4 + 0.5 * d_v + 0.07 * longest), 3.2),
                             layout="constrained")
    parts = weights[:, None] * values  # (L_k, d_v)
    colors = plt.get_cmap(cmap)
    x = np.arange(d_v)
    up, down = np.zeros(d_v), np.zeros(d_v)
    for j in range(n_k):
        pos, neg = np.clip(parts[j], 0, None), np.clip(parts[j], None, 0)
        label = key_labels[j] if key_labels is not None else f"key {j + 1}"
        ax.bar(x, pos, bottom=up, color=colors(j % colors.N), label=label, width=0.7)
        ax.bar(x, neg, bottom=down, color=colors(j % colors.N), width=0.7)
        up, down = up + pos, down + neg
    ax.scatter(x, parts.sum(axis=0), marker="_", s=400, color="black", zorder=3,
               label="total c")
    ax.axhline(0, color="0.3", lw=0.8)
    lo, hi = min(down.min(), 0.0), max(up.max(), 0.0)
    pad = 0.08 * ((hi - lo) or 1.0)
    ax.set_ylim(lo - pad if lo < 0 else 0.0, hi + pad)
    ax.set_xticks(x, feature_labels if feature_labels is not None else [str(i) for i in x])
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    if legend:  # outside the axes: never over the bars
        ax.legend(fontsize=SMALL, loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False,
                  borderaxespad=0.0)
    return ax


_apply_style()
