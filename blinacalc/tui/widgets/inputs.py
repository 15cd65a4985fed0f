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
FROM_FIRST_DOSE = "from first dose"
ALIVE_AT_MONTHS = (3, 6, 9, 12, 18, 24, 36, 48)


def alive_at_options(current: float | None) -> list[tuple[str, object]]:
    """Conditioning months offered (and ``current`` if it is another value, e.g. from ``--alive-at``)."""
    months = sorted({*ALIVE_AT_MONTHS, *(() if current is None else (current,))})
    return [(FROM_FIRST_DOSE, FROM_FIRST_DOSE)] + [(f"alive at {m:g} mo", float(m)) for m in months]


def _option_value(name: str, value: int | bool | None) -> object:
    if value is None:
        return L.UNKNOWN
    if name == "salvage_line":
        return min(int(value), MAX_SALVAGE_OPTION)
    return value


class InputsPanel(Widget):
    """Posts :class:`InputsPanel.Changed` with a validated :class:`Patient` whenever a factor changes."""

    class Changed(Message):
        def __init__(self, patient: Patient, alive_at: float | None) -> None:
            super().__init__()
            self.patient = patient
            self.alive_at = alive_at

    def __init__(self, patient: Patient, *, alive_at: float | None = None, id: str | None = None) -> None:
        super().__init__(id=id)
        self._initial = patient
        self._alive_at = alive_at

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
        with Horizontal(classes="factors"):
            yield Label("Survival", classes="factor-label")
            yield Select(
                alive_at_options(self._alive_at),
                value=FROM_FIRST_DOSE if self._alive_at is None else self._alive_at,
                allow_blank=False,
                compact=True,
                id="alive_at",
                classes="factor",
                tooltip="Survival from the first dose, or given alive at a follow-up visit (months after first dose)",
            )
        yield Static("ECOG 3-4 not offered: outside both trials (see ?). No names or record numbers.", classes="note")

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

    @property
    def alive_at(self) -> float | None:
        v = self.query_one("#alive_at", Select).value
        return None if v == FROM_FIRST_DOSE else float(v)  # type: ignore[arg-type]

    def set_patient(self, patient: Patient) -> None:
        for name, v in patient.to_dict().items():
            self.query_one(f"#{name}", Select).value = _option_value(name, v)

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        self.post_message(self.Changed(self.patient, self.alive_at))
