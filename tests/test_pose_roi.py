"""The region-of-interest pose path (gait/roi.py): exact mapping, path choice, small runners.

Fake estimators find a white rectangle (the "person") on black from intensity moments, so
the keypoints any path should return are known exactly. One test runs real MediaPipe on
a rendered small runner in a wide frame, with and without the crop path.
"""

from __future__ import annotations

import numpy as np
import pytest

from gait.keypoints import KEYPOINTS
from gait.pose import no_person
from gait.roi import RoiPose, SquareCrop, skeleton_box, square_tiles

N = len(KEYPOINTS)


class RectangleFinder:
    """Fake estimator: keypoints evenly spaced on the vertical centre line of the bright
    rectangle, from the image's intensity moments (pixel centres at i + 0.5)."""

    def __init__(self, calls: list[str] | None = None, name: str = "") -> None:
        self.calls, self.name = calls, name

    def estimate(self, rgb, time_s):
        if self.calls is not None:
            self.calls.append(self.name)
        w = rgb[..., 0].astype(float)
        if w.sum() < 1.0:
            return no_person()
        ys, xs = np.indices(w.shape) + 0.5
        cx, cy = (w * xs).sum() / w.sum(), (w * ys).sum() / w.sum()
        h = np.sqrt(12 * (w * (ys - cy) ** 2).sum() / w.sum())  # uniform: var = h²/12
        y = cy + np.linspace(-h / 2, h / 2, N)
        return np.full(N, cx), y, np.ones(N)

    def close(self):
        pass


def rectangle_frame(width, height, x0, y0, w, h):
    img = np.zeros((height, width, 3), np.uint8)
    img[y0:y0 + h, x0:x0 + w] = 255
    return img


def fake_roi(calls=None, **options):
    return RoiPose(lambda: RectangleFinder(calls, "full"), lambda: RectangleFinder(calls, "crop"),
                   lambda: RectangleFinder(calls, "search"), **options)


def test_square_crop_maps_back_exactly():
    img = np.zeros((100, 200, 3), np.uint8)
    img[37, 151] = 255  # pixel centre (151.5, 37.5)
    for side, out in ((40, 40), (40, 80), (40, 160), (41, 256)):
        crop = SquareCrop.around(150, 40, side, out)
        w = crop.cut(img)[..., 0].astype(float)
        assert w.shape == (out, out)
        ys, xs = np.indices(w.shape) + 0.5
        u, v = (w * xs).sum() / w.sum(), (w * ys).sum() / w.sum()
        x, y = crop.to_frame(u, v)
        assert x == pytest.approx(151.5, abs=0.02) and y == pytest.approx(37.5, abs=0.02)
    # outside the frame is black, inside is copied unchanged
    crop = SquareCrop(-10, -10, 30, 30)
    patch = crop.cut(np.full((20, 20, 3), 7, np.uint8))
    assert patch[:10].max() == 0 and patch[:, :10].max() == 0 and (patch[10:, 10:] == 7).all()
    assert crop.to_frame(np.array([0.0, 30.0]), np.array([0.0, 30.0]))[0].tolist() == [-10, 20]


def test_tiles_cover_the_frame():
    tiles = square_tiles(1680, 720)
    assert tiles[0] == (0, 0, 720) and tiles[-1] == (960, 0, 720) and len(tiles) == 4
    small = square_tiles(1680, 720, fraction=2 / 3)
    assert {t[2] for t in small} == {480} and max(t[0] for t in small) == 1200
    assert max(t[1] for t in small) == 240
    portrait = square_tiles(720, 1280)
    assert portrait[-1] == (0, 560, 720)


def test_small_runner_goes_the_crop_path_and_maps_back():
    calls: list[str] = []
    with fake_roi(calls) as estimator:
        for i in range(6):
            x0 = 300 + 20 * i  # moves right 20 px per frame
            frame = rectangle_frame(1680, 720, x0, 400, 20, 100)
            x, y, conf = estimator.estimate(frame, i / 30)
            assert x == pytest.approx(np.full(N, x0 + 10), abs=0.3)
            assert y[0] == pytest.approx(400, abs=0.5) and y[-1] == pytest.approx(500, abs=0.5)
            crop = estimator.last_crop
            assert crop is not None and crop.side_px == pytest.approx(230, abs=25)
        assert estimator.path_counts["crop"] == 6
    # the full-frame estimator only saw the first frame; the crop followed the runner
    assert calls.count("full") == 1 and calls.count("search") == 0 and calls.count("crop") == 6


def test_lost_small_runner_is_searched_on_tiles():
    calls: list[str] = []
    with fake_roi(calls) as estimator:
        estimator.estimate(rectangle_frame(1680, 720, 300, 400, 20, 100), 0.0)
        # the runner jumps far away: the crop sees nothing, the tiles find it
        x, y, _ = estimator.estimate(rectangle_frame(1680, 720, 1400, 300, 20, 100), 1 / 30)
        assert x == pytest.approx(np.full(N, 1410), abs=0.3)
        assert (y.min(), y.max()) == (pytest.approx(300, abs=0.5), pytest.approx(400, abs=0.5))
        assert calls.count("search") >= 1
        # nobody at all: no_person, and searches are throttled after a few failures
        empty = np.zeros((720, 1680, 3), np.uint8)
        for i in range(12):
            x, _, conf = estimator.estimate(empty, (2 + i) / 30)
            assert np.isnan(x).all() and (conf == 0).all()
        assert estimator.path_counts["none"] == 12
        assert 4 <= estimator.n_searches <= 8  # 3 in a row, then every 3rd frame


def test_large_runner_takes_the_unchanged_full_frame_path():
    calls: list[str] = []
    frames = [rectangle_frame(640, 480, 280 + 3 * i, 60, 60, 330) for i in range(5)]
    frames.append(np.zeros((480, 640, 3), np.uint8))  # lost for a frame: no search
    with fake_roi(calls) as estimator:
        for i, frame in enumerate(frames):
            got = estimator.estimate(frame, i / 30)
            want = RectangleFinder().estimate(frame, i / 30)
            for a, b in zip(got, want, strict=True):
                np.testing.assert_array_equal(a, b)
        assert estimator.path_counts == {"full": 5, "crop": 0, "none": 1}
        assert estimator.n_searches == 0
    assert set(calls) == {"full"}


def test_runner_shrinking_after_large_frames_switches_to_crop_after_the_grace():
    calls: list[str] = []
    with fake_roi(calls, lost_grace_frames=2) as estimator:
        estimator.estimate(rectangle_frame(640, 480, 280, 60, 60, 330), 0.0)
        small = rectangle_frame(640, 480, 300, 300, 15, 80)
        for i in range(4):
            x, y, _ = estimator.estimate(small, (1 + i) / 30)
            assert y.max() - y.min() == pytest.approx(80, abs=0.5)
        assert estimator.path_counts == {"full": 3, "crop": 2, "none": 0}


def test_skeleton_box_ignores_missing_points():
    assert skeleton_box(np.array([np.nan, np.nan]), np.array([np.nan, 1.0])) is None
    assert skeleton_box(np.array([1.0, 3.0, np.nan]), np.array([2.0, 6.0, 0.0])) == (2, 4, 2, 4)


# -- real MediaPipe on a rendered small runner ---------------------------------------

def _errors_over_height(est, frames, truth, body_height_px):
    """Per frame: median keypoint error / body height (left/right labels may swap)."""
    swap = [KEYPOINTS.index(k.replace("left", "X").replace("right", "left").replace("X", "right"))
            for k in KEYPOINTS]
    out = np.array([np.stack(est.estimate(f, i / 30)[:2], axis=1) for i, f in enumerate(frames)])
    e = np.linalg.norm(out - truth, axis=2)
    e_swapped = np.linalg.norm(out[:, swap] - truth, axis=2)
    return np.minimum(np.median(e, axis=1), np.median(e_swapped, axis=1)) / body_height_px


def test_small_rendered_runner_is_found_only_with_the_crop_path(tmp_path):
    from gait.pose import MediaPipePose
    from gait.roi import mediapipe_roi_pose
    from gait.video import iter_frames
    from synthetic.render_runner import make_clip

    body_px = 110.0
    path, run = make_clip(tmp_path, fps=30, direction=+1, treadmill=False, seconds=2.0,
                          frame_size=(1280, 720), body_height_px=body_px, speed_mps=4.5, seed=2)
    frames = [frame.rgb for frame in iter_frames(path)]
    truth = np.stack([run.xy(k) for k in KEYPOINTS], axis=1)
    with mediapipe_roi_pose() as roi:
        err_roi = _errors_over_height(roi, frames, truth, body_px)
        assert roi.path_counts["full"] == 0 and roi.path_counts["crop"] >= 0.9 * len(frames)
    with MediaPipePose() as plain:
        err_full = _errors_over_height(plain, frames, truth, body_px)
    good_roi = np.mean(np.nan_to_num(err_roi, nan=np.inf) < 0.10)
    good_full = np.mean(np.nan_to_num(err_full, nan=np.inf) < 0.10)
    assert good_roi >= 0.9, good_roi
    assert np.nanmedian(err_roi) < 0.05, np.nanmedian(err_roi)
    assert good_full <= good_roi - 0.4, (good_full, good_roi)


class MinimumSizeFinder(RectangleFinder):
    """Fake static estimator that sees the rectangle only when it is at least
    `min_fraction` of the image's height (a detector that misses small people), and
    records the image sizes it was given."""

    def __init__(self, sizes: list[int], min_fraction: float) -> None:
        super().__init__()
        self.sizes, self.min_fraction = sizes, min_fraction

    def estimate(self, rgb, time_s):
        self.sizes.append(rgb.shape[0])
        est = super().estimate(rgb, time_s)
        box = skeleton_box(est[0], est[1])
        if box is None or box[3] < self.min_fraction * rgb.shape[0]:
            return no_person()
        return est


def test_runner_too_small_for_the_coarse_tiles_is_found_on_the_fine_search():
    # a 100 px runner in a 1680×720 frame is 14 % of a 720 px tile, 21 % of a 480 px
    # one and 31 % of a 320 px one: a detector needing 25 % finds it only on the last
    # (and not on the whole frame either)
    sizes: list[int] = []

    def roi(**options):
        return RoiPose(lambda: MinimumSizeFinder([], 0.25), lambda: RectangleFinder(),
                       lambda: MinimumSizeFinder(sizes, 0.25), **options)

    empty = np.zeros((720, 1680, 3), np.uint8)
    runner = rectangle_frame(1680, 720, 900, 380, 20, 100)
    with roi() as estimator:
        for i in range(6):  # nobody: searched on frames 0, 1, 2 and (every 3rd) 5:
            estimator.estimate(empty, i / 30)  # searches 1 (fine), 2, 3 (coarse), 4 (fine)
        assert estimator.n_searches == 4
        assert sizes.count(320) == 2 * len(square_tiles(1680, 720, fraction=4 / 9))
        sizes.clear()
        found_at = next(i for i in range(6, 30)
                        if np.isfinite(estimator.estimate(runner, i / 30)[0]).all())
        x, y, _ = estimator.estimate(runner, 1.0)  # and then followed by the crop
        assert x == pytest.approx(np.full(N, 910), abs=0.3)
        assert y.max() == pytest.approx(480, abs=0.5)
        # found on the next fine search, the 7th (frame 14): searches 5 and 6 (frames 8
        # and 11) are coarse and miss it
        assert estimator.n_searches == 7 and found_at == 14, found_at
        assert 320 in sizes
    with roi(search_levels=(1.0, 2 / 3)) as coarse_only:
        for i in range(30):
            assert np.isnan(coarse_only.estimate(runner, i / 30)[0]).all()


def test_searches_thin_out_after_a_long_time_with_nobody():
    with fake_roi() as estimator:
        empty = np.zeros((720, 1680, 3), np.uint8)
        for i in range(200):
            estimator.estimate(empty, i / 30)
        # frames 1-3 each; then every 3rd frame up to frame 90 (6, 9, … 90: 29);
        # then every 6th (96, 102, … 198: 18)
        assert estimator.n_searches == 3 + 29 + 18
        assert estimator.path_counts["none"] == 200
