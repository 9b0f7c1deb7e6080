"""Pure Plotly figures for a workshop board (no Streamlit), big enough for a projector.

Input: gait.store.workshops.board(). Each runner is a row; their speed-matched
reference is a grey tick with its noise band (gait.reference.noise_band_limits_deg;
runners ran at different speeds).
Nicknames are HTML-escaped: Plotly would otherwise read tags in them. A result whose
verdict is "not reliable" is named so on the charts and never leads the room; nor, on the
thigh chart, does one filmed with the phone low (named so).
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from gait.reference import noise_band_limits_deg, noise_band_text
from ui.figures import CADENCE_MIN_SPAN_SPM, REF_COLOUR, min_span_range
from ui.tables import phone_low

RUNNER_COLOUR = "#e8590c"
UNSOUND_COLOUR = "#adb5bd"  # a "not reliable" result: grey and hollow
FONT = {"size": 20}


NOT_RELIABLE_LABEL = " (not reliable)"
PHONE_LOW_LABEL = " (phone low)"


def _counted(table: pd.DataFrame, *, thigh: bool) -> np.ndarray:
    """Per runner: whether their value counts for the leader and the room median. Never a
    "not reliable" result; for a thigh angle, never a phone the runner said was low (its
    thigh reads 10–25° short: gait.quality.CAMERA_LOW_MESSAGE)."""
    sound = (table["verdict"] != "not_reliable").to_numpy(dtype=bool)
    return sound & ~phone_low(table) if thigh else sound


def _ranked(table: pd.DataFrame, column: str, *, thigh: bool) -> pd.DataFrame:
    """Bottom to top: results that do not count first (they never lead, and must not look
    as if they did), then by value, the highest at the top."""
    ranked = table.assign(value=pd.to_numeric(table[column], errors="coerce"),
                          sound=_counted(table, thigh=thigh))
    return ranked.sort_values(["sound", "value"], ascending=True, na_position="first")


def _labels(table: pd.DataFrame, *, thigh: bool) -> list[str]:
    """Nicknames, with why a result does not count."""
    low = phone_low(table) if thigh else np.zeros(len(table), dtype=bool)
    return [html.escape(str(n)) + (NOT_RELIABLE_LABEL if v == "not_reliable"
                                   else PHONE_LOW_LABEL if is_low else "")
            for n, v, is_low in zip(table["nickname"], table["verdict"], low, strict=True)]


def _figure(table: pd.DataFrame, *, value: str, reference: str, band_metric: str | None,
            title: str, x_title: str, digits: int, thigh: bool,
            min_span: float = 0.0) -> go.Figure:
    """band_metric: draw the reference's noise band of this metric (None: no band);
    thigh: a thigh angle, which a low phone's result does not count for; min_span: the
    x axis spans at least this much (`ui.figures.min_span_range`)."""
    below, above = noise_band_limits_deg(band_metric) if band_metric else (0.0, 0.0)
    ranked = _ranked(table, value, thigh=thigh)
    names = _labels(ranked, thigh=thigh)
    ref = pd.to_numeric(ranked[reference], errors="coerce").to_numpy(dtype=float)
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=ref, y=names, mode="markers", name="reference at their speed"
        + (f" {noise_band_text(band_metric)}" if band_metric else ""),
        marker={"symbol": "line-ns-open", "size": 26, "color": REF_COLOUR,
                "line": {"width": 3}},
        error_x={"type": "constant", "symmetric": False, "value": above,
                 "valueminus": below, "color": "rgba(108,117,125,0.35)",
                 "thickness": 14, "width": 0} if band_metric else None,
        hoverinfo="skip"))
    fig.add_trace(go.Scatter(
        x=ranked["value"], y=names, mode="markers+text", name="runner",
        marker={"size": 22, "color": [RUNNER_COLOUR if sound else UNSOUND_COLOUR
                                      for sound in ranked["sound"]],
                "symbol": ["circle" if sound else "circle-open" for sound in ranked["sound"]],
                "line": {"width": 3, "color": [RUNNER_COLOUR if sound else UNSOUND_COLOUR
                                               for sound in ranked["sound"]]}},
        text=[f"{v:.{digits}f}" if np.isfinite(v) else "" for v in ranked["value"]],
        textposition="middle right", textfont=FONT, hoverinfo="skip"))
    fig.update_layout(
        title={"text": title, "font": {"size": 26}, "x": 0},
        height=max(320, 70 * len(ranked) + 140), font=FONT, showlegend=True,
        legend={"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom",
                "font": FONT},
        margin={"l": 10, "r": 40, "t": 60, "b": 10}, plot_bgcolor="white")
    # explicit sizes: the app's chart theme would otherwise shrink axis text to ~12 px,
    # unreadable from the back of a room
    fig.update_xaxes(title={"text": x_title, "font": FONT}, tickfont=FONT, gridcolor="#ddd",
                     zeroline=False, range=min_span_range(
                         np.concatenate([ranked["value"].to_numpy(dtype=float), ref]),
                         min_span=min_span))
    fig.update_yaxes(automargin=True, tickfont={"size": 24})
    return fig


def hip_drive_board(table: pd.DataFrame) -> go.Figure:
    return _figure(table, value="peak_thigh_extension_near_deg",
                   reference="reference_peak_thigh_extension_deg",
                   band_metric="peak_thigh_extension_deg",
                   title="Hip drive: peak thigh extension (near leg)",
                   x_title="degrees behind vertical", digits=1, thigh=True)


def cadence_board(table: pd.DataFrame) -> go.Figure:
    return _figure(table, value="cadence_spm", reference="reference_cadence_spm", band_metric=None,
                   title="Cadence", x_title="steps/min", digits=0, thigh=False,
                   min_span=CADENCE_MIN_SPAN_SPM)


def room_spread(table: pd.DataFrame) -> dict | None:
    """Median and range of the room's peak thigh extension, and the leader, over the
    results that count (`_counted`; None when there is none). The leader has the most
    extension for their speed (over their speed-matched reference: faster runners extend
    more); a room without any reference falls back to the most extension
    (`leader_vs_reference_deg` None)."""
    values = pd.to_numeric(table["peak_thigh_extension_near_deg"], errors="coerce")
    values = values.where(_counted(table, thigh=True))
    if values.notna().sum() == 0:
        return None
    over = values - pd.to_numeric(table["reference_peak_thigh_extension_deg"], errors="coerce")
    best = over.idxmax() if over.notna().any() else values.idxmax()
    return {"n": int(values.notna().sum()), "median_deg": float(values.median()),
            "min_deg": float(values.min()), "max_deg": float(values.max()),
            "leader": str(table.loc[best, "nickname"]), "leader_deg": float(values[best]),
            "leader_vs_reference_deg": float(over[best]) if pd.notna(over[best]) else None}
