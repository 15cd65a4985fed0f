"""`blinacalc summary`: the report for one patient."""

from __future__ import annotations

import argparse

from blinacalc.cli.common import alive_at_from_args, emit, open_store, run_inputs, use_cache


def run(args: argparse.Namespace) -> int:
    from blinacalc.core.model import predict

    store = open_store()
    use_cache(store)
    patient, scenario, settings, draws, seed = run_inputs(args, store)
    alive_at = alive_at_from_args(args)
    pred = predict(patient, draws=draws, seed=seed, alive_at_months=alive_at, start_scenarios=True)  # all shown
    if args.format == "json":
        return emit("summary", args, None, pred.to_dict())
    from blinacalc.report import content

    report = content.build(pred, landmarks=settings.landmarks, scenario=scenario.title if scenario else None)
    return emit("summary", args, report, None)
