"""Range test: raise the learning rate every iteration, watch the loss, and read the bounds off
the curve (Smith 2017); then train fresh models at a suggestion, 10x lower and 10x higher, to
see whether it was a good one.

The model: :class:`Params` (the page's controls and URL keys), :func:`compute` (the range test,
every rule's reading of it and the three "try it" runs) and the sentences built from a
:class:`Result`, including the link that hands Smith's bounds on to the Cyclical schedules
page (:func:`handoff_query`).  No Streamlit, no plotly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine import fmt
from engine.range_test import RULES, RangeTestResult, SmithBounds, Suggestion, range_test
from engine.train import History, classify_run, train
from engine.verdict import NEVER, Kind
from lessons.cyclical import model as cyclical
from lessons.ui.common import BATCH, HIDDEN, ONE_TWO_FIVE, data_and_spec, rate_grid
from lessons.ui.fields import choice, number, to_query
from lessons.ui.parts import Question, Row, TakeHome
from takehome import engine_range_test, torch_range_test

DATASETS: tuple[str, ...] = ("digits", "moons", "spirals")
MODELS: tuple[str, ...] = ("MLP", "softmax")
#: learning rates on a log scale, 1e-7 ... 100 (1, 2, 5 per decade), labelled as the page
#: always labelled them (so every saved link keeps its spelling)
LR_OPTIONS: tuple[float, ...] = rate_grid(-7, 2, ONE_TWO_FIVE)
LR_NAMES: tuple[str, ...] = tuple(f"{m}e-{e}" for e in range(7, 0, -1) for m in (1, 2, 5)) + (
    "1",
    "2",
    "5",
    "10",
    "20",
    "50",
    "100",
)
ITERS: tuple[int, ...] = (30, 50, 100, 150, 200, 300, 500, 750, 1000)
MODES: tuple[str, ...] = ("exponential", "linear")
VIEWS: tuple[str, ...] = ("loss", "accuracy")
BETAS: tuple[float, ...] = (0.0, 0.5, 0.8, 0.9, 0.95, 0.98, 0.99)
#: early-stop factors; infinity is "off" (run the whole ramp)
STOPS: tuple[float, ...] = (2.0, 3.0, 4.0, 5.0, 10.0, math.inf)
STOP_NAMES: tuple[str, ...] = ("2", "3", "4", "5", "10", "off")
VAL_EVERY: tuple[int, ...] = (1, 2, 5, 10, 20)
MAX_SEED = 9999
#: colour/dash index of every rule's line (the curves themselves are grey and black)
RULE_STYLE = {rule: i for i, rule in enumerate(RULES)}
RULE_LABEL = {
    "steepest": "steepest",
    "minimum / 10": "min/10",
    "valley": "valley",
    "Smith: start": "start",
    "Smith: max": "max",
    "Smith: min": "min",
}
RULE_NOTES = {
    "steepest": "where the smoothed loss falls fastest per tenfold increase of the rate "
    "(fastai's *steep*, pytorch-lr-finder's and Lightning's suggestion)",
    "minimum / 10": "the rate at the lowest smoothed loss, divided by ten (fastai's *minimum*)",
    "valley": "about half-way down the longest falling stretch of the smoothed loss (fastai's "
    "default, *valley*)",
    "Smith: start": "where the loss starts to fall clearly (Smith's lower reading)",
    "Smith: max": "where the loss stops falling or turns ragged: the largest rate that still "
    "converges, and a good initial rate (Smith)",
    "Smith: min": "a quarter to a third of max: Smith's rule of thumb for the lower bound of a cycle",
}
#: colour/dash of the three "try it" runs: 10x lower (blue), the suggestion (green), 10x higher
TRY_STYLES = (0, 2, 1)
QUIZ_OPTIONS = (
    "It trains fine, and ends with a lower loss than at the suggested rate",
    "It trains, but ends with a higher loss than at the suggested rate",
    "It blows up: the loss diverges",
)
LOWER_LOSS, HIGHER_LOSS, BLOWS_UP = range(3)

INTRO = (
    "How large may the learning rate be? The **range test** answers it in one short run: start "
    "with a tiny rate, **raise it a little after every minibatch**, and record the loss. At first "
    "the steps are too small to matter and the loss stays flat; then it starts to fall; at some "
    "rate it stops falling, turns ragged and shoots up. Those two turning points are the bounds."
)
#: the one sentence under the title in lecture mode
LECTURE_INTRO = (
    "The **range test** raises the learning rate after every minibatch and "
    "watches the loss: where it starts to fall and where it turns ragged are the bounds."
)

NARRATIVE = (
    "- **Read the chart from left to right.** Grey dots are the batch losses, the thick line "
    "their smoothed average. Flat (too small), falling (useful), ragged and rising (too large): "
    "the run stops by itself once the smoothed loss is 4 times its best.\n"
    "- **The rules disagree.** *steepest*, *min/10* and *valley* read the smoothed curve, like "
    "fastai and pytorch-lr-finder; *start*, *max* and *min* are Smith's reading of the raw "
    "losses. Change the **seed** and watch how far each one moves.\n"
    "- **Smoothing lags.** Set the smoothing to 0.99 (more lag, the smoothed curve shifts right) "
    "or 0 (none: as ragged as the dots).\n"
    "- **Linear vs exponential.** Smith raised the rate *linearly*; the tools do it "
    "exponentially. With a linear ramp from 1e-5 to 10 almost every iteration is spent above "
    "0.1: the dots crowd at the right end.\n"
    "- **Then try it**: below, fresh models train at the suggestion, 10x lower and 10x higher."
)
CITATION = (
    'Leslie N. Smith, "Cyclical Learning Rates for Training Neural Networks", IEEE WACV 2017, §3.3'
)
SMITH_STEPS = (
    f"The range test comes from {CITATION}. His recipe, in this page's words:\n\n"
    "1. **Pick a range** wide enough to hold both turning points: *lowest rate* and *highest "
    "rate* above (Smith's own runs went from almost nothing to a rate well past the useful "
    "ones).\n"
    "2. **Train once while raising the rate every iteration**: each minibatch takes one SGD step "
    "at the next rate of the ramp. Smith's ramp was *linear* and lasted a few epochs; fastai "
    "and the other tools use an *exponential* one, which spends as many steps in every decade. "
    "The model is a fresh copy: the test changes nothing you keep.\n"
    "3. **Record how training goes** at every step: the loss of every minibatch here, or, in "
    "the *accuracy* view, the validation accuracy every few iterations (Smith plotted "
    "accuracy).\n"
    "4. **Read two rates off the plot**: where the loss *starts to fall* (*start*) and where it "
    "*stops falling, levels off or turns ragged* (*max*). *max*, the largest rate at which "
    "training still makes progress, is also a good rate to start training at. For the lower "
    "bound of a cycle take *start*, or **max / 4 to max / 3** (*min*): Smith's rule of thumb, "
    "since the best rate usually lies within a factor of two of the largest that converges.\n\n"
    "The page reads *start* and *max* on a running median of the raw batch losses (it does not "
    "lag like the smoothed curve): *max* is where that median comes within 5% of its lowest "
    "value, or earlier if the batch-to-batch jumps grow past 3 times their usual size (ragged)."
)


@dataclass(frozen=True)
class Params:
    """The view: the range test's set-up, the rule to try and for how long."""

    data: str = choice("rt_data", "Data", DATASETS, "digits")
    model: str = choice(
        "rt_model",
        "Model",
        MODELS,
        "MLP",
        help=f"MLP: one hidden layer of {HIDDEN[0]} ReLU units; softmax: a linear classifier.",
    )
    lo: float = choice(
        "rt_min", "Lowest rate (start of the ramp)", LR_OPTIONS, 1e-5, names=LR_NAMES
    )
    hi: float = choice("rt_max", "Highest rate (end of the ramp)", LR_OPTIONS, 10.0, names=LR_NAMES)
    iters: int = choice(
        "rt_iters",
        "Iterations (one minibatch of 64 each)",
        ITERS,
        300,
        help="The rate is raised after every minibatch; more iterations, a finer ramp.",
    )
    mode: str = choice(
        "rt_mode",
        "Ramp",
        MODES,
        "exponential",
        help="exponential: the same number of steps in every decade (fastai, "
        "pytorch-lr-finder); linear: equal steps of the rate (Smith's paper).",
    )
    view: str = choice(
        "rt_view",
        "Show",
        VIEWS,
        "loss",
        help="loss: every batch loss (what the tools plot); accuracy: validation accuracy "
        "every few iterations (what Smith plotted).",
    )
    beta: float = choice(
        "rt_beta",
        "Smoothing β of the loss (0 = none)",
        BETAS,
        0.98,
        help="Bias-corrected moving average: S = v / (1 − β^n), v ← β·v + (1 − β)·loss. "
        "0.98 is fastai's and Lightning's.",
    )
    stop: float = choice(
        "rt_stop",
        "Stop when the smoothed loss exceeds … × its best",
        STOPS,
        4.0,
        names=STOP_NAMES,
        help="4: fastai and Lightning; 5: pytorch-lr-finder; off: run the whole ramp "
        "(a loss that overflows still stops it).",
    )
    val_every: int = choice(
        "rt_val",
        "Accuracy view: validate every … iterations",
        VAL_EVERY,
        2,
        help="Each validation is a pass over the held-out examples.",
    )
    seed: int = number("rt_seed", "Seed (initial weights and batch order)", 0, MAX_SEED, 0)
    rule: str = choice(
        "rt_try", "Suggestion to try", RULES, "Smith: max", help="Which rule's rate to train at."
    )
    epochs: int = number("rt_epochs", "Epochs", 1, 15, 5)


@dataclass(frozen=True)
class Mark:
    """One suggestion drawn on the chart: a vertical line at ``lr``, labelled ``label``."""

    label: str
    lr: float
    style: int


@dataclass(frozen=True, eq=False)
class Result:
    """Everything the page shows for one :class:`Params`."""

    params: Params
    lo: float  #: the ramp's ends as run (swapped or widened, see :func:`ramp_ends`)
    hi: float
    run: RangeTestResult
    suggestions: tuple[Suggestion, ...]
    smith: SmithBounds
    ipe: int  #: iterations per epoch of the data set
    n_train: int
    tried: Suggestion | None  #: the suggestion the fresh models train at (None: no rule gave one)
    rates: tuple[float, float, float] | None  #: 10x lower, the suggestion, 10x higher
    history: History | None  #: the three fresh runs
    kinds: tuple[Kind, ...] = ()
    texts: tuple[str, ...] = ()

    @property
    def stopped(self) -> bool:
        return self.run.diverged_at != NEVER


def ramp_ends(p: Params) -> tuple[float, float]:
    """The ramp as run: the ends swapped if set the wrong way round, four decades up from
    the lowest rate if both are the same."""
    lo, hi = float(p.lo), float(p.hi)
    if lo > hi:
        return hi, lo
    if lo == hi:
        return lo, lo * 1e4
    return lo, hi


def ramp_note(p: Params) -> str | None:
    """What :func:`ramp_ends` changed, in words (None: nothing)."""
    lo, hi = ramp_ends(p)
    if p.lo > p.hi:
        return (
            f"The lowest rate ({fmt.rate(p.lo)}) is above the highest ({fmt.rate(p.hi)}): "
            "using them the other way round."
        )
    if p.lo == p.hi:
        return (
            f"Both ends of the ramp are {fmt.rate(p.lo)}: there is nothing to sweep. Sweeping "
            f"{fmt.rate(lo)} to {fmt.rate(hi)} (four decades) instead."
        )
    return None


def stop_factor(stop: float) -> float | None:
    return None if math.isinf(stop) else float(stop)


def try_rates(lr: float) -> tuple[float, float, float]:
    """The three fresh runs of the "try it" step: 10x lower, the suggestion, 10x higher."""
    return (lr / 10.0, lr, lr * 10.0)


def tried_rule(sugs: tuple[Suggestion, ...], wanted: str) -> Suggestion | None:
    """The suggestion of rule ``wanted``, or the first rule that gave one."""
    by_rule = {s.rule: s for s in sugs}
    s = by_rule.get(wanted)
    if s is not None and s.lr is not None and s.lr > 0:
        return s
    return next((x for x in sugs if x.lr is not None and x.lr > 0), None)


def compute(p: Params) -> Result:
    """One range test (plain SGD, minibatches of 64), every rule's reading of it, and three
    fresh models (same seeded start, same minibatches) trained at the chosen suggestion and
    ten times either side, validated four times an epoch."""
    data, spec = data_and_spec(p.data, p.model, HIDDEN)
    lo, hi = ramp_ends(p)
    run = range_test(
        spec,
        data,
        min_lr=lo,
        max_lr=hi,
        num_iter=p.iters,
        mode=p.mode,
        beta=p.beta,
        stop_factor=stop_factor(p.stop),
        batch_size=BATCH,
        seed=p.seed,
        val_every=p.val_every if p.view == "accuracy" else None,
    )
    sugs = tuple(run.suggestions())
    ipe = math.ceil(data.n_train / BATCH)
    tried = tried_rule(sugs, p.rule)
    rates = h = None
    kinds: tuple[Kind, ...] = ()
    texts: tuple[str, ...] = ()
    if tried is not None:
        rates = try_rates(float(tried.lr))
        h = train(
            spec,
            data,
            list(rates),
            epochs=p.epochs,
            batch_size=BATCH,
            seed=p.seed,
            eval_every=max(1, ipe // 4),
        )
        verdicts = [classify_run(h, k) for k in range(3)]
        kinds = tuple(Kind(k) for k, _ in verdicts)
        texts = tuple(t for _, t in verdicts)
    return Result(
        params=p,
        lo=lo,
        hi=hi,
        run=run,
        suggestions=sugs,
        smith=run.smith(),
        ipe=ipe,
        n_train=data.n_train,
        tried=tried,
        rates=rates,
        history=h,
        kinds=kinds,
        texts=texts,
    )


# ------------------------------------------------------------------------------ the range test


def model_words(p: Params) -> str:
    if p.model == "softmax":
        return f"softmax regression on the {p.data}"
    return f"an MLP (one hidden layer of {HIDDEN[0]}) on the {p.data}"


def heading(p: Params) -> str:
    return f"The range test: {model_words(p)}, plain SGD"


def run_words(r: Result) -> str:
    run = r.run
    epochs = fmt.num(run.n / r.ipe, 3)
    span = f"lr {fmt.rate(run.lrs[0])} → {fmt.rate(run.lrs[-1])}"
    if not r.stopped:
        return (
            f"The ramp ran all **{run.num_iter} iterations** ({epochs} epochs of the "
            f"{r.params.data}, {span}) without diverging."
        )
    return (
        f"The run **stopped after {run.n} of {run.num_iter} iterations** ({epochs} epochs, "
        f"{span}), at lr = {fmt.rate(run.lrs[-1])}: {run.stop_reason}."
    )


def smith_words(r: Result) -> str:
    b = r.smith
    if b.max_lr.lr is None:
        start = (
            f"The loss starts to fall at lr = {fmt.rate(b.start.lr)}, but "
            if b.start.lr is not None
            else ""
        )
        return f"**Smith's reading:** {start}no max: {b.max_lr.reason}."
    lo, hi = b.min_range or (b.min_lr.lr, b.min_lr.lr)
    return (
        f"**Smith's reading:** the loss starts to fall at lr = {fmt.rate(b.start.lr)} and "
        f"stops falling or turns ragged at **max_lr = {fmt.rate(b.max_lr.lr)}**; "
        f"**min_lr = max / 4 … max / 3 = {fmt.rate(lo)} … {fmt.rate(hi)}**."
    )


def marks(r: Result) -> list[Mark]:
    """Every rule that gave a suggestion, as a labelled line: ``"valley 0.065"``."""
    return [
        Mark(f"{RULE_LABEL.get(s.rule, s.rule)} {fmt.rate(s.lr)}", float(s.lr), RULE_STYLE[s.rule])
        for s in r.suggestions
        if s.lr is not None and s.lr > 0
    ]


def band(r: Result) -> tuple[float, float] | None:
    """Smith's min ... max, shaded on the chart (None without a max)."""
    b = r.smith
    if b.min_lr.lr is None or b.max_lr.lr is None:
        return None
    return float(b.min_lr.lr), float(b.max_lr.lr)


def stop_mark(r: Result) -> tuple[float, str] | None:
    """Where the run stopped early and why (None: it ran the whole ramp)."""
    return (float(r.run.lrs[-1]), r.run.stop_reason) if r.stopped else None


def shows_accuracy(r: Result) -> bool:
    return r.params.view == "accuracy" and r.run.val_iters.size > 0


def _marked(r: Result) -> str:
    return ", ".join(m.label.replace(" ", " = ", 1) for m in marks(r)) or "none"


def chart_caption(r: Result) -> str:
    """The main chart in words; every number read from what it draws."""
    run = r.run
    if shows_accuracy(r):
        a = run.val_acc
        k = int(np.nanargmax(a)) if np.isfinite(a).any() else 0
        last = a[np.isfinite(a)][-1] if np.isfinite(a).any() else math.nan
        return (
            f"Validation accuracy (every {r.params.val_every} iterations) against the rate the "
            f"model had just been trained at. It peaks at {cyclical.acc(a[k])} at lr = "
            f"{fmt.rate(run.val_lrs[k])} and ends at {cyclical.acc(last)}. Smith read min_lr where "
            "accuracy starts to climb and max_lr where it slows, turns ragged or falls. The "
            f"lines are the rules' suggestions, read from the loss ({_marked(r)}); the orange "
            "band is Smith's min … max."
        )
    low = float(np.nanmin(run.smooth))
    stop = stop_mark(r)
    return (
        f"Training loss against the learning rate (log scale): grey dots are the {run.n} batch "
        f"losses, the thick line their smoothed average (β = {fmt.num(run.beta)}; lowest "
        f"{fmt.loss(low)}). Vertical lines mark each rule's suggestion ({_marked(r)}); the "
        "orange band is Smith's min … max"
        + (f"; the × marks where the run stopped (lr = {fmt.rate(stop[0])})." if stop else ".")
    )


def chart_alt(r: Result) -> str:
    """The main chart for a screen reader: what the run did, Smith's reading, the marks."""
    what = "Validation accuracy" if shows_accuracy(r) else "Training loss"
    return (
        f"{what} against a learning rate rising from {fmt.rate(r.lo)} to {fmt.rate(r.hi)}. "
        f"{run_words(r)} {smith_words(r)} Suggestions: {_marked(r)}."
    ).replace("**", "")


def suggestion_table(r: Result) -> pd.DataFrame:
    """The suggestions table: rule, learning rate and the rule's reason in words."""
    rows = []
    for s in r.suggestions:
        if s.lr is None:
            rows.append((s.rule, "no suggestion", f"no suggestion: {s.reason}"))
        else:
            rows.append((s.rule, fmt.rate(s.lr), s.reason))
    return pd.DataFrame(rows, columns=["rule", "learning rate", "what the rule saw"]).set_index(
        "rule"
    )


def rule_notes() -> str:
    return " · ".join(f"**{rule}**: {note}" for rule, note in RULE_NOTES.items())


def data(p: Params, r: Result) -> pd.DataFrame:
    """The range test per iteration (CSV)."""
    return r.run.to_frame()


# ------------------------------------------------------------------------------ the hand-off


def handoff(r: Result) -> cyclical.FromRangeTest | None:
    """Smith's bounds for the Cyclical schedules page, with where they came from (None: this
    run gives no max)."""
    b = r.smith
    if b.max_lr.lr is None or b.min_lr.lr is None:
        return None
    p = r.params
    return cyclical.FromRangeTest(
        float(b.min_lr.lr),
        float(b.max_lr.lr),
        f"range test on {p.data}/{p.model}, {p.mode} ramp, seed {p.seed}",
    )


def handoff_params(r: Result) -> cyclical.Params | None:
    """The Cyclical schedules view the link opens (None: nothing to hand on)."""
    b = handoff(r)
    return None if b is None else cyclical.from_range_test(b)


def handoff_query(r: Result) -> dict[str, list[str]]:
    """The link's query: that view's canonical URL parameters (empty without bounds)."""
    q = handoff_params(r)
    return {} if q is None else to_query(q)


def handoff_words(r: Result) -> str:
    """What the link carries, and how the Cyclical schedules page will show it."""
    q = handoff_params(r)
    if q is None:
        return (
            "This run gives no max_lr, so there are no bounds to hand on to the **Cyclical "
            "schedules** page: widen the range or run more iterations."
        )
    words = (
        f"Cycle between Smith's bounds, min_lr = {fmt.rate(q.rt_min)} (max / 4) and max_lr = "
        f"{fmt.rate(q.rt_max)}, on the **Cyclical schedules** page"
    )
    if (q.lo, q.hi) != (q.rt_min, q.rt_max):
        words += (
            f": its rates sit on a log grid, so it shows them as {fmt.rate(q.lo)} and "
            f"{fmt.rate(q.hi)}"
        )
    return words + "."


# ------------------------------------------------------------------------------ try it


def try_labels(r: Result) -> list[str]:
    """The three runs' labels: the rate of each, by construction lr / 10, lr, 10 lr."""
    if r.rates is None or r.tried is None:
        return []
    a, b, c = r.rates
    return [
        f"10x lower, lr = {fmt.rate(a)}",
        f"{r.tried.rule}, lr = {fmt.rate(b)}",
        f"10x higher, lr = {fmt.rate(c)}",
    ]


def try_heading() -> str:
    return "Try it: train fresh models at the suggestion, 10x lower and 10x higher"


def try_note(r: Result) -> str | None:
    """Why the rule tried is not the one asked for (None: it is)."""
    p = r.params
    by_rule = {s.rule: s for s in r.suggestions}
    s = by_rule.get(p.rule)
    if r.tried is not None and r.tried.rule == p.rule:
        return None
    why = s.reason if s is not None else "unknown rule"
    if r.tried is None:
        return (
            f"No rule gave a suggestion on this run ({why}), so there is nothing to try: widen "
            "the range or run more iterations."
        )
    return f"*{p.rule}* gave no suggestion ({why}); trying *{r.tried.rule}* instead."


def answer(r: Result) -> int:
    """Which of :data:`QUIZ_OPTIONS` the 10x-higher run (row 2) did, against the suggestion
    (row 1): the same numbers as the rows' verdicts."""
    h = r.history
    if r.kinds[2] == Kind.DIVERGED:
        return BLOWS_UP
    if float(h.final_val_loss[2]) < float(h.final_val_loss[1]):
        return LOWER_LOSS
    return HIGHER_LOSS


def compare_words(r: Result, k: int) -> str:
    """How run ``k``'s final validation loss compares with the suggestion's (row 1)."""
    h = r.history
    if k == 1 or h.diverged[k] or h.diverged[1]:
        return ""
    mine, ref = float(h.final_val_loss[k]), float(h.final_val_loss[1])
    if not (math.isfinite(mine) and math.isfinite(ref) and ref > 0):
        return ""
    ratio = mine / ref
    if ratio >= 1:
        return (
            f"; it ends at {fmt.factor(ratio, 2)}x the suggestion's final validation loss "
            f"({fmt.loss(ref)})"
        )
    return (
        f"; it ends {fmt.factor(1 / ratio, 2)}x lower than the suggestion's final validation loss "
        f"({fmt.loss(ref)})"
    )


def try_rows(r: Result) -> list[Row]:
    """One verdict line per fresh run: the engine's classification, compared with the
    suggestion's run."""
    return [
        Row(lab, kind, text + compare_words(r, k))
        for k, (lab, kind, text) in enumerate(zip(try_labels(r), r.kinds, r.texts, strict=True))
    ]


def _edge_words(r: Result) -> str:
    """The 10x-higher run against the range test's max (the words follow the numbers)."""
    top = r.smith.max_lr.lr
    high = r.rates[2]
    a = answer(r)
    if top is None:
        return "This range test gave no max to compare with."
    m = fmt.rate(top)
    if a == BLOWS_UP:
        if high > top:
            return (
                f"{fmt.rate(high)} is past the range test's max ({m}): the max really is the edge."
            )
        return (
            f"{fmt.rate(high)} is below the range test's max ({m}), yet it blows up over "
            f"{r.params.epochs} epochs: the max is read off a short ramp, not a guarantee."
        )
    where = "even past" if high > top else "still below"
    if a == LOWER_LOSS:
        return (
            f"This suggestion is cautious: ten times it trains better, at {fmt.rate(high)}, "
            f"{where} the range test's max ({m})."
        )
    return (
        f"Ten times the suggestion, {fmt.rate(high)} ({where} the range test's max, {m}), "
        "trains but ends worse: larger steps stop paying off."
    )


def question(p: Params, r: Result) -> Question | None:
    """Predict the 10x-higher run, before it is shown (None: nothing to try)."""
    if r.tried is None:
        return None
    lr, high = r.rates[1], r.rates[2]
    return Question(
        f"The *{r.tried.rule}* rule suggests lr = {fmt.rate(lr)}. What happens to a fresh model "
        f"trained for {p.epochs} epochs at **ten times** that rate, {fmt.rate(high)}?",
        QUIZ_OPTIONS,
        answer(r),
        f"At {fmt.rate(high)}: {r.texts[2]}. At the suggestion: {r.texts[1]}. {_edge_words(r)}",
    )


def try_caption(r: Result) -> str:
    p = r.params
    return (
        f"Validation loss (log scale) four times an epoch of three fresh {p.model} models on the "
        f"{p.data}, from the same start and the same minibatches (seed {p.seed}), at the "
        f"{r.tried.rule} suggestion and ten times below and above it."
    )


def try_alt(r: Result) -> str:
    return "Validation loss of three fresh runs. " + " ".join(
        f"{row.label}: {row.kind}, {row.text}." for row in try_rows(r)
    )


def try_table(r: Result) -> pd.DataFrame:
    """The three runs' final numbers, as the page shows them."""
    h = r.history
    return pd.DataFrame(
        {
            "run": try_labels(r),
            "verdict": [str(k) for k in r.kinds],
            "final validation loss": [
                "diverged" if h.diverged[k] else fmt.loss(h.final_val_loss[k]) for k in range(3)
            ],
            "final validation accuracy": [
                fmt.MISSING if h.diverged[k] else cyclical.acc(h.final_val_acc[k]) for k in range(3)
            ],
        }
    ).set_index("run")


def try_data(r: Result) -> pd.DataFrame:
    """The three runs' validation curves (CSV)."""
    return r.history.val_frame()


def diverged_epochs(r: Result) -> list[float | None]:
    """Epoch at which each fresh run blew up (None: it did not)."""
    h = r.history
    return [float(h.diverged_at[k]) / r.ipe if h.diverged[k] else None for k in range(h.K)]


# ------------------------------------------------------------------------------ take it home


def takehome(p: Params, r: Result) -> TakeHome:
    """This view as code: LR Lab's engine (the range test with the page's ramp, smoothing and
    stop, every rule's suggestion, and the "try it" runs at the suggestion the page tried), and
    the same range test with torch-lr-finder, read with the page's rules."""
    common = dict(
        dataset=p.data,
        model=p.model.lower(),
        hidden=HIDDEN,
        min_lr=r.lo,
        max_lr=r.hi,
        num_iter=p.iters,
        mode=p.mode,
        beta=p.beta,
        stop_factor=stop_factor(p.stop),
        batch_size=BATCH,
        seed=p.seed,
    )
    engine = engine_range_test(
        **common,
        val_every=p.val_every if p.view == "accuracy" else None,
        try_rule=None if r.tried is None else r.tried.rule,
        try_epochs=p.epochs,
        try_eval_every=max(1, r.ipe // 4),
    )
    return TakeHome(
        engine=engine, torch=torch_range_test(**common), torch_label="PyTorch (torch-lr-finder)"
    )
