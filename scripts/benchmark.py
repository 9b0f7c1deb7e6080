"""Benchmark, side by side in one run (issue 10's figures for the README):

1. one clip: the bare serial decode + MediaPipe loop, the analysis without and with the
   annotated video (`gait analyze`, default workers: every CPU, at most 4) and with
   `--workers 1`, on a rendered 720p 60 fps clip and a 1080×1920 portrait 60 fps clip;
2. the small-runner path (`gait.roi`): a rendered runner ~120 px tall crossing a
   1280×720 frame at 30 fps, and a 10 s clip of that size with nobody in it (the tile
   search runs on it throughout, until the clip is refused);
3. memory: peak RSS of the analysis on a 10 s and a 60 s clip;
4. a batch of 6 clips: `gait batch` serial (`--jobs 1`), `--jobs 2`, and on a local Ray
   with 2 worker CPUs (`--ray local --jobs 2`).

    .venv/bin/python scripts/benchmark.py [--seconds 10] [--repeat 3] [--skip-batch]
        [--skip-memory] [--skip-single] [--skip-small] [--pose-model full]

Each measurement runs in a fresh subprocess (the bytecode cache as installed). Clips
are rendered by synthetic/ into a temporary folder. Timings depend on the machine: run
it with nothing else busy, and compare ratios rather than seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from gait.pose_models import DEFAULT_POSE_MODEL

ROOT = Path(__file__).resolve().parents[1]
GAIT = [sys.executable, "-m", "gait.cli"]


POSE_MODEL_ENV = "HIPDRIVE_BENCHMARK_POSE_MODEL"  # parent → child: --pose-model


def _bare_loop(path: str) -> dict:
    """Decode every frame and run MediaPipe on it in one process; nothing else."""
    from gait.pose import MediaPipePose
    from gait.video import iter_frames

    started, n = time.perf_counter(), 0
    with MediaPipePose(model=os.environ.get(POSE_MODEL_ENV, DEFAULT_POSE_MODEL)) as estimator:
        for frame in iter_frames(path):
            estimator.estimate(frame.rgb, frame.time_s)
            n += 1
    return {"seconds": time.perf_counter() - started, "frames": n}


def _peak_mb() -> dict:
    import resource

    return {"parent_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "largest_child_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}


def _child(kind: str, path: str) -> None:
    """Runs in a fresh interpreter: one measurement, printed as JSON."""
    if kind == "bare":
        result = _bare_loop(path)
    else:
        from gait.cli import main

        with tempfile.TemporaryDirectory() as out:
            args = ["analyze", path, "--out", out, "--quiet",
                    "--pose-model", os.environ.get(POSE_MODEL_ENV, DEFAULT_POSE_MODEL)]
            if "video" not in kind:
                args.append("--no-video")
            if "serial" in kind:
                args += ["--workers", "1"]
            started = time.perf_counter()
            status = main(args)
            result = {"seconds": time.perf_counter() - started, "status": status}
    result.update(_peak_mb())
    print(json.dumps(result))


def measure_once(kind: str, path: Path) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", kind, str(path)], check=True,
                         capture_output=True, text=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(kind: str, path: Path, repeat: int) -> dict:
    """The fastest of `repeat` runs (a busy moment only ever slows a run down), with the
    largest peak memory of them."""
    runs = [measure_once(kind, path) for _ in range(repeat)]
    best = min(runs, key=lambda run: run["seconds"])
    for key in ("parent_mb", "largest_child_mb"):
        best[key] = max(run[key] for run in runs)
    return best


def _rss(result: dict) -> str:
    """Peak resident memory of the analysis process (and of its largest child process,
    if it started any: the segments are threads, so normally none)."""
    child = result["largest_child_mb"]
    return f"{result['parent_mb']:.0f} MB" + (f" (+ child {child:.0f} MB)" if child else "")


def render(folder: Path, name: str, *, seconds: float, frame_size: tuple[int, int],
           body_height_px: float, seed: int = 7) -> Path:
    sys.path.insert(0, str(ROOT))
    from synthetic.render_runner import make_clip

    folder.mkdir(parents=True, exist_ok=True)
    path, _ = make_clip(folder, fps=60.0, treadmill=True, seconds=seconds, name=name,
                        frame_size=frame_size, body_height_px=body_height_px, seed=seed)
    return Path(path)


def single_clips(tmp: Path, seconds: float, repeat: int) -> None:
    clips = [render(tmp, "720p", seconds=seconds, frame_size=(1280, 720), body_height_px=560),
             render(tmp, "1080x1920", seconds=seconds, frame_size=(1080, 1920),
                    body_height_px=1100)]
    print(f"\n### One clip ({seconds:g} s, 60 fps), {os.cpu_count()} CPUs, best of {repeat}\n")
    print("| clip | bare serial loop | analysis, no video (1 process) | analysis, no video "
          "| ratio | analysis + video | ratio | peak RSS |")
    print("|---|---|---|---|---|---|---|---|")
    for clip in clips:
        bare = measure("bare", clip, repeat)
        serial = measure("analysis-serial", clip, repeat)
        plain = measure("analysis", clip, repeat)
        video = measure("analysis+video", clip, repeat)
        b = bare["seconds"]
        print(f"| {clip.stem} | {b:.1f} s ({bare['frames'] / b:.0f} fps) | "
              f"{serial['seconds']:.1f} s | {plain['seconds']:.1f} s | "
              f"{plain['seconds'] / b:.2f}× | {video['seconds']:.1f} s | "
              f"{video['seconds'] / b:.2f}× | {_rss(video)} |")


def _nobody_clip(folder: Path, seconds: float) -> Path:
    """A still, textured 1280×720 30 fps picture with faint noise: nobody to find."""
    import numpy as np

    sys.path.insert(0, str(ROOT))
    from synthetic.encode import encode_clip

    rng = np.random.default_rng(1)
    blocks = rng.integers(0, 255, (72, 128, 3)).astype(np.int16)
    still = blocks.repeat(10, axis=0).repeat(10, axis=1)
    pictures = (np.clip(still + rng.integers(-5, 6, still.shape), 0, 255).astype(np.uint8)
                for _ in range(int(seconds * 30)))
    folder.mkdir(parents=True, exist_ok=True)
    return encode_clip(folder / "nobody.mp4", pictures, fps=30)


def small_runner(tmp: Path, seconds: float, repeat: int) -> None:
    sys.path.insert(0, str(ROOT))
    from synthetic.render_runner import make_clip

    crossing, _ = make_clip(tmp, fps=30.0, treadmill=False, name="small-crossing",
                            frame_size=(1280, 720), body_height_px=120.0, seed=7)
    clips = [("runner ~120 px crossing 1280×720, 30 fps", Path(crossing)),
             (f"nobody in view, 1280×720, 30 fps, {seconds:g} s", _nobody_clip(tmp, seconds))]
    print(f"\n### The small-runner path, analysis without video, best of {repeat}\n")
    print("| clip | frames | bare serial loop (whole frame) | analysis | ratio | exit status |")
    print("|---|---|---|---|---|---|")
    for label, clip in clips:
        bare = measure("bare", clip, 1)
        result = measure("analysis", clip, repeat)
        print(f"| {label} | {bare['frames']} | {bare['seconds']:.1f} s | "
              f"{result['seconds']:.1f} s | {result['seconds'] / bare['seconds']:.2f}× | "
              f"{result['status']} |")


def memory(tmp: Path) -> None:
    print("\n### Memory with clip length (720p 60 fps, analysis + video)\n")
    print("| clip | seconds | peak RSS |")
    print("|---|---|---|")
    for seconds in (10.0, 60.0):
        clip = render(tmp, f"mem-{seconds:g}s", seconds=seconds, frame_size=(1280, 720),
                      body_height_px=560)
        result = measure("analysis+video", clip, 1)
        print(f"| {seconds:g} s | {result['seconds']:.1f} s | {_rss(result)} |")


def batch(tmp: Path) -> None:
    folder = tmp / "batch"
    for i in range(6):
        render(folder, f"runner{i}", seconds=8.0, frame_size=(1280, 720), body_height_px=560,
               seed=100 + i)
    print("\n### A batch of 6 clips (720p 60 fps, 8 s each, with annotated videos)\n")
    print("| backend | wall time | per clip | speed-up |")
    print("|---|---|---|---|")
    env = {**os.environ, "RAY_USAGE_STATS_ENABLED": "0"}
    serial_s = None
    for label, extra in (("serial (--jobs 1)", ["--jobs", "1"]),
                         ("--jobs 2", ["--jobs", "2"]),
                         ("Ray, 2 workers (--ray local --jobs 2)",
                          ["--ray", "local", "--jobs", "2"])):
        out = tmp / f"out-{len(extra)}-{extra[-1]}"
        started = time.perf_counter()
        proc = subprocess.run([*GAIT, "batch", str(folder), "--out", str(out), "--quiet",
                               *extra], capture_output=True, text=True, cwd=ROOT, env=env)
        took = time.perf_counter() - started
        if proc.returncode != 0:
            print(f"| {label} | failed: {proc.stderr.strip()[-200:]} | | |")
            continue
        serial_s = serial_s or took
        print(f"| {label} | {took:.1f} s | {took / 6:.1f} s | {serial_s / took:.2f}× |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs of each one-clip measurement; the fastest is shown")
    parser.add_argument("--skip-single", action="store_true",
                        help="skip the one-clip table (e.g. to measure memory alone)")
    parser.add_argument("--skip-batch", action="store_true")
    parser.add_argument("--skip-memory", action="store_true")
    parser.add_argument("--skip-small", action="store_true",
                        help="skip the small-runner and nobody-in-view timings")
    parser.add_argument("--pose-model", choices=("full", "heavy"), default=DEFAULT_POSE_MODEL,
                        help="the pose model of every measurement (default heavy)")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return
    os.environ[POSE_MODEL_ENV] = args.pose_model  # inherited by the measuring children
    print(f"pose model: {args.pose_model}")
    with tempfile.TemporaryDirectory() as tmp:
        if not args.skip_single:
            single_clips(Path(tmp), args.seconds, args.repeat)
        if not args.skip_small:
            small_runner(Path(tmp), args.seconds, args.repeat)
        if not args.skip_memory:
            memory(Path(tmp))
        if not args.skip_batch:
            batch(Path(tmp))


if __name__ == "__main__":
    main()
