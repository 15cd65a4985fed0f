"""`blinacalc scenarios`, `settings`, `--paths` and `--scenario`: exit codes, messages, nothing lost."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from blinacalc import Patient, predict
from blinacalc.cli import main
from blinacalc.store import Store, paths


def one_line_error(capsys, code_expected: int, argv: list[str]) -> str:
    capsys.readouterr()  # only this command's output counts
    assert main(argv) == code_expected
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    return err


def test_save_list_show_rename_delete(capsys):
    assert main(["scenarios", "save", "current", "--ecog", "1", "--salvage-line", "2", "--label", "today"]) == 0
    assert "saved current: ECOG 1, 2nd salvage, prior HSCT unknown, t(4;11) unknown" in capsys.readouterr().err
    assert main(["scenarios", "save", "better", "--ecog", "0", "--salvage-line", "2"]) == 0
    capsys.readouterr()
    assert main(["scenarios", "list"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "better: ECOG 0, 2nd salvage, prior HSCT unknown, t(4;11) unknown"
    assert out[1].endswith("(today)") and out[1].startswith("current:")
    assert main(["scenarios", "show", "current", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == {
        "name": "current",
        "ecog": 1,
        "salvage_line": 2,
        "prior_hsct": None,
        "t411": None,
        "marrow_blasts": None,
        "age": None,
        "label": "today",
    }
    assert main(["scenarios", "rename", "better", "ecog-0"]) == 0
    assert main(["scenarios", "delete", "current"]) == 0
    capsys.readouterr()
    assert main(["scenarios", "list", "--format", "json"]) == 0
    assert [s["name"] for s in json.loads(capsys.readouterr().out)["scenarios"]] == ["ecog-0"]


def test_empty_list_says_how_to_save(capsys):
    assert main(["scenarios", "list"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and "blinacalc scenarios save NAME" in captured.err


def test_saving_over_a_name_asks_for_force(capsys):
    assert main(["scenarios", "save", "current", "--ecog", "1"]) == 0
    err = one_line_error(capsys, 2, ["scenarios", "save", "current", "--ecog", "2"])
    assert "NAME: a scenario named 'current' is already saved; add --force to replace it" in err
    assert Store().scenario("current").patient == Patient(ecog=1)
    assert main(["scenarios", "save", "current", "--ecog", "2", "--force"]) == 0
    assert Store().scenario("current").patient == Patient(ecog=2)


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["scenarios", "show", "nope"], "NAME: no saved scenario named 'nope'; saved: none"),
        (["scenarios", "delete", "nope"], "NAME: no saved scenario named 'nope'"),
        (["summary", "--scenario", "nope"], "--scenario: no saved scenario named 'nope'"),
        (["tui", "--scenario", "nope"], "--scenario: no saved scenario named 'nope'"),
        (["scenarios", "save", "../up"], "NAME: expected 1-32 letters, digits"),
        (["scenarios", "save", "21-11-1960"], "NAME: '21-11-1960' looks like a date or a record number"),
        (["scenarios", "save", "x", "--label", "MRN 12345678"], "--label: 'MRN 12345678' looks like a date"),
        (["scenarios", "save", "x", "--ecog", "3"], "--ecog: ECOG 3 is outside"),
        (["settings", "set", "draws", "5"], "draws: expected an integer from 100 to 100,000, got 5"),
        (["settings", "set", "landmarks", "7"], "landmarks: expected one or more months from 6, 12, 24, 36, 48, 60"),
        (["settings", "set", "theme", "hotdog"], "theme: expected one of"),
    ],
)
def test_bad_input_is_one_line_exit_2(capsys, argv, expected):
    err = one_line_error(capsys, 2, argv)
    assert expected in err
    assert not paths().scenarios.exists()


def test_summary_from_a_saved_scenario_with_an_override(capsys):
    assert main(["scenarios", "save", "current", "--ecog", "1", "--salvage-line", "2", "--prior-hsct", "no"]) == 0
    assert main(["summary", "--scenario", "current", "--draws", "200", "--format", "json"]) == 0
    got = json.loads(capsys.readouterr().out)
    assert got == predict(Patient(ecog=1, salvage_line=2, prior_hsct=False), draws=200).to_dict()
    assert main(["summary", "--scenario", "current", "--ecog", "0", "--draws", "200", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["inputs"] == {
        "ecog": 0,
        "salvage_line": 2,
        "prior_hsct": False,
        "t411": None,
        "marrow_blasts": None,
        "age": None,
        "alive_at_months": None,
    }


def test_the_report_names_the_scenario(capsys):
    assert main(["scenarios", "save", "current", "--ecog", "1", "--label", "as seen today"]) == 0
    assert main(["summary", "--scenario", "current", "--draws", "200", "--format", "markdown"]) == 0
    assert "Saved scenario: current (as seen today)" in capsys.readouterr().out


def test_settings_set_show_unset_and_used_by_summary(capsys):
    assert main(["settings", "set", "landmarks", "12,48"]) == 0
    assert main(["settings", "set", "draws", "300"]) == 0
    capsys.readouterr()
    assert main(["settings"]) == 0
    assert capsys.readouterr().out.splitlines() == ["theme = default", "draws = 300", "landmarks = 12, 48"]
    assert main(["summary", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["draws"] == 300
    assert main(["summary", "--format", "markdown"]) == 0
    report = capsys.readouterr().out
    assert "| 4 years |" in report and "| 2 years |" not in report.split("## Response")[0]
    assert main(["settings", "unset", "draws"]) == 0
    assert "draws = 2000" in capsys.readouterr().out


def test_settings_set_theme_checks_the_name(capsys):
    assert main(["settings", "set", "theme", "nord"]) == 0
    assert 'theme = "nord"' in paths().settings.read_text()


def test_a_corrupt_scenarios_file_warns_once_and_works(capsys):
    paths().data.mkdir(parents=True)
    paths().scenarios.write_bytes(b"\x00garbage")
    assert main(["scenarios", "list"]) == 0
    err = capsys.readouterr().err
    assert err.count("warning:") == 1 and "moved it to scenarios.corrupt-" in err
    (aside,) = paths().data.glob("scenarios.corrupt-*")
    assert aside.read_bytes() == b"\x00garbage"


def test_a_newer_scenarios_file_is_refused_exit_1(capsys):
    paths().data.mkdir(parents=True)
    newer = b'{"schema": "blinacalc.scenarios", "format": 9, "scenarios": {}}'
    paths().scenarios.write_bytes(newer)
    err = one_line_error(capsys, 1, ["scenarios", "save", "x", "--ecog", "1"])
    assert "newer blinacalc (format 9" in err
    assert paths().scenarios.read_bytes() == newer


def test_unusable_home_everything_but_saving_works(tmp_path, monkeypatch, capsys):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    monkeypatch.setenv("BLINACALC_HOME", str(blocker / "home"))
    assert main(["summary", "--draws", "200", "--format", "json"]) == 0
    assert main(["scenarios", "list"]) == 0
    capsys.readouterr()
    err = one_line_error(capsys, 1, ["scenarios", "save", "x", "--ecog", "1"])
    assert "cannot save to" in err and "Not a directory" in err


def test_paths_prints_where_things_are(isolated_home):
    out = subprocess.run([sys.executable, "-m", "blinacalc", "--paths"], capture_output=True, text=True)
    assert out.returncode == 0
    assert out.stdout.splitlines() == [
        f"settings   {isolated_home / 'config' / 'settings.toml'}",
        f"scenarios  {isolated_home / 'data' / 'scenarios.json'}",
        f"cache      {isolated_home / 'cache'}",
    ]
    assert "BLINACALC_HOME" in out.stderr
