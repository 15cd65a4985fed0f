"""`blinacalc` and `blinacalc tui`: the interactive calculator."""

from __future__ import annotations

import argparse
import sys

from blinacalc.cli.common import ExitCode, alive_at_from_args, open_store, run_inputs, say


def run(args: argparse.Namespace | None = None) -> int:
    from blinacalc.core.patient import Patient

    warnings: list[str] = []  # shown in the app, where stderr cannot be seen
    store = open_store(warnings.append)
    alive_at = None
    if args is None:
        patient, scenario, settings = Patient(), None, store.settings()
        draws, seed = settings.draws, 0
    else:
        patient, scenario, settings, draws, seed = run_inputs(args, store)
        alive_at = alive_at_from_args(args)
    if not (sys.stdin is not None and sys.stdin.isatty() and sys.stdout.isatty()):
        say(
            "blinacalc: the interactive calculator needs a terminal; for a report use `blinacalc summary`",
            file=sys.stderr,
        )
        return ExitCode.USAGE
    from blinacalc.tui.first import FirstLook, start
    from blinacalc.tui.values import as_shown

    patient = as_shown(patient)  # as the inputs will show it: the first look's patient is the calculator's

    # The first result computes while Textual imports and starts: on another process where one can be forked
    # (the app shows its first words at once, then opens the calculator), else on a thread. Either keeps the
    # draws in the store's cache folder (model.use_disk_cache, set where numpy is imported).
    cache = store.paths.cache
    look = FirstLook.start(patient, draws, seed, alive_at, cache)
    first = None if look is not None else start(patient, draws, seed, alive_at, cache)
    from blinacalc.tui.app import make_app

    app = make_app(
        patient,
        draws=draws,
        seed=seed,
        settings=settings,
        scenario=scenario,
        warnings=warnings,
        alive_at=alive_at,
        first=first,
        first_look=look,
    )
    app.run()
    return app.return_code or ExitCode.OK  # (Textual's own error, after it has shown it, is 1)
