"""Continuous baseline factors (marrow blasts, age): cohort distributions, rounding-honest hazard ratios,
and the Gauss rules that integrate over an unknown value.

A continuous factor :math:`x` enters the log hazard as :math:`\\beta (x - m)`, with :math:`m` the mean
of its cohort distribution, so a patient at the cohort's mean has the reference class's hazard.

**Rounding-honest effect.** Topp 2021 Table 3 prints the per-unit hazard ratios to two decimals, e.g.
1.01 (1.00-1.01) per % of marrow blasts. Each printed number stands for an interval of width 0.01
(``1.00`` is anything in [0.995, 1.005]). A Cox model's Wald interval is symmetric on the log scale,
:math:`\\hat e = \\sqrt{lo \\cdot hi}`, so the unrounded triple lies in

.. math:: R = \\{(lo^*, hi^*) : |lo^* - lo| \\le h,\\ |hi^* - hi| \\le h,\\ |\\sqrt{lo^* hi^*} - e| \\le h\\},
    \\quad h = 0.005.

With nothing to prefer one point of :math:`R` to another, :math:`(lo^*, hi^*)` is taken as uniform on
:math:`R`; each draw then takes :math:`\\beta \\sim N(\\log\\sqrt{lo^* hi^*},\\ (\\log(hi^*/lo^*) / 3.92)^2)`.
The point estimate (row 0) is the mean of :math:`\\log\\sqrt{lo^* hi^*}` over :math:`R`. Read naively,
"1.01 (1.00-1.01)" would be a log-normal centred on 1.01; the rounding region centres it near 1.0075.

**Unknown values.** The cohort distribution is built from Topp 2021 Table 1 (see :func:`distribution`);
an unknown value is integrated over it. Per draw, the unknown factors' combined log-hazard term
:math:`z = \\sum_c \\beta_c (x_c - m_c)` has moments computed exactly from the distributions' moments,
and a :data:`NODES`-point Gauss rule for :math:`z` is built from them (Golub-Welsch). The rule is exact
for polynomials in :math:`z` up to degree :math:`2 \\cdot` NODES :math:`- 1`; calibration uses the same
rule, so the all-unknown patient reproduces the published curves exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import comb

import numpy as np

from blinacalc.core import factors as F
from blinacalc.core.classes import quantity
from blinacalc.core.evidence import Evidence, Quantity

NODES = 3  # Gauss nodes per draw for unknown continuous factors
_MOMENTS = 12  # raw moments kept; a Q-point rule needs 0..2Q (the (Q+1)-square Hankel matrix)
HALF_UNIT = 0.005  # half the last printed digit of Table 3's hazard ratios
_Z95 = 1.959963984540054
_GRID = 401  # per side of the (lo*, hi*) grid over the rounding region


@dataclass(frozen=True)
class Distribution:
    """A continuous factor's cohort distribution: its mean and central moments :math:`E[(x-m)^k]`,
    a few descriptive numbers for the docs and tests, and its pieces for sampling: (weight, low, high,
    Beta a, Beta b), uniform where a = b = 1."""

    mean: float
    central: tuple[float, ...]
    sd: float
    lower: float
    upper: float
    description: str
    pieces: tuple[tuple[float, float, float, float, float], ...]

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """``size`` values drawn from the distribution (synthetic cohorts, tests)."""
        w = np.array([p[0] for p in self.pieces])
        which = rng.choice(len(w), size=size, p=w / w.sum())
        out = np.empty(size)
        for i, (_, lo, hi, a, b) in enumerate(self.pieces):
            mask = which == i
            out[mask] = lo + (hi - lo) * rng.beta(a, b, int(mask.sum()))
        return out


def _uniform_raw(a: float, b: float, k: int) -> float:
    """:math:`E[X^k]` for X uniform on [a, b]."""
    return (b ** (k + 1) - a ** (k + 1)) / ((k + 1) * (b - a))


def _beta_raw(alpha: float, beta: float, k: int) -> float:
    out = 1.0
    for i in range(k):
        out *= (alpha + i) / (alpha + beta + i)
    return out


def _central(raw: list[float]) -> tuple[float, ...]:
    m = raw[1]
    return tuple(sum(comb(k, j) * raw[j] * (-m) ** (k - j) for j in range(k + 1)) for k in range(len(raw)))


def _bands(ev: Evidence, f: F.Factor) -> Distribution:
    """Marrow blasts (Topp 2021 Table 1, the 255 with a value): uniform within the bands <=5%, >5 to <10%
    and 10 to <50%; within >=50% a Beta on [50, 100] whose mean and variance make the whole distribution's
    mean and SD the published 66.7% and 31.1%. (Uniform within every band would give a mean of 59.9%: the
    >=50% band must lean towards 100%.)"""
    p = f.prevalence
    low_keys, top_key = p.keys[:-3], p.keys[-3]
    mean_q, sd_q = quantity(ev, p.keys[-2]), quantity(ev, p.keys[-1])
    edges = [(0.0, 5.0), (5.0, 10.0), (10.0, 50.0)]
    counts = [quantity(ev, k).n for k in (*low_keys, top_key)]
    assert all(c is not None for c in counts) and len(low_keys) == len(edges)
    n = float(sum(c for c in counts if c is not None))
    w = [c / n for c in counts if c is not None]
    assert mean_q.n is not None and round(n) == mean_q.n, "band counts must add up to the No. with a value"
    mean, var = mean_q.value, sd_q.value**2 * (n - 1) / n  # the published SD is the sample SD
    low_m1 = sum(wi * _uniform_raw(a, b, 1) for wi, (a, b) in zip(w, edges, strict=False))
    low_m2 = sum(wi * _uniform_raw(a, b, 2) for wi, (a, b) in zip(w, edges, strict=False))
    top_mean = (mean - low_m1) / w[-1]
    top_var = (var + mean**2 - low_m2) / w[-1] - top_mean**2
    lo, hi = 50.0, 100.0
    mu, v = (top_mean - lo) / (hi - lo), top_var / (hi - lo) ** 2
    assert 0 < v < mu * (1 - mu), "the published mean and SD cannot be met by the bands"
    s = mu * (1 - mu) / v - 1
    alpha, beta = mu * s, (1 - mu) * s
    raw = []
    for k in range(_MOMENTS + 1):
        low = sum(wi * _uniform_raw(a, b, k) for wi, (a, b) in zip(w, edges, strict=False))
        # E[(lo + (hi-lo) B)^k] by the binomial theorem
        top = sum(comb(k, j) * lo ** (k - j) * (hi - lo) ** j * _beta_raw(alpha, beta, j) for j in range(k + 1))
        raw.append(low + w[-1] * top)
    return Distribution(
        mean=raw[1],
        central=_central(raw),
        sd=float(np.sqrt(_central(raw)[2])),
        lower=0.0,
        upper=100.0,
        pieces=(*((wi, a, b, 1.0, 1.0) for wi, (a, b) in zip(w, edges, strict=False)), (w[-1], lo, hi, alpha, beta)),
        description=(
            f"uniform within <=5%, >5 to <10% and 10 to <50% (weights {counts[0]}, {counts[1]}, {counts[2]} of "
            f"{n:.0f}); within >=50% ({counts[3]}) 50 + 50 Beta({alpha:.2f}, {beta:.2f}), chosen so that the mean "
            f"and SD are the published {mean:g}% and {sd_q.value:g}%"
        ),
    )


def _median_range(ev: Evidence, f: F.Factor) -> Distribution:
    """Age (Topp 2021 Table 1: median 38, range 18-79): half the cohort uniform on each side of the median,
    the maximum-entropy distribution with that support and median."""
    q = quantity(ev, f.prevalence.keys[0])
    assert q.range is not None
    (a, b), m = q.range, q.value
    raw = [0.5 * _uniform_raw(a, m, k) + 0.5 * _uniform_raw(m, b, k) for k in range(_MOMENTS + 1)]
    central = _central(raw)
    return Distribution(
        mean=raw[1],
        central=central,
        sd=float(np.sqrt(central[2])),
        lower=a,
        upper=b,
        pieces=((0.5, a, m, 1.0, 1.0), (0.5, m, b, 1.0, 1.0)),
        description=f"half of the cohort uniform on {a:g}-{m:g} and half on {m:g}-{b:g} (median {m:g}, range "
        f"{a:g}-{b:g}): the maximum-entropy distribution with that range and median",
    )


def distribution(ev: Evidence, f: F.Factor) -> Distribution:
    """The cohort distribution of continuous factor ``f``, from its ``prevalence`` spec."""
    key = (f.name, F.fingerprint(), ev.version)
    if key not in _DISTRIBUTIONS:
        kind = f.prevalence.kind
        if kind == "bands":
            _DISTRIBUTIONS[key] = _bands(ev, f)
        elif kind == "median_range":
            _DISTRIBUTIONS[key] = _median_range(ev, f)
        else:
            raise ValueError(f"{f.name}: unknown distribution kind {kind!r}")
    return _DISTRIBUTIONS[key]


_DISTRIBUTIONS: dict[tuple[str, str, str], Distribution] = {}


def centres(ev: Evidence) -> np.ndarray:
    """(C,) the cohort mean of each continuous factor, table order: the value with no effect on the hazard."""
    return np.array([distribution(ev, f).mean for f in F.continuous()])


# --- Rounding-honest hazard ratios ------------------------------------------------------------------


def rounding_region(q: Quantity, half: float = HALF_UNIT) -> tuple[np.ndarray, np.ndarray]:
    """The unrounded (log estimate, log SE) pairs consistent with the printed estimate and CI of ``q``:
    a grid over :math:`R` (module docstring), each point equally likely."""
    assert q.ci is not None, q.key
    lo = np.linspace(q.ci[0] - half, q.ci[0] + half, _GRID)
    hi = np.linspace(q.ci[1] - half, q.ci[1] + half, _GRID)
    lo_g, hi_g = np.meshgrid(lo, hi, indexing="ij")
    est = np.sqrt(lo_g * hi_g)
    ok = (np.abs(est - q.value) <= half + 1e-12) & (hi_g > lo_g) & (lo_g > 0)
    if not ok.any():
        raise ValueError(f"{q.key}: no unrounded interval is consistent with the printed numbers")
    return np.log(est[ok]), np.log(hi_g[ok] / lo_g[ok]) / (2 * _Z95)


def rounding_draws(q: Quantity, rng: np.random.Generator, size: int) -> np.ndarray:
    """Per-unit log hazard ratios: row 0 the centre of the rounding region, then ``size`` draws."""
    log_est, se = rounding_region(q)
    pick = rng.integers(0, len(log_est), size)
    draws = log_est[pick] + se[pick] * rng.standard_normal(size)
    return np.concatenate([[log_est.mean()], draws])


# --- Gauss rules for the unknown part ---------------------------------------------------------------


def z_moments(beta: np.ndarray, central: list[tuple[float, ...]], order: int = 2 * NODES) -> np.ndarray:
    """Raw moments ``0..order`` of :math:`z = \\sum_c \\beta_c u_c` (independent :math:`u_c`, central
    moments ``central[c]``): ``beta`` (D, C) -> (D, order+1)."""
    out = np.zeros((beta.shape[0], order + 1))
    out[:, 0] = 1.0  # z = 0 when no factor is unknown
    for c, mom in enumerate(central):
        term = beta[:, c, None] ** np.arange(order + 1) * np.asarray(mom[: order + 1])  # moments of beta_c u_c
        new = np.zeros_like(out)
        for k in range(order + 1):
            for j in range(k + 1):
                new[:, k] += comb(k, j) * out[:, j] * term[:, k - j]
        out = new
    return out


def gauss_rule(moments: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The Q-point Gauss rule of each row's distribution from its raw moments ``0..2Q`` (Golub & Welsch
    1969, via the Cholesky factor of the Hankel matrix), computed on the standardized variable.

    ``moments`` (D, 2Q+1) with ``moments[:, 0] == 1`` -> nodes (D, Q), weights (D, Q).
    """
    d, order = moments.shape[0], moments.shape[1] - 1
    nodes_n = order // 2
    mean = moments[:, 1]
    # central moments, then standardized
    k = np.arange(order + 1)
    central = np.zeros_like(moments)
    for n in range(order + 1):
        central[:, n] = sum(comb(n, j) * moments[:, j] * (-mean) ** (n - j) for j in range(n + 1))
    sd = np.sqrt(np.maximum(central[:, 2], 1e-300))
    std = central / sd[:, None] ** k
    q = nodes_n
    i = np.arange(q + 1)
    hankel = std[:, i[:, None] + i[None, :]]
    r = np.swapaxes(np.linalg.cholesky(hankel), -1, -2)  # upper: H = R^T R
    diag = r[:, i, i]
    ratio = r[:, i[:-1], i[1:]] / diag[:, :q]
    alpha = ratio - np.concatenate([np.zeros((d, 1)), ratio[:, :-1]], axis=1)
    off = diag[:, 1:q] / diag[:, : q - 1]
    jac = np.zeros((d, q, q))
    jac[:, i[:-1], i[:-1]] = alpha
    jac[:, i[:-2], i[1:-1]] = off
    jac[:, i[1:-1], i[:-2]] = off
    nodes, vectors = np.linalg.eigh(jac)
    return mean[:, None] + sd[:, None] * nodes, vectors[:, 0, :] ** 2


def unknown_rule(
    ev: Evidence, beta: np.ndarray, unknown: tuple[int, ...], nodes: int = NODES
) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights (D, ``nodes``) of :math:`z` over the continuous factors ``unknown`` (indices into
    :func:`blinacalc.core.factors.continuous`), ``beta`` (D, C) the per-unit log hazard ratios."""
    table = F.continuous()
    central = [distribution(ev, table[c]).central for c in unknown]
    return gauss_rule(z_moments(beta[:, list(unknown)], central, 2 * nodes))
