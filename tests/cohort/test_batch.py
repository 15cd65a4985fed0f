"""`blinacalc batch`: every row out, in order, the API's numbers, refusals named, files never clobbered."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

from blinacalc import Patient, predict
from blinacalc.cli import main
from blinacalc.cohort.batch import OUTPUT_COLUMNS, output_cells

DRAWS = ["--draws", "200"]


def write(tmp_path: Path, text: str, name: str = "in.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


COHORT = """id,ecog,salvage_line,prior_hsct,t411,site
p1,1,2,no,,A
p2,4,1,yes,no,B
p3,0,1,TRUE,0,C
p4,,,,,D
p5,2,3,False,Yes,E
"""


def test_rows_in_order_with_the_api_numbers_and_refusals(tmp_path, capsys):
    out = tmp_path / "out.csv"
    assert main(["batch", str(write(tmp_path, COHORT)), "-o", str(out), *DRAWS]) == 3  # a row was refused
    rows = read_csv(out.read_text())
    assert [r["id"] for r in rows] == ["p1", "p2", "p3", "p4", "p5"]
    assert [r["site"] for r in rows] == ["A", "B", "C", "D", "E"]  # extra columns carried through
    expected = {
        "p1": Patient(ecog=1, salvage_line=2, prior_hsct=False),
        "p3": Patient(ecog=0, salvage_line=1, prior_hsct=True, t411=False),
        "p4": Patient(),
        "p5": Patient(ecog=2, salvage_line=3, prior_hsct=False, t411=True),
    }
    for row in rows:
        if row["id"] in expected:
            cells = output_cells(predict(expected[row["id"]], draws=200, seed=0))
            assert tuple(row[c] for c in OUTPUT_COLUMNS[:-1]) == cells
            assert row["error"] == ""
    refused = rows[1]
    assert refused["error"].startswith("ecog: ECOG 4 is outside both source trials")
    assert all(refused[c] == "" for c in OUTPUT_COLUMNS[:-1])
    err = capsys.readouterr().err
    assert "blinacalc batch: line 3: ecog: ECOG 4" in err  # header = line 1
    assert "5 rows" in err and "1 refused" in err


def test_cr_crh_is_topp_table_2():
    """Topp 2021 Table 2: CR/CRh 123 of 259 (47.5%), the same for every row (not individualized)."""
    cells = dict(zip(OUTPUT_COLUMNS, output_cells(predict(Patient(ecog=0), draws=200)), strict=False))
    assert cells["cr_crh"] == f"{123 / 259:.4f}"


def test_model_classes_share_one_prediction():
    """ECOG enters as 0 vs 1+ and salvage as 1st vs later (Topp 2021 Table 3): ECOG 1 and 2 give the same
    numbers, as do salvage lines 2 and 5, so batch computes each class once."""
    a = output_cells(predict(Patient(ecog=1, salvage_line=2), draws=200))
    b = output_cells(predict(Patient(ecog=2, salvage_line=5), draws=200))
    assert a == b


def test_all_good_rows_exit_0_and_json(tmp_path, capsys):
    good = "id,ecog,salvage_line,prior_hsct,t411\na,0,1,no,no\nb,1,,yes,\n"
    assert main(["batch", str(write(tmp_path, good)), "--format", "json", *DRAWS]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["schema"] == "blinacalc.batch/1"
    assert doc["columns"][-1] == "error"
    assert [r["id"] for r in doc["rows"]] == ["a", "b"]
    pred = predict(Patient(ecog=0, salvage_line=1, prior_hsct=False, t411=False), draws=200)
    assert doc["rows"][0]["os_12mo"] == round(pred.os.landmark(12).estimate, 4)
    assert doc["rows"][0]["error"] is None


@pytest.mark.parametrize(
    ("cells", "expected"),
    [
        # One vocabulary for flags and cells (blinacalc.core.factors.parse_text).
        ("x,1,2,maybe,", "prior_hsct: expected yes, no or unknown, got 'maybe'"),
        ("x,one,2,no,", "ecog: expected 0, 1, 2 or unknown, got 'one'"),
        ("x,1,0,no,", "salvage_line: got 0"),
        ("x,1,2,no,,extra", "row: expected 5 fields, got 6"),
    ],
)
def test_bad_cells_name_the_column(tmp_path, capsys, cells, expected):
    path = write(tmp_path, f"id,ecog,salvage_line,prior_hsct,t411\n{cells}\n")
    assert main(["batch", str(path), *DRAWS]) == 3
    (row,) = read_csv(capsys.readouterr().out)
    assert row["error"].startswith(expected)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "is empty: expected a header line"),
        (b"id,ecog,salvage_line,prior_hsct\n1,0,1,no\n", "has no column 't411'"),
        (b"id,ecog,ecog,salvage_line,prior_hsct,t411\n", "column 'ecog' appears more than once"),
        (b"id,ecog,salvage_line,prior_hsct,t411\n1,0,1,\xff\xfe,no\n", "not UTF-8 text"),
        (b"id,ecog,salvage_line,prior_hsct,t411,os_12mo\n", "input column 'os_12mo' has the name of an output"),
    ],
)
def test_unusable_files_are_one_line_exit_2(tmp_path, capsys, content, expected):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    out = tmp_path / "out.csv"
    assert main(["batch", str(path), "-o", str(out), *DRAWS]) == 2
    err = capsys.readouterr().err
    assert expected in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err
    assert not out.exists()  # nothing half-written
    assert [p.name for p in tmp_path.iterdir()] == ["bad.csv"]


def test_missing_input_file_and_bad_flags(tmp_path, capsys):
    assert main(["batch", str(tmp_path / "nope.csv"), *DRAWS]) == 2
    assert "no such file" in capsys.readouterr().err
    assert main(["batch", str(write(tmp_path, COHORT)), "--draws", "5"]) == 2
    assert "--draws: expected an integer from 100" in capsys.readouterr().err


def test_output_is_never_clobbered_without_force(tmp_path, capsys):
    source = write(tmp_path, COHORT)
    out = tmp_path / "out.csv"
    out.write_text("the user's file")
    assert main(["batch", str(source), "-o", str(out), *DRAWS]) == 2
    assert "exists; add --force" in capsys.readouterr().err
    assert out.read_text() == "the user's file"
    assert main(["batch", str(source), "-o", str(out), "--force", *DRAWS]) == 3
    assert out.read_text().startswith("id,ecog")
    assert out.stat().st_mode & 0o777 == 0o600


def test_bom_and_case_insensitive_header(tmp_path, capsys):
    path = tmp_path / "excel.csv"
    path.write_bytes("\ufeffID,ECOG,Salvage_Line,Prior_HSCT,T411\r\nq,0,1,No,NO\r\n".encode())
    assert main(["batch", str(path), *DRAWS]) == 0
    (row,) = read_csv(capsys.readouterr().out)
    assert row["ID"] == "q" and row["error"] == "" and row["os_median"]


def test_a_cell_as_long_as_a_line_may_be_is_read(tmp_path, capsys):
    """(found by review: csv's own 131,072-character field limit refused cells the line limit allows)"""
    path = write(tmp_path, "id,ecog,salvage_line,prior_hsct,t411,note\n" + "p1,1,2,no,no," + "x" * 200_000 + "\n")
    assert main(["batch", str(path), "-o", str(tmp_path / "o.csv"), *DRAWS]) == 0
    (row,) = read_csv((tmp_path / "o.csv").read_text())
    assert len(row["note"]) == 200_000 and row["os_median"]


def test_many_refused_rows_are_summarised_on_stderr(tmp_path, capsys):
    rows = "".join(f"r{i},4,1,no,no\n" for i in range(150))
    path = write(tmp_path, "id,ecog,salvage_line,prior_hsct,t411\n" + rows)
    assert main(["batch", str(path), "-o", str(tmp_path / "o.csv"), *DRAWS]) == 3
    err = capsys.readouterr().err
    assert err.count("blinacalc batch: line ") == 100
    assert "... and 50 more refused rows (see the error column)" in err
    assert len(read_csv((tmp_path / "o.csv").read_text())) == 150  # none dropped


def test_batch_does_not_import_lifelines_or_pandas(tmp_path):
    path = write(tmp_path, COHORT)
    code = (
        "import sys; from blinacalc.cli import main; main(['batch', sys.argv[1], '--draws', '200']); "
        "print(sorted(m for m in ('lifelines', 'pandas', 'scipy', 'textual') if m in sys.modules), file=sys.stderr)"
    )
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True)
    assert out.stderr.strip().splitlines()[-1] == "[]"


def test_batch_never_computes_the_remission_scenarios(tmp_path, monkeypatch):
    """Batch writes OS, RFS and CR/CRh only, so the costly scenario splits must not run."""

    def refuse(*args):
        raise AssertionError("solve_split called")

    monkeypatch.setattr("blinacalc.core.model.solve_split", refuse)
    out = tmp_path / "out.csv"
    assert main(["batch", str(write(tmp_path, COHORT)), "-o", str(out), *DRAWS]) == 3  # p2 refused, as above
    assert len(read_csv(out.read_text())) == 5
