"""Lesson 2: Descent in 1-D. Up to four learning rates side by side on a 1-D loss, step by step."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from engine.descent import DescentError, run_descent
from engine.expr import ExpressionError, parse_function
from engine.surfaces import SURFACES_1D, Surface, SurfaceError, get_surface
from engine.theory import local_thresholds, quadratic_regime
from lessons.ui import state, widgets
from lessons.ui.fig_descent_1d import (
    LR_GRID,
    OFF,
    curve_figure,
    curve_y_range,
    fmt_rate,
    loss_figure,
    presets_fit,
    rate_axis_figure,
    regime_rates,
    threshold_rates,
    visible_prefix,
)

PATH = "lessons/descent_1d.py"
SURFACE_KEY = "d1_surface"
TEXT_KEY = "d1_fn"
WIN_KEY = "d1_win"
STEPS_KEY = "d1_steps"
MODEL_KEY = "d1_model"
QUIZ_KEY = "d1_quiz"
LR_KEYS = ("d1_lr1", "d1_lr2", "d1_lr3", "d1_lr4")
RUN_NAMES = ("A", "B", "C", "D")
RATE_OPTIONS = (OFF, *LR_GRID)
DEFAULT_RATES = (0.1, 0.8, 1.7, 2.2)  # the four regimes of the default parabola (f'' = 1)
STEP_OPTIONS = (10, 20, 30, 50, 75, 100, 150, 200)
DEFAULT_STEPS = 30
WINDOWS = (1.0, 2.0, 3.0, 5.0, 10.0, 20.0)
DEFAULT_TEXT = "x**4 - 3*x**2 + x"
CUSTOM = "custom"
SURFACES = (*SURFACES_1D, CUSTOM)
NAMES = {
    "quadratic": "Parabola",
    "double_well": "Double well",
    "plateau": "Plateau",
    "lopsided": "Lopsided bowl",
    "quartic": "Flat-bottomed bowl (x⁴)",
    CUSTOM: "Type a function",
}
#: the one parameter shown per built-in surface: (name, label, options, default, widget key)
PARAMS = {
    "quadratic": ("a", "Curvature a = f''", (0.25, 0.5, 1.0, 2.0, 4.0, 10.0), 1.0, "d1_a"),
    "double_well": ("tilt", "Tilt t", (-1.0, -0.6, -0.3, 0.0, 0.3, 0.6, 1.0), 0.3, "d1_tilt"),
    "plateau": ("width", "Width w of the bowl", (0.5, 1.0, 2.0), 1.0, "d1_width"),
    "lopsided": ("skew", "Skew s", (0.5, 1.0, 1.5, 2.0), 1.0, "d1_skew"),
    "quartic": ("scale", "Scale c", (0.5, 1.0, 2.0, 4.0), 1.0, "d1_scale"),
}
#: start-point slider (lo, hi, step) per built-in surface: its window at the default parameter
STARTS = {
    "quadratic": (-5.0, 5.0, 0.1),
    "double_well": (-2.0, 2.0, 0.05),
    "plateau": (-6.0, 6.0, 0.1),
    "lopsided": (-4.0, 3.0, 0.1),
    "quartic": (-2.0, 2.0, 0.05),
}
REGIME_WORDS = {
    "monotone": "slides in from one side, never crossing",
    "one step": "lands on the minimum in one step",
    "oscillating": "zig-zags in: crosses the minimum every step",
    "bounded oscillation": "bounces between two points forever",
    "diverging": "zig-zags out: every swing is bigger (diverges)",
}
CURVE_POINTS = 401
SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def replay_key(steps: int) -> str:
    """One replay slider per number of steps: its range never changes under a kept value."""
    return f"d1_step{steps}"


def x0_key(surface: str) -> str:
    """Each curve keeps its own start point (and the slider's range never changes under it)."""
    return f"d1_x0_{surface}"


# ------------------------------------------------------------------------- cached engine calls

Params = tuple[tuple[str, float], ...]


def _make(key: str, params: Params, text: str, half: float) -> Surface:
    if key == CUSTOM:
        return parse_function(text, ("x",), window=((-half, half),))
    return get_surface(key, **dict(params))


@st.cache_data(max_entries=32, show_spinner=False)
def surface_facts(key: str, params: Params, text: str, half: float) -> dict:
    """Name, formula, window, minima and default start of a surface (or ``{"error": ...}``)."""
    try:
        s = _make(key, params, text, half)
    except (ExpressionError, SurfaceError) as err:
        return {"error": str(err)}
    return {
        "name": s.name,
        "formula": s.formula,
        "blurb": s.blurb,
        "window": s.window[0],
        "minima": [m[0] for m in s.minima],
        "f_min": s.f_min,
        "start": s.default_start[0],
    }


@st.cache_data(max_entries=64, show_spinner=False)
def theory(key: str, params: Params, text: str, half: float, x0: float) -> dict | None:
    """1/f'' and 2/f'' at the minimum nearest the start, or at the start if that minimum is flat.

    Returns None when neither point curves upwards (no threshold exists).
    """
    s = _make(key, params, text, half)
    candidates = []
    if s.minima:
        near = min(s.minima, key=lambda m: abs(m[0] - x0))[0]
        candidates.append(("minimum", near))
    candidates.append(("start", x0))
    for where, at in candidates:
        t = local_thresholds(s, (at,))
        if t.kind == "convex":
            return {
                "where": where,
                "at": float(at),
                "curv": t.lam_max,
                "fastest": t.fastest,
                "diverge": t.diverge,
                "f_at": float(s.value(at)),
                "g_at": float(s.gradient(at)[0]),
                "flat_min": where == "start" and bool(s.minima),
            }
    return None


@st.cache_data(max_entries=64, show_spinner=False)
def descend(
    key: str, params: Params, text: str, half: float, x0: float, lrs: tuple[float, ...], steps: int
) -> dict:
    """One engine call for all the rates (the rate is an array axis); plain arrays out."""
    s = _make(key, params, text, half)
    lo, hi = s.window[0]
    pad = 0.05 * (hi - lo)
    x_lo, x_hi = min(lo, x0 - pad), max(hi, x0 + pad)
    xs = np.linspace(x_lo, x_hi, CURVE_POINTS)
    out = {"xs": xs, "fx": s.value(xs[:, None])}
    if not lrs:
        return out
    try:
        res = run_descent(s, (x0,), np.array(lrs), steps=steps)
    except DescentError as err:
        out["error"] = str(err)
        return out
    out.update(
        path=res.path[:, :, 0],
        loss=res.loss,
        blowup=res.diverged_at,
        verdicts=res.verdicts,
    )
    return out


# ------------------------------------------------------------------------- reading the controls


def _spec_from_state() -> tuple[str, Params, str, float, float]:
    """The current surface and start as the callbacks see them (session state, else defaults)."""
    ss = st.session_state
    key = ss.get(SURFACE_KEY, "quadratic")
    if key not in SURFACES:
        key = "quadratic"
    text = str(ss.get(TEXT_KEY, DEFAULT_TEXT))
    half = float(ss.get(WIN_KEY, 3.0))
    params: Params = ()
    if key in PARAMS:
        name, _, _, default, pkey = PARAMS[key]
        params = ((name, float(ss.get(pkey, default))),)
    facts = surface_facts(key, params, text, half)
    if "error" in facts:  # the page shows the example instead of a rejected formula
        text = DEFAULT_TEXT
        facts = surface_facts(key, params, text, half)
    x0 = ss.get(x0_key(key))
    if x0 is None:  # the slider's default, as _surface_controls sets it
        x0 = facts["start"] if key == CUSTOM else _builtin_start(key)
    return key, params, text, half, float(x0)


def _builtin_start(key: str) -> float:
    """The start slider's default for a built-in curve: its default start at default params."""
    return float(SURFACES_1D[key].factory().default_start[0])


def _set_rates(rates: tuple[float, ...]) -> None:
    for k, v in zip(LR_KEYS, rates, strict=True):
        st.session_state[k] = v


def _apply_preset(kind: str, quiet: bool = False) -> None:
    spec = _spec_from_state()
    if "error" in surface_facts(*spec[:4]):
        return
    th = theory(*spec)
    if th is None:
        if not quiet:
            st.toast(
                "This curve has no upward curvature at its minimum or at the start: no preset."
            )
        return
    rates = regime_rates(th["fastest"]) if kind == "regimes" else threshold_rates(th["fastest"])
    if not presets_fit(th["fastest"]):
        st.toast(
            f"This curve's thresholds (1/f'' = {th['fastest']:.3g}) lie near the end of the "
            "sliders' range 0.0001 … 100: the rates are as close as the sliders go."
        )
    _set_rates(rates)


def _on_curve_change() -> None:
    """A new curve gets the four regimes of its own curvature."""
    _apply_preset("regimes", quiet=True)


def _surface_controls() -> tuple[str, Params, str, float, dict, float]:
    """Curve, its parameter (or a typed function and its window), and the start point."""
    c1, c2, c3 = st.columns(3, gap="medium")
    with c1:
        key = state.selectbox(
            "Loss curve",
            SURFACES,
            0,
            key=SURFACE_KEY,
            format_func=NAMES.__getitem__,
            on_change=_on_curve_change,
            help="Built-in curves, or type your own function of x.",
        )
    params: Params = ()
    text, half = DEFAULT_TEXT, 3.0
    with c2:
        if key == CUSTOM:
            half = float(
                state.select_slider(
                    "Window: x from −w to w",
                    WINDOWS,
                    3.0,
                    key=WIN_KEY,
                    format_func=lambda w: f"w = {w:g}",
                )
            )
        else:
            name, label, options, default, pkey = PARAMS[key]
            value = state.select_slider(label, options, default, key=pkey, format_func=str)
            params = ((name, float(value)),)
    if key == CUSTOM:
        text = state.text_input(
            "Your function of x",
            DEFAULT_TEXT,
            key=TEXT_KEY,
            max_chars=200,
            on_change=_on_curve_change,
            help="Use x, numbers, + − * / ** (or ^), parentheses and exp, log, sqrt, sin, cos, "
            "tanh, abs… Multiply explicitly: 3*x, not 3x.",
        )
    facts = surface_facts(key, params, text, half)
    if "error" in facts:
        st.error(
            f"Can't use “{text[:60]}”: {facts['error']} Showing the {DEFAULT_TEXT} example instead."
        )
        text = DEFAULT_TEXT
        facts = surface_facts(key, params, text, half)
    with c3:
        if key == CUSTOM:  # one fixed range for every window, so the slider keeps its identity
            lo, hi, step = -max(WINDOWS), max(WINDOWS), 0.05
            default = float(np.clip(round(facts["start"] / step) * step, lo, hi))
        else:
            lo, hi, step = STARTS[key]
            default = _builtin_start(key)
        x0 = state.slider("Start x₀", lo, hi, default, step=step, key=x0_key(key), format="%.2f")
    return key, params, text, half, facts, float(x0)


def _rate_controls(th: dict | None) -> tuple[float, ...]:
    st.markdown(
        "**Learning rates: up to four runs side by side** (slide a run to *off* to hide it)"
    )
    cols = st.columns(4, gap="small")
    rates = []
    for i, (col, k, name) in enumerate(zip(cols, LR_KEYS, RUN_NAMES, strict=True)):
        with col:
            v = state.select_slider(
                f"Run {name}",
                RATE_OPTIONS,
                DEFAULT_RATES[i],
                key=k,
                format_func=fmt_rate,
            )
        rates.append(float(v))
    row = st.container(horizontal=True, gap="small")
    none = th is None
    why = "" if not none else " (not available: no upward curvature here)"
    row.button(
        "Four regimes for this curve",
        icon=":material/tune:",
        key="d1_preset_regimes",
        on_click=_apply_preset,
        args=("regimes",),
        disabled=none,
        help="Too low, good, high (zig-zags) and too high (diverges): 0.1, 0.8, 1.7 and 2.2 "
        f"times 1/f''{why}.",
    )
    row.button(
        "At the thresholds: ½, 1, 1.5, 2 × 1/f''",
        icon=":material/straighten:",
        key="d1_preset_thresholds",
        on_click=_apply_preset,
        args=("thresholds",),
        disabled=none,
        help=f"1/f'' lands on the minimum in one step; 2/f'' bounces forever{why}.",
    )
    return tuple(rates)


# ------------------------------------------------------------------------- words


def _threshold_text(key: str, th: dict | None) -> str:
    if th is None:
        return (
            "**Thresholds:** this curve bends downwards (or not at all) at its minimum and at the "
            "start, so f'' gives no threshold here: every rate is a guess. Try another start."
        )
    c, f1, f2 = th["curv"], th["fastest"], th["diverge"]
    nums = f"**1/f'' = {f1:.3g}** (one step to the bottom) and **2/f'' = {f2:.3g}** (above it, "
    nums += "every step overshoots more: divergence)"
    if key == "quadratic":
        return f"**Thresholds:** f''(x) = a = {c:g} everywhere on this parabola, so {nums}."
    if th["where"] == "minimum":
        return (
            f"**Thresholds at the minimum** x* = {th['at']:.3g}, where f'' = {c:.3g}: {nums}. "
            "The curvature changes along this curve, so they hold only near x*."
        )
    lead = (
        "f'' = 0 at the minimum (a flat bottom), so there is no threshold there. "
        if th["flat_min"]
        else "No minimum with upward curvature is known for this curve. "
    )
    return (
        f"**Thresholds at the start** x₀ = {th['at']:.3g}: {lead}Where the run starts, "
        f"f'' = {c:.3g}: {nums}, for the first steps only."
    )


def _theory_table(labels: list[str], lrs: tuple[float, ...], th: dict, key: str) -> str:
    regimes = quadratic_regime(th["curv"], np.array(lrs))
    where = "on this parabola" if key == "quadratic" else f"near x = {th['at']:.3g}"
    rows = [
        f"Each step multiplies the distance to the minimum by **1 − lr·f''** ({where}):",
        "",
        "| run | lr · f'' | factor 1 − lr·f'' | so the run… |",
        "|---|---|---|---|",
    ]
    for label, lr, reg in zip(labels, lrs, regimes, strict=True):
        m = lr * th["curv"]
        words = REGIME_WORDS[str(reg)]
        if reg == "monotone" and m <= 0.3:
            words = "creeps in from one side: many small steps"
        factor = f"{1 - m:+.3g}".replace("-", "−")
        rows.append(f"| {label} | {m:.3g} | {factor} | {words} |")
    return "\n".join(rows)


def _leave_notes(labels, path, x_range, blow) -> list[str]:
    notes = []
    for label, p, b in zip(labels, path, blow, strict=True):
        n = visible_prefix(p, x_range)
        if n < p.size:
            nxt = p[n]
            where = f" (x = {nxt:.3g})" if np.isfinite(nxt) else ""
            why = f", and the engine stopped it at step {int(b)}" if b >= 0 else ", still growing"
            notes.append(f"{label} leaves the chart at step {n}{where}{why}.")
    return notes


NARRATIVE = (
    "- **Four runs, four regimes.** On the parabola, run A (too low) creeps and has not arrived "
    "after 30 steps; B gets there in a few steps; C crosses the minimum every step (the zig-zag "
    "on the curve) but still settles; D's swings grow until it flies off the chart.\n"
    "- **The two thresholds.** Press *At the thresholds*: at lr = 1/f'' one step lands exactly "
    "on the minimum; at 2/f'' the ball bounces between two points forever. Now change the "
    "curvature a: both thresholds scale with 1/a, so a sharper bowl needs a smaller rate.\n"
    "- **Read the log chart.** A straight line is steady convergence: the gap shrinks by the "
    "same factor every step. Steeper is faster; a line going up is divergence.\n"
    "- **Other curves.** The double well: a big rate can hop over the hump. The plateau: the "
    "slope, not the rate, is the problem. The lopsided bowl: a rate that suits the gentle side "
    "overshoots on the wall. x⁴: no curvature at the bottom, so no straight line. Or type your "
    "own, e.g. `x**4 - 3*x**2 + x`."
)


# ------------------------------------------------------------------------- the page


@st.cache_data(max_entries=16, show_spinner=False)
def quiz_run(a: float, lr: float):
    """The verdict of gradient descent on the parabola a/2 x² from 4 at ``lr``."""
    return run_descent(get_surface("quadratic", a=a), (4.0,), [lr], steps=DEFAULT_STEPS).verdicts[0]


def _predict(key: str, params: Params) -> None:
    a = dict(params).get("a", 1.0) if key == "quadratic" else 1.0
    lr = 2.2 / a
    v = quiz_run(a, lr)
    widgets.predict(
        QUIZ_KEY,
        f"On the parabola with f'' = a = {a:g}, what happens at a learning rate just above "
        f"2/f'' = {2 / a:g}, say lr = {lr:.3g}?",
        [
            "It creeps in slowly, never crossing the minimum",
            "It zig-zags across the minimum and settles",
            "It bounces between the same two points forever",
            "It zig-zags with ever bigger swings: it diverges",
        ],
        3,
        f"Each step multiplies the distance to the minimum by 1 − lr·f'' = {1 - lr * a:+.2f}: "
        f"it lands on the other side, {abs(1 - lr * a) - 1:.0%} farther out, every step. From "
        f"x₀ = 4 the engine says: *{v.kind}*, {v.text}. At exactly 2/f'' the factor is −1 and "
        "the ball bounces forever (press *At the thresholds*); below 2/f'' the swings shrink.",
    )


def _more_controls() -> tuple[int, bool]:
    with widgets.more_controls("More: number of steps, the local parabola"):
        steps = int(
            state.select_slider(
                "Number of steps",
                STEP_OPTIONS,
                DEFAULT_STEPS,
                key=STEPS_KEY,
                format_func=str,
            )
        )
        show_model = state.toggle(
            "Draw the parabola with the same f'' (the local quadratic model)",
            False,
            key=MODEL_KEY,
            help="The thresholds 1/f'' and 2/f'' are exact for this parabola; the real curve "
            "follows it only near the point where f'' was measured.",
        )
    return steps, bool(show_model)


def _charts(key, params, text, half, facts, x0, th, rates, steps, show_model, big) -> None:
    """Replay slider, the curve and the loss chart, verdicts, and the thresholds behind them."""
    active = [i for i, r in enumerate(rates) if r != OFF]
    lrs = tuple(rates[i] for i in active)
    labels = [f"{RUN_NAMES[i]}: lr = {fmt_rate(rates[i])}" for i in active]
    run = descend(key, params, text, half, x0, lrs, steps)
    if "error" in run:
        st.error(f"Can't start at x₀ = {x0:g}: {run['error']}. Pick another start.")
    if not lrs:
        st.warning("Every run is switched off: slide at least one rate away from *off*.")
    shown = "error" not in run and bool(lrs)
    k = state.slider(
        "Replay: show the first k steps",
        0,
        steps,
        steps,
        key=replay_key(steps),
        help="Drag back to step 0 and forward again to watch the runs move.",
    )
    xs, fx = run["xs"], run["fx"]
    x_range = (float(xs[0]), float(xs[-1]))
    if shown:
        path, loss, blow = run["path"], run["loss"], run["blowup"]
    else:
        path = loss = np.zeros((0, 1))
        blow = np.zeros(0, dtype=int)
        labels, active = [], []
    model = None
    if show_model and th is not None:
        d = xs - th["at"]
        model = (xs, th["f_at"] + th["g_at"] * d + 0.5 * th["curv"] * d * d)
    left, right = st.columns(2, gap="medium")
    with left:
        fig = curve_figure(
            xs,
            fx,
            path,
            loss,
            labels,
            step=k,
            styles=active,
            minima=facts["minima"],
            model=model,
            big=big,
        )
        data = pd.DataFrame({"step": np.arange(steps + 1)})
        for lab, p, f in zip(labels, path, loss, strict=True):
            data[f"x {lab}"] = p
            data[f"f(x) {lab}"] = f
        notes = " ".join(_leave_notes(labels, path, x_range, blow))
        sub = str(k).translate(SUBSCRIPTS)
        widgets.chart(
            fig,
            key="d1_curve",
            caption=(
                f"The grey curve is the loss (★ its minimum); each run's iterates x₀ … x{sub} sit "
                "on it, joined by thin lines, so a run that crosses the minimum draws a zig-zag. "
                f"The big marker is where each run is at step {k}. {notes}"
            ),
            data=data,
            filename="descent-1d",
        )
    with right:
        if shown:
            widgets.chart(
                loss_figure(
                    loss,
                    labels,
                    f_min=facts["f_min"],
                    step=k,
                    blowup_step=blow,
                    styles=active,
                    linear_range=curve_y_range(fx),
                    big=big,
                ),
                key="d1_loss",
                caption=(
                    "How far above the lowest value f_min each run is, step by step, on a log "
                    "scale: a straight falling line is steady convergence (near the minimum the "
                    "gap shrinks by (1 − lr·f'')² per step); a rising line is divergence; an ✕ "
                    "marks where the engine stopped a run that blew up."
                    if facts["f_min"] is not None
                    else "The loss at each step, on the same scale as the curve (its lowest "
                    "value is not known for this function, so no log gap); a line leaving "
                    "the chart is a run that ran off."
                ),
            )
    if not shown:
        return
    st.subheader("What happened")
    widgets.verdicts(
        [(lab, v.kind, v.text) for lab, v in zip(labels, run["verdicts"], strict=True)]
    )
    st.subheader("Why: where each rate sits next to 1/f'' and 2/f''")
    widgets.chart(
        rate_axis_figure(
            lrs,
            labels,
            fastest=th["fastest"] if th else None,
            diverge=th["diverge"] if th else None,
            styles=active,
            big=big,
        ),
        key="d1_rates",
        caption="Each run's rate on a log axis: below 1/f'' descent creeps in from one side, "
        "between 1/f'' and 2/f'' it zig-zags in, above 2/f'' it zig-zags out.",
    )
    if th is not None:
        st.markdown(_theory_table(labels, lrs, th, key))


@st.fragment
def lesson() -> None:
    big = state.lecture()
    key, params, text, half, facts, x0 = _surface_controls()
    st.latex(facts["formula"])
    if not big:
        st.caption(f"**{facts['name']}.** {facts['blurb']}")
    th = theory(key, params, text, half, x0)
    rates = _rate_controls(th)
    st.markdown(_threshold_text(key, th))
    body = st.container()  # filled below, after the secondary controls are read
    steps, show_model = _more_controls()
    with body:
        _charts(key, params, text, half, facts, x0, th, rates, steps, show_model, big)
    _predict(key, params)
    widgets.next_lesson(PATH)


def main() -> None:
    widgets.header(
        "Descent in 1-D",
        "Gradient descent on a curve, with up to four learning rates side by side. Each step is "
        "`x ← x − lr · f'(x)`. Near a minimum where the curve bends by f'', the rate decides "
        "everything: **below 1/f''** the run creeps in, **between 1/f'' and 2/f''** it zig-zags "
        "in, **above 2/f''** it flies off.",
    )
    widgets.narrative(NARRATIVE)
    lesson()


main()
