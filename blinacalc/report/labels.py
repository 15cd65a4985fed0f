"""Words and number formats shared by every view (rich, markdown, TUI)."""

from __future__ import annotations

from collections.abc import Mapping

from blinacalc.core import factors as F
from blinacalc.core.result import Interval, Rate

DISCLAIMER = "Illustrative estimates from two published trials; not for clinical decisions."

ECOG_REFUSED = (
    "ECOG 3-4 is not offered: outside both trials (TOWER required ECOG ≤ 2; Topp 2021 Table 1 has ECOG 0-2 only)."
)


def input_names() -> dict[str, str]:
    """Each input's name in the report: the factor table's labels, then the conditioning month."""
    return {**{f.name: f.label for f in F.factors()}, "alive_at_months": "Alive at (months after first dose)"}


SCENARIO_NAMES = {
    "os_alive_at_landmark": "Alive, response not yet known",
    "os_if_cr_crh": "CR/CRh reached",
    "os_if_no_cr_crh": "CR/CRh not reached",
    "os_if_cr_crh_mrd": "CR/CRh with MRD response",
    "os_chemotherapy": "Standard chemotherapy instead*",
}
REFERENCE_NAMES = {"os_hsct_in_ccr": "HSCT in continuous CR"}
INTERVALS_MEAN = (
    "95% intervals carry the uncertainty of the published curves, hazard ratios (for marrow blasts and age, "
    "including their rounding to two decimals) and rates and of the unknown first-salvage share; they leave "
    "out the error of multiplying univariate hazard ratios as if independent, "
    "of reconstructing curves from published summaries and of transporting TOWER's ratio to another trial."
)
RESPONSE_NAMES = {
    "cr_crh": "CR/CRh",
    "cr": "CR",
    "crh": "CRh",
    "cri": "CRi",
    "cr_crh_cri": "CR/CRh/CRi",
    "mrd_response": "MRD response",
    "mrd_response_among_cr_crh_cri": "MRD response (of CR/CRh/CRi)",
    "hsct": "Allogeneic HSCT",
}

HARM_NAMES = {
    "any_grade3plus": "Any grade ≥3 event",
    "serious": "Serious event (any grade)",
    "fatal_serious": "Fatal serious event",
    "discontinuation": "Stopped for an adverse event",
    "grade3plus.neutropenia": "Neutropenia, grade ≥3",
    "grade3plus.infection": "Infection, grade ≥3",
    "grade3plus.elevated_liver_enzyme": "Elevated liver enzyme, grade ≥3",
    "grade3plus.neurologic_event": "Neurologic event, grade ≥3",
    "grade3plus.cytokine_release_syndrome": "Cytokine release syndrome, grade ≥3",
    "grade3plus.infusion_reaction": "Infusion reaction, grade ≥3",
    "grade3plus.lymphopenia": "Lymphopenia, grade ≥3",
    "grade3plus.decreased_platelets": "Decreased platelets, grade ≥3",
    "grade3plus.decreased_white_cells": "Decreased white cells, grade ≥3",
}

UNKNOWN = F.UNKNOWN
ordinal = F.ordinal


def input_value(name: str, value: object) -> str:
    """An input as entered: ``unknown`` where not given."""
    if name == "alive_at_months":
        return "not set (curves from first dose)" if value is None else f"{float(value):g} months"  # type: ignore[arg-type]
    return F.value_words(F.by_name(name), value)


def reference_patient() -> str:
    """The model's reference class in words: ``ECOG 1-2, 2nd or later salvage, no prior HSCT and no t(4;11)``,
    then the continuous factors: at the cohort mean where known, the same value where unknown."""
    words = [f.reference for f in F.binary()]
    out = ", ".join(words[:-1]) + " and " + words[-1] if len(words) > 1 else words[0]
    names = [f.label.split(" (")[0].lower() for f in F.continuous()]
    if names:
        out += f" ({' and '.join(names)} at the cohort mean where known, the same where unknown)"
    return out


def factors_line(inputs: Mapping[str, object]) -> str:
    """The factors on one short line: ``ECOG 1, 2nd salvage, prior HSCT no, t(4;11) unknown``; the additional
    (optional) factors only where known: ``..., marrow blasts 85%``."""
    return ", ".join(
        F.inline_words(f, inputs.get(f.name))
        for f in F.factors()
        if not (f.optional_column and inputs.get(f.name) is None)
    )


def pct(x: float | None, digits: int = 0) -> str:
    """A proportion as a percentage; ``<1%`` rather than a misleading ``0%`` for small non-zero values."""
    if x is None:
        return "n/a"
    if digits == 0 and 0 < x < 0.005:
        return "<1%"
    return f"{100 * x:.{digits}f}%"


def pct_range(lo: float | None, hi: float | None, digits: int = 0) -> str:
    if lo is None or hi is None:
        return "not published"
    return f"{pct(lo, digits)[:-1]}–{pct(hi, digits)}"


def months(x: float | None, horizon: float = 60) -> str:
    return f"not reached by {horizon:g} mo" if x is None else f"{x:.1f} mo"


def median(iv: Interval, label: str = "", horizon: float = 60) -> str:
    """``7.5 mo (6.0–9.5)``; a median not reached within the curve's horizon is said so, never guessed.

    ``label`` goes inside the brackets, e.g. ``"95% interval "``.
    """
    if iv.estimate is None:
        lower = "" if iv.lo is None else f" ({label or '95% interval '}from {iv.lo:.1f} mo)"
        return f"not reached by {horizon:g} mo{lower}"
    sep = " to " if iv.hi is None else "–"
    hi = f"beyond {horizon:g}" if iv.hi is None else f"{iv.hi:.1f}"
    return f"{iv.estimate:.1f} mo ({label}{iv.lo:.1f}{sep}{hi})"


def rate(r: Rate, counts: bool = True) -> str:
    """``47.5% (41.4–53.6%) 123/259``; the interval is omitted where none exists.

    One decimal where the paper gives counts or decimals; a published whole percentage (e.g.
    TOWER's 76%) stays whole rather than gaining a false ``.0``.
    """
    digits = 1 if r.n is not None or r.lo is not None else 0
    text = pct(r.estimate, digits)
    if r.lo is not None and r.hi is not None:
        text += f" ({pct_range(r.lo, r.hi, digits)})"
    if counts and r.n is not None and r.N is not None:
        text += f" {r.n}/{r.N}"
    return text


def hazard_ratio(iv: Interval) -> str:
    assert iv.estimate is not None and iv.lo is not None and iv.hi is not None
    return f"{iv.estimate:.2f} ({iv.lo:.2f}–{iv.hi:.2f})"
