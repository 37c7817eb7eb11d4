"""The one result type of every builder, and how values become source text.

A :class:`Snippet` is source text plus what it needs: the import lines, the pip packages, and
notes in words (where LR Lab and the framework differ).  :func:`join` glues snippets into one
script; a notebook puts each joined part in its own cell.

Values enter the generated code only through :func:`lit`, which prints a Python literal that
reads back as exactly the same value (``repr`` of a float round-trips).  Text never enters the
code except as a quoted literal of a *validated* word (a mode name, a data-set name), so no
input can add a statement to the generated code.
"""

from __future__ import annotations

import ast
import functools
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib.resources import files
from typing import Any

__all__ = ["MARKER", "Snippet", "call", "ident", "join", "kwargs", "lit", "read_template"]

#: import lines are sorted into these groups, in this order (as isort would)
_STDLIB = ("math",)
_LOCAL = ("engine",)


@dataclass(frozen=True)
class Snippet:
    """Generated source text, ready to paste.

    Attributes
    ----------
    code : str
        The statements (no import lines).
    imports : tuple of str
        The import lines the code needs, e.g. ``"import torch"``.
    notes : tuple of str
        Sentences for the reader: where the framework's definition differs from LR Lab's and
        how the code translates it.
    requires : tuple of str
        pip packages beyond LR Lab's own requirements, e.g. ``("torch",)``.
    parts : tuple of Snippet
        The pieces a :func:`join` was made of (one notebook cell each); empty for a single piece.

    Examples
    --------
    >>> s = Snippet("x = math.pi", ("import math",))
    >>> print(s.source, end="")
    import math
    <BLANKLINE>
    x = math.pi
    """

    code: str
    imports: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()
    parts: tuple[Snippet, ...] = ()

    @property
    def import_block(self) -> str:
        """The import lines, de-duplicated, standard library first, LR Lab's engine last."""
        return "\n".join(_sorted_imports(self.imports))

    @property
    def source(self) -> str:
        """A complete script: the import block, a blank line, the code."""
        head = self.import_block
        return f"{head}\n\n{self.code}\n" if head else f"{self.code}\n"

    @property
    def cells(self) -> tuple[str, ...]:
        """The code of every part (or the code itself), for one notebook cell each."""
        return tuple(p.code for p in self.parts) if self.parts else (self.code,)


def _unique(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))


def _sorted_imports(lines: Iterable[str]) -> list[str]:
    """Import lines de-duplicated, ``from m import a`` and ``from m import b`` merged, sorted in
    isort's groups (standard library, third party, LR Lab)."""

    def group(line: str) -> int:
        module = line.split()[1].split(".")[0]
        return 0 if module in _STDLIB else 2 if module in _LOCAL else 1

    plain: list[str] = []
    names: dict[str, list[str]] = {}
    for line in _unique(lines):
        words = line.split(" import ", 1)
        if line.startswith("from ") and len(words) == 2 and "(" not in line:
            names.setdefault(words[0], []).extend(n.strip() for n in words[1].split(","))
        else:
            plain.append(line)
    merged = [f"{head} import {', '.join(sorted(set(ns)))}" for head, ns in names.items()]
    return sorted([*plain, *merged], key=lambda line: (group(line), line.startswith("from "), line))


def join(*parts: Snippet, notes: Iterable[str] = ()) -> Snippet:
    """One snippet made of ``parts`` in order (imports merged, notes and requirements unioned).

    Examples
    --------
    >>> a = Snippet("a = 1", ("import math",), ("first",))
    >>> b = Snippet("b = math.e", ("import math",), ("second",), ("torch",))
    >>> j = join(a, b)
    >>> j.code, j.imports, j.notes, j.requires, len(j.cells)
    ('a = 1\\n\\n\\nb = math.e', ('import math',), ('first', 'second'), ('torch',), 2)
    """
    flat: list[Snippet] = []
    for p in parts:
        flat.extend(p.parts or (p,))
    return Snippet(
        code="\n\n\n".join(p.code for p in flat),
        imports=_unique(i for p in flat for i in p.imports),
        notes=_unique([*(n for p in flat for n in p.notes), *notes]),
        requires=_unique(r for p in flat for r in p.requires),
        parts=tuple(flat),
    )


def lit(value: Any) -> str:
    """``value`` as a Python literal that reads back as the same value.

    Floats print with ``repr`` (shortest round-trip form), ``inf`` as ``float("inf")``; NaN is
    refused.  Tuples and lists recurse; strings are quoted with ``repr``.

    Examples
    --------
    >>> lit(0.1), lit(1e-7), lit(3), lit((32, 16)), lit((5,)), lit("exp"), lit(None)
    ('0.1', '1e-07', '3', '(32, 16)', '(5,)', '"exp"', 'None')
    >>> print(lit("it's"), lit('say "hi"'))
    "it's" 'say "hi"'
    """
    if value is None or isinstance(value, bool):
        return repr(value)
    if hasattr(value, "dtype") and value.dtype.kind == "b":  # numpy's bool
        return repr(bool(value))
    if isinstance(value, int) or (hasattr(value, "dtype") and value.dtype.kind in "iu"):
        return repr(int(value))
    if isinstance(value, float) or (hasattr(value, "dtype") and value.dtype.kind == "f"):
        v = float(value)
        if math.isnan(v):
            raise ValueError("NaN cannot be written into code")
        if math.isinf(v):
            return 'float("inf")' if v > 0 else '-float("inf")'
        return repr(v)
    if isinstance(value, str):
        if value.isprintable() and '"' not in value and "\\" not in value:
            return f'"{value}"'
        return repr(value)
    if isinstance(value, tuple):
        inner = ", ".join(lit(v) for v in value)
        return f"({inner},)" if len(value) == 1 else f"({inner})"
    if isinstance(value, list):
        return "[" + ", ".join(lit(v) for v in value) + "]"
    raise TypeError(f"cannot write a {type(value).__name__} into code")


_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def ident(name: str) -> str:
    """``name`` if it is a plain identifier (for variable names chosen by the caller).

    >>> ident("optimizer")
    'optimizer'
    """
    if not isinstance(name, str) or not _IDENT.match(name) or name.startswith("__"):
        raise ValueError(f"{name!r} is not a plain identifier")
    return name


#: generated lines are wrapped to this width, as LR Lab's own code
WIDTH = 99


def call(head: str, args: Iterable[str], *, indent: str = "", tail: str = "") -> str:
    """``head(a, b)`` on one line if it fits in :data:`WIDTH` columns, else one argument per
    line.  ``head`` includes what comes before the bracket, e.g. ``"result = train"``.

    >>> print(call("x = f", ["1", "2"]))
    x = f(1, 2)
    >>> print(call("result = some_function", ["alpha=" + "1" * 40, "beta=" + "2" * 40]))
    result = some_function(
        alpha=1111111111111111111111111111111111111111,
        beta=2222222222222222222222222222222222222222,
    )
    """
    items = list(args)
    one = f"{indent}{head}({', '.join(items)}){tail}"
    if len(one) <= WIDTH or not items:
        return one
    inner = "\n".join(f"{indent}    {a}," for a in items)
    return f"{indent}{head}(\n{inner}\n{indent}){tail}"


def kwargs(values: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> str:
    """``k=v, ...`` with every value through :func:`lit` (keys must be identifiers).

    >>> kwargs({"lr": 0.1, "betas": (0.9, 0.999)})
    'lr=0.1, betas=(0.9, 0.999)'
    """
    items = values.items() if isinstance(values, Mapping) else values
    return ", ".join(f"{ident(k)}={lit(v)}" for k, v in items)


#: everything below this line of a template is the code to paste
MARKER = "# ---- snippet ----"


@functools.lru_cache(maxsize=32)
def read_template(name: str) -> tuple[str, tuple[str, ...]]:
    """``(code, import lines)`` of the template ``name`` in ``takehome/templates/``.

    Templates are real, lint-checked Python files read as text, never imported here (some
    import torch).  The code is everything below the :data:`MARKER` line; the import lines
    are the template's own top-level imports above it, so a template cannot use a module
    without the generated snippet importing it.

    >>> code, imports = read_template("hd_optimizer.py")
    >>> code.startswith("class HDOptimizer"), imports
    (True, ('import math', 'import torch'))
    """
    text = files("takehome").joinpath("templates", name).read_text(encoding="utf-8")
    head, sep, code = text.partition(MARKER + "\n")
    if not sep:
        raise ValueError(f"template {name} has no marker line")
    imports = [
        ast.get_source_segment(head, node)
        for node in ast.parse(head).body
        if isinstance(node, ast.Import | ast.ImportFrom)
    ]
    return code.strip("\n"), tuple(i for i in imports if i)
