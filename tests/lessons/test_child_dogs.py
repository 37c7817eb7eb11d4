"""AppTest wiring for "The child and the dogs": widgets and buttons -> Params -> what the page
shows, compared with the model's own sentences."""

from engine.child import DEFAULT_SEQUENCE, MAX_LENGTH
from lessons.child_dogs import model
from lessons.child_dogs.model import Params
from lessons.ui import guide
from tests.lessons.apptest import address_bar, assert_ok, open_page, texts

PAGE = "lessons/child_dogs/page.py"


def line(row) -> str:
    """A verdict row as the runner prints it (icon aside), as texts() reads it."""
    return f"{row.label} — {row.kind}: {row.text}"


def shows(at, p: Params) -> None:
    """The page shows the model's words for ``p``."""
    assert_ok(at)
    r = model.compute(p)
    body = texts(at)
    for row in model.all_rows(r) if p.rich else [model.user_row(r), *model.comparison_rows(r)]:
        assert line(row) in body, row
    assert model.comparison_caption(r) in body
    strips = [h.value for h in at.get("html") if "cd-cell" in h.value]
    assert len(strips) == 2 and strips[0].count('alt="imagined dog"') == 3 * (len(r.seq) + 1)


def test_defaults_presets_and_slider_extremes():
    at = open_page(PAGE)
    assert at.title[0].value == "The child and the dogs"
    shows(at, Params())
    eq = model.last_step_latex(model.compute(Params()))
    assert any(eq in str(e.value) for e in at.latex)
    labels = [b.label for b in at.button if b.key and b.key.startswith("cd_preset_")]
    assert labels == ["Too low (0.05)", "Desirable (0.3)", "Too high (0.9)"]
    for lr in (0.0, 2.5):
        at.slider(key="cd_lr").set_value(lr).run()
        shows(at, Params(lr=lr))
    at.button(key="cd_preset_too_high").click().run()
    assert at.slider(key="cd_lr").value == 0.9
    shows(at, Params(lr=0.9))


def test_sequence_buttons_and_measured_presets():
    at = open_page(PAGE)
    for key in ("cd_add_k", "cd_pop", "cd_add_c"):
        at.button(key=key).click().run()
    assert at.text_input(key="cd_seq").value == DEFAULT_SEQUENCE + "C"
    shows(at, Params(seq=DEFAULT_SEQUENCE + "C"))
    at.button(key="cd_shuffle").click().run()
    assert sorted(at.text_input(key="cd_seq").value) == sorted(DEFAULT_SEQUENCE + "C")
    at.button(key="cd_random").click().run()
    seq = at.text_input(key="cd_seq").value
    assert len(seq) == 30 and set(seq) <= set("BW")
    shows(at, Params(seq=seq))  # rows named by their own outcomes
    presets = model.presets(seq)
    labels = [b.label for b in at.button if b.key and b.key.startswith("cd_preset_")]
    assert labels == [model.preset_button(p) for p in presets]
    at.button(key="cd_preset_too_low").click().run()
    assert at.slider(key="cd_lr").value == presets[0].rate
    at.text_input(key="cd_seq").set_value("W" + "B" * (MAX_LENGTH - 1)).run()
    at.button(key="cd_add_w").click().run()
    assert at.text_input(key="cd_seq").value == "B" * (MAX_LENGTH - 1) + "W"
    at.button(key="cd_reset").click().run()
    assert at.text_input(key="cd_seq").value == DEFAULT_SEQUENCE


def test_typed_sequences_are_checked_and_shown_as_typed():
    at = open_page(PAGE)
    at.text_input(key="cd_seq").set_value("bb w").run()
    assert at.text_input(key="cd_seq").value == "BBW"  # canonical once valid
    shows(at, Params(seq="BBW"))
    at.text_input(key="cd_seq").set_value("B*X*B").run()
    assert at.error[0].value == model.sequence_error(model.compute(Params(seq="B*X*B")))
    assert "`B*X*B`" in at.error[0].value
    shows(at, Params(seq="B*X*B"))


def test_a_link_with_the_richer_child_and_an_answer_reopens_the_view():
    q = {"cd_seq": model.CATS_SEQUENCE, "cd_lr": "1.5", "cd_rich": "true", "cd_quiz": "3"}
    at = open_page(PAGE, q)
    p = Params(lr=1.5, seq=model.CATS_SEQUENCE, rich=True)
    shows(at, p)
    assert len(at.get("plotly_chart")) == 3
    assert "Right." in texts(at)  # answered before the link was copied
    bar = address_bar(at)
    assert bar["cd_lr"] == ["1.5"] and bar["cd_rich"] == ["true"] and bar["cd_quiz"] == ["3"]
    at.button(key="cd_cats_story").click().run()
    assert_ok(at)
    bad = open_page(PAGE, {"cd_lr": "lots", "cd_seq": "B" * 81})
    notes = " ".join(str(e.value) for e in bad.info)
    assert "`cd_lr`" in notes and "`cd_seq`" in notes
    shows(bad, Params())


def test_the_guides_link_in_lecture_mode():
    step = next(s for s in guide.plan() if s.path == PAGE)
    at = open_page(PAGE, dict(step.query), lecture=True)
    shows(at, Params(lr=0.9))
    assert step.expect in texts(at)
    assert at.subheader[0].value == "Three children, the same animals"  # the picture first
    assert all("cd-big" in h.value for h in at.get("html") if "cd-cell" in h.value)
    assert "What to try, what to notice" in [e.label for e in at.expander]
