"""Small neural networks, K copies at once, in one flat parameter array.

A model is described by a :class:`ModelSpec`: softmax regression (``"softmax"``), a
multi-layer perceptron with one or two hidden layers (``"mlp"``), or linear regression
(``"linreg"``, for problems whose best learning rate is known in closed form).

Parameters live in ONE float64 array ``theta`` of shape ``(K, P)``: row ``k`` is model ``k``
(one per learning rate), laid out layer after layer as ``W_1, b_1, W_2, b_2, ...`` with each
``W`` row-major ``(n_in, n_out)``.  :meth:`ModelSpec.unpack` returns *views* ``W (K, n_in,
n_out)`` and ``b (K, n_out)`` into it, so an optimiser can update all layers of all K models
with one array operation (:mod:`engine.optim` works on ``(K, P)``).

All K models see the same minibatch ``X (B, D)``; each layer is one batched matrix product
``(B, D) @ (K, D, H) -> (K, B, H)``.  The loss is the mean cross-entropy with a numerically
stable log-softmax (``"softmax"``, ``"mlp"``) or half the mean squared error (``"linreg"``,
whose Hessian is then ``[X 1]^T [X 1] / n``).  Gradients are hand-written backpropagation
into a flat ``(K, P)`` buffer; a :class:`Workspace` keeps every intermediate array between
calls, so a training loop allocates nothing large per iteration.

Overflow is a result, not an error: everything runs under ``np.errstate(all="ignore")``, and
a model that blew up just returns inf/NaN in its own row.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

__all__ = [
    "MODEL_KINDS",
    "ACTIVATIONS",
    "ModelSpec",
    "Workspace",
    "init_params",
    "loss_and_grad",
    "predict_proba",
    "predict",
    "evaluate",
]

MODEL_KINDS: tuple[str, ...] = ("softmax", "mlp", "linreg")
ACTIVATIONS: tuple[str, ...] = ("relu", "tanh")


@dataclass(frozen=True)
class ModelSpec:
    """The architecture of a model (not its parameters).

    Parameters
    ----------
    kind : {"softmax", "mlp", "linreg"}
    n_in : int
        Number of input features.
    n_out : int
        Number of classes (1 for ``"linreg"``).
    hidden : tuple of int
        Widths of the one or two hidden layers of an ``"mlp"``; ignored (set to ``()``) for
        the other kinds.
    activation : {"relu", "tanh"}
        Hidden-layer non-linearity of an ``"mlp"``.

    Examples
    --------
    >>> spec = ModelSpec("mlp", 64, 10, hidden=(32,))
    >>> spec.n_params, spec.shapes
    (2410, ((64, 32), (32, 10)))
    >>> ModelSpec("softmax", 2, 3, hidden=(99,)).hidden
    ()
    """

    kind: str
    n_in: int
    n_out: int
    hidden: tuple[int, ...] = (32,)
    activation: str = "relu"

    def __post_init__(self) -> None:
        if self.kind not in MODEL_KINDS:
            raise ValueError(f"unknown model kind {self.kind!r}; choose one of {MODEL_KINDS}")
        if self.activation not in ACTIVATIONS:
            raise ValueError(f"activation must be one of {ACTIVATIONS}")
        hidden = tuple(int(h) for h in self.hidden) if self.kind == "mlp" else ()
        if self.kind == "mlp" and not (1 <= len(hidden) <= 2 and min(hidden) >= 1):
            raise ValueError("an mlp has one or two hidden layers, each of width >= 1")
        if int(self.n_in) < 1 or int(self.n_out) < 1:
            raise ValueError("n_in and n_out must be >= 1")
        if self.kind == "linreg" and int(self.n_out) != 1:
            raise ValueError("linreg has n_out = 1")
        if self.kind != "linreg" and int(self.n_out) < 2:
            raise ValueError("a classifier needs n_out >= 2 classes")
        object.__setattr__(self, "hidden", hidden)
        object.__setattr__(self, "n_in", int(self.n_in))
        object.__setattr__(self, "n_out", int(self.n_out))

    @property
    def sizes(self) -> tuple[int, ...]:
        """Layer widths from input to output, e.g. ``(64, 32, 10)``."""
        return (self.n_in, *self.hidden, self.n_out)

    @property
    def shapes(self) -> tuple[tuple[int, int], ...]:
        """``(n_in, n_out)`` of every weight matrix."""
        s = self.sizes
        return tuple((s[i], s[i + 1]) for i in range(len(s) - 1))

    @functools.cached_property
    def _offsets(self) -> tuple[tuple[int, int, int], ...]:
        out, off = [], 0
        for din, dout in self.shapes:
            out.append((off, off + din * dout, off + din * dout + dout))
            off += din * dout + dout
        return tuple(out)

    @property
    def n_params(self) -> int:
        """P, the length of one model's flat parameter vector."""
        return self._offsets[-1][2]

    @property
    def is_classifier(self) -> bool:
        """True for ``"softmax"`` and ``"mlp"``."""
        return self.kind != "linreg"

    def unpack(self, theta: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """Views ``(W, b)`` per layer into ``theta`` of shape ``(..., P)``.

        ``W`` has shape ``(..., n_in, n_out)`` and ``b`` ``(..., n_out)``; writing into them
        writes into ``theta`` (they are views, never copies: ``theta``'s last axis must be
        contiguous, as in any C-ordered array).

        Examples
        --------
        >>> spec = ModelSpec("softmax", 3, 2)
        >>> theta = np.zeros((4, spec.n_params))
        >>> (W, b), = spec.unpack(theta)
        >>> W.shape, b.shape, np.shares_memory(W, theta)
        ((4, 3, 2), (4, 2), True)
        """
        theta = np.asarray(theta)
        self._check_flat(theta)
        lead = theta.shape[:-1]
        out = []
        for (din, dout), (o0, o1, o2) in zip(self.shapes, self._offsets, strict=True):
            W = theta[..., o0:o1].reshape(*lead, din, dout)
            out.append((W, theta[..., o1:o2]))
        return out

    def _check_flat(self, theta: np.ndarray) -> None:
        if theta.shape[-1] != self.n_params:
            raise ValueError(f"theta has {theta.shape[-1]} parameters, the model {self.n_params}")
        if theta.ndim and theta.shape[-1] > 1 and theta.strides[-1] != theta.itemsize:
            # splitting a contiguous last axis is always a view; anything else would copy
            raise ValueError("theta's last axis must be contiguous (use a C-ordered array)")

    def _blocks(self, theta: np.ndarray) -> list[np.ndarray]:
        """Views ``[W; b]`` of shape ``(K, n_in + 1, n_out)`` per layer (b follows W in memory)."""
        self._check_flat(theta)
        K = theta.shape[0]
        return [
            theta[:, o0:o2].reshape(K, din + 1, dout)
            for (din, dout), (o0, _o1, o2) in zip(self.shapes, self._offsets, strict=True)
        ]

    def describe(self) -> str:
        """A short human-readable name, e.g. ``"MLP 64-32-10 (relu)"``.

        Examples
        --------
        >>> ModelSpec("mlp", 64, 10, hidden=(32, 16), activation="tanh").describe()
        'MLP 64-32-16-10 (tanh)'
        """
        sizes = "-".join(str(s) for s in self.sizes)
        if self.kind == "mlp":
            return f"MLP {sizes} ({self.activation})"
        if self.kind == "softmax":
            return f"softmax regression {sizes}"
        return f"linear regression {sizes}"


def _rng(seed: int | np.random.SeedSequence | np.random.Generator) -> np.random.Generator:
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


def init_params(
    spec: ModelSpec, K: int, seed: int | np.random.SeedSequence | np.random.Generator = 0
) -> np.ndarray:
    """Seeded initial parameters, the SAME for all K models: shape ``(K, P)``.

    Hidden layers use He initialisation ``N(0, 2 / n_in)`` with ReLU and Glorot
    ``N(0, 2 / (n_in + n_out))`` with tanh; the output layer of a classifier uses Glorot;
    biases start at 0.  Linear regression starts at all zeros.

    Examples
    --------
    >>> spec = ModelSpec("mlp", 4, 3, hidden=(5,))
    >>> th = init_params(spec, 2, seed=0)
    >>> th.shape, bool(np.all(th[0] == th[1]))
    ((2, 43), True)
    """
    if int(K) < 1:
        raise ValueError("K must be >= 1")
    rng = _rng(seed)
    row = np.zeros(spec.n_params)
    if spec.kind != "linreg":
        layers = spec.unpack(row)
        for i, ((din, dout), (W, _b)) in enumerate(zip(spec.shapes, layers, strict=True)):
            hidden_layer = i < len(layers) - 1
            if hidden_layer and spec.activation == "relu":
                std = np.sqrt(2.0 / din)
            else:
                std = np.sqrt(2.0 / (din + dout))
            W[...] = std * rng.standard_normal((din, dout))
    theta = np.empty((int(K), spec.n_params))
    theta[...] = row
    return theta


class Workspace:
    """Preallocated intermediate arrays for K models and batches of B examples.

    Pass the same workspace to :func:`loss_and_grad` on every iteration of a training loop;
    it is rebuilt automatically if K or B changes (e.g. the last, smaller batch of an epoch
    gets its own workspace in :func:`engine.train.train`).

    Layout (chosen for speed, see ``bench/bench_train.py``): inputs and hidden activations
    carry an extra column of ones, so each layer is ONE matrix product with the contiguous
    block ``[W; b]`` of ``theta`` (shape ``(n_in + 1, n_out)``) and its gradient is ONE product
    written straight into the gradient buffer.  The output layer is kept transposed,
    ``(K, n_out, B)``, so that the softmax reductions run across rows, not along short rows.

    Examples
    --------
    >>> ws = Workspace(ModelSpec("mlp", 4, 3, hidden=(5,)), K=2, B=8)
    >>> ws.A[0].shape, ws.out.shape
    ((2, 8, 6), (2, 3, 8))
    """

    def __init__(self, spec: ModelSpec, K: int, B: int) -> None:
        self.spec, self.K, self.B = spec, int(K), int(B)
        self.Xa = np.ones((B, spec.n_in + 1))  # the batch plus a column of ones
        # hidden activations plus a column of ones, (K, B, h + 1)
        self.A = [np.ones((K, B, h + 1)) for h in spec.hidden]
        self.dA = [np.empty((K, B, h)) for h in spec.hidden]
        self.tmp = [np.empty((K, B, h)) for h in spec.hidden]
        self.mask = [np.empty((K, B, h), dtype=bool) for h in spec.hidden]
        self.out = np.empty((K, spec.n_out, B))  # logits (outputs), transposed
        self.G = np.empty((K, spec.n_out, B))  # d loss / d logits, transposed
        self.red = np.empty((K, 1, B))  # per-example max / sum over classes
        self.onehot = np.zeros((spec.n_out, B))
        self.cols = np.arange(B)
        self._theta: np.ndarray | None = None
        self._params: list[tuple[np.ndarray, np.ndarray]] = []
        self._grad: np.ndarray | None = None
        self._grads: list[np.ndarray] = []

    def params(self, theta: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per layer ``(Wb, W)``: the ``[W; b]`` block and ``W``, views cached per array."""
        if theta is not self._theta:
            self._theta = theta
            self._params = [(Wb, Wb[:, :-1, :]) for Wb in self.spec._blocks(theta)]
        return self._params

    def grads(self, grad: np.ndarray) -> list[np.ndarray]:
        """Per layer the ``[gW; gb]`` block of ``grad``, views cached per array."""
        if grad is not self._grad:
            self._grad, self._grads = grad, self.spec._blocks(grad)
        return self._grads


def _check_theta(spec: ModelSpec, theta: np.ndarray) -> tuple[np.ndarray, bool]:
    theta = np.asarray(theta, dtype=np.float64)
    single = theta.ndim == 1
    if single:
        theta = theta[None, :]
    if theta.ndim != 2 or theta.shape[1] != spec.n_params:
        raise ValueError(f"theta must have shape (K, {spec.n_params}) or ({spec.n_params},)")
    return theta, single


def _forward(spec: ModelSpec, theta: np.ndarray, X: np.ndarray, ws: Workspace) -> np.ndarray:
    """Fill ``ws.A`` (hidden activations) and ``ws.out`` (outputs, (K, n_out, B))."""
    params = ws.params(theta)
    Xa = ws.Xa
    Xa[:, :-1] = X
    A: np.ndarray = Xa
    relu = spec.activation == "relu"
    for i, h in enumerate(spec.hidden):
        Wb = params[i][0]
        Ai = ws.A[i]
        Z = Ai[:, :, :h]
        np.matmul(A, Wb, out=Z)
        if relu:
            np.maximum(Z, 0.0, out=Z)
        else:
            np.tanh(Z, out=Z)
        A = Ai
    # transposed output: (K, n_out, n_in + 1) @ (K, n_in + 1, B)
    Wb = params[-1][0]
    At = A.T if A.ndim == 2 else A.transpose(0, 2, 1)
    np.matmul(Wb.transpose(0, 2, 1), At, out=ws.out)
    return ws.out


def loss_and_grad(
    spec: ModelSpec,
    theta: np.ndarray,
    X: np.ndarray,
    y: np.ndarray,
    out: np.ndarray | None = None,
    work: Workspace | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Mean loss and its gradient for K models on one shared batch.

    Parameters
    ----------
    spec : ModelSpec
    theta : ndarray (K, P)
    X : ndarray (B, n_in)
        The batch, shared by all K models.
    y : ndarray (B,)
        Integer class labels (classifiers) or float targets (``"linreg"``).
    out : ndarray (K, P), optional
        Gradient buffer to write into (reused across iterations); allocated if omitted.
    work : Workspace, optional
        Intermediate arrays for this K and B; allocated if omitted or of the wrong size.

    Returns
    -------
    loss : ndarray (K,)
        Mean cross-entropy (natural log), or half the mean squared error for ``"linreg"``.
    grad : ndarray (K, P)
        ``out`` (or a new array), the gradient of ``loss[k]`` w.r.t. ``theta[k]``.

    Examples
    --------
    Softmax regression at zero weights predicts uniform probabilities: loss ``log C``.

    >>> spec = ModelSpec("softmax", 2, 4)
    >>> X = np.array([[1.0, 2.0], [-1.0, 0.5]]); y = np.array([0, 3])
    >>> loss, g = loss_and_grad(spec, np.zeros((1, spec.n_params)), X, y)
    >>> bool(np.isclose(loss[0], np.log(4))), g.shape
    (True, (1, 12))
    """
    if theta.ndim != 2 or theta.dtype != np.float64:
        theta, _ = _check_theta(spec, theta)
    K = theta.shape[0]
    B = X.shape[0]
    ws = work
    if ws is None or ws.K != K or ws.B != B or (ws.spec is not spec and ws.spec != spec):
        ws = Workspace(spec, K, B)
    if out is None:
        out = np.empty((K, spec.n_params))
    invB = 1.0 / B
    with np.errstate(all="ignore"):
        Zt = _forward(spec, theta, X, ws)  # (K, C, B)
        G = ws.G
        if spec.kind == "linreg":
            np.subtract(Zt, y, out=G)
            r = G.reshape(K, B)
            loss = np.einsum("kb,kb->k", r, r) * (0.5 * invB)
        else:
            red = ws.red
            oh = ws.onehot
            oh.fill(0.0)
            oh[y, ws.cols] = 1.0
            np.max(Zt, axis=1, keepdims=True, out=red)
            Zt -= red
            np.exp(Zt, out=G)
            np.sum(G, axis=1, keepdims=True, out=red)
            G /= red
            np.log(red, out=red)
            # mean over the batch of (log sum exp - z_y), z shifted by the per-example max
            # (row-wise reductions, not BLAS gemv, whose summation order depends on K)
            lse = red.reshape(K, B).sum(axis=1)
            loss = (lse - np.einsum("kcb,cb->k", Zt, oh)) * invB
            G -= oh
        G *= invB
        # backward; G is d loss / d outputs of the current layer, as (K, B, n)
        params = ws.params(theta)
        grads = ws.grads(out)
        Gb = G.transpose(0, 2, 1)
        for i in range(len(grads) - 1, -1, -1):
            A = ws.Xa if i == 0 else ws.A[i - 1]
            At = A.T if i == 0 else A.transpose(0, 2, 1)
            np.matmul(At, Gb, out=grads[i])  # [gW; gb] in one product
            if i > 0:
                W = params[i][1]
                dA = ws.dA[i - 1]
                np.matmul(Gb, W.transpose(0, 2, 1), out=dA)
                act = A[:, :, :-1]
                if spec.activation == "relu":
                    m = ws.mask[i - 1]
                    np.greater(act, 0.0, out=m)
                    np.multiply(dA, m, out=dA)
                else:
                    t = ws.tmp[i - 1]
                    np.multiply(act, act, out=t)
                    np.subtract(1.0, t, out=t)
                    dA *= t
                Gb = dA
    return loss, out


def _logits(spec: ModelSpec, theta: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Outputs (K, N, n_out) for the whole of X."""
    X = np.asarray(X, dtype=np.float64)
    ws = Workspace(spec, theta.shape[0], X.shape[0])
    with np.errstate(all="ignore"):
        return _forward(spec, theta, X, ws).transpose(0, 2, 1)


def predict_proba(spec: ModelSpec, theta: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Class probabilities ``(K, N, C)`` (``(N, C)`` if ``theta`` is one vector ``(P,)``).

    Examples
    --------
    >>> spec = ModelSpec("softmax", 2, 2)
    >>> predict_proba(spec, np.zeros(spec.n_params), np.ones((3, 2))).tolist()
    [[0.5, 0.5], [0.5, 0.5], [0.5, 0.5]]
    """
    if not spec.is_classifier:
        raise ValueError("predict_proba needs a classifier (softmax or mlp)")
    theta, single = _check_theta(spec, theta)
    Z = _logits(spec, theta, X)
    with np.errstate(all="ignore"):
        Z -= Z.max(axis=2, keepdims=True)
        np.exp(Z, out=Z)
        Z /= Z.sum(axis=2, keepdims=True)
    return Z[0] if single else Z


def predict(spec: ModelSpec, theta: np.ndarray, X: np.ndarray) -> np.ndarray:
    """Predicted class labels ``(K, N)`` (int), or predicted values for ``"linreg"``.

    Examples
    --------
    >>> spec = ModelSpec("linreg", 2, 1)
    >>> predict(spec, np.array([1.0, 2.0, 0.5]), np.array([[1.0, 1.0]])).tolist()
    [3.5]
    """
    theta, single = _check_theta(spec, theta)
    Z = _logits(spec, theta, X)
    res = Z[..., 0] if spec.kind == "linreg" else np.argmax(Z, axis=2)
    return res[0] if single else res


def evaluate(
    spec: ModelSpec, theta: np.ndarray, X: np.ndarray, y: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Mean loss and accuracy of K models on a whole data set: ``(loss (K,), acc (K,))``.

    Accuracy is NaN for ``"linreg"``; a model with non-finite parameters gets loss NaN/inf.

    Examples
    --------
    >>> spec = ModelSpec("softmax", 2, 2)
    >>> loss, acc = evaluate(spec, np.zeros((1, 6)), np.ones((4, 2)), np.array([0, 1, 1, 1]))
    >>> np.round(loss, 4).tolist(), acc.tolist()
    ([0.6931], [0.25])
    """
    theta, _ = _check_theta(spec, theta)
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y)
    Z = _logits(spec, theta, X)
    N = X.shape[0]
    with np.errstate(all="ignore"):
        if spec.kind == "linreg":
            r = Z[..., 0] - y[None, :]
            return 0.5 * np.mean(r * r, axis=1), np.full(theta.shape[0], np.nan)
        pred = np.argmax(Z, axis=2)
        acc = np.mean(pred == y[None, :], axis=1)
        m = Z.max(axis=2, keepdims=True)
        Z -= m
        lse = np.log(np.exp(Z).sum(axis=2))
        picked = Z[:, np.arange(N), y]
        loss = np.mean(lse - picked, axis=1)
        bad = ~np.all(np.isfinite(theta), axis=1)
        acc = np.where(bad, np.nan, acc)
    return loss, acc
