"""JSON as ``json.dumps(data, indent=2, allow_nan=False)`` writes it, in a fraction of the time.

With an indent, json encodes in Python, item by item; without one, in C. A prediction's JSON is mostly lists
of numbers (its curves: about 3,400 numbers, each on its own line), so :func:`dumps` has the C encoder write
each such list in one call and lays its items out one a line; keys and other single values are written by
the same functions json uses. The text is the same character for character (``tests/test_json.py`` checks
it against ``json.dumps``). Anything else — a key that is not a string, a type json does not know, a
number json refuses (NaN, infinity) — is handed to ``json.dumps`` whole, which writes it or raises exactly
as it always has.
"""

from __future__ import annotations

import json
import math
from json.encoder import encode_basestring_ascii

_compact = json.JSONEncoder(allow_nan=False).encode  # one C call; items separated by ", "
_NUMBERS = frozenset((int, float, bool, type(None)))  # exact types: a subclass may encode differently
_WORDS = {None: "null", True: "true", False: "false"}


class _NotHandled(Exception):
    pass


def dumps(data: object) -> str:
    """``json.dumps(data, indent=2, allow_nan=False)``: the same text (or the same error)."""
    parts: list[str] = []
    try:
        _layout(data, "\n", parts)
    except (_NotHandled, ValueError):
        return json.dumps(data, indent=2, allow_nan=False)
    return "".join(parts)


_DEEPEST = 100  # nesting handed to json.dumps (a cycle, or depths near the recursion limit, fail as it fails)


def _layout(value: object, newline: str, parts: list[str]) -> None:
    """Append ``value`` as indented JSON; its nested lines start with ``newline`` (a line break and the
    current indent)."""
    kind = type(value)
    if len(newline) > 2 * _DEEPEST:
        raise _NotHandled
    if kind is dict:
        assert isinstance(value, dict)
        if not value:
            parts.append("{}")
            return
        inner = newline + "  "
        separator = "{" + inner
        for key, item in value.items():
            if type(key) is not str:
                raise _NotHandled  # json.dumps makes keys of numbers and None its own way
            parts.append(separator + encode_basestring_ascii(key) + ": ")
            _layout(item, inner, parts)
            separator = "," + inner
        parts.append(newline + "}")
    elif kind is list or kind is tuple:
        assert isinstance(value, list | tuple)
        if not value:
            parts.append("[]")
            return
        inner = newline + "  "
        if type(value[0]) in _NUMBERS:
            text = _compact(value)  # ValueError for NaN or infinity
            if '"' not in text and "[" not in text[1:] and "{" not in text:  # numbers only: ", " separates items
                parts.append("[" + inner + ("," + inner).join(text[1:-1].split(", ")) + newline + "]")
                return
        separator = "[" + inner
        for item in value:
            parts.append(separator)
            _layout(item, inner, parts)
            separator = "," + inner
        parts.append(newline + "]")
    elif kind is str:
        assert isinstance(value, str)
        parts.append(encode_basestring_ascii(value))
    elif kind is float:
        assert isinstance(value, float)
        if not math.isfinite(value):
            raise _NotHandled
        parts.append(float.__repr__(value))
    elif kind is int:
        assert isinstance(value, int)
        parts.append(int.__repr__(value))
    elif kind is bool or value is None:
        assert isinstance(value, bool) or value is None
        parts.append(_WORDS[value])
    else:
        raise _NotHandled
