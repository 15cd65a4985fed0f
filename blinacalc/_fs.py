"""Atomic, private file writes, shared by every writer (store, calibration, reports, the draw cache, batch).

Rules: every file blinacalc creates is 0600 and every folder 0700; a file is published whole or not at
all; a crash or kill leaves no partial output and (with ``O_TMPFILE``, Linux) no temporary file: where
the kernel refuses to name an unnamed file, a short pid-named temporary file can outlive a kill until
the next write to that folder removes it; only regular files are ever replaced (through symbolic links,
their targets).
"""

from __future__ import annotations

import errno
import os
import stat
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO

PRIVATE_FILE, PRIVATE_DIR = 0o600, 0o700
# Temporary names are short and fixed in form (not derived from the target's name), so that a target
# name up to the file system's limit still works, and a leftover is recognisable.
TEMP_PREFIX, TEMP_SUFFIX = ".blinacalc-", ".tmp"
_STALE_SECONDS = 3600  # a named temporary file older than this is debris from a killed run


class NotRegularFileError(OSError):
    """The path exists and is not a regular file (a folder, device, FIFO or socket): never replaced."""

    def __init__(self, path: Path, kind: str) -> None:
        super().__init__(errno.EEXIST, f"{path} is a {kind}, not a regular file", str(path))
        self.path = path


def _kind(mode: int) -> str:
    for test, name in (
        (stat.S_ISDIR, "folder"),
        (stat.S_ISFIFO, "FIFO (named pipe)"),
        (stat.S_ISSOCK, "socket"),
        (stat.S_ISCHR, "device"),
        (stat.S_ISBLK, "device"),
    ):
        if test(mode):
            return name
    return "special file"


def check_regular_target(path: Path) -> None:
    """Raise :class:`NotRegularFileError` if ``path`` exists and is not a regular file (symlinks followed)."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISREG(mode):
        raise NotRegularFileError(path, _kind(mode))


def make_private_dirs(directory: Path) -> None:
    """Create ``directory`` and any missing parents, each 0700; existing folders are left alone."""
    missing = []
    d = directory
    while not d.exists():
        missing.append(d)
        d = d.parent
    for d in reversed(missing):
        with suppress(FileExistsError):
            d.mkdir(mode=PRIVATE_DIR)
        os.chmod(d, PRIVATE_DIR)


def _writer_gone(name: str) -> bool:
    """Whether the process that named a temporary file (``.blinacalc-<pid>-<random>.tmp``) has ended."""
    try:
        pid = int(name[len(TEMP_PREFIX) :].split("-", 1)[0])
    except ValueError:
        return False
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:
        return False
    return False


def _remove_stale_temps(directory: Path) -> None:
    """Remove blinacalc's own named temporary files left by a killed run: those whose writer has ended,
    or older than an hour (only the fallback path ever names one)."""
    cutoff = time.time() - _STALE_SECONDS
    with suppress(OSError):
        for entry in os.scandir(directory):
            if entry.name.startswith(TEMP_PREFIX) and entry.name.endswith(TEMP_SUFFIX):
                with suppress(OSError):
                    if not entry.is_file(follow_symlinks=False):
                        continue
                    if _writer_gone(entry.name) or entry.stat(follow_symlinks=False).st_mtime < cutoff:
                        os.unlink(entry.path)


_anonymous_ok = True  # set False once naming an unnamed file fails here (some sandboxes refuse it)


def _anonymous(directory: Path) -> int | None:
    """An unnamed file in ``directory`` (Linux ``O_TMPFILE``): a kill leaves nothing behind. None if unsupported."""
    flag = getattr(os, "O_TMPFILE", None)
    if flag is None or not _anonymous_ok or not os.path.isdir("/proc/self/fd"):
        return None
    try:
        return os.open(directory, flag | os.O_RDWR, PRIVATE_FILE)
    except OSError as exc:
        if exc.errno in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL, errno.ENOTSUP):
            return None
        raise


def _name_anonymous(fd: int, directory: Path, target: Path | None) -> Path | None:
    """Link the unnamed file ``fd`` at ``target`` (None: a new temporary name, returned). Where the kernel
    refuses to name it, copy its bytes into a named temporary file instead (returned)."""
    global _anonymous_ok
    named = target or _temp_name(directory)
    try:
        os.link(f"/proc/self/fd/{fd}", named, follow_symlinks=True)
        return None if target is not None else named
    except OSError as exc:
        if exc.errno == errno.EEXIST or (target is not None and target.exists()):
            raise FileExistsError(errno.EEXIST, "file exists", str(named)) from None
        if exc.errno not in (errno.EXDEV, errno.ENOENT, errno.EPERM, errno.EACCES, errno.EOPNOTSUPP):
            raise
    _anonymous_ok = False
    copy = _temp_name(directory)
    out = os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        while chunk := os.read(fd, 1 << 20):
            os.write(out, chunk)
        os.fchmod(out, os.fstat(fd).st_mode & 0o777)
        os.fsync(out)
    except BaseException:
        os.unlink(copy)
        raise
    finally:
        os.close(out)
    return copy


def _temp_name(directory: Path) -> Path:
    return directory / f"{TEMP_PREFIX}{os.getpid()}-{os.urandom(4).hex()}{TEMP_SUFFIX}"


@contextmanager
def atomic_open(
    path: Path, *, overwrite: bool = True, mode: int = PRIVATE_FILE, newline: str | None = None
) -> Iterator[IO[str]]:
    """A text file to write ``path`` through, published atomically when the block ends without error.

    The data goes to an unnamed file in the same folder (``O_TMPFILE``; elsewhere a short-named
    temporary file), which is flushed, fsynced and then linked in place of ``path``. An error, crash or
    kill inside the block leaves any existing file untouched and nothing behind. With ``overwrite=False``
    an existing ``path`` raises :class:`FileExistsError`, checked atomically (the link fails) where the
    file system allows it. A ``path`` that is not a regular file raises :class:`NotRegularFileError`,
    before any work. Writers can stream: nothing is buffered beyond the usual file buffer.
    """
    # Write through a symbolic link to its target (replacing the link itself would silently detach the
    # user's file, e.g. a settings file kept with their dotfiles); a dangling link creates its target.
    path = Path(os.path.realpath(path))
    check_regular_target(path)
    if not overwrite and path.exists():  # fail before doing the work; re-checked atomically below
        raise FileExistsError(errno.EEXIST, "file exists", str(path))
    directory = path.parent
    _remove_stale_temps(directory)
    fd = _anonymous(directory)
    named: Path | None = None
    if fd is None:
        named = _temp_name(directory)
        fd = os.open(named, os.O_RDWR | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    published: Path | None = None
    try:
        with os.fdopen(fd, "w+", encoding="utf-8", newline=newline) as fh:
            yield fh
            fh.flush()
            os.fchmod(fh.fileno(), mode)
            os.fsync(fh.fileno())
            if named is None:  # give the unnamed file a name: the target itself, or a temporary one
                named = _name_anonymous(fh.fileno(), directory, None if overwrite else path)
                if named is None:
                    return
        check_regular_target(path)  # it may have changed while the data was written
        if overwrite:
            os.replace(named, path)
            published = path
            return
        _link_new(str(named), path)
    finally:
        if named is not None and published is None:
            Path(named).unlink(missing_ok=True)


def _link_new(source: str, path: Path) -> None:
    """Link ``source`` at ``path``, failing if ``path`` exists (no window in which a file could be clobbered)."""
    try:
        os.link(source, path, follow_symlinks=True)
    except OSError as exc:
        if exc.errno == errno.EEXIST or path.exists():
            raise FileExistsError(errno.EEXIST, "file exists", str(path)) from None
        raise


def write_atomic(path: Path, data: str | bytes, *, overwrite: bool = True, mode: int = PRIVATE_FILE) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_open`)."""
    with atomic_open(path, overwrite=overwrite, mode=mode, newline="") as fh:
        if isinstance(data, bytes):
            fh.flush()
            fh.buffer.write(data)  # type: ignore[attr-defined]
        else:
            fh.write(data)
