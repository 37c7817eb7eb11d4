"""Measured against predicted convergence: the per-step contraction of a run near a point.

Near a minimum with Hessian eigenvalues ``lambda_i``, every eigen-component of the error of
gradient descent is multiplied by ``1 - lr * lambda_i`` per step, so the distance to the minimum
eventually shrinks (or grows) by ``max_i |1 - lr * lambda_i|`` per step
(:func:`engine.theory.contraction_factor`).  Heavy-ball momentum and Nesterov's method are
linear two-step recursions on a quadratic; their per-step factor is the spectral radius of the
2 x 2 iteration matrix of each eigen-component (Polyak 1964; Goh, "Why Momentum Really Works",
Distill 2017).  Adam has no such linear theory.

:func:`measured_contraction` reads the same number off a run: the slope of ``log |x_t - x*|``
over the last steps before the run settled to rounding level or blew up.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from engine.theory import contraction_factor
from engine.verdict import NEVER

__all__ = ["MeasuredContraction", "predicted_contraction", "measured_contraction"]


def predicted_contraction(
    eigenvalues: ArrayLike, lr: ArrayLike, optimizer: str = "sgd", momentum: float = 0.9
) -> np.ndarray:
    """Per-step factor by which the distance to a minimum shrinks, vectorised over ``lr``.

    Parameters
    ----------
    eigenvalues : array_like
        Hessian eigenvalues at the minimum.
    lr : array_like
        Learning rates.
    optimizer : {"sgd", "momentum", "nesterov"}
        Gradient descent: ``max_i |1 - lr lambda_i|``.  Heavy ball (``v <- mu v + g``,
        ``x <- x - lr v``): the largest root modulus of ``z^2 - (1 + mu - lr lambda) z + mu``.
        Nesterov (``x <- x - lr (g + mu v)``, as in :mod:`engine.optim`): of
        ``z^2 - (1 + mu)(1 - lr lambda) z + mu (1 - lr lambda)``.  Maximum over eigenvalues.
    momentum : float
        ``mu`` for the momentum methods.

    Returns
    -------
    ndarray
        Shape of ``lr``; above 1 the distance grows (divergence).

    Examples
    --------
    >>> predicted_contraction([1.0, 10.0], [2 / 11, 0.25]).round(4)
    array([0.8182, 1.5   ])
    >>> float(predicted_contraction([1.0, 9.0], 0.25, "momentum", momentum=0.25))
    0.5
    """
    if optimizer == "sgd":
        return contraction_factor(eigenvalues, lr)
    if optimizer not in ("momentum", "nesterov"):
        raise ValueError("no linear theory for this optimiser; use sgd, momentum or nesterov")
    lam = np.sort(np.asarray(eigenvalues, dtype=np.float64).ravel())
    rates = np.asarray(lr, dtype=np.float64)
    mu = float(momentum)
    with np.errstate(all="ignore"):
        q = 1.0 - rates[..., None] * lam  # (..., n)
        if optimizer == "momentum":
            b, c = 1.0 + mu - rates[..., None] * lam, np.full_like(q, mu)
        else:
            b, c = (1.0 + mu) * q, mu * q
        disc = (b * b - 4.0 * c).astype(np.complex128)
        root = np.sqrt(disc)
        r = np.maximum(np.abs(0.5 * (b + root)), np.abs(0.5 * (b - root)))
        return np.max(r, axis=-1)


@dataclass(frozen=True)
class MeasuredContraction:
    """The measured per-step contraction of K runs.

    Attributes
    ----------
    rate : ndarray (K,)
        ``exp(slope)`` of the least-squares line through ``log |x_t - p|`` over the window;
        NaN when fewer than two usable steps exist (e.g. the run hit the point exactly).
    point : ndarray (K,) of int
        Index of the candidate point each run was measured against (nearest to where it ended).
    start, end : ndarray (K,) of int
        The window of steps used (inclusive); :data:`~engine.verdict.NEVER` when there was none.
    """

    rate: np.ndarray
    point: np.ndarray
    start: np.ndarray
    end: np.ndarray


def measured_contraction(
    path: ArrayLike, points: ArrayLike, *, window: int = 20, floor: float = 1e-10
) -> MeasuredContraction:
    """Measure how fast each run approaches (or leaves) the nearest of ``points``.

    Parameters
    ----------
    path : array_like (K, T+1, dim)
        Positions, NaN after a run blew up (as in :class:`engine.descent.DescentResult`).
    points : array_like (m, dim)
        Candidate points (minima, or a saddle); each run uses the one nearest its last finite
        position.
    window : int
        Number of steps at the end of the usable part of each run.
    floor : float
        Distances below ``floor`` times the starting distance are rounding noise and end the
        usable part.

    Examples
    --------
    >>> t = np.arange(31)
    >>> path = np.stack([0.8**t, 0 * t], axis=-1)[None]
    >>> m = measured_contraction(path, [[0.0, 0.0]], window=10)
    >>> round(float(m.rate[0]), 12), int(m.start[0]), int(m.end[0])
    (0.8, 20, 30)
    """
    p = np.asarray(path, dtype=np.float64)
    pts = np.asarray(points, dtype=np.float64).reshape(-1, p.shape[-1])
    k = p.shape[0]
    rate = np.full(k, np.nan)
    which = np.zeros(k, dtype=np.int64)
    start = np.full(k, NEVER, dtype=np.int64)
    end = np.full(k, NEVER, dtype=np.int64)
    if pts.shape[0] == 0:
        return MeasuredContraction(rate, which, start, end)
    with np.errstate(all="ignore"):
        for i in range(k):  # K is a handful of runs; the work per run is vectorised
            finite = np.all(np.isfinite(p[i]), axis=-1)
            last = int(np.flatnonzero(finite)[-1])
            which[i] = int(np.argmin(np.linalg.norm(pts - p[i, last], axis=-1)))
            d = np.linalg.norm(p[i] - pts[which[i]], axis=-1)
            usable = finite & (d > floor * max(d[0], 1e-300))
            bad = np.flatnonzero(~usable)
            stop = int(bad[0]) - 1 if bad.size else d.size - 1
            if stop < 1:
                continue
            lo = max(0, stop - int(window))
            t = np.arange(lo, stop + 1, dtype=np.float64)
            slope = np.polyfit(t, np.log(d[lo : stop + 1]), 1)[0]
            rate[i], start[i], end[i] = float(np.exp(slope)), lo, stop
    return MeasuredContraction(rate, which, start, end)
