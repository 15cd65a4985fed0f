"""The patient: the baseline factors of :mod:`blinacalc.core.factors`, any of which may be unknown,
validated at the door."""

from __future__ import annotations

import math
from typing import Any

from blinacalc.core import factors as F
from blinacalc.core.defaults import DRAWS_RANGE, HORIZON, MAX_DRAWS, MIN_DRAWS


class InputError(ValueError):
    """An input the model refuses. ``field`` names the input; the message says what is allowed."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def check_value(f: F.Factor, value: object) -> None:
    """Refuse a value the factor does not allow (InputError naming the factor)."""
    if value is None:
        return
    if f.kind == "boolean":
        if not isinstance(value, bool):
            raise InputError(f.name, f"expected yes (True), no (False) or unknown (None), got {value!r}")
        return
    if f.continuous:
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            raise InputError(f.name, f"expected {f.allowed}, got {value!r}")
        if f.minimum is not None and value < f.minimum:
            raise InputError(f.name, f.below.format(value=f"{value:g}"))
        if f.maximum is not None and value > f.maximum:
            raise InputError(f.name, f.out_of_range.format(value=f"{value:g}"))
        return
    if isinstance(value, bool) or not isinstance(value, int):
        raise InputError(f.name, f"expected {f.allowed}, got {value!r}")
    refused = dict(f.refused)
    if value in refused:
        raise InputError(f.name, refused[value])
    if (f.minimum is not None and value < f.minimum) or (f.maximum is not None and value > f.maximum):
        raise InputError(f.name, f.out_of_range.format(value=value))


def _from_dict(values: dict[str, Any]) -> Patient:
    return Patient(**values)


class Patient:
    """Baseline factors (see :data:`blinacalc.core.factors.FACTORS`). ``None`` means unknown: the model
    averages over the trial's mix.

    ``Patient(ecog=1, salvage_line=2, prior_hsct=False, t411=None)``; positional arguments follow the
    table's order. Frozen, hashable and comparable; ``patient.ecog`` reads a factor.

    * ``ecog``: 0, 1, 2 (3 and 4 are refused: outside both trials; TOWER required ECOG <= 2).
    * ``salvage_line``: an integer >= 1 (1 = first salvage).
    * ``prior_hsct``, ``t411``: True, False.
    * ``marrow_blasts``: % blasts in the marrow, 0-100; ``age``: years, 18-80 (stored as float).
    """

    __slots__ = ("_values",)
    _values: tuple[tuple[str, Any], ...]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        table = F.factors()
        names = [f.name for f in table]
        if len(args) > len(names):
            raise TypeError(f"Patient takes at most {len(names)} positional arguments ({len(args)} given)")
        values = dict(zip(names, args, strict=False))
        for key, value in kwargs.items():
            if key not in names:
                raise TypeError(f"Patient got an unexpected keyword argument {key!r}")
            if key in values:
                raise TypeError(f"Patient got multiple values for argument {key!r}")
            values[key] = value
        for f in table:
            check_value(f, values.get(f.name))
            if f.continuous and values.get(f.name) is not None:
                values[f.name] = float(values[f.name]) + 0.0  # 72 and 72.0 are one patient; -0.0 is 0
        object.__setattr__(self, "_values", tuple((n, values.get(n)) for n in names))

    def __getattr__(self, name: str) -> Any:
        for key, value in object.__getattribute__(self, "_values"):
            if key == name:
                return value
        raise AttributeError(f"Patient has no factor {name!r}")

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("Patient is frozen")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Patient) and self._values == other._values

    def __hash__(self) -> int:
        return hash(self._values)

    def __repr__(self) -> str:
        return "Patient(" + ", ".join(f"{k}={v!r}" for k, v in self._values) + ")"

    def __reduce__(self) -> tuple[Any, tuple[dict[str, Any]]]:
        return (_from_dict, (self.to_dict(),))

    def to_dict(self) -> dict[str, Any]:
        return dict(self._values)

    @property
    def indicators(self) -> tuple[bool | None, ...]:
        """Each binary factor's indicator in table order (numerator level vs the rest); None where unknown.

        ECOG enters as 0 vs 1+ and salvage line as 1st vs 2nd+, as in Topp 2021 Table 3.
        """
        values = dict(self._values)
        return tuple(None if values[f.name] is None else values[f.name] in f.numerator for f in F.binary())

    @property
    def continuous(self) -> tuple[float | None, ...]:
        """Each continuous factor's value in table order; None where unknown."""
        values = dict(self._values)
        return tuple(values[f.name] for f in F.continuous())


def check_alive_at(value: object) -> float | None:
    """Refuse a conditioning month outside [0, 60) (InputError naming ``alive_at_months``)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < HORIZON:
        raise InputError(
            "alive_at_months", f"expected months since the first dose, from 0 to less than {HORIZON:g}, got {value!r}"
        )
    return float(value) + 0.0  # -0.0 is 0


def check_run(draws: object, seed: object) -> None:
    """Refuse draws outside 100-100,000 and negative or non-integer seeds (InputError)."""
    if isinstance(draws, bool) or not isinstance(draws, int) or not MIN_DRAWS <= draws <= MAX_DRAWS:
        raise InputError("draws", f"expected an integer from {DRAWS_RANGE}, got {draws!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InputError("seed", f"expected a non-negative integer, got {seed!r}")
