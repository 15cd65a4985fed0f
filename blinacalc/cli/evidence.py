"""`blinacalc evidence`: every published number the model uses."""

from __future__ import annotations

import argparse

from blinacalc.cli.common import emit


def run(args: argparse.Namespace) -> int:
    from blinacalc.core.evidence import load_evidence
    from blinacalc.report import evidenceview

    ev = load_evidence()
    if args.format == "json":
        return emit("evidence", args, None, evidenceview.to_dict(ev))
    return emit("evidence", args, evidenceview.report(ev), None)
