"""The on-disk draws: same numbers as a fresh build, never stale, never fatal."""

from __future__ import annotations

import dataclasses
import json

import pytest

from blinacalc.core import drawcache, model
from blinacalc.core.patient import Patient

DRAWS = 200


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


@pytest.mark.parametrize(
    "damage",
    [
        b"",
        b"blinacalc-draws\n{not json",
        b"blinacalc-draws\n{}\n" + b"\0" * 8,
        b"junk",
        b"blinacalc-draws\n" + b"[" * 3000 + b"\n",  # deeper than the JSON parser's recursion
    ],
)
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


def _evidence_reloaded():
    from blinacalc.core import evidence

    evidence.load_evidence.cache_clear()
    return evidence.load_evidence()


def test_parsed_evidence_copies_equal_the_toml_and_are_only_a_cache(cache_dir):
    """The parsed copies (JSON named by the TOML's digest) give the same evidence as parsing the TOML; a damaged
    copy is parsed again, a FIFO in its place is never opened, and copies of an earlier file are removed."""
    import os

    from blinacalc.core import evidence

    try:
        model.use_disk_cache(None)
        from_toml = _evidence_reloaded()
        model.use_disk_cache(cache_dir)
        assert _evidence_reloaded() == from_toml  # parsed, copies written
        copies = sorted(cache_dir.glob("evidence-*.json"))
        assert [c.name.split("-")[1] for c in copies] == ["topp2021", "tower2017"]
        assert _evidence_reloaded() == from_toml
        data = json.loads(copies[1].read_text())
        copies[1].write_text(json.dumps({**data, "version": "read-from-the-copy"}))
        assert _evidence_reloaded().tower.version == "read-from-the-copy"  # the copy is what was read
        copies[1].write_text(json.dumps(data))
        stale = cache_dir / "evidence-topp2021-0123.json"
        stale.write_text("{}")
        copies[0].write_text('{"schema_version": ')  # damaged
        assert _evidence_reloaded() == from_toml
        assert not stale.exists() and json.loads(copies[0].read_text())["schema_version"] == 1
        for readable_but_wrong in ("{}", '{"schema_version": 1, "version": null}', "[1, 2]"):
            copies[0].write_text(readable_but_wrong)  # valid JSON that does not validate: the TOML decides
            assert _evidence_reloaded() == from_toml
            assert json.loads(copies[0].read_text())["schema_version"] == 1  # and the copy is replaced
        copies[1].unlink()
        os.mkfifo(copies[1])  # would block a reader forever
        assert _evidence_reloaded() == from_toml
    finally:
        evidence.load_evidence.cache_clear()
