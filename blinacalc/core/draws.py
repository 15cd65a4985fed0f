"""The Monte Carlo draws that do not depend on the patient, built once per (draws, seed, factor table).

Each draw takes every binary factor's log hazard ratio from its published CI, every continuous factor's
per-unit log hazard ratio from its rounding region (:mod:`blinacalc.core.continuous`), the curve
parameters from the fit's covariance, the response rate, the drawn factor prevalences and the
post-landmark CR/CRh ratio; each draw's reference-group baseline is re-calibrated so that its own cohort
mix (binary classes times the Gauss nodes of the continuous factors) reproduces its own population curve
(``docs/methodology.md`` sections 2, 3, 5 and 6).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from blinacalc.core import classes as K
from blinacalc.core import continuous as C
from blinacalc.core import factors as F
from blinacalc.core.evidence import Evidence, Quantity, load_evidence, response_landmark_months
from blinacalc.core.mixture import solve_baseline, solve_split
from blinacalc.core.parallel import both
from blinacalc.core.result import MONTHS, Endpoint
from blinacalc.core.stats import log_se_from_ci
from blinacalc.core.summaries import endpoint, index

if TYPE_CHECKING:  # the fit is read only to build draws: a run that finds them on disk never imports it
    from blinacalc.core.baseline import FittedCurve

# Evidence horizons (the last month each curve's published numbers support).
RFS_HORIZON = 48.0  # Topp 2021 publishes RFS to 4 years (Fig. 1B)
HSCT_HORIZON = 36.0  # Fig. 1C: median and 3-year OS only
CHEMO_HORIZON = 12.0  # TOWER: median follow-up 11.7 months; curves converged between 15 and 18 months
# The cohort's responder share among survivors at the landmark, r/S(L), is about 0.67; a draw cannot
# reach 1 in practice, but the cap keeps the non-responders defined if one ever did.
MAX_RESPONDER_SHARE = 0.95
# Grid for the post-landmark CR/CRh hazard ratio's conditional posterior (log scale).
_LANDMARK_HR_GRID = np.linspace(np.log(0.05), np.log(1.5), 241)
# Table 3's CR/CRh ratio is a prior only: it is another estimand (time-dependent, over the whole follow-up,
# early deaths of not-yet-responders included) from the same 259 patients as Table 2's counts, so giving
# it its published precision would count those patients twice. Its centre is kept; its log-scale SD is 1.
_PRIOR_LOG_SD = 1.0
CACHE_CLASS_CURVES_UP_TO = 5000  # draws; above this, class curves are recomputed per call
_CHUNK = 2048
ENDPOINT_ARRAYS = ("target", "log_s0", "log_hr", "class_hr", "sens_log_s0", "beta", "z_nodes", "z_weights")


@dataclass
class EndpointDraws:
    """Patient-independent pieces for one individualized endpoint (OS or RFS)."""

    target: np.ndarray  # (D+1, T) population curve per draw
    log_s0: np.ndarray  # (D+1, T) log of the re-calibrated reference baseline (binary reference, continuous at mean)
    log_hr: np.ndarray  # (D+1, K) binary factors' log hazard ratios
    class_hr: np.ndarray  # (D+1, 2^K)
    sens_log_s0: np.ndarray  # (2U, T) row-0 baseline re-calibrated at each drawn prevalence's two bounds
    beta: np.ndarray  # (D+1, C) continuous factors' per-unit log hazard ratios
    z_nodes: np.ndarray  # (D+1, Q) Gauss nodes of every continuous factor's term together (all unknown)
    z_weights: np.ndarray  # (D+1, Q)
    cache: bool
    _curves: dict[int, np.ndarray] = field(default_factory=dict)
    _rules: dict[tuple[int, ...], tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)

    def class_curve(self, k: int) -> np.ndarray:
        """Class ``k``'s curves with every continuous factor unknown (integrated over the cohort's values)."""
        if k in self._curves:
            return self._curves[k]
        curve = K.mix_terms(
            np.eye(1, self.class_hr.shape[1], k), self.class_hr, self.log_s0, None, self.z_nodes, self.z_weights
        )
        if self.cache:
            self._curves[k] = curve
        return curve

    def rule(self, ev: Evidence, unknown: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
        """Gauss nodes and weights (D+1, Q) for the continuous factors ``unknown`` (indices), kept."""
        if len(unknown) == self.beta.shape[1]:
            return self.z_nodes, self.z_weights  # every continuous factor unknown: built with the draws
        if unknown not in self._rules:
            self._rules[unknown] = C.unknown_rule(ev, self.beta, unknown)
        return self._rules[unknown]


@dataclass
class DrawSet:
    """Everything random that does not depend on the patient."""

    endpoints: dict[str, EndpointDraws]
    hsct_ccr: np.ndarray  # (D+1, T)
    drawn_prevalence: np.ndarray  # (D+1, U) the drawn factor prevalences (classes.drawn_factors order)
    cr_hr: np.ndarray  # (D+1,) post-landmark CR/CRh hazard ratio (Table 2 counts, Table 3 weak prior)
    cr_rate: np.ndarray  # (D+1,)
    mrd_hr: np.ndarray  # (D+1,)
    tower_hr: np.ndarray  # (D+1,)

    @cached_property
    def hsct_endpoint(self) -> Endpoint:
        """OS after HSCT in continuous CR: the same for every patient, so summarised once."""
        return endpoint(self.hsct_ccr, stop=index(HSCT_HORIZON), basis="cohort_reference", horizon=HSCT_HORIZON)

    @cached_property
    def factor_prevalence(self) -> np.ndarray:
        """(D+1, K): every factor's cohort share per draw."""
        return K.factor_prevalence(load_evidence(), self.drawn_prevalence)


def lognormal_draws(q: Quantity, rng: np.random.Generator, size: int) -> np.ndarray:
    """Point estimate then draws of a hazard ratio: log HR ~ Normal(log estimate, SE from its CI)."""
    assert q.ci is not None, q.key
    se = log_se_from_ci(*q.ci)
    draws: np.ndarray = np.exp(np.concatenate([[np.log(q.value)], rng.normal(np.log(q.value), se, size)]))
    return draws


def _curve_draws(fit: FittedCurve, rng: np.random.Generator, draws: int) -> np.ndarray:
    params = np.vstack([fit.estimate, fit.draw(rng, draws)])
    return fit.survival(MONTHS, params)


def _log(x: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        out: np.ndarray = np.log(x)
    return out


def sensitivity_prevalence(ev: Evidence) -> np.ndarray:
    """(2U, K): the factor prevalences with each drawn one at its lower then upper bound, the rest at their
    point estimates."""
    base = K.factor_prevalence(ev)
    rows = []
    for j in K.drawn_factors():
        for bound in K.prevalence_bounds(ev, F.binary()[j]):
            row = base.copy()
            row[j] = bound
            rows.append(row)
    return np.array(rows).reshape(-1, len(base))


def _with_nodes(
    class_hr: np.ndarray, p_class: np.ndarray, nodes: np.ndarray, weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Binary classes times continuous nodes, flattened: hazard ratios and weights (R, 2^K * Q)."""
    hr = (class_hr[:, :, None] * np.exp(nodes)[:, None, :]).reshape(len(class_hr), -1)
    p = (p_class[:, :, None] * weights[:, None, :]).reshape(len(class_hr), -1)
    return hr, p


def _endpoint_draws(
    name: str,
    fit: FittedCurve,
    ev: Evidence,
    rng: np.random.Generator,
    draws: int,
    drawn: np.ndarray,
    rng_c: np.random.Generator,
) -> EndpointDraws:
    target = _curve_draws(fit, rng, draws)
    hrs = np.column_stack([lognormal_draws(ev.topp[f.hr_key(name)], rng, draws) for f in F.binary()])
    log_hr = np.log(hrs)
    class_hr = np.exp(log_hr @ K.classes().T)
    p_class = K.class_prevalence(K.factor_prevalence(ev, drawn))  # (D+1, 2^K): one mix per draw
    cont = F.continuous()
    beta = np.zeros((draws + 1, len(cont)))
    for c, f in enumerate(cont):
        beta[:, c] = C.rounding_draws(ev.topp[f.hr_key(name)], rng_c, draws)
    if cont:
        z_nodes, z_weights = C.unknown_rule(ev, beta, tuple(range(len(cont))))
    else:
        z_nodes, z_weights = np.zeros((draws + 1, 1)), np.ones((draws + 1, 1))
    hr_all, p_all = _with_nodes(class_hr, p_class, z_nodes, z_weights)
    # Re-calibrate every draw: its own population average reproduces its own baseline draw.
    s0 = np.empty_like(target)

    def solve(rows: slice) -> None:
        for i in range(rows.start, rows.stop, _CHUNK):
            part = slice(i, min(i + _CHUNK, rows.stop))
            s0[part] = solve_baseline(target[part], hr_all[part], p_all[part])

    half = target.shape[0] // 2  # each draw is solved on its own: two halves on two threads
    both(lambda: solve(slice(0, half)), lambda: solve(slice(half, target.shape[0])))
    # Sensitivity: the point estimate re-calibrated at each bound of each drawn prevalence.
    bounds = K.class_prevalence(sensitivity_prevalence(ev))
    n = len(bounds)
    if n:
        hr_b, p_b = _with_nodes(
            np.repeat(class_hr[:1], n, 0), bounds, np.repeat(z_nodes[:1], n, 0), np.repeat(z_weights[:1], n, 0)
        )
        sens = solve_baseline(np.repeat(target[:1], n, 0), hr_b, p_b)
    else:
        sens = target[:0]
    return EndpointDraws(
        target,
        _log(s0),
        log_hr,
        class_hr,
        _log(sens),
        beta,
        z_nodes,
        z_weights,
        draws <= CACHE_CLASS_CURVES_UP_TO,
    )


def landmark_counts(ev: Evidence, population_at_landmark: np.ndarray) -> dict[str, np.ndarray | float]:
    """Table 2's counts alive at the month-36 visit, as the landmark split sees them.

    Responders: 36 alive of the 123 with CR/CRh, less the 2 relapse-free patients lost to follow-up
    (footnote d; status unknown, so censored): 36 of 121. Non-responders: 7 alive of those alive at the
    landmark, :math:`259\\,\\bar S(L) - 123` (responders are taken as alive at the landmark). The counts
    are of patients known alive after 35 months (footnote a), so they are compared with month 35.
    """
    t = ev.topp
    resp, alive_all = t["table2.alive_36.cr_crh"], t["table2.alive_36.all"]
    assert resp.n is not None and resp.N is not None and alive_all.N is not None
    k_no = t["table2.alive_36.no_cr_crh"].value
    return {
        "month": t["table2.alive_36.window_months"].value,
        "k_r": float(resp.n),
        "n_r": float(resp.N - t["table2.lost_to_followup_relapse_free"].value),
        "k_n": k_no,
        "n_n": np.maximum(alive_all.N * population_at_landmark - resp.N, k_no + 1.0),
    }


def landmark_hr_draws(
    population: np.ndarray, cr_rate: np.ndarray, ev: Evidence, rng: np.random.Generator
) -> np.ndarray:
    """Post-landmark OS hazard ratio, CR/CRh vs none, per draw: Table 2's counts with Table 3 as a weak prior.

    Topp 2021 Table 3's 0.29 (0.21-0.40) is a time-dependent Cox ratio over the whole follow-up; the
    scenarios need the ratio *after* the landmark among patients alive there. Each draw's ratio is drawn
    from its conditional posterior on a log grid: prior :math:`N(\\log 0.29, 1)` on the log ratio;
    likelihood the counts of :func:`landmark_counts`, each binomial, with the split of that draw's
    population curve (responder share :math:`r/\\bar S(L)`, proportional hazards after the landmark).
    Row 0 takes the posterior median given the point-estimate curve.
    """
    mu = np.log(ev.topp["table3.os.univariate.cr_crh"].value)
    at_l = index(response_landmark_months(ev))
    s_l = population[:, at_l]
    c = landmark_counts(ev, s_l)
    at_m = index(float(c["month"]))
    share = np.minimum(cr_rate / s_l, MAX_RESPONDER_SHARE)
    grid, g = _LANDMARK_HR_GRID, len(_LANDMARK_HR_GRID)
    out = np.empty(population.shape[0])
    u = np.concatenate([[0.5], rng.random(population.shape[0] - 1)])
    for i in range(0, population.shape[0], _CHUNK):
        part = slice(i, i + _CHUNK)
        d = len(out[part])
        cond = np.repeat(population[part, at_m] / s_l[part], g)[:, None]
        s_r, s_n = solve_split(cond, np.tile(np.exp(grid), d), np.repeat(share[part], g))
        s_r, s_n = (np.clip(x.reshape(d, g), 1e-12, 1 - 1e-12) for x in (s_r, s_n))
        log_post = (
            c["k_r"] * np.log(s_r)
            + (c["n_r"] - c["k_r"]) * np.log1p(-s_r)
            + c["k_n"] * np.log(s_n)
            + (np.asarray(c["n_n"])[part, None] - c["k_n"]) * np.log1p(-s_n)
            - 0.5 * ((grid - mu) / _PRIOR_LOG_SD) ** 2
        )
        w = np.exp(log_post - log_post.max(axis=1, keepdims=True))
        cdf = np.cumsum(w, axis=1)
        cdf /= cdf[:, -1:]
        j = np.minimum((cdf < u[part, None]).sum(axis=1), g - 1)
        out[part] = np.exp(grid[j])
    return out


def build(draws: int, seed: int) -> DrawSet:
    """Build every patient-independent draw (about 0.4 s for 2,000 draws)."""
    from blinacalc.core.baseline import load_calibration

    ev, cal = load_evidence(), load_calibration()
    rng = np.random.default_rng(seed)
    columns = []
    for j in K.drawn_factors():
        lo, hi = K.prevalence_bounds(ev, F.binary()[j])
        columns.append(np.concatenate([[(lo + hi) / 2], rng.uniform(lo, hi, draws)]))
    drawn = np.column_stack(columns) if columns else np.empty((draws + 1, 0))
    # The continuous factors' effects come from their own stream, so the other draws are as before them.
    rng_c = np.random.default_rng((seed, 1))
    endpoints = {name: _endpoint_draws(name, cal.curves[name], ev, rng, draws, drawn, rng_c) for name in ("os", "rfs")}
    hsct = _curve_draws(cal.curves["hsct_ccr"], rng, draws)
    t = ev.topp
    cr = t["table2.cr_crh"]
    assert cr.n is not None and cr.N is not None
    cr_rate = np.concatenate([[cr.proportion], rng.beta(cr.n, cr.N - cr.n, draws)])
    return DrawSet(
        endpoints=endpoints,
        hsct_ccr=hsct,
        drawn_prevalence=drawn,
        cr_hr=landmark_hr_draws(endpoints["os"].target, cr_rate, ev, rng),
        cr_rate=cr_rate,
        mrd_hr=lognormal_draws(t["table3.os.multivariate.mrd_response"], rng, draws),
        tower_hr=lognormal_draws(ev.tower["os.hazard_ratio"], rng, draws),
    )
