"""TUI latency, headless (App.run_test): launch to first result, and input change to screen.

Run: python benchmarks/tui_latency.py   (prints a table; not a test: machines are noisy)
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import time

FIRST = """
import asyncio, time
t0 = time.perf_counter()
from blinacalc.tui.app import make_app
async def main():
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        while app.screen.prediction is None if hasattr(app.screen, "prediction") else True:
            await asyncio.sleep(0.002)
        await pilot.pause()
        print(time.perf_counter() - t0)
asyncio.run(main())
"""


def first_result(runs: int = 5) -> list[float]:
    return [
        float(subprocess.run([sys.executable, "-c", FIRST], capture_output=True, text=True, check=True).stdout)
        for _ in range(runs)
    ]


async def input_changes() -> list[float]:
    from textual.widgets import Select

    from blinacalc.tui.app import make_app

    app = make_app()
    out = []
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        for field, values in (("ecog", (0, 1, 2, "unknown")), ("salvage_line", (1, 2, 3, "unknown"))):
            for value in values:
                before = app.screen.prediction
                start = time.perf_counter()
                app.screen.query_one(f"#{field}", Select).value = value
                while app.screen.prediction is before:
                    await asyncio.sleep(0.001)
                await pilot.pause()  # one refresh of the screen
                out.append(time.perf_counter() - start)
    return out


if __name__ == "__main__":
    first = first_result()
    changes = asyncio.run(input_changes())
    print(f"machine: {os.cpu_count()} cores, Python {sys.version.split()[0]}")
    print(f"launch to first result (fresh process, headless): median {1000 * statistics.median(first):.0f} ms")
    print(
        f"input change to screen ({len(changes)} changes): median {1000 * statistics.median(changes):.0f} ms, "
        f"worst {1000 * max(changes):.0f} ms"
    )
