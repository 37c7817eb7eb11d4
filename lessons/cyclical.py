"""Lesson 7: Cyclical schedules. Cycle the learning rate between the range test's bounds and race
triangular, triangular2, exp_range and 1cycle against a constant rate on the digits."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from engine.data import load_dataset
from engine.models import ModelSpec
from engine.schedules import Schedule, make_schedule
from engine.train import History, classify_run, train
from lessons.ui import pages, state, widgets
from lessons.ui.fig_schedules import accuracy_figure, loss_figure, schedule_figure

PATH = "lessons/cyclical.py"
RANGE_TEST_PATH = "lessons/range_test.py"
RT_KEY = "rt_bounds"  # set by the Range test page: {"min_lr", "max_lr", "source"}
MIN_KEY, MAX_KEY = "cy_min", "cy_max"
SCHED_KEY, CONST_KEY, STEP_KEY, EPOCHS_KEY = "cy_sched", "cy_const", "cy_step", "cy_epochs"
GAMMA_KEY, TARGET_KEY, SEED_KEY, QUIZ_KEY = "cy_gamma", "cy_target", "cy_seed", "cy_quiz"
USE_RT_KEY = "cy_use_rt"
_SRC_KEY = "_cy_src"  # where the current bounds came from (set by the hand-off button)

#: the model and data every run trains: the 8x8 digits, a 64-32-10 MLP, minibatches of 64, SGD
DATASET = "digits"
HIDDEN = (32,)
BATCH = 64

#: learning rates on a log scale, 1e-4 ... 10 (eight values a decade)
LR_GRID: tuple[float, ...] = tuple(
    float(f"{m:g}e{e}") for e in range(-4, 1) for m in (1, 1.5, 2, 3, 4, 5, 6, 8)
) + (10.0,)
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
DEFAULT_STEP = 2.0
MIN_EPOCHS, MAX_EPOCHS, DEFAULT_EPOCHS = 2, 30, 12
GAMMAS: tuple[float, ...] = (0.98, 0.99, 0.993, 0.995, 0.997, 0.998, 0.999, 0.9995)
DEFAULT_GAMMA = 0.995
TARGETS: tuple[float, ...] = (0.9, 0.92, 0.94, 0.95, 0.96, 0.97, 0.98)
DEFAULT_TARGET = 0.95
#: the 1cycle policy's final division (torch OneCycleLR default)
FINAL_DIV = 1e4
QUIZ_OPTIONS = (
    "The constant rate",
    "A cyclical schedule",
    "They tie",
    "None of them gets there",
)


# ------------------------------------------------------------------------- pure helpers


def fmt(lr: float) -> str:
    """A rate for people, exact on this page's grid: 0.15, 0.00015, 1.5e-5."""
    return f"{lr:.3g}".replace("e-0", "e-").replace("e+0", "e+")


def snap(lr: float) -> float:
    """The value of :data:`LR_GRID` nearest to ``lr`` on a log scale (clipped to the grid)."""
    grid = np.log(np.asarray(LR_GRID))
    return LR_GRID[int(np.argmin(np.abs(grid - math.log(lr))))]


def data_and_spec():
    data = load_dataset(DATASET)
    return data, ModelSpec("mlp", data.n_features, data.n_classes, hidden=HIDDEN)


def iters_per_epoch() -> int:
    data, _ = data_and_spec()
    return math.ceil(data.n_train / BATCH)


def constant_rate(lo: float, hi: float, at: str) -> float:
    """The baseline's fixed rate: a bound, or their geometric middle."""
    return {"min": lo, "max": hi}.get(at, math.sqrt(lo * hi))


def schedule_params(
    key: str, lo: float, hi: float, step: int, gamma: float, total: int, const: float
) -> tuple[tuple[str, float], ...]:
    """The :func:`engine.schedules.make_schedule` parameters of schedule ``key`` (a sorted tuple,
    so it can key a cache).  ``step`` is the half-cycle in iterations, ``total`` the run's."""
    if key == "constant":
        p: dict = {"base_lr": const}
    elif key in ("triangular", "triangular2"):
        p = {"base_lr": lo, "max_lr": hi, "step_size": step}
    elif key == "exp_range":
        p = {"base_lr": lo, "max_lr": hi, "step_size": step, "gamma": gamma}
    elif key == "onecycle":
        # one cycle over the whole run, starting at the lower bound (div_factor = max / min)
        p = {
            "max_lr": hi,
            "total_steps": total,
            "div_factor": hi / lo,
            "final_div_factor": FINAL_DIV,
            "cycle_momentum": True,
        }
    elif key == "sgdr":
        p = {"eta_max": hi, "T_0": 2 * step, "T_mult": 1, "eta_min": lo}
    else:
        raise ValueError(f"unknown schedule {key!r}")
    return tuple(sorted(p.items()))


def build(key: str, params: tuple[tuple[str, float], ...]) -> Schedule:
    return make_schedule(key, **dict(params))


# ------------------------------------------------------------------------- cached engine calls


@st.cache_data(max_entries=96, show_spinner=False)
def train_schedule(
    key: str, params: tuple[tuple[str, float], ...], epochs: int, seed: int
) -> History:
    """Train the digits MLP with plain SGD for ``epochs`` epochs, the rate of iteration ``t``
    being ``schedule.lr(t)``.  Every schedule starts from the same seeded weights and sees the
    same minibatches, so the runs differ only by their rates."""
    data, spec = data_and_spec()
    ipe = math.ceil(data.n_train / BATCH)
    total = epochs * ipe
    rates = build(key, params).lr(np.arange(total))
    return train(
        spec,
        data,
        [float(rates[0])],
        epochs=epochs,
        batch_size=BATCH,
        seed=seed,
        schedule=rates,
        eval_every=max(1, ipe // 2),
    )


#: one run per schedule: (key, label, make_schedule parameters)
View = tuple[tuple[str, str, tuple[tuple[str, float], ...]], ...]

# The three charts are cached as resources: built once per view and only read afterwards
# (st.plotly_chart serialises a figure without changing it), which spares a rerun plotly's slow
# validation of every figure.


@st.cache_resource(max_entries=32, show_spinner=False)
def rate_chart(
    view: View, lo: float, hi: float, total: int, ipe: int, big: bool
) -> tuple[go.Figure, pd.DataFrame]:
    """The rate (and 1cycle's momentum) of every schedule over the run, and its data."""
    t = np.arange(total)
    scheds = {k: build(k, p) for k, _, p in view}
    lrs = np.stack([scheds[k].lr(t) for k, _, _ in view])
    mom = scheds["onecycle"].momentum(t) if "onecycle" in scheds else None
    data = pd.DataFrame({"iteration": t, "epoch": t / ipe})
    for (_, label, _), row in zip(view, lrs, strict=True):
        data[f"lr {label}"] = row
    if mom is not None:
        data["momentum 1cycle (not applied)"] = mom
    fig = schedule_figure(
        lrs,
        [label for _, label, _ in view],
        ipe,
        bounds=(lo, hi),
        styles=[STYLE[k] for k, _, _ in view],
        momentum=mom,
        momentum_label="1cycle momentum (not applied)",
        big=big,
    )
    return fig, data


def _runs(view: View, epochs: int, seed: int) -> dict[str, History]:
    return {k: train_schedule(k, p, epochs, seed) for k, _, p in view}


@st.cache_resource(max_entries=32, show_spinner=False)
def loss_chart(view: View, epochs: int, seed: int, big: bool) -> tuple[go.Figure, pd.DataFrame]:
    """Training loss of every run, and the per-iteration data behind it."""
    runs = _runs(view, epochs, seed)
    labels = {k: label for k, label, _ in view}
    ipe = next(iter(runs.values())).iters_per_epoch
    fig = loss_figure(
        [runs[k].train_loss[0] for k in runs],
        [labels[k] for k in runs],
        ipe,
        styles=[STYLE[k] for k in runs],
        diverged_at=[int(runs[k].diverged_at[0]) for k in runs],
        big=big,
    )
    return fig, _loss_frame(runs, labels)


@st.cache_resource(max_entries=32, show_spinner=False)
def accuracy_chart(
    view: View, epochs: int, seed: int, target: float, big: bool
) -> tuple[go.Figure, pd.DataFrame]:
    """Validation accuracy of every run with the target, and the per-evaluation data."""
    runs = _runs(view, epochs, seed)
    labels = {k: label for k, label, _ in view}
    ipe = next(iter(runs.values())).iters_per_epoch
    fig = accuracy_figure(
        [runs[k].eval_iters / ipe for k in runs],
        [runs[k].val_acc[0] for k in runs],
        [labels[k] for k in runs],
        target=target,
        reached=[reach_epoch(runs[k], target) for k in runs],
        styles=[STYLE[k] for k in runs],
        big=big,
    )
    return fig, _val_frame(runs, labels)


# ------------------------------------------------------------------------- the hand-off


def range_test_bounds() -> tuple[dict | None, str | None]:
    """The Range test page's bounds, checked: ``(bounds, None)`` or ``(None, why not)``."""
    raw = st.session_state.get(RT_KEY)
    if raw is None:
        return None, None
    try:
        lo, hi = float(raw["min_lr"]), float(raw["max_lr"])
        source = str(raw.get("source", "the range test"))
    except (TypeError, KeyError, ValueError):
        return None, "they are not a pair of numbers"
    if not (math.isfinite(lo) and math.isfinite(hi) and 0 < lo < hi):
        return None, f"they are not two positive rates with min < max (got {lo:g} and {hi:g})"
    return {"min_lr": lo, "max_lr": hi, "source": source}, None


def _use_range_test() -> None:
    rt, _ = range_test_bounds()
    if rt is None:
        return
    lo, hi = snap(rt["min_lr"]), snap(rt["max_lr"])
    if lo >= hi:  # both snapped to one grid value: keep them one notch apart
        i = LR_GRID.index(lo)
        lo, hi = (LR_GRID[i - 1], lo) if i > 0 else (lo, LR_GRID[i + 1])
    st.session_state[MIN_KEY] = lo
    st.session_state[MAX_KEY] = hi
    st.session_state[_SRC_KEY] = {**rt, "min": lo, "max": hi}


def _arrow(raw: float, shown: float) -> str:
    if abs(raw - shown) <= 1e-9 * shown:
        return fmt(shown)
    return f"{fmt(raw)} → **{fmt(shown)}**"


def _bounds() -> tuple[float, float]:
    st.subheader("1 · The bounds")
    rt, problem = range_test_bounds()
    if rt is not None:
        st.info(
            f"The **Range test** found min_lr = {fmt(rt['min_lr'])} and max_lr = "
            f"{fmt(rt['max_lr'])} ({rt['source']})."
        )
    elif problem is not None:
        st.warning(f"The bounds handed over by the Range test can't be used: {problem}.")
    st.button(
        "Use the range test's bounds",
        icon=":material/input:",
        key=USE_RT_KEY,
        on_click=_use_range_test,
        disabled=rt is None,
        help="Set both bounds to what the Range test page found (nearest values on this scale).",
    )
    rt_page = pages.by_path(RANGE_TEST_PATH)
    if rt is None and rt_page in pages.available():
        st.page_link(
            rt_page.path,
            label="Find the bounds with the Range test",
            icon=rt_page.icon,
        )
    elif rt is None:
        st.caption(
            "No range test has been run in this session: the bounds below start at defaults."
        )
    left, right = st.columns(2, gap="medium")
    with left:
        lo = state.select_slider(
            "Lower bound min_lr",
            LR_GRID,
            DEFAULT_MIN,
            key=MIN_KEY,
            format_func=fmt,
            help="Where the range test's loss starts to fall, or max_lr / 3 to max_lr / 4.",
        )
    with right:
        hi = state.select_slider(
            "Upper bound max_lr",
            LR_GRID,
            DEFAULT_MAX,
            key=MAX_KEY,
            format_func=fmt,
            help="Where the range test's loss stops falling or turns ragged.",
        )
    lo, hi = float(lo), float(hi)
    src = st.session_state.get(_SRC_KEY)
    if lo > hi:
        st.warning(
            f"The lower bound ({fmt(lo)}) is above the upper one "
            f"({fmt(hi)}): using them the other way round."
        )
        lo, hi = hi, lo
    elif lo == hi:
        st.warning(
            f"Both bounds are {fmt(lo)}: the cyclical schedules have nothing to cycle "
            "between and train at a constant rate (1cycle still anneals at the end)."
        )
    if src is not None and (src["min"], src["max"]) == (lo, hi):
        st.caption(
            f"Bounds from the **Range test** ({src['source']}): min_lr "
            f"{_arrow(src['min_lr'], lo)}, max_lr {_arrow(src['max_lr'], hi)}"
            + (
                " (nearest values on this page's scale)."
                if (src["min_lr"], src["max_lr"]) != (lo, hi)
                else "."
            )
        )
    elif (lo, hi) == (DEFAULT_MIN, DEFAULT_MAX):
        st.caption(
            "Default bounds: max_lr = 0.6 is close to where a range test of this model (exponential "
            "ramp) finds the loss turning ragged, and min_lr = max_lr / 4 = 0.15 follows Smith's "
            "rule of thumb."
        )
    else:
        st.caption(
            f"Bounds set by hand: min_lr = {fmt(lo)}, max_lr = {fmt(hi)} "
            f"(max / min = {hi / lo:.3g}; Smith suggests 3 to 4)."
        )
    return lo, hi


# ------------------------------------------------------------------------- summaries


def reach_epoch(h: History, target: float) -> float | None:
    """Epoch of the first evaluation at which the validation accuracy reached ``target``."""
    acc = h.val_acc[0]
    hit = np.flatnonzero(np.isfinite(acc) & (acc >= target - 1e-12))
    return None if hit.size == 0 else float(h.eval_iters[hit[0]] / h.iters_per_epoch)


def _iters(h: History, epoch: float) -> int:
    return int(round(epoch * h.iters_per_epoch))


def summarise(runs: dict[str, History], target: float) -> list[dict]:
    """One row of numbers per run (in the order of ``runs``)."""
    finals = [float(h.final_val_loss[0]) for h in runs.values() if not h.diverged[0]]
    ref = min(finals) if finals else None
    rows = []
    for key, h in runs.items():
        ipe = h.iters_per_epoch
        acc = h.val_acc[0]
        finite = np.isfinite(acc)
        best = int(np.nanargmax(np.where(finite, acc, -1.0))) if finite.any() else 0
        kind, text = classify_run(h, 0, reference=ref)
        tail = h.train_loss[0, -ipe:]
        rows.append(
            {
                "key": key,
                "kind": kind,
                "text": text,
                "reach": reach_epoch(h, target),
                "final_acc": float(h.final_val_acc[0]),
                "final_loss": float(h.final_val_loss[0]),
                "best_acc": float(acc[best]) if finite.any() else float("nan"),
                "best_epoch": float(h.eval_iters[best] / ipe),
                "train_loss": (
                    float(np.mean(tail))
                    if not h.diverged[0] and np.isfinite(tail).all()
                    else float("nan")
                ),
                "diverged_at": int(h.diverged_at[0]),
            }
        )
    return rows


def quiz_answer(rows: list[dict]) -> int:
    """Index into :data:`QUIZ_OPTIONS`: who reached the target accuracy in the fewest epochs."""
    const = rows[0]["reach"]
    cyc = [r["reach"] for r in rows[1:] if r["reach"] is not None]
    if const is None and not cyc:
        return 3
    if const is None:
        return 1
    if not cyc:
        return 0
    best = min(cyc)
    return 1 if best < const else (2 if best == const else 0)


def _reach_words(h: History, r: dict, target: float, epochs: int) -> str:
    if r["reach"] is None:
        best = "" if not math.isfinite(r["best_acc"]) else f" (best {r['best_acc']:.1%})"
        return f"never reached {target:.0%} validation accuracy in {epochs} epochs{best}"
    return (
        f"reached {target:.0%} validation accuracy after {_iters(h, r['reach'])} iterations "
        f"({r['reach']:.1f} epochs)"
    )


def _who(keys: list[str], labels: dict[str, str]) -> str:
    names = [labels[k] for k in keys]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def headline(rows: list[dict], labels: dict[str, str], target: float, epochs: int, ipe: int) -> str:
    """The run's answer to Smith's claim, in words."""
    const = rows[0]
    cyc = [r for r in rows[1:] if r["reach"] is not None]
    c_name = labels["constant"]
    if const["reach"] is None and not cyc:
        return (
            f"No run reached {target:.0%} validation accuracy within {epochs} epochs: lower the "
            "target or train longer."
        )
    if not cyc:
        return (
            f"Only the constant rate reached {target:.0%} (after {const['reach']:.1f} epochs): "
            "in this run no cyclical schedule got there. Smith's claim does not show up here."
        )
    first = min(r["reach"] for r in cyc)
    fastest = [r["key"] for r in cyc if r["reach"] == first]
    f_name = _who(fastest, labels)
    it_first = int(round(first * ipe))
    if const["reach"] is None:
        return (
            f"**{f_name}** reached {target:.0%} validation accuracy after {it_first} iterations "
            f"({first:.1f} epochs); the constant rate ({c_name}) never did in {epochs} epochs."
        )
    it_const = int(round(const["reach"] * ipe))
    if first < const["reach"]:
        return (
            f"**{f_name}** reached {target:.0%} validation accuracy after {it_first} iterations "
            f"({first:.1f} epochs), the constant rate after {it_const} ({const['reach']:.1f} "
            f"epochs): **{const['reach'] / first:.1f}× fewer iterations**, Smith's headline claim."
        )
    if first == const["reach"]:
        return (
            f"**{f_name}** and the constant rate reached {target:.0%} validation accuracy at the "
            f"same evaluation, after {it_first} iterations ({first:.1f} epochs): no gain in "
            "speed in this run."
        )
    return (
        f"The **constant rate** reached {target:.0%} first, after {it_const} iterations "
        f"({const['reach']:.1f} epochs); the fastest cyclical schedule ({f_name}) needed "
        f"{it_first} ({first:.1f} epochs). Smith's claim does not show up in this run."
    )


def finals_sentence(rows: list[dict], labels: dict[str, str], n_val: int) -> str:
    ok = [r for r in rows if r["diverged_at"] < 0 and math.isfinite(r["final_loss"])]
    if not ok:
        return "Every run diverged: lower the upper bound."
    low = min(r["final_loss"] for r in ok)
    top = max(r["final_acc"] for r in ok)
    by_loss = [r["key"] for r in ok if r["final_loss"] == low]
    by_acc = [r["key"] for r in ok if r["final_acc"] == top]
    return (
        f"At the end, the lowest validation loss is {_who(by_loss, labels)}'s ({low:.3f}) and "
        f"the highest validation accuracy {_who(by_acc, labels)}'s ({top:.1%}). One validation "
        f"image is {1 / n_val:.2%} of {n_val}: differences of a few tenths of a percent are a "
        "few images, so change the seed to see which survive."
    )


# ------------------------------------------------------------------------- the page


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


def _schedule_controls() -> tuple[list[str], str, float, int]:
    chosen = state.multiselect(
        "Schedules to race against the constant rate",
        CYCLICAL,
        DEFAULT_SCHEDULES,
        key=SCHED_KEY,
        format_func=NAMES.get,
        help="The constant rate is always there, as the baseline.",
    )
    left, right = st.columns(2, gap="medium")
    with left:
        const_at = state.segmented(
            "Constant rate at",
            CONST_AT,
            "min",
            key=CONST_KEY,
            format_func=CONST_NAMES.get,
            help="Smith's baseline was the fixed rate at the lower bound.",
        )
        step_epochs = state.select_slider(
            "Step size (half a cycle), in epochs",
            STEP_EPOCHS,
            DEFAULT_STEP,
            key=STEP_KEY,
            format_func=lambda e: f"{e:g}",
            help="Smith: 2 to 10 epochs. A full cycle (up and down) is twice this.",
        )
    with right:
        epochs = state.slider(
            "Epochs",
            MIN_EPOCHS,
            MAX_EPOCHS,
            DEFAULT_EPOCHS,
            key=EPOCHS_KEY,
            help="Smith: stop at the end of a cycle, where the rate is lowest.",
        )
    return list(chosen), str(const_at), float(step_epochs), int(epochs)


def _more() -> tuple[float, float, int]:
    with widgets.more_controls("More: exp_range's gamma, target accuracy, seed"):
        gamma = state.select_slider(
            "gamma of exp_range (per iteration)",
            GAMMAS,
            DEFAULT_GAMMA,
            key=GAMMA_KEY,
            format_func=lambda g: f"{g:g}",
            help="The height of exp_range's cycles is multiplied by gamma at every iteration.",
        )
        target = state.select_slider(
            "Target validation accuracy",
            TARGETS,
            DEFAULT_TARGET,
            key=TARGET_KEY,
            format_func=lambda a: f"{a:.0%}",
            help="How many iterations does each schedule need to get there?",
        )
        seed = state.number_input(
            "Seed (initial weights and minibatch order)",
            0,
            999,
            0,
            step=1,
            key=SEED_KEY,
        )
    return float(gamma), float(target), int(seed)


def _schedule_caption(
    chosen: list[str], lo: float, hi: float, step: int, epochs: int, ipe: int, gamma: float
) -> str:
    total = epochs * ipe
    fl = fmt
    parts = []
    if any(k in chosen for k in ("triangular", "triangular2", "exp_range", "sgdr")):
        cycles = total / (2 * step)
        parts.append(
            f"A cycle climbs from {fl(lo)} to {fl(hi)} in {step} iterations and comes back "
            f"down in as many: {cycles:.3g} cycles in {epochs} epochs ({total} iterations)."
        )
        if abs(cycles - round(cycles)) < 1e-9:
            parts.append(
                "The run ends at the end of a cycle, with the rate back at the lower bound, "
                "where Smith says to stop."
            )
        else:
            frac = cycles - math.floor(cycles)
            parts.append(
                f"The run stops {frac:.0%} of the way through a cycle, not at its end, where "
                "Smith says to stop (the rate is lowest there)."
            )
    if "exp_range" in chosen:
        parts.append(
            f"Exp-range's peaks shrink by gamma = {gamma:g} per iteration: its last ones reach "
            f"{gamma**total:.0%} of the first one's height above the lower bound."
        )
    if "sgdr" in chosen:
        parts.append("SGDR glides down along a cosine and jumps back up every cycle.")
    if "onecycle" in chosen:
        parts.append(
            f"1cycle warms up from {fl(lo)} to {fl(hi)} over the first 30% of the run, then "
            f"anneals along a cosine to {fmt(lo / FINAL_DIV)} (lower bound / 10⁴). Its momentum "
            "(bottom panel) moves the other way; the runs here use plain SGD, so only the rate "
            "is applied."
        )
    return " ".join(parts)


@st.fragment
def lesson() -> None:
    big = state.lecture()
    widgets.narrative(NARRATIVE)
    lo, hi = _bounds()

    st.subheader("2 · The schedules")
    chosen, const_at, step_epochs, epochs = _schedule_controls()
    gamma, target, seed = _more()
    if not chosen:
        st.info("No schedule chosen: showing Triangular against the constant rate.")
        chosen = ["triangular"]

    ipe = iters_per_epoch()
    total = epochs * ipe
    step = max(1, int(round(step_epochs * ipe)))
    const = constant_rate(lo, hi, const_at)
    keys = ["constant", *[k for k in CYCLICAL if k in chosen]]
    labels = {"constant": f"Constant {fmt(const)}"} | {k: NAMES[k] for k in keys[1:]}
    try:
        params = {k: schedule_params(k, lo, hi, step, gamma, total, const) for k in keys}
        for k, p in params.items():
            build(k, p)  # checks the parameters
    except ValueError as err:  # pragma: no cover - the widgets keep every value valid
        st.error(f"Can't build these schedules: {err}")
        return
    view = tuple((k, labels[k], params[k]) for k in keys)
    fig, sched_data = rate_chart(view, lo, hi, total, ipe, big)
    widgets.chart(
        fig,
        key="cy_schedules",
        caption="The learning rate each schedule uses at every iteration. "
        + _schedule_caption(chosen, lo, hi, step, epochs, ipe, gamma),
        data=sched_data,
        filename="cyclical-schedules",
    )

    runs = _runs(view, epochs, seed)
    rows = summarise(runs, target)
    answer = quiz_answer(rows)
    head = headline(rows, labels, target, epochs, ipe)
    widgets.predict(
        QUIZ_KEY,
        f"Each schedule trains the same digits classifier from the same starting weights. Which "
        f"reaches **{target:.0%}** validation accuracy in the fewest iterations?",
        QUIZ_OPTIONS,
        answer,
        f"In this run: {head.replace('**', '')} The stars on the accuracy chart below mark "
        "where each schedule first got there.",
    )

    st.subheader("3 · The race")
    st.markdown(
        f"The digits (8x8 images, {runs['constant'].n_train} for training, "
        f"{_n_val()} for validation), a 64-32-10 network, plain SGD on minibatches "
        f"of {BATCH}: the same weights at the start and the same minibatches for every schedule."
    )
    fig, loss_data = loss_chart(view, epochs, seed, big)
    widgets.chart(
        fig,
        key="cy_loss",
        caption=(
            "Training loss (log scale), averaged over quarter epochs. The cyclical curves wobble "
            "with their rate: the loss falls fastest while the rate comes down."
        ),
        data=loss_data,
        filename="cyclical-training-loss",
    )
    fig, val_data = accuracy_chart(view, epochs, seed, target, big)
    widgets.chart(
        fig,
        key="cy_acc",
        caption=(
            f"Validation accuracy, measured every {max(1, ipe // 2)} iterations (half an epoch); "
            f"the dashed line is the target ({target:.0%}), a star where each schedule first "
            "reaches it."
        ),
        data=val_data,
        filename="cyclical-validation",
    )
    st.markdown(head)
    st.markdown(finals_sentence(rows, labels, _n_val()))
    widgets.verdicts(
        [
            (
                labels[r["key"]],
                r["kind"],
                f"{r['text']}; {_reach_words(runs[r['key']], r, target, epochs)}",
            )
            for r in rows
        ]
    )
    table, raw = _tables(rows, labels, target)
    st.dataframe(table, hide_index=True, width="stretch")
    widgets.download_csv(raw, "cyclical-final-numbers.csv", key="cy_table_csv")
    widgets.next_lesson(PATH)


def _n_val() -> int:
    data, _ = data_and_spec()
    return data.n_val


def _loss_frame(runs: dict[str, History], labels: dict[str, str]) -> pd.DataFrame:
    # a run that diverged stopped early: its columns are padded with NaN
    T = max(h.T for h in runs.values())
    it = np.arange(T)
    df = pd.DataFrame({"iteration": it, "epoch": it / next(iter(runs.values())).iters_per_epoch})
    for k, h in runs.items():
        for name, rec in (("batch loss", h.train_loss[0]), ("lr", h.lr[0])):
            col = np.full(T, np.nan)
            col[: rec.shape[0]] = rec
            df[f"{name} {labels[k]}"] = col
    return df


def _val_frame(runs: dict[str, History], labels: dict[str, str]) -> pd.DataFrame:
    parts = []
    for k, h in runs.items():
        parts.append(
            pd.DataFrame(
                {
                    "schedule": labels[k],
                    "iteration": h.eval_iters,
                    "epoch": h.eval_iters / h.iters_per_epoch,
                    "val_loss": h.val_loss[0],
                    "val_acc": h.val_acc[0],
                }
            )
        )
    return pd.concat(parts, ignore_index=True)


def _pct(v: float) -> str:
    return "—" if not math.isfinite(v) else f"{v:.1%}"


def _num(v: float) -> str:
    return "—" if not math.isfinite(v) else f"{v:.3f}"


def _tables(
    rows: list[dict], labels: dict[str, str], target: float
) -> tuple[pd.DataFrame, pd.DataFrame]:
    reach_col = f"epochs to {target:.0%}"
    shown = pd.DataFrame(
        {
            "schedule": [labels[r["key"]] for r in rows],
            "final val. accuracy": [_pct(r["final_acc"]) for r in rows],
            "best val. accuracy (epoch)": [
                f"{_pct(r['best_acc'])} ({r['best_epoch']:.1f})" for r in rows
            ],
            reach_col: ["never" if r["reach"] is None else f"{r['reach']:.1f}" for r in rows],
            "final val. loss": [_num(r["final_loss"]) for r in rows],
            "train loss, last epoch": [_num(r["train_loss"]) for r in rows],
            "verdict": [
                f"diverged at iteration {r['diverged_at']}" if r["diverged_at"] >= 0 else r["kind"]
                for r in rows
            ],
        }
    )
    raw = pd.DataFrame(
        {
            "schedule": [labels[r["key"]] for r in rows],
            "final_val_acc": [r["final_acc"] for r in rows],
            "best_val_acc": [r["best_acc"] for r in rows],
            "best_epoch": [r["best_epoch"] for r in rows],
            f"epochs_to_{round(target * 100)}pct": [
                np.nan if r["reach"] is None else r["reach"] for r in rows
            ],
            "final_val_loss": [r["final_loss"] for r in rows],
            "train_loss_last_epoch": [r["train_loss"] for r in rows],
            "diverged_at": [r["diverged_at"] for r in rows],
            "verdict": [r["kind"] for r in rows],
        }
    )
    return shown, raw


def main() -> None:
    widgets.header(
        "Cyclical schedules",
        "Instead of one fixed learning rate, let it **cycle** between the two bounds the range "
        "test found: up to the largest rate that still trains, back down to the smallest that "
        "makes progress, again and again. Does it train faster than a constant rate?",
    )
    lesson()


main()
