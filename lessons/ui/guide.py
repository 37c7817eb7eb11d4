"""The teacher's guide as data: a 45-minute lecture through the lessons, each step a deep link.

Pure data (no Streamlit import) so the tests can open every link with AppTest and check that the
page comes up in exactly that state.  A step's ``query`` holds the page's URL parameters (the
bound widgets' keys, see :mod:`lessons.ui.state`); ``expect`` is a phrase the page shows in that
state, which the tests look for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlencode

from lessons.ui import pages


@dataclass(frozen=True)
class Step:
    """One step of the lecture plan."""

    path: str  #: the lesson's page file
    minutes: int  #: time to spend on it
    show: str  #: what the teacher does on screen
    ask: str  #: the question to put to the hall before revealing
    see: str  #: what the chart will show
    query: dict[str, str | list[str]] = field(default_factory=dict)  #: the view, as URL params
    expect: str = ""  #: text the page shows in that state (checked by the tests)

    @property
    def page(self) -> pages.PageInfo:
        return pages.by_path(self.path)

    def url(self, base: str = "", *, lecture: bool = True) -> str:
        """The link: ``base/url_path?query`` (``base`` is the app's address, may be empty)."""
        params = dict(self.query)
        if lecture:
            params["lecture"] = "true"
        q = urlencode(params, doseq=True)
        return f"{base.rstrip('/')}/{self.page.route}" + (f"?{q}" if q else "")


PLAN: tuple[Step, ...] = (
    Step(
        "lessons/what_is_lr/page.py",
        4,
        "Write the update rule on the board. Open the link: the ball sits at w = 4 on a bowl of "
        "curvature 1, with lr = 1. Do not press Step yet.",
        "With lr = 1, where will the ball be after one step? And with lr = 2?",
        "One press of Step lands the ball exactly at the bottom (lr = 1/a). Move the slider to 2 "
        "and it bounces between +4 and −4 for ever; at 2.1 every jump grows.",
        {"w_lr": "1"},
        expect="reaches the bottom in one step",
    ),
    Step(
        "lessons/child_dogs/page.py",
        6,
        "Tell the story: ten black dogs, then a white one. The three children side by side are "
        "the first picture.",
        "After the white dog, which child still believes dogs are black, which one no longer "
        "cares about colour, and which one thinks dogs are white?",
        "lr = 0.05 barely moves (the white dog is an outlier), lr = 0.3 lets colour stop "
        "deciding, lr = 0.9 chases the last dog: 'all dogs are white'.",
        {"cd_lr": "0.9"},
        expect="all dogs are white",
    ),
    Step(
        "lessons/descent_1d/page.py",
        6,
        "One bowl, f'' = 1, three runs just below, at and just above 2/f'' = 2. Show the curve "
        "chart first (replay the steps), then the loss chart on its log scale.",
        "The bowl has f'' = 1, so 2/f'' = 2. What do lr = 1.9, exactly 2 and 2.2 do?",
        "All three zig-zag across the bottom: at 1.9 the swings slowly shrink (the gap line "
        "falls), at 2 it bounces between the same two points for ever (flat line), at 2.2 the "
        "swings grow until it leaves the chart. Then set the curvature to 2: both thresholds "
        "halve.",
        {"d1_lr1": "off", "d1_lr2": "1.9", "d1_lr3": "2", "d1_steps": "50"},  # D: 2.2, the default
        expect="diverged",
    ),
    Step(
        "lessons/descent_2d/page.py",
        6,
        "Two parameters now. The rates 0.048, 0.095 and 0.105 were tuned for a valley whose "
        "walls are 20 times steeper than its floor; the link makes the walls twice as steep "
        "(kappa = 40). Start on the contour view, then the theory panel.",
        "The valley's walls just got twice as steep, its floor is unchanged. Which of the three "
        "runs survive?",
        "2/lambda_max halves to 0.05: only 0.048 still converges (zig-zagging); 0.095 and 0.105 "
        "diverge within ten steps. The steepest direction alone sets the largest stable rate, "
        "and the measured shrink per step matches max|1 - lr * lambda|.",
        {"d2_kappa": "40", "d2_lr1": "0.0476", "d2_lr2": "0.0952", "d2_lr3": "0.105"},
        expect="diverged at step 9",
    ),
    Step(
        "lessons/four_regimes/page.py",
        5,
        "A real classifier (softmax regression on 8x8 handwritten digits) trained four times, "
        "at rates the page measured for it: 10000, 10, 1 and 0.01 (the line under the rates "
        "says how). Three curves are drawn; the high rate's is held back. Let the hall vote, "
        "then click their answer to add it.",
        "The high rate is 10, ten times the good one. Will its loss blow up, stall high, drop "
        "fast, or creep down?",
        "lr = 10000 shoots up and diverges at iteration 2; lr = 1 drops fast and low; lr = 0.01 "
        "creeps. Once answered, lr = 10 bounces well above the good run and ends at nearly 3 "
        "times its validation loss. Then the accuracy chart: high and good differ by about one "
        "point; the loss tells them apart.",
        expect="not shown yet",
    ),
    Step(
        "lessons/coarse_to_fine/page.py",
        5,
        "Choosing a rate by search: one rate per decade, 1e-7 to 10, trained briefly on a fifth "
        "of the data (an MLP on the digits); then a closer look inside the best decade on all "
        "of it. Point at the cost bars last.",
        "Nine rates, 3 epochs, a fifth of the data: how many deserve a closer look? And what "
        "does the whole search cost compared with trying 57 rates on all the data?",
        "Five rates stall, 10 diverges, only 0.1 and 1 are worth refining; stage 2 picks about "
        "1.2, as good as the brute-force grid, for about 14% of its cost. Successive halving "
        "prunes even harder.",
        {"cf_model": "MLP"},  # the range's default is now 1e-7 ... 10
        expect="worth refining",
    ),
    Step(
        "lessons/range_test/page.py",
        6,
        "Read Smith's recipe aloud, then show the curve: the loss against a rate that grows every "
        "iteration. Point at the band between Smith's min and max. Scroll to *Try it*.",
        "The valley rule suggests about 0.065. Train a fresh model at ten times that rate: "
        "better, worse, or does it blow up?",
        "Ten times the valley rate ends with a lower validation loss: valley is cautious. Switch "
        "*Try it* to Smith: max (0.41) and ten times that diverges within a few iterations: "
        "the range test's max really is the edge.",
        {"rt_try": "valley"},
        expect="The *valley* rule suggests lr =",
    ),
    Step(
        "lessons/cyclical/page.py",
        4,
        "The bounds come from the range test. Show the schedule chart (the rate climbs and falls "
        "between them), then the race to 95% validation accuracy.",
        "Smith says cycling between the bounds reaches the same accuracy in fewer iterations "
        "than a fixed rate. Will the cycles win here?",
        "Against the fixed rate at the lower bound the cycles reach 95% in about half the "
        "iterations. Then set *Constant rate at* to upper bound: the fixed rate wins. The "
        "cycle's promise is that you need not find that rate.",
        {"cy_sched": ["Triangular", "1cycle"]},
        expect="Smith's headline claim",
    ),
    Step(
        "lessons/adaptive/page.py",
        3,
        "Five copies of the same classifier start at rates 10,000x apart; hypergradient descent "
        "adjusts each rate while it trains (Baydin et al., 2018). Show the two rate panels, "
        "then the sensitivity chart.",
        "The starting rates are 10,000x apart. Where will their learning rates end up after 5 "
        "epochs, and how far apart will their final losses be?",
        "The fixed rates stay flat lines; the HD rates climb towards each other to about 0.07 "
        "within a few dozen iterations, and the spread of final losses shrinks about 20x. The "
        "price: one extra copy of the gradient and one dot product per step.",
        {},  # the defaults: 5 epochs, seed 0, SGD
        expect="less sensitive to the starting rate",
    ),
)


def plan() -> tuple[Step, ...]:
    """The steps whose lesson exists in this copy of the app, in lecture order."""
    return tuple(s for s in PLAN if s.page.exists)


def total_minutes(steps: tuple[Step, ...] | None = None) -> int:
    return sum(s.minutes for s in (plan() if steps is None else steps))
