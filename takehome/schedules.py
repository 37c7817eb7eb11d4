"""LR Lab's schedules as ``torch.optim.lr_scheduler`` objects whose rates match step by step.

A schedule is named as the page names it: a key of :data:`engine.schedules.SCHEDULES` and its
:func:`engine.schedules.make_schedule` parameters (plain numbers).  The builder validates them by
building the engine's schedule, then writes the torch scheduler from that object's fields.

Counting: LR Lab's iteration ``t`` (from 0) is torch's ``last_epoch`` when the loop calls
``optimizer.step()`` then ``scheduler.step()`` once per minibatch: the rate update ``t`` uses is
``scheduler.get_last_lr()`` read before that update.  So there is no off-by-one to translate.

Where the definitions differ, the generated code translates or says where:

* ``CyclicLR``: ``cycle_momentum=False`` always.  torch's default ``True`` rewrites the
  optimiser's momentum every step (plain SGD has a ``momentum`` entry of 0, which becomes
  0.8..0.9), while LR Lab's trainer changes only the rate.  Modes, ``gamma`` per iteration for
  ``exp_range`` and the asymmetric ``step_size_down`` are the same formulas.
* ``OneCycleLR``: the same phase boundaries (the peak at step ``pct_start * total_steps - 1``),
  ``cycle_momentum=False`` for the same reason (it would also move Adam's beta1).  torch raises
  when stepped more than ``total_steps`` times (LR Lab holds the last rate) and divides by zero
  when a phase has no steps (LR Lab takes the phase's end value): then the code holds LR Lab's
  rates in a table (``LambdaLR``).
* ``CosineAnnealingWarmRestarts``: restarts at the optimiser's rate, so the optimiser is built
  with ``eta_max``.
* Linear warm-up: ``LinearLR``; chained into another schedule with ``SequentialLR``, whose
  second scheduler restarts from its own step 0 at the milestone, as in LR Lab.  The warm-up
  factors are rescaled when the optimiser's rate must be the next schedule's base.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from engine.schedules import (
    SCHEDULES,
    Constant,
    CosineWarmRestarts,
    Cyclic,
    ExponentialDecay,
    LinearWarmup,
    OneCycle,
    Schedule,
    StepDecay,
    make_schedule,
)
from takehome.snippet import Snippet, ident, lit

__all__ = ["ScheduleSpec", "engine_schedule", "scheduler_lr", "torch_scheduler"]

#: A schedule as a page names it: ``(key, parameters)``; for a warm-up chained into another
#: schedule, ``("warmup", params, (then_key, then_params))``.
ScheduleSpec = tuple[str, Mapping[str, Any]] | tuple[str, Mapping[str, Any], tuple]

LRS = "torch.optim.lr_scheduler"

CYCLE_MOMENTUM_COMMENT = (
    "# cycle_momentum=False: torch's default (True) would also cycle the optimiser's momentum\n"
    "# (plain SGD's 0 becomes 0.8..0.9, silently momentum SGD); LR Lab changes only the rate"
)


def _params(params: Mapping[str, Any] | Iterable[tuple[str, Any]] | None) -> dict[str, Any]:
    if params is None:
        return {}
    return dict(params.items() if isinstance(params, Mapping) else params)


def engine_schedule(
    key: str,
    params: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None,
    then: tuple[str, Mapping[str, Any] | Iterable[tuple[str, Any]]] | None = None,
) -> Schedule:
    """LR Lab's schedule for ``key`` and ``params`` (``then``: the schedule a warm-up leads into).

    >>> engine_schedule("warmup", {"base_lr": None}, ("step", {"base_lr": 1.0})).target_lr
    1.0
    """
    p = _params(params)
    if then is None:
        return make_schedule(key, **p)
    if key != "warmup":
        raise ValueError("only a warm-up can lead into another schedule")
    then_key, then_params = then
    if then_key == "warmup":
        raise ValueError("a warm-up cannot lead into another warm-up")
    nxt = make_schedule(then_key, **_params(then_params))
    merged = {**SCHEDULES["warmup"].defaults, "base_lr": None, **p, "then": nxt}
    return LinearWarmup(**merged)


def _zero_phase(s: OneCycle) -> bool:
    start = 0.0
    for phase in s._phases:
        if phase[0] <= start:
            return True
        start = phase[0]
    return False


def _base_lr(s: Schedule) -> float:
    """The rate the optimiser must be built with for the torch scheduler of ``s``."""
    if isinstance(s, Constant | StepDecay | ExponentialDecay):
        return float(s.base_lr)
    if isinstance(s, CosineWarmRestarts):
        return float(s.eta_max)
    if isinstance(s, Cyclic):
        return float(s.base_lr)
    if isinstance(s, OneCycle):
        return float(s.lr(0))
    if isinstance(s, LinearWarmup):
        if s.then is None or isinstance(s.then, Cyclic):
            return s.target_lr
        return _base_lr(s.then)
    raise ValueError(f"no torch scheduler for {type(s).__name__}")


def scheduler_lr(
    key: str,
    params: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None,
    then: tuple[str, Mapping[str, Any] | Iterable[tuple[str, Any]]] | None = None,
) -> float:
    """The ``lr`` to build the optimiser with, so that the torch scheduler starts where LR Lab does.

    (``CyclicLR`` and ``OneCycleLR`` set the rate themselves; the others scale the optimiser's.)

    >>> scheduler_lr("sgdr", {"eta_max": 0.3}), scheduler_lr("triangular", {"base_lr": 0.01})
    (0.3, 0.01)
    """
    return _base_lr(engine_schedule(key, params, then))


def _one(s: Schedule, opt: str, name: str) -> tuple[list[str], list[str]]:
    """(comment lines, code lines) building scheduler ``name`` for the engine schedule ``s``."""
    if isinstance(s, Constant):
        return (
            [f"# a constant rate: the optimiser's own lr ({lit(float(s.base_lr))}); LambdaLR only"]
            + ["# keeps the loop the same as with a schedule"],
            [f"{name} = {LRS}.LambdaLR({opt}, lr_lambda=lambda step: 1.0)"],
        )
    if isinstance(s, StepDecay):
        return (
            [f"# step decay of the optimiser's lr ({lit(float(s.base_lr))})"],
            [
                f"{name} = {LRS}.StepLR({opt}, step_size={lit(int(s.step_size))}, "
                f"gamma={lit(float(s.gamma))})"
            ],
        )
    if isinstance(s, ExponentialDecay):
        return (
            [f"# exponential decay of the optimiser's lr ({lit(float(s.base_lr))})"],
            [f"{name} = {LRS}.ExponentialLR({opt}, gamma={lit(float(s.gamma))})"],
        )
    if isinstance(s, CosineWarmRestarts):
        return (
            [
                "# SGDR: every period starts at the optimiser's lr "
                f"(eta_max = {lit(float(s.eta_max))}); restarts are counted in steps"
            ],
            [
                f"{name} = {LRS}.CosineAnnealingWarmRestarts({opt}, T_0={lit(int(s.T_0))}, "
                f"T_mult={lit(int(s.T_mult))}, eta_min={lit(float(s.eta_min))})"
            ],
        )
    if isinstance(s, Cyclic):
        args = [
            opt,
            f"base_lr={lit(float(s.base_lr))}",
            f"max_lr={lit(float(s.max_lr))}",
            f"step_size_up={lit(float(s.step_size))}",
        ]
        if s.step_size_down is not None:
            args.append(f"step_size_down={lit(float(s.step_size_down))}")
        args.append(f"mode={lit(s.mode)}")
        comment = [CYCLE_MOMENTUM_COMMENT]
        if s.mode == "exp_range":
            args.append(f"gamma={lit(float(s.gamma))}")
            comment.insert(
                0,
                "# exp_range: the amplitude shrinks by gamma at every iteration (gamma**t), in "
                "torch as in LR Lab",
            )
        args.append("cycle_momentum=False")
        return comment, [f"{name} = {LRS}.CyclicLR(", *_wrap(args), ")"]
    if isinstance(s, OneCycle):
        if _zero_phase(s):
            n = int(s.total_steps)
            rates = [float(v) for v in s.lr(np.arange(n))]
            return (
                [
                    "# 1cycle with a phase of no steps (pct_start * total_steps = "
                    f"{lit(float(s.pct_start) * n)}): torch's OneCycleLR",
                    "# would divide by zero there, so this table holds LR Lab's rates "
                    "(the optimiser's lr is RATES[0])",
                ],
                [
                    f"RATES = {lit(rates)}",
                    f"{name} = {LRS}.LambdaLR(",
                    f"    {opt}, lr_lambda=lambda step: RATES[min(step, len(RATES) - 1)] / RATES[0]",
                    ")",
                ],
            )
        args = [
            opt,
            f"max_lr={lit(float(s.max_lr))}",
            f"total_steps={lit(int(s.total_steps))}",
            f"pct_start={lit(float(s.pct_start))}",
            f"div_factor={lit(float(s.div_factor))}",
            f"final_div_factor={lit(float(s.final_div_factor))}",
            f"anneal_strategy={lit(s.anneal)}",
            f"three_phase={lit(bool(s.three_phase))}",
            "cycle_momentum=False",
        ]
        comment = [
            "# 1cycle as torch's OneCycleLR: the same phases (peak at step pct_start * "
            "total_steps - 1);",
            "# it raises if stepped more than total_steps times (LR Lab holds the last rate)",
            CYCLE_MOMENTUM_COMMENT,
        ]
        if s.cycle_momentum:
            comment.append(
                "# (the page draws 1cycle's momentum curve, but its runs train plain SGD, "
                "whose momentum stays 0)"
            )
        return comment, [f"{name} = {LRS}.OneCycleLR(", *_wrap(args), ")"]
    if isinstance(s, LinearWarmup):
        return _warmup(s, opt, name)
    raise ValueError(f"no torch scheduler for {type(s).__name__}")


def _wrap(args: list[str]) -> list[str]:
    return [f"    {a}," for a in args]


def _warmup(s: LinearWarmup, opt: str, name: str) -> tuple[list[str], list[str]]:
    n = int(s.total_iters)
    target = s.target_lr
    if s.then is None:
        scale = 1.0
    else:
        base = target if isinstance(s.then, Cyclic) else float(s.then.lr(0))
        scale = target / base
    start, end = float(s.start_factor) * scale, float(s.end_factor) * scale
    if not (0 < start <= 1 and 0 <= end <= 1):
        raise ValueError(
            "this warm-up climbs above where the next schedule starts; torch's LinearLR "
            "(factors of at most 1) cannot write it"
        )
    comment = [
        f"# linear warm-up over {n} steps to {lit(target)}: lr = base * "
        "(start + (end - start) * t / total_iters)"
    ]
    if scale != 1.0:
        comment.append(
            f"# (factors scaled by {lit(scale)}: the optimiser's lr is the next schedule's base)"
        )
    warm = (
        f"{LRS}.LinearLR({opt}, start_factor={lit(start)}, end_factor={lit(end)}, "
        f"total_iters={lit(n)})"
    )
    if s.then is None:
        return comment, [f"{name} = {warm}"]
    c2, l2 = _one(s.then, opt, "after_warmup")
    comment.append(
        f"# then SequentialLR hands over at step {n}; the next schedule starts from its own step 0"
    )
    lines = [
        f"warmup = {warm}",
        *c2,
        *l2,
        f"{name} = {LRS}.SequentialLR({opt}, schedulers=[warmup, after_warmup], "
        f"milestones=[{lit(n)}])",
    ]
    return comment, lines


def torch_scheduler(
    key: str,
    params: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None,
    then: tuple[str, Mapping[str, Any] | Iterable[tuple[str, Any]]] | None = None,
    *,
    optimizer: str = "optimizer",
    name: str = "scheduler",
) -> Snippet:
    """The torch scheduler for LR Lab's schedule ``key`` with ``params``.

    Build the optimiser with ``lr=scheduler_lr(key, params, then)``; call ``optimizer.step()``
    then ``scheduler.step()`` once per minibatch.

    Parameters
    ----------
    key : str
        A key of :data:`engine.schedules.SCHEDULES`: ``"constant"``, ``"step"``,
        ``"exponential"``, ``"sgdr"``, ``"warmup"``, ``"triangular"``, ``"triangular2"``,
        ``"exp_range"``, ``"onecycle"``.
    params : mapping or pairs
        :func:`engine.schedules.make_schedule` parameters (the registry's defaults fill in).
    then : (key, params), optional
        For ``"warmup"``: the schedule it leads into (``SequentialLR``).
    optimizer, name : str
        Variable names of the optimiser and of the scheduler to assign.

    Examples
    --------
    >>> print(torch_scheduler("triangular2", {"base_lr": 0.01, "max_lr": 0.1, "step_size": 20}).code)
    # cycle_momentum=False: torch's default (True) would also cycle the optimiser's momentum
    # (plain SGD's 0 becomes 0.8..0.9, silently momentum SGD); LR Lab changes only the rate
    scheduler = torch.optim.lr_scheduler.CyclicLR(
        optimizer,
        base_lr=0.01,
        max_lr=0.1,
        step_size_up=20.0,
        mode="triangular2",
        cycle_momentum=False,
    )
    """
    s = engine_schedule(key, params, then)
    comment, lines = _one(s, ident(optimizer), ident(name))
    notes = []
    if isinstance(s, Cyclic | OneCycle) or isinstance(getattr(s, "then", None), Cyclic | OneCycle):
        notes.append(
            "cycle_momentum=False: torch would otherwise cycle the optimiser's momentum too, "
            "which LR Lab's trainer never changes."
        )
    if isinstance(s, OneCycle) or isinstance(getattr(s, "then", None), OneCycle):
        notes.append(
            "OneCycleLR raises if stepped more than total_steps times; LR Lab holds the last rate."
        )
    if not math.isfinite(_base_lr(s)):
        raise ValueError("the schedule's rates must be finite")
    return Snippet("\n".join([*comment, *lines]), ("import torch",), tuple(notes), ("torch",))
