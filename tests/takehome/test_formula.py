"""Typed functions are written back from the safe parser's tree: the torch code computes the same
function (checked here with numpy standing in for torch), the parser-syntax form reads back to
the same function, and hostile input gives the parser's clean error, never code."""

import ast
import math
from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from engine.expr import ExpressionError, parse_function
from engine.surfaces import SURFACES_1D, SURFACES_2D, get_surface
from takehome import formula_code, function_spec, torch_loss
from takehome.surfaces import TORCH_FUNCTIONS
from tests.engine.test_expr import GRAMMAR, HOSTILE
from tests.takehome.helpers import check_names, names_used

#: numpy standing in for the torch functions the printer emits (the printer is what is tested;
#: torch's own kernels are compared in test_torch_equivalence.py)
FAKE_TORCH = SimpleNamespace(
    sin=np.sin,
    cos=np.cos,
    tan=np.tan,
    exp=np.exp,
    log=np.log,
    sqrt=np.sqrt,
    abs=np.abs,
    tanh=np.tanh,
    sinh=np.sinh,
    cosh=np.cosh,
    atan=np.arctan,
    sigmoid=lambda u: 0.5 * (1.0 + np.tanh(0.5 * u)),
    expm1=np.expm1,
)
assert {v.split(".")[1] for v in TORCH_FUNCTIONS.values()} <= set(vars(FAKE_TORCH))


def loss_fn(snippet):
    """The generated ``loss_fn`` with numpy in place of torch (its code, without the imports)."""
    ns = {"torch": FAKE_TORCH, "math": math}
    exec(compile(snippet.code, "<loss>", "exec"), ns)
    return ns["loss_fn"]


def values(fn, pts: np.ndarray) -> np.ndarray:
    with np.errstate(all="ignore"):
        return np.asarray(fn(*(pts[:, i] for i in range(pts.shape[1]))), dtype=np.float64)


def same(a: np.ndarray, b: np.ndarray, rtol: float = 1e-12) -> None:
    np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-12, equal_nan=True)


@pytest.mark.parametrize("case", GRAMMAR, ids=[c[0] for c in GRAMMAR])
def test_typed_function_as_torch_code_is_the_same_function(case):
    text, names, _ = case
    spec = function_spec("custom", formula=text, variables=names)
    src = torch_loss(spec).source
    check_names(src, modules={"math", "torch"})
    free, _, attrs = names_used(src)
    assert attrs <= {*(f.split(".")[1] for f in TORCH_FUNCTIONS.values()), "pi", "e", "inf", "nan"}
    surface = parse_function(text, names)
    pts = np.random.default_rng(1).uniform(-2.5, 2.5, (200, len(names)))
    same(values(loss_fn(torch_loss(spec)), pts), surface.value(pts))


@pytest.mark.parametrize("case", GRAMMAR, ids=[c[0] for c in GRAMMAR])
def test_parser_syntax_reads_back_to_the_same_function(case):
    text, names, _ = case
    spec = function_spec("custom", formula=text, variables=names)
    again = parse_function(spec.formula, names)
    pts = np.random.default_rng(2).uniform(-2.5, 2.5, (100, len(names)))
    same(again.value(pts), parse_function(text, names).value(pts), rtol=0)
    same(again.gradient(pts), parse_function(text, names).gradient(pts), rtol=0)


@pytest.mark.parametrize(("text", "needle"), HOSTILE, ids=[h[0][:30] for h in HOSTILE])
def test_hostile_text_gives_the_parsers_clean_error_and_no_code(text, needle):
    with pytest.raises(ExpressionError) as info:
        function_spec("custom", formula=text)
    assert needle.lower() in str(info.value).lower()


@pytest.mark.parametrize(
    "text",
    [
        "x + sin(1)",
        "x*cos(0) + 1/3",
        "x^2 + 1/(1/0)",  # numpy: 1/0 = inf, 1/inf = 0; Python would raise
        "sigmoid(x*exp(1000)) + x",  # exp(1000) is inf in float64
        "-(-x)^2 - -x",
        "x^-2 + (x^2)^3 - x^(1/2)",
        "2*pi*x*e + log(2)^2",
        "abs(x - 1)/(1 + x^2/(2 - x))",
    ],
)
def test_awkward_constants_and_precedence(text):
    spec = function_spec("custom", formula=text, window=((0.1, 3.0),))
    src = torch_loss(spec).source
    ast.parse(src)
    check_names(src, modules={"math", "torch"})
    pts = np.linspace(0.15, 2.9, 57)[:, None]
    same(
        values(loss_fn(torch_loss(spec)), pts),
        parse_function(text, window=((0.1, 3.0),)).value(pts),
    )


def test_unicode_and_aliases_are_normalised_and_too_long_falls_back_to_the_text():
    spec = function_spec("custom", formula="ln(x²+1) − atan(x)·π", window=((-2, 2),))
    assert spec.formula == "log(x**2+1)-arctan(x)*pi"
    long = "x" + "*1e5" * 40  # 161 characters typed, 281 printed (1e5 is 100000)
    assert len(formula_code_of(long)) > 200
    assert function_spec("custom", formula=long).formula == long


def formula_code_of(text: str) -> str:
    from engine.expr import expression_tree

    return formula_code(expression_tree(text), ("x",), torch=False)


@pytest.mark.parametrize("key", [*SURFACES_1D, *SURFACES_2D])
def test_catalogue_surfaces_as_torch_code_are_the_same_function(key):
    params = {"ill_conditioned": {"kappa": 37.0, "angle": 20.0}, "lopsided": {"skew": 1.7}}.get(
        key, {}
    )
    spec = function_spec(key, params)
    src = torch_loss(spec).source
    check_names(src, modules={"math", "torch"})
    s = get_surface(key, **params)
    lo = np.array([w[0] for w in s.window])
    hi = np.array([w[1] for w in s.window])
    pts = lo + (hi - lo) * np.random.default_rng(3).random((300, s.dim))
    same(values(loss_fn(torch_loss(spec)), pts), s.value(pts), rtol=1e-11)


# ----------------------------------------------------------------------------- random formulas

LEAVES = st.sampled_from(["x", "x", "pi", "e", "2", "0.5", "3", "1e-3", "10"])


def _extend(children):
    funcs = st.sampled_from(sorted(TORCH_FUNCTIONS) + ["ln", "atan"])
    return st.one_of(
        st.tuples(children, st.sampled_from(["+", "-", "*", "/"]), children).map(
            lambda t: f"({t[0]}){t[1]}({t[2]})" if t[1] in "*/" else f"{t[0]}{t[1]}{t[2]}"
        ),
        st.tuples(funcs, children).map(lambda t: f"{t[0]}({t[1]})"),
        children.map(lambda c: f"-({c})"),
        st.tuples(children, st.sampled_from(["2", "3", "-1", "0.5", "(1/3)", "^2"])).map(
            lambda t: f"({t[0]})^{t[1].lstrip('^')}"
        ),
    )


FORMULAS = st.recursive(LEAVES, _extend, max_leaves=8)


@settings(max_examples=30, deadline=None)
@given(FORMULAS)
def test_random_formulas_give_safe_code_for_the_same_function(text):
    names = ("x",)
    try:
        spec = function_spec("custom", formula=text, variables=names)
    except ExpressionError:
        assume(False)
        return
    src = torch_loss(spec).source
    check_names(src, modules={"math", "torch"})
    pts = np.random.default_rng(4).uniform(-2.5, 2.5, (64, 1))
    got = values(loss_fn(torch_loss(spec)), pts)
    want = parse_function(text, names).value(pts)
    ok = np.isfinite(want) & (np.abs(want) < 1e12)
    np.testing.assert_allclose(got[ok], want[ok], rtol=1e-9, atol=1e-9)
