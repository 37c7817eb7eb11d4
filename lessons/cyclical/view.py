"""Cyclical schedules. The view: controls that return Params (the bounds, possibly handed over
by the range test's link), the rate chart, the race."""

from __future__ import annotations

import streamlit as st

from lessons.cyclical import model
from lessons.cyclical.figures import accuracy_figure, loss_figure, schedule_figure
from lessons.cyclical.model import Params, Result
from lessons.ui import controls, pages
from lessons.ui.fields import field_of
from lessons.ui.runner import Ctx, Lesson

PATH = "lessons/cyclical/page.py"
RANGE_TEST_PATH = "lessons/range_test/page.py"
MIN, MAX = field_of(Params, "lo"), field_of(Params, "hi")


def _f(name: str):
    return field_of(Params, name)


def _carried(name: str):
    """A value the link carries without a widget (the range test's bounds and source)."""
    spec = _f(name)
    return st.session_state.get(spec.key, spec.default)


def _use_range_test(lo: float, hi: float) -> None:
    st.session_state[MIN.key] = lo
    st.session_state[MAX.key] = hi


def read_controls(ctx: Ctx) -> Params:
    st.subheader("The bounds")
    left, right = st.columns(2, gap="medium")
    with left:
        lo = controls.select_slider(MIN)
    with right:
        hi = controls.select_slider(MAX)
    carried = Params(
        lo=float(lo),
        hi=float(hi),
        source=str(_carried("source")),
        rt_min=float(_carried("rt_min")),
        rt_max=float(_carried("rt_max")),
    )
    st.caption(model.bounds_sentence(carried))
    grid = model.snapped(carried)
    if grid is not None and grid != (carried.lo, carried.hi):
        st.button(
            "Back to the range test's bounds",
            icon=":material/input:",
            key="cy_use_rt",
            on_click=_use_range_test,
            args=grid,
            help="Set both bounds to what the range test found (nearest values on this scale).",
        )
    rt = pages.by_path(RANGE_TEST_PATH)
    if grid is None and rt.exists:
        st.page_link(rt.path, label="Find the bounds with the Range test", icon=rt.icon)

    st.subheader("The schedules")
    chosen = controls.multiselect(_f("schedules"))
    left, right = st.columns(2, gap="medium")
    with left:
        const_at = controls.segmented(_f("const_at"))
        step = controls.select_slider(_f("step"))
    with right:
        epochs = controls.slider(_f("epochs"))
    with st.expander("More: exp_range's gamma, target accuracy, seed", expanded=not ctx.lecture):
        gamma = controls.select_slider(_f("gamma"))
        target = controls.select_slider(_f("target"))
        seed = controls.number_input(_f("seed"), step=1)
    return Params(
        lo=carried.lo,
        hi=carried.hi,
        schedules=tuple(chosen),
        const_at=str(const_at),
        step=float(step),
        epochs=int(epochs),
        gamma=float(gamma),
        target=float(target),
        seed=int(seed),
        source=carried.source,
        rt_min=carried.rt_min,
        rt_max=carried.rt_max,
    )


def show(ctx: Ctx, p: Params, r: Result) -> None:
    big = ctx.lecture
    with ctx.top:
        warn, info = model.bounds_note(p), model.schedules_note(p)
        if warn:
            st.warning(warn)
        if info:
            st.info(info)
        ctx.chart(
            lambda: schedule_figure(
                r.lrs,
                list(r.labels),
                r.ipe,
                bounds=(r.lo, r.hi),
                styles=[model.STYLE[k] for k in r.keys],
                momentum=r.momentum,
                momentum_label="1cycle momentum (not applied)",
                big=big,
            ),
            key="cy_schedules",
            caption=model.schedule_caption(r),
            alt=model.schedule_alt(r),
            data=lambda: model.rates_frame(r),
            filename="cyclical-schedules",
        )
    with ctx.body:
        st.subheader("The race")
        st.markdown(model.race_setup(r))
        h = r.history
        ctx.chart(
            lambda: loss_figure(
                r.loss_x,
                r.loss_y,
                list(r.labels),
                r.ipe,
                styles=[model.STYLE[k] for k in r.keys],
                raw=h.train_loss,
                diverged_at=[x.diverged_at for x in r.runs],
                big=big,
            ),
            key="cy_loss",
            caption=model.loss_caption(r),
            alt=model.loss_alt(r),
            data=lambda: model.loss_frame(r),
            filename="cyclical-training-loss",
        )
        ctx.chart(
            lambda: accuracy_figure(
                [h.eval_iters / r.ipe] * h.K,
                list(h.val_acc),
                list(r.labels),
                target=p.target,
                reached=[x.reach for x in r.runs],
                styles=[model.STYLE[k] for k in r.keys],
                big=big,
            ),
            key="cy_acc",
            caption=model.accuracy_caption(r),
            alt=model.accuracy_alt(r),
            data=lambda: model.val_frame(r),
            filename="cyclical-validation",
        )
        st.markdown(model.race_headline(r))
        st.markdown(model.finals_sentence(r))
        ctx.verdicts(model.rows(p, r))
        ctx.table(model.table(r))


LESSON = Lesson.of_model(
    PATH,
    model,
    controls=read_controls,
    show=show,
    quiz_key="cy_quiz",
    data=lambda p, r: model.table_csv(r),
    data_name="cyclical-final-numbers",
    cache_entries=32,
)
