"""Descent in 1-D. The view: controls that return Params, the curve, the loss and the rate axis."""

from __future__ import annotations

import streamlit as st

from lessons.descent_1d import figures, model
from lessons.descent_1d.model import Params, Result
from lessons.ui import controls, widgets
from lessons.ui import fields as F
from lessons.ui.fields import field_of
from lessons.ui.runner import Ctx, Lesson

PATH = "lessons/descent_1d/page.py"
FIELDS = F.fields(Params)
SURFACE = field_of(Params, "surface")
FN = field_of(Params, "fn")
WIN = field_of(Params, "win")
STEPS = field_of(Params, "steps")
RATES = [field_of(Params, f"lr{i + 1}") for i in range(4)]
CUSTOM_X0 = field_of(Params, model.start_field(model.CUSTOM))


def _now() -> Params:
    """The Params the widgets hold right now (for the callbacks, before the rerun)."""
    ss = st.session_state
    values = {}
    for name, spec in FIELDS.items():
        if spec is CUSTOM_X0:
            values[name] = controls.auto_read(spec)  # None while it shows the function's own
        elif spec.key in ss and ss[spec.key] is not None:
            values[name] = ss[spec.key]
    return Params(**values)


def _apply_preset(kind: str, quiet: bool = False) -> None:
    rates, note = model.preset_rates(_now(), kind)
    if note is not None and (rates is not None or not quiet):
        st.toast(note)
    if rates is None:
        return
    for spec, v in zip(RATES, rates, strict=True):
        st.session_state[spec.key] = v


def _on_curve_change() -> None:
    """A new curve gets the four regimes of its own curvature."""
    _apply_preset("regimes", quiet=True)


def _surface_controls() -> str:
    c1, c2, c3 = st.columns(3, gap="medium")
    with c1:
        surface = controls.selectbox(SURFACE, on_change=_on_curve_change)
    with c2:
        if surface == model.CUSTOM:
            controls.select_slider(WIN)
        else:
            controls.select_slider(field_of(Params, model.SURFACE_PARAM[surface][1]))
    if surface == model.CUSTOM:
        controls.text_input(FN, on_change=_on_curve_change)
        # the typed function's own start until the learner or a link sets one
        fn = str(st.session_state.get(FN.key, FN.default))
        win = float(st.session_state.get(WIN.key, WIN.default))
        controls.auto_show(CUSTOM_X0, model.custom_start(fn, win))
    with c3:
        controls.slider(field_of(Params, model.start_field(surface)), format="%.2f")
    return surface


def _rate_controls() -> None:
    st.markdown(model.RATES_TITLE)
    cols = st.columns(4, gap="small")
    for col, spec in zip(cols, RATES, strict=True):
        with col:
            controls.select_slider(spec)
    ok = model.presets_available(_now())
    row = st.container(horizontal=True, gap="small")
    row.button(
        "Four regimes for this curve",
        icon=":material/tune:",
        key="d1_preset_regimes",
        on_click=_apply_preset,
        args=("regimes",),
        disabled=not ok,
        help=model.preset_help(ok, "regimes"),
    )
    row.button(
        "At the thresholds: ½, 1, 1.5, 2 × 1/f''",
        icon=":material/straighten:",
        key="d1_preset_thresholds",
        on_click=_apply_preset,
        args=("thresholds",),
        disabled=not ok,
        help=model.preset_help(ok, "thresholds"),
    )


def _replay(steps: int) -> None:
    controls.slider(field_of(Params, model.replay_field(steps)))


#: the widgets of which only one is drawn at a time: each curve's start, each step count's replay,
#: each curve's parameter
_ONE_AT_A_TIME = [
    *(field_of(Params, model.start_field(s)) for s in model.SURFACES),
    *(field_of(Params, model.replay_field(n)) for n in model.STEP_OPTIONS),
    *(field_of(Params, attr) for _, attr in model.SURFACE_PARAM.values()),
    WIN,
    FN,
]


def _keep_hidden(drawn: set[str]) -> None:
    """Keep the values of widgets not drawn this run (Streamlit forgets them otherwise): each
    curve keeps its own start and each number of steps its own replay position."""
    ss = st.session_state
    for spec in _ONE_AT_A_TIME:
        if spec.key not in drawn and spec.key in ss:
            ss[spec.key] = ss[spec.key]


def read_controls(ctx: Ctx) -> Params:
    steps = int(st.session_state.get(STEPS.key, STEPS.default))
    surface = st.session_state.get(SURFACE.key, SURFACE.default)
    custom = surface == model.CUSTOM
    drawn = {
        field_of(Params, model.start_field(surface)).key,
        field_of(Params, model.replay_field(steps)).key,
        *(
            (WIN.key, FN.key)
            if custom
            else (field_of(Params, model.SURFACE_PARAM[surface][1]).key,)
        ),
    }
    _keep_hidden(drawn)
    if ctx.lecture:  # right under the chart: replay first
        _replay(steps)
    _surface_controls()
    _rate_controls()
    with widgets.more_controls("More: number of steps, the local parabola"):
        controls.select_slider(STEPS)
        controls.toggle(field_of(Params, "local"))
    if not ctx.lecture:  # just above the chart
        _replay(steps)
    return _now()


def show(ctx: Ctx, p: Params, r: Result) -> None:
    err = model.fn_error_message(r)
    with ctx.controls:
        if err is not None:
            st.error(err)
        if r.run_error is not None:
            st.error(model.run_error_message(r))
        if not r.lrs and r.run_error is None:
            st.warning(model.ALL_OFF)
    with ctx.top:
        st.latex(r.formula)
        if not ctx.lecture:
            st.caption(model.surface_caption(r))
        left, right = st.columns(2, gap="medium")
        with left:
            ctx.chart(
                lambda: figures.curve_figure(
                    r.xs,
                    r.fx,
                    r.path,
                    r.loss,
                    list(r.labels),
                    step=r.replay,
                    styles=r.active,
                    minima=r.minima,
                    model=r.local,
                    big=ctx.lecture,
                ),
                key="d1_curve",
                caption=model.curve_caption(r),
                alt=model.curve_alt(r),
                data=lambda: model.table(p, r),
                filename="descent-1d",
            )
        with right:
            if r.shown:
                ctx.chart(
                    lambda: figures.loss_figure(
                        r.loss,
                        list(r.labels),
                        f_min=r.f_min,
                        step=r.replay,
                        diverged_at=r.diverged_at,
                        styles=r.active,
                        linear_range=model.curve_y_range(r.fx),
                        big=ctx.lecture,
                    ),
                    key="d1_loss",
                    caption=model.loss_caption(r),
                    alt=model.loss_alt(r),
                )
    with ctx.body:
        st.markdown(model.threshold_text(r))
        if not r.shown:
            return
        st.subheader("What happened")
        ctx.verdicts(model.rows(p, r))
        st.subheader(model.RATE_TITLE)
        th = r.theory
        ctx.chart(
            lambda: figures.rate_axis_figure(
                r.lrs,
                list(r.labels),
                fastest=th.fastest if th else None,
                diverge=th.diverge if th else None,
                band_names=model.bands(r),
                kinds=[str(k) for k in r.kinds],
                styles=r.active,
                big=ctx.lecture,
            ),
            key="d1_rates",
            caption=model.rate_caption(r),
            alt=model.rate_alt(r),
        )
        table = model.theory_table(r)
        if table is not None:
            st.markdown(table)


LESSON = Lesson.of_model(
    PATH,
    model,
    controls=read_controls,
    show=show,
    quiz_key="d1_quiz",
)
