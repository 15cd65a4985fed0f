"""The calibrated curves reproduce the published Kaplan–Meier landmarks (Topp 2021, Fig. 1A-C)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from blinacalc import calibrate as cal
from blinacalc.core.baseline import cure_fraction, load_calibration

PP = 0.01  # acceptance: every landmark within 1 percentage point
MONTHS_TOL = 0.3  # acceptance: every median within 0.3 months

# (endpoint, month, published survival): Topp 2021 Results paragraph 2 and Abstract.
LANDMARKS = [
    ("os", 24, 0.234),
    ("os", 36, 0.177),
    ("os", 48, 0.158),
    ("os", 60, 0.158),
    ("rfs", 24, 0.269),
    ("rfs", 36, 0.234),
    ("rfs", 48, 0.234),
    ("hsct_ccr", 36, 0.372),
]
# (endpoint, published median in months): Topp 2021 Abstract.
MEDIANS = [("os", 7.5), ("rfs", 7.7), ("hsct_ccr", 18.1)]


@pytest.mark.parametrize(("endpoint", "month", "published"), LANDMARKS)
def test_fitted_curve_reproduces_landmark(endpoint, month, published):
    """Topp 2021 Results para. 2 / Abstract: KM landmarks, within 1 percentage point."""
    curve = load_calibration().curves[endpoint]
    assert abs(float(curve.survival([month])[0]) - published) <= PP


@pytest.mark.parametrize(("endpoint", "published"), MEDIANS)
def test_fitted_curve_reproduces_median(endpoint, published):
    """Topp 2021 Abstract: KM medians, within 0.3 months."""
    curve = load_calibration().curves[endpoint]
    assert abs(curve.delay_months + cal.median_of(curve.family, curve.estimate) - published) <= MONTHS_TOL


def test_hsct_curve_has_no_deaths_before_the_response_landmark():
    """The Fig. 1C group reached CR/CRh within 2 cycles (2 x 6 weeks = 2.76 months, Topp 2021 Methods) and
    lived to transplant: its curve is fitted with delayed entry at the 3-month landmark."""
    curve = load_calibration().curves["hsct_ccr"]
    assert curve.delay_months == 3.0
    s = curve.survival(np.array([0.0, 1.0, 3.0, 3.5, 36.0]))
    assert s[:3].tolist() == [1.0, 1.0, 1.0] and s[3] < 1.0
    assert abs(s[4] - 0.372) <= 0.01  # Topp 2021 Abstract: 3-year OS 37.2%


def test_cure_fraction_is_not_driven_to_zero():
    """The pitfall: an infinite upper bound clipped to 1e25 makes S(U) = pi and pushes pi to 0.

    The OS plateau is 15.8% (Topp 2021 Results para. 2); the fitted cure fraction must be near it.
    """
    curves = load_calibration().curves
    assert 0.10 < float(cure_fraction(curves["os"].estimate)) < 0.20
    assert 0.15 < float(cure_fraction(curves["rfs"].estimate)) < 0.30


@pytest.mark.parametrize("endpoint", ["os", "rfs", "hsct_ccr"])
def test_pseudo_data_life_table_reproduces_landmarks_exactly(endpoint):
    """The pseudo-patients' life table gives back the published landmarks and n."""
    target = cal.targets()[endpoint]
    lower, upper, weight = cal.pseudo_data(target)
    assert weight.sum() == pytest.approx(target.n)
    assert (weight >= 0).all()
    times = [m - target.delay for m, _ in target.landmarks]
    s = 1.0
    for t0, t1, (_, published) in zip([0.0, *times], times, target.landmarks, strict=False):
        # Interval (t0, t1]: deaths are rows ending at t1; at risk are those deaths plus everyone
        # known alive at t1 (rows censored at t0 left follow-up before the interval).
        deaths = weight[(upper == t1) & (lower == max(t0, 1e-9))].sum()
        alive_at_t1 = weight[lower >= t1].sum()
        s *= alive_at_t1 / (alive_at_t1 + deaths)
        assert s == pytest.approx(published, abs=1e-12)


def test_followup_assumption_matches_published_median_followup():
    """Topp 2021 Results para. 1: median follow-up 36.0 months (max 60.8) for OS, 35.0 (max 59.5) for RFS."""
    t = cal.targets()
    assert sum(t["os"].followup) / 2 == pytest.approx(36.0)
    assert t["os"].followup[1] == 60.8
    assert sum(t["rfs"].followup) / 2 == pytest.approx(35.0)
    assert t["rfs"].followup[1] == 59.5


def test_shipped_file_matches_a_fresh_fit():
    """Re-fit with lifelines and compare with the shipped calibration.json."""
    shipped = json.loads(cal.default_path().read_text(encoding="utf-8"))
    fresh = cal.calibrate()
    assert cal.compare(shipped, fresh) == []


def test_compare_reports_a_stale_file():
    shipped = json.loads(cal.default_path().read_text(encoding="utf-8"))
    tampered = json.loads(json.dumps(shipped))
    tampered["curves"]["os"]["estimate"][0] += 0.01
    tampered["evidence_version"] = "old"
    problems = cal.compare(tampered, shipped)
    assert any("curves.os.estimate" in p for p in problems)
    assert any("evidence_version" in p for p in problems)
