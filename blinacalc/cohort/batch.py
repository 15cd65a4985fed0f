"""``blinacalc batch``: the calculator over every row of a CSV file, streamed.

The model depends on the patient only through four binary factors (ECOG 0 vs 1+, 1st vs later
salvage, prior HSCT, t(4;11)), each possibly unknown: at most 3^4 = 81 distinct predictions. Each is
computed once, on first sight, and its output cells reused; rows are read and written one at a
time, so memory does not grow with the file.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Generic, TypeVar

from blinacalc.cohort.read import CohortFileError, CohortReader, parse_patient, required_factor_columns
from blinacalc.core import factors as F
from blinacalc.core.defaults import DEFAULT_LANDMARKS
from blinacalc.core.patient import InputError, Patient
from blinacalc.core.result import Interval, Prediction

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


def output_cells(pred: Prediction) -> tuple[str, ...]:
    """The prediction's output columns (all but ``error``), as text: months to 2 decimals, proportions to 4;
    an empty median means not reached within the curve's horizon (OS 60 months, RFS 48)."""

    def median(iv: Interval) -> tuple[str, ...]:
        return (_months(iv.estimate), _months(iv.lo), _months(iv.hi))

    cells: list[str] = [*median(pred.os.median_months)]
    for m in OS_MONTHS:
        lm = pred.os.landmark(m)
        cells += [_prop(lm.estimate), _prop(lm.lo), _prop(lm.hi)]
    cells += median(pred.rfs.median_months)
    cr = pred.response.cr_crh
    cells += [_prop(cr.estimate), _prop(cr.lo), _prop(cr.hi)]
    return tuple(cells)


@dataclass
class BatchResult:
    rows: int = 0
    refused: int = 0
    classes: int = 0


class ByCells(Generic[T]):
    """``summarise`` of a row's prediction once per distinct combination of factor cells (a cohort repeats
    a few of them), on top of :class:`Predictions` (once per model class)."""

    def __init__(self, predictions: Predictions[T]) -> None:
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
        key = (patient.indicators, patient.continuous)
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
    predictions = Predictions(draws, seed, output_cells)
    rows_out = ByCells(predictions)
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
