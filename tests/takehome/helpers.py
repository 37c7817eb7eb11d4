"""What a generated snippet uses and carries, read from its syntax tree (never by running it)."""

from __future__ import annotations

import ast
import builtins

#: builtins generated code may call; everything else (eval, exec, open, __import__, getattr,
#: compile, globals, ...) is forbidden
SAFE_BUILTINS = {
    "abs",
    "dict",
    "enumerate",
    "float",
    "int",
    "isinstance",
    "len",
    "list",
    "max",
    "min",
    "print",
    "range",
    "round",
    "sum",
    "super",
    "tuple",
    "zip",
    "ValueError",
}

#: modules generated code may import
MODULES = {
    "math",
    "numpy",
    "numpy.lib.stride_tricks",
    "torch",
    "torch_lr_finder",
    "engine",
    "engine.child",
    "engine.data",
    "engine.hypergrad",
    "engine.models",
}


def _bind_args(args: ast.arguments, bound: set[str]) -> None:
    for a in (*args.posonlyargs, *args.args, *args.kwonlyargs):
        bound.add(a.arg)
    for a in (args.vararg, args.kwarg):
        if a is not None:
            bound.add(a.arg)


def names_used(source: str) -> tuple[set[str], set[str], set[str]]:
    """``(free names, imported modules, attribute names)`` of ``source``: the names it reads
    without defining them (builtins, or imports it forgot), the modules it imports, and every
    ``.attribute`` it touches."""
    tree = ast.parse(source)
    bound: set[str] = set()
    loaded: set[str] = set()
    modules: set[str] = set()
    attrs: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                modules.add(alias.name)
                bound.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom):
            modules.add(node.module or "")
            for alias in node.names:
                bound.add(alias.asname or alias.name)
        elif isinstance(node, ast.FunctionDef | ast.ClassDef):
            bound.add(node.name)
            if isinstance(node, ast.FunctionDef):
                _bind_args(node.args, bound)
        elif isinstance(node, ast.Lambda):
            _bind_args(node.args, bound)
        elif isinstance(node, ast.Name):
            (loaded if isinstance(node.ctx, ast.Load) else bound).add(node.id)
        elif isinstance(node, ast.Attribute):
            attrs.add(node.attr)
    return loaded - bound, modules, attrs


def check_names(
    source: str, *, modules: set[str] = MODULES, context: frozenset[str] = frozenset()
) -> None:
    """Assert ``source`` parses, reads no name it does not define except safe builtins (and the
    ``context`` names a snippet expects from the code around it, e.g. ``optimizer``), imports
    only ``modules`` and touches no dunder attribute (but ``__init__``)."""
    free, imported, attrs = names_used(source)
    free -= context
    assert free <= SAFE_BUILTINS, f"undefined or unsafe names: {sorted(free - SAFE_BUILTINS)}"
    assert free <= set(dir(builtins))
    assert imported <= modules, f"unexpected imports: {sorted(imported - modules)}"
    dunder = {a for a in attrs if a.startswith("__") and a != "__init__"}
    assert not dunder, f"dunder attributes: {sorted(dunder)}"


def literals(source: str) -> list:
    """Every number and string literal in ``source`` (``-x`` of a number counts as ``-x``)."""
    out = []
    negated = set()
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.UnaryOp)
            and isinstance(node.op, ast.USub)
            and isinstance(node.operand, ast.Constant)
        ):
            out.append(-node.operand.value)
            negated.add(id(node.operand))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and id(node) not in negated:
            if isinstance(node.value, int | float | str):
                out.append(node.value)
    return out


def _kind(v) -> str:
    return "bool" if isinstance(v, bool) else "str" if isinstance(v, str) else "number"


def carries(source: str, *values) -> None:
    """Assert every value appears as a literal equal to it (numbers compared exactly, a bool
    only to a bool, a string only to a string)."""
    found = literals(source)
    for v in values:
        assert any(_kind(f) == _kind(v) and f == v for f in found), (
            f"{v!r} is not a literal of the code"
        )


def run(source: str) -> dict:
    """Execute ``source`` in a fresh namespace (as a script would run) and return it."""
    ns: dict = {"__name__": "__takehome_test__"}
    exec(compile(source, "<generated>", "exec"), ns)
    return ns
