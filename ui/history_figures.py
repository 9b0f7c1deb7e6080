"""Pure Plotly figure builders for an athlete's history (no Streamlit).

Input: the table of gait.store `Store.history` (one row per saved analysis, oldest
first). x is when the clip was filmed (the day, plus the save's time of day so that
runs filmed on one day stay apart). User text (notes, names) never goes into a
figure: Plotly would interpret HTML in it.
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from gait.reference import FAR_LEG_LOW_TEXT, NOISE_DEG
from ui.figures import LEG_COLOURS, REF_COLOUR, _band_trace, _layout


def trend_x(history: pd.DataFrame) -> np.ndarray:
    return np.array([datetime.combine(day, created.time()) for day, created in
                     zip(history["recorded_on"], history["created_at"], strict=True)],
                    dtype=object)


def _values(history: pd.DataFrame, column: str) -> np.ndarray:
    return pd.to_numeric(history[column], errors="coerce").to_numpy(dtype=float)


def thigh_extension_trend(history: pd.DataFrame) -> go.Figure:
    """Peak thigh extension per leg (stride medians) with the speed-matched reference
    ± 5° at each run; near-leg points filled, far-leg points hollow."""
    x = trend_x(history)
    fig = go.Figure()
    ref = _values(history, "reference_peak_thigh_extension_deg")
    if np.isfinite(ref).any():
        fig.add_trace(_band_trace(x, ref - NOISE_DEG, ref + NOISE_DEG,
                                  name=f"reference ± {NOISE_DEG:.0f}°"))
        fig.add_trace(go.Scatter(x=x, y=ref, mode="lines", name="reference (speed-matched)",
                                 line={"color": REF_COLOUR, "dash": "dash"}))
    for side in ("left", "right"):
        near = (history["near_side"] == side).to_numpy()
        fig.add_trace(go.Scatter(
            x=x, y=_values(history, f"peak_thigh_extension_{side}_deg"), mode="lines+markers",
            name=f"{side} leg", line={"color": LEG_COLOURS[side]},
            marker={"size": 10, "color": LEG_COLOURS[side],
                    "symbol": ["circle" if n else "circle-open" for n in near]},
            customdata=np.where(near, "near leg", f"far leg (reads {FAR_LEG_LOW_TEXT} low)"),
            hovertemplate="%{x|%Y-%m-%d}: %{y:.1f}° (%{customdata})<extra>" + side +
                          " leg</extra>"))
    return _layout(fig, title="Peak thigh extension per run (median over strides)",
                   x_title="filmed on", y_title="degrees behind vertical", height=400)


def cadence_trend(history: pd.DataFrame) -> go.Figure:
    fig = go.Figure(go.Scatter(
        x=trend_x(history), y=_values(history, "cadence_spm"), mode="lines+markers",
        name="cadence", line={"color": "#495057"}, marker={"size": 9},
        hovertemplate="%{x|%Y-%m-%d}: %{y:.0f} steps/min<extra></extra>"))
    return _layout(fig, title="Cadence per run", x_title="filmed on", y_title="steps/min",
                   height=320)


def symmetry_trend(history: pd.DataFrame) -> go.Figure:
    """Left − right peak thigh extension, with the ± 5° measurement-noise band."""
    x = trend_x(history)
    zero = np.zeros(len(x))
    fig = go.Figure([
        _band_trace(x, zero - NOISE_DEG, zero + NOISE_DEG, name=f"± {NOISE_DEG:.0f}° noise"),
        go.Scatter(x=x, y=_values(history, "thigh_extension_left_minus_right_deg"),
                   mode="lines+markers", name="left − right", line={"color": "#7048e8"},
                   marker={"size": 9},
                   hovertemplate="%{x|%Y-%m-%d}: %{y:+.1f}°<extra></extra>")])
    return _layout(fig, title="Symmetry: left − right peak thigh extension",
                   x_title="filmed on", y_title="degrees", height=320)
