"""``blinacalc validate``: how well the calculator fits your own cohort.

For patients with observed follow-up (time and event), it compares

* the observed Kaplan–Meier OS (lifelines, 95% CI by the exponential Greenwood formula) with the
  mean of the patients' predicted OS curves (point estimates) at 6, 12 and 24 months;
* observed and predicted 12-month OS in risk groups: thirds of the cohort ranked by predicted
  12-month OS (equal-sized groups; patients with equal predictions may fall in adjacent groups);
* discrimination: Harrell's C-index (lifelines) of predicted 12-month OS against observed
  survival, with a percentile bootstrap 95% CI.

Rows with a missing or impossible time or event, or factors the model refuses, are excluded and
counted by reason. lifelines is imported here, never on the calculator's own path.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from blinacalc._value import value_type
from blinacalc.cohort import CohortFileError
from blinacalc.cohort.read import CohortReader, parse_patient, required_factor_columns
from blinacalc.core.defaults import DEFAULT_DRAWS
from blinacalc.core.patient import InputError

LANDMARKS = (6, 12, 24)
RISK_MONTH = 12
DAYS_PER_MONTH = 365.25 / 12
EVENT_YES = frozenset({"1", "yes", "true", "dead", "died", "death", "event"})
EVENT_NO = frozenset({"0", "no", "false", "alive", "censored"})
MIN_PATIENTS = 10
GROUP_NAMES = ("highest risk", "middle", "lowest risk")


@dataclass
class Cohort:
    """The analysable patients: months, event (1 death, 0 censored), predicted OS at each landmark."""

    months: np.ndarray
    events: np.ndarray
    predicted: dict[int, np.ndarray]
    excluded: Counter[str] = field(default_factory=Counter)


MAX_BOOTSTRAP = 10_000


@value_type
class Validation:
    """Observed vs predicted OS on a cohort. ``landmarks``, ``risk_groups`` and ``c_index`` keep the JSON
    record's shapes (dicts); ``to_dict()`` is the record."""

    n: int
    events: int
    excluded: int
    excluded_reasons: tuple[tuple[str, int], ...]
    follow_up_max_months: float
    time_unit: str
    draws: int
    seed: int
    c_index: dict[str, Any]
    landmarks: tuple[dict[str, Any], ...]
    risk_groups: tuple[dict[str, Any], ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": "blinacalc.validation/1",
            "n": self.n,
            "events": self.events,
            "excluded": self.excluded,
            "excluded_reasons": dict(self.excluded_reasons),
            "follow_up_max_months": self.follow_up_max_months,
            "time_unit": self.time_unit,
            "draws": self.draws,
            "seed": self.seed,
            "c_index": dict(self.c_index),
            "landmarks": [dict(row) for row in self.landmarks],
            "risk_groups": [dict(g) for g in self.risk_groups],
        }


def _time(text: str, unit: str) -> float:
    text = text.strip()
    if not text:
        raise ValueError("missing time")
    from blinacalc._text import parse_decimal

    value = parse_decimal(text)
    if value is None:
        raise ValueError("time not a number")
    if value < 0:
        raise ValueError("negative time")
    return value / DAYS_PER_MONTH if unit == "days" else value


def _event(text: str) -> int:
    text = text.strip().lower()
    if not text:
        raise ValueError("missing event")
    if text in EVENT_YES or text in EVENT_NO:
        return int(text in EVENT_YES)
    raise ValueError("event not 0/1 (or yes/no, true/false)")


def read_cohort(path: Path, time_col: str, event_col: str, unit: str, draws: int, seed: int) -> Cohort:
    """Read and predict; raises CohortFileError when the file or too few of its rows can be used."""
    time_key, event_key = time_col.strip().lower(), event_col.strip().lower()
    reader = CohortReader.open(
        path,
        (*required_factor_columns(), time_key, event_key),
        flags={time_key: "--time-col", event_key: "--event-col"},
    )
    from blinacalc.cohort.batch import Predictions

    landmarks = Predictions(draws, seed, lambda pred: tuple(pred.os.landmark(m).estimate for m in LANDMARKS))
    months: list[float] = []
    events: list[int] = []
    predicted: list[tuple[float | None, ...]] = []
    excluded: Counter[str] = Counter()
    try:
        for _line, raw, cells in reader.rows():
            if cells is None:
                excluded[f"row has {len(raw)} fields, not {len(reader.keys)}"] += 1
                continue
            try:
                t, e = _time(cells[time_key], unit), _event(cells[event_key])
            except ValueError as exc:
                excluded[str(exc)] += 1
                continue
            try:
                patient = parse_patient(cells)
            except InputError as exc:
                excluded[f"{exc.field} refused by the model"] += 1
                continue
            months.append(t)
            events.append(e)
            predicted.append(landmarks(patient))
    finally:
        reader.close()
    n = len(months)
    if n < MIN_PATIENTS or not any(events):
        reasons = "; ".join(f"{why}: {k}" for why, k in excluded.most_common()) or "no data rows"
        raise CohortFileError(
            f"{path}: {n} usable patients and {sum(events)} deaths; validation needs at least {MIN_PATIENTS} "
            f"patients and one death (excluded: {reasons})"
        )
    table = np.array(predicted)
    return Cohort(
        np.array(months),
        np.array(events, dtype=int),
        {m: table[:, j] for j, m in enumerate(LANDMARKS)},
        excluded,
    )


def _km(months: np.ndarray, events: np.ndarray, at: tuple[int, ...]) -> list[dict[str, float] | None]:
    """Observed KM survival at each of ``at`` months with its 95% CI (one fit); None where follow-up ends
    before that month."""
    from lifelines import KaplanMeierFitter

    kmf = KaplanMeierFitter(alpha=0.05).fit(months, events)
    out: list[dict[str, float] | None] = []
    for month in at:
        if months.max() < month:
            out.append(None)
            continue
        ci = kmf.confidence_interval_survival_function_.loc[:month].iloc[-1]
        estimate = float(kmf.survival_function_at_times(month).iloc[0])
        out.append({"estimate": estimate, "lo": float(ci.iloc[0]), "hi": float(ci.iloc[1])})
    return out


def _c_index(months: np.ndarray, events: np.ndarray, score: np.ndarray, bootstrap: int, seed: int) -> dict[str, Any]:
    """Harrell's C with a bootstrap CI; ``estimate`` None (and a ``note``) when no pair of patients is
    comparable (e.g. all times tied, or no deaths), which lifelines reports as a ZeroDivisionError."""
    from lifelines.utils import concordance_index

    def c(m: np.ndarray, s: np.ndarray, e: np.ndarray) -> float | None:
        try:
            return float(concordance_index(m, s, e))
        except ZeroDivisionError:
            return None

    estimate = c(months, score, events)
    if estimate is None:
        note = "C-index undefined: no comparable pairs (every time tied, or no deaths before the last time)"
        return {"estimate": None, "lo": None, "hi": None, "bootstrap": 0, "note": note}
    rng = np.random.default_rng(seed)
    values = []
    for _ in range(bootstrap):
        idx = rng.integers(0, len(months), len(months))
        if events[idx].any() and (value := c(months[idx], score[idx], events[idx])) is not None:
            values.append(value)
    lo, hi = (float(v) for v in np.percentile(values, [2.5, 97.5])) if values else (None, None)
    return {"estimate": estimate, "lo": lo, "hi": hi, "bootstrap": len(values)}


def validate(
    path: Path,
    time_col: str,
    event_col: str,
    *,
    unit: str = "months",
    draws: int = DEFAULT_DRAWS,
    seed: int = 0,
    bootstrap: int = 200,
) -> Validation:
    """The validation result (JSON: ``to_dict()``, schema ``blinacalc.validation/1``); see the module docstring.

    Raises InputError for ``bootstrap`` outside 0-10,000 and CohortFileError for a file that cannot be used.
    """
    if isinstance(bootstrap, bool) or not isinstance(bootstrap, int) or not 0 <= bootstrap <= MAX_BOOTSTRAP:
        raise InputError("bootstrap", f"expected an integer from 0 to {MAX_BOOTSTRAP:,}, got {bootstrap!r}")
    cohort = read_cohort(path, time_col, event_col, unit, draws, seed)
    months, events = cohort.months, cohort.events
    landmarks = [
        {"month": m, "observed": observed, "predicted": float(cohort.predicted[m].mean())}
        for m, observed in zip(LANDMARKS, _km(months, events, LANDMARKS), strict=True)
    ]
    score = cohort.predicted[RISK_MONTH]
    order = np.argsort(score, kind="stable")  # lowest predicted survival first
    groups = []
    for name, idx in zip(GROUP_NAMES, np.array_split(order, 3), strict=True):
        groups.append(
            {
                "group": name,
                "n": len(idx),
                "events": int(events[idx].sum()),
                "observed_12": _km(months[idx], events[idx], (RISK_MONTH,))[0],
                "predicted_12": float(score[idx].mean()),
            }
        )
    return Validation(
        n=len(months),
        events=int(events.sum()),
        excluded=int(sum(cohort.excluded.values())),
        excluded_reasons=tuple(cohort.excluded.most_common()),
        follow_up_max_months=float(months.max()),
        time_unit=unit,
        draws=draws,
        seed=seed,
        c_index=_c_index(months, events, score, bootstrap, seed),
        landmarks=tuple(landmarks),
        risk_groups=tuple(groups),
    )
