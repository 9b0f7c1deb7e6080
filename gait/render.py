"""Annotated video: skeleton, live angle read-outs, stride counter and event flashes.

Writes browser-playable H.264 MP4 with PyAV (libx264, yuv420p, preset veryfast,
crf 23, `+faststart`). Frames are re-decoded with `gait.video.iter_frames`, so they
are upright and carry the same real times (seconds) as the pose track: frame i of
the clip is row i of the track and of `overlays`. Output timestamps are those real
times, so a variable-frame-rate clip stays variable and a slow-motion clip plays
back in real time. Odd frame sizes are padded by one black pixel row/column
(H.264 in yuv420p needs even sizes).

Colours: the runner's left side orange, right side blue; the near side is drawn
bright and thick, the far side dim and thin. Drawing is on RGB arrays.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pandas as pd

from gait.keypoints import SKELETON_EDGES
from gait.pose import ProgressThrottle
from gait.posetrack import PoseTrack
from gait.video import iter_frames, probe_video

Progress = Callable[[str, float, float | None], None]

LEFT_RGB = (255, 150, 40)
RIGHT_RGB = (40, 170, 255)
CROSS_RGB = (235, 235, 235)
FAR_DIM = 0.5  # brightness factor of the far side
TEXT_RGB = (255, 255, 255)
FLASH_RGB = (255, 235, 60)
FLASH_S = 0.2  # how long an event label stays up, real seconds
TIME_BASE = Fraction(1, 90_000)  # output timestamps in 1/90 000 s
# Read-outs drawn when the column is in `overlays`, in this order.
OVERLAY_LABELS: dict[str, str] = {
    "near_thigh_deg": "Thigh",
    "near_hip_deg": "Hip (trunk-thigh)",
    "near_knee_deg": "Knee flexion",
    "near_shank_deg": "Shank",
    "trunk_lean_deg": "Trunk lean",
}
EVENT_LABELS = {"foot_strike": "Foot strike", "toe_off": "Toe off"}
_FONT = cv2.FONT_HERSHEY_SIMPLEX


def _side_colour(side: str, *, near_side: str) -> tuple[int, int, int]:
    rgb = LEFT_RGB if side == "left" else RIGHT_RGB
    if side != near_side:
        rgb = tuple(int(c * FAR_DIM) for c in rgb)
    return rgb


class FrameStyle:
    """Sizes that scale with the frame (short side 1080 px → font scale 1.2)."""

    def __init__(self, width_px: int, height_px: int) -> None:
        short_px = min(width_px, height_px)
        self.font_scale = max(0.4, short_px / 900)
        self.text_thickness = max(1, round(self.font_scale * 2))
        self.line_px = max(2, round(short_px / 240))
        self.joint_px = max(2, round(short_px / 200))
        self.margin_px = max(4, round(short_px / 60))
        (_, self.text_h_px), _ = cv2.getTextSize("Ag", _FONT, self.font_scale,
                                                 self.text_thickness)
        self.line_step_px = int(self.text_h_px * 1.8)


def _point(x: float, y: float) -> tuple[int, int] | None:
    if not (math.isfinite(x) and math.isfinite(y)):
        return None
    return round(x), round(y)


def draw_skeleton(rgb: np.ndarray, x_px: np.ndarray, y_px: np.ndarray, *,
                  keypoints: tuple[str, ...], near_side: str, style: FrameStyle) -> None:
    """Draw one frame's skeleton in place; keypoints with NaN coordinates are skipped."""
    points = {name: _point(x_px[j], y_px[j]) for j, name in enumerate(keypoints)}
    far_first = sorted(SKELETON_EDGES, key=lambda edge: edge[0].startswith(near_side))
    for a, b in far_first:  # far side first so the near side is drawn on top
        pa, pb = points.get(a), points.get(b)
        if pa is None or pb is None:
            continue
        side_a, side_b = a.split("_")[0], b.split("_")[0]
        if side_a == side_b:
            colour = _side_colour(side_a, near_side=near_side)
            thickness = style.line_px if side_a == near_side else max(1, style.line_px // 2)
        else:
            colour, thickness = CROSS_RGB, max(1, style.line_px // 2)
        cv2.line(rgb, pa, pb, colour, thickness, cv2.LINE_AA)
    for name, p in points.items():
        if p is None:
            continue
        side = name.split("_")[0]
        if side in ("left", "right"):
            colour = _side_colour(side, near_side=near_side)
            radius = style.joint_px if side == near_side else max(1, style.joint_px // 2)
        else:
            colour, radius = CROSS_RGB, style.joint_px
        cv2.circle(rgb, p, radius, colour, -1, cv2.LINE_AA)


def _text(rgb: np.ndarray, text: str, org: tuple[int, int], style: FrameStyle,
          colour: tuple[int, int, int] = TEXT_RGB) -> int:
    """Put text with its baseline-left at `org`; returns the x after the text."""
    cv2.putText(rgb, text, org, _FONT, style.font_scale, colour, style.text_thickness,
                cv2.LINE_AA)
    (w, _), _ = cv2.getTextSize(text, _FONT, style.font_scale, style.text_thickness)
    return org[0] + w


def _degrees(rgb: np.ndarray, value: float, org: tuple[int, int], style: FrameStyle) -> None:
    """A value in whole degrees with a drawn degree sign; NaN as a drawn dash.

    (OpenCV's Hershey fonts are ASCII-only, so ° and – are drawn as shapes.)
    """
    x, y = org
    if not math.isfinite(value):
        dash_w = round(style.text_h_px * 0.9)
        mid_y = y - style.text_h_px // 2
        cv2.line(rgb, (x, mid_y), (x + dash_w, mid_y), TEXT_RGB, style.text_thickness,
                 cv2.LINE_AA)
        return
    x_end = _text(rgb, f"{value:+.0f}", org, style)
    radius = max(2, round(style.text_h_px * 0.18))
    centre = (x_end + radius + 2, y - style.text_h_px + radius)
    cv2.circle(rgb, centre, radius, TEXT_RGB, max(1, style.text_thickness // 2), cv2.LINE_AA)


def _shade(rgb: np.ndarray, x0: int, y0: int, x1: int, y1: int) -> None:
    """Darken a rectangle so text on it stays readable."""
    h, w = rgb.shape[:2]
    x0, x1, y0, y1 = max(0, x0), min(w, x1), max(0, y0), min(h, y1)
    if x1 > x0 and y1 > y0:
        rgb[y0:y1, x0:x1] = (rgb[y0:y1, x0:x1] * 0.4).astype(np.uint8)


def draw_panel(rgb: np.ndarray, values: dict[str, float], *, near_side: str,
               stride: int | None, style: FrameStyle) -> None:
    """Top-left panel: which leg, the angle read-outs and the stride counter."""
    lines = 1 + len(values) + (stride is not None)
    label_w = max(cv2.getTextSize(label, _FONT, style.font_scale, style.text_thickness)[0][0]
                  for label in [*OVERLAY_LABELS.values(), f"{near_side.capitalize()} leg (near)"])
    value_x = style.margin_px * 2 + label_w + style.margin_px
    panel_w = value_x + round(style.text_h_px * 5)
    _shade(rgb, 0, 0, panel_w, style.margin_px * 2 + lines * style.line_step_px)
    y = style.margin_px + style.line_step_px
    x = style.margin_px * 2
    _text(rgb, f"{near_side.capitalize()} leg (near)", (x, y), style,
          _side_colour(near_side, near_side=near_side))
    for column, value in values.items():
        y += style.line_step_px
        _text(rgb, OVERLAY_LABELS[column], (x, y), style)
        _degrees(rgb, value, (value_x, y), style)
    if stride is not None:
        y += style.line_step_px
        _text(rgb, f"Stride {stride}" if stride else "Stride", (x, y), style)
        if not stride:
            _degrees(rgb, float("nan"), (value_x, y), style)


def draw_flash(rgb: np.ndarray, event: str, side: str, foot_xy: tuple[int, int] | None, *,
               style: FrameStyle) -> None:
    """Event label at the top right, and a ring around the foot when it is known."""
    label = f"{EVENT_LABELS.get(event, event)} ({side[0].upper()})"
    (w, _), _ = cv2.getTextSize(label, _FONT, style.font_scale * 1.2, style.text_thickness + 1)
    x = rgb.shape[1] - w - style.margin_px * 2
    y = style.margin_px + style.line_step_px
    _shade(rgb, x - style.margin_px, 0, rgb.shape[1], y + style.margin_px * 2)
    cv2.putText(rgb, label, (x, y), _FONT, style.font_scale * 1.2, FLASH_RGB,
                style.text_thickness + 1, cv2.LINE_AA)
    if foot_xy is not None:
        cv2.circle(rgb, foot_xy, style.joint_px * 5, FLASH_RGB, style.line_px, cv2.LINE_AA)


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
                 strides: pd.DataFrame | None = None) -> None:
        self.track = track
        self.near_side = near_side
        self.style = style
        self.readouts = _overlay_arrays(overlays, track.n_frames)
        self.events = _event_table(events)
        self.event_times_s = self.events["time_s"].to_numpy(dtype=float)
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
        if i < track.n_frames:
            draw_skeleton(canvas, track.x_px[i], track.y_px[i], keypoints=track.keypoints,
                          near_side=self.near_side, style=self.style)
        values = {c: float(a[i]) if i < len(a) else math.nan for c, a in self.readouts.items()}
        stride = self.stride_number(time_s)
        if values or stride is not None:
            draw_panel(canvas, values, near_side=self.near_side, stride=stride, style=self.style)
        recent = np.flatnonzero((self.event_times_s <= time_s + 1e-9)
                                & (self.event_times_s > time_s - FLASH_S))
        if len(recent):
            row = self.events.iloc[recent[-1]]
            draw_flash(canvas, row["event"], row["side"], _foot_xy(track, i, row["side"]),
                       style=self.style)


def write_annotated_video(
    video_path: str | Path,
    out_path: str | Path,
    *,
    track: PoseTrack,
    overlays: pd.DataFrame | None,
    events: pd.DataFrame | None,
    capture_fps: float | None = None,
    near_side: str,
    progress: Progress | None = None,
    strides: pd.DataFrame | None = None,
) -> Path:
    """Write the annotated clip to `out_path` (H.264 MP4) and return its path.

    With `strides` (the analysis' stride table) the counter shows the number of the
    near leg's stride in that table, so video and table agree.

    `overlays` is indexed by frame number; the columns in OVERLAY_LABELS that it has
    are shown (NaN as a dash). `events` has columns side, event ("foot_strike" /
    "toe_off") and time_s; each event is flashed for FLASH_S and the near side's
    foot strikes so far give the stride counter. `capture_fps` must be the value
    the track was made with so that times match. Progress is reported as
    `progress("render", fraction_done, eta_s)`. Nothing is left at `out_path` (or
    beside it) if writing fails.
    """
    out_path = Path(out_path)
    info = probe_video(video_path, capture_fps=capture_fps, min_duration_s=0.0,
                       max_size_bytes=2**62)
    width_px, height_px = _even(info.width_px), _even(info.height_px)
    annotator = _Annotator(track=track, overlays=overlays, events=events, near_side=near_side,
                           style=FrameStyle(width_px, height_px), strides=strides)
    throttle = ProgressThrottle(progress, "render", info.n_frames_estimate)
    tmp_path = out_path.with_name(f".{out_path.stem}.{os.getpid()}.partial.mp4")
    try:
        with av.open(str(tmp_path), "w", format="mp4",
                     options={"movflags": "+faststart"}) as container:
            stream = container.add_stream(
                "libx264", rate=Fraction(info.capture_fps).limit_denominator(1001))
            stream.width, stream.height, stream.pix_fmt = width_px, height_px, "yuv420p"
            stream.codec_context.time_base = TIME_BASE  # fine enough for any real time
            stream.time_base = TIME_BASE
            stream.options = {"preset": "veryfast", "crf": "23"}
            last_pts = -1
            for frame in iter_frames(video_path, info=info):
                canvas = frame.rgb
                if canvas.shape[:2] != (height_px, width_px):  # pad odd sizes
                    canvas = np.zeros((height_px, width_px, 3), np.uint8)
                    canvas[: frame.rgb.shape[0], : frame.rgb.shape[1]] = frame.rgb
                annotator.draw(canvas, frame.index, frame.time_s)
                # OpenCV's RGB→I420 is BT.601 limited range like swscale's, ~5× faster.
                out_frame = av.VideoFrame.from_ndarray(
                    cv2.cvtColor(canvas, cv2.COLOR_RGB2YUV_I420), format="yuv420p")
                last_pts = max(round(frame.time_s / TIME_BASE), last_pts + 1)
                out_frame.pts, out_frame.time_base = last_pts, TIME_BASE
                for packet in stream.encode(out_frame):
                    container.mux(packet)
                throttle.update(frame.index + 1)
            for packet in stream.encode():
                container.mux(packet)
        os.replace(tmp_path, out_path)
    finally:
        tmp_path.unlink(missing_ok=True)
    throttle.done()
    return out_path


REPORT_OVERLAYS = ["near_thigh_deg", "near_hip_deg", "near_knee_deg", "trunk_lean_deg"]


def write_report_video(report, video_path: str | Path, out_path: str | Path, *,
                       capture_fps: float | None = None,
                       progress: Progress | None = None) -> Path:
    """The annotated video of a finished analysis (gait.pipeline.GaitReport); a clip
    analysed at a guessed slow-motion rate is drawn at that rate so times match."""
    guessed = (report.summary.get("slow_motion") or {}).get("assumed_capture_fps")
    return write_annotated_video(
        video_path, out_path, track=report.track,
        overlays=report.frames.set_index("frame")[REPORT_OVERLAYS], events=report.events,
        capture_fps=capture_fps or guessed, near_side=report.summary["near_side"],
        progress=progress,
        strides=report.strides)
