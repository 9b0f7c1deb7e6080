"""Shared fixtures: synthetic runners with known truth (see synthetic/README.md)."""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest


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


def phantom_strides(truth: pd.DataFrame, estimated: pd.DataFrame, *, tolerance_s: float
                    ) -> pd.DataFrame:
    """Estimated strides that match no true stride of the same side (start and end
    both within tolerance_s)."""
    bad = []
    for j, row in estimated.iterrows():
        same = truth[truth["side"] == row["side"]]
        ok = ((same["start_s"] - row["start_s"]).abs() <= tolerance_s) & (
            (same["end_s"] - row["end_s"]).abs() <= tolerance_s)
        if not ok.any():
            bad.append(j)
    return estimated.loc[bad]


def complete_truth_strides(run) -> pd.DataFrame:
    """True strides whose first and last ground contacts both lie inside the clip
    (a contact cut by the clip's start or end has an unknown foot strike/toe-off)."""
    t0, t1 = run.time_s[0], run.time_s[-1]
    frame_s = 1.0 / run.fps
    toe_offs = run.events[run.events["event"] == "toe_off"]
    keep = []
    for row in run.strides.itertuples(index=False):
        side_offs = toe_offs[toe_offs["side"] == row.side]["time_s"].to_numpy()
        after_end = side_offs[side_offs > row.end_s]
        keep.append(row.start_s > t0 + frame_s and len(after_end) > 0
                    and after_end[0] < t1 - frame_s)
    return run.strides[np.array(keep, dtype=bool)].reset_index(drop=True)


def mean_abs(values) -> float:
    return float(np.mean(np.abs(np.asarray(values, dtype=float))))


@pytest.fixture(scope="session")
def postgres_url():
    """A real PostgreSQL server started for this test session. Skipped only when the
    binaries are missing and HIPDRIVE_REQUIRE_POSTGRES is unset (scripts/test.sh sets
    it, so CI fails rather than skips)."""
    from tests.pg_server import postgres_bin_dir, temporary_postgres

    if postgres_bin_dir() is None:
        if os.environ.get("HIPDRIVE_REQUIRE_POSTGRES"):
            pytest.fail("PostgreSQL is required (HIPDRIVE_REQUIRE_POSTGRES) but not installed")
        pytest.skip("PostgreSQL binaries not installed")
    with temporary_postgres() as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright (the browser tests)."""
    from playwright.sync_api import sync_playwright

    from tests.streamlit_server import BROWSER_ARGS, CHROMIUM

    with sync_playwright() as p:
        launched = p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def ray_head():
    """A real `ray start --head` on this machine (tests/ray_cluster.py); its address."""
    from tests.ray_cluster import ray_head_address

    yield from ray_head_address()
