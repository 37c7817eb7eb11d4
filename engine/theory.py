"""Learning-rate thresholds from curvature: the classical ground truth for gradient descent.

On a quadratic with Hessian eigenvalues ``lambda_i`` every eigen-component of the error is
multiplied by ``1 - lr * lambda_i`` per step (Goh, "Why Momentum Really Works", Distill 2017):

* 1-D, curvature ``a``: monotone for ``lr < 1/a``, one step at ``1/a``, oscillating in
  ``(1/a, 2/a)``, bounded oscillation at ``2/a``, divergent beyond;
* n-D: stable iff ``lr < 2 / lambda_max``; the best fixed rate is ``2 / (lambda_min + lambda_max)``,
  which contracts the distance to the minimum by ``(kappa - 1) / (kappa + 1)`` per step,
  ``kappa = lambda_max / lambda_min`` (Nesterov 2004, Thm 2.1.15);
* heavy-ball momentum, tuned: ``lr = (2 / (sqrt(lambda_min) + sqrt(lambda_max)))^2`` and
  ``momentum = ((sqrt(kappa) - 1) / (sqrt(kappa) + 1))^2`` give the rate
  ``(sqrt(kappa) - 1) / (sqrt(kappa) + 1)`` (Polyak 1964; Goh 2017).

On any smooth surface the same numbers, computed from the Hessian at a point, describe descent
*near that point*.  Negative eigenvalues (a saddle or a maximum) have no stable rate: gradient
descent moves away along them at every positive rate.  Nothing here raises on such points; the
returned :class:`Thresholds` says what kind of point it is.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from engine import fmt
from engine.surfaces import Surface

__all__ = [
    "FLAT_RTOL",
    "TheoryError",
    "Thresholds",
    "MomentumTuning",
    "quadratic_thresholds",
    "thresholds_from_eigenvalues",
    "hessian_thresholds",
    "local_thresholds",
    "contraction_factor",
    "steps_to_tolerance",
    "quadratic_regime",
    "optimal_momentum",
]

#: Eigenvalues smaller than this fraction of the largest |eigenvalue| count as zero (flat).
FLAT_RTOL = 1e-10


class TheoryError(ValueError):
    """Bad input to a threshold computation (non-finite numbers, wrong shapes)."""


@dataclass(frozen=True)
class Thresholds:
    """Learning-rate thresholds from Hessian eigenvalues.

    Attributes
    ----------
    eigenvalues : tuple of float
        Hessian eigenvalues, ascending.
    kind : str
        ``"convex"`` (all > 0), ``"flat"`` (>= 0 with a zero one), ``"saddle"`` (mixed signs),
        ``"maximum"`` (all <= 0, not all zero) or ``"undefined"`` (non-finite Hessian).
    fastest : float or None
        ``1 / lambda_max``: removes the steepest component in one step (in 1-D, reaches the
        minimum in one step).  Above it that component zig-zags.  None if ``lambda_max <= 0``.
    diverge : float or None
        ``2 / lambda_max``: any larger rate makes the steepest component grow.  None if
        ``lambda_max <= 0`` (no positive curvature limits the rate).
    best : float or None
        ``2 / (lambda_min + lambda_max)``, the best fixed rate; only when convex.
    kappa : float or None
        Condition number ``lambda_max / lambda_min``: inf when flat, None otherwise if not convex.
    contraction_at_best : float or None
        ``(kappa - 1) / (kappa + 1)``: distance shrink factor per step at ``best``.
    note : str
        One sentence for students.

    Examples
    --------
    >>> t = thresholds_from_eigenvalues([1.0, 9.0])
    >>> t.kind, t.diverge, t.best, t.contraction_at_best
    ('convex', 0.2222222222222222, 0.2, 0.8)
    """

    eigenvalues: tuple[float, ...]
    kind: str
    fastest: float | None
    diverge: float | None
    best: float | None
    kappa: float | None
    contraction_at_best: float | None
    note: str

    @property
    def lam_min(self) -> float:
        """Smallest eigenvalue."""
        return self.eigenvalues[0]

    @property
    def lam_max(self) -> float:
        """Largest eigenvalue."""
        return self.eigenvalues[-1]

    def contraction(self, lr: ArrayLike) -> np.ndarray:
        """``max_i |1 - lr * lambda_i|`` for each rate in ``lr`` (see :func:`contraction_factor`)."""
        return contraction_factor(self.eigenvalues, lr)


def _eigs(eigenvalues: ArrayLike) -> np.ndarray:
    lam = np.sort(np.asarray(eigenvalues, dtype=np.float64).ravel())
    if lam.size == 0:
        raise TheoryError("need at least one eigenvalue")
    return lam


def thresholds_from_eigenvalues(eigenvalues: ArrayLike) -> Thresholds:
    """Thresholds for gradient descent on a quadratic with these Hessian eigenvalues.

    Examples
    --------
    >>> t = thresholds_from_eigenvalues([-1.0, 2.0])
    >>> t.kind, t.diverge, t.best
    ('saddle', 1.0, None)
    """
    lam = _eigs(eigenvalues)
    values = tuple(float(v) for v in lam)
    if not np.all(np.isfinite(lam)):
        return Thresholds(
            values, "undefined", None, None, None, None, None,
            "The curvature is not a finite number here, so no threshold can be computed.",
        )  # fmt: skip
    top = float(np.max(np.abs(lam)))
    zero = np.abs(lam) <= FLAT_RTOL * top
    has_pos = bool(np.any((lam > 0) & ~zero))
    has_neg = bool(np.any((lam < 0) & ~zero))
    lmin, lmax = float(lam[0]), float(lam[-1])
    fastest = 1.0 / lmax if has_pos else None
    diverge = 2.0 / lmax if has_pos else None
    if has_pos and not has_neg and not np.any(zero):
        kappa = lmax / lmin
        best = 2.0 / (lmin + lmax)
        rho = (kappa - 1.0) / (kappa + 1.0)
        if lam.size == 1 or kappa == 1.0:
            note = (
                f"Curvature {fmt.num(lmax)}: lr = {fmt.rate(fastest)} reaches the minimum in one step, "
                f"any lr above {fmt.rate(diverge)} diverges."
            )
        else:
            note = (
                f"Curvatures from {fmt.num(lmin)} to {fmt.num(lmax)} (condition number {fmt.num(kappa)}): "
                f"stable below lr = {fmt.rate(diverge)}; the best fixed rate {fmt.rate(best)} still only "
                f"shrinks the distance by a factor {fmt.num(rho)} per step."
            )
        return Thresholds(values, "convex", fastest, diverge, best, kappa, rho, note)
    if has_pos and has_neg:
        note = (
            f"A saddle: the curvature {fmt.num(lmin)} < 0 pushes descent away along one direction at "
            f"every learning rate; the positive curvature {fmt.num(lmax)} still caps the rate at "
            f"{fmt.rate(diverge)}."
        )
        return Thresholds(values, "saddle", fastest, diverge, None, None, None, note)
    if has_neg:
        note = (
            "A maximum: the surface curves down in every direction, so descent moves away at "
            "every learning rate and no curvature limits the rate."
        )
        return Thresholds(values, "maximum", None, None, None, None, None, note)
    if has_pos:
        note = (
            f"A flat direction (zero curvature): there the slope, not the rate, limits progress; "
            f"the curvature {fmt.num(lmax)} still caps the rate at {fmt.rate(diverge)}."
        )
    else:
        note = "No curvature at all here: the rate sets the speed but no threshold exists."
    return Thresholds(values, "flat", fastest, diverge, None, math.inf, None, note)


def quadratic_thresholds(a: float) -> Thresholds:
    """Thresholds for ``f(x) = a/2 x^2``: ``fastest = 1/a``, ``diverge = 2/a``.

    Examples
    --------
    >>> t = quadratic_thresholds(2.0)
    >>> t.fastest, t.diverge
    (0.5, 1.0)
    """
    try:
        a = float(a)
    except (TypeError, ValueError):
        raise TheoryError(f"curvature must be a number, got {a!r}") from None
    if not math.isfinite(a):
        raise TheoryError("curvature must be finite")
    return thresholds_from_eigenvalues([a])


def hessian_thresholds(hessian: ArrayLike) -> Thresholds:
    """Thresholds from a symmetric Hessian matrix (its eigenvalues).

    Examples
    --------
    >>> hessian_thresholds([[2.0, 0.0], [0.0, 8.0]]).diverge
    0.25
    """
    h = np.asarray(hessian, dtype=np.float64)
    if h.ndim != 2 or h.shape[0] != h.shape[1] or h.shape[0] == 0:
        raise TheoryError(f"a Hessian is a square matrix, got shape {h.shape}")
    if not np.all(np.isfinite(h)):
        return thresholds_from_eigenvalues(np.full(h.shape[0], np.nan))
    return thresholds_from_eigenvalues(np.linalg.eigvalsh(0.5 * (h + h.T)))


def local_thresholds(surface: Surface, point: ArrayLike) -> Thresholds:
    """Thresholds from the surface's Hessian at ``point``: what descent does near there.

    Examples
    --------
    >>> from engine.surfaces import rosenbrock
    >>> t = local_thresholds(rosenbrock(), (1.0, 1.0))
    >>> t.kind, round(t.diverge, 6)
    ('convex', 0.001997)
    """
    p = surface.points(point)
    if p.shape != (surface.dim,):
        raise TheoryError(f"need one point with {surface.dim} coordinate(s), got shape {p.shape}")
    return hessian_thresholds(surface.hessian(p))


def contraction_factor(eigenvalues: ArrayLike, lr: ArrayLike) -> np.ndarray:
    """Per-step contraction of gradient descent, ``max_i |1 - lr * lambda_i|``, vectorised over ``lr``.

    Below 1 the distance to the minimum of the quadratic shrinks at least this fast; above 1
    some component grows.

    Examples
    --------
    >>> contraction_factor([1.0, 10.0], [0.05, 2 / 11, 0.25])
    array([0.95      , 0.81818182, 1.5       ])
    """
    lam = _eigs(eigenvalues)
    rates = np.asarray(lr, dtype=np.float64)
    with np.errstate(all="ignore"):
        return np.max(np.abs(1.0 - rates[..., None] * lam), axis=-1)


def steps_to_tolerance(
    eigenvalues: ArrayLike, lr: ArrayLike, tol: float, start: float = 1.0
) -> np.ndarray:
    """Predicted steps until the distance to the minimum is at most ``tol``, from ``start``.

    With contraction ``rho`` (:func:`contraction_factor`) the distance after k steps is at most
    ``rho^k * start``, so k = ceil(log(tol / start) / log(rho)).  0 if already within ``tol``;
    1 if ``rho = 0``; inf when ``rho >= 1`` (never).  Exact for a 1-D quadratic.

    Examples
    --------
    >>> steps_to_tolerance([1.0], [0.5, 1.0, 2.0], tol=1e-3)
    array([10.,  1., inf])
    """
    if not (tol > 0 and math.isfinite(tol)) or not (start >= 0 and math.isfinite(start)):
        raise TheoryError("tol must be > 0 and start >= 0, both finite")
    rho = contraction_factor(eigenvalues, lr)
    with np.errstate(all="ignore"):
        k = np.ceil(np.log(tol / start) / np.log(rho)) if start > tol else np.zeros_like(rho)
    if start <= tol:
        return np.zeros_like(rho)
    k = np.where(rho == 0.0, 1.0, k)
    k = np.where(rho >= 1.0, np.inf, k)
    return np.where(np.isnan(rho), np.nan, k)


def quadratic_regime(a: float, lr: ArrayLike) -> np.ndarray:
    """Name the regime of gradient descent on ``a/2 x^2`` for each rate.

    ``"monotone"`` (0 < lr < 1/a), ``"one step"`` (lr = 1/a), ``"oscillating"`` (1/a < lr < 2/a),
    ``"bounded oscillation"`` (lr = 2/a), ``"diverging"`` (lr > 2/a), ``"no progress"`` (lr <= 0).
    Equality is tested with a relative tolerance of 1e-9.

    Examples
    --------
    >>> quadratic_regime(2.0, [0.1, 0.5, 0.7, 1.0, 1.2]).tolist()
    ['monotone', 'one step', 'oscillating', 'bounded oscillation', 'diverging']
    """
    a = float(a)
    if not (a > 0 and math.isfinite(a)):
        raise TheoryError("the curvature a must be a positive finite number")
    r = np.asarray(lr, dtype=np.float64) * a
    out = np.full(r.shape, "no progress", dtype=object)
    out[r > 0] = "monotone"
    out[r > 1] = "oscillating"
    out[r > 2] = "diverging"
    out[np.isclose(r, 1.0, rtol=1e-9, atol=0)] = "one step"
    out[np.isclose(r, 2.0, rtol=1e-9, atol=0)] = "bounded oscillation"
    return out.astype(str)


@dataclass(frozen=True)
class MomentumTuning:
    """Optimal heavy-ball parameters for a convex quadratic (Polyak 1964; Goh 2017).

    Attributes
    ----------
    lr : float
        ``(2 / (sqrt(lambda_min) + sqrt(lambda_max)))^2``.
    momentum : float
        ``((sqrt(kappa) - 1) / (sqrt(kappa) + 1))^2``.
    rate : float
        The resulting contraction per step, ``(sqrt(kappa) - 1) / (sqrt(kappa) + 1)``.
    max_stable_lr : float
        Momentum ``mu`` keeps descent stable up to ``lr < (2 + 2 mu) / lambda_max``.
    """

    lr: float
    momentum: float
    rate: float
    max_stable_lr: float


def optimal_momentum(eigenvalues: ArrayLike) -> MomentumTuning:
    """Optimal heavy-ball learning rate and momentum for these (positive) eigenvalues.

    Examples
    --------
    >>> m = optimal_momentum([1.0, 9.0])
    >>> m.lr, m.momentum, m.rate
    (0.25, 0.25, 0.5)
    """
    lam = _eigs(eigenvalues)
    if not (np.all(np.isfinite(lam)) and lam[0] > 0):
        raise TheoryError("optimal momentum needs positive, finite curvatures (a convex bowl)")
    lmin, lmax = float(lam[0]), float(lam[-1])
    sk = math.sqrt(lmax / lmin)
    rate = (sk - 1.0) / (sk + 1.0)
    lr = (2.0 / (math.sqrt(lmin) + math.sqrt(lmax))) ** 2
    mu = rate * rate
    return MomentumTuning(lr, mu, rate, (2.0 + 2.0 * mu) / lmax)
