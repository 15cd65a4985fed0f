"""`blinacalc evidence`: every published number the model uses, with where it stands in its paper."""

from __future__ import annotations

from typing import Any

from blinacalc.core.evidence import Evidence, Quantity
from blinacalc.report import content as C

SCHEMA = "blinacalc.evidence/1"


def _num(kind: str, x: float) -> str:
    if kind == "proportion":
        return f"{round(100 * x, 4):g}%"
    if kind == "count":
        return f"{x:.0f}"
    if kind == "months":
        return f"{x:g} mo"
    return f"{x:.2f}"  # hazard ratios, printed as in the papers


def value_text(q: Quantity) -> str:
    return _num(q.kind, q.value) + (" †" if q.erratum else "")


def interval_text(q: Quantity) -> str:
    pair = q.ci or q.range
    if pair is None:
        return ""
    label = "" if q.ci else "range "
    unit = {"proportion": "%", "months": " mo"}.get(q.kind, "")
    lo, hi = (_num(q.kind, x).removesuffix(unit) for x in pair)
    return f"{label}{lo}–{hi}{unit}"


def _counts(q: Quantity) -> str:
    return "" if q.n is None else f"{q.n}/{q.N}"


def sections(ev: Evidence, compact: bool = False) -> tuple[C.Section, ...]:
    """One section per paper: a table of its numbers, or (``compact``, for narrow terminals) a list."""
    out = []
    for paper in ev.papers.values():
        src = paper.source
        if compact:  # narrow terminals: the key on a line of its own, never split, the rest beneath it
            lines = tuple(
                line
                for key, q in paper.quantities.items()
                for line in (
                    (key,),
                    ("   " + " · ".join(p for p in (value_text(q), interval_text(q), _counts(q), q.where) if p),),
                )
            )
            listing: tuple[C.Block, ...] = (
                C.Table(("Key, then value · 95% CI · n/N · where in the paper",), lines, numeric=False),
            )
        else:
            rows = tuple(
                (key, value_text(q), interval_text(q), _counts(q), q.where) for key, q in paper.quantities.items()
            )
            listing = (
                C.Table(
                    ("Key", "Value", "95% CI", "n/N", "Where in the paper"), rows, numeric=False, ratios=(5, 2, 3, 2, 5)
                ),
            )
        errata = tuple(C.Text(f"† {q.key}: {q.erratum}", "warning") for q in paper.quantities.values() if q.erratum)
        out.append(
            C.Section(
                src.id,
                f"{src.id} (version {paper.version})",
                (
                    C.Text(f"{src.citation} doi:{src.doi}"),
                    C.Text(src.population, "note"),
                    *listing,
                    *errata,
                ),
            )
        )
    return tuple(out)


def report(ev: Evidence, compact: bool = False) -> C.Report:
    intro = C.Section(
        "evidence",
        "Evidence",
        (
            C.Text(
                f"Evidence version {ev.version}. Every published number blinacalc holds: all that the model and "
                "the report use, and the rest of the tables they come from. Each with its 95% confidence "
                "interval and counts where the paper gives them, and where it stands in the paper. "
                "† marks a number the paper prints inconsistently (see the note below its table).",
            ),
        ),
    )
    return C.Report("blinacalc · the published numbers behind the estimates", (intro, *sections(ev, compact)))


def to_dict(ev: Evidence) -> dict[str, Any]:
    def quantity(q: Quantity) -> dict[str, Any]:
        return {
            "key": q.key,
            "kind": q.kind,
            "value": q.value,
            "ci": None if q.ci is None else list(q.ci),
            "n": q.n,
            "N": q.N,
            "range": None if q.range is None else list(q.range),
            "where": q.where,
            "erratum": q.erratum,
        }

    return {
        "schema": SCHEMA,
        "evidence_version": ev.version,
        "papers": [
            {
                "id": p.source.id,
                "version": p.version,
                "citation": p.source.citation,
                "doi": p.source.doi,
                "population": p.source.population,
                "quantities": [quantity(q) for q in p.quantities.values()],
            }
            for p in ev.papers.values()
        ],
    }
