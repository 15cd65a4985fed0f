"""A small text plot of survival curves (0–60 months) with a 95% band, for terminals and notes.

Lines are drawn in braille dots (2 × 4 per character cell), the band as a light shade; overlays
(a pinned patient, the what-if curves) are drawn cell by cell in a marker character. Each cell
carries a *role* (``patient``, ``comparator``, ``band``, ``axis``, an overlay's role or ``None``) that
a view maps to a style; the shapes alone (solid line, dashed line, shade, markers) stay readable
without colour. The same plot serves ``blinacalc summary``, the exports and the TUI.
"""

from __future__ import annotations

from collections.abc import Sequence

from blinacalc._value import value_type
from blinacalc.core.result import HORIZON, MONTHS

# Braille dot bit for sub-pixel (row 0-3, column 0-1) of a cell.
_DOTS = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))
_BAND = "░"
Y_TICKS = (1.0, 0.75, 0.5, 0.25, 0.0)
X_TICKS = (0, 12, 24, 36, 48, 60)
Y_AXIS_WIDTH = 6  # "100% ┤"
# Okabe-Ito colours by role: distinguishable with the common colour-vision deficiencies, and
# readable on dark and light backgrounds. Shapes (line, dashes, dots, blocks) carry the same meaning.
COLOURS = {
    "patient": "#56B4E9",
    "band": "#56B4E9",
    "band_bg": "#1c3747",  # the band behind a curve drawn across it: a dark tint of the patient's blue
    "comparator": "#D55E00",
    "pinned": "#CC79A7",
    "scenario_a": "#009E73",
    "scenario_b": "#E69F00",
    "reference": "#56B4E9",  # the patient alive at the landmark, beside the what-if curves: the patient's blue
}
# On light backgrounds sky blue is faint: the patient's curve takes Okabe-Ito's darker blue.
COLOURS_LIGHT = {**COLOURS, "patient": "#0072B2", "band": "#0072B2", "band_bg": "#d4e7f4", "reference": "#0072B2"}
# Overlays drawn as a trail of marker characters rather than braille, so they differ in shape too (the
# reference's dots from the comparator's dashes, without colour).
MARKERS = {"pinned": "x", "scenario_a": "+", "scenario_b": "-", "reference": "·"}


@value_type
class Series:
    """One curve on the 0–60-month grid; ``lo``/``hi`` draw a band, ``dashed`` a broken line."""

    label: str
    role: str
    estimate: Sequence[float | None]
    lo: Sequence[float | None] | None = None
    hi: Sequence[float | None] | None = None
    dashed: bool = False


Cell = tuple[str, str | None]


def _interp(values: Sequence[float | None], month: float) -> float | None:
    """The curve at ``month``; ``None`` where it is undefined (before its start, beyond its horizon)."""
    step = float(MONTHS[1] - MONTHS[0])
    i = min(int(month / step), len(values) - 2)
    frac = month / step - i
    a, b = values[i], values[i + 1]
    if a is None or b is None:
        near = a if frac < 0.5 else b  # at the edge of the domain, the nearer defined point
        return None if near is None or abs(frac - (0.0 if near is a else 1.0)) > 0.5 else near
    return a + (b - a) * frac


def _pixel_row(s: float, pixels: int) -> int:
    return round((1.0 - min(max(s, 0.0), 1.0)) * (pixels - 1))


def canvas(series: Sequence[Series], width: int, height: int) -> list[list[Cell]]:
    """The plot area: ``height`` rows of ``width`` cells, later series drawn on top."""
    px_w, px_h = 2 * width, 4 * height
    grid: list[list[Cell]] = [[(" ", None)] * width for _ in range(height)]
    for s in series:
        if s.lo is None or s.hi is None:
            continue
        for col in range(width):
            month = (col + 0.5) / width * HORIZON
            lo, hi = _interp(s.lo, month), _interp(s.hi, month)
            if lo is None or hi is None:
                continue
            for row in band_rows(lo, hi, height):
                grid[row][col] = (_BAND, "band")
    for s in series:
        if s.role in MARKERS:
            _marker_line(grid, s, width, height)
            continue
        bits: dict[tuple[int, int], int] = {}
        prev = None
        for x in range(px_w):
            value = _interp(s.estimate, x / (px_w - 1) * HORIZON)
            if value is None:
                prev = None
                continue
            y = _pixel_row(value, px_h)
            top, bottom = (y, y) if prev is None else (min(prev, y), max(prev, y))
            prev = y
            if s.dashed and (x // 4) % 2 == 1:
                continue
            for py in range(top, bottom + 1):
                key = (py // 4, x // 2)
                bits[key] = bits.get(key, 0) | _DOTS[py % 4][x % 2]
        for (row, col), b in bits.items():
            grid[row][col] = (chr(0x2800 + b), _over(grid[row][col], s.role))
    return grid


def band_rows(lo: float, hi: float, height: int) -> range:
    """The rows a band from ``lo`` to ``hi`` covers: every row whose span meets the interval, so that a
    narrow band still shows at least one row, and both bounds are inside the shaded rows."""
    top = min(height - 1, max(0, int((1.0 - min(hi, 1.0)) * height)))
    bottom = min(height - 1, max(0, int((1.0 - max(lo, 0.0)) * height - 1e-9)))
    return range(top, max(top, bottom) + 1)


def _over(cell: Cell, role: str) -> str:
    """A curve drawn over the band keeps it: the cell's role says both (views give it the band's background)."""
    under = cell[1]
    return f"{role}+band" if under == "band" or (under or "").endswith("+band") else role


def _marker_line(grid: list[list[Cell]], s: Series, width: int, height: int) -> None:
    """A line one cell thick in ``MARKERS[s.role]``, joined vertically between columns."""
    prev = None
    for col in range(width):
        value = _interp(s.estimate, (col + 0.5) / width * HORIZON)
        if value is None:
            prev = None
            continue
        row = _pixel_row(value, height)
        top, bottom = (row, row) if prev is None else (min(prev + 1, row), max(prev - 1, row))
        prev = row
        for r in range(top, bottom + 1):
            grid[r][col] = (MARKERS[s.role], _over(grid[r][col], s.role))


def lines(series: Sequence[Series], width: int, height: int = 13) -> list[list[Cell]]:
    """The whole plot with axes: y in % (0–100), x in months (0–60); ``width`` includes the axis.

    A height of 4k + 1 rows puts every y tick (0, 25, 50, 75, 100%) on its exact row.
    """
    plot_w = max(width - Y_AXIS_WIDTH - 1, 12)
    grid = canvas(series, plot_w, height)
    tick_rows = {round((1.0 - y) * (height - 1)): y for y in Y_TICKS}
    out: list[list[Cell]] = []
    for row, cells in enumerate(grid):
        axis = f"{100 * tick_rows[row]:>4.0f}% ┤" if row in tick_rows else "      │"
        out.append(runs([(axis, "axis"), *cells]))
    tick_cols = {round(m / HORIZON * (plot_w - 1)): m for m in X_TICKS}
    rule = "".join("┬" if c in tick_cols else "─" for c in range(plot_w))
    out.append([("      └" + rule, "axis")])
    labels = list("months".ljust(plot_w + 8))
    for col, m in tick_cols.items():
        text = str(m)
        start = Y_AXIS_WIDTH + 1 + col - len(text) // 2
        labels[start : start + len(text)] = text
    out.append([("".join(labels).rstrip(), "axis")])
    return out


def runs(cells: Sequence[Cell]) -> list[Cell]:
    """Adjacent cells of the same role joined into one: the same text and styles in fewer pieces (a plot row
    of 64 cells is about 5 runs; every piece costs the renderers a style)."""
    out: list[Cell] = []
    for text, role in cells:
        if out and out[-1][1] == role:
            out[-1] = (out[-1][0] + text, role)
        else:
            out.append((text, role))
    return out


def legend(series: Sequence[Series], band_row: bool = False) -> list[list[Cell]]:
    """One legend row per series, the series drawn on top first; a band follows its series on the
    same row, or on a row of its own with ``band_row`` (for narrow panels)."""
    rows: list[list[Cell]] = []
    for s in reversed(series):
        glyph = MARKERS[s.role] * 5 if s.role in MARKERS else "⠒⠒ ⠒⠒" if s.dashed else "⠒⠒⠒⠒⠒"
        rows.append([("      ", None), (glyph, s.role), (f" {s.label}", None)])
        if s.lo is not None and band_row:
            rows.append([("      ", None), (_BAND * 5, "band"), (" 95% interval", None)])
        elif s.lo is not None:
            rows[-1] += [("  ", None), (_BAND * 2, "band"), (" 95% interval", None)]
    return rows


def plain(rows: Sequence[Sequence[Cell]]) -> str:
    """The plot as plain text (no styles), e.g. for markdown."""
    return "\n".join("".join(text for text, _ in row).rstrip() for row in rows)
