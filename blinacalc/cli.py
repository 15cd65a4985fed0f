"""Command-line front door: parses arguments, calls the core, hands results on. No maths here."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from blinacalc._version import __version__

EXIT_OK, EXIT_IO, EXIT_USAGE = 0, 1, 2


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
    return parser


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
        cal.write_atomic(path, cal.render(record))
    except OSError as exc:
        print(f"blinacalc: cannot write {path}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_IO
    print(f"wrote {path}", file=sys.stderr)
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    if args.command == "calibrate":
        return _calibrate(args)
    parser.print_help()
    return EXIT_OK


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
