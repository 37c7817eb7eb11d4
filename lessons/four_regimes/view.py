"""Four regimes, the view: widgets -> Params, and the charts drawn from a Result.

The four rates are measured for the model and data set until the learner or a link sets
them, so the widgets are drawn after ``compute``: :func:`read` reads the widgets' state into
``Params`` and :func:`show` draws them (see ``controls.auto_read``).
"""

from __future__ import annotations

import streamlit as st

from lessons.four_regimes import model
from lessons.four_regimes.figures import boundary_figure, loss_curve_figure, metric_curve_figure
from lessons.four_regimes.model import Params, Result
from lessons.ui import controls, widgets
from lessons.ui.fields import field_of
from lessons.ui.runner import Ctx, Lesson

PATH = "lessons/four_regimes/page.py"

MODEL = field_of(Params, "model")
DATA = field_of(Params, "data")
RATES = tuple(field_of(Params, n) for n in ("vhigh", "high", "good", "low"))
EPOCHS = field_of(Params, "epochs")
BATCH = field_of(Params, "batch")
SEED = field_of(Params, "seed")
CURVE = field_of(Params, "curve")
VAL = field_of(Params, "val")
SHOW = field_of(Params, "show")


def _measure() -> None:
    """A new model or data set, or the button: the rates are measured again."""
    controls.auto_forget(*RATES)


def _mine() -> None:
    """The learner moved a rate: all four are theirs from now on (nothing is re-measured)."""
    controls.auto_keep(*RATES)


def read(ctx: Ctx) -> Params:
    """The widgets' state as Params (the widgets themselves are drawn by :func:`show`)."""
    return controls.state(Params)


def draw_controls(ctx: Ctx, r: Result) -> None:
    with ctx.controls:
        left, right = st.columns(2, gap="medium")
        with left:
            controls.segmented(MODEL, on_change=_measure)
        with right:
            controls.segmented(DATA, on_change=_measure)
        for row in (RATES[:2], RATES[2:]):
            cols = st.columns(2, gap="medium")
            for col, spec in zip(cols, row, strict=True):
                i = RATES.index(spec)
                controls.auto_show(spec, r.rates[i])
                with col:
                    controls.select_slider(spec, on_change=_mine)
        sentence = model.suggestion_sentence(r)
        if sentence:
            st.caption(sentence)
        st.button(
            f"Measure rates for {r.params.model} on {r.params.data}",
            icon=":material/restart_alt:",
            key="fr_suggest",
            on_click=_measure,
            help="A range test and a batch of short trainings pick one rate per regime for "
            "this model, data set, epochs, batch size and seed.",
        )
        note = model.order_note(r)
        if note:
            st.caption(note)
        with widgets.more_controls("More: epochs, batch size, seed, how to draw the loss"):
            controls.slider(EPOCHS)
            controls.select_slider(BATCH)
            controls.number_input(SEED, step=1)
            controls.segmented(CURVE)
            controls.toggle(VAL)


def show(ctx: Ctx, p: Params, r: Result) -> None:
    draw_controls(ctx, r)
    answered = ctx.answered or p.show
    runs = model.shown_runs(r, answered)
    h = r.history.select(runs)
    labels = [r.labels[k] for k in runs]
    big = ctx.lecture
    curves = model.loss_curves(r, runs)
    overlay = (h.eval_epochs, h.val_loss, "validation loss") if p.val else None
    with ctx.top:
        st.markdown("**Loss while training**")
        ctx.chart(
            lambda: loss_curve_figure(
                curves.x,
                curves.y,
                labels,
                diverged_at=curves.diverged_at,
                diverged_x=curves.diverged_x,
                blowup_values=curves.blowup,
                notes=model.notes(r, runs),
                overlay=overlay,
                y_title="loss",
                x_title="epoch",
                max_points=600,
                styles=runs,
                big=big,
            ),
            key="fr_loss",
            caption=model.loss_caption(r, curves),
            alt=model.alt(r, runs, "Training loss against epoch"),
            data=lambda: model.table(r, runs),
            filename="four-regimes-loss",
        )
        if not answered:
            st.caption(model.withheld_sentence(r))
        if not ctx.answered:  # kept while unanswered, so a lecture link's fr_show can be undone
            controls.toggle(SHOW)
        st.subheader("What happened")
        ctx.verdicts(model.rows(p, r, answered))
    with ctx.body:
        st.markdown("**Validation accuracy**")
        names = [lab + (" (diverged)" if h.diverged[j] else "") for j, lab in enumerate(labels)]
        ctx.chart(
            lambda: metric_curve_figure(
                h.eval_epochs, h.val_acc, names, chance=1.0 / r.n_classes, styles=runs, big=big
            ),
            key="fr_acc",
            caption=model.acc_caption(r),
            alt=model.alt(r, runs, "Validation accuracy against epoch"),
            data=lambda: model.val_table(r, runs),
            filename="four-regimes-validation",
        )
        if r.regions is not None and answered:
            reg = r.regions
            titles, blank = model.region_titles(r)
            st.markdown("**What each model learned**")
            ctx.chart(
                lambda: boundary_figure(
                    reg.gx,
                    reg.gy,
                    reg.proba,
                    reg.X,
                    reg.y,
                    titles,
                    blank=blank,
                    class_names=[f"class {c}" for c in range(r.n_classes)],
                    big=big,
                ),
                key="fr_regions",
                caption=model.REGIONS_CAPTION,
                alt=model.alt(r, tuple(range(4)), "Decision regions"),
            )


LESSON = Lesson.of_model(
    PATH,
    model,
    controls=read,
    show=show,
    quiz_key="fr_quiz",
    cache_entries=24,
)
