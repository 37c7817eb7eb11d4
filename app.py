"""LR Lab entry point: page config, navigation over the lessons, shared sidebar. Routing only."""

import os

# One BLAS thread: the engine's matrices are small, and on a shared server (Community Cloud, a
# 2-core machine) OpenBLAS's extra threads only contend. Measured on the cyclical page's most
# expensive view: 1.3 s with one thread against 4.8 s with two on a busy 2-core machine. Must be set
# before numpy is first imported (the first run of this script, before any page imports it).
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import streamlit as st  # noqa: E402

from lessons.ui import pages, runner, slots  # noqa: E402

# No exception detail ever reaches a visitor: a generic message, the traceback in the server log
# only. Also in .streamlit/config.toml; set here too because a host may pass its own value
# (Community Cloud passes showErrorDetails=false, which in 1.67 still shows the traceback).
st.set_option("client.showErrorDetails", "none")

with slots.run_slot():  # a few page runs at a time; the others wait their turn
    # a lecture link opens with the sidebar folded away: the projector shows the lesson
    _lecture = st.query_params.get("lecture", "").strip().lower() in ("true", "1", "yes", "on")
    st.set_page_config(
        page_title="LR Lab",
        page_icon="assets/favicon.png",
        layout="wide",
        initial_sidebar_state="collapsed" if _lecture else "auto",
    )

    sections: dict[str, list] = {}
    for info in pages.available():
        sections.setdefault(info.section, []).append(
            st.Page(
                info.path,
                title=info.title,
                icon=info.icon,
                url_path=info.url_path,
                default=info is pages.LESSONS[0],
            )
        )
    # the students' class-poll page: reached by the teacher's link or QR code, never the menu
    sections[pages.POLL.section] = [
        st.Page(
            pages.POLL.path,
            title=pages.POLL.title,
            icon=pages.POLL.icon,
            url_path=pages.POLL.url_path,
            visibility="hidden",
        )
    ]

    # the menu is drawn by runner.sidebar() as plain links: Streamlit's own menu puts section
    # headers inside its <ul>, which screen readers (and axe-core) reject
    page = st.navigation(sections, position="hidden")
    if page.url_path != pages.POLL.url_path:  # a phone in the hall gets no sidebar furniture
        runner.sidebar()
    page.run()
