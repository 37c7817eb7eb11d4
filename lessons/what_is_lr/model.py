"""What is a learning rate? The update rule w <- w - lr * F'(w), one step at a time on a
parabola F(w) = a/2 * w^2.

The model: :class:`Params` (the page's controls and URL keys), :func:`compute` (every number the
page shows) and the sentences built from a :class:`Result`.  No Streamlit, no plotly.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from engine import fmt
from engine.descent import Verdict, run_descent
from engine.surfaces import get_surface
from engine.theory import quadratic_thresholds
from lessons.ui.fields import choice, number
from lessons.ui.parts import Question, Row, TakeHome
from takehome import engine_descent, function_spec, torch_descent

MAX_STEPS = 30
LR_OPTIONS = (0.05, 0.1, 0.2, 0.3, 0.5, 0.8, 1.0, 1.2, 1.5, 1.8, 1.9, 2.0, 2.1, 2.3)
CURVATURES = (0.5, 1.0, 2.0)
#: the picture's half-width at rest; it widens to follow a ball up to EDGE, beyond which the
#: ball is drawn at the edge with its value
WINDOW = 6.0
EDGE = 60.0
CURVE_POINTS = 241

INTRO = (
    "Training a model means nudging its **parameters** downhill on a **loss**. "
    "The **learning rate** decides how big each nudge is:"
)
#: the one sentence under the title in lecture mode
LECTURE_INTRO = (
    "The **learning rate** decides how big each step downhill is: "
    "$w \\leftarrow w - \\mathrm{lr}\\cdot dF/dw$."
)

NARRATIVE = (
    "- **Parameter vs hyperparameter.** The weight *w* is a *parameter*: training changes it "
    "on every step. The learning rate is a *hyperparameter*: you choose it before training and "
    "the update rule never changes it.\n"
    "- **Try:** press **Step** a few times at lr = 0.3 and watch the ball roll down. Then try "
    "lr = 1 (one step to the bottom), 1.5 (it jumps across and back), 2.1 (each jump is "
    "bigger than the last).\n"
    "- **Notice:** the step is lr times the slope. Steep slope, big step; at the bottom the "
    "slope is zero and the ball stops by itself."
)


@dataclass(frozen=True)
class Params:
    """The view: rate, bowl, start and how many steps have been taken."""

    lr: float = choice("w_lr", "Learning rate lr", LR_OPTIONS, 0.3)
    a: float = choice(
        "w_a",
        "Curvature a of F(w) = a/2 · w²",
        CURVATURES,
        1.0,
        help="How sharply the bowl bends: F''(w) = a.",
    )
    w0: float = number("w_w0", "Start w₀", -5.0, 5.0, 4.0, step=0.5)
    steps: int = number("w_steps", "Steps taken", 0, MAX_STEPS, 0)


@dataclass(frozen=True, eq=False)
class Result:
    """Everything the page shows for one :class:`Params`."""

    params: Params
    path: np.ndarray  #: w_0 .. w_MAX_STEPS (NaN after a blow-up)
    loss: np.ndarray  #: F(w_t)
    grad: np.ndarray  #: F'(w_t)
    verdict: Verdict  #: what the whole walk of MAX_STEPS steps does
    fastest: float  #: 1/a: one step to the bottom
    diverge: float  #: 2/a: never settles from here on
    shown: int  #: the step whose ball is drawn (the last finite one up to ``params.steps``)
    half: float  #: the picture's half-width
    xs: np.ndarray  #: the curve, sampled over the picture
    fx: np.ndarray

    @property
    def w(self) -> float:
        """The ball now."""
        return float(self.path[self.shown])

    @property
    def g(self) -> float:
        """The slope under the ball."""
        return float(self.grad[self.shown])

    @property
    def next_w(self) -> float:
        """Where the next step puts the ball."""
        return self.w - self.params.lr * self.g

    @property
    def off_chart(self) -> bool:
        """The ball is beyond the widest picture (drawn at its edge, with its value)."""
        return abs(self.w) > self.half


def compute(p: Params) -> Result:
    """Gradient descent on F(w) = a/2 w^2 for MAX_STEPS steps from w0 at lr (one engine call)."""
    surface = get_surface("quadratic", a=p.a)
    res = run_descent(surface, (p.w0,), [p.lr], steps=MAX_STEPS)
    path = res.path[0, :, 0]
    with np.errstate(all="ignore"):
        grad = surface.gradient(path[:, None])[:, 0]
    k = min(max(int(p.steps), 0), MAX_STEPS)
    finite = np.flatnonzero(np.isfinite(path[: k + 1]))
    shown = int(finite[-1]) if finite.size else 0
    seen = np.abs(path[: shown + 1])
    half = float(min(max(WINDOW, 1.1 * float(np.max(seen))), EDGE))
    xs = np.linspace(-half, half, CURVE_POINTS)
    th = quadratic_thresholds(p.a)
    return Result(
        params=p,
        path=path,
        loss=res.loss[0],
        grad=grad,
        verdict=res.verdicts[0],
        fastest=float(th.fastest),
        diverge=float(th.diverge),
        shown=shown,
        half=half,
        xs=xs,
        fx=surface.value(xs[:, None]),
    )


# ------------------------------------------------------------------------------ words


def rows(p: Params, r: Result) -> list[Row]:
    """The verdict on the whole walk."""
    return [Row(f"lr = {fmt.rate(p.lr)}", r.verdict.kind, r.verdict.text)]


def step_equation(r: Result) -> str | None:
    """The next step with its numbers, as LaTeX (None once the numbers have blown up)."""
    if not (np.isfinite(r.next_w) and abs(r.next_w) < 1e6):
        return None
    k = r.shown
    return (
        r"\begin{aligned}"
        rf"w_{{{k + 1}}} &= w_{{{k}}} - \mathrm{{lr}}\cdot F'(w_{{{k}}})\\"
        rf"&= {fmt.latex(r.w)} - {fmt.latex(r.params.lr)}\times({fmt.latex(r.g)})\\"
        rf"&= {fmt.latex(r.next_w)}"
        r"\end{aligned}"
    )


def step_sentence(r: Result) -> str:
    """The step in words."""
    if step_equation(r) is None:
        return "The ball has flown off: the numbers grew without bound."
    return (
        f"The slope at w = {fmt.num(r.w)} is **{fmt.num(r.g)}**, so the step is lr × slope = "
        f"**{fmt.num(r.params.lr * r.g)}**."
    )


def thresholds_sentence(r: Result) -> str:
    return (
        f"For this bowl: **lr = {fmt.rate(r.fastest)}** (= 1/a) reaches the bottom in one step; "
        f"any **lr ≥ {fmt.rate(r.diverge)}** (= 2/a) never settles."
    )


def caption(r: Result) -> str:
    p = r.params
    head = (
        f"The grey curve is the loss F(w) = {fmt.num(p.a)}/2 · w². The ball is the parameter "
        f"after {r.shown} step(s) at lr = {fmt.rate(p.lr)}"
    )
    if r.off_chart:
        return (
            f"{head}. It is now at w = {fmt.num(r.w)}, far beyond the picture: the arrow at the "
            "edge points to it."
        )
    return f"{head}; the dashed line is the slope it feels there."


def alt(r: Result) -> str:
    """The chart in words, for a screen reader."""
    return (
        f"Ball on a parabola, step {r.shown} at lr = {fmt.rate(r.params.lr)}: w = {fmt.num(r.w)}, "
        f"loss {fmt.loss(float(r.loss[r.shown]))}. {r.verdict.text}."
    )


def question(p: Params, r: Result) -> Question:
    a = p.a
    return Question(
        f"The bowl has curvature a = {fmt.num(a)}. Which learning rate takes the ball to the "
        "bottom in exactly one step?",
        tuple(f"lr = {fmt.rate(x)}" for x in (0.1 / a, 0.5 / a, 1 / a, 2 / a)),
        2,
        f"The slope at w is a·w, so one step moves the ball by lr·a·w: it lands on 0 exactly "
        f"when lr = 1/a = {fmt.rate(1 / a)}. Set the slider there and press Step once.",
    )


def table(p: Params, r: Result) -> pd.DataFrame:
    """The steps taken so far (CSV)."""
    k = r.shown
    return pd.DataFrame(
        {
            "step": np.arange(k + 1),
            "w": r.path[: k + 1],
            "F(w)": r.loss[: k + 1],
            "dF/dw": r.grad[: k + 1],
        }
    )


def takehome(p: Params, r: Result) -> TakeHome:
    """This walk as code: LR Lab's engine, and the same steps with PyTorch autograd."""
    spec = function_spec("quadratic", {"a": p.a})
    return TakeHome(
        engine=engine_descent(spec, (p.w0,), lrs=(p.lr,), steps=MAX_STEPS),
        torch=torch_descent(spec, (p.w0,), lrs=(p.lr,), steps=MAX_STEPS),
        torch_label="PyTorch autograd",
    )
