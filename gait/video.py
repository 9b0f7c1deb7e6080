"""Open, validate and decode a clip. The only module that reads video (PyAV).

Conventions:
- Frames come out upright: the display matrix phones write (PyAV `frame.rotation`,
  counter-clockwise degrees) is applied with `np.rot90`.
- `time_s` is real time in seconds from the first frame, taken from each frame's
  timestamp (variable frame rate safe) and multiplied by `time_scale`, which undoes
  slow-motion playback: a 240 fps capture stored for 30 fps playback has
  `time_scale = 30 / 240`.
- Every problem with the file is raised as `VideoError`, whose message is one
  sentence for the user saying what is wrong and what to do.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from gait.clip_file import (  # noqa: F401 — VideoError and the names are gait.video's API
    ALLOWED_EXTENSIONS,
    ALLOWED_TEXT,
    VideoError,
    check_file,
    still_image_error,
    unreadable_error,
)
from gait.limits import MAX_CAPTURE_FPS, MIN_CAPTURE_FPS, ClipLimits
from gait.picture import normalise_rotation, upright_rgb
from gait.result import VideoInfo  # noqa: F401 — described here, defined in the result leaf

log = logging.getLogger(__name__)

DEFAULT_MIN_DURATION_S = 2.0
# Demuxers FFmpeg may use (its short names, as in `container.format.name`): nothing else is
# even probed, so a text playlist (ffconcat, HLS) named .mp4 cannot make FFmpeg open other
# files or URLs.
ALLOWED_DEMUXERS = ("mov", "mp4", "m4a", "3gp", "3g2", "mj2", "matroska", "webm", "avi")
_OPEN_OPTIONS = {"format_whitelist": ",".join(ALLOWED_DEMUXERS), "protocol_whitelist": "file"}
# Container metadata keys that state the real capture rate of slow-motion clips.
CAPTURE_FPS_METADATA_KEYS: tuple[str, ...] = ("com.android.capture.fps",)
# A capture rate within this fraction of the stored rate is the same rate (29.97 vs 30).
SAME_RATE_TOLERANCE = 0.03
# Demuxers that read single pictures rather than video.
_IMAGE_FORMAT_MARKERS = ("image2", "_pipe")
_STILL_IMAGE_CODECS = {"png", "bmp", "tiff", "webp", "gif", "jpeg2000", "apng"}
_N_PROBE_FRAMES = 3
# Give up on a file with more damaged packets than this.
MAX_BAD_PACKETS = 100


@dataclass(frozen=True)
class VideoFrame:
    """One decoded, upright frame. `rgb` is (height, width, 3) uint8."""

    index: int
    time_s: float
    rgb: np.ndarray


@dataclass
class DecodeStats:
    """What decoding lost: packets the decoder refused (their frames are missing) and
    frames it marked as corrupt (concealed errors). Filled in by `iter_frames`."""

    damaged_packets: int = 0
    corrupt_frames: int = 0
    frames: int = 0
    stopped_early: bool = False


def open_clip(path: Path) -> av.container.InputContainer:
    """Open a clip for reading with only the allowed demuxers and local files."""
    return av.open(str(path), metadata_errors="replace", container_options=_OPEN_OPTIONS)


def _capture_fps_from_metadata(container: av.container.InputContainer,
                               stream: av.video.stream.VideoStream) -> float | None:
    for metadata in (container.metadata, stream.metadata):
        for key in CAPTURE_FPS_METADATA_KEYS:
            try:
                value = float(metadata.get(key, "nan"))
            except ValueError:
                continue
            if math.isfinite(value) and MIN_CAPTURE_FPS <= value <= MAX_CAPTURE_FPS:
                return value
    return None


def _scan_packets(container: av.container.InputContainer,
                  stream: av.video.stream.VideoStream, *, limits: ClipLimits
                  ) -> tuple[int, np.ndarray]:
    """Demux (no decoding) every video packet: (packet count, sorted pts in seconds).
    Stops with `VideoError` as soon as there are more packets than `limits.max_frames`."""
    n_packets = 0
    pts: list[int] = []
    for packet in container.demux(stream):
        if packet.size == 0:  # demuxer flush packet
            continue
        n_packets += 1
        if n_packets > limits.max_frames:
            raise VideoError(limits.frames_message(n_packets if stream.frames <= n_packets
                                                   else int(stream.frames)))
        if packet.pts is not None:
            pts.append(packet.pts)
    times_s = np.sort(np.asarray(pts, dtype=float)) * float(stream.time_base or 0)
    return n_packets, times_s


def _stored_fps(pts_s: np.ndarray) -> float | None:
    """Frame rate from sorted timestamps: 1 / median interval (robust to dropped
    frames and variable rate). When the mean interval agrees within 5 %, the mean
    is used instead: it is not biased by timestamps rounded to whole milliseconds
    (Matroska/WebM), which matters when the rate sets the slow-motion time scale."""
    diffs_s = np.diff(pts_s)
    diffs_s = diffs_s[diffs_s > 0]
    if not len(diffs_s):
        return None
    median_fps = 1.0 / float(np.median(diffs_s))
    mean_fps = len(diffs_s) / float(pts_s[-1] - pts_s[0])
    return mean_fps if abs(mean_fps / median_fps - 1.0) < 0.05 else median_fps


def _decode_first_frames(path: Path) -> list[av.VideoFrame]:
    with open_clip(path) as container:
        stream = container.streams.video[0]
        frames: list[av.VideoFrame] = []
        for frame in container.decode(stream):
            frames.append(frame)
            if len(frames) >= _N_PROBE_FRAMES:
                break
        return frames


def _resolve_capture_fps(stored_fps: float, capture_fps: float | None,
                         metadata_fps: float | None) -> float:
    if capture_fps is not None:
        if not math.isfinite(capture_fps) or not (
            MIN_CAPTURE_FPS <= capture_fps <= MAX_CAPTURE_FPS
        ):
            raise VideoError(
                f"A capture rate of {capture_fps:g} frames/s is not plausible. Enter the rate "
                "your phone filmed at (e.g. 30, 60, 120 or 240), or leave it empty."
            )
        if capture_fps < stored_fps * (1 - SAME_RATE_TOLERANCE):
            raise VideoError(
                f"The clip is stored at {stored_fps:.0f} frames/s, so it cannot have been filmed "
                f"at {capture_fps:g} frames/s. Enter the slow-motion capture rate (at least "
                f"{stored_fps:.0f}), or leave it empty."
            )
        return float(capture_fps)
    if metadata_fps is not None and metadata_fps > stored_fps * (1 + SAME_RATE_TOLERANCE):
        return metadata_fps
    return stored_fps


def _check_demuxer(format_name: str) -> None:
    if not set(format_name.split(",")) & set(ALLOWED_DEMUXERS):
        raise VideoError(f"This file is not a video we can read ({format_name}). "
                         f"Upload an {ALLOWED_TEXT} clip.")


def _check_declared_size(stream: av.video.stream.VideoStream, limits: ClipLimits) -> None:
    """Limits checked on the container's metadata, before anything is decoded."""
    width_px, height_px = stream.codec_context.width, stream.codec_context.height
    if width_px * height_px > limits.max_pixels:
        raise VideoError(limits.pixels_message(width_px, height_px))
    if stream.frames and stream.frames > limits.max_frames:
        raise VideoError(limits.frames_message(int(stream.frames)))


def probe_video(
    path: str | Path,
    *,
    capture_fps: float | None = None,
    max_size_bytes: int | None = None,
    min_duration_s: float = DEFAULT_MIN_DURATION_S,
    limits: ClipLimits | None = None,
) -> VideoInfo:
    """Validate a clip and describe it; raises `VideoError` with a user-facing message.

    Checks `limits` (default: `ClipLimits.from_env()`; `max_size_bytes` overrides its
    file size) on the metadata first, then demuxes every packet (fast, no decoding) for
    exact timestamps and to notice a truncated file, and decodes the first few frames.
    """
    path = Path(path)
    limits = limits or ClipLimits.from_env()
    size_bytes = check_file(path, max_size_bytes=max_size_bytes or limits.max_size_bytes)
    try:
        with open_clip(path) as container:
            format_name = container.format.name
            _check_demuxer(format_name)
            if not container.streams.video:
                raise VideoError(
                    "This file has no video track (only sound?). Upload the video clip itself."
                )
            stream = container.streams.video[0]
            codec = stream.codec_context.name
            if any(m in format_name for m in _IMAGE_FORMAT_MARKERS) or codec in _STILL_IMAGE_CODECS:
                raise still_image_error()
            _check_declared_size(stream, limits)
            declared_frames = int(stream.frames or 0)
            declared_s = (float(stream.duration * stream.time_base)
                          if stream.duration and stream.time_base else None)
            container_s = container.duration / av.time_base if container.duration else None
            metadata_fps = _capture_fps_from_metadata(container, stream)
            average_rate = float(stream.average_rate or stream.guessed_rate or 0)
            n_packets, pts_s = _scan_packets(container, stream, limits=limits)
    except av.error.FFmpegError as exc:
        raise unreadable_error(path) from exc

    try:
        first_frames = _decode_first_frames(path)
    except av.error.FFmpegError as exc:
        raise unreadable_error(path) from exc
    if not first_frames or (declared_frames > 1 and n_packets < 0.9 * declared_frames):
        raise unreadable_error(path)
    if n_packets <= 1 or len(first_frames) < min(2, n_packets):
        raise still_image_error()

    stored_fps = _stored_fps(pts_s) or average_rate
    if not stored_fps > 0:
        raise unreadable_error(path)
    scanned_s = float(pts_s[-1] - pts_s[0]) + 1.0 / stored_fps if len(pts_s) > 1 else 0.0
    # A file cut short still declares its full length in the header.
    declared_length_s = declared_s or container_s
    if declared_length_s is not None and scanned_s < 0.85 * declared_length_s - 0.5:
        raise unreadable_error(path)
    stored_duration_s = scanned_s or declared_s or container_s or 0.0

    capture = _resolve_capture_fps(stored_fps, capture_fps, metadata_fps)
    time_scale = stored_fps / capture
    duration_s = stored_duration_s * time_scale
    if duration_s < min_duration_s:
        raise VideoError(
            f"This clip is only {duration_s:.1f} s long. Film at least {min_duration_s:g} s "
            "of running (10–20 s is best) and upload that."
        )
    if duration_s > limits.max_duration_s:
        raise VideoError(limits.duration_message(duration_s))

    first = first_frames[0]
    rotation_deg = normalise_rotation(first.rotation)
    width_px, height_px = first.width, first.height
    if rotation_deg in (90, 270):
        width_px, height_px = height_px, width_px
    return VideoInfo(
        path=path,
        container_format=format_name,
        codec=codec,
        width_px=int(width_px),
        height_px=int(height_px),
        rotation_deg=rotation_deg,
        duration_s=float(duration_s),
        n_frames_estimate=int(n_packets or declared_frames),
        stored_fps=float(stored_fps),
        capture_fps=float(capture),
        time_scale=float(time_scale),
        size_bytes=size_bytes,
    )


def decode_packets(container: av.container.InputContainer, stream: av.video.stream.VideoStream,
                   *, stats: DecodeStats, name: str,
                   owns: Callable[[int | None], bool] = lambda pts: True
                   ) -> Iterator[av.VideoFrame]:
    """Decode packet by packet so that a damaged packet costs only its own frames; a
    damaged packet is counted in `stats` when `owns(packet.pts)` (a segment counts only
    its own), and more than MAX_BAD_PACKETS of them end decoding."""
    for packet in container.demux(stream):
        try:
            frames = packet.decode()
        except av.error.FFmpegError as exc:
            if owns(packet.pts):
                stats.damaged_packets += 1
                log.debug("Damaged packet in %s: %s", name, exc)
                if stats.damaged_packets > MAX_BAD_PACKETS:
                    raise
            continue
        yield from frames


def _decoded_frames(path: Path, stats: DecodeStats) -> Iterator[av.VideoFrame]:
    """Every frame of the clip (damaged packets skipped and counted in `stats`)."""
    with open_clip(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for frame in decode_packets(container, stream, stats=stats, name=path.name):
            stats.corrupt_frames += bool(getattr(frame, "is_corrupt", False))
            yield frame
    if stats.damaged_packets:
        log.warning("Skipped %d damaged packets of %s.", stats.damaged_packets, path.name)


def _check_decoded(frame: av.VideoFrame, *, index: int, time_s: float,
                   limits: ClipLimits) -> None:
    """The limits again on what decoding really gives (the metadata may have lied)."""
    if frame.width * frame.height > limits.max_pixels:
        raise VideoError(limits.pixels_message(frame.width, frame.height))
    if index >= limits.max_frames:
        raise VideoError(limits.frames_message(index + 1))
    if time_s > limits.max_duration_s:
        raise VideoError(limits.duration_message(time_s))


def iter_frames(path: str | Path, *, capture_fps: float | None = None,
                info: VideoInfo | None = None, limits: ClipLimits | None = None,
                stats: DecodeStats | None = None,
                size_px: tuple[int, int] | None = None) -> Iterator[VideoFrame]:
    """Decode the clip frame by frame (streamed, threaded decoding), upright, real times.
    `size_px` (upright width, height): frames scaled to that size (see `upright_rgb`).

    The clip is validated first (`probe_video` without the duration minimum) unless the
    caller already probed it and passes that `info` (then `capture_fps` is ignored:
    the info's time scale is used). `limits` (default: from the environment) are
    checked again on every decoded frame: `VideoError` if a frame is larger, or there
    are more or later frames, than allowed. Damaged packets are skipped (their frames
    are missing; times stay right because they come from timestamps) and counted in
    `stats`. If the file is damaged beyond repair part-way, iteration ends after the
    last good frame (logged, `stats.stopped_early`); if no frame at all can be
    decoded, `VideoError` is raised.
    """
    limits = limits or ClipLimits.from_env()
    stats = stats if stats is not None else DecodeStats()
    if info is None:
        info = probe_video(path, capture_fps=capture_fps, min_duration_s=0.0, limits=limits)
    index = 0
    first_stored_s: float | None = None
    last_stored_s = 0.0
    try:
        for frame in _decoded_frames(info.path, stats):
            if frame.time is not None:
                stored_s = float(frame.time)
            else:  # no timestamp: assume the nominal rate
                stored_s = last_stored_s + 1.0 / info.stored_fps
            if first_stored_s is None:
                first_stored_s = stored_s
            last_stored_s = stored_s
            time_s = (stored_s - first_stored_s) * info.time_scale
            _check_decoded(frame, index=index, time_s=time_s, limits=limits)
            yield VideoFrame(index=index, time_s=time_s, rgb=upright_rgb(frame, size_px=size_px))
            index += 1
            stats.frames = index
    except av.error.FFmpegError as exc:
        if index == 0:
            raise unreadable_error(info.path) from exc
        stats.stopped_early = True
        log.warning("Decoding stopped after %d frames of %s: %s", index, info.path.name, exc)
