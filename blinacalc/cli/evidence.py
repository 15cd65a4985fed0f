"""`blinacalc evidence`: every published number the model uses."""

from __future__ import annotations

import argparse
import shutil

from blinacalc.cli.common import emit


def run(args: argparse.Namespace) -> int:
    from blinacalc.core.evidence import load_evidence
    from blinacalc.report import evidenceview

    ev = load_evidence()
    if args.format == "json":
        return emit("evidence", args, None, evidenceview.to_dict(ev))
    # In a terminal narrower than the table needs, list the numbers so that keys are never split.
    compact = args.format == "rich" and args.output in (None, "-") and shutil.get_terminal_size().columns < 120
    return emit("evidence", args, evidenceview.report(ev, compact=compact), None)
