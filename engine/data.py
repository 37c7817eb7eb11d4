"""Data sets for the real-model lessons: handwritten digits, two moons, spirals, a regression.

Every loader returns a :class:`Dataset`: a training part and a validation part, features
standardised with the mean and standard deviation of the *training* part only (the validation
part is transformed with the same numbers, so its mean is close to, but not exactly, zero).

* ``"digits"``: the 8x8 handwritten digits (UCI "Optical Recognition of Handwritten Digits",
  Alpaydin & Kaynak 1998, CC BY 4.0): 1,797 images, 64 pixel counts 0..16, 10 classes.  Read
  from ``assets/digits.npz`` (see ``assets/README.md``); no network, a few milliseconds, cached.
* ``"moons"``: two interleaving half circles (2 features, 2 classes), generated with a seed.
* ``"spirals"``: three interleaved spiral arms (2 features, 3 classes), generated with a seed.
* :func:`make_regression_problem`: linear regression whose Hessian (and so whose best and
  largest stable learning rates) is known in closed form.

The split is stratified (every class keeps its share in both parts) and seeded.  ``subset``
keeps a seeded, stratified fraction of the training part (at least a few examples per class)
for cheap early trials; smaller subsets are nested inside larger ones for the same seed.  The
validation part and the standardisation never depend on ``subset``.

Randomness: one ``numpy.random.SeedSequence(seed)`` spawns independent streams for generating,
splitting and sub-setting, so the same seed always gives the same numbers.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

__all__ = [
    "DATASETS",
    "DIGITS_PATH",
    "MIN_PER_CLASS",
    "Dataset",
    "RegressionProblem",
    "load_dataset",
    "load_digits",
    "make_moons",
    "make_spirals",
    "make_regression_problem",
    "subset_dataset",
    "minibatch_indices",
]

DATASETS: tuple[str, ...] = ("digits", "moons", "spirals")

#: Where the bundled digits live.
DIGITS_PATH = Path(__file__).resolve().parents[1] / "assets" / "digits.npz"

#: Default generation settings for the 2-feature sets.
_DEFAULT_NOISE = {"moons": 0.2, "spirals": 0.2}
_DEFAULT_SAMPLES = {"moons": 400, "spirals": 600}

#: ``subset`` never keeps fewer than this many training examples per class.
MIN_PER_CLASS = 5


def _readonly(a: np.ndarray) -> np.ndarray:
    a.flags.writeable = False
    return a


@dataclass(frozen=True, eq=False)
class Dataset:
    """A training / validation split, ready for a model.

    Attributes
    ----------
    X_train, X_val : ndarray (n, n_features), float64, read-only
        Standardised features (training mean and standard deviation).
    y_train, y_val : ndarray (n,), read-only
        Class labels (int64, ``0 .. n_classes-1``), or float64 targets for a regression.
    n_classes : int
        Number of classes; 0 for a regression.
    name : str
    n_features : int
    mean, scale : ndarray (n_features,)
        The standardisation: ``X_standardised = (X_raw - mean) / scale`` (use them to map a
        plotting grid into the model's input space).

    Examples
    --------
    >>> d = load_dataset("moons", seed=1)
    >>> d.n_train, d.n_val, d.n_features, d.n_classes
    (320, 80, 2, 2)
    """

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    n_classes: int
    name: str
    n_features: int
    mean: np.ndarray
    scale: np.ndarray

    @property
    def n_train(self) -> int:
        """Number of training examples."""
        return int(self.X_train.shape[0])

    @property
    def n_val(self) -> int:
        """Number of validation examples."""
        return int(self.X_val.shape[0])

    @property
    def is_regression(self) -> bool:
        """True for a regression (``n_classes == 0``)."""
        return self.n_classes == 0

    def standardise(self, X_raw: np.ndarray) -> np.ndarray:
        """Map raw features (e.g. a plotting grid) into the model's input space.

        Examples
        --------
        >>> d = load_dataset("moons")
        >>> d.standardise(d.mean[None, :]).tolist()
        [[0.0, 0.0]]
        """
        return (np.asarray(X_raw, dtype=np.float64) - self.mean) / self.scale


# ----------------------------------------------------------------------------- raw data


@functools.lru_cache(maxsize=1)
def _digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    with np.load(DIGITS_PATH) as f:
        X = f["X"]
        y = f["y"]
    return _readonly(X), _readonly(y)


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """The raw 8x8 digits: ``X`` (1797, 64) uint8 pixel counts 0..16, ``y`` (1797,) uint8.

    Loaded once from ``assets/digits.npz`` and cached; the arrays are read-only.

    Examples
    --------
    >>> X, y = load_digits()
    >>> X.shape, X.dtype, int(X.max()), len(np.unique(y))
    ((1797, 64), dtype('uint8'), 16, 10)
    """
    return _digits_arrays()


def make_moons(
    n_samples: int = 400, *, noise: float = 0.2, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles with Gaussian noise (as scikit-learn's ``make_moons``).

    Returns ``X`` (n_samples, 2) float64 and ``y`` (n_samples,) int64 with two balanced classes.

    Examples
    --------
    >>> X, y = make_moons(10, noise=0.0, rng=np.random.default_rng(0))
    >>> X.shape, np.bincount(y).tolist()
    ((10, 2), [5, 5])
    """
    n_out = n_samples // 2
    n_in = n_samples - n_out
    t_out = np.linspace(0.0, np.pi, n_out)
    t_in = np.linspace(0.0, np.pi, n_in)
    X = np.concatenate(
        [
            np.stack([np.cos(t_out), np.sin(t_out)], axis=1),
            np.stack([1.0 - np.cos(t_in), 0.5 - np.sin(t_in)], axis=1),
        ]
    )
    y = np.concatenate([np.zeros(n_out, np.int64), np.ones(n_in, np.int64)])
    X = X + noise * rng.standard_normal(X.shape)
    return X, y


def make_spirals(
    n_samples: int = 600, *, n_arms: int = 3, noise: float = 0.2, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved spiral arms, one class per arm (the CS231n toy problem).

    The angle of each point carries Gaussian noise of standard deviation ``noise`` (radians).

    Examples
    --------
    >>> X, y = make_spirals(30, rng=np.random.default_rng(0))
    >>> X.shape, np.bincount(y).tolist()
    ((30, 2), [10, 10, 10])
    """
    counts = np.full(n_arms, n_samples // n_arms)
    counts[: n_samples % n_arms] += 1
    Xs, ys = [], []
    for arm, m in enumerate(counts):
        r = np.linspace(0.05, 1.0, m)
        t = np.linspace(0.0, 4.0, m) + arm * 2.0 * np.pi / n_arms
        t = t + noise * rng.standard_normal(m)
        Xs.append(np.stack([r * np.sin(t), r * np.cos(t)], axis=1))
        ys.append(np.full(m, arm, np.int64))
    return np.concatenate(Xs), np.concatenate(ys)


# ----------------------------------------------------------------------------- splitting


def _allocate(counts: np.ndarray, fraction: float) -> np.ndarray:
    """Per-class shares of ``fraction * sum(counts)`` (largest remainders), summing exactly."""
    quota = fraction * counts
    take = np.floor(quota).astype(np.int64)
    short = int(round(fraction * counts.sum())) - int(take.sum())
    if short > 0:
        order = np.argsort(-(quota - take), kind="stable")
        take[order[:short]] += 1
    return np.minimum(take, counts)


def _stratified_split(
    y: np.ndarray, n_classes: int, val_fraction: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, val): each class split in proportion, then both parts shuffled."""
    if n_classes == 0:
        perm = rng.permutation(len(y))
        n_val = int(round(val_fraction * len(y)))
        return perm[n_val:], perm[:n_val]
    counts = np.bincount(y, minlength=n_classes)
    n_val = _allocate(counts, val_fraction)
    if val_fraction > 0:  # every class is seen in validation if it can be
        n_val = np.where((n_val == 0) & (counts > 1), 1, n_val)
    tr, va = [], []
    for c in range(n_classes):
        idx = rng.permutation(np.flatnonzero(y == c))
        va.append(idx[: n_val[c]])
        tr.append(idx[n_val[c] :])
    return rng.permutation(np.concatenate(tr)), rng.permutation(np.concatenate(va))


def _subset_indices(
    y: np.ndarray, n_classes: int, fraction: float, rng: np.random.Generator
) -> np.ndarray:
    """Sorted positions of a stratified, seeded subset; nested for growing ``fraction``."""
    if n_classes == 0:
        perm = rng.permutation(len(y))
        m = min(len(y), max(MIN_PER_CLASS * 2, int(round(fraction * len(y)))))
        return np.sort(perm[:m])
    counts = np.bincount(y, minlength=n_classes)
    m = np.minimum(counts, np.maximum(MIN_PER_CLASS, _allocate(counts, fraction)))
    keep = []
    for c in range(n_classes):
        idx = rng.permutation(np.flatnonzero(y == c))
        keep.append(idx[: m[c]])
    return np.sort(np.concatenate(keep))


def _check_fraction(name: str, value: float, lo_open: bool) -> float:
    v = float(value)
    ok = (0.0 < v <= 1.0) if lo_open else (0.0 <= v < 1.0)
    if not ok:
        rng_text = "(0, 1]" if lo_open else "[0, 1)"
        raise ValueError(f"{name} must lie in {rng_text}, got {value!r}")
    return v


def subset_dataset(data: Dataset, fraction: float, *, seed: int = 0) -> Dataset:
    """Keep a seeded, stratified ``fraction`` of the training part (validation unchanged).

    At least :data:`MIN_PER_CLASS` examples of every class are kept (10 for a regression), and
    for one seed a smaller fraction keeps a subset of what a larger one keeps.  The order of
    the kept examples is the original training order.

    Examples
    --------
    >>> d = load_dataset("digits")
    >>> small = subset_dataset(d, 0.1)
    >>> small.n_train, small.n_val == d.n_val
    (144, True)
    """
    fraction = _check_fraction("subset", fraction, lo_open=True)
    if fraction == 1.0:
        return data
    rng = np.random.default_rng(np.random.SeedSequence([seed, 2]))
    keep = _subset_indices(np.asarray(data.y_train), data.n_classes, fraction, rng)
    return replace(
        data,
        X_train=_readonly(data.X_train[keep]),
        y_train=_readonly(data.y_train[keep]),
    )


def _finish(
    name: str,
    X: np.ndarray,
    y: np.ndarray,
    n_classes: int,
    val_fraction: float,
    seed: int,
    subset: float,
    standardise: bool = True,
) -> Dataset:
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
    tr, va = _stratified_split(y, n_classes, val_fraction, rng)
    X = np.asarray(X, dtype=np.float64)
    Xtr, Xva = X[tr], X[va]
    if standardise:
        mean = Xtr.mean(axis=0)
        std = Xtr.std(axis=0)
        scale = np.where(std > 1e-12, std, 1.0)  # constant pixels: leave them at 0
        Xtr = (Xtr - mean) / scale
        Xva = (Xva - mean) / scale
    else:
        mean = np.zeros(X.shape[1])
        scale = np.ones(X.shape[1])
    ydt = np.float64 if n_classes == 0 else np.int64
    data = Dataset(
        X_train=_readonly(np.ascontiguousarray(Xtr)),
        y_train=_readonly(np.asarray(y[tr], dtype=ydt)),
        X_val=_readonly(np.ascontiguousarray(Xva)),
        y_val=_readonly(np.asarray(y[va], dtype=ydt)),
        n_classes=int(n_classes),
        name=name,
        n_features=int(X.shape[1]),
        mean=_readonly(mean),
        scale=_readonly(scale),
    )
    return subset_dataset(data, subset, seed=seed)


@functools.lru_cache(maxsize=32)
def _load_cached(
    name: str, val_fraction: float, seed: int, subset: float, noise: float, n_samples: int
) -> Dataset:
    if name == "digits":
        X, y = load_digits()
        return _finish(name, X, y.astype(np.int64), 10, val_fraction, seed, subset)
    gen = np.random.default_rng(np.random.SeedSequence([seed, 0]))
    if name == "moons":
        X, y = make_moons(n_samples, noise=noise, rng=gen)
        return _finish(name, X, y, 2, val_fraction, seed, subset)
    X, y = make_spirals(n_samples, noise=noise, rng=gen)
    return _finish(name, X, y, 3, val_fraction, seed, subset)


def load_dataset(
    name: str,
    *,
    val_fraction: float = 0.2,
    seed: int = 0,
    subset: float = 1.0,
    noise: float | None = None,
    n_samples: int | None = None,
) -> Dataset:
    """Load (or generate) a data set, split it, standardise it, and optionally sub-sample it.

    Parameters
    ----------
    name : {"digits", "moons", "spirals"}
    val_fraction : float
        Share of every class held out for validation, in [0, 1).
    seed : int
        Seeds the generation (moons, spirals), the split and the subset.
    subset : float
        Fraction of the training part kept, in (0, 1] (at least :data:`MIN_PER_CLASS` per
        class).  The validation part does not change.
    noise : float, optional
        Noise of the generated sets (default 0.2); ignored for the digits.
    n_samples : int, optional
        Size of the generated sets (default 400 moons, 600 spirals); ignored for the digits.

    Returns
    -------
    Dataset
        Cached: the same arguments return the same (read-only) object.

    Examples
    --------
    >>> d = load_dataset("digits")
    >>> d.X_train.shape, d.X_val.shape, d.n_classes
    ((1438, 64), (359, 64), 10)
    >>> load_dataset("digits", subset=0.25).n_train
    360
    """
    if name not in DATASETS:
        raise ValueError(f"unknown data set {name!r}; choose one of {DATASETS}")
    val_fraction = _check_fraction("val_fraction", val_fraction, lo_open=False)
    subset = _check_fraction("subset", subset, lo_open=True)
    nz = float(_DEFAULT_NOISE.get(name, 0.0) if noise is None else noise)
    if not (np.isfinite(nz) and nz >= 0):
        raise ValueError(f"noise must be a finite number >= 0, got {noise!r}")
    ns = int(_DEFAULT_SAMPLES.get(name, 0) if n_samples is None else n_samples)
    if name == "digits":
        nz, ns = 0.0, 0
    elif ns < 4 * MIN_PER_CLASS:
        raise ValueError(f"n_samples must be at least {4 * MIN_PER_CLASS}, got {n_samples!r}")
    return _load_cached(name, val_fraction, int(seed), subset, nz, ns)


# ----------------------------------------------------------------------------- regression


@dataclass(frozen=True, eq=False)
class RegressionProblem:
    """Linear least squares with a Hessian known in closed form.

    The model is ``y_hat = X w + b`` (``ModelSpec("linreg", d, 1)``, parameters ``[w, b]``) and
    the loss the half mean squared error ``L = sum((y_hat - y)^2) / (2 n)``.  Its Hessian is
    ``H = [X 1]^T [X 1] / n``, constant, so full-batch gradient descent with a constant rate
    ``lr`` converges iff ``lr < 2 / lambda_max`` and fastest (in the worst direction) at
    ``lr = 2 / (lambda_min + lambda_max)``.

    Attributes
    ----------
    data : Dataset
        The problem (features not re-standardised: that would change the curvature).
    eigenvalues : ndarray (d+1,)
        Eigenvalues of the training Hessian, ascending (the intercept contributes exactly 1,
        since the training features are centred).
    theta_star : ndarray (d+1,)
        The least-squares minimiser ``[w*, b*]`` on the training part.
    loss_star : float
        The training loss at ``theta_star``.
    """

    data: Dataset
    eigenvalues: np.ndarray
    theta_star: np.ndarray
    loss_star: float

    @property
    def lambda_min(self) -> float:
        """Smallest Hessian eigenvalue."""
        return float(self.eigenvalues[0])

    @property
    def lambda_max(self) -> float:
        """Largest Hessian eigenvalue."""
        return float(self.eigenvalues[-1])

    @property
    def lr_max(self) -> float:
        """Largest stable full-batch GD rate, ``2 / lambda_max``."""
        return 2.0 / self.lambda_max

    @property
    def lr_best(self) -> float:
        """The rate with the fastest worst-case convergence, ``2 / (lambda_min + lambda_max)``."""
        return 2.0 / (self.lambda_min + self.lambda_max)

    @property
    def condition(self) -> float:
        """Condition number ``lambda_max / lambda_min``."""
        return self.lambda_max / self.lambda_min


def make_regression_problem(
    n: int = 200,
    d: int = 5,
    *,
    curvature: float = 10.0,
    condition: float = 100.0,
    noise: float = 0.1,
    val_fraction: float = 0.2,
    seed: int = 0,
) -> RegressionProblem:
    """A linear regression whose feature Hessian has eigenvalues spread from L/cond to L.

    The ``n`` training inputs are built as ``X = sqrt(n) U diag(sqrt(lam)) V^T`` with ``U``
    orthonormal and orthogonal to the all-ones vector, so that ``X^T X / n`` has *exactly* the
    eigenvalues ``lam`` (log-spaced from ``curvature / condition`` to ``curvature``) and the
    features are centred.  Validation inputs (``round(val_fraction * n)``) are Gaussian with
    the same covariance.  Targets are ``X w + b + noise * N(0, 1)`` with random ``w, b``.

    Examples
    --------
    >>> p = make_regression_problem(100, 3, curvature=4.0, condition=8.0, seed=0)
    >>> np.round(p.eigenvalues, 6).tolist()
    [0.5, 1.0, 1.414214, 4.0]
    >>> round(p.lr_max, 6), round(p.lr_best, 6)
    (0.5, 0.444444)
    """
    if not (isinstance(n, int | np.integer) and isinstance(d, int | np.integer)):
        raise ValueError("n and d must be whole numbers")
    if d < 1 or n < d + 2:
        raise ValueError("need d >= 1 and n >= d + 2")
    if not (curvature > 0 and condition >= 1 and np.isfinite(curvature * condition)):
        raise ValueError("curvature must be > 0 and condition >= 1")
    ss = np.random.SeedSequence([seed, 3])
    rng = np.random.default_rng(ss)
    lam = curvature * np.geomspace(1.0 / condition, 1.0, d)
    # U: n x d orthonormal, orthogonal to the ones vector (centred columns).
    A = rng.standard_normal((n, d))
    A -= A.mean(axis=0)
    U, _ = np.linalg.qr(A)
    V, _ = np.linalg.qr(rng.standard_normal((d, d)))
    X = np.sqrt(n) * (U * np.sqrt(lam)) @ V.T
    n_val = max(1, int(round(val_fraction * n)))
    Xv = (rng.standard_normal((n_val, d)) * np.sqrt(lam)) @ V.T
    w = rng.standard_normal(d)
    b = float(rng.standard_normal())
    y = X @ w + b + noise * rng.standard_normal(n)
    yv = Xv @ w + b + noise * rng.standard_normal(n_val)
    A1 = np.hstack([X, np.ones((n, 1))])
    H = A1.T @ A1 / n
    eig = np.linalg.eigvalsh(H)
    theta_star, *_ = np.linalg.lstsq(A1, y, rcond=None)
    r = A1 @ theta_star - y
    data = Dataset(
        X_train=_readonly(np.ascontiguousarray(X)),
        y_train=_readonly(y),
        X_val=_readonly(np.ascontiguousarray(Xv)),
        y_val=_readonly(yv),
        n_classes=0,
        name="regression",
        n_features=int(d),
        mean=_readonly(np.zeros(d)),
        scale=_readonly(np.ones(d)),
    )
    return RegressionProblem(
        data=data,
        eigenvalues=_readonly(eig),
        theta_star=_readonly(theta_star),
        loss_star=float(r @ r / (2 * n)),
    )


# ----------------------------------------------------------------------------- minibatches


def minibatch_indices(n: int, batch_size: int | None, rng: np.random.Generator) -> list[np.ndarray]:
    """One epoch of minibatches: a fresh permutation of ``range(n)`` cut into batches.

    Every example appears exactly once per epoch.  All batches have ``batch_size`` examples
    except the last, which keeps the ``n % batch_size`` remaining ones (it is never dropped and
    never padded), so an epoch has ``ceil(n / batch_size)`` batches.  ``batch_size=None`` or
    ``>= n`` gives one full batch (still permuted, which does not change its mean).

    Examples
    --------
    >>> b = minibatch_indices(10, 4, np.random.default_rng(0))
    >>> [len(i) for i in b], sorted(np.concatenate(b).tolist()) == list(range(10))
    ([4, 4, 2], True)
    """
    perm = rng.permutation(n)
    if batch_size is None or batch_size >= n:
        return [perm]
    if batch_size < 1:
        raise ValueError("batch_size must be >= 1")
    return [perm[i : i + batch_size] for i in range(0, n, batch_size)]
