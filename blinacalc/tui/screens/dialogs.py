"""Small modal dialogs: a scenario name (and label), a yes/no question, and where to export a report.

Each dialog checks what it can and shows the problem inline; the caller does the saving and
reports I/O errors. Escape always cancels (the dialog returns None).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Select, Static

from blinacalc._text import printable
from blinacalc._value import value_type
from blinacalc.core.patient import InputError
from blinacalc.report import EXPORT_EXTENSIONS
from blinacalc.store import MAX_LABEL, NAME_RULE, check_label, check_name


class _Dialog(ModalScreen):
    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def action_cancel(self) -> None:
        self.dismiss(None)


class _FormDialog(_Dialog):
    """A dialog with fields: Enter in a field or the OK button submits; Cancel dismisses."""

    def show_error(self, message: str) -> None:
        self.query_one(".dialog-error", Static).update(Text(printable(message)))

    def on_input_submitted(self) -> None:
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self._submit() if event.button.id == "ok" else self.dismiss(None)

    def _submit(self) -> None:
        """Check the fields; dismiss with the result, or show what is wrong."""
        raise NotImplementedError


@value_type
class Named:
    name: str
    label: str | None
    replace: bool


class NameDialog(_FormDialog):
    """Ask for a scenario name, and (when saving) a label; ``taken`` names need the Replace box ticked."""

    def __init__(
        self,
        title: str,
        *,
        name: str = "",
        label: str | None = None,
        ask_label: bool = True,
        taken: frozenset[str] = frozenset(),
    ) -> None:
        super().__init__()
        self._title, self._name, self._label, self._ask_label, self._taken = title, name, label, ask_label, taken

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self._title, classes="dialog-title")
            with Horizontal(classes="dialog-row"):
                yield Label("Name", classes="dialog-label")
                yield Input(
                    self._name, placeholder="e.g. current or ecog-better", id="name", max_length=32, compact=True
                )
            if self._ask_label:
                with Horizontal(classes="dialog-row"):
                    yield Label("Label", classes="dialog-label")
                    yield Input(
                        self._label or "",
                        placeholder="optional, e.g. if ECOG improves",
                        id="label",
                        max_length=MAX_LABEL,
                        compact=True,
                    )
            yield Checkbox("Replace a scenario saved under this name", id="replace", compact=True)
            yield Static(
                f"Name: {NAME_RULE}. No patient names, dates of birth or record numbers.", classes="dialog-note"
            )
            yield Static(classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save", variant="primary", id="ok", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def _submit(self) -> None:
        name = self.query_one("#name", Input).value.strip()
        label = self.query_one("#label", Input).value if self._ask_label else None
        replace = self.query_one("#replace", Checkbox).value
        try:
            check_name(name)
            label = check_label(label)
        except InputError as exc:
            self.show_error(f"{exc.field.capitalize()}: {exc.message}")
            return
        if name in self._taken and not replace:
            self.show_error(f"A scenario named {name!r} is saved already: tick Replace, or choose another name.")
            return
        self.dismiss(Named(name, label, replace))


class ConfirmDialog(_Dialog):
    """A yes/no question; returns True for yes."""

    BINDINGS = [Binding("escape,n", "cancel", "No"), Binding("y", "yes", "Yes")]

    def __init__(self, question: str) -> None:
        super().__init__()
        self._question = question

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(self._question, classes="dialog-title")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Yes (y)", variant="error", id="yes", compact=True)
                yield Button("No (n)", id="no", compact=True)

    def action_yes(self) -> None:
        self.dismiss(True)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(True if event.button.id == "yes" else None)


@value_type
class ExportChoice:
    path: Path
    fmt: str
    replace: bool


class ExportDialog(_FormDialog):
    """Where to write the report and in which format. An existing file is replaced only if asked.

    ``write`` writes the choice and returns None, or an error message: the dialog then stays open with the
    message under the fields, so nothing typed is lost."""

    def __init__(
        self, default: Path, fmt: str = "markdown", write: Callable[[ExportChoice], str | None] | None = None
    ) -> None:
        super().__init__()
        self._default, self._fmt = default.resolve().with_suffix(EXPORT_EXTENSIONS[fmt]), fmt
        self._write = write

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Export the report", classes="dialog-title")
            with Horizontal(classes="dialog-row"):
                yield Label("Format", classes="dialog-label")
                yield Select(
                    [(f, f) for f in EXPORT_EXTENSIONS], value=self._fmt, allow_blank=False, id="fmt", compact=True
                )
            with Horizontal(classes="dialog-row"):
                yield Label("File", classes="dialog-label")
                yield Input(str(self._default), id="path", compact=True)
            yield Checkbox("Replace the file if it exists", id="replace", compact=True)
            yield Static(id="writes", classes="dialog-note")
            yield Static(classes="dialog-error")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Export", variant="primary", id="ok", compact=True)
                yield Button("Cancel", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#path", Input).focus()
        self._show_target()

    def on_input_changed(self) -> None:
        self._show_target()

    def _show_target(self) -> None:
        """The full path that Enter will write, before anything is written."""
        text = self.query_one("#path", Input).value.strip()
        where = str(Path(text).expanduser().resolve()) if text else "(no file name yet)"
        self.query_one("#writes", Static).update(Text(printable(f"Will write: {where}")))

    def on_select_changed(self, event: Select.Changed) -> None:
        """Follow the format with the file's extension, if it has one of ours."""
        box = self.query_one("#path", Input)
        path = Path(box.value)
        if path.suffix in EXPORT_EXTENSIONS.values():
            box.value = str(path.with_suffix(EXPORT_EXTENSIONS[str(event.value)]))

    def _submit(self) -> None:
        text = self.query_one("#path", Input).value.strip()
        if not text:
            self.show_error("Path: enter a file name.")
            return
        path = Path(text).expanduser()
        if path.is_dir():
            self.show_error(f"Path: {path} is a folder; add a file name.")
            return
        replace = self.query_one("#replace", Checkbox).value
        if path.exists() and not replace:
            self.show_error(f"{path} exists: tick Replace to overwrite it, or choose another name.")
            return
        choice = ExportChoice(path.resolve(), str(self.query_one("#fmt", Select).value), replace)
        problem = self._write(choice) if self._write is not None else None
        if problem is not None:
            self.show_error(problem)
            return
        self.dismiss(choice)
