"""``@value_type``: a frozen, slotted dataclass whose methods are shared functions, not compiled per class.

``@dataclass(frozen=True, slots=True)`` compiles six methods for every class from generated source (before
Python 3.13, one ``exec`` each: about 0.35 ms a class; the 21 value classes on the summary path took 7 ms
to make, 1.5 ms now). Here dataclasses compiles none: it still collects the fields and builds the slotted
class (``fields``, ``replace``, ``asdict`` work as usual), and the methods are the ones below, which behave
as the generated ones do:

- ``__init__`` takes the fields in order, by position or keyword, with their defaults, then calls
  ``__post_init__`` if the class has one; it refuses missing, repeated and unknown arguments;
- assigning or deleting a field raises ``FrozenInstanceError``;
- equal when of the same class with equal compared fields (``field(compare=False)`` is left out), hashed
  on those fields, shown as ``Name(field=value, ...)``; pickled and copied by the fields' values.

Not supported (refused when the class is made): ``field(default_factory=...)``, ``field(init=False)``,
keyword-only fields and ``InitVar``; a field without a default after one with a default is refused as
dataclasses refuses it. No value class needs them. Unlike a frozen dataclass, a value class is not
``__dataclass_params__.frozen`` (so a frozen ``@dataclass`` cannot subclass it) and its
``inspect.signature`` is ``(*args, **kwargs)``; nothing subclasses a value class or reads its signature.
"""

from __future__ import annotations

from dataclasses import MISSING, FrozenInstanceError, dataclass, field, fields
from itertools import pairwise
from typing import Any, TypeVar, dataclass_transform

T = TypeVar("T")
_set = object.__setattr__


def _init(self: Any, *args: Any, **kwargs: Any) -> None:
    names: tuple[str, ...] = self.__value_init__
    if len(args) > len(names):
        raise TypeError(f"{type(self).__qualname__}() takes {len(names)} arguments but {len(args)} were given")
    for name, value in zip(names, args, strict=False):  # (fewer positional arguments than fields)
        _set(self, name, value)
    if kwargs or len(args) < len(names):
        defaults: dict[str, Any] = self.__value_defaults__
        for name in names[len(args) :]:
            if name in kwargs:
                _set(self, name, kwargs.pop(name))
            elif name in defaults:
                _set(self, name, defaults[name])
            else:
                raise TypeError(f"{type(self).__qualname__}() missing required argument: {name!r}")
        for name in kwargs:
            how = "multiple values for argument" if name in names else "an unexpected keyword argument"
            raise TypeError(f"{type(self).__qualname__}() got {how} {name!r}")
    post = getattr(self, "__post_init__", None)
    if post is not None:
        post()


def _setattr(self: Any, name: str, value: object) -> None:
    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _delattr(self: Any, name: str) -> None:
    raise FrozenInstanceError(f"cannot delete field {name!r}")


def _getstate(self: Any) -> list[Any]:
    return [getattr(self, n) for n in self.__value_init__]


def _setstate(self: Any, state: list[Any]) -> None:
    for name, value in zip(self.__value_init__, state, strict=True):
        _set(self, name, value)


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


_SHARED = {
    "__init__": _init,
    "__setattr__": _setattr,
    "__delattr__": _delattr,
    "__getstate__": _getstate,
    "__setstate__": _setstate,
    "__eq__": _eq,
    "__hash__": _hash,
    "__repr__": _repr,
}


@dataclass_transform(frozen_default=True, field_specifiers=(field,))
def value_type(cls: type[T]) -> type[T]:
    """``@dataclass(frozen=True, slots=True)`` with shared methods."""
    own = set(_SHARED) & set(vars(cls))
    if own:
        raise TypeError(f"{cls.__name__} defines {sorted(own)}: use @dataclass for it")
    # Without a docstring, dataclasses would make one from inspect.signature, which for a class with no
    # __init__ of its own parses object's text signature with the tokenizer (1-2 ms): a placeholder here,
    # the fields' names once they are known.
    documented = cls.__doc__ is not None
    if not documented:
        cls.__doc__ = cls.__name__
    out: Any = dataclass(init=False, repr=False, eq=False, slots=True)(cls)
    made = fields(out)
    odd = [f.name for f in made if f.default_factory is not MISSING or not f.init or f.kw_only]
    odd += [n for n, f in out.__dataclass_fields__.items() if "InitVar" in str(f.type)]
    if odd:
        raise TypeError(f"{cls.__name__}: @value_type takes plain fields with plain defaults, not {odd}")
    for before, after in pairwise(made):
        if before.default is not MISSING and after.default is MISSING:  # (as dataclasses refuses it)
            raise TypeError(f"{cls.__name__}: non-default argument {after.name!r} follows default argument")
    if not documented:
        out.__doc__ = f"{cls.__name__}({', '.join(f.name for f in made)})"
    out.__value_init__ = tuple(f.name for f in made)
    out.__value_defaults__ = {f.name: f.default for f in made if f.default is not MISSING}
    out.__value_compared__ = tuple(f.name for f in made if f.compare)
    out.__value_shown__ = tuple(f.name for f in made if f.repr)
    for name, method in _SHARED.items():
        type.__setattr__(out, name, method)
    result: type[T] = out
    return result
