"""The argument parser: one sub-command per module of this package."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from blinacalc._version import __version__
from blinacalc.cli.common import Parser, add_output_flags, add_patient_flags, add_run_flags, months_list
from blinacalc.core import factors as F
from blinacalc.core.defaults import DEFAULT_LANDMARKS, DRAWS_RANGE
from blinacalc.store import HOME_ENV, NAME_RULE, SETTING_KEYS

NAME_HELP = f"{NAME_RULE}; no names, dates or record numbers"


def command_of(argv: Sequence[str]) -> str | None:
    """The sub-command named in ``argv`` (its first word that is not a flag), if it is one."""
    from blinacalc.cli import first_word

    word = first_word(argv)
    return word if word in COMMANDS else None


COMMANDS = ("calibrate", "summary", "tui", "scenarios", "batch", "validate", "settings", "evidence")


def build(only: str | None = None) -> argparse.ArgumentParser:
    """The parser; with ``only``, the other sub-commands are listed (for ``--help``) but their flags are left
    out: a command's start does not pay for every other command's flags (argparse builds a help formatter
    for each)."""

    def wanted(name: str) -> bool:
        return only is None or only == name

    parser = Parser(
        prog="blinacalc",
        description="Illustrative survival estimates after blinatumomab for relapsed/refractory "
        "Ph-negative B-ALL, from published trials. Not for clinical decisions.",
    )
    parser.add_argument("--version", action="version", version=f"blinacalc {__version__}")
    parser.add_argument(
        "--paths", action="store_true", help=f"print where settings, scenarios and the cache are kept (${HOME_ENV})"
    )
    sub = parser.add_subparsers(dest="command", parser_class=Parser)
    cal = sub.add_parser(
        "calibrate",
        help="re-fit the baseline curves to the published landmarks (needs lifelines)",
        description="Fit the mixture-cure curves to the published landmarks and write the fit file.",
    )
    if wanted("calibrate"):
        cal.add_argument("-o", "--output", help="where to write the fit (default: the packaged file)")
        cal.add_argument("--check", action="store_true", help="re-fit and compare with the shipped file; write nothing")

    summ = sub.add_parser(
        "summary",
        help="print the report for one patient (rich, json, markdown, html or svg)",
        description="The report for one patient. An omitted factor is unknown: the model averages over "
        "the trial's mix. Illustrative estimates, not for clinical decisions.",
    )
    if wanted("summary"):
        add_patient_flags(summ, scenario=True)
        add_run_flags(summ)
        add_output_flags(summ)

    tui = sub.add_parser(
        "tui",
        help="open the interactive calculator, optionally prefilled (also: blinacalc with no command)",
        description="The interactive calculator, prefilled with any factors given.",
    )
    if wanted("tui"):
        add_patient_flags(tui, scenario=True)
        add_run_flags(tui)

    scen = sub.add_parser(
        "scenarios",
        help="save, list, show, rename and delete named patients (no identifiers)",
        description="Named patients for what-if comparisons: the four factors and an optional short label. "
        "Do not enter names, dates of birth or record numbers.",
    )
    if wanted("scenarios"):
        ssub = scen.add_subparsers(dest="action", required=True, parser_class=Parser)
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
    if wanted("batch"):
        batch.add_argument("input", metavar="INPUT.csv")
        batch.add_argument("-o", "--output", metavar="FILE", help="write to FILE (atomically) instead of stdout")
        batch.add_argument("--force", action="store_true", help="with -o, replace FILE if it exists")
        batch.add_argument("--format", choices=("csv", "json"), default="csv", help="output format (default csv)")
        add_run_flags(batch)

    val = sub.add_parser(
        "validate",
        help="observed vs predicted survival on your own cohort (calibration, C-index)",
        description="External validation: Kaplan-Meier OS against the mean predicted curve at 6/12/24 months, "
        "calibration in thirds of predicted 12-month OS, and Harrell's C-index with a bootstrap CI.",
    )
    if wanted("validate"):
        val.add_argument("input", metavar="COHORT.csv")
        val.add_argument("--time-col", required=True, metavar="COL", help="column with follow-up time")
        val.add_argument("--event-col", required=True, metavar="COL", help="column with the event: 1 death, 0 censored")
        val.add_argument("--time-unit", choices=("months", "days"), default="months", help="unit of --time-col")
        val.add_argument(
            "--bootstrap", default="200", metavar="N", help="bootstrap samples for the C-index CI (0-10000)"
        )
        add_run_flags(val)
        add_output_flags(val)

    sett = sub.add_parser(
        "settings",
        help="show or change settings (theme, default draws, landmark months shown)",
        description="Settings live in a TOML file (see `blinacalc --paths`). Command-line flags override them.",
    )
    if wanted("settings"):
        tsub = sett.add_subparsers(dest="action", parser_class=Parser)
        tsub.add_parser("show", help="show the settings (the default)")
        sset = tsub.add_parser("set", help="change a setting")
        sset.add_argument("key", choices=SETTING_KEYS)
        sset.add_argument(
            "value",
            help=f"theme: a Textual theme name; draws: {DRAWS_RANGE}; landmarks: e.g. {months_list(DEFAULT_LANDMARKS)}",
        )
        unset = tsub.add_parser("unset", help="reset a setting to its default")
        unset.add_argument("key", choices=SETTING_KEYS)

    evid = sub.add_parser(
        "evidence",
        help="list every published number the model uses, with where it stands in its paper",
        description="Every published number blinacalc uses, grouped by paper, with its place in the paper.",
    )
    if wanted("evidence"):
        add_output_flags(evid)
    return parser
