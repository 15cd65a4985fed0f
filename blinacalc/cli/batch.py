"""`blinacalc batch`: the calculator for every row of a cohort file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from blinacalc._fs import PRIVATE_FILE
from blinacalc.cli.common import ExitCode, draws_seed, fail, open_store, say, use_cache


def run(args: argparse.Namespace) -> int:
    from contextlib import nullcontext

    from blinacalc._fs import atomic_open
    from blinacalc.cohort import batch

    store = open_store()
    use_cache(store)  # the draws, kept between runs as for summary
    draws, seed = draws_seed(args, store.settings())
    source = Path(args.input)
    progress, stop = (None, lambda: None)
    if sys.stderr is not None and sys.stderr.isatty() and source.is_file():
        progress, stop = batch.progress_reporter(source)
    refused: list[str] = []
    target = Path(args.output) if args.output not in (None, "-") else None
    sink = (
        atomic_open(target, overwrite=args.force, mode=PRIVATE_FILE, newline="")
        if target is not None
        else nullcontext(sys.stdout)
    )
    try:
        with sink as out:
            result = batch.run(
                source, out, fmt=args.format, draws=draws, seed=seed, on_refused=refused.append, on_progress=progress
            )
    except FileExistsError:
        return fail("batch", "-o/--output", f"{target} exists; add --force to replace it", ExitCode.USAGE)
    finally:
        stop()
    for line in refused:
        say(f"blinacalc batch: {line}", file=sys.stderr)
    more = result.refused - len(refused)
    if more > 0:
        say(f"blinacalc batch: ... and {more:,} more refused rows (see the error column)", file=sys.stderr)
    where = f" to {target}" if target else ""
    say(
        f"blinacalc batch: {result.rows:,} rows{where}, {result.refused:,} refused; "
        f"{result.classes} distinct predictions ({draws:,} draws, seed {seed})",
        file=sys.stderr,
    )
    return ExitCode.ROWS_REFUSED if result.refused else ExitCode.OK
