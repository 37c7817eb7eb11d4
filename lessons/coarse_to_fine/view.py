"""Coarse-to-fine search. The view: controls that return Params, the search picture, the cost
bars and the rungs of successive halving."""

from __future__ import annotations

import math

import plotly.graph_objects as go
import streamlit as st

from lessons.coarse_to_fine import model
from lessons.coarse_to_fine.figures import cost_figure, halving_figure, search_figure
from lessons.coarse_to_fine.model import Params, Result
from lessons.ui import controls
from lessons.ui.fields import field_of
from lessons.ui.runner import Ctx, Lesson

PATH = "lessons/coarse_to_fine/page.py"


def _f(name: str):
    return field_of(Params, name)


def read_controls(ctx: Ctx) -> Params:
    left, right = st.columns(2, gap="medium")
    with left:
        m = controls.segmented(_f("model"))
    with right:
        sampling = controls.segmented(_f("sampling"))
    lo, hi = controls.span_slider(_f("span"))
    s1, s2 = st.columns(2, gap="medium")
    with s1:
        st.markdown("**Stage 1: cheap and wide**")
        subset = controls.select_slider(_f("subset"))
        epochs1 = controls.slider(_f("epochs1"))
    with s2:
        st.markdown("**Stage 2: narrow and precise, all the data**")
        decades = controls.segmented(_f("decades"))
        points = controls.slider(_f("points"))
        epochs2 = controls.slider(_f("epochs2"))
    with st.expander("More: seed, the brute-force check, successive halving", expanded=False):
        seed = controls.number_input(_f("seed"), step=1)
        full = controls.toggle(_f("full"))
        halving = controls.toggle(_f("halving"))
        eta = controls.segmented(_f("eta"), disabled=not halving)
    return Params(
        model=str(m),
        sampling=str(sampling),
        span=(float(lo), float(hi)),
        subset=float(subset),
        epochs1=int(epochs1),
        decades=int(decades),
        points=int(points),
        epochs2=int(epochs2),
        seed=int(seed),
        full=bool(full),
        halving=bool(halving),
        eta=int(eta),
    )


# ------------------------------------------------------------------------- figures


def _stages(r: Result) -> list[tuple]:
    s = r.search
    return [
        (model.stage_name(r, i), st_.lrs, st_.loss, st_.status)
        for i, st_ in enumerate((s.coarse, s.refine))
    ]


def search_figures(r: Result, *, big: bool) -> tuple[go.Figure, go.Figure]:
    """The whole search, and a close-up of stage 2."""
    s = r.search
    common = {
        "pick": (s.best_lr, s.best_loss) if math.isfinite(s.best_lr) else None,
        "interval": s.interval,
        "full": (r.full.lrs, r.full.loss) if r.full is not None else None,
        "big": big,
    }
    stages = _stages(r)
    return search_figure(stages, **common), search_figure(stages, zoom=s.interval, **common)


def cost_chart(r: Result, *, big: bool) -> go.Figure:
    labels, parts = model.cost_bars(r)
    return cost_figure(labels, parts, reference=r.grid_cost, big=big)


def halving_chart(r: Result, *, big: bool) -> go.Figure:
    rungs = r.halving.rungs
    shown = [
        (f"rung {i + 1}: {rg.steps} steps", rg.lrs, model.halving_status(rg, i == len(rungs) - 1))
        for i, rg in enumerate(rungs)
    ]
    return halving_figure(shown, big=big)


# ------------------------------------------------------------------------- the page


def show(ctx: Ctx, p: Params, r: Result) -> None:
    with ctx.top:
        note = model.range_note(r)
        if note:
            st.warning(note)
        ctx.chart(
            lambda: search_figures(r, big=ctx.lecture)[0],
            key="cf_search",
            caption=model.search_caption(r),
            alt=model.search_alt(r),
            data=lambda: model.search_table(r),
            filename="coarse-to-fine",
        )
    with ctx.body:
        st.markdown(model.stage1_head(r))
        ctx.verdicts(model.rows(p, r))
        note = model.edge_note(r)
        if note:
            st.warning(note)
        st.markdown(model.pick_sentence(r))
        st.markdown("**Close-up of stage 2**")
        ctx.chart(
            lambda: search_figures(r, big=ctx.lecture)[1],
            key="cf_close",
            caption=model.close_caption(r),
            alt=model.close_alt(r),
        )
        if r.full is not None:
            st.markdown(model.full_sentence(r))
        st.subheader("What it cost")
        mets = model.metrics(r)
        for col, (label, value, delta) in zip(st.columns(len(mets)), mets, strict=True):
            col.metric(label, value, delta=delta, delta_color="inverse")
        ctx.chart(
            lambda: cost_chart(r, big=ctx.lecture),
            key="cf_cost",
            caption=model.cost_caption(r),
            alt=model.cost_alt(r),
            data=lambda: model.cost_table(r),
            filename="search-cost",
        )
        st.markdown(model.cost_sentence(r))
        st.markdown(model.sampling_sentence(r))
        if r.halving is not None:
            st.subheader("Successive halving: drop the losers early")
            st.markdown(model.halving_sentence(r))
            ctx.chart(
                lambda: halving_chart(r, big=ctx.lecture),
                key="cf_halving_fig",
                caption=model.halving_caption(r),
                alt=model.halving_sentence(r),
                data=lambda: model.halving_table(r),
                filename="successive-halving",
            )


LESSON = Lesson.of_model(
    PATH,
    model,
    controls=read_controls,
    show=show,
    quiz_key="cf_quiz",
    cache_entries=48,
)
