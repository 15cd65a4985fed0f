from __future__ import annotations

import itertools

import pytest

from blinacalc.core.result import MONTHS
from blinacalc.report import plot

FLAT_TOP = [1.0] * len(MONTHS)
FLAT_BOTTOM = [0.0] * len(MONTHS)
LINEAR = [1.0 - m / 60 for m in MONTHS]


def _roles(grid):
    return {role for row in grid for _, role in row}


def test_flat_curves_sit_on_the_top_and_bottom_rows():
    top = plot.canvas([plot.Series("a", "patient", FLAT_TOP)], width=20, height=5)
    assert all(role == "patient" for _, role in top[0])
    assert all(role is None for row in top[1:] for _, role in row)
    bottom = plot.canvas([plot.Series("a", "patient", FLAT_BOTTOM)], width=20, height=5)
    assert all(role == "patient" for _, role in bottom[-1])


def test_a_falling_line_is_continuous_and_descends():
    grid = plot.canvas([plot.Series("a", "patient", LINEAR)], width=30, height=9)
    first_row = []
    for col in range(30):
        rows = [r for r in range(9) if grid[r][col][1] == "patient"]
        assert rows, f"column {col} has no ink"
        first_row.append(min(rows))
    assert first_row == sorted(first_row)
    assert first_row[0] == 0 and max(r for col in range(30) for r in range(9) if grid[r][col][1]) == 8


def test_band_fills_between_lo_and_hi_and_lines_draw_on_top():
    s = plot.Series("a", "patient", [0.5] * len(MONTHS), lo=[0.2] * len(MONTHS), hi=[0.8] * len(MONTHS))
    grid = plot.canvas([s], width=10, height=11)
    for col in range(10):
        column = [grid[r][col][1] for r in range(11)]
        assert column[0] is None and column[-1] is None  # outside the band
        assert "band" in column and column[5] == "patient+band"  # the curve keeps the band behind it


def test_dashed_line_has_gaps():
    dashed = plot.canvas([plot.Series("c", "comparator", FLAT_TOP, dashed=True)], width=20, height=3)
    assert {role for _, role in dashed[0]} == {"comparator", None}


@pytest.mark.parametrize("width", [40, 80, 120])
def test_lines_fit_the_width_with_axes(width):
    rows = plot.lines([plot.Series("a", "patient", LINEAR)], width)
    assert all(sum(len(text) for text, _ in row) <= width + 2 for row in rows)
    text = plot.plain(rows)
    assert " 100% ┤" in text and "   0% ┤" in text and "months 0" in text and text.rstrip().endswith("60")


def test_legend_names_each_series():
    legend = plot.plain(
        plot.legend(
            [
                plot.Series("this patient", "patient", LINEAR, LINEAR, LINEAR),
                plot.Series("chemo", "comparator", LINEAR, dashed=True),
            ]
        )
    )
    assert "this patient" in legend and "95% interval" in legend and "chemo" in legend


def test_overlays_are_a_continuous_trail_of_their_marker():
    """Pinned and what-if curves differ from the braille lines in shape, not only colour."""
    grid = plot.canvas([plot.Series("p", "pinned", LINEAR)], width=10, height=41)  # 4 rows per column
    ink = [[r for r in range(41) if grid[r][col] == ("x", "pinned")] for col in range(10)]
    assert all(ink), "every column is marked"
    for left, right in itertools.pairwise(ink):
        assert min(right) == max(left) + 1  # descending, with no vertical gap between neighbouring columns
    assert {text for row in grid for text, role in row if role} == {"x"}
    legend = plot.plain(plot.legend([plot.Series("if cr/crh is reached", "scenario_a", LINEAR)]))
    assert "+++++ if cr/crh is reached" in legend


@pytest.mark.parametrize("size", [(60, 16), (80, 13), (100, 30), (120, 40), (200, 50)])
def test_the_band_is_continuous_and_never_erased_by_a_curve(size):
    """For every month column, the cells from the upper to the lower bound of the 95% interval are band
    cells (a curve drawn across keeps the band as its background); both bounds lie inside them."""
    from blinacalc import Patient, predict
    from blinacalc.core.result import HORIZON
    from blinacalc.report import content as C

    pred = predict(Patient(ecog=1, salvage_line=2, prior_hsct=False), draws=200)
    series = C.os_series(pred, chemo=True)
    width, height = size
    grid = plot.canvas(series, width, height)
    band = series[-1]
    for col in range(width):
        month = (col + 0.5) / width * HORIZON
        lo, hi = plot._interp(band.lo, month), plot._interp(band.hi, month)
        rows = plot.band_rows(lo, hi, height)
        for row in rows:
            role = grid[row][col][1]
            assert role == "band" or role.endswith("+band"), (col, row, role)
        # within one cell of each bound
        assert abs(rows.start - (1 - hi) * height) <= 1 and abs(rows.stop - (1 - lo) * height) <= 1.0 + 1e-9
