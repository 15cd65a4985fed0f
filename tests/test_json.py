"""``blinacalc._json.dumps`` writes what ``json.dumps(data, indent=2, allow_nan=False)`` writes, or raises what
it raises."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from blinacalc import Patient, predict
from blinacalc._json import dumps


def reference(data: object) -> str:
    return json.dumps(data, indent=2, allow_nan=False)


def _value(rng: random.Random, depth: int) -> object:
    kinds = ["int", "float", "none", "bool", "str"] + (["list", "numbers", "tuple", "dict"] if depth < 4 else [])
    kind = rng.choice(kinds)
    if kind == "int":
        return rng.choice([0, -1, 7, 2**70, -(2**65)])
    if kind == "float":
        return rng.choice([0.0, -0.0, 1.5, 1e-300, 1e300, 0.1 + 0.2, -2.5e-7, 123456789.0])
    if kind == "none":
        return None
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "str":
        return rng.choice(
            ["", "plain", 'a "quote", comma', "[1, 2]", "{x}", "é ü –", "\x1b[31m", "line\nbreak", "\ud800"]
        )
    if kind == "numbers":  # the shape of a curve: numbers and gaps
        return [rng.choice([0.25, 1, None, True, -3.0]) for _ in range(rng.randrange(0, 6))]
    items = [_value(rng, depth + 1) for _ in range(rng.randrange(0, 4))]
    if kind == "tuple":
        return tuple(items)
    if kind == "dict":
        return {rng.choice(["a", "b, c", '"k"', "", "ß"]) + str(i): v for i, v in enumerate(items)}
    return items


def test_random_data_written_as_json_dumps_writes_it():
    rng = random.Random(19)
    for _ in range(3000):
        data = _value(rng, 0)
        assert dumps(data) == reference(data)


@pytest.mark.parametrize(
    "patient",
    [Patient(), Patient(ecog=1, salvage_line=2, prior_hsct=False, t411=False, marrow_blasts=60.0, age=45.0)],
)
def test_a_prediction_written_as_json_dumps_writes_it(patient):
    data = predict(patient, draws=200).to_dict()
    assert dumps(data) == reference(data)


@pytest.mark.parametrize(
    "data",
    [
        {1: "a number as a key"},
        {None: 1, True: 2, 2.5: 3},
        [1, np.float64(0.5)],  # a float subclass
        {"numpy": np.int64(3)},  # a type json does not know
        [0.5, [1, 2], "a"],  # a list starting with a number but holding others
    ],
)
def test_what_it_does_not_write_itself_is_written_or_refused_as_json_dumps_does(data):
    try:
        expected: str | type[Exception] = reference(data)
    except TypeError:
        expected = TypeError
    if expected is TypeError:
        with pytest.raises(TypeError):
            dumps(data)
    else:
        assert dumps(data) == expected


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), [1.0, float("-inf")], {"a": {"b": [float("nan")]}}])
def test_numbers_json_refuses_are_refused_with_json_dumps_message(bad):
    with pytest.raises(ValueError) as ours:
        dumps(bad)
    with pytest.raises(ValueError) as theirs:
        reference(bad)
    assert str(ours.value) == str(theirs.value)


def _cycle_list() -> list[object]:
    a: list[object] = ["s"]
    a.append(a)
    return a


def _cycle_dict() -> dict[str, object]:
    d: dict[str, object] = {}
    d["x"] = d
    return d


def _nested(depth: int, leaf: object) -> object:
    out = leaf
    for i in range(depth):
        out = [out] if i % 2 else {"k": out}
    return out


@pytest.mark.parametrize(
    "data",
    [_cycle_list(), _cycle_dict(), _nested(150, "s"), _nested(150, 1.5), _nested(990, "s"), _nested(5000, "s")],
    ids=["list-cycle", "dict-cycle", "depth-150-str", "depth-150-num", "depth-990", "depth-5000"],
)
def test_cycles_and_deep_nesting_are_written_or_refused_as_json_dumps_does(data):
    """(found by review: a cycle hit the recursion limit instead of json's "Circular reference detected")"""
    try:
        expected: object = reference(data)
    except (ValueError, RecursionError) as exc:
        expected = type(exc), str(exc)
    try:
        got: object = dumps(data)
    except (ValueError, RecursionError) as exc:
        got = type(exc), str(exc)
    assert got == expected
