"""A report table written segment by segment (``richview.FittedTable``) is exactly what rich's ``Table`` draws:
the same segments in the same styles, so the same terminal text, HTML and SVG, at every width; where a cell
would wrap, rich's ``Table`` draws it."""

from __future__ import annotations

import io

import pytest
from rich.console import Console, RenderableType

from blinacalc import Patient, predict
from blinacalc.report import content as C
from blinacalc.report import richview

WIDTHS = (20, 30, 40, 50, 60, 70, 80, 100, 120, 160)
HOSTILE = (
    "[bold]x[/]",
    ":smile:",
    "\x1b[31mred",
    "a\tb",
    "bell\x07",
    "back\x08space",
    "漢字の表",
    "e\u0301",
    "👩‍⚕️",
    "",
    # (found by review: rich strips, breaks or drops these its own way)
    "1  ",
    " lead",
    "nbsp\xa0",
    "x\u2028y",
    "p\u2029q",
    "\x1c\x1d",
    "\u180eem\u2003",
    "\x1b[31mred\x1b[0m\xa0nbsp\xa0",
    "zero\u200bwidth",
)


def drawn(renderable: RenderableType, width: int) -> tuple[list[str], str, str, str]:
    """The segments drawn (as written out: text, style and control codes), and the terminal text with
    styles, HTML and SVG exported from them."""
    console = Console(file=io.StringIO(), width=width, color_system="truecolor", force_terminal=True, record=True)
    segments = [repr(segment) for segment in console.render(renderable, console.options)]
    console.print(renderable)
    exported = console.export_text(styles=True, clear=False), console.export_html(clear=False), console.export_svg()
    assert exported[0] and "<svg" in exported[2]
    return segments, *exported


def report_tables() -> list[C.Table]:
    tables = []
    for patient in (
        Patient(),
        Patient(ecog=1, salvage_line=2, prior_hsct=False, t411=False, marrow_blasts=60.0, age=45.0),
    ):
        for alive_at in (None, 6.0):
            report = C.build(predict(patient, draws=200, alive_at_months=alive_at), landmarks=(6, 12, 24, 36, 60))
            tables += [b for s in report.sections for b in s.blocks if isinstance(b, C.Table)]
    return tables


def hostile_tables() -> list[C.Table]:
    return [
        C.Table(("Name", "Value"), tuple((text, text) for text in HOSTILE), title=title, numeric=numeric)
        for title in (
            None,
            "",
            "T",
            "nbsp\xa0title ",
            "[i]title[/i] \x1b[2J",
            "two\nlines",
            "a\ttab",
            "a title far wider than the columns below it",
        )
        for numeric in (True, False)
    ]


def test_report_tables_look_as_rich_draws_them_at_every_width():
    fitted = 0
    for block in report_tables():
        for width in WIDTHS:
            assert drawn(richview.FittedTable(block), width) == drawn(richview.table(block), width), (block, width)
            fitted += richview.fitted_lines(block, width) is not None
    assert fitted > 100  # the lines are written directly for most of them (not rich's Table every time)


@pytest.mark.parametrize("block", hostile_tables(), ids=lambda b: f"{b.title!r}-{b.numeric}")
def test_hostile_cells_and_titles_look_as_rich_draws_them(block):
    for width in WIDTHS:
        assert drawn(richview.FittedTable(block), width) == drawn(richview.table(block), width), width


@pytest.mark.parametrize(
    "block",
    [
        C.Table(("",), (("",),)),  # a column with nothing in it
        C.Table((), ()),  # no columns at all
        C.Table(("a", "b"), (("x", "1  "), ("y", "22"))),  # trailing spaces in a number column
        C.Table(("a", "b"), (("x", "1"),), title=""),  # an empty title
    ],
)
def test_empty_columns_and_titles_look_as_rich_draws_them(block):
    for width in WIDTHS:
        assert drawn(richview.FittedTable(block), width) == drawn(richview.table(block), width), width


def test_a_table_that_does_not_fit_is_drawn_by_rich():
    block = C.Table(("Outcome", "Rate"), (("a long first cell " * 3 + "end", "1%"),))
    assert richview.fitted_lines(block, 40) is None
    assert richview.fitted_lines(block, 80) is not None
    assert richview.fitted_lines(C.Table(("A", "B"), (("1", "2"),), ratios=(1, 5)), 80) is None  # ratios: rich
    assert richview.fitted_lines(C.Table(("A", "B"), (("1", "2"),), title="a title wider than it"), 80) is not None
