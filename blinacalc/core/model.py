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
from blinacalc.core import continuous as C
from blinacalc.core import factors as F
from blinacalc.core.cohort import competing_risks, harms, response
from blinacalc.core.defaults import DEFAULT_DRAWS, MAX_DRAWS, MIN_DRAWS
from blinacalc.core.drawcache import DrawCache
from blinacalc.core.draws import (
    CHEMO_HORIZON,
    MAX_RESPONDER_SHARE,
    RFS_HORIZON,
    DrawSet,
    EndpointDraws,
    sensitivity_prevalence,
)
from blinacalc.core.evidence import Evidence, keep_parsed, load_evidence, response_landmark_months
from blinacalc.core.mixture import solve_split
from blinacalc.core.parallel import both, soon
from blinacalc.core.patient import InputError, Patient, check_alive_at, check_run
from blinacalc.core.result import MONTHS, Endpoint, Interval, Landmark, Prediction, Scenarios, Sensitivity
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
    """Keep the patient-independent draws (and parsed copies of the evidence files) in ``directory`` between
    runs; ``None`` keeps them in memory only."""
    _cache.directory = directory
    keep_parsed(directory)


def draws_file(draws: int, seed: int) -> Path | None:
    """The disk cache's file for the draws (draws, seed), or None if they are kept in memory only: other
    patient-independent results derived from them are named after it."""
    return _cache.kept_file(draws, seed)


def draw_set(draws: int, seed: int) -> DrawSet:
    """The patient-independent draws for (draws, seed), from memory, the disk cache or built."""
    return _cache.get(draws, seed)


BENEFIT_MONTHS = (6, 12)  # within the chemotherapy comparator's horizon (TOWER: 6-month OS published)


def _triple(iv: Interval) -> tuple[float, float, float]:
    assert iv.estimate is not None and iv.lo is not None and iv.hi is not None
    return iv.estimate, iv.lo, iv.hi


def warnings_for(patient: Patient, ev: Evidence) -> tuple[str, ...]:
    """The factor table's warnings that apply to this patient: by ``priority`` (thin evidence first), then
    in table order."""
    found = []
    for f in F.factors():
        value = getattr(patient, f.name)
        if value is None:
            continue
        for w in f.warnings:
            number = not isinstance(value, bool)
            hit = (
                value in w.values
                or (w.at_least is not None and number and value >= w.at_least)
                or (w.at_most is not None and number and value <= w.at_most)
            )
            if hit:
                q = K.quantity(ev, w.key) if w.key else None
                found.append((w.priority, w.text.format(value=value, q=q)))
    return tuple(text for _, text in sorted(found, key=lambda item: item[0]))


class Individual:
    """How a patient's factors enter one endpoint's draws: binary class weights, the known continuous
    factors' log hazard (``shift``) and the Gauss rule over the unknown ones."""

    def __init__(self, patient: Patient, ds: DrawSet, ev: Evidence) -> None:
        self.patient = patient
        self.weights = K.class_weights(patient, ds.factor_prevalence)
        values = patient.continuous
        self.unknown = tuple(c for c, v in enumerate(values) if v is None)
        self.offsets = np.array([0.0 if v is None else v - m for v, m in zip(values, C.centres(ev), strict=True)])
        self.all_unknown = all(v is None for v in patient.indicators) and len(self.unknown) == len(values)
        self.binary_known = all(v is not None for v in patient.indicators)
        self.ds, self.ev = ds, ev

    def shift(self, ep: EndpointDraws, rows: slice = slice(None)) -> np.ndarray | None:
        if len(self.unknown) == len(self.offsets):
            return None
        shift: np.ndarray = ep.beta[rows] @ self.offsets
        return shift

    def rule(self, ep: EndpointDraws, rows: slice = slice(None)) -> tuple[np.ndarray, np.ndarray]:
        if not self.unknown:
            n = len(ep.beta[rows])
            return np.zeros((n, 1)), np.ones((n, 1))
        nodes, weights = ep.rule(self.ev, self.unknown)
        return nodes[rows], weights[rows]

    def curves(self, ep: EndpointDraws, stop: int | None = None) -> np.ndarray:
        r"""The patient's (D+1, T) curves: :math:`\sum_x w_x \sum_q \pi_q S_0^{HR(x) e^{s + z_q}}`; with
        ``stop``, possibly only the columns up to it (a curve is never read beyond its horizon)."""
        if self.all_unknown:
            return ep.target  # the trial mix over everything is, by calibration, the population curve itself
        shift = self.shift(ep)
        if shift is None:
            return K.mix(self.weights, ep.class_curve)  # every continuous factor unknown: cached class curves
        return K.mix_terms(
            self.weights, ep.class_hr, ep.log_s0[:, : None if stop is None else stop + 1], shift, *self.rule(ep)
        )

    def hazard_ratio(self, ep: EndpointDraws) -> np.ndarray | None:
        """Per draw, against the reference patient (binary reference levels, continuous factors at the cohort
        mean where known, the same where unknown: the ratio is conditional on their value); None unless every
        binary factor is known (a mixture over classes has no single hazard ratio)."""
        if not self.binary_known:
            return None
        k = int(np.argmax(self.weights[0]))
        shift = self.shift(ep)
        hr: np.ndarray = np.exp(ep.log_hr @ K.classes()[k] + (0.0 if shift is None else shift))
        return hr


def _sensitivity(ds: DrawSet, who: Individual, ev: Evidence, alive_at: float | None) -> tuple[Sensitivity, ...]:
    """The patient's 1-year OS and median at each bound of each drawn prevalence (point estimates)."""
    ep = ds.endpoints["os"]
    rows = sensitivity_prevalence(ev)
    n = len(rows)
    if who.all_unknown:
        curves = np.repeat(ep.target[:1], n, 0)
    else:
        shift = who.shift(ep, slice(0, 1))
        nodes, weights = who.rule(ep, slice(0, 1))
        curves = K.mix_terms(
            K.class_weights(who.patient, rows),
            np.repeat(ep.class_hr[:1], n, 0),
            ep.sens_log_s0,
            None if shift is None else np.repeat(shift, n),
            np.repeat(nodes, n, 0),
            np.repeat(weights, n, 0),
        )
    start = 0
    if alive_at is not None:
        curves, start = condition(curves, alive_at)
    med = crossing(curves[:, start:], MONTHS[start:])
    i12 = index(12)
    out = []
    for n, j in enumerate(K.drawn_factors()):
        f = F.binary()[j]
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
    patient: Patient,
    draws: int = DEFAULT_DRAWS,
    seed: int = 0,
    *,
    alive_at_months: float | None = None,
    start_scenarios: bool = False,
) -> Prediction:
    """Illustrative OS, RFS, response and scenario estimates for one patient.

    The patient's curve is :math:`S(t) = \\sum_x w_x \\sum_q \\pi_q S_0(t)^{HR(x) e^{s + z_q}}`, where
    :math:`w_x` is 1 for the patient's binary class when every binary factor is known and the trial
    prevalence mix over unknown ones otherwise; :math:`s = \\sum_c \\beta_c (x_c - m_c)` over the known
    continuous factors and :math:`(z_q, \\pi_q)` a Gauss rule over the unknown ones' cohort distribution;
    :math:`S_0` is re-calibrated so that the trial mix reproduces the published curve.

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
    start_scenarios : bool
        Start computing the remission scenarios on a helper thread at once, alongside the rest (for a
        report, which shows them); by default they are computed when first read (an interactive input
        change does not wait for them). The values are the same either way.

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
    who = Individual(patient, ds, ev)

    # OS and RFS on two threads: their mixtures are numpy work that releases the interpreter lock.
    rfs_stop = index(RFS_HORIZON)
    rfs_curves, os_curves = both(
        lambda: who.curves(ds.endpoints["rfs"], rfs_stop), lambda: who.curves(ds.endpoints["os"])
    )
    os_hr, rfs_hr = who.hazard_ratio(ds.endpoints["os"]), who.hazard_ratio(ds.endpoints["rfs"])
    landmark = response_landmark_months(ev)
    mrd_share = ev.tower["mrd_response_among_cr_crh_cri.blinatumomab"].value

    def conditioned(curves: np.ndarray, month: float | None) -> tuple[np.ndarray, int]:
        return (curves, 0) if month is None else condition(curves, month)

    os_cond, os_start = conditioned(os_curves, alive_at)
    at_landmark = index(landmark)
    # Responders among survivors at the landmark: the cohort's share (response is not individualized).
    share = np.minimum(ds.cr_rate / ds.endpoints["os"].target[:, at_landmark], MAX_RESPONDER_SHARE)

    cond_on = landmark if alive_at is None else max(alive_at, landmark)

    def split(rows: slice, into: tuple[np.ndarray, ...]) -> int:
        """Some draws' OS from the landmark with and without CR/CRh, then with MRD response among CR/CRh
        (every step is within a draw), written into those rows of ``into`` from the landmark's grid index
        on (returned)."""
        from_landmark, at = condition(os_curves[rows], landmark)
        cr, no_cr = solve_split(from_landmark[:, at:], ds.cr_hr[rows], share[rows])
        cr_mrd, _ = solve_split(cr, ds.mrd_hr[rows], mrd_share)
        for whole, part in zip(into, (cr, no_cr, cr_mrd), strict=True):
            whole[rows, at:] = part
        return at

    def remission() -> dict[str, Endpoint]:
        """The remission scenarios: the draws split in two halves on two threads, then each conditioned on
        being alive at ``cond_on`` and summarised."""
        half = len(os_curves) // 2
        wholes = tuple(np.ones_like(os_curves) for _ in range(3))
        at, _ = both(lambda: split(slice(0, half), wholes), lambda: split(slice(half, None), wholes))
        keys = ("os_if_cr_crh", "os_if_no_cr_crh", "os_if_cr_crh_mrd")
        hrs = (ds.cr_hr, None, ds.mrd_hr)

        def reference() -> Endpoint:
            # This patient alive at the landmark, response not yet known: the curve the split divides (the
            # scenarios' fair reference; the OS from the first dose counts the months before the landmark).
            conditioned, first = condition(os_curves, cond_on)
            return endpoint(conditioned, os_hr, start=first, alive_at=cond_on)

        def summary(j: int) -> Endpoint:
            # Conditioning on the landmark divides by the landmark's column: where that is exactly 1 (every
            # draw alive there, as from_landmark is) the curves are left as they are, which is the same.
            curves = wholes[j]
            same = cond_on == landmark and bool((curves[:, at] == 1.0).all())
            conditioned, first = (curves, at) if same else condition(curves, cond_on)
            return endpoint(conditioned, hrs[j], start=first, alive_at=cond_on)

        first, rest = both(lambda: [reference(), summary(0)], lambda: [summary(1), summary(2)])
        return dict(zip(("os_alive_at_landmark", *keys), (*first, *rest), strict=True))

    later = soon(remission) if start_scenarios else remission

    def comparator() -> tuple[Endpoint, tuple[Landmark, ...]]:
        """The chemotherapy comparator (a power of the OS draws) and the benefit over it, per draw (so its
        interval is of the difference), from the first dose only."""
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
        if alive_at is not None:
            return chemo_ep, ()
        gain = (interval(os_curves[:, index(m)] - chemo[:, index(m)]) for m in BENEFIT_MONTHS)
        return chemo_ep, tuple(Landmark(m, *_triple(iv)) for m, iv in zip(BENEFIT_MONTHS, gain, strict=True))

    # The comparator on a helper thread while OS and RFS are summarised here (each mostly a numpy sort).
    (chemo_ep, benefit), (os_ep, rfs_ep) = both(
        comparator,
        lambda: (
            endpoint(os_cond, os_hr, start=os_start, alive_at=alive_at),
            endpoint(rfs_curves, rfs_hr, stop=rfs_stop, time_origin="first_cr_crh", horizon=RFS_HORIZON),
        ),
    )
    scenarios = Scenarios({"os_chemotherapy": chemo_ep}, later=later)
    sources = tuple({"id": p.source.id, "citation": p.source.citation, "doi": p.source.doi} for p in ev.papers.values())
    return Prediction(
        blinacalc_version=__version__,
        evidence_version=ev.version,
        inputs={**patient.to_dict(), "alive_at_months": alive_at},
        draws=draws,
        seed=seed,
        os=os_ep,
        rfs=rfs_ep,
        response=response(ev),
        scenarios=scenarios,
        reference_curves={"os_hsct_in_ccr": ds.hsct_endpoint},
        competing_risks=competing_risks(ev),
        sensitivity=_sensitivity(ds, who, ev, alive_at),
        landmark_months=landmark,
        responder_share=interval(share),
        benefit=benefit,
        warnings=warnings_for(patient, ev),
        sources=sources,
    )
