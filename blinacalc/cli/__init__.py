"""Command-line front door: parses arguments, calls the core, hands results on. No maths here.

One module per command, imported only when that command runs; :func:`main` turns every expected
failure into one line on stderr and its :class:`~blinacalc.cli.common.ExitCode`.
"""

from __future__ import annotations

import errno
import importlib
import io
import os
import sys
import threading
from collections.abc import Sequence
from typing import NoReturn

from blinacalc._fs import NotRegularFileError
from blinacalc.cli.common import ExitCode, fail, refuse
from blinacalc.cohort import CohortFileError
from blinacalc.core.patient import InputError
from blinacalc.store import ScenarioExistsError, StoreError, UnknownScenarioError

__all__ = ["ExitCode", "main", "run"]


def _safe_streams() -> None:
    """On a terminal or pipe that cannot encode Unicode (e.g. ``PYTHONIOENCODING=ascii``, ``LANG=C``), replace
    what it cannot show rather than fail with a traceback."""
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "").replace("_", "")
        if not encoding.startswith("utf") and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")


class _Closed(io.TextIOBase):
    """Standard output when the command was started without it (``>&-``): writing the command's output
    there is an error (exit code 1, as a write to a closed descriptor is), never a traceback and never a
    silent success."""

    def write(self, text: str) -> int:
        raise OSError(errno.EBADF, "it is closed")

    def isatty(self) -> bool:
        return False


def main(argv: Sequence[str] | None = None) -> int:
    if sys.stdout is None:
        sys.stdout = _Closed()
    _safe_streams()
    from blinacalc.cli.parser import build, command_of

    words = sys.argv[1:] if argv is None else list(argv)
    args = build(only=command_of(words)).parse_args(words)
    command = "paths" if args.paths else (args.command or "tui")
    try:
        module = importlib.import_module(f"blinacalc.cli.{command}")
        if command == "paths" or args.command is None:
            return int(module.run())
        return int(module.run(args))
    except InputError as exc:
        return refuse(command, exc)
    except UnknownScenarioError as exc:
        return fail(command, "--scenario" if getattr(args, "scenario", None) else "NAME", exc.args[0], ExitCode.USAGE)
    except ScenarioExistsError as exc:
        flag = "NEW_NAME" if command == "scenarios" and args.action == "rename" else "NAME"
        return fail(command, flag, f"{exc}; add --force to replace it", ExitCode.USAGE)
    except StoreError as exc:
        return fail(command, None, str(exc), ExitCode.IO)
    except CohortFileError as exc:
        return fail(command, None, str(exc), ExitCode.USAGE)
    except NotRegularFileError as exc:
        return fail(command, "-o/--output", str(exc.strerror), ExitCode.USAGE)
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): stop quietly, and keep Python from complaining at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return ExitCode.IO
    except OSError as exc:  # reading the input or writing the output
        where = exc.filename or getattr(args, "output", None) or "standard output"
        return fail(command, None, f"cannot read or write {where}: {exc.strerror or exc}", ExitCode.IO)
    except KeyboardInterrupt:  # Ctrl-C: one line, no traceback (an -o file is not created or replaced)
        return fail(command, None, "interrupted", ExitCode.INTERRUPTED)


def first_word(argv: Sequence[str]) -> str | None:
    """The first word of a command line that is not a flag: its sub-command, if it has one."""
    return next((a for a in argv if not a.startswith("-")), None)


def prepare_memory(warm: bool = True) -> None:
    """Make numpy's arrays cheap to allocate for the rest of the command (Linux with glibc only).

    A page of memory costs a page fault the first time it is written, and numpy's arrays here are a few MB
    each and short-lived. By default glibc gives each such array fresh pages from the system and every
    thread an arena of its own, so a summary faults in about 20 MB more than it needs: 5-10 ms on the
    machines we measure. So: one arena, arrays up to 32 MB from the heap, freed memory kept (no
    trimming), and the first 48 MB of heap written once on a helper thread while Python is still
    importing (C calls through ctypes release the interpreter lock, so this runs on the otherwise idle
    second processor). A command is short-lived; the app's memory stays what its largest moment needed.
    Nothing happens where there is no ``mallopt`` (macOS, musl).

    Not ``warm`` for the TUI: it forks its first look's process at once (:mod:`blinacalc.tui.first`), and
    after a fork each written page of a shared heap is first copied: 48 MB written beforehand cost the
    first look about 25 ms instead of saving it any."""
    try:
        import ctypes

        libc = ctypes.CDLL(None)
        mallopt, malloc, memset, free = libc.mallopt, libc.malloc, libc.memset, libc.free
    except (ImportError, OSError, AttributeError):
        return  # only ever a speed-up

    m_trim_threshold, m_mmap_threshold, m_arena_max = -1, -3, -8  # <malloc.h>
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    for option, value in ((m_arena_max, 1), (m_mmap_threshold, 32 << 20), (m_trim_threshold, 256 << 20)):
        mallopt(option, value)
    malloc.argtypes, malloc.restype = [ctypes.c_size_t], ctypes.c_void_p
    memset.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_size_t]
    free.argtypes = [ctypes.c_void_p]
    block = 4 << 20

    def write_heap() -> None:
        blocks = [malloc(block) for _ in range(12)]
        for b in blocks:
            if b:
                memset(b, 0, block)
        for b in blocks:
            free(b)

    if warm:
        threading.Thread(target=write_heap, name="blinacalc-warm-heap", daemon=True).start()


def run() -> NoReturn:
    """The ``blinacalc`` command (and ``python -m blinacalc``): :func:`main`, then flush and leave at once.

    A finished command has nothing left for the interpreter's teardown to do (every file is written and
    closed, the Textual app has restored the terminal, helper threads are done), and tearing down numpy's
    modules and objects takes about 20 ms, which a user waits for. ``os._exit`` skips it. Usage errors,
    ``--help`` and ``--version`` leave through argparse's ``SystemExit`` as usual.
    """
    if sys.platform == "linux":
        prepare_memory(warm=first_word(sys.argv[1:]) not in (None, "tui"))
    code = main()
    for stream in (sys.stdout, sys.stderr):  # None when the command was started with it closed
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):  # the reader went away, no room left to write it, or already closed
            code = code or ExitCode.IO
    os._exit(code)
