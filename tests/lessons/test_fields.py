"""The link check (lessons.ui.fields) on its own and over every lesson's Params.

For every converted lesson, hypothesis builds links from that lesson's own keys: valid values in
other spellings, repeats, out-of-range numbers, non-numbers, unicode digits, empty and very long
values.  For every link: parsing never raises, and each key either shows the value it carries
or is named in a notice that says what is shown instead.  The canonical link of any Params
parses back to the same Params with no notice.
"""

from __future__ import annotations

import dataclasses
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lessons.ui import fields as F
from tests.lessons.lessons_index import converted

PARAMS = [
    pytest.param(section.params, id=f"{info.url_path}-{i}")
    for info, lesson in converted()
    for i, section in enumerate(lesson.sections)
]


@dataclasses.dataclass(frozen=True)
class P:
    lr: float = F.choice("lr", "Rate", (0.0, 0.1, 0.3, 1.0), 0.3, names=("off", "0.1", "0.3", "1"))
    n: int = F.number("n", "Steps", 0, 30, 5)
    x: float = F.number("x", "Start", -5.0, 5.0, 4.0, step=0.5)
    share: float = F.choice("share", "Subset", (0.05, 0.2, 1.0), 0.2, names=("5%", "20%", "100%"))
    on: bool = F.flag("on", "Switch")
    pick: tuple = F.multi("pick", "Runs", ("a", "b", "c"), ("a",))
    span: tuple = F.span("span", "Range", (1e-7, 1e-3, 1.0, 10.0), (1e-3, 1.0), names=str)
    fn: str = F.text("fn", "Function", "x**2", max_chars=20)


def parse(q):
    return F.from_query(P, q)


@pytest.mark.parametrize(
    ("raw", "value"),
    [
        ("0", 0.0),
        ("0.0", 0.0),
        ("off", 0.0),
        (" OFF ", 0.0),
        ("1e-1", 0.1),
        (".1", 0.1),
        ("1", 1.0),
        ("1.000", 1.0),
    ],
)
def test_other_spellings_of_an_option_are_applied(raw, value):
    p, notes = parse({"lr": [raw]})
    assert p.lr == value and notes == []


def test_a_share_by_its_label_or_its_value():
    assert parse({"share": ["5%"]})[0].share == 0.05
    assert parse({"share": ["0.05"]})[0].share == 0.05
    assert parse({"share": ["5"]})[0] == P()  # 5 is not 5%: refused
    assert parse({"share": ["5"]})[1][0].key == "share"


@pytest.mark.parametrize(
    ("raw", "shown", "why"),
    [
        ("inf", 5, "not a finite number"),
        ("-Infinity", 5, "not a finite number"),
        ("1e309", 5, "not a finite number"),
        ("9" * 10_000, 5, "longer than"),
        ("2.5", 5, "not a whole number"),
        ("abc", 5, "not a number"),
        ("", 5, "is empty"),
        ("٣", 5, "not a number"),  # unicode digits are not read as numbers
        ("31", 30, "lies outside"),
        ("-4", 0, "lies outside"),
    ],
)
def test_bad_integers_never_raise_and_say_what_is_shown(raw, shown, why):
    p, notes = parse({"n": [raw]})
    assert p.n == shown
    (note,) = notes
    assert note.key == "n" and why in note.why and str(shown) in note.text


def test_whole_numbers_written_as_floats_are_applied():
    assert parse({"n": ["2.0"]}) == (P(n=2), [])
    assert parse({"n": ["2e1"]}) == (P(n=20), [])


def test_numbers_off_the_sliders_step_are_snapped_with_a_notice():
    p, (note,) = parse({"x": ["0.3"]})
    assert p.x == 0.5 and "step" in note.why and "showing 0.5" in note.text


def test_a_key_given_twice():
    assert parse({"x": ["1", "1.0"]}) == (P(x=1.0), [])  # the same value twice: applied
    p, (note,) = parse({"x": ["1", "2"]})
    assert p.x == 2.0 and "2 values" in note.why and "showing 2" in note.text


def test_multi_and_span():
    assert parse({"pick": ["c", "a", "c"]})[0].pick == ("a", "c")
    p, (note,) = parse({"pick": ["a", "zzz"]})
    assert p.pick == ("a",) and "zzz" in note.given
    assert parse({"span": ["10", "1e-07"]}) == (P(span=(1e-7, 10.0)), [])
    p, (note,) = parse({"span": ["10"]})
    assert p.span == P().span and "two values" in note.why


def test_text_too_long_or_with_control_characters():
    p, (note,) = parse({"fn": ["x" * 21]})
    assert p.fn == "x**2" and "longer than 20" in note.why
    p, (note,) = parse({"fn": ["x\n"]})
    assert p.fn == "x**2"


def test_flags():
    for raw in ("true", "True", "1", "yes", "on"):
        assert parse({"on": [raw]})[0].on is True
    p, (note,) = parse({"on": ["maybe"]})
    assert p.on is False and "true or false" in note.why


def test_notice_text_cannot_break_out_of_its_code_span():
    _, (note,) = parse({"lr": ["`**bold**` [link](http://x)\u0000"]})
    assert note.given.count("`") == 0 and "\u0000" not in note.text


# ----------------------------------------------------------------- every lesson's own keys


def _texts_for(spec: F.Field):
    """URL texts a person or a fuzzer might write for one field."""
    junk = st.one_of(
        st.text(max_size=12),
        st.sampled_from(["", " ", "inf", "-inf", "nan", "1e309", "9" * 400, "٣", "0x10", "1_0"]),
        st.floats(allow_nan=True, allow_infinity=True).map(repr),
        st.integers(-(10**20), 10**20).map(str),
    )
    if spec.kind in ("choice", "multi", "span"):
        labels = [spec.name(o) for o in spec.options]
        spellings = [lab.upper() for lab in labels] + [f" {lab} " for lab in labels]
        nums = [repr(float(o)) for o in spec.options if isinstance(o, (int, float))]
        return st.one_of(st.sampled_from(labels + spellings + nums), junk)
    if spec.kind == "number":
        lo, hi = spec.lo, spec.hi
        good = st.integers(int(lo), int(hi)) if spec.integer else st.floats(lo, hi)
        return st.one_of(good.map(str), good.map(lambda v: f"{float(v):e}"), junk)
    if spec.kind == "flag":
        return st.one_of(st.sampled_from(["true", "false", "TRUE", "0", "1", "on"]), junk)
    return st.one_of(st.text(max_size=spec.max_chars + 5), junk)


@st.composite
def links(draw, params):
    specs = list(F.fields(params).values())
    chosen = draw(st.lists(st.sampled_from(specs), max_size=len(specs), unique_by=id))
    return {s.key: draw(st.lists(_texts_for(s), min_size=1, max_size=3)) for s in chosen}


def _shows(spec: F.Field, value, raw: list[str]) -> bool:
    """``value`` is what ``raw`` says (so no notice is owed)."""
    parsed, note = spec.parse(raw)
    return note is None and parsed == value


@pytest.mark.parametrize("params", PARAMS)
@settings(max_examples=40)
@given(data=st.data())
def test_every_link_is_applied_or_noticed(params, data):
    q = data.draw(links(params))
    p, notes = F.from_query(params, q)
    noticed = {n.key for n in notes}
    for name, spec in F.fields(params).items():
        if spec.key not in q:
            continue
        value = getattr(p, name)
        assert spec.key in noticed or _shows(spec, value, q[spec.key])
        if spec.key in noticed:  # the notice names what is shown, and it is a legal value
            note = next(n for n in notes if n.key == spec.key)
            assert spec.show(value) in note.shown
    # what is shown is always a value the page can draw
    for name, spec in F.fields(params).items():
        v = getattr(p, name)
        if v is None and spec.default is None:  # left to the page (e.g. a surface's own start)
            continue
        if spec.kind == "number":
            assert math.isfinite(v) and spec.lo <= v <= spec.hi
        elif spec.kind == "choice":
            assert v in spec.options


@pytest.mark.parametrize("params", PARAMS)
@settings(max_examples=25)
@given(data=st.data())
def test_canonical_links_round_trip(params, data):
    values = {}
    for name, spec in F.fields(params).items():
        if spec.kind == "choice":
            values[name] = data.draw(st.sampled_from(spec.options))
        elif spec.kind == "number" and spec.step is None:
            draw = (
                st.integers(int(spec.lo), int(spec.hi))
                if spec.integer
                else st.floats(spec.lo, spec.hi)
            )
            values[name] = data.draw(draw)
        elif spec.kind == "flag":
            values[name] = data.draw(st.booleans())
    p = params(**values)
    q = F.to_query(p)
    assert F.from_query(params, q) == (p, [])
    assert all(len(v) >= 1 for v in q.values())


def test_an_empty_selection_and_too_many_choices():
    @dataclasses.dataclass(frozen=True)
    class Q:
        pick: tuple = F.multi("pick", "Runs", ("a", "b", "c"), ("a",), max_count=2)

    q = F.to_query(Q(pick=()))
    assert q == {"pick": [""]} and F.from_query(Q, q) == (Q(pick=()), [])
    p, (note,) = F.from_query(Q, {"pick": ["c", "b", "a"]})
    assert p.pick == ("a", "b") and "more than 2" in note.text and "showing a, b" in note.text
