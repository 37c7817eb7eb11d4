"""What several lessons' models share (pure: no Streamlit, no plotly).

* the training set-up: :data:`HIDDEN`, :data:`BATCH` and :func:`data_and_spec`, so every page
  that trains "the MLP on the digits" trains the same one;
* learning-rate grids: :func:`rate_grid` builds every page's log grid (each page keeps its own
  range and density, so the values its links carry stay valid) and :func:`snap` moves a rate
  to the nearest grid value on a log scale;
* curves: :func:`binned` averages a per-iteration series over bins of iterations (what the
  training-loss charts draw, and what their captions quote).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from engine.data import Dataset, load_dataset
from engine.models import ModelSpec

__all__ = ["BATCH", "HIDDEN", "binned", "data_and_spec", "rate_grid", "snap"]

#: hidden layer widths of "the MLP" on every page
HIDDEN: tuple[int, ...] = (32,)
#: minibatch size on every page that does not offer a choice
BATCH = 64
#: mantissas per decade, by name
ONE_TWO_FIVE = (1, 2, 5)
EIGHT_A_DECADE = (1, 1.5, 2, 3, 4, 5, 6, 8)


def data_and_spec(
    dataset: str = "digits", model: str = "mlp", hidden: tuple[int, ...] = HIDDEN
) -> tuple[Dataset, ModelSpec]:
    """A bundled data set and the model trained on it: ``"mlp"`` (one hidden layer of
    :data:`HIDDEN` ReLU units) or ``"softmax"`` regression (any case: "MLP" works too).

    >>> data, spec = data_and_spec("digits", "MLP")
    >>> spec.kind, spec.hidden, data.n_features, data.n_classes
    ('mlp', (32,), 64, 10)
    """
    data = load_dataset(dataset)
    kind = model.lower()
    if kind == "softmax":
        return data, ModelSpec("softmax", data.n_features, data.n_classes)
    if kind == "mlp":
        return data, ModelSpec("mlp", data.n_features, data.n_classes, hidden=tuple(hidden))
    raise ValueError(f"unknown model {model!r}: 'mlp' or 'softmax'")


def rate_grid(
    lo_exp: int, hi_exp: int, mantissas: Sequence[float] = ONE_TWO_FIVE, *, top: bool = True
) -> tuple[float, ...]:
    """Learning rates ``m * 10**e`` for ``e`` from ``lo_exp`` to ``hi_exp - 1`` and each
    mantissa ``m``, ascending, printed-exact (``0.15``, not ``0.15000000000000002``); with
    ``top``, ``10**hi_exp`` closes the grid.

    >>> rate_grid(-2, 0)
    (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0)
    >>> rate_grid(-1, 0, EIGHT_A_DECADE, top=False)
    (0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8)
    """
    out = [float(f"{m * 10.0**e:.6g}") for e in range(lo_exp, hi_exp) for m in mantissas]
    if top:
        out.append(float(10.0**hi_exp))
    return tuple(out)


def snap(lr: float, grid: Sequence[float], lo: float = 0.0, hi: float = math.inf) -> float:
    """The value of ``grid`` nearest to ``lr`` on a log scale, strictly inside ``(lo, hi)`` if
    any grid value is (a preset that must stay below 2/f'' stays below it).

    >>> g = rate_grid(-2, 1)
    >>> snap(0.3, g), snap(1e-9, g), snap(0.3, g, lo=0.5)
    (0.2, 0.01, 1.0)
    """
    arr = np.asarray([v for v in grid if v > 0], dtype=float)
    inside = arr[(arr > lo * (1 + 1e-12)) & (arr < hi * (1 - 1e-12))]
    pool = inside if inside.size else arr
    target = math.log(min(max(float(lr), arr[0]), arr[-1]))
    return float(pool[np.argmin(np.abs(np.log(pool) - target))])


def binned(y: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Means of ``y`` over consecutive bins of ``width`` iterations.

    A last bin shorter than half a bin joins the one before it (a lone noisy point would
    otherwise end the curve).

    Returns ``(centres, means)``: the centre of each bin in iterations (``(first + last) / 2``)
    and the mean of its finite values (NaN when a bin has none, e.g. after a divergence).

    >>> binned(np.array([1.0, 3.0, 5.0, 7.0, 9.0]), 2)
    (array([0.5, 2.5, 4. ]), array([2., 6., 9.]))
    >>> binned(np.array([1.0, 3.0, 5.0, 7.0, 9.0, 11.0, 13.0]), 3)
    (array([1. , 4.5]), array([ 3., 10.]))
    """
    y = np.asarray(y, dtype=np.float64)
    w = max(1, int(width))
    n = y.shape[0]
    starts = np.arange(0, n, w)
    if starts.size > 1 and n - starts[-1] < (w + 1) // 2:
        starts = starts[:-1]  # a short last bin joins the one before it (no noisy lone point)
    ends = np.append(starts[1:], n)
    finite = np.isfinite(y)
    vals = np.where(finite, y, 0.0)
    csum = np.concatenate([[0.0], np.cumsum(vals)])
    ccount = np.concatenate([[0], np.cumsum(finite)])
    total = csum[ends] - csum[starts]
    count = ccount[ends] - ccount[starts]
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    centres = (starts + ends - 1) / 2.0
    return centres, means
