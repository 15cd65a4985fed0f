from __future__ import annotations

import subprocess
import sys

import pytest

from blinacalc import __version__
from blinacalc.cli import main


def test_version(capsys):
    try:
        main(["--version"])
    except SystemExit as exc:
        assert exc.code == 0
    assert capsys.readouterr().out.strip() == f"blinacalc {__version__}"


def test_python_dash_m():
    out = subprocess.run([sys.executable, "-m", "blinacalc", "--version"], capture_output=True, text=True)
    assert out.returncode == 0
    assert out.stdout.strip() == f"blinacalc {__version__}"


def test_unknown_command_is_a_usage_error():
    out = subprocess.run([sys.executable, "-m", "blinacalc", "frobnicate"], capture_output=True, text=True)
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    assert "invalid choice" in out.stderr


def test_calibrate_check_passes_on_the_shipped_file(capsys):
    assert main(["calibrate", "--check"]) == 0
    assert "matches a fresh fit" in capsys.readouterr().err


def test_calibrate_to_missing_directory_is_an_io_error(tmp_path, capsys):
    assert main(["calibrate", "-o", str(tmp_path / "missing" / "fit.json")]) == 1
    err = capsys.readouterr().err
    assert "cannot write" in err and "Traceback" not in err


def test_calibrate_writes_a_file_that_loads(tmp_path):
    import json

    from blinacalc.core.baseline import parse_calibration
    from blinacalc.core.evidence import load_evidence

    path = tmp_path / "fit.json"
    assert main(["calibrate", "-o", str(path)]) == 0
    cal = parse_calibration(json.loads(path.read_text()), load_evidence().version)
    assert set(cal.curves) == {"os", "rfs", "hsct_ccr"}


def test_no_command_without_a_terminal_says_what_to_do():
    out = subprocess.run([sys.executable, "-m", "blinacalc"], capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert out.returncode == 2
    assert "needs a terminal" in out.stderr and "blinacalc summary" in out.stderr
    assert "Traceback" not in out.stderr


def test_tui_flags_are_validated_before_anything_opens():
    out = subprocess.run([sys.executable, "-m", "blinacalc", "tui", "--ecog", "4"], capture_output=True, text=True)
    assert out.returncode == 2
    assert "--ecog" in out.stderr and "ECOG performance status <= 2" in out.stderr


def _commands(parser, prefix=()):
    """Every command and sub-command of ``parser``, as argument lists."""
    import argparse

    yield list(prefix)
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _commands(sub, (*prefix, name))


def test_every_help_page_prints(capsys):
    """--help works for every command (argparse %-formats help texts: a bare '%', as in the marrow blasts
    flag's unit, once made `summary --help` fail with a traceback)."""
    from blinacalc.cli.parser import build
    from blinacalc.core import factors as F

    commands = list(_commands(build()))
    assert ["summary"] in commands and ["scenarios", "save"] in commands
    for argv in commands:
        with pytest.raises(SystemExit) as exc:
            main([*argv, "--help"])
        assert exc.value.code == 0, argv
        out = capsys.readouterr().out
        assert out.startswith("usage: blinacalc"), argv
        if argv in (["summary"], ["tui"]):
            assert all(f.flag in out for f in F.factors())
            assert "marrow blasts" in out.lower() and "%" in out


def test_a_command_parses_the_same_with_only_its_own_flags_built():
    """build(only=...) leaves the other commands' flags out (speed); the command list is complete, and a
    command's arguments parse the same either way."""
    from blinacalc.cli.parser import COMMANDS, build, command_of

    assert {c[0] for c in _commands(build()) if c} == set(COMMANDS)
    argv = ["summary", "--ecog", "1", "--marrow-blasts", "60", "--format", "json", "--draws", "300"]
    assert command_of(argv) == "summary" and command_of(["--paths"]) is None
    assert vars(build(only="summary").parse_args(argv)) == vars(build().parse_args(argv))
    argv = ["scenarios", "rename", "a", "b", "--force"]
    assert vars(build(only="scenarios").parse_args(argv)) == vars(build().parse_args(argv))


def test_a_command_started_with_closed_output_streams_still_succeeds(tmp_path):
    """`blinacalc ... >&-` (stdout closed) or `2>&-`: the work is done and the exit code is the command's
    (the final flush before leaving skips a stream that is not there); messages never go into stdout, and
    output for a closed stdout is a one-line error."""
    import os
    import shlex

    env = {**os.environ, "BLINACALC_HOME": str(tmp_path / "home")}
    py = shlex.quote(sys.executable)
    for n, redirect in enumerate((">&-", "2>&-")):
        target = tmp_path / f"r{n}.json"
        cmd = f"{py} -m blinacalc summary --draws 200 --format json -o {shlex.quote(str(target))} {redirect}"
        out = subprocess.run(cmd, shell=True, env=env, capture_output=redirect == ">&-")
        assert out.returncode == 0, out
        assert target.read_text().startswith("{")
    bad = subprocess.run(f"{py} -m blinacalc summary --ecog 7 2>&-", shell=True, env=env, capture_output=True)
    assert bad.returncode == 2 and bad.stdout == b""  # the message has nowhere to go; never into stdout
    cohort = tmp_path / "in.csv"
    cohort.write_text("id,ecog,salvage_line,prior_hsct,t411\n1,1,2,no,no\n2,4,1,no,no\n")
    out = subprocess.run(f"{py} -m blinacalc batch {cohort} --draws 200 2>&-", shell=True, env=env, capture_output=True)
    assert out.returncode == 3  # a row refused: reported in the error column, and on stderr when there is one
    import csv
    import io

    rows = list(csv.reader(io.StringIO(out.stdout.decode())))
    assert len(rows) == 3 and len({len(r) for r in rows}) == 1 and rows[0][0] == "id"  # CSV only, no message
    lost = subprocess.run(f"{py} -m blinacalc summary --draws 200 >&-", shell=True, env=env, capture_output=True)
    assert lost.returncode == 1  # the output had nowhere to go: an error, not a silent success
    assert (
        lost.stderr.decode().strip() == "blinacalc summary: error: cannot read or write standard output: it is closed"
    )
