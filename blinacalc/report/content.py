"""The report as a neutral document: sections of tables, text, icon arrays and plots.

Views (rich, markdown, TUI) render these blocks; none of them computes anything. Numbers come
from the :class:`Prediction` and, for the harms and the published comparators, from the evidence.
"""

from __future__ import annotations

from blinacalc._value import value_type
from blinacalc.core import factors as F
from blinacalc.core.cohort import harms
from blinacalc.core.defaults import DEFAULT_LANDMARKS
from blinacalc.core.draws import CHEMO_HORIZON
from blinacalc.core.evidence import load_evidence
from blinacalc.core.result import Endpoint, Landmark, Prediction, Rate, Sensitivity
from blinacalc.report import labels as L
from blinacalc.report.plot import Series

REPORT_LANDMARKS = DEFAULT_LANDMARKS
RFS_LANDMARKS = (6, 12, 24, 36, 48)  # Topp 2021 publishes RFS to 4 years
_LANDMARK_NAMES = {6: "6 months", 12: "1 year", 24: "2 years", 36: "3 years", 48: "4 years", 60: "5 years"}
DASH = "—"


@value_type
class Table:
    """Columns after the first are right-aligned when ``numeric``; ``ratios`` share out a narrow width."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    title: str | None = None
    numeric: bool = True
    ratios: tuple[int, ...] | None = None


@value_type
class Text:
    """A paragraph; ``kind`` is ``plain``, ``key`` (a headline finding), ``note`` or ``warning``."""

    text: str
    kind: str = "plain"


@value_type
class Icons:
    """A 10 × 10 icon array of 100 people: ``filled`` (●), then ``extra`` (◐, if any), the rest empty (○).

    The three shapes carry the meaning without colour."""

    filled: int
    filled_label: str
    empty_label: str
    extra: int = 0
    extra_label: str = ""

    def glyphs(self) -> list[str]:
        return ["●"] * self.filled + ["◐"] * self.extra + ["○"] * (100 - self.filled - self.extra)

    def key(self) -> list[tuple[str, str]]:
        out = [("●", self.filled_label)]
        if self.extra:
            out.append(("◐", self.extra_label))
        return [*out, ("○", self.empty_label)]


@value_type
class Plot:
    series: tuple[Series, ...]


Block = Table | Text | Icons | Plot


@value_type
class Section:
    key: str
    title: str
    blocks: tuple[Block, ...]


@value_type
class Report:
    title: str
    sections: tuple[Section, ...]


TITLE = "blinacalc · blinatumomab for relapsed/refractory Ph-negative B-ALL"


def _inputs(pred: Prediction) -> tuple[tuple[str, str], ...]:
    """The inputs as entered, (name, value) rows; the additional factors left unknown share one row."""
    optional = {f.name: f.short for f in F.factors() if f.optional_column}
    rows = tuple(
        (L.input_names()[k], L.input_value(k, v))
        for k, v in pred.inputs.items()
        if not (k == "alive_at_months" or k in optional) or v is not None
    )
    missing = [short for k, short in optional.items() if pred.inputs.get(k) is None]
    return (*rows, (", ".join(missing), L.UNKNOWN)) if missing else rows


def header(pred: Prediction, scenario: str | None = None) -> Section:
    """Inputs as entered and who the estimates apply to; ``scenario`` names the saved scenario, if any."""
    return Section(
        "header",
        "Patient",
        (
            Text(L.DISCLAIMER, "warning"),
            *((Text(f"Saved scenario: {scenario}", "key"),) if scenario else ()),
            Table(("Factor", "As entered"), _inputs(pred), numeric=False),
            applicability(),
        ),
    )


def os_series(
    pred: Prediction, *, chemo: bool = True, scenarios: bool = False, pinned: Prediction | None = None
) -> tuple[Series, ...]:
    """The curves of the overall-survival plot, drawn in this order (later on top): the what-if overlays,
    then the pinned patient's markers (never hidden by them), then the comparator and this patient."""
    out = []
    if scenarios:
        for key, role in (("os_if_no_cr_crh", "scenario_b"), ("os_if_cr_crh", "scenario_a")):
            label = f"{L.SCENARIO_NAMES[key].lower()} (alive at {pred.scenarios[key].curve.start:g} mo)"
            out.append(Series(label, role, pred.scenarios[key].curve.estimate))
        # What the two divide: this patient alive at the landmark (the what-if curves start there at 100%, so
        # beside the curve from the first dose alone, "not reached" could read as better than average).
        ref = pred.scenarios["os_alive_at_landmark"].curve
        out.append(Series(f"this patient, alive at {ref.start:g} mo", "reference", ref.estimate))
    # Two curves conditioned differently (from first dose; given alive at a month): each label says how.
    unlike = pinned is not None and pinned.alive_at_months != pred.alive_at_months
    if pinned is not None:
        label = f"pinned patient, {_conditioned_on(pinned.alive_at_months)}" if unlike else "pinned patient"
        out.append(Series(label, "pinned", pinned.os.curve.estimate))
    chemo_curve = pred.scenarios["os_chemotherapy"].curve
    if chemo and _shows_chemo(pred):
        out.append(Series(f"chemotherapy*, to {CHEMO_HORIZON:g} mo", "comparator", chemo_curve.estimate, dashed=True))
    c = pred.os.curve
    label = "this patient, blinatumomab" + (f", {_conditioned_on(pred.alive_at_months)}" if unlike else "")
    out.append(Series(label, "patient", c.estimate, c.lo, c.hi))
    return tuple(out)


def comparison(pred: Prediction, pinned: Prediction, landmarks: tuple[int, ...] = REPORT_LANDMARKS) -> Section:
    """This patient against a pinned one: medians and landmarks side by side, with differences (none where
    one is conditioned on being alive at a month and the other is not, or on another month)."""
    now_s, then_s = pred.alive_at_months, pinned.alive_at_months
    alike = now_s == then_s

    def diff_pp(a: float | None, b: float | None) -> str:
        if a is None or b is None or not alike:
            return DASH
        d = round(100 * a) - round(100 * b)
        return f"{d:+d} pp" if d else "0"

    def diff_mo(a: float | None, b: float | None) -> str:
        """From the values as shown (one decimal), so that the difference adds up on screen."""
        if a is None or b is None or not alike:
            return DASH
        d = round(a, 1) - round(b, 1)
        return f"{d:+.1f} mo" if abs(d) >= 0.05 else "0"

    def median(ep: Endpoint) -> str:
        return L.months(ep.median_months.estimate, ep.horizon_months)

    rows = [
        (
            "Median",
            median(pred.os),
            median(pinned.os),
            diff_mo(pred.os.median_months.estimate, pinned.os.median_months.estimate),
        )
    ]
    for m in landmarks:
        now, then = pred.os.landmark(m).estimate, pinned.os.landmark(m).estimate
        rows.append((_LANDMARK_NAMES[m], _pct(now), _pct(then), diff_pp(now, then)))
    pinned_inputs = L.factors_line(pinned.inputs)
    conditioning = (
        ()
        if alike
        else (
            Text(
                f"Not like for like: now {_conditioned_on(now_s)}, pinned {_conditioned_on(then_s)}. No differences "
                "are shown: set the same survival view for both to compare them.",
                "warning",
            ),
        )
    )
    return Section(
        "compare",
        "Compared with the pinned patient (overall survival)",
        (
            *conditioning,
            Table(("", "Now", "Pinned", "Difference"), tuple(rows)),
            Text(f"Pinned: {pinned_inputs}.", "note"),
            Text(
                "Point estimates; differences in months and percentage points (pp). Each patient's 95% "
                "intervals are in its own table; the two share the same uncertain inputs, so they are not "
                "independent and should not be compared by overlap.",
                "note",
            ),
        ),
    )


def _conditioned_on(alive_at: float | None) -> str:
    return "from first dose" if alive_at is None else f"given alive at {alive_at:g} months"


def _reference_hr(ep: Endpoint, name: str) -> Text | None:
    if ep.hazard_ratio is None:
        return None
    return Text(
        f"{name} hazard ratio against a patient with {L.reference_patient()}: "
        f"{L.hazard_ratio(ep.hazard_ratio)} (Topp 2021 Table 3, univariate hazard ratios multiplied).",
        "note",
    )


def _shows_chemo(pred: Prediction) -> bool:
    """The comparator is shown from the first dose only: at a follow-up visit after blinatumomab,
    chemotherapy from the first dose is no longer an alternative."""
    return pred.alive_at_months is None


def _pct(x: float | None) -> str:
    return DASH if x is None else L.pct(x)


def _shown_landmarks(pred: Prediction, landmarks: tuple[int, ...]) -> tuple[int, ...]:
    """The landmarks where the patient's OS is defined and informative (after any conditioning month)."""
    s = pred.alive_at_months
    return tuple(m for m in landmarks if pred.os.landmark(m).defined and (s is None or m > s))


def _who(pred: Prediction) -> str:
    s = pred.alive_at_months
    return "patients like this" if s is None else f"patients like this who are alive {s:g} months after the first dose"


def plain_words(pred: Prediction, month: int = 12) -> str:
    """PREDICT-style: 'Of 100 patients like this, about N are expected to be alive at 1 year ...'.

    When conditioned beyond ``month``, the first landmark after the conditioning month is used.
    """
    s = pred.alive_at_months
    defined = [m for m in LANDMARK_ORDER if m >= month and (s is None or m > s)] or [60]
    month = defined[0]
    lm = pred.os.landmark(month)
    if lm.estimate is None or lm.lo is None or lm.hi is None:
        return f"No estimate at {_LANDMARK_NAMES[month]}."
    text = (
        f"Of 100 {_who(pred)}, about {round(100 * lm.estimate)} are expected to be alive at "
        f"{_LANDMARK_NAMES[month]} after the first dose (95% interval {round(100 * lm.lo)}–{round(100 * lm.hi)})"
    )
    chemo = pred.scenarios["os_chemotherapy"].landmark(month)
    if chemo.estimate is not None and _shows_chemo(pred):
        text += f"; with standard chemotherapy about {round(100 * chemo.estimate)} (cross-trial estimate*)"
    return text + "."


LANDMARK_ORDER = (12, 24, 36, 48, 60)


def _chemo_cell(lm: Landmark, month: int) -> str:
    if lm.estimate is not None:
        return L.pct(lm.estimate)
    return "n/e" if month > CHEMO_HORIZON else DASH


def os_landmarks(pred: Prediction, compact: bool = False, landmarks: tuple[int, ...] = REPORT_LANDMARKS) -> Table:
    """OS at ``landmarks`` (months, from ``LANDMARK_MONTHS``) with intervals, and the chemotherapy comparator;
    ``compact`` for narrow panels. Months before a conditioning month are left out; the comparator is
    ``n/e`` (not estimable) beyond its horizon."""
    os_, chemo = pred.os, pred.scenarios["os_chemotherapy"]
    with_chemo = _shows_chemo(pred)
    columns = (
        ("Month", "OS", "95% int.", "Chemo*")
        if compact
        else ("Alive at", "Blinatumomab", "95% interval", "Chemotherapy*")
    )
    rows = tuple(
        (
            str(m) if compact else _LANDMARK_NAMES[m],
            L.pct(os_.landmark(m).estimate),
            L.pct_range(os_.landmark(m).lo, os_.landmark(m).hi),
            *((_chemo_cell(chemo.landmark(m), m),) if with_chemo else ()),
        )
        for m in _shown_landmarks(pred, landmarks)
    )
    return Table(columns if with_chemo else columns[:3], rows)


def chemotherapy_note() -> Text:
    """What the comparator is, where it stops and what TOWER observed."""
    tower = load_evidence().tower
    hr, fu, conv = (
        tower["os.hazard_ratio"],
        tower["os.followup_median_months.blinatumomab"],
        tower["os.curves_converge_months"],
    )
    b6, c6 = tower["os.at_6.blinatumomab"].value, tower["os.at_6.chemotherapy"].value
    assert hr.ci is not None and conv.range is not None
    return Text(
        f"* Cross-trial estimate: this patient's curve with TOWER's hazard ratio for death, blinatumomab vs "
        f"chemotherapy ({hr.value:.2f}, 95% CI {hr.ci[0]:.2f}–{hr.ci[1]:.2f}), applied in reverse. Shown to "
        f"{CHEMO_HORIZON:g} months only (n/e = not estimable after): TOWER's median follow-up was {fu.value:g} "
        f"months and its curves converged again between {conv.range[0]:g} and {conv.range[1]:g} months. "
        f"TOWER observed at 6 months, from randomisation: {L.pct(b6)} alive with blinatumomab, {L.pct(c6)} "
        "with chemotherapy (Kantarjian 2017).",
        "note",
    )


def _conditioning_note(pred: Prediction) -> Text | None:
    s = pred.alive_at_months
    if s is None:
        return None
    return Text(
        f"Conditional on being alive {s:g} months after the first dose: S(t) / S({s:g}), so nothing is shown "
        f"before month {s:g}. Months are still counted from the first dose. The chemotherapy comparison is "
        "not shown: at a follow-up visit it is no longer an alternative.",
        "key",
    )


def headline(pred: Prediction) -> tuple[Text, ...]:
    """What a clinician reads first: the median and the plain-words 1-year sentence, both with intervals; a
    conditional median says so first (found by review: "from first dose" alone read as unconditional)."""
    median = f"overall survival {L.median(pred.os.median_months, '95% interval ')} from first dose"
    alive = pred.alive_at_months
    first = f"Median {median}" if alive is None else f"Given alive at {alive:g} months: median {median}"
    return (Text(first, "key"), Text(plain_words(pred), "key"))


def headline_and_warnings(pred: Prediction) -> tuple[Text, ...]:
    """The headline and every warning, whole: what the TUI shows at the top of its side column."""
    return (*headline(pred), *(Text(w, "warning") for w in pred.warnings))


def first_look(pred: Prediction) -> tuple[Text, ...]:
    """What the TUI shows while its calculator opens: the disclaimer, the inputs on one line, the headline and
    every warning (the same words the calculator then shows)."""
    inputs = " · ".join(f"{name}: {value}" for name, value in _inputs(pred))
    return (Text(L.DISCLAIMER, "warning"), Text(inputs, "plain"), *headline_and_warnings(pred))


def overall_survival(
    pred: Prediction,
    compact: bool = False,
    landmarks: tuple[int, ...] = REPORT_LANDMARKS,
    *,
    with_headline: bool = True,
    series: tuple[Series, ...] | None = None,
) -> Section:
    """Median, plain words (unless ``with_headline`` is off: shown elsewhere), landmarks (``compact``: a
    narrow table), plot (``series``, by default the patient and the comparator) and notes."""
    os_ = pred.os
    blocks: list[Block] = [
        *(b for b in (_conditioning_note(pred),) if b is not None),
        *(headline(pred) if with_headline else ()),
        os_landmarks(pred, compact, landmarks),
        Plot(series if series is not None else os_series(pred)),
        *((chemotherapy_note(),) if _shows_chemo(pred) else ()),
        Text(L.INTERVALS_MEAN, "note"),
    ]
    hr = _reference_hr(os_, "Overall-survival")
    if hr is not None:
        blocks.append(hr)
    return Section("os", "Overall survival", tuple(blocks))


def response(pred: Prediction) -> Section:
    r, tower = pred.response, pred.response.tower
    topp = tuple(
        (L.RESPONSE_NAMES[key], L.pct(rt.estimate, 1), L.pct_range(rt.lo, rt.hi, 1), f"{rt.n}/{rt.N}")
        for key, rt in (
            ("cr_crh", r.cr_crh),
            ("cr", r.cr),
            ("crh", r.crh),
            ("mrd_response", r.mrd_response),
            ("hsct", r.hsct),
        )
    )
    tower_rows = tuple(
        (L.RESPONSE_NAMES[name], L.rate(arms["blinatumomab"], counts=False), L.rate(arms["chemotherapy"], counts=False))
        for name, arms in tower.items()
    )
    arm_n = tower["cr"]["blinatumomab"].N, tower["cr"]["chemotherapy"].N
    filled = round(100 * r.cr_crh.estimate)
    return Section(
        "response",
        "Response likelihoods (cohort rates, not individualized)",
        (
            Table(
                ("Outcome", "Rate", "95% interval", "Patients"),
                topp,
                title=f"Pooled phase 2 (Topp 2021 Table 2), {r.cr_crh.N} patients",
            ),
            Icons(filled, f"{filled} of 100 reach CR/CRh", f"{100 - filled} do not"),
            Table(
                ("Outcome", "Blinatumomab", "Chemotherapy"),
                tower_rows,
                title=f"TOWER phase 3 (Kantarjian 2017 Table 2), {arm_n[0]} vs {arm_n[1]} patients",
            ),
            Text(
                "These are the trials' rates for their whole cohorts, the same for every patient: the papers "
                "give no response model by baseline factor. Topp 2021: best response within 2 cycles; MRD "
                "response (<10^-4 blasts) counted among all patients. TOWER: remission within 12 weeks; MRD "
                "response among patients in CR/CRh/CRi; no intervals published for MRD response or HSCT.",
                "note",
            ),
        ),
    )


def relapse_free_survival(pred: Prediction) -> Section:
    rfs = pred.rfs
    rows = tuple(
        (_LANDMARK_NAMES[m], L.pct(rfs.landmark(m).estimate), L.pct_range(rfs.landmark(m).lo, rfs.landmark(m).hi))
        for m in RFS_LANDMARKS
    )
    cr = pred.competing_risks
    blocks: list[Block] = [
        Text(
            f"Median relapse-free survival {L.median(rfs.median_months, '95% interval ', rfs.horizon_months)} "
            "from the first CR/CRh",
            "key",
        ),
        Table(("Relapse-free at", "Estimate", "95% interval"), rows),
        Text(
            f"From the first CR/CRh, for patients who reach it within 2 cycles (Topp 2021 Fig. 1B, "
            f"{load_evidence().topp['rfs.n'].value:.0f} patients); shown to {rfs.horizon_months:g} months, the last "
            "published point.",
            "note",
        ),
        Table(
            ("After first CR/CRh", "Relapsed", "Died without relapse", "Alive relapse-free"),
            tuple(
                (
                    _LANDMARK_NAMES[lm.month],
                    L.pct(lm.relapse, 1),
                    L.pct(lm.death_without_relapse, 1),
                    L.pct(lm.alive_relapse_free, 1),
                )
                for lm in cr.landmarks
            ),
            title="What happens to responders (cohort, not individualized)",
        ),
        Text(
            f"Among {cr.population}, from the first CR/CRh. Relapsed: cumulative incidence with death as a "
            "competing risk (Fig. 1D); alive relapse-free: RFS (Fig. 1B); died without relapse: the rest. "
            "Published values, no interval published.",
            "note",
        ),
    ]
    hr = _reference_hr(rfs, "Relapse-free-survival")
    if hr is not None:
        blocks.append(hr)
    return Section("rfs", "Relapse-free survival, if CR/CRh is reached", tuple(blocks))


def _scenario_basis(pred: Prediction) -> dict[str, str]:
    ev = load_evidence()
    t, w = ev.topp, ev.tower
    cr_hr, mrd_hr = t["table3.os.univariate.cr_crh"], t["table3.os.multivariate.mrd_response"]
    mrd_share = w["mrd_response_among_cr_crh_cri.blinatumomab"].value
    post = pred.scenarios["os_if_cr_crh"].hazard_ratio
    assert post is not None
    return {
        "os_alive_at_landmark": "this patient's overall survival given alive at the landmark, before the response "
        "is known, which the scenarios below divide (compare them with it, not with the curve from the first "
        "dose, which also counts the months before the landmark)",
        "os_if_cr_crh": f"proportional hazards after the landmark with hazard ratio {L.hazard_ratio(post)}, from Table "
        f"2's counts alive at 3 years (Topp 2021), with Table 3's {cr_hr.value:.2f} (time-dependent, whole "
        "follow-up, same patients) only as a weak prior",
        "os_if_no_cr_crh": "the other arm of the same split; together they mix back to the first row",
        "os_if_cr_crh_mrd": f"Topp 2021 Table 3 multivariate hazard ratio {mrd_hr.value:.2f} for MRD response, "
        f"within CR/CRh ({L.pct(mrd_share)} MRD response, TOWER); a whole-follow-up, time-dependent ratio used "
        "after the landmark, so it may overstate the contrast",
    }


def _scenario_row(name: str, ep: Endpoint) -> tuple[str, ...]:
    def at(m: int) -> str:
        v = ep.landmark(m).estimate
        if v is not None:
            return L.pct(v)
        return "n/e" if m > ep.horizon_months else DASH

    return (name, L.median(ep.median_months, horizon=ep.horizon_months), at(12), at(36))


def scenarios(pred: Prediction) -> Section:
    lm = pred.landmark_months
    share = pred.responder_share
    cond = pred.scenarios["os_if_cr_crh"].conditional_on_alive_at_months
    landmark_keys = [k for k in pred.scenarios if k != "os_chemotherapy"]  # chemotherapy is from first dose
    rows = tuple(_scenario_row(L.SCENARIO_NAMES[k], pred.scenarios[k]) for k in landmark_keys)
    basis = _scenario_basis(pred)
    notes = " ".join(f"{L.SCENARIO_NAMES[k]}: {basis[k]}." for k in landmark_keys)
    assert share.lo is not None and share.hi is not None and share.estimate is not None
    return Section(
        "scenarios",
        f"What if... response by the {lm:g}-month landmark (OS from first dose)",
        (
            Text(
                f"Response (CR/CRh) is assessed within 2 cycles of 6 weeks, so by {lm:g} months. These scenarios "
                f"are for a patient alive at month {cond:g} whose response is then known; they are undefined "
                f"before it. In the pooled cohort, about {round(100 * share.estimate)}% (95% interval "
                f"{round(100 * share.lo)}–{round(100 * share.hi)}%) of patients alive at {lm:g} months had reached "
                "CR/CRh (a cohort share, not individualized).",
                "key",
            ),
            Table(("Scenario", "Median (95% interval)", "1 year", "3 years"), rows),
            Text(notes, "note"),
            Text(
                "Reading response as if it were known at the first dose would credit responders with the time "
                "they had to survive in order to respond (guarantee-time bias); the landmark removes it. "
                "Standard chemotherapy is not in this table: it is counted from the first dose, not from the "
                "landmark (see Overall survival).",
                "note",
            ),
        ),
    )


def reference_curves(pred: Prediction) -> Section:
    """Published selected-group curves: the same for every patient, not scenarios for this one."""
    ep = pred.reference_curves["os_hsct_in_ccr"]
    n = load_evidence().topp["table2.hsct_in_remission"].n
    return Section(
        "reference",
        "Reference: transplanted in continuous remission (a selected group)",
        (
            Table(
                ("Reference curve", "Median (95% interval)", "1 year", "3 years"),
                (_scenario_row(L.REFERENCE_NAMES["os_hsct_in_ccr"], ep),),
            ),
            Text(
                f"Overall survival from the first dose of the {n} patients who reached CR/CRh within 2 cycles, "
                "stayed in remission and were transplanted (Topp 2021 Fig. 1C; Table 2). It is the same for every "
                f"patient, shown to {ep.horizon_months:g} months (its last published point), with no deaths before "
                f"{pred.landmark_months:g} months: the group lived to respond and to be transplanted. Do not compare "
                "it with this patient's scenarios: it is selected on surviving to transplant, on fitness for it and "
                "on a donor.",
                "note",
            ),
            *(
                (
                    Text(
                        f"Not conditioned on being alive at {pred.alive_at_months:g} months: the published curve.",
                        "note",
                    ),
                )
                if pred.alive_at_months is not None
                else ()
            ),
        ),
    )


def applicability() -> Text:
    """When to use and when not to: the trials' populations, each boundary traceable to a paper."""
    return Text(
        "For adults 18-80 with Ph-negative relapsed/refractory B-ALL, ECOG 0-2. Outside both trials: "
        "Ph-positive ALL, children, ECOG 3-4, MRD-positive remission.",
        "note",
    )


def summary(pred: Prediction) -> Section:
    """The first 30 seconds: the headline with its intervals, and the warnings that qualify it."""
    return Section(
        "summary",
        "In brief",
        (
            *(b for b in (_conditioning_note(pred),) if b is not None),
            Text("\n".join(t.text for t in headline(pred)), "key"),
            *(Text(w, "warning") for w in pred.warnings),
        ),
    )


def benefit(pred: Prediction) -> Section | None:
    """PREDICT-style: how many more of 100 are alive than with chemotherapy, with the interval of the
    difference, and a 100-icon array at 1 year. Within the comparator's 12-month horizon, from first dose."""
    if not pred.benefit:
        return None
    parts = []
    for lm in pred.benefit:
        assert lm.estimate is not None and lm.lo is not None and lm.hi is not None
        parts.append(
            f"about {round(100 * lm.estimate)} more of 100 alive at {_LANDMARK_NAMES[lm.month]} "
            f"(95% interval {round(100 * lm.lo)} to {round(100 * lm.hi)})"
        )
    year = pred.os.landmark(12).estimate
    chemo = pred.scenarios["os_chemotherapy"].landmark(12).estimate
    assert year is not None and chemo is not None
    alive_chemo = round(100 * chemo)
    extra = max(round(100 * year) - alive_chemo, 0)
    return Section(
        "benefit",
        "Compared with standard chemotherapy (cross-trial estimate*)",
        (
            Text("Compared with standard chemotherapy: " + "; ".join(parts) + ".", "key"),
            Icons(
                alive_chemo,
                f"{alive_chemo} alive at 1 year either way",
                f"{100 - alive_chemo - extra} died by 1 year",
                extra=extra,
                extra_label=f"{extra} more alive with blinatumomab",
            ),
            Text(
                "* TOWER's hazard ratio applied in reverse to this patient's curve, within TOWER's follow-up (to 12 "
                "months); the interval is of the difference itself. A cross-trial illustration, not a randomised "
                "comparison for this patient.",
                "note",
            ),
        ),
    )


def definitions() -> Section:
    """The terms the report uses, as the papers define them."""
    rows = (
        ("CR", "complete remission: 5% or less bone marrow blasts, no evidence of disease, full recovery of "
         "blood counts (platelets > 100,000/µl and neutrophils > 1,000/µl) (TOWER Methods)"),
        ("CRh", "complete remission with partial hematologic recovery (platelets > 50,000/µl and neutrophils "
         "> 500/µl) (TOWER Methods; Topp 2021)"),
        ("CRi", "complete remission with incomplete recovery (platelets > 100,000/µl or neutrophils > 1,000/µl) "
         "(TOWER Methods)"),
        ("MRD response", "minimal residual disease below 10^-4 (fewer than 1 leukaemic cell in 10,000) by "
         "quantitative PCR (Topp 2021 Methods; TOWER)"),
        ("CCR", "continuous complete remission: in remission without relapse since the CR/CRh (Topp 2021 Table 2)"),
        ("Salvage line", "which salvage treatment blinatumomab is: 1 = first salvage (TOWER Table 1, "
         "salvage-treatment phase)"),
        ("HSCT", "allogeneic haematopoietic stem cell transplantation"),
        ("Landmark", "a time point at which patients still alive are grouped by what has happened so far "
         "(here, response by 3 months)"),
    )  # fmt: skip
    return Section("definitions", "Definitions", (Table(("Term", "Meaning"), rows, numeric=False, ratios=(1, 5)),))


def potential_harms() -> Section:
    items = harms()
    n_b, n_c = items[0].blinatumomab.N, items[0].chemotherapy.N

    def cell(r: Rate) -> str:
        return f"{L.pct(r.estimate, 1)} ({r.n})"

    rows = tuple((L.HARM_NAMES[h.key], cell(h.blinatumomab), cell(h.chemotherapy)) for h in items)
    return Section(
        "harms",
        "Potential harms (TOWER Table 3)",
        (
            Table(
                ("Adverse event", "Blinatumomab", "Chemotherapy"),
                rows,
                title=f"Safety population: {n_b} vs {n_c} patients who received at least one dose",
            ),
            Text(
                "Patients with the event, % (number); cohort rates, not individualized. Grade ≥3 events of "
                "interest reported in at least 3% of either group.",
                "note",
            ),
        ),
    )


def sources(pred: Prediction) -> Section:
    cites = tuple(Text(f"{s['citation']} doi:{s['doi']}") for s in pred.sources)
    return Section(
        "sources",
        "Basis and sources",
        (
            Text(
                "Baseline curves are fitted to the published Kaplan-Meier landmarks (Topp 2021 Fig. 1); the "
                "patient's factors enter through Topp 2021 Table 3 univariate hazard ratios, multiplied as if "
                "independent, with unknown factors averaged over the trial's mix (Table 1). Intervals are 95% "
                "Monte Carlo intervals. Every number: `blinacalc evidence`; method: docs/methodology.md.",
                "note",
            ),
            *(_sensitivity_text(s) for s in pred.sensitivity),
            Text(
                f"Evidence {pred.evidence_version} · blinacalc {pred.blinacalc_version} · "
                f"{pred.draws:,} Monte Carlo draws, seed {pred.seed}",
                "note",
            ),
            *cites,
        ),
    )


def uncertainty(pred: Prediction) -> Section:
    """What the intervals mean and how far the unknown first-salvage share moves this patient's numbers."""
    return Section(
        "uncertainty",
        "This patient's uncertainty",
        (Text(L.INTERVALS_MEAN, "note"), *(_sensitivity_text(s) for s in pred.sensitivity)),
    )


def _sensitivity_text(sens: Sensitivity) -> Text:
    lo, hi = sens.bounds
    a, b = sens.os_12
    ma, mb = sens.median_months
    moves = f"median is {L.months(ma)} and {L.months(mb)}"
    if a is not None and b is not None:
        moves = f"1-year OS is {L.pct(a)} and {L.pct(b)}, and median {L.months(ma)} and {L.months(mb)}"
    return Text(
        f"Sensitivity: {sens.description}. At {L.pct(lo)} and {L.pct(hi)}, this patient's {moves} "
        "(everything else at its estimate).",
        "note",
    )


def limitations() -> Section:
    from blinacalc.core.classes import drawn_factors, prevalence_bounds
    from blinacalc.core.factors import factors

    ev = load_evidence()
    t411 = ev.topp["table1.t411"]
    drawn = "; ".join(
        f"{factors()[j].label}: its cohort share is not reported, so it is drawn between "
        f"{L.pct(prevalence_bounds(ev, factors()[j])[0])} and {L.pct(prevalence_bounds(ev, factors()[j])[1])}"
        for j in drawn_factors()
    )
    items = (
        "Reconstructed from published summaries (Kaplan-Meier landmarks, hazard ratios, rates), not from "
        "patient data, and not validated on any external cohort.",
        "The factors' hazard ratios are univariate (Topp 2021 Table 3) and are multiplied as if independent: "
        "the papers give no joint model.",
        "Response likelihoods and harms are the trials' cohort rates, the same for every patient.",
        "Response scenarios are a landmark analysis at 3 months, with proportional hazards after it and the "
        "cohort's response rate (not individualized). The chemotherapy comparator applies TOWER's hazard ratio "
        "across trials and stops at 12 months.",
        f"{drawn}; ECOG 2 is modelled like ECOG 1; t(4;11) rests on {t411.n} patients.",
        "Only for patients like those in the trials: adults with Ph-negative relapsed/refractory B-ALL and "
        "ECOG 0-2. Each curve stops where its evidence ends: OS 60 months, RFS 48, the HSCT reference 36, "
        "chemotherapy 12.",
    )
    return Section("limitations", "Limitations", tuple(Text(f"{i}. {text}") for i, text in enumerate(items, 1)))


def build(
    pred: Prediction,
    *,
    landmarks: tuple[int, ...] = REPORT_LANDMARKS,
    scenario: str | None = None,
    pinned: Prediction | None = None,
    chemo: bool = True,
    what_if: bool = False,
) -> Report:
    """The whole report, in reading order; ``landmarks`` are the OS months tabled (the landmarks setting).

    ``pinned``, ``chemo`` and ``what_if`` carry the app's view into an export: the comparison with a
    pinned patient, and the curves shown on the plot."""
    parts = (
        header(pred, scenario),
        summary(pred),
        overall_survival(
            pred,
            landmarks=landmarks,
            with_headline=False,
            series=os_series(pred, chemo=chemo, scenarios=what_if, pinned=pinned),
        ),
        comparison(pred, pinned, landmarks) if pinned is not None else None,
        benefit(pred),
        response(pred),
        scenarios(pred),
        reference_curves(pred),
        relapse_free_survival(pred),
        potential_harms(),
        definitions(),
        sources(pred),
    )
    return Report(TITLE, tuple(p for p in parts if p is not None))
