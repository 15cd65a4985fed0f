"""blinacalc's benchmarks: one command, a table of measured figures beside the budgets.

Run:  python benchmarks/run.py            (full: a few minutes)
      python benchmarks/run.py --quick    (under a minute; CI runs this as a smoke test only)
      python benchmarks/run.py --json     (a machine-readable record on stdout)

Medians over repeated runs; ratios are taken from runs alternated side by side (the summary commands
against a bare `import rich.console, numpy` process, the TUI's first result against a bare Textual app's
first paint), so they hold on a noisy machine. Nothing here asserts a time: shared machines are noisy, so
budgets are read by people (docs/performance.md), not enforced by tests. Runs use a throw-away home,
found as a user's commands find theirs (through platformdirs; on Linux the XDG variables point it here).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = str(Path(__file__).resolve().parent)
HEAVY = ("lifelines", "pandas", "scipy", "textual", "matplotlib")
KNOWN = [
    "--ecog",
    "1",
    "--salvage-line",
    "2",
    "--prior-hsct",
    "no",
    "--t411",
    "no",
    "--marrow-blasts",
    "60",
    "--age",
    "45",
]
# As a user runs it: the `blinacalc` command installed beside this interpreter (`python -m blinacalc` also
# imports runpy and importlib.util, about 3 ms that the command does not pay), else `python -m`.
_COMMAND = Path(sys.executable).with_name("blinacalc")
BLINACALC = [str(_COMMAND)] if _COMMAND.is_file() else [sys.executable, "-m", "blinacalc"]
SUMMARY = [*BLINACALC, "summary"]
COMMANDS = {
    "bare": [sys.executable, "-c", "import rich.console, numpy"],
    "json_known": [*SUMMARY, "--format", "json", *KNOWN],  # every factor known
    "json_unknown": [*SUMMARY, "--format", "json"],  # every factor unknown
    "json_partial": [*SUMMARY, "--format", "json", *KNOWN[:6]],  # issue 19's example: t(4;11), blasts, age unknown
    "rich_known": [*SUMMARY, *KNOWN],  # the rich report (to a pipe: no colours)
}
BUDGETS = {
    "summary_json_known_ratio": ("summary --format json, every factor known / bare", 1.5, "x"),
    "summary_json_unknown_ratio": ("summary --format json, every factor unknown / bare", 1.5, "x"),
    "summary_rich_ratio": ("summary (rich report) / bare", 2.0, "x"),
    "predict_first_ms": ("predict, first call in a fresh process", 1000.0, "ms"),
    "predict_class_median_ms": ("predict, new input class after warm-up (median)", 16.0, "ms"),
    "tui_first_number_ratio": ("TUI first number / bare Textual first paint", 2.0, "x"),
    "tui_first_ratio": ("  the calculator's first result / the same", None, "x"),
    "tui_first_ever_ms": ("TUI, first result on the first run ever", 1000.0, "ms"),
    "tui_change_median_ms": ("TUI, input change to screen (median)", 25.0, "ms"),
    "tui_change_computed_median_ms": ("  the same, nothing computed ahead", 25.0, "ms"),
    "batch_s_per_million": ("batch, seconds per 1,000,000 rows", 10.0, "s"),
    "batch_first_s_per_million": ("  the same, first run ever (nothing kept yet)", 10.0, "s"),
    "batch_peak_mb": ("batch, peak memory (its processes, summed)", 1024.0, "MB"),
    "batch_first_peak_mb": ("  the same, first run ever", 1024.0, "MB"),
}


def _home(folder: str) -> dict[str, str]:
    """Environment variables that keep blinacalc's settings, scenarios and cache in ``folder``. On Linux the
    XDG ones, so that the commands find their folders as a user's do, through platformdirs (importing it is
    about 4.5 ms of every command; runs before 2026-11-22's third session used $BLINACALC_HOME, which skips
    it); elsewhere platformdirs ignores them, so $BLINACALC_HOME (never the user's own folders)."""
    if sys.platform == "linux":
        return {
            name: os.path.join(folder, name.lower()) for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME")
        }
    return {"BLINACALC_HOME": folder}


def _env(home: str | None = None) -> dict[str, str]:
    """This process's environment for a measured command (with ``home``: that throw-away home instead)."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # measure what an installed wheel does: with bytecode
    if home is not None:
        env.pop("BLINACALC_HOME", None)
        env.update(_home(home))
    return env


def _wall(cmd: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True, env=_env())
    return time.perf_counter() - start


def import_cost() -> dict[str, Any]:
    """`python -X importtime` of the summary path: total import time and any heavy module loaded."""
    out = subprocess.run(
        [
            sys.executable,
            "-X",
            "importtime",
            *BLINACALC[BLINACALC[0] == sys.executable :],
            "summary",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        check=True,
        env=_env(),
    )
    modules = {}
    for line in out.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|(\s*)(\S+)", line)
        if m and not m.group(3).strip(" ") and len(m.group(3)) == 1:  # top-level imports only
            modules[m.group(4)] = int(m.group(2)) / 1000
    loaded = {line.split("|")[-1].strip().split(".")[0] for line in out.stderr.splitlines() if "|" in line}
    return {"top_level_ms": round(sum(modules.values()), 1), "heavy_loaded": sorted(set(HEAVY) & loaded)}


def summary_ratio(runs: int) -> dict[str, Any]:
    """Each summary command and the bare import, alternated (so drift hits all alike), draws cache warm:
    medians, and each command's ratio to the bare import."""
    for cmd in COMMANDS.values():
        _wall(cmd)  # fill the draws cache and the parsed evidence; compile bytecode
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(runs):
        for name, cmd in COMMANDS.items():
            times[name].append(_wall(cmd))
    med = {name: statistics.median(t) for name, t in times.items()}
    out: dict[str, Any] = {f"{name}_ms": round(1000 * m, 1) for name, m in med.items()}
    out["summary_json_known_ratio"] = round(med["json_known"] / med["bare"], 2)
    out["summary_json_unknown_ratio"] = round(med["json_unknown"] / med["bare"], 2)
    out["summary_json_partial_ratio"] = round(med["json_partial"] / med["bare"], 2)
    out["summary_rich_ratio"] = round(med["rich_known"] / med["bare"], 2)
    return out


FIRST_CALL = (
    "import time; t=time.perf_counter(); from blinacalc import Patient, predict; "
    "predict(Patient(ecog=1)); print(time.perf_counter()-t)"
)


def predict_latency(runs: int, classes: int) -> dict[str, Any]:
    first = [
        float(subprocess.run([sys.executable, "-c", FIRST_CALL], capture_output=True, text=True, check=True).stdout)
        for _ in range(runs)
    ]
    from blinacalc import Patient, predict

    predict(Patient())  # warm-up: builds the patient-independent draws
    levels = ((0, 1, 2, None), (1, 2, 3, None), (True, False, None), (True, False, None))
    times, full = [], []
    for e, s, h, t in itertools.islice(itertools.product(*levels), classes):
        start = time.perf_counter()
        pred = predict(Patient(e, s, h, t))
        times.append(time.perf_counter() - start)
        pred.scenarios.compute()  # the remission scenarios, computed when first read (report, Scenarios tab)
        full.append(time.perf_counter() - start)
    return {
        "predict_first_ms": round(1000 * statistics.median(first), 1),
        "predict_class_median_ms": round(1000 * statistics.median(times), 1),
        "predict_class_worst_ms": round(1000 * max(times), 1),
        "predict_class_full_median_ms": round(1000 * statistics.median(full), 1),
        "predict_class_full_worst_ms": round(1000 * max(full), 1),
        "classes": len(times),
    }


# How the two launches below end: the app started and timed to its first frame showing a result.
# Prints the first frame showing the headline's number (the first look's or the calculator's), then the
# first frame of the calculator showing its result.
_FIRST_RESULT = """
from frames import record_frames
from blinacalc.tui.app import make_app
async def main():
    app = make_app(**extra)
    numbers = []
    frames = record_frames(app, numbers)
    async with app.run_test(size=(120, 40)) as pilot:
        while not any(p is not None for _, p in frames):
            await asyncio.sleep(0.002)
        print(numbers[0] - t0, next(t for t, p in frames if p is not None) - t0)
        await app.workers.wait_for_complete()  # (its scenarios and the inputs one pick away: then it closes)
asyncio.run(main())
"""
# Launch to the first frame showing the number and to the calculator's first frame showing its result, as
# `blinacalc` starts (blinacalc.cli.run, then cli/tui.py): the allocator prepared, the first result started
# before Textual is imported (blinacalc.tui.first: on a forked process, the first look, where one can be
# forked), the draws read from the throw-away home's cache.
TUI_FIRST = (
    """
import asyncio, sys, time
t0 = time.perf_counter()
sys.path.insert(0, sys.argv[1])
try:  # (so that the same script measures versions before issue 19, for before/after tables)
    from blinacalc.cli import prepare_memory
    try:
        prepare_memory(warm=False)  # as `blinacalc` does for the TUI
    except TypeError:
        prepare_memory()
except ImportError:
    pass
from blinacalc.core.patient import Patient
from blinacalc.store import Store
cache = Store().paths.cache
try:
    from blinacalc.tui.first import FirstLook, start
    look = FirstLook.start(Patient(), 2000, 0, None, cache)
    extra = {"first_look": look} if look is not None else {"first": start(Patient(), 2000, 0, None, cache)}
except ImportError:  # (before the first look)
    from blinacalc.core.model import use_disk_cache
    use_disk_cache(cache)
    try:
        from blinacalc.tui.first import start
        extra = {"first": start(Patient(), 2000, 0, None)}
    except ImportError:
        extra = {}
"""
    + _FIRST_RESULT
)
# The same launch with blinacalc's computing already done when the clock starts (numpy, the model and the
# report code imported, the draws read, the first prediction made): what is left is the screen as blinacalc
# builds it (importing the TUI's modules and the Textual widgets they use, then composing, styling, laying
# out and drawing its 99 widgets). Beside the bare app's floor it says how much of the first result is the
# screen itself, whatever the computing costs.
TUI_SCREEN = (
    """
import asyncio, sys, time
sys.path.insert(0, sys.argv[1])
from blinacalc.cli import prepare_memory
prepare_memory()
from concurrent.futures import Future
from blinacalc.core.model import predict, use_disk_cache
from blinacalc.core.patient import Patient
from blinacalc.store import Store
import blinacalc.tui, blinacalc.report.content, blinacalc.report.evidenceview, blinacalc.report.plot
use_disk_cache(Store().paths.cache)
first = Future()
first.set_result(predict(Patient(), draws=2000, seed=0))
extra = {"first": first}
t0 = time.perf_counter()
"""
    + _FIRST_RESULT
)
# The floor: a bare Textual app showing one Static, launch to its first frame, measured the same way.
TEXTUAL_FIRST = """
import asyncio, sys, time
t0 = time.perf_counter()
sys.path.insert(0, sys.argv[1])
from frames import record_frames
from textual.app import App
from textual.widgets import Static
class Bare(App):
    def compose(self):
        yield Static("blinacalc")
async def main():
    app = Bare()
    frames = record_frames(app)
    async with app.run_test(size=(120, 40)):
        while not frames:
            await asyncio.sleep(0.002)
        print(frames[0][0] - t0)
asyncio.run(main())
"""


async def _tui_changes(count: int, ahead: bool = True) -> list[float]:
    """Input change to screen: from setting a factor to the first composited frame that shows the new
    prediction. (Textual's ``Pilot.pause`` is not a frame: it waits for the processor to be idle for
    a 20-ms slice, so it also counts the wait and any work done in the background.) Each change is one
    pick away from the inputs before it, and comes after the screen is idle: with ``ahead`` (as the app
    runs) its prediction was computed ahead; without, every change computes its prediction."""
    import importlib

    importlib.import_module("blinacalc.tui")  # first, as in the app: it sets Textual's update rate before Textual loads
    from frames import record_frames
    from textual.widgets import Select

    from blinacalc.tui.app import make_app
    from blinacalc.tui.screens.main import MainScreen

    MainScreen.COMPUTE_AHEAD = ahead
    app = make_app()
    frames = record_frames(app)
    out = []
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        from blinacalc.core import factors as F

        changes = [(f.name, v) for f in F.factors()[:2] for v in (*f.levels[:3], "unknown")]
        for field, value in itertools.islice(itertools.cycle(changes), count):
            before = app.screen.prediction
            start = time.perf_counter()
            app.screen.query_one(f"#{field}", Select).value = value
            while app.screen.prediction is before:
                await asyncio.sleep(0.001)
            shown = app.screen.prediction
            await app.workers.wait_for_complete()  # the scenarios too: the next change starts from rest
            await pilot.pause()
            out.append(next(t for t, p in frames if t > start and p is shown) - start)
    return out


def _checked(cmd: list[str], env: dict[str, str] | None = None) -> str:
    """stdout of ``cmd``; on failure, an error that carries its stderr (what went wrong, not just the code)."""
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env or _env())
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[:2]} failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return proc.stdout


def tui_latency(runs: int, changes: int) -> dict[str, Any]:
    ours = [sys.executable, "-c", TUI_FIRST, HERE]
    bare = [sys.executable, "-c", TEXTUAL_FIRST, HERE]
    screen = [sys.executable, "-c", TUI_SCREEN, HERE]
    _checked(ours)  # the draws cache is warm (and bytecode compiled)
    numbers, first, floor, widgets = [], [], [], []
    same_rate = {**_env(), "TEXTUAL_FPS": "240"}  # the update rate blinacalc asks Textual for (tui/__init__.py)
    for _ in range(runs):  # alternated
        floor.append(float(_checked(bare, same_rate)))
        number, result = map(float, _checked(ours).split())
        numbers.append(number)
        first.append(result)
        widgets.append(float(_checked(screen).split()[1]))
    ever, ever_numbers = [], []
    for _ in range(runs):  # the first run ever: nothing cached yet
        with tempfile.TemporaryDirectory(prefix="blinacalc-bench-home-") as home:
            ever_number, ever_result = map(float, _checked(ours, _env(home)).split())
            ever_numbers.append(ever_number)
            ever.append(ever_result)
    times = asyncio.run(_tui_changes(changes))
    computed = asyncio.run(_tui_changes(changes, ahead=False))
    n, f = statistics.median(numbers), statistics.median(first)
    b, w = statistics.median(floor), statistics.median(widgets)
    return {
        "tui_first_number_ms": round(1000 * n, 1),
        "tui_first_number_ratio": round(n / b, 2),
        "tui_first_ms": round(1000 * f, 1),
        "textual_first_paint_ms": round(1000 * b, 1),
        "tui_first_ratio": round(f / b, 2),
        "tui_screen_only_ms": round(1000 * w, 1),
        "tui_screen_only_ratio": round(w / b, 2),
        "tui_first_ever_number_ms": round(1000 * statistics.median(ever_numbers), 1),
        "tui_first_ever_ms": round(1000 * statistics.median(ever), 1),
        "tui_change_median_ms": round(1000 * statistics.median(times), 1),
        "tui_change_worst_ms": round(1000 * max(times), 1),
        "tui_change_computed_median_ms": round(1000 * statistics.median(computed), 1),
        "tui_change_computed_worst_ms": round(1000 * max(computed), 1),
    }


def batch_throughput(rows: int) -> dict[str, Any]:
    """`blinacalc batch` over ``rows`` generated rows (every class, unknowns and refused rows mixed in, marrow
    blasts and age as one-decimal values over their whole range), twice in a new home folder: the first run
    ever (the draws and the grid settings are computed and kept), then a run like every later one (they are
    read). Wall time, rows per second and the child's peak resident memory (wait4)."""
    import random

    rng = random.Random(0)
    folder = Path(tempfile.mkdtemp(prefix="blinacalc-batch-"))
    try:
        source = _cohort_file(rows, rng, folder)
        env = _env(str(folder / "home"))
        first = _batch_run(rows, source, folder, env)
        later = _batch_run(rows, source, folder, env)
    finally:
        shutil.rmtree(folder, ignore_errors=True)  # the input and output are hundreds of MB at 1,000,000 rows
    return {**later, **{k.replace("batch_", "batch_first_"): v for k, v in first.items() if k != "batch_rows"}}


def _cohort_file(rows: int, rng: Any, folder: Path) -> Path:
    source = folder / "cohort.csv"
    from blinacalc.core import factors as F

    def cells(f: F.Factor) -> tuple[str, ...]:
        """Each factor's levels as cells, unknown (blank) and one refused value where it has one."""
        values = (*tuple(F.cell_text(f, v) for v in f.levels), "")
        return values + tuple(str(v) for v, _ in f.refused[-1:])

    def cell(f: F.Factor, levels: tuple[str, ...]) -> str:
        if not f.continuous:
            return rng.choice(levels)
        u = rng.random()  # a tenth unknown, one in a thousand refused (above the maximum), else a value
        lo, hi = float(f.minimum or 0), float(f.maximum or 0)
        return "" if u < 0.1 else f"{hi + 1:g}" if u < 0.101 else f"{rng.uniform(lo, hi):.1f}"

    table = F.factors()
    choices = tuple(cells(f) for f in table)
    with source.open("w") as fh:
        fh.write(f"id,{','.join(f.name for f in table)},site\n")
        for i in range(rows):
            fh.write(f"{i},{','.join(cell(f, c) for f, c in zip(table, choices, strict=True))},ward-{i % 7}\n")
    return source


def _batch_run(rows: int, source: Path, folder: Path, env: dict[str, str]) -> dict[str, Any]:
    cmd = [*BLINACALC, "batch", str(source), "-o", str(folder / "out.csv"), "--force"]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stderr=subprocess.DEVNULL, env=env)
    peak = 0.0  # the command's and its row workers' memory together (Linux), sampled
    while sys.platform == "linux" and proc.poll() is None:
        peak = max(peak, _tree_pss_mb(proc.pid))
        time.sleep(0.05)
    code = proc.returncode
    if code is None:  # elsewhere: the largest process's peak resident size (bytes on macOS, kilobytes elsewhere)
        _, status, usage = os.wait4(proc.pid, 0)
        code = os.waitstatus_to_exitcode(status)
        peak = usage.ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)
    seconds = time.perf_counter() - start
    if code not in (0, 3):  # 3: rows refused (the ECOG 4 rows), as intended
        raise RuntimeError(f"batch failed with exit code {code}")
    return {
        "batch_rows": rows,
        "batch_seconds": round(seconds, 2),
        "batch_rows_per_s": round(rows / seconds),
        # fixed costs (imports, 81 predictions) do not scale: only a full 1,000,000-row run meets the budget's terms
        "batch_s_per_million": round(seconds * 1_000_000 / rows, 1) if rows >= 1_000_000 else None,
        # the peak of the processes' proportional set sizes summed (shared pages counted once), sampled every
        # 50 ms: batch forks row workers, and the largest single process's peak would understate it
        "batch_peak_mb": round(peak, 1),
    }


def _tree_pss_mb(pid: int) -> float:
    """Proportional set size of ``pid`` and its children, in MB (0 where /proc cannot tell)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return 0.0
    total = 0
    for p in (pid, *map(int, children)):
        try:
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])  # kB
        except OSError:
            pass  # ended meanwhile
    return total / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats; under a minute")
    parser.add_argument("--json", action="store_true", help="print a JSON record instead of the table")
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="blinacalc-bench-")
    os.environ.pop("BLINACALC_HOME", None)
    os.environ.update(_home(home))
    runs = 3 if args.quick else 15
    record: dict[str, Any] = {
        "schema": "blinacalc.benchmark/1",
        "quick": args.quick,
        "machine": {"cores": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()},
        "command": BLINACALC,  # the installed command, or python -m where there is none
    }
    try:
        record.update(import_cost())
        record.update(summary_ratio(runs))
        record.update(predict_latency(runs=3 if args.quick else 5, classes=16 if args.quick else 144))
        record.update(tui_latency(runs=2 if args.quick else 5, changes=8 if args.quick else 48))
        record.update(batch_throughput(100_000 if args.quick else 1_000_000))
    finally:
        shutil.rmtree(home, ignore_errors=True)  # its draws and grid files: tens of MB a run
    if args.json:
        print(json.dumps(record, indent=2))
        return 0
    m = record["machine"]
    print(f"machine: {m['cores']} cores, Python {m['python']}, {m['platform']}{' (quick)' if args.quick else ''}")
    print(f"command: {' '.join(record['command'])}")
    print(
        f"summary path imports: {record['top_level_ms']} ms top-level; "
        f"heavy modules: {record['heavy_loaded'] or 'none'}"
    )
    print(
        f"bare `import rich.console, numpy`: {record['bare_ms']} ms; summary --format json: every factor known "
        f"{record['json_known_ms']} ms, unknown {record['json_unknown_ms']} ms, issue 19's example (t(4;11), blasts, "
        f"age unknown) {record['json_partial_ms']} ms ({record['summary_json_partial_ratio']}x); rich report "
        f"{record['rich_known_ms']} ms"
    )
    print(
        f"bare Textual app, first paint: {record['textual_first_paint_ms']} ms; blinacalc TUI, first number: "
        f"{record['tui_first_number_ms']} ms (draws cached), {record['tui_first_ever_number_ms']} ms (first run "
        f"ever); the calculator's first result: {record['tui_first_ms']} ms, {record['tui_first_ever_ms']} ms; "
        f"the same "
        f"launch with blinacalc's computing done before the clock (the screen as blinacalc builds it): "
        f"{record['tui_screen_only_ms']} ms ({record['tui_screen_only_ratio']}x the bare app)"
    )
    print(f"{'measure':<52} {'measured':>10} {'budget':>8}  ")
    for key, (label, budget, unit) in BUDGETS.items():
        value = record[key]
        if value is None:
            print(f"{label:<52} {'-':>10} {budget:>6g}{unit:<2} not measured in --quick (needs 1,000,000 rows)")
            continue
        if budget is None:  # (shown beside a budget, not one)
            print(f"{label:<52} {value:>8}{unit:<2} {'-':>8}")
            continue
        flag = "ok" if value <= budget else "OVER"
        print(f"{label:<52} {value:>8}{unit:<2} {budget:>6g}{unit:<2} {flag}")
    print(
        f"predict worst class: {record['predict_class_worst_ms']} ms; with every scenario computed: median "
        f"{record['predict_class_full_median_ms']} ms, worst {record['predict_class_full_worst_ms']} ms"
    )
    print(
        f"TUI worst change: {record['tui_change_worst_ms']} ms; nothing computed ahead "
        f"{record['tui_change_computed_worst_ms']} ms"
    )
    print(
        f"batch: {record['batch_rows']:,} rows in {record['batch_seconds']} s "
        f"({record['batch_rows_per_s']:,} rows/s); peak {record['batch_peak_mb']} MB; the first run ever "
        f"{record['batch_first_seconds']} s, peak {record['batch_first_peak_mb']} MB"
    )
    return 0


if __name__ == "__main__":
    sys.path[:0] = [HERE, str(Path(HERE).parent)]
    sys.exit(main())
