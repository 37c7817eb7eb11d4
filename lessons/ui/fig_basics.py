"""Figure builders for "What is a learning rate?": a ball stepping down a parabola."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from lessons.ui.style import GREY, color, style


def ball_on_curve(
    xs: np.ndarray,
    fx: np.ndarray,
    path: np.ndarray,
    loss: np.ndarray,
    slope: float | None,
    *,
    big: bool = False,
) -> go.Figure:
    """The loss curve, the iterates so far (a fading trail) and the current ball.

    Parameters
    ----------
    xs, fx : the curve, sampled.
    path, loss : the iterates w_0..w_k and F(w_0)..F(w_k) (finite values only are drawn).
    slope : the derivative at the current ball, drawn as a short tangent (None to omit).
    """
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(x=xs, y=fx, mode="lines", name="loss F(w)", line={"color": GREY, "width": 3})
    )
    ok = np.isfinite(path) & np.isfinite(loss)
    p, lo = path[ok], loss[ok]
    if p.size > 1:
        fig.add_trace(
            go.Scatter(
                x=p,
                y=lo,
                mode="lines+markers",
                name="steps so far",
                line={"color": color(0), "width": 1.5, "dash": "dot"},
                marker={"size": 9, "color": color(0), "opacity": 0.45},
                hovertemplate="w=%{x:.4g}<br>F=%{y:.4g}<extra></extra>",
            )
        )
    if p.size:
        w, f = p[-1], lo[-1]
        if slope is not None and np.isfinite(slope):
            half = 0.12 * (xs[-1] - xs[0])
            fig.add_trace(
                go.Scatter(
                    x=[w - half, w + half],
                    y=[f - slope * half, f + slope * half],
                    mode="lines",
                    name=f"slope dF/dw = {slope:.3g}",
                    line={"color": color(1), "width": 3, "dash": "dash"},
                )
            )
        fig.add_trace(
            go.Scatter(
                x=[w],
                y=[f],
                mode="markers",
                name="the ball (w now)",
                marker={"size": 22, "color": color(1), "line": {"color": "white", "width": 2}},
                hovertemplate="w=%{x:.4g}<br>F=%{y:.4g}<extra></extra>",
            )
        )
    top = float(np.nanmax(fx))
    fig.update_yaxes(title="loss F(w)", range=[-0.05 * top, 1.05 * top])
    fig.update_xaxes(title="parameter w", range=[xs[0], xs[-1]])
    return style(fig, height=420, big=big)
