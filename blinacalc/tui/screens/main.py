"""The calculator screen: factors on top, results in tabs. Handlers turn UI state into a Patient,
a worker calls ``predict``, and the result is assigned to a reactive that the views render.

The remission scenarios (most of a prediction's cost) are computed by the same worker after the
result is shown, then the views that use them are drawn again: an input change never waits for
them, and the main thread never computes them."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer, Header, Static, TabbedContent, TabPane
from textual.worker import get_current_worker

from blinacalc.core.evidence import load_evidence
from blinacalc.core.model import predict
from blinacalc.core.patient import Patient
from blinacalc.core.result import Prediction
from blinacalc.report import content as C
from blinacalc.report import evidenceview, richview
from blinacalc.store import Scenario
from blinacalc.tui.widgets.inputs import InputsPanel
from blinacalc.tui.widgets.survival import SurvivalPlot, colours_for, legend

TABS = ("survival", "response", "rfs", "scenarios", "harms", "evidence")


def _section(section: C.Section, skip: tuple[type, ...] = ()) -> RenderableType:
    blocks = [b for b in section.blocks if not isinstance(b, skip)]
    return richview.section(C.Section(section.key, section.title, tuple(blocks)))


class MainScreen(Screen):
    prediction: reactive[Prediction | None] = reactive(None)
    pinned: reactive[Prediction | None] = reactive(None)
    show_chemo: reactive[bool] = reactive(True)
    show_scenarios: reactive[bool] = reactive(False)

    scenario: reactive[Scenario | None] = reactive(None, init=False)

    def __init__(
        self,
        patient: Patient,
        draws: int,
        seed: int,
        *,
        landmarks: tuple[int, ...] = C.REPORT_LANDMARKS,
        scenario: Scenario | None = None,
        alive_at: float | None = None,
    ) -> None:
        super().__init__()
        self.patient = patient
        self.alive_at = alive_at
        self.draws = draws
        self.seed = seed
        self.landmarks = landmarks
        self.set_reactive(MainScreen.scenario, scenario)

    def compose(self) -> ComposeResult:
        yield Header()
        yield InputsPanel(self.patient, alive_at=self.alive_at, id="inputs")
        with TabbedContent(id="tabs"):
            with TabPane("Survival", id="survival"), Horizontal():
                with Vertical(id="plot-column"):
                    yield SurvivalPlot(id="os-plot")
                    yield Static(id="os-legend")
                with VerticalScroll(id="os-side"):
                    yield Static("Computing…", id="os-summary")
            for pane_id, title in (
                ("response", "Response"),
                ("rfs", "RFS"),
                ("scenarios", "Scenarios"),
                ("harms", "Harms"),
            ):
                with TabPane(title, id=pane_id), VerticalScroll():
                    yield Static(id=f"{pane_id}-view")
            with TabPane("Evidence & method", id="evidence"), VerticalScroll():
                yield Static(id="uncertainty-view")
                yield Static(self._evidence(), id="evidence-view")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "blinacalc"
        self._show_scenario()
        self.query_one("#harms-view", Static).update(_section(C.potential_harms()))
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._render_survival())
        self.compute(self.patient, self.alive_at)

    # --- inputs -> prediction ------------------------------------------------------------------
    def on_inputs_panel_changed(self, event: InputsPanel.Changed) -> None:
        if (event.patient, event.alive_at) == (self.patient, self.alive_at):
            return  # e.g. each selector reports its initial value on mount: nothing to recompute
        self.patient = event.patient
        self.alive_at = event.alive_at
        self._show_scenario()
        self.compute(event.patient, event.alive_at)

    def open_scenario(self, scenario: Scenario) -> None:
        """Show a saved scenario: its factors go into the inputs, which recompute as usual."""
        self.scenario = scenario
        self.query_one(InputsPanel).set_patient(scenario.patient)
        self.notify(f"Opened {scenario.name}.", timeout=3)

    def watch_scenario(self) -> None:
        self._show_scenario()

    def _show_scenario(self) -> None:
        """The header names the saved scenario shown, and says when a factor has since changed."""
        base = f"illustrative, not for clinical decisions · evidence {load_evidence().version}"
        sc = self.scenario
        if sc is None:
            self.sub_title = base
        else:
            changed = "" if sc.patient == self.patient else ", changed"
            self.sub_title = f"{sc.name}{changed} · {base}"

    @work(thread=True, exclusive=True, group="predict")
    def compute(self, patient: Patient, alive_at: float | None = None) -> None:
        worker = get_current_worker()
        result = predict(patient, draws=self.draws, seed=self.seed, alive_at_months=alive_at)
        if worker.is_cancelled:
            return
        self.app.call_from_thread(self._deliver, patient, alive_at, result)  # returns once the views are updated
        # Scheduling this after the next screen refresh instead (call_after_refresh) delayed that
        # refresh by about 10 ms: computing alongside it is faster on two or more cores.
        result.scenarios.compute()
        if not worker.is_cancelled:
            self.app.call_from_thread(self._scenarios_ready, result)

    def _deliver(self, patient: Patient, alive_at: float | None, result: Prediction) -> None:
        if (patient, alive_at) == (self.patient, self.alive_at):  # a result for inputs since changed is dropped
            self.prediction = result

    def _scenarios_ready(self, result: Prediction) -> None:
        if result == self.prediction and result is not self.prediction:
            # An equal result (same inputs) was delivered while this one was shown: keep the one with
            # its scenarios computed, without redrawing the rest.
            self.set_reactive(MainScreen.prediction, result)
        if result is self.prediction:
            self._render_scenarios()
            if self.show_scenarios:
                self._render_survival()

    # --- prediction -> views -------------------------------------------------------------------
    def watch_prediction(self) -> None:
        self._render_all()

    def watch_pinned(self) -> None:
        self._render_survival()

    def watch_show_chemo(self) -> None:
        self._render_survival()

    def watch_show_scenarios(self) -> None:
        self._render_survival()

    def _render_all(self) -> None:
        pred = self.prediction
        if pred is None:
            return
        self._render_survival()
        self.query_one("#response-view", Static).update(_section(C.response(pred)))
        self.query_one("#rfs-view", Static).update(_section(C.relapse_free_survival(pred)))
        self.query_one("#uncertainty-view", Static).update(Group(_section(C.uncertainty(pred)), Text()))
        self._render_scenarios()

    def _render_scenarios(self) -> None:
        pred = self.prediction
        assert pred is not None
        view = self.query_one("#scenarios-view", Static)
        if pred.scenarios.computed:
            view.update(Group(_section(C.scenarios(pred)), Text(), _section(C.reference_curves(pred))))
        else:
            view.update("Computing…")

    def _render_survival(self) -> None:
        pred = self.prediction
        if pred is None or not self.is_mounted:
            return
        # The what-if curves join the plot when the worker has computed them (_scenarios_ready).
        what_if = self.show_scenarios and pred.scenarios.computed
        series = C.os_series(pred, chemo=self.show_chemo, scenarios=what_if, pinned=self.pinned)
        colours = colours_for(self.app.current_theme.dark)
        self.query_one(SurvivalPlot).draw(series, colours)
        self.query_one("#os-legend", Static).update(legend(series, colours))
        parts: list[RenderableType] = [richview.paragraph(C.Text(w, "warning")) for w in pred.warnings]
        parts.append(_section(C.overall_survival(pred, compact=True, landmarks=self.landmarks), skip=(C.Plot,)))
        if self.pinned is not None:
            parts += [Text(), _section(C.comparison(pred, self.pinned, self.landmarks))]
        self.query_one("#os-summary", Static).update(Group(*parts))

    def _evidence(self) -> RenderableType:
        report = evidenceview.report(load_evidence())
        return Group(_section(C.limitations()), Text(), *(richview.section(s) for s in report.sections))

    def report(self) -> C.Report:
        """The full report for the patient shown, as exported."""
        assert self.prediction is not None
        sc = self.scenario
        title = sc.title if sc is not None and sc.patient == self.patient else None
        return C.build(self.prediction, landmarks=self.landmarks, scenario=title)

    # --- actions (bound in the app) ------------------------------------------------------------
    def toggle_pin(self) -> None:
        if self.pinned is None and self.prediction is not None:
            self.pinned = self.prediction
            self.notify("Pinned this patient: change a factor to compare.", timeout=3)
        else:
            self.pinned = None

    def show_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
