"""gait.level: the true vertical from background edges, and angles measured against it."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest

from gait.kinematics import compute_angles
from gait.level import (
    MAX_CORRECTION_DEG,
    fit_true_vertical,
    lean_deg,
    levelled,
    near_vertical_segments,
)
from synthetic.pose_noise import to_pose_track
from synthetic.runner_model import synthesize_run

WIDTH, HEIGHT = 1280, 720


RUNNER_X = WIDTH / 2  # the runner's box centre, for the side rule


def _segment(x_mid: float, y_mid: float, lean: float, length: float = 120.0) -> list[float]:
    """A segment centred at (x_mid, y_mid) whose downward direction leans `lean` deg, in
    `near_vertical_segments`' columns (the runner at the picture's centre)."""
    dx, dy = np.sin(np.radians(lean)) * length / 2, np.cos(np.radians(lean)) * length / 2
    return [x_mid - dx, y_mid - dy, x_mid + dx, y_mid + dy, length, RUNNER_X]


def _edges_towards(point: tuple[float, float], xs, ys) -> np.ndarray:
    """Segments through (x, y) pointing at a finite vanishing point."""
    rows = []
    for x, y in zip(xs, ys, strict=True):
        lean = np.degrees(np.arctan2(point[0] - x, point[1] - y))
        lean = lean - 180 if lean > 90 else lean + 180 if lean < -90 else lean
        rows.append(_segment(x, y, lean))
    return np.array(rows)


def test_a_rolled_picture_is_found_from_its_parallel_edges_despite_a_slanted_object():
    edges = [_segment(x, 200 + 37 * i % 300, 2.5) for i, x in enumerate(range(80, 1200, 140))]
    slanted = [_segment(1100, 400, 7.5, 200), _segment(1150, 420, -6.0, 150)]
    vertical = fit_true_vertical(np.array(edges + slanted), width_px=WIDTH, height_px=HEIGHT)
    assert vertical is not None and vertical.vanishing_w == 0.0
    assert vertical.segments == len(edges)
    np.testing.assert_allclose(lean_deg(vertical, np.array([100.0, 640, 1200]),
                                        np.array([100.0, 360, 700])), 2.5, atol=0.05)


def test_converging_edges_give_the_vertical_where_the_runner_is():
    """A camera tilted up: vertical edges meet far above the picture, so the true
    vertical leans one way on the left and the other way on the right."""
    above = (700.0, -6000.0)
    xs = np.linspace(60, 1220, 12)
    ys = np.tile([150.0, 450.0], 6)
    vertical = fit_true_vertical(_edges_towards(above, xs, ys), width_px=WIDTH,
                                 height_px=HEIGHT)
    assert vertical is not None and vertical.vanishing_w != 0.0
    at = np.array([100.0, 700.0, 1200.0]), np.array([400.0, 400.0, 400.0])
    expected = np.degrees(np.arctan2(-(above[0] - at[0]), -(above[1] - at[1])))
    leans = lean_deg(vertical, *at)
    np.testing.assert_allclose(leans, expected, atol=0.05)
    assert leans[0] < -4 and leans[2] > 4  # left of the vanishing point, and right of it


@pytest.mark.parametrize("why", ["few", "one_place", "short", "one_side"])
def test_too_little_evidence_levels_nothing(why):
    edges = {"few": [_segment(x, 300, 2.0) for x in (100, 600, 1100)],
             "one_place": [_segment(640 + i, 300, 2.0) for i in range(10)],
             "short": [_segment(x, 300, 2.0, 40) for x in range(100, 1200, 200)],
             # spread out and plenty, but all right of the runner (at the picture's
             # centre): a rolled camera and one tilted up look alike there
             "one_side": [_segment(x, 300, 2.0) for x in range(700, 1250, 50)]}[why]
    assert fit_true_vertical(np.array(edges), width_px=WIDTH, height_px=HEIGHT) is None


def test_edges_on_the_runner_and_slanted_lines_are_not_candidates():
    import cv2

    gray = np.full((HEIGHT, WIDTH), 200, np.uint8)
    cv2.line(gray, (200, 100), (200, 600), 0, 3)  # a wall edge
    cv2.line(gray, (640, 150), (650, 550), 0, 3)  # on the runner
    cv2.line(gray, (1000, 100), (1150, 600), 0, 3)  # 17° off vertical
    cv2.line(gray, (900, 620), (905, 715), 0, 3)  # a floor seam below the runner's feet
    found = near_vertical_segments(gray, (560, 100, 720, 600), scale=1.0)
    assert len(found) >= 1
    assert np.all(np.abs((found[:, 0] + found[:, 2]) / 2 - 200) < 5)


def _rolled(track, roll_deg: float):
    """The track as a camera rolled by `roll_deg` sees it (turned about the centre)."""
    theta = np.radians(-roll_deg)
    cx, cy = track.frame_width_px / 2, track.frame_height_px / 2
    dx, dy = track.x_px - cx, track.y_px - cy
    return track.with_arrays(x_px=cx + dx * np.cos(theta) - dy * np.sin(theta),
                             y_px=cy + dx * np.sin(theta) + dy * np.cos(theta))


@pytest.mark.parametrize("direction", [1, -1])
def test_levelling_undoes_a_camera_roll_for_angles_against_the_vertical(direction):
    track = to_pose_track(synthesize_run(fps=60, duration_s=2, seed=1, direction=direction),
                          noise_px=0.0, seed=1)
    roll = 3.0
    rolled = _rolled(track, roll)
    true_down = np.array([np.sin(np.radians(roll)), np.cos(np.radians(roll))])
    vertical = fit_true_vertical(np.array(
        [_segment(x, 300, np.degrees(np.arctan2(*true_down))) for x in range(100, 1200, 150)]),
        width_px=track.frame_width_px, height_px=track.frame_height_px)
    result = levelled(rolled, vertical)
    assert result is not None and result[1] == pytest.approx(roll, abs=0.05)
    truth = compute_angles(track, direction=direction)
    before = compute_angles(rolled, direction=direction)
    after = compute_angles(result[0], direction=direction)
    for column in ("left_thigh_deg", "right_shank_deg", "trunk_lean_deg"):
        assert np.nanmax(np.abs(before[column] - truth[column])) > 2.5
        np.testing.assert_allclose(after[column], truth[column], atol=0.05)
    for column in ("left_knee_deg", "right_hip_deg"):  # between segments: unchanged
        np.testing.assert_allclose(before[column], truth[column], atol=1e-6)


def test_a_lean_too_large_for_a_camera_roll_is_not_applied():
    track = to_pose_track(synthesize_run(fps=60, duration_s=1, seed=2), noise_px=0.0, seed=2)
    lean = MAX_CORRECTION_DEG + 1.5
    vertical = fit_true_vertical(np.array([_segment(x, 300, lean) for x in range(100, 1200, 150)]),
                                 width_px=track.frame_width_px, height_px=track.frame_height_px)
    assert vertical is not None and levelled(track, vertical) is None
    assert levelled(track, replace(vertical)) is None


def test_a_rendered_camera_rolled_either_way_gives_the_same_levelled_thigh(tmp_path):
    """The same rendered treadmill run in front of a wall with vertical edges, filmed by
    a camera rolled 3° one way and 3° the other: the roll is found each time, the
    quality note says so, and the near leg's peak thigh extension comes out the same
    (measured against the picture's vertical it differs by about twice the roll). The
    trunk–thigh angle does not move."""
    from gait.pipeline import analyze_track, analyze_video
    from gait.result import AnalysisOptions, AnalysisSummary
    from gait.summary import ClipFacts
    from synthetic.variations import Camera, ClipConfig
    from synthetic.varied_render import make_varied_clip

    levelled_deg, plain_deg = {}, {}
    for roll in (3.0, -3.0):
        cfg = ClipConfig(name=f"rolled{roll:+.0f}", fps=60, seconds=3.0, background="busy",
                         seed=5, camera=Camera(roll_deg=roll))
        path, _ = make_varied_clip(tmp_path, cfg)
        report = analyze_video(path, options=AnalysisOptions(), workers=1)
        summary = report.summary
        assert summary.geometry.levelled_by_deg == pytest.approx(roll, abs=0.3)
        assert "picture_levelled" in summary.quality_ids
        read_back = AnalysisSummary.from_json(json.loads(json.dumps(summary.as_json())))
        assert read_back.video.true_vertical == summary.video.true_vertical
        assert read_back.geometry.levelled_by_deg == summary.geometry.levelled_by_deg
        # the same cleaned track analysed again with and without the fit: only the
        # levelling differs
        again, plain = (analyze_track(report.track, options=AnalysisOptions(),
                                      capture_fps=summary.capture_fps,
                                      video=ClipFacts(file=path.name, true_vertical=vertical))
                        for vertical in (summary.video.true_vertical, None))
        assert again.summary.geometry.levelled_by_deg == summary.geometry.levelled_by_deg
        assert plain.summary.geometry.levelled_by_deg is None
        assert "picture_levelled" not in plain.summary.quality_ids
        np.testing.assert_allclose(plain.frames["near_hip_deg"], again.frames["near_hip_deg"],
                                   atol=1e-6)
        assert np.nanmax(np.abs(plain.frames["near_thigh_deg"]
                                - again.frames["near_thigh_deg"])) > 2.5
        near = summary.near_side
        levelled_deg[roll] = again.summary.per_side[near].median("peak_thigh_extension_deg")
        plain_deg[roll] = plain.summary.per_side[near].median("peak_thigh_extension_deg")
    assert abs(plain_deg[3.0] - plain_deg[-3.0]) > 4.0
    assert abs(levelled_deg[3.0] - levelled_deg[-3.0]) < 1.0


@pytest.mark.parametrize(("lean", "direction", "words"), [
    (2.0, 1, "would have read about 2.0° less"), (2.0, -1, "would have read about 2.0° more"),
    (-2.0, 1, "would have read about 2.0° more")])
def test_the_note_says_which_way_the_pictures_vertical_would_have_moved_the_figures(
        lean, direction, words):
    """Measured against the picture's vertical a thigh reads direction × lean more (see
    the levelling test above), so thigh extension that much less."""
    from gait.quality import levelled_note

    note = levelled_note(lean, direction=direction, converging=False)
    assert words in note and "level the phone" in note
    assert f"lower ends to the {'right' if lean > 0 else 'left'}" in note
    assert "point the camera level" in levelled_note(lean, direction=direction, converging=True)
