"""gait.render: the annotated clip is browser-ready H.264 with the drawing in it."""

from __future__ import annotations

import threading
from pathlib import Path

import av
import numpy as np
import pandas as pd
import pytest

from gait.keypoints import KEYPOINTS
from gait.posetrack import PoseTrack
from gait.render import LEFT_RGB, RIGHT_RGB, write_annotated_video
from gait.video import iter_frames
from synthetic.encode import encode_clip

GREY = 70


def write_grey_clip(path: Path, *, n_frames: int = 45, fps: int = 30, width_px: int = 320,
                    height_px: int = 240, times_s: np.ndarray | None = None) -> Path:
    pictures = (np.full((height_px, width_px, 3), GREY, np.uint8) for _ in range(n_frames))
    return encode_clip(path, pictures, fps=fps,
                       times_s=np.arange(n_frames) / fps if times_s is None else times_s)


# A standing figure; the left (near) leg is drawn at x≈130, the right (far) leg at x≈230.
FIGURE = {
    "nose": (180, 30), "left_ear": (175, 28), "right_ear": (185, 28),
    "left_shoulder": (130, 60), "right_shoulder": (230, 60),
    "left_elbow": (120, 90), "right_elbow": (240, 90),
    "left_wrist": (115, 115), "right_wrist": (245, 115),
    "left_hip": (130, 110), "right_hip": (230, 110),
    "left_knee": (130, 160), "right_knee": (230, 160),
    "left_ankle": (130, 205), "right_ankle": (230, 205),
    "left_heel": (120, 215), "right_heel": (220, 215),
    "left_toe": (150, 215), "right_toe": (250, 215),
}


def figure_track(times_s: np.ndarray, *, width_px: int = 320, height_px: int = 240,
                 offset_px: tuple[int, int] = (0, 0)) -> PoseTrack:
    n = len(times_s)
    x = np.tile([FIGURE[k][0] + offset_px[0] for k in KEYPOINTS], (n, 1)).astype(float)
    y = np.tile([FIGURE[k][1] + offset_px[1] for k in KEYPOINTS], (n, 1)).astype(float)
    return PoseTrack(time_s=np.asarray(times_s, float), x_px=x, y_px=y,
                     confidence=np.ones((n, len(KEYPOINTS))), frame_width_px=width_px,
                     frame_height_px=height_px)


def decode(path: Path) -> tuple[list[np.ndarray], np.ndarray, av.video.stream.VideoStream]:
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = list(container.decode(stream))
        info = (stream.codec_context.name, stream.codec_context.format.name,
                stream.width, stream.height)
    rgbs = [f.to_ndarray(format="rgb24") for f in frames]
    return rgbs, np.array([f.time for f in frames]), info


def _mean_rgb(rgb: np.ndarray, x: int, y: int, r: int = 1) -> np.ndarray:
    return rgb[y - r:y + r + 1, x - r:x + r + 1].reshape(-1, 3).mean(axis=0)


def test_output_is_browser_h264_with_same_frames_and_times(tmp_path):
    clip = write_grey_clip(tmp_path / "in.mp4")
    times = np.arange(45) / 30
    calls = []
    out = write_annotated_video(clip, tmp_path / "annotated.mp4", track=figure_track(times),
                                overlays=None, events=None, near_side="left",
                                progress=lambda *a: calls.append(a))
    assert out == tmp_path / "annotated.mp4"
    rgbs, out_times, (codec, pix_fmt, width, height) = decode(out)
    assert (codec, pix_fmt, width, height) == ("h264", "yuv420p", 320, 240)
    assert len(rgbs) == 45
    np.testing.assert_allclose(out_times, times, atol=1e-3)
    data = out.read_bytes()
    assert 0 < data.find(b"moov") < data.find(b"mdat")  # +faststart: index first
    assert calls[-1] == ("render", 1.0, 0.0)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["annotated.mp4", "in.mp4"]


def test_skeleton_is_drawn_near_bright_far_dim_left_right_coloured(tmp_path):
    clip = write_grey_clip(tmp_path / "in.mp4")
    out = write_annotated_video(clip, tmp_path / "a.mp4", track=figure_track(np.arange(45) / 30),
                                overlays=None, events=None, near_side="left")
    rgb = decode(out)[0][10]
    near_thigh = _mean_rgb(rgb, 130, 135)  # left hip→knee
    far_thigh = _mean_rgb(rgb, 230, 135)  # right hip→knee
    background = _mean_rgb(rgb, 180, 180, r=3)
    assert np.abs(background - GREY).max() < 6
    assert np.abs(near_thigh - LEFT_RGB).max() < 40  # bright orange
    assert far_thigh[2] > far_thigh[0] + 20  # blue-ish, not orange
    assert near_thigh.sum() > far_thigh.sum() + 100  # near is brighter than far
    assert far_thigh.max() < max(RIGHT_RGB) - 40  # far is dimmed


def test_missing_keypoints_are_not_drawn(tmp_path):
    clip = write_grey_clip(tmp_path / "in.mp4", n_frames=10)
    track = figure_track(np.arange(10) / 30)
    x = track.x_px.copy()
    x[:, KEYPOINTS.index("left_knee")] = np.nan
    out = write_annotated_video(clip, tmp_path / "a.mp4", track=track.with_arrays(x_px=x),
                                overlays=None, events=None, near_side="left")
    rgb = decode(out)[0][5]
    assert np.abs(_mean_rgb(rgb, 130, 135) - GREY).max() < 10  # no thigh line
    assert np.abs(_mean_rgb(rgb, 230, 135) - GREY).max() > 20  # the other thigh is there


def test_readouts_stride_counter_and_event_flash(tmp_path):
    clip = write_grey_clip(tmp_path / "in.mp4", n_frames=60, width_px=640, height_px=480)
    times = np.arange(60) / 30
    track = figure_track(times, width_px=640, height_px=480, offset_px=(200, 240))
    overlays = pd.DataFrame({"near_thigh_deg": np.linspace(-20, 30, 60),
                             "near_hip_deg": np.nan, "trunk_lean_deg": 5.0,
                             "unrelated": 1.0}, index=range(60))
    events = pd.DataFrame({"side": ["left", "right", "left"],
                           "event": ["foot_strike", "foot_strike", "toe_off"],
                           "time_s": [0.5, 1.0, 1.5]})
    plain = decode(write_annotated_video(clip, tmp_path / "plain.mp4", track=track,
                                         overlays=None, events=None, near_side="left"))[0]
    rgbs = decode(write_annotated_video(clip, tmp_path / "full.mp4", track=track,
                                        overlays=overlays, events=events, near_side="left"))[0]
    panel = (slice(0, 120), slice(0, 200))
    assert np.abs(plain[5][panel].astype(int) - GREY).max() < 10  # nothing there without data
    assert rgbs[5][panel].max() > 200 and rgbs[5][panel].min() < 45  # white text on shade
    # the read-out changes with the thigh angle, so the panel differs between frames
    assert np.abs(rgbs[5][panel].astype(int) - rgbs[50][panel]).max() > 100

    def flash_pixels(rgb):  # bright yellow in the top-right corner
        corner = rgb[:60, -260:].astype(int)
        return int(((corner[..., 0] > 200) & (corner[..., 1] > 180) & (corner[..., 2] < 120)).sum())

    assert flash_pixels(rgbs[15]) > 50  # left foot strike at 0.5 s (frame 15)
    assert flash_pixels(rgbs[45]) > 50  # toe-off at 1.5 s
    assert flash_pixels(rgbs[10]) == 0 and flash_pixels(rgbs[25]) == 0  # no event near


def test_variable_frame_rate_times_are_kept(tmp_path):
    steps = np.tile([1 / 30, 1 / 60, 0.05], 10)
    times = np.concatenate([[0.0], np.cumsum(steps)])
    clip = write_grey_clip(tmp_path / "vfr.mp4", n_frames=len(times), times_s=times)
    out = write_annotated_video(clip, tmp_path / "a.mp4", track=figure_track(times),
                                overlays=None, events=None, near_side="right")
    _, out_times, _ = decode(out)
    np.testing.assert_allclose(out_times, times, atol=1.5e-3)


def test_slow_motion_is_written_in_real_time(tmp_path):
    clip = write_grey_clip(tmp_path / "slow.mp4", n_frames=40, fps=30)
    real_times = np.array([f.time_s for f in iter_frames(clip, capture_fps=120)])
    out = write_annotated_video(clip, tmp_path / "a.mp4", track=figure_track(real_times),
                                overlays=None, events=None, near_side="left", capture_fps=120)
    np.testing.assert_allclose(decode(out)[1], np.arange(40) / 120, atol=1e-3)


def test_odd_frame_size_is_padded_to_even(tmp_path):
    clip = tmp_path / "odd.mkv"  # H.264 in yuv420p needs even sizes: write odd with VP9
    with av.open(str(clip), "w") as container:
        stream = container.add_stream("libvpx-vp9", rate=25)
        stream.width, stream.height, stream.pix_fmt = 161, 121, "yuv420p"
        for _ in range(10):
            for packet in stream.encode(av.VideoFrame.from_ndarray(
                    np.full((121, 161, 3), GREY, np.uint8), format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    out = write_annotated_video(clip, tmp_path / "a.mp4", track=figure_track(np.arange(10) / 25),
                                overlays=None, events=None, near_side="left")
    rgbs, _, (_, _, width, height) = decode(out)
    assert (width, height) == (162, 122) and len(rgbs) == 10


def test_nothing_half_written_on_error(tmp_path, monkeypatch):
    clip = write_grey_clip(tmp_path / "in.mp4", n_frames=30)
    monkeypatch.setattr("gait.progress.PROGRESS_INTERVAL_S", 0.0)  # report every frame

    def stop_half_way(stage, fraction, eta_s):
        if fraction >= 0.5:
            raise KeyboardInterrupt  # e.g. the user stopped the app mid-way

    with pytest.raises(KeyboardInterrupt):
        write_annotated_video(clip, tmp_path / "a.mp4", track=figure_track(np.arange(30) / 30),
                              overlays=None, events=None, near_side="left",
                              progress=stop_half_way)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.mp4"]


def test_stride_counter_follows_the_stride_table():
    """Video and stride table agree even when the engine dropped a stride."""
    import pandas as pd

    from gait.posetrack import PoseTrack
    from gait.render import FrameStyle, _Annotator

    events = pd.DataFrame({"side": ["right"] * 4, "event": ["foot_strike"] * 4,
                           "time_s": [0.0, 0.7, 1.4, 2.1]})
    strides = pd.DataFrame({"side": ["right", "right"], "stride": [1, 2],
                            "start_s": [0.0, 1.4], "end_s": [0.7, 2.1]})  # 0.7–1.4 dropped
    track = PoseTrack.empty(10, width_px=64, height_px=48)
    annotator = _Annotator(track=track, overlays=None, events=events, near_side="right",
                           style=FrameStyle(64, 48), strides=strides)
    assert annotator.stride_number(0.3) == 1
    assert annotator.stride_number(1.0) == 0  # not a kept stride
    assert annotator.stride_number(1.5) == 2
    without_table = _Annotator(track=track, overlays=None, events=events, near_side="right",
                               style=FrameStyle(64, 48))
    assert without_table.stride_number(1.5) == 3


def test_large_clips_are_written_at_most_1080_px_with_overlays_scaled(tmp_path):
    """A 2160×1200 clip comes out 1080×600 (aspect kept, even sizes), the skeleton drawn
    where the runner is in the smaller picture, lines as thick as on a small clip."""
    clip = write_grey_clip(tmp_path / "big.mp4", n_frames=10, width_px=2160, height_px=1200)
    small = figure_track(np.arange(10) / 30)
    track = small.with_arrays(x_px=small.x_px * 6.75, y_px=small.y_px * 5.0,
                              frame_width_px=2160, frame_height_px=1200)
    out = write_annotated_video(clip, tmp_path / "a.mp4", track=track, overlays=None,
                                events=None, near_side="left")
    rgbs, _, (_, _, width, height) = decode(out)
    assert (width, height) == (1080, 600) and len(rgbs) == 10
    # the figure is now at 3.375× / 2.5× its 320×240 place
    near_thigh = _mean_rgb(rgbs[5], round(130 * 3.375), round(135 * 2.5))
    assert np.abs(near_thigh - LEFT_RGB).max() < 40
    assert np.abs(_mean_rgb(rgbs[5], 700, 500, r=3) - GREY).max() < 6  # background


@pytest.mark.parametrize(("width_px", "height_px", "expected"), [
    (1920, 1080, (1080, 608)), (1080, 1920, (608, 1080)), (1280, 720, (1080, 608)),
    (720, 1280, (608, 1080)), (1080, 1080, (1080, 1080)), (161, 121, (162, 122)),
    (3840, 2160, (1080, 608))])
def test_output_size_keeps_the_aspect_with_even_sides(width_px, height_px, expected):
    from gait.render import output_size

    size, _ = output_size(width_px, height_px)
    assert size == expected
    assert abs(size[0] / size[1] - width_px / height_px) < 0.01


def test_parallel_render_equals_the_serial_one(tmp_path, monkeypatch):
    """Segments rendered on threads and joined: the same frames, timestamps and
    pictures as the serial render, nothing lost or repeated at the seams."""
    n_frames = 300
    times = np.arange(n_frames) / 30
    clip = write_grey_clip(tmp_path / "in.mp4", n_frames=n_frames)
    track = figure_track(times)
    x = track.x_px + np.linspace(0, 150, n_frames)[:, None]  # the figure walks right
    track = track.with_arrays(x_px=x)
    overlays = pd.DataFrame({"near_thigh_deg": np.linspace(-20, 30, n_frames)})
    events = pd.DataFrame({"side": ["left"] * 4, "event": ["foot_strike"] * 4,
                           "time_s": [1.0, 3.0, 5.0, 7.0]})
    kwargs = dict(track=track, overlays=overlays, events=events, near_side="left")
    serial = write_annotated_video(clip, tmp_path / "serial.mp4", workers=1, **kwargs)
    calls = []
    before = set(threading.enumerate())
    parallel = write_annotated_video(clip, tmp_path / "parallel.mp4", workers=2,
                                     progress=lambda *a: calls.append(a), **kwargs)
    serial_rgbs, serial_times, serial_info = decode(serial)
    rgbs, out_times, info = decode(parallel)
    assert info == serial_info == ("h264", "yuv420p", 320, 240)
    with av.open(str(parallel)) as container:
        pts = [f.pts for f in container.decode(video=0)]
    with av.open(str(serial)) as container:
        assert pts == [f.pts for f in container.decode(video=0)]
    assert len(rgbs) == n_frames and np.all(np.diff(pts) > 0)
    np.testing.assert_array_equal(out_times, serial_times)
    for a, b in zip(rgbs, serial_rgbs, strict=True):  # the same pictures, up to encoding
        assert np.abs(a.astype(int) - b).mean() < 2.0
    # each frame shows its own figure position: no frame from the wrong place
    def near_thigh_x(rgb):  # centre of the orange line on the thigh's row
        row = rgb[135].astype(int)
        return float(np.mean(np.flatnonzero((row[:, 0] > 180) & (row[:, 2] < 110))))

    expected_x = 130 + np.linspace(0, 150, n_frames)
    np.testing.assert_allclose([near_thigh_x(rgb) for rgb in rgbs], expected_x, atol=1.5)
    data = parallel.read_bytes()
    assert 0 < data.find(b"moov") < data.find(b"mdat")
    render = [fraction for stage, fraction, _ in calls if stage == "render"]
    assert render[-1] == 1.0 and render == sorted(render)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.mp4", "parallel.mp4", "serial.mp4"]
    assert render_threads(before) == []


def render_threads(besides) -> list[str]:
    """Names of the render segment threads alive now but for those in `besides` (running
    before the test: an app test's background job may still be rendering)."""
    return [t.name for t in threading.enumerate()
            if t.name.startswith("hipdrive-render-") and t not in besides]


def test_parallel_render_cancelled_leaves_nothing(tmp_path):
    clip = write_grey_clip(tmp_path / "in.mp4", n_frames=300)
    before = set(threading.enumerate())

    def cancel(stage, fraction, eta_s):
        if fraction > 0.2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_annotated_video(clip, tmp_path / "a.mp4", track=figure_track(np.arange(300) / 30),
                              overlays=None, events=None, near_side="left", workers=2,
                              progress=cancel)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.mp4"]
    assert render_threads(before) == []  # the other segment stopped before the call returned


def summary_at(capture_fps: float, *, near_side: str):
    """An analysis' summary holding what the renderer reads: the capture rate and the
    near side (the other figures are placeholders)."""
    from gait.result import AnalysisSummary
    from gait.summary import CleaningReport, Reliability

    return AnalysisSummary(
        capture_fps=capture_fps, duration_s=40 / capture_fps, cadence_spm=None,
        near_side=near_side, far_side="right" if near_side == "left" else "left",
        direction="left_to_right", treadmill=True, treadmill_source="", speed_mps=None,
        speed_source="", per_side={}, reliability=Reliability("reliable"),
        cleaning=CleaningReport(n_frames=40, frames_without_person=0, gated_fraction=0.0,
                                swap_repaired_frames=0, gap_filled_frames=0,
                                unfilled_frames=0, cutoff_hz=8.0))


def test_a_finished_analysis_is_drawn_at_the_capture_rate_it_was_made_with(tmp_path):
    """write_report_video takes the rate from the result (here a stated 120 fps slow-
    motion clip stored at 30 fps); the caller does not pass it again."""
    from types import SimpleNamespace

    from gait.render import REPORT_OVERLAYS, write_report_video

    clip = write_grey_clip(tmp_path / "slow.mp4", n_frames=40, fps=30)
    real_times = np.array([f.time_s for f in iter_frames(clip, capture_fps=120)])
    frames = pd.DataFrame({"frame": np.arange(40),
                           **{column: np.full(40, 10.0) for column in REPORT_OVERLAYS}})
    analysis = SimpleNamespace(track=figure_track(real_times), frames=frames, events=None,
                               strides=None, summary=summary_at(120.0, near_side="left"),
                               video_info=None)
    out = write_report_video(analysis, clip, tmp_path / "a.mp4", workers=1)
    np.testing.assert_allclose(decode(out)[1], np.arange(40) / 120, atol=1e-3)


def test_the_clip_is_not_probed_again_when_the_result_describes_it(tmp_path, monkeypatch):
    """The result carries the clip as the analysis read it (VideoInfo at the analysis'
    capture rate): the renderer uses that and does not probe the file again; for another
    file (e.g. a result made on a Ray worker) it probes."""
    from types import SimpleNamespace

    import gait.render
    from gait.render import REPORT_OVERLAYS, write_report_video
    from gait.video import probe_video

    clip = write_grey_clip(tmp_path / "slow.mp4", n_frames=40, fps=30)
    info = probe_video(clip, min_duration_s=0).at_capture_rate(120.0)
    assert info == probe_video(clip, capture_fps=120, min_duration_s=0)  # as probed at 120
    real_times = np.array([f.time_s for f in iter_frames(clip, capture_fps=120)])
    frames = pd.DataFrame({"frame": np.arange(40),
                           **{column: np.full(40, 10.0) for column in REPORT_OVERLAYS}})
    analysis = SimpleNamespace(track=figure_track(real_times), frames=frames, events=None,
                               strides=None, summary=summary_at(120.0, near_side="left"),
                               video_info=info)
    probed = []
    monkeypatch.setattr(gait.render, "probe_video",
                        lambda *a, **k: probed.append(a) or probe_video(*a, **k))
    out = write_report_video(analysis, clip, tmp_path / "a.mp4", workers=1)
    np.testing.assert_allclose(decode(out)[1], np.arange(40) / 120, atol=1e-3)
    assert probed == []
    copy = tmp_path / "copy.mp4"
    copy.write_bytes(clip.read_bytes())
    out = write_report_video(analysis, copy, tmp_path / "b.mp4", workers=1)
    np.testing.assert_allclose(decode(out)[1], np.arange(40) / 120, atol=1e-3)
    assert len(probed) == 1


def test_a_levelled_picture_shows_the_true_vertical_through_the_pelvis(tmp_path):
    """`plumb_lean_deg` draws a dashed white line through the pelvis along the true
    vertical: bright pixels lie along the leaning line (above the head, where nothing
    else is drawn), not along the picture's vertical; without it nothing is there."""
    clip = write_grey_clip(tmp_path / "in.mp4", n_frames=10, width_px=640, height_px=480)
    times = np.arange(10) / 30
    track = figure_track(times, width_px=640, height_px=480, offset_px=(140, 200))
    pelvis = np.array([180.0 + 140, 110.0 + 200])
    lean = 12.0
    kw = {"track": track, "overlays": None, "events": None, "near_side": "left"}
    plain = decode(write_annotated_video(clip, tmp_path / "plain.mp4", **kw))[0]
    plumb = decode(write_annotated_video(clip, tmp_path / "plumb.mp4", **kw,
                                         plumb_lean_deg=np.full(10, lean)))[0]

    def brightness_along(rgb, lean_deg):  # mean of the brightest pixel near each point
        up = -np.array([np.sin(np.radians(lean_deg)), np.cos(np.radians(lean_deg))])
        values = []
        for distance in range(130, 200, 4):  # above the figure's head
            x, y = np.round(pelvis + distance * up).astype(int)
            values.append(rgb[y - 2:y + 3, x - 2:x + 3].max())
        return float(np.mean(values))

    assert brightness_along(plain[5], lean) < GREY + 15
    assert brightness_along(plumb[5], lean) > 150
    assert brightness_along(plumb[5], 0.0) < GREY + 15


def test_frames_of_another_shot_say_they_are_not_analysed():
    """A clip with cuts is analysed on one shot (gait.shots): the annotated video marks
    the other shots' frames, whose skeleton is blank, as not analysed."""
    from gait.render import FrameStyle, _Annotator

    track = figure_track(np.arange(4) / 30)
    outside = np.array([True, True, False, False])
    track = track.with_arrays(flags={"outside_shot": outside})
    events = pd.DataFrame({"side": ["left"], "event": ["toe_off"], "time_s": [0.0]})
    annotator = _Annotator(track=track, overlays=None, events=events, near_side="left",
                           style=FrameStyle(320, 240))
    bands, corners = [], []
    for i in range(4):
        canvas = np.full((240, 320, 3), 128, np.uint8)
        annotator.draw(canvas, i, i / 30)
        bands.append(canvas[-20:].astype(int))
        corners.append(canvas[:20, -60:].astype(int))
    assert all((band < 100).mean() > 0.5 for band in bands[:2])  # the shaded band
    assert all((band == 128).all() for band in bands[2:])
    # an event flashing on into another shot's frames is not shown there
    assert (corners[0] == 128).all() and (corners[2] != 128).any()


def test_an_event_label_never_outlasts_half_the_way_to_that_foots_next_event():
    """At 25 fps a strike's 0.2 s label outlasted a 0.155 s contact and circled the foot
    as it left the ground: a label stays up FLASH_S, but at most half-way to the same
    foot's next event; the other foot's events do not shorten it."""
    from gait.render import _event_table, flash_until_s
    from gait.render_draw import FLASH_S

    events = _event_table(pd.DataFrame({
        "side": ["left", "right", "left", "left"],
        "event": ["foot_strike", "toe_off", "toe_off", "foot_strike"],
        "time_s": [2.425, 2.45, 2.58, 3.1]}))
    until = flash_until_s(events)
    assert until[0] == pytest.approx(2.425 + 0.155 / 2)  # strike: half its contact
    assert until[1] == pytest.approx(2.45 + FLASH_S)  # the right foot's last event
    assert until[2] == pytest.approx(2.58 + FLASH_S)  # a long swing: the full FLASH_S
    assert until[3] == pytest.approx(3.1 + FLASH_S)
