"""What does not depend on the patient: cohort response rates, harms, competing risks among responders.

These are the trials' published cohort values (with Wilson intervals where counts are given), the same
for every patient; the report says so.
"""

from __future__ import annotations

from blinacalc.core.evidence import Evidence, Quantity, load_evidence
from blinacalc.core.result import CompetingRiskLandmark, CompetingRisks, Harm, Rate, Response
from blinacalc.core.stats import wilson


def rate(q: Quantity) -> Rate:
    """A published proportion: Wilson interval from counts, else the published CI, else none."""
    if q.n is not None and q.N is not None:
        lo, hi = q.ci if q.ci is not None else wilson(q.n, q.N)
        return Rate(q.n / q.N, lo, hi, q.n, q.N)
    if q.ci is not None:
        return Rate(q.value, q.ci[0], q.ci[1], None, None)
    return Rate(q.value, None, None, None, None)


def response(ev: Evidence) -> Response:
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
        name: {arm: rate(w[f"{key}.{arm}"]) for arm in ("blinatumomab", "chemotherapy")}
        for name, key in tower_keys.items()
    }
    return Response(
        cr_crh=rate(t["table2.cr_crh"]),
        cr=rate(t["table2.cr"]),
        crh=rate(t["table2.crh"]),
        mrd_response=rate(t["table2.mrd_response"]),
        hsct=rate(t["table2.hsct"]),
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
            blinatumomab=rate(w[f"table3.{key}.blinatumomab"]),
            chemotherapy=rate(w[f"table3.{key}.chemotherapy"]),
        )
        for key in HARMS
    )


def competing_risks(ev: Evidence) -> CompetingRisks:
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
