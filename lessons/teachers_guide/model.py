"""For teachers: the lecture plan (data in :mod:`lessons.ui.guide`) as a page's model.

Pure: no Streamlit, no plotly.
"""

from __future__ import annotations

from dataclasses import dataclass

from lessons.ui import guide
from lessons.ui.fields import flag

INTRO_TEMPLATE = (
    "A **{minutes}-minute lecture** through the lessons. Each step is a link that opens its page "
    "in the exact state to show: the rates, functions and sequences are in the link. Open it, "
    "**ask the question before you reveal**, then let the chart answer."
)
NARRATIVE = (
    "- **Before the lecture:** open each link once (the first visit computes and caches "
    "the charts; afterwards they appear instantly).\n"
    "- **Lecture mode** (sidebar, or `lecture=true` in a link) puts the chart first, makes text "
    "and lines projector-sized and folds the reading text away.\n"
    "- **Your own views:** set a page up the way you want it and press *Copy link to this "
    "view* in the sidebar: the link reproduces it, same numbers and seeds.\n"
    "- **Students on phones** can open the same links; every page works at phone width."
)


@dataclass(frozen=True)
class Params:
    lecture_links: bool = flag(
        "tg_lecture",
        "Open the links in lecture mode",
        True,
        help="Adds lecture=true to every link below.",
    )


@dataclass(frozen=True)
class Result:
    steps: tuple[guide.Step, ...]
    minutes: int
    lecture_links: bool

    def query(self, step: guide.Step) -> dict[str, str | list[str]]:
        """The step's link parameters (with lecture=true when asked for), each key once."""
        q = dict(step.query)
        if self.lecture_links:
            q["lecture"] = "true"
        return q


def compute(p: Params) -> Result:
    steps = guide.plan()
    return Result(steps, guide.total_minutes(steps), p.lecture_links)


def intro() -> str:
    return INTRO_TEMPLATE.format(minutes=guide.total_minutes())


def markdown(r: Result, base: str) -> str:
    """The plan as a Markdown document (for the teacher's notes)."""
    lines = [f"# LR Lab: a {r.minutes}-minute lecture on the learning rate", ""]
    for i, s in enumerate(r.steps, 1):
        lines += [
            f"## {i}. {s.page.title} ({s.minutes} min)",
            f"Link: {s.url(base, lecture=r.lecture_links)}",
            f"- Do: {s.show}",
            f"- Ask the hall: {s.ask}",
            f"- The chart will show: {s.see}",
            "",
        ]
    return "\n".join(lines)
