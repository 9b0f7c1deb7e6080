"""Hard cuts between shots, and the one shot analysed.

A clip edited from several shots (a social-media edit: the same runner at five paces,
each filmed separately) cannot be followed across a cut: the pose jumps, and a stride
"spanning" the cut is two half strides of different runs. HipDrive finds the cuts from
the pictures (`scene_cuts`, flag `scene_cut` on the first frame of each new shot) and
analyses only the shot in which the runner is longest in view (`analysed_shot`); the
other shots' keypoints are blanked (`keep_shot`), as if the runner were out of view.

Picture change (gait.pose.picture_change): the mean absolute difference, in grey levels
(0–255), of a frame's 1/8-size thumbnail from the previous frame's. A cut is one frame
whose change is at least CUT_MIN_CHANGE and CUT_CHANGE_RATIO × the 90th percentile of
the change over the CUT_WINDOW_FRAMES frames either side (its immediate neighbours left
out: a cut may spill into the next frame). Measured on 33 clips (7 real runners, 16
public clips, 10 rendered): the four cuts of a public edited clip scored 2.1–4.6 and a
public app demo's cut 14.6; no frame of any other clip scored over 1.6 with a change of
8 or more (handheld pans, zooms, a travelling camera, compression pulses, frames
repeated 3×).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from gait.keypoints import SIDES
from gait.posetrack import PoseTrack
from gait.summary import ShotAnalysed

CUT_MIN_CHANGE = 10.0  # grey levels; a cut in the tested clips changed 15–52
CUT_CHANGE_RATIO = 1.8  # × the neighbours' 90th percentile: cuts ≥ 2.1, others ≤ 1.6
CUT_WINDOW_FRAMES = 15
# A clip's first and last moments often change fast without a cut (a webcam's exposure
# settling, a closing card): a cut nearer the ends than this is not counted.
CUT_EDGE_S = 0.5
# A frame shows the runner's legs when this many of the hips and ankles are this sure.
LEG_POINTS_SEEN = 2
LEG_CONFIDENCE = 0.5


@dataclass(frozen=True)
class Shot:
    """Frames [start, stop) of one continuous shot; `cut_frames`: the first frame of each
    shot after the first, over the whole clip."""

    start: int
    stop: int
    cut_frames: tuple[int, ...]


def scene_cuts(change: np.ndarray, time_s: np.ndarray) -> np.ndarray:
    """True on the first frame of each new shot (see the module docstring). `change` may
    hold inf or NaN where there is no previous picture; those frames are never cuts. A
    frame after a longer interval than usual (frames dropped) has its change divided by
    that interval in frames."""
    n = len(change)
    cuts = np.zeros(n, dtype=bool)
    if n < 2:
        return cuts
    # after frames the phone dropped (a longer interval) the picture changes more
    intervals = np.diff(time_s, prepend=np.nan) / np.median(np.diff(time_s))
    change = np.where(np.isfinite(change), change, np.nan) / np.fmax(intervals, 1.0)
    for i in np.flatnonzero(change >= CUT_MIN_CHANGE):
        if time_s[i] - time_s[0] < CUT_EDGE_S or time_s[-1] - time_s[i] < CUT_EDGE_S:
            continue
        window = np.r_[change[max(0, i - CUT_WINDOW_FRAMES):max(0, i - 1)],
                       change[i + 2:i + CUT_WINDOW_FRAMES + 1]]
        window = window[np.isfinite(window)]
        if len(window) >= 5:
            cuts[i] = change[i] >= CUT_CHANGE_RATIO * np.percentile(window, 90)
    cuts[1:] &= ~cuts[:-1]  # a cut spread over two frames is one cut
    return cuts


def analysed_shot(track: PoseTrack) -> Shot | None:
    """The shot in which the runner's legs are seen in the most frames (at least
    LEG_POINTS_SEEN of the hips and ankles with confidence ≥ LEG_CONFIDENCE: a close-up
    of a face is a person, not a runner in view); None when the clip has no cut (flag
    `scene_cut` absent or all False)."""
    flagged = track.flags.get("scene_cut")
    if flagged is None or not np.any(flagged):
        return None
    cut_frames = tuple(int(i) for i in np.flatnonzero(flagged))
    bounds = [0, *cut_frames, track.n_frames]
    legs = [track.column(f"{side}_{part}") for side in SIDES for part in ("hip", "ankle")]
    seen = (np.nan_to_num(track.confidence[:, legs]) >= LEG_CONFIDENCE).sum(axis=1) \
        >= LEG_POINTS_SEEN
    start, stop = max(zip(bounds[:-1], bounds[1:], strict=True),
                      key=lambda shot: int(seen[shot[0]:shot[1]].sum()))
    return Shot(start=start, stop=stop, cut_frames=cut_frames)


def keep_shot(track: PoseTrack, shot: Shot) -> PoseTrack:
    """The track with every keypoint outside `shot` blanked (NaN, confidence 0), those
    frames flagged `outside_shot` (cleaning does not count them as frames missing the
    runner)."""
    outside = np.ones(track.n_frames, dtype=bool)
    outside[shot.start:shot.stop] = False
    x, y, conf = track.x_px.copy(), track.y_px.copy(), track.confidence.copy()
    x[outside], y[outside], conf[outside] = np.nan, np.nan, 0.0
    return track.with_arrays(x_px=x, y_px=y, confidence=conf,
                             flags=dict(track.flags, outside_shot=outside))


def frames_in_shot(track: PoseTrack) -> np.ndarray:
    """Per frame, True unless `keep_shot` flagged it as outside the shot analysed (every
    frame of a clip in one take)."""
    return ~track.flags.get("outside_shot", np.zeros(track.n_frames, dtype=bool))


def shot_facts(raw: PoseTrack, shot: Shot) -> ShotAnalysed:
    """Where the shot lies in the clip (s from its first frame), as summary.json keeps it."""
    frame_s = raw.median_frame_interval_s if raw.n_frames > 1 else 0.0
    return ShotAnalysed(cut_times_s=tuple(round(float(raw.time_s[i]), 3)
                                          for i in shot.cut_frames),
                        from_s=round(float(raw.time_s[shot.start]), 3),
                        to_s=round(float(raw.time_s[shot.stop - 1] + frame_s), 3))


def slowed_shot(shot: ShotAnalysed | None, slowdown: float) -> ShotAnalysed | None:
    """The shot's times in a clip analysed `slowdown` times faster than stored."""
    return replace(shot, cut_times_s=tuple(round(t / slowdown, 3) for t in shot.cut_times_s),
                   from_s=round(shot.from_s / slowdown, 3),
                   to_s=round(shot.to_s / slowdown, 3)) if shot else None


def shot_note(shot: ShotAnalysed) -> str:
    """Which part of a clip with cuts was analysed, and why (gait.shots)."""
    cuts = ", ".join(f"{t:.1f}" for t in shot.cut_times_s)
    return (f"The clip is cut together from {shot.n_shots} shots (cuts at {cuts} s). A stride "
            "cannot be followed across a cut and the shots may differ in pace, so HipDrive "
            "analysed only the shot with the runner longest in view: "
            f"{shot.from_s:.1f}–{shot.to_s:.1f} s ({shot.duration_s:.1f} s). To analyse "
            "another shot, trim the clip to it; best, film 10–20 s of running in one take.")
