"""`blinacalc validate`: observed vs predicted survival on the user's own cohort."""

from __future__ import annotations

import argparse
import io
from pathlib import Path

from blinacalc.cli.common import ExitCode, draws_seed, emit, int_or_text, open_store, write_text


def run(args: argparse.Namespace) -> int:
    from blinacalc.cohort.validate import validate

    draws, seed = draws_seed(args, open_store().settings())
    record = validate(
        Path(args.input),
        args.time_col,
        args.event_col,
        unit=args.time_unit,
        draws=draws,
        seed=seed,
        bootstrap=int_or_text(args.bootstrap),  # type: ignore[arg-type]  # validate() checks and refuses
    )
    if args.format == "json":
        return emit("validate", args, None, record)
    from rich.console import Console

    from blinacalc.report import validationview

    renderable = validationview.render(record)
    if args.output is None:
        Console().print(renderable)
        return ExitCode.OK
    console = Console(record=True, width=100, file=io.StringIO())
    console.print(renderable)
    return write_text("validate", args, console.export_text())
