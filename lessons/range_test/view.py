"""Range test. The view: controls that return Params, the range-test chart, the link on to
the Cyclical schedules page, and the "try it" runs (held back until predicted)."""

from __future__ import annotations

import streamlit as st

from lessons.range_test import model
from lessons.range_test.figures import accuracy_figure, range_test_figure, try_it_figure
from lessons.range_test.model import Params, Result
from lessons.ui import controls, pages
from lessons.ui.fields import field_of
from lessons.ui.runner import Ctx, Lesson

PATH = "lessons/range_test/page.py"
CYCLICAL_PATH = "lessons/cyclical/page.py"


def _f(name: str):
    return field_of(Params, name)


def read_controls(ctx: Ctx) -> Params:
    left, right = st.columns(2, gap="medium")
    with left:
        data = controls.segmented(_f("data"))
    with right:
        kind = controls.segmented(_f("model"))
    left, right = st.columns(2, gap="medium")
    with left:
        lo = controls.select_slider(_f("lo"))
    with right:
        hi = controls.select_slider(_f("hi"))
    left, right = st.columns(2, gap="medium")
    with left:
        iters = controls.select_slider(_f("iters"))
    with right:
        mode = controls.segmented(_f("mode"))
    view, rule, epochs = st.columns([2, 3, 3], gap="medium")
    with view:
        shown = controls.segmented(_f("view"))
    with rule:
        wanted = controls.selectbox(_f("rule"))
    with epochs:
        n_epochs = controls.slider(_f("epochs"), label="Epochs (try it)")
    with st.expander("More: smoothing, early stop, validation, seed", expanded=not ctx.lecture):
        left, right = st.columns(2, gap="medium")
        with left:
            beta = controls.select_slider(_f("beta"))
            stop = controls.select_slider(_f("stop"))
        with right:
            val_every = controls.select_slider(_f("val_every"))
            seed = controls.number_input(_f("seed"), step=1)
    return Params(
        data=str(data),
        model=str(kind),
        lo=float(lo),
        hi=float(hi),
        iters=int(iters),
        mode=str(mode),
        view=str(shown),
        beta=float(beta),
        stop=float(stop),
        val_every=int(val_every),
        seed=int(seed),
        rule=str(wanted),
        epochs=int(n_epochs),
    )


def _chart(ctx: Ctx, p: Params, r: Result) -> None:
    run = r.run
    marks, band = model.marks(r), model.band(r)
    if model.shows_accuracy(r):
        fig = accuracy_figure(
            run.val_lrs, run.val_acc, marks, band, lr_span=(run.min_lr, run.max_lr), big=ctx.lecture
        )
    else:
        fig = range_test_figure(
            run.lrs, run.loss, run.smooth, marks, band, stop=model.stop_mark(r), big=ctx.lecture
        )
    ctx.chart(
        fig,
        key="rt_chart",
        caption=model.chart_caption(r),
        alt=model.chart_alt(r),
        data=lambda: model.data(p, r),
        filename="range-test",
    )


def _handoff(ctx: Ctx, r: Result) -> None:
    """The link that opens the Cyclical schedules page set to Smith's bounds."""
    query = model.handoff_query(r)
    cyc = pages.by_path(CYCLICAL_PATH)
    if not query:
        st.info(model.handoff_words(r), icon=":material/input:")
        return
    st.success(model.handoff_words(r), icon=":material/input:")
    if cyc.exists:
        if ctx.lecture:
            query = {**query, "lecture": ["true"]}
        st.page_link(
            cyc.path, label="Cycle between these bounds", icon=cyc.icon, query_params=query
        )


def _words(r: Result) -> None:
    st.markdown(model.run_words(r) + "\n\n" + model.smith_words(r))


def show(ctx: Ctx, p: Params, r: Result) -> None:
    """Normal: heading, words, chart, the rules and the hand-off, then "Try it" (the question
    follows, then the runs). Lecture: the chart first, its words under it; the rest below the
    controls and the question."""
    with ctx.top:
        note = model.ramp_note(p)
        if note:
            st.warning(note)
        if not ctx.lecture:
            st.subheader(model.heading(p))
            _words(r)
        _chart(ctx, p, r)
        if ctx.lecture:
            _words(r)
        else:
            _details(ctx, r)
            st.subheader(model.try_heading())
    with ctx.body:
        if ctx.lecture:
            st.subheader(model.try_heading())
        _try_it(ctx, p, r)
        if ctx.lecture:
            _details(ctx, r)
        _procedure(ctx)


def _details(ctx: Ctx, r: Result) -> None:
    st.markdown("**Every rule's suggestion**")
    st.table(model.suggestion_table(r))
    st.caption(model.rule_notes())
    _handoff(ctx, r)


def _procedure(ctx: Ctx) -> None:
    label = "Smith's procedure, in this page's words"
    if ctx.lecture:
        with st.expander(label, expanded=False):
            st.markdown(model.SMITH_STEPS)
    else:
        with st.container(border=True):
            st.markdown(f"**{label}**\n\n{model.SMITH_STEPS}")


def _try_it(ctx: Ctx, p: Params, r: Result) -> None:
    note = model.try_note(r)
    if note:
        st.warning(note)
    if r.tried is None:
        return
    if not ctx.answered:
        st.caption("Answer the question above to see the three runs.")
        return
    ctx.chart(
        lambda: try_it_figure(
            r.history.eval_epochs,
            r.history.val_loss,
            model.try_labels(r),
            styles=model.TRY_STYLES,
            diverged_epoch=model.diverged_epochs(r),
            big=ctx.lecture,
        ),
        key="rt_try_chart",
        caption=model.try_caption(r),
        alt=model.try_alt(r),
        data=lambda: model.try_data(r),
        filename="range-test-try-it",
    )
    ctx.verdicts(model.try_rows(r))
    st.table(model.try_table(r))


LESSON = Lesson.of_model(
    PATH,
    model,
    controls=read_controls,
    show=show,
    quiz_key="rt_quiz",
    cache_entries=48,
)
