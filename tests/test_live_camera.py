"""The live camera stage on a rendered runner clip played frame by frame as a camera
would deliver it: skeleton drawn, live figures, and "record the last 15 s" turning
into a normal full analysis."""

from __future__ import annotations

import av
import numpy as np
import pytest

from gait.live import LIVE_POSE_MODEL
from gait.live_camera import LiveCamera
from gait.pipeline import analyze_video
from gait.result import AnalysisOptions
from gait.video import iter_frames, probe_video
from synthetic.render_runner import make_clip

# as the Live page builds them: live frames and the recording's analysis use the live
# pose model, so the two agree
OPTIONS = AnalysisOptions(speed_mps=3.5, treadmill=True, pose_model=LIVE_POSE_MODEL)


@pytest.fixture(scope="module")
def streamed(tmp_path_factory):
    folder = tmp_path_factory.mktemp("camera")
    clip, _run = make_clip(folder, fps=30, seconds=22.0, seed=12)
    camera = LiveCamera(options=OPTIONS, record_s=15.0)
    changed, figures_seen = [], []
    for frame in iter_frames(clip):
        drawn = camera.process(frame.rgb, frame.time_s)
        assert drawn.shape == frame.rgb.shape
        changed.append(float(np.mean(np.any(drawn != frame.rgb, axis=2))))
        if frame.index % 15 == 14:
            figures_seen.append(camera.figures())
    recording = camera.write_recording(folder / "last15.mp4")
    yield camera, changed, figures_seen, recording
    camera.close()


def test_the_skeleton_is_drawn_on_every_frame_with_a_runner(streamed):
    _camera, changed, _figures, _recording = streamed
    assert np.mean(np.array(changed) > 0.002) > 0.95  # ≥ 0.2 % of pixels are skeleton


def test_live_figures_appear_as_strides_happen(streamed):
    camera, _changed, figures, _recording = streamed
    counts = [f.n_strides for f in figures]
    assert counts == sorted(counts) and counts[-1] >= 40
    last = figures[-1]
    assert 150 < last.cadence_spm < 200 and last.last_stride is not None
    assert last.reference.speed_mps_used == pytest.approx(3.5)
    stats = camera.stats()
    assert stats["frames"] == len(_changed) and stats["latency_ms_median"] > 0


def test_recording_the_last_15_s_gives_a_normal_full_analysis(streamed):
    _camera, _changed, figures, recording = streamed
    info = probe_video(recording)
    assert info.duration_s == pytest.approx(15.0, abs=0.1)
    assert info.capture_fps == pytest.approx(30.0, rel=0.02)
    with av.open(str(recording)) as container:
        assert container.streams.video[0].codec_context.name == "h264"
    report = analyze_video(recording, options=OPTIONS)
    assert len(report.strides) >= 30
    assert report.summary.cadence_spm == pytest.approx(figures[-1].cadence_spm, rel=0.02)
    near = report.summary.near_side
    assert near == figures[-1].near_side
    full = report.summary.per_side[near].metrics["peak_thigh_extension_deg"].median
    live = figures[-1].strides
    live_median = live[live["side"] == near]["peak_thigh_extension_deg"].median()
    assert full == pytest.approx(live_median, abs=1.0)


def test_nothing_recorded_yet_writes_nothing(tmp_path):
    assert LiveCamera().write_recording(tmp_path / "x.mp4") is None
    assert not (tmp_path / "x.mp4").exists()


class _NobodyEstimator:
    """A stand-in pose model that finds nobody (the caps do not depend on the pose)."""

    def estimate(self, rgb, time_s):
        from gait.pose import no_person

        return no_person()

    def close(self):
        pass


def test_frames_whose_time_does_not_advance_are_dropped():
    camera = LiveCamera(estimator_factory=_NobodyEstimator)
    noise = np.random.default_rng(0).integers(0, 255, (120, 160, 3), dtype=np.uint8)
    for time_s in (0.0, 0.033, 0.033, 0.02, 0.066) + (0.066,) * 500:
        camera.process(noise, time_s)
    stats = camera.stats()
    assert stats["frames"] == 3 and stats["frames_dropped"] == 502
    assert camera.analyzer.window().n_frames == 3


def test_a_change_of_camera_resolution_starts_the_window_again():
    camera = LiveCamera(estimator_factory=_NobodyEstimator)
    rng = np.random.default_rng(0)
    for k in range(3):
        camera.process(rng.integers(0, 255, (120, 160, 3), dtype=np.uint8), k / 30)
    for k in range(3, 5):
        camera.process(rng.integers(0, 255, (240, 320, 3), dtype=np.uint8), k / 30)
    assert (camera.analyzer.width_px, camera.analyzer.height_px) == (320, 240)
    assert camera.analyzer.window().n_frames == 2 and camera.stats()["recorded_s"] > 0


def test_the_recording_is_capped_by_frames_and_bytes(monkeypatch):
    import gait.live_camera as live_camera

    monkeypatch.setattr(live_camera, "MAX_RECORD_FRAMES", 50)
    camera = LiveCamera(estimator_factory=_NobodyEstimator, record_s=1e9)
    noise = np.random.default_rng(1).integers(0, 255, (120, 160, 3), dtype=np.uint8)
    for i in range(120):
        camera.process(noise, i / 30)
    assert len(camera._recording) == 50
    one_frame_bytes = camera.stats()["recorded_bytes"] / 50
    monkeypatch.setattr(live_camera, "MAX_RECORD_BYTES", int(10.5 * one_frame_bytes))
    camera.process(noise, 200.0)
    assert 9 <= len(camera._recording) <= 10
    assert camera.stats()["recorded_bytes"] <= 10.5 * one_frame_bytes
    assert camera.stats()["recorded_bytes"] == sum(len(j) for _, j in camera._recording)
