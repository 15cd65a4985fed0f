"""The report as a real HTML document: headings, tables, an inline SVG chart drawn from the numbers.

No scripts, nothing loaded from the network (DOI links are plain links), print CSS for A4. Every piece
of text is escaped: labels and file contents are data, never markup.
"""

from __future__ import annotations

from html import escape

from blinacalc.core.result import HORIZON, MONTHS
from blinacalc.report import content as C
from blinacalc.report import plot

CHART_W, CHART_H = 720, 340
_LEFT, _RIGHT, _TOP, _BOTTOM = 52, 12, 12, 40
_DASHES = {"comparator": "7 5", "pinned": "2 4", "scenario_a": "10 3 2 3", "scenario_b": "4 2", "reference": "1 3"}

CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif;
       max-width: 52rem; margin: 1.5rem auto; padding: 0 1rem; color: #1a1a1a; line-height: 1.45; }
h1 { font-size: 1.4rem; } h2 { font-size: 1.15rem; border-bottom: 1px solid #ccc; margin-top: 1.6rem; }
table { border-collapse: collapse; margin: 0.6rem 0; }
th, td { padding: 0.2rem 0.7rem; border-bottom: 1px solid #e3e3e3; text-align: left; vertical-align: top;
         white-space: pre-wrap; }
td.n, th.n { text-align: right; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-style: italic; padding-bottom: 0.2rem; }
p.key { font-weight: 600; } p.note { color: #555; font-size: 0.92rem; }
p.warning { border-left: 4px solid #E69F00; padding-left: 0.6rem; font-weight: 600; }
.icons { font-size: 1.2rem; line-height: 1.1; letter-spacing: 0.15rem; }
figure { margin: 0.8rem 0; } figcaption { font-size: 0.9rem; color: #333; }
@page { size: A4; margin: 16mm; }
@media print { body { max-width: none; margin: 0; } h2 { break-after: avoid; } table, figure { break-inside: avoid; } }
"""


def _x(month: float) -> float:
    return _LEFT + month / HORIZON * (CHART_W - _LEFT - _RIGHT)


def _y(s: float) -> float:
    return _TOP + (1.0 - s) * (CHART_H - _TOP - _BOTTOM)


def _segments(values: tuple[float | None, ...] | list[float | None]) -> list[list[tuple[float, float]]]:
    """The defined stretches of a curve as (month, value) points (a curve is None outside its domain)."""
    out: list[list[tuple[float, float]]] = [[]]
    for month, v in zip(MONTHS, values, strict=True):
        if v is None:
            if out[-1]:
                out.append([])
            continue
        out[-1].append((float(month), float(v)))
    return [seg for seg in out if seg]


def chart(series: tuple[plot.Series, ...]) -> str:
    """An SVG line chart: each band as a filled polygon under its curve, curves as polylines (dashed
    patterns tell them apart without colour), axes with month ticks and percent labels."""
    colours = plot.COLOURS_LIGHT
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {CHART_W} {CHART_H}" width="100%" role="img" '
        f'aria-label="Overall survival curves">'
    ]
    for pct in (0, 25, 50, 75, 100):
        y = _y(pct / 100)
        parts.append(f'<line x1="{_LEFT}" y1="{y:.1f}" x2="{CHART_W - _RIGHT}" y2="{y:.1f}" stroke="#e5e5e5"/>')
        parts.append(f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end">{pct}%</text>')
    for month in plot.X_TICKS:
        x = _x(month)
        parts.append(f'<line x1="{x:.1f}" y1="{_y(0):.1f}" x2="{x:.1f}" y2="{_y(0) + 5:.1f}" stroke="#555"/>')
        parts.append(f'<text x="{x:.1f}" y="{_y(0) + 18:.1f}" font-size="11" text-anchor="middle">{month}</text>')
    parts.append(
        f'<text x="{(_LEFT + CHART_W) / 2:.1f}" y="{CHART_H - 4}" font-size="11" text-anchor="middle">'
        "months from first dose</text>"
    )
    parts.append(f'<line x1="{_LEFT}" y1="{_y(0):.1f}" x2="{CHART_W - _RIGHT}" y2="{_y(0):.1f}" stroke="#555"/>')
    parts.append(f'<line x1="{_LEFT}" y1="{_y(0):.1f}" x2="{_LEFT}" y2="{_y(1):.1f}" stroke="#555"/>')
    for s in series:
        if s.lo is None or s.hi is None:
            continue
        for hi_seg, lo_seg in zip(_segments(list(s.hi)), _segments(list(s.lo)), strict=True):
            points = [(_x(m), _y(v)) for m, v in hi_seg] + [(_x(m), _y(v)) for m, v in reversed(lo_seg)]
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            colour = colours[s.role]
            parts.append(f'<polygon points="{path}" fill="{colour}" fill-opacity="0.18" stroke="none"/>')
    for s in series:
        colour = colours.get(s.role, "#333")
        dash = _DASHES.get(s.role, "")
        width = 2.5 if s.role == "patient" else 1.8
        for seg in _segments(list(s.estimate)):
            path = " ".join(f"{_x(m):.1f},{_y(v):.1f}" for m, v in seg)
            dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
            parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="{width}"{dash_attr}/>')
    parts.append("</svg>")
    return "".join(parts)


def _legend(series: tuple[plot.Series, ...]) -> str:
    colours = plot.COLOURS_LIGHT
    items = []
    for s in reversed(series):
        dash = _DASHES.get(s.role, "")
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        swatch = (
            f'<svg width="36" height="10" aria-hidden="true"><line x1="0" y1="5" x2="36" y2="5" '
            f'stroke="{colours.get(s.role, "#333")}" stroke-width="2.5"{dash_attr}/></svg>'
        )
        band = " (shaded: 95% interval)" if s.lo is not None else ""
        items.append(f"<span>{swatch} {escape(s.label)}{band}</span>")
    return "<figcaption>" + " &nbsp; ".join(items) + "</figcaption>"


def _table(block: C.Table) -> str:
    def cls(i: int) -> str:
        return ' class="n"' if i and block.numeric else ""

    head = "".join(f"<th{cls(i)}>{escape(c)}</th>" for i, c in enumerate(block.columns))
    rows = "".join(
        "<tr>" + "".join(f"<td{cls(i)}>{escape(c)}</td>" for i, c in enumerate(row)) + "</tr>" for row in block.rows
    )
    caption = f"<caption>{escape(block.title)}</caption>" if block.title else ""
    return f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>"


def _icons(block: C.Icons) -> str:
    glyphs = block.glyphs()
    grid = "<br>".join(" ".join(glyphs[r * 10 : r * 10 + 10]) for r in range(10))
    key = " &nbsp; ".join(f"{g} {escape(label)}" for g, label in block.key())
    return f'<div class="icons" aria-hidden="true">{grid}</div><p>{key}</p>'


def _paragraph(block: C.Text) -> str:
    text = "<br>".join(escape(line) for line in block.text.split("\n"))
    prefix = "Warning: " if block.kind == "warning" else ""
    return f'<p class="{escape(block.kind)}">{prefix}{text}</p>'


def _block(b: C.Block) -> str:
    if isinstance(b, C.Table):
        return _table(b)
    if isinstance(b, C.Icons):
        return _icons(b)
    if isinstance(b, C.Plot):
        return f"<figure>{chart(b.series)}{_legend(b.series)}</figure>"
    return _paragraph(b)


def render(report: C.Report) -> str:
    body = "".join(
        f'<section id="{escape(s.key)}"><h2>{escape(s.title)}</h2>'
        + "".join(_block(b) for b in s.blocks)
        + "</section>"
        for s in report.sections
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(report.title)}</title><style>{CSS}</style></head>"
        f"<body><h1>{escape(report.title)}</h1>{body}</body></html>\n"
    )
