"""Batch's tables and interpolation: every pattern at once equals ``predict``, the median rule near the
horizon, and the vectorised text (formatting and CSV safety) equals the one-row functions."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from blinacalc import Patient, predict
from blinacalc._text import _ROW_UNSAFE, csv_cell, csv_cells, csv_joined_safe
from blinacalc.cohort import tables
from blinacalc.cohort.batch import GRID, Grid, _format_block, format_cells, output_numbers
from blinacalc.core import factors as F
from blinacalc.core.evidence import load_evidence
from blinacalc.core.model import draw_set

DRAWS = 300


def _patient(pattern: tuple[bool | None, ...], **continuous: float) -> Patient:
    """A patient with this binary pattern (a level on each side of each indicator)."""
    values: dict[str, object] = {}
    for f, v in zip(F.binary(), pattern, strict=True):
        if v is not None:
            values[f.name] = next(level for level in f.levels if (level in f.numerator) == v)
    return Patient(**values, **continuous)


def _numbers(patient: Patient, draws: int = DRAWS) -> np.ndarray:
    return np.array([np.nan if x is None else x for x in output_numbers(predict(patient, draws=draws))])


@pytest.mark.parametrize("values", [(None, None), (40.0, None), (None, 80.0), (60.0, 38.0)])
def test_every_pattern_at_a_setting_is_predicts(values):
    """Known patterns: exactly predict's numbers; patterns with unknowns: predict's to rounding (predict sums
    large mixtures in single precision: within 5e-7 on a curve, 1e-4 months on a median)."""
    ds, ev = draw_set(DRAWS, 0), load_evidence()
    table = tables.setting_numbers(ds, ev, values)
    names = [f.name for f in F.continuous()]
    for pattern in tables.patterns():
        patient = _patient(pattern, **{n: v for n, v in zip(names, values, strict=True) if v is not None})
        expected = _numbers(patient)
        got = table[tables.pattern_index(pattern), : tables.NUMBERS]
        assert np.array_equal(np.isnan(got), np.isnan(expected)), pattern
        if None not in pattern:
            assert np.array_equal(got[~np.isnan(got)], expected[~np.isnan(expected)]), pattern
        else:
            np.testing.assert_allclose(got, expected, atol=1e-4, equal_nan=True)


def test_rows_between_grid_values_are_closer_to_predict_than_another_seed_is():
    """Random rows (every pattern, values over the whole range) against exact predictions at the default
    2,000 draws: point estimates within 1e-4 (proportions) and 0.1 months (medians); interval bounds closer
    to ``predict``'s than ``predict`` with another seed is (their Monte Carlo error), at the 90th percentile
    and at the worst; "not reached" agrees."""
    rng = np.random.default_rng(3)
    grid = Grid(2000, 0)
    pats = tables.patterns()
    rows = [(int(rng.integers(len(pats))), float(rng.uniform(0, 100)), float(rng.uniform(18, 80))) for _ in range(40)]
    got = grid.numbers(np.array([r[0] for r in rows]), np.array([[r[1], r[2]] for r in rows]))
    errors: dict[str, list[float]] = {"months": [], "props": []}
    noise: dict[str, list[float]] = {"months": [], "props": []}
    for (p, blasts, age), numbers in zip(rows, got, strict=True):
        patient = _patient(pats[p], marrow_blasts=blasts, age=age)
        exact = _numbers(patient, 2000)
        other = np.array([np.nan if x is None else x for x in output_numbers(predict(patient, seed=1))])
        assert np.array_equal(np.isnan(numbers), np.isnan(exact)), (pats[p], blasts, age)
        for i in range(tables.NUMBERS - 3):  # CR/CRh is the cohort's
            if np.isnan(exact[i]):
                continue
            median = i in tables.MEDIANS
            if (tables.MEDIANS.index(i) if median else i) % 3 == 0:
                assert abs(numbers[i] - exact[i]) <= (0.1 if median else 1e-4), (pats[p], blasts, age, i)
            elif not np.isnan(other[i]):
                errors["months" if median else "props"].append(abs(numbers[i] - exact[i]))
                noise["months" if median else "props"].append(abs(other[i] - exact[i]))
    for kind in errors:
        assert np.quantile(errors[kind], 0.9) <= np.quantile(noise[kind], 0.9), kind
        assert max(errors[kind]) <= max(noise[kind]), kind


def test_a_row_at_grid_values_is_the_table_entry():
    grid = Grid(DRAWS, 0)
    pattern = (False, True, None, False)
    got = grid.numbers(np.array([tables.pattern_index(pattern)]), np.array([[GRID["marrow_blasts"][2], np.nan]]))
    table = tables.setting_numbers(grid.ds, grid.ev, (float(GRID["marrow_blasts"][2]), None))
    assert np.array_equal(got[0], table[tables.pattern_index(pattern), : tables.NUMBERS], equal_nan=True)


numbers = st.lists(
    st.one_of(
        st.floats(0, 1),
        st.sampled_from([0.00005, 0.12345, 0.99995, 1.0, 0.0, float("nan")]),
    ),
    min_size=tables.NUMBERS,
    max_size=tables.NUMBERS,
)


@settings(max_examples=300, deadline=None)
@given(rows=st.lists(numbers, min_size=1, max_size=5), months=st.lists(st.floats(0, 60), min_size=6, max_size=6))
def test_block_formatting_is_format_cells(rows, months):
    block = np.array(rows, dtype=float)
    block[:, list(tables.MEDIANS)] = np.array(months)
    block[0, 0] = 12.125  # a tie in hundredths
    expected = [list(format_cells(tuple(None if np.isnan(x) else float(x) for x in row))) for row in block]
    assert _format_block(block) == expected


@settings(max_examples=500, deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from("a,=+-@\t\r\n\x1b\x00\u202e 1"), max_size=6), max_size=5))
def test_row_check_is_each_cell_checked(row):
    assert csv_cells(row) == [csv_cell(c) for c in row]


@settings(max_examples=500, deadline=None)
@given(st.text(alphabet=st.sampled_from("a,=+-@\t\r\n\x1b\x00\x85\u200e\u202e\u2067\u00e9\u4e2d 1"), max_size=12))
def test_the_fast_joined_check_is_the_regular_expression(text):
    """The substring checks for printable text say what the one regular expression says."""
    assert csv_joined_safe(text) == (_ROW_UNSAFE.search(text) is None)


def _cell_texts(f: F.Factor) -> st.SearchStrategy[str]:
    """A factor's cell: its levels and refused values as written, unknown words, numbers in and out of range,
    and hostile text."""
    written = [F.cell_text(f, v) for v in f.levels] + [str(v) for v, _ in f.refused]
    words = ["", "unknown", "NA", "yes", "no", "7", "-1", "0.5", "1e3", "nan", "=1+1", "\x1b[31m", "٣"]
    numbers = st.floats(allow_nan=True, allow_infinity=True).map(lambda x: f"{x:g}")
    return st.one_of(st.sampled_from(written + words), numbers, st.text(max_size=6))


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_batch_words_a_refusal_as_summary_does(data):
    """batch's per-cell cached refusal equals parse_patient's (summary's) message for the same row: the first
    unreadable cell in table order, else the first value the model refuses."""
    from blinacalc.cohort.batch import _Reader
    from blinacalc.cohort.read import parse_patient
    from blinacalc.core.patient import InputError

    keys = [f.name for f in F.factors()]
    reader = _Reader(keys)
    for _ in range(3):  # the same reader, so later rows hit the cache
        raw = [data.draw(_cell_texts(f)) for f in F.factors()]
        try:
            parse_patient(dict(zip(keys, raw, strict=True)))
        except InputError as exc:
            assert reader.refusal(raw) == f"{exc.field}: {exc.message}"
        else:
            with pytest.raises(AssertionError):
                reader.refusal(raw)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.lists(
                st.one_of(st.sampled_from(["", "1", "ward-3", "a,b", 'say "x"', "=1+1"]), st.text(max_size=5)),
                min_size=3,
                max_size=3,
            ),
            st.sampled_from([["0.5541", "7.41"], ["", ""]]),
            st.sampled_from(["", "ecog: allowed: 0, 1, 2", 'site: "quoted"', "age: 81\rx"]),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_batch_csv_rows_are_what_csv_writer_writes(rows):
    """batch's writer (rows joined by commas when no copied cell needs quoting, else csv.writer) writes exactly
    what csv.writer writes for the safe cells (csv_cells, csv_cell), header included."""
    import csv
    from io import StringIO

    from blinacalc.cohort.batch import _csv_writer

    header = ["id", "a", "b", "out1", "out2", "error"]
    got = StringIO()
    _csv_writer(got, header)([r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows])
    want = StringIO()
    writer = csv.writer(want, lineterminator="\n")
    writer.writerow([csv_cell(h) for h in header])
    writer.writerows([csv_cells(raw) + t + [csv_cell(e) if e else ""] for raw, t, e in rows])
    assert got.getvalue() == want.getvalue()
