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


@pytest.fixture
def cache_dir(tmp_path):
    drawcache.clear()
    model.use_disk_cache(tmp_path)
    yield tmp_path
    model.use_disk_cache(None)
    drawcache.clear()


def _numbers(seed: int = 0) -> tuple[np.ndarray, int]:
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
        out = grid.numbers(*ROWS)
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


def test_a_run_needing_more_settings_adds_them(cache_dir):
    _numbers()
    (path,) = cache_dir.glob("grid-*.bin")
    before = set(gridcache.load(path, len(tables.patterns()), tables.WIDTH))
    grid = Grid(DRAWS, 0)
    try:
        grid.numbers(np.array([5]), np.array([[95.0, 79.0]]))  # the grid's far corner: settings not used before
        grid.save()
    finally:
        grid.close()
    after = set(gridcache.load(path, len(tables.patterns()), tables.WIDTH))
    assert before < after


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
        "truncated",
    ],
)
def test_a_damaged_file_is_recomputed_and_replaced(cache_dir, damage):
    first, _ = _numbers()
    (path,) = cache_dir.glob("grid-*.bin")
    size = path.stat().st_size
    path.write_bytes(path.read_bytes()[:-800] if damage == "truncated" else damage)
    again, computed = _numbers()
    assert computed > 0
    assert np.array_equal(again, first, equal_nan=True)
    assert path.stat().st_size == size  # rewritten whole


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
