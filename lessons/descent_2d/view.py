"""Descent in 2-D, the view: widgets -> Params, and the charts drawn from a Result.

The start, the rates and the step count follow the surface (its own start, the theory's
rates for its curvature, its step count) until the learner or a link sets them, so the
widgets are drawn after ``compute`` has worked those values out: :func:`read` reads the
widgets' state into ``Params`` and :func:`show` draws them (see ``controls.auto_read``).
"""

from __future__ import annotations

import streamlit as st

from lessons.descent_2d import model
from lessons.descent_2d.figures import (
    contour_figure,
    contraction_figure,
    latex_lines,
    loss_figure,
    surface3d_figure,
)
from lessons.descent_2d.model import CUSTOM, Params, Result
from lessons.ui import controls, widgets
from lessons.ui.fields import field_of
from lessons.ui.runner import Ctx, Lesson

PATH = "lessons/descent_2d/page.py"

SURFACE = field_of(Params, "surface")
KAPPA = field_of(Params, "kappa")
ANGLE = field_of(Params, "angle")
FN = field_of(Params, "f")
WIN = field_of(Params, "win")
X0, Y0 = field_of(Params, "x0"), field_of(Params, "y0")
MODE = field_of(Params, "mode")
N = field_of(Params, "n")
RATES = tuple(field_of(Params, f"lr{i + 1}") for i in range(model.MAX_RUNS))
OLR = field_of(Params, "olr")
OPTS = field_of(Params, "opts")
MOM = field_of(Params, "mom")
STEPS = field_of(Params, "steps")
VIEW = field_of(Params, "view")
CHART_KEYS = {model.CONTOUR: "d2_contour", model.SURFACE3D: "d2_3d", model.LOSS: "d2_loss"}


# ------------------------------------------------------------------------------ callbacks


def _new_surface() -> None:
    """A new surface (or typed function, or window) brings its own start, rates and steps."""
    controls.auto_forget(X0, Y0, *RATES, OLR, STEPS)


def _new_angle() -> None:
    """The start point turns with the valley."""
    controls.auto_forget(X0, Y0)


def _new_kappa() -> None:
    """Steeper walls, same rates: the rates stay put, so the learner sees them diverge."""
    controls.auto_keep(*RATES, OLR)


def _theory_rates() -> None:
    controls.auto_forget(*RATES)


# ------------------------------------------------------------------------------ controls


def _chosen_optimisers(spec) -> tuple:
    """The ticked optimisers in their menu order; none ticked: plain gradient descent is what
    is shown."""
    chosen = st.session_state.get(spec.key)
    chosen = spec.default if chosen is None else chosen
    return tuple(o for o in spec.options if o in chosen) or ("sgd",)


def read(ctx: Ctx) -> Params:
    """The widgets' state as Params (the widgets themselves are drawn by :func:`show`)."""
    return controls.state(Params, {"view": controls.tab_value, "opts": _chosen_optimisers})


def _surface_controls(r: Result) -> None:
    controls.selectbox(SURFACE, on_change=_new_surface)
    if r.key == CUSTOM or r.params.surface == CUSTOM:
        controls.text_input(FN, on_change=_new_surface)
        controls.select_slider(WIN, on_change=_new_surface)
        if r.error is not None:
            st.error(model.error_sentence(r))
    for line in latex_lines(r.formula):
        st.latex(line)
    st.caption(r.blurb)


def _start_controls(r: Result) -> None:
    c1, c2 = st.columns(2)
    for col, spec, auto, window in zip((c1, c2), (X0, Y0), r.start_auto, r.window, strict=True):
        controls.auto_show(spec, auto)
        v = float(st.session_state[spec.key])
        with col:
            controls.slider(
                spec,
                lo=float(min(window[0], v)),
                hi=float(max(window[1], v)),
                step=model.slider_step(window),
            )


def _rate_controls(r: Result, lecture: bool) -> None:
    step = model.rate_step(r.rates_auto)
    hint = model.rate_hint(r)
    if not lecture:
        controls.segmented(N)
    n = int(r.params.n)
    cols = st.columns(n)
    for i in range(n):
        controls.auto_show(RATES[i], r.rates_auto[i])
        with cols[i]:
            controls.number_input(RATES[i], step=step, format="%.4g", help=hint)
    label = model.theory_button(r)
    if label is not None:
        st.button(
            label,
            key="d2_theory",
            icon=":material/calculate:",
            on_click=_theory_rates,
            help="Set the four rates from the curvature at the minimum (current κ).",
        )


def _optimiser_controls(r: Result) -> None:
    chosen = controls.multiselect(OPTS)
    controls.auto_show(OLR, r.rates_auto[1])
    controls.number_input(
        OLR, step=model.rate_step(r.rates_auto), format="%.4g", help=model.rate_hint(r)
    )
    if not chosen:
        st.warning("No optimiser chosen: showing plain gradient descent.")


def _steps_control(r: Result) -> None:
    controls.auto_show(STEPS, r.steps_auto)
    controls.select_slider(STEPS, options=model.STEPS)


def draw_controls(ctx: Ctx, r: Result) -> None:
    """Every widget, in ``ctx.controls``: in lecture mode the ones the teacher's guide uses
    (κ and the rates) first, the rest folded away."""
    p = r.params
    valley = p.surface == "ill_conditioned"
    with ctx.controls:
        if ctx.lecture:
            main = st.container()
            more = widgets.more_controls("More: surface, start, steps, optimisers")
            with main:
                if valley:
                    controls.select_slider(KAPPA, on_change=_new_kappa)
                if p.mode == "rates":
                    _rate_controls(r, lecture=True)
            with more:
                _surface_controls(r)
                if valley:
                    controls.slider(ANGLE, on_change=_new_angle)
                _start_controls(r)
                controls.segmented(MODE)
                if p.mode == "rates":
                    controls.segmented(N)
                else:
                    _optimiser_controls(r)
                    controls.select_slider(MOM)
                _steps_control(r)
            return
        _surface_controls(r)
        if valley:
            c1, c2 = st.columns(2)
            with c1:
                controls.select_slider(KAPPA, on_change=_new_kappa)
            with c2:
                controls.slider(ANGLE, on_change=_new_angle)
        _start_controls(r)
        controls.segmented(MODE)
        if p.mode == "rates":
            _rate_controls(r, lecture=False)
        else:
            _optimiser_controls(r)
        _steps_control(r)
        if p.mode == "optimisers":
            with widgets.more_controls("More: momentum"):
                controls.select_slider(MOM)


# ------------------------------------------------------------------------------ charts


def figure(r: Result, view: str, big: bool):
    """The open tab's chart."""
    if view == model.CONTOUR:
        xs, ys, z = r.grid
        return contour_figure(
            xs, ys, z, r.path, r.labels, f_min=r.f_min, minima=r.minima, saddles=r.saddles, big=big
        )
    if view == model.SURFACE3D:
        xs, ys, z = r.grid
        return surface3d_figure(
            xs, ys, z, r.path, r.loss, r.labels, minima=r.minima, cap=r.cap, big=big
        )
    return loss_figure(
        r.loss_shown, r.labels, gap=r.f_min is not None, blowup=r.blowup.tolist(), big=big
    )


def show(ctx: Ctx, p: Params, r: Result) -> None:
    draw_controls(ctx, r)
    with ctx.top:
        if r.run_error is not None:
            st.error(model.run_error_sentence(r))
            return
        tabs = controls.tabs(VIEW)
        for tab, view in zip(tabs, model.VIEWS, strict=True):
            if tab.open and view == p.view:
                with tab:
                    ctx.chart(
                        lambda view=view: figure(r, view, ctx.lecture),
                        key=CHART_KEYS[view],
                        caption=model.caption(r, view),
                        alt=model.alt(r, view),
                        data=lambda: model.table(p, r),
                        filename="descent-2d-paths",
                    )
        st.subheader("What happened")
        ctx.verdicts(model.rows(p, r))
    with ctx.body:
        st.subheader("What the curvature predicts")
        none = model.no_theory_sentence(r)
        if none is not None:
            st.info(none)
            return
        st.markdown(model.eigen_sentence(r))
        lines = model.theory_lines(r)
        if lines:
            st.markdown(lines)
        st.caption(r.th.note)
        if model.show_contraction(r):
            th = r.th
            ctx.chart(
                lambda: contraction_figure(
                    th.eigenvalues,
                    r.lrs,
                    r.measured.tolist(),
                    r.labels,
                    best=th.best,
                    diverge=th.diverge,
                    big=ctx.lecture,
                ),
                key="d2_contraction",
                caption=model.contraction_caption(r),
                alt=model.contraction_alt(r),
            )
        ctx.table(model.theory_table(r), decimals={"predicted ×/step": 4, "measured ×/step": 4})
        st.markdown(model.agreement(r))


LESSON = Lesson.of_model(
    PATH,
    model,
    controls=read,
    show=show,
    quiz_key="d2_quiz",
    cache_entries=64,
)
