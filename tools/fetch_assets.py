"""Fetch the JavaScript the built pages need, so that they render with no internet.

    python tools/fetch_assets.py DEST [--npm PATH]

MathJax (which typesets the maths) is taken from the npm registry with `npm pack`, checked
against the integrity hash pinned below, and unpacked into DEST (by default `_build/assets`,
which `_config.yml` lists in `html_static_path`; the folder is not called `_static` because
Jupyter Book would inject every .js file in such a folder into every page). It is never
committed. Re-running is cheap: a package already unpacked with the right hash is kept. (The
interactive figures need nothing from here: book/_site/static/attnbook-widgets.js draws them.)
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

# name@version -> (npm integrity, files to keep: folder in the package -> folder in DEST)
PACKAGES = {
    "mathjax@3.2.2": (
        "sha512-Bt+SSVU8eBG27zChVewOicYs7Xsdt40qm4+UpHyX7k0/O9NliPc+x77k1/FEsPsjKPZGJvtRZM1vO+geW0OhGw==",
        {
            "es5/tex-chtml.js": "mathjax/tex-chtml.js",
            "es5/input/tex": "mathjax/input/tex",
            "es5/output/chtml": "mathjax/output/chtml",
            "es5/ui": "mathjax/ui",
            "es5/a11y": "mathjax/a11y",
            "es5/adaptors": "mathjax/adaptors",
        },
    ),
}
SKIP_SUFFIXES = (".map", ".LICENSE.txt")


def integrity(path: Path) -> str:
    return "sha512-" + base64.b64encode(hashlib.sha512(path.read_bytes()).digest()).decode()


def fetch(spec: str, want: str, keep: dict[str, str], dest: Path, npm: str) -> None:
    stamp = dest / ".stamps" / (spec.replace("/", "_") + ".json")
    if stamp.exists() and json.loads(stamp.read_text()).get("integrity") == want:
        return
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run([npm, "pack", spec, "--json", "--pack-destination", tmp],
                             capture_output=True, text=True)
        if out.returncode != 0:
            sys.exit(f"npm pack {spec} failed:\n{out.stderr}")
        tarball = Path(tmp) / json.loads(out.stdout)[0]["filename"]
        got = integrity(tarball)
        if got != want:
            sys.exit(f"{spec}: integrity {got} does not match the pinned {want}")
        with tarfile.open(tarball) as tar:
            tar.extractall(tmp, filter="data")
        for src, dst in keep.items():
            source, target = Path(tmp) / "package" / src, dest / dst
            if target.exists():
                shutil.rmtree(target) if target.is_dir() else target.unlink()
            target.parent.mkdir(parents=True, exist_ok=True)
            if source.is_dir():
                shutil.copytree(source, target,
                                ignore=lambda d, names: [n for n in names if n.endswith(SKIP_SUFFIXES)])
            else:
                shutil.copy2(source, target)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(json.dumps({"spec": spec, "integrity": want}))
    print(f"fetched {spec}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dest", type=Path)
    parser.add_argument("--npm", default=shutil.which("npm"))
    args = parser.parse_args()
    if not args.npm:
        sys.exit("npm is needed to fetch MathJax (install Node.js/npm)")
    for spec, (want, keep) in PACKAGES.items():
        fetch(spec, want, keep, args.dest, args.npm)
    # What earlier versions fetched (the ipywidgets HTML manager, require.js) and copied (their
    # configuration): the pages no longer load them (book/_site/static/attnbook-widgets.js
    # draws the widgets), so they go from here. (A site built before keeps its copies in
    # _build/html/_static until `make clean`; a fresh build has none.)
    for old in ("html-manager", "require.js", "widgets-config.js"):
        stale = args.dest / old
        if stale.is_dir():
            shutil.rmtree(stale)
        elif stale.exists():
            stale.unlink()
    for stamp in (args.dest / ".stamps").glob("*.json"):
        if json.loads(stamp.read_text()).get("spec") not in PACKAGES:
            stamp.unlink()
    size = sum(f.stat().st_size for f in args.dest.rglob("*") if f.is_file())
    print(f"assets in {args.dest}: {size / 1e6:.1f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
