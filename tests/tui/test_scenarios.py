"""Saved scenarios and settings in the app, driven with Pilot: save, open, rename, delete, recover."""

from __future__ import annotations

import pytest
from textual.widgets import Checkbox, Input, OptionList, Static

from blinacalc import Patient, predict
from blinacalc.report import labels as L
from blinacalc.store import Scenario, Settings, Store, paths
from blinacalc.tui.app import make_app
from blinacalc.tui.screens.dialogs import ConfirmDialog, NameDialog
from blinacalc.tui.screens.scenarios import ScenariosScreen
from tests.tui.test_app import DRAWS, messages, settle, text_of

CURRENT = Scenario("current", Patient(ecog=1, salvage_line=2, prior_hsct=False), "as seen today")
BETTER = Scenario("ecog-0", Patient(ecog=0, salvage_line=2, prior_hsct=False))


async def test_save_the_current_patient(tmp_path):
    patient = Patient(ecog=2, salvage_line=1)
    app = make_app(patient, draws=DRAWS)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, NameDialog)
        await pilot.press(*"current", "tab", *"first look")
        await pilot.press("enter")
        await pilot.pause()
        assert Store().scenarios() == {"current": Scenario("current", patient, "first look")}
        assert "current" in app.calculator.sub_title


async def test_saving_over_a_name_needs_the_replace_box():
    Store().save_scenario(CURRENT)
    app = make_app(Patient(ecog=0), draws=DRAWS)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press(*"current", "enter")
        await pilot.pause()
        assert isinstance(app.screen, NameDialog)
        assert "saved already" in str(app.screen.query_one(".dialog-error", Static).content)
        assert Store().scenario("current") == CURRENT
        app.screen.query_one("#replace", Checkbox).value = True
        app.screen.query_one("#name", Input).focus()
        await pilot.press("enter")
        await pilot.pause()
        assert Store().scenario("current").patient == Patient(ecog=0)


async def test_identifiers_are_refused_inline():
    app = make_app(draws=DRAWS)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press(*"12345678", "enter")
        await pilot.pause()
        assert "record number" in str(app.screen.query_one(".dialog-error", Static).content)
        await pilot.press("escape")
        await pilot.pause()
        assert not paths().scenarios.exists()


@pytest.fixture
def two_saved() -> None:
    for sc in (CURRENT, BETTER):
        Store().save_scenario(sc)


async def test_open_a_saved_scenario_recomputes_with_its_factors(two_saved):
    app = make_app(draws=DRAWS)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("o")
        await pilot.pause()
        assert isinstance(app.screen, ScenariosScreen)
        assert app.screen.query_one(OptionList).option_count == 2
        await pilot.press("down", "enter")  # the list is sorted: current, ecog-0
        await settle(app, pilot)
        assert app.calculator.patient == BETTER.patient
        assert app.calculator.prediction.to_dict() == predict(BETTER.patient, draws=DRAWS, seed=0).to_dict()
        assert app.calculator.sub_title.startswith("ecog-0 ·")
        app.calculator.query_one("#ecog").value = 1
        await settle(app, pilot)
        assert app.calculator.sub_title.startswith("ecog-0, changed ·")


async def test_rename_and_delete_from_the_scenarios_screen(two_saved):
    app = make_app(draws=DRAWS)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("o")
        await pilot.pause()
        await pilot.press("r")
        await pilot.pause()
        assert isinstance(app.screen, NameDialog)
        app.screen.query_one("#name", Input).value = "today"
        await pilot.press("enter")
        await pilot.pause()
        assert list(Store().scenarios()) == ["ecog-0", "today"]
        assert isinstance(app.screen, ScenariosScreen)
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("y")
        await pilot.pause()
        assert list(Store().scenarios()) == ["ecog-0"]  # the renamed one stayed highlighted


async def test_prefilled_from_a_scenario_names_it_in_the_header():
    app = make_app(CURRENT.patient, draws=DRAWS, scenario=CURRENT)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        assert app.calculator.sub_title.startswith("current ·")
        assert "Saved scenario: current (as seen today)" in _markdown(app)


def _markdown(app) -> str:
    from blinacalc.report.export import render

    return render(app.calculator.report(), "markdown")


async def test_a_corrupt_file_is_a_notification_and_the_app_works():
    paths().data.mkdir(parents=True)
    paths().scenarios.write_text("{broken")
    app = make_app(draws=DRAWS)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        await pilot.press("o")
        await pilot.pause()
        assert sum("moved it to scenarios.corrupt-" in m for m in messages(app)) == 1
        assert app.screen.query_one(OptionList).option_count == 1  # "No saved scenarios yet"
        (aside,) = paths().data.glob("scenarios.corrupt-*.json")
        assert aside.read_text() == "{broken"


async def test_startup_warnings_become_notifications():
    app = make_app(draws=DRAWS, warnings=["settings.toml: draws: expected an integer"])
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        assert "settings.toml: draws: expected an integer" in messages(app)


async def test_theme_and_landmarks_come_from_the_settings_and_a_new_theme_is_kept():
    app = make_app(draws=DRAWS, settings=Settings(theme="nord", landmarks=(12, 48)))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        assert app.theme == "nord"
        rows = [line.split() for line in (text_of(app, "#headline") + text_of(app, "#os-summary")).splitlines()]
        table = [row for row in rows if row and row[0].isdigit()]
        pred = predict(Patient(), draws=DRAWS, seed=0)
        assert [row[:2] for row in table] == [
            ["12", L.pct(pred.os.landmark(12).estimate)],
            ["48", L.pct(pred.os.landmark(48).estimate)],
        ]
        app.theme = "gruvbox"
        await pilot.pause()
        assert Store().settings().theme == "gruvbox"
