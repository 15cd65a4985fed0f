"""Where blinacalc keeps files, and how it writes them: atomically, never clobbering by surprise.

Every path goes through :func:`paths`, which honours ``BLINACALC_HOME`` (tests and portable
installs set it); otherwise the platform's user directories from platformdirs are used.
Nothing here creates a directory until something is written.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from blinacalc._fs import write_atomic

__all__ = ["HOME_ENV", "Paths", "paths", "write_atomic"]

HOME_ENV = "BLINACALC_HOME"


@dataclass(frozen=True, slots=True)
class Paths:
    config: Path
    data: Path
    cache: Path


def paths() -> Paths:
    """The config, data and cache directories (not created here)."""
    home = os.environ.get(HOME_ENV)
    if home:
        root = Path(home).expanduser()
        return Paths(root / "config", root / "data", root / "cache")
    import platformdirs  # lazy: only commands that touch files pay for it

    return Paths(
        Path(platformdirs.user_config_dir("blinacalc", appauthor=False)),
        Path(platformdirs.user_data_dir("blinacalc", appauthor=False)),
        Path(platformdirs.user_cache_dir("blinacalc", appauthor=False)),
    )
