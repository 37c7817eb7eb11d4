"""The range test with torch-lr-finder (0.2.2), and the page's readings of its curve in numpy.

Translation of LR Lab's settings (``engine/range_test.py``) to ``LRFinder.range_test``:

* the ramp: ``start_lr``, ``end_lr``, ``num_iter`` and ``step_mode="exp"|"linear"`` give the
  same rates (``start * (end / start) ** (i / (num_iter - 1))``, or linear), first and last
  included.  torch-lr-finder ignores ``start_lr=0`` (it tests ``if start_lr``), so the
  optimiser is built with ``lr=min_lr`` too;
* smoothing: ``smooth_f = 1 - beta`` (``smooth_f`` is the weight of the NEW loss), ``0`` for
  ``beta = 0`` (both mean "no smoothing").  torch-lr-finder seeds its average with the first
  loss and never corrects it; LR Lab (as fastai) corrects the start, so the curves differ while
  ``(1 - smooth_f) ** i`` is not small;
* the stop: ``diverge_th = stop_factor`` (``inf`` when the page's stop is off).  Each compares
  its own smoothed curve with its best value so far, so they can stop a few iterations apart;
  torch-lr-finder does not stop on NaN.

``lr_finder.history["loss"]`` holds the *smoothed* losses; the generated code recovers the raw
ones exactly (:func:`unsmooth`, inverting the recursion) and applies the page's rules to them
with LR Lab's smoothing and stop: steepest per unit of log-rate, minimum / 10, valley, and
Smith's start, max and min = max / 4 .. max / 3.  Then ``lr_finder.reset()``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from engine.optim import Optimizer
from engine.range_test import MAX_ITERS, _check_beta, _check_stop_factor, lr_ramp
from takehome.optim import as_optimizer, optimizer_constructor
from takehome.snippet import Snippet, join, lit, read_template
from takehome.training import torch_model_data

__all__ = ["smooth_f_of", "rules_code", "torch_range_test"]

STEP_MODE = {"exponential": "exp", "linear": "linear"}


def smooth_f_of(beta: float) -> float:
    """torch-lr-finder's ``smooth_f`` for LR Lab's ``beta``: ``1 - beta`` (0 for no smoothing).

    >>> smooth_f_of(0.98), smooth_f_of(0.0)
    (0.02, 0.0)
    """
    b = _check_beta(beta)
    return 0.0 if b == 0 else float(f"{1.0 - b:.12g}")


def rules_code() -> Snippet:
    """The page's readings of a range-test curve as plain numpy functions (no LR Lab needed):
    ``unsmooth``, ``lrlab_smooth``, ``lrlab_cut``, the rules and ``lrlab_suggestions``."""
    code, imports = read_template("range_rules.py")
    return Snippet(code, imports, (), ())


def _weight_horizon(smooth_f: float) -> int:
    """Iterations until the first loss weighs under 5% in torch-lr-finder's average."""
    return math.ceil(math.log(0.05) / math.log(1.0 - smooth_f))


def torch_range_test(
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
) -> Snippet:
    """The page's range test with ``torch_lr_finder.LRFinder`` and the page's suggestion rules.

    Arguments as :func:`engine.range_test.range_test` (the model and data as
    :func:`takehome.torch_model_data`).  The code defines ``lr_finder``, ``history_lr``,
    ``raw_loss`` and ``suggestions`` (rule -> rate or None) and prints the suggestions.
    """
    opt = as_optimizer(optimizer)
    if opt.hypergrad is not None:
        raise ValueError("the range test sets the rate itself: no hypergradient optimiser")
    if mode not in STEP_MODE:
        raise ValueError(f"mode must be one of {tuple(STEP_MODE)}, got {mode!r}")
    if isinstance(num_iter, bool) or int(num_iter) != num_iter or not 2 <= num_iter <= MAX_ITERS:
        raise ValueError(f"num_iter must be a whole number in 2 ... {MAX_ITERS}")
    num_iter = int(num_iter)
    lo, hi = float(min_lr), float(max_lr)
    lr_ramp(lo, hi, num_iter, mode)  # validates the ramp as the engine does
    beta = _check_beta(beta)
    stop = _check_stop_factor(stop_factor)
    sf = smooth_f_of(beta)
    base = torch_model_data(
        dataset=dataset,
        data_seed=data_seed,
        model=model,
        hidden=hidden,
        activation=activation,
        batch_size=batch_size,
        seed=seed,
    )
    comment, call = optimizer_constructor(opt, lo)
    lines = [
        f"# the page's range test with torch-lr-finder: {num_iter} iterations, rates "
        f"{lit(lo)} to {lit(hi)} ({mode})",
        *comment,
        f"optimizer = {call}  # the finder ramps the rate up from here",
    ]
    if lo == 0:
        lines.append(
            "# (torch-lr-finder ignores start_lr=0, which is falsy: it starts from the "
            "optimiser's lr, 0.0)"
        )
    if sf == 0:
        lines.append("# smooth_f=0.0: no smoothing, as the page's beta = 0")
    else:
        lines += [
            f"# smooth_f = 1 - beta = {lit(sf)}: the weight of the NEW loss (the page's beta = "
            f"{lit(beta)}",
            "# weighs the old average).  torch-lr-finder seeds its average with the first loss "
            "and has no",
            f"# bias correction: that loss keeps the weight {lit(1 - sf)}**i at iteration i "
            f"(over 5% until i = {_weight_horizon(sf)}),",
            "# LR Lab's corrected average does not, so the two smoothed curves differ until then.",
        ]
    if stop is None:
        lines.append("# diverge_th=inf: the page's early stop is off")
        th = math.inf
    else:
        th = stop
        lines.append(
            f"# diverge_th = the page's stop factor: stop once the smoothed loss exceeds {lit(th)} "
            "times"
        )
        lines.append("# its best so far")
    lines += [
        "# (each on its own smoothed curve, so they may stop a few iterations apart; "
        "torch-lr-finder",
        "# does not stop on NaN, LR Lab's trainer does, and also at 1000 times the first loss)",
        "lr_finder = LRFinder(model, optimizer, loss_fn)",
        "lr_finder.range_test(",
        "    train_loader,",
        f"    start_lr={lit(lo)},",
        f"    end_lr={lit(hi)},",
        f"    num_iter={lit(num_iter)},",
        f"    step_mode={lit(STEP_MODE[mode])},",
        f"    smooth_f={lit(sf)},",
        f"    diverge_th={lit(th)},",
        ")",
        "",
        "# the page's readings: recover the raw batch losses from the smoothed history, then smooth",
        "# and cut them as LR Lab does and apply its rules (lr_finder.plot(suggest_lr=True) instead",
        "# takes the most negative np.gradient of its own smoothed curve per index over [10:-5])",
        'history_lr = np.array(lr_finder.history["lr"])',
        f'raw_loss = unsmooth(lr_finder.history["loss"], smooth_f={lit(sf)})',
        "suggestions = lrlab_suggestions(",
        f"    history_lr, raw_loss, num_iter={lit(num_iter)}, beta={lit(beta)}, "
        f"stop_factor={lit(stop)}",
        ")",
        "for rule, lr in suggestions.items():",
        "    print(f\"{rule:>13}: {'no suggestion' if lr is None else f'{lr:.3g}'}\")",
        "lr_finder.reset()  # put the model and the optimiser back as they were before the test",
    ]
    if sf:
        first = (
            f"smooth_f = 1 - beta = {lit(sf)}: torch-lr-finder's average has no bias correction, "
            f"so its smoothed curve differs from the page's over the first {_weight_horizon(sf)} "
            "or so iterations."
        )
    else:
        first = "No smoothing on either side (beta = 0, smooth_f = 0)."
    notes = [
        first,
        "The rules run on the raw losses recovered from torch-lr-finder's smoothed history, "
        "smoothed and cut as on the page.",
    ]
    return join(
        base,
        rules_code(),
        Snippet(
            "\n".join(lines),
            ("import numpy as np", "import torch", "from torch_lr_finder import LRFinder"),
            tuple(notes),
            ("torch", "torch-lr-finder"),
        ),
    )
