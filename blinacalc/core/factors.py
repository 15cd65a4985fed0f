"""One declaration per baseline factor: the table every face loops over.

Data only (no UI, no maths): the model reads each factor's indicator, hazard-ratio evidence, prevalence
and warning from here; the CLI its flag; the TUI its choices; the report its words; the cohort reader
its column and vocabulary; the synthetic cohort how to draw it. Adding a binary factor with its evidence
means adding its numbers to an evidence file and one :class:`Factor` here.

The model is Topp 2021 Table 3's: each binary factor enters as one indicator (``numerator`` values
against the rest), each continuous factor (``kind == "continuous"``) as a log-linear term per unit
centred at its cohort mean, both with univariate OS and RFS hazard ratios
``table3.{os,rfs}.univariate.{indicator}`` from the evidence.
"""

from __future__ import annotations

from blinacalc._digest import digest
from blinacalc._value import value_type

UNKNOWN = "unknown"
# Words accepted for a yes/no factor, from the command line and cohort files alike (any case).
YES_WORDS = frozenset({"yes", "y", "true", "1"})
NO_WORDS = frozenset({"no", "n", "false", "0"})
UNKNOWN_WORDS = frozenset({"", "unknown", "na", "n/a"})


@value_type
class Prevalence:
    """How the pooled cohort's share of the numerator level is read from the evidence.

    ``kind``: ``proportion`` (``keys[0]``'s n/N), ``share_of_known`` (n of ``keys[0]`` over its N less the
    unknown count ``keys[1]``), or ``uniform`` (drawn uniformly between ``lower`` and the summed
    proportions of ``keys``; point estimate the midpoint). Keys are ``paper:key``. A continuous factor's
    distribution: ``bands`` (band counts, then the top band, mean and SD) or ``median_range`` (one
    quantity with the median as value and its range); see :mod:`blinacalc.core.continuous`.
    """

    kind: str
    keys: tuple[str, ...]
    lower: str | None = None
    name: str = ""  # for a drawn prevalence: the key of its sensitivity line
    description: str = ""  # ... and what it says


@value_type
class Warn:
    """A warning shown when the value is in ``values`` (or at least ``at_least``); ``text`` is formatted
    with ``value`` and ``q``, the evidence quantity ``key`` (``paper:key``)."""

    text: str
    key: str | None = None
    values: frozenset[object] = frozenset()
    at_least: float | None = None
    at_most: float | None = None
    priority: int = 1  # lower first: thin evidence before modelling approximations


@value_type
class Factor:
    """One baseline factor.

    ``kind`` is ``integer`` (``minimum``..``maximum``; ``refused`` values get their own message),
    ``boolean`` or ``continuous`` (a number from ``minimum`` to ``maximum``, in ``unit``; ``below``
    is the message for a value under the minimum). ``levels`` are the values offered in pick lists,
    ``open_top`` the last of them meaning "this or later". ``style`` says how a value reads: ``grade``
    (``levels_text``), ``ordinal`` ("2nd salvage"), ``yes_no`` or ``number`` (``{v}`` then ``unit``).
    """

    name: str
    label: str
    short: str
    kind: str
    indicator: str
    numerator: frozenset[object]
    prevalence: Prevalence
    help: str
    style: str
    inline: str  # the factor in a one-line summary; {v} is the value's words
    inline_unknown: str
    reference: str  # the non-numerator level, in words, for "against a patient with ..."
    levels: tuple[object, ...] = ()
    levels_text: tuple[tuple[object, str], ...] = ()
    open_top: bool = False
    minimum: float | None = None
    maximum: float | None = None
    refused: tuple[tuple[object, str], ...] = ()
    allowed: str = ""  # the allowed values, in words, for error messages
    out_of_range: str = ""  # message for an integer outside minimum..maximum; {value} is the value
    warnings: tuple[Warn, ...] = ()
    # How the synthetic cohort draws a value outside the numerator: (value, weight) pairs, a weight being
    # a number or a ``paper:key`` whose count n is the weight.
    others: tuple[tuple[object, object], ...] = ()
    optional_column: bool = False  # a cohort file may leave the column out (then: unknown)
    unit: str = ""  # continuous: "%" or " years", appended to the number
    below: str = ""  # continuous: message for a value under the minimum; {value} is the value
    per_unit: str = ""  # continuous: the hazard ratio's unit in words ("per percentage point")

    @property
    def continuous(self) -> bool:
        return self.kind == "continuous"

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    def hr_key(self, endpoint: str) -> str:
        return f"table3.{endpoint}.univariate.{self.indicator}"

    @property
    def metavar(self) -> str:
        if self.kind == "boolean":
            return "{yes,no,unknown}"
        if self.continuous:
            return f"{{{self.minimum:g}-{self.maximum:g},unknown}}"
        if self.maximum is not None:
            return "{" + ",".join(str(v) for v in range(int(self.minimum or 0), int(self.maximum) + 1)) + "}"
        return "N"


ECOG_GRADES = (
    (0, "fully active"),
    (1, "restricted in strenuous activity, ambulatory"),
    (2, "ambulatory and capable of self-care, up more than half of waking hours"),
)

FACTORS: tuple[Factor, ...] = (
    Factor(
        name="ecog",
        label="ECOG performance status",
        short="ECOG",
        kind="integer",
        indicator="ecog_0",
        numerator=frozenset({0}),
        prevalence=Prevalence("share_of_known", ("topp2021:table1.ecog_0", "topp2021:table1.ecog_unknown")),
        help="ECOG performance status",
        style="grade",
        inline="ECOG {v}",
        inline_unknown="ECOG unknown",
        reference="ECOG 1-2",
        levels=(0, 1, 2),
        levels_text=ECOG_GRADES,
        minimum=0,
        maximum=2,
        refused=(
            (
                3,
                "ECOG 3 is outside both source trials (TOWER required ECOG performance status <= 2; Topp 2021 "
                "Table 1 has ECOG 0-2 only); allowed: 0, 1, 2 or unknown",
            ),
            (
                4,
                "ECOG 4 is outside both source trials (TOWER required ECOG performance status <= 2; Topp 2021 "
                "Table 1 has ECOG 0-2 only); allowed: 0, 1, 2 or unknown",
            ),
        ),
        allowed="0, 1, 2 or unknown",
        out_of_range="ECOG is graded 0-4 and the model allows 0, 1, 2; got {value}",
        warnings=(
            Warn(
                "ECOG 2: the source hazard ratio compares ECOG 0 with 1 or more, so ECOG 2 is modelled like "
                "ECOG 1 ({q.n} of {q.N} patients had ECOG 2).",
                "topp2021:table1.ecog_2",
                values=frozenset({2}),
            ),
        ),
        others=((1, "topp2021:table1.ecog_1"), (2, "topp2021:table1.ecog_2")),
    ),
    Factor(
        name="salvage_line",
        label="Salvage line",
        short="Salvage",
        kind="integer",
        indicator="salvage_first",
        numerator=frozenset({1}),
        prevalence=Prevalence(
            "uniform",
            ("topp2021:table1.primary_refractory", "topp2021:table1.prior_relapses_1"),
            lower="tower2017:table1.salvage_first.blinatumomab",
            name="first_salvage_share",
            description="First-salvage share of the source cohort, unknown (Topp 2021 Table 1 gives prior relapses, "
            "not salvage line): drawn uniformly between TOWER's 114/271 (another trial's share, Table 1) and Topp's "
            "upper bound 171/259",
        ),
        help="salvage line of blinatumomab: 1 = first salvage",
        style="ordinal",
        inline="{v}",
        inline_unknown="salvage line unknown",
        reference="2nd or later salvage",
        levels=(1, 2, 3, 4, 5),
        open_top=True,
        minimum=1,
        allowed="an integer >= 1 (1 = first salvage) or unknown",
        out_of_range="got {value}; the trials enrolled relapsed/refractory disease, so blinatumomab is at least "
        "first salvage (salvage line >= 1)",
        warnings=(
            Warn(
                "Salvage line {value}: the source hazard ratio compares 1st with 2nd or later salvage, so every "
                "later line is modelled like 2nd salvage.",
                at_least=3,
            ),
        ),
        others=((2, 1.0), (3, 1.0)),
    ),
    Factor(
        name="prior_hsct",
        label="Prior allogeneic HSCT",
        short="Prior HSCT",
        kind="boolean",
        indicator="prior_hsct",
        numerator=frozenset({True}),
        prevalence=Prevalence("proportion", ("topp2021:table1.prior_hsct_yes",)),
        help="prior allogeneic HSCT",
        style="yes_no",
        inline="prior HSCT {v}",
        inline_unknown="prior HSCT unknown",
        reference="no prior HSCT",
        levels=(True, False),
        allowed="yes, no or unknown",
        others=((False, 1.0),),
    ),
    Factor(
        name="t411",
        label="t(4;11)",
        short="t(4;11)",
        kind="boolean",
        indicator="t411",
        numerator=frozenset({True}),
        prevalence=Prevalence("proportion", ("topp2021:table1.t411",)),
        help="t(4;11) translocation",
        style="yes_no",
        inline="t(4;11) {v}",
        inline_unknown="t(4;11) unknown",
        reference="no t(4;11)",
        levels=(True, False),
        allowed="yes, no or unknown",
        warnings=(
            Warn(
                "t(4;11): only {q.n} of {q.N} patients in the source cohort had t(4;11) (Topp 2021 Table 1); "
                "estimates for this group rest on thin evidence.",
                "topp2021:table1.t411",
                values=frozenset({True}),
                priority=0,
            ),
        ),
        others=((False, 1.0),),
    ),
    Factor(
        name="marrow_blasts",
        label="Bone marrow blasts (%)",
        short="Blasts %",
        kind="continuous",
        indicator="marrow_blasts_per_percent",
        numerator=frozenset(),
        prevalence=Prevalence(
            "bands",
            (
                "topp2021:table1.marrow_blasts_le5",
                "topp2021:table1.marrow_blasts_5_10",
                "topp2021:table1.marrow_blasts_10_50",
                "topp2021:table1.marrow_blasts_ge50",
                "topp2021:table1.marrow_blasts_mean",
                "topp2021:table1.marrow_blasts_sd",
            ),
        ),
        help="bone marrow blasts at baseline, % (central or local), 0-100",
        style="number",
        inline="marrow blasts {v}",
        inline_unknown="marrow blasts unknown",
        reference="marrow blasts at the cohort mean",
        minimum=0,
        maximum=100,
        unit="%",
        per_unit="per percentage point",
        allowed="a number from 0 to 100 (% blasts) or unknown",
        out_of_range="marrow blasts are a percentage of nucleated marrow cells, from 0 to 100; got {value}",
        below="marrow blasts are a percentage of nucleated marrow cells, from 0 to 100; got {value}",
        warnings=(
            Warn(
                "Marrow blasts {value:g}%: only {q.n} of {q.N} patients in the source cohort had 5% or fewer "
                "(Topp 2021 Table 1; TOWER required more than 5%); blinatumomab for MRD-positive remission is "
                "a different setting, not modelled here.",
                "topp2021:table1.marrow_blasts_le5",
                at_most=5,
                priority=0,
            ),
        ),
        optional_column=True,
    ),
    Factor(
        name="age",
        label="Age (years)",
        short="Age",
        kind="continuous",
        indicator="age_per_year",
        numerator=frozenset(),
        prevalence=Prevalence("median_range", ("topp2021:table1.age_median",)),
        help="age at the first dose, years (18-80: the trials enrolled adults)",
        style="number",
        inline="age {v}",
        inline_unknown="age unknown",
        reference="age at the cohort mean",
        minimum=18,
        maximum=80,
        unit=" years",
        per_unit="per year",
        allowed="a number of years from 18 to 80 or unknown",
        out_of_range="the trials enrolled ages 18-80 (TOWER Table 1 range 18-80; Topp 2021 Table 1 range "
        "18-79); got {value}",
        below="the trials enrolled adults only (18 or older: TOWER Methods; Topp 2021 Table 1 range 18-79); "
        "got {value}",
        optional_column=True,
    ),
)


def factors() -> tuple[Factor, ...]:
    """The factor table (read at call time, so a test can extend it)."""
    return FACTORS


def binary() -> tuple[Factor, ...]:
    """The factors that enter as one binary indicator each (the class algebra's), table order."""
    return tuple(f for f in factors() if not f.continuous)


def continuous() -> tuple[Factor, ...]:
    """The continuous factors, table order."""
    return tuple(f for f in factors() if f.continuous)


def by_name(name: str) -> Factor:
    for f in factors():
        if f.name == name:
            return f
    raise KeyError(name)


def fingerprint() -> str:
    """A digest of the table, for caches whose contents depend on it (kept per table object: the factors
    are frozen, so a table that is the same object has the same digest)."""
    global _digest
    table = factors()
    if _digest is None or _digest[0] is not table:
        _digest = (table, digest(repr(table).encode())[:16])
    return _digest[1]


_digest: tuple[tuple[Factor, ...], str] | None = None


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def value_words(f: Factor, value: object) -> str:
    """A value as the report shows it: ``1 (restricted ...)``, ``2nd salvage``, ``yes``; ``unknown``."""
    if value is None:
        return UNKNOWN
    if f.style == "number":
        return f"{value:g}{f.unit}"
    if f.style == "grade":
        return f"{value} ({dict(f.levels_text)[value]})"
    if f.style == "ordinal":
        return f"{ordinal(int(value))} salvage"  # type: ignore[call-overload]
    return "yes" if value else "no"


def inline_words(f: Factor, value: object) -> str:
    """The factor in a one-line summary: ``ECOG 1``, ``2nd salvage``, ``prior HSCT no``."""
    if value is None:
        return f.inline_unknown
    if f.style == "grade":
        return f.inline.format(v=value)
    return f.inline.format(v=value_words(f, value))


def cell_text(f: Factor, value: object) -> str:
    """A value as a cohort-file cell: ``yes``/``no``, the integer, or blank for unknown."""
    if value is None:
        return ""
    if f.kind == "boolean":
        return "yes" if value else "no"
    if f.continuous:
        return f"{value:g}"
    return str(value)


def parse_text(f: Factor, text: str) -> object:
    """A value from text (command line, cohort cell): blank/unknown/NA is ``None``; yes/no/true/false/1/0
    for yes/no factors; plain ASCII integers (``1.0`` from a spreadsheet too) for integer factors; plain
    ASCII decimals (``72``, ``72.5``, with a trailing ``%`` for percentages) for continuous factors.
    Raises ValueError with the allowed values; the value itself is checked by :class:`Patient`."""
    from blinacalc._text import parse_int

    clean = text.strip().lower()
    if clean in UNKNOWN_WORDS:
        return None
    if f.kind == "boolean":
        if clean in YES_WORDS or clean in NO_WORDS:
            return clean in YES_WORDS
        raise ValueError(f"expected {f.allowed}, got {text!r}")
    if f.continuous:
        from blinacalc._text import parse_decimal

        number = parse_decimal(clean[:-1] if f.unit == "%" and clean.endswith("%") else clean)
        if number is None:
            raise ValueError(f"expected {f.allowed}, got {text!r}")
        return number
    value = parse_int(clean)
    if value is None:
        raise ValueError(f"expected {f.allowed}, got {text!r}")
    return value
