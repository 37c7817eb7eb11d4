"""Lesson 0: What is a learning rate? The update rule, one click at a time on a parabola."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from engine.descent import run_descent
from engine.surfaces import get_surface
from engine.theory import quadratic_thresholds
from lessons.ui import pages, state, widgets
from lessons.ui.fig_basics import ball_on_curve

PATH = "lessons/what_is_lr.py"
MAX_STEPS = 30
LR_OPTIONS = (0.05, 0.1, 0.2, 0.3, 0.5, 0.8, 1.0, 1.2, 1.5, 1.8, 1.9, 2.0, 2.1, 2.3)
CURVATURES = (0.5, 1.0, 2.0)


@st.cache_data(max_entries=64, show_spinner=False)
def descend(a: float, w0: float, lr: float) -> dict:
    """Gradient descent on F(w) = a/2 w^2 for MAX_STEPS steps (one cached engine call)."""
    surface = get_surface("quadratic", a=a)
    res = run_descent(surface, (w0,), [lr], steps=MAX_STEPS)
    path = res.path[0, :, 0]
    with np.errstate(all="ignore"):
        grads = surface.gradient(path[:, None])[:, 0]
    window = (-6.0, 6.0)
    xs = np.linspace(*window, 241)
    return {
        "path": path,
        "loss": res.loss[0],
        "grad": grads,
        "verdict": res.verdicts[0],
        "xs": xs,
        "fx": surface.value(xs[:, None]),
    }


def _step(delta: int | None) -> None:
    cur = int(st.session_state.get("w_steps", 0))
    st.session_state["w_steps"] = 0 if delta is None else int(np.clip(cur + delta, 0, MAX_STEPS))


def main() -> None:
    widgets.header(
        "What is a learning rate?",
        "Training a model means nudging its **parameters** downhill on a **loss**. "
        "The **learning rate** decides how big each nudge is:",
    )
    st.latex(r"w \;\leftarrow\; w \;-\; \mathrm{lr}\cdot \frac{dF}{dw}")
    widgets.narrative(
        "- **Parameter vs hyperparameter.** The weight *w* is a *parameter*: training changes it "
        "on every step. The learning rate is a *hyperparameter*: you choose it before training and "
        "the update rule never changes it.\n"
        "- **Try:** press **Step** a few times at lr = 0.3 and watch the ball roll down. Then try "
        "lr = 1 (one step to the bottom), 1.5 (it jumps across and back), 2.1 (each jump is "
        "bigger than the last).\n"
        "- **Notice:** the step is lr times the slope. Steep slope, big step; at the bottom the "
        "slope is zero and the ball stops by itself."
    )

    c1, c2, c3 = st.columns(3)
    with c1:
        lr = state.select_slider("Learning rate lr", LR_OPTIONS, 0.3, key="w_lr")
    with c2:
        a = state.select_slider(
            "Curvature a of F(w) = a/2 · w²",
            CURVATURES,
            1.0,
            key="w_a",
            help="How sharply the bowl bends: F''(w) = a.",
        )
    with c3:
        w0 = state.slider("Start w₀", -5.0, 5.0, 4.0, step=0.5, key="w_w0")

    run = descend(float(a), float(w0), float(lr))
    big = state.lecture()
    b1, b2, b3, b4 = st.columns([1, 1, 1, 3])
    b1.button("◀ Back", on_click=_step, args=(-1,), key="w_back", width="stretch")
    b2.button("Step ▶", on_click=_step, args=(1,), key="w_fwd", type="primary", width="stretch")
    b3.button("Reset", on_click=_step, args=(None,), key="w_reset", width="stretch")
    with b4:
        k = state.slider("Steps taken", 0, MAX_STEPS, 0, key="w_steps")

    path, loss, grad = run["path"], run["loss"], run["grad"]
    finite = np.isfinite(path[: k + 1])
    shown = int(finite.sum()) - 1
    left, right = st.columns([3, 2], gap="large")
    with left:
        fig = ball_on_curve(
            run["xs"], run["fx"], path[: k + 1], loss[: k + 1], float(grad[shown]), big=big
        )
        data = pd.DataFrame(
            {
                "step": np.arange(k + 1),
                "w": path[: k + 1],
                "F(w)": loss[: k + 1],
                "dF/dw": grad[: k + 1],
            }
        )
        widgets.chart(
            fig,
            key="w_chart",
            caption=(
                f"The grey curve is the loss F(w) = {a:g}/2 · w². The ball is the parameter after "
                f"{k} step(s) at lr = {lr:g}; the dashed line is the slope it feels there."
            ),
            data=data,
            filename="ball-on-parabola",
        )
    with right:
        st.subheader("This step, in numbers")
        w, g = path[shown], grad[shown]
        nxt = w - lr * g
        if np.isfinite(nxt) and abs(nxt) < 1e6:
            st.latex(rf"w_{{{shown + 1}}} = {w:.3f} - {lr:g}\times({g:.3f}) = {nxt:.3f}")
            st.markdown(
                f"The slope at w = {w:.3f} is **{g:.3f}**, so the step is lr × slope = "
                f"**{lr * g:.3f}**."
            )
        else:
            st.error("The ball has flown off the chart: the numbers grew without bound.")
        th = quadratic_thresholds(float(a))
        st.markdown(
            f"For this bowl: **lr = {th.fastest:g}** (= 1/a) reaches the bottom in one step; "
            f"any **lr ≥ {th.diverge:g}** (= 2/a) never settles."
        )
        v = run["verdict"]
        widgets.verdicts([(f"lr = {lr:g}", v.kind, v.text)])

    widgets.predict(
        "w_quiz",
        f"The bowl has curvature a = {a:g}. Which learning rate takes the ball to the bottom in "
        "exactly one step?",
        [f"lr = {x:g}" for x in (0.1 / a, 0.5 / a, 1 / a, 2 / a)],
        2,
        f"The slope at w is a·w, so one step moves the ball by lr·a·w: it lands on 0 exactly when "
        f"lr = 1/a = {1 / a:g}. Set the slider there and press Step once.",
    )

    st.subheader("All the lessons")
    cols = st.columns(3)
    for i, info in enumerate(p for p in pages.available() if p.path != PATH):
        with cols[i % 3], st.container(border=True):
            st.page_link(info.path, label=info.title, icon=info.icon)
            st.caption(info.blurb)


main()
