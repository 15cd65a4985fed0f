"""The patient model: ``predict`` for one patient, from the patient-independent draws.

Every number comes from the evidence files (``blinacalc/evidence``) or the shipped fit
(``calibration.json``); see ``docs/methodology.md`` for the equations and assumptions. The pieces:
:mod:`~blinacalc.core.factors` (the factor table), :mod:`~blinacalc.core.classes` (class algebra),
:mod:`~blinacalc.core.draws` (the draws), :mod:`~blinacalc.core.drawcache` (kept between runs),
:mod:`~blinacalc.core.summaries` (estimates and intervals), :mod:`~blinacalc.core.cohort` (rates that do
not depend on the patient).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from blinacalc._version import __version__
from blinacalc.core import classes as K
from blinacalc.core import factors as F
from blinacalc.core.cohort import competing_risks, harms, response
from blinacalc.core.defaults import DEFAULT_DRAWS, DRAWS_RANGE, MAX_DRAWS, MIN_DRAWS
from blinacalc.core.drawcache import DrawCache
from blinacalc.core.draws import CHEMO_HORIZON, MAX_RESPONDER_SHARE, RFS_HORIZON, DrawSet, sensitivity_prevalence
from blinacalc.core.evidence import Evidence, load_evidence, response_landmark_months
from blinacalc.core.mixture import solve_split
from blinacalc.core.patient import InputError, Patient
from blinacalc.core.result import HORIZON, MONTHS, Endpoint, Interval, Landmark, Prediction, Scenarios, Sensitivity
from blinacalc.core.stats import crossing
from blinacalc.core.summaries import condition, endpoint, index, interval, undefined

__all__ = [
    "CHEMO_HORIZON",
    "DEFAULT_DRAWS",
    "MAX_DRAWS",
    "MIN_DRAWS",
    "RFS_HORIZON",
    "check_alive_at",
    "check_run",
    "harms",
    "predict",
    "use_disk_cache",
]

_cache = DrawCache(None)


def use_disk_cache(directory: Path | None) -> None:
    """Keep the patient-independent draws in ``directory`` between runs; ``None`` keeps them in memory only."""
    _cache.directory = directory


def draw_set(draws: int, seed: int) -> DrawSet:
    """The patient-independent draws for (draws, seed), from memory, the disk cache or built."""
    return _cache.get(draws, seed)


BENEFIT_MONTHS = (6, 12)  # within the chemotherapy comparator's horizon (TOWER: 6-month OS published)


def _triple(iv: Interval) -> tuple[float, float, float]:
    assert iv.estimate is not None and iv.lo is not None and iv.hi is not None
    return iv.estimate, iv.lo, iv.hi


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
        raise InputError("draws", f"expected an integer from {DRAWS_RANGE}, got {draws!r}")
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise InputError("seed", f"expected a non-negative integer, got {seed!r}")


def warnings_for(patient: Patient, ev: Evidence) -> tuple[str, ...]:
    """The factor table's warnings that apply to this patient: by ``priority`` (thin evidence first), then
    in table order."""
    found = []
    for f in F.factors():
        value = getattr(patient, f.name)
        if value is None:
            continue
        for w in f.warnings:
            hit = value in w.values or (w.at_least is not None and not isinstance(value, bool) and value >= w.at_least)
            if hit:
                q = K.quantity(ev, w.key) if w.key else None
                found.append((w.priority, w.text.format(value=value, q=q)))
    return tuple(text for _, text in sorted(found, key=lambda item: item[0]))


def _sensitivity(
    ds: DrawSet, patient: Patient, ev: Evidence, all_unknown: bool, alive_at: float | None
) -> tuple[Sensitivity, ...]:
    """The patient's 1-year OS and median at each bound of each drawn prevalence (point estimates)."""
    ep = ds.endpoints["os"]
    rows = sensitivity_prevalence(ev)
    if all_unknown:
        curves = np.repeat(ep.target[:1], len(rows), 0)
    else:
        weights = K.class_weights(patient, rows)
        curves = K.mix(weights, lambda k: np.exp(ep.class_hr[0, k] * ep.sens_log_s0))
    start = 0
    if alive_at is not None:
        curves, start = condition(curves, alive_at)
    med = crossing(curves[:, start:], MONTHS[start:])
    i12 = index(12)
    out = []
    for n, j in enumerate(K.drawn_factors()):
        f = F.factors()[j]
        a, b = 2 * n, 2 * n + 1
        out.append(
            Sensitivity(
                f.prevalence.name,
                f.prevalence.description,
                K.prevalence_bounds(ev, f),
                tuple(float(curves[r, i12]) if i12 >= start else None for r in (a, b)),  # type: ignore[arg-type]
                tuple(float(med[r]) if np.isfinite(med[r]) else None for r in (a, b)),  # type: ignore[arg-type]
            )
        )
    return tuple(out)


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
    ds = draw_set(draws, seed)
    weights = K.class_weights(patient, ds.factor_prevalence)
    known = all(v is not None for v in patient.indicators)
    all_unknown = all(v is None for v in patient.indicators)

    def individual(name: str) -> tuple[np.ndarray, np.ndarray | None]:
        ep = ds.endpoints[name]
        # The trial mix over every class is, by calibration, the population curve itself.
        curves = ep.target if all_unknown else K.mix(weights, ep.class_curve)
        hr = np.exp(ep.log_hr @ K.classes()[int(np.argmax(weights[0]))]) if known else None
        return curves, hr

    os_curves, os_hr = individual("os")
    rfs_curves, rfs_hr = individual("rfs")
    landmark = response_landmark_months(ev)
    mrd_share = ev.tower["mrd_response_among_cr_crh_cri.blinatumomab"].value

    def conditioned(curves: np.ndarray, month: float | None) -> tuple[np.ndarray, int]:
        return (curves, 0) if month is None else condition(curves, month)

    os_cond, os_start = conditioned(os_curves, alive_at)
    at_landmark = index(landmark)
    # Responders among survivors at the landmark: the cohort's share (response is not individualized).
    share = np.minimum(ds.cr_rate / ds.endpoints["os"].target[:, at_landmark], MAX_RESPONDER_SHARE)

    def remission() -> dict[str, Endpoint]:
        """OS from the landmark with and without CR/CRh, then with MRD response among CR/CRh."""
        from_landmark, at = condition(os_curves, landmark)
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
            curves, first = condition(full, cond_on)
            out[key] = endpoint(curves, hr, start=first, alive_at=cond_on)
        return out

    chemo = os_curves ** (1.0 / ds.tower_hr)[:, None]
    if alive_at is not None and alive_at >= CHEMO_HORIZON:
        chemo_ep = undefined(alive_at, CHEMO_HORIZON, "cross_trial")
    else:
        chemo_cond, chemo_start = conditioned(chemo, alive_at)
        chemo_ep = endpoint(
            chemo_cond,
            1.0 / ds.tower_hr,
            start=chemo_start,
            stop=index(CHEMO_HORIZON),
            alive_at=alive_at,
            horizon=CHEMO_HORIZON,
            basis="cross_trial",
        )
    scenarios = Scenarios({"os_chemotherapy": chemo_ep}, later=remission)
    # Benefit over chemotherapy, per draw (so its interval is of the difference), from the first dose only.
    benefit = (
        ()
        if alive_at is not None
        else tuple(Landmark(m, *_triple(interval(os_curves[:, index(m)] - chemo[:, index(m)]))) for m in BENEFIT_MONTHS)
    )
    sources = tuple({"id": p.source.id, "citation": p.source.citation, "doi": p.source.doi} for p in ev.papers.values())
    return Prediction(
        blinacalc_version=__version__,
        evidence_version=ev.version,
        inputs={**patient.to_dict(), "alive_at_months": alive_at},
        draws=draws,
        seed=seed,
        os=endpoint(os_cond, os_hr, start=os_start, alive_at=alive_at),
        rfs=endpoint(rfs_curves, rfs_hr, stop=index(RFS_HORIZON), time_origin="first_cr_crh", horizon=RFS_HORIZON),
        response=response(ev),
        scenarios=scenarios,
        reference_curves={"os_hsct_in_ccr": ds.hsct_endpoint},
        competing_risks=competing_risks(ev),
        sensitivity=_sensitivity(ds, patient, ev, all_unknown, alive_at),
        landmark_months=landmark,
        responder_share=interval(share),
        benefit=benefit,
        warnings=warnings_for(patient, ev),
        sources=sources,
    )
