"""The annotated video of a small runner follows him: each frame is a window around the
runner, enlarged to the output size, so a coach filming from the stands sees the skeleton.

A runner whose skeleton (the highest to the lowest keypoint seen at confidence >= 0.5,
median over the frames) is shorter than `FOLLOW_BELOW_FRACTION` of the frame's height is
followed. The window keeps the frame's aspect; its height is `WINDOW_SKELETONS` × that
median skeleton height (at most the frame). Its centre is the skeleton box's centre,
bridged by straight lines over frames without the runner (held before he is first and
after he is last seen), smoothed over `SMOOTH_S` so the "camera" does not shake with
every step, and kept inside the frame.

Conventions: source pixels as in `gait.posetrack` (x right, y down, 0 at the frame's
left/top edge). Output pixel (u, v) of frame i shows source pixel
(x0[i] + u / scale, y0[i] + v / scale); `track_in_output` maps the keypoints the same
way, so skeleton, flashes and the plumb line land on the enlarged runner.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from gait.posetrack import PoseTrack

FOLLOW_BELOW_FRACTION = 0.3  # a skeleton shorter than this × frame height is followed
WINDOW_SKELETONS = 2.2  # the window's height, in median skeleton heights
SMOOTH_S = 0.5  # the window's centre: a moving average over this long
MIN_SEEN_KEYPOINTS = 6  # a frame's skeleton box needs this many confident keypoints


@dataclass(frozen=True)
class FollowCrop:
    """Per-frame windows (top-left x0_px, y0_px; size width_px × height_px, source
    pixels) of a frame `frame_width_px` wide, and the output size they are enlarged to
    (`scale` output px per source px)."""

    x0_px: np.ndarray
    y0_px: np.ndarray
    width_px: float
    height_px: float
    out_size_px: tuple[int, int]
    frame_width_px: int

    @property
    def scale(self) -> float:
        return self.out_size_px[0] / self.width_px

    @property
    def zoom(self) -> float:
        """How much closer than the whole frame (the video without following) it looks."""
        return self.frame_width_px / self.width_px

    def picture(self, rgb: np.ndarray, i: int) -> np.ndarray:
        """Frame i's window, enlarged to the output size (black beyond the frame)."""
        j = min(i, len(self.x0_px) - 1)
        s = self.scale
        warp = np.array([[s, 0.0, -self.x0_px[j] * s], [0.0, s, -self.y0_px[j] * s]])
        return cv2.warpAffine(rgb, warp, self.out_size_px, flags=cv2.INTER_LINEAR,
                              borderMode=cv2.BORDER_CONSTANT)

    def track_in_output(self, track: PoseTrack) -> PoseTrack:
        """The track in each frame's output pixels (see the module conventions)."""
        n = min(track.n_frames, len(self.x0_px))
        x = (track.x_px[:n] - self.x0_px[:n, None]) * self.scale
        y = (track.y_px[:n] - self.y0_px[:n, None]) * self.scale
        return track.with_arrays(x_px=x, y_px=y, frame_width_px=self.out_size_px[0],
                                 frame_height_px=self.out_size_px[1])


def _bridged(values: np.ndarray) -> np.ndarray:
    """NaNs filled by straight lines between the frames on either side; before the
    first and after the last value, that value held."""
    ok = np.isfinite(values)
    index = np.arange(len(values))
    return np.interp(index, index[ok], values[ok])


def _smoothed(values: np.ndarray, n_frames: int) -> np.ndarray:
    """Centred moving average over `n_frames` (edges averaged over what there is; at most
    the whole series)."""
    n_frames = min(n_frames, len(values))
    if n_frames <= 1:
        return values
    kernel = np.ones(n_frames)
    padded_sum = np.convolve(values, kernel, mode="same")
    counts = np.convolve(np.ones_like(values), kernel, mode="same")
    return padded_sum / counts


def follow_crop(track: PoseTrack, *, out_size_px: tuple[int, int],
                fps: float) -> FollowCrop | None:
    """The windows that follow a small runner (module docstring), or None when the runner
    is not small (or never seen) and the whole frame is shown as before."""
    seen = track.confidence >= 0.5
    enough = seen.sum(axis=1) >= MIN_SEEN_KEYPOINTS
    if not enough.any():
        return None
    with np.errstate(invalid="ignore"):
        ys = np.where(seen, track.y_px, np.nan)
        xs = np.where(seen, track.x_px, np.nan)
    top, bottom = np.nanmin(ys[enough], axis=1), np.nanmax(ys[enough], axis=1)
    left, right = np.nanmin(xs[enough], axis=1), np.nanmax(xs[enough], axis=1)
    skeleton_px = float(np.median(bottom - top))
    frame_w, frame_h = track.frame_width_px, track.frame_height_px
    if skeleton_px >= FOLLOW_BELOW_FRACTION * frame_h:
        return None
    height = min(float(frame_h), WINDOW_SKELETONS * skeleton_px)
    width = min(float(frame_w), height * frame_w / frame_h)
    centre_x = np.full(track.n_frames, np.nan)
    centre_y = np.full(track.n_frames, np.nan)
    centre_x[enough], centre_y[enough] = (left + right) / 2, (top + bottom) / 2
    span = max(1, int(round(SMOOTH_S * fps)))
    cx = _smoothed(_bridged(centre_x), span)
    cy = _smoothed(_bridged(centre_y), span)
    x0 = np.clip(cx - width / 2, 0.0, frame_w - width)
    y0 = np.clip(cy - height / 2, 0.0, frame_h - height)
    return FollowCrop(x0, y0, width, height, out_size_px, frame_w)
