"""More than one person in view: the pose model follows one person (the most prominent,
and it may switch), so a second runner, a coach or a passer-by can silently take over
the figures. This stage looks for anybody else on a few frames.

How: keep `n_samples` evenly spaced frames while the clip is decoded (downscaled, so
memory stays flat), then on each frame where the runner was found, paint the runner's
skeleton box (grown by `MARGIN` of its height on every side) with the frame's median
colour and run a still-image pose detector on what is left. A detection there with
mean keypoint confidence ≥ `MIN_CONFIDENCE` and at least `MIN_RELATIVE_HEIGHT` of the
runner's skeleton height is another person. Coordinates: pixels of the full frame,
x right, y down (as `gait.posetrack`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from gait.posetrack import PoseTrack
from gait.summary import OtherPeople

if TYPE_CHECKING:  # types only: this module needs neither PyAV nor MediaPipe
    from gait.pose import PoseEstimator
    from gait.video import VideoFrame

N_SAMPLES = 6
MAX_SAMPLE_SIDE_PX = 720  # sampled frames are kept at most this long side
MARGIN = 0.3
MIN_CONFIDENCE = 0.6
MIN_RELATIVE_HEIGHT = 0.3
MIN_FRAMES_WITH_OTHERS = 2  # of the checked frames: one could be a shadow or a poster


@dataclass
class FrameSampler:
    """Keeps about `n_samples` evenly spaced frames of a clip of ~`n_frames` frames
    (downscaled by an integer step to ≤ MAX_SAMPLE_SIDE_PX) while passing every frame on."""

    n_frames: int
    n_samples: int = N_SAMPLES
    kept: dict[int, tuple[int, np.ndarray]] = field(default_factory=dict)  # index → (step, rgb)

    def wanted(self) -> set[int]:
        if self.n_frames <= 0:
            return set()
        spacing = self.n_frames / (self.n_samples + 1)
        return {int(round(spacing * (k + 1))) for k in range(self.n_samples)}

    def pass_through(self, frames: Iterable[VideoFrame]) -> Iterator[VideoFrame]:
        wanted = self.wanted()
        for frame in frames:
            if frame.index in wanted:
                self.kept[frame.index] = downscaled(frame.rgb)
            yield frame


def downscaled(rgb: np.ndarray) -> tuple[int, np.ndarray]:
    """(step, the frame taken every `step` pixels): the smallest integer step that
    brings its long side to at most MAX_SAMPLE_SIDE_PX."""
    step = max(1, int(np.ceil(max(rgb.shape[:2]) / MAX_SAMPLE_SIDE_PX)))
    return step, np.ascontiguousarray(rgb[::step, ::step])


def runner_box(track: PoseTrack, index: int) -> tuple[float, float, float, float] | None:
    """(x0, y0, x1, y1) of the runner's keypoints in frame `index`, or None."""
    if index >= track.n_frames:
        return None
    return keypoint_box(track.x_px[index], track.y_px[index])


def keypoint_box(x_px: np.ndarray, y_px: np.ndarray) -> tuple[float, float, float, float] | None:
    """(x0, y0, x1, y1) around one frame's keypoints (NaN = not seen), or None when
    fewer than 4 were seen."""
    x, y = np.asarray(x_px, float), np.asarray(y_px, float)
    ok = np.isfinite(x) & np.isfinite(y)
    if ok.sum() < 4:
        return None
    return float(x[ok].min()), float(y[ok].min()), float(x[ok].max()), float(y[ok].max())


def masked_runner(rgb: np.ndarray, box: tuple[float, float, float, float], *,
                  scale: float) -> np.ndarray:
    """A copy of `rgb` (a frame downscaled by `scale`) with the runner's box, grown by
    MARGIN of its height, painted in the frame's median colour."""
    x0, y0, x1, y1 = (v / scale for v in box)
    grow = MARGIN * max(y1 - y0, x1 - x0)
    height, width = rgb.shape[:2]
    left, right = int(max(0, x0 - grow)), int(min(width, x1 + grow))
    top, bottom = int(max(0, y0 - grow)), int(min(height, y1 + grow))
    out = rgb.copy()
    out[top:bottom, left:right] = np.median(rgb.reshape(-1, rgb.shape[2]), axis=0)
    return out


def look_for_other_people(sampler: FrameSampler, track: PoseTrack,
                          detector: PoseEstimator) -> OtherPeople:
    """Check the sampled frames where the runner was found (see the module docstring).
    `detector` must treat each image on its own (still-image mode)."""
    checked = others = 0
    for index, (step, rgb) in sorted(sampler.kept.items()):
        box = runner_box(track, index)
        if box is None:
            continue
        checked += 1
        x, y, conf = detector.estimate(masked_runner(rgb, box, scale=step), 0.0)
        ok = np.isfinite(x) & np.isfinite(y)
        if ok.sum() < 4:
            continue
        height_px = (y[ok].max() - y[ok].min()) * step
        if (float(np.mean(conf)) >= MIN_CONFIDENCE
                and height_px >= MIN_RELATIVE_HEIGHT * (box[3] - box[1])):
            others += 1
    return OtherPeople(frames_checked=checked, frames_with_others=others)
