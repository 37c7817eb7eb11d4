"""What is a learning rate? The view: controls that return Params, the ball on its parabola."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from engine import fmt
from lessons.ui import controls, pages
from lessons.ui.fields import field_of
from lessons.ui.runner import Ctx, Lesson
from lessons.ui.style import GREY, color, style
from lessons.what_is_lr import model
from lessons.what_is_lr.model import Params, Result

PATH = "lessons/what_is_lr/page.py"
STEPS = field_of(Params, "steps")


def _restart() -> None:
    """A new rate, bowl or start restarts the walk from step 0."""
    st.session_state[STEPS.key] = 0


def _step(delta: int | None) -> None:
    cur = int(st.session_state.get(STEPS.key, 0))
    st.session_state[STEPS.key] = 0 if delta is None else int(np.clip(cur + delta, 0, STEPS.hi))


def read_controls(ctx: Ctx) -> Params:
    c1, c2, c3 = st.columns(3)
    with c1:
        lr = controls.select_slider(field_of(Params, "lr"), on_change=_restart)
    with c2:
        a = controls.select_slider(field_of(Params, "a"), on_change=_restart)
    with c3:
        w0 = controls.slider(field_of(Params, "w0"), on_change=_restart)
    k = controls.slider(STEPS)
    return Params(lr=float(lr), a=float(a), w0=float(w0), steps=int(k))


def step_buttons() -> None:
    """Back / Step / Reset, beside the picture (on a projector: on the first screen)."""
    b1, b2, b3 = st.columns([1, 1.2, 1])
    b1.button("◀ Back", on_click=_step, args=(-1,), key="w_back", width="stretch")
    b2.button("Step ▶", on_click=_step, args=(1,), key="w_fwd", type="primary", width="stretch")
    b3.button("Reset", on_click=_step, args=(None,), key="w_reset", width="stretch")


def ball_figure(r: Result, *, big: bool = False) -> go.Figure:
    """The loss curve, the iterates so far (a fading trail) and the ball with its slope.

    A ball beyond the picture (a diverging walk) is drawn as an arrow at the edge with its
    value, so it never leaves unseen.
    """
    k, half = r.shown, r.half
    path, loss = r.path[: k + 1], r.loss[: k + 1]
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(x=r.xs, y=r.fx, mode="lines", name="loss F(w)", line={"color": GREY, "width": 3})
    )
    inside = np.isfinite(path) & (np.abs(path) <= half)
    top = float(np.nanmax(r.fx))
    if inside.sum() > 1 or (k > 0 and inside.any()):
        fig.add_trace(
            go.Scatter(
                x=path[inside],
                y=loss[inside],
                mode="lines+markers",
                name="steps so far",
                line={"color": color(0), "width": 1.5, "dash": "dot"},
                marker={"size": 9, "color": color(0), "opacity": 0.45},
                hovertemplate="w=%{x:.4g}<br>F=%{y:.4g}<extra></extra>",
            )
        )
    if not r.off_chart:
        w, f, g = r.w, float(loss[k]), r.g
        if np.isfinite(g):
            dx = 0.12 * 2 * half
            fig.add_trace(
                go.Scatter(
                    x=[w - dx, w + dx],
                    y=[f - g * dx, f + g * dx],
                    mode="lines",
                    name=f"slope dF/dw = {fmt.num(g)}",
                    line={"color": color(1), "width": 3, "dash": "dash"},
                )
            )
        fig.add_trace(
            go.Scatter(
                x=[w],
                y=[f],
                mode="markers",
                name="the ball (w now)",
                marker={"size": 22, "color": color(1), "line": {"color": "white", "width": 2}},
                hovertemplate="w=%{x:.4g}<br>F=%{y:.4g}<extra></extra>",
            )
        )
    else:
        side = 1.0 if r.w > 0 else -1.0
        fig.add_trace(
            go.Scatter(
                x=[side * half * 0.97],
                y=[0.9 * top],
                mode="markers",
                name=f"the ball, off the chart at w = {fmt.num(r.w)}",
                marker={
                    "size": 24,
                    "color": color(1),
                    "symbol": "triangle-right" if side > 0 else "triangle-left",
                },
                hovertemplate=f"w = {fmt.num(r.w)}<extra></extra>",
            )
        )
        fig.add_annotation(
            x=side * half * 0.97,
            y=0.78 * top,
            text=f"ball at w = {fmt.num(r.w)}",
            showarrow=False,
            xanchor="right" if side > 0 else "left",
            font={"color": color(1)},
        )
    fig.update_yaxes(title="loss F(w)", range=[-0.05 * top, 1.05 * top])
    fig.update_xaxes(title="parameter w", range=[-half, half])
    return style(fig, height=420, big=big)


def show(ctx: Ctx, p: Params, r: Result) -> None:
    with ctx.top:
        left, right = st.columns([3, 2], gap="large")
        with left:
            ctx.chart(
                lambda: ball_figure(r, big=ctx.lecture),
                key="w_chart",
                caption=model.caption(r),
                alt=model.alt(r),
                data=lambda: model.table(p, r),
                filename="ball-on-parabola",
            )
        with right:
            step_buttons()
            st.subheader("This step, in numbers")
            eq = model.step_equation(r)
            if eq is not None:
                st.latex(eq)
            st.markdown(model.step_sentence(r))
            st.markdown(model.thresholds_sentence(r))
            ctx.verdicts(model.rows(p, r))
    with ctx.body:
        st.subheader("All the lessons")
        others = [i for i in pages.available() if i.path != PATH]
        for start in range(0, len(others), 3):  # row by row: a phone stacks them in order
            cols = st.columns(3)
            for col, info in zip(cols, others[start : start + 3], strict=False):
                with col, st.container(border=True):
                    st.page_link(info.path, label=info.title, icon=info.icon)
                    st.caption(info.blurb)


LESSON = Lesson.of_model(
    PATH,
    model,
    controls=read_controls,
    show=show,
    intro=model.INTRO + "\n\n$$w \\;\\leftarrow\\; w \\;-\\; \\mathrm{lr}\\cdot \\frac{dF}{dw}$$",
    quiz_key="w_quiz",
    cache_entries=64,
)
