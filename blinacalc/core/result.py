"""Frozen result values and their JSON contract (``blinacalc.prediction/1``)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

SCHEMA = "blinacalc.prediction/1"
MONTHS = np.arange(121) * 0.5  # 0, 0.5, ..., 60
HORIZON = 60.0
LANDMARK_MONTHS = (6, 12, 24, 36, 48, 60)
_DIGITS = 6


def _r(x: float | None) -> float | None:
    return None if x is None else round(float(x), _DIGITS)


@dataclass(frozen=True, slots=True)
class Interval:
    """An estimate with its 95% interval; ``None`` means not reached within 60 months."""

    estimate: float | None
    lo: float | None
    hi: float | None

    def to_dict(self) -> dict[str, float | None]:
        return {"estimate": _r(self.estimate), "lo": _r(self.lo), "hi": _r(self.hi)}


@dataclass(frozen=True, slots=True)
class Landmark:
    month: int
    estimate: float
    lo: float
    hi: float

    def to_dict(self) -> dict[str, float]:
        return {"month": self.month, "estimate": _r(self.estimate), "lo": _r(self.lo), "hi": _r(self.hi)}


@dataclass(frozen=True, slots=True)
class Curve:
    """A survival curve on the grid 0 to 60 months by 0.5, with a pointwise 95% band."""

    estimate: tuple[float, ...]
    lo: tuple[float, ...]
    hi: tuple[float, ...]

    def at(self, month: float) -> float:
        """Survival at ``month``; the curve does not extrapolate beyond 0-60 months."""
        if not 0.0 <= month <= HORIZON:
            raise ValueError(f"month {month} is outside the curve's domain [0, {HORIZON:g}]; no extrapolation")
        return float(np.interp(month, MONTHS, self.estimate))

    def to_dict(self) -> dict[str, list[float]]:
        return {
            "month": [float(m) for m in MONTHS],
            "estimate": [_r(v) for v in self.estimate],
            "lo": [_r(v) for v in self.lo],
            "hi": [_r(v) for v in self.hi],
        }


@dataclass(frozen=True, slots=True)
class Endpoint:
    hazard_ratio: Interval | None
    median_months: Interval
    landmarks: tuple[Landmark, ...]
    curve: Curve

    def landmark(self, month: int) -> Landmark:
        for lm in self.landmarks:
            if lm.month == month:
                return lm
        raise KeyError(f"no landmark at month {month}; available: {LANDMARK_MONTHS}")

    def to_dict(self) -> dict[str, Any]:
        return {
            "hazard_ratio": None if self.hazard_ratio is None else self.hazard_ratio.to_dict(),
            "median_months": self.median_months.to_dict(),
            "landmarks": [lm.to_dict() for lm in self.landmarks],
            "curve": self.curve.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class Rate:
    """A proportion with its 95% interval and counts (``None`` where the paper gives none)."""

    estimate: float
    lo: float | None
    hi: float | None
    n: int | None
    N: int | None

    def to_dict(self) -> dict[str, Any]:
        return {"estimate": _r(self.estimate), "lo": _r(self.lo), "hi": _r(self.hi), "n": self.n, "N": self.N}


@dataclass(frozen=True, slots=True)
class Response:
    """Cohort response rates (Topp 2021 Table 2) and TOWER's arms; not individualized."""

    cr_crh: Rate
    cr: Rate
    crh: Rate
    mrd_response: Rate
    hsct: Rate
    tower: dict[str, dict[str, Rate]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "individualized": False,
            "cr_crh": self.cr_crh.to_dict(),
            "cr": self.cr.to_dict(),
            "crh": self.crh.to_dict(),
            "mrd_response": self.mrd_response.to_dict(),
            "hsct": self.hsct.to_dict(),
            "tower": {k: {arm: r.to_dict() for arm, r in arms.items()} for k, arms in self.tower.items()},
        }


@dataclass(frozen=True, slots=True)
class Harm:
    """One adverse-event row of TOWER Table 3 (safety population), both arms; cohort rates."""

    key: str
    where: str
    blinatumomab: Rate
    chemotherapy: Rate


SCENARIOS = ("os_if_cr_crh", "os_if_no_cr_crh", "os_if_cr_crh_mrd", "os_hsct_in_ccr", "os_chemotherapy")


class Scenarios(Mapping[str, Endpoint]):
    """The what-if endpoints, keyed and ordered as :data:`SCENARIOS`.

    Some are given at once (``ready``); the rest (``later``) are computed the first time any of them
    is read, once, even from several threads. The remission scenarios cost most of a prediction and
    are not on a calculator's first screen, so an interactive input change does not wait for them.
    Computing later gives exactly the values computing at once would: nothing random is drawn.
    """

    __slots__ = ("_later", "_lock", "_ready")

    def __init__(self, ready: Mapping[str, Endpoint], later: Callable[[], Mapping[str, Endpoint]] | None = None):
        self._ready = dict(ready)
        self._later = later
        self._lock = threading.Lock()

    @property
    def computed(self) -> bool:
        """True once every scenario is computed (reading one computes all that are pending)."""
        return self._later is None

    def compute(self) -> Scenarios:
        """Compute the pending scenarios now (for example in a worker thread); returns ``self``."""
        with self._lock:
            if self._later is not None:
                self._ready.update(self._later())
                self._later = None
        return self

    def __getitem__(self, key: str) -> Endpoint:
        if key not in self._ready and key in SCENARIOS:
            self.compute()
        return self._ready[key]

    def __iter__(self) -> Iterator[str]:
        return iter(SCENARIOS)

    def __len__(self) -> int:
        return len(SCENARIOS)

    def __repr__(self) -> str:
        return f"Scenarios({list(SCENARIOS)}, computed={self.computed})"


@dataclass(frozen=True, slots=True)
class Prediction:
    """Everything blinacalc shows for one patient. ``to_dict()`` is the JSON contract."""

    blinacalc_version: str
    evidence_version: str
    inputs: dict[str, int | bool | None]
    draws: int
    seed: int
    os: Endpoint
    rfs: Endpoint
    response: Response
    # Not compared: the scenarios are a function of the other fields (inputs, draws, seed, versions),
    # and comparing them would compute pending ones.
    scenarios: Scenarios = field(compare=False)
    warnings: tuple[str, ...]
    sources: tuple[dict[str, str], ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "blinacalc_version": self.blinacalc_version,
            "evidence_version": self.evidence_version,
            "inputs": dict(self.inputs),
            "draws": self.draws,
            "seed": self.seed,
            "os": self.os.to_dict(),
            "rfs": self.rfs.to_dict(),
            "response": self.response.to_dict(),
            "scenarios": {k: self.scenarios[k].to_dict() for k in SCENARIOS},
            "warnings": list(self.warnings),
            "sources": [dict(s) for s in self.sources],
        }
