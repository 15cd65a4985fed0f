"""Published numbers, loaded once from the versioned files in ``blinacalc/evidence``.

Each file holds one paper. Every number is a :class:`Quantity` carrying its value, its published
95% confidence interval and counts where given, and where it stands in the paper. Files are
validated when loaded; a bad file raises :class:`EvidenceError` naming the file and the field.
"""

from __future__ import annotations

import json
import math
import os
import stat
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from blinacalc._digest import digest
from blinacalc._value import value_type
from blinacalc._version import __version__

SCHEMA_VERSION = 1
PAPERS = ("topp2021", "tower2017")
# Package data is read from the installed files (importlib.resources would import zipfile: slower).
EVIDENCE_DIR = Path(__file__).resolve().parent.parent / "evidence"
KINDS = ("proportion", "months", "hazard_ratio", "count", "percent", "years")
_QUANTITY_KEYS = {"kind", "value", "ci", "n", "N", "range", "where", "erratum"}
# Published percentages have one decimal, so n/N may differ from the printed value by rounding.
_ROUNDING = 0.0005 + 1e-12


_parsed_dir: Path | None = None  # where parsed copies of the files are kept (see keep_parsed)
_MAX_COPY_BYTES = 1_000_000  # a parsed copy is about 11 kB
_COPY_FORMAT = 1


class EvidenceError(ValueError):
    """An evidence file is malformed or holds an impossible number."""


@value_type
class Quantity:
    """One published number with its provenance."""

    key: str
    kind: str
    value: float
    where: str
    ci: tuple[float, float] | None = None
    n: int | None = None
    N: int | None = None
    range: tuple[float, float] | None = None
    erratum: str | None = None

    @property
    def proportion(self) -> float:
        """The proportion, from the counts where published (exact), else the printed value."""
        if self.n is not None and self.N is not None:
            return self.n / self.N
        return self.value


@value_type
class Source:
    id: str
    citation: str
    doi: str
    population: str


@value_type
class Paper:
    source: Source
    version: str
    quantities: Mapping[str, Quantity]

    def __getitem__(self, key: str) -> Quantity:
        return self.quantities[key]


@value_type
class Evidence:
    papers: Mapping[str, Paper]

    @property
    def version(self) -> str:
        """The evidence version stamped on every output, e.g. ``topp2021.v1+tower2017.v1``."""
        return "+".join(f"{pid}.v{paper.version}" for pid, paper in self.papers.items())

    @property
    def topp(self) -> Paper:
        return self.papers["topp2021"]

    @property
    def tower(self) -> Paper:
        return self.papers["tower2017"]


def _fail(file: str, field: str, message: str) -> EvidenceError:
    return EvidenceError(f"{file}: {field}: {message}")


def _number(file: str, field: str, x: Any) -> float:
    if isinstance(x, bool) or not isinstance(x, int | float) or not math.isfinite(x):
        raise _fail(file, field, f"expected a finite number, got {x!r}")
    return float(x)


def _pair(file: str, field: str, x: Any) -> tuple[float, float]:
    if not isinstance(x, list) or len(x) != 2:
        raise _fail(file, field, f"expected [low, high], got {x!r}")
    lo, hi = (_number(file, field, v) for v in x)
    if lo > hi:
        raise _fail(file, field, f"low {lo} exceeds high {hi}")
    return lo, hi


def _quantity(file: str, key: str, raw: dict[str, Any]) -> Quantity:
    unknown = set(raw) - _QUANTITY_KEYS
    if unknown:
        raise _fail(file, key, f"unknown keys {sorted(unknown)}")
    kind = raw.get("kind")
    if kind not in KINDS:
        raise _fail(file, f"{key}.kind", f"expected one of {', '.join(KINDS)}, got {kind!r}")
    where = raw.get("where")
    if not isinstance(where, str) or not where.strip():
        raise _fail(file, f"{key}.where", "every number needs its place in the paper")
    value = _number(file, f"{key}.value", raw.get("value"))
    ci = _pair(file, f"{key}.ci", raw["ci"]) if "ci" in raw else None
    rng = _pair(file, f"{key}.range", raw["range"]) if "range" in raw else None
    counts = {}
    for c in ("n", "N"):
        if c in raw:
            v = raw[c]
            if isinstance(v, bool) or not isinstance(v, int) or v < 0:
                raise _fail(file, f"{key}.{c}", f"expected a non-negative integer, got {v!r}")
            counts[c] = v
    n, N = counts.get("n"), counts.get("N")
    if (n is None) != (N is None):
        raise _fail(file, key, "n and N go together")

    if kind == "proportion":
        for name, x in (("value", value), *(("ci", b) for b in (ci or ()))):
            if not 0.0 <= x <= 1.0:
                raise _fail(file, f"{key}.{name}", f"a proportion must lie in [0, 1], got {x}")
    elif kind == "hazard_ratio":
        for name, x in (("value", value), *(("ci", b) for b in (ci or ()))):
            if x <= 0.0:
                raise _fail(file, f"{key}.{name}", f"a hazard ratio must be > 0, got {x}")
    elif kind == "count":
        if value < 0 or value != int(value):
            raise _fail(file, f"{key}.value", f"a count must be a non-negative integer, got {value}")
    elif value < 0:
        raise _fail(file, f"{key}.value", f"{kind} must be >= 0, got {value}")
    if ci is not None and not ci[0] <= value <= ci[1]:
        raise _fail(file, f"{key}.ci", f"the interval {list(ci)} does not contain the estimate {value}")
    if n is not None and N is not None:
        if n > N:
            raise _fail(file, f"{key}.n", f"count {n} exceeds its denominator N = {N}")
        if N == 0:
            raise _fail(file, f"{key}.N", "denominator must be positive")
        if kind == "proportion" and abs(n / N - value) > _ROUNDING and "erratum" not in raw:
            raise _fail(
                file,
                f"{key}.value",
                f"{value} disagrees with n/N = {n}/{N} = {n / N:.4f}; record an erratum if the paper is inconsistent",
            )
    return Quantity(
        key=key,
        kind=kind,
        value=value,
        where=where,
        ci=ci,
        n=n,
        N=N,
        range=rng,
        erratum=raw.get("erratum"),
    )


def _flatten(file: str, table: dict[str, Any], prefix: str = "") -> dict[str, Quantity]:
    out: dict[str, Quantity] = {}
    for name, item in table.items():
        key = f"{prefix}{name}"
        if not isinstance(item, dict):
            raise _fail(file, key, "expected a table")
        if "value" in item or "kind" in item:
            out[key] = _quantity(file, key, item)
        else:
            out.update(_flatten(file, item, f"{key}."))
    return out


def parse_paper(file: str, data: dict[str, Any]) -> Paper:
    """Validate one parsed evidence file; ``file`` names it in error messages."""
    data = dict(data)
    if data.pop("schema_version", None) != SCHEMA_VERSION:
        raise _fail(file, "schema_version", f"expected {SCHEMA_VERSION}")
    version = data.pop("version", None)
    if not isinstance(version, str) or not version:
        raise _fail(file, "version", "expected a non-empty string")
    src = data.pop("source", None)
    if not isinstance(src, dict):
        raise _fail(file, "source", "missing [source] table")
    fields = {}
    for f in ("id", "citation", "doi", "population"):
        if not isinstance(src.get(f), str) or not src[f]:
            raise _fail(file, f"source.{f}", "expected a non-empty string")
        fields[f] = src[f]
    quantities = _flatten(file, data)
    if not quantities:
        raise _fail(file, "quantities", "the file holds no numbers")
    return Paper(Source(**fields), version, MappingProxyType(quantities))


def keep_parsed(directory: Path | None) -> None:
    """Keep a parsed copy of each evidence file in ``directory`` (None: parse the TOML every time).

    Parsing TOML costs a command about 6 ms (``tomllib`` and its imports); reading the copy, JSON named by
    a digest of the file's bytes, the copy format and the blinacalc version, about 0.2 ms. A copy is only
    ever a cache: a missing, damaged, stale or invalid one is parsed again from the TOML, and whichever is
    read is validated the same way (:func:`parse_paper`).
    """
    global _parsed_dir
    _parsed_dir = directory


def _copy_of(name: str, raw: bytes) -> Path | None:
    """Where the parsed copy of the file with these bytes is kept: named by a digest of the bytes, the copy
    format and the blinacalc version (as the draws are); None when copies are not kept."""
    if _parsed_dir is None:
        return None
    key = digest(f"{_COPY_FORMAT}|{__version__}|".encode() + raw)[:32]
    return _parsed_dir / f"evidence-{name.removesuffix('.toml')}-{key}.json"


def _read_copy(copy: Path) -> dict[str, Any] | None:
    """The copy's data, or None if there is no readable copy (a FIFO or an oversized file is never read)."""
    try:
        if stat.S_ISREG(os.stat(copy).st_mode) and os.stat(copy).st_size < _MAX_COPY_BYTES:
            data = json.loads(copy.read_bytes())
            return data if isinstance(data, dict) else None
    except (OSError, ValueError):
        pass
    return None


def _write_copy(copy: Path, text: str) -> None:
    from blinacalc._fs import make_private_dirs, write_atomic

    try:
        make_private_dirs(copy.parent)
        write_atomic(copy, text.encode())
        stem = copy.name.rsplit("-", 1)[0]
        for stale in copy.parent.glob(f"{stem}-*.json"):  # copies of earlier versions of the file
            if stale != copy:
                stale.unlink(missing_ok=True)
    except OSError:
        pass  # a read-only or full disk: parse the TOML next time too


def _paper(paper_id: str, name: str, data: dict[str, Any]) -> Paper:
    paper = parse_paper(name, data)
    if paper.source.id != paper_id:
        raise _fail(name, "source.id", f"expected {paper_id!r}, got {paper.source.id!r}")
    return paper


def _load_file(paper_id: str) -> Paper:
    """One evidence file, validated: from its parsed copy when there is a good one (``keep_parsed``), else
    from the TOML, then kept as a copy. A copy that does not validate is parsed again from the TOML."""
    name = f"{paper_id}.toml"
    raw = (EVIDENCE_DIR / name).read_bytes()
    copy = _copy_of(name, raw)
    kept = None if copy is None else _read_copy(copy)
    if kept is not None:
        try:
            return _paper(paper_id, name, kept)
        except (EvidenceError, TypeError, ValueError, KeyError, AttributeError):
            pass  # damaged or tampered with: the TOML decides
    import tomllib

    try:
        data = tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise EvidenceError(f"{name}: not valid TOML: {exc}") from None
    try:
        text: str | None = json.dumps(data)  # before validation, which takes the dictionary apart
    except (TypeError, ValueError):
        text = None  # a value JSON cannot hold: parse the TOML every time
    paper = _paper(paper_id, name, data)
    if copy is not None and text is not None:
        _write_copy(copy, text)
    return paper


GRID_STEP = 0.5  # months; the curves' grid (``blinacalc.core.result.MONTHS``)


def response_landmark_months(ev: Evidence) -> float:
    """The response landmark: the end of the response window (2 cycles of 6 weeks, 2.76 months; Topp 2021
    Methods and Table 2), rounded up to the 0.5-month grid, so that every responder has responded by then.
    """
    return math.ceil(ev.topp["design.response_window_months"].value / GRID_STEP) * GRID_STEP


@cache
def load_evidence() -> Evidence:
    """Load and validate every evidence file once per process."""
    return Evidence(MappingProxyType({pid: _load_file(pid) for pid in PAPERS}))
