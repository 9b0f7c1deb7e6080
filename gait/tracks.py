"""Cleaning of a raw pose track: confidence gating, left/right leg swap repair,
bounded gap filling and a zero-phase low-pass filter.

Every step returns a new PoseTrack and records what it changed in `track.flags`
(per-frame boolean arrays) so the UI can show what was repaired:

- ``gated_<keypoint>``   not used; gating is summarised in ``gated_any``
- ``swap_repaired``      the leg labels of this frame were exchanged back
- ``gap_filled``         at least one keypoint of this frame was interpolated

Cut-off choice: 2nd-order Butterworth run forwards and backwards (zero phase,
effective 4th order) at 8 Hz by default. Running strides repeat at ~1.3–1.6 Hz;
the thigh angle's energy lies in its first ~5 harmonics (< 8 Hz), while pose-
estimation jitter is broadband. Marker-based running studies use 6–12 Hz and
markerless pipelines (Pose2Sim/Sports2D) 6 Hz. The cut-off is clamped to 40 % of
the frame rate so 30 fps clips are filtered well below their Nyquist frequency.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import butter, filtfilt

from gait.keypoints import LEG_PARTS
from gait.posetrack import PoseTrack

DEFAULT_MIN_CONFIDENCE = 0.2
DEFAULT_MAX_GAP_S = 0.12
DEFAULT_CUTOFF_HZ = 8.0


@dataclass(frozen=True)
class CleaningReport:
    """What cleaning did, in numbers a user can read."""

    n_frames: int
    frames_without_person: int
    gated_fraction: float
    swap_repaired_frames: int
    gap_filled_frames: int
    unfilled_frames: int
    cutoff_hz: float

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def gate_by_confidence(track: PoseTrack, *, min_confidence: float) -> PoseTrack:
    """Set keypoints with confidence below `min_confidence` to NaN."""
    low = track.confidence < min_confidence
    x = np.where(low, np.nan, track.x_px)
    y = np.where(low, np.nan, track.y_px)
    flags = dict(track.flags, gated_any=low.any(axis=1))
    return track.with_arrays(x_px=x, y_px=y, flags=flags)


def _leg_columns(track: PoseTrack, side: str) -> list[int]:
    return [track.column(f"{side}_{part}") for part in LEG_PARTS]


def _swap_cost(
    left: np.ndarray, right: np.ndarray, pred_left: np.ndarray, pred_right: np.ndarray
) -> tuple[float, float]:
    """Continuity cost of keeping vs exchanging the labels (mean distance in px)."""
    keep = np.nanmean(np.hstack([np.linalg.norm(left - pred_left, axis=1),
                                 np.linalg.norm(right - pred_right, axis=1)]))
    swap = np.nanmean(np.hstack([np.linalg.norm(left - pred_right, axis=1),
                                 np.linalg.norm(right - pred_left, axis=1)]))
    return float(keep), float(swap)


def repair_leg_swaps(track: PoseTrack, *, decision_ratio: float = 0.7) -> PoseTrack:
    """Undo frames where the pose model exchanged the left and right legs.

    In side view the legs cross twice per stride and BlazePose then often labels
    the near leg as the far one for a few frames. Each frame's legs are matched to
    a constant-velocity prediction from the (already repaired) previous frames; the
    labels are exchanged when that is clearly cheaper (`decision_ratio`). As the
    tracking can lock onto the opposite identity, the final labelling is the one
    that agrees with the model's raw labels in most frames.
    """
    n = track.n_frames
    lcols, rcols = _leg_columns(track, "left"), _leg_columns(track, "right")
    xy = np.stack([track.x_px, track.y_px], axis=2)  # (n, k, 2)
    state = np.zeros(n, dtype=bool)  # True: labels exchanged relative to raw
    fixed = xy.copy()
    history: list[int] = []  # frames with both legs seen, in order
    for i in range(n):
        left, right = xy[i, lcols], xy[i, rcols]
        if np.isnan(left).all() or np.isnan(right).all():
            continue
        if history:
            last = history[-1]
            if len(history) >= 2 and last - history[-2] <= 2:
                prev = history[-2]
                step = (fixed[last] - fixed[prev]) * ((i - last) / (last - prev))
                pred = fixed[last] + step
            else:
                pred = fixed[last]
            keep, swap = _swap_cost(left, right, pred[lcols], pred[rcols])
            if np.isfinite(keep) and np.isfinite(swap) and swap < decision_ratio * keep:
                state[i] = True
        if state[i]:
            fixed[i, lcols], fixed[i, rcols] = right, left
        history.append(i)
    seen = np.array(history, dtype=int)
    if len(seen) and state[seen].mean() > 0.5:
        state[seen] = ~state[seen]
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


def effective_cutoff_hz(cutoff_hz: float, sample_rate_hz: float) -> float:
    """The cut-off actually used: at most 40 % of the sampling rate."""
    return float(min(cutoff_hz, 0.4 * sample_rate_hz))


def lowpass(values: np.ndarray, *, sample_rate_hz: float, cutoff_hz: float) -> np.ndarray:
    """Zero-phase 2nd-order Butterworth low-pass of a 1-D series; NaN runs are kept
    and each finite run is filtered on its own (runs too short to filter stay raw)."""
    b, a = butter(2, effective_cutoff_hz(cutoff_hz, sample_rate_hz) / (sample_rate_hz / 2))
    out = values.copy()
    for start, end in _nan_runs(~np.isnan(values)):
        if end - start > 3 * max(len(a), len(b)):
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
    """Gate → repair swaps → fill gaps → low-pass. Returns the clean track and a report."""
    no_person = np.isnan(track.x_px).all(axis=1)
    gated = gate_by_confidence(track, min_confidence=min_confidence)
    repaired = repair_leg_swaps(gated)
    filled = fill_track_gaps(repaired, max_gap_s=max_gap_s)
    smooth = smooth_track(filled, cutoff_hz=cutoff_hz)
    rate_hz = 1.0 / track.median_frame_interval_s if track.n_frames > 1 else float("nan")
    report = CleaningReport(
        n_frames=track.n_frames,
        frames_without_person=int(no_person.sum()),
        gated_fraction=float((np.isnan(gated.x_px) & ~np.isnan(track.x_px)).mean()),
        swap_repaired_frames=int(repaired.flags["swap_repaired"].sum()),
        gap_filled_frames=int(filled.flags["gap_filled"].sum()),
        unfilled_frames=int(np.isnan(filled.x_px).any(axis=1).sum()),
        cutoff_hz=effective_cutoff_hz(cutoff_hz, rate_hz) if rate_hz == rate_hz else cutoff_hz,
    )
    return smooth, report
