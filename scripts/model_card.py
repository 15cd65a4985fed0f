"""Generate docs/model-card.md from the code: published numbers vs what the model reproduces.

Run: python scripts/model_card.py   (writes docs/model-card.md; tests check it is up to date)
"""

from __future__ import annotations

import sys
from pathlib import Path

from blinacalc import Patient, __version__, predict
from blinacalc.core import factors as F
from blinacalc.core.baseline import load_calibration
from blinacalc.core.classes import drawn_factors, factor_prevalence, prevalence_bounds
from blinacalc.core.continuous import distribution, rounding_draws, rounding_region
from blinacalc.core.evidence import load_evidence

OUT = Path(__file__).resolve().parents[1] / "docs" / "model-card.md"
HEADER = Path(__file__).resolve().parents[1] / "docs" / "model-card.head.md"


def _row(what: str, where: str, published: str, reproduced: str) -> str:
    return f"| {what} | {where} | {published} | {reproduced} |"


def validation_table() -> str:
    ev = load_evidence()
    t = ev.topp
    pop = predict(Patient())
    hsct = pop.reference_curves["os_hsct_in_ccr"]
    rows = [
        "| Quantity | Source | Published | Reproduced (all factors unknown) |",
        "| --- | --- | --- | --- |",
    ]

    def med(name: str, q: str, ep) -> None:
        p = t[q]
        m = ep.median_months
        hi = f"not reached by {ep.horizon_months:g}" if m.hi is None else f"{m.hi:.1f}"
        rows.append(
            _row(
                f"{name} median, months",
                p.where,
                f"{p.value:.1f} ({p.ci[0]:.1f}-{p.ci[1]:.1f})",
                f"{m.estimate:.2f} ({m.lo:.1f}-{hi})",
            )
        )

    def land(name: str, q: str, ep, month: int) -> None:
        p = t[q]
        lm = ep.landmark(month)
        rows.append(
            _row(
                f"{name} at {month} months",
                p.where,
                f"{100 * p.value:.1f}%",
                f"{100 * lm.estimate:.1f}% ({100 * lm.lo:.1f}-{100 * lm.hi:.1f}%)",
            )
        )

    med("OS", "os.median_months", pop.os)
    for m in (24, 36, 48, 60):
        land("OS", f"os.at_{m}", pop.os, m)
    med("RFS (CR/CRh)", "rfs.median_months", pop.rfs)
    for m in (24, 36, 48):
        land("RFS (CR/CRh)", f"rfs.at_{m}", pop.rfs, m)
    med("OS, HSCT in continuous CR", "hsct_ccr.os_median_months", hsct)
    land("OS, HSCT in continuous CR", "hsct_ccr.os_at_36", hsct, 36)
    return "\n".join(rows)


def scenario_table() -> str:
    """Topp 2021 Table 2 crude counts alive at 36 months against the landmark scenarios."""
    from blinacalc.core.stats import wilson

    pop = predict(Patient())
    s_l = pop.os.curve.estimate[int(pop.landmark_months / 0.5)]
    assert s_l is not None
    rows = [
        "| Group known alive after 35 months | Table 2 count | Wilson 95% | Model at 35 months (95% interval) |",
        "| --- | --- | --- | --- |",
    ]
    month = 70  # grid index of month 35 (Table 2 footnote a)
    for key, name, n, N in (
        ("os_if_cr_crh", "CR/CRh within 2 cycles (2 lost to follow-up censored)", 36, 121),
        ("os_if_no_cr_crh", "no CR/CRh, alive at the landmark", 7, round(259 * s_l - 123)),
        ("os_if_cr_crh_mrd", "MRD responders (all, not only within CR/CRh: a rough check)", 35, 107),
    ):
        lo, hi = wilson(n, N)
        c = pop.scenarios[key].curve
        est, c_lo, c_hi = c.estimate[month], c.lo[month], c.hi[month]
        assert est is not None and c_lo is not None and c_hi is not None
        rows.append(
            f"| {name} | {n}/{N} = {100 * n / N:.1f}% | {100 * lo:.1f}-{100 * hi:.1f}% | "
            f"{100 * est:.1f}% ({100 * c_lo:.1f}-{100 * c_hi:.1f}%) |"
        )
    return "\n".join(rows)


def fit_table() -> str:
    rows = ["| Curve | Family | Cure fraction | Pseudo-patients (n) | Follow-up assumed (uniform, months) |"]
    rows.append("| --- | --- | --- | --- | --- |")
    for name, c in load_calibration().raw["curves"].items():
        lo, hi = c["followup_uniform_months"]
        family = c["family"] + (f", no events before {c['delay_months']:g} mo" if c.get("delay_months") else "")
        rows.append(f"| {name} | {family} | {c['cure_fraction']:.3f} | {c['n']:g} | {lo:.1f} to {hi:.1f} |")
    return "\n".join(rows)


def prevalence_table() -> str:
    ev = load_evidence()
    rows = ["| Factor level | Prevalence used |", "| --- | --- |"]
    for j, (f, p) in enumerate(zip(F.binary(), factor_prevalence(ev), strict=True)):
        drawn = ""
        if j in drawn_factors():
            lo, hi = prevalence_bounds(ev, f)
            drawn = f" (drawn uniformly, {100 * lo:.1f}-{100 * hi:.1f}%)"
        rows.append(f"| {f.label}: {F.value_words(f, min(f.numerator))} (vs {f.reference}) | {100 * p:.1f}%{drawn} |")
    for f in F.continuous():
        d = distribution(ev, f)
        rows.append(f"| {f.label} (unknown: integrated over) | mean {d.mean:.2f}, SD {d.sd:.1f}: {d.description} |")
    return "\n".join(rows)


def continuous_table() -> str:
    """Each continuous factor's published per-unit ratio, its rounding region and the draws the model uses."""
    import numpy as np

    ev = load_evidence()
    rows = [
        "| Factor, endpoint | Printed (Table 3) | Estimates consistent with rounding | Model: centre (95% of draws) |"
        " Naive reading (95%) | Over the cohort's 2.5-97.5% range |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for f in F.continuous():
        d = distribution(ev, f)
        x = d.sample(np.random.default_rng(0), 200_000)
        lo_x, hi_x = np.quantile(x, [0.025, 0.975])
        for endpoint in ("os", "rfs"):
            q = ev.topp[f.hr_key(endpoint)]
            assert q.ci is not None
            log_est, _ = rounding_region(q)
            draws = rounding_draws(q, np.random.default_rng(0), 100_000)
            a, b = np.exp(np.quantile(draws[1:], [0.025, 0.975]))
            naive = np.log(q.ci[1] / q.ci[0]) / 3.92
            span = hi_x - lo_x
            rows.append(
                f"| {f.label}, {endpoint.upper()} | {q.value:.2f} ({q.ci[0]:.2f}-{q.ci[1]:.2f}) {f.per_unit} | "
                f"{np.exp(log_est.min()):.4f}-{np.exp(log_est.max()):.4f} | {np.exp(draws[0]):.4f} ({a:.4f}-{b:.4f}) | "
                f"{q.value * np.exp(-1.96 * naive):.4f}-{q.value * np.exp(1.96 * naive):.4f} | "
                f"{lo_x:.0f} vs {hi_x:.0f}: HR {np.exp(draws[0] * span):.2f} ({a**span:.2f}-{b**span:.2f}) |"
            )
    return "\n".join(rows)


def render() -> str:
    head = HEADER.read_text(encoding="utf-8")
    return (
        head.replace("{{VERSION}}", __version__)
        .replace("{{EVIDENCE}}", load_evidence().version)
        .replace("{{VALIDATION}}", validation_table())
        .replace("{{FITS}}", fit_table())
        .replace("{{PREVALENCE}}", prevalence_table())
        .replace("{{SCENARIOS}}", scenario_table())
        .replace("{{CONTINUOUS}}", continuous_table())
    )


if __name__ == "__main__":
    text = render()
    if "--check" in sys.argv:
        sys.exit(0 if OUT.read_text(encoding="utf-8") == text else 1)
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT}")
