"""Sagittal-plane angles from a clean 2D pose track, and the clip's geometry.

Conventions: image x right, y down. Direction of travel d = +1 when the runner
faces/moves toward +x. A runner facing image-right shows the camera their RIGHT
side (right = forward × up, which points at the camera), so near side = right when
d = +1 and left when d = -1. DESIGN §4 states the mirror image; MediaPipe agrees
with the geometry here (checked on rendered clips, synthetic/README.md).

- thigh_deg: hip→knee against vertical; + knee ahead of hip (flexion), − behind.
- trunk_lean_deg: hip→shoulder against vertical; + shoulders ahead of hips.
- hip_deg (trunk–thigh): thigh relative to the trunk line; + flexion.
  hip_deg = thigh_deg + trunk_lean_deg, so trunk–thigh extension = thigh
  extension − forward trunk lean.
- knee_deg: knee flexion = 180° − angle(hip, knee, ankle); 0 = straight.
- shank_deg: knee→ankle against vertical; + ankle ahead of knee.

These are 2D projections: a thigh angle is *not* lab hip extension (femur
relative to pelvis); pelvic tilt is invisible here.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from gait.keypoints import SIDES, other_side
from gait.posetrack import PoseTrack

# Segment lengths as fractions of standing height (Winter, Biomechanics and Motor
# Control of Human Movement, 4th ed., table 4.1).
THIGH_FRACTION_OF_HEIGHT = 0.245
SHANK_FRACTION_OF_HEIGHT = 0.246
DEFAULT_HEIGHT_M = 1.75
# Shoulder width (biacromial) is 0.259 of height (same table), about half a leg length
# (hip→knee→ankle), so a runner seen from the front or back shows the shoulders ~0.5 leg
# lengths apart and from the side nearly on top of each other. Measured (median over the
# clip): 0.06–0.16 on 21 real side-view tracks (treadmill, track, panning, slow motion,
# mirrored, small, dim; both pose models), 0.02–0.13 on the held-out synthetic set, and
# 0.46–0.76 on three real clips filmed from the front
# (a runner coming toward the camera on a road and on a pitch, a treadmill close-up); at
# 0.3 the view is about 35° off side-on.
FACING_CAMERA_SHOULDER_SPREAD = 0.3


@dataclass(frozen=True)
class Geometry:
    """Where the runner goes and how they are seen."""

    direction: int  # +1 toward image right, -1 toward image left
    direction_agreement: float  # fraction of frames whose cues agree with `direction`
    near_side: str
    treadmill: bool
    hip_travel_leg_lengths: float  # how far the hips moved across the clip
    leg_length_px: float  # median hip→knee + knee→ankle
    camera_side_on_ratio: float  # far/near thigh length ratio check; ~1 when side-on
    shoulder_spread_leg_lengths: float = float("nan")  # median |x left − x right shoulder|

    @property
    def faces_camera(self) -> bool:
        """Seen from the front or back, not from the side (FACING_CAMERA_SHOULDER_SPREAD)."""
        return self.shoulder_spread_leg_lengths > FACING_CAMERA_SHOULDER_SPREAD

    @property
    def direction_label(self) -> str:
        return "left_to_right" if self.direction > 0 else "right_to_left"

    @property
    def far_side(self) -> str:
        return other_side(self.near_side)


def near_side_for(direction: int) -> str:
    """The anatomical side facing a side-on camera for a runner facing `direction`."""
    return "right" if direction > 0 else "left"


def _mean_of(track: PoseTrack, names: list[str]) -> np.ndarray:
    """Per-frame mean position of the keypoints that are present, (n, 2)."""
    stacked = np.stack([track.xy(n) for n in names])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN frames stay NaN
        return np.nanmean(stacked, axis=0)


def _segment_length(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.linalg.norm(b - a, axis=1)


# Hips that cross less than this many leg lengths of the picture: the runner stays in place
# (a treadmill, or a camera moving with an overground runner).
IN_PLACE_TRAVEL_LEGS = 1.0


def detect_geometry(track: PoseTrack, *, treadmill: bool | None = None) -> Geometry:
    """Direction of travel (toes ahead of heels, nose ahead of ears, hip travel),
    near side, treadmill vs overground, the leg length in pixels and how far apart the
    shoulders look (a view from the front or back)."""
    cues = []
    for side in SIDES:
        cues.append(track.xy(f"{side}_toe")[:, 0] - track.xy(f"{side}_heel")[:, 0])
    ears = _mean_of(track, ["left_ear", "right_ear"])
    cues.append(track.xy("nose")[:, 0] - ears[:, 0])
    votes = np.sign(np.concatenate([c[np.isfinite(c)] for c in cues]))
    hips = _mean_of(track, ["left_hip", "right_hip"])
    finite_hips = hips[np.isfinite(hips[:, 0])]
    travel_px = finite_hips[-1, 0] - finite_hips[0, 0] if len(finite_hips) > 1 else 0.0
    thigh = np.nanmedian(np.concatenate([
        _segment_length(track.xy(f"{s}_hip"), track.xy(f"{s}_knee")) for s in SIDES]))
    shank = np.nanmedian(np.concatenate([
        _segment_length(track.xy(f"{s}_knee"), track.xy(f"{s}_ankle")) for s in SIDES]))
    leg_px = float(thigh + shank)
    travel_legs = float(abs(travel_px) / leg_px) if leg_px > 0 else 0.0
    if travel_legs > IN_PLACE_TRAVEL_LEGS:
        direction = 1 if travel_px > 0 else -1
    else:
        direction = 1 if votes.sum() >= 0 else -1
    agreement = float((votes == direction).mean()) if len(votes) else 0.0
    is_treadmill = travel_legs < IN_PLACE_TRAVEL_LEGS if treadmill is None else treadmill
    near = near_side_for(direction)
    near_thigh = np.nanmedian(_segment_length(track.xy(f"{near}_hip"), track.xy(f"{near}_knee")))
    far = other_side(near)
    far_thigh = np.nanmedian(_segment_length(track.xy(f"{far}_hip"), track.xy(f"{far}_knee")))
    ratio = float(far_thigh / near_thigh) if near_thigh > 0 else float("nan")
    shoulder_gap_px = np.nanmedian(np.abs(track.xy("left_shoulder")[:, 0]
                                          - track.xy("right_shoulder")[:, 0]))
    spread = float(shoulder_gap_px / leg_px) if leg_px > 0 else float("nan")
    return Geometry(direction, agreement, near, bool(is_treadmill), travel_legs, leg_px, ratio,
                    spread)


def _angle_from_vertical_deg(top: np.ndarray, bottom: np.ndarray, direction: int) -> np.ndarray:
    """Angle of top→bottom against the downward vertical; + = bottom ahead of top."""
    dx = direction * (bottom[:, 0] - top[:, 0])
    dy = bottom[:, 1] - top[:, 1]
    return np.degrees(np.arctan2(dx, dy))


def _inner_angle_deg(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Angle ABC at vertex b, 0–180°."""
    u, v = a - b, c - b
    cos = np.sum(u * v, axis=1) / (np.linalg.norm(u, axis=1) * np.linalg.norm(v, axis=1))
    return np.degrees(np.arccos(np.clip(cos, -1.0, 1.0)))


def compute_angles(track: PoseTrack, *, direction: int) -> pd.DataFrame:
    """Per-frame angles (deg) for both legs and the trunk; one row per frame.

    Columns: frame, time_s, trunk_lean_deg, and for side in (left, right):
    {side}_thigh_deg, {side}_hip_deg, {side}_knee_deg, {side}_shank_deg.
    """
    shoulders = _mean_of(track, ["left_shoulder", "right_shoulder"])
    hips = _mean_of(track, ["left_hip", "right_hip"])
    # trunk: hip→shoulder against upward vertical, + shoulders ahead
    trunk = -_angle_from_vertical_deg(shoulders, hips, direction)
    columns: dict[str, np.ndarray] = {
        "frame": np.arange(track.n_frames),
        "time_s": track.time_s,
        "trunk_lean_deg": trunk,
    }
    for side in SIDES:
        hip, knee = track.xy(f"{side}_hip"), track.xy(f"{side}_knee")
        ankle = track.xy(f"{side}_ankle")
        thigh = _angle_from_vertical_deg(hip, knee, direction)
        columns[f"{side}_thigh_deg"] = thigh
        columns[f"{side}_hip_deg"] = thigh + trunk
        columns[f"{side}_knee_deg"] = 180.0 - _inner_angle_deg(hip, knee, ankle)
        columns[f"{side}_shank_deg"] = _angle_from_vertical_deg(knee, ankle, direction)
    return pd.DataFrame(columns)


def pixels_per_metre(geometry: Geometry, *, height_m: float | None) -> tuple[float, bool]:
    """Image scale from the leg length; returns (px per m, height_was_given)."""
    height = height_m if height_m else DEFAULT_HEIGHT_M
    leg_m = (THIGH_FRACTION_OF_HEIGHT + SHANK_FRACTION_OF_HEIGHT) * height
    return geometry.leg_length_px / leg_m, height_m is not None


def estimate_speed_mps(track: PoseTrack, contacts: list[tuple[str, float, float]], *,
                       treadmill: bool, px_per_m: float) -> float | None:
    """Running speed from the video.

    Overground: horizontal hip velocity. Treadmill: the belt's speed, seen as the
    backward velocity of the foot on the ground in the middle half of each contact.
    `contacts` are (side, foot_strike_s, toe_off_s). None when it cannot be measured.
    """
    t = track.time_s
    if not treadmill:
        hips = _mean_of(track, ["left_hip", "right_hip"])
        ok = np.isfinite(hips[:, 0])
        if ok.sum() < 10:
            return None
        slope_px_s = np.polyfit(t[ok], hips[ok, 0], 1)[0]
        return float(abs(slope_px_s) / px_per_m)
    velocities = []
    for side, strike, toe_off in contacts:
        quarter = (toe_off - strike) / 4
        inside = (t >= strike + quarter) & (t <= toe_off - quarter)
        foot = _mean_of(track, [f"{side}_heel", f"{side}_toe"])[inside]
        ok = np.isfinite(foot[:, 0])
        if ok.sum() >= 2 and np.ptp(t[inside][ok]) > 0:
            velocities.append(np.polyfit(t[inside][ok], foot[ok, 0], 1)[0])
    if not velocities:
        return None
    return float(abs(np.median(velocities)) / px_per_m)
