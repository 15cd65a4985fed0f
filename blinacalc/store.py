"""Where blinacalc keeps files, and how it writes them: atomically, never clobbering by surprise.

Every path goes through :func:`paths`, which honours ``BLINACALC_HOME`` (tests and portable
installs set it); otherwise the platform's user directories from platformdirs are used.
Nothing here creates a directory until something is written.
"""

from __future__ import annotations

import errno
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

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


def write_atomic(path: Path, data: str | bytes, *, overwrite: bool = True, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` atomically: temp file in the same folder, flush, fsync, rename.

    A crash or error mid-write leaves any existing file untouched and no partial file behind.
    With ``overwrite=False`` an existing ``path`` raises :class:`FileExistsError`, checked
    atomically (hard link) where the file system allows it.
    """
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        if overwrite:
            os.replace(tmp, path)
            return
        try:
            os.link(tmp, path)  # fails if path exists: no window in which a file could be clobbered
        except OSError as exc:
            if exc.errno == errno.EEXIST:
                raise FileExistsError(errno.EEXIST, "file exists", str(path)) from None
            if path.exists():  # no hard links on this file system: best effort
                raise FileExistsError(errno.EEXIST, "file exists", str(path)) from None
            os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
