"""Command-line front door: parses arguments, calls the core, hands results on. No maths here."""

from __future__ import annotations

import argparse
import io
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from blinacalc._fs import NotRegularFileError
from blinacalc._version import __version__
from blinacalc.cohort.read import CohortFileError
from blinacalc.core import factors as F
from blinacalc.core.patient import InputError
from blinacalc.store import (
    HOME_ENV,
    NAME_RULE,
    PRIVATE_FILE,
    SETTING_KEYS,
    Scenario,
    ScenarioExistsError,
    Settings,
    Store,
    StoreError,
    UnknownScenarioError,
    write_atomic,
)

if TYPE_CHECKING:
    from blinacalc.core.patient import Patient
    from blinacalc.report.content import Report

EXIT_OK, EXIT_IO, EXIT_USAGE, EXIT_ROWS_REFUSED = 0, 1, 2, 3
FORMATS = ("rich", "json", "markdown", "html", "svg")
TERMINAL_MAX_WIDTH = 110
# The flag that sets each model input, for error messages.
FLAGS = {
    "draws": "--draws",
    "seed": "--seed",
    "name": "NAME",
    "bootstrap": "--bootstrap",
    "label": "--label",
    "alive_at_months": "--alive-at",
    "new_name": "NEW_NAME",
}
NAME_HELP = f"{NAME_RULE}; no names, dates or record numbers"


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
    parser.add_argument(
        "--paths", action="store_true", help=f"print where settings, scenarios and the cache are kept (${HOME_ENV})"
    )
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
    add_patient_flags(summ, scenario=True)
    _add_run_flags(summ)
    _add_output_flags(summ)

    tui = sub.add_parser(
        "tui",
        help="open the interactive calculator, optionally prefilled (also: blinacalc with no command)",
        description="The interactive calculator, prefilled with any factors given.",
    )
    add_patient_flags(tui, scenario=True)
    _add_run_flags(tui)

    scen = sub.add_parser(
        "scenarios",
        help="save, list, show, rename and delete named patients (no identifiers)",
        description="Named patients for what-if comparisons: the four factors and an optional short label. "
        "Do not enter names, dates of birth or record numbers.",
    )
    ssub = scen.add_subparsers(dest="action", required=True, parser_class=_Parser)
    save = ssub.add_parser("save", help="save the factors under NAME", description="Save the factors under NAME.")
    save.add_argument("name", metavar="NAME", help=NAME_HELP)
    add_patient_flags(save)
    save.add_argument("--label", metavar="TEXT", help="a short description, e.g. 'if ECOG improves'")
    save.add_argument("--force", action="store_true", help="replace a scenario saved under NAME")
    lst = ssub.add_parser("list", help="list the saved scenarios")
    lst.add_argument("--format", choices=("text", "json"), default="text", help="output format (default text)")
    show = ssub.add_parser("show", help="show one saved scenario")
    show.add_argument("name", metavar="NAME")
    show.add_argument("--format", choices=("text", "json"), default="text", help="output format (default text)")
    ren = ssub.add_parser("rename", help="rename a saved scenario")
    ren.add_argument("name", metavar="NAME")
    ren.add_argument("new_name", metavar="NEW_NAME", help=NAME_HELP)
    ren.add_argument("--force", action="store_true", help="replace a scenario already saved under NEW_NAME")
    dele = ssub.add_parser("delete", help="delete a saved scenario")
    dele.add_argument("name", metavar="NAME")

    batch = sub.add_parser(
        "batch",
        help=f"the calculator for every row of a CSV file (id, {', '.join(f.name for f in F.factors())})",
        description="One output row per input row, in order: the input columns, then OS median and OS at "
        "6/12/24/36/60 months (estimate, lo, hi), RFS median, CR/CRh rate and an error column. A blank cell "
        "is unknown. Exit code 3 if any row was refused (its error column says why).",
    )
    batch.add_argument("input", metavar="INPUT.csv")
    batch.add_argument("-o", "--output", metavar="FILE", help="write to FILE (atomically) instead of stdout")
    batch.add_argument("--force", action="store_true", help="with -o, replace FILE if it exists")
    batch.add_argument("--format", choices=("csv", "json"), default="csv", help="output format (default csv)")
    _add_run_flags(batch)

    val = sub.add_parser(
        "validate",
        help="observed vs predicted survival on your own cohort (calibration, C-index)",
        description="External validation: Kaplan-Meier OS against the mean predicted curve at 6/12/24 months, "
        "calibration in thirds of predicted 12-month OS, and Harrell's C-index with a bootstrap CI.",
    )
    val.add_argument("input", metavar="COHORT.csv")
    val.add_argument("--time-col", required=True, metavar="COL", help="column with follow-up time")
    val.add_argument("--event-col", required=True, metavar="COL", help="column with the event: 1 death, 0 censored")
    val.add_argument("--time-unit", choices=("months", "days"), default="months", help="unit of --time-col")
    val.add_argument("--bootstrap", default="200", metavar="N", help="bootstrap samples for the C-index CI (0-10000)")
    _add_run_flags(val)
    val.add_argument("--format", choices=("rich", "json"), default="rich", help="output format (default rich)")
    val.add_argument("-o", "--output", metavar="FILE", help="write to FILE (atomically) instead of stdout")
    val.add_argument("--force", action="store_true", help="with -o, replace FILE if it exists")

    sett = sub.add_parser(
        "settings",
        help="show or change settings (theme, default draws, landmark months shown)",
        description="Settings live in a TOML file (see `blinacalc --paths`). Command-line flags override them.",
    )
    tsub = sett.add_subparsers(dest="action", parser_class=_Parser)
    tsub.add_parser("show", help="show the settings (the default)")
    sset = tsub.add_parser("set", help="change a setting")
    sset.add_argument("key", choices=SETTING_KEYS)
    sset.add_argument("value", help="theme: a Textual theme name; draws: 100-100000; landmarks: e.g. 6,12,24,36,60")
    unset = tsub.add_parser("unset", help="reset a setting to its default")
    unset.add_argument("key", choices=SETTING_KEYS)

    evid = sub.add_parser(
        "evidence",
        help="list every published number the model uses, with where it stands in its paper",
        description="Every published number blinacalc uses, grouped by paper, with its place in the paper.",
    )
    _add_output_flags(evid)
    return parser


def add_patient_flags(parser: argparse.ArgumentParser, *, scenario: bool = False) -> None:
    """A flag per factor of the factor table (and ``--scenario``, ``--alive-at``); values are checked by
    :func:`patient_from_args`."""
    group = parser.add_argument_group("patient (each factor defaults to unknown)")
    if scenario:
        group.add_argument(
            "--scenario", metavar="NAME", help="start from a saved scenario; factor flags given as well override it"
        )
    for f in F.factors():
        group.add_argument(f.flag, dest=f.name, metavar=f.metavar, help=f.help)
    if scenario:
        group.add_argument(
            "--alive-at",
            metavar="MONTHS",
            help="show survival given alive this many months after the first dose (0 to less than 60)",
        )


def _add_run_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--draws", metavar="N", help="Monte Carlo draws, 100 to 100,000 (default: the draws setting, 2000)"
    )
    parser.add_argument("--seed", default="0", metavar="N", help="random seed, an integer >= 0 (default 0)")


def _add_output_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=FORMATS, default="rich", help="output format (default rich)")
    parser.add_argument("-o", "--output", metavar="FILE", help="write to FILE (atomically) instead of stdout")
    parser.add_argument("--force", action="store_true", help="with -o, replace FILE if it exists")


def _int_or_text(text: str) -> int | str:
    """An integer written in plain ASCII digits (``1.0`` from a spreadsheet too); anything else is returned as
    text, to be refused by its checker (``int()`` would read ``1_0`` as 10 and Arabic-Indic digits as numbers)."""
    import re

    match = re.fullmatch(r"\s*(-?[0-9]+)(?:\.0+)?\s*", text, flags=re.ASCII)
    return int(match.group(1)) if match else text


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
    return _fail(
        command, exc.field if command == "settings" else flags.get(exc.field, exc.field), exc.message, EXIT_USAGE
    )


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
    return _write_text(command, args, text)


def _write_text(command: str, args: argparse.Namespace, text: str) -> int:
    """``text`` to stdout, or atomically to ``-o FILE`` (never replacing it without ``--force``)."""
    if args.output is None:
        sys.stdout.write(text)
        return EXIT_OK
    path = Path(args.output)
    try:
        write_atomic(path, text, overwrite=args.force)
    except NotRegularFileError as exc:
        return _fail(command, "-o/--output", str(exc.strerror), EXIT_USAGE)
    except FileExistsError:
        _say(
            f"blinacalc {command}: error: -o/--output: {path} exists; add --force to replace it",
            file=sys.stderr,
        )
        return EXIT_USAGE
    except OSError as exc:
        _say(f"blinacalc {command}: cannot write {path}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_IO
    _say(f"wrote {path}", file=sys.stderr)
    return EXIT_OK


def _print_rich(report: Report | None) -> None:
    from rich.console import Console

    from blinacalc.report import richview

    assert report is not None
    console = Console()
    console.width = min(console.width, TERMINAL_MAX_WIDTH)
    console.print(richview.report(report))


def _warn(message: str) -> None:
    _say(f"blinacalc: warning: {message}", file=sys.stderr)


def _open_store(warn: Callable[[str], None] = _warn) -> Store:
    return Store(warn=warn)


def _use_cache(store: Store) -> None:
    from blinacalc.core.model import use_disk_cache

    use_disk_cache(store.paths.cache)


def _run_inputs(args: argparse.Namespace, store: Store) -> tuple[Patient, Scenario | None, Settings, int, int]:
    """Patient (a saved scenario overlaid with any factor flags), settings, draws and seed, checked."""
    scenario = store.scenario(args.scenario) if args.scenario else None
    patient = patient_from_args(args, scenario.patient if scenario else None)
    settings = store.settings()
    return patient, scenario, settings, *_draws_seed(args, settings)


def alive_at_from_args(args: argparse.Namespace) -> float | None:
    """``--alive-at`` as months (plain decimal digits only), checked; ``None`` when not given."""
    import re

    from blinacalc.core.model import check_alive_at
    from blinacalc.core.patient import InputError

    text = getattr(args, "alive_at", None)
    if text is None:
        return None
    try:
        if not re.fullmatch(r"[0-9]+(\.[0-9]+)?", text.strip(), flags=re.ASCII):
            raise ValueError(text)
        return check_alive_at(float(text))
    except (ValueError, InputError):
        raise InputError(
            "alive_at_months", f"expected months since the first dose, from 0 to less than 60, got {text!r}"
        ) from None


def _draws_seed(args: argparse.Namespace, settings: Settings) -> tuple[int, int]:
    """``--draws`` (default: the draws setting) and ``--seed``, checked."""
    from blinacalc.core.model import check_run

    draws = settings.draws if args.draws is None else _int_or_text(args.draws)
    seed = _int_or_text(args.seed)
    check_run(draws, seed)
    return draws, seed  # type: ignore[return-value]


def _summary(args: argparse.Namespace) -> int:
    from blinacalc.core.model import predict

    store = _open_store()
    _use_cache(store)
    patient, scenario, settings, draws, seed = _run_inputs(args, store)
    pred = predict(patient, draws=draws, seed=seed, alive_at_months=alive_at_from_args(args))
    if args.format == "json":
        return _emit("summary", args, None, pred.to_dict())
    from blinacalc.report import content

    report = content.build(pred, landmarks=settings.landmarks, scenario=scenario.title if scenario else None)
    return _emit("summary", args, report, None)


def _tui(args: argparse.Namespace | None) -> int:
    from blinacalc.core.patient import Patient

    warnings: list[str] = []  # shown in the app, where stderr cannot be seen
    store = _open_store(warnings.append)
    alive_at = None
    if args is None:
        patient, scenario, settings = Patient(), None, store.settings()
        draws, seed = settings.draws, 0
    else:
        patient, scenario, settings, draws, seed = _run_inputs(args, store)
        alive_at = alive_at_from_args(args)
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        _say(
            "blinacalc: the interactive calculator needs a terminal; for a report use `blinacalc summary`",
            file=sys.stderr,
        )
        return EXIT_USAGE
    _use_cache(store)
    from blinacalc.tui.app import make_app

    make_app(
        patient, draws=draws, seed=seed, settings=settings, scenario=scenario, warnings=warnings, alive_at=alive_at
    ).run()
    return EXIT_OK


def _factors_line(patient: Patient) -> str:
    from blinacalc.report import labels as L

    return L.factors_line(patient.to_dict())


def _scenarios(args: argparse.Namespace) -> int:
    import json

    store = _open_store()
    if args.action == "save":
        scenario = Scenario(args.name, patient_from_args(args), args.label)
        store.save_scenario(scenario, force=args.force)
        _say(f"saved {scenario.name}: {_factors_line(scenario.patient)}", file=sys.stderr)
    elif args.action == "delete":
        store.delete_scenario(args.name)
        _say(f"deleted {args.name}", file=sys.stderr)
    elif args.action == "rename":
        store.rename_scenario(args.name, args.new_name, force=args.force)
        _say(f"renamed {args.name} to {args.new_name}", file=sys.stderr)
    else:
        chosen = [store.scenario(args.name)] if args.action == "show" else list(store.scenarios().values())
        if args.format == "json":
            records = [{"name": sc.name, **sc.to_dict()} for sc in chosen]
            data = records[0] if args.action == "show" else {"scenarios": records}
            sys.stdout.write(json.dumps(data, indent=2) + "\n")
        elif not chosen:
            _say(
                f"no saved scenarios yet (blinacalc scenarios save NAME ...); they are kept in {store.paths.scenarios}",
                file=sys.stderr,
            )
        for sc in chosen if args.format == "text" else ():
            label = f"  ({sc.label})" if sc.label else ""
            _say(f"{sc.name}: {_factors_line(sc.patient)}{label}")
    return EXIT_OK


def _settings(args: argparse.Namespace) -> int:
    store = _open_store()
    if args.action in ("set", "unset"):
        if args.key == "theme" and args.action == "set":
            from textual.theme import BUILTIN_THEMES

            if args.value not in BUILTIN_THEMES:
                raise InputError("theme", f"expected one of {', '.join(sorted(BUILTIN_THEMES))}, got {args.value!r}")
        store.update_settings(**{args.key: args.value if args.action == "set" else None})
    settings = store.settings()
    for key, value in settings.shown().items():
        shown = ", ".join(map(str, value)) if isinstance(value, list) else ("default" if value is None else value)
        _say(f"{key} = {shown}")
    _say(f"({store.paths.settings})", file=sys.stderr)
    return EXIT_OK


def _batch(args: argparse.Namespace) -> int:
    from contextlib import nullcontext

    from blinacalc._fs import atomic_open
    from blinacalc.cohort import batch

    draws, seed = _draws_seed(args, _open_store().settings())
    source = Path(args.input)
    progress, stop = (None, lambda: None)
    if sys.stderr.isatty() and source.is_file():
        progress, stop = batch.progress_reporter(source)
    refused: list[str] = []
    target = Path(args.output) if args.output else None
    sink = (
        atomic_open(target, overwrite=args.force, mode=PRIVATE_FILE, newline="")
        if target is not None
        else nullcontext(sys.stdout)
    )
    try:
        with sink as out:
            result = batch.run(
                source, out, fmt=args.format, draws=draws, seed=seed, on_refused=refused.append, on_progress=progress
            )
    except FileExistsError:
        return _fail("batch", "-o/--output", f"{target} exists; add --force to replace it", EXIT_USAGE)
    finally:
        stop()
    for line in refused:
        _say(f"blinacalc batch: {line}", file=sys.stderr)
    more = result.refused - len(refused)
    if more > 0:
        _say(f"blinacalc batch: ... and {more:,} more refused rows (see the error column)", file=sys.stderr)
    where = f" to {target}" if target else ""
    _say(
        f"blinacalc batch: {result.rows:,} rows{where}, {result.refused:,} refused; "
        f"{result.classes} distinct predictions ({draws:,} draws, seed {seed})",
        file=sys.stderr,
    )
    return EXIT_ROWS_REFUSED if result.refused else EXIT_OK


def _validate(args: argparse.Namespace) -> int:
    from blinacalc.cohort.validate import validate

    draws, seed = _draws_seed(args, _open_store().settings())
    bootstrap = _int_or_text(args.bootstrap)
    if isinstance(bootstrap, str) or not 0 <= bootstrap <= 10_000:
        raise InputError("bootstrap", f"expected an integer from 0 to 10,000, got {args.bootstrap!r}")
    record = validate(
        Path(args.input),
        args.time_col,
        args.event_col,
        unit=args.time_unit,
        draws=draws,
        seed=seed,
        bootstrap=bootstrap,
    )
    if args.format == "json":
        return _emit("validate", args, None, record)
    from rich.console import Console

    from blinacalc.report import validationview

    renderable = validationview.render(record)
    if args.output is None:
        Console().print(renderable)
        return EXIT_OK
    console = Console(record=True, width=100, file=io.StringIO())
    console.print(renderable)
    return _write_text("validate", args, console.export_text())


def _print_paths() -> int:
    where = Store().paths
    home = os.environ.get(HOME_ENV)
    _say(f"settings   {where.settings}")
    _say(f"scenarios  {where.scenarios}")
    _say(f"cache      {where.cache}")
    _say(f"({HOME_ENV}={home})" if home else f"(set {HOME_ENV} to keep everything under one folder)", file=sys.stderr)
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
        _say(f"{name}: cure fraction {curve['cure_fraction']:.3f}; {fitted}", file=sys.stderr)
    if args.check:
        shipped = json.loads(cal.default_path().read_text(encoding="utf-8"))
        problems = cal.compare(shipped, record)
        for problem in problems:
            _say(f"blinacalc: calibrate --check: {problem}", file=sys.stderr)
        if problems:
            return EXIT_IO
        _say("the shipped calibration matches a fresh fit", file=sys.stderr)
        return EXIT_OK
    path = Path(args.output) if args.output else cal.default_path()
    try:
        write_atomic(path, cal.render(record))
    except OSError as exc:
        _say(f"blinacalc: cannot write {path}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_IO
    _say(f"wrote {path}", file=sys.stderr)
    return EXIT_OK


def _safe_streams() -> None:
    """On a terminal or pipe that cannot encode Unicode (e.g. ``PYTHONIOENCODING=ascii``, ``LANG=C``), replace
    what it cannot show rather than fail with a traceback."""
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "").replace("_", "")
        if not encoding.startswith("utf") and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")


def main(argv: Sequence[str] | None = None) -> int:
    _safe_streams()
    parser = _build_parser()
    args = parser.parse_args(argv)
    if args.paths:
        return _print_paths()
    commands = {
        "calibrate": _calibrate,
        "summary": _summary,
        "evidence": _evidence,
        "tui": _tui,
        "scenarios": _scenarios,
        "settings": _settings,
        "batch": _batch,
        "validate": _validate,
    }
    command = args.command or "tui"
    try:
        return commands[args.command](args) if args.command else _tui(None)
    except InputError as exc:
        return refuse(command, exc)
    except UnknownScenarioError as exc:
        return _fail(command, "--scenario" if getattr(args, "scenario", None) else "NAME", exc.args[0], EXIT_USAGE)
    except ScenarioExistsError as exc:
        flag = "NEW_NAME" if command == "scenarios" and args.action == "rename" else "NAME"
        return _fail(command, flag, f"{exc}; add --force to replace it", EXIT_USAGE)
    except StoreError as exc:
        return _fail(command, None, str(exc), EXIT_IO)
    except CohortFileError as exc:
        return _fail(command, None, str(exc), EXIT_USAGE)
    except NotRegularFileError as exc:
        return _fail(command, "-o/--output", str(exc.strerror), EXIT_USAGE)
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): stop quietly, and keep Python from complaining at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_IO
    except OSError as exc:  # reading the input or writing the output
        where = exc.filename or getattr(args, "output", None) or "standard output"
        return _fail(command, None, f"cannot read or write {where}: {exc.strerror or exc}", EXIT_IO)


def _say(*parts: object, file: TextIO | None = None) -> None:
    """print(), with user and file text made safe for a terminal (no control sequences)."""
    from blinacalc._text import printable

    print(printable(" ".join(str(p) for p in parts)), file=sys.stdout if file is None else file)


def _fail(command: str, flag: str | None, message: str, code: int) -> int:
    where = f"{flag}: " if flag else ""
    _say(f"blinacalc {command}: error: {where}{message}", file=sys.stderr)
    return code


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
