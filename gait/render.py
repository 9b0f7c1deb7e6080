"""Annotated video: skeleton, live angle read-outs, stride counter and event flashes.

Writes browser-playable H.264 MP4 with PyAV (libx264, yuv420p, preset veryfast with the
cheapest sub-pixel and motion search (X264_PARAMS), crf 23, `+faststart`). Frames are
re-decoded with `gait.video.iter_frames`, so they are upright and carry the same real
times (seconds) as the pose track: frame i of the clip is row i of the track and of
`overlays`. Output timestamps are those real times, so a variable-frame-rate clip stays
variable and a slow-motion clip plays back in real time. The output's long side is at
most MAX_LONG_SIDE_PX (browsers and phones play it smoothly; frames are scaled while
decoding, and the overlays drawn at the output size so lines and text keep their size);
smaller odd frame sizes are padded by one black pixel row/column (H.264 in yuv420p needs
even sizes). Long clips are rendered by segments on parallel threads and joined
(`gait.render_segments`).

Colours: the runner's left side orange, right side blue; the near side is drawn
bright and thick, the far side dim and thin. Drawing is on RGB arrays.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pandas as pd

from gait.feet import pelvis_xy_px
from gait.level import LEVELLED_NOTE_DEG, lean_deg
from gait.posetrack import PoseTrack
from gait.progress import Progress, ProgressThrottle
from gait.render_draw import (  # noqa: F401 — the colours and labels are gait.render's API
    CROSS_RGB,
    EVENT_LABELS,
    FLASH_RGB,
    FLASH_S,
    LEFT_RGB,
    OVERLAY_LABELS,
    RIGHT_RGB,
    TEXT_RGB,
    FrameStyle,
    _point,
    draw_flash,
    draw_not_analysed,
    draw_panel,
    draw_plumb_line,
    draw_skeleton,
    draw_zoom_note,
)
from gait.render_follow import FollowCrop, follow_crop
from gait.shots import frames_in_shot
from gait.video import VideoInfo, iter_frames, probe_video

TIME_BASE = Fraction(1, 90_000)  # output timestamps in 1/90 000 s


def _overlay_arrays(overlays: pd.DataFrame | None, n_frames: int) -> dict[str, np.ndarray]:
    """Known read-out columns as float arrays by frame number (NaN where missing)."""
    if overlays is None:
        return {}
    out = {}
    for column in OVERLAY_LABELS:
        if column in overlays.columns:
            values = pd.to_numeric(overlays[column], errors="coerce")
            values = values[~values.index.duplicated()]
            out[column] = values.reindex(range(n_frames)).to_numpy(dtype=float)
    return out


def _event_table(events: pd.DataFrame | None) -> pd.DataFrame:
    columns = ["side", "event", "time_s"]
    if events is None or events.empty or not set(columns) <= set(events.columns):
        return pd.DataFrame(columns=columns)
    return events.sort_values("time_s")[columns].reset_index(drop=True)


FLASH_SHARE_OF_GAP = 0.5  # an event's label stays up at most this share of the way to the
# same foot's next event


def flash_until_s(events: pd.DataFrame) -> np.ndarray:
    """Per event of `_event_table(events)`: until when its label stays up. FLASH_S, but at
    most half-way to the same foot's next event: at 25 fps a 0.2 s strike label outlasted
    a 0.155 s contact and still circled the foot as it left the ground."""
    times = events["time_s"].to_numpy(dtype=float)
    until = times + FLASH_S
    for side in events["side"].unique():
        rows = np.flatnonzero((events["side"] == side).to_numpy())
        gaps = np.diff(times[rows])
        until[rows[:-1]] = np.minimum(until[rows[:-1]], times[rows[:-1]]
                                      + FLASH_SHARE_OF_GAP * gaps)
    return until


def _foot_xy(track: PoseTrack, i: int, side: str) -> tuple[int, int] | None:
    for part in ("ankle", "heel", "toe"):
        name = f"{side}_{part}"
        if i < track.n_frames and name in track.keypoints:
            j = track.column(name)
            p = _point(track.x_px[i, j], track.y_px[i, j])
            if p is not None:
                return p
    return None


def _even(n: int) -> int:
    return n + (n % 2)


class _Annotator:
    """Draws everything for frame i at real time t (seconds) onto an RGB canvas."""

    def __init__(self, *, track: PoseTrack, overlays: pd.DataFrame | None,
                 events: pd.DataFrame | None, near_side: str, style: FrameStyle,
                 strides: pd.DataFrame | None = None,
                 plumb_lean_deg: np.ndarray | None = None,
                 zoom: float | None = None) -> None:
        self.track = track
        self.zoom = zoom
        self.in_shot = frames_in_shot(track)
        self.plumb_lean_deg = plumb_lean_deg
        self.pelvis_px = pelvis_xy_px(track) if plumb_lean_deg is not None else None
        self.near_side = near_side
        self.style = style
        self.readouts = _overlay_arrays(overlays, track.n_frames)
        self.events = _event_table(events)
        self.event_times_s = self.events["time_s"].to_numpy(dtype=float)
        self.flash_until_s = flash_until_s(self.events)
        near_strikes = (self.events["event"] == "foot_strike") & (self.events["side"] == near_side)
        self.strike_times_s = self.events.loc[near_strikes, "time_s"].to_numpy(dtype=float)
        self.near_strides = (None if strides is None
                             else strides[strides["side"] == near_side].reset_index(drop=True))

    def stride_number(self, time_s: float) -> int | None:
        """The near leg's stride number at time_s: from the stride table when given
        (0 = outside a kept stride), else the count of near foot strikes so far."""
        if self.near_strides is not None:
            inside = self.near_strides[(self.near_strides["start_s"] <= time_s + 1e-9)
                                       & (self.near_strides["end_s"] > time_s)]
            return int(inside["stride"].iloc[0]) if len(inside) else 0
        if not len(self.events):
            return None
        return int(np.searchsorted(self.strike_times_s, time_s + 1e-9))

    def draw(self, canvas: np.ndarray, i: int, time_s: float) -> None:
        track = self.track
        if self.plumb_lean_deg is not None and i < min(track.n_frames, len(self.plumb_lean_deg)):
            draw_plumb_line(canvas, (float(self.pelvis_px[0][i]), float(self.pelvis_px[1][i])),
                            float(self.plumb_lean_deg[i]), style=self.style)
        if i < track.n_frames:
            draw_skeleton(canvas, track.x_px[i], track.y_px[i], keypoints=track.keypoints,
                          near_side=self.near_side, style=self.style)
        if self.zoom is not None:
            draw_zoom_note(canvas, self.zoom, style=self.style)
        # a clip with cuts: a frame of another shot than the one analysed
        another_shot = i < track.n_frames and not self.in_shot[i]
        if another_shot:
            draw_not_analysed(canvas, style=self.style)
        values = {c: float(a[i]) if i < len(a) else math.nan for c, a in self.readouts.items()}
        stride = self.stride_number(time_s)
        if values or stride is not None:
            draw_panel(canvas, values, near_side=self.near_side, stride=stride, style=self.style)
        recent = np.flatnonzero((self.event_times_s <= time_s + 1e-9)
                                & (self.flash_until_s > time_s))
        if len(recent) and not another_shot:
            row = self.events.iloc[recent[-1]]
            draw_flash(canvas, row["event"], row["side"], _foot_xy(track, i, row["side"]),
                       style=self.style)


MAX_LONG_SIDE_PX = 1080  # browser-friendly output: the long side at most this


def output_size(width_px: int, height_px: int, *, max_long_px: int = MAX_LONG_SIDE_PX
                ) -> tuple[tuple[int, int], bool]:
    """((width, height), scaled) of the output for an upright clip of that size: even
    sizes (H.264 in yuv420p), the long side at most `max_long_px`, aspect kept (to the
    nearest even pixel). Not scaled: odd sizes are padded by one black row/column."""
    long_px = max(width_px, height_px)
    if long_px <= max_long_px:
        return (_even(width_px), _even(height_px)), False
    scale = max_long_px / long_px
    return (max(2, 2 * round(width_px * scale / 2)), max(2, 2 * round(height_px * scale / 2))), True


def scaled_track(track: PoseTrack, *, width_px: int, height_px: int) -> PoseTrack:
    """The track in the pixels of a (width_px, height_px) picture of the same frame."""
    sx, sy = width_px / track.frame_width_px, height_px / track.frame_height_px
    if sx == 1 and sy == 1:
        return track
    return track.with_arrays(x_px=track.x_px * sx, y_px=track.y_px * sy,
                             frame_width_px=width_px, frame_height_px=height_px)


# Sub-pixel refinement 1 and diamond motion search instead of veryfast's 2 and hexagon:
# measured on 600-frame clips (rendered 720p and portrait, a real treadmill clip),
# 20–25 % less x264 CPU time for 6–10 % larger files at the same quality (PSNR within
# 0.13 dB at the same crf).
X264_PARAMS = "subme=1:me=dia"


def open_h264(path: Path, *, format_name: str, capture_fps: float | Fraction,
              size_px: tuple[int, int], b_frames: bool = True,
              options: dict[str, str] | None = None, threads: int | None = None,
              crf: int = 23):
    """(container, stream) writing H.264 yuv420p, preset veryfast with X264_PARAMS,
    quality `crf`, timestamps in TIME_BASE: the one H.264 writer (annotated videos, live
    recordings). Without `b_frames`, decode order = display order (segments join
    simply). `threads`: encoder threads (None: x264's choice, about 1.5 per CPU)."""
    container = av.open(str(path), "w", format=format_name, options=options or {})
    stream = container.add_stream("libx264", rate=Fraction(capture_fps).limit_denominator(1001))
    stream.width, stream.height = size_px
    stream.pix_fmt = "yuv420p"
    stream.codec_context.time_base = TIME_BASE  # fine enough for any real time
    stream.time_base = TIME_BASE
    stream.options = {"preset": "veryfast", "x264-params": X264_PARAMS, "crf": str(crf),
                      **({} if b_frames else {"bf": "0"}),
                      **({} if threads is None else {"threads": str(threads)})}
    return container, stream


def encode_frames(frames, *, container, stream, annotator: _Annotator,
                  size_px: tuple[int, int], last_pts: int = -1,
                  on_frame: Callable[[int], None] | None = None,
                  follow: FollowCrop | None = None) -> int:
    """Draw and encode `frames` (VideoFrame, already at the output size or smaller: padded;
    with `follow`, at the clip's size, each cut to its window and enlarged);
    output pts = real time in TIME_BASE, kept strictly increasing from `last_pts`.
    Returns the last pts. Does not flush the encoder."""
    width_px, height_px = size_px
    for n_done, frame in enumerate(frames, start=1):
        canvas = frame.rgb if follow is None else follow.picture(frame.rgb, frame.index)
        if canvas.shape[:2] != (height_px, width_px):  # pad odd sizes
            canvas = np.zeros((height_px, width_px, 3), np.uint8)
            canvas[: frame.rgb.shape[0], : frame.rgb.shape[1]] = frame.rgb
        annotator.draw(canvas, frame.index, frame.time_s)
        # OpenCV's RGB→I420 is BT.601 limited range like swscale's, ~5× faster.
        out_frame = av.VideoFrame.from_ndarray(cv2.cvtColor(canvas, cv2.COLOR_RGB2YUV_I420),
                                               format="yuv420p")
        last_pts = max(round(frame.time_s / TIME_BASE), last_pts + 1)
        out_frame.pts, out_frame.time_base = last_pts, TIME_BASE
        for packet in stream.encode(out_frame):
            container.mux(packet)
        if on_frame is not None:
            on_frame(n_done)
    return last_pts


def write_annotated_video(
    video_path: str | Path,
    out_path: str | Path,
    *,
    track: PoseTrack,
    overlays: pd.DataFrame | None,
    events: pd.DataFrame | None,
    capture_fps: float | None = None,
    info: VideoInfo | None = None,
    near_side: str,
    progress: Progress | None = None,
    strides: pd.DataFrame | None = None,
    workers: int | None = None,
    plumb_lean_deg: np.ndarray | None = None,
) -> Path:
    """Write the annotated clip to `out_path` (H.264 MP4) and return its path.

    The output's long side is at most MAX_LONG_SIDE_PX (see `output_size`); skeleton and
    text are drawn at the output size. With `strides` (the analysis' stride table) the
    counter shows the number of the near leg's stride in that table, so video and table
    agree.

    `overlays` is indexed by frame number; the columns in OVERLAY_LABELS that it has
    are shown (NaN as a dash). `events` has columns side, event ("foot_strike" /
    "toe_off") and time_s; each event is flashed for FLASH_S (at most half-way to the same
    foot's next event: `flash_until_s`) and the near side's
    foot strikes so far give the stride counter. `capture_fps` must be the value
    the track was made with so that times match; `info` (the clip as the analysis
    probed it, at that rate) spares a second probe of the file. Progress is reported as
    `progress("render", fraction_done, eta_s)`. Nothing is left at `out_path` (or
    beside it) if writing fails. `workers`: threads (`gait.segments.default_workers`
    when None; 1 = in this thread); long clips are rendered by segments in parallel
    (`gait.render_segments`). `plumb_lean_deg` (per frame, deg, + = lower end to the
    right): a dashed line through the pelvis along the true vertical (`gait.level`).
    """
    from gait.render_segments import render_parallel
    from gait.segments import resolve_workers

    out_path = Path(out_path)
    if info is None:
        info = probe_video(video_path, capture_fps=capture_fps, min_duration_s=0.0,
                           max_size_bytes=2**62)
    size_px, scaled = output_size(info.width_px, info.height_px)
    follow = follow_crop(track, out_size_px=size_px, fps=float(info.capture_fps))
    if follow is not None:  # a small runner: each frame a window around him, enlarged
        drawn, decode_size_px = follow.track_in_output(track), None
    else:
        drawn = scaled_track(track, width_px=size_px[0] if scaled else info.width_px,
                             height_px=size_px[1] if scaled else info.height_px)
        decode_size_px = size_px if scaled else None
    scene = Scene(track=drawn, overlays=overlays, events=events, near_side=near_side,
                  strides=strides, size_px=size_px, decode_size_px=decode_size_px,
                  plumb_lean_deg=plumb_lean_deg, follow=follow)
    # per process and thread: two analyses in one app process may render the same clip
    tmp_path = out_path.with_name(
        f".{out_path.stem}.{os.getpid()}.{threading.get_ident()}.partial.mp4")
    try:
        if not render_parallel(video_path, tmp_path, info=info, scene=scene,
                               workers=resolve_workers(workers), progress=progress):
            _render_serial(video_path, tmp_path, info=info, scene=scene, progress=progress)
        if progress is not None:  # before the move: a cancel here still leaves nothing
            progress("render", 1.0, 0.0)
        os.replace(tmp_path, out_path)
    finally:
        tmp_path.unlink(missing_ok=True)
    return out_path


@dataclass(frozen=True)
class Scene:
    """What to draw, at the output size: the track already in output pixels;
    `decode_size_px` is the size frames are decoded at (None: as stored, then padded)."""

    track: PoseTrack
    overlays: pd.DataFrame | None
    events: pd.DataFrame | None
    near_side: str
    strides: pd.DataFrame | None
    size_px: tuple[int, int]
    decode_size_px: tuple[int, int] | None
    plumb_lean_deg: np.ndarray | None = None  # per frame: the true vertical's lean
    follow: FollowCrop | None = None  # a small runner: the windows that follow him

    def annotator(self) -> _Annotator:
        return _Annotator(track=self.track, overlays=self.overlays, events=self.events,
                          near_side=self.near_side, style=FrameStyle(*self.size_px),
                          strides=self.strides, plumb_lean_deg=self.plumb_lean_deg,
                          zoom=None if self.follow is None else self.follow.zoom)


def _render_serial(video_path: str | Path, out_path: Path, *, info, scene: Scene,
                   progress: Progress | None) -> None:
    throttle = ProgressThrottle(progress, "render", info.n_frames_estimate)
    container, stream = open_h264(out_path, format_name="mp4", capture_fps=info.capture_fps,
                                  size_px=scene.size_px, options={"movflags": "+faststart"})
    with container:
        encode_frames(iter_frames(video_path, info=info, size_px=scene.decode_size_px),
                      container=container, stream=stream, annotator=scene.annotator(),
                      size_px=scene.size_px, on_frame=throttle.update, follow=scene.follow)
        for packet in stream.encode():
            container.mux(packet)


REPORT_OVERLAYS = ["near_thigh_deg", "near_hip_deg", "near_knee_deg", "trunk_lean_deg"]


def write_report_video(report, video_path: str | Path, out_path: str | Path, *,
                       progress: Progress | None = None, workers: int | None = None) -> Path:
    """The annotated video of a finished analysis (gait.pipeline.GaitReport), drawn at the
    capture rate its track was made with (`summary.capture_fps`: the one stated, the
    clip's own, or a guessed slow-motion rate), so that frame times always match; the
    caller never passes it again. The clip is not probed again when the report holds
    its `video_info` for this same file (an analysis run here, not one shipped from
    another machine). `workers` as `write_annotated_video`."""
    capture_fps = report.summary.capture_fps
    info = report.video_info
    if info is not None and not _same_file(info.path, video_path):
        info = None
    return write_annotated_video(
        video_path, out_path, track=report.track,
        overlays=report.frames.set_index("frame")[REPORT_OVERLAYS], events=report.events,
        capture_fps=capture_fps, info=info, near_side=report.summary.near_side,
        progress=progress, strides=report.strides, workers=workers,
        plumb_lean_deg=plumb_line_leans(report))


def plumb_line_leans(report) -> np.ndarray | None:
    """Per frame, the lean of the true vertical at the runner's pelvis when the analysis
    levelled the picture enough to say so in its quality notes (else None: no line)."""
    summary = report.summary
    levelled_by = summary.geometry.levelled_by_deg
    vertical = summary.video.true_vertical if summary.video else None
    if vertical is None or levelled_by is None or abs(levelled_by) < LEVELLED_NOTE_DEG:
        return None
    return lean_deg(vertical, *pelvis_xy_px(report.track))


def _same_file(a: str | Path, b: str | Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False
