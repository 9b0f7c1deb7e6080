"""Inline SVG charts for the self-contained HTML report (gait.report).

A small line-chart primitive plus the report's two chart types (peak thigh
extension per stride; angle over the gait cycle).

No JavaScript and nothing loaded from elsewhere: each chart is one inline
``<svg>`` with a ``viewBox``, so it scales to the page width (phones), prints
crisply and stays a few kilobytes. Values that are NaN break a line instead of
being drawn as zero. Point markers carry a ``<title>``, which browsers show as a
tooltip without any script.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

import numpy as np
import pandas as pd

from gait.strides import normalise_stride

FONT_PX = 14


@dataclass(frozen=True)
class Line:
    """A polyline (optionally with point markers) in data coordinates."""

    x: Sequence[float]
    y: Sequence[float]
    color: str = "#1f5fa8"
    width: float = 1.5
    opacity: float = 1.0
    dash: str | None = None
    markers: bool = False
    point_titles: Sequence[str] | None = None
    css_class: str | None = None


@dataclass(frozen=True)
class Band:
    """A filled area between `lo` and `hi` along `x` (e.g. reference ± 5°)."""

    x: Sequence[float]
    lo: Sequence[float]
    hi: Sequence[float]
    color: str = "#888888"
    opacity: float = 0.18
    css_class: str | None = None


@dataclass(frozen=True)
class VLine:
    """A labelled vertical marker (e.g. foot strike, toe-off)."""

    x: float
    label: str
    color: str = "#555555"
    dash: str = "4 3"


@dataclass(frozen=True)
class LegendItem:
    label: str
    color: str
    width: float = 2.0
    dash: str | None = None
    opacity: float = 1.0
    band: bool = False


def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """About `n` round tick values covering [lo, hi]."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo] if math.isfinite(lo) else []
    raw = (hi - lo) / max(n - 1, 1)
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step - 1e-9) * step
    return [round(first + i * step, 10) for i in range(int((hi - first) / step + 1e-9) + 1)]


def _finite_range(values: list[np.ndarray], pad: float) -> tuple[float, float]:
    finite = np.concatenate([v[np.isfinite(v)] for v in values]) if values else np.array([])
    if finite.size == 0:
        return 0.0, 1.0
    lo, hi = float(finite.min()), float(finite.max())
    span = hi - lo or 1.0
    return lo - pad * span, hi + pad * span


def _fmt_tick(v: float) -> str:
    return f"{v:.0f}" if abs(v - round(v)) < 1e-9 else f"{v:g}"


def _segments(px: np.ndarray, py: np.ndarray) -> str:
    """SVG path data with a new sub-path after each NaN."""
    parts, pen_down = [], False
    for a, b in zip(px, py, strict=True):
        if not (math.isfinite(a) and math.isfinite(b)):
            pen_down = False
            continue
        parts.append(f"{'L' if pen_down else 'M'}{a:.1f} {b:.1f}")
        pen_down = True
    return "".join(parts)


def line_chart(lines: Sequence[Line], *, title: str, x_label: str, y_label: str,
               bands: Sequence[Band] = (), vlines: Sequence[VLine] = (),
               x_range: tuple[float, float] | None = None,
               y_range: tuple[float, float] | None = None,
               width: int = 560, height: int = 300, chart_id: str | None = None) -> str:
    """One inline SVG line chart. All text is escaped here."""
    left, right, top, bottom = 54, 12, 10, 46
    xs = [np.asarray(s.x, float) for s in lines] + [np.asarray(b.x, float) for b in bands]
    ys = [np.asarray(s.y, float) for s in lines] + [
        np.asarray(v, float) for b in bands for v in (b.lo, b.hi)]
    x0, x1 = x_range or _finite_range(xs, 0.02)
    y0, y1 = y_range or _finite_range(ys, 0.08)
    pw, ph = width - left - right, height - top - bottom

    def sx(v):
        return left + (np.asarray(v, float) - x0) / (x1 - x0) * pw

    def sy(v):
        return top + (1 - (np.asarray(v, float) - y0) / (y1 - y0)) * ph

    ident = f' id="{escape(chart_id)}"' if chart_id else ""
    out = [f'<svg{ident} class="chart" viewBox="0 0 {width} {height}" role="img" '
           f'font-size="{FONT_PX}" font-family="system-ui, sans-serif">'
           f"<title>{escape(title)}</title>",
           f'<defs><clipPath id="clip-{escape(chart_id or "c")}"><rect x="{left}" y="{top}" '
           f'width="{pw}" height="{ph}"/></clipPath></defs>']
    for t in nice_ticks(y0, y1):
        yy = float(sy(t))
        out.append(f'<line x1="{left}" x2="{left + pw}" y1="{yy:.1f}" y2="{yy:.1f}" '
                   f'stroke="#e3e3e3"/><text x="{left - 6}" y="{yy + 4:.1f}" '
                   f'text-anchor="end" fill="#444">{_fmt_tick(t)}</text>')
    for t in nice_ticks(x0, x1, 7):
        xx = float(sx(t))
        out.append(f'<line x1="{xx:.1f}" x2="{xx:.1f}" y1="{top}" y2="{top + ph}" '
                   f'stroke="#f0f0f0"/><text x="{xx:.1f}" y="{top + ph + 16}" '
                   f'text-anchor="middle" fill="#444">{_fmt_tick(t)}</text>')
    out.append(f'<g clip-path="url(#clip-{escape(chart_id or "c")})">')
    for b in bands:
        bx, lo, hi = sx(b.x), sy(b.lo), sy(b.hi)
        ok = np.isfinite(bx) & np.isfinite(lo) & np.isfinite(hi)
        if ok.sum() < 2:
            continue
        pts = [f"{a:.1f},{c:.1f}" for a, c in zip(bx[ok], hi[ok], strict=True)]
        pts += [f"{a:.1f},{c:.1f}" for a, c in zip(bx[ok][::-1], lo[ok][::-1], strict=True)]
        cls = f' class="{escape(b.css_class)}"' if b.css_class else ""
        out.append(f'<polygon{cls} points="{" ".join(pts)}" fill="{b.color}" '
                   f'fill-opacity="{b.opacity}" stroke="none"/>')
    for v in vlines:
        xx = float(sx(v.x))
        if math.isfinite(xx):
            out.append(f'<line x1="{xx:.1f}" x2="{xx:.1f}" y1="{top}" y2="{top + ph}" '
                       f'stroke="{v.color}" stroke-dasharray="{v.dash}"/>')
    for s in lines:
        px, py = sx(s.x), sy(s.y)
        cls = f' class="{escape(s.css_class)}"' if s.css_class else ""
        dash = f' stroke-dasharray="{s.dash}"' if s.dash else ""
        d = _segments(px, py)
        if s.markers:  # the line and its points share one group (and its class)
            out.append(f"<g{cls}>")
            cls = ""
        if d:
            out.append(f'<path{cls} d="{d}" fill="none" stroke="{s.color}" '
                       f'stroke-width="{s.width}" stroke-opacity="{s.opacity}"{dash} '
                       'stroke-linejoin="round"/>')
        if s.markers:
            titles = s.point_titles or [""] * len(px)
            for a, c, tip in zip(px, py, titles, strict=True):
                if math.isfinite(a) and math.isfinite(c):
                    out.append(f'<circle class="pt" cx="{a:.1f}" cy="{c:.1f}" r="3.5" '
                               f'fill="{s.color}" fill-opacity="{s.opacity}">'
                               f'<title>{escape(tip)}</title></circle>')
            out.append("</g>")
    out.append("</g>")
    for v in vlines:  # labels outside the clip so they are never cut
        xx = float(sx(v.x))
        if math.isfinite(xx):
            out.append(f'<text x="{xx + 3:.1f}" y="{top + 12}" fill="{v.color}" '
                       f'font-size="{FONT_PX - 2}">{escape(v.label)}</text>')
    out.append(f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" '
               'stroke="#999"/>')
    out.append(f'<text x="{left + pw / 2:.1f}" y="{height - 6}" text-anchor="middle" '
               f'fill="#222">{escape(x_label)}</text>')
    out.append(f'<text transform="translate(14 {top + ph / 2:.1f}) rotate(-90)" '
               f'text-anchor="middle" fill="#222">{escape(y_label)}</text></svg>')
    return "".join(out)


def legend_html(items: Sequence[LegendItem]) -> str:
    """An HTML legend (wraps on narrow screens) with small inline SVG swatches."""
    spans = []
    for it in items:
        if it.band:
            mark = (f'<rect x="0" y="2" width="26" height="10" fill="{it.color}" '
                    f'fill-opacity="{it.opacity}"/>')
        else:
            dash = f' stroke-dasharray="{it.dash}"' if it.dash else ""
            mark = (f'<line x1="0" x2="26" y1="7" y2="7" stroke="{it.color}" '
                    f'stroke-width="{it.width}" stroke-opacity="{it.opacity}"{dash}/>')
        spans.append(f'<span><svg width="26" height="14" aria-hidden="true">{mark}</svg> '
                     f'{escape(it.label)}</span>')
    return f'<div class="legend">{"".join(spans)}</div>'


# --- the report's two chart types -------------------------------------------------------------

NEAR, FAR, REF, MEAN = "#1f5fa8", "#9db9dc", "#666666", "#0b2f6b"


def stride_extension_chart(strides: pd.DataFrame, *, near: str, far: str,
                           reference_deg: float | None,
                           band_deg: tuple[float, float]) -> str:
    """Peak thigh extension per stride against time, both legs, with the reference
    value as a dashed line and a band `band_deg` = (below, above) it. Returns a <figure>."""
    lines = []
    for side in (far, near):  # near leg drawn on top
        rows = strides[strides["side"] == side].sort_values("start_s")
        tips = [f"{side} stride {int(r.stride)} at {r.start_s:.1f} s: "
                f"{r.peak_thigh_extension_deg:.1f}°" for r in rows.itertuples()]
        lines.append(Line(rows["start_s"], rows["peak_thigh_extension_deg"],
                          color=NEAR if side == near else FAR, width=2 if side == near else 1.5,
                          markers=True, point_titles=tips, css_class=f"leg-{side}"))
    x0, x1 = ((float(strides["start_s"].min()), float(strides["start_s"].max()))
              if len(strides) else (0.0, 1.0))
    pad = max(0.3, 0.03 * (x1 - x0))
    xs = [x0 - pad, x1 + pad]
    bands = []
    legend = [LegendItem(f"{near} (near) leg", NEAR, 2.5),
              LegendItem(f"{far} (far) leg", FAR, 2.5)]
    if reference_deg is not None and math.isfinite(reference_deg):
        below, above = band_deg
        bands.append(Band(xs, [reference_deg - below] * 2, [reference_deg + above] * 2,
                          css_class="ref-band"))
        lines.insert(0, Line(xs, [reference_deg] * 2, color=REF, dash="6 4",
                             css_class="ref-line"))
        legend += [LegendItem(f"speed-matched reference {reference_deg:.1f}°", REF, 1.5, "6 4"),
                   LegendItem(f"reference −{below:.0f}° / +{above:.0f}° (measurement noise)"
                              if below != above else
                              f"reference ± {below:.0f}° (measurement noise)", "#888888",
                              opacity=0.3, band=True)]
    svg = line_chart(lines, bands=bands, title="Peak thigh extension per stride",
                     x_label="time in the clip (s), start of each stride",
                     y_label="peak thigh extension (°)",
                     x_range=(xs[0], xs[1]), chart_id="chart-strides")
    return (f"<figure>{svg}{legend_html(legend)}<figcaption>Degrees the thigh swings behind "
            "vertical at its furthest back, one point per stride; hover a point for its "
            "value.</figcaption></figure>")


def gait_cycle_chart(frames: pd.DataFrame, strides: pd.DataFrame, *, side: str, part: str,
                     reference_curve: np.ndarray | None, reference_label: str | None,
                     band_deg: float, reference_toe_off_pct: float | None = None) -> str:
    """`part` ("thigh" or "knee") angle over 0–100 % of each stride of `side`: each
    stride thin, the mean bold, the reference curve (0–99 %) with a ± band behind,
    foot strike and the mean toe-off marked. Returns a <figure>."""
    rows = strides[strides["side"] == side]
    t = frames["time_s"].to_numpy(float)
    values = frames[f"{side}_{part}_deg"].to_numpy(float)
    curves = [normalise_stride(t, values, start_s=r.start_s, end_s=r.end_s)
              for r in rows.itertuples()]
    curves = [c for c in curves if np.isfinite(c).sum() > 10]
    pct = np.linspace(0, 100, 101)
    lines = [Line(pct, c, color=NEAR, width=0.8, opacity=0.45, css_class="stride-curve")
             for c in curves]
    legend = [LegendItem(f"each {side} stride", NEAR, 1, opacity=0.45)]
    if curves:
        stack = np.vstack(curves)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns stay NaN
            mean = np.nanmean(stack, axis=0)
        mean[np.isfinite(stack).sum(axis=0) < max(1, len(curves) // 2)] = np.nan
        lines.append(Line(pct, mean, color=MEAN, width=3, css_class="mean-curve"))
        legend.append(LegendItem("mean", MEAN, 3))
    bands = []
    if reference_curve is not None:
        curve = np.append(reference_curve, reference_curve[0])  # 100 % = next strike = 0 %
        bands.append(Band(pct, curve - band_deg, curve + band_deg, css_class="ref-band"))
        lines.insert(0, Line(pct, curve, color=REF, width=2, dash="6 4", css_class="ref-curve"))
        legend += [LegendItem(reference_label or "reference", REF, 2, "6 4"),
                   LegendItem(f"± {band_deg:.0f}°", "#888888", opacity=0.3, band=True)]
    toe = ((rows["toe_off_s"] - rows["start_s"]) / (rows["end_s"] - rows["start_s"])).mean()
    vlines = [VLine(0, "foot strike")]
    caption = ("+ = knee ahead of the hip, − = behind. " if part == "thigh"
               else "0 = straight knee. ")
    if np.isfinite(toe):
        vlines.append(VLine(100 * toe, f"toe-off {100 * toe:.0f} %"))
        caption += f"Mean toe-off at {100 * toe:.0f} % of the stride"
        if reference_toe_off_pct is not None:
            caption += f" (reference {reference_toe_off_pct:.0f} %)"
        caption += "."
    name = "Thigh angle" if part == "thigh" else "Knee flexion"
    y_label = "thigh angle (°)" if part == "thigh" else "knee flexion (°)"
    svg = line_chart(lines, bands=bands, vlines=vlines, x_range=(0, 100),
                     title=f"{name} over the stride, {side} leg", y_label=y_label,
                     x_label="% of stride (0 and 100 = foot strike)",
                     chart_id=f"chart-cycle-{part}")
    return (f"<figure><h3>{name} over the stride ({escape(side)} leg, {len(curves)} strides)"
            f"</h3>{svg}{legend_html(legend)}<figcaption>{caption}</figcaption></figure>")
