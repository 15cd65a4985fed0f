"""Text from users and files is data: made safe for each face it is shown in.

* :func:`printable` for terminals and logs: C0/C1 control characters (escape sequences, NUL, BEL,
  newlines) and bidirectional overrides become visible escapes such as ``\\x1b``.
* :func:`csv_cell` for spreadsheets (OWASP "CSV injection"): a cell that a spreadsheet would run as a
  formula (starting ``=``, ``+``, ``-``, ``@``, tab or carriage return) gets a leading ``'``; controls
  other than tab and line breaks are escaped too.
* :func:`parse_int` and :func:`parse_decimal` read numbers typed or stored as text: plain ASCII digits
  only, so that ``1_0``, ``1e1`` or non-ASCII digits are never read as numbers.
* :func:`markdown` for markdown/HTML: markup characters are backslash-escaped, and ``<`` that could open
  a tag and ``&`` that could open an entity become entities, so nothing in the text can become a tag,
  link, table cell or emphasis.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable

_Match = re.Match[str] | None


class LazyPattern:
    """A regular expression compiled when first used. Compiling a module's expressions at import costs every
    command that imports it (about 0.1 ms each), though most use one or two of them. After the first use
    ``sub``, ``search`` and ``fullmatch`` are the compiled pattern's own methods: no cost per call."""

    __slots__ = ("_args", "fullmatch", "search", "sub")
    sub: Callable[[str | Callable[[re.Match[str]], str], str], str]
    search: Callable[[str], _Match]
    fullmatch: Callable[[str], _Match]

    def __init__(self, pattern: str, flags: int = 0) -> None:
        self._args = (pattern, flags)

    def __reduce__(self) -> tuple[type[LazyPattern], tuple[str, int]]:  # copy and pickle: the pattern itself
        return LazyPattern, self._args

    def __getattr__(self, name: str) -> object:  # only while the methods are not set yet
        if name == "_args":
            raise AttributeError(name)  # (a copy being made, before its slots are set)
        compiled = re.compile(*self._args)
        self.sub, self.search, self.fullmatch = compiled.sub, compiled.search, compiled.fullmatch
        return getattr(compiled, name)


# Beyond ASCII's controls, in every check below: the C1 controls, the direction marks and overrides, and the
# line and paragraph separators (each can move or hide text on a terminal or in a spreadsheet).
_WIDE = "\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069"
_CONTROLS = LazyPattern(f"[\x00-\x1f{_WIDE}]")
_FORMULA_SIGNS = ("=", "+", "-", "@")
_FORMULA_START = (*_FORMULA_SIGNS, "\t", "\r")
_CELL_START = (*_FORMULA_START, "\n")
_MARKDOWN = LazyPattern(r"([\\`*_\[\]|~])")
_CONTROLS_IN_CELL = LazyPattern(f"[\x00-\x08\x0b\x0c\x0e-\x1f{_WIDE}]")


_CELL_UNSAFE = LazyPattern(f"^[=+\\-@\t\r\n]|[\x00-\x08\x0b-\x1f{_WIDE}]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` with every control character shown as an escape: safe to print on a terminal, one line."""
    return _CONTROLS.sub(_escape, text)


def csv_cell(text: str) -> str:
    """A CSV cell no spreadsheet will run as a formula, and no terminal as a control sequence.

    A carriage return becomes a line feed: Python's csv writer (before 3.13) leaves a lone CR unquoted,
    and a spreadsheet would start a new row there, with whatever follows at the start of a cell."""
    if _CELL_UNSAFE.search(text) is None:
        return text  # the common case, checked in one pass
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.startswith(_CELL_START):
        text = "'" + text
    return _CONTROLS_IN_CELL.sub(_escape, text)  # tabs and line breaks are data here (the writer quotes them)


def markdown(text: str, *, cell: bool = False) -> str:
    """``text`` as literal markdown (and HTML) text; ``cell`` for a table cell, where a line start is not one."""
    text = re.sub(r"&(?=#|[A-Za-z]+;)", "&amp;", text)  # an entity
    text = re.sub(r"<(?![0-9 =]|$)", "&lt;", text)  # anything that could open a tag ("<1%" stays as it is)
    text = _MARKDOWN.sub(r"\\\1", text)
    if not cell:
        text = re.sub(r"^([#+\-=>])", r"\\\1", text)  # a heading, list item, rule or quote at the line start
        text = re.sub(r"^(\d+)\.(?=\s|$)", r"\1\\.", text)  # an ordered list item
    return printable(text)


_INTEGER = LazyPattern(r"\s*([+-]?[0-9]+)(?:\.0+)?\s*", flags=re.ASCII)
_DECIMAL = LazyPattern(r"\s*([+-]?[0-9]+(?:\.[0-9]+)?)\s*", flags=re.ASCII)


def parse_int(text: str) -> int | None:
    """An integer written in plain ASCII digits (``1.0`` from a spreadsheet too), else None.

    ``int()`` would also read ``1_0`` as 10 and Arabic-Indic or full-width digits as numbers."""
    match = _INTEGER.fullmatch(text)
    if match is None:
        return None
    try:
        return int(match.group(1))
    except ValueError:  # more digits than int() converts (4,300 by default): no count, draw or line is that long
        return None


def parse_decimal(text: str) -> float | None:
    """A decimal number in plain ASCII digits (no exponent, underscores, inf or nan), else None."""
    match = _DECIMAL.fullmatch(text)
    return float(match.group(1)) + 0.0 if match else None  # (+ 0.0: "-0" is 0, never shown as -0)


_ROW_UNSAFE = LazyPattern(f"(?:^|,)[=+\\-@\t\r\n]|[\x00-\x08\x0b-\x1f{_WIDE}]")


_AFTER_COMMA = tuple("," + c for c in _FORMULA_SIGNS)


def csv_safe(rows: list[list[str]]) -> bool:
    """True if no cell of ``rows`` needs :func:`csv_cell` to change it (:func:`csv_joined_safe`)."""
    return csv_joined_safe(",".join(itertools.chain.from_iterable(rows)))


def csv_joined_safe(text: str) -> bool:
    """True if no cell of the cells joined by commas in ``text`` needs :func:`csv_cell` to change it: every
    cell starts at the text's start or after a comma (a comma inside a cell can only make the check
    stricter). A printable text (no control or direction characters, hence no tab or line break) is
    checked by substring search, the rest by one regular expression (about 10x slower)."""
    if text.isprintable():
        return not text.startswith(_FORMULA_SIGNS) and not any(s in text for s in _AFTER_COMMA)
    return _ROW_UNSAFE.search(text) is None


def csv_cells(cells: list[str]) -> list[str]:
    """:func:`csv_cell` of each cell, with one check of the whole row first (the common case: nothing to
    change)."""
    return cells if csv_safe([cells]) else [csv_cell(c) for c in cells]
