"""Train K copies of a model at once, one per learning rate, and say what happened.

:func:`train` starts K models from the same seeded initial parameters and feeds them the SAME
minibatches in the same order (one seeded shuffling generator), so the only difference
between row ``k`` and row ``j`` is the learning rate: training K rates in one call gives the
same numbers as K separate calls with the same seed.  The parameters are one ``(K, P)``
array updated in place by the shared optimiser core (:mod:`engine.optim`).

What is recorded (``T`` iterations, ``E`` evaluations):

* ``train_loss (K, T)``: the loss of the minibatch of iteration ``t``, computed with the
  parameters *before* that iteration's update (the "batch loss" every training loop logs);
* ``lr (K, T)``: the learning rate the update of iteration ``t`` used (a schedule's value,
  or the rate hypergradient descent adapted);
* ``val_loss, val_acc (K, E)`` at ``eval_iters (E,)``: evaluation after ``eval_iters[e]``
  updates; by default before training (iteration 0), after every epoch, and at the end.

Divergence is a result.  A model *diverges* at iteration ``t`` when its batch loss there is
not finite or exceeds ``blowup_factor * max(initial loss, 1)``, or when its parameters stop
being finite after the update of iteration ``t - 1`` (the engine's shared bookkeeping,
``engine._watch``, records when and why).  A diverged model is frozen: it takes no further
updates, its later records are NaN, and it costs nothing more.  The other rows are untouched
(bit-identical to a run without the diverging rate): frozen rows are removed from the working
arrays, never masked.  A ``stop_rule`` freezes rows the same way.

Cost: ``History.grad_evals[k]`` counts the minibatch gradient evaluations of model ``k`` (one
per iteration it ran, including the one that froze it, which takes no update), and
``History.examples[k]`` the training examples they touched (per-example gradient
evaluations); the loss evaluations on the validation set are not counted.

:func:`classify_run` says what happened to a run in three parts: numbers measured from its
loss curve (``_Features``), a :class:`~engine.verdict.Kind` decided from them with the named
thresholds below, and a sentence.

Everything runs under ``np.errstate(all="ignore")``: no warnings, no exceptions on overflow.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields, replace

import numpy as np

from engine import _watch, fmt
from engine.data import Dataset, minibatch_indices, subset_dataset
from engine.models import ModelSpec, Workspace, evaluate, init_params, loss_and_grad
from engine.optim import Optimizer, OptState, init_state, step
from engine.verdict import NEVER, Kind

__all__ = [
    "DEFAULT_BLOWUP_FACTOR",
    "FALL_NOISE",
    "FALL_SHARE",
    "LEARNING_DROP",
    "MIN_EVALS",
    "MOST_OF_THE_WAY",
    "N_CHUNKS",
    "PLATEAU_GAP",
    "TAIL_START",
    "History",
    "classify_run",
    "train",
]

#: A batch loss above ``DEFAULT_BLOWUP_FACTOR * max(initial loss, 1)`` counts as divergence.
DEFAULT_BLOWUP_FACTOR = 1e3

# thresholds of classify_run
#: The curve is the validation loss when it was evaluated at least this many times ...
MIN_EVALS = 4
#: ... else the training loss, averaged over this many chunks.
N_CHUNKS = 10
#: The tail of the curve (where "still falling" is judged) starts at this fraction of training.
TAIL_START = 0.6
#: Still falling: a line fitted to the tail drops by more than this share of the total drop ...
FALL_SHARE = 0.1
#: ... and by more than this many times the scatter around the line.
FALL_NOISE = 2.0
#: Learning at all: the loss fell by more than this fraction of its start.
LEARNING_DROP = 0.1
#: Plateaued high: the end is further than this fraction of the way from the start back up
#: from the best run's loss.
PLATEAU_GAP = 0.25
#: "Most of the way": within this fraction of the total drop from the end.
MOST_OF_THE_WAY = 0.1

_ScheduleLike = Callable[[int], "float | np.ndarray"] | np.ndarray | Sequence[float]
_StopRule = Callable[[int, np.ndarray], np.ndarray]

_REASONS = {
    _watch.INF: "loss became infinite",
    _watch.NAN: "loss became NaN (not a number)",
    _watch.BLOWUP: "loss grew past {factor} times its starting value",
    _watch.PARAMS: "the weights overflowed to infinity or NaN",
}


@dataclass(frozen=True, eq=False)
class History:
    """Everything recorded while training K models side by side.

    Attributes
    ----------
    spec : ModelSpec
    optimizer : Optimizer
    lrs : ndarray (K,)
        The learning rates the runs were started with (row labels).
    train_loss : ndarray (K, T)
        Minibatch loss at iteration ``t`` (before its update); NaN once the row is frozen.
    lr : ndarray (K, T)
        Learning rate used by the update of iteration ``t`` (at the iteration that froze a
        row: the rate it would have used); NaN after that.
    eval_iters : ndarray (E,) of int
        Number of updates done before each evaluation (0 = the initial model).
    val_loss, val_acc : ndarray (K, E)
        Validation loss and accuracy (accuracy NaN for a regression); NaN after a freeze.
    final_val_loss, final_val_acc : ndarray (K,)
        Validation loss/accuracy of every row's final parameters (stopped rows included);
        ``inf`` / NaN for diverged rows.
    diverged : ndarray (K,) of bool
    diverged_at : ndarray (K,) of int
        Iteration at which the row diverged, :data:`~engine.verdict.NEVER` if it did not.
    diverged_reason : tuple of str
        ``""``, ``"inf"``, ``"nan"``, ``"blowup"`` or ``"params"`` (the weights overflowed)
        per row.
    stopped_at : ndarray (K,) of int
        Iteration at which ``stop_rule`` froze the row, :data:`~engine.verdict.NEVER` if it
        did not.
    theta : ndarray (K, P)
        Final parameters (the frozen ones for frozen rows; possibly non-finite if a row's
        weights overflowed).
    grad_evals : ndarray (K,) of int
        Minibatch gradient evaluations per row: the iterations it ran, including the one that
        froze it (which takes no update).
    examples : ndarray (K,) of int
        Training examples processed per row (the batch sizes of those ``grad_evals``, exactly).
    iters_per_epoch : int
    batch_size : int
    n_train : int
    dataset : str
    blowup_factor : float
        The divergence threshold the run used (see :func:`train`).
    """

    spec: ModelSpec
    optimizer: Optimizer
    lrs: np.ndarray
    train_loss: np.ndarray
    lr: np.ndarray
    eval_iters: np.ndarray
    val_loss: np.ndarray
    val_acc: np.ndarray
    final_val_loss: np.ndarray
    final_val_acc: np.ndarray
    diverged: np.ndarray
    diverged_at: np.ndarray
    diverged_reason: tuple[str, ...]
    stopped_at: np.ndarray
    theta: np.ndarray
    grad_evals: np.ndarray
    examples: np.ndarray
    iters_per_epoch: int
    batch_size: int
    n_train: int
    dataset: str
    blowup_factor: float = DEFAULT_BLOWUP_FACTOR

    @property
    def K(self) -> int:
        """Number of runs."""
        return int(self.lrs.shape[0])

    @property
    def T(self) -> int:
        """Number of iterations recorded."""
        return int(self.train_loss.shape[1])

    @property
    def epochs(self) -> np.ndarray:
        """Epoch (fractional) of every iteration: ``t / iters_per_epoch``, shape (T,)."""
        return np.arange(self.T) / self.iters_per_epoch

    @property
    def eval_epochs(self) -> np.ndarray:
        """Epoch of every evaluation, shape (E,)."""
        return self.eval_iters / self.iters_per_epoch

    @property
    def labels(self) -> tuple[str, ...]:
        """Row labels, e.g. ``("lr = 0.1", "lr = 1")``."""
        return tuple(f"lr = {fmt.rate(lr)}" for lr in self.lrs)

    #: the fields with one entry (or row) per run
    _PER_RUN = (
        "lrs",
        "train_loss",
        "lr",
        "val_loss",
        "val_acc",
        "final_val_loss",
        "final_val_acc",
        "diverged",
        "diverged_at",
        "diverged_reason",
        "stopped_at",
        "theta",
        "grad_evals",
        "examples",
    )

    def select(self, rows: Sequence[int]) -> History:
        """The runs ``rows`` only, in that order, as a new History (e.g. to draw some of them).

        Examples
        --------
        >>> from engine.data import load_dataset
        >>> h = train(ModelSpec("softmax", 64, 10), load_dataset("digits"), [0.1, 1.0, 10.0],
        ...           epochs=None, max_iters=5)
        >>> h.select([2, 0]).lrs
        array([10. ,  0.1])
        """
        idx = np.asarray(rows, dtype=np.intp).reshape(-1)
        if np.any((idx < 0) | (idx >= self.K)):
            raise IndexError(f"rows must lie in 0 ... {self.K - 1}")
        picked = {}
        for name in self._PER_RUN:
            value = getattr(self, name)
            picked[name] = (
                tuple(value[i] for i in idx) if isinstance(value, tuple) else value[idx].copy()
            )
        return replace(self, **picked)

    def to_frame(self):  # -> pandas.DataFrame
        """Per-iteration records as a tidy ``pandas.DataFrame`` (one row per run and iteration).

        Columns: ``run, label, lr, iteration, epoch, train_loss, lr_used``.  Iterations after a
        run was frozen are left out.  pandas is imported here only.
        """
        df = self._frame(
            np.arange(self.train_loss.shape[1]),
            train_loss=self.train_loss,
            lr_used=self.lr,
        )
        keep = ~(np.isnan(self.train_loss.ravel()) & np.isnan(self.lr.ravel()))
        return df[keep].reset_index(drop=True)

    def val_frame(self):  # -> pandas.DataFrame
        """Per-evaluation records: ``run, label, lr, iteration, epoch, val_loss, val_acc``."""
        df = self._frame(np.asarray(self.eval_iters), val_loss=self.val_loss, val_acc=self.val_acc)
        keep = ~np.isnan(self.val_loss.ravel())
        return df[keep].reset_index(drop=True)

    def _frame(self, iters: np.ndarray, **values: np.ndarray):  # -> pandas.DataFrame
        """Long format: one row per (run, iteration) with the run's label and rate."""
        import pandas as pd

        K = self.lrs.shape[0]
        run = np.repeat(np.arange(K), iters.shape[0])
        it = np.tile(iters, K)
        cols = {
            "run": run,
            "label": np.asarray(self.labels, dtype=object)[run],
            "lr": self.lrs[run],
            "iteration": it,
            "epoch": it / self.iters_per_epoch,
        }
        cols.update({name: v.ravel() for name, v in values.items()})
        return pd.DataFrame(cols)


# ----------------------------------------------------------------------------- helpers


def _as_rates(lrs: float | Sequence[float] | np.ndarray) -> np.ndarray:
    try:
        a = np.atleast_1d(np.asarray(lrs, dtype=np.float64))
    except (TypeError, ValueError):
        raise ValueError(f"learning rates must be numbers, got {lrs!r}") from None
    if a.ndim != 1 or a.size == 0:
        raise ValueError("give one or more learning rates as a 1-D list")
    if not np.all(np.isfinite(a)) or np.any(a < 0):
        raise ValueError("learning rates must be finite numbers >= 0")
    return a


def _schedule_table(
    schedule: _ScheduleLike | None, K: int
) -> tuple[Callable[[int], np.ndarray] | None, int | None]:
    """A function t -> rates (K,) and, for a precomputed array, its length."""
    if schedule is None:
        return None, None
    if callable(schedule):
        fn = schedule

        def value(t: int) -> np.ndarray:
            return np.broadcast_to(np.asarray(fn(t), dtype=np.float64), (K,))

        return value, None
    arr = np.asarray(schedule, dtype=np.float64)
    if arr.ndim == 1:
        return (lambda t: np.broadcast_to(arr[t], (K,))), arr.shape[0]
    if arr.ndim == 2 and arr.shape[0] == K:
        return (lambda t: arr[:, t]), arr.shape[1]
    raise ValueError(f"a schedule array must have shape (T,) or ({K}, T), got {arr.shape}")


def _compact_state(state: OptState, keep: np.ndarray) -> None:
    """Keep only the rows ``keep`` of every per-row array of the optimiser state."""
    k_old = state.lr.shape[0]
    for f in fields(state):
        v = getattr(state, f.name)
        if isinstance(v, np.ndarray) and v.ndim >= 1 and v.shape[0] == k_old:
            setattr(state, f.name, v[keep])


def _eval_iters(n_iter: int, every: int) -> np.ndarray:
    pts = list(range(0, n_iter, every)) + [n_iter]
    return np.array(sorted(set(pts)), dtype=np.int64)


# ----------------------------------------------------------------------------- train


def train(
    spec: ModelSpec,
    data: Dataset,
    lrs: float | Sequence[float] | np.ndarray,
    *,
    optimizer: Optimizer = Optimizer(),  # noqa: B008  (frozen, so a safe default)
    epochs: int | None = 5,
    batch_size: int | None = 64,
    seed: int = 0,
    schedule: _ScheduleLike | None = None,
    max_iters: int | None = None,
    eval_every: int | None = None,
    stop_rule: _StopRule | None = None,
    init_theta: np.ndarray | None = None,
    subset: float | None = None,
    blowup_factor: float = DEFAULT_BLOWUP_FACTOR,
) -> History:
    """Train K = ``len(lrs)`` models at once, one per learning rate.

    Parameters
    ----------
    spec : ModelSpec
        Must match the data (``n_in == data.n_features``, ``n_out == data.n_classes``, or
        ``"linreg"`` for a regression).
    data : Dataset
    lrs : float or sequence of float, shape (K,)
        One learning rate per model.
    optimizer : Optimizer
        The update rule (:class:`engine.optim.Optimizer`).
    epochs : int or None
        Passes over the training data.  ``None`` runs until ``max_iters`` (or the schedule's
        length).
    batch_size : int or None
        Minibatch size; ``None`` (or ``>= n_train``) is full-batch gradient descent.  The last
        batch of an epoch keeps the remaining ``n_train % batch_size`` examples.
    seed : int
        Seeds the initial parameters and the minibatch order (and ``subset``).
    schedule : callable or array, optional
        ``schedule(t) -> float or (K,)``: the absolute learning rate of iteration ``t``
        (0-based), overriding ``lrs`` for that update.  Or a precomputed array ``(T,)`` or
        ``(K, T)``; its length then also caps the number of iterations.
    max_iters : int, optional
        Stop after this many iterations (whatever ``epochs`` says).
    eval_every : int, optional
        Evaluate on the validation set every this many iterations (default: once per epoch),
        always at iteration 0 and at the end.
    stop_rule : callable, optional
        ``stop_rule(t, batch_loss) -> bool (K,)`` is called every iteration with the batch
        losses of iteration ``t`` (shape (K,), NaN for rows already frozen).  Flagged rows keep
        their records for ``t`` and take no further update (not even iteration ``t``'s); the
        loop ends when every row is frozen.
    init_theta : ndarray (P,) or (K, P), optional
        Starting parameters (copied; the caller's array is never modified).  Default: the
        seeded :func:`engine.models.init_params`.
    subset : float, optional
        Train on a seeded, stratified fraction of the training part (see
        :func:`engine.data.subset_dataset`).
    blowup_factor : float
        Divergence threshold: a batch loss above ``blowup_factor * max(initial loss, 1)``.

    Returns
    -------
    History

    Examples
    --------
    >>> from engine.data import load_dataset
    >>> data = load_dataset("moons", seed=0)
    >>> spec = ModelSpec("mlp", 2, 2, hidden=(16,))
    >>> h = train(spec, data, [0.001, 0.3, 1e4], epochs=3, batch_size=32)
    >>> h.train_loss.shape, h.eval_iters.tolist()
    ((3, 30), [0, 10, 20, 30])
    >>> h.diverged.tolist(), int(h.diverged_at[2])
    ([False, False, True], 1)
    >>> bool(h.final_val_loss[1] < h.final_val_loss[0])
    True
    """
    rates = _as_rates(lrs)
    K = rates.shape[0]
    if not isinstance(spec, ModelSpec):
        raise ValueError("spec must be an engine.models.ModelSpec")
    if spec.n_in != data.n_features:
        raise ValueError(f"the model takes {spec.n_in} features, the data have {data.n_features}")
    if data.is_regression != (spec.kind == "linreg"):
        raise ValueError("use kind 'linreg' for a regression and a classifier for classes")
    if spec.is_classifier and spec.n_out != data.n_classes:
        raise ValueError(f"the model has {spec.n_out} outputs, the data {data.n_classes} classes")
    if not (blowup_factor > 1 and math.isfinite(blowup_factor)):
        raise ValueError("blowup_factor must be a finite number > 1")
    if subset is not None:
        data = subset_dataset(data, subset, seed=seed)

    n = data.n_train
    bs = n if batch_size is None or batch_size >= n else int(batch_size)
    if bs < 1:
        raise ValueError("batch_size must be >= 1")
    ipe = math.ceil(n / bs)
    sched, sched_len = _schedule_table(schedule, K)
    caps = [c for c in (max_iters, sched_len) if c is not None]
    if epochs is None:
        if not caps:
            raise ValueError("epochs=None needs max_iters or a schedule array")
        n_iter = min(caps)
        epochs = math.ceil(n_iter / ipe)
    else:
        n_iter = int(epochs) * ipe
        if caps:
            n_iter = min([n_iter, *caps])
    n_iter = max(int(n_iter), 0)
    every = ipe if eval_every is None else max(1, int(eval_every))
    ev_iters = _eval_iters(n_iter, every)

    # parameters, optimiser state, buffers
    P = spec.n_params
    if init_theta is None:
        theta = init_params(spec, K, seed)
    else:
        t0 = np.asarray(init_theta, dtype=np.float64)
        if t0.shape not in ((P,), (K, P)):
            raise ValueError(f"init_theta must have shape ({P},) or ({K}, {P})")
        theta = np.empty((K, P))
        theta[...] = t0  # a copy: the caller's array is never touched
    state = init_state(optimizer, theta, rates)
    grad = np.empty_like(theta)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 7]))

    Xtr, ytr = data.X_train, data.y_train
    Xva, yva = data.X_val, data.y_val
    has_val = data.n_val > 0
    Xe = np.empty_like(Xtr)
    ye = np.empty_like(ytr)

    rec_loss = np.full((K, n_iter), np.nan)
    rec_lr = np.full((K, n_iter), np.nan)
    E = ev_iters.shape[0]
    val_loss = np.full((K, E), np.nan)
    val_acc = np.full((K, E), np.nan)
    watch = _watch.Watch(K)
    stopped_at = np.full(K, NEVER, dtype=np.int64)
    grad_evals = np.zeros(K, dtype=np.int64)
    final_theta = np.empty((K, P))
    cum_examples = np.zeros(n_iter + 1, dtype=np.int64)

    act = np.arange(K)  # original indices of the rows still training
    sel: slice | np.ndarray = slice(None)  # fast path while every row is active
    limit = np.full(K, np.finfo(np.float64).max)  # set from the first batch loss
    ws_full = Workspace(spec, K, bs)
    ws_last: Workspace | None = None
    next_eval = 0  # position in ev_iters
    t = 0

    def freeze(rows: np.ndarray, at: int) -> None:
        """Drop the active rows ``rows`` (bool over the active set) from training."""
        nonlocal theta, grad, act, sel, limit, ws_full, ws_last
        orig = act[rows]
        final_theta[orig] = theta[rows]
        grad_evals[orig] = at
        keep = ~rows
        theta = theta[keep]
        grad = grad[keep]  # this iteration's gradient is still needed by the update
        _compact_state(state, keep)
        limit = limit[keep]
        act = act[keep]
        sel = act
        if act.size:
            ws_full = Workspace(spec, act.size, bs)
        ws_last = None

    def do_eval(pos: int) -> None:
        if has_val and act.size:
            lv, av = evaluate(spec, theta, Xva, yva)
            val_loss[sel, pos] = lv
            val_acc[sel, pos] = av

    with np.errstate(all="ignore"):
        done = n_iter == 0 or K == 0
        for _epoch in range(int(epochs)):
            if done or t >= n_iter:
                break
            batches = minibatch_indices(n, bs, rng)
            perm = np.concatenate(batches) if len(batches) > 1 else batches[0]
            np.take(Xtr, perm, axis=0, out=Xe)
            np.take(ytr, perm, axis=0, out=ye)
            start = 0
            for idx in batches:
                if t >= n_iter:
                    done = True
                    break
                if ev_iters[next_eval] == t:
                    do_eval(next_eval)
                    next_eval += 1
                b = idx.shape[0]
                Xb = Xe[start : start + b]
                yb = ye[start : start + b]
                start += b
                cum_examples[t + 1] = cum_examples[t] + b
                if b == bs:
                    ws = ws_full
                else:
                    if ws_last is None:
                        ws_last = Workspace(spec, act.size, b)
                    ws = ws_last
                loss, _ = loss_and_grad(spec, theta, Xb, yb, out=grad, work=ws)
                rec_loss[sel, t] = loss
                lr_t = None if sched is None else sched(t)[sel]
                if t == 0:
                    limit = blowup_factor * np.maximum(np.where(np.isfinite(loss), loss, 1.0), 1.0)
                bad = watch.check_loss(t, loss, limit, rows=act)  # NaN, inf or blow-up
                flagged = None
                if stop_rule is not None:
                    s = np.asarray(stop_rule(t, rec_loss[:, t].copy()), dtype=bool)
                    s = np.broadcast_to(s, (K,))[act]
                    if s.any():
                        flagged = s if bad is None else s & ~bad
                if flagged is not None or bad is not None:
                    if bad is None:
                        rows = flagged
                    else:
                        rows = bad if flagged is None else (bad | flagged)
                    rec_lr[act[rows], t] = state.lr[rows] if lr_t is None else lr_t[rows]
                    if flagged is not None:
                        stopped_at[act[flagged]] = t
                    freeze(rows, t + 1)
                    if act.size == 0:
                        t += 1
                        done = True
                        break
                    if lr_t is not None:
                        lr_t = lr_t[~rows]
                step(optimizer, state, theta, grad, lr_t)
                rec_lr[sel, t] = state.lr
                t += 1
                bad = watch.check_params(t, theta, rows=act)
                if bad is not None:
                    freeze(bad, t)
                    if act.size == 0:
                        done = True
                        break
        T_run = t
        if act.size:
            grad_evals[act] = T_run
            final_theta[act] = theta
        # the last evaluation (at the end of training) for the rows still active
        keep_e = ev_iters <= T_run
        if next_eval < E and ev_iters[next_eval] == T_run:
            do_eval(next_eval)
        ev_iters = ev_iters[keep_e]
        val_loss = val_loss[:, keep_e]
        val_acc = val_acc[:, keep_e]
        if has_val:
            f_loss, f_acc = evaluate(spec, final_theta, Xva, yva)
        else:
            f_loss, f_acc = np.full(K, np.nan), np.full(K, np.nan)
        dv = watch.diverged
        f_loss = np.where(dv, np.inf, f_loss)
        f_acc = np.where(dv, np.nan, f_acc)

    return History(
        spec=spec,
        optimizer=optimizer,
        lrs=rates,
        train_loss=rec_loss[:, :T_run],
        lr=rec_lr[:, :T_run],
        eval_iters=ev_iters,
        val_loss=val_loss,
        val_acc=val_acc,
        final_val_loss=f_loss,
        final_val_acc=f_acc,
        diverged=dv,
        diverged_at=watch.at,
        diverged_reason=tuple(watch.reason),
        stopped_at=stopped_at,
        theta=final_theta,
        grad_evals=grad_evals,
        examples=cum_examples[grad_evals],
        iters_per_epoch=ipe,
        batch_size=bs,
        n_train=n,
        dataset=data.name,
        blowup_factor=float(blowup_factor),
    )


# ----------------------------------------------------------------------------- verdicts


def _curve(h: History, k: int) -> tuple[np.ndarray, np.ndarray, str]:
    """(iterations, loss values, name) of run k: validation if evaluated often enough."""
    vl = h.val_loss[k]
    if h.val_loss.shape[1] >= MIN_EVALS and np.isfinite(vl).sum() >= MIN_EVALS:
        m = np.isfinite(vl)
        return h.eval_iters[m].astype(np.float64), vl[m], "validation loss"
    tl = h.train_loss[k]
    m = np.isfinite(tl)
    x, v = np.flatnonzero(m).astype(np.float64), tl[m]
    n_chunks = min(N_CHUNKS, v.size)
    if n_chunks == 0:
        return x, v, "training loss"
    parts = np.array_split(np.arange(v.size), n_chunks)
    xs = np.array([x[p].mean() for p in parts])
    vs = np.array([v[p].mean() for p in parts])
    # anchor the start at the very first batch loss (the untrained model)
    xs[0], vs[0] = x[0], v[0]
    return xs, vs, "training loss"


def _when(h: History, it: float) -> str:
    ep = it / h.iters_per_epoch
    if h.iters_per_epoch > 1 and ep >= 1:
        return f"epoch {math.ceil(ep - 1e-9)}"
    return f"iteration {int(round(it))}"


@dataclass(frozen=True)
class _Features:
    """Numbers measured from one run's loss curve (see :func:`_measure`)."""

    diverged_at: int  # NEVER if it did not
    reason: str  # why it diverged ("" if it did not)
    blowup_factor: float
    points: int  # points on the curve
    what: str  # "validation loss" or "training loss"
    first: float  # the curve's first value
    last: float  # its last value
    best: float  # the reference: the best run's final value (at most ``last``)
    drop: float  # first - last
    fall: float  # how much a line fitted to the tail drops over the tail
    scatter: float  # standard deviation of the tail around that line
    gap: float  # (last - best) / (first - best): 0 at the best run, 1 back at the start
    end: str  # when the curve ends, in words ("epoch 5")
    most_by: str  # when it got within MOST_OF_THE_WAY of its total drop, in words

    @property
    def falling(self) -> bool:
        """Still clearly falling at the end (FALL_SHARE of the drop, FALL_NOISE x scatter)."""
        return (
            self.drop > 0
            and self.fall > FALL_SHARE * self.drop
            and self.fall > FALL_NOISE * self.scatter
        )

    @property
    def learning(self) -> bool:
        """The loss fell by more than LEARNING_DROP of where it started."""
        return self.drop > LEARNING_DROP * max(abs(self.first), 1e-12)


def _measure(h: History, k: int, reference: float | None) -> _Features:
    nan = math.nan
    if h.diverged[k]:
        return _Features(
            int(h.diverged_at[k]), h.diverged_reason[k], h.blowup_factor,
            0, "", nan, nan, nan, nan, nan, nan, nan, "", "",
        )  # fmt: skip
    x, v, what = _curve(h, k)
    if v.size < 2:
        return _Features(NEVER, "", h.blowup_factor, int(v.size), what, nan, nan, nan, nan,
                         nan, nan, nan, "", "")  # fmt: skip
    l0, lend = float(v[0]), float(v[-1])
    if reference is None:
        finals = [float(_curve(h, j)[1][-1]) for j in range(h.K) if not h.diverged[j]]
        reference = min(finals) if finals else lend
    ref = min(float(reference), lend)
    drop = l0 - lend
    total = x[-1] - x[0]
    # a line fitted to the tail of the curve: how far it falls, and the scatter around it
    tail = x >= x[0] + TAIL_START * total
    if tail.sum() < 3:
        tail = np.zeros(v.size, dtype=bool)
        tail[-min(3, v.size) :] = True
    xt, vt = x[tail], v[tail]
    slope, icpt = np.polyfit(xt - xt[0], vt, 1) if np.ptp(xt) > 0 else (0.0, vt[0])
    fall = -slope * float(np.ptp(xt))
    scatter = float(np.std(vt - (icpt + slope * (xt - xt[0]))))
    reach = l0 - ref
    gap = (lend - ref) / reach if reach > 0 else 0.0
    # when did it get within MOST_OF_THE_WAY of its total drop?
    first = int(np.argmax(v <= lend + MOST_OF_THE_WAY * drop))
    return _Features(
        NEVER, "", h.blowup_factor, int(v.size), what, l0, lend, ref, drop, float(fall),
        scatter, float(gap), _when(h, x[-1]), _when(h, x[first]),
    )  # fmt: skip


def _classify(f: _Features) -> Kind:
    """The kind of a run, from its measured features and the thresholds above."""
    if f.diverged_at != NEVER:
        return Kind.DIVERGED
    if f.points < 2:
        return Kind.SLOW
    if not f.learning:
        return Kind.SLOW if f.falling else Kind.PLATEAU
    if f.falling:
        return Kind.SLOW
    if f.gap > PLATEAU_GAP:
        return Kind.PLATEAU
    return Kind.CONVERGED


def _describe(f: _Features, kind: Kind) -> str:
    """The sentence a student reads, with the run's numbers."""
    if kind == Kind.DIVERGED:
        why = _REASONS.get(f.reason, "loss became non-finite")
        return f"diverged at iteration {f.diverged_at} ({why.format(factor=fmt.factor(f.blowup_factor))})"
    if f.points < 2:
        return "too few iterations to judge"
    what, l0, lend = f.what, fmt.loss(f.first), fmt.loss(f.last)
    if not f.learning:
        if kind == Kind.SLOW:
            return (
                f"{what} barely moved, from {l0} to {lend} by {f.end}, but is still "
                "falling: the rate is probably too low"
            )
        return f"{what} stayed near {l0} (ended at {lend}): it is not learning"
    if kind == Kind.SLOW:
        return f"{what} fell from {l0} to {lend} by {f.end} and is still falling"
    if kind == Kind.PLATEAU:
        return (
            f"{what} fell from {l0} but levelled off at {lend}, well above the "
            f"best run's {fmt.loss(f.best)}"
        )
    return f"{what} fell from {l0} to {lend}, most of the way by {f.most_by}"


def classify_run(h: History, k: int, *, reference: float | None = None) -> tuple[Kind, str]:
    """What happened to run ``k``, as ``(kind, sentence)`` computed from its numbers.

    ``kind`` is a :class:`~engine.verdict.Kind`:

    * ``Kind.DIVERGED``: the run blew up (see :func:`train`), e.g. ``"diverged at iteration
      37 (loss became infinite)"``;
    * ``Kind.PLATEAU``: the loss stopped falling while still far above the best run
      (``reference``, by default the lowest final loss among the runs of ``h``): more than
      :data:`PLATEAU_GAP` of the way back up to where it started; or it never fell by more
      than :data:`LEARNING_DROP` and is not falling;
    * ``Kind.SLOW``: the loss is still clearly falling at the end (a line fitted to the last
      40% of the curve drops by more than :data:`FALL_SHARE` of its total drop, and by more
      than :data:`FALL_NOISE` times the scatter around it);
    * ``Kind.CONVERGED``: the loss fell and levelled off close to the best run.

    The curve used is the validation loss when it was evaluated at least :data:`MIN_EVALS`
    times, the training loss (averaged over :data:`N_CHUNKS` chunks) otherwise.

    Examples
    --------
    >>> from engine.data import load_dataset
    >>> data = load_dataset("moons", seed=0)
    >>> spec = ModelSpec("mlp", 2, 2, hidden=(16,))
    >>> h = train(spec, data, [1e-4, 0.5, 1e4], epochs=5, batch_size=32)
    >>> classify_run(h, 2)
    (<Kind.DIVERGED: 'diverged'>, 'diverged at iteration 1 (loss grew past 1,000 times its starting value)')
    >>> classify_run(h, 0)[0], classify_run(h, 1)[0]
    (<Kind.SLOW: 'too slow'>, <Kind.CONVERGED: 'converged'>)
    """  # noqa: E501
    f = _measure(h, k, reference)
    kind = _classify(f)
    return kind, _describe(f, kind)
