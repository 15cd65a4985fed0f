"""The report as a neutral document: sections of tables, text, icon arrays and plots.

Views (rich, markdown, TUI) render these blocks; none of them computes anything. Numbers come
from the :class:`Prediction` and, for the harms and the published comparators, from the evidence.
"""

from __future__ import annotations

from dataclasses import dataclass

from blinacalc.core.evidence import load_evidence
from blinacalc.core.model import harms
from blinacalc.core.result import Endpoint, Prediction, Rate
from blinacalc.report import labels as L
from blinacalc.report.plot import Series

REPORT_LANDMARKS = (6, 12, 24, 36, 60)
RFS_LANDMARKS = (6, 12, 24, 36, 48)  # Topp 2021 publishes RFS to 4 years
_LANDMARK_NAMES = {6: "6 months", 12: "1 year", 24: "2 years", 36: "3 years", 48: "4 years", 60: "5 years"}
DASH = "—"


@dataclass(frozen=True, slots=True)
class Table:
    """Columns after the first are right-aligned when ``numeric``; ``ratios`` share out a narrow width."""

    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    title: str | None = None
    numeric: bool = True
    ratios: tuple[int, ...] | None = None


@dataclass(frozen=True, slots=True)
class Text:
    """A paragraph; ``kind`` is ``plain``, ``key`` (a headline finding), ``note`` or ``warning``."""

    text: str
    kind: str = "plain"


@dataclass(frozen=True, slots=True)
class Icons:
    """A 10 × 10 icon array: ``filled`` of 100 people."""

    filled: int
    filled_label: str
    empty_label: str


@dataclass(frozen=True, slots=True)
class Plot:
    series: tuple[Series, ...]


Block = Table | Text | Icons | Plot


@dataclass(frozen=True, slots=True)
class Section:
    key: str
    title: str
    blocks: tuple[Block, ...]


@dataclass(frozen=True, slots=True)
class Report:
    title: str
    sections: tuple[Section, ...]


TITLE = "blinacalc · blinatumomab for relapsed/refractory Ph-negative B-ALL"


def header(pred: Prediction, scenario: str | None = None) -> Section:
    """Inputs as entered; ``scenario`` names the saved scenario they came from, if any."""
    rows = tuple((L.INPUT_NAMES[k], L.input_value(k, v)) for k, v in pred.inputs.items())
    return Section(
        "header",
        "Patient",
        (
            Text(L.DISCLAIMER, "warning"),
            *((Text(f"Saved scenario: {scenario}", "key"),) if scenario else ()),
            Table(("Factor", "As entered"), rows, numeric=False),
            Text(
                f"Evidence {pred.evidence_version} · blinacalc {pred.blinacalc_version} · "
                f"{pred.draws:,} Monte Carlo draws, seed {pred.seed}",
                "note",
            ),
        ),
    )


def os_series(
    pred: Prediction, *, chemo: bool = True, scenarios: bool = False, pinned: Prediction | None = None
) -> tuple[Series, ...]:
    """The curves of the overall-survival plot, drawn in this order (later on top)."""
    out = []
    if pinned is not None:
        out.append(Series("pinned patient", "pinned", pinned.os.curve.estimate))
    if scenarios:
        for key, role in (("os_if_no_cr_crh", "scenario_b"), ("os_if_cr_crh", "scenario_a")):
            out.append(Series(L.SCENARIO_NAMES[key].lower(), role, pred.scenarios[key].curve.estimate))
    if chemo:
        out.append(
            Series(
                "standard chemotherapy*", "comparator", pred.scenarios["os_chemotherapy"].curve.estimate, dashed=True
            )
        )
    c = pred.os.curve
    out.append(Series("this patient, blinatumomab", "patient", c.estimate, c.lo, c.hi))
    return tuple(out)


def comparison(pred: Prediction, pinned: Prediction, landmarks: tuple[int, ...] = REPORT_LANDMARKS) -> Section:
    """This patient against a pinned one: medians and landmarks side by side, with differences."""

    def diff_pp(a: float, b: float) -> str:
        d = round(100 * a) - round(100 * b)
        return f"{d:+d} pp" if d else "0"

    def diff_mo(a: float | None, b: float | None) -> str:
        if a is None or b is None:
            return DASH
        return f"{a - b:+.1f} mo"

    def median(ep: Endpoint) -> str:
        return L.months(ep.median_months.estimate)

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
        rows.append((_LANDMARK_NAMES[m], L.pct(now), L.pct(then), diff_pp(now, then)))
    pinned_inputs = L.factors_line(pinned.inputs)
    return Section(
        "compare",
        "Compared with the pinned patient (overall survival)",
        (
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


def _reference_hr(ep: Endpoint, name: str) -> Text | None:
    if ep.hazard_ratio is None:
        return None
    return Text(
        f"{name} hazard ratio against a patient with ECOG 1-2, 2nd or later salvage, no prior HSCT and no "
        f"t(4;11): {L.hazard_ratio(ep.hazard_ratio)} (Topp 2021 Table 3, univariate hazard ratios multiplied).",
        "note",
    )


def plain_words(pred: Prediction, month: int = 12) -> str:
    """PREDICT-style: 'Of 100 patients like this, about N are expected to be alive at 1 year ...'."""
    lm = pred.os.landmark(month)
    chemo = pred.scenarios["os_chemotherapy"].landmark(month)
    return (
        f"Of 100 patients like this, about {round(100 * lm.estimate)} are expected to be alive at "
        f"{_LANDMARK_NAMES[month]} (range {round(100 * lm.lo)}–{round(100 * lm.hi)}); "
        f"with standard chemotherapy about {round(100 * chemo.estimate)}."
    )


def os_landmarks(pred: Prediction, compact: bool = False, landmarks: tuple[int, ...] = REPORT_LANDMARKS) -> Table:
    """OS at ``landmarks`` (months, from ``LANDMARK_MONTHS``) with intervals, and the chemotherapy comparator;
    ``compact`` for narrow panels."""
    os_, chemo = pred.os, pred.scenarios["os_chemotherapy"]
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
            L.pct(chemo.landmark(m).estimate),
        )
        for m in landmarks
    )
    return Table(columns, rows)


def overall_survival(pred: Prediction, compact: bool = False, landmarks: tuple[int, ...] = REPORT_LANDMARKS) -> Section:
    """Median, plain words, landmarks (``compact``: a narrow table), plot and notes."""
    os_ = pred.os
    tower_hr = load_evidence().tower["os.hazard_ratio"]
    assert tower_hr.ci is not None
    blocks: list[Block] = [
        Text(f"Median overall survival {L.median(os_.median_months, '95% interval ')}", "key"),
        Text(plain_words(pred), "key"),
        os_landmarks(pred, compact, landmarks),
        Plot(os_series(pred)),
        Text(
            f"* Cross-trial: this patient's curve with the TOWER hazard ratio for blinatumomab vs "
            f"chemotherapy ({tower_hr.value:.2f}, 95% CI {tower_hr.ci[0]:.2f}–{tower_hr.ci[1]:.2f}) undone. "
            "Curves stop at 60 months: nothing is extrapolated.",
            "note",
        ),
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
    blocks: list[Block] = [
        Text(f"Median relapse-free survival {L.median(rfs.median_months, '95% interval ')}", "key"),
        Table(("Relapse-free at", "Estimate", "95% interval"), rows),
        Text(
            f"From the first CR/CRh, for patients who reach it within 2 cycles (Topp 2021 Fig. 1B, "
            f"{load_evidence().topp['rfs.n'].value:.0f} patients).",
            "note",
        ),
    ]
    hr = _reference_hr(rfs, "Relapse-free-survival")
    if hr is not None:
        blocks.append(hr)
    return Section("rfs", "Relapse-free survival, if CR/CRh is reached", tuple(blocks))


def _scenario_basis() -> dict[str, str]:
    ev = load_evidence()
    t, w = ev.topp, ev.tower
    cr_hr, mrd_hr = t["table3.os.univariate.cr_crh"], t["table3.os.multivariate.mrd_response"]
    mrd_share = w["mrd_response_among_cr_crh_cri.blinatumomab"].value
    hsct_n = t["table2.hsct_in_remission"].n
    return {
        "os_if_cr_crh": f"Topp 2021 Table 3 hazard ratio {cr_hr.value:.2f} for CR/CRh; the two arms of the split "
        f"mix back to this patient's curve at the trial's CR/CRh rate",
        "os_if_no_cr_crh": "the other arm of the same split",
        "os_if_cr_crh_mrd": f"Topp 2021 Table 3 multivariate hazard ratio {mrd_hr.value:.2f} for MRD response, "
        f"within CR/CRh ({L.pct(mrd_share)} MRD response, TOWER)",
        "os_hsct_in_ccr": f"published curve of the {hsct_n} patients transplanted in continuous CR (Topp 2021); "
        "the same for every patient",
        "os_chemotherapy": "cross-trial, from TOWER's hazard ratio (see Overall survival)",
    }


def scenarios(pred: Prediction) -> Section:
    def row(name: str, ep: Endpoint) -> tuple[str, ...]:
        return (name, L.median(ep.median_months), L.pct(ep.landmark(12).estimate), L.pct(ep.landmark(36).estimate))

    rows = (row("As entered", pred.os), *(row(L.SCENARIO_NAMES[k], ep) for k, ep in pred.scenarios.items()))
    basis = _scenario_basis()
    notes = " ".join(f"{L.SCENARIO_NAMES[k]}: {basis[k]}." for k in pred.scenarios)
    return Section(
        "scenarios",
        "What if... (overall survival from the start of blinatumomab)",
        (
            Table(("Scenario", "Median (95% interval)", "1 year", "3 years"), rows),
            Text(notes, "note"),
            Text(
                "Response is not known at the start of treatment: the scenarios are landmark-style "
                "approximations, not predictions for a patient who has already responded.",
                "note",
            ),
        ),
    )


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


def warnings(pred: Prediction) -> Section | None:
    if not pred.warnings:
        return None
    return Section("warnings", "Warnings", tuple(Text(w, "warning") for w in pred.warnings))


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
            *cites,
        ),
    )


def limitations() -> Section:
    t411 = load_evidence().topp["table1.t411"]
    items = (
        "Reconstructed from published summaries (Kaplan-Meier landmarks, hazard ratios, rates), not from "
        "patient data, and not validated on any external cohort.",
        "The factors' hazard ratios are univariate (Topp 2021 Table 3) and are multiplied as if independent: "
        "the papers give no joint model.",
        "Response likelihoods and harms are the trials' cohort rates, the same for every patient.",
        "Scenarios are landmark-style approximations: response is not known when treatment starts. The "
        "chemotherapy comparator applies TOWER's hazard ratio across trials.",
        "Salvage line is mapped from Table 1's prior relapses (approximate); ECOG 2 is modelled like ECOG 1; "
        f"t(4;11) rests on {t411.n} patients.",
        "Only for patients like those in the trials: adults with Ph-negative relapsed/refractory B-ALL and "
        "ECOG 0-2. Curves stop at 60 months; nothing is extrapolated.",
    )
    return Section("limitations", "Limitations", tuple(Text(f"{i}. {text}") for i, text in enumerate(items, 1)))


def build(pred: Prediction, *, landmarks: tuple[int, ...] = REPORT_LANDMARKS, scenario: str | None = None) -> Report:
    """The whole report, in reading order; ``landmarks`` are the OS months tabled (the landmarks setting)."""
    parts = (
        header(pred, scenario),
        overall_survival(pred, landmarks=landmarks),
        response(pred),
        relapse_free_survival(pred),
        scenarios(pred),
        potential_harms(),
        warnings(pred),
        sources(pred),
    )
    return Report(TITLE, tuple(p for p in parts if p is not None))
