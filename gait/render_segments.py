"""The annotated video rendered by segments on parallel threads and joined.

Each segment [start, stop) of the clip's frames (`gait.segment_decode`: the frames,
indices and times of the serial decode) is decoded, drawn and encoded (libx264 with the
serial render's settings but no B-frames, so each segment's packets are in display order
and the segments join without touching decode timestamps) into a NUT file, which keeps
the TIME_BASE timestamps exactly. The calling thread renders the first segment itself, a
thread each other one (`gait.segment_workers`). The joined MP4 gets every packet in
order (`+faststart`): its frame count and timestamps equal the serial render's, and each
segment starts with a keyframe, so nothing is duplicated or missing at a seam. All
segment files are deleted, whatever happens.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from gait.limits import ClipLimits
from gait.progress import Progress
from gait.render import TIME_BASE, Scene, encode_frames, open_h264
from gait.segment_decode import ClipFrames, NeedSerial, iter_segment, scan_clip_frames
from gait.segment_workers import run_segments
from gait.segments import plan_segments, usable_cpus
from gait.video import DecodeStats, VideoInfo

log = logging.getLogger(__name__)

MIN_RENDER_SEGMENT_FRAMES = 120  # shorter segments do not pay for their encoder's set-up


@dataclass(frozen=True)
class RenderJob:
    """Render frames [start, stop) into `segment_path`; the previous frame's output
    timestamp is `last_pts` (TIME_BASE units)."""

    start: int
    stop: int
    last_pts: int
    info: VideoInfo
    clip: ClipFrames
    scene: Scene
    segment_path: Path
    encoder_threads: int | None = None


def _render_work(job: RenderJob, on_frame: Callable[[int], None]) -> tuple[int, Path]:
    frames = (frame for frame, _, _ in iter_segment(
        job.info.path, info=job.info, clip=job.clip, start=job.start, stop=job.stop, warmup=0,
        limits=ClipLimits.from_env(), stats=DecodeStats(),
        size_px=job.scene.decode_size_px))
    container, stream = open_h264(job.segment_path, format_name="nut",
                                  capture_fps=job.info.capture_fps, size_px=job.scene.size_px,
                                  b_frames=False, threads=job.encoder_threads)
    n_done = 0

    def counted(n: int) -> None:
        nonlocal n_done
        n_done = n
        on_frame(n)

    with container:
        encode_frames(frames, container=container, stream=stream,
                      annotator=job.scene.annotator(), size_px=job.scene.size_px,
                      last_pts=job.last_pts, on_frame=counted, follow=job.scene.follow)
        for packet in stream.encode():
            container.mux(packet)
    return n_done, job.segment_path


def output_pts(clip: ClipFrames, info: VideoInfo) -> np.ndarray:
    """Each frame's output timestamp (TIME_BASE units) as the serial render gives it:
    its real time rounded, kept strictly increasing."""
    stored_s = clip.pts.astype(float) * float(_time_base(info))
    rounded = np.round((stored_s - clip.first_stored_s) * info.time_scale / float(TIME_BASE))
    out = rounded.astype(np.int64)
    for i in range(1, len(out)):
        out[i] = max(out[i], out[i - 1] + 1)
    return out


def _time_base(info: VideoInfo) -> Fraction:
    from gait.video import open_clip

    with open_clip(info.path) as container:
        return Fraction(container.streams.video[0].time_base)


def join_segments(paths: list[Path], out_path: Path) -> int:
    """Copy every packet of the NUT segment files, in order, into one MP4 (`+faststart`);
    returns the number of packets."""
    inputs = [av.open(str(path)) for path in paths]
    n_packets = 0
    try:
        with av.open(str(out_path), "w", format="mp4",
                     options={"movflags": "+faststart"}) as output:
            stream = output.add_stream_from_template(inputs[0].streams.video[0])
            stream.time_base = TIME_BASE
            for container in inputs:
                for packet in container.demux(container.streams.video[0]):
                    if packet.size == 0:
                        continue
                    packet.stream = stream
                    output.mux(packet)
                    n_packets += 1
    finally:
        for container in inputs:
            container.close()
    return n_packets


def render_parallel(video_path: str | Path, out_path: Path, *, info: VideoInfo, scene: Scene,
                    workers: int, progress: Progress | None) -> bool:
    """Render the annotated clip to `out_path` by segments in up to `workers` threads;
    False (nothing written) when the clip is better rendered serially (short, or not
    splittable exactly)."""
    if workers < 2:
        return False
    try:
        clip = scan_clip_frames(video_path)
    except NeedSerial:
        return False
    bounds = plan_segments(clip.n_frames, workers, min_frames=MIN_RENDER_SEGMENT_FRAMES,
                           head_start_frames=0)
    if len(bounds) < 2:
        return False
    pts = output_pts(clip, info)
    # x264 would start ~1.5 threads per CPU for every segment; a share of the CPUs each
    # measured ~5 % faster on 2 cores (6.0 vs 6.3 s for a 10 s 720p clip).
    encoder_threads = max(1, usable_cpus() // len(bounds))
    jobs = [RenderJob(start=start, stop=stop,
                      last_pts=int(pts[start - 1]) if start else -1, info=info, clip=clip,
                      scene=scene,
                      segment_path=out_path.with_name(f".{out_path.stem}.{os.getpid()}.{k}.nut"),
                      encoder_threads=encoder_threads)
            for k, (start, stop) in enumerate(bounds)]
    try:
        paths = run_segments(jobs, work=_render_work, n_frames=clip.n_frames, stage="render",
                             progress=progress)
        join_segments(paths, out_path)
    except NeedSerial as exc:
        log.info("Serial render of %s: %s", Path(video_path).name, exc)
        out_path.unlink(missing_ok=True)
        return False
    finally:
        for job in jobs:
            job.segment_path.unlink(missing_ok=True)
    return True
