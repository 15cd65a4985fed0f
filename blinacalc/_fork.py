"""Helpers for the processes blinacalc forks (``batch``'s workers, the TUI's first look): Linux only."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading


def can_fork() -> bool:
    """Whether a helper process may be forked here: on Linux, with no other thread running (a lock another
    thread holds at the fork would stay held in the child forever)."""
    return sys.platform == "linux" and threading.active_count() == 1


def die_with(parent: int) -> None:
    """Have the kernel stop this forked process if the one that forked it ends (killed, say, where no
    clean-up runs); if it has ended already, stop now."""
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        pr_set_pdeathsig = 1  # <sys/prctl.h>
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() != parent:
        os._exit(1)
