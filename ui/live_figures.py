"""Pure Plotly figure for the live page: the near leg's thigh angle as a scrolling
trace, with the speed-matched reference's peak extension and flexion and their noise bands
(gait.reference.noise_band_limits_deg).
Big type for a projector."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from gait.reference import noise_band_limits_deg, noise_band_text
from ui.figures import BAND_FILL, LEG_COLOURS, REF_COLOUR

TRACE_S = 10.0


def thigh_trace(trace: pd.DataFrame, *, near_side: str | None,
                reference_values: dict | None) -> go.Figure:
    """`trace`: columns time_s, thigh_deg (+ = knee in front, − = behind)."""
    fig = go.Figure()
    if len(trace):
        t_end = float(trace["time_s"].iloc[-1])
        recent = trace[trace["time_s"] >= t_end - TRACE_S]
        x = (recent["time_s"] - t_end).to_numpy()
        x_range = [-TRACE_S, 0.0]
    else:
        recent, x, x_range = trace, np.array([]), [-TRACE_S, 0.0]
    for key, sign, label in (("peak_thigh_extension_deg", -1, "reference extension"),
                             ("peak_thigh_flexion_deg", 1, "reference flexion")):
        value = (reference_values or {}).get(key)
        if value is None:
            continue
        # the trace is the signed thigh angle: extension is negative, so the band flips
        below, above = noise_band_limits_deg(key)
        lower, upper = (below, above) if sign > 0 else (above, below)
        fig.add_hrect(y0=sign * value - lower, y1=sign * value + upper,
                      fillcolor=BAND_FILL, line_width=0)
        fig.add_hline(y=sign * value, line={"color": REF_COLOUR, "dash": "dash"},
                      annotation_text=f"{label} {noise_band_text(key)}",
                      annotation_font={"size": 16})
    fig.add_trace(go.Scatter(x=x, y=recent["thigh_deg"] if len(recent) else [],
                             mode="lines", line={"width": 5,
                                                 "color": LEG_COLOURS.get(near_side or "",
                                                                          "#1c7ed6")},
                             name="thigh angle", hoverinfo="skip"))
    leg = f"{near_side} (near)" if near_side else "Near"
    fig.update_layout(height=380, margin={"l": 10, "r": 10, "t": 50, "b": 10},
                      title={"text": f"{leg} thigh angle, last {TRACE_S:.0f} s",
                             "font": {"size": 24}, "x": 0},
                      font={"size": 18}, showlegend=False, plot_bgcolor="white")
    fig.update_xaxes(range=x_range, title="seconds ago", gridcolor="#ddd")
    fig.update_yaxes(range=[-45, 55], title="° (+ in front, − behind)", gridcolor="#ddd")
    return fig
