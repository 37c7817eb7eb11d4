"""Lesson 1: The child and the dogs. Ten black dogs, then a white one, at a learning rate you choose."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from engine.child import (
    ANIMALS,
    COPY_RATE,
    DEFAULT_SEQUENCE,
    DESIRABLE,
    FEATURES,
    MAX_LENGTH,
    STABLE_MAX,
    TOO_HIGH,
    TOO_LOW,
    SequenceError,
    colour_outcomes,
    feature_outcomes,
    learn_colour,
    learn_features,
    parse_sequence,
    random_sequence,
    shuffle_sequence,
)
from engine.verdict import NEVER
from lessons.ui import state, widgets
from lessons.ui.fig_child import (
    belief_figure,
    comparison_html,
    p_dog_figure,
    strip_html,
    weights_figure,
)

PATH = "lessons/child_dogs.py"
SEQ_KEY = "cd_seq"
LR_KEY = "cd_lr"
RICH_KEY = "cd_rich"
QUIZ_KEY = "cd_quiz"
_SEED_KEY = "_cd_seed"  # how many shuffles / random draws so far: the seed of the next one
#: ten black dogs and ten white cats, then a white dog: colour and barking both tell dogs apart
CATS_SEQUENCE = "BC" * 10 + "W"
RANDOM_LENGTH = 30
LR_MAX = 2.5
#: the rates of the side-by-side comparison, with their names and icons
PRESET_ROWS = (
    ("Too low", TOO_LOW, ":material/hourglass_bottom:"),
    ("Desirable", DESIRABLE, ":material/thumb_up:"),
    ("Too high", TOO_HIGH, ":material/local_fire_department:"),
)


# ------------------------------------------------------------------------- cached engine calls


@st.cache_data(max_entries=64, show_spinner=False)
def colour_child(sequence: str, rates: tuple[float, ...]):
    """The colour child at every rate in ``rates`` (one vectorised engine call) + outcomes."""
    run = learn_colour(sequence, np.array(rates))
    return run, colour_outcomes(run)


@st.cache_data(max_entries=64, show_spinner=False)
def feature_child(sequence: str, rates: tuple[float, ...]):
    """The feature child (online logistic regression) at every rate in ``rates`` + outcomes."""
    run = learn_features(sequence, np.array(rates))
    return run, feature_outcomes(run)


# ------------------------------------------------------------------------- button callbacks


def _current() -> str:
    """The sequence in the box if it is valid, else the story's default."""
    try:
        return parse_sequence(str(st.session_state.get(SEQ_KEY, DEFAULT_SEQUENCE)))
    except SequenceError:
        return DEFAULT_SEQUENCE


def _next_rng() -> np.random.Generator:
    seed = int(st.session_state.get(_SEED_KEY, 0)) + 1
    st.session_state[_SEED_KEY] = seed
    return np.random.default_rng(seed)


def _add(letter: str) -> None:
    seq = _current() + letter
    if len(seq) > MAX_LENGTH:
        seq = seq[-MAX_LENGTH:]
        st.toast(f"At most {MAX_LENGTH} animals: the first one was dropped.")
    st.session_state[SEQ_KEY] = seq


def _remove_last() -> None:
    seq = _current()
    st.session_state[SEQ_KEY] = seq[:-1] if len(seq) > 1 else seq


def _shuffle() -> None:
    st.session_state[SEQ_KEY] = shuffle_sequence(_current(), _next_rng())


def _random() -> None:
    st.session_state[SEQ_KEY] = random_sequence(RANDOM_LENGTH, _next_rng(), p_black=0.8)


def _normalise() -> None:
    """Typed text in canonical form (upper case, no spaces) once it is valid."""
    try:
        st.session_state[SEQ_KEY] = parse_sequence(str(st.session_state.get(SEQ_KEY, "")))
    except SequenceError:
        pass  # the page explains what is wrong


def _set_sequence(seq: str) -> None:
    st.session_state[SEQ_KEY] = seq


# ------------------------------------------------------------------------- the page


def _sequence_controls() -> None:
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
        args=(DEFAULT_SEQUENCE,),
        help="Back to the story: ten black dogs, then one white dog.",
    )


def _rate_controls() -> float:
    lr = state.slider(
        "Learning rate lr: how far each dog moves his belief",
        0.0,
        LR_MAX,
        DESIRABLE,
        step=0.01,
        key=LR_KEY,
        help=f"1 = copy the last dog (1/F''); {STABLE_MAX:g} and above: beliefs swing ever wider.",
    )
    widgets.preset_buttons(
        LR_KEY,
        [
            widgets.Preset(
                f"{name} ({value:g})", value, icon, f"cd_preset_{name.lower().replace(' ', '_')}"
            )
            for name, value, icon in PRESET_ROWS
        ],
        lr,
    )
    return float(lr)


def _rate_label(lr: float) -> str:
    for name, value, _ in PRESET_ROWS:
        if abs(lr - value) < 1e-9:
            return f"{name}, lr = {widgets.fmt_lr(value)}"
    return f"Your rate, lr = {widgets.fmt_lr(lr)}"


def _last_step_line(run, k: int) -> None:
    """The closing line: the update rule with the numbers of the last step at rate row ``k``."""
    t = run.last_dog
    lr = float(run.lr[k])
    st.subheader("The same rule as every lesson")
    if t == NEVER:
        st.markdown(
            "He has seen no dog yet, so he has taken no step. Every step he takes is "
            "`w ← w − lr · dF/dw`."
        )
        return
    b, c = float(run.belief[k, t]), float(run.black[t])
    g = float(run.grad[k, t])
    new = float(run.belief[k, t + 1])
    name = ANIMALS[run.sequence[t]].name
    st.markdown(
        f"His belief *b* is a parameter and each dog a loss F(b) = ½(b − c)², with c = 1 for a "
        f"black dog and 0 for a white one, so dF/db = b − c. His last step (animal {t + 1}, a "
        f"{name}, at lr = {widgets.fmt_lr(lr)}) is `w ← w − lr · dF/dw` with these numbers:"
    )
    if np.all(np.isfinite([b, g, new])) and max(abs(b), abs(new)) < 1e6:
        gs = f"({g:.3f})" if g < 0 else f"{g:.3f}"
        st.latex(
            rf"b \leftarrow {b:.3f} - {lr:g}\times({b:.3f} - {c:g}) "
            rf"= {b:.3f} - {lr:g}\times {gs} = {new:.3f}"
        )
    else:
        st.markdown("The numbers have grown too large to print: the belief diverged.")
    st.markdown(
        f"F''(b) = 1, so the thresholds of *Descent in 1-D* are **lr = 1/F'' = {COPY_RATE:g}** "
        f"(jump to the minimum of this dog's loss: copy it) and **lr = 2/F'' = {STABLE_MAX:g}** "
        "(every step lands at least as far on the other side: divergence). On one fixed bowl, "
        "1/F'' is the perfect rate; here every dog brings its own bowl, so jumping to the last "
        "one means forgetting all the others."
    )


def _rich_section(seq: str, rates: tuple[float, ...], labels: list[str], k_user: int) -> None:
    st.subheader("A richer child: five features, dogs and cats")
    st.markdown(
        "This child recognises a dog from five features — "
        + ", ".join(FEATURES)
        + " (colour coded black +1, white −1) — with a tiny logistic model, "
        "P(dog) = σ(w · x), and takes one gradient step per animal on its cross-entropy: "
        "dF/dw = (P(dog) − y) x, with y = 1 for a dog and 0 for a cat. Its curvature along an "
        "animal is at most |x|²/4 = 1, the same as the colour child's at the start."
    )
    st.button(
        "Ten black dogs and ten white cats, then a white dog",
        icon=":material/pets:",
        key="cd_cats_story",
        on_click=_set_sequence,
        args=(CATS_SEQUENCE,),
        help="All the white animals he has seen were cats: colour and barking both say 'dog'.",
    )
    run, outcomes = feature_child(seq, rates)
    big = state.lecture()
    shown = [i for i in range(len(rates)) if i == k_user or abs(rates[i] - rates[k_user]) > 1e-9]
    data = pd.DataFrame({"animal": np.arange(run.n + 1), "shown": ["start", *seq]})
    for j, f in enumerate(FEATURES):
        data[f"weight {f} ({labels[k_user]})"] = run.weights[k_user, :, j]
    for i in shown:
        data[f"P(dog | white dog) {labels[i]}"] = run.p_white_dog[i]
        data[f"P(dog | black dog) {labels[i]}"] = run.p_black_dog[i]
    left, right = st.columns(2, gap="medium")
    with left:
        st.markdown("**How much each feature says 'dog' to him**")
        widgets.chart(
            weights_figure(seq, run.weights[k_user], FEATURES, labels[k_user], big=big),
            key="cd_weights",
            caption=(
                "Each dog raises the weights of the features it has; each cat lowers the "
                "weights of its own (whiskers soon say 'not a dog'). Four legs and a tail are on "
                "every animal, so their two lines lie on top of each other."
            ),
        )
    with right:
        st.markdown("**Would he call a white dog a dog?**")
        widgets.chart(
            p_dog_figure(run.p_white_dog[shown], [labels[i] for i in shown], styles=shown, big=big),
            key="cd_pwhite",
            caption=(
                "The white dog also barks, so at any stable rate one white dog cannot make him "
                "believe dogs are white: the rate decides how fast colour stops mattering."
            ),
            data=data,
            filename="child-features",
        )
    shown_outcomes = [(labels[i], outcomes[i]) for i in shown]
    widgets.verdicts([(lab, o.kind, o.text) for lab, o in shown_outcomes])


NARRATIVE = (
    "- **Try the three presets.** *Too low*: the white dog barely moves him; it is an outlier. "
    "*Desirable*: it counts, colour is no longer a sure sign, but he remembers the ten black "
    "dogs. *Too high*: after one white dog he believes dogs are white.\n"
    "- **Push the slider past 1** (he copies the last dog), to 1.5 (he overshoots: 'whiter "
    "than white') and past 2 (the swings grow without end): the 1/F'' and 2/F'' of the next "
    "lesson.\n"
    "- **Edit the story**: add dogs and cats, shuffle, or (under *More*) draw 30 random dogs. "
    "On a long, noisy story the 'desirable' rate starts chasing runs of white dogs while the "
    "'too low' one does fine: the best rate depends on how noisy the evidence is."
)


def _more_controls() -> tuple[str, bool]:
    with widgets.more_controls("More: other animals, a typed sequence, a richer child"):
        row = st.container(horizontal=True, gap="small")
        row.button("Black cat", icon=":material/add:", key="cd_add_k", on_click=_add, args=("K",))
        row.button("Remove last", icon=":material/backspace:", key="cd_pop", on_click=_remove_last)
        row.button(
            f"{RANDOM_LENGTH} random dogs (80 % black)",
            icon=":material/casino:",
            key="cd_random",
            on_click=_random,
            help="A long, noisy story: which rate is desirable now?",
        )
        text = state.text_input(
            "The sequence, one letter per animal",
            DEFAULT_SEQUENCE,
            key=SEQ_KEY,
            max_chars=80,
            on_change=_normalise,
            help="B = black dog, W = white dog, C = white cat, K = black cat; at most "
            f"{MAX_LENGTH} animals. The buttons edit this too.",
        )
        rich = state.toggle(
            "Show a richer child too (five features, logistic model)", False, key=RICH_KEY
        )
    return text, rich


@st.fragment
def lesson() -> None:
    big = state.lecture()
    left, right = st.columns(2, gap="medium")
    with left:
        st.markdown("**The animals he is shown**")
        _sequence_controls()
    with right:
        lr = _rate_controls()
    results = st.container()  # filled below, after the secondary controls are read
    with st.container():
        text, rich = _more_controls()
    with results:
        seq = _sequence_or_default(text)
        _results(seq, lr, big)
    rates = (lr, TOO_LOW, DESIRABLE, TOO_HIGH)
    labels = [_rate_label(lr)] + [f"{name}, lr = {v:g}" for name, v, _ in PRESET_ROWS]
    if rich:
        _rich_section(seq, rates, labels, 0)
    run, _ = colour_child(seq, rates)
    _last_step_line(run, 0)
    widgets.next_lesson(PATH)


def _sequence_or_default(text: str) -> str:
    try:
        return parse_sequence(text)
    except SequenceError as err:
        st.error(
            f"Can't show the child “{text[:50]}”: {err} Showing the story (ten black dogs, "
            "then a white one) instead."
        )
        return DEFAULT_SEQUENCE


def _results(seq: str, lr: float, big: bool) -> None:
    """The strip for the learner's rate, the quiz, the three presets side by side, the chart."""
    rates = (lr, TOO_LOW, DESIRABLE, TOO_HIGH)
    run, outcomes = colour_child(seq, rates)
    label = _rate_label(lr)

    st.subheader(f"What he believes after each animal, at lr = {widgets.fmt_lr(lr)}")
    st.caption(
        "Under each animal: the dog he now imagines, shaded by his belief b (1 = all dogs are "
        "black, 0 = all white), and b itself. A dashed red frame: a belief beyond black or white."
    )
    st.html(strip_html(seq, run.belief[0], big=big))
    widgets.verdicts([(label, outcomes[0].kind, outcomes[0].text)])
    widgets.narrative(NARRATIVE)

    story, story_outcomes = colour_child(DEFAULT_SEQUENCE, (COPY_RATE,))
    widgets.predict(
        QUIZ_KEY,
        "In the story (ten black dogs, then a white one), what does the child believe after "
        "the white dog if his learning rate is exactly **1**?",
        [
            "Still that dogs are black: one white dog is an outlier",
            "That dogs come in both colours (a belief near ½)",
            "That all dogs are white (a belief of 0)",
            "That dogs are 'whiter than white' (a belief below 0)",
        ],
        2,
        f"At lr = 1 each step is b ← b − 1·(b − c) = c: he jumps to the colour of the dog he "
        f"just saw. After ten black dogs b = {story.belief[0, -2]:.2f}; after the white dog "
        f"b = {story.belief[0, -1]:.2f}. {story_outcomes[0].text} Set the slider to 1 to see it.",
    )

    st.subheader("Three children, the same animals")
    notes = [o.headline for o in outcomes[1:]]
    row_labels = [f"{name}, lr = {value:g}" for name, value, _ in PRESET_ROWS]
    st.html(comparison_html(seq, run.belief[1:], row_labels, notes, big=big))
    widgets.verdicts(
        [(lab, o.kind, o.text) for lab, o in zip(row_labels, outcomes[1:], strict=True)]
    )

    user_is_preset = any(abs(lr - v) < 1e-9 for _, v, _ in PRESET_ROWS)
    rows = [1, 2, 3] if user_is_preset else [0, 1, 2, 3]
    labels = ([] if user_is_preset else [label]) + row_labels
    fig = belief_figure(seq, run.belief[rows], labels, run.truth, styles=rows, big=big)
    data = pd.DataFrame(
        {
            "animal": np.arange(run.n + 1),
            "shown": ["start"] + [ANIMALS[ch].name for ch in seq],
            "share of black dogs seen": run.truth,
        }
    )
    for lab, row in zip(labels, run.belief[rows], strict=True):
        data[f"belief {lab}"] = row
    widgets.chart(
        fig,
        key="cd_beliefs",
        caption=(
            "His belief after each animal, one line per learning rate; the thick grey steps are "
            "the share of black dogs he has actually seen (the long-run truth). Marks along the "
            "top: ● black dog, ○ white dog, ▲ cat. A low rate is stable but slow to learn "
            "anything; a high rate chases the last dog."
        ),
        data=data,
        filename="child-beliefs",
    )


def main() -> None:
    widgets.header(
        "The child and the dogs",
        "A child sees ten black dogs, then a white one, and is told it is a dog too. Does he "
        "shrug it off, change his mind, or decide that all dogs are white? His **learning rate** "
        "decides: after every dog he takes one gradient-descent step, `w ← w − lr · dF/dw`.",
    )
    lesson()


main()
