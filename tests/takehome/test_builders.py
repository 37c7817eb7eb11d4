"""Every builder's output parses, uses only the names it may, and carries the page's values."""

import ast
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from engine.optim import Optimizer
from takehome import (
    Snippet,
    engine_child,
    engine_descent,
    engine_hypergradient,
    engine_range_test,
    engine_search,
    engine_train,
    function_spec,
    join,
    lit,
    optimizer_code,
    scheduler_lr,
    smooth_f_of,
    torch_descent,
    torch_loss,
    torch_model_data,
    torch_optimizer,
    torch_range_test,
    torch_scheduler,
    torch_training,
)
from takehome.snippet import call, read_template
from tests.takehome.helpers import carries, check_names, literals, names_used

TORCH_ONLY = {"math", "numpy", "numpy.lib.stride_tricks", "torch", "torch_lr_finder"}
TORCH_AND_DATA = TORCH_ONLY | {"engine.data", "engine.models"}
ENGINE = {"engine", "engine.child", "engine.hypergrad"}


def full(s: Snippet) -> str:
    src = s.source
    ast.parse(src)
    return src


# ----------------------------------------------------------------------------- literals


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_lit_round_trips_every_float(v):
    assert ast.literal_eval(lit(v)) == v
    assert math.copysign(1, ast.literal_eval(lit(v))) == math.copysign(1, v)


@given(st.text(max_size=30))
def test_lit_quotes_any_text_inertly(text):
    tree = ast.parse(lit(text), mode="eval")
    assert isinstance(tree.body, ast.Constant) and tree.body.value == text


def test_lit_takes_numpy_scalars():
    import numpy as np

    assert [lit(v) for v in (np.float64(0.1), np.int64(3), np.bool_(True))] == ["0.1", "3", "True"]


def test_lit_refuses_nan_and_odd_types():
    with pytest.raises(ValueError):
        lit(float("nan"))
    with pytest.raises(TypeError):
        lit(object())
    assert lit(float("-inf")) == '-float("inf")'


def test_join_merges_imports_and_keeps_parts():
    a = Snippet("x = 1", ("from engine import train", "import torch"), ("a",), ("torch",))
    b = Snippet("y = 2", ("from engine import ModelSpec", "import math"), ("b",))
    j = join(a, join(b, a))
    assert j.imports[0] == "from engine import train"
    assert j.import_block.splitlines() == [
        "import math",
        "import torch",
        "from engine import ModelSpec, train",
    ]
    assert j.cells == ("x = 1", "y = 2", "x = 1") and j.notes == ("a", "b")


def test_call_wraps_long_lines_only():
    assert call("f", ["1"]) == "f(1)"
    long = call("result = f", [f"argument_{i}={i}" for i in range(12)])
    assert long.count("\n") == 13 and all(len(x) <= 99 for x in long.splitlines())
    ast.parse(long)


def test_templates_bring_their_imports():
    code, imports = read_template("range_rules.py")
    assert "def lrlab_suggestions" in code and "import numpy as np" in imports
    check_names("\n".join(imports) + "\n" + code)


# ----------------------------------------------------------------------------- optimisers


@pytest.mark.parametrize(
    ("opt", "lr", "values"),
    [
        ("sgd", 0.1, [0.1]),
        (Optimizer("momentum", momentum=0.7), 0.05, [0.05, 0.7, 0.0]),
        (Optimizer("nesterov", momentum=0.95), 3e-3, [3e-3, 0.95, 0.0, True]),
        (Optimizer("adam", beta1=0.8, beta2=0.99, eps=1e-6), 3e-4, [3e-4, 0.8, 0.99, 1e-6]),
        (Optimizer("sgd", hypergrad="additive", hyper_lr=1e-3), 1e-5, [1e-5, 1e-3, "additive"]),
        (
            Optimizer("nesterov", momentum=0.9, hypergrad="multiplicative", hyper_lr=0.02),
            0.01,
            [0.01, 0.02, 0.9, "multiplicative", "nesterov"],
        ),
        (Optimizer("adam", hypergrad="additive", hyper_lr=1e-7), 1e-3, [1e-3, 1e-7, "adam"]),
    ],
)
def test_torch_optimizer(opt, lr, values):
    s = torch_optimizer(opt, lr)
    src = full(s)
    check_names(src, modules=TORCH_ONLY, context=frozenset({"model"}))
    carries(src, *values)
    assert s.requires == ("torch",)
    assert "optimizer" not in names_used(src + "\nprint(optimizer)")[0]


def test_nesterov_without_momentum_is_plain_sgd_for_torch():
    src = torch_optimizer(Optimizer("nesterov", momentum=0.0), 0.1).code
    assert "nesterov=True)" not in src and "torch.optim.SGD(model.parameters(), lr=0.1)" in src


def test_hd_class_states_its_epsilon_placement():
    src = torch_optimizer(Optimizer("adam", hypergrad="additive", hyper_lr=1e-7), 1e-3).code
    assert "AFTER bias correction" in src and "before the correction" in src


@pytest.mark.parametrize("bad", ["model.parameters(); import os", "x)", "__x__", "[a, b]", ""])
def test_parameter_expressions_are_checked(bad):
    with pytest.raises(ValueError):
        torch_optimizer("sgd", 0.1, params=bad)


def test_bad_rates_are_refused():
    for lr in (float("nan"), float("inf"), -1.0):
        with pytest.raises(ValueError):
            torch_optimizer("sgd", lr)


# ----------------------------------------------------------------------------- schedules

SCHEDULE_CASES = [
    ("constant", {"base_lr": 0.3}, None, [1.0]),
    ("step", {"base_lr": 0.5, "step_size": 7, "gamma": 0.3}, None, [7, 0.3]),
    ("exponential", {"base_lr": 0.5, "gamma": 0.97}, None, [0.97]),
    ("sgdr", {"eta_max": 0.5, "T_0": 5, "T_mult": 2, "eta_min": 0.01}, None, [5, 2, 0.01]),
    ("warmup", {"base_lr": 0.4, "start_factor": 0.1, "total_iters": 9}, None, [0.1, 1.0, 9]),
    ("triangular", {"base_lr": 0.01, "max_lr": 0.1, "step_size": 7}, None, [0.01, 0.1, 7]),
    (
        "triangular",
        {"base_lr": 0.01, "max_lr": 0.1, "step_size": 7, "step_size_down": 3},
        None,
        [7, 3],
    ),
    ("triangular2", {"base_lr": 0.02, "max_lr": 0.2, "step_size": 7.5}, None, [0.02, 0.2, 7.5]),
    (
        "exp_range",
        {"base_lr": 0.01, "max_lr": 0.1, "step_size": 7, "gamma": 0.97},
        None,
        [0.01, 0.1, 7, 0.97, "exp_range"],
    ),
    ("onecycle", {"max_lr": 0.1, "total_steps": 60}, None, [0.1, 60, 0.3, 25.0, 1e4, "cos"]),
    (
        "onecycle",
        {
            "max_lr": 0.4,
            "total_steps": 90,
            "three_phase": True,
            "anneal": "linear",
            "pct_start": 0.25,
            "div_factor": 10.0,
            "final_div_factor": 100.0,
        },
        None,
        [0.4, 90, 0.25, 10.0, 100.0, "linear", True],
    ),
    ("onecycle", {"max_lr": 0.1, "total_steps": 10, "pct_start": 0.1}, None, []),
    (
        "warmup",
        {"start_factor": 0.25, "total_iters": 6},
        ("sgdr", {"eta_max": 0.5, "T_0": 5}),
        [0.25, 6, 5],
    ),
    (
        "warmup",
        {"start_factor": 0.25, "total_iters": 6},
        ("triangular", {"base_lr": 0.05, "max_lr": 0.5, "step_size": 5}),
        [0.25, 6, 0.05, 0.5, 5],
    ),
    (
        "warmup",
        {"start_factor": 0.25, "total_iters": 6},
        ("onecycle", {"max_lr": 0.5, "total_steps": 40}),
        [0.25, 6, 0.5, 40],
    ),
    (
        "warmup",
        {"base_lr": 0.2, "start_factor": 0.25, "total_iters": 6},
        ("step", {"base_lr": 0.5, "step_size": 5}),
        [0.1, 0.4, 6, 5],
    ),
    ("warmup", {"start_factor": 0.5, "total_iters": 4}, ("constant", {"base_lr": 0.5}), [0.5, 4]),
]
SCHEDULE_IDS = [f"{c[0]}-{c[2][0] if c[2] else i}" for i, c in enumerate(SCHEDULE_CASES)]


@pytest.mark.parametrize(("key", "params", "then", "values"), SCHEDULE_CASES, ids=SCHEDULE_IDS)
def test_torch_scheduler(key, params, then, values):
    s = torch_scheduler(key, params, then)
    src = full(s)
    check_names(src, modules=TORCH_ONLY, context=frozenset({"optimizer"}))
    carries(src, *values)
    if "CyclicLR(" in src or "OneCycleLR(" in src:
        assert "cycle_momentum=False," in src and "# cycle_momentum=False:" in src
    assert math.isfinite(scheduler_lr(key, params, then))
    if key == "constant":
        assert scheduler_lr(key, params, then) == 0.3


def test_bad_schedules_raise_the_engines_message():
    with pytest.raises(ValueError, match="max_lr"):
        torch_scheduler("triangular", {"base_lr": 0.5, "max_lr": 0.1})
    with pytest.raises(ValueError, match="unknown schedule"):
        torch_scheduler("cosine-ish", {})
    with pytest.raises(ValueError, match="warm-up"):
        torch_scheduler("warmup", {"base_lr": 2.0}, ("step", {"base_lr": 0.5}))


# ----------------------------------------------------------------------------- training, range test


def test_torch_model_data_and_training():
    s = torch_model_data(dataset="moons", data_seed=3, model="mlp", hidden=(16, 8), seed=5)
    src = full(s)
    check_names(src, modules=TORCH_AND_DATA)
    carries(src, "moons", 3, 16, 8, 5)
    t = torch_training(
        model="softmax",
        lrs=(0.003, 0.3, 30.0),
        optimizer=Optimizer("momentum", momentum=0.8),
        epochs=4,
        batch_size=32,
        seed=7,
        subset=0.5,
    )
    src = full(t)
    check_names(src, modules=TORCH_AND_DATA)
    carries(src, 0.003, 0.3, 30.0, 0.8, 4, 32, 7, 0.5)
    assert len(t.cells) >= 3 and "torch" in t.requires


def test_torch_training_with_a_schedule_and_hd():
    t = torch_training(
        schedule=("exp_range", {"base_lr": 0.01, "max_lr": 0.2, "step_size": 30, "gamma": 0.99}),
        epochs=None,
        max_iters=200,
    )
    src = full(t)
    check_names(src, modules=TORCH_AND_DATA)
    carries(src, 0.01, 0.2, 30, 0.99, 200)
    h = torch_training(optimizer=Optimizer("adam", hypergrad="multiplicative", hyper_lr=0.01))
    check_names(full(h), modules=TORCH_AND_DATA)
    with pytest.raises(ValueError, match="own rate"):
        torch_training(
            optimizer=Optimizer("sgd", hypergrad="additive"), schedule=("constant", {"base_lr": 1})
        )


RACE = [
    ("Constant 0.15", ("constant", {"base_lr": 0.15})),
    ("Triangular", ("triangular", {"base_lr": 0.15, "max_lr": 0.6, "step_size": 46})),
    ("Exp-range", ("exp_range", {"base_lr": 0.15, "max_lr": 0.6, "step_size": 46, "gamma": 0.995})),
    ("1cycle", ("onecycle", {"max_lr": 0.6, "total_steps": 276, "div_factor": 4.0})),
    ("SGDR", ("sgdr", {"eta_max": 0.6, "T_0": 92, "eta_min": 0.15})),
    ("warm", ("warmup", {"start_factor": 0.2, "total_iters": 8}, ("step", {"base_lr": 0.3}))),
]


def test_training_on_several_schedules():
    """One run per schedule: LR Lab's engine stacks the rates; torch builds one scheduler each."""
    e = engine_train(schedules=RACE, epochs=12, eval_every=11, seed=3)
    src = full(e)
    check_names(src, modules=ENGINE | {"math", "numpy"})
    carries(src, *(name for name, _ in RACE), 0.15, 0.6, 46, 0.995, 276, 4.0, 92, 0.2, 8, 12, 3)
    assert "schedule=rates" in src and "np.arange(12 * math.ceil(data.n_train / 64))" in src
    t = torch_training(schedules=RACE, epochs=12, seed=3)
    src = full(t)
    check_names(src, modules=TORCH_AND_DATA)
    carries(src, *(name for name, _ in RACE), 0.15, 0.6, 46.0, 0.995, 276, 4.0, 92, 0.2, 8, 12, 3)
    for fn in ("make_constant", "make_triangular", "make_exp_range", "make_onecycle"):
        assert f"def {fn}(optimizer):" in src
    assert src.count("cycle_momentum=False,") == 3  # CyclicLR twice, OneCycleLR
    assert "SequentialLR" in src and "CosineAnnealingWarmRestarts" in src
    assert "OneCycleLR raises if stepped" in " ".join(t.notes)
    # the same kind twice gets two functions; names must differ; no schedule with HD
    twice = [("a", RACE[1][1]), ("b", RACE[1][1])]
    assert "def make_triangular_1(optimizer):" in torch_training(schedules=twice).source
    dup = [("a", RACE[0][1]), ("a", RACE[1][1])]
    with pytest.raises(ValueError, match="own name"):
        torch_training(schedules=dup)
    with pytest.raises(ValueError, match="own name"):
        engine_train(schedules=dup)
    with pytest.raises(ValueError, match="not both"):
        engine_train(schedules=RACE, schedule=RACE[0][1])
    with pytest.raises(ValueError, match="not both"):
        torch_training(schedules=RACE, schedule=RACE[0][1])
    hd = Optimizer("sgd", hypergrad="additive")
    with pytest.raises(ValueError, match="own rate"):
        engine_train(schedules=RACE, optimizer=hd)
    with pytest.raises(ValueError, match="own rate"):
        torch_training(schedules=RACE, optimizer=hd)
    # a run's name is only ever a quoted literal, and a docstring without quotes
    odd = [('x"""\nimport os', RACE[0][1])]
    check_names(full(torch_training(schedules=odd)), modules=TORCH_AND_DATA)
    check_names(full(engine_train(schedules=odd)), modules=ENGINE | {"numpy", "math"})


@pytest.mark.parametrize(
    ("beta", "stop", "mode", "lo"),
    [(0.98, 4.0, "exponential", 1e-7), (0.0, None, "linear", 0.0), (0.9, 5.0, "linear", 1e-4)],
)
def test_torch_range_test(beta, stop, mode, lo):
    s = torch_range_test(
        min_lr=lo, max_lr=3.0, num_iter=150, mode=mode, beta=beta, stop_factor=stop
    )
    src = full(s)
    check_names(src, modules=TORCH_AND_DATA)
    sf = smooth_f_of(beta)
    carries(src, lo, 3.0, 150, sf, beta, "exp" if mode == "exponential" else "linear")
    assert sf == (0.0 if beta == 0 else pytest.approx(1 - beta))
    if stop is None:
        assert 'diverge_th=float("inf")' in src
    else:
        carries(src, stop)
    assert "lr_finder.reset()" in src
    assert ("bias correction" in src) == (beta > 0)
    assert s.requires == ("torch", "torch-lr-finder")


def test_range_test_refuses_hd_and_bad_ramps():
    with pytest.raises(ValueError):
        torch_range_test(optimizer=Optimizer("sgd", hypergrad="additive"))
    with pytest.raises(ValueError):
        torch_range_test(min_lr=0.0, mode="exponential")
    with pytest.raises(ValueError):
        torch_range_test(num_iter=1)


# ----------------------------------------------------------------------------- surfaces


SURFACE_CASES = [
    ("quadratic", {"a": 2.5, "center": 1.0}, (4.0,), [2.5, 1.0]),
    ("lopsided", {"skew": 1.3}, (-2.0,), [1.3]),
    ("ill_conditioned", {"kappa": 20.0, "angle": 30.0}, (4.0, 1.0), []),
    ("rosenbrock", {"b": 50.0}, (-1.2, 1.0), [50.0]),
    ("beale", {}, (1.0, 1.4), [2.625]),
]


@pytest.mark.parametrize(("key", "params", "x0", "values"), SURFACE_CASES)
def test_torch_descent_on_the_catalogue(key, params, x0, values):
    spec = function_spec(key, params)
    s = torch_descent(spec, x0, lrs=(1e-3, 2e-2), steps=30)
    src = full(s)
    check_names(src, modules=TORCH_ONLY)
    carries(src, 1e-3, 2e-2, 30, *x0, *values)
    assert "loss.backward()" in src and "with torch.no_grad():" in src


def test_torch_descent_with_several_optimisers():
    spec = function_spec("custom", formula="x^2 + 10*y^2", variables=("x", "y"))
    runs = [
        ("sgd", 0.01),
        (Optimizer("adam", beta1=0.85), 0.05),
        (Optimizer("sgd", hypergrad="additive", hyper_lr=1e-3), 0.01),
    ]
    src = full(torch_descent(spec, (2.0, 1.0), runs=runs, steps=20))
    check_names(src, modules=TORCH_ONLY)
    carries(src, 0.01, 0.05, 0.85, 1e-3, 20, 2.0, 1.0)
    assert "class HDOptimizer" in src


def test_polyak_has_no_torch_optimiser_but_an_engine_line():
    spec = function_spec("ill_conditioned", {"kappa": 30.0})
    with pytest.raises(ValueError):
        torch_descent(spec, (1.0, 1.0), lrs=(1.0,), optimizer="polyak")
    src = full(engine_descent(spec, (1.0, 1.0), lrs=(1.0,), optimizer="polyak"))
    check_names(src, modules=ENGINE)


# ----------------------------------------------------------------------------- engine snippets


def test_engine_snippets_use_only_the_engine():
    spec = function_spec("custom", formula="x^4 - 3*x^2 + x")
    snippets = [
        engine_train(lrs=(0.1, 1.0), optimizer="adam", epochs=2, seed=3),
        engine_train(schedule=("onecycle", {"max_lr": 0.3, "total_steps": 46}), epochs=2),
        engine_hypergradient(family="nesterov", rule="multiplicative", beta=0.01),
        engine_range_test(min_lr=1e-5, max_lr=1.0, num_iter=80, mode="linear", stop_factor=None),
        engine_descent(spec, (1.5,), lrs=(0.01, 0.05)),
        engine_child("BBBW", (0.1, 0.9)),
    ]
    for s in snippets:
        src = full(s)
        check_names(src, modules=ENGINE)
        assert s.requires == ()
    carries(full(snippets[0]), 0.1, 1.0, 2, 3, "adam")
    carries(full(snippets[1]), 0.3, 46, "onecycle")
    carries(full(snippets[2]), 0.01, "multiplicative", "nesterov")
    carries(full(snippets[3]), 1e-5, 1.0, 80, "linear")
    carries(full(snippets[4]), 1.5, 0.01, 0.05, "x**4-3*x**2+x")
    carries(full(snippets[5]), "BBBW", 0.1, 0.9)


def test_optimizer_code_builds_an_equal_optimizer():
    for opt in (
        Optimizer("sgd"),
        Optimizer("nesterov", momentum=0.5),
        Optimizer("adam", beta1=0.8, eps=1e-6, hypergrad="multiplicative", hyper_lr=0.1),
    ):
        code = optimizer_code(opt)
        check_names(code, context=frozenset({"Optimizer"}))
        tree = ast.parse(code, mode="eval").body
        kw = {k.arg: ast.literal_eval(k.value) for k in tree.keywords}
        assert Optimizer(ast.literal_eval(tree.args[0]), **kw) == opt


def test_child_sequences_are_validated_and_canonical():
    assert '"BBBW"' in engine_child("bb b,w", (0.3,)).code
    with pytest.raises(ValueError):
        engine_child("B'); import os; ('", (0.3,))


def test_literals_helper():
    assert sorted(literals("x = -2.5 + f(3, 'a')"), key=str) == [-2.5, 3, "a"]


def test_loss_function_of_a_catalogue_surface():
    src = full(torch_loss(function_spec("six_hump_camel")))
    check_names(src, modules=TORCH_ONLY)
    assert src.count("def loss_fn(x, y)") == 1


# ----------------------------------------------------------------------------- search


def test_engine_search_carries_every_setting_of_the_search():
    kw = dict(
        model="mlp",
        lo_exp=-5,
        hi_exp=1,
        coarse_subset=0.3,
        coarse_epochs=2,
        refine_points=6,
        refine_decades=2.0,
        refine_epochs=4,
        sampling="random",
        seed=7,
    )
    src = full(engine_search(compare_sampling=True, full_grid=True, halving_eta=4, **kw))
    check_names(src, modules=ENGINE | {"numpy"})
    carries(src, "mlp", -5, 1, 0.3, 2, 6, 2.0, 4, "random", "grid", 7, 64)
    assert "per_decade" not in src and "max_steps" not in src  # the engine's defaults
    src = full(engine_search(per_decade=2, halving_eta=3, halving_steps=92, optimizer="adam"))
    check_names(src, modules=ENGINE | {"numpy"})
    carries(src, 2, 3, 92, "adam")
    assert "full = train" not in src and "other =" not in src
    plain = full(engine_search())
    check_names(plain, modules=ENGINE)
    assert "numpy" not in plain


@pytest.mark.parametrize(
    "bad",
    [
        dict(lo_exp=1, hi_exp=1),
        dict(lo_exp=-2.5),
        dict(sampling="sobol"),
        dict(refine_points=1),
        dict(refine_decades=0.0),
        dict(coarse_subset=0.0),
        dict(refine_subset=1.5),
        dict(coarse_epochs=0),
        dict(halving_eta=1),
        dict(halving_eta=3, halving_steps=0),
        dict(model="cnn"),
        dict(seed=-1),
    ],
)
def test_engine_search_refuses_what_the_engine_refuses(bad):
    with pytest.raises(ValueError):
        engine_search(**bad)


def test_polyak_can_be_one_of_several_runs_and_the_sweep_carries_its_betas():
    spec = function_spec("ill_conditioned", {"kappa": 30.0})
    runs = [(Optimizer("sgd", hypergrad="additive", hyper_lr=0.003), 0.001), ("polyak", 1.0)]
    src = full(engine_descent(spec, (1.0, 1.0), runs=runs))
    check_names(src, modules=ENGINE)
    carries(src, "polyak", 0.003, 0.001, 1.0)
    src = full(engine_hypergradient(sweep_betas=(1e-6, 0.01), sweep_epochs=2, epochs=4))
    check_names(src, modules=ENGINE)
    carries(src, 1e-6, 0.01, 2, 4)
    with pytest.raises(ValueError):
        engine_hypergradient(sweep_betas=())
    with pytest.raises(ValueError):
        engine_hypergradient(sweep_betas=(-1.0,))
