"""Saved scenarios and settings: atomic, private, recoverable, safe under concurrency, versioned."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from blinacalc.core.patient import InputError, Patient
from blinacalc.store import (
    NewerFormatError,
    Scenario,
    ScenarioExistsError,
    Settings,
    Store,
    StoreError,
    UnknownScenarioError,
    check_label,
    check_name,
    move_aside,
    paths,
)

CURRENT = Scenario("current", Patient(ecog=1, salvage_line=2, prior_hsct=False), "as seen today")
BETTER = Scenario("ecog-better", Patient(ecog=0, salvage_line=2, prior_hsct=False))


@pytest.fixture
def warnings() -> list[str]:
    return []


@pytest.fixture
def store(warnings) -> Store:
    return Store(warn=warnings.append)


def test_paths_honour_blinacalc_home(isolated_home):
    where = paths()
    assert where.settings == isolated_home / "config" / "settings.toml"
    assert where.scenarios == isolated_home / "data" / "scenarios.json"
    assert where.cache == isolated_home / "cache"
    assert not (isolated_home / "config").exists()  # nothing is created by asking


def test_paths_without_home_use_the_platform_folders(monkeypatch):
    monkeypatch.delenv("BLINACALC_HOME")
    where = paths()
    assert {where.config.name, where.data.name, where.cache.name} == {"blinacalc"}


def test_save_list_show_rename_delete(store):
    assert store.scenarios() == {}
    store.save_scenario(CURRENT)
    store.save_scenario(BETTER)
    assert list(store.scenarios()) == ["current", "ecog-better"]
    assert store.scenario("current") == CURRENT
    store.rename_scenario("ecog-better", "if-ecog-0")
    assert store.scenario("if-ecog-0").patient == BETTER.patient
    assert store.delete_scenario("current") == CURRENT
    assert list(store.scenarios()) == ["if-ecog-0"]


def test_saving_over_a_name_needs_force(store):
    store.save_scenario(CURRENT)
    changed = Scenario("current", Patient(ecog=2))
    with pytest.raises(ScenarioExistsError):
        store.save_scenario(changed)
    assert store.scenario("current") == CURRENT
    store.save_scenario(changed, force=True)
    assert store.scenario("current") == changed
    store.save_scenario(BETTER)
    with pytest.raises(ScenarioExistsError):
        store.rename_scenario("current", "ecog-better")


def test_unknown_names_are_refused_with_the_saved_names(store):
    store.save_scenario(CURRENT)
    with pytest.raises(UnknownScenarioError, match="no saved scenario named 'nope'; saved: current"):
        store.scenario("nope")
    with pytest.raises(UnknownScenarioError):
        store.delete_scenario("nope")
    with pytest.raises(UnknownScenarioError):
        store.rename_scenario("nope", "other")


@pytest.mark.parametrize(
    "name", ["", "../escape", "a/b", ".hidden", "-flag", "x" * 33, "with space", "name\n", "1960-11-21", "1234567"]
)
def test_bad_names_are_refused(name):
    with pytest.raises(InputError) as info:
        check_name(name)
    assert info.value.field == "name"


@pytest.mark.parametrize("label", ["x" * 61, "two\nlines", "born 21/11/1960", "MRN 00123456"])
def test_bad_labels_are_refused(label):
    with pytest.raises(InputError) as info:
        check_label(label)
    assert info.value.field == "label"


def test_labels_are_trimmed_and_blank_means_none():
    assert check_label("  if ECOG improves ") == "if ECOG improves"
    assert check_label("   ") is None
    assert check_name("ecog_0.v2") == "ecog_0.v2"


def test_files_are_private(store, isolated_home):
    store.save_scenario(CURRENT)
    store.update_settings(draws=5000)
    for path in (paths().scenarios, paths().settings):
        assert path.stat().st_mode & 0o777 == 0o600
        assert path.parent.stat().st_mode & 0o777 == 0o700


def test_folders_created_are_private_all_the_way_down(monkeypatch, tmp_path):
    monkeypatch.setenv("BLINACALC_HOME", str(tmp_path / "new" / "home"))
    Store().save_scenario(CURRENT)
    for folder in (tmp_path / "new", tmp_path / "new" / "home", tmp_path / "new" / "home" / "data"):
        assert folder.stat().st_mode & 0o777 == 0o700


def test_a_crash_mid_write_leaves_the_old_file_intact(store, monkeypatch):
    store.save_scenario(CURRENT)
    before = paths().scenarios.read_bytes()

    def crash(*_args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("blinacalc._fs.os.replace", crash)
    with pytest.raises(StoreError, match="No space left on device"):
        store.save_scenario(BETTER)
    assert paths().scenarios.read_bytes() == before
    assert sorted(p.name for p in paths().data.iterdir()) == ["scenarios.json", "scenarios.lock"]  # no temp file


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b"\xff\xfe not utf-8",
        b'{"schema": "something else", "format": 1, "scenarios": {}}',
        b'{"schema": "blinacalc.scenarios", "format": 1, "scenarios": {"x": {"ecog": 7}}}',
        b'{"schema": "blinacalc.scenarios", "format": 1, "scenarios": {"../x": {}}}',
        b'{"schema": "blinacalc.scenarios", "format": 1, "scenarios": {"x": {"name": "Jane Doe"}}}',
        b"",
    ],
)
def test_a_corrupt_file_is_moved_aside_intact_with_one_warning(store, warnings, content):
    path = paths().scenarios
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    assert store.scenarios() == {}  # the app still works
    (aside,) = path.parent.glob("scenarios.corrupt-*.json")
    assert aside.read_bytes() == content
    assert len(warnings) == 1 and aside.name in warnings[0]
    store.save_scenario(CURRENT)  # saving afterwards neither touches the copy nor warns again
    assert store.scenario("current") == CURRENT
    assert aside.read_bytes() == content
    assert len(warnings) == 1


def test_an_unreadable_file_is_moved_aside(store, warnings):
    path = paths().scenarios
    path.mkdir(parents=True)  # a folder where the file should be: reading fails
    (path / "keep.txt").write_text("user data")
    assert store.scenarios() == {}
    (aside,) = path.parent.glob("scenarios.corrupt-*.json")
    assert (aside / "keep.txt").read_text() == "user data"
    assert len(warnings) == 1


def test_moving_aside_never_replaces_an_earlier_copy(tmp_path, monkeypatch):
    monkeypatch.setattr("blinacalc.store.time.strftime", lambda _fmt: "20260101T000000")
    first = tmp_path / "scenarios.json"
    first.write_text("one")
    a = move_aside(first)
    first.write_text("two")
    b = move_aside(first)
    assert (a.name, b.name) == ("scenarios.corrupt-20260101T000000.json", "scenarios.corrupt-20260101T000000-1.json")
    assert (a.read_text(), b.read_text()) == ("one", "two")
    assert not first.exists()


def test_a_newer_format_is_refused_and_never_rewritten(store):
    path = paths().scenarios
    path.parent.mkdir(parents=True)
    newer = json.dumps({"schema": "blinacalc.scenarios", "format": 2, "scenarios": {}, "more": []}).encode()
    path.write_bytes(newer)
    with pytest.raises(NewerFormatError, match="newer blinacalc"):
        store.scenarios()
    with pytest.raises(NewerFormatError):
        store.save_scenario(CURRENT)
    assert path.read_bytes() == newer
    assert list(path.parent.glob("*corrupt*")) == []


def test_two_processes_saving_at_once_lose_nothing():
    code = (
        "import sys\n"
        "from blinacalc.core.patient import Patient\n"
        "from blinacalc.store import Scenario, Store\n"
        "for i in range(25):\n"
        "    Store().save_scenario(Scenario(f'{sys.argv[1]}{i}', Patient(ecog=i % 3)))\n"
    )
    procs = [subprocess.Popen([sys.executable, "-c", code, prefix]) for prefix in ("a", "b")]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    saved = Store().scenarios()
    assert len(saved) == 50
    assert saved["b24"].patient == Patient(ecog=0)


def test_an_unusable_home_reads_fine_and_saving_fails_clearly(monkeypatch, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("BLINACALC_HOME", str(blocker / "home"))
    store = Store()
    assert store.scenarios() == {}
    assert store.settings() == Settings()
    with pytest.raises(StoreError, match=r"cannot save to .*scenarios.json: Not a directory"):
        store.save_scenario(CURRENT)
    with pytest.raises(StoreError, match=r"cannot save to .*settings.toml"):
        store.update_settings(draws=3000)


def test_a_read_only_folder_makes_saving_fail_clearly(store, monkeypatch):
    store.save_scenario(CURRENT)

    def refuse(*_args, **_kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("blinacalc._fs._anonymous", refuse)  # what a read-only folder does to a new file
    with pytest.raises(StoreError, match="Permission denied"):
        store.save_scenario(BETTER)
    assert list(store.scenarios()) == ["current"]


# --- settings -----------------------------------------------------------------------------------
def test_settings_default_set_and_unset(store):
    assert store.settings() == Settings(theme=None, draws=2000, landmarks=(6, 12, 24, 36, 60))
    store.update_settings(draws="5000", landmarks="36, 12,12", theme="nord")
    assert store.settings() == Settings(theme="nord", draws=5000, landmarks=(12, 36))
    text = paths().settings.read_text()
    assert 'theme = "nord"' in text and "landmarks = [12, 36]" in text
    store.update_settings(draws=None)
    assert store.settings() == Settings(theme="nord", draws=2000, landmarks=(12, 36))


@pytest.mark.parametrize(
    ("key", "value"),
    [("draws", "99"), ("draws", "lots"), ("landmarks", "7"), ("landmarks", ""), ("theme", "../x"), ("colour", "1")],
)
def test_bad_settings_are_refused(store, key, value):
    with pytest.raises(InputError):
        store.update_settings(**{key: value})
    assert not paths().settings.exists()


def test_a_bad_value_in_the_file_warns_and_uses_its_default(store, warnings):
    path = paths().settings
    path.parent.mkdir(parents=True)
    path.write_text('format = 1\ndraws = 50\nlandmarks = [12]\nfavourite = "x"\n')
    assert store.settings() == Settings(draws=2000, landmarks=(12,))
    assert len(warnings) == 2 and "draws" in warnings[0] and "favourite" in warnings[1]
    assert path.read_text().startswith("format = 1\ndraws = 50")  # the user's file is left as written


def test_a_settings_file_that_is_not_toml_is_moved_aside(store, warnings):
    path = paths().settings
    path.parent.mkdir(parents=True)
    path.write_text("draws = = 5")
    assert store.settings() == Settings()
    (aside,) = path.parent.glob("settings.corrupt-*.toml")
    assert aside.read_text() == "draws = = 5"
    assert len(warnings) == 1


def test_a_newer_settings_file_is_used_as_defaults_and_never_rewritten(store, warnings):
    path = paths().settings
    path.parent.mkdir(parents=True)
    path.write_text("format = 2\ndraws = 5000\n")
    assert store.settings() == Settings()
    assert "newer blinacalc" in warnings[0]
    with pytest.raises(NewerFormatError):
        store.update_settings(draws=3000)
    assert path.read_text() == "format = 2\ndraws = 5000\n"


def test_the_scenario_file_is_readable_json(store):
    store.save_scenario(CURRENT)
    doc = json.loads(Path(os.environ["BLINACALC_HOME"], "data", "scenarios.json").read_text())
    assert doc == {
        "schema": "blinacalc.scenarios",
        "format": 1,
        "scenarios": {
            "current": {
                "ecog": 1,
                "salvage_line": 2,
                "prior_hsct": False,
                "t411": None,
                "marrow_blasts": None,
                "age": None,
                "label": "as seen today",
            }
        },
    }
