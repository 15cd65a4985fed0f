"""The baseline factors, keyboard-first: Tab between them; pick lists open with Enter (arrows or type,
Enter); the additional numeric factors (marrow blasts, age) are typed, blank meaning unknown."""

from __future__ import annotations

from functools import partial
from typing import Any

from textual import events
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Input, Label, Select, Static

from blinacalc.core import factors as F
from blinacalc.core.patient import Patient
from blinacalc.report import labels as L
from blinacalc.tui.values import NUMBER_CHARS, clamped, number_text


def options(f: F.Factor) -> list[tuple[str, object]]:
    """A factor's pick list: its levels in words (the last one "or later" where open-ended), then unknown.

    Ordinal levels the model does not tell apart say so: every line after the first non-numerator one is
    modelled like it ("3rd salvage · as 2nd")."""
    out: list[tuple[str, object]] = []
    others = [v for v in f.levels if v not in f.numerator]
    for i, value in enumerate(f.levels):
        if f.style == "grade":
            text = f"{value} · {dict(f.levels_text)[value]}"
        elif f.style == "ordinal":
            text = f"{F.ordinal(int(value))} salvage"  # type: ignore[call-overload]
            if f.open_top and i == len(f.levels) - 1:
                text = f"{F.ordinal(int(value))} or later"  # type: ignore[call-overload]
            if others and value != others[0] and value in others:
                text += f" · as {F.ordinal(int(others[0]))}"  # type: ignore[call-overload]
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
    return L.UNKNOWN if value is None else clamped(f, value)


def typed_value(f: F.Factor, character: str) -> object:
    """The value a keystroke picks on a closed factor: a digit for an integer factor (the last level for any
    higher digit where the list is open-ended), y/n for yes/no; u for unknown; ``None`` for any other key."""
    if character == "u":
        return L.UNKNOWN
    if f.kind == "boolean":
        return {"y": True, "n": False}.get(character)
    if character.isdigit() and character.isascii():
        value = int(character)
        if value in f.levels:
            return value
        top = f.levels[-1]
        if f.open_top and isinstance(top, int) and value > top:
            return top
    return None


class RowSelect(Select[object]):
    """A pick list on a row of its own fixed size: a new value's label is drawn without laying the screen out
    again (Select's own watcher asks for a layout pass, 3-5 ms at 120 x 40, and it came before the new
    value's prediction could start)."""

    def _watch_value(self, value: object) -> None:
        labels = list(self.query("SelectCurrent #label").results(Static))  # none before the list is composed
        for label in labels:
            label.update = partial(type(label).update, label, layout=False)  # type: ignore[method-assign]
        try:
            super()._watch_value(value)
        finally:
            for label in labels:
                del label.update


class FactorSelect(RowSelect):
    """A factor's pick list that also takes its value typed while closed (``0``-``2``, ``y``/``n``/``u``)
    and steps with Up/Down; Enter or Space opens the list."""

    BINDINGS = [
        Binding("enter,space", "show_overlay", "Show menu", show=False),
        Binding("up", "step(-1)", "Previous value", show=False),
        Binding("down", "step(1)", "Next value", show=False),
    ]

    def __init__(self, factor: F.Factor, **kwargs: Any) -> None:
        super().__init__(options(factor), **kwargs)
        self.factor = factor

    def on_key(self, event: events.Key) -> None:
        if self.expanded or event.character is None:
            return
        value = typed_value(self.factor, event.character.lower())
        if value is not None:
            self.value = value
            event.stop()
            event.prevent_default()

    def action_step(self, step: int) -> None:
        values = [v for _, v in options(self.factor)]
        i = values.index(self.value) if self.value in values else 0
        self.value = values[max(0, min(len(values) - 1, i + step))]


class NumberInput(Input):
    """An additional factor typed as a number (blank: unknown); checked at the door like the command line."""

    def __init__(self, factor: F.Factor, value: object, **kwargs: Any) -> None:
        super().__init__(
            value=number_text(value),
            placeholder="unknown",
            restrict=r"[0-9.%]*",
            max_length=NUMBER_CHARS,
            compact=True,
            **kwargs,
        )
        self.factor = factor

    def parsed(self) -> tuple[object, str | None]:
        """(value, None) for a value the model accepts, blank meaning unknown; (None, message) otherwise."""
        from blinacalc.core.patient import InputError, check_value

        try:
            value = F.parse_text(self.factor, self.value)
            check_value(self.factor, value)
        except ValueError as exc:
            message = exc.message if isinstance(exc, InputError) else str(exc)
            return None, f"{self.factor.short}: {message}"
        return value, None


def _above_maximum(box: NumberInput) -> bool:
    """A number above the factor's maximum: typing more digits can only make it larger."""
    from blinacalc._text import parse_decimal

    text = box.value.strip().removesuffix("%")
    number = parse_decimal(text) if text else None
    top = box.factor.maximum
    return number is not None and top is not None and number > top


NOTE = "ECOG 3-4 not offered: outside both trials (see ?). No names or record numbers."


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
        # The continuous factors' last values the model accepted (a refused one in its box keeps these).
        self._accepted: dict[str, object] = {f.name: getattr(patient, f.name) for f in F.continuous()}

    def compose(self) -> ComposeResult:
        values = self._initial.to_dict()
        table = F.binary()
        for pair in (table[i : i + 2] for i in range(0, len(table), 2)):
            with Horizontal(classes="factors"):
                for f in pair:
                    yield Label(f.short, classes="factor-label")
                    yield FactorSelect(
                        f,
                        value=_option_value(f, values[f.name]),
                        allow_blank=False,
                        compact=True,
                        id=f.name,
                        classes="factor",
                        tooltip=f.label,
                    )
        with Horizontal(classes="factors"):
            yield Label("Survival", classes="factor-label")
            yield RowSelect(
                alive_at_options(self._alive_at),
                value=FROM_FIRST_DOSE if self._alive_at is None else self._alive_at,
                allow_blank=False,
                compact=True,
                id="alive_at",
                classes="factor",
                tooltip="Survival from the first dose, or given alive at a follow-up visit (months after first dose)",
            )
            for f in F.continuous():  # the additional factors, typed; blank is unknown
                yield Label(f.short, classes="number-label")
                yield NumberInput(f, values[f.name], id=f.name, classes="number", tooltip=f"{f.label}: {f.help}")
        yield Static(NOTE, id="inputs-note", classes="note")

    @property
    def patient(self) -> Patient:
        """The factors shown; a typed value the model refuses keeps the last accepted one (its error is shown)."""

        def value(f: F.Factor) -> object:
            if f.continuous:
                return self._accepted.get(f.name)
            v = self.query_one(f"#{f.name}", Select).value
            return None if v == L.UNKNOWN else v

        return Patient(**{f.name: value(f) for f in F.factors()})

    @property
    def alive_at(self) -> float | None:
        v = self.query_one("#alive_at", Select).value
        return None if v == FROM_FIRST_DOSE else float(v)  # type: ignore[arg-type]

    def set_patient(self, patient: Patient) -> None:
        for f in F.binary():
            self.query_one(f"#{f.name}", Select).value = _option_value(f, getattr(patient, f.name))
        for f in F.continuous():
            value = getattr(patient, f.name)
            self._accepted[f.name] = value
            self.query_one(f"#{f.name}", NumberInput).value = number_text(value)
        self.post_message(self.Changed(self.patient, self.alive_at))

    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        self.post_message(self.Changed(self.patient, self.alive_at))

    def on_input_changed(self, event: Input.Changed) -> None:
        """A value the model accepts applies at once; a refused one waits (it may be half typed: age "6" on
        the way to "65") and its error shows when the field is left or Enter is pressed, or at once when more
        typing cannot mend it (a number above the maximum)."""
        event.stop()
        box = event.input
        assert isinstance(box, NumberInput)
        value, error = box.parsed()
        box.set_class(error is not None, "-refused")
        if error is None:
            # Another box may still hold a refused value: its error stays in view (found by review: typing in
            # one box cleared the other's error, leaving a value on screen that the results do not use).
            self._show_error(next(filter(None, map(self._refusal, self.query(NumberInput))), None))
            if self._accepted.get(box.factor.name) != value:
                self._accepted[box.factor.name] = value
                self.post_message(self.Changed(self.patient, self.alive_at))
        elif _above_maximum(box):
            self._check(box)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._check(event.input)

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        if isinstance(event.widget, NumberInput):
            self._check(event.widget)

    def _check(self, box: Input) -> None:
        assert isinstance(box, NumberInput)
        message = self._refusal(box)
        if message is not None:
            self._show_error(message)

    def _refusal(self, box: NumberInput) -> str | None:
        """The box's value refused, and what the results are for instead; None if the model accepts it."""
        _, error = box.parsed()
        if error is None:
            return None
        kept = F.inline_words(box.factor, self._accepted.get(box.factor.name))
        return f"⚠ {error}. Results are for {kept}."

    def _show_error(self, message: str | None) -> None:
        from rich.text import Text

        note = self.query_one("#inputs-note", Static)
        note.update(NOTE if message is None else Text(message, style="bold"))
        note.set_class(message is not None, "-error")
