"""Cleaning of a raw pose track: confidence gating, left/right leg swap repair,
bounded gap filling and a zero-phase low-pass filter.

Every step returns a new PoseTrack and records what it changed in `track.flags`
(per-frame boolean arrays) so the UI can show what was repaired:

- ``gated_<keypoint>``   not used; gating is summarised in ``gated_any``
- ``swap_repaired``      the leg labels of this frame were exchanged back
- ``gap_filled``         at least one keypoint of this frame was interpolated
- ``foot_outside_frame`` a foot keypoint lay outside the picture (a guess: that whole
                         foot is blanked)

Cut-off choice: 2nd-order Butterworth run forwards and backwards (zero phase,
effective 4th order) at 8 Hz by default. Running strides repeat at ~1.3–1.6 Hz;
the thigh angle's energy lies in its first ~5 harmonics (< 8 Hz), while pose-
estimation jitter is broadband. Marker-based running studies use 6–12 Hz and
markerless pipelines (Pose2Sim/Sports2D) 6 Hz. The cut-off is clamped to 40 % of
the frame rate so 30 fps clips are filtered well below their Nyquist frequency.
"""

from __future__ import annotations

import numpy as np

from gait.filtering import PAD_SAMPLES, butterworth2_lowpass, filtfilt
from gait.keypoints import LEG_PARTS, SIDES
from gait.limits import DEFAULT_CUTOFF_HZ
from gait.posetrack import PoseTrack
from gait.shots import frames_in_shot
from gait.summary import CleaningReport

DEFAULT_MIN_CONFIDENCE = 0.2
DEFAULT_MAX_GAP_S = 0.12
FOOT_PARTS = ("ankle", "heel", "toe")
# A foot keypoint further than this (fraction of the picture's size) past its edge is the
# pose model's guess of a foot it cannot see (feet cut off by the bottom of the picture,
# a runner entering from the side): BlazePose still reports it, often with high
# confidence. Inside this margin it may be a real foot touching the edge.
OUTSIDE_FRAME_MARGIN = 0.01


def gate_by_confidence(track: PoseTrack, *, min_confidence: float) -> PoseTrack:
    """Set keypoints with confidence below `min_confidence` to NaN."""
    low = track.confidence < min_confidence
    x = np.where(low, np.nan, track.x_px)
    y = np.where(low, np.nan, track.y_px)
    flags = dict(track.flags, gated_any=low.any(axis=1))
    return track.with_arrays(x_px=x, y_px=y, flags=flags)


def feet_outside_frame(track: PoseTrack, *,
                       margin: float = OUTSIDE_FRAME_MARGIN) -> dict[str, np.ndarray]:
    """Per side, the frames where any of that foot's keypoints (ankle, heel, toe) lies
    outside the picture (beyond `margin` × its width or height): the pose model guesses
    feet it cannot see, and a foot partly outside has its lowest point outside."""
    dx, dy = margin * track.frame_width_px, margin * track.frame_height_px
    out = {}
    for side in SIDES:
        cols = [track.column(f"{side}_{part}") for part in FOOT_PARTS]
        x, y = track.x_px[:, cols], track.y_px[:, cols]
        out[side] = ((x < -dx) | (x > track.frame_width_px + dx)
                     | (y < -dy) | (y > track.frame_height_px + dy)).any(axis=1)
    return out  # NaN compares False: an unseen point is not "outside"


def gate_feet_outside_frame(track: PoseTrack, outside: dict[str, np.ndarray]) -> PoseTrack:
    """The whole foot (ankle, heel, toe) of a side set to NaN in the frames `outside`
    marks (`feet_outside_frame`): events timed on a guessed or half-cut foot are wrong.
    Flag ``foot_outside_frame`` marks those frames."""
    x_all, y_all = track.x_px.copy(), track.y_px.copy()
    for side, rows in outside.items():
        cols = [track.column(f"{side}_{part}") for part in FOOT_PARTS]
        x_all[np.ix_(rows, cols)] = np.nan
        y_all[np.ix_(rows, cols)] = np.nan
    flags = dict(track.flags, foot_outside_frame=np.logical_or.reduce(list(outside.values())))
    return track.with_arrays(x_px=x_all, y_px=y_all, flags=flags)


def _leg_columns(track: PoseTrack, side: str) -> list[int]:
    return [track.column(f"{side}_{part}") for part in LEG_PARTS]


SWAP_PENALTY_LEG_PER_FRAME = 0.05
CONTINUITY_PARTS = ("knee", "ankle", "heel", "toe")


def _forward_fill(values: np.ndarray) -> np.ndarray:
    """Replace NaN rows (axis 0) by the last finite value, per remaining element."""
    flat = values.reshape(len(values), -1)
    idx = np.where(np.isfinite(flat), np.arange(len(flat))[:, None], 0)
    np.maximum.accumulate(idx, axis=0, out=idx)
    filled = flat[idx, np.arange(flat.shape[1])]
    return filled.reshape(values.shape)


def _continuity_costs(track: PoseTrack) -> tuple[np.ndarray, np.ndarray]:
    """Per frame i ≥ 1, the summed jump (px) of the lower-leg keypoints from frame
    i−1 to i if the two frames have the same label state (`same`) or opposite states
    (`cross`). A part missing in a frame keeps its last seen position, so a jump
    across a gap still counts; parts never seen add nothing."""
    def stack(side: str) -> np.ndarray:
        parts = np.stack([track.xy(f"{side}_{p}") for p in CONTINUITY_PARTS], axis=1)
        return _forward_fill(parts)

    left, right = stack("left"), stack("right")  # (n, parts, 2)

    def jump(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.nansum(np.linalg.norm(a[1:] - b[:-1], axis=2), axis=1)

    same = jump(left, left) + jump(right, right)
    cross = jump(left, right) + jump(right, left)
    return same, cross


def repair_leg_swaps(track: PoseTrack, *, leg_length_px: float | None = None) -> PoseTrack:
    """Undo frames where the pose model exchanged the left and right legs.

    In side view the legs cross twice per stride and BlazePose then sometimes labels
    the near leg as the far one for a few frames. Each frame gets a state (labels as
    given, or exchanged); the most likely state sequence (Viterbi) minimises the
    frame-to-frame jumps of knees, ankles, heels and toes plus a small penalty for
    every frame whose labels are exchanged (the model's own labels are right most of
    the time). A short swap costs two big jumps if kept, so it is undone; while the
    legs overlap both states cost the same and the model's labels stand.
    """
    n = track.n_frames
    if n < 2:
        return track.with_arrays(flags=dict(track.flags, swap_repaired=np.zeros(n, bool)))
    if leg_length_px is None:
        thigh = np.linalg.norm(track.xy("left_hip") - track.xy("left_knee"), axis=1)
        shank = np.linalg.norm(track.xy("left_knee") - track.xy("left_ankle"), axis=1)
        leg_length_px = float(np.nanmedian(thigh + shank)) if np.isfinite(thigh).any() else 100.0
    penalty = SWAP_PENALTY_LEG_PER_FRAME * leg_length_px * len(CONTINUITY_PARTS)
    same, cross = _continuity_costs(track)
    cost = np.array([0.0, penalty])  # best total cost ending in state keep / swap
    back = np.zeros((n, 2), dtype=int)
    for i in range(1, n):
        from_keep = cost[0] + np.array([same[i - 1], cross[i - 1]])
        from_swap = cost[1] + np.array([cross[i - 1], same[i - 1]])
        back[i] = np.where(from_keep <= from_swap, 0, 1)
        cost = np.minimum(from_keep, from_swap) + np.array([0.0, penalty])
    state = np.zeros(n, dtype=bool)
    state[-1] = bool(np.argmin(cost))
    for i in range(n - 1, 0, -1):
        state[i - 1] = bool(back[i, int(state[i])])
    lcols, rcols = _leg_columns(track, "left"), _leg_columns(track, "right")
    rows = np.flatnonzero(state)
    x, y, conf = track.x_px.copy(), track.y_px.copy(), track.confidence.copy()
    for array in (x, y, conf):
        left_vals = array[np.ix_(rows, lcols)].copy()
        array[np.ix_(rows, lcols)] = array[np.ix_(rows, rcols)]
        array[np.ix_(rows, rcols)] = left_vals
    flags = dict(track.flags, swap_repaired=state)
    return track.with_arrays(x_px=x, y_px=y, confidence=conf, flags=flags)


def _nan_runs(missing: np.ndarray) -> list[tuple[int, int]]:
    """Half-open [start, end) index runs where `missing` is True."""
    edges = np.diff(np.concatenate([[0], missing.astype(int), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True))


def fill_gaps(values: np.ndarray, time_s: np.ndarray, *, max_gap_s: float) -> np.ndarray:
    """Linearly interpolate interior NaN runs no longer than `max_gap_s` (1-D)."""
    out = values.copy()
    missing = np.isnan(values)
    for start, end in _nan_runs(missing):
        if start == 0 or end == len(values):
            continue
        if time_s[end] - time_s[start - 1] > max_gap_s + 1e-9:
            continue
        out[start:end] = np.interp(time_s[start:end], time_s[[start - 1, end]],
                                   values[[start - 1, end]])
    return out


def fill_track_gaps(track: PoseTrack, *, max_gap_s: float) -> PoseTrack:
    """Fill short gaps of every keypoint; longer gaps stay NaN."""
    x, y = track.x_px.copy(), track.y_px.copy()
    for j in range(len(track.keypoints)):
        x[:, j] = fill_gaps(track.x_px[:, j], track.time_s, max_gap_s=max_gap_s)
        y[:, j] = fill_gaps(track.y_px[:, j], track.time_s, max_gap_s=max_gap_s)
    filled = (np.isnan(track.x_px) & ~np.isnan(x)).any(axis=1)
    flags = dict(track.flags, gap_filled=filled)
    return track.with_arrays(x_px=x, y_px=y, flags=flags)


def blank_repeated_frames(track: PoseTrack) -> PoseTrack:
    """NaN keypoints on frames that repeat the previous picture (flag `repeated_frame`),
    except at the clip's end, where no later picture exists to interpolate toward."""
    repeated = track.flags.get("repeated_frame")
    if repeated is None or not np.any(repeated):
        return track
    repeated = np.asarray(repeated, dtype=bool).copy()
    new_pictures = np.flatnonzero(~repeated)
    if len(new_pictures):
        repeated[new_pictures[-1] + 1:] = False
    x, y = track.x_px.copy(), track.y_px.copy()
    x[repeated], y[repeated] = np.nan, np.nan
    return track.with_arrays(x_px=x, y_px=y)


def effective_cutoff_hz(cutoff_hz: float, sample_rate_hz: float) -> float:
    """The cut-off actually used: at most 40 % of the sampling rate."""
    return float(min(cutoff_hz, 0.4 * sample_rate_hz))


def lowpass(values: np.ndarray, *, sample_rate_hz: float, cutoff_hz: float) -> np.ndarray:
    """Zero-phase 2nd-order Butterworth low-pass of a 1-D series; NaN runs are kept
    and each finite run is filtered on its own (runs too short to filter stay raw)."""
    b, a = butterworth2_lowpass(effective_cutoff_hz(cutoff_hz, sample_rate_hz), sample_rate_hz)
    out = values.copy()
    for start, end in _nan_runs(~np.isnan(values)):
        if end - start > PAD_SAMPLES:
            out[start:end] = filtfilt(b, a, values[start:end])
    return out


def smooth_track(track: PoseTrack, *, cutoff_hz: float) -> PoseTrack:
    """Low-pass every keypoint coordinate at `cutoff_hz` (frame rate from timestamps)."""
    rate_hz = 1.0 / track.median_frame_interval_s
    x = np.column_stack([lowpass(track.x_px[:, j], sample_rate_hz=rate_hz, cutoff_hz=cutoff_hz)
                         for j in range(len(track.keypoints))])
    y = np.column_stack([lowpass(track.y_px[:, j], sample_rate_hz=rate_hz, cutoff_hz=cutoff_hz)
                         for j in range(len(track.keypoints))])
    return track.with_arrays(x_px=x, y_px=y)


def clean_track(
    track: PoseTrack,
    *,
    min_confidence: float = DEFAULT_MIN_CONFIDENCE,
    max_gap_s: float = DEFAULT_MAX_GAP_S,
    cutoff_hz: float = DEFAULT_CUTOFF_HZ,
) -> tuple[PoseTrack, CleaningReport]:
    """Drop repeated pictures → gate low confidence → repair swaps → fill gaps → drop
    feet outside the picture → low-pass. Returns the clean track and a report. Feet
    outside the picture are found on the repaired labels (so the right foot is dropped)
    and dropped after gap filling (so no gap filling brings them back).

    A frame flagged `repeated_frame` (it repeats the previous picture, see
    gait.pose.repeated_frames) holds no new measurement: its keypoints are blanked and
    filled by interpolation like any short gap, so a picture held for 3 frames does not
    pull the trajectory toward the moment it was first shown."""
    no_person = np.isnan(track.x_px).all(axis=1)
    repeated_share = float(np.mean(track.flags.get("repeated_frame", False)))
    if 0 < repeated_share < 1 and track.n_frames > 1:
        # one lost picture of a clip with few distinct pictures is still a short gap
        picture_interval_s = track.median_frame_interval_s / (1.0 - repeated_share)
        max_gap_s = max(max_gap_s, 2.5 * picture_interval_s)
    track = blank_repeated_frames(track)
    confident = gate_by_confidence(track, min_confidence=min_confidence)
    repaired = repair_leg_swaps(confident)
    filled = fill_track_gaps(repaired, max_gap_s=max_gap_s)
    gated = gate_feet_outside_frame(filled, feet_outside_frame(repaired))
    smooth = smooth_track(gated, cutoff_hz=cutoff_hz)
    rate_hz = 1.0 / track.median_frame_interval_s if track.n_frames > 1 else float("nan")
    essential = [track.column(f"{side}_{part}") for side in ("left", "right")
                 for part in ("shoulder", "hip", "knee", "ankle")]
    # a clip with cuts: only the frames of the shot analysed are counted (gait.shots)
    counted = frames_in_shot(track)
    report = CleaningReport(
        n_frames=int(counted.sum()),
        frames_without_person=int((no_person & counted).sum()),
        gated_fraction=float((np.isnan(confident.x_px) & ~np.isnan(track.x_px))[counted].mean())
        if counted.any() else 0.0,
        swap_repaired_frames=int((repaired.flags["swap_repaired"] & counted).sum()),
        gap_filled_frames=int((filled.flags["gap_filled"] & counted).sum()),
        unfilled_frames=int((np.isnan(gated.x_px[:, essential]).any(axis=1) & counted).sum()),
        cutoff_hz=effective_cutoff_hz(cutoff_hz, rate_hz) if rate_hz == rate_hz else cutoff_hz,
        foot_outside_frame_frames=int((gated.flags["foot_outside_frame"] & counted).sum()),
    )
    return smooth, report
