"""Many threads calling at once. The library releases the GIL during each
call, so these calls really overlap inside Go."""

import hashlib
import hmac
import os
import threading

import pytest

import tinywindow
import tinywindow_rust_encryption as mvp

THREADS = 8


def run_threads(work, n=THREADS):
    errors = []
    barrier = threading.Barrier(n)

    def wrapped(i):
        try:
            barrier.wait()
            work(i)
        except Exception as e:  # collected and reported by the test
            errors.append(f"thread {i}: {e!r}")

    threads = [threading.Thread(target=wrapped, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_mvp_functions_from_many_threads():
    def work(i):
        key = mvp.keygen(i)
        other = mvp.keygen(i + 1000)
        for j in range(1500):
            payload = os.urandom(j % 300)
            sig = mvp.sign(key, payload)
            assert sig == hmac.new(key, payload, hashlib.sha256).digest()
            assert mvp.verify(key, payload, sig) is True
            assert mvp.verify(other, payload, sig) is False

    assert run_threads(work) == []


def test_shared_signer_from_many_threads():
    with tinywindow.Signer("hmac:seed=42") as s:
        key = mvp.keygen(42)

        def work(i):
            for j in range(1500):
                payload = b"order %d %d" % (i, j) * (j % 5)
                sig = s.sign(payload)
                assert sig == mvp.sign(key, payload)
                assert s.verify(payload, sig) is True

        assert run_threads(work) == []


def test_close_while_other_threads_sign():
    """Closing a Signer that other threads are using gives them ClosedError,
    never a crash or a wrong signature."""
    for _ in range(20):
        s = tinywindow.Signer("hmac:seed=9")
        want = s.sign(b"m")
        outcomes = {"signed": 0, "closed": 0}
        lock = threading.Lock()

        def work(i):
            if i == 0:
                s.close()
                return
            for _ in range(200):
                try:
                    got = s.sign(b"m")
                except tinywindow.ClosedError:
                    with lock:
                        outcomes["closed"] += 1
                    return
                assert got == want
                with lock:
                    outcomes["signed"] += 1

        assert run_threads(work, 4) == []
        assert s.closed
        with pytest.raises(tinywindow.ClosedError):
            s.sign(b"m")


def test_open_and_close_from_many_threads():
    def work(i):
        for j in range(300):
            with tinywindow.Signer(f"hmac:seed={i * 1000 + j}") as s:
                assert s.verify(b"x", s.sign(b"x")) is True
            with pytest.raises(tinywindow.InvalidConfigError):
                tinywindow.Signer("hmac:seed=-1")

    assert run_threads(work) == []
