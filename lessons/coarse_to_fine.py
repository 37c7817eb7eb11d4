"""Lesson 5: Coarse-to-fine search. Sweep decades cheaply on a subset, then refine where it pays."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import streamlit as st

from engine.data import load_dataset
from engine.models import ModelSpec
from engine.search import coarse_to_fine, successive_halving
from engine.train import train
from lessons.ui import state, widgets
from lessons.ui.fig_search import (
    STALL_DROP,
    WORTH_SHARE,
    cost_figure,
    halving_figure,
    point_status,
    search_figure,
    worth_refining,
)

PATH = "lessons/coarse_to_fine.py"
DATA = "digits"
HIDDEN = (32,)
BATCH = 64
#: the decades offered for the stage-1 sweep: 1e-7 ... 10
DECADES: tuple[float, ...] = tuple(10.0**e for e in range(-7, 2))
DEFAULT_RANGE = (1e-7, 1.0)
MODELS = ("softmax", "MLP")  # as shown and spelled in the URL; the engine's kind is .lower()
MODEL_NAMES = {"softmax": "softmax regression", "MLP": "an MLP (one hidden layer, 32 ReLU)"}
SUBSETS = (0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0)
DEFAULT_SUBSET = 0.2
EPOCHS1_MAX, DEFAULT_EPOCHS1 = 10, 3
EPOCHS2_MAX, DEFAULT_EPOCHS2 = 8, 5
POINTS_MIN, POINTS_MAX, DEFAULT_POINTS = 3, 10, 8
REFINE_DECADES = (1, 2)
SAMPLINGS = ("grid", "random")
ETAS = (2, 3, 4)
SEED_MAX = 999
#: the caps above keep the most expensive view (MLP, 1e-7 … 10, stage 1 on all the data for 10
#: epochs, 10 stage-2 rates in one decade for 8 epochs: a full grid of 73 rates) near 1.5 s cold
QUIZ_KEY = "cf_quiz"
QUIZ_OPTIONS = (
    "All of them: a short run on a small subset cannot tell them apart",
    "About half of them",
    "Only one or two",
    "None: the runs are too short to learn anything",
)


def fmt_share(f: float) -> str:
    """A subset fraction as the slider shows it: "20%"."""
    return f"{f:.0%}"


def fmt_n(n: float) -> str:
    """A count with thousands separators: "409,830"."""
    return f"{int(round(n)):,}"


def _pct(part: float, whole: float) -> str:
    """A share in words, with a decimal when it is small: "14 %", "0.8 %"."""
    share = part / whole if whole else math.nan
    return f"{share:.1%}" if share < 0.095 else f"{share:.0%}"


# ------------------------------------------------------------------------- cached engine calls


def _spec(model: str, data) -> ModelSpec:
    return ModelSpec(model.lower(), data.n_features, data.n_classes, hidden=HIDDEN)


def _stage(stage) -> dict:
    """The numbers of one search stage the page shows (small arrays, no weights)."""
    h = stage.history
    return {
        "lrs": np.asarray(stage.lrs),
        "loss": np.asarray(stage.final_loss),
        "diverged": np.asarray(stage.diverged),
        "initial": float(h.val_loss[0, 0]),
        "acc": np.asarray(h.final_val_acc),
        "cost": int(stage.cost),
        "n_train": int(h.n_train),
        "subset": float(stage.subset),
        "epochs": int(stage.epochs),
    }


@st.cache_data(max_entries=48, show_spinner=False)
def run_search(
    model: str,
    lo_exp: int,
    hi_exp: int,
    subset: float,
    epochs1: int,
    epochs2: int,
    decades: int,
    points: int,
    sampling: str,
    seed: int,
) -> dict:
    """One coarse-to-fine search (both stages: two batched engine calls)."""
    data = load_dataset(DATA)
    res = coarse_to_fine(
        _spec(model, data),
        data,
        lo_exp=lo_exp,
        hi_exp=hi_exp,
        coarse_subset=subset,
        coarse_epochs=epochs1,
        refine_points=points,
        refine_decades=float(decades),
        refine_subset=1.0,
        refine_epochs=epochs2,
        batch_size=BATCH,
        seed=seed,
        sampling=sampling,
    )
    rb = res.refine.best
    return {
        "coarse": _stage(res.coarse),
        "refine": _stage(res.refine),
        "interval": res.interval,
        "best_lr": res.best_lr,
        "best_loss": res.best_loss,
        "best_acc": float(res.refine.history.final_val_acc[rb]) if rb >= 0 else math.nan,
        "cost": int(res.cost),
        "grid_points": int(res.full_grid_points),
        "grid_cost": int(res.full_grid_cost),
        "n_train": int(data.n_train),
        "n_val": int(data.n_val),
    }


def grid_rates(lo_exp: int, hi_exp: int, points: int) -> np.ndarray:
    """The full fine grid: stage 2's density over the whole range (as the engine counts it)."""
    return 10.0 ** np.linspace(lo_exp, hi_exp, points)


@st.cache_data(max_entries=16, show_spinner=False)
def run_full_grid(
    model: str, lo_exp: int, hi_exp: int, points: int, epochs: int, seed: int
) -> dict:
    """The brute force the search avoids: every rate of the full grid, all data, all epochs."""
    data = load_dataset(DATA)
    lrs = grid_rates(lo_exp, hi_exp, points)
    h = train(_spec(model, data), data, lrs, epochs=epochs, batch_size=BATCH, seed=seed)
    loss = np.asarray(h.final_val_loss, dtype=np.float64).copy()
    loss[h.diverged | ~np.isfinite(loss)] = np.inf
    b = int(np.argmin(loss)) if np.isfinite(loss).any() else -1
    return {
        "lrs": lrs,
        "loss": loss,
        "acc": np.asarray(h.final_val_acc),
        "diverged": np.asarray(h.diverged),
        "best": b,
        "cost": int(h.examples.sum()),
    }


@st.cache_data(max_entries=16, show_spinner=False)
def run_halving(
    model: str, lo_exp: int, hi_exp: int, points: int, epochs: int, eta: int, seed: int
) -> dict:
    """Successive halving over the full grid's rates, on all the data, up to ``epochs``."""
    data = load_dataset(DATA)
    ipe = math.ceil(data.n_train / BATCH)
    res = successive_halving(
        _spec(model, data),
        data,
        grid_rates(lo_exp, hi_exp, points),
        max_steps=epochs * ipe,
        eta=eta,
        batch_size=BATCH,
        seed=seed,
    )
    rungs = [
        {
            "steps": int(r.steps),
            "lrs": np.asarray(r.lrs),
            "loss": np.asarray(r.val_loss),
            "diverged": np.asarray(r.diverged),
            "stalled": np.asarray(r.stalled),
            "kept": np.asarray(r.kept),
            "cost_steps": int(r.cost_grad_evals),
        }
        for r in res.rungs
    ]
    return {
        "rungs": rungs,
        "best_lr": res.best_lr,
        "best_loss": res.best_loss,
        "steps_used": int(res.grad_evals_used),
        "steps_all": int(res.grad_evals_all),
        "examples_used": int(res.examples_used),
        "examples_all": int(res.examples_all),
    }


# ------------------------------------------------------------------------- controls


def _exp(lr: float) -> int:
    return int(round(math.log10(lr)))


def _controls() -> dict:
    left, right = st.columns(2, gap="medium")
    with left:
        model = state.segmented(
            "Model",
            MODELS,
            "softmax",
            key="cf_model",
            help="Softmax regression: one linear layer. MLP: one hidden layer of 32 ReLU units. "
            "Both learn the 8×8 handwritten digits (1,438 training and 359 validation images).",
        )
    with right:
        sampling = state.segmented(
            "Stage-2 rates",
            SAMPLINGS,
            "grid",
            key="cf_sampling",
            help="grid: evenly spaced on a log scale, ends included. random: drawn log-uniformly "
            "inside the interval (seeded).",
        )
    lo, hi = state.select_slider(
        "Stage 1 sweeps the decades from … to …",
        DECADES,
        DEFAULT_RANGE,
        key="cf_range",
        format_func=widgets.fmt_lr,
        help="One learning rate per decade. The widest range, 1e-7 … 10, has 9 rates.",
    )
    s1, s2 = st.columns(2, gap="medium")
    with s1:
        st.markdown("**Stage 1: cheap and wide**")
        subset = state.select_slider(
            "Share of the training data",
            SUBSETS,
            DEFAULT_SUBSET,
            key="cf_subset",
            format_func=fmt_share,
            help="A seeded, stratified subset (every digit keeps its share). The validation set "
            "is always the same 359 images.",
        )
        epochs1 = state.slider(
            "Epochs (passes over that subset)", 1, EPOCHS1_MAX, DEFAULT_EPOCHS1, key="cf_ep1"
        )
    with s2:
        st.markdown("**Stage 2: narrow and precise, all the data**")
        decades = state.segmented(
            "Refine inside the best … decade(s)",
            REFINE_DECADES,
            1,
            key="cf_decades",
            help="The interval is centred (on a log scale) on the best stage-1 rate and clipped "
            "to your range.",
        )
        points = state.slider(
            "Rates in stage 2", POINTS_MIN, POINTS_MAX, DEFAULT_POINTS, key="cf_points"
        )
        epochs2 = state.slider("Epochs", 1, EPOCHS2_MAX, DEFAULT_EPOCHS2, key="cf_ep2")
    return {
        "model": str(model),
        "lo": float(lo),
        "hi": float(hi),
        "subset": float(subset),
        "epochs1": int(epochs1),
        "decades": int(decades),
        "points": int(points),
        "epochs2": int(epochs2),
        "sampling": str(sampling),
    }


def _more_controls() -> dict:
    with widgets.more_controls("More: seed, the brute-force check, successive halving"):
        seed = state.number_input(
            "Seed (initial weights, minibatch order, subset, random rates)",
            0,
            SEED_MAX,
            0,
            step=1,
            key="cf_seed",
        )
        full = state.toggle(
            "Also run the full fine grid, to check the pick",
            True,
            key="cf_full",
            help="Every rate at stage 2's density over the whole range, all data, all epochs: "
            "the expensive search coarse-to-fine avoids. Drawn as a grey line.",
        )
        halving = state.toggle(
            "Successive halving: prune while training",
            True,
            key="cf_halving",
            help="Train every rate of the full grid briefly, keep the best 1/η, train those "
            "η times longer, and so on until one is left.",
        )
        eta = state.segmented(
            "η (keep the best 1/η at every rung)",
            ETAS,
            3,
            key="cf_eta",
            disabled=not halving,
        )
    return {"seed": int(seed), "full": bool(full), "halving": bool(halving), "eta": int(eta)}


# ------------------------------------------------------------------------- words


def _rates(lrs: np.ndarray) -> str:
    """A short list of rates: "0.1, 1" or "1e-7 … 1e-4" for a long consecutive run."""
    shown = [widgets.fmt_lr(float(x)) for x in lrs]
    if len(shown) > 3:
        return f"{shown[0]} … {shown[-1]}"
    return ", ".join(shown)


def stage1_summary(c: dict) -> tuple[str, np.ndarray, np.ndarray]:
    """A sentence on stage 1, the status of every rate and which are worth refining."""
    status = point_status(c["loss"], c["initial"], c["diverged"])
    worth = worth_refining(c["loss"], c["initial"], c["diverged"])
    n = c["lrs"].size
    parts = []
    stalled, diverged = status == "stalled", status == "diverged"
    if stalled.any():
        parts.append(
            f"{int(stalled.sum())} of {n} stalled ({_rates(c['lrs'][stalled])}: the validation "
            f"loss fell by less than {STALL_DROP:.0%} from the untrained model's "
            f"{c['initial']:.2f})"
        )
    if diverged.any():
        parts.append(f"{int(diverged.sum())} diverged ({_rates(c['lrs'][diverged])})")
    if worth.any():
        parts.append(
            f"{int(worth.sum())} got at least {WORTH_SHARE:.0%} as far down as the best one "
            f"({_rates(c['lrs'][worth])}): those are worth refining"
        )
    head = (
        f"Stage 1 trained {n} rates on {fmt_share(c['subset'])} of the training data "
        f"({fmt_n(c['n_train'])} images) for "
        f"{c['epochs']} epoch{'s' if c['epochs'] > 1 else ''}"
    )
    body = "; ".join(parts) if parts else "every rate learned something"
    return f"{head}: {body}.", status, worth


def quiz_answer(worth: np.ndarray) -> int:
    """Which :data:`QUIZ_OPTIONS` entry the run supports."""
    k, n = int(worth.sum()), worth.size
    if k == 0:
        return 3
    if k == n:
        return 0
    return 2 if k <= 2 else 1


def edge_note(c: dict) -> str | None:
    """A warning when stage 1's best rate sits at an end of the swept range."""
    loss = c["loss"]
    if not np.isfinite(loss).any():
        return (
            "Every stage-1 rate diverged, so stage 2 refined around the smallest one. Move the "
            "range down."
        )
    b = int(np.argmin(loss))
    if b == loss.size - 1:
        more = (
            "Widen the range upwards to find out where training breaks."
            if c["lrs"][b] < DECADES[-1]
            else "10 is the top of this slider; *Four regimes* lets you try larger rates."
        )
        return (
            f"The best stage-1 rate, {widgets.fmt_lr(c['lrs'][b])}, is the **largest** you "
            "tried: the loss might fall further above it, and stage 2 could only refine below "
            f"it. {more}"
        )
    if b == 0:
        return (
            f"The best stage-1 rate, {widgets.fmt_lr(c['lrs'][b])}, is the **smallest** you "
            "tried: widen the range downwards."
        )
    return None


def pick_sentence(r: dict) -> str:
    if not math.isfinite(r["best_lr"]):
        return (
            "**No pick:** every stage-2 rate diverged. Lower the range or refine inside two "
            "decades."
        )
    return (
        f"**The pick: lr = {widgets.fmt_lr(r['best_lr'])}**, the stage-2 rate with the lowest "
        f"final validation loss, **{r['best_loss']:.3f}** (validation accuracy "
        f"{r['best_acc']:.1%}) after {r['refine']['epochs']} epochs on all "
        f"{fmt_n(r['n_train'])} training images."
    )


def cost_sentence(r: dict) -> str:
    c, f = r["coarse"], r["refine"]
    return (
        f"**Cost:** stage 1 processed {fmt_n(c['cost'])} training examples and stage 2 "
        f"{fmt_n(f['cost'])} (a diverged run stops early and costs less): "
        f"{fmt_n(r['cost'])} in all, **{_pct(r['cost'], r['grid_cost'])} of the steps** of a "
        f"full fine grid ({r['grid_points']} rates at stage 2's density over the whole range × "
        f"{fmt_n(r['n_train'])} images × {f['epochs']} epochs = {fmt_n(r['grid_cost'])}), "
        f"{r['grid_cost'] / r['cost']:.1f} times cheaper. In passes over the full training set: "
        f"{r['cost'] / r['n_train']:.0f} against {r['grid_cost'] / r['n_train']:.0f}."
    )


def full_sentence(r: dict, g: dict) -> str:
    if g["best"] < 0:
        return "The full grid: every rate diverged."
    glr, gloss = float(g["lrs"][g["best"]]), float(g["loss"][g["best"]])
    head = (
        f"**Check:** the full fine grid (run here too, {fmt_n(g['cost'])} examples) picks "
        f"lr = {widgets.fmt_lr(glr)} with validation loss {gloss:.3f} (accuracy "
        f"{g['acc'][g['best']]:.1%}). "
    )
    if not math.isfinite(r["best_lr"]):
        return head
    gap = r["best_loss"] / gloss - 1.0
    if gap <= 1e-12:
        tail = "Coarse-to-fine found a loss at least as low"
    else:
        tail = f"Coarse-to-fine's pick is {gap:.1%} worse in loss"
    return head + f"{tail}, for {_pct(r['cost'], g['cost'])} of the steps."


def sampling_sentence(r: dict, other: dict, sampling: str, seed: int) -> str:
    names = {"grid": "the log-spaced grid", "random": f"log-uniform random sampling (seed {seed})"}
    o = "random" if sampling == "grid" else "grid"

    def one(x: dict) -> str:
        if not math.isfinite(x["best_lr"]):
            return "no rate (all diverged)"
        return f"lr = {widgets.fmt_lr(x['best_lr'])} (loss {x['best_loss']:.3f})"

    return (
        f"**Grid or random?** In stage 2, {names[sampling]} picks {one(r)}; {names[o]} would "
        f"pick {one(other)}, for the same cost. With one hyperparameter a grid covers the "
        "interval evenly, while random points can bunch up and leave gaps, so neither wins "
        "reliably; change the seed to see random's luck vary. Random sampling pays off when "
        "you tune several hyperparameters at once and only some matter: a 3 × 3 grid tries "
        "only 3 values of each, nine random points try 9 (Bergstra & Bengio 2012)."
    )


def halving_status(rung: dict, last: bool) -> np.ndarray:
    """Per candidate of a rung: promoted / winner, dropped, stalled or diverged."""
    st_ = np.full(rung["lrs"].size, "dropped", dtype=object)
    st_[rung["kept"]] = "winner" if last else "promoted"
    st_[rung["stalled"]] = "stalled"
    st_[rung["diverged"]] = "diverged"
    return st_


def halving_sentence(hv: dict, eta: int) -> str:
    rungs = hv["rungs"]
    steps = " → ".join(
        f"{r['lrs'].size} rate{'s' if r['lrs'].size > 1 else ''} to {r['steps']} steps"
        for r in rungs
    )
    div = sum(int(r["diverged"].sum()) for r in rungs)
    stall = sum(int(r["stalled"].sum()) for r in rungs)
    if math.isfinite(hv["best_lr"]):
        win = (
            f"The last survivor is **lr = {widgets.fmt_lr(hv['best_lr'])}** (validation loss "
            f"{hv['best_loss']:.3f})."
        )
    else:
        win = "No candidate survived: every one diverged or stalled."
    return (
        f"**Successive halving** (η = {eta}) over the full grid's {rungs[0]['lrs'].size} rates "
        f"on all the data: {steps}. {div} run{'s' if div != 1 else ''} dropped as diverged, "
        f"{stall} as stalled (no better than the untrained model). {win} It spent "
        f"{fmt_n(hv['steps_used'])} minibatch steps instead of {fmt_n(hv['steps_all'])} "
        f"(every rate trained to the end): **{fmt_n(hv['steps_all'] - hv['steps_used'])} steps "
        f"saved**, {_pct(hv['steps_used'], hv['steps_all'])} of the cost."
    )


# ------------------------------------------------------------------------- page parts


def _search_picture(r: dict, g: dict | None, sampling: str, big: bool):
    """The loss-vs-rate figure of both stages and its table."""
    c, f = r["coarse"], r["refine"]
    status1 = point_status(c["loss"], c["initial"], c["diverged"])
    status2 = point_status(f["loss"], f["initial"], f["diverged"])
    stages = [
        (
            f"stage 1: {c['lrs'].size} rates, {fmt_share(c['subset'])} data, {c['epochs']} ep.",
            c["lrs"],
            c["loss"],
            status1,
        ),
        (
            f"stage 2: {f['lrs'].size} rates ({sampling}), all data, {f['epochs']} ep.",
            f["lrs"],
            f["loss"],
            status2,
        ),
    ]
    common = {
        "pick": (r["best_lr"], r["best_loss"]) if math.isfinite(r["best_lr"]) else None,
        "interval": r["interval"],
        "full": (g["lrs"], g["loss"]) if g is not None else None,
        "big": big,
    }
    fig = search_figure(stages, **common)
    close = search_figure(stages, zoom=r["interval"], **common)
    rows = []
    for name, s, stat in (("stage 1", c, status1), ("stage 2", f, status2)):
        for lr, loss, acc, st_ in zip(s["lrs"], s["loss"], s["acc"], stat, strict=True):
            rows.append((name, lr, loss, acc, st_, s["subset"], s["epochs"]))
    if g is not None:
        gstat = point_status(g["loss"], f["initial"], g["diverged"])
        for lr, loss, acc, st_ in zip(g["lrs"], g["loss"], g["acc"], gstat, strict=True):
            rows.append(("full grid", lr, loss, acc, st_, 1.0, f["epochs"]))
    df = pd.DataFrame(
        rows,
        columns=["stage", "lr", "final_val_loss", "final_val_acc", "status", "subset", "epochs"],
    )
    df["picked"] = (df["stage"] == "stage 2") & (df["lr"] == r["best_lr"])
    return fig, close, df


def _cost_picture(r: dict, hv: dict | None, big: bool):
    """The cost bars of every strategy and their table."""
    c, f = r["coarse"], r["refine"]
    labels = [f"full grid ({r['grid_points']} rates)", "coarse-to-fine"]
    parts = [
        ("full grid", [r["grid_cost"], 0]),
        ("stage 1", [0, c["cost"]]),
        ("stage 2", [0, f["cost"]]),
    ]
    rows = [
        ("full grid", r["grid_cost"]),
        ("coarse-to-fine: stage 1", c["cost"]),
        ("coarse-to-fine: stage 2", f["cost"]),
    ]
    if hv is not None:
        labels.append("successive halving")
        parts = [(name, [*v, 0]) for name, v in parts]
        parts.append(("halving", [0, 0, hv["examples_used"]]))
        rows.append(("successive halving", hv["examples_used"]))
    fig = cost_figure(labels, parts, reference=r["grid_cost"], big=big)
    return fig, pd.DataFrame(rows, columns=["strategy", "examples_processed"])


def _halving_picture(hv: dict, big: bool):
    """Which rates survived each rung, and its table."""
    rungs = hv["rungs"]
    shown, rows = [], []
    for i, rg in enumerate(rungs):
        status = halving_status(rg, i == len(rungs) - 1)
        label = f"rung {i + 1}: {rg['steps']} steps"
        shown.append((label, rg["lrs"], status))
        for lr, loss, s in zip(rg["lrs"], rg["loss"], status, strict=True):
            rows.append((i + 1, rg["steps"], lr, loss, s))
    df = pd.DataFrame(rows, columns=["rung", "steps", "lr", "val_loss", "status"])
    return halving_figure(shown, big=big), df


@st.cache_resource(max_entries=24, show_spinner=False)
def pictures(key: tuple, sampling: str, seed: int, full: bool, eta: int | None, big: bool) -> dict:
    """Figures and CSV tables of one view, built once (read-only afterwards: Streamlit copies a
    figure before sending it), so a rerun with the same settings costs nothing."""
    model, lo, hi, *_ = key
    epochs2 = key[5]
    r = run_search(*key, sampling, seed)
    g = run_full_grid(model, lo, hi, r["grid_points"], epochs2, seed) if full else None
    hv = run_halving(model, lo, hi, r["grid_points"], epochs2, eta, seed) if eta else None
    out = {
        "search": _search_picture(r, g, sampling, big),
        "cost": _cost_picture(r, hv, big),
        "halving": _halving_picture(hv, big) if hv is not None else None,
    }
    return out


def _cost_block(r: dict, hv: dict | None, pic) -> None:
    cols = st.columns(3 if hv is not None else 2)
    cols[0].metric(
        "Coarse-to-fine (examples processed)",
        fmt_n(r["cost"]),
        delta=f"{r['cost'] / r['grid_cost'] - 1:.0%} vs the full grid",
        delta_color="inverse",
    )
    cols[1].metric("Full fine grid", fmt_n(r["grid_cost"]), help="rates × training images × epochs")
    if hv is not None:
        cols[2].metric(
            "Successive halving (examples)",
            fmt_n(hv["examples_used"]),
            delta=f"{hv['examples_used'] / hv['examples_all'] - 1:.0%} vs the full grid",
            delta_color="inverse",
        )
    widgets.chart(
        pic[0],
        key="cf_cost",
        caption=(
            "What each strategy costs, in training examples processed (one example through one "
            "gradient step counts 1, so an epoch on all the data costs "
            f"{fmt_n(r['n_train'])}); the percentage is the share of the full grid."
        ),
        data=pic[1],
        filename="search-cost",
    )


def _halving_block(hv: dict, eta: int, pic) -> None:
    st.subheader("Successive halving: drop the losers early")
    st.markdown(halving_sentence(hv, eta))
    widgets.chart(
        pic[0],
        key="cf_halving_fig",
        caption=(
            f"Each row is a rung: every rate still in the race trains on (from its weights) "
            f"until it has had the steps in the row's name; then the best 1/{eta} by validation "
            "loss go on (filled circles), the rest are dropped (hollow), and a run that "
            "diverged (×) or stalled (▽) is dropped whatever its rank. The star is the winner, "
            "the only rate trained for the full budget."
        ),
        data=pic[1],
        filename="successive-halving",
    )


NARRATIVE = (
    "- **Don't start with the whole dataset.** A rate that is 100 times too small or too "
    "large shows it within a few epochs on a fifth of the data: stage 1 spends little to "
    "throw most of the range away.\n"
    "- **Precision later.** Only the best decade gets a fine set of rates, trained on all the "
    "data for longer; the star is the pick.\n"
    "- **Count the cost** in examples processed and compare with brute force (the grey line): "
    "same pick, a fraction of the steps.\n"
    "- **Try:** the subset at 5 % (does stage 1 still point at the right decade?), 1 epoch in "
    "stage 1, the range up to 10 (where does training break?), the MLP, random sampling with "
    "a few seeds, and η in successive halving."
)


@st.fragment
def lesson() -> None:
    big = state.lecture()
    c_ = _controls()
    results = st.container()  # filled below, after the secondary controls are read
    m = _more_controls()
    lo, hi = _exp(c_["lo"]), _exp(c_["hi"])
    with results:
        if lo >= hi:
            lo, hi = (lo, lo + 1) if lo < _exp(DECADES[-1]) else (hi - 1, hi)
            st.warning(
                "Stage 1 needs at least two rates, a decade apart, to compare; searching "
                f"{widgets.fmt_lr(10.0**lo)} … {widgets.fmt_lr(10.0**hi)} instead."
            )
        key = (
            c_["model"],
            lo,
            hi,
            c_["subset"],
            c_["epochs1"],
            c_["epochs2"],
            c_["decades"],
            c_["points"],
        )
        r = run_search(*key, c_["sampling"], m["seed"])
        other = run_search(*key, "random" if c_["sampling"] == "grid" else "grid", m["seed"])
        g = (
            run_full_grid(c_["model"], lo, hi, r["grid_points"], c_["epochs2"], m["seed"])
            if m["full"]
            else None
        )
        hv = (
            run_halving(c_["model"], lo, hi, r["grid_points"], c_["epochs2"], m["eta"], m["seed"])
            if m["halving"]
            else None
        )
        summary, _, worth = stage1_summary(r["coarse"])
        n1 = r["coarse"]["lrs"].size
        widgets.predict(
            QUIZ_KEY,
            f"Stage 1 trains {n1} rates ({widgets.fmt_lr(10.0**lo)} … "
            f"{widgets.fmt_lr(10.0**hi)}, one per decade) for only {c_['epochs1']} "
            f"epoch{'s' if c_['epochs1'] > 1 else ''} on {fmt_share(c_['subset'])} of the "
            f"data. How many of the {n1} will be **worth refining**, i.e. get at least half as "
            "far down as the best one?",
            list(QUIZ_OPTIONS),
            quiz_answer(worth),
            f"{int(worth.sum())} of {n1}. {summary} A short, cheap run is enough to throw "
            "away rates that are orders of magnitude off: it does not need to be precise, only "
            "to rank.",
        )
        pics = pictures(
            key, c_["sampling"], m["seed"], m["full"], m["eta"] if m["halving"] else None, big
        )
        st.subheader("Stage 1, stage 2 and the pick")
        full_words = (
            " The thin grey line is the full fine grid: every rate at stage 2's density, all "
            "the data, all the epochs, which the search is meant to avoid paying for."
            if g is not None
            else ""
        )
        widgets.chart(
            pics["search"][0],
            key="cf_search",
            caption=(
                "Final validation loss (log scale) against the learning rate (log scale). "
                "Circles on a dotted line: stage 1, one rate per decade, short training on a "
                "subset. Squares: stage 2, inside the shaded interval, on all the data. Hollow "
                f"marks stalled (the loss fell by less than {STALL_DROP:.0%}); an × at the top "
                f"edge diverged. The star is the pick.{full_words}"
            ),
        )
        st.markdown("**Close-up of stage 2**")
        lo2, hi2 = r["interval"]
        widgets.chart(
            pics["search"][1],
            key="cf_close",
            caption=(
                f"The same runs, only the rates {widgets.fmt_lr(lo2)} … {widgets.fmt_lr(hi2)} "
                "that stage 2 searched: the squares are its rates, the star the one with the "
                "lowest validation loss."
            ),
            data=pics["search"][2],
            filename="coarse-to-fine",
        )
        st.markdown(summary)
        note = edge_note(r["coarse"])
        if note:
            st.info(note)
        st.markdown(pick_sentence(r))
        if g is not None:
            st.markdown(full_sentence(r, g))
        st.subheader("What it cost")
        _cost_block(r, hv, pics["cost"])
        st.markdown(cost_sentence(r))
        st.markdown(sampling_sentence(r, other, c_["sampling"], m["seed"]))
        if hv is not None:
            _halving_block(hv, m["eta"], pics["halving"])


def main() -> None:
    widgets.header(
        "Coarse-to-fine search",
        "Which learning rate? Don't guess, and don't try a thousand on all the data. **Stage "
        "1** tries one rate per decade, briefly, on a small subset; **stage 2** refines inside "
        "the best decade on all the data. Cheap pruning first, precision later; the cost is "
        "counted in training examples processed.",
    )
    widgets.narrative(NARRATIVE)
    lesson()
    widgets.next_lesson(PATH)


main()
