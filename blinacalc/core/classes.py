"""Class algebra over the factor table: indicator classes, cohort prevalences, a patient's class weights.

With K binary indicators (one per binary factor, :mod:`blinacalc.core.factors`) there are :math:`2^K` classes
:math:`x`; a class's hazard ratio is :math:`\\prod_j HR_j^{x_j}` and its cohort prevalence
:math:`\\prod_j p_j^{x_j}(1-p_j)^{1-x_j}` (factors taken as independent).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from functools import cache

import numpy as np

from blinacalc.core import factors as F
from blinacalc.core.evidence import Evidence, Quantity
from blinacalc.core.patient import Patient


def quantity(ev: Evidence, spec: str) -> Quantity:
    """The evidence quantity named ``paper:key``."""
    paper, key = spec.split(":", 1)
    return ev.papers[paper][key]


@cache
def _classes(fingerprint: str, k: int) -> np.ndarray:
    return np.array(list(itertools.product((0, 1), repeat=k)), dtype=float)


def classes() -> np.ndarray:
    """Every combination of the indicators: shape (2^K, K), in ``itertools.product`` order."""
    return _classes(F.fingerprint(), len(F.binary()))


def drawn_factors() -> tuple[int, ...]:
    """Indices of the factors whose prevalence is uncertain and drawn (``Prevalence.kind == "uniform"``)."""
    return tuple(i for i, f in enumerate(F.binary()) if f.prevalence.kind == "uniform")


def prevalence_bounds(ev: Evidence, f: F.Factor) -> tuple[float, float]:
    """The range a drawn prevalence is taken from: ``lower`` and the summed proportions of ``keys``."""
    p = f.prevalence
    assert p.kind == "uniform" and p.lower is not None
    parts = [quantity(ev, k) for k in p.keys]
    assert all(q.n is not None for q in parts) and parts[0].N is not None
    upper = sum(q.n for q in parts if q.n is not None) / parts[0].N
    return quantity(ev, p.lower).proportion, upper


def _fixed(ev: Evidence, f: F.Factor) -> float:
    p = f.prevalence
    if p.kind == "proportion":
        return quantity(ev, p.keys[0]).proportion
    if p.kind == "share_of_known":
        q, unknown = quantity(ev, p.keys[0]), quantity(ev, p.keys[1])
        assert q.n is not None and q.N is not None and unknown.n is not None
        return q.n / (q.N - unknown.n)
    if p.kind == "uniform":
        return float(np.mean(prevalence_bounds(ev, f)))
    raise ValueError(f"{f.name}: unknown prevalence kind {p.kind!r}")


def factor_prevalence(ev: Evidence, drawn: np.ndarray | None = None) -> np.ndarray:
    """Each factor's numerator-level share in the pooled cohort (Topp 2021 Table 1), table order.

    ``drawn`` holds values for the drawn factors (:func:`drawn_factors`, last axis); without it their
    point estimates (midpoints) are used. Returns (K,) or (..., K).
    """
    fixed = np.array([_fixed(ev, f) for f in F.binary()])
    if drawn is None:
        return fixed
    drawn = np.asarray(drawn, dtype=float)
    out = np.broadcast_to(fixed, (*drawn.shape[:-1], len(fixed))).copy()
    out[..., list(drawn_factors())] = drawn
    return out


def class_prevalence(factor_p: np.ndarray) -> np.ndarray:
    """Prevalence of each class, factors taken as independent: (..., 2^K)."""
    fp = np.asarray(factor_p)[..., None, :]
    prevalence: np.ndarray = np.prod(np.where(classes() == 1, fp, 1 - fp), axis=-1)
    return prevalence


def class_weights(patient: Patient, factor_p: np.ndarray) -> np.ndarray:
    """Weight of each class for this patient: 0/1 for known factors, prevalence for unknown.

    ``factor_p`` is (K,) or one row per draw (D, K); the weights are (2^K,) or (D, 2^K).
    """
    cls = classes()
    fp = np.asarray(factor_p)[..., None, :]
    w = np.ones((*fp.shape[:-2], len(cls)))
    for j, known in enumerate(patient.indicators):
        if known is None:
            w = w * np.where(cls[:, j] == 1, fp[..., j], 1 - fp[..., j])
        else:
            w = w * (cls[:, j] == float(known))
    return w


def mix(weights: np.ndarray, curve: Callable[[int], np.ndarray]) -> np.ndarray:
    """:math:`\\sum_k w_k S_k`: ``weights`` (2^K,) or (D, 2^K), ``curve(k)`` a class's (D, T) curves."""
    w = np.atleast_2d(weights)
    ks = np.flatnonzero(w.any(axis=0))
    out = w[:, ks[0], None] * curve(int(ks[0]))
    for k in ks[1:]:
        out = out + w[:, k, None] * curve(int(k))
    mixed: np.ndarray = np.minimum(out, 1.0)  # the weights sum to 1 up to rounding
    return mixed


def mix_terms(
    weights: np.ndarray,
    class_hr: np.ndarray,
    log_s0: np.ndarray,
    shift: np.ndarray | None,
    nodes: np.ndarray,
    node_weights: np.ndarray,
) -> np.ndarray:
    r""":math:`\sum_k w_k \sum_q \pi_q \exp(h_k e^{s + z_q} \log S_0)`, per row.

    ``weights`` (2^K,) or (R, 2^K) the class weights; ``class_hr`` (R, 2^K); ``log_s0`` (R, T); ``shift``
    (R,) the known continuous factors' log hazard (None: 0); ``nodes``/``node_weights`` (R, Q) the Gauss
    rule of the unknown continuous factors' term (one node at 0 with weight 1 when all are known).

    A mixture of fewer than :data:`SINGLE_FROM` terms (classes with weight times nodes) is computed in
    double precision, term by term; a larger one by :func:`_mix_single`.
    """
    w = np.atleast_2d(weights)
    ks = np.flatnonzero(w.any(axis=0))
    rows = len(log_s0)
    scale = np.exp(nodes if shift is None else shift[:, None] + nodes)  # (R, Q)
    rate = (class_hr[:, ks, None] * scale[:, None, :]).reshape(rows, -1)  # (R, M), class-major
    share = (np.broadcast_to(w[:, ks], (rows, len(ks)))[:, :, None] * node_weights[:, None, :]).reshape(rows, -1)
    if rate.shape[1] >= SINGLE_FROM:
        out = _mix_single(rate, share, log_s0)
    else:
        out = np.zeros_like(log_s0)
        buf = np.empty_like(log_s0)
        for m in range(rate.shape[1]):
            np.multiply(log_s0, rate[:, m, None], out=buf)
            np.exp(buf, out=buf)
            buf *= share[:, m, None]
            out += buf
    mixed: np.ndarray = np.minimum(out, 1.0, out=out)  # the weights sum to 1 up to rounding
    np.putmask(mixed, log_s0 == 0.0, 1.0)  # ... so where S0 = 1 (t = 0) say exactly 1
    return mixed


SINGLE_FROM = 8  # terms: larger mixtures take the single-precision kernel
_BLOCK = 64  # rows per block: a block's (rows, terms, months) single-precision array stays in cache


def _mix_single(rate: np.ndarray, share: np.ndarray, log_s0: np.ndarray) -> np.ndarray:
    r""":math:`\sum_m a_m \exp(c_m \log S_0)` with the terms in single precision.

    The terms are evaluated a block of rows at a time and summed by a matrix product. The error is below
    5e-7 on any survival probability (``tests/core/test_mixture.py``): far below the Gauss rule's
    (1e-4 in a draw) and the Monte Carlo error. About 2.5 times faster than double precision, which
    matters for the 48-term mixture of a patient whose binary factors are all unknown and one of whose
    continuous factors is known.
    """
    out = np.empty(log_s0.shape)
    rate32, log32, share32 = rate.astype(np.float32), log_s0.astype(np.float32), share.astype(np.float32)
    terms = np.empty((_BLOCK, rate.shape[1], log_s0.shape[1]), np.float32)
    for i in range(0, len(out), _BLOCK):
        j = min(i + _BLOCK, len(out))
        e = terms[: j - i]
        np.multiply(rate32[i:j, :, None], log32[i:j, None, :], out=e)
        np.exp(e, out=e)
        out[i:j] = np.matmul(share32[i:j, None, :], e)[:, 0, :]
    return out
