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

import gc
import itertools
import json
import operator
import os
import re
import sys
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Generic, TypeVar

import numpy as np

from blinacalc.cohort import CohortFileError, gridcache, tables
from blinacalc.cohort.read import CohortReader, required_factor_columns
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

    def __init__(self, draws: int, seed: int) -> None:
        from blinacalc.core.evidence import load_evidence
        from blinacalc.core.model import draw_set, draws_file

        self.ds, self.ev = draw_set(draws, seed), load_evidence()
        self.names = tuple(f.name for f in F.continuous())
        self.settings = 0
        self._tables: dict[tuple[bool, ...], tuple[np.ndarray, np.ndarray]] = {}
        # Settings are numpy work that mostly releases the interpreter lock: one per processor at a time.
        self._pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="blinacalc-grid")
        self._futures: dict[gridcache.Key, Future[np.ndarray]] = {}
        # Settings computed by earlier runs, kept beside the draws (none when the draws are not kept on disk).
        kept = draws_file(draws, seed)
        self._file = None if kept is None else gridcache.file_for(kept)
        self._kept = {} if self._file is None else gridcache.load(self._file, len(tables.patterns()), tables.WIDTH)

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)

    def save(self) -> None:
        """Keep the settings on disk for the next run, if any was computed: every setting of each
        combination of known continuous factors this run used, the missing ones computed now (so that the
        file does not show which grid values a cohort's rows were near: ``gridcache``, privacy)."""
        if self._file is None or not (self._futures.keys() - self._kept.keys()):
            return
        for known in {known for known, _ in self._futures}:
            self._submit(known, np.array(list(np.ndindex(*self._shape(known))), dtype=int).reshape(-1, len(known)))
        gridcache.save(self._file, self._kept | {key: f.result() for key, f in self._futures.items()})

    def _shape(self, known: tuple[bool, ...]) -> tuple[int, ...]:
        return tuple(len(GRID[n]) if k else 1 for n, k in zip(self.names, known, strict=True))

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
                self.settings += 1
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
            stencil = self._stencil(known, values[rows])
            plan.groups.append((known, rows, stencil))
            plan.waits += self._submit(known, stencil[-1])
        return plan

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

    Raises CohortFileError for a file that cannot be used at all (missing columns, not UTF-8, ...).
    """
    reader = CohortReader.open(source, ("id", *required_factor_columns()))
    clash = sorted(set(reader.keys) & set(OUTPUT_COLUMNS))
    if clash:
        reader.close()
        raise CohortFileError(f"{source}: input column {clash[0]!r} has the name of an output column; rename it")
    grid: Grid | None = None
    cells = _Reader(reader.keys)
    result = BatchResult()
    blanks = [""] * (len(OUTPUT_COLUMNS) - 1)
    header = [*reader.header, *OUTPUT_COLUMNS]
    width = len(reader.keys)
    write = _csv_writer(out, header) if fmt == "csv" else _json_writer(out, header, reader.keys)
    # Chunks read ahead while their grid settings are computed on worker threads, then finished in order.
    pending: deque[_Chunk] = deque()

    def finish(chunk: _Chunk) -> None:
        texts = [blanks] * len(chunk.raws)
        if chunk.good.size:
            assert grid is not None and chunk.plan is not None
            numbers = _format_block(grid.numbers(chunk.patterns, chunk.values, chunk.plan))
            for i, row in zip(chunk.good.tolist(), numbers, strict=True):
                texts[i] = row
        write(chunk.raws, texts, chunk.errors)
        result.rows += len(chunk.raws)
        if on_progress is not None:
            on_progress(result.rows)

    # Rows are lists of strings: no reference cycles, but each chunk allocates tens of thousands of them,
    # and the default threshold runs a collection every 700 (about 0.6 s of a 1,000,000-row file).
    thresholds = gc.get_threshold()
    gc.set_threshold(max(thresholds[0], 100_000), *thresholds[1:])
    try:
        for records in _batched(reader.records()):
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
                    on_refused(f"line {records[i][0]}: {errors[i]}")
            chunk = _Chunk(raws, errors, np.flatnonzero(ok))
            if chunk.good.size:
                if grid is None:
                    grid = Grid(draws, seed)
                chunk.patterns, chunk.values = patterns[chunk.good], values[chunk.good]
                chunk.plan = grid.request(chunk.values)
            pending.append(chunk)
            while pending and (
                len(pending) > LOOKAHEAD or pending[0].plan is None or all(f.done() for f in pending[0].plan.waits)
            ):
                finish(pending.popleft())
        while pending:
            finish(pending.popleft())
        if grid is not None:
            grid.save()
    finally:
        gc.set_threshold(*thresholds)
        reader.close()
        if grid is not None:
            grid.close()
    if fmt == "json":
        out.write(JSON_END)
    result.classes = 0 if grid is None else grid.settings
    return result


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


def _csv_writer(out: IO[str], header: list[str]) -> Writer:
    """CSV rows. Text copied from the input (header, ids, extra columns) and the error column go through
    :func:`blinacalc._text.csv_cells`: no cell can run as a spreadsheet formula or a terminal control
    sequence (numbers are written by blinacalc and never start with such a character)."""
    import csv

    from blinacalc._text import csv_cell, csv_cells, csv_joined_safe

    writer = csv.writer(out, lineterminator="\n")
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


def _json_writer(out: IO[str], header: list[str], keys: list[str]) -> Writer:
    """``{"schema": "blinacalc.batch/1", "columns": [...], "rows": [{...}, ...]}``, streamed a chunk at a
    time (``run`` writes ``JSON_END``). Input cells stay text; output numbers are numbers, blanks null."""
    out.write('{"schema": "blinacalc.batch/1", "columns": ' + json.dumps(header) + ', "rows": [')
    names = [*header[: len(keys)], *OUTPUT_COLUMNS]
    separator = "\n"

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
    bar = Progress("rows", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(), console=Console(file=sys.stderr))
    task = bar.add_task("batch", total=total or None)
    bar.start()
    return (lambda done: bar.update(task, completed=done)), bar.stop
