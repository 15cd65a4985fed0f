"""Help: the keys, what the numbers are, and the limitations."""

from __future__ import annotations

from rich.console import Group
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from blinacalc.report import content as C
from blinacalc.report import labels as L
from blinacalc.report import richview

KEYS = (
    ("Tab / Shift+Tab", "move between the factors, the tab row and the results"),
    ("0 1 2 … / y n u", "on a factor: type its value (ECOG 0-2, salvage line 1-5, yes/no/unknown); no need to open it"),
    ("Up / Down", "on a factor: step to the previous or next value"),
    ("Enter", "open a factor's list"),
    ("[ / ]", "previous / next tab (Survival, Compare, Response, RFS, Scenarios, Harms, Evidence & method)"),
    ("p", "pin this patient and open Compare; change a factor to compare (p again unpins)"),
    ("c", "show or hide the standard-chemotherapy comparator"),
    ("s", "show or hide the what-if curves (CR/CRh reached or not, from the 3-month landmark)"),
    ("Survival selector", "from first dose, or given alive at a follow-up visit (months after first dose)"),
    ("Ctrl+S", "save the current factors as a named scenario (no identifiers)"),
    ("o", "saved scenarios: open (Enter), save (n), rename (r), delete (d)"),
    ("m", "evidence, method and limitations"),
    ("e", "export the report: choose the file and format; replaces only if asked"),
    ("Ctrl+P", "command palette: export, compare, theme, ..."),
    ("?", "this help; Escape closes it"),
    ("q, Ctrl+Q", "quit"),
)


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "app.pop_screen", "Close")]

    def compose(self) -> ComposeResult:
        keys = C.Table(("Key", "Does"), KEYS, numeric=False)
        body = Group(
            Text("blinacalc help", "bold"),
            richview.paragraph(C.Text(L.DISCLAIMER, "warning")),
            richview.paragraph(C.Text(L.ECOG_REFUSED, "note")),
            Text(),
            richview.table(keys),
            Text(),
            richview.paragraph(C.applicability()),
            Text(),
            richview.section(C.definitions()),
            Text(),
            richview.section(C.limitations()),
        )
        with VerticalScroll(id="help"):
            yield Static(body)
