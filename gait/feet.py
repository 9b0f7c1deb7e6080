"""Where the feet are in the picture, for the event stage: each foot's lowest point
(heel or toe), its ground line, how far above the picture's bottom the feet come down,
and the pelvis's x for the fore-aft signals. Pixels of the frame, x right, y down."""

from __future__ import annotations

import numpy as np

from gait.keypoints import SIDES
from gait.posetrack import PoseTrack


def foot_lowest_point(track: PoseTrack, side: str) -> tuple[np.ndarray, np.ndarray]:
    """x and y (px) of the lowest of heel and toe, per frame."""
    heel, toe = track.xy(f"{side}_heel"), track.xy(f"{side}_toe")
    use_toe = np.nan_to_num(toe[:, 1], nan=-np.inf) > np.nan_to_num(heel[:, 1], nan=-np.inf)
    low = np.where(use_toe[:, None], toe, heel)
    return low[:, 0], low[:, 1]


def foot_height_px(track: PoseTrack, side: str, leg_length_px: float, *,
                   each_own_ground: bool) -> np.ndarray:
    """Per frame, how far (px, up) the foot is above its ground line.

    each_own_ground=False: the lowest of heel and toe against one ground line through
    the lowest 30 % of those points. each_own_ground=True: heel and toe each against its
    own ground line, the nearer of the two. Each keypoint sits its own distance above the
    sole (flat on the ground, BlazePose heavy's toe point was up to ~45 px below its heel
    point on a real 1080p clip), so a heel that lands first is down when it reaches the
    heel's ground; against the toe's it still looks in the air until the foot is flat."""
    if not each_own_ground:
        return _above_ground_line_px(*foot_lowest_point(track, side), leg_length_px)
    heel, toe = (track.xy(f"{side}_{part}") for part in ("heel", "toe"))
    return np.fmin(_above_ground_line_px(heel[:, 0], heel[:, 1], leg_length_px),
                   _above_ground_line_px(toe[:, 0], toe[:, 1], leg_length_px))


def _above_ground_line_px(x_px: np.ndarray, y_px: np.ndarray,
                          leg_length_px: float) -> np.ndarray:
    """How far (px, up) each point is above the ground line fitted to these points."""
    a, b = fit_ground_line(x_px, y_px, leg_length_px=leg_length_px)
    return (a + b * x_px) - y_px


def feet_bottom_margin(track: PoseTrack, *, picture_bottom_px: float | None = None) -> float:
    """How far above the picture's bottom edge the feet come down, in foot lengths
    (median heel-to-toe distance): the gap below the 95th percentile of the feet's lowest
    points. NaN when the feet are never seen. Under ~½ the edge may cut a foot on the
    ground, and BlazePose then squeezes the foot into the picture (strikes come early).
    The edge is the frame's, or `picture_bottom_px` where a black bar ends the picture
    above it (gait.picture.picture_bottom_px)."""
    lows = np.concatenate([foot_lowest_point(track, side)[1] for side in SIDES])
    lengths = np.concatenate([np.linalg.norm(track.xy(f"{side}_heel") - track.xy(f"{side}_toe"),
                                             axis=1) for side in SIDES])
    if not (np.isfinite(lows).any() and np.isfinite(lengths).any()):
        return float("nan")
    bottom_px = track.frame_height_px if picture_bottom_px is None else picture_bottom_px
    gap_px = bottom_px - float(np.nanpercentile(lows, 95))
    return gap_px / max(float(np.nanmedian(lengths)), 1.0)


def fit_ground_line(xs: np.ndarray, ys: np.ndarray, *, leg_length_px: float) -> tuple[float, float]:
    """Ground line y = a + b·x through the lowest 30 % of foot positions."""
    ok = np.isfinite(xs) & np.isfinite(ys)
    xs, ys = xs[ok], ys[ok]
    if len(ys) < 3:
        return float("nan"), 0.0
    low = ys >= np.quantile(ys, 0.7)
    if np.ptp(xs[low]) < 0.5 * leg_length_px:
        return float(np.median(ys[low])), 0.0
    b, a = np.polyfit(xs[low], ys[low], 1)
    return float(a), float(b)


def pelvis_xy_px(track: PoseTrack) -> tuple[np.ndarray, np.ndarray]:
    """Per frame, x and y (px) of the mid-point of the two hips."""
    return tuple(0.5 * (coords[:, track.column("left_hip")] + coords[:, track.column("right_hip")])
                 for coords in (track.x_px, track.y_px))


def pelvis_x_px(track: PoseTrack) -> np.ndarray:
    """Mid-point of the two hips, x in px."""
    return pelvis_xy_px(track)[0]
