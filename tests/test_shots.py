"""A clip edited from several shots (hard cuts): the cuts are found from the pictures, and
only the shot with the runner longest in view is analysed, saying so. Found on a public
edited clip: one runner at five paces, each filmed separately and cut together, was
analysed as one run (strides spanning the cuts, paces mixed)."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from gait.keypoints import KEYPOINTS
from gait.pipeline import analyze_track
from gait.pose import extract_pose
from gait.posetrack import PoseTrack
from gait.result import AnalysisError, AnalysisSummary
from gait.shots import CUT_EDGE_S, CUT_MIN_CHANGE, scene_cuts
from gait.video import VideoFrame
from synthetic.runner_model import synthesize_run, to_pose_track

FPS = 30.0


def typical_changes(n: int, *, seed: int = 0, level: float = 5.0) -> np.ndarray:
    """Frame-to-frame picture change of a shot with a moving runner: `level` ± 30 %."""
    change = level * np.random.default_rng(seed).uniform(0.7, 1.3, n)
    change[0] = np.inf  # the first frame has no previous picture
    return change


def cut_frames(change: np.ndarray) -> list[int]:
    return np.flatnonzero(scene_cuts(change, np.arange(len(change)) / FPS)).tolist()


def test_a_single_big_change_is_a_cut():
    change = typical_changes(300)
    change[150] = 20.0
    assert cut_frames(change) == [150]


def test_a_cut_spread_over_two_frames_is_one_cut():
    change = typical_changes(300)
    change[150], change[151] = 15.0, 10.0  # measured: a public clip's cut, 15.1 then 10.0
    assert cut_frames(change) == [150]


def test_steady_shots_have_no_cut():
    assert cut_frames(typical_changes(300)) == []
    fast_pan = typical_changes(300, level=25.0)  # a handheld pan: every frame changes a lot
    assert cut_frames(fast_pan) == []


def test_a_change_repeating_every_few_frames_is_no_cut():
    """A clip converted from a lower rate: every third frame a new picture (change ~20),
    the others repeats (change ~0): each new picture is like its neighbours'."""
    change = np.tile([0.1, 0.1, 20.0], 100)
    change[0] = np.inf
    assert cut_frames(change) == []


def test_a_bigger_change_after_dropped_frames_is_no_cut():
    change = typical_changes(300)
    time_s = np.arange(300) / FPS
    time_s[150:] += 3 / FPS  # three frames dropped before frame 150: 4× the motion
    change[150] = 4 * 5.0
    assert np.flatnonzero(scene_cuts(change, time_s)).tolist() == []
    change[150] = 4 * 20.0  # yet a cut there is still found
    assert np.flatnonzero(scene_cuts(change, time_s)).tolist() == [150]


def test_a_small_jump_in_a_still_scene_is_no_cut():
    change = typical_changes(300, level=0.5)  # a small runner on a still background
    change[150] = CUT_MIN_CHANGE - 1.0  # 18× its neighbours, yet small: a compression pulse
    assert cut_frames(change) == []


def test_a_change_at_the_very_start_or_end_is_no_cut():
    change = typical_changes(300)
    edge = int(CUT_EDGE_S * FPS)
    change[edge - 1] = change[-edge] = 30.0  # a webcam's exposure settling; a closing card
    assert cut_frames(change) == []


class ConstantEstimator:
    """A stand-in pose model: the same pose in every frame."""

    def estimate(self, rgb, time_s):
        x = np.arange(len(KEYPOINTS), dtype=float)
        return x, x + 1.0, np.full(len(KEYPOINTS), 0.9)


def frames_with_a_cut(n: int, cut_at: int) -> list[VideoFrame]:
    """Two smoothly patterned scenes, each panning 2 px per frame with a bar moving
    across: the picture changes in every frame, and completely at `cut_at`."""
    y, x = np.mgrid[0:120, 0:400]
    scenes = [np.stack([128 + 100 * np.sin(x / 30 + k + c) * np.cos(y / 25 + 2 * k)
                        for c in range(3)], axis=-1).astype(np.uint8) for k in (0, 2)]
    frames = []
    for i in range(n):
        scene = scenes[int(i >= cut_at)]
        rgb = scene[:, 2 * i:2 * i + 160].copy()
        rgb[40:80, (4 * i) % 150:(4 * i) % 150 + 10] = 255
        frames.append(VideoFrame(index=i, time_s=i / FPS, rgb=rgb))
    return frames


def test_the_pose_track_flags_the_first_frame_of_a_new_shot():
    track = extract_pose(frames_with_a_cut(120, cut_at=70), ConstantEstimator(),
                         n_frames_estimate=120, width_px=160, height_px=120)
    assert np.flatnonzero(track.flags["scene_cut"]).tolist() == [70]


def cut_together(first_s: float, second_s: float) -> tuple[PoseTrack, float]:
    """Two shots of different runs joined by a hard cut: a slower, smaller runner for
    `first_s`, then a faster, larger one for `second_s`; the second run's cadence."""
    slow = synthesize_run(fps=60, duration_s=first_s, speed_mps=3.0, body_height_px=260,
                          seed=3)
    fast = synthesize_run(fps=60, duration_s=second_s, speed_mps=4.5, body_height_px=340,
                          seed=5)
    a, b = to_pose_track(slow, noise_px=1.0, seed=1), to_pose_track(fast, noise_px=1.0, seed=2)
    cut = np.zeros(a.n_frames + b.n_frames, dtype=bool)
    cut[a.n_frames] = True
    joined = a.with_arrays(
        time_s=np.r_[a.time_s, first_s + b.time_s], x_px=np.r_[a.x_px, b.x_px],
        y_px=np.r_[a.y_px, b.y_px], confidence=np.r_[a.confidence, b.confidence],
        flags={"scene_cut": cut})
    return joined, fast.cadence_spm


def far_leg_confidence(report) -> str:
    """The far leg's mean pose confidence, as its quality note gives it."""
    note = next(f.message for f in report.summary.quality if f.id == "far_leg_occluded")
    return re.search(r"pose confidence ([0-9.]+)", note).group(1)


def test_only_the_shot_with_the_runner_longest_in_view_is_analysed():
    track, cadence = cut_together(4.0, 8.0)
    report = analyze_track(track, capture_fps=60.0)
    assert report.strides["start_s"].min() >= 4.0  # nothing from the first shot
    assert report.summary.cadence_spm == pytest.approx(cadence, rel=0.01)
    shot = report.summary.shot
    assert shot.cut_times_s == (4.0,) and shot.n_shots == 2
    assert shot.from_s == 4.0 and shot.to_s == pytest.approx(12.0, abs=0.02)
    notes = {flag.id: flag.message for flag in report.summary.quality}
    assert "cut together from 2 shots" in notes["scene_cuts"]
    assert "4.0–12.0 s" in notes["scene_cuts"]
    assert not report.frames["person_detected"][report.frames["time_s"] < 4.0].any()
    # the first shot's frames are not frames that missed the runner
    assert report.summary.cleaning.n_frames == 480
    assert report.summary.cleaning.frames_without_person == 0
    assert "gaps" not in report.summary.quality_ids
    # nor does the far leg look less certain for them (its confidence is the shot's)
    first = int(np.flatnonzero(track.flags["scene_cut"])[0])
    shot_alone = track.with_arrays(
        time_s=track.time_s[first:], x_px=track.x_px[first:], y_px=track.y_px[first:],
        confidence=track.confidence[first:], flags={})
    assert far_leg_confidence(report) == far_leg_confidence(
        analyze_track(shot_alone, capture_fps=60.0))
    saved = json.loads(json.dumps(report.summary.as_json(), default=float))
    assert AnalysisSummary.from_json(saved).shot == shot


def test_a_longer_shot_without_the_legs_in_view_is_not_the_one_analysed():
    """An app demo cut from a close-up of a face (a person, legs unseen) to the runner."""
    track, cadence = cut_together(8.0, 4.0)
    legs = [track.column(f"{side}_{part}") for side in ("left", "right")
            for part in ("hip", "knee", "ankle", "heel", "toe")]
    confidence = track.confidence.copy()
    confidence[:480, legs] = 0.1  # the first 8 s: the pose model guesses the legs
    report = analyze_track(track.with_arrays(confidence=confidence), capture_fps=60.0)
    assert report.summary.shot.from_s == 8.0
    assert report.summary.cadence_spm == pytest.approx(cadence, rel=0.01)


def test_a_clip_in_one_take_says_nothing_of_shots():
    track, _ = cut_together(4.0, 8.0)
    uncut = track.with_arrays(flags={"scene_cut": np.zeros(track.n_frames, dtype=bool)})
    report = analyze_track(uncut, capture_fps=60.0)
    assert report.summary.shot is None and "scene_cuts" not in report.summary.quality_ids
    assert "shot" not in report.summary.as_json()


def test_a_shot_that_cannot_be_analysed_is_named_in_the_message():
    track, _ = cut_together(8.0, 4.0)
    hidden = ((track.time_s < 8.0) | (track.time_s > 8.5))[:, None]  # runner seen 0.5 s
    track = track.with_arrays(x_px=np.where(hidden, np.nan, track.x_px),
                              y_px=np.where(hidden, np.nan, track.y_px),
                              confidence=np.where(hidden, 0.0, track.confidence))
    with pytest.raises(AnalysisError, match="No runner was found") as raised:
        analyze_track(track, capture_fps=60.0)
    assert "cut together from 2 shots (cuts at 8.0 s)" in str(raised.value)
