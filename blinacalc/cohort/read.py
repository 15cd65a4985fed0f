"""Reading cohort CSV files: header checks and the factor cells, with errors that name the column."""

from __future__ import annotations

import csv
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from blinacalc.cohort import CohortFileError
from blinacalc.core import factors as F
from blinacalc.core.patient import InputError, Patient


def required_factor_columns() -> tuple[str, ...]:
    return tuple(f.name for f in F.factors() if not f.optional_column)


def parse_patient(cells: dict[str, str]) -> Patient:
    """The factors from one row's cells (the shared vocabulary of :func:`blinacalc.core.factors.parse_text`):
    blank, 'unknown' or 'NA' is unknown; a missing optional column is unknown. Raises InputError naming
    the column."""
    values = {}
    for f in F.factors():
        text = cells.get(f.name, "")
        try:
            values[f.name] = F.parse_text(f, text)
        except ValueError as exc:
            raise InputError(f.name, str(exc)) from None
    return Patient(**values)


@dataclass
class CohortReader:
    """Rows of a UTF-8 CSV file as dicts keyed by lower-case column name, with their line numbers.

    The header is checked on opening: present, no duplicate names, and every ``required`` column.
    """

    path: Path
    required: tuple[str, ...]
    fh: IO[str]
    header: list[str]
    keys: list[str]

    @classmethod
    def open(cls, path: Path, required: tuple[str, ...], *, flags: dict[str, str] | None = None) -> CohortReader:
        if not path.exists():
            raise CohortFileError(f"{path}: no such file")
        if path.is_dir():
            raise CohortFileError(f"{path} is a folder, not a CSV file")
        mode = path.stat().st_mode
        if stat.S_ISCHR(mode) or stat.S_ISBLK(mode) or stat.S_ISSOCK(mode):
            raise CohortFileError(f"{path} is a device or socket, not a CSV file")  # a FIFO (<(...)) is fine
        fh = path.open(encoding="utf-8-sig", newline="")
        try:
            reader = csv.reader(_bounded_lines(fh, path))
            header = next(reader, None)
        except UnicodeDecodeError:
            fh.close()
            raise CohortFileError(f"{path}: not UTF-8 text; save it as CSV UTF-8") from None
        except csv.Error as exc:
            fh.close()
            raise CohortFileError(f"{path}: not a readable CSV file ({exc})") from None
        if header is None or not any(h.strip() for h in header):
            fh.close()
            raise CohortFileError(f"{path} is empty: expected a header line with the columns {', '.join(required)}")
        keys = [h.strip().lower() for h in header]
        duplicates = sorted({k for k in keys if keys.count(k) > 1})
        if duplicates:
            fh.close()
            raise CohortFileError(f"{path}: column {duplicates[0]!r} appears more than once in the header")
        missing = [c for c in required if c not in keys]
        if missing:
            fh.close()
            named = (flags or {}).get(missing[0])
            where = f"{named}: " if named else ""
            raise CohortFileError(
                f"{where}{path} has no column {missing[0]!r}; needed: {', '.join(required)}; found: {', '.join(header)}"
            )
        return cls(path, required, fh, header, keys)

    def records(self) -> Iterator[tuple[int, list[str]]]:
        """(line number, raw cells) per data row. Blank lines are skipped. Raises CohortFileError for text
        that is not UTF-8."""
        return records(self.fh, self.path, first=2)  # the header was line 1

    def rows(self) -> Iterator[tuple[int, list[str], dict[str, str] | None]]:
        """(line number, raw cells, cells by column) per data row; the dict is None if the row has the wrong
        number of fields."""
        width = len(self.keys)
        for line, cells in self.records():
            yield line, cells, (dict(zip(self.keys, cells, strict=True)) if len(cells) == width else None)

    def close(self) -> None:
        self.fh.close()


def records(fh: IO[str], path: Path, first: int) -> Iterator[tuple[int, list[str]]]:
    """(line number, raw cells) per row of CSV text ``fh`` (of the file ``path``) whose first line is line
    ``first`` of the file. Blank lines are skipped. Raises CohortFileError for text that is not UTF-8."""
    if csv.field_size_limit() < MAX_LINE_CHARS:
        csv.field_size_limit(MAX_LINE_CHARS)  # a cell may be as long as a line (csv's own limit is 131,072)
    reader = csv.reader(_bounded_lines(fh, path, first=first))
    line = first - 1
    try:
        for cells in reader:
            line = first - 1 + reader.line_num
            if cells:
                yield line, cells
    except UnicodeDecodeError:
        bad = _first_non_utf8_line(path) or line + 1
        raise CohortFileError(f"{path}: line {bad} is not UTF-8 text; save it as CSV UTF-8") from None
    except csv.Error as exc:
        raise CohortFileError(f"{path}: line {line + 1}: {exc}") from None


MAX_LINE_CHARS = 1_000_000


def _bounded_lines(fh: IO[str], path: Path, first: int = 1) -> Iterator[str]:
    """The file's lines (numbered from ``first``), refusing one longer than ``MAX_LINE_CHARS``: not a cohort
    file, and it would fill memory."""
    number = first - 1
    while line := fh.readline(MAX_LINE_CHARS + 1):
        number += 1
        if len(line) > MAX_LINE_CHARS and not line.endswith("\n"):
            raise CohortFileError(f"{path}: line {number} is longer than {MAX_LINE_CHARS:,} characters; not a CSV file")
        yield line


def _first_non_utf8_line(path: Path) -> int | None:
    """The physical line number of the first line that is not UTF-8 (text is decoded in chunks, so the
    reader's own position is not the culprit's)."""
    import codecs

    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as fh:
        for number, raw in enumerate(fh, 1):
            try:
                decoder.decode(raw)
            except UnicodeDecodeError:
                return number
    return None
