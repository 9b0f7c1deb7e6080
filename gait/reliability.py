"""A trust verdict on one analysis: can a runner act on these numbers?

`assess_reliability` checks what the analysis itself shows — how many of the strides
in view were found, whether strides vary far more than steady running does, whether
contact times and duty factor look like running, whether the feet alternate, whether
the clip looks slowed down — and returns a verdict, the worst level over its reasons:

- "reliable": nothing found that undermines the figures;
- "use_with_care": figures shown with a caveat;
- "not_reliable": the figures cannot be trusted; no ± interval or drill advice is
  presented as sound.

Times in seconds, cadence in steps/min (both feet), angles in degrees. Pure
numpy/pandas: no Streamlit.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gait.slow_motion import (
    MAX_RUNNING_DUTY_FACTOR,
    MAX_STRIDE_LEG_LENGTHS,
    TYPICAL_STRIDE_S,
    looks_slowed,
)
from gait.summary import QualityFlag, Reason, Reliability

if TYPE_CHECKING:
    from gait.result import AnalysisSummary

RELIABLE, CARE, NOT_RELIABLE = "reliable", "use_with_care", "not_reliable"
VERDICTS = (RELIABLE, CARE, NOT_RELIABLE)  # worst last
VERDICT_LABELS = {RELIABLE: "Reliable", CARE: "Use with care", NOT_RELIABLE: "Not reliable"}

# --- stride yield and count ---------------------------------------------------------------
EDGE_STRIDES_PER_LEG = 1.0  # a stride cut by the clip's (or the view's) start or end
YIELD_CARE_FRACTION = 0.75  # fewer than 3 in 4 of the strides in view found
YIELD_NOT_RELIABLE_FRACTION = 0.40  # even the better leg: fewer than 2 in 5 found
MIN_STRIDES_PER_LEG = 7  # for stable averages (Dingenen 2018; as gait.quality)
MIN_STRIDES_FOR_SPREAD = 3  # the better leg needs this many for any ± at all

# --- stride-to-stride variability ----------------------------------------------------------
# Steady running in healthy adults: stride time CV ~2–4 %, peak thigh (hip) extension SD
# ~2–3°, contact time CV ~5–8 % (the ranges the running-variability literature reports
# for steady treadmill and track running). We take the upper ends, assume thigh flexion
# varies like extension, and add the timing noise of the frame rate to the time measures.
STEADY_STRIDE_TIME_CV_PCT = 4.0
STEADY_CONTACT_TIME_CV_PCT = 8.0
STEADY_THIGH_PEAK_SD_DEG = 3.0
EVENT_TIMING_SD_FRAMES = 0.5  # per detected event: ½-frame rounding plus detector jitter
VARIABILITY_CARE_FACTOR = 2.0  # more than twice what steady running (+ timing noise) shows
VARIABILITY_NOT_RELIABLE_FACTOR = 4.0
MIN_STRIDES_PER_LEG_FOR_VARIABILITY = 4

# --- contact time and duty factor ------------------------------------------------------------
# Running: contact ~0.15–0.35 s, duty factor (contact / stride time) ~0.25–0.45;
# walking > 0.5. The plausible band leaves room for sprinting, slow jogging and frames.
PLAUSIBLE_CONTACT_S = (0.10, 0.45)
IMPLAUSIBLE_CONTACT_CARE_SHARE = 0.20  # more than 1 in 5 strides outside the band
MIN_RUNNING_DUTY_FACTOR = 0.20
# MAX_RUNNING_DUTY_FACTOR (0.50, gait.slow_motion): above is walking, or late toe-offs

# --- alternating feet ----------------------------------------------------------------------
SAME_FOOT_CARE_SHARE = 0.15  # of consecutive foot strikes by the same foot
SAME_FOOT_NOT_RELIABLE_SHARE = 0.35
MIN_STRIKES_FOR_ALTERNATION = 6


# Quality flags (gait.quality ids) that make the figures less certain
QUALITY_CARE = ("runner_small", "runner_few_pixels", "not_side_on", "gaps", "feet_outside_frame",
                "feet_at_bottom_edge", "low_frame_rate", "damaged_video", "several_people",
                "camera_low")


def _reason(ident: str, severity: str, message: str) -> Reason:
    return Reason(id=ident, severity=severity, message=message)


def _legs(strides: pd.DataFrame) -> dict[str, pd.DataFrame]:
    if strides.empty or "side" not in strides:
        return {}
    return {str(side): rows for side, rows in strides.groupby("side", sort=True)}


def _median(values) -> float | None:
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    return float(np.median(v)) if len(v) else None


def _cv_pct(values) -> float | None:
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    if len(v) < MIN_STRIDES_PER_LEG_FOR_VARIABILITY or v.mean() <= 0:
        return None
    return float(100 * v.std(ddof=1) / v.mean())


def _sd(values) -> float | None:
    v = np.asarray(values, dtype=float)
    v = v[np.isfinite(v)]
    return float(v.std(ddof=1)) if len(v) >= MIN_STRIDES_PER_LEG_FOR_VARIABILITY else None


def expected_strides_per_leg(*, in_view_s: float, cadence_spm: float) -> float:
    """Complete strides one leg makes while the runner is in view: seconds in view ×
    cadence / 120 (two steps per stride), less one for the clip's edges."""
    return in_view_s * cadence_spm / 120.0 - EDGE_STRIDES_PER_LEG


def _stride_count(legs: dict[str, pd.DataFrame]) -> list[Reason]:
    counts = {side: len(legs.get(side, ())) for side in ("left", "right")}
    best = max(counts.values())
    if best < MIN_STRIDES_FOR_SPREAD:
        return [_reason(
            "few_strides", NOT_RELIABLE,
            f"Only {counts['left']} left and {counts['right']} right stride(s) were found: "
            "too few to say how certain any figure is. Film 10–20 s of steady running with "
            "the feet in view.")]
    few = {s: n for s, n in counts.items() if n < MIN_STRIDES_PER_LEG}
    if not few:
        return []
    listed = " and ".join(f"{n} {s}" for s, n in few.items())
    return [_reason(
        "few_strides", CARE,
        f"Only {listed} stride(s) found; at least {MIN_STRIDES_PER_LEG} per leg are needed "
        "for stable averages (Dingenen 2018). Film 10–20 s of steady running.")]


def _stride_yield(legs: dict[str, pd.DataFrame], *, in_view_s: float, cadence_spm: float,
                  strides_dropped: dict | None) -> list[Reason]:
    if not (math.isfinite(cadence_spm) and cadence_spm > 0 and in_view_s > 0):
        return []
    expected = expected_strides_per_leg(in_view_s=in_view_s, cadence_spm=cadence_spm)
    if expected < 2:
        return []
    share = {s: min(len(legs.get(s, ())) / expected, 1.0) for s in ("left", "right")}
    worst_side = min(share, key=share.get)
    if share[worst_side] >= YIELD_CARE_FRACTION:
        return []
    severity = NOT_RELIABLE if max(share.values()) < YIELD_NOT_RELIABLE_FRACTION else CARE
    found = " and ".join(f"{len(legs.get(s, ()))} {s}" for s in ("left", "right"))
    why = ""
    if strides_dropped:
        parts = [f"{reason.replace('_', ' ')}: {n}" for reason, n in strides_dropped.items()
                 if isinstance(n, int | float) and n]
        why = f" Left out ({', '.join(parts)})." if parts else ""
    return [_reason(
        "stride_yield", severity,
        f"{found} strides were found, of about {expected:.{1 if expected < 10 else 0}f} per "
        f"leg in view ({100 * share[worst_side]:.0f} % on the {worst_side} leg), so the "
        "figures rest on "
        f"a selection of strides.{why} Keep the feet in view, film side-on in good light, "
        "with shoes that contrast with the ground.")]


def _variability(legs: dict[str, pd.DataFrame], *, capture_fps: float) -> list[Reason]:
    """Stride time CV, contact time CV and peak thigh SDs per leg against steady running
    (+ frame timing noise); the worst leg counts."""
    frame_s = 1.0 / capture_fps if capture_fps and capture_fps > 0 else 0.0

    def allowed_cv(steady_pct: float, interval_s: float | None) -> float:
        if not interval_s or interval_s <= 0:
            return steady_pct
        timing = 100 * math.sqrt(2) * EVENT_TIMING_SD_FRAMES * frame_s / interval_s
        return math.hypot(steady_pct, timing)

    found: list[tuple[float, str, str]] = []  # (ratio to allowed, id, sentence)
    for side, rows in legs.items():
        checks = [
            ("stride_time_variable", _cv_pct(rows.get("stride_time_s", [])),
             allowed_cv(STEADY_STRIDE_TIME_CV_PCT, _median(rows.get("stride_time_s", []))),
             " %", "stride time varies by {v:.0f} % (CV)", STEADY_STRIDE_TIME_CV_PCT),
            ("contact_time_variable", _cv_pct(rows.get("contact_time_s", [])),
             allowed_cv(STEADY_CONTACT_TIME_CV_PCT, _median(rows.get("contact_time_s", []))),
             " %", "contact time varies by {v:.0f} % (CV)", STEADY_CONTACT_TIME_CV_PCT),
            ("thigh_extension_variable", _sd(rows.get("peak_thigh_extension_deg", [])),
             STEADY_THIGH_PEAK_SD_DEG, "°", "peak thigh extension varies by {v:.1f}° (SD)",
             STEADY_THIGH_PEAK_SD_DEG),
            ("thigh_flexion_variable", _sd(rows.get("peak_thigh_flexion_deg", [])),
             STEADY_THIGH_PEAK_SD_DEG, "°", "peak thigh flexion varies by {v:.1f}° (SD)",
             STEADY_THIGH_PEAK_SD_DEG),
        ]
        for ident, value, allowed, unit, words, steady in checks:
            if value is None or value <= VARIABILITY_CARE_FACTOR * allowed:
                continue
            found.append((value / allowed, ident, (
                f"From stride to stride the {side} leg's {words.format(v=value)}; steady "
                f"running shows up to about {steady:.0f}{unit}")))
    reasons = {}
    for ratio, ident, sentence in sorted(found, reverse=True):
        if ident in reasons:
            continue
        severity = NOT_RELIABLE if ratio > VARIABILITY_NOT_RELIABLE_FACTOR else CARE
        reasons[ident] = _reason(
            ident, severity, f"{sentence}, so single strides are probably mis-measured. "
            "Film steady running (not speeding up or slowing down), side-on, with the whole "
            "body in view.")
    return list(reasons.values())


def _contact(strides: pd.DataFrame) -> list[Reason]:
    if strides.empty or "contact_time_s" not in strides or "stride_time_s" not in strides:
        return []
    contact = strides["contact_time_s"].to_numpy(dtype=float)
    duty = contact / strides["stride_time_s"].to_numpy(dtype=float)
    ok = np.isfinite(contact) & np.isfinite(duty)
    if not ok.any():
        return []
    contact, duty = contact[ok], duty[ok]
    reasons = []
    median_duty, median_contact = float(np.median(duty)), float(np.median(contact))
    if median_duty > MAX_RUNNING_DUTY_FACTOR:
        reasons.append(_reason(
            "duty_factor", NOT_RELIABLE,
            f"Each foot seems to be on the ground {100 * median_duty:.0f} % of the stride: that "
            "is walking, not running (running: 25–45 %), or the toe-offs were found late. "
            "HipDrive compares running strides; film running with the feet in view."))
    elif median_duty < MIN_RUNNING_DUTY_FACTOR:
        reasons.append(_reason(
            "duty_factor", CARE,
            f"Each foot seems to be on the ground only {100 * median_duty:.0f} % of the stride "
            "(running: 25–45 %): the toe-offs were probably found too early, so contact times "
            "are too short. Film at 60 fps or more with the feet in view."))
    lo, hi = PLAUSIBLE_CONTACT_S
    outside = float(np.mean((contact < lo) | (contact > hi)))
    if not lo <= median_contact <= hi or outside > IMPLAUSIBLE_CONTACT_CARE_SHARE:
        reasons.append(_reason(
            "contact_time_implausible", CARE,
            f"Contact times range from {contact.min():.2f} to {contact.max():.2f} s (median "
            f"{median_contact:.2f} s; running: about 0.15–0.35 s), "
            f"{100 * outside:.0f} % of strides outside {lo:.2f}–{hi:.2f} s: foot strikes or "
            "toe-offs were missed. Treat contact times as rough; film at 60 fps or more with "
            "the feet in view."))
    return reasons


def _alternation(events: pd.DataFrame) -> list[Reason]:
    if events.empty or not {"side", "event", "time_s"} <= set(events.columns):
        return []
    strikes = events[events["event"] == "foot_strike"].sort_values("time_s", kind="stable")
    sides = strikes["side"].to_numpy()
    if len(sides) < MIN_STRIKES_FOR_ALTERNATION:
        return []
    repeats = int(np.sum(sides[1:] == sides[:-1]))
    share = repeats / (len(sides) - 1)
    if share <= SAME_FOOT_CARE_SHARE:
        return []
    severity = NOT_RELIABLE if share > SAME_FOOT_NOT_RELIABLE_SHARE else CARE
    return [_reason(
        "feet_not_alternating", severity,
        f"{repeats} of {len(sides) - 1} consecutive foot strikes were by the same foot (in "
        "running the feet alternate): strikes were missed or the legs were mixed up. Film "
        "side-on with both feet in view; shorts and shoes of different colours help.")]


# Surface-neutral: the CLI adds its flag and the app its box (CAPTURE_RATE_REASONS)
GIVE_CAPTURE_RATE = ("Give its real capture rate, the frame rate it was filmed at (phones film "
                     "slow motion at 120 or 240 frames/s), and analyse it again.")
CAPTURE_RATE_REASONS = frozenset({"slow_motion"})  # reasons whose fix is the capture rate


def _times(factor: float) -> str:
    """A slow-motion factor as people write it: "4×", "5.0×" (120 at 23.976 frames/s)."""
    return f"{factor:.0f}×" if factor == round(factor) else f"{factor:.1f}×"


def _slow_motion(strides: pd.DataFrame, *, cadence_spm: float,
                 stated_capture_fps: float | None, assumed_slowdown: float | None,
                 hip_speed_legs_per_s: float | None) -> list[Reason]:
    if assumed_slowdown:
        times = _times(assumed_slowdown)
        return [_reason(
            "slow_motion", NOT_RELIABLE,
            f"The steps look about {times} slower than running: this seems to "
            "be slow-motion playback. HipDrive assumed it was filmed "
            f"{times} faster than it plays, so every time, the cadence and the "
            f"speed rest on that guess. {GIVE_CAPTURE_RATE}")]
    if len(strides) < MIN_STRIDES_FOR_SPREAD:  # one long "stride" is more likely a missed
        return []  # foot strike than slow motion
    stride_s = _median(strides.get("stride_time_s", []))
    contact_s = _median(strides.get("contact_time_s", []))
    if stride_s is None:
        return []
    if not looks_slowed(stride_s=stride_s, contact_s=contact_s, cadence_spm=cadence_spm):
        return []
    factor = stride_s / TYPICAL_STRIDE_S
    if hip_speed_legs_per_s and hip_speed_legs_per_s * stride_s > MAX_STRIDE_LEG_LENGTHS:
        return [_reason(  # playback speed does not change stride length: not slow motion
            "strides_too_long", NOT_RELIABLE,
            f"The strides look {stride_s:.2f} s long, yet the runner crosses the picture at "
            "running speed: the feet were not followed stride by stride (the pose model "
            "probably caught only every other stride or mixed up the legs). Film closer so "
            "the runner fills at least half the picture, side-on, with the feet in view.")]
    if stated_capture_fps:
        return [_reason(
            "slow_motion", CARE,
            f"Even at the capture rate you gave ({stated_capture_fps:.0f} fps) the steps look "
            f"about {factor:.1f}× slower than running ({stride_s:.2f} s per stride): check "
            "the capture rate, or the runner was walking.")]
    return [_reason(
        "slow_motion", NOT_RELIABLE,
        f"The steps look about {factor:.1f}× slower than running ({stride_s:.2f} s per "
        "stride): this seems to be slow-motion playback, so every time, the cadence and the "
        f"filtering are off. {GIVE_CAPTURE_RATE}")]


def _quality(quality: tuple[QualityFlag, ...]) -> list[Reason]:
    return [_reason(flag.id, CARE, flag.message or flag.id) for flag in quality
            if flag.id in QUALITY_CARE]


def assess_reliability(*, strides: pd.DataFrame, events: pd.DataFrame, in_view_s: float,
                       cadence_spm: float, capture_fps: float,
                       stated_capture_fps: float | None = None,
                       quality: tuple[QualityFlag, ...] = (),
                       strides_dropped: dict | None = None,
                       assumed_slowdown: float | None = None,
                       hip_speed_legs_per_s: float | None = None) -> Reliability:
    """The verdict on one analysis.

    `strides`: one row per stride (side, stride_time_s, contact_time_s,
    peak_thigh_extension_deg, peak_thigh_flexion_deg); `events`: side, event
    ("foot_strike"/"toe_off"), time_s; `in_view_s`: seconds the runner was detected;
    `capture_fps`: the rate the times are based on; `stated_capture_fps`: the capture
    rate the user gave (None: not given); `quality`: the summary's quality flags
    ; `strides_dropped`: reason → count, if known;
    `assumed_slowdown`: set when the times were rescaled by a guessed slow-motion factor;
    `hip_speed_legs_per_s`: how fast the hips cross the picture (leg lengths/s), if known.
    """
    legs = _legs(strides)
    reasons = [
        *_slow_motion(strides, cadence_spm=cadence_spm, stated_capture_fps=stated_capture_fps,
                      assumed_slowdown=assumed_slowdown,
                      hip_speed_legs_per_s=hip_speed_legs_per_s),
        *_stride_count(legs),
        *_stride_yield(legs, in_view_s=in_view_s, cadence_spm=cadence_spm,
                       strides_dropped=strides_dropped),
        *_variability(legs, capture_fps=capture_fps),
        *_contact(strides),
        *_alternation(events),
        *_quality(quality),
    ]
    reasons.sort(key=lambda r: -VERDICTS.index(r.severity))  # stable: most severe first
    verdict = max((r.severity for r in reasons), key=VERDICTS.index, default=RELIABLE)
    return Reliability(verdict=verdict, reasons=tuple(reasons))


def assess_report(summary: AnalysisSummary, *, strides: pd.DataFrame, events: pd.DataFrame,
                  frames: pd.DataFrame) -> Reliability:
    """The verdict from a finished summary and the report's tables (stride and event
    tables as for `assess_reliability`; `frames` with time_s and person_detected)."""
    detected = frames["person_detected"] if "person_detected" in frames else pd.Series(
        dtype=bool)
    times = frames["time_s"].to_numpy(dtype=float) if "time_s" in frames else np.array([])
    frame_s = float(np.median(np.diff(times))) if len(times) > 1 else 0.0
    cadence = summary.cadence_spm
    return assess_reliability(
        strides=strides, events=events, in_view_s=float(detected.sum()) * frame_s,
        cadence_spm=float("nan") if cadence is None else cadence,
        capture_fps=summary.capture_fps, stated_capture_fps=summary.options.capture_fps,
        quality=summary.quality, strides_dropped=summary.strides_dropped,
        assumed_slowdown=summary.slow_motion.assumed_factor if summary.slow_motion else None)


def verdict_line(reliability: Reliability) -> str:
    """One line: the verdict and its first reason (the CLI's last line)."""
    first = reliability.first_reason or "no problem found in the checks"
    return f"reliability: {reliability.verdict} — {first}"


def verdict_headline(verdict: str) -> str:
    """What the verdict means for the figures, in one sentence for a runner."""
    return {
        RELIABLE: "The checks found nothing that undermines these figures.",
        CARE: "The figures are shown, but read them with the caveats below.",
        NOT_RELIABLE: "These figures cannot be trusted, so no ± uncertainty is given and "
                      "the drills are not based on sound numbers. Fix the problems below and "
                      "film again.",
    }.get(verdict, "")
