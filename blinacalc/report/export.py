"""A report as text in one of the file formats: plain text, markdown, HTML or SVG."""

from __future__ import annotations

import re
from io import StringIO

from blinacalc.report import REPORT_FORMATS, markdown, richview
from blinacalc.report import content as C

FORMATS = REPORT_FORMATS
EXPORT_WIDTH = 80


def render(report: C.Report, fmt: str, width: int = EXPORT_WIDTH) -> str:
    """``rich`` gives plain text without escape codes (for files and pipes); ``html`` a document with tables
    and an inline SVG chart; ``svg`` an image of the coloured terminal report."""
    if fmt == "markdown":
        return markdown.render(report)
    if fmt == "html":
        from blinacalc.report import htmlview

        return htmlview.render(report)
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    from rich.console import Console

    if fmt == "rich":
        console = Console(file=StringIO(), width=width, color_system=None, force_terminal=False)
        console.print(richview.report(report))
        return console.file.getvalue()  # type: ignore[attr-defined]
    console = Console(file=StringIO(), width=width, record=True, force_terminal=True, color_system="truecolor")
    console.print(richview.report(report))
    return local_fonts_only(console.export_svg(title=report.title))


_REMOTE_FONT = re.compile(r',\s*url\("https?://[^"]*"\)\s*format\("[^"]*"\)')


def local_fonts_only(svg: str) -> str:
    """An SVG whose fonts are only the reader's own (``local(...)``): rich's exports load Fira Code from
    a CDN, and opening a report must make no network request."""
    return _REMOTE_FONT.sub("", svg)
