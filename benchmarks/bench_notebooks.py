"""Benchmark the chapters as a reader runs them: Run All in a live kernel, the first move of a
control, and the kernel's peak memory.

    python benchmarks/bench_notebooks.py                      # every chapter (make bench-notebooks)
    python benchmarks/bench_notebooks.py notebooks/05_*.ipynb --out /tmp/b.json

For each notebook: a fresh ``python3`` kernel is started in ``notebooks/`` the way JupyterLab
starts one (no ``ATTNBOOK_PRERENDER`` in its environment, so interactive figures render lazily),
every cell is executed in order and the wall time from the first request to the last reply is
"Run All". Then the benchmark waits ``PAUSE_S`` seconds with the kernel idle (a reader looking at
the page; idle time is when the remaining frames are drawn) and, in the same kernel, moves
controls from Python (the same observers run as when the browser moves them):

* "reader move": the first control of the chapter's first interactive figure, one step — the
  first thing a reader does; the frame is usually drawn by then (settings one step away are
  drawn first), and the output also says how many figures have all their neighbours drawn;
* "first move": the same figure to a setting not drawn yet (one control, as far as it goes): the
  frame is drawn on demand, the worst case; then a move back (cached);
* one redraw of the first live figure.

Last, the kernel's peak resident memory (``VmHWM`` in ``/proc/<pid>/status``; Linux only) and its
memory at the end (``VmRSS``).

Each chapter is run twice, one run after the other: "lazy" (a reader's kernel) and "eager"
(``ATTNBOOK_PRERENDER=1``: every frame drawn up front, what every kernel did before lazy drawing
and what the book build still does), so that their ratio is measured under the same load.
``--repeat N`` runs each N times (a fresh kernel each) and reports the run with the median Run
All, with every run's time.

Targets (issue 18): Run All <= 10 s on 2 cores, a control's first move redrawn in <= 0.3 s,
peak <= 400 MB. Times depend on the machine and on whatever else runs on it: the output says how
loaded the machine was (the 1-minute load average; 2 means both cores busy).
Results are written as JSON (``--out``, default ``_build/bench_notebooks.json``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

import nbformat
from jupyter_client.manager import KernelManager

ROOT = Path(__file__).resolve().parents[1]

# Both probes start by finding the chapter's interactive figures in the kernel.
_PRELUDE = r"""
import json as _json, time as _time
from ipywidgets.widgets.widget import _instances as _inst
import attnbook.widgets as _abw
_out = {}
_figs = [w for w in list(_inst.values()) if isinstance(w, _abw.InteractiveFigure)]
"""

# Run in the kernel after Run All and a reader's pause (PAUSE_S, the kernel idle): how many
# figures have every setting one step away already drawn, and the first move of the first
# interactive figure's first control by one step (what a reader does first).
READER_PROBE = _PRELUDE + r"""
if _figs and hasattr(_figs[0].store, "neighbours"):
    _out["figures"] = len(_figs)
    _out["neighbours_ready"] = sum(not f.store.neighbours() for f in _figs)
if _figs:
    _f = _figs[0]
    _wait = getattr(_f, "wait_current", lambda: None)
    _name, _ctl = next(iter(_f.controls.items()))
    _to = _ctl.index + 1 if _ctl.index + 1 < len(_ctl.options) else _ctl.index - 1
    _t0 = _time.perf_counter(); _ctl.index = _to; _wait(); _t1 = _time.perf_counter()
    _out["reader_move_s"] = _t1 - _t0
print(_json.dumps(_out))
"""

# Then, in the same kernel: a move to a setting of the first interactive figure that is not
# drawn yet (the frame is drawn on demand: the worst case, e.g. a jump to the far end of a
# slider), a move back (cached), and one redraw of the first live figure.
PROBE = _PRELUDE + r"""
if _figs:
    _f = _figs[0]
    _wait = getattr(_f, "wait_current", lambda: None)  # older attnbook drew everything
    _start = _f.current()
    _todo = [c for c in _f.store.combos() if c not in _f.frames]
    _one = [c for c in _todo if sum(a != b for a, b in zip(c, _start)) == 1]
    _target = (_one or _todo or [_start])[-1]  # one control moved, as far as it goes
    _t0 = _time.perf_counter()
    for _ctl, _i in zip(_f.controls.values(), _target):
        _ctl.index = _i
    _wait(); _t1 = _time.perf_counter()
    for _ctl, _i in zip(_f.controls.values(), _start):
        _ctl.index = _i
    _wait(); _t2 = _time.perf_counter()
    _out["interactive"] = {"first_move_s": _t1 - _t0, "cached_move_s": _t2 - _t1,
                           "undrawn": bool(_todo), "frames_drawn": len(_f.frames),
                           "frames_total": _f.n_frames}
_lives = [w for w in list(_inst.values()) if isinstance(w, _abw.LiveFigure)]
if _lives:
    _l = _lives[0]
    _t0 = _time.perf_counter(); _l.update(); _t1 = _time.perf_counter()
    _out["live"] = {"redraw_s": _t1 - _t0}
print(_json.dumps(_out))
"""
PAUSE_S = 5.0


def _status(pid: int) -> dict[str, int]:
    out = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                out[key] = int(value.split()[0]) // 1024  # kB -> MiB
    except OSError:
        pass
    return out


def bench(path: Path, mode: str = "lazy", timeout: float = 900) -> dict:
    """One Run All of ``path`` in a fresh kernel; ``mode`` "lazy" (a reader's kernel) or "eager"
    (``ATTNBOOK_PRERENDER=1``: every frame drawn up front, as the book build does and as every
    kernel did before lazy drawing)."""
    nb = nbformat.read(path, as_version=4)
    env = {k: v for k, v in os.environ.items() if k != "ATTNBOOK_PRERENDER"}
    if mode == "eager":
        env["ATTNBOOK_PRERENDER"] = "1"
    km = KernelManager(kernel_name="python3")
    km.start_kernel(cwd=str(path.parent), env=env)
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=120)
        pid = km.provisioner.process.pid
        cells = [c for c in nb.cells if c.cell_type == "code"]
        start = time.perf_counter()
        for cell in cells:  # queued like Run All: send all, then wait for every reply
            kc.execute(cell.source, store_history=True)
        errors, pending, replies = [], len(cells), []
        while pending:
            msg = kc.get_shell_msg(timeout=timeout)
            if msg["msg_type"] == "execute_reply":
                pending -= 1
                replies.append(time.perf_counter())
                if msg["content"]["status"] != "ok":
                    errors.append(msg["content"].get("ename", "error"))
        run_all = time.perf_counter() - start
        # cells run one after the other: the time between replies is each cell's time
        cell_s = [b - a for a, b in zip([start] + replies[:-1], replies)]
        slowest = sorted(range(len(cell_s)), key=lambda i: -cell_s[i])[:3]
        mem_after_run = _status(pid)
        time.sleep(PAUSE_S)  # the reader looks at the page; the kernel is idle
        reader = _run(kc, READER_PROBE, timeout)
        probe = _run(kc, PROBE, timeout)
        mem = _status(pid)
        return {"notebook": path.name, "mode": mode, "run_all_s": round(run_all, 2),
                "errors": errors,
                "peak_mib": mem.get("VmHWM"), "rss_end_mib": mem.get("VmRSS"),
                "peak_after_run_all_mib": mem_after_run.get("VmHWM"),
                "slowest_cells": [{"code_cell": i, "s": round(cell_s[i], 2),
                                   "starts": cells[i].source.strip().split("\n")[0][:60]}
                                  for i in slowest], "reader": reader, **probe}
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def _run(kc, code: str, timeout: float) -> dict:
    msg_id = kc.execute(code)
    text = ""
    while True:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "stream":
            text += msg["content"]["text"]
        elif msg["msg_type"] == "error":
            return {"probe_error": msg["content"]["ename"] + ": " + msg["content"]["evalue"]}
        elif msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
    lines = [ln for ln in text.splitlines() if ln.startswith("{")]
    return json.loads(lines[-1]) if lines else {}


def table(results: list[dict]) -> str:
    rows = ["| chapter | mode | Run All (s) | lazy/eager | reader move (s) | neighbours drawn | "
            "undrawn move (s) | cached move (s) | live redraw (s) | peak RSS (MiB) | "
            "RSS at end (MiB) |",
            "|---|---|---|---|---|---|---|---|---|---|---|"]

    def f(x, fmt=".2f"):
        return "—" if x is None else format(x, fmt)

    eager = {r["notebook"]: r["run_all_s"] for r in results if r["mode"] == "eager"}
    for r in results:
        it, live = r.get("interactive", {}), r.get("live", {})
        ratio = (r["run_all_s"] / eager[r["notebook"]]
                 if r["mode"] == "lazy" and eager.get(r["notebook"]) else None)
        rd = r.get("reader", {})
        ready = (f"{rd['neighbours_ready']}/{rd['figures']}" if "figures" in rd else "—")
        rows.append(f"| {r['notebook'][:2]} | {r['mode']} | {f(r['run_all_s'], '.1f')} | "
                    f"{f(ratio)} | {f(rd.get('reader_move_s'), '.3f')} | {ready} | "
                    f"{f(it.get('first_move_s'))} | "
                    f"{f(it.get('cached_move_s'), '.3f')} | {f(live.get('redraw_s'))} | "
                    f"{f(r['peak_mib'], 'd')} | {f(r['rss_end_mib'], 'd')} |")
    return "\n".join(rows)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "bench_notebooks.json")
    parser.add_argument("--repeat", type=int, default=1,
                        help="Run All this many times per chapter and mode (a fresh kernel "
                             "each); the run with the median Run All is reported, with every "
                             "run's time in run_all_runs_s (repeated runs vary by about 10%%)")
    parser.add_argument("--modes", default="lazy,eager",
                        help="lazy (a reader's kernel), eager (every frame up front, as before "
                             "lazy drawing); both by default, one after the other per chapter, "
                             "so their ratio is measured under the same load")
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
    results = []
    load_before = os.getloadavg()[0]
    for path in paths:
        for mode in args.modes.split(","):
            runs = sorted((bench(path, mode) for _ in range(max(1, args.repeat))),
                          key=lambda run: run["run_all_s"])
            r = runs[len(runs) // 2]
            r["errors"] = [e for run in runs for e in run["errors"]]  # from any run
            if len(runs) > 1:
                r["run_all_runs_s"] = [run["run_all_s"] for run in runs]
            results.append(r)
            it = r.get("interactive", {})
            rd = r.get("reader", {})
            print(f"{path.name} ({mode}): Run All {r['run_all_s']:.1f} s, peak {r['peak_mib']} "
                  f"MiB, reader move {rd.get('reader_move_s', float('nan')):.3f} s, undrawn "
                  f"move {it.get('first_move_s', float('nan')):.2f} s, load "
                  f"{os.getloadavg()[0]:.1f}"
                  + (f", runs {r['run_all_runs_s']}" if "run_all_runs_s" in r else "")
                  + (f", ERRORS {r['errors']}" if r["errors"] else ""),
                  flush=True)
    machine = {"cpus": os.cpu_count(), "python": platform.python_version(),
               "load_1min_before": round(load_before, 2),
               "load_1min_after": round(os.getloadavg()[0], 2)}
    print()
    print(table(results))
    print(f"\nmachine: {machine}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"machine": machine, "results": results}, indent=1) + "\n")
    bad = [r["notebook"] for r in results if r["errors"]]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
