"""How the calculator's inputs show a patient's values, and so which patient it computes for. Free of Textual
and numpy: ``blinacalc tui`` uses it before importing either, so that the first look and the calculator
compute for the same patient."""

from __future__ import annotations

from blinacalc.core import factors as F
from blinacalc.core.patient import Patient

NUMBER_CHARS = 6  # a typed factor's box holds this many characters


def clamped(f: F.Factor, value: object) -> object:
    """A pick list's value: on an open-ended list (salvage line "5th or later") a level above its last is
    its last (the model does not tell them apart)."""
    if f.open_top and isinstance(value, int) and not isinstance(value, bool):
        return min(value, int(f.levels[-1]))  # type: ignore[call-overload]
    return value


def number_text(value: object) -> str:
    """A typed factor's value as its box shows it: as many decimals as fit in :data:`NUMBER_CHARS`
    characters (up to 4), blank for unknown."""
    if value is None:
        return ""
    assert isinstance(value, int | float)
    text = ""
    for decimals in range(4, -1, -1):
        text = f"{value:.{decimals}f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        if len(text) <= NUMBER_CHARS:
            break
    return text


def as_shown(patient: Patient) -> Patient:
    """The patient as the inputs show it, which is the one the calculator computes for: each pick list's
    value :func:`clamped`, each typed value read back from its :func:`number_text`."""
    values: dict[str, object] = {}
    for f in F.factors():
        value = getattr(patient, f.name)
        if value is not None:
            value = F.parse_text(f, number_text(value)) if f.continuous else clamped(f, value)
        values[f.name] = value
    return Patient(**values)
