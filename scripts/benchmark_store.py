"""Benchmark the saved-analysis store: save, load (a share link), history and squad
queries, and the stored size per analysis, on SQLite (default) or PostgreSQL.

    .venv/bin/python scripts/benchmark_store.py [--url postgresql://…] [--analyses 200]
        [--seconds 10] [--writers 4]

Each analysis is a real engine result on a synthetic run of --seconds at 60 fps (no
video). With --writers N, N processes save at the same time and the throughput of
all of them together is reported. Prints medians over the analyses.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _report(seconds: float):
    from gait.pipeline import analyze_track
    from synthetic.runner_model import synthesize_run, to_pose_track

    return analyze_track(to_pose_track(synthesize_run(fps=60, duration_s=seconds)),
                         capture_fps=60)


def _writer(url: str, files_dir: str, count: int, seconds: float, worker: int) -> list[float]:
    from gait.store import Store

    store, report = Store(url, files_dir=Path(files_dir)), _report(seconds)
    times = []
    for i in range(count):
        started = time.perf_counter()
        store.save(report, athlete_name=f"athlete {i % 20}", squad=True,
                   note=f"writer {worker}")
        times.append(time.perf_counter() - started)
    store.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="database URL (default: a new SQLite file)")
    parser.add_argument("--analyses", type=int, default=200)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--writers", type=int, default=4)
    args = parser.parse_args()

    from gait.store import Store
    from gait.store.location import database_url

    tmp = Path(tempfile.mkdtemp(prefix="hipdrive-bench-"))
    if args.url:
        os.environ["HIPDRIVE_DATABASE_URL"] = args.url
    url = database_url() if args.url else f"sqlite:///{tmp / 'bench.sqlite3'}"
    store = Store(url, files_dir=tmp / "files")
    report = _report(args.seconds)

    save_s, tokens = [], []
    for i in range(args.analyses):
        started = time.perf_counter()
        receipt = store.save(report, athlete_name=f"athlete {i % 20}", squad=True)
        save_s.append(time.perf_counter() - started)
        tokens.append(receipt)
    load_s = []
    for receipt in tokens[:: max(1, len(tokens) // 50)]:
        started = time.perf_counter()
        store.load(receipt.token)
        load_s.append(time.perf_counter() - started)
    started = time.perf_counter()
    history = store.history(tokens[0].athlete_token)
    history_s = time.perf_counter() - started
    started = time.perf_counter()
    squad = store.squad()
    squad_s = time.perf_counter() - started

    per_writer = max(1, args.analyses // args.writers)
    started = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(args.writers) as pool:
        pool.starmap(_writer, [(url, str(tmp / "files"), per_writer, args.seconds, w)
                               for w in range(args.writers)])
    parallel_s = time.perf_counter() - started  # includes the workers' start-up

    backend = store.backend
    store.close()  # the last connection's close writes SQLite's log back into the file
    size = sum(path.stat().st_size for path in tmp.glob("bench.sqlite3*")) \
        if url.startswith("sqlite") else None
    print(f"backend {backend}; {args.analyses} analyses of {args.seconds:.0f} s "
          f"({len(report.frames)} frames, {len(report.strides)} strides each)")
    print(f"save    median {1000 * statistics.median(save_s):6.1f} ms")
    print(f"load    median {1000 * statistics.median(load_s):6.1f} ms (open a share link)")
    print(f"history {1000 * history_s:6.1f} ms ({len(history)} analyses)")
    print(f"squad   {1000 * squad_s:6.1f} ms ({len(squad)} athletes)")
    print(f"{args.writers} writers x {per_writer} saves at once: {parallel_s:.1f} s in all "
          "(with process start-up), every save landed")
    if size:
        total = args.analyses + args.writers * per_writer
        print(f"database {size / 1e6:.1f} MB for {total} analyses = {size / 1e3 / total:.0f} kB "
              "per analysis")


if __name__ == "__main__":
    main()
