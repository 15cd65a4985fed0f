"""Small statistical helpers (numpy only)."""

from __future__ import annotations

import math

import numpy as np

Z95 = 1.959963984540054  # standard normal 97.5% quantile


def wilson(n: int, N: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score 95% interval for a binomial proportion ``n/N``.

    .. math:: \\frac{\\hat p + z^2/2N \\pm z\\sqrt{\\hat p(1-\\hat p)/N + z^2/4N^2}}{1 + z^2/N}

    References
    ----------
    Wilson EB. Probable inference, the law of succession, and statistical inference.
    J Am Stat Assoc. 1927;22:209-212. doi:10.1080/01621459.1927.10502953
    """
    if N <= 0 or not 0 <= n <= N:
        raise ValueError(f"need 0 <= n <= N and N > 0, got n={n}, N={N}")
    p = n / N
    denom = 1 + z * z / N
    centre = (p + z * z / (2 * N)) / denom
    half = z * math.sqrt(p * (1 - p) / N + z * z / (4 * N * N)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def log_se_from_ci(lo: float, hi: float, z: float = Z95) -> float:
    """Standard error of a log hazard ratio from its published 95% interval."""
    return (math.log(hi) - math.log(lo)) / (2 * z)


def crossing(curves: np.ndarray, months: np.ndarray, level: float = 0.5) -> np.ndarray:
    """First month each curve (rows of a non-increasing array) reaches ``level``.

    Linear interpolation between grid points; ``inf`` where the curve stays above ``level``.
    """
    below = curves <= level
    reached = below.any(axis=-1)
    j = np.argmax(below, axis=-1)
    j0 = np.maximum(j - 1, 0)
    s0 = np.take_along_axis(curves, j0[..., None], -1)[..., 0]
    s1 = np.take_along_axis(curves, j[..., None], -1)[..., 0]
    t0, t1 = months[j0], months[j]
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = np.where(s0 > s1, (s0 - level) / (s0 - s1), 0.0)
    out = t0 + frac * (t1 - t0)
    return np.where(reached, out, np.inf)


def quantiles(samples: np.ndarray, q: tuple[float, ...] = (0.025, 0.975)) -> np.ndarray:
    """Quantiles along axis 0, as ``np.quantile`` (linear method), computed by a full sort.

    Sorting the transposed, contiguous array is several times faster than ``np.quantile``'s
    partition for the (draws, months) arrays used here. Returns shape ``(len(q), *rest)``.
    """
    x = np.asarray(samples, dtype=float)
    n = x.shape[0]
    rest = x.shape[1:]
    srt = x.reshape(n, -1).T.copy()  # contiguous rows, sorted in place
    srt.sort(axis=1)
    result: np.ndarray = sorted_quantiles(srt, q).reshape(len(q), *rest)
    return result


def sorted_quantiles(srt: np.ndarray, q: tuple[float, ...] = (0.025, 0.975)) -> np.ndarray:
    """:func:`quantiles` of values already sorted along the last axis (any dtype): shape ``(len(q), ...)``."""
    n = srt.shape[-1]
    pos = np.asarray(q) * (n - 1)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, n - 1)
    frac = pos - lo
    out: np.ndarray = np.moveaxis(srt[..., lo] + (srt[..., hi] - srt[..., lo]) * frac, -1, 0)
    return out
