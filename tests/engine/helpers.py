"""Finite-difference checks for analytic derivatives, shared by every engine test.

In the spirit of HIPS/autograd's ``check_grads``: every hand-written gradient or Hessian in the
engine is compared with central differences of the function it differentiates.  Fourth-order
central differences are used (``(-f(x+2h) + 8f(x+h) - 8f(x-h) + f(x-2h)) / 12h``), with a step
scaled to the point, so the comparison is tight for smooth functions of moderate size.

All helpers take batches: points of shape ``(..., d)``, functions vectorised the same way.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.testing import assert_allclose

__all__ = ["numerical_jacobian", "check_grads", "check_hessian"]

Fn = Callable[[np.ndarray], np.ndarray]


def numerical_jacobian(fun: Fn, x: np.ndarray, rel_step: float = 1e-3) -> np.ndarray:
    """Central-difference derivative of ``fun`` along each coordinate of ``x``.

    ``fun`` maps ``(..., d)`` to ``(..., *out)``; the result has shape ``(..., *out, d)``.

    Examples
    --------
    >>> x = np.array([[1.0, 2.0]])
    >>> np.round(numerical_jacobian(lambda p: p[..., 0] ** 2 * p[..., 1], x), 8)
    array([[4., 1.]])
    """
    x = np.asarray(x, dtype=np.float64)
    d = x.shape[-1]
    cols = []
    with np.errstate(all="ignore"):
        for i in range(d):
            h = rel_step * np.maximum(1.0, np.abs(x[..., i]))
            e = np.zeros_like(x)
            e[..., i] = 1.0
            hh = h[..., None]
            fp1, fm1 = fun(x + hh * e), fun(x - hh * e)
            fp2, fm2 = fun(x + 2 * hh * e), fun(x - 2 * hh * e)
            extra = fp1.ndim - h.ndim
            hb = h.reshape(h.shape + (1,) * extra)
            cols.append((8.0 * (fp1 - fm1) - (fp2 - fm2)) / (12.0 * hb))
    return np.stack(cols, axis=-1)


def _scale(values: np.ndarray) -> float:
    v = np.abs(np.asarray(values, dtype=np.float64))
    v = v[np.isfinite(v)]
    return float(np.max(v)) if v.size else 1.0


def check_grads(
    f: Fn,
    grad: Fn,
    x: np.ndarray,
    *,
    rtol: float = 1e-6,
    atol: float = 1e-7,
    rel_step: float = 1e-3,
) -> None:
    """Assert that ``grad`` is the gradient of ``f`` at the points ``x`` (shape ``(..., d)``).

    The absolute tolerance is scaled by the size of ``f`` around the points, since the
    finite-difference round-off grows with it.  Points where anything is non-finite are skipped
    (a function may be undefined there); at least one point must remain.

    Examples
    --------
    >>> f = lambda p: np.sin(p[..., 0]) * p[..., 1]
    >>> g = lambda p: np.stack([np.cos(p[..., 0]) * p[..., 1], np.sin(p[..., 0])], -1)
    >>> check_grads(f, g, np.array([[0.3, 2.0], [1.0, -1.0]]))
    """
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(all="ignore"):
        analytic = np.asarray(grad(x), dtype=np.float64)
        numeric = numerical_jacobian(f, x, rel_step)
        fx = f(x)
    assert analytic.shape == x.shape, f"gradient shape {analytic.shape} != points {x.shape}"
    ok = np.all(np.isfinite(analytic) & np.isfinite(numeric), axis=-1)
    assert ok.any(), "no point where the gradient and its finite differences are finite"
    tol = atol * max(1.0, _scale(fx))
    assert_allclose(analytic[ok], numeric[ok], rtol=rtol, atol=tol)


def check_hessian(
    grad: Fn,
    hess: Fn,
    x: np.ndarray,
    *,
    rtol: float = 1e-6,
    atol: float = 1e-7,
    rel_step: float = 1e-3,
) -> None:
    """Assert that ``hess`` is the Jacobian of ``grad`` at ``x`` (and that it is symmetric).

    Examples
    --------
    >>> g = lambda p: np.stack([2 * p[..., 0] * p[..., 1], p[..., 0] ** 2], -1)
    >>> h = lambda p: np.stack(
    ...     [np.stack([2 * p[..., 1], 2 * p[..., 0]], -1), np.stack([2 * p[..., 0], 0 * p[..., 0]], -1)],
    ...     -2,
    ... )
    >>> check_hessian(g, h, np.array([[1.0, 2.0]]))
    """
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(all="ignore"):
        analytic = np.asarray(hess(x), dtype=np.float64)
        numeric = numerical_jacobian(grad, x, rel_step)
        gx = grad(x)
    d = x.shape[-1]
    assert analytic.shape == x.shape + (d,), f"Hessian shape {analytic.shape}"
    ok = np.all(np.isfinite(analytic) & np.isfinite(numeric), axis=(-1, -2))
    assert ok.any(), "no point where the Hessian and its finite differences are finite"
    tol = atol * max(1.0, _scale(gx))
    assert_allclose(analytic[ok], np.swapaxes(analytic, -1, -2)[ok], rtol=1e-12, atol=1e-12 * tol)
    assert_allclose(analytic[ok], numeric[ok], rtol=rtol, atol=tol)
