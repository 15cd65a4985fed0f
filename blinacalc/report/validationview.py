"""``blinacalc validate`` for people: tables and a terminal calibration plot from the validation record."""

from __future__ import annotations

from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from blinacalc.report import labels as L
from blinacalc.report.plot import COLOURS

PLOT_WIDTH = 50


def _observed(obs: dict[str, float] | None) -> tuple[str, str]:
    if obs is None:
        return "not estimable", "follow-up too short"
    return L.pct(obs["estimate"]), L.pct_range(obs["lo"], obs["hi"])


def _calibration_row(obs: dict[str, float] | None, predicted: float) -> Text:
    """One group on a 0-100% axis: observed 95% CI as ─, observed ○, predicted ●."""
    cells = [" "] * (PLOT_WIDTH + 1)
    styles = [""] * (PLOT_WIDTH + 1)

    def at(x: float) -> int:
        return max(0, min(PLOT_WIDTH, round(x * PLOT_WIDTH)))

    if obs is not None:
        for i in range(at(obs["lo"]), at(obs["hi"]) + 1):
            cells[i], styles[i] = "─", COLOURS["scenario_b"]
        cells[at(obs["estimate"])], styles[at(obs["estimate"])] = "○", f"bold {COLOURS['scenario_b']}"
    cells[at(predicted)], styles[at(predicted)] = "●", f"bold {COLOURS['patient']}"
    text = Text("│")
    for ch, style in zip(cells, styles, strict=True):
        text.append(ch, style)
    return text.append("│")


def render(record: dict[str, Any]) -> RenderableType:
    excluded = record["excluded_reasons"]
    why = "; ".join(f"{reason}: {k}" for reason, k in excluded.items())
    c = record["c_index"]
    c_ci = "" if c["lo"] is None else f" (95% CI {c['lo']:.2f}–{c['hi']:.2f}, {c['bootstrap']} bootstrap samples)"
    head = Text.assemble(
        ("External validation of blinacalc's overall survival\n", "bold"),
        f"{record['n']:,} patients analysed, {record['events']:,} deaths, longest follow-up "
        f"{record['follow_up_max_months']:.1f} months; {record['excluded']:,} rows excluded"
        + (f" ({why})" if why else "")
        + ".",
    )

    lm = Table(title="Observed (Kaplan–Meier) vs predicted (mean of the patients' curves)", title_justify="left")
    for col in ("Month", "Observed", "95% CI", "Predicted", "Difference"):
        lm.add_column(col, justify="right")
    for row in record["landmarks"]:
        obs, ci = _observed(row["observed"])
        diff = "" if row["observed"] is None else f"{100 * (row['predicted'] - row['observed']['estimate']):+.1f} pp"
        lm.add_row(str(row["month"]), obs, ci, L.pct(row["predicted"]), diff)

    groups = Table(
        title="Calibration by risk group: thirds of the cohort by predicted 12-month OS", title_justify="left"
    )
    for col, justify in (
        ("Group", "left"),
        ("n", "right"),
        ("Deaths", "right"),
        ("Observed", "right"),
        ("95% CI", "right"),
        ("Predicted", "right"),
    ):
        groups.add_column(col, justify=justify)  # type: ignore[arg-type]
    plot = Table.grid(padding=(0, 1))
    plot.add_column(justify="left")
    plot.add_column()
    for g in record["risk_groups"]:
        obs, ci = _observed(g["observed_12"])
        groups.add_row(g["group"], f"{g['n']:,}", f"{g['events']:,}", obs, ci, L.pct(g["predicted_12"]))
        plot.add_row(g["group"], _calibration_row(g["observed_12"], g["predicted_12"]))
    axis = " " * 13 + "0%" + " " * (PLOT_WIDTH // 2 - 3) + "50%" + " " * (PLOT_WIDTH // 2 - 3) + "100%"
    key = Text.assemble(
        " " * 13,
        ("●", COLOURS["patient"]),
        " predicted   ",
        ("○", COLOURS["scenario_b"]),
        " observed   ",
        ("─", COLOURS["scenario_b"]),
        " observed 95% CI",
    )
    return Group(
        head,
        Text(),
        lm,
        Text(),
        groups,
        plot,
        Text(axis, "dim"),
        key,
        Text(),
        Text(
            f"Discrimination: Harrell's C-index {c['estimate']:.2f}{c_ci}. 0.5 is chance, 1 is perfect."
            if c["estimate"] is not None
            else f"Discrimination: {c['note']}.",
            "bold",
        ),
        Text(
            "Predicted: each patient's point-estimate OS curve (factors left blank are averaged over the "
            "trial's mix). Observed: Kaplan–Meier (lifelines) with exponential Greenwood 95% CIs. Few input "
            "classes mean modest discrimination is expected; calibration is the main check.",
            "dim",
        ),
    )
