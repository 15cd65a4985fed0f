"""Two things at once: numpy releases the interpreter lock in its loops, so on two or more processors a
helper thread runs numpy work alongside the caller's."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
U = TypeVar("U")


def soon(work: Callable[[], T]) -> Callable[[], T]:
    """Start ``work()`` on a helper thread now; the returned function waits for its result (or raises its
    exception)."""
    box: list[T] = []
    failed: list[BaseException] = []

    def run() -> None:
        try:
            box.append(work())
        except BaseException as exc:  # re-raised in the reader's thread
            failed.append(exc)

    helper = threading.Thread(target=run, daemon=True)
    helper.start()

    def result() -> T:
        helper.join()
        if failed:
            raise failed[0]
        return box[0]

    return result


def both(first: Callable[[], T], second: Callable[[], U]) -> tuple[T, U]:
    """``(first(), second())``, the first on a helper thread while the second runs here; the helper's
    exception, if any, is raised here."""
    later = soon(first)
    got = second()
    return later(), got
