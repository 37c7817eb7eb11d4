"""PyTorch optimisers with a page's values: SGD, momentum, Nesterov, Adam, and hypergradient
descent (a short ``torch.optim.Optimizer`` subclass that updates exactly as LR Lab's engine).

LR Lab's update rules are PyTorch's (``engine/optim.py``): heavy-ball momentum is
``v <- mu v + g; p <- p - lr v`` (``dampening=0``), Nesterov ``p <- p - lr (g + mu v)``, Adam adds
eps to ``sqrt(v_hat)`` after bias correction.  So the translation is one constructor call; the
comments in the code say so, and name the one case torch refuses (Nesterov without momentum).
"""

from __future__ import annotations

import math
import re

from engine.optim import OPTIMIZERS, Optimizer
from takehome.snippet import Snippet, ident, lit, read_template

__all__ = ["as_optimizer", "hd_class", "hd_constructor", "optimizer_constructor", "torch_optimizer"]

_PARAMS = re.compile(r"(\[)?[A-Za-z_]\w*(\.[A-Za-z_]\w*)*(\(\))?(?(1)\])\Z")

HD_NOTE = (
    "HDOptimizer adds Adam's eps to sqrt(v_hat) after bias correction (Kingma & Ba, as LR Lab); "
    "the authors' AdamHD adds it before, about 1e-6 relative apart."
)


def as_optimizer(optimizer: Optimizer | str) -> Optimizer:
    """An :class:`engine.optim.Optimizer` from itself or from a name (``"adam"``).

    >>> as_optimizer("nesterov").momentum
    0.9
    """
    if isinstance(optimizer, Optimizer):
        return optimizer
    if isinstance(optimizer, str) and optimizer in OPTIMIZERS:
        return Optimizer(optimizer)
    raise ValueError(f"unknown optimiser {optimizer!r}; choose one of {OPTIMIZERS}")


def _rate(lr: float) -> float:
    v = float(lr)
    if not (math.isfinite(v) and v >= 0):
        raise ValueError(f"a learning rate must be a finite number >= 0, got {lr!r}")
    return v


def _params(params: str) -> str:
    if not isinstance(params, str) or not _PARAMS.match(params) or "__" in params:
        raise ValueError(f"params must be a name such as model.parameters() or [x], got {params!r}")
    return params


def hd_class() -> Snippet:
    """The ``HDOptimizer`` class (a ``torch.optim.Optimizer``), defined once per script."""
    code, imports = read_template("hd_optimizer.py")
    return Snippet(code, imports, (HD_NOTE,), ("torch",))


def hd_constructor(opt: Optimizer, lr: float | str, params: str = "model.parameters()") -> str:
    """The call ``HDOptimizer(params, lr=..., hyper_lr=..., ...)`` for ``opt`` (an HD optimiser).

    ``lr`` is a number, or the name of a variable holding it.

    >>> hd_constructor(Optimizer("nesterov", hypergrad="additive", hyper_lr=1e-3), 0.01)
    'HDOptimizer(model.parameters(), lr=0.01, hyper_lr=0.001, base="nesterov", rule="additive", momentum=0.9)'
    """
    if opt.hypergrad is None:
        raise ValueError("not a hypergradient optimiser")
    args = [
        _params(params),
        f"lr={_rate_code(lr)}",
        f"hyper_lr={lit(float(opt.hyper_lr))}",
        f"base={lit(opt.name)}",
        f"rule={lit(opt.hypergrad)}",
    ]
    if opt.name in ("momentum", "nesterov"):
        args.append(f"momentum={lit(float(opt.momentum))}")
    if opt.name == "adam":
        args += [f"betas={lit((float(opt.beta1), float(opt.beta2)))}", f"eps={lit(float(opt.eps))}"]
    return f"HDOptimizer({', '.join(args)})"


def _rate_code(lr: float | str) -> str:
    """A rate as code: a literal, or a variable name."""
    return ident(lr) if isinstance(lr, str) else lit(_rate(lr))


def optimizer_constructor(
    optimizer: Optimizer | str, lr: float | str, params: str = "model.parameters()"
) -> tuple[tuple[str, ...], str]:
    """(comment lines, constructor call) of the torch optimiser for ``optimizer``.

    ``lr`` is a number, or the name of a variable holding it.  Hypergradient optimisers give
    an ``HDOptimizer(...)`` call (define the class with :func:`hd_class`).

    >>> optimizer_constructor("sgd", "lr", "[x]")
    (('# plain SGD: p <- p - lr * g',), 'torch.optim.SGD([x], lr=lr)')
    """
    opt = as_optimizer(optimizer)
    params = _params(params)
    if opt.hypergrad is not None:
        return (
            (
                f"# {opt.label}: hypergradient descent ({opt.hypergrad} rule) adapts the rate "
                "while training",
            ),
            hd_constructor(opt, lr, params),
        )
    comment, call = _constructor(opt, _rate_code(lr), params)
    return tuple(comment), call


def _constructor(opt: Optimizer, rate: str, params: str) -> tuple[list[str], str]:
    """(comment lines, the constructor call) of a torch.optim optimiser."""
    mu = float(opt.momentum)
    if opt.name == "adam":
        betas = lit((float(opt.beta1), float(opt.beta2)))
        return (
            [
                "# Adam (Kingma & Ba): eps is added to sqrt(v_hat) after bias correction, in torch "
                "as in LR Lab"
            ],
            f"torch.optim.Adam({params}, lr={rate}, betas={betas}, eps={lit(float(opt.eps))})",
        )
    if opt.name == "sgd" or mu == 0.0:
        comment = ["# plain SGD: p <- p - lr * g"]
        if opt.name != "sgd":
            comment.append(
                f"# ({opt.name} with momentum 0 is plain SGD; torch refuses nesterov=True "
                "without momentum)"
            )
        return comment, f"torch.optim.SGD({params}, lr={rate})"
    if opt.name == "momentum":
        return (
            [
                "# heavy-ball momentum in PyTorch's convention, which is LR Lab's:",
                "# v <- mu * v + g; p <- p - lr * v (dampening=0: g enters undamped)",
            ],
            f"torch.optim.SGD({params}, lr={rate}, momentum={lit(mu)}, dampening=0.0)",
        )
    return (
        [
            "# Nesterov momentum in PyTorch's form, which is LR Lab's:",
            "# v <- mu * v + g; p <- p - lr * (g + mu * v)",
        ],
        f"torch.optim.SGD({params}, lr={rate}, momentum={lit(mu)}, dampening=0.0, nesterov=True)",
    )


def torch_optimizer(
    optimizer: Optimizer | str = "sgd",
    lr: float = 0.1,
    *,
    params: str = "model.parameters()",
    name: str = "optimizer",
    with_class: bool = True,
) -> Snippet:
    """``name = torch.optim.SGD(...)`` / ``Adam(...)`` / ``HDOptimizer(...)`` with the page's values.

    Parameters
    ----------
    optimizer : engine.optim.Optimizer or str
        The page's optimiser (its name, momentum, Adam constants, hypergradient rule and beta).
    lr : float
        The (starting) learning rate.
    params : str
        The expression for the parameters, e.g. ``"model.parameters()"`` or ``"[x]"``.
    name : str
        The variable to assign.
    with_class : bool
        For a hypergradient optimiser, include the ``HDOptimizer`` class definition.

    Examples
    --------
    >>> print(torch_optimizer("momentum", 0.05).code)
    # heavy-ball momentum in PyTorch's convention, which is LR Lab's:
    # v <- mu * v + g; p <- p - lr * v (dampening=0: g enters undamped)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, dampening=0.0)
    """
    opt = as_optimizer(optimizer)
    target = ident(name)
    comment, call = optimizer_constructor(opt, lr, params)
    line = "\n".join([*comment, f"{target} = {call}"])
    if opt.hypergrad is None:
        return Snippet(line, ("import torch",), (), ("torch",))
    if not with_class:
        return Snippet(line, (), (HD_NOTE,), ("torch",))
    cls = hd_class()
    return Snippet(f"{cls.code}\n\n\n{line}", cls.imports, cls.notes, ("torch",))
