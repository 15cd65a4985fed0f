"""``@value_type`` behaves as ``@dataclass(frozen=True, slots=True)`` does (its methods are shared, not compiled)."""

from __future__ import annotations

import copy
import pickle
from dataclasses import FrozenInstanceError, asdict, dataclass, field, fields, replace
from typing import ClassVar

import pytest

from blinacalc._value import value_type


@value_type
class Ours:
    x: float
    y: tuple[int, ...] = ()
    note: str = field(default="", compare=False)


@dataclass(frozen=True, slots=True)
class Theirs:
    x: float
    y: tuple[int, ...] = ()
    note: str = field(default="", compare=False)


CASES = [(1.0, (2,), "a"), (1.0, (2,), "b"), (2.0, (), ""), (-0.0, (1, 2), "n"), (0.0, (1, 2), "z")]


def test_equal_hash_and_repr_as_a_frozen_dataclass():
    for a in CASES:
        for b in CASES:
            assert (Ours(*a) == Ours(*b)) == (Theirs(*a) == Theirs(*b))
            if Ours(*a) == Ours(*b):
                assert hash(Ours(*a)) == hash(Ours(*b))
        assert repr(Ours(*a)) == repr(Theirs(*a)).replace("Theirs", "Ours")
    # A NaN field: fields are compared as a tuple (identity, then ==), as dataclasses did up to Python 3.12
    # (3.13 compares field by field, so there the same NaN object no longer equals itself).
    nan = float("nan")
    assert Ours(nan) == Ours(nan) and Ours(nan) != Ours(float("nan"))
    assert Ours(1.0) != Theirs(1.0) and Ours(1.0) != (1.0, (), "")  # another class is never equal


def test_frozen_slotted_and_a_dataclass_still():
    o = Ours(1.0, (2,), "n")
    with pytest.raises(FrozenInstanceError):
        o.x = 2.0  # type: ignore[misc]
    with pytest.raises((AttributeError, TypeError)):
        o.extra = 1  # type: ignore[attr-defined]
    assert not hasattr(o, "__dict__")
    assert [f.name for f in fields(o)] == ["x", "y", "note"]
    assert replace(o, x=3.0) == Ours(3.0, (2,), "other note")
    assert asdict(o) == {"x": 1.0, "y": (2,), "note": "n"}
    assert pickle.loads(pickle.dumps(o)) == o
    assert copy.copy(o) == o and copy.deepcopy(o) == o and copy.deepcopy(o).note == "n"
    with pytest.raises(FrozenInstanceError):
        del o.x


def test_a_class_without_a_docstring_gets_one_naming_its_fields():
    """(Built here: dataclasses would build it from the signature, parsing object's with the tokenizer.)"""
    assert Ours.__doc__ == "Ours(x, y, note)"

    @value_type
    class WithClassVar:
        kind: ClassVar[str] = "k"
        x: int

    assert WithClassVar.__doc__ == "WithClassVar(x)" and WithClassVar(1).kind == "k"

    @value_type
    class Documented:
        """Its own words."""

        x: int

    assert Documented.__doc__ == "Its own words."


def test_arguments_as_the_generated_init_takes_them():
    assert Ours(1.0) == Ours(x=1.0) == Ours(1.0, ()) == Ours(y=(), x=1.0)
    assert Ours(1.0, note="n").note == "n" and Ours(1.0).note == ""
    for args, kwargs, message in [
        ((), {}, "missing required argument: 'x'"),
        ((1.0,), {"x": 2.0}, "multiple values for argument 'x'"),
        ((1.0,), {"z": 2.0}, "unexpected keyword argument 'z'"),
        ((1.0, (), "", 4), {}, "takes 3 arguments but 4 were given"),
    ]:
        with pytest.raises(TypeError, match=message):
            Ours(*args, **kwargs)
        with pytest.raises(TypeError):  # (the same calls are refused by the generated __init__)
            Theirs(*args, **kwargs)


def test_post_init_runs_after_the_fields_are_set():
    seen = []

    @value_type
    class Checked:
        x: int

        def __post_init__(self) -> None:
            seen.append(self.x)
            if self.x < 0:
                raise ValueError("negative")

    assert Checked(3).x == 3 and seen == [3]
    with pytest.raises(ValueError):
        Checked(-1)


def test_fields_the_shared_init_cannot_take_are_refused():
    for spec in (field(default_factory=list), field(default=0, init=False), field(default=0, kw_only=True)):
        with pytest.raises(TypeError, match="plain fields"):
            value_type(type("Odd", (), {"__annotations__": {"x": "int"}, "x": spec}))
    with pytest.raises(TypeError, match="plain fields"):
        value_type(type("Odd", (), {"__annotations__": {"x": "int", "y": "InitVar[int]"}}))
    with pytest.raises(TypeError, match="non-default argument 'y' follows default argument"):
        value_type(type("Odd", (), {"__annotations__": {"x": "int", "y": "int"}, "x": 0}))
    with pytest.raises(TypeError, match="non-default argument 'y' follows default argument"):
        dataclass(frozen=True, slots=True)(type("Odd", (), {"__annotations__": {"x": "int", "y": "int"}, "x": 0}))


def test_a_class_with_its_own_comparison_is_refused():
    with pytest.raises(TypeError, match="__eq__"):

        @value_type
        class Own:
            x: int

            def __eq__(self, other: object) -> bool:
                return True
