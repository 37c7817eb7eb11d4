"""Searching for a learning rate: coarse-to-fine, and successive halving.

Both searches train many candidate rates side by side in ONE batched :func:`engine.train.train`
call per stage (the rates are an array axis), and both count what they cost.

Cost unit
---------
The cost of a search is counted in **per-example gradient evaluations**: one minibatch step
of one model on ``B`` examples costs ``B``.  So one epoch of one model costs ``n_train``,
whatever the batch size, and training on a 10% subset costs a tenth.  A run that diverged or
was stopped costs only the gradient evaluations it made (``History.examples``).  Evaluations on
the validation set are not counted (they are the same for every strategy).

* :func:`coarse_to_fine`: stage 1 trains one rate per decade (``per_decade`` of them) on a
  small subset for a short time; the best decade by final validation loss (a diverged run
  counts as +inf) is then refined with a finer grid or log-uniform random samples, trained on
  more data for longer.  The baseline it is compared with is a *full fine grid*: the same
  density of rates as stage 2, over the whole range, each trained on all the data for the
  full ``refine_epochs``.
* :func:`successive_halving` (Jamieson & Talwalkar 2016; Li et al. 2018, the inner loop of
  Hyperband): train all candidates for a few steps, keep the best ``1/eta`` (dropping
  diverged and stalled ones), continue the survivors from their weights with ``eta`` times
  more steps, and so on until one is left.  Its baseline is training every candidate for the
  full ``max_steps``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from engine.data import Dataset, subset_dataset
from engine.models import ModelSpec
from engine.optim import Optimizer
from engine.train import History, train
from engine.verdict import NEVER

__all__ = [
    "SearchStage",
    "SearchResult",
    "Rung",
    "HalvingResult",
    "coarse_to_fine",
    "successive_halving",
]


def _scores(h: History) -> np.ndarray:
    """Final validation loss per run, +inf for diverged or non-finite runs."""
    s = np.asarray(h.final_val_loss, dtype=np.float64).copy()
    s[h.diverged | ~np.isfinite(s)] = np.inf
    return s


@dataclass(frozen=True, eq=False)
class SearchStage:
    """One stage of a coarse-to-fine search.

    Attributes
    ----------
    lrs : ndarray (K,)
        The rates tried, ascending.
    final_loss : ndarray (K,)
        Final validation loss of each (``inf`` if it diverged).
    diverged : ndarray (K,) of bool
    subset : float
        Fraction of the training data used.
    epochs : int
    cost : int
        Per-example gradient evaluations spent (summed over the K runs).
    history : History
        The batched training run (for the loss curves).
    """

    lrs: np.ndarray
    final_loss: np.ndarray
    diverged: np.ndarray
    subset: float
    epochs: int
    cost: int
    history: History

    @property
    def best(self) -> int:
        """Index of the lowest final loss (the first one if several tie;
        :data:`~engine.verdict.NEVER` if all diverged)."""
        if not np.isfinite(self.final_loss).any():
            return NEVER
        return int(np.argmin(self.final_loss))


@dataclass(frozen=True, eq=False)
class SearchResult:
    """Outcome of :func:`coarse_to_fine`.

    Attributes
    ----------
    coarse, refine : SearchStage
    interval : (float, float)
        The range of rates stage 2 searched.
    best_lr : float
        The pick: the rate with the lowest final validation loss in stage 2 (NaN if every run
        diverged).
    best_loss : float
    cost : int
        Per-example gradient evaluations of both stages.
    full_grid_points : int
        Size of the baseline grid (stage 2's density over the whole range).
    full_grid_cost : int
        Its cost: ``full_grid_points * n_train * refine_epochs``.
    """

    coarse: SearchStage
    refine: SearchStage
    interval: tuple[float, float]
    best_lr: float
    best_loss: float
    cost: int
    full_grid_points: int
    full_grid_cost: int

    @property
    def savings(self) -> float:
        """How many times cheaper than the full fine grid (``full_grid_cost / cost``)."""
        return self.full_grid_cost / self.cost if self.cost else math.inf


def _check_common(data: Dataset, epochs: int, name: str) -> None:
    if int(epochs) < 1:
        raise ValueError(f"{name} must be >= 1")
    if data.n_val == 0:
        raise ValueError("a search needs a validation set (val_fraction > 0)")


def _stage(
    spec: ModelSpec,
    data: Dataset,
    lrs: np.ndarray,
    *,
    subset: float,
    epochs: int,
    batch_size: int | None,
    optimizer: Optimizer,
    seed: int,
) -> SearchStage:
    d = subset_dataset(data, subset, seed=seed)
    h = train(spec, d, lrs, optimizer=optimizer, epochs=epochs, batch_size=batch_size, seed=seed)
    return SearchStage(
        lrs=lrs,
        final_loss=_scores(h),
        diverged=h.diverged.copy(),
        subset=float(subset),
        epochs=int(epochs),
        cost=int(h.examples.sum()),
        history=h,
    )


def coarse_to_fine(
    spec: ModelSpec,
    data: Dataset,
    *,
    lo_exp: int = -7,
    hi_exp: int = 0,
    per_decade: int = 1,
    coarse_subset: float = 0.1,
    coarse_epochs: int = 1,
    refine_points: int = 8,
    refine_decades: float = 1.0,
    refine_subset: float = 1.0,
    refine_epochs: int = 3,
    batch_size: int | None = 64,
    optimizer: Optimizer = Optimizer(),  # noqa: B008  (frozen, so a safe default)
    seed: int = 0,
    sampling: str = "grid",
) -> SearchResult:
    """Cheap pruning first, precision later: a coarse sweep over decades, then a fine one.

    Parameters
    ----------
    spec, data
        The model and data (see :func:`engine.train.train`).
    lo_exp, hi_exp : int
        Stage 1 tries ``10**lo_exp ... 10**hi_exp``.
    per_decade : int
        Stage-1 rates per decade (1 gives 1e-7, 1e-6, ..., 1).
    coarse_subset, coarse_epochs
        Stage 1 trains on this fraction of the training data for this many epochs.
    refine_points : int
        Number of stage-2 rates.
    refine_decades : float
        Width of the stage-2 interval in decades, centred (in log scale) on the best stage-1
        rate and clipped to the searched range: 1 is "the best decade", 2 "the best two".
    refine_subset, refine_epochs
        Stage 2 trains on this fraction of the data for this many epochs.
    batch_size : int or None
        Minibatch size (``None``: full batch).
    optimizer : Optimizer
    seed : int
        Seeds the initial weights, minibatch order, subsets and random sampling.
    sampling : {"grid", "random"}
        Stage 2 rates log-spaced (endpoints included) or drawn log-uniformly (seeded, sorted).

    Returns
    -------
    SearchResult

    Examples
    --------
    >>> from engine.data import make_regression_problem
    >>> p = make_regression_problem(200, 5, curvature=10.0, condition=10.0, seed=0)
    >>> res = coarse_to_fine(ModelSpec("linreg", 5, 1), p.data, lo_exp=-4, hi_exp=1,
    ...                      coarse_subset=1.0, coarse_epochs=20, refine_epochs=40,
    ...                      batch_size=None)
    >>> res.coarse.lrs.tolist()
    [0.0001, 0.001, 0.01, 0.1, 1.0, 10.0]
    >>> res.coarse.diverged.tolist()
    [False, False, False, False, True, True]
    >>> bool(0.1 / p.lambda_max <= res.best_lr <= p.lr_max), res.savings > 1
    (True, True)
    """
    if sampling not in ("grid", "random"):
        raise ValueError("sampling must be 'grid' or 'random'")
    if not (int(lo_exp) < int(hi_exp)):
        raise ValueError("lo_exp must be smaller than hi_exp")
    if int(per_decade) < 1 or int(refine_points) < 2 or not (refine_decades > 0):
        raise ValueError("per_decade >= 1, refine_points >= 2 and refine_decades > 0 needed")
    _check_common(data, coarse_epochs, "coarse_epochs")
    _check_common(data, refine_epochs, "refine_epochs")
    lo, hi = int(lo_exp), int(hi_exp)

    n_coarse = (hi - lo) * int(per_decade) + 1
    coarse_lrs = 10.0 ** np.linspace(lo, hi, n_coarse)
    coarse = _stage(
        spec,
        data,
        coarse_lrs,
        subset=coarse_subset,
        epochs=coarse_epochs,
        batch_size=batch_size,
        optimizer=optimizer,
        seed=seed,
    )
    # centre of stage 2: the best coarse rate (the smallest rate if everything diverged)
    b = coarse.best
    centre = math.log10(coarse_lrs[b if b != NEVER else 0])
    half = 0.5 * float(refine_decades)
    a_exp, b_exp = max(lo, centre - half), min(hi, centre + half)
    if sampling == "grid":
        exps = np.linspace(a_exp, b_exp, int(refine_points))
    else:
        rng = np.random.default_rng(np.random.SeedSequence([seed, 11]))
        exps = np.sort(rng.uniform(a_exp, b_exp, int(refine_points)))
    refine_lrs = 10.0**exps
    refine = _stage(
        spec,
        data,
        refine_lrs,
        subset=refine_subset,
        epochs=refine_epochs,
        batch_size=batch_size,
        optimizer=optimizer,
        seed=seed,
    )
    rb = refine.best
    best_lr = float(refine_lrs[rb]) if rb != NEVER else math.nan
    best_loss = float(refine.final_loss[rb]) if rb != NEVER else math.inf
    density = (int(refine_points) - 1) / float(refine_decades)
    grid_points = int(round((hi - lo) * density)) + 1
    grid_cost = grid_points * data.n_train * int(refine_epochs)
    return SearchResult(
        coarse=coarse,
        refine=refine,
        interval=(float(10.0**a_exp), float(10.0**b_exp)),
        best_lr=best_lr,
        best_loss=best_loss,
        cost=coarse.cost + refine.cost,
        full_grid_points=grid_points,
        full_grid_cost=grid_cost,
    )


# ----------------------------------------------------------------------------- halving


@dataclass(frozen=True, eq=False)
class Rung:
    """One rung of successive halving.

    Attributes
    ----------
    index : int
    steps : int
        Cumulative minibatch steps every candidate of this rung has had by its end.
    lrs : ndarray (n,)
        The candidates that trained in this rung.
    val_loss : ndarray (n,)
        Their validation loss at the end of the rung (``inf`` if diverged).
    diverged : ndarray (n,) of bool
    stalled : ndarray (n,) of bool
        Not diverged, but no better than the untrained model.
    kept : ndarray (n,) of bool
        Promoted to the next rung (at the last rung: the winner).
    cost_grad_evals : int
        Minibatch gradient evaluations spent in this rung (summed over its candidates; see
        ``History.grad_evals``).
    history : History
    """

    index: int
    steps: int
    lrs: np.ndarray
    val_loss: np.ndarray
    diverged: np.ndarray
    stalled: np.ndarray
    kept: np.ndarray
    cost_grad_evals: int
    history: History


@dataclass(frozen=True, eq=False)
class HalvingResult:
    """Outcome of :func:`successive_halving`.

    Attributes
    ----------
    rungs : tuple of Rung
    best_lr : float
        The last survivor (NaN if every candidate diverged or stalled).
    best_loss : float
    grad_evals_used : int
        Minibatch gradient evaluations actually spent, summed over all candidates and rungs
        (a run that diverged also paid for the evaluation that caught it).
    grad_evals_all : int
        What training every candidate for ``max_steps`` would cost (``n * max_steps``).
    examples_used, examples_all : int
        The same in per-example gradient evaluations.
    """

    rungs: tuple[Rung, ...]
    best_lr: float
    best_loss: float
    grad_evals_used: int
    grad_evals_all: int
    examples_used: int
    examples_all: int

    @property
    def grad_evals_saved(self) -> int:
        """``grad_evals_all - grad_evals_used``."""
        return self.grad_evals_all - self.grad_evals_used

    @property
    def fraction_used(self) -> float:
        """``grad_evals_used / grad_evals_all``."""
        return self.grad_evals_used / self.grad_evals_all if self.grad_evals_all else 0.0


def _examples_for(steps: int, n_train: int, bs: int) -> int:
    """Examples processed by ``steps`` minibatch steps (the last batch of an epoch is short)."""
    ipe = math.ceil(n_train / bs)
    q, r = divmod(int(steps), ipe)
    return q * n_train + r * bs


def successive_halving(
    spec: ModelSpec,
    data: Dataset,
    lrs: Sequence[float] | np.ndarray,
    *,
    max_steps: int | None = None,
    eta: int = 3,
    batch_size: int | None = 64,
    optimizer: Optimizer = Optimizer(),  # noqa: B008  (frozen, so a safe default)
    seed: int = 0,
    subset: float = 1.0,
) -> HalvingResult:
    """Successive halving over learning rates: train briefly, keep the best 1/eta, repeat.

    With ``n`` candidates there are ``s + 1`` rungs, ``s = floor(log_eta(n))``.  Rung ``i``
    trains ``floor(n / eta**i)`` candidates until each has had ``max_steps * eta**(i - s)``
    minibatch steps in total (so the last survivor gets ``max_steps``), continuing each
    survivor from its weights.  After every rung the candidates are ranked by validation
    loss; diverged runs and stalled ones (no better than the untrained model) are dropped,
    and the best ``floor(n / eta**(i+1))`` go on.

    The optimiser state (momentum, Adam's moments) restarts at every rung and the minibatch
    order is drawn afresh; with plain SGD and full batches, a survivor's training is exactly
    the same as one uninterrupted run.

    Parameters
    ----------
    spec, data
    lrs : sequence of float
        The candidate rates.
    max_steps : int, optional
        Steps of the final survivor (default: 3 epochs).
    eta : int
        Keep 1/eta per rung (2 or 3 are usual).
    batch_size, optimizer, seed
        As in :func:`engine.train.train`.
    subset : float
        Fraction of the training data to use.

    Returns
    -------
    HalvingResult

    Examples
    --------
    >>> from engine.data import make_regression_problem
    >>> p = make_regression_problem(200, 5, curvature=10.0, condition=10.0, seed=0)
    >>> lrs = np.geomspace(0.001, 1.0, 9)
    >>> res = successive_halving(ModelSpec("linreg", 5, 1), p.data, lrs, max_steps=27,
    ...                          eta=3, batch_size=None)
    >>> [len(r.lrs) for r in res.rungs], [r.steps for r in res.rungs]
    ([9, 3, 1], [3, 9, 27])
    >>> res.grad_evals_used, res.grad_evals_all
    (63, 243)
    """
    cands = np.asarray(lrs, dtype=np.float64).ravel()
    n = cands.size
    if n == 0:
        raise ValueError("give at least one candidate rate")
    if int(eta) < 2:
        raise ValueError("eta must be >= 2")
    eta = int(eta)
    if data.n_val == 0:
        raise ValueError("successive halving needs a validation set (val_fraction > 0)")
    d = subset_dataset(data, subset, seed=seed)
    bs = d.n_train if batch_size is None or batch_size >= d.n_train else int(batch_size)
    ipe = math.ceil(d.n_train / bs)
    R = 3 * ipe if max_steps is None else int(max_steps)
    if R < 1:
        raise ValueError("max_steps must be >= 1")
    s = int(math.floor(math.log(n) / math.log(eta) + 1e-9))
    budgets = [max(1, int(round(R * eta ** (i - s)))) for i in range(s + 1)]
    budgets[-1] = R

    alive = np.arange(n)  # indices into cands
    theta: np.ndarray | None = None
    rungs: list[Rung] = []
    done_steps = 0
    base_loss: float | None = None
    used = used_ex = 0
    for i in range(s + 1):
        extra = budgets[i] - done_steps
        sub_seed = int(np.random.SeedSequence([seed, 13, i]).generate_state(1)[0])
        h = train(
            spec,
            d,
            cands[alive],
            optimizer=optimizer,
            epochs=None,
            max_iters=extra,
            batch_size=batch_size,
            seed=seed if i == 0 else sub_seed,
            init_theta=theta,
            eval_every=max(extra, 1),
        )
        if base_loss is None:
            base_loss = float(h.val_loss[0, 0])
        done_steps = budgets[i]
        score = _scores(h)
        stalled = np.isfinite(score) & ~(score < base_loss)
        ok = np.isfinite(score) & ~stalled
        n_keep = max(1, n // eta ** (i + 1)) if i < s else 1
        order = np.argsort(np.where(ok, score, np.inf), kind="stable")
        keep = np.zeros(alive.size, dtype=bool)
        keep[order[: min(n_keep, int(ok.sum()))]] = True
        cost = int(h.grad_evals.sum())
        used += cost
        used_ex += int(h.examples.sum())
        rungs.append(
            Rung(
                index=i,
                steps=budgets[i],
                lrs=cands[alive].copy(),
                val_loss=score,
                diverged=h.diverged.copy(),
                stalled=stalled,
                kept=keep,
                cost_grad_evals=cost,
                history=h,
            )
        )
        if not keep.any():
            break
        theta = h.theta[keep]
        alive = alive[keep]
    last = rungs[-1]
    if last.kept.any() and len(rungs) == s + 1:
        j = int(np.flatnonzero(last.kept)[0])
        best_lr, best_loss = float(last.lrs[j]), float(last.val_loss[j])
    else:
        best_lr, best_loss = math.nan, math.inf
    return HalvingResult(
        rungs=tuple(rungs),
        best_lr=best_lr,
        best_loss=best_loss,
        grad_evals_used=used,
        grad_evals_all=n * R,
        examples_used=used_ex,
        examples_all=n * _examples_for(R, d.n_train, bs),
    )
