"""``_text.LazyPattern``: a regular expression compiled when first used, then the compiled pattern's own
methods."""

from __future__ import annotations

import re

from blinacalc._text import LazyPattern


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
