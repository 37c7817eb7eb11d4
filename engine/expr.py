"""Functions typed by the user: a safe parser, exact derivatives, a vectorised evaluator.

Security model
--------------
User text is **never** executed: it is never passed to ``eval``/``exec``, nor to sympy.  The text
is parsed with ``ast.parse(text, mode="eval")`` (which only builds a syntax tree) and the tree is
walked against a whitelist:

* numbers (``|value| <= 1e6``), the variables, the constants ``pi`` and ``e``;
* ``+ - * /`` and ``**`` (``^`` is accepted and means ``**``), unary ``+``/``-``;
* calls of a bare whitelisted function name with exactly one positional argument;
* the exponent of ``**`` must be a constant with ``|value| <= 10``, and so must the total
  exponent of a power of a power (``(x**9)**9`` is ``x**81``: refused);
* no comment (``#``): the text after it would silently be dropped.

Everything else (attribute access, subscripts, strings, lambdas, comprehensions, comparisons,
keywords, names starting with ``_``, ...) is rejected with an :class:`ExpressionError` that says
what is wrong and what is allowed.  Messages are Markdown-safe: every piece of code in them
(the student's own text included) is in a code span, so a page may show them as Markdown
without a ``*`` turning into italics.  The text is at most 200 characters, the tree at most 150
nodes and 40 levels deep, so parsing, differentiation and evaluation cost are bounded by
construction (no loops, no recursion beyond the bounded depth).

Derivatives
-----------
The validated tree is rebuilt from small node objects of our own; gradient and Hessian are
obtained by exact symbolic differentiation with light simplification (constant folding,
``0*a -> 0``, ``1*a -> a``, ...).  Identical subtrees are shared (hash-consing), and each tree is
compiled into a straight-line program of numpy operations evaluated under
``np.errstate(all="ignore")``: ``log`` or ``sqrt`` of a negative number gives NaN, which is a
result, not an error.
"""

from __future__ import annotations

import ast
import math
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from engine.surfaces import Surface

__all__ = [
    "ExpressionError",
    "code",
    "ExprNode",
    "expression_tree",
    "parse_function",
    "FUNCTIONS",
    "CONSTANTS",
    "MAX_LENGTH",
    "MAX_NODES",
    "MAX_EXPONENT",
    "MAX_LITERAL",
    "MAX_DEPTH",
    "MAX_PAREN_DEPTH",
    "MAX_DERIVED_NODES",
]

MAX_LENGTH = 200
MAX_NODES = 150
MAX_DEPTH = 100
MAX_PAREN_DEPTH = 20
MAX_EXPONENT = 10.0
MAX_LITERAL = 1e6
MAX_DERIVED_NODES = 20_000


def _sigmoid(u: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * u))


#: The functions a user may call: name -> numpy implementation.
FUNCTIONS: dict[str, Callable[[Any], Any]] = {
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "exp": np.exp,
    "log": np.log,
    "sqrt": np.sqrt,
    "abs": np.abs,
    "tanh": np.tanh,
    "sinh": np.sinh,
    "cosh": np.cosh,
    "arctan": np.arctan,
    "sigmoid": _sigmoid,
}
_ALIASES = {"atan": "arctan", "ln": "log"}
_INTERNAL = {"sign": np.sign}  # only produced by differentiation (d|u| = sign(u) du)

#: Named constants a user may write.
CONSTANTS: dict[str, float] = {"pi": math.pi, "e": math.e}

_OPS = {ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "div", ast.Pow: "pow"}
_BAD_OPS = {
    ast.Mod: "%",
    ast.FloorDiv: "//",
    ast.MatMult: "@",
    ast.BitAnd: "&",
    ast.BitOr: "|",
    ast.BitXor: "xor",
    ast.LShift: "<<",
    ast.RShift: ">>",
}
_BAD_NODES = {
    ast.Attribute: "A dot after a name (attribute access) is not allowed",
    ast.Subscript: "Square brackets `[...]` are not allowed",
    ast.List: "Lists `[...]` are not allowed",
    ast.Tuple: "Commas are not allowed: type a single formula",
    ast.Set: "Curly brackets `{...}` are not allowed",
    ast.Dict: "Curly brackets `{...}` are not allowed",
    ast.Lambda: "`lambda` is not allowed",
    ast.ListComp: "Comprehensions (`for` inside brackets) are not allowed",
    ast.SetComp: "Comprehensions (`for` inside brackets) are not allowed",
    ast.DictComp: "Comprehensions (`for` inside brackets) are not allowed",
    ast.GeneratorExp: "Comprehensions (`for` inside brackets) are not allowed",
    ast.Compare: "Comparisons (`<`, `>`, `==`) are not allowed",
    ast.BoolOp: "`and` / `or` are not allowed",
    ast.IfExp: "`if ... else` is not allowed",
    ast.NamedExpr: "`:=` is not allowed",
    ast.Starred: "`*` in front of an argument is not allowed",
    ast.JoinedStr: "Text in quotes is not allowed",
    ast.Await: "`await` is not allowed",
    ast.Yield: "`yield` is not allowed",
    ast.YieldFrom: "`yield` is not allowed",
}
_TRANSLATE = {"^": "**", "−": "-", "×": "*", "·": "*", "²": "**2", "³": "**3", "π": "pi"}


class ExpressionError(ValueError):
    """The typed function cannot be used; the message says why and what is allowed.

    The message is safe to show as Markdown: code in it is in code spans (see :func:`code`).
    """


def code(text: str) -> str:
    """``text`` as a Markdown code span, whatever it contains (a longer fence around backticks,
    unprintable characters shown as ``?``).

    >>> code("2*x"), code("a`b")
    ('`2*x`', '`` a`b ``')
    """
    text = "".join(c if c.isprintable() else "?" for c in str(text))
    if "`" not in text:
        return f"`{text}`"
    fence = "``" if "``" not in text else "```"
    return f"{fence} {text} {fence}"


def _allowed(variables: Sequence[str]) -> str:
    names = " and ".join(code(v) for v in variables)
    funcs = ", ".join(code(f) for f in FUNCTIONS)
    return (
        f"Allowed: numbers, {names}, `pi`, `e`, `+ - * /` and `^` (or `**`) with a number as "
        f"exponent, parentheses, and the functions {funcs}."
    )


# ----------------------------------------------------------------------------- expression nodes


class _Node:
    """One node of an expression DAG (shared, immutable after construction)."""

    __slots__ = ("op", "args", "value", "label")

    def __init__(self, op: str, args: tuple[_Node, ...], value: float, label: str) -> None:
        self.op = op
        self.args = args
        self.value = value
        self.label = label

    def is_const(self, v: float | None = None) -> bool:
        return self.op == "const" and (v is None or self.value == v)


def _apply(op: str, label: str, value: float, vals: list[Any]) -> Any:
    """Evaluate one node on numpy values (call under np.errstate)."""
    if op == "add":
        return vals[0] + vals[1]
    if op == "sub":
        return vals[0] - vals[1]
    if op == "mul":
        return vals[0] * vals[1]
    if op == "div":
        return vals[0] / vals[1]
    if op == "neg":
        return -vals[0]
    if op == "pow":
        if value == 2.0:
            return vals[0] * vals[0]
        return np.power(vals[0], value)
    if op == "fn":
        return (FUNCTIONS.get(label) or _INTERNAL[label])(vals[0])
    raise AssertionError(op)  # pragma: no cover


class _Builder:
    """Creates interned nodes (structurally equal nodes are the same object) and simplifies."""

    def __init__(self) -> None:
        self._table: dict[tuple[Any, ...], _Node] = {}

    def node(
        self, op: str, args: tuple[_Node, ...] = (), value: float = 0.0, label: str = ""
    ) -> _Node:
        key = (op, value, label, *(id(a) for a in args))
        found = self._table.get(key)
        if found is None:
            found = self._table[key] = _Node(op, args, value, label)
        return found

    # -- leaves
    def const(self, v: float, label: str = "") -> _Node:
        return self.node("const", (), float(v), label)

    def var(self, index: int, name: str) -> _Node:
        return self.node("var", (), float(index), name)

    # -- simplifying constructors
    def _fold(
        self, op: str, args: tuple[_Node, ...], value: float = 0.0, label: str = ""
    ) -> _Node | None:
        if all(a.is_const() for a in args):
            with np.errstate(all="ignore"):
                v = float(_apply(op, label, value, [np.float64(a.value) for a in args]))
            if math.isfinite(v):
                return self.const(v)
        return None

    def add(self, a: _Node, b: _Node) -> _Node:
        if a.is_const(0.0):
            return b
        if b.is_const(0.0):
            return a
        if b.op == "neg":
            return self.sub(a, b.args[0])
        return self._fold("add", (a, b)) or self.node("add", (a, b))

    def sub(self, a: _Node, b: _Node) -> _Node:
        if b.is_const(0.0):
            return a
        if a.is_const(0.0):
            return self.neg(b)
        if b.op == "neg":
            return self.add(a, b.args[0])
        if a is b:
            return self.const(0.0)
        return self._fold("sub", (a, b)) or self.node("sub", (a, b))

    def mul(self, a: _Node, b: _Node) -> _Node:
        if b.is_const() and not a.is_const():
            a, b = b, a  # constant first
        if a.is_const(0.0) or b.is_const(0.0):
            return self.const(0.0)
        if a.is_const(1.0):
            return b
        if a.is_const(-1.0):
            return self.neg(b)
        if a.op == "neg":
            return self.neg(self.mul(a.args[0], b))
        if b.op == "neg":
            return self.neg(self.mul(a, b.args[0]))
        if a.is_const() and b.op == "mul" and b.args[0].is_const():
            return self.mul(self.const(a.value * b.args[0].value), b.args[1])
        return self._fold("mul", (a, b)) or self.node("mul", (a, b))

    def div(self, a: _Node, b: _Node) -> _Node:
        if a.is_const(0.0):
            return self.const(0.0)
        if b.is_const(1.0):
            return a
        return self._fold("div", (a, b)) or self.node("div", (a, b))

    def neg(self, a: _Node) -> _Node:
        if a.op == "neg":
            return a.args[0]
        if a.is_const():
            return self.const(-a.value)
        return self.node("neg", (a,))

    def pow(self, a: _Node, n: float) -> _Node:
        if n == 0.0:
            return self.const(1.0)
        if n == 1.0:
            return a
        return self._fold("pow", (a,), n) or self.node("pow", (a, self.const(n)), n)

    def fn(self, name: str, a: _Node) -> _Node:
        return self._fold("fn", (a,), 0.0, name) or self.node("fn", (a,), 0.0, name)

    # -- differentiation
    def derivative(self, node: _Node, k: int, memo: dict[int, _Node]) -> _Node:
        """d node / d x_k, exact, with shared subtrees (memo keyed by node identity)."""
        hit = memo.get(id(node))
        if hit is not None:
            return hit
        op, args = node.op, node.args
        if op == "const":
            out = self.const(0.0)
        elif op == "var":
            out = self.const(1.0 if int(node.value) == k else 0.0)
        else:
            ds = (
                [self.derivative(a, k, memo) for a in args[:1]]
                if op in ("neg", "pow", "fn")
                else [self.derivative(a, k, memo) for a in args]
            )
            if op == "add":
                out = self.add(ds[0], ds[1])
            elif op == "sub":
                out = self.sub(ds[0], ds[1])
            elif op == "mul":
                out = self.add(self.mul(ds[0], args[1]), self.mul(args[0], ds[1]))
            elif op == "div":
                a, b = args
                if ds[1].is_const(0.0):
                    out = self.div(ds[0], b)
                else:
                    num = self.sub(self.mul(ds[0], b), self.mul(a, ds[1]))
                    out = self.div(num, self.pow(b, 2.0))
            elif op == "neg":
                out = self.neg(ds[0])
            elif op == "pow":
                n = node.value
                out = self.mul(self.mul(self.const(n), self.pow(args[0], n - 1.0)), ds[0])
            else:  # fn
                out = (
                    self.mul(self._dfn(node.label, args[0]), ds[0])
                    if not ds[0].is_const(0.0)
                    else ds[0]
                )
        memo[id(node)] = out
        return out

    def _dfn(self, name: str, u: _Node) -> _Node:
        """Derivative of the function ``name`` at ``u`` (the outer factor of the chain rule)."""
        if name == "sin":
            return self.fn("cos", u)
        if name == "cos":
            return self.neg(self.fn("sin", u))
        if name == "tan":
            return self.add(self.const(1.0), self.pow(self.fn("tan", u), 2.0))
        if name == "exp":
            return self.fn("exp", u)
        if name == "log":
            return self.div(self.const(1.0), u)
        if name == "sqrt":
            return self.div(self.const(0.5), self.fn("sqrt", u))
        if name == "abs":
            return self.fn("sign", u)
        if name == "sign":
            return self.const(0.0)
        if name == "tanh":
            return self.sub(self.const(1.0), self.pow(self.fn("tanh", u), 2.0))
        if name == "sinh":
            return self.fn("cosh", u)
        if name == "cosh":
            return self.fn("sinh", u)
        if name == "arctan":
            return self.div(self.const(1.0), self.add(self.const(1.0), self.pow(u, 2.0)))
        if name == "sigmoid":
            s = self.fn("sigmoid", u)
            return self.mul(s, self.sub(self.const(1.0), s))
        raise AssertionError(name)  # pragma: no cover


# ----------------------------------------------------------------------------- compiled programs


class _Program:
    """A straight-line numpy program computing several outputs that share subexpressions."""

    def __init__(self, outputs: Sequence[_Node]) -> None:
        order: list[_Node] = []
        slot: dict[int, int] = {}
        for root in outputs:  # iterative post-order DFS (no recursion on user-sized trees)
            stack: list[tuple[_Node, bool]] = [(root, False)]
            while stack:
                node, done = stack.pop()
                if id(node) in slot:
                    continue
                kids = node.args[:1] if node.op == "pow" else node.args  # exponent is node.value
                if done:
                    slot[id(node)] = len(order)
                    order.append(node)
                else:
                    stack.append((node, True))
                    stack.extend((c, False) for c in kids if id(c) not in slot)
        self.size = len(order)
        self.code = [
            (
                n.op,
                tuple(slot[id(c)] for c in (n.args[:1] if n.op == "pow" else n.args)),
                np.float64(n.value),
                n.label,
            )
            for n in order
        ]
        self.outputs = [slot[id(n)] for n in outputs]

    def __call__(self, xs: Sequence[np.ndarray], shape: tuple[int, ...]) -> list[np.ndarray]:
        vals: list[Any] = [None] * self.size
        with np.errstate(all="ignore"):
            for i, (op, a, value, label) in enumerate(self.code):
                if op == "const":
                    vals[i] = value
                elif op == "var":
                    vals[i] = xs[int(value)]
                else:
                    vals[i] = _apply(op, label, value, [vals[j] for j in a])
        return [np.array(np.broadcast_to(vals[j], shape), dtype=np.float64) for j in self.outputs]


# ----------------------------------------------------------------------------- parsing


def _prepare(text: object, variables: Sequence[str]) -> str:
    if not isinstance(text, str):
        raise ExpressionError("Type the function as text, for example `x**2`.")
    src = text.strip()
    if not src:
        example = "x**2 + y**2" if len(variables) == 2 else "x**2"
        raise ExpressionError(
            f"The function is empty: type a formula, for example {code(example)}."
        )
    if len(src) > MAX_LENGTH:
        raise ExpressionError(
            f"The function is too long ({len(src)} characters; at most {MAX_LENGTH})."
        )
    for old, new in _TRANSLATE.items():
        src = src.replace(old, new)
    bad = sorted({ch for ch in src if not (ch.isascii() and (ch.isprintable() or ch.isspace()))})
    if bad:
        raise ExpressionError(
            f"The character {code(repr(bad[0]))} is not allowed. {_allowed(variables)}"
        )
    if "#" in src:  # Python would read the rest as a comment and silently drop it
        raise ExpressionError(
            "The character `#` is not allowed: it would start a comment and drop the rest of the "
            f"formula. {_allowed(variables)}"
        )
    depth = best = 0
    for ch in src:
        if ch in "([{":
            depth += 1
            best = max(best, depth)
        elif ch in ")]}":
            depth -= 1
    if best > MAX_PAREN_DEPTH:
        raise ExpressionError(f"Too many nested parentheses ({best}; at most {MAX_PAREN_DEPTH}).")
    return src


def _syntax_message(src: str, variables: Sequence[str]) -> str:
    if src.count("(") != src.count(")"):
        return "The parentheses do not match: every `(` needs a `)`."
    if re.search(r"(\d|\))\s*[A-Za-z(]", src):
        return (
            "A `*` seems to be missing: write `2*x` for 2 times x, and `(x+1)*(x-1)` for a product."
        )
    if "=" in src:
        return "Type only the right-hand side, without `=` (for example `x**2`, not `f(x) = x**2`)."
    return f"This is not a formula I can read: check the operators and parentheses. {_allowed(variables)}"


class _Converter:
    """Walks a Python AST against the whitelist and rebuilds it from our own nodes."""

    def __init__(self, builder: _Builder, variables: Sequence[str], src: str = "") -> None:
        self.b = builder
        self.variables = tuple(variables)
        self.help = _allowed(variables)
        self.src = src

    def fail(self, problem: str) -> ExpressionError:
        return ExpressionError(f"{problem}. {self.help}")

    def has_var(self, node: _Node) -> bool:
        stack = [node]
        while stack:
            n = stack.pop()
            if n.op == "var":
                return True
            stack.extend(n.args)
        return False

    def has_pow(self, node: _Node) -> bool:
        stack = [node]
        while stack:
            n = stack.pop()
            if n.op == "pow":
                return True
            stack.extend(n.args[:1] if n.op == "pow" else n.args)
        return False

    def degree(self, node: _Node) -> float:
        """How fast ``node`` can grow with the variables, as a power: 1 for a variable (or a
        function of one), exponents multiply, products add (bounded depth: no deep recursion)."""
        if node.op == "const":
            return 0.0
        if node.op in ("var", "fn"):
            return 1.0 if node.op == "var" or self.has_var(node) else 0.0
        if node.op == "pow":
            return abs(node.value) * self.degree(node.args[0])
        ds = [self.degree(a) for a in node.args]
        return sum(ds) if node.op in ("mul", "div") else max(ds)

    def const_value(self, node: _Node) -> float:
        """Value of a variable-free subtree (bounded depth, numpy semantics, no Python pow)."""
        if node.op == "const":
            return node.value
        vals = [np.float64(self.const_value(a)) for a in node.args[: 1 if node.op == "pow" else 2]]
        with np.errstate(all="ignore"):
            return float(_apply(node.op, node.label, node.value, vals))

    def convert(self, node: ast.AST) -> _Node:
        b = self.b
        if isinstance(node, ast.Expression):
            return self.convert(node.body)
        if isinstance(node, ast.Constant):
            v = node.value
            if isinstance(v, bool) or v is None or v is Ellipsis:
                raise self.fail(f"{code(str(v))} is not allowed")
            if isinstance(v, str | bytes):
                raise self.fail("Text in quotes is not allowed")
            if isinstance(v, complex):
                raise self.fail("Complex numbers (like `2j`) are not allowed")
            if not isinstance(v, int | float):
                raise self.fail(f"{code(repr(v))} is not allowed")
            if not (math.isfinite(float(v)) and abs(v) <= MAX_LITERAL):
                raise self.fail(
                    f"Numbers must lie between -{MAX_LITERAL:,.0f} and {MAX_LITERAL:,.0f}"
                )
            return b.const(float(v))
        if isinstance(node, ast.Name):
            name = node.id
            if name in self.variables:
                return b.var(self.variables.index(name), name)
            if name in CONSTANTS:
                return b.const(CONSTANTS[name], name)
            if name.startswith("_"):
                raise self.fail("Names starting with `_` are not allowed")
            if name in FUNCTIONS or name in _ALIASES:
                raise self.fail(
                    f"{code(name)} is a function: write {code(name + '(...)')} with an argument"
                )
            if len(self.variables) == 1:
                return self._unknown(
                    name, f"this function has one variable, {code(self.variables[0])}"
                )
            return self._unknown(
                name, f"the variables are {' and '.join(code(v) for v in self.variables)}"
            )
        if isinstance(node, ast.UnaryOp):
            if isinstance(node.op, ast.USub):
                return b.node("neg", (self.convert(node.operand),))
            if isinstance(node.op, ast.UAdd):
                return self.convert(node.operand)
            raise self.fail("`not` and `~` are not allowed")
        if isinstance(node, ast.BinOp):
            kind = _OPS.get(type(node.op))
            if kind is None:
                sym = _BAD_OPS.get(type(node.op), type(node.op).__name__)
                raise self.fail(f"The operator {code(sym)} is not allowed")
            left = self.convert(node.left)
            right = self.convert(node.right)
            if kind != "pow":
                return b.node(kind, (left, right))
            if self.has_var(right):
                raise self.fail(
                    "The exponent after `^` must be a number (like `x^2` or `x^0.5`); "
                    "for exponentials write `exp(...)`, e.g. `exp(x*log(2))` for `2^x`"
                )
            n = self.const_value(right)
            if not math.isfinite(n) or abs(n) > MAX_EXPONENT:
                shown = f"{n:.6g}" if math.isfinite(n) else "not a finite number"
                raise self.fail(
                    f"Exponents must lie between -{MAX_EXPONENT:g} and {MAX_EXPONENT:g} "
                    f"(this one is {shown})"
                )
            total = abs(n) * self.degree(left)
            if self.has_pow(left) and total > MAX_EXPONENT:
                part = ast.get_source_segment(self.src, node) or "this power"
                raise self.fail(
                    f"A power of a power multiplies the exponents: {code(part)} has a total "
                    f"exponent of {total:g}, and exponents must lie between -{MAX_EXPONENT:g} and "
                    f"{MAX_EXPONENT:g}"
                )
            return b.node("pow", (left, right), n)
        if isinstance(node, ast.Call):
            func = node.func
            if not isinstance(func, ast.Name):
                if isinstance(func, ast.Attribute):
                    raise self.fail("A dot after a name (attribute access) is not allowed")
                raise self.fail("Only the listed functions can be called, by their plain name")
            name = func.id
            if (func.lineno, func.col_offset) != (node.lineno, node.col_offset):
                raise self.fail(
                    f"Call a function by its plain name, as in {code(name + '(x)')}, without "
                    "brackets around the name"
                )
            if name.startswith("_"):
                raise self.fail("Names starting with `_` are not allowed")
            name = _ALIASES.get(name, name)
            if name not in FUNCTIONS:
                raise self.fail(f"Unknown function {code(func.id)}")
            if node.keywords:
                raise self.fail(f"{code(name + '(...)')} takes no named arguments (no `=` inside)")
            if any(isinstance(a, ast.Starred) for a in node.args):
                raise self.fail("`*` in front of an argument is not allowed")
            if len(node.args) != 1:
                raise self.fail(f"{code(name + '(...)')} takes exactly one argument")
            return b.node("fn", (self.convert(node.args[0]),), 0.0, name)
        problem = _BAD_NODES.get(type(node), f"{code(type(node).__name__)} is not allowed")
        raise self.fail(problem)

    def _unknown(self, name: str, hint: str) -> _Node:
        raise self.fail(f"Unknown name {code(name)}: {hint}")


def _ast_depth(tree: ast.AST) -> int:
    best = 0
    stack = [(tree, 1)]
    while stack:
        node, d = stack.pop()
        best = max(best, d)
        stack.extend((c, d + 1) for c in ast.iter_child_nodes(node))
    return best


# ----------------------------------------------------------------------------- LaTeX


_PREC = {"add": 1, "sub": 1, "mul": 2, "div": 2, "neg": 3, "pow": 4, "fn": 5, "var": 6, "const": 6}
_TEX_FN = {
    "sin": r"\sin",
    "cos": r"\cos",
    "tan": r"\tan",
    "log": r"\log",
    "tanh": r"\tanh",
    "sinh": r"\sinh",
    "cosh": r"\cosh",
    "arctan": r"\arctan",
    "sigmoid": r"\sigma",
    "sign": r"\operatorname{sign}",
}


def _tex_number(v: float) -> str:
    if v == int(v) and abs(v) < 1e15:
        return str(int(v))
    s = f"{v:.12g}"
    if "e" in s:
        mant, ex = s.split("e")
        return rf"{mant} \times 10^{{{int(ex)}}}"
    return s


def _tex(n: _Node, need: int = 0) -> str:
    op = n.op
    if op == "const":
        out = {"pi": r"\pi", "e": "e"}.get(n.label) or _tex_number(n.value)
    elif op == "var":
        out = n.label
    elif op in ("add", "sub"):
        a, b = n.args
        right = _tex(b, 2 if op == "sub" else 1)
        if b.op == "neg":
            right = rf"\left({right}\right)"
        out = f"{_tex(a, 1)} {'+' if op == 'add' else '-'} {right}"
    elif op == "mul":
        a, b = n.args
        left, right = _tex(a, 2), _tex(b, 2)
        if b.op == "neg":
            right = rf"\left({right}\right)"
        if a.op == "const" and b.op in ("var", "fn", "pow"):
            out = rf"{left}\,{right}"
        else:
            out = rf"{left} \cdot {right}"
    elif op == "div":
        out = rf"\frac{{{_tex(n.args[0])}}}{{{_tex(n.args[1])}}}"
    elif op == "neg":
        out = f"-{_tex(n.args[0], 3)}"
    elif op == "pow":
        base = _tex(n.args[0], 6)
        out = f"{base}^{{{_tex(n.args[1])}}}"
    else:
        u = _tex(n.args[0])
        if n.label == "sqrt":
            out = rf"\sqrt{{{u}}}"
        elif n.label == "abs":
            out = rf"\left|{u}\right|"
        elif n.label == "exp":
            out = f"e^{{{u}}}"
        else:
            out = rf"{_TEX_FN[n.label]}\left({u}\right)"
    if _PREC[op] < need:
        return rf"\left({out}\right)"
    return out


# ----------------------------------------------------------------------------- the public entry


def _check_variables(variables: Sequence[str]) -> tuple[str, ...]:
    try:
        names = tuple(variables)
    except TypeError:
        raise ExpressionError("variables must be a tuple of names such as ('x', 'y')") from None
    if len(names) not in (1, 2) or len(set(names)) != len(names):
        raise ExpressionError("a function has one or two distinct variables")
    for v in names:
        if (
            not isinstance(v, str)
            or not v.isascii()
            or not v.isidentifier()
            or v.startswith("_")
            or v in CONSTANTS
            or v in FUNCTIONS
            or v in _ALIASES
        ):
            raise ExpressionError(f"{v!r} cannot be used as a variable name")
    return names


def _check_window(window: Any, dim: int) -> tuple[tuple[float, float], ...]:
    if window is None:
        return ((-3.0, 3.0),) * dim
    try:
        pairs = tuple((float(lo), float(hi)) for lo, hi in window)
    except (TypeError, ValueError):
        raise ExpressionError("the window must be one (low, high) pair per variable") from None
    if len(pairs) != dim or not all(
        math.isfinite(lo)
        and math.isfinite(hi)
        and lo < hi
        and hi - lo <= 2e3
        and max(abs(lo), abs(hi)) <= 1e3
        for lo, hi in pairs
    ):
        raise ExpressionError(
            "the window must be one (low, high) pair per variable, with low < high, inside ±1000"
        )
    return pairs


def _validated_root(text: str, names: tuple[str, ...], b: _Builder) -> _Node:
    """The whitelisted expression tree of ``text`` (every check of :func:`parse_function`
    except the scan of the window)."""
    src = _prepare(text, names)
    try:
        tree = ast.parse(src, mode="eval")
    except (SyntaxError, ValueError, OverflowError, RecursionError, MemoryError):
        raise ExpressionError(_syntax_message(src, names)) from None
    count = sum(1 for n in ast.walk(tree) if isinstance(n, ast.expr))
    if count > MAX_NODES:
        raise ExpressionError(
            f"The formula is too complicated ({count} parts; at most {MAX_NODES})."
        )
    if _ast_depth(tree) > MAX_DEPTH:
        raise ExpressionError(f"The formula is nested too deeply (at most {MAX_DEPTH} levels).")
    conv = _Converter(b, names, src)
    root = conv.convert(tree)
    if not conv.has_var(root):
        raise ExpressionError(
            f"The function does not depend on {' or '.join(code(v) for v in names)}: a constant "
            "has no slope, so there is nothing to descend."
        )
    return root


#: A node of a parsed formula (see :func:`expression_tree`).
ExprNode = _Node


def expression_tree(text: str, variables: tuple[str, ...] = ("x",)) -> ExprNode:
    """The parsed, whitelisted form of a typed formula, for code generators to walk.

    Runs the same checks as :func:`parse_function` (it raises the same
    :class:`ExpressionError`), but neither differentiates nor scans a window.  The tree is
    exactly what was typed, after the parser's translations (``^`` is ``**``, ``ln`` is ``log``,
    ``atan`` is ``arctan``, a unary ``+`` is dropped); nothing is simplified.  Identical
    subtrees may be one shared object.  Every node has ``op``, ``args``, ``value`` and ``label``:

    ==========  ====================================================================
    ``op``      meaning
    ==========  ====================================================================
    ``const``   the number ``value``; ``label`` is ``"pi"`` or ``"e"`` for those names
    ``var``     variable number ``int(value)``, named ``label``
    ``add``     ``args[0] + args[1]`` (likewise ``sub``, ``mul``, ``div``)
    ``neg``     ``-args[0]``
    ``pow``     ``args[0] ** value`` (``args[1]`` is the exponent as typed; ``value`` its number)
    ``fn``      the function ``label`` (a key of :data:`FUNCTIONS`) of ``args[0]``
    ==========  ====================================================================

    Examples
    --------
    >>> t = expression_tree("2*x^2 - sin(y)", ("x", "y"))
    >>> t.op, [a.op for a in t.args], t.args[1].label
    ('sub', ['mul', 'fn'], 'sin')
    >>> t.args[0].args[1].value
    2.0
    """
    return _validated_root(text, _check_variables(variables), _Builder())


def parse_function(
    text: str,
    variables: tuple[str, ...] = ("x",),
    *,
    window: Sequence[tuple[float, float]] | None = None,
) -> Surface:
    """Turn a formula typed by a student into a :class:`~engine.surfaces.Surface`.

    Parameters
    ----------
    text : str
        The formula, e.g. ``"x^4 - 3x^2 + x"`` is *not* valid (write ``3*x^2``), but
        ``"x**4 - 3*x**2 + x"`` and ``"x^4 - 3*x^2 + x"`` are.  At most 200 characters.
    variables : tuple of str
        One or two variable names; the surface's dimension is ``len(variables)``.
    window : sequence of (low, high), optional
        Plotting window, one pair per variable (default ``(-3, 3)`` each).  The function is
        scanned on a grid there: it must be finite somewhere and not constant, and the lowest
        grid point is refined by Newton's method to give ``minima`` and ``f_min`` when it is an
        interior minimum.

    Returns
    -------
    Surface
        ``key="custom"``, exact gradient and Hessian, ``formula`` rendered in LaTeX.

    Raises
    ------
    ExpressionError
        With a message for the student: what is wrong and what is allowed.

    Examples
    --------
    >>> s = parse_function("x^2 - 2*x")
    >>> s.formula
    'f(x) = x^{2} - 2\\\\,x'
    >>> float(s.value(3.0)), s.gradient(3.0), s.minima, s.f_min
    (3.0, array([4.]), ((1.0,),), -1.0)
    >>> parse_function("x.__class__")
    Traceback (most recent call last):
    ...
    engine.expr.ExpressionError: A dot after a name (attribute access) is not allowed. Allowed: ...
    """
    names = _check_variables(variables)
    dim = len(names)
    box = _check_window(window, dim)
    b = _Builder()
    root = _validated_root(text, names, b)

    memos: list[dict[int, _Node]] = [{} for _ in range(dim)]  # d/dx_k of every node, shared
    grads = [b.derivative(root, k, memos[k]) for k in range(dim)]
    hess_nodes = {
        (i, j): b.derivative(grads[i], j, memos[j]) for i in range(dim) for j in range(i, dim)
    }
    f_prog = _Program([root])
    g_prog = _Program(grads)
    h_prog = _Program([hess_nodes[min(i, j), max(i, j)] for i in range(dim) for j in range(dim)])
    if f_prog.size + g_prog.size + h_prog.size > MAX_DERIVED_NODES:
        raise ExpressionError("The formula is too complicated to differentiate; simplify it.")

    def f(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        return f_prog([x[..., i] for i in range(dim)], x.shape[:-1])[0]

    def grad(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        return np.stack(g_prog([x[..., i] for i in range(dim)], x.shape[:-1]), axis=-1)

    def hess(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        flat = h_prog([x[..., i] for i in range(dim)], x.shape[:-1])
        return np.stack(flat, axis=-1).reshape(*x.shape[:-1], dim, dim)

    minimum, f_min, start = _scan(f, grad, hess, box, names)
    lhs = f"f({', '.join(names)})"
    return Surface(
        key="custom",
        name="Your function",
        dim=dim,
        formula=f"{lhs} = {_tex(root)}",
        f=f,
        grad=grad,
        hess=hess,
        window=box,
        minima=(minimum,) if minimum is not None else (),
        f_min=f_min,
        default_start=start,
        blurb=(
            "The function you typed: its gradient and curvature are computed exactly from the "
            "formula, so the thresholds 1/f'' and 2/f'' apply to it too."
        ),
    )


def _scan(
    f: Callable[[np.ndarray], np.ndarray],
    grad: Callable[[np.ndarray], np.ndarray],
    hess: Callable[[np.ndarray], np.ndarray],
    box: tuple[tuple[float, float], ...],
    names: tuple[str, ...],
) -> tuple[tuple[float, ...] | None, float | None, tuple[float, ...]]:
    """Check the function on a grid; find an interior minimum and a default start."""
    dim = len(box)
    n = 801 if dim == 1 else 121
    axes = [np.linspace(lo, hi, n) for lo, hi in box]
    pts = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, dim)
    with np.errstate(all="ignore"):
        z = f(pts)
    ok = np.isfinite(z)
    where = " × ".join(code(f"[{lo:g}, {hi:g}]") for lo, hi in box)
    if not ok.any():
        raise ExpressionError(
            f"The function is not a finite number anywhere in the window {where} (for example "
            "log or sqrt of a negative number, or a division by zero)."
        )
    zf = z[ok]
    if np.ptp(zf) <= 1e-12 * max(1.0, float(np.max(np.abs(zf)))):
        raise ExpressionError(
            f"The function is constant in the window {where}: with no slope there is nothing to "
            "descend."
        )
    i = int(np.argmin(np.where(ok, z, np.inf)))
    idx = np.unravel_index(i, (n,) * dim)
    interior = all(0 < k < n - 1 for k in idx)
    minimum = f_min = None
    if interior:
        x = _newton(f, grad, hess, pts[i], box)
        if x is not None:
            minimum = tuple(float(v) for v in x)
            f_min = float(f(x))
    lo = np.array([p[0] for p in box])
    hi = np.array([p[1] for p in box])
    cands = (
        [lo + (hi - lo) * np.array(c) for c in ([0.8], [0.2])]
        if dim == 1
        else [
            lo + (hi - lo) * np.array(c) for c in ([0.8, 0.8], [0.2, 0.8], [0.2, 0.2], [0.8, 0.2])
        ]
    )
    target = np.array(minimum) if minimum is not None else pts[i]
    with np.errstate(all="ignore"):
        good = [c for c in cands if np.isfinite(f(c)) and np.all(np.isfinite(grad(c)))]
        if not good:
            fin = pts[ok]
            gfin = np.all(np.isfinite(grad(fin)), axis=-1)
            good = list(fin[gfin][:1]) or [pts[i]]
    start = max(good, key=lambda c: float(np.linalg.norm(c - target)))
    return minimum, f_min, tuple(float(v) for v in start)


def _newton(
    f: Callable[[np.ndarray], np.ndarray],
    grad: Callable[[np.ndarray], np.ndarray],
    hess: Callable[[np.ndarray], np.ndarray],
    x0: np.ndarray,
    box: tuple[tuple[float, float], ...],
) -> np.ndarray | None:
    """Polish a grid minimum with safeguarded Newton steps; None unless it is a true minimum."""
    x = np.array(x0, dtype=np.float64)
    with np.errstate(all="ignore"):
        fx = float(f(x))
        for _ in range(60):
            g = grad(x)
            if not np.all(np.isfinite(g)):
                return None
            if np.linalg.norm(g) <= 1e-12 * max(1.0, abs(fx)):
                break
            h = hess(x)
            d = -g
            if np.all(np.isfinite(h)):
                try:
                    if np.all(np.linalg.eigvalsh(h) > 0):
                        d = np.linalg.solve(h, -g)
                except np.linalg.LinAlgError:
                    pass
            t = 1.0
            for _ in range(40):
                y = x + t * d
                fy = float(f(y))
                if np.isfinite(fy) and fy <= fx:
                    break
                t *= 0.5
            else:
                break
            if np.array_equal(y, x):
                break
            x, fx = y, fy
        g, h = grad(x), hess(x)
    inside = all(lo <= v <= hi for v, (lo, hi) in zip(x, box, strict=True))
    if not (inside and np.all(np.isfinite(g)) and np.all(np.isfinite(h))):
        return None
    if np.linalg.norm(g) > 1e-6 * max(1.0, abs(fx)):
        return None
    if np.min(np.linalg.eigvalsh(0.5 * (h + h.T))) < -1e-8:
        return None
    return x
