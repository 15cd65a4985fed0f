"""The calculator screen: factors on top, results in tabs. Handlers turn UI state into a Patient,
a worker calls ``predict``, and the result is assigned to a reactive that the views render.

The remission scenarios (most of a prediction's cost) are computed by the same worker after the
result is shown, then the views that use them are drawn again: an input change never waits for
them, and the main thread never computes them."""

from __future__ import annotations

import threading
from concurrent.futures import Future, wait

from rich.console import Group, RenderableType
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.reactive import reactive
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Header, Static, TabbedContent, TabPane
from textual.worker import Worker, get_current_worker

from blinacalc.core import factors as F
from blinacalc.core.evidence import load_evidence
from blinacalc.core.model import predict
from blinacalc.core.patient import Patient
from blinacalc.core.result import Prediction
from blinacalc.report import content as C
from blinacalc.report import evidenceview, richview
from blinacalc.report import labels as L
from blinacalc.report.plot import Series
from blinacalc.store import Scenario
from blinacalc.tui.widgets.inputs import InputsPanel, options
from blinacalc.tui.widgets.result import ResultView
from blinacalc.tui.widgets.survival import SurvivalPlot, colours_for, legend

TABS = ("survival", "compare", "response", "rfs", "scenarios", "harms", "evidence")
UPDATING = "⟳ updating…"
PREVIOUS = " (the numbers below are for the previous inputs)"
# The other tabs' views of the patient's result: marked, like the Survival tab's, while a new one computes.
TAB_VIEWS = ("#response-view", "#rfs-view", "#scenarios-view", "#uncertainty-view")
STALE_AFTER = 0.08  # seconds: a result that takes longer is marked as updating meanwhile
# How long the screen's mount waits for the first prediction (started before the app) so that the first
# frame shows it; if it is later than this (the draws are being built: the first run ever) the screen is
# shown marked "updating…" and the result follows.
FIRST_WAIT = 0.15
# Predictions kept by a screen: each holds its OS draws for its scenarios (2 MB at 2,000 draws), so fewer
# are kept with more draws (about 32 MB in all); above AHEAD_DRAWS nothing is computed ahead (a prediction's
# time grows with its draws, and twelve of them would keep a processor busy long after every change).
KEEP_AHEAD = 16
AHEAD_DRAWS = 5000


def keep_ahead(draws: int) -> int:
    """How many predictions a screen keeps at ``draws`` draws: :data:`KEEP_AHEAD` at up to 2,000, fewer
    above (never under 2)."""
    return max(2, min(KEEP_AHEAD, KEEP_AHEAD * 2000 // draws))


def _section(section: C.Section, skip: tuple[type, ...] = ()) -> RenderableType:
    blocks = [b for b in section.blocks if not isinstance(b, skip)]
    return richview.section(C.Section(section.key, section.title, tuple(blocks)))


def one_pick_away(patient: Patient) -> list[Patient]:
    """The patients one pick list's change away: each binary factor at each of its other values."""
    values = {f.name: getattr(patient, f.name) for f in F.factors()}
    out = []
    for f in F.binary():
        for _, option in options(f):
            value = None if option == L.UNKNOWN else option
            if value != values[f.name]:
                out.append(Patient(**{**values, f.name: value}))
    return out


class MainScreen(Screen):
    # Predict the inputs one pick away while idle (tests and the benchmark's "computed" figure turn it off).
    COMPUTE_AHEAD = True

    # Each watcher redraws the views that show the value. A reactive's default repaint=True also repainted
    # the whole screen (every widget, the footer's keys included) on each new result: about 3 ms a change.
    prediction: reactive[Prediction | None] = reactive(None, repaint=False)
    pinned: reactive[Prediction | None] = reactive(None, repaint=False)
    show_chemo: reactive[bool] = reactive(True, repaint=False)
    show_scenarios: reactive[bool] = reactive(False, repaint=False)
    updating: reactive[bool] = reactive(True, init=False, repaint=False)

    scenario: reactive[Scenario | None] = reactive(None, init=False, repaint=False)

    def __init__(
        self,
        patient: Patient,
        draws: int,
        seed: int,
        *,
        landmarks: tuple[int, ...] = C.REPORT_LANDMARKS,
        scenario: Scenario | None = None,
        alive_at: float | None = None,
        first: Future[Prediction] | None = None,
    ) -> None:
        super().__init__()
        self._views_ready = False
        self._tabs_marked = False  # the tab views carry the "updating" line
        self._first = first  # the first prediction, for exactly these inputs, started before the app
        self.patient = patient
        self.alive_at = alive_at
        self._stale_timer: Timer | None = None
        self._compare_empty = False
        self.draws = draws
        self.seed = seed
        # Predictions for this screen's draws and seed, by inputs, the most recent last (compute, _keep).
        self._ahead: dict[tuple[Patient, float | None], Prediction] = {}
        self._ahead_lock = threading.Lock()
        self.landmarks = landmarks
        self.set_reactive(MainScreen.scenario, scenario)

    def compose(self) -> ComposeResult:
        yield Header()
        yield InputsPanel(self.patient, alive_at=self.alive_at, id="inputs")
        with TabbedContent(id="tabs"):
            with TabPane("Survival", id="survival"), Horizontal():
                with Vertical(id="plot-column"):
                    yield SurvivalPlot(id="os-plot")
                    yield ResultView(id="os-legend")
                # The headline (median, 1 year, every warning) heads the side column, which scrolls: a box of
                # its own cut warnings off (the first lines of three, at 80 x 24); each new patient is shown
                # from the top.
                with Vertical(id="side"), VerticalScroll(id="os-side"):
                    yield ResultView(UPDATING, id="headline")
                    yield ResultView(id="os-summary")
            with TabPane("Compare", id="compare"), VerticalScroll():
                yield ResultView(id="compare-view")
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
                yield Static(id="evidence-view")
        yield Footer()

    def on_mount(self) -> None:
        self._views_ready = True  # composed: the views can be drawn (is_mounted turns true only after this)
        self.title = "blinacalc"
        self._show_scenario()
        self.call_after_refresh(self._fixed_views)  # not on the first screen: drawn after its first frame
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._render_survival())
        self.watch_updating(True)
        first, self._first = self._first, None
        if first is not None and wait([first], FIRST_WAIT).done and first.exception() is None:
            self._deliver(self.patient, self.alive_at, first.result())  # drawn into the first frame
        self.compute(self.patient, self.alive_at, first)

    # --- inputs -> prediction ------------------------------------------------------------------
    def on_inputs_panel_changed(self, event: InputsPanel.Changed) -> None:
        if (event.patient, event.alive_at) == (self.patient, self.alive_at):
            return  # e.g. each selector reports its initial value on mount: nothing to recompute
        self.patient = event.patient
        self.alive_at = event.alive_at
        # Mark the shown result as stale only if the new one takes longer than a glance (most arrive within
        # a frame or two, and marking them would cost two extra redraws per change).
        if self._stale_timer is not None:
            self._stale_timer.stop()
        self._stale_timer = self.set_timer(STALE_AFTER, self._mark_stale)
        self._show_scenario()
        self.compute(event.patient, event.alive_at)

    def on_resize(self) -> None:
        self._show_scenario()

    def open_scenario(self, scenario: Scenario) -> None:
        """Show a saved scenario: its factors go into the inputs, which recompute as usual."""
        self.scenario = scenario
        self.query_one(InputsPanel).set_patient(scenario.patient)
        self.notify(f"Opened {scenario.name}.", timeout=3)

    def watch_scenario(self) -> None:
        self._show_scenario()

    def _show_scenario(self) -> None:
        """The header names the saved scenario shown, and says when a factor has since changed."""
        base = "illustrative, not for clinical decisions"
        if self.size.width >= 110:  # the evidence version is in Evidence & method and help; here when it fits
            base += f" · evidence {load_evidence().version}"
        sc = self.scenario
        if sc is None:
            self.sub_title = base
        else:
            changed = "" if sc.patient == self.patient else ", changed"
            self.sub_title = f"{sc.name}{changed} · {base}"

    @work(thread=True, exclusive=True, group="predict")
    def compute(self, patient: Patient, alive_at: float | None = None, first: Future[Prediction] | None = None) -> None:
        """Predict (or take ``first``, already started for these inputs, or one computed ahead), show it,
        compute its scenarios, then compute ahead the inputs one pick away (:meth:`_compute_ahead`)."""
        worker = get_current_worker()
        if first is not None:
            self._keep(patient, alive_at, first.result())
        result = self._prediction(patient, alive_at)
        if worker.is_cancelled:
            return
        if result is not self.prediction:  # (the first prediction may have been shown on mount)
            self.app.call_from_thread(self._deliver, patient, alive_at, result)  # returns once the views are updated
        # Scheduling this after the next screen refresh instead (call_after_refresh) delayed that
        # refresh by about 10 ms: computing alongside it is faster on two or more cores.
        result.scenarios.compute()
        if not worker.is_cancelled:
            self.app.call_from_thread(self._scenarios_ready, result)
        if self.COMPUTE_AHEAD and self.draws <= AHEAD_DRAWS:
            self._compute_ahead(worker, patient, alive_at)

    def _compute_ahead(self, worker: Worker[None], patient: Patient, alive_at: float | None) -> None:
        """While the screen is idle, predict the inputs one pick away (each pick list's other values: 12
        predictions, 50-80 ms of one thread), so that the next change shows without waiting for
        ``predict``; any new input stops this (between two predictions). The same inputs, draws and seed
        give the same prediction, so a kept one is exactly what ``predict`` would return."""
        for other in one_pick_away(patient):
            if worker.is_cancelled:
                return
            self._prediction(other, alive_at)

    def _prediction(self, patient: Patient, alive_at: float | None) -> Prediction:
        """The kept prediction for these inputs, or a new one; kept either way as the most recent."""
        result = self._ahead.get((patient, alive_at))
        if result is None:
            result = predict(patient, draws=self.draws, seed=self.seed, alive_at_months=alive_at)
        self._keep(patient, alive_at, result)
        return result

    def _keep(self, patient: Patient, alive_at: float | None, result: Prediction) -> None:
        """Keep a prediction for this screen's draws and seed (the :func:`keep_ahead` most recent)."""
        with self._ahead_lock:
            self._ahead.pop((patient, alive_at), None)
            self._ahead[(patient, alive_at)] = result
            while len(self._ahead) > keep_ahead(self.draws):
                del self._ahead[next(iter(self._ahead))]

    def _deliver(self, patient: Patient, alive_at: float | None, result: Prediction) -> None:
        if (patient, alive_at) == (self.patient, self.alive_at):  # a result for inputs since changed is dropped
            changed = result != self.prediction
            if self._stale_timer is not None:
                self._stale_timer.stop()
                self._stale_timer = None
            self.prediction = result
            self.updating = False
            if changed:
                self.query_one("#os-side", VerticalScroll).scroll_home(animate=False)  # a new patient: from the top

    def _scenarios_ready(self, result: Prediction) -> None:
        if not self._views_ready or not self.is_attached or self._closing or self._pruning:
            return  # the app is closing (its views are being removed)
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
        self._render_survival()  # draws the Compare view too

    def watch_show_chemo(self) -> None:
        self._render_survival()

    def watch_show_scenarios(self) -> None:
        self._render_survival()

    def _render_all(self) -> None:
        """The Survival tab (and headline, and Compare) now; the other tabs' views now if one of them is
        shown, else just after the next frame, so that the frame showing a new result is not held up by
        views nobody sees yet."""
        pred = self.prediction
        if pred is None:
            return
        self._render_survival()
        if self.query_one(TabbedContent).active in ("survival", "compare"):
            self.call_after_refresh(self._render_tabs)
        else:
            self._render_tabs()

    def _render_tabs(self) -> None:
        """The Response, RFS, uncertainty and Scenarios views, for the result shown now."""
        pred = self.prediction
        if pred is None:
            return
        self.query_one("#response-view", Static).update(self._marked(_section(C.response(pred))))
        self.query_one("#rfs-view", Static).update(self._marked(_section(C.relapse_free_survival(pred))))
        self.query_one("#uncertainty-view", Static).update(self._marked(Group(_section(C.uncertainty(pred)), Text())))
        self._render_scenarios()
        self._tabs_marked = self.updating

    def _marked(self, content: RenderableType) -> RenderableType:
        """A tab view's content, headed by "updating…" while the result shown is for inputs since changed."""
        return Group(Text(UPDATING + PREVIOUS, "bold"), content) if self.updating else content

    def _render_scenarios(self) -> None:
        pred = self.prediction
        assert pred is not None
        view = self.query_one("#scenarios-view", Static)
        if pred.scenarios.computed:
            view.update(self._marked(Group(_section(C.scenarios(pred)), Text(), _section(C.reference_curves(pred)))))
        else:
            view.update("Computing…")

    def _mark_stale(self) -> None:
        self._stale_timer = None
        self.updating = True

    def watch_updating(self, updating: bool) -> None:
        """A result for inputs that have since changed is marked, never shown as current."""
        for selector in ("#headline", "#os-summary", "#os-plot", "#compare-view", *TAB_VIEWS):
            self.query_one(selector).set_class(updating, "-stale")
        self._render_headline()
        if updating != self._tabs_marked and self.prediction is not None:
            self._render_tabs()  # (only when a result is slower than a glance: never on a quick change)

    def _render_headline(self) -> None:
        """Median and 1-year survival with intervals, and every warning, whole: at the top of the side column."""
        if not self._views_ready:
            return
        pred = self.prediction
        parts: list[RenderableType] = []
        if self.updating:
            parts.append(Text(UPDATING + (PREVIOUS if pred else ""), "bold"))
        if pred is not None:
            parts += [richview.paragraph(t) for t in C.headline_and_warnings(pred)]
        self.query_one("#headline", ResultView).show(Group(*parts))

    def _render_survival(self) -> None:
        pred = self.prediction
        if pred is None or not self._views_ready:
            return
        # The what-if curves join the plot when the worker has computed them (_scenarios_ready).
        series = self._series(pred)
        colours = colours_for(self.app.current_theme.dark)
        self.query_one(SurvivalPlot).draw(series, colours)
        self.query_one("#os-legend", ResultView).show(legend(series, colours))
        section = C.overall_survival(pred, compact=True, landmarks=self.landmarks, with_headline=False)
        self.query_one("#os-summary", ResultView).show(_section(section, skip=(C.Plot,)))
        self._render_headline()
        self._render_compare()

    def _series(self, pred: Prediction) -> tuple[Series, ...]:
        what_if = self.show_scenarios and pred.scenarios.computed
        return C.os_series(pred, chemo=self.show_chemo, scenarios=what_if, pinned=self.pinned)

    def _render_compare(self) -> None:
        pred, view = self.prediction, self.query_one("#compare-view", ResultView)
        if self.pinned is None:
            if not self._compare_empty:  # the same words every time: drawn once
                view.update(Text("Nothing pinned. Press p to pin this patient, then change a factor to compare."))
                self._compare_empty = True
        elif pred is not None:
            self._compare_empty = False
            view.show(_section(C.comparison(pred, self.pinned, self.landmarks)))

    def _fixed_views(self) -> None:
        """The views that are the same for every patient: harms, and the evidence with its limitations."""
        self.query_one("#harms-view", Static).update(_section(C.potential_harms()))
        report = evidenceview.report(load_evidence(), compact=True)  # keys whole at any width
        evidence = Group(_section(C.limitations()), Text(), *(richview.section(s) for s in report.sections))
        self.query_one("#evidence-view", Static).update(evidence)

    def report(self) -> C.Report:
        """The full report for the patient shown, as exported."""
        assert self.prediction is not None
        sc = self.scenario
        title = sc.title if sc is not None and sc.patient == self.patient else None
        return C.build(
            self.prediction,
            landmarks=self.landmarks,
            scenario=title,
            pinned=self.pinned,
            chemo=self.show_chemo,
            what_if=self.show_scenarios,
        )

    # --- actions (bound in the app) ------------------------------------------------------------
    def toggle_pin(self) -> None:
        """Pin the patient shown and open the Compare tab (focus stays on the factor, so the next keystroke
        changes it); pressing again unpins."""
        if self.pinned is None and self.prediction is not None:
            self.pinned = self.prediction
            self.show_tab("compare")
            self.notify("Pinned: change a factor to compare.", timeout=3)
        else:
            self.pinned = None

    def show_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab

    def step_tab(self, step: int) -> None:
        tabs = self.query_one(TabbedContent)
        tabs.active = TABS[(TABS.index(tabs.active) + step) % len(TABS)]
