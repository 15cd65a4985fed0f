"""`blinacalc calibrate`: re-fit the baseline curves (the only command that uses lifelines)."""

from __future__ import annotations

import argparse
import sys

from blinacalc.cli.common import ExitCode, say
from blinacalc.store import write_atomic


def run(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from blinacalc import calibrate as cal

    record = cal.calibrate()
    for name, curve in record.curves.items():
        fitted = ", ".join(
            f"{lm.month:g} mo {100 * lm.published:.1f}% -> {100 * lm.fitted:.1f}%" for lm in curve.landmarks
        )
        say(f"{name}: cure fraction {curve.cure_fraction:.3f}; {fitted}", file=sys.stderr)
    if args.check:
        shipped = json.loads(cal.default_path().read_text(encoding="utf-8"))
        problems = cal.compare(shipped, record)
        for problem in problems:
            say(f"blinacalc: calibrate --check: {problem}", file=sys.stderr)
        if problems:
            return ExitCode.IO
        say("the shipped calibration matches a fresh fit", file=sys.stderr)
        return ExitCode.OK
    path = Path(args.output) if args.output else cal.default_path()
    try:
        write_atomic(path, cal.render(record))
    except OSError as exc:
        say(f"blinacalc: cannot write {path}: {exc.strerror or exc}", file=sys.stderr)
        return ExitCode.IO
    say(f"wrote {path}", file=sys.stderr)
    return ExitCode.OK
