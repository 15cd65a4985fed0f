"""Mixture-cure survival curves for the published Kaplan–Meier results, and the shipped fit.

The parametric forms live here once, written against an array module ``xp`` so that the
calibration step can hand them to lifelines (``autograd.numpy``) while the run path uses numpy.

.. math:: S(t) = \\pi + (1 - \\pi)\\, S_u(t)

with :math:`S_u(t) = \\exp\\{-(t/\\lambda)^{\\rho}\\}` (``cure_weibull``) or
:math:`S_u(t) = \\exp(-t/\\lambda)` (``cure_exponential``). Parameters are kept on an
unconstrained scale, :math:`(\\operatorname{logit}\\pi, \\log\\lambda, \\log\\rho)`, so that the
fit's covariance describes a multivariate normal that cannot leave the parameter space.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from blinacalc._value import value_type
from blinacalc.core.defaults import HORIZON

CALIBRATION_SCHEMA = "blinacalc.calibration/1"
CALIBRATION_FILE = "calibration.json"
ENDPOINTS = ("os", "rfs", "hsct_ccr")

FAMILIES: dict[str, tuple[str, ...]] = {
    "cure_weibull": ("logit_pi", "log_lambda", "log_rho"),
    "cure_exponential": ("logit_pi", "log_lambda"),
}


def survival(family: str, params: Any, t: Any, xp: Any = np) -> Any:
    """Survival :math:`S(t)` of a mixture-cure family.

    ``params`` is a sequence of parameter arrays (broadcast against ``t``), in the order of
    ``FAMILIES[family]``.
    """
    if family == "cure_weibull":
        a, b, c = params
        z = (t / xp.exp(b)) ** xp.exp(c)
    elif family == "cure_exponential":
        a, b = params
        z = t / xp.exp(b)
    else:  # pragma: no cover - guarded by the calibration file check
        raise ValueError(f"unknown family {family!r}")
    pi = 1.0 / (1.0 + xp.exp(-a))
    return pi + (1.0 - pi) * xp.exp(-z)


def cure_fraction(params: Any) -> Any:
    return 1.0 / (1.0 + np.exp(-np.asarray(params)[..., 0]))


@value_type
class FittedCurve:
    """One fitted curve: point estimate and covariance on the unconstrained scale."""

    endpoint: str
    family: str
    estimate: np.ndarray
    covariance: np.ndarray
    delay_months: float = 0.0

    def survival(self, t: Any, params: np.ndarray | None = None) -> np.ndarray:
        """Survival at ``t`` for the point estimate, or for draws ``params`` of shape (draws, p).

        With draws the result has shape (draws, len(t)). A curve with ``delay_months`` :math:`d` is
        :math:`S(\\max(t - d, 0))`: no event before :math:`d` (a group selected by surviving to it).
        """
        t = np.maximum(np.asarray(t, dtype=float) - self.delay_months, 0.0)
        if params is None:
            return np.asarray(survival(self.family, tuple(self.estimate), t))
        cols = tuple(params[:, i, None] for i in range(params.shape[1]))
        return np.asarray(survival(self.family, cols, t[None, :]))

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        return rng.multivariate_normal(self.estimate, self.covariance, size=size, method="cholesky")


@value_type
class Calibration:
    evidence_version: str
    curves: dict[str, FittedCurve]
    raw: dict[str, Any]


class CalibrationError(RuntimeError):
    """The shipped calibration file is missing, malformed or stale."""


def parse_calibration(data: dict[str, Any], evidence_version: str) -> Calibration:
    if data.get("schema") != CALIBRATION_SCHEMA:
        raise CalibrationError(f"{CALIBRATION_FILE}: schema: expected {CALIBRATION_SCHEMA!r}")
    if data.get("evidence_version") != evidence_version:
        raise CalibrationError(
            f"{CALIBRATION_FILE}: evidence_version: fitted to {data.get('evidence_version')!r} but the "
            f"evidence is {evidence_version!r}; run `blinacalc calibrate`"
        )
    curves = {}
    for ep in ENDPOINTS:
        c = data["curves"][ep]
        names = FAMILIES[c["family"]]
        est = np.asarray(c["estimate"], dtype=float)
        cov = np.asarray(c["covariance"], dtype=float)
        if c["parameters"] != list(names) or est.shape != (len(names),) or cov.shape != (len(names),) * 2:
            raise CalibrationError(f"{CALIBRATION_FILE}: curves.{ep}: parameters do not match {c['family']}")
        if not np.all(np.isfinite(cov)) or np.any(np.linalg.eigvalsh(cov) <= 0):
            raise CalibrationError(f"{CALIBRATION_FILE}: curves.{ep}.covariance: not positive definite")
        delay = float(c.get("delay_months", 0.0))
        if not 0.0 <= delay < HORIZON:
            raise CalibrationError(
                f"{CALIBRATION_FILE}: curves.{ep}.delay_months: expected 0 to {HORIZON:g}, got {delay}"
            )
        curves[ep] = FittedCurve(ep, c["family"], est, cov, delay)
    return Calibration(evidence_version, curves, data)


@cache
def load_calibration() -> Calibration:
    """The fit shipped with the package (written by ``blinacalc calibrate``)."""
    from blinacalc.core.evidence import load_evidence

    text = (Path(__file__).parent / CALIBRATION_FILE).read_text(encoding="utf-8")
    return parse_calibration(json.loads(text), load_evidence().version)
