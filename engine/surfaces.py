"""Loss surfaces in one and two dimensions, with analytic gradients and Hessians.

A :class:`Surface` bundles a loss ``f`` with its hand-written gradient and Hessian, a plotting
window that shows the interesting part, its known minima and a one-sentence blurb for students.
All three callables are vectorised over leading axes: a point is the last axis, so an input of
shape ``(..., dim)`` gives ``(...)``, ``(..., dim)`` and ``(..., dim, dim)``.  A batch of K
descents (one per learning rate) is simply an input of shape ``(K, dim)``.

The catalogue is a set of *factories* (``quadratic(a=2.0)``, ``ill_conditioned(kappa=50)``, ...)
listed in :data:`SURFACES_1D` and :data:`SURFACES_2D`; :func:`get_surface` looks one up by key.

Numeric overflow is a result, not an error: the methods :meth:`Surface.value`,
:meth:`Surface.gradient` and :meth:`Surface.hessian` evaluate under ``np.errstate(all="ignore")``
and return inf/NaN where the maths does.  The raw callables ``f``, ``grad`` and ``hess`` do not
change the error state; call them inside ``np.errstate`` (as :mod:`engine.descent` does).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "Surface",
    "SurfaceError",
    "CatalogueEntry",
    "SURFACES_1D",
    "SURFACES_2D",
    "get_surface",
    "quadratic",
    "double_well",
    "plateau",
    "lopsided",
    "quartic",
    "ill_conditioned",
    "rosenbrock",
    "himmelblau",
    "saddle",
    "saddle_well",
    "beale",
    "six_hump_camel",
]

_Point = tuple[float, ...]
_Window = tuple[tuple[float, float], ...]
_ArrayFn = Callable[[np.ndarray], np.ndarray]


class SurfaceError(ValueError):
    """A surface was asked for with an unknown key, a bad parameter or a badly shaped point."""


@dataclass(frozen=True)
class Surface:
    """A loss surface with analytic derivatives.

    Attributes
    ----------
    key : str
        Catalogue key (``"custom"`` for a typed-in function).
    name : str
        Human title, e.g. ``"Rosenbrock's banana valley"``.
    dim : {1, 2}
        Number of parameters.
    formula : str
        LaTeX for display, including the left-hand side, e.g. ``r"f(x) = \\tfrac{1}{2}x^{2}"``.
    f, grad, hess : callable
        Vectorised: an array of shape ``(..., dim)`` maps to ``(...)``, ``(..., dim)`` and
        ``(..., dim, dim)``.
    window : tuple of (lo, hi) pairs
        One pair per axis: the plotting window that shows the interesting part.
    minima : tuple of points
        Known local minima, the global minimum first (empty when unknown or none).
    f_min : float or None
        The global minimum value when known.
    default_start : tuple of float
        A starting point that shows what the surface teaches.
    blurb : str
        One sentence for students: what this surface teaches.
    saddles : tuple of points
        Known saddle points (for drawing; may be empty).
    params : tuple of (name, value) pairs
        The parameters the surface was built with.

    Examples
    --------
    >>> s = quadratic(a=2.0)
    >>> float(s.value(3.0)), s.gradient(3.0), s.hessian(3.0)
    (9.0, array([6.]), array([[2.]]))
    >>> s.value([[1.0], [2.0]])
    array([1., 4.])
    """

    key: str
    name: str
    dim: int
    formula: str
    f: _ArrayFn
    grad: _ArrayFn
    hess: _ArrayFn
    window: _Window
    minima: tuple[_Point, ...] = ()
    f_min: float | None = None
    default_start: _Point = ()
    blurb: str = ""
    saddles: tuple[_Point, ...] = ()
    params: tuple[tuple[str, float], ...] = ()

    def __post_init__(self) -> None:
        if self.dim not in (1, 2):
            raise SurfaceError("a surface has 1 or 2 dimensions")
        if len(self.window) != self.dim or any(not lo < hi for lo, hi in self.window):
            raise SurfaceError("the window needs one (lo, hi) pair with lo < hi per dimension")
        if self.default_start and len(self.default_start) != self.dim:
            raise SurfaceError("default_start must have one coordinate per dimension")

    def points(self, x: ArrayLike) -> np.ndarray:
        """``x`` as a float array of shape ``(..., dim)`` (a scalar is a 1-D point).

        Examples
        --------
        >>> quadratic().points(2.0)
        array([2.])
        """
        arr = np.asarray(x, dtype=np.float64)
        if self.dim == 1 and arr.ndim == 0:
            arr = arr[None]
        if arr.ndim == 0 or arr.shape[-1] != self.dim:
            raise SurfaceError(
                f"{self.name} takes points with {self.dim} coordinate(s) on the last axis, "
                f"got an array of shape {arr.shape}"
            )
        return arr

    def value(self, x: ArrayLike) -> np.ndarray:
        """The loss at ``x`` (shape ``(..., dim)``, or a scalar in 1-D); inf/NaN are results.

        Examples
        --------
        >>> float(rosenbrock().value((1.0, 1.0)))
        0.0
        """
        pts = self.points(x)
        with np.errstate(all="ignore"):
            return np.asarray(self.f(pts), dtype=np.float64)

    def gradient(self, x: ArrayLike) -> np.ndarray:
        """The gradient at ``x``, shape ``(..., dim)``.

        Examples
        --------
        >>> rosenbrock().gradient((0.0, 0.0))
        array([-2.,  0.])
        """
        pts = self.points(x)
        with np.errstate(all="ignore"):
            return np.asarray(self.grad(pts), dtype=np.float64)

    def hessian(self, x: ArrayLike) -> np.ndarray:
        """The Hessian at ``x``, shape ``(..., dim, dim)``.

        Examples
        --------
        >>> saddle().hessian((0.3, 0.2))
        array([[ 1.,  0.],
               [ 0., -1.]])
        """
        pts = self.points(x)
        with np.errstate(all="ignore"):
            return np.asarray(self.hess(pts), dtype=np.float64)

    def grid(self, n: int = 201) -> tuple[np.ndarray, ...]:
        """Sample the window for plotting.

        Returns ``(xs, fx)`` in 1-D and ``(xs, ys, Z)`` in 2-D, with ``Z[i, j] = f(xs[j], ys[i])``
        (rows follow y, as contour plots expect).

        Examples
        --------
        >>> xs, ys, z = himmelblau().grid(5)
        >>> z.shape, float(z.min()) >= 0
        ((5, 5), True)
        """
        n = int(n)
        if not 2 <= n <= 2001:
            raise SurfaceError("grid size must lie between 2 and 2001")
        axes = [np.linspace(lo, hi, n) for lo, hi in self.window]
        if self.dim == 1:
            return axes[0], self.value(axes[0][:, None])
        xx, yy = np.meshgrid(axes[0], axes[1])
        return axes[0], axes[1], self.value(np.stack([xx, yy], axis=-1))


# ----------------------------------------------------------------------------- helpers


def _num(name: str, value: Any, lo: float = -math.inf, hi: float = math.inf) -> float:
    """``value`` as a finite float in [lo, hi], or a clear SurfaceError."""
    if isinstance(value, bool):
        raise SurfaceError(f"{name} must be a number, got {value!r}")
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise SurfaceError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(v) or not lo <= v <= hi:
        raise SurfaceError(f"{name} must be a finite number between {lo:g} and {hi:g}, got {v!r}")
    return v


def _full(x: np.ndarray, v: float) -> np.ndarray:
    return np.full(x.shape, v, dtype=np.float64)


def _stack_hess(hxx: np.ndarray, hxy: np.ndarray, hyy: np.ndarray) -> np.ndarray:
    return np.stack([np.stack([hxx, hxy], axis=-1), np.stack([hxy, hyy], axis=-1)], axis=-2)


def _g(v: float) -> str:
    """A number for a LaTeX formula."""
    return f"{v:g}".replace("e-0", "e-").replace("e+0", "e+")


# ----------------------------------------------------------------------------- 1-D surfaces


def quadratic(a: float = 1.0, center: float = 0.0) -> Surface:
    """The parabola ``f(x) = a/2 (x - c)^2``: constant curvature ``a``.

    Gradient descent gives ``x_k - c = (1 - lr a)^k (x_0 - c)``: monotone for ``lr < 1/a``, one
    step at ``lr = 1/a``, oscillating up to ``2/a``, divergent beyond.

    Examples
    --------
    >>> s = quadratic(a=4.0, center=1.0)
    >>> s.minima, s.f_min, float(s.value(2.0))
    (((1.0,),), 0.0, 2.0)
    """
    a = _num("curvature a", a, 1e-6, 1e6)
    c = _num("centre", center, -1e3, 1e3)

    def f(x: np.ndarray) -> np.ndarray:
        d = x[..., 0] - c
        return 0.5 * a * d * d

    def grad(x: np.ndarray) -> np.ndarray:
        return a * (x - c)

    def hess(x: np.ndarray) -> np.ndarray:
        return _full(x[..., None], a)

    shift = f"(x - {_g(c)})" if c > 0 else f"(x + {_g(-c)})" if c < 0 else "x"
    return Surface(
        key="quadratic",
        name="Parabola",
        dim=1,
        formula=rf"f(x) = \tfrac{{{_g(a)}}}{{2}}\,{shift}^{{2}}",
        f=f,
        grad=grad,
        hess=hess,
        window=((c - 5.0, c + 5.0),),
        minima=((c,),),
        f_min=0.0,
        default_start=(c + 4.0,),
        blurb=(
            "The same curvature everywhere: below 1/a the ball slides in, at 1/a it lands in one "
            "step, between 1/a and 2/a it zig-zags in, above 2/a it flies off."
        ),
        params=(("a", a), ("center", c)),
    )


def _double_well_minima(tilt: float) -> list[tuple[float, float]]:
    """Local minima (x, f) of (x^2 - 1)^2 + tilt x, lowest first."""
    roots = np.roots([4.0, 0.0, -4.0, tilt])
    found = []
    for r in roots:
        if abs(r.imag) > 1e-9:
            continue
        x = float(r.real)
        for _ in range(3):  # Newton polish to machine precision
            x -= (4 * x**3 - 4 * x + tilt) / (12 * x * x - 4)
        if 12 * x * x - 4 > 0:
            found.append((x, (x * x - 1) ** 2 + tilt * x))
    return sorted(found, key=lambda p: p[1])


def double_well(tilt: float = 0.3) -> Surface:
    """The tilted double well ``f(x) = (x^2 - 1)^2 + t x``: a local and a global minimum.

    Examples
    --------
    >>> s = double_well()
    >>> [round(m[0], 3) for m in s.minima], round(s.f_min, 4)
    ([-1.036, 0.96], -0.3054)
    """
    t = _num("tilt", tilt, -1.5, 1.5)
    mins = _double_well_minima(t)

    def f(x: np.ndarray) -> np.ndarray:
        u = x[..., 0]
        w = u * u - 1.0
        return w * w + t * u

    def grad(x: np.ndarray) -> np.ndarray:
        return 4.0 * x * (x * x - 1.0) + t

    def hess(x: np.ndarray) -> np.ndarray:
        return (12.0 * x * x - 4.0)[..., None]

    sign = "+" if t >= 0 else "-"
    return Surface(
        key="double_well",
        name="Double well",
        dim=1,
        formula=rf"f(x) = (x^{{2}} - 1)^{{2}} {sign} {_g(abs(t))}\,x",
        f=f,
        grad=grad,
        hess=hess,
        window=((-2.0, 2.0),),
        minima=tuple((m[0],) for m in mins),
        f_min=mins[0][1],
        default_start=(1.6,),
        blurb=(
            "Two valleys: a small rate settles in whichever valley is nearest, a larger one may "
            "hop over the hump into the deeper valley, or bounce out of both."
        ),
        params=(("tilt", t),),
    )


def plateau(width: float = 1.0) -> Surface:
    """A bowl with flat shoulders, ``f(x) = x^2 / (w^2 + x^2)``.

    The slope vanishes far from the bottom: starting on the shoulder, descent crawls, while the
    bottom (curvature ``2/w^2``) is sharp enough to punish a large rate.

    Examples
    --------
    >>> s = plateau()
    >>> round(float(s.gradient(4.0)[0]), 4), float(s.hessian(0.0)[0, 0])
    (0.0277, 2.0)
    """
    w = _num("width", width, 1e-3, 1e3)
    w2 = w * w

    def f(x: np.ndarray) -> np.ndarray:
        u2 = x[..., 0] ** 2
        return u2 / (w2 + u2)

    def grad(x: np.ndarray) -> np.ndarray:
        d = w2 + x * x
        return 2.0 * w2 * x / (d * d)

    def hess(x: np.ndarray) -> np.ndarray:
        u2 = x * x
        d = w2 + u2
        return (2.0 * w2 * (w2 - 3.0 * u2) / (d * d * d))[..., None]

    return Surface(
        key="plateau",
        name="Plateau",
        dim=1,
        formula=rf"f(x) = \frac{{x^{{2}}}}{{{_g(w2)} + x^{{2}}}}",
        f=f,
        grad=grad,
        hess=hess,
        window=((-6.0 * w, 6.0 * w),),
        minima=((0.0,),),
        f_min=0.0,
        default_start=(4.0 * w,),
        blurb=(
            "On the flat shoulder the slope is tiny, so every step is tiny: a rate that is safe "
            "at the sharp bottom takes ages to cross the plateau."
        ),
        params=(("width", w),),
    )


def lopsided(skew: float = 1.0) -> Surface:
    """A lopsided bowl ``f(x) = (e^{s x} - s x - 1) / s^2``: gentle on the left, a wall on the right.

    The curvature ``e^{s x}`` is 1 at the minimum but grows fast to the right, so a rate that is
    stable at the bottom can still blow up on the steep side.

    Examples
    --------
    >>> s = lopsided()
    >>> float(s.value(0.0)), float(s.hessian(0.0)[0, 0])
    (0.0, 1.0)
    """
    s = _num("skew", skew, 0.1, 5.0)

    def f(x: np.ndarray) -> np.ndarray:
        u = s * x[..., 0]
        return (np.expm1(u) - u) / (s * s)

    def grad(x: np.ndarray) -> np.ndarray:
        return np.expm1(s * x) / s

    def hess(x: np.ndarray) -> np.ndarray:
        return np.exp(s * x)[..., None]

    sx = "x" if s == 1 else f"{_g(s)}x"
    frac = "" if s == 1 else rf"\frac{{1}}{{{_g(s * s)}}}"
    return Surface(
        key="lopsided",
        name="Lopsided bowl",
        dim=1,
        formula=rf"f(x) = {frac}\left(e^{{{sx}}} - {sx} - 1\right)",
        f=f,
        grad=grad,
        hess=hess,
        window=((-4.0 / s, 3.0 / s),),
        minima=((0.0,),),
        f_min=0.0,
        default_start=(-3.0 / s,),
        blurb=(
            "Curvature changes with position: the left side is gentle, the right side is a steep "
            "wall, so a rate that suits one side overshoots badly on the other."
        ),
        params=(("skew", s),),
    )


def quartic(scale: float = 1.0) -> Surface:
    """The flat-bottomed ``f(x) = c x^4 / 4``: curvature ``3 c x^2`` vanishes at the minimum.

    Far out the curvature is large (a small rate is needed); near the bottom it vanishes, so
    descent slows down more and more: convergence is no longer geometric.

    Examples
    --------
    >>> s = quartic()
    >>> float(s.value(2.0)), float(s.hessian(1.0)[0, 0])
    (4.0, 3.0)
    """
    c = _num("scale", scale, 1e-3, 1e3)

    def f(x: np.ndarray) -> np.ndarray:
        u2 = x[..., 0] ** 2
        return 0.25 * c * u2 * u2

    def grad(x: np.ndarray) -> np.ndarray:
        return c * x * x * x

    def hess(x: np.ndarray) -> np.ndarray:
        return (3.0 * c * x * x)[..., None]

    lead = r"\tfrac{1}{4}" if c == 1 else rf"\tfrac{{{_g(c)}}}{{4}}"
    return Surface(
        key="quartic",
        name="Flat-bottomed bowl",
        dim=1,
        formula=rf"f(x) = {lead}\,x^{{4}}",
        f=f,
        grad=grad,
        hess=hess,
        window=((-2.0, 2.0),),
        minima=((0.0,),),
        f_min=0.0,
        default_start=(1.8,),
        blurb=(
            "Steep walls but a flat bottom: the curvature shrinks as you approach the minimum, "
            "so each step is smaller than the last and convergence slows to a crawl."
        ),
        params=(("scale", c),),
    )


# ----------------------------------------------------------------------------- 2-D surfaces


def ill_conditioned(
    kappa: float = 10.0, angle: float = 30.0, lam_max: float | None = None
) -> Surface:
    """A rotated elliptic bowl ``f(x) = 1/2 x^T A x`` with condition number ``kappa``.

    ``A = R diag(lam_min, lam_max) R^T`` with ``R`` the rotation by ``angle`` degrees: the gentle
    direction (``lam_min``) is the axis at ``angle`` from the x-axis.  The eigenvalues are
    ``(1, kappa)`` by default, or ``(lam_max / kappa, lam_max)`` when ``lam_max`` is given.

    Gradient descent is stable iff ``lr < 2 / lam_max``; the best fixed rate ``2/(lam_min +
    lam_max)`` contracts the distance to the minimum by ``(kappa - 1)/(kappa + 1)`` per step.

    Examples
    --------
    >>> s = ill_conditioned(kappa=10.0, angle=0.0)
    >>> s.hessian((1.0, 2.0))
    array([[ 1.,  0.],
           [ 0., 10.]])
    >>> ill_conditioned(kappa=4.0, lam_max=2.0).params[2]
    ('lam_min', 0.5)
    """
    k = _num("condition number kappa", kappa, 1.0, 1e4)
    theta = _num("angle", angle, -360.0, 360.0)
    if lam_max is None:
        lo, hi = 1.0, k
    else:
        hi = _num("lam_max", lam_max, 1e-6, 1e6)
        lo = hi / k
    rad = math.radians(theta)
    c, s = math.cos(rad), math.sin(rad)
    # A = lo * u u^T + hi * v v^T, u = (c, s) (gentle axis), v = (-s, c) (steep axis)
    axx = lo * c * c + hi * s * s
    axy = (lo - hi) * c * s + 0.0  # + 0.0 turns -0.0 into 0.0
    ayy = lo * s * s + hi * c * c

    def f(x: np.ndarray) -> np.ndarray:
        u, v = x[..., 0], x[..., 1]
        return 0.5 * (axx * u * u + 2.0 * axy * u * v + ayy * v * v)

    def grad(x: np.ndarray) -> np.ndarray:
        u, v = x[..., 0], x[..., 1]
        return np.stack([axx * u + axy * v, axy * u + ayy * v], axis=-1)

    def hess(x: np.ndarray) -> np.ndarray:
        u = x[..., 0]
        return _stack_hess(_full(u, axx), _full(u, axy), _full(u, ayy))

    # start on the steep side but with a component along the gentle axis too
    start = (4.0 * c - 2.5 * s, 4.0 * s + 2.5 * c)
    scale = max(6.0, 1.2 * max(abs(start[0]), abs(start[1])))
    return Surface(
        key="ill_conditioned",
        name="Ill-conditioned valley",
        dim=2,
        formula=(
            rf"f(x, y) = \tfrac{{1}}{{2}}\left({_g(lo)}\,u^{{2}} + {_g(hi)}\,v^{{2}}\right),"
            rf"\quad u = x\cos{_g(theta)}^\circ + y\sin{_g(theta)}^\circ,"
            rf"\; v = -x\sin{_g(theta)}^\circ + y\cos{_g(theta)}^\circ"
        ),
        f=f,
        grad=grad,
        hess=hess,
        window=((-scale, scale), (-scale, scale)),
        minima=((0.0, 0.0),),
        f_min=0.0,
        default_start=start,
        blurb=(
            "A long narrow valley: the steep direction caps the learning rate at 2/λmax, so "
            "progress along the gentle floor of the valley is slow: the larger κ, the slower."
        ),
        params=(("kappa", k), ("angle", theta), ("lam_min", lo), ("lam_max", hi)),
    )


def rosenbrock(a: float = 1.0, b: float = 100.0) -> Surface:
    """Rosenbrock's banana ``f(x, y) = (a - x)^2 + b (y - x^2)^2``, minimum at ``(a, a^2)``.

    Examples
    --------
    >>> s = rosenbrock()
    >>> s.minima, float(s.value((-1.0, 1.0)))
    (((1.0, 1.0),), 4.0)
    """
    a = _num("a", a, -3.0, 3.0)
    b = _num("b", b, 0.1, 1e4)

    def f(x: np.ndarray) -> np.ndarray:
        u, v = x[..., 0], x[..., 1]
        r = v - u * u
        return (a - u) ** 2 + b * r * r

    def grad(x: np.ndarray) -> np.ndarray:
        u, v = x[..., 0], x[..., 1]
        r = v - u * u
        return np.stack([-2.0 * (a - u) - 4.0 * b * u * r, 2.0 * b * r], axis=-1)

    def hess(x: np.ndarray) -> np.ndarray:
        u, v = x[..., 0], x[..., 1]
        hxx = 2.0 - 4.0 * b * v + 12.0 * b * u * u
        return _stack_hess(hxx, -4.0 * b * u, _full(u, 2.0 * b))

    am = "(1 - x)" if a == 1 else f"({_g(a)} - x)"
    return Surface(
        key="rosenbrock",
        name="Rosenbrock's banana valley",
        dim=2,
        formula=rf"f(x, y) = {am}^{{2}} + {_g(b)}\,(y - x^{{2}})^{{2}}",
        f=f,
        grad=grad,
        hess=hess,
        window=((-2.0, 2.0), (-1.0, 3.0)),
        minima=((a, a * a),),
        f_min=0.0,
        default_start=(-1.2, 1.0),
        blurb=(
            "A curved, narrow valley: the walls are steep (so the rate must be small) but the "
            "floor is nearly flat, so reaching the minimum takes thousands of small steps."
        ),
        params=(("a", a), ("b", b)),
    )


_HIMMELBLAU_MINIMA = (
    (3.0, 2.0),
    (-2.805118086952745, 3.131312518250573),
    (-3.779310253377747, -3.283185991286169),
    (3.5844283403304917, -1.8481265269644034),
)


def himmelblau() -> Surface:
    """Himmelblau's function ``(x^2 + y - 11)^2 + (x + y^2 - 7)^2``: four equal minima (f = 0).

    Examples
    --------
    >>> s = himmelblau()
    >>> len(s.minima), float(s.value((3.0, 2.0)))
    (4, 0.0)
    """

    def f(x: np.ndarray) -> np.ndarray:
        u, v = x[..., 0], x[..., 1]
        p = u * u + v - 11.0
        q = u + v * v - 7.0
        return p * p + q * q

    def grad(x: np.ndarray) -> np.ndarray:
        u, v = x[..., 0], x[..., 1]
        p = u * u + v - 11.0
        q = u + v * v - 7.0
        return np.stack([4.0 * u * p + 2.0 * q, 2.0 * p + 4.0 * v * q], axis=-1)

    def hess(x: np.ndarray) -> np.ndarray:
        u, v = x[..., 0], x[..., 1]
        p = u * u + v - 11.0
        q = u + v * v - 7.0
        return _stack_hess(4.0 * p + 8.0 * u * u + 2.0, 4.0 * (u + v), 2.0 + 4.0 * q + 8.0 * v * v)

    return Surface(
        key="himmelblau",
        name="Himmelblau's four valleys",
        dim=2,
        formula=r"f(x, y) = (x^{2} + y - 11)^{2} + (x + y^{2} - 7)^{2}",
        f=f,
        grad=grad,
        hess=hess,
        window=((-5.0, 5.0), (-5.0, 5.0)),
        minima=_HIMMELBLAU_MINIMA,
        f_min=0.0,
        default_start=(0.0, 0.0),
        blurb=(
            "Four equally deep valleys: which one you end up in depends on where you start "
            "and on the learning rate."
        ),
        saddles=(
            (0.08667750455539634, 2.884254701174776),
            (-3.0730257507643897, -0.08135304428796751),
            (3.385154183607021, 0.07385187983774928),
            (-0.12796134673068005, -1.9537149802445766),
        ),
    )


def saddle(curvature: float = 1.0) -> Surface:
    """The horse saddle ``f(x, y) = c/2 (x^2 - y^2)``: no minimum at all.

    Examples
    --------
    >>> s = saddle()
    >>> s.gradient((1.0, 1.0)), s.f_min is None
    (array([ 1., -1.]), True)
    """
    c = _num("curvature", curvature, 1e-3, 1e3)

    def f(x: np.ndarray) -> np.ndarray:
        u, v = x[..., 0], x[..., 1]
        return 0.5 * c * (u * u - v * v)

    def grad(x: np.ndarray) -> np.ndarray:
        return c * x * np.array([1.0, -1.0])

    def hess(x: np.ndarray) -> np.ndarray:
        u = x[..., 0]
        return _stack_hess(_full(u, c), _full(u, 0.0), _full(u, -c))

    lead = r"\tfrac{1}{2}" if c == 1 else rf"\tfrac{{{_g(c)}}}{{2}}"
    return Surface(
        key="saddle",
        name="Saddle",
        dim=2,
        formula=rf"f(x, y) = {lead}\,(x^{{2}} - y^{{2}})",
        f=f,
        grad=grad,
        hess=hess,
        window=((-2.0, 2.0), (-2.0, 2.0)),
        minima=(),
        f_min=None,
        default_start=(1.8, 0.05),
        blurb=(
            "Uphill along x, downhill along y: near the centre the gradient is tiny, so descent "
            "lingers at the saddle before sliding off along y, and there is no bottom to reach."
        ),
        saddles=((0.0, 0.0),),
        params=(("curvature", c),),
    )


def saddle_well() -> Surface:
    """A saddle between two valleys, ``f(x, y) = x^2/2 + y^4/4 - y^2/2``.

    The origin is a saddle; the minima are ``(0, +1)`` and ``(0, -1)`` with ``f = -1/4``.

    Examples
    --------
    >>> s = saddle_well()
    >>> s.minima, s.f_min
    (((0.0, 1.0), (0.0, -1.0)), -0.25)
    """

    def f(x: np.ndarray) -> np.ndarray:
        u, v = x[..., 0], x[..., 1]
        v2 = v * v
        return 0.5 * u * u + 0.25 * v2 * v2 - 0.5 * v2

    def grad(x: np.ndarray) -> np.ndarray:
        u, v = x[..., 0], x[..., 1]
        return np.stack([u, v * v * v - v], axis=-1)

    def hess(x: np.ndarray) -> np.ndarray:
        u, v = x[..., 0], x[..., 1]
        return _stack_hess(_full(u, 1.0), _full(u, 0.0), 3.0 * v * v - 1.0)

    return Surface(
        key="saddle_well",
        name="Saddle between two valleys",
        dim=2,
        formula=r"f(x, y) = \tfrac{1}{2}x^{2} + \tfrac{1}{4}y^{4} - \tfrac{1}{2}y^{2}",
        f=f,
        grad=grad,
        hess=hess,
        window=((-2.0, 2.0), (-1.6, 1.6)),
        minima=((0.0, 1.0), (0.0, -1.0)),
        f_min=-0.25,
        default_start=(1.8, 0.01),
        blurb=(
            "Descent rolls straight into the saddle and lingers where the gradient is almost "
            "zero, then escapes sideways into one of the two valleys."
        ),
        saddles=((0.0, 0.0),),
    )


_BEALE_C = (1.5, 2.25, 2.625)


def beale() -> Surface:
    """Beale's function ``sum_i (c_i - x + x y^i)^2``, ``c = (1.5, 2.25, 2.625)``; minimum (3, 1/2).

    Examples
    --------
    >>> s = beale()
    >>> float(s.value((3.0, 0.5))), s.gradient((3.0, 0.5))
    (0.0, array([0., 0.]))
    """

    def f(x: np.ndarray) -> np.ndarray:
        u, v = x[..., 0], x[..., 1]
        out = np.zeros(np.broadcast(u, v).shape)
        for i, ci in enumerate(_BEALE_C, start=1):
            r = ci - u + u * v**i
            out = out + r * r
        return out

    def grad(x: np.ndarray) -> np.ndarray:
        u, v = x[..., 0], x[..., 1]
        gx = np.zeros(np.broadcast(u, v).shape)
        gy = np.zeros_like(gx)
        for i, ci in enumerate(_BEALE_C, start=1):
            r = ci - u + u * v**i
            gx = gx + 2.0 * r * (v**i - 1.0)
            gy = gy + 2.0 * r * (i * u * v ** (i - 1))
        return np.stack([gx, gy], axis=-1)

    def hess(x: np.ndarray) -> np.ndarray:
        u, v = x[..., 0], x[..., 1]
        hxx = np.zeros(np.broadcast(u, v).shape)
        hxy = np.zeros_like(hxx)
        hyy = np.zeros_like(hxx)
        for i, ci in enumerate(_BEALE_C, start=1):
            r = ci - u + u * v**i
            rx = v**i - 1.0
            ry = i * u * v ** (i - 1)
            hxx = hxx + 2.0 * rx * rx
            hxy = hxy + 2.0 * (rx * ry + r * i * v ** (i - 1))
            ryy = i * (i - 1) * u * v ** (i - 2) if i >= 2 else 0.0
            hyy = hyy + 2.0 * (ry * ry + r * ryy)
        return _stack_hess(hxx, hxy, hyy)

    return Surface(
        key="beale",
        name="Beale's function",
        dim=2,
        formula=(
            r"f(x, y) = (1.5 - x + xy)^{2} + (2.25 - x + xy^{2})^{2} + (2.625 - x + xy^{3})^{2}"
        ),
        f=f,
        grad=grad,
        hess=hess,
        window=((-4.5, 4.5), (-4.5, 4.5)),
        minima=((3.0, 0.5),),
        f_min=0.0,
        default_start=(1.0, 1.4),
        blurb=(
            "Flat plains next to towering cliffs: the gradient varies by orders of magnitude, "
            "so no single learning rate suits the whole landscape."
        ),
        saddles=((0.0, 1.0),),
    )


_CAMEL_MINIMA = (
    (0.08984201310031807, -0.7126564030207396),
    (-0.08984201310031807, 0.7126564030207396),
    (1.7036067149699805, -0.7960835686726251),
    (-1.7036067149699805, 0.7960835686726251),
    (1.6071047529201976, 0.5686514548841313),
    (-1.6071047529201976, -0.5686514548841313),
)


def six_hump_camel() -> Surface:
    """The six-hump camel ``(4 - 2.1x^2 + x^4/3) x^2 + xy + (4y^2 - 4) y^2``: six minima, two global.

    Examples
    --------
    >>> s = six_hump_camel()
    >>> len(s.minima), round(s.f_min, 4)
    (6, -1.0316)
    """

    def f(x: np.ndarray) -> np.ndarray:
        u, v = x[..., 0], x[..., 1]
        u2, v2 = u * u, v * v
        return (4.0 - 2.1 * u2 + u2 * u2 / 3.0) * u2 + u * v + (4.0 * v2 - 4.0) * v2

    def grad(x: np.ndarray) -> np.ndarray:
        u, v = x[..., 0], x[..., 1]
        u2 = u * u
        gx = 8.0 * u - 8.4 * u2 * u + 2.0 * u2 * u2 * u + v
        gy = u - 8.0 * v + 16.0 * v * v * v
        return np.stack([gx, gy], axis=-1)

    def hess(x: np.ndarray) -> np.ndarray:
        u, v = x[..., 0], x[..., 1]
        u2 = u * u
        return _stack_hess(8.0 - 25.2 * u2 + 10.0 * u2 * u2, _full(u, 1.0), 48.0 * v * v - 8.0)

    return Surface(
        key="six_hump_camel",
        name="Six-hump camel",
        dim=2,
        formula=(
            r"f(x, y) = \left(4 - 2.1x^{2} + \tfrac{x^{4}}{3}\right)x^{2} + xy"
            r" + \left(4y^{2} - 4\right)y^{2}"
        ),
        f=f,
        grad=grad,
        hess=hess,
        window=((-2.2, 2.2), (-1.2, 1.2)),
        minima=_CAMEL_MINIMA,
        f_min=float(f(np.array(_CAMEL_MINIMA[0]))),
        default_start=(-1.5, -1.0),
        blurb=(
            "Six valleys of different depths: descent finds the valley it starts in, which is "
            "often not the deepest one."
        ),
        saddles=((0.0, 0.0),),
    )


# ----------------------------------------------------------------------------- catalogue


class CatalogueEntry(NamedTuple):
    """One catalogue item: ``(factory, default params, short description)``."""

    factory: Callable[..., Surface]
    defaults: Mapping[str, Any]
    description: str


def _entry(factory: Callable[..., Surface], description: str, **defaults: Any) -> CatalogueEntry:
    return CatalogueEntry(factory, MappingProxyType(dict(defaults)), description)


SURFACES_1D: dict[str, CatalogueEntry] = {
    "quadratic": _entry(quadratic, "parabola a/2·x², constant curvature", a=1.0, center=0.0),
    "double_well": _entry(
        double_well, "tilted double well: a local and a global minimum", tilt=0.3
    ),
    "plateau": _entry(plateau, "bowl with flat shoulders: tiny gradient, slow progress", width=1.0),
    "lopsided": _entry(lopsided, "gentle on one side, a steep wall on the other", skew=1.0),
    "quartic": _entry(quartic, "x⁴/4: flat bottom, curvature vanishes at the minimum", scale=1.0),
}
"""1-D catalogue: key -> (factory, default params, short description)."""

SURFACES_2D: dict[str, CatalogueEntry] = {
    "ill_conditioned": _entry(
        ill_conditioned,
        "rotated elliptic bowl with condition number κ",
        kappa=10.0,
        angle=30.0,
        lam_max=None,
    ),
    "rosenbrock": _entry(rosenbrock, "curved narrow banana valley", a=1.0, b=100.0),
    "himmelblau": _entry(himmelblau, "four equally deep valleys"),
    "saddle": _entry(saddle, "horse saddle x² − y², no minimum", curvature=1.0),
    "saddle_well": _entry(saddle_well, "a saddle between two valleys"),
    "beale": _entry(beale, "flat plains and steep cliffs"),
    "six_hump_camel": _entry(six_hump_camel, "six valleys, two of them deepest"),
}
"""2-D catalogue: key -> (factory, default params, short description)."""


def get_surface(key: str, **params: Any) -> Surface:
    """Build the catalogue surface ``key`` with its default parameters overridden by ``params``.

    Raises
    ------
    SurfaceError
        For an unknown key, an unknown parameter or an out-of-range value.

    Examples
    --------
    >>> get_surface("quadratic", a=2.0).formula
    'f(x) = \\\\tfrac{2}{2}\\\\,x^{2}'
    >>> get_surface("ill_conditioned", kappa=100.0).dim
    2
    """
    entry = SURFACES_1D.get(key) or SURFACES_2D.get(key)
    if entry is None:
        known = ", ".join([*SURFACES_1D, *SURFACES_2D])
        raise SurfaceError(f"unknown surface {key!r}; choose one of: {known}")
    unknown = sorted(set(params) - set(entry.defaults))
    if unknown:
        allowed = ", ".join(entry.defaults) or "none"
        raise SurfaceError(
            f"surface {key!r} has no parameter(s) {', '.join(unknown)}; its parameters: {allowed}"
        )
    return entry.factory(**{**entry.defaults, **params})
