"""gait.pose: the real MediaPipe model on a blank and a real picture, and extract_pose."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from gait.keypoints import KEYPOINTS
from gait.pose import MediaPipePose, detection_rate, extract_pose, no_person
from gait.posetrack import PoseTrack
from gait.video import VideoFrame

K = len(KEYPOINTS)


class FakePose:
    """Puts keypoint j at (10 j + frame time, 5 j); nobody in frames listed in `empty`."""

    def __init__(self, *, empty: tuple[int, ...] = (), delay_s: float = 0.0) -> None:
        self.empty, self.delay_s, self.calls, self.closed = empty, delay_s, 0, False

    def estimate(self, rgb, time_s):
        self.calls += 1
        time.sleep(self.delay_s)
        if self.calls - 1 in self.empty:
            return no_person()
        return 10.0 * np.arange(K) + time_s, 5.0 * np.arange(K), np.full(K, 0.9)

    def close(self):
        self.closed = True

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _frames(n: int, *, width_px: int = 64, height_px: int = 48, dt_s: float = 0.04):
    for i in range(n):
        yield VideoFrame(index=i, time_s=i * dt_s, rgb=np.zeros((height_px, width_px, 3), np.uint8))


def _grace_hopper() -> np.ndarray:
    """A real photograph of a person that ships with matplotlib (a mediapipe dependency)."""
    cbook = pytest.importorskip("matplotlib.cbook")
    try:
        path = Path(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))
    except (OSError, ValueError):
        pytest.skip("matplotlib sample data not installed")
    return cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)


def test_importing_gait_pose_does_not_import_mediapipe():
    code = "import sys, gait.pose; print('mediapipe' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).parents[1])
    assert out.stdout.strip() == "False"


def test_mediapipe_is_loaded_without_matplotlib_which_still_imports_afterwards():
    code = ("import sys\n"
            "from gait.pose import MediaPipePose\n"
            "with MediaPipePose() as estimator: pass\n"
            "print('matplotlib' in sys.modules)\n"
            "import matplotlib.pyplot as plt\n"
            "print(callable(plt.figure))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).parents[1])
    assert out.stdout.split() == ["False", "True"]


def test_mediapipe_on_a_blank_frame_finds_nobody():
    with MediaPipePose() as estimator:
        x_px, y_px, confidence = estimator.estimate(np.zeros((240, 320, 3), np.uint8), 0.0)
    assert x_px.shape == y_px.shape == confidence.shape == (K,)
    assert np.isnan(x_px).all() and np.isnan(y_px).all()
    assert (confidence == 0).all()


def test_mediapipe_finds_a_person_in_pixels_of_a_non_square_frame():
    photo = _grace_hopper()  # 512×600; her nose is near (270, 225)
    canvas = np.full((700, 1000, 3), 90, np.uint8)
    canvas[50:650, 200:712] = photo
    with MediaPipePose() as estimator:
        x_px, y_px, confidence = estimator.estimate(canvas, 0.0)
    nose = KEYPOINTS.index("nose")
    assert abs(x_px[nose] - 470) < 30 and abs(y_px[nose] - 275) < 30
    assert confidence[nose] > 0.8
    shoulders = [KEYPOINTS.index("left_shoulder"), KEYPOINTS.index("right_shoulder")]
    assert (y_px[shoulders] > y_px[nose]).all()  # y grows downwards
    # she faces the camera: her left shoulder is on the image's right
    assert x_px[shoulders[0]] > x_px[nose] > x_px[shoulders[1]]
    assert ((confidence >= 0) & (confidence <= 1)).all()


def test_closed_estimator_refuses_frames():
    estimator = MediaPipePose()
    with estimator:
        pass
    with pytest.raises(RuntimeError, match="closed"):
        estimator.estimate(np.zeros((48, 64, 3), np.uint8), 0.0)
    estimator.close()  # closing twice is harmless


def test_extract_pose_builds_a_track_with_frame_times():
    estimator = FakePose(empty=(2, 3))
    calls = []
    track = extract_pose(_frames(10), estimator, n_frames_estimate=10, width_px=64, height_px=48,
                         progress=lambda *args: calls.append(args))
    assert isinstance(track, PoseTrack)
    assert track.n_frames == 10 and track.keypoints == KEYPOINTS
    assert (track.frame_width_px, track.frame_height_px) == (64, 48)
    np.testing.assert_allclose(track.time_s, np.arange(10) * 0.04)
    np.testing.assert_allclose(track.x_px[5], 10.0 * np.arange(K) + 0.2)
    np.testing.assert_allclose(track.y_px[5], 5.0 * np.arange(K))
    assert np.isnan(track.x_px[2:4]).all() and (track.confidence[2:4] == 0).all()
    assert (track.confidence[[0, 1, 4]] == 0.9).all()
    assert detection_rate(track) == pytest.approx(0.8)
    assert calls[-1] == ("pose", 1.0, 0.0)
    assert len(calls) <= 3  # throttled: all 10 frames took far less than 0.25 s


def test_extract_pose_reports_progress_with_eta_while_running():
    calls = []
    extract_pose(_frames(40), FakePose(delay_s=0.02), n_frames_estimate=40, width_px=64,
                 height_px=48, progress=lambda *args: calls.append((time.monotonic(), *args)))
    stages = {c[1] for c in calls}
    fractions = [c[2] for c in calls]
    assert stages == {"pose"}
    assert 3 <= len(calls) <= 8  # ~0.8 s of work, at most one report per 0.25 s
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert all(0.0 <= f <= 1.0 for f in fractions)
    middle = [c for c in calls if 0 < c[2] < 1]
    assert middle and all(c[3] is not None and c[3] > 0 for c in middle)
    gaps = np.diff([c[0] for c in calls[:-1]])
    assert (gaps >= 0.24).all()


def test_extract_pose_with_a_wrong_estimate_caps_the_fraction():
    calls = []
    extract_pose(_frames(30), FakePose(delay_s=0.02), n_frames_estimate=5, width_px=64,
                 height_px=48, progress=lambda *args: calls.append(args))
    assert all(0.0 <= c[1] <= 1.0 for c in calls)


def test_extract_pose_with_mediapipe_on_blank_frames():
    with MediaPipePose() as estimator:
        track = extract_pose(_frames(5, width_px=320, height_px=240), estimator,
                             n_frames_estimate=5, width_px=320, height_px=240)
    assert track.x_px.shape == (5, K)
    assert detection_rate(track) == 0.0


def test_extract_pose_of_no_frames_is_an_empty_track():
    track = extract_pose(iter(()), FakePose(), n_frames_estimate=0, width_px=64, height_px=48)
    assert track.n_frames == 0 and track.x_px.shape == (0, K)
    assert detection_rate(track) == 0.0
