"""Lesson 3: Descent in 2-D. Valleys, Rosenbrock, saddles and typed-in surfaces: the largest
curvature sets the largest stable learning rate."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import streamlit as st

from engine.convergence import measured_contraction, predicted_contraction
from engine.descent import DescentError, run_many
from engine.expr import ExpressionError, parse_function
from engine.optim import OPTIMIZERS, Optimizer
from engine.surfaces import SURFACES_2D, Surface, get_surface
from engine.theory import Thresholds, local_thresholds
from lessons.ui import state, widgets
from lessons.ui.fig_descent_2d import (
    contour_figure,
    contraction_figure,
    latex_lines,
    loss_figure,
    surface3d_figure,
)

PATH = "lessons/descent_2d.py"
CUSTOM = "custom"
SURFACE_KEYS: tuple[str, ...] = (*SURFACES_2D, CUSTOM)
NAMES = {k: get_surface(k).name for k in SURFACES_2D} | {CUSTOM: "Type your own f(x, y)"}
KAPPAS: tuple[float, ...] = (1.0, 2.0, 5.0, 10.0, 20.0, 40.0, 100.0, 200.0)
DEFAULT_KAPPA, DEFAULT_ANGLE = 20.0, 30
WINDOWS: tuple[float, ...] = (1.0, 2.0, 3.0, 4.0, 5.0, 10.0)
DEFAULT_WINDOW = 3.0
DEFAULT_F = "x**2 + 3*x*y + 10*y**2"
STEPS: tuple[int, ...] = (10, 20, 30, 50, 75, 100, 150, 200, 300, 500, 1000, 2000)
#: a step count per surface that shows what it teaches
DEFAULT_STEPS = {
    "ill_conditioned": 100,
    "rosenbrock": 1000,
    "himmelblau": 100,
    "saddle": 50,
    "saddle_well": 100,
    "beale": 500,
    "six_hump_camel": 100,
    CUSTOM: 100,
}
MAX_RUNS = 4
LR_MIN, LR_MAX = 1e-5, 10.0
MOMENTA: tuple[float, ...] = (0.0, 0.5, 0.8, 0.9, 0.95, 0.99)
OPT_NAMES = {"sgd": "Gradient descent (SGD)", "momentum": "Heavy-ball momentum",
             "nesterov": "Nesterov momentum", "adam": "Adam"}  # fmt: skip
MODES = ("rates", "optimisers")
MODE_NAMES = {"rates": "several learning rates", "optimisers": "several optimisers"}
GRID_2D, GRID_3D = 101, 60
WINDOW = 20  # steps over which the per-step contraction is measured
QUIZ_KEY = "d2_quiz"
LR_KEYS = tuple(f"d2_lr{i + 1}" for i in range(MAX_RUNS))


# ------------------------------------------------------------------------- pure helpers


def r4(v: float) -> float:
    """Four significant digits (rates people can read and type; close enough to the theory's
    that the best rate stays below 2/λmax up to κ = 20000)."""
    return float(f"{v:.4g}")


def build_surface(key: str, kappa: float, angle: float, text: str, win: float) -> Surface:
    """The surface the widgets describe (raises ExpressionError for bad typed text)."""
    if key == CUSTOM:
        return parse_function(text, variables=("x", "y"), window=((-win, win), (-win, win)))
    if key == "ill_conditioned":
        return get_surface(key, kappa=kappa, angle=angle)
    return get_surface(key)


def slider_step(window: tuple[float, float]) -> float:
    span = window[1] - window[0]
    return 0.01 if span <= 5 else 0.05 if span <= 12 else 0.1


def snap(v: float, window: tuple[float, float]) -> float:
    """``v`` on the start slider's grid, inside the window."""
    s = slider_step(window)
    return float(np.clip(round(round(v / s) * s, 6), window[0], window[1]))


def presets(th: Thresholds | None) -> tuple[float, ...]:
    """Four rates that show the point: ½·best, best, just above 2/λmax, 1/λmax (or, without a
    minimum, fractions of 2/λmax; without any curvature, a spread)."""
    if th is not None and th.kind == "convex":
        vals = (th.best / 2, th.best, 1.05 * th.diverge, th.fastest)
    elif th is not None and th.diverge is not None:
        d = th.diverge
        vals = (0.05 * d, 0.25 * d, 0.75 * d, 1.05 * d)
    else:
        vals = (0.01, 0.03, 0.1, 0.3)
    return tuple(float(np.clip(r4(v), LR_MIN, LR_MAX)) for v in vals)


def rate_tag(lr: float, th: Thresholds | None) -> str:
    """Where a rate sits against the thresholds, for its label."""
    if th is None:
        return ""
    if th.diverge is not None and lr > th.diverge * (1 + 1e-9):
        return " (above 2/λmax)"
    if th.best is not None and abs(lr / th.best - 1) < 5e-3:
        return " (best)"
    if th.fastest is not None and abs(lr / th.fastest - 1) < 5e-3:
        return " (1/λmax)"
    return ""


def fmt(v: float | None, digits: int = 3) -> str:
    if v is None or not np.isfinite(v):
        return "—"
    return f"{v:.{digits}g}"


# ------------------------------------------------------------------------- cached engine calls


@st.cache_data(max_entries=64, show_spinner=False)
def surface_info(key: str, kappa: float, angle: float, text: str, win: float) -> dict:
    """Everything the page draws about the surface itself, or ``{"error": message}``."""
    try:
        s = build_surface(key, kappa, angle, text, win)
    except ExpressionError as err:
        return {"error": str(err)}
    xs, ys, z = s.grid(GRID_2D)
    xs3, ys3, z3 = s.grid(GRID_3D)
    points = s.minima if s.minima else s.saddles
    thresholds = [local_thresholds(s, p) for p in points]
    return {
        "name": s.name,
        "formula": s.formula,
        "blurb": s.blurb,
        "window": s.window,
        "minima": s.minima,
        "saddles": s.saddles,
        "f_min": s.f_min,
        "start": s.default_start,
        "points": points,
        "point_kind": "minimum" if s.minima else "saddle point",
        "thresholds": thresholds,
        "grid": (xs, ys, z),
        "grid3d": (xs3, ys3, z3),
    }


@st.cache_data(max_entries=64, show_spinner=False)
def descend(
    key: str,
    kappa: float,
    angle: float,
    text: str,
    win: float,
    start: tuple[float, float],
    configs: tuple[tuple[str, float], ...],
    momentum: float,
    steps: int,
) -> dict:
    """The runs (one engine call for all of them) and their measured contraction."""
    s = build_surface(key, kappa, angle, text, win)
    opts = [(Optimizer(name, momentum=momentum), lr) for name, lr in configs]
    try:
        res = run_many(s, start, opts, steps=steps)
    except DescentError as err:
        return {"error": str(err)}
    points = s.minima if s.minima else s.saddles
    m = measured_contraction(res.path, np.asarray(points).reshape(-1, 2), window=WINDOW)
    return {
        "path": res.path,
        "loss": res.loss,
        "labels": res.labels,
        "verdicts": res.verdicts,
        "blowup": res.diverged_at,
        "lrs": res.lrs,
        "measured": m.rate,
        "point": m.point,
        "window": (m.start, m.end),
    }


# ------------------------------------------------------------------------- callbacks


def _current_info() -> dict:
    ss = st.session_state
    key = ss.get("d2_surface", "ill_conditioned")
    key = key if key in SURFACE_KEYS else "ill_conditioned"
    info = surface_info(
        key,
        float(ss.get("d2_kappa", DEFAULT_KAPPA)),
        float(ss.get("d2_angle", DEFAULT_ANGLE)),
        str(ss.get("d2_f", DEFAULT_F)),
        float(ss.get("d2_win", DEFAULT_WINDOW)),
    )
    if "error" in info:
        info = surface_info(CUSTOM, DEFAULT_KAPPA, DEFAULT_ANGLE, DEFAULT_F, DEFAULT_WINDOW)
    return info | {"key": key}


def _reference(info: dict) -> Thresholds | None:
    return info["thresholds"][0] if info["thresholds"] else None


def _set_start(info: dict) -> None:
    st.session_state["d2_x0"] = snap(info["start"][0], info["window"][0])
    st.session_state["d2_y0"] = snap(info["start"][1], info["window"][1])


def _on_surface() -> None:
    """A new surface: its own rates, step count and start point."""
    info = _current_info()
    rates = presets(_reference(info))
    for k, v in zip(LR_KEYS, rates, strict=True):
        st.session_state[k] = v
    st.session_state["d2_olr"] = rates[1]
    st.session_state["d2_steps"] = DEFAULT_STEPS[info["key"]]
    _set_start(info)


def _on_angle() -> None:
    """The start point turns with the valley."""
    _set_start(_current_info())


def _theory_rates() -> None:
    rates = presets(_reference(_current_info()))
    for k, v in zip(LR_KEYS, rates, strict=True):
        st.session_state[k] = v


# ------------------------------------------------------------------------- the page


NARRATIVE = (
    "- **At the defaults** three rates run down a long valley whose walls are 20 times steeper "
    "than its floor (κ = 20). Half the best rate creeps; the best rate 2/(λmin + λmax) zig-zags "
    "across the valley but gets there; a rate just above 2/λmax zig-zags *further* on every "
    "step and leaves the picture.\n"
    "- **Raise κ** (steeper walls, same floor): 2/λmax drops, and rates that were fine now "
    "diverge. Lower κ to 1 (a round bowl): the best rate lands in one step.\n"
    "- **Compare the measured contraction with the prediction** under the charts: near the "
    "minimum the distance shrinks by max|1 − lr·λ| per step, so the steep direction decides "
    "whether it diverges and the gentle one how slowly it converges.\n"
    "- **Try the other surfaces**: Rosenbrock's curved valley (thousands of steps), saddles "
    "(descent lingers, then slides off), several minima (where you end depends on start and "
    "rate), or type a function. Switch to *several optimisers* to race momentum and Adam."
)


def _surface_controls() -> tuple[str, float, float, str, float]:
    key = state.selectbox(
        "Surface",
        SURFACE_KEYS,
        0,
        key="d2_surface",
        format_func=NAMES.get,
        on_change=_on_surface,
    )
    kappa, angle, text, win = DEFAULT_KAPPA, float(DEFAULT_ANGLE), DEFAULT_F, DEFAULT_WINDOW
    if key == "ill_conditioned":
        c1, c2 = st.columns(2)
        with c1:
            kappa = state.select_slider(
                "Condition number κ = λmax / λmin",
                KAPPAS,
                DEFAULT_KAPPA,
                key="d2_kappa",
                format_func=lambda v: f"{v:g}",
                help="λmin stays 1, so κ is the curvature across the valley, λmax.",
            )
        with c2:
            angle = state.slider(
                "Valley angle (degrees)",
                -90,
                90,
                DEFAULT_ANGLE,
                step=5,
                key="d2_angle",
                on_change=_on_angle,
                help="The direction of the valley floor; the start point turns with it.",
            )
    elif key == CUSTOM:
        text = state.text_input(
            "f(x, y) =",
            DEFAULT_F,
            key="d2_f",
            max_chars=200,
            on_change=_on_surface,
            help="Numbers, x, y, + − * / ** (or ^), parentheses, pi, e and sin cos tan exp log "
            "sqrt abs tanh sinh cosh arctan sigmoid. Write 3*x, not 3x.",
        )
        win = state.select_slider(
            "Window: −w … w on both axes",
            WINDOWS,
            DEFAULT_WINDOW,
            key="d2_win",
            format_func=lambda v: f"{v:g}",
            on_change=_on_surface,
        )
    return key, float(kappa), float(angle), str(text), float(win)


def _start_controls(info: dict) -> tuple[float, float]:
    (xlo, xhi), (ylo, yhi) = info["window"]
    c1, c2 = st.columns(2)
    with c1:
        x0 = state.slider(
            "Start x",
            float(xlo),
            float(xhi),
            snap(info["start"][0], (xlo, xhi)),
            step=slider_step((xlo, xhi)),
            key="d2_x0",
        )
    with c2:
        y0 = state.slider(
            "Start y",
            float(ylo),
            float(yhi),
            snap(info["start"][1], (ylo, yhi)),
            step=slider_step((ylo, yhi)),
            key="d2_y0",
        )
    return float(x0), float(y0)


def _rate_input(label: str, key: str, default: float, step: float, help: str) -> float:
    return float(
        state.number_input(
            label, LR_MIN, LR_MAX, default, key=key, step=step, format="%.4g", help=help
        )
    )


def _run_controls(info: dict) -> tuple[str, tuple[tuple[str, float], ...], float, int]:
    th = _reference(info)
    defaults = presets(th)
    step = 10 ** math.floor(math.log10(defaults[1])) / 5
    mode = state.segmented("Compare", MODES, "rates", key="d2_mode", format_func=MODE_NAMES.get)
    hint = (
        f"2/λmax = {fmt(th.diverge)} at the {info['point_kind']}"
        if th is not None and th.diverge is not None
        else "no curvature limit known here"
    )
    mu = 0.9
    if mode == "rates":
        n = state.segmented("Runs", (1, 2, 3, 4), 3, key="d2_n")
        cols = st.columns(int(n))
        rates = []
        for i in range(int(n)):
            with cols[i]:
                rates.append(
                    _rate_input(f"Learning rate {i + 1}", LR_KEYS[i], defaults[i], step, hint)
                )
        if th is not None and th.kind == "convex":
            st.button(
                f"Theory's rates: ½·best, best = {fmt(th.best, 4)}, just above 2/λmax = "
                f"{fmt(th.diverge, 4)}, 1/λmax",
                key="d2_theory",
                icon=":material/calculate:",
                on_click=_theory_rates,
                help="Set the four rates from the curvature at the minimum (current κ).",
            )
        configs = tuple(("sgd", lr) for lr in rates)
    else:
        chosen = state.multiselect(
            "Optimisers", OPTIMIZERS, OPTIMIZERS, key="d2_opts", format_func=OPT_NAMES.get
        )
        lr = _rate_input("Learning rate (all optimisers)", "d2_olr", defaults[1], step, hint)
        if not chosen:
            st.warning("No optimiser chosen: showing plain gradient descent.")
            chosen = ["sgd"]
        configs = tuple((name, lr) for name in chosen)
    steps = state.select_slider(
        "Steps", STEPS, DEFAULT_STEPS[info["key"]], key="d2_steps",
        help="At most 2000 steps per run.",
    )  # fmt: skip
    if mode == "optimisers":
        with widgets.more_controls("More: momentum"):
            mu = state.select_slider(
                "Momentum μ (heavy ball and Nesterov)",
                MOMENTA,
                0.9,
                key="d2_mom",
                format_func=lambda v: f"{v:g}",
            )
    return mode, configs, float(mu), int(steps)


def _labels(run: dict, mode: str, th: Thresholds | None) -> list[str]:
    if mode == "rates":
        return [f"lr = {widgets.fmt_lr(float(lr))}{rate_tag(float(lr), th)}" for lr in run["lrs"]]
    return list(run["labels"])


def _path_frame(run: dict, labels: list[str]) -> pd.DataFrame:
    t1 = run["path"].shape[1]
    data = pd.DataFrame({"step": np.arange(t1)})
    for label, path, loss in zip(labels, run["path"], run["loss"], strict=True):
        data[f"x {label}"] = path[:, 0]
        data[f"y {label}"] = path[:, 1]
        data[f"loss {label}"] = loss
    return data


@st.cache_resource(max_entries=32, show_spinner=False)
def figures(
    key: str,
    kappa: float,
    angle: float,
    text: str,
    win: float,
    start: tuple[float, float],
    configs: tuple[tuple[str, float], ...],
    momentum: float,
    steps: int,
    labels: tuple[str, ...],
    mode: str,
    big: bool,
) -> dict:
    """The three views of the runs, built once per view and only read afterwards
    (``st.plotly_chart`` serialises a figure without changing it)."""
    info = surface_info(key, kappa, angle, text, win)
    run = descend(key, kappa, angle, text, win, start, configs, momentum, steps)
    xs, ys, z = info["grid"]
    xs3, ys3, z3 = info["grid3d"]
    f_min = info["f_min"]
    finite = z3[np.isfinite(z3)]
    cap = float(np.quantile(finite, 0.9)) if finite.size else None
    gap = f_min is not None
    th = _reference(info)
    contraction = None
    if mode == "rates" and th is not None and th.kind == "convex":
        contraction = contraction_figure(
            th.eigenvalues, [c[1] for c in configs], run["measured"].tolist(), labels,
            best=th.best, diverge=th.diverge, big=big,
        )  # fmt: skip
    return {
        "contraction": contraction,
        "contour": contour_figure(
            xs,
            ys,
            z,
            run["path"],
            labels,
            f_min=f_min,
            minima=info["minima"],
            saddles=info["saddles"],
            big=big,
        ),  # fmt: skip
        "3d": surface3d_figure(
            xs3,
            ys3,
            z3,
            run["path"],
            run["loss"],
            labels,
            minima=info["minima"],
            cap=cap,
            big=big,
        ),  # fmt: skip
        "loss": loss_figure(
            run["loss"] - f_min if gap else run["loss"],
            labels,
            gap=gap,
            blowup=run["blowup"].tolist(),
            big=big,
        ),
        "gap": gap,
        "data": _path_frame(run, list(labels)),
    }


#: the chart tabs, by their labels (``d2_view`` in a link opens one of them)
VIEWS = ("Top view (contours)", "3-D view", "Loss vs step")


def _charts(figs: dict) -> None:
    # lazy: only the open tab's chart is computed into the page and sent to the browser (the
    # 3-D surface is the heaviest figure here); the open tab is part of the link
    captions = {
        "contour": "Seen from above: contour lines of the loss, spaced evenly in log(loss) so the "
        "valley floor shows; each line with markers is one run from the open circle, stars are "
        "minima. A run that leaves the frame was diverging.",
        "3d": "The same runs on the loss surface itself (drag to turn it). The highest tenth of "
        "the landscape is cut off so the valleys stay visible.",
        "loss": "Loss above the minimum at every step, on a log scale: a straight line downwards "
        "is a constant shrink factor per step; ✕ marks a run that blew up."
        if figs["gap"]
        else "The loss at every step (this surface has no known minimum to measure from).",
    }
    for tab, name in zip(state.tabs(VIEWS, key="d2_view"), captions, strict=True):
        if tab.open:
            with tab:
                widgets.chart(
                    figs[name],
                    key=f"d2_{name}",
                    caption=captions[name],
                    data=figs["data"],
                    filename="descent-2d-paths",
                )


def _theory(info: dict, run: dict, labels: list[str], configs, mu: float, figure) -> None:
    st.subheader("What the curvature predicts")
    if not info["thresholds"]:
        st.info(
            "No minimum or saddle point was found in the window, so there is no curvature to "
            "predict from: try a wider window or a function with a minimum."
        )
        return
    th = info["thresholds"][0]
    where = info["point_kind"]
    p = info["points"][0]
    lam = th.eigenvalues
    st.markdown(
        f"Hessian eigenvalues at the {where} ({fmt(p[0])}, {fmt(p[1])}): "
        f"**λmin = {fmt(lam[0], 4)}**, **λmax = {fmt(lam[-1], 4)}**"
        + (f", condition number **κ = {fmt(th.kappa, 4)}**" if th.kappa is not None else "")
        + "."
    )
    if th.kind == "convex":
        st.markdown(
            f"- largest stable rate **2/λmax = {fmt(th.diverge, 4)}**: set by the *steepest* "
            "direction alone\n"
            f"- best fixed rate **2/(λmin + λmax) = {fmt(th.best, 4)}**, which still only shrinks "
            f"the distance by **(κ − 1)/(κ + 1) = {fmt(th.contraction_at_best, 4)}** per step\n"
            f"- 1/λmax = {fmt(th.fastest, 4)} removes the steep component in one step"
        )
    st.caption(th.note)

    rows = []
    start, end = run["window"]
    for i, ((name, lr), label) in enumerate(zip(configs, labels, strict=True)):
        t_i = info["thresholds"][int(run["point"][i])]
        pred = (
            float(predicted_contraction(t_i.eigenvalues, lr, name, mu))
            if name != "adam" and t_i.kind in ("convex", "saddle")
            else float("nan")
        )
        m = float(run["measured"][i])
        rows.append(
            {
                "run": label,
                "verdict": run["verdicts"][i].kind,
                "predicted ×/step": pred,
                "measured ×/step": m,
                "measured over steps": f"{start[i]}–{end[i]}" if end[i] >= 0 else "—",
            }
        )
    if figure is not None:
        widgets.chart(
            figure,
            key="d2_contraction",
            caption=(
                "Predicted per-step shrink factor of the distance to the minimum, max|1 − lr·λ|, "
                "against the rate (thick line): a V whose right arm, set by λmax alone, crosses 1 "
                "at 2/λmax. Markers: what each run actually did near the end."
            ),
        )
    table = pd.DataFrame(rows)
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={
            "predicted ×/step": st.column_config.NumberColumn(format="%.4f"),
            "measured ×/step": st.column_config.NumberColumn(format="%.4f"),
        },
    )
    st.markdown(_agreement(rows, where))


def _agreement(rows: list[dict], where: str) -> str:
    """Measured against predicted, in words."""
    lines = []
    for r in rows:
        p, m = r["predicted ×/step"], r["measured ×/step"]
        if not np.isfinite(m):
            lines.append(
                f"- **{r['run']}**: landed on the {where} exactly; nothing left to measure."
            )
        elif not np.isfinite(p):
            lines.append(
                f"- **{r['run']}**: measured {m:.4f} per step (no linear theory predicts Adam)."
            )
        else:
            off = abs(m - p) / p if p > 0 else abs(m - p)
            how = "shrinks" if m < 1 else "grows"
            agree = (
                "as predicted" if off < 0.02 else f"the prediction ({p:.4f}) is off by {off:.0%}"
            )
            lines.append(
                f"- **{r['run']}**: the distance {how} ×{m:.4f} per step, {agree}"
                + (
                    " (the prediction only holds close to the point, where the surface is nearly "
                    "a quadratic)"
                    if off >= 0.02
                    else ""
                )
                + "."
            )
    return "\n".join(lines)


def _quiz(key: str, kappa: float) -> None:
    k = kappa if key == "ill_conditioned" else DEFAULT_KAPPA
    now = local_thresholds(get_surface("ill_conditioned", kappa=k), (0.0, 0.0))
    then = local_thresholds(get_surface("ill_conditioned", kappa=2 * k), (0.0, 0.0))
    widgets.predict(
        QUIZ_KEY,
        f"The valley gets twice as steep across (κ = {k:g} → {2 * k:g}; its floor stays as "
        "gentle, λmin = 1). What happens to the largest stable learning rate 2/λmax?",
        ["It doubles", "It stays the same", "It halves", "It drops to a quarter"],
        2,
        f"2/λmax goes from {now.diverge:.4g} to {then.diverge:.4g}: only the steepest curvature "
        f"counts. The best rate falls from {now.best:.4g} to {then.best:.4g} and converges "
        f"more slowly, ×{now.contraction_at_best:.4g} → ×{then.contraction_at_best:.4g} per "
        "step, because the gentle floor is now crossed with a smaller rate. "
        + (
            f"Set κ to {2 * k:g} to watch your rates: any of them between "
            f"{then.diverge:.4g} and {now.diverge:.4g} now diverges."
            if 2 * k in KAPPAS
            else ""
        ),
    )


@st.fragment
def lesson() -> None:
    big = state.lecture()
    key, kappa, angle, text, win = _surface_controls()
    info = surface_info(key, kappa, angle, text, win)
    if "error" in info:
        st.error(f"Can't use “{text[:60]}”: {info['error']} Showing f(x, y) = {DEFAULT_F} instead.")
        text = DEFAULT_F
        info = surface_info(key, kappa, angle, text, win)
    info = info | {"key": key}
    for line in latex_lines(info["formula"]):
        st.latex(line)
    st.caption(info["blurb"])
    x0, y0 = _start_controls(info)
    mode, configs, mu, steps = _run_controls(info)
    run = descend(key, kappa, angle, text, win, (x0, y0), configs, mu, steps)
    if "error" in run:
        st.error(f"Can't run from ({x0:g}, {y0:g}): {run['error']}")
        return
    th = _reference(info)
    labels = _labels(run, mode, th)
    st.subheader("What happened")
    widgets.verdicts(
        [(lab, v.kind, v.text) for lab, v in zip(labels, run["verdicts"], strict=True)]
    )
    _charts(
        figs := figures(
            key, kappa, angle, text, win, (x0, y0), configs, mu, steps, tuple(labels), mode, big
        )
    )
    widgets.narrative(NARRATIVE)
    _theory(info, run, labels, configs, mu, figs["contraction"])
    _quiz(key, kappa)


def main() -> None:
    widgets.header(
        "Descent in 2-D",
        "Two parameters, one learning rate. On a long, narrow valley the **steepest** direction "
        "decides the largest rate that is stable, **2/λmax**, and at that rate the gentle floor "
        "of the valley is crossed painfully slowly.",
    )
    lesson()
    widgets.next_lesson(PATH)


main()
