"""The child and the dogs: a real, tiny learner whose only knob is the learning rate.

A child is shown animals one at a time and told whether each is a dog.  After every animal he
takes **one gradient-descent step** on that animal's loss, with the same rule the descent lessons
use (``engine.optim``, plain SGD, vectorised over K learning rates)::

    w <- w - lr * dF/dw

Two children are modelled.

**The colour child** (the story's child) holds one number, his *belief* ``b``: how black he
expects a dog to be (1 = every dog is black, 0 = every dog is white, 1/2 = colour tells him
nothing).  A dog of colour ``c`` (1 black, 0 white) costs him

    F(b) = 1/2 (b - c)^2,   dF/db = b - c,   F''(b) = 1,

so one step moves the belief the fraction ``lr`` of the way to the dog's colour:
``b <- b - lr (b - c) = (1 - lr) b + lr c``.  A cat is not a dog and says nothing about the colour
of dogs: it leaves ``b`` alone.  The curvature is 1, so the thresholds of "Descent in 1-D" read:

* ``lr = 1/F'' = 1``  copies the last dog exactly (the minimum of *that dog's* loss);
* ``1 < lr < 2``      overshoots each dog and swings back and forth around it;
* ``lr >= 2/F'' = 2`` swings ever wider (diverges).

With a constant rate the belief is an exponential moving average: after ``n`` dogs the dog seen
``j`` dogs ago weighs ``lr (1 - lr)^j``.  The *long-run truth* the child should track is the
share of black dogs seen, which is the same rule with the shrinking rate ``1/n`` (a running
mean), so a dog moved by less than ``1/n`` of the way counts for less than a fair share.

**The feature child** (the richer mode) recognises a dog from five features of an animal
(``FEATURES``: colour coded black +1 / white -1, four legs, barks, tail, whiskers) with a tiny
logistic model ``P(dog | x) = sigmoid(w . x)``, one SGD step on the cross-entropy per animal
(``dF/dw = (p - y) x``), learned from dogs *and* cats.  The curvature of that loss along the
animal is ``p (1 - p) |x|^2 <= |x|^2 / 4 = 1`` for every animal here (four features present),
the same as the colour child at the start.

Outcomes are computed from the numbers (see :func:`colour_outcomes`, :func:`feature_outcomes`)
in three parts: features measured from the run, a :class:`~engine.verdict.Kind` decided from
them with the named thresholds below, and the words; so "too low", "good" and "too high" come
out of the same update rule at different rates.  A belief (or weight) that overflows to inf or
NaN is recorded by the engine's shared divergence bookkeeping (``diverged_at``); the child keeps
stepping, so the numbers are exactly those of the update rule.

Examples
--------
>>> run = learn_colour("BBBBBBBBBBW", [TOO_LOW, DESIRABLE, TOO_HIGH])
>>> [str(o.kind) for o in colour_outcomes(run)]
['too low', 'good', 'too high']
>>> float(learn_colour("W", [1.0]).belief[0, -1])  # a rate of 1 copies the last dog
0.0
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from engine import fmt
from engine._watch import Watch
from engine.optim import Optimizer, init_state, step
from engine.verdict import NEVER, Kind

__all__ = [
    "ANIMALS",
    "CHASE_FRACTION",
    "COPY_RATE",
    "CURVATURE",
    "DEFAULT_SEQUENCE",
    "DESIRABLE",
    "DIVERGE_FRACTION",
    "FEATURES",
    "MAX_LENGTH",
    "OVERSHOOT_FRACTION",
    "PRESETS",
    "PRIOR",
    "SHARP_LIMIT",
    "STABLE_MAX",
    "TOO_HIGH",
    "TOO_LOW",
    "Animal",
    "ColourRun",
    "FeatureRun",
    "Outcome",
    "SequenceError",
    "colour_grad",
    "colour_loss",
    "colour_outcomes",
    "feature_grad",
    "feature_loss",
    "feature_outcomes",
    "learn_colour",
    "learn_features",
    "parse_sequence",
    "random_sequence",
    "shuffle_sequence",
]

# --------------------------------------------------------------------------------------------
# Animals and sequences
# --------------------------------------------------------------------------------------------

#: The features the feature child looks at, in the order of ``Animal.features``.
FEATURES: tuple[str, ...] = ("colour", "four legs", "barks", "tail", "whiskers")


@dataclass(frozen=True)
class Animal:
    """One kind of animal the child can be shown.

    Attributes
    ----------
    letter : str
        Its code in a sequence string (``"B"``, ``"W"``, ``"C"``, ``"K"``).
    name : str
        In words, e.g. ``"black dog"``.
    is_dog : bool
        The label his parents give.
    black : float
        1.0 for a black animal, 0.0 for a white one (the colour child's target ``c``).
    features : tuple of float
        ``FEATURES`` of this animal: colour (+1 black, -1 white), four legs, barks, tail, whiskers.
    """

    letter: str
    name: str
    is_dog: bool
    black: float
    features: tuple[float, ...]


#: Every animal a sequence may contain, by letter.
ANIMALS: dict[str, Animal] = {
    "B": Animal("B", "black dog", True, 1.0, (1.0, 1.0, 1.0, 1.0, 0.0)),
    "W": Animal("W", "white dog", True, 0.0, (-1.0, 1.0, 1.0, 1.0, 0.0)),
    "C": Animal("C", "white cat", False, 0.0, (-1.0, 1.0, 0.0, 1.0, 1.0)),
    "K": Animal("K", "black cat", False, 1.0, (1.0, 1.0, 0.0, 1.0, 1.0)),
}

#: The story: ten black dogs, then one white dog.
DEFAULT_SEQUENCE = "B" * 10 + "W"
#: The longest sequence accepted (a row of icons a phone can still show).
MAX_LENGTH = 40
#: The colour child's belief before he has seen any dog: colour tells him nothing yet.
PRIOR = 0.5
#: F''(b) of the colour child's loss F(b) = 1/2 (b - c)^2.
CURVATURE = 1.0
#: 1/F'': the rate that jumps to the minimum of the last dog's loss, i.e. copies the last dog.
COPY_RATE = 1.0 / CURVATURE
#: 2/F'': at or above this rate every dog throws the belief at least as far past it as it was.
STABLE_MAX = 2.0 / CURVATURE

#: Too low.  Each dog moves the belief 5 % of the way to its colour: less than a fair share
#: (``1/n``) for any story shorter than 20 dogs.  After ten black dogs he has only reached 0.70
#: ("dogs are mostly black") and the white dog moves him 5 % of the way: an outlier.
TOO_LOW = 0.05
#: Desirable.  30 % of the way per dog: ten black dogs make him 99 % sure dogs are black, and the
#: white dog brings him down to 0.69, a real change of mind (more than the fair share 1/11), but
#: he does not forget that ten of the eleven dogs were black (he stays above 1/2).
DESIRABLE = 0.3
#: Too high.  90 % of the way per dog: the last dog nearly overwrites everything before it, so
#: after one white dog he believes dogs are white (0.10) although ten of eleven were black.
#: Still below 1/F'' = 1, where he would copy the last dog exactly.
TOO_HIGH = 0.9
#: The three presets, in order.
PRESETS: dict[str, float] = {"too low": TOO_LOW, "desirable": DESIRABLE, "too high": TOO_HIGH}

# thresholds of the outcomes, on the fraction f = lr * F'' of the way a step moves the belief
#: From here on (``lr >= 2/F''``) every dog throws the belief at least as far past it as it was.
DIVERGE_FRACTION = STABLE_MAX * CURVATURE
#: Above this (``lr > 1/F''``) each step overshoots the dog's colour.
OVERSHOOT_FRACTION = COPY_RATE * CURVATURE
#: Above this the newest dog outweighs all the dogs before it together.
CHASE_FRACTION = 0.5
#: The feature child overshoots an animal's bowl when ``lr * curvature`` passes this (2/F'').
SHARP_LIMIT = 2.0
#: Slack on the comparisons above, so rates exactly at a threshold land on the safe side.
_TOL = 1e-12


class SequenceError(ValueError):
    """A sequence string that cannot be shown to the child (the message says why)."""


def parse_sequence(text: str) -> str:
    """Validate a sequence of animals and return it in canonical form (upper case, no spaces).

    Parameters
    ----------
    text : str
        One letter per animal: ``B`` black dog, ``W`` white dog, ``C`` white cat, ``K`` black cat.
        Case, spaces and commas are ignored.

    Raises
    ------
    SequenceError
        Empty, longer than ``MAX_LENGTH`` animals, or a letter that is not an animal.

    Examples
    --------
    >>> parse_sequence("bbb w")
    'BBBW'
    >>> parse_sequence("BXB")
    Traceback (most recent call last):
    ...
    engine.child.SequenceError: 'X' is not an animal: use B (black dog), W (white dog), C (white cat), K (black cat).
    """
    if not isinstance(text, str):
        raise SequenceError("the sequence must be text, e.g. BBBBBBBBBBW")
    seq = "".join(ch for ch in text.upper() if not ch.isspace() and ch not in ",;-_")
    if not seq:
        raise SequenceError("the sequence is empty: show the child at least one animal.")
    bad = sorted({ch for ch in seq if ch not in ANIMALS})
    if bad:
        shown = ", ".join(repr(ch) for ch in bad[:5])
        legend = ", ".join(f"{a.letter} ({a.name})" for a in ANIMALS.values())
        noun = "is not an animal" if len(bad) == 1 else "are not animals"
        raise SequenceError(f"{shown} {noun}: use {legend}.")
    if len(seq) > MAX_LENGTH:
        raise SequenceError(
            f"{len(seq)} animals is too many: at most {MAX_LENGTH} fit in a row of pictures."
        )
    return seq


def random_sequence(
    n: int, rng: np.random.Generator, *, p_black: float = 0.8, p_cat: float = 0.0
) -> str:
    """A seeded random sequence of ``n`` animals.

    Each animal is a cat with probability ``p_cat`` (white or black, half and half), otherwise a
    dog, black with probability ``p_black``.

    Examples
    --------
    >>> a = random_sequence(12, np.random.default_rng(1))
    >>> a == random_sequence(12, np.random.default_rng(1)), len(a), set(a) <= set("BW")
    (True, 12, True)
    """
    n = int(n)
    if not 1 <= n <= MAX_LENGTH:
        raise ValueError(f"n must lie in 1 ... {MAX_LENGTH}")
    u = rng.random((3, n))
    cat = u[0] < p_cat
    black = np.where(cat, u[1] < 0.5, u[2] < p_black)
    letters = np.where(cat, np.where(black, "K", "C"), np.where(black, "B", "W"))
    return "".join(letters.tolist())


def shuffle_sequence(seq: str, rng: np.random.Generator) -> str:
    """The same animals in a seeded random order.

    Examples
    --------
    >>> s = shuffle_sequence("BBBBBBBBBBW", np.random.default_rng(0))
    >>> sorted(s) == sorted("BBBBBBBBBBW")
    True
    """
    seq = parse_sequence(seq)
    order = rng.permutation(len(seq))
    return "".join(seq[i] for i in order)


def _animals(seq: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(is_dog (n,), black (n,), features (n, P)) of a validated sequence."""
    animals = [ANIMALS[ch] for ch in seq]
    is_dog = np.array([a.is_dog for a in animals], dtype=bool)
    black = np.array([a.black for a in animals], dtype=np.float64)
    feats = np.array([a.features for a in animals], dtype=np.float64).reshape(len(seq), -1)
    return is_dog, black, feats


def _rates(lrs: float | np.ndarray) -> np.ndarray:
    lr = np.atleast_1d(np.asarray(lrs, dtype=np.float64))
    if lr.ndim != 1 or lr.size == 0:
        raise ValueError("lrs must be a number or a 1-D array of learning rates")
    if not np.all(np.isfinite(lr)) or np.any(lr < 0):
        raise ValueError("learning rates must be finite and >= 0")
    return lr


# --------------------------------------------------------------------------------------------
# The colour child
# --------------------------------------------------------------------------------------------


def colour_loss(b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """``F(b) = 1/2 (b - c)^2``: how wrong belief ``b`` was about a dog of colour ``c``."""
    return 0.5 * (np.asarray(b) - c) ** 2


def colour_grad(b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """``dF/db = b - c``."""
    return np.asarray(b) - c


@dataclass(frozen=True)
class ColourRun:
    """The colour child shown one sequence at K learning rates.

    Attributes
    ----------
    sequence : str
        The animals, one letter each (n of them).
    lr : ndarray, shape (K,)
    belief : ndarray, shape (K, n + 1)
        ``belief[k, 0]`` is the prior, ``belief[k, t]`` the belief after animal ``t``.
    grad : ndarray, shape (K, n)
        ``dF/db`` at the step taken for animal ``t`` (NaN for a cat: no step).
    truth : ndarray, shape (n + 1,)
        Share of black dogs among the dogs seen so far (NaN before the first dog).
    is_dog, black : ndarray, shape (n,)
    diverged_at : ndarray, shape (K,) of int
        The first ``t`` at which ``belief[k, t]`` was no longer finite,
        :data:`~engine.verdict.NEVER` if it stayed finite.
    """

    sequence: str
    lr: np.ndarray
    belief: np.ndarray
    grad: np.ndarray
    truth: np.ndarray
    is_dog: np.ndarray
    black: np.ndarray
    diverged_at: np.ndarray

    @property
    def n(self) -> int:
        """Number of animals shown."""
        return len(self.sequence)

    @property
    def last_dog(self) -> int:
        """Index (0-based) of the last dog in the sequence, :data:`~engine.verdict.NEVER` if
        there is no dog."""
        idx = np.flatnonzero(self.is_dog)
        return int(idx[-1]) if idx.size else NEVER


def learn_colour(sequence: str, lrs: float | np.ndarray, prior: float = PRIOR) -> ColourRun:
    """Show the colour child ``sequence`` at every rate in ``lrs`` at once.

    One SGD step (``engine.optim``) per dog on ``F(b) = 1/2 (b - c)^2``; cats leave the belief
    unchanged.  The K rates are one array axis.

    Examples
    --------
    After one black dog, ``b = 0.5 - lr (0.5 - 1) = 0.5 + lr/2``:

    >>> learn_colour("B", [0.1, 0.5, 1.0]).belief[:, 1]
    array([0.55, 0.75, 1.  ])
    """
    seq = parse_sequence(sequence)
    lr = _rates(lrs)
    is_dog, black, _ = _animals(seq)
    n, k = len(seq), lr.size
    x = np.full((k, 1), float(prior))
    opt = Optimizer("sgd")
    opt_state = init_state(opt, x, lr)
    belief = np.empty((k, n + 1))
    belief[:, 0] = prior
    grad = np.full((k, n), np.nan)
    watch = Watch(k)
    with np.errstate(all="ignore"):
        for t in range(n):  # a loop over the animals, never over the rates
            if is_dog[t]:
                g = colour_grad(x, black[t])
                grad[:, t] = g[:, 0]
                step(opt, opt_state, x, g)
                watch.check_params(t + 1, x)
            belief[:, t + 1] = x[:, 0]
        dogs = np.cumsum(is_dog)
        blacks = np.cumsum(is_dog & (black > 0.5))
        truth = np.concatenate(([np.nan], np.where(dogs > 0, blacks / np.maximum(dogs, 1), np.nan)))
    return ColourRun(seq, lr, belief, grad, truth, is_dog, black, watch.at)


@dataclass(frozen=True)
class Outcome:
    """What a child ended up believing, in words, computed from the run.

    Attributes
    ----------
    kind : Kind
        ``Kind.TOO_LOW``, ``GOOD``, ``TOO_HIGH``, ``OSCILLATING``, ``DIVERGED`` or ``NOTHING``
        (no dog seen yet).
    headline : str
        A few words, e.g. ``"all dogs are white"``.
    text : str
        One or two sentences with the numbers.
    step : int
        The (1-based) animal the verdict is about; :data:`~engine.verdict.NEVER` if none.
    before, after : float
        The belief (or the colour weight, feature child) just before and after that animal.
    fraction : float
        The fraction of the way to the animal's colour that the step moved the belief (colour
        child; equals ``lr * F''``), or the largest ``lr * curvature`` met (feature child).
    """

    kind: Kind
    headline: str
    text: str
    step: int
    before: float
    after: float
    fraction: float


@dataclass(frozen=True)
class _ColourFeatures:
    """Numbers measured from the colour child's run at one rate (see :func:`colour_outcomes`)."""

    lr: float
    last_dog: int  # 0-based index of the last dog (the run has one)
    dogs: int  # dogs seen up to and including it
    colour: float  # its colour c: 1 black, 0 white
    before: float  # belief just before it
    after: float  # and just after
    fraction: float  # f = (after - before) / (c - before), lr * F'' when too small to measure
    diverged_at: int  # belief index where it stopped being finite, NEVER if it did not
    low: float  # lowest and highest belief over the run
    high: float
    flip: int  # 0-based index of the last dog that flipped the belief against the majority


def _colour_features(run: ColourRun) -> tuple[_ColourFeatures, ...]:
    """Measure every rate at once; the last dog must exist."""
    t = run.last_dog
    c = float(run.black[t])
    b0 = run.belief[:, t]
    b1 = run.belief[:, t + 1]
    n = int(run.is_dog[: t + 1].sum())
    with np.errstate(all="ignore"):
        gap = c - b0
        f = np.where(np.abs(gap) > 1e-6, (b1 - b0) / gap, run.lr * CURVATURE)
        # flips: after a dog, the belief sits on its colour's side of 1/2, against the majority
        side_belief = np.sign(run.belief[:, 1:] - 0.5)  # (K, n)
        side_dog = np.sign(run.black - 0.5)  # (n,)
        side_majority = np.sign(run.truth[1:] - 0.5)  # (n,)
        flips = (
            run.is_dog[None, :]
            & (side_belief == side_dog[None, :])
            & (side_majority[None, :] == -side_dog[None, :])
        )
        low, high = run.belief.min(axis=1), run.belief.max(axis=1)
    return tuple(
        _ColourFeatures(
            lr=float(run.lr[i]),
            last_dog=t,
            dogs=n,
            colour=c,
            before=float(b0[i]),
            after=float(b1[i]),
            fraction=float(f[i]),
            diverged_at=int(run.diverged_at[i]),
            low=float(low[i]),
            high=float(high[i]),
            flip=int(np.flatnonzero(flips[i])[-1]) if flips[i].any() else NEVER,
        )
        for i in range(run.lr.size)
    )


def _colour_kind(f: _ColourFeatures) -> Kind:
    """The colour child's outcome from the measured fraction (see :func:`colour_outcomes`)."""
    if f.diverged_at != NEVER or f.fraction >= DIVERGE_FRACTION:
        return Kind.DIVERGED
    if f.fraction > OVERSHOOT_FRACTION + _TOL:
        return Kind.OSCILLATING
    if f.flip != NEVER or f.fraction > CHASE_FRACTION + _TOL:
        return Kind.TOO_HIGH
    if f.fraction < 1.0 / f.dogs - _TOL:
        return Kind.TOO_LOW
    return Kind.GOOD


def _colour_words(run: ColourRun, i: int, f: _ColourFeatures, kind: Kind) -> Outcome:
    """Headline and sentences for rate ``i``."""
    seq, t, c = run.sequence, f.last_dog, f.colour
    num, pct, rate = fmt.num, fmt.pct, fmt.rate(f.lr)
    colour = ANIMALS[seq[t]].name.split()[0]
    dog_words = f"the {colour} dog (animal {t + 1})"
    before, after, fi, n = f.before, f.after, f.fraction, f.dogs

    def out(headline: str, text: str, step: int = t + 1, b: float = before, a: float = after):
        return Outcome(kind, headline, text, step, b, a, fi)

    if kind == Kind.DIVERGED:
        finite = f.diverged_at == NEVER
        hi = float(np.nanmax(np.abs(run.belief[i] - 0.5))) + 0.5 if finite else np.inf
        return out(
            "beliefs swing ever wider",
            f"At lr = {rate} (at or above 2/F'' = {num(STABLE_MAX)}) every dog throws his belief "
            f"at least as far past it as it was before: after {dog_words} it is {num(after)}"
            f", and the swings reach {num(hi)}. They never settle.",
        )
    if kind == Kind.OSCILLATING:
        past = (
            " ('whiter than white')"
            if after < 0
            else " ('blacker than black')"
            if after > 1
            else ""
        )
        return out(
            "beliefs overshoot and swing",
            f"At lr = {rate} (above 1/F'' = {num(COPY_RATE)}) each dog throws his belief past "
            f"its colour: after {dog_words} it is {num(after)}{past}; along the way it swung "
            f"between {num(f.low)} and {num(f.high)}. It only settles because lr is below "
            f"2/F'' = {num(STABLE_MAX)}.",
        )
    if kind == Kind.TOO_HIGH and f.flip != NEVER:
        j = f.flip
        jc = ANIMALS[seq[j]].name.split()[0]
        jo = "white" if jc == "black" else "black"
        dogs_j = int(run.is_dog[: j + 1].sum())
        share = run.truth[j + 1] if jc == "black" else 1 - run.truth[j + 1]
        seen_other = round((1 - share) * dogs_j)
        flipped = float(run.belief[i, j + 1])
        copied = abs(flipped - run.black[j]) < 1e-9
        return out(
            f"all dogs are {jc}"
            if abs(flipped - run.black[j]) < 0.25
            else f"flipped by a {jc} dog",
            f"After the {jc} dog at animal {j + 1} his belief jumped to {num(flipped)}"
            + (", an exact copy of that dog" if copied else "")
            + f": he now expects dogs to be {jc}, although {seen_other} of the {dogs_j} dogs he "
            f"had seen were {jo}. Each dog moves him {pct(fi)} of the way: he chases the last dog.",
            j + 1,
            float(run.belief[i, j]),
            flipped,
        )
    if kind == Kind.TOO_HIGH:
        return out(
            "chases the last dog",
            f"Each dog moves him {pct(fi)} of the way, more than half: the last dog "
            f"outweighs all the dogs before it together (after the {colour} dog at animal "
            f"{t + 1}: {num(before)} → {num(after)}). "
            + (
                "The dogs here agree, so it does no harm yet: add a dog of the other colour."
                if abs(c - before) < 0.5
                else "He follows whichever dog he saw last."
            ),
        )
    if kind == Kind.TOO_LOW:
        expects = (
            "still expects dogs to be black"
            if after > 0.6
            else "still expects dogs to be white"
            if after < 0.4
            else "still has no clear idea of their colour"
        )
        return out(
            f"the {colour} dog is an outlier",
            f"At lr = 0 he never learns: his belief stays at {num(after)}."
            if f.lr == 0
            else f"{dog_words.capitalize()} moved his belief only {pct(fi)} of the way "
            f"({num(before)} → {num(after)}), less than its fair share of one dog in "
            f"{n}: he treats it as an outlier and {expects}.",
        )
    changed = abs(after - before) > 0.05 and abs(c - before) > 0.5
    return out(
        "colour no longer decides" if changed else "learning steadily",
        f"{dog_words.capitalize()} moved his belief {pct(fi)} of the way "
        f"({num(before)} → {num(after)}): it counts for more than one dog in {n}, but "
        f"does not outweigh the dogs before it"
        + (
            f", so colour is no longer a sure sign: a {colour} dog can be a dog too."
            if changed
            else "."
        ),
    )


def colour_outcomes(run: ColourRun) -> tuple[Outcome, ...]:
    """The colour child's outcome at each rate, in words.

    Let ``t`` be the last dog, ``c`` its colour, ``b0`` and ``b1`` the belief before and after it,
    ``n`` the number of dogs seen up to it and ``f = (b1 - b0) / (c - b0)`` the fraction of the
    way to the dog's colour the step went (always ``lr * F''`` for this loss; when ``b0`` is
    within 1e-6 of ``c`` the step is too small to measure and ``f`` is taken as ``lr * F''``).
    The thresholds, checked in this order:

    1. **diverged**: ``f >= DIVERGE_FRACTION`` (``lr >= 2/F''``) or a belief that overflowed
       (``ColourRun.diverged_at``): every dog throws the belief at least as far past it as it
       was before; the swings never shrink.
    2. **oscillating**: ``OVERSHOOT_FRACTION < f`` (``1/F'' < lr < 2/F''``): the belief
       overshoots each dog (a white dog makes him believe dogs are "whiter than white",
       b < 0) and swings back and forth.
    3. **too high**, either

       a. after some dog the belief is on *that dog's* side of 1/2 while most dogs seen so far
          were the other colour: recent dogs overturned the rest ("all dogs are white"); or
       b. ``f > CHASE_FRACTION`` (1/2): the newest dog weighs ``lr`` and everything before it
          ``1 - lr``, so the last dog outweighs all earlier dogs together (harmless only while
          the dogs agree).

    4. **too low**: ``f < 1/n``: the last dog moved the belief less than a running count would
       (its fair share, one dog in n): it is treated as an outlier.
    5. **good**: otherwise (``1/n <= f <= 1/2`` and no flip): the last dog counts, without
       outweighing the dogs before it.

    With no dog in the sequence the outcome is ``Kind.NOTHING`` ("no dog yet").
    """
    if run.last_dog == NEVER:
        text = "He has seen only cats, so he has learned nothing about the colour of dogs."
        return tuple(
            Outcome(Kind.NOTHING, "no dog yet", text, NEVER, PRIOR, PRIOR, float("nan"))
            for _ in range(run.lr.size)
        )
    feats = _colour_features(run)
    return tuple(_colour_words(run, i, f, _colour_kind(f)) for i, f in enumerate(feats))


# --------------------------------------------------------------------------------------------
# The feature child (logistic regression, online)
# --------------------------------------------------------------------------------------------


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * z))  # overflow-free


def feature_loss(w: np.ndarray, x: np.ndarray, y: float) -> np.ndarray:
    """Cross-entropy of ``P(dog) = sigmoid(w . x)`` against the label ``y``; ``w`` is (K, P)."""
    z = np.asarray(w) @ x
    # log(1 + e^z) - y z, computed stably
    return np.logaddexp(0.0, z) - y * z


def feature_grad(w: np.ndarray, x: np.ndarray, y: float) -> np.ndarray:
    """``dF/dw = (sigmoid(w . x) - y) x`` for every row of ``w`` (K, P)."""
    p = _sigmoid(np.asarray(w) @ x)
    return (p - y)[:, None] * x[None, :]


@dataclass(frozen=True)
class FeatureRun:
    """The feature child shown one sequence at K learning rates.

    Attributes
    ----------
    sequence : str
    lr : ndarray, shape (K,)
    weights : ndarray, shape (K, n + 1, P)
        ``weights[k, t]`` after animal ``t`` (``weights[k, 0] = 0``: no opinion).
    p_shown : ndarray, shape (K, n)
        ``P(dog)`` the child gave animal ``t`` *before* he was told what it was.
    p_black_dog, p_white_dog : ndarray, shape (K, n + 1)
        ``P(dog)`` he would give a black / a white dog after each animal.
    curvature : ndarray, shape (K, n)
        ``p (1 - p) |x|^2``: how sharply that animal's loss bends along its features at the step.
    diverged_at : ndarray, shape (K,) of int
        The first ``t`` at which ``weights[k, t]`` was no longer finite,
        :data:`~engine.verdict.NEVER` if they stayed finite.
    """

    sequence: str
    lr: np.ndarray
    weights: np.ndarray
    p_shown: np.ndarray
    p_black_dog: np.ndarray
    p_white_dog: np.ndarray
    curvature: np.ndarray
    diverged_at: np.ndarray

    @property
    def n(self) -> int:
        return len(self.sequence)


def learn_features(sequence: str, lrs: float | np.ndarray) -> FeatureRun:
    """Show the feature child ``sequence`` at every rate in ``lrs`` at once.

    Online logistic regression: for each animal, ``p = sigmoid(w . x)``, then one SGD step
    (``engine.optim``) with ``dF/dw = (p - y) x``.

    Examples
    --------
    After one black dog from ``w = 0`` (p = 1/2), ``w = lr / 2 * x``:

    >>> learn_features("B", [1.0]).weights[0, 1]
    array([0.5, 0.5, 0.5, 0.5, 0. ])
    """
    seq = parse_sequence(sequence)
    lr = _rates(lrs)
    is_dog, _, feats = _animals(seq)
    n, k, p_dim = len(seq), lr.size, len(FEATURES)
    x_black = np.array(ANIMALS["B"].features)
    x_white = np.array(ANIMALS["W"].features)
    w = np.zeros((k, p_dim))
    opt = Optimizer("sgd")
    opt_state = init_state(opt, w, lr)
    weights = np.empty((k, n + 1, p_dim))
    weights[:, 0] = 0.0
    p_shown = np.empty((k, n))
    curvature = np.empty((k, n))
    watch = Watch(k)
    with np.errstate(all="ignore"):
        for t in range(n):  # a loop over the animals, never over the rates
            x, y = feats[t], float(is_dog[t])
            p = _sigmoid(w @ x)
            p_shown[:, t] = p
            curvature[:, t] = p * (1.0 - p) * (x @ x)
            step(opt, opt_state, w, (p - y)[:, None] * x[None, :])
            watch.check_params(t + 1, w)
            weights[:, t + 1] = w
        p_black = _sigmoid(weights @ x_black)
        p_white = _sigmoid(weights @ x_white)
    return FeatureRun(seq, lr, weights, p_shown, p_black, p_white, curvature, watch.at)


@dataclass(frozen=True)
class _FeatureFeatures:
    """Numbers measured from the feature child's run at one rate (see :func:`feature_outcomes`)."""

    lr: float
    sharp: float  # the largest lr * curvature met
    p_white: float  # P(dog | white dog) at the end
    p_black: float  # P(dog | black dog) at the end
    w_colour: float  # colour weight at the end
    w_bark: float  # barking weight at the end
    last_white: int  # 0-based index of the last white dog, NEVER if none
    before: float  # colour weight before and after it (NaN without one)
    after: float


def _feature_features(run: FeatureRun) -> tuple[_FeatureFeatures, ...]:
    lr = run.lr
    pw, pb = run.p_white_dog[:, -1], run.p_black_dog[:, -1]
    w_end = run.weights[:, -1]
    with np.errstate(all="ignore"):
        sharp = np.nanmax(lr[:, None] * run.curvature, axis=1) if run.n else np.zeros(lr.size)
    whites = [i for i, ch in enumerate(run.sequence) if ch == "W"]
    t = whites[-1] if whites else NEVER
    nan = float("nan")
    return tuple(
        _FeatureFeatures(
            lr=float(lr[i]),
            sharp=float(sharp[i]),
            p_white=float(pw[i]),
            p_black=float(pb[i]),
            w_colour=float(w_end[i, 0]),
            w_bark=float(w_end[i, 2]),
            last_white=t,
            before=float(run.weights[i, t, 0]) if t != NEVER else nan,
            after=float(run.weights[i, t + 1, 0]) if t != NEVER else nan,
        )
        for i in range(lr.size)
    )


def _feature_kind(f: _FeatureFeatures) -> Kind:
    """The feature child's outcome (see :func:`feature_outcomes`)."""
    if f.sharp > SHARP_LIMIT:
        return Kind.OSCILLATING
    if f.p_white > f.p_black + _TOL:
        return Kind.TOO_HIGH
    if f.p_white < 0.5:
        return Kind.TOO_LOW
    return Kind.GOOD


def _feature_words(f: _FeatureFeatures, kind: Kind) -> Outcome:
    num = fmt.num
    step_no = f.last_white + 1 if f.last_white != NEVER else NEVER
    nums = (
        f"P(dog | white dog) = {num(f.p_white)}, P(dog | black dog) = {num(f.p_black)}; colour "
        f"weight {num(f.w_colour)}, barking weight {num(f.w_bark)}."
    )
    if kind == Kind.OSCILLATING:
        head = "weights swing"
        text = (
            f"At lr = {fmt.rate(f.lr)}, lr × curvature reached {num(f.sharp)}, above "
            f"{num(SHARP_LIMIT)}: the first steps overshoot each animal's bowl, so his weights "
            "swing from animal to animal (the sigmoid flattens as he grows sure, which is all "
            f"that stops them): {nums}"
        )
    elif kind == Kind.TOO_HIGH:
        head = "dogs are white"
        text = f"He now finds a white dog more dog-like than a black one: {nums}"
    elif kind == Kind.TOO_LOW:
        head = "a white dog is not a dog"
        text = f"He would still not call a white dog a dog: {nums}" + (
            " Colour still outweighs barking." if f.w_colour > f.w_bark else ""
        )
    else:
        if abs(f.w_bark) > abs(f.w_colour):
            head = "barking now matters more than colour"
        elif f.last_white != NEVER and f.after < f.before:
            head = "colour matters less than it did"
        else:
            head = "colour still matters more than barking"
        text = f"He calls a white dog a dog, and {head}: {nums}"
    return Outcome(kind, head, text, step_no, f.before, f.after, f.sharp)


def feature_outcomes(run: FeatureRun) -> tuple[Outcome, ...]:
    """The feature child's outcome at each rate after the whole sequence, in words.

    With ``pw = P(dog | white dog)`` and ``pb = P(dog | black dog)`` at the end:

    * **oscillating**: ``lr * curvature`` exceeded :data:`SHARP_LIMIT` (2) at some step
      (``curvature = p (1 - p) |x|^2``, the 2/F'' bound of "Descent in 1-D"): the step overshot
      that animal's bowl.  Logistic beliefs cannot leave 0 ... 1, so the weights swing instead
      of blowing up;
    * **too high**: ``pw > pb``: he now expects dogs to be white (the colour weight is negative);
    * **too low**: ``pw < 1/2``: he would still not call a white dog a dog (an outlier);
    * **good**: otherwise; the sentence compares the colour weight with the barking weight.

    The outcome's ``step``, ``before`` and ``after`` are about the last white dog
    (:data:`~engine.verdict.NEVER` and NaN without one).
    """
    return tuple(_feature_words(f, _feature_kind(f)) for f in _feature_features(run))
