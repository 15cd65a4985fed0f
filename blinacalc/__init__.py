"""blinacalc: illustrative survival estimates after blinatumomab for R/R Ph-negative B-ALL.

``from blinacalc import Patient, predict``. Exports are lazy (PEP 562) so that importing the
package stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from blinacalc._version import __version__

if TYPE_CHECKING:
    from blinacalc.core.model import predict
    from blinacalc.core.patient import InputError, Patient
    from blinacalc.core.result import Prediction

__all__ = ["InputError", "Patient", "Prediction", "__version__", "predict"]

_LAZY = {
    "Patient": "blinacalc.core.patient",
    "InputError": "blinacalc.core.patient",
    "predict": "blinacalc.core.model",
    "Prediction": "blinacalc.core.result",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'blinacalc' has no attribute {name!r}")
