"""`blinacalc validate`: observed vs predicted survival on the user's own cohort."""

from __future__ import annotations

import argparse
from pathlib import Path

from blinacalc.cli.common import draws_seed, emit, int_or_text, open_store


def run(args: argparse.Namespace) -> int:
    from blinacalc.cohort.validate import validate

    draws, seed = draws_seed(args, open_store().settings())
    result = validate(
        Path(args.input),
        args.time_col,
        args.event_col,
        unit=args.time_unit,
        draws=draws,
        seed=seed,
        bootstrap=int_or_text(args.bootstrap),  # type: ignore[arg-type]  # validate() checks and refuses
    )
    if args.format == "json":
        return emit("validate", args, None, result.to_dict())
    from blinacalc.report import validationview

    return emit("validate", args, validationview.report(result), None)
