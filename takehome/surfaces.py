"""Loss surfaces as PyTorch code, and gradient descent on them with autograd, K rates at once.

A typed function is never pasted: it goes through LR Lab's safe parser
(:func:`engine.expr.parse_function` for every check the page makes, then
:func:`engine.expr.expression_tree`) and the parsed tree is printed node by node
(:func:`formula_code`): numbers through ``repr``, the variables under their validated names,
the whitelisted functions as ``torch.<name>``.  Nothing else can appear in the output.

The catalogue surfaces (:data:`engine.surfaces.SURFACES_1D`, ``SURFACES_2D``) are written by hand
with their parameters, validated by :func:`engine.surfaces.get_surface`.
"""

from __future__ import annotations

import keyword
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from engine.descent import MAX_RUNS, MAX_STEPS
from engine.expr import (
    FUNCTIONS,
    MAX_LENGTH,
    ExprNode,
    expression_tree,
    parse_function,
)
from engine.optim import Optimizer
from engine.surfaces import SURFACES_1D, SURFACES_2D, get_surface
from takehome.optim import as_optimizer, hd_class, optimizer_constructor
from takehome.snippet import Snippet, join, lit

__all__ = [
    "FunctionSpec",
    "TORCH_FUNCTIONS",
    "formula_code",
    "function_spec",
    "torch_descent",
    "torch_loss",
]

#: How each function the parser accepts is written in torch (and in the parser's own syntax).
TORCH_FUNCTIONS: dict[str, str] = {
    "sin": "torch.sin",
    "cos": "torch.cos",
    "tan": "torch.tan",
    "exp": "torch.exp",
    "log": "torch.log",
    "sqrt": "torch.sqrt",
    "abs": "torch.abs",
    "tanh": "torch.tanh",
    "sinh": "torch.sinh",
    "cosh": "torch.cosh",
    "arctan": "torch.atan",
    "sigmoid": "torch.sigmoid",
}
assert set(TORCH_FUNCTIONS) == set(FUNCTIONS)

# Python precedence of each node kind (higher binds tighter)
_PREC = {"add": 1, "sub": 1, "mul": 2, "div": 2, "neg": 3, "pow": 4, "fn": 5, "var": 6, "const": 6}
_SYMBOL = {"add": "+", "sub": "-", "mul": "*", "div": "/"}


def _number(v: float) -> str:
    """A non-negative number as written in code: whole numbers without ``.0``."""
    if v == int(v) and abs(v) < 1e15:
        return str(int(v))
    return repr(float(v))


def _safe_name(name: str, index: int) -> str:
    if name.isidentifier() and not keyword.iskeyword(name) and name not in ("torch", "math"):
        return name
    return f"x{index}"


def _has_var(n: ExprNode) -> bool:
    stack = [n]
    while stack:
        m = stack.pop()
        if m.op == "var":
            return True
        stack.extend(m.args)
    return False


def _value(n: ExprNode) -> float:
    """A variable-free subtree's value, in float64 as LR Lab's evaluator computes it."""
    op = n.op
    if op == "const":
        return float(n.value)
    with np.errstate(all="ignore"):
        if op == "pow":
            a = np.float64(_value(n.args[0]))
            return float(a * a if n.value == 2.0 else np.power(a, n.value))
        vals = [np.float64(_value(a)) for a in n.args]
        if op == "neg":
            return float(-vals[0])
        if op == "fn":
            return float(FUNCTIONS[n.label](vals[0]))
        a, b = vals
        return float({"add": a + b, "sub": a - b, "mul": a * b, "div": a / b}[op])


def formula_code(node: ExprNode, variables: Sequence[str], *, torch: bool = True) -> str:
    """Print a parsed formula as a Python expression.

    ``torch=True``: functions as ``torch.sin`` ..., ``pi`` and ``e`` as ``math.pi`` and
    ``math.e``, and every variable-free part that is more than a number (``sin(1)``, ``1/3``) as
    its value, computed as LR Lab computes it (torch functions need tensors, and Python would
    raise where numpy gives inf; an infinite or undefined value is ``math.inf`` / ``math.nan``).  ``torch=False``: the parser's own compact syntax, which
    :func:`engine.expr.parse_function` reads back to the same tree.

    Examples
    --------
    >>> t = expression_tree("-x^2 + 3*sin(y)/(1 + e) - 2*pi*x*cos(1)", ("x", "y"))
    >>> formula_code(t, ("x", "y"))
    '-x ** 2 + 3 * torch.sin(y) / 3.718281828459045 - 2 * math.pi * x * 0.5403023058681398'
    >>> formula_code(t, ("x", "y"), torch=False)
    '-x**2+3*sin(y)/(1+e)-2*pi*x*cos(1)'
    """
    names = [_safe_name(v, i) for i, v in enumerate(variables)]
    sp = " " if torch else ""

    def out(n: ExprNode, need: int = 0) -> str:
        op = n.op
        if torch and op not in ("const", "var") and not _has_var(n) and not _arith(n):
            # (checked on every variable-free node, so at most the maximal ones are folded)
            v = _value(n)
            if math.isnan(v):
                text, op = "math.nan", "const"
            elif math.isinf(v):
                text, op = ("-math.inf", "neg") if v < 0 else ("math.inf", "const")
            else:
                text, op = (f"-{_number(-v)}", "neg") if v < 0 else (_number(v), "const")
        elif op == "const":
            if n.label in ("pi", "e"):
                text = f"math.{n.label}" if torch else n.label
            else:
                if not (math.isfinite(n.value) and n.value >= 0):
                    raise ValueError("a parsed number is finite and >= 0")
                text = _number(n.value)
        elif op == "var":
            text = names[int(n.value)]
        elif op in _SYMBOL:
            a, b = n.args
            p = _PREC[op]
            # a right operand of the same precedence needs brackets: a - (b - c), a / (b * c)
            text = f"{out(a, p)}{sp}{_SYMBOL[op]}{sp}{out(b, p + 1)}"
        elif op == "neg":
            text = f"-{out(n.args[0], _PREC['neg'] + 1)}"
        elif op == "pow":
            exponent = float(n.value)
            if not math.isfinite(exponent):
                raise ValueError("a parsed exponent is finite")
            power = _number(abs(exponent))
            power = f"(-{power})" if exponent < 0 else power
            # ** binds tighter than a unary minus on its left: the base needs brackets unless
            # it is a name, a number or a call
            text = f"{out(n.args[0], _PREC['fn'])}{sp}**{sp}{power}"
        elif op == "fn":
            if n.label not in TORCH_FUNCTIONS:
                raise ValueError(f"unknown function {n.label!r}")
            fname = TORCH_FUNCTIONS[n.label] if torch else n.label
            text = f"{fname}({out(n.args[0])})"
        else:
            raise ValueError(f"unknown node {op!r}")
        return f"({text})" if _PREC[op] < need else text

    return out(node)


def _arith(n: ExprNode) -> bool:
    """A variable-free part Python computes exactly as numpy: products of numbers, pi and e
    (no division, power or function, where Python raises on 0 or overflow)."""
    if n.op == "const":
        return True
    if n.op == "mul":
        return all(_arith(a) for a in n.args) and abs(_value(n)) < 1e300
    return False


class FunctionSpec:
    """A loss on the page: a catalogue surface (key and parameters) or a typed formula."""

    def __init__(
        self,
        key: str,
        params: tuple[tuple[str, Any], ...],
        formula: str | None,
        variables: tuple[str, ...],
        window: tuple[tuple[float, float], ...] | None,
        dim: int,
        f_min: float | None,
    ) -> None:
        self.key, self.params, self.formula = key, params, formula
        self.variables, self.window, self.dim, self.f_min = variables, window, dim, f_min


def function_spec(
    surface: str = "quadratic",
    params: Mapping[str, Any] | None = None,
    *,
    formula: str | None = None,
    variables: Sequence[str] | None = None,
    window: Sequence[tuple[float, float]] | None = None,
) -> FunctionSpec:
    """Validate a page's loss: ``surface`` from the catalogue with ``params``, or ``surface="custom"``
    with the typed ``formula`` (and its ``variables``, ``window``), checked exactly as the page
    checks it.  Raises :class:`engine.surfaces.SurfaceError` or
    :class:`engine.expr.ExpressionError` with the page's message.

    >>> function_spec("custom", formula="x^2 + y²", variables=("x", "y")).formula
    'x**2+y**2'
    """
    if surface == "custom":
        if formula is None:
            raise ValueError("a custom surface needs its formula")
        names = tuple(variables) if variables is not None else ("x",)
        s = parse_function(formula, names, window=window)  # every check the page makes
        tree = expression_tree(formula, names)
        canonical = formula_code(tree, names, torch=False)
        # the parsed form, re-printed; the typed text itself (already validated) only if
        # that came out longer than the parser accepts (e.g. "x²" becomes "x**2")
        text = canonical if len(canonical) <= MAX_LENGTH else formula
        return FunctionSpec("custom", (), text, names, s.window, s.dim, s.f_min)
    if formula is not None:
        raise ValueError("a formula goes with surface='custom'")
    s = get_surface(surface, **dict(params or {}))
    entry = SURFACES_1D.get(surface) or SURFACES_2D[surface]
    given = dict(params or {})
    full = tuple((k, given.get(k, v)) for k, v in entry.defaults.items())
    names = ("x",) if s.dim == 1 else ("x", "y")
    return FunctionSpec(surface, full, None, names, None, s.dim, s.f_min)


def _catalogue_body(key: str, params: dict[str, Any]) -> tuple[str, str]:
    """(the expression, a comment) of a catalogue surface in torch, from its checked parameters."""
    s = get_surface(key, **params)
    p = dict(s.params)
    n = lit
    if key == "quadratic":
        return f"0.5 * {n(p['a'])} * (x - {n(p['center'])}) ** 2", "the parabola a/2 (x - c)^2"
    if key == "double_well":
        t = float(p["tilt"])
        sign = "-" if math.copysign(1.0, t) < 0 else "+"  # (x^2 - 1)^2 - 0.6 * x, not + -0.6 * x
        return f"(x**2 - 1) ** 2 {sign} {n(abs(t))} * x", "the tilted double well"
    if key == "plateau":
        w2 = p["width"] * p["width"]
        return f"x**2 / ({n(w2)} + x**2)", "a bowl with flat shoulders"
    if key == "lopsided":
        k = p["skew"]
        return (
            f"(torch.expm1({n(k)} * x) - {n(k)} * x) / {n(k * k)}",
            "the lopsided bowl (e^(sx) - sx - 1) / s^2",
        )
    if key == "quartic":
        return f"0.25 * {n(p['scale'])} * x**4", "the flat-bottomed bowl c x^4 / 4"
    if key == "ill_conditioned":
        h = s.hessian((0.0, 0.0))
        axx, axy, ayy = float(h[0, 0]), float(h[0, 1]), float(h[1, 1])
        return (
            f"0.5 * ({n(axx)} * x**2 + 2 * {n(axy)} * x * y + {n(ayy)} * y**2)",
            f"the valley 1/2 [x y] A [x y]^T, eigenvalues {n(p['lam_min'])} and "
            f"{n(p['lam_max'])} (kappa {n(p['kappa'])}, {n(p['angle'])} degrees)",
        )
    if key == "rosenbrock":
        return (
            f"({n(p['a'])} - x) ** 2 + {n(p['b'])} * (y - x**2) ** 2",
            "Rosenbrock's banana valley",
        )
    if key == "himmelblau":
        return "(x**2 + y - 11) ** 2 + (x + y**2 - 7) ** 2", "Himmelblau's four valleys"
    if key == "saddle":
        return f"0.5 * {n(p['curvature'])} * (x**2 - y**2)", "the saddle"
    if key == "saddle_well":
        return "0.5 * x**2 + 0.25 * y**4 - 0.5 * y**2", "a saddle between two valleys"
    if key == "beale":
        return (
            "(1.5 - x + x * y) ** 2 + (2.25 - x + x * y**2) ** 2 + (2.625 - x + x * y**3) ** 2",
            "Beale's function",
        )
    if key == "six_hump_camel":
        return (
            "(4 - 2.1 * x**2 + x**4 / 3) * x**2 + x * y + (4 * y**2 - 4) * y**2",
            "the six-hump camel",
        )
    raise ValueError(f"no torch code for surface {key!r}")  # pragma: no cover


def torch_loss(spec: FunctionSpec, *, name: str = "loss_fn") -> Snippet:
    """``def loss_fn(x)`` / ``def loss_fn(x, y)`` in torch, for the page's loss ``spec``
    (from :func:`function_spec`).  Works elementwise, so it takes a batch of points."""
    if spec.key == "custom":
        assert spec.formula is not None
        tree = expression_tree(spec.formula, spec.variables)
        body = formula_code(tree, spec.variables)
        args = ", ".join(_safe_name(v, i) for i, v in enumerate(spec.variables))
        shown = formula_code(tree, spec.variables, torch=False)
        doc = f"The typed function f({args}) = {shown}, written from LR Lab's parsed formula."
    else:
        body, what = _catalogue_body(spec.key, dict(spec.params))
        args = "x" if spec.dim == 1 else "x, y"
        doc = f"LR Lab's surface: {what}."
    code = f'def {name}({args}):\n    """{doc}"""\n    return {body}'
    imports = ["import torch"]
    if "math." in body:
        imports.insert(0, "import math")
    return Snippet(code, tuple(imports), (), ("torch",))


def _runs(
    runs: Sequence[tuple[Optimizer | str, float]] | None,
    lrs: Sequence[float],
    optimizer: Optimizer | str,
) -> list[tuple[Optimizer, float]]:
    pairs = (
        [(as_optimizer(o), float(r)) for o, r in runs]
        if runs is not None
        else [(as_optimizer(optimizer), float(r)) for r in lrs]
    )
    if not 1 <= len(pairs) <= MAX_RUNS:
        raise ValueError(f"give between 1 and {MAX_RUNS} runs")
    for _, r in pairs:
        if not (math.isfinite(r) and r > 0):
            raise ValueError(f"learning rates must be positive finite numbers, got {r!r}")
    return pairs


def torch_descent(
    spec: FunctionSpec,
    x0: Sequence[float],
    *,
    lrs: Sequence[float] = (),
    optimizer: Optimizer | str = "sgd",
    runs: Sequence[tuple[Optimizer | str, float]] | None = None,
    steps: int = 50,
) -> Snippet:
    """Gradient descent on the page's loss with PyTorch autograd, one run per rate.

    Plain SGD with K rates is written as the bare loop (``loss.backward()``, then
    ``x -= lr * x.grad`` under ``torch.no_grad()``) on a ``(K, dim)`` tensor: every row is one
    run.  Other optimisers (or ``runs``: ``(optimizer, lr)`` pairs, as :func:`engine.run_many`)
    get one ``torch.optim`` optimiser per run.  ``path`` is ``(K, steps + 1, dim)``, as
    ``DescentResult.path``.
    """
    pairs = _runs(runs, lrs, optimizer)
    if isinstance(steps, bool) or int(steps) != steps or not 1 <= steps <= MAX_STEPS:
        raise ValueError(f"steps must be a whole number in 1 ... {MAX_STEPS}")
    start = tuple(float(v) for v in x0)
    if len(start) != spec.dim or not all(math.isfinite(v) for v in start):
        raise ValueError(f"the start needs {spec.dim} finite coordinate(s)")
    loss = torch_loss(spec)
    k = len(pairs)
    ax = "x" if spec.dim == 1 else "xy"
    stop_note = (
        "# LR Lab freezes a run once it blows up (|x| > 1e8, or its loss grows 1e8-fold); "
        "here it runs on to inf/nan"
    )
    if all(o.name == "sgd" and o.hypergrad is None for o, _ in pairs):
        rates = [r for _, r in pairs]
        lines = [
            f"lrs = torch.tensor({lit(rates)}, dtype=torch.float64)  # one run per rate",
            f"{ax} = torch.tensor({lit([list(start)] * k)}, dtype=torch.float64, "
            "requires_grad=True)",
            f"path = [{ax}.detach().clone()]  # every run starts at {lit(start)}",
            f"for step in range({lit(int(steps))}):",
            "    # the runs are independent: the gradient of the sum is each run's own gradient",
            f"    loss = loss_fn(*{ax}.unbind(dim=1)).sum()",
            f"    {ax}.grad = None",
            "    loss.backward()",
            "    with torch.no_grad():",
            f"        {ax} -= lrs[:, None] * {ax}.grad  # w <- w - lr * dF/dw",
            f"    path.append({ax}.detach().clone())",
            f"path = torch.stack(path, dim=1)  # (runs, steps + 1, {spec.dim})",
            stop_note,
        ]
        parts = [loss, Snippet("\n".join(lines), ("import torch",), (), ("torch",))]
        return join(*parts)
    makers = []
    needs_hd = False
    for opt, r in pairs:
        _, call = optimizer_constructor(opt, r, "params")
        needs_hd |= opt.hypergrad is not None
        makers.append(f"    lambda params: {call},  # {opt.label}")
    lines = [
        "# one optimiser per run, built on that run's own point; torch's momentum, Nesterov and",
        "# Adam updates are LR Lab's (v <- mu * v + g, dampening 0; Adam's eps after bias correction)",
        "make_optimizers = [",
        *makers,
        "]",
        "paths = []",
        "for make in make_optimizers:",
        f"    {ax} = torch.tensor({lit(list(start))}, dtype=torch.float64, requires_grad=True)",
        f"    optimizer = make([{ax}])",
        f"    path = [{ax}.detach().clone()]",
        f"    for step in range({lit(int(steps))}):",
        "        optimizer.zero_grad()",
        f"        loss = loss_fn(*{ax})",
        "        loss.backward()",
        "        optimizer.step()",
        f"        path.append({ax}.detach().clone())",
        "    paths.append(torch.stack(path))",
        f"path = torch.stack(paths)  # (runs, steps + 1, {spec.dim})",
        stop_note,
    ]
    parts = [loss]
    if needs_hd:
        parts.append(hd_class())
    parts.append(Snippet("\n".join(lines), ("import torch",), (), ("torch",)))
    return join(*parts)
