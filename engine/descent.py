"""Gradient descent on a loss surface, K learning rates at once, with a verdict in words.

:func:`run_descent` starts K runs from the same point, one per learning rate, and advances them
together: the position is one array of shape ``(K, dim)`` and every step is one call to the
shared optimiser core (:mod:`engine.optim`).  :func:`run_many` does the same for a list of
``(optimiser, learning rate)`` pairs, grouping the runs by optimiser.

Divergence is a result: once a run's loss, position or gradient is inf/NaN, ``|x|`` exceeds
``blowup``, or its loss grows to ``blowup`` times its starting gap, the run is frozen at that
step (later entries are NaN, so charts end there) while the other runs carry on untouched.
Nothing here warns or raises on numeric overflow.

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

from engine.optim import OPTIMIZERS, Optimizer, init_state, step
from engine.surfaces import Surface

__all__ = [
    "DescentError",
    "DescentResult",
    "Verdict",
    "VERDICT_KINDS",
    "POLYAK",
    "MAX_STEPS",
    "MAX_RUNS",
    "run_descent",
    "run_many",
]

POLYAK = "polyak"
MAX_STEPS = 2000
MAX_RUNS = 256

#: Every ``Verdict.kind``, roughly from best to worst.
VERDICT_KINDS: tuple[str, ...] = (
    "converged",
    "oscillating",
    "too slow",
    "local minimum",
    "stuck at saddle",
    "diverged",
    "unbounded",
)

OptimizerLike = Optimizer | str


class DescentError(ValueError):
    """Bad input to a descent run (with a message that can be shown to a student)."""


@dataclass(frozen=True)
class Verdict:
    """What happened in one run, in words computed from the run.

    Attributes
    ----------
    kind : str
        One of :data:`VERDICT_KINDS`: ``"converged"``, ``"oscillating"`` (zig-zags across the
        minimum, whether or not it converged), ``"too slow"``, ``"local minimum"``, ``"stuck at
        saddle"``, ``"diverged"`` (blew up, or is visibly growing) or ``"unbounded"`` (ran off
        to infinity while the loss kept falling: the surface has no bottom there).  A run
        that is practically there (under 1% of its starting distance to the minimum left) but
        has not met ``tol`` is ``"converged"`` (or ``"oscillating"``) with ``converged=False``.
    step : int or None
        The step at which the run converged (for the converging kinds) or blew up; None if
        neither happened within the run.
    text : str
        A short sentence for students, e.g. ``"diverged at step 7: each step overshoots more
        than the last"``.
    converged : bool
        The iterates settled (see :func:`run_descent` for the criterion).
    oscillating : bool
        Consecutive steps mostly pointed in opposite directions (negative dot products).
    """

    kind: str
    step: int | None
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
    blowup_step : ndarray (K,) of int
        Step at which the run blew up, or -1.
    """

    lrs: np.ndarray
    path: np.ndarray
    loss: np.ndarray
    grad_norm: np.ndarray
    lr_trace: np.ndarray
    verdicts: tuple[Verdict, ...]
    labels: tuple[str, ...]
    blowup_step: np.ndarray

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


def _check_start(surface: Surface, x0: ArrayLike, blowup: float) -> np.ndarray:
    try:
        x = np.asarray(x0, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise DescentError(f"the start point must be numbers, got {x0!r}") from None
    if x.shape != (surface.dim,):
        raise DescentError(
            f"the start point needs {surface.dim} coordinate(s) for this surface, got {x.size}"
        )
    if not np.all(np.isfinite(x)) or np.max(np.abs(x)) > blowup:
        raise DescentError("the start point must be finite and within the blow-up limit")
    with np.errstate(all="ignore"):
        f0 = surface.f(x[None, :])
        g0 = surface.grad(x[None, :])
    if not (np.all(np.isfinite(f0)) and np.all(np.isfinite(g0))):
        raise DescentError(
            "the loss or its gradient is not a finite number at the start point; "
            "pick a start where the function is defined"
        )
    return x


def _check_steps(steps: int, tol: float, blowup: float) -> tuple[int, float, float]:
    if isinstance(steps, bool) or not isinstance(steps, int | np.integer):
        raise DescentError(f"steps must be a whole number, got {steps!r}")
    if not 1 <= int(steps) <= MAX_STEPS:
        raise DescentError(f"steps must lie between 1 and {MAX_STEPS}, got {steps}")
    try:
        tol, blowup = float(tol), float(blowup)
    except (TypeError, ValueError):
        raise DescentError("tol and blowup must be numbers") from None
    if not (0 < tol < 1 and math.isfinite(tol)):
        raise DescentError("tol must lie strictly between 0 and 1")
    if not (blowup > 1 and math.isfinite(blowup)):
        raise DescentError("blowup must be a finite number > 1")
    return int(steps), tol, blowup


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


def _check_optimizer(opt: OptimizerLike, surface: Surface) -> Optimizer | str:
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
        return f"Polyak × {lr:g}"
    assert isinstance(opt, Optimizer)
    if short_sgd and opt.name == "sgd" and opt.hypergrad is None:
        return f"lr = {lr:g}"
    return f"{opt.label}, lr = {lr:g}"


# ----------------------------------------------------------------------------- the runner


def _simulate(
    surface: Surface,
    x0: np.ndarray,
    lrs: np.ndarray,
    opt: Optimizer | str,
    steps: int,
    blowup: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Advance K runs together; returns path, loss, grad_norm, lr_trace, blowup_step."""
    k, p, t_max = lrs.size, surface.dim, steps
    x = np.repeat(x0[None, :], k, axis=0)
    path = np.full((k, t_max + 1, p), np.nan)
    loss = np.full((k, t_max + 1), np.nan)
    gnorm = np.full((k, t_max + 1), np.nan)
    trace = np.full((k, t_max + 1), np.nan)
    blow = np.full(k, -1, dtype=np.int64)
    ref = surface.f_min
    with np.errstate(all="ignore"):
        fx = surface.f(x)
        g = surface.grad(x)
        path[:, 0], loss[:, 0] = x, fx
        gnorm[:, 0] = np.sqrt(np.sum(g * g, axis=-1))
        f0 = fx.copy()
        if ref is not None:
            gap0 = f0 - ref
            limit = np.where(gap0 > 0, blowup * gap0, np.inf)
        else:
            limit = blowup * np.maximum(np.abs(f0), 1.0)
        alive = np.ones(k, dtype=bool)
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
            growth = (fx - ref > limit) if ref is not None else (np.abs(fx - f0) > limit)
            bad = (
                ~np.isfinite(fx)
                | ~np.all(np.isfinite(x), axis=-1)
                | ~np.all(np.isfinite(g), axis=-1)
                | (np.max(np.abs(x), axis=-1) > blowup)
                | growth
            )
            new = alive & bad
            if new.any():
                blow[new] = t
                alive &= ~new
                if not alive.any():
                    break
        trace[:, 0] = trace[:, 1]
    dead = np.arange(t_max + 1)[None, :] > np.where(blow >= 0, blow, t_max + 1)[:, None]
    path[dead] = np.nan
    loss[dead] = np.nan
    gnorm[dead] = np.nan
    trace[dead] = np.nan
    return path, loss, gnorm, trace, blow


def run_descent(
    surface: Surface,
    x0: ArrayLike,
    lrs: ArrayLike,
    *,
    optimizer: OptimizerLike = "sgd",
    steps: int = 50,
    tol: float = 1e-8,
    blowup: float = 1e8,
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
    blowup : float
        A run is stopped when ``|x|`` exceeds ``blowup`` or its loss gap ``f - f_min`` exceeds
        ``blowup`` times the starting gap (without ``f_min``: when ``|f - f(x0)|`` exceeds
        ``blowup * max(|f(x0)|, 1)``), or anything becomes inf/NaN.

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
    >>> [v.kind for v in res.verdicts]
    ['too slow', 'converged', 'diverged']
    """
    _check_surface(surface)
    steps, tol, blowup = _check_steps(steps, tol, blowup)
    start = _check_start(surface, x0, blowup)
    opt = _check_optimizer(optimizer, surface)
    try:
        rates = np.asarray(lrs, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise DescentError("learning rates must be numbers") from None
    if not 1 <= rates.size <= MAX_RUNS:
        raise DescentError(f"give between 1 and {MAX_RUNS} learning rates, got {rates.size}")
    rates = np.array([_check_rate(v) for v in rates])
    path, loss, gnorm, trace, blow = _simulate(surface, start, rates, opt, steps, blowup)
    labels = tuple(_label(opt, float(v), short_sgd=True) for v in rates)
    verdicts = _verdicts(surface, path, loss, gnorm, blow, tol)
    return DescentResult(rates, path, loss, gnorm, trace, verdicts, labels, blow)


def run_many(
    surface: Surface,
    x0: ArrayLike,
    configs: Sequence[tuple[OptimizerLike, float]],
    *,
    steps: int = 50,
    tol: float = 1e-8,
    blowup: float = 1e8,
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
    steps, tol, blowup = _check_steps(steps, tol, blowup)
    start = _check_start(surface, x0, blowup)
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
    blow = np.empty(k, dtype=np.int64)
    groups: dict[Optimizer | str, list[int]] = {}
    for i, opt in enumerate(opts):
        groups.setdefault(opt, []).append(i)
    for opt, idx in groups.items():
        sel = np.array(idx)
        out = _simulate(surface, start, rates[sel], opt, steps, blowup)
        path[sel], loss[sel], gnorm[sel], trace[sel], blow[sel] = out
    names = (
        tuple(labels)
        if labels is not None
        else tuple(_label(o, float(r), short_sgd=False) for o, r in zip(opts, rates, strict=True))
    )
    verdicts = _verdicts(surface, path, loss, gnorm, blow, tol)
    return DescentResult(rates, path, loss, gnorm, trace, verdicts, names, blow)


# ----------------------------------------------------------------------------- verdicts


def _pt(x: np.ndarray) -> str:
    if x.size == 1:
        return f"x = {x[0]:.3g}"
    return "(" + ", ".join(f"{v:.3g}" for v in x) + ")"


def _pct(frac: float) -> str:
    v = 100.0 * frac
    return f"{v:.0f}%" if v >= 1 else f"{v:.2g}%"


def _verdicts(
    surface: Surface,
    path: np.ndarray,
    loss: np.ndarray,
    gnorm: np.ndarray,
    blow: np.ndarray,
    tol: float,
) -> tuple[Verdict, ...]:
    """Classify every run; all the numbers are computed vectorised, only the wording per run."""
    k, t1, _ = path.shape
    t_max = t1 - 1
    ref = surface.f_min
    stol = math.sqrt(tol)
    with np.errstate(all="ignore"):
        steps_ = np.diff(path, axis=1)  # (K, T, P)
        slen = np.sqrt(np.sum(steps_ * steps_, axis=-1))  # (K, T)
        steplen = np.concatenate([np.zeros((k, 1)), slen], axis=1)  # length of step into t
        conv = (gnorm <= stol) & (steplen <= stol)
        if ref is not None:
            conv |= loss - ref <= tol
        suffix = np.logical_and.accumulate(conv[:, ::-1], axis=1)[:, ::-1]
        converged = suffix[:, -1] & (blow < 0)
        conv_step = np.argmax(suffix, axis=1)

        # oscillation: consecutive steps with negative dot products, before the run settled
        end = np.where(converged, conv_step, np.where(blow >= 0, blow, t_max))
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
            osc = (n_valid >= 2) & (n_neg >= 0.3 * np.maximum(n_valid, 1))
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
        at_saddle = finite_end & (lam_min < -1e-8 * np.maximum(lam_top, 1.0))
        small_grad = gnorm[:, -1] <= np.maximum(stol, 1e-3 * gnorm[:, 0])

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
            slack = 1e-6 * (1.0 + abs(ref)) if ref is not None else 0.0
            local = (ref is not None) & (f_near > (ref if ref is not None else 0) + slack)
        else:
            m_near = dist_t = frac = f_near = None
            local = np.zeros(k, dtype=bool)

        # visibly growing: loss gap (or loss) above its start, and its envelope rising
        half = t_max // 2
        gap = loss - ref if ref is not None else loss
        env = np.where(np.isnan(gap), -np.inf, np.abs(gap))
        head = np.max(env[:, : half + 1], axis=1)
        tail = np.max(env[:, half:], axis=1)
        growing = (gap[:, -1] > gap[:, 0]) & (tail > head) & ~converged & (blow < 0)

    out = []
    for i in range(k):
        o = bool(osc[i])
        if blow[i] >= 0:
            b = int(blow[i])
            seen = loss[i, : b + 1]
            fin = seen[np.isfinite(seen)]
            fell = loss[i, b] == -np.inf or (
                fin.size >= 2 and fin[-1] < fin[0] and fin[-1] <= fin[-2]
            )
            if fell and not o:
                low = fin[-1] if np.isfinite(loss[i, b]) else -np.inf
                out.append(
                    Verdict(
                        "unbounded",
                        b,
                        f"ran off to infinity at step {b} while the loss kept falling (to "
                        f"{low:.3g}): there is no bottom in that direction",
                        False,
                        o,
                    )
                )
            else:
                why = (
                    "each step overshoots more than the last"
                    if o
                    else "the steps keep growing and the loss explodes"
                )
                out.append(Verdict("diverged", b, f"diverged at step {b}: {why}", False, o))
            continue
        xt_i = path[i, -1]
        if converged[i]:
            c = int(conv_step[i])
            if at_saddle[i]:
                out.append(
                    Verdict(
                        "stuck at saddle",
                        c,
                        f"stuck at a saddle point: after {c} steps the gradient vanished at "
                        f"{_pt(xt_i)}, but the surface still curves downhill sideways",
                        True,
                        o,
                    )
                )
            elif local[i]:
                out.append(
                    Verdict(
                        "local minimum",
                        c,
                        f"converged in {c} steps, but to a local minimum at {_pt(xt_i)} (loss "
                        f"{loss[i, -1]:.3g}; the lowest point has {ref:.3g})",
                        True,
                        o,
                    )
                )
            elif c == 0:
                out.append(
                    Verdict(
                        "converged",
                        0,
                        "already at the minimum: the gradient is zero, so nothing moves",
                        True,
                        o,
                    )
                )
            elif o:
                out.append(
                    Verdict(
                        "oscillating",
                        c,
                        f"converged in {c} steps, zig-zagging across the minimum",
                        True,
                        o,
                    )
                )
            else:
                text = (
                    "converged in a single step"
                    if c == 1
                    else f"converged in {c} steps, moving steadily downhill"
                )
                out.append(Verdict("converged", c, text, True, o))
            continue
        if growing[i]:
            ratio = gap[i, -1] / gap[i, 0] if gap[i, 0] > 0 else np.inf
            size = f"{ratio:.3g}× its start" if np.isfinite(ratio) else "above its start"
            why = "each step overshoots more than the last" if o else "each step moves further away"
            out.append(
                Verdict(
                    "diverged",
                    None,
                    f"diverging: after {t_max} steps the loss is {size} and growing; {why}",
                    False,
                    o,
                )
            )
            continue
        if at_saddle[i] and small_grad[i]:
            out.append(
                Verdict(
                    "stuck at saddle",
                    None,
                    f"lingering at a saddle point near {_pt(xt_i)}: the gradient there is tiny "
                    f"({gnorm[i, -1]:.2g}), so it takes many steps to slide off",
                    False,
                    o,
                )
            )
            continue
        if frac is not None and local[i] and frac[i] <= 0.1:
            out.append(
                Verdict(
                    "local minimum",
                    None,
                    f"heading into a local minimum at {_pt(m_near[i])} (loss {f_near[i]:.3g}; "
                    f"the lowest point has {ref:.3g})",
                    False,
                    o,
                )
            )
            continue
        if frac is not None:
            where = f"{_pct(frac[i])} of the way from the minimum"
        elif ref is not None and gap[i, 0] > 0:
            where = f"{_pct(gap[i, -1] / gap[i, 0])} of its starting height above the minimum"
        else:
            where = None
        if frac is not None and frac[i] <= 0.01:
            how = ", zig-zagging" if o else ""
            text = (
                f"after {t_max} steps only {_pct(frac[i])} of the way to the minimum is left"
                f"{how}: practically there, though not yet to full precision"
            )
            out.append(Verdict("oscillating" if o else "converged", None, text, False, o))
            continue
        if o:
            text = (
                f"after {t_max} steps still bouncing back and forth, {where}"
                if where
                else f"after {t_max} steps still zig-zagging, not settled"
            )
            out.append(Verdict("oscillating", None, text, False, o))
            continue
        if where is None:
            trend = "falling" if loss[i, -1] < loss[i, -2] else "changing"
            text = (
                f"after {t_max} steps the loss went from {loss[i, 0]:.3g} to {loss[i, -1]:.3g} "
                f"and is still {trend}: not converged yet"
            )
        else:
            text = f"after {t_max} steps still {where}: too slow"
            last = slen[i, -1]
            if dist_t is not None and 0 < last < 0.01 * dist_t[i]:
                text += (
                    f" (the slope here is only {gnorm[i, -1]:.2g}, so each step moves just "
                    f"{last:.2g})"
                )
        out.append(Verdict("too slow", None, text, False, o))
    return tuple(out)
