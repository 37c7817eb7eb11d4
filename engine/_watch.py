"""One divergence bookkeeping for every batched run in the engine (private).

Gradient descent on a surface (:mod:`engine.descent`), training a model (:mod:`engine.train`)
and the child learners (:mod:`engine.child`) all advance K runs side by side, and all need to
know which runs have blown up, at which step, and why.  A :class:`Watch` keeps that record for
all of them, so "diverged" means the same thing everywhere:

* a **loss** (or loss gap) that is NaN or infinite, or above its limit (``blowup_factor`` times
  where it started: the limit is the caller's): reasons :data:`NAN`, :data:`INF`,
  :data:`BLOWUP`;
* **parameters** that stop being finite (:data:`PARAMS`), or, when a position limit is given,
  whose largest ``|x|`` passes it (:data:`POSITION`);
* any other array that must stay finite, e.g. a gradient (:data:`GRAD`).

Only runs that are still live are marked, each once: ``at[k]`` is the step at which run ``k``
diverged (:data:`engine.verdict.NEVER` while it has not) and ``reason[k]`` the first reason
seen.  What to do with a diverged run (freeze it, drop it from the working arrays, or keep
stepping) stays the caller's choice.

Callers run under ``np.errstate(all="ignore")`` (overflow is a result, not a warning).
Every check takes the values of some runs (``rows``: their indices among the K runs; all K in
order by default), so a caller that compacts its arrays (the trainer) passes the indices of
the rows it still holds.  A check returns ``None`` when every value is fine (the common case,
kept to a couple of numpy calls), else a boolean mask over the values given: the runs that
diverged at this step.

>>> w = Watch(3)
>>> w.check_loss(1, np.array([0.5, np.inf, 2.0]), np.array([1.0, 1.0, 1.0]))
array([False,  True,  True])
>>> w.at.tolist(), w.reason, w.live.tolist()
([-1, 1, 1], ['', 'inf', 'blowup'], [True, False, False])
>>> w.check_loss(2, np.array([np.nan]), 1.0, rows=[0]), w.at.tolist()
(array([ True]), [2, 1, 1])
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from engine.verdict import NEVER

__all__ = ["BLOWUP", "GRAD", "INF", "NAN", "PARAMS", "POSITION", "REASONS", "Watch", "blown_up"]

#: the loss became NaN (not a number)
NAN = "nan"
#: the loss became infinite
INF = "inf"
#: the loss grew past its limit (``blowup_factor`` times where it started)
BLOWUP = "blowup"
#: the parameters overflowed to infinity or NaN
PARAMS = "params"
#: the parameters left the position limit (``|x|`` past ``position_limit``)
POSITION = "position"
#: the gradient overflowed to infinity or NaN
GRAD = "grad"
#: every reason a :class:`Watch` records ("" for a run that did not diverge)
REASONS: tuple[str, ...] = (NAN, INF, BLOWUP, PARAMS, POSITION, GRAD)


def blown_up(values: ArrayLike) -> np.ndarray:
    """Which final values mark a diverged run: not finite (inf or NaN), as every result of a
    diverged run reports (e.g. ``History.final_val_loss``).

    >>> blown_up([0.3, np.inf, np.nan]).tolist()
    [False, True, True]
    """
    return ~np.isfinite(np.asarray(values, dtype=np.float64))


class Watch:
    """Which of K runs have diverged, at which step, and why.

    Attributes
    ----------
    at : ndarray (K,) of int
        The step at which each run diverged; :data:`~engine.verdict.NEVER` while it has not.
    reason : list of str
        One of :data:`REASONS` per diverged run, ``""`` for the others.
    """

    __slots__ = ("at", "reason")

    def __init__(self, k: int) -> None:
        self.at = np.full(int(k), NEVER, dtype=np.int64)
        self.reason: list[str] = [""] * int(k)

    @property
    def live(self) -> np.ndarray:
        """bool (K,): the runs that have not diverged."""
        return self.at == NEVER

    @property
    def diverged(self) -> np.ndarray:
        """bool (K,): the runs that have diverged."""
        return self.at != NEVER

    def mark(
        self,
        t: int,
        bad: np.ndarray,
        reason: str | list[str],
        rows: ArrayLike | None = None,
    ) -> np.ndarray:
        """Mark the still-live runs among ``bad`` as diverged at step ``t``.

        ``bad`` is a bool mask over the values of the runs ``rows``; ``reason`` one code for
        all of them, or one per value.  Returns the mask of the runs newly marked.
        """
        idx = np.arange(self.at.size) if rows is None else np.asarray(rows, dtype=np.intp)
        new = np.asarray(bad, dtype=bool) & (self.at[idx] == NEVER)
        for j in np.flatnonzero(new):
            o = int(idx[j])
            self.at[o] = t
            self.reason[o] = reason if isinstance(reason, str) else reason[j]
        return new

    def check_loss(
        self, t: int, value: np.ndarray, limit: ArrayLike, rows: ArrayLike | None = None
    ) -> np.ndarray | None:
        """A loss (or loss gap) per run that is NaN, infinite or above ``limit`` diverges.

        Returns ``None`` if no value diverged, else the mask of the runs newly marked (reasons
        :data:`NAN`, :data:`INF`, :data:`BLOWUP`).
        """
        ok = np.isfinite(value) & (value <= limit)
        if ok.all():
            return None
        reasons = [
            NAN if np.isnan(v) else INF if np.isinf(v) else BLOWUP for v in np.asarray(value)
        ]
        return self.mark(t, ~ok, reasons, rows)

    def check_params(
        self,
        t: int,
        params: np.ndarray,
        limit: float | None = None,
        rows: ArrayLike | None = None,
    ) -> np.ndarray | None:
        """Parameters ``(n, P)`` (one row per run) that stop being finite diverge
        (:data:`PARAMS`); with a ``limit``, so do rows whose largest ``|x|`` passes it
        (:data:`POSITION`).

        Without a limit the test is on the row sums (one pass over the parameters: a row
        with an inf or NaN sums to inf or NaN).  Returns ``None`` if no row diverged, else the
        mask of the runs newly marked.
        """
        if limit is None:
            ok = np.isfinite(params.sum(axis=-1))
            if ok.all():
                return None
            return self.mark(t, ~ok, PARAMS, rows)
        big = np.max(np.abs(params), axis=-1)
        ok = big <= limit  # False for NaN and inf as well
        if ok.all():
            return None
        reasons = [PARAMS if not np.isfinite(b) else POSITION for b in big]
        return self.mark(t, ~ok, reasons, rows)

    def check_finite(
        self, t: int, values: np.ndarray, reason: str = GRAD, rows: ArrayLike | None = None
    ) -> np.ndarray | None:
        """Rows of ``values`` ``(n, ...)`` with an inf or NaN entry diverge with ``reason``.

        Returns ``None`` if every row is finite, else the mask of the runs newly marked.
        """
        ok = np.isfinite(values).reshape(values.shape[0], -1).all(axis=1)
        if ok.all():
            return None
        return self.mark(t, ~ok, reason, rows)
