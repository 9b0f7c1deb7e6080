"""Shared fixtures: synthetic runners with known truth (see tests/synthetic/README.md)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def match_strides(truth: pd.DataFrame, estimated: pd.DataFrame, *, tolerance_s: float
                  ) -> pd.DataFrame:
    """Pair each true stride with the estimated stride of the same side whose start is
    closest (within tolerance_s). Columns: side, true_*, est_* for shared metrics."""
    rows = []
    for row in truth.itertuples(index=False):
        same = estimated[estimated["side"] == row.side]
        if same.empty:
            continue
        j = (same["start_s"] - row.start_s).abs().idxmin()
        if abs(same.loc[j, "start_s"] - row.start_s) <= tolerance_s:
            entry = {"side": row.side, "est_index": j}
            for col in ("start_s", "toe_off_s", "end_s", "peak_thigh_extension_deg",
                        "peak_hip_extension_deg", "peak_thigh_flexion_deg", "contact_time_s"):
                entry[f"true_{col}"] = getattr(row, col)
                entry[f"est_{col}"] = same.loc[j, col]
            rows.append(entry)
    return pd.DataFrame(rows)


def mean_abs(values) -> float:
    return float(np.mean(np.abs(np.asarray(values, dtype=float))))
