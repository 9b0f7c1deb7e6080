"""Small and distant runners: find the runner, give the pose model a zoomed crop, map back.

BlazePose resizes the whole frame to a 256 px input (its person detector to 224 px), so
a runner ~120 px tall in a 1680×720 frame is ~18 px there and the keypoints are garbage.
`RoiPose` wraps three estimators (any `gait.pose.PoseEstimator`):

- `full`: the normal full-frame estimator. Every frame starts here until the runner is
  found small; frames where the runner is large (skeleton height ≥ `enter_fraction` of
  the frame's long side) are returned exactly as this estimator gives them.
- `search` (static, each call independent): run on overlapping square tiles as tall as
  the frame's short side, half a tile apart, to find a small runner anywhere; if none
  is found, on tiles 2/3 that size (a runner at a tile's edge, or a smaller one).
- `crop` (tracking, follows the runner): fed a square crop of `crop_factor` × the
  runner's skeleton height around the runner, resized to `crop_input_px`. The crop
  centre comes from the previous frame's keypoints (smoothed, plus the smoothed
  velocity); when the crop finds nobody the tiles are searched again.

Conventions: keypoints in full-frame pixels, x right, y down, continuous coordinates
with 0 at the left/top edge of the frame (an estimator's x = normalised x × image width);
a crop pixel at (u, v) of the resized crop maps to (x0 + u·s, y0 + v·s) with
s = crop side / crop_input_px. Skeleton height = max(y) − min(y) of the keypoints, px.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType

import cv2
import numpy as np

from gait.pose import PoseEstimator, no_person
from gait.pose_models import DEFAULT_POSE_MODEL, require_installed

Estimate = tuple[np.ndarray, np.ndarray, np.ndarray]
EstimatorFactory = Callable[[], PoseEstimator]


@dataclass(frozen=True)
class SquareCrop:
    """A square window of the frame: top-left (x0_px, y0_px), `side_px` wide in the
    frame, resized to `out_px` × `out_px` for the model. Parts outside the frame are
    black."""

    x0_px: int
    y0_px: int
    side_px: int
    out_px: int

    @classmethod
    def around(cls, cx_px: float, cy_px: float, side_px: float, out_px: int) -> SquareCrop:
        """The crop of (integer) side `side_px` centred as near as possible on (cx, cy)."""
        side = max(int(round(side_px)), 8)
        return cls(int(round(cx_px - side / 2)), int(round(cy_px - side / 2)), side, int(out_px))

    def cut(self, rgb: np.ndarray) -> np.ndarray:
        """The crop's pixels (RGB uint8, out_px square), zero-padded outside the frame."""
        h, w = rgb.shape[:2]
        x0, y0, s = self.x0_px, self.y0_px, self.side_px
        patch = np.zeros((s, s, rgb.shape[2]), dtype=rgb.dtype)
        fx0, fy0, fx1, fy1 = max(x0, 0), max(y0, 0), min(x0 + s, w), min(y0 + s, h)
        if fx1 > fx0 and fy1 > fy0:
            patch[fy0 - y0:fy1 - y0, fx0 - x0:fx1 - x0] = rgb[fy0:fy1, fx0:fx1]
        if s == self.out_px:
            return patch
        interp = cv2.INTER_AREA if s > self.out_px else cv2.INTER_LINEAR
        return cv2.resize(patch, (self.out_px, self.out_px), interpolation=interp)

    def to_frame(self, x_px: np.ndarray, y_px: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Map pixel coordinates of the resized crop to full-frame pixels (exact)."""
        scale = self.side_px / self.out_px
        return self.x0_px + np.asarray(x_px) * scale, self.y0_px + np.asarray(y_px) * scale


def _starts(length_px: int, side: int) -> list[int]:
    starts = list(range(0, max(length_px - side, 0) + 1, max(side // 2, 1)))
    if starts[-1] < length_px - side:
        starts.append(length_px - side)
    return starts


def square_tiles(width_px: int, height_px: int, *, fraction: float = 1.0
                 ) -> list[tuple[int, int, int]]:
    """Overlapping square tiles (x0, y0, side) covering the frame, row by row: side =
    `fraction` × the frame's short side, stepped by half a tile, the last row/column
    flush with the frame's edge."""
    side = max(int(round(fraction * min(width_px, height_px))), 1)
    return [(x0, y0, side) for y0 in _starts(height_px, side) for x0 in _starts(width_px, side)]


def skeleton_box(x_px: np.ndarray, y_px: np.ndarray) -> tuple[float, float, float, float] | None:
    """(centre x, centre y, width, height) of the keypoints' bounding box, px; None if none."""
    ok = np.isfinite(x_px) & np.isfinite(y_px)
    if not ok.any():
        return None
    x, y = x_px[ok], y_px[ok]
    return (float(x.min() + x.max()) / 2, float(y.min() + y.max()) / 2,
            float(x.max() - x.min()), float(y.max() - y.min()))


class RoiPose:
    """A `PoseEstimator` that zooms in on small runners (see the module docstring).

    enter_fraction / leave_fraction: a skeleton shorter than enter_fraction × the
    frame's long side is "small" and switches to the crop path; the crop path hands
    back to the full-frame path once the skeleton is taller than leave_fraction × it.
    crop_factor: crop side / skeleton height. crop_input_px: side of the image given
    to the crop estimator. min_search_visibility: a tile detection counts when its
    mean keypoint confidence reaches this; it is then confirmed by the crop estimator.
    search_levels: tile sides as fractions of the frame's short side, tried in turn
    until one finds somebody; the levels after the first `coarse_levels` (small tiles,
    many of them: a runner ~1/9 of the frame's height in a busy picture) only on every
    `fine_search_every`-th search. lost_grace_frames: for this many frames after the last
    *large* runner, frames stay on the plain full-frame path (whatever it finds, even
    nobody or a small skeleton), so a normal clip's dropouts stay as they were. After 3
    failed searches in a row, tiles are searched every `search_every` frames only, and
    after `long_search_after` frames without anybody every 2 × `search_every` frames
    (so a clip with nobody in it costs about what it did before the fine level).
    `path_counts` counts frames by the path that answered ("none": nobody found).
    Tile searches are counted in `n_searches`.
    """

    def __init__(
        self,
        full: EstimatorFactory,
        crop: EstimatorFactory,
        search: EstimatorFactory,
        *,
        enter_fraction: float = 0.25,
        leave_fraction: float = 0.33,
        crop_factor: float = 2.3,
        crop_input_px: int = 384,
        min_search_visibility: float = 0.6,
        search_levels: tuple[float, ...] = (1.0, 2 / 3, 4 / 9),
        coarse_levels: int = 2,
        fine_search_every: int = 3,
        lost_grace_frames: int = 30,
        search_every: int = 3,
        long_search_after: int = 90,
    ) -> None:
        self._factories = {"full": full, "crop": crop, "search": search}
        self._estimators: dict[str, PoseEstimator] = {}
        self.enter_fraction = enter_fraction
        self.leave_fraction = leave_fraction
        self.crop_factor = crop_factor
        self.crop_input_px = crop_input_px
        self.min_search_visibility = min_search_visibility
        self.lost_grace_frames = lost_grace_frames
        self.search_every = search_every
        self.long_search_after = long_search_after
        self.search_levels = search_levels
        self.coarse_levels = coarse_levels
        self.fine_search_every = fine_search_every
        self.path_counts = {"full": 0, "crop": 0, "none": 0}
        self.n_searches = 0
        self.last_crop: SquareCrop | None = None
        self._cropping = False
        self._centre: np.ndarray | None = None  # smoothed skeleton centre, px
        self._velocity = np.zeros(2)  # px per frame
        self._height_px = 0.0  # smoothed skeleton height
        self._frames_since_large = 10**9
        self._failed_searches = 0
        self._closed = False

    def _get(self, name: str) -> PoseEstimator:
        if name not in self._estimators:
            self._estimators[name] = self._factories[name]()
        return self._estimators[name]

    # -- the per-frame decision ------------------------------------------------------
    def estimate(self, rgb: np.ndarray, time_s: float) -> Estimate:
        """Keypoints of the runner in full-frame pixels (see the module conventions)."""
        if self._closed:
            raise RuntimeError("This RoiPose has been closed.")
        long_px = max(rgb.shape[:2])
        if not self._cropping:
            est = self._get("full").estimate(rgb, time_s)
            box = skeleton_box(est[0], est[1])
            if box is not None and box[3] >= self.enter_fraction * long_px:
                self._frames_since_large = 0
                self._track(box)
                return self._answer("full", est)
            self._frames_since_large += 1
            if self._frames_since_large <= self.lost_grace_frames:  # just had a large runner
                return self._answer("none" if box is None else "full", est)
            if box is not None:  # small: zoom in on it
                self._track(box, reset=True)
                self._cropping = True
        if self._cropping and self._centre is not None:
            est = self._crop_estimate(rgb, time_s, long_px)
            if est is not None:
                return self._answer("crop", est)
        return self._search(rgb, time_s, long_px)

    def _answer(self, path: str, est: Estimate) -> Estimate:
        self.path_counts[path] += 1
        return est

    def _track(self, box: tuple[float, float, float, float], *, reset: bool = False) -> None:
        """Update the smoothed centre, velocity and height from a skeleton box."""
        centre = np.array(box[:2])
        if reset or self._centre is None:
            self._centre, self._velocity, self._height_px = centre, np.zeros(2), box[3]
            return
        self._velocity = 0.5 * self._velocity + 0.5 * (centre - self._centre)
        self._centre = 0.5 * (self._centre + self._velocity) + 0.5 * centre
        self._height_px = 0.8 * self._height_px + 0.2 * box[3]

    def _crop_estimate(self, rgb: np.ndarray, time_s: float, long_px: int) -> Estimate | None:
        """Run the crop estimator around the predicted centre; None if nobody credible."""
        predicted = self._centre + self._velocity
        crop = SquareCrop.around(predicted[0], predicted[1],
                                 self.crop_factor * max(self._height_px, 8.0), self.crop_input_px)
        self.last_crop = crop
        x_c, y_c, conf = self._get("crop").estimate(crop.cut(rgb), time_s)
        box_c = skeleton_box(x_c, y_c)
        if box_c is None or box_c[3] < 0.15 * crop.out_px:  # nobody, or a speck
            self._cropping = False
            return None
        x_px, y_px = crop.to_frame(x_c, y_c)
        box = skeleton_box(x_px, y_px)
        self._track(box)
        self._failed_searches = 0
        if box[3] >= self.leave_fraction * long_px:
            self._cropping = False  # large again: full-frame path from the next frame
            self._frames_since_large = 0
        return x_px, y_px, np.asarray(conf, dtype=float)

    def _search(self, rgb: np.ndarray, time_s: float, long_px: int) -> Estimate:
        """Look for the runner on overlapping tiles; zoom in on the best one found."""
        self._cropping = False
        self._centre = None
        self._failed_searches += 1
        every = self.search_every * (2 if self._failed_searches > self.long_search_after else 1)
        if self._failed_searches > 3 and self._failed_searches % every:
            return self._answer("none", no_person())
        self.n_searches += 1
        fine = (self.n_searches - 1) % self.fine_search_every == 0
        best = None
        for fraction in self.search_levels[:None if fine else self.coarse_levels]:
            best = self._best_tile(rgb, time_s, fraction)
            if best is not None:
                break
        if best is None:
            return self._answer("none", no_person())
        box = skeleton_box(best[0], best[1])
        if box[3] >= self.enter_fraction * long_px:
            # Large, yet the full frame found nobody: likely a person cut by the tile's
            # edge. Keep the full-frame answer (nobody), as without this class.
            return self._answer("none", no_person())
        self._track(box, reset=True)
        self._cropping = True
        est = self._crop_estimate(rgb, time_s, long_px)  # confirms (or not) the tile's find
        if est is None:
            return self._answer("none", no_person())
        return self._answer("crop", est)

    def _best_tile(self, rgb: np.ndarray, time_s: float, fraction: float) -> Estimate | None:
        """The most confident tile detection (full-frame px), or None."""
        best, best_score = None, self.min_search_visibility
        height, width = rgb.shape[:2]
        for x0, y0, side in square_tiles(width, height, fraction=fraction):
            crop = SquareCrop(x0, y0, side, side)
            x_t, y_t, conf = self._get("search").estimate(crop.cut(rgb), time_s)
            box = skeleton_box(x_t, y_t)
            if box is None or box[3] < 0.08 * side:
                continue
            score = float(np.mean(conf))
            if score > best_score:
                best_score = score
                best = (*crop.to_frame(x_t, y_t), np.asarray(conf, dtype=float))
        return best

    # -- lifetime --------------------------------------------------------------------
    def close(self) -> None:
        """Close every estimator that was made."""
        for estimator in self._estimators.values():
            estimator.close()
        self._estimators.clear()
        self._closed = True

    def __enter__(self) -> RoiPose:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def mediapipe_roi_pose(model: str = DEFAULT_POSE_MODEL, **options) -> RoiPose:
    """`RoiPose` over MediaPipe: tracking-mode estimators for the full frame and for the
    crop (separate instances, since each keeps its own between-frame state in its own
    image coordinates) and a static-image-mode one for the tile search, all with the pose
    `model` ("full" or "heavy", `gait.pose_models`). Estimators are made when first
    needed, so clips that never need the crop pay nothing extra. `options` go to
    `RoiPose`."""
    from gait.pose import MediaPipePose

    require_installed(model)  # before any frame is decoded

    def tracking() -> MediaPipePose:
        return MediaPipePose(model=model)

    return RoiPose(tracking, tracking,
                   lambda: MediaPipePose(static_image_mode=True, model=model), **options)
