"""``blinacalc batch``: the calculator over every row of a CSV file, a chunk of rows at a time.

The model depends on the patient through four binary factors (ECOG 0 vs 1+, 1st vs later salvage, prior
HSCT, t(4;11)), each possibly unknown (81 patterns), and two continuous ones (marrow blasts, age), each
possibly unknown. For every setting of the continuous factors that batch needs (known ones at
:data:`GRID` values, the rest unknown), every pattern's output numbers are computed together
(:mod:`blinacalc.cohort.tables`); a row's numbers are interpolated from them, cubically in each known
continuous factor. A row with no continuous value known, or with values on the grid, gets ``summary``'s
numbers (exactly when its binary factors are known; to rounding, about 1e-5 months, when some are
unknown, because ``predict`` sums large mixtures in single precision). Between grid values (measured on
300 random rows, every pattern, 2,000 draws): point estimates differ from ``summary``'s by at most
1.5e-5 (proportions) and 0.1 months (medians; 0.03 at the 99th percentile); interval bounds by at most
0.007 and 4.8 months (0.0045 and 1.1 at the 99th percentile), against 0.030 and 11.7 months (0.015 and
3.2) between ``summary`` with ``--seed 0`` and ``--seed 1``: the bounds' own Monte Carlo error is
larger. Where a median is not reached within its horizon at some of the grid values a row's cubic uses,
the row's median is the crossing of its own curve, cubic in the grid values' curves: the point
estimate's, or the pointwise 2.5% or 97.5% band's (97.5% of draws have reached their median by the month
where the 97.5% band crosses one half, so that month is the median's upper bound; likewise the lower).
``tests/cohort/test_tables.py`` checks rows against ``predict``. Rows are read, computed and written a
chunk at a time, so memory does not grow with the file.
"""

from __future__ import annotations

import contextlib
import gc
import io
import itertools
import json
import math
import mmap
import operator
import os
import re
import shutil
import signal
import stat
import struct
import sys
import tempfile
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Generic, NoReturn, TypeVar

import numpy as np

from blinacalc._fork import can_fork, die_with
from blinacalc.cohort import CohortFileError, gridcache, tables
from blinacalc.cohort.read import MAX_LINE_CHARS, CohortReader, records, required_factor_columns
from blinacalc.core import factors as F
from blinacalc.core.defaults import DEFAULT_LANDMARKS
from blinacalc.core.patient import InputError, Patient, check_value
from blinacalc.core.result import MONTHS, Interval, Prediction, Rate
from blinacalc.core.stats import crossing

T = TypeVar("T")
OS_MONTHS = DEFAULT_LANDMARKS
OUTPUT_COLUMNS = (
    "os_median",
    "os_median_lo",
    "os_median_hi",
    *(f"os_{m}mo{part}" for m in OS_MONTHS for part in ("", "_lo", "_hi")),
    "rfs_median",
    "rfs_median_lo",
    "rfs_median_hi",
    "cr_crh",
    "cr_crh_lo",
    "cr_crh_hi",
    "error",
)
MAX_REPORTED = 100  # refused rows listed on stderr one by one; all of them are in the error column


def _months(x: float | None) -> str:
    return "" if x is None else f"{x:.2f}"


def _prop(x: float | None) -> str:
    return "" if x is None else f"{x:.4f}"


Numbers = tuple[float | None, ...]


def output_numbers(pred: Prediction) -> Numbers:
    """The prediction's output columns (all but ``error``) as numbers; None for a median not reached within
    the curve's horizon (OS 60 months, RFS 48)."""

    def triple(iv: Interval | Rate) -> Numbers:
        return (iv.estimate, iv.lo, iv.hi)

    cells: list[float | None] = [*triple(pred.os.median_months)]
    for m in OS_MONTHS:
        lm = pred.os.landmark(m)
        cells += [lm.estimate, lm.lo, lm.hi]
    cells += triple(pred.rfs.median_months)
    cells += triple(pred.response.cr_crh)
    return tuple(cells)


def _is_months(i: int) -> bool:
    """Whether output column ``i`` is a median (months) rather than a proportion."""
    return i < 3 or 3 * (len(OS_MONTHS) + 1) <= i < 3 * (len(OS_MONTHS) + 2)


def format_cells(numbers: Numbers) -> tuple[str, ...]:
    """Output numbers as text: months to 2 decimals, proportions to 4; empty for a median not reached."""
    return tuple(_months(x) if _is_months(i) else _prop(x) for i, x in enumerate(numbers))


def output_cells(pred: Prediction) -> tuple[str, ...]:
    """The prediction's output columns (all but ``error``), as text (:func:`format_cells`)."""
    return format_cells(output_numbers(pred))


# Grid settings computed at once (each holds about 80 MB of single-precision draws while it is computed).
WORKERS = min(len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1, 4)
# Grid values of the continuous factors at which every pattern's numbers are computed for interpolation
# (4-point Lagrange, i.e. cubic, in each factor): every 20% of marrow blasts, and age at 18, 38.7, 59.3 and 80.
GRID: dict[str, np.ndarray] = {"marrow_blasts": np.linspace(0.0, 100.0, 6), "age": np.linspace(18.0, 80.0, 4)}


def _stencils(grid: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each value in ``x``: the first of its 4 grid indices (clamped at the ends), their Lagrange
    (cubic) weights (n, 4), exactly one-hot at a grid value, and whether it is one."""
    first = np.clip(np.searchsorted(grid, x) - 2, 0, len(grid) - 4)
    nodes = grid[first[:, None] + np.arange(4)]
    cubic = np.ones((len(x), 4))
    for j in range(4):
        for m in range(4):
            if m != j:
                cubic[:, j] *= (x - nodes[:, m]) / (nodes[:, j] - nodes[:, m])
    return first, cubic, (nodes == x[:, None]).any(axis=1)


def table_curves(name: str, kind: int) -> slice:
    """Columns of one curve in a setting's row: ``name`` "os"/"rfs", ``kind`` 0 estimate, 1 the 2.5% band,
    2 the 97.5% band."""
    span = tables.CURVES[name]
    width = (span.stop - span.start) // 3
    return slice(span.start + kind * width, span.start + (kind + 1) * width)


Stencil = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


@dataclass
class Plan:
    """Rows' grid settings (:meth:`Grid.request`): per group of rows with the same continuous factors known,
    (known mask, row indices, stencil), and the futures of the settings they use."""

    groups: list[tuple[tuple[bool, ...], np.ndarray, Stencil]] = field(default_factory=list)
    waits: list[Future[np.ndarray]] = field(default_factory=list)


class Grid:
    """Output numbers for rows of (binary pattern, continuous values): exact at grid values of the known
    continuous factors, cubic between them (module docstring). Each grid setting is computed once, for
    every pattern together, on first need: on worker threads (:meth:`request`), so that reading and
    writing rows goes on meanwhile. :meth:`close` stops the workers."""

    def __init__(self, draws: int, seed: int, processes: int = 1) -> None:
        from blinacalc.core.evidence import load_evidence
        from blinacalc.core.model import draw_set, draws_file

        self.ds, self.ev = draw_set(draws, seed), load_evidence()
        # >1: the first request's settings are computed at once on this many processes (:meth:`_compute_forked`)
        self._processes = processes
        self.names = tuple(f.name for f in F.continuous())
        self.used: set[gridcache.Key] = set()  # the settings rows have used
        self._tables: dict[tuple[bool, ...], tuple[np.ndarray, np.ndarray]] = {}
        # Settings are numpy work that mostly releases the interpreter lock: one per processor at a time, on
        # threads started when first needed (none while a run forks its row workers: :meth:`complete`).
        self._pool: ThreadPoolExecutor | None = None
        self._futures: dict[gridcache.Key, Future[np.ndarray]] = {}
        # Settings computed by earlier runs, kept beside the draws (none when the draws are not kept on disk).
        kept = draws_file(draws, seed)
        self._file = None if kept is None else gridcache.file_for(kept)
        self._kept = {} if self._file is None else gridcache.load(self._file, len(tables.patterns()), tables.WIDTH)

    @property
    def settings(self) -> int:
        """How many grid settings rows have used."""
        return len(self.used)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def complete(self) -> None:
        """Compute every setting of each combination of known continuous factors used so far, wait for them,
        and stop the worker threads (started again if a setting is needed later)."""
        for known in {known for known, _ in self._futures}:
            self._submit(known, self._every(known))
        for future in list(self._futures.values()):
            future.result()
        self.close()

    def save(self) -> None:
        """Keep the settings on disk for the next run, if any was computed: every setting of each
        combination of known continuous factors this run used, the missing ones computed now (so that the
        file does not show which grid values a cohort's rows were near: ``gridcache``, privacy)."""
        if self._file is None or not (self._futures.keys() - self._kept.keys()):
            return
        self.complete()
        gridcache.save(self._file, self._kept | {key: f.result() for key, f in self._futures.items()})

    def _shape(self, known: tuple[bool, ...]) -> tuple[int, ...]:
        return tuple(len(GRID[n]) if k else 1 for n, k in zip(self.names, known, strict=True))

    def _every(self, known: tuple[bool, ...]) -> np.ndarray:
        """(m, C) every setting of this combination of known continuous factors."""
        return np.array(list(np.ndindex(*self._shape(known))), dtype=int).reshape(-1, len(known))

    def _compute(self, known: tuple[bool, ...], node: tuple[int, ...]) -> np.ndarray:
        at = tuple(float(GRID[n][i]) if k else None for n, i, k in zip(self.names, node, known, strict=True))
        return tables.setting_numbers(self.ds, self.ev, at)

    def _submit(self, known: tuple[bool, ...], needed: np.ndarray) -> list[Future[np.ndarray]]:
        out = []
        for node in map(tuple, needed):
            key = (known, node)
            if key not in self._futures:
                if key in self._kept:
                    self._futures[key] = Future()
                    self._futures[key].set_result(self._kept[key])
                else:
                    if self._pool is None:
                        self._pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="blinacalc-grid")
                    self._futures[key] = self._pool.submit(self._compute, known, node)
            out.append(self._futures[key])
        return out

    def _table(self, known: tuple[bool, ...], needed: np.ndarray) -> np.ndarray:
        """The table for this known/unknown mask, (P, *grid sizes, numbers + margins), with the grid
        settings ``needed`` (m, C) filled in (waiting for any still being computed)."""
        if known not in self._tables:
            shape = self._shape(known)
            self._tables[known] = (
                np.empty((len(tables.patterns()), *shape, tables.WIDTH)),
                np.zeros(shape, dtype=bool),
            )
        table, done = self._tables[known]
        for node, future in zip(map(tuple, needed), self._submit(known, needed), strict=True):
            if not done[node]:
                table[(slice(None), *node)] = future.result()
                done[node] = True
                self.used.add((known, node))
        return table

    def _groups(self, values: np.ndarray) -> Iterator[tuple[tuple[bool, ...], np.ndarray]]:
        """Rows by which continuous factors are known: (known mask, row indices)."""
        known = ~np.isnan(values)
        code = known @ (1 << np.arange(known.shape[1]))
        for c in np.unique(code):
            rows = np.flatnonzero(code == c)
            yield tuple(bool(k) for k in known[rows[0]]), rows

    def request(self, values: np.ndarray) -> Plan:
        """Start computing the grid settings that rows with continuous ``values`` (n, C) need: the rows' plan
        for :meth:`numbers`, with the settings' futures."""
        plan = Plan()
        for known, rows in self._groups(values):
            plan.groups.append((known, rows, self._stencil(known, values[rows])))
        if self._processes > 1:  # a run split into parts: what its workers will need, now (``complete``)
            self._compute_forked([(known, tuple(node)) for known, *_ in plan.groups for node in self._every(known)])
        for known, _, stencil in plan.groups:
            plan.waits += self._submit(known, stencil[-1])
        return plan

    def _compute_forked(self, keys: list[gridcache.Key]) -> None:
        """Compute the settings ``keys`` that are neither computed nor kept, now, in turn on this process and
        ``processes - 1`` forked ones, which hand them back through shared memory; then on threads as usual.
        On two processors this takes 3.8 s for 35 settings where threads take 4.4 (more while the run reads
        ahead): the settings' Python parts hold the interpreter lock. Used once, by a run that will fork its
        row workers anyway, and only with no other thread running. A setting a forked process did not hand
        back (it failed or could not be started) is computed here."""
        processes, self._processes = self._processes, 1
        todo = [key for key in dict.fromkeys(keys) if key not in self._futures and key not in self._kept]
        if len(todo) < 2 or self._pool is not None or not can_fork():
            return
        processes = min(processes, len(todo))
        shape = (len(todo), len(tables.patterns()), tables.WIDTH)
        shared = mmap.mmap(-1, 8 * math.prod(shape) + len(todo))
        data = np.frombuffer(shared, np.float64, math.prod(shape)).reshape(shape)
        done = np.frombuffer(shared, np.uint8, len(todo), offset=data.nbytes)
        forked: list[int] = []
        try:
            run_pid = os.getpid()
            for first in range(1, processes):
                # Ctrl-C waits until the process is forked and noted here (so that it is stopped), as in
                # ``_Workers.start``
                blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
                try:
                    pid = os.fork()
                except OSError:  # no process to spare: computed here
                    signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
                    break
                if pid:
                    forked.append(pid)
                    signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
                    continue
                code = 1  # the forked process: never returns
                try:
                    die_with(run_pid)
                    signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
                    for i in range(first, len(todo), processes):
                        data[i] = self._compute(*todo[i])
                        done[i] = 1
                    code = 0
                finally:
                    os._exit(code)
            results = {i: self._compute(*todo[i]) for i in range(0, len(todo), processes)}
            while forked:
                os.waitpid(forked[-1], 0)
                forked.pop()
            for i, key in enumerate(todo):
                future: Future[np.ndarray] = Future()
                future.set_result(results[i] if i in results else data[i].copy() if done[i] else self._compute(*key))
                self._futures[key] = future
        finally:
            for pid in forked:  # interrupted or failed here: the forked processes are stopped
                with contextlib.suppress(ChildProcessError, ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                    os.waitpid(pid, 0)
            del data, done
            shared.close()
            tables.release()

    def numbers(self, pattern: np.ndarray, values: np.ndarray, plan: Plan | None = None) -> np.ndarray:
        """(n, NUMBERS) output numbers, NaN for a median not reached: ``pattern`` (n,) pattern indices,
        ``values`` (n, C) continuous values with NaN for unknown; ``plan`` from :meth:`request` of the same
        ``values``, if it was called."""
        out = np.empty((len(pattern), tables.NUMBERS))
        for known, rows, stencil in (plan or self.request(values)).groups:
            out[rows] = self._interpolate(known, pattern[rows], values[rows], stencil)
        return out

    def _stencil(self, known: tuple[bool, ...], values: np.ndarray) -> Stencil:
        """Each row's grid settings (n, S, C), their cubic weights (n, S), whether every known value is on the
        grid (n,), and the settings any row uses (m, C)."""
        n = len(values)
        index, cubic = [], []
        hit = np.ones(n, dtype=bool)  # every known value on the grid
        for c, (name, k) in enumerate(zip(self.names, known, strict=True)):
            if k:
                first, w, on = _stencils(GRID[name], values[:, c])
                index.append(first[:, None] + np.arange(4))
                hit &= on
            else:
                index.append(np.zeros((n, 1), dtype=int))
                w = np.ones((n, 1))
            cubic.append(w)
        grids = np.meshgrid(*[np.arange(ix.shape[1]) for ix in index], indexing="ij")
        picks = np.stack(
            [ix[:, g.ravel()] for ix, g in zip(index, grids, strict=True)], axis=-1
        )  # (n, S, C) settings per row
        w_cubic = self._outer(cubic, grids)
        shape = self._shape(known)
        flat = np.ravel_multi_index(tuple(picks[w_cubic != 0].T), shape)  # the settings any row uses
        needed = np.array(np.unravel_index(np.flatnonzero(np.bincount(flat, minlength=np.prod(shape))), shape)).T
        return picks, w_cubic, hit, needed

    def _interpolate(
        self, known: tuple[bool, ...], pattern: np.ndarray, values: np.ndarray, stencil: Stencil
    ) -> np.ndarray:
        picks, w_cubic, hit, needed = stencil
        table = self._table(known, needed)
        at_settings = tuple(picks[:, :, c] for c in range(picks.shape[2]))
        index_s: tuple[Any, ...] = (pattern[:, None], *at_settings, slice(0, tables.NUMBERS))
        values_s = table[index_s]  # (n, S, numbers)
        finite = np.isfinite(values_s)
        out = np.einsum("ns,nsw->nw", w_cubic, np.where(finite, values_s, 0.0))
        missing = np.einsum("ns,nsw->nw", (w_cubic != 0).astype(float), (~finite).astype(float)) > 0
        out[missing & hit[:, None]] = np.nan  # at grid values, their own "not reached" stands
        missing &= ~hit[:, None]
        for m, col in enumerate(tables.MEDIANS):
            rows = np.flatnonzero(missing[:, col])
            if rows.size:
                # not reached at some grid values the row's cubic uses: the crossing of the row's curve
                # (cubic in the grid values' curves), the estimate's or a pointwise band's (module docstring)
                name = "os" if m < 3 else "rfs"
                where: tuple[Any, ...] = (
                    pattern[rows, None],
                    *(a[rows] for a in at_settings),
                    table_curves(name, m % 3),
                )
                curves = table[where]  # (k, S, T)
                curve = np.einsum("ks,kst->kt", w_cubic[rows], curves)
                months = MONTHS[: curve.shape[1]]
                at = crossing(curve, months)
                out[rows, col] = np.where(at <= months[-1], at, np.nan)
        for est in (0, tables.MEDIANS[3]):  # the interval holds the estimate, as summary's does
            reached = ~np.isnan(out[:, est])
            lo, hi = out[:, est + 1], out[:, est + 2]
            out[:, est + 1] = np.where(reached, np.fmin(lo, out[:, est]), lo)
            out[:, est + 2] = np.where(reached & ~np.isnan(hi), np.maximum(hi, out[:, est]), hi)
        return out

    @staticmethod
    def _outer(weights: list[np.ndarray], grids: Sequence[np.ndarray]) -> np.ndarray:
        """(n, S) the product of each factor's weight at each setting of the stencil."""
        out = np.ones((len(weights[0]), grids[0].size))
        for w, g in zip(weights, grids, strict=True):
            out = out * w[:, g.ravel()]
        return out


@dataclass
class BatchResult:
    rows: int = 0
    refused: int = 0
    classes: int = 0
    processes: int = 1  # the run's own and its row workers (:func:`run`)


class Predictions(Generic[T]):
    """``summarise(predict(patient))`` once per model class (the patient's four indicators), on first sight;
    shared by ``batch`` and ``validate``."""

    def __init__(self, draws: int, seed: int, summarise: Callable[[Prediction], T]) -> None:
        self.draws, self.seed, self._summarise = draws, seed, summarise
        self._by_class: dict[tuple[tuple[bool | None, ...], tuple[float | None, ...]], T] = {}

    def __call__(self, patient: Patient) -> T:
        key = (patient.indicators, patient.continuous)  # continuous values: exact (batch interpolates)
        if key not in self._by_class:
            from blinacalc.core.model import predict

            self._by_class[key] = self._summarise(predict(patient, draws=self.draws, seed=self.seed))
        return self._by_class[key]

    def __len__(self) -> int:
        return len(self._by_class)


CHUNK = 8192  # rows read, computed and written together
LOOKAHEAD = 16  # chunks read ahead while their grid settings are computed


class _Reader:
    """Rows' factor cells -> (pattern index, continuous values), with markers where a cell is refused; each
    distinct cell text is read once (per factor for the continuous ones; per combination for the binary
    ones). A refusal is worded as :func:`~blinacalc.cohort.read.parse_patient` (``summary``) words it."""

    LIMIT = 200_000  # distinct texts kept per cache: free-text cells could make every one new

    def __init__(self, keys: list[str]) -> None:
        self._columns = [(f, keys.index(f.name) if f.name in keys else None) for f in F.factors()]
        self._binary = [keys.index(f.name) for f in F.binary()]
        self._continuous = [(c, col) for c, (f, col) in enumerate(self._columns) if f.continuous]
        self._patterns: dict[tuple[str, ...], int] = {}  # -1: refused
        self._values: list[dict[str, float]] = [{} for _ in self._continuous]  # NaN unknown, inf refused
        self._judged: list[dict[str, tuple[object, str, str]]] = [{} for _ in self._columns]

    def _judge(self, c: int, text: str) -> tuple[object, str, str]:
        """Factor ``c``'s cell ``text``: (value, why it cannot be read, why the model refuses it), each reason
        "" if none, as :func:`parse_patient` reads it (``parse_text``, then ``check_value``); kept."""
        seen = self._judged[c]
        if text in seen:
            return seen[text]
        f = self._columns[c][0]
        value: object = None
        unread = refused = ""
        try:
            value = F.parse_text(f, text)
        except ValueError as exc:
            unread = str(exc)
        else:
            try:
                check_value(f, value)
            except InputError as exc:
                refused = exc.message
        if len(seen) < self.LIMIT:
            seen[text] = (value, unread, refused)
        return value, unread, refused

    def refusal(self, raw: list[str]) -> str:
        """The row's refusal as :func:`parse_patient` (``summary``) words it: the first cell that cannot be
        read, in table order, else the first value the model refuses."""
        judged = [(f, self._judge(c, "" if col is None else raw[col])) for c, (f, col) in enumerate(self._columns)]
        for f, (_, unread, _) in judged:
            if unread:
                return f"{f.name}: {unread}"
        for f, (_, _, refused) in judged:
            if refused:
                return f"{f.name}: {refused}"
        raise AssertionError("a row refused by batch's reader is accepted by parse_patient")

    def _pattern(self, key: tuple[str, ...]) -> int:
        try:
            values = {f.name: F.parse_text(f, text) for f, text in zip(F.binary(), key, strict=True)}
            found = tables.pattern_index(Patient(**values).indicators)
        except (ValueError, InputError):
            found = -1
        if len(self._patterns) < self.LIMIT:
            self._patterns[key] = found
        return found

    def _value(self, c: int, seen: dict[str, float], text: str) -> float:
        value, unread, refused = self._judge(c, text)
        parsed = np.inf if unread or refused else np.nan if value is None else float(value)  # type: ignore[arg-type]
        if len(seen) < self.LIMIT:
            seen[text] = parsed
        return parsed

    def read(self, raws: list[list[str]]) -> tuple[np.ndarray, np.ndarray]:
        """Rows of the right width -> each row's pattern index (n,), -1 where refused, and its continuous
        factors' values (n, C), NaN unknown and inf refused. Column by column: the cached common case is one
        dictionary look-up per cell."""
        seen_p, miss_p = self._patterns, self._pattern
        keys: Iterator[tuple[str, ...]]
        if len(self._binary) == 1:
            keys = ((raw[self._binary[0]],) for raw in raws)
        else:
            keys = map(operator.itemgetter(*self._binary), raws)
        patterns = np.array([seen_p[k] if k in seen_p else miss_p(k) for k in keys], dtype=np.int64)
        values = np.empty((len(raws), len(self._continuous)))
        for j, ((c, col), seen) in enumerate(zip(self._continuous, self._values, strict=True)):
            texts = [""] * len(raws) if col is None else list(map(operator.itemgetter(col), raws))
            values[:, j] = [seen[t] if t in seen else self._value(c, seen, t) for t in texts]
        return patterns, values


def run(
    source: Path,
    out: IO[str],
    *,
    fmt: str = "csv",
    draws: int,
    seed: int,
    on_refused: Callable[[str], None] = lambda line: None,
    on_progress: Callable[[int], None] | None = None,
) -> BatchResult:
    """Read ``source``, write one output row per input row to ``out``, in order; return the counts.

    A large file is split at line ends into parts, one per processor: once the first chunk's grid settings
    are computed (every setting of each combination of known continuous factors it used), the other parts
    are read, computed and written by forked worker processes into temporary files, which are then copied
    to ``out`` in order (Linux only; :func:`_parts` says when a file can be split). The output is the same
    as one process writes. Raises CohortFileError for a file that cannot be used at all (missing columns,
    not UTF-8, ...).
    """
    reader = CohortReader.open(source, ("id", *required_factor_columns()))
    clash = sorted(set(reader.keys) & set(OUTPUT_COLUMNS))
    if clash:
        reader.close()
        raise CohortFileError(f"{source}: input column {clash[0]!r} has the name of an output column; rename it")
    header = [*reader.header, *OUTPUT_COLUMNS]
    write = _csv_writer(out, header) if fmt == "csv" else _json_writer(out, header, reader.keys)
    # Every part is read through the file the header was read from (a file replaced or removed meanwhile,
    # by an export job's atomic save, say, cannot mix into the rows).
    fd = reader.fh.fileno()
    parts = _parts(fd, WORKERS)
    workers = _Workers(source, fd, parts[1:], fmt, header, reader.keys, on_progress)
    progress = None if on_progress is None else lambda done: on_progress(done + workers.rows_written())
    rows = _Rows(reader.keys, write, draws, seed, on_refused, progress, processes=WORKERS if parts else 1)
    # Rows are lists of strings: no reference cycles, but each chunk allocates tens of thousands of them,
    # and the default threshold runs a collection every 700 (about 0.6 s of a 1,000,000-row file).
    thresholds = gc.get_threshold()
    gc.set_threshold(max(thresholds[0], 100_000), *thresholds[1:])
    try:
        if not parts:
            rows.run(reader.records())
        else:
            rows.run(_range_records(source, fd, *parts[0]), after_first=lambda: workers.start(rows))
            workers.finish(out, rows)
            # The parts no worker took, here in turn: the first chunk needed no grid, another thread ran, or
            # no more processes could be started.
            for part in parts[1 + len(workers.started) :]:
                rows.run(_range_records(source, fd, *part))
        if rows.grid is not None:
            rows.grid.save()
    finally:
        workers.stop()
        gc.set_threshold(*thresholds)
        reader.close()
        if rows.grid is not None:
            rows.grid.close()
    if fmt == "json":
        out.write(JSON_END)
    rows.result.classes = 0 if rows.grid is None else rows.grid.settings
    rows.result.processes = 1 + len(workers.started)
    return rows.result


class _Rows:
    """Reads rows, computes their numbers and writes them, a chunk at a time, in order: a run's work, or
    one part's in a worker process."""

    def __init__(
        self,
        keys: list[str],
        write: Writer,
        draws: int,
        seed: int,
        on_refused: Callable[[str], None],
        on_progress: Callable[[int], None] | None,
        grid: Grid | None = None,
        processes: int = 1,
    ) -> None:
        self.cells = _Reader(keys)
        self.width = len(keys)
        self.write = write
        self.draws, self.seed = draws, seed
        self.on_refused, self.on_progress = on_refused, on_progress
        self.grid = grid
        self.processes = processes  # to compute the first chunk's grid settings on (``Grid``)
        self.result = BatchResult()
        self._blanks = [""] * (len(OUTPUT_COLUMNS) - 1)

    def run(self, records: Iterator[tuple[int, list[str]]], after_first: Callable[[], None] | None = None) -> None:
        """Every row of ``records``; ``after_first`` is called once the first chunk is written."""
        # Chunks read ahead while their grid settings are computed on worker threads, then finished in order.
        pending: deque[_Chunk] = deque()

        def finish_next() -> None:
            nonlocal after_first
            self._finish(pending.popleft())
            if after_first is not None:
                then = after_first
                after_first = None
                then()

        for batch in _batched(records):
            pending.append(self._read(batch))
            while pending and (
                len(pending) > LOOKAHEAD or pending[0].plan is None or all(f.done() for f in pending[0].plan.waits)
            ):
                finish_next()
        while pending:
            finish_next()

    def _read(self, records: tuple[tuple[int, list[str]], ...]) -> _Chunk:
        width, cells, result = self.width, self.cells, self.result
        raws = [raw for _, raw in records]
        errors = [""] * len(raws)
        if any(n != width for n in set(map(len, raws))):
            for i, raw in enumerate(raws):
                if len(raw) != width:
                    errors[i] = f"row: expected {width} fields, got {len(raw)}"
                    raws[i] = (raw + [""] * width)[:width]  # keep the columns aligned
        patterns, values = cells.read(raws)
        ok = (patterns >= 0) & ~np.isinf(values).any(axis=1)
        ok[[i for i, error in enumerate(errors) if error]] = False  # (rows of the wrong width)
        for i in np.flatnonzero(~ok).tolist():
            if not errors[i]:
                errors[i] = cells.refusal(raws[i])
            result.refused += 1
            if result.refused <= MAX_REPORTED:
                self.on_refused(f"line {records[i][0]}: {errors[i]}")
        chunk = _Chunk(raws, errors, np.flatnonzero(ok))
        if chunk.good.size:
            if self.grid is None:
                self.grid = Grid(self.draws, self.seed, self.processes)
            chunk.patterns, chunk.values = patterns[chunk.good], values[chunk.good]
            chunk.plan = self.grid.request(chunk.values)
        return chunk

    def _finish(self, chunk: _Chunk) -> None:
        texts = [self._blanks] * len(chunk.raws)
        if chunk.good.size:
            assert self.grid is not None and chunk.plan is not None
            numbers = _format_block(self.grid.numbers(chunk.patterns, chunk.values, chunk.plan))
            for i, row in zip(chunk.good.tolist(), numbers, strict=True):
                texts[i] = row
        self.write(chunk.raws, texts, chunk.errors)
        self.result.rows += len(chunk.raws)
        if self.on_progress is not None:
            self.on_progress(self.result.rows)


# The least data (bytes of rows) a row worker process is started for.
PART_BYTES = 4 << 20
Part = tuple[int, int, int]  # a byte range of a file's rows (start, end) and the number of its first line


def _parts(fd: int, workers: int) -> list[Part]:
    """The rows of the open file ``fd`` (after its header) split at line ends into up to ``workers`` byte
    ranges of at least :data:`PART_BYTES`, for row workers; none (``[]``) for a file that is small, not a
    regular file, or not safe to split at line ends: one with a quote (a quoted cell may hold a line break)
    or a carriage return not followed by a line feed (which also ends a line for the CSV reader), or a line
    longer than the reader accepts. Linux only (forking a process that has loaded numpy is not safe
    everywhere). Read with ``pread``: the descriptor's own position is left alone."""
    if workers < 2 or sys.platform != "linux":
        return []
    try:
        info = os.fstat(fd)
        size = info.st_size
        if not stat.S_ISREG(info.st_mode) or size < 2 * PART_BYTES:
            return []
        head = _line_end(fd, 0)
        header = b"" if head is None else os.pread(fd, head, 0)
        if head is None or b'"' in header or b"\r" in header[:-2]:
            return []
        count = min(workers, (size - head) // PART_BYTES)
        bounds = [head]
        for i in range(1, count):
            end = _line_end(fd, head + (size - head) * i // count)
            if end is None:
                return []
            if bounds[-1] < end < size:
                bounds.append(end)
        bounds.append(size)
        if len(bounds) < 3:
            return []
        parts, line = [], 2  # the header is line 1
        for start, end in itertools.pairwise(bounds):
            newlines = _line_ends(fd, start, end)
            if newlines is None:
                return []
            parts.append((start, end, line))
            line += newlines
        return parts
    except OSError:
        return []


def _line_end(fd: int, at: int) -> int | None:
    """The offset just after the first line feed at or after ``at`` (the file's size if there is none before
    its end); None if the line is longer than the reader accepts."""
    block = os.pread(fd, MAX_LINE_CHARS + 1, at)
    found = block.find(b"\n")
    if found < 0:
        return at + len(block) if len(block) <= MAX_LINE_CHARS else None
    return at + found + 1


def _line_ends(fd: int, start: int, end: int) -> int | None:
    """The line feeds in bytes ``start`` to ``end`` of ``fd``; None if they hold a quote or a carriage return
    not followed by a line feed."""
    count, carry = 0, b""
    while start < end:
        block = os.pread(fd, min(end - start, 1 << 22), start)
        if not block:
            break
        start += len(block)
        if b'"' in block:
            return None
        count += block.count(b"\n")
        if b"\r" in block or carry:
            text = carry + block
            carry = b"\r" if text.endswith(b"\r") else b""
            text = text[: len(text) - len(carry)]
            if text.count(b"\r") != text.count(b"\r\n"):
                return None
    return None if carry else count


def _range_records(path: Path, fd: int, start: int, end: int, first: int) -> Iterator[tuple[int, list[str]]]:
    """(line number, raw cells) per row in bytes ``start`` to ``end`` of the open file ``fd`` (``path``, for
    messages), whose first line is line ``first`` (:func:`blinacalc.cohort.read.records`)."""
    text = io.TextIOWrapper(io.BufferedReader(_Slice(fd, start, end), 1 << 16), encoding="utf-8", newline="")
    try:
        yield from records(text, path, first)
    finally:
        text.close()


class _Slice(io.RawIOBase):
    """Bytes ``start`` to ``end`` of the open file ``fd``, as a file of their own, read with ``pread`` (the
    descriptor is shared: its position is never used, and closing this leaves it open)."""

    def __init__(self, fd: int, start: int, end: int) -> None:
        super().__init__()
        self._fd, self._at, self._end = fd, start, end

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        n = os.preadv(self._fd, [memoryview(buffer)[: min(len(buffer), self._end - self._at)]], self._at)
        self._at += n
        return n


def _copy(part: IO[str], out: IO[str]) -> None:
    """A worker's rows (UTF-8 text in ``part``) to ``out``: as bytes when ``out`` is UTF-8 text over a binary
    file (a fraction of the time), else as text."""
    buffer = getattr(out, "buffer", None)
    if buffer is not None and (getattr(out, "encoding", "") or "").lower().replace("-", "") == "utf8":
        out.flush()
        part.buffer.seek(0)  # type: ignore[attr-defined]
        shutil.copyfileobj(part.buffer, buffer, 1 << 20)  # type: ignore[attr-defined]
    else:
        part.seek(0)
        shutil.copyfileobj(part, out, 1 << 20)


@dataclass
class _Worker:
    """A forked process writing one part's rows to ``out``, and at its end a JSON report to ``report``."""

    pid: int
    out: IO[str]
    report: IO[str]
    part: Part


class _Workers:
    """Row worker processes, one per part of the file after the first (:func:`run`)."""

    def __init__(
        self,
        source: Path,
        fd: int,
        parts: list[Part],
        fmt: str,
        header: list[str],
        keys: list[str],
        on_progress: Callable[[int], None] | None,
    ) -> None:
        self.source, self.fd, self.parts, self.fmt, self.header, self.keys = source, fd, parts, fmt, header, keys
        self.on_progress = on_progress
        self.started: list[_Worker] = []
        self._run_pid = os.getpid()
        self._progress = mmap.mmap(-1, 8 * max(1, len(parts)))  # rows written by each worker, shared
        self._merged = False  # their rows are in the run's count

    def start(self, rows: _Rows) -> None:
        """Fork a worker per part once ``rows`` has computed the grid settings of its first chunk: every
        setting of each combination of known continuous factors it used is computed first (the workers have
        them from the fork; any other they compute themselves), and the grid's threads are stopped (a
        process is forked with no other thread running)."""
        if rows.grid is None or not self.parts:
            return  # the rows so far needed no grid: the parts are read here after all
        rows.grid.complete()
        if not can_fork():
            return  # forking while another thread may hold a lock is not safe: the parts are read here
        for slot, part in enumerate(self.parts):
            out = tempfile.TemporaryFile("w+", encoding="utf-8", newline="")  # noqa: SIM115 (closed by stop)
            report = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115 (closed by stop)
            # Ctrl-C waits until the worker is set up and the parent has noted it (each then stops as usual)
            blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
            try:
                pid = os.fork()
            except OSError:  # no process to spare (a limit): the run reads the remaining parts itself
                signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
                out.close()
                report.close()
                return
            if pid == 0:  # the worker: never returns
                self._work(slot, part, rows, out, report, blocked)
            self.started.append(_Worker(pid, out, report, part))
            signal.pthread_sigmask(signal.SIG_SETMASK, blocked)

    def _work(
        self, slot: int, part: Part, parent: _Rows, out: IO[str], report: IO[str], mask: Iterable[int]
    ) -> NoReturn:
        status: dict[str, Any] = {"error": None, "crash": None, "io": None}
        messages: list[str] = []

        def progress(done: int) -> None:
            struct.pack_into("q", self._progress, 8 * slot, done)

        try:
            die_with(self._run_pid)
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
            if self.fmt == "csv":
                write = _csv_writer(out, self.header, first=False)
            else:
                write = _json_writer(out, self.header, self.keys, first=False)
            rows = _Rows(self.keys, write, parent.draws, parent.seed, messages.append, progress, grid=parent.grid)
            try:
                rows.run(_range_records(self.source, self.fd, *part))
            finally:
                used = [] if rows.grid is None else [[list(k), [int(i) for i in n]] for k, n in rows.grid.used]
                status.update(rows=rows.result.rows, refused=rows.result.refused, messages=messages, used=used)
        except CohortFileError as exc:
            status["error"] = str(exc)
        except OSError as exc:  # (its temporary file: a full disk, say) the run writes this part itself
            status["io"] = f"{exc.strerror or exc}"
        except BaseException:  # reported to the parent, which raises it
            import traceback

            status["crash"] = traceback.format_exc()
        finally:
            try:
                with contextlib.suppress(OSError):
                    out.flush()
                report.write(json.dumps(status))
                report.flush()
            finally:
                os._exit(0)

    def rows_written(self) -> int:
        """Rows the workers have written so far and the run has not yet counted as its own."""
        if self._merged:
            return 0
        return sum(struct.unpack_from("q", self._progress, 8 * i)[0] for i in range(len(self.started)))

    def finish(self, out: IO[str], rows: _Rows) -> None:
        """Wait for the workers, then copy their rows to ``out`` in order and add up their counts and refused
        rows (as one process reports them: the first :data:`MAX_REPORTED`). A worker's file error is raised
        after the rows it wrote before it."""
        waiting = [w.pid for w in self.started]
        while waiting:
            waiting = [pid for pid in waiting if os.waitpid(pid, os.WNOHANG) == (0, 0)]
            if waiting:
                if self.on_progress is not None:
                    self.on_progress(rows.result.rows + self.rows_written())
                time.sleep(0.05)
        reported = min(rows.result.refused, MAX_REPORTED)
        self._merged = True
        for worker in self.started:
            worker.report.seek(0)
            text = worker.report.read()
            try:
                status: dict[str, Any] = json.loads(text)
            except ValueError:  # none, or cut short: the worker was stopped (out of memory, say)
                status = {"io": "no report", "crash": None}
            if status["crash"]:
                raise RuntimeError(f"a batch row worker failed:\n{status['crash']}")
            if status["io"]:  # it could not write its files (a full disk) or was stopped: this part here instead
                rows.run(_range_records(self.source, self.fd, *worker.part))
                reported = min(rows.result.refused, MAX_REPORTED)
                continue
            _copy(worker.out, out)
            rows.result.rows += status["rows"]
            rows.result.refused += status["refused"]
            for message in status["messages"][: MAX_REPORTED - reported]:
                rows.on_refused(message)
            reported = min(reported + len(status["messages"]), MAX_REPORTED)
            if rows.grid is not None:
                rows.grid.used.update((tuple(known), tuple(node)) for known, node in status["used"])
            if status["error"]:
                raise CohortFileError(status["error"])
        if self.on_progress is not None:
            self.on_progress(rows.result.rows)

    def stop(self) -> None:
        """Stop any worker still running (the run failed or was interrupted) and close the temporary files."""
        for worker in self.started:
            try:
                if os.waitpid(worker.pid, os.WNOHANG) == (0, 0):
                    os.kill(worker.pid, signal.SIGKILL)
                    os.waitpid(worker.pid, 0)
            except ChildProcessError:
                pass  # already waited for
            worker.out.close()
            worker.report.close()
        self._progress.close()


@dataclass
class _Chunk:
    """Rows read and checked, waiting for their grid settings: ``good`` rows get numbers."""

    raws: list[list[str]]
    errors: list[str]
    good: np.ndarray  # row indices
    patterns: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=int))
    values: np.ndarray = field(default_factory=lambda: np.empty((0, 0)))
    plan: Plan | None = None  # None: no good rows


def _batched(rows: Iterator[T]) -> Iterator[tuple[T, ...]]:
    """Tuples of up to :data:`CHUNK` rows (``itertools.batched`` is 3.12+)."""
    while chunk := tuple(itertools.islice(rows, CHUNK)):
        yield chunk


def _texts(count: int, decimals: int) -> np.ndarray:
    return np.array([f"{i / 10**decimals:.{decimals}f}" for i in range(count)], dtype=object)


_TEXTS: dict[int, np.ndarray] = {}


def _format_block(numbers: np.ndarray) -> list[list[str]]:
    """:func:`format_cells` for a block of rows (n, numbers), NaN for blank: each value's text looked up
    by its rounded hundredths (months) or ten-thousandths (proportions); a value too close to a rounding
    tie to trust the product, or outside the looked-up range, is formatted one by one."""
    out = np.empty(numbers.shape, dtype=object)
    months = np.array([_is_months(i) for i in range(numbers.shape[1])])
    for cols, decimals, top in ((months, 2, 60.0), (~months, 4, 1.0)):
        if decimals not in _TEXTS:
            _TEXTS[decimals] = _texts(round(top * 10**decimals) + 1, decimals)
        texts = _TEXTS[decimals]
        x = numbers[:, cols] * 10**decimals
        r = np.rint(x)
        finite = np.isfinite(x)
        with np.errstate(invalid="ignore"):
            ok = finite & (r >= 0) & (r < len(texts)) & (np.abs(np.abs(x - r) - 0.5) > 1e-6)
        block = texts[np.where(ok, r, 0).astype(int)]
        block[~finite] = ""
        for i, j in zip(*np.nonzero(finite & ~ok), strict=True):
            block[i, j] = f"{numbers[i, np.flatnonzero(cols)[j]]:.{decimals}f}"
        out[:, cols] = block
    rows: list[list[str]] = out.tolist()
    return rows


Writer = Callable[[list[list[str]], list[list[str]], list[str]], None]
JSON_END = "\n]}\n"


_NEEDS_QUOTES = re.compile('[",\r\n]')


def _quoted(cell: str) -> str:
    """One cell as csv.writer writes it (minimal quoting, quotes doubled)."""
    return '"' + cell.replace('"', '""') + '"' if _NEEDS_QUOTES.search(cell) else cell


def _csv_writer(out: IO[str], header: list[str], *, first: bool = True) -> Writer:
    """CSV rows, after the header if ``first`` (else they continue another part's). Text copied from the
    input (header, ids, extra columns) and the error column go through :func:`blinacalc._text.csv_cells`: no
    cell can run as a spreadsheet formula or a terminal control sequence (numbers are written by blinacalc
    and never start with such a character)."""
    import csv

    from blinacalc._text import csv_cell, csv_cells, csv_joined_safe

    writer = csv.writer(out, lineterminator="\n")
    if first:
        writer.writerow([csv_cell(h) for h in header])

    def write(raws: list[list[str]], texts: list[list[str]], errors: list[str]) -> None:
        copied = ",".join(itertools.chain.from_iterable(raws))
        if not csv_joined_safe(copied):  # some copied cell needs changing: row by row
            raws = [csv_cells(raw) for raw in raws]
            copied = ",".join(itertools.chain.from_iterable(raws))
        safe = {e: csv_cell(e) for e in set(errors)}  # refusals repeat: each distinct message checked once
        cells = sum(map(len, raws))
        if copied.count(",") == cells - 1 and not any(c in copied for c in '"\r\n'):
            # The common case: no copied cell needs quoting (no comma, quote or line break in any: the numbers
            # never need it), so a row is its cells joined by commas, as csv.writer would write it (tested),
            # in a fraction of the time.
            lines = map(",".join, map(list.__add__, raws, texts))
            ends = [",\n"] * len(raws)
            if any(errors):
                last = {e: "," + _quoted(c) + "\n" for e, c in safe.items()}
                ends = [last[e] for e in errors]
            out.write("".join(map(str.__add__, lines, ends)))
            return
        writer.writerows([raw + t + [safe[e]] for raw, t, e in zip(raws, texts, errors, strict=True)])

    return write


def _json_writer(out: IO[str], header: list[str], keys: list[str], *, first: bool = True) -> Writer:
    """``{"schema": "blinacalc.batch/1", "columns": [...], "rows": [{...}, ...]}``, streamed a chunk at a
    time (``run`` writes ``JSON_END``); with ``first`` false, rows that continue another part's (which wrote
    at least one). Input cells stay text; output numbers are numbers, blanks null."""
    if first:
        out.write('{"schema": "blinacalc.batch/1", "columns": ' + json.dumps(header) + ', "rows": [')
    names = [*header[: len(keys)], *OUTPUT_COLUMNS]
    separator = "\n" if first else ",\n"

    def write(raws: list[list[str]], texts: list[list[str]], errors: list[str]) -> None:
        nonlocal separator
        for raw, t, error in zip(raws, texts, errors, strict=True):
            numbers = [float(v) if v else None for v in t]
            out.write(separator + json.dumps(dict(zip(names, [*raw, *numbers, error or None], strict=True))))
            separator = ",\n"

    return write


def count_lines(path: Path) -> int:
    """Data lines in ``path`` (for the progress bar): newlines minus the header, read in binary chunks."""
    n = 0
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            n += chunk.count(b"\n")
    return max(n - 1, 0)


def progress_reporter(path: Path) -> tuple[Callable[[int], None], Callable[[], None]]:
    """A rich progress bar on stderr: (advance to N rows, stop)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    total = count_lines(path)
    # Drawn when the count changes (a chunk written, or while waiting for the row workers), not by a thread of
    # its own: a run forks its row workers only when no other thread is running.
    bar = Progress(
        "rows",
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        console=Console(file=sys.stderr),
        auto_refresh=False,
    )
    task = bar.add_task("batch", total=total or None)
    bar.start()
    return (lambda done: bar.update(task, completed=done, refresh=True)), bar.stop
