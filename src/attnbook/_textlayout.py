"""Faster drawing of attnbook's figures: each text laid out once per draw, not ten times.

matplotlib lays a text out again every time it is measured, and a constrained-layout figure
measures each tick label about ten times before its pixels are done: two layout passes, each
measuring the labels for the axes' extent and again to place the axis label, then the draw
itself. Inside :func:`text_layout_cached`, a text's layout — its box and line offsets
relative to its anchor, which do not depend on where the text is — is kept and reused for
every text with the same string, font, dpi, rotation, alignment and spacing. A text that
wraps is laid out every time (where it wraps depends on where it is).

attnbook draws its inline figures (:func:`attnbook.plotting.retina_png`) and its interactive
figures' frames inside this context. The pixels are the same bit for bit: the tests draw
figures both ways and compare them. A 12-panel heatmap grid lays out about a third faster.

The cache is one dict per thread per draw (the background thread that draws frames has its
own), dropped when the context exits. It replaces matplotlib's private
``matplotlib.text.Text._get_layout``, whose inputs this module must know, so it is only used
with the matplotlib versions it was checked against (:data:`VERIFIED`); with any other version
the context does nothing and figures are drawn as matplotlib draws them.
"""

from __future__ import annotations

import threading
from contextlib import contextmanager

import matplotlib as mpl
from matplotlib.text import Text

#: matplotlib (major, minor) versions whose ``Text._get_layout`` reads only what ``_key`` holds.
#: Every release of a minor version counts (3.11.0 ... 3.11.x, and its development builds):
#: matplotlib changes private methods in minor versions, not in bug-fix releases.
VERIFIED = {(3, 11)}

_local = threading.local()
_install_lock = threading.Lock()
_original = None  # matplotlib's Text._get_layout, once replaced


def supported() -> bool:
    """Whether this matplotlib is one :func:`text_layout_cached` was checked against."""
    try:
        version = tuple(int(part) for part in mpl.__version__.split(".")[:2])
    except ValueError:  # not numbers, e.g. "unknown"
        return False
    return version in VERIFIED and callable(getattr(Text, "_get_layout", None))


@contextmanager
def text_layout_cached():
    """A context in which this thread lays each distinct text out once (see the module)."""
    if getattr(_local, "cache", None) is not None or not supported():
        yield  # nested in another such context (its cache serves), or not supported
        return
    _install()
    _local.cache = {}
    try:
        yield
    finally:
        _local.cache = None


def _install() -> None:
    global _original
    with _install_lock:
        if _original is None:
            _original = Text._get_layout
            Text._get_layout = _get_layout


def _get_layout(self: Text, renderer):
    cache = getattr(_local, "cache", None)
    if cache is None or self.get_wrap():
        return _original(self, renderer)
    key = _key(self, renderer)
    layout = cache.get(key)
    if layout is None:
        layout = cache[key] = _original(self, renderer)
    bbox, *rest = layout  # copies of the box and of the lists: a caller may change them
    return (bbox.frozen(), *(list(x) if isinstance(x, list) else x for x in rest))


def _key(text: Text, renderer) -> tuple:
    """Everything ``Text._get_layout`` reads (matplotlib 3.11), as immutable values."""
    font = text.get_fontproperties()
    return (renderer, text.get_text(), text.get_figure(root=True).dpi,
            tuple(font.get_family()), font.get_style(), font.get_variant(), font.get_weight(),
            font.get_stretch(), font.get_size_in_points(), font.get_file(),
            font.get_math_fontfamily(), text.get_usetex(), text.get_parse_math(),
            text.get_linespacing(), text._get_multialignment(), text.get_rotation(),
            text.get_rotation_mode(), text.get_horizontalalignment(),
            text.get_verticalalignment())
