"""The child and the dogs. The view: controls that return Params, the pictures and the charts."""

from __future__ import annotations

import streamlit as st

from engine.verdict import NEVER
from lessons.child_dogs import figures, model
from lessons.child_dogs.model import Params, Result
from lessons.ui import controls, widgets
from lessons.ui.fields import field_of
from lessons.ui.runner import Ctx, Lesson

PATH = "lessons/child_dogs/page.py"
LR = field_of(Params, "lr")
SEQ = field_of(Params, "seq")
RICH = field_of(Params, "rich")
_SEED_KEY = "_cd_seed"  # how many shuffles / random draws so far: the seed of the next one
PRESET_ICONS = {
    "cd_preset_too_low": ":material/hourglass_bottom:",
    "cd_preset_desirable": ":material/thumb_up:",
    "cd_preset_too_high": ":material/local_fire_department:",
}


# ------------------------------------------------------------------------- button callbacks


def _seq() -> str:
    return str(st.session_state.get(SEQ.key, SEQ.default))


def _next_seed() -> int:
    seed = int(st.session_state.get(_SEED_KEY, 0)) + 1
    st.session_state[_SEED_KEY] = seed
    return seed


def _add(letter: str) -> None:
    seq, dropped = model.added(_seq(), letter)
    if dropped:
        st.toast(model.DROPPED)
    st.session_state[SEQ.key] = seq


def _remove_last() -> None:
    st.session_state[SEQ.key] = model.removed(_seq())


def _shuffle() -> None:
    st.session_state[SEQ.key] = model.shuffled(_seq(), _next_seed())


def _random() -> None:
    st.session_state[SEQ.key] = model.random_story(_next_seed())


def _normalise() -> None:
    """Typed text in canonical form (upper case, no spaces) once it is valid."""
    seq, error = model.shown_sequence(_seq())
    if error is None:
        st.session_state[SEQ.key] = seq


def _set_sequence(seq: str) -> None:
    st.session_state[SEQ.key] = seq


# ------------------------------------------------------------------------- controls


def _sequence_buttons() -> None:
    row = st.container(horizontal=True, gap="small")
    row.button("Black dog", icon=":material/add:", key="cd_add_b", on_click=_add, args=("B",))
    row.button("White dog", icon=":material/add:", key="cd_add_w", on_click=_add, args=("W",))
    row.button(
        "Cat", icon=":material/add:", key="cd_add_c", on_click=_add, args=("C",), help="a white cat"
    )
    row.button("Shuffle", icon=":material/shuffle:", key="cd_shuffle", on_click=_shuffle)
    row.button(
        "Ten black, one white",
        icon=":material/restart_alt:",
        key="cd_reset",
        on_click=_set_sequence,
        args=(model.DEFAULT_SEQUENCE,),
        help="Back to the story: ten black dogs, then one white dog.",
    )


def _rate_controls() -> float:
    lr = float(controls.slider(LR))
    seq, _ = model.shown_sequence(_seq())
    widgets.preset_buttons(
        LR.key,
        [
            widgets.Preset(
                model.preset_button(p), p.rate, PRESET_ICONS[p.key], p.key, model.preset_help(p)
            )
            for p in model.presets(seq)
        ],
        lr,
    )
    return lr


def read_controls(ctx: Ctx) -> Params:
    left, right = st.columns(2, gap="medium")
    with left:
        st.markdown("**The animals he is shown**")
        _sequence_buttons()
    with right:
        lr = _rate_controls()
    with widgets.more_controls("More: other animals, a typed sequence, a richer child"):
        row = st.container(horizontal=True, gap="small")
        row.button("Black cat", icon=":material/add:", key="cd_add_k", on_click=_add, args=("K",))
        row.button("Remove last", icon=":material/backspace:", key="cd_pop", on_click=_remove_last)
        row.button(
            f"{model.RANDOM_LENGTH} random dogs (80 % black)",
            icon=":material/casino:",
            key="cd_random",
            on_click=_random,
            help="A long, noisy story: which rate is desirable now?",
        )
        seq = controls.text_input(SEQ, on_change=_normalise)
        rich = controls.toggle(RICH)
    return Params(lr=lr, seq=str(seq), rich=bool(rich))


# ------------------------------------------------------------------------- the page


def _comparison(ctx: Ctx, r: Result) -> None:
    st.subheader("Three children, the same animals")
    labels = model.labels(r)[1:]
    st.html(
        figures.comparison_html(
            r.seq,
            r.colour.belief[1:],
            labels,
            model.comparison_notes(r),
            big=ctx.lecture,
            alt=model.comparison_alt(r),
        )
    )
    st.caption(model.comparison_caption(r))
    ctx.verdicts(model.comparison_rows(r))


def _strip(ctx: Ctx, r: Result) -> None:
    st.subheader(model.strip_title(r))
    st.caption(model.STRIP_CAPTION)
    st.html(figures.strip_html(r.seq, r.colour.belief[0], big=ctx.lecture, alt=model.strip_alt(r)))
    ctx.verdicts([model.user_row(r)])


def _beliefs(ctx: Ctx, r: Result) -> None:
    rows = r.shown
    labels = model.labels(r)
    ctx.chart(
        lambda: figures.belief_figure(
            r.seq,
            r.colour.belief[rows],
            [labels[i] for i in rows],
            r.colour.truth,
            styles=rows,
            big=ctx.lecture,
        ),
        key="cd_beliefs",
        caption=model.belief_caption(r),
        alt=model.belief_alt(r),
        data=lambda: model.belief_table(r),
        filename="child-beliefs",
    )


def _rich(ctx: Ctx, r: Result) -> None:
    st.subheader(model.RICH_TITLE)
    st.markdown(model.RICH_TEXT)
    st.button(
        model.CATS_BUTTON,
        icon=":material/pets:",
        key="cd_cats_story",
        on_click=_set_sequence,
        args=(model.CATS_SEQUENCE,),
        help=model.CATS_HELP,
    )
    assert r.features is not None
    labels = model.feature_labels(r)
    shown = model.rich_shown(r)
    left, right = st.columns(2, gap="medium")
    with left:
        st.markdown("**How much each feature says 'dog' to him**")
        ctx.chart(
            lambda: figures.weights_figure(
                r.seq, r.features.weights[0], model.FEATURES, labels[0], big=ctx.lecture
            ),
            key="cd_weights",
            caption=model.WEIGHTS_CAPTION,
            alt=model.weights_alt(r),
        )
    with right:
        st.markdown("**Would he call a white dog a dog?**")
        ctx.chart(
            lambda: figures.p_dog_figure(
                r.features.p_white_dog[shown],
                [labels[i] for i in shown],
                styles=shown,
                big=ctx.lecture,
            ),
            key="cd_pwhite",
            caption=model.P_DOG_CAPTION,
            alt=model.p_dog_alt(r),
            data=lambda: model.feature_table(r),
            filename="child-features",
        )
    ctx.verdicts(model.feature_rows(r))


def _last_step(r: Result) -> None:
    st.subheader(model.LAST_STEP_TITLE)
    st.markdown(model.last_step_sentence(r))
    if r.colour.last_dog == NEVER:
        return
    eq = model.last_step_latex(r)
    if eq is None:
        st.markdown(model.BLEW_UP)
    else:
        st.latex(eq)
    st.markdown(model.thresholds_sentence())


def show(ctx: Ctx, p: Params, r: Result) -> None:
    error = model.sequence_error(r)
    if error is not None:
        with ctx.controls:
            st.error(error)
    with ctx.top:
        _comparison(ctx, r)
    with ctx.body:
        _strip(ctx, r)
        _beliefs(ctx, r)
        if p.rich:
            _rich(ctx, r)
        _last_step(r)


LESSON = Lesson.of_model(
    PATH,
    model,
    controls=read_controls,
    show=show,
    quiz_key="cd_quiz",
)
