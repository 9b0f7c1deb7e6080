"""Measure the real CLI on the HELD-OUT synthetic set and print a markdown table:

    .venv/bin/python scripts/accuracy_heldout.py [--json out.json] [--only H01 H04] [--keep DIR]
        [--pose-model full]

Each clip of synthetic.heldout.heldout_configs() is rendered into a temp folder and
analysed with `.venv/bin/gait analyze CLIP --out DIR --no-video --quiet` (no hints:
no --treadmill, --speed or --height), then strides.csv and summary.json are compared
with the model's truth (tests/accuracy.py measure_outputs; estimate minus truth).
gait/ is copied once at the start and put first on the CLI's PYTHONPATH, so every
clip is measured with the same engine code even while gait/ is being edited
(--no-snapshot runs the working tree directly); the copy's hash is printed.
Reporting only: the held-out set must never be used to tune the engine.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from gait.pose_models import DEFAULT_POSE_MODEL

ROOT = Path(__file__).resolve().parents[1]


IMPORTS = "import gait.cli, gait.pipeline, gait.outputs, gait.report, gait.reliability"


def snapshot_engine(dest: Path) -> tuple[dict, str]:
    """Copy gait/ into dest (retrying while it does not import); (env, sha256[:12])."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(dest), *filter(None, [os.environ.get("PYTHONPATH")])]),
        "HIPDRIVE_DATA_DIR": str(dest / "data")}
    for _ in range(6):
        shutil.rmtree(dest / "gait", ignore_errors=True)
        shutil.copytree(ROOT / "gait", dest / "gait",
                        ignore=shutil.ignore_patterns("__pycache__"))
        check = subprocess.run([sys.executable, "-c", IMPORTS], env=env, cwd=dest,
                               capture_output=True, text=True)
        if check.returncode == 0:
            digest = hashlib.sha256()
            for f in sorted((dest / "gait").rglob("*")):
                if f.is_file():
                    digest.update(f.relative_to(dest).as_posix().encode() + f.read_bytes())
            return env, digest.hexdigest()[:12]
        print("engine snapshot does not import yet; retrying in 20 s", file=sys.stderr)
        time.sleep(20)
    raise RuntimeError(f"gait/ does not import: {check.stderr.strip()[-300:]}")


def analyze(clip: Path, out: Path, env: dict | None = None,
            pose_model: str = DEFAULT_POSE_MODEL) -> tuple[object, dict, str]:
    """Run the CLI; returns (strides DataFrame or None, summary dict, error text)."""
    import pandas as pd

    cmd = [str(ROOT / ".venv" / "bin" / "gait"), "analyze", str(clip), "--out", str(out),
           "--no-video", "--quiet", "--pose-model", pose_model]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, env=env)
    if proc.returncode != 0 or not (out / "summary.json").exists():
        lines = (proc.stderr or proc.stdout or "").strip().splitlines()
        return None, {}, lines[-1] if lines else f"exit code {proc.returncode}"
    summary = json.loads((out / "summary.json").read_text())
    strides = pd.read_csv(out / "strides.csv")
    return strides, summary, ""


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from synthetic.heldout import dev_varied_configs, heldout_configs
    from synthetic.varied_render import make_varied_clip
    from tests.accuracy import heldout_table, measure_outputs, pooled

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the numbers as JSON")
    parser.add_argument("--only", nargs="*", help="clip name prefixes (e.g. H01 H04)")
    parser.add_argument("--keep", type=Path, help="keep clips and outputs in this folder")
    parser.add_argument("--dev-seed", type=int,
                        help="instead of the held-out set, the same kinds of clip drawn from "
                             "this seed (D01…): a varied dev set that tuning may use")
    parser.add_argument("--pose-model", choices=("full", "heavy"), default=DEFAULT_POSE_MODEL,
                        help="the CLI's --pose-model (default heavy)")
    parser.add_argument("--no-snapshot", action="store_true",
                        help="run the working tree's gait/ instead of a copy taken at start")
    args = parser.parse_args()
    drawn = dev_varied_configs(args.dev_seed) if args.dev_seed is not None else heldout_configs()
    configs = [c for c in drawn
               if not args.only or any(c.name.startswith(p) for p in args.only)]
    started = time.monotonic()
    names, results, records = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        env, engine = (None, "working tree") if args.no_snapshot else snapshot_engine(
            Path(tmp) / "engine")
        for cfg in configs:
            t0 = time.monotonic()
            path, run = make_varied_clip(folder, cfg)
            t1 = time.monotonic()
            strides, summary, error = analyze(path, folder / f"{path.stem}_out", env,
                                              args.pose_model)
            result = measure_outputs(run, strides, summary)
            result["error"] = error
            names.append(cfg.name)
            results.append(result)
            records.append({"clip": cfg.name, "config": cfg.to_dict(),
                            "render_s": round(t1 - t0, 1),
                            "analyze_s": round(time.monotonic() - t1, 1), **result})
            print(f"{cfg.name}: render {t1 - t0:.0f} s, analyse {time.monotonic() - t1:.0f} s"
                  + (f", FAILED: {error}" if error else ""), file=sys.stderr, flush=True)
    elapsed = time.monotonic() - started
    print(heldout_table(names, results))
    kind = f"DEV clips (seed {args.dev_seed})" if args.dev_seed is not None else "held-out clips"
    print(f"\n{len(configs)} {kind}, pose model {args.pose_model}, "
          f"{elapsed / 60:.1f} min (render + analyse); "
          f"engine gait/ snapshot {engine}.")
    if args.json:
        args.json.write_text(json.dumps({"clips": records, "pooled": pooled(results),
                                         "elapsed_s": round(elapsed, 1),
                                         "engine": engine}, indent=2,
                                        default=str))


if __name__ == "__main__":
    main()
