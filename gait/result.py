"""The result of an analysis and what goes in: the options a user gives (validated
once, the same bounds for the app, the CLI and the batch), the report every consumer
receives with its typed summary (`AnalysisSummary`, its parts in gait.summary), and the
error whose message is written for the user. A leaf: it imports no stage, so the report,
outputs, store and live modules need not import the pipeline.

Conventions: speeds in m/s, heights in m, capture rates in frames/s, filter cut-off in
Hz. summary.json is read and written here and nowhere else: `AnalysisSummary.from_json`
(after gait.summary_versions.upgrade_summary for older files) and `.as_json()`, made
JSON-safe by `to_jsonable` / `summary_json`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, replace
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
from gait.summary import (
    CleaningReport,
    ClipFacts,
    Drill,
    EliteMarker,
    GeometryFacts,
    QualityFlag,
    ReferenceUsed,
    Reliability,
    ShotAnalysed,
    SideFigures,
    SlowMotion,
    Software,
    SymmetryFigure,
    Variability,
    optional_float,
)

if TYPE_CHECKING:  # pandas only in annotations: decoding processes need not import it
    import pandas as pd


class AnalysisError(Exception):
    """The clip was read but cannot be analysed; the message says what to do."""


class SlowMotionError(AnalysisError):
    """No stride was found and the steps look slowed down: the fix is the clip's capture
    rate (each surface says where to give it)."""


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


# Where the phone was, as the user says (HipDrive cannot yet tell it from the picture):
# "hip" about hip height, as the filming guide asks; "low" near the floor or a treadmill's
# belt, looking up. A low camera's thigh and knee angles are not compared with the
# reference (gait.reference.LOW_CAMERA_METRICS).
CAMERA_HEIGHTS = ("hip", "low")


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
    pose_model: str = "heavy"  # gait.pose_models.DEFAULT_POSE_MODEL; "full" takes ~½ the time
    camera_height: str | None = None  # CAMERA_HEIGHTS; None: not said

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
        if self.pose_model not in ("full", "heavy"):  # gait.pose_models.POSE_MODELS (it
            # imports this module, and DEFAULT_OPTIONS is built at import time)
            raise OptionError(f"pose model must be full or heavy, not {self.pose_model!r}",
                              field="pose_model")
        if self.camera_height not in (None, *CAMERA_HEIGHTS):
            raise OptionError(f"camera height must be {' or '.join(CAMERA_HEIGHTS)}, not "
                              f"{self.camera_height!r}", field="camera_height")
        if self.treadmill not in (None, True, False):
            raise OptionError(f"treadmill must be yes, no or unknown, not {self.treadmill!r}",
                              field="treadmill")

    @property
    def camera_low(self) -> bool:
        """The user says the phone was low: thigh and knee angles are not compared."""
        return self.camera_height == "low"


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


DEFAULT_OPTIONS = AnalysisOptions()  # nothing stated: everything detected from the video


# The shape of summary.json (gait.summary_versions says what each version holds and
# brings older summaries up to date).
SUMMARY_SCHEMA_VERSION = 2


@dataclass(frozen=True)
class AnalysisSummary:
    """An analysis' figures and what they rest on; summary.json is its JSON
    (`as_json` / `from_json`, the one place either is done). Times in s, cadence in
    steps/min, speed in m/s, angles in ° (gait.kinematics' conventions). `per_side`,
    `symmetry` and the reference's rows are keyed by gait.metric_catalogue's metric
    names; `near_side` is "left" or "right", the leg nearer the camera."""

    capture_fps: float
    duration_s: float
    cadence_spm: float | None
    near_side: str
    far_side: str
    direction: str  # "left_to_right" | "right_to_left" (the runner's way in the picture)
    treadmill: bool
    treadmill_source: str
    speed_mps: float | None
    speed_source: str
    per_side: dict[str, SideFigures]
    reliability: Reliability
    cleaning: CleaningReport
    options: AnalysisOptions = field(default_factory=lambda: DEFAULT_OPTIONS)
    cadence_ci95_spm: float | None = None
    symmetry: dict[str, SymmetryFigure] = field(default_factory=dict)
    variability: Variability = field(default_factory=Variability)
    strides_dropped: dict[str, int] = field(default_factory=dict)
    reference: ReferenceUsed | None = None
    elite_markers: tuple[EliteMarker, ...] = ()
    drills: tuple[Drill, ...] = ()
    quality: tuple[QualityFlag, ...] = ()
    geometry: GeometryFacts = field(default_factory=GeometryFacts)
    video: ClipFacts | None = None  # None: a pose track analysed without its video
    slow_motion: SlowMotion | None = None  # set when slow motion was assumed
    shot: ShotAnalysed | None = None  # set when the clip has cuts: the one shot analysed
    software: Software = field(default_factory=Software)
    schema_version: int = SUMMARY_SCHEMA_VERSION

    def side(self, side: str) -> SideFigures:
        """A leg's figures (no strides: an empty SideFigures)."""
        return self.per_side.get(side) or SideFigures(0)

    @property
    def near(self) -> SideFigures:
        return self.side(self.near_side)

    @property
    def quality_ids(self) -> tuple[str, ...]:
        return tuple(flag.id for flag in self.quality)

    @property
    def verdict(self) -> str:
        return self.reliability.verdict

    @property
    def clip_name(self) -> str | None:
        return self.video.file if self.video else None

    def with_clip_name(self, name: str | None) -> AnalysisSummary:
        """The same summary with its clip named `name` (None: no name; a worker's or an
        upload spool's temporary name means nothing to anyone)."""
        return replace(self, video=replace(self.video, file=name) if self.video
                       else ClipFacts(file=name))

    @classmethod
    def from_json(cls, data: Mapping) -> AnalysisSummary:
        """From summary.json's shape of today (older shapes: gait.summary_versions first)."""
        options = {k: v for k, v in (data.get("options") or {}).items()
                   if k in AnalysisOptions.__dataclass_fields__}
        return cls(
            schema_version=int(data.get("schema_version") or 1),
            software=Software.from_json(data.get("software")),
            video=ClipFacts.from_json(data.get("video")),
            options=AnalysisOptions(**options),
            capture_fps=float(data["capture_fps"]), duration_s=float(data["duration_s"]),
            cadence_spm=optional_float(data.get("cadence_spm")),
            cadence_ci95_spm=optional_float(data.get("cadence_ci95_spm")),
            direction=str(data["direction"]), near_side=str(data["near_side"]),
            far_side=str(data["far_side"]), treadmill=bool(data["treadmill"]),
            treadmill_source=str(data.get("treadmill_source") or ""),
            speed_mps=optional_float(data.get("speed_mps")),
            speed_source=str(data.get("speed_source") or ""),
            per_side={side: SideFigures.from_json(v)
                      for side, v in (data.get("per_side") or {}).items()},
            symmetry={m: SymmetryFigure.from_json(v)
                      for m, v in (data.get("symmetry") or {}).items()},
            variability=Variability.from_json(data.get("variability")),
            strides_dropped={k: int(v) for k, v in (data.get("strides_dropped") or {}).items()},
            reference=ReferenceUsed.from_json(data["reference"]) if data.get("reference")
            else None,
            elite_markers=tuple(EliteMarker.from_json(m) for m in data.get("elite_markers") or ()),
            drills=tuple(Drill.from_json(d) for d in data.get("drills") or ()),
            quality=tuple(QualityFlag.from_json(q) for q in data.get("quality") or ()),
            cleaning=CleaningReport.from_json(data["cleaning"]),
            geometry=GeometryFacts.from_json(data.get("geometry")),
            reliability=Reliability.from_json(data["reliability"]),
            slow_motion=SlowMotion.from_json(data.get("slow_motion")),
            shot=ShotAnalysed.from_json(data.get("shot")))

    def as_json(self) -> dict:
        """summary.json's shape (numbers may still be numpy or NaN: see `to_jsonable`)."""
        out = {
            "schema_version": self.schema_version, "software": asdict(self.software),
            "video": self.video.as_json() if self.video else {},
            "options": dict(self.options.__dict__),
            "capture_fps": self.capture_fps, "duration_s": self.duration_s,
            "cadence_spm": self.cadence_spm, "cadence_ci95_spm": self.cadence_ci95_spm,
            "direction": self.direction, "near_side": self.near_side,
            "far_side": self.far_side, "treadmill": self.treadmill,
            "treadmill_source": self.treadmill_source, "speed_mps": self.speed_mps,
            "speed_source": self.speed_source,
            "per_side": {side: v.as_json() for side, v in self.per_side.items()},
            "symmetry": {m: v.as_json() for m, v in self.symmetry.items()},
            "variability": asdict(self.variability),
            "strides_dropped": dict(self.strides_dropped),
            "reference": self.reference.as_json() if self.reference else None,
            "elite_markers": [asdict(m) for m in self.elite_markers],
            "drills": [asdict(d) for d in self.drills],
            "quality": [asdict(q) for q in self.quality],
            "cleaning": asdict(self.cleaning), "geometry": asdict(self.geometry),
            "reliability": self.reliability.as_json(),
        }
        if self.slow_motion:
            out["slow_motion"] = asdict(self.slow_motion)
        if self.shot:
            out["shot"] = asdict(self.shot)
        return out


@dataclass
class GaitReport:
    """Everything the UI, CLI and HTML report receive. Picklable.
    `video_info`: the clip as the analysis read it, timed at the capture rate the analysis
    used (`summary.capture_fps`), so the annotated video needs no second probe; None
    for an analysis of a track without its video."""

    summary: AnalysisSummary
    strides: pd.DataFrame
    frames: pd.DataFrame
    events: pd.DataFrame
    track: PoseTrack | None = field(default=None, repr=False)
    video_info: VideoInfo | None = field(default=None, repr=False)


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
    return json.dumps(to_jsonable(report.summary.as_json()), indent=2, ensure_ascii=False)
