"""Lesson 8: Adaptive learning rate. Hypergradient descent (Baydin et al., ICLR 2018) tunes the
rate while training, from starting rates orders of magnitude apart."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from engine.data import load_dataset
from engine.descent import run_descent
from engine.fmt import rate as fmt
from engine.hypergrad import (
    final_rate_spread,
    measure_cost,
    rate_story,
    sensitivity,
    valley_story,
)
from engine.models import ModelSpec
from engine.optim import HD_DEFAULT_BETA, Optimizer
from engine.surfaces import get_surface
from engine.train import History, classify_run, train
from lessons.ui import pages, state, widgets
from lessons.ui.fig_adaptive import (
    beta_figure,
    facet_figure,
    sensitivity_figure,
    surface_figure,
    surface_rate_figure,
)
from lessons.ui.fig_schedules import binned

PATH = "lessons/adaptive.py"
GUIDE_PATH = "lessons/teachers_guide/page.py"

LRS_KEY, OPT_KEY, RULE_KEY = "ad_lrs", "ad_opt", "ad_rule"
BETA_KEY, BETAM_KEY = "ad_beta", "ad_betam"
MODEL_KEY, EPOCHS_KEY, SEED_KEY, SWEEP_KEY = "ad_model", "ad_epochs", "ad_seed", "ad_sweep"
QUIZ_KEY = "ad_quiz"
KAPPA_KEY, START_KEY, SLR_KEY, STEPS_KEY = "ad_kappa", "ad_start", "ad_slr", "ad_steps"
SRULE_KEY = "ad_srule"
SBETA_KEY, SBETAM_KEY = "ad_sbeta", "ad_sbetam"

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
BATCH = 64
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

QUIZ_OPTIONS = (
    "They stay as far apart as they started",
    "They move closer together, but stay more than 2× apart",
    "They end within a factor of 2 of each other",
    "They all shrink towards zero",
    "Some blow up or turn negative",
)


# ------------------------------------------------------------------------- formatting


def hd_label(family: str, rule: str) -> str:
    return SHORT[family] + ("-HD" if rule == "additive" else "-HDM")


# ------------------------------------------------------------------------- cached engine calls


def data_and_spec(model: str) -> tuple:
    data = load_dataset("digits")
    if model == "mlp":
        return data, ModelSpec("mlp", data.n_features, data.n_classes, hidden=(32,))
    return data, ModelSpec("softmax", data.n_features, data.n_classes)


@st.cache_data(max_entries=48, show_spinner=False)
def run_fixed(model: str, family: str, lrs: tuple[float, ...], epochs: int, seed: int) -> History:
    """K models, one per starting rate, trained at that fixed rate (one batched engine call)."""
    data, spec = data_and_spec(model)
    return train(
        spec, data, list(lrs), optimizer=Optimizer(family), epochs=epochs, batch_size=BATCH,
        seed=seed,
    )  # fmt: skip


@st.cache_data(max_entries=96, show_spinner=False)
def run_hd(
    model: str, family: str, rule: str, beta: float, lrs: tuple[float, ...], epochs: int, seed: int
) -> History:
    """The same K models, same weights and minibatches, with hypergradient descent on the rate."""
    data, spec = data_and_spec(model)
    opt = Optimizer(family, hypergrad=rule, hyper_lr=beta)
    return train(spec, data, list(lrs), optimizer=opt, epochs=epochs, batch_size=BATCH, seed=seed)


@st.cache_data(max_entries=24, show_spinner=False)
def cost(model: str, family: str, rule: str, k: int) -> dict:
    """Time per iteration and per update, fixed vs HD, measured once per setting (cached)."""
    data, spec = data_and_spec(model)
    opt = Optimizer(family, hypergrad=rule, hyper_lr=1e-9)
    return measure_cost(spec, data, opt, k, iters=TIME_ITERS, repeats=TIME_REPEATS)


def surface_start(kappa: float, where: str) -> tuple[float, float]:
    """Start 5 units out along the gentle axis, a hair off it ("floor"), or the surface's own
    start on the steep side ("wall")."""
    if where == "wall":
        return tuple(get_surface("ill_conditioned", kappa=kappa, angle=ANGLE).default_start)
    c, s = math.cos(math.radians(ANGLE)), math.sin(math.radians(ANGLE))
    u, v = 5.0, 0.05
    return (u * c - v * s, u * s + v * c)


@st.cache_data(max_entries=48, show_spinner=False)
def surface_runs(kappa: float, where: str, lr0: float, rule: str, beta: float, steps: int) -> dict:
    """SGD-HD, SGD at the starting rate, and Polyak's step on the valley; plain arrays."""
    s = get_surface("ill_conditioned", kappa=kappa, angle=ANGLE)
    x0 = surface_start(kappa, where)
    runs = {
        "hd": run_descent(
            s, x0, [lr0], optimizer=Optimizer("sgd", hypergrad=rule, hyper_lr=beta), steps=steps
        ),
        "fixed": run_descent(s, x0, [lr0], optimizer="sgd", steps=steps),
        "polyak": run_descent(s, x0, [1.0], optimizer="polyak", steps=steps),
    }
    (x_lo, x_hi), (y_lo, y_hi) = s.window
    gx, gy = np.linspace(x_lo, x_hi, GRID), np.linspace(y_lo, y_hi, GRID)
    xx, yy = np.meshgrid(gx, gy)
    z = s.f(np.stack([xx, yy], axis=-1))
    p = dict(s.params)
    out = {
        "gx": gx,
        "gy": gy,
        "z": z,
        "lam_min": float(p["lam_min"]),
        "lam_max": float(p["lam_max"]),
        "x0": x0,
        "formula": s.formula,
    }
    for name, r in runs.items():
        out[name] = {
            "path": r.path[0],
            "rate": r.lr_trace[0],
            "loss": r.loss[0],
            "kind": r.verdicts[0].kind,
            "text": r.verdicts[0].text,
            "blow": int(r.diverged_at[0]),
        }
    return out


# ------------------------------------------------------------------------- verdicts in words


def _final(h: History, k: int) -> str:
    if h.diverged[k]:
        return f"diverged at iteration {int(h.diverged_at[k])}"
    return f"final loss {h.final_val_loss[k]:.3f}"


def run_verdicts(fixed: History, hd: History) -> list[tuple[str, str, str]]:
    """One line per starting rate: (label, kind, sentence) for the HD run against the fixed."""
    both = np.concatenate([fixed.final_val_loss, hd.final_val_loss])
    finite = both[np.isfinite(both)]
    ref = float(finite.min()) if finite.size else None
    rows = []
    for k, lr0 in enumerate(hd.lrs):
        kind, _ = classify_run(hd, k, reference=ref)
        text = rate_story(hd.lr[k], float(lr0))
        rows.append(
            (
                f"start {fmt(float(lr0))}",
                kind,
                f"{text}. HD: {_final(hd, k)}; fixed rate: {_final(fixed, k)}.",
            )
        )
    return rows


def quiz_answer(hd: History) -> int:
    """Index into :data:`QUIZ_OPTIONS` for where the HD runs' rates ended."""
    finals, ratio = final_rate_spread(hd.lr)
    if hd.diverged.any() or not np.isfinite(finals).all() or np.any(finals <= 0):
        return 4
    if np.all(finals < hd.lrs.min() / 2):
        return 3
    if ratio <= 2:
        return 2
    if ratio >= hd.lrs.max() / hd.lrs.min() / 2:
        return 0
    return 1


# ------------------------------------------------------------------------- data frames


def _trajectory_frame(fixed: History, hd: History) -> pd.DataFrame:
    T = max(fixed.T, hd.T)
    df = pd.DataFrame({"iteration": np.arange(T), "epoch": np.arange(T) / hd.iters_per_epoch})
    for name, h in (("fixed", fixed), ("HD", hd)):
        for k, lr0 in enumerate(h.lrs):
            for what, rec in (("lr", h.lr[k]), ("batch loss", h.train_loss[k])):
                col = np.full(T, np.nan)
                col[: rec.shape[0]] = rec
                df[f"{what} {name} start {fmt(float(lr0))}"] = col
    return df


# ------------------------------------------------------------------------- the page


NARRATIVE = (
    "- **The idea** (Baydin et al., *Online Learning Rate Adaptation with Hypergradient "
    "Descent*, ICLR 2018): the loss after a step depends on the rate used, so take the "
    "derivative with respect to the rate too. For SGD it is −g_t·g_(t−1): the new gradient "
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


def _beta_control(rule: str, family: str) -> float:
    if rule == "additive":
        return float(
            state.select_slider(
                "β, the hypergradient learning rate (the rate's own step size)",
                BETAS_ADD,
                DEFAULT_BETA_ADD,
                key=BETA_KEY,
                format_func=fmt,
                help="α ← α + β · g_t · d_(t−1). β = 0 switches HD off. The paper's run.sh uses "
                "1e-3 for SGD-HD and SGDN-HD and 1e-7 for Adam-HD; its α₀ sweep used 1e-4.",
            )
        )
    return float(
        state.select_slider(
            "β′, the multiplicative rule's step (relative change of the rate per step)",
            BETAS_MUL,
            DEFAULT_BETA_MUL,
            key=BETAM_KEY,
            format_func=fmt,
            help="α ← α · (1 + β′ · cos(g_t, d_(t−1))): at most a factor (1 ± β′) per step, "
            "whatever the gradient's scale. From β′ = 1 on, one reversal can zero the rate.",
        )
    )


def _paper_note(rule: str, family: str, beta: float) -> None:
    if rule == "multiplicative":
        st.caption(
            "The paper gives no β′ for the multiplicative rule; β′ is a relative change, so "
            "values around 0.1 to 0.5 move the rate by orders of magnitude within a few dozen "
            "steps."
        )
        return
    paper = HD_DEFAULT_BETA[family]
    widgets.preset_buttons(
        BETA_KEY,
        [
            widgets.Preset(
                f"Paper's β for {hd_label(family, rule)}: {fmt(paper)}",
                paper,
                ":material/menu_book:",
                "ad_paper",
                "gbaydin/hypergradient-descent, run.sh (logistic regression and MLP on MNIST).",
            ),
            widgets.Preset(
                f"Poster's α₀ sweep: {fmt(POSTER_BETA)}",
                POSTER_BETA,
                ":material/insights:",
                "ad_poster",
                "The ICLR poster's sweep over starting rates 1e-6 ... 1e-1 used β = 1e-4.",
            ),
        ],
        beta,
    )


def _controls() -> tuple[tuple[float, ...], str, str, float]:
    chosen = state.multiselect(
        "Starting rates (one run each, fixed and HD)",
        LR_OPTIONS,
        DEFAULT_LRS,
        key=LRS_KEY,
        format_func=fmt,
        max_selections=MAX_RATES,
        help=f"Up to {MAX_RATES}, across as many orders of magnitude as you like.",
    )
    left, right = st.columns(2, gap="medium")
    with left:
        family = state.segmented(
            "Optimiser family",
            FAMILIES,
            "sgd",
            key=OPT_KEY,
            format_func=FAMILY_NAMES.get,
            help="SGD-HD, SGDN-HD (Nesterov momentum 0.9) and Adam-HD, the paper's three.",
        )
    with right:
        rule = state.segmented(
            "How HD updates the rate",
            RULES,
            "additive",
            key=RULE_KEY,
            help="additive: α ← α − β h (the paper's main rule); multiplicative: α ← α (1 − β′ "
            "h / (|g| |d|)), a relative change.",
        )
    beta = _beta_control(str(rule), str(family))
    _paper_note(str(rule), str(family), beta)
    return tuple(sorted(float(v) for v in chosen)), str(family), str(rule), beta


def _more() -> tuple[str, int, int, bool]:
    with widgets.more_controls("More: model, epochs, seed, β sweep"):
        model = state.segmented(
            "Model (on the 8x8 digits)",
            MODELS,
            "softmax",
            key=MODEL_KEY,
            format_func=MODEL_NAMES.get,
            help="Softmax regression is the paper's logistic regression; the MLP has one hidden "
            "layer of 32 ReLU units.",
        )
        epochs = state.slider(
            "Epochs", MIN_EPOCHS, MAX_EPOCHS, DEFAULT_EPOCHS, key=EPOCHS_KEY,
            help=f"Minibatches of {BATCH}: 23 iterations per epoch.",
        )  # fmt: skip
        seed = state.number_input(
            "Seed (initial weights and minibatch order)", 0, 999, 0, step=1, key=SEED_KEY
        )
        sweep = state.toggle(
            "Also sweep β (one training per β: slower)",
            False,
            key=SWEEP_KEY,
            help="Final loss against β for every starting rate: where β is too small to matter, "
            "and where it is too large.",
        )
    return str(model), int(epochs), int(seed), bool(sweep)


def _pad(a: np.ndarray, T: int) -> np.ndarray:
    """Rows of ``a`` (K, T') padded with NaN to length T."""
    out = np.full((a.shape[0], T), np.nan)
    out[:, : a.shape[1]] = a
    return out


def _blown(h: History) -> list[bool]:
    return [bool(v) for v in h.diverged]


@st.cache_resource(max_entries=32, show_spinner=False)
def _training_charts(
    model: str, family: str, rule: str, beta: float, lrs: tuple, epochs: int, seed: int, big: bool
) -> tuple[go.Figure, go.Figure, go.Figure, pd.DataFrame, pd.DataFrame]:
    """The rate facets, the loss facets, the sensitivity chart and their data (built once)."""
    fixed = run_fixed(model, family, lrs, epochs, seed)
    hd = run_hd(model, family, rule, beta, lrs, epochs, seed)
    labels = [f"start {fmt(v)}" for v in lrs]
    T = max(fixed.T, hd.T)  # a history whose runs all blew up stops early: pad it with NaN
    it = np.arange(T)
    name = hd_label(family, rule)
    lr_f, lr_h = _pad(fixed.lr, T), _pad(hd.lr, T)
    both = np.concatenate([lr_f, lr_h])
    pos = both[np.isfinite(both) & (both > 0)]
    rate_rng = (float(pos.min()) / 2, float(pos.max()) * 2) if pos.size else None
    rates = facet_figure(
        it,
        lr_f,
        lr_h,
        labels,
        y_title="learning rate",
        titles=(f"{SHORT[family]}, fixed rate", f"{name}, β = {fmt(beta)}"),
        blown=(_blown(fixed), _blown(hd)),
        y_range=rate_rng,
        big=big,
    )
    width = max(1, hd.iters_per_epoch // 4)
    c, _ = binned(np.zeros(T), width)
    lf = np.stack([binned(row, width)[1] for row in _pad(fixed.train_loss, T)])
    lh = np.stack([binned(row, width)[1] for row in _pad(hd.train_loss, T)])
    l0 = float(np.nanmax(fixed.train_loss[:, 0]))
    allv = np.concatenate([lf.ravel(), lh.ravel()])
    ok = allv[np.isfinite(allv) & (allv > 0)]
    loss_rng = (float(ok.min()) / 1.3, min(float(ok.max()), 10 * l0) * 1.3) if ok.size else None
    losses = facet_figure(
        c,
        lf,
        lh,
        labels,
        y_title="training loss",
        titles=(f"{SHORT[family]}, fixed rate", f"{name}, β = {fmt(beta)}"),
        blown=(_blown(fixed), _blown(hd)),
        y_range=loss_rng,
        big=big,
    )
    sens = sensitivity_figure(
        lrs,
        fixed.final_val_loss,
        hd.final_val_loss,
        fixed_label=f"{SHORT[family]}, fixed rate",
        hd_label=f"{name}, β = {fmt(beta)}",
        big=big,
    )
    sens_data = pd.DataFrame(
        {
            "starting_lr": lrs,
            "final_val_loss_fixed": fixed.final_val_loss,
            "final_val_loss_hd": hd.final_val_loss,
            "final_val_acc_fixed": fixed.final_val_acc,
            "final_val_acc_hd": hd.final_val_acc,
            "final_lr_hd": [row[np.isfinite(row)][-1] for row in hd.lr],
        }
    )
    del it, T
    return rates, losses, sens, _trajectory_frame(fixed, hd), sens_data


def _sweep(
    model: str, family: str, rule: str, beta: float, lrs: tuple, epochs: int, seed: int, big: bool
) -> None:
    betas = SWEEP_ADD if rule == "additive" else SWEEP_MUL
    n_ep = min(epochs, SWEEP_MAX_EPOCHS)  # one training per beta: keep it affordable
    finals = np.stack(
        [run_hd(model, family, rule, b, lrs, n_ep, seed).final_val_loss for b in betas]
    )
    labels = [f"start {fmt(v)}" for v in lrs]
    fig = beta_figure(betas, finals, labels, chosen=beta, big=big)
    data = pd.DataFrame({"beta": betas})
    for i, lab in enumerate(labels):
        data[f"final val loss {lab}"] = finals[:, i]
    spread = np.array([np.ptp(r) if np.isfinite(r).all() else np.inf for r in finals])
    best = int(np.argmin(spread))
    bad = [b for b, row in zip(betas, finals, strict=True) if not np.isfinite(row).all()]
    words = (
        f"The final losses are closest together at β = {fmt(betas[best])} (spread "
        f"{spread[best]:.3g}); at β = {fmt(betas[0])} the spread is {spread[0]:.3g}."
    )
    if bad:
        words += f" At β = {fmt(min(bad))} some runs diverge: β is too large."
    when = f"after {n_ep} epoch{'s' if n_ep != 1 else ''}" + (
        f" (the sweep stops at {SWEEP_MAX_EPOCHS} epochs to stay quick)" if n_ep < epochs else ""
    )
    widgets.chart(
        fig,
        key="ad_beta_sweep",
        caption=f"Final validation loss {when} against β (log scales), one line per starting "
        "rate, the dotted line at the β of the charts above. " + words,
        data=data,
        filename="hypergradient-beta-sweep",
    )


def _remeasure() -> None:
    cost.clear()


def _cost(model: str, family: str, rule: str, k: int) -> None:
    st.subheader("2 · What it costs")
    c = cost(model, family, rule, k)
    P = int(c["P"])
    extra = 100 * (c["iter_hd"] / c["iter_fixed"] - 1)
    d_update = (c["update_hd"] - c["update_fixed"]) * 1e6
    d_iter = (c["iter_hd"] - c["iter_fixed"]) * 1e6
    state_words = {
        "sgd": "Plain SGD stores nothing but the weights and the gradient",
        "nesterov": "SGDN already stores a momentum buffer of P numbers",
        "adam": "Adam already stores two buffers (m and v) of P numbers each",
    }[family]
    cols = st.columns(3, gap="small")
    cols[0].metric("Time per iteration, fixed", f"{c['iter_fixed'] * 1e6:.0f} µs", border=True)
    cols[1].metric(
        f"Time per iteration, {hd_label(family, rule)}",
        f"{c['iter_hd'] * 1e6:.0f} µs",
        f"{extra:+.0f} %",
        delta_color="inverse",
        border=True,
    )
    cols[2].metric(f"Extra memory per model (P = {P:,})", f"{8 * P / 1000:.3g} kB", border=True)
    if abs(d_iter - d_update) <= max(10.0, 0.5 * abs(d_update)):
        agree = (
            f"The whole iteration got {d_iter:.0f} µs slower, about what the update alone "
            "explains: the gradient costs the same either way."
        )
    else:
        agree = (
            f"The whole iteration changed by {d_iter:+.0f} µs, more than the update explains: "
            "timings on a shared server jump when other work runs. Measure again."
        )
    st.markdown(
        f"Measured on this server: {TIME_ITERS} iterations of {k} model(s) at once "
        f"({MODEL_NAMES[model].lower()}, minibatches of {BATCH}), best of {TIME_REPEATS}. "
        f"The update alone (no gradient) takes {c['update_fixed'] * 1e6:.3g} µs with a fixed "
        f"rate and {c['update_hd'] * 1e6:.3g} µs with HD: HD adds one dot product "
        f"g_t · d_(t−1) over the P = {P:,} parameters and one copy of the direction d_t per "
        f"step. The gradient, a pass over the minibatch, is most of an iteration. {agree} "
        f"Memory: {state_words}; HD keeps **one extra gradient-sized copy**, P = {P:,} float64 "
        f"numbers = {8 * P:,} bytes per model ({k} model(s): {8 * P * k:,} bytes)."
    )
    st.button(
        "Measure again",
        key="ad_remeasure",
        icon=":material/timer:",
        on_click=_remeasure,
        help="Timings are cached; this runs the measurement once more.",
    )


@st.fragment
def training_section() -> None:
    big = state.lecture()
    st.subheader("1 · Train from rates 10 000× apart")
    lrs, family, rule, beta = _controls()
    model, epochs, seed, sweep = _more()
    if not lrs:
        st.info("No starting rate chosen: showing the default five (1e-5 … 0.1).")
        lrs = DEFAULT_LRS
    fixed = run_fixed(model, family, lrs, epochs, seed)
    hd = run_hd(model, family, rule, beta, lrs, epochs, seed)
    name = hd_label(family, rule)

    if len(lrs) >= 2:
        answer = quiz_answer(hd)
        finals = [row[np.isfinite(row)][-1] for row in hd.lr]
        pos = [v for v in finals if v > 0]
        spread = f"they end between {fmt(min(finals))} and {fmt(max(finals))}" + (
            f", {max(pos) / min(pos):.3g}× apart" if len(pos) == len(finals) else ""
        )
        widgets.predict(
            QUIZ_KEY,
            f"{len(lrs)} copies of the model start at rates from {fmt(lrs[0])} to "
            f"{fmt(lrs[-1])} ({lrs[-1] / lrs[0]:,.0f}× apart) and train with {name} for "
            f"{epochs} epochs. Where do their learning rates end up?",
            QUIZ_OPTIONS,
            answer,
            f"In this run {spread}. The rate panels below show how they got there.",
        )

    rates_fig, loss_fig, sens_fig, traj_data, sens_data = _training_charts(
        model, family, rule, beta, lrs, epochs, seed, big
    )
    widgets.chart(
        rates_fig,
        key="ad_rates",
        caption=(
            "The learning rate at every iteration (log scale), one colour and dash per starting "
            f"rate. Left: {SHORT[family]} keeps each rate fixed. Right: {name} adapts it, "
            "from the second iteration on (it needs a previous direction). Rates at or below "
            "zero cannot be drawn on a log axis; the verdicts below say when that happens."
        ),
        data=traj_data,
        filename="hypergradient-rates",
    )
    widgets.chart(
        loss_fig,
        key="ad_loss",
        caption=(
            "Training loss (minibatch loss averaged over quarter epochs, log scale), same "
            f"colours. With fixed rates the curves fan out by starting rate; with {name} they "
            "bunch together. An ✕ marks a run that blew up."
        ),
    )
    widgets.verdicts(run_verdicts(fixed, hd))
    st.markdown(
        sensitivity(hd.lrs, fixed.final_val_loss, hd.final_val_loss, label=name, beta=beta).text
    )
    widgets.chart(
        sens_fig,
        key="ad_sensitivity",
        caption=(
            "Final validation loss against the starting rate (both log scales): grey solid = "
            f"fixed rate, black dashed = {name}; each marker in its starting rate's colour. A "
            "steep curve means the starting rate matters; a flat one means HD made it matter "
            "less. An ✕ along the top is a run that diverged."
        ),
        data=sens_data,
        filename="hypergradient-sensitivity",
    )
    if sweep:
        _sweep(model, family, rule, beta, lrs, epochs, seed, big)
    _cost(model, family, rule, len(lrs))


def _surface_controls() -> tuple[float, str, float, str, float, int]:
    left, right = st.columns(2, gap="medium")
    with left:
        kappa = state.select_slider(
            "Condition number κ = λmax / λmin",
            KAPPAS,
            10.0,
            key=KAPPA_KEY,
            format_func=lambda v: f"{v:g}",
            help="Eigenvalues 1 and κ: the steep direction caps the stable rate at 2/κ.",
        )
        where = state.segmented(
            "Start", STARTS, "floor", key=START_KEY, format_func=START_NAMES.get
        )
        lr0 = state.select_slider(
            "Starting rate α₀", SLR_OPTIONS, 1e-3, key=SLR_KEY, format_func=fmt
        )
    with right:
        rule = str(state.segmented("HD rule on the surface", RULES, "additive", key=SRULE_KEY))
        if rule == "additive":
            beta = state.select_slider(
                "β on the surface",
                SBETAS_ADD,
                DEFAULT_SBETA_ADD,
                key=SBETA_KEY,
                format_func=fmt,
                help="The gradients here are of order 1 to 100, not 0.01 as on the digits: "
                "β scales with 1/|g|², so the same β does not fit both.",
            )
        else:
            beta = state.select_slider(
                "β′ on the surface", BETAS_MUL, DEFAULT_SBETA_MUL, key=SBETAM_KEY, format_func=fmt
            )
        steps = state.slider("Steps", MIN_STEPS, MAX_STEPS, DEFAULT_STEPS, key=STEPS_KEY)
    return float(kappa), str(where), float(lr0), rule, float(beta), int(steps)


@st.cache_resource(max_entries=32, show_spinner=False)
def _surface_charts(
    kappa: float, where: str, lr0: float, rule: str, beta: float, steps: int, big: bool
) -> tuple[go.Figure, go.Figure, pd.DataFrame]:
    res = surface_runs(kappa, where, lr0, rule, beta, steps)
    name = "SGD-HD" if rule == "additive" else "SGD-HDM"
    names = {
        "hd": f"{name}, β = {fmt(beta)}",
        "fixed": f"SGD, fixed {fmt(lr0)}",
        "polyak": "Polyak's step",
    }
    keys = ("hd", "fixed", "polyak")
    short = {"hd": name, "fixed": "SGD fixed", "polyak": "Polyak"}
    contour = surface_figure(
        res["gx"],
        res["gy"],
        res["z"],
        [res[k]["path"] for k in keys],
        [res[k]["rate"] for k in keys],
        [short[k] for k in keys],
        minimum=(0.0, 0.0),
        big=big,
    )
    lam_min, lam_max = res["lam_min"], res["lam_max"]
    rate = surface_rate_figure(
        [res[k]["rate"] for k in keys],
        [res[k]["loss"] for k in keys],
        [names[k] for k in keys],
        lines=(
            (2 / lam_max, "2/λmax: stability limit"),
            (1 / lam_min, "1/λmin: the floor's ideal"),
        ),
        big=big,
    )
    data = pd.DataFrame({"step": np.arange(steps + 1)})
    for k in keys:
        data[f"x {names[k]}"] = res[k]["path"][:, 0]
        data[f"y {names[k]}"] = res[k]["path"][:, 1]
        data[f"rate {names[k]}"] = res[k]["rate"]
        data[f"loss {names[k]}"] = res[k]["loss"]
    return contour, rate, data


@st.fragment
def surface_section() -> None:
    big = state.lecture()
    st.subheader("3 · Watch the rate on a surface")
    st.markdown(
        "A long valley, f = ½(λmin u² + λmax v²) turned by 30°, with λmin = 1 and λmax = κ. "
        "SGD with HD starts at a tiny rate; beside it SGD at that fixed rate, "
        "and **Polyak's step** η = (f − f*)/|g|², which needs to know the lowest value f* = 0 "
        "(here it does). Every marker is coloured by the rate of the step that led to it."
    )
    kappa, where, lr0, rule, beta, steps = _surface_controls()
    res = surface_runs(kappa, where, lr0, rule, beta, steps)
    contour, rate_fig, data = _surface_charts(kappa, where, lr0, rule, beta, steps, big)
    left, right = st.columns(2, gap="medium")
    with left:
        _contour_chart(contour)
    with right:
        _surface_rate_chart(rate_fig, data)
    lab = "SGD-HD" if rule == "additive" else "SGD-HDM"
    widgets.verdicts(
        [
            (f"{lab}, β = {fmt(beta)}", res["hd"]["kind"],
             f"{valley_story(res['hd']['rate'], res['lam_max'], lr0)}; {res['hd']['text']}"),
            (f"SGD, fixed {fmt(lr0)}", res["fixed"]["kind"], res["fixed"]["text"]),
            ("Polyak's step", res["polyak"]["kind"], _polyak_words(res["polyak"])),
        ]
    )  # fmt: skip


def _contour_chart(fig: go.Figure) -> None:
    widgets.chart(
        fig,
        key="ad_surface",
        caption=(
            "Contours of the loss (log scale) with the three paths from the same start; each "
            "marker is coloured by the rate of its step (colour bar). On the valley floor "
            "successive gradients agree and HD's markers turn from dark to yellow; once the "
            "steps jump across the valley, they turn darker again."
        ),
    )


def _surface_rate_chart(fig: go.Figure, data: pd.DataFrame) -> None:
    widgets.chart(
        fig,
        key="ad_surface_rate",
        caption=(
            "Top: the rate of every step (log scale), with the stability limit 2/λmax and "
            "1/λmin, the rate that would cross the gentle direction in one step. Bottom: the "
            "loss above the minimum (log scale)."
        ),
        data=data,
        filename="hypergradient-surface",
    )


def _polyak_words(run: dict) -> str:
    r = np.asarray(run["rate"], dtype=np.float64)[1:]
    r = r[np.isfinite(r) & (r > 0)]
    if r.size == 0:
        return run["text"]
    return (
        f"its step size ranged from {fmt(float(r.min()))} to {fmt(float(r.max()))}; {run['text']}"
    )


def _next() -> None:
    if pages.next_page(PATH) is not None:
        widgets.next_lesson(PATH)
        return
    guide = pages.by_path(GUIDE_PATH)
    if guide.exists:
        st.page_link(guide.path, label=f"Next: {guide.title} →", icon=guide.icon)


def main() -> None:
    widgets.header(
        "Adaptive learning rate",
        "Every lesson so far asked you to **choose** the learning rate. Hypergradient descent "
        "lets the optimiser tune it while it trains: after each step it nudges the rate up if "
        "the new gradient agrees with the last step, down if it reverses. It costs one extra "
        "copy of the gradient and one dot product per step.",
    )
    widgets.narrative(NARRATIVE)
    training_section()
    surface_section()
    _next()


main()
