"""For teachers: the lecture plan, every step a link that opens the exact view to show."""

from __future__ import annotations

from urllib.parse import urlsplit

import streamlit as st

from lessons.teachers_guide import model
from lessons.teachers_guide.model import Params, Result
from lessons.ui import controls
from lessons.ui.fields import field_of
from lessons.ui.runner import Ctx, Lesson, Section

PATH = "lessons/teachers_guide/page.py"


def base_url() -> str:
    """The app's own address (scheme and host), so the links shown can be pasted into slides."""
    try:
        parts = urlsplit(st.context.url or "")
    except Exception:  # pragma: no cover - no request context
        return ""
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def read_controls(ctx: Ctx) -> Params:
    return Params(lecture_links=controls.toggle(field_of(Params, "lecture_links")))


def show(ctx: Ctx, p: Params, r: Result) -> None:
    base = base_url()
    with ctx.body:
        for i, s in enumerate(r.steps, 1):
            with st.container(border=True):
                st.subheader(f"{i}. {s.page.title} · {s.minutes} min")
                st.page_link(
                    s.path, label="Open this view", icon=s.page.icon, query_params=r.query(s)
                )
                st.markdown(
                    f"**Do:** {s.show}\n\n**Ask the hall:** {s.ask}\n\n"
                    f"**The chart will show:** {s.see}"
                )
                st.code(s.url(base, lecture=r.lecture_links), language=None, wrap_lines=True)
        st.download_button(
            "Download this plan (Markdown)",
            model.markdown(r, base).encode("utf-8"),
            file_name="lr-lab-lecture-plan.md",
            mime="text/markdown",
            key="tg_download",
            icon=":material/download:",
        )


LESSON = Lesson(
    path=PATH,
    intro=model.intro(),
    narrative=model.NARRATIVE,
    narrative_label="How to use this guide",
    poll_start=True,
    sections=(Section(params=Params, compute=model.compute, controls=read_controls, show=show),),
)
