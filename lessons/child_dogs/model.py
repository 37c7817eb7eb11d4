"""The child and the dogs: ten black dogs, then a white one, at a learning rate you choose.

The model: :class:`Params` (the page's controls and URL keys), :func:`compute` (every run,
outcome and number the page shows) and the sentences built from a :class:`Result`.  No
Streamlit, no plotly.

The three children side by side are the story's presets (too low, desirable, too high).  Their
rates are *measured* for the sequence on screen (:func:`presets`): for each kind, the rate
nearest the story's value whose run really is of that kind, so a long or noisy sequence moves
the presets instead of mislabelling them.  Every row's label is then written from the outcome
of its own run (:func:`row_label`), for the colour child and the richer feature child alike: a
label and its verdict cannot disagree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd

from engine import fmt
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
    ColourRun,
    FeatureRun,
    Outcome,
    SequenceError,
    colour_outcomes,
    feature_outcomes,
    learn_colour,
    learn_features,
    parse_sequence,
    random_sequence,
    shuffle_sequence,
)
from engine.expr import code
from engine.verdict import NEVER, Kind
from lessons.ui.fields import flag, number, text
from lessons.ui.parts import Question, Row

#: the article this lesson builds on, by its title
ARTICLE = "Understand Learning Rate by a Child's interaction with Dogs"
LR_MAX = 2.5
#: ten black dogs and ten white cats, then a white dog: colour and barking both tell dogs apart
CATS_SEQUENCE = "BC" * 10 + "W"
RANDOM_LENGTH = 30
RANDOM_BLACK = 0.8
#: the rates a preset may take (the slider moves in steps of 0.01)
CANDIDATES: tuple[float, ...] = (
    0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.1, 0.12, 0.15, 0.2, 0.25,
    0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95,
)  # fmt: skip
#: what a row is called, by the kind of its outcome
KIND_LABEL: dict[Kind, str] = {
    Kind.TOO_LOW: "Too low",
    Kind.GOOD: "Desirable",
    Kind.TOO_HIGH: "Too high",
    Kind.OSCILLATING: "Overshoots",
    Kind.DIVERGED: "Diverges",
    Kind.NOTHING: "No dog yet",
}

INTRO = (
    "A child sees ten black dogs, then a white one, and is told it is a dog too. Does he shrug "
    "it off, change his mind, or decide that all dogs are white? His **learning rate** decides: "
    "after every dog he takes one gradient-descent step, `w ← w − lr · dF/dw`."
)
LECTURE_INTRO = (
    "Ten black dogs, then a white one: his **learning rate** decides whether he shrugs it off, "
    "changes his mind, or decides that dogs are white."
)
NARRATIVE = (
    "- **Try the three presets.** *Too low*: the white dog barely moves him; it is an outlier. "
    "*Desirable*: it counts, colour is no longer a sure sign, but he remembers the ten black "
    "dogs. *Too high*: after one white dog he believes dogs are white.\n"
    "- **Push the slider past 1** (he copies the last dog), to 1.5 (he overshoots: 'whiter "
    "than white') and past 2 (the swings grow without end): the 1/F'' and 2/F'' of the next "
    "lesson.\n"
    "- **Edit the story**: add dogs and cats, shuffle, or (under *More*) draw 30 random dogs. "
    "The presets follow the story: they are measured on the animals shown, so on a long, noisy "
    "story the desirable rate is lower (each dog's fair share is smaller) and the old "
    "'desirable' 0.3 starts chasing runs of white dogs: the best rate depends on how much and "
    "how noisy the evidence is.\n"
    f"- **Where the story comes from.** The article “{ARTICLE}” tells it in words; here the "
    "child is a real little learner, so every belief on this page is computed by the update "
    "rule."
)
SEQUENCE_HELP = (
    "B = black dog, W = white dog, C = white cat, K = black cat; at most "
    f"{MAX_LENGTH} animals. The buttons edit this too."
)


@dataclass(frozen=True)
class Params:
    """The view: the learning rate, the animals, and whether the richer child is shown."""

    lr: float = number(
        "cd_lr",
        "Learning rate lr: how far each dog moves his belief",
        0.0,
        LR_MAX,
        DESIRABLE,
        step=0.01,
        help=f"1 = copy the last dog (1/F''); {STABLE_MAX:g} and above: beliefs swing ever wider.",
    )
    seq: str = text(
        "cd_seq",
        "The sequence, one letter per animal",
        DEFAULT_SEQUENCE,
        max_chars=80,
        help=SEQUENCE_HELP,
    )
    rich: bool = flag("cd_rich", "Show a richer child too (five features, logistic model)")


# ------------------------------------------------------------------------------ presets


@dataclass(frozen=True)
class Preset:
    """One of the three children: the kind it should show, its rate, whether a rate of that
    kind exists for this sequence (if not, the story's rate is kept and labelled as it is)."""

    name: str
    kind: Kind
    rate: float
    found: bool
    key: str


#: (name, kind, the story's rate, widget key of its button)
TARGETS: tuple[tuple[str, Kind, float, str], ...] = (
    ("Too low", Kind.TOO_LOW, TOO_LOW, "cd_preset_too_low"),
    ("Desirable", Kind.GOOD, DESIRABLE, "cd_preset_desirable"),
    ("Too high", Kind.TOO_HIGH, TOO_HIGH, "cd_preset_too_high"),
)


def kind_of(o: Outcome) -> Kind:
    """An outcome's kind as a :class:`Kind` (the engine's "no dog yet" is ``Kind.NOTHING``)."""
    k = str(o.kind)
    return Kind(k) if k in Kind._value2member_map_ else Kind.NOTHING


@lru_cache(maxsize=64)
def presets(seq: str) -> tuple[Preset, ...]:
    """The three children for ``seq`` (a valid sequence), measured: for each kind, the candidate
    rate nearest the story's rate (on a log scale) whose colour-child outcome is that kind.

    >>> [(p.name, p.rate) for p in presets(DEFAULT_SEQUENCE)]
    [('Too low', 0.05), ('Desirable', 0.3), ('Too high', 0.9)]
    """
    cands = np.asarray(CANDIDATES)
    kinds = [kind_of(o) for o in colour_outcomes(learn_colour(seq, cands))]
    out = []
    for name, kind, story, key in TARGETS:
        ok = [c for c, k in zip(CANDIDATES, kinds, strict=True) if k == kind]
        if ok:
            rate = min(ok, key=lambda c: (abs(math.log(c / story)), c))
            out.append(Preset(name, kind, rate, True, key))
        else:
            out.append(Preset(name, kind, story, False, key))
    return tuple(out)


def preset_button(p: Preset) -> str:
    """A preset button's label, e.g. ``Too low (0.05)``."""
    return f"{p.name} ({fmt.rate(p.rate)})"


def preset_help(p: Preset) -> str:
    if p.found:
        return f"Measured on these animals: at lr = {fmt.rate(p.rate)} the child is {p.kind}."
    return (
        f"No rate from {fmt.rate(CANDIDATES[0])} to {fmt.rate(CANDIDATES[-1])} makes this child "
        f"{p.kind} on these animals; this sets the story's {fmt.rate(p.rate)}."
    )


# ------------------------------------------------------------------------------ sequences


def shown_sequence(text_: str) -> tuple[str, str | None]:
    """The sequence the child is shown, and why the typed one was not used (None if it was)."""
    try:
        return parse_sequence(str(text_)), None
    except SequenceError as err:
        return DEFAULT_SEQUENCE, str(err)


def added(seq: str, letter: str) -> tuple[str, bool]:
    """``seq`` with one more animal; True if the first one had to go (at most MAX_LENGTH)."""
    out = shown_sequence(seq)[0] + letter
    if len(out) > MAX_LENGTH:
        return out[-MAX_LENGTH:], True
    return out, False


def removed(seq: str) -> str:
    """``seq`` without its last animal (one animal always stays)."""
    s = shown_sequence(seq)[0]
    return s[:-1] if len(s) > 1 else s


def shuffled(seq: str, seed: int) -> str:
    return shuffle_sequence(shown_sequence(seq)[0], np.random.default_rng(seed))


def random_story(seed: int) -> str:
    """Thirty random dogs, 80 % black (seeded)."""
    return random_sequence(RANDOM_LENGTH, np.random.default_rng(seed), p_black=RANDOM_BLACK)


DROPPED = f"At most {MAX_LENGTH} animals: the first one was dropped."

# ------------------------------------------------------------------------------ the run


@dataclass(frozen=True, eq=False)
class Result:
    """Everything the page shows for one :class:`Params`.

    ``rates`` is ``(lr, *preset rates)``: row 0 of every run is the learner's rate, rows 1-3
    the three children.
    """

    params: Params
    seq: str  #: the sequence shown (the story if the typed one is not valid)
    error: str | None  #: why the typed sequence was not used
    presets: tuple[Preset, ...]
    rates: tuple[float, ...]
    colour: ColourRun
    outcomes: tuple[Outcome, ...]
    kinds: tuple[Kind, ...]
    features: FeatureRun | None  #: the richer child (only when shown)
    feature_outcomes: tuple[Outcome, ...] | None
    feature_kinds: tuple[Kind, ...] | None
    story: ColourRun  #: the story at lr = 1/F'' (the question)
    story_outcome: Outcome

    @property
    def user_is_preset(self) -> bool:
        return any(abs(self.params.lr - p.rate) < 1e-9 for p in self.presets)

    @property
    def shown(self) -> list[int]:
        """Rows drawn in the charts: the learner's rate only if it is not a preset's."""
        return [1, 2, 3] if self.user_is_preset else [0, 1, 2, 3]


def compute(p: Params) -> Result:
    """The colour child at the learner's rate and the three presets (one vectorised engine
    call), the feature child at the same rates if shown, and the story at lr = 1."""
    seq, error = shown_sequence(p.seq)
    pre = presets(seq)
    rates = (float(p.lr), *(q.rate for q in pre))
    colour = learn_colour(seq, np.asarray(rates))
    outcomes = colour_outcomes(colour)
    features = feats = fkinds = None
    if p.rich:
        features = learn_features(seq, np.asarray(rates))
        feats = feature_outcomes(features)
        fkinds = tuple(kind_of(o) for o in feats)
    story = learn_colour(DEFAULT_SEQUENCE, [COPY_RATE])
    return Result(
        params=p,
        seq=seq,
        error=error,
        presets=pre,
        rates=rates,
        colour=colour,
        outcomes=outcomes,
        kinds=tuple(kind_of(o) for o in outcomes),
        features=features,
        feature_outcomes=feats,
        feature_kinds=fkinds,
        story=story,
        story_outcome=colour_outcomes(story)[0],
    )


# ------------------------------------------------------------------------------ words


def row_label(kind: Kind, lr: float) -> str:
    """A row named by what its run did: ``Too high, lr = 0.9``."""
    return f"{KIND_LABEL.get(kind, str(kind).capitalize())}, lr = {fmt.rate(lr)}"


def user_label(r: Result) -> str:
    """The learner's row: named by its outcome if the rate is a preset's, else "Your rate"."""
    if r.user_is_preset:
        return row_label(r.kinds[0], r.params.lr)
    return f"Your rate, lr = {fmt.rate(r.params.lr)}"


def labels(r: Result) -> list[str]:
    """The colour child's row labels, ``rates`` order."""
    return [user_label(r)] + [
        row_label(k, lr) for k, lr in zip(r.kinds[1:], r.rates[1:], strict=True)
    ]


def feature_labels(r: Result) -> list[str]:
    assert r.feature_kinds is not None
    first = (
        row_label(r.feature_kinds[0], r.params.lr)
        if r.user_is_preset
        else f"Your rate, lr = {fmt.rate(r.params.lr)}"
    )
    return [first] + [
        row_label(k, lr) for k, lr in zip(r.feature_kinds[1:], r.rates[1:], strict=True)
    ]


def sequence_error(r: Result) -> str | None:
    """Why the typed sequence is not shown (the typed text in a code span, never Markdown)."""
    if r.error is None:
        return None
    return (
        f"Can't show the child {code(r.params.seq[:50])}: {r.error} Showing the story (ten "
        "black dogs, then a white one) instead."
    )


def strip_alt(r: Result) -> str:
    """The strip of imagined dogs in words, for a screen reader."""
    b = r.colour.belief[0]
    return (
        f"{len(r.seq)} animals ({animals_words(r.seq)}); at lr = {fmt.rate(r.params.lr)} his "
        f"belief goes from {fmt.num(float(b[0]))} to {fmt.num(float(b[-1]))}. "
        f"{user_label(r)}: {r.kinds[0]}. {r.outcomes[0].text}"
    )


def strip_title(r: Result) -> str:
    return f"What he believes after each animal, at lr = {fmt.rate(r.params.lr)}"


STRIP_CAPTION = (
    "Under each animal: the dog he now imagines, shaded by his belief b (1 = all dogs are black, "
    "0 = all white), and b itself. A dashed orange-red frame: a belief beyond black or white."
)


def user_row(r: Result) -> Row:
    o = r.outcomes[0]
    return Row(user_label(r), r.kinds[0], o.text)


def comparison_rows(r: Result) -> list[Row]:
    """The three children, each named by its own outcome."""
    labs = labels(r)
    return [Row(labs[i], r.kinds[i], r.outcomes[i].text) for i in (1, 2, 3)]


def comparison_notes(r: Result) -> list[str]:
    """The few words next to each child's row of imagined dogs."""
    return [o.headline for o in r.outcomes[1:]]


def comparison_caption(r: Result) -> str:
    """What each child ends up believing, from the same outcomes as the rows' labels."""
    parts = [
        f"at lr = {fmt.rate(lr)}, {o.headline}"
        for lr, o in zip(r.rates[1:], r.outcomes[1:], strict=True)
    ]
    return (
        "Three children shown the same animals, one row of imagined dogs each; each row is named "
        "by what its run did: " + "; ".join(parts) + "."
    )


def comparison_alt(r: Result) -> str:
    last = [
        f"{fmt.rate(lr)}: b = {fmt.num(float(b))}"
        for lr, b in zip(r.rates[1:], r.colour.belief[1:, -1], strict=True)
    ]
    return (
        f"{len(r.seq)} animals ({animals_words(r.seq)}) shown to three children; belief after the "
        f"last animal at lr = " + ", ".join(last) + ". " + comparison_caption(r)
    )


def animals_words(seq: str) -> str:
    """``10 black dogs, 1 white dog``, in the order of ANIMALS."""
    out = []
    for letter, a in ANIMALS.items():
        n = seq.count(letter)
        if n:
            out.append(f"{n} {a.name}{'s' if n > 1 else ''}")
    return ", ".join(out)


def belief_caption(r: Result) -> str:
    marks = {
        "B": "a dark ● for a black dog",
        "W": "a white ○ for a white dog",
        "K": "a dark ▲ for a black cat",
        "C": "a white △ for a white cat",
    }
    shown = ", ".join(m for letter, m in marks.items() if letter in r.seq)
    return (
        "His belief after each animal, one line per learning rate; the thick grey steps are the "
        "share of black dogs he has actually seen (the long-run truth). Marks along the top: "
        f"{shown}. A low rate is stable but slow to learn anything; a high rate chases the last dog."
    )


def belief_alt(r: Result) -> str:
    labs = labels(r)
    ends = [
        f"{labs[i]}: {r.kinds[i]}, b = {fmt.num(float(r.colour.belief[i, -1]))} at the end"
        for i in r.shown
    ]
    share = r.colour.truth[-1]
    seen = fmt.pct(float(share)) if np.isfinite(share) else fmt.MISSING
    return (
        f"Belief after each of {len(r.seq)} animals; " + "; ".join(ends) + f". Share of black "
        f"dogs seen: {seen}."
    )


def belief_table(r: Result) -> pd.DataFrame:
    """The belief chart's data (CSV)."""
    run = r.colour
    data = pd.DataFrame(
        {
            "animal": np.arange(run.n + 1),
            "shown": ["start"] + [ANIMALS[ch].name for ch in r.seq],
            "share of black dogs seen": run.truth,
        }
    )
    labs = labels(r)
    for i in r.shown:
        data[f"belief {labs[i]}"] = run.belief[i]
    return data


def question(p: Params, r: Result) -> Question:
    """What does he believe after the story's white dog at lr = 1? (answer from the run)"""
    before, after = float(r.story.belief[0, -2]), float(r.story.belief[0, -1])
    options = (
        "Still that dogs are black: one white dog is an outlier",
        "That dogs come in both colours (a belief near ½)",
        "That all dogs are white (a belief of 0)",
        "That dogs are 'whiter than white' (a belief below 0)",
    )
    if after < -1e-9:
        answer = 3
    elif after <= 0.25:
        answer = 2
    elif after < 0.6:
        answer = 1
    else:
        answer = 0
    return Question(
        "In the story (ten black dogs, then a white one), what does the child believe after "
        "the white dog if his learning rate is exactly **1**?",
        options,
        answer,
        f"At lr = 1 each step is b ← b − 1·(b − c) = c: he jumps to the colour of the dog he "
        f"just saw. After ten black dogs b = {fmt.num(before)}; after the white dog "
        f"b = {fmt.num(after)}. {r.story_outcome.text} Set the slider to 1 to see it.",
    )


# ------------------------------------------------------------------------------ the rule


LAST_STEP_TITLE = "The same rule as every lesson"


def last_step_sentence(r: Result) -> str:
    """The update rule in words, with the learner's last step."""
    run, t = r.colour, r.colour.last_dog
    if t == NEVER:
        return (
            "He has seen no dog yet, so he has taken no step. Every step he takes is "
            "`w ← w − lr · dF/dw`."
        )
    name = ANIMALS[r.seq[t]].name
    return (
        "His belief *b* is a parameter and each dog a loss F(b) = ½(b − c)², with c = 1 for a "
        "black dog and 0 for a white one, so dF/db = b − c. His last step (animal "
        f"{t + 1}, a {name}, at lr = {fmt.rate(float(run.lr[0]))}) is `w ← w − lr · dF/dw` with "
        "these numbers:"
    )


def last_step_latex(r: Result) -> str | None:
    """The last step with its numbers (None before any dog, or once the numbers blew up)."""
    run, t = r.colour, r.colour.last_dog
    if t == NEVER:
        return None
    b, c = float(run.belief[0, t]), float(run.black[t])
    g, new, lr = float(run.grad[0, t]), float(run.belief[0, t + 1]), float(run.lr[0])
    if not (np.all(np.isfinite([b, g, new])) and max(abs(b), abs(new)) < 1e6):
        return None
    gs = f"({fmt.latex(g)})" if g < 0 else fmt.latex(g)
    return (
        rf"b \leftarrow {fmt.latex(b)} - {fmt.latex(lr)}\times({fmt.latex(b)} - {fmt.latex(c)}) "
        rf"= {fmt.latex(b)} - {fmt.latex(lr)}\times {gs} = {fmt.latex(new)}"
    )


BLEW_UP = "The numbers have grown too large to print: the belief diverged."


def thresholds_sentence() -> str:
    return (
        f"F''(b) = 1, so the thresholds of *Descent in 1-D* are **lr = 1/F'' = "
        f"{fmt.rate(COPY_RATE)}** (jump to the minimum of this dog's loss: copy it) and **lr = "
        f"2/F'' = {fmt.rate(STABLE_MAX)}** (every step lands at least as far on the other side: "
        "divergence). On one fixed bowl, 1/F'' is the perfect rate; here every dog brings its own "
        "bowl, so jumping to the last one means forgetting all the others."
    )


# ------------------------------------------------------------------------------ richer child

RICH_TITLE = "A richer child: five features, dogs and cats"
RICH_TEXT = (
    "This child recognises a dog from five features — "
    + ", ".join(FEATURES)
    + " (colour coded black +1, white −1) — with a tiny logistic model, "
    "P(dog) = σ(w · x), and takes one gradient step per animal on its cross-entropy: "
    "dF/dw = (P(dog) − y) x, with y = 1 for a dog and 0 for a cat. Its curvature along an "
    "animal is at most |x|²/4 = 1, the same as the colour child's at the start. Each of its rows "
    "is named by what this child did, at the same rates as the three children above."
)
CATS_BUTTON = "Ten black dogs and ten white cats, then a white dog"
CATS_HELP = "All the white animals he has seen were cats: colour and barking both say 'dog'."
WEIGHTS_CAPTION = (
    "Each dog raises the weights of the features it has; each cat lowers the weights of its own "
    "(whiskers soon say 'not a dog'). Four legs and a tail are on every animal, so their two "
    "lines lie on top of each other."
)
P_DOG_CAPTION = (
    "The white dog also barks, so at any stable rate one white dog cannot make him believe dogs "
    "are white: the rate decides how fast colour stops mattering."
)


def rich_shown(r: Result) -> list[int]:
    """The feature child's rows drawn: the learner's rate and every preset of another rate."""
    return [i for i in range(len(r.rates)) if i == 0 or abs(r.rates[i] - r.rates[0]) > 1e-9]


def feature_rows(r: Result) -> list[Row]:
    assert r.feature_outcomes is not None and r.feature_kinds is not None
    labs = feature_labels(r)
    return [Row(labs[i], r.feature_kinds[i], r.feature_outcomes[i].text) for i in rich_shown(r)]


def weights_alt(r: Result) -> str:
    assert r.features is not None
    w = r.features.weights[0, -1]
    parts = [f"{f} {fmt.num(float(v))}" for f, v in zip(FEATURES, w, strict=True)]
    return (
        f"The richer child's feature weights after each of {len(r.seq)} animals at lr = "
        f"{fmt.rate(r.params.lr)}; at the end: " + ", ".join(parts) + "."
    )


def p_dog_alt(r: Result) -> str:
    labs = feature_labels(r)
    assert r.features is not None
    ends = [
        f"{labs[i]}: P(dog | white dog) = {fmt.num(float(r.features.p_white_dog[i, -1]))}"
        for i in rich_shown(r)
    ]
    return "Would he call a white dog a dog, after each animal; at the end " + "; ".join(ends) + "."


def feature_table(r: Result) -> pd.DataFrame:
    """The richer child's weights (learner's rate) and P(dog) at every rate shown (CSV)."""
    run = r.features
    assert run is not None
    labs = feature_labels(r)
    data = pd.DataFrame({"animal": np.arange(run.n + 1), "shown": ["start", *r.seq]})
    for j, f in enumerate(FEATURES):
        data[f"weight {f} ({labs[0]})"] = run.weights[0, :, j]
    for i in rich_shown(r):
        data[f"P(dog | white dog) {labs[i]}"] = run.p_white_dog[i]
        data[f"P(dog | black dog) {labs[i]}"] = run.p_black_dog[i]
    return data


def agree(label: str, kind: Kind) -> bool:
    """A row's label does not contradict its verdict: a label that names a kind names this one.

    >>> agree("Too high, lr = 0.9", Kind.TOO_HIGH), agree("Too low, lr = 0.05", Kind.GOOD)
    (True, False)
    >>> agree("Your rate, lr = 0.6", Kind.TOO_HIGH)
    True
    """
    named = [k for k, word in KIND_LABEL.items() if label.startswith(word + ",")]
    return all(k == kind for k in named)


def all_rows(r: Result) -> list[Row]:
    """Every verdict row the page shows (for the labels-vs-verdicts check)."""
    rows = [user_row(r), *comparison_rows(r)]
    if r.feature_outcomes is not None:
        rows += feature_rows(r)
    return rows
