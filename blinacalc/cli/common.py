"""What every command shares: exit codes, flags, the text->Patient step, output and messages.

Results go to stdout, messages to stderr; every message passes through :func:`say`, which shows control
characters as escapes (text from users and files is data).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from blinacalc.core import factors as F
from blinacalc.core.defaults import DEFAULT_DRAWS, DRAWS_RANGE, HORIZON
from blinacalc.core.patient import InputError
from blinacalc.report import REPORT_FORMATS
from blinacalc.store import NotRegularFileError, Scenario, Settings, Store, write_atomic

if TYPE_CHECKING:
    from blinacalc.core.patient import Patient
    from blinacalc.report.content import Report


class ExitCode(IntEnum):
    """The documented exit codes (docs/cli.md)."""

    OK = 0
    IO = 1  # a file could not be read or written
    USAGE = 2  # a usage error or a refused input: one line naming the flag and the allowed values
    ROWS_REFUSED = 3  # batch: the output was written but some rows were refused
    INTERRUPTED = 130  # Ctrl-C (128 + SIGINT, as shells report it): nothing half-written is kept


FORMATS = (REPORT_FORMATS[0], "json", *REPORT_FORMATS[1:])
TERMINAL_MAX_WIDTH = 110
# The flag that sets each input that is not a factor (factors: the factor table's flags), for messages.
FLAGS = {
    "draws": "--draws",
    "seed": "--seed",
    "name": "NAME",
    "bootstrap": "--bootstrap",
    "label": "--label",
    "alive_at_months": "--alive-at",
    "new_name": "NEW_NAME",
}


class Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one line on stderr with exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]  # argparse declares NoReturn
        self.exit(ExitCode.USAGE, f"{self.prog}: error: {message}\n")


def months_list(months: tuple[int, ...]) -> str:
    return ",".join(map(str, months))


def add_patient_flags(parser: argparse.ArgumentParser, *, scenario: bool = False) -> None:
    """A flag per factor of the factor table (and ``--scenario``, ``--alive-at``); values are checked by
    :func:`patient_from_args`."""
    group = parser.add_argument_group("patient (each factor defaults to unknown)")
    if scenario:
        group.add_argument(
            "--scenario", metavar="NAME", help="start from a saved scenario; factor flags given as well override it"
        )
    for f in F.factors():  # (argparse %-formats help texts)
        group.add_argument(f.flag, dest=f.name, metavar=f.metavar, help=f.help.replace("%", "%%"))
    if scenario:
        group.add_argument(
            "--alive-at",
            metavar="MONTHS",
            help="show survival given alive this many months after the first dose (0 to less than 60)",
        )


def add_run_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--draws", metavar="N", help=f"Monte Carlo draws, {DRAWS_RANGE} (default: the draws setting, {DEFAULT_DRAWS})"
    )
    parser.add_argument("--seed", default="0", metavar="N", help="random seed, an integer >= 0 (default 0)")


def add_output_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=FORMATS, default="rich", help="output format (default rich)")
    parser.add_argument("-o", "--output", metavar="FILE", help="write to FILE (atomically) instead of stdout")
    parser.add_argument("--force", action="store_true", help="with -o, replace FILE if it exists")


def int_or_text(text: str) -> int | str:
    """An integer in plain ASCII digits (:func:`blinacalc._text.parse_int`), else the text itself, to be
    refused by its checker with the value named."""
    from blinacalc._text import parse_int

    value = parse_int(text)
    return text if value is None else value


def patient_from_args(args: argparse.Namespace, base: Patient | None = None) -> Patient:
    """Build the patient from the factor flags given, on top of ``base`` (a saved scenario) or unknown, with
    the same vocabulary as cohort files (:func:`blinacalc.core.factors.parse_text`); raises InputError
    naming the field."""
    from blinacalc.core.patient import InputError, Patient

    values = (base or Patient()).to_dict()
    for f in F.factors():
        text = getattr(args, f.name, None)
        if text is not None:
            try:
                values[f.name] = F.parse_text(f, text)
            except ValueError as exc:
                raise InputError(f.name, str(exc)) from None
    return Patient(**values)


def refuse(command: str, exc: InputError) -> int:
    """One line on stderr naming the flag (for ``settings``, the key) and what is allowed; exit code 2."""
    flags = {**{f.name: f.flag for f in F.factors()}, **FLAGS}
    return fail(
        command, exc.field if command == "settings" else flags.get(exc.field, exc.field), exc.message, ExitCode.USAGE
    )


def emit(command: str, args: argparse.Namespace, report: Report | None, json_data: object) -> int:
    """Write the chosen format to stdout, or atomically to ``-o FILE``."""
    if args.format == "json":
        from blinacalc._json import dumps

        text = dumps(json_data) + "\n"
    elif args.output in (None, "-") and args.format == "rich":
        print_rich(report)
        return ExitCode.OK
    else:
        from blinacalc.report.export import render

        assert report is not None
        text = render(report, args.format)
    return write_text(command, args, text)


def write_text(command: str, args: argparse.Namespace, text: str) -> int:
    """``text`` to stdout, or atomically to ``-o FILE`` (never replacing it without ``--force``)."""
    if args.output in (None, "-"):  # "-": standard output, as usual on the command line
        sys.stdout.write(text)
        return ExitCode.OK
    path = Path(args.output)
    try:
        write_atomic(path, text, overwrite=args.force)
    except NotRegularFileError as exc:
        return fail(command, "-o/--output", str(exc.strerror), ExitCode.USAGE)
    except FileExistsError:
        say(
            f"blinacalc {command}: error: -o/--output: {path} exists; add --force to replace it",
            file=sys.stderr,
        )
        return ExitCode.USAGE
    except OSError as exc:
        say(f"blinacalc {command}: cannot write {path}: {exc.strerror or exc}", file=sys.stderr)
        return ExitCode.IO
    say(f"wrote {path}", file=sys.stderr)
    return ExitCode.OK


def print_rich(report: Report | None) -> None:
    from rich.console import Console

    from blinacalc.report import richview

    assert report is not None
    console = Console()
    console.width = min(console.width, TERMINAL_MAX_WIDTH)
    console.print(richview.report(report))


def warn(message: str) -> None:
    say(f"blinacalc: warning: {message}", file=sys.stderr)


def open_store(warn: Callable[[str], None] = warn) -> Store:
    return Store(warn=warn)


def use_cache(store: Store) -> None:
    from blinacalc.core.model import use_disk_cache

    use_disk_cache(store.paths.cache)


def run_inputs(args: argparse.Namespace, store: Store) -> tuple[Patient, Scenario | None, Settings, int, int]:
    """Patient (a saved scenario overlaid with any factor flags), settings, draws and seed, checked."""
    scenario = store.scenario(args.scenario) if args.scenario else None
    patient = patient_from_args(args, scenario.patient if scenario else None)
    settings = store.settings()
    return patient, scenario, settings, *draws_seed(args, settings)


def alive_at_from_args(args: argparse.Namespace) -> float | None:
    """``--alive-at`` as months (plain decimal digits only), checked; ``None`` when not given."""

    from blinacalc.core.patient import InputError, check_alive_at

    text = getattr(args, "alive_at", None)
    if text is None:
        return None
    from blinacalc._text import parse_decimal

    try:
        value = parse_decimal(text)
        if value is None:
            raise ValueError(text)
        return check_alive_at(value)
    except (ValueError, InputError):
        raise InputError(
            "alive_at_months", f"expected months since the first dose, from 0 to less than {HORIZON:g}, got {text!r}"
        ) from None


def draws_seed(args: argparse.Namespace, settings: Settings) -> tuple[int, int]:
    """``--draws`` (default: the draws setting) and ``--seed``, checked."""
    from blinacalc.core.patient import check_run

    draws = settings.draws if args.draws is None else int_or_text(args.draws)
    seed = int_or_text(args.seed)
    check_run(draws, seed)
    return draws, seed  # type: ignore[return-value]


def factors_line(patient: Patient) -> str:
    from blinacalc.report import labels as L

    return L.factors_line(patient.to_dict())


_STDOUT = object()  # say()'s default target, told apart from a stream that is None


def say(*parts: object, file: TextIO | object | None = _STDOUT) -> None:
    """print(), with user and file text made safe for a terminal (no control sequences). A message for a
    stream the command was started without (``2>&-`` makes ``sys.stderr`` None) is dropped: print() would
    write it to stdout instead, into the command's output."""
    from blinacalc._text import printable

    target = sys.stdout if file is _STDOUT else file
    if target is None:
        return
    print(printable(" ".join(str(p) for p in parts)), file=target)  # type: ignore[arg-type]


def fail(command: str, flag: str | None, message: str, code: ExitCode) -> int:
    where = f"{flag}: " if flag else ""
    say(f"blinacalc {command}: error: {where}{message}", file=sys.stderr)
    return code
