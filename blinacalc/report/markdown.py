"""The report as markdown, for pasting into notes: tables, no escape codes.

Every piece of text is data: markup characters are escaped and ``<``/``>``/``&`` become entities, so a
label or file content can never become a tag, link, table cell or emphasis."""

from __future__ import annotations

from blinacalc._text import markdown as _md
from blinacalc.report import content as C
from blinacalc.report import plot

PLOT_WIDTH = 72


def _cell(text: str) -> str:
    return _md(text, cell=True)


def table(block: C.Table) -> str:
    head = "| " + " | ".join(_cell(c) for c in block.columns) + " |"
    rule = "| " + " | ".join("---:" if i and block.numeric else "---" for i in range(len(block.columns))) + " |"
    rows = ["| " + " | ".join(_cell(c) for c in row) + " |" for row in block.rows]
    title = [f"*{_md(block.title)}*", ""] if block.title else []
    return "\n".join([*title, head, rule, *rows])


def icons(block: C.Icons) -> str:
    glyphs = block.glyphs()
    grid = "\n".join(" ".join(glyphs[r * 10 : r * 10 + 10]) for r in range(10))
    labels = "   ".join(f"{g} {label}" for g, label in block.key()).replace("`", "'")  # cannot close the fence
    return f"```text\n{grid}\n{labels}\n```"


def paragraph(block: C.Text) -> str:
    text = "  \n".join(_md(line) for line in block.text.split("\n"))  # a line break in our text: a hard break
    if block.kind == "warning":
        return f"> **Warning:** {text}"
    if block.kind == "key":
        return f"**{text}**"
    if block.kind == "note":
        return f"_{text}_"
    return text


def block(b: C.Block) -> str:
    if isinstance(b, C.Table):
        return table(b)
    if isinstance(b, C.Icons):
        return icons(b)
    if isinstance(b, C.Plot):
        rows = [*plot.lines(b.series, PLOT_WIDTH), *plot.legend(b.series)]
        return f"```text\n{plot.plain(rows)}\n```"
    return paragraph(b)


def render(r: C.Report) -> str:
    parts = [f"# {_md(r.title)}"]
    for s in r.sections:
        parts.append(f"## {_md(s.title)}")
        parts.extend(block(b) for b in s.blocks)
    return "\n\n".join(parts) + "\n"
