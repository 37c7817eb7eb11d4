"""LR Lab entry point: page config, navigation over the lessons, shared sidebar. Routing only."""

import streamlit as st

from lessons.ui import pages, state

st.set_page_config(page_title="LR Lab", page_icon="assets/favicon.png", layout="wide")

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

page = st.navigation(sections)
state.sidebar()
page.run()
