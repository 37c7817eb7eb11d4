"""The shared figure style: lecture mode enlarges every kind of trace without failing."""

import plotly.graph_objects as go

from lessons.ui.style import PALETTE, style


def test_big_style_scales_lines_and_markers_and_tolerates_every_trace_kind():
    fig = go.Figure()
    fig.add_scatter(x=[0, 1], y=[1, 0], line={"width": 2.0}, marker={"size": 10})
    fig.add_bar(x=["a", "b"], y=[1, 2])
    fig.add_heatmap(z=[[1, 2], [3, 4]])
    fig.add_contour(z=[[1, 2], [3, 4]], line={"width": 1.0})
    fig.add_scatter3d(x=[0], y=[0], z=[0], marker={"size": 4})
    fig.add_surface(z=[[1, 2], [3, 4]])
    style(fig, big=True, height=400)
    assert fig.data[0].line.width == 2.0 * 1.6
    assert fig.data[0].marker.size == 10 * 1.4
    assert fig.data[3].line.width == 1.0 * 1.6
    assert fig.layout.height == int(400 * 1.15)
    assert fig.layout.font.size == 20


def test_normal_style_keeps_sizes_and_sets_palette():
    fig = go.Figure(go.Scatter(x=[0], y=[0], line={"width": 2.0}))
    style(fig)
    assert fig.data[0].line.width == 2.0
    assert tuple(fig.layout.colorway) == PALETTE
    assert fig.layout.font.size == 14


def test_for_dark_lightens_black_lines_only_and_leaves_the_original():
    from lessons.ui.style import DARK_INK, for_dark

    fig = go.Figure()
    fig.add_scatter(
        x=[0, 1],
        y=[0, 1],
        mode="lines+markers",
        line={"color": PALETTE[6]},
        marker={"color": PALETTE[6]},
    )
    fig.add_scatter(x=[0], y=[0], mode="markers", marker={"color": "#000000"})  # a minimum
    fig.add_scatter(x=[0, 1], y=[1, 0], line={"color": PALETTE[0]})
    fig.add_bar(x=["a"], y=[1])
    dark = for_dark(fig)
    assert dark.data[0].line.color == DARK_INK and dark.data[0].marker.color == DARK_INK
    assert dark.data[1].marker.color == "#000000"
    assert dark.data[2].line.color == PALETTE[0]
    assert fig.data[0].line.color == PALETTE[6]  # the cached original is untouched


def test_for_dark_turns_dark_labels_and_threshold_lines_light():
    from lessons.ui.style import DARK_BLUE_TEXT, DARK_INK, for_dark

    fig = go.Figure(go.Scatter(x=[0, 1], y=[0, 1], line={"color": PALETTE[0]}))
    fig.add_scatter(x=[0], y=[0], mode="text", text=["diverged"], textfont={"color": PALETTE[0]})
    fig.add_annotation(
        x=0, y=0, text="1/f''", font={"color": "#333"}, bgcolor="rgba(255,255,255,0.8)"
    )
    fig.add_annotation(x=1, y=1, text="run A", font={"color": PALETTE[0]})
    fig.add_shape(type="line", x0=0, x1=0, y0=0, y1=1, line={"color": "#333"})
    dark = for_dark(fig)
    a, b = dark.layout.annotations
    assert a.font.color == DARK_INK and a.bgcolor == "rgba(14,17,23,0.8)"
    assert b.font.color == DARK_BLUE_TEXT  # the palette's blue, as words: lighter
    assert dark.layout.shapes[0].line.color == DARK_INK
    assert fig.layout.annotations[0].font.color == "#333"
    assert dark.data[0].line.color == PALETTE[0]  # a blue line stays the palette's blue
    assert dark.data[1].textfont.color == DARK_BLUE_TEXT


def test_styled_dicts_are_the_same_figure_as_style():
    """``styled`` (plain dicts, validated once) draws exactly what ``style`` draws."""
    import json

    import numpy as np

    from lessons.ui.style import styled

    data = [
        {"type": "scatter", "x": np.arange(3.0), "y": [1, 2, 3], "line": {"width": 2.0}},
        {"type": "scatter", "x": [0], "y": [1], "marker": {"size": 9}, "xaxis": "x2"},
        {"type": "scatter", "x": [0, 1], "y": [1, 2], "marker": {"size": [3, 4]}},
    ]
    layouts = [
        {"xaxis": {"title": {"text": "epoch"}}, "annotations": [{"text": "a", "x": 0, "y": 0}]},
        {"title": {"text": "T"}, "xaxis2": {"anchor": "y2"}, "yaxis2": {"domain": [0, 0.3]}},
        {"legend": {"y": 0.5, "font": {"color": "red"}}, "margin": {"t": 3}},
    ]
    then = {"legend": {"y": -0.2, "yanchor": "top"}, "margin": {"t": 40}}
    for layout in layouts:
        for big in (False, True):
            for after in (None, then):
                old = style(go.Figure(data=data, layout=layout), height=300, big=big, then=after)
                new = styled(data, layout, height=300, big=big, then=after)
                assert json.loads(new.to_json()) == json.loads(old.to_json())
    assert data[0]["line"]["width"] == 2.0 and "height" not in layouts[0]  # left unchanged


def _figures() -> list[go.Figure]:
    """Figures of every shape the builders make: titled, subplots, 3-D, preset layout."""
    from plotly.subplots import make_subplots

    titled = go.Figure(go.Scatter(x=[0, 1], y=[1, 0], line={"width": 2.0}, marker={"size": 6}))
    titled.update_layout(title="a title", legend={"bgcolor": "white"}, margin={"l": 80})
    titled.update_xaxes(title_text="x", range=[0, 1])
    grid = make_subplots(rows=2, cols=2, shared_xaxes=True)
    for r in (1, 2):
        for c in (1, 2):
            grid.add_scatter(x=[0, 1], y=[r, c], row=r, col=c, marker={"size": [4, 5]})
    grid.update_yaxes(type="log", row=2, col=1)
    grid.add_annotation(x=0, y=1, text="note", font={"size": 11})
    grid.add_hline(y=1, row=1, col=1)
    scene = go.Figure(go.Surface(z=[[1, 2], [3, 4]]))
    scene.update_layout(scene={"xaxis_title": "w1"})
    return [titled, grid, scene, go.Figure(), go.Figure(go.Bar(x=["a"], y=[1]))]


def test_fast_style_equals_plotlys_own_update_path(monkeypatch):
    """style() writes its layout straight into the figure's layout properties; the result must
    be what update_layout + update_xaxes + update_yaxes give."""
    import lessons.ui.style as style_module

    for big in (False, True):
        for legend in (True, False):
            fast = [style(f, big=big, legend=legend, height=300) for f in _figures()]
            with monkeypatch.context() as m:
                m.setattr(style_module, "_merge_layout", lambda *a: False)
                slow = [style(f, big=big, legend=legend, height=300) for f in _figures()]
            for a, b in zip(fast, slow, strict=True):
                assert a.to_plotly_json() == b.to_plotly_json()
                assert a.layout.legend.font.size == b.layout.legend.font.size  # read back too


def test_fast_style_takes_later_updates():
    fig = style(go.Figure(go.Scatter(x=[0], y=[0])))
    fig.update_layout(legend={"x": 0.5}, height=200)
    fig.update_xaxes(title_text="t")
    assert fig.layout.legend.x == 0.5 and fig.layout.legend.orientation == "h"
    assert fig.layout.height == 200 and fig.layout.xaxis.automargin is True
    assert fig.to_dict()["layout"]["xaxis"]["title"] == {"font": {"size": 14}, "text": "t"}


def _lecture_figure_parts() -> tuple[list[dict], dict]:
    data = [
        {"type": "scatter", "x": [1e-5, 1], "y": [1, 2], "name": "short"},
        {
            "type": "scatter",
            "x": [1e-3],
            "y": [1],
            "mode": "markers+text",
            "text": ["pick"],
            "textfont": {"size": 12},
            "name": "measured: lr = 0.105 (above 2/λmax)",
        },
        {"type": "contour", "z": [[1, 2], [3, 4]], "xaxis": "x2", "yaxis": "y2"},
    ]
    layout = {
        "xaxis": {"type": "log", "exponentformat": "power"},
        "yaxis2": {"type": "log"},
        "coloraxis": {"colorscale": "Viridis"},
        "annotations": [
            {"text": "best", "x": 0, "y": 0, "font": {"size": 12}},
            {"text": "big enough", "x": 1, "y": 1, "font": {"size": 24}},
        ],
    }
    return data, layout


def test_lecture_mode_draws_no_chart_text_under_the_limit_and_wraps_long_legend_entries():
    """Lecture mode: notes and text beside marks raised to 18 px, a log axis without its small
    2 ... 9 labels (75 % of the tick font) and, where it writes 10⁻³, with an exponent (70 % of
    1.25 x the tick font) of 18 px; colour bars sized like the axes in both modes; a legend
    entry too long for a phone on two lines; a legend under the plot at the figure's bottom.
    ``style`` and ``styled`` agree."""
    import json

    from lessons.ui.style import MIN_BIG_PX, styled

    data, layout = _lecture_figure_parts()
    below = {"legend": {"y": -0.2, "yanchor": "top"}}
    for big in (False, True):
        old = style(go.Figure(data=data, layout=layout), height=300, big=big, then=below)
        new = styled(data, layout, height=300, big=big, then=below)
        assert json.loads(new.to_json()) == json.loads(old.to_json())
        lay = new.layout
        # a legend under the plot: at the figure's bottom, under the x title at any height
        assert (lay.legend.yref, lay.legend.y, lay.legend.yanchor) == ("container", 0, "bottom")
        wrapped = "measured: lr = 0.105<br>(above 2/λmax)"  # 35 characters: > 32, < 46
        assert new.data[1].name == (wrapped if big else wrapped.replace("<br>", " "))
        assert new.data[0].name == "short"
        assert new.data[2].colorbar.tickfont.size == lay.yaxis2.tickfont.size
        assert lay.coloraxis.colorbar.title.font.size == lay.font.size
        if big:
            assert new.data[1].textfont.size == MIN_BIG_PX
            assert [a.font.size for a in lay.annotations] == [MIN_BIG_PX, 24]
            assert lay.xaxis.minorloglabels == lay.yaxis2.minorloglabels == "none"
            assert 1.25 * 0.7 * lay.xaxis.tickfont.size >= MIN_BIG_PX
            assert lay.yaxis2.tickfont.size == MIN_BIG_PX  # no exponents: the usual size
        else:
            assert new.data[1].textfont.size == 12 and lay.annotations[0].font.size == 12
            assert lay.xaxis.minorloglabels is None
    assert data[1]["textfont"] == {"size": 12} and layout["annotations"][0]["font"]["size"] == 12
