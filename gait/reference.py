"""Speed-matched reference of experienced runners (Fukuchi 2017, CC BY 4.0) and the
markers that separate elite from recreational runners.

The curves exist at 2.5, 3.5 and 4.5 m/s; values are interpolated linearly in
speed and never extrapolated: outside that range the nearest speed is used and
the comparison says so. Only thigh and knee angles are in the reference — there is
no trunk–thigh (2D hip) reference, so those metrics are shown without one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from gait.filtering import parabolic_extreme
from gait.summary import ComparisonRow, EliteMarker, ReferenceUsed

if TYPE_CHECKING:
    from gait.result import AnalysisSummary

REFERENCE_SPEEDS_MPS = (2.5, 3.5, 4.5)
# Key points derived from the same data set (HipDrive reference notes, [D]).
CADENCE_SPM = (161.0, 171.0, 183.0)
CONTACT_TIME_S = (0.287, 0.237, 0.212)
TOE_OFF_PCT = (38.5, 33.7, 32.2)

ATTRIBUTION = (
    "Reference curves: Fukuchi RK, Fukuchi CA, Duarte M. A public dataset of running "
    "biomechanics and the effects of running speed on lower extremity kinematics and "
    "kinetics. PeerJ 2017;5:e3298, doi:10.7717/peerj.3298; data figshare "
    "doi:10.6084/m9.figshare.4543435, CC BY 4.0. 28 experienced runners, treadmill."
)

# Interpretation bands for angle differences, from pose-estimation accuracy
# (markerless 2D hip/knee error 4–16°, Stenum 2021, Young 2023 and others).
NOISE_DEG = 5.0
LIKELY_DEG = 10.0
# a leg (or the cadence) is compared with the reference from this many strides on
MIN_STRIDES_TO_COMPARE = 2
# The far leg, seen through the near one, reads less thigh extension than it has (held-out
# synthetic set: 3.0° low; dev clips: 3.1–4.3°; docs/accuracy.md "Far leg").
FAR_LEG_LOW_DEG = (3.0, 5.0)
# The same numbers as words, for every sentence that quotes them
NOISE_TEXT = f"± {NOISE_DEG:g}°"
FAR_LEG_LOW_TEXT = f"{FAR_LEG_LOW_DEG[0]:g}–{FAR_LEG_LOW_DEG[1]:g}°"
BANDS_TEXT = (f"below {NOISE_DEG:g}° within pose-measurement noise, {NOISE_DEG:g}–"
              f"{LIKELY_DEG:g}° possible, over {LIKELY_DEG:g}° likely real")

# Measured pose-model bias on real runners (docs/accuracy.md "Angles on real bodies", Method page):
# against two independent human digitisers, MediaPipe's near thigh at toe-off reads less
# extension than the digitised hip joint centre and knee give — by 8.4° (median of 6
# frames, digitisers within 3.3° of each other) on the real treadmill clip of this
# project, and 3–16° on three real clips measured before. The knee is placed ~35 px
# (0.18 trunk lengths) forward and up, the hip ~0.13 trunk lengths high. It varies from
# clip to clip and no correction could be validated on clips it was not fitted on, so it
# is not subtracted; instead, "less extension than the marker-based reference" is judged
# with a band widened by this much. Set from BlazePose full; heavy (the default since
# 2026-12-03) read 5.3° on that clip, 2.7° on a second real body (full: 3.0°) and 3.4° on
# a third never tuned on (full: 4.5°; 3.1° less extension on average): three bodies are too
# few to narrow the band for it. On a fourth (a camera at belt height, loose shorts) four
# pooled digitising passes put heavy's toe-off thigh 19° short (2026-12-04): beyond this
# band, which is not widened for every clip; when the user says the phone was low those
# angles are not compared at all (LOW_CAMERA_METRICS below).
EXTENSION_POSE_BIAS_DEG = 8.0
# Thigh and knee angles (drawn through the hip and knee points; the shank, knee to ankle,
# and the trunk are kept), not compared with the reference when the
# user says the phone was low (gait.result.CAMERA_HEIGHTS): on a clip filmed from a
# treadmill's belt height, four calibrated digitising passes put the hip joint 80–130 px
# below the pose model's hip, and HipDrive's near thigh read 19° less extension at toe-off
# (each pass 10–25°) and 14° less flexion at peak (docs/accuracy.md, 2026-12-04). One clip
# gives no correction, so the comparison is withheld rather than judged with a guessed band.
LOW_CAMERA_METRICS = ("peak_thigh_extension_deg", "peak_thigh_flexion_deg", "thigh_rom_deg",
                      "thigh_at_strike_deg", "thigh_at_toe_off_deg", "knee_at_strike_deg",
                      "peak_knee_flexion_swing_deg")


def withheld_for_low_camera(camera_low: bool, metric: str) -> bool:
    """True for a thigh or knee metric of a clip whose phone the user says was low: it is
    shown but not compared with the reference, nor used for drills."""
    return camera_low and metric in LOW_CAMERA_METRICS


LOW_CAMERA_NOT_COMPARED = ("Not compared: filmed from low down (as entered), where HipDrive "
                           "read the thigh 10–25° short of the hip joint (knee angles use the "
                           "same hip and knee points).")
LOW_CAMERA_NOT_JUDGED = ("Not judged: filmed from low down (as entered); the far leg's "
                         "allowance was measured at hip height.")
# Metrics the bias shortens, with the sign of (runner − reference) that means "less
# extension": peak extension and range are positive numbers, the thigh at toe-off is a
# signed angle (− = behind vertical).
LESS_EXTENSION_SIGN = {"peak_thigh_extension_deg": -1, "thigh_rom_deg": -1,
                       "thigh_at_toe_off_deg": +1}

ELITE_MARKERS = (
    EliteMarker(metric="shank_at_strike_deg", recreational=6.8, elite=2.1,
                text="More vertical shank at touchdown: recreational 6.8°, collegiate 2.1°",
                source="Evans 2023"),
    EliteMarker(metric="shank_at_strike_deg", recreational=9.0, elite=None,
                text="97 runners: shank at touchdown 9.0 ± 3.5°", source="Folland 2017"),
    EliteMarker(metric="contact_time_s", recreational=None, elite=None,
                text="Elite runners: ~11 % longer flight, lower duty factor, less braking",
                source="Preece 2019"),
    EliteMarker(metric="peak_thigh_extension_deg", recreational=None, elite=None,
                text="World-class 1500 m: the better finishers had more hip extension at "
                     "contact and late stance (the study's own hip angle: not directly "
                     "comparable with this 2D thigh angle)", source="Hanley 2023"),
)


@lru_cache(maxsize=1)
def load_curves() -> pd.DataFrame:
    """The reference curves shipped as package data."""
    with resources.files("gait.data").joinpath("running_reference_curves.csv").open() as f:
        return pd.read_csv(f)


@dataclass(frozen=True)
class Reference:
    """Reference at one speed: curves (0–99 % of stride) and key values."""

    requested_speed_mps: float
    used_speed_mps: float
    clamped: bool
    thigh_curve_deg: np.ndarray
    knee_curve_deg: np.ndarray
    values: dict[str, float] = field(default_factory=dict)

    def as_used(self, comparison: dict[str, list[ComparisonRow]] | None = None,
                ) -> ReferenceUsed:
        """This reference as an analysis keeps it, with its comparison rows per leg:
        speed asked for and used, values and both curves (° at 0–99 % of the stride,
        0.001°), so a saved analysis keeps the reference it was compared with
        (`reference_as_used`)."""
        return ReferenceUsed(
            speed_mps_used=self.used_speed_mps, clamped=self.clamped, note=self.note,
            values=dict(self.values),
            comparison={side: tuple(rows) for side, rows in (comparison or {}).items()},
            attribution=ATTRIBUTION, requested_speed_mps=self.requested_speed_mps,
            thigh_curve_deg=tuple(round(float(v), 3) for v in self.thigh_curve_deg),
            knee_curve_deg=tuple(round(float(v), 3) for v in self.knee_curve_deg))

    @property
    def note(self) -> str:
        if self.clamped:
            return (f"Your speed ({self.requested_speed_mps:.1f} m/s) is outside the reference "
                    f"range 2.5–4.5 m/s; compared with the nearest, {self.used_speed_mps:.1f} m/s.")
        return f"Speed-matched to {self.used_speed_mps:.2f} m/s (interpolated)."


def _interp(speed: float, table: tuple[float, ...]) -> float:
    return float(np.interp(speed, REFERENCE_SPEEDS_MPS, table))


def reference_as_used(summary: AnalysisSummary) -> Reference | None:
    """The reference an analysis was compared with, as its summary keeps it (speed,
    curves, values), so that a saved analysis is drawn against the same reference when
    the shipped curves change (gait.summary_versions gives older summaries the curves
    matched at their speed). None: no reference (speed unknown)."""
    kept = summary.reference
    if kept is None:
        return None
    return Reference(requested_speed_mps=kept.requested_speed_mps or kept.speed_mps_used,
                     used_speed_mps=kept.speed_mps_used, clamped=kept.clamped,
                     thigh_curve_deg=np.asarray(kept.thigh_curve_deg, dtype=float),
                     knee_curve_deg=np.asarray(kept.knee_curve_deg, dtype=float),
                     values=dict(kept.values))


def reference_at(speed_mps: float) -> Reference:
    """Speed-matched reference; outside 2.5–4.5 m/s the nearest speed is used."""
    used = float(np.clip(speed_mps, REFERENCE_SPEEDS_MPS[0], REFERENCE_SPEEDS_MPS[-1]))
    curves = load_curves()
    by_speed = {s: g.sort_values("sample") for s, g in curves.groupby("speed_mps")}
    thigh = np.array([by_speed[s]["thigh_deg"].to_numpy() for s in REFERENCE_SPEEDS_MPS])
    knee = np.array([by_speed[s]["knee_deg"].to_numpy() for s in REFERENCE_SPEEDS_MPS])
    thigh_at = np.array([np.interp(used, REFERENCE_SPEEDS_MPS, thigh[:, k])
                         for k in range(thigh.shape[1])])
    knee_at = np.array([np.interp(used, REFERENCE_SPEEDS_MPS, knee[:, k])
                        for k in range(knee.shape[1])])
    toe_off_pct = _interp(used, TOE_OFF_PCT)
    swing = knee_at[int(round(toe_off_pct)):]
    values = {
        "peak_thigh_extension_deg": -parabolic_extreme(thigh_at, maximum=False),
        "peak_thigh_flexion_deg": parabolic_extreme(thigh_at, maximum=True),
        "thigh_rom_deg": float(thigh_at.max() - thigh_at.min()),
        "thigh_at_strike_deg": float(thigh_at[0]),
        "thigh_at_toe_off_deg": float(np.interp(toe_off_pct, np.arange(100), thigh_at)),
        "knee_at_strike_deg": float(knee_at[0]),
        "peak_knee_flexion_swing_deg": parabolic_extreme(swing, maximum=True),
        "contact_time_s": _interp(used, CONTACT_TIME_S),
        "cadence_spm": _interp(used, CADENCE_SPM),
        "toe_off_pct": toe_off_pct,
    }
    return Reference(float(speed_mps), used, used != speed_mps, thigh_at, knee_at, values)


# `AnalysisSummary.speed_source` when the speed was read off the reference's cadence-speed
# relation: the cadence then matches the reference by construction and is not compared.
SPEED_FROM_CADENCE_SOURCE = "estimated from cadence (rough)"


def speed_from_cadence(cadence: float) -> tuple[float, bool]:
    """Speed (m/s) whose reference cadence matches; (speed, clamped)."""
    speed = float(np.interp(cadence, CADENCE_SPM, REFERENCE_SPEEDS_MPS))
    return speed, not CADENCE_SPM[0] <= cadence <= CADENCE_SPM[-1]


def noise_band_limits_deg(metric: str) -> tuple[float, float]:
    """(below, above): how far under and over the reference value a runner's value is
    still called measurement noise. On the side that means less extension the band also
    holds the pose model's under-reading of extension (EXTENSION_POSE_BIAS_DEG)."""
    sign = LESS_EXTENSION_SIGN.get(metric, 0)
    wide = NOISE_DEG + EXTENSION_POSE_BIAS_DEG
    return (wide if sign < 0 else NOISE_DEG, wide if sign > 0 else NOISE_DEG)


def far_leg_allowed_deg(left_minus_right_deg: float, *, near_side: str) -> float:
    """Left − right peak thigh extension with the far leg's low reading allowed for
    (FAR_LEG_LOW_DEG): a far leg reading lower by up to the bias's top is no difference;
    a far leg reading higher is at least the bias's bottom further apart. Signed as
    left − right; what is left is what the band and drills judge."""
    near_minus_far = left_minus_right_deg if near_side == "left" else -left_minus_right_deg
    low, high = FAR_LEG_LOW_DEG
    allowed = max(0.0, near_minus_far - high) if near_minus_far > 0 else near_minus_far - low
    return allowed if near_side == "left" else -allowed


def left_minus_right_noise_range_deg(near_side: str) -> tuple[float, float]:
    """The left − right peak thigh extensions (°) judged measurement noise once the far
    leg's low reading is allowed for (`far_leg_allowed_deg`, then under NOISE_DEG): with
    the near leg on the left, from FAR_LEG_LOW_DEG's bottom − NOISE_DEG to NOISE_DEG + its
    top (−2° to +10°); mirrored with the near leg on the right."""
    low, high = FAR_LEG_LOW_DEG
    near_left = (low - NOISE_DEG, NOISE_DEG + high)
    return near_left if near_side == "left" else (-near_left[1], -near_left[0])


def noise_band_text(metric: str) -> str:
    """The noise band of `metric` in words: "± 5°", or "−13° / +5°" where it is lopsided."""
    below, above = noise_band_limits_deg(metric)
    return NOISE_TEXT if below == above else f"−{below:g}° / +{above:g}°"


def noise_band_deg(metric: str, difference_deg: float) -> float:
    """Differences smaller than this (°) are called measurement noise. For extension
    read short of the reference the band also holds the pose model's known
    under-reading of extension (EXTENSION_POSE_BIAS_DEG)."""
    if LESS_EXTENSION_SIGN.get(metric, 0) * difference_deg > 0:
        return NOISE_DEG + EXTENSION_POSE_BIAS_DEG
    return NOISE_DEG


def difference_band(metric: str, difference_deg: float) -> str:
    """"noise", "possible" or "likely" for a runner − reference angle difference."""
    noise = noise_band_deg(metric, difference_deg)
    size = abs(difference_deg)
    if size < noise:
        return "noise"
    return "possible" if size <= noise + (LIKELY_DEG - NOISE_DEG) else "likely"


def interpret_difference_deg(difference_deg: float, *, metric: str = "") -> str:
    """Plain-words band for an angle difference, respecting pose error (and, for
    extension read short of the reference, the pose model's measured bias)."""
    noise = noise_band_deg(metric, difference_deg)
    likely = noise + (LIKELY_DEG - NOISE_DEG)
    bias = (" — the pose model reads extension short by up to ~"
            f"{EXTENSION_POSE_BIAS_DEG:.0f}° on real runners filmed at hip height, more "
            "from the floor" if noise > NOISE_DEG else "")
    band = difference_band(metric, difference_deg)
    if band == "noise":
        return f"within measurement noise (< {noise:.0f}°{bias})"
    if band == "possible":
        return f"possible difference ({noise:.0f}–{likely:.0f}°{bias})"
    return f"likely real difference (> {likely:.0f}°{bias})"


def interpret_difference_pct(difference_pct: float) -> str:
    size = abs(difference_pct)
    if size < 5:
        return "similar (< 5 %)"
    if size <= 10:
        return "different (5–10 %)"
    return "clearly different (> 10 %)"


def compare(medians: dict[str, float | None], reference: Reference) -> list[ComparisonRow]:
    """Runner medians vs the reference: value, reference, difference, interpretation."""
    rows = []
    for metric, ref_value in reference.values.items():
        value = medians.get(metric)
        if value is None or metric == "toe_off_pct" or not np.isfinite(value):
            continue
        diff = float(value - ref_value)
        common = {"metric": metric, "value": float(value), "reference": ref_value,
                  "difference": diff}
        if metric.endswith("_deg"):
            rows.append(ComparisonRow(
                **common, interpretation=interpret_difference_deg(diff, metric=metric),
                band=difference_band(metric, diff),
                noise_band_deg=noise_band_deg(metric, diff)))
        else:
            rows.append(ComparisonRow(
                **common, interpretation=interpret_difference_pct(100 * diff / ref_value)))
    return rows
