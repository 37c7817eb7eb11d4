"""Vectorised first-order optimisers, shared by the loss surfaces and the real models.

Every optimiser here updates a batch of K parameter vectors at once: ``x`` has shape
``(K, P)`` and row ``k`` is trained with learning rate ``lr[k]``.  The learning rate is an
array axis, never a Python loop, so one call trains K copies of a model (or K descents on a
surface) side by side.  Rows never mix: a row that blows up to inf/NaN leaves the others
bit-identical.

Update rules (PyTorch conventions, which coincide with the textbook forms at a constant rate):

* ``sgd``:       ``x <- x - lr * g``
* ``momentum``:  heavy ball, ``v <- mu * v + g``; ``x <- x - lr * v``
* ``nesterov``:  ``v <- mu * v + g``; ``x <- x - lr * (g + mu * v)``
* ``adam``:      Kingma & Ba (2015): ``m <- b1 m + (1-b1) g``; ``v <- b2 v + (1-b2) g^2``;
  ``x <- x - lr * m_hat / (sqrt(v_hat) + eps)`` with bias-corrected ``m_hat, v_hat``.

Hypergradient descent (Baydin, Cornish, Martinez Rubio, Schmidt & Wood, "Online Learning Rate
Adaptation with Hypergradient Descent", ICLR 2018, Algorithms 4-6).  Write every update as
``x_t = x_{t-1} - alpha_t * d_t`` where ``d_t`` is the optimiser's direction (``g``, ``g + mu v``
or ``m_hat / (sqrt(v_hat) + eps)``).  Then ``d f(x_{t-1}) / d alpha = -g_t . d_{t-1}`` and, with
``h_t = -g_t . d_{t-1}`` (the paper's sign),

* additive:        ``alpha_t = alpha_{t-1} - beta * h_t = alpha_{t-1} + beta * g_t . d_{t-1}``
* multiplicative:  ``alpha_t = alpha_{t-1} * (1 - beta * h_t / (|g_t| |d_{t-1}|))
  = alpha_{t-1} * (1 + beta * cos(g_t, d_{t-1}))``

The rate is updated *before* the parameter step that uses it; ``d_0 = 0`` so the rate does not
move on the first step.  The extra cost is one stored copy of the previous direction and one
dot product per step.  With ``beta = 0`` every HD variant equals its base optimiser exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "OPTIMIZERS",
    "HD_DEFAULT_BETA",
    "Optimizer",
    "OptState",
    "init_state",
    "step",
]

OPTIMIZERS: tuple[str, ...] = ("sgd", "momentum", "nesterov", "adam")

#: Recommended hypergradient learning rates from the authors' ``run.sh`` (additive rule).
HD_DEFAULT_BETA: dict[str, float] = {
    "sgd": 1e-3,
    "momentum": 1e-3,
    "nesterov": 1e-3,
    "adam": 1e-7,
}


@dataclass(frozen=True)
class Optimizer:
    """Which update rule to use, and its constants.

    Parameters
    ----------
    name : {"sgd", "momentum", "nesterov", "adam"}
    momentum : float
        ``mu`` for heavy-ball and Nesterov momentum.
    beta1, beta2, eps : float
        Adam's constants (Kingma & Ba defaults).
    hypergrad : {None, "additive", "multiplicative"}
        Adapt the learning rate online by hypergradient descent (Baydin et al. 2018).
    hyper_lr : float
        The hypergradient learning rate ``beta``.

    Examples
    --------
    >>> Optimizer("adam").label
    'Adam'
    >>> Optimizer("sgd", hypergrad="additive", hyper_lr=1e-3).label
    'SGD-HD'
    """

    name: str = "sgd"
    momentum: float = 0.9
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    hypergrad: str | None = None
    hyper_lr: float = 0.0

    def __post_init__(self) -> None:
        if self.name not in OPTIMIZERS:
            raise ValueError(f"unknown optimiser {self.name!r}; choose one of {OPTIMIZERS}")
        if self.hypergrad not in (None, "additive", "multiplicative"):
            raise ValueError("hypergrad must be None, 'additive' or 'multiplicative'")
        if not (0.0 <= self.momentum < 1.0):
            raise ValueError("momentum must lie in [0, 1)")
        if not (0.0 <= self.beta1 < 1.0 and 0.0 <= self.beta2 < 1.0):
            raise ValueError("Adam's beta1 and beta2 must lie in [0, 1)")
        if not np.isfinite(self.hyper_lr) or self.hyper_lr < 0:
            raise ValueError("hyper_lr must be a finite number >= 0")

    @property
    def label(self) -> str:
        """Short display name, e.g. ``"SGDN-HD"``."""
        base = {"sgd": "SGD", "momentum": "Momentum", "nesterov": "SGDN", "adam": "Adam"}[self.name]
        if self.hypergrad == "additive":
            return base + "-HD"
        if self.hypergrad == "multiplicative":
            return base + "-HDM"
        return base


@dataclass
class OptState:
    """Mutable optimiser state for K parameter rows.

    Attributes
    ----------
    lr : ndarray, shape (K,)
        The learning rate used by the last step (hypergradient descent adapts it).
    t : int
        Number of steps taken.
    buf : ndarray (K, P) or None
        Momentum buffer ``v`` (heavy ball / Nesterov) or Adam's first moment ``m``.
    sq : ndarray (K, P) or None
        Adam's second moment ``v``.
    direction : ndarray (K, P) or None
        The previous update direction ``d_{t-1}``: the one extra copy hypergradient descent keeps.
    """

    lr: np.ndarray
    t: int = 0
    buf: np.ndarray | None = None
    sq: np.ndarray | None = None
    direction: np.ndarray | None = None
    _work: np.ndarray | None = field(default=None, repr=False)

    def copy(self) -> OptState:
        """A deep copy (arrays copied)."""

        def c(a: np.ndarray | None) -> np.ndarray | None:
            return None if a is None else a.copy()

        return OptState(
            self.lr.copy(), self.t, c(self.buf), c(self.sq), c(self.direction), c(self._work)
        )


def init_state(opt: Optimizer, x: np.ndarray, lr: float | np.ndarray) -> OptState:
    """Fresh state for parameters ``x`` of shape (K, P) and initial rate(s) ``lr``.

    Examples
    --------
    >>> s = init_state(Optimizer("momentum"), np.zeros((3, 2)), [0.1, 0.2, 0.3])
    >>> s.lr, s.buf.shape
    (array([0.1, 0.2, 0.3]), (3, 2))
    """
    x = np.asarray(x)
    if x.ndim != 2:
        raise ValueError("x must have shape (K, P)")
    k = x.shape[0]
    lr_arr = np.broadcast_to(np.asarray(lr, dtype=np.float64), (k,)).copy()
    state = OptState(lr=lr_arr)
    if opt.name != "sgd":
        state.buf = np.zeros_like(x, dtype=np.float64)
    if opt.name == "adam":
        state.sq = np.zeros_like(x, dtype=np.float64)
    if opt.name in ("nesterov", "adam") or opt.hypergrad is not None:
        state._work = np.empty_like(x, dtype=np.float64)
    if opt.hypergrad is not None:
        state.direction = np.zeros_like(x, dtype=np.float64)
    return state


def _hypergradient_update(opt: Optimizer, state: OptState, g: np.ndarray) -> None:
    """alpha_t from alpha_{t-1}, the current gradient and the stored direction d_{t-1}."""
    d = state.direction
    dot = np.einsum("kp,kp->k", g, d)  # = -h_t
    if opt.hypergrad == "additive":
        state.lr = state.lr + opt.hyper_lr * dot
    else:
        norms = np.sqrt(np.einsum("kp,kp->k", g, g) * np.einsum("kp,kp->k", d, d))
        cos = np.divide(dot, norms, out=np.zeros_like(dot), where=norms > 0)
        state.lr = state.lr * (1.0 + opt.hyper_lr * cos)


def step(
    opt: Optimizer,
    state: OptState,
    x: np.ndarray,
    g: np.ndarray,
    lr: float | np.ndarray | None = None,
) -> None:
    """One update of ``x`` (K, P) **in place** with gradient ``g`` (K, P).

    Parameters
    ----------
    opt : Optimizer
    state : OptState
        Updated in place; ``state.lr`` holds the rate this step used.
    x, g : ndarray, shape (K, P)
    lr : float or ndarray (K,), optional
        Override the rate for this step (a schedule).  Ignored by hypergradient variants
        after their first step, which own their rate.

    Examples
    --------
    GD on f(x) = x^2 / 2 (gradient x) with two rates at once:

    >>> x = np.array([[1.0], [1.0]])
    >>> opt = Optimizer("sgd")
    >>> s = init_state(opt, x, [0.5, 1.5])
    >>> step(opt, s, x, x.copy())
    >>> x.ravel()
    array([ 0.5, -0.5])
    """
    with np.errstate(all="ignore"):
        if lr is not None and (opt.hypergrad is None or state.t == 0):
            state.lr = np.broadcast_to(np.asarray(lr, dtype=np.float64), state.lr.shape).copy()
        if opt.hypergrad is not None and state.t > 0:
            _hypergradient_update(opt, state, g)
        state.t += 1
        rate = state.lr[:, None]
        name = opt.name
        if name == "sgd":
            d = g
        elif name == "momentum":
            buf = state.buf
            buf *= opt.momentum
            buf += g
            d = buf
        elif name == "nesterov":
            buf = state.buf
            buf *= opt.momentum
            buf += g
            d = np.multiply(buf, opt.momentum, out=state._work)
            d += g
        else:  # adam
            m, v = state.buf, state.sq
            m *= opt.beta1
            m += (1.0 - opt.beta1) * g
            v *= opt.beta2
            v += (1.0 - opt.beta2) * (g * g)
            c1 = 1.0 - opt.beta1**state.t
            c2 = 1.0 - opt.beta2**state.t
            d = np.sqrt(v / c2, out=state._work)
            d += opt.eps
            np.divide(m / c1, d, out=d)
        if opt.hypergrad is not None:
            np.copyto(state.direction, d)
        x -= rate * d
