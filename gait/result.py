"""The result of an analysis and what goes in: the options a user gives (validated
once, the same bounds for the app, the CLI and the batch), the report every consumer
receives, and the error whose message is written for the user. A leaf: it imports no
stage, so the report, outputs, store and live modules need not import the pipeline.

Conventions: speeds in m/s, heights in m, capture rates in frames/s, filter cut-off in
Hz; `GaitReport.summary` becomes JSON through `to_jsonable` / `summary_json` here, the one
place that does it (see gait.pipeline.analyze_track for its keys).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from gait.limits import (
    DEFAULT_CUTOFF_HZ,
    MAX_CAPTURE_FPS,
    MAX_CUTOFF_HZ,
    MAX_HEIGHT_M,
    MAX_SPEED_MPS,
    MIN_CAPTURE_FPS,
    MIN_CUTOFF_HZ,
    MIN_HEIGHT_M,
    MIN_SPEED_MPS,
)
from gait.posetrack import PoseTrack

if TYPE_CHECKING:  # pandas only in annotations: decoding processes need not import it
    import pandas as pd


class AnalysisError(Exception):
    """The clip was read but cannot be analysed; the message says what to do."""


class OptionError(AnalysisError):
    """An option the user gave is out of range or not a number; the message says which
    and what to give instead; `field` is the AnalysisOptions field."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


def _check_option(value: float | None, *, field: str, low: float, high: float, what: str,
                  example: str) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float) or not (
            math.isfinite(value) and low <= value <= high):
        shown = f"{value:g}" if isinstance(value, int | float) else repr(value)
        raise OptionError(f"{what} {shown} is not usable: give a number from {low:g} to "
                          f"{high:g}, e.g. {example}.", field=field)


@dataclass(frozen=True)
class AnalysisOptions:
    """What the user told us. Speeds in m/s, height in m, capture rate in frames/s.
    Validates itself (`OptionError`) with the bounds above: finite and in range."""

    speed_mps: float | None = None
    treadmill: bool | None = None  # None: detect from the video
    height_m: float | None = None
    capture_fps: float | None = None
    cutoff_hz: float = DEFAULT_CUTOFF_HZ
    real_time: bool = False  # known to play in real time (a live recording): never slow motion

    def __post_init__(self) -> None:
        _check_option(self.speed_mps, field="speed_mps", low=MIN_SPEED_MPS, high=MAX_SPEED_MPS,
                      what="Running speed (m/s)", example="3.5 (12.6 km/h)")
        _check_option(self.height_m, field="height_m", low=MIN_HEIGHT_M, high=MAX_HEIGHT_M,
                      what="Body height (m)", example="1.78")
        _check_option(self.capture_fps, field="capture_fps", low=MIN_CAPTURE_FPS,
                      high=MAX_CAPTURE_FPS,
                      what="Capture rate (frames/s)", example="120 or 240")
        _check_option(self.cutoff_hz, field="cutoff_hz", low=MIN_CUTOFF_HZ, high=MAX_CUTOFF_HZ,
                      what="Filter cut-off (Hz)", example=f"{DEFAULT_CUTOFF_HZ:g}")
        if self.treadmill not in (None, True, False):
            raise OptionError(f"treadmill must be yes, no or unknown, not {self.treadmill!r}",
                              field="treadmill")


@dataclass(frozen=True)
class VideoInfo:
    """What we know about a clip. Sizes are of the upright picture, times in real seconds."""

    path: Path
    container_format: str
    codec: str
    width_px: int
    height_px: int
    rotation_deg: int  # counter-clockwise, as the metadata says; 0, 90, 180 or 270
    duration_s: float  # real time, after slow-motion scaling
    n_frames_estimate: int
    stored_fps: float  # from the stored timestamp differences (see _stored_fps)
    capture_fps: float  # real capture rate
    time_scale: float  # stored_fps / capture_fps; stored seconds × time_scale = real seconds
    size_bytes: int

    @property
    def stored_duration_s(self) -> float:
        return self.duration_s / self.time_scale

    def at_capture_rate(self, capture_fps: float) -> VideoInfo:
        """The same clip timed at another capture rate (frames/s): the one an analysis
        settled on (stated, the clip's own, or a guessed slow-motion rate)."""
        time_scale = self.stored_fps / capture_fps
        return replace(self, capture_fps=float(capture_fps), time_scale=float(time_scale),
                       duration_s=float(self.stored_duration_s * time_scale))


@dataclass
class GaitReport:
    """Everything the UI, CLI and HTML report receive. Picklable; `summary` is JSON.
    `video_info`: the clip as the analysis read it, timed at the capture rate the analysis
    used (`summary["capture_fps"]`), so the annotated video needs no second probe; None
    for an analysis of a track without its video."""

    summary: dict
    strides: pd.DataFrame
    frames: pd.DataFrame
    events: pd.DataFrame
    track: PoseTrack | None = field(default=None, repr=False)
    video_info: VideoInfo | None = field(default=None, repr=False)


# The shape of GaitReport.summary (gait.summary_versions says what each version holds and
# brings older summaries up to date).
SUMMARY_SCHEMA_VERSION = 2

DEFAULT_OPTIONS = AnalysisOptions()  # nothing stated: everything detected from the video


def to_jsonable(value):
    """Recursively convert numpy scalars/arrays and NaN/inf (→ None) for JSON."""
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [to_jsonable(v) for v in value.tolist()]
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return None if not math.isfinite(float(value)) else float(value)
    return value


def summary_json(report: GaitReport) -> str:
    """summary.json's text: the summary with numpy values and NaN/inf made JSON."""
    return json.dumps(to_jsonable(report.summary), indent=2, ensure_ascii=False)
