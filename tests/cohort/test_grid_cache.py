"""Batch's grid settings kept on disk: the same numbers as computing them, read back instead of recomputed,
never stale, never fatal."""

from __future__ import annotations

import os

import numpy as np
import pytest

from blinacalc.cohort import gridcache, tables
from blinacalc.cohort.batch import GRID, Grid
from blinacalc.core import drawcache, model

DRAWS = 200
ROWS = np.array([3, 40, 80, 12]), np.array([[10.0, 30.0], [np.nan, 55.5], [73.2, np.nan], [np.nan, np.nan]])


def _numbers(seed: int = 0, rows: tuple[np.ndarray, np.ndarray] = ROWS) -> tuple[np.ndarray, int]:
    """The rows' numbers from a new Grid (as one batch run), kept on disk at the end; and how many settings
    were computed rather than read."""
    grid = Grid(DRAWS, seed)
    computed = 0
    compute = grid._compute

    def counted(*args):  # type: ignore[no-untyped-def]
        nonlocal computed
        computed += 1
        return compute(*args)

    grid._compute = counted  # type: ignore[method-assign]
    try:
        out = grid.numbers(*rows)
        grid.save()
    finally:
        grid.close()
    return out, computed


def test_kept_settings_are_read_back_with_the_same_numbers(cache_dir):
    first, computed = _numbers()
    assert computed > 0
    (path,) = cache_dir.glob("grid-*.bin")
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    again, recomputed = _numbers()
    assert recomputed == 0
    assert np.array_equal(again, first, equal_nan=True)
    model.use_disk_cache(None)
    without, _ = _numbers()
    assert np.array_equal(without, first, equal_nan=True)  # and equal to a run with no cache at all
    assert list(cache_dir.glob("grid-*.bin")) == [path]


def test_each_setting_read_equals_computing_it(cache_dir):
    _numbers()
    (path,) = cache_dir.glob("grid-*.bin")
    kept = gridcache.load(path, len(tables.patterns()), tables.WIDTH)
    grid = Grid(DRAWS, 0)
    grid.close()
    for (known, node), table in kept.items():
        at = tuple(float(GRID[n][i]) if k else None for n, i, k in zip(grid.names, node, known, strict=True))
        assert np.array_equal(table, tables.setting_numbers(grid.ds, grid.ev, at), equal_nan=True), (known, node)


def _kept(path) -> set:  # type: ignore[no-untyped-def,type-arg]
    return set(gridcache.load(path, len(tables.patterns()), tables.WIDTH))


def test_the_file_shows_no_grid_value_a_row_was_near(cache_dir):
    """One row with marrow blasts exactly on a grid value and age unknown needs one setting; the file keeps
    all six of that combination (blasts known, age unknown), so it does not tell which value the row had."""
    _numbers(rows=(np.array([7]), np.array([[20.0, np.nan]])))
    (path,) = cache_dir.glob("grid-*.bin")
    assert _kept(path) == {((True, False), (i, 0)) for i in range(len(GRID["marrow_blasts"]))}


def test_a_run_needing_more_settings_adds_them(cache_dir):
    _numbers(rows=(np.array([7]), np.array([[20.0, np.nan]])))
    (path,) = cache_dir.glob("grid-*.bin")
    before = _kept(path)
    _, computed = _numbers(rows=(np.array([5]), np.array([[95.0, 79.0]])))
    after = _kept(path)
    assert computed == len(GRID["marrow_blasts"]) * len(GRID["age"])  # the new combination, all of it
    assert before < after and len(after - before) == computed


def test_seeds_get_their_own_file(cache_dir):
    _numbers(seed=0)
    _numbers(seed=1)
    assert len(list(cache_dir.glob("grid-*.bin"))) == 2


@pytest.mark.parametrize(
    "damage",
    [
        b"",
        b"junk",
        b"blinacalc-grid\n{not json",
        b"blinacalc-grid\n{}\n",
        b'blinacalc-grid\n{"patterns": 81, "width": 3, "settings": []}\n',
        b"blinacalc-grid\n" + b"[" * 5000 + b"\n",  # deeper than the JSON parser's recursion
        "overflow",  # a grid index of 1e400
        "truncated",
        "longer",
        "nan",  # the header intact, the numbers not
        "scaled",  # the numbers 1% off: only the digest can tell
    ],
)
def test_a_damaged_file_is_recomputed_and_replaced(cache_dir, damage):
    first, _ = _numbers()
    (path,) = cache_dir.glob("grid-*.bin")
    size = path.stat().st_size
    path.write_bytes(_damaged(path.read_bytes(), damage))
    again, computed = _numbers()
    assert computed > 0
    assert np.array_equal(again, first, equal_nan=True)
    assert path.stat().st_size == size  # rewritten whole


def _damaged(good: bytes, damage: bytes | str) -> bytes:
    if isinstance(damage, bytes):
        return damage
    magic, header, body = good.split(b"\n", 2)
    if damage == "overflow":
        return magic + b"\n" + header.replace(b"[[1, 1], [0, 0]]", b"[[1, 1], [1e400, 0]]", 1) + b"\n" + body
    if damage == "truncated":
        return good[:-800]
    if damage == "longer":
        return good + b"\0"
    values = np.frombuffer(body, dtype="<f8")
    changed = np.full_like(values, np.nan) if damage == "nan" else values * 1.01
    return magic + b"\n" + header + b"\n" + changed.astype("<f8").tobytes()


def test_a_fifo_in_its_place_is_not_read(cache_dir):
    _numbers()
    (path,) = cache_dir.glob("grid-*.bin")
    path.unlink()
    os.mkfifo(path)
    assert gridcache.load(path, len(tables.patterns()), tables.WIDTH) == {}  # returns at once: never opened


def test_no_file_when_the_draws_are_not_kept(tmp_path):
    drawcache.clear()
    model.use_disk_cache(None)
    _, computed = _numbers()
    assert computed > 0
    assert not list(tmp_path.rglob("grid-*.bin"))


def test_a_folder_in_its_place_still_gives_numbers(cache_dir):
    """Neither read nor replaced (root ignores permissions, so an unwritable place is a folder here)."""
    first, _ = _numbers()
    (path,) = cache_dir.glob("grid-*.bin")
    path.unlink()
    path.mkdir()
    again, computed = _numbers()
    assert computed > 0
    assert np.array_equal(again, first, equal_nan=True)
    assert path.is_dir()
