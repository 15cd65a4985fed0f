"""Atomic file writes, shared by every writer (store, calibration, reports, the draw cache, batch)."""

from __future__ import annotations

import errno
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO


@contextmanager
def atomic_open(
    path: Path, *, overwrite: bool = True, mode: int = 0o644, newline: str | None = None
) -> Iterator[IO[str]]:
    """A text file to write ``path`` through, published atomically when the block ends without error.

    The data goes to a temporary file in the same folder, which is flushed, fsynced and renamed over
    ``path``. An error (or a crash) inside the block leaves any existing file untouched and no partial
    file behind. With ``overwrite=False`` an existing ``path`` raises :class:`FileExistsError`, checked
    atomically (hard link) where the file system allows it. Writers can stream: nothing is buffered
    beyond the usual file buffer.
    """
    import tempfile  # lazy: it pulls in random and shutil, which the read path never needs

    if not overwrite and path.exists():  # fail before doing the work; re-checked atomically below
        raise FileExistsError(errno.EEXIST, "file exists", str(path))
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline=newline) as fh:
            yield fh
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


def write_atomic(path: Path, data: str | bytes, *, overwrite: bool = True, mode: int = 0o644) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_open`)."""
    with atomic_open(path, overwrite=overwrite, mode=mode, newline="") as fh:
        if isinstance(data, bytes):
            fh.flush()
            fh.buffer.write(data)  # type: ignore[attr-defined]
        else:
            fh.write(data)
