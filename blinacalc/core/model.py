"""The patient model: calibrated baseline, hazard ratios, uncertainty, scenarios, ``predict``.

Every number comes from the evidence files (``blinacalc/evidence``) or the shipped fit
(``calibration.json``); see ``docs/methodology.md`` for the equations and assumptions.

Uncertainty is Monte Carlo. Row 0 of every draw array holds the point estimates, rows 1..D the
draws; estimates are read from row 0 and 95% intervals from the 2.5/97.5 percentiles of the rest.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

from blinacalc._fs import make_private_dirs, write_atomic
from blinacalc._version import __version__
from blinacalc.core.baseline import FittedCurve, load_calibration
from blinacalc.core.evidence import Evidence, Quantity, load_evidence, response_landmark_months
from blinacalc.core.mixture import solve_baseline, solve_split
from blinacalc.core.patient import InputError, Patient
from blinacalc.core.result import (
    HORIZON,
    LANDMARK_MONTHS,
    MONTHS,
    CompetingRiskLandmark,
    CompetingRisks,
    Curve,
    Endpoint,
    Harm,
    Interval,
    Landmark,
    Prediction,
    Rate,
    Response,
    Scenarios,
    Sensitivity,
)
from blinacalc.core.stats import crossing, log_se_from_ci, quantiles, wilson

DEFAULT_DRAWS = 2000
MIN_DRAWS, MAX_DRAWS = 100, 100_000
_CACHE_CLASS_CURVES_UP_TO = 5000  # draws; above this, class curves are recomputed per call
_CHUNK = 2048

# Binary factors as in Topp 2021 Table 3 (numerator level = 1); Patient.indicators order.
FACTORS = ("ecog_0", "salvage_first", "prior_hsct", "t411")
CLASSES = np.array(list(itertools.product((0, 1), repeat=len(FACTORS))), dtype=float)  # (16, 4)
_SALVAGE = FACTORS.index("salvage_first")
GRID_STEP = float(MONTHS[1] - MONTHS[0])
# Evidence horizons (the last month each curve's published numbers support).
RFS_HORIZON = 48.0  # Topp 2021 publishes RFS to 4 years (Fig. 1B)
HSCT_HORIZON = 36.0  # Fig. 1C: median and 3-year OS only
CHEMO_HORIZON = 12.0  # TOWER: median follow-up 11.7 months; curves converged between 15 and 18 months
# The cohort's responder share among survivors at the landmark, r/S(L), is about 0.67; a draw cannot
# reach 1 in practice, but the cap keeps the non-responders defined if one ever did.
_MAX_RESPONDER_SHARE = 0.95
# Grid for the post-landmark CR/CRh hazard ratio's conditional posterior (log scale).
_LANDMARK_HR_GRID = np.linspace(np.log(0.05), np.log(1.5), 241)


def salvage_share_bounds(ev: Evidence) -> tuple[float, float]:
    """The range drawn for the first-salvage share of the pooled cohort.

    Upper: primary refractory (25) plus one prior relapse (146) of 259 (Topp 2021 Table 1), a true upper
    bound, since a patient with one relapse who had already had a salvage regimen is in second salvage.
    Lower: not a bound but another trial's share, TOWER's blinatumomab arm, 114 of 271 in first salvage
    (Kantarjian 2017 Table 1), a similar population.
    """
    t = ev.topp
    upper = (t["table1.primary_refractory"].n + t["table1.prior_relapses_1"].n) / t["table1.prior_relapses_1"].N
    return ev.tower["table1.salvage_first.blinatumomab"].proportion, upper


def factor_prevalence(ev: Evidence, first_salvage: float | np.ndarray | None = None) -> np.ndarray:
    """Prevalence of each factor's numerator level in the pooled cohort (Topp 2021 Table 1).

    * ECOG 0: 90 of the 257 patients with known ECOG (2 unknown are left out).
    * First salvage: not reported; ``first_salvage`` (scalar or one per draw), by default the midpoint of
      :func:`salvage_share_bounds` (see docs/methodology.md).
    * Prior HSCT: 88 of 259. t(4;11): 16 of 259 (the others taken as without t(4;11)).

    Returns shape (4,) for a scalar share, (D, 4) for an array of D shares.
    """
    t = ev.topp
    ecog_known = t["table1.ecog_0"].N - t["table1.ecog_unknown"].n
    if first_salvage is None:
        first_salvage = float(np.mean(salvage_share_bounds(ev)))
    first = np.asarray(first_salvage, dtype=float)
    fixed = np.array(
        [t["table1.ecog_0"].n / ecog_known, 0.0, t["table1.prior_hsct_yes"].proportion, t["table1.t411"].proportion]
    )
    out = np.broadcast_to(fixed, (*first.shape, len(FACTORS))).copy()
    out[..., _SALVAGE] = first
    return out


def class_prevalence(factor_p: np.ndarray) -> np.ndarray:
    """Prevalence of each of the 16 factor classes, factors taken as independent: (..., 16)."""
    fp = np.asarray(factor_p)[..., None, :]
    return np.prod(np.where(CLASSES == 1, fp, 1 - fp), axis=-1)


def _lognormal_draws(q: Quantity, rng: np.random.Generator, size: int) -> np.ndarray:
    """Point estimate then draws of a hazard ratio: log HR ~ Normal(log estimate, SE from its CI)."""
    assert q.ci is not None, q.key
    se = log_se_from_ci(*q.ci)
    return np.exp(np.concatenate([[np.log(q.value)], rng.normal(np.log(q.value), se, size)]))


@dataclass
class _EndpointDraws:
    """Patient-independent pieces for one individualized endpoint (OS or RFS)."""

    target: np.ndarray  # (D+1, T) population curve per draw
    log_s0: np.ndarray  # (D+1, T) log of the re-calibrated reference-group baseline
    log_hr: np.ndarray  # (D+1, 4) factor log hazard ratios
    class_hr: np.ndarray  # (D+1, 16)
    sens_log_s0: np.ndarray  # (2, T) row-0 baseline re-calibrated at the first-salvage share's bounds
    cache: bool
    _curves: dict[int, np.ndarray] = field(default_factory=dict)

    def class_curve(self, k: int) -> np.ndarray:
        if k in self._curves:
            return self._curves[k]
        curve = np.exp(self.class_hr[:, k, None] * self.log_s0)
        if self.cache:
            self._curves[k] = curve
        return curve


@dataclass
class _DrawSet:
    """Everything random that does not depend on the patient; built once per (draws, seed)."""

    endpoints: dict[str, _EndpointDraws]
    hsct_ccr: np.ndarray  # (D+1, T)
    first_salvage: np.ndarray  # (D+1,) first-salvage share of the cohort
    cr_hr: np.ndarray  # (D+1,) post-landmark CR/CRh hazard ratio (Table 3 updated by Table 2 counts)
    cr_rate: np.ndarray  # (D+1,)
    mrd_hr: np.ndarray  # (D+1,)
    tower_hr: np.ndarray  # (D+1,)

    @cached_property
    def hsct_endpoint(self) -> Endpoint:
        """OS after HSCT in continuous CR: the same for every patient, so summarised once."""
        return _endpoint(self.hsct_ccr, stop=_index(HSCT_HORIZON), basis="cohort_reference", horizon=HSCT_HORIZON)


def _curve_draws(fit: FittedCurve, rng: np.random.Generator, draws: int) -> np.ndarray:
    params = np.vstack([fit.estimate, fit.draw(rng, draws)])
    return fit.survival(MONTHS, params)


def _log(x: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.log(x)


def _endpoint_draws(
    name: str, fit: FittedCurve, ev: Evidence, rng: np.random.Generator, draws: int, first_salvage: np.ndarray
) -> _EndpointDraws:
    target = _curve_draws(fit, rng, draws)
    hrs = np.column_stack([_lognormal_draws(ev.topp[f"table3.{name}.univariate.{f}"], rng, draws) for f in FACTORS])
    log_hr = np.log(hrs)
    class_hr = np.exp(log_hr @ CLASSES.T)
    p_class = class_prevalence(factor_prevalence(ev, first_salvage))  # (D+1, 16): one mix per draw
    # Re-calibrate every draw: its own population average reproduces its own baseline draw.
    s0 = np.empty_like(target)
    for i in range(0, target.shape[0], _CHUNK):
        part = slice(i, i + _CHUNK)
        s0[part] = solve_baseline(target[part], class_hr[part], p_class[part])
    # Sensitivity: the point estimate re-calibrated at each bound of the first-salvage share.
    bounds = class_prevalence(factor_prevalence(ev, np.array(salvage_share_bounds(ev))))
    sens = solve_baseline(np.repeat(target[:1], 2, 0), np.repeat(class_hr[:1], 2, 0), bounds)
    return _EndpointDraws(target, _log(s0), log_hr, class_hr, _log(sens), draws <= _CACHE_CLASS_CURVES_UP_TO)


def _index(month: float) -> int:
    """Grid index of ``month`` (a multiple of the grid step)."""
    return round(month / GRID_STEP)


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


# Table 3's CR/CRh ratio is a prior only: it is another estimand (time-dependent, over the whole follow-up,
# early deaths of not-yet-responders included) from the same 259 patients as Table 2's counts, so giving
# it its published precision would count those patients twice. Its centre is kept; its log-scale SD is 1.
_PRIOR_LOG_SD = 1.0


def _landmark_hr_draws(
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
    at_l = _index(response_landmark_months(ev))
    s_l = population[:, at_l]
    c = landmark_counts(ev, s_l)
    at_m = _index(float(c["month"]))
    share = np.minimum(cr_rate / s_l, _MAX_RESPONDER_SHARE)
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


def _build_draw_set(draws: int, seed: int) -> _DrawSet:
    ev, cal = load_evidence(), load_calibration()
    rng = np.random.default_rng(seed)
    lo, hi = salvage_share_bounds(ev)
    first_salvage = np.concatenate([[(lo + hi) / 2], rng.uniform(lo, hi, draws)])
    endpoints = {name: _endpoint_draws(name, cal.curves[name], ev, rng, draws, first_salvage) for name in ("os", "rfs")}
    hsct = _curve_draws(cal.curves["hsct_ccr"], rng, draws)
    t = ev.topp
    cr = t["table2.cr_crh"]
    assert cr.n is not None and cr.N is not None
    cr_rate = np.concatenate([[cr.proportion], rng.beta(cr.n, cr.N - cr.n, draws)])
    return _DrawSet(
        endpoints=endpoints,
        hsct_ccr=hsct,
        first_salvage=first_salvage,
        cr_hr=_landmark_hr_draws(endpoints["os"].target, cr_rate, ev, rng),
        cr_rate=cr_rate,
        mrd_hr=_lognormal_draws(t["table3.os.multivariate.mrd_response"], rng, draws),
        tower_hr=_lognormal_draws(ev.tower["os.hazard_ratio"], rng, draws),
    )


# --- The draws, kept on disk between runs ---------------------------------------------------
# Building the draws (re-calibrating every draw for OS and RFS) is most of a fresh process's
# time. They depend only on (draws, seed), the evidence, the fit, this code and numpy, all of
# which go into the file name, so a stale file can never be read. Callers outside the core
# (CLI, TUI) choose the folder; the core never looks for one itself.
_CACHE_FORMAT = 2
_CACHE_MAX_DRAWS = 5000  # about 24 MB on disk at the limit; larger runs are not kept
_CACHE_KEEP = 4  # files kept; older ones are removed
_FINGERPRINTED = (
    "evidence/topp2021.toml",
    "evidence/tower2017.toml",
    "core/calibration.json",
    "core/baseline.py",
    "core/evidence.py",
    "core/mixture.py",
    "core/model.py",
    "core/stats.py",
)
_disk_cache: Path | None = None


def use_disk_cache(directory: Path | None) -> None:
    """Keep the patient-independent draws in ``directory`` between runs; ``None`` keeps them in memory only."""
    global _disk_cache
    _disk_cache = directory


def _cache_file(directory: Path, draws: int, seed: int) -> Path:
    h = hashlib.sha256(f"{_CACHE_FORMAT}|{__version__}|{np.__version__}|{draws}|{seed}".encode())
    package = Path(__file__).resolve().parent.parent
    for rel in _FINGERPRINTED:
        h.update((package / rel).read_bytes())
    return directory / f"draws-{h.hexdigest()[:32]}.bin"


def _to_arrays(ds: _DrawSet) -> dict[str, np.ndarray]:
    out = {f.name: getattr(ds, f.name) for f in fields(ds) if f.name != "endpoints"}
    for name, ep in ds.endpoints.items():
        out.update({f"{name}.{k}": getattr(ep, k) for k in _ENDPOINT_ARRAYS})
    return out


_ENDPOINT_ARRAYS = ("target", "log_s0", "log_hr", "class_hr", "sens_log_s0")


def _from_arrays(arrays: dict[str, np.ndarray], draws: int) -> _DrawSet:
    rows, cols = draws + 1, len(MONTHS)
    shapes = {
        "target": (rows, cols),
        "log_s0": (rows, cols),
        "log_hr": (rows, len(FACTORS)),
        "class_hr": (rows, len(CLASSES)),
        "sens_log_s0": (2, cols),
    }
    endpoints = {}
    for name in ("os", "rfs"):
        parts = {k: arrays[f"{name}.{k}"] for k in shapes}
        if any(parts[k].shape != shape for k, shape in shapes.items()):
            raise ValueError("shape")
        endpoints[name] = _EndpointDraws(**parts, cache=draws <= _CACHE_CLASS_CURVES_UP_TO)
    ds = _DrawSet(
        endpoints=endpoints,
        hsct_ccr=arrays["hsct_ccr"],
        first_salvage=arrays["first_salvage"],
        cr_hr=arrays["cr_hr"],
        cr_rate=arrays["cr_rate"],
        mrd_hr=arrays["mrd_hr"],
        tower_hr=arrays["tower_hr"],
    )
    vectors = ("first_salvage", "cr_hr", "cr_rate", "mrd_hr", "tower_hr")
    if ds.hsct_ccr.shape != (rows, cols) or any(getattr(ds, k).shape != (rows,) for k in vectors):
        raise ValueError("shape")
    if any(np.isnan(a).any() for a in arrays.values()):
        raise ValueError("nan")
    return ds


_MAGIC = b"blinacalc-draws\n"


def _load(path: Path, draws: int) -> _DrawSet | None:
    """Read a draws file: magic line, JSON header line (name -> shape), then float64 data."""
    import json

    try:
        with open(path, "rb") as fh:
            if fh.readline() != _MAGIC:
                return None
            header = json.loads(fh.readline())
            data = np.fromfile(fh, dtype="<f8")
        arrays, offset = {}, 0
        for name, shape in header.items():
            size = int(np.prod(shape))
            arrays[name] = data[offset : offset + size].reshape(shape)
            offset += size
        if offset != data.size:
            return None
        return _from_arrays(arrays, draws)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None  # missing, unreadable or damaged: rebuild (a cache is never the only copy)


def _save(path: Path, ds: _DrawSet) -> None:
    import json

    arrays = _to_arrays(ds)
    header = json.dumps({k: list(a.shape) for k, a in arrays.items()}).encode() + b"\n"
    body = b"".join(np.ascontiguousarray(a, dtype="<f8").tobytes() for a in arrays.values())
    try:
        make_private_dirs(path.parent)
        write_atomic(path, _MAGIC + header + body)
        old = sorted(path.parent.glob("draws-*.bin"), key=lambda p: p.stat().st_mtime, reverse=True)
        for stale in old[_CACHE_KEEP:]:
            stale.unlink(missing_ok=True)
    except OSError:
        pass  # a read-only or full disk costs speed next time, nothing else


@lru_cache(maxsize=4)
def _draw_set(draws: int, seed: int) -> _DrawSet:
    directory = _disk_cache
    if directory is None or draws > _CACHE_MAX_DRAWS:
        return _build_draw_set(draws, seed)
    path = _cache_file(directory, draws, seed)
    ds = _load(path, draws)
    if ds is None:
        ds = _build_draw_set(draws, seed)
        _save(path, ds)
    return ds


def _class_weights(patient: Patient, factor_p: np.ndarray) -> np.ndarray:
    """Weight of each class for this patient: 0/1 for known factors, prevalence for unknown.

    ``factor_p`` is (4,) or one row per draw (D, 4); the weights are (16,) or (D, 16).
    """
    fp = np.asarray(factor_p)[..., None, :]  # (..., 1, 4)
    w = np.ones((*fp.shape[:-2], len(CLASSES)))
    for j, known in enumerate(patient.indicators):
        if known is None:
            w = w * np.where(CLASSES[:, j] == 1, fp[..., j], 1 - fp[..., j])
        else:
            w = w * (CLASSES[:, j] == float(known))
    return w


def _mix(weights: np.ndarray, curve: Callable[[int], np.ndarray]) -> np.ndarray:
    """:math:`\\sum_k w_k S_k`: ``weights`` (16,) or (D, 16), ``curve(k)`` a class's (D, T) curves."""
    w = np.atleast_2d(weights)
    ks = np.flatnonzero(w.any(axis=0))
    out = w[:, ks[0], None] * curve(int(ks[0]))
    for k in ks[1:]:
        out = out + w[:, k, None] * curve(int(k))
    return np.minimum(out, 1.0)  # the weights sum to 1 up to rounding


def _patient_curves(ep: _EndpointDraws, weights: np.ndarray, all_unknown: bool) -> np.ndarray:
    if all_unknown:
        return ep.target  # the trial mix over every class is, by calibration, the population curve
    return _mix(weights, ep.class_curve)


def _interval(samples: np.ndarray) -> Interval:
    est = float(samples[0])
    lo, hi = quantiles(samples[1:])
    return Interval(est, min(float(lo), est), max(float(hi), est))


def _median_interval(curves: np.ndarray, months: np.ndarray) -> Interval:
    """Median month per draw on ``months`` (the defined part); ``None`` if not reached by its end."""
    med = crossing(curves, months)
    end = float(months[-1])
    lo, hi = quantiles(np.where(np.isfinite(med[1:]), med[1:], 1e9))

    def reached(x: float) -> float | None:
        return float(x) if x <= end else None

    est = reached(med[0])
    lo_r, hi_r = reached(lo), reached(hi)
    if est is not None:
        lo_r = est if lo_r is None else min(lo_r, est)
        hi_r = None if hi_r is None else max(hi_r, est)
    return Interval(est, lo_r, hi_r)


def _endpoint(
    curves: np.ndarray,
    hr: np.ndarray | None = None,
    *,
    start: int = 0,
    stop: int = len(MONTHS) - 1,
    time_origin: str = "first_dose",
    alive_at: float | None = None,
    horizon: float = HORIZON,
    basis: str = "individualized",
) -> Endpoint:
    """Summarize (D+1, T) curves: row 0 is the estimate, rows 1.. the draws.

    Only grid columns ``start..stop`` are defined; every value outside them is ``None``.
    """
    part = curves[:, start : stop + 1]
    est = part[0]
    lo, hi = quantiles(part[1:])
    lo, hi = np.minimum(lo, est), np.maximum(hi, est)
    pad_l, pad_r = [None] * start, [None] * (len(MONTHS) - 1 - stop)

    def full(x: np.ndarray) -> tuple[float | None, ...]:
        return (*pad_l, *x.tolist(), *pad_r)

    def landmark(m: int) -> Landmark:
        i = _index(m)
        if not start <= i <= stop:
            return Landmark(m, None, None, None)
        j = i - start
        return Landmark(m, float(est[j]), float(lo[j]), float(hi[j]))

    return Endpoint(
        hazard_ratio=None if hr is None else _interval(hr),
        median_months=_median_interval(part, MONTHS[start : stop + 1]),
        landmarks=tuple(landmark(m) for m in LANDMARK_MONTHS),
        curve=Curve(full(est), full(lo), full(hi)),
        time_origin=time_origin,
        conditional_on_alive_at_months=alive_at,
        horizon_months=horizon,
        basis=basis,
    )


def _condition(curves: np.ndarray, month: float) -> tuple[np.ndarray, int]:
    """:math:`S(t)/S(s)` for :math:`t \\ge s` (``month`` = s), and the first grid index at or after s.

    :math:`S(s)` is interpolated between grid points; columns before that index are left as 1.
    """
    i = int(np.floor(month / GRID_STEP + 1e-9))
    frac = month / GRID_STEP - i
    at = curves[:, i] if frac < 1e-9 else curves[:, i] + frac * (curves[:, i + 1] - curves[:, i])
    first = i if frac < 1e-9 else i + 1
    out = np.ones_like(curves)
    with np.errstate(divide="ignore", invalid="ignore"):
        out[:, first:] = np.where(at[:, None] > 0, curves[:, first:] / at[:, None], 0.0)
    return np.minimum(out, 1.0), first


def check_alive_at(value: object) -> float | None:
    """Refuse a conditioning month outside [0, 60) (InputError naming ``alive_at_months``)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < HORIZON:
        raise InputError(
            "alive_at_months", f"expected months since the first dose, from 0 to less than {HORIZON:g}, got {value!r}"
        )
    return float(value)


def check_run(draws: object, seed: object) -> None:
    """Refuse draws outside 100-100,000 and negative or non-integer seeds (InputError)."""
    if isinstance(draws, bool) or not isinstance(draws, int) or not MIN_DRAWS <= draws <= MAX_DRAWS:
        raise InputError("draws", f"expected an integer from {MIN_DRAWS} to {MAX_DRAWS:,}, got {draws!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InputError("seed", f"expected a non-negative integer, got {seed!r}")


def _warnings(patient: Patient, ev: Evidence) -> tuple[str, ...]:
    t = ev.topp
    out = []
    if patient.t411:
        q = t["table1.t411"]
        out.append(
            f"t(4;11): only {q.n} of {q.N} patients in the source cohort had t(4;11) (Topp 2021 Table 1); "
            "estimates for this group rest on thin evidence."
        )
    if patient.ecog == 2:
        q = t["table1.ecog_2"]
        out.append(
            f"ECOG 2: the source hazard ratio compares ECOG 0 with 1 or more, so ECOG 2 is modelled like ECOG 1 "
            f"({q.n} of {q.N} patients had ECOG 2)."
        )
    if patient.salvage_line is not None and patient.salvage_line >= 3:
        out.append(
            f"Salvage line {patient.salvage_line}: the source hazard ratio compares 1st with 2nd or later salvage, "
            "so every later line is modelled like 2nd salvage."
        )
    return tuple(out)


def _rate(q: Quantity) -> Rate:
    """A published proportion: Wilson interval from counts, else the published CI, else none."""
    if q.n is not None and q.N is not None:
        lo, hi = q.ci if q.ci is not None else wilson(q.n, q.N)
        return Rate(q.n / q.N, lo, hi, q.n, q.N)
    lo, hi = q.ci if q.ci is not None else (None, None)
    return Rate(q.value, lo, hi, None, None)


def _response(ev: Evidence) -> Response:
    t, w = ev.topp, ev.tower

    tower_keys = {
        "cr": "table2.cr",
        "crh": "table2.crh",
        "cri": "table2.cri",
        "cr_crh_cri": "table2.cr_crh_cri",
        "mrd_response_among_cr_crh_cri": "mrd_response_among_cr_crh_cri",
        "hsct": "hsct",
    }
    tower = {
        name: {arm: _rate(w[f"{key}.{arm}"]) for arm in ("blinatumomab", "chemotherapy")}
        for name, key in tower_keys.items()
    }
    return Response(
        cr_crh=_rate(t["table2.cr_crh"]),
        cr=_rate(t["table2.cr"]),
        crh=_rate(t["table2.crh"]),
        mrd_response=_rate(t["table2.mrd_response"]),
        hsct=_rate(t["table2.hsct"]),
        tower=tower,
    )


HARMS = (
    "any_grade3plus",
    "serious",
    "fatal_serious",
    "discontinuation",
    "grade3plus.neutropenia",
    "grade3plus.infection",
    "grade3plus.elevated_liver_enzyme",
    "grade3plus.neurologic_event",
    "grade3plus.cytokine_release_syndrome",
    "grade3plus.infusion_reaction",
    "grade3plus.lymphopenia",
    "grade3plus.decreased_platelets",
    "grade3plus.decreased_white_cells",
)


def harms() -> tuple[Harm, ...]:
    """Potential harms: TOWER Table 3 adverse events, blinatumomab vs chemotherapy (cohort rates).

    Intervals are Wilson 95% intervals from the published counts (the paper prints none).
    """
    w = load_evidence().tower
    return tuple(
        Harm(
            key=key,
            where=w[f"table3.{key}.blinatumomab"].where,
            blinatumomab=_rate(w[f"table3.{key}.blinatumomab"]),
            chemotherapy=_rate(w[f"table3.{key}.chemotherapy"]),
        )
        for key in HARMS
    )


def _competing_risks(ev: Evidence) -> CompetingRisks:
    """Relapse, death without relapse and alive relapse-free among the 123 responders (Topp 2021).

    Relapse is the cumulative incidence of Fig. 1D (death without relapse a competing risk);
    alive relapse-free is RFS of Fig. 1B (relapse or death from any cause an event); death without
    relapse is the rest, :math:`1 - RFS(t) - CIR(t)`. Published points only: 24, 36, 48 months.
    """
    t = ev.topp
    rows = []
    for m in (24, 36, 48):
        rfs, cir = t[f"rfs.at_{m}"].value, t[f"cir.at_{m}"].value
        rows.append(CompetingRiskLandmark(m, cir, 1.0 - rfs - cir, rfs))
    return CompetingRisks(
        population=f"the {t['rfs.n'].value:.0f} patients with CR/CRh within 2 cycles (Topp 2021 Fig. 1B and 1D)",
        time_origin="first_cr_crh",
        landmarks=tuple(rows),
    )


def _sensitivity(
    ds: _DrawSet, patient: Patient, ev: Evidence, all_unknown: bool, alive_at: float | None
) -> tuple[Sensitivity, ...]:
    """The patient's 1-year OS and median at each bound of the first-salvage share (point estimates)."""
    bounds = salvage_share_bounds(ev)
    ep = ds.endpoints["os"]
    if all_unknown:
        curves = np.repeat(ep.target[:1], 2, 0)
    else:
        weights = _class_weights(patient, factor_prevalence(ev, np.array(bounds)))
        curves = _mix(weights, lambda k: np.exp(ep.class_hr[0, k] * ep.sens_log_s0))
    start = 0
    if alive_at is not None:
        curves, start = _condition(curves, alive_at)
    months = MONTHS[start:]
    med = crossing(curves[:, start:], months)
    i12 = _index(12)
    os_12 = tuple(float(curves[r, i12]) if i12 >= start else None for r in range(2))
    median = tuple(float(m) if np.isfinite(m) else None for m in med)
    return (
        Sensitivity(
            "first_salvage_share",
            "First-salvage share of the source cohort, unknown (Topp 2021 Table 1 gives prior relapses, not "
            "salvage line): drawn uniformly between TOWER's 114/271 (another trial's share, Table 1) and Topp's "
            "upper bound 171/259",
            bounds,
            (os_12[0], os_12[1]),
            (median[0], median[1]),
        ),
    )


def predict(
    patient: Patient, draws: int = DEFAULT_DRAWS, seed: int = 0, *, alive_at_months: float | None = None
) -> Prediction:
    """Illustrative OS, RFS, response and scenario estimates for one patient.

    The patient's curve is :math:`S(t) = \\sum_x w_x S_0(t)^{HR(x)}`, where :math:`w_x` is 1 for the
    patient's class when every factor is known and the trial prevalence mix over unknown factors
    otherwise; :math:`S_0` is re-calibrated so that the trial mix reproduces the published curve.

    The response scenarios are a landmark analysis: OS for a patient alive at the response landmark
    :math:`L` (3 months) with or without CR/CRh, undefined before it,

    .. math:: q\\,S_R(t \\mid L) + (1 - q)\\,S_N(t \\mid L) = S(t)/S(L), \\quad S_R = S_N^{h}, \\quad q = r/\\bar S(L),

    with :math:`r` the cohort's CR/CRh rate and :math:`\\bar S` the cohort's curve: the responder share
    among survivors at the landmark is the cohort's (response is not individualized).

    Parameters
    ----------
    patient : Patient
    draws : int, 100 to 100,000
        Monte Carlo draws for the 95% intervals.
    seed : int >= 0
        Random seed; same inputs and seed give the same output.
    alive_at_months : float in [0, 60), optional
        Condition on being alive this many months after the first dose: every OS curve becomes
        :math:`S(t)/S(s)` for :math:`t \\ge s`, undefined before; the response scenarios condition on
        :math:`\\max(s, L)`.

    References
    ----------
    Topp MS, et al. Cancer. 2021;127:554-559. doi:10.1002/cncr.33298
    Kantarjian H, et al. N Engl J Med. 2017;376:836-847. doi:10.1056/NEJMoa1609783
    """
    if not isinstance(patient, Patient):
        raise InputError("patient", f"expected a blinacalc.Patient, got {type(patient).__name__}")
    check_run(draws, seed)
    alive_at = check_alive_at(alive_at_months)
    ev = load_evidence()
    ds = _draw_set(draws, seed)
    weights = _class_weights(patient, factor_prevalence(ev, ds.first_salvage))
    known = all(v is not None for v in patient.indicators)
    all_unknown = all(v is None for v in patient.indicators)

    def individual(name: str) -> tuple[np.ndarray, np.ndarray | None]:
        ep = ds.endpoints[name]
        curves = _patient_curves(ep, weights, all_unknown)
        hr = np.exp(ep.log_hr @ CLASSES[int(np.argmax(weights[0]))]) if known else None
        return curves, hr

    os_curves, os_hr = individual("os")
    rfs_curves, rfs_hr = individual("rfs")
    landmark = response_landmark_months(ev)
    mrd_share = ev.tower["mrd_response_among_cr_crh_cri.blinatumomab"].value

    def conditioned(curves: np.ndarray, month: float | None) -> tuple[np.ndarray, int]:
        return (curves, 0) if month is None else _condition(curves, month)

    os_cond, os_start = conditioned(os_curves, alive_at)
    at_landmark = _index(landmark)
    # Responders among survivors at the landmark: the cohort's share (response is not individualized).
    share = np.minimum(ds.cr_rate / ds.endpoints["os"].target[:, at_landmark], _MAX_RESPONDER_SHARE)

    def remission() -> dict[str, Endpoint]:
        """OS from the landmark with and without CR/CRh, then with MRD response among CR/CRh."""
        from_landmark, at = _condition(os_curves, landmark)
        cr, no_cr = solve_split(from_landmark[:, at:], ds.cr_hr, share)
        cr_mrd, _ = solve_split(cr, ds.mrd_hr, mrd_share)
        cond_on = landmark if alive_at is None else max(alive_at, landmark)
        out = {}
        for key, part, hr in (
            ("os_if_cr_crh", cr, ds.cr_hr),
            ("os_if_no_cr_crh", no_cr, None),
            ("os_if_cr_crh_mrd", cr_mrd, ds.mrd_hr),
        ):
            full = np.ones_like(os_curves)
            full[:, at:] = part
            curves, first = _condition(full, cond_on)
            out[key] = _endpoint(curves, hr, start=first, alive_at=cond_on)
        return out

    chemo = os_curves ** (1.0 / ds.tower_hr)[:, None]
    if alive_at is not None and alive_at >= CHEMO_HORIZON:
        chemo_ep = _undefined(alive_at, CHEMO_HORIZON, "cross_trial")
    else:
        chemo_cond, chemo_start = conditioned(chemo, alive_at)
        chemo_ep = _endpoint(
            chemo_cond,
            1.0 / ds.tower_hr,
            start=chemo_start,
            stop=_index(CHEMO_HORIZON),
            alive_at=alive_at,
            horizon=CHEMO_HORIZON,
            basis="cross_trial",
        )
    scenarios = Scenarios({"os_chemotherapy": chemo_ep}, later=remission)
    sources = tuple({"id": p.source.id, "citation": p.source.citation, "doi": p.source.doi} for p in ev.papers.values())
    return Prediction(
        blinacalc_version=__version__,
        evidence_version=ev.version,
        inputs={**patient.to_dict(), "alive_at_months": alive_at},
        draws=draws,
        seed=seed,
        os=_endpoint(os_cond, os_hr, start=os_start, alive_at=alive_at),
        rfs=_endpoint(rfs_curves, rfs_hr, stop=_index(RFS_HORIZON), time_origin="first_cr_crh", horizon=RFS_HORIZON),
        response=_response(ev),
        scenarios=scenarios,
        reference_curves={"os_hsct_in_ccr": ds.hsct_endpoint},
        competing_risks=_competing_risks(ev),
        sensitivity=_sensitivity(ds, patient, ev, all_unknown, alive_at),
        landmark_months=landmark,
        responder_share=_interval(share),
        warnings=_warnings(patient, ev),
        sources=sources,
    )


def _undefined(alive_at: float | None, horizon: float, basis: str) -> Endpoint:
    """A curve with no defined value (conditioned beyond its horizon)."""
    none = (None,) * len(MONTHS)
    return Endpoint(
        hazard_ratio=None,
        median_months=Interval(None, None, None),
        landmarks=tuple(Landmark(m, None, None, None) for m in LANDMARK_MONTHS),
        curve=Curve(none, none, none),
        conditional_on_alive_at_months=alive_at,
        horizon_months=horizon,
        basis=basis,
    )
