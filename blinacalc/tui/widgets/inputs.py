"""The four baseline factors, keyboard-first: Tab between them, Enter to open, arrows or type, Enter."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Label, Select, Static

from blinacalc.core import factors as F
from blinacalc.core.patient import Patient
from blinacalc.report import labels as L


def options(f: F.Factor) -> list[tuple[str, object]]:
    """A factor's pick list: its levels in words (the last one "or later" where open-ended), then unknown."""
    out: list[tuple[str, object]] = []
    for i, value in enumerate(f.levels):
        if f.style == "grade":
            text = f"{value} · {dict(f.levels_text)[value]}"
        elif f.style == "ordinal":
            text = f"{F.ordinal(int(value))} salvage"  # type: ignore[call-overload]
            if f.open_top and i == len(f.levels) - 1:
                text = f"{F.ordinal(int(value))} or later"  # type: ignore[call-overload]
        else:
            text = "yes" if value else "no"
        out.append((text, value))
    return [*out, (L.UNKNOWN, L.UNKNOWN)]


FROM_FIRST_DOSE = "from first dose"
ALIVE_AT_MONTHS = (3, 6, 9, 12, 18, 24, 36, 48)


def alive_at_options(current: float | None) -> list[tuple[str, object]]:
    """Conditioning months offered (and ``current`` if it is another value, e.g. from ``--alive-at``)."""
    months = sorted({*ALIVE_AT_MONTHS, *(() if current is None else (current,))})
    return [(FROM_FIRST_DOSE, FROM_FIRST_DOSE)] + [(f"alive at {m:g} mo", float(m)) for m in months]


def _option_value(f: F.Factor, value: object) -> object:
    if value is None:
        return L.UNKNOWN
    if f.open_top and isinstance(value, int) and not isinstance(value, bool):
        return min(value, int(f.levels[-1]))  # type: ignore[call-overload]
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
        table = F.factors()
        for pair in (table[i : i + 2] for i in range(0, len(table), 2)):
            with Horizontal(classes="factors"):
                for f in pair:
                    yield Label(f.short, classes="factor-label")
                    yield Select(
                        options(f),
                        value=_option_value(f, values[f.name]),
                        allow_blank=False,
                        compact=True,
                        id=f.name,
                        classes="factor",
                        tooltip=f.label,
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

        return Patient(**{f.name: value(f.name) for f in F.factors()})

    @property
    def alive_at(self) -> float | None:
        v = self.query_one("#alive_at", Select).value
        return None if v == FROM_FIRST_DOSE else float(v)  # type: ignore[arg-type]

    def set_patient(self, patient: Patient) -> None:
        for f in F.factors():
            self.query_one(f"#{f.name}", Select).value = _option_value(f, getattr(patient, f.name))

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        self.post_message(self.Changed(self.patient, self.alive_at))
