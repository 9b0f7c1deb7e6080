"""The synthetic variations (synthetic/variations.py, varied_render.py) change what they
claim, keep the truth exact, and the held-out list (synthetic/heldout.py) is fixed."""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
import pytest

from synthetic.heldout import heldout_configs
from synthetic.render_runner import _background, draw_frame
from synthetic.runner_model import THIGH, synthesize_run
from synthetic.variations import Camera, ClipConfig, apply_affine, run_kwargs, synthesize_varied
from synthetic.varied_render import draw_varied_frame, make_background, make_varied_clip


def _frames(cfg: ClipConfig, idx) -> tuple[object, list[np.ndarray], np.ndarray]:
    vr = synthesize_varied(cfg)
    bg = make_background(vr)
    return vr, [draw_varied_frame(vr, i, bg) for i in idx], bg


def _sharpness(img: np.ndarray) -> float:
    return float(cv2.Laplacian(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY), cv2.CV_64F).var())


def _silhouette(img: np.ndarray, bg: np.ndarray) -> np.ndarray:
    return np.abs(img.astype(int) - cv2.GaussianBlur(bg, (3, 3), 0.6)).max(-1) > 25


def test_default_config_is_the_kit_pixel_for_pixel():
    cfg = ClipConfig(fps=30, seconds=1.0, direction=-1, seed=4)
    run = synthesize_run(fps=30, **run_kwargs(cfg))
    vr, frames, _ = _frames(cfg, [0, 13, 29])
    for k in run.keypoints_px:
        assert np.array_equal(run.keypoints_px[k], vr.truth.keypoints_px[k])
    bg = _background(run, cfg.seed)
    for i, img in zip([0, 13, 29], frames, strict=True):
        assert np.array_equal(img, draw_frame(run, i, bg))


def test_segment_scale_changes_lengths_not_angles():
    base = synthesize_run(fps=60, duration_s=3, seed=2)
    run = synthesize_run(fps=60, duration_s=3, seed=2,
                         segment_scale={"thigh": 1.08, "shank": 0.92, "trunk": 1.05})
    thigh = np.hypot(*(run.xy("left_knee") - run.xy("left_hip")).T)
    assert np.allclose(thigh, 1.08 * THIGH * run.body_height_px)
    assert run.params["min_swing_clearance_px"] >= -1e-3  # the model's self-check held
    cols = ["left_thigh_deg", "right_knee_deg", "trunk_lean_deg"]
    assert np.allclose(run.angles[cols], base.angles[cols])
    assert np.allclose(run.strides["peak_thigh_extension_deg"],
                       base.strides["peak_thigh_extension_deg"])


def test_time_offset_samples_the_same_motion_later():
    base = synthesize_run(fps=100, duration_s=2, seed=3)
    later = synthesize_run(fps=100, duration_s=2, seed=3, time_offset_s=0.01)
    for k in ("left_ankle", "right_knee", "nose"):
        assert np.allclose(later.xy(k)[:-1], base.xy(k)[1:], atol=1e-6)


@pytest.mark.parametrize("same", [True, False])
def test_same_colour_legs(same):
    cfg = ClipConfig(fps=30, seconds=1.0, background="plain", same_colour_legs=same, seed=1)
    vr = synthesize_varied(cfg)
    run = vr.truth
    mid = {s: (run.xy(f"{s}_knee") + run.xy(f"{s}_ankle")) / 2 for s in ("left", "right")}
    i = int(np.argmax(np.hypot(*(mid["left"] - mid["right"]).T)))
    img = draw_varied_frame(vr, i, make_background(vr))
    colours = [img[int(round(p[i, 1])), int(round(p[i, 0]))].astype(int) for p in mid.values()]
    assert (np.abs(colours[0] - colours[1]).max() <= 2) == same


@pytest.mark.parametrize("camera", [Camera(), Camera(distance_m=12.0, height_m=1.0)])
def test_runner_height_in_a_wide_frame(camera):
    cfg = ClipConfig(fps=30, seconds=1.0, frame_size=(1280, 720), body_height_px=100,
                     treadmill=False, background="plain", camera=camera, seed=5)
    idx = list(range(0, 30, 3))
    _, frames, bg = _frames(cfg, idx)
    heights = []
    for img in frames:
        rows = np.flatnonzero(_silhouette(img, bg[:, :1280]).any(1))
        heights.append(rows[-1] - rows[0] + 1)
    assert 90 <= np.median(heights) <= 110


def _contact_sole_y(run, side: str) -> np.ndarray:
    c = run.angles[f"{side}_contact"].to_numpy(bool)
    ex = run.extra_px
    sole = np.maximum(ex[f"{side}_sole_heel"][:, 1], ex[f"{side}_sole_toe"][:, 1])
    return sole[c]


def test_camera_height_moves_the_far_contact_line():
    gaps = {}
    for label, height in (("high", 1.7), ("low", 0.35)):
        cfg = ClipConfig(fps=60, seconds=2.0, camera=Camera(distance_m=3.5, height_m=height))
        run = synthesize_varied(cfg).truth
        near, far = _contact_sole_y(run, run.near_side), _contact_sole_y(run, run.far_side)
        g = run.params["ground_y_drawn"]
        assert np.allclose(near, g["near"], atol=1e-6) and np.allclose(far, g["far"], atol=1e-6)
        gaps[label] = g["near"] - g["far"]
        # pinhole: ground at depth z seen at angle atan(height / (D + z)) below the horizon
        f = run.px_per_m * np.hypot(3.5, height - 0.485 * 1.75)
        pitch = np.arctan2(height - 0.485 * 1.75, 3.5)
        expect = f * (np.tan(np.arctan2(height, 3.41) - pitch)
                      - np.tan(np.arctan2(height, 3.59) - pitch))
        assert gaps[label] == pytest.approx(expect, rel=1e-6)
    assert gaps["high"] > gaps["low"] > 0  # far foot higher in the image, more so from above


def test_near_camera_draws_the_far_leg_smaller():
    run = synthesize_varied(ClipConfig(fps=30, seconds=1.0,
                                       camera=Camera(distance_m=2.5))).truth
    length = {s: np.hypot(*(run.xy(f"{s}_knee") - run.xy(f"{s}_hip")).T) for s in
              (run.near_side, run.far_side)}
    ratio = np.median(length[run.far_side] / length[run.near_side])
    assert ratio == pytest.approx((2.5 - 0.09) / (2.5 + 0.09), abs=0.01)
    assert np.allclose(run.angles["left_thigh_deg"], synthesize_run(
        fps=30, duration_s=1.0).angles["left_thigh_deg"])  # truth: the 3-D sagittal angle


def test_roll_rotates_keypoints_and_the_ground():
    cfg = ClipConfig(fps=60, seconds=3.0, camera=Camera(roll_deg=3.0))
    vr = synthesize_varied(cfg)
    flat = synthesize_varied(replace(cfg, camera=Camera())).truth
    for k in ("left_knee", "nose"):
        assert np.allclose(vr.truth.xy(k), apply_affine(vr.roll_matrix, flat.xy(k)))
    side = flat.near_side
    c = flat.angles[f"{side}_contact"].to_numpy(bool)
    heel = flat.extra_px[f"{side}_sole_heel"][:, 1] >= flat.extra_px[f"{side}_sole_toe"][:, 1]
    pts = np.where(heel[:, None], vr.truth.extra_px[f"{side}_sole_heel"],
                   vr.truth.extra_px[f"{side}_sole_toe"])[c]
    slope = np.polyfit(pts[:, 0], pts[:, 1], 1)[0]
    assert np.degrees(np.arctan(slope)) == pytest.approx(-3.0, abs=0.05)  # CCW on screen


def test_motion_blur_lowers_sharpness_and_keeps_truth():
    sharp = ClipConfig(fps=30, seconds=1.0, background="plain", seed=2)
    blurred = replace(sharp, blur_shutter=1.0, blur_samples=5)
    vr_s, img_s, _ = _frames(sharp, [10, 20])
    vr_b, img_b, _ = _frames(blurred, [10, 20])
    for k in vr_s.truth.keypoints_px:
        assert np.array_equal(vr_s.truth.keypoints_px[k], vr_b.truth.keypoints_px[k])
    assert sum(map(_sharpness, img_b)) < 0.8 * sum(map(_sharpness, img_s))


def test_backgrounds_and_tones():
    kw = dict(fps=30, seconds=0.2, seed=3)
    plain = make_background(synthesize_varied(ClipConfig(background="plain", **kw)))
    busy = make_background(synthesize_varied(ClipConfig(background="busy", **kw)))
    assert _sharpness(busy) > 3 * _sharpness(plain)
    dark = make_background(synthesize_varied(ClipConfig(background_tone="dark", **kw)))
    light = make_background(synthesize_varied(ClipConfig(background_tone="light", **kw)))
    assert dark.mean() < 70 < 190 < light.mean()


def test_build_draws_a_wider_runner():
    areas = []
    for build in (0.85, 1.25):
        _, frames, bg = _frames(ClipConfig(fps=30, seconds=0.5, background="plain",
                                           treadmill=False, build=build), [5])
        areas.append(_silhouette(frames[0], bg[:, :640]).sum())
    assert areas[1] > 1.2 * areas[0]  # head and shoe length do not scale


def test_compression_shrinks_the_file(tmp_path):
    sizes = []
    for crf in (18, 36):
        path, _ = make_varied_clip(tmp_path, ClipConfig(name=f"c{crf}", fps=30, seconds=0.5,
                                                        crf=crf))
        sizes.append(path.stat().st_size)
    assert sizes[1] < 0.6 * sizes[0]


def test_overground_crossing_enters_and_leaves():
    cfg = ClipConfig(fps=30, seconds=None, treadmill=False, crossing=True, direction=-1,
                     frame_size=(1280, 720), body_height_px=120)
    run = synthesize_varied(cfg).truth
    xs = np.stack([v[:, 0] for v in run.keypoints_px.values()], 1)
    assert (xs[0] > 1279).all() and (xs[-1] < 0).all()
    assert run.in_frame()[run.n_frames // 2]
    assert run.strides["fully_in_frame"].any() and not run.strides["fully_in_frame"].all()


def test_heldout_list_is_fixed_and_spread():
    a, b = heldout_configs(), heldout_configs()
    assert [c.to_dict() for c in a] == [c.to_dict() for c in b]
    assert 8 <= len(a) <= 12
    assert {30, 60, 120} <= {c.fps for c in a}
    assert {1, -1} == {c.direction for c in a}
    assert any(c.treadmill for c in a) and any(c.crossing for c in a)
    assert any(c.camera_mode == "pan" for c in a)
    assert any(c.body_height_px <= 130 for c in a)
    assert any(c.same_colour_legs for c in a) and any(c.blur_shutter > 0 for c in a)
    heights = [c.camera.height_m for c in a]
    assert max(heights) >= 1.4 and min(heights) <= 0.6
    assert {"plain", "textured", "busy"} == {c.background for c in a}
    assert any(c.crf >= 32 for c in a) and any(abs(c.camera.roll_deg) >= 2 for c in a)
    assert "NO TUNING" in __import__("synthetic.heldout").heldout.__doc__


def test_one_heldout_clip_through_the_pipeline(tmp_path):
    """Smoke test only (no accuracy asserts: the held-out set is for reporting)."""
    from gait.pipeline import analyze_video
    from gait.result import AnalysisOptions
    from tests.accuracy import measure_outputs

    cfg = replace(heldout_configs()[0], seconds=3.0)
    path, run = make_varied_clip(tmp_path, cfg)
    report = analyze_video(path, options=AnalysisOptions())
    result = measure_outputs(run, report.strides, report.summary.as_json())
    assert result["near_found"] <= result["near_true"] and result["near_true"] > 0
    assert "cadence_error_pct" in result and "verdict" in result
