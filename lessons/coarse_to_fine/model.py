"""Coarse-to-fine search: sweep decades cheaply on a subset, then refine where it pays.

The model: :class:`Params` (the page's controls and URL keys), :func:`compute` (every run,
number and status the page shows) and the sentences built from a :class:`Result`.  No
Streamlit, no plotly.

One classification, used everywhere: :func:`classify` gives every rate of a stage its
:class:`Status` ("worth refining", "learning", "stalled", "diverged"); the chart's hollow
marks, the verdict rows, the summary and the quiz's answer all read that one array, so a label
and a verdict cannot disagree.

One cost for the full fine grid, used everywhere: :attr:`Result.grid_cost`, every rate of the
grid trained on all the data for stage 2's epochs (``rates × images × epochs``, the engine's
``full_grid_cost``).  Every sentence, metric, bar and percentage that mentions the full grid
uses that number.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import pandas as pd

from engine import fmt
from engine.data import Dataset, load_dataset
from engine.models import ModelSpec
from engine.search import coarse_to_fine, successive_halving
from engine.train import train
from engine.verdict import Kind
from lessons.ui.common import BATCH, HIDDEN
from lessons.ui.fields import choice, field_of, flag, number, span
from lessons.ui.parts import Question, Row, TakeHome
from takehome import engine_search, join, torch_training

DATA = "digits"
#: the decades offered for the stage-1 sweep: 1e-7 ... 10
DECADES: tuple[float, ...] = tuple(10.0**e for e in range(-7, 2))
#: the default sweep reaches 10, one decade above the best rate of softmax regression (1), so
#: stage 1 shows both sides of the best decade (measured: at 10 the loss is twice as high)
DEFAULT_RANGE = (1e-7, 10.0)
MODELS = ("softmax", "MLP")  # as shown and spelled in the URL; the engine's kind is .lower()
MODEL_NAMES = {"softmax": "softmax regression", "MLP": "an MLP (one hidden layer, 32 ReLU)"}
SUBSETS = (0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0)
#: the subset labels as the slider and the links spell them ("5%", not "5.0%")
SUBSET_NAMES = ("5%", "10%", "20%", "30%", "50%", "75%", "100%")
SAMPLINGS = ("grid", "random")
REFINE_DECADES = (1, 2)
ETAS = (2, 3, 4)
#: the caps keep the most expensive view (MLP, 1e-7 … 10, stage 1 on all the data for 10
#: epochs, 10 stage-2 rates in one decade for 8 epochs: a full grid of 73 rates) near 1.5 s cold
EPOCHS1_MAX, EPOCHS2_MAX, POINTS_MIN, POINTS_MAX, SEED_MAX = 10, 8, 3, 10, 999

#: a run "stalled" if its final validation loss is less than this share below the untrained
#: model's (5 %: from 3.00 to no lower than 2.85)
STALL_DROP = 0.05
#: a stage-1 rate is "worth refining" if it learned and got at least this share of the best
#: rate's drop
WORTH_SHARE = 0.5


@dataclass(frozen=True)
class Params:
    """The view: the search's two stages, the checks, the seed."""

    model: str = choice(
        "cf_model",
        "Model",
        MODELS,
        "softmax",
        help="Softmax regression: one linear layer. MLP: one hidden layer of 32 ReLU units. "
        "Both learn the 8×8 handwritten digits (1,438 training and 359 validation images).",
    )
    sampling: str = choice(
        "cf_sampling",
        "Stage-2 rates",
        SAMPLINGS,
        "grid",
        help="grid: evenly spaced on a log scale, ends included. random: drawn log-uniformly "
        "inside the interval (seeded).",
    )
    span: tuple[float, float] = span(
        "cf_range",
        "Stage 1 sweeps the decades from … to …",
        DECADES,
        DEFAULT_RANGE,
        names=fmt.rate,
        help="One learning rate per decade. The widest range, 1e-7 … 10, has 9 rates.",
    )
    subset: float = choice(
        "cf_subset",
        "Share of the training data",
        SUBSETS,
        0.2,
        names=SUBSET_NAMES,
        help="A seeded, stratified subset (every digit keeps its share). The validation set "
        "is always the same 359 images.",
    )
    epochs1: int = number("cf_ep1", "Epochs (passes over that subset)", 1, EPOCHS1_MAX, 3)
    decades: int = choice(
        "cf_decades",
        "Refine inside the best … decade(s)",
        REFINE_DECADES,
        1,
        help="The interval is centred (on a log scale) on the best stage-1 rate and clipped "
        "to your range.",
    )
    points: int = number("cf_points", "Rates in stage 2", POINTS_MIN, POINTS_MAX, 8)
    epochs2: int = number("cf_ep2", "Epochs", 1, EPOCHS2_MAX, 5)
    seed: int = number(
        "cf_seed", "Seed (initial weights, minibatch order, subset, random rates)", 0, SEED_MAX, 0
    )
    full: bool = flag(
        "cf_full",
        "Also run the full fine grid, to check the pick",
        True,
        help="Every rate at stage 2's density over the whole range, all data, all epochs: "
        "the expensive search coarse-to-fine avoids. Drawn as a grey line.",
    )
    halving: bool = flag(
        "cf_halving",
        "Successive halving: prune while training",
        True,
        help="Train every rate of the full grid briefly, keep the best 1/η, train those "
        "η times longer, and so on until one is left.",
    )
    eta: int = choice("cf_eta", "η (keep the best 1/η at every rung)", ETAS, 3)


SUBSET = field_of(Params, "subset")


# ------------------------------------------------------------------------- statuses


class Status(StrEnum):
    """What one rate of a search stage did (the word on the page)."""

    WORTH = "worth refining"
    LEARNING = "learning"
    STALLED = "stalled"
    DIVERGED = "diverged"


def classify(
    final_loss: np.ndarray,
    initial_loss: float,
    diverged: np.ndarray,
    *,
    worth: bool = True,
) -> np.ndarray:
    """The :class:`Status` of every run of a stage (an object array).

    ``"diverged"``: blew up (or a non-finite loss); ``"stalled"``: the final loss is less than
    :data:`STALL_DROP` of the untrained loss below it; ``"worth refining"`` (with ``worth``):
    learned, and got at least :data:`WORTH_SHARE` of the best run's drop; else ``"learning"``.

    >>> s = classify(np.array([3.0, 2.9, 2.2, 1.0, np.inf]), 3.0, np.array([0, 0, 0, 0, 1], bool))
    >>> [str(x) for x in s]
    ['stalled', 'stalled', 'learning', 'worth refining', 'diverged']
    """
    f = np.asarray(final_loss, dtype=np.float64)
    div = np.asarray(diverged, dtype=bool) | ~np.isfinite(f)
    drop = np.where(div, -np.inf, float(initial_loss) - f)
    stalled = ~div & (drop < STALL_DROP * float(initial_loss))
    out = np.array([Status.LEARNING] * f.size, dtype=object).reshape(f.shape)
    best = float(drop.max()) if drop.size else -math.inf
    if worth and best > 0:
        out[~div & ~stalled & (drop >= WORTH_SHARE * best)] = Status.WORTH
    out[stalled] = Status.STALLED
    out[div] = Status.DIVERGED
    return out


def kind_of(status: Status, lr: float, best_lr: float) -> Kind:
    """The verdict kind of a rate with ``status``: worth refining is good; a rate that
    stalled or learned too little is too slow below the best rate and plateaued above it."""
    if status == Status.WORTH:
        return Kind.GOOD
    if status == Status.DIVERGED:
        return Kind.DIVERGED
    return Kind.SLOW if lr <= best_lr else Kind.PLATEAU


#: the verdict kinds each status may carry (a label never contradicts its verdict)
KINDS_OF: dict[Status, frozenset[Kind]] = {
    Status.WORTH: frozenset({Kind.GOOD}),
    Status.LEARNING: frozenset({Kind.SLOW, Kind.PLATEAU}),
    Status.STALLED: frozenset({Kind.SLOW, Kind.PLATEAU}),
    Status.DIVERGED: frozenset({Kind.DIVERGED}),
}


# ------------------------------------------------------------------------- results


@dataclass(frozen=True, eq=False)
class Stage:
    """One search stage as the page shows it (small arrays only: no weights, no histories)."""

    lrs: np.ndarray
    loss: np.ndarray  #: final validation loss (inf if diverged)
    acc: np.ndarray
    diverged: np.ndarray
    status: np.ndarray  #: :class:`Status` per rate (from :func:`classify`)
    initial: float  #: the untrained model's validation loss
    cost: int  #: training examples processed (a diverged run stops early)
    n_train: int  #: training images used
    subset: float
    epochs: int

    @property
    def best(self) -> int:
        """Index of the lowest final loss (-1 if every run diverged)."""
        return int(np.argmin(self.loss)) if np.isfinite(self.loss).any() else -1


@dataclass(frozen=True, eq=False)
class Search:
    """One coarse-to-fine search (both stages) with one stage-2 sampling."""

    sampling: str
    coarse: Stage
    refine: Stage
    interval: tuple[float, float]
    best_lr: float  #: NaN if every stage-2 run diverged
    best_loss: float
    best_acc: float
    cost: int  #: stage 1 + stage 2, examples processed


@dataclass(frozen=True, eq=False)
class FullGrid:
    """The brute force the search avoids: every rate of the full grid, all data, all epochs."""

    lrs: np.ndarray
    loss: np.ndarray
    acc: np.ndarray
    diverged: np.ndarray
    status: np.ndarray
    best: int  #: -1 if every rate diverged


@dataclass(frozen=True, eq=False)
class Rung:
    """One rung of successive halving."""

    steps: int  #: minibatch steps every candidate of the rung has had by its end
    lrs: np.ndarray
    loss: np.ndarray
    diverged: np.ndarray
    no_gain: np.ndarray  #: no better than the untrained model (dropped whatever its rank)
    kept: np.ndarray


@dataclass(frozen=True, eq=False)
class Halving:
    """Successive halving over the full grid's rates, on all the data."""

    eta: int
    rungs: tuple[Rung, ...]
    best_lr: float
    best_loss: float
    examples_used: int


@dataclass(frozen=True, eq=False)
class Result:
    """Everything the page shows for one :class:`Params`."""

    params: Params
    lo_exp: int  #: the decades searched (a one-decade range is widened to two rates)
    hi_exp: int
    widened: bool
    search: Search  #: with the chosen stage-2 sampling
    other: Search  #: the same search with the other sampling (same seed, same cost)
    grid_points: int  #: rates of the full fine grid (stage 2's density over the whole range)
    grid_cost: int  #: THE cost of the full fine grid: rates × images × epochs
    n_train: int
    full: FullGrid | None
    halving: Halving | None


# ------------------------------------------------------------------------- compute


def exps(p: Params) -> tuple[int, int, bool]:
    """The searched decades as exponents, and whether a one-decade range had to be widened."""
    lo, hi = (round(math.log10(v)) for v in p.span)
    if lo < hi:
        return lo, hi, False
    top = round(math.log10(DECADES[-1]))
    return ((lo, lo + 1) if lo < top else (hi - 1, hi)) + (True,)


def _spec(model: str, data: Dataset) -> ModelSpec:
    return ModelSpec(model.lower(), data.n_features, data.n_classes, hidden=HIDDEN)


def _stage(s, *, worth: bool) -> Stage:
    h = s.history
    init = float(h.val_loss[0, 0])
    loss = np.asarray(s.final_loss, dtype=np.float64)
    return Stage(
        lrs=np.asarray(s.lrs, dtype=np.float64),
        loss=loss,
        acc=np.asarray(h.final_val_acc, dtype=np.float64),
        diverged=np.asarray(s.diverged, dtype=bool),
        status=classify(loss, init, s.diverged, worth=worth),
        initial=init,
        cost=int(s.cost),
        n_train=int(h.n_train),
        subset=float(s.subset),
        epochs=int(s.epochs),
    )


def _search(p: Params, data: Dataset, lo: int, hi: int, sampling: str):
    res = coarse_to_fine(
        _spec(p.model, data),
        data,
        lo_exp=lo,
        hi_exp=hi,
        coarse_subset=p.subset,
        coarse_epochs=p.epochs1,
        refine_points=p.points,
        refine_decades=float(p.decades),
        refine_subset=1.0,
        refine_epochs=p.epochs2,
        batch_size=BATCH,
        seed=p.seed,
        sampling=sampling,
    )
    refine = _stage(res.refine, worth=False)
    b = refine.best
    search = Search(
        sampling=sampling,
        coarse=_stage(res.coarse, worth=True),
        refine=refine,
        interval=(float(res.interval[0]), float(res.interval[1])),
        best_lr=float(res.best_lr),
        best_loss=float(res.best_loss),
        best_acc=float(refine.acc[b]) if b >= 0 else math.nan,
        cost=int(res.cost),
    )
    return search, res


def grid_rates(lo_exp: int, hi_exp: int, points: int) -> np.ndarray:
    """The full fine grid: stage 2's density over the whole range (as the engine counts it)."""
    return 10.0 ** np.linspace(lo_exp, hi_exp, points)


def _full_grid(p: Params, data: Dataset, lrs: np.ndarray, initial: float) -> FullGrid:
    h = train(_spec(p.model, data), data, lrs, epochs=p.epochs2, batch_size=BATCH, seed=p.seed)
    loss = np.asarray(h.final_val_loss, dtype=np.float64).copy()
    loss[h.diverged | ~np.isfinite(loss)] = np.inf
    return FullGrid(
        lrs=lrs,
        loss=loss,
        acc=np.asarray(h.final_val_acc, dtype=np.float64),
        diverged=np.asarray(h.diverged, dtype=bool),
        status=classify(loss, initial, h.diverged, worth=False),
        best=int(np.argmin(loss)) if np.isfinite(loss).any() else -1,
    )


def _halving(p: Params, data: Dataset, lrs: np.ndarray) -> Halving:
    ipe = math.ceil(data.n_train / BATCH)
    res = successive_halving(
        _spec(p.model, data),
        data,
        lrs,
        max_steps=p.epochs2 * ipe,
        eta=p.eta,
        batch_size=BATCH,
        seed=p.seed,
    )
    rungs = tuple(
        Rung(
            steps=int(r.steps),
            lrs=np.asarray(r.lrs, dtype=np.float64),
            loss=np.asarray(r.val_loss, dtype=np.float64),
            diverged=np.asarray(r.diverged, dtype=bool),
            no_gain=np.asarray(r.stalled, dtype=bool),
            kept=np.asarray(r.kept, dtype=bool),
        )
        for r in res.rungs
    )
    return Halving(
        eta=p.eta,
        rungs=rungs,
        best_lr=float(res.best_lr),
        best_loss=float(res.best_loss),
        examples_used=int(res.examples_used),
    )


def compute(p: Params) -> Result:
    """Both stages with both samplings, and (if asked) the full grid and successive halving:
    one batched engine call per stage."""
    data = load_dataset(DATA)
    lo, hi, widened = exps(p)
    search, res = _search(p, data, lo, hi, p.sampling)
    other, _ = _search(p, data, lo, hi, "random" if p.sampling == "grid" else "grid")
    lrs = grid_rates(lo, hi, int(res.full_grid_points))
    return Result(
        params=p,
        lo_exp=lo,
        hi_exp=hi,
        widened=widened,
        search=search,
        other=other,
        grid_points=int(res.full_grid_points),
        grid_cost=int(res.full_grid_cost),
        n_train=int(data.n_train),
        full=_full_grid(p, data, lrs, search.refine.initial) if p.full else None,
        halving=_halving(p, data, lrs) if p.halving else None,
    )


# ------------------------------------------------------------------------- words


def rates(lrs: np.ndarray) -> str:
    """A short list of rates: "0.1, 1" or "1e-7 … 1e-4" for a long consecutive run."""
    shown = [fmt.rate(float(x)) for x in lrs]
    if len(shown) > 3:
        return f"{shown[0]} … {shown[-1]}"
    return ", ".join(shown)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def range_note(r: Result) -> str | None:
    """Said when a one-decade range had to be widened to two rates."""
    if not r.widened:
        return None
    return (
        "Stage 1 needs at least two rates, a decade apart, to compare; searching "
        f"{fmt.rate(10.0**r.lo_exp)} … {fmt.rate(10.0**r.hi_exp)} instead."
    )


def stage1_head(r: Result) -> str:
    c = r.search.coarse
    return (
        f"Stage 1 trained {c.lrs.size} rates on {SUBSET.name(c.subset)} of the training data "
        f"({fmt.count(c.n_train)} images) for {_plural(c.epochs, 'epoch')}:"
    )


def _groups(c: Stage) -> list[tuple[Status, Kind, np.ndarray]]:
    """Consecutive runs of rates with the same status and verdict kind, in rate order."""
    b = c.best
    best_lr = float(c.lrs[b]) if b >= 0 else math.inf
    kinds = [kind_of(s, float(lr), best_lr) for s, lr in zip(c.status, c.lrs, strict=True)]
    out: list[tuple[Status, Kind, list[int]]] = []
    for i, (s, k) in enumerate(zip(c.status, kinds, strict=True)):
        if out and out[-1][0] == s and out[-1][1] == k:
            out[-1][2].append(i)
        else:
            out.append((Status(s), k, [i]))
    return [(s, k, np.asarray(idx)) for s, k, idx in out]


def rows(p: Params, r: Result) -> list[Row]:
    """One verdict line per group of stage-1 rates that did the same thing."""
    c = r.search.coarse
    b = c.best
    out = []
    for status, kind, idx in _groups(c):
        loss = c.loss[idx]
        if status == Status.WORTH:
            text = (
                f"got at least {fmt.pct(WORTH_SHARE)} as far down as the best, "
                f"{fmt.rate(float(c.lrs[b]))} (final validation loss {_span(loss)}, from the "
                f"untrained model's {fmt.loss(c.initial)}): stage 2 refines here"
            )
        elif status == Status.STALLED:
            text = (
                f"the validation loss fell by less than {fmt.pct(STALL_DROP)} from the untrained "
                f"model's {fmt.loss(c.initial)} (final {_span(loss)})"
            )
        elif status == Status.LEARNING:
            text = (
                f"learned (final validation loss {_span(loss)}), but less than "
                f"{fmt.pct(WORTH_SHARE)} as far down as the best"
            )
        else:
            text = "the loss blew up: this rate is too large"
        out.append(Row(f"{status}: {rates(c.lrs[idx])}", kind, text))
    return out


def _span(v: np.ndarray) -> str:
    lo, hi = float(np.min(v)), float(np.max(v))
    return fmt.loss(lo) if fmt.loss(lo) == fmt.loss(hi) else f"{fmt.loss(lo)} … {fmt.loss(hi)}"


def summary(r: Result) -> str:
    """Stage 1 in one sentence (the quiz's explanation), from the same statuses as the rows."""
    c = r.search.coarse
    n = c.lrs.size
    parts = []
    for status, words in (
        (
            Status.STALLED,
            f"the validation loss fell by less than {fmt.pct(STALL_DROP)} from the untrained "
            f"model's {fmt.loss(c.initial)}",
        ),
        (Status.DIVERGED, None),
        (Status.WORTH, None),
    ):
        m = c.status == status
        if not m.any():
            continue
        k = int(m.sum())
        if status == Status.STALLED:
            parts.append(f"{k} of {n} stalled ({rates(c.lrs[m])}: {words})")
        elif status == Status.DIVERGED:
            parts.append(f"{k} diverged ({rates(c.lrs[m])})")
        else:
            parts.append(
                f"{k} got at least {fmt.pct(WORTH_SHARE)} as far down as the best one "
                f"({rates(c.lrs[m])}): {'that is' if k == 1 else 'those are'} worth refining"
            )
    body = "; ".join(parts) if parts else "every rate learned something"
    return f"{stage1_head(r)[:-1]}: {body}."


def edge_note(r: Result) -> str | None:
    """A warning when stage 1's best rate sits at an end of the swept range."""
    c = r.search.coarse
    b = c.best
    if b < 0:
        return (
            "Every stage-1 rate diverged, so stage 2 refined around the smallest one. Move the "
            "range down."
        )
    if b == c.lrs.size - 1:
        more = (
            "Widen the range upwards to find out where training breaks."
            if c.lrs[b] < DECADES[-1]
            else "10 is the top of this slider; *Four regimes* lets you try larger rates."
        )
        return (
            f"The best stage-1 rate, {fmt.rate(float(c.lrs[b]))}, is the **largest** you "
            "tried: the loss might fall further above it, and stage 2 could only refine below "
            f"it. {more}"
        )
    if b == 0:
        return (
            f"The best stage-1 rate, {fmt.rate(float(c.lrs[b]))}, is the **smallest** you "
            "tried: widen the range downwards."
        )
    return None


def pick_sentence(r: Result) -> str:
    s = r.search
    if not math.isfinite(s.best_lr):
        return (
            "**No pick:** every stage-2 rate diverged. Lower the range or refine inside two "
            "decades."
        )
    return (
        f"**The pick: lr = {fmt.rate(s.best_lr)}**, the stage-2 rate with the lowest final "
        f"validation loss, **{fmt.loss(s.best_loss)}** (validation accuracy "
        f"{fmt.pct(s.best_acc)}) after {_plural(s.refine.epochs, 'epoch')} on all "
        f"{fmt.count(r.n_train)} training images."
    )


def share(part: float, r: Result) -> str:
    """``part`` as a share of the full grid's cost (THE one number)."""
    return fmt.pct(part / r.grid_cost)


def full_sentence(r: Result) -> str | None:
    g = r.full
    if g is None:
        return None
    if g.best < 0:
        return "**Check:** the full fine grid (run here too): every rate diverged."
    glr, gloss = float(g.lrs[g.best]), float(g.loss[g.best])
    head = (
        f"**Check:** the full fine grid (run here too) picks lr = {fmt.rate(glr)} with "
        f"validation loss {fmt.loss(gloss)} (accuracy {fmt.pct(float(g.acc[g.best]))}). "
    )
    s = r.search
    if not math.isfinite(s.best_lr):
        return head
    gap = s.best_loss / gloss - 1.0
    if gap <= 1e-12:
        tail = "Coarse-to-fine found a loss at least as low"
    else:
        tail = f"Coarse-to-fine's pick is {fmt.pct(gap)} worse in loss"
    return head + f"{tail}, for {share(s.cost, r)} of the full grid's cost."


def cost_sentence(r: Result) -> str:
    s = r.search
    c, f = s.coarse, s.refine
    return (
        f"**Cost:** stage 1 processed {fmt.count(c.cost)} training examples and stage 2 "
        f"{fmt.count(f.cost)} (a diverged run stops early and costs less): "
        f"{fmt.count(s.cost)} in all, **{share(s.cost, r)} of the full fine grid's "
        f"{fmt.count(r.grid_cost)}** ({r.grid_points} rates at stage 2's density over the "
        f"whole range × {fmt.count(r.n_train)} images × {_plural(f.epochs, 'epoch')}), "
        f"{fmt.num(r.grid_cost / s.cost, 2)} times cheaper."
    )


def cost_bars(r: Result) -> tuple[list[str], list[tuple[str, list[int]]]]:
    """The cost chart's bars (one per strategy) and their stacked parts, in examples."""
    s = r.search
    labels = [f"full grid ({r.grid_points} rates)", "coarse-to-fine"]
    parts = [
        ("full grid", [r.grid_cost, 0]),
        ("stage 1", [0, s.coarse.cost]),
        ("stage 2", [0, s.refine.cost]),
    ]
    if r.halving is not None:
        labels.append("successive halving")
        parts = [(name, [*v, 0]) for name, v in parts]
        parts.append(("halving", [0, 0, r.halving.examples_used]))
    return labels, parts


def cost_table(r: Result) -> pd.DataFrame:
    labels, parts = cost_bars(r)
    totals = np.sum([v for _, v in parts], axis=0)
    return pd.DataFrame(
        {
            "strategy": labels,
            "examples_processed": totals.astype(int),
            "share_of_full_grid": totals / r.grid_cost,
        }
    )


def cost_caption(r: Result) -> str:
    return (
        "What each strategy costs, in training examples processed (one example through one "
        "gradient step counts 1, so an epoch on all the data costs "
        f"{fmt.count(r.n_train)}); the percentage is the share of the full grid's "
        f"{fmt.count(r.grid_cost)}."
    )


def cost_alt(r: Result) -> str:
    labels, parts = cost_bars(r)
    totals = np.sum([v for _, v in parts], axis=0)
    bars = "; ".join(
        f"{lab}: {fmt.count(t)} examples ({share(t, r)})"
        for lab, t in zip(labels, totals, strict=True)
    )
    return f"Cost of each strategy, in training examples processed. {bars}."


def metrics(r: Result) -> list[tuple[str, str, str | None]]:
    """(label, value, change against the full grid) of the cost metrics."""
    s = r.search
    out = [
        (
            "Coarse-to-fine (examples processed)",
            fmt.count(s.cost),
            f"{fmt.pct(s.cost / r.grid_cost - 1)} vs the full grid",
        ),
        ("Full fine grid", fmt.count(r.grid_cost), None),
    ]
    if r.halving is not None:
        used = r.halving.examples_used
        out.append(
            (
                "Successive halving (examples)",
                fmt.count(used),
                f"{fmt.pct(used / r.grid_cost - 1)} vs the full grid",
            )
        )
    return out


def sampling_sentence(r: Result) -> str:
    p = r.params
    names = {
        "grid": "the log-spaced grid",
        "random": f"log-uniform random sampling (seed {p.seed})",
    }

    def one(x: Search) -> str:
        if not math.isfinite(x.best_lr):
            return "no rate (all diverged)"
        return f"lr = {fmt.rate(x.best_lr)} (loss {fmt.loss(x.best_loss)})"

    return (
        f"**Grid or random?** In stage 2, {names[r.search.sampling]} picks {one(r.search)}; "
        f"{names[r.other.sampling]} would pick {one(r.other)}, with as many runs. With "
        "one hyperparameter a grid covers the interval evenly, while random points can bunch "
        "up and leave gaps, so neither wins reliably; change the seed to see random's luck "
        "vary. Random sampling pays off when you tune several hyperparameters at once and only "
        "some matter: a 3 × 3 grid tries only 3 values of each, nine random points try 9 "
        "(Bergstra & Bengio 2012)."
    )


class Fate(StrEnum):
    """What happened to a candidate at one rung of successive halving."""

    PROMOTED = "promoted"
    DROPPED = "dropped"
    NO_GAIN = "no better than untrained"
    DIVERGED = "diverged"
    WINNER = "winner"


def halving_status(rung: Rung, last: bool) -> np.ndarray:
    """Per candidate of a rung: promoted / winner, dropped, no better than untrained or
    diverged."""
    out = np.array([Fate.DROPPED] * rung.lrs.size, dtype=object)
    out[rung.kept] = Fate.WINNER if last else Fate.PROMOTED
    out[rung.no_gain] = Fate.NO_GAIN
    out[rung.diverged] = Fate.DIVERGED
    return out


def halving_sentence(r: Result) -> str | None:
    hv = r.halving
    if hv is None:
        return None
    steps = " → ".join(f"{_plural(rg.lrs.size, 'rate')} to {rg.steps} steps" for rg in hv.rungs)
    div = sum(int(rg.diverged.sum()) for rg in hv.rungs)
    gain = sum(int(rg.no_gain.sum()) for rg in hv.rungs)
    if math.isfinite(hv.best_lr):
        win = (
            f"The last survivor is **lr = {fmt.rate(hv.best_lr)}** (validation loss "
            f"{fmt.loss(hv.best_loss)})."
        )
    else:
        win = "No candidate survived: every one diverged or did no better than untrained."
    return (
        f"**Successive halving** (η = {hv.eta}) over the full grid's {r.grid_points} rates "
        f"on all the data: {steps}. {_plural(div, 'run')} dropped as diverged, {gain} as no "
        f"better than the untrained model. {win} It processed {fmt.count(hv.examples_used)} "
        f"training examples instead of the full grid's {fmt.count(r.grid_cost)} (every rate "
        f"trained to the end): **{share(hv.examples_used, r)} of the cost**."
    )


def halving_caption(r: Result) -> str:
    eta = r.params.eta
    return (
        f"Each row is a rung: every rate still in the race trains on (from its weights) until "
        f"it has had the steps in the row's name; then the best 1/{eta} by validation loss go "
        "on (filled circles), the rest are dropped (hollow), and a run that diverged (×) or "
        "did no better than the untrained model (▽) is dropped whatever its rank. The star is "
        "the winner, the only rate trained for the full budget."
    )


def halving_table(r: Result) -> pd.DataFrame:
    rows_ = []
    hv = r.halving
    for i, rg in enumerate(hv.rungs):
        fate = halving_status(rg, i == len(hv.rungs) - 1)
        for lr, loss, s in zip(rg.lrs, rg.loss, fate, strict=True):
            rows_.append((i + 1, rg.steps, lr, loss, str(s)))
    return pd.DataFrame(rows_, columns=["rung", "steps", "lr", "val_loss", "status"])


def stage_name(r: Result, i: int) -> str:
    """The legend names of stage 1 (``i = 0``) and stage 2."""
    s = r.search
    if i == 0:
        c = s.coarse
        return f"stage 1: {c.lrs.size} rates, {SUBSET.name(c.subset)} data, {c.epochs} ep."
    f = s.refine
    return f"stage 2: {f.lrs.size} rates ({s.sampling}), all data, {f.epochs} ep."


def search_caption(r: Result) -> str:
    full = (
        " The thin grey line is the full fine grid: every rate at stage 2's density, all "
        "the data, all the epochs, which the search is meant to avoid paying for."
        if r.full is not None
        else ""
    )
    return (
        "Final validation loss (log scale) against the learning rate (log scale). "
        "Circles on a dotted line: stage 1, one rate per decade, short training on a subset. "
        "Squares: stage 2, inside the shaded interval, on all the data. Hollow marks stalled "
        f"(the loss fell by less than {fmt.pct(STALL_DROP)}); an × at the top edge diverged. "
        f"The star is the pick.{full}"
    )


def search_alt(r: Result) -> str:
    s = r.search
    c = s.coarse
    b = c.best
    best = (
        f"stage 1's best rate is {fmt.rate(float(c.lrs[b]))} (loss {fmt.loss(float(c.loss[b]))})"
        if b >= 0
        else "every stage-1 rate diverged"
    )
    pick = (
        f"picked {fmt.rate(s.best_lr)} (loss {fmt.loss(s.best_loss)})"
        if math.isfinite(s.best_lr)
        else "picked nothing: every run diverged"
    )
    a, z = s.interval
    counts = ", ".join(
        f"{int((c.status == st).sum())} {st}" for st in Status if (c.status == st).any()
    )
    return (
        f"Final validation loss against the learning rate, log scales. Stage 1 ({counts}): "
        f"{best}; stage 2 searched {fmt.rate(a)} … {fmt.rate(z)} and {pick}."
    )


def close_caption(r: Result) -> str:
    a, z = r.search.interval
    return (
        f"The same runs, only the rates {fmt.rate(a)} … {fmt.rate(z)} that stage 2 searched: "
        "the squares are its rates, the star the one with the lowest validation loss."
    )


def close_alt(r: Result) -> str:
    s = r.search
    a, z = s.interval
    pick = (
        f"the lowest validation loss, {fmt.loss(s.best_loss)}, is at {fmt.rate(s.best_lr)}, "
        "the pick"
        if math.isfinite(s.best_lr)
        else "every one diverged"
    )
    return (
        f"Close-up of stage 2: {s.refine.lrs.size} rates from {fmt.rate(a)} to {fmt.rate(z)}; "
        f"{pick}."
    )


def search_table(r: Result) -> pd.DataFrame:
    """Every run of the search (and of the full grid), the CSV behind the search chart."""
    s = r.search
    out = []
    for name, st in (("stage 1", s.coarse), ("stage 2", s.refine)):
        for lr, loss, acc, stat in zip(st.lrs, st.loss, st.acc, st.status, strict=True):
            out.append((name, lr, loss, acc, str(stat), st.subset, st.epochs))
    if r.full is not None:
        g = r.full
        for lr, loss, acc, stat in zip(g.lrs, g.loss, g.acc, g.status, strict=True):
            out.append(("full grid", lr, loss, acc, str(stat), 1.0, s.refine.epochs))
    df = pd.DataFrame(
        out,
        columns=["stage", "lr", "final_val_loss", "final_val_acc", "status", "subset", "epochs"],
    )
    df["picked"] = (df["stage"] == "stage 2") & (df["lr"] == s.best_lr)
    return df


def halving_steps(p: Params, r: Result) -> int:
    """The survivor's minibatch steps in successive halving: stage 2's epochs on all the data."""
    return p.epochs2 * math.ceil(r.n_train / BATCH)


def stage2_note(p: Params, r: Result) -> str:
    """How stage 2 refines, in words, with this view's numbers (the PyTorch tab's note)."""
    s = r.search
    c = s.coarse
    a, z = s.interval
    how = (
        "log-spaced, both ends included"
        if s.sampling == "grid"
        else f"drawn log-uniformly (seed {p.seed})"
    )
    centre = (
        f"the stage-1 rate with the lowest final validation loss ({fmt.rate(float(c.lrs[c.best]))} "
        "here; a run that blew up counts as the worst)"
        if c.best >= 0
        else f"the smallest rate ({fmt.rate(float(c.lrs[0]))}), as every stage-1 run blew up"
    )
    pick = (
        f" The page's pick is lr = {fmt.rate(s.best_lr)}."
        if math.isfinite(s.best_lr)
        else " On the page every stage-2 run diverged."
    )
    return (
        f"Stage 2 centres {_plural(p.decades, 'decade')} (on a log scale, clipped to the range "
        f"{fmt.rate(10.0**r.lo_exp)} … {fmt.rate(10.0**r.hi_exp)}) on {centre}: "
        f"{fmt.rate(a)} … {fmt.rate(z)}, with {p.points} rates {how}, each trained on all the "
        f"training data for {_plural(p.epochs2, 'epoch')}. To run it here, drop the "
        f"subset_dataset line, set the epochs to {p.epochs2} and train the rates of "
        f"search.refine.lrs (the engine tab); the pick is the rate with the lowest final "
        f"validation loss.{pick}"
    )


def takehome(p: Params, r: Result) -> TakeHome:
    """This search as code: LR Lab's engine reruns both stages (and the checks shown), and
    PyTorch runs stage 1's sweep over the decades on the same subset.

    Reads only the search from ``r`` (its decades, stage-1 rates and stage-2 interval), not
    the full grid or successive halving."""
    kind = p.model.lower()
    engine = engine_search(
        dataset=DATA,
        model=kind,
        hidden=HIDDEN,
        lo_exp=r.lo_exp,
        hi_exp=r.hi_exp,
        coarse_subset=p.subset,
        coarse_epochs=p.epochs1,
        refine_points=p.points,
        refine_decades=float(p.decades),
        refine_subset=1.0,
        refine_epochs=p.epochs2,
        sampling=p.sampling,
        compare_sampling=True,
        full_grid=p.full,
        halving_eta=p.eta if p.halving else None,
        halving_steps=halving_steps(p, r) if p.halving else None,
        batch_size=BATCH,
        seed=p.seed,
    )
    stage1 = torch_training(
        dataset=DATA,
        subset=p.subset,
        model=kind,
        hidden=HIDDEN,
        lrs=tuple(float(v) for v in r.search.coarse.lrs),
        epochs=p.epochs1,
        batch_size=BATCH,
        seed=p.seed,
    )
    return TakeHome(engine=engine, torch=join(stage1, notes=(stage2_note(p, r),)))


QUIZ_OPTIONS = (
    "All of them: a short run on a small subset cannot tell them apart",
    "More than a third of them, but not all",
    "A few: a third of them or fewer",
    "None: the runs are too short to learn anything",
)


def quiz_answer(r: Result) -> int:
    """Which :data:`QUIZ_OPTIONS` entry the run supports (from the stage-1 statuses)."""
    worth = r.search.coarse.status == Status.WORTH
    k, n = int(worth.sum()), worth.size
    if k == 0:
        return 3
    if k == n:
        return 0
    return 2 if 3 * k <= n else 1


def question(p: Params, r: Result) -> Question:
    c = r.search.coarse
    n = c.lrs.size
    k = int((c.status == Status.WORTH).sum())
    return Question(
        f"Stage 1 trains {n} rates ({fmt.rate(10.0**r.lo_exp)} … {fmt.rate(10.0**r.hi_exp)}, "
        f"one per decade) for only {_plural(c.epochs, 'epoch')} on {SUBSET.name(c.subset)} of "
        f"the data. How many of the {n} will be **worth refining**, i.e. get at least half as "
        "far down as the best one?",
        QUIZ_OPTIONS,
        quiz_answer(r),
        f"{k} of {n}. {summary(r)} A short, cheap run is enough to throw away rates that are "
        "orders of magnitude off: it does not need to be precise, only to rank.",
    )


INTRO = (
    "Which learning rate? Don't guess, and don't try a thousand on all the data. **Stage 1** "
    "tries one rate per decade, briefly, on a small subset; **stage 2** refines inside the best "
    "decade on all the data. Cheap pruning first, precision later; the cost is counted in "
    "training examples processed."
)
#: the one sentence under the title in lecture mode
LECTURE_INTRO = (
    "Stage 1 tries one rate per decade, briefly, on a subset; stage 2 refines "
    "inside the best decade on all the data."
)

NARRATIVE = (
    "- **Don't start with the whole dataset.** A rate that is 100 times too small or too "
    "large shows it within a few epochs on a fifth of the data: stage 1 spends little to "
    "throw most of the range away.\n"
    "- **Precision later.** Only the best decade gets a fine set of rates, trained on all the "
    "data for longer; the star is the pick.\n"
    "- **Count the cost** in examples processed and compare with brute force (the grey line): "
    "same pick, a fraction of the cost.\n"
    "- **Try:** the subset at 5 % (does stage 1 still point at the right decade?), 1 epoch in "
    "stage 1, the range only up to 1 (the best rate is then the largest tried: you cannot see "
    "where training breaks), the MLP, random sampling with a few seeds, and η in successive "
    "halving."
)
