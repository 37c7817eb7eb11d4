"""The engine snippets run as written (in a fresh namespace, from the repo root) and reproduce
the numbers of the same engine calls made directly: the page's numbers, bit for bit."""

import numpy as np
import pytest

from engine import (
    ModelSpec,
    Optimizer,
    coarse_to_fine,
    get_surface,
    learn_colour,
    learn_features,
    load_dataset,
    make_schedule,
    parse_function,
    range_test,
    run_descent,
    run_many,
    successive_halving,
    train,
)
from takehome import (
    engine_child,
    engine_descent,
    engine_hypergradient,
    engine_range_test,
    engine_search,
    engine_train,
    function_spec,
)
from tests.takehome.helpers import run

DIGITS = load_dataset("digits")
SOFTMAX = ModelSpec("softmax", 64, 10)


def test_train_with_rates(capsys):
    ns = run(engine_train(model="softmax", lrs=(0.05, 0.5, 500.0), epochs=1, seed=4).source)
    h = train(SOFTMAX, DIGITS, [0.05, 0.5, 500.0], epochs=1, batch_size=64, seed=4)
    np.testing.assert_array_equal(ns["history"].train_loss, h.train_loss)
    np.testing.assert_array_equal(ns["history"].lr, h.lr)
    out = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in out] == ["lr = 0.05", "lr = 0.5", "lr = 500"]


@pytest.mark.parametrize(
    "schedule",
    [
        ("triangular2", {"base_lr": 0.01, "max_lr": 0.3, "step_size": 5}),
        ("warmup", {"start_factor": 0.2, "total_iters": 8}, ("sgdr", {"eta_max": 0.4, "T_0": 6})),
    ],
)
def test_train_with_a_schedule(schedule, capsys):
    code = engine_train(
        model="mlp", hidden=(8,), schedule=schedule, epochs=None, max_iters=30, seed=1
    )
    ns = run(code.source)
    key, params, *rest = schedule
    sched = (
        make_schedule(key, **params)
        if not rest
        else make_schedule(
            key, **params, base_lr=None, then=make_schedule(*rest[0][:1], **rest[0][1])
        )
    )
    h = train(
        ModelSpec("mlp", 64, 10, hidden=(8,)),
        DIGITS,
        [float(sched(0))],
        epochs=None,
        max_iters=30,
        batch_size=64,
        seed=1,
        schedule=sched,
    )
    np.testing.assert_array_equal(ns["history"].lr, h.lr)
    np.testing.assert_array_equal(ns["history"].train_loss, h.train_loss)
    np.testing.assert_allclose(h.lr[0], sched.lr(np.arange(30)), rtol=1e-15)


#: a race of schedules, as the Cyclical schedules page runs one (a warm-up chained in too)
RACE = [
    ("Constant 0.1", ("constant", {"base_lr": 0.1})),
    ("Exp-range", ("exp_range", {"base_lr": 0.05, "max_lr": 0.4, "step_size": 7, "gamma": 0.99})),
    ("1cycle", ("onecycle", {"max_lr": 0.4, "total_steps": 46, "div_factor": 8.0})),
    ("warm", ("warmup", {"start_factor": 0.2, "total_iters": 8}, ("sgdr", {"eta_max": 0.4}))),
]


def _race_rates(n: int) -> np.ndarray:
    scheds = [
        make_schedule(key, **params)
        if not rest
        else make_schedule(
            key, **params, base_lr=None, then=make_schedule(*rest[0][:1], **rest[0][1])
        )
        for _, (key, params, *rest) in RACE
    ]
    return np.stack([s.lr(np.arange(n)) for s in scheds])


@pytest.mark.parametrize(
    ("epochs", "max_iters", "batch_size"), [(2, None, 64), (3, 40, 100), (None, 30, 32)]
)
def test_train_with_several_schedules_at_once(epochs, max_iters, batch_size, capsys):
    code = engine_train(
        model="softmax",
        schedules=RACE,
        epochs=epochs,
        max_iters=max_iters,
        batch_size=batch_size,
        seed=2,
        eval_every=11,
    )
    ns = run(code.source)
    n = {64: 23, 100: 15, 32: 45}[batch_size] * (epochs or 1)
    n = min(n, max_iters) if epochs is not None and max_iters is not None else max_iters or n
    rates = _race_rates(n)
    np.testing.assert_array_equal(ns["rates"], rates)
    h = train(
        SOFTMAX,
        DIGITS,
        [float(v) for v in rates[:, 0]],
        epochs=epochs,
        max_iters=max_iters,
        batch_size=batch_size,
        seed=2,
        schedule=rates,
        eval_every=11,
    )
    np.testing.assert_array_equal(ns["history"].train_loss, h.train_loss)
    np.testing.assert_array_equal(ns["history"].lr, h.lr)
    np.testing.assert_array_equal(ns["history"].val_loss, h.val_loss)
    out = capsys.readouterr().out.splitlines()
    assert [line.split(":")[0] for line in out] == [name for name, _ in RACE]


def test_hypergradient_comparison(capsys):
    ns = run(
        engine_hypergradient(
            family="nesterov", rule="multiplicative", beta=0.02, lrs=(1e-4, 1e-2), epochs=1
        ).source
    )
    common = dict(epochs=1, batch_size=64, seed=0)
    fixed = train(SOFTMAX, DIGITS, [1e-4, 1e-2], optimizer=Optimizer("nesterov"), **common)
    opt = Optimizer("nesterov", hypergrad="multiplicative", hyper_lr=0.02)
    hd = train(SOFTMAX, DIGITS, [1e-4, 1e-2], optimizer=opt, **common)
    np.testing.assert_array_equal(ns["fixed"].train_loss, fixed.train_loss)
    np.testing.assert_array_equal(ns["hd"].lr, hd.lr)
    assert "SGDN-HDM" in capsys.readouterr().out


def test_range_test(capsys):
    kw = dict(min_lr=1e-4, max_lr=30.0, num_iter=60, mode="exponential", beta=0.9, stop_factor=4.0)
    ns = run(engine_range_test(model="softmax", seed=2, **kw).source)
    r = range_test(SOFTMAX, DIGITS, batch_size=64, seed=2, **kw)
    np.testing.assert_array_equal(ns["result"].loss, r.loss)
    assert [(s.rule, s.lr) for s in ns["result"].suggestions()] == [
        (s.rule, s.lr) for s in r.suggestions()
    ]
    assert "Smith: max" in capsys.readouterr().out


def test_range_test_then_try_the_suggestion(capsys):
    kw = dict(min_lr=1e-4, max_lr=30.0, num_iter=60, mode="exponential", beta=0.9, stop_factor=4.0)
    code = engine_range_test(
        model="softmax", seed=2, try_rule="minimum / 10", try_epochs=2, try_eval_every=5, **kw
    )
    ns = run(code.source)
    r = range_test(SOFTMAX, DIGITS, batch_size=64, seed=2, **kw)
    lr = {s.rule: s.lr for s in r.suggestions()}["minimum / 10"]
    assert ns["lr"] == lr
    h = train(SOFTMAX, DIGITS, [lr / 10.0, lr, lr * 10.0], epochs=2, seed=2, eval_every=5)
    np.testing.assert_array_equal(ns["history"].lrs, h.lrs)
    np.testing.assert_array_equal(ns["history"].train_loss, h.train_loss)
    np.testing.assert_array_equal(ns["history"].val_loss, h.val_loss)
    assert "# try it: fresh models at the minimum / 10 suggestion" in code.source
    with pytest.raises(ValueError, match="try_rule"):
        engine_range_test(try_rule="Smith: max; import os")
    with pytest.raises(ValueError, match="try_epochs"):
        engine_range_test(try_rule="valley", try_epochs=0)


def test_descent_on_the_catalogue_and_polyak(capsys):
    spec = function_spec("ill_conditioned", {"kappa": 25.0, "angle": 10.0})
    s = get_surface("ill_conditioned", kappa=25.0, angle=10.0)
    ns = run(engine_descent(spec, (3.0, 2.0), lrs=(0.01, 0.05, 0.09), steps=40).source)
    res = run_descent(s, (3.0, 2.0), [0.01, 0.05, 0.09], steps=40)
    np.testing.assert_array_equal(ns["result"].path, res.path)
    assert [v.text for v in ns["result"].verdicts] == [v.text for v in res.verdicts]
    ns = run(engine_descent(spec, (3.0, 2.0), lrs=(1.0,), optimizer="polyak").source)
    res = run_descent(s, (3.0, 2.0), [1.0], optimizer="polyak")
    np.testing.assert_array_equal(ns["result"].path, res.path)


def test_descent_on_a_typed_function_with_several_optimisers(capsys):
    text, window = "x^4 - 3*x^2 + x + 0.5*sin(3x)".replace("3x", "3*x"), ((-2.5, 2.5),)
    spec = function_spec("custom", formula=text, window=window)
    runs = [("sgd", 0.01), (Optimizer("adam", beta2=0.99), 0.1), (Optimizer("momentum"), 0.01)]
    ns = run(engine_descent(spec, (2.0,), runs=runs, steps=60).source)
    res = run_many(parse_function(text, window=window), (2.0,), runs, steps=60)
    np.testing.assert_array_equal(ns["result"].path, res.path)
    assert ns["result"].labels == res.labels
    assert [v.text for v in ns["result"].verdicts] == [v.text for v in res.verdicts]


def test_child(capsys):
    ns = run(engine_child("bbbbbbbbbbw", (0.05, 0.3, 0.9)).source)
    np.testing.assert_array_equal(
        ns["run"].belief, learn_colour("BBBBBBBBBBW", [0.05, 0.3, 0.9]).belief
    )
    ns = run(engine_child("BWCKB", (0.5, 1.5), mode="features").source)
    np.testing.assert_array_equal(ns["run"].weights, learn_features("BWCKB", [0.5, 1.5]).weights)
    out = capsys.readouterr().out
    assert "lr = 0.9: all dogs are white" in out and "lr = 1.5:" in out


def test_coarse_to_fine_with_its_checks(capsys):
    kw = dict(
        lo_exp=-3,
        hi_exp=1,
        coarse_subset=0.2,
        coarse_epochs=1,
        refine_points=4,
        refine_decades=2.0,
        refine_epochs=1,
        sampling="random",
        seed=2,
    )
    code = engine_search(
        compare_sampling=True, full_grid=True, halving_eta=2, halving_steps=23, **kw
    )
    ns = run(code.source)
    res = coarse_to_fine(SOFTMAX, DIGITS, batch_size=64, **kw)
    other = coarse_to_fine(SOFTMAX, DIGITS, batch_size=64, **{**kw, "sampling": "grid"})
    s = ns["search"]
    np.testing.assert_array_equal(s.coarse.final_loss, res.coarse.final_loss)
    np.testing.assert_array_equal(s.refine.lrs, res.refine.lrs)
    np.testing.assert_array_equal(s.refine.final_loss, res.refine.final_loss)
    assert (s.best_lr, s.cost, s.full_grid_cost) == (res.best_lr, res.cost, res.full_grid_cost)
    assert ns["other"].best_lr == other.best_lr
    grid = 10.0 ** np.linspace(-3, 1, res.full_grid_points)
    h = train(SOFTMAX, DIGITS, grid, epochs=1, batch_size=64, seed=2)
    np.testing.assert_array_equal(ns["full"].final_val_loss, h.final_val_loss)
    hv = successive_halving(SOFTMAX, DIGITS, grid, max_steps=23, eta=2, batch_size=64, seed=2)
    assert (ns["halving"].best_lr, ns["halving"].examples_used) == (hv.best_lr, hv.examples_used)
    out = capsys.readouterr().out
    assert "the pick: lr =" in out and "grid sampling would pick" in out


def test_polyak_beside_hd_and_the_beta_sweep(capsys):
    spec = function_spec("ill_conditioned", {"kappa": 10.0, "angle": 30.0})
    s = get_surface("ill_conditioned", kappa=10.0, angle=30.0)
    runs = [(Optimizer("sgd", hypergrad="multiplicative", hyper_lr=0.3), 1e-3), ("polyak", 1.0)]
    ns = run(engine_descent(spec, (4.0, 2.0), runs=runs, steps=30).source)
    res = run_many(s, (4.0, 2.0), runs, steps=30)
    np.testing.assert_array_equal(ns["result"].path, res.path)
    np.testing.assert_array_equal(
        ns["result"].path[1],
        run_descent(s, (4.0, 2.0), [1.0], optimizer="polyak", steps=30).path[0],
    )
    code = engine_hypergradient(lrs=(1e-3, 0.1), epochs=1, sweep_betas=(1e-4, 0.01))
    ns = run(code.source)
    for beta in (1e-4, 0.01):
        opt = Optimizer("sgd", hypergrad="additive", hyper_lr=beta)
        h = train(SOFTMAX, DIGITS, [1e-3, 0.1], optimizer=opt, epochs=1, batch_size=64, seed=0)
        np.testing.assert_array_equal(ns["sweep"][beta], h.final_val_loss)
    assert "beta = 0.0001:" in capsys.readouterr().out
