"""The report shows the prediction's numbers and the papers' numbers, and nothing else."""

from __future__ import annotations

import pytest

from blinacalc import Patient, predict
from blinacalc.report import content as C
from blinacalc.report import labels as L
from blinacalc.report import plot as P


@pytest.fixture(scope="module")
def pred():
    return predict(Patient(ecog=1, salvage_line=2, prior_hsct=False), draws=2000, seed=0)


@pytest.fixture(scope="module")
def report(pred):
    return C.build(pred)


def _section(report, key):
    (s,) = [s for s in report.sections if s.key == key]
    return s


def _tables(section):
    return [b for b in section.blocks if isinstance(b, C.Table)]


def _texts(section):
    return [b.text for b in section.blocks if isinstance(b, C.Text)]


def test_sections_in_reading_order(report):
    """A clinician's first 30 seconds first (issue 14): inputs and applicability, the headline and the
    warnings that qualify it, the curve and table, the benefit, then response, scenarios, RFS, harms,
    definitions, method and sources."""
    assert [s.key for s in report.sections] == [
        "header", "summary", "os", "benefit", "response", "scenarios", "reference", "rfs", "harms",
        "definitions", "sources",
    ]  # fmt: skip


def test_header_says_illustrative_and_shows_unknown(report, pred):
    header = _section(report, "header")
    assert "not for clinical decisions" in _texts(header)[0]
    (inputs,) = _tables(header)
    assert dict(inputs.rows)["t(4;11)"] == "unknown"
    assert dict(inputs.rows)["Salvage line"] == "2nd salvage"
    assert "Ph-negative" in _texts(header)[1] and "Outside both trials: Ph-positive ALL, children" in _texts(header)[1]
    assert pred.evidence_version in " ".join(_texts(_section(report, "sources")))


def test_os_table_is_the_predictions_landmarks(report, pred):
    (table,) = _tables(_section(report, "os"))
    chemo = pred.scenarios["os_chemotherapy"]
    for row, month in zip(table.rows, C.REPORT_LANDMARKS, strict=True):
        lm = pred.os.landmark(month)
        # TOWER: the comparator stops at 12 months (median follow-up 11.7; curves converged at 15-18).
        chemo_cell = L.pct(chemo.landmark(month).estimate) if month <= 12 else "n/e"
        assert row[1:] == (L.pct(lm.estimate), L.pct_range(lm.lo, lm.hi), chemo_cell)
    assert L.median(pred.os.median_months, "95% interval ") in _texts(_section(report, "summary"))[0]
    notes = " ".join(_texts(_section(report, "os")))
    assert "Cross-trial" in notes and "11.7 months" in notes and "54%" in notes and "39%" in notes


def test_os_table_conditional_on_alive_at_leaves_out_earlier_months():
    pred = predict(Patient(ecog=1), draws=200, alive_at_months=12)
    section = C.overall_survival(pred)
    (table,) = _tables(section)
    assert [r[0] for r in table.rows] == ["2 years", "3 years", "5 years"]  # 1 year would be 100% by definition
    assert "Conditional on being alive 12 months after the first dose" in _texts(section)[0]
    assert "who are alive 12 months after the first dose, about" in C.plain_words(pred)
    assert table.columns == ("Alive at", "Blinatumomab", "95% interval")  # no chemotherapy at a follow-up visit
    assert "chemotherapy" not in C.plain_words(pred)
    assert not any(s.role == "comparator" for s in C.os_series(pred))
    assert "alive at 2 years" in C.plain_words(pred)


def test_plain_words_all_unknown():
    """All factors unknown: the pooled cohort. At 2 years Topp 2021 (Results, Fig. 1A) reports 23.4%."""
    p = predict(Patient(), draws=2000, seed=0)
    lm = p.os.landmark(24)
    # No comparator at 2 years: TOWER's evidence stops at 12 months.
    assert C.plain_words(p, month=24) == (
        f"Of 100 patients like this, about {round(100 * lm.estimate)} are expected to be alive at 2 years "
        f"after the first dose (95% interval {round(100 * lm.lo)}–{round(100 * lm.hi)})."
    )
    assert abs(100 * lm.estimate - 23.4) <= 1.0  # the calibration's 1-point tolerance
    one_year, chemo = p.os.landmark(12), p.scenarios["os_chemotherapy"].landmark(12)
    assert C.plain_words(p) == (
        f"Of 100 patients like this, about {round(100 * one_year.estimate)} are expected to be alive at 1 year "
        f"after the first dose (95% interval {round(100 * one_year.lo)}–{round(100 * one_year.hi)}); with "
        f"standard chemotherapy about {round(100 * chemo.estimate)} (cross-trial estimate*)."
    )
    assert round(100 * chemo.estimate) < round(100 * one_year.estimate)
    assert "range" not in C.plain_words(p)


def test_response_tables_hold_the_published_numbers(report):
    """Topp 2021 Table 2 (n = 259) and TOWER (Kantarjian 2017) Table 2 and Results."""
    topp, tower = _tables(_section(report, "response"))
    rows = {r[0]: r[1:] for r in topp.rows}
    assert rows["CR/CRh"][0] == "47.5%" and rows["CR/CRh"][2] == "123/259"
    assert rows["CR"][2] == "87/259" and rows["CRh"][2] == "36/259"
    assert rows["MRD response"][2] == "107/259" and rows["Allogeneic HSCT"][2] == "80/259"
    trows = {r[0]: r[1:] for r in tower.rows}
    assert trows["CR"] == ("33.6% (28.0–39.5%)", "15.7% (10.0–23.0%)")
    assert trows["CR/CRh/CRi"] == ("43.9% (37.9–50.0%)", "24.6% (17.6–32.8%)")
    assert trows["MRD response (of CR/CRh/CRi)"] == ("76%", "48%")
    assert trows["Allogeneic HSCT"] == ("24%", "24%")
    (icons,) = [b for b in _section(report, "response").blocks if isinstance(b, C.Icons)]
    assert icons.filled == 47  # 123/259 = 47.5% -> 47 of 100
    assert any("not individualized" in t or "same for every patient" in t for t in _texts(_section(report, "response")))


def test_harms_are_tower_table_3(report):
    """TOWER (Kantarjian 2017) Table 3: blinatumomab N = 267, chemotherapy N = 109."""
    (table,) = _tables(_section(report, "harms"))
    rows = {r[0]: r[1:] for r in table.rows}
    assert rows["Any grade ≥3 event"] == ("86.5% (231)", "91.7% (100)")
    assert rows["Neutropenia, grade ≥3"] == ("37.8% (101)", "57.8% (63)")
    assert rows["Cytokine release syndrome, grade ≥3"] == ("4.9% (13)", "0.0% (0)")
    assert rows["Fatal serious event"] == ("19.1% (51)", "17.4% (19)")
    assert "267 vs 109" in (table.title or "")


def test_scenarios_table(report, pred):
    (table,) = _tables(_section(report, "scenarios"))
    # Chemotherapy is counted from the first dose, not the landmark: it stays out of this table.
    assert [r[0] for r in table.rows] == [
        "Alive, response not yet known",  # what the two divide: their reference (not the curve from first dose)
        "CR/CRh reached",
        "CR/CRh not reached",
        "CR/CRh with MRD response",
    ]
    notes = " ".join(_texts(_section(report, "scenarios")))
    assert "0.29" in notes and "0.54" in notes and "76%" in notes  # Topp Table 3; TOWER Results
    assert "alive at month 3" in notes and "guarantee-time" in notes


def test_the_what_if_curves_are_read_against_the_patient_alive_at_the_landmark():
    """(found by review: beside the curve from the first dose alone, "CR/CRh not reached" from the landmark lay
    above it and read as "better than average"). The reference is the curve the split divides: the two
    scenarios, weighted by the responder share, mix back to it; shown on the plot beside them."""
    pred = predict(Patient(ecog=1), draws=200)
    ref, cr, no = (pred.scenarios[k] for k in ("os_alive_at_landmark", "os_if_cr_crh", "os_if_no_cr_crh"))
    assert ref.curve.start == cr.curve.start == no.curve.start == pred.landmark_months == 3.0
    assert ref.conditional_on_alive_at_months == 3.0 and ref.time_origin == "first_dose"
    share = pred.responder_share.estimate
    for m in (6, 12, 24, 36):
        mixed = share * cr.landmark(m).estimate + (1 - share) * no.landmark(m).estimate
        assert mixed == pytest.approx(ref.landmark(m).estimate, abs=1e-12)
        assert no.landmark(m).estimate < ref.landmark(m).estimate < cr.landmark(m).estimate
    at_landmark = pred.os.curve.at(3.0)
    assert ref.landmark(12).estimate == pytest.approx(pred.os.landmark(12).estimate / at_landmark, rel=1e-9)
    series = C.os_series(pred, scenarios=True)
    (shown,) = [s for s in series if s.role == "reference"]
    assert shown.label == "this patient, alive at 3 mo" and shown.estimate == ref.curve.estimate
    assert not [s for s in C.os_series(pred) if s.role == "reference"]  # only with the what-if curves
    # drawn in a shape of its own (dots), not the comparator's dashes: told apart without colour too
    assert P.MARKERS["reference"] not in ("x", "+", "-") and "reference" in P.COLOURS and "reference" in P.COLOURS_LIGHT


def test_hsct_reference_is_its_own_section(report):
    """Topp 2021 Results: median OS 18.1 months, 3-year 37.2% after HSCT in continuous CR (Fig. 1C)."""
    section = _section(report, "reference")
    (table,) = _tables(section)
    ((name, median, _one, three),) = table.rows
    assert name == "HSCT in continuous CR" and median.startswith("18.1 mo") and three == "37%"
    assert "selected" in section.title and "Do not compare" in " ".join(_texts(section))


def test_warnings_stand_beside_the_headline():
    """Topp 2021 Table 1: t(4;11) in 16 patients. The warning is in the summary, right after the headline."""
    summary = _section(C.build(predict(Patient(t411=True), draws=200)), "summary")
    kinds = [b.kind for b in summary.blocks if isinstance(b, C.Text)]
    assert kinds == ["key", "warning"] and "16 of 259" in summary.blocks[1].text
    plain = _section(C.build(predict(Patient(t411=False), draws=200)), "summary")
    assert [b.kind for b in plain.blocks] == ["key"]


def test_sources_cite_both_dois(report):
    text = " ".join(_texts(_section(report, "sources")))
    assert "10.1002/cncr.33298" in text and "10.1056/NEJMoa1609783" in text


def test_rfs_shows_only_published_horizon(report):
    table, risks = _tables(_section(report, "rfs"))
    assert [r[0] for r in table.rows][-1] == "4 years"  # Topp 2021 reports RFS to 4 years
    # Topp 2021 Fig. 1D relapse 59.3% and Fig. 1B RFS 23.4% at 3 years; the rest died without relapse.
    assert risks.rows[1] == ("3 years", "59.3%", "17.3%", "23.4%")


def test_benefit_is_predict_style_with_the_interval_of_the_difference(pred):
    """TOWER hazard ratio 0.71 applied in reverse, within 12 months: N more of 100 alive, with the 95%
    interval of the per-draw difference, and a 100-icon array at 1 year."""
    section = C.benefit(pred)
    assert section is not None and "cross-trial" in section.title
    (sentence, icons, note) = section.blocks
    assert "not a randomised comparison" in note.text
    for lm in pred.benefit:
        assert f"about {round(100 * lm.estimate)} more of 100 alive at {C._LANDMARK_NAMES[lm.month]}" in sentence.text
        assert f"(95% interval {round(100 * lm.lo)} to {round(100 * lm.hi)})" in sentence.text
    assert [lm.month for lm in pred.benefit] == [6, 12]
    year, chemo = pred.os.landmark(12).estimate, pred.scenarios["os_chemotherapy"].landmark(12).estimate
    assert icons.filled == round(100 * chemo) and icons.extra == round(100 * year) - round(100 * chemo)
    assert icons.glyphs().count("○") == 100 - icons.filled - icons.extra
    assert C.benefit(predict(Patient(ecog=1), draws=200, alive_at_months=6)) is None  # not at a follow-up visit


def test_definitions_trace_to_the_papers(report):
    (table,) = _tables(_section(report, "definitions"))
    terms = dict(table.rows)
    assert {"CR", "CRh", "CRi", "MRD response", "CCR", "Salvage line", "HSCT"} <= set(terms)
    assert "5% or less bone marrow blasts" in terms["CR"] and "TOWER Methods" in terms["CR"]
    assert "10^-4" in terms["MRD response"]


def test_comparison_says_when_the_two_are_conditioned_differently():
    """A pinned curve from first dose against one given alive at 6 months is not like for like."""
    now = predict(Patient(ecog=0), draws=200, alive_at_months=6)
    pinned = predict(Patient(ecog=1), draws=200)
    (warning,) = [b for b in C.comparison(now, pinned).blocks if isinstance(b, C.Text) and b.kind == "warning"]
    assert "given alive at 6 months" in warning.text and "from first dose" in warning.text
    same = C.comparison(predict(Patient(ecog=0), draws=200), pinned)
    assert not [b for b in same.blocks if isinstance(b, C.Text) and b.kind == "warning"]
    # (found by review: the differences of the unlike curves were still printed, and the plot's legend did not
    # say that the two curves were conditioned differently)
    (unlike,) = _tables(C.comparison(now, pinned))
    assert {row[3] for row in unlike.rows} == {C.DASH}
    (alike,) = _tables(same)
    assert any(row[3] not in (C.DASH, "0") for row in alike.rows)
    labels = {s.role: s.label for s in C.os_series(now, pinned=pinned)}
    assert labels["pinned"].endswith("from first dose") and labels["patient"].endswith("given alive at 6 months")
    assert {s.label for s in C.os_series(pinned, pinned=pinned)} >= {"pinned patient", "this patient, blinatumomab"}
