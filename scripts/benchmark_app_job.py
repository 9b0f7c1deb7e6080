"""How long an upload waits in the app for its numbers, and for its annotated video.

    .venv/bin/python scripts/benchmark_app_job.py [--seconds 10] [--repeat 2]

Runs a rendered 1280×720 60 fps treadmill clip through the app's own job service
(`ui.service.start_analysis`, the path an upload takes, in bare mode without a
browser) and prints, per run, the seconds until the job's numbers exist (Results opens
then) and until it has ended with the annotated video. Each run uses a new job store
and new options, so nothing is cached; the first run also pays the imports' warm-up.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hipdrive-bench-") as tmp:
        os.environ["HIPDRIVE_DATA_DIR"] = str(Path(tmp) / "data")
        from gait.result import AnalysisOptions
        from synthetic.render_runner import make_clip
        from ui import service

        clip, _ = make_clip(Path(tmp), fps=60.0, treadmill=True, seconds=args.seconds,
                            name="720p", frame_size=(1280, 720), body_height_px=560, seed=7)
        for run in range(args.repeat):
            store = service.AnalysisJobs()
            started = time.perf_counter()
            job = service.start_analysis(
                service.spool_file(Path(clip)),
                options=AnalysisOptions(speed_mps=3.5 + 0.01 * run),  # a new cache key
                session=f"bench-{run}", store=store)
            numbers_s = None
            while not job.done:
                if numbers_s is None and job.numbers.report is not None:
                    numbers_s = time.perf_counter() - started
                time.sleep(0.02)
            job.future.result()
            done_s = time.perf_counter() - started
            print(f"run {run + 1}: numbers after {numbers_s:.2f} s, "
                  f"annotated video after {done_s:.2f} s")


if __name__ == "__main__":
    main()
