"""Atomic file writes, shared by every writer (store, calibration, reports, the draw cache)."""

from __future__ import annotations

import errno
import os
from pathlib import Path


def write_atomic(path: Path, data: str | bytes, *, overwrite: bool = True, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` atomically: temp file in the same folder, flush, fsync, rename.

    A crash or error mid-write leaves any existing file untouched and no partial file behind.
    With ``overwrite=False`` an existing ``path`` raises :class:`FileExistsError`, checked
    atomically (hard link) where the file system allows it.
    """
    import tempfile  # lazy: it pulls in random and shutil, which the read path never needs

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
