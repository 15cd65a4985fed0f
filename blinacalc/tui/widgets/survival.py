"""The overall-survival plot and the legend under it: the report's braille plot, sized to the widget."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.content import Content
from textual.widget import Widget

from blinacalc.report import plot
from blinacalc.report.plot import COLOURS, COLOURS_LIGHT, Series
from blinacalc.report.richview import plot_row, plot_styles

_AXIS_ROWS = 2  # the x axis and its labels, under the plot area


class SurvivalPlot(Widget):
    """Draws :class:`~blinacalc.report.plot.Series` (survival fractions on the 0–60-month grid) with axes
    in %, filling the widget's width; the plot area is 4k + 1 rows high so every y tick is exact, and
    any rows left over go above it."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._series: tuple[Series, ...] = ()
        self._styles = plot_styles(COLOURS)

    def draw(self, series: Sequence[Series], colours: dict[str, str] = COLOURS) -> None:
        self._series = tuple(series)
        self._styles = plot_styles(colours)
        self.refresh()

    def render(self) -> Content:
        """The plot as Textual ``Content`` (a rich ``Text`` would be rendered through a rich console first:
        about 6 ms more per frame at 120 x 40)."""
        if not self._series:
            return Content()
        width, height = self.content_size
        rows = (max(height - _AXIS_ROWS, 5) - 1) // 4 * 4 + 1
        spare = "\n" * max(height - _AXIS_ROWS - rows, 0)  # above the plot, so it sits on its legend
        styles = self._styles
        lines = (
            Content.assemble(*((text, styles.get(role or "", "")) for text, role in row))
            for row in plot.lines(self._series, width, rows)
        )
        return Content(spare) + Content("\n").join(lines)


def colours_for(dark: bool) -> dict[str, str]:
    return COLOURS if dark else COLOURS_LIGHT


def legend(series: Sequence[Series], colours: dict[str, str] = COLOURS) -> Text:
    """One line per curve, top-most first, with the shape the plot uses."""
    styles = plot_styles(colours)
    return Text("\n").join(plot_row(row, styles) for row in plot.legend(series, band_row=True))
