"""The overall-survival plot and the legend under it: the report's braille plot, sized to the widget."""

from __future__ import annotations

from collections.abc import Sequence

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.selection import Selection
from textual.strip import Strip
from textual.widget import Widget

from blinacalc.report import plot
from blinacalc.report.plot import COLOURS, COLOURS_LIGHT, Series
from blinacalc.report.richview import plot_row, plot_styles

_AXIS_ROWS = 2  # the x axis and its labels, under the plot area


class SurvivalPlot(Widget):
    """Draws :class:`~blinacalc.report.plot.Series` (survival fractions on the 0–60-month grid) with axes
    in %, filling the widget's width; the plot area is 4k + 1 rows high so every y tick is exact, and
    any rows left over go above it.

    Lines are drawn with Textual's line API (:meth:`render_line`): each row's runs of same-role cells become
    segments with their style, built once per drawing and size. Rendering it as Textual ``Content`` took
    about 4.5 ms a frame at 120 x 40 (wrapping and styling text that is already laid out), this 1.7-2.
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._series: tuple[Series, ...] = ()
        self._styles = plot_styles(COLOURS)
        self._strips: list[Strip] = []
        self._drawn: tuple[object, ...] | None = None  # what _strips were built for

    def draw(self, series: Sequence[Series], colours: dict[str, str] = COLOURS) -> None:
        self._series = tuple(series)
        self._styles = plot_styles(colours)
        self._drawn = None
        self.refresh()

    def render_line(self, y: int) -> Strip:
        width, height = self.content_size
        base = self.visual_style.rich_style
        key = (width, height, base)
        if self._drawn != key:
            self._strips = self._lines(width, height, base)
            self._drawn = key
        return self._strips[y] if 0 <= y < len(self._strips) else Strip.blank(width, base)

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        """The plot's characters under a selection (for copying), as Textual gives a text widget's."""
        if not self._strips:
            return None
        return selection.extract("\n".join(strip.text for strip in self._strips)), "\n"

    def _lines(self, width: int, height: int, base: Style) -> list[Strip]:
        if not self._series or width <= 0:
            return []
        rows = (max(height - _AXIS_ROWS, 5) - 1) // 4 * 4 + 1
        spare = [Strip.blank(width, base)] * max(height - _AXIS_ROWS - rows, 0)  # above: the plot sits on its legend
        styles = {role: base + Style.parse(style) for role, style in self._styles.items()}
        return spare + [
            Strip([Segment(text, styles.get(role or "", base)) for text, role in row]).adjust_cell_length(width, base)
            for row in plot.lines(self._series, width, rows)
        ]


def colours_for(dark: bool) -> dict[str, str]:
    return COLOURS if dark else COLOURS_LIGHT


def legend(series: Sequence[Series], colours: dict[str, str] = COLOURS) -> Text:
    """One line per curve, top-most first, with the shape the plot uses."""
    styles = plot_styles(colours)
    return Text("\n").join(plot_row(row, styles) for row in plot.legend(series, band_row=True))
