"""summary.json's shape over time, and the one place an older summary is brought up to
today's (`upgrade_summary`, on the JSON before gait.result.AnalysisSummary reads it):
the store calls it on every load, so every reader of a saved analysis sees one shape.

`SUMMARY_SCHEMA_VERSION` in gait.result numbers the shape:

1. (no `schema_version` key) everything written up to 2026-12-02. It may lack the
   trust verdict (`reliability`, saved before the verdict existed) and the reference's
   curves (`reference.thigh_curve_deg`, `knee_curve_deg`, `requested_speed_mps`, saved
   before the reference as used was kept).
2. `schema_version`; `reliability` always present; `reference` always keeps the curves it
   was compared with. A version-1 summary gets its verdict assessed from its tables and
   its reference matched again at its speed from today's curves, marked
   `reference.curves_matched_on_opening`. Its cadence is no longer compared with the
   reference when the speed was estimated from that cadence (they match by construction).
"""

from __future__ import annotations

import pandas as pd

from gait.reference import SPEED_FROM_CADENCE_SOURCE, reference_at
from gait.reliability import RELIABLE, VERDICTS, assess_report
from gait.result import SUMMARY_SCHEMA_VERSION, AnalysisSummary

CURVE_KEYS = ("thigh_curve_deg", "knee_curve_deg", "values")


def upgrade_summary(summary: dict, *, strides: pd.DataFrame, events: pd.DataFrame,
                    frames: pd.DataFrame) -> dict:
    """`summary` (summary.json's dict) in today's shape (a new dict when anything
    changes; see the module docstring for what each version lacks). The tables are the
    analysis' own, as gait.reliability.assess_report needs them."""
    if int(summary.get("schema_version") or 1) >= SUMMARY_SCHEMA_VERSION:
        return summary
    upgraded = dict(summary, schema_version=SUMMARY_SCHEMA_VERSION)
    verdict = upgraded.get("reliability")
    if not (isinstance(verdict, dict) and verdict.get("verdict") in VERDICTS):
        # every other figure the verdict rests on is read as today's summary reads it
        unassessed = AnalysisSummary.from_json(dict(upgraded, reliability={"verdict": RELIABLE}))
        upgraded["reliability"] = assess_report(unassessed, strides=strides, events=events,
                                                frames=frames).as_json()
    kept = upgraded.get("reference")
    if kept and upgraded.get("speed_source") == SPEED_FROM_CADENCE_SOURCE:
        # compared with the reference at the speed read off this very cadence: circular
        kept = upgraded["reference"] = dict(kept, comparison={
            side: [row for row in rows if row.get("metric") != "cadence_spm"]
            for side, rows in (kept.get("comparison") or {}).items()})
    if kept and not all(kept.get(key) for key in CURVE_KEYS):
        matched = reference_at(float(kept["speed_mps_used"])).as_used().as_json()
        upgraded["reference"] = {"values": matched["values"], **kept,
                                 **{key: matched[key] for key in CURVE_KEYS[:2]},
                                 "requested_speed_mps": matched["requested_speed_mps"],
                                 "curves_matched_on_opening": True}
    return upgraded
