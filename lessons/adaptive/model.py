"""Adaptive learning rate: hypergradient descent (Baydin et al., ICLR 2018) tunes the rate while
training, from starting rates orders of magnitude apart.

Two independent sections, each with its own :class:`Params`, ``compute`` and sentences:

* **training** (:class:`TrainParams`, :func:`compute_training`): K copies of a classifier on the
  digits, each from its own starting rate, trained at that fixed rate and with HD;
* **the valley** (:class:`ValleyParams`, :func:`compute_valley`): SGD-HD, fixed-rate SGD and
  Polyak's step on an ill-conditioned 2-D quadratic.

The cost paragraph ("Measured on this server") is a live timing, not maths: :func:`measure`
takes it and :func:`cost_words` words it; neither is part of a ``compute``, so the cached
results hold only what the runs determine.  No Streamlit, no plotly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine import fmt
from engine.descent import POLYAK, run_descent
from engine.hypergrad import (
    Sensitivity,
    final_rate_spread,
    measure_cost,
    rate_story,
    sensitivity,
    valley_story,
)
from engine.optim import HD_DEFAULT_BETA, Optimizer
from engine.surfaces import get_surface
from engine.train import History, classify_run, train
from engine.verdict import Kind
from lessons.ui.common import BATCH, HIDDEN, data_and_spec
from lessons.ui.fields import choice, field_of, flag, multi, number
from lessons.ui.parts import Question, Row, TakeHome
from takehome import (
    engine_descent,
    engine_hypergradient,
    function_spec,
    join,
    optimizer_constructor,
    torch_descent,
    torch_training,
)

#: starting rates on offer: 1e-6 ... 1, two per decade
LR_OPTIONS: tuple[float, ...] = (
    1e-6, 3e-6, 1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0,
)  # fmt: skip
DEFAULT_LRS: tuple[float, ...] = (1e-5, 1e-4, 1e-3, 1e-2, 1e-1)
MAX_RATES = 7  # one colour and dash each

FAMILIES: tuple[str, ...] = ("sgd", "nesterov", "adam")
FAMILY_NAMES = {"sgd": "SGD", "nesterov": "SGDN (Nesterov)", "adam": "Adam"}
SHORT = {"sgd": "SGD", "nesterov": "SGDN", "adam": "Adam"}
RULES: tuple[str, ...] = ("additive", "multiplicative")

#: beta of the additive rule: 0 (= the fixed-rate optimiser), then 1e-8 ... 1 in steps of ~3
BETAS_ADD: tuple[float, ...] = (
    (0.0,) + tuple(float(f"{m}e{e}") for e in range(-8, 0) for m in (1, 3)) + (1.0,)
)
#: beta' of the multiplicative rule: a relative change per step; at 1 and above a rate can hit 0
BETAS_MUL: tuple[float, ...] = (0.0, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0, 2.0)
DEFAULT_BETA_ADD = HD_DEFAULT_BETA["sgd"]  # 1e-3, the paper's run.sh for SGD-HD and SGDN-HD
DEFAULT_BETA_MUL = 0.3
POSTER_BETA = 1e-4  # the poster's alpha_0 sweep used beta = 1e-4 for every variant
#: the beta sweep (optional chart)
SWEEP_ADD: tuple[float, ...] = tuple(10.0**e for e in range(-8, 1))
SWEEP_MUL: tuple[float, ...] = (1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0, 2.0)
SWEEP_MAX_EPOCHS = 5

MODELS: tuple[str, ...] = ("softmax", "mlp")
MODEL_NAMES = {"softmax": "Softmax regression", "mlp": "MLP 64-32-10"}
MIN_EPOCHS, MAX_EPOCHS, DEFAULT_EPOCHS = 1, 15, 5

#: the 2-D view: the ill-conditioned valley (eigenvalues 1 and kappa, gentle axis at 30 degrees)
KAPPAS: tuple[float, ...] = (3.0, 10.0, 30.0, 100.0)
ANGLE = 30.0
STARTS: tuple[str, ...] = ("floor", "wall")
START_NAMES = {"floor": "on the valley floor", "wall": "on the steep wall"}
SLR_OPTIONS: tuple[float, ...] = (1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3)
SBETAS_ADD: tuple[float, ...] = (0.0, 1e-5, 3e-5, 1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1)
DEFAULT_SBETA_ADD, DEFAULT_SBETA_MUL = 3e-3, 0.3
MIN_STEPS, MAX_STEPS, DEFAULT_STEPS = 20, 300, 80
GRID = 60

#: timing: iterations per measurement, repeats (best of)
TIME_ITERS, TIME_REPEATS = 30, 7


def hd_label(family: str, rule: str) -> str:
    """``SGD-HD``, ``Adam-HDM``, ..."""
    return SHORT[family] + ("-HD" if rule == "additive" else "-HDM")


@dataclass(frozen=True)
class TrainParams:
    """Training on the digits: starting rates, optimiser family, HD rule and beta."""

    lrs: tuple[float, ...] = multi(
        "ad_lrs",
        "Starting rates (one run each, fixed and HD)",
        LR_OPTIONS,
        DEFAULT_LRS,
        names=fmt.rate,
        help=f"Up to {MAX_RATES}, across as many orders of magnitude as you like.",
        max_count=MAX_RATES,
    )
    family: str = choice(
        "ad_opt",
        "Optimiser family",
        FAMILIES,
        "sgd",
        names=FAMILY_NAMES,
        help="SGD-HD, SGDN-HD (Nesterov momentum 0.9) and Adam-HD, the paper's three.",
    )
    rule: str = choice(
        "ad_rule",
        "How HD updates the rate",
        RULES,
        "additive",
        help="additive: `α ← α − β h` (the paper's main rule); multiplicative: "
        "`α ← α (1 − β′ h / (|g| |d|))`, a relative change.",
    )
    beta_add: float = choice(
        "ad_beta",
        "β, the hypergradient learning rate (the rate's own step size)",
        BETAS_ADD,
        DEFAULT_BETA_ADD,
        names=fmt.rate,
        help="`α ← α + β · g_t · d_(t−1)`. β = 0 switches HD off. The paper's run.sh uses "
        "1e-3 for SGD-HD and SGDN-HD and 1e-7 for Adam-HD; its α₀ sweep used 1e-4.",
    )
    beta_mul: float = choice(
        "ad_betam",
        "β′, the multiplicative rule's step (relative change of the rate per step)",
        BETAS_MUL,
        DEFAULT_BETA_MUL,
        names=fmt.rate,
        help="`α ← α · (1 + β′ · cos(g_t, d_(t−1)))`: at most a factor (1 ± β′) per step, "
        "whatever the gradient's scale. From β′ = 1 on, one reversal can zero the rate.",
    )
    model: str = choice(
        "ad_model",
        "Model (on the 8x8 digits)",
        MODELS,
        "softmax",
        names=MODEL_NAMES,
        help="Softmax regression is the paper's logistic regression; the MLP has one hidden "
        "layer of 32 ReLU units.",
    )
    epochs: int = number(
        "ad_epochs",
        "Epochs",
        MIN_EPOCHS,
        MAX_EPOCHS,
        DEFAULT_EPOCHS,
        help=f"Minibatches of {BATCH}: 23 iterations per epoch.",
    )
    seed: int = number("ad_seed", "Seed (initial weights and minibatch order)", 0, 999, 0)
    sweep: bool = flag(
        "ad_sweep",
        "Also sweep β (one training per β: slower)",
        False,
        help="Final loss against β for every starting rate: where β is too small to matter, "
        "and where it is too large.",
    )

    @property
    def beta(self) -> float:
        """The beta of the chosen rule."""
        return self.beta_add if self.rule == "additive" else self.beta_mul

    @property
    def rates(self) -> tuple[float, ...]:
        """The starting rates trained: the chosen ones (at most :data:`MAX_RATES`, the
        smallest first), or the default five if none is chosen."""
        return tuple(sorted(self.lrs))[:MAX_RATES] if self.lrs else DEFAULT_LRS

    @property
    def name(self) -> str:
        return hd_label(self.family, self.rule)


@dataclass(frozen=True)
class ValleyParams:
    """The 2-D valley: its conditioning, the start, the starting rate and HD's beta."""

    kappa: float = choice(
        "ad_kappa",
        "Condition number κ = λmax / λmin",
        KAPPAS,
        10.0,
        names=fmt.num,
        help="Eigenvalues 1 and κ: the steep direction caps the stable rate at 2/κ.",
    )
    start: str = choice("ad_start", "Start", STARTS, "floor", names=START_NAMES)
    lr0: float = choice("ad_slr", "Starting rate α₀", SLR_OPTIONS, 1e-3, names=fmt.rate)
    rule: str = choice("ad_srule", "HD rule on the surface", RULES, "additive")
    beta_add: float = choice(
        "ad_sbeta",
        "β on the surface",
        SBETAS_ADD,
        DEFAULT_SBETA_ADD,
        names=fmt.rate,
        help="The gradients here are of order 1 to 100, not 0.01 as on the digits: β scales "
        "with 1/|g|², so the same β does not fit both.",
    )
    beta_mul: float = choice(
        "ad_sbetam", "β′ on the surface", BETAS_MUL, DEFAULT_SBETA_MUL, names=fmt.rate
    )
    steps: int = number("ad_steps", "Steps", MIN_STEPS, MAX_STEPS, DEFAULT_STEPS)

    @property
    def beta(self) -> float:
        return self.beta_add if self.rule == "additive" else self.beta_mul

    @property
    def name(self) -> str:
        return "SGD-HD" if self.rule == "additive" else "SGD-HDM"


LRS = field_of(TrainParams, "lrs")


# ------------------------------------------------------------------------- verdict kinds

#: the engine's older words for a training run's kind (before ``classify_run`` returned Kind)
_OLD_KINDS = {"converged fast": Kind.CONVERGED, "converging slowly": Kind.SLOW}


def as_kind(kind: str) -> Kind:
    """A run's kind as a :class:`~engine.verdict.Kind` (whatever spelling the engine used)."""
    return _OLD_KINDS[kind] if kind in _OLD_KINDS else Kind(kind)


# ------------------------------------------------------------------------- training


@dataclass(frozen=True, eq=False)
class Runs:
    """K runs of one optimiser (small arrays only, no weights)."""

    lrs: np.ndarray  #: starting rates (K,)
    lr: np.ndarray  #: the rate of every iteration (K, T), NaN after a blow-up
    train_loss: np.ndarray  #: minibatch loss (K, T)
    final_val_loss: np.ndarray
    final_val_acc: np.ndarray
    diverged: np.ndarray
    diverged_at: np.ndarray
    kinds: tuple[Kind, ...]  #: the engine's verdict on every run
    texts: tuple[str, ...]
    iters_per_epoch: int

    @property
    def T(self) -> int:
        return int(self.lr.shape[1])

    def final(self, k: int) -> str:
        if self.diverged[k]:
            return f"diverged at iteration {int(self.diverged_at[k])}"
        return f"final loss {fmt.loss(float(self.final_val_loss[k]))}"


@dataclass(frozen=True, eq=False)
class Sweep:
    betas: tuple[float, ...]
    epochs: int
    finals: np.ndarray  #: final validation loss (n_beta, K)


@dataclass(frozen=True, eq=False)
class TrainResult:
    params: TrainParams
    lrs: tuple[float, ...]  #: the starting rates trained
    fixed: Runs
    hd: Runs
    sens: Sensitivity
    sweep: Sweep | None

    @property
    def T(self) -> int:
        return max(self.fixed.T, self.hd.T)


def _train(p: TrainParams, lrs: tuple[float, ...], opt: Optimizer, epochs: int) -> History:
    data, spec = data_and_spec("digits", p.model)
    return train(spec, data, list(lrs), optimizer=opt, epochs=epochs, batch_size=BATCH, seed=p.seed)


def _runs(h: History, reference: float | None) -> Runs:
    verdicts = [classify_run(h, k, reference=reference) for k in range(h.K)]
    return Runs(
        lrs=np.asarray(h.lrs, dtype=np.float64),
        lr=np.asarray(h.lr, dtype=np.float64),
        train_loss=np.asarray(h.train_loss, dtype=np.float64),
        final_val_loss=np.asarray(h.final_val_loss, dtype=np.float64),
        final_val_acc=np.asarray(h.final_val_acc, dtype=np.float64),
        diverged=np.asarray(h.diverged, dtype=bool),
        diverged_at=np.asarray(h.diverged_at),
        kinds=tuple(as_kind(k) for k, _ in verdicts),
        texts=tuple(t for _, t in verdicts),
        iters_per_epoch=int(h.iters_per_epoch),
    )


def hd_optimizer(p: TrainParams) -> Optimizer:
    """The HD optimiser of the training view (family, rule and beta as chosen)."""
    return Optimizer(p.family, hypergrad=p.rule, hyper_lr=p.beta)


def sweep_plan(p: TrainParams) -> tuple[tuple[float, ...], int]:
    """The beta sweep's betas (of the chosen rule) and epochs (at most
    :data:`SWEEP_MAX_EPOCHS`)."""
    return (SWEEP_ADD if p.rule == "additive" else SWEEP_MUL), min(p.epochs, SWEEP_MAX_EPOCHS)


def compute_training(p: TrainParams) -> TrainResult:
    """The K runs at a fixed rate and with HD (same weights, same minibatches), and the optional
    beta sweep (one HD training per beta, at most :data:`SWEEP_MAX_EPOCHS` epochs)."""
    lrs = p.rates
    fixed = _train(p, lrs, Optimizer(p.family), p.epochs)
    hd = _train(p, lrs, hd_optimizer(p), p.epochs)
    both = np.concatenate([fixed.final_val_loss, hd.final_val_loss])
    finite = both[np.isfinite(both)]
    ref = float(finite.min()) if finite.size else None
    sweep = None
    if p.sweep:
        betas, n_ep = sweep_plan(p)
        finals = np.stack(
            [
                _train(
                    p, lrs, Optimizer(p.family, hypergrad=p.rule, hyper_lr=b), n_ep
                ).final_val_loss
                for b in betas
            ]
        )
        sweep = Sweep(betas=betas, epochs=n_ep, finals=finals)
    sens = sensitivity(
        np.asarray(lrs), fixed.final_val_loss, hd.final_val_loss, label=p.name, beta=p.beta
    )
    return TrainResult(
        params=p,
        lrs=lrs,
        fixed=_runs(fixed, ref),
        hd=_runs(hd, ref),
        sens=sens,
        sweep=sweep,
    )


def pad(a: np.ndarray, T: int) -> np.ndarray:
    """Rows of ``a`` (K, T') padded with NaN to length T (a history whose runs all blew up
    stops early)."""
    out = np.full((a.shape[0], T), np.nan)
    out[:, : a.shape[1]] = a
    return out


def labels(r: TrainResult) -> list[str]:
    """One legend entry per starting rate."""
    return [f"start {fmt.rate(v)}" for v in r.lrs]


def panel_titles(r: TrainResult) -> tuple[str, str]:
    p = r.params
    return (f"{SHORT[p.family]}, fixed rate", f"{p.name}, β = {fmt.rate(p.beta)}")


@dataclass(frozen=True, eq=False)
class RatePanels:
    """The two rate panels exactly as drawn: iterations, fixed rates, HD rates, the y range,
    and the last drawable (positive, finite) rate of every HD run."""

    x: np.ndarray
    fixed: np.ndarray
    hd: np.ndarray
    y_range: tuple[float, float] | None
    last_hd: np.ndarray  #: NaN for a run with no positive rate left to draw


def _last_positive(row: np.ndarray) -> float:
    ok = np.flatnonzero(np.isfinite(row) & (row > 0))
    return float(row[ok[-1]]) if ok.size else math.nan


def rate_panels(r: TrainResult) -> RatePanels:
    T = r.T
    lf, lh = pad(r.fixed.lr, T), pad(r.hd.lr, T)
    both = np.concatenate([lf, lh])
    pos = both[np.isfinite(both) & (both > 0)]
    rng = (float(pos.min()) / 2, float(pos.max()) * 2) if pos.size else None
    return RatePanels(
        x=np.arange(T),
        fixed=lf,
        hd=lh,
        y_range=rng,
        last_hd=np.array([_last_positive(row) for row in lh]),
    )


def final_rates(r: TrainResult) -> np.ndarray:
    """The last finite rate of every HD run (what the quiz asks about)."""
    return final_rate_spread(r.hd.lr)[0]


def rates_caption(r: TrainResult, panels: RatePanels) -> str:
    p = r.params
    last = panels.last_hd
    drawn = last[np.isfinite(last)]
    ends = (
        f" The HD rates end between {fmt.rate(float(drawn.min()))} and "
        f"{fmt.rate(float(drawn.max()))} (the right end of each line)."
        if drawn.size
        else ""
    )
    lost = int((~np.isfinite(last)).sum())
    if lost:
        ends += f" {lost} HD run(s) have no positive rate left to draw."
    return (
        "The learning rate at every iteration (log scale), one colour and dash per starting "
        f"rate. Left: {SHORT[p.family]} keeps each rate fixed, from "
        f"{fmt.rate(r.lrs[0])} to {fmt.rate(r.lrs[-1])}. Right: {p.name} adapts it, from the "
        f"second iteration on (it needs a previous direction).{ends} Rates at or below zero "
        "cannot be drawn on a log axis; the verdicts below say when that happens."
    )


def rates_alt(r: TrainResult, panels: RatePanels) -> str:
    p = r.params
    last = panels.last_hd
    ends = ", ".join(
        f"{fmt.rate(lr0)} → {fmt.rate(v) if np.isfinite(v) else 'not drawable'}"
        for lr0, v in zip(r.lrs, last, strict=True)
    )
    return (
        f"Learning rate per iteration, two panels. Left, {SHORT[p.family]} at fixed rates: flat "
        f"lines. Right, {p.name}: each starting rate to where it ended ({ends}). "
        f"{r.sens.text.replace('**', '')}"
    )


def loss_caption(r: TrainResult) -> str:
    name = r.params.name
    return (
        "Training loss (minibatch loss averaged over quarter epochs, log scale), same "
        f"colours. With fixed rates the curves fan out by starting rate; with {name} they "
        "bunch together. An ✕ marks a run that blew up."
    )


def loss_alt(r: TrainResult) -> str:
    f, h = r.fixed.final_val_loss, r.hd.final_val_loss
    return (
        f"Training loss per iteration, fixed rates left, {r.params.name} right. "
        f"Final validation losses: fixed {', '.join(fmt.loss(float(v)) for v in f)}; "
        f"HD {', '.join(fmt.loss(float(v)) for v in h)}."
    )


def sensitivity_caption(r: TrainResult) -> str:
    return (
        "Final validation loss against the starting rate (both log scales): grey solid line "
        f"and circles = fixed rate, dashed line and squares = {r.params.name}; each marker in "
        "its starting rate's colour. A steep curve means the starting rate matters; a flat "
        "one means HD made it matter less. An ✕ along the top is a run that diverged."
    )


def rows(p: TrainParams, r: TrainResult) -> list[Row]:
    """One line per starting rate: the label names the HD run, the kind is the engine's
    verdict on that run, and the fixed-rate run's own verdict is named in the text."""
    out = []
    for k, lr0 in enumerate(r.lrs):
        story = rate_story(r.hd.lr[k], float(lr0))
        out.append(
            Row(
                f"{p.name} from {fmt.rate(lr0)}",
                r.hd.kinds[k],
                f"{story}; {r.hd.final(k)}. The same start at a fixed rate: "
                f"{r.fixed.kinds[k]}, {r.fixed.final(k)}.",
            )
        )
    return out


QUIZ_OPTIONS = (
    "They stay as far apart as they started",
    "They move closer together, but stay more than 2× apart",
    "They end within a factor of 2 of each other",
    "They all shrink towards zero",
    "Some blow up or turn negative",
)


def quiz_answer(r: TrainResult) -> int:
    """Index into :data:`QUIZ_OPTIONS` for where the HD runs' rates ended."""
    finals, ratio = final_rate_spread(r.hd.lr)
    lrs = np.asarray(r.lrs)
    if r.hd.diverged.any() or not np.isfinite(finals).all() or np.any(finals <= 0):
        return 4
    if np.all(finals < lrs.min() / 2):
        return 3
    if ratio <= 2:
        return 2
    if ratio >= lrs.max() / lrs.min() / 2:
        return 0
    return 1


def question(p: TrainParams, r: TrainResult) -> Question | None:
    if len(r.lrs) < 2:
        return None
    finals, ratio = final_rate_spread(r.hd.lr)
    spread = f"they end between {fmt.rate(float(np.nanmin(finals)))} and " + fmt.rate(
        float(np.nanmax(finals))
    )
    if math.isfinite(ratio):
        spread += f", {fmt.num(ratio)}× apart"
    lo, hi = r.lrs[0], r.lrs[-1]
    return Question(
        f"{len(r.lrs)} copies of the model start at rates from {fmt.rate(lo)} to "
        f"{fmt.rate(hi)} ({fmt.count(hi / lo)}× apart) and train with {p.name} for "
        f"{p.epochs} epochs. Where do their learning rates end up?",
        QUIZ_OPTIONS,
        quiz_answer(r),
        f"In this run {spread}. The rate panels show how they got there.",
    )


def rates_note(p: TrainParams) -> str | None:
    if not p.lrs:
        return (
            f"No starting rate chosen: showing the default five "
            f"({fmt.rate(DEFAULT_LRS[0])} … {fmt.rate(DEFAULT_LRS[-1])})."
        )
    return None


def trajectory_table(r: TrainResult) -> pd.DataFrame:
    """The rate and minibatch loss of every run at every iteration (CSV)."""
    T = r.T
    cols = {"iteration": np.arange(T), "epoch": np.arange(T) / r.hd.iters_per_epoch}
    for name, runs in (("fixed", r.fixed), ("HD", r.hd)):
        lr, loss = pad(runs.lr, T), pad(runs.train_loss, T)
        for k, lr0 in enumerate(r.lrs):
            cols[f"lr {name} start {fmt.rate(lr0)}"] = lr[k]
            cols[f"batch loss {name} start {fmt.rate(lr0)}"] = loss[k]
    return pd.DataFrame(cols)


def sensitivity_table(r: TrainResult) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "starting_lr": r.lrs,
            "final_val_loss_fixed": r.fixed.final_val_loss,
            "final_val_loss_hd": r.hd.final_val_loss,
            "final_val_acc_fixed": r.fixed.final_val_acc,
            "final_val_acc_hd": r.hd.final_val_acc,
            "final_lr_hd": final_rates(r),
        }
    )


def sweep_words(r: TrainResult) -> tuple[str, np.ndarray]:
    """The sweep chart's caption and the spread of final losses per beta (its numbers)."""
    s = r.sweep
    spread = np.array([np.ptp(row) if np.isfinite(row).all() else np.inf for row in s.finals])
    best = int(np.argmin(spread))
    bad = [b for b, row in zip(s.betas, s.finals, strict=True) if not np.isfinite(row).all()]
    words = (
        f"The final losses are closest together at β = {fmt.rate(s.betas[best])} (spread "
        f"{fmt.loss(spread[best])}); at β = {fmt.rate(s.betas[0])} the spread is "
        f"{fmt.loss(spread[0])}."
    )
    if bad:
        words += f" At β = {fmt.rate(min(bad))} some runs diverge: β is too large."
    when = f"after {s.epochs} epoch{'s' if s.epochs != 1 else ''}" + (
        f" (the sweep stops at {SWEEP_MAX_EPOCHS} epochs to stay quick)"
        if s.epochs < r.params.epochs
        else ""
    )
    caption = (
        f"Final validation loss {when} against β (log scales), one line per starting rate, "
        f"the dotted line at the β of the charts above. {words}"
    )
    return caption, spread


def sweep_table(r: TrainResult) -> pd.DataFrame:
    s = r.sweep
    data = pd.DataFrame({"beta": s.betas})
    for i, lab in enumerate(labels(r)):
        data[f"final val loss {lab}"] = s.finals[:, i]
    return data


def takehome_training(p: TrainParams, r: TrainResult | None = None) -> TakeHome:
    """This training view as code: LR Lab's engine reruns the fixed-rate and HD runs (and the
    beta sweep if shown); PyTorch trains the HD runs with a short HDOptimizer class.

    Built from the view's Params alone (``r`` is not read: the runs are what the code
    recomputes)."""
    betas, n_ep = sweep_plan(p) if p.sweep else (None, None)
    engine = engine_hypergradient(
        family=p.family,
        rule=p.rule,
        beta=p.beta,
        lrs=p.rates,
        dataset="digits",
        model=p.model,
        hidden=HIDDEN,
        epochs=p.epochs,
        batch_size=BATCH,
        seed=p.seed,
        sweep_betas=betas,
        sweep_epochs=n_ep,
    )
    hd = torch_training(
        dataset="digits",
        model=p.model,
        hidden=HIDDEN,
        lrs=p.rates,
        optimizer=hd_optimizer(p),
        epochs=p.epochs,
        batch_size=BATCH,
        seed=p.seed,
    )
    _, fixed = optimizer_constructor(Optimizer(p.family), "lr")
    note = (
        f"The fixed-rate runs (the left panel): build the optimiser in train_one as {fixed} "
        f"instead of HDOptimizer (or keep HDOptimizer with hyper_lr=0.0: with β = 0 {p.name} "
        f"is {SHORT[p.family]})."
    )
    return TakeHome(engine=engine, torch=join(hd, notes=(note,)))


# ------------------------------------------------------------------------- the cost (timed)


@dataclass(frozen=True)
class CostKey:
    """What a timing depends on (the measurement is taken once per key and kept)."""

    model: str
    family: str
    rule: str
    k: int


def cost_key(p: TrainParams) -> CostKey:
    return CostKey(p.model, p.family, p.rule, len(p.rates))


def measure(key: CostKey) -> dict[str, float]:
    """Time the fixed-rate update against HD's on ``key.k`` models at once (a live timing on
    this machine: not cached maths)."""
    data, spec = data_and_spec("digits", key.model)
    opt = Optimizer(key.family, hypergrad=key.rule, hyper_lr=1e-9)
    return measure_cost(spec, data, opt, key.k, iters=TIME_ITERS, repeats=TIME_REPEATS)


def _us(seconds: float) -> str:
    return f"{fmt.num(seconds * 1e6)} µs"


def cost_metrics(key: CostKey, c: dict[str, float]) -> list[tuple[str, str, str | None]]:
    P = int(c["P"])
    return [
        ("Time per iteration, fixed", _us(c["iter_fixed"]), None),
        (
            f"Time per iteration, {hd_label(key.family, key.rule)}",
            _us(c["iter_hd"]),
            f"{fmt.pct(c['iter_hd'] / c['iter_fixed'] - 1)}",
        ),
        (f"Extra memory per model (P = {fmt.count(P)})", f"{fmt.num(8 * P / 1000)} kB", None),
    ]


def memory_words(key: CostKey, P: int) -> str:
    """What HD stores (no timing: this part is exact)."""
    state = {
        "sgd": "Plain SGD stores nothing but the weights and the gradient",
        "nesterov": "SGDN already stores a momentum buffer of P numbers",
        "adam": "Adam already stores two buffers (m and v) of P numbers each",
    }[key.family]
    return (
        f"Memory: {state}; HD keeps **one extra gradient-sized copy**, P = {fmt.count(P)} "
        f"float64 numbers = {fmt.count(8 * P)} bytes per model ({key.k} model(s): "
        f"{fmt.count(8 * P * key.k)} bytes)."
    )


def cost_words(key: CostKey, c: dict[str, float]) -> str:
    """The measured paragraph ("Measured on this server: ...")."""
    P = int(c["P"])
    d_update = (c["update_hd"] - c["update_fixed"]) * 1e6
    d_iter = (c["iter_hd"] - c["iter_fixed"]) * 1e6
    if abs(d_iter - d_update) <= max(10.0, 0.5 * abs(d_update)):
        agree = (
            f"The whole iteration changed by {fmt.signed(d_iter)} µs, about what the update "
            "alone explains: the gradient costs the same either way."
        )
    else:
        agree = (
            f"The whole iteration changed by {fmt.signed(d_iter)} µs, more than the update "
            "explains: timings on a shared server jump when other work runs. Measure again."
        )
    return (
        f"Measured on this server: {TIME_ITERS} iterations of {key.k} model(s) at once "
        f"({MODEL_NAMES[key.model].lower()}, minibatches of {BATCH}), best of {TIME_REPEATS}. "
        f"The update alone (no gradient) takes {_us(c['update_fixed'])} with a fixed rate and "
        f"{_us(c['update_hd'])} with HD: HD adds one dot product `g_t · d_(t−1)` over the "
        f"P = {fmt.count(P)} parameters and one copy of the direction d_t per step. The "
        f"gradient, a pass over the minibatch, is most of an iteration. {agree} "
        + memory_words(key, P)
    )


# ------------------------------------------------------------------------- the valley


@dataclass(frozen=True, eq=False)
class Path:
    """One descent run on the valley."""

    path: np.ndarray  #: (T+1, 2)
    rate: np.ndarray  #: the rate of every step (entry 0 repeats step 1's)
    loss: np.ndarray  #: f - f* (T+1,)
    kind: Kind
    text: str


@dataclass(frozen=True, eq=False)
class ValleyResult:
    params: ValleyParams
    gx: np.ndarray
    gy: np.ndarray
    z: np.ndarray
    lam_min: float
    lam_max: float
    x0: tuple[float, float]
    hd: Path
    fixed: Path
    polyak: Path

    @property
    def limit(self) -> float:
        """2 / lambda_max: the largest stable fixed rate."""
        return 2.0 / self.lam_max

    @property
    def ideal(self) -> float:
        """1 / lambda_min: the rate that crosses the gentle direction in one step."""
        return 1.0 / self.lam_min


def valley_start(kappa: float, where: str) -> tuple[float, float]:
    """Start 5 units out along the gentle axis, a hair off it ("floor"), or the surface's own
    start on the steep side ("wall")."""
    if where == "wall":
        s = get_surface("ill_conditioned", kappa=kappa, angle=ANGLE)
        return tuple(float(v) for v in s.default_start)
    c, s_ = math.cos(math.radians(ANGLE)), math.sin(math.radians(ANGLE))
    u, v = 5.0, 0.05
    return (u * c - v * s_, u * s_ + v * c)


def _path(res) -> Path:
    v = res.verdicts[0]
    return Path(
        path=np.asarray(res.path[0], dtype=np.float64),
        rate=np.asarray(res.lr_trace[0], dtype=np.float64),
        loss=np.asarray(res.loss[0], dtype=np.float64),
        kind=as_kind(v.kind),
        text=v.text,
    )


def compute_valley(p: ValleyParams) -> ValleyResult:
    """SGD-HD, SGD at the starting rate, and Polyak's step on the valley (three engine runs)."""
    s = get_surface("ill_conditioned", kappa=p.kappa, angle=ANGLE)
    x0 = valley_start(p.kappa, p.start)
    opt = Optimizer("sgd", hypergrad=p.rule, hyper_lr=p.beta)
    hd = run_descent(s, x0, [p.lr0], optimizer=opt, steps=p.steps)
    fixed = run_descent(s, x0, [p.lr0], optimizer="sgd", steps=p.steps)
    polyak = run_descent(s, x0, [1.0], optimizer="polyak", steps=p.steps)
    (x_lo, x_hi), (y_lo, y_hi) = s.window
    gx, gy = np.linspace(x_lo, x_hi, GRID), np.linspace(y_lo, y_hi, GRID)
    xx, yy = np.meshgrid(gx, gy)
    par = dict(s.params)
    return ValleyResult(
        params=p,
        gx=gx,
        gy=gy,
        z=s.f(np.stack([xx, yy], axis=-1)),
        lam_min=float(par["lam_min"]),
        lam_max=float(par["lam_max"]),
        x0=x0,
        hd=_path(hd),
        fixed=_path(fixed),
        polyak=_path(polyak),
    )


def takehome_valley(p: ValleyParams, r: ValleyResult) -> TakeHome:
    """The valley as code: LR Lab's engine runs SGD-HD, SGD and Polyak's step from the same
    start; PyTorch autograd runs the first two (torch has no Polyak step)."""
    spec = function_spec("ill_conditioned", {"kappa": p.kappa, "angle": ANGLE})
    hd = Optimizer("sgd", hypergrad=p.rule, hyper_lr=p.beta)
    both = [(hd, p.lr0), (Optimizer("sgd"), p.lr0)]
    note = (
        "Polyak's step, η = (f − f*)/|g|² with f* = 0, has no torch.optim optimiser: the engine "
        "tab runs it (its third run)."
    )
    return TakeHome(
        engine=engine_descent(spec, r.x0, runs=[*both, (POLYAK, 1.0)], steps=p.steps),
        torch=join(torch_descent(spec, r.x0, runs=both, steps=p.steps), notes=(note,)),
        torch_label="PyTorch autograd",
    )


def valley_names(r: ValleyResult) -> dict[str, str]:
    """Each run's name in the legend and the verdicts."""
    p = r.params
    return {
        "hd": f"{p.name}, β = {fmt.rate(p.beta)}",
        "fixed": f"SGD, fixed {fmt.rate(p.lr0)}",
        "polyak": "Polyak's step",
    }


def valley_runs(r: ValleyResult) -> dict[str, Path]:
    return {"hd": r.hd, "fixed": r.fixed, "polyak": r.polyak}


def polyak_words(run: Path) -> str:
    rate = run.rate[1:]
    rate = rate[np.isfinite(rate) & (rate > 0)]
    if rate.size == 0:
        return run.text
    return (
        f"its step size ranged from {fmt.rate(float(rate.min()))} to "
        f"{fmt.rate(float(rate.max()))}; {run.text}"
    )


def valley_rows(p: ValleyParams, r: ValleyResult) -> list[Row]:
    names = valley_names(r)
    return [
        Row(
            names["hd"],
            r.hd.kind,
            f"{valley_story(r.hd.rate, r.lam_max, p.lr0)}; {r.hd.text}",
        ),
        Row(names["fixed"], r.fixed.kind, r.fixed.text),
        Row(names["polyak"], r.polyak.kind, polyak_words(r.polyak)),
    ]


VALLEY_INTRO = (
    "A long valley, `f = ½(λmin u² + λmax v²)` turned by 30°, with λmin = 1 and λmax = κ. "
    "SGD with HD starts at a tiny rate; beside it SGD at that fixed rate, and **Polyak's "
    "step** `η = (f − f*)/|g|²`, which needs to know the lowest value `f* = 0` (here it does). "
    "Every marker is coloured by the rate of the step that led to it."
)


def contour_caption(r: ValleyResult) -> str:
    return (
        "Contours of the loss (log scale) with the three paths from the same start; each "
        "marker is coloured by the rate of its step (colour bar, dark purple for small rates "
        "to yellow for large ones). On the valley floor successive gradients agree and HD's "
        "markers turn from dark to yellow; once the steps jump across the valley, they turn "
        "darker again."
    )


def contour_alt(r: ValleyResult) -> str:
    rows_ = valley_rows(r.params, r)
    return "Paths on the valley's contour map. " + " ".join(
        f"{row.label}: {row.kind}." for row in rows_
    )


def valley_lines(r: ValleyResult) -> tuple[tuple[float, str], ...]:
    """The rate chart's reference lines, as drawn and as the caption states them."""
    return (
        (r.limit, f"2/λmax = {fmt.rate(r.limit)}"),
        (r.ideal, f"1/λmin = {fmt.rate(r.ideal)}"),
    )


def valley_rate_caption(r: ValleyResult) -> str:
    return (
        f"Top: the rate of every step (log scale), with the stability limit 2/λmax = "
        f"{fmt.rate(r.limit)} and 1/λmin = {fmt.rate(r.ideal)}, the rate that would cross the "
        "gentle direction in one step. Bottom: the loss above the minimum (log scale)."
    )


def valley_rate_alt(r: ValleyResult) -> str:
    rows_ = valley_rows(r.params, r)
    return (
        f"The rate of every step and the loss above the minimum, with 2/λmax = "
        f"{fmt.rate(r.limit)} and 1/λmin = {fmt.rate(r.ideal)}. "
        + " ".join(f"{row.label} ({row.kind}): {row.text}." for row in rows_)
    )


def valley_table(r: ValleyResult) -> pd.DataFrame:
    names = valley_names(r)
    data = pd.DataFrame({"step": np.arange(r.params.steps + 1)})
    for key, run in valley_runs(r).items():
        data[f"x {names[key]}"] = run.path[:, 0]
        data[f"y {names[key]}"] = run.path[:, 1]
        data[f"rate {names[key]}"] = run.rate
        data[f"loss {names[key]}"] = run.loss
    return data


# ------------------------------------------------------------------------- words

INTRO = (
    "Every lesson so far asked you to **choose** the learning rate. Hypergradient descent "
    "lets the optimiser tune it while it trains: after each step it nudges the rate up if "
    "the new gradient agrees with the last step, down if it reverses. It costs one extra "
    "copy of the gradient and one dot product per step."
)
LECTURE_INTRO = (
    "Hypergradient descent tunes the learning rate while it trains: up while the gradients "
    "agree, down when they reverse."
)
NARRATIVE = (
    "- **The idea** (Baydin et al., *Online Learning Rate Adaptation with Hypergradient "
    "Descent*, ICLR 2018): the loss after a step depends on the rate used, so take the "
    "derivative with respect to the rate too. For SGD it is `−g_t·g_(t−1)`: the new gradient "
    "times the old one. HD then does gradient descent on the rate: "
    "`α ← α + β · g_t · g_(t−1)`. Consecutive gradients agree → the rate grows; they reverse "
    "(overshoot) → it shrinks.\n"
    "- **Look at the two rate panels**: fixed rates are flat lines 10 000× apart; the HD rates "
    "climb (or fall) towards each other within the first iterations.\n"
    "- **Then the sensitivity chart**: with a fixed rate the final loss swings with the "
    "starting rate; with HD the curve is nearly flat. That is the paper's point.\n"
    "- **Try** β = 0 (HD becomes the fixed-rate optimiser, exactly), a β ten or a hundred times "
    "the paper's, the Adam family (its paper β is far smaller), and the surface below, where "
    "you can watch the rate grow on a gentle slope and shrink as soon as the steps zig-zag."
)
TRAIN_TITLE = "1 · Train from rates 10 000× apart"
COST_TITLE = "2 · What it costs"
VALLEY_TITLE = "3 · Watch the rate on a surface"
