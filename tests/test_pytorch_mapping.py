"""The numbers book/from_attnbook_to_pytorch.md says attnbook and PyTorch share.

Every test needs PyTorch, which the book itself never does: without it they are skipped. The
page's recipe (the ``AttentionPooling`` module) is read from the page's own code block and run,
so the test fails if the page's code stops computing what the page says it does.
(``nn.MultiheadAttention`` with a causal ``attn_mask`` is also checked, in float32 and float64,
by ``tests/test_attention.py::test_mha_equals_torch_multihead_attention``.)
"""

import re
from pathlib import Path

import numpy as np
import pytest

import attnbook as ab

torch = pytest.importorskip("torch")
F = torch.nn.functional

PAGE = Path(__file__).resolve().parents[1] / "book" / "from_attnbook_to_pytorch.md"
t = torch.from_numpy


def _code_block(marker: str) -> str:
    """The page's ```python block that contains ``marker``."""
    blocks = re.findall(r"```python\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.S)
    found = [b for b in blocks if marker in b]
    assert len(found) == 1, f"expected one code block with {marker!r}, found {len(found)}"
    return found[0]


def test_the_pages_code_blocks_fit_80_columns():
    text = PAGE.read_text(encoding="utf-8")
    for block in re.findall(r"```python\n(.*?)```", text, re.S):
        for line in block.splitlines():
            assert len(line) <= 80, line


# --- softmax ----------------------------------------------------------------------------------

def test_softmax_equals_torch_softmax_and_differs_on_all_masked_rows():
    x = np.random.default_rng(0).normal(size=(3, 4, 7)) * 5
    np.testing.assert_allclose(ab.softmax(x), torch.softmax(t(x), dim=-1).numpy(),
                               rtol=0, atol=1e-15)
    np.testing.assert_allclose(ab.softmax(x, axis=1), torch.softmax(t(x), dim=1).numpy(),
                               rtol=0, atol=1e-15)
    np.testing.assert_allclose(ab.softmax(x, temperature=0.5),
                               torch.softmax(t(x) / 0.5, dim=-1).numpy(), rtol=0, atol=1e-15)
    row = np.full((1, 4), -np.inf)
    assert (ab.softmax(row) == 0).all()                       # attnbook: zeros
    assert torch.softmax(t(row), dim=-1).isnan().all()        # PyTorch: NaN


# --- scaled dot-product attention --------------------------------------------------------------

def _qkv(rng, batch=(2, 3), L_q=5, L_k=6, d_k=8, d_v=4):
    return (rng.normal(size=batch + (L_q, d_k)), rng.normal(size=batch + (L_k, d_k)),
            rng.normal(size=batch + (L_k, d_v)))


@pytest.mark.parametrize("scale", [None, 1.0, 0.3])
def test_sdpa_equals_torch_sdpa_with_a_boolean_mask_of_the_same_polarity(scale):
    rng = np.random.default_rng(1)
    q, k, v = _qkv(rng)
    mask = rng.random((2, 3, 5, 6)) < 0.6
    mask[..., 2] = True                                       # every query keeps a key
    out, weights = ab.scaled_dot_product_attention(q, k, v, mask=mask, scale=scale)
    out_t = F.scaled_dot_product_attention(t(q), t(k), t(v), attn_mask=t(mask), scale=scale)
    np.testing.assert_allclose(out, out_t.numpy(), rtol=0, atol=1e-12)
    # a float mask (0 / -inf) is added to the scores: the same result
    bias = np.where(mask, 0.0, -np.inf)
    out_f = F.scaled_dot_product_attention(t(q), t(k), t(v), attn_mask=t(bias), scale=scale)
    np.testing.assert_allclose(out, out_f.numpy(), rtol=0, atol=1e-12)

    # the page's recipe for the weights PyTorch does not return
    qt, kt = t(q), t(k)
    s = qt.shape[-1] ** -0.5 if scale is None else scale
    scores = (qt @ kt.transpose(-2, -1) * s).masked_fill(~t(mask), float("-inf"))
    np.testing.assert_allclose(weights, torch.softmax(scores, dim=-1).numpy(),
                               rtol=0, atol=1e-12)


def test_the_pages_weight_snippet_as_written():
    rng = np.random.default_rng(2)
    q, k, v = (t(a) for a in _qkv(rng, L_q=4, L_k=4))
    mask = t(ab.causal_mask(4))
    scope = {"torch": torch, "q": q, "k": k, "mask": mask}
    exec(_code_block('scores.masked_fill(~mask, float("-inf"))'), scope)
    _, weights = ab.scaled_dot_product_attention(q.numpy(), k.numpy(), v.numpy(),
                                                 mask=mask.numpy())
    np.testing.assert_allclose(weights, scope["weights"].numpy(), rtol=0, atol=1e-12)


def test_is_causal_equals_causal_mask_for_square_inputs_only():
    rng = np.random.default_rng(3)
    q, k, v = _qkv(rng, L_q=6, L_k=6)
    out, _ = ab.scaled_dot_product_attention(q, k, v, mask=ab.causal_mask(6))
    out_t = F.scaled_dot_product_attention(t(q), t(k), t(v), is_causal=True)
    np.testing.assert_allclose(out, out_t.numpy(), rtol=0, atol=1e-12)
    # L_q < L_k: PyTorch's built-in mask is top-left aligned, ab.causal_mask bottom-right
    q2 = q[..., :3, :]
    out2, _ = ab.scaled_dot_product_attention(q2, k, v, mask=ab.causal_mask(3, 6))
    top_left = np.tril(np.ones((3, 6), dtype=bool))
    out_tl, _ = ab.scaled_dot_product_attention(q2, k, v, mask=top_left)
    out2_t = F.scaled_dot_product_attention(t(q2), t(k), t(v), is_causal=True).numpy()
    np.testing.assert_allclose(out_tl, out2_t, rtol=0, atol=1e-12)
    assert np.abs(out2 - out2_t).max() > 1e-3
    explicit = F.scaled_dot_product_attention(t(q2), t(k), t(v),
                                              attn_mask=t(ab.causal_mask(3, 6)))
    np.testing.assert_allclose(out2, explicit.numpy(), rtol=0, atol=1e-12)


# --- masks -----------------------------------------------------------------------------------

def test_causal_mask_equals_tril_and_generate_square_subsequent_mask():
    for L in (1, 2, 7):
        causal = ab.causal_mask(L)
        assert (causal == torch.tril(torch.ones(L, L, dtype=torch.bool)).numpy()).all()
        float_mask = torch.nn.Transformer.generate_square_subsequent_mask(L)
        expected = torch.where(t(causal), 0.0, float("-inf"))
        assert torch.equal(float_mask, expected.to(float_mask.dtype))


def test_split_and_merge_heads_equal_view_and_transpose():
    x = np.random.default_rng(4).normal(size=(2, 5, 12))
    h = 3
    xt = t(x)
    B, L, d_model = xt.shape
    heads = xt.view(B, L, h, d_model // h).transpose(1, 2)
    np.testing.assert_array_equal(ab.split_heads(x, h), heads.numpy())
    merged = heads.transpose(1, 2).reshape(B, L, d_model)
    np.testing.assert_array_equal(ab.merge_heads(ab.split_heads(x, h)), merged.numpy())


# --- multi-head attention ---------------------------------------------------------------------

def _mha_pair(d_model=12, h=3, seed=5):
    """An attnbook layer with random biases and a ``nn.MultiheadAttention`` holding the same
    weights, copied as the page shows."""
    rng = np.random.default_rng(seed)
    mha = ab.MultiHeadAttention(d_model, h, seed=seed)
    for name in ("b_q", "b_k", "b_v", "b_o"):
        setattr(mha, name, rng.normal(scale=0.5, size=d_model))
    scope = {"torch": torch, "np": np, "mha": mha, "d_model": d_model, "h": h,
             "x": np.zeros((1, 1, d_model)), "pad": np.ones((1, 1, 1), dtype=bool)}
    exec(_code_block("layer.in_proj_weight.copy_"), scope)   # builds `layer`, runs it once
    return mha, scope["layer"], rng


def test_mha_equals_multiheadattention_with_weights_copied_and_the_mask_inverted():
    mha, layer, rng = _mha_pair()
    x = rng.normal(size=(3, 6, 12))
    lengths = np.array([6, 4, 1])
    pad = ab.padding_mask(lengths)                            # (B, 1, L), True = real token
    out, w = mha(x, x, x, mask=pad)
    with torch.no_grad():
        out_t, w_t = layer(t(x), t(x), t(x), key_padding_mask=t(~pad[:, 0]),
                           average_attn_weights=False)
        _, w_avg = layer(t(x), t(x), t(x), key_padding_mask=t(~pad[:, 0]))
    np.testing.assert_allclose(out, out_t.numpy(), rtol=0, atol=1e-12)
    np.testing.assert_allclose(w, w_t.numpy(), rtol=0, atol=1e-12)
    # by default PyTorch averages the weights over the heads
    assert w_avg.shape == (3, 6, 6)
    np.testing.assert_allclose(w.mean(axis=1), w_avg.numpy(), rtol=0, atol=1e-12)
    # need_weights=False: no weights, same output
    with torch.no_grad():
        out_n, w_n = layer(t(x), t(x), t(x), key_padding_mask=t(~pad[:, 0]),
                           need_weights=False)
    assert w_n is None
    np.testing.assert_allclose(out, out_n.numpy(), rtol=0, atol=1e-12)


def test_mha_from_params_reads_pytorch_weights_back():
    mha, layer, rng = _mha_pair(seed=6)
    w = layer.in_proj_weight.detach().numpy()
    b = layer.in_proj_bias.detach().numpy()
    w_q, w_k, w_v = (m.T for m in np.split(w, 3))
    b_q, b_k, b_v = np.split(b, 3)
    again = ab.MultiHeadAttention.from_params(
        3, w_q, w_k, w_v, layer.out_proj.weight.detach().numpy().T,
        b_q, b_k, b_v, layer.out_proj.bias.detach().numpy())
    x = rng.normal(size=(2, 4, 12))
    np.testing.assert_array_equal(again(x, x, x)[0], mha(x, x, x)[0])


def test_a_fully_masked_query_gives_zeros_in_attnbook_and_nan_in_multiheadattention():
    mha, layer, rng = _mha_pair(seed=7)
    x = rng.normal(size=(1, 3, 12))
    mask = np.ones((3, 3), dtype=bool)
    mask[1] = False                                           # query 1 may attend to nothing
    out, w = mha(x, x, x, mask=mask)
    assert (w[0, :, 1] == 0).all() and np.isfinite(out).all()
    with torch.no_grad():
        out_t, w_t = layer(t(x), t(x), t(x), attn_mask=t(~mask), average_attn_weights=False)
    assert w_t[0, :, 1].isnan().all() and out_t[0, 1].isnan().all()
    # the other queries agree
    np.testing.assert_allclose(out[0, [0, 2]], out_t[0, [0, 2]].numpy(), rtol=0, atol=1e-12)


# --- the recipe ------------------------------------------------------------------------------

def _recipe():
    scope = {}
    exec(_code_block("class AttentionPooling"), scope)
    return scope["AttentionPooling"]


def test_the_recipes_pooling_equals_attnbook_attention_with_padding_masked():
    AttentionPooling = _recipe()
    torch.manual_seed(0)
    pool = AttentionPooling(d_model=10, d_att=6, num_labels=2).double()
    rng = np.random.default_rng(8)
    h = rng.normal(size=(3, 7, 10))
    lengths = np.array([7, 5, 2])
    keep = ab.padding_mask(lengths)[:, 0]                     # (B, L), True = real token
    with torch.no_grad():
        logits, weights = pool(t(h), t(keep))
        keys = torch.tanh(pool.key(t(h))).numpy()
        u = pool.query.numpy()
        w_out = pool.out.weight.numpy().T                     # PyTorch stores W^T
        b_out = pool.out.bias.numpy()
    pooled, a = ab.scaled_dot_product_attention(u[None], keys, h, mask=keep[:, None, :],
                                                scale=1.0)
    np.testing.assert_allclose(weights.numpy(), a[:, 0], rtol=0, atol=1e-12)
    np.testing.assert_allclose(logits.numpy(), pooled[:, 0] @ w_out + b_out, rtol=0,
                               atol=1e-12)
    assert (weights.numpy()[~keep] == 0).all()
    np.testing.assert_allclose(weights.numpy().sum(axis=1), 1.0, rtol=0, atol=1e-12)
    # chapter 11's own pooling layer gives the same weights
    _, a11, _ = ab.sentimentmodel.attention_pool(
        h, pool.key.weight.detach().numpy().T, pool.key.bias.detach().numpy(), u[None], keep)
    np.testing.assert_allclose(weights.numpy(), a11[:, 0], rtol=0, atol=1e-12)


def test_the_recipe_trains():
    """A few Adam steps on a toy task lower the loss: the module's gradients flow."""
    AttentionPooling = _recipe()
    torch.manual_seed(1)
    pool = AttentionPooling(d_model=8, d_att=4, num_labels=2)
    h = torch.randn(16, 5, 8)
    keep = torch.ones(16, 5, dtype=torch.bool)
    keep[::2, 3:] = False
    labels = (h[:, 0, 0] > 0).long()
    opt = torch.optim.Adam(pool.parameters(), lr=0.05)
    losses = []
    for _ in range(30):
        logits, _ = pool(h, keep)
        loss = F.cross_entropy(logits, labels)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.5 * losses[0]


def test_a_fully_masked_query_gives_zeros_in_sdpa_on_the_cpu_as_in_attnbook():
    rng = np.random.default_rng(9)
    q, k, v = _qkv(rng, batch=(2,), L_q=3, L_k=5)
    mask = np.ones((2, 3, 5), dtype=bool)
    mask[0, 1] = False
    out, _ = ab.scaled_dot_product_attention(q, k, v, mask=mask)
    out_t = F.scaled_dot_product_attention(t(q), t(k), t(v), attn_mask=t(mask)).numpy()
    assert (out[0, 1] == 0).all() and (out_t[0, 1] == 0).all()
    np.testing.assert_allclose(out, out_t, rtol=0, atol=1e-12)


# --- the rest of the toolbox -----------------------------------------------------------------

def test_entropy_layer_norm_gelu_and_cross_entropy_equal_torchs():
    rng = np.random.default_rng(10)
    w = ab.softmax(rng.normal(size=(4, 6)) * 3)
    w[0] = [1, 0, 0, 0, 0, 0]                                 # 0 log 0 = 0 in both
    np.testing.assert_allclose(ab.entropy(w), torch.special.entr(t(w)).sum(-1).numpy(),
                               rtol=0, atol=1e-12)
    x = rng.normal(size=(3, 5, 8))
    g, b = rng.normal(size=8), rng.normal(size=8)
    np.testing.assert_allclose(ab.nn.layer_norm(x, g, b),
                               F.layer_norm(t(x), (8,), t(g), t(b)).numpy(),
                               rtol=0, atol=1e-12)
    np.testing.assert_allclose(ab.gelu(x), F.gelu(t(x)).numpy(), rtol=0, atol=1e-6)
    z, y = rng.normal(size=(7, 3)), rng.integers(0, 3, size=7)
    assert abs(ab.nn.cross_entropy(z, y) - F.cross_entropy(t(z), t(y)).item()) < 1e-12


def test_adam_steps_equal_torch_adam():
    rng = np.random.default_rng(11)
    p0 = rng.normal(size=(3, 4))
    params = {"w": p0.copy()}
    opt = ab.nn.Adam(params, lr=0.01)
    w = torch.nn.Parameter(t(p0.copy()))
    opt_t = torch.optim.Adam([w], lr=0.01)
    for _ in range(5):
        grad = rng.normal(size=(3, 4))
        opt.step({"w": grad})
        w.grad = t(grad.copy())
        opt_t.step()
    np.testing.assert_allclose(params["w"], w.detach().numpy(), rtol=0, atol=1e-12)


def test_embedding_and_sliding_window_mask():
    rng = np.random.default_rng(12)
    table = rng.normal(size=(10, 4))
    ids = rng.integers(0, 10, size=(2, 5))
    emb = torch.nn.Embedding(10, 4, dtype=torch.float64)
    with torch.no_grad():
        emb.weight.copy_(t(table))
        np.testing.assert_array_equal(ab.nn.embedding(ids, table), emb(t(ids)).numpy())
    q, k, v = _qkv(rng, L_q=6, L_k=6)
    band = ab.sliding_window_mask(6, 3)
    out, _ = ab.scaled_dot_product_attention(q, k, v, mask=band)
    out_t = F.scaled_dot_product_attention(t(q), t(k), t(v), attn_mask=t(band))
    np.testing.assert_allclose(out, out_t.numpy(), rtol=0, atol=1e-12)
