"""`blinacalc validate` against cohorts simulated from the model itself, and against bad files."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

from blinacalc.cli import main
from blinacalc.cohort import synthetic
from blinacalc.cohort.validate import validate

FLAGS = ["--time-col", "os_months", "--event-col", "os_event", "--draws", "200"]


@pytest.fixture(scope="module")
def cohort(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cohort") / "synthetic.csv"
    synthetic.write_csv(path, 4000, seed=11, missing=0.1)
    return path


def _se(ci: dict[str, float]) -> float:
    return (ci["hi"] - ci["lo"]) / (2 * 1.96)


def test_the_model_validates_on_data_simulated_from_itself(cohort):
    """Calibration close to the identity: observed KM within 3 standard errors of the mean predicted OS at
    every landmark and in every risk group; observed risk groups ordered as predicted."""
    record = validate(cohort, "os_months", "os_event", draws=200, bootstrap=50).to_dict()
    assert record["n"] == 4000 and record["excluded"] == 0
    for row in record["landmarks"]:
        obs = row["observed"]
        assert abs(obs["estimate"] - row["predicted"]) <= 3 * _se(obs), row
    groups = record["risk_groups"]
    assert [g["n"] for g in groups] == [1334, 1333, 1333]
    for g in groups:
        assert abs(g["observed_12"]["estimate"] - g["predicted_12"]) <= 3 * _se(g["observed_12"]), g
    observed = [g["observed_12"]["estimate"] for g in groups]
    assert observed == sorted(observed)
    c = record["c_index"]
    assert 0.5 < c["lo"] < c["estimate"] < c["hi"] < 0.7


def test_miscalibration_is_detected(cohort, tmp_path):
    """Halve every survival time: observed survival falls well below predicted, outside the tolerance."""
    rows = list(csv.DictReader(cohort.open()))
    worse = tmp_path / "worse.csv"
    with worse.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, rows[0].keys())
        writer.writeheader()
        for r in rows:
            writer.writerow({**r, "os_months": f"{float(r['os_months']) / 2:.2f}"})
    record = validate(worse, "os_months", "os_event", draws=200, bootstrap=0).to_dict()
    twelve = record["landmarks"][1]
    assert twelve["predicted"] - twelve["observed"]["estimate"] > 5 * _se(twelve["observed"])


def test_json_schema_and_days(cohort, tmp_path, capsys):
    rows = list(csv.DictReader(cohort.open()))[:400]
    days = tmp_path / "days.csv"
    with days.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, [*rows[0].keys(), "note"])
        writer.writeheader()
        for r in rows:
            writer.writerow({**r, "os_months": f"{float(r['os_months']) * 365.25 / 12:.3f}", "note": "x"})
    assert main(["validate", str(days), *FLAGS, "--time-unit", "days", "--format", "json", "--bootstrap", "20"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["schema"] == "blinacalc.validation/1"
    assert {"n", "events", "excluded", "c_index", "landmarks", "risk_groups"} <= doc.keys()
    assert doc["n"] == 400 and doc["time_unit"] == "days"
    assert set(doc["c_index"]) >= {"estimate", "lo", "hi"}
    assert [lm["month"] for lm in doc["landmarks"]] == [6, 12, 24]
    assert set(doc["landmarks"][0]["observed"]) == {"estimate", "lo", "hi"}
    assert {"group", "n", "observed_12", "predicted_12"} <= doc["risk_groups"][0].keys()


BASE = "id,ecog,salvage_line,prior_hsct,t411,os_months,os_event\n"
GOOD = "".join(f"g{i},{i % 3},1,no,no,{3 + i},{i % 2}\n" for i in range(12))


def test_bad_rows_are_excluded_and_counted_with_reasons(tmp_path, capsys):
    bad = (
        "b1,1,1,no,no,,1\n"  # missing time
        "b2,1,1,no,no,soon,1\n"  # not a number
        "b3,1,1,no,no,-2,1\n"  # negative
        "b4,1,1,no,no,5,2\n"  # event not 0/1
        "b5,4,1,no,no,5,1\n"  # ECOG 4 refused
        "b6,1,1,no,no,nan,1\n"  # not a number either (plain ASCII decimals only)
    )
    path = tmp_path / "c.csv"
    path.write_text(BASE + GOOD + bad)
    assert main(["validate", str(path), *FLAGS, "--format", "json", "--bootstrap", "0"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["n"] == 12 and doc["excluded"] == 6
    assert doc["excluded_reasons"] == {
        "missing time": 1,
        "time not a number": 2,
        "negative time": 1,
        "event not 0/1 (or yes/no, true/false)": 1,
        "ecog refused by the model": 1,
    }


@pytest.mark.parametrize(
    ("content", "flags", "expected"),
    [
        (b"", FLAGS, "is empty"),
        (BASE.encode(), ["--time-col", "days", "--event-col", "os_event"], "--time-col: "),
        (BASE.encode(), ["--time-col", "os_months", "--event-col", "dead"], "--event-col: "),
        ((BASE + "x,1,1,no,no,five,1\n" * 20).encode(), FLAGS, "0 usable patients and 0 deaths"),
        ((BASE + "x,1,1,no,no,-5,1\n" * 20).encode(), FLAGS, "negative time: 20"),
        ((BASE + GOOD).encode("utf-16"), FLAGS, "not UTF-8"),
        ((BASE + "é,1,1,no,no,4,1\n").encode("latin-1"), FLAGS, "not UTF-8"),
    ],
)
def test_unusable_files_are_one_line_exit_2(tmp_path, capsys, content, flags, expected):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    assert main(["validate", str(path), *flags]) == 2
    err = capsys.readouterr().err
    assert expected in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_rich_output_has_the_calibration_plot(cohort, capsys):
    assert main(["validate", str(cohort), *FLAGS, "--bootstrap", "10"]) == 0
    out = capsys.readouterr().out
    assert "Calibration by risk group" in out and "● predicted" in out and "Harrell's C-index" in out


def test_only_the_cohort_commands_import_lifelines(cohort):
    code = (
        "import sys; from blinacalc.cli import main; "
        "main(['validate', sys.argv[1], '--time-col', 'os_months', '--event-col', 'os_event', "
        "'--draws', '200', '--bootstrap', '0', '--format', 'json']); "
        "print('lifelines' in sys.modules, file=sys.stderr)"
    )
    out = subprocess.run([sys.executable, "-c", code, str(cohort)], capture_output=True, text=True)
    assert out.returncode == 0 and out.stderr.strip().splitlines()[-1] == "True"


def test_synthetic_generator_cli_never_overwrites(tmp_path, capsys):
    out = tmp_path / "s.csv"
    assert synthetic.main(["-n", "5", "--seed", "3", "-o", str(out)]) == 0
    rows = list(csv.DictReader(out.open()))
    assert [r["id"] for r in rows] == [f"S{i:06d}" for i in range(1, 6)]
    first = out.read_text()
    assert synthetic.main(["-n", "5", "--seed", "4", "-o", str(out)]) == 2
    assert out.read_text() == first


@pytest.mark.parametrize("fmt", ["markdown", "html", "svg", "rich"])
def test_validation_exports_through_the_report_document(tmp_path, fmt):
    """Validation is a report like any other: every format, written atomically with -o."""
    from blinacalc.cohort.synthetic import write_csv

    cohort = tmp_path / "c.csv"
    write_csv(cohort, 300, 4, 0.0)
    out = tmp_path / f"v.{fmt}"
    args = ["validate", str(cohort), "--time-col", "os_months", "--event-col", "os_event", "--draws", "200"]
    assert main([*args, "--bootstrap", "10", "--format", fmt, "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8").replace("&#160;", " ")  # SVG text keeps its spaces as entities
    assert "Calibration by risk group" in text and "highest risk" in text and "C-index" in text
    if fmt == "markdown":
        assert "| Group | n | Deaths | Observed | 95% CI | Predicted |" in text
