"""`blinacalc summary` and `blinacalc evidence`: output contract, golden files, exit codes.

Golden files are rendered at width 80 with seed 0. To update them after an intended change:
``python -m pytest tests/cli/test_summary.py --snapshot-update`` (syrupy, the same mechanism as the TUI
snapshots) — then read every diff.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from syrupy.extensions.single_file import SingleFileSnapshotExtension, WriteMode

from blinacalc import Patient, predict
from blinacalc.cli import main

GOLDEN = Path(__file__).parent / "__snapshots__" / "test_summary"


def _golden_extension(ext: str) -> type[SingleFileSnapshotExtension]:
    class Golden(SingleFileSnapshotExtension):
        _write_mode = WriteMode.TEXT
        _file_extension = ext

    return Golden


PATIENT_FLAGS = ["--ecog", "1", "--salvage-line", "2", "--prior-hsct", "no", "--t411", "yes"]
PATIENT = Patient(ecog=1, salvage_line=2, prior_hsct=False, t411=True)
EXTENSIONS = {"rich": "txt", "markdown": "md", "html": "html", "svg": "svg", "json": "json"}


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "blinacalc", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
    )


@pytest.mark.parametrize("fmt", list(EXTENSIONS))
def test_golden_files(fmt, tmp_path, capsys, snapshot):
    out = tmp_path / f"summary.{EXTENSIONS[fmt]}"
    assert main(["summary", *PATIENT_FLAGS, "--format", fmt, "-o", str(out)]) == 0
    assert capsys.readouterr().out == ""  # -o: nothing on stdout
    assert out.read_text(encoding="utf-8") == snapshot(extension_class=_golden_extension(EXTENSIONS[fmt]))


def test_json_is_exactly_the_api(capsys):
    assert main(["summary", *PATIENT_FLAGS, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == predict(PATIENT, draws=2000, seed=0).to_dict()


def test_json_does_not_wrap_at_any_width():
    narrow = _run("summary", "--format", "json", env={"COLUMNS": "20"})
    assert narrow.returncode == 0
    data = json.loads(narrow.stdout)
    assert data["schema"] == "blinacalc.prediction/2"
    assert json.loads(_run("summary", "--format", "json", env={"COLUMNS": "300"}).stdout) == data


def test_omitted_factors_are_unknown(capsys):
    assert main(["summary", "--format", "json", "--draws", "200"]) == 0
    assert json.loads(capsys.readouterr().out)["inputs"] == {
        "ecog": None,
        "salvage_line": None,
        "prior_hsct": None,
        "t411": None,
        "marrow_blasts": None,
        "age": None,
        "alive_at_months": None,
    }


def test_alive_at_conditions_the_json_and_refuses_bad_values(capsys):
    assert main(["summary", "--format", "json", "--draws", "200", "--alive-at", "6"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["inputs"]["alive_at_months"] == 6.0
    assert data["os"]["conditional_on_alive_at_months"] == 6.0
    assert data["os"]["curve"]["estimate"][:12] == [None] * 12 and data["os"]["curve"]["estimate"][12] == 1.0
    for bad in ("60", "-1", "abc", "1_0", "\u0661", "nan", "6 months"):
        out = _run("summary", "--alive-at", bad)
        assert out.returncode == 2, bad
        assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr
        assert "--alive-at" in out.stderr and "0 to less than 60" in out.stderr


def test_piped_output_has_no_escape_codes_and_honours_no_color():
    plain = _run("summary", *PATIENT_FLAGS, "--draws", "200")
    assert plain.returncode == 0 and "\x1b[" not in plain.stdout
    assert "Overall survival" in plain.stdout and "not for clinical decisions" in plain.stdout
    forced = _run("summary", "--draws", "200", env={"FORCE_COLOR": "1"})
    assert "\x1b[" in forced.stdout  # colour when asked for ...
    no_color = _run("summary", "--draws", "200", env={"FORCE_COLOR": "1", "NO_COLOR": "1"})
    assert "\x1b[38" not in no_color.stdout  # ... but no colour under NO_COLOR (bold may remain)


def test_rich_report_fits_80_columns():
    text = (GOLDEN / "test_golden_files[rich].txt").read_text(encoding="utf-8")
    assert max(len(line) for line in text.splitlines()) <= 80


def test_markdown_has_no_ansi_and_is_pasteable():
    text = (GOLDEN / "test_golden_files[markdown].md").read_text(encoding="utf-8")
    assert "\x1b" not in text
    assert text.startswith("# blinacalc")
    assert "| Outcome | Rate | 95% interval | Patients |" in text


def test_html_and_svg_are_whole_documents():
    assert (GOLDEN / "test_golden_files[html].html").read_text(encoding="utf-8").lstrip().startswith("<!DOCTYPE html>")
    svg = (GOLDEN / "test_golden_files[svg].svg").read_text(encoding="utf-8")
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")


BAD_INPUTS = [
    (["--ecog", "3"], "--ecog", "ECOG performance status <= 2"),
    (["--ecog", "4"], "--ecog", "allowed: 0, 1, 2 or unknown"),
    (["--ecog", "5"], "--ecog", "0, 1, 2"),
    (["--ecog", "one"], "--ecog", "expected 0, 1, 2 or unknown"),
    (["--ecog", "1.5"], "--ecog", "expected 0, 1, 2 or unknown"),
    (["--salvage-line", "0"], "--salvage-line", "salvage line >= 1"),
    (["--salvage-line", "-2"], "--salvage-line", "salvage line >= 1"),
    (["--salvage-line", "second"], "--salvage-line", "an integer >= 1"),
    (["--prior-hsct", "maybe"], "--prior-hsct", "yes, no or unknown"),
    (["--t411", "2"], "--t411", "yes, no or unknown"),
    (["--draws", "99"], "--draws", "100 to 100,000"),
    (["--draws", "100001"], "--draws", "100 to 100,000"),
    (["--draws", "many"], "--draws", "100 to 100,000"),
    (["--seed", "-1"], "--seed", "non-negative integer"),
    (["--seed", "x"], "--seed", "non-negative integer"),
    (["--seed", "9" * 4301], "--seed", "non-negative integer"),  # (review: int()'s own limit was a traceback)
    (["--draws", "9" * 4301], "--draws", "100 to 100,000"),
    (["--salvage-line", "9" * 4301], "--salvage-line", "an integer >= 1"),
    (["--format", "pdf"], "--format", "rich"),
    (["--ecog"], "--ecog", "expected one argument"),
    (["--colour"], "unrecognized arguments", "--colour"),
]


@pytest.mark.parametrize(("args", "flag", "allowed"), BAD_INPUTS)
def test_bad_input_is_one_line_exit_2(args, flag, allowed):
    out = _run("summary", *args)
    assert out.returncode == 2, out.stderr
    assert out.stdout == ""
    lines = out.stderr.strip().splitlines()
    assert "Traceback" not in out.stderr
    assert flag in lines[-1] and allowed in lines[-1]
    assert len([line for line in lines if "error" in line]) == 1


def test_minus_zero_is_zero_everywhere(capsys):
    """(found by review: "-0" was kept as -0.0 and shown as "-0%" and "-0 months")"""
    assert main(["summary", "--format", "json", "--draws", "200", "--marrow-blasts", "-0", "--alive-at", "-0.0"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert repr(data["inputs"]["marrow_blasts"]) == "0.0" and repr(data["inputs"]["alive_at_months"]) == "0.0"
    assert main(["summary", "--format", "markdown", "--draws", "200", "--marrow-blasts", "-0", "--alive-at", "-0"]) == 0
    assert "-0" not in capsys.readouterr().out


def test_output_into_missing_directory_is_an_io_error(tmp_path):
    out = _run("summary", "--draws", "200", "-o", str(tmp_path / "missing" / "r.md"), "--format", "markdown")
    assert out.returncode == 1
    assert "cannot write" in out.stderr and "Traceback" not in out.stderr
    assert not (tmp_path / "missing").exists()


def test_output_never_clobbers_without_force(tmp_path, capsys):
    path = tmp_path / "report.md"
    path.write_text("the user's own notes")
    assert main(["summary", "--draws", "200", "--format", "markdown", "-o", str(path)]) == 2
    assert "--force" in capsys.readouterr().err
    assert path.read_text() == "the user's own notes"
    assert main(["summary", "--draws", "200", "--format", "markdown", "-o", str(path), "--force"]) == 0
    assert path.read_text().startswith("# blinacalc")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.md"]  # no temp files left


def test_failed_write_leaves_no_partial_file(tmp_path, monkeypatch, capsys):
    from blinacalc import _fs

    def full_disk(_fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(_fs.os, "fsync", full_disk)
    path = tmp_path / "report.svg"
    assert main(["summary", "--draws", "200", "--format", "svg", "-o", str(path)]) == 1
    assert "No space left on device" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_broken_pipe_is_quiet():
    proc = subprocess.Popen(
        [sys.executable, "-m", "blinacalc", "evidence"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.readline()
    proc.stdout.close()
    proc.wait(timeout=60)
    assert b"Traceback" not in proc.stderr.read()


# --- blinacalc evidence ---------------------------------------------------------------------


def test_evidence_json_lists_every_number(capsys):
    from blinacalc.core.evidence import load_evidence

    assert main(["evidence", "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    ev = load_evidence()
    assert data["schema"] == "blinacalc.evidence/1"
    assert data["evidence_version"] == ev.version
    by_paper = {p["id"]: {q["key"]: q for q in p["quantities"]} for p in data["papers"]}
    assert set(by_paper) == {"topp2021", "tower2017"}
    for pid, paper in ev.papers.items():
        assert set(by_paper[pid]) == set(paper.quantities)
    hr = by_paper["topp2021"]["table3.os.univariate.cr_crh"]
    assert (hr["value"], hr["ci"]) == (0.29, [0.21, 0.40])  # Topp 2021 Table 3, OS, CR/CRh: 0.29 (0.21-0.40)
    assert "Table 3" in hr["where"]
    assert by_paper["tower2017"]["os.hazard_ratio"]["ci"] == [0.55, 0.93]  # TOWER: HR 0.71 (0.55-0.93)


def test_evidence_table_shows_place_in_paper_and_errata():
    out = _run("evidence", env={"COLUMNS": "200"})
    assert out.returncode == 0
    assert "table3.os.univariate.cr_crh" in out.stdout and "Table 3" in out.stdout
    assert "10.1002/cncr.33298" in out.stdout and "10.1056/NEJMoa1609783" in out.stdout
    assert "† table1.prior_relapses_1" in out.stdout  # Topp Table 1 prints 56.2% for 146/259
    assert "topp2021.v3+tower2017.v3" in out.stdout


def test_evidence_to_file(tmp_path):
    path = tmp_path / "evidence.md"
    out = _run("evidence", "--format", "markdown", "-o", str(path))
    assert out.returncode == 0 and path.read_text().startswith("# blinacalc")


def test_evidence_keys_are_never_split_at_80_columns():
    """Machine keys are copied into scripts: at 80 columns each stands whole on a line of its own."""
    from blinacalc.core.evidence import load_evidence

    out = _run("evidence", env={"COLUMNS": "80"})
    assert out.returncode == 0
    lines = {line.strip() for line in out.stdout.splitlines()}
    keys = [key for paper in load_evidence().papers.values() for key in paper.quantities]
    assert keys and all(key in lines for key in keys)
    assert max(len(line) for line in out.stdout.splitlines()) <= 80


def test_warnings_are_in_the_first_screen_of_the_80_column_report():
    """A warning qualifies the headline: it stands right after it, within the first 24 lines (issue 14)."""
    out = _run("summary", "--ecog", "2", "--t411", "yes", "--draws", "200", env={"COLUMNS": "80"})
    first_screen = "\n".join(out.stdout.splitlines()[:24])
    assert "Median overall survival" in first_screen and "⚠ t(4;11)" in first_screen
    assert "ECOG 2" in "\n".join(out.stdout.splitlines()[:30])


@pytest.mark.parametrize("fmt", ["html", "svg"])
def test_exports_load_nothing_from_the_network(tmp_path, fmt):
    """Privacy: opening a report makes no request (rich's SVG export loaded fonts from a CDN). DOI links
    are text, never fetched."""
    out = tmp_path / f"r.{fmt}"
    assert main(["summary", "--draws", "200", "--format", fmt, "-o", str(out)]) == 0
    text = out.read_text(encoding="utf-8")
    assert "url(http" not in text and 'src="http' not in text and "@import" not in text


def test_html_is_a_real_document_with_tables_and_an_inline_chart():
    """Issue 14: a <title>, headings, <table>s and an SVG chart drawn from the numbers (band as a filled
    polygon, curves as polylines), print CSS, no scripts; it parses cleanly."""
    from html.parser import HTMLParser

    text = (GOLDEN / "test_golden_files[html].html").read_text(encoding="utf-8")

    class Tags(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.seen: list[str] = []

        def handle_starttag(self, tag, attrs):
            self.seen.append(tag)

    tags = Tags()
    tags.feed(text)
    tags.close()
    for tag in ("title", "h1", "h2", "table", "th", "svg", "polygon", "polyline", "figure"):
        assert tag in tags.seen, tag
    assert "script" not in tags.seen and "@page { size: A4" in text
    assert "<title>blinacalc" in text and "In brief" in text
