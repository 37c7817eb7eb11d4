"""Adaptive learning rate. The view: two sections (training on the digits; the 2-D valley), each
with controls that return its Params and figures drawn from its result; and the live timing
of what HD costs, measured once per setting and kept here (it is not maths: it is not part of
any cached ``compute``)."""

from __future__ import annotations

import threading

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from engine import fmt
from lessons.adaptive import model
from lessons.adaptive.figures import (
    beta_figure,
    facet_figure,
    sensitivity_figure,
    surface_figure,
    surface_rate_figure,
)
from lessons.adaptive.model import TrainParams, TrainResult, ValleyParams, ValleyResult
from lessons.ui import controls, pages, widgets
from lessons.ui.common import binned
from lessons.ui.fields import field_of
from lessons.ui.runner import Ctx, Lesson, Section

PATH = "lessons/adaptive/page.py"
GUIDE_PATH = "lessons/teachers_guide/page.py"


def _t(name: str):
    return field_of(TrainParams, name)


def _v(name: str):
    return field_of(ValleyParams, name)


def _kept(spec) -> object:
    """The value of a field whose widget is not drawn in this view (the other rule's beta)."""
    return st.session_state.get(spec.key, spec.default)


# ------------------------------------------------------------------------- training: controls


def _paper_note(p_family: str, rule: str, beta: float) -> None:
    if rule == "multiplicative":
        st.caption(
            "The paper gives no β′ for the multiplicative rule; β′ is a relative change, so "
            "values around 0.1 to 0.5 move the rate by orders of magnitude within a few dozen "
            "steps."
        )
        return
    paper = model.HD_DEFAULT_BETA[p_family]
    widgets.preset_buttons(
        _t("beta_add").key,
        [
            widgets.Preset(
                f"Paper's β for {model.hd_label(p_family, rule)}: {fmt.rate(paper)}",
                paper,
                ":material/menu_book:",
                "ad_paper",
                "gbaydin/hypergradient-descent, run.sh (logistic regression and MLP on MNIST).",
            ),
            widgets.Preset(
                f"Poster's α₀ sweep: {fmt.rate(model.POSTER_BETA)}",
                model.POSTER_BETA,
                ":material/insights:",
                "ad_poster",
                "The ICLR poster's sweep over starting rates 1e-6 ... 1e-1 used β = 1e-4.",
            ),
        ],
        beta,
    )


def train_controls(ctx: Ctx) -> TrainParams:
    # the section's heading heads its controls: in lecture mode the rate chart comes first,
    # right under the page's title, and the heading follows it
    st.header(model.TRAIN_TITLE)
    lrs = controls.multiselect(_t("lrs"))
    left, right = st.columns(2, gap="medium")
    with left:
        family = str(controls.segmented(_t("family")))
    with right:
        rule = str(controls.segmented(_t("rule")))
    if rule == "additive":
        beta_add, beta_mul = float(controls.select_slider(_t("beta_add"))), _kept(_t("beta_mul"))
    else:
        beta_add, beta_mul = _kept(_t("beta_add")), float(controls.select_slider(_t("beta_mul")))
    _paper_note(family, rule, beta_add if rule == "additive" else beta_mul)
    with st.expander("More: model, epochs, seed, β sweep", expanded=not ctx.lecture):
        m = controls.segmented(_t("model"))
        epochs = controls.slider(_t("epochs"))
        seed = controls.number_input(_t("seed"), step=1)
        sweep = controls.toggle(_t("sweep"))
    return TrainParams(
        lrs=tuple(float(v) for v in lrs),
        family=family,
        rule=rule,
        beta_add=float(beta_add),
        beta_mul=float(beta_mul),
        model=str(m),
        epochs=int(epochs),
        seed=int(seed),
        sweep=bool(sweep),
    )


# ------------------------------------------------------------------------- training: figures


def _blown(runs: model.Runs) -> list[bool]:
    return [bool(v) for v in runs.diverged]


def rates_figure(r: TrainResult, panels: model.RatePanels, *, big: bool) -> go.Figure:
    return facet_figure(
        panels.x,
        panels.fixed,
        panels.hd,
        model.labels(r),
        y_title="learning rate",
        titles=model.panel_titles(r),
        blown=(_blown(r.fixed), _blown(r.hd)),
        y_range=panels.y_range,
        big=big,
    )


def loss_figure(r: TrainResult, *, big: bool) -> go.Figure:
    """The minibatch loss, averaged over quarter epochs (a display smoothing)."""
    T = r.T
    width = max(1, r.hd.iters_per_epoch // 4)
    centres, _ = binned(np.zeros(T), width)
    lf = np.stack([binned(row, width)[1] for row in model.pad(r.fixed.train_loss, T)])
    lh = np.stack([binned(row, width)[1] for row in model.pad(r.hd.train_loss, T)])
    l0 = float(np.nanmax(r.fixed.train_loss[:, 0]))
    allv = np.concatenate([lf.ravel(), lh.ravel()])
    ok = allv[np.isfinite(allv) & (allv > 0)]
    rng = (float(ok.min()) / 1.3, min(float(ok.max()), 10 * l0) * 1.3) if ok.size else None
    return facet_figure(
        centres,
        lf,
        lh,
        model.labels(r),
        y_title="training loss",
        titles=model.panel_titles(r),
        blown=(_blown(r.fixed), _blown(r.hd)),
        y_range=rng,
        big=big,
    )


def sens_figure(r: TrainResult, *, big: bool) -> go.Figure:
    fixed_title, hd_title = model.panel_titles(r)
    return sensitivity_figure(
        r.lrs,
        r.fixed.final_val_loss,
        r.hd.final_val_loss,
        fixed_label=fixed_title,
        hd_label=hd_title,
        big=big,
    )


# ------------------------------------------------------------------------- the cost, timed

_MEASURED: dict[model.CostKey, dict[str, float]] = {}
_LOCK = threading.Lock()
_MAX_MEASURED = 24


def measured(key: model.CostKey) -> dict[str, float]:
    """The timing for ``key``: taken once (about a second) and kept for every visitor until
    "Measure again"; a live measurement, so it stays out of the cached ``compute``."""
    with _LOCK:
        got = _MEASURED.get(key)
    if got is None:
        got = model.measure(key)
        with _LOCK:
            while len(_MEASURED) >= _MAX_MEASURED:
                _MEASURED.pop(next(iter(_MEASURED)))
            _MEASURED[key] = got
    return got


def _remeasure(key: model.CostKey) -> None:
    with _LOCK:
        _MEASURED.pop(key, None)


def _cost(p: TrainParams) -> None:
    st.subheader(model.COST_TITLE)
    key = model.cost_key(p)
    c = measured(key)
    cols = st.columns(3, gap="small")
    for col, (label, value, delta) in zip(cols, model.cost_metrics(key, c), strict=True):
        col.metric(label, value, delta, delta_color="inverse", border=True)
    st.markdown(model.cost_words(key, c))
    st.button(
        "Measure again",
        key="ad_remeasure",
        icon=":material/timer:",
        on_click=_remeasure,
        args=(key,),
        help="Timings are kept; this runs the measurement once more.",
    )


# ------------------------------------------------------------------------- training: the page


def train_show(ctx: Ctx, p: TrainParams, r: TrainResult) -> None:
    panels = model.rate_panels(r)
    big = ctx.lecture
    with ctx.top:
        note = model.rates_note(p)
        if note:
            st.info(note)
        ctx.chart(
            lambda: rates_figure(r, panels, big=big),
            key="ad_rates",
            caption=model.rates_caption(r, panels),
            alt=model.rates_alt(r, panels),
            data=lambda: model.trajectory_table(r),
            filename="hypergradient-rates",
        )
    with ctx.body:
        ctx.chart(
            lambda: loss_figure(r, big=big),
            key="ad_loss",
            caption=model.loss_caption(r),
            alt=model.loss_alt(r),
        )
        ctx.verdicts(model.rows(p, r))
        st.markdown(r.sens.text)
        ctx.chart(
            lambda: sens_figure(r, big=big),
            key="ad_sensitivity",
            caption=model.sensitivity_caption(r),
            alt=r.sens.text.replace("**", ""),
            data=lambda: model.sensitivity_table(r),
            filename="hypergradient-sensitivity",
        )
        if r.sweep is not None:
            caption, _ = model.sweep_words(r)
            ctx.chart(
                lambda: beta_figure(
                    r.sweep.betas, r.sweep.finals, model.labels(r), chosen=p.beta, big=big
                ),
                key="ad_beta_sweep",
                caption=caption,
                data=lambda: model.sweep_table(r),
                filename="hypergradient-beta-sweep",
            )
        _cost(p)


# ------------------------------------------------------------------------- the valley


def valley_controls(ctx: Ctx) -> ValleyParams:
    st.markdown(model.VALLEY_INTRO)
    left, right = st.columns(2, gap="medium")
    with left:
        kappa = controls.select_slider(_v("kappa"))
        start = controls.segmented(_v("start"))
        lr0 = controls.select_slider(_v("lr0"))
    with right:
        rule = str(controls.segmented(_v("rule")))
        if rule == "additive":
            b_add, b_mul = controls.select_slider(_v("beta_add")), _kept(_v("beta_mul"))
        else:
            b_add, b_mul = _kept(_v("beta_add")), controls.select_slider(_v("beta_mul"))
        steps = controls.slider(_v("steps"))
    return ValleyParams(
        kappa=float(kappa),
        start=str(start),
        lr0=float(lr0),
        rule=rule,
        beta_add=float(b_add),
        beta_mul=float(b_mul),
        steps=int(steps),
    )


def valley_figures(r: ValleyResult, *, big: bool) -> tuple[go.Figure, go.Figure]:
    runs = model.valley_runs(r)
    names = model.valley_names(r)
    short = {"hd": r.params.name, "fixed": "SGD fixed", "polyak": "Polyak"}
    contour = surface_figure(
        r.gx,
        r.gy,
        r.z,
        [run.path for run in runs.values()],
        [run.rate for run in runs.values()],
        [short[k] for k in runs],
        minimum=(0.0, 0.0),
        big=big,
    )
    rate = surface_rate_figure(
        [run.rate for run in runs.values()],
        [run.loss for run in runs.values()],
        [names[k] for k in runs],
        lines=model.valley_lines(r),
        big=big,
    )
    return contour, rate


def valley_show(ctx: Ctx, p: ValleyParams, r: ValleyResult) -> None:
    with ctx.top:
        left, right = st.columns(2, gap="medium")
        with left:
            ctx.chart(
                lambda: valley_figures(r, big=ctx.lecture)[0],
                key="ad_surface",
                caption=model.contour_caption(r),
                alt=model.contour_alt(r),
            )
        with right:
            ctx.chart(
                lambda: valley_figures(r, big=ctx.lecture)[1],
                key="ad_surface_rate",
                caption=model.valley_rate_caption(r),
                alt=model.valley_rate_alt(r),
                data=lambda: model.valley_table(r),
                filename="hypergradient-surface",
            )
    with ctx.body:
        ctx.verdicts(model.valley_rows(p, r))
        guide = pages.by_path(GUIDE_PATH)
        if pages.next_page(PATH) is None and guide.exists:  # the last lesson: on to the guide
            query = {"lecture": "true"} if ctx.lecture else None  # lecture mode travels along
            st.page_link(
                guide.path, label=f"Next: {guide.title} →", icon=guide.icon, query_params=query
            )


LESSON = Lesson(
    path=PATH,
    intro=model.INTRO,
    lecture_intro=model.LECTURE_INTRO,
    narrative=model.NARRATIVE,
    sections=(
        Section(
            params=TrainParams,
            compute=model.compute_training,
            controls=train_controls,
            show=train_show,
            question=model.question,
            quiz_key="ad_quiz",
            cache_entries=48,
            takehome=model.takehome_training,
        ),
        Section(
            params=ValleyParams,
            compute=model.compute_valley,
            controls=valley_controls,
            show=valley_show,
            title=model.VALLEY_TITLE,
            cache_entries=48,
            takehome=model.takehome_valley,
        ),
    ),
)
