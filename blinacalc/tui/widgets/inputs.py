"""The four baseline factors, keyboard-first: Tab between them, Enter to open, arrows or type, Enter."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Label, Select, Static

from blinacalc.core.patient import Patient
from blinacalc.report import labels as L

MAX_SALVAGE_OPTION = 5  # "5th or later"; the model treats every line after the 1st alike

OPTIONS: dict[str, list[tuple[str, object]]] = {
    "ecog": [(f"{grade} · {text}", grade) for grade, text in L.ECOG_GRADES.items()] + [(L.UNKNOWN, L.UNKNOWN)],
    "salvage_line": [(f"{L.ordinal(n)} salvage", n) for n in range(1, MAX_SALVAGE_OPTION)]
    + [(f"{L.ordinal(MAX_SALVAGE_OPTION)} or later", MAX_SALVAGE_OPTION), (L.UNKNOWN, L.UNKNOWN)],
    "prior_hsct": [("yes", True), ("no", False), (L.UNKNOWN, L.UNKNOWN)],
    "t411": [("yes", True), ("no", False), (L.UNKNOWN, L.UNKNOWN)],
}
SHORT_NAMES = {"ecog": "ECOG", "salvage_line": "Salvage", "prior_hsct": "Prior HSCT", "t411": "t(4;11)"}


def _option_value(name: str, value: int | bool | None) -> object:
    if value is None:
        return L.UNKNOWN
    if name == "salvage_line":
        return min(int(value), MAX_SALVAGE_OPTION)
    return value


class InputsPanel(Widget):
    """Posts :class:`InputsPanel.Changed` with a validated :class:`Patient` whenever a factor changes."""

    class Changed(Message):
        def __init__(self, patient: Patient) -> None:
            super().__init__()
            self.patient = patient

    def __init__(self, patient: Patient, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._initial = patient

    def compose(self) -> ComposeResult:
        values = self._initial.to_dict()
        for pair in (("ecog", "salvage_line"), ("prior_hsct", "t411")):
            with Horizontal(classes="factors"):
                for name in pair:
                    yield Label(SHORT_NAMES[name], classes="factor-label")
                    yield Select(
                        OPTIONS[name],
                        value=_option_value(name, values[name]),
                        allow_blank=False,
                        compact=True,
                        id=name,
                        classes="factor",
                        tooltip=L.INPUT_NAMES[name],
                    )
        yield Static(f"{L.ECOG_REFUSED} Enter no names or record numbers.", classes="note")

    @property
    def patient(self) -> Patient:
        def value(name: str) -> object:
            v = self.query_one(f"#{name}", Select).value
            return None if v == L.UNKNOWN else v

        return Patient(
            ecog=value("ecog"),  # type: ignore[arg-type]
            salvage_line=value("salvage_line"),  # type: ignore[arg-type]
            prior_hsct=value("prior_hsct"),  # type: ignore[arg-type]
            t411=value("t411"),  # type: ignore[arg-type]
        )

    def set_patient(self, patient: Patient) -> None:
        for name, v in patient.to_dict().items():
            self.query_one(f"#{name}", Select).value = _option_value(name, v)

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        self.post_message(self.Changed(self.patient))
