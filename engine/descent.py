"""Gradient descent on a loss surface, K learning rates at once, with a verdict in words.

:func:`run_descent` starts K runs from the same point, one per learning rate, and advances them
together: the position is one array of shape ``(K, dim)`` and every step is one call to the
shared optimiser core (:mod:`engine.optim`).  :func:`run_many` does the same for a list of
``(optimiser, learning rate)`` pairs, grouping the runs by optimiser.

Divergence is a result: once a run's loss, position or gradient is inf/NaN, ``|x|`` exceeds
``position_limit``, or its loss grows to ``blowup_factor`` times its starting gap, the run is
frozen at that step (``diverged_at``; later entries are NaN, so charts end there) while the
other runs carry on untouched.  The bookkeeping is the engine's shared one (``engine._watch``),
the same as the trainer's.  Nothing here warns or raises on numeric overflow.

Every run gets a :class:`Verdict` in three parts: numbers measured from the run
(``_Features``), a :class:`~engine.verdict.Kind` decided from them with the named thresholds
below (``_classify``), and a sentence (``_describe``).

Polyak's step size
------------------
``optimizer="polyak"`` uses ``eta_t = gamma * (f(x_t) - f*) / ||g_t||^2`` (Polyak 1987), where
``f*`` is the surface's ``f_min``.  The "learning rates" are then the multipliers ``gamma``
(1 is Polyak's rule; ``0 < gamma < 2`` converges on convex functions) and ``lr_trace`` records
the step sizes ``eta_t`` actually used.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from engine import fmt
from engine._watch import Watch
from engine.optim import OPTIMIZERS, Optimizer, init_state, step
from engine.surfaces import Surface
from engine.verdict import NEVER, Kind

__all__ = [
    "DEFAULT_BLOWUP_FACTOR",
    "DEFAULT_POSITION_LIMIT",
    "MAX_RUNS",
    "MAX_STEPS",
    "MIN_OSC_PAIRS",
    "NEAR_LOCAL",
    "OSC_SHARE",
    "POLYAK",
    "PRACTICALLY_THERE",
    "SADDLE_RTOL",
    "SMALL_GRAD",
    "CRAWL",
    "LOCAL_SLACK",
    "DescentError",
    "DescentResult",
    "Verdict",
    "run_descent",
    "run_many",
]

POLYAK = "polyak"
MAX_STEPS = 2000
MAX_RUNS = 256

#: A run diverges when its loss gap grows past this many times its start (see :func:`run_descent`).
DEFAULT_BLOWUP_FACTOR = 1e8
#: A run diverges when ``|x|`` (its largest coordinate) passes this.
DEFAULT_POSITION_LIMIT = 1e8

# thresholds of the verdicts (see _classify)
#: A run oscillates when at least this share of its consecutive steps point in opposite
#: directions (negative dot products), counted before it settled ...
OSC_SHARE = 0.3
#: ... out of at least this many pairs of consecutive steps.
MIN_OSC_PAIRS = 2
#: The end point is a saddle when the lowest Hessian eigenvalue is below ``-SADDLE_RTOL``
#: times the largest one (or 1).
SADDLE_RTOL = 1e-8
#: A run lingers at a saddle when its gradient fell below this fraction of where it started
#: (or below ``sqrt(tol)``).
SMALL_GRAD = 1e-3
#: A minimum is a local one when its loss lies this far (relative, ``1 + |f*|``) above ``f*``.
LOCAL_SLACK = 1e-6
#: Within this fraction of its starting distance from a local minimum, a run is heading into it.
NEAR_LOCAL = 0.1
#: Within this fraction of its starting distance from the minimum, a run is practically there.
PRACTICALLY_THERE = 0.01
#: A last step shorter than this fraction of the distance left is a crawl (the sentence says why).
CRAWL = 0.01

_OptimizerLike = Optimizer | str


class DescentError(ValueError):
    """Bad input to a descent run (with a message that can be shown to a student)."""


@dataclass(frozen=True)
class Verdict:
    """What happened in one run, in words computed from the run.

    Attributes
    ----------
    kind : Kind
        :attr:`Kind.CONVERGED <engine.verdict.Kind.CONVERGED>`, ``OSCILLATING`` (zig-zags
        across the minimum, whether or not it converged), ``SLOW``, ``LOCAL_MIN``, ``SADDLE``,
        ``DIVERGED`` (blew up, or is visibly growing) or ``UNBOUNDED`` (ran off to infinity
        while the loss kept falling: the surface has no bottom there).  A run that is
        practically there (under :data:`PRACTICALLY_THERE` of its starting distance to the
        minimum left) but has not met ``tol`` is ``CONVERGED`` (or ``OSCILLATING``) with
        ``converged=False``.
    step : int
        The step at which the run converged (for the converging kinds) or blew up;
        :data:`~engine.verdict.NEVER` if neither happened within the run.
    text : str
        A short sentence for students, e.g. ``"diverged at step 7: each step overshoots more
        than the last"``.
    converged : bool
        The iterates settled (see :func:`run_descent` for the criterion).
    oscillating : bool
        Consecutive steps mostly pointed in opposite directions (negative dot products).
    """

    kind: Kind
    step: int
    text: str
    converged: bool = False
    oscillating: bool = False


@dataclass(frozen=True, eq=False)
class DescentResult:
    """K descent runs side by side (T steps each).

    Attributes
    ----------
    lrs : ndarray (K,)
        The learning rates (Polyak: the multipliers gamma).
    path : ndarray (K, T+1, dim)
        Positions; ``path[:, 0]`` is the start.  NaN after a run blew up.
    loss : ndarray (K, T+1)
        Loss at each position.
    grad_norm : ndarray (K, T+1)
        Euclidean norm of the gradient at each position.
    lr_trace : ndarray (K, T+1)
        ``lr_trace[k, t]`` (t >= 1) is the rate of the step that produced ``path[k, t]``;
        ``lr_trace[k, 0]`` repeats the first step's rate.  Constant unless hypergradient
        descent or Polyak's rule sets the rate.
    verdicts : tuple of Verdict
        One per run.
    labels : tuple of str
        One per run, e.g. ``"lr = 0.1"`` or ``"Adam, lr = 0.01"``.
    diverged_at : ndarray (K,) of int
        Step at which the run diverged, :data:`~engine.verdict.NEVER` if it did not.
    diverged_reason : tuple of str
        Why, per run: ``""``, ``"nan"``, ``"inf"``, ``"blowup"`` (the loss gap grew past
        ``blowup_factor`` times its start), ``"params"`` (the position overflowed),
        ``"position"`` (``|x|`` passed ``position_limit``) or ``"grad"`` (the gradient
        overflowed).
    """

    lrs: np.ndarray
    path: np.ndarray
    loss: np.ndarray
    grad_norm: np.ndarray
    lr_trace: np.ndarray
    verdicts: tuple[Verdict, ...]
    labels: tuple[str, ...]
    diverged_at: np.ndarray
    diverged_reason: tuple[str, ...]

    @property
    def steps(self) -> int:
        """Number of steps T."""
        return self.path.shape[1] - 1

    @property
    def dim(self) -> int:
        """Number of parameters."""
        return self.path.shape[2]

    def __len__(self) -> int:
        return self.path.shape[0]


# ----------------------------------------------------------------------------- validation


def _check_surface(surface: Surface) -> None:
    if not isinstance(surface, Surface):
        raise DescentError("surface must be an engine.surfaces.Surface")


def _check_start(surface: Surface, x0: ArrayLike, position_limit: float) -> np.ndarray:
    try:
        x = np.asarray(x0, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise DescentError(f"the start point must be numbers, got {x0!r}") from None
    if x.shape != (surface.dim,):
        raise DescentError(
            f"the start point needs {surface.dim} coordinate(s) for this surface, got {x.size}"
        )
    if not np.all(np.isfinite(x)) or np.max(np.abs(x)) > position_limit:
        raise DescentError("the start point must be finite and within the position limit")
    with np.errstate(all="ignore"):
        f0 = surface.f(x[None, :])
        g0 = surface.grad(x[None, :])
    if not (np.all(np.isfinite(f0)) and np.all(np.isfinite(g0))):
        raise DescentError(
            "the loss or its gradient is not a finite number at the start point; "
            "pick a start where the function is defined"
        )
    return x


def _check_steps(
    steps: int, tol: float, blowup_factor: float, position_limit: float
) -> tuple[int, float, float, float]:
    if isinstance(steps, bool) or not isinstance(steps, int | np.integer):
        raise DescentError(f"steps must be a whole number, got {steps!r}")
    if not 1 <= int(steps) <= MAX_STEPS:
        raise DescentError(f"steps must lie between 1 and {MAX_STEPS}, got {steps}")
    try:
        tol, factor, limit = float(tol), float(blowup_factor), float(position_limit)
    except (TypeError, ValueError):
        raise DescentError("tol, blowup_factor and position_limit must be numbers") from None
    if not (0 < tol < 1 and math.isfinite(tol)):
        raise DescentError("tol must lie strictly between 0 and 1")
    if not (factor > 1 and math.isfinite(factor)):
        raise DescentError("blowup_factor must be a finite number > 1")
    if not (limit > 1 and math.isfinite(limit)):
        raise DescentError("position_limit must be a finite number > 1")
    return int(steps), tol, factor, limit


def _check_rate(lr: object) -> float:
    if isinstance(lr, bool):
        raise DescentError(f"a learning rate must be a number, got {lr!r}")
    try:
        v = float(lr)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise DescentError(f"a learning rate must be a number, got {lr!r}") from None
    if not (v > 0 and math.isfinite(v)):
        raise DescentError(f"learning rates must be positive finite numbers, got {v!r}")
    return v


def _check_optimizer(opt: _OptimizerLike, surface: Surface) -> Optimizer | str:
    if isinstance(opt, str):
        if opt == POLYAK:
            if surface.f_min is None:
                raise DescentError(
                    "Polyak's step size needs the minimum value f* of the loss, which is not "
                    "known for this surface"
                )
            return POLYAK
        if opt in OPTIMIZERS:
            return Optimizer(opt)
        raise DescentError(f"unknown optimiser {opt!r}; choose one of {(*OPTIMIZERS, POLYAK)}")
    if isinstance(opt, Optimizer):
        return opt
    raise DescentError("optimizer must be an engine.optim.Optimizer or a name such as 'adam'")


def _label(opt: Optimizer | str, lr: float, short_sgd: bool) -> str:
    if opt == POLYAK:
        return f"Polyak × {fmt.rate(lr)}"
    assert isinstance(opt, Optimizer)
    if short_sgd and opt.name == "sgd" and opt.hypergrad is None:
        return f"lr = {fmt.rate(lr)}"
    return f"{opt.label}, lr = {fmt.rate(lr)}"


# ----------------------------------------------------------------------------- the runner


def _simulate(
    surface: Surface,
    x0: np.ndarray,
    lrs: np.ndarray,
    opt: Optimizer | str,
    steps: int,
    blowup_factor: float,
    position_limit: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, Watch]:
    """Advance K runs together; returns path, loss, grad_norm, lr_trace and the divergence
    record."""
    k, p, t_max = lrs.size, surface.dim, steps
    x = np.repeat(x0[None, :], k, axis=0)
    path = np.full((k, t_max + 1, p), np.nan)
    loss = np.full((k, t_max + 1), np.nan)
    gnorm = np.full((k, t_max + 1), np.nan)
    trace = np.full((k, t_max + 1), np.nan)
    watch = Watch(k)
    ref = surface.f_min
    big = np.finfo(np.float64).max  # "no limit" that inf and NaN still fail
    with np.errstate(all="ignore"):
        fx = surface.f(x)
        g = surface.grad(x)
        path[:, 0], loss[:, 0] = x, fx
        gnorm[:, 0] = np.sqrt(np.sum(g * g, axis=-1))
        f0 = fx.copy()
        if ref is not None:  # the loss gap f - f* against blowup_factor times its start
            gap0 = f0 - ref
            limit = np.minimum(np.where(gap0 > 0, blowup_factor * gap0, big), big)
        else:  # |f - f(x0)| against blowup_factor times max(|f(x0)|, 1)
            limit = np.minimum(blowup_factor * np.maximum(np.abs(f0), 1.0), big)
        state = None if opt == POLYAK else init_state(opt, x, lrs)
        for t in range(1, t_max + 1):
            if state is None:  # Polyak: eta = gamma (f - f*) / |g|^2
                gg = np.sum(g * g, axis=-1)
                gap = np.maximum(fx - ref, 0.0)
                rate = np.where(gg > 0, lrs * gap / np.where(gg > 0, gg, 1.0), 0.0)
                x -= rate[:, None] * g
            else:
                step(opt, state, x, g)
                rate = state.lr
            fx = surface.f(x)
            g = surface.grad(x)
            path[:, t], loss[:, t], trace[:, t] = x, fx, rate
            gnorm[:, t] = np.sqrt(np.sum(g * g, axis=-1))
            new = (
                watch.check_loss(t, fx - ref if ref is not None else np.abs(fx - f0), limit),
                watch.check_params(t, x, position_limit),
                watch.check_finite(t, g),
            )
            if any(n is not None for n in new) and not watch.live.any():
                break
        trace[:, 0] = trace[:, 1]
    at = watch.at
    dead = np.arange(t_max + 1)[None, :] > np.where(at >= 0, at, t_max + 1)[:, None]
    path[dead] = np.nan
    loss[dead] = np.nan
    gnorm[dead] = np.nan
    trace[dead] = np.nan
    return path, loss, gnorm, trace, watch


def run_descent(
    surface: Surface,
    x0: ArrayLike,
    lrs: ArrayLike,
    *,
    optimizer: _OptimizerLike = "sgd",
    steps: int = 50,
    tol: float = 1e-8,
    blowup_factor: float = DEFAULT_BLOWUP_FACTOR,
    position_limit: float = DEFAULT_POSITION_LIMIT,
) -> DescentResult:
    """Run gradient descent (or another optimiser) from ``x0`` with K learning rates at once.

    Parameters
    ----------
    surface : Surface
    x0 : array_like, shape (dim,)
        The common start (a scalar is fine in 1-D).
    lrs : array_like, shape (K,)
        Positive learning rates, one run each (1 <= K <= 256).  With ``optimizer="polyak"``
        they are the multipliers gamma of Polyak's step (see the module docstring).
    optimizer : Optimizer or str
        An :class:`engine.optim.Optimizer`, one of its names (``"sgd"``, ``"momentum"``,
        ``"nesterov"``, ``"adam"``) or ``"polyak"``.
    steps : int
        Number of steps T, 1 to 2000.
    tol : float
        Convergence tolerance on the loss: a run has converged from step k on if, at every later
        step, ``f - f_min <= tol`` (when ``f_min`` is known) or both the gradient norm and the
        step length are ``<= sqrt(tol)`` (the gradient scale matching a loss gap of ``tol``).
    blowup_factor : float
        A run diverges when its loss gap ``f - f_min`` exceeds ``blowup_factor`` times the
        starting gap (without ``f_min``: when ``|f - f(x0)|`` exceeds
        ``blowup_factor * max(|f(x0)|, 1)``) ...
    position_limit : float
        ... or when ``|x|`` (its largest coordinate) exceeds ``position_limit``, or anything
        becomes inf/NaN.  The run is frozen at that step (``diverged_at``).

    Returns
    -------
    DescentResult

    Raises
    ------
    DescentError
        For bad input (never for numeric blow-up, which is a result).

    Examples
    --------
    Gradient descent on ``x^2/2`` from 4 with a slow, a perfect and a too-large rate:

    >>> from engine.surfaces import quadratic
    >>> res = run_descent(quadratic(), 4.0, [0.5, 1.0, 2.5], steps=3)
    >>> res.path[:, :, 0]
    array([[  4. ,   2. ,   1. ,   0.5],
           [  4. ,   0. ,   0. ,   0. ],
           [  4. ,  -6. ,   9. , -13.5]])
    >>> [str(v.kind) for v in res.verdicts]
    ['too slow', 'converged', 'diverged']
    >>> res.diverged_at.tolist()
    [-1, -1, -1]

    Given more steps, the loss gap of the last run passes ``blowup_factor`` = 1e8 times its start
    (``1.5^(2k) > 1e8``) at step 23, where it is frozen:

    >>> long = run_descent(quadratic(), 4.0, [2.5], steps=40)
    >>> long.diverged_at.tolist(), long.diverged_reason, long.verdicts[0].text
    ([23], ('blowup',), 'diverged at step 23: each step overshoots more than the last')
    """
    _check_surface(surface)
    steps, tol, factor, limit = _check_steps(steps, tol, blowup_factor, position_limit)
    start = _check_start(surface, x0, limit)
    opt = _check_optimizer(optimizer, surface)
    try:
        rates = np.asarray(lrs, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise DescentError("learning rates must be numbers") from None
    if not 1 <= rates.size <= MAX_RUNS:
        raise DescentError(f"give between 1 and {MAX_RUNS} learning rates, got {rates.size}")
    rates = np.array([_check_rate(v) for v in rates])
    path, loss, gnorm, trace, watch = _simulate(surface, start, rates, opt, steps, factor, limit)
    labels = tuple(_label(opt, float(v), short_sgd=True) for v in rates)
    verdicts = _verdicts(surface, path, loss, gnorm, watch.at, tol)
    return DescentResult(
        rates, path, loss, gnorm, trace, verdicts, labels, watch.at, tuple(watch.reason)
    )


def run_many(
    surface: Surface,
    x0: ArrayLike,
    configs: Sequence[tuple[_OptimizerLike, float]],
    *,
    steps: int = 50,
    tol: float = 1e-8,
    blowup_factor: float = DEFAULT_BLOWUP_FACTOR,
    position_limit: float = DEFAULT_POSITION_LIMIT,
    labels: Sequence[str] | None = None,
) -> DescentResult:
    """Several optimisers side by side: one run per ``(optimizer, lr)`` pair, in that order.

    Runs that share an optimiser are advanced together (one array axis); the loop is only over
    the handful of distinct optimisers.  Arguments as in :func:`run_descent`.

    Examples
    --------
    >>> from engine.surfaces import rosenbrock
    >>> res = run_many(rosenbrock(), (-1.2, 1.0), [("sgd", 1e-3), ("adam", 0.05), ("sgd", 2e-3)])
    >>> res.labels
    ('SGD, lr = 0.001', 'Adam, lr = 0.05', 'SGD, lr = 0.002')
    >>> res.path.shape
    (3, 51, 2)
    """
    _check_surface(surface)
    steps, tol, factor, limit = _check_steps(steps, tol, blowup_factor, position_limit)
    start = _check_start(surface, x0, limit)
    if not 1 <= len(configs) <= MAX_RUNS:
        raise DescentError(f"give between 1 and {MAX_RUNS} (optimizer, lr) pairs")
    opts: list[Optimizer | str] = []
    rates = np.empty(len(configs))
    for i, item in enumerate(configs):
        try:
            opt, lr = item
        except (TypeError, ValueError):
            raise DescentError("each config must be a pair (optimizer, learning rate)") from None
        opts.append(_check_optimizer(opt, surface))
        rates[i] = _check_rate(lr)
    if labels is not None and len(labels) != len(configs):
        raise DescentError("give one label per config")
    k, t1 = len(configs), steps + 1
    path = np.empty((k, t1, surface.dim))
    loss, gnorm, trace = np.empty((k, t1)), np.empty((k, t1)), np.empty((k, t1))
    at = np.empty(k, dtype=np.int64)
    reason = [""] * k
    groups: dict[Optimizer | str, list[int]] = {}
    for i, opt in enumerate(opts):
        groups.setdefault(opt, []).append(i)
    for opt, idx in groups.items():
        sel = np.array(idx)
        *out, watch = _simulate(surface, start, rates[sel], opt, steps, factor, limit)
        path[sel], loss[sel], gnorm[sel], trace[sel] = out
        at[sel] = watch.at
        for j, i in enumerate(idx):
            reason[i] = watch.reason[j]
    names = (
        tuple(labels)
        if labels is not None
        else tuple(_label(o, float(r), short_sgd=False) for o, r in zip(opts, rates, strict=True))
    )
    verdicts = _verdicts(surface, path, loss, gnorm, at, tol)
    return DescentResult(rates, path, loss, gnorm, trace, verdicts, names, at, tuple(reason))


# ----------------------------------------------------------------------------- verdicts


@dataclass(frozen=True)
class _Features:
    """What a verdict needs to know about one run: numbers measured from it (see
    :func:`_measure`), nothing decided yet."""

    steps: int  # T
    diverged_at: int  # NEVER if it did not
    fell: bool  # when it diverged: the loss had kept falling (or hit -inf)
    low: float  # the last loss before it diverged (-inf if it fell to -inf)
    converged: bool
    converged_at: int  # first step of the settled stretch (meaningful if converged)
    oscillating: bool
    at_saddle: bool  # the end point is a saddle (negative curvature sideways)
    small_grad: bool  # the gradient at the end is tiny (SMALL_GRAD)
    local: bool  # the nearest known minimum is a local one
    frac: float  # distance left / starting distance to the nearest minimum (NaN: none known)
    growing: bool  # loss (gap) above its start, envelope rising, not diverged
    growth: float  # loss gap at the end / at the start (inf if it started at 0)
    height: float  # loss gap left / starting gap (NaN if f* is unknown or the start gap is 0)
    x_end: np.ndarray  # last position
    nearest: np.ndarray | None  # nearest known minimum
    f_nearest: float  # loss there
    f_min: float | None  # the surface's lowest loss, if known
    loss_first: float
    loss_last: float
    loss_before_last: float
    grad_last: float
    step_last: float  # length of the last step
    dist_left: float  # distance to the nearest minimum (NaN: none known)


def _measure(
    surface: Surface,
    path: np.ndarray,
    loss: np.ndarray,
    gnorm: np.ndarray,
    diverged_at: np.ndarray,
    tol: float,
) -> tuple[_Features, ...]:
    """Measure every run; all the numbers are computed vectorised over the K runs."""
    k, t1, _ = path.shape
    t_max = t1 - 1
    ref = surface.f_min
    stol = math.sqrt(tol)
    blew = diverged_at >= 0
    with np.errstate(all="ignore"):
        steps_ = np.diff(path, axis=1)  # (K, T, P)
        slen = np.sqrt(np.sum(steps_ * steps_, axis=-1))  # (K, T)
        steplen = np.concatenate([np.zeros((k, 1)), slen], axis=1)  # length of step into t
        conv = (gnorm <= stol) & (steplen <= stol)
        if ref is not None:
            conv |= loss - ref <= tol
        suffix = np.logical_and.accumulate(conv[:, ::-1], axis=1)[:, ::-1]
        converged = suffix[:, -1] & ~blew
        conv_step = np.argmax(suffix, axis=1)

        # oscillation: consecutive steps with negative dot products, before the run settled
        end = np.where(converged, conv_step, np.where(blew, diverged_at, t_max))
        if t_max >= 2:
            dots = np.sum(steps_[:, :-1] * steps_[:, 1:], axis=-1)  # pair j -> reaches j + 2
            pair_end = np.arange(2, t_max + 1)[None, :]
            valid = (
                (pair_end <= end[:, None])
                & (slen[:, :-1] > 0)
                & (slen[:, 1:] > 0)
                & np.isfinite(dots)
            )
            n_valid = valid.sum(axis=1)
            n_neg = (valid & (dots < 0)).sum(axis=1)
            osc = (n_valid >= MIN_OSC_PAIRS) & (n_neg >= OSC_SHARE * np.maximum(n_valid, 1))
        else:
            osc = np.zeros(k, dtype=bool)

        # where each finished run ended up: curvature there, nearest known minimum
        x0, xt = path[:, 0], path[:, -1]
        finite_end = np.all(np.isfinite(xt), axis=-1)
        safe = np.where(finite_end[:, None], xt, x0)
        hess = surface.hess(safe)
        hess = np.where(np.isfinite(hess), hess, 0.0)
        eig = np.linalg.eigvalsh(hess)
        lam_min, lam_top = eig[:, 0], np.max(np.abs(eig), axis=-1)
        at_saddle = finite_end & (lam_min < -SADDLE_RTOL * np.maximum(lam_top, 1.0))
        small_grad = gnorm[:, -1] <= np.maximum(stol, SMALL_GRAD * gnorm[:, 0])

        minima = np.asarray(surface.minima, dtype=np.float64).reshape(-1, surface.dim)
        if minima.size:
            f_at_min = surface.f(minima)
            d_end = np.linalg.norm(safe[:, None, :] - minima[None], axis=-1)  # (K, m)
            nearest = np.argmin(d_end, axis=1)
            m_near = minima[nearest]
            dist_t = d_end[np.arange(k), nearest]
            dist_0 = np.linalg.norm(x0 - m_near, axis=-1)
            frac = np.where(dist_0 > 0, dist_t / np.where(dist_0 > 0, dist_0, 1.0), 0.0)
            f_near = f_at_min[nearest]
            slack = LOCAL_SLACK * (1.0 + abs(ref)) if ref is not None else 0.0
            local = (ref is not None) & (f_near > (ref if ref is not None else 0) + slack)
        else:
            m_near = None
            dist_t = frac = f_near = np.full(k, np.nan)
            local = np.zeros(k, dtype=bool)

        # visibly growing: loss gap (or loss) above its start, and its envelope rising
        half = t_max // 2
        gap = loss - ref if ref is not None else loss
        env = np.where(np.isnan(gap), -np.inf, np.abs(gap))
        head = np.max(env[:, : half + 1], axis=1)
        tail = np.max(env[:, half:], axis=1)
        growing = (gap[:, -1] > gap[:, 0]) & (tail > head) & ~converged & ~blew
        growth = np.where(
            gap[:, 0] > 0, gap[:, -1] / np.where(gap[:, 0] > 0, gap[:, 0], 1.0), np.inf
        )
        height = (
            np.where(gap[:, 0] > 0, gap[:, -1] / np.where(gap[:, 0] > 0, gap[:, 0], 1.0), np.nan)
            if ref is not None
            else np.full(k, np.nan)
        )

    out = []
    for i in range(k):  # only the loss before a blow-up is read per run
        fell, low = False, math.nan
        if blew[i]:
            b = int(diverged_at[i])
            seen = loss[i, : b + 1]
            fin = seen[np.isfinite(seen)]
            fell = bool(
                loss[i, b] == -np.inf or (fin.size >= 2 and fin[-1] < fin[0] and fin[-1] <= fin[-2])
            )
            low = float(fin[-1]) if np.isfinite(loss[i, b]) else -math.inf
        out.append(
            _Features(
                steps=t_max,
                diverged_at=int(diverged_at[i]) if blew[i] else NEVER,
                fell=fell,
                low=low,
                converged=bool(converged[i]),
                converged_at=int(conv_step[i]),
                oscillating=bool(osc[i]),
                at_saddle=bool(at_saddle[i]),
                small_grad=bool(small_grad[i]),
                local=bool(local[i]),
                frac=float(frac[i]),
                growing=bool(growing[i]),
                growth=float(growth[i]),
                height=float(height[i]),
                x_end=path[i, -1],
                nearest=None if m_near is None else m_near[i],
                f_nearest=float(f_near[i]),
                f_min=ref,
                loss_first=float(loss[i, 0]),
                loss_last=float(loss[i, -1]),
                loss_before_last=float(loss[i, -2]),
                grad_last=float(gnorm[i, -1]),
                step_last=float(slen[i, -1]),
                dist_left=float(dist_t[i]),
            )
        )
    return tuple(out)


def _classify(f: _Features) -> Kind:
    """The kind of a run, from its measured features and the thresholds above."""
    if f.diverged_at != NEVER:
        return Kind.UNBOUNDED if f.fell and not f.oscillating else Kind.DIVERGED
    if f.converged:
        if f.at_saddle:
            return Kind.SADDLE
        if f.local:
            return Kind.LOCAL_MIN
        if f.converged_at > 0 and f.oscillating:
            return Kind.OSCILLATING
        return Kind.CONVERGED
    if f.growing:
        return Kind.DIVERGED
    if f.at_saddle and f.small_grad:
        return Kind.SADDLE
    if f.local and f.frac <= NEAR_LOCAL:  # False for NaN: no minimum known
        return Kind.LOCAL_MIN
    if f.frac <= PRACTICALLY_THERE:
        return Kind.OSCILLATING if f.oscillating else Kind.CONVERGED
    if f.oscillating:
        return Kind.OSCILLATING
    return Kind.SLOW


def _pt(x: np.ndarray) -> str:
    if x.size == 1:
        return f"x = {fmt.num(x[0])}"
    return "(" + ", ".join(fmt.num(v) for v in x) + ")"


def _describe(f: _Features, kind: Kind) -> str:
    """The sentence a student reads, with the run's numbers."""
    t_max = f.steps
    overshoot = "each step overshoots more than the last"
    if f.diverged_at != NEVER:
        b = f.diverged_at
        if kind == Kind.UNBOUNDED:
            return (
                f"ran off to infinity at step {b} while the loss kept falling (to "
                f"{fmt.loss(f.low)}): there is no bottom in that direction"
            )
        why = overshoot if f.oscillating else "the steps keep growing and the loss explodes"
        return f"diverged at step {b}: {why}"
    if f.converged:
        c = f.converged_at
        if kind == Kind.SADDLE:
            return (
                f"stuck at a saddle point: after {c} steps the gradient vanished at "
                f"{_pt(f.x_end)}, but the surface still curves downhill sideways"
            )
        if kind == Kind.LOCAL_MIN:
            return (
                f"converged in {c} steps, but to a local minimum at {_pt(f.x_end)} (loss "
                f"{fmt.loss(f.loss_last)}; the lowest point has {fmt.loss(f.f_min)})"
            )
        if c == 0:
            return "already at the minimum: the gradient is zero, so nothing moves"
        if kind == Kind.OSCILLATING:
            return f"converged in {c} steps, zig-zagging across the minimum"
        return (
            "converged in a single step"
            if c == 1
            else f"converged in {c} steps, moving steadily downhill"
        )
    if kind == Kind.DIVERGED:  # growing
        size = (
            f"{fmt.factor(f.growth)}× its start" if math.isfinite(f.growth) else "above its start"
        )
        why = overshoot if f.oscillating else "each step moves further away"
        return f"diverging: after {t_max} steps the loss is {size} and growing; {why}"
    if kind == Kind.SADDLE:
        return (
            f"lingering at a saddle point near {_pt(f.x_end)}: the gradient there is tiny "
            f"({fmt.num(f.grad_last)}), so it takes many steps to slide off"
        )
    if kind == Kind.LOCAL_MIN:
        assert f.nearest is not None
        return (
            f"heading into a local minimum at {_pt(f.nearest)} (loss {fmt.loss(f.f_nearest)}; "
            f"the lowest point has {fmt.loss(f.f_min)})"
        )
    if not math.isnan(f.frac):
        where = f"{fmt.pct(f.frac)} of the way from the minimum"
    elif not math.isnan(f.height):
        where = f"{fmt.pct(f.height)} of its starting height above the minimum"
    else:
        where = None
    if f.frac <= PRACTICALLY_THERE:
        how = ", zig-zagging" if f.oscillating else ""
        return (
            f"after {t_max} steps only {fmt.pct(f.frac)} of the way to the minimum is left"
            f"{how}: practically there, though not yet to full precision"
        )
    if kind == Kind.OSCILLATING:
        return (
            f"after {t_max} steps still bouncing back and forth, {where}"
            if where
            else f"after {t_max} steps still zig-zagging, not settled"
        )
    if where is None:
        trend = "falling" if f.loss_last < f.loss_before_last else "changing"
        return (
            f"after {t_max} steps the loss went from {fmt.loss(f.loss_first)} to "
            f"{fmt.loss(f.loss_last)} and is still {trend}: not converged yet"
        )
    text = f"after {t_max} steps still {where}: too slow"
    if 0 < f.step_last < CRAWL * f.dist_left:
        text += (
            f" (the slope here is only {fmt.num(f.grad_last)}, so each step moves just "
            f"{fmt.num(f.step_last)})"
        )
    return text


def _verdicts(
    surface: Surface,
    path: np.ndarray,
    loss: np.ndarray,
    gnorm: np.ndarray,
    diverged_at: np.ndarray,
    tol: float,
) -> tuple[Verdict, ...]:
    """Measure, classify and describe every run."""
    out = []
    for f in _measure(surface, path, loss, gnorm, diverged_at, tol):
        kind = _classify(f)
        if f.diverged_at != NEVER:
            at = f.diverged_at
        elif f.converged:
            at = f.converged_at
        else:
            at = NEVER
        out.append(Verdict(kind, at, _describe(f, kind), f.converged, f.oscillating))
    return tuple(out)
