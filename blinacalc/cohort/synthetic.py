"""A synthetic cohort drawn from the calculator's own model, for trying and testing ``validate``.

The model, in full:

1. Factors are drawn independently, each from the factor table (``blinacalc.core.factors``): the
   numerator level with the pooled cohort's prevalence (``blinacalc.core.classes.factor_prevalence``,
   point estimates: ECOG 0 90/257, first salvage 54.0% (the midpoint of its range), prior HSCT 88/259,
   t(4;11) 16/259), otherwise one of the factor's ``others`` by weight (ECOG 1 or 2 in Table 1's ratio
   129:38; 2nd or 3rd salvage equally; no). Marrow blasts and age are drawn from their cohort
   distributions (``blinacalc.core.continuous.distribution``) and written to one decimal.
2. Each patient's true OS curve is the model's point estimate for their factors. A death time is
   drawn by inverting it at U ~ Uniform(0, 1) (linear between the half-month grid points); if
   U < S(60), the patient is alive at 60 months.
3. Censoring: C ~ Uniform(``censor_min``, 60) months (staggered entry). Observed time is
   min(death, C, 60), event = 1 if the death comes first.
4. Each factor is then blanked (reported as unknown) with probability ``missing``.

Validating the model on such a cohort must show calibration close to the identity: the truth is
the model (up to Monte Carlo and sampling error). Run: ``python -m blinacalc.cohort.synthetic --help``.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

import numpy as np

from blinacalc.core import factors as F
from blinacalc.core.defaults import HORIZON
from blinacalc.core.evidence import Evidence
from blinacalc.core.patient import Patient


def columns() -> tuple[str, ...]:
    return ("id", *(f.name for f in F.factors()), "os_months", "os_event")


def _draw(f: F.Factor, p: float, ev: Evidence, rng: np.random.Generator) -> object:
    """The numerator level with probability ``p``, else one of ``f.others`` by weight."""
    from blinacalc.core.classes import quantity

    if rng.random() < p:
        return min(f.numerator)  # type: ignore[type-var]
    if len(f.others) == 1:
        return f.others[0][0]
    weights = np.array([quantity(ev, w).n if isinstance(w, str) else w for _, w in f.others], dtype=float)
    k = int(np.searchsorted(np.cumsum(weights) / weights.sum(), rng.random(), side="right"))
    return f.others[min(k, len(f.others) - 1)][0]


def generate(n: int, seed: int = 0, *, missing: float = 0.0, censor_min: float = 6.0) -> Iterator[dict[str, str]]:
    """``n`` synthetic patients as CSV cells (see the module docstring for the model)."""
    from blinacalc.core.classes import factor_prevalence
    from blinacalc.core.continuous import distribution
    from blinacalc.core.evidence import load_evidence
    from blinacalc.core.model import predict
    from blinacalc.core.result import MONTHS

    ev = load_evidence()
    table = F.factors()
    prevalence = factor_prevalence(ev)
    rng = np.random.default_rng(seed)
    grid = np.asarray(MONTHS, dtype=float)
    curves: dict[Patient, np.ndarray] = {}
    for i in range(1, n + 1):
        values = {f.name: _draw(f, p, ev, rng) for f, p in zip(F.binary(), prevalence, strict=True)}
        for f in F.continuous():
            values[f.name] = round(float(distribution(ev, f).sample(rng, 1)[0]), 1)
        patient = Patient(**values)
        if patient not in curves:
            curves[patient] = np.asarray(predict(patient, draws=100, seed=0).os.curve.estimate)
        s = curves[patient]
        u = rng.random()
        # S decreases from 1: invert on the reversed (increasing) arrays
        death = HORIZON + 1.0 if u < s[-1] else float(np.interp(u, s[::-1], grid[::-1]))
        censor = rng.uniform(censor_min, HORIZON)
        time = min(death, censor, HORIZON)
        cells = {
            "id": f"S{i:06d}",
            **{f.name: F.cell_text(f, getattr(patient, f.name)) for f in table},
            "os_months": f"{time:.2f}",
            "os_event": "1" if death <= min(censor, HORIZON) else "0",
        }
        for f in table:
            if rng.random() < missing:
                cells[f.name] = ""
        yield cells


def write_csv(path: Path | None, n: int, seed: int, missing: float) -> None:
    from blinacalc._fs import atomic_open

    def emit(fh: IO[str]) -> None:
        writer = csv.DictWriter(fh, columns(), lineterminator="\n")
        writer.writeheader()
        writer.writerows(generate(n, seed, missing=missing))

    if path is None:
        emit(sys.stdout)
        return
    with atomic_open(path, overwrite=False, newline="") as fh:
        emit(fh)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m blinacalc.cohort.synthetic",
        description="Write a synthetic cohort drawn from the calculator's own model (see the module docstring).",
    )
    parser.add_argument("-n", type=int, default=1000, help="patients (default 1000)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--missing", type=float, default=0.0, help="chance each factor is blank (default 0)")
    parser.add_argument("-o", "--output", help="CSV file to write (never replaced); default stdout")
    args = parser.parse_args(argv)
    if args.n < 1 or not 0 <= args.missing < 1 or args.seed < 0:
        parser.error("-n must be >= 1, --missing in [0, 1) and --seed >= 0")
    from blinacalc._fs import NotRegularFileError
    from blinacalc._text import printable

    def fail(message: str, code: int) -> int:
        print(printable(f"{parser.prog}: error: {message}"), file=sys.stderr)
        return code

    try:
        write_csv(Path(args.output) if args.output else None, args.n, args.seed, args.missing)
    except FileExistsError:
        return fail(f"-o/--output: {args.output} exists; choose another name", 2)
    except NotRegularFileError as exc:
        return fail(f"-o/--output: {exc.strerror}", 2)
    except OSError as exc:
        return fail(f"cannot write {args.output or 'standard output'}: {exc.strerror or exc}", 1)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
