"""Command-line front door: parses arguments, calls the core, hands results on. No maths here."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from blinacalc._version import __version__
from blinacalc.store import write_atomic

if TYPE_CHECKING:
    from blinacalc.core.patient import InputError, Patient
    from blinacalc.report.content import Report

EXIT_OK, EXIT_IO, EXIT_USAGE = 0, 1, 2
FORMATS = ("rich", "json", "markdown", "html", "svg")
TERMINAL_MAX_WIDTH = 110
# The flag that sets each model input, for error messages.
FLAGS = {
    "ecog": "--ecog",
    "salvage_line": "--salvage-line",
    "prior_hsct": "--prior-hsct",
    "t411": "--t411",
    "draws": "--draws",
    "seed": "--seed",
}
_YES_NO = {"yes": True, "no": False, "unknown": None}


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one line on stderr with exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="blinacalc",
        description="Illustrative survival estimates after blinatumomab for relapsed/refractory "
        "Ph-negative B-ALL, from published trials. Not for clinical decisions.",
    )
    parser.add_argument("--version", action="version", version=f"blinacalc {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)
    cal = sub.add_parser(
        "calibrate",
        help="re-fit the baseline curves to the published landmarks (needs lifelines)",
        description="Fit the mixture-cure curves to the published landmarks and write the fit file.",
    )
    cal.add_argument("-o", "--output", help="where to write the fit (default: the packaged file)")
    cal.add_argument("--check", action="store_true", help="re-fit and compare with the shipped file; write nothing")

    summ = sub.add_parser(
        "summary",
        help="print the report for one patient (rich, json, markdown, html or svg)",
        description="The report for one patient. An omitted factor is unknown: the model averages over "
        "the trial's mix. Illustrative estimates, not for clinical decisions.",
    )
    add_patient_flags(summ)
    _add_run_flags(summ)
    _add_output_flags(summ)

    tui = sub.add_parser(
        "tui",
        help="open the interactive calculator, optionally prefilled (also: blinacalc with no command)",
        description="The interactive calculator, prefilled with any factors given.",
    )
    add_patient_flags(tui)
    _add_run_flags(tui)

    evid = sub.add_parser(
        "evidence",
        help="list every published number the model uses, with where it stands in its paper",
        description="Every published number blinacalc uses, grouped by paper, with its place in the paper.",
    )
    _add_output_flags(evid)
    return parser


def add_patient_flags(parser: argparse.ArgumentParser) -> None:
    """The four baseline factors; values are checked by :func:`patient_from_args`."""
    group = parser.add_argument_group("patient (each factor defaults to unknown)")
    group.add_argument("--ecog", metavar="{0,1,2}", default="unknown", help="ECOG performance status")
    group.add_argument(
        "--salvage-line", metavar="N", default="unknown", help="salvage line of blinatumomab: 1 = first salvage"
    )
    group.add_argument("--prior-hsct", metavar="{yes,no,unknown}", default="unknown", help="prior allogeneic HSCT")
    group.add_argument("--t411", metavar="{yes,no,unknown}", default="unknown", help="t(4;11) translocation")


def _add_run_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--draws", default="2000", metavar="N", help="Monte Carlo draws, 100 to 100,000 (default 2000)")
    parser.add_argument("--seed", default="0", metavar="N", help="random seed, an integer >= 0 (default 0)")


def _add_output_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=FORMATS, default="rich", help="output format (default rich)")
    parser.add_argument("-o", "--output", metavar="FILE", help="write to FILE (atomically) instead of stdout")
    parser.add_argument("--force", action="store_true", help="with -o, replace FILE if it exists")


def _int_or_text(text: str) -> int | str:
    try:
        return int(text.strip())
    except ValueError:
        return text


def patient_from_args(args: argparse.Namespace) -> Patient:
    """Build the patient from the factor flags; raises InputError naming the field."""
    from blinacalc.core.patient import InputError, Patient

    def yes_no(field: str, text: str) -> bool | None:
        try:
            return _YES_NO[text.strip().lower()]
        except KeyError:
            raise InputError(field, f"expected yes, no or unknown, got {text!r}") from None

    def level(field: str, text: str, allowed: str) -> int | None:
        if text.strip().lower() == "unknown":
            return None
        value = _int_or_text(text)
        if isinstance(value, str):
            raise InputError(field, f"expected {allowed}, got {text!r}")
        return value

    return Patient(
        ecog=level("ecog", args.ecog, "0, 1, 2 or unknown"),
        salvage_line=level("salvage_line", args.salvage_line, "an integer >= 1 (1 = first salvage) or unknown"),
        prior_hsct=yes_no("prior_hsct", args.prior_hsct),
        t411=yes_no("t411", args.t411),
    )


def refuse(command: str, exc: InputError) -> int:
    """One line on stderr naming the flag and what is allowed; exit code 2."""
    print(f"blinacalc {command}: error: {FLAGS.get(exc.field, exc.field)}: {exc.message}", file=sys.stderr)
    return EXIT_USAGE


def _emit(command: str, args: argparse.Namespace, report: Report | None, json_data: object) -> int:
    """Write the chosen format to stdout, or atomically to ``-o FILE``."""
    import json

    if args.format == "json":
        text = json.dumps(json_data, indent=2, allow_nan=False) + "\n"
    elif args.output is None and args.format == "rich":
        _print_rich(report)
        return EXIT_OK
    else:
        from blinacalc.report.export import render

        assert report is not None
        text = render(report, args.format)
    if args.output is None:
        sys.stdout.write(text)
        return EXIT_OK
    path = Path(args.output)
    try:
        write_atomic(path, text, overwrite=args.force)
    except FileExistsError:
        print(
            f"blinacalc {command}: error: -o/--output: {path} exists; add --force to replace it",
            file=sys.stderr,
        )
        return EXIT_USAGE
    except OSError as exc:
        print(f"blinacalc {command}: cannot write {path}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_IO
    print(f"wrote {path}", file=sys.stderr)
    return EXIT_OK


def _print_rich(report: Report | None) -> None:
    from rich.console import Console

    from blinacalc.report import richview

    assert report is not None
    console = Console()
    console.width = min(console.width, TERMINAL_MAX_WIDTH)
    console.print(richview.report(report))


def _use_cache() -> None:
    from blinacalc.core.model import use_disk_cache
    from blinacalc.store import paths

    use_disk_cache(paths().cache)


def _summary(args: argparse.Namespace) -> int:
    from blinacalc.core.model import predict
    from blinacalc.core.patient import InputError

    _use_cache()
    try:
        patient = patient_from_args(args)
        pred = predict(patient, draws=_int_or_text(args.draws), seed=_int_or_text(args.seed))  # type: ignore[arg-type]
    except InputError as exc:
        return refuse("summary", exc)
    report = None
    if args.format != "json":
        from blinacalc.report import content

        report = content.build(pred)
    return _emit("summary", args, report, pred.to_dict() if args.format == "json" else None)


def _tui(args: argparse.Namespace | None) -> int:
    from blinacalc.core.model import DEFAULT_DRAWS, check_run
    from blinacalc.core.patient import InputError, Patient

    try:
        patient = Patient() if args is None else patient_from_args(args)
        draws = DEFAULT_DRAWS if args is None else _int_or_text(args.draws)
        seed = 0 if args is None else _int_or_text(args.seed)
        check_run(draws, seed)
    except InputError as exc:
        return refuse("tui", exc)
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        print(
            "blinacalc: the interactive calculator needs a terminal; for a report use `blinacalc summary`",
            file=sys.stderr,
        )
        return EXIT_USAGE
    _use_cache()
    from blinacalc.tui.app import make_app

    make_app(patient, draws=draws, seed=seed).run()  # type: ignore[arg-type]
    return EXIT_OK


def _evidence(args: argparse.Namespace) -> int:
    from blinacalc.core.evidence import load_evidence
    from blinacalc.report import evidenceview

    ev = load_evidence()
    if args.format == "json":
        return _emit("evidence", args, None, evidenceview.to_dict(ev))
    return _emit("evidence", args, evidenceview.report(ev), None)


def _calibrate(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from blinacalc import calibrate as cal

    record = cal.calibrate()
    for name, curve in record["curves"].items():
        fitted = ", ".join(
            f"{lm['month']:g} mo {100 * lm['published']:.1f}% -> {100 * lm['fitted']:.1f}%" for lm in curve["landmarks"]
        )
        print(f"{name}: cure fraction {curve['cure_fraction']:.3f}; {fitted}", file=sys.stderr)
    if args.check:
        shipped = json.loads(cal.default_path().read_text(encoding="utf-8"))
        problems = cal.compare(shipped, record)
        for problem in problems:
            print(f"blinacalc: calibrate --check: {problem}", file=sys.stderr)
        if problems:
            return EXIT_IO
        print("the shipped calibration matches a fresh fit", file=sys.stderr)
        return EXIT_OK
    path = Path(args.output) if args.output else cal.default_path()
    try:
        write_atomic(path, cal.render(record))
    except OSError as exc:
        print(f"blinacalc: cannot write {path}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_IO
    print(f"wrote {path}", file=sys.stderr)
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    commands = {"calibrate": _calibrate, "summary": _summary, "evidence": _evidence, "tui": _tui}
    if args.command is None:
        return _tui(None)
    try:
        return commands[args.command](args)
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): stop quietly, and keep Python from complaining at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_IO


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
