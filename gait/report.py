"""One self-contained HTML report a coach can email and open offline.

Everything is inline: CSS in a <style> element, charts as hand-made SVG
(gait.svgcharts), no script, no font, no image, nothing fetched. A typical
report is ~60–90 kB. Every string that comes from the user or the summary is
HTML-escaped; numbers that are missing (None/NaN) show as "–".
"""

from __future__ import annotations

import os
import tempfile
from datetime import date
from html import escape
from pathlib import Path

from gait.headline import TRUNK_THIGH_METRICS, Figure, Headline, headline
from gait.metric_catalogue import BY_KEY, CATALOGUE, LOW_STRIDE_CONFIDENCE, TABLE_COLUMNS
from gait.reference import (
    ATTRIBUTION,
    EXTENSION_POSE_BIAS_DEG,
    LIKELY_DEG,
    LOW_CAMERA_NOT_COMPARED,
    NOISE_DEG,
    noise_band_limits_deg,
    reference_as_used,
)
from gait.reliability import NOT_RELIABLE
from gait.report_parts import (
    CSS,
    DASH,
    UNSOUND,
    drills_section,
    finite_or_none,
    quality_section,
    rates_text,
    reliability_banner,
    surface_text,
)
from gait.report_parts import esc as _e
from gait.report_parts import num as _num
from gait.result import AnalysisSummary, GaitReport
from gait.svgcharts import gait_cycle_chart, stride_extension_chart

__all__ = ["finite_or_none", "render_html_report", "write_html_report"]

def _card(label: str, value: str, pm: str | None, lines: list[str], ident: str = "") -> str:
    """One headline card; `pm` is the ± half-width, or UNSOUND to say it is not reliable."""
    pm_html = ("" if not pm or pm == DASH else f' <span class="pm unsound">({UNSOUND})</span>'
               if pm == UNSOUND else f' <span class="pm">± {pm}</span>')
    ident = f' id="{ident}"' if ident else ""
    body = "".join(f"<p>{line}</p>" for line in lines)
    return (f'<div class="card"{ident}><div class="label">{label}</div>'
            f'<div class="value">{value}{pm_html}</div>{body}</div>')


def _words(band: str, words: str) -> str:
    """The meaning of a difference, coloured by its band (`gait.headline`)."""
    return f'<span class="band-{band}">{escape(words)}</span>' if band else escape(words)


def _angle_card(figure: Figure, ident: str, *, sound: bool) -> str:
    name = BY_KEY[figure.metric].name
    lines = []
    if figure.compared:
        diff = figure.difference
        more = " more" if diff > 0 else " less"
        lines.append(f"Reference {_num(figure.reference)}° (you: {_num(abs(diff))}°{more})")
        lines.append(_words(figure.band, figure.words))
    elif figure.metric in TRUNK_THIGH_METRICS:
        lines.append("No reference exists for the trunk–thigh angle.")
    else:
        lines.append(escape(figure.words))
    value, ci = _num(figure.median), _num(figure.ci95)
    return _card(f"{escape(name)}, {escape(figure.side)} (near) leg, median",
                 f"{value}°" if value != DASH else DASH,
                 UNSOUND if not sound and value != DASH else f"{ci}°" if ci != DASH else None,
                 lines, ident)


def _headline(summary: AnalysisSummary, *, sound: bool) -> str:
    """Headline cards and the medians table (`gait.headline`); `sound` False: no ±."""
    top = headline(summary, sound=sound)
    near, far = top.near_side, top.far_side
    ref = summary.reference
    cadence_lines = ([f"Reference at this speed: {_num(top.cadence.reference, 0)} steps/min",
                      _words(top.cadence.band, top.cadence.words)]  # the app's card words
                     if top.cadence.compared else [escape(top.cadence.words, quote=False)])
    cards = [_card("Cadence", f'<span id="headline-cadence">{_num(top.cadence.median, 0)}'
                   '</span><span class="unit"> steps/min</span>',
                   _num(top.cadence.ci95) if sound else UNSOUND,
                   cadence_lines, "card-cadence")]
    idents = {"peak_thigh_extension_deg": "card-extension", "thigh_rom_deg": "card-thigh-rom",
              "hip_rom_deg": "card-hip-rom"}
    cards += [_angle_card(figure, idents[figure.metric], sound=sound) for figure in top.angles]
    sym = top.symmetry
    ext = DASH if sym.difference_deg is None else f"{sym.difference_deg:+.1f}°"  # as the app
    ext_pm = (UNSOUND if not sound and sym.difference_deg is not None
              else f"{_num(sym.ci95_deg)}°" if sym.ci95_deg is not None else None)
    cards.append(_card("Left − right: peak thigh extension", ext, ext_pm,
                       [_words(sym.band, sym.words or DASH),
                        f"Contact time left vs right: {_num(sym.contact_time_index_pct)} %",
                        f"The far ({_e(far)}) leg is partly hidden, so its values are less "
                        "certain."], "card-symmetry"))
    src = summary.speed_source or "unknown"
    tag = ("" if src.startswith("entered") else '<span class="tag warn">estimated</span>')
    setup = (f"Near (camera-side) leg: <b>{_e(near)}</b> · running "
             f"{_e((summary.direction or DASH).replace('_', ' '))} · "
             f"{_e(surface_text(summary))} · {_e(rates_text(summary))}")
    cards.append(_card("Running speed", f"{_num(summary.speed_mps)}"
                       '<span class="unit"> m/s</span>', None,
                       [f"{escape(src)}{tag}",
                        _e(ref.note if ref and ref.note else "No reference: the speed is unknown.")
                        + (' <span class="tag warn">clamped</span>' if ref and ref.clamped
                           else "")], "card-speed"))
    return (f'<div class="cards">{"".join(cards)}</div><p class="note">{setup}</p>'
            f"{_medians_table(top)}")


PHONE_LOW_ROW = "not compared: phone low (see above the table)"


def _medians_table(top: Headline) -> str:
    rows = []
    for near_figure, far_figure in top.rows:
        name, unit = BY_KEY[near_figure.metric].name, BY_KEY[near_figure.metric].unit
        d = 2 if unit == "s" else 1
        cells = [f"{_num(f.median, d)} "
                 + (f"± {_num(f.ci95, d)}" if top.sound else f"({UNSOUND})")
                 for f in (near_figure, far_figure)]
        diff = near_figure.difference
        words = (near_figure.words if near_figure.compared
                 else PHONE_LOW_ROW if near_figure.words == LOW_CAMERA_NOT_COMPARED else "")
        cls = f"band-{near_figure.band}" if near_figure.band else ""
        rows.append(f'<tr><td class="l">{escape(name)} ({unit})</td><td>{cells[0]}</td>'
                    f"<td>{cells[1]}</td><td>{_num(near_figure.reference, d)}</td>"
                    f"<td>{'+' if diff is not None and diff > 0 else ''}{_num(diff, d)}"
                    f'</td><td class="l words {cls}">{escape(words or DASH)}</td></tr>')
    interval = "± 95 % interval" if top.sound else f"({UNSOUND}: no interval)"
    low = any(n.words == LOW_CAMERA_NOT_COMPARED for n, _ in top.rows)
    note = (f'<p class="note" id="phone-low-note">{escape(LOW_CAMERA_NOT_COMPARED)} The '
            "trunk–thigh angles rest on the same hip point.</p>" if low else "")
    return (f'{note}<div class="scroll"><table id="medians"><thead><tr><th class="l">Median '
            f"{interval}</th><th>{_e(top.near_side)} (near)</th><th>{_e(top.far_side)} "
            "(far)</th><th>Reference</th><th>Near&nbsp;−&nbsp;ref</th><th class=\"l\">Meaning</th>"
            f'</tr></thead><tbody>{"".join(rows)}</tbody></table></div>')


def _charts(report: GaitReport) -> tuple[str, str]:
    s = report.summary
    near, far = s.near_side, s.far_side
    # a phone the user says was low: its thigh and knee angles are drawn without the reference
    r = None if s.options.camera_low else reference_as_used(s)
    strides = stride_extension_chart(
        report.strides, near=near, far=far,
        band_deg=noise_band_limits_deg("peak_thigh_extension_deg"),
        reference_deg=None if r is None else finite_or_none(
            r.values.get("peak_thigh_extension_deg")))
    label = None if r is None else f"reference at {r.used_speed_mps:.1f} m/s"
    cycles = "".join(gait_cycle_chart(
        report.frames, report.strides, side=near, part=part, band_deg=NOISE_DEG,
        reference_label=label, reference_toe_off_pct=None if r is None else r.values["toe_off_pct"],
        reference_curve=None if r is None else getattr(r, f"{part}_curve_deg"))
        for part in ("thigh", "knee"))
    return strides, cycles


def _stride_cell(value, column: str) -> str:
    """One cell of the stride table; a confidence under LOW_STRIDE_CONFIDENCE is marked."""
    text = _num(value, 2 if column.endswith("_s") or column == "confidence" else 0)
    confidence = finite_or_none(value) if column == "confidence" else None
    low = confidence is not None and confidence < LOW_STRIDE_CONFIDENCE
    return (f'<td class="lowconf" title="under {LOW_STRIDE_CONFIDENCE}: treat this stride with '
            f'caution">{text} ⚠</td>' if low else f"<td>{text}</td>")


def _stride_table(report: GaitReport) -> str:
    st = report.strides
    near = report.summary.near_side
    order = st.assign(_k=(st["side"] != near)).sort_values(["_k", "start_s"])
    head = "".join(f'<th title="{escape(BY_KEY[c].name)}">{escape(BY_KEY[c].short)}</th>'
                   for c in TABLE_COLUMNS)
    body = []
    for _, r in order.iterrows():
        side = str(r["side"])
        cells = "".join(_stride_cell(r.get(c), c) for c in TABLE_COLUMNS)
        body.append(f'<tr class="{"near" if side == near else "far"}"><td class="l">'
                    f'{escape(side)}{" (near)" if side == near else ""}</td><td>'
                    f'{_num(r.get("stride"), 0)}</td><td>{_num(r.get("start_s"), 2)}</td>'
                    f"{cells}</tr>")
    return ('<div class="scroll"><table id="stride-table"><thead><tr><th class="l">Leg</th>'
            f'<th>#</th><th>Start s</th>{head}</tr></thead><tbody>{"".join(body)}</tbody>'
            "</table></div>")


def _definitions(summary: AnalysisSummary) -> str:
    defs = "".join(f"<dt>{escape(m.name)} ({escape(m.unit)})</dt><dd>{escape(m.definition)}</dd>"
                   for m in CATALOGUE)
    elite = "".join(f"<li>{_e(m.text)} ({_e(m.source)})</li>" for m in summary.elite_markers)
    attribution = (summary.reference.attribution if summary.reference else "") or ATTRIBUTION
    return (
        f"<dl>{defs}</dl><h3>A 2D thigh angle is not lab hip extension</h3>"
        "<p>The <b>thigh angle</b> is the hip→knee line against vertical, which a side-view "
        "video measures directly. The <b>trunk–thigh ('hip') angle</b> is the thigh relative "
        "to the shoulder→hip line. Laboratory <b>hip extension</b> is the thigh relative to "
        "the pelvis, and pelvic tilt is invisible in 2D video: runners get part of their "
        "thigh extension by tilting the pelvis forward, so an uncorrected thigh angle "
        "overstates pelvis-relative hip extension by about 13–16° at its peak. Each number "
        "here is named for what it measures; none is a lab hip angle.</p>"
        "<h3>How to read differences</h3><p>Markerless pose estimation is accurate to "
        "roughly 4–16° for hip and knee angles (Stenum 2021, Young 2023 and others), so a "
        f"difference under {NOISE_DEG:.0f}° is within measurement noise, {NOISE_DEG:.0f}–"
        f"{LIKELY_DEG:.0f}° is possible and over {LIKELY_DEG:.0f}° is likely real. Against "
        "human digitisers on real clips the pose model read the thigh at toe-off 3–"
        f"{EXTENSION_POSE_BIAS_DEG:.0f}° short of its real extension (by clip and pose model), "
        "so less extension than "
        f"the reference is only called possible beyond {NOISE_DEG + EXTENSION_POSE_BIAS_DEG:.0f}° "
        "(the lower side of the chart's band). The far leg is often hidden and less "
        "certain.</p>"
        f'<h3>Reference</h3><p id="attribution">{_e(attribution)}</p>'
        "<p>Compared at your speed (interpolated between 2.5, 3.5 and 4.5 m/s, never "
        "extrapolated): experienced runners, not one elite athlete.</p>"
        f"<h3>What separates elite from recreational runners</h3><ul>{elite}</ul>"
        "<p class=\"note\">Mostly foot contact (shank angle, landing position, flight), not "
        "hip extension alone. More extension is not automatically better: less leg extension "
        "at toe-off goes with better running economy (Moore 2016), and joint angles alone "
        "explain only 4–12 % of the variance between runners (Van Hooren 2024).</p>")


def render_html_report(report: GaitReport, *, title: str | None = None,
                       athlete: str | None = None) -> str:
    """The report as one HTML string (UTF-8, no external resources)."""
    s = report.summary
    title_text = title or "HipDrive running report"
    meta = [f"Athlete: <b>{escape(athlete)}</b>"] if athlete else []
    meta += [f"Report date: {date.today().isoformat()}",
             f"Clip: {_e(s.clip_name)}",
             f"HipDrive {_e(s.software.version)} (pose model: BlazePose "
             f"{_e(s.software.pose_model)})"]
    stride_chart, cycle_charts = _charts(report)
    reliability = s.reliability
    verdict = reliability.verdict
    sections = [
        ("summary", "Headline figures", _headline(s, sound=verdict != NOT_RELIABLE)),
        ("strides", "Stride by stride", stride_chart),
        ("cycle", "The gait cycle", cycle_charts),
        ("table", f"All strides ({len(report.strides)})", _stride_table(report)),
        ("quality", "Quality of the recording", quality_section(s)),
        ("drills", "Drill suggestions" + (" — not based on sound numbers"
                                          if verdict == NOT_RELIABLE else ""),
         drills_section(s, verdict)),
        ("definitions", "Definitions and sources", _definitions(s)),
    ]
    body = "".join(f'<section id="{sid}"><h2>{escape(h)}</h2>{content}</section>'
                   for sid, h, content in sections)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title_text)}</title><style>{CSS}</style></head><body><main>"
        f'<header><h1>{escape(title_text)}</h1><p class="meta">{" · ".join(meta)}</p>'
        '<p class="lead">HipDrive shows <b>hip drive</b>: how far the thigh drives back '
        "behind the body and swings through in front of it, stride by stride, from a "
        "side-view video, next to experienced runners at the same speed. It measures "
        "movement, not muscle activity (it cannot tell whether glutes 'fire').</p></header>"
        f"{reliability_banner(reliability)}{body}<footer>Generated by HipDrive "
        f"{_e(s.software.version)}. Not a medical "
        "assessment.</footer></main></body></html>\n")


def write_html_report(report: GaitReport, path: str | os.PathLike, *, title: str | None = None,
                      athlete: str | None = None) -> Path:
    """Write the report atomically (temp file in the same folder, then rename)."""
    path = Path(path)
    text = render_html_report(report, title=title, athlete=athlete)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
