"""Clips HipDrive is not meant for get a message saying what to do: a runner filmed from
the front or back, a clip whose every stride is left out for its angles, steps too slow
for running (found on public clips: a runner coming toward the camera on a road was
called slow motion, one on a pitch got a result with 0 strides, people walking about an
office were called slow motion)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from gait.keypoints import KEYPOINTS
from gait.kinematics import FACING_CAMERA_SHOULDER_SPREAD, detect_geometry
from gait.pipeline import _raise_if_slow_motion, analyze_track
from gait.posetrack import PoseTrack
from gait.reliability import GIVE_CAPTURE_RATE
from gait.result import DEFAULT_CUTOFF_HZ, AnalysisError, SlowMotionError
from gait.tracks import clean_track
from synthetic.runner_model import synthesize_run, to_pose_track

REAL_TRACKS = Path(__file__).parent / "data" / "real_tracks"


@pytest.fixture(scope="module")
def side_view_track() -> PoseTrack:
    run = synthesize_run(fps=60, duration_s=8, seed=4)
    return to_pose_track(run, noise_px=1.0, seed=2)


def seen_from_the_front(track: PoseTrack) -> PoseTrack:
    """The same runner turned to face the camera: fore-aft motion goes into depth, so
    each point's x is the hips' centre plus its side's half body width (shoulders 0.26,
    hips 0.19, legs 0.10 of height; Drillis & Contini), y unchanged."""
    x = track.x_px.copy()
    hips = np.nanmean([track.xy("left_hip")[:, 0], track.xy("right_hip")[:, 0]], axis=0)
    leg_px = np.nanmedian(np.hypot(*(track.xy("left_hip") - track.xy("left_ankle")).T))
    height_px = leg_px / 0.49
    half_width = {"shoulder": 0.13, "elbow": 0.16, "wrist": 0.16, "hip": 0.095,
                  "knee": 0.05, "ankle": 0.05, "heel": 0.05, "toe": 0.05, "ear": 0.04}
    for k, name in enumerate(KEYPOINTS):
        side, _, part = name.partition("_")
        if part in half_width:
            sign = -1.0 if side == "left" else 1.0
            x[:, k] = hips + sign * half_width[part] * height_px
        else:  # the nose: on the midline
            x[:, k] = hips
    return track.with_arrays(x_px=x)


def shoulder_spread(track: PoseTrack) -> float:
    clean, _ = clean_track(track, cutoff_hz=DEFAULT_CUTOFF_HZ)
    return detect_geometry(clean).shoulder_spread_leg_lengths


@pytest.mark.parametrize("name", sorted(p.name for p in REAL_TRACKS.glob("*.npz")))
def test_real_side_views_are_not_taken_for_a_front_view(name):
    """Every recorded real side-view track (treadmill, small runner on a track, mirrored,
    both pose models) shows the shoulders well under the limit apart."""
    track, _ = PoseTrack.load_npz(REAL_TRACKS / name)
    assert shoulder_spread(track) < FACING_CAMERA_SHOULDER_SPREAD / 2


def test_a_runner_seen_from_the_front_is_refused_with_what_to_do(side_view_track):
    assert shoulder_spread(side_view_track) < FACING_CAMERA_SHOULDER_SPREAD / 2
    front = seen_from_the_front(side_view_track)
    assert shoulder_spread(front) > FACING_CAMERA_SHOULDER_SPREAD
    with pytest.raises(AnalysisError) as refused:
        analyze_track(front, capture_fps=60.0)
    message = str(refused.value)
    assert "toward or away from the camera" in message and "film from the side" in message
    assert analyze_track(side_view_track, capture_fps=60.0).strides.shape[0] > 0


def test_strides_all_left_out_for_their_angles_give_a_message_not_an_empty_result(
        side_view_track):
    """Both thighs pointing straight back in every frame (a pose model that lost the
    legs): every stride is found from the feet, and every one is left out for its
    impossible thigh angle."""
    x, y = side_view_track.x_px.copy(), side_view_track.y_px.copy()
    for side in ("left", "right"):
        knee, hip = KEYPOINTS.index(f"{side}_knee"), KEYPOINTS.index(f"{side}_hip")
        x[:, knee], y[:, knee] = x[:, hip] - 60.0, y[:, hip] + 5.0
    with pytest.raises(AnalysisError, match=r"^\d+ stride\(s\) were found, but on none"):
        analyze_track(side_view_track.with_arrays(x_px=x, y_px=y), capture_fps=60.0)


def test_steps_too_slow_for_running_name_both_causes():
    """No stride built and the same foot's strikes ~3 s apart: slow motion, or nobody
    running (people walking about an office read as 3× slowed)."""
    strikes = pd.DataFrame({"side": ["left", "right"] * 3, "event": "foot_strike",
                            "time_s": [0.0, 1.05, 2.1, 3.15, 4.2, 5.25]})
    with pytest.raises(SlowMotionError) as raised:
        _raise_if_slow_motion(strikes)
    message = str(raised.value)
    assert message.startswith("No complete stride was found, and the steps look about 3×")
    assert "If nobody runs in the clip" in message and message.endswith(
        "If it is a slow-motion clip, g" + GIVE_CAPTURE_RATE[1:])
    _raise_if_slow_motion(strikes.assign(time_s=strikes["time_s"] / 3))  # running: silent


def test_a_hidden_leg_is_blamed_on_a_treadmill_console_only_on_a_treadmill():
    """Seen on a real overground clip: the caveat named a treadmill's console."""
    from gait.quality import gaps_message
    from gait.summary import CleaningReport

    cleaning = CleaningReport(n_frames=316, frames_without_person=0, gated_fraction=0.1,
                              swap_repaired_frames=0, gap_filled_frames=20,
                              unfilled_frames=73, cutoff_hz=6.0)
    assert "treadmill's console" in gaps_message(cleaning, treadmill=True)
    overground = gaps_message(cleaning, treadmill=False)
    assert "treadmill" not in overground and "73 of 316 frames" in overground
