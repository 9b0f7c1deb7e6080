"""A GaitReport to database rows and back.

Summary, options and events are JSON (NaN → null); strides are one row each with a
typed column per contract metric (extra columns as JSON); per-frame landmarks and
angles are one compressed NumPy block (`npz-v1`), exact to the bit. A loaded report
has no pose track (`track=None`): it is only needed to draw a new annotated video.
"""

from __future__ import annotations

import io
import json
import math

import numpy as np
import pandas as pd

from gait.result import AnalysisSummary, GaitReport, to_jsonable
from gait.store.schema import STRIDE_COLUMNS
from gait.summary_versions import upgrade_summary

FRAMES_FORMAT = "npz-v1"
STRIDE_KEYS = ("side", "stride")


def dumps(value) -> str:
    return json.dumps(to_jsonable(value), ensure_ascii=False, separators=(",", ":"))


def frames_to_blob(frames: pd.DataFrame) -> bytes:
    """Columns in order, each as its own array (names kept in `__columns__`)."""
    buffer = io.BytesIO()
    arrays = {f"c{i}": frames[col].to_numpy() for i, col in enumerate(frames.columns)}
    np.savez_compressed(buffer, __columns__=np.array(list(frames.columns), dtype=str),
                        **arrays)
    return buffer.getvalue()


def frames_from_blob(blob: bytes) -> pd.DataFrame:
    with np.load(io.BytesIO(blob), allow_pickle=False) as data:
        columns = [str(c) for c in data["__columns__"]]
        return pd.DataFrame({col: data[f"c{i}"] for i, col in enumerate(columns)})


def _number(value):
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def stride_rows(strides: pd.DataFrame) -> list[dict]:
    """One dict per stride for the `strides` table (without analysis_id)."""
    extra_cols = [c for c in strides.columns if c not in STRIDE_COLUMNS and c not in STRIDE_KEYS]
    rows = []
    for position, record in enumerate(strides.to_dict("records")):
        row = {"side": str(record["side"]), "stride": int(record["stride"]),
               "position": position}
        row.update({col: _number(record.get(col)) for col in STRIDE_COLUMNS})
        row["extra_json"] = dumps({col: record[col] for col in extra_cols})
        rows.append(row)
    return rows


def strides_from_rows(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    records = []
    for row in sorted(rows, key=lambda r: r["position"]):
        record = {"side": row["side"], "stride": int(row["stride"])}
        record.update({col: np.nan if row[col] is None else float(row[col])
                       for col in STRIDE_COLUMNS})
        record.update(json.loads(row["extra_json"] or "{}"))
        records.append(record)
    return pd.DataFrame.from_records(records, columns=columns)


def events_to_json(events: pd.DataFrame) -> str:
    return dumps({"columns": list(events.columns), "rows": events.to_numpy().tolist()})


def events_from_json(text: str) -> pd.DataFrame:
    data = json.loads(text)
    table = pd.DataFrame(data["rows"], columns=data["columns"])
    for col in ("time_s",):
        if col in table:
            table[col] = table[col].astype(float)
    return table


def report_from_rows(*, summary_json: str, strides: list[dict], stride_columns_json: str,
                     frames_blob: bytes, events_json: str) -> GaitReport:
    """A saved analysis, its summary brought up to today's shape
    (gait.summary_versions.upgrade_summary)."""
    table = strides_from_rows(strides, json.loads(stride_columns_json))
    frames, events = frames_from_blob(frames_blob), events_from_json(events_json)
    summary = upgrade_summary(json.loads(summary_json), strides=table, events=events,
                              frames=frames)
    return GaitReport(summary=AnalysisSummary.from_json(summary), strides=table, frames=frames,
                      events=events, track=None)


def summary_figures(summary: AnalysisSummary) -> dict:
    """The denormalised figures the history and squad tables sort and plot by."""
    extension = "peak_thigh_extension_deg"
    symmetry = summary.symmetry.get(extension)
    return {
        "speed_mps": summary.speed_mps,
        "cadence_spm": summary.cadence_spm,
        "near_side": summary.near_side,
        "peak_thigh_extension_left_deg": summary.side("left").median(extension),
        "peak_thigh_extension_right_deg": summary.side("right").median(extension),
        "thigh_extension_left_minus_right_deg": symmetry.left_minus_right if symmetry else None,
        # a phone the user says was low: its thigh angles are not compared (history,
        # squad and workshop board draw no reference for that run)
        "reference_peak_thigh_extension_deg": summary.reference.values.get(extension)
        if summary.reference and not summary.options.camera_low else None,
        # the trust verdict (unless "reliable") leads the quality flag codes
        "flags_json": dumps([v for v in [summary.verdict] if v != "reliable"]
                            + list(summary.quality_ids)),
    }
