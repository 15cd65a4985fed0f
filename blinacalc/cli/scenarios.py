"""`blinacalc scenarios`: named what-if patients (no identifiers)."""

from __future__ import annotations

import argparse
import sys

from blinacalc.cli.common import ExitCode, factors_line, open_store, patient_from_args, say
from blinacalc.store import Scenario


def run(args: argparse.Namespace) -> int:
    import json

    store = open_store()
    if args.action == "save":
        scenario = Scenario(args.name, patient_from_args(args), args.label)
        store.save_scenario(scenario, force=args.force)
        say(f"saved {scenario.name}: {factors_line(scenario.patient)}", file=sys.stderr)
    elif args.action == "delete":
        store.delete_scenario(args.name)
        say(f"deleted {args.name}", file=sys.stderr)
    elif args.action == "rename":
        store.rename_scenario(args.name, args.new_name, force=args.force)
        say(f"renamed {args.name} to {args.new_name}", file=sys.stderr)
    else:
        chosen = [store.scenario(args.name)] if args.action == "show" else list(store.scenarios().values())
        if args.format == "json":
            records = [{"name": sc.name, **sc.to_dict()} for sc in chosen]
            data = records[0] if args.action == "show" else {"scenarios": records}
            sys.stdout.write(json.dumps(data, indent=2) + "\n")
        elif not chosen:
            say(
                f"no saved scenarios yet (blinacalc scenarios save NAME ...); they are kept in {store.paths.scenarios}",
                file=sys.stderr,
            )
        for sc in chosen if args.format == "text" else ():
            label = f"  ({sc.label})" if sc.label else ""
            say(f"{sc.name}: {factors_line(sc.patient)}{label}")
    return ExitCode.OK
