"""Frame timing for the TUI benchmarks: when did the screen first show a given prediction?"""

from __future__ import annotations

import time
from typing import Any

from textual._compositor import CompositorUpdate
from textual.app import ScreenStackError

HEADLINE = "edian overall survival"  # (the headline's first words, "Median ..." or "Given alive at ...: median ...")


def record_frames(app: Any, numbers: list[float] | None = None) -> list[tuple[float, Any]]:
    """Note ``(time, prediction shown)`` for every frame ``app`` composites, after turning the frame
    into the bytes a terminal would receive (the headless driver skips that step, so it is done here).
    The prediction is ``None`` while the screen marks its result as updating. With ``numbers``, also the
    time of every frame whose bytes hold the headline's words (the first look's, or the calculator's)."""
    frames: list[tuple[float, Any]] = []
    display = app._display

    def timed(screen: Any, renderable: Any) -> None:
        display(screen, renderable)
        if isinstance(renderable, CompositorUpdate):
            sent = renderable.render_segments(app.console)
            if numbers is not None and HEADLINE in sent:
                numbers.append(time.perf_counter())
            try:  # during start-up there may be no screen yet (ScreenStackError)
                screen = app.screen
            except ScreenStackError:
                screen = None
            # a result marked "updating…" (for inputs since changed) is not the one asked for
            shown = None if getattr(screen, "updating", True) else getattr(screen, "prediction", None)
            frames.append((time.perf_counter(), shown))

    app._display = timed
    return frames
