"""Frame timing for the TUI benchmarks: when did the screen first show a given prediction?"""

from __future__ import annotations

import time
from typing import Any

from textual._compositor import CompositorUpdate
from textual.app import ScreenStackError


def record_frames(app: Any) -> list[tuple[float, Any]]:
    """Note ``(time, prediction shown)`` for every frame ``app`` composites, after turning the frame
    into the bytes a terminal would receive (the headless driver skips that step, so it is done here)."""
    frames: list[tuple[float, Any]] = []
    display = app._display

    def timed(screen: Any, renderable: Any) -> None:
        display(screen, renderable)
        if isinstance(renderable, CompositorUpdate):
            renderable.render_segments(app.console)
            try:  # during start-up there may be no screen yet (ScreenStackError)
                shown = getattr(app.screen, "prediction", None)
            except ScreenStackError:
                shown = None
            frames.append((time.perf_counter(), shown))

    app._display = timed
    return frames
