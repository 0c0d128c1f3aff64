"""Heatmaps of attention weights: one matrix, or a whole grid of heads in one call."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.colorbar import Colorbar
from matplotlib.figure import Figure
from matplotlib.image import AxesImage

from ._checks import as_float_array

__all__ = ["Heatmap", "heatmap", "heatmaps", "contribution_bars"]

CMAP = "viridis"


@dataclass
class Heatmap:
    """The artists of one heatmap, so that a caller can redraw it with new weights."""

    ax: Axes
    image: AxesImage
    colorbar: Colorbar | None
    texts: list = field(default_factory=list)
    fmt: str = ".2f"

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
    labels = [str(label) for label in labels]
    if len(labels) != n:
        raise ValueError(f"{name} has {len(labels)} labels for an axis of length {n}")
    return labels


def heatmap(
    weights,
    *,
    x_labels: Sequence | None = None,
    y_labels: Sequence | None = None,
    ax: Axes | None = None,
    title: str | None = None,
    xlabel: str = "keys",
    ylabel: str = "queries",
    vmin: float | None = 0.0,
    vmax: float | None = 1.0,
    cmap: str = CMAP,
    colorbar: bool = True,
    colorbar_label: str = "attention weight",
    annotate: bool = False,
    fmt: str = ".2f",
) -> Heatmap:
    """Draw a matrix of attention weights, queries down the rows and keys along the columns.

    Parameters
    ----------
    weights : array_like, shape ``(L_q, L_k)``
    x_labels, y_labels : the key tokens (columns) and query tokens (rows), optional
    ax : the axes to draw in (default: a new figure)
    title, xlabel, ylabel : text of the title and the axis labels
    vmin, vmax : the colour scale (default 0 to 1, the range of weights; ``None`` = data range)
    annotate : write each weight in its cell, formatted with ``fmt``

    Returns
    -------
    Heatmap, holding the axes, image, colour bar and cell texts; ``.update(new_weights)`` redraws.
    """
    weights = as_float_array(weights, "weights")
    if weights.ndim != 2:
        raise ValueError(f"heatmap draws one (L_q, L_k) matrix, got shape {weights.shape}; "
                         "use heatmaps() for a grid of them")
    n_q, n_k = weights.shape
    x_labels = _check_labels(x_labels, n_k, "x_labels")
    y_labels = _check_labels(y_labels, n_q, "y_labels")
    if ax is None:
        longest = max(map(len, y_labels or [""]))
        _, ax = plt.subplots(figsize=(max(4.0, 2.4 + 0.08 * longest + 0.6 * n_k),
                                      max(2.6, 1.4 + 0.45 * n_q)), layout="constrained")
    image = ax.imshow(weights, cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto",
                      interpolation="nearest")
    if x_labels is not None:
        ax.set_xticks(range(n_k), x_labels, rotation=45 if max(map(len, x_labels)) > 3 else 0,
                      ha="right" if max(map(len, x_labels)) > 3 else "center")
    if y_labels is not None:
        ax.set_yticks(range(n_q), y_labels)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    if title:
        ax.set_title(title)
    cbar = ax.figure.colorbar(image, ax=ax, label=colorbar_label) if colorbar else None
    texts = []
    if annotate:
        for (i, j), value in np.ndenumerate(weights):
            texts.append(ax.text(j, i, format(value, fmt), ha="center", va="center", fontsize=8,
                                 color=_text_color(image, value)))
    return Heatmap(ax=ax, image=image, colorbar=cbar, texts=texts, fmt=fmt)


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
    vmin: float | None = 0.0,
    vmax: float | None = 1.0,
    cmap: str = CMAP,
    colorbar_label: str = "attention weight",
    panel_size: float = 2.2,
    fig: Figure | None = None,
) -> tuple[Figure, np.ndarray]:
    """Draw a grid of attention matrices with one shared colour bar, in one call.

    Parameters
    ----------
    weights : array_like, shape ``(H, L_q, L_k)`` (one row of panels, e.g. the heads of a layer)
        or ``(R, H, L_q, L_k)`` (e.g. layers × heads).
    x_labels, y_labels : key and query tokens, shared by all panels; tick labels are written on
        the bottom row and the left column only
    titles : one title per column (default ``head 1 … head H``)
    row_labels : one label per row, written left of the row (e.g. ``layer 1``)
    fig : a figure to draw in (default: a new one)

    Returns
    -------
    (figure, axes) with ``axes`` of shape ``(R, H)``.
    """
    weights = as_float_array(weights, "weights")
    if weights.ndim == 3:
        weights = weights[None]
    if weights.ndim != 4:
        raise ValueError(f"heatmaps takes (H, L_q, L_k) or (R, H, L_q, L_k), got {weights.shape}")
    n_rows, n_cols, n_q, n_k = weights.shape
    x_labels = _check_labels(x_labels, n_k, "x_labels")
    y_labels = _check_labels(y_labels, n_q, "y_labels")
    titles = [f"head {c + 1}" for c in range(n_cols)] if titles is None else list(titles)
    if len(titles) != n_cols:
        raise ValueError(f"{len(titles)} titles for {n_cols} columns")
    if row_labels is not None and len(row_labels) != n_rows:
        raise ValueError(f"{len(row_labels)} row_labels for {n_rows} rows")
    if fig is None:
        fig = plt.figure(figsize=(0.8 + panel_size * n_cols, 0.6 + panel_size * n_rows),
                         layout="constrained")
    axes = np.asarray(fig.subplots(n_rows, n_cols, squeeze=False, sharex=True, sharey=True))
    image = None
    for r in range(n_rows):
        for c in range(n_cols):
            ax = axes[r, c]
            image = ax.imshow(weights[r, c], cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto",
                              interpolation="nearest")
            if r == 0:
                ax.set_title(titles[c])
            if r == n_rows - 1:
                ax.set_xlabel(xlabel)
                if x_labels is not None:
                    ax.set_xticks(range(n_k), x_labels, rotation=90)
            if c == 0:
                ylab = ylabel if row_labels is None else f"{row_labels[r]}\n{ylabel}"
                ax.set_ylabel(ylab)
                if y_labels is not None:
                    ax.set_yticks(range(n_q), y_labels)
    fig.colorbar(image, ax=axes, label=colorbar_label, shrink=0.8)
    if suptitle:
        fig.suptitle(suptitle)
    return fig, axes


def contribution_bars(
    weights,
    values,
    *,
    ax: Axes | None = None,
    key_labels: Sequence | None = None,
    feature_labels: Sequence | None = None,
    title: str | None = "context vector: contributions of the values",
    xlabel: str = "value feature",
    ylabel: str = "contribution α_j v_j",
    legend: bool = True,
    cmap: str = "tab10",
) -> Axes:
    r"""Stacked bars of how each value contributes to one context vector
    :math:`\mathbf c = \sum_j \alpha_j \mathbf v_j`.

    One bar per value feature; the segment of key ``j`` has height :math:`\alpha_j v_{j,f}`
    (positive segments stack upwards from 0, negative ones downwards), and a black tick marks
    the total :math:`c_f`.

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
        _, ax = plt.subplots(figsize=(1.5 + 0.6 * d_v, 3.2), layout="constrained")
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
    if legend:
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    return ax
