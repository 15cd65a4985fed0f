"""`batch` on several processes: a large file is split at line ends into parts written by forked workers,
and the output, messages and counts are exactly one process's."""

from __future__ import annotations

import io
import itertools
import os
import random
import signal
import sys
from pathlib import Path

import numpy as np
import pytest

from blinacalc.cli import main
from blinacalc.cohort import CohortFileError, batch, read

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="row workers are forked on Linux only")

DRAWS = ["--draws", "200"]
HEADER = "id,ecog,salvage_line,prior_hsct,t411,marrow_blasts,age,site"


def cohort(rows: int, seed: int = 0, end: str = "\n") -> str:
    """Rows of every kind: known and unknown factors, blasts and age on and between grid values, refused
    cells, rows of the wrong width and blank lines."""
    rng = random.Random(seed)
    lines = [HEADER]
    for i in range(rows):
        u = rng.random()
        if u < 0.01:
            lines.append("")  # a blank line: skipped, but counted in line numbers
            continue
        if u < 0.02:
            lines.append(f"w{i},1,2")  # the wrong number of fields
            continue
        ecog = rng.choice(["0", "1", "2", "", "4"])  # 4 is refused
        blasts = rng.choice(["", "20", f"{rng.uniform(0, 100):.1f}", "101"])  # 101 is refused
        age = rng.choice(["", "59.3", f"{rng.uniform(18, 80):.1f}"])
        cells = [f"p{i}", ecog, rng.choice("12 "), rng.choice(["yes", "no", ""]), rng.choice(["yes", "no", ""])]
        lines.append(",".join([*cells, blasts, age, f"ward {i % 7}"]))
    return end.join(lines) + end


def once(monkeypatch, **settings):
    for name, value in settings.items():
        monkeypatch.setattr(batch, name, value)


def _run(path: Path, fmt: str = "csv") -> tuple[str, batch.BatchResult, list[str], list[int]]:
    out, refused, progress = io.StringIO(), [], []
    result = batch.run(path, out, fmt=fmt, draws=200, seed=0, on_refused=refused.append, on_progress=progress.append)
    return out.getvalue(), result, refused, progress


@pytest.mark.parametrize("fmt", ["csv", "json"])
@pytest.mark.parametrize("end", ["\n", "\r\n"])
def test_workers_write_what_one_process_writes(tmp_path, monkeypatch, fmt, end):
    path = tmp_path / "cohort.csv"
    path.write_text(cohort(12_000, end=end), encoding="utf-8", newline="")
    alone, one, refused_alone, _ = _run(path, fmt)
    assert one.processes == 1  # (files under twice PART_BYTES are not split)
    once(monkeypatch, PART_BYTES=20_000, WORKERS=3)
    split, many, refused_split, progress = _run(path, fmt)
    assert many.processes == 3
    assert split == alone
    assert (many.rows, many.refused, many.classes) == (one.rows, one.refused, one.classes)
    assert refused_split == refused_alone and len(refused_split) == batch.MAX_REPORTED
    assert progress == sorted(progress) and progress[-1] == many.rows


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_the_cli_says_the_same_on_several_processes(tmp_path, monkeypatch, capsys, fmt):
    """Through the command line: the workers' rows are copied to the output file as bytes."""
    path = tmp_path / "cohort.csv"
    path.write_text(cohort(12_000), encoding="utf-8")
    out = tmp_path / "out.csv"
    assert main(["batch", str(path), "-o", str(out), "--format", fmt, *DRAWS]) == 3
    said_alone, written_alone = capsys.readouterr().err, out.read_bytes()
    once(monkeypatch, PART_BYTES=20_000, WORKERS=3)
    assert main(["batch", str(path), "-o", str(out), "--format", fmt, "--force", *DRAWS]) == 3
    assert capsys.readouterr().err == said_alone
    assert out.read_bytes() == written_alone


def test_parts_cover_the_rows_at_line_ends_with_their_line_numbers(tmp_path, monkeypatch):
    text = cohort(5_000)
    path = tmp_path / "cohort.csv"
    path.write_text(text, encoding="utf-8")
    data = text.encode()
    monkeypatch.setattr(batch, "PART_BYTES", 10_000)
    fd = os.open(path, os.O_RDONLY)
    parts = batch._parts(fd, 4)
    assert len(parts) == 4
    assert parts[0][0] == data.index(b"\n") + 1 and parts[-1][1] == len(data)  # after the header, to the end
    for (_, end, _), (start, _, _) in itertools.pairwise(parts):
        assert end == start and data[start - 1 : start] == b"\n"  # adjoining, each after a line end
    for start, _, first in parts:
        assert first == data[:start].count(b"\n") + 1  # the physical line number of the part's first line
    expected = [(n, line.split(",")) for n, line in enumerate(text.split("\n"), 1) if n > 1 and line]
    assert [row for part in parts for row in batch._range_records(path, fd, *part)] == expected
    os.close(fd)


@pytest.mark.parametrize(
    "text",
    [
        HEADER + "\n" + 'p1,1,2,no,no,20,50,"ward\n7"\n' * 2000,  # a quoted cell may hold a line break
        HEADER + "\n" + "p1,1,2,no,no,20,50,ward 7\r" * 2000,  # a carriage return alone ends a line too
        '"id",ecog,salvage_line,prior_hsct,t411\n' + "p1,1,2,no,no\n" * 5000,  # a quote in the header
        HEADER + "\n" + "p1,1,2,no,no,20,50,ward 7\n" * 200,  # too small to split
    ],
)
def test_files_that_are_not_split(tmp_path, monkeypatch, text):
    monkeypatch.setattr(batch, "PART_BYTES", 5_000)
    path = tmp_path / "cohort.csv"
    path.write_text(text, encoding="utf-8", newline="")
    with path.open("rb") as fh:
        assert batch._parts(fh.fileno(), 3) == []


def test_a_pipe_is_not_split(tmp_path, monkeypatch):
    monkeypatch.setattr(batch, "PART_BYTES", 5_000)
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        assert batch._parts(fd, 3) == []
    finally:
        os.close(fd)
    assert batch._parts(fd, 3) == []  # (a closed descriptor: not split, never an error)


def test_an_error_in_a_workers_part_is_the_same_one_line_error(tmp_path, monkeypatch, capsys):
    text = cohort(12_000).encode()
    at = len(text) * 5 // 6
    at = text.index(b"\n", at) + 1
    bad = text[:at] + b"p9,1,2,no,no,20,50,caf\xe9\n" + text[at:]  # not UTF-8, in the last part
    path = tmp_path / "cohort.csv"
    path.write_bytes(bad)
    out = tmp_path / "out.csv"
    assert main(["batch", str(path), "-o", str(out), *DRAWS]) == 2
    said_alone = capsys.readouterr().err
    once(monkeypatch, PART_BYTES=20_000, WORKERS=3)
    assert main(["batch", str(path), "-o", str(out), *DRAWS]) == 2
    said = capsys.readouterr().err
    assert said == said_alone and "is not UTF-8 text" in said and said.count("\n") == 1
    assert not out.exists()  # nothing written


def test_an_overlong_line_in_a_workers_part(tmp_path, monkeypatch):
    monkeypatch.setattr(read, "MAX_LINE_CHARS", 500)
    text = cohort(12_000)
    lines = text.split("\n")
    lines[-100] = "p9,1,2,no,no,20,50," + "x" * 600
    path = tmp_path / "cohort.csv"
    path.write_text("\n".join(lines), encoding="utf-8")
    with pytest.raises(CohortFileError) as alone:
        _run(path)
    once(monkeypatch, PART_BYTES=20_000, WORKERS=3)
    with pytest.raises(CohortFileError) as split:
        _run(path)
    assert str(split.value) == str(alone.value) and "longer than 500 characters" in str(split.value)


def test_a_failing_worker_is_an_error_never_missing_rows(tmp_path, monkeypatch):
    path = tmp_path / "cohort.csv"
    path.write_text(cohort(12_000), encoding="utf-8")
    once(monkeypatch, PART_BYTES=20_000, WORKERS=3)
    parent = os.getpid()
    real = batch._format_block

    def failing(numbers):  # type: ignore[no-untyped-def]
        if os.getpid() != parent:
            raise MemoryError("in a worker")
        return real(numbers)

    monkeypatch.setattr(batch, "_format_block", failing)
    with pytest.raises(RuntimeError, match="a batch row worker failed") as failed:
        _run(path)
    assert "MemoryError: in a worker" in str(failed.value)
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)  # every worker was waited for


def test_no_worker_is_forked_while_another_thread_runs(tmp_path, monkeypatch):
    import threading

    path = tmp_path / "cohort.csv"
    path.write_text(cohort(12_000), encoding="utf-8")
    alone, *_ = _run(path)
    once(monkeypatch, PART_BYTES=20_000, WORKERS=3)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        split, result, _, _ = _run(path)
    finally:
        stop.set()
        other.join()
    assert result.processes == 1 and split == alone  # read here, one part after another


def test_when_no_more_processes_can_be_started_the_run_reads_the_rest(tmp_path, monkeypatch):
    path = tmp_path / "cohort.csv"
    path.write_text(cohort(12_000), encoding="utf-8")
    alone, *_ = _run(path)
    once(monkeypatch, PART_BYTES=20_000, WORKERS=3)
    real, calls = os.fork, []
    monkeypatch.setattr(batch.Grid, "_compute_forked", lambda grid, keys: None)  # (forks only for row workers)

    def fork() -> int:
        calls.append(1)
        if len(calls) == 2:
            raise BlockingIOError("Resource temporarily unavailable")
        return real()

    monkeypatch.setattr(batch.os, "fork", fork)
    split, result, _, progress = _run(path)
    assert result.processes == 2 and split == alone  # one worker; the third part read here, after it
    assert progress == sorted(progress) and progress[-1] == result.rows  # counted once


@pytest.mark.parametrize("change", ["replace", "delete"])
def test_a_file_replaced_or_removed_during_the_run_is_read_as_it_was_opened(tmp_path, monkeypatch, change):
    """(found by review: each part reopened the file by name, so an export job's atomic save during a run mixed
    two files' rows, with normal counts and exit code)"""
    path = tmp_path / "cohort.csv"
    path.write_text(cohort(12_000), encoding="utf-8")
    alone, *_ = _run(path)
    once(monkeypatch, PART_BYTES=20_000, WORKERS=3)
    start = batch._Workers.start

    def changed_then_start(self, rows):  # type: ignore[no-untyped-def]
        if change == "replace":
            other = tmp_path / "other.csv"
            other.write_text(cohort(12_000, seed=1), encoding="utf-8")
            os.replace(other, path)
        else:
            path.unlink()
        return start(self, rows)

    monkeypatch.setattr(batch._Workers, "start", changed_then_start)
    split, result, _, _ = _run(path)
    assert result.processes == 3 and split == alone


def test_a_worker_that_cannot_write_its_part_has_the_run_write_it(tmp_path, monkeypatch):
    """(found by review: a full temporary folder gave a traceback; the run now writes that part itself)"""
    path = tmp_path / "cohort.csv"
    path.write_text(cohort(12_000), encoding="utf-8")
    alone, one, refused_alone, _ = _run(path)
    once(monkeypatch, PART_BYTES=20_000, WORKERS=3)
    parent, real = os.getpid(), batch._csv_writer

    def full(out, header, *, first=True):  # type: ignore[no-untyped-def]
        write = real(out, header, first=first)
        if os.getpid() == parent:
            return write

        def refuse(*args):  # type: ignore[no-untyped-def]
            raise OSError(28, "No space left on device")

        return refuse

    monkeypatch.setattr(batch, "_csv_writer", full)
    split, result, refused, progress = _run(path)
    assert split == alone and refused == refused_alone and (result.rows, result.refused) == (one.rows, one.refused)
    assert progress == sorted(progress) and progress[-1] == result.rows


def test_a_worker_is_stopped_by_the_kernel_if_its_run_is_killed():
    """(found by review: a worker went on for seconds after its run was killed with SIGTERM)"""
    import ctypes

    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            batch.die_with(os.getppid())
            sig = ctypes.c_int(0)
            ctypes.CDLL(None).prctl(2, ctypes.byref(sig))  # PR_GET_PDEATHSIG
            os.write(write, str(sig.value).encode())
        finally:
            os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    assert os.read(read, 16) == str(int(signal.SIGKILL)).encode()
    os.close(read)


def test_ctrl_c_is_one_line_and_leaves_nothing(tmp_path):
    """(found by review: Ctrl-C printed a KeyboardInterrupt traceback) On a file split between processes: exit
    130, one line, no output file, no process left."""
    import subprocess
    import time

    path = tmp_path / "cohort.csv"
    path.write_text(cohort(300_000), encoding="utf-8")
    out = tmp_path / "out.csv"
    env = {**os.environ, "BLINACALC_HOME": str(tmp_path / "home")}
    code = (  # small parts, and each chunk slowed, so that the run is surely still going when interrupted
        "import time; from blinacalc.cohort import batch; batch.PART_BYTES = 1 << 20; fmt = batch._format_block; "
        "batch._format_block = lambda n: (time.sleep(0.2), fmt(n))[1]; from blinacalc.cli import run; run()"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "batch", str(path), "-o", str(out), "--draws", "200"],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    time.sleep(2.5)  # the workers are running
    assert proc.poll() is None
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert err.strip().splitlines()[-1] == "blinacalc batch: error: interrupted" and "Traceback" not in err
    assert not out.exists() and not list(tmp_path.glob("out.csv*"))
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)


def test_a_worker_killed_midway_has_the_run_write_its_part(tmp_path, monkeypatch):
    """A worker stopped without a word (the kernel's out-of-memory killer, say): its part is written by the run,
    in order; nothing is lost or written twice."""
    path = tmp_path / "cohort.csv"
    path.write_text(cohort(12_000), encoding="utf-8")
    alone, *_ = _run(path)
    once(monkeypatch, PART_BYTES=20_000, WORKERS=3)
    parent, real = os.getpid(), batch._format_block

    def killed(numbers):  # type: ignore[no-untyped-def]
        if os.getpid() != parent:
            os.kill(os.getpid(), signal.SIGKILL)
        return real(numbers)

    monkeypatch.setattr(batch, "_format_block", killed)
    split, result, _, _ = _run(path)
    assert split == alone and result.processes == 3


KEYS = [((True, False), (i, 0)) for i in range(6)] + [((False, False), (0, 0))]


def _forked(monkeypatch, grid: batch.Grid) -> list[int]:
    """Compute KEYS on ``grid``'s processes; the processes forked."""
    forks: list[int] = []
    fork = os.fork

    def counted() -> int:
        pid = fork()
        if pid:
            forks.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", counted)
    grid._compute_forked(KEYS)
    monkeypatch.setattr(os, "fork", fork)
    return forks


def _expected() -> dict:
    grid = batch.Grid(200, 0)
    return {key: grid._compute(*key) for key in KEYS}


def _computed(grid: batch.Grid) -> dict:
    assert grid._pool is None  # no thread was started
    return {key: grid._futures[key].result() for key in KEYS}


def _equal(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k], equal_nan=True) for k in a)


def test_a_split_runs_first_settings_are_computed_on_processes_with_the_same_numbers(monkeypatch):
    grid = batch.Grid(200, 0, processes=3)
    assert len(_forked(monkeypatch, grid)) == 2
    assert _equal(_computed(grid), _expected())  # bitwise, as this process computes them
    again = _forked(monkeypatch, grid)  # once only: later settings are computed on threads
    assert again == [] and grid._processes == 1


def test_a_setting_a_forked_process_did_not_hand_back_is_computed_here(monkeypatch):
    run_pid, compute = os.getpid(), batch.Grid._compute

    def failing_elsewhere(self, known, node):
        if os.getpid() != run_pid:
            raise MemoryError  # a forked process fails (it exits without handing its settings back)
        return compute(self, known, node)

    monkeypatch.setattr(batch.Grid, "_compute", failing_elsewhere)
    grid = batch.Grid(200, 0, processes=2)
    assert len(_forked(monkeypatch, grid)) == 1
    monkeypatch.setattr(batch.Grid, "_compute", compute)
    assert _equal(_computed(grid), _expected())


def test_settings_are_computed_here_when_no_process_can_be_started(monkeypatch):
    def no_fork() -> int:
        raise BlockingIOError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(os, "fork", no_fork)
    grid = batch.Grid(200, 0, processes=2)
    grid._compute_forked(KEYS)
    monkeypatch.undo()
    assert _equal(_computed(grid), _expected())


def test_settings_are_not_computed_on_processes_while_another_thread_runs(monkeypatch):
    import threading

    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        grid = batch.Grid(200, 0, processes=2)
        assert _forked(monkeypatch, grid) == []
    finally:
        stop.set()
        other.join()
    assert not grid._futures  # computed on threads when requested, as before


def test_ctrl_c_while_settings_are_computed_stops_the_forked_processes(monkeypatch):
    run_pid, compute = os.getpid(), batch.Grid._compute

    def interrupted_here(self, known, node):
        if os.getpid() == run_pid:
            raise KeyboardInterrupt
        return compute(self, known, node)

    monkeypatch.setattr(batch.Grid, "_compute", interrupted_here)
    grid = batch.Grid(200, 0, processes=2)
    with pytest.raises(KeyboardInterrupt):
        _forked(monkeypatch, grid)
    with pytest.raises(ChildProcessError):
        os.waitpid(-1, os.WNOHANG)  # every forked process was stopped and reaped
