"""The overall-survival plot (textual-plotext) and the legend under it."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual_plotext import PlotextPlot

from blinacalc.core.result import HORIZON, MONTHS
from blinacalc.report.plot import COLOURS, COLOURS_LIGHT, X_TICKS, Y_TICKS, Series

# Shapes that stay distinct without colour: a fine braille line for the patient, dots for the band,
# half-blocks for the comparator, other symbols for the overlays.
MARKERS = {"patient": "braille", "band": "·", "comparator": "hd", "pinned": "x", "scenario_a": "+", "scenario_b": "-"}
_GRID = [float(m) for m in MONTHS]


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


class SurvivalPlot(PlotextPlot):
    """Draws :class:`~blinacalc.report.plot.Series` (survival fractions on the 0–60-month grid) in %."""

    def draw(self, series: Sequence[Series], colours: dict[str, str] = COLOURS) -> None:
        plt = self.plt
        plt.clear_data()
        for s in series:
            if s.lo is not None and s.hi is not None:
                for bound in (s.lo, s.hi):
                    plt.plot(_GRID, [100 * v for v in bound], marker=MARKERS["band"], color=_rgb(colours["band"]))
        for s in series:
            plt.plot(_GRID, [100 * v for v in s.estimate], marker=MARKERS[s.role], color=_rgb(colours[s.role]))
        plt.xlim(0, HORIZON)
        plt.ylim(0, 100)
        plt.xticks(list(X_TICKS))
        plt.yticks([100 * y for y in Y_TICKS], [f"{100 * y:.0f}%" for y in Y_TICKS])
        plt.xlabel("months since the start of blinatumomab")
        self.refresh()


def colours_for(dark: bool) -> dict[str, str]:
    return COLOURS if dark else COLOURS_LIGHT


def legend(series: Sequence[Series], colours: dict[str, str] = COLOURS) -> Text:
    """One line per curve, top-most first, with the marker the plot uses."""
    glyph = {"braille": "⠒⠒⠒", "hd": "▀▄▀", "·": "···"}
    text = Text()
    for s in reversed(series):
        marker = MARKERS[s.role]
        text.append(f"{glyph.get(marker, marker * 3)} ", style=f"bold {colours[s.role]}").append(s.label + "\n")
        if s.lo is not None:
            text.append("··· ", style=colours["band"]).append("95% interval\n")
    text.rstrip()
    return text
