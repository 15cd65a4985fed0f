"""Marginal calibration: the baseline curve whose proportional-hazards mixture is a target curve.

Given a target survival curve :math:`S(t)` (a published, population-level Kaplan–Meier curve),
class prevalences :math:`p_x` and class hazard ratios :math:`h_x`, find :math:`S_0(t)` with

.. math:: \\sum_x p_x \\, S_0(t)^{h_x} = S(t) \\quad \\text{for every } t.

Writing :math:`H = -\\log S_0(t)` and :math:`H^* = -\\log S(t)`, the root of

.. math:: f(H) = \\log \\sum_x p_x e^{-h_x H} + H^*

is unique: :math:`f` is convex and strictly decreasing in :math:`H`, with :math:`f(0) = H^* \\ge 0`.
Newton's method started left of the root therefore increases monotonically to it without
overshooting. Two lower bounds give the start: Jensen's inequality,
:math:`f(H) \\ge H^* - H\\sum_x p_x h_x`, and, for every class, :math:`f(H) \\ge \\log p_x - h_x H + H^*`;
the largest of their roots is still left of (or at) the root.
"""

from __future__ import annotations

import numpy as np

# Newton converges quadratically: once a step is below 1e-8 the remaining error is ~1e-16.
_TOL = 1e-8
_MAX_ITER = 60


def solve_baseline(target: np.ndarray, hr: np.ndarray, prevalence: np.ndarray) -> np.ndarray:
    """Baseline survival :math:`S_0` such that the prevalence-weighted mixture equals ``target``.

    Parameters
    ----------
    target : array (..., T)
        Target survival, values in (0, 1].
    hr : array (..., K)
        Hazard ratio of each class relative to the baseline (> 0).
    prevalence : array (..., K) or (K,)
        Class weights, summing to 1 along the last axis.

    Returns
    -------
    array (..., T)
        :math:`S_0`, non-increasing in ``t`` wherever ``target`` is.
    """
    target = np.asarray(target, dtype=float)
    hr = np.asarray(hr, dtype=float)
    shape = np.broadcast_shapes(target.shape[:-1], hr.shape[:-1])
    n, k, t = int(np.prod(shape)), hr.shape[-1], target.shape[-1]
    r = np.broadcast_to(hr, (*shape, k)).reshape(n, k)
    p = np.broadcast_to(np.asarray(prevalence, dtype=float), (*shape, k)).reshape(n, k)
    h_star = -np.log(np.clip(np.broadcast_to(target, (*shape, t)).reshape(n, t), 1e-300, 1.0))
    with np.errstate(divide="ignore"):
        log_p = np.log(p)
    # Start: the largest of the lower bounds (Jensen's and each class's).
    H = h_star / np.sum(p * r, axis=-1)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        for j in range(k):
            np.maximum(H, (h_star + log_p[:, j, None]) / r[:, j, None], out=H)
    # Newton, one class at a time into three buffers (no (R, K, T) temporaries):
    #   total = sum_j p_j e^{-r_j H},  slope = sum_j r_j p_j e^{-r_j H},  H += (log(total) + H*) total / slope
    total, slope, buf = np.empty_like(H), np.empty_like(H), np.empty_like(H)
    for _ in range(_MAX_ITER):
        total.fill(0.0)
        slope.fill(0.0)
        for j in range(k):
            np.multiply(H, -r[:, j, None], out=buf)
            buf += log_p[:, j, None]
            np.exp(buf, out=buf)
            total += buf
            buf *= r[:, j, None]
            slope += buf
        np.log(total, out=buf)
        buf += h_star
        buf *= total
        buf /= slope  # minus the Newton step
        H += buf
        if np.abs(buf).max() < _TOL:
            break
    # H >= 0 exactly when the weights sum to 1; clamp the rounding of sum(p) away from S0 > 1, and where
    # the target is 1 the baseline is exactly 1.
    np.putmask(H, h_star == 0.0, 0.0)
    s0: np.ndarray = np.exp(-np.maximum(H, 0.0)).reshape(*shape, t)
    return s0


def solve_split(target: np.ndarray, hr: np.ndarray, share: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """:func:`solve_baseline` for two classes, the second with hazard ratio 1: ``(S^h, S)`` where

    .. math:: q \\, S(t)^{h} + (1 - q) \\, S(t) = \\text{target}(t).

    Same Newton iteration and starting bounds as :func:`solve_baseline`, written out for two
    classes: a patient's scenario split runs on every input change, and this is about twice as fast.

    Parameters
    ----------
    target : array (N, T)
    hr : array (N,)
        Hazard ratio :math:`h` of the first class.
    share : array (N,) or float
        Share :math:`q` of the first class.
    """
    target = np.asarray(target, dtype=float)
    h = np.asarray(hr, dtype=float)[:, None]
    q = np.broadcast_to(np.asarray(share, dtype=float), h.shape[:1])[:, None]
    h_star = -np.log(np.clip(target, 1e-300, 1.0))
    with np.errstate(divide="ignore"):
        log_q, log_1q = np.log(q), np.log(1.0 - q)
        H = np.maximum.reduce([h_star / (q * h + (1.0 - q)), (h_star + log_q) / h, h_star + log_1q])
    # The iteration below, in three buffers with no temporary arrays:
    #   a = q e^{-hH},  b = (1-q) e^{-H},  total = a + b,  H += (log(total) + H*) total / (h a + b)
    neg_h = -h
    a, b, total = np.empty_like(H), np.empty_like(H), np.empty_like(H)
    for _ in range(_MAX_ITER):
        np.multiply(H, neg_h, out=a)
        a += log_q
        np.exp(a, out=a)
        np.subtract(log_1q, H, out=b)
        np.exp(b, out=b)
        np.add(a, b, out=total)
        a *= h
        a += b  # minus the slope, times total
        np.log(total, out=b)
        b += h_star
        b *= total
        b /= a  # minus the Newton step
        H += b
        if np.abs(b, out=b).max() < _TOL:
            break
    np.maximum(H, 0.0, out=H)
    np.multiply(H, neg_h, out=a)
    np.negative(H, out=H)
    return np.exp(a, out=a), np.exp(H, out=H)
