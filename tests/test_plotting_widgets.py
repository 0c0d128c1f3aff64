"""Tests of attnbook.plotting and attnbook.widgets."""

import base64
import io

import matplotlib

matplotlib.use("Agg")

import ipywidgets as W
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.image import imread

import attnbook as ab


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def test_heatmap_labels_colorbar_and_update():
    w = ab.softmax(np.arange(6.0).reshape(2, 3))
    hm = ab.heatmap(w, x_labels=["a", "b", "c"], y_labels=["x", "y"], annotate=True, title="T")
    assert [t.get_text() for t in hm.ax.get_xticklabels()] == ["a", "b", "c"]
    assert [t.get_text() for t in hm.ax.get_yticklabels()] == ["x", "y"]
    assert hm.ax.get_xlabel() == "keys" and hm.ax.get_ylabel() == "queries"
    assert hm.ax.get_title() == "T" and hm.colorbar is not None
    assert hm.texts[0].get_text() == f"{w[0, 0]:.2f}"
    new = w[:, ::-1]
    hm.update(new)
    np.testing.assert_array_equal(hm.image.get_array(), new)
    assert hm.texts[0].get_text() == f"{new[0, 0]:.2f}"
    with pytest.raises(ValueError, match=r"keep the shape \(2, 3\)"):
        hm.update(np.ones((3, 3)))


def test_heatmap_rejects_wrong_labels_and_shapes():
    with pytest.raises(ValueError, match="x_labels has 2 labels for an axis of length 3"):
        ab.heatmap(np.ones((2, 3)), x_labels=["a", "b"])
    with pytest.raises(ValueError, match=r"heatmaps\(\)"):
        ab.heatmap(np.ones((2, 2, 3)))


def test_heatmaps_grid_of_heads():
    w = ab.softmax(np.random.default_rng(0).normal(size=(2, 3, 4, 5)))
    fig, axes = ab.heatmaps(w, x_labels=list("abcde"), y_labels=list("wxyz"),
                            row_labels=["layer 1", "layer 2"], suptitle="S")
    assert axes.shape == (2, 3)
    assert axes[0, 2].get_title() == "head 3"
    assert axes[1, 0].get_ylabel().startswith("layer 2")
    np.testing.assert_array_equal(axes[1, 2].images[0].get_array(), w[1, 2])
    fig2, axes2 = ab.heatmaps(w[0])
    assert axes2.shape == (1, 3)
    with pytest.raises(ValueError, match="2 titles for 3 panels"):
        ab.heatmaps(w[0], titles=["a", "b"])
    with pytest.raises(ValueError, match="2 titles for 3 columns"):
        ab.heatmaps(w, titles=["a", "b"])


def test_heatmaps_wraps_twelve_heads_into_a_readable_grid():
    w = ab.softmax(np.random.default_rng(1).normal(size=(12, 6, 6)))
    toks = "the cat sat on a mat".split()
    grid = ab.heatmaps(w, x_labels=toks, y_labels=toks)
    fig, axes = grid  # still unpacks as before
    assert axes.shape == (3, 4) and len(grid.panels) == 12
    assert fig.get_size_inches()[0] <= 6.8
    assert grid.panels[11].get_title() == "head 12"
    np.testing.assert_array_equal(grid.panels[5].images[0].get_array(), w[5])
    # each column's bottom panel has the key tokens; the smallest text is >= 7 pt
    assert [t.get_text() for t in axes[2, 1].get_xticklabels()] == toks
    fig.canvas.draw()
    sizes = [t.get_fontsize() for t in fig.findobj(matplotlib.text.Text) if t.get_text()]
    assert min(sizes) >= 7
    # 5 heads in rows of 2: the unused sixth cell is hidden, the fifth panel labels its keys
    grid5 = ab.heatmaps(w[:5], ncols=2, x_labels=toks)
    assert grid5.axes.shape == (3, 2) and not grid5.axes[2, 1].get_visible()
    assert len(repr(grid)) < 120 and repr(grid).startswith("HeatmapGrid(12 panels")
    # longer maps: 3 columns, so that 13 tokens are all labelled without overlap
    long_w = ab.softmax(np.random.default_rng(4).normal(size=(12, 13, 13)))
    long_toks = [f"tok{i}" for i in range(13)]
    grid13 = ab.heatmaps(long_w, x_labels=long_toks, y_labels=long_toks)
    assert grid13.axes.shape == (4, 3)
    assert [t.get_text() for t in grid13.axes[0, 0].get_yticklabels()] == long_toks
    assert grid13.fig.get_size_inches()[0] <= 6.8
    # the inner panels have no ticks; a long title wraps to the figure's width
    assert len(axes[0, 1].get_xticks()) == len(axes[0, 1].get_yticks()) == 0
    assert len(axes[2, 1].get_xticks()) == 6 and len(axes[1, 0].get_yticks()) == 6
    long_title = ab.heatmaps(w[:4], ncols=2, suptitle="a long title " * 12).fig
    long_title.canvas.draw()
    box = long_title.get_tightbbox(long_title.canvas.get_renderer())
    assert box.x0 >= 0 and box.x1 <= long_title.get_size_inches()[0]
    with pytest.raises(ValueError, match="ncols"):
        ab.heatmaps(w, ncols=0)
    with pytest.raises(ValueError, match="12 titles|2 titles for 12 panels"):
        ab.heatmaps(w, titles=["a", "b"])


def test_colour_scale_fixed_data_or_auto_with_the_range_stated():
    rng = np.random.default_rng(2)
    peaked = ab.softmax(rng.normal(size=(4, 5)) * 4)
    flat = np.full((4, 5), 0.2) + rng.uniform(-0.01, 0.01, size=(4, 5))
    # auto: weights with contrast on 0..1, nothing added to the label
    hm = ab.heatmap(peaked)
    assert hm.image.norm.vmin == 0.0 and hm.image.norm.vmax == 1.0 and hm.note == ""
    assert hm.colorbar.ax.get_ylabel() == "attention weight"
    # auto: a near-uniform map is stretched and the label says over what range
    hm = ab.heatmap(flat)
    assert hm.image.norm.vmin == flat.min() and hm.image.norm.vmax == flat.max()
    assert "colours stretched" in hm.colorbar.ax.get_ylabel()
    assert f"{flat.min():.3g}" in hm.note and f"{flat.max():.3g}" in hm.note
    # fixed, for frames that are compared
    hm = ab.heatmap(flat, vmin=0, vmax=1)
    assert (hm.image.norm.vmin, hm.image.norm.vmax) == (0.0, 1.0) and hm.note == ""
    # None: the data's range, as before; scores outside 0..1 use their range under auto
    scores = rng.normal(size=(3, 3))
    hm = ab.heatmap(scores, colorbar_label="score")
    assert hm.image.norm.vmin == scores.min() and hm.note == ""
    grid = ab.heatmaps(np.stack([flat, flat * 0.9]))
    assert "colours stretched" in grid.colorbar.ax.get_ylabel()
    with pytest.raises(TypeError, match="vmin"):
        ab.heatmap(flat, vmin="low")


def test_heatmap_of_a_long_text_is_capped_and_thins_its_labels():
    n = 700
    w = ab.softmax(np.random.default_rng(3).normal(size=(n, n)))
    toks = [f"t{i}" for i in range(n)]
    hm = ab.heatmap(w, x_labels=toks, y_labels=toks, annotate=True)
    width, height = hm.ax.figure.get_size_inches()
    assert width <= 6.4 and height <= 6.4
    labels = [t.get_text() for t in hm.ax.get_xticklabels()]
    assert 20 <= len(labels) <= 40 and labels[:2] == ["t0", "t18"]
    assert hm.ax.get_xlabel() == "keys (every 18th labelled)"
    assert hm.texts == []  # no 490,000 cell texts
    assert len(repr(hm)) < 120
    # a small one keeps one label per token and a readable size
    small = ab.heatmap(w[:5, :6], x_labels=toks[:6], y_labels=toks[:5])
    assert len(small.ax.get_xticklabels()) == 6
    assert small.ax.figure.get_size_inches()[0] <= 6.4


def test_short_reprs():
    hm = ab.heatmap(np.eye(3) * 0.5 + 0.1, title="T", annotate=True)
    assert repr(hm) == "Heatmap(3×3, 'T', colours 0–1)"


def test_contribution_bars_legend_is_outside_the_data():
    w = np.array([0.5, 0.3, 0.2])
    v = np.array([[1.0, 2.0, -1.0], [0.5, -0.5, 2.0], [2.0, 1.0, 1.0]])
    ax = ab.contribution_bars(w, v, key_labels=["cat", "sat", "mat"])
    fig = ax.figure
    fig.canvas.draw()
    legend = ax.get_legend().get_window_extent()
    data = ax.get_window_extent()
    assert legend.x0 >= data.x1 - 1  # right of the axes: covers no bar
    assert fig.get_size_inches()[0] <= 6.4
    assert fig.bbox.x1 >= legend.x1 - 1  # and inside the figure
    assert "_" not in ax.get_ylabel().replace("$", "").split("\\")[0]


def test_house_style_and_high_density_inline_figures():
    from IPython.core.interactiveshell import InteractiveShell

    assert matplotlib.rcParams["figure.figsize"][0] <= 6.8
    assert matplotlib.rcParams["figure.dpi"] == 100
    shell = InteractiveShell.instance()
    try:
        assert ab.plotting.use_high_density(shell)
        fig, ax = plt.subplots(figsize=(4, 3))
        ax.plot([0, 1])
        data, meta = shell.display_formatter.format(fig)
        png = data["image/png"]
        img = _decode(png if isinstance(png, bytes) else base64.b64decode(png))
        w_css = meta["image/png"]["width"]
        assert abs(img.shape[1] - 2 * w_css) <= 2  # 2x pixels, displayed at 1x
        formatter = shell.display_formatter.formatters["image/png"]
        assert formatter.lookup_by_type(type(fig)).func is ab.plotting.retina_png
    finally:
        InteractiveShell.clear_instance()
    assert ab.plotting.use_high_density(None) is False  # not in IPython: nothing to do


def _grey(png_b64: str) -> np.ndarray:
    return _decode(base64.b64decode(png_b64))[..., :3].astype(float).mean(axis=-1)  # RGB(A)


@pytest.mark.parametrize("make", ["lines", "grid"])
def test_inline_figures_are_drawn_once_as_ipython_would_draw_them(make):
    from IPython.core.pylabtools import retina_figure

    def figure():
        if make == "grid":
            w = ab.softmax(np.random.default_rng(1).normal(size=(12, 6, 6)))
            toks = "the cat sat on a mat".split()
            return ab.heatmaps(w, x_labels=toks, y_labels=toks, suptitle="grid").fig
        fig, ax = plt.subplots(figsize=(5, 3), layout="constrained")
        ax.semilogy(np.arange(1, 200), 1 / np.arange(1, 200), label="1/x")
        ax.set(title="Lines", xlabel="x", ylabel="y")
        ax.legend()
        return fig

    ipython, meta = retina_figure(figure(), base64=True, bbox_inches="tight")
    ours, our_meta = ab.plotting.retina_png(figure(),
                                            fallback=lambda f: pytest.fail("fell back"))
    a, b = _grey(ipython), _grey(ours)
    assert a.shape == b.shape and our_meta == meta  # 2x pixels, displayed at 1x
    # the same pixels up to a sub-pixel shift (grey levels 0..1): close with no shift, and
    # about as close as with the best one-pixel shift (a crop one pixel off is not)
    inner = (slice(2, -2), slice(2, -2))
    diff = {(dy, dx): np.abs(a[inner] - np.roll(b, (dy, dx), axis=(0, 1))[inner]).mean()
            for dy in (-1, 0, 1) for dx in (-1, 0, 1)}
    assert diff[0, 0] < 3 / 255 and diff[0, 0] <= 1.5 * min(diff.values())
    plt.close("all")


def test_inline_png_is_rgb_when_the_figure_is_opaque():
    from PIL import Image

    fig, ax = plt.subplots(figsize=(3, 2), layout="constrained")
    ax.plot([0, 1])
    for face, mode in (("white", "RGB"), ((0.3, 0.6, 0.9, 0.7), "RGBA")):
        fig.set_facecolor(face)
        png, meta = ab.plotting.retina_png(fig, fallback=lambda f: pytest.fail("fell back"))
        with Image.open(io.BytesIO(base64.b64decode(png))) as im:
            assert im.mode == mode and im.size[0] // 2 == meta["width"]
            assert im.info["dpi"] == pytest.approx((200, 200), abs=0.01)
            # the padding beyond the canvas, as Agg writes the face colour (halves up)
            corner = (255, 255, 255) if mode == "RGB" else (77, 153, 230, 179)
            assert im.getpixel((0, 0)) == corner and im.getpixel((40, 40)) == corner
    plt.close("all")


def test_inline_figure_with_something_outside_its_canvas_goes_to_ipython():
    fig, ax = plt.subplots(figsize=(3, 2), layout="constrained")
    ax.plot([0, 1])
    fig.text(1.05, 0.5, "outside")  # the tight box takes it in: IPython's route
    assert ab.plotting.retina_png(fig, fallback=lambda f: "ipython") == "ipython"
    fig.texts[0].set_x(0.5)  # now inside: drawn once here
    assert ab.plotting.retina_png(fig, fallback=lambda f: "ipython")[1]["width"] > 0
    fig.suptitle("Attention weights of every head in layer two for the sentence the cat sat")
    assert ab.plotting.retina_png(fig, fallback=lambda f: "ipython") == "ipython"  # too wide
    assert ab.plotting.retina_png(plt.figure()) is None  # empty, as in IPython
    with pytest.raises(TypeError, match="fig must be a matplotlib Figure, got Axes"):
        ab.plotting.retina_png(ax)
    plt.close("all")


def test_package_docstring_is_a_quick_start():
    doc = ab.__doc__
    first_screen = doc.splitlines()[:30]
    text = "\n".join(first_screen)
    for call in ("import attnbook as ab", "ab.load_minilm()", "ab.heatmap(",
                 "ab.heatmaps("):
        assert call in text
    assert max(map(len, first_screen)) <= 100


def _decode(png: bytes) -> np.ndarray:
    return imread(io.BytesIO(png), format="png")


def test_interactive_figure_has_one_frame_per_setting_and_links_controls():
    scores = np.array([[1.0, 2.0, 0.5]])
    seen = []

    def draw(fig, temperature, show):
        seen.append((temperature, show))
        ab.heatmap(ab.softmax(scores, temperature=temperature), ax=fig.subplots(),
                   title=f"{temperature} {show}")

    fig = ab.interactive_figure(draw, temperature=[0.1, 1.0, 10.0],
                                show=ab.Dropdown(["a", "b"], value="b"),
                                readout=lambda temperature, show: f"τ={temperature}")
    assert len(fig.frames) == 6 and len(seen) == 6
    assert set(seen) == {(t, s) for t in (0.1, 1.0, 10.0) for s in ("a", "b")}
    assert fig.initial == (0, 1)
    # frames differ between settings and each is the PNG drawn for it
    assert len({fr for fr in fig.frames.values()}) == 6
    assert _decode(fig.frames[(2, 0)]).shape[2] in (3, 4)
    # widget tree: outer stack per temperature, inner per `show`, leaves image + readout
    controls, stack, status = fig.children
    assert status.value == ""  # nothing being drawn
    slider, dropdown = controls.children
    assert isinstance(slider, W.SelectionSlider) and isinstance(dropdown, W.Dropdown)
    assert isinstance(stack, W.Stack) and len(stack.children) == 3
    inner = stack.children[2]
    assert isinstance(inner, W.Stack) and inner.selected_index == 1
    leaf = inner.children[0]
    assert leaf.children[0].value == fig.frames[(2, 0)]
    assert leaf.children[1].value == "τ=10.0"
    from ipywidgets.widgets.widget import _instances
    from ipywidgets.widgets.widget_link import Link

    links = [w for w in _instances.values() if isinstance(w, Link)]
    linked = {(l.source[0].model_id, l.target[0].model_id) for l in links}
    assert (slider.model_id, stack.model_id) in linked
    assert (dropdown.model_id, inner.model_id) in linked


def test_interactive_figure_mimebundle_has_png_fallback_and_stable_text():
    fig = ab.interactive_figure(lambda fig, x: fig.subplots().plot([0, x]), x=[1, 2])
    data = fig._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" in data
    assert data["text/plain"] == "InteractiveFigure(2 frames; x: 2 values)"
    assert base64.b64decode(data["image/png"]) == fig.frames[(0,)]


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({}, ValueError, "at least one control"),
        ({"x": []}, TypeError, "non-empty list"),
        ({"x": "abc"}, TypeError, "non-empty list"),
        ({"x": ab.Slider([1, 2], value=3)}, ValueError, "initial value 3"),
        ({"x": list(range(20)), "y": list(range(20))}, ValueError, "400 frames"),
    ],
)
def test_interactive_figure_rejects_bad_controls(kwargs, error, match):
    with pytest.raises(error, match=match):
        ab.interactive_figure(lambda fig, **p: None, **kwargs)


def test_live_figure_redraws_on_change_and_reports_bad_input():
    calls = []

    def draw(fig, text, n):
        if not text:
            raise ValueError("type something")
        calls.append((text, n))
        fig.subplots().plot(range(n), label=text)

    box = ab.live_figure(draw, text=W.Text(value="abc"), n=W.IntSlider(value=3, min=2, max=5))
    first = box.image.value
    assert calls == [("abc", 3)] and first
    box.controls["n"].value = 5
    assert calls[-1] == ("abc", 5) and box.image.value != first
    box.controls["text"].value = ""
    assert "type something" in box.status.value and calls[-1] == ("abc", 5)
    data = box._repr_mimebundle_()
    assert data["text/plain"] == "LiveFigure(text, n)"
    with pytest.raises(TypeError, match="control 'x'"):
        ab.live_figure(draw, x=3)
