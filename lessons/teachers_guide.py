"""For teachers: a 45-minute lecture plan, every step a link that opens the exact view to show."""

from __future__ import annotations

from urllib.parse import urlsplit

import streamlit as st

from lessons.ui import guide, state, widgets

PATH = "lessons/teachers_guide.py"


def _base_url() -> str:
    """The app's own address (scheme and host), so the links shown can be pasted into slides."""
    try:
        parts = urlsplit(st.context.url or "")
    except Exception:  # pragma: no cover - no request context
        return ""
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def _plan_markdown(steps: tuple[guide.Step, ...], base: str, lecture: bool) -> str:
    lines = [f"# LR Lab: a {guide.total_minutes(steps)}-minute lecture on the learning rate", ""]
    for i, s in enumerate(steps, 1):
        lines += [
            f"## {i}. {s.page.title} ({s.minutes} min)",
            f"Link: {s.url(base, lecture=lecture)}",
            f"- Do: {s.show}",
            f"- Ask the hall: {s.ask}",
            f"- The chart will show: {s.see}",
            "",
        ]
    return "\n".join(lines)


def main() -> None:
    steps = guide.plan()
    widgets.header(
        "Teacher's guide",
        f"A **{guide.total_minutes(steps)}-minute lecture** through the lessons. Each step is a "
        "link that opens its page in the exact state to show: the rates, functions and sequences "
        "are in the link. Open it, **ask the question before you reveal**, then let the chart "
        "answer.",
    )
    widgets.narrative(
        "- **Before the lecture:** open each link once (the first visit computes and caches "
        "the charts; afterwards they appear instantly).\n"
        "- **Lecture mode** (sidebar, or `lecture=true` in a link) makes text and lines "
        "projector-sized and folds the reading text away.\n"
        "- **Your own views:** set a page up the way you want it and press *Copy link to this "
        "view* in the sidebar: the link reproduces it, same numbers and seeds.\n"
        "- **Students on phones** can open the same links; every page works at phone width.",
        label="How to use this guide",
    )
    lecture_links = state.toggle(
        "Open the links in lecture mode",
        True,
        key="tg_lecture",
        help="Adds lecture=true to every link below.",
    )
    base = _base_url()
    for i, s in enumerate(steps, 1):
        with st.container(border=True):
            st.subheader(f"{i}. {s.page.title} · {s.minutes} min")
            params = dict(s.query)
            if lecture_links:
                params["lecture"] = "true"
            st.page_link(s.path, label="Open this view", icon=s.page.icon, query_params=params)
            st.markdown(
                f"**Do:** {s.show}\n\n**Ask the hall:** {s.ask}\n\n**The chart will show:** {s.see}"
            )
            st.code(s.url(base, lecture=lecture_links), language=None, wrap_lines=True)
    st.download_button(
        "Download this plan (Markdown)",
        _plan_markdown(steps, base, lecture_links).encode("utf-8"),
        file_name="lr-lab-lecture-plan.md",
        mime="text/markdown",
        key="tg_download",
        icon=":material/download:",
    )


main()
