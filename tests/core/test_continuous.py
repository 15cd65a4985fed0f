"""Marrow blasts and age (issue 17): rounding-honest effects, the Table 1 distributions, the unknown mixture,
refusals, and the faces (CLI, saved scenarios, batch)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from blinacalc import Patient, predict
from blinacalc.cli import main
from blinacalc.core import continuous as C
from blinacalc.core import factors as F
from blinacalc.core.classes import classes
from blinacalc.core.evidence import load_evidence
from blinacalc.core.model import draw_set
from blinacalc.core.patient import InputError

EV = load_evidence()
BLASTS, AGE = F.by_name("marrow_blasts"), F.by_name("age")
KNOWN = {"ecog": 1, "salvage_line": 2, "prior_hsct": False, "t411": False}


def test_blasts_distribution_meets_table1():
    """Topp 2021 Table 1: blasts mean 66.7%, SD 31.1% (n = 255), bands <=5% 6, >5-<10% 10, 10-<50% 61,
    >=50% 178; the distribution reproduces the mean and SD and its pieces carry the band counts."""
    d = C.distribution(EV, BLASTS)
    assert d.mean == pytest.approx(66.7, abs=1e-9)
    assert d.sd == pytest.approx(31.1 * math.sqrt(254 / 255), abs=1e-9)  # the published SD is the sample SD
    assert [round(p[0] * 255) for p in d.pieces] == [6, 10, 61, 178]
    x = d.sample(np.random.default_rng(0), 200_000)
    assert x.min() >= 0 and x.max() <= 100
    assert x.mean() == pytest.approx(66.7, abs=0.2) and x.std() == pytest.approx(31.0, abs=0.2)
    assert np.mean(x >= 50) == pytest.approx(178 / 255, abs=0.005)


def test_age_distribution_meets_table1_and_agrees_with_tower():
    """Topp 2021 Table 1: age median 38, range 18-79. Its maximum-entropy distribution has mean 43.25 and
    SD 17.9, close to TOWER's blinatumomab arm (Kantarjian 2017 Table 1: 40.8 +/- 17.1, range 18-80)."""
    d = C.distribution(EV, AGE)
    assert (d.lower, d.upper) == (18, 79)
    assert d.mean == pytest.approx((28 + 58.5) / 2)
    assert abs(d.mean - 40.8) < 3 and abs(d.sd - 17.1) < 1.5
    x = d.sample(np.random.default_rng(0), 100_000)
    assert np.median(x) == pytest.approx(38, abs=0.3)


def test_blasts_effect_is_the_rounding_region_not_the_printed_interval():
    """Table 3 OS prints blasts as 1.01 (1.00-1.01) per %. Read naively (log-normal centred on 1.01, SE from
    the printed CI) the per-% ratio would be 1.005-1.015 with median 1.01. Unrounded, a Wald interval has
    estimate sqrt(lo*hi) with lo < 1.005 and hi < 1.015, so the estimate lies in [1.005, 1.010): centre
    about 1.0067; the interval reaches further down (SEs up to twice the naive one) and less far up."""
    q = EV.topp["table3.os.univariate.marrow_blasts_per_percent"]
    log_est, se = C.rounding_region(q)
    assert se.max() > 2 * 0.99 * np.log(1.01 / 1.00) / 3.92  # SEs up to twice the naive one
    assert np.exp(log_est).min() >= 1.005 - 1e-9 and np.exp(log_est).max() < 1.0100
    draws = np.exp(C.rounding_draws(q, np.random.default_rng(0), 100_000))
    lo, mid, hi = np.quantile(draws[1:], [0.025, 0.5, 0.975])
    assert draws[0] == pytest.approx(1.00667, abs=5e-5)
    assert mid < 1.008  # naive: 1.010
    assert lo < 1.002  # naive: 1.005
    assert 1.011 < hi < 1.015  # naive: 1.015
    # over 80 percentage points: the hazard ratio's interval spans ~1.04-2.8, not 1.49-3.29
    assert draws[0] ** 80 == pytest.approx(1.70, abs=0.02)


def test_age_point_estimate_is_above_one_but_not_certainly():
    """Table 3 OS: age 1.00 (1.00-1.01) per year. Unrounded, sqrt(lo*hi) >= sqrt(0.995*1.005) and the estimate
    rounds to 1.00: it lies in [1.0000, 1.005), centre 1.0033; its interval includes 1."""
    q = EV.topp["table3.os.univariate.age_per_year"]
    draws = np.exp(C.rounding_draws(q, np.random.default_rng(0), 100_000))
    assert draws[0] == pytest.approx(1.00333, abs=5e-5)
    lo, hi = np.quantile(draws[1:], [0.025, 0.975])
    assert lo < 1.0 < hi


def test_gauss_rule_from_moments_is_gauss_hermite_for_a_normal():
    nodes, weights = C.gauss_rule(np.array([[1.0, 0.0, 1.0, 0.0, 3.0, 0.0, 15.0]]))
    np.testing.assert_allclose(nodes[0], [-math.sqrt(3), 0, math.sqrt(3)], atol=1e-12)
    np.testing.assert_allclose(weights[0], [1 / 6, 2 / 3, 1 / 6], atol=1e-12)


def test_more_blasts_and_older_age_mean_worse_survival():
    by_blasts = [predict(Patient(**KNOWN, marrow_blasts=b)).os.landmark(12).estimate for b in (10, 50, 90)]
    assert by_blasts[0] > by_blasts[1] > by_blasts[2]
    by_age = [predict(Patient(**KNOWN, age=a)).os.landmark(12).estimate for a in (20, 45, 75)]
    assert by_age[0] > by_age[1] > by_age[2]
    rfs = [predict(Patient(**KNOWN, marrow_blasts=b)).rfs for b in (10, 90)]
    assert rfs[0].hazard_ratio.estimate == pytest.approx(rfs[1].hazard_ratio.estimate, rel=0.01)  # RFS: 1.00


def test_all_unknown_is_the_published_curve_exactly():
    """Topp 2021 Fig. 1A/1B: the all-unknown patient's curves are the calibrated population curves."""
    ds = draw_set(2000, 0)
    pred = predict(Patient())
    np.testing.assert_array_equal(pred.os.curve.estimate, ds.endpoints["os"].target[0])
    assert pred.os.landmark(24).estimate == pytest.approx(0.234, abs=0.01)  # Fig. 1A: 23.4% at 2 years


def test_unknown_blasts_is_the_table1_mixture():
    """Unknown blasts = the patient's curve averaged over the Table 1 distribution (here by a fine
    quadrature of its pieces, independent of the 3-node Gauss rule the model uses), at the point estimate."""
    ep = draw_set(2000, 0).endpoints["os"]
    d = C.distribution(EV, BLASTS)
    x, w = [], []
    for weight, lo, hi, a, b in d.pieces:
        u = (np.arange(20_000) + 0.5) / 20_000
        dens = u ** (a - 1) * (1 - u) ** (b - 1)
        x.append(lo + (hi - lo) * u)
        w.append(weight * dens / dens.sum())
    xs, ws = np.concatenate(x), np.concatenate(w)
    k = int(np.flatnonzero((classes() == [0, 0, 0, 0]).all(axis=1))[0])
    rate = ep.class_hr[0, k] * np.exp(ep.beta[0, 0] * (xs - d.mean) + ep.beta[0, 1] * (50.0 - C.centres(EV)[1]))
    mixture = (ws[:, None] * np.exp(rate[:, None] * ep.log_s0[0][None, :])).sum(axis=0)
    model = np.array(predict(Patient(**KNOWN, age=50)).os.curve.estimate)
    np.testing.assert_allclose(model, mixture, atol=2e-4)


def test_a_known_value_at_the_cohort_mean_barely_moves_the_estimate():
    """The effect is centred at the cohort mean: blasts 66.7% and age 43.25 give the unknown patient's numbers
    up to the spread of the mixture (Jensen), well under one percentage point."""
    unknown = predict(Patient(**KNOWN))
    centre = predict(Patient(**KNOWN, marrow_blasts=66.7, age=43.25))
    assert abs(centre.os.landmark(12).estimate - unknown.os.landmark(12).estimate) < 0.005
    assert abs(centre.os.median_months.estimate - unknown.os.median_months.estimate) < 0.3


def test_hazard_ratio_includes_known_continuous_factors():
    """Table 3 OS: ECOG 0 (0.59) x 1st salvage (0.78) x blasts per % (centre 1.00667) over 30 points."""
    pred = predict(Patient(ecog=0, salvage_line=1, prior_hsct=False, t411=False, marrow_blasts=96.7, age=43.25))
    assert pred.os.hazard_ratio.estimate == pytest.approx(0.59 * 0.78 * 1.00667**30, rel=2e-3)


@pytest.mark.parametrize(
    ("kwargs", "field", "words"),
    [
        ({"age": 17}, "age", "adults only"),
        ({"age": 81}, "age", "18-80"),
        ({"marrow_blasts": -1}, "marrow_blasts", "0 to 100"),
        ({"marrow_blasts": 100.5}, "marrow_blasts", "0 to 100"),
        ({"age": float("nan")}, "age", "a number of years"),
        ({"marrow_blasts": True}, "marrow_blasts", "a number from 0 to 100"),
    ],
)
def test_values_outside_the_trials_are_refused(kwargs, field, words):
    with pytest.raises(InputError) as exc:
        Patient(**kwargs)
    assert exc.value.field == field and words in exc.value.message


@pytest.mark.parametrize(
    ("flag", "value", "words"),
    [
        ("--age", "17", "--age: the trials enrolled adults only"),
        ("--age", "90", "--age: the trials enrolled ages 18-80"),
        ("--marrow-blasts", "120", "--marrow-blasts: marrow blasts are a percentage"),
        ("--marrow-blasts", "lots", "--marrow-blasts: expected a number from 0 to 100"),
        ("--marrow-blasts", "1e2", "--marrow-blasts: expected a number from 0 to 100"),
    ],
)
def test_cli_refusals_are_one_line_naming_the_flag(capsys, flag, value, words):
    assert main(["summary", flag, value]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and words in err


def test_low_blasts_warn_and_percent_sign_is_read(capsys):
    """Topp 2021 Table 1: 6 of 259 had <=5% blasts; TOWER required >5%."""
    assert main(["summary", "--marrow-blasts", "4%", "--format", "json", "--draws", "200"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["inputs"]["marrow_blasts"] == 4.0
    assert any("only 6 of 259" in w and "MRD-positive" in w for w in d["warnings"])


def test_saved_scenarios_keep_blasts_and_age(capsys):
    assert main(["scenarios", "save", "burden", "--ecog", "1", "--marrow-blasts", "72.5", "--age", "61"]) == 0
    assert "marrow blasts 72.5%, age 61 years" in capsys.readouterr().err
    assert main(["scenarios", "show", "burden", "--format", "json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert (shown["marrow_blasts"], shown["age"]) == (72.5, 61.0)
    assert main(["summary", "--scenario", "burden", "--format", "json", "--draws", "200"]) == 0
    assert json.loads(capsys.readouterr().out)["inputs"]["age"] == 61.0


def test_batch_reads_the_new_columns_exactly_at_grid_values_and_close_between(tmp_path, capsys):
    """A row at grid values (blasts 40%, age 80) gets summary's numbers; one between them differs by less than
    the bounds' Monte Carlo error (module docstring of blinacalc.cohort.batch)."""
    from blinacalc.cohort.batch import Predictions, output_cells, output_numbers

    src = tmp_path / "in.csv"
    src.write_text(
        "id,ecog,salvage_line,prior_hsct,t411,marrow_blasts,age\n"
        "a,1,2,no,no,40,80\nb,1,2,no,no,47.3,52.9\nc,1,2,no,no,101,40\nd,1,2,no,no,,\n"
    )
    assert main(["batch", str(src), "--draws", "300"]) == 3  # row c refused
    lines = capsys.readouterr().out.splitlines()
    rows = [dict(zip(lines[0].split(","), line.split(","), strict=False)) for line in lines[1:]]
    exact = Predictions(300, 0, output_numbers)
    a = output_cells(predict(Patient(**KNOWN, marrow_blasts=40, age=80), draws=300))
    assert tuple(rows[0][k] for k in list(rows[0])[7:-1]) == a
    b = exact(Patient(**KNOWN, marrow_blasts=47.3, age=52.9))
    assert abs(float(rows[1]["os_12mo"]) - b[6]) <= 1e-4
    assert abs(float(rows[1]["os_12mo_lo"]) - b[7]) <= 5e-3
    assert abs(float(rows[1]["os_median"]) - b[0]) <= 0.01
    assert rows[2]["os_12mo"] == "" and "marrow_blasts" in rows[2]["error"]
    d = output_cells(predict(Patient(**KNOWN), draws=300))
    assert tuple(rows[3][k] for k in list(rows[3])[7:-1]) == d
