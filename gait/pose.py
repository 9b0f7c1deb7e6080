"""Pose estimation: the `PoseEstimator` protocol and the MediaPipe adapter.

The only module that imports mediapipe (lazily, when a `MediaPipePose` is made, so
importing `gait.pose` is cheap). Conventions: pixels in the upright frame, x right,
y down; confidence = MediaPipe landmark visibility in [0, 1]; a frame where nobody
is found gives NaN coordinates and 0 confidence for every keypoint.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Iterable
from types import TracebackType
from typing import Protocol

import numpy as np

from gait.keypoints import BLAZEPOSE_INDEX, KEYPOINTS
from gait.pose_models import DEFAULT_POSE_MODEL, POSE_MODELS, require_installed
from gait.posetrack import PoseTrack
from gait.progress import Progress, ProgressThrottle
from gait.shots import scene_cuts
from gait.video import VideoFrame

REPEAT_CHANGE_FRACTION = 0.15
REPEAT_MAX_CHANGE = 0.3  # grey levels
REPEAT_WINDOW_FRAMES = 7  # neighbours either side: two cycles of a 25 → 30 conversion
REPEAT_NEIGHBOUR_FRACTION = 0.38  # of the neighbours' median change (`repeated_frames`)
N_KEYPOINTS = len(KEYPOINTS)


def import_mediapipe() -> types.ModuleType:
    """`import mediapipe`, without the matplotlib.pyplot that `mediapipe.solutions`
    imports for a 3-D plotting helper HipDrive never calls (`drawing_utils.plot_landmarks`):
    0.3–0.4 s less start-up in every process that finds poses (measured 0.29 vs 0.69 s).
    While mediapipe is imported, matplotlib is an empty stand-in; afterwards it is
    removed again, so a later `import matplotlib` gets the real package. When matplotlib
    is already loaded, nothing is replaced."""
    if "mediapipe" in sys.modules or "matplotlib" in sys.modules:
        import mediapipe

        return mediapipe
    stand_ins = {"matplotlib": types.ModuleType("matplotlib"),
                 "matplotlib.pyplot": types.ModuleType("matplotlib.pyplot")}
    stand_ins["matplotlib"].__path__ = []
    sys.modules.update(stand_ins)
    try:
        import mediapipe
    finally:
        for name, stand_in in stand_ins.items():
            if sys.modules.get(name) is stand_in:
                del sys.modules[name]
    return mediapipe


class PoseEstimator(Protocol):
    """Finds one person's keypoints (in `gait.keypoints.KEYPOINTS` order) in a frame.

    Frames are given in time order; `time_s` is the frame's real time. Use as a
    context manager, or call `close()` when done.
    """

    def estimate(self, rgb: np.ndarray, time_s: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return x_px, y_px, confidence, each of shape (len(KEYPOINTS),)."""
        ...

    def close(self) -> None: ...

    def __enter__(self) -> PoseEstimator: ...

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None: ...


def no_person() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The estimate for a frame without a person: NaN coordinates, zero confidence."""
    return np.full(N_KEYPOINTS, np.nan), np.full(N_KEYPOINTS, np.nan), np.zeros(N_KEYPOINTS)


class MediaPipePose:
    """BlazePose (33 landmarks) through mediapipe 0.10.21's legacy `solutions.pose`.

    `model`: "full" (bundled with the wheel, `model_complexity=1`) or "heavy"
    (`gait.pose_models`: installed by setup, ~2.4× the time); nothing is downloaded here,
    a missing model is a `PoseModelMissing` error. Tracking mode: the landmarks of one
    frame seed the search in the next, so frames must come in time order and one
    instance serves one clip at a time (and one thread).

    MediaPipe's own landmark smoothing is off by default. Measured against known
    keypoints of the synthetic runner (synthetic, 640×480, 30 and 60 fps),
    smoothing made the median error worse for the fast-moving joints (knee 4.0 →
    5.2 px, near ankle 5.2 → 6.8 px, far ankle 5.4 → 8.0 px at 30 fps; smaller
    differences at 60 fps) and added ~4–5 ms of lag at the knee; on a person image
    moved sinusoidally it tripled the RMS error (2.4 → 8.8 px). It only helps on a
    still, noisy picture (jitter 6 → 4 px). Its filter also assumes 30 fps whatever
    the clip (the legacy API feeds simulated timestamps), and our pipeline low-passes
    every keypoint later with a zero-phase filter whose cut-off is set in Hz
    (`gait.tracks`), so raw landmarks are what we want. `time_s` is therefore not
    needed and is ignored. `static_image_mode=True` runs the person detector on every
    call and keeps no state between calls (for unrelated images such as search tiles).

    Small runners (a skeleton under ~1/4 of the frame's long side) are better served by
    `gait.roi.mediapipe_roi_pose()`, which zooms the model in on them.

    MediaPipe prints a few lines to stderr when its graph starts (TFLite and absl
    messages written before absl logging is initialised); no environment variable
    silences them, and redirecting file descriptor 2 would also swallow other
    threads' output in a server, so they are left alone.
    """

    def __init__(
        self,
        *,
        smooth_landmarks: bool = False,
        static_image_mode: bool = False,
        min_detection_confidence: float = 0.5,
        min_tracking_confidence: float = 0.5,
        model: str = DEFAULT_POSE_MODEL,
    ) -> None:
        require_installed(model)
        mp = import_mediapipe()
        self._pose = mp.solutions.pose.Pose(
            static_image_mode=static_image_mode,
            model_complexity=POSE_MODELS[model],
            smooth_landmarks=smooth_landmarks,
            enable_segmentation=False,
            min_detection_confidence=min_detection_confidence,
            min_tracking_confidence=min_tracking_confidence,
        )
        self._indices = [BLAZEPOSE_INDEX[name] for name in KEYPOINTS]
        self._closed = False

    def estimate(self, rgb: np.ndarray, time_s: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Keypoints of the most prominent person in an upright RGB uint8 frame."""
        if self._closed:
            raise RuntimeError("This MediaPipePose has been closed.")
        height_px, width_px = rgb.shape[:2]
        result = self._pose.process(np.ascontiguousarray(rgb))
        if result.pose_landmarks is None:
            return no_person()
        landmarks = result.pose_landmarks.landmark
        picked = [landmarks[i] for i in self._indices]
        x_px = np.array([lm.x for lm in picked]) * width_px
        y_px = np.array([lm.y for lm in picked]) * height_px
        confidence = np.clip(np.array([lm.visibility for lm in picked]), 0.0, 1.0)
        return x_px, y_px, confidence

    def close(self) -> None:
        if not self._closed:
            self._pose.close()
            self._closed = True

    def __enter__(self) -> MediaPipePose:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def extract_pose(
    frames: Iterable[VideoFrame],
    estimator: PoseEstimator,
    *,
    n_frames_estimate: int,
    width_px: int,
    height_px: int,
    progress: Progress | None = None,
) -> PoseTrack:
    """Run `estimator` over every frame and gather a raw PoseTrack.

    `time_s` comes from the frames. `progress("pose", fraction_done, eta_s)` is
    called at most every 0.25 s (ETA None until it can be estimated) and once with
    1.0 at the end; `n_frames_estimate` is only used for these fractions.
    """
    throttle = ProgressThrottle(progress, "pose", n_frames_estimate)
    throttle.update(0)
    times_s: list[float] = []
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    confs: list[np.ndarray] = []
    changes: list[float] = []
    previous_thumb: np.ndarray | None = None
    for frame in frames:
        x_px, y_px, confidence = estimator.estimate(frame.rgb, frame.time_s)
        times_s.append(frame.time_s)
        xs.append(np.asarray(x_px, dtype=float))
        ys.append(np.asarray(y_px, dtype=float))
        confs.append(np.asarray(confidence, dtype=float))
        change, previous_thumb = picture_change(frame.rgb, previous_thumb)
        changes.append(change)
        throttle.update(len(times_s))
    throttle.done()
    shape = (len(times_s), N_KEYPOINTS)
    return PoseTrack(
        time_s=np.asarray(times_s, dtype=float),
        x_px=np.asarray(xs, dtype=float).reshape(shape),
        y_px=np.asarray(ys, dtype=float).reshape(shape),
        confidence=np.asarray(confs, dtype=float).reshape(shape),
        frame_width_px=int(width_px),
        frame_height_px=int(height_px),
        flags=picture_flags(np.asarray(changes), np.asarray(times_s, dtype=float)),
    )


def picture_change(rgb: np.ndarray, previous_thumb: np.ndarray | None
                   ) -> tuple[float, np.ndarray]:
    """(change, thumbnail): the mean absolute difference (grey levels) of this frame's
    1/8-size thumbnail from the previous frame's (inf for the first frame), and this
    frame's thumbnail to pass in with the next frame."""
    thumb = rgb[::8, ::8].astype(np.int16)
    if previous_thumb is None or previous_thumb.shape != thumb.shape:
        return float("inf"), thumb
    return float(np.abs(thumb - previous_thumb).mean()), thumb


def picture_flags(change: np.ndarray, time_s: np.ndarray) -> dict[str, np.ndarray]:
    """The per-frame flags read off the pictures' change (`picture_change`): frames that
    repeat the previous picture and the first frames of new shots (gait.shots)."""
    return {"repeated_frame": repeated_frames(change), "scene_cut": scene_cuts(change, time_s)}


def repeated_frames(change: np.ndarray) -> np.ndarray:
    """Frames that repeat the previous picture (a clip converted from a lower frame
    rate, or slowed down by repeating frames). `change` is the mean absolute difference
    (0–255 grey levels) of each frame's 1/8-size thumbnail from the previous frame's.
    A repeat differs by compression noise only. Two ways to tell, either is enough:
    - against the whole clip: less than REPEAT_CHANGE_FRACTION of its typical
      (75th-percentile) change and less than REPEAT_MAX_CHANGE. Measured on a real clip
      holding each picture 3×: repeats 0.00–0.03, new pictures ≥ 0.46 with a small
      runner on a still background; a treadmill clip's frames all differ by ≥ 2;
    - against its neighbours (REPEAT_WINDOW_FRAMES either side): less than
      REPEAT_NEIGHBOUR_FRACTION of their median change. Two real clips re-encoded from
      24 to 30 frames/s (two blind labellers each saw every fifth picture repeat the one
      before) carry compression noise on their repeats: 0.1–1.8 grey levels against
      4.5–10 for new pictures, and the clip-wide limit found 26 of their 37 and 20 of
      their 32 periodic repeats. Their repeats change by at most 0.27 of the neighbours'
      median; no new picture of theirs or of ten other real clips comes below 0.54 of
      it. The limit is the midpoint of the two on a ratio scale. On four real clips
      labelled after it was chosen, the lowest new picture came at 0.43 (nothing
      flagged where no labeller saw a repeat). A clip holding each picture 3× has a
      median at the repeats' level, so there only the clip-wide test acts."""
    finite = change[np.isfinite(change)]
    if len(finite) < 3:
        return np.zeros(len(change), dtype=bool)
    typical = float(np.percentile(finite, 75))
    clip_wide = change < min(REPEAT_MAX_CHANGE, REPEAT_CHANGE_FRACTION * typical)
    return clip_wide | (change < REPEAT_NEIGHBOUR_FRACTION * _neighbours_median_change(change))


def _neighbours_median_change(change: np.ndarray) -> np.ndarray:
    """Per frame, the median of the finite changes within REPEAT_WINDOW_FRAMES either
    side (NaN where fewer than 3)."""
    padded = np.where(np.isfinite(change), change, np.nan)
    typical = np.full(len(change), np.nan)
    for i in range(len(change)):
        window = padded[max(0, i - REPEAT_WINDOW_FRAMES): i + REPEAT_WINDOW_FRAMES + 1]
        window = window[np.isfinite(window)]
        if len(window) >= 3:
            typical[i] = np.median(window)
    return typical


def detection_rate(track: PoseTrack) -> float:
    """Fraction of frames in which a person was found (any keypoint not NaN)."""
    if track.n_frames == 0:
        return 0.0
    return float(np.mean(~np.isnan(track.x_px).all(axis=1)))
