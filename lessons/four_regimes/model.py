"""Four regimes: a real classifier trained at very high, high, good and low learning rates.

The model: :class:`Params` (the page's controls and URL keys), :func:`compute` (the four runs,
their verdicts and the decision regions) and the sentences built from a :class:`Result`.  No
Streamlit, no plotly.

The suggested rates are measured, not listed
--------------------------------------------
Unless the learner (or a link) sets them, the four rates are measured for the chosen model,
data set, epochs, batch size and seed (:func:`suggest`), in two steps:

1. a learning-rate range test (:func:`engine.range_test.range_test`, 1e-4 to 1e4) finds the
   scale: the rate ``A`` at which its smoothed loss is lowest;
2. one batched training run over rates around ``A`` (``A/1000`` ... ``10 A``, and the top of
   the grid) for the page's epochs, read by the engine's classifier, picks the four:

   * **good**: the lowest final validation loss;
   * **very high**: the smallest rate that diverged and is at least 3x the largest one that
     did not (well past the divergence point);
   * **high**: the smallest rate above good that ends in the *high* regime: it plateaus, or
     ends at :data:`HIGH_FACTOR` times good's validation loss or more (if no candidate does,
     the grid rates between good and the first divergence are tried too);
   * **low**: the largest rate at most good/10 that is still creeping down.

Every run's verdict is the engine's classifier (:func:`engine.train.classify_run`), read by the
lesson in one respect: a run faster than the best one that ends at :data:`HIGH_FACTOR` times its
validation loss or more has *plateaued high* (the chart is on a log scale: it sits visibly above),
whatever the shape of its curve.  A row whose verdict is not its slot's regime says so.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from engine import fmt
from engine.data import DATASETS, load_dataset
from engine.models import predict_proba
from engine.range_test import range_test
from engine.train import History, classify_run, train
from engine.verdict import Kind
from lessons.four_regimes.curves import epoch_means, smooth_losses
from lessons.ui.common import BATCH, HIDDEN, data_and_spec, snap
from lessons.ui.fields import choice, flag, number
from lessons.ui.parts import Question, Row, TakeHome
from takehome import Snippet, engine_train, torch_training

# ------------------------------------------------------------------------------ settings


def tidy(lr: float) -> float | int:
    """A rate as the old grid held it: whole numbers as ``int``, so its label reads "30"."""
    v = float(lr)
    return int(v) if v >= 1 and v == int(v) else v


def rate_label(lr: float) -> str:
    """A grid rate's label on the slider and in links (as the page always wrote it): "10000",
    "30", "0.003", "0.00015"."""
    return str(tidy(lr))


#: learning rates offered: 1e-4 ... 1e4 on a log grid with these mantissas
MANTISSAS = (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8)
LR_GRID: tuple[float, ...] = tuple(float(f"{m}e{e}") for e in range(-4, 4) for m in MANTISSAS) + (
    1e4,
)
MODELS = ("softmax", "MLP")  # as shown and spelled in the URL; the engine's kind is .lower()
MODEL_NAMES = {"softmax": "softmax regression", "MLP": "MLP (one hidden layer, 32 ReLU)"}
DATA_NAMES = {"digits": "the 8×8 digits", "moons": "two moons", "spirals": "three spirals"}
EPOCHS_MAX, DEFAULT_EPOCHS = 20, 10
BATCHES = (32, 64, 128, 256)
SEED_MAX = 999
CURVES = ("smoothed", "epoch mean", "every minibatch")
GRID = 50  # decision-region grid points per axis

#: the four slots: (regime, URL key, the verdict that shows the regime)
SLOTS: tuple[tuple[str, str, Kind], ...] = (
    ("very high", "fr_lr_vhigh", Kind.DIVERGED),
    ("high", "fr_lr_high", Kind.PLATEAU),
    ("good", "fr_lr_good", Kind.CONVERGED),
    ("low", "fr_lr_low", Kind.SLOW),
)
#: the run the predict-first question is about (the high rate), withheld until answered
QUIZ_RUN = 1

#: the range test that finds the scale
RT_MIN, RT_MAX, RT_ITERS = 1e-4, 1e4, 100
#: the rates trained around the range test's scale A (times A), plus the grid's top
FACTORS = (1e-3, 1e-2, 0.1, 0.3, 0.6, 1.0, 2.0, 3.0, 10.0)
#: very high: at least this many times the largest rate that did not diverge
PAST_DIVERGENCE = 3.0
#: high: ends at this many times good's validation loss or more (or plateaus)
HIGH_FACTOR = 2.0
#: low: at most good's rate divided by this
LOW_DIVISOR = 10.0
#: further grid rates tried between good and the first divergence when no candidate is high
REFINE = 4

_RATE_AUTO = "the rate measured for this model, data set and seed"


@dataclass(frozen=True)
class Params:
    """The view: model, data, the four rates (None: measured), training set-up, drawing."""

    model: str = choice(
        "fr_model",
        "Model",
        MODELS,
        "softmax",
        help="Softmax regression: one linear layer. MLP: one hidden layer of 32 ReLU units. "
        "Changing the model measures rates that show the four regimes for it.",
    )
    data: str = choice(
        "fr_data",
        "Data set",
        DATASETS,
        "digits",
        help="Digits: 1,797 handwritten 8×8 images, 10 classes (UCI, CC BY 4.0). Moons and "
        "spirals: 2 features, so the decision regions can be drawn.",
    )
    vhigh: float | None = choice(
        "fr_lr_vhigh", "Very high learning rate", LR_GRID, None, names=rate_label, auto=_RATE_AUTO
    )
    high: float | None = choice(
        "fr_lr_high", "High learning rate", LR_GRID, None, names=rate_label, auto=_RATE_AUTO
    )
    good: float | None = choice(
        "fr_lr_good", "Good learning rate", LR_GRID, None, names=rate_label, auto=_RATE_AUTO
    )
    low: float | None = choice(
        "fr_lr_low", "Low learning rate", LR_GRID, None, names=rate_label, auto=_RATE_AUTO
    )
    epochs: int = number(
        "fr_epochs", "Epochs (passes over the training data)", 1, EPOCHS_MAX, DEFAULT_EPOCHS
    )
    batch: int = choice("fr_batch", "Minibatch size", BATCHES, BATCH, help="Examples per step.")
    seed: int = number(
        "fr_seed", "Seed (data split, initial weights, minibatch order)", 0, SEED_MAX, 0
    )
    curve: str = choice(
        "fr_curve",
        "Training loss drawn as",
        CURVES,
        "smoothed",
        help="smoothed: mean of the last half epoch of minibatches; epoch mean: one point per "
        "epoch; every minibatch: the raw, noisy loss of each step.",
    )
    val: bool = flag("fr_val", "Mark the validation loss after every epoch", True)
    show: bool = flag(
        "fr_show",
        "Skip the question: show all four runs",
        help="For a lecture link: add fr_show=true to open the page with all four curves drawn.",
    )

    @property
    def rates(self) -> tuple[float | None, ...]:
        return (self.vhigh, self.high, self.good, self.low)


# ------------------------------------------------------------------------------ verdicts


def engine_kind(h: History, k: int) -> tuple[Kind, str]:
    """The engine's classifier, as a Kind and its sentence."""
    kind, text = classify_run(h, k)
    return Kind(kind), text


def _best(h: History) -> int | None:
    ok = [k for k in range(h.K) if not h.diverged[k] and np.isfinite(h.final_val_loss[k])]
    return min(ok, key=lambda k: h.final_val_loss[k]) if ok else None


def reading(h: History, k: int) -> tuple[Kind, str]:
    """The lesson's verdict on run ``k`` of ``h`` (see the module docstring)."""
    kind, text = engine_kind(h, k)
    b = _best(h)
    if (
        kind in (Kind.CONVERGED, Kind.SLOW)
        and b is not None
        and k != b
        and h.lrs[k] > h.lrs[b]
        and h.final_val_loss[k] >= HIGH_FACTOR * h.final_val_loss[b]
    ):
        v = h.val_loss[k]
        v = v[np.isfinite(v)]
        half = v[len(v) // 2 :]
        ratio = h.final_val_loss[k] / h.final_val_loss[b]
        text = (
            f"validation loss fell from {fmt.loss(v[0])} but ended at "
            f"{fmt.loss(h.final_val_loss[k])}, {fmt.num(ratio, 2)}× the best run's "
            f"{fmt.loss(h.final_val_loss[b])} (over the second half of training it moved "
            f"between {fmt.loss(half.min())} and {fmt.loss(half.max())}): the steps are too "
            "big to settle into the valley"
        )
        return Kind.PLATEAU, text
    return kind, text


# ------------------------------------------------------------------------------ the suggestion


@dataclass(frozen=True, eq=False)
class Suggestion:
    """How the suggested rates were measured."""

    scale: float  #: the range test's rate at its lowest smoothed loss (A)
    scale_found: bool  #: the range test found one (else A = 1)
    tried: tuple[float, ...]  #: every rate trained
    finals: tuple[float, ...]  #: their final validation loss (inf: diverged)
    rates: tuple[float, float, float, float]  #: very high, high, good, low
    history: History  #: the four runs (rows of the batched training)


def _scale(spec, data, batch: int, seed: int) -> tuple[float, bool]:
    rt = range_test(
        spec, data, min_lr=RT_MIN, max_lr=RT_MAX, num_iter=RT_ITERS, batch_size=batch, seed=seed
    )
    s = rt.min_over_10()
    if s.lr is None:
        return 1.0, False
    return float(s.lr) * 10.0, True


def _pick(h: History, rates: list[float]) -> dict[str, int | None]:
    """The rows of ``h`` that show each regime (None where no row does)."""
    c = np.asarray(rates)
    alive = [k for k in range(h.K) if not h.diverged[k]]
    dead = [k for k in range(h.K) if h.diverged[k]]
    good = _best(h)
    out: dict[str, int | None] = {"good": good, "very high": None, "high": None, "low": None}
    if good is None:
        return out
    top = max(c[alive])
    far = [k for k in dead if c[k] >= PAST_DIVERGENCE * top]
    out["very high"] = min(far, key=lambda k: c[k]) if far else None
    above = sorted((k for k in alive if c[k] > c[good]), key=lambda k: c[k])
    high = [k for k in above if reading(h, k)[0] == Kind.PLATEAU]
    out["high"] = high[0] if high else None
    low = [k for k in alive if c[k] <= c[good] / LOW_DIVISOR and engine_kind(h, k)[0] == Kind.SLOW]
    out["low"] = max(low, key=lambda k: c[k]) if low else None
    return out


def suggest(model: str, data_name: str, epochs: int, batch: int, seed: int) -> Suggestion:
    """Four rates that show the four regimes, measured (see the module docstring)."""
    data, spec = _setup(model, data_name, seed)
    scale, found = _scale(spec, data, batch, seed)
    tried = sorted({snap(scale * f, LR_GRID) for f in FACTORS} | {LR_GRID[-1]})
    h = train(spec, data, tried, epochs=epochs, batch_size=batch, seed=seed)
    pick = _pick(h, tried)
    finals = dict(zip(tried, h.final_val_loss.tolist(), strict=True))
    good = pick["good"]
    if good is None:  # nothing trained at all: the grid's corners
        rates = (LR_GRID[-1], LR_GRID[-1], LR_GRID[0], LR_GRID[0])
        return Suggestion(scale, found, tuple(tried), tuple(finals.values()), rates, h)
    g = tried[good]
    if all(pick[k] is not None for k in ("very high", "high", "low")):
        rates = (tried[pick["very high"]], tried[pick["high"]], g, tried[pick["low"]])
        rows = [tried.index(r) for r in rates]
        return Suggestion(scale, found, tuple(tried), tuple(finals.values()), rates, h.select(rows))
    # a regime no candidate showed: the grid's ends for very high and low, and for high the
    # grid rates between good and the first divergence, in one more batched run
    vh = tried[pick["very high"]] if pick["very high"] is not None else LR_GRID[-1]
    lo = tried[pick["low"]] if pick["low"] is not None else LR_GRID[0]
    if pick["high"] is not None:
        between = [tried[pick["high"]]]
    else:
        edge = min(
            (r for r, f in finals.items() if not np.isfinite(f) and r > g), default=LR_GRID[-1]
        )
        between = [r for r in LR_GRID if g < r < edge and r not in finals]
        if len(between) > REFINE:
            idx = np.unique(np.linspace(0, len(between) - 1, REFINE).round().astype(int))
            between = [between[i] for i in idx]
    second = [vh, *between, g, lo]
    h2 = train(spec, data, second, epochs=epochs, batch_size=batch, seed=seed)
    finals.update(zip(second, h2.final_val_loss.tolist(), strict=True))
    high = next((j for j in range(1, 1 + len(between)) if reading(h2, j)[0] == Kind.PLATEAU), None)
    if high is None:  # nothing ends high: the largest rate above good that did not diverge
        alive = [j for j in range(1, 1 + len(between)) if not h2.diverged[j]]
        high = alive[-1] if alive else (1 if between else len(second) - 2)
    rates = (vh, second[high], g, lo)
    rows = [0, high, len(second) - 2, len(second) - 1]
    tried_all = tuple(sorted(finals))
    return Suggestion(
        scale, found, tried_all, tuple(finals[r] for r in tried_all), rates, h2.select(rows)
    )


# ------------------------------------------------------------------------------ compute


@dataclass(frozen=True, eq=False)
class Regions:
    """Decision regions of the four models on a 2-feature data set."""

    gx: np.ndarray
    gy: np.ndarray
    proba: np.ndarray  #: (4, GRID, GRID, C)
    X: np.ndarray
    y: np.ndarray


@dataclass(frozen=True, eq=False)
class Result:
    """Everything the page shows for one :class:`Params`."""

    params: Params
    rates: tuple[float, float, float, float]
    measured: tuple[bool, ...]  #: which rates are the measured suggestion
    suggestion: Suggestion | None
    history: History
    kinds: tuple[Kind, ...]
    texts: tuple[str, ...]
    n_classes: int
    regions: Regions | None

    @property
    def labels(self) -> tuple[str, ...]:
        return tuple(
            f"{name}, lr = {fmt.rate(lr)}"
            for (name, _, _), lr in zip(SLOTS, self.rates, strict=True)
        )


def _setup(model: str, data_name: str, seed: int):
    _, spec = data_and_spec(data_name, model)
    return load_dataset(data_name, seed=seed), spec


def compute(p: Params) -> Result:
    """The four runs (one batched engine call; the rates measured first where not given), the
    verdicts, and the decision regions on a 2-feature data set."""
    data, spec = _setup(p.model, p.data, int(p.seed))
    sug = None
    if any(r is None for r in p.rates):
        sug = suggest(p.model, p.data, int(p.epochs), int(p.batch), int(p.seed))
    rates = tuple(float(r) if r is not None else sug.rates[i] for i, r in enumerate(p.rates))
    if sug is not None and rates == sug.rates:
        h = sug.history
    else:
        h = train(
            spec, data, list(rates), epochs=int(p.epochs), batch_size=int(p.batch), seed=int(p.seed)
        )
    kinds, texts = [], []
    for k in range(h.K):
        kind, text = reading(h, k)
        kinds.append(kind)
        texts.append(text)
    regions = None
    if data.n_features == 2:
        X = np.vstack([data.X_train, data.X_val])
        lo, hi = X.min(axis=0) - 0.4, X.max(axis=0) + 0.4
        gx, gy = np.linspace(lo[0], hi[0], GRID), np.linspace(lo[1], hi[1], GRID)
        xx, yy = np.meshgrid(gx, gy)
        grid = np.column_stack([xx.ravel(), yy.ravel()])
        with np.errstate(all="ignore"):
            proba = predict_proba(spec, h.theta, grid)
        regions = Regions(
            gx, gy, proba.reshape(h.K, GRID, GRID, data.n_classes),
            np.asarray(data.X_val), np.asarray(data.y_val),
        )  # fmt: skip
    return Result(
        params=p,
        rates=rates,
        measured=tuple(r is None for r in p.rates),
        suggestion=sug,
        history=h,
        kinds=tuple(kinds),
        texts=tuple(texts),
        n_classes=data.n_classes,
        regions=regions,
    )


# ------------------------------------------------------------------------------ words

INTRO = (
    "A real classifier, trained four times with four learning rates: **very high**, "
    "**high**, **good** and **low**. The loss curves tell the four stories every "
    "practitioner learns to read."
)
LECTURE_INTRO = "One real classifier, trained at four learning rates: four stories."
NARRATIVE = (
    "- **Predict first**, then look: one model is trained four times from the same starting "
    "weights on the same minibatches; only the learning rate differs.\n"
    "- **Very high**: the loss shoots up within a few iterations and the run is stopped (×). "
    "**High**: it falls, then stalls or bounces around well above the others. **Good**: it "
    "drops fast and levels off low. **Low**: every step helps, but it creeps.\n"
    "- **The suggested rates are measured** for the model, data set, epochs, batch size and "
    "seed you pick: a range test finds the scale, then a batch of short trainings around it "
    "picks one rate per regime (the line under the rates says which).\n"
    "- **Move the high rate down a notch at a time**: where does the plateau turn into "
    "convergence? Move the low rate up: how many epochs does it save?\n"
    "- **Accuracy hides it, loss shows it**: the high rate's validation accuracy can be close "
    "to the good one's while its loss sits far above: its wrong answers are confident ones.\n"
    "- **Switch to the MLP**: the band between *high* and *diverged* is much narrower. On "
    "**moons** or **spirals** you also see what each model learned."
)

QUIZ_KINDS = (Kind.DIVERGED, Kind.PLATEAU, Kind.CONVERGED, Kind.SLOW)
QUIZ_OPTIONS = (
    "It shoots up and blows up (diverges) within a few iterations",
    "It falls at first, then stalls or bounces well above the best run",
    "It drops fast and levels off low",
    "It creeps down slowly and is still falling at the end",
)
PHRASE = {
    Kind.DIVERGED: "diverged",
    Kind.PLATEAU: "plateaued high",
    Kind.CONVERGED: "converged fast",
    Kind.SLOW: "is converging slowly",
}
WHY = {
    Kind.DIVERGED: "Every step overshoots the minimum by more than it started from, so the "
    "overshoots grow until the loss explodes.",
    Kind.PLATEAU: "Each step jumps across the valley instead of into it: the weights bounce "
    "around a region of high loss and never settle.",
    Kind.CONVERGED: "The steps are big enough to make quick progress and small enough to "
    "settle into the valley.",
    Kind.SLOW: "The steps are tiny: every one goes the right way, but it would take many more "
    "epochs to get anywhere.",
}


def _row_text(r: Result, k: int) -> str:
    name, _, want = SLOTS[k]
    text = r.texts[k]
    if r.kinds[k] != want:
        text += f" (so this rate does not show the {name} regime here, which is {want})"
    return text


def rows(p: Params, r: Result, answered: bool = True) -> list[Row]:
    """One verdict line per run; the question's run is held back until it is answered."""
    out = [
        Row(lab, kind, _row_text(r, k))
        for k, (lab, kind) in enumerate(zip(r.labels, r.kinds, strict=True))
    ]
    if not answered:
        out[QUIZ_RUN] = Row(
            r.labels[QUIZ_RUN],
            Kind.PENDING,
            f"trained too ({r.history.T} iterations, like the others); answer the question "
            "above, or switch on Skip the question, to see what it did.",
        )
    return out


def order_note(r: Result) -> str | None:
    if list(r.rates) == sorted(r.rates, reverse=True):
        return None
    return (
        "Your four rates are not in the order very high > high > good > low; that is fine: "
        "each verdict describes its own run."
    )


def suggestion_sentence(r: Result) -> str | None:
    """How the suggested rates were measured (None when the learner set all four)."""
    s = r.suggestion
    if s is None:
        return None
    p = r.params
    scale = (
        f"a range test ({fmt.rate(RT_MIN)} to {fmt.rate(RT_MAX)} over {RT_ITERS} iterations) "
        f"puts its smoothed loss lowest at lr = {fmt.rate(s.scale)}"
        if s.scale_found
        else "the range test found no clear minimum, so the rates are tried around lr = 1"
    )
    vh, hi, g, lo = s.rates
    return (
        f"**Measured rates** for {MODEL_NAMES[p.model]} on {DATA_NAMES[p.data]} "
        f"({p.epochs} epochs, batch {p.batch}, seed {p.seed}): {scale}; {len(s.tried)} rates "
        f"around it were trained: good = {fmt.rate(g)} (lowest validation loss), very high = "
        f"{fmt.rate(vh)} (diverges, at least {fmt.num(PAST_DIVERGENCE)}× any rate that did "
        f"not), high = {fmt.rate(hi)} (the first above good to end high), low = "
        f"{fmt.rate(lo)} (still creeping, at most good/{fmt.num(LOW_DIVISOR)})."
    )


def question(p: Params, r: Result) -> Question:
    kind = r.kinds[QUIZ_RUN]
    answer = QUIZ_KINDS.index(kind) if kind in QUIZ_KINDS else 1
    hi, good = fmt.rate(r.rates[QUIZ_RUN]), fmt.rate(r.rates[2])
    return Question(
        f"The **high** rate is lr = {hi} (the good one is {good}). The other three runs are "
        "drawn below; before you see this one: what will its training loss do over "
        f"{p.epochs} epochs?",
        QUIZ_OPTIONS,
        answer,
        f"At lr = {hi} the run {PHRASE.get(kind, str(kind))}: {r.texts[QUIZ_RUN]}. "
        f"{WHY.get(kind, '')}",
    )


def shown_runs(r: Result, answered: bool) -> tuple[int, ...]:
    """The runs drawn: all four once answered, else all but the question's."""
    return tuple(range(4)) if answered else tuple(k for k in range(4) if k != QUIZ_RUN)


@dataclass(frozen=True, eq=False)
class LossCurves:
    """What the loss chart draws, and the words for it."""

    x: np.ndarray
    y: np.ndarray  #: (K, len(x))
    diverged_at: np.ndarray  #: (K,) iteration, -1 if none
    diverged_x: np.ndarray | None  #: where the × goes when ``x`` is not iterations
    blowup: np.ndarray  #: (K,) the loss of the minibatch that blew up
    what: str


def loss_curves(r: Result, runs: tuple[int, ...]) -> LossCurves:
    """The training-loss curves of ``runs`` as the chart draws them (p.curve)."""
    h = r.history.select(runs)
    d_at = h.diverged_at
    blow = np.array([h.train_loss[k, d] if 0 <= d < h.T else np.nan for k, d in enumerate(d_at)])
    ipe = h.iters_per_epoch
    curve = r.params.curve
    dx = None
    if curve == "epoch mean":
        means = epoch_means(h.train_loss, ipe)
        for k, d in enumerate(d_at):
            if d >= 0:  # the epoch it blew up in is not a full epoch: the line ends at the ×
                means[k, d // ipe :] = np.nan
        y = np.column_stack([h.train_loss[:, 0], means])
        x = np.arange(y.shape[1], dtype=np.float64)
        dx = np.where(d_at >= 0, d_at / ipe, np.nan)
        what = (
            f"the mean training loss of every epoch ({ipe} minibatches, drawn at its end; "
            "epoch 0: before training)"
        )
    elif curve == "smoothed":
        w = max(1, round(ipe / 2))
        x = h.epochs
        y = smooth_losses(h.train_loss, w, ends=d_at)
        what = f"the training loss, averaged over the last {w} minibatches (half an epoch)"
    else:
        x, y = h.epochs, h.train_loss
        what = "the training loss of every minibatch"
    return LossCurves(x, y, d_at, dx, blow, what)


def loss_caption(r: Result, curves: LossCurves) -> str:
    markers = " Markers: the validation loss after every epoch." if r.params.val else ""
    return (
        f"Lines: {curves.what}, on a log scale, one line per learning rate.{markers} A × marks "
        "a run that diverged, at the loss of the minibatch where it blew up (at the top if it "
        "was infinite); after that the run is stopped."
    )


def withheld_sentence(r: Result) -> str:
    return f"One run is not drawn yet ({r.labels[QUIZ_RUN]}): answer the question above to add it."


def acc_caption(r: Result) -> str:
    return (
        "Share of the held-out validation examples classified correctly, measured before "
        "training (epoch 0) and after every epoch. The dotted line is chance "
        f"(1 in {r.n_classes}). A diverged run's line stops where it blew up."
    )


REGIONS_CAPTION = (
    "The class each trained model predicts at every point of the plane (features "
    "standardised), shaded by its confidence: white = unsure, strong tint = sure. Dots: the "
    "validation points, coloured and shaped by their true class; the percentage is the "
    "validation accuracy."
)


def alt(r: Result, runs: tuple[int, ...], what: str) -> str:
    """A chart in words, for a screen reader: the verdicts and the key numbers."""
    h = r.history
    parts = []
    for k in runs:
        fin = h.final_val_loss[k]
        acc = h.final_val_acc[k]
        end = (
            f"final validation loss {fmt.loss(fin)}, accuracy {fmt.pct(acc)}"
            if np.isfinite(fin)
            else f"diverged at iteration {int(h.diverged_at[k])}"
        )
        parts.append(f"{r.labels[k]}: {r.kinds[k]}, {end}")
    return f"{what} of {len(runs)} runs over {r.params.epochs} epochs. " + "; ".join(parts) + "."


def region_titles(r: Result) -> tuple[list[str], list[str | None]]:
    """Panel titles and the message drawn instead of a diverged model's regions."""
    h = r.history
    titles, blank = [], []
    for k, lab in enumerate(r.labels):
        if h.diverged[k]:
            titles.append(f"{lab}: diverged")
            blank.append(f"diverged at iteration {int(h.diverged_at[k])}:<br>no model to draw")
        else:
            titles.append(f"{lab}: {fmt.pct(h.final_val_acc[k])}")
            blank.append(None)
    return titles, blank


def notes(r: Result, runs: tuple[int, ...]) -> list[str]:
    h = r.history
    return [f"diverged at iteration {int(h.diverged_at[k])}" for k in runs]


def table(r: Result, runs: tuple[int, ...]) -> pd.DataFrame:
    """The drawn runs' training loss, one row per run and iteration (CSV)."""
    return _with_regime(r.history.select(runs).to_frame(), runs)


def val_table(r: Result, runs: tuple[int, ...]) -> pd.DataFrame:
    return _with_regime(r.history.select(runs).val_frame(), runs)


def _with_regime(df: pd.DataFrame, runs: tuple[int, ...]) -> pd.DataFrame:
    """Name each row's regime; ``run`` numbers the four slots even when some are withheld."""
    df["run"] = np.asarray(runs)[df["run"].to_numpy()]
    df.insert(1, "regime", np.asarray([s[0] for s in SLOTS], dtype=object)[df["run"].to_numpy()])
    return df


# ------------------------------------------------------------------------------ take it home


def takehome(p: Params, r: Result) -> TakeHome:
    """This view as code: the four runs (the rates the page trained: measured or set) on the
    page's model, data, epochs, batch size and seed, in LR Lab's engine and in PyTorch."""
    common = dict(
        dataset=p.data,
        data_seed=int(p.seed),
        model=p.model.lower(),
        hidden=HIDDEN,
        lrs=r.rates,
        epochs=int(p.epochs),
        batch_size=int(p.batch),
        seed=int(p.seed),
    )
    engine = engine_train(**common)
    if any(r.measured):
        lines = [
            "# the four rates (very high, high, good, low): measured by the page for this model,",
            "# data set, epochs, batch size and seed (a range test, then short trainings around it)",
        ]
    else:
        lines = ["# the four rates (very high, high, good, low), as set on the page"]
    if any(engine_kind(r.history, k)[0] != r.kinds[k] for k in range(r.history.K)):
        lines += [
            "# (the page calls a run 'plateaued high' if it ends at 2x the best run's validation",
            "# loss or more; classify_run reads each curve alone)",
        ]
    engine = Snippet("\n".join([*lines, engine.code]), engine.imports, engine.notes)
    torch = torch_training(**common)
    note = f"The four rates: {', '.join(fmt.rate(v) for v in r.rates)} (very high to low)" + (
        ", measured by the page for these settings." if any(r.measured) else ", set on the page."
    )
    torch = replace(torch, notes=(note, *torch.notes))
    return TakeHome(engine=engine, torch=torch)
