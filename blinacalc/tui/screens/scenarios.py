"""Saved scenarios: open one into the calculator, save the current patient, rename or delete.

The screen talks to the app's :class:`~blinacalc.store.Store`; opening dismisses with the chosen
:class:`~blinacalc.store.Scenario`, which the app hands to the calculator.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList, Static
from textual.widgets.option_list import Option

from blinacalc._text import printable
from blinacalc.report import labels as L
from blinacalc.store import Scenario, ScenarioExistsError, Store, StoreError, UnknownScenarioError
from blinacalc.tui.screens.dialogs import ConfirmDialog, Named, NameDialog


def describe(scenario: Scenario) -> Text:
    """The list entry: plain text (a label from an old or edited file is never read as markup)."""
    factors = L.factors_line(scenario.patient.to_dict())
    label = f" — {printable(scenario.label)}" if scenario.label else ""
    return Text(f"{scenario.name}{label}\n  {factors}")


class ScenariosScreen(ModalScreen[Scenario | None]):
    BINDINGS = [
        Binding("escape", "dismiss_none", "Close"),
        Binding("n", "save_current", "Save current"),
        Binding("r", "rename", "Rename"),
        Binding("d,delete", "delete", "Delete"),
    ]

    def __init__(self, store: Store, save_current: Callable[[], None]) -> None:
        super().__init__()
        self.store = store
        self._save_current = save_current  # the app's save action, which returns here when done
        self.saved: dict[str, Scenario] = {}

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog", id="scenarios"):
            yield Label("Saved scenarios", classes="dialog-title")
            yield OptionList(id="scenario-list")
            yield Static(
                "Enter open · n save the current patient · r rename · d delete · Esc close",
                classes="dialog-note",
            )
            yield Static(classes="dialog-error")

    def on_mount(self) -> None:
        self.refresh_list()

    def refresh_list(self, highlight: str | None = None) -> None:
        try:
            self.saved = self.store.scenarios()
        except StoreError as exc:
            self.saved = {}
            self.query_one(".dialog-error", Static).update(Text(printable(str(exc))))
        options = self.query_one(OptionList)
        options.clear_options()
        if not self.saved:
            options.add_option(Option("No saved scenarios yet: press n to save the current patient.", disabled=True))
            return
        options.add_options(Option(describe(s), id=name) for name, s in self.saved.items())
        names = list(self.saved)
        options.highlighted = names.index(highlight) if highlight in names else 0

    def _current(self) -> Scenario | None:
        options = self.query_one(OptionList)
        if options.highlighted is None:
            return None
        option = options.get_option_at_index(options.highlighted)
        return self.saved.get(option.id or "")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        if event.option.id in self.saved:
            self.dismiss(self.saved[event.option.id])

    def action_dismiss_none(self) -> None:
        self.dismiss(None)

    def action_save_current(self) -> None:
        self._save_current()

    def action_rename(self) -> None:
        scenario = self._current()
        if scenario is None:
            return

        def done(named: Named | None) -> None:
            if named is None or named.name == scenario.name:
                return
            try:
                self.store.rename_scenario(scenario.name, named.name, force=named.replace)
            except (StoreError, UnknownScenarioError, ScenarioExistsError) as exc:
                self.app.notify(str(exc), severity="error")
            self.refresh_list(named.name)

        taken = frozenset(self.saved) - {scenario.name}
        self.app.push_screen(
            NameDialog(f"Rename {scenario.name}", name=scenario.name, ask_label=False, taken=taken), done
        )

    def action_delete(self) -> None:
        scenario = self._current()
        if scenario is None:
            return

        def done(yes: bool | None) -> None:
            if not yes:
                return
            try:
                self.store.delete_scenario(scenario.name)
            except (StoreError, UnknownScenarioError) as exc:
                self.app.notify(str(exc), severity="error")
            else:
                self.app.notify(f"Deleted {scenario.name}.")
            self.refresh_list()

        self.app.push_screen(ConfirmDialog(f"Delete the saved scenario {scenario.name!r}?"), done)
