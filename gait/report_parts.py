"""Parts of the HTML report (gait.report) kept apart to keep that file short: the
style sheet, number/escape helpers, the reliability banner, quality and drills.

Every string from the user or the summary is HTML-escaped; missing numbers show as "–".
"""

from __future__ import annotations

import math
from html import escape
from typing import TYPE_CHECKING

from gait.reliability import NOT_RELIABLE, RELIABLE, VERDICT_LABELS, verdict_headline
from gait.slow_motion import analysed_faster_than_stored
from gait.summary import ENTERED_BY_USER, Reliability

if TYPE_CHECKING:
    from gait.result import AnalysisSummary

DASH = "–"
UNSOUND = "not reliable"  # shown instead of a ± interval when the verdict is not_reliable

CSS = """
:root{color-scheme:light}*{box-sizing:border-box}
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;
margin:0;color:#1d1d1f;background:#fff;line-height:1.45}
main{max-width:980px;margin:0 auto;padding:16px}
h1{font-size:1.6rem;margin:.2em 0}h2{font-size:1.2rem;margin:1.6em 0 .5em;
border-bottom:2px solid #e4e9f2;padding-bottom:.2em}h3{font-size:1rem;margin:.2em 0}
.meta{color:#555;font-size:.9rem}.lead{font-size:1.02rem}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(210px,1fr));gap:10px}
.card{border:1px solid #dde3ec;border-radius:8px;padding:10px 12px;background:#fafcff;
break-inside:avoid}.card .label{font-size:.85rem;color:#444}
.card .value{font-size:1.6rem;font-weight:650}.card .pm{font-size:1rem;color:#555}
.card .unit{font-size:1rem;font-weight:500}
.card p{margin:.25em 0;font-size:.85rem}
.band-noise{color:#2c6e2f}.band-possible{color:#9a6700}.band-likely{color:#b42318}
.tag{display:inline-block;font-size:.75rem;border-radius:4px;padding:0 5px;
background:#eef1f6;color:#333;margin-left:4px}.tag.warn{background:#fdecc8;color:#7a4b00}
.scroll{overflow-x:auto}table{border-collapse:collapse;font-size:.8rem;width:100%}
th,td{border-bottom:1px solid #e6e6e6;padding:3px 5px;text-align:right;white-space:nowrap}
th{background:#f3f5f9;white-space:normal;vertical-align:bottom}td.l,th.l{text-align:left}
td.words{white-space:normal;min-width:14em}td.lowconf{color:#b42318;font-weight:600}
tr.far td{color:#555}svg.chart{width:100%;max-width:760px;height:auto;display:block}
.legend{display:flex;flex-wrap:wrap;gap:4px 14px;font-size:.82rem;margin:4px 0 2px}
.legend span{display:inline-flex;align-items:center;gap:4px}
.note{font-size:.85rem;color:#444}dl dt{font-weight:600;margin-top:.5em}dl dd{margin-left:1em}
footer{margin-top:2em;color:#666;font-size:.8rem}
@media print{main{max-width:none;padding:0}body{font-size:10pt}h2{break-after:avoid}
figure,.card,tr{break-inside:avoid}.scroll{overflow:visible}}
figure{margin:1em 0}figcaption{font-size:.85rem;color:#444}
.verdict{border-radius:8px;padding:10px 14px;margin:12px 0;border:2px solid}
.verdict h2{border:0;margin:0 0 .3em;padding:0;font-size:1.15rem}.verdict ul{margin:.3em 0}
.verdict-reliable{background:#edf7ee;border-color:#2c6e2f}
.verdict-use_with_care{background:#fff6e0;border-color:#9a6700}
.verdict-not_reliable{background:#fdecea;border-color:#b42318}
.unsound{font-size:.9rem;color:#b42318;font-weight:600}
"""


def finite_or_none(value) -> float | None:
    """A finite float, or None for None, NaN, infinities, booleans and non-numbers."""
    if value is None or isinstance(value, bool):
        return None
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def num(value, digits: int = 1) -> str:
    """Format a number; anything that is not a finite number shows as '–'."""
    v = finite_or_none(value)
    return DASH if v is None else f"{v:.{digits}f}"


def surface_text(summary: AnalysisSummary) -> str:
    """Treadmill or overground and who said so. Detected from the video, a runner who
    stays in place in the picture counts as on a treadmill, which a camera travelling
    with an overground runner looks like too: the words say both."""
    if summary.treadmill_source == ENTERED_BY_USER or not summary.treadmill:
        surface = "treadmill" if summary.treadmill else "overground"
        return f"{surface} ({summary.treadmill_source})"
    return (f"treadmill, or a camera moving with the runner ({summary.treadmill_source}: "
            "the runner stays in place in the picture)")


def rates_text(summary: AnalysisSummary) -> str:
    """The clip's frame rate and length, and the one shot analysed of a clip with cuts
    (gait.shots)."""
    shot = summary.shot
    return _rates(summary) + (f"; only {num(shot.from_s)}–{num(shot.to_s)} s analysed: one "
                              f"shot of {shot.n_shots} (the clip has cuts)" if shot else "")


def _rates(summary: AnalysisSummary) -> str:
    """The clip's frame rate and length; for slow motion, the file's rate and length
    apart from the capture rate the times rest on (given by the user, or assumed)."""
    stored = finite_or_none(summary.video.stored_fps) if summary.video else None
    capture, duration = finite_or_none(summary.capture_fps), finite_or_none(summary.duration_s)
    if not duration or not analysed_faster_than_stored(capture_fps=capture, stored_fps=stored):
        return f"{num(capture, 0)} fps, {num(duration)} s"
    factor = capture / stored
    played = f"the file plays at {num(stored, 0)} fps for {num(duration * factor)} s"
    if summary.options.capture_fps:
        return (f"filmed at {num(capture, 0)} fps (the rate you gave; {played}): "
                f"{num(duration)} s of running")
    return (f"{played}; analysed as {factor:.0f}× slow motion (assumed, not given): "
            f"{num(capture, 0)} fps, {num(duration)} s of running")


def esc(value) -> str:
    return escape(DASH if value is None else str(value))


def reliability_banner(reliability: Reliability) -> str:
    """The verdict first: a coloured box with what it means and every reason."""
    verdict = reliability.verdict
    reasons = "".join(
        f'<li><span class="tag{" warn" if r.severity == NOT_RELIABLE else ""}">'
        f'{esc(VERDICT_LABELS.get(r.severity, r.severity))}</span> '
        f'{esc(r.message)}</li>' for r in reliability.reasons)
    return (f'<section id="reliability" class="verdict verdict-{escape(verdict)}">'
            f"<h2>{esc(VERDICT_LABELS.get(verdict, verdict))}</h2>"
            f"<p>{esc(verdict_headline(verdict))}</p>"
            f'{f"<ul>{reasons}</ul>" if reasons else ""}</section>')


def quality_section(summary: AnalysisSummary) -> str:
    """Quality flags and what cleaning repaired."""
    items = "".join(
        f'<li><span class="tag{" warn" if f.severity == "warning" else ""}">'
        f'{esc(f.severity or "info")}</span> {esc(f.message)}</li>' for f in summary.quality)
    out = f"<ul>{items}</ul>" if items else "<p>No quality problems were found.</p>"
    c = summary.cleaning
    gated = finite_or_none(c.gated_fraction)
    gated = num(None if gated is None else 100 * gated)
    out += ("<h3>What cleaning repaired</h3><ul>"
            f"<li>{num(c.n_frames, 0)} frames analysed; no runner found in "
            f"{num(c.frames_without_person, 0)}.</li>"
            f"<li>{gated} % of keypoints ignored because the pose model was unsure.</li>"
            f"<li>Left/right legs mixed up by the pose model and swapped back in "
            f"{num(c.swap_repaired_frames, 0)} frames.</li>"
            f"<li>Short gaps filled by interpolation in {num(c.gap_filled_frames, 0)} "
            f"frames; {num(c.unfilled_frames, 0)} frames still miss a keypoint.</li>"
            f"<li>A foot outside the picture (the pose model's guess ignored) in "
            f"{num(c.foot_outside_frame_frames, 0)} frames.</li>"
            f"<li>Keypoints smoothed with a zero-phase low-pass filter at "
            f"{num(c.cutoff_hz)} Hz.</li></ul>")
    return out


def drills_section(summary: AnalysisSummary, verdict: str) -> str:
    """Drill cards; when the verdict is not_reliable, behind a statement that they do
    not rest on sound numbers."""
    cards = [f'<div class="card drill"><h3>{esc(d.name)}</h3>'
             f'<p><b>Finding:</b> {esc(d.finding)}</p><p><b>Why:</b> '
             f'{esc(d.why)}</p><p><b>Evidence:</b> {esc(d.evidence)} '
             f'<span class="tag">{esc(d.evidence_grade)}</span></p><p><b>Dosage:</b> '
             f'{esc(d.dosage)}</p></div>'
             for d in summary.drills]
    lead = ""
    if verdict == NOT_RELIABLE and cards:
        lead = ('<p id="drills-unsound" class="unsound">Not based on sound numbers: this '
                "analysis is not reliable (see the top of the report), so these suggestions "
                "come from figures that cannot be trusted. Do not act on them; film again and "
                "re-check.</p>")
    elif verdict != RELIABLE and cards:
        lead = ('<p class="note">Read these with the caveats at the top of the report.</p>')
    return (f'{lead}<div class="cards">{"".join(cards)}</div><p class="note">[M] = coaching '
            "convention, not tested in trials. Grades: supported by trials · limited "
            "(association or short trials) · coaching convention.</p>")
