"""Per-iteration losses made readable: trailing means and means per epoch (pure numpy).

The model of *Four regimes* draws its loss curves from these, and states in its captions the
numbers they use (how many minibatches a smoothed point averages).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["epoch_means", "smooth_losses"]


def _finite_prefix(row: np.ndarray) -> int:
    """Length of the leading run of finite values of a 1-D array."""
    bad = ~np.isfinite(row)
    return int(np.argmax(bad)) if bad.any() else row.shape[0]


def smooth_losses(
    losses: np.ndarray, window: int, *, ends: Sequence[int] | np.ndarray | None = None
) -> np.ndarray:
    """Trailing mean of every row over ``window`` iterations (fewer at the start).

    Each row is smoothed over its leading finite values only; from the first NaN/inf on the
    row is NaN.  ``ends[k] >= 0`` marks the iteration where run ``k`` blew up: that point keeps
    its raw value (if finite), so a smoothed line still ends where the loss really went.

    Examples
    --------
    >>> smooth_losses(np.array([[4.0, 2.0, 0.0, np.nan]]), 2).tolist()
    [[4.0, 3.0, 1.0, nan]]
    """
    Y = np.atleast_2d(np.asarray(losses, dtype=np.float64))
    w = max(1, int(window))
    out = np.full(Y.shape, np.nan)
    for k, row in enumerate(Y):
        n = _finite_prefix(row)
        if n:
            c = np.concatenate(([0.0], np.cumsum(row[:n])))
            i = np.arange(1, n + 1)
            lo = np.maximum(i - w, 0)
            out[k, :n] = (c[i] - c[lo]) / (i - lo)
        if ends is not None:
            d = int(ends[k])
            if 0 <= d < row.shape[0] and np.isfinite(row[d]):
                out[k, d] = row[d]
    return out


def epoch_means(losses: np.ndarray, iters_per_epoch: int) -> np.ndarray:
    """Mean of the finite losses of every epoch, shape ``(K, ceil(T / iters_per_epoch))``.

    An epoch with no finite loss (a run that had stopped) is NaN.  No warnings.

    Examples
    --------
    >>> epoch_means(np.array([[3.0, 1.0, 2.0, np.nan, np.nan]]), 2).tolist()
    [[2.0, 2.0, nan]]
    """
    Y = np.atleast_2d(np.asarray(losses, dtype=np.float64))
    ipe = max(1, int(iters_per_epoch))
    K, T = Y.shape
    E = -(-T // ipe)
    pad = np.full((K, E * ipe), np.nan)
    pad[:, :T] = Y
    pad = pad.reshape(K, E, ipe)
    ok = np.isfinite(pad)
    n = ok.sum(axis=2)
    s = np.where(ok, pad, 0.0).sum(axis=2)
    return np.where(n > 0, s / np.maximum(n, 1), np.nan)
