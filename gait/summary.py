"""The parts of an analysis' summary as typed records (gait.result.AnalysisSummary holds
them): per-leg figures, left/right differences, the reference as it was used, the quality
notes, drills and the trust verdict. A leaf: it imports no stage.

Each record reads itself from summary.json's shape (`from_json`) and writes that shape
back (`as_json`), so JSON is made and read in one place (gait.result). Units are in the
names (_deg, _s, _spm, _mps, _px); angles follow gait.kinematics' conventions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields


def optional_float(value) -> float | None:
    """A JSON number as float; None (JSON's null, written for NaN) stays None."""
    return None if value is None else float(value)


def _known(cls, data: Mapping) -> dict:
    """The entries of `data` that are fields of the dataclass `cls` (older or newer
    summaries may hold fewer or more)."""
    names = {f.name for f in fields(cls)}
    return {k: v for k, v in data.items() if k in names}


class FlatRecord:
    """A record whose JSON is its own fields: read back with keys it does not know
    (a newer summary's) left out and missing ones at their defaults."""

    @classmethod
    def from_json(cls, data: Mapping):
        return cls(**_known(cls, data or {}))


@dataclass(frozen=True)
class MetricFigure:
    """One metric over one leg's strides: median, stride-to-stride SD and the 95 %
    confidence half-width of the median (None when too few strides)."""

    median: float | None
    sd: float | None = None
    ci95: float | None = None

    @classmethod
    def from_json(cls, data: Mapping | None) -> MetricFigure:
        data = data or {}
        return cls(*(optional_float(data.get(k)) for k in ("median", "sd", "ci95")))


@dataclass(frozen=True)
class SideFigures:
    """One leg: how many strides it kept and each stride metric's figure."""

    n_strides: int
    metrics: dict[str, MetricFigure] = field(default_factory=dict)

    def median(self, metric: str) -> float | None:
        figure = self.metrics.get(metric)
        return None if figure is None else figure.median

    def figure(self, metric: str) -> MetricFigure:
        return self.metrics.get(metric) or MetricFigure(None)

    def strides_holding(self, metric: str) -> int:
        """How many of the leg's strides hold `metric`, as far as the figures tell: its
        strides, but at most 1 when the figure has no ± (fewer than two strides hold a
        value: a leg hidden at its peak leaves it blank in the others)."""
        return self.n_strides if self.figure(metric).ci95 is not None else min(self.n_strides, 1)

    @classmethod
    def from_json(cls, data: Mapping | None) -> SideFigures:
        data = data or {}
        return cls(n_strides=int(data.get("n_strides") or 0),
                   metrics={k: MetricFigure.from_json(v) for k, v in data.items()
                            if isinstance(v, Mapping)})

    def as_json(self) -> dict:
        return {"n_strides": self.n_strides,
                **{k: asdict(v) for k, v in self.metrics.items()}}


@dataclass(frozen=True)
class SymmetryFigure:
    """Left − right difference of a metric's medians, in its unit; for times also the
    symmetry index (%) = 100·(L − R)/mean(|L|, |R|)."""

    left_minus_right: float
    symmetry_index_pct: float | None = None

    @classmethod
    def from_json(cls, data: Mapping) -> SymmetryFigure:
        return cls(float(data["left_minus_right"]),
                   optional_float(data.get("symmetry_index_pct")))

    def as_json(self) -> dict:
        out = {"left_minus_right": self.left_minus_right}
        if self.symmetry_index_pct is not None:
            out["symmetry_index_pct"] = self.symmetry_index_pct
        return out


@dataclass(frozen=True)
class Variability:
    """Stride to stride: CV of stride time (%), mean per-leg SD of peak thigh extension."""

    stride_time_cv_pct: float | None = None
    peak_thigh_extension_sd_deg: float | None = None

    @classmethod
    def from_json(cls, data: Mapping | None) -> Variability:
        data = data or {}
        return cls(optional_float(data.get("stride_time_cv_pct")),
                   optional_float(data.get("peak_thigh_extension_sd_deg")))


@dataclass(frozen=True)
class ComparisonRow(FlatRecord):
    """A runner's median against the reference. Angles (`_deg`) carry the band
    ("noise" | "possible" | "likely") and its noise width; other metrics only the
    interpretation of their percentage difference."""

    metric: str
    value: float
    reference: float
    difference: float
    interpretation: str
    band: str | None = None
    noise_band_deg: float | None = None

    def as_json(self) -> dict:
        return {k: v for k, v in asdict(self).items()
                if v is not None or k not in ("band", "noise_band_deg")}


@dataclass(frozen=True)
class ReferenceUsed:
    """The speed-matched reference an analysis was compared with, kept with it: the speed
    asked for and used (clamped to the reference's range), its metric values, both mean
    curves (° at 0–99 % of the stride) and the comparison rows per leg."""

    speed_mps_used: float
    clamped: bool
    note: str
    values: dict[str, float]
    comparison: dict[str, tuple[ComparisonRow, ...]]
    attribution: str
    requested_speed_mps: float | None = None
    thigh_curve_deg: tuple[float, ...] = ()
    knee_curve_deg: tuple[float, ...] = ()
    curves_matched_on_opening: bool = False  # an older analysis' curves, matched today

    def rows(self, side: str) -> tuple[ComparisonRow, ...]:
        return self.comparison.get(side, ())

    def row(self, side: str, metric: str) -> ComparisonRow | None:
        return next((r for r in self.rows(side) if r.metric == metric), None)

    @classmethod
    def from_json(cls, data: Mapping) -> ReferenceUsed:
        return cls(
            speed_mps_used=float(data["speed_mps_used"]), clamped=bool(data.get("clamped")),
            note=str(data.get("note") or ""),
            values={k: float(v) for k, v in (data.get("values") or {}).items()
                    if v is not None},
            comparison={side: tuple(ComparisonRow.from_json(r) for r in rows)
                        for side, rows in (data.get("comparison") or {}).items()},
            attribution=str(data.get("attribution") or ""),
            requested_speed_mps=optional_float(data.get("requested_speed_mps")),
            thigh_curve_deg=tuple(float(v) for v in data.get("thigh_curve_deg") or ()),
            knee_curve_deg=tuple(float(v) for v in data.get("knee_curve_deg") or ()),
            curves_matched_on_opening=bool(data.get("curves_matched_on_opening")))

    def as_json(self) -> dict:
        out = {"speed_mps_used": self.speed_mps_used, "clamped": self.clamped,
               "note": self.note, "values": dict(self.values),
               "comparison": {side: [r.as_json() for r in rows]
                              for side, rows in self.comparison.items()},
               "attribution": self.attribution}
        if self.thigh_curve_deg:
            out |= {"requested_speed_mps": self.requested_speed_mps,
                    "thigh_curve_deg": list(self.thigh_curve_deg),
                    "knee_curve_deg": list(self.knee_curve_deg)}
        if self.curves_matched_on_opening:
            out["curves_matched_on_opening"] = True
        return out


@dataclass(frozen=True)
class EliteMarker(FlatRecord):
    """A published difference between recreational and elite runners (None: not given)."""

    metric: str
    recreational: float | None
    elite: float | None
    text: str
    source: str


@dataclass(frozen=True)
class Drill(FlatRecord):
    """A drill suggestion: what was found, why this drill, the evidence and its grade."""

    id: str
    name: str
    finding: str
    why: str
    evidence: str
    evidence_grade: str
    dosage: str


@dataclass(frozen=True)
class Note(FlatRecord):
    """A finding in words: an id for code, a severity and a message for the runner."""

    id: str
    severity: str
    message: str


@dataclass(frozen=True)
class QualityFlag(Note):
    """A note about the clip's quality (gait.quality ids; severity "info" | "warning")."""


@dataclass(frozen=True)
class Reason(Note):
    """One reason behind the trust verdict (gait.reliability ids; severity
    "use_with_care" | "not_reliable")."""


@dataclass(frozen=True)
class Reliability:
    """The trust verdict ("reliable" | "use_with_care" | "not_reliable") and its reasons,
    most severe first."""

    verdict: str
    reasons: tuple[Reason, ...] = ()

    @property
    def first_reason(self) -> str | None:
        return self.reasons[0].message if self.reasons else None

    @classmethod
    def from_json(cls, data: Mapping) -> Reliability:
        return cls(str(data["verdict"]),
                   tuple(Reason.from_json(r) for r in data.get("reasons") or ()))

    def as_json(self) -> dict:
        return {"verdict": self.verdict, "reasons": [asdict(r) for r in self.reasons]}


@dataclass(frozen=True)
class CleaningReport(FlatRecord):
    """What cleaning did, in numbers a user can read."""

    n_frames: int
    frames_without_person: int
    gated_fraction: float
    swap_repaired_frames: int
    gap_filled_frames: int
    unfilled_frames: int
    cutoff_hz: float
    foot_outside_frame_frames: int = 0  # frames with a foot keypoint outside the picture

    @property
    def foot_outside_frame_share(self) -> float:
        """Of the frames with the runner, the share with a foot outside the picture."""
        seen = self.n_frames - self.frames_without_person
        return self.foot_outside_frame_frames / seen if seen else 0.0


@dataclass(frozen=True)
class OtherPeople(FlatRecord):
    """How many checked frames showed somebody besides the runner."""

    frames_checked: int
    frames_with_others: int


@dataclass(frozen=True)
class TrueVertical(FlatRecord):
    """Where "down" really is in the picture (`gait.level`): the vanishing point of the
    background's vertical edges, homogeneous (x, y, w) in pixels of the upright frame
    (w = 0: the edges are parallel, the picture is only rolled), how many edges it rests
    on and their length (picture heights, summed over the sampled frames)."""

    vanishing_x: float
    vanishing_y: float
    vanishing_w: float
    segments: int
    edge_length_heights: float


@dataclass(frozen=True)
class ClipFacts:
    """The clip as decoded: file name, upright size, rotation, rates and what was damaged.
    Stored rate = the file's; capture rate = real frames per second as known when the
    clip was read: the stored rate, or the rate the user gave. A slow-motion rate HipDrive
    only assumed is not here: the analysis' own rate is `AnalysisSummary.capture_fps` and
    the guess `AnalysisSummary.slow_motion`. A pose track analysed without its video
    knows at most the file's name: the rest is None."""

    file: str | None  # the file's name as the user gave it, None when not known
    width_px: int | None = None
    height_px: int | None = None
    rotation_deg: int | None = None
    stored_fps: float | None = None
    capture_fps: float | None = None
    codec: str | None = None
    damaged_packets: int = 0
    corrupt_frames: int = 0
    decoding_stopped_early: bool = False
    other_people: OtherPeople | None = None
    true_vertical: TrueVertical | None = None
    picture_bottom_px: int | None = None  # above a black bar along the bottom (gait.picture)

    @property
    def frames_lost_to_damage(self) -> int:
        return self.damaged_packets + self.corrupt_frames

    @classmethod
    def from_json(cls, data: Mapping | None) -> ClipFacts | None:
        """None for an analysis of a pose track without its video (`{}`)."""
        if not data:
            return None
        known = _known(cls, data)
        people = known.pop("other_people", None)
        vertical = known.pop("true_vertical", None)
        return cls(**known, other_people=OtherPeople.from_json(people) if people else None,
                   true_vertical=TrueVertical.from_json(vertical) if vertical else None)

    def as_json(self) -> dict:
        """The fields known (a name-only record gives {"file": …})."""
        if self.width_px is None:
            return {"file": self.file}
        out = asdict(self)
        for optional in ("other_people", "true_vertical"):
            if out[optional] is None:
                out.pop(optional)
        return out


@dataclass(frozen=True)
class GeometryFacts:
    """How the runner sat in the picture: leg length (hip→ankle, px), how consistently
    the runner faced one way (0–1), hip travel across the picture (leg lengths) and the
    far thigh's length over the near one's (≈ 1 when filmed square from the side)."""

    leg_length_px: float | None = None
    direction_agreement: float | None = None
    hip_travel_leg_lengths: float | None = None
    far_to_near_thigh_length: float | None = None
    # the true vertical's lean at the runner's pelvis that the angles were corrected by
    # (median over frames, deg, + = down points to the picture's right; `gait.level`),
    # None when the picture was not levelled (no fit, or a fit beyond the 6° cap: then
    # `video.true_vertical` may still hold the fit that was not applied)
    levelled_by_deg: float | None = None

    @classmethod
    def from_json(cls, data: Mapping | None) -> GeometryFacts:
        return cls(**{k: optional_float(v) for k, v in _known(cls, data or {}).items()})


@dataclass(frozen=True)
class SlowMotion:
    """A clip taken for slow motion without its capture rate: the factor assumed."""

    assumed_factor: float
    assumed_capture_fps: float

    @classmethod
    def from_json(cls, data: Mapping | None) -> SlowMotion | None:
        return cls(float(data["assumed_factor"]), float(data["assumed_capture_fps"])) \
            if data else None


ENTERED_BY_USER = "entered by the user"  # a speed or surface the user gave, not detected


@dataclass(frozen=True)
class ShotAnalysed:
    """A clip cut together from several shots (gait.shots): where the cuts are and the
    one shot analysed, in s from the clip's first frame (`to_s`: the end of its last
    frame)."""

    cut_times_s: tuple[float, ...]
    from_s: float
    to_s: float

    @property
    def n_shots(self) -> int:
        return len(self.cut_times_s) + 1

    @property
    def duration_s(self) -> float:
        return self.to_s - self.from_s

    @classmethod
    def from_json(cls, data: Mapping | None) -> ShotAnalysed | None:
        return cls(tuple(float(t) for t in data["cut_times_s"]), float(data["from_s"]),
                   float(data["to_s"])) if data else None


@dataclass(frozen=True)
class Software(FlatRecord):
    name: str = "hipdrive"
    version: str = ""
    pose_model: str = "full"  # BlazePose full or heavy (gait.pose_models)
