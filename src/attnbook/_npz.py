"""Writing the shipped weights so that the same training writes the same bytes."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np


def write_npz(path: Path, arrays: dict[str, np.ndarray], *, force_zip64: bool = False) -> None:
    """Write ``arrays`` (name -> array) to a compressed ``.npz`` at ``path``.

    ``np.savez_compressed`` stamps every member with the current time; here every member gets a
    fixed stamp, so `make train` rewrites a committed file byte for byte when the arrays are the
    same. ``force_zip64`` is kept per file format (the date model's file was written with it).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, array in arrays.items():
            info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with zf.open(info, "w", force_zip64=force_zip64) as f:
                np.lib.format.write_array(f, np.asanyarray(array), allow_pickle=False)


def read_npz(path: Path, model: str, *prefixes: str) -> dict[str, np.ndarray]:
    """The arrays of the shipped ``.npz`` at ``path`` whose names start with one of
    ``prefixes`` (every array if none is given), read into memory; only those members are
    decompressed. A missing file says how to make it (``make train MODEL=<model>``)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist; train with `make train MODEL={model}`")
    wanted = prefixes or ("",)
    with np.load(path) as f:
        return {k: f[k] for k in f.files if k.startswith(wanted)}
