"""SGEMM throughput of numpy (OpenBLAS) at the shapes of softeq's `matmul` bench.

Run in a throwaway virtual environment (numpy is not a dependency of softeq):

    python3 -m venv /tmp/venv-bench && /tmp/venv-bench/bin/pip install numpy
    /tmp/venv-bench/bin/python paper/baselines/numpy_sgemm.py

Prints the median time of repeated products and the resulting GFLOP/s (2 m k n flops).
"""
import json
import time

import numpy as np

SHAPES = [(500, 242, 216), (500, 484, 432), (1024, 1024, 1024)]


def median_seconds(f, min_time=2.0):
    for _ in range(5):
        f()
    times = []
    start = time.perf_counter()
    while time.perf_counter() - start < min_time or len(times) < 20:
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def main():
    rng = np.random.default_rng(0)
    rows = []
    for m, k, n in SHAPES:
        a = rng.standard_normal((m, k), dtype=np.float32)
        b = rng.standard_normal((k, n), dtype=np.float32)
        s = median_seconds(lambda: a @ b)
        rows.append({"shape": f"{m}x{k}x{n}", "seconds": s, "gflops": 2 * m * k * n / s / 1e9})
    print(json.dumps({"numpy": np.__version__, "results": rows}, indent=2))


if __name__ == "__main__":
    main()
