"""The lesson catalogue: one entry per page, in the order of the design brief.

``app.py`` registers every entry whose file exists (pages not built yet are simply absent), and
pages use the same list for "next lesson" links and the overview cards.

:data:`POLL` (the students' class-poll page) is registered too, but hidden from the menu; it is
not in :data:`LESSONS`, so the menu, the "next lesson" links and everything that walks the
lessons never see it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class PageInfo:
    """One page of the app."""

    path: str  # relative to the repository root
    title: str
    icon: str
    url_path: str
    blurb: str
    section: str = "Lessons"

    @property
    def exists(self) -> bool:
        return (ROOT / self.path).is_file()

    @property
    def route(self) -> str:
        """The page's path in the app's address: ``""`` for the default (first) page, which
        Streamlit serves at ``/`` only, else its ``url_path``."""
        return "" if self is LESSONS[0] else self.url_path


LESSONS: tuple[PageInfo, ...] = (
    PageInfo(
        "lessons/what_is_lr/page.py",
        "What is a learning rate?",
        ":material/school:",
        "what-is-a-learning-rate",
        "The update rule w ← w − lr·dF/dw, one click at a time on a parabola.",
    ),
    PageInfo(
        "lessons/child_dogs/page.py",
        "The child and the dogs",
        ":material/pets:",
        "child-and-dogs",
        "Ten black dogs, then a white one: the learning rate is how fast beliefs change.",
    ),
    PageInfo(
        "lessons/descent_1d/page.py",
        "Descent in 1-D",
        ":material/show_chart:",
        "descent-1d",
        "Up to four learning rates side by side: slow, good, oscillating, divergent.",
    ),
    PageInfo(
        "lessons/descent_2d/page.py",
        "Descent in 2-D",
        ":material/landscape:",
        "descent-2d",
        "Valleys, Rosenbrock, saddles: the largest curvature sets the largest stable rate.",
    ),
    PageInfo(
        "lessons/four_regimes/page.py",
        "Four regimes",
        ":material/monitoring:",
        "four-regimes",
        "A real classifier trained at very high, high, good and low learning rates.",
    ),
    PageInfo(
        "lessons/coarse_to_fine/page.py",
        "Coarse-to-fine search",
        ":material/travel_explore:",
        "coarse-to-fine",
        "Sweep decades on a small subset, then refine: precision only where it pays.",
    ),
    PageInfo(
        "lessons/range_test/page.py",
        "Range test",
        ":material/trending_down:",
        "range-test",
        "Raise the rate every iteration and read the bounds off the loss curve (Smith).",
    ),
    PageInfo(
        "lessons/cyclical/page.py",
        "Cyclical schedules",
        ":material/cycle:",
        "cyclical-schedules",
        "Triangular, triangular2, exp_range and 1cycle against a constant rate.",
    ),
    PageInfo(
        "lessons/adaptive/page.py",
        "Adaptive learning rate",
        ":material/auto_graph:",
        "adaptive-learning-rate",
        "Hypergradient descent tunes the rate while training (Baydin et al., 2018).",
    ),
    PageInfo(
        "lessons/teachers_guide/page.py",
        "Teacher's guide",
        ":material/co_present:",
        "teachers-guide",
        "A 45-minute lecture plan: every step a link that opens the exact view to show.",
        section="For teachers",
    ),
)


#: the students' phone page of the class poll (``/poll?room=K7P4QX``): hidden from the menu, not a
#: lesson (see :mod:`lessons.ui.poll`)
POLL = PageInfo(
    "lessons/class_poll.py",
    "Class poll",
    ":material/how_to_vote:",
    "poll",
    "Vote on the question your teacher shows, from your phone.",
    section="Class poll",
)


@functools.lru_cache(maxsize=1)
def available() -> tuple[PageInfo, ...]:
    """The pages whose module exists, in catalogue order (looked up once per process)."""
    return tuple(p for p in LESSONS if p.exists)


def by_path(path: str) -> PageInfo:
    """Look a page up by its file path (``"lessons/descent_1d.py"``)."""
    for p in LESSONS:
        if p.path == path:
            return p
    raise KeyError(path)


def next_page(path: str) -> PageInfo | None:
    """The next available lesson after ``path``; after the last lesson, the teacher's guide
    (None after that)."""
    pages = [p for p in available() if p.section == "Lessons"]
    paths = [p.path for p in pages]
    if path not in paths:
        return None
    i = paths.index(path)
    if i + 1 < len(pages):
        return pages[i + 1]
    after = [p for p in available() if p.section == "For teachers"]
    return after[0] if after else None
