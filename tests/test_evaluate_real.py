"""scripts/evaluate_real.py: the comparison with hand-digitised frames (docs/accuracy.md, "Angles on
real bodies") reads each pass and their mean correctly."""

from __future__ import annotations

import importlib.util
import json
import math
import statistics
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
TRACK = ROOT / "tests" / "data" / "real_tracks" / "zz_treadmill_male_side__heavy.npz"


def _evaluate_real():
    spec = importlib.util.spec_from_file_location("evaluate_real",
                                                  ROOT / "scripts" / "evaluate_real.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _pass_file(folder: Path, name: str, thigh_by_frame: dict[int, float], *,
               kind: str = "toe_off", **extra) -> Path:
    """An angle file whose near thigh angles are the given ones (against the picture's
    vertical), its hip at the picture's centre."""
    path = folder / f"clip.angles_{name}.json"
    path.write_text(json.dumps({**extra, "frames": [
        {"frame": frame, "kind": kind, "thigh_deg": thigh,
         "points_px": {"hip": [360.0, 640.0]}} for frame, thigh in thigh_by_frame.items()]}))
    return path


@pytest.fixture(scope="module")
def analysed(tmp_path_factory):
    """The heavy real track analysed; HipDrive's near thigh on three of its frames; and
    how far the comparison may move an angle: where HipDrive levelled the picture, the
    digitisers' angles are turned the same way at their hip (0.65° on this clip)."""
    evaluate_real = _evaluate_real()
    out_dir = tmp_path_factory.mktemp("real") / "out"
    assert evaluate_real.analyse_track_file(TRACK, out_dir, "heavy") is None
    frames = pd.read_csv(out_dir / "frames.csv", usecols=["frame", "near_thigh_deg"])
    picked = frames.dropna().iloc[[40, 80, 120]]
    ours = dict(zip(picked["frame"].astype(int), picked["near_thigh_deg"], strict=True))
    levelled_by_deg = evaluate_real.read_summary(out_dir).geometry.levelled_by_deg
    return evaluate_real, out_dir, ours, 0.05 + abs(levelled_by_deg or 0.0)


def test_digitised_comparison_reports_the_mean_and_each_pass(analysed, tmp_path):
    evaluate_real, out_dir, ours, tolerance = analysed
    exact = _pass_file(tmp_path, "x", ours)
    off = _pass_file(tmp_path, "y", {f: v - 4.0 for f, v in ours.items()})

    result = evaluate_real.compare_digitised([exact, off], out_dir)["toe_off"]

    assert result["n_frames"] == 3
    assert abs(result["by_pass"]["x"] - 0.0) <= tolerance
    assert abs(result["by_pass"]["y"] - 4.0) <= tolerance
    assert abs(result["median_abs_err_deg"] - 2.0) <= tolerance
    assert abs(result["mean_err_deg"] - 2.0) <= tolerance
    assert result["digitisers_median_disagreement_deg"] == 4.0
    assert "all_passes" not in result  # every pass is pooled


def test_a_pass_outside_the_protocol_is_shown_but_not_pooled(analysed, tmp_path):
    evaluate_real, out_dir, ours, tolerance = analysed
    exact = _pass_file(tmp_path, "x", ours)
    off = _pass_file(tmp_path, "y", {f: v - 4.0 for f, v in ours.items()})
    stray = _pass_file(tmp_path, "z", {f: v + 10.0 for f, v in ours.items()}, pooled=False,
                       not_pooled_because="calibration over the bar")

    result = evaluate_real.compare_digitised([exact, off, stray], out_dir)["toe_off"]

    assert result["pooled_passes"] == ["x", "y"]
    assert abs(result["median_abs_err_deg"] - 2.0) <= tolerance  # x and y only
    assert result["digitisers_median_disagreement_deg"] == 4.0
    assert abs(result["by_pass"]["z"] - 10.0) <= tolerance
    every = result["all_passes"]  # the mean of x, y and z: ours + 2°
    assert abs(every["mean_err_deg"] + 2.0) <= tolerance
    assert every["digitisers_median_disagreement_deg"] == 14.0


def test_passes_that_all_broke_the_protocol_are_shown_without_a_headline(analysed, tmp_path):
    """A clip whose every pass says `"pooled": false` (the fourth real runner's two passes
    each reused one set of points per phase) has no headline figure, but each pass and
    their mean are still shown."""
    evaluate_real, out_dir, ours, tolerance = analysed
    g = _pass_file(tmp_path, "g", {f: v - 20.0 for f, v in ours.items()}, pooled=False,
                   not_pooled_because="points reused")
    h = _pass_file(tmp_path, "h", {f: v - 10.0 for f, v in ours.items()}, pooled=False,
                   not_pooled_because="points reused")

    result = evaluate_real.compare_digitised([g, h], out_dir)["toe_off"]

    assert result["pooled_passes"] == []
    assert "median_abs_err_deg" not in result
    assert abs(result["by_pass"]["g"] - 20.0) <= tolerance
    assert abs(result["by_pass"]["h"] - 10.0) <= tolerance
    assert abs(result["all_passes"]["mean_err_deg"] - 15.0) <= tolerance
    assert result["all_passes"]["digitisers_median_disagreement_deg"] == 10.0


def test_digitised_files_are_gathered_from_both_folders_once(tmp_path, monkeypatch):
    evaluate_real = _evaluate_real()
    ours, clips = tmp_path / "ours", tmp_path / "clips"
    ours.mkdir()
    clips.mkdir()
    for folder, name in ((ours, "a"), (clips, "a"), (ours, "c"), (clips, "b")):
        (folder / f"run.angles_{name}.json").write_text("{}")
    (clips / "other.angles_a.json").write_text("{}")
    monkeypatch.setattr(evaluate_real, "OUR_LABELS", ours)

    (clips / "run.events_2.json").write_text("{}")
    (clips / "run.events.json").write_text("{}")  # the first labeller's: not a further one

    files = evaluate_real.label_files(clips, "run", "angles")

    assert [p.name for p in files] == ["run.angles_a.json", "run.angles_b.json",
                                       "run.angles_c.json"]
    assert files[0].parent == clips  # the copy beside the clip wins
    assert [p.name for p in evaluate_real.label_files(clips, "run", "events")] == [
        "run.events_2.json"]


def _events_file(path: Path, events: list[tuple[str, str, int]], *, near: str = "right",
                 fps: float = 60.0) -> Path:
    path.write_text(json.dumps({"fps": fps, "near_side": near, "events": [
        {"foot": foot, "event": kind, "frame": frame} for foot, kind, frame in events]}))
    return path


def test_two_labellers_are_matched_event_by_event(tmp_path):
    evaluate_real = _evaluate_real()
    first = _events_file(tmp_path / "a.json", [
        ("near", "strike", 10), ("near", "toe_off", 25), ("near", "strike", 50),
        ("near", "toe_off", 65), ("far", "strike", 30), ("far", "strike", 70)])
    other = _events_file(tmp_path / "b.json", [
        ("near", "strike", 11), ("near", "toe_off", 23), ("near", "strike", 50),
        ("near", "toe_off", 64), ("far", "strike", 36),  # 6 apart: not the same event
        ("far", "toe_off", 45)])

    agree = evaluate_real.labeller_agreement(first, other)

    assert agree["near_strike"] == {"matched": 2, "first": 2, "other": 2,
                                    "median_abs_frames": 0.5, "mean_frames": 0.5}
    assert agree["near_toe_off"]["median_abs_frames"] == 1.5
    assert agree["near_toe_off"]["mean_frames"] == -1.5  # the other labeller earlier
    assert agree["far_strike"] == {"matched": 0, "first": 2, "other": 1,
                                   "median_abs_frames": None, "mean_frames": None}
    assert agree["far_toe_off"]["matched"] == 0 and agree["far_toe_off"]["other"] == 1
    mirrored = _events_file(tmp_path / "c.json", [("near", "strike", 10)], near="left")
    assert "error" in evaluate_real.labeller_agreement(first, mirrored)
    other_rate = _events_file(tmp_path / "d.json", [("near", "strike", 10)], fps=59.8)
    assert evaluate_real.labeller_agreement(first, other_rate)["near_strike"]["matched"] == 1
    halved = _events_file(tmp_path / "e.json", [("near", "strike", 10)], fps=30.0)
    assert "error" in evaluate_real.labeller_agreement(first, halved)

    mean = json.loads(evaluate_real.mean_labels(first, other, tmp_path / "m.json").read_text())
    assert [(e["foot"], e["event"], e["frame"]) for e in mean["events"]] == [
        ("near", "strike", 10.5), ("near", "toe_off", 24.0), ("near", "strike", 50.0),
        ("near", "toe_off", 64.5), ("far", "strike", 30), ("far", "strike", 70)]
    assert evaluate_real.mean_labels(first, mirrored, tmp_path / "n.json") is None


def test_every_committed_digitising_pass_agrees_with_its_own_points():
    """Each hand-digitised frame's thigh and trunk–thigh angles follow from its own points
    (thigh from the downward vertical, + = knee ahead; trunk–thigh = thigh + the trunk's
    forward lean), and a pass pooled into a headline says it met the calibration bar
    or was made before the bar was written down (a, b)."""
    import math

    files = sorted(_evaluate_real().OUR_LABELS.glob("*.angles_*.json"))
    assert len(files) >= 6
    for path in files:
        data = json.loads(path.read_text())
        ahead = -1 if data.get("near_side") == "left" else 1  # both clips face image-left
        for frame in data["frames"]:
            p = frame["points_px"]
            thigh = math.degrees(math.atan2(ahead * (p["knee"][0] - p["hip"][0]),
                                            p["knee"][1] - p["hip"][1]))
            lean = math.degrees(math.atan2(ahead * (p["shoulder"][0] - p["hip"][0]),
                                           p["hip"][1] - p["shoulder"][1]))
            assert abs(thigh - frame["thigh_deg"]) < 0.15, (path.name, frame["frame"])
            assert abs(thigh + lean - frame["trunk_thigh_deg"]) < 0.15, (path.name, frame["frame"])
        passed = data.get("calibration", {}).get("passed")
        if data.get("pooled", True) and passed is not None:
            assert passed is True, path.name


def test_segment_ratios_come_from_each_pass_and_from_hipdrive_on_the_same_frames(analysed,
                                                                                tmp_path):
    """The hip-placement check (docs/accuracy.md): a pass's trunk/thigh and thigh/shank
    lengths from its own points, HipDrive's from its keypoints on the frames digitised."""
    evaluate_real, out_dir, ours, _ = analysed
    frame = min(ours)
    path = tmp_path / "clip.angles_p.json"
    points = {"shoulder": [300.0, 100.0], "hip": [300.0, 400.0], "knee": [300.0, 600.0],
              "ankle": [300.0, 1000.0]}  # trunk 300, thigh 200, shank 400
    path.write_text(json.dumps({"frames": [{"frame": frame, "kind": "toe_off", "thigh_deg": 0.0,
                                            "points_px": points}]}))

    ratios = evaluate_real.segment_ratios([path], out_dir)

    assert ratios["p"] == {"trunk_over_thigh": 1.5, "thigh_over_shank": 0.5}
    near = evaluate_real.read_summary(out_dir).near_side
    row = pd.read_csv(out_dir / "frames.csv").set_index("frame").loc[frame]
    joint = {j: (row[f"{near}_{j}_x_px"], row[f"{near}_{j}_y_px"])
             for j in ("shoulder", "hip", "knee", "ankle")}
    thigh = math.dist(joint["hip"], joint["knee"])
    assert ratios["hipdrive"]["trunk_over_thigh"] == round(
        math.dist(joint["shoulder"], joint["hip"]) / thigh, 2)
    assert ratios["hipdrive"]["thigh_over_shank"] == round(
        thigh / math.dist(joint["knee"], joint["ankle"]), 2)


def test_one_pooled_pass_has_no_disagreement_and_partial_passes_still_count(analysed, tmp_path):
    """One protocol-keeping pass gives a figure but no digitising error; a pass that did
    only some frames still counts on those in the mean of every pass (the fourth runner's
    pass j digitised only the toe-off frames)."""
    evaluate_real, out_dir, ours, tolerance = analysed
    frames = sorted(ours)
    kept = _pass_file(tmp_path, "j", {frames[0]: ours[frames[0]] - 6.0})
    stray = _pass_file(tmp_path, "i", {f: v - 2.0 for f, v in ours.items()}, pooled=False,
                       not_pooled_because="knee not at the joint")

    result = evaluate_real.compare_digitised([kept, stray], out_dir)["toe_off"]

    assert result["n_frames"] == 1
    assert abs(result["median_abs_err_deg"] - 6.0) <= tolerance
    assert result["digitisers_median_disagreement_deg"] is None
    assert "one pass" in evaluate_real.digitised_text(result)
    every = result["all_passes"]
    assert every["n_frames"] == 3  # i's three frames; on the first, the mean of i and j
    assert every["digitisers_median_disagreement_deg"] == 4.0
    assert abs(every["mean_err_deg"] - statistics.fmean([4.0, 2.0, 2.0])) <= tolerance


def test_a_pooled_pass_that_skipped_a_kind_of_frame_does_not_hide_that_kind(analysed, tmp_path):
    """Pooling is per kind of frame: a pooled pass with only toe-off frames leaves the
    peak-flexion headline to the pooled passes that did those (the fourth runner's j)."""
    evaluate_real, out_dir, ours, tolerance = analysed
    frames = sorted(ours)
    toe_only = _pass_file(tmp_path, "j", {frames[0]: ours[frames[0]] - 3.0})
    peak = {f: v - 5.0 for f, v in ours.items() if f != frames[0]}
    l_pass = tmp_path / "clip.angles_l.json"
    m_pass = tmp_path / "clip.angles_m.json"
    for path, shift in ((l_pass, 0.0), (m_pass, 2.0)):
        path.write_text(json.dumps({"frames": [
            {"frame": f, "kind": "peak_flexion", "thigh_deg": v - shift,
             "points_px": {"hip": [360.0, 640.0]}} for f, v in peak.items()]}))

    result = evaluate_real.compare_digitised([toe_only, l_pass, m_pass], out_dir)

    flexion = result["peak_flexion"]
    assert flexion["n_frames"] == 2
    assert abs(flexion["mean_err_deg"] - 6.0) <= tolerance  # ours − mean(v−5, v−7)
    assert flexion["digitisers_median_disagreement_deg"] == 2.0
    assert "pooled_passes" not in flexion  # every pass that did this kind is pooled
    assert result["toe_off"]["digitisers_median_disagreement_deg"] is None  # j alone


def test_labels_are_put_on_the_analysis_frame_rate_when_theirs_differs_a_little(analysed,
                                                                                  tmp_path):
    """A labeller who took a container's average rate (29.87 for frames 1/29.97 s apart)
    counts the same frames: the copy scored gets the analysis' rate, so event times do
    not drift (0.7 frame by frame 200). Labels at the analysis' rate are used as they are;
    labels at another rate altogether are not touched."""
    evaluate_real, out_dir, _, _ = analysed
    capture = evaluate_real.read_summary(out_dir).capture_fps
    events = [("near", "strike", 10)]
    same = _events_file(tmp_path / "same.json", events, fps=capture)
    assert evaluate_real.labels_in_analysis_time(same, out_dir) == same
    close = _events_file(tmp_path / "close.json", events, fps=capture * 0.996)
    moved = evaluate_real.labels_in_analysis_time(close, out_dir)
    assert moved != close and json.loads(moved.read_text())["fps"] == capture
    assert json.loads(moved.read_text())["events"] == json.loads(close.read_text())["events"]
    other = _events_file(tmp_path / "other.json", events, fps=capture / 2)
    assert evaluate_real.labels_in_analysis_time(other, out_dir) == other


def test_without_the_labels_scorer_further_labellers_are_skipped_not_fatal(tmp_path):
    """`--tracks tests/data/real_tracks` on a machine without ../shared/real: the
    project's own labels (first and further labellers) are found, but there is no scorer
    to run, so nothing is scored and the analysis is still reported."""
    evaluate_real = _evaluate_real()
    tracks, clips = tmp_path / "tracks", tmp_path / "clips"
    tracks.mkdir()
    clips.mkdir()
    (tracks / TRACK.name).write_bytes(TRACK.read_bytes())
    assert evaluate_real.label_files(clips, "zz_treadmill_male_side", "events")  # ours

    (row,) = evaluate_real.evaluate(clips, tracks, tmp_path / "work")

    assert "error" not in row and row["strides"]["left"] > 10
    assert "events" not in row and "other_labellers" not in row
