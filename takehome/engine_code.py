"""The few lines of LR Lab's engine that recompute a page's view, with the page's seed.

Each builder writes ``from engine import ...`` and one or two engine calls with every value
the view depends on, then prints the view's verdicts in words.  Run from the LR Lab folder
(or with it on ``sys.path``); the numbers are the page's, bit for bit.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from engine.child import parse_sequence
from engine.descent import MAX_RUNS, MAX_STEPS, POLYAK
from engine.optim import Optimizer
from engine.range_test import MAX_ITERS, RULES, _check_beta, _check_stop_factor, lr_ramp
from takehome.optim import as_optimizer
from takehome.schedules import ScheduleSpec, engine_schedule
from takehome.snippet import Snippet, call, kwargs, lit
from takehome.surfaces import FunctionSpec
from takehome.training import ModelData

__all__ = [
    "engine_child",
    "engine_descent",
    "engine_hypergradient",
    "engine_range_test",
    "engine_search",
    "engine_train",
    "optimizer_code",
]

_DEFAULT = Optimizer()


def optimizer_code(optimizer: Optimizer | str) -> str:
    """``Optimizer("name", ...)`` with the fields that differ from the defaults (so it builds
    an equal object).

    >>> optimizer_code(Optimizer("adam", hypergrad="additive", hyper_lr=1e-7))
    'Optimizer("adam", hypergrad="additive", hyper_lr=1e-07)'
    """
    opt = as_optimizer(optimizer)
    fields = [
        (name, getattr(opt, name))
        for name in ("momentum", "beta1", "beta2", "eps", "hypergrad", "hyper_lr")
        if getattr(opt, name) != getattr(_DEFAULT, name)
    ]
    extra = f", {kwargs(fields)}" if fields else ""
    return f"Optimizer({lit(opt.name)}{extra})"


def _data_lines(md: ModelData) -> list[str]:
    return [
        f"data = load_dataset({lit(md.dataset)}, seed={lit(md.data_seed)})",
        f"spec = {md.spec_call}",
    ]


def _schedule_code(
    schedule: ScheduleSpec, head: str = "schedule = make_schedule", indent: str = "", tail: str = ""
) -> str:
    key, params, *rest = schedule
    p = dict(params.items() if isinstance(params, Mapping) else params)
    if rest:
        then_key, then_params = rest[0]
        tp = dict(then_params.items() if isinstance(then_params, Mapping) else then_params)
        engine_schedule(key, p, (then_key, tp))  # validates
        p.setdefault("base_lr", None)
        inner = f"make_schedule({lit(then_key)}{', ' if tp else ''}{kwargs(tp)})"
        args = [lit(key), *(f"{k}={lit(v)}" for k, v in p.items()), f"then={inner}"]
        return call(head, args, indent=indent, tail=tail)
    engine_schedule(key, p)  # validates
    args = [lit(key), *(f"{k}={lit(v)}" for k, v in p.items())]
    return call(head, args, indent=indent, tail=tail)


def _named_schedules(
    schedules: Sequence[tuple[str, ScheduleSpec]],
) -> list[tuple[str, ScheduleSpec]]:
    pairs = [(str(name), spec) for name, spec in schedules]
    if not pairs:
        raise ValueError("give one or more (name, schedule) pairs")
    if len({name for name, _ in pairs}) != len(pairs):
        raise ValueError("every schedule needs its own name")
    return pairs


def _rates(lrs: Sequence[float]) -> list[float]:
    rates = [float(v) for v in lrs]
    if not rates or not all(math.isfinite(v) and v >= 0 for v in rates):
        raise ValueError("give one or more finite learning rates >= 0")
    return rates


def engine_train(
    *,
    dataset: str = "digits",
    data_seed: int = 0,
    subset: float = 1.0,
    model: str = "mlp",
    hidden: Sequence[int] = (32,),
    activation: str = "relu",
    lrs: Sequence[float] = (0.1,),
    optimizer: Optimizer | str = "sgd",
    schedule: ScheduleSpec | None = None,
    epochs: int | None = 5,
    max_iters: int | None = None,
    batch_size: int | None = 64,
    seed: int = 0,
    eval_every: int | None = None,
    schedules: Sequence[tuple[str, ScheduleSpec]] | None = None,
) -> Snippet:
    """``history = train(...)``: K models at once, one per rate (or one on a schedule, or one
    per schedule of ``schedules``), and what happened to each run in words (with hypergradient
    descent: what it did to the rate).

    Arguments as :func:`engine.train.train` (the model and data as
    :func:`takehome.torch_model_data`), and

    schedules : sequence of (name, schedule), optional
        One run per schedule, all trained at once (same start, same minibatches): the code
        builds every schedule with ``make_schedule``, stacks their rates over the run's
        iterations into a ``(K, T)`` array (``rates``) and trains on it, as a page that races
        schedules does.  ``name`` labels the run in the printed verdicts.
    """
    md = ModelData(dataset, data_seed, subset, model, hidden, activation, batch_size, seed)
    opt = as_optimizer(optimizer)
    if epochs is None and max_iters is None:
        raise ValueError("give epochs or max_iters")
    if schedules is not None and schedule is not None:
        raise ValueError("give schedule or schedules, not both")
    imports = ["from engine import ModelSpec, Optimizer, classify_run, load_dataset, train"]
    lines = _data_lines(md)
    args = ["spec", "data"]
    if schedules is not None:
        if opt.hypergrad is not None:
            raise ValueError("a hypergradient optimiser sets its own rate: no schedule with it")
        pairs = _named_schedules(schedules)
        imports += ["import numpy as np", "from engine import make_schedule"]
        lines.append("schedules = {")
        lines += [
            _schedule_code(spec, f"{lit(name)}: make_schedule", indent="    ", tail=",")
            for name, spec in pairs
        ]
        lines.append("}")
        if epochs is None:
            n = lit(int(max_iters))
        else:
            n = lit(int(epochs))  # full batch: one iteration an epoch
            if md.batch_size is not None:
                imports.append("import math")
                n = f"{n} * math.ceil(data.n_train / {md.batch_size})"
            if max_iters is not None:
                n = f"min({n}, {lit(int(max_iters))})"
        lines += [
            f"t = np.arange({n})  # every iteration of the run",
            "# every schedule's rate at every iteration: one row per run, trained at once",
            "rates = np.stack([s.lr(t) for s in schedules.values()])",
        ]
        args.append("rates[:, 0]")
    elif schedule is not None:
        if opt.hypergrad is not None:
            raise ValueError("a hypergradient optimiser sets its own rate: no schedule with it")
        imports.append("from engine import make_schedule")
        lines.append(_schedule_code(schedule))
        args.append("[float(schedule(0))]")
    else:
        args.append(lit(_rates(lrs)))
    args.append(f"optimizer={optimizer_code(opt)}")
    args.append(f"epochs={lit(None if epochs is None else int(epochs))}")
    if max_iters is not None:
        args.append(f"max_iters={lit(int(max_iters))}")
    args += [f"batch_size={lit(md.batch_size)}", f"seed={lit(md.seed)}"]
    if schedule is not None:
        args.append("schedule=schedule")
    if schedules is not None:
        args.append("schedule=rates")
    if eval_every is not None:
        args.append(f"eval_every={lit(int(eval_every))}")
    if md.subset < 1.0:
        args.append(f"subset={lit(md.subset)}")
    lines.append(call("history = train", args))
    if schedules is not None:
        lines += [
            "for k, name in enumerate(schedules):",
            "    kind, words = classify_run(history, k)",
            '    print(f"{name}: {words}")',
        ]
    else:
        lines += [
            "for k in range(history.K):",
            "    kind, words = classify_run(history, k)",
            '    print(f"{history.labels[k]}: {words}")',
        ]
    if opt.hypergrad is not None:
        imports.append("from engine.hypergrad import rate_story")
        lines.append('    print(f"    {rate_story(history.lr[k], float(history.lrs[k]))}")')
    return Snippet("\n".join(lines), tuple(imports))


def engine_hypergradient(
    *,
    family: str = "sgd",
    rule: str = "additive",
    beta: float = 1e-3,
    lrs: Sequence[float] = (1e-5, 1e-3, 1e-1),
    dataset: str = "digits",
    model: str = "softmax",
    hidden: Sequence[int] = (32,),
    epochs: int = 3,
    batch_size: int | None = 64,
    seed: int = 0,
    sweep_betas: Sequence[float] | None = None,
    sweep_epochs: int | None = None,
) -> Snippet:
    """The adaptive page's comparison: the same K models at fixed rates and with hypergradient
    descent from those rates; what HD did to each rate, and how much less the final loss
    depends on the starting rate (:func:`engine.hypergrad.sensitivity`).

    With ``sweep_betas``, also the page's beta sweep: one HD training per beta (for
    ``sweep_epochs``, default ``epochs``) and its final validation losses (``sweep[beta]``).
    """
    hd_opt = Optimizer(family, hypergrad=rule, hyper_lr=float(beta))
    md = ModelData(dataset, 0, 1.0, model, hidden, "relu", batch_size, seed)
    rates = lit(_rates(lrs))
    common = [
        f"epochs={lit(int(epochs))}",
        f"batch_size={lit(md.batch_size)}",
        f"seed={lit(md.seed)}",
    ]
    lines = [
        *_data_lines(md),
        call(
            "fixed = train", ["spec", "data", rates, f"optimizer={optimizer_code(family)}", *common]
        ),
        call("hd = train", ["spec", "data", rates, f"optimizer={optimizer_code(hd_opt)}", *common]),
        "for k in range(hd.K):",
        '    print(f"{hd.labels[k]}: {rate_story(hd.lr[k], float(hd.lrs[k]))}")',
        call(
            "words = sensitivity",
            [
                "hd.lrs",
                "fixed.final_val_loss",
                "hd.final_val_loss",
                f"label={lit(hd_opt.label)}",
                f"beta={lit(float(beta))}",
            ],
        ),
        "print(words.text)",
    ]
    if sweep_betas is not None:
        betas = [float(b) for b in sweep_betas]
        for b in betas:
            Optimizer(family, hypergrad=rule, hyper_lr=b)  # validates
        if not betas:
            raise ValueError("give one or more betas to sweep")
        n_ep = int(epochs if sweep_epochs is None else sweep_epochs)
        sweep_opt = f"Optimizer({lit(family)}, hypergrad={lit(rule)}, hyper_lr=beta)"
        run = call(
            "beta: train",
            ["spec", "data", rates, f"optimizer={sweep_opt}", f"epochs={lit(n_ep)}", *common[1:]],
            indent="    ",
            tail=".final_val_loss",
        )
        lines += [
            "",
            "# the beta sweep: one HD training per beta, its final validation losses",
            "sweep = {",
            run,
            f"    for beta in {lit(betas)}",
            "}",
            "for beta, finals in sweep.items():",
            '    print(f"beta = {beta:g}: " + ", ".join(f"{v:.4f}" for v in finals))',
        ]
    imports = (
        "from engine import ModelSpec, Optimizer, load_dataset, train",
        "from engine.hypergrad import rate_story, sensitivity",
    )
    return Snippet("\n".join(lines), imports)


def engine_range_test(
    *,
    dataset: str = "digits",
    data_seed: int = 0,
    model: str = "mlp",
    hidden: Sequence[int] = (32,),
    activation: str = "relu",
    optimizer: Optimizer | str = "sgd",
    min_lr: float = 1e-7,
    max_lr: float = 10.0,
    num_iter: int = 100,
    mode: str = "exponential",
    beta: float = 0.98,
    stop_factor: float | None = 4.0,
    batch_size: int | None = 64,
    seed: int = 0,
    val_every: int | None = None,
    try_rule: str | None = None,
    try_epochs: int = 5,
    try_eval_every: int | None = None,
) -> Snippet:
    """``result = range_test(...)`` with the page's values, and every rule's suggestion.

    With ``try_rule`` (one of :data:`engine.range_test.RULES`), the code then reads that rule's rate
    ``lr`` off the result and trains fresh models (same seed) at ``lr / 10``, ``lr`` and
    ``10 * lr`` for ``try_epochs`` epochs, validated every ``try_eval_every`` iterations
    (default once an epoch): ``history``, and each run's verdict.
    """
    md = ModelData(dataset, data_seed, 1.0, model, hidden, activation, batch_size, seed)
    if try_rule is not None and try_rule not in RULES:
        raise ValueError(f"try_rule must be one of {RULES}, got {try_rule!r}")
    if isinstance(try_epochs, bool) or int(try_epochs) != try_epochs or try_epochs < 1:
        raise ValueError(f"try_epochs must be a whole number >= 1, got {try_epochs!r}")
    if isinstance(num_iter, bool) or int(num_iter) != num_iter or not 2 <= num_iter <= MAX_ITERS:
        raise ValueError(f"num_iter must be a whole number in 2 ... {MAX_ITERS}")
    lr_ramp(float(min_lr), float(max_lr), int(num_iter), mode)  # validates
    args = [
        ("min_lr", float(min_lr)),
        ("max_lr", float(max_lr)),
        ("num_iter", int(num_iter)),
        ("mode", mode),
        ("beta", _check_beta(beta)),
        ("stop_factor", _check_stop_factor(stop_factor)),
    ]
    tail = [("batch_size", md.batch_size), ("seed", md.seed)]
    if val_every is not None:
        tail.append(("val_every", int(val_every)))
    lines = [
        *_data_lines(md),
        call(
            "result = range_test",
            [
                "spec",
                "data",
                *(f"{k}={lit(v)}" for k, v in args),
                f"optimizer={optimizer_code(optimizer)}",
                *(f"{k}={lit(v)}" for k, v in tail),
            ],
        ),
        "for s in result.suggestions():",
        "    shown = 'no suggestion' if s.lr is None else f'{s.lr:.3g}'",
        '    print(f"{s.rule:>13}: {shown} ({s.reason})")',
    ]
    imports = ["from engine import ModelSpec, Optimizer, load_dataset, range_test"]
    if try_rule is not None:
        imports.append("from engine import classify_run, train")
        targs = [
            "spec",
            "data",
            "[lr / 10, lr, lr * 10]",
            f"optimizer={optimizer_code(optimizer)}",
            f"epochs={lit(int(try_epochs))}",
            *(f"{k}={lit(v)}" for k, v in tail if k != "val_every"),
        ]
        if try_eval_every is not None:
            targs.append(f"eval_every={lit(int(try_eval_every))}")
        lines += [
            "",
            f"# try it: fresh models at the {try_rule} suggestion, 10x lower and 10x higher",
            f"lr = {{s.rule: s.lr for s in result.suggestions()}}[{lit(try_rule)}]",
            call("history = train", targs),
            "for k in range(history.K):",
            "    kind, words = classify_run(history, k)",
            '    print(f"{history.labels[k]}: {words}")',
        ]
    return Snippet("\n".join(lines), tuple(imports))


def engine_descent(
    spec: FunctionSpec,
    x0: Sequence[float],
    *,
    lrs: Sequence[float] = (),
    optimizer: Optimizer | str = "sgd",
    runs: Sequence[tuple[Optimizer | str, float]] | None = None,
    steps: int = 50,
) -> Snippet:
    """``result = run_descent(...)`` (K rates, one optimiser) or ``run_many(...)`` (``runs``:
    ``(optimizer, lr)`` pairs) on the page's loss ``spec`` (:func:`takehome.function_spec`),
    and every run's verdict.  ``optimizer="polyak"`` (also as a run's optimiser) is Polyak's step
    (its rate: the multiplier)."""
    if isinstance(steps, bool) or int(steps) != steps or not 1 <= steps <= MAX_STEPS:
        raise ValueError(f"steps must be a whole number in 1 ... {MAX_STEPS}")
    start = tuple(float(v) for v in x0)
    if len(start) != spec.dim or not all(math.isfinite(v) for v in start):
        raise ValueError(f"the start needs {spec.dim} finite coordinate(s)")
    imports = ["from engine import Optimizer"]
    if spec.key == "custom":
        imports.append("from engine import parse_function")
        window = tuple(tuple(float(v) for v in pair) for pair in spec.window or ())
        surface = call(
            "surface = parse_function",
            [lit(spec.formula), lit(tuple(spec.variables)), f"window={lit(window)}"],
        )
    else:
        imports.append("from engine import get_surface")
        sep = ", " if spec.params else ""
        surface = f"surface = get_surface({lit(spec.key)}{sep}{kwargs(spec.params)})"
    if runs is not None:
        pairs = [(lit(POLYAK) if o == POLYAK else optimizer_code(o), float(r)) for o, r in runs]
        if not 1 <= len(pairs) <= MAX_RUNS:
            raise ValueError(f"give between 1 and {MAX_RUNS} runs")
        configs = "[\n" + "".join(f"        ({o}, {lit(r)}),\n" for o, r in pairs) + "    ]"
        imports.append("from engine import run_many")
        run = call(
            "result = run_many", ["surface", lit(start), configs, f"steps={lit(int(steps))}"]
        )
        if len(pairs) == 1 or "\n" not in run:
            one = ", ".join(f"({o}, {lit(r)})" for o, r in pairs)
            run = call(
                "result = run_many", ["surface", lit(start), f"[{one}]", f"steps={lit(int(steps))}"]
            )
    else:
        rates = _rates(lrs)
        opt = lit(POLYAK) if optimizer == POLYAK else optimizer_code(optimizer)
        imports.append("from engine import run_descent")
        run = call(
            "result = run_descent",
            ["surface", lit(start), lit(rates), f"optimizer={opt}", f"steps={lit(int(steps))}"],
        )
    lines = [
        surface,
        run,
        "for label, verdict in zip(result.labels, result.verdicts):",
        '    print(f"{label}: {verdict.text}")',
    ]
    return Snippet("\n".join(lines), tuple(imports))


def engine_child(sequence: str, lrs: Sequence[float], *, mode: str = "colour") -> Snippet:
    """The child and the dogs: ``learn_colour`` (the colour child) or ``learn_features`` (the
    feature child) on the page's sequence at the page's rates, and each rate's outcome.

    ``mode="both"``: the colour child as ``run``, then the feature child as ``feature_run``
    (a page that shows the richer child beside the story's)."""
    seq = parse_sequence(sequence)  # validated, canonical: letters B, W, C, K only
    rates = _rates(lrs)
    if mode not in ("colour", "features", "both"):
        raise ValueError("mode must be 'colour', 'features' or 'both'")
    children = {
        "colour": ("learn_colour", "colour_outcomes", "run", "colour child, "),
        "features": ("learn_features", "feature_outcomes", "feature_run", "feature child, "),
    }
    shown = ("colour", "features") if mode == "both" else (mode,)
    lines, imports = [], []
    for child in shown:
        fn, outcomes, name, who = children[child]
        name, who = (name, who) if mode == "both" else ("run", "")
        lines += [
            f"{name} = {fn}({lit(seq)}, {lit(rates)})",
            f"for lr, outcome in zip({name}.lr, {outcomes}({name})):",
            f'    print(f"{who}lr = {{lr:g}}: {{outcome.headline}}. {{outcome.text}}")',
        ]
        imports.append(f"from engine.child import {outcomes}, {fn}")
    return Snippet("\n".join(lines), tuple(imports))


def _whole(value: int, name: str, lo: int) -> int:
    if isinstance(value, bool) or int(value) != value or value < lo:
        raise ValueError(f"{name} must be a whole number >= {lo}, got {value!r}")
    return int(value)


def _share(value: float, name: str) -> float:
    v = float(value)
    if not 0.0 < v <= 1.0:
        raise ValueError(f"{name} must lie in (0, 1]")
    return v


def engine_search(
    *,
    dataset: str = "digits",
    data_seed: int = 0,
    model: str = "softmax",
    hidden: Sequence[int] = (32,),
    activation: str = "relu",
    lo_exp: int = -7,
    hi_exp: int = 0,
    per_decade: int = 1,
    coarse_subset: float = 0.1,
    coarse_epochs: int = 1,
    refine_points: int = 8,
    refine_decades: float = 1.0,
    refine_subset: float = 1.0,
    refine_epochs: int = 3,
    sampling: str = "grid",
    compare_sampling: bool = False,
    full_grid: bool = False,
    halving_eta: int | None = None,
    halving_steps: int | None = None,
    optimizer: Optimizer | str = "sgd",
    batch_size: int | None = 64,
    seed: int = 0,
) -> Snippet:
    """``search = coarse_to_fine(...)`` with the page's values: both stages' rates and final
    validation losses, the interval stage 2 refined, the pick, and the cost against the full
    fine grid.

    Arguments as :func:`engine.search.coarse_to_fine` (the model and data as
    :func:`takehome.torch_model_data`), and

    compare_sampling : bool
        Also run the same search with the other stage-2 sampling (``other``).
    full_grid : bool
        Also train the full fine grid (stage 2's density over the whole range, all the data,
        ``refine_epochs``): ``grid`` and ``full``.
    halving_eta, halving_steps : int, optional
        Also run :func:`engine.search.successive_halving` over the full grid's rates with this
        eta and ``max_steps`` (``halving``).
    """
    md = ModelData(dataset, data_seed, 1.0, model, hidden, activation, batch_size, seed)
    opt = as_optimizer(optimizer)
    lo, hi = _whole(lo_exp, "lo_exp", -(10**6)), _whole(hi_exp, "hi_exp", -(10**6))
    if not lo < hi:
        raise ValueError("lo_exp must be smaller than hi_exp")
    if sampling not in ("grid", "random"):
        raise ValueError("sampling must be 'grid' or 'random'")
    width = float(refine_decades)
    if not (math.isfinite(width) and width > 0):
        raise ValueError("refine_decades must be a positive number")
    epochs2 = _whole(refine_epochs, "refine_epochs", 1)
    per = _whole(per_decade, "per_decade", 1)
    settings = [
        ("lo_exp", lo),
        ("hi_exp", hi),
        *([("per_decade", per)] if per != 1 else []),  # 1 (the engine's default) goes unsaid
        ("coarse_subset", _share(coarse_subset, "coarse_subset")),
        ("coarse_epochs", _whole(coarse_epochs, "coarse_epochs", 1)),
        ("refine_points", _whole(refine_points, "refine_points", 2)),
        ("refine_decades", width),
        ("refine_subset", _share(refine_subset, "refine_subset")),
        ("refine_epochs", epochs2),
        ("batch_size", md.batch_size),
        ("seed", md.seed),
    ]
    extra = [f"optimizer={optimizer_code(opt)}"] if opt != _DEFAULT else []
    names = ["ModelSpec", "coarse_to_fine", "load_dataset"]
    lines = _data_lines(md)
    if compare_sampling:
        other = "random" if sampling == "grid" else "grid"
        lines += [
            call("settings = dict", [*(f"{k}={lit(v)}" for k, v in settings), *extra]),
            f"search = coarse_to_fine(spec, data, sampling={lit(sampling)}, **settings)",
            "# the same search with the other stage-2 sampling (same seed, as many rates)",
            f"other = coarse_to_fine(spec, data, sampling={lit(other)}, **settings)",
        ]
    else:
        args = [*(f"{k}={lit(v)}" for k, v in settings), *extra, f"sampling={lit(sampling)}"]
        lines.append(call("search = coarse_to_fine", ["spec", "data", *args]))
    lines += [
        'for name, stage in (("stage 1", search.coarse), ("stage 2", search.refine)):',
        '    print(f"{name}: {stage.subset:.0%} of the training data, {stage.epochs} epoch(s)")',
        "    for lr, loss in zip(stage.lrs, stage.final_loss):",
        '        print(f"    lr = {lr:.3g}: final validation loss {loss:.4f}")',
        'print(f"stage 2 searched {search.interval[0]:.3g} ... {search.interval[1]:.3g}")',
        'print(f"the pick: lr = {search.best_lr:.3g}, validation loss {search.best_loss:.4f}")',
        "print(",
        '    f"cost: {search.cost:,} examples processed, {search.cost / search.full_grid_cost:.1%} "',
        '    f"of the full fine grid\'s {search.full_grid_cost:,} ({search.full_grid_points} rates)"',
        ")",
    ]
    if compare_sampling:
        lines += [
            "print(",
            f'    f"{other} sampling would pick lr = {{other.best_lr:.3g}}, "',
            '    f"validation loss {other.best_loss:.4f}"',
            ")",
        ]
    imports = ["import numpy as np"] if full_grid or halving_eta is not None else []
    if full_grid or halving_eta is not None:
        lines += [
            "",
            "# the full fine grid: stage 2's density over the whole range",
            f"grid = 10.0 ** np.linspace({lit(lo)}, {lit(hi)}, search.full_grid_points)",
        ]
    if full_grid:
        names.append("train")
        targs = [
            "spec",
            "data",
            "grid",
            *extra,
            f"epochs={lit(epochs2)}",
            f"batch_size={lit(md.batch_size)}",
            f"seed={lit(md.seed)}",
        ]
        lines += [
            call("full = train", targs) + "  # all the data, all the epochs",
            "full_loss = np.where(full.diverged, np.inf, full.final_val_loss)",
            "b = int(np.argmin(full_loss))",
            'print(f"full grid: lr = {grid[b]:.3g}, validation loss {full_loss[b]:.4f}")',
        ]
    if halving_eta is not None:
        eta = _whole(halving_eta, "halving_eta", 2)
        names.append("successive_halving")
        hargs = ["spec", "data", "grid"]
        if halving_steps is not None:
            hargs.append(f"max_steps={lit(_whole(halving_steps, 'halving_steps', 1))}")
        hargs += [
            f"eta={lit(eta)}",
            *extra,
            f"batch_size={lit(md.batch_size)}",
            f"seed={lit(md.seed)}",
        ]
        lines += [
            "",
            f"# successive halving over the same rates: keep the best 1/{eta} at every rung",
            call("halving = successive_halving", hargs),
            "for rung in halving.rungs:",
            '    print(f"rung {rung.index + 1}: {rung.lrs.size} rate(s) to {rung.steps} steps")',
            "print(",
            '    f"successive halving: lr = {halving.best_lr:.3g}, validation loss "',
            '    f"{halving.best_loss:.4f}, {halving.examples_used:,} examples processed"',
            ")",
        ]
    if extra:
        names.append("Optimizer")
    imports.append(f"from engine import {', '.join(names)}")
    return Snippet("\n".join(lines), tuple(imports))
