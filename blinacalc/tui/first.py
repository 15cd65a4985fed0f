"""The first prediction, started before the app: it imports numpy and the model and computes while Textual
imports and lays out the screen, so the first frame can already show the result.

Deliberately free of Textual (and of numpy at import): ``blinacalc tui`` starts it before importing either.
"""

from __future__ import annotations

import threading
from concurrent.futures import Future
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from blinacalc.core.patient import Patient
    from blinacalc.core.result import Prediction


def start(patient: Patient, draws: int, seed: int, alive_at: float | None) -> Future[Prediction]:
    """``predict(patient, ...)`` on a daemon thread, as a future (its exception, if any, is kept in it)."""
    future: Future[Prediction] = Future()

    def run() -> None:
        try:
            from blinacalc.core.model import predict

            future.set_result(predict(patient, draws=draws, seed=seed, alive_at_months=alive_at))
        except BaseException as exc:  # handed to whoever reads the future
            future.set_exception(exc)

    threading.Thread(target=run, name="blinacalc-first-prediction", daemon=True).start()
    return future
