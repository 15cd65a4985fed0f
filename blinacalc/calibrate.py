"""Calibration step: fit mixture-cure curves to the published Kaplan–Meier landmarks.

This is the only module that imports lifelines, and it does so inside functions, so that
``blinacalc`` never pays for it at run time. ``blinacalc calibrate`` writes the fitted
parameters and their covariance to ``blinacalc/core/calibration.json``.

How the fit is made
-------------------
The papers publish landmarks (the median, and survival at 24/36/48/60 months), not patient data.
For each curve we build *pseudo-patient* data that reproduce those landmarks exactly as a
life table, and fit the mixture-cure model to them by maximum likelihood with
``lifelines.fitters.ParametricUnivariateFitter.fit_interval_censoring``:

* Landmarks :math:`0 = t_0 < t_1 < \\dots < t_K` with published survival :math:`S_k`
  (the median contributes :math:`S = 0.5`).
* Potential follow-up :math:`C` is uniform on :math:`[2m - c_{max}, c_{max}]`, where :math:`m`
  is the published median follow-up and :math:`c_{max}` its published maximum, so that the
  pseudo-cohort has the published median follow-up. A patient whose follow-up ends between two
  landmarks is known alive at the earlier one only (right-censored there).
* Of :math:`E_k` patients alive and under follow-up at :math:`t_{k-1}`, the fraction
  :math:`r_k = P(C \\ge t_k)/P(C \\ge t_{k-1})` stays under follow-up through :math:`t_k`; of
  those, :math:`1 - S_k/S_{k-1}` die in :math:`(t_{k-1}, t_k]` (interval-censored deaths), the
  others continue. The rest are right-censored at :math:`t_{k-1}`. Survivors at :math:`t_K` are
  right-censored there. Rows carry fractional weights so the life table is exact and the
  weights sum to the published n.

Right-censored rows have upper bound :math:`+\\infty`. lifelines clips it to ``1e25``, where a
cure model's survival is :math:`\\pi`, not 0: the censored likelihood :math:`S(L) - S(U)` would
then exclude the cured and drive :math:`\\pi` to 0. The fitter below therefore treats any time at
or beyond ``INFINITY`` as :math:`+\\infty` (survival 0), which restores :math:`S(L)`.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from blinacalc import __version__
from blinacalc._value import value_type
from blinacalc.core.baseline import CALIBRATION_FILE, CALIBRATION_SCHEMA, FAMILIES, cure_fraction, survival
from blinacalc.core.evidence import Evidence, load_evidence, response_landmark_months

INFINITY = 1e24  # lifelines clips an infinite upper bound to 1e25; anything >= this means +inf
_FAMILY_BY_ENDPOINT = {"os": "cure_weibull", "rfs": "cure_weibull", "hsct_ccr": "cure_exponential"}
_INITIAL = {"cure_weibull": [-1.5, 2.0, 0.0], "cure_exponential": [-1.0, 2.5]}


@value_type
class Target:
    """What one curve is fitted to, all taken from the evidence."""

    endpoint: str
    n: float
    landmarks: tuple[tuple[float, float], ...]  # (month, survival), sorted, median included
    followup: tuple[float, float]  # potential follow-up, uniform on [low, high]
    basis: str
    delay: float = 0.0  # months before which the group cannot have events (fitted on t - delay)


def targets(ev: Evidence | None = None) -> dict[str, Target]:
    """The published landmarks each curve must reproduce."""
    ev = ev or load_evidence()
    t = ev.topp

    def uniform_followup(prefix: str) -> tuple[float, float]:
        q = t[f"{prefix}.followup_median_months"]
        assert q.range is not None
        return (2 * q.value - q.range[1], q.range[1])

    os_pts = [(t["os.median_months"].value, 0.5)] + [(m, t[f"os.at_{m}"].value) for m in (24, 36, 48, 60)]
    rfs_pts = [(t["rfs.median_months"].value, 0.5)] + [(m, t[f"rfs.at_{m}"].value) for m in (24, 36, 48)]
    hsct_pts = [(t["hsct_ccr.os_median_months"].value, 0.5), (36.0, t["hsct_ccr.os_at_36"].value)]
    return {
        "os": Target("os", t["os.n"].value, tuple(os_pts), uniform_followup("os"), "Topp 2021 Fig. 1A"),
        "rfs": Target("rfs", t["rfs.n"].value, tuple(rfs_pts), uniform_followup("rfs"), "Topp 2021 Fig. 1B"),
        # No follow-up is published for the HSCT group; the OS follow-up is assumed. The group reached
        # CR/CRh within 2 cycles and lived to be transplanted in continuous CR, so it has no deaths before
        # the response landmark: its curve is fitted from there (delayed entry), still timed from first dose.
        "hsct_ccr": Target(
            "hsct_ccr",
            t["hsct_ccr.n"].value,
            tuple(hsct_pts),
            uniform_followup("os"),
            "Topp 2021 Fig. 1C",
            delay=response_landmark_months(ev),
        ),
    }


def pseudo_data(target: Target) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Interval-censored pseudo-patients ``(lower, upper, weight)`` matching the landmarks.

    Times are on the fitted scale: months after ``target.delay``."""
    low, high = (x - target.delay for x in target.followup)
    landmarks = [(t - target.delay, s) for t, s in target.landmarks]

    def observed(t: float) -> float:
        return float(np.clip((high - t) / (high - low), 0.0, 1.0))

    rows: list[tuple[float, float, float]] = []
    prev_t, prev_s, entering = 0.0, 1.0, float(target.n)
    for t, s in landmarks:
        followed = entering * observed(t) / observed(prev_t)
        if entering > followed:  # follow-up ends before t: known alive at prev_t only
            rows.append((prev_t, INFINITY * 10, entering - followed))
        deaths = followed * (1.0 - s / prev_s)
        if deaths > 0:
            rows.append((max(prev_t, 1e-9), t, deaths))
        entering = followed - deaths
        prev_t, prev_s = t, s
    rows.append((prev_t, INFINITY * 10, entering))
    lower, upper, weight = (np.array(col) for col in zip(*rows, strict=True))
    return lower, upper, weight


def _fitter_class(family: str) -> type:
    import autograd.numpy as anp
    from lifelines.fitters import ParametricUnivariateFitter

    names = FAMILIES[family]

    class CureFitter(ParametricUnivariateFitter):
        _fitted_parameter_names = [f"{n}_" for n in names]  # noqa: RUF012 (lifelines API)
        _bounds = [(None, None)] * len(names)
        _initial_values = np.array(_INITIAL[family])

        def _cumulative_hazard(self, params: Any, times: Any) -> Any:
            finite = times < INFINITY
            s = survival(family, params, anp.where(finite, times, 1.0), xp=anp)
            return anp.where(finite, -anp.log(s), 1e3)  # S(+inf) = 0 for censored rows

    return CureFitter


def median_of(family: str, params: np.ndarray) -> float:
    """The month where the curve crosses 0.5 (bisection; inf if it never does)."""
    f = lambda t: float(survival(family, tuple(params), t)) - 0.5  # noqa: E731
    lo, hi = 0.0, 1e4
    if f(hi) > 0:
        return float("inf")
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if f(mid) > 0 else (lo, mid)
    return 0.5 * (lo + hi)


@value_type
class FitLandmark:
    month: float
    published: float
    fitted: float


@value_type
class CurveFit:
    """One fitted curve and how well it reproduces its published landmarks."""

    family: str
    parameters: tuple[str, ...]
    estimate: tuple[float, ...]
    covariance: tuple[tuple[float, ...], ...]
    cure_fraction: float
    delay_months: float
    median_months: float
    n: float
    basis: str
    followup_uniform_months: tuple[float, float]
    landmarks: tuple[FitLandmark, ...]
    log_likelihood: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "family": self.family,
            "parameters": list(self.parameters),
            "estimate": list(self.estimate),
            "covariance": [list(row) for row in self.covariance],
            "cure_fraction": self.cure_fraction,
            "delay_months": self.delay_months,
            "median_months": self.median_months,
            "n": self.n,
            "basis": self.basis,
            "followup_uniform_months": list(self.followup_uniform_months),
            "landmarks": [{"month": lm.month, "published": lm.published, "fitted": lm.fitted} for lm in self.landmarks],
            "log_likelihood": self.log_likelihood,
        }


@value_type
class CalibrationRecord:
    """Every fitted curve; ``to_dict()`` is the shipped ``calibration.json``."""

    evidence_version: str
    generated_by: str
    curves: dict[str, CurveFit]

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": CALIBRATION_SCHEMA,
            "evidence_version": self.evidence_version,
            "generated_by": self.generated_by,
            "curves": {name: c.to_dict() for name, c in self.curves.items()},
        }


def fit(target: Target) -> CurveFit:
    """Fit one curve with lifelines."""
    family = _FAMILY_BY_ENDPOINT[target.endpoint]
    lower, upper, weight = pseudo_data(target)
    fitter = _fitter_class(family)()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # fractional weights are intended
        fitter.fit_interval_censoring(lower, upper, weights=weight, label=target.endpoint)
    est = np.asarray(fitter.params_.values, dtype=float)
    cov = np.asarray(fitter.variance_matrix_.values, dtype=float)
    reproduced = tuple(
        FitLandmark(m, s, float(survival(family, tuple(est), m - target.delay))) for m, s in target.landmarks
    )
    return CurveFit(
        family=family,
        parameters=FAMILIES[family],
        estimate=tuple(est.tolist()),
        covariance=tuple(tuple(row) for row in cov.tolist()),
        cure_fraction=float(cure_fraction(est)),
        delay_months=target.delay,
        median_months=target.delay + median_of(family, est),
        n=target.n,
        basis=target.basis,
        followup_uniform_months=target.followup,
        landmarks=reproduced,
        log_likelihood=float(fitter.log_likelihood_),
    )


def calibrate(ev: Evidence | None = None) -> CalibrationRecord:
    """Fit every curve; returns the calibration record (not yet written)."""
    import lifelines

    ev = ev or load_evidence()
    return CalibrationRecord(
        evidence_version=ev.version,
        generated_by=f"blinacalc {__version__} calibrate (lifelines {lifelines.__version__})",
        curves={ep: fit(tg) for ep, tg in targets(ev).items()},
    )


def default_path() -> Path:
    return Path(__file__).parent / "core" / CALIBRATION_FILE


def render(record: CalibrationRecord) -> str:
    return json.dumps(record.to_dict(), indent=2, sort_keys=False) + "\n"


def compare(shipped: dict[str, Any], fresh: CalibrationRecord | dict[str, Any], rtol: float = 1e-6) -> list[str]:
    """Differences between a shipped calibration file and a fresh fit (empty when they agree)."""
    if isinstance(fresh, CalibrationRecord):
        fresh = fresh.to_dict()
    problems = []
    if shipped.get("evidence_version") != fresh["evidence_version"]:
        problems.append(
            f"evidence_version: shipped {shipped.get('evidence_version')!r}, evidence {fresh['evidence_version']!r}"
        )
    for name, curve in fresh["curves"].items():
        old = shipped.get("curves", {}).get(name)
        if old is None or old.get("family") != curve["family"] or old.get("delay_months", 0.0) != curve["delay_months"]:
            problems.append(f"curves.{name}: missing or of another family")
            continue
        for key in ("estimate", "covariance"):
            if not np.allclose(old[key], curve[key], rtol=rtol, atol=1e-9):
                problems.append(f"curves.{name}.{key}: shipped {old[key]} != fitted {curve[key]}")
    return problems
