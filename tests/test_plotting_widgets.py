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
    with pytest.raises(ValueError, match="3 titles for 3 columns|2 titles for 3 columns"):
        ab.heatmaps(w[0], titles=["a", "b"])


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
