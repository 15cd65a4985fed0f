"""The thin App: settings in, one screen pushed, app-wide keys and commands. No maths here."""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen

from blinacalc._fs import write_atomic
from blinacalc.core.model import DEFAULT_DRAWS
from blinacalc.core.patient import Patient
from blinacalc.tui.screens.help import HelpScreen
from blinacalc.tui.screens.main import TABS, MainScreen

EXPORT_EXTENSIONS = {"markdown": "md", "html": "html", "svg": "svg"}


class BlinacalcApp(App[None]):
    CSS_PATH = "blinacalc.tcss"
    TITLE = "blinacalc"
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "help", "Help"),
        Binding("p", "pin", "Pin/compare"),
        Binding("c", "toggle_chemo", "Chemo"),
        Binding("s", "toggle_scenarios", "Scenarios"),
        Binding("m", "tab('evidence')", "Method"),
        Binding("e", "export('markdown')", "Export", show=False),
        *(Binding(str(i), f"tab('{tab}')", show=False) for i, tab in enumerate(TABS, 1)),
    ]

    def __init__(self, patient: Patient, draws: int = DEFAULT_DRAWS, seed: int = 0) -> None:
        super().__init__()
        self.calculator = MainScreen(patient, draws, seed)

    def on_mount(self) -> None:
        self.push_screen(self.calculator)

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_pin(self) -> None:
        self.calculator.toggle_pin()

    def action_toggle_chemo(self) -> None:
        self.calculator.show_chemo = not self.calculator.show_chemo

    def action_toggle_scenarios(self) -> None:
        self.calculator.show_scenarios = not self.calculator.show_scenarios

    def action_tab(self, tab: str) -> None:
        self.calculator.show_tab(tab)

    def action_export(self, fmt: str) -> None:
        from blinacalc.report import content
        from blinacalc.report.export import render

        pred = self.calculator.prediction
        if pred is None:
            self.notify("Nothing to export yet.", severity="warning")
            return
        path = Path.cwd() / f"blinacalc-report-{time.strftime('%Y%m%d-%H%M%S')}.{EXPORT_EXTENSIONS[fmt]}"
        try:
            write_atomic(path, render(content.build(pred), fmt), overwrite=False)
        except OSError as exc:
            self.notify(f"Could not write {path}: {exc.strerror or exc}", severity="error")
            return
        self.notify(f"Report saved to {path}")

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand(
            "Compare: pin or unpin this patient", "Pin, then change a factor to compare", self.action_pin
        )
        yield SystemCommand(
            "Show or hide the chemotherapy comparator", "TOWER hazard ratio, cross-trial", self.action_toggle_chemo
        )
        yield SystemCommand(
            "Show or hide scenario curves", "OS if CR/CRh is reached or not", self.action_toggle_scenarios
        )
        for fmt in EXPORT_EXTENSIONS:
            yield SystemCommand(
                f"Export report as {fmt}",
                "Written to the current folder; never overwrites",
                lambda f=fmt: self.action_export(f),
            )
        yield SystemCommand(
            "Evidence, method and limitations",
            "Every published number and its place",
            lambda: self.action_tab("evidence"),
        )


def make_app(patient: Patient | None = None, *, draws: int = DEFAULT_DRAWS, seed: int = 0) -> BlinacalcApp:
    """The one app factory, for the entry point and the tests. Validate inputs before calling."""
    return BlinacalcApp(patient or Patient(), draws=draws, seed=seed)
