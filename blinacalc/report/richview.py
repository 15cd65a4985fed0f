"""The report as rich renderables: for the terminal, and for HTML and SVG export."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from rich import box
from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.constrain import Constrain
from rich.measure import Measurement
from rich.rule import Rule
from rich.segment import Segment
from rich.style import Style
from rich.table import Table
from rich.text import Text

from blinacalc.report import content as C
from blinacalc.report import plot, styles


def plot_styles(colours: dict[str, str]) -> dict[str, str]:
    """Styles for a plot's cell roles from a palette (``plot.COLOURS`` or ``plot.COLOURS_LIGHT``)."""
    # Bold for every curve but the comparator: under NO_COLOR (colour gone, weight kept) the patient's solid
    # bold line and the comparator's light dashed one still differ in two ways.
    curves = {
        role: f"{'' if role == 'comparator' else 'bold '}{colour}"
        for role, colour in colours.items()
        if role != "band_bg"
    }
    over_band = {f"{role}+band": f"{style} on {colours['band_bg']}" for role, style in curves.items()}
    return {**curves, **over_band, "band": f"{colours['band']} on {colours['band_bg']}", "axis": "dim"}


def plot_row(row: Sequence[plot.Cell], palette: dict[str, str]) -> Text:
    return Text.assemble(*((text, palette.get(role or "", "")) for text, role in row), no_wrap=True)


# Colours by role from plot.COLOURS (Okabe-Ito); the shapes (solid, dashed, shade, markers, ● ○) carry
# the meaning without colour too.
STYLES = {
    **plot_styles(plot.COLOURS),
    **styles.TEXT,
    "icon_filled": plot.COLOURS["patient"],
    "icon_extra": plot.COLOURS["scenario_a"],
    "icon_empty": "dim",
}
MAX_PLOT_WIDTH = 80
PLOT_HEIGHT = 13


class CurvePlot:
    """A survival plot (0–60 months) that fits the width it is given, up to 80 columns."""

    def __init__(self, series: tuple[plot.Series, ...], height: int = PLOT_HEIGHT) -> None:
        self.series = series
        self.height = height

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = min(options.max_width, MAX_PLOT_WIDTH)
        for row in (*plot.lines(self.series, width, self.height), *plot.legend(self.series)):
            yield plot_row(row, STYLES)


ICON_STYLES = {"●": "icon_filled", "◐": "icon_extra", "○": "icon_empty"}


def icons(block: C.Icons) -> Text:
    text = Text()
    for i, glyph in enumerate(block.glyphs()):
        text.append(glyph, STYLES[ICON_STYLES[glyph]])
        text.append("\n" if i % 10 == 9 else " ")
    for n, (glyph, label) in enumerate(block.key()):
        text.append(("   " if n else "") + glyph + " ", STYLES[ICON_STYLES[glyph]]).append(label)
    return text


class FittedTable:
    """A table, drawn as :func:`table`'s rich ``Table`` draws it.

    When every cell fits on one line within the width (the usual case), its segments are written directly;
    otherwise (and for tables with column ratios) rich's ``Table`` draws it. Rich measures and wraps every
    cell of a table before drawing it: about 1.3 ms a table, most of a report's drawing time. The segments
    are rich's own, one for one in the same styles, so the text, HTML and SVG made from them are the same
    (``tests/report/test_richview.py`` compares them with rich's for many reports, hostile text and widths).
    """

    def __init__(self, block: C.Table) -> None:
        self.block = block

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        fitted = fitted_lines(self.block, options.max_width)
        if fitted is None:
            yield table(self.block)
            return
        title, lines = fitted
        if title is not None:
            yield title
        for line in lines:
            yield from line
            yield Segment.line()

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement.get(console, options, table(self.block))


_BOLD, _PLAIN = Style(bold=True), Style()  # the header's cells and padding; the rule, dividers and padding


def fitted_lines(block: C.Table, width: int) -> tuple[RenderableType | None, list[list[Segment]]] | None:
    """:func:`table` as its title and the segments of its lines, when every cell fits on one line within
    ``width``; else None."""
    if block.ratios:
        return None  # columns that share out the width: rich's layout
    cells = [[Text(cell).plain for cell in line] for line in (block.columns, *block.rows)]  # as rich reads them
    if not all(_plain(cell) for line in cells for cell in line) or not (block.title is None or _plain(block.title)):
        return None  # rich breaks lines, expands tabs, strips and drops characters its own way
    lengths = [[cell_len(cell) for cell in line] for line in cells]
    widths = [max(line[j] for line in lengths) for j in range(len(block.columns))]
    if not widths or not all(widths) or block.title == "":
        return None  # an empty column or title: rich's own drawing
    total = sum(widths) + 3 * (len(widths) - 1)  # between columns: padding, a blank divider, padding
    if total > width:
        return None  # rich would wrap some cells
    # The title as rich draws it: within the table's width, wrapped if longer.
    title = None if block.title is None else Constrain(Text(block.title, "italic", justify="left"), total)
    last = len(widths) - 1
    lines = []
    for n, (line, length) in enumerate(zip(cells, lengths, strict=True)):
        cell_style, pad = (_BOLD, _BOLD) if n == 0 else (None, _PLAIN)
        segments = []
        for j, cell in enumerate(line):
            space = " " * (widths[j] - length[j])
            if j:
                segments.append(Segment(" ", pad))
            segments.append(Segment(space + cell if block.numeric and j else cell + space, cell_style))
            if j < last:
                segments += [Segment(" ", pad), Segment(" ", _PLAIN)]
        lines.append(segments)
        if n == 0:
            lines.append([Segment("─" * total, _PLAIN)])
    return title, lines


def _plain(text: str) -> bool:
    """Printable text (no control, format or separator character but the space) without spaces at either
    end: what rich draws as it is."""
    return text.isprintable() and text == text.strip(" ")


def table(block: C.Table) -> Table:
    out = Table(
        # A Text, as every cell: a plain string would be read as rich markup with emoji codes (and importing
        # rich's emoji table is 2 ms of the report)
        title=None if block.title is None else Text(block.title, "italic"),
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        show_edge=False,
        header_style="bold",
    )
    for i, name in enumerate(block.columns):
        ratio = block.ratios[i] if block.ratios else None
        out.add_column(Text(name), justify="right" if i and block.numeric else "left", overflow="fold", ratio=ratio)
    for row in block.rows:
        out.add_row(*(Text(cell) for cell in row))  # cells are data, never rich markup
    return out


def paragraph(block: C.Text) -> Text:
    prefix = styles.WARNING_MARK if block.kind == "warning" else ""
    return Text(prefix + block.text, STYLES[block.kind])


def block(b: C.Block) -> RenderableType:
    if isinstance(b, C.Table):
        return FittedTable(b)
    if isinstance(b, C.Icons):
        return icons(b)
    if isinstance(b, C.Plot):
        return CurvePlot(b.series)
    return paragraph(b)


def section(s: C.Section) -> Group:
    return Group(Rule(Text(s.title, "bold"), align="left", style="dim"), *_spaced(s.blocks))


def _spaced(blocks: tuple[C.Block, ...]) -> Iterator[RenderableType]:
    for i, b in enumerate(blocks):
        if i:
            yield Text()
        yield block(b)


def report(r: C.Report) -> Group:
    return Group(Text(r.title, "bold"), *(part for s in r.sections for part in (Text(), section(s))))
