"""``@value_type``: a frozen, slotted dataclass whose comparison, hash and repr are shared functions.

``@dataclass(frozen=True, slots=True)`` compiles six methods for every class from generated source (before
Python 3.13, one ``exec`` each: about 0.4 ms a class, 15 ms of every command's start for the 35 value
classes on its path). Here dataclasses compiles only what must be per class (``__init__`` and the frozen
``__setattr__``/``__delattr__``); ``__eq__``, ``__hash__`` and ``__repr__`` are the ones below, which behave
as the generated ones do: equal when of the same class with equal compared fields (``field(compare=False)``
is left out), hashed on those fields, shown as ``Name(field=value, ...)``. Everything else is a dataclass
as usual (``fields``, ``replace``, ``asdict``, pickling).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, TypeVar, dataclass_transform

T = TypeVar("T")


def _key(self: Any) -> tuple[Any, ...]:
    return tuple([getattr(self, n) for n in self.__value_compared__])


def _eq(self: Any, other: object) -> bool:
    if other.__class__ is not self.__class__:
        return NotImplemented  # type: ignore[no-any-return]  # (typeshed: NotImplemented is Any)
    # As tuples (identity, then ==), as the generated method did up to Python 3.12, on every version.
    same: bool = _key(self) == _key(other)
    return same


def _hash(self: Any) -> int:
    return hash(_key(self))


def _repr(self: Any) -> str:
    shown = ", ".join(f"{n}={getattr(self, n)!r}" for n in self.__value_shown__)
    return f"{self.__class__.__qualname__}({shown})"


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def value_type(cls: type[T]) -> type[T]:
    """``@dataclass(frozen=True, slots=True)`` with shared ``__eq__``, ``__hash__`` and ``__repr__``."""
    own = {"__eq__", "__hash__", "__repr__"} & set(vars(cls))
    if own:
        raise TypeError(f"{cls.__name__} defines {sorted(own)}: use @dataclass for it")
    out: Any = dataclass(frozen=True, slots=True, eq=False, repr=False)(cls)
    out.__value_compared__ = tuple(f.name for f in fields(out) if f.compare)
    out.__value_shown__ = tuple(f.name for f in fields(out) if f.repr)
    out.__eq__, out.__hash__, out.__repr__ = _eq, _hash, _repr
    made: type[T] = out
    return made
