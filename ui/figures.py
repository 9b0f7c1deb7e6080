"""Pure Plotly figure builders for the Results and Compare pages (no Streamlit).

Colours follow the annotated video: the runner's left leg orange, right leg blue;
the far leg is drawn fainter. The reference is grey: a dashed line and the band within
which a difference is measurement noise (gait.reference: ± NOISE_DEG, wider on the side
where the pose model reads extension short). Stride points carry
`customdata = [side, stride]` so a click can pick a stride.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from gait.reference import NOISE_DEG, noise_band_limits_deg, noise_band_text
from gait.strides import normalise_stride

LEG_COLOURS = {"left": "#e8590c", "right": "#1c7ed6"}
COMPARE_COLOURS = ("#1c7ed6", "#d6336c")
REF_COLOUR = "#6c757d"
BAND_FILL = "rgba(108,117,125,0.18)"
PCT = np.linspace(0, 100, 101)
PLOTLY_CONFIG = {"displaylogo": False, "scrollZoom": False,  # the charts do not pan or
                 # zoom (`_layout`): their toolbar keeps only "download as PNG", which on a
                 # phone no longer covers the chart's title
                 "modeBarButtonsToRemove": ["lasso2d", "select2d", "zoom2d", "pan2d",
                                            "zoomIn2d", "zoomOut2d", "autoScale2d",
                                            "resetScale2d"]}
CYCLE_LABELS = {"thigh": "thigh angle (°)", "hip": "trunk–thigh angle (°)",
                "knee": "knee flexion (°)"}


def _layout(fig: go.Figure, *, title: str, x_title: str, y_title: str,
            height: int = 440) -> go.Figure:
    fig.update_layout(
        title={"text": title, "x": 0, "xanchor": "left", "font": {"size": 15}},
        height=height, margin={"l": 10, "r": 10, "t": 40, "b": 10},
        # legend pinned to the bottom of the figure: the plot shrinks instead of overlapping
        legend={"orientation": "h", "yref": "container", "yanchor": "bottom", "y": 0, "x": 0},
        hovermode="closest", plot_bgcolor="white", clickmode="event+select",
        # no dragging with a mouse (fixed axes below). Streamlit turns a selectable chart's
        # dragmode back to "pan"; on a touch screen ui.app_entry.TOUCH_SCROLLS_PAST_CHARTS
        # lets a swipe through to the page instead. A click still picks a point.
        dragmode=False)
    fig.update_xaxes(title=x_title, gridcolor="#eee", zeroline=False, fixedrange=True)
    fig.update_yaxes(title=y_title, gridcolor="#eee", zeroline=False, fixedrange=True)
    return fig


def _band_trace(x: np.ndarray, lo: np.ndarray, hi: np.ndarray, name: str,
                fill: str = BAND_FILL) -> go.Scatter:
    """A filled polygon between lo and hi (NaN-free parts only)."""
    ok = np.isfinite(lo) & np.isfinite(hi)
    xs = np.concatenate([x[ok], x[ok][::-1]])
    ys = np.concatenate([hi[ok], lo[ok][::-1]])
    return go.Scatter(x=xs, y=ys, fill="toself", fillcolor=fill, line={"width": 0},
                      mode="lines", name=name, hoverinfo="skip")


def _reference_band(fig: go.Figure, xr: np.ndarray, metric: str, reference_deg: float,
                    name: str) -> tuple[float, float]:
    """The reference's noise band (`metric`'s, lopsided where the pose model reads
    extension short) with thin edge lines, so it reads as a band even when it fills
    the height; returns its (low, high) in degrees."""
    below, above = noise_band_limits_deg(metric)
    low, high = reference_deg - below, reference_deg + above
    fig.add_trace(_band_trace(xr, xr * 0 + low, xr * 0 + high, name))
    for edge in (low, high):
        fig.add_trace(go.Scatter(x=xr, y=[edge] * 2, mode="lines", showlegend=False,
                                 line={"color": REF_COLOUR, "width": 0.8}, opacity=0.6,
                                 hoverinfo="skip"))
    return low, high


def _y_range_around(values: np.ndarray, low: float, high: float) -> list[float]:
    """A y range holding every value and the band with room above and below (a band
    that fills the whole chart hides where it ends)."""
    finite = values[np.isfinite(values)]
    lo = float(min(low, finite.min())) if len(finite) else low
    hi = float(max(high, finite.max())) if len(finite) else high
    pad = max(3.0, 0.15 * (hi - lo))
    return [lo - pad, hi + pad]


def leg_name(side: str, near_side: str) -> str:
    return f"{side} ({'near' if side == near_side else 'far'}) leg"


def stride_chart(strides: pd.DataFrame, *, near_side: str, metric: str, title: str,
                 y_title: str, reference_deg: float | None,
                 selected: tuple[str, int] | None = None, note: str | None = None) -> go.Figure:
    """One point per stride (x = stride start in the clip) for each leg, the near leg on
    top, with the reference value and its noise band (`metric`'s) when there is one."""
    fig = go.Figure()
    x_all = strides["start_s"].to_numpy(float)
    x0, x1 = (float(x_all.min()), float(x_all.max())) if len(x_all) else (0.0, 1.0)
    pad = max(0.3, 0.03 * (x1 - x0))
    xr = np.array([x0 - pad, x1 + pad])
    band = None
    if reference_deg is not None and np.isfinite(reference_deg):
        band = _reference_band(fig, xr, metric, reference_deg,
                               f"reference {noise_band_text(metric)} (pose noise)")
        fig.add_trace(go.Scatter(x=xr, y=[reference_deg] * 2, mode="lines",
                                 line={"color": REF_COLOUR, "dash": "dash", "width": 2},
                                 name=f"speed-matched reference {reference_deg:.1f}°",
                                 hoverinfo="skip"))
    far_side = "right" if near_side == "left" else "left"
    for side in (far_side, near_side):
        rows = strides[strides["side"] == side].sort_values("start_s")
        near = side == near_side
        fig.add_trace(go.Scatter(
            x=rows["start_s"], y=rows[metric], mode="lines+markers", name=leg_name(side, near_side),
            customdata=np.column_stack([rows["side"], rows["stride"]]) if len(rows) else None,
            line={"color": LEG_COLOURS[side], "width": 2.5 if near else 1.5},
            marker={"size": 10 if near else 7, "symbol": "circle" if near else "circle-open"},
            opacity=1.0 if near else 0.7,
            hovertemplate=(f"{side} stride %{{customdata[1]}}<br>starts at %{{x:.2f}} s"
                           "<br>%{y:.1f}°<extra></extra>")))
    if selected is not None:
        row = strides[(strides["side"] == selected[0]) & (strides["stride"] == selected[1])]
        if len(row):
            fig.add_trace(go.Scatter(
                x=row["start_s"], y=row[metric], mode="markers", name="picked stride",
                marker={"size": 20, "color": "rgba(0,0,0,0)",
                        "line": {"color": "#212529", "width": 2.5}}, hoverinfo="skip"))
    if note:
        fig.add_annotation(text=note, xref="paper", yref="paper", x=0, y=1.0, showarrow=False,
                           xanchor="left", yanchor="bottom", font={"size": 11, "color": "#555"})
    fig.update_xaxes(range=list(xr))
    if band is not None:
        fig.update_yaxes(range=_y_range_around(strides[metric].to_numpy(float), *band))
    return _layout(fig, title=title, x_title="stride start in the clip (s)", y_title=y_title)


def stride_curves(frames: pd.DataFrame, strides: pd.DataFrame, *, side: str,
                  column: str) -> tuple[np.ndarray, list[int]]:
    """Each stride of `side` resampled over 0–100 % (rows), and their stride numbers;
    strides with fewer than 10 finite samples are left out."""
    t = frames["time_s"].to_numpy(float)
    values = frames[column].to_numpy(float)
    curves, numbers = [], []
    for row in strides[strides["side"] == side].itertuples():
        curve = normalise_stride(t, values, start_s=row.start_s, end_s=row.end_s)
        if np.isfinite(curve).sum() > 10:
            curves.append(curve)
            numbers.append(int(row.stride))
    return (np.vstack(curves) if curves else np.empty((0, len(PCT)))), numbers


def mean_curve(stack: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mean and SD over strides; NaN where fewer than half of the strides have data."""
    if len(stack) == 0:
        return np.full(len(PCT), np.nan), np.full(len(PCT), np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns stay NaN
        mean = np.nanmean(stack, axis=0)
        sd = np.nanstd(stack, axis=0)
    thin = np.isfinite(stack).sum(axis=0) < max(1, len(stack) // 2)
    mean[thin], sd[thin] = np.nan, np.nan
    return mean, sd


def mean_toe_off_pct(strides: pd.DataFrame, side: str) -> float | None:
    rows = strides[strides["side"] == side]
    toe = ((rows["toe_off_s"] - rows["start_s"]) / (rows["end_s"] - rows["start_s"])).mean()
    return float(100 * toe) if np.isfinite(toe) else None


def _reference_curve_traces(fig: go.Figure, curve: np.ndarray | None, label: str,
                            band_deg: float) -> None:
    if curve is None:
        return
    closed = np.append(curve, curve[0])  # 100 % = the next foot strike = 0 %
    fig.add_trace(_band_trace(PCT, closed - band_deg, closed + band_deg,
                              f"reference ± {band_deg:.0f}°"))
    fig.add_trace(go.Scatter(x=PCT, y=closed, mode="lines", name=label, hoverinfo="skip",
                             line={"color": REF_COLOUR, "dash": "dash", "width": 2}))


def _event_lines(fig: go.Figure, toe_off_pct: float | None, ref_toe_off_pct: float | None
                 ) -> None:
    fig.add_vline(x=0, line={"color": "#333", "dash": "dot", "width": 1})
    fig.add_annotation(x=0, y=1, yref="paper", text="foot strike", showarrow=False,
                       xanchor="left", yanchor="top", font={"size": 11})
    if toe_off_pct is not None:
        fig.add_vline(x=toe_off_pct, line={"color": "#333", "dash": "dot", "width": 1})
        fig.add_annotation(x=toe_off_pct, y=1, yref="paper", showarrow=False, xanchor="left",
                           yanchor="top", text=f"toe-off {toe_off_pct:.0f} %",
                           font={"size": 11})
    if ref_toe_off_pct is not None:
        fig.add_vline(x=ref_toe_off_pct, line={"color": REF_COLOUR, "dash": "dash", "width": 1})


NO_STRIDE_OF_THIS_LEG = ("No complete stride of this leg was found, so there is no curve "
                         "to draw:<br>“Quality of this analysis” below says why.")


def cycle_chart(frames: pd.DataFrame, strides: pd.DataFrame, *, side: str, near_side: str,
                part: str, reference_curve: np.ndarray | None = None,
                reference_label: str = "reference", reference_toe_off_pct: float | None = None,
                band_deg: float = NOISE_DEG, note: str | None = None) -> go.Figure:
    """`part` angle ("thigh", "hip" = trunk–thigh, "knee") over 0–100 % of each stride of
    `side`: every stride thin, the mean bold, the reference curve and band behind."""
    fig = go.Figure()
    _reference_curve_traces(fig, reference_curve, reference_label, band_deg)
    stack, numbers = stride_curves(frames, strides, side=side, column=f"{side}_{part}_deg")
    colour = LEG_COLOURS[side]
    for i, (curve, number) in enumerate(zip(stack, numbers, strict=True)):
        fig.add_trace(go.Scatter(
            x=PCT, y=curve, mode="lines", line={"color": colour, "width": 1}, opacity=0.35,
            name=f"each {side} stride", legendgroup="strides", showlegend=i == 0,
            hovertemplate=f"stride {number}<br>%{{x:.0f}} %: %{{y:.1f}}°<extra></extra>"))
    mean, _ = mean_curve(stack)
    if len(stack):
        fig.add_trace(go.Scatter(x=PCT, y=mean, mode="lines", name=f"mean of {len(stack)} strides",
                                 line={"color": colour, "width": 4},
                                 hovertemplate="mean<br>%{x:.0f} %: %{y:.1f}°<extra></extra>"))
    _event_lines(fig, mean_toe_off_pct(strides, side), reference_toe_off_pct)
    if not len(stack):
        fig.add_annotation(text=NO_STRIDE_OF_THIS_LEG, xref="paper", yref="paper", x=0.5,
                           y=0.5, showarrow=False, font={"size": 15, "color": "#555"})
    if note:
        fig.add_annotation(text=note, xref="paper", yref="paper", x=0, y=1.0, showarrow=False,
                           xanchor="left", yanchor="bottom", font={"size": 11, "color": "#555"})
    name = {"thigh": "Thigh", "hip": "Trunk–thigh (2D hip)", "knee": "Knee"}[part]
    fig.update_xaxes(range=[0, 100])
    return _layout(fig, title=f"{name} over the stride, {leg_name(side, near_side)}",
                   x_title="% of stride (0 and 100 = foot strike)", y_title=CYCLE_LABELS[part])


def compare_stride_chart(entries: list[tuple[str, pd.DataFrame]], *, metric: str, title: str,
                         y_title: str, reference_deg: float | None) -> go.Figure:
    """Per-stride values of several analyses (each already filtered to one leg),
    x = stride number, with the first analysis's reference and its noise band."""
    fig = go.Figure()
    n = max((len(rows) for _, rows in entries), default=1)
    xr = np.array([0.5, n + 0.5])
    band = None
    if reference_deg is not None and np.isfinite(reference_deg):
        band = _reference_band(fig, xr, metric, reference_deg,
                               f"reference {noise_band_text(metric)}")
        fig.add_trace(go.Scatter(x=xr, y=[reference_deg] * 2, mode="lines", hoverinfo="skip",
                                 line={"color": REF_COLOUR, "dash": "dash", "width": 2},
                                 name=f"reference (A) {reference_deg:.1f}°"))
    for (label, rows), colour in zip(entries, COMPARE_COLOURS, strict=False):
        rows = rows.sort_values("start_s")
        fig.add_trace(go.Scatter(
            x=np.arange(1, len(rows) + 1), y=rows[metric], mode="lines+markers", name=label,
            line={"color": colour, "width": 2}, marker={"size": 8},
            hovertemplate=f"{label}<br>stride %{{x}}: %{{y:.1f}}°<extra></extra>"))
    fig.update_xaxes(range=list(xr), dtick=1 if n <= 20 else None)
    if band is not None:
        values = np.concatenate([rows[metric].to_numpy(float) for _, rows in entries] or [[]])
        fig.update_yaxes(range=_y_range_around(values, *band))
    return _layout(fig, title=title, x_title="stride number", y_title=y_title)


def compare_cycle_chart(entries: list[tuple[str, pd.DataFrame, pd.DataFrame, str]], *,
                        part: str, reference_curve: np.ndarray | None = None,
                        band_deg: float = NOISE_DEG) -> go.Figure:
    """Mean ± SD curves over 0–100 % of the stride for several analyses.
    `entries` = (label, frames, strides, side)."""
    fig = go.Figure()
    _reference_curve_traces(fig, reference_curve, "reference (A)", band_deg)
    for (label, frames, strides, side), colour in zip(entries, COMPARE_COLOURS, strict=False):
        stack, _ = stride_curves(frames, strides, side=side, column=f"{side}_{part}_deg")
        mean, sd = mean_curve(stack)
        rgb = tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))
        fig.add_trace(_band_trace(PCT, mean - sd, mean + sd, f"{label} ± SD",
                                  fill=f"rgba({rgb[0]},{rgb[1]},{rgb[2]},0.15)"))
        fig.add_trace(go.Scatter(x=PCT, y=mean, mode="lines", name=f"{label} (mean)",
                                 line={"color": colour, "width": 3},
                                 hovertemplate=f"{label}<br>%{{x:.0f}} %: %{{y:.1f}}°"
                                               "<extra></extra>"))
        toe = mean_toe_off_pct(strides, side)
        if toe is not None:
            fig.add_vline(x=toe, line={"color": colour, "dash": "dot", "width": 1})
    fig.add_vline(x=0, line={"color": "#333", "dash": "dot", "width": 1})
    name = {"thigh": "Thigh", "hip": "Trunk–thigh (2D hip)", "knee": "Knee"}[part]
    fig.update_xaxes(range=[0, 100])
    return _layout(fig, title=f"{name} over the stride (dotted: toe-off)",
                   x_title="% of stride (0 and 100 = foot strike)", y_title=CYCLE_LABELS[part])


CADENCE_MIN_SPAN_SPM = 40.0  # a cadence axis (workshop board, History) spans at least this:
# 2 steps/min apart must not fill a projector's width (a board of 167 and 169 against a
# reference of 161 drew an axis 161–169), nor one run its own axis (171.5–173)


def min_span_range(values: np.ndarray, *, min_span: float) -> list[float] | None:
    """An axis range at least `min_span` wide around the finite `values` (None: let
    Plotly choose, when they already spread that far or there are none), so that a few
    units' difference does not fill the chart."""
    finite = np.asarray(values, dtype=float)
    finite = finite[np.isfinite(finite)]
    if not len(finite) or np.ptp(finite) >= min_span:
        return None
    centre = (finite.min() + finite.max()) / 2
    return [centre - min_span / 2, centre + min_span / 2]
