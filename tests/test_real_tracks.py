"""The stages after pose on real runners: recorded MediaPipe tracks of real clips
(tests/data/real_tracks, no video) scored against hand-labelled events.

Bounds are what the engine measures now (docs/accuracy.md, "Real clips"),
with a little room; a regression in event detection or stride building fails them.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pytest

from gait.pipeline import analyze_track
from gait.posetrack import PoseTrack
from gait.result import AnalysisOptions

DATA = Path(__file__).parent / "data" / "real_tracks"


# The fixtures' pose model: BlazePose full, but for the `__heavy` track (README there)
FULL_MODEL = AnalysisOptions(pose_model="full")


def load_recorded(stem: str) -> tuple[PoseTrack, float]:
    return PoseTrack.load_npz(DATA / f"{stem}.npz")


def score_against_labels(strides, labels: dict) -> dict:
    """Per foot: labelled strides found (start and end within 2 frames + 40 ms, as the
    labels' own scorer), strike / toe-off errors in frames, contact error in s."""
    fps = float(labels["fps"])
    tol = 2.0 / fps + 0.04
    near = labels["near_side"]
    result = {}
    for foot, side in (("near", near), ("far", "left" if near == "right" else "right")):
        ev = [e for e in labels["events"] if e["foot"] == foot]
        strikes = sorted(e["frame"] / fps for e in ev if e["event"] == "strike")
        offs = sorted(e["frame"] / fps for e in ev if e["event"] == "toe_off")
        mine = strides[strides["side"] == side]
        used, strike_err, off_err, contact_err = set(), [], [], []
        for a, b in zip(strikes, strikes[1:], strict=False):
            hit = [i for i, r in mine.iterrows() if i not in used
                   and abs(r.start_s - a) <= tol and abs(r.end_s - b) <= tol]
            if not hit:
                continue
            used.add(hit[0])
            r = mine.loc[hit[0]]
            strike_err.append((r.start_s - a) * fps)
            label_off = [o for o in offs if a < o < b]
            if label_off:
                off_err.append((r.toe_off_s - label_off[0]) * fps)
                contact_err.append((r.toe_off_s - r.start_s) - (label_off[0] - a))
        result[foot] = {"labelled": len(strikes) - 1, "found": len(used),
                        "unmatched": len(mine) - len(used),
                        "strike_frames": np.median(np.abs(strike_err)),
                        "toe_off_frames": np.median(np.abs(off_err)),
                        "contact_s": np.median(np.abs(contact_err))}
    return result


@pytest.fixture(scope="module")
def treadmill():
    track, fps = load_recorded("zz_treadmill_male_side")
    labels = json.loads((DATA / "zz_treadmill_male_side.events.json").read_text())
    return analyze_track(track, capture_fps=fps, options=FULL_MODEL), labels


def test_real_treadmill_strides_and_events_match_the_labels(treadmill):
    report, labels = treadmill
    assert report.summary.near_side == labels["near_side"] == "left"
    assert report.summary.direction == "right_to_left"
    score = score_against_labels(report.strides, labels)
    for foot, min_found in (("near", 14), ("far", 15)):
        s = score[foot]
        assert s["found"] >= min_found, (foot, s)
        assert s["unmatched"] <= 2, (foot, s)
        assert s["strike_frames"] <= 1.0, (foot, s)  # the target (was 1.27 far)
        assert s["toe_off_frames"] <= 0.6, (foot, s)
        assert s["contact_s"] <= 0.045, (foot, s)
    label_cadence = labels["derived"]["cadence_spm"]
    assert abs(report.summary.cadence_spm - label_cadence) / label_cadence < 0.01


def test_the_same_runner_mirrored_keeps_most_of_its_strides():
    """The treadmill clip mirrored (`synthetic/real_variants.py`: the runner runs the
    other way; BlazePose is not mirror-symmetric, so its keypoints differ). Measured: 15
    and 16 of 16 strides. Two near feet already hover within the strike tolerance at
    their forward reach; before a landed foot had to move back with the ground
    (`gait.event_timing.STRIKE_BACKWARD_FRACTION`) they were timed there, 3 frames before
    the label, and those 2 strides were lost."""
    track, fps = load_recorded("zz_treadmill_male_side__mirrored")
    labels = json.loads((DATA / "zz_treadmill_male_side__mirrored.events.json").read_text())
    report = analyze_track(track, capture_fps=fps, options=FULL_MODEL)
    assert report.summary.direction == "left_to_right"
    score = score_against_labels(report.strides, labels)
    for foot, min_found in (("near", 15), ("far", 15)):
        s = score[foot]
        assert s["found"] >= min_found and s["unmatched"] <= 2, (foot, s)
        assert s["strike_frames"] <= 1.1 and s["toe_off_frames"] <= 0.7, (foot, s)


def test_a_hovering_foot_of_the_mirrored_runner_is_not_down_before_it_moves_back():
    """The mirrored clip through BlazePose heavy: its stance foot jitters more than as
    filmed (strike tolerance 23 px against 16.5), so a foot hovering low before it lands
    came within it early — all 16 near strikes early, median 2.1 frames, 13 of 16
    strides. A foot that does not yet move back with the ground is not down: 15 of 16,
    strikes 1.7 frames off (docs/accuracy.md, "A foot that hovers low before it lands").
    Since heel and toe are each measured against their own ground (2026-12-04) the near
    strikes are 1.0 frames off and the far ones 0.85 (0.6 before: a trade, the far
    foot's bound moves from 0.8 to the issue's target of 1 frame and the near one
    tightens from 1.8 to 1.1)."""
    track, fps = load_recorded("zz_treadmill_male_side__mirrored__heavy")
    labels = json.loads((DATA / "zz_treadmill_male_side__mirrored.events.json").read_text())
    report = analyze_track(track, capture_fps=fps, options=AnalysisOptions(pose_model="heavy"))
    score = score_against_labels(report.strides, labels)
    assert score["near"]["found"] >= 15 and score["near"]["unmatched"] <= 1, score["near"]
    assert score["near"]["strike_frames"] <= 1.1, score["near"]
    assert score["far"]["found"] == 16 and score["far"]["strike_frames"] <= 1.0, score["far"]


def test_the_heavy_pose_model_track_is_timed_with_its_own_tolerance():
    """The same clip through BlazePose heavy (`--pose-model heavy`): its keypoints jitter
    less, and with the full model's strike tolerance (3.5 noise SDs) its near strikes came
    1.05 frames off; with heavy's own (4.5) 0.4. Its feet slow down earlier at toe-off:
    at full's velocity fraction (0.8) its far toe-offs came 1.1 frames off (early); with
    heavy's own (0.7) 0.5."""

    track, fps = load_recorded("zz_treadmill_male_side__heavy")
    labels = json.loads((DATA / "zz_treadmill_male_side.events.json").read_text())
    report = analyze_track(track, capture_fps=fps, options=AnalysisOptions(pose_model="heavy"))
    assert report.summary.software.pose_model == "heavy"
    score = score_against_labels(report.strides, labels)
    for foot, min_found in (("near", 15), ("far", 16)):
        s = score[foot]
        assert s["found"] >= min_found and s["unmatched"] == 0, (foot, s)
        assert s["strike_frames"] <= 0.8 and s["toe_off_frames"] <= 0.8, (foot, s)
        assert s["contact_s"] <= 0.035, (foot, s)
    # heavy calls the far knee unseen behind the treadmill's console (confidence under
    # the gate) around many of its flexion peaks: those peaks are unknown, not read from
    # the edge of the gap, and the strides still count for their timing
    far = report.strides[report.strides["side"] == "right"]
    assert 3 <= far["peak_thigh_flexion_deg"].isna().sum() <= 10
    assert far["peak_thigh_extension_deg"].notna().all()
    gaps = {flag.id: flag.message for flag in report.summary.quality}["gaps"]
    assert gaps.startswith("Part of the body could not be seen") and "far leg" in gaps


def test_real_treadmill_contact_times_are_plausible_and_steady(treadmill):
    report, _ = treadmill
    contact = report.strides["contact_time_s"]
    # hand labels: 0.20–0.27 s; before the event rework this clip gave 0.03–0.9 s. Now
    # 0.17–0.31 s but for one 0.36 s contact (a strike timed ~2 frames early): measured,
    # not hidden.
    assert contact.between(0.12, 0.40).all(), contact.describe()
    assert contact.between(0.15, 0.32).mean() >= 0.9
    assert contact.std() < 0.045  # labels: ~0.015 s; measured 0.038 s; before: ~0.2 s


def test_real_treadmill_drop_reasons_are_reported(treadmill):
    report, _ = treadmill
    dropped = report.summary.strides_dropped
    assert set(dropped) >= {"foot_not_visible", "strike_not_found", "implausible_duration",
                            "angle_outlier"}
    assert all(isinstance(n, int) and n >= 0 for n in dropped.values())


def test_small_runner_on_a_track_is_found_and_its_slowed_playback_is_stated():
    """Fixed wide camera, runner ≈ 120 px tall in 1680×720 (keypoints through the
    crop-and-zoom path), each picture held for 3 frames and the run played at about half
    speed: strides are found, the cadence is a running one once the 2× is undone, and the
    verdict says why the numbers cannot be trusted."""
    track, fps = load_recorded("ht_track_fixedcam_smallsubject")
    assert track.flags["repeated_frame"].mean() > 0.5
    report = analyze_track(track, capture_fps=fps, options=FULL_MODEL)
    s = report.summary
    assert s.direction == "left_to_right" and not s.treadmill
    assert s.slow_motion.assumed_factor == 2.0
    # the issue asked for 160–200 steps/min; the runner slows while crossing (20 → 24
    # file frames per step between the feet's forward peaks: 160 steps/min over all
    # steps in view at 2×), and the complete strides, later in the run, give ~159 (the
    # labels: 158.5)
    assert 150 <= s.cadence_spm <= 200
    # ~3 strides per leg are in view; the right leg's first (the runner entering the
    # frame: feet not seen, an impossible 87° thigh extension) is left out with a reason
    assert s.per_side["left"].n_strides >= 3 and s.per_side["right"].n_strides >= 2
    assert s.strides_dropped["angle_outlier"] + s.strides_dropped["foot_not_visible"] >= 1
    assert s.reliability.verdict == "not_reliable"
    assert s.reliability.reasons[0].id == "slow_motion"
    assert "repeated_frames" in set(s.quality_ids)
    assert (report.strides["peak_thigh_extension_deg"] < 60).all()


def test_small_runner_strides_match_the_hand_labels_at_the_assumed_rate():
    """The track clip's events, labelled by eye (no pose model, blind to HipDrive): 3
    complete strides per foot, 8 steps, ~9 distinct pictures per second. Scored on the
    analysis' time base (the labels' stored frames at the assumed 2× capture rate): the
    sides are right, no stride is made up, and every stride HipDrive reports starts within
    two pictures (6 stored frames) of a labelled strike of that foot."""
    track, fps = load_recorded("ht_track_fixedcam_smallsubject")
    labels = json.loads((DATA / "ht_track_fixedcam_smallsubject.events.json").read_text())
    report = analyze_track(track, capture_fps=fps, options=FULL_MODEL)
    factor = report.summary.slow_motion.assumed_factor
    assert report.summary.near_side == labels["near_side"] == "right"
    frames_per_s = fps * factor  # analysis seconds → the labels' stored frames
    for foot, side in (("near", "right"), ("far", "left")):
        strikes = np.array(sorted(e["frame"] for e in labels["events"]
                                  if e["foot"] == foot and e["event"] == "strike"))
        mine = report.strides[report.strides["side"] == side]
        assert 2 <= len(mine) <= len(strikes) - 1, (foot, len(mine))
        for start_s in mine["start_s"]:
            assert np.min(np.abs(strikes - start_s * frames_per_s)) <= 6, (
                foot, start_s * frames_per_s, strikes)


def test_real_treadmill_clip_has_no_repeated_pictures_and_is_not_slowed(treadmill):
    report, _ = treadmill
    assert report.summary.slow_motion is None
    assert "repeated_frames" not in set(report.summary.quality_ids)
    assert report.summary.reliability.verdict in ("reliable", "use_with_care")


def _strike_times_s(track: PoseTrack, fps: float, pose_model: str) -> np.ndarray:
    report = analyze_track(track, capture_fps=fps, options=AnalysisOptions(pose_model=pose_model))
    return np.sort(report.strides["start_s"].to_numpy())


@pytest.mark.parametrize("pose_model", ["heavy", "full"])
def test_where_the_pose_model_puts_the_toe_point_on_the_shoe_does_not_move_heavy_strikes(
        pose_model):
    """A real clip filmed from belt height (60 fps, 1080p; not kept: no licence stated)
    had BlazePose heavy's toe point up to ~45 px below its heel point in a flat stance.
    Against one ground line through the lowest points (the toe's) a landed heel still
    looked in the air until the foot was flat: strikes 2.5 and ~5 frames late, 0 of 8 far
    strides found. Heavy now measures heel and toe each against its own ground
    (`gait.feet.foot_height_px`), so moving the toe point 40 px down the shoe on the real
    treadmill track changes no strike; full keeps the lowest point (it measured better
    there on the labelled clip, docs/accuracy.md), and on full the same shift moves
    strikes — the check can fail."""
    stem = "zz_treadmill_male_side__heavy" if pose_model == "heavy" else "zz_treadmill_male_side"
    track, fps = load_recorded(stem)
    shifted_y = track.y_px.copy()
    for side in ("left", "right"):
        shifted_y[:, track.column(f"{side}_toe")] += 40.0
    shifted = dataclasses.replace(track, y_px=shifted_y)
    before, after = _strike_times_s(track, fps, pose_model), _strike_times_s(shifted, fps,
                                                                            pose_model)
    if pose_model == "heavy":
        assert len(after) == len(before)
        assert np.abs(after - before).max() < 1e-9
    else:
        moved = len(after) != len(before) or np.median(np.abs(after - before)) * fps > 0.3
        assert moved


def heavy_first_clip_stride_times(column: str) -> tuple[int, np.ndarray]:
    """The first clip's heavy track analysed with the engine's current settings: how many
    strides, and each stride's `column` (seconds)."""
    track, fps = load_recorded("zz_treadmill_male_side__heavy")
    report = analyze_track(track, capture_fps=fps, options=AnalysisOptions(pose_model="heavy"))
    return len(report.strides), report.strides[column].to_numpy(dtype=float)


def test_toe_offs_are_bounded_by_the_foot_seen_leaving_the_ground(monkeypatch):
    """detect_events takes the earlier of the velocity toe-off and the lift
    (gait.events.TOE_OFF_LIFT_TOLERANCES): on the real heavy track no toe-off moves
    later with the bound, some move earlier, and every stride stays."""
    import gait.events

    n_bounded, bounded = heavy_first_clip_stride_times("toe_off_s")
    monkeypatch.setattr(gait.events, "TOE_OFF_LIFT_TOLERANCES", float("inf"))
    n_free, free = heavy_first_clip_stride_times("toe_off_s")
    assert n_bounded == n_free and len(bounded) == len(free)
    both = np.isfinite(bounded) & np.isfinite(free)
    assert (bounded[both] <= free[both] + 1e-9).all()
    assert (bounded[both] < free[both] - 1e-3).sum() >= 2


def test_heavy_strikes_may_be_extended_beyond_40_ms_at_30_fps(monkeypatch):
    """detect_events gives heavy's strikes up to 1.5 frames of extension down to the
    stance level (gait.events.STRIKE_EXTENSION_FRAMES; 40 ms before, 1.2 frames at this
    clip's 30 fps): on the real heavy track no strike moves earlier with it, some move
    later, and every stride stays."""
    import gait.events

    n_extended, extended = heavy_first_clip_stride_times("start_s")
    monkeypatch.setitem(gait.events.STRIKE_EXTENSION_FRAMES, "heavy", 0.0)
    n_floor, floor = heavy_first_clip_stride_times("start_s")
    assert n_extended == n_floor and len(extended) == len(floor)
    assert (extended >= floor - 1e-9).all()
    assert (extended > floor + 1e-3).sum() >= 2


def test_the_runner_made_small_on_a_wide_frame_keeps_his_strides_and_events():
    """The treadmill clip made small (`synthetic/real_variants.py` `distant_crossing`:
    shrunk until the runner is 1/6 of a 1280×720 frame and moved across it), its raw
    track through the small-runner path (`gait.roi`) with BlazePose heavy. Measured: 15
    and 16 of 16 strides, strikes 0.43 / 0.47 frames, contacts 16 / 17 ms, cadence
    0.1 % off; as filmed the same clip gives 15 and 16 (docs/accuracy.md, "The labelled
    runners made small")."""
    track, fps = load_recorded("zz_treadmill_male_side__distant_crossing__heavy")
    assert (track.frame_width_px, track.frame_height_px) == (1280, 720)
    seen = np.where(track.confidence >= 0.5, track.y_px, np.nan)
    skeleton_px = np.nanmax(seen, axis=1) - np.nanmin(seen, axis=1)
    assert 0.14 <= np.nanmedian(skeleton_px) / 720 <= 0.19  # about 1/6 of the frame
    labels = json.loads((DATA / "zz_treadmill_male_side.events.json").read_text())
    report = analyze_track(track, capture_fps=fps, options=AnalysisOptions(pose_model="heavy"))
    assert report.summary.near_side == "left" and report.summary.direction == "right_to_left"
    assert "runner_small" in {flag.id for flag in report.summary.quality}
    score = score_against_labels(report.strides, labels)
    for foot, min_found in (("near", 14), ("far", 15)):
        s = score[foot]
        assert s["found"] >= min_found and s["unmatched"] <= 1, (foot, s)
        assert s["strike_frames"] <= 1.0 and s["toe_off_frames"] <= 0.8, (foot, s)
        assert s["contact_s"] <= 0.033, (foot, s)
    label_cadence = labels["derived"]["cadence_spm"]
    assert abs(report.summary.cadence_spm - label_cadence) / label_cadence < 0.01


def test_a_clip_that_ends_just_after_a_strike_keeps_the_stride_it_closes():
    """A clip often ends a few frames after a foot lands: that strike closes a stride seen
    whole. The heavy track of the labelled treadmill clip, cut 3 frames after each of 22
    labelled strikes (both feet, away from the clip's ends): the stride ending at that
    strike was found 0 times of 22 while a contact needed two thirds of its usual bracket
    in view, and 16 of 22 with one third (2026-12-05, after two held-out real clips lost
    their last stride without a reason); each found one ends within 1.5 frames of the label."""
    track, fps = load_recorded("zz_treadmill_male_side__heavy")
    labels = json.loads((DATA / "zz_treadmill_male_side.events.json").read_text())
    near = labels["near_side"]
    found, ends = 0, []
    for foot, side in (("near", near), ("far", "left" if near == "right" else "right")):
        strikes = sorted(e["frame"] for e in labels["events"]
                         if e["foot"] == foot and e["event"] == "strike")
        for strike in strikes[4:-2]:
            n = strike + 4  # the last frame is 3 frames after the strike
            cut = track.with_arrays(time_s=track.time_s[:n], x_px=track.x_px[:n],
                                    y_px=track.y_px[:n], confidence=track.confidence[:n],
                                    flags={k: v[:n] for k, v in track.flags.items()})
            strides = analyze_track(cut, capture_fps=fps,
                                    options=AnalysisOptions(pose_model="heavy")).strides
            off = (strides.loc[strides["side"] == side, "end_s"] * fps - strike).abs()
            if len(off) and off.min() <= 2:
                found += 1
                ends.append(float(off.min()))
    assert found >= 14, found
    assert max(ends) <= 1.5, ends
