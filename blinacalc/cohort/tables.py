"""``batch``'s output numbers for every binary pattern at once, at the grid values of the continuous factors.

A batch row's numbers depend on its binary pattern (each of the K binary factors false, true or unknown:
3^K patterns) and its continuous values. At one setting of the continuous factors (known ones at given
values, the rest unknown), the :math:`2^K` binary classes' curves are computed once, exactly as ``predict``
computes a patient whose binary factors are all known; every pattern's curve is then a mixture of them,
built one unknown factor at a time: :math:`S_{\\cdot ? \\cdot} = (1 - p_j) S_{\\cdot 0 \\cdot} + p_j S_{\\cdot 1
\\cdot}` with :math:`p_j` the factor's drawn prevalence (the same weights ``predict`` uses, multiplied out).
So a setting costs :math:`2^K` class curves instead of one mixture of up to :math:`2^K \\times` nodes terms
per pattern, and the summaries are taken for all patterns together.

A pattern whose binary factors are all known gets exactly ``predict``'s numbers; a mixed pattern's curves
differ from ``predict``'s by rounding (about 1e-16; ``predict`` sums its large mixtures in single
precision, within 5e-7).
"""

from __future__ import annotations

import itertools
import threading

import numpy as np

from blinacalc.core import classes as K
from blinacalc.core import factors as F
from blinacalc.core.cohort import response
from blinacalc.core.defaults import DEFAULT_LANDMARKS
from blinacalc.core.draws import RFS_HORIZON, DrawSet
from blinacalc.core.evidence import Evidence
from blinacalc.core.model import Individual
from blinacalc.core.patient import Patient
from blinacalc.core.result import MONTHS
from blinacalc.core.stats import crossing, quantiles, sorted_quantiles
from blinacalc.core.summaries import index, median_bounds

OS_MONTHS = DEFAULT_LANDMARKS
NUMBERS = 3 + 3 * len(OS_MONTHS) + 3 + 3  # OS median, OS landmarks, RFS median, CR/CRh (estimate, lo, hi each)
MEDIANS = (0, 1, 2, NUMBERS - 6, NUMBERS - 5, NUMBERS - 4)  # the median columns, in that order
_RFS_STOP = index(RFS_HORIZON)
# After the numbers, each setting keeps every pattern's curves (point estimate, 2.5% and 97.5% bands) for
# reading a median between grid values where it is not reached at some of them (``batch.Grid``).
CURVES = {
    "os": slice(NUMBERS, NUMBERS + 3 * len(MONTHS)),
    "rfs": slice(NUMBERS + 3 * len(MONTHS), NUMBERS + 3 * len(MONTHS) + 3 * (_RFS_STOP + 1)),
}
WIDTH = CURVES["rfs"].stop


def pattern_index(indicators: tuple[bool | None, ...]) -> int:
    """A binary pattern's row in the tables: base-3 digits, false 0, true 1, unknown 2 (table order)."""
    i = 0
    for v in indicators:
        i = 3 * i + (2 if v is None else int(v))
    return i


def patterns() -> list[tuple[bool | None, ...]]:
    """Every binary pattern, in :func:`pattern_index` order."""
    return list(itertools.product((False, True, None), repeat=len(F.binary())))


def _mixed(classes: np.ndarray, prevalence: np.ndarray, out: np.ndarray) -> np.ndarray:
    """(2^K, B, T) class curves (``classes.classes`` order) -> (3^K, B, T) pattern curves in ``out`` (shape
    (3,) * K + (B, T)), one unknown factor at a time: ``(1 - p) * S0 + p * S1``, ``prevalence`` (B, K)."""
    k = prevalence.shape[1]
    out[(slice(0, 2),) * k] = classes.reshape((2,) * k + classes.shape[1:])
    for j in range(k):
        p = prevalence[:, j, None]
        rest = (slice(0, 2),) * (k - j - 1)
        head = (slice(None),) * j
        np.multiply(out[(*head, 0, *rest)], 1.0 - p, out=out[(*head, 2, *rest)])
        out[(*head, 2, *rest)] += p * out[(*head, 1, *rest)]
    return out.reshape((3**k, *classes.shape[1:]))


_BLOCK = 128  # draws per block: the patterns' curves of a block stay small
_scratch = threading.local()  # per thread: batch computes settings on several threads


def _buffer(name: str, shape: tuple[int, ...], dtype: type = np.float64) -> np.ndarray:
    """A work array kept per thread and reused from setting to setting (about 80 MB a setting): a freshly
    allocated array this large is new pages every time, each a page fault when first written (measured:
    230 -> 200 ms a setting here). Its contents are whatever was there before."""
    kept: np.ndarray | None = getattr(_scratch, name, None)
    if kept is None or kept.shape != shape or kept.dtype != dtype:
        kept = np.empty(shape, dtype)
        setattr(_scratch, name, kept)
    return kept


def release() -> None:
    """Free this thread's work arrays (a run's main thread, once it has computed its share of the settings)."""
    _scratch.__dict__.clear()


def _summarised(
    classes: np.ndarray, prevalence: np.ndarray, months: np.ndarray, columns: list[int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every pattern's per-draw median month (P, R), its curves at ``columns`` (P, R, len(columns)) and its
    point-estimate curve with the pointwise 2.5% and 97.5% bands (P, 3, T), a block of draws at a time (the
    bands from single-precision copies of the draws' curves)."""
    k, (_, rows, width) = prevalence.shape[1], classes.shape
    buf = _buffer("buf", (3,) * k + (_BLOCK, width))
    med = _buffer("med", (3**k, rows))
    at = _buffer("at", (3**k, rows, len(columns)))
    draws = _buffer("draws", (3**k, width, rows - 1), np.float32)  # months before draws, for the sort
    single = _buffer("single", (3**k, _BLOCK, width), np.float32)
    bands = _buffer("bands", (3**k, 3, width))
    for i in range(0, rows, _BLOCK):
        j = min(i + _BLOCK, rows)
        curves = _mixed(classes[:, i:j], prevalence[i:j], buf[..., : j - i, :])
        med[:, i:j] = crossing(curves, months)
        at[:, i:j] = curves[:, :, columns]
        # To single precision in place, then turned months-first: the same values as turning and converting
        # in one strided copy, in two thirds of the time (the turn moves half the bytes).
        block = single[:, : j - i]
        np.copyto(block, curves, casting="same_kind")
        if i == 0:
            bands[:, 0] = curves[:, 0]
            draws[:, :, : j - 1] = np.swapaxes(block[:, 1:], 1, 2)
        else:
            draws[:, :, i - 1 : j - 1] = np.swapaxes(block, 1, 2)
    draws.sort(axis=-1)
    bands[:, 1:] = np.moveaxis(sorted_quantiles(draws), 0, 1)
    return med, at, bands


def _median_numbers(med: np.ndarray, end: float) -> np.ndarray:
    """``summaries.median_interval`` for every pattern from its per-draw medians ``med`` (P, R): (P, 3)
    estimate, lo, hi, NaN where not reached by ``end``."""
    bounds = quantiles(np.where(np.isfinite(med[:, 1:]), med[:, 1:], 1e9).T)  # (2, P)
    out = np.full((len(med), 3), np.nan)
    for p in range(len(med)):
        iv = median_bounds(float(med[p, 0]), float(bounds[0, p]), float(bounds[1, p]), end)
        out[p] = [np.nan if x is None else x for x in (iv.estimate, iv.lo, iv.hi)]
    return out


def setting_numbers(ds: DrawSet, ev: Evidence, values: tuple[float | None, ...]) -> np.ndarray:
    """(3^K, WIDTH): every pattern's output numbers (NaN for a median not reached), then its OS and RFS
    curves (point estimate, pointwise 2.5% and 97.5%: :data:`CURVES`), with the continuous factors at
    ``values`` (None: unknown)."""
    names = [f.name for f in F.continuous()]
    who = Individual(Patient(**dict(zip(names, values, strict=True))), ds, ev)
    k = len(F.binary())
    out = np.empty((3**k, WIDTH))
    landmark_cols = [index(m) for m in OS_MONTHS]
    for name, stop in (("os", len(MONTHS) - 1), ("rfs", _RFS_STOP)):
        ep = ds.endpoints[name]
        shift = who.shift(ep)
        classes = _buffer("classes", (2**k, len(ep.log_s0), stop + 1))
        if shift is None:
            for c in range(2**k):
                classes[c] = ep.class_curve(c)[:, : stop + 1]
        else:
            nodes, weights = who.rule(ep)
            log_s0 = ep.log_s0[:, : stop + 1]
            for c in range(2**k):
                classes[c] = K.mix_terms(np.eye(1, 2**k, c), ep.class_hr, log_s0, shift, nodes, weights)
        cols = landmark_cols if name == "os" else []
        med, at, bands = _summarised(classes, ds.factor_prevalence, MONTHS[: stop + 1], cols)
        out[:, CURVES[name]] = bands.reshape(len(out), -1)
        medians = _median_numbers(med, float(MONTHS[stop]))
        if name == "os":
            out[:, 0:3] = medians
            est = at[:, 0, :]
            lo, hi = quantiles(np.moveaxis(at[:, 1:, :], 1, 0))  # (P, L) each
            cells = np.stack([est, np.minimum(lo, est), np.maximum(hi, est)], axis=-1)  # (P, L, 3)
            out[:, 3 : 3 + 3 * len(OS_MONTHS)] = cells.reshape(len(out), -1)
        else:
            out[:, NUMBERS - 6 : NUMBERS - 3] = medians
    cr = response(ev).cr_crh
    out[:, NUMBERS - 3 : NUMBERS] = (cr.estimate, cr.lo, cr.hi)
    return out
