"""The patient: four baseline factors, any of which may be unknown, validated at the door."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MAX_ECOG = 2  # TOWER required ECOG <= 2; Topp 2021 Table 1 has ECOG 0-2 only


class InputError(ValueError):
    """An input the model refuses. ``field`` names the input; the message says what is allowed."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _optional_bool(field: str, value: Any) -> None:
    if value is not None and not isinstance(value, bool):
        raise InputError(field, f"expected yes (True), no (False) or unknown (None), got {value!r}")


@dataclass(frozen=True, slots=True)
class Patient:
    """Baseline factors. ``None`` means unknown: the model averages over the trial's mix.

    Parameters
    ----------
    ecog : {0, 1, 2} or None
        ECOG performance status. 3 and 4 are refused: outside both trials (TOWER required ECOG <= 2;
        Topp 2021 Table 1 has ECOG 0-2 only).
    salvage_line : int >= 1 or None
        Line of salvage therapy that blinatumomab is (1 = first salvage).
    prior_hsct : bool or None
        Prior allogeneic haematopoietic stem cell transplantation.
    t411 : bool or None
        t(4;11) translocation (KMT2A-AFF1).
    """

    ecog: int | None = None
    salvage_line: int | None = None
    prior_hsct: bool | None = None
    t411: bool | None = None

    def __post_init__(self) -> None:
        if self.ecog is not None:
            if isinstance(self.ecog, bool) or not isinstance(self.ecog, int):
                raise InputError("ecog", f"expected 0, 1, 2 or unknown, got {self.ecog!r}")
            if self.ecog > MAX_ECOG and self.ecog <= 4:
                raise InputError(
                    "ecog",
                    f"ECOG {self.ecog} is outside both source trials (TOWER required ECOG performance status "
                    "<= 2; Topp 2021 Table 1 has ECOG 0-2 only); allowed: 0, 1, 2 or unknown",
                )
            if not 0 <= self.ecog <= MAX_ECOG:
                raise InputError("ecog", f"ECOG is graded 0-4 and the model allows 0, 1, 2; got {self.ecog}")
        if self.salvage_line is not None:
            if isinstance(self.salvage_line, bool) or not isinstance(self.salvage_line, int):
                raise InputError("salvage_line", f"expected an integer >= 1 or unknown, got {self.salvage_line!r}")
            if self.salvage_line < 1:
                raise InputError(
                    "salvage_line",
                    f"got {self.salvage_line}; the trials enrolled relapsed/refractory disease, so blinatumomab "
                    "is at least first salvage (salvage line >= 1)",
                )
        _optional_bool("prior_hsct", self.prior_hsct)
        _optional_bool("t411", self.t411)

    def to_dict(self) -> dict[str, int | bool | None]:
        return {
            "ecog": self.ecog,
            "salvage_line": self.salvage_line,
            "prior_hsct": self.prior_hsct,
            "t411": self.t411,
        }

    @property
    def indicators(self) -> tuple[bool | None, bool | None, bool | None, bool | None]:
        """The model's binary factors in ``FACTORS`` order; None where unknown.

        ECOG enters as 0 vs 1+ and salvage line as 1st vs 2nd+, as in Topp 2021 Table 3.
        """
        return (
            None if self.ecog is None else self.ecog == 0,
            None if self.salvage_line is None else self.salvage_line == 1,
            self.prior_hsct,
            self.t411,
        )
