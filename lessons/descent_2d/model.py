"""Descent in 2-D: valleys, Rosenbrock, saddles and typed-in surfaces; the largest curvature
sets the largest stable learning rate.

The model: :class:`Params` (the page's controls and URL keys), :func:`compute` (every run,
number and verdict the page shows) and the sentences built from a :class:`Result`.  No
Streamlit, no plotly.

Labels and verdicts
-------------------
A run's label names where its rate sits against the curvature, and its verdict says what the
run did; the two are computed so that they never contradict:

* the tags *best*, *1/λmax* and *above 2/λmax* are only given where the theory is exact, on a
  surface whose Hessian is the same everywhere (a quadratic such as the ill-conditioned
  valley).  There ``2/(λmin + λmax)`` is the best fixed rate: it shrinks the distance to the
  minimum fastest, by ``(κ − 1)/(κ + 1)`` per step, *and* it zig-zags across the steep walls
  (the steep component is multiplied by ``1 − lr·λmax < 0`` every step).  On such a surface a
  run that zig-zags while the distance shrinks is *converged* once it is practically at the
  minimum and *too slow* before (the sentence says it zig-zags, and by how much the distance
  shrinks per step); neither is called *oscillating*, which reads as unstable.
* on any other surface the thresholds describe descent near one point only.  Where a run's
  fate disagrees with what its rate predicts at that point (above 2/λmax yet not diverged, as
  on Rosenbrock; below it yet blown up, as on Beale), the verdict says why, from the curvature
  the run met along its path.
* on a surface with no minimum (the saddle) nothing converges: a run that leaves the picture
  while the loss keeps falling is *unbounded*, not divergent, and no sentence says "not
  converged yet".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from engine import fmt
from engine.convergence import measured_contraction, predicted_contraction
from engine.descent import DescentError, run_many
from engine.expr import ExpressionError, parse_function
from engine.optim import OPTIMIZERS, Optimizer
from engine.surfaces import SURFACES_2D, Surface, get_surface
from engine.theory import Thresholds, local_thresholds
from engine.verdict import NEVER, Kind
from lessons.ui.fields import choice, multi, number, text
from lessons.ui.parts import Question, Row, TakeHome
from takehome import engine_descent, function_spec, torch_descent

# ------------------------------------------------------------------------------ settings

CUSTOM = "custom"
SURFACE_KEYS: tuple[str, ...] = (*SURFACES_2D, CUSTOM)
NAMES = {k: get_surface(k).name for k in SURFACES_2D} | {CUSTOM: "Type your own f(x, y)"}
KAPPAS: tuple[float, ...] = (1.0, 2.0, 5.0, 10.0, 20.0, 40.0, 100.0, 200.0)
WINDOWS: tuple[float, ...] = (1.0, 2.0, 3.0, 4.0, 5.0, 10.0)
DEFAULT_F = "x**2 + 3*x*y + 10*y**2"
STEPS: tuple[int, ...] = (10, 20, 30, 50, 75, 100, 150, 200, 300, 500, 1000, 2000)
#: a step count per surface that shows what it teaches
DEFAULT_STEPS = {
    "ill_conditioned": 100,
    "rosenbrock": 1000,
    "himmelblau": 100,
    "saddle": 50,
    "saddle_well": 100,
    "beale": 500,
    "six_hump_camel": 100,
    CUSTOM: 100,
}
MAX_RUNS = 4
LR_MIN, LR_MAX = 1e-5, 10.0
#: the start sliders' widest range (a typed function's window reaches ±10)
START_LIMIT = 10.0
MOMENTA: tuple[float, ...] = (0.0, 0.5, 0.8, 0.9, 0.95, 0.99)
OPT_NAMES = {"sgd": "Gradient descent (SGD)", "momentum": "Heavy-ball momentum",
             "nesterov": "Nesterov momentum", "adam": "Adam"}  # fmt: skip
MODES = ("rates", "optimisers")
MODE_NAMES = {"rates": "several learning rates", "optimisers": "several optimisers"}
#: the chart tabs, by their labels (``d2_view`` in a link opens one of them)
VIEWS = ("Top view (contours)", "3-D view", "Loss vs step")
CONTOUR, SURFACE3D, LOSS = VIEWS
GRID_2D, GRID_3D = 101, 60
#: steps over which the per-step contraction is measured
WINDOW = 20
#: the share of the landscape the 3-D view shows (the highest tenth is cut off)
CAP_QUANTILE = 0.9
#: a run this close to the minimum (share of its starting distance) is practically there
THERE = 0.01
#: rates within this relative distance of a threshold carry its tag
TAG_RTOL = 5e-3


#: significant digits of this page's rates: the theory's presets carry four (0.04762), so the
#: label, the box and the theory lines show the same number
RATE_DIGITS = 4


def _rate(v: float | None) -> str:
    return fmt.rate(v, RATE_DIGITS)


def _g(v: float) -> str:
    """An option's label as the old page wrote it (and links carry it): 20, 0.9, 3."""
    return f"{v:g}"


@dataclass(frozen=True)
class Params:
    """The view: surface, start, runs (rates or optimisers), steps and the open chart tab.

    The start, the rates and the step count default to ``None``: the surface's own (its start,
    the theory's rates for its curvature, its step count), until the learner or a link sets
    them.
    """

    surface: str = choice("d2_surface", "Surface", SURFACE_KEYS, "ill_conditioned", names=NAMES)
    kappa: float = choice(
        "d2_kappa",
        "Condition number κ = λmax / λmin",
        KAPPAS,
        20.0,
        names=_g,
        help="λmin stays 1, so κ is the curvature across the valley, λmax.",
    )
    angle: int = number(
        "d2_angle",
        "Valley angle (degrees)",
        -90,
        90,
        30,
        step=5,
        help="The direction of the valley floor; the start point turns with it.",
    )
    f: str = text(
        "d2_f",
        "f(x, y) =",
        DEFAULT_F,
        max_chars=200,
        help="Numbers, `x`, `y`, `+ - * / **` (or `^`), parentheses, `pi`, `e` and `sin cos "
        "tan exp log sqrt abs tanh sinh cosh arctan sigmoid`. Write `3*x`, not `3x`.",
    )
    win: float = choice("d2_win", "Window: −w … w on both axes", WINDOWS, 3.0, names=_g)
    x0: float | None = number(
        "d2_x0", "Start x", -START_LIMIT, START_LIMIT, None, step=0.01, integer=False,
        auto="this surface's own start",
    )  # fmt: skip
    y0: float | None = number(
        "d2_y0", "Start y", -START_LIMIT, START_LIMIT, None, step=0.01, integer=False,
        auto="this surface's own start",
    )  # fmt: skip
    mode: str = choice("d2_mode", "Compare", MODES, "rates", names=MODE_NAMES)
    n: int = choice("d2_n", "Runs", (1, 2, 3, 4), 3)
    lr1: float | None = number(
        "d2_lr1", "Learning rate 1", LR_MIN, LR_MAX, None, integer=False,
        auto="the theory's rate for this surface",
    )  # fmt: skip
    lr2: float | None = number(
        "d2_lr2", "Learning rate 2", LR_MIN, LR_MAX, None, integer=False,
        auto="the theory's rate for this surface",
    )  # fmt: skip
    lr3: float | None = number(
        "d2_lr3", "Learning rate 3", LR_MIN, LR_MAX, None, integer=False,
        auto="the theory's rate for this surface",
    )  # fmt: skip
    lr4: float | None = number(
        "d2_lr4", "Learning rate 4", LR_MIN, LR_MAX, None, integer=False,
        auto="the theory's rate for this surface",
    )  # fmt: skip
    olr: float | None = number(
        "d2_olr", "Learning rate (all optimisers)", LR_MIN, LR_MAX, None, integer=False,
        auto="the theory's best rate for this surface",
    )  # fmt: skip
    opts: tuple = multi("d2_opts", "Optimisers", OPTIMIZERS, OPTIMIZERS, names=OPT_NAMES)
    mom: float = choice("d2_mom", "Momentum μ (heavy ball and Nesterov)", MOMENTA, 0.9, names=_g)
    steps: int | None = choice(
        "d2_steps", "Steps", STEPS, None, help="At most 2000 steps per run.",
        auto="this surface's own step count",
    )  # fmt: skip
    view: str = choice("d2_view", "View", VIEWS, CONTOUR)

    @property
    def rates(self) -> tuple[float | None, ...]:
        """The four rate fields (None: the theory's preset)."""
        return (self.lr1, self.lr2, self.lr3, self.lr4)


# ------------------------------------------------------------------------------ pure helpers


def r4(v: float) -> float:
    """Four significant digits (rates people can read and type; close enough to the theory's
    that the best rate stays below 2/λmax up to κ = 20000)."""
    return float(f"{v:.4g}")


def build_surface(p: Params, text: str | None = None) -> Surface:
    """The surface the view describes (raises ExpressionError for a bad typed function)."""
    if p.surface == CUSTOM:
        w = float(p.win)
        return parse_function(
            p.f if text is None else text, variables=("x", "y"), window=((-w, w), (-w, w))
        )
    if p.surface == "ill_conditioned":
        return get_surface(p.surface, kappa=float(p.kappa), angle=float(p.angle))
    return get_surface(p.surface)


def slider_step(window: tuple[float, float]) -> float:
    """The start slider's step for a window: finer on a small window."""
    span = window[1] - window[0]
    return 0.01 if span <= 5 else 0.05 if span <= 12 else 0.1


def snap(v: float, window: tuple[float, float]) -> float:
    """``v`` on the start slider's grid, inside the window."""
    s = slider_step(window)
    return float(np.clip(round(round(v / s) * s, 6), window[0], window[1]))


def presets(th: Thresholds | None) -> tuple[float, ...]:
    """Four rates from the curvature at the surface's point: ½·best, best, just above 2/λmax
    and 1/λmax (without a minimum: fractions of 2/λmax; without any curvature: a spread)."""
    if th is not None and th.kind == "convex":
        vals = (th.best / 2, th.best, 1.05 * th.diverge, th.fastest)
    elif th is not None and th.diverge is not None:
        d = th.diverge
        vals = (0.05 * d, 0.25 * d, 0.75 * d, 1.05 * d)
    else:
        vals = (0.01, 0.03, 0.1, 0.3)
    return tuple(float(np.clip(r4(v), LR_MIN, LR_MAX)) for v in vals)


def rate_step(rates: Sequence[float]) -> float:
    """The rate boxes' +/- step: a fifth of the second preset's decade."""
    return 10 ** math.floor(math.log10(rates[1])) / 5


def constant_hessian(s: Surface, points: Sequence[Sequence[float]]) -> bool:
    """The Hessian is the same at the window's corners, centre and ``points``: a quadratic,
    where the thresholds hold everywhere, not only near one point."""
    (xl, xh), (yl, yh) = s.window
    probe = [(xl, yl), (xl, yh), (xh, yl), (xh, yh), (0.5 * (xl + xh), 0.5 * (yl + yh))]
    pts = np.asarray([*probe, *points], dtype=float)
    h = s.hessian(pts)
    if not np.all(np.isfinite(h)):
        return False
    scale = max(float(np.max(np.abs(h))), 1e-12)
    return bool(np.allclose(h, h[0], rtol=0.0, atol=1e-9 * scale))


# ------------------------------------------------------------------------------ the result


@dataclass(frozen=True, eq=False)
class Result:
    """Everything the page shows for one :class:`Params`."""

    params: Params
    # the surface
    key: str
    name: str
    formula: str
    blurb: str
    window: tuple[tuple[float, float], tuple[float, float]]
    minima: tuple
    saddles: tuple
    f_min: float | None
    error: str | None  #: why a typed function could not be used (the default is shown)
    points: tuple  #: the points the theory is computed at (minima, else saddles)
    point_kind: str  #: "minimum" or "saddle point"
    thresholds: tuple[Thresholds, ...]
    quadratic: bool  #: the Hessian is the same everywhere: the theory is exact
    # what the view starts from (the surface's own unless the learner set them)
    start_auto: tuple[float, float]
    rates_auto: tuple[float, ...]
    steps_auto: int
    start: tuple[float, float]
    steps: int
    # the runs
    configs: tuple[tuple[str, float], ...]
    labels: tuple[str, ...]
    run_error: str | None
    path: np.ndarray  #: (K, T+1, 2), NaN after a blow-up
    loss: np.ndarray  #: (K, T+1)
    grad_norm: np.ndarray  #: (K, T+1) |gradient| where the run stood
    blowup: np.ndarray  #: (K,) step of the blow-up, NEVER if none
    engine_kinds: tuple[Kind, ...]  #: the engine's verdicts, before the lesson's reading
    kinds: tuple[Kind, ...]
    texts: tuple[str, ...]
    measured: np.ndarray  #: (K,) measured per-step contraction near the nearest point
    nearest: np.ndarray  #: (K,) index of that point
    measured_from: np.ndarray
    measured_to: np.ndarray
    predicted: np.ndarray  #: (K,) predicted contraction there (NaN: no linear theory)
    curvature: np.ndarray  #: (K, T+1) largest Hessian eigenvalue where the run stood
    left_at: np.ndarray  #: (K,) first step outside the picture, NEVER if none
    # the open tab's picture
    grid: tuple[np.ndarray, np.ndarray, np.ndarray] | None
    cap: float | None  #: the 3-D view's height limit

    @property
    def th(self) -> Thresholds | None:
        """The thresholds at the surface's first point (its global minimum)."""
        return self.thresholds[0] if self.thresholds else None

    @property
    def rates_mode(self) -> bool:
        return self.params.mode == "rates"

    @property
    def lrs(self) -> tuple[float, ...]:
        return tuple(lr for _, lr in self.configs)

    @property
    def loss_shown(self) -> np.ndarray:
        """What the loss chart draws: the loss above the minimum, or the loss itself."""
        return self.loss - self.f_min if self.f_min is not None else self.loss


def _surface_or_default(p: Params) -> tuple[Surface, str | None]:
    try:
        return build_surface(p), None
    except ExpressionError as err:
        return build_surface(p, DEFAULT_F), str(err)


def _start(s: Surface) -> tuple[float, float]:
    (xw, yw) = s.window
    return snap(s.default_start[0], xw), snap(s.default_start[1], yw)


def _configs(p: Params, rates: tuple[float, ...]) -> tuple[tuple[str, float], ...]:
    if p.mode == "rates":
        return tuple(
            ("sgd", float(r if r is not None else rates[i]))
            for i, r in enumerate(p.rates[: int(p.n)])
        )
    lr = float(p.olr if p.olr is not None else rates[1])
    chosen = [o for o in OPTIMIZERS if o in p.opts] or ["sgd"]
    return tuple((name, lr) for name in chosen)


def compute(p: Params) -> Result:
    """The surface, the runs (one engine call for all of them), the curvature they meet, the
    measured against the predicted contraction, the verdicts, and the open tab's picture."""
    s, error = _surface_or_default(p)
    points = s.minima if s.minima else s.saddles
    thresholds = tuple(local_thresholds(s, pt) for pt in points)
    th = thresholds[0] if thresholds else None
    rates_auto = presets(th)
    start_auto = _start(s)
    steps_auto = DEFAULT_STEPS[p.surface]
    start = (
        start_auto[0] if p.x0 is None else float(p.x0),
        start_auto[1] if p.y0 is None else float(p.y0),
    )
    steps = steps_auto if p.steps is None else int(p.steps)
    configs = _configs(p, rates_auto)
    quadratic = bool(thresholds) and constant_hessian(s, points)
    labels = tuple(_label(p, name, lr, th, quadratic) for name, lr in configs)
    grid, cap = _picture(s, p.view)
    base = dict(
        params=p, key=s.key, name=s.name, formula=s.formula, blurb=s.blurb,
        window=tuple(tuple(w) for w in s.window), minima=s.minima, saddles=s.saddles,
        f_min=s.f_min, error=error, points=points,
        point_kind="minimum" if s.minima else "saddle point", thresholds=thresholds,
        quadratic=quadratic, start_auto=start_auto, rates_auto=rates_auto,
        steps_auto=steps_auto, start=start, steps=steps, configs=configs, labels=labels,
        grid=grid, cap=cap,
    )  # fmt: skip
    mu = float(p.mom)
    try:
        res = run_many(
            s, start, [(Optimizer(name, momentum=mu), lr) for name, lr in configs], steps=steps
        )
    except DescentError as err:
        k = len(configs)
        empty = np.full((k, 1, 2), np.nan)
        nan = np.full(k, np.nan)
        return Result(
            **base, run_error=str(err), path=empty, loss=empty[..., 0], grad_norm=empty[..., 0],
            blowup=np.full(k, NEVER), engine_kinds=(), kinds=(), texts=(), measured=nan,
            nearest=np.zeros(k, dtype=int), measured_from=np.full(k, NEVER),
            measured_to=np.full(k, NEVER), predicted=nan, curvature=empty[..., 0],
            left_at=np.full(k, NEVER),
        )  # fmt: skip
    blowup = np.asarray(res.diverged_at, dtype=np.int64)
    pts = np.asarray(points, dtype=float).reshape(-1, 2)
    m = measured_contraction(res.path, pts, window=WINDOW)
    predicted = np.full(len(configs), np.nan)
    for i, (name, lr) in enumerate(configs):
        if not thresholds:
            continue
        t_i = thresholds[int(m.point[i])]
        if name != "adam" and t_i.kind in ("convex", "saddle"):
            predicted[i] = float(predicted_contraction(t_i.eigenvalues, lr, name, mu))
    curvature = _curvature(s, res.path)
    left_at = _left_at(res.path, s.window)
    engine_kinds = tuple(Kind(v.kind) for v in res.verdicts)
    kinds, texts = [], []
    for i, v in enumerate(res.verdicts):
        kind, sentence = _reading(
            s, res.path[i], res.loss[i], v, int(left_at[i]), quadratic, float(m.rate[i])
        )
        kinds.append(kind)
        texts.append(sentence)
    out = Result(
        **base, run_error=None, path=res.path, loss=res.loss, grad_norm=res.grad_norm,
        blowup=blowup,
        engine_kinds=engine_kinds, kinds=tuple(kinds), texts=tuple(texts), measured=m.rate,
        nearest=m.point, measured_from=m.start, measured_to=m.end, predicted=predicted,
        curvature=curvature, left_at=left_at,
    )  # fmt: skip
    why = tuple(_why(out, i) for i in range(len(configs)))
    texts = tuple(t if w is None else f"{t}. {w}" for t, w in zip(out.texts, why, strict=True))
    return replace(out, texts=texts)


def _picture(s: Surface, view: str):
    """The open tab's grid (only the open tab is computed and sent)."""
    if view == CONTOUR:
        return s.grid(GRID_2D), None
    if view == SURFACE3D:
        xs, ys, z = s.grid(GRID_3D)
        finite = z[np.isfinite(z)]
        cap = float(np.quantile(finite, CAP_QUANTILE)) if finite.size else None
        return (xs, ys, z), cap
    return None, None


def _curvature(s: Surface, path: np.ndarray) -> np.ndarray:
    """The largest Hessian eigenvalue at every position of every run (NaN where it is not)."""
    ok = np.all(np.isfinite(path), axis=-1)
    safe = np.where(ok[..., None], path, 0.0)
    h = s.hessian(safe)
    good = ok & np.all(np.isfinite(h), axis=(-2, -1))
    h = np.where(good[..., None, None], h, 0.0)
    lam = np.linalg.eigvalsh(0.5 * (h + np.swapaxes(h, -1, -2)))[..., -1]
    return np.where(good, lam, np.nan)


def _left_at(path: np.ndarray, window) -> np.ndarray:
    """The first step at which each run stands outside the picture (NEVER if it never does)."""
    (xl, xh), (yl, yh) = window
    with np.errstate(invalid="ignore"):
        inside = (
            (path[..., 0] >= xl)
            & (path[..., 0] <= xh)
            & (path[..., 1] >= yl)
            & (path[..., 1] <= yh)
        )
    finite = np.all(np.isfinite(path), axis=-1)
    out = finite & ~inside
    first = np.where(out.any(axis=1), np.argmax(out, axis=1), NEVER)
    return first.astype(np.int64)


def _share_left(s: Surface, path: np.ndarray) -> float | None:
    """What share of its starting distance to the nearest minimum a run has left (None: no
    minimum, or the run did not end finite)."""
    if not s.minima:
        return None
    fin = np.flatnonzero(np.all(np.isfinite(path), axis=-1))
    end = path[fin[-1]]
    mins = np.asarray(s.minima, dtype=float).reshape(-1, 2)
    j = int(np.argmin(np.linalg.norm(mins - end, axis=-1)))
    d0 = float(np.linalg.norm(path[0] - mins[j]))
    return float(np.linalg.norm(end - mins[j])) / d0 if d0 > 0 else 0.0


def _reading(
    s: Surface, path, loss, v, left: int, quadratic: bool, shrink: float
) -> tuple[Kind, str]:
    """The lesson's reading of the engine's verdict (see the module docstring)."""
    kind = Kind(v.kind)
    if kind == Kind.OSCILLATING and s.minima:
        share = _share_left(s, path)
        if v.converged or (share is not None and share <= THERE):
            return Kind.CONVERGED, v.text  # practically there; the sentence says it zig-zags
        if quadratic and share is not None and np.isfinite(shrink) and shrink < 1.0:
            t_max = loss.shape[0] - 1
            return Kind.SLOW, (
                f"zig-zagging across the steep direction while it converges, but after {t_max} "
                f"steps still {fmt.pct(share)} of the way from the minimum: the distance only "
                f"shrinks ×{fmt.num(shrink)} per step"
            )
    if not s.minima and kind == Kind.SLOW:
        t_max = loss.shape[0] - 1
        a, b = fmt.loss(float(loss[0])), fmt.loss(float(loss[-1]))
        falling = bool(loss[-1] < loss[-2]) if t_max >= 1 else False
        nothing = (
            "this surface has no minimum, so there is nothing to converge to"
            if s.key != CUSTOM
            else "no minimum was found in the window, so there may be nothing to converge to"
        )
        if left != NEVER and falling:
            return Kind.UNBOUNDED, (
                f"slid off downhill and left the picture at step {left}; after {t_max} steps "
                f"the loss went from {a} to {b} and keeps falling: {nothing}"
            )
        trend = "still falling" if falling else "still changing"
        return (
            Kind.SLOW,
            f"after {t_max} steps the loss went from {a} to {b} and is {trend}: {nothing}",
        )
    return kind, v.text


def _why(r: Result, i: int) -> str | None:
    """Why a run's fate disagrees with what its rate predicts at the surface's point, from the
    curvature it met on its way (None when they agree, or with no theory to disagree with)."""
    name, lr = r.configs[i]
    if name != "sgd" or not r.thresholds or r.run_error:
        return None
    t_i = r.thresholds[int(r.nearest[i])]
    if t_i.kind != "convex":
        return None
    edge = f"2/λmax = {_rate(t_i.diverge)} at the {r.point_kind}"
    above = lr > t_i.diverge * (1 + 1e-12)
    blew = r.kinds[i] == Kind.DIVERGED
    lam = r.curvature[i]
    seen = np.flatnonzero(np.isfinite(lam))
    if seen.size == 0:
        return None
    steep = lr * lam[seen] > 2.0
    if not above and blew:
        if not steep[-1]:
            return (
                f"Its rate is below {edge}, yet it blew up: far from that point one step can "
                "throw it further than the curvature there suggests"
            )
        gentle = np.flatnonzero(~steep)
        t = int(seen[gentle[-1] + 1]) if gentle.size else int(seen[0])
        return (
            f"Its rate is below {edge}, yet it blew up: it never got near there. From step {t} "
            f"on, everywhere it stood was too steep for its rate: at step {t}, at "
            f"{_pt(r.path[i, t])}, the steepest curvature is λ = {fmt.num(lam[t])}, so 2/λ = "
            f"{_rate(2.0 / lam[t])} is far below its rate, and every step overshot further"
        )
    if not above or blew or r.kinds[i] == Kind.UNBOUNDED:
        return None
    if r.quadratic:
        return (
            "Its rate is above 2/λmax, yet it has not blown up: its start has almost no "
            "component along the steep direction for the overshoot to amplify"
        )
    last = int(seen[-1])
    tail = seen[-min(WINDOW, seen.size) :]
    if not np.any(lr * lam[tail] > 2.0):
        n_steep = int(np.count_nonzero(steep))
        before = (
            f" (it met ground that steep on {n_steep} of its steps, up to λ = "
            f"{fmt.num(float(np.max(lam[seen][steep])))}, and was thrown on to gentler ground)"
            if n_steep
            else ""
        )
        return (
            f"Its rate is above {edge}, yet it did not blow up: it has not got there. Where it "
            f"is now, {_pt(r.path[i, last])}, the steepest curvature is λ = "
            f"{fmt.num(lam[last])}, so 2/λ = {_rate(2.0 / lam[last])} is still above its "
            f"rate{before}"
        )
    lo, hi = float(np.min(lam[tail])), float(np.max(lam[tail]))
    return (
        f"Its rate is above {edge}, yet it did not blow up: over its last {tail.size} steps it "
        f"swung between ground steeper and gentler than its limit λ = 2/lr = "
        f"{fmt.num(2.0 / lr)} (λ from {fmt.num(lo)} to {fmt.num(hi)}): each overshoot lands "
        "where the surface is gentler, so the swings stay bounded"
    )


def _pt(xy) -> str:
    """A position for people: coordinates below 1e-9 are 0."""
    x, y = (0.0 if abs(float(v)) < 1e-9 else float(v) for v in xy)
    return f"({fmt.num(x)}, {fmt.num(y)})"


# ------------------------------------------------------------------------------ labels


def rate_tag(lr: float, th: Thresholds | None, quadratic: bool) -> str:
    """Where a rate sits against the thresholds, for its label: only where the theory is
    exact (a quadratic), so a tag never promises what the run does not do."""
    if th is None or not quadratic or th.kind != "convex":
        return ""
    if th.diverge is not None and lr > th.diverge * (1 + 1e-9):
        return " (above 2/λmax)"
    if th.best is not None and abs(lr / th.best - 1) < TAG_RTOL:
        return " (best)"
    if th.fastest is not None and abs(lr / th.fastest - 1) < TAG_RTOL:
        return " (1/λmax)"
    return ""


def _label(p: Params, name: str, lr: float, th: Thresholds | None, quadratic: bool) -> str:
    if p.mode == "rates":
        return f"lr = {_rate(lr)}{rate_tag(lr, th, quadratic)}"
    return f"{Optimizer(name, momentum=float(p.mom)).label}, lr = {_rate(lr)}"


#: what a tag promises, as the verdict kinds that keep the promise
TAG_KINDS: dict[str, tuple[Kind, ...]] = {
    "(best)": (Kind.CONVERGED, Kind.SLOW),
    "(1/λmax)": (Kind.CONVERGED, Kind.SLOW),
    "(above 2/λmax)": (Kind.DIVERGED,),
}


# ------------------------------------------------------------------------------ words

INTRO = (
    "Two parameters, one learning rate. On a long, narrow valley the **steepest** direction "
    "decides the largest rate that is stable, **2/λmax**, and at that rate the gentle floor "
    "of the valley is crossed painfully slowly."
)
LECTURE_INTRO = (
    "On a long, narrow valley the **steepest** direction decides the largest stable rate, "
    "**2/λmax**."
)
NARRATIVE = (
    "- **At the defaults** three rates run down a long valley whose walls are 20 times steeper "
    "than its floor (κ = 20). Half the best rate creeps; the best rate 2/(λmin + λmax) gets "
    "there fastest, zig-zagging across the valley's steep walls on the way; a rate just above "
    "2/λmax zig-zags *further* on every step and leaves the picture.\n"
    "- **Raise κ** (steeper walls, same floor): 2/λmax drops, and rates that were fine now "
    "diverge. Lower κ to 1 (a round bowl): the best rate lands in one step.\n"
    "- **Compare the measured contraction with the prediction** under the charts: near the "
    "minimum the distance shrinks by max|1 − lr·λ| per step, so the steep direction decides "
    "whether it diverges and the gentle one how slowly it converges.\n"
    "- **Try the other surfaces**: Rosenbrock's curved valley (thousands of steps; its "
    "curvature changes along the way), saddles (descent lingers, then slides off for ever), "
    "several minima (where you end depends on start and rate), or type a function. Switch to "
    "*several optimisers* to race momentum and Adam."
)


def rows(p: Params, r: Result) -> list[Row]:
    """One verdict line per run."""
    return [Row(lab, k, t) for lab, k, t in zip(r.labels, r.kinds, r.texts, strict=True)]


def error_sentence(r: Result) -> str | None:
    """What was wrong with a typed function (the default is shown instead)."""
    if r.error is None:
        return None
    typed = r.params.f[:60].replace("`", "'")
    return f"Can't use `{typed}`: {_plain_md(r.error)} Showing f(x, y) = `{DEFAULT_F}` instead."


def _plain_md(s: str) -> str:
    """Engine text shown as Markdown: its ``*``, ``_`` and backticks are not formatting."""
    return s.replace("\\", "\\\\").replace("*", "\\*").replace("_", "\\_").replace("`", "'")


def run_error_sentence(r: Result) -> str | None:
    if r.run_error is None:
        return None
    x, y = r.start
    return f"Can't run from ({fmt.num(x)}, {fmt.num(y)}): {r.run_error}"


def rate_hint(r: Result) -> str:
    """The rate boxes' tooltip."""
    th = r.th
    if th is not None and th.diverge is not None:
        return f"2/λmax = {_rate(th.diverge)} at the {r.point_kind}"
    return "no curvature limit known here"


def theory_button(r: Result) -> str | None:
    """The label of the button that sets the theory's rates (None without a minimum)."""
    th = r.th
    if th is None or th.kind != "convex":
        return None
    at = "" if r.quadratic else " at the minimum"
    return (
        f"Theory's rates{at}: ½·best, best = {_rate(th.best)}, just above 2/λmax = "
        f"{_rate(th.diverge)}, 1/λmax"
    )


def _left_sentence(r: Result) -> str:
    """Which runs leave the picture, and why, from their verdicts."""
    parts = []
    for i, lab in enumerate(r.labels):
        if int(r.left_at[i]) == NEVER:
            continue
        kind = r.kinds[i]
        if kind == Kind.DIVERGED:
            parts.append(f"{lab} leaves it at step {int(r.left_at[i])} because it diverged")
        elif kind == Kind.UNBOUNDED:
            parts.append(
                f"{lab} leaves it at step {int(r.left_at[i])} downhill: the loss keeps falling"
            )
        else:
            parts.append(f"{lab} leaves it at step {int(r.left_at[i])} ({kind})")
    return (" Leaving the frame: " + "; ".join(parts) + ".") if parts else ""


def caption(r: Result, view: str) -> str:
    """The open tab's caption; every number in it is one the chart shows."""
    if view == CONTOUR:
        marks = "stars are minima" if r.minima else "the cross is the saddle point"
        return (
            "Seen from above: contour lines of the loss, spaced evenly in log(loss) so the "
            f"valley floor shows; each line with markers is one run from the ringed start circle, "
            f"{marks}." + _left_sentence(r)
        )
    if view == SURFACE3D:
        cut = f" above a loss of {fmt.loss(r.cap)}" if r.cap is not None else ""
        return (
            "The same runs on the loss surface itself (drag to turn it). The highest tenth of "
            f"the landscape is cut off{cut} so the valleys stay visible." + _left_sentence(r)
        )
    if r.f_min is not None:
        return (
            "Loss above the minimum at every step, on a log scale: a straight line downwards "
            "is a constant shrink factor per step; ✕ marks a run that blew up."
        )
    return (
        "The loss at every step (this surface has no known minimum to measure from); ✕ marks "
        "a run that blew up or ran off."
    )


def alt(r: Result, view: str) -> str:
    """The open chart in words, for a screen reader: the verdicts and the key numbers."""
    what = {CONTOUR: "Contour map", SURFACE3D: "3-D surface", LOSS: "Loss against step"}[view]
    runs = "; ".join(
        f"{lab}: {k}, {t}" for lab, k, t in zip(r.labels, r.kinds, r.texts, strict=True)
    )
    x, y = r.start
    return (
        f"{what} of {r.name} with {len(r.labels)} run(s) of {r.steps} steps from "
        f"({fmt.num(x)}, {fmt.num(y)}). {runs}."
    )


def eigen_sentence(r: Result) -> str | None:
    th = r.th
    if th is None:
        return None
    p = r.points[0]
    lam = th.eigenvalues
    kappa = f", condition number **κ = {fmt.num(th.kappa, 4)}**" if th.kappa is not None else ""
    return (
        f"Hessian eigenvalues at the {r.point_kind} ({fmt.num(p[0])}, {fmt.num(p[1])}): "
        f"**λmin = {fmt.num(lam[0], 4)}**, **λmax = {fmt.num(lam[-1], 4)}**{kappa}."
    )


def theory_lines(r: Result) -> str | None:
    """What the curvature predicts, in bullets."""
    th = r.th
    if th is None:
        return None
    if th.kind == "convex":
        where = "" if r.quadratic else " near the minimum (elsewhere the curvature differs)"
        return (
            f"- largest stable rate **2/λmax = {_rate(th.diverge)}**{where}: set by the "
            "*steepest* direction alone\n"
            f"- best fixed rate **2/(λmin + λmax) = {_rate(th.best)}**: it shrinks the "
            f"distance fastest, by **(κ − 1)/(κ + 1) = {fmt.num(th.contraction_at_best, 4)}** per "
            "step, and zig-zags across the steep direction while doing so (1 − lr·λmax < 0)\n"
            f"- 1/λmax = {_rate(th.fastest)} removes the steep component in one step"
        )
    if th.kind == "saddle":
        lo, hi = th.eigenvalues[0], th.eigenvalues[-1]
        return (
            f"- downhill direction (λ = {fmt.num(lo)} < 0): the distance from the saddle grows "
            f"×(1 + lr·{fmt.num(-lo)}) per step at **every** rate, so there is no stable rate "
            "and nothing to converge to\n"
            f"- uphill direction (λ = {fmt.num(hi)}): rates above 2/λ = {_rate(th.diverge)} "
            "overshoot across the ridge more on every step"
        )
    return None


def no_theory_sentence(r: Result) -> str | None:
    if r.thresholds:
        return None
    return (
        "No minimum or saddle point was found in the window, so there is no curvature to "
        "predict from: try a wider window or a function with a minimum."
    )


def contraction_caption(r: Result) -> str:
    th = r.th
    return (
        "Predicted per-step shrink factor of the distance to the minimum, max|1 − lr·λ|, "
        "against the rate (thick line): a V whose right arm, set by λmax alone, crosses 1 at "
        f"2/λmax = {_rate(th.diverge)}, with its bottom at the best rate "
        f"{_rate(th.best)}. Markers: what each run actually did near the end."
    )


def contraction_alt(r: Result) -> str:
    th = r.th
    runs = "; ".join(
        f"{lab}: predicted {fmt.num(p)}, measured {fmt.num(m)} per step"
        for lab, p, m in zip(r.labels, r.predicted, r.measured, strict=True)
    )
    return (
        f"Predicted shrink factor against the rate: below 1 up to 2/λmax = "
        f"{_rate(th.diverge)}, lowest ({fmt.num(th.contraction_at_best)}) at the best rate "
        f"{_rate(th.best)}. {runs}."
    )


def show_contraction(r: Result) -> bool:
    """The contraction-vs-rate chart: gradient descent against a convex minimum."""
    return r.rates_mode and r.th is not None and r.th.kind == "convex" and r.run_error is None


def theory_table(r: Result) -> pd.DataFrame:
    """Predicted against measured contraction, one row per run."""
    rows_ = []
    for i, lab in enumerate(r.labels):
        a, b = int(r.measured_from[i]), int(r.measured_to[i])
        rows_.append(
            {
                "run": lab,
                "verdict": str(r.kinds[i]),
                "predicted ×/step": float(r.predicted[i]),
                "measured ×/step": float(r.measured[i]),
                "measured over steps": f"{a}–{b}" if b >= 0 else fmt.MISSING,
            }
        )
    return pd.DataFrame(rows_)


def agreement(r: Result) -> str:
    """Measured against predicted, in words."""
    where = r.point_kind
    lines = []
    for i, lab in enumerate(r.labels):
        p, m = float(r.predicted[i]), float(r.measured[i])
        if not np.isfinite(m):
            lines.append(f"- **{lab}**: landed on the {where} exactly; nothing left to measure.")
        elif not np.isfinite(p):
            lines.append(
                f"- **{lab}**: measured {fmt.num(m, 4)} per step (no linear theory predicts Adam)."
            )
        else:
            off = abs(m - p) / p if p > 0 else abs(m - p)
            how = "shrinks" if m < 1 else "grows"
            whom = "the minimum" if r.minima else "the saddle"
            if off < 0.02:
                agree = "as predicted."
            elif r.quadratic:  # the theory is exact here: it is the window that is early
                a, b = int(r.measured_from[i]), int(r.measured_to[i])
                agree = (
                    f"the prediction ({fmt.num(p, 4)}) is off by {fmt.pct(off)}: measured over "
                    f"steps {a}–{b}, before the steepest direction dominates the distance."
                )
            else:
                agree = (
                    f"the prediction ({fmt.num(p, 4)}) is off by {fmt.pct(off)} (it only holds "
                    "close to the point, where the surface is nearly a quadratic)."
                )
            lines.append(
                f"- **{lab}**: the distance to {whom} {how} ×{fmt.num(m, 4)} per step, {agree}"
            )
    return "\n".join(lines)


# ------------------------------------------------------------------------------ the question

KAPPA_OPTIONS = ("It doubles", "It stays the same", "It halves", "It drops to a quarter")
NO_MINIMUM_OPTIONS = (
    "It settles at a point where the slope is zero",
    "It lingers where the slope is small, then slides off downhill, the loss falling for ever",
    "It blows up because the rate is too large",
    "It barely moves from where it started",
)


def question(p: Params, r: Result) -> Question:
    """On a surface with a minimum: what a steeper valley does to 2/λmax.  On one without (the
    saddle): what descent does there, answered from the first run."""
    if not r.minima and r.kinds:
        return _no_minimum_question(p, r)
    k = float(p.kappa) if p.surface == "ill_conditioned" else 20.0
    now = local_thresholds(get_surface("ill_conditioned", kappa=k), (0.0, 0.0))
    then = local_thresholds(get_surface("ill_conditioned", kappa=2 * k), (0.0, 0.0))
    more = (
        f" Set κ to {_g(2 * k)} to watch your rates: any of them between "
        f"{_rate(then.diverge)} and {_rate(now.diverge)} now diverges."
        if 2 * k in KAPPAS
        else ""
    )
    return Question(
        f"The valley gets twice as steep across (κ = {_g(k)} → {_g(2 * k)}; its floor stays as "
        "gentle, λmin = 1). What happens to the largest stable learning rate 2/λmax?",
        KAPPA_OPTIONS,
        2,
        f"2/λmax goes from {_rate(now.diverge)} to {_rate(then.diverge)}: only the "
        f"steepest curvature counts. The best rate falls from {_rate(now.best)} to "
        f"{_rate(then.best)} and converges more slowly, ×{fmt.num(now.contraction_at_best)} → "
        f"×{fmt.num(then.contraction_at_best)} per step, because the gentle floor is now "
        "crossed with a smaller rate." + more,
    )


def _no_minimum_question(p: Params, r: Result) -> Question:
    lab, kind = r.labels[0], r.kinds[0]
    path = r.path[0]
    fin = np.flatnonzero(np.all(np.isfinite(path), axis=-1))
    slope = r.grad_norm[0, fin]
    flat = int(fin[np.argmin(slope)])
    moved = float(np.linalg.norm(path[fin[-1]] - path[0]))
    span = float(max(w[1] - w[0] for w in r.window))
    if kind == Kind.SADDLE:
        answer = 0
    elif kind == Kind.DIVERGED:
        answer = 2
    elif kind == Kind.UNBOUNDED or moved >= 0.05 * span:
        answer = 1
    else:
        answer = 3
    x0, y0 = r.start
    a, b = fmt.loss(float(r.loss[0, 0])), fmt.loss(float(r.loss[0, fin[-1]]))
    what = (
        "This saddle has no minimum: the loss falls for ever along y."
        if r.key == "saddle"
        else "No minimum was found in this window."
    )
    return Question(
        f"{what} Starting at ({fmt.num(x0)}, {fmt.num(y0)}) with {lab}, what will gradient "
        "descent do?",
        NO_MINIMUM_OPTIONS,
        answer,
        f"{lab}: its slope was smallest at step {flat} (|gradient| = "
        f"{fmt.num(float(np.min(slope)))}), then the downhill direction took over; the loss went "
        f"from {a} to {b}. With no bottom, no rate converges: the verdict is *{kind}*.",
    )


# ------------------------------------------------------------------------------ CSV


def table(p: Params, r: Result) -> pd.DataFrame:
    """Every run's path and loss, one row per step (CSV)."""
    t1 = r.path.shape[1]
    data = {"step": np.arange(t1)}
    for lab, path, loss in zip(r.labels, r.path, r.loss, strict=True):
        data[f"x {lab}"] = path[:, 0]
        data[f"y {lab}"] = path[:, 1]
        data[f"loss {lab}"] = loss
    return pd.DataFrame(data)


# ------------------------------------------------------------------------------ take it home


def takehome(p: Params, r: Result) -> TakeHome:
    """This view as code: the page's surface (a catalogue surface with its parameters, or the
    typed function as LR Lab's parser read it; the default one if it could not be read), start,
    runs and steps, in LR Lab's engine and with PyTorch autograd."""
    if p.surface == CUSTOM:
        w = float(p.win)
        spec = function_spec(
            CUSTOM,
            formula=DEFAULT_F if r.error is not None else p.f,
            variables=("x", "y"),
            window=((-w, w), (-w, w)),
        )
    elif p.surface == "ill_conditioned":
        spec = function_spec(p.surface, {"kappa": float(p.kappa), "angle": float(p.angle)})
    else:
        spec = function_spec(p.surface)
    mu = float(p.mom)
    # momentum only means something to the momentum methods (SGD and Adam ignore it)
    runs = [
        (Optimizer(name, momentum=mu) if name in ("momentum", "nesterov") else name, lr)
        for name, lr in r.configs
    ]
    return TakeHome(
        engine=engine_descent(spec, r.start, runs=runs, steps=r.steps),
        torch=torch_descent(spec, r.start, runs=runs, steps=r.steps),
        torch_label="PyTorch autograd",
    )
