"""The run path stays light: the core never loads the UI, lifelines, pandas or scipy."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("textual", "rich", "lifelines", "pandas", "scipy", "platformdirs")


def _loaded_after(code: str) -> set[str]:
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}})))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_import_blinacalc_is_cheap():
    loaded = _loaded_after("import blinacalc")
    assert not loaded & {*HEAVY, "numpy"}


def test_core_and_predict_load_nothing_heavy():
    loaded = _loaded_after(
        "from blinacalc import Patient, predict\nimport blinacalc.core.model\npredict(Patient(ecog=1), draws=100)"
    )
    assert "numpy" in loaded
    assert not loaded & set(HEAVY), loaded & set(HEAVY)


def test_cli_module_loads_nothing_heavy():
    loaded = _loaded_after("import blinacalc.cli")
    assert not loaded & {"lifelines", "pandas", "scipy", "textual"}


_SUMMARY = (
    "import io, contextlib\n"
    "from blinacalc.cli import main\n"
    "for fmt in {formats!r}:\n"
    "    with contextlib.redirect_stdout(io.StringIO()):\n"
    "        assert main(['summary', '--draws', '200', '--format', fmt]) == 0"
)


def test_summary_path_loads_no_heavy_modules():
    loaded = _loaded_after(_SUMMARY.format(formats=("json", "rich", "markdown", "svg")))
    assert not loaded & {"lifelines", "pandas", "scipy", "textual", "matplotlib"}


def test_json_summary_does_not_load_rich():
    assert "rich" not in _loaded_after(_SUMMARY.format(formats=("json",)))


def test_summary_path_loads_neither_openssl_nor_the_toml_parser():
    """Speed (issue 19): cache names are BLAKE2b digests from ``_blake2`` (``hashlib`` loads OpenSSL, about
    3 ms), and the evidence is read from its parsed copies once they exist (``tomllib``, about 6 ms)."""
    import tempfile

    with tempfile.TemporaryDirectory() as home:
        setup = f"import os\nos.environ['BLINACALC_HOME'] = {home!r}\n"
        _loaded_after(setup + _SUMMARY.format(formats=("json",)))  # the first run writes the parsed copies
        loaded = _loaded_after(setup + _SUMMARY.format(formats=("json",)))
    assert not loaded & {"hashlib", "_hashlib", "tomllib"}, loaded & {"hashlib", "_hashlib", "tomllib"}


def test_digest_is_blake2b():
    import hashlib

    from blinacalc._digest import digest

    assert digest(b"blinacalc") == hashlib.blake2b(b"blinacalc", digest_size=32).hexdigest()


def test_model_card_is_up_to_date():
    """docs/model-card.md is generated from the code; regenerate with scripts/model_card.py."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, str(root / "scripts" / "model_card.py"), "--check"], cwd=root)
    assert out.returncode == 0, "run: python scripts/model_card.py"


def test_the_tui_starts_its_first_look_before_numpy():
    """`blinacalc tui` forks its first look before importing numpy or Textual, and the app shows it before
    importing numpy (the process computing it imports numpy, on the other processor: issue 19)."""
    loaded = _loaded_after(
        "import blinacalc.cli.tui, blinacalc.tui.first, blinacalc.tui.values\n"
        "from blinacalc.cli.common import alive_at_from_args, open_store, run_inputs\n"
        "from blinacalc.cli.parser import build\n"
        "args = build('tui').parse_args(['tui', '--ecog', '2', '--alive-at', '6', '--draws', '300'])\n"
        "run_inputs(args, open_store(print)), alive_at_from_args(args)"
    )  # (what `blinacalc tui` does before it forks: found by review, the flags' checks imported numpy)
    assert not loaded & {"numpy", "textual", "rich"}
    loaded = _loaded_after("import blinacalc.tui.app")
    assert "numpy" not in loaded and "textual" in loaded
