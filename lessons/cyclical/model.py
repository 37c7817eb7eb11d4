"""Cyclical schedules: cycle the learning rate between the range test's bounds and race
triangular, triangular2, exp_range, 1cycle and SGDR against a constant rate on the digits.

The model: :class:`Params` (the page's controls and URL keys, including the bounds a range test
handed over: :class:`FromRangeTest`), :func:`compute` (every rate, run and verdict the page
shows) and the sentences built from a :class:`Result`.  No Streamlit, no plotly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from engine import fmt
from engine.schedules import Schedule, make_schedule
from engine.train import History, classify_run, train
from engine.verdict import NEVER, Kind
from lessons.ui.common import (
    BATCH,
    EIGHT_A_DECADE,
    HIDDEN,
    binned,
    data_and_spec,
    rate_grid,
    snap,
)
from lessons.ui.fields import choice, multi, number, text
from lessons.ui.parts import Question, Row, TakeHome
from takehome import engine_train, torch_training

#: the model and data every run trains: the 8x8 digits, a 64-32-10 MLP, minibatches of 64, SGD
DATASET = "digits"
#: learning rates on a log scale, 1e-4 ... 10 (eight values a decade)
LR_GRID: tuple[float, ...] = rate_grid(-4, 1, EIGHT_A_DECADE)
DEFAULT_MIN, DEFAULT_MAX = 0.15, 0.6
CYCLICAL: tuple[str, ...] = ("triangular", "triangular2", "exp_range", "onecycle", "sgdr")
DEFAULT_SCHEDULES: tuple[str, ...] = ("triangular", "triangular2", "exp_range", "onecycle")
NAMES = {
    "constant": "Constant",
    "triangular": "Triangular",
    "triangular2": "Triangular2",
    "exp_range": "Exp-range",
    "onecycle": "1cycle",
    "sgdr": "Cosine restarts (SGDR)",
}
#: a schedule keeps its colour and dash whichever others are shown (6 = black: the baseline)
STYLE = {"constant": 6, "triangular": 0, "triangular2": 1, "exp_range": 2, "onecycle": 3, "sgdr": 4}
CONST_AT: tuple[str, ...] = ("min", "mid", "max")
CONST_NAMES = {"min": "lower bound", "mid": "geometric middle", "max": "upper bound"}
STEP_EPOCHS: tuple[float, ...] = (0.5, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)
GAMMAS: tuple[float, ...] = (0.98, 0.99, 0.993, 0.995, 0.997, 0.998, 0.999, 0.9995)
TARGETS: tuple[float, ...] = (0.9, 0.92, 0.94, 0.95, 0.96, 0.97, 0.98)
MAX_SEED = 999
#: the 1cycle policy's final division (torch OneCycleLR default)
FINAL_DIV = 1e4
#: the range test's rates that a link may carry (its own grid runs up to 100)
RT_MAX = 100.0
SOURCE_CHARS = 120
QUIZ_OPTIONS = (
    "The constant rate",
    "A cyclical schedule",
    "They tie",
    "None of them gets there",
)
CONSTANT_WINS, CYCLE_WINS, TIE, NOBODY = range(4)

INTRO = (
    "Instead of one fixed learning rate, let it **cycle** between the two bounds the range "
    "test found: up to the largest rate that still trains, back down to the smallest that "
    "makes progress, again and again. Does it train faster than a constant rate?"
)
#: the one sentence under the title in lecture mode
LECTURE_INTRO = (
    "Let the learning rate **cycle** between the range test's bounds: does it "
    "train faster than a constant rate?"
)

NARRATIVE = (
    "- **Smith's recipe** (Cyclical Learning Rates, 2017): find a lower and an upper bound with "
    "the range test, then let the rate climb from one to the other and back in straight lines, "
    "a *half-cycle* (step size) of 2 to 10 epochs. His claim: the same accuracy as a fixed rate, "
    "in fewer iterations, with no rate to tune.\n"
    "- **Watch the rate chart first**: triangular keeps its height, triangular2 halves it every "
    "cycle, exp_range shrinks it a little every iteration; 1cycle makes one big climb and then "
    "anneals far below the lower bound.\n"
    "- **Then the race**: who crosses the target accuracy first (stars)? Smith compared with the "
    "fixed rate at the lower bound. Move the constant to the **upper bound** or the middle: does "
    "the cycle still win? On these digits a well-chosen fixed rate is hard to beat; the cycle's "
    "promise is that you need not find it.\n"
    "- **Try** an upper bound of 4 or more and watch a cycle blow up near its peak, or a step "
    "size that does not divide the run, so training stops mid-cycle with the rate high."
)


def _num(digits: int):
    return lambda v: fmt.num(v, digits)


@dataclass(frozen=True)
class Params:
    """The view: the bounds (and where they came from), the schedules, the race."""

    lo: float = choice(
        "cy_min",
        "Lower bound min_lr",
        LR_GRID,
        DEFAULT_MIN,
        names=fmt.rate,
        help="Where the range test's loss starts to fall, or max_lr / 3 to max_lr / 4.",
    )
    hi: float = choice(
        "cy_max",
        "Upper bound max_lr",
        LR_GRID,
        DEFAULT_MAX,
        names=fmt.rate,
        help="Where the range test's loss stops falling or turns ragged.",
    )
    schedules: tuple[str, ...] = multi(
        "cy_sched",
        "Schedules to race against the constant rate",
        CYCLICAL,
        DEFAULT_SCHEDULES,
        names=NAMES,
        help="The constant rate is always there, as the baseline.",
    )
    const_at: str = choice(
        "cy_const",
        "Constant rate at",
        CONST_AT,
        "min",
        names=CONST_NAMES,
        help="Smith's baseline was the fixed rate at the lower bound.",
    )
    step: float = choice(
        "cy_step",
        "Step size (half a cycle), in epochs",
        STEP_EPOCHS,
        2.0,
        names=_num(3),
        help="Smith: 2 to 10 epochs. A full cycle (up and down) is twice this.",
    )
    epochs: int = number(
        "cy_epochs",
        "Epochs",
        2,
        30,
        12,
        help="Smith: stop at the end of a cycle, where the rate is lowest.",
    )
    gamma: float = choice(
        "cy_gamma",
        "gamma of exp_range (per iteration)",
        GAMMAS,
        0.995,
        names=_num(4),
        help="The height of exp_range's cycles is multiplied by gamma at every iteration.",
    )
    target: float = choice(
        "cy_target",
        "Target validation accuracy",
        TARGETS,
        0.95,
        names=fmt.pct,
        help="How many iterations does each schedule need to get there?",
    )
    seed: int = number("cy_seed", "Seed (initial weights and minibatch order)", 0, MAX_SEED, 0)
    #: where the bounds came from, in words (set by the range test's link)
    source: str = text("cy_from", "Bounds from", "", max_chars=SOURCE_CHARS)
    #: the range test's own bounds, before snapping to :data:`LR_GRID` (0: none)
    rt_min: float = number("cy_rt_min", "The range test's min_lr", 0.0, RT_MAX, 0.0)
    rt_max: float = number("cy_rt_max", "The range test's max_lr", 0.0, RT_MAX, 0.0)


# ------------------------------------------------------------------------------ the hand-off


@dataclass(frozen=True)
class FromRangeTest:
    """Bounds a range test found, and where: what the range test page hands on in its link.

    ``min_lr`` and ``max_lr`` are the range test's own readings (any positive rates); the
    cyclical page shows them on its log grid (:func:`from_range_test` snaps them).
    """

    min_lr: float
    max_lr: float
    source: str


def clean_source(s: str) -> str:
    """A link's source text as the page may show it: one line, no backticks, clipped."""
    s = "".join(c if c.isprintable() else " " for c in str(s)).replace("`", "'").strip()
    return s[:SOURCE_CHARS]


def _link_rate(lr: float) -> float:
    """A rate as the range test printed it (3 significant digits), within the link's bounds."""
    return min(max(float(fmt.rate(lr)), 0.0), RT_MAX)


def from_range_test(b: FromRangeTest, base: Params | None = None) -> Params:
    """The view that cycles between ``b``'s bounds: each snapped to the nearest rate of
    :data:`LR_GRID` on a log scale (min strictly below max), with the raw values and the
    source kept so the page can say what it snapped.

    >>> p = from_range_test(FromRangeTest(0.1031, 0.4125, "range test on digits/MLP, seed 0"))
    >>> p.lo, p.hi, p.rt_min, p.rt_max
    (0.1, 0.4, 0.103, 0.412)
    """
    rt_min, rt_max = _link_rate(b.min_lr), _link_rate(b.max_lr)
    hi = snap(rt_max, LR_GRID, lo=LR_GRID[0])
    lo = snap(rt_min, LR_GRID, hi=hi)
    return replace(
        base or Params(), lo=lo, hi=hi, source=clean_source(b.source), rt_min=rt_min, rt_max=rt_max
    )


def range_test_of(p: Params) -> FromRangeTest | None:
    """The range test's bounds the view carries, or None (none, or not two rates min < max)."""
    if 0 < p.rt_min < p.rt_max:
        return FromRangeTest(p.rt_min, p.rt_max, clean_source(p.source))
    return None


def snapped(p: Params) -> tuple[float, float] | None:
    """The range test's bounds on this page's grid (what :func:`from_range_test` sets)."""
    b = range_test_of(p)
    if b is None:
        return None
    q = from_range_test(b, p)
    return q.lo, q.hi


def _from_words(p: Params) -> str:
    src = clean_source(p.source)
    return f"`{src}`" if src else "the range test"


def _shown_as(what: str, raw: float, shown: float) -> str:
    if math.isclose(raw, shown, rel_tol=1e-9):
        return f"{what} {fmt.rate(shown)}"
    return f"{what} {fmt.rate(raw)} from the range test, shown as **{fmt.rate(shown)}**"


def bounds_sentence(p: Params) -> str:
    """Where the bounds come from: the range test's link (and what was snapped), the
    defaults, or the learner's hand."""
    lo, hi = sorted((p.lo, p.hi))
    b = range_test_of(p)
    grid = snapped(p)
    if b is not None and grid == (p.lo, p.hi):
        moved = (b.min_lr, b.max_lr) != grid
        return (
            f"Bounds from {_from_words(p)}: {_shown_as('max_lr', b.max_lr, grid[1])}; "
            f"{_shown_as('min_lr', b.min_lr, grid[0])}"
            + (" (the nearest values on this page's log grid)." if moved else ".")
        )
    if b is None and p.source.strip() and (p.lo, p.hi) != (DEFAULT_MIN, DEFAULT_MAX):
        return f"Bounds from {_from_words(p)}: min_lr = {fmt.rate(lo)}, max_lr = {fmt.rate(hi)}."
    if (p.lo, p.hi) == (DEFAULT_MIN, DEFAULT_MAX) and b is None:
        return (
            "Default bounds: max_lr = 0.6 is close to where a range test of this model "
            "(exponential ramp) finds the loss turning ragged, and min_lr = max_lr / 4 = 0.15 "
            "follows Smith's rule of thumb."
        )
    ratio = f" (max / min = {fmt.num(hi / lo)}; Smith suggests 3 to 4)" if lo > 0 else ""
    words = f"Bounds set by hand: min_lr = {fmt.rate(lo)}, max_lr = {fmt.rate(hi)}{ratio}."
    if b is not None:
        words += (
            f" The range test ({_from_words(p)}) found min_lr = {fmt.rate(b.min_lr)} and "
            f"max_lr = {fmt.rate(b.max_lr)}."
        )
    return words


def bounds_note(p: Params) -> str | None:
    """A warning when the bounds cannot be used as set (and what is used instead)."""
    if p.lo > p.hi:
        return (
            f"The lower bound ({fmt.rate(p.lo)}) is above the upper one ({fmt.rate(p.hi)}): "
            "using them the other way round."
        )
    if p.lo == p.hi:
        return (
            f"Both bounds are {fmt.rate(p.lo)}: the cyclical schedules have nothing to cycle "
            "between and train at a constant rate (1cycle still anneals at the end)."
        )
    return None


def schedules_note(p: Params) -> str | None:
    if not p.schedules:
        return "No schedule chosen: showing Triangular against the constant rate."
    return None


# ------------------------------------------------------------------------------ the schedules


def constant_rate(lo: float, hi: float, at: str) -> float:
    """The baseline's fixed rate: a bound, or their geometric middle."""
    return {"min": lo, "max": hi}.get(at, math.sqrt(lo * hi))


def schedule_params(
    key: str, lo: float, hi: float, step: int, gamma: float, total: int, const: float
) -> dict:
    """The :func:`engine.schedules.make_schedule` parameters of schedule ``key``.  ``step`` is
    the half-cycle in iterations, ``total`` the run's."""
    if key == "constant":
        return {"base_lr": const}
    if key in ("triangular", "triangular2"):
        return {"base_lr": lo, "max_lr": hi, "step_size": step}
    if key == "exp_range":
        return {"base_lr": lo, "max_lr": hi, "step_size": step, "gamma": gamma}
    if key == "onecycle":
        # one cycle over the whole run, starting at the lower bound (div_factor = max / min)
        return {
            "max_lr": hi,
            "total_steps": total,
            "div_factor": hi / lo,
            "final_div_factor": FINAL_DIV,
            "cycle_momentum": True,
        }
    if key == "sgdr":
        return {"eta_max": hi, "T_0": 2 * step, "T_mult": 1, "eta_min": lo}
    raise ValueError(f"unknown schedule {key!r}")


# ------------------------------------------------------------------------------ the runs


@dataclass(frozen=True)
class Run:
    """One schedule's run, in the numbers the page shows."""

    key: str
    label: str
    kind: Kind
    text: str  #: the engine's sentence about the run (classify_run)
    reach: float | None  #: epoch of the first evaluation at the target (before any blow-up)
    reach_iter: int  #: its iteration (NEVER: never)
    final_acc: float
    final_loss: float
    best_acc: float
    best_epoch: float
    train_loss: float  #: mean batch loss over the last epoch (NaN after a blow-up)
    diverged_at: int  #: NEVER if it did not

    @property
    def diverged(self) -> bool:
        return self.diverged_at != NEVER

    @property
    def finished(self) -> bool:
        """Reached the target and did not blow up: it counts in the race."""
        return self.reach is not None and not self.diverged


@dataclass(frozen=True)
class Race:
    """Who reached the target accuracy first: one answer for the headline and the question."""

    answer: int  #: index into :data:`QUIZ_OPTIONS`
    fastest: tuple[str, ...]  #: keys of the fastest cyclical schedules (that finished)
    first: float | None  #: their epoch
    constant: float | None  #: the constant rate's epoch (None: did not finish)


@dataclass(frozen=True, eq=False)
class Result:
    """Everything the page shows for one :class:`Params`."""

    params: Params
    lo: float  #: the bounds used (swapped if set the wrong way round)
    hi: float
    keys: tuple[str, ...]  #: "constant" first, then the cyclical schedules shown
    labels: tuple[str, ...]
    const: float  #: the constant rate
    ipe: int  #: iterations per epoch
    total: int  #: iterations of the run
    step: int  #: half a cycle, in iterations
    eval_every: int
    lrs: np.ndarray  #: (K, total): the rate of every schedule at every iteration
    momentum: np.ndarray | None  #: (total,): 1cycle's momentum (drawn, not applied)
    history: History  #: the K runs (same start, same minibatches)
    runs: tuple[Run, ...]
    race: Race
    bin_width: int  #: iterations per point of the training-loss chart
    loss_x: np.ndarray  #: (B,) centres of its bins, in epochs
    loss_y: np.ndarray  #: (K, B) mean batch loss per bin
    n_train: int
    n_val: int

    def index(self, key: str) -> int:
        return self.keys.index(key)

    @property
    def label_of(self) -> dict[str, str]:
        return dict(zip(self.keys, self.labels, strict=True))


def reach_epoch(h: History, k: int, target: float) -> tuple[float | None, int]:
    """Epoch and iteration of the first evaluation at which run ``k`` reached ``target``."""
    acc = h.val_acc[k]
    hit = np.flatnonzero(np.isfinite(acc) & (acc >= target - 1e-12))
    if hit.size == 0:
        return None, NEVER
    it = int(h.eval_iters[hit[0]])
    return it / h.iters_per_epoch, it


def _runs(h: History, keys, labels, target: float) -> tuple[Run, ...]:
    finals = [float(h.final_val_loss[k]) for k in range(h.K) if not h.diverged[k]]
    ref = min(finals) if finals else None
    ipe = h.iters_per_epoch
    out = []
    for k, (key, label) in enumerate(zip(keys, labels, strict=True)):
        acc = h.val_acc[k]
        finite = np.isfinite(acc)
        best = int(np.nanargmax(np.where(finite, acc, -1.0))) if finite.any() else 0
        kind, words = classify_run(h, k, reference=ref)
        tail = h.train_loss[k, -ipe:]
        reach, it = reach_epoch(h, k, target)
        out.append(
            Run(
                key=key,
                label=label,
                kind=Kind(kind),
                text=words,
                reach=reach,
                reach_iter=it,
                final_acc=float(h.final_val_acc[k]),
                final_loss=float(h.final_val_loss[k]),
                best_acc=float(acc[best]) if finite.any() else math.nan,
                best_epoch=float(h.eval_iters[best] / ipe),
                train_loss=(
                    float(np.mean(tail))
                    if not h.diverged[k] and np.isfinite(tail).all()
                    else math.nan
                ),
                diverged_at=int(h.diverged_at[k]) if h.diverged[k] else NEVER,
            )
        )
    return tuple(out)


def race_of(runs: tuple[Run, ...]) -> Race:
    """Who finished first (reached the target without blowing up): the constant rate
    (``runs[0]``) or a cyclical schedule."""
    const = runs[0].reach if runs[0].finished else None
    cyc = [r for r in runs[1:] if r.finished]
    if const is None and not cyc:
        return Race(NOBODY, (), None, None)
    if not cyc:
        return Race(CONSTANT_WINS, (), None, const)
    first = min(r.reach for r in cyc)
    fastest = tuple(r.key for r in cyc if r.reach == first)
    if const is None or first < const:
        answer = CYCLE_WINS
    else:
        answer = TIE if first == const else CONSTANT_WINS
    return Race(answer, fastest, first, const)


def compute(p: Params) -> Result:
    """Every schedule's rates, and the K runs trained on them at once (one engine call)."""
    lo, hi = sorted((p.lo, p.hi))
    chosen = p.schedules or ("triangular",)
    data, spec = data_and_spec(DATASET, "mlp", HIDDEN)
    ipe = math.ceil(data.n_train / BATCH)
    total = p.epochs * ipe
    step = max(1, int(round(p.step * ipe)))
    const = constant_rate(lo, hi, p.const_at)
    keys = ("constant", *[k for k in CYCLICAL if k in chosen])
    labels = tuple(f"Constant {fmt.rate(const)}" if k == "constant" else NAMES[k] for k in keys)
    scheds: dict[str, Schedule] = {
        k: make_schedule(k, **schedule_params(k, lo, hi, step, p.gamma, total, const)) for k in keys
    }
    t = np.arange(total)
    lrs = np.stack([scheds[k].lr(t) for k in keys])
    mom = scheds["onecycle"].momentum(t) if "onecycle" in scheds else None
    eval_every = max(1, ipe // 2)
    h = train(
        spec,
        data,
        [float(v) for v in lrs[:, 0]],
        epochs=p.epochs,
        batch_size=BATCH,
        seed=p.seed,
        schedule=lrs,
        eval_every=eval_every,
    )
    runs = _runs(h, keys, labels, p.target)
    width = max(1, ipe // 4)
    centres, _ = binned(np.zeros(h.T), width)
    loss_y = np.stack([binned(h.train_loss[k], width)[1] for k in range(h.K)])
    return Result(
        params=p,
        lo=lo,
        hi=hi,
        keys=keys,
        labels=labels,
        const=const,
        ipe=ipe,
        total=total,
        step=step,
        eval_every=eval_every,
        lrs=lrs,
        momentum=mom,
        history=h,
        runs=runs,
        race=race_of(runs),
        bin_width=width,
        loss_x=centres / ipe,
        loss_y=loss_y,
        n_train=data.n_train,
        n_val=data.n_val,
    )


# ------------------------------------------------------------------------------ words


def acc(v: float) -> str:
    """An accuracy to a tenth of a percent (one validation image is about 0.3%)."""
    return fmt.MISSING if not math.isfinite(v) else f"{fmt.num(100 * v, 3)}%"


def epochs(v: float) -> str:
    return fmt.num(v, 3)


def peaks(r: Result, key: str) -> np.ndarray:
    """Iterations of a cyclical schedule's peaks in this run (its rate's local maxima at the
    top of each climb)."""
    return np.arange(r.step, r.total, 2 * r.step)


def schedule_caption(r: Result) -> str:
    """The rate chart in words; every number read from the rates it draws."""
    p = r.params
    parts = ["The learning rate each schedule uses at every iteration."]
    cyclic = [k for k in ("triangular", "triangular2", "exp_range", "sgdr") if k in r.keys]
    if cyclic:
        row = r.lrs[r.index(cyclic[0])]
        cycles = r.total / (2 * r.step)
        parts.append(
            f"A cycle climbs from {fmt.rate(r.lo)} to {fmt.rate(r.hi)} in {r.step} iterations "
            f"and comes back down in as many: {fmt.num(cycles)} cycles in {p.epochs} epochs "
            f"({r.total} iterations)."
        )
        if r.step >= r.total and cyclic[0] != "sgdr":
            parts.append(
                f"This run ends before the first peak: the rate only climbs to "
                f"{fmt.rate(float(row.max()))}."
            )
        if abs(cycles - round(cycles)) < 1e-9:
            parts.append(
                "The run ends at the end of a cycle, with the rate back at the lower bound, "
                "where Smith says to stop."
            )
        else:
            frac = cycles - math.floor(cycles)
            parts.append(
                f"The run stops {fmt.pct(frac)} of the way through a cycle, not at its end, where "
                "Smith says to stop (the rate is lowest there)."
            )
    if "exp_range" in r.keys:
        parts.append(exp_range_words(r))
    if "sgdr" in r.keys:
        parts.append("SGDR glides down along a cosine and jumps back up every cycle.")
    if "onecycle" in r.keys:
        row = r.lrs[r.index("onecycle")]
        top = int(np.argmax(row))
        parts.append(
            f"1cycle warms up from {fmt.rate(float(row[0]))} to {fmt.rate(float(row[top]))} over "
            f"the first {fmt.pct((top + 1) / r.total)} of the run, then anneals along a cosine to "
            f"{fmt.rate(float(row[-1]))} (lower bound / 10⁴). Its momentum (bottom panel) moves "
            "the other way; the runs here use plain SGD, so only the rate is applied."
        )
    return " ".join(parts)


def exp_range_words(r: Result) -> str:
    """Exp-range's peaks, as the chart draws them: the last one's height above the lower bound
    as a share of the first one's."""
    row = r.lrs[r.index("exp_range")]
    at = peaks(r, "exp_range")
    g = fmt.num(r.params.gamma, 4)
    if at.size == 0:
        return f"Exp-range shrinks by gamma = {g} per iteration and reaches no peak in this run."
    first = float(row[at[0]] - r.lo)
    if at.size == 1 or first <= 0:
        return f"Exp-range's peaks shrink by gamma = {g} per iteration; this run has one peak."
    last = float(row[at[-1]] - r.lo)
    return (
        f"Exp-range's peaks shrink by gamma = {g} per iteration: its last one (epoch "
        f"{epochs(at[-1] / r.ipe)}) reaches {fmt.pct(last / first)} of the first one's height "
        "above the lower bound."
    )


def schedule_alt(r: Result) -> str:
    """The rate chart for a screen reader: each schedule's highest rate, then the caption."""
    tops = ", ".join(
        f"{lab} peaks at {fmt.rate(float(row.max()))}"
        for lab, row in zip(r.labels, r.lrs, strict=True)
    )
    return (
        f"Learning rate per iteration over {r.total} iterations, between the lower bound "
        f"{fmt.rate(r.lo)} and the upper bound {fmt.rate(r.hi)}: {tops}. "
        + schedule_caption(r).split(". ", 1)[1]
    )


def _who(keys, r: Result) -> str:
    names = [r.label_of[k] for k in keys]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def race_headline(r: Result) -> str:
    """The run's answer to Smith's claim, in words (the same race as the question's answer)."""
    p, race = r.params, r.race
    target = fmt.pct(p.target)
    c_name = r.labels[0]
    if race.answer == NOBODY:
        return (
            f"No run reached {target} validation accuracy within {p.epochs} epochs without "
            "blowing up: lower the target or train longer."
        )
    it_const = None if race.constant is None else int(round(race.constant * r.ipe))
    if not race.fastest:
        return (
            f"Only the constant rate reached {target} (after {it_const} iterations, "
            f"{epochs(race.constant)} epochs): in this run no cyclical schedule got there. "
            "Smith's claim does not show up here."
        )
    f_name = _who(race.fastest, r)
    it_first = int(round(race.first * r.ipe))
    if race.constant is None:
        return (
            f"**{f_name}** reached {target} validation accuracy after {it_first} iterations "
            f"({epochs(race.first)} epochs); the constant rate ({c_name}) never did in "
            f"{p.epochs} epochs."
        )
    if race.answer == CYCLE_WINS:
        return (
            f"**{f_name}** reached {target} validation accuracy after {it_first} iterations "
            f"({epochs(race.first)} epochs), the constant rate after {it_const} "
            f"({epochs(race.constant)} epochs): **{fmt.factor(race.constant / race.first, 2)}× "
            "fewer iterations**, Smith's headline claim."
        )
    if race.answer == TIE:
        return (
            f"**{f_name}** and the constant rate reached {target} validation accuracy at the "
            f"same evaluation, after {it_first} iterations ({epochs(race.first)} epochs): no "
            "gain in speed in this run."
        )
    return (
        f"The **constant rate** reached {target} first, after {it_const} iterations "
        f"({epochs(race.constant)} epochs); the fastest cyclical schedule ({f_name}) needed "
        f"{it_first} ({epochs(race.first)} epochs). Smith's claim does not show up in this run."
    )


def finals_sentence(r: Result) -> str:
    ok = [x for x in r.runs if not x.diverged and math.isfinite(x.final_loss)]
    if not ok:
        return "Every run diverged: lower the upper bound."
    low = min(x.final_loss for x in ok)
    top = max(x.final_acc for x in ok)
    by_loss = [x.key for x in ok if x.final_loss == low]
    by_acc = [x.key for x in ok if x.final_acc == top]
    return (
        f"At the end, the lowest validation loss is {_who(by_loss, r)}'s ({fmt.loss(low)}) and "
        f"the highest validation accuracy {_who(by_acc, r)}'s ({acc(top)}). One validation "
        f"image is {fmt.pct(1 / r.n_val)} of {r.n_val}: differences of a few tenths of a "
        "percent are a few images, so change the seed to see which survive."
    )


def reach_words(r: Result, x: Run) -> str:
    p = r.params
    target = fmt.pct(p.target)
    if x.reach is None:
        best = "" if not math.isfinite(x.best_acc) else f" (best {acc(x.best_acc)})"
        return f"never reached {target} validation accuracy in {p.epochs} epochs{best}"
    words = (
        f"reached {target} validation accuracy after {x.reach_iter} iterations "
        f"({epochs(x.reach)} epochs)"
    )
    if x.diverged:
        words += ", then blew up: it does not count in the race"
    return words


def rows(p: Params, r: Result) -> list[Row]:
    """One verdict line per run: the engine's classification, then the race."""
    return [Row(x.label, x.kind, f"{x.text}; {reach_words(r, x)}") for x in r.runs]


def race_setup(r: Result) -> str:
    return (
        f"The digits (8x8 images, {r.n_train} for training, {r.n_val} for validation), a "
        f"64-{HIDDEN[0]}-10 network, plain SGD on minibatches of {BATCH}: the same weights at the "
        "start and the same minibatches for every schedule."
    )


def loss_caption(r: Result) -> str:
    return (
        f"Training loss (log scale), averaged over bins of {r.bin_width} iterations (about a "
        "quarter epoch). The cyclical curves wobble with their rate: the loss falls fastest "
        "while the rate comes down."
    )


def loss_alt(r: Result) -> str:
    ends = []
    for lab, row in zip(r.labels, r.loss_y, strict=True):
        fin = row[np.isfinite(row)]
        ends.append(f"{lab} ends at {fmt.loss(float(fin[-1])) if fin.size else fmt.MISSING}")
    return "Training loss per bin of iterations: " + "; ".join(ends) + "."


def accuracy_caption(r: Result) -> str:
    return (
        f"Validation accuracy, measured every {r.eval_every} iterations (half an epoch); the "
        f"dashed line is the target ({fmt.pct(r.params.target)}), a star where each schedule "
        "first reaches it."
    )


def accuracy_alt(r: Result) -> str:
    return (
        "Validation accuracy over the epochs: "
        + "; ".join(f"{x.label} {reach_words(r, x)}" for x in r.runs)
        + f". {race_headline(r)}"
    ).replace("**", "")


def question(p: Params, r: Result) -> Question:
    return Question(
        "Each schedule trains the same digits classifier from the same starting weights. Which "
        f"reaches **{fmt.pct(p.target)}** validation accuracy in the fewest iterations?",
        QUIZ_OPTIONS,
        r.race.answer,
        f"In this run: {race_headline(r).replace('**', '')} The stars on the accuracy chart "
        "mark where each schedule first got there.",
    )


def table(r: Result) -> pd.DataFrame:
    """The race's final numbers, as the page shows them."""
    return pd.DataFrame(
        {
            "schedule": list(r.labels),
            "final val. accuracy": [acc(x.final_acc) for x in r.runs],
            "best val. accuracy (epoch)": [
                f"{acc(x.best_acc)} ({epochs(x.best_epoch)})" for x in r.runs
            ],
            f"epochs to {fmt.pct(r.params.target)}": [
                "never" if x.reach is None else epochs(x.reach) for x in r.runs
            ],
            "final val. loss": [fmt.loss(x.final_loss) for x in r.runs],
            "train loss, last epoch": [fmt.loss(x.train_loss) for x in r.runs],
            "verdict": [
                f"diverged at iteration {x.diverged_at}" if x.diverged else str(x.kind)
                for x in r.runs
            ],
        }
    )


def table_csv(r: Result) -> pd.DataFrame:
    """The race's final numbers, unformatted (CSV)."""
    return pd.DataFrame(
        {
            "schedule": list(r.labels),
            "final_val_acc": [x.final_acc for x in r.runs],
            "best_val_acc": [x.best_acc for x in r.runs],
            "best_epoch": [x.best_epoch for x in r.runs],
            f"epochs_to_{round(r.params.target * 100)}pct": [
                np.nan if x.reach is None else x.reach for x in r.runs
            ],
            "final_val_loss": [x.final_loss for x in r.runs],
            "train_loss_last_epoch": [x.train_loss for x in r.runs],
            "diverged_at": [x.diverged_at for x in r.runs],
            "verdict": [str(x.kind) for x in r.runs],
        }
    )


def rates_frame(r: Result) -> pd.DataFrame:
    """The rate chart's data (CSV)."""
    t = np.arange(r.total)
    df = pd.DataFrame({"iteration": t, "epoch": t / r.ipe})
    for label, row in zip(r.labels, r.lrs, strict=True):
        df[f"lr {label}"] = row
    if r.momentum is not None:
        df["momentum 1cycle (not applied)"] = r.momentum
    return df


def loss_frame(r: Result) -> pd.DataFrame:
    """Every run's batch loss and rate per iteration (CSV; NaN after a blow-up)."""
    h = r.history
    it = np.arange(h.T)
    df = pd.DataFrame({"iteration": it, "epoch": it / r.ipe})
    for k, label in enumerate(r.labels):
        df[f"batch loss {label}"] = h.train_loss[k]
        df[f"lr {label}"] = h.lr[k]
    return df


def val_frame(r: Result) -> pd.DataFrame:
    """Every run's validation loss and accuracy per evaluation (CSV)."""
    h = r.history
    parts = [
        pd.DataFrame(
            {
                "schedule": label,
                "iteration": h.eval_iters,
                "epoch": h.eval_iters / r.ipe,
                "val_loss": h.val_loss[k],
                "val_acc": h.val_acc[k],
            }
        )
        for k, label in enumerate(r.labels)
    ]
    return pd.concat(parts, ignore_index=True)


# ------------------------------------------------------------------------------ take it home


def takehome(p: Params, r: Result) -> TakeHome:
    """This race as code: LR Lab's engine trains the constant rate and every schedule shown at
    once, on the page's rates; PyTorch trains one run per schedule with its torch scheduler
    (``CyclicLR``, ``OneCycleLR``, ``CosineAnnealingWarmRestarts``; cycle_momentum=False, as
    the runs are plain SGD)."""
    schedules = [
        (label, (key, schedule_params(key, r.lo, r.hi, r.step, p.gamma, r.total, r.const)))
        for key, label in zip(r.keys, r.labels, strict=True)
    ]
    common = dict(
        dataset=DATASET, model="mlp", hidden=HIDDEN, epochs=p.epochs, batch_size=BATCH, seed=p.seed
    )
    return TakeHome(
        engine=engine_train(**common, schedules=schedules, eval_every=r.eval_every),
        torch=torch_training(**common, schedules=schedules),
    )
