"""The entry point: navigation over the lessons that exist, shared sidebar, URL notices."""

from streamlit.testing.v1 import AppTest

from lessons.ui import pages
from tests.lessons.apptest import APP, assert_ok


def test_default_page_runs():
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert_ok(at)
    assert at.toggle(key="lecture").value is False


def test_catalogue_order_and_urls_are_unique():
    urls = [p.url_path for p in pages.LESSONS]
    assert len(set(urls)) == len(urls)
    assert all("/" not in u for u in urls)
    assert pages.LESSONS[0].title == "What is a learning rate?"
    assert pages.available(), "at least one lesson exists"


def test_lecture_mode_from_url():
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["lecture"] = "true"
    at.run()
    assert_ok(at)
    assert at.toggle(key="lecture").value is True


def test_malformed_lecture_value_falls_back_with_notice():
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["lecture"] = "maybe"
    at.run()
    assert_ok(at)
    assert at.toggle(key="lecture").value is False
    assert any("Lecture mode" in t.value for t in at.toast)


def test_a_slider_whose_bounds_shrink_keeps_working():
    """Streamlit keeps a keyed slider's value when its bounds move; controls.slider clips it."""
    from streamlit.testing.v1 import AppTest

    def app():
        import streamlit as st

        from lessons.ui import controls
        from lessons.ui.fields import Field

        hi = st.session_state.get("hi", 10)
        controls.slider(Field("x", "x", 0, "number", 0, 10, integer=True), hi=hi)
        st.write(f"x = {st.session_state['x']}")

    at = AppTest.from_function(app)
    at.run()
    at.slider(key="x").set_value(9).run()
    at.session_state["hi"] = 5
    at.run()
    assert not at.exception
    at.session_state["hi"] = 3
    at.run()
    assert not at.exception
    assert at.slider(key="x").value == 3
