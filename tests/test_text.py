"""``_text``: ``LazyPattern`` (a regular expression compiled when first used, then the compiled pattern's own
methods), and the number parsing and escaping that review found gaps in."""

from __future__ import annotations

import copy
import math
import pickle
import re

import pytest

from blinacalc._text import LazyPattern, csv_cell, csv_joined_safe, parse_decimal, parse_int, printable


def test_a_lazy_pattern_matches_as_the_compiled_expression_does():
    source, flags = r"\s*([+-]?[0-9]+)\s*", re.ASCII
    compiled = re.compile(source, flags)
    for first in ("sub", "search", "fullmatch", "pattern"):  # whichever is used first compiles it
        lazy = LazyPattern(source, flags)
        assert getattr(lazy, first) == getattr(compiled, first)
        for text in (" 12 ", "-3", "x4y", "١٢", ""):
            assert lazy.sub("#", text) == compiled.sub("#", text)
            assert repr(lazy.search(text)) == repr(compiled.search(text))
            assert repr(lazy.fullmatch(text)) == repr(compiled.fullmatch(text))


def test_nothing_is_compiled_before_first_use_and_once_after():
    lazy = LazyPattern("[ab]+")
    for name in ("sub", "search", "fullmatch"):
        try:
            object.__getattribute__(lazy, name)
        except AttributeError:
            pass
        else:
            raise AssertionError(f"{name} set before first use")
    lazy.search("a")
    assert object.__getattribute__(lazy, "search").__self__ is object.__getattribute__(lazy, "sub").__self__


def test_integers_too_long_to_convert_are_not_integers():
    """(found by review: int() refuses over 4,300 digits with its own ValueError, which reached users)"""
    assert parse_int("9" * 4301) is None and parse_int("-" + "9" * 5000) is None
    assert parse_int("9" * 4300) == int("9" * 4300)


def test_minus_zero_is_zero():
    value = parse_decimal("-0")
    assert value == 0 and math.copysign(1, value) == 1 and f"{value:g}" == "0"
    assert math.copysign(1, parse_decimal("-0.0")) == 1 and parse_decimal("-0.5") == -0.5


@pytest.mark.parametrize("char", ["\u2028", "\u2029", "\u061c"])
def test_line_separators_and_the_arabic_letter_mark_are_escaped(char):
    """(found by review: they passed through printable and csv_cell unchanged)"""
    escaped = f"\\u{ord(char):04x}"
    assert printable(f"a{char}b") == f"a{escaped}b"
    assert csv_cell(f"a{char}b") == f"a{escaped}b"
    assert not csv_joined_safe(f"x,a{char}b")


def test_a_lazy_pattern_can_be_copied_and_pickled():
    for make in (copy.copy, copy.deepcopy, lambda p: pickle.loads(pickle.dumps(p))):
        fresh, used = LazyPattern("a+", re.ASCII), LazyPattern("b+")
        assert used.sub("-", "xbby") == "x-y"
        assert make(fresh).sub("-", "xaay") == "x-y" and make(used).search("abb").group() == "bb"
