"""The report as markdown, for pasting into notes: tables, no escape codes."""

from __future__ import annotations

from blinacalc.report import content as C
from blinacalc.report import plot

PLOT_WIDTH = 72


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def table(block: C.Table) -> str:
    head = "| " + " | ".join(_cell(c) for c in block.columns) + " |"
    rule = "| " + " | ".join("---:" if i and block.numeric else "---" for i in range(len(block.columns))) + " |"
    rows = ["| " + " | ".join(_cell(c) for c in row) + " |" for row in block.rows]
    title = [f"*{block.title}*", ""] if block.title else []
    return "\n".join([*title, head, rule, *rows])


def icons(block: C.Icons) -> str:
    grid = "\n".join(" ".join("●" if r * 10 + c < block.filled else "○" for c in range(10)) for r in range(10))
    return f"```text\n{grid}\n● {block.filled_label}   ○ {block.empty_label}\n```"


def paragraph(block: C.Text) -> str:
    if block.kind == "warning":
        return f"> **Warning:** {block.text}"
    if block.kind == "key":
        return f"**{block.text}**"
    if block.kind == "note":
        return f"_{block.text}_"
    return block.text


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
    parts = [f"# {r.title}"]
    for s in r.sections:
        parts.append(f"## {s.title}")
        parts.extend(block(b) for b in s.blocks)
    return "\n\n".join(parts) + "\n"
