"""The learning-rate range test: raise the rate every iteration and watch the loss.

Smith (WACV 2017, section 3.3) trains for a few epochs while the learning rate grows from a
tiny to a huge value, and reads two numbers off the curve: where the loss *starts to fall*
and where it *stops falling or turns ragged*.  fastai's ``lr_find``, davidtvs/pytorch-lr-finder
and Lightning's ``Tuner.lr_find`` automate it.  This module does the same on the engine's real
models (:func:`engine.train.train`), on a copy of the parameters.

Pieces (all pure numpy, usable on any recorded curve):

* :func:`lr_ramp`: the rates, first exactly ``min_lr``, last exactly ``max_lr``;
* :func:`smooth_loss`: fastai's bias-corrected exponential moving average (``S_0 = L_0``);
* :func:`divergence_index`: the early-stop rule (smoothed loss above ``stop_factor`` times the
  best smoothed loss so far);
* :class:`RangeTestResult`: the run, with one method per suggestion rule (each returns a
  :class:`Suggestion`, or says in words why it cannot answer);
* :func:`range_test`: runs it.

Where this does better than the well-known tools (see ``reference/range_test.md``):
the smoothing is seeded and bias-corrected (no artefact at the start, Lightning #14167); the
model is always a copy (pytorch-lr-finder #11, Lightning #6675); the curve is cut at the first
non-finite value before any suggestion (fastai PR #3477); short runs and curves that never
descend (or never diverge) give ``lr=None`` and a reason instead of an invented number
(pytorch-lr-finder #52, Lightning PR #21923, fastai's ``valley`` returning the *last* rate on a
rising curve); the steepest-slope rule uses the slope per unit log-LR in both ramp modes and is
measured over a small window (Lightning #21141); validation loss and accuracy can be recorded
along the way, as Smith plotted accuracy (Lightning #1975).

A caveat the learner should see: the smoothed curve is a *causal* moving average, so it lags the
raw batch losses by up to ``beta / (1 - beta)`` iterations (49 for ``beta = 0.98``).  The fastai
rules (``min_over_10``, ``valley``, ``steepest``) read the smoothed curve, as fastai does; Smith's
rule (:meth:`RangeTestResult.smith`) reads a centred running median of the raw losses, which
does not lag.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view
from numpy.typing import ArrayLike

from engine import _watch, fmt
from engine.data import Dataset
from engine.models import ModelSpec
from engine.optim import Optimizer
from engine.verdict import NEVER

__all__ = [
    "DESCENT_TOL",
    "MAX_ITERS",
    "MIN_POINTS",
    "RAGGED_FLOOR",
    "RAMP_MODES",
    "RULES",
    "SKIP_END",
    "STEEP_WINDOW",
    "lr_ramp",
    "smooth_loss",
    "divergence_index",
    "DivergenceStop",
    "Suggestion",
    "SmithBounds",
    "RangeTestResult",
    "range_test",
]

#: Longest range test allowed (iterations).
MAX_ITERS = 2000
RAMP_MODES: tuple[str, ...] = ("exponential", "linear")
#: the suggestion rules, in the order :meth:`RangeTestResult.suggestions` answers them
RULES: tuple[str, ...] = (
    "steepest",
    "minimum / 10",
    "valley",
    "Smith: start",
    "Smith: max",
    "Smith: min",
)

#: fastai drops the last 5 points before suggesting (the run's divergent tail).
SKIP_END = 5
#: Fewest points a rule needs after skipping.
MIN_POINTS = 5
#: Half-width of the steepest-slope window, as a fraction of the planned iterations.
STEEP_WINDOW = 0.05
#: Jumps smaller than this fraction of the total drop never count as ragged.
RAGGED_FLOOR = 0.05
#: A curve "descends" when its smoothed loss falls this fraction below its starting level.
DESCENT_TOL = 0.02


# ----------------------------------------------------------------------------- arrays


def lr_ramp(min_lr: float, max_lr: float, n: int, mode: str = "exponential") -> np.ndarray:
    """``n`` learning rates rising from ``min_lr`` to ``max_lr`` (both exactly included).

    With ``r = i / (n - 1)`` (the pytorch-lr-finder convention, also Smith's linear ramp):
    ``"exponential"``: ``min_lr * (max_lr / min_lr) ** r``; ``"linear"``:
    ``min_lr + r * (max_lr - min_lr)``.  (fastai's ``SchedExp`` uses ``r = i / n`` in
    ``lr_find``, so its last rate stops one rung short of ``end_lr``; Lightning uses
    ``r = (i + 1) / n`` after the first step, skipping the rung at ``1 / n``.)

    Examples
    --------
    fastai's ``SchedExp(1, 2)`` at positions 0, .25, .5, .75, 1:

    >>> lr_ramp(1.0, 2.0, 5).round(5)
    array([1.     , 1.18921, 1.41421, 1.68179, 2.     ])
    >>> lr_ramp(0.0, 1.0, 3, "linear")
    array([0. , 0.5, 1. ])
    """
    if mode not in RAMP_MODES:
        raise ValueError(f"mode must be one of {RAMP_MODES}, got {mode!r}")
    if isinstance(n, bool) or int(n) != n or n < 2:
        raise ValueError(f"a ramp needs at least 2 points, got {n!r}")
    n = int(n)
    lo, hi = float(min_lr), float(max_lr)
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError("min_lr and max_lr must be finite numbers")
    if not hi > lo:
        raise ValueError(f"max_lr ({hi:g}) must be larger than min_lr ({lo:g})")
    r = np.arange(n) / (n - 1)
    if mode == "exponential":
        if lo <= 0:
            raise ValueError("an exponential ramp needs min_lr > 0 (use 'linear' to start at 0)")
        out = lo * (hi / lo) ** r
    else:
        if lo < 0:
            raise ValueError("min_lr must be >= 0")
        out = lo + r * (hi - lo)
    out[0], out[-1] = lo, hi
    return out


def _ema_step(v: float, loss: float, beta: float, i: int) -> tuple[float, float]:
    """One step of fastai's ``AvgSmoothLoss``: ``(new v, smoothed value)``.

    ``S_0 = v_0 / (1 - beta)`` is ``L_0`` in exact arithmetic; it is returned as ``L_0``
    itself so that no rounding creeps in."""
    v = beta * v + (1.0 - beta) * loss
    return v, (loss if i == 0 else v / (1.0 - beta ** (i + 1)))


def _check_beta(beta: float) -> float:
    b = float(beta)
    if not (0.0 <= b < 1.0):
        raise ValueError(f"beta must lie in [0, 1), got {beta!r}")
    return b


def smooth_loss(loss: ArrayLike, beta: float = 0.98) -> np.ndarray:
    """Bias-corrected exponential moving average of the losses (fastai ``AvgSmoothLoss``).

    ``v_i = beta * v_{i-1} + (1 - beta) * L_i`` with ``v_{-1} = 0``, and
    ``S_i = v_i / (1 - beta ** (i + 1))``; so ``S_0 = L_0`` exactly and ``S_i`` is a weighted
    mean of ``L_0 .. L_i`` (plain EMA divided by ``1 - beta ** n``, n = points seen).  The curve
    is cut at the first non-finite loss: from there on ``S`` is NaN (as is any value that
    overflows).  Works along the last axis.

    Examples
    --------
    >>> smooth_loss([1.0, 3.0, 2.0], beta=0.5)
    array([1.        , 2.33333333, 2.14285714])
    >>> smooth_loss([1.0, np.inf, 1.0])
    array([ 1., nan, nan])
    """
    b = _check_beta(beta)
    L = np.asarray(loss, dtype=np.float64)
    flat = L.reshape(-1, L.shape[-1]) if L.ndim else L.reshape(1, 1)
    out = np.full(flat.shape, np.nan)
    with np.errstate(all="ignore"):
        for r in range(flat.shape[0]):
            v = 0.0
            for i, x in enumerate(flat[r]):
                v, s = _ema_step(v, float(x), b, i)
                if not math.isfinite(s):
                    break
                out[r, i] = s
    return out.reshape(L.shape)


def divergence_index(smooth: ArrayLike, stop_factor: float | None = 4.0) -> int:
    """First index where the run counts as diverged, or :data:`~engine.verdict.NEVER`.

    That is the first ``i`` where ``S_i > stop_factor * min(S_0 .. S_i)`` (fastai, Lightning:
    4; pytorch-lr-finder: 5), or where ``S_i`` is not finite (always, even with
    ``stop_factor=None``).  Assumes non-negative losses (cross-entropy, squared error).

    Examples
    --------
    >>> divergence_index([3.0, 2.0, 1.0, 3.0, 4.5, 9.0])
    4
    >>> divergence_index([3.0, 2.0, 1.0, 3.0, 4.5, 9.0], stop_factor=None)
    -1
    """
    s = np.asarray(smooth, dtype=np.float64).ravel()
    bad = ~np.isfinite(s)
    if stop_factor is not None:
        f = _check_stop_factor(stop_factor)
        best = np.minimum.accumulate(np.where(bad, np.inf, s))
        with np.errstate(invalid="ignore"):
            bad |= s > f * best
    hits = np.flatnonzero(bad)
    return int(hits[0]) if hits.size else NEVER


def _check_stop_factor(stop_factor: float | None) -> float | None:
    if stop_factor is None:
        return None
    f = float(stop_factor)
    if not (math.isfinite(f) and f > 1.0):
        raise ValueError(f"stop_factor must be a number > 1 (or None), got {stop_factor!r}")
    return f


class DivergenceStop:
    """The early-stop rule as a trainer ``stop_rule``: ``(t, batch_loss (K,)) -> bool (K,)``.

    Keeps, for every row, the same bias-corrected moving average as :func:`smooth_loss` (the
    same floating-point operations, so the two agree exactly) and flags a row at the first
    iteration where :func:`divergence_index` would.  Call it once per iteration, in order.

    Examples
    --------
    >>> rule = DivergenceStop(stop_factor=2.0, beta=0.0)
    >>> [bool(rule(t, np.array([x]))[0]) for t, x in enumerate([3.0, 1.0, 1.5, 2.5])]
    [False, False, False, True]
    """

    def __init__(self, stop_factor: float | None = 4.0, beta: float = 0.98) -> None:
        self.stop_factor = _check_stop_factor(stop_factor)
        self.beta = _check_beta(beta)
        self._v: np.ndarray | None = None
        self._best: np.ndarray | None = None
        self._dead: np.ndarray | None = None
        self._i = 0

    def __call__(self, t: int, batch_loss: np.ndarray) -> np.ndarray:
        x = np.atleast_1d(np.asarray(batch_loss, dtype=np.float64))
        if self._v is None:
            self._v = np.zeros(x.shape)
            self._best = np.full(x.shape, np.inf)
            self._dead = np.zeros(x.shape, dtype=bool)
        assert self._best is not None and self._dead is not None
        with np.errstate(all="ignore"):
            b = self.beta
            self._v = b * self._v + (1.0 - b) * x
            s = x if self._i == 0 else self._v / (1.0 - b ** (self._i + 1))
            bad = ~np.isfinite(s)
            self._best = np.where(bad, self._best, np.minimum(self._best, s))
            if self.stop_factor is not None:
                bad |= s > self.stop_factor * self._best
        self._i += 1
        new = bad & ~self._dead
        self._dead |= bad
        return new


# ----------------------------------------------------------------------------- suggestions


@dataclass(frozen=True)
class Suggestion:
    """One rule's answer.

    Attributes
    ----------
    lr : float or None
        The suggested learning rate, or ``None`` when the rule cannot answer on this run.
    index : int
        The iteration the rule points at (where to draw its marker on the curve), or
        :data:`~engine.verdict.NEVER` when there is none.  For ``min_over_10`` this is the
        minimum itself, while ``lr`` is a tenth of its rate.
    rule : str
        Short name of the rule.
    reason : str
        What the rule saw, in words (or why it gave no answer).

    Examples
    --------
    >>> Suggestion(None, NEVER, "valley", "the run is too short to judge").lr is None
    True
    """

    lr: float | None
    index: int
    rule: str
    reason: str


@dataclass(frozen=True)
class SmithBounds:
    """Smith's reading of a range test: where the loss starts to fall, and where it stops.

    Attributes
    ----------
    start : Suggestion
        The rate at which the loss starts to fall clearly (a lower bound worth trying).
    max_lr : Suggestion
        The rate at which the loss stops falling, turns ragged or starts to rise.
    min_lr : Suggestion
        Smith's rule of thumb for a cycle's lower bound: ``max_lr / 4`` (``lr``), up to
        ``max_lr / 3`` (see :attr:`min_range`).

    Examples
    --------
    >>> m = Suggestion(0.12, 40, "Smith: max", "the loss stops falling here")
    >>> SmithBounds(Suggestion(1e-3, 10, "Smith: start", ""), m, Suggestion(0.03, 30, "", "")).min_range
    (0.03, 0.04)
    """

    start: Suggestion
    max_lr: Suggestion
    min_lr: Suggestion

    @property
    def min_range(self) -> tuple[float, float] | None:
        """``(max_lr / 4, max_lr / 3)``, or ``None`` without a max."""
        if self.max_lr.lr is None:
            return None
        return self.max_lr.lr / 4.0, self.max_lr.lr / 3.0


def _rolling_median(x: np.ndarray, w: int) -> np.ndarray:
    """Centred running median over ``w`` (odd) points; the window shrinks at the ends."""
    h = w // 2
    n = x.shape[0]
    if n == 0:
        return x.copy()
    padded = np.concatenate([np.full(h, np.nan), x, np.full(h, np.nan)])
    win = np.sort(sliding_window_view(padded, 2 * h + 1), axis=1)  # NaN sorts last
    rows = np.arange(n)
    count = np.minimum(rows, h) + np.minimum(n - 1 - rows, h) + 1  # points in each window
    return 0.5 * (win[rows, (count - 1) // 2] + win[rows, count // 2])


def _local_slopes(x: np.ndarray, y: np.ndarray, h: int) -> np.ndarray:
    """Least-squares slope of ``y`` on ``x`` over the centred window ``i-h .. i+h``.

    Returns an array for the centres ``h .. n-h-1``.
    """
    xs = sliding_window_view(x, 2 * h + 1)
    ys = sliding_window_view(y, 2 * h + 1)
    xc = xs - xs.mean(axis=1, keepdims=True)
    yc = ys - ys.mean(axis=1, keepdims=True)
    return np.sum(xc * yc, axis=1) / np.sum(xc * xc, axis=1)


@dataclass(frozen=True, eq=False)
class RangeTestResult:
    """A finished range test: the rates, the losses, and rules that read them.

    All per-iteration arrays have length ``n`` = iterations actually run (the run may stop
    early); entry ``i`` is iteration ``i``: the batch loss measured *before* the update that
    used ``lrs[i]``.

    Attributes
    ----------
    lrs : ndarray (n,)
        Learning rate of every iteration (the ramp, cut where the run stopped).
    loss : ndarray (n,)
        Raw batch losses.
    smooth : ndarray (n,)
        :func:`smooth_loss` of ``loss`` (NaN from the first non-finite value on).
    val_iters : ndarray (m,) of int
        Updates done before each validation (0 = the initial model); empty without validation.
    val_loss, val_acc : ndarray (m,)
        Validation loss and accuracy there (accuracy NaN for a regression).
    diverged_at : int
        The iteration at which the run diverged and stopped early (the last one recorded),
        or :data:`~engine.verdict.NEVER` if it ran all ``num_iter`` iterations.
    stop_reason : str
        Why it stopped, in words (``""`` if it did not).
    mode : {"exponential", "linear"}
    min_lr, max_lr : float
        The ramp's ends.
    num_iter : int
        Iterations planned.
    beta : float
        Smoothing constant.
    stop_factor : float or None
        Early-stop factor.
    """

    lrs: np.ndarray
    loss: np.ndarray
    smooth: np.ndarray
    val_iters: np.ndarray
    val_loss: np.ndarray
    val_acc: np.ndarray
    diverged_at: int
    stop_reason: str
    mode: str
    min_lr: float
    max_lr: float
    num_iter: int
    beta: float = 0.98
    stop_factor: float | None = 4.0

    # ------------------------------------------------------------------ building

    @classmethod
    def from_losses(
        cls,
        lrs: ArrayLike,
        loss: ArrayLike,
        *,
        mode: str = "exponential",
        beta: float = 0.98,
        stop_factor: float | None = 4.0,
        val_iters: ArrayLike = (),
        val_loss: ArrayLike = (),
        val_acc: ArrayLike = (),
    ) -> RangeTestResult:
        """A result from a recorded curve, cut where :func:`range_test` would have stopped.

        ``lrs`` and ``loss`` are the planned rates and the losses measured at them (same
        length); the early-stop rule is applied exactly as during a run.

        Examples
        --------
        >>> lrs = lr_ramp(1e-3, 1.0, 8)
        >>> r = RangeTestResult.from_losses(lrs, [2, 2, 1.5, 1, 0.6, 0.5, 9, 50], beta=0.0)
        >>> r.diverged_at, r.loss.tolist()
        (6, [2.0, 2.0, 1.5, 1.0, 0.6, 0.5, 9.0])
        """
        lr_arr = np.asarray(lrs, dtype=np.float64).ravel()
        L = np.asarray(loss, dtype=np.float64).ravel()
        if lr_arr.shape != L.shape or L.size == 0:
            raise ValueError("lrs and loss must be non-empty and of the same length")
        if mode not in RAMP_MODES:
            raise ValueError(f"mode must be one of {RAMP_MODES}")
        S = smooth_loss(L, beta)
        stop = divergence_index(S, stop_factor)
        n = L.size if stop == NEVER else stop + 1
        reason = "" if stop == NEVER else _stop_words(L[stop], S[stop], stop_factor)
        vi = np.asarray(val_iters, dtype=np.int64).ravel()
        vl = np.asarray(val_loss, dtype=np.float64).ravel()
        va = np.asarray(val_acc, dtype=np.float64).ravel()
        if va.size == 0:
            va = np.full(vi.shape, np.nan)
        if not (vi.shape == vl.shape == va.shape):
            raise ValueError("val_iters, val_loss and val_acc must have the same length")
        keep = vi <= n
        return cls(
            lrs=_ro(lr_arr[:n]),
            loss=_ro(L[:n]),
            smooth=_ro(S[:n]),
            val_iters=_ro(vi[keep]),
            val_loss=_ro(vl[keep]),
            val_acc=_ro(va[keep]),
            diverged_at=stop,
            stop_reason=reason,
            mode=mode,
            min_lr=float(lr_arr[0]),
            max_lr=float(lr_arr[-1]),
            num_iter=int(L.size),
            beta=float(beta),
            stop_factor=None if stop_factor is None else float(stop_factor),
        )

    # ------------------------------------------------------------------ helpers

    @property
    def n(self) -> int:
        """Iterations recorded."""
        return int(self.loss.shape[0])

    @property
    def val_lrs(self) -> np.ndarray:
        """The rate of the last update before each validation (``lrs[0]`` before any)."""
        if self.val_iters.size == 0:
            return np.empty(0)
        return self.lrs[np.clip(self.val_iters - 1, 0, self.n - 1)]

    def _window(self) -> tuple[int, int, str]:
        """``(lo, hi, why)``: the fastai window ``[num_iter // 10, n - 5)``, cut at the first
        non-finite smoothed value; ``why`` is non-empty when it is too short to use."""
        lo = self.num_iter // 10
        bad = np.flatnonzero(~np.isfinite(self.smooth))
        end = self.n if bad.size == 0 else int(bad[0])
        hi = min(self.n - SKIP_END, end)
        if hi - lo < MIN_POINTS:
            return (
                lo,
                hi,
                f"the run is too short to judge: after skipping the first {lo} and the last "
                f"{SKIP_END} iterations (and any inf/NaN), fewer than {MIN_POINTS} points are "
                f"left (it recorded {self.n}); run more iterations or a wider range",
            )
        return lo, hi, ""

    def _never_descends(self, lo: int, hi: int) -> str:
        s = self.smooth[lo:hi]
        if s.min() < s[0] - DESCENT_TOL * abs(s[0]):
            return ""
        return (
            f"the smoothed loss never fell more than {fmt.pct(DESCENT_TOL)} below where it started "
            f"({fmt.loss(s[0])}): every rate from {fmt.rate(self.lrs[lo])} to "
            f"{fmt.rate(self.lrs[hi - 1])} is either too small to make progress in "
            f"{self.n} steps (raise max_lr or num_iter) or already too large (lower min_lr)"
        )

    # ------------------------------------------------------------------ the rules

    def min_over_10(self) -> Suggestion:
        """fastai's "minimum": the rate at the lowest smoothed loss, divided by 10.

        Read on ``smooth[num_iter // 10 : -5]`` cut at the first non-finite value (fastai
        ``lr_find``).  The marker (``index``) sits at the minimum itself.  The tenth leaves a
        margin, because by the minimum the rate is already so large that the loss is about to
        blow up (and the smoothed curve lags, so the true turning point came earlier).

        Examples
        --------
        >>> lrs = lr_ramp(1e-4, 1.0, 41)
        >>> loss = (np.log10(lrs) + 2) ** 2 + 1  # lowest at lr = 1e-2 (index 20)
        >>> s = RangeTestResult.from_losses(lrs, loss, beta=0.0).min_over_10()
        >>> round(s.lr, 6), s.index
        (0.001, 20)
        """
        rule = "minimum / 10"
        lo, hi, why = self._window()
        if why:
            return Suggestion(None, NEVER, rule, why)
        why = self._never_descends(lo, hi)
        if why:
            return Suggestion(None, NEVER, rule, why)
        k = lo + int(np.argmin(self.smooth[lo:hi]))
        lr = float(self.lrs[k])
        return Suggestion(
            lr / 10.0,
            k,
            rule,
            f"the smoothed loss is lowest ({fmt.loss(self.smooth[k])}) at lr = {fmt.rate(lr)}; a tenth "
            f"of that, {fmt.rate(lr / 10)}, stays safely below where the loss blows up",
        )

    def valley(self) -> Suggestion:
        """fastai's "valley" (the default of ``lr_find`` since fastai 2.4).

        On ``smooth[num_iter // 10 : -5]`` (cut at the first non-finite value) find the
        longest *decreasing subsequence* by dynamic programming: ``lds[i] = 1 + max lds[j]``
        over ``j < i`` with ``S_j > S_i``.  ``max_end`` is the first index with the largest
        ``lds``, ``max_start = max_end - lds[max_end]`` and, with
        ``sections = (max_end - max_start) / 3``, the answer is the rate at
        ``max_start + int(sections) + int(sections / 2)``: about half-way down the valley.
        Unlike fastai (which then points at the *last* rate), a curve that never descends
        gives no answer.

        Examples
        --------
        >>> lrs = lr_ramp(1e-4, 1.0, 40)
        >>> loss = np.r_[np.linspace(3, 1, 30), np.linspace(1.1, 2, 10)]
        >>> s = RangeTestResult.from_losses(lrs, loss, beta=0.0).valley()
        >>> s.index, round(s.lr, 5)
        (15, 0.00346)
        """
        rule = "valley"
        lo, hi, why = self._window()
        if why:
            return Suggestion(None, NEVER, rule, why)
        why = self._never_descends(lo, hi)
        if why:
            return Suggestion(None, NEVER, rule, why)
        s = self.smooth[lo:hi]
        m = s.shape[0]
        lds = np.ones(m, dtype=np.int64)
        for i in range(1, m):
            higher = s[:i] > s[i]
            if higher.any():
                lds[i] = lds[:i][higher].max() + 1
        max_end = int(np.argmax(lds))  # first index attaining the longest run, as fastai
        max_start = max_end - int(lds[max_end])
        sections = (max_end - max_start) / 3
        idx = max_start + int(sections) + int(sections / 2)
        k = lo + idx
        lr = float(self.lrs[k])
        return Suggestion(
            lr,
            k,
            rule,
            f"the longest stretch where the smoothed loss keeps falling runs from lr = "
            f"{fmt.rate(self.lrs[lo + max(max_start, 0)])} to {fmt.rate(self.lrs[lo + max_end])} "
            f"({int(lds[max_end])} points); {fmt.rate(lr)} lies about half-way down that valley",
        )

    def steepest(self, window: int | None = None) -> Suggestion:
        """The rate where the smoothed loss falls fastest per unit of log-LR.

        The slope is ``dS / d log10(lr)`` (loss change per tenfold increase of the rate), in
        both ramp modes, fitted by least squares over a centred window of ``2h + 1`` points
        (``h = window``, by default 5% of ``num_iter``, at least 3), which makes it robust to the
        noise left in the smoothed curve.  Read on ``smooth[num_iter // 10 : -5]`` cut at the
        first non-finite value (fastai ``steep`` uses one-point differences per log-LR;
        pytorch-lr-finder per index; Lightning per linear LR).  The window counts ramp
        points, so in linear mode it spans less of a decade at high rates than at low ones.

        The smoothed curve lags the raw losses, so on short runs its steepest point sits to the
        right of the raw curve's (on the digits MLP, about half a decade at 100 iterations with
        ``beta = 0.98``, little at 300): more iterations or a smaller ``beta`` reduce it.

        Examples
        --------
        >>> lrs = lr_ramp(1e-5, 1.0, 101)
        >>> loss = 2 - np.tanh(2 * (np.log10(lrs) + 2.4))  # falls fastest at 10**-2.4
        >>> s = RangeTestResult.from_losses(lrs, loss, beta=0.0).steepest()
        >>> s.index, round(float(np.log10(s.lr)), 2)
        (52, -2.4)
        """
        rule = "steepest"
        lo, hi, why = self._window()
        if why:
            return Suggestion(None, NEVER, rule, why)
        pos = np.flatnonzero(self.lrs[lo:hi] > 0)
        lo = lo + (int(pos[0]) if pos.size else hi - lo)
        h = max(3, round(STEEP_WINDOW * self.num_iter)) if window is None else int(window)
        if h < 1:
            raise ValueError("window must be >= 1")
        if hi - lo < max(MIN_POINTS, 2 * h + 1):
            return Suggestion(
                None,
                NEVER,
                rule,
                f"the run is too short to measure a slope over {2 * h + 1} points",
            )
        why = self._never_descends(lo, hi)
        if why:
            return Suggestion(None, NEVER, rule, why)
        x = np.log10(self.lrs[lo:hi])
        slopes = _local_slopes(x, self.smooth[lo:hi], h)
        j = int(np.argmin(slopes))
        if not slopes[j] < 0:
            return Suggestion(None, NEVER, rule, "the smoothed loss never goes down anywhere")
        k = lo + h + j
        lr = float(self.lrs[k])
        return Suggestion(
            lr,
            k,
            rule,
            f"the smoothed loss falls fastest at lr = {fmt.rate(lr)}: by {fmt.num(-slopes[j])} per "
            f"tenfold increase of the rate (slope per unit of log-LR, over {2 * h + 1} points); "
            "a good single fixed rate is usually near here",
        )

    def smith(
        self,
        *,
        start_frac: float = 0.05,
        plateau_frac: float = 0.05,
        rise_frac: float = 0.10,
        ragged_factor: float = 3.0,
    ) -> SmithBounds:
        """Smith's reading (WACV 2017, section 3.3): where the loss starts to fall, and where
        it stops falling, turns ragged or rises; then ``min_lr = max_lr / 4 .. max_lr / 3``.

        Read on a centred running median of the *raw* losses (the ``trend``, no lag; window
        about 10% of the run, odd, 5 to 51 points), cut at the first non-finite loss.  With
        ``ref`` the trend at the first iteration and ``best`` its minimum, ``drop = ref -
        best``:

        * ``start``: the point from which the trend stays more than ``start_frac`` of the drop
          below ``ref`` (so a noisy early dip does not count);
        * the ``bottom`` is the trend's lowest point; the curve *rises* at the first point
          after it where the trend exceeds the bottom by ``rise_frac`` of the drop (or where
          the run stopped early);
        * ``max_lr``: the earlier of "the descent has slowed" (first point within
          ``plateau_frac`` of the drop above the bottom) and "the curve turns ragged" (once
          the loss has done half its fall: the running median of the batch-to-batch jumps
          ``|L[i+1] - 2 L[i] + L[i-1]|`` exceeds ``ragged_factor`` times its median up to the
          bottom, and 5% of the drop);
        * ``min_lr``: ``max_lr / 4`` (``min_range`` gives ``max_lr / 4 .. max_lr / 3``).

        No bounds if the trend never fell by 2% or by more than six standard errors of a
        running median of the batch noise (``1.4826 * MAD`` of the losses about the trend): a
        short run over rates that barely move the model is noise, not a descent.
        If the loss never turned back up, there is no max (the ramp did not go high enough):
        ``max_lr.lr`` and ``min_lr.lr`` are ``None``, and the reason says so.

        Examples
        --------
        >>> lrs = lr_ramp(1e-4, 10.0, 100)
        >>> z = np.log10(lrs)
        >>> loss = 2 - np.tanh(2 * (z + 2)) + np.where(z > -0.5, 10 ** (2 * (z + 0.5)) - 1, 0)
        >>> b = RangeTestResult.from_losses(lrs, loss, beta=0.0).smith()
        >>> [round(float(np.log10(s.lr)), 1) for s in (b.start, b.max_lr, b.min_lr)]
        [-2.7, -1.3, -1.9]
        """
        L = self.loss
        bad = np.flatnonzero(~np.isfinite(L))
        end = self.n if bad.size == 0 else int(bad[0])

        def fail(why: str) -> SmithBounds:
            return SmithBounds(
                Suggestion(None, NEVER, "Smith: start", why),
                Suggestion(None, NEVER, "Smith: max", why),
                Suggestion(None, NEVER, "Smith: min", why),
            )

        if end < 2 * MIN_POINTS:
            return fail(
                f"the run is too short to judge: {end} usable points (at least "
                f"{2 * MIN_POINTS} needed); run more iterations"
            )
        w = int(np.clip(end // 10, 5, 51)) | 1
        trend = _rolling_median(L[:end], w)
        ref = float(trend[0])
        bottom_all = int(np.argmin(trend))
        drop = ref - float(trend[bottom_all])
        # the running median of pure noise wanders too: a real descent must clear both the 2%
        # used by the other rules and a few standard errors of a median of w noisy losses
        # (compared where the median has its full window; 6 standard errors: pure Gaussian
        # noise passes in under 1% of runs of 20 to 400 points)
        h = w // 2
        sigma = 1.4826 * float(np.median(np.abs(L[:end] - trend)))
        full = trend[h : end - h] if end - h > h else trend
        fell = float(full[0] - full.min())
        noise_floor = 6.0 * 1.2533 * sigma / np.sqrt(w)
        if drop > DESCENT_TOL * abs(ref) and not fell > noise_floor:
            return fail(
                f"the loss only wandered within its noise (a drop of {fmt.loss(fell)} against "
                f"batch-to-batch noise of about {fmt.loss(sigma)}): no clear descent in {end} "
                "steps; raise max_lr or num_iter"
            )
        if not drop > DESCENT_TOL * abs(ref):
            return fail(
                f"the loss never fell more than {fmt.pct(DESCENT_TOL)} below where it started "
                f"({fmt.loss(ref)}): every rate from {fmt.rate(self.lrs[0])} to "
                f"{fmt.rate(self.lrs[end - 1])} is either too small to make progress in {end} "
                "steps (raise max_lr or num_iter) or already too large (lower min_lr)"
            )
        # start: from here on the loss stays clearly below where it started
        above = np.flatnonzero(trend[: bottom_all + 1] > ref - start_frac * drop)
        start = 0 if above.size == 0 else min(int(above[-1]) + 1, bottom_all)
        lr_s = float(self.lrs[start])
        early = " (it was already falling at the first rates: try a lower min_lr)"
        start_s = Suggestion(
            lr_s,
            start,
            "Smith: start",
            f"the loss starts to fall clearly here (by {fmt.pct(start_frac)} of its total drop) at "
            f"lr = {fmt.rate(lr_s)}" + (early if start <= w // 2 else ""),
        )
        # rise: after the lowest point, the first point clearly above it
        best = float(trend[bottom_all])
        up = bottom_all + np.flatnonzero(trend[bottom_all:] > best + rise_frac * drop)
        if up.size:
            rise: int | None = int(up[0])
        elif self.diverged_at != NEVER:
            rise = end - 1
        else:
            rise = None
        if rise is None:
            why = (
                f"the loss never turned back up, up to lr = {fmt.rate(self.lrs[end - 1])}: the "
                "ramp did not reach rates that are too large; rerun with a larger max_lr"
            )
            return SmithBounds(
                start_s,
                Suggestion(None, NEVER, "Smith: max", why),
                Suggestion(None, NEVER, "Smith: min", why),
            )
        bottom = bottom_all
        # "slows": within plateau_frac of the drop above the bottom
        slow = start + int(np.argmax(trend[start : bottom + 1] <= best + plateau_frac * drop))
        # "ragged": batch-to-batch jumps (second differences, blind to a straight trend)
        # grow past ragged_factor times their typical size up to the bottom; searched only
        # once the loss has done half of its fall
        d2 = np.zeros(end)
        d2[1:-1] = np.abs(L[2:end] - 2.0 * L[1 : end - 1] + L[: end - 2])
        d2[0], d2[-1] = d2[1], d2[-2]
        rough = _rolling_median(d2, w)
        # the usual jump size, floored so that a noise-free curve's bends never count
        base = max(float(np.median(rough[: bottom + 1])), RAGGED_FLOOR * drop / ragged_factor)
        mid = int(np.argmax(trend[: bottom + 1] <= ref - 0.5 * drop))
        lo_r = max(mid, start)
        rag_idx = np.flatnonzero(rough[lo_r : bottom + 1] > ragged_factor * base)
        ragged = lo_r + int(rag_idx[0]) if rag_idx.size else None
        if ragged is not None and ragged < slow:
            k = ragged
            what = (
                f"the losses turn ragged here (their jumps from batch to batch grow past "
                f"{fmt.factor(ragged_factor)}x their usual size) before the loss reaches its lowest "
                f"value, {fmt.loss(best)}, at lr = {fmt.rate(self.lrs[bottom])}"
            )
        else:
            k = slow
            what = (
                f"the loss stops falling here (within {fmt.pct(plateau_frac)} of its lowest "
                f"value, {fmt.loss(best)}, reached at lr = {fmt.rate(self.lrs[bottom])}) and rises "
                f"after lr = {fmt.rate(self.lrs[rise])}"
            )
        k = max(k, start)
        lr_m = float(self.lrs[k])
        max_s = Suggestion(lr_m, k, "Smith: max", f"{what}: max_lr = {fmt.rate(lr_m)}")
        lo_m, hi_m = lr_m / 4.0, lr_m / 3.0
        k_min = int(np.searchsorted(self.lrs[:end], lo_m)) if self.lrs[0] <= lo_m else NEVER
        min_s = Suggestion(
            lo_m,
            NEVER if k_min == NEVER else min(k_min, end - 1),
            "Smith: min",
            f"a third to a quarter of max_lr: {fmt.rate(lo_m)} to {fmt.rate(hi_m)} (Smith's rule of "
            "thumb for the lower bound of a cycle)",
        )
        return SmithBounds(start_s, max_s, min_s)

    def suggestions(self) -> list[Suggestion]:
        """Every rule's answer, for a table: steepest, minimum / 10, valley, Smith's three.

        Examples
        --------
        >>> r = RangeTestResult.from_losses(lr_ramp(1e-3, 1.0, 4), [1.0, 1.0, 1.0, 1.0])
        >>> [(s.rule, s.lr) for s in r.suggestions()][:3]
        [('steepest', None), ('minimum / 10', None), ('valley', None)]
        >>> tuple(s.rule for s in r.suggestions()) == RULES
        True
        """
        b = self.smith()
        return [self.steepest(), self.min_over_10(), self.valley(), b.start, b.max_lr, b.min_lr]

    def to_frame(self):  # -> pandas.DataFrame
        """One row per iteration, for CSV: ``iteration, lr, loss, smooth_loss, val_loss,
        val_acc`` (validation columns NaN where it was not measured; the value measured after
        ``i`` updates sits on iteration ``i``).  pandas is imported here only.
        """
        import pandas as pd

        vl = np.full(self.n, np.nan)
        va = np.full(self.n, np.nan)
        ok = self.val_iters < self.n
        vl[self.val_iters[ok]] = self.val_loss[ok]
        va[self.val_iters[ok]] = self.val_acc[ok]
        return pd.DataFrame(
            {
                "iteration": np.arange(self.n),
                "lr": self.lrs,
                "loss": self.loss,
                "smooth_loss": self.smooth,
                "val_loss": vl,
                "val_acc": va,
            }
        )


def _ro(a: np.ndarray) -> np.ndarray:
    a = np.array(a)
    a.flags.writeable = False
    return a


def _stop_words(raw: float, smooth: float, stop_factor: float | None) -> str:
    if not math.isfinite(raw):
        return "the loss became infinite or NaN"
    if not math.isfinite(smooth):
        return "the smoothed loss overflowed"
    return f"the smoothed loss rose above {fmt.factor(stop_factor)} times its best value"


# ----------------------------------------------------------------------------- the run


def range_test(
    spec: ModelSpec,
    data: Dataset,
    *,
    min_lr: float = 1e-7,
    max_lr: float = 10.0,
    num_iter: int = 100,
    epochs: float | None = None,
    mode: str = "exponential",
    beta: float = 0.98,
    stop_factor: float | None = 4.0,
    optimizer: Optimizer = Optimizer(),  # noqa: B008  (frozen, so a safe default)
    batch_size: int | None = 64,
    seed: int = 0,
    val_every: int | None = None,
    init_theta: np.ndarray | None = None,
) -> RangeTestResult:
    """Run a learning-rate range test on a copy of the model.

    The rate of iteration ``i`` is ``lr_ramp(min_lr, max_lr, num_iter, mode)[i]``: one update
    per minibatch, the rate raised after every update (Smith 2017 section 3.3; fastai
    ``lr_find``: 1e-7 to 10 over 100 iterations, exponential; pytorch-lr-finder).  The raw
    batch loss and its smoothed value are recorded every iteration; the run stops at the
    first iteration where the smoothed loss exceeds ``stop_factor`` times its best value so
    far (that iteration is recorded and is ``diverged_at``), or where the loss stops being
    finite or blows up (the trainer's divergence rule, even with ``stop_factor=None``).

    Parameters
    ----------
    spec : ModelSpec
    data : Dataset
    min_lr, max_lr : float
        The ramp's first and last rates (exactly).  ``min_lr`` may be 0 in linear mode.
    num_iter : int
        Iterations (at most :data:`MAX_ITERS`).  Ignored when ``epochs`` is given.
    epochs : float, optional
        Smith's way: ramp over this many passes through the training data instead.
    mode : {"exponential", "linear"}
        Exponential (fastai, the default of every finder) spends as many steps in every
        decade; linear is Smith's original ramp.
    beta : float
        Smoothing constant of :func:`smooth_loss` (0 = none).
    stop_factor : float or None
        Early stop; ``None`` disables it.
    optimizer : Optimizer
        The update rule (its momentum and Adam constants are used; its rate is the ramp's).
        Hypergradient variants are refused, since they set the rate themselves.
    batch_size : int or None
        Minibatch size (``None``: full batch).
    seed : int
        Seeds the initial parameters (unless ``init_theta`` is given) and the batch order.
    val_every : int, optional
        Also measure validation loss and accuracy every this many iterations (and before
        the first one).  Each costs a pass over the validation set.
    init_theta : ndarray (P,), optional
        Start from these parameters.  They are copied: the caller's array is never changed.

    Returns
    -------
    RangeTestResult

    Examples
    --------
    >>> from engine.data import load_dataset
    >>> data = load_dataset("moons", seed=0)
    >>> r = range_test(ModelSpec("mlp", 2, 2, hidden=(16,)), data, min_lr=1e-4, max_lr=100.0,
    ...                num_iter=60, batch_size=32)
    >>> r.diverged_at != NEVER and r.n == r.diverged_at + 1
    True
    >>> r.lrs[0], r.loss.shape == r.smooth.shape
    (np.float64(0.0001), True)
    """
    from engine.train import train

    if optimizer.hypergrad is not None:
        raise ValueError(
            "the range test sets the learning rate itself: use an optimiser without "
            "hypergradient adaptation"
        )
    if mode not in RAMP_MODES:
        raise ValueError(f"mode must be one of {RAMP_MODES}, got {mode!r}")
    beta = _check_beta(beta)
    stop_factor = _check_stop_factor(stop_factor)
    if epochs is not None:
        ep = float(epochs)
        if not (math.isfinite(ep) and ep > 0):
            raise ValueError(f"epochs must be a number > 0, got {epochs!r}")
        n = data.n_train
        bs = n if batch_size is None or batch_size >= n else int(batch_size)
        if bs < 1:
            raise ValueError("batch_size must be >= 1")
        num_iter = max(2, math.ceil(ep * math.ceil(n / bs) - 1e-9))
    if isinstance(num_iter, bool) or int(num_iter) != num_iter or num_iter < 2:
        raise ValueError(f"num_iter must be a whole number >= 2, got {num_iter!r}")
    num_iter = int(num_iter)
    if num_iter > MAX_ITERS:
        raise ValueError(
            f"a range test of {num_iter} iterations is too long: at most {MAX_ITERS} "
            "(a few hundred is plenty)"
        )
    if val_every is not None and (isinstance(val_every, bool) or int(val_every) < 1):
        raise ValueError("val_every must be a whole number >= 1")
    ramp = lr_ramp(min_lr, max_lr, num_iter, mode)
    rule = DivergenceStop(stop_factor, beta)
    h = train(
        spec,
        data,
        [ramp[0]],
        optimizer=optimizer,
        epochs=None,
        batch_size=batch_size,
        seed=seed,
        schedule=ramp,
        max_iters=num_iter,
        eval_every=num_iter + 1 if val_every is None else int(val_every),
        stop_rule=rule,
        init_theta=init_theta,
    )
    n_run = int(h.grad_evals[0])  # iterations recorded, the one that stopped it included
    loss = h.train_loss[0, :n_run]
    smooth = smooth_loss(loss, beta)
    stopped = n_run < num_iter
    diverged_at = n_run - 1 if stopped else NEVER
    if not stopped:
        reason = ""
    elif h.diverged_reason[0] == _watch.PARAMS:
        reason = "the weights overflowed to infinity or NaN"
    elif h.diverged_reason[0] == _watch.BLOWUP and divergence_index(smooth, stop_factor) == NEVER:
        reason = f"the loss grew past {fmt.factor(h.blowup_factor)} times its starting value"
    else:
        reason = _stop_words(loss[-1], smooth[-1], stop_factor)
    if val_every is None:
        vi, vl, va = np.empty(0, np.int64), np.empty(0), np.empty(0)
    else:
        keep = np.isfinite(h.val_loss[0]) | np.isinf(h.val_loss[0])
        keep &= h.eval_iters <= n_run
        vi, vl, va = h.eval_iters[keep], h.val_loss[0, keep], h.val_acc[0, keep]
    return RangeTestResult(
        lrs=_ro(ramp[:n_run]),
        loss=_ro(loss),
        smooth=_ro(smooth),
        val_iters=_ro(vi.astype(np.int64)),
        val_loss=_ro(vl),
        val_acc=_ro(va),
        diverged_at=diverged_at,
        stop_reason=reason,
        mode=mode,
        min_lr=float(ramp[0]),
        max_lr=float(ramp[-1]),
        num_iter=num_iter,
        beta=beta,
        stop_factor=stop_factor,
    )
