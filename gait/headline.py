"""The headline of an analysis, decided once for every surface: the app's cards and
comparison table and the HTML report's cards and medians table render these figures
and only format them.

A `Figure` is one metric of one leg: its median and 95 % interval, the speed-matched
reference it is compared with, the difference (runner − reference), the band of that
difference ("noise", "possible", "likely"; angles only, from `gait.reference`) and the
difference in plain words, or why there is no comparison. Values come from the
analysis's summary as it was saved (its reference comparison is the one used then).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gait.metric_catalogue import BY_KEY, COMPARED
from gait.reference import (
    FAR_LEG_LOW_TEXT,
    LOW_CAMERA_NOT_COMPARED,
    LOW_CAMERA_NOT_JUDGED,
    MIN_STRIDES_TO_COMPARE,
    SPEED_FROM_CADENCE_SOURCE,
    difference_band,
    far_leg_allowed_deg,
    interpret_difference_deg,
    interpret_difference_pct,
    withheld_for_low_camera,
)
from gait.report_parts import finite_or_none

if TYPE_CHECKING:
    from gait.result import AnalysisSummary

HEADLINE_ANGLES = ("peak_thigh_extension_deg", "thigh_rom_deg", "hip_rom_deg")
TRUNK_THIGH_METRICS = ("peak_hip_extension_deg", "peak_hip_flexion_deg", "hip_rom_deg")
NO_TRUNK_THIGH_REFERENCE = "No reference data exist for this angle."
NO_SPEED_REFERENCE = "No reference: the running speed is unknown."
EVENT_TIMING_FRAMES = 2.0  # a contact time's own timing uncertainty, in frames: on 14 real
# clips filmed in real time (28 feet; README "Measured accuracy", 2026-12-05) the median
# contact-time error per foot was 0.75 frames, within one frame on 57 % of feet and within
# two on 75 % (up to 4 on a clip whose far leg is hidden); it was one frame until then
TOO_FEW_TO_COMPARE = "Not compared: fewer than 2 strides hold this figure."
FAR_LEG_ALLOWED_WORDS = f", after allowing for the far leg reading {FAR_LEG_LOW_TEXT} low"
NOT_JUDGED = "not judged: the figures are not reliable"  # no difference called real or noise
NO_CADENCE_COMPARISON = ("The running speed was estimated from this cadence, so the cadence "
                         "is not compared with the reference's.")


@dataclass(frozen=True)
class Figure:
    """One metric of one leg (see the module docstring); None where unknown."""

    metric: str
    side: str
    median: float | None
    ci95: float | None
    reference: float | None = None
    difference: float | None = None
    band: str = ""
    words: str = ""

    @property
    def compared(self) -> bool:
        return self.reference is not None and self.difference is not None


@dataclass(frozen=True)
class Symmetry:
    """Left − right median peak thigh extension (°), its 95 % interval from both legs'
    intervals, its band and words (judged after allowing for the far leg's low reading,
    `gait.reference.far_leg_allowed_deg`, and only from 2+ strides per leg); and the
    contact-time symmetry index (%)."""

    difference_deg: float | None
    ci95_deg: float | None
    band: str
    words: str
    contact_time_index_pct: float | None


@dataclass(frozen=True)
class Headline:
    """What every surface shows first. `sound` False (verdict not reliable): surfaces
    show "not reliable" instead of every ±."""

    near_side: str
    far_side: str
    sound: bool
    cadence: Figure
    angles: tuple[Figure, ...]  # HEADLINE_ANGLES, near leg
    symmetry: Symmetry
    rows: tuple[tuple[Figure, Figure], ...]  # (near, far) for each COMPARED metric


def difference_words(metric: str, difference: float | None, reference: float | None) -> str:
    """The meaning of runner − reference: angle bands (with the pose model's extension
    bias where it applies), or a percentage band for times and cadence; "" if unknown."""
    d = finite_or_none(difference)
    if d is None:
        return ""
    if BY_KEY.get(metric) is not None and BY_KEY[metric].unit == "°":
        return interpret_difference_deg(d, metric=metric)
    ref = finite_or_none(reference)
    return interpret_difference_pct(100 * d / ref) if ref else ""


def within_uncertainty_words(ci95: float, unit: str, *, timing_s: float = 0.0) -> str:
    """The words for a difference no larger than its 95 % interval (+ `timing_s`, the
    events' timing uncertainty, for a contact time: `event_timing_uncertainty_s`)."""
    digits = 0 if unit == "steps/min" else 3 if unit == "s" else 1
    space = "" if unit == "°" else " "
    timing = (f" and {EVENT_TIMING_FRAMES:g} frames of event timing, {timing_s:.3f} s"
              if timing_s else "")
    return (f"no clear difference: within the uncertainty (± {ci95:.{digits}f}{space}{unit}"
            f"{timing})")


def event_timing_uncertainty_s(metric: str, capture_fps: float | None) -> float:
    """How far a metric may be off from the timing of its events alone, beyond its
    stride-to-stride interval: EVENT_TIMING_FRAMES frames for a contact time (strike and
    toe-off are different events, each timed on its own); 0 for a stride time (strike to
    strike: the same event's bias cancels) and for angles."""
    if metric != "contact_time_s" or not capture_fps or not math.isfinite(capture_fps):
        return 0.0
    return EVENT_TIMING_FRAMES / capture_fps


def _why_not_compared(summary: AnalysisSummary, side: str, metric: str) -> str:
    if metric in TRUNK_THIGH_METRICS:
        return NO_TRUNK_THIGH_REFERENCE
    if withheld_for_low_camera(summary.options.camera_low, metric):
        return LOW_CAMERA_NOT_COMPARED
    if metric == "cadence_spm" and summary.speed_source == SPEED_FROM_CADENCE_SOURCE:
        return NO_CADENCE_COMPARISON
    if summary.reference is None:
        return NO_SPEED_REFERENCE
    n_strides = (sum(summary.side(s).n_strides for s in (summary.near_side, summary.far_side))
                 if metric == "cadence_spm" else summary.side(side).strides_holding(metric))
    if n_strides < MIN_STRIDES_TO_COMPARE:
        return TOO_FEW_TO_COMPARE
    return ""


def figure(summary: AnalysisSummary, side: str, metric: str, *, sound: bool = True) -> Figure:
    """One leg's figure for `metric`, with its reference comparison when there is one.
    `sound` False (verdict not reliable): the reference and the difference are kept, but
    the difference is not judged (no band, NOT_JUDGED)."""
    if metric == "cadence_spm":
        median, ci95 = (finite_or_none(summary.cadence_spm),
                        finite_or_none(summary.cadence_ci95_spm))
    else:
        stat = summary.side(side).figure(metric)
        median, ci95 = finite_or_none(stat.median), finite_or_none(stat.ci95)
    not_compared = withheld_for_low_camera(summary.options.camera_low, metric) or (
        metric != "cadence_spm"
        and summary.side(side).strides_holding(metric) < MIN_STRIDES_TO_COMPARE)
    row = (summary.reference.row(side, metric) if summary.reference and not not_compared
           else None)
    reference = finite_or_none(row.reference) if row else None
    difference = finite_or_none(row.difference) if row else None
    if row is None or reference is None or difference is None:
        return Figure(metric, side, median, ci95, words=_why_not_compared(summary, side, metric))
    if not sound:
        return Figure(metric, side, median, ci95, reference, difference, "", NOT_JUDGED)
    angle = BY_KEY[metric].unit == "°"
    band = (row.band or difference_band(metric, difference)) if angle else ""
    words = row.interpretation or difference_words(metric, difference, reference)
    timing_s = event_timing_uncertainty_s(metric, summary.capture_fps)
    if not angle and ci95 is not None and abs(difference) <= ci95 + timing_s:
        # a time or cadence within its own ± (and, for a contact time, a frame of event
        # timing) of the reference is not called different (angle bands already hold the
        # pose model's noise)
        words = within_uncertainty_words(ci95, BY_KEY[metric].unit, timing_s=timing_s)
    return Figure(metric, side, median, ci95, reference, difference, band, words)


def symmetry(summary: AnalysisSummary, near: str, far: str, *, sound: bool = True) -> Symmetry:
    """`sound` False (verdict not reliable): the difference is given but not judged."""
    thigh = summary.symmetry.get("peak_thigh_extension_deg")
    contact = summary.symmetry.get("contact_time_s")
    diff = finite_or_none(thigh.left_minus_right) if thigh else None
    cis = [finite_or_none(summary.side(side).figure("peak_thigh_extension_deg").ci95)
           for side in (near, far)]
    judged = None if diff is None else far_leg_allowed_deg(diff, near_side=near)
    few = min(summary.side(side).strides_holding("peak_thigh_extension_deg")
              for side in (near, far)) < MIN_STRIDES_TO_COMPARE
    low = summary.options.camera_low  # the far-leg allowance was measured at hip height
    return Symmetry(
        difference_deg=diff,
        ci95_deg=math.hypot(*cis) if None not in cis else None,
        band="" if judged is None or few or low or not sound else difference_band("", judged),
        words=(TOO_FEW_TO_COMPARE if few else "" if judged is None
               else LOW_CAMERA_NOT_JUDGED if low else NOT_JUDGED if not sound
               else _symmetry_words(judged, near)),
        contact_time_index_pct=finite_or_none(contact.symmetry_index_pct) if contact else None)


def _symmetry_words(judged_deg: float, near: str) -> str:
    """The band of left − right after the far leg's low reading is allowed for
    (`far_leg_allowed_deg`, signed left − right), and, beyond the noise, which leg extends
    more and by about how much: the raw difference beside "5–10°" read as a contradiction
    (+3.1° with the far leg higher is ~6° once its low reading is allowed for)."""
    words = interpret_difference_deg(judged_deg)
    if difference_band("", judged_deg) == "noise":
        return words + FAR_LEG_ALLOWED_WORDS
    more = "left" if judged_deg > 0 else "right"
    return (f"{words}: the {'near' if more == near else 'far'} ({more}) leg extends about "
            f"{abs(judged_deg):.0f}° more{FAR_LEG_ALLOWED_WORDS}")


def headline(summary: AnalysisSummary, *, sound: bool = True) -> Headline:
    """The headline of a saved or fresh analysis summary."""
    near, far = summary.near_side, summary.far_side
    return Headline(
        near_side=near, far_side=far, sound=sound,
        cadence=figure(summary, near, "cadence_spm", sound=sound),
        angles=tuple(figure(summary, near, metric, sound=sound) for metric in HEADLINE_ANGLES),
        symmetry=symmetry(summary, near, far, sound=sound),
        rows=tuple((figure(summary, near, metric, sound=sound),
                    figure(summary, far, metric, sound=sound))
                   for metric in COMPARED))
