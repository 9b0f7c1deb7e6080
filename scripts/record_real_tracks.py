"""Record the raw MediaPipe pose track of real clips as small test fixtures.

    .venv/bin/python scripts/record_real_tracks.py CLIP [CLIP ...] [--out tests/data/real_tracks]
        [--pose-model full]

Each clip gives `<stem>__heavy.npz` (with `--pose-model full`: `<stem>.npz`, the older
fixtures' name; `scripts/evaluate_real.py --tracks` reads the model from the name):
time_s, x_px, y_px, confidence (float32, the raw track before any cleaning), frame size
and the capture rate, so the stages after pose can be tested on real runners without
committing any video. Pose comes from the same estimator as `gait.pipeline.analyze_video`
(`gait.roi.mediapipe_roi_pose`: small runners are zoomed in on). The clips themselves stay
outside the repository.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from gait.pose import extract_pose
from gait.pose_models import DEFAULT_POSE_MODEL
from gait.roi import mediapipe_roi_pose
from gait.video import iter_frames, probe_video


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("clips", nargs="+", type=Path)
    parser.add_argument("--out", type=Path, default=Path("tests/data/real_tracks"))
    parser.add_argument("--pose-model", choices=("full", "heavy"), default=DEFAULT_POSE_MODEL)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for clip in args.clips:
        info = probe_video(clip)
        with mediapipe_roi_pose(args.pose_model) as estimator:  # as gait.pipeline does
            track = extract_pose(iter_frames(clip, info=info), estimator,
                                 n_frames_estimate=info.n_frames_estimate,
                                 width_px=info.width_px, height_px=info.height_px)
        target = args.out / f"{clip.stem}{'__heavy' if args.pose_model == 'heavy' else ''}.npz"
        track.save_npz(target, capture_fps=info.capture_fps, clip=clip.name)
        print(f"{target}: {track.n_frames} frames, {target.stat().st_size / 1024:.0f} kB")


if __name__ == "__main__":
    main()
