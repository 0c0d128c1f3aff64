"""BLAS threads and the thread pool that runs on them.

``one_blas_thread``: one switch for BLAS threads, shared by the attention fast path, training
and the pretrained model. ``on_every_core``: a thread per core, BLAS on one thread meanwhile
(the attention tiles, the date model's batches)."""

from __future__ import annotations

import contextvars
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import threadpoolctl
from threadpoolctl import ThreadpoolController

_controller: ThreadpoolController | None = None
_lock = threading.Lock()
_users = 0          # contexts open right now, in every thread
_limiter = None     # threadpoolctl's limiter of the first of them; restores the saved limits


def _blas_controller() -> ThreadpoolController:
    global _controller
    if _controller is None:
        _controller = ThreadpoolController()  # finds the BLAS libraries loaded, once
    return _controller


def _release_openblas_control() -> None:
    """threadpoolctl >= 3.8 lets only one "controlling" thread change OpenBLAS's (process-wide)
    thread count and silently ignores the others; the switch below is shared by all threads,
    so it takes control only for the moment it changes the count, then gives it back."""
    controller_class = getattr(threadpoolctl, "OpenBLASController", None)
    clear = getattr(controller_class, "clear_controlling_thread", None)
    if clear is not None:
        clear(force=True)


@contextmanager
def one_blas_thread():
    """A context in which BLAS (OpenBLAS, MKL, ...) runs single-threaded (``threadpoolctl``).

    The BLAS thread count is one setting for the whole process, so the contexts of all threads
    are counted together: the first to enter saves the count and sets it to 1, later ones (in
    the same thread or others, nested or overlapping) only add to the count of users, and the
    last to leave restores the saved count. A lock makes entering and leaving atomic, and the
    thread that leaves last may be another than the one that entered first. While any context
    is open, every BLAS call of the process runs on one thread.
    """
    global _users, _limiter
    with _lock:
        if _users == 0:
            _release_openblas_control()
            _limiter = _blas_controller().limit(limits=1, user_api="blas")
            _release_openblas_control()
        _users += 1
    try:
        yield
    finally:
        with _lock:
            _users -= 1
            if _users == 0:
                limiter, _limiter = _limiter, None
                _release_openblas_control()
                limiter.restore_original_limits()
                _release_openblas_control()


def blas_threads() -> list[int]:
    """The current number of threads of each BLAS library loaded (for tests and diagnostics)."""
    return [lib.num_threads for lib in _blas_controller().select(user_api="blas").lib_controllers]


def on_every_core(work, items) -> None:
    """Apply ``work`` to every item of ``items``, on a pool of one thread per core.

    numpy releases the GIL in ``exp`` and matrix products, so threads use all cores — for the
    element-wise passes too, which numpy itself runs on one core. BLAS is limited to one thread
    meanwhile: BLAS threads on top of the pool's would fight for the same cores. ``work`` must
    not depend on the order the items run in (each item's result is the same either way).
    Each item runs in a copy of the caller's context, so numpy's error settings
    (``np.errstate``, a context variable) are the caller's, as on one core; an error is raised
    for the first item (in order) that fails, and the items not started yet are cancelled.
    """
    items = list(items)
    workers = min(_cores(), len(items))
    if workers < 2:
        for item in items:
            work(item)
        return
    with one_blas_thread(), ThreadPoolExecutor(workers) as pool:
        futures = [pool.submit(contextvars.copy_context().run, work, item) for item in items]
        try:
            for future in futures:
                future.result()
        finally:
            for future in futures:
                future.cancel()


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1
