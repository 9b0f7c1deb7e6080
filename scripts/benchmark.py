"""Benchmark: full analysis vs a bare decode + MediaPipe loop on the same clip.

    .venv/bin/python scripts/benchmark.py [--clip PATH] [--seconds 10 20] [--fps 60]

Without --clip it renders synthetic runner clips (synthetic) of the given
lengths. Each measurement runs in a fresh subprocess so peak memory (max RSS) is
per measurement. Prints wall time, frames/s, the analysis/bare ratio, and peak
memory for each clip length (memory should not grow with clip length beyond the
per-frame tables).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _bare_loop(path: str) -> dict:
    """Decode every frame and run MediaPipe on it; nothing else."""
    from gait.pose import MediaPipePose
    from gait.video import iter_frames

    started, n = time.perf_counter(), 0
    with MediaPipePose() as estimator:
        for frame in iter_frames(path):
            estimator.estimate(frame.rgb, frame.time_s)
            n += 1
    return {"seconds": time.perf_counter() - started, "frames": n}


def _analysis(path: str, with_video: bool) -> dict:
    """The whole analysis as the CLI runs it (outputs written to a temp folder)."""
    from gait.cli import main

    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as out:
        args = ["analyze", path, "--out", out, "--quiet"]
        if not with_video:
            args.append("--no-video")
        status = main(args)
    return {"seconds": time.perf_counter() - started, "status": status}


def _child(kind: str, path: str) -> None:
    import resource

    if kind == "bare":
        result = _bare_loop(path)
    else:
        result = _analysis(path, with_video=(kind == "analysis+video"))
    result["max_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))


def _measure(kind: str, path: Path) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", kind, str(path)], check=True,
                         capture_output=True, text=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _render(seconds: float, fps: float, folder: Path) -> Path:
    sys.path.insert(0, str(ROOT))
    from synthetic.render_runner import make_clip

    folder.mkdir(parents=True, exist_ok=True)
    path, _ = make_clip(folder, fps=fps, direction=1, treadmill=True, seconds=seconds)
    return Path(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip", type=Path)
    parser.add_argument("--seconds", type=float, nargs="+", default=[10.0, 20.0])
    parser.add_argument("--fps", type=float, default=60.0)
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(*args.child)
        return
    with tempfile.TemporaryDirectory() as tmp:
        clips = ([args.clip] if args.clip else
                 [_render(s, args.fps, Path(tmp) / f"{s:g}s") for s in args.seconds])
        print("| clip | frames | bare decode+pose | analysis, no video | ratio | "
              "analysis + video | peak RSS bare / analysis |")
        print("|---|---|---|---|---|---|---|")
        for clip in clips:
            bare = _measure("bare", clip)
            plain = _measure("analysis", clip)
            video = _measure("analysis+video", clip)
            fps = bare["frames"] / bare["seconds"]
            print(f"| {clip.parent.name}/{clip.name} | {bare['frames']} | "
                  f"{bare['seconds']:.1f} s ({fps:.0f} fps) | "
                  f"{plain['seconds']:.1f} s | {plain['seconds'] / bare['seconds']:.2f}× | "
                  f"{video['seconds']:.1f} s | {bare['max_rss_mb']:.0f} / "
                  f"{plain['max_rss_mb']:.0f} MB |")


if __name__ == "__main__":
    main()
