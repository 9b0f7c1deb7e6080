"""Every figure HipDrive reports, once: its key, honest name, unit, short table header,
definition, and where it appears. Every list of metrics (the stride metrics the engine
computes and summarises, the reference comparisons of the app and the report, the
stride tables, the database's stride columns, the glossary on the Method page and in
the report) is derived from `CATALOGUE`, in its order (the order people read them in).

Conventions: angles in degrees from the 2D side view (thigh = hip→knee line against
vertical, + in front; trunk–thigh = the thigh against the shoulder→hip line), times in
seconds; keys end in their unit (`_deg`, `_s`, `_spm`). A leaf: imports nothing of gait.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    """One reported figure.

    per_stride: measured stride by stride (a column of strides.csv and of the database);
    summarised: its median, spread and 95 % interval per leg are in summary.json;
    compared: shown against the speed-matched reference (app and report) — whether a
    reference value exists is the reference's business (`gait.reference`);
    in_table: a column of the stride tables (app and report), under `short`."""

    key: str
    name: str
    unit: str
    definition: str
    short: str = ""
    per_stride: bool = True
    summarised: bool = True
    compared: bool = False
    in_table: bool = False


CATALOGUE: tuple[Metric, ...] = (
    Metric("cadence_spm", "Cadence", "steps/min", "Steps per minute counting both feet (120 ÷ "
           "the median stride time), as running watches report it.",
           per_stride=False, summarised=False),
    Metric("peak_thigh_extension_deg", "Peak thigh extension", "°", "How far the thigh "
           "(hip→knee line) swings behind vertical at its furthest back in a stride: the "
           "'drive back'.", "Thigh ext °", compared=True, in_table=True),
    Metric("peak_thigh_flexion_deg", "Peak thigh flexion", "°", "How far the thigh swings in "
           "front of vertical at its furthest forward: the knee drive.", "Thigh flex °",
           compared=True, in_table=True),
    Metric("thigh_rom_deg", "Thigh range of motion", "°", "Peak thigh flexion + peak thigh "
           "extension: the whole arc the thigh sweeps in a stride.", "Thigh ROM °",
           compared=True, in_table=True),
    Metric("peak_hip_extension_deg", "Peak trunk–thigh extension (2D 'hip' angle)", "°",
           "How far the thigh goes behind the trunk line (shoulder→hip). Equals thigh "
           "extension minus forward trunk lean. No reference data exist for it.",
           "Trunk–thigh ext °", compared=True, in_table=True),
    Metric("peak_hip_flexion_deg", "Peak trunk–thigh flexion", "°", "How far the thigh comes "
           "in front of the trunk line."),
    Metric("hip_rom_deg", "Trunk–thigh range of motion", "°", "Peak trunk–thigh flexion + "
           "extension.", "Trunk–thigh ROM °", compared=True, in_table=True),
    Metric("thigh_at_strike_deg", "Thigh angle at foot strike", "°", "Signed thigh angle when "
           "the foot lands; + = knee ahead of the hip.", compared=True),
    Metric("thigh_at_toe_off_deg", "Thigh angle at toe-off", "°", "Signed thigh angle when the "
           "foot leaves the ground; − = knee behind the hip.", compared=True),
    Metric("knee_at_strike_deg", "Knee flexion at foot strike", "°", "180° minus the "
           "hip–knee–ankle angle when the foot lands; 0 = straight leg.", "Knee at strike °",
           compared=True, in_table=True),
    Metric("peak_knee_flexion_swing_deg", "Peak knee flexion in swing", "°", "Most bent knee "
           "while the foot is in the air (heel recovery).", "Knee swing peak °",
           compared=True, in_table=True),
    Metric("shank_at_strike_deg", "Shank angle at foot strike", "°", "Knee→ankle line against "
           "vertical at landing; + = ankle ahead of the knee (overstride).",
           "Shank at strike °", compared=True, in_table=True),
    Metric("trunk_lean_deg", "Trunk lean", "°", "Hip→shoulder line against vertical, mean over "
           "the stride; + = leaning forward.", "Trunk lean °", compared=True, in_table=True),
    Metric("contact_time_s", "Ground contact time", "s", "Foot strike to toe-off of the same "
           "foot.", "Contact s", compared=True, in_table=True),
    Metric("stride_time_s", "Stride time", "s", "Foot strike to the next foot strike of the "
           "same foot (two steps).", "Stride s", compared=True, in_table=True),
    Metric("confidence", "Stride confidence", "0–1", "Mean pose-model confidence of the hip, "
           "knee and ankle over the stride × the share of frames measured rather than "
           "interpolated. Below ~0.6 (marked) treat the stride with caution.", "Conf.",
           summarised=False, in_table=True),
)

BY_KEY: dict[str, Metric] = {metric.key: metric for metric in CATALOGUE}
LOW_STRIDE_CONFIDENCE = 0.6  # a stride's confidence under this is marked in the tables
STRIDE_TIMES: tuple[str, ...] = ("start_s", "end_s", "toe_off_s")  # a stride's moments
# computed per stride and summarised per leg (gait.metrics)
STRIDE_METRICS: tuple[str, ...] = tuple(m.key for m in CATALOGUE if m.per_stride and m.summarised)
PER_STRIDE: tuple[str, ...] = tuple(m.key for m in CATALOGUE if m.per_stride)
COMPARED: tuple[str, ...] = tuple(m.key for m in CATALOGUE if m.compared)
TABLE_COLUMNS: tuple[str, ...] = tuple(m.key for m in CATALOGUE if m.in_table)
# strides.csv keeps the column order its contract gives (DESIGN §5: trunk–thigh before
# thigh angles); the same columns as PER_STRIDE, checked by the tests
STRIDES_CSV_METRICS: tuple[str, ...] = (
    "peak_hip_extension_deg", "peak_thigh_extension_deg", "peak_hip_flexion_deg",
    "peak_thigh_flexion_deg", "hip_rom_deg", "thigh_rom_deg", "thigh_at_strike_deg",
    "thigh_at_toe_off_deg", "knee_at_strike_deg", "peak_knee_flexion_swing_deg",
    "shank_at_strike_deg", "trunk_lean_deg", "contact_time_s", "stride_time_s", "confidence")
