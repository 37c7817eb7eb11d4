"""Lesson 6: Range test. Raise the learning rate every iteration, watch the loss, and read the
bounds off the curve (Smith 2017); then train fresh models at a suggestion, 10x lower and 10x
higher, to see whether it was a good one."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from engine.data import load_dataset
from engine.models import ModelSpec
from engine.range_test import RangeTestResult, SmithBounds, Suggestion, range_test
from engine.train import History, classify_run, train
from engine.verdict import NEVER
from lessons.ui import pages, state, widgets
from lessons.ui.fig_range_test import Mark, accuracy_figure, range_test_figure, try_it_figure

PATH = "lessons/range_test.py"
CYCLICAL_PATH = "lessons/cyclical.py"
#: handed on to the Cyclical schedules page: {"min_lr", "max_lr", "source"} (plain floats)
BOUNDS_KEY = "rt_bounds"

DATA_KEY, MODEL_KEY, MIN_KEY, MAX_KEY = "rt_data", "rt_model", "rt_min", "rt_max"
ITERS_KEY, MODE_KEY, VIEW_KEY, BETA_KEY = "rt_iters", "rt_mode", "rt_view", "rt_beta"
STOP_KEY, VAL_KEY, SEED_KEY = "rt_stop", "rt_val", "rt_seed"
TRY_KEY, EPOCHS_KEY, QUIZ_KEY = "rt_try", "rt_epochs", "rt_quiz"

DATASETS: tuple[str, ...] = ("digits", "moons", "spirals")
MODELS: tuple[str, ...] = ("MLP", "softmax")
HIDDEN = (32,)
BATCH = 64
#: learning rates on a log scale, 1e-7 ... 100 (1, 2, 5 per decade); strings, so that the
#: option, its label and its value in the URL are the same text
LR_OPTIONS: tuple[str, ...] = tuple(f"{m}e-{e}" for e in range(7, 0, -1) for m in (1, 2, 5)) + (
    "1",
    "2",
    "5",
    "10",
    "20",
    "50",
    "100",
)
DEFAULT_MIN, DEFAULT_MAX = "1e-5", "10"
ITERS: tuple[int, ...] = (30, 50, 100, 150, 200, 300, 500, 750, 1000)
DEFAULT_ITERS = 300
MODES: tuple[str, ...] = ("exponential", "linear")
VIEWS: tuple[str, ...] = ("loss", "accuracy")
BETAS: tuple[float, ...] = (0.0, 0.5, 0.8, 0.9, 0.95, 0.98, 0.99)
DEFAULT_BETA = 0.98
STOPS: tuple[str, ...] = ("2", "3", "4", "5", "10", "off")
DEFAULT_STOP = "4"
VAL_EVERY: tuple[int, ...] = (1, 2, 5, 10, 20)
DEFAULT_VAL = 2
MAX_SEED = 9999
RULES: tuple[str, ...] = (
    "steepest",
    "minimum / 10",
    "valley",
    "Smith: start",
    "Smith: max",
    "Smith: min",
)
DEFAULT_RULE = "Smith: max"
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
MIN_EPOCHS, MAX_EPOCHS, DEFAULT_EPOCHS = 1, 15, 5
#: colour/dash of the three "try it" runs: 10x lower (blue), the suggestion (green), 10x higher
TRY_STYLES = (0, 2, 1)
QUIZ_OPTIONS = (
    "It trains fine, and ends with a lower loss than at the suggested rate",
    "It trains, but ends with a higher loss than at the suggested rate",
    "It blows up: the loss diverges",
)

ARTICLE_QUOTE = (
    "> Choose a minimum and maximum learning rate to search through (e.g. 1e-7 and 0.1). Train "
    "the model for several epochs using SGD while linearly increasing the learning rate from the "
    "minimum to maximum. At each iteration record the accuracy (or loss). Plot, and see where the "
    "loss/accuracy starts to improve, and when it starts to get worse/plateau/to become ragged. "
    "The latter is the maximum learning rate that converges and a good initial learning rate; the "
    "former, or 1/3 to 1/4 of the maximum, is a good minimum learning rate."
)


# ------------------------------------------------------------------------- pure helpers


def data_and_spec(data_name: str, model: str) -> tuple:
    """The data set and the model: a 1-hidden-layer MLP (32 ReLU units) or softmax regression."""
    data = load_dataset(data_name)
    if model == "softmax":
        spec = ModelSpec("softmax", data.n_features, data.n_classes)
    else:
        spec = ModelSpec("mlp", data.n_features, data.n_classes, hidden=HIDDEN)
    return data, spec


def iters_per_epoch(data_name: str) -> int:
    return math.ceil(load_dataset(data_name).n_train / BATCH)


def stop_factor(stop: str) -> float | None:
    return None if stop == "off" else float(stop)


def model_words(data_name: str, model: str) -> str:
    if model == "softmax":
        return f"softmax regression on the {data_name}"
    return f"an MLP (one hidden layer of {HIDDEN[0]}) on the {data_name}"


def try_rates(lr: float) -> tuple[float, float, float]:
    """The three fresh runs of the "try it" step: 10x lower, the suggestion, 10x higher."""
    return (lr / 10.0, lr, lr * 10.0)


def quiz_answer(h: History) -> int:
    """Which of :data:`QUIZ_OPTIONS` the 10x-higher run (row 2) did, against the suggestion
    (row 1)."""
    if h.diverged[2]:
        return 2
    if float(h.final_val_loss[2]) < float(h.final_val_loss[1]):
        return 0
    return 1


def compare_words(h: History, k: int) -> str:
    """How run ``k``'s final validation loss compares with the suggestion's (row 1)."""
    if k == 1 or h.diverged[k] or h.diverged[1]:
        return ""
    mine, ref = float(h.final_val_loss[k]), float(h.final_val_loss[1])
    if not (math.isfinite(mine) and math.isfinite(ref) and ref > 0):
        return ""
    ratio = mine / ref
    if ratio >= 1:
        return f"; it ends at {ratio:.1f}x the suggestion's final validation loss ({ref:.3f})"
    return (
        f"; it ends {1 / ratio:.1f}x lower than the suggestion's final validation loss ({ref:.3f})"
    )


def suggestion_rows(sugs: list[Suggestion]) -> pd.DataFrame:
    """The suggestions table: rule, learning rate and the rule's reason in words."""
    rows = []
    for s in sugs:
        if s.lr is None:
            rows.append((s.rule, "no suggestion", f"no suggestion: {s.reason}"))
        else:
            rows.append((s.rule, widgets.fmt_lr(s.lr), s.reason))
    return pd.DataFrame(rows, columns=["rule", "learning rate", "what the rule saw"])


def marks_of(sugs: list[Suggestion]) -> list[Mark]:
    return [
        Mark(RULE_LABEL.get(s.rule, s.rule), float(s.lr), RULE_STYLE.get(s.rule, 6))
        for s in sugs
        if s.lr is not None and s.lr > 0
    ]


def band_of(b: SmithBounds) -> tuple[float, float] | None:
    if b.min_lr.lr is None or b.max_lr.lr is None:
        return None
    return float(b.min_lr.lr), float(b.max_lr.lr)


# ------------------------------------------------------------------------- cached engine calls


@st.cache_data(max_entries=48, show_spinner=False)
def run_range_test(
    data_name: str,
    model: str,
    min_lr: float,
    max_lr: float,
    num_iter: int,
    mode: str,
    beta: float,
    stop: str,
    seed: int,
    val_every: int | None,
) -> dict:
    """One range test (plain SGD, minibatches of 64) and every rule's reading of it."""
    data, spec = data_and_spec(data_name, model)
    r = range_test(
        spec,
        data,
        min_lr=min_lr,
        max_lr=max_lr,
        num_iter=num_iter,
        mode=mode,
        beta=beta,
        stop_factor=stop_factor(stop),
        batch_size=BATCH,
        seed=seed,
        val_every=val_every,
    )
    return {"result": r, "suggestions": r.suggestions(), "smith": r.smith()}


@st.cache_data(max_entries=48, show_spinner=False)
def try_it(data_name: str, model: str, rates: tuple[float, ...], epochs: int, seed: int) -> History:
    """Fresh models (same seeded start, same minibatches) trained at ``rates``, SGD, batch 64,
    validated four times an epoch."""
    data, spec = data_and_spec(data_name, model)
    ipe = math.ceil(data.n_train / BATCH)
    return train(
        spec,
        data,
        list(rates),
        epochs=epochs,
        batch_size=BATCH,
        seed=seed,
        eval_every=max(1, ipe // 4),
    )


@st.cache_resource(max_entries=48, show_spinner=False)
def range_figure(run_key: tuple, accuracy: bool, big: bool) -> go.Figure:
    """The range test's chart for the run ``run_range_test(*run_key)``, built once per setting.

    A figure is never changed after it is built (``st.plotly_chart`` only serialises it), so
    one object can serve every rerun; rebuilding it through plotly's validators on every rerun
    would cost more than the cached engine call."""
    out = run_range_test(*run_key)
    r: RangeTestResult = out["result"]
    marks = marks_of(out["suggestions"])
    band = band_of(out["smith"])
    if accuracy:
        return accuracy_figure(
            r.val_lrs, r.val_acc, marks, band, lr_span=(r.min_lr, r.max_lr), big=big
        )
    stop = None if r.diverged_at == NEVER else (float(r.lrs[-1]), r.stop_reason)
    return range_test_figure(r.lrs, r.loss, r.smooth, marks, band, stop=stop, big=big)


@st.cache_resource(max_entries=48, show_spinner=False)
def try_figure(
    data_name: str,
    model: str,
    rates: tuple[float, ...],
    epochs: int,
    seed: int,
    labels: tuple[str, ...],
    big: bool,
) -> go.Figure:
    """The "try it" chart of :func:`try_it` (built once per setting, see :func:`range_figure`)."""
    h = try_it(data_name, model, rates, epochs, seed)
    ipe = h.iters_per_epoch
    div = [float(h.diverged_at[k]) / ipe if h.diverged[k] else None for k in range(h.K)]
    return try_it_figure(
        h.eval_epochs, h.val_loss, list(labels), styles=TRY_STYLES, diverged_epoch=div, big=big
    )


# ------------------------------------------------------------------------- the page

INTRO = (
    "How large may the learning rate be? The **range test** answers it in one short run: start "
    "with a tiny rate, **raise it a little after every minibatch**, and record the loss. At first "
    "the steps are too small to matter and the loss stays flat; then it starts to fall; at some "
    "rate it stops falling, turns ragged and shoots up. Those two turning points are the bounds."
)

NARRATIVE = (
    "- **Read the chart from left to right.** Grey dots are the batch losses, the black line "
    "their smoothed average. Flat (too small), falling (useful), ragged and rising (too large): "
    "the run stops by itself once the smoothed loss is 4 times its best.\n"
    "- **The rules disagree.** *steepest*, *min/10* and *valley* read the smoothed curve, like "
    "fastai and pytorch-lr-finder; *start*, *max* and *min* are Smith's reading of the raw "
    "losses. Change the **seed** and watch how far each one moves.\n"
    "- **Smoothing lags.** Set the smoothing to 0.99 (more lag, the black curve shifts right) or "
    "0 (none: as ragged as the dots).\n"
    "- **Linear vs exponential.** Smith raised the rate *linearly*; the tools do it "
    "exponentially. With a linear ramp from 1e-5 to 10 almost every iteration is spent above "
    "0.1: the dots crowd at the right end.\n"
    "- **Then try it**: below, fresh models train at the suggestion, 10x lower and 10x higher."
)

SMITH_STEPS = (
    "Leslie Smith's recipe (*Cyclical learning rates for training neural networks*, 2017, "
    "section 3.3), as the seed article puts it:\n\n"
    f"{ARTICLE_QUOTE}\n\n"
    "In this page's words:\n"
    "1. **Pick a range** wide enough to hold both turning points: *lowest rate* and *highest "
    "rate* above.\n"
    "2. **Train once while raising the rate every iteration**: each minibatch takes one SGD step "
    "at the next rate of the ramp (*linear* as in Smith's paper, or *exponential* as in fastai, "
    "which spends as many steps in every decade). The model is a fresh copy: the test changes "
    "nothing you keep.\n"
    "3. **Record the loss** of every minibatch (or, in the *accuracy* view, the validation "
    "accuracy every few iterations, which is what Smith plotted).\n"
    "4. **Read two rates off the plot**: where the loss *starts to fall* (*start*) and where it "
    "*stops falling, plateaus or turns ragged* (*max*). *max* is the largest rate that still "
    "converges and a good initial rate; for the lower bound of a cycle take *start*, or "
    "**max / 4 to max / 3** (*min*; Smith: the best rate is usually within a factor of two of "
    "the largest that converges).\n\n"
    "The page reads *start* and *max* on a running median of the raw batch losses (it does not "
    "lag like the smoothed curve): *max* is where that median comes within 5% of its lowest "
    "value, or earlier if the batch-to-batch jumps grow past 3 times their usual size (ragged)."
)


def _controls() -> dict:
    left, right = st.columns(2, gap="medium")
    with left:
        data_name = state.segmented("Data", DATASETS, "digits", key=DATA_KEY)
    with right:
        model = state.segmented(
            "Model",
            MODELS,
            "MLP",
            key=MODEL_KEY,
            help=f"MLP: one hidden layer of {HIDDEN[0]} ReLU units; softmax: a linear classifier.",
        )
    left, right = st.columns(2, gap="medium")
    with left:
        lo = state.select_slider(
            "Lowest rate (start of the ramp)", LR_OPTIONS, DEFAULT_MIN, key=MIN_KEY
        )
    with right:
        hi = state.select_slider(
            "Highest rate (end of the ramp)", LR_OPTIONS, DEFAULT_MAX, key=MAX_KEY
        )
    left, right = st.columns(2, gap="medium")
    with left:
        iters = state.select_slider(
            "Iterations (one minibatch of 64 each)",
            ITERS,
            DEFAULT_ITERS,
            key=ITERS_KEY,
            help="The rate is raised after every minibatch; more iterations, a finer ramp.",
        )
    with right:
        mode = state.segmented(
            "Ramp",
            MODES,
            "exponential",
            key=MODE_KEY,
            help="exponential: the same number of steps in every decade (fastai, "
            "pytorch-lr-finder); linear: equal steps of the rate (Smith's paper).",
        )
    view = state.segmented(
        "Show",
        VIEWS,
        "loss",
        key=VIEW_KEY,
        help="loss: every batch loss (what the tools plot); accuracy: validation accuracy "
        "every few iterations (what Smith plotted).",
    )
    with widgets.more_controls("More: smoothing, early stop, validation, seed"):
        left, right = st.columns(2, gap="medium")
        with left:
            beta = state.select_slider(
                "Smoothing β of the loss (0 = none)",
                BETAS,
                DEFAULT_BETA,
                key=BETA_KEY,
                help="Bias-corrected moving average: S = v / (1 − β^n), v ← β·v + (1 − β)·loss. "
                "0.98 is fastai's and Lightning's.",
            )
            stop = state.select_slider(
                "Stop when the smoothed loss exceeds … × its best",
                STOPS,
                DEFAULT_STOP,
                key=STOP_KEY,
                help="4: fastai and Lightning; 5: pytorch-lr-finder; off: run the whole ramp "
                "(a loss that overflows still stops it).",
            )
        with right:
            val_every = state.select_slider(
                "Accuracy view: validate every … iterations",
                VAL_EVERY,
                DEFAULT_VAL,
                key=VAL_KEY,
                help="Each validation is a pass over the held-out examples.",
            )
            seed = state.number_input(
                "Seed (initial weights and batch order)",
                0,
                MAX_SEED,
                0,
                step=1,
                key=SEED_KEY,
            )
    return {
        "data": str(data_name),
        "model": str(model),
        "lo": str(lo),
        "hi": str(hi),
        "iters": int(iters),
        "mode": str(mode),
        "view": str(view),
        "beta": float(beta),
        "stop": str(stop),
        "val_every": int(val_every),
        "seed": int(seed),
    }


def _checked_range(c: dict) -> tuple[float, float]:
    lo, hi = float(c["lo"]), float(c["hi"])
    if lo > hi:
        st.warning(
            f"The lowest rate ({c['lo']}) is above the highest ({c['hi']}): using them the other "
            "way round."
        )
        lo, hi = hi, lo
    elif lo == hi:
        new_hi = lo * 1e4
        st.warning(
            f"Both ends of the ramp are {c['lo']}: there is nothing to sweep. Sweeping "
            f"{widgets.fmt_lr(lo)} to {widgets.fmt_lr(new_hi)} (four decades) instead."
        )
        hi = new_hi
    return lo, hi


def _run_words(r: RangeTestResult, ipe: int, data_name: str) -> str:
    epochs = r.n / ipe
    span = f"lr {widgets.fmt_lr(r.lrs[0])} → {widgets.fmt_lr(r.lrs[-1])}"
    if r.diverged_at == NEVER:
        return (
            f"The ramp ran all **{r.num_iter} iterations** ({epochs:.1f} epochs of the {data_name}, "
            f"{span}) without diverging."
        )
    return (
        f"The run **stopped after {r.n} of {r.num_iter} iterations** ({epochs:.1f} epochs, "
        f"{span}), at lr = {widgets.fmt_lr(r.lrs[-1])}: {r.stop_reason}."
    )


def _smith_words(b: SmithBounds) -> str:
    if b.max_lr.lr is None:
        start = (
            f"The loss starts to fall at lr = {widgets.fmt_lr(b.start.lr)}, but "
            if b.start.lr is not None
            else ""
        )
        return f"**Smith's reading:** {start}no max: {b.max_lr.reason}."
    lo, hi = b.min_range or (b.min_lr.lr, b.min_lr.lr)
    return (
        f"**Smith's reading:** the loss starts to fall at lr = {widgets.fmt_lr(b.start.lr)} and "
        f"stops falling or turns ragged at **max_lr = {widgets.fmt_lr(b.max_lr.lr)}**; "
        f"**min_lr = max / 4 … max / 3 = {widgets.fmt_lr(lo)} … {widgets.fmt_lr(hi)}**."
    )


def _hand_on(b: SmithBounds, c: dict) -> None:
    """Put Smith's bounds in the session for the Cyclical schedules page, and say so."""
    cyc = pages.by_path(CYCLICAL_PATH)
    if b.max_lr.lr is not None and b.min_lr.lr is not None:
        source = (
            f"{c['model']} on the {c['data']}, {c['mode']} ramp, seed {c['seed']}: "
            "Smith's rule, min = max / 4"
        )
        st.session_state[BOUNDS_KEY] = {
            "min_lr": float(b.min_lr.lr),
            "max_lr": float(b.max_lr.lr),
            "source": source,
        }
        st.success(
            f"These bounds (min_lr = {widgets.fmt_lr(b.min_lr.lr)}, max_lr = "
            f"{widgets.fmt_lr(b.max_lr.lr)}) are now available on the **Cyclical schedules** "
            "page: press *Use the range test's bounds* there.",
            icon=":material/input:",
        )
        if cyc.exists:
            st.page_link(cyc.path, label="Cycle between these bounds", icon=cyc.icon)
        return
    prev = st.session_state.get(BOUNDS_KEY)
    if isinstance(prev, dict) and "max_lr" in prev:
        st.info(
            "This run gives no max_lr, so nothing new is handed on: the **Cyclical schedules** "
            f"page keeps the bounds found earlier ({prev.get('source', 'the range test')})."
        )
    else:
        st.info(
            "This run gives no max_lr, so there are no bounds to hand on to the **Cyclical "
            "schedules** page yet: widen the range or run more iterations."
        )


def _chart(run_key: tuple, c: dict, big: bool) -> None:
    out = run_range_test(*run_key)
    r: RangeTestResult = out["result"]
    marks = marks_of(out["suggestions"])
    data = r.to_frame()
    marked = ", ".join(f"{m.label} = {widgets.fmt_lr(m.lr)}" for m in marks) or "none"
    if c["view"] == "accuracy" and r.val_iters.size:
        fig = range_figure(run_key, True, big)
        acc = r.val_acc
        k = int(np.nanargmax(acc)) if np.isfinite(acc).any() else 0
        last = acc[np.isfinite(acc)][-1] if np.isfinite(acc).any() else float("nan")
        widgets.chart(
            fig,
            key="rt_chart",
            caption=(
                f"Validation accuracy (every {c['val_every']} iterations) against the rate the "
                f"model had just been trained at. It peaks at {100 * acc[k]:.1f}% at lr = "
                f"{widgets.fmt_lr(r.val_lrs[k])} and ends at {100 * last:.1f}%. Smith read "
                "min_lr where accuracy starts to climb and max_lr where it slows, turns ragged "
                "or falls. The lines are the rules' suggestions, read from the loss "
                f"({marked}); the orange band is Smith's min … max."
            ),
            data=data,
            filename="range-test",
        )
        return
    stop = r.diverged_at != NEVER
    fig = range_figure(run_key, False, big)
    lo = float(np.nanmin(r.smooth))
    widgets.chart(
        fig,
        key="rt_chart",
        caption=(
            f"Training loss against the learning rate (log scale): grey dots are the {r.n} "
            f"batch losses, the black line their smoothed average (β = {r.beta:g}; lowest "
            f"{lo:.3g}). Vertical lines mark each rule's suggestion ({marked}); the orange band "
            "is Smith's min … max"
            + (
                f"; the × marks where the run stopped (lr = {widgets.fmt_lr(r.lrs[-1])})."
                if stop
                else "."
            )
        ),
        data=data,
        filename="range-test",
    )


def _try_rule(sugs: list[Suggestion], wanted: str) -> Suggestion | None:
    """The suggestion of rule ``wanted``, or the first rule that gave one (with a note)."""
    by_rule = {s.rule: s for s in sugs}
    s = by_rule.get(wanted)
    if s is not None and s.lr is not None and s.lr > 0:
        return s
    fallback = next((x for x in sugs if x.lr is not None and x.lr > 0), None)
    why = s.reason if s is not None else "unknown rule"
    if fallback is None:
        st.warning(
            f"No rule gave a suggestion on this run ({why}), so there is nothing to try: widen "
            "the range or run more iterations."
        )
        return None
    st.warning(f"*{wanted}* gave no suggestion ({why}); trying *{fallback.rule}* instead.")
    return fallback


def _try_section(out: dict, c: dict, big: bool) -> None:
    st.subheader("Try it: train fresh models at the suggestion, 10x lower and 10x higher")
    left, right = st.columns(2, gap="medium")
    with left:
        wanted = state.selectbox(
            "Suggestion to try",
            RULES,
            RULES.index(DEFAULT_RULE),
            key=TRY_KEY,
            help="Which rule's learning rate to train at.",
        )
    with right:
        epochs = state.slider("Epochs", MIN_EPOCHS, MAX_EPOCHS, DEFAULT_EPOCHS, key=EPOCHS_KEY)
    s = _try_rule(out["suggestions"], str(wanted))
    if s is None:
        return
    lr = float(s.lr)
    rates = try_rates(lr)
    h = try_it(c["data"], c["model"], rates, int(epochs), c["seed"])
    labels = [
        f"10x lower, lr = {widgets.fmt_lr(rates[0])}",
        f"{s.rule}, lr = {widgets.fmt_lr(rates[1])}",
        f"10x higher, lr = {widgets.fmt_lr(rates[2])}",
    ]
    results = [classify_run(h, k) for k in range(3)]

    widgets.predict(
        QUIZ_KEY,
        f"The *{s.rule}* rule suggests lr = {widgets.fmt_lr(lr)}. What happens to a fresh model "
        f"trained for {int(epochs)} epochs at **ten times** that rate, "
        f"{widgets.fmt_lr(rates[2])}?",
        QUIZ_OPTIONS,
        quiz_answer(h),
        f"At {widgets.fmt_lr(rates[2])}: {results[2][1]}. At the suggestion: {results[1][1]}. "
        + (
            "A rate past the max of the range test is too large to train at: the max is the edge."
            if h.diverged[2]
            else "This suggestion is cautious: the model tolerates a larger rate. The rules "
            "that read the smoothed curve often sit well below the edge."
            if quiz_answer(h) == 0
            else "Ten times the suggestion is past its best: larger steps stop paying off."
        ),
    )

    widgets.chart(
        try_figure(c["data"], c["model"], rates, int(epochs), c["seed"], tuple(labels), big),
        key="rt_try_chart",
        caption=(
            f"Validation loss (log scale) four times an epoch of three fresh {c['model']} models "
            f"on the {c['data']}, from the same start and the same minibatches (seed "
            f"{c['seed']}), at the {s.rule} suggestion and ten times below and above it."
        ),
        data=h.val_frame(),
        filename="range-test-try-it",
    )
    widgets.verdicts(
        [
            (lab, kind, text + compare_words(h, k))
            for k, (lab, (kind, text)) in enumerate(zip(labels, results, strict=True))
        ]
    )
    table = pd.DataFrame(
        {
            "run": labels,
            "verdict": [k for k, _ in results],
            "final validation loss": [
                "diverged" if h.diverged[k] else f"{h.final_val_loss[k]:.3f}" for k in range(3)
            ],
            "final validation accuracy": [
                "—" if h.diverged[k] else f"{100 * h.final_val_acc[k]:.1f}%" for k in range(3)
            ],
        }
    )
    st.table(table.set_index("run"))


@st.fragment
def lesson() -> None:
    big = state.lecture()
    c = _controls()
    lo, hi = _checked_range(c)
    val_every = c["val_every"] if c["view"] == "accuracy" else None
    run_key = (
        c["data"],
        c["model"],
        lo,
        hi,
        c["iters"],
        c["mode"],
        c["beta"],
        c["stop"],
        c["seed"],
        val_every,
    )
    out = run_range_test(*run_key)
    r: RangeTestResult = out["result"]
    b: SmithBounds = out["smith"]
    ipe = iters_per_epoch(c["data"])

    st.subheader(f"The range test: {model_words(c['data'], c['model'])}, plain SGD")
    st.markdown(_run_words(r, ipe, c["data"]) + "\n\n" + _smith_words(b))
    _chart(run_key, c, big)

    st.markdown("**Every rule's suggestion**")
    st.table(suggestion_rows(out["suggestions"]).set_index("rule"))
    st.caption(" · ".join(f"**{rule}**: {note}" for rule, note in RULE_NOTES.items()))
    _hand_on(b, c)
    widgets.narrative(SMITH_STEPS, label="Smith's procedure, in this page's words")
    _try_section(out, c, big)
    widgets.next_lesson(PATH)


def main() -> None:
    widgets.header("Range test", INTRO)
    widgets.narrative(NARRATIVE)
    lesson()


main()
