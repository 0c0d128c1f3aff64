"""One switch for BLAS threads, shared by the attention fast path, training and the pretrained model."""

from __future__ import annotations

from threadpoolctl import ThreadpoolController

_controller: ThreadpoolController | None = None


def one_blas_thread():
    """A context in which BLAS (OpenBLAS, MKL, ...) runs single-threaded (``threadpoolctl``).

    The limit is process-wide while the context is open: two threads entering and leaving it at
    the same time may leave BLAS with the wrong number of threads.
    """
    global _controller
    if _controller is None:
        _controller = ThreadpoolController()  # finds the BLAS libraries loaded, once
    return _controller.limit(limits=1, user_api="blas")
