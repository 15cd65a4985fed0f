"""The thin App: settings in, one screen pushed, app-wide keys and commands. No maths here."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.text import Text
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widgets import Header, Static

from blinacalc._fs import write_atomic
from blinacalc._text import printable
from blinacalc.core.defaults import DEFAULT_DRAWS
from blinacalc.core.patient import Patient
from blinacalc.report import EXPORT_EXTENSIONS, styles
from blinacalc.store import (
    PRIVATE_FILE,
    Scenario,
    ScenarioExistsError,
    Settings,
    Store,
    StoreError,
)
from blinacalc.tui.first import FirstLook, Line, start
from blinacalc.tui.values import as_shown

if TYPE_CHECKING:  # (imported when first used: numpy and the report code load after the first look)
    from blinacalc.core.result import Prediction
    from blinacalc.tui.screens.dialogs import ExportChoice, Named
    from blinacalc.tui.screens.main import MainScreen

OPENING = "⟳ Opening the calculator…"
# How long the first look waits for its lines (they usually come before Textual has started); if later (the
# first run ever builds the draws), the calculator opens at once, marked as updating until its result comes.
LOOK_WAIT = 0.15


class BlinacalcApp(App[None]):
    CSS_PATH = "blinacalc.tcss"
    TITLE = "blinacalc"
    BINDINGS = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "help", "Help"),
        Binding("p", "pin", "Pin/compare"),
        Binding("c", "toggle_chemo", "Chemo"),
        Binding("s", "toggle_scenarios", "What-if curves"),
        Binding("o", "scenarios", "Saved"),
        Binding("ctrl+s", "save_scenario", "Save", show=False),
        Binding("m", "tab('evidence')", "Method", show=False),
        Binding("right_square_bracket", "step_tab(1)", "Next tab"),
        Binding("left_square_bracket", "step_tab(-1)", "Prev tab", show=False),
        Binding("e", "export", "Export", show=False),
    ]

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = False,
    ) -> None:
        """Every notification is plain text: messages carry file paths and labels, which are data."""
        super().notify(printable(message), title=printable(title), severity=severity, timeout=timeout, markup=False)

    def __init__(
        self,
        patient: Patient,
        draws: int = DEFAULT_DRAWS,
        seed: int = 0,
        *,
        settings: Settings | None = None,
        scenario: Scenario | None = None,
        warnings: Sequence[str] = (),
        alive_at: float | None = None,
        first: Future[Prediction] | None = None,
        first_look: FirstLook | None = None,
    ) -> None:
        super().__init__()
        self.settings = settings or Settings()
        self.store = Store(warn=lambda message: self.notify(message, severity="warning", timeout=10))
        self._startup_warnings = tuple(warnings)
        self._patient, self._draws, self._seed = patient, draws, seed  # (the patient as shown: make_app)
        self._scenario, self._alive_at = scenario, alive_at
        self._first_look = first_look
        self.first_look_shown = False  # its lines are on screen (tests)
        self._leaving = False  # exit() was called
        self._calculator: MainScreen | None = None
        if first_look is None:
            self._calculator = self._new_calculator(first)

    def _new_calculator(self, first: Future[Prediction] | None) -> MainScreen:
        from blinacalc.tui.screens.main import MainScreen

        patient, draws, seed, alive_at = self._patient, self._draws, self._seed, self._alive_at
        if first is None:  # (started now, after the first look's process has ended: it shares its draws)
            look = self._first_look
            first = start(patient, draws, seed, alive_at, cache=look.cache if look else None, after=look)
        landmarks = self.settings.landmarks
        return MainScreen(
            patient, draws, seed, landmarks=landmarks, scenario=self._scenario, alive_at=alive_at, first=first
        )

    @property
    def calculator(self) -> MainScreen:
        """The calculator screen (once opened: until then only quitting acts, :meth:`check_action`)."""
        assert self._calculator is not None
        return self._calculator

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """While the calculator opens (the first look) only quitting acts: the calculator's keys act on a
        screen not there yet, and help or the command palette would open under it."""
        return self._calculator is not None or action == "quit"

    def compose(self) -> ComposeResult:
        if self._first_look is not None:  # the first look: the calculator's first words while it opens
            yield Header()
            yield Static(Text(OPENING, "bold"), id="first-look")

    def on_mount(self) -> None:
        theme = self.settings.theme
        if theme is not None and theme in self.available_themes:
            self.theme = theme
        elif theme is not None:
            self.notify(f"Theme {theme!r} from the settings is not available; using the default.", severity="warning")
        self.theme_changed_signal.subscribe(self, self._remember_theme)
        for message in self._startup_warnings:
            self.notify(message, severity="warning", timeout=10)
        if self._first_look is None:
            self.push_screen(self.calculator)
        else:
            scenario = self._scenario  # named as the calculator's header names it
            changed = "" if scenario is None or scenario.patient == self._patient else ", changed"
            named = "" if scenario is None else f"{scenario.name}{changed} · "
            self.sub_title = f"{named}illustrative, not for clinical decisions"
            self.run_worker(self._look, thread=True, group="first-look")

    def _look(self) -> None:
        assert self._first_look is not None
        lines = self._first_look.lines(LOOK_WAIT)
        self.call_from_thread(self._looked, lines)

    def _looked(self, lines: list[Line] | None) -> None:
        """Show the first look's lines (the calculator opens after the frame that shows them), or, without
        them, open the calculator now."""
        if not lines:
            self._open_calculator()
            return
        mark = styles.WARNING_MARK
        words = [Text((mark if kind == "warning" else "") + printable(text), styles.TEXT[kind]) for text, kind in lines]
        self.query_one("#first-look", Static).update(Group(*words, Text(), Text(OPENING, "bold")))
        self.first_look_shown = True
        self.call_after_refresh(self._open_calculator)

    def _open_calculator(self) -> None:
        if self._calculator is None and not self._leaving:  # (q during the first look: the app is closing)
            self._calculator = self._new_calculator(None)
            self.push_screen(self._calculator)

    def exit(self, result: None = None, return_code: int = 0, message: RenderableType | None = None) -> None:
        self._leaving = True
        super().exit(result, return_code, message)

    def action_help_quit(self) -> None:
        """Ctrl+C says how to quit, in plain words (Textual's own note is markup, and notes here are text)."""
        self.notify("Press q to quit the app.", title="Do you want to quit?")

    def _remember_theme(self, theme: object) -> None:
        """A theme chosen in the app is kept for next time (the theme setting)."""
        name = getattr(theme, "name", None)
        if not name or name == self.settings.theme:
            return
        try:
            self.settings = self.store.update_settings(theme=name)
        except (StoreError, ValueError) as exc:
            self.notify(f"The theme was not kept for next time: {exc}", severity="warning")

    def action_help(self) -> None:
        from blinacalc.tui.screens.help import HelpScreen

        self.push_screen(HelpScreen())

    def action_pin(self) -> None:
        self.calculator.toggle_pin()

    def action_toggle_chemo(self) -> None:
        self.calculator.show_chemo = not self.calculator.show_chemo

    def action_toggle_scenarios(self) -> None:
        self.calculator.show_scenarios = not self.calculator.show_scenarios

    def action_tab(self, tab: str) -> None:
        self.calculator.show_tab(tab)

    def action_step_tab(self, step: int) -> None:
        """Tabs move with [ and ]: keys that never collide with a factor's values (typed on a factor)."""
        self.calculator.step_tab(step)

    # --- saved scenarios -------------------------------------------------------------------------
    def _saved_names(self) -> frozenset[str] | None:
        try:
            return frozenset(self.store.scenarios())
        except StoreError as exc:  # a newer file: refuse, never rewrite
            self.notify(str(exc), severity="error", timeout=10)
            return None

    def action_save_scenario(self, then: Callable[[str], None] | None = None) -> None:
        """Ask for a name and label, then save the current factors."""
        from blinacalc.tui.screens.dialogs import NameDialog

        taken = self._saved_names()
        if taken is None:
            return
        current = self.calculator.scenario

        def save(named: Named | None) -> None:
            if named is None:
                return
            scenario = Scenario(named.name, self.calculator.patient, named.label)
            try:
                self.store.save_scenario(scenario, force=named.replace)
            except (StoreError, ScenarioExistsError) as exc:
                self.notify(str(exc), severity="error", timeout=10)
                return
            self.calculator.scenario = scenario
            self.notify(f"Saved {scenario.name}.")
            if then is not None:
                then(scenario.name)

        self.push_screen(
            NameDialog(
                "Save the current patient as a scenario",
                name=current.name if current else "",
                label=current.label if current else None,
                taken=taken,
            ),
            save,
        )

    def action_scenarios(self) -> None:
        from blinacalc.tui.screens.scenarios import ScenariosScreen

        if self._saved_names() is None:
            return

        def opened(scenario: Scenario | None) -> None:
            if scenario is not None:
                self.calculator.open_scenario(scenario)

        screen: ScenariosScreen = ScenariosScreen(
            self.store, lambda: self.action_save_scenario(then=screen.refresh_list)
        )
        self.push_screen(screen, opened)

    # --- export ----------------------------------------------------------------------------------
    def action_export(self, fmt: str = "markdown") -> None:
        """Ask where (the current folder by default), then write the report; replaces only if asked."""
        from blinacalc.tui.screens.dialogs import ExportDialog

        if self.calculator.prediction is None:
            self.notify("Nothing to export yet.", severity="warning")
            return
        default = Path.cwd() / f"blinacalc-report-{time.strftime('%Y%m%d-%H%M%S')}"
        self.push_screen(ExportDialog(default, fmt, write=self._write_export), self._exported)

    def _write_export(self, choice: ExportChoice) -> str | None:
        """Write the report as shown (pinned comparison and curves included); None, or what went wrong."""
        from blinacalc.report.export import render

        try:
            text = render(self.calculator.report(), choice.fmt)
            write_atomic(choice.path, text, overwrite=choice.replace, mode=PRIVATE_FILE)
        except FileExistsError:
            return f"{choice.path} appeared meanwhile; nothing was overwritten. Tick Replace or choose another name."
        except OSError as exc:
            return f"Could not write {choice.path}: {exc.strerror or exc}"
        return None

    def _exported(self, choice: ExportChoice | None) -> None:
        if choice is not None:
            self.notify(f"Report saved to {choice.path}")

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        if self._calculator is None:
            return  # (the calculator is opening)
        yield SystemCommand(
            "Compare: pin or unpin this patient", "Pin, then change a factor to compare", self.action_pin
        )
        yield SystemCommand(
            "Show or hide the chemotherapy comparator", "TOWER hazard ratio, cross-trial", self.action_toggle_chemo
        )
        yield SystemCommand(
            "Show or hide the what-if curves", "OS if CR/CRh is reached or not", self.action_toggle_scenarios
        )
        yield SystemCommand(
            "Save scenario", "Save the current factors under a name (Ctrl+S)", self.action_save_scenario
        )
        yield SystemCommand(
            "Saved scenarios: open, rename, delete", "Your saved what-if patients (o)", self.action_scenarios
        )
        for fmt in EXPORT_EXTENSIONS:
            yield SystemCommand(
                f"Export report as {fmt}",
                "Choose where; an existing file is replaced only if you tick Replace",
                lambda f=fmt: self.action_export(f),
            )
        yield SystemCommand(
            "Evidence, method and limitations",
            "Every published number and its place",
            lambda: self.action_tab("evidence"),
        )


def make_app(
    patient: Patient | None = None,
    *,
    draws: int = DEFAULT_DRAWS,
    seed: int = 0,
    settings: Settings | None = None,
    scenario: Scenario | None = None,
    warnings: Sequence[str] = (),
    alive_at: float | None = None,
    first: Future[Prediction] | None = None,
    first_look: FirstLook | None = None,
) -> BlinacalcApp:
    """The one app factory, for the entry point and the tests. Validate inputs before calling.

    The first prediction starts here (or earlier: ``first``, from :func:`blinacalc.tui.first.start` with the
    same inputs), so that it computes while Textual starts up; with ``first_look`` (:class:`FirstLook` for
    the same inputs), the app shows its lines first and starts the prediction when the calculator opens
    (``first`` is then not used)."""
    patient = as_shown(patient or Patient())  # as the inputs show it: the calculator computes for it
    if first is None and first_look is None:
        first = start(patient, draws, seed, alive_at)
    return BlinacalcApp(
        patient,
        draws=draws,
        seed=seed,
        settings=settings,
        scenario=scenario,
        warnings=warnings,
        alive_at=alive_at,
        first=first,
        first_look=first_look,
    )
