"""Summaries of Monte Carlo curves: estimates, 95% intervals, medians, landmarks, conditioning.

Row 0 of every draw array holds the point estimates, rows 1..D the draws; estimates are read from row 0
and 95% intervals from the 2.5/97.5 percentiles of the rest.
"""

from __future__ import annotations

import numpy as np

from blinacalc.core.result import HORIZON, LANDMARK_MONTHS, MONTHS, Curve, Endpoint, Interval, Landmark
from blinacalc.core.stats import crossing, quantiles

GRID_STEP = float(MONTHS[1] - MONTHS[0])


def index(month: float) -> int:
    """Grid index of ``month`` (a multiple of the grid step)."""
    return round(month / GRID_STEP)


def interval(samples: np.ndarray) -> Interval:
    est = float(samples[0])
    lo, hi = quantiles(samples[1:])
    return Interval(est, min(float(lo), est), max(float(hi), est))


def median_interval(curves: np.ndarray, months: np.ndarray) -> Interval:
    """Median month per draw on ``months`` (the defined part); ``None`` if not reached by its end."""
    med = crossing(curves, months)
    end = float(months[-1])
    lo, hi = quantiles(np.where(np.isfinite(med[1:]), med[1:], 1e9))
    return median_bounds(float(med[0]), float(lo), float(hi), end)


def median_bounds(est: float, lo: float, hi: float, end: float) -> Interval:
    """The median's interval from the estimate's and the draws' quantile months: ``None`` where beyond
    ``end`` (not reached); the interval holds a reached estimate."""

    def reached(x: float) -> float | None:
        return float(x) if x <= end else None

    est_r, lo_r, hi_r = reached(est), reached(lo), reached(hi)
    if est_r is not None:
        lo_r = est_r if lo_r is None else min(lo_r, est_r)
        hi_r = None if hi_r is None else max(hi_r, est_r)
    return Interval(est_r, lo_r, hi_r)


def endpoint(
    curves: np.ndarray,
    hr: np.ndarray | None = None,
    *,
    start: int = 0,
    stop: int = len(MONTHS) - 1,
    time_origin: str = "first_dose",
    alive_at: float | None = None,
    horizon: float = HORIZON,
    basis: str = "individualized",
) -> Endpoint:
    """Summarize (D+1, T) curves: row 0 is the estimate, rows 1.. the draws.

    Only grid columns ``start..stop`` are defined; every value outside them is ``None``.
    """
    part = curves[:, start : stop + 1]
    est = part[0]
    lo, hi = quantiles(part[1:])
    lo, hi = np.minimum(lo, est), np.maximum(hi, est)
    pad_l, pad_r = [None] * start, [None] * (len(MONTHS) - 1 - stop)

    def full(x: np.ndarray) -> tuple[float | None, ...]:
        return (*pad_l, *x.tolist(), *pad_r)

    def landmark(m: int) -> Landmark:
        i = index(m)
        if not start <= i <= stop:
            return Landmark(m, None, None, None)
        j = i - start
        return Landmark(m, float(est[j]), float(lo[j]), float(hi[j]))

    return Endpoint(
        hazard_ratio=None if hr is None else interval(hr),
        median_months=median_interval(part, MONTHS[start : stop + 1]),
        landmarks=tuple(landmark(m) for m in LANDMARK_MONTHS),
        curve=Curve(full(est), full(lo), full(hi)),
        time_origin=time_origin,
        conditional_on_alive_at_months=alive_at,
        horizon_months=horizon,
        basis=basis,
    )


def condition(curves: np.ndarray, month: float) -> tuple[np.ndarray, int]:
    """:math:`S(t)/S(s)` for :math:`t \\ge s` (``month`` = s), and the first grid index at or after s.

    :math:`S(s)` is interpolated between grid points; columns before that index are left as 1.
    """
    i = int(np.floor(month / GRID_STEP + 1e-9))
    frac = month / GRID_STEP - i
    at = curves[:, i] if frac < 1e-9 else curves[:, i] + frac * (curves[:, i + 1] - curves[:, i])
    first = i if frac < 1e-9 else i + 1
    out = np.ones_like(curves)
    with np.errstate(divide="ignore", invalid="ignore"):
        out[:, first:] = np.where(at[:, None] > 0, curves[:, first:] / at[:, None], 0.0)
    return np.minimum(out, 1.0), first


def undefined(alive_at: float | None, horizon: float, basis: str) -> Endpoint:
    """A curve with no defined value (conditioned beyond its horizon)."""
    none = (None,) * len(MONTHS)
    return Endpoint(
        hazard_ratio=None,
        median_months=Interval(None, None, None),
        landmarks=tuple(Landmark(m, None, None, None) for m in LANDMARK_MONTHS),
        curve=Curve(none, none, none),
        conditional_on_alive_at_months=alive_at,
        horizon_months=horizon,
        basis=basis,
    )
