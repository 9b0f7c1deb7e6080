"""gait.render_follow: the annotated video of a small runner follows him, enlarged, with
the skeleton drawn where his body lands."""

from __future__ import annotations

import numpy as np
import pytest
from test_render import FIGURE, GREY, _mean_rgb, decode, figure_track, write_grey_clip

from gait.keypoints import KEYPOINTS
from gait.render import LEFT_RGB, write_annotated_video
from gait.render_follow import WINDOW_SKELETONS, follow_crop

SKELETON_PX = max(v[1] for v in FIGURE.values()) - min(v[1] for v in FIGURE.values())  # 187


def moving_figure(n_frames: int, *, step_px: float, width_px: int = 1280,
                  height_px: int = 720, start=(100, 300)):
    """The test figure crossing a wide frame `step_px` to the right per frame."""
    track = figure_track(np.arange(n_frames) / 30, width_px=width_px, height_px=height_px)
    shift = start[0] + step_px * np.arange(n_frames)[:, None]
    return track.with_arrays(x_px=track.x_px + shift, y_px=track.y_px + start[1])


def test_a_large_runner_is_not_followed():
    track = figure_track(np.arange(10) / 30)  # 187 of 240 px
    assert follow_crop(track, out_size_px=(320, 240), fps=30) is None


def test_the_windows_keep_the_small_runner_in_view_inside_the_frame():
    track = moving_figure(60, step_px=12.0)  # 187 of 720 px, crossing at 360 px/s
    follow = follow_crop(track, out_size_px=(1080, 608), fps=30)
    assert follow is not None
    assert follow.height_px == pytest.approx(WINDOW_SKELETONS * SKELETON_PX)
    assert follow.width_px / follow.height_px == pytest.approx(1280 / 720)
    assert follow.scale == pytest.approx(1080 / follow.width_px)
    assert follow.zoom == pytest.approx(1280 / follow.width_px)  # ×2.2 closer
    assert (follow.x0_px >= 0).all() and (follow.x0_px + follow.width_px <= 1280 + 1e-9).all()
    assert (follow.y0_px >= 0).all() and (follow.y0_px + follow.height_px <= 720 + 1e-9).all()
    inside_x = ((track.x_px >= follow.x0_px[:, None])
                & (track.x_px <= follow.x0_px[:, None] + follow.width_px))
    inside_y = ((track.y_px >= follow.y0_px[:, None])
                & (track.y_px <= follow.y0_px[:, None] + follow.height_px))
    assert inside_x.all() and inside_y.all()
    assert np.all(np.diff(follow.x0_px) >= -1e-9)  # moves with him, never back


def test_frames_without_the_runner_hold_the_window():
    track = moving_figure(40, step_px=5.0)
    conf = track.confidence.copy()
    conf[15:25] = 0.0  # lost for 10 frames
    conf[:3] = 0.0  # and before he is found
    follow = follow_crop(track.with_arrays(confidence=conf), out_size_px=(1080, 608), fps=30)
    assert np.isfinite(follow.x0_px).all() and np.isfinite(follow.y0_px).all()
    assert np.abs(np.diff(follow.x0_px)).max() <= 5.0 + 1e-9  # no jump through the gap


def test_a_clip_shorter_than_the_smoothing_keeps_one_window_per_frame():
    follow = follow_crop(moving_figure(6, step_px=10.0, start=(600, 300)), out_size_px=(1080, 608),
                         fps=30)
    assert len(follow.x0_px) == len(follow.y0_px) == 6  # smoothing spans 15 frames
    assert np.all(np.diff(follow.x0_px) > 0)


def test_the_picture_and_the_keypoints_land_on_the_same_output_pixel():
    track = moving_figure(5, step_px=20.0)
    follow = follow_crop(track, out_size_px=(1080, 608), fps=30)
    hip = KEYPOINTS.index("left_hip")
    drawn = follow.track_in_output(track)
    for i in range(5):
        rgb = np.zeros((720, 1280, 3), np.uint8)
        x, y = track.x_px[i, hip], track.y_px[i, hip]
        rgb[int(y) - 1:int(y) + 2, int(x) - 1:int(x) + 2] = 255  # pixel centres (x, y) ± 1
        out = follow.picture(rgb, i).astype(float)[..., 0]
        ys, xs = np.indices(out.shape)
        u, v = (out * xs).sum() / out.sum(), (out * ys).sum() / out.sum()
        # the dot's centre is at pixel (int(x), int(y)) + 0.5 in the picture's continuous
        # coordinates; warpAffine puts source pixel k at output pixel k·s + offset
        s = follow.scale
        expect_u = (int(x) - follow.x0_px[i]) * s
        expect_v = (int(y) - follow.y0_px[i]) * s
        assert (u, v) == (pytest.approx(expect_u, abs=1.0), pytest.approx(expect_v, abs=1.0))
        assert drawn.x_px[i, hip] == pytest.approx((x - follow.x0_px[i]) * s)
    assert (drawn.frame_width_px, drawn.frame_height_px) == (1080, 608)


def test_the_annotated_video_of_a_small_runner_is_zoomed_on_him(tmp_path):
    n = 30
    clip = write_grey_clip(tmp_path / "wide.mp4", n_frames=n, width_px=1280, height_px=720)
    track = moving_figure(n, step_px=10.0)
    out = write_annotated_video(clip, tmp_path / "a.mp4", track=track, overlays=None,
                                events=None, near_side="left")
    rgbs, _, (_, _, width, height) = decode(out)
    assert (width, height) == (1080, 608)
    follow = follow_crop(track, out_size_px=(1080, 608), fps=30)
    drawn = follow.track_in_output(track)
    hip, knee = KEYPOINTS.index("left_hip"), KEYPOINTS.index("left_knee")
    for i in (5, 20):
        rgb = rgbs[i]
        mid_x = int(round((drawn.x_px[i, hip] + drawn.x_px[i, knee]) / 2))
        mid_y = int(round((drawn.y_px[i, hip] + drawn.y_px[i, knee]) / 2))
        assert np.abs(_mean_rgb(rgb, mid_x, mid_y) - LEFT_RGB).max() < 40  # the near thigh
    # the note at the bottom right is shaded, the grey elsewhere untouched
    assert _mean_rgb(rgbs[10], 1070, 598, r=3).mean() < GREY - 20
    assert np.abs(_mean_rgb(rgbs[10], 540, 560, r=3) - GREY).max() < 8


def test_the_parallel_render_follows_him_as_the_serial_one_does(tmp_path):
    n = 300  # long enough to be rendered by segments on two threads
    clip = write_grey_clip(tmp_path / "wide.mp4", n_frames=n, width_px=1280, height_px=720)
    track = moving_figure(n, step_px=3.0)
    serial = write_annotated_video(clip, tmp_path / "serial.mp4", track=track, overlays=None,
                                   events=None, near_side="left", workers=1)
    parallel = write_annotated_video(clip, tmp_path / "parallel.mp4", track=track,
                                     overlays=None, events=None, near_side="left", workers=2)
    serial_rgbs, serial_times, _ = decode(serial)
    rgbs, times, _ = decode(parallel)
    np.testing.assert_array_equal(times, serial_times)
    for a, b in zip(rgbs, serial_rgbs, strict=True):  # each frame its own window
        assert np.abs(a.astype(int) - b).mean() < 2.0
