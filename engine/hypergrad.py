"""Hypergradient descent runs summarised in words, and its cost measured.

The update rules live in :mod:`engine.optim` (``Optimizer(..., hypergrad=...)``); this module
reads what a run recorded (the rate per iteration, the final losses) and says what happened,
the way :mod:`engine.descent` and :func:`engine.train.classify_run` do for their runs:

* :func:`rate_story`: what HD did to one run's rate ("raised the rate from 1e-5 to 0.072");
* :func:`valley_story`: the same on a quadratic valley, against its stability limit 2/lam_max;
* :func:`sensitivity`: how much the final loss depends on the starting rate, fixed vs HD;
* :func:`final_rate_spread`: how far apart the adapted rates ended;
* :func:`measure_cost`: seconds per training iteration and per update, fixed vs HD, and the
  extra memory (one gradient-sized copy of P numbers per model).

Rates and beta are printed through :func:`engine.fmt.rate`, losses through
:func:`engine.fmt.loss`; a run counts as diverged when its final loss is not finite (the
engine's shared rule, ``engine._watch.blown_up``: the trainer reports ``inf`` for a run it
froze).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np

from engine import fmt
from engine._watch import blown_up
from engine.data import Dataset
from engine.models import ModelSpec, Workspace, init_params, loss_and_grad
from engine.optim import Optimizer, init_state, step

__all__ = [
    "MOVED",
    "SENSITIVE",
    "Sensitivity",
    "final_rate_spread",
    "measure_cost",
    "rate_story",
    "sensitivity",
    "valley_story",
]

#: A rate "moved" when it ended (or peaked) more than this factor above or below its start.
MOVED = 1.5
#: HD made the final loss "less sensitive" when the spread shrank by at least this factor.
SENSITIVE = 1.5


def _finite(rate: np.ndarray) -> np.ndarray:
    r = np.asarray(rate, dtype=np.float64)
    return r[np.isfinite(r)]


def rate_story(rate: np.ndarray, lr0: float) -> str:
    """What hypergradient descent did to one run's rate, from its recorded trajectory.

    Parameters
    ----------
    rate : ndarray (T,)
        The rate of every iteration (``History.lr[k]``); NaN after a divergence.
    lr0 : float
        The starting rate.

    Examples
    --------
    >>> rate_story(np.array([1e-5, 1e-5, 0.03, 0.06, 0.07]), 1e-5)
    'HD raised the rate from 1e-5 to 0.07 (×7,000), half of that rise within 3 iterations'
    >>> rate_story(np.array([0.5, 0.5, 0.2, 0.1]), 0.5)
    'HD cut the rate from 0.5 to 0.1'
    >>> rate_story(np.array([0.1, 0.1, 0.4, -0.01]), 0.1)
    'HD cut the rate from 0.1 to -0.01; on the way it peaked at 0.4 (iteration 2); it turned negative at iteration 3: steps uphill (“unlearning”)'
    """  # noqa: E501
    rate_ = fmt.rate
    fin = _finite(rate)
    if fin.size == 0:
        return "no step was taken"
    final = float(fin[-1])
    peak_i = int(np.argmax(fin))
    peak = float(fin[peak_i])
    if final > MOVED * lr0:
        half = lr0 + 0.5 * (final - lr0)
        t_half = int(np.argmax(fin >= half))
        parts = [
            f"HD raised the rate from {rate_(lr0)} to {rate_(final)} "
            f"(×{fmt.factor(final / lr0)}), half of that rise within {t_half} iterations"
        ]
    elif final < lr0 / MOVED:
        parts = [f"HD cut the rate from {rate_(lr0)} to {rate_(final)}"]
    else:
        parts = [f"HD kept the rate near {rate_(lr0)} (it ended at {rate_(final)})"]
    if peak > MOVED * max(final, lr0):
        parts.append(f"on the way it peaked at {rate_(peak)} (iteration {peak_i})")
    neg = np.flatnonzero(fin <= 0)
    if neg.size:
        parts.append(f"it turned negative at iteration {int(neg[0])}: steps uphill (“unlearning”)")
    return "; ".join(parts)


def valley_story(rate: np.ndarray, lam_max: float, lr0: float) -> str:
    """The rate of a descent run on a quadratic valley against its stability limit.

    ``rate`` is ``DescentResult.lr_trace[k]`` (entry ``t`` is the rate of step ``t``; entry 0
    repeats step 1's and is skipped).  Says how far the rate grew, whether it passed
    ``2 / lam_max`` and when it came back below.

    Examples
    --------
    >>> valley_story(np.array([1e-3, 1e-3, 0.05, 0.28, 0.15, 0.1]), 10.0, 1e-3)
    'the rate grew from 0.001 to 0.28 by step 3, past the stability limit 2/λmax = 0.2, the steps began to zig-zag and HD cut it back below the limit by step 4, it ended at 0.1'
    """  # noqa: E501
    rate_ = fmt.rate
    fin = _finite(np.asarray(rate, dtype=np.float64)[1:])
    if fin.size == 0:
        return "no step was taken"
    limit = 2.0 / lam_max
    peak_i = int(np.argmax(fin))
    peak = float(fin[peak_i])
    if peak > MOVED * lr0:
        parts = [f"the rate grew from {rate_(lr0)} to {rate_(peak)} by step {peak_i + 1}"]
    else:
        parts = [f"the rate stayed near {rate_(lr0)} (peak {rate_(peak)})"]
    if peak > limit:
        parts.append(f"past the stability limit 2/λmax = {rate_(limit)}")
        back = np.flatnonzero(fin[peak_i:] < limit)
        if back.size:
            parts.append(
                "the steps began to zig-zag and HD cut it back below the limit by step "
                f"{peak_i + int(back[0]) + 1}"
            )
    last = float(fin[-1])
    parts.append("it ended negative: steps uphill" if last <= 0 else f"it ended at {rate_(last)}")
    return ", ".join(parts)


@dataclass(frozen=True)
class Sensitivity:
    """How much the final loss depends on the starting rate, fixed rate vs HD.

    Attributes
    ----------
    spread_fixed, spread_hd : float
        ``max - min`` of the final losses over the starting rates (``inf`` if a run diverged).
    ratio : float
        ``spread_fixed / spread_hd`` (``inf`` if HD's spread is 0 or the fixed one is inf).
    diverged_fixed, diverged_hd : int
        How many runs of each diverged (non-finite final loss).
    text : str
        The comparison in words.
    """

    spread_fixed: float
    spread_hd: float
    ratio: float
    diverged_fixed: int
    diverged_hd: int
    text: str


def _spread(v: np.ndarray) -> float:
    return float(np.ptp(v)) if np.all(np.isfinite(v)) else math.inf


def sensitivity(
    lrs: np.ndarray, fixed: np.ndarray, hd: np.ndarray, *, label: str = "HD", beta: float = 0.0
) -> Sensitivity:
    """Compare the final losses ``fixed`` and ``hd`` (shape (K,)) of runs started at ``lrs``.

    Examples
    --------
    >>> s = sensitivity(np.array([1e-3, 1e-1]), np.array([2.7, 0.3]), np.array([0.4, 0.3]))
    >>> round(s.ratio, 6), s.diverged_hd
    (24.0, 0)
    >>> s.text.endswith("**24× less sensitive to the starting rate.**")
    True
    """
    lrs = np.asarray(lrs, dtype=np.float64)
    f = np.asarray(fixed, dtype=np.float64)
    h = np.asarray(hd, dtype=np.float64)
    sf, sh = _spread(f), _spread(h)
    nf, nh = int(blown_up(f).sum()), int(blown_up(h).sum())
    if math.isfinite(sf) and sh > 0:
        ratio = sf / sh
    else:
        ratio = math.inf if sh == 0 or not math.isfinite(sf) else 0.0
    if lrs.size < 2:
        text = "Pick two or more starting rates to see how much the final loss depends on them."
        return Sensitivity(sf, sh, ratio, nf, nh, text)
    if beta == 0 and np.array_equal(f, h, equal_nan=True):
        text = (
            "With β = 0 hypergradient descent is switched off: every run is exactly the "
            "fixed-rate run, as sensitive to its starting rate."
        )
        return Sensitivity(sf, sh, ratio, nf, nh, text)
    rate, loss = fmt.rate, fmt.loss
    if nh:
        text = (
            f"With β = {rate(beta)}, {nh} of the {lrs.size} {label} runs diverged: the rate "
            "overshot and the loss blew up. β is too large here; lower it."
        )
        return Sensitivity(sf, sh, ratio, nf, nh, text)
    span = (
        f"Starting rates from {rate(lrs.min())} to {rate(lrs.max())} "
        f"({fmt.factor(lrs.max() / lrs.min())}× apart)"
    )
    ff = f[~blown_up(f)]
    if nf == f.size:
        fixed_part = "with a fixed rate every run diverged"
    elif nf:
        fixed_part = (
            f"with a fixed rate {nf} of the {f.size} runs diverged and the others end between "
            f"{loss(ff.min())} and {loss(ff.max())}"
        )
    else:
        fixed_part = (
            f"with a fixed rate the final loss ends between {loss(f.min())} and {loss(f.max())}"
        )
    head = f"{span}: {fixed_part}; with {label} between {loss(h.min())} and {loss(h.max())}"
    if nf:
        text = f"{head}. HD also rescued the runs that diverged at a fixed rate."
    elif ratio >= SENSITIVE:
        text = (
            f"{head}. The spread shrank from {loss(sf)} to {loss(sh)}: **{fmt.factor(ratio)}× "
            "less sensitive to the starting rate.**"
        )
    elif sh >= sf:
        text = f"{head}. Here HD did not make the final loss less sensitive (β = {rate(beta)})."
    else:
        text = f"{head}. The spread shrank only a little, from {loss(sf)} to {loss(sh)}."
    return Sensitivity(sf, sh, ratio, nf, nh, text)


def final_rate_spread(rates: np.ndarray) -> tuple[np.ndarray, float]:
    """The last finite rate of every row of ``rates`` (K, T) and ``max / min`` of them
    (``inf`` if one is <= 0 or a row has no finite rate).

    >>> final_rate_spread(np.array([[1e-5, 0.08], [0.1, 0.12]]))
    (array([0.08, 0.12]), 1.5)
    """
    fins = []
    for row in np.atleast_2d(rates):
        fin = _finite(row)
        fins.append(fin[-1] if fin.size else np.nan)
    out = np.array(fins)
    if not np.all(np.isfinite(out)) or np.any(out <= 0):
        return out, math.inf
    return out, float(out.max() / out.min())


def measure_cost(
    spec: ModelSpec,
    data: Dataset,
    optimizer: Optimizer,
    k: int,
    *,
    iters: int = 30,
    repeats: int = 7,
    batch_size: int = 64,
) -> dict[str, float]:
    """Time the fixed-rate version of ``optimizer`` (its ``hypergrad`` switched off) against
    the HD one, on ``k`` models at once.

    One *iteration* is what :func:`engine.train.train` does per minibatch: the loss and
    gradient on ``batch_size`` training examples (:func:`engine.models.loss_and_grad`, with a
    reused workspace) and one optimiser update.  The *update* alone is timed too.  Each is
    run ``iters`` times, fixed and HD alternating, and the best of ``repeats`` is kept (the
    minimum is the measurement least disturbed by other load on the machine).

    Returns
    -------
    dict
        ``iter_fixed, iter_hd, update_fixed, update_hd`` in seconds per iteration, and
        ``P`` (parameters per model), ``extra_floats`` (= P: the stored previous direction)
        and ``extra_bytes`` (float64) per model.

    Examples
    --------
    >>> from engine.data import load_dataset
    >>> c = measure_cost(ModelSpec("softmax", 64, 10), load_dataset("digits"),
    ...                  Optimizer("sgd", hypergrad="additive", hyper_lr=1e-3), 2, iters=3)
    >>> c["P"], c["extra_bytes"], c["iter_hd"] > c["update_hd"] > 0
    (650.0, 5200.0, True)
    """
    if optimizer.hypergrad is None:
        raise ValueError("give a hypergradient optimiser (hypergrad='additive' or ...)")
    if k < 1 or iters < 1 or repeats < 1:
        raise ValueError("k, iters and repeats must be >= 1")
    base = Optimizer(
        optimizer.name, optimizer.momentum, optimizer.beta1, optimizer.beta2, optimizer.eps
    )
    b = min(batch_size, data.n_train)
    Xb, yb = data.X_train[:b], data.y_train[:b]
    ws = Workspace(spec, k, b)
    theta0 = init_params(spec, k, 0)
    grad = np.empty_like(theta0)

    def run(opt: Optimizer, with_grad: bool) -> float:
        theta = theta0.copy()
        s = init_state(opt, theta, 1e-3)
        loss_and_grad(spec, theta, Xb, yb, out=grad, work=ws)
        t0 = time.perf_counter()
        for _ in range(iters):
            if with_grad:
                loss_and_grad(spec, theta, Xb, yb, out=grad, work=ws)
            step(opt, s, theta, grad)
        return time.perf_counter() - t0

    best = dict.fromkeys(("iter_fixed", "iter_hd", "update_fixed", "update_hd"), math.inf)
    for _ in range(repeats):
        best["iter_fixed"] = min(best["iter_fixed"], run(base, True))
        best["iter_hd"] = min(best["iter_hd"], run(optimizer, True))
        best["update_fixed"] = min(best["update_fixed"], run(base, False))
        best["update_hd"] = min(best["update_hd"], run(optimizer, False))
    out = {name: v / iters for name, v in best.items()}
    P = spec.n_params
    out.update({"P": float(P), "extra_floats": float(P), "extra_bytes": float(8 * P)})
    return out
