"""A synthetic cohort drawn from the calculator's own model, for trying and testing ``validate``.

The model, in full:

1. Factors are drawn independently with the pooled cohort's prevalences (Topp 2021 Table 1, as in
   ``blinacalc.core.model.factor_prevalence``): ECOG 0 with p = 90/257, otherwise ECOG 1 or 2 in the
   Table 1 ratio 129:38; first salvage with p = 171/259, otherwise 2nd or 3rd salvage equally; prior
   HSCT 88/259; t(4;11) 16/259.
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

import numpy as np

from blinacalc.core.patient import Patient

HORIZON = 60.0
COLUMNS = ("id", "ecog", "salvage_line", "prior_hsct", "t411", "os_months", "os_event")


def generate(n: int, seed: int = 0, *, missing: float = 0.0, censor_min: float = 6.0) -> Iterator[dict[str, str]]:
    """``n`` synthetic patients as CSV cells (see the module docstring for the model)."""
    from blinacalc.core.evidence import load_evidence
    from blinacalc.core.model import factor_prevalence, predict
    from blinacalc.core.result import MONTHS

    ev = load_evidence()
    p_ecog0, p_first, p_hsct, p_t411 = factor_prevalence(ev)
    ecog1, ecog2 = ev.topp["table1.ecog_1"].n, ev.topp["table1.ecog_2"].n
    rng = np.random.default_rng(seed)
    grid = np.asarray(MONTHS, dtype=float)
    curves: dict[Patient, np.ndarray] = {}
    for i in range(1, n + 1):
        patient = Patient(
            ecog=0 if rng.random() < p_ecog0 else (1 if rng.random() < ecog1 / (ecog1 + ecog2) else 2),
            salvage_line=1 if rng.random() < p_first else int(rng.integers(2, 4)),
            prior_hsct=bool(rng.random() < p_hsct),
            t411=bool(rng.random() < p_t411),
        )
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
            "ecog": str(patient.ecog),
            "salvage_line": str(patient.salvage_line),
            "prior_hsct": "yes" if patient.prior_hsct else "no",
            "t411": "yes" if patient.t411 else "no",
            "os_months": f"{time:.2f}",
            "os_event": "1" if death <= min(censor, HORIZON) else "0",
        }
        for col in ("ecog", "salvage_line", "prior_hsct", "t411"):
            if rng.random() < missing:
                cells[col] = ""
        yield cells


def write_csv(path: Path | None, n: int, seed: int, missing: float) -> None:
    from blinacalc._fs import atomic_open

    def emit(fh) -> None:  # type: ignore[no-untyped-def]
        writer = csv.DictWriter(fh, COLUMNS, lineterminator="\n")
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
    try:
        write_csv(Path(args.output) if args.output else None, args.n, args.seed, args.missing)
    except FileExistsError:
        print(f"{parser.prog}: error: -o/--output: {args.output} exists; choose another name", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
