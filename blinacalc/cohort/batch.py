"""``blinacalc batch``: the calculator over every row of a CSV file, streamed.

The model depends on the patient through four binary factors (ECOG 0 vs 1+, 1st vs later salvage,
prior HSCT, t(4;11)), each possibly unknown (81 combinations), and two continuous ones (marrow blasts,
age), each possibly unknown. Each binary combination's prediction is computed once, on first sight.
Continuous values make almost every row new, and a prediction costs milliseconds, so a row's output
numbers are interpolated, cubically in each continuous factor, from predictions at fixed grid values
(:data:`GRID`; computed on first need, then reused). A row at grid values gets exactly ``summary``'s
numbers; between them, point estimates differ from ``summary``'s by at most 0.0001 (proportions) and
0.01 months (medians), interval bounds by at most 0.005 and 0.7 months: less than the bounds' own Monte
Carlo error (changing ``--seed`` moves them more). ``tests/core/test_continuous.py`` checks a row.
Rows are read and written one at a time, so memory does not grow with the file.
"""

from __future__ import annotations

import itertools
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import IO, Generic, TypeVar

import numpy as np

from blinacalc.cohort.read import CohortFileError, CohortReader, parse_patient, required_factor_columns
from blinacalc.core import factors as F
from blinacalc.core.defaults import DEFAULT_LANDMARKS
from blinacalc.core.patient import InputError, Patient
from blinacalc.core.result import Interval, Prediction, Rate

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


def format_cells(numbers: Numbers) -> tuple[str, ...]:
    """Output numbers as text: months to 2 decimals, proportions to 4; empty for a median not reached."""
    return tuple(
        _months(x) if i < 3 or 3 * (len(OS_MONTHS) + 1) <= i < 3 * (len(OS_MONTHS) + 2) else _prop(x)
        for i, x in enumerate(numbers)
    )


def output_cells(pred: Prediction) -> tuple[str, ...]:
    """The prediction's output columns (all but ``error``), as text (:func:`format_cells`)."""
    return format_cells(output_numbers(pred))


# Grid values of the continuous factors at which predictions are computed for interpolation (4-point
# Lagrange, i.e. cubic, in each factor): every 20% of marrow blasts, and age at 18, 38.7, 59.3 and 80.
GRID: dict[str, np.ndarray] = {"marrow_blasts": np.linspace(0.0, 100.0, 6), "age": np.linspace(18.0, 80.0, 4)}


@lru_cache(maxsize=65536)
def _stencil(name: str, x: float) -> tuple[tuple[int, ...], np.ndarray, np.ndarray]:
    """The 4 grid indices around ``x`` (clamped at the ends), their Lagrange (cubic) weights, and the
    linear weights on the same 4 (non-zero on the 2 that bracket ``x``); one index with weight 1 when ``x``
    is a grid value."""
    grid = GRID[name]
    hit = np.flatnonzero(np.abs(grid - x) < 1e-9)
    if hit.size:
        return (int(hit[0]),), np.ones(1), np.ones(1)
    i = int(np.clip(np.searchsorted(grid, x) - 2, 0, len(grid) - 4))
    nodes = grid[i : i + 4]
    w = np.array([np.prod([(x - nodes[m]) / (nodes[j] - nodes[m]) for m in range(4) if m != j]) for j in range(4)])
    j = int(np.searchsorted(nodes, x)) - 1  # nodes[j] < x < nodes[j + 1]
    linear = np.zeros(4)
    linear[j + 1] = (x - nodes[j]) / (nodes[j + 1] - nodes[j])
    linear[j] = 1.0 - linear[j + 1]
    return tuple(range(i, i + 4)), w, linear


def _contract(block: np.ndarray, weights: list[np.ndarray]) -> np.ndarray:
    """Weighted sum over the leading (continuous) axes of ``block``, one weight vector per axis."""
    with np.errstate(invalid="ignore"):  # inf (not reached) times a weight: handled by the caller
        for w in weights:
            block = np.dot(w, block.reshape(len(w), -1))
    return block.reshape(-1)


class Interpolated:
    """Output numbers for a patient: exact for the binary factors and unknown continuous ones, interpolated
    between :data:`GRID` values for known continuous ones (from exact predictions at those values, each
    computed once and kept in a table per binary class and known/unknown pattern)."""

    def __init__(self, exact: Predictions[Numbers]) -> None:
        self._exact = exact
        self._names = tuple(f.name for f in F.continuous())
        self._tables: dict[tuple[object, ...], tuple[np.ndarray, np.ndarray]] = {}

    def __call__(self, patient: Patient) -> Numbers:
        values = patient.continuous
        known = tuple(v is not None for v in values)
        if not any(known):
            return self._exact(patient)
        stencils = [
            _stencil(n, float(v)) if v is not None else ((0,), np.ones(1), np.ones(1))
            for n, v in zip(self._names, values, strict=True)
        ]
        key = (patient.indicators, known)
        if key not in self._tables:
            shape = tuple(len(GRID[n]) if k else 1 for n, k in zip(self._names, known, strict=True))
            self._tables[key] = (np.full((*shape, len(OUTPUT_COLUMNS) - 1), np.nan), np.zeros(shape, dtype=bool))
        table, done = self._tables[key]
        index = tuple(slice(idx[0], idx[-1] + 1) for idx, _, _ in stencils)  # stencils are contiguous
        if not done[index].all():
            base = patient.to_dict()
            for node in itertools.product(*(idx for idx, _, _ in stencils)):
                if not done[node]:
                    at = {n: float(GRID[n][i]) for n, i, k in zip(self._names, node, known, strict=True) if k}
                    numbers = self._exact(Patient(**{**base, **at}))
                    table[node] = [np.inf if x is None else x for x in numbers]
                    done[node] = True
        block = table[index]
        cubic = _contract(block, [w for _, w, _ in stencils])
        if np.isfinite(cubic).all():
            return tuple(cubic.tolist())
        # Some median is not reached within its horizon at some grid values of the stencil: for that cell,
        # linear between the two bracketing grid values if reached at both, "not reached" if at neither,
        # and the exact prediction for this row if reached at one only.
        linear = _contract(block, [lin for _, _, lin in stencils])
        reached = _contract(np.isfinite(block).astype(float), [(lin > 0).astype(float) for _, _, lin in stencils])
        corners = float(np.prod([(lin > 0).sum() for _, _, lin in stencils]))
        out: list[float | None] = []
        for c in range(cubic.size):
            if np.isfinite(cubic[c]):
                out.append(float(cubic[c]))
            elif reached[c] == corners:
                out.append(float(linear[c]))
            elif reached[c] == 0:
                out.append(None)
            else:
                return self._exact(patient)
        return tuple(out)


@dataclass
class BatchResult:
    rows: int = 0
    refused: int = 0
    classes: int = 0


class ByCells(Generic[T]):
    """``summarise`` of a row's prediction once per distinct combination of factor cells (a cohort repeats
    a few of them), on top of :class:`Predictions` (once per model class)."""

    def __init__(self, predictions: Callable[[Patient], T]) -> None:
        self._predictions = predictions
        self._seen: dict[tuple[str, ...], T | InputError] = {}
        self._names = tuple(f.name for f in F.factors())

    def __call__(self, cells: dict[str, str]) -> T:
        key = tuple([cells.get(name, "") for name in self._names])
        found = self._seen.get(key)
        if found is None:
            try:
                found = self._predictions(parse_patient(cells))
            except InputError as exc:
                found = exc
            if len(self._seen) < 100_000:  # bounded: free-text cells could make every key new
                self._seen[key] = found
        if isinstance(found, InputError):
            raise InputError(found.field, found.message)  # a fresh one: re-raising one object grows its traceback
        return found


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
    predictions = Predictions(draws, seed, output_numbers)
    interpolated = Interpolated(predictions)
    rows_out = ByCells(lambda patient: format_cells(interpolated(patient)))
    result = BatchResult()
    blanks = ("",) * (len(OUTPUT_COLUMNS) - 1)
    header = [*reader.header, *OUTPUT_COLUMNS]
    width = len(reader.keys)
    write = _csv_writer(out, header) if fmt == "csv" else _json_writer(out, header, reader.keys)
    try:
        for line, raw, cells in reader.rows():
            try:
                if cells is None:
                    got, raw = len(raw), (raw + [""] * width)[:width]  # keep the columns aligned
                    raise InputError("row", f"expected {width} fields, got {got}")
                values, error = rows_out(cells), ""
            except InputError as exc:
                values, error = blanks, f"{exc.field}: {exc.message}"
                result.refused += 1
                if result.refused <= MAX_REPORTED:
                    on_refused(f"line {line}: {error}")
            write(raw, values, error)
            result.rows += 1
            if on_progress is not None and result.rows % 10_000 == 0:
                on_progress(result.rows)
    finally:
        reader.close()
    if fmt == "json":
        out.write(JSON_END)
    result.classes = len(predictions)
    return result


Writer = Callable[[list[str], tuple[str, ...], str], None]
JSON_END = "\n]}\n"


def _csv_writer(out: IO[str], header: list[str]) -> Writer:
    """CSV rows. Text copied from the input (header, ids, extra columns) and the error column go through
    :func:`blinacalc._text.csv_cell`: no cell can run as a spreadsheet formula or a terminal control
    sequence (numbers are written by blinacalc and never start with such a character)."""
    import csv

    from blinacalc._text import csv_cell

    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([csv_cell(h) for h in header])

    def write(raw: list[str], values: tuple[str, ...], error: str) -> None:
        writer.writerow([*map(csv_cell, raw), *values, csv_cell(error)])

    return write


def _json_writer(out: IO[str], header: list[str], keys: list[str]) -> Writer:
    """``{"schema": "blinacalc.batch/1", "columns": [...], "rows": [{...}, ...]}``, streamed row by row
    (``run`` writes ``JSON_END``). Input cells stay text; output numbers are numbers, blanks null."""
    out.write('{"schema": "blinacalc.batch/1", "columns": ' + json.dumps(header) + ', "rows": [')
    names = [*header[: len(keys)], *OUTPUT_COLUMNS]
    separator = "\n"

    def write(raw: list[str], values: tuple[str, ...], error: str) -> None:
        nonlocal separator
        numbers = [float(v) if v else None for v in values]
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
