"""Benchmark attnbook's attention: speed against plain numpy (and PyTorch, if it is installed),
peak memory of full against tiled attention, causal tiling, and KV-cached decoding.

    python benchmarks/bench_attention.py                 # what `make bench` runs
    python benchmarks/bench_attention.py --quick --out /tmp/r.json   # a small smoke run

Prints tables of times and ratios and writes them, with a description of the machine, to
``src/attnbook/data/attention_benchmark.json`` — the file chapter 10 draws its figures from
(``attnbook.benchmark_results()``; it ships with the package, so the chapter works on Colab too).
After a new run, re-execute the chapter (``make execute NB=notebooks/10_attention_at_scale.ipynb``):
its stored outputs quote these numbers.

All the numbers of one run are measured in the same process, the variants taking turns, so
compare *ratios* within one run: absolute times depend on the machine and on whatever else it is
doing. Timings are the fastest of several calls, the one least disturbed by other work.

PyTorch is never required: without it the torch columns are left out.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import threadpoolctl

import attnbook as ab

try:
    import torch
except ImportError:  # the book never needs it
    torch = None

RESULTS = Path(__file__).resolve().parents[1] / "src/attnbook/data/attention_benchmark.json"
HEADS, D_HEAD = 8, 64
ROUNDS = 3  # each variant is timed in this many blocks, taking turns with the others


def straightforward_attention(q, k, v):
    """What one writes first: scores, softmax (max, exp, sum, divide), weighted sum of values;
    every step a new array."""
    scores = q @ np.swapaxes(k, -1, -2) / np.float32(np.sqrt(q.shape[-1]))
    scores = scores - scores.max(axis=-1, keepdims=True)
    e = np.exp(scores)
    weights = e / e.sum(axis=-1, keepdims=True)
    return weights @ v


def _once(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def best_times(variants: dict, repeats: int) -> tuple[dict[str, float], dict[str, float]]:
    """The fastest and the median seconds per variant over ``ROUNDS * repeats`` calls.

    The fastest call is the one least disturbed by other work on the machine (``timeit``'s
    advice), so the tables use it; the median is stored too. The variants take turns in short
    blocks, so a slow spell of a shared machine hits them alike; each block starts with a call
    that is not counted, because thread pools that spin after work (OpenMP in torch, OpenBLAS)
    slow down whatever runs right after them.
    """
    times = {name: [] for name in variants}
    for _ in range(ROUNDS):
        for name, function in variants.items():
            function()
            times[name] += [_once(function) for _ in range(repeats)]
    return ({name: min(t) for name, t in times.items()},
            {name: statistics.median(t) for name, t in times.items()})


def machine() -> dict:
    blas = [{key: info.get(key) for key in ("internal_api", "version", "architecture",
                                            "num_threads")}
            for info in threadpoolctl.threadpool_info() if info["user_api"] == "blas"]
    return {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "torch": torch.__version__ if torch is not None else None,
        "cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
        else os.cpu_count(),
        "blas": blas,
        "openblas_env": {key: os.environ[key] for key in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE",
                                                          "OPENBLAS_NUM_THREADS")
                         if key in os.environ},
        "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
    }


def bench_speed(lengths, rng) -> dict:
    rows = []
    for L in lengths:
        q, k, v = (rng.standard_normal((1, HEADS, L, D_HEAD), dtype=np.float32) for _ in range(3))
        variants = {
            "numpy": lambda: straightforward_attention(q, k, v),
            "attnbook": lambda: ab.scaled_dot_product_attention(q, k, v, need_weights=False),
            "attnbook_weights": lambda: ab.scaled_dot_product_attention(q, k, v),
        }
        if L <= 2048:  # the numpy loop over tiles is for reading, not speed: spare the time
            variants["tiled"] = lambda: ab.tiled_attention(q, k, v, block_size=256)
        reference = straightforward_attention(q, k, v)
        diffs = {name: variants[name]() for name in variants}
        diffs = {name: out[0] if isinstance(out, tuple) else out for name, out in diffs.items()}
        if torch is not None:
            tq, tk, tv = (torch.from_numpy(x) for x in (q, k, v))
            sdpa = torch.nn.functional.scaled_dot_product_attention
            variants["torch"] = lambda: sdpa(tq, tk, tv)
            diffs["torch"] = sdpa(tq, tk, tv).numpy()
        repeats = 20 if L <= 256 else 10 if L <= 512 else 3 if L <= 2048 else 2
        seconds, median = best_times(variants, repeats)
        rows.append({"L": L, "seconds": seconds, "median_seconds": median,
                     "calls": ROUNDS * repeats,
                     "max_abs_diff_to_numpy": {name: float(np.abs(out - reference).max())
                                               for name, out in diffs.items()}})
        print(f"  L = {L:5d} done", file=sys.stderr, flush=True)
    return {"shape": f"(1, {HEADS}, L, {D_HEAD})", "dtype": "float32", "rows": rows}


def bench_memory(lengths, rng) -> dict:
    rows = []
    for L in lengths:
        q, k, v = (rng.standard_normal((1, 1, L, D_HEAD), dtype=np.float32) for _ in range(3))
        peaks = {}
        for name, function in [
            ("numpy", lambda: straightforward_attention(q, k, v)),
            ("attnbook_weights", lambda: ab.scaled_dot_product_attention(q, k, v)),
            ("attnbook", lambda: ab.scaled_dot_product_attention(q, k, v, need_weights=False)),
            ("tiled", lambda: ab.tiled_attention(q, k, v, block_size=128)),
        ]:
            function()  # warm up: lazy allocations are not the call's
            peaks[name], _ = ab.peak_memory(function)
        rows.append({"L": L, "peak_bytes": peaks, "scores_bytes": L * L * 4})
        print(f"  memory L = {L:5d} done", file=sys.stderr, flush=True)
    return {"shape": f"(1, 1, L, {D_HEAD})", "dtype": "float32", "tiled_block_size": 128,
            "rows": rows}


def bench_causal(L, rng, block_size=128) -> dict:
    q, k, v = (rng.standard_normal((1, HEADS, L, D_HEAD), dtype=np.float32) for _ in range(3))
    seconds, median = best_times({
        "full": lambda: ab.tiled_attention(q, k, v, block_size=block_size),
        "causal": lambda: ab.tiled_attention(q, k, v, block_size=block_size, causal=True),
    }, repeats=2)
    return {"L": L, "block_size": block_size, "seconds": seconds, "median_seconds": median,
            "tiles": {"full": len(ab.attention_tiles(L, L, block_size)),
                      "causal": len(ab.attention_tiles(L, L, block_size, causal=True))}}


def bench_kv_cache(positions, rng, d_model=512) -> dict:
    mha = ab.MultiHeadAttention(d_model, HEADS, seed=0, dtype=np.float32)
    rows = []
    for t in positions:
        x = rng.standard_normal((t, d_model), dtype=np.float32)
        mask = ab.causal_mask(t)

        def without_cache():
            return mha(x, x, x, mask=mask, need_weights=False)[0][-1]

        decoder = ab.CachedSelfAttention(mha)
        decoder.prefill(x[:-1])

        def with_cache():  # one step; undo the append so every repeat sees t - 1 cached tokens
            out = decoder.step(x[-1])
            decoder.cache.length -= 1
            return out

        diff = float(np.abs(with_cache() - without_cache()).max())
        seconds, median = best_times({"without_cache": without_cache, "with_cache": with_cache},
                                     repeats=5)
        rows.append({"t": t, "seconds": seconds, "median_seconds": median, "max_abs_diff": diff})
    return {"d_model": d_model, "heads": HEADS, "dtype": "float32", "rows": rows}


def print_tables(results: dict) -> None:
    speed = results["speed"]
    has_torch = "torch" in speed["rows"][0]["seconds"]
    print(f"\nScaled dot-product attention, q, k, v of shape {speed['shape']}, float32 "
          f"(fastest of several calls, ms; ratios measured in this run)")
    header = f"{'L':>6} {'numpy':>9} {'attnbook':>9} {'+weights':>9} {'tiled':>9}"
    header += f" {'torch':>9}" if has_torch else ""
    header += f" | {'ab/numpy':>8} {'+w/numpy':>8}" + (f" {'ab/torch':>8}" if has_torch else "")
    print(header)
    for row in speed["rows"]:
        s = {name: 1e3 * t for name, t in row["seconds"].items()}
        line = (f"{row['L']:>6} {s['numpy']:9.2f} {s['attnbook']:9.2f} "
                f"{s['attnbook_weights']:9.2f} {s.get('tiled', float('nan')):9.2f}")
        line += f" {s['torch']:9.2f}" if has_torch else ""
        line += f" | {s['attnbook'] / s['numpy']:8.2f} {s['attnbook_weights'] / s['numpy']:8.2f}"
        line += f" {s['attnbook'] / s['torch']:8.2f}" if has_torch else ""
        print(line)
    worst = max(max(r["max_abs_diff_to_numpy"].values()) for r in speed["rows"])
    print(f"largest |difference| to the numpy result over all L and variants: {worst:.1e}")

    memory = results["memory"]
    print(f"\nPeak memory allocated by one call (tracemalloc), q, k, v of shape {memory['shape']}")
    print(f"{'L':>6} {'numpy':>11} {'attnbook+w':>11} {'attnbook':>11} {'tiled':>11}")
    for row in memory["rows"]:
        p = {name: b / 2**20 for name, b in row["peak_bytes"].items()}
        print(f"{row['L']:>6} {p['numpy']:8.1f}MiB {p['attnbook_weights']:8.1f}MiB "
              f"{p['attnbook']:8.1f}MiB {p['tiled']:8.2f}MiB")

    causal = results["causal"]
    s = causal["seconds"]
    print(f"\nTiled attention at L = {causal['L']}, block {causal['block_size']}: causal visits "
          f"{causal['tiles']['causal']} of {causal['tiles']['full']} tiles and takes "
          f"{s['causal'] / s['full']:.2f}x the time of full attention")

    kv = results["kv_cache"]
    print(f"\nOne decoding step of causal self-attention (d_model = {kv['d_model']}, "
          f"{kv['heads']} heads): fastest call, ms")
    print(f"{'t':>6} {'no cache':>9} {'KV cache':>9} {'ratio':>7}")
    for row in kv["rows"]:
        s = row["seconds"]
        print(f"{row['t']:>6} {1e3 * s['without_cache']:9.3f} {1e3 * s['with_cache']:9.3f} "
              f"{s['without_cache'] / s['with_cache']:7.1f}")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--quick", action="store_true", help="tiny sizes, to check the script")
    args = parser.parse_args(argv)
    if torch is not None:
        torch.set_num_threads(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                              else os.cpu_count())
    rng = np.random.default_rng(0)
    if args.quick:
        lengths, memory_lengths, causal_L, positions = [32, 64], [64, 128], 256, [8, 16]
        global ROUNDS
        ROUNDS = 1
    else:
        lengths = [128, 256, 512, 1024, 2048, 4096]
        memory_lengths = [1024, 2048, 4096, 8192]
        causal_L, positions = 2048, [128, 256, 512, 1024, 2048]
    results = {"machine": machine()}
    results["speed"] = bench_speed(lengths, rng)
    results["memory"] = bench_memory(memory_lengths, rng)
    results["causal"] = bench_causal(causal_L, rng)
    results["kv_cache"] = bench_kv_cache(positions, rng)
    args.out.write_text(json.dumps(results, indent=1) + "\n")
    print_tables(results)
    print(f"\nwritten to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
