"""Decode one time segment of a clip, giving exactly the frames, indices and times that
`gait.video.iter_frames` gives for that stretch of the clip.

Conventions: a clip's frames are known from a demux-only scan (`scan_frame_pts`): the
sorted presentation timestamps (`pts`, in the stream's time base) of its packets, one
frame each. Frame i of the clip is the frame with the i-th smallest pts; its real time
is (its stored time − the first decoded frame's stored time) × `info.time_scale`, as
in `iter_frames`. A segment is the half-open range [start, stop) of frame numbers; it
is decoded after seeking to the last keyframe at or before frame `start − warmup`.
Frames before `start` are warm-up frames (yielded flagged, for trackers to settle).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np

from gait.clip_file import unreadable_error
from gait.limits import ClipLimits
from gait.picture import upright_rgb
from gait.video import (
    DecodeStats,
    VideoFrame,
    VideoInfo,
    _check_decoded,
    decode_packets,
    open_clip,
)

log = logging.getLogger(__name__)


class NeedSerial(Exception):  # noqa: N818 — a signal, not an error for the user
    """This clip cannot be split with the guarantee of serial-identical frames (e.g.
    frames without timestamps); decode it in one piece instead."""


@dataclass(frozen=True)
class ClipFrames:
    """The frame timestamps of a clip: `pts` sorted (int64, stream time base) and the
    first decoded frame's stored time (s), which is time 0."""

    pts: np.ndarray
    first_stored_s: float

    @property
    def n_frames(self) -> int:
        return len(self.pts)


def scan_clip_frames(path: str | Path) -> ClipFrames:
    """Demux every video packet (no decoding) for its pts, and decode the first frame for
    time 0. Raises `NeedSerial` when a packet has no pts or nothing decodes."""
    with open_clip(Path(path)) as container:
        stream = container.streams.video[0]
        pts = []
        for packet in container.demux(stream):
            if packet.size == 0:
                continue
            if packet.pts is None:
                raise NeedSerial("a packet without a timestamp")
            pts.append(packet.pts)
    first_stored_s = None
    with open_clip(Path(path)) as container:
        for frame in container.decode(container.streams.video[0]):
            first_stored_s = None if frame.time is None else float(frame.time)
            break
    if first_stored_s is None or not pts:
        raise NeedSerial("no first frame time")
    return ClipFrames(pts=np.sort(np.asarray(pts, dtype=np.int64)),
                      first_stored_s=first_stored_s)


def iter_segment(path: str | Path, *, info: VideoInfo, clip: ClipFrames, start: int,
                 stop: int, warmup: int, limits: ClipLimits, stats: DecodeStats,
                 size_px: tuple[int, int] | None = None
                 ) -> Iterator[tuple[VideoFrame, int, bool]]:
    """(frame, pts, is_warmup) for the frames [start − warmup, stop) in time order.

    Frame indices and times are those of `iter_frames` (see the module docstring).
    `stats` counts only the segment's own frames [start, stop) and packets. If decoding
    fails for good part-way, iteration ends and `stats.stopped_early` is set (as
    `iter_frames`, whose later frames are then missing too). Raises `VideoError` for
    limits, `NeedSerial` for a frame without a timestamp.
    """
    first = max(start - warmup, 0)
    from_pts = int(clip.pts[first])
    owned_pts = int(clip.pts[start]) if start < clip.n_frames else np.iinfo(np.int64).max
    stop_pts = int(clip.pts[stop]) if stop < clip.n_frames else np.iinfo(np.int64).max
    decoded_any = False
    try:
        with open_clip(info.path) as container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            if first > 0:
                container.seek(from_pts, stream=stream, backward=True, any_frame=False)
            seeked = first > 0
            # a damaged packet is counted by the segment owning its pts [start, stop)
            for frame in decode_packets(
                    container, stream, stats=stats, name=info.path.name,
                    owns=lambda pts: pts is not None and owned_pts <= pts < stop_pts):
                if frame.pts is None or frame.time is None:
                    raise NeedSerial("a frame without a timestamp")
                if seeked and not decoded_any and frame.pts > from_pts:
                    raise NeedSerial("the seek went past the segment's first frame")
                decoded_any = True
                if frame.pts < from_pts:
                    continue
                if frame.pts >= stop_pts:
                    break
                index = int(np.searchsorted(clip.pts, frame.pts))
                time_s = (float(frame.time) - clip.first_stored_s) * info.time_scale
                _check_decoded(frame, index=index, time_s=time_s, limits=limits)
                owned = frame.pts >= owned_pts
                if owned:
                    stats.corrupt_frames += bool(getattr(frame, "is_corrupt", False))
                    stats.frames += 1
                yield (VideoFrame(index=index, time_s=time_s,
                                  rgb=upright_rgb(frame, size_px=size_px)),
                       int(frame.pts), not owned)
    except av.error.FFmpegError as exc:
        if start == 0 and stats.frames == 0:
            raise unreadable_error(info.path) from exc
        stats.stopped_early = True
        log.warning("Decoding stopped in segment %d–%d of %s: %s", start, stop,
                    info.path.name, exc)
