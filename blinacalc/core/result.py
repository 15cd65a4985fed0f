"""Frozen result values and their JSON contract (``blinacalc.prediction/2``).

Every curve knows its time: where it starts (``time_origin``), what it is conditional on
(``conditional_on_alive_at_months``), where its evidence ends (``horizon_months``) and whether it is
individualized, a cohort reference or a cross-trial construction (``basis``). Where a curve is
undefined (before its conditioning month, beyond its horizon) its values are ``None``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import field
from typing import Any

import numpy as np

from blinacalc._value import value_type
from blinacalc.core.defaults import HORIZON, LANDMARK_MONTHS

__all__ = ["HORIZON", "LANDMARK_MONTHS", "MONTHS"]

SCHEMA = "blinacalc.prediction/2"
MONTHS = np.arange(int(HORIZON / 0.5) + 1) * 0.5  # 0, 0.5, ..., 60
TIME_ORIGINS = ("first_dose", "first_cr_crh")
BASES = ("individualized", "cohort_reference", "cross_trial")
_DIGITS = 6


def _r(x: float | None) -> float | None:
    return None if x is None else round(float(x), _DIGITS)


@value_type
class Interval:
    """An estimate with its 95% interval; ``None`` means not reached within 60 months."""

    estimate: float | None
    lo: float | None
    hi: float | None

    def to_dict(self) -> dict[str, float | None]:
        return {"estimate": _r(self.estimate), "lo": _r(self.lo), "hi": _r(self.hi)}


@value_type
class Landmark:
    """Survival at ``month`` with its 95% interval; all ``None`` where the curve is undefined there."""

    month: int
    estimate: float | None
    lo: float | None
    hi: float | None

    @property
    def defined(self) -> bool:
        return self.estimate is not None

    def to_dict(self) -> dict[str, float | None]:
        return {"month": self.month, "estimate": _r(self.estimate), "lo": _r(self.lo), "hi": _r(self.hi)}


@value_type
class Curve:
    """A survival curve on the grid 0 to 60 months by 0.5, with a pointwise 95% band.

    Values are ``None`` outside the curve's domain (before its conditioning month, beyond its
    evidence horizon); :attr:`start` and :attr:`stop` are the first and last months defined.
    """

    estimate: tuple[float | None, ...]
    lo: tuple[float | None, ...]
    hi: tuple[float | None, ...]

    @property
    def start(self) -> float:
        return float(MONTHS[next(i for i, v in enumerate(self.estimate) if v is not None)])

    @property
    def stop(self) -> float:
        n = len(self.estimate)
        return float(MONTHS[next(n - 1 - i for i, v in enumerate(reversed(self.estimate)) if v is not None)])

    def at(self, month: float) -> float:
        """Survival at ``month``; the curve does not extrapolate outside its domain."""
        start, stop = self.start, self.stop
        if not start <= month <= stop:
            raise ValueError(f"month {month} is outside the curve's domain [{start:g}, {stop:g}]; no extrapolation")
        i = slice(round(start / 0.5), round(stop / 0.5) + 1)
        return float(np.interp(month, MONTHS[i], np.asarray(self.estimate[i], dtype=float)))

    def to_dict(self) -> dict[str, list[float | None]]:
        return {
            "month": [float(m) for m in MONTHS],
            "estimate": [_r(v) for v in self.estimate],
            "lo": [_r(v) for v in self.lo],
            "hi": [_r(v) for v in self.hi],
        }


@value_type
class Endpoint:
    """One curve with its summaries and its time: origin, conditioning, horizon and basis.

    ``median_months`` is ``None`` where the median is not reached by ``horizon_months``.
    """

    hazard_ratio: Interval | None
    median_months: Interval
    landmarks: tuple[Landmark, ...]
    curve: Curve
    time_origin: str = "first_dose"
    conditional_on_alive_at_months: float | None = None
    horizon_months: float = HORIZON
    basis: str = "individualized"

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
            "time_origin": self.time_origin,
            "conditional_on_alive_at_months": self.conditional_on_alive_at_months,
            "horizon_months": self.horizon_months,
            "basis": self.basis,
        }


@value_type
class Rate:
    """A proportion with its 95% interval and counts (``None`` where the paper gives none)."""

    estimate: float
    lo: float | None
    hi: float | None
    n: int | None
    N: int | None

    def to_dict(self) -> dict[str, Any]:
        return {"estimate": _r(self.estimate), "lo": _r(self.lo), "hi": _r(self.hi), "n": self.n, "N": self.N}


@value_type
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


@value_type
class Harm:
    """One adverse-event row of TOWER Table 3 (safety population), both arms; cohort rates."""

    key: str
    where: str
    blinatumomab: Rate
    chemotherapy: Rate


SCENARIOS = ("os_alive_at_landmark", "os_if_cr_crh", "os_if_no_cr_crh", "os_if_cr_crh_mrd", "os_chemotherapy")
REFERENCE_CURVES = ("os_hsct_in_ccr",)


@value_type
class CompetingRiskLandmark:
    """Among responders, at ``month`` after the first CR/CRh: the three states, summing to 1."""

    month: int
    relapse: float
    death_without_relapse: float
    alive_relapse_free: float

    def to_dict(self) -> dict[str, float | None]:
        return {
            "month": self.month,
            "relapse": _r(self.relapse),
            "death_without_relapse": _r(self.death_without_relapse),
            "alive_relapse_free": _r(self.alive_relapse_free),
        }


@value_type
class CompetingRisks:
    """Relapse, death without relapse and relapse-free survival among responders (cohort, published)."""

    population: str
    time_origin: str
    landmarks: tuple[CompetingRiskLandmark, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "population": self.population,
            "time_origin": self.time_origin,
            "landmarks": [lm.to_dict() for lm in self.landmarks],
        }


@value_type
class Sensitivity:
    """How far one fixed-but-uncertain input moves the patient's result, everything else at its estimate.

    ``values`` pairs each bound with the 1-year OS and median OS (months, ``None`` if not reached)."""

    name: str
    description: str
    bounds: tuple[float, float]
    os_12: tuple[float | None, float | None]
    median_months: tuple[float | None, float | None]

    def to_dict(self) -> dict[str, Any]:
        return {
            "description": self.description,
            "bounds": [_r(b) for b in self.bounds],
            "os_12": [_r(v) for v in self.os_12],
            "median_months": [_r(v) for v in self.median_months],
        }


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

    def __reduce__(self) -> tuple[type[Scenarios], tuple[dict[str, Endpoint]]]:
        """Pickled with every scenario computed (the lock and the pending computation stay behind)."""
        self.compute()
        return (Scenarios, (dict(self._ready),))


@value_type
class Prediction:
    """Everything blinacalc shows for one patient. ``to_dict()`` is the JSON contract."""

    blinacalc_version: str
    evidence_version: str
    inputs: dict[str, int | float | bool | None]
    draws: int
    seed: int
    os: Endpoint
    rfs: Endpoint
    response: Response
    # Not compared: the scenarios are a function of the other fields (inputs, draws, seed, versions),
    # and comparing them would compute pending ones.
    scenarios: Scenarios = field(compare=False)
    reference_curves: dict[str, Endpoint]
    competing_risks: CompetingRisks
    sensitivity: tuple[Sensitivity, ...]
    landmark_months: float
    # Share of the cohort alive at the landmark who had reached CR/CRh, r / S_cohort(L): not individualized.
    responder_share: Interval
    # Alive with blinatumomab minus alive with chemotherapy (cross-trial), per draw, at months within the
    # comparator's horizon; empty when conditioned on a follow-up visit.
    benefit: tuple[Landmark, ...]
    warnings: tuple[str, ...]
    sources: tuple[dict[str, str], ...]

    @property
    def alive_at_months(self) -> float | None:
        value = self.inputs.get("alive_at_months")
        return None if value is None else float(value)

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
            "response_landmark": {"months": self.landmark_months, "responder_share": self.responder_share.to_dict()},
            "scenarios": {k: self.scenarios[k].to_dict() for k in SCENARIOS},
            "reference_curves": {k: self.reference_curves[k].to_dict() for k in REFERENCE_CURVES},
            "competing_risks": self.competing_risks.to_dict(),
            "sensitivity": {s.name: s.to_dict() for s in self.sensitivity},
            "benefit_vs_chemotherapy": {
                "basis": "cross_trial",
                "time_origin": "first_dose",
                "landmarks": [lm.to_dict() for lm in self.benefit],
            },
            "warnings": list(self.warnings),
            "sources": [dict(s) for s in self.sources],
        }
