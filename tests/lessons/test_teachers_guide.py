"""The teacher's guide: every deep link opens its page in that exact state, with no error."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from lessons.ui import fields as F
from lessons.ui import guide, pages
from tests.lessons.apptest import address_bar, open_page, texts
from tests.lessons.lessons_index import lesson_of

PAGE = "lessons/teachers_guide/page.py"


def test_the_plan_is_a_45_minute_lecture_over_every_lesson():
    assert guide.total_minutes(guide.PLAN) == 45
    lessons = [p.path for p in pages.LESSONS if p.section == "Lessons"]
    assert [s.path for s in guide.PLAN] == lessons  # every lesson once, in order


def test_urls_carry_the_state_and_lecture_flag():
    step = guide.PLAN[0]
    url = step.url("https://lr-lab.example")
    parts = urlsplit(url)
    assert parts.path == f"/{step.page.route}"
    q = parse_qs(parts.query)
    assert q.pop("lecture") == ["true"]
    assert {k: v if isinstance(v, list) else [v] for k, v in step.query.items()} == q
    assert "lecture" not in step.url(lecture=False)


def test_guide_page_lists_every_available_step():
    at = open_page(PAGE)
    body = texts(at)
    for i, s in enumerate(guide.plan(), 1):
        assert f"{i}. {s.page.title}" in body
        assert s.ask in body
    links = at.main.get("page_link")
    assert len(links) == len(guide.plan())
    # the copyable links shown for slides, one per step, in lecture mode by default
    codes = [c.value for c in at.code]
    assert len(codes) == len(guide.plan())
    assert all("lecture=true" in c for c in codes)
    at.toggle(key="tg_lecture").set_value(False).run()
    assert not any("lecture=true" in c.value for c in at.code)


@pytest.mark.parametrize("step", guide.plan(), ids=lambda s: s.page.url_path)
def test_every_link_opens_its_page_in_that_state(step):
    at = open_page(step.path, dict(step.query), lecture=True)
    lesson = lesson_of(step.page)
    assert lesson is not None, "every lesson is on the shared runner"
    if lesson is not None:  # the link applies exactly, with no notice
        params = lesson.sections[0].params
        p, notes = F.from_query(params, step.query)
        assert notes == []
        # written canonically, so arriving does not rewrite the address (one history entry)
        canon = {k: v if isinstance(v, list) else [v] for k, v in step.query.items()}
        assert canon == F.to_query(p)
        assert not at.info
        bar = address_bar(at)
        assert {k: bar[k] for k in F.to_query(p)} == F.to_query(p)
        assert bar.get("lecture") == ["true"]  # once, never repeated
    assert at.session_state["lecture"] is True
    assert step.expect and step.expect in texts(at)


def test_a_followed_link_switches_lecture_mode_on_and_off():
    """The sidebar toggle persists across pages; a link's lecture= value must still win."""
    at = open_page(PAGE)
    assert at.session_state["lecture"] is False
    step = guide.plan()[0]
    for k, v in step.query.items():
        at.query_params[k] = v
    at.query_params["lecture"] = "true"
    at.switch_page(step.path).run()
    assert at.session_state["lecture"] is True
    assert at.toggle(key="lecture").value is True
    at.query_params["lecture"] = "false"
    at.switch_page(PAGE).run()
    assert at.session_state["lecture"] is False
