"""Write the analysis contract (DESIGN §5) into a folder, all or nothing.

Files are produced in a temporary sibling folder and moved into place only when
every one of them is complete, so a failure never leaves half-written results.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from gait.metric_catalogue import STRIDE_TIMES, STRIDES_CSV_METRICS
from gait.result import GaitReport, summary_json

STRIDES_CSV_COLUMNS = ("side", "stride", *STRIDE_TIMES, *STRIDES_CSV_METRICS)


def write_outputs(report: GaitReport, out_dir: str | Path, *,
                  annotated_video: Callable[[Path], None] | None = None,
                  html_report: Callable[[Path], None] | None = None) -> list[Path]:
    """Write summary.json, strides.csv, frames.csv, and — through the given writers —
    annotated.mp4 and report.html into `out_dir`. Returns the written paths."""
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", dir=out_dir.parent))
    try:
        (staging / "summary.json").write_text(summary_json(report), encoding="utf-8")
        report.strides.loc[:, list(STRIDES_CSV_COLUMNS)].to_csv(
            staging / "strides.csv", index=False, float_format="%.3f")
        report.frames.to_csv(staging / "frames.csv", index=False, float_format="%.3f")
        if html_report:
            html_report(staging / "report.html")
        if annotated_video:
            annotated_video(staging / "annotated.mp4")
        out_dir.mkdir(exist_ok=True)
        written = []
        for item in sorted(staging.iterdir()):
            os.replace(item, out_dir / item.name)
            written.append(out_dir / item.name)
        return written
    finally:
        shutil.rmtree(staging, ignore_errors=True)
