"""The on-disk draws: same numbers as a fresh build, never stale, never fatal."""

from __future__ import annotations

import dataclasses
import json

import pytest

from blinacalc.core import drawcache, model
from blinacalc.core.patient import Patient

DRAWS = 200


@pytest.fixture
def cache_dir(tmp_path):
    drawcache.clear()
    model.use_disk_cache(tmp_path)
    yield tmp_path
    model.use_disk_cache(None)
    drawcache.clear()


def _fresh(patient: Patient, seed: int = 3) -> dict:
    drawcache.clear()
    return model.predict(patient, draws=DRAWS, seed=seed).to_dict()


def test_cached_draws_give_the_same_prediction(cache_dir):
    patient = Patient(ecog=1, salvage_line=2)
    built = _fresh(patient)  # builds and writes the file
    files = list(cache_dir.glob("draws-*.bin"))
    assert len(files) == 1
    assert oct(files[0].stat().st_mode & 0o777) == "0o600"
    loaded = _fresh(patient)  # reads it back
    assert json.dumps(loaded) == json.dumps(built)
    model.use_disk_cache(None)
    assert json.dumps(_fresh(patient)) == json.dumps(built)  # and equals a run without any cache


def test_seed_and_draws_get_their_own_file(cache_dir):
    _fresh(Patient(), seed=1)
    _fresh(Patient(), seed=2)
    assert len(list(cache_dir.glob("draws-*.bin"))) == 2


@pytest.mark.parametrize("damage", [b"", b"blinacalc-draws\n{not json", b"blinacalc-draws\n{}\n" + b"\0" * 8, b"junk"])
def test_a_damaged_file_is_rebuilt(cache_dir, damage):
    built = _fresh(Patient(t411=True))
    (path,) = cache_dir.glob("draws-*.bin")
    path.write_bytes(damage)
    assert json.dumps(_fresh(Patient(t411=True))) == json.dumps(built)
    assert path.stat().st_size > 1_000_000  # rewritten whole


def test_truncated_file_is_rebuilt(cache_dir):
    built = _fresh(Patient())
    (path,) = cache_dir.glob("draws-*.bin")
    path.write_bytes(path.read_bytes()[:-800])
    assert json.dumps(_fresh(Patient())) == json.dumps(built)


def test_unwritable_cache_location_still_predicts(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    model.use_disk_cache(blocker / "cache")
    try:
        assert _fresh(Patient())["os"]["median_months"]["estimate"] is not None
    finally:
        model.use_disk_cache(None)
        drawcache.clear()


def test_large_runs_are_not_kept(cache_dir):
    drawcache.clear()
    model.predict(Patient(), draws=drawcache.MAX_CACHED_DRAWS + 1, seed=0)
    assert list(cache_dir.glob("draws-*")) == []


def test_the_file_is_read_back_not_rebuilt(cache_dir, monkeypatch):
    """A second process (here: a cleared memory cache) reads the file: the build runs once."""
    from blinacalc.core import draws

    calls = []
    build = draws.build
    monkeypatch.setattr(draws, "build", lambda *a: calls.append(a) or build(*a))
    _fresh(Patient(ecog=0))
    _fresh(Patient(ecog=0))
    assert len(calls) == 1


def test_a_changed_factor_table_gets_its_own_file(cache_dir, monkeypatch):
    """The file name hashes the factor table: a table with another factor can never read these draws."""
    from blinacalc.core import factors

    first = drawcache.DrawCache(cache_dir).file(DRAWS, 3)
    changed = (*factors.FACTORS[:-1], dataclasses.replace(factors.FACTORS[-1], help="changed"))
    monkeypatch.setattr(factors, "FACTORS", changed)
    assert drawcache.DrawCache(cache_dir).file(DRAWS, 3) != first
