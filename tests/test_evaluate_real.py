"""scripts/evaluate_real.py: the comparison with hand-digitised frames (README, "Angles on
real bodies") reads each pass and their mean correctly."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
TRACK = ROOT / "tests" / "data" / "real_tracks" / "zz_treadmill_male_side__heavy.npz"


def _evaluate_real():
    spec = importlib.util.spec_from_file_location("evaluate_real",
                                                  ROOT / "scripts" / "evaluate_real.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _pass_file(folder: Path, name: str, thigh_by_frame: dict[int, float]) -> Path:
    """An angle file whose near thigh angles are the given ones (against the picture's
    vertical), its hip at the picture's centre."""
    path = folder / f"clip.angles_{name}.json"
    path.write_text(json.dumps({"frames": [
        {"frame": frame, "kind": "toe_off", "thigh_deg": thigh,
         "points_px": {"hip": [360.0, 640.0]}} for frame, thigh in thigh_by_frame.items()]}))
    return path


def test_digitised_comparison_reports_the_mean_and_each_pass(tmp_path):
    evaluate_real = _evaluate_real()
    out_dir = tmp_path / "out"
    assert evaluate_real.analyse_track_file(TRACK, out_dir, "heavy") is None
    frames = pd.read_csv(out_dir / "frames.csv", usecols=["frame", "near_thigh_deg"])
    picked = frames.dropna().iloc[[40, 80, 120]]
    ours = dict(zip(picked["frame"].astype(int), picked["near_thigh_deg"], strict=True))
    # Where HipDrive levelled the picture, the digitisers' angles are turned the same way
    # at their hip (here by its correction, 0.65° on this clip): allow for that much.
    levelled_by_deg = evaluate_real.read_summary(out_dir).geometry.levelled_by_deg
    tolerance = 0.05 + abs(levelled_by_deg or 0.0)
    exact = _pass_file(tmp_path, "x", ours)
    off = _pass_file(tmp_path, "y", {f: v - 4.0 for f, v in ours.items()})

    result = evaluate_real.compare_digitised([exact, off], out_dir)["toe_off"]

    assert result["n_frames"] == 3
    assert abs(result["by_pass"]["x"] - 0.0) <= tolerance
    assert abs(result["by_pass"]["y"] - 4.0) <= tolerance
    assert abs(result["median_abs_err_deg"] - 2.0) <= tolerance
    assert abs(result["mean_err_deg"] - 2.0) <= tolerance
    assert result["digitisers_median_disagreement_deg"] == 4.0


def test_digitised_files_are_gathered_from_both_folders_once(tmp_path, monkeypatch):
    evaluate_real = _evaluate_real()
    ours, clips = tmp_path / "ours", tmp_path / "clips"
    ours.mkdir()
    clips.mkdir()
    for folder, name in ((ours, "a"), (clips, "a"), (ours, "c"), (clips, "b")):
        (folder / f"run.angles_{name}.json").write_text("{}")
    (clips / "other.angles_a.json").write_text("{}")
    monkeypatch.setattr(evaluate_real, "OUR_LABELS", ours)

    files = evaluate_real.digitised_files(clips, "run")

    assert [p.name for p in files] == ["run.angles_a.json", "run.angles_b.json",
                                       "run.angles_c.json"]
    assert files[0].parent == clips  # the copy beside the clip wins
