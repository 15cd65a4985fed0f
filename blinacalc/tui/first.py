"""The first result, started before the app, so that it is ready when Textual has started.

Two ways, both free of Textual and of numpy at import (``blinacalc tui`` starts them before importing either):

- :class:`FirstLook` (Linux): a forked process imports numpy and the model, predicts, and hands back the
  words the calculator shows first (``content.first_look``: the inputs, the headline and every warning),
  while this process imports Textual on the other processor. The app shows them at once, marked as the
  calculator opening, then opens the calculator. A thread cannot do this: importing numpy and predicting
  holds the interpreter lock against Textual's own imports.
- :func:`start`: ``predict`` on a thread, as a future, for the calculator itself.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import threading
import time
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING

from blinacalc._fork import can_fork, die_with

if TYPE_CHECKING:
    from blinacalc.core.patient import Patient
    from blinacalc.core.result import Prediction

Line = tuple[str, str]  # a paragraph's words and kind (a key of ``report.styles.TEXT``)
# The most the process hands back (its lines are about 1 KB). A write larger than the pipe holds (64 KB, or
# 4 KB on a system short of pipe memory) waits for the app, which reads until the end or closes the pipe.
_MAX_BYTES = 60_000


class FirstLook:
    """A forked process computing the first patient's :data:`Line`\\ s (module docstring)."""

    def __init__(self, pid: int, fd: int, cache: Path | None) -> None:
        self.pid, self._fd, self.cache = pid, fd, cache
        self._ended = threading.Lock()  # held until the process is reaped

    @classmethod
    def start(
        cls, patient: Patient, draws: int, seed: int, alive_at: float | None, cache: Path | None
    ) -> FirstLook | None:
        """Fork the process (which keeps the draws in ``cache``: :func:`start`); None where it cannot be (not
        Linux, another thread running, no process or pipe to spare) or would not help (draws not kept on
        disk: the calculator's first prediction would build them again after it): the calculator then
        computes the first result itself, as everywhere."""
        from blinacalc.core.defaults import MAX_CACHED_DRAWS

        if not can_fork() or cache is None or draws > MAX_CACHED_DRAWS:
            return None  # (draws not kept on disk would be built twice: here and for the calculator)
        try:
            read, write = os.pipe()
        except OSError:
            return None
        parent = os.getpid()
        blocked = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})  # Ctrl-C waits until it is set up
        try:
            pid = os.fork()
        except OSError:
            os.close(read)
            os.close(write)
            return None
        finally:
            if os.getpid() == parent:
                signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
        if pid == 0:  # the forked process: never returns
            try:
                os.close(read)
                die_with(parent)
                signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the app's; this one ends with it
                signal.pthread_sigmask(signal.SIG_SETMASK, blocked)
                quiet = os.open(os.devnull, os.O_WRONLY)  # nothing of it ever reaches the terminal
                os.dup2(quiet, 1)
                os.dup2(quiet, 2)
                data = json.dumps(_lines(patient, draws, seed, alive_at, cache)).encode()
                if len(data) <= _MAX_BYTES:
                    os.write(write, data)
            finally:
                os._exit(0)
        os.close(write)
        return cls(pid, read, cache)

    def lines(self, timeout: float) -> list[Line] | None:
        """The lines, if the process hands them within ``timeout`` seconds; else (the first run ever builds the
        draws) or if it failed, None. Called once."""
        data, deadline = b"", time.monotonic() + timeout
        ready = select.poll()
        ready.register(self._fd, select.POLLIN)
        try:
            while (left := deadline - time.monotonic()) > 0 and ready.poll(1000 * left):
                chunk = os.read(self._fd, _MAX_BYTES)
                if not chunk:  # the end: the process has written all it will
                    return _parsed(data)
                data += chunk
            return None
        except OSError:
            return None
        finally:
            os.close(self._fd)

    def wait(self) -> None:
        """Until the process has ended (the draws it built, on the first run ever, are then on disk)."""
        with self._ended:
            if self.pid:
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(self.pid, 0)
                self.pid = 0


def _lines(patient: Patient, draws: int, seed: int, alive_at: float | None, cache: Path | None) -> list[Line]:
    from blinacalc.report import content as C

    pred = _predict(patient, draws, seed, alive_at, cache)
    return [(t.text, t.kind) for t in C.first_look(pred)]


def _parsed(data: bytes) -> list[Line] | None:
    """The lines as sent, or None for anything else (the process failed before or while writing)."""
    from blinacalc.report.styles import TEXT

    try:
        lines = json.loads(data)
    except ValueError:
        return None
    ok = isinstance(lines, list) and all(
        isinstance(x, list) and len(x) == 2 and isinstance(x[0], str) and x[1] in TEXT for x in lines
    )
    return [(text, kind) for text, kind in lines] if ok and lines else None


def _predict(patient: Patient, draws: int, seed: int, alive_at: float | None, cache: Path | None) -> Prediction:
    from blinacalc.core.model import predict, use_disk_cache

    if cache is not None:  # (set here: the model, and numpy, are imported by whoever predicts first)
        use_disk_cache(cache)
    return predict(patient, draws=draws, seed=seed, alive_at_months=alive_at)


def start(
    patient: Patient,
    draws: int,
    seed: int,
    alive_at: float | None,
    cache: Path | None = None,
    after: FirstLook | None = None,
) -> Future[Prediction]:
    """``predict(patient, ...)`` on a daemon thread, as a future (its exception, if any, is kept in it); with
    ``cache``, the draws are kept there between runs (``model.use_disk_cache``), for this and every later
    prediction; with ``after``, once that process has ended (it computes the same draws: they are then read
    from ``cache``)."""
    future: Future[Prediction] = Future()

    def run() -> None:
        try:
            if after is not None:
                after.wait()
            future.set_result(_predict(patient, draws, seed, alive_at, cache))
        except BaseException as exc:  # handed to whoever reads the future
            future.set_exception(exc)

    threading.Thread(target=run, name="blinacalc-first-prediction", daemon=True).start()
    return future
