"""`blinacalc settings`: show or change the settings."""

from __future__ import annotations

import argparse
import sys

from blinacalc.cli.common import ExitCode, open_store, say
from blinacalc.core.patient import InputError


def run(args: argparse.Namespace) -> int:
    store = open_store()
    if args.action in ("set", "unset"):
        if args.key == "theme" and args.action == "set":
            from textual.theme import BUILTIN_THEMES

            if args.value not in BUILTIN_THEMES:
                raise InputError("theme", f"expected one of {', '.join(sorted(BUILTIN_THEMES))}, got {args.value!r}")
        store.update_settings(**{args.key: args.value if args.action == "set" else None})
    settings = store.settings()
    for key, value in settings.shown().items():
        shown = ", ".join(map(str, value)) if isinstance(value, list) else ("default" if value is None else value)
        say(f"{key} = {shown}")
    say(f"({store.paths.settings})", file=sys.stderr)
    return ExitCode.OK
