"""Benchmark one clip analysed on every core (gait.segments, gait.render_segments).

On a rendered 720p 60 fps clip and a rendered 1080×1920 portrait 60 fps clip (≈10 s):
the bare serial decode + MediaPipe loop, `analyze_video` with workers=1 and workers=2,
and the same followed by the annotated video (`write_report_video`, same workers); then
peak memory of a 10 s and a 60 s clip (workers=2, with the video). Each measurement
runs in a fresh subprocess; peak memory is the largest sum of the RSS of that process and
any child processes (the segments are threads, so normally none), sampled every 20 ms
from /proc (also printed: getrusage's own and largest-child peaks) and the CPU time of
the process and its children. Best of `--repeat` runs (the machine may be busy).

    .venv/bin/python scripts/benchmark_parallel.py [--seconds 10] [--repeat 3]
        [--clips DIR] [--skip-memory]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MODES = ["bare", "w1", "w2", "w1+video", "w2+video"]


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def _children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as children:
            return [int(p) for p in children.read().split()]
    except FileNotFoundError:
        return []


class PeakSampler(threading.Thread):
    """Largest sum of RSS over this process and its descendants, sampled."""

    def __init__(self, interval_s: float = 0.02) -> None:
        super().__init__(daemon=True)
        self.interval_s, self.peak_kb, self.stopped = interval_s, 0, threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            pids, total = [os.getpid()], 0
            while pids:
                pid = pids.pop()
                total += _rss_kb(pid)
                pids.extend(_children(pid))
            self.peak_kb = max(self.peak_kb, total)
            self.stopped.wait(self.interval_s)


def _cpu_s() -> tuple[float, float]:
    """(this process, its finished children) CPU seconds so far."""
    import resource

    own, children = (resource.getrusage(who) for who in (resource.RUSAGE_SELF,
                                                         resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def _one(mode: str, path: str) -> dict:
    """Runs in a fresh interpreter: one measurement. `core_bound_s` estimates the time on
    an otherwise idle machine with a core per process: per phase (pose, video), the larger
    of this process's and its workers' CPU time (one worker on 2 cores)."""
    import resource

    sampler = PeakSampler()
    sampler.start()
    started = time.perf_counter()
    phases = [_cpu_s()]
    if mode == "bare":
        from gait.pose import MediaPipePose
        from gait.video import iter_frames

        with MediaPipePose() as estimator:
            for frame in iter_frames(path):
                estimator.estimate(frame.rgb, frame.time_s)
        phases.append(_cpu_s())
    else:
        from gait.pipeline import analyze_video
        from gait.render import write_report_video

        workers = int(mode[1])
        report = analyze_video(path, workers=workers)
        phases.append(_cpu_s())
        if mode.endswith("+video"):
            with tempfile.TemporaryDirectory() as out:
                write_report_video(report, path, Path(out) / "annotated.mp4", workers=workers)
            phases.append(_cpu_s())
    seconds = time.perf_counter() - started
    sampler.stopped.set()
    sampler.join()
    n_children = int(mode[1]) - 1 if mode.startswith("w") else 0
    core_bound_s = sum(max(b[0] - a[0], (b[1] - a[1]) / max(1, n_children))
                       for a, b in zip(phases[:-1], phases[1:], strict=True))
    return {"seconds": seconds, "peak_total_mb": sampler.peak_kb / 1024,
            "cpu_s": sum(phases[-1]) - sum(phases[0]), "core_bound_s": core_bound_s,
            "self_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "largest_child_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}


def measure(mode: str, path: Path) -> dict:
    done = subprocess.run([sys.executable, __file__, "--one", mode, str(path)], cwd=ROOT,
                          capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def render(folder: Path, name: str, *, seconds: float, frame_size: tuple[int, int],
           body_height_px: float) -> Path:
    path = folder / f"{name}.mp4"
    if path.exists():
        return path
    sys.path.insert(0, str(ROOT))
    from synthetic.render_runner import make_clip

    made, _ = make_clip(folder, fps=60.0, treadmill=True, seconds=seconds, name=name,
                        frame_size=frame_size, body_height_px=body_height_px, seed=7)
    return made


def best_of(mode: str, path: Path, repeat: int) -> dict:
    runs = [measure(mode, path) for _ in range(repeat)]
    best = min(runs, key=lambda r: r["seconds"])
    best["all_seconds"] = [round(r["seconds"], 2) for r in runs]
    best["peak_total_mb"] = max(r["peak_total_mb"] for r in runs)
    best["core_bound_s"] = min(r["core_bound_s"] for r in runs)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--clips", type=Path, default=None, help="keep rendered clips here")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--one", nargs=2, metavar=("MODE", "CLIP"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(_one(*args.one)))
        return
    folder = args.clips or Path(tempfile.mkdtemp(prefix="hipdrive-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    clips = {"720p 60 fps": render(folder, f"bench-720p-{args.seconds:g}s",
                                   seconds=args.seconds, frame_size=(1280, 720),
                                   body_height_px=560),
             "1080×1920 60 fps": render(folder, f"bench-1080x1920-{args.seconds:g}s",
                                        seconds=args.seconds, frame_size=(1080, 1920),
                                        body_height_px=1100)}
    print(f"cpus usable: {len(os.sched_getaffinity(0))}; best of {args.repeat}")
    print(f"{'clip':18} {'mode':9} {'best s':>7} {'× bare':>7} {'cpu s':>6} "
          f"{'core-bound s':>12} {'× bare':>7} {'peak MB':>8}  runs")
    for name, path in clips.items():
        bare_s = bare_bound_s = None
        for mode in MODES:
            result = best_of(mode, path, args.repeat)
            bare_s = bare_s or result["seconds"]
            bare_bound_s = bare_bound_s or result["core_bound_s"]
            print(f"{name:18} {mode:9} {result['seconds']:7.2f} "
                  f"{result['seconds'] / bare_s:7.2f} {result['cpu_s']:6.1f} "
                  f"{result['core_bound_s']:12.2f} {result['core_bound_s'] / bare_bound_s:7.2f} "
                  f"{result['peak_total_mb']:8.0f}  "
                  f"{result['all_seconds']}", flush=True)
    if args.skip_memory:
        return
    for seconds in (10.0, 60.0):
        path = render(folder, f"bench-mem-{seconds:g}s", seconds=seconds,
                      frame_size=(1280, 720), body_height_px=560)
        result = measure("w2+video", path)
        print(f"memory {seconds:4.0f} s clip, workers=2 + video: peak total "
              f"{result['peak_total_mb']:.0f} MB (self {result['self_mb']:.0f} MB, largest "
              f"child {result['largest_child_mb']:.0f} MB), {result['seconds']:.1f} s",
              flush=True)


if __name__ == "__main__":
    main()
