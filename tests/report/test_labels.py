from __future__ import annotations

import pytest

from blinacalc.core.result import Interval, Rate
from blinacalc.report import labels as L


@pytest.mark.parametrize(
    ("x", "digits", "text"),
    [(0.475, 1, "47.5%"), (0.38, 0, "38%"), (0.004, 0, "<1%"), (0.0, 0, "0%"), (0.0, 1, "0.0%"), (None, 0, "n/a")],
)
def test_pct(x, digits, text):
    assert L.pct(x, digits) == text


def test_median_reached_and_not():
    assert L.median(Interval(7.51, 6.02, 9.49)) == "7.5 mo (6.0–9.5)"
    assert L.median(Interval(7.51, 6.02, 9.49), "95% interval ") == "7.5 mo (95% interval 6.0–9.5)"
    assert L.median(Interval(18.1, 10.7, None)) == "18.1 mo (10.7 to beyond 60)"
    assert L.median(Interval(None, 40.0, None)) == "not reached by 60 mo (95% interval from 40.0 mo)"
    assert L.median(Interval(None, None, None)) == "not reached by 60 mo"


def test_rate_keeps_published_precision():
    """TOWER prints 76% (no decimals, no interval): it must not become '76.0%'."""
    assert L.rate(Rate(0.76, None, None, None, None)) == "76%"
    assert L.rate(Rate(123 / 259, 0.415, 0.536, 123, 259)) == "47.5% (41.5–53.6%) 123/259"
    assert L.rate(Rate(123 / 259, 0.415, 0.536, 123, 259), counts=False) == "47.5% (41.5–53.6%)"


@pytest.mark.parametrize(("n", "text"), [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"), (22, "22nd")])
def test_ordinal(n, text):
    assert L.ordinal(n) == text


def test_inputs_as_entered():
    assert L.input_value("ecog", None) == "unknown"
    assert L.input_value("ecog", 0) == "0 (fully active)"
    assert L.input_value("salvage_line", 3) == "3rd salvage"
    assert L.input_value("prior_hsct", False) == "no"
    assert L.input_value("t411", True) == "yes"
