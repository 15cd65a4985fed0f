"""A first look at blinacalc's Python API: one patient, overall survival and the scenarios.

Run: python examples/predict.py
"""

from blinacalc import Patient, predict


def pct(x: float | None) -> str:
    return "n/a" if x is None else f"{100 * x:.0f}%"


def months(x: float | None) -> str:
    return "not reached by 60 mo" if x is None else f"{x:.1f} mo"


patient = Patient(ecog=1, salvage_line=2, prior_hsct=False, t411=None)  # t(4;11) unknown
result = predict(patient, draws=2000, seed=0)

print("blinacalc — ILLUSTRATIVE ESTIMATES FROM TWO TRIALS, NOT FOR CLINICAL DECISIONS")
print(f"evidence {result.evidence_version}; inputs {result.inputs}")
m = result.os.median_months
print(f"Overall survival: median {months(m.estimate)} (95% interval {months(m.lo)} to {months(m.hi)})")
for lm in result.os.landmarks:
    print(f"  {lm.month:>2} months: {pct(lm.estimate)} ({pct(lm.lo)} to {pct(lm.hi)})")
for name, ep in result.scenarios.items():
    print(f"{name:<18} median {months(ep.median_months.estimate):>22}; 1-year {pct(ep.landmark(12).estimate)}")
for warning in result.warnings:
    print("warning:", warning)
