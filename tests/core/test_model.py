"""The patient model: published figures, invariants, factor directions, mixtures, refusals."""

from __future__ import annotations

import itertools
import json
import math

import numpy as np
import pytest

from blinacalc import InputError, Patient, predict
from blinacalc.core import classes as K
from blinacalc.core import model as M
from blinacalc.core.evidence import load_evidence
from blinacalc.core.mixture import solve_split
from blinacalc.core.result import LANDMARK_MONTHS, MONTHS, REFERENCE_CURVES, SCENARIOS
from blinacalc.core.stats import crossing
from blinacalc.core.summaries import endpoint
from tests.invariants import assert_survival_function_properties

ALL_CLASSES = [
    Patient(e, s, h, t)
    for e, s, h, t in itertools.product((0, 1, 2, None), (1, 2, 3, None), (True, False, None), (True, False, None))
]


@pytest.fixture(scope="module")
def population():
    return predict(Patient())


def _endpoints(pred):
    return {"os": pred.os, "rfs": pred.rfs, **pred.scenarios, **pred.reference_curves}


def test_all_unknown_patient_reproduces_published_os(population):
    """Topp 2021 Abstract/Results para. 2: OS median 7.5 mo; 24/36/48/60-mo OS 23.4/17.7/15.8/15.8%."""
    assert abs(population.os.median_months.estimate - 7.5) <= 0.3
    for month, published in ((24, 0.234), (36, 0.177), (48, 0.158), (60, 0.158)):
        assert abs(population.os.landmark(month).estimate - published) <= 0.01


def test_all_unknown_patient_reproduces_published_rfs(population):
    """Topp 2021 Abstract/Results para. 2: RFS median 7.7 mo; 24/36/48-mo RFS 26.9/23.4/23.4%."""
    assert abs(population.rfs.median_months.estimate - 7.7) <= 0.3
    for month, published in ((24, 0.269), (36, 0.234), (48, 0.234)):
        assert abs(population.rfs.landmark(month).estimate - published) <= 0.01


def test_hsct_in_ccr_reference_is_the_published_curve(population):
    """Topp 2021 Abstract: OS after HSCT in continuous CR, median 18.1 mo, 3-year 37.2% (Fig. 1C).

    A reference curve, not a scenario: the same for every patient, a cohort reference from first dose,
    with no deaths before the response landmark (the group lived to respond and to be transplanted), and
    nothing beyond its last published point (36 months)."""
    assert "os_hsct_in_ccr" not in population.scenarios
    hsct = population.reference_curves["os_hsct_in_ccr"]
    assert abs(hsct.median_months.estimate - 18.1) <= 0.3
    assert abs(hsct.landmark(36).estimate - 0.372) <= 0.01
    assert (hsct.time_origin, hsct.basis, hsct.horizon_months) == ("first_dose", "cohort_reference", 36.0)
    assert all(v == 1.0 for v in hsct.curve.estimate[: int(population.landmark_months / 0.5) + 1])
    assert hsct.curve.estimate[int(population.landmark_months / 0.5) + 1] < 1.0
    assert hsct.landmark(48).estimate is None and hsct.curve.estimate[-1] is None
    assert hsct == predict(Patient(ecog=0, salvage_line=1)).reference_curves["os_hsct_in_ccr"]


def test_population_median_interval_is_close_to_published(population):
    """Topp 2021 Abstract: OS median 95% CI 5.5-8.5 months. The model's interval comes from the
    fit's covariance (pseudo-data), so it is checked only for the right scale: each end within 1.5 mo."""
    m = population.os.median_months
    assert abs(m.lo - 5.5) <= 1.5
    assert abs(m.hi - 8.5) <= 1.5


@pytest.mark.parametrize("patient", ALL_CLASSES, ids=str)
def test_curve_invariants_for_every_input_class(patient):
    for alive_at in (None, 7.25):
        pred = predict(patient, draws=200, seed=1, alive_at_months=alive_at)
        for name, ep in _endpoints(pred).items():
            assert_survival_function_properties(ep, f"{name} alive_at={alive_at}")


def _median(p: Patient, endpoint: str = "os") -> float:
    return getattr(predict(p), endpoint).median_months.estimate


BASE = {"ecog": 1, "salvage_line": 2, "prior_hsct": False, "t411": False}


@pytest.mark.parametrize(
    ("change", "endpoint", "better"),
    [
        ({"ecog": 0}, "os", True),  # Table 3 OS ECOG 0/1+ HR 0.59
        ({"ecog": 0}, "rfs", True),  # Table 3 RFS ECOG 0/1+ HR 0.68
        ({"salvage_line": 1}, "os", True),  # Table 3 OS salvage 1st/2nd+ HR 0.78
        ({"salvage_line": 1}, "rfs", True),  # Table 3 RFS HR 0.68
        ({"prior_hsct": True}, "os", True),  # Table 3 OS prior HSCT yes/no HR 0.92
        ({"prior_hsct": True}, "rfs", False),  # Table 3 RFS prior HSCT HR 1.20
        ({"t411": True}, "os", False),  # Table 3 OS t(4;11) HR 1.53
        ({"t411": True}, "rfs", False),  # Table 3 RFS t(4;11) HR 2.56
    ],
)
def test_each_factor_moves_the_curve_in_its_published_direction(change, endpoint, better):
    base = getattr(predict(Patient(**BASE)), endpoint).landmark(12).estimate
    changed = getattr(predict(Patient(**{**BASE, **change})), endpoint).landmark(12).estimate
    assert (changed > base) == better


def test_ecog_2_equals_ecog_1_and_warns():
    """Topp 2021 Table 3 compares ECOG 0 with 1+; ECOG 2 cannot be separated from 1."""
    one, two = predict(Patient(ecog=1)), predict(Patient(ecog=2))
    assert one.os == two.os
    assert any("ECOG 2" in w for w in two.warnings)


def test_fully_known_hazard_ratio_is_the_product_of_table3_hrs():
    """Topp 2021 Table 3 OS univariate: ECOG 0 (0.59) x 1st salvage (0.78) x prior HSCT (0.92) x t(4;11) (1.53)."""
    pred = predict(Patient(ecog=0, salvage_line=1, prior_hsct=True, t411=True))
    assert pred.os.hazard_ratio.estimate == pytest.approx(0.59 * 0.78 * 0.92 * 1.53)
    assert pred.rfs.hazard_ratio.estimate == pytest.approx(0.68 * 0.68 * 1.20 * 2.56)
    assert predict(Patient(ecog=0)).os.hazard_ratio is None  # a mixture has no single HR


def test_patient_curve_is_baseline_raised_to_hazard_ratio():
    """With every factor known, proportional hazards: Table 3 OS ECOG 0 (0.59) x 1st salvage (0.78)."""
    centre = {"marrow_blasts": 66.7, "age": 43.25}  # the cohort means (Topp 2021 Table 1): no continuous effect
    ref = np.array(predict(Patient(ecog=1, salvage_line=2, prior_hsct=False, t411=False, **centre)).os.curve.estimate)
    best = np.array(predict(Patient(ecog=0, salvage_line=1, prior_hsct=False, t411=False, **centre)).os.curve.estimate)
    np.testing.assert_allclose(best, ref ** (0.59 * 0.78), rtol=1e-9)


@pytest.mark.parametrize(
    ("field", "levels", "share"),
    [
        ("ecog", (0, 1), 90 / 257),  # Table 1: ECOG 0 in 90 of 257 with known ECOG
        # Salvage line is not in Table 1: the point estimate is the midpoint of its bounds, TOWER's 114/271
        # (Kantarjian 2017 Table 1) and primary refractory + 1 prior relapse, 171/259 (Topp 2021 Table 1).
        ("salvage_line", (1, 2), (114 / 271 + 171 / 259) / 2),
        ("prior_hsct", (True, False), 88 / 259),  # Table 1: prior HSCT 88 of 259
        ("t411", (True, False), 16 / 259),  # Table 1: t(4;11) 16 of 259
    ],
)
def test_unknown_factor_is_the_prevalence_weighted_mixture(field, levels, share):
    known = {k: v for k, v in BASE.items() if k != field}
    unknown = np.array(predict(Patient(**known)).os.curve.estimate)
    yes = np.array(predict(Patient(**known, **{field: levels[0]})).os.curve.estimate)
    no = np.array(predict(Patient(**known, **{field: levels[1]})).os.curve.estimate)
    np.testing.assert_allclose(unknown, share * yes + (1 - share) * no, atol=1e-12)


def test_population_is_the_mixture_of_all_sixteen_classes(population):
    prev = K.class_prevalence(K.factor_prevalence(load_evidence()))
    mix = np.zeros(len(MONTHS))
    for row, p in zip(K.classes(), prev, strict=True):
        ecog0, first, hsct, t411 = (bool(x) for x in row)
        patient = Patient(0 if ecog0 else 1, 1 if first else 2, hsct, t411)
        mix += p * np.array(predict(patient).os.curve.estimate)
    np.testing.assert_allclose(mix, population.os.curve.estimate, atol=1e-9)


def test_chemotherapy_is_patient_curve_with_inverse_tower_hr_within_its_horizon():
    """TOWER Abstract: OS HR 0.71 (0.55-0.93), applied inversely; only to 12 months (median follow-up
    11.7 months, curves converged again at 15-18 months; Results, Overall survival)."""
    pred = predict(Patient(ecog=0))
    s = np.array(pred.os.curve.estimate, dtype=float)
    chemo_ep = pred.scenarios["os_chemotherapy"]
    chemo = chemo_ep.curve.estimate
    np.testing.assert_allclose(np.array(chemo[:25], dtype=float), s[:25] ** (1 / 0.71), rtol=1e-12)
    assert all(v is None for v in chemo[25:])
    assert [lm.month for lm in chemo_ep.landmarks if lm.defined] == [6, 12]
    assert (chemo_ep.basis, chemo_ep.horizon_months) == ("cross_trial", 12.0)
    hr = chemo_ep.hazard_ratio
    assert hr.estimate == pytest.approx(1 / 0.71)
    assert hr.lo == pytest.approx(1 / 0.93, rel=0.05)
    assert hr.hi == pytest.approx(1 / 0.55, rel=0.05)


def test_response_rates_are_table2_with_wilson_intervals(population):
    """Topp 2021 Table 2: CR 87, CRh 36, CR/CRh 123, MRD 107, HSCT 80 of 259."""
    r = population.response
    for rate, n in ((r.cr_crh, 123), (r.cr, 87), (r.crh, 36), (r.mrd_response, 107), (r.hsct, 80)):
        assert (rate.n, rate.N) == (n, 259)
        assert rate.estimate == pytest.approx(n / 259)
        assert rate.lo < rate.estimate < rate.hi
    # Wilson 95% interval for 123/259, computed by hand: centre 0.475271, half-width 0.060373.
    assert r.cr_crh.lo == pytest.approx(0.414898, abs=1e-5)
    assert r.cr_crh.hi == pytest.approx(0.535644, abs=1e-5)
    assert population.to_dict()["response"]["individualized"] is False


def test_tower_rates_alongside(population):
    """TOWER Table 2: CR 91/271 (33.6%, 28.0-39.5) vs 21/134 (15.7%, 10.0-23.0)."""
    tower = population.response.tower
    assert (tower["cr"]["blinatumomab"].n, tower["cr"]["blinatumomab"].N) == (91, 271)
    assert (tower["cr"]["blinatumomab"].lo, tower["cr"]["blinatumomab"].hi) == (0.280, 0.395)
    assert (tower["cr"]["chemotherapy"].n, tower["cr"]["chemotherapy"].N) == (21, 134)
    assert tower["mrd_response_among_cr_crh_cri"]["blinatumomab"].estimate == 0.76
    assert tower["mrd_response_among_cr_crh_cri"]["blinatumomab"].n is None


def test_to_dict_contract(population):
    d = json.loads(json.dumps(population.to_dict()))
    assert set(d) == {
        "schema", "blinacalc_version", "evidence_version", "inputs", "draws", "seed", "os", "rfs", "response",
        "response_landmark", "scenarios", "reference_curves", "competing_risks", "sensitivity",
        "benefit_vs_chemotherapy", "warnings", "sources",
    }  # fmt: skip
    assert d["schema"] == "blinacalc.prediction/2"
    assert d["inputs"] == {
        "ecog": None,
        "salvage_line": None,
        "prior_hsct": None,
        "t411": None,
        "marrow_blasts": None,
        "age": None,
        "alive_at_months": None,
    }
    assert (d["draws"], d["seed"]) == (2000, 0)
    assert (
        list(d["scenarios"])
        == list(SCENARIOS)
        == ["os_alive_at_landmark", "os_if_cr_crh", "os_if_no_cr_crh", "os_if_cr_crh_mrd", "os_chemotherapy"]
    )
    assert list(d["reference_curves"]) == list(REFERENCE_CURVES) == ["os_hsct_in_ccr"]
    assert set(d["response"]) == {"individualized", "cr_crh", "cr", "crh", "mrd_response", "hsct", "tower"}
    assert d["response_landmark"]["months"] == 3.0
    assert set(d["competing_risks"]) == {"population", "time_origin", "landmarks"}
    assert set(d["competing_risks"]["landmarks"][0]) == {
        "month",
        "relapse",
        "death_without_relapse",
        "alive_relapse_free",
    }
    expected = {
        "os": ("first_dose", None, 60.0, "individualized"),
        "rfs": ("first_cr_crh", None, 48.0, "individualized"),
        "os_alive_at_landmark": ("first_dose", 3.0, 60.0, "individualized"),
        "os_if_cr_crh": ("first_dose", 3.0, 60.0, "individualized"),
        "os_if_no_cr_crh": ("first_dose", 3.0, 60.0, "individualized"),
        "os_if_cr_crh_mrd": ("first_dose", 3.0, 60.0, "individualized"),
        "os_chemotherapy": ("first_dose", None, 12.0, "cross_trial"),
        "os_hsct_in_ccr": ("first_dose", None, 36.0, "cohort_reference"),
    }
    curves = {"os": d["os"], "rfs": d["rfs"], **d["scenarios"], **d["reference_curves"]}
    for name, ep in curves.items():
        assert set(ep) == {
            "hazard_ratio", "median_months", "landmarks", "curve",
            "time_origin", "conditional_on_alive_at_months", "horizon_months", "basis",
        }, name  # fmt: skip
        meta = (ep["time_origin"], ep["conditional_on_alive_at_months"], ep["horizon_months"], ep["basis"])
        assert meta == expected[name]
        assert [lm["month"] for lm in ep["landmarks"]] == list(LANDMARK_MONTHS)
        assert ep["curve"]["month"] == [i * 0.5 for i in range(121)]
        assert set(ep["median_months"]) == {"estimate", "lo", "hi"}
        beyond = [
            v for m, v in zip(ep["curve"]["month"], ep["curve"]["estimate"], strict=True) if m > ep["horizon_months"]
        ]
        assert all(v is None for v in beyond), name
    assert {s["id"] for s in d["sources"]} == {"topp2021", "tower2017"}


def test_median_not_reached_is_null():
    """A curve that stays above 0.5 to 60 months has a null median, not an extrapolated one."""
    d = predict(Patient(ecog=0)).to_dict()["scenarios"]["os_if_cr_crh_mrd"]
    assert d["median_months"]["hi"] is None or d["median_months"]["hi"] <= 60
    curves = np.array([[1.0, 0.9, 0.8], [1.0, 0.6, 0.4]])
    assert crossing(curves, np.array([0.0, 1.0, 2.0])).tolist() == [math.inf, pytest.approx(1.5)]


def test_curve_refuses_to_extrapolate(population):
    assert population.os.curve.at(60) == population.os.landmark(60).estimate
    with pytest.raises(ValueError, match="no extrapolation"):
        population.os.curve.at(61)
    with pytest.raises(ValueError):
        population.os.curve.at(-1)


def test_seeded_determinism():
    p = Patient(ecog=1, salvage_line=3, prior_hsct=None, t411=False)
    assert predict(p, draws=500, seed=7).to_dict() == predict(p, draws=500, seed=7).to_dict()
    assert predict(p, draws=500, seed=7).os.median_months != predict(p, draws=500, seed=8).os.median_months


def test_t411_warns_thin_evidence():
    """Topp 2021 Table 1: t(4;11) in 16 of 259."""
    assert any("16 of 259" in w for w in predict(Patient(t411=True)).warnings)
    assert predict(Patient(t411=False)).warnings == ()


@pytest.mark.parametrize(
    ("kwargs", "field", "fragment"),
    [
        (
            {"ecog": 3},
            "ecog",
            "outside both source trials (TOWER required ECOG performance status <= 2; "
            "Topp 2021 Table 1 has ECOG 0-2 only)",
        ),
        (
            {"ecog": 4},
            "ecog",
            "outside both source trials (TOWER required ECOG performance status <= 2; "
            "Topp 2021 Table 1 has ECOG 0-2 only)",
        ),
        ({"ecog": 5}, "ecog", "0, 1, 2"),
        ({"ecog": -1}, "ecog", "0, 1, 2"),
        ({"ecog": "1"}, "ecog", "expected 0, 1, 2"),
        ({"ecog": True}, "ecog", "expected 0, 1, 2"),
        ({"salvage_line": 0}, "salvage_line", "salvage line >= 1"),
        ({"salvage_line": -2}, "salvage_line", "salvage line >= 1"),
        ({"salvage_line": 1.5}, "salvage_line", "integer >= 1"),
        ({"prior_hsct": 1}, "prior_hsct", "yes (True), no (False) or unknown"),
        ({"t411": "yes"}, "t411", "yes (True), no (False) or unknown"),
    ],
)
def test_patient_refusals(kwargs, field, fragment):
    with pytest.raises(InputError) as err:
        Patient(**kwargs)
    assert err.value.field == field
    assert fragment in str(err.value)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"draws": 99}, "draws"),
        ({"draws": 100_001}, "draws"),
        ({"draws": 2000.0}, "draws"),
        ({"draws": True}, "draws"),
        ({"seed": -1}, "seed"),
        ({"seed": 1.5}, "seed"),
        ({"seed": None}, "seed"),
    ],
)
def test_run_option_refusals(kwargs, field):
    with pytest.raises(InputError) as err:
        predict(Patient(), **kwargs)
    assert err.value.field == field
    assert "expected" in str(err.value)


def test_draw_limits_are_accepted():
    assert predict(Patient(), draws=100).draws == 100
    assert predict(Patient(), draws=2000, seed=0).seed == 0


def test_remission_scenarios_wait_until_read_and_equal_the_direct_computation():
    """The CR/CRh and MRD splits run on first read; their values are those of solving the splits directly."""
    pred = predict(Patient(ecog=0, salvage_line=2, prior_hsct=False, t411=False), draws=300, seed=4)
    assert not pred.scenarios.computed
    pred.scenarios["os_chemotherapy"]  # given at once: reading it computes nothing
    assert not pred.scenarios.computed
    assert list(pred.scenarios) == list(SCENARIOS)  # listing the keys computes nothing
    assert not pred.scenarios.computed

    ds = M.draw_set(300, 4)
    os_curves = ds.endpoints["os"].class_curve(8)  # classes()[8] == (1, 0, 0, 0): ECOG 0 only
    assert pred.os == endpoint(os_curves, np.exp(ds.endpoints["os"].log_hr[:, 0]))  # the right class
    at = 6  # the 3-month landmark on the 0.5-month grid
    share = np.minimum(ds.cr_rate / ds.endpoints["os"].target[:, at], 0.95)  # the cohort's responder share
    cr, no = solve_split(os_curves[:, at:] / os_curves[:, at, None], ds.cr_hr, share)
    mrd, _ = solve_split(cr, ds.mrd_hr, 0.76)  # TOWER Results: MRD response in 76% of CR/CRh/CRi

    def full(part):
        out = np.ones_like(os_curves)
        out[:, at:] = part
        return out

    assert pred.scenarios["os_if_cr_crh"] == endpoint(full(cr), ds.cr_hr, start=at, alive_at=3.0)
    assert pred.scenarios.computed
    assert pred.scenarios["os_if_no_cr_crh"] == endpoint(full(no), start=at, alive_at=3.0)
    assert pred.scenarios["os_if_cr_crh_mrd"] == endpoint(full(mrd), ds.mrd_hr, start=at, alive_at=3.0)


def test_comparing_predictions_computes_no_scenarios():
    a, b = predict(Patient(ecog=1), draws=200), predict(Patient(ecog=1), draws=200)
    assert a == b and a != predict(Patient(ecog=0), draws=200)
    assert not a.scenarios.computed and not b.scenarios.computed
    assert "computed=False" in repr(a)


def test_pending_scenarios_are_computed_once_across_threads():
    import threading
    import time

    from blinacalc.core.result import Scenarios

    pred = predict(Patient(), draws=200)
    calls = []

    def later():
        calls.append(threading.get_ident())
        time.sleep(0.05)  # long enough for every reader to arrive while it runs
        return {k: pred.os for k in SCENARIOS[:4]}

    scenarios = Scenarios({k: pred.rfs for k in SCENARIOS[4:]}, later=later)
    seen = []
    threads = [threading.Thread(target=lambda: seen.append(scenarios["os_if_cr_crh_mrd"])) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1
    assert len(seen) == 8 and all(s is pred.os for s in seen)
    assert scenarios["os_chemotherapy"] is pred.rfs
    with pytest.raises(KeyError):
        scenarios["os_if_unknown"]


def test_a_prediction_pickles_with_its_scenarios():
    """Multiprocessing and user caches need pickling; the lazy scenarios are computed on the way."""
    import pickle

    pred = predict(Patient(ecog=0, salvage_line=2), draws=200, seed=2)
    assert not pred.scenarios.computed
    back = pickle.loads(pickle.dumps(pred))
    assert back == pred and back.to_dict() == pred.to_dict()
    assert back.scenarios.computed and dict(back.scenarios) == dict(pred.scenarios)
    assert pickle.loads(pickle.dumps(Patient(ecog=2, t411=True))) == Patient(ecog=2, t411=True)
