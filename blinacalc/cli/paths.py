"""`blinacalc --paths`: where settings, scenarios and the cache are kept."""

from __future__ import annotations

import os
import sys

from blinacalc.cli.common import ExitCode, say
from blinacalc.store import HOME_ENV, Store


def run() -> int:
    where = Store().paths
    home = os.environ.get(HOME_ENV)
    say(f"settings   {where.settings}")
    say(f"scenarios  {where.scenarios}")
    say(f"cache      {where.cache}")
    say(f"({HOME_ENV}={home})" if home else f"(set {HOME_ENV} to keep everything under one folder)", file=sys.stderr)
    return ExitCode.OK
