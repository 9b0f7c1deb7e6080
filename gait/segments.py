"""One clip's pose extraction on several cores, by time segments.

The clip's frames [0, n) are cut into consecutive half-open segments. The calling thread
runs the first segment itself; each other segment runs in a thread of its own
(`gait.segment_workers`: MediaPipe, PyAV and OpenCV release the GIL) with its own
estimator (`gait.roi.mediapipe_roi_pose()`, as the serial path). MediaPipe tracks from
frame to frame, so a segment after the first starts WARMUP_FRAMES early and drops those
frames; the first segment is made longer by about as many frames, so that all finish
together. The caller stitches the per-frame arrays into one raw `PoseTrack` whose
frames, indices and times are exactly the serial `iter_frames`' (see
`gait.segment_decode`), with the decoding statistics, the repeated-frame flags (the
first frame of a segment is compared with the frame before it, decoded as warm-up) and
the frames sampled for the second-person check.

Progress, cancellation and errors: `progress("pose", fraction, eta_s)` is called from
the calling thread with the overall fraction; whatever it raises (or Ctrl-C) stops the
other threads and propagates. A `VideoError` in another thread reaches the caller as the
same `VideoError`. Clips that cannot be split with that guarantee, or are too short for
it to pay (under MIN_SEGMENT_FRAMES per segment), are left to the serial path
(`extract_pose_parallel` returns None).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from gait.clip_file import VideoError, unreadable_error
from gait.keypoints import KEYPOINTS
from gait.limits import ClipLimits
from gait.people import FrameSampler
from gait.pose import PoseEstimator, picture_change, picture_flags
from gait.pose_models import DEFAULT_POSE_MODEL
from gait.posetrack import PoseTrack
from gait.progress import Progress
from gait.segment_decode import ClipFrames, NeedSerial, iter_segment, scan_clip_frames
from gait.segment_workers import run_segments
from gait.video import DecodeStats, VideoInfo

log = logging.getLogger(__name__)

WORKERS_ENV = "HIPDRIVE_ANALYSIS_WORKERS"
MAX_DEFAULT_WORKERS = 4
WARMUP_FRAMES = 30  # frames a later segment starts early for the tracker to settle
MIN_SEGMENT_FRAMES = 200  # shorter segments do not pay for their warm-up and set-up


def default_workers(environ: dict[str, str] | None = None) -> int:
    """Threads for one analysis: $HIPDRIVE_ANALYSIS_WORKERS when it is a whole number
    ≥ 1, else the CPUs this process may use (`os.sched_getaffinity`), at most
    MAX_DEFAULT_WORKERS."""
    env = os.environ if environ is None else environ
    text = env.get(WORKERS_ENV, "").strip()
    if text:
        if text.isdigit() and int(text) >= 1:
            return int(text)
        log.warning("Ignoring %s=%r: give a whole number of threads, 1 or more.",
                    WORKERS_ENV, text)
    return max(1, min(usable_cpus(), MAX_DEFAULT_WORKERS))


def usable_cpus() -> int:
    """CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def resolve_workers(workers: int | None) -> int:
    """`workers`, or the default when None; at least 1."""
    return default_workers() if workers is None else max(1, int(workers))


def plan_segments(n_frames: int, workers: int, *, min_frames: int | None = None,
                  head_start_frames: int | None = None) -> list[tuple[int, int]]:
    """Consecutive [start, stop) frame ranges covering [0, n_frames): at most `workers`,
    none shorter than `min_frames`; the first longer by about `head_start_frames` ×
    (k − 1) / k, the work each other segment spends on its warm-up (defaults:
    MIN_SEGMENT_FRAMES, WARMUP_FRAMES)."""
    min_frames = MIN_SEGMENT_FRAMES if min_frames is None else min_frames
    head_start_frames = WARMUP_FRAMES if head_start_frames is None else head_start_frames
    k = max(1, min(workers, n_frames // max(min_frames, 1)))
    if k < 2:
        return [(0, n_frames)]
    first = min(round((n_frames + (k - 1) * head_start_frames) / k),
                n_frames - (k - 1) * min_frames)
    edges = [0, *np.linspace(first, n_frames, k).round().astype(int).tolist()]
    return list(zip(edges[:-1], edges[1:], strict=True))


@dataclass(frozen=True)
class PoseJob:
    """One segment's work: frames [start, stop) of the clip, after `warmup` frames."""

    start: int
    stop: int
    warmup: int
    info: VideoInfo
    clip: ClipFrames
    limits: ClipLimits
    pose_model: str = DEFAULT_POSE_MODEL  # gait.pose_models


@dataclass
class PoseSegment:
    """The raw per-frame results of one segment (its own frames only); `sampled` maps
    a frame's pts to FrameSampler's (step, rgb)."""

    pts: np.ndarray
    time_s: np.ndarray
    x_px: np.ndarray
    y_px: np.ndarray
    confidence: np.ndarray
    change: np.ndarray
    stats: DecodeStats
    sampled: dict[int, tuple[int, np.ndarray]] = field(default_factory=dict)


def run_pose_segment(job: PoseJob, estimator: PoseEstimator,
                     on_frame: Callable[[int], None] | None = None) -> PoseSegment:
    """Run `estimator` over the job's warm-up and own frames; keep the own frames.
    `on_frame(n_own_frames_done)` is called after each own frame."""
    stats = DecodeStats()
    sampler = FrameSampler(job.info.n_frames_estimate)
    wanted = sampler.wanted()
    rows: list[tuple[int, float, np.ndarray, np.ndarray, np.ndarray, float]] = []
    pts_by_index: dict[int, int] = {}
    previous_thumb = None
    for frame, pts, warmup in iter_segment(job.info.path, info=job.info, clip=job.clip,
                                           start=job.start, stop=job.stop, warmup=job.warmup,
                                           limits=job.limits, stats=stats):
        x_px, y_px, confidence = estimator.estimate(frame.rgb, frame.time_s)
        change, previous_thumb = picture_change(frame.rgb, previous_thumb)
        if warmup:
            continue
        rows.append((pts, frame.time_s, np.asarray(x_px, float), np.asarray(y_px, float),
                     np.asarray(confidence, float), change))
        if frame.index in wanted:
            pts_by_index[frame.index] = pts
            for _ in sampler.pass_through([frame]):
                pass
        if on_frame is not None:
            on_frame(len(rows))
    n_keypoints = len(KEYPOINTS)
    columns = list(zip(*rows, strict=True)) if rows else [[]] * 6

    def stacked(values) -> np.ndarray:
        return np.asarray(values, dtype=float).reshape(len(rows), n_keypoints)

    return PoseSegment(pts=np.asarray(columns[0], dtype=np.int64),
                       time_s=np.asarray(columns[1], dtype=float),
                       x_px=stacked(columns[2]), y_px=stacked(columns[3]),
                       confidence=stacked(columns[4]),
                       change=np.asarray(columns[5], dtype=float), stats=stats,
                       sampled={pts_by_index[i]: kept for i, kept in sampler.kept.items()})


def _pose_work(job: PoseJob, on_frame: Callable[[int], None]) -> tuple[int, PoseSegment]:
    """One segment with a new MediaPipe estimator (the serial path's)."""
    from gait.roi import mediapipe_roi_pose

    with mediapipe_roi_pose(job.pose_model) as estimator:
        segment = run_pose_segment(job, estimator, on_frame)
    return len(segment.pts), segment


def _stitch(segments: list[PoseSegment], *, info: VideoInfo, limits: ClipLimits
            ) -> tuple[PoseTrack, DecodeStats, FrameSampler]:
    """One raw track from the segments in order (see the module docstring)."""
    kept: list[PoseSegment] = []
    stats = DecodeStats()
    for segment in segments:
        kept.append(segment)
        stats.damaged_packets += segment.stats.damaged_packets
        stats.corrupt_frames += segment.stats.corrupt_frames
        stats.frames += segment.stats.frames
        if segment.stats.stopped_early:  # the serial decode would have ended here too
            stats.stopped_early = True
            break
    pts = np.concatenate([s.pts for s in kept])
    if not len(pts):
        raise unreadable_error(info.path)
    if np.any(np.diff(pts) <= 0):
        raise NeedSerial("segments overlap")
    time_s = np.concatenate([s.time_s for s in kept])
    if len(pts) > limits.max_frames:
        raise VideoError(limits.frames_message(limits.max_frames + 1))
    too_late = np.flatnonzero(time_s > limits.max_duration_s)
    if len(too_late):
        raise VideoError(limits.duration_message(float(time_s[too_late[0]])))
    track = PoseTrack(
        time_s=time_s,
        x_px=np.concatenate([s.x_px for s in kept]),
        y_px=np.concatenate([s.y_px for s in kept]),
        confidence=np.concatenate([s.confidence for s in kept]),
        frame_width_px=int(info.width_px), frame_height_px=int(info.height_px),
        flags=picture_flags(np.concatenate([s.change for s in kept]), time_s))
    sampler = FrameSampler(info.n_frames_estimate)
    index_of = {int(p): i for i, p in enumerate(pts)}
    for segment in kept:
        for p, sample in segment.sampled.items():
            if p in index_of:
                sampler.kept[index_of[p]] = sample
    return track, stats, sampler


def extract_pose_parallel(path: str | Path, *, info: VideoInfo, workers: int,
                          progress: Progress | None = None, limits: ClipLimits | None = None,
                          pose_model: str = DEFAULT_POSE_MODEL,
                          ) -> tuple[PoseTrack, DecodeStats, FrameSampler] | None:
    """The raw pose track, decoding statistics and second-person samples of the clip,
    using up to `workers` threads with the named pose model; None when the clip should
    be done serially (too short, or not splittable exactly: see the module docstring)."""
    limits = limits or ClipLimits.from_env()
    if workers < 2:
        return None
    try:
        clip = scan_clip_frames(path)
    except NeedSerial as exc:
        log.info("Serial pose extraction for %s: %s", Path(path).name, exc)
        return None
    bounds = plan_segments(clip.n_frames, workers)
    if len(bounds) < 2:
        return None
    jobs = [PoseJob(start=start, stop=stop, warmup=WARMUP_FRAMES if k else 0,
                    info=info, clip=clip, limits=limits, pose_model=pose_model)
            for k, (start, stop) in enumerate(bounds)]
    try:
        segments = run_segments(jobs, work=_pose_work, n_frames=clip.n_frames, stage="pose",
                                progress=progress)
        stitched = _stitch(segments, info=info, limits=limits)
    except NeedSerial as exc:
        log.info("Serial pose extraction for %s: %s", Path(path).name, exc)
        return None
    if progress is not None:
        progress("pose", 1.0, 0.0)
    return stitched
