"""Links on every converted page, through the real app: hypothesis writes links from the page's
own keys (other spellings, repeats, out-of-range, junk); no link shows an exception, the address
bar ends up canonical (exactly what the link check decided) and every value not applied as
written is named in a notice on the page."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lessons.ui import fields as F
from tests.lessons.apptest import open_page
from tests.lessons.lessons_index import converted
from tests.lessons.test_fields import links

PAGES = [pytest.param(info, lesson, id=info.url_path) for info, lesson in converted()]


@pytest.mark.parametrize(("info", "lesson"), PAGES)
@settings(max_examples=2, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(data=st.data())
def test_a_link_is_applied_or_noticed_on_the_page(info, lesson, data):
    section = lesson.sections[0]
    q = data.draw(links(section.params))
    at = open_page(info.path, q)  # asserts no exception element
    p, notes = F.from_query(section.params, q)
    shown = " ".join(str(e.value) for e in at.info)
    for n in notes:
        assert n.text in shown
    keys = {s.key for s in F.fields(section.params).values()}
    bar = {k: v if isinstance(v, list) else [v] for k, v in at.query_params.items() if k in keys}
    assert bar == F.to_query(p)
