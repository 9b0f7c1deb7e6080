"""gait.segments: one clip's pose on several cores gives the serial path's results."""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import threading
from pathlib import Path

import numpy as np
import pytest

from gait.clip_file import VideoError
from gait.keypoints import KEYPOINTS
from gait.limits import ClipLimits
from gait.people import FrameSampler
from gait.pose import extract_pose
from gait.segment_decode import iter_segment, scan_clip_frames
from gait.segments import (
    PoseJob,
    _stitch,
    default_workers,
    extract_pose_parallel,
    plan_segments,
    run_pose_segment,
)
from gait.video import DecodeStats, iter_frames, probe_video
from synthetic.encode import encode_clip

REAL = Path(__file__).resolve().parents[2] / "shared" / "real"


def write_clip(path: Path, *, n_frames: int = 300, fps: int = 30, gop: int = 25,
               times_s: np.ndarray | None = None, hold: int = 1) -> Path:
    """A small H.264 clip (B-frames, a keyframe every `gop` frames) whose red channel
    encodes the picture number; each picture is held `hold` frames (repeated frames)."""

    def picture(i: int) -> np.ndarray:
        rgb = np.full((64, 96, 3), 40, np.uint8)
        rgb[:, :, 0] = (40 + 5 * (i // hold)) % 256
        rgb[:8, : 8 + (i // hold) % 80] = 255
        return rgb

    return encode_clip(path, (picture(i) for i in range(n_frames)), fps=fps,
                       times_s=np.arange(n_frames) / fps if times_s is None else times_s,
                       stream_options={"g": str(gop), "keyint_min": str(gop),
                                       "preset": "ultrafast", "bf": "2", "crf": "10"})


class PictureEstimator:
    """A stand-in pose estimator whose answer depends on the picture only."""

    def estimate(self, rgb, time_s):
        level = float(rgb[..., 0].mean())
        x = np.full(len(KEYPOINTS), level)
        return x, x + 1.0, np.full(len(KEYPOINTS), 0.9)

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def segmented_in_process(path: Path, *, workers: int, min_frames: int, warmup: int = 5):
    """What extract_pose_parallel stitches, computed in this process (no MediaPipe)."""
    info = probe_video(path, min_duration_s=0.0)
    clip = scan_clip_frames(path)
    limits = ClipLimits.from_env()
    bounds = plan_segments(clip.n_frames, workers, min_frames=min_frames, head_start_frames=30)
    assert len(bounds) == workers
    segments = [run_pose_segment(PoseJob(start=a, stop=b, warmup=warmup if k else 0,
                                         info=info, clip=clip, limits=limits),
                                 PictureEstimator())
                for k, (a, b) in enumerate(bounds)]
    return _stitch(segments, info=info, limits=limits)


def serial_reference(path: Path):
    info = probe_video(path, min_duration_s=0.0)
    stats = DecodeStats()
    sampler = FrameSampler(info.n_frames_estimate)
    frames = sampler.pass_through(iter_frames(path, info=info, stats=stats))
    track = extract_pose(frames, PictureEstimator(), n_frames_estimate=info.n_frames_estimate,
                         width_px=info.width_px, height_px=info.height_px)
    return track, stats, sampler


# -- worker count and segment plan -----------------------------------------------------

def test_default_workers_from_environment_or_cpus(monkeypatch):
    assert default_workers({"HIPDRIVE_ANALYSIS_WORKERS": "3"}) == 3
    assert default_workers({"HIPDRIVE_ANALYSIS_WORKERS": "1"}) == 1
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(16)))
    assert default_workers({}) == 4  # capped
    assert default_workers({"HIPDRIVE_ANALYSIS_WORKERS": "lots"}) == 4  # ignored, warned
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    assert default_workers({}) == 2


def test_segment_plan_covers_every_frame_once():
    assert plan_segments(300, 2) == [(0, 300)]  # too short to pay for a process
    for n_frames, workers in [(480, 2), (601, 3), (3600, 4), (1000, 8)]:
        bounds = plan_segments(n_frames, workers)
        assert bounds[0][0] == 0 and bounds[-1][1] == n_frames
        assert all(a[1] == b[0] for a, b in zip(bounds[:-1], bounds[1:], strict=True))
        assert 2 <= len(bounds) <= workers
        assert all(stop - start >= 200 for start, stop in bounds)
        # the first segment (run by the caller) is longer: the others start late
        assert bounds[0][1] - bounds[0][0] >= bounds[1][1] - bounds[1][0]


# -- decoding segments -------------------------------------------------------------------

@pytest.mark.parametrize("vfr", [False, True])
def test_segments_decode_exactly_the_serial_frames(tmp_path, vfr):
    times = np.cumsum(np.tile([1 / 30, 1 / 60, 0.05], 100)) if vfr else None
    path = write_clip(tmp_path / "clip.mp4", times_s=times)
    info = probe_video(path)
    serial = list(iter_frames(path, info=info))
    clip = scan_clip_frames(path)
    limits = ClipLimits.from_env()
    got, warm = [], []
    for start, stop in [(0, 97), (97, 180), (180, 300)]:  # starts off the keyframes
        for frame, _, is_warmup in iter_segment(path, info=info, clip=clip, start=start,
                                                stop=stop, warmup=10, limits=limits,
                                                stats=DecodeStats()):
            (warm if is_warmup else got).append(frame)
    assert [f.index for f in got] == list(range(300))
    assert [f.time_s for f in got] == [f.time_s for f in serial]
    assert all(np.array_equal(a.rgb, b.rgb) for a, b in zip(got, serial, strict=True))
    assert [f.index for f in warm] == [*range(87, 97), *range(170, 180)]


def test_stitched_track_flags_and_samples_equal_serial(tmp_path):
    path = write_clip(tmp_path / "held.mp4", n_frames=450, hold=3)  # each picture 3×
    track, stats, sampler = segmented_in_process(path, workers=3, min_frames=100)
    ref_track, ref_stats, ref_sampler = serial_reference(path)
    np.testing.assert_array_equal(track.time_s, ref_track.time_s)
    np.testing.assert_array_equal(track.x_px, ref_track.x_px)
    np.testing.assert_array_equal(track.confidence, ref_track.confidence)
    repeated = track.flags["repeated_frame"]
    assert repeated.sum() == 300  # two of every three frames repeat, seams included
    np.testing.assert_array_equal(repeated, ref_track.flags["repeated_frame"])
    # the picture jumps where its red level wraps from 255 to 4 (pictures 44 and 95) and
    # where its bar shrinks back to 8 px (picture 80): a hard cut, found alike (a wrap at
    # picture 146 is within gait.shots.CUT_EDGE_S of the end: not counted)
    assert np.flatnonzero(track.flags["scene_cut"]).tolist() == [132, 240, 285]
    np.testing.assert_array_equal(track.flags["scene_cut"], ref_track.flags["scene_cut"])
    assert stats == ref_stats
    assert sorted(sampler.kept) == sorted(ref_sampler.kept) and len(sampler.kept) == 6
    for index, (step, rgb) in ref_sampler.kept.items():
        assert sampler.kept[index][0] == step
        np.testing.assert_array_equal(sampler.kept[index][1], rgb)


def test_damaged_packets_are_counted_once(tmp_path):
    path = write_clip(tmp_path / "clip.mp4", n_frames=450)
    data = bytearray(path.read_bytes())
    for start in (data.find(b"mdat") + len(data) // 4, data.find(b"mdat") + 2 * len(data) // 3):
        for k in range(start, start + 600):
            data[k] = (data[k] * 7 + 13) % 256
    path.write_bytes(bytes(data))
    track, stats, _ = segmented_in_process(path, workers=3, min_frames=100)
    ref_track, ref_stats, _ = serial_reference(path)
    assert ref_stats.damaged_packets + ref_stats.corrupt_frames > 0  # the damage shows
    assert (stats.damaged_packets, stats.stopped_early) == (ref_stats.damaged_packets,
                                                            ref_stats.stopped_early)
    assert stats.frames == ref_stats.frames == track.n_frames
    np.testing.assert_array_equal(track.time_s, ref_track.time_s)


def test_short_clips_and_one_worker_stay_serial(tmp_path):
    path = write_clip(tmp_path / "clip.mp4", n_frames=300)
    info = probe_video(path)
    assert extract_pose_parallel(path, info=info, workers=2) is None  # 150 frames each
    long_path = write_clip(tmp_path / "long.mp4", n_frames=900)
    before = set(threading.enumerate())
    assert extract_pose_parallel(long_path, info=probe_video(long_path), workers=1) is None
    assert segment_threads(before) == []


# -- with MediaPipe and worker processes --------------------------------------------------

FRAME_S = 1 / 60
# Per-stride angles of the parallel run must agree with the serial run within the pose
# noise. Why there is any difference: MediaPipe tracks from frame to frame, so after a
# seam the worker's landmarks follow a slightly different (equally valid) path. The
# rendered runner repeats the same stride exactly, so the serial run's own
# stride-to-stride SD of a metric is pure pose noise: ~0.2–0.3° for peak thigh angles,
# ~3° for the knee at foot strike (a one-frame value). Tolerance per metric: that SD,
# at least ANGLE_FLOOR_DEG (5× the thigh noise; differences that matter are ~5°).
# Measured differences with BlazePose full: ≤ 0.6° (peak thigh), ≤ 1.7° (knee at strike).
# An angle read at the foot strike also moves with the strike, which may move by up to a
# frame (asserted): its tolerance adds the joint's own change over that shift. With
# BlazePose heavy (the default) the strike tolerance is 4.5 noise SDs of the whole clip,
# so the seam's small change of the noise estimate moves strikes by 0–1 frame everywhere
# (full: 0): the knee, flexing ~5° a frame at landing, then read up to 5.6° apart on one
# of 20 strides while peak thigh angles stayed within 0.2°.
ANGLE_FLOOR_DEG = 1.5
ANGLES = ["peak_thigh_extension_deg", "peak_thigh_flexion_deg", "peak_hip_extension_deg",
          "thigh_at_strike_deg", "knee_at_strike_deg"]
AT_STRIKE = {"thigh_at_strike_deg": "thigh", "knee_at_strike_deg": "knee"}  # the joint


def change_over_strike_shift(report, strides, shifted_s: np.ndarray, joint: str) -> np.ndarray:
    """Per stride: how far `joint`'s angle moves (deg) over the strike's shift, from its
    rate of change at the strike in `report`'s frames."""
    t = report.frames["time_s"].to_numpy()
    change = []
    for row, dt in zip(strides.itertuples(index=False), shifted_s, strict=True):
        rate = np.gradient(report.frames[f"{row.side}_{joint}_deg"].to_numpy(), t)
        change.append(abs(np.interp(row.start_s, t, rate)) * dt)
    return np.array(change)


def no_segments(*args, **kwargs):
    raise AssertionError("workers=1 must not run segments on threads")


def segment_threads(besides=frozenset()) -> list[str]:
    """Names of the pose segment threads (`gait.segment_workers`) alive now, but for those
    in `besides` (threads that were running before: an app test's background job may
    still be analysing when a later test starts)."""
    return [t.name for t in threading.enumerate()
            if t.name.startswith("hipdrive-pose-") and t not in besides]


@pytest.fixture(scope="module")
def clip_8s(tmp_path_factory):
    from synthetic.render_runner import make_clip

    path, _ = make_clip(tmp_path_factory.mktemp("seg"), fps=60, seconds=8.0, name="run8")
    return path


@pytest.fixture(scope="module")
def serial_and_parallel(clip_8s):
    from gait.pipeline import analyze_video

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("gait.segments.run_segments", no_segments)  # workers=1: the serial path
        serial = analyze_video(clip_8s, workers=1)
    calls = []
    before = set(threading.enumerate())
    parallel = analyze_video(clip_8s, workers=2, progress=lambda *a: calls.append(a))
    return serial, parallel, calls, segment_threads(before)


def assert_same_analysis(serial, parallel, *, frame_s: float) -> None:
    np.testing.assert_array_equal(parallel.frames["time_s"], serial.frames["time_s"])
    a, b = serial.strides, parallel.strides
    assert len(a) == len(b) > 0
    assert list(a["side"]) == list(b["side"])
    np.testing.assert_allclose(b["start_s"], a["start_s"], atol=frame_s + 1e-6)
    np.testing.assert_allclose(b["end_s"], a["end_s"], atol=frame_s + 1e-6)
    shifted_s = np.abs(b["start_s"] - a["start_s"]).to_numpy()
    for column in ANGLES:
        noise_deg = float(a.groupby("side")[column].std().max())
        tolerance = np.full(len(a), max(ANGLE_FLOOR_DEG, noise_deg))
        if column in AT_STRIKE:
            tolerance += change_over_strike_shift(serial, a, shifted_s, AT_STRIKE[column])
        difference = np.abs(b[column] - a[column]).to_numpy()
        assert (difference <= tolerance).all(), (column, difference, tolerance)
    flags = [(q.id, q.severity) for q in serial.summary.quality]
    assert [(q.id, q.severity) for q in parallel.summary.quality] == flags
    assert parallel.summary.video == serial.summary.video  # decode stats, 2nd person


def test_parallel_analysis_matches_serial(serial_and_parallel):
    serial, parallel, calls, threads_left = serial_and_parallel
    assert serial.summary.video.other_people.frames_checked == 6
    for report in (serial, parallel):  # the clip as read, for the renderer (no re-probe)
        assert report.video_info.capture_fps == report.summary.capture_fps
        assert report.video_info.path.name == report.summary.video.file
    assert_same_analysis(serial, parallel, frame_s=FRAME_S)
    thigh_diff_deg = parallel.frames["near_thigh_deg"] - serial.frames["near_thigh_deg"]
    assert np.mean(np.abs(thigh_diff_deg)) < 0.5
    pose = [fraction for stage, fraction, _ in calls if stage == "pose"]
    assert pose[0] == 0.0 and pose[-1] == 1.0 and pose == sorted(pose) and len(pose) > 3
    assert threads_left == []


def test_video_error_in_a_worker_reaches_the_caller(clip_8s):
    limits = ClipLimits(max_duration_s=6.0)  # as if the metadata had lied: found decoding
    before = set(threading.enumerate())
    with pytest.raises(VideoError) as serial_error:  # only the worker's segment is too late
        list(iter_frames(clip_8s, info=probe_video(clip_8s), limits=limits))
    with pytest.raises(VideoError) as parallel_error:
        extract_pose_parallel(clip_8s, info=probe_video(clip_8s), workers=2, limits=limits)
    assert str(parallel_error.value) == str(serial_error.value)
    assert "6 s long" in str(parallel_error.value)
    assert segment_threads(before) == []


class JobCancelled(Exception):
    """As ui.jobs raises from the progress callback."""


@pytest.mark.parametrize("stop_with", [JobCancelled, KeyboardInterrupt])
def test_a_raising_progress_callback_stops_the_workers(clip_8s, stop_with):
    seen = []
    before = set(threading.enumerate())

    def cancel(stage, fraction, eta_s):
        seen.extend(segment_threads(before))
        if fraction > 0.1:
            raise stop_with()

    with pytest.raises(stop_with):
        extract_pose_parallel(clip_8s, info=probe_video(clip_8s), workers=2, progress=cancel)
    assert "hipdrive-pose-1" in seen  # the other segment was running when cancelled
    assert segment_threads(before) == []  # and has stopped before the call returned


@pytest.mark.skipif(not REAL.is_dir(), reason="real clips not available")
def test_real_clip_parallel_matches_serial(monkeypatch):
    """Real footage is noisier at a seam than the rendered runner: the track after it,
    and the clip-wide cleaning and event thresholds with it, move by pose noise, so
    a strike may move by more than a frame where the foot's landing is ambiguous.
    Checked: the same strides, nearly all strikes within a frame, and the same
    accuracy against the hand labels."""
    import json

    from gait.pipeline import analyze_video
    from tests.test_real_tracks import score_against_labels

    clip = REAL / "zz_treadmill_male_side.mp4"  # 12 s at 30 fps: split it anyway
    monkeypatch.setattr("gait.segments.MIN_SEGMENT_FRAMES", 120)
    serial = analyze_video(clip, workers=1)
    parallel = analyze_video(clip, workers=2)
    np.testing.assert_array_equal(parallel.frames["time_s"], serial.frames["time_s"])
    a, b = serial.strides, parallel.strides
    assert list(a["side"]) == list(b["side"]) and len(a) > 20
    moved_frames = np.abs(b["start_s"] - a["start_s"]).to_numpy() * 30
    assert np.mean(moved_frames <= 1.0 + 1e-6) >= 0.85 and moved_frames.max() <= 3.0
    for column in ANGLES:
        noise_deg = float(a.groupby("side")[column].std().max())
        # a peak next to frames where the leg was hidden is unknown (NaN); which strides
        # those are may move with the pose noise, the figures seen in both must not
        assert abs(int(b[column].isna().sum()) - int(a[column].isna().sum())) <= 2, column
        assert np.nanmedian(np.abs(b[column] - a[column])) <= max(ANGLE_FLOOR_DEG, noise_deg)
    labels = json.loads((REAL / "zz_treadmill_male_side.events.json").read_text())
    score_serial, score_parallel = score_against_labels(a, labels), score_against_labels(b, labels)
    for foot in ("near", "far"):
        # of ~30 labelled strides per foot; measured: 13 vs 15 found on one foot
        assert score_parallel[foot]["found"] >= score_serial[foot]["found"] - 3, (
            score_serial, score_parallel)
        assert (score_parallel[foot]["strike_frames"]
                <= score_serial[foot]["strike_frames"] + 0.5), (score_serial, score_parallel)
    # decode stats and the second-person check are the same; the true vertical's fit
    # rests on edges outside the runner's box, which moves with the pose noise
    assert (dataclasses.replace(parallel.summary.video, true_vertical=None)
            == dataclasses.replace(serial.summary.video, true_vertical=None))
    assert parallel.summary.geometry.levelled_by_deg == pytest.approx(
        serial.summary.geometry.levelled_by_deg, abs=0.1)


def _parallel_inside_a_daemon(path: str) -> bool:
    return extract_pose_parallel(path, info=probe_video(path), workers=2) is not None


def test_inside_a_daemonic_pool_worker_it_still_runs_in_parallel(tmp_path):
    """multiprocessing.Pool's workers are daemonic and may not start processes; the
    segments are threads, so they run there too."""
    path = write_clip(tmp_path / "long.mp4", n_frames=900)
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        assert pool.apply(_parallel_inside_a_daemon, (str(path),))
