"""The factor table is the one declaration: a factor added to it (and to the evidence) works everywhere.

The throwaway factor below is declared only here, in the test: a new table entry and its evidence
numbers. Nothing else in the package is changed, yet a prediction, a report, a CLI flag and a batch row
all handle it.
"""

from __future__ import annotations

import dataclasses
import pickle
import re
from types import MappingProxyType

import numpy as np
import pytest

from blinacalc.core import drawcache, evidence, factors
from blinacalc.core.evidence import Quantity

THROWAWAY = factors.Factor(
    name="throwaway",
    label="Throwaway marker",
    short="Marker",
    kind="boolean",
    indicator="throwaway",
    numerator=frozenset({True}),
    prevalence=factors.Prevalence("proportion", ("topp2021:table1.throwaway",)),
    help="a factor that exists only in this test",
    style="yes_no",
    inline="marker {v}",
    inline_unknown="marker unknown",
    reference="no marker",
    levels=(True, False),
    allowed="yes, no or unknown",
    optional_column=True,
    others=((False, 1.0),),
)
EXTRA = {
    "table1.throwaway": Quantity("table1.throwaway", "proportion", 0.2, "test", n=52, N=259),
    "table3.os.univariate.throwaway": Quantity(
        "table3.os.univariate.throwaway", "hazard_ratio", 1.5, "test", ci=(1.1, 2.0)
    ),
    "table3.rfs.univariate.throwaway": Quantity(
        "table3.rfs.univariate.throwaway", "hazard_ratio", 1.2, "test", ci=(0.8, 1.8)
    ),
}


@pytest.fixture
def throwaway(monkeypatch):
    load = evidence._load_file

    def with_extra(paper_id: str) -> evidence.Paper:
        paper = load(paper_id)
        if paper_id != "topp2021":
            return paper
        return dataclasses.replace(paper, quantities=MappingProxyType({**paper.quantities, **EXTRA}))

    monkeypatch.setattr(evidence, "_load_file", with_extra)
    monkeypatch.setattr(factors, "FACTORS", (*factors.FACTORS, THROWAWAY))
    evidence.load_evidence.cache_clear()
    yield
    evidence.load_evidence.cache_clear()
    drawcache.clear()


def test_a_prediction_uses_the_new_factor(throwaway):
    from blinacalc import Patient, predict

    yes = predict(Patient(ecog=1, throwaway=True), draws=200)
    no = predict(Patient(ecog=1, throwaway=False), draws=200)
    unknown = predict(Patient(ecog=1), draws=200)
    assert yes.inputs["throwaway"] is True and unknown.inputs["throwaway"] is None
    assert yes.os.landmark(12).estimate < unknown.os.landmark(12).estimate < no.os.landmark(12).estimate  # HR 1.5
    share = 52 / 259  # the throwaway factor's prevalence in EXTRA
    mix = share * np.array(yes.os.curve.estimate) + (1 - share) * np.array(no.os.curve.estimate)
    np.testing.assert_allclose(mix, unknown.os.curve.estimate, atol=1e-9)  # unknown = the cohort mix
    full = predict(Patient(ecog=0, salvage_line=1, prior_hsct=False, t411=False, throwaway=True), draws=200)
    assert full.os.hazard_ratio.estimate == pytest.approx(0.59 * 0.78 * 1.5)  # Table 3 products, x 1.5
    assert pickle.loads(pickle.dumps(Patient(throwaway=True))) == Patient(throwaway=True)


def test_the_summary_and_its_flag_know_the_new_factor(throwaway, capsys):
    from blinacalc.cli import main

    flags = ["--ecog", "1", "--salvage-line", "2", "--prior-hsct", "no", "--t411", "no", "--throwaway", "yes"]
    assert main(["summary", *flags, "--draws", "200", "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    assert "| Throwaway marker | yes |" in out
    assert "no t(4;11) and no marker" in out  # the reference patient of the hazard-ratio note
    assert main(["summary", "--throwaway", "maybe"]) == 2
    assert re.search(r"--throwaway: expected yes, no or unknown", capsys.readouterr().err)


def test_a_batch_row_reads_the_new_column(throwaway, tmp_path, capsys):
    from blinacalc.cli import main

    src = tmp_path / "in.csv"
    src.write_text("id,ecog,salvage_line,prior_hsct,t411,throwaway\na,1,2,no,no,yes\nb,1,2,no,no,no\n")
    assert main(["batch", str(src), "--draws", "200"]) == 0
    lines = capsys.readouterr().out.splitlines()
    a, b = (dict(zip(lines[0].split(","), row.split(","), strict=True)) for row in lines[1:])
    assert float(a["os_12mo"]) < float(b["os_12mo"])
