"""Chapter 8's date model: its command line (train / evaluate / predict) and prediction API
(issue 12, section 4)."""

import io
import subprocess
import sys

import numpy as np
import pytest

from attnbook import datemodel
from attnbook import dates as D
from attnbook.datemodel import CONFIDENCE_THRESHOLD, DateModel, main


@pytest.fixture(scope="module")
def model():
    return DateModel.load()


def run_cli(capsys, *argv, stdin=None, monkeypatch=None):
    if stdin is not None:
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def assert_one_line_error(status, err, *needles):
    assert status == 1
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    for needle in needles:
        assert needle in err, err


# --- predict -----------------------------------------------------------------------------------

def test_predict_dates_given_as_arguments(capsys):
    status, out, err = run_cli(capsys, "predict", "23 November 2026", "12/25/1999")
    assert (status, out, err) == (0, "2026-11-23\n1999-12-25\n", "")


def test_predict_dates_from_stdin_with_confidence(capsys, monkeypatch):
    status, out, _ = run_cli(capsys, "predict", "--confidence",
                             stdin="23 November 2026\r\nthe 1st of march 1950\n",
                             monkeypatch=monkeypatch)
    assert status == 0
    lines = [line.split("\t") for line in out.splitlines()]
    assert [d for d, _ in lines] == ["2026-11-23", "1950-03-01"]
    assert all(CONFIDENCE_THRESHOLD <= float(c) <= 1 for _, c in lines)


@pytest.mark.parametrize("text, needle, printed", [
    ("hello world", "not a real date", "2026-11-23\n"),  # the model writes 2002-07-00
    ("13/13/2013", "not a real date", "2026-11-23\n"),   # the model writes 2013-13-13
    ("23 November 2026!", "'!'", ""),        # a character the model does not know
    ("x" * 33, "at most 32", ""),
    ("   ", "empty", ""),
])
def test_predict_bad_input_exits_1_with_one_line(capsys, text, needle, printed):
    """Inputs the model cannot read are found before anything is printed; outputs that are not
    accepted stop the run there (the dates before it are printed)."""
    status, out, err = run_cli(capsys, "predict", "23 November 2026", text)
    assert out == printed
    assert_one_line_error(status, err, needle)


def test_predict_empty_stdin(capsys, monkeypatch):
    status, _, err = run_cli(capsys, "predict", stdin="", monkeypatch=monkeypatch)
    assert_one_line_error(status, err, "no dates")


def test_predict_as_a_process():
    result = subprocess.run([sys.executable, "-m", "attnbook.datemodel_cli", "predict",
                             "1 January 2000", "hello world"], capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stdout == "2000-01-01\n"
    assert result.stderr.count("\n") == 1 and "hello world" in result.stderr


# --- bad arguments: one line, no traceback ---------------------------------------------------

@pytest.fixture
def bad_weights(tmp_path):
    empty = tmp_path / "empty.npz"
    empty.write_bytes(b"")
    text = tmp_path / "notes.npz"
    text.write_text("these are not weights\n")
    other = tmp_path / "other.npz"
    np.savez(other, x=np.zeros(3))
    return {"missing": (tmp_path / "nope.npz", "does not exist"),
            "empty": (empty, "empty"),
            "directory": (tmp_path, "directory"),
            "text": (text, "not a .npz"),
            "other npz": (other, "lacks config")}


@pytest.mark.parametrize("case", ["missing", "empty", "directory", "text", "other npz"])
@pytest.mark.parametrize("command", ["evaluate", "predict"])
def test_bad_weights_file(capsys, bad_weights, case, command):
    path, needle = bad_weights[case]
    argv = [command, "--weights", str(path)] + (["1 January 2000"] if command == "predict" else [])
    status, _, err = run_cli(capsys, *argv)
    assert_one_line_error(status, err, needle)


@pytest.mark.parametrize("argv, needle", [
    (["evaluate", "--per-format", "0"], "--per-format: must be >= 1"),
    (["evaluate", "--per-format", "x"], "not a whole number"),
    (["train", "--seed", "-1"], "--seed: must be >= 0"),
    (["train", "--steps", "-5"], "--steps: must be >= 1"),
    (["train", "--steps", "0"], "--steps: must be >= 1"),
])
def test_bad_numbers_are_argparse_errors(capsys, argv, needle):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err


def test_unwritable_out_is_found_before_training(capsys, tmp_path, monkeypatch):
    def no_training(*args, **kwargs):
        raise AssertionError("training started")
    monkeypatch.setattr(datemodel, "train", no_training)
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    for out, needle in [(blocker / "weights.npz", "cannot write"), (tmp_path, "directory")]:
        status, _, err = run_cli(capsys, "train", "--out", str(out), "--steps", "1")
        assert_one_line_error(status, err, needle)


def test_training_config_refuses_bad_values():
    with pytest.raises(ValueError, match="steps"):
        datemodel.TrainingConfig(steps=-5)
    with pytest.raises(ValueError, match="seed"):
        datemodel.TrainingConfig(seed=-1)


# --- the API: texts, confidence, validity ---------------------------------------------------------

@pytest.mark.parametrize("texts", [None, 3, ["23 November 2026", 3], b"1 May 2000", [None]])
@pytest.mark.parametrize("method", ["predict", "predict_checked", "run", "encode"])
def test_texts_must_be_strings(model, texts, method):
    with pytest.raises(TypeError, match="texts"):
        getattr(model, method)(texts)


def test_empty_texts(model):
    with pytest.raises(ValueError, match="texts"):
        model.predict([])


def test_confidence_and_validity(model):
    checked = model.predict_checked(["23 November 2026", "hello world", "13/13/2013"])
    assert [c.output for c in checked] == model.predict(
        ["23 November 2026", "hello world", "13/13/2013"])
    assert [c.valid for c in checked] == [True, False, False]
    assert [c.accepted for c in checked] == [True, False, False]
    assert checked[0].confidence > 0.99
    run = model.run(["23 November 2026", "hello world"])
    np.testing.assert_allclose(run.confidence, [c.confidence for c in checked[:2]], rtol=1e-5)
    assert run.valid.tolist() == [True, False] and run.accepted.tolist() == [True, False]


def test_threshold_accepts_held_out_dates(model):
    """The threshold was measured on all 120,516 held-out strings (every one accepted); here a
    sample of 1,100 of them, every format and case."""
    inputs, targets, _ = D.test_set(per_format=100, seed=3)
    checked = model.predict_checked(inputs)
    assert [c.output for c in checked] == targets
    assert all(c.accepted for c in checked)
    assert min(c.confidence for c in checked) >= CONFIDENCE_THRESHOLD
