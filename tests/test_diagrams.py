"""Tests of attnbook.diagrams: the artists follow the numbers (not pixels), bad input is named."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure

import attnbook as ab
from attnbook import diagrams as D


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


RNG = np.random.default_rng(0)
Q = np.array([1.0, 0.5, -0.3])
K = RNG.normal(size=(4, 3))
V = RNG.normal(size=(4, 2))


def _text_sizes(fig):
    return [t.get_fontsize() for t in fig.findobj(matplotlib.text.Text) if t.get_text()]


def test_exported_as_ab_diagrams():
    assert ab.diagrams is D
    for name in D.__all__:
        assert getattr(D, name).__doc__


def test_lookup_flow_arrow_widths_follow_the_weights():
    d = D.lookup_flow(Q, K, V, key_labels=list("abcd"))
    a = ab.softmax(K @ Q)
    np.testing.assert_allclose(d.weights, a)
    np.testing.assert_allclose(d.context, a @ V)
    widths = np.array([arrow.get_linewidth() for arrow in d.arrows])
    np.testing.assert_allclose(widths / widths.sum(), a, rtol=1e-12)
    bars = np.array([bar.get_width() for bar in d.bars])
    np.testing.assert_allclose(bars / bars.sum(), a, rtol=1e-12)
    assert "largest weight" in d.alt and f"{a.max():.2f}" in d.alt
    assert d.labels == list("abcd")


def test_lookup_flow_temperature_thickens_the_winner_and_draws_into_fig():
    widths = []
    for tau in (4.0, 1.0, 0.25):
        fig = Figure(figsize=(6, 3))
        d = D.lookup_flow(Q, K, V, temperature=tau, fig=fig)
        assert d.fig is fig and not d.own_figure
        widths.append(max(arrow.get_linewidth() for arrow in d.arrows))
    assert widths[0] < widths[1] < widths[2]
    # it works as the draw function of an interactive figure
    out = ab.interactive_figure(lambda fig, t: D.lookup_flow(Q, K, V, temperature=t, fig=fig),
                                t=[0.5, 2.0])
    assert len(out.frames) == 2 and len(set(out.frames.values())) == 2


def test_lookup_flow_given_weights_and_scaled_scores():
    w = np.array([0.1, 0.2, 0.3, 0.4])
    d = D.lookup_flow(Q, K, V, w)
    np.testing.assert_allclose([a.get_linewidth() for a in d.arrows], 8 * w)
    d2 = D.lookup_flow(Q, K, V, scale=True)
    np.testing.assert_allclose(d2.scores, K @ Q / np.sqrt(3))


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(query=np.ones((1, 3))), ValueError, "query"),
    (dict(keys=np.ones((4, 2))), ValueError, "keys"),
    (dict(values=np.ones((3, 2))), ValueError, "values"),
    (dict(weights=[0.5, 0.5]), ValueError, "weights"),
    (dict(weights=[-0.1, 0.5, 0.3, 0.3]), ValueError, "weights"),
    (dict(temperature=0.0), ValueError, "temperature"),
    (dict(temperature="hot"), TypeError, "temperature"),
    (dict(weights=[0.25] * 4, temperature=2.0), ValueError, "temperature"),
    (dict(key_labels=["a"]), ValueError, "key_labels"),
    (dict(query=["a", "b", "c"]), TypeError, "query"),
    (dict(ax="not axes"), TypeError, "ax"),
])
def test_lookup_flow_rejects_bad_input(kwargs, error, match):
    args = dict(query=Q, keys=K, values=V)
    args.update(kwargs)
    with pytest.raises(error, match=match):
        D.lookup_flow(**args)


def test_encoder_decoder_lines_follow_the_weights_of_the_step():
    w = ab.softmax(RNG.normal(size=(3, 5)))
    d = D.encoder_decoder(list("abcde"), w, target_tokens=["x", "y", "z"], step=2)
    np.testing.assert_allclose(d.weights, w[2])
    widths = np.array([line.get_linewidth() for line in d.lines])
    np.testing.assert_allclose(widths, 7 * w[2])
    alphas = np.array([line.get_alpha() for line in d.lines])
    assert (np.argsort(alphas) == np.argsort(w[2])).all()
    assert len(d.decoder_boxes) == 3 and "step 3" in d.alt and "'z'" in d.alt
    d1 = D.encoder_decoder(list("abcde"), w[0])
    assert d1.step == 0 and len(d1.decoder_boxes) == 2
    # the weights are written below where the lines start: no line covers a label
    labels = [t for t in d.ax.texts if t.get_text() in {f"{x:.2f}" for x in w[2]}]
    assert len(labels) == 5
    d.fig.canvas.draw()
    renderer = d.fig.canvas.get_renderer()
    label_top = max(t.get_window_extent(renderer).y1 for t in labels)
    start = min(d.ax.transData.transform((ln.get_xdata()[0], ln.get_ydata()[0]))[1]
                - ln.get_linewidth() / 2 * d.fig.dpi / 72 for ln in d.lines)
    assert start > label_top


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(weights=np.ones((2, 4)) / 4), ValueError, "weights"),
    (dict(step=5), ValueError, "step"),
    (dict(step=1.0), TypeError, "step"),
    (dict(target_tokens=["x"]), ValueError, "target_tokens"),
    (dict(source_tokens=[]), ValueError, "source_tokens"),
])
def test_encoder_decoder_rejects_bad_input(kwargs, error, match):
    args = dict(source_tokens=list("abcde"), weights=np.ones((2, 5)) / 5)
    args.update(kwargs)
    with pytest.raises(error, match=match):
        D.encoder_decoder(**args)


def test_token_lines_alphas_follow_the_weights():
    toks = "the cat sat on".split()
    w = ab.softmax(RNG.normal(size=(3, 4, 4)) * 3)
    d = D.token_lines(w[0], toks, min_weight=0.0)
    (lc,) = d.collections
    colors = lc.get_colors()
    assert len(colors) == 16
    i, j = d.pairs[0].T
    np.testing.assert_allclose(colors[:, 3], w[0][i, j])
    np.testing.assert_allclose(d.alphas[0], w[0][i, j])
    # light lines are left out
    d2 = D.token_lines(w, toks, heads=[0, 2], min_weight=0.05)
    assert len(d2.collections) == 2 and d2.heads == [0, 2]
    i, j = d2.pairs[1].T
    assert (w[2][i, j] >= 0.05).all() and len(i) == int((w[2] >= 0.05).sum())
    c0, c1 = (c.get_colors()[0, :3] for c in d2.collections)
    assert not np.allclose(c0, c1)  # one colour per head
    assert d2.ax.get_legend() is not None
    assert "head 3" in d2.alt


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(weights=np.ones((2, 2, 2, 2))), ValueError, "weights"),
    (dict(weights=np.full((3, 3), 2.0)), ValueError, r"weights must lie in \[0, 1\]"),
    (dict(tokens_q="abc"), TypeError, "tokens_q"),
    (dict(tokens_q=["a", "b"]), ValueError, "tokens_q"),
    (dict(tokens_k=["a"]), ValueError, "tokens_k"),
    (dict(heads=[3]), ValueError, "heads"),
    (dict(colors=["red", "blue"]), ValueError, "colors"),
])
def test_token_lines_rejects_bad_input(kwargs, error, match):
    args = dict(weights=np.ones((3, 3)) / 3, tokens_q=list("abc"))
    args.update(kwargs)
    with pytest.raises(error, match=match):
        D.token_lines(**args)


def test_sdpa_block_shape_labels_follow_the_arrays():
    q, k, v = np.zeros((2, 4, 8)), np.zeros((2, 6, 8)), np.zeros((1, 6, 5))
    d = D.sdpa_block(q, k, v)
    assert d.shapes["scores"] == (2, 4, 6) and d.shapes["output"] == (2, 4, 5)
    assert d.labels["Q"].get_text() == "Q (2, 4, 8)"
    assert d.labels["K"].get_text() == "K (2, 6, 8)"
    assert d.labels["V"].get_text() == "V (1, 6, 5)"
    assert d.labels["scores"].get_text() == "scores (2, 4, 6)"
    assert d.labels["output"].get_text() == "output (2, 4, 5)"
    assert d.boxes["mask"].get_linestyle() == "--"  # no mask: dashed
    dm = D.sdpa_block(q[0], k[0], v[0], mask=np.tril(np.ones((4, 6), bool)))
    assert dm.shapes["mask"] == (4, 6) and dm.boxes["mask"].get_linestyle() == "-"
    assert "masked by a mask of shape (4, 6)" in dm.alt


@pytest.mark.parametrize("args, error, match", [
    ((np.zeros((4, 8)), np.zeros((6, 7)), np.zeros((6, 5))), ValueError, "d_k"),
    ((np.zeros((4, 8)), np.zeros((6, 8)), np.zeros((5, 5))), ValueError, "L_k"),
    ((np.zeros(8), np.zeros((6, 8)), np.zeros((6, 5))), ValueError, "Q must"),
    ((np.zeros((2, 4, 8)), np.zeros((3, 6, 8)), np.zeros((6, 5))), ValueError, "broadcast"),
    ((np.array([["a"]]), np.zeros((6, 8)), np.zeros((6, 5))), TypeError, "Q must"),
])
def test_sdpa_block_rejects_bad_shapes(args, error, match):
    with pytest.raises(error, match=match):
        D.sdpa_block(*args)
    with pytest.raises(TypeError, match="mask"):
        D.sdpa_block(np.zeros((4, 8)), np.zeros((6, 8)), np.zeros((6, 5)),
                     mask=np.ones((4, 6)))


def test_mha_block_shapes_follow_x_and_num_heads():
    d = D.mha_block(np.zeros((2, 5, 12)), 3)
    assert d.labels["q_heads"].get_text() == "(2, 3, 5, 4)"
    assert d.labels["output"].get_text() == "output (2, 5, 12)"
    assert d.labels["weights"].get_text() == "weights\n(2, 3, 5, 5)"
    assert len(d.head_boxes) == 3
    mha = ab.MultiHeadAttention(12, 3, seed=0)
    x = RNG.normal(size=(2, 5, 12))
    out, w = mha(x, x, x)  # the real layer's shapes are the ones drawn
    assert w.shape == d.shapes["weights"] and out.shape == d.shapes["output"]
    dc = D.mha_block(np.zeros((5, 12)), 4, memory=np.zeros((7, 12)))
    assert dc.shapes["weights"] == (4, 5, 7) and "cross-attention" in dc.alt
    with pytest.raises(ValueError, match="num_heads=5 must divide d_model=12"):
        D.mha_block(np.zeros((5, 12)), 5)
    with pytest.raises(TypeError, match="num_heads"):
        D.mha_block(np.zeros((5, 12)), 2.0)
    with pytest.raises(ValueError, match="memory"):
        D.mha_block(np.zeros((5, 12)), 4, memory=np.zeros((7, 8)))


def test_encoder_layer_block_pre_and_post_norm_order():
    pre = D.encoder_layer_block((2, 5, 16), "pre", num_heads=4)
    post = D.encoder_layer_block(np.zeros((5, 16)), "post", d_ff=32)
    assert pre.order[0] == "LayerNorm" and pre.order[-1] == "add"
    assert post.order[0].startswith("multi-head") and post.order[-1] == "LayerNorm"
    assert post.labels["ffn_hidden"].get_text() == "hidden (5, 32)"
    assert pre.labels["ffn_hidden"].get_text() == "hidden (2, 5, 64)"
    assert len(pre.residuals) == 2 == len(post.residuals)
    with pytest.raises(ValueError, match="norm"):
        D.encoder_layer_block((5, 16), "middle")
    with pytest.raises(TypeError, match="x_shape"):
        D.encoder_layer_block("5x16")
    with pytest.raises(ValueError, match="num_heads=3 must divide d_model=16"):
        D.encoder_layer_block((5, 16), num_heads=3)


def test_kv_cache_diagram_weights_and_shapes():
    k, v, q = RNG.normal(size=(5, 4)), RNG.normal(size=(5, 3)), RNG.normal(size=4)
    d = D.kv_cache_diagram(k, v, q, tokens=list("abcde"))
    a = ab.softmax(k @ q / 2.0)
    np.testing.assert_allclose(d.weights, a)
    np.testing.assert_allclose([b.get_width() for b in d.bars], 1.6 * a)
    assert d.labels["keys"].get_text() == "K cache (5, 4)"
    assert d.labels["query"].get_text() == "new query (4,)"
    assert d.labels["output"].get_text() == "output (1, 3)"
    assert "4 reused" in d.ax.get_title() and len(d.new_rows) == 2
    with pytest.raises(ValueError, match="query"):
        D.kv_cache_diagram(k, v, q[:3])
    with pytest.raises(ValueError, match="values"):
        D.kv_cache_diagram(k, v[:4], q)


@pytest.mark.parametrize("L_q, L_k, block, causal", [(16, 16, 4, True), (10, 13, 3, True),
                                                     (8, 24, 5, False), (7, 7, 7, True)])
def test_tiling_diagram_visits_the_tiles_of_attention_tiles(L_q, L_k, block, causal):
    d = D.tiling_diagram(L_q, L_k, block, causal=causal)
    visited = [(t["rows"], t["cols"]) for t in d.tiles if t["status"] != "skipped"]
    expected = [((r.start, r.stop), (c.start, c.stop))
                for r, c in ab.attention_tiles(L_q, L_k, block, causal=causal)]
    assert visited == expected
    assert [t["order"] for t in d.tiles if t["order"] is not None] == list(range(len(expected)))
    assert len(d.patches) == len(d.tiles)
    for t, p in zip(d.tiles, d.patches):
        assert (p.get_hatch() == "///") == (t["status"] == "skipped")


def test_tiling_diagram_causal_counts_and_step():
    d = D.tiling_diagram(16, 16, 4, causal=True, step=3)
    assert d.counts == {"full": 6, "partial": 4, "skipped": 6}
    cur = d.current
    tile = [t for t in d.tiles if t["order"] == 3][0]
    assert (cur.get_x(), cur.get_y()) == (tile["cols"][0], tile["rows"][0])
    assert "6 tiles above the diagonal are skipped" in d.alt
    with pytest.raises(ValueError, match="step"):
        D.tiling_diagram(16, 16, 4, causal=True, step=10)
    with pytest.raises(ValueError, match="L_k >= L_q"):
        D.tiling_diagram(8, 4, 2, causal=True)
    with pytest.raises(ValueError, match="block_q"):
        D.tiling_diagram(8, 8, 0)
    with pytest.raises(ValueError, match="too many"):
        D.tiling_diagram(1000, 1000, 10)


def _all_diagrams():
    w = ab.softmax(RNG.normal(size=(4, 4)))
    return [
        D.lookup_flow(Q, K, V),
        D.encoder_decoder(list("abcd"), w, step=1),
        D.token_lines(w, list("abcd")),
        D.sdpa_block(np.zeros((4, 8)), np.zeros((6, 8)), np.zeros((6, 5))),
        D.mha_block(np.zeros((5, 16)), 4),
        D.encoder_layer_block((5, 16)),
        D.kv_cache_diagram(K, V, Q),
        D.tiling_diagram(8, 8, 4, causal=True),
    ]


def test_every_diagram_fits_the_column_with_readable_text_and_short_repr():
    for d in _all_diagrams():
        assert d.fig.get_size_inches()[0] <= 6.8, d.kind
        assert min(_text_sizes(d.fig)) >= 7, d.kind
        assert len(repr(d)) < 200 and repr(d).startswith(f"<{d.kind}")
        assert 40 < len(d.alt) < 900 and "np.float" not in d.alt
        assert d.alt_metadata() == {"mystnb": {"image": {"alt": d.alt}}}
        d.fig.canvas.draw()  # draws without error


def test_display_is_a_high_density_png_with_its_size_and_alt_text():
    d = D.lookup_flow(Q, K, V)
    assert d.own_figure and plt.fignum_exists(d.fig.number)
    data, meta = d._repr_mimebundle_()
    assert data["text/plain"] == d.alt
    w, h = d.fig.get_size_inches() * d.fig.dpi
    assert meta["image/png"] == {"width": round(w), "height": round(h)}
    import base64, io
    from matplotlib.image import imread
    img = imread(io.BytesIO(base64.b64decode(data["image/png"])), format="png")
    assert abs(img.shape[1] - 2 * w) <= 2  # 2x pixels
    assert not plt.fignum_exists(d.fig.number)  # not shown a second time by the inline backend
    # drawn into someone else's axes: a short text only
    fig, ax = plt.subplots()
    d2 = D.lookup_flow(Q, K, V, ax=ax)
    assert d2._repr_mimebundle_() == {"text/plain": repr(d2)}


def test_set_alt_text_writes_the_cell_metadata():
    d = D.tiling_diagram(8, 8, 4)
    cell = {"cell_type": "code", "metadata": {"tags": ["x"]}, "source": ""}
    D.set_alt_text(cell, d)
    assert cell["metadata"] == {"tags": ["x"], "mystnb": {"image": {"alt": d.alt}}}
    with pytest.raises(TypeError, match="cell"):
        D.set_alt_text({"cell_type": "markdown"}, d)
    with pytest.raises(TypeError, match="diagram_or_text"):
        D.set_alt_text(cell, "")


def test_too_many_rows_raise_instead_of_drawing_a_giant_figure():
    big = np.ones((700, 3))
    with pytest.raises(ValueError, match="keys has L_k = 700; this diagram draws at most 24"):
        D.lookup_flow(np.ones(3), big, big)
    with pytest.raises(ValueError, match="at most 60"):
        D.token_lines(np.full((700, 700), 1 / 700), [str(i) for i in range(700)])
    with pytest.raises(ValueError, match="source_tokens"):
        D.encoder_decoder([str(i) for i in range(30)], np.full(30, 1 / 30))
    with pytest.raises(ValueError, match="keys has t = 30"):
        D.kv_cache_diagram(np.ones((30, 2)), np.ones((30, 2)), np.ones(2))
