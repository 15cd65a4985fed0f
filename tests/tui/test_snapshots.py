"""How the app looks, at 80×24 and 120×40 (pytest-textual-snapshot).

After an intended change: ``python -m pytest tests/tui/test_snapshots.py --snapshot-update``, then
open the changed SVGs under ``__snapshots__`` and look at every one before committing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from blinacalc import Patient
from blinacalc.tui.app import make_app

PATIENT = Patient(ecog=1, salvage_line=2, prior_hsct=False, t411=None)


async def _settled(pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_survival_tab(snap_compare, size):
    assert snap_compare(make_app(PATIENT), terminal_size=size, run_before=_settled)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_response_tab(snap_compare, size):
    async def run_before(pilot) -> None:
        await _settled(pilot)
        await pilot.press("]", "]")
        await pilot.pause()

    assert snap_compare(make_app(PATIENT), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_pinned_comparison(snap_compare, size):
    """After p and one keystroke (ECOG 0 typed on the focused factor): the Compare tab, in full view."""

    async def run_before(pilot) -> None:
        await _settled(pilot)
        await pilot.press("p", "0")
        await _settled(pilot)
        pilot.app.clear_notifications()
        await pilot.pause()

    assert snap_compare(make_app(PATIENT), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_updating_state(snap_compare, size):
    """While a new result computes, the old one is dimmed and the headline says "updating…"."""

    async def run_before(pilot) -> None:
        await _settled(pilot)
        screen = pilot.app.screen
        screen.patient = Patient(ecog=0)  # inputs changed, result not yet delivered
        screen.updating = True
        await pilot.pause()

    assert snap_compare(make_app(PATIENT), terminal_size=size, run_before=run_before)


def test_help(snap_compare):
    async def run_before(pilot) -> None:
        await _settled(pilot)
        await pilot.press("question_mark")
        await pilot.pause()

    assert snap_compare(make_app(PATIENT), terminal_size=(80, 24), run_before=run_before)


def test_saved_scenarios_screen(snap_compare):
    from blinacalc.store import Scenario, Store

    Store().save_scenario(Scenario("current", PATIENT, "as seen today"))
    Store().save_scenario(Scenario("ecog-0", Patient(ecog=0, salvage_line=2, prior_hsct=False)))

    async def run_before(pilot) -> None:
        await _settled(pilot)
        await pilot.press("o")
        await pilot.pause()

    assert snap_compare(make_app(PATIENT), terminal_size=(80, 24), run_before=run_before)


def test_export_dialog(snap_compare, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("blinacalc.tui.app.Path.cwd", lambda: Path("/home/clinic"))
    monkeypatch.setattr("blinacalc.tui.app.time.strftime", lambda _fmt: "20260101-000000")

    async def run_before(pilot) -> None:
        await _settled(pilot)
        await pilot.press("e")
        await pilot.pause()

    assert snap_compare(make_app(PATIENT), terminal_size=(80, 24), run_before=run_before)
