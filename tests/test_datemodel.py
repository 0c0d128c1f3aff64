"""Tests of attnbook.datemodel: the whole model's gradient, reproducible training, and the
shipped weights."""

import subprocess
import sys

import numpy as np
import pytest

from attnbook import dates as D
from attnbook import datemodel as M
from attnbook import nn
from test_nn import check

TINY = M.DateModelConfig(d_model=8, num_heads=2, d_ff=12, num_layers=2)


@pytest.mark.parametrize("num_layers", [2, 0])
def test_whole_model_gradient_matches_finite_differences(num_layers):
    """Every parameter of a tiny model in float64, through all layers (masking included)."""
    config = M.DateModelConfig(d_model=4, num_heads=2, d_ff=6, num_layers=num_layers)
    params = M.init_params(config, seed=1, dtype=np.float64)
    inputs, targets, _ = D.sample(3, np.random.default_rng(0))
    ids, tgt = D.encode_inputs(inputs, max(map(len, inputs)) + 2), D.encode_targets(targets)
    _, grads, _ = M.loss_and_grads(params, config, ids, tgt)
    assert grads.keys() == params.keys()
    loss = lambda: nn.cross_entropy(M.forward(params, config, ids)[0], tgt)
    for name in params:
        check(loss, params[name], grads[name])


def test_padding_changes_nothing():
    params = M.init_params(TINY, seed=2)
    ids = D.encode_inputs(["23.11.2026", "Monday 23 Nov 26"])
    short, _ = M.forward(params, TINY, ids[:, :16])
    long, _ = M.forward(params, TINY, ids)
    np.testing.assert_allclose(short, long, rtol=1e-5, atol=1e-6)


def test_forward_shapes_and_attention_weights():
    params = M.init_params(TINY, seed=0)
    ids = D.encode_inputs(["23.11.2026", "Nov 23, 2026"], 12)
    logits, cache = M.forward(params, TINY, ids)
    assert logits.shape == (2, 10, 11) and logits.dtype == np.float32
    cross = cache["weights"]["cross"]
    assert cross.shape == (2, 2, 10, 12)
    np.testing.assert_allclose(cross.sum(-1), 1, rtol=1e-5)
    np.testing.assert_array_equal(cross[0, ..., 10:], 0)  # padding gets no attention
    assert cache["weights"]["enc1"].shape == (2, 2, 12, 12)


def test_training_is_reproducible_and_learns():
    tc = M.TrainingConfig(steps=40, batch_size=32, warmup=5, eval_every=20, eval_per_format=5,
                          checkpoints=(0, 20))
    p1, log1, ck1 = M.train(TINY, tc)
    p2, log2, _ = M.train(TINY, tc)
    for name in p1:
        np.testing.assert_array_equal(p1[name], p2[name])
    np.testing.assert_array_equal(log1["loss"], log2["loss"])
    assert log1["loss"][-10:].mean() < min(0.9 * log1["loss"][:5].mean(), np.log(11))  # < uniform
    assert sorted(ck1) == [0, 20, 40]
    init = M.init_params(TINY, tc.seed)
    for name in init:
        np.testing.assert_array_equal(ck1[0][name], init[name])


def test_save_and_load_round_trip(tmp_path):
    tc = M.TrainingConfig(steps=3, batch_size=8, warmup=1, eval_every=2, eval_per_format=2,
                          checkpoints=(0, 2))
    params, log, ckpts = M.train(TINY, tc)
    path = tmp_path / "m.npz"
    M.save(path, TINY, tc, params, log, ckpts)
    first = path.read_bytes()
    M.save(path, TINY, tc, params, log, ckpts)
    assert path.read_bytes() == first  # same weights, same bytes
    model = M.DateModel.load(path=path)
    assert model.config == TINY and model.step == 3
    for name in params:
        np.testing.assert_array_equal(model.params[name], params[name])
    assert M.DateModel.checkpoint_steps(path) == [0, 2, 3]
    np.testing.assert_array_equal(M.DateModel.load(0, path).params["embed"],
                                  ckpts[0]["embed"].astype(np.float16).astype(np.float32))
    np.testing.assert_array_equal(M.load_training_log(path)["loss"], log["loss"])
    with pytest.raises(ValueError, match="no checkpoint"):
        M.DateModel.load(1, path)


# --- the shipped model --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def shipped():
    return M.DateModel.load()


def test_shipped_weights_are_small_enough():
    assert M.WEIGHTS_PATH.stat().st_size <= 5_000_000
    assert len(M.DateModel.checkpoint_steps()) >= 10


def test_shipped_model_reads_held_out_dates(shipped):
    result = M.evaluate(shipped, per_format=100)
    assert result.n == 100 * len(D.FORMATS)
    assert result.overall >= 0.99, result.table()
    assert min(result.per_format.values()) >= 0.95, result.table()


def test_shipped_model_was_trained_by_the_shipped_code(shipped):
    """The first checkpoint is this code's initialisation with the shipped seed."""
    steps = M.DateModel.checkpoint_steps()
    first = M.DateModel.load(steps[0])
    init = M.init_params(shipped.config, M.TrainingConfig().seed)
    for name in init:
        np.testing.assert_array_equal(first.params[name], init[name].astype(np.float16).astype(np.float32))
    log = M.load_training_log()
    assert len(log["loss"]) == M.TrainingConfig().steps
    assert log["eval_exact"][-1] >= 0.99


def test_prediction_and_alignment(shipped):
    pred = shipped.run(["23 November 2026", "11/23/2026"])
    assert pred.outputs == ["2026-11-23", "2026-11-23"]
    a = pred.alignment(1)
    assert a.shape == (10, 10)
    np.testing.assert_allclose(a.sum(axis=1), 1, rtol=1e-5)
    # the last digit of the day reads the "3" of "23" in "11/23/2026" more than anything else
    assert a[9].argmax() == 4


def test_predict_runs_each_distinct_string_once_in_any_order(shipped):
    """predict sorts distinct strings by length; outputs return in input order."""
    texts = ["Wednesday, September 30, 2026", "1.1.2000", "23 November 2026",
             "1.1.2000", "07-JUL-07", "Wednesday, September 30, 2026"]
    run = shipped.run(texts)
    checked = shipped.predict_checked(texts, batch_size=2)
    assert [r.output for r in checked] == run.outputs == shipped.predict(texts)
    np.testing.assert_allclose([r.confidence for r in checked], run.confidence,
                               rtol=1e-5)
    with pytest.raises(ValueError, match="input 2 is empty"):
        shipped.predict(["1.1.2000", "23 November 2026", ""])


def test_predict_runs_its_batches_on_every_core_bit_for_bit(shipped, monkeypatch):
    """The batches run on a thread per core; each is computed alone, so the outputs and
    confidences are the same bit for bit as on one core."""
    import attnbook._blas as B

    texts = D.test_set(6, seed=3)[0]
    assert len(set(texts)) > 8 * 4  # several batches of 8
    monkeypatch.setattr(B, "_cores", lambda: 2)  # two threads, even on a one-core machine
    parallel = shipped.predict_checked(texts, batch_size=8)
    monkeypatch.setattr(B, "_cores", lambda: 1)
    serial = shipped.predict_checked(texts, batch_size=8)
    assert [r.output for r in parallel] == [r.output for r in serial]
    np.testing.assert_array_equal([r.confidence for r in parallel],
                                  [r.confidence for r in serial])


def test_reading_part_of_the_weights_file():
    """load, the log and checkpoint_steps read only their members."""
    every = M.DateModel.checkpoints()
    assert list(every) == M.DateModel.checkpoint_steps()
    for step in (list(every)[1], list(every)[-1]):
        loaded = M.DateModel.load(step)
        for name, value in loaded.params.items():
            np.testing.assert_array_equal(value, every[step].params[name])
    with pytest.raises(ValueError, match="no checkpoint at step 7"):
        M.DateModel.load(7)
    assert set(M.load_training_log()) >= {"step", "loss", "eval_exact"}


def test_bad_input_to_the_model(shipped):
    with pytest.raises(ValueError, match="not one the model knows"):
        shipped.predict(["23 Nov 2026 ?"])
    with pytest.raises(ValueError, match="at most 32"):
        shipped.predict(["x" * 40])
    with pytest.raises(ValueError, match="no input"):
        shipped.predict([])


def test_command_line_evaluate(capsys):
    assert M.main(["evaluate", "--per-format", "10"]) == 0
    out = capsys.readouterr().out
    for fmt in D.FORMATS:
        assert fmt in out
    assert "held-out" in out


def test_command_line_runs_as_a_module_without_warnings():
    result = subprocess.run([sys.executable, "-W", "error", "-m", "attnbook.datemodel_cli", "evaluate",
                             "--per-format", "5"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "0 of 55 held-out inputs wrong" in result.stdout
