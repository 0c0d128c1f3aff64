"""attnbook._blas.one_blas_thread: correct when threads enter and leave it concurrently."""

import threading
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from threadpoolctl import threadpool_info, threadpool_limits

import attnbook._blas as B
from attnbook._blas import one_blas_thread


def blas_threads():
    return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]


@pytest.fixture
def two_blas_threads():
    """BLAS at 2 threads (whatever the machine or OPENBLAS_NUM_THREADS say), restored after."""
    if not blas_threads():
        pytest.skip("no BLAS library found by threadpoolctl")
    with threadpool_limits(limits=2, user_api="blas"):
        if blas_threads() != [2] * len(blas_threads()):
            pytest.skip("this BLAS cannot run 2 threads here")
        yield


def test_overlapping_contexts_restore_only_when_the_last_leaves(two_blas_threads):
    """A enters, B enters, A leaves, B leaves: BLAS stays at 1 until B leaves, then is 2 again.
    (The unsynchronised switch restored 2 when A left and 1 when B left.)"""
    a_in, b_in, a_out, b_checked = (threading.Event() for _ in range(4))
    seen = {}

    def a():
        with one_blas_thread():
            a_in.set()
            b_in.wait(5)
        a_out.set()

    def b():
        a_in.wait(5)
        with one_blas_thread():
            b_in.set()
            a_out.wait(5)
            seen["inside B after A left"] = blas_threads()
        b_checked.set()

    threads = [threading.Thread(target=a), threading.Thread(target=b)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert seen["inside B after A left"] == [1] * len(blas_threads())
    assert blas_threads() == [2] * len(blas_threads())


def test_nested_in_one_thread(two_blas_threads):
    with one_blas_thread():
        with one_blas_thread():
            assert set(blas_threads()) == {1}
        assert set(blas_threads()) == {1}
    assert set(blas_threads()) == {2}


def test_many_threads_at_once_leave_blas_as_it_was(two_blas_threads):
    """The issue's reproduction: several threads use the switch at once, repeatedly."""
    barrier = threading.Barrier(8)
    rng = np.random.default_rng(0)
    a = rng.standard_normal((64, 64))

    def work(i):
        barrier.wait(10)
        for _ in range(20):
            with one_blas_thread():
                assert set(blas_threads()) == {1}
                a @ a
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(work, range(8)))
    assert set(blas_threads()) == {2}


def test_an_error_inside_still_restores(two_blas_threads):
    with pytest.raises(RuntimeError):
        with one_blas_thread():
            raise RuntimeError("boom")
    assert set(blas_threads()) == {2}


def test_attention_fast_path_from_threads_leaves_blas_as_it_was(two_blas_threads):
    import attnbook as ab
    from attnbook import attention

    rng = np.random.default_rng(1)
    q = rng.standard_normal((2, 512, 16))
    old = attention._TILED_SCORES
    attention._TILED_SCORES = 1  # take the tiled, thread-pool path at a small size
    try:
        with ThreadPoolExecutor(4) as pool:
            list(pool.map(lambda _: ab.scaled_dot_product_attention(q, q, q, need_weights=False),
                          range(8)))
    finally:
        attention._TILED_SCORES = old
    assert set(blas_threads()) == {2}


@pytest.mark.parametrize("cores", [1, 2])
def test_on_every_core_runs_items_as_the_caller_would(monkeypatch, cores):
    """Every item runs once, with the caller's numpy error settings; the first failing item
    (in order) raises."""
    monkeypatch.setattr(B, "_cores", lambda: cores)
    done = []
    B.on_every_core(done.append, range(7))
    assert sorted(done) == list(range(7))
    with np.errstate(divide="raise"), pytest.raises(FloatingPointError):
        B.on_every_core(lambda i: np.float64(i) / 0.0, [1, 2, 3])

    def fail(i):
        if i in (2, 5):
            raise ValueError(f"item {i}")

    with pytest.raises(ValueError, match="item 2"):
        B.on_every_core(fail, range(7))
