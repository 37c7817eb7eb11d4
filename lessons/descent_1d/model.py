"""Descent in 1-D: up to four learning rates side by side on a 1-D loss, step by step.

The model: :class:`Params` (the page's controls and URL keys), :func:`compute` (the curve, the
runs, their verdicts and the thresholds 1/f'' and 2/f''), the presets, and the sentences built
from a :class:`Result`.  No Streamlit, no plotly.

Labels and verdicts: a run is named only by its rate ("B: lr = 0.8"); what it did is the
engine's verdict.  The thresholds split the rate axis into three bands, and a band is called by
what the parabola with the same f'' predicts ("slides in", "zig-zags in", "diverges") only when
every run inside it did that (:func:`bands`); otherwise by the thresholds alone.  The theory
table shows the prediction and the verdict side by side, and says when they differ.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from engine import fmt
from engine.descent import DescentError, Verdict, run_descent
from engine.expr import ExpressionError, code, parse_function
from engine.surfaces import SURFACES_1D, Surface, SurfaceError, get_surface
from engine.theory import local_thresholds, quadratic_regime
from engine.verdict import NEVER, Kind
from lessons.ui.common import rate_grid, snap
from lessons.ui.fields import choice, flag, number, text
from lessons.ui.parts import Question, Row

# ------------------------------------------------------------------------------ choices

RUN_NAMES = ("A", "B", "C", "D")
#: the slider value of a run that is switched off
OFF = 0.0
#: mantissas of the log-ish grid: steps of at most 12.5% (so a preset lands close to its target)
_MANTISSAS = (
    *(round(1.0 + 0.1 * i, 1) for i in range(11)),  # 1.0 ... 2.0
    2.2, 2.4, 2.5, 2.6, 2.8, 3.0, 3.2, 3.4, 3.6, 3.8, 4.0,
    *(round(4.5 + 0.5 * i, 1) for i in range(11)),  # 4.5 ... 9.5
)  # fmt: skip
#: every learning rate a slider offers, 1e-4 ... 100, ascending
LR_GRID: tuple[float, ...] = rate_grid(-4, 2, _MANTISSAS)
RATE_OPTIONS = (OFF, *LR_GRID)
DEFAULT_RATES = (0.1, 0.8, 1.7, 2.2)  # the four regimes of the default parabola (f'' = 1)
STEP_OPTIONS = (10, 20, 30, 50, 75, 100, 150, 200)
DEFAULT_STEPS = 30
WINDOWS = (1.0, 2.0, 3.0, 5.0, 10.0, 20.0)
DEFAULT_WINDOW = 3.0
DEFAULT_TEXT = "x**4 - 3*x**2 + x"
CUSTOM = "custom"
SURFACES = (*SURFACES_1D, CUSTOM)
NAMES = {
    "quadratic": "Parabola",
    "double_well": "Double well",
    "plateau": "Plateau",
    "lopsided": "Lopsided bowl",
    "quartic": "Flat-bottomed bowl (x⁴)",
    CUSTOM: "Type a function",
}
#: the one parameter shown per built-in surface: (engine name, Params attribute)
SURFACE_PARAM = {
    "quadratic": ("a", "a"),
    "double_well": ("tilt", "tilt"),
    "plateau": ("width", "width"),
    "lopsided": ("skew", "skew"),
    "quartic": ("scale", "scale"),
}
#: start-point slider (lo, hi, step) per built-in surface: its window at the default parameter
STARTS = {
    "quadratic": (-5.0, 5.0, 0.1),
    "double_well": (-2.0, 2.0, 0.05),
    "plateau": (-6.0, 6.0, 0.1),
    "lopsided": (-4.0, 3.0, 0.1),
    "quartic": (-2.0, 2.0, 0.05),
}
#: the typed function's start slider: one fixed range for every window
CUSTOM_START = (-max(WINDOWS), max(WINDOWS), 0.05)
CURVE_POINTS = 401
SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
#: the four regimes as multiples of 1/f'': (target, open interval it must stay in)
REGIMES: tuple[tuple[float, tuple[float, float]], ...] = (
    (0.1, (0.0, 0.3)),
    (0.8, (0.6, 1.0)),
    (1.7, (1.3, 1.95)),
    (2.2, (2.05, 3.0)),
)
#: the "at the thresholds" preset, as multiples of 1/f''
THRESHOLD_MULTIPLES: tuple[float, ...] = (0.5, 1.0, 1.5, 2.0)


def rate_label(lr: float) -> str:
    """A rate slider's option label (the link names options by it, so it stays as it was):
    ``off`` for a switched-off run, else the rate as ``%g`` writes it.

    >>> rate_label(0.0), rate_label(0.00015), rate_label(2.2), rate_label(1e-4), rate_label(100.0)
    ('off', '0.00015', '2.2', '0.0001', '100')
    """
    return "off" if lr == OFF else f"{lr:g}"


def builtin_start(surface: str) -> float:
    """The start slider's default on a built-in curve: its default start at default params."""
    return float(SURFACES_1D[surface].factory().default_start[0])


@lru_cache(maxsize=64)
def custom_start(text_: str, half: float) -> float:
    """The start slider's default for a typed function: its own default start, on the slider's
    grid (the example's if the text is not a function)."""
    try:
        s = parse_function(text_, ("x",), window=((-half, half),))
    except ExpressionError:
        s = parse_function(DEFAULT_TEXT, ("x",), window=((-half, half),))
    lo, hi, step = CUSTOM_START
    return float(np.clip(round(s.default_start[0] / step) * step, lo, hi))


def _start(surface: str) -> Any:
    lo, hi, step = STARTS[surface]
    return number(f"d1_x0_{surface}", "Start x₀", lo, hi, builtin_start(surface), step=step)


def _replay(steps: int) -> Any:
    return number(
        f"d1_step{steps}",
        "Replay: show the first k steps",
        0,
        steps,
        steps,
        help="Drag back to step 0 and forward again to watch the runs move.",
    )


def _rate(i: int) -> Any:
    return choice(
        f"d1_lr{i + 1}", f"Run {RUN_NAMES[i]}", RATE_OPTIONS, DEFAULT_RATES[i], names=rate_label
    )


@dataclass(frozen=True)
class Params:
    """The view.  Each curve keeps its own start point (``d1_x0_<curve>``) and each number of
    steps its own replay position (``d1_step<steps>``): one field per key, with that key's own
    range and default, as the page always had, so every saved link reads the same."""

    surface: str = choice(
        "d1_surface",
        "Loss curve",
        SURFACES,
        "quadratic",
        names=NAMES,
        help="Built-in curves, or type your own function of x.",
    )
    a: float = choice("d1_a", "Curvature a = f''", (0.25, 0.5, 1.0, 2.0, 4.0, 10.0), 1.0, names=str)
    tilt: float = choice(
        "d1_tilt", "Tilt t", (-1.0, -0.6, -0.3, 0.0, 0.3, 0.6, 1.0), 0.3, names=str
    )
    width: float = choice("d1_width", "Width w of the bowl", (0.5, 1.0, 2.0), 1.0, names=str)
    skew: float = choice("d1_skew", "Skew s", (0.5, 1.0, 1.5, 2.0), 1.0, names=str)
    scale: float = choice("d1_scale", "Scale c", (0.5, 1.0, 2.0, 4.0), 1.0, names=str)
    win: float = choice(
        "d1_win", "Window: x from −w to w", WINDOWS, DEFAULT_WINDOW, names=lambda w: f"w = {w:g}"
    )
    fn: str = text(
        "d1_fn",
        "Your function of x",
        DEFAULT_TEXT,
        max_chars=200,
        help="Use x, numbers, + − * / ** (or ^), parentheses and exp, log, sqrt, sin, cos, "
        "tanh, abs… Multiply explicitly: 3*x, not 3x.",
    )
    x0_quadratic: float = _start("quadratic")
    x0_double_well: float = _start("double_well")
    x0_plateau: float = _start("plateau")
    x0_lopsided: float = _start("lopsided")
    x0_quartic: float = _start("quartic")
    #: None: the typed function's own start (as the page always had it for a link without it)
    x0_custom: float | None = number(
        "d1_x0_custom",
        "Start x₀",
        CUSTOM_START[0],
        CUSTOM_START[1],
        None,
        step=CUSTOM_START[2],
        integer=False,
        auto="the function's own start",
    )
    lr1: float = _rate(0)
    lr2: float = _rate(1)
    lr3: float = _rate(2)
    lr4: float = _rate(3)
    steps: int = choice("d1_steps", "Number of steps", STEP_OPTIONS, DEFAULT_STEPS, names=str)
    step10: int = _replay(10)
    step20: int = _replay(20)
    step30: int = _replay(30)
    step50: int = _replay(50)
    step75: int = _replay(75)
    step100: int = _replay(100)
    step150: int = _replay(150)
    step200: int = _replay(200)
    local: bool = flag(
        "d1_model",
        "Draw the parabola with the same f'' (the local quadratic model)",
        help="The thresholds 1/f'' and 2/f'' are exact for this parabola; the real curve "
        "follows it only near the point where f'' was measured.",
    )

    @property
    def x0(self) -> float:
        """The start point of the curve shown (a typed function's own start if not set)."""
        if self.surface == CUSTOM and self.x0_custom is None:
            return custom_start(self.fn, float(self.win))
        return float(getattr(self, f"x0_{self.surface}"))

    @property
    def replay(self) -> int:
        """The replay position of the number of steps shown."""
        return int(getattr(self, f"step{self.steps}"))

    @property
    def rates(self) -> tuple[float, ...]:
        return (self.lr1, self.lr2, self.lr3, self.lr4)

    @property
    def surface_params(self) -> tuple[tuple[str, float], ...]:
        if self.surface not in SURFACE_PARAM:
            return ()
        name, attr = SURFACE_PARAM[self.surface]
        return ((name, float(getattr(self, attr))),)


def start_field(surface: str) -> str:
    """The Params attribute holding ``surface``'s start point."""
    return f"x0_{surface}"


def replay_field(steps: int) -> str:
    """The Params attribute holding the replay position for ``steps`` steps."""
    return f"step{steps}"


PARAM_FIELDS = {f.name for f in fields(Params)}
assert all(start_field(s) in PARAM_FIELDS for s in SURFACES)
assert all(replay_field(n) in PARAM_FIELDS for n in STEP_OPTIONS)

# ------------------------------------------------------------------------------ rate grid


def regime_rates(fastest: float) -> tuple[float, ...]:
    """Four grid rates at 0.1, 0.8, 1.7 and 2.2 times ``1/f''``: well below 1/f'', just below
    it, between 1/f'' and 2/f'', above 2/f'' (each the grid rate closest to its target that
    stays in its interval, see :data:`REGIMES`).

    >>> regime_rates(1.0)
    (0.1, 0.8, 1.7, 2.2)
    >>> regime_rates(0.25)
    (0.025, 0.2, 0.45, 0.55)
    """
    return tuple(snap(m * fastest, LR_GRID, a * fastest, b * fastest) for m, (a, b) in REGIMES)


def threshold_rates(fastest: float) -> tuple[float, ...]:
    """Grid rates nearest to ½, 1, 1.5 and 2 times ``1/f''`` (exact on a parabola's grid).

    >>> threshold_rates(1.0)
    (0.5, 1.0, 1.5, 2.0)
    """
    return tuple(snap(m * fastest, LR_GRID) for m in THRESHOLD_MULTIPLES)


def presets_fit(fastest: float) -> bool:
    """Whether the sliders' range 1e-4 ... 100 holds all four regimes for this ``1/f''``.

    >>> presets_fit(1.0), presets_fit(60.0), presets_fit(1e-4)
    (True, False, False)
    """
    lo, hi = REGIMES[0][1][1] * fastest, REGIMES[-1][1][0] * fastest
    return lo >= LR_GRID[0] and hi < LR_GRID[-1]


# ------------------------------------------------------------------------------ the curve


@dataclass(frozen=True)
class Theory:
    """1/f'' and 2/f'' where they are measured: the minimum nearest the start, or the start
    itself when that minimum is flat."""

    where: str  #: "minimum" or "start"
    at: float
    curv: float
    fastest: float
    diverge: float
    f_at: float
    g_at: float
    flat_min: bool


def make_surface(p: Params, text_: str | None = None) -> Surface:
    """The curve ``p`` describes (raises ExpressionError for a typed text that is no function)."""
    if p.surface == CUSTOM:
        half = float(p.win)
        return parse_function(p.fn if text_ is None else text_, ("x",), window=((-half, half),))
    return get_surface(p.surface, **dict(p.surface_params))


def surface_of(p: Params) -> tuple[Surface, str, str | None]:
    """The curve shown, the typed text used, and why the typed text was refused (or None)."""
    try:
        return make_surface(p), p.fn, None
    except (ExpressionError, SurfaceError) as err:
        return make_surface(p, DEFAULT_TEXT), DEFAULT_TEXT, str(err)


def theory_at(s: Surface, x0: float) -> Theory | None:
    """1/f'' and 2/f'' at the minimum nearest the start, or at the start if that minimum is
    flat; None when neither point curves upwards (no threshold exists)."""
    candidates = []
    if s.minima:
        near = min(s.minima, key=lambda m: abs(m[0] - x0))[0]
        candidates.append(("minimum", near))
    candidates.append(("start", x0))
    for where, at in candidates:
        t = local_thresholds(s, (at,))
        if t.kind == "convex":
            return Theory(
                where=where,
                at=float(at),
                curv=float(t.lam_max),
                fastest=float(t.fastest),
                diverge=float(t.diverge),
                f_at=float(s.value(at)),
                g_at=float(s.gradient(at)[0]),
                flat_min=where == "start" and bool(s.minima),
            )
    return None


def visible_prefix(path: np.ndarray, x_range: tuple[float, float]) -> int:
    """How many leading iterates of ``path`` are finite and inside ``x_range``.

    >>> visible_prefix(np.array([4.0, -4.8, 5.8, np.nan]), (-5.0, 5.0))
    2
    """
    p = np.asarray(path, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        bad = ~(np.isfinite(p) & (p >= x_range[0]) & (p <= x_range[1]))
    return int(np.argmax(bad)) if bad.any() else int(p.size)


def curve_y_range(fx: np.ndarray, pad: float = 0.08) -> tuple[float, float]:
    """A y range that shows the curve: its finite values, ignoring spikes near a singularity.

    >>> curve_y_range(np.array([0.0, 1.0, 4.0]), pad=0.0)
    (0.0, 4.0)
    """
    v = np.asarray(fx, dtype=np.float64)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return (-1.0, 1.0)
    lo, hi = float(v.min()), float(v.max())
    q = float(np.quantile(v, 0.9))
    if hi - lo > 20 * max(q - lo, 1e-12):  # a spike (e.g. 1/x near 0): show the body
        hi = float(np.quantile(v, 0.97))
    span = hi - lo if hi > lo else max(abs(hi), 1.0)
    return lo - pad * span, hi + pad * span


# ------------------------------------------------------------------------------ the runs


@dataclass(frozen=True, eq=False)
class Result:
    """Everything the page shows for one :class:`Params`."""

    params: Params
    text: str  #: the typed function used (the example if the typed one was refused)
    fn_error: str | None  #: why the typed function was refused
    name: str
    formula: str
    blurb: str
    minima: tuple[float, ...]
    f_min: float | None
    x0: float
    theory: Theory | None
    xs: np.ndarray  #: the curve, sampled over the chart's window
    fx: np.ndarray
    active: tuple[int, ...]  #: the runs switched on (0-3)
    lrs: tuple[float, ...]
    labels: tuple[str, ...]
    run_error: str | None  #: why descent could not start (e.g. undefined at x0)
    path: np.ndarray  #: (K, T+1)
    loss: np.ndarray  #: (K, T+1)
    diverged_at: np.ndarray  #: (K,) step at which a run diverged, NEVER if it did not
    verdicts: tuple[Verdict, ...]
    replay: int  #: the step the charts are replayed to
    local: tuple[np.ndarray, np.ndarray] | None  #: the parabola with the same f''
    quiz_a: float  #: the question's parabola
    quiz_lr: float
    quiz: Verdict

    @property
    def steps(self) -> int:
        return int(self.params.steps)

    @property
    def x_range(self) -> tuple[float, float]:
        return (float(self.xs[0]), float(self.xs[-1]))

    @property
    def shown(self) -> bool:
        """Runs are drawn (at least one is on and descent could start)."""
        return bool(self.lrs) and self.run_error is None

    @property
    def kinds(self) -> tuple[Kind, ...]:
        return tuple(Kind(str(v.kind)) for v in self.verdicts)


def compute(p: Params) -> Result:
    """The curve, its thresholds, and one engine call for all the rates (the rate is an array
    axis); the question's run on the parabola."""
    s, used, fn_error = surface_of(p)
    x0 = p.x0
    th = theory_at(s, x0)
    lo, hi = s.window[0]
    pad = 0.05 * (hi - lo)
    xs = np.linspace(min(lo, x0 - pad), max(hi, x0 + pad), CURVE_POINTS)
    fx = s.value(xs[:, None])
    active = tuple(i for i, r in enumerate(p.rates) if r != OFF)
    lrs = tuple(float(p.rates[i]) for i in active)
    labels = tuple(f"{RUN_NAMES[i]}: lr = {rate_label(p.rates[i])}" for i in active)
    empty = np.zeros((0, p.steps + 1))
    path, loss, diverged_at, verdicts, run_error = (
        empty,
        empty,
        np.zeros(0, int),
        (),
        None,
    )  # no runs
    if lrs:
        try:
            res = run_descent(s, (x0,), np.array(lrs), steps=p.steps)
        except DescentError as err:
            run_error = str(err)
        else:
            path, loss = res.path[:, :, 0], res.loss
            diverged_at, verdicts = np.asarray(res.diverged_at), tuple(res.verdicts)
    local = None
    if p.local and th is not None:
        d = xs - th.at
        local = (xs, th.f_at + th.g_at * d + 0.5 * th.curv * d * d)
    qa = float(p.a) if p.surface == "quadratic" else 1.0
    qlr = 2.2 / qa
    quiz = run_descent(get_surface("quadratic", a=qa), (4.0,), [qlr], steps=DEFAULT_STEPS)
    return Result(
        params=p,
        text=used,
        fn_error=fn_error,
        name=s.name,
        formula=s.formula,
        blurb=s.blurb,
        minima=tuple(float(m[0]) for m in s.minima),
        f_min=s.f_min,
        x0=x0,
        theory=th,
        xs=xs,
        fx=fx,
        active=active if run_error is None else (),
        lrs=lrs if run_error is None else (),
        labels=labels if run_error is None else (),
        run_error=run_error,
        path=path,
        loss=loss,
        diverged_at=diverged_at,
        verdicts=verdicts,
        replay=min(max(p.replay, 0), p.steps),
        local=local,
        quiz_a=qa,
        quiz_lr=qlr,
        quiz=quiz.verdicts[0],
    )


# ------------------------------------------------------------------------------ presets


def preset_rates(p: Params, kind: str) -> tuple[tuple[float, ...] | None, str | None]:
    """The four rates of a preset (``"regimes"`` or ``"thresholds"``) for the curve and start
    of ``p``, and a note for the learner (None: nothing to say).  No rates without an upward
    curvature at the minimum or the start."""
    s, _, _ = surface_of(p)
    th = theory_at(s, p.x0)
    if th is None:
        return None, (
            "This curve has no upward curvature at its minimum or at the start: no preset."
        )
    rates = regime_rates(th.fastest) if kind == "regimes" else threshold_rates(th.fastest)
    note = None
    if not presets_fit(th.fastest):
        note = (
            f"This curve's thresholds (1/f'' = {fmt.rate(th.fastest)}) lie near the end of the "
            "sliders' range 0.0001 … 100: the rates are as close as the sliders go."
        )
    return rates, note


@lru_cache(maxsize=64)
def _available(surface: str, params: tuple, fn: str, win: float, x0: float) -> bool:
    p = Params(surface=surface, fn=fn, win=win, **{start_field(surface): x0})
    if params:
        p = replace(p, **{SURFACE_PARAM[surface][1]: params[0][1]})
    s, _, _ = surface_of(p)
    return theory_at(s, x0) is not None


def presets_available(p: Params) -> bool:
    """Whether the curve and start of ``p`` give thresholds (the preset buttons work)."""
    return _available(p.surface, p.surface_params, p.fn, float(p.win), p.x0)


def preset_help(available: bool, kind: str) -> str:
    why = "" if available else " (not available: no upward curvature here)"
    if kind == "regimes":
        return (
            "Four rates at 0.1, 0.8, 1.7 and 2.2 times 1/f'': well below 1/f'', just below it, "
            f"between 1/f'' and 2/f'', and above 2/f''{why}."
        )
    return f"1/f'' lands on the minimum in one step; 2/f'' bounces forever{why}."


# ------------------------------------------------------------------------------ words

INTRO = (
    "Gradient descent on a curve, with up to four learning rates side by side. Each step is "
    "`x ← x − lr · f'(x)`. Near a minimum where the curve bends by f'', the rate decides "
    "everything: **below 1/f''** the run slides in from one side, **between 1/f'' and 2/f''** "
    "it zig-zags in, **above 2/f''** it flies off."
)
NARRATIVE = (
    "- **Four runs, four regimes.** On the parabola, run A (lr = 0.1) creeps and has not "
    "arrived after 30 steps; B gets there in a few steps; C crosses the minimum every step (the "
    "zig-zag on the curve) but still settles; D's swings grow until it flies off the chart.\n"
    "- **The two thresholds.** Press *At the thresholds*: at lr = 1/f'' one step lands exactly "
    "on the minimum; at 2/f'' the ball bounces between two points forever. Now change the "
    "curvature a: both thresholds scale with 1/a, so a sharper bowl needs a smaller rate.\n"
    "- **Read the log chart.** A straight line is steady convergence: the gap shrinks by the "
    "same factor every step. Steeper is faster; a line going up is divergence.\n"
    "- **Other curves.** The double well: a big rate can hop over the hump. The plateau: the "
    "slope, not the rate, is the problem. The lopsided bowl: a rate that suits the gentle side "
    "overshoots on the wall. x⁴: no curvature at the bottom, so no straight line. Or type your "
    "own, e.g. `x**4 - 3*x**2 + x`."
)
RATES_TITLE = "**Learning rates: up to four runs side by side** (slide a run to *off* to hide it)"
ALL_OFF = "Every run is switched off: slide at least one rate away from *off*."
NO_PRESET = "This curve has no upward curvature at its minimum or at the start: no preset."


def fn_error_message(r: Result) -> str | None:
    """Why the typed function is not plotted, with the typed text in a code span."""
    if r.fn_error is None:
        return None
    typed = r.params.fn if len(r.params.fn) <= 60 else r.params.fn[:59] + "…"
    return (
        f"Can't use {code(typed)}: {r.fn_error} Showing the {code(DEFAULT_TEXT)} example instead."
    )


def run_error_message(r: Result) -> str | None:
    if r.run_error is None:
        return None
    return f"Can't start at x₀ = {fmt.num(r.x0)}: {r.run_error}. Pick another start."


def surface_caption(r: Result) -> str:
    return f"**{r.name}.** {r.blurb}"


def threshold_text(r: Result) -> str:
    th = r.theory
    if th is None:
        return (
            "**Thresholds:** this curve bends downwards (or not at all) at its minimum and at the "
            "start, so f'' gives no threshold here: every rate is a guess. Try another start."
        )
    c, f1, f2 = th.curv, th.fastest, th.diverge
    nums = (
        f"**1/f'' = {fmt.rate(f1)}** (one step to the bottom) and **2/f'' = {fmt.rate(f2)}** "
        "(above it, every step overshoots more: divergence)"
    )
    if r.params.surface == "quadratic":
        return f"**Thresholds:** f''(x) = a = {fmt.num(c)} everywhere on this parabola, so {nums}."
    if th.where == "minimum":
        return (
            f"**Thresholds at the minimum** x* = {fmt.num(th.at)}, where f'' = {fmt.num(c)}: "
            f"{nums}. The curvature changes along this curve, so they hold only near x*."
        )
    lead = (
        "f'' = 0 at the minimum (a flat bottom), so there is no threshold there. "
        if th.flat_min
        else "No minimum with upward curvature is known for this curve. "
    )
    return (
        f"**Thresholds at the start** x₀ = {fmt.num(th.at)}: {lead}Where the run starts, "
        f"f'' = {fmt.num(c)}: {nums}, for the first steps only."
    )


# ---- what the thresholds predict, next to what the runs did

#: what the parabola with the same f'' predicts, per regime (engine.theory.quadratic_regime)
PREDICTION = {
    "monotone": "slides in from one side, never crossing",
    "one step": "lands on the minimum in one step",
    "oscillating": "zig-zags in: crosses the minimum every step",
    "bounded oscillation": "bounces between two points forever",
    "diverging": "zig-zags out: every swing is bigger (diverges)",
}
#: the verdicts that agree with each prediction (the thresholds are measured at the minimum
#: nearest the start: settling there is what they predict, even if a lower minimum exists)
AGREES: dict[str, frozenset[Kind]] = {
    "monotone": frozenset({Kind.CONVERGED, Kind.SLOW, Kind.LOCAL_MIN}),
    "one step": frozenset({Kind.CONVERGED, Kind.LOCAL_MIN}),
    "oscillating": frozenset({Kind.OSCILLATING, Kind.CONVERGED, Kind.LOCAL_MIN}),
    "bounded oscillation": frozenset({Kind.OSCILLATING}),
    "diverging": frozenset({Kind.DIVERGED}),
}
#: the three bands of the rate axis: (name from the prediction, name from the thresholds alone,
#: the regimes inside it)
BANDS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("slides in", "below 1/f''", ("monotone",)),
    ("zig-zags in", "1/f'' to 2/f''", ("oscillating",)),
    ("diverges", "above 2/f''", ("diverging",)),
)


def regimes(r: Result) -> list[str]:
    """The parabola's prediction (a regime of ``quadratic_regime``) for each run shown."""
    if r.theory is None or not r.lrs:
        return []
    return [str(g) for g in quadratic_regime(r.theory.curv, np.array(r.lrs))]


def agrees(r: Result) -> list[bool]:
    """Whether each run did what the parabola with the same f'' predicts."""
    return [k in AGREES[g] for g, k in zip(regimes(r), r.kinds, strict=True)]


def bands(r: Result) -> tuple[str, str, str]:
    """The rate axis's band names: what the thresholds predict where every run in the band did
    it, else the thresholds alone (a run exactly on a threshold line is in no band)."""
    out = []
    regs, kinds = regimes(r), r.kinds
    for said, plain, inside in BANDS:
        ok = all(k in AGREES[g] for g, k in zip(regs, kinds, strict=True) if g in inside)
        out.append(said if ok else plain)
    return (out[0], out[1], out[2])


def marks(r: Result) -> list[str]:
    """Each run's mark on the rate axis: its label and what it did."""
    return [f"{lab} · {k}" for lab, k in zip(r.labels, r.kinds, strict=True)]


def theory_table(r: Result) -> str | None:
    th = r.theory
    if th is None or not r.shown:
        return None
    where = "on this parabola" if r.params.surface == "quadratic" else f"near x = {fmt.num(th.at)}"
    rows = [
        f"Each step multiplies the distance to the minimum by **1 − lr·f''** ({where}):",
        "",
        "| run | lr · f'' | factor 1 − lr·f'' | the parabola with this f'' predicts… | what it did |",
        "|---|---|---|---|---|",
    ]
    for label, lr, reg, kind, ok in zip(
        r.labels, r.lrs, regimes(r), r.kinds, agrees(r), strict=True
    ):
        m = lr * th.curv
        did = f"*{kind}*" if ok else f"*{kind}*: {_why_not(r)}"
        rows.append(f"| {label} | {fmt.num(m)} | {fmt.signed(1 - m)} | {PREDICTION[reg]} | {did} |")
    return "\n".join(rows)


def _why_not(r: Result) -> str:
    th = r.theory
    assert th is not None
    if abs(r.x0 - th.at) < 1e-12 and abs(th.g_at) < 1e-12:
        return "it starts at the minimum, so nothing moves"
    if r.params.surface == "quadratic":
        return f"{r.steps} steps are not enough to tell"
    return "f'' changes along the way, so the parabola's prediction holds only near x*"


def rows(p: Params, r: Result) -> list[Row]:
    """What happened: one verdict per run, from the engine."""
    return [Row(lab, k, v.text) for lab, k, v in zip(r.labels, r.kinds, r.verdicts, strict=True)]


def leave_notes(r: Result) -> list[str]:
    """Runs that leave the curve chart within the replayed steps (as the chart marks them)."""
    notes = []
    for label, p, b in zip(r.labels, r.path, r.diverged_at, strict=True):
        n = visible_prefix(p[: r.replay + 1], r.x_range)
        if n <= r.replay:
            nxt = p[n]
            where = f" (x = {fmt.num(float(nxt))})" if np.isfinite(nxt) else ""
            why = (
                f", and the engine stopped it at step {int(b)}" if b != NEVER else ", still growing"
            )
            notes.append(f"{label} leaves the chart at step {n}{where}{why}.")
    return notes


def curve_caption(r: Result) -> str:
    k = r.replay
    sub = str(k).translate(SUBSCRIPTS)
    notes = " ".join(leave_notes(r))
    return (
        f"The grey curve is the loss (★ its minimum); each run's iterates x₀ … x{sub} sit on it, "
        "joined by thin lines, so a run that crosses the minimum draws a zig-zag. The big marker "
        f"is where each run is at step {k}." + (f" {notes}" if notes else "")
    )


def curve_alt(r: Result) -> str:
    k = r.replay
    parts = []
    for label, kind, p, v in zip(r.labels, r.kinds, r.path, r.verdicts, strict=True):
        parts.append(f"{label} is at x = {fmt.num(float(p[k]))} after step {k} ({kind}: {v.text})")
    runs = "; ".join(parts) if parts else "no run is shown"
    return f"{r.name}, {_formula_words(r)}, from x₀ = {fmt.num(r.x0)}: {runs}."


def _formula_words(r: Result) -> str:
    if r.params.surface == CUSTOM:
        return f"f(x) = {r.text}"
    return ", ".join(f"{n} = {fmt.num(v)}" for n, v in r.params.surface_params)


def loss_caption(r: Result) -> str:
    if r.f_min is not None:
        return (
            "How far above the lowest value f_min each run is, step by step, on a log scale: a "
            "straight falling line is steady convergence (near the minimum the gap shrinks by "
            "(1 − lr·f'')² per step); a rising line is divergence; an ✕ marks where the engine "
            "stopped a run that blew up."
        )
    return (
        "The loss at each step, on the same scale as the curve (its lowest value is not known "
        "for this function, so no log gap); a line leaving the chart is a run that ran off."
    )


def loss_alt(r: Result) -> str:
    k = r.replay
    parts = []
    for label, kind, row in zip(r.labels, r.kinds, r.loss, strict=True):
        gap = row - r.f_min if r.f_min is not None else row
        what = "gap to f_min" if r.f_min is not None else "loss"
        parts.append(
            f"{label}: {what} {fmt.loss(float(gap[0]))} at step 0, "
            f"{fmt.loss(float(gap[k]))} at step {k} ({kind})"
        )
    return "Loss per step. " + "; ".join(parts) + "."


RATE_TITLE = "Why: where each rate sits next to 1/f'' and 2/f''"


def rate_caption(r: Result) -> str:
    head = (
        "Each run's rate on a log axis, with what it did. The parabola with the same f'' "
        "predicts: below 1/f'' a run slides in from one side, between 1/f'' and 2/f'' it "
        "zig-zags in, above 2/f'' it zig-zags out."
    )
    if r.theory is None:
        return "Each run's rate on a log axis, with what it did; this curve gives no threshold."
    named = bands(r)
    plain = [b[1] for b, got in zip(BANDS, named, strict=True) if got == b[1]]
    if not plain:
        return head
    which = " and ".join(f"“{p}”" for p in plain)
    one = len(plain) == 1
    return (
        f"{head} A band is named by that prediction only where every run in it did it: the "
        f"band{'' if one else 's'} {which} hold{'s a run' if one else ' runs'} that did something "
        f"else (f'' changes along the curve), so {'it is' if one else 'they are'} named by the "
        "thresholds alone."
    )


def rate_alt(r: Result) -> str:
    th = r.theory
    lines = (
        "no thresholds"
        if th is None
        else (f"1/f'' = {fmt.rate(th.fastest)}, 2/f'' = {fmt.rate(th.diverge)}")
    )
    return f"Rates on a log axis ({lines}): " + "; ".join(marks(r)) + "."


def table(p: Params, r: Result) -> pd.DataFrame:
    """Every run's iterates and losses (CSV)."""
    data = pd.DataFrame({"step": np.arange(r.steps + 1)})
    for lab, x, f in zip(r.labels, r.path, r.loss, strict=True):
        data[f"x {lab}"] = x
        data[f"f(x) {lab}"] = f
    return data


_ANSWER = {Kind.SLOW: 0, Kind.CONVERGED: 0, Kind.OSCILLATING: 1, Kind.DIVERGED: 3}


def question(p: Params, r: Result) -> Question:
    """Just above 2/f'' on the parabola: what happens?  (The answer is the engine's verdict.)"""
    a, lr, v = r.quiz_a, r.quiz_lr, r.quiz
    kind = Kind(str(v.kind))
    answer = _ANSWER.get(kind, 3)
    if kind == Kind.OSCILLATING and not v.converged:
        answer = 2
    factor = 1 - lr * a
    return Question(
        f"On the parabola with f'' = a = {fmt.num(a)}, what happens at a learning rate just "
        f"above 2/f'' = {fmt.rate(2 / a)}, say lr = {fmt.rate(lr)}?",
        (
            "It creeps in slowly, never crossing the minimum",
            "It zig-zags across the minimum and settles",
            "It bounces between the same two points forever",
            "It zig-zags with ever bigger swings: it diverges",
        ),
        answer,
        f"Each step multiplies the distance to the minimum by 1 − lr·f'' = {fmt.signed(factor)}: "
        f"it lands on the other side, {fmt.pct(abs(factor) - 1)} farther out, every step. From "
        f"x₀ = 4 the engine says: *{kind}*, {v.text}. At exactly 2/f'' the factor is −1 and the "
        "ball bounces forever (press *At the thresholds*); below 2/f'' the swings shrink.",
    )


def all_labels(r: Result) -> list[tuple[str, Kind]]:
    """Every run label the page writes next to a verdict (rows and rate-axis marks)."""
    return list(zip(r.labels, r.kinds, strict=True))


def band_of(r: Result, lr: float) -> int | None:
    """The band (0, 1, 2) of the rate axis holding ``lr``; None on a threshold line or when
    there are no thresholds."""
    th = r.theory
    if th is None:
        return None
    for edge in (th.fastest, th.diverge):
        if math.isclose(lr, edge, rel_tol=1e-9):
            return None
    return 0 if lr < th.fastest else 1 if lr < th.diverge else 2
