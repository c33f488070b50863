#!/usr/bin/env python3
"""Benchmark of the tinywindow Python bindings, measured with time.perf_counter.

    python3 python/bench.py [--seconds 2] [--repeat 3] [--json]

Reports, for the MVP module (tinywindow_rust_encryption) and for
tinywindow.Signer("hmac:seed=42"):

- sign of a 1 KiB payload: calls per second from a Python loop (best of
  --repeat runs);
- sign+verify of a 32-byte payload: latency percentiles of one pair, each
  pair timed on its own;

and the same two measures for a baseline in the same run: the standard
library's hmac.digest (OpenSSL's HMAC-SHA256, one C call), the fastest an
HMAC can be from Python. Targets: sign 1 KiB >= 200k calls/s, p99 of
sign+verify < 20 us. This is a measurement, not a test: it asserts nothing.
"""

import argparse
import hashlib
import hmac
import json
import os
import platform
import sys
import time

import tinywindow
import tinywindow_rust_encryption as mvp


def throughput(fn, seconds, repeat):
    """Best calls/s over repeat runs of about `seconds` each, by the wall
    clock (time.perf_counter), and by the CPU time of this thread
    (time.thread_time), which leaves out the time the thread waited for a CPU
    on a busy machine. Go runs each call on the calling thread, so its work
    is counted."""
    best_wall = best_cpu = 0.0
    for _ in range(repeat):
        n = 0
        batch = 2000
        cpu0 = time.thread_time()
        start = time.perf_counter()
        deadline = start + seconds
        while True:
            for _ in range(batch):
                fn()
            n += batch
            now = time.perf_counter()
            if now >= deadline:
                break
        cpu = time.thread_time() - cpu0
        best_wall = max(best_wall, n / (now - start))
        best_cpu = max(best_cpu, n / cpu) if cpu > 0 else best_cpu
    return best_wall, best_cpu


def latency(fn, seconds, clock=time.perf_counter):
    """Percentiles, in microseconds, of single calls of fn over `seconds`,
    each timed with clock: time.perf_counter (wall time, the measure), or
    time.thread_time (the thread's CPU time, which leaves out the time the
    thread was descheduled on a busy machine; each reading is a system call,
    whose cost is included)."""
    samples = []
    append = samples.append
    for _ in range(2000):  # warm up
        fn()
    deadline = time.perf_counter() + seconds
    while True:
        for _ in range(1000):
            t0 = clock()
            fn()
            append(clock() - t0)
        if time.perf_counter() >= deadline:
            break
    samples.sort()

    def pct(p):
        return samples[min(len(samples) - 1, int(p / 100 * len(samples)))] * 1e6

    return {"n": len(samples), "p50_us": pct(50), "p90_us": pct(90), "p99_us": pct(99), "p999_us": pct(99.9), "max_us": samples[-1] * 1e6}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seconds", type=float, default=2.0, help="duration of each measurement")
    ap.add_argument("--repeat", type=int, default=3, help="throughput runs; the best is reported")
    ap.add_argument("--json", action="store_true", help="print JSON")
    args = ap.parse_args()

    key = mvp.keygen(42)
    kib = os.urandom(1024)
    short = os.urandom(32)
    signer = tinywindow.Signer("hmac:seed=42")
    sig_short = mvp.sign(key, short)
    assert signer.sign(short) == sig_short and hmac.digest(key, short, "sha256") == sig_short

    subjects = {
        "stdlib hmac.digest (baseline)": (
            lambda: hmac.digest(key, kib, "sha256"),
            lambda: hmac.compare_digest(hmac.digest(key, short, "sha256"), hmac.digest(key, short, "sha256")),
        ),
        "tinywindow_rust_encryption": (
            lambda: mvp.sign(key, kib),
            lambda: mvp.verify(key, short, mvp.sign(key, short)),
        ),
        "tinywindow.Signer(hmac:seed=42)": (
            lambda: signer.sign(kib),
            lambda: signer.verify(short, signer.sign(short)),
        ),
    }
    results = {}
    for name, (sign_kib, sign_verify) in subjects.items():
        wall, cpu = throughput(sign_kib, args.seconds, args.repeat)
        results[name] = {
            "sign_1KiB_calls_per_s": wall,
            "sign_1KiB_calls_per_cpu_s": cpu,
            "sign_verify_32B": latency(sign_verify, args.seconds),
            "sign_verify_32B_cpu": latency(sign_verify, args.seconds, time.thread_time),
        }
    signer.close()

    meta = {
        "python": f"{platform.python_implementation()} {platform.python_version()} ({sys.executable})",
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
        "load_average": os.getloadavg(),
    }
    if args.json:
        print(json.dumps({"meta": meta, "results": results}, indent=2))
        return
    print(f"{meta['python']}; {meta['machine']}; load average {meta['load_average'][0]:.2f}")
    base = results["stdlib hmac.digest (baseline)"]
    print(f"{'':32} {'sign 1 KiB':^30}   {'sign+verify 32 B, us':^22}  {'CPU time, us':^13}")
    print(f"{'':32} {'calls/s':>10} {'ratio':>6} {'per CPU-s':>12}   {'p50':>6} {'p99':>6} {'p99.9':>8}  {'p50':>6} {'p99':>6}")
    for name, r in results.items():
        lat, cpu = r["sign_verify_32B"], r["sign_verify_32B_cpu"]
        ratio = r["sign_1KiB_calls_per_s"] / base["sign_1KiB_calls_per_s"]
        print(f"{name:32} {r['sign_1KiB_calls_per_s']:>10,.0f} {ratio:>6.2f} {r['sign_1KiB_calls_per_cpu_s']:>12,.0f}   "
              f"{lat['p50_us']:>6.2f} {lat['p99_us']:>6.2f} {lat['p999_us']:>8.2f}  {cpu['p50_us']:>6.2f} {cpu['p99_us']:>6.2f}")
    print("targets: sign 1 KiB >= 200,000 calls/s; p99 sign+verify < 20 us")


if __name__ == "__main__":
    main()
