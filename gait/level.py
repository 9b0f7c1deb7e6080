"""The true vertical in the picture, from straight vertical edges behind the runner.

A phone held a little rolled, or a tripod not quite level, turns every angle measured
against the picture's vertical by the same few degrees: a thigh angle then reads that
much more (or less) extension, and the trunk lean the other way. Walls, door frames,
poles and shelves are vertical in the world, so their edges show where "down" really is.

How: on the few frames the people check keeps (`gait.people.FrameSampler`), straight
line segments are found (OpenCV's LSD) outside the runner's box; those within
`MAX_LEAN_DEG` of the picture's vertical and at least `MIN_SEGMENT_FRACTION` of the
picture's height long are candidates. A camera tilted up or down makes vertical edges
converge (towards a point above or below the picture), so the segments are fitted with
their common vanishing point rather than one angle: the true vertical at any point of
the picture is the direction from that point to the vanishing point. Segments more than
`INLIER_DEG` off the fit are dropped and the fit repeated. Nothing is levelled unless
enough inlier edge length remains (`MIN_INLIER_LENGTH`, in picture heights over all
sampled frames, from edges at least `MIN_SPREAD_FRACTION` of the picture's width apart
and with at least `MIN_SIDE_SHARE` of their length on each side of the runner) and the
correction at the runner is at most `MAX_CORRECTION_DEG` (a larger lean is more
likely slanted things than a camera roll).

Levelling turns each frame's keypoints about the pelvis by the local lean there, so
angles against the vertical (thigh, shank, trunk) are measured against the true
vertical; angles between segments (knee, trunk–thigh) do not change. Positions used for
events are not turned. Coordinates: pixels of the upright frame, x right, y down; a
lean is + when the true downward vertical points to the picture's right.
"""

from __future__ import annotations

import numpy as np

from gait.feet import pelvis_xy_px
from gait.people import FrameSampler, downscaled, runner_box
from gait.posetrack import PoseTrack
from gait.summary import TrueVertical

MAX_LEAN_DEG = 8.0
MIN_SEGMENT_FRACTION = 0.06
MIN_SEGMENT_PX = 60  # in the picture searched: one pixel off across 60 is 1°, the inlier
# tolerance; shorter edges of a small, blocky picture gave a 4.9° fit for a 0.65° one
INLIER_DEG = 1.0
FIT_ROUNDS = 3
MIN_INLIER_LENGTH = 1.0  # picture heights of inlier edges over all sampled frames
MIN_INLIER_SEGMENTS = 4
MIN_SPREAD_FRACTION = 0.1  # the inlier edges' midpoints span at least this × width
MIN_SIDE_SHARE = 0.15  # of the inlier edge length on each side of the runner: edges on
# one side only cannot tell a rolled camera from one tilted up (the real treadmill clip's
# third-size copy kept only the right-hand cabinets and read 5° for 0.65°)
MAX_CORRECTION_DEG = 6.0
CONVERGING_GAIN = 1.3
LEVELLED_NOTE_DEG = 0.5  # a smaller levelling gets no quality note and no plumb line
RUNNER_MARGIN = 0.15  # of the runner's box height, added around it before masking


def lean_deg(vertical: TrueVertical, x_px: np.ndarray, y_px: np.ndarray) -> np.ndarray:
    """Lean of the true downward vertical at each point (deg, + = to the right)."""
    dx = vertical.vanishing_x - vertical.vanishing_w * np.asarray(x_px, float)
    dy = vertical.vanishing_y - vertical.vanishing_w * np.asarray(y_px, float)
    down = np.where(dy < 0, -1.0, 1.0)
    return np.degrees(np.arctan2(down * dx, down * dy))


def near_vertical_segments(gray: np.ndarray, runner_box: tuple[float, float, float, float],
                           *, scale: float) -> np.ndarray:
    """(n, 6) array of x1, y1, x2, y2, length, runner x (the box's centre) in full-frame
    pixels: straight edges within MAX_LEAN_DEG of vertical, long enough, whose midpoint
    is outside the runner's box (grown by RUNNER_MARGIN) and not below the runner's feet
    (seams of the floor in front of the runner converge towards the horizon: on a
    rendered clip they outweighed the wall edges and gave −7.7° for a 0.4° roll). `gray`
    is the frame downscaled by `scale`."""
    import cv2  # only the video path needs OpenCV here

    lines = cv2.createLineSegmentDetector().detect(gray)[0]
    if lines is None:
        return np.empty((0, 6))
    x1, y1, x2, y2 = (lines[:, 0, k].astype(float) * scale for k in range(4))
    length = np.hypot(x2 - x1, y2 - y1)
    lean = np.degrees(np.arctan2(np.abs(x2 - x1), np.abs(y2 - y1)))
    bx0, by0, bx1, by1 = runner_box
    grow = RUNNER_MARGIN * (by1 - by0)
    mid_x, mid_y = (x1 + x2) / 2, (y1 + y2) / 2
    on_runner = ((mid_x > bx0 - grow) & (mid_x < bx1 + grow)
                 & (mid_y > by0 - grow) & (mid_y < by1 + grow))
    on_the_ground = mid_y > by1  # floor seams in front of the runner, not walls
    keep = ((length >= MIN_SEGMENT_FRACTION * gray.shape[0] * scale)
            & (length >= MIN_SEGMENT_PX * scale)
            & (lean <= MAX_LEAN_DEG) & ~on_runner & ~on_the_ground)
    runner_x = np.full_like(x1, (bx0 + bx1) / 2)
    return np.stack([x1, y1, x2, y2, length, runner_x], axis=1)[keep]


def _vanishing_point(segments: np.ndarray, centre: np.ndarray, unit_px: float) -> np.ndarray:
    """Least-squares common point of the segments' lines (length-weighted), in
    coordinates centred on `centre` and scaled by `unit_px`; returned in pixels."""
    p1 = np.column_stack([(segments[:, :2] - centre) / unit_px, np.ones(len(segments))])
    p2 = np.column_stack([(segments[:, 2:4] - centre) / unit_px, np.ones(len(segments))])
    lines = np.cross(p1, p2)
    lines /= np.linalg.norm(lines[:, :2], axis=1, keepdims=True)
    weighted = lines * np.sqrt(segments[:, 4:5])
    point = np.linalg.svd(weighted)[2][-1]
    return np.array([point[0] * unit_px + point[2] * centre[0],
                     point[1] * unit_px + point[2] * centre[1], point[2]])


def _residual_deg(segments: np.ndarray, point: np.ndarray) -> np.ndarray:
    """Angle between each segment and the direction from its midpoint to `point`."""
    direction = segments[:, 2:4] - segments[:, :2]
    mid = (segments[:, :2] + segments[:, 2:4]) / 2
    towards = point[:2] - point[2] * mid
    cross = direction[:, 0] * towards[:, 1] - direction[:, 1] * towards[:, 0]
    dot = np.sum(direction * towards, axis=1)
    return np.degrees(np.abs(np.arctan(cross / np.where(dot == 0, 1e-12, dot))))


def _parallel_point(segments: np.ndarray) -> np.ndarray:
    """The point at infinity of parallel edges at the segments' length-weighted median
    lean (a picture that is only rolled)."""
    lean = np.degrees(np.arctan2(segments[:, 2] - segments[:, 0], segments[:, 3] - segments[:, 1]))
    lean = np.where(lean > 90, lean - 180, np.where(lean < -90, lean + 180, lean))
    order = np.argsort(lean)
    cumulative = np.cumsum(segments[order, 4])
    median = np.radians(lean[order][np.searchsorted(cumulative, cumulative[-1] / 2)])
    return np.array([np.sin(median), np.cos(median), 0.0])


def _fit(segments: np.ndarray, first_guess, refit) -> tuple[np.ndarray, np.ndarray]:
    """A point from `first_guess(segments)`, then refitted (`refit`) on the segments
    within INLIER_DEG of it, FIT_ROUNDS times; returns the point and the inlier mask."""
    point = first_guess(segments)
    inliers = _residual_deg(segments, point) <= INLIER_DEG
    for _ in range(FIT_ROUNDS):
        if inliers.sum() < MIN_INLIER_SEGMENTS:
            break
        point = refit(segments[inliers])
        inliers = _residual_deg(segments, point) <= INLIER_DEG
    return point, inliers


def _smaller_side_share(segments: np.ndarray) -> float:
    """The share of edge length on the runner's less-covered side (left or right of the
    runner's box centre, column 6)."""
    right = (segments[:, 0] + segments[:, 2]) / 2 > segments[:, 5]
    total = float(segments[:, 4].sum())
    on_right = float(segments[right, 4].sum())
    return min(on_right, total - on_right) / total if total > 0 else 0.0


def fit_true_vertical(segments: np.ndarray, *, width_px: int, height_px: int
                      ) -> TrueVertical | None:
    """The true vertical of `segments` (see the module docstring), or None when too
    little straight vertical edge agrees. Parallel edges (a rolled picture) are the
    first model; converging edges (a camera tilted up or down) are taken only when they
    explain at least CONVERGING_GAIN times the edge length: with edges on one side of
    the picture only, or a slanted object among them, a vanishing point can bend the
    vertical where the runner is (a rendered clip's treadmill upright did that)."""
    if len(segments) < MIN_INLIER_SEGMENTS:
        return None
    centre = np.array([width_px / 2, height_px / 2])

    def converging(chosen: np.ndarray) -> np.ndarray:
        return _vanishing_point(chosen, centre, float(height_px))

    point, inliers = _fit(segments, _parallel_point, _parallel_point)
    vanishing, vanishing_inliers = _fit(segments, converging, converging)
    if segments[vanishing_inliers, 4].sum() >= CONVERGING_GAIN * segments[inliers, 4].sum():
        point, inliers = vanishing, vanishing_inliers
    kept = segments[inliers]
    edge_heights = float(kept[:, 4].sum() / height_px)
    mids = (kept[:, 0] + kept[:, 2]) / 2
    if (len(kept) < MIN_INLIER_SEGMENTS or edge_heights < MIN_INLIER_LENGTH
            or np.ptp(mids) < MIN_SPREAD_FRACTION * width_px
            or _smaller_side_share(kept) < MIN_SIDE_SHARE):
        return None
    x, y, w = point / np.linalg.norm(point)
    return TrueVertical(vanishing_x=float(x), vanishing_y=float(y), vanishing_w=float(w),
                        segments=len(kept), edge_length_heights=round(edge_heights, 2))


def levelled(track: PoseTrack, vertical: TrueVertical) -> tuple[PoseTrack, float] | None:
    """The track with each frame turned about its pelvis by the true vertical's lean
    there, and the median lean (deg); None when that exceeds MAX_CORRECTION_DEG (more
    likely slanted things in view than a camera roll) or no pelvis is seen."""
    pelvis_x, pelvis_y = pelvis_xy_px(track)
    lean = lean_deg(vertical, pelvis_x, pelvis_y)
    if not np.isfinite(lean).any() or abs(np.nanmedian(lean)) > MAX_CORRECTION_DEG:
        return None
    theta = np.radians(np.nan_to_num(lean))[:, None]
    dx, dy = track.x_px - pelvis_x[:, None], track.y_px - pelvis_y[:, None]
    x = pelvis_x[:, None] + dx * np.cos(theta) - dy * np.sin(theta)
    y = pelvis_y[:, None] + dx * np.sin(theta) + dy * np.cos(theta)
    seen = np.isfinite(pelvis_x)[:, None]  # without a pelvis a frame stays as it was
    return (track.with_arrays(x_px=np.where(seen, x, track.x_px),
                              y_px=np.where(seen, y, track.y_px)),
            float(np.nanmedian(lean)))


def edges_in_frame(rgb: np.ndarray, runner_box: tuple[float, float, float, float]
                   ) -> np.ndarray:
    """`near_vertical_segments` of one full-size RGB frame, searched downscaled as the
    clip's sampled frames are (`gait.people.downscaled`)."""
    import cv2

    step, small = downscaled(rgb)
    return near_vertical_segments(cv2.cvtColor(small, cv2.COLOR_RGB2GRAY), runner_box,
                                  scale=float(step))


def estimate_true_vertical(sampler: FrameSampler, track: PoseTrack) -> TrueVertical | None:
    """The true vertical from the sampled frames (edges off the runner), or None."""
    import cv2

    found = []
    for index, (step, rgb) in sorted(sampler.kept.items()):
        box = runner_box(track, index)
        if box is not None:
            found.append(near_vertical_segments(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY), box,
                                                scale=float(step)))
    if not found:
        return None
    return fit_true_vertical(np.concatenate(found), width_px=track.frame_width_px,
                             height_px=track.frame_height_px)
