"""attnbook._textlayout: figures drawn with each text laid out once have the same pixels."""

import matplotlib
import numpy as np
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

import attnbook as ab
from attnbook import _textlayout as T

needs_verified_matplotlib = pytest.mark.skipif(
    not T.supported(), reason=f"matplotlib {matplotlib.__version__} is not in VERIFIED")


def _grid():
    """Heatmaps: the same tokens along both axes (rotated on x, not on y), labels of two
    sizes, a shared colour bar, a suptitle that wraps."""
    w = ab.softmax(np.random.default_rng(0).normal(size=(2, 3, 9, 9)))
    tokens = "[CLS] the cat sat on the long mat [SEP]".split()
    fig = Figure(figsize=(6.4, 5.0), dpi=200, layout="constrained")
    ab.heatmaps(w, x_labels=tokens, y_labels=tokens, row_labels=["layer 1", "layer 2"],
                suptitle="A grid whose title is long enough to wrap at this width " * 2,
                fig=fig)
    return fig


def _texts():
    """One string drawn with each property the layout depends on changed in turn."""
    fig = Figure(figsize=(6.4, 4.0), dpi=200, layout="constrained")
    ax = fig.subplots()
    ax.set(xlim=(0, 10), ylim=(0, 10), title="same text\ntwo lines")
    variants = [dict(), dict(rotation=90), dict(rotation=30, ha="left"),
                dict(rotation=30, ha="left", rotation_mode="anchor"), dict(ha="left"),
                dict(va="top"), dict(va="baseline"), dict(fontsize=14),
                dict(fontweight="bold"), dict(family="serif"), dict(family="monospace"),
                dict(style="italic"), dict(linespacing=2.5), dict(multialignment="right"),
                dict(parse_math=False), dict(math_fontfamily="cm"),
                dict(rotation=30, ha="left", transform_rotates_text=True)]
    for i, props in enumerate(variants):  # centred: every change of size moves the text
        ax.text(0.5 + (i % 5) * 2, 1 + (i // 5) * 3, "Ag $x_1$\nwide line",
                **dict(dict(ha="center", va="center"), **props))
    ax.text(9, 9, r"price \$5 and $\alpha_{ij}$", ha="right")
    ax.annotate("an arrow", (2, 2), (4, 8), arrowprops=dict(arrowstyle="->"))
    ax.plot([0, 10], [0, 10], label="a line")
    ax.legend(title="legend")
    fig.text(0.5, 0.02, "Ag $x_1$\nwide line", ha="center", fontsize=7)
    return fig


def _pixels(make, cached: bool, dpi: float = 200) -> np.ndarray:
    fig = make()
    fig.set_dpi(dpi)
    canvas = FigureCanvasAgg(fig)
    if cached:
        with T.text_layout_cached():
            canvas.draw()
    else:
        canvas.draw()
    return np.asarray(canvas.buffer_rgba()).copy()


@needs_verified_matplotlib
@pytest.mark.parametrize("make", [_grid, _texts], ids=["heatmap grid", "text variants"])
def test_a_figure_has_the_same_pixels_with_each_text_laid_out_once(make):
    assert np.array_equal(_pixels(make, cached=False), _pixels(make, cached=True))


@needs_verified_matplotlib
def test_two_figures_drawn_in_one_context_each_get_their_own_layouts():
    """Two renderers at two dpis inside one context: neither reuses the other's layouts."""
    plain = [_pixels(_texts, cached=False, dpi=dpi) for dpi in (100, 200)]
    with T.text_layout_cached():  # the inner contexts of _pixels share this one's cache
        cached = [_pixels(_texts, cached=True, dpi=dpi) for dpi in (100, 200)]
    for a, b in zip(plain, cached):
        assert np.array_equal(a, b)


@needs_verified_matplotlib
def test_each_text_is_laid_out_once_inside_the_context_only(monkeypatch):
    T._install()
    calls = []
    original = T._original
    monkeypatch.setattr(T, "_original", lambda text, renderer: calls.append(1)
                        or original(text, renderer))
    _pixels(_grid, cached=False)
    uncached, calls[:] = len(calls), []
    _pixels(_grid, cached=True)
    assert 0 < len(calls) < uncached / 4  # each distinct text once, not ~10 times
    assert T._local.cache is None  # dropped when the context exits
    with T.text_layout_cached():
        outer = T._local.cache
        with T.text_layout_cached():
            assert T._local.cache is outer  # a nested context shares the outer cache
        assert T._local.cache is outer
    assert T._local.cache is None


def test_another_matplotlib_version_is_drawn_as_matplotlib_draws_it(monkeypatch):
    monkeypatch.setattr(T, "VERIFIED", set())
    assert not T.supported()
    with T.text_layout_cached():
        assert getattr(T._local, "cache", None) is None
    monkeypatch.setattr(matplotlib, "__version__", "3.11.0.dev1+g1234")
    monkeypatch.setattr(T, "VERIFIED", {(3, 11)})
    assert T.supported()
    monkeypatch.setattr(matplotlib, "__version__", "unknown")
    assert not T.supported()
