"""``blinacalc validate`` for people: the validation result as a report document (tables, a calibration
chart drawn in characters, notes), rendered like every other report (rich, markdown, HTML, SVG)."""

from __future__ import annotations

from typing import Any

from blinacalc.cohort.validate import Validation
from blinacalc.report import content as C
from blinacalc.report import labels as L

PLOT_WIDTH = 50
TITLE = "blinacalc · external validation of overall survival"


def _observed(obs: dict[str, float] | None) -> tuple[str, str]:
    if obs is None:
        return "not estimable", "follow-up too short"
    return L.pct(obs["estimate"]), L.pct_range(obs["lo"], obs["hi"])


def calibration_bar(obs: dict[str, float] | None, predicted: float) -> str:
    """One group on a 0-100% axis: observed 95% CI as ─, observed ○, predicted ● (shapes, not colours)."""
    cells = [" "] * (PLOT_WIDTH + 1)

    def at(x: float) -> int:
        return max(0, min(PLOT_WIDTH, round(x * PLOT_WIDTH)))

    if obs is not None:
        for i in range(at(obs["lo"]), at(obs["hi"]) + 1):
            cells[i] = "─"
        cells[at(obs["estimate"])] = "○"
    cells[at(predicted)] = "●"
    return "│" + "".join(cells) + "│"


def report(v: Validation) -> C.Report:
    why = "; ".join(f"{reason}: {k}" for reason, k in v.excluded_reasons)
    c: dict[str, Any] = v.c_index
    c_ci = "" if c["lo"] is None else f" (95% CI {c['lo']:.2f}–{c['hi']:.2f}, {c['bootstrap']} bootstrap samples)"
    head = C.Text(
        f"{v.n:,} patients analysed, {v.events:,} deaths, longest follow-up {v.follow_up_max_months:.1f} months; "
        f"{v.excluded:,} rows excluded" + (f" ({why})" if why else "") + ".",
        "key",
    )
    landmark_rows = []
    for row in v.landmarks:
        obs, ci = _observed(row["observed"])
        diff = "" if row["observed"] is None else f"{100 * (row['predicted'] - row['observed']['estimate']):+.1f} pp"
        landmark_rows.append((str(row["month"]), obs, ci, L.pct(row["predicted"]), diff))
    group_rows, bars = [], []
    for g in v.risk_groups:
        obs, ci = _observed(g["observed_12"])
        group_rows.append((g["group"], f"{g['n']:,}", f"{g['events']:,}", obs, ci, L.pct(g["predicted_12"])))
        bars.append((g["group"], calibration_bar(g["observed_12"], g["predicted_12"])))
    axis = "0%" + " " * (PLOT_WIDTH // 2 - 2) + "50%" + " " * (PLOT_WIDTH // 2 - 3) + "100%"
    discrimination = (
        f"Discrimination: Harrell's C-index {c['estimate']:.2f}{c_ci}. 0.5 is chance, 1 is perfect."
        if c["estimate"] is not None
        else f"Discrimination: {c['note']}."
    )
    return C.Report(
        TITLE,
        (
            C.Section(
                "observed",
                "Observed (Kaplan–Meier) vs predicted (mean of the patients' curves)",
                (head, C.Table(("Month", "Observed", "95% CI", "Predicted", "Difference"), tuple(landmark_rows))),
            ),
            C.Section(
                "calibration",
                "Calibration by risk group: thirds of the cohort by predicted 12-month OS",
                (
                    C.Table(("Group", "n", "Deaths", "Observed", "95% CI", "Predicted"), tuple(group_rows)),
                    C.Table(
                        ("Group", f" {axis}"),
                        (*bars, ("", "● predicted   ○ observed   ─ observed 95% CI")),
                        numeric=False,
                    ),
                ),
            ),
            C.Section(
                "discrimination",
                "Discrimination and method",
                (
                    C.Text(discrimination, "key"),
                    C.Text(
                        "Predicted: each patient's point-estimate OS curve (factors left blank are averaged over the "
                        "trial's mix). Observed: Kaplan–Meier (lifelines) with exponential Greenwood 95% CIs. Few "
                        "input classes mean modest discrimination is expected; calibration is the main check.",
                        "note",
                    ),
                ),
            ),
        ),
    )
