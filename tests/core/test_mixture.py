"""Property tests of the marginal-calibration solver, and a Cox round trip through the model."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from blinacalc.core import model as M
from blinacalc.core.classes import factor_prevalence
from blinacalc.core.evidence import load_evidence
from blinacalc.core.factors import binary, continuous
from blinacalc.core.mixture import solve_baseline, solve_split
from blinacalc.core.result import MONTHS
from blinacalc.core.stats import quantiles

hrs = arrays(float, st.integers(1, 6), elements=st.floats(0.05, 20.0))


@settings(max_examples=200, deadline=None)
@given(
    hr=hrs,
    raw_p=st.lists(st.floats(0.01, 1.0), min_size=6, max_size=6),
    surv=arrays(float, 12, elements=st.floats(1e-6, 1.0)),
)
def test_solver_reproduces_target(hr, raw_p, surv):
    p = np.array(raw_p[: len(hr)])
    p /= p.sum()
    target = np.sort(surv)[::-1]  # any non-increasing curve in (0, 1]
    s0 = solve_baseline(target, hr, p)
    mix = (p[:, None] * s0[None, :] ** hr[:, None]).sum(axis=0)
    np.testing.assert_allclose(mix, target, rtol=1e-8, atol=1e-12)
    assert np.all((s0 > 0) & (s0 <= 1))
    assert np.all(np.diff(s0) <= 1e-12)  # monotone target -> monotone baseline


@settings(max_examples=200, deadline=None)
@given(
    h=arrays(float, 3, elements=st.floats(0.05, 20.0)),
    q=arrays(float, 3, elements=st.floats(0.0, 1.0)),
    surv=arrays(float, (3, 12), elements=st.floats(1e-6, 1.0)),
)
def test_two_class_split_equals_the_general_solver(h, q, surv):
    """The fast scenario split solves the same equation as solve_baseline with classes (h, 1)."""
    target = np.sort(surv, axis=1)[:, ::-1]
    with_state, without = solve_split(target, h, q)
    general = solve_baseline(target, np.column_stack([h, np.ones(3)]), np.column_stack([q, 1 - q]))
    np.testing.assert_allclose(without, general, rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(with_state, without ** h[:, None], rtol=1e-9, atol=1e-14)
    np.testing.assert_allclose(q[:, None] * with_state + (1 - q[:, None]) * without, target, rtol=1e-8, atol=1e-12)


@settings(max_examples=50, deadline=None)
@given(h=st.floats(0.05, 20.0), s=st.floats(1e-6, 1.0))
def test_solver_single_class_is_closed_form(h, s):
    """With one class the mixture is S0^h, so S0 = S^(1/h)."""
    out = solve_baseline(np.array([s]), np.array([h]), np.array([1.0]))
    assert out[0] == pytest.approx(s ** (1 / h), rel=1e-9)


@settings(max_examples=100, deadline=None)
@given(x=arrays(float, st.tuples(st.integers(1, 300), st.integers(1, 5)), elements=st.floats(0, 1)))
def test_sort_based_quantiles_equal_numpy(x):
    """The fast quantiles used for every band match np.quantile's default (linear) method."""
    np.testing.assert_allclose(quantiles(x), np.quantile(x, [0.025, 0.975], axis=0), rtol=0, atol=1e-15)


def test_solver_batches_over_draws():
    rng = np.random.default_rng(0)
    target = np.sort(rng.uniform(0.01, 1, (5, 20)), axis=1)[:, ::-1]
    hr = rng.uniform(0.3, 3, (5, 4))
    p = rng.dirichlet(np.ones(4), 5)
    s0 = solve_baseline(target, hr, p)
    for i in range(5):
        np.testing.assert_allclose(s0[i], solve_baseline(target[i], hr[i], p[i]), rtol=1e-12)


def test_cox_round_trip_recovers_table3_hazard_ratios():
    """Simulate a cohort from the model with Topp 2021 Table 1's mix; lifelines' CoxPHFitter
    recovers the Table 3 OS univariate HRs (combined as independent) within sampling error."""
    import pandas as pd
    from lifelines import CoxPHFitter

    from blinacalc.core.continuous import centres, distribution

    ev = load_evidence()
    rng = np.random.default_rng(2021)
    n = 20_000
    p = factor_prevalence(ev)
    x = (rng.random((n, 4)) < p).astype(float)
    cont = np.column_stack([distribution(ev, f).sample(rng, n) for f in continuous()])
    ds = M.draw_set(100, 0)
    log_hr = ds.endpoints["os"].log_hr[0]
    beta = ds.endpoints["os"].beta[0]
    s0 = np.exp(ds.endpoints["os"].log_s0[0])
    s_patient = s0[None, :] ** np.exp(x @ log_hr + (cont - centres(ev)) @ beta)[:, None]  # (n, T)
    u = rng.random(n)
    died = u > s_patient[:, -1]  # S(T) = u: death within 60 months; the rest censored at 60
    # Inverse transform on the grid: first month where S <= u, interpolated linearly.
    idx = np.argmax(s_patient <= u[:, None], axis=1)
    s_hi, s_lo = s_patient[np.arange(n), idx - 1], s_patient[np.arange(n), idx]
    frac = (s_hi - u) / np.where(s_hi > s_lo, s_hi - s_lo, 1)
    time = np.where(died, MONTHS[idx - 1] + frac * 0.5, 60.0)
    names = [f.indicator for f in (*binary(), *continuous())]
    df = pd.DataFrame(np.column_stack([x, cont]), columns=names).assign(time=time, event=died.astype(int))
    cph = CoxPHFitter().fit(df, "time", "event")
    coef, se = cph.params_.values, cph.standard_errors_.values
    truth = np.concatenate([log_hr, beta])
    assert np.all(np.abs(coef - truth) < 4 * se), (np.exp(coef), np.exp(truth))
    np.testing.assert_allclose(np.exp(log_hr), [0.59, 0.78, 0.92, 1.53])
    # Blasts 1.01 (1.00-1.01) per %, age 1.00 (1.00-1.01) per year: centres of their rounding regions.
    np.testing.assert_allclose(np.exp(beta), [1.00667, 1.00333], atol=5e-5)


@pytest.mark.parametrize(
    "values",
    [{"marrow_blasts": 90.0}, {"age": 75.0}, {"ecog": 1, "marrow_blasts": 5.0}, {"marrow_blasts": 40.0, "age": 20.0}],
)
def test_single_precision_mixture_matches_double_precision(values, monkeypatch):
    """The large mixtures (every binary factor or most unknown, a continuous factor known) take the
    single-precision kernel: within 5e-7 of the double-precision sum in every draw and month."""
    from blinacalc.core import classes as K
    from blinacalc.core.patient import Patient

    ev = load_evidence()
    ds = M.draw_set(2000, 0)
    who = M.Individual(Patient(**values), ds, ev)
    for name in ("os", "rfs"):
        ep = ds.endpoints[name]
        args = (who.weights, ep.class_hr, ep.log_s0, who.shift(ep), *who.rule(ep))
        rate_terms = int(np.count_nonzero(np.atleast_2d(who.weights).any(axis=0))) * who.rule(ep)[0].shape[1]
        assert rate_terms >= K.SINGLE_FROM  # the case under test takes the fast kernel
        fast = K.mix_terms(*args)
        monkeypatch.setattr(K, "SINGLE_FROM", 10**6)
        exact = K.mix_terms(*args)
        monkeypatch.undo()
        assert np.abs(fast - exact).max() < 5e-7
        assert not np.array_equal(fast, exact)  # it really is the other kernel
        assert np.all(fast[:, 0] == 1.0)
