"""Hostile input: nothing crashes, runs an action, injects into an export, hangs or leaves debris.

A corpus of hostile strings, files and environments (``HOSTILE`` below and the cases in each test),
property tests of the sanitisers with hypothesis, and kill tests in a subprocess. Every case is one
that failed before the hardening (issue 18), except where its docstring says it guards a neighbour.
"""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import stat
import subprocess
import sys
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from blinacalc import Patient, predict
from blinacalc._text import csv_cell, markdown, printable
from blinacalc.cli import main
from blinacalc.report import content as C
from blinacalc.report import markdown as md
from blinacalc.store import Scenario, Store, check_label, paths

ESC = "\x1b"
HOSTILE = (
    "[@click=app.quit]QUIT[/]",
    "[@click=app.screenshot('p.svg','/tmp/x')]XXXXXXXX[/]",
    '[link="https://example.org"]link[/link]',
    "[/bold] x",
    "[link=https://x]",
    "<img src=x onerror=alert(1)> | pipe",
    "<script>alert(1)</script>",
    "**bold** _em_ `code` # head",
    '=HYPERLINK("http://x","y")',
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "\t=1",
    "\r=1",
    f"{ESC}]0;PWNED\x07{ESC}[31mred",
    "nul\x00byte",
    "bidi \u202eevil",
    "new\nline",
)


def _run(*args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "blinacalc", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        timeout=timeout,
    )


def _old_scenarios_file(labels: dict[str, str]) -> None:
    """A scenarios file as an older blinacalc (or a hand edit) could have left it: labels unchecked."""
    path = paths().scenarios
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = {
        "schema": "blinacalc.scenarios",
        "format": 1,
        "scenarios": {
            name: {"ecog": 1, "salvage_line": 2, "prior_hsct": False, "t411": None, "label": label}
            for name, label in labels.items()
        },
    }
    path.write_text(json.dumps(doc), encoding="utf-8")


def _bypass_label_check(monkeypatch) -> None:
    monkeypatch.setattr("blinacalc.store.check_label", lambda label: label)


# --- sanitisers: properties --------------------------------------------------------------------
@settings(max_examples=300, deadline=None)
@given(st.text())
def test_printable_never_lets_a_control_character_through(text):
    out = printable(text)
    assert not any(ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F or ch in "\u202a\u202b\u202c\u202d\u202e" for ch in out)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_csv_cells_never_start_a_formula_or_carry_escapes(text):
    out = csv_cell(text)
    assert not out.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert ESC not in out and "\x00" not in out and "\x07" not in out


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_markdown_text_cannot_open_a_tag_link_or_cell(text):
    out = markdown(text)
    for i, ch in enumerate(out):
        if ch == "<":
            assert i + 1 == len(out) or out[i + 1] in "0123456789 ="
        if ch in "|[]`*_":
            assert i > 0 and out[i - 1] == "\\", (text, out)


@pytest.mark.parametrize("title", ["[bold]Table 3[/bold] :smile:", "HR [95% CI]", "[/]", ":cross_mark: ok"])
def test_a_rich_table_title_is_text_never_markup(title):
    """Titles, as cells, reach rich as Text: never read as markup or emoji codes (a title in brackets
    lost its words, an unbalanced one raised), and drawn in italics."""
    from rich.console import Console

    from blinacalc.report import richview

    console = Console(width=100, color_system="truecolor")
    segments = list(console.render(richview.table(C.Table(("A" * 40, "B"), (("1", "2"),), title=title))))
    first = segments[: [seg.text for seg in segments].index("\n")]
    assert "".join(seg.text for seg in first).strip() == title
    assert all(seg.style is not None and seg.style.italic for seg in first if seg.text.strip())


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_a_label_is_refused_cleanly_or_stored_as_plain_data(text):
    from blinacalc.core.patient import InputError

    try:
        label = check_label(text)
    except InputError as exc:
        assert exc.field == "label"
        return
    assert label is None or not any(c in label for c in "[]<>{}|`\\")
    assert label is None or label.isprintable()


@pytest.mark.parametrize("label", [h for h in HOSTILE if any(c in h for c in "[]<>`|\x1b\x00\u202e\n")])
def test_hostile_labels_are_refused_at_save(label, capsys):
    assert main(["scenarios", "save", "x1", "--ecog", "1", "--label", label]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--label" in err and ESC not in err and "\x00" not in err


# --- labels from older files are shown as data in every face ----------------------------------------
async def test_markup_labels_in_an_old_file_never_run_in_the_app():
    """The saved-scenarios screen showed labels as Textual markup: a click could quit or write files,
    and '[/bold] x' crashed the app with a MarkupError (exit 0)."""
    from textual.widgets import OptionList

    from blinacalc.tui.app import make_app

    _old_scenarios_file({f"s{i}": label for i, label in enumerate(HOSTILE[:5])})
    app = make_app(draws=200)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.press("o")
        await pilot.pause()
        options = app.screen.query_one(OptionList)
        shown = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert any("[@click=app.quit]QUIT[/]" in text for text in shown)  # literally, as typed
        assert any("[/bold] x" in text for text in shown)
        await pilot.click(OptionList, offset=(10, 1))
        await pilot.pause()
        assert app.is_running


def test_markdown_export_escapes_a_label_from_an_old_file(monkeypatch):
    """`summary --scenario ... --format markdown` echoed raw HTML and broke the table it sat in."""
    label = "<img src=x onerror=alert(1)> | pipe"
    _old_scenarios_file({"m1": label})
    sc = Store().scenario("m1")
    text = md.render(C.build(predict(sc.patient, draws=200), scenario=sc.title))
    assert "<img" not in text and "&lt;img" in text and "\\| pipe" in text


# --- batch and validate -----------------------------------------------------------------------
def test_batch_neutralises_formulas_and_escapes_in_cells(tmp_path):
    """OWASP: cells starting = + - @ tab CR get a leading quote; escape sequences are not copied raw."""
    ids = ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", f"{ESC}]0;PWNED\x07", "plain"]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["id", "ecog", "salvage_line", "prior_hsct", "t411"])
    writer.writerows([i, "1", "2", "no", "no"] for i in ids)
    src = tmp_path / "in.csv"
    src.write_text(buf.getvalue(), encoding="utf-8")
    out = _run("batch", str(src), "--draws", "200")
    assert out.returncode == 0, out.stderr
    assert ESC not in out.stdout and "\x07" not in out.stdout
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    got = [r["id"] for r in rows]
    assert got[:5] == ["'" + i for i in ids[:5]]
    assert got[5] == "\\x1b]0;PWNED\\x07" and got[6] == "plain"


def test_escape_codes_and_nul_in_a_header_never_reach_the_terminal(tmp_path):
    src = tmp_path / "in.csv"
    src.write_bytes(f"id,{ESC}]0;PWNED\x07{ESC}[31m,nul\x00here\np1,1,2\n".encode())
    for command in (["batch", str(src)], ["validate", str(src), "--time-col", "t", "--event-col", "e"]):
        out = _run(*command)
        assert out.returncode == 2
        assert ESC not in out.stderr and "\x00" not in out.stderr and "\x07" not in out.stderr
        assert out.stderr.count("\n") == 1 and "\\x1b" in out.stderr


@pytest.mark.parametrize(
    "times",
    [["0"] * 11, ["5"] * 11, ["5"] * 10 + ["6"]],
    ids=["all-zero", "all-five", "ten-deaths-at-5-one-censored-at-6"],
)
def test_validate_with_no_comparable_pairs_reports_instead_of_crashing(tmp_path, times):
    events = ["1"] * 10 + ["0"]
    rows = "".join(f"p{i},{i % 3},2,no,no,{t},{e}\n" for i, (t, e) in enumerate(zip(times, events, strict=True)))
    src = tmp_path / "c.csv"
    src.write_text("id,ecog,salvage_line,prior_hsct,t411,time,dead\n" + rows, encoding="utf-8")
    out = _run("validate", str(src), "--time-col", "time", "--event-col", "dead", "--draws", "200", "--format", "json")
    assert "Traceback" not in out.stderr
    if out.returncode == 0:
        c = json.loads(out.stdout)["c_index"]
        assert c["estimate"] is None or 0 <= c["estimate"] <= 1
        if c["estimate"] is None:
            assert "no comparable pairs" in c["note"]
    else:  # every row excluded (e.g. time 0): a one-line refusal
        assert out.returncode == 2 and out.stderr.count("\n") == 1


def test_a_non_utf8_byte_is_reported_on_its_own_line(tmp_path):
    """A latin-1 byte on line 20002 was reported 'after line 19795' (the decoder reads ahead)."""
    lines = ["id,ecog,salvage_line,prior_hsct,t411"] + [f"p{i},1,2,no,no" for i in range(20000)]
    data = ("\n".join(lines) + "\n").encode() + b"caf\xe9,1,2,no,no\n"
    src = tmp_path / "in.csv"
    src.write_bytes(data)
    out = _run("batch", str(src), "--draws", "200", "-o", str(tmp_path / "out.csv"))
    assert out.returncode == 2 and "line 20002 is not UTF-8" in out.stderr
    assert not (tmp_path / "out.csv").exists()


# --- settings and scenarios files -------------------------------------------------------------------
@pytest.mark.parametrize("which", ["settings", "scenarios"])
def test_deeply_nested_files_are_moved_aside_not_a_recursion_error(isolated_home, which):
    where = paths()
    path = where.settings if which == "settings" else where.scenarios
    path.parent.mkdir(parents=True, exist_ok=True)
    if which == "settings":
        path.write_text("x = " + "[" * 2000 + "]" * 2000 + "\n")
        out = _run("settings")
    else:
        path.write_text('{"a": ' + "[" * 2000 + "]" * 2000 + "}")
        out = _run("scenarios", "list")
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr and "RecursionError" not in out.stderr
    assert "nested more than 32 levels" in out.stderr and len(out.stderr.splitlines()) <= 3
    assert list(path.parent.glob(f"{path.stem}.corrupt-*"))  # moved aside, bytes kept


@pytest.mark.parametrize("which", ["settings", "scenarios"])
def test_a_fifo_in_place_of_a_file_never_hangs(isolated_home, which):
    where = paths()
    path = where.settings if which == "settings" else where.scenarios
    path.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(path)
    out = _run("settings") if which == "settings" else _run("scenarios", "list")
    assert "Traceback" not in out.stderr
    assert str(path) in out.stderr and "FIFO" in out.stderr
    assert out.returncode == (0 if which == "settings" else 1)
    assert stat.S_ISFIFO(os.stat(path).st_mode)  # left as it was


def test_a_folder_in_place_of_the_lock_is_named(isolated_home):
    where = paths()
    (where.data / "scenarios.lock").mkdir(parents=True)
    out = _run("scenarios", "save", "a1", "--ecog", "1")
    assert out.returncode == 1 and "scenarios.lock" in out.stderr and out.stderr.count("\n") == 1


def test_rename_to_a_bad_name_names_new_name(capsys):
    assert main(["scenarios", "save", "ok1", "--ecog", "1"]) == 0
    capsys.readouterr()
    assert main(["scenarios", "rename", "ok1", "../../etc"]) == 2
    assert "NEW_NAME" in capsys.readouterr().err


# --- environments -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "env",
    [{"PYTHONIOENCODING": "ascii"}, {"LANG": "C", "LC_ALL": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"}],
    ids=["ascii", "C-locale"],
)
def test_a_terminal_that_cannot_encode_unicode_gets_text_not_a_traceback(env):
    out = subprocess.run(
        [sys.executable, "-m", "blinacalc", "summary", "--draws", "200"],
        capture_output=True,
        env={**os.environ, **env},
        timeout=60,
    )
    assert out.returncode == 0 and b"Traceback" not in out.stderr
    assert b"Overall survival" in out.stdout


@pytest.mark.parametrize("flag", ["--ecog", "--salvage-line", "--draws"])
@pytest.mark.parametrize("value", ["1_0", "\u0661", "\uff11", " 1e0"])
def test_numbers_are_plain_ascii_digits(flag, value):
    """int() read '1_0' as 10 and Arabic-Indic or full-width digits as numbers."""
    out = _run("summary", flag, value, "--format", "json")
    assert out.returncode == 2 and flag in out.stderr


# --- output files ---------------------------------------------------------------------------------
@pytest.mark.parametrize("target", ["/dev/full", "/dev/null", "."])
def test_output_never_replaces_a_non_regular_file(target, tmp_path):
    before = os.stat(target)
    for extra in ([], ["--force"]):
        out = _run("summary", "--draws", "200", "-o", target, *extra)
        assert out.returncode == 2 and "not a regular file" in out.stderr and "--force" not in out.stderr
    after = os.stat(target)
    assert stat.S_IFMT(after.st_mode) == stat.S_IFMT(before.st_mode) and after.st_ino == before.st_ino


def test_a_long_valid_file_name_is_written(tmp_path):
    name = "r" * 240 + ".md"  # 243 characters: the old temporary name pushed it past the 255 limit
    out = _run("summary", "--draws", "200", "--format", "markdown", "-o", str(tmp_path / name))
    assert out.returncode == 0, out.stderr
    assert (tmp_path / name).read_text().startswith("# blinacalc")


def test_everything_blinacalc_creates_is_private(tmp_path):
    home = tmp_path / "fresh-home"
    report = tmp_path / "r.md"
    out = _run(
        "summary", "--draws", "200", "--format", "markdown", "-o", str(report), env={"BLINACALC_HOME": str(home)}
    )
    assert out.returncode == 0, out.stderr
    assert stat.S_IMODE(os.stat(home).st_mode) == 0o700
    for folder in (p for p in home.rglob("*") if p.is_dir()):
        assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700, folder
    for file in (p for p in home.rglob("*") if p.is_file()):
        assert stat.S_IMODE(os.stat(file).st_mode) == 0o600, file
    assert stat.S_IMODE(os.stat(report).st_mode) == 0o600


def test_io_errors_name_what_could_not_be_written(tmp_path):
    with open("/dev/full", "w") as full:
        out = subprocess.run(
            [sys.executable, "-m", "blinacalc", "summary", "--draws", "200", "--format", "json"],
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
        )
    assert out.returncode == 1 and "standard output" in out.stderr and "Traceback" not in out.stderr


def test_kill_during_batch_leaves_no_debris(tmp_path):
    """kill -9 during `batch -o out.csv` left a hidden temporary file of up to 117 MB behind (6 of 6 runs)."""
    rows = "".join(f"p{i},{i % 3},{1 + i % 2},no,no\n" for i in range(300_000))
    src = tmp_path / "in.csv"
    src.write_text("id,ecog,salvage_line,prior_hsct,t411\n" + rows, encoding="utf-8")
    work = tmp_path / "out"
    work.mkdir()
    for delay in (0.3, 1.0, 2.0):
        proc = subprocess.Popen(
            [sys.executable, "-m", "blinacalc", "batch", str(src), "--draws", "200", "-o", str(work / "o.csv")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        leftovers = [p.name for p in work.iterdir() if p.name != "o.csv"]
        if leftovers:  # only the fallback path (no O_TMPFILE naming here) may leave one: the next run removes it
            assert all(n.startswith(".blinacalc-") for n in leftovers)
            _run("batch", str(tmp_path / "tiny.csv"), "-o", str(work / "t.csv"))  # any write in the folder
            assert [p.name for p in work.iterdir() if p.name not in ("o.csv", "t.csv")] == []
            (work / "t.csv").unlink(missing_ok=True)
        assert not (work / "o.csv").exists() or (work / "o.csv").stat().st_size > 0  # never a partial file


@pytest.fixture(autouse=True)
def _tiny_cohort(tmp_path):
    (tmp_path / "tiny.csv").write_text("id,ecog,salvage_line,prior_hsct,t411\np1,1,2,no,no\n", encoding="utf-8")


def test_saved_scenarios_with_hostile_labels_round_trip_in_json(monkeypatch, capsys):
    """A markup label from an old file survives `scenarios show` as data: byte for byte in JSON, literally
    in text (never as markup)."""
    _old_scenarios_file({"j1": HOSTILE[0]})
    assert main(["scenarios", "show", "j1", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["label"] == HOSTILE[0]
    assert main(["scenarios", "show", "j1"]) == 0
    assert HOSTILE[0] in capsys.readouterr().out


def test_patient_from_a_hostile_scenario_still_predicts():
    _old_scenarios_file({"p1": HOSTILE[0]})
    sc = Store().scenario("p1")
    assert isinstance(sc, Scenario) and sc.patient == Patient(ecog=1, salvage_line=2, prior_hsct=False)


def test_a_reader_that_goes_away_gets_no_error_message(tmp_path):
    """`blinacalc batch big.csv | head -1` printed "error: cannot read or write: Broken pipe": the handler
    sat behind the OSError one. The output here (about 8 MB) is far larger than a pipe buffer."""
    rows = "".join(f"p{i},1,2,no,no\n" for i in range(50_000))
    src = tmp_path / "big.csv"
    src.write_text("id,ecog,salvage_line,prior_hsct,t411\n" + rows, encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "blinacalc", "batch", str(src), "--draws", "200"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline().startswith(b"id,ecog")
    proc.stdout.close()
    err = proc.stderr.read().decode()
    proc.wait(timeout=60)
    assert "Broken pipe" not in err and "error" not in err and "Traceback" not in err


# --- found by review (helper-2) ----------------------------------------------------------------------
def test_a_carriage_return_cannot_start_a_new_spreadsheet_row(tmp_path):
    """Python's csv writer (before 3.13) leaves a lone CR unquoted: a spreadsheet starts a new row there,
    and '=1+2' lands at the start of a cell. Read the whole output back: one row per patient."""
    src = tmp_path / "r.csv"
    src.write_text('id,ecog,salvage_line,prior_hsct,t411\n"x\r=1+2",1,,,\n', encoding="utf-8", newline="")
    out = tmp_path / "o.csv"
    assert _run("batch", str(src), "--draws", "200", "-o", str(out)).returncode == 0
    raw = out.read_bytes()
    rows = [r for r in csv.reader(io.StringIO(raw.decode().replace("\n", "\r\n")), strict=True)]
    assert len(rows) == 2 and not any(cell.startswith("=") for row in rows for cell in row)
    assert b"\r" not in raw


@pytest.mark.parametrize("kind", ["fifo", "zero"])
def test_the_draw_cache_never_blocks_or_exhausts_memory(tmp_path, kind):
    from blinacalc.core.drawcache import DrawCache

    cache = DrawCache(tmp_path)
    path = cache.file(200, 0)
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to("/dev/zero")
    assert cache.load(path, 200) is None  # returns at once: not a regular file of ours


def test_a_device_or_endless_line_is_not_a_cohort_file(tmp_path):
    out = _run("batch", "/dev/zero", timeout=30)
    assert out.returncode == 2 and "device" in out.stderr and "Traceback" not in out.stderr
    long = tmp_path / "long.csv"
    long.write_text("id,ecog,salvage_line,prior_hsct,t411\n" + "a" * 1_200_000 + "\n", encoding="utf-8")
    out = _run("batch", str(long), "-o", str(tmp_path / "o.csv"), timeout=60)
    assert out.returncode == 2 and "line 2 is longer than" in out.stderr and not (tmp_path / "o.csv").exists()


def test_writing_through_a_symlink_keeps_the_link(isolated_home, tmp_path):
    """A settings file kept elsewhere (dotfiles) and linked in stays linked: its target is updated."""
    dotfile = tmp_path / "dotfiles" / "settings.toml"
    dotfile.parent.mkdir()
    dotfile.write_text("format = 1\ndraws = 500\n")
    link = paths().settings
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(dotfile)
    assert _run("settings", "set", "draws", "700").returncode == 0
    assert link.is_symlink() and "draws = 700" in dotfile.read_text()


@pytest.mark.parametrize("value", ["\u00b2", "\u0661\u0660\u0660\u0660", "1_000"])
def test_settings_numbers_are_plain_ascii_digits(value):
    out = _run("settings", "set", "draws", value)
    assert out.returncode == 2 and "Traceback" not in out.stderr and out.stderr.count("\n") == 1


def test_a_save_that_could_not_be_read_back_is_refused(monkeypatch, capsys):
    """Saving past the size the reader accepts would have moved every scenario aside on the next read."""
    monkeypatch.setattr("blinacalc.store.MAX_FILE_BYTES", 320)
    assert main(["scenarios", "save", "a1", "--ecog", "1", "--label", "first of several"]) == 0
    assert main(["scenarios", "save", "a2", "--ecog", "0", "--label", "second one, longer than the rest"]) == 1
    assert "would exceed" in capsys.readouterr().err
    assert list(Store().scenarios()) == ["a1"]  # nothing lost


def test_output_dash_is_standard_output(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = _run("summary", "--draws", "200", "--format", "json", "-o", "-")
    assert out.returncode == 0 and json.loads(out.stdout)["schema"] == "blinacalc.prediction/2"
    assert not (tmp_path / "-").exists()


def test_html_export_escapes_a_label_from_an_old_file():
    from blinacalc.report import htmlview

    _old_scenarios_file({"h1": "<img src=x onerror=alert(1)> & <script>x</script>"})
    sc = Store().scenario("h1")
    text = htmlview.render(C.build(predict(sc.patient, draws=200), scenario=sc.title))
    assert "<img" not in text and "<script" not in text and "&lt;img" in text
