"""Pure Plotly figure builders for an athlete's history (no Streamlit).

Input: the table of gait.store `Store.history` (one row per saved analysis, oldest
first). x is the day the clip was filmed, at noon, where that day's tick is; runs filmed
on one day are spread an hour apart around it, in the order they were saved. User text
(notes, names) never goes into a figure: Plotly would interpret HTML in it.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from gait.reference import (
    FAR_LEG_LOW_TEXT,
    NOISE_DEG,
    left_minus_right_noise_range_deg,
    noise_band_limits_deg,
    noise_band_text,
)
from ui.figures import (
    CADENCE_MIN_SPAN_SPM,
    LEG_COLOURS,
    REF_COLOUR,
    _band_trace,
    _layout,
    min_span_range,
)
from ui.tables import phone_low

NOON = time(12)
SAME_DAY_SPACING = timedelta(hours=1)


def trend_x(history: pd.DataFrame) -> np.ndarray:
    """Noon of the day filmed; runs of one day an hour apart around it, by save time."""
    order = history.assign(row=np.arange(len(history))).sort_values(
        ["recorded_on", "created_at"], kind="stable")
    x = np.empty(len(history), dtype=object)
    for _, same_day in order.groupby("recorded_on", sort=False):
        first = -(len(same_day) - 1) / 2
        for k, (day, row) in enumerate(zip(same_day["recorded_on"], same_day["row"],
                                           strict=True)):
            x[row] = datetime.combine(day, NOON) + (first + k) * SAME_DAY_SPACING
    return x


def _band_x(x: np.ndarray, *values: np.ndarray) -> tuple[np.ndarray, ...]:
    """x and `values` extended by half a day at both ends, so that a band over the runs
    shows even when there is only one run (a band over one x has no width)."""
    if len(x) == 0:
        return (x, *values)
    half_day = timedelta(hours=12)
    xs = np.concatenate([[x[0] - half_day], x, [x[-1] + half_day]])
    return (xs, *(np.concatenate([[v[0]], v, [v[-1]]]) for v in values))


def _dated(fig: go.Figure, x: np.ndarray) -> go.Figure:
    """Ticks show the day filmed, at noon where its runs are (never the time of day it was
    saved); a day per tick over a fortnight or less, and a day's room either side."""
    if len(x) == 0:
        return fig
    span = max(x) - min(x)
    fig.update_xaxes(tickformat="%d %b %Y", range=[min(x) - timedelta(days=1),
                                                   max(x) + timedelta(days=1)],
                     tick0="2000-01-01 12:00",
                     dtick=86_400_000 if span <= timedelta(days=14) else None)
    return fig


def _values(history: pd.DataFrame, column: str) -> np.ndarray:
    return pd.to_numeric(history[column], errors="coerce").to_numpy(dtype=float)


PHONE_LOW_COLOUR = "#868e96"
PHONE_LOW_NAME = "phone low (not comparable)"


def thigh_extension_trend(history: pd.DataFrame) -> go.Figure:
    """Peak thigh extension per leg (stride medians) with the speed-matched reference and
    its noise band at each run; near-leg points filled, far-leg points hollow. A run
    filmed with the phone low (its thigh reads 10–25° short) is off the legs' lines: a
    grey cross of its near leg, so that a change of camera never looks like progress."""
    x = trend_x(history)
    off_line = phone_low(history)
    fig = go.Figure()
    ref = _values(history, "reference_peak_thigh_extension_deg")
    if np.isfinite(ref).any():
        below, above = noise_band_limits_deg("peak_thigh_extension_deg")
        band_x, low, high = _band_x(x, ref - below, ref + above)
        fig.add_trace(_band_trace(band_x, low, high,
                                  name=f"reference {noise_band_text('peak_thigh_extension_deg')}"))
        fig.add_trace(go.Scatter(x=x, y=ref, mode="lines+markers",  # one run: the marker
                                 name="reference (speed-matched)",
                                 line={"color": REF_COLOUR, "dash": "dash"},
                                 marker={"color": REF_COLOUR, "symbol": "line-ew-open",
                                         "size": 18}))
    for side in ("left", "right") if (~off_line).any() else ():
        near = (history["near_side"] == side).to_numpy()
        fig.add_trace(go.Scatter(
            x=x[~off_line], y=_values(history, f"peak_thigh_extension_{side}_deg")[~off_line],
            mode="lines+markers",
            name=f"{side} leg", line={"color": LEG_COLOURS[side]},
            marker={"size": 10, "color": LEG_COLOURS[side],
                    "symbol": ["circle" if n else "circle-open" for n in near[~off_line]]},
            customdata=np.where(near[~off_line], "near leg",
                                f"far leg (reads {FAR_LEG_LOW_TEXT} low)"),
            hovertemplate="%{x|%Y-%m-%d}: %{y:.1f}° (%{customdata})<extra>" + side +
                          " leg</extra>"))
    if off_line.any():
        side = history["near_side"].to_numpy()
        near_values = np.select([side == "left", side == "right"],
                                [_values(history, "peak_thigh_extension_left_deg"),
                                 _values(history, "peak_thigh_extension_right_deg")], np.nan)
        fig.add_trace(go.Scatter(
            x=x[off_line], y=near_values[off_line], mode="markers", name=PHONE_LOW_NAME,
            marker={"size": 12, "color": PHONE_LOW_COLOUR, "symbol": "x"},
            hovertemplate="%{x|%Y-%m-%d}: %{y:.1f}° (near leg; phone low: reads the thigh "
                          "short, not comparable with hip-height runs)<extra></extra>"))
    return _dated(_layout(fig, title="Peak thigh extension per run (median over strides)",
                          x_title="filmed on", y_title="degrees behind vertical", height=400), x)


def cadence_trend(history: pd.DataFrame) -> go.Figure:
    """Cadence per run, on an axis at least CADENCE_MIN_SPAN_SPM tall (one run of 172
    steps/min drew an axis 171.5–173)."""
    x = trend_x(history)
    cadence = _values(history, "cadence_spm")
    fig = go.Figure(go.Scatter(
        x=x, y=cadence, mode="lines+markers",
        name="cadence", line={"color": "#495057"}, marker={"size": 9},
        hovertemplate="%{x|%Y-%m-%d}: %{y:.0f} steps/min<extra></extra>"))
    fig.update_yaxes(range=min_span_range(cadence, min_span=CADENCE_MIN_SPAN_SPM))
    return _dated(_layout(fig, title="Cadence per run", x_title="filmed on",
                          y_title="steps/min", height=320), x)


def symmetry_trend(history: pd.DataFrame) -> go.Figure:
    """Left − right peak thigh extension, with the band each run's card calls noise (± 5°
    after allowing for the far leg reading 3–5° low: −2° to +10° with the near leg on the
    left, `gait.reference.left_minus_right_noise_range_deg`); none for a run filmed with the
    phone low (not judged: gait.reference.LOW_CAMERA_NOT_JUDGED)."""
    x = trend_x(history)
    off_line = phone_low(history)
    ranges = np.array([left_minus_right_noise_range_deg(side) for side in history["near_side"]],
                      dtype=float).reshape(-1, 2)
    band_x, low, high = _band_x(x, ranges[:, 0], ranges[:, 1])
    fig = go.Figure([
        _band_trace(band_x, low, high, name=f"noise (± {NOISE_DEG:.0f}°, the far leg reading "
                                            f"{FAR_LEG_LOW_TEXT} low allowed for)"),
        go.Scatter(x=x[~off_line],
                   y=_values(history, "thigh_extension_left_minus_right_deg")[~off_line],
                   mode="lines+markers", name="left − right", line={"color": "#7048e8"},
                   marker={"size": 9},
                   hovertemplate="%{x|%Y-%m-%d}: %{y:+.1f}°<extra></extra>")])
    return _dated(_layout(fig, title="Symmetry: left − right peak thigh extension",
                          x_title="filmed on", y_title="degrees", height=320), x)
