"""Learning-rate schedules: the rate (and, for cyclical policies, the momentum) per iteration.

Every schedule is a small frozen dataclass with two vectorised methods:

* ``lr(t)``: the learning rate at iteration(s) ``t`` (a scalar or an integer array, counted
  from 0, one per optimiser step) as a float ndarray of the same shape;
* ``momentum(t)``: the momentum at iteration(s) ``t`` for the policies that cycle it
  (:class:`Cyclic` and :class:`OneCycle` with ``cycle_momentum=True``), ``None`` otherwise.

A schedule is also callable (``sched(t) == sched.lr(t)``), so it can be handed to the trainer as
its ``schedule=`` argument.  ``t`` may be fractional (PyTorch allows ``step(epoch + i / n)``); it
must be ``>= 0``.

The definitions follow the published ones exactly (each class names its source):

============================  ===========================================================
:class:`Constant`             ``base_lr``
:class:`StepDecay`            torch ``StepLR``: ``base_lr * gamma ** floor(t / step_size)``
:class:`ExponentialDecay`     torch ``ExponentialLR``: ``base_lr * gamma ** t``
:class:`CosineWarmRestarts`   Loshchilov & Hutter SGDR (torch ``CosineAnnealingWarmRestarts``)
:class:`LinearWarmup`         torch ``LinearLR``, optionally chained (torch ``SequentialLR``)
:class:`Cyclic`               Smith 2017 / bckenstler CLR / torch ``CyclicLR``
:class:`OneCycle`             torch ``OneCycleLR`` (fastai-style 1cycle, Smith & Topin 2017)
============================  ===========================================================

:data:`SCHEDULES` is a registry for the UI: display name, default parameters and a one-line
description for students; :func:`make_schedule` builds a schedule from a registry key.
Bad parameters raise :class:`ValueError` with a message that can be shown to a student.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "Schedule",
    "Constant",
    "StepDecay",
    "ExponentialDecay",
    "CosineWarmRestarts",
    "LinearWarmup",
    "Cyclic",
    "OneCycle",
    "CYCLIC_MODES",
    "ScheduleInfo",
    "SCHEDULES",
    "make_schedule",
]

CYCLIC_MODES: tuple[str, ...] = ("triangular", "triangular2", "exp_range")


def _iters(t: ArrayLike) -> np.ndarray:
    """``t`` as a float64 array; rejects negative or non-finite iterations."""
    a = np.asarray(t, dtype=np.float64)
    if a.size and not (np.all(np.isfinite(a)) and np.min(a) >= 0):
        raise ValueError("iterations t must be finite and >= 0")
    return a


def _finite(name: str, value: float) -> float:
    v = float(value)
    if not math.isfinite(v):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    return v


def _positive(name: str, value: float) -> float:
    v = _finite(name, value)
    if v <= 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")
    return v


def _nonneg(name: str, value: float) -> float:
    v = _finite(name, value)
    if v < 0:
        raise ValueError(f"{name} must be >= 0, got {value!r}")
    return v


def _pos_int(name: str, value: int) -> int:
    if isinstance(value, bool) or int(value) != value or value < 1:
        raise ValueError(f"{name} must be a whole number >= 1, got {value!r}")
    return int(value)


class Schedule:
    """Base class: a learning rate (and optionally a momentum) per iteration.

    Subclasses implement :meth:`lr`; those that cycle the momentum override :meth:`momentum`.
    Calling a schedule is the same as calling its :meth:`lr` (the trainer's ``schedule=``).

    Examples
    --------
    >>> s = StepDecay(1.0, step_size=2, gamma=0.5)
    >>> s(np.arange(5)), s.momentum(3) is None
    (array([1.  , 1.  , 0.5 , 0.5 , 0.25]), True)
    """

    def lr(self, t: ArrayLike) -> np.ndarray:  # pragma: no cover - abstract
        """The learning rate at iteration(s) ``t``."""
        raise NotImplementedError

    def momentum(self, t: ArrayLike) -> np.ndarray | None:
        """The momentum at iteration(s) ``t``, or ``None`` if this schedule leaves it alone."""
        _iters(t)
        return None

    @property
    def cycles_momentum(self) -> bool:
        """Whether :meth:`momentum` returns values (rather than ``None``)."""
        return False

    def __call__(self, t: ArrayLike) -> np.ndarray:
        return self.lr(t)


@dataclass(frozen=True)
class Constant(Schedule):
    """A fixed learning rate: ``lr(t) = base_lr``.

    Examples
    --------
    >>> Constant(0.1).lr([0, 5, 10])
    array([0.1, 0.1, 0.1])
    """

    base_lr: float = 0.1

    def __post_init__(self) -> None:
        _nonneg("base_lr", self.base_lr)

    def lr(self, t: ArrayLike) -> np.ndarray:
        a = _iters(t)
        return np.full(a.shape, float(self.base_lr))


@dataclass(frozen=True)
class StepDecay(Schedule):
    """Step decay, as torch ``StepLR``: ``base_lr * gamma ** floor(t / step_size)``.

    The rate is multiplied by ``gamma`` every ``step_size`` iterations.

    Examples
    --------
    >>> StepDecay(1.0, step_size=10, gamma=0.5).lr([0, 9, 10, 25])
    array([1.  , 1.  , 0.5 , 0.25])
    """

    base_lr: float = 0.1
    step_size: int = 100
    gamma: float = 0.1

    def __post_init__(self) -> None:
        _nonneg("base_lr", self.base_lr)
        _pos_int("step_size", self.step_size)
        _positive("gamma (the drop factor)", self.gamma)

    def lr(self, t: ArrayLike) -> np.ndarray:
        a = _iters(t)
        return self.base_lr * self.gamma ** np.floor(a / self.step_size)


@dataclass(frozen=True)
class ExponentialDecay(Schedule):
    """Exponential decay, as torch ``ExponentialLR``: ``base_lr * gamma ** t``.

    Examples
    --------
    >>> ExponentialDecay(1.0, gamma=0.5).lr([0, 1, 3])
    array([1.   , 0.5  , 0.125])
    """

    base_lr: float = 0.1
    gamma: float = 0.99

    def __post_init__(self) -> None:
        _nonneg("base_lr", self.base_lr)
        _positive("gamma", self.gamma)

    def lr(self, t: ArrayLike) -> np.ndarray:
        a = _iters(t)
        with np.errstate(over="ignore", under="ignore"):
            return self.base_lr * np.power(self.gamma, a)


@dataclass(frozen=True)
class CosineWarmRestarts(Schedule):
    """Cosine annealing with warm restarts (SGDR; Loshchilov & Hutter, ICLR 2017).

    ``lr = eta_min + (eta_max - eta_min) * (1 + cos(pi * T_cur / T_i)) / 2``, where ``T_cur``
    counts iterations since the last restart and the i-th period lasts ``T_i = T_0 * T_mult**i``
    (torch ``CosineAnnealingWarmRestarts(T_0, T_mult, eta_min)``).  Restarts happen at
    ``T_0``, ``T_0 + T_0 T_mult``, ... and are computed exactly (integer boundaries, no
    floating-point logarithm as in torch's closed form).

    Parameters
    ----------
    eta_max : float
        The rate at the start of every period (torch: the optimiser's base rate).
    T_0 : int
        Length of the first period, in iterations.
    T_mult : int
        Each period is ``T_mult`` times the previous one (1 = equal periods).
    eta_min : float
        The floor reached at the end of each period.

    Examples
    --------
    >>> s = CosineWarmRestarts(1.0, T_0=4, T_mult=2)
    >>> s.lr([0, 2, 4, 8, 12]).round(4)  # restarts at 4 and 4 + 8 = 12
    array([1. , 0.5, 1. , 0.5, 1. ])
    """

    eta_max: float = 0.1
    T_0: int = 50
    T_mult: int = 1
    eta_min: float = 0.0

    def __post_init__(self) -> None:
        _nonneg("eta_max", self.eta_max)
        _pos_int("T_0", self.T_0)
        _pos_int("T_mult", self.T_mult)
        _nonneg("eta_min", self.eta_min)
        if self.eta_min > self.eta_max:
            raise ValueError("eta_min must not exceed eta_max")

    def restarts(self, until: float) -> np.ndarray:
        """Iterations ``<= until`` at which a new period starts (0 included).

        Examples
        --------
        >>> CosineWarmRestarts(1.0, T_0=10, T_mult=2).restarts(100)
        array([ 0, 10, 30, 70])
        """
        starts = [0]
        period = self.T_0
        while starts[-1] + period <= until:
            starts.append(starts[-1] + period)
            period *= self.T_mult
        return np.array(starts, dtype=np.int64)

    def _phase(self, a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(T_cur, T_i)`` for every iteration in ``a``."""
        if self.T_mult == 1:
            return np.mod(a, self.T_0), np.full(a.shape, float(self.T_0))
        starts = self.restarts(float(np.max(a)) if a.size else 0.0)
        n = np.searchsorted(starts, a, side="right") - 1
        t_i = self.T_0 * np.power(float(self.T_mult), n)
        return a - starts[n], t_i

    def lr(self, t: ArrayLike) -> np.ndarray:
        a = _iters(t)
        t_cur, t_i = self._phase(a)
        return self.eta_min + (self.eta_max - self.eta_min) * (1 + np.cos(np.pi * t_cur / t_i)) / 2


@dataclass(frozen=True)
class LinearWarmup(Schedule):
    """Linear warm-up, as torch ``LinearLR``, optionally followed by another schedule.

    For ``t < total_iters``: ``lr = base_lr * (s + (e - s) * t / total_iters)``; after that
    ``base_lr * e`` (torch ``LinearLR``) or, when ``then`` is given, ``then.lr(t - total_iters)``
    (torch ``SequentialLR([LinearLR(...), then], milestones=[total_iters])``: the next schedule
    starts from its own iteration 0).  ``base_lr`` defaults to ``then.lr(0)`` when chaining, so the
    warm-up climbs to where the next schedule begins (Goyal et al. 2017).  While warming up, the
    momentum is ``then.momentum(0)`` (if ``then`` cycles it).

    Parameters
    ----------
    base_lr : float or None
        The optimiser's rate (torch's ``base_lr``); ``None`` takes ``then.lr(0)``.
    start_factor, end_factor : float
        torch defaults 1/3 and 1.0.
    total_iters : int
        Warm-up length (torch default 5).
    then : Schedule or None

    Examples
    --------
    >>> LinearWarmup(1.0, start_factor=0.25, end_factor=1.0, total_iters=3).lr([0, 1, 2, 3, 9])
    array([0.25, 0.5 , 0.75, 1.  , 1.  ])
    >>> w = LinearWarmup(None, start_factor=0.5, total_iters=2, then=StepDecay(1.0, 2, 0.1))
    >>> w.lr([0, 1, 2, 3, 4]).round(6)
    array([0.5 , 0.75, 1.  , 1.  , 0.1 ])
    """

    base_lr: float | None = 0.1
    start_factor: float = 1.0 / 3.0
    end_factor: float = 1.0
    total_iters: int = 5
    then: Schedule | None = None

    def __post_init__(self) -> None:
        if self.base_lr is None and self.then is None:
            raise ValueError("a warm-up needs a base rate or a schedule to chain into")
        if self.base_lr is not None:
            _nonneg("base_lr", self.base_lr)
        s = _finite("start_factor", self.start_factor)
        e = _finite("end_factor", self.end_factor)
        if not (0 < s <= 1) or not (0 <= e <= 1):
            raise ValueError("start_factor must lie in (0, 1] and end_factor in [0, 1] (torch)")
        _pos_int("total_iters", self.total_iters)
        if self.then is not None and not isinstance(self.then, Schedule):
            raise ValueError("then must be a Schedule")

    @property
    def target_lr(self) -> float:
        """The rate the factors multiply (``base_lr``, or ``then.lr(0)`` when it is ``None``)."""
        if self.base_lr is not None:
            return float(self.base_lr)
        assert self.then is not None
        return float(self.then.lr(0))

    def lr(self, t: ArrayLike) -> np.ndarray:
        a = _iters(t)
        n = self.total_iters
        ramp = self.start_factor + (self.end_factor - self.start_factor) * np.minimum(a, n) / n
        out = self.target_lr * ramp
        if self.then is not None:
            after = a >= n
            if np.any(after):
                out = np.where(after, self.then.lr(np.where(after, a - n, 0.0)), out)
        return np.asarray(out, dtype=np.float64)

    @property
    def cycles_momentum(self) -> bool:
        return self.then is not None and self.then.cycles_momentum

    def momentum(self, t: ArrayLike) -> np.ndarray | None:
        a = _iters(t)
        if not self.cycles_momentum:
            return None
        assert self.then is not None
        m = self.then.momentum(np.where(a >= self.total_iters, a - self.total_iters, 0.0))
        return np.asarray(m, dtype=np.float64)


@dataclass(frozen=True)
class Cyclic(Schedule):
    """Cyclical learning rates (Smith, WACV 2017), as bckenstler/CLR and torch ``CyclicLR``.

    With ``step_size`` the half-cycle (torch ``step_size_up = step_size_down``)::

        cycle = floor(1 + t / (2 step_size))
        x     = |t / step_size - 2 cycle + 1|
        lr    = base_lr + (max_lr - base_lr) * max(0, 1 - x) * scale

    * ``"triangular"``:  ``scale = 1``;
    * ``"triangular2"``: ``scale = 1 / 2**(cycle - 1)``: the amplitude halves every cycle;
    * ``"exp_range"``:   ``scale = gamma**t``: the amplitude shrinks every iteration while
      ``base_lr`` stays fixed (bckenstler/CLR and torch).  The paper's wording, "each boundary
      value declines by an exponential factor of gamma^iteration", would instead scale *both*
      bounds; the reference code, which the paper's results came from, does not.

    ``step_size_down`` (torch) gives an asymmetric cycle; by default it equals ``step_size``.

    Momentum (torch ``cycle_momentum``) moves *inversely* to the rate: ``max_momentum`` when the
    rate is at ``base_lr``, ``base_momentum`` at the peak, with the same ``scale``
    (torch default 0.8..0.9).  Off by default here (torch: on), since plain SGD has none.

    Examples
    --------
    >>> c = Cyclic(0.1, 1.1, step_size=2)
    >>> c.lr([0, 1, 2, 3, 4, 6]).round(6)
    array([0.1, 0.6, 1.1, 0.6, 0.1, 1.1])
    >>> Cyclic(0.0, 1.0, 2, mode="triangular2").lr([2, 6, 10]).round(6)
    array([1.  , 0.5 , 0.25])
    >>> Cyclic(0.1, 1.1, 2, cycle_momentum=True).momentum([0, 1, 2]).round(6)
    array([0.9 , 0.85, 0.8 ])
    """

    base_lr: float = 0.01
    max_lr: float = 0.1
    step_size: float = 50
    mode: str = "triangular"
    gamma: float = 1.0
    step_size_down: float | None = None
    cycle_momentum: bool = False
    base_momentum: float = 0.8
    max_momentum: float = 0.9

    def __post_init__(self) -> None:
        _nonneg("base_lr", self.base_lr)
        _finite("max_lr", self.max_lr)
        if self.max_lr < self.base_lr:
            raise ValueError(
                f"max_lr ({self.max_lr:g}) must be at least base_lr ({self.base_lr:g})"
            )
        _positive("step_size", self.step_size)
        if self.step_size_down is not None:
            _positive("step_size_down", self.step_size_down)
        if self.mode not in CYCLIC_MODES:
            raise ValueError(f"unknown cyclic mode {self.mode!r}; choose one of {CYCLIC_MODES}")
        g = _finite("gamma", self.gamma)
        if not 0 < g <= 1:
            raise ValueError("gamma must lie in (0, 1]")
        if self.cycle_momentum:
            bm = _finite("base_momentum", self.base_momentum)
            mm = _finite("max_momentum", self.max_momentum)
            if not 0 <= bm <= mm < 1:
                raise ValueError("need 0 <= base_momentum <= max_momentum < 1")

    @property
    def cycle_length(self) -> float:
        """Iterations per full cycle (up + down)."""
        down = self.step_size if self.step_size_down is None else self.step_size_down
        return float(self.step_size + down)

    def _shape(self, a: np.ndarray) -> np.ndarray:
        """``max(0, 1 - x) * scale`` in [0, 1] (torch's ``scale_factor * scale_fn``)."""
        total = self.cycle_length
        ratio = self.step_size / total
        cycle = np.floor(1 + a / total)
        x = 1.0 + a / total - cycle
        tri = np.where(x <= ratio, x / ratio, (x - 1.0) / (ratio - 1.0))
        if self.mode == "triangular2":
            scale = 1.0 / np.power(2.0, cycle - 1)
        elif self.mode == "exp_range":
            with np.errstate(under="ignore"):
                scale = np.power(self.gamma, a)
        else:
            scale = 1.0
        return tri * scale

    def lr(self, t: ArrayLike) -> np.ndarray:
        a = _iters(t)
        return self.base_lr + (self.max_lr - self.base_lr) * self._shape(a)

    @property
    def cycles_momentum(self) -> bool:
        return self.cycle_momentum

    def momentum(self, t: ArrayLike) -> np.ndarray | None:
        a = _iters(t)
        if not self.cycle_momentum:
            return None
        return self.max_momentum - (self.max_momentum - self.base_momentum) * self._shape(a)


def _anneal(start: np.ndarray, end: np.ndarray, pct: np.ndarray, how: str) -> np.ndarray:
    if how == "cos":
        return end + (start - end) / 2.0 * (np.cos(np.pi * pct) + 1.0)
    return (end - start) * pct + start


@dataclass(frozen=True)
class OneCycle(Schedule):
    """The 1cycle policy exactly as torch ``OneCycleLR`` (fastai-style; Smith & Topin 2017).

    ``initial = max_lr / div_factor`` and ``min_lr = initial / final_div_factor``.  Two phases
    (default): from ``initial`` up to ``max_lr`` over steps ``0 .. pct_start*total_steps - 1``,
    then down to ``min_lr`` at step ``total_steps - 1``.  ``three_phase=True`` (the paper's
    shape): up, back down to ``initial`` by step ``2*pct_start*total_steps - 2``, then
    annihilation down to ``min_lr``.  Within a phase the value moves by ``anneal``:
    ``'cos'``: ``end + (start - end)/2 * (1 + cos(pi * pct))``, or ``'linear'``.

    Momentum (``cycle_momentum``; torch default on, here off) moves inversely:
    ``max_momentum`` -> ``base_momentum`` while the rate rises, back to ``max_momentum`` after
    (torch defaults 0.85..0.95).

    Differences from torch, all at the edges: after ``total_steps - 1`` the rate stays at
    ``min_lr`` (torch raises past ``total_steps``); a phase of zero length (e.g.
    ``pct_start * total_steps == 1``) takes its end value instead of dividing by zero.

    Examples
    --------
    >>> s = OneCycle(max_lr=1.0, total_steps=100)
    >>> s.lr([0, 29, 99]).round(8).tolist()
    [0.04, 1.0, 4e-06]
    >>> s2 = OneCycle(1.0, 100, cycle_momentum=True)
    >>> s2.momentum([0, 29, 99]).round(6)
    array([0.95, 0.85, 0.95])
    """

    max_lr: float = 0.1
    total_steps: int = 300
    pct_start: float = 0.3
    div_factor: float = 25.0
    final_div_factor: float = 1e4
    anneal: str = "cos"
    three_phase: bool = False
    cycle_momentum: bool = False
    base_momentum: float = 0.85
    max_momentum: float = 0.95
    _phases: tuple[tuple[float, float, float, float, float], ...] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        _positive("max_lr", self.max_lr)
        if isinstance(self.total_steps, bool) or int(self.total_steps) != self.total_steps:
            raise ValueError("total_steps must be a whole number")
        if self.total_steps < 2:
            raise ValueError(f"total_steps must be at least 2, got {self.total_steps}")
        p = _finite("pct_start", self.pct_start)
        if not 0 < p < 1:
            raise ValueError(f"pct_start must lie strictly between 0 and 1, got {p}")
        _positive("div_factor", self.div_factor)
        _positive("final_div_factor", self.final_div_factor)
        if self.anneal not in ("cos", "linear"):
            raise ValueError("anneal must be 'cos' or 'linear'")
        if self.cycle_momentum:
            bm = _finite("base_momentum", self.base_momentum)
            mm = _finite("max_momentum", self.max_momentum)
            if not 0 <= bm <= mm < 1:
                raise ValueError("need 0 <= base_momentum <= max_momentum < 1")
        n = int(self.total_steps)
        init, top = self.initial_lr, float(self.max_lr)
        low, bm, mm = self.min_lr, float(self.base_momentum), float(self.max_momentum)
        up_end = p * n - 1.0
        # (end_step, start_lr, end_lr, start_momentum, end_momentum), as torch builds them
        if self.three_phase:
            phases = (
                (up_end, init, top, mm, bm),
                (2.0 * p * n - 2.0, top, init, bm, mm),
                (n - 1.0, init, low, mm, mm),
            )
        else:
            phases = ((up_end, init, top, mm, bm), (n - 1.0, top, low, bm, mm))
        ends = [ph[0] for ph in phases]
        if any(b < a for a, b in zip(ends, ends[1:], strict=False)):
            raise ValueError(
                "pct_start too large for three phases: the warm-up and cool-down "
                "must fit in total_steps (use pct_start < 0.5)"
            )
        object.__setattr__(self, "_phases", phases)

    @property
    def initial_lr(self) -> float:
        """The starting rate, ``max_lr / div_factor``."""
        return float(self.max_lr) / float(self.div_factor)

    @property
    def min_lr(self) -> float:
        """The final rate, ``initial_lr / final_div_factor``."""
        return self.initial_lr / float(self.final_div_factor)

    @property
    def peak_step(self) -> float:
        """The step at which the rate reaches ``max_lr`` (``pct_start * total_steps - 1``)."""
        return self._phases[0][0]

    def _eval(self, t: ArrayLike, which: int) -> np.ndarray:
        a = np.minimum(_iters(t), self.total_steps - 1.0)
        out = np.empty(a.shape)
        done = np.zeros(a.shape, dtype=bool)
        start = 0.0
        for i, ph in enumerate(self._phases):
            end = ph[0]
            last = i == len(self._phases) - 1
            sel = ~done & ((a <= end) | last)
            if np.any(sel):
                s_val, e_val = ph[which], ph[which + 1]
                if end > start:
                    pct = (a[sel] - start) / (end - start)
                else:
                    pct = np.ones(int(sel.sum()))
                out[sel] = _anneal(s_val, e_val, pct, self.anneal)
                done |= sel
            start = end
        return out

    def lr(self, t: ArrayLike) -> np.ndarray:
        return self._eval(t, 1)

    @property
    def cycles_momentum(self) -> bool:
        return self.cycle_momentum

    def momentum(self, t: ArrayLike) -> np.ndarray | None:
        if not self.cycle_momentum:
            _iters(t)
            return None
        return self._eval(t, 3)


@dataclass(frozen=True)
class ScheduleInfo:
    """A registry entry for the UI.

    Attributes
    ----------
    key : str
    label : str
        Display name.
    factory : callable
        Builds the schedule from keyword parameters.
    defaults : Mapping[str, Any]
        Parameters that already show the point (for a run of a few hundred iterations).
    description : str
        One line for students.
    source : str
        The published definition it follows.

    Examples
    --------
    >>> info = SCHEDULES["onecycle"]
    >>> info.label, info.source
    ('1cycle', 'torch OneCycleLR (fastai 1cycle, Smith & Topin 2017)')
    >>> info.make(max_lr=0.5).max_lr
    0.5
    """

    key: str
    label: str
    factory: Callable[..., Schedule]
    defaults: Mapping[str, Any]
    description: str
    source: str

    def make(self, **params: Any) -> Schedule:
        """The schedule with these parameters on top of the defaults."""
        return self.factory(**{**self.defaults, **params})


def _info(
    key: str, label: str, factory: Callable[..., Schedule], defaults: dict, desc: str, src: str
) -> ScheduleInfo:
    return ScheduleInfo(key, label, factory, MappingProxyType(defaults), desc, src)


def _cyclic(mode: str) -> Callable[..., Schedule]:
    def build(**kw: Any) -> Schedule:
        return Cyclic(mode=mode, **kw)

    return build


#: Registry of schedules for the UI, in display order.
SCHEDULES: Mapping[str, ScheduleInfo] = MappingProxyType(
    {
        i.key: i
        for i in (
            _info(
                "constant",
                "Constant",
                Constant,
                {"base_lr": 0.1},
                "The same learning rate at every step.",
                "-",
            ),
            _info(
                "step",
                "Step decay",
                StepDecay,
                {"base_lr": 0.1, "step_size": 100, "gamma": 0.1},
                "Divide the rate by a fixed factor every N steps.",
                "torch StepLR",
            ),
            _info(
                "exponential",
                "Exponential decay",
                ExponentialDecay,
                {"base_lr": 0.1, "gamma": 0.99},
                "Shrink the rate by the same small factor at every step.",
                "torch ExponentialLR",
            ),
            _info(
                "sgdr",
                "Cosine with warm restarts (SGDR)",
                CosineWarmRestarts,
                {"eta_max": 0.1, "T_0": 50, "T_mult": 2, "eta_min": 0.0},
                "Glide the rate down along a cosine, then jump back up and start again.",
                "Loshchilov & Hutter SGDR (torch CosineAnnealingWarmRestarts)",
            ),
            _info(
                "warmup",
                "Linear warm-up",
                LinearWarmup,
                {"base_lr": 0.1, "start_factor": 1.0 / 3.0, "end_factor": 1.0, "total_iters": 20},
                "Start gently at a fraction of the rate and ramp up to it in a straight line.",
                "torch LinearLR",
            ),
            _info(
                "triangular",
                "Triangular (CLR)",
                _cyclic("triangular"),
                {"base_lr": 0.01, "max_lr": 0.1, "step_size": 50},
                "Bounce the rate up and down between two bounds in straight lines.",
                "Smith 2017 / bckenstler CLR / torch CyclicLR",
            ),
            _info(
                "triangular2",
                "Triangular2 (CLR)",
                _cyclic("triangular2"),
                {"base_lr": 0.01, "max_lr": 0.1, "step_size": 50},
                "Like triangular, but each cycle climbs only half as high as the last.",
                "Smith 2017 / bckenstler CLR / torch CyclicLR",
            ),
            _info(
                "exp_range",
                "Exp-range (CLR)",
                _cyclic("exp_range"),
                {"base_lr": 0.01, "max_lr": 0.1, "step_size": 50, "gamma": 0.995},
                "Like triangular, but the peaks shrink a little at every step.",
                "bckenstler CLR / torch CyclicLR",
            ),
            _info(
                "onecycle",
                "1cycle",
                OneCycle,
                {"max_lr": 0.1, "total_steps": 300},
                "One big cycle: warm up to a high rate, then anneal far below where you started.",
                "torch OneCycleLR (fastai 1cycle, Smith & Topin 2017)",
            ),
        )
    }
)


def make_schedule(key: str, **params: Any) -> Schedule:
    """Build the schedule registered under ``key`` with ``params`` over its defaults.

    Examples
    --------
    >>> make_schedule("triangular2", max_lr=0.2)
    Cyclic(base_lr=0.01, max_lr=0.2, step_size=50, mode='triangular2', gamma=1.0, step_size_down=None, cycle_momentum=False, base_momentum=0.8, max_momentum=0.9)
    """
    if key not in SCHEDULES:
        raise ValueError(f"unknown schedule {key!r}; choose one of {tuple(SCHEDULES)}")
    return SCHEDULES[key].make(**params)
