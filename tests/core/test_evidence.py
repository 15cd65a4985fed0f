"""The evidence files hold the published numbers, and bad files are refused by name and field."""

from __future__ import annotations

import copy
import tomllib
from importlib import resources

import pytest

from blinacalc.core.evidence import EvidenceError, load_evidence, parse_paper

# (paper, key, value, ci, n, N) — each hard-coded from the paper at the place named in the key.
PUBLISHED = [
    # Topp 2021, Abstract / Results paragraphs 1-2 (Fig. 1A-C)
    ("topp2021", "os.median_months", 7.5, (5.5, 8.5), None, None),
    ("topp2021", "os.at_24", 0.234, None, None, None),
    ("topp2021", "os.at_36", 0.177, None, None, None),
    ("topp2021", "os.at_48", 0.158, None, None, None),
    ("topp2021", "os.at_60", 0.158, None, None, None),
    ("topp2021", "rfs.median_months", 7.7, (6.2, 10.0), None, None),
    ("topp2021", "rfs.at_24", 0.269, None, None, None),
    ("topp2021", "rfs.at_36", 0.234, None, None, None),
    ("topp2021", "rfs.at_48", 0.234, None, None, None),
    ("topp2021", "hsct_ccr.os_median_months", 18.1, (10.3, 30.0), None, None),
    ("topp2021", "hsct_ccr.os_at_36", 0.372, None, None, None),
    # Topp 2021, Results paragraph 3 (Fig. 1D): cumulative incidence of relapse
    ("topp2021", "cir.at_24", 0.567, None, None, None),
    ("topp2021", "cir.at_36", 0.593, None, None, None),
    ("topp2021", "cir.at_60", 0.632, None, None, None),
    # Topp 2021 Table 1
    ("topp2021", "table1.ecog_0", 0.347, None, 90, 259),
    ("topp2021", "table1.ecog_2", 0.147, None, 38, 259),
    ("topp2021", "table1.prior_hsct_yes", 0.340, None, 88, 259),
    ("topp2021", "table1.t411", 0.062, None, 16, 259),
    ("topp2021", "table1.primary_refractory", 0.097, None, 25, 259),
    ("topp2021", "table1.prior_relapses_2plus", 0.340, None, 88, 259),
    # Topp 2021 Table 2
    ("topp2021", "table2.cr", 0.336, None, 87, 259),
    ("topp2021", "table2.crh", 0.139, None, 36, 259),
    ("topp2021", "table2.mrd_response", 0.413, None, 107, 259),
    ("topp2021", "table2.hsct", 0.309, None, 80, 259),
    ("topp2021", "table2.cr_crh", 0.475, None, 123, 259),
    # Topp 2021 Table 3, univariate (baseline) and multivariate (postbaseline)
    ("topp2021", "table3.os.univariate.ecog_0", 0.59, (0.44, 0.79), None, None),
    ("topp2021", "table3.os.univariate.salvage_first", 0.78, (0.57, 1.06), None, None),
    ("topp2021", "table3.os.univariate.prior_hsct", 0.92, (0.69, 1.23), None, None),
    ("topp2021", "table3.os.univariate.t411", 1.53, (0.91, 2.58), None, None),
    ("topp2021", "table3.os.univariate.cr_crh", 0.29, (0.21, 0.40), None, None),
    ("topp2021", "table3.os.univariate.mrd_response", 0.47, (0.31, 0.72), None, None),
    ("topp2021", "table3.os.multivariate.cr_crh", 0.43, (0.25, 0.74), None, None),
    ("topp2021", "table3.os.multivariate.mrd_response", 0.54, (0.33, 0.87), None, None),
    ("topp2021", "table3.rfs.univariate.ecog_0", 0.68, (0.45, 1.04), None, None),
    ("topp2021", "table3.rfs.univariate.salvage_first", 0.68, (0.42, 1.10), None, None),
    ("topp2021", "table3.rfs.univariate.prior_hsct", 1.20, (0.78, 1.84), None, None),
    ("topp2021", "table3.rfs.univariate.t411", 2.56, (1.14, 5.74), None, None),
    ("topp2021", "table3.rfs.multivariate.t411", 3.14, (1.36, 7.28), None, None),
    # TOWER, Abstract / Results
    ("tower2017", "os.hazard_ratio", 0.71, (0.55, 0.93), None, None),
    ("tower2017", "os.median_months.blinatumomab", 7.7, (5.6, 9.6), None, None),
    ("tower2017", "os.median_months.chemotherapy", 4.0, (2.9, 5.3), None, None),
    ("tower2017", "os.at_6.blinatumomab", 0.54, None, None, None),
    ("tower2017", "os.at_6.chemotherapy", 0.39, None, None, None),
    ("tower2017", "efs.hazard_ratio", 0.55, (0.43, 0.71), None, None),
    ("tower2017", "mrd_response_among_cr_crh_cri.blinatumomab", 0.76, None, None, None),
    ("tower2017", "mrd_response_among_cr_crh_cri.chemotherapy", 0.48, None, None, None),
    # TOWER Table 2
    ("tower2017", "table2.cr.blinatumomab", 0.336, (0.280, 0.395), 91, 271),
    ("tower2017", "table2.cr.chemotherapy", 0.157, (0.100, 0.230), 21, 134),
    ("tower2017", "table2.cr_crh_cri.blinatumomab", 0.439, (0.379, 0.500), 119, 271),
    ("tower2017", "table2.cr_crh_cri.chemotherapy", 0.246, (0.176, 0.328), 33, 134),
    # TOWER Table 3
    ("tower2017", "table3.any_grade3plus.blinatumomab", 0.865, None, 231, 267),
    ("tower2017", "table3.any_grade3plus.chemotherapy", 0.917, None, 100, 109),
    ("tower2017", "table3.grade3plus.neutropenia.blinatumomab", 0.378, None, 101, 267),
    ("tower2017", "table3.grade3plus.cytokine_release_syndrome.blinatumomab", 0.049, None, 13, 267),
    ("tower2017", "table3.grade3plus.neurologic_event.chemotherapy", 0.083, None, 9, 109),
    # TOWER Table 1
    ("tower2017", "table1.ecog_0.blinatumomab", 0.354, None, 96, 271),
    ("tower2017", "table1.salvage_first.blinatumomab", 0.421, None, 114, 271),
]


@pytest.mark.parametrize(("paper", "key", "value", "ci", "n", "N"), PUBLISHED, ids=[p[1] for p in PUBLISHED])
def test_published_number(paper, key, value, ci, n, N):
    q = load_evidence().papers[paper][key]
    assert q.value == value
    assert q.ci == ci
    assert (q.n, q.N) == (n, N)
    assert q.where


def test_every_quantity_says_where_it_stands():
    for paper in load_evidence().papers.values():
        for q in paper.quantities.values():
            assert q.where.strip(), q.key


def test_sources_and_version():
    ev = load_evidence()
    assert ev.topp.source.doi == "10.1002/cncr.33298"
    assert ev.tower.source.doi == "10.1056/NEJMoa1609783"
    assert ev.version == "topp2021.v3+tower2017.v3"


def test_printed_percentage_that_disagrees_with_counts_is_recorded_as_erratum():
    """Topp 2021 Table 1 prints 56.2% for 146/259 (56.4%)."""
    q = load_evidence().topp["table1.prior_relapses_1"]
    assert q.erratum and "146/259" in q.erratum
    assert q.proportion == pytest.approx(146 / 259)


def _raw(paper="topp2021"):
    text = resources.files("blinacalc.evidence").joinpath(f"{paper}.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)


@pytest.mark.parametrize(
    ("mutate", "field", "fragment"),
    [
        (lambda d: d["os"]["at_24"].update(value=1.2), "os.at_24.value", "[0, 1]"),
        (lambda d: d["os"]["median_months"].update(ci=[8.0, 9.0]), "os.median_months.ci", "does not contain"),
        (lambda d: d["table3"]["os"]["univariate"]["ecog_0"].update(value=-0.5), "ecog_0.value", "> 0"),
        (lambda d: d["table2"]["cr"].update(n=300), "table2.cr.n", "exceeds"),
        (lambda d: d["table2"]["cr"].update(value=0.5), "table2.cr.value", "disagrees"),
        (lambda d: d["os"]["at_24"].pop("where"), "os.at_24.where", "place in the paper"),
        (lambda d: d["os"]["at_24"].update(kind="fraction"), "os.at_24.kind", "expected one of"),
        (lambda d: d.update(schema_version=99), "schema_version", "expected 1"),
        (lambda d: d["source"].pop("doi"), "source.doi", "non-empty"),
        (lambda d: d["os"]["at_24"].update(value="high"), "os.at_24.value", "finite number"),
    ],
)
def test_bad_file_names_file_and_field(mutate, field, fragment):
    data = copy.deepcopy(_raw())
    mutate(data)
    with pytest.raises(EvidenceError) as err:
        parse_paper("topp2021.toml", data)
    message = str(err.value)
    assert message.startswith("topp2021.toml: ")
    assert field in message
    assert fragment in message


def test_loaded_evidence_is_read_only():
    paper = load_evidence().topp
    with pytest.raises(TypeError):
        paper.quantities["os.at_24"] = None  # type: ignore[index]
    with pytest.raises(AttributeError):
        paper.quantities["os.at_24"].value = 0.5  # type: ignore[misc]
