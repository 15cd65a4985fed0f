"""Shared assertions for every curve blinacalc returns (after scikit-survival's
``assert_survival_function_properties``): one helper that every test of a curve calls."""

from __future__ import annotations

import numpy as np

from blinacalc.core.result import BASES, LANDMARK_MONTHS, MONTHS, TIME_ORIGINS, Endpoint


def assert_survival_function_properties(ep: Endpoint, name: str = "") -> None:
    """Defined on one contiguous stretch of the grid ending at or before the horizon; there finite,
    within [0, 1], non-increasing, lo <= estimate <= hi; starting at 1 when it starts at its time origin
    or its conditioning month; landmarks and median consistent with the curve; time metadata valid."""
    c = ep.curve
    assert len(c.estimate) == len(c.lo) == len(c.hi) == len(MONTHS) == 121, name
    assert ep.time_origin in TIME_ORIGINS and ep.basis in BASES, name
    defined = np.array([v is not None for v in c.estimate])
    assert all(
        (lo is not None) == d and (hi is not None) == d for lo, hi, d in zip(c.lo, c.hi, defined, strict=False)
    ), name
    if not defined.any():
        assert all(not lm.defined for lm in ep.landmarks), name
        return
    idx = np.flatnonzero(defined)
    assert np.all(np.diff(idx) == 1), f"{name}: defined part is not contiguous"
    assert MONTHS[idx[-1]] <= ep.horizon_months, f"{name}: values beyond the horizon"
    est, lo, hi = (np.array([x[i] for i in idx], dtype=float) for x in (c.estimate, c.lo, c.hi))
    for arr in (est, lo, hi):
        assert np.all(np.isfinite(arr)), name
        assert np.all((arr >= 0) & (arr <= 1)), name
        assert np.all(np.diff(arr) <= 1e-12), name
    assert np.all(lo <= est + 1e-12) and np.all(est <= hi + 1e-12), name
    s = ep.conditional_on_alive_at_months
    if s is None and idx[0] == 0:
        assert est[0] == 1.0, name
    if s is not None:
        assert MONTHS[idx[0]] >= s - 1e-9, f"{name}: values before the conditioning month"
        if MONTHS[idx[0]] == s:
            assert est[0] == 1.0, name
    assert [lm.month for lm in ep.landmarks] == list(LANDMARK_MONTHS), name
    for lm in ep.landmarks:
        i = round(lm.month / 0.5)
        assert lm.defined == bool(defined[i]), f"{name}: landmark {lm.month} disagrees with the curve"
        if lm.defined:
            assert lm.estimate == c.estimate[i], name
            assert lm.lo <= lm.estimate <= lm.hi, name
    m = ep.median_months
    if m.estimate is not None:
        assert m.lo <= m.estimate and (m.hi is None or m.estimate <= m.hi), name
        assert MONTHS[idx[0]] <= m.estimate <= ep.horizon_months, name
