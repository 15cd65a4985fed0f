"""Measure `predict` latency: first call in a fresh process, then each input class after warm-up.

Run: python benchmarks/predict_latency.py   (prints a table; not a test: machines are noisy)
"""

from __future__ import annotations

import itertools
import os
import statistics
import subprocess
import sys
import time

FIRST_CALL = (
    "import time; t=time.perf_counter(); from blinacalc import Patient, predict; "
    "predict(Patient(ecog=1)); print(time.perf_counter()-t)"
)


def first_call(runs: int = 5) -> list[float]:
    return [
        float(subprocess.run([sys.executable, "-c", FIRST_CALL], capture_output=True, text=True, check=True).stdout)
        for _ in range(runs)
    ]


def per_class() -> list[float]:
    from blinacalc import Patient, predict

    predict(Patient())  # warm-up: builds the patient-independent draws
    out = []
    levels = ((0, 1, 2, None), (1, 2, 3, None), (True, False, None), (True, False, None))
    for e, s, h, t in itertools.product(*levels):
        start = time.perf_counter()
        predict(Patient(e, s, h, t))
        out.append(time.perf_counter() - start)
    return out


if __name__ == "__main__":
    first = first_call()
    classes = per_class()
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print(f"first call (import + predict, fresh process): median {1000 * statistics.median(first):.0f} ms")
    print(
        f"new input class after warm-up ({len(classes)} classes, 2,000 draws): "
        f"median {1000 * statistics.median(classes):.1f} ms, worst {1000 * max(classes):.1f} ms"
    )
