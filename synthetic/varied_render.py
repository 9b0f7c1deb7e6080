"""Draw and encode a VariedRun (synthetic.variations): perspective-scaled limbs,
clothing palettes, plain/textured/busy and dark/light backgrounds, camera roll,
sub-frame motion blur and x264 compression (crf).

Drawing reuses render_runner's figure; a default ClipConfig gives the kit's frames
pixel for pixel. Roll turns the drawn image about its centre (edges reflected);
blur averages the sub-exposure renders (float, then rounded) before the kit's final
3x3 Gaussian softening.
"""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from .render_runner import (
    PALETTE,
    _background,
    _draw_arm,
    _draw_head,
    _draw_leg,
    _draw_torso,
    _poly,
    _treadmill,
)
from .runner_model import SyntheticRun
from .variations import ClipConfig, VariedRun, View, is_perspective, synthesize_varied

FAR_SHADE = 0.72  # the kit's far-limb darkening
BACKGROUNDS = ("plain", "textured", "busy")
TONES = ("normal", "dark", "light")


def _margin_px(vr: VariedRun) -> int:
    """Extra panorama width for sub-exposures of a panning camera (px)."""
    run = vr.truth
    if not np.any(run.camera_x_px) or not np.any(vr.offsets_s):
        return 0
    return int(np.ceil(run.speed_mps * run.px_per_m * np.abs(vr.offsets_s).max())) + 2


def make_background(vr: VariedRun) -> np.ndarray:
    """Panorama (BGR uint8) for the config's background kind and tone."""
    cfg, run = vr.config, vr.truth
    if cfg.background not in BACKGROUNDS or cfg.background_tone not in TONES:
        raise ValueError(f"background must be in {BACKGROUNDS}, tone in {TONES}")
    travel = int(np.ceil(np.abs(run.camera_x_px).max())) if run.n_frames else 0
    ground = vr.views[0].ground_y["back"] if is_perspective(cfg.camera) else run.ground_y_px
    wide = replace(run, camera_x_px=np.array([float(travel + 2 * _margin_px(vr))]),
                   ground_y_px=ground)
    seed = cfg.seed
    if cfg.background == "plain":
        img = _plain(wide, seed)
    else:
        img = _background(wide, seed)
        if cfg.background == "busy":
            _clutter(img, wide, seed)
    if cfg.background_tone == "dark":
        img = (img.astype(np.float32) * 0.28 + 6).astype(np.uint8)
    elif cfg.background_tone == "light":
        img = (255 - (255 - img.astype(np.float32)) * 0.3).astype(np.uint8)
    return img


def _plain(run: SyntheticRun, seed: int) -> np.ndarray:
    """Uniform wall and floor with slight sensor noise."""
    rng = np.random.default_rng(seed)
    W = run.frame_width_px + int(np.ceil(np.abs(run.camera_x_px).max())) + 2
    Hf = run.frame_height_px
    g = int(run.ground_y_px + (0.09 * run.body_height_px if run.treadmill else 0.0))
    img = np.empty((Hf, W, 3), np.float32)
    img[:] = (188, 192, 190)
    img[max(0, g):] = (118, 132, 150)
    img += rng.normal(0, 2.0, (Hf, W, 1)).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8)


def _clutter(img: np.ndarray, run: SyntheticRun, seed: int) -> None:
    """Add a busy scene: poles, shelves, blobs and stripes in random colours."""
    rng = np.random.default_rng(seed + 1)
    Hf, W = img.shape[:2]
    H = run.body_height_px
    for _ in range(int(W / H * 6)):
        col = tuple(int(v) for v in rng.integers(20, 236, 3))
        x, y = int(rng.uniform(0, W)), int(rng.uniform(0, Hf))
        kind = rng.integers(0, 4)
        if kind == 0:  # pole / door frame
            cv2.rectangle(img, (x, 0), (x + int(rng.uniform(0.02, 0.08) * H), Hf), col, -1)
        elif kind == 1:  # box / shelf
            w, h = (int(v * H) for v in rng.uniform(0.1, 0.5, 2))
            cv2.rectangle(img, (x, y), (x + w, y + h), col, -1)
        elif kind == 2:  # round object
            cv2.circle(img, (x, y), int(rng.uniform(0.03, 0.15) * H), col, -1, cv2.LINE_AA)
        else:  # cable / stripe
            x2, y2 = x + int(rng.uniform(-0.8, 0.8) * H), y + int(rng.uniform(-0.8, 0.8) * H)
            cv2.line(img, (x, y), (x2, y2), col, int(rng.integers(2, 7)), cv2.LINE_AA)


def _crop(vr: VariedRun, view: View, background: np.ndarray, i: int) -> np.ndarray:
    """The frame's window of the panorama (the kit's crop when there is no blur)."""
    run, W = view.run, view.run.frame_width_px
    if not np.any(run.camera_x_px):
        x = 0
    else:  # pan: the camera moves with the runner (camera_x has the direction's sign)
        margin = _margin_px(vr)
        base = margin if run.direction > 0 else background.shape[1] - W - margin
        x = base + int(round(float(run.camera_x_px[i])))
    return np.ascontiguousarray(background[:, x:x + W])


def _draw_treadmill(img: np.ndarray, view: View, i: int) -> None:
    run = view.run
    if view.ground_y["front"] == view.ground_y["back"]:
        _treadmill(img, run, i)
        return
    # perspective: front face at the belt's front edge, top surface back to front
    _treadmill(img, replace(run, ground_y_px=view.ground_y["front"]), i)
    cx, H = run.extra_px["mid_hip"][i, 0], run.body_height_px
    x0, x1 = cx - 0.95 * H, cx + 0.95 * H
    gb, gf = view.ground_y["back"], view.ground_y["front"]
    _poly(img, [(x0, gb), (x1, gb), (x1, gf), (x0, gf)], (48, 48, 51))


def draw_view(vr: VariedRun, view: View, i: int, background: np.ndarray) -> np.ndarray:
    """Frame i of one sub-exposure view, before roll and softening (BGR uint8)."""
    cfg, run = vr.config, view.run
    pal = {**PALETTE, **{k: tuple(v) for k, v in cfg.palette.items()}}
    img = _crop(vr, view, background, i)
    if run.treadmill:
        _draw_treadmill(img, view, i)
    kp = {k: v[i] for k, v in run.keypoints_px.items()}
    ex = {k: v[i] for k, v in run.extra_px.items()}
    d, H, b, sc = run.direction, run.body_height_px, cfg.build, view.scale
    k_far = 1.0 if cfg.same_colour_legs else FAR_SHADE
    near, far = run.near_side, run.far_side
    leaning = run.angles.assign(trunk_lean_deg=view.lean_deg)
    torso_run = replace(run, body_height_px=H * sc["trunk"] * b, angles=leaning)
    head_run = replace(run, body_height_px=H * sc["head"], angles=leaning)
    _draw_arm(img, kp, far, H * sc["far"] * b, k_far, pal["shirt"], pal["skin"])
    _draw_leg(img, kp, ex, far, d, H * sc["far"] * b, k_far, pal)
    _draw_torso(img, kp, ex, torso_run, i, pal["shirt"], pal["shorts"])
    _draw_leg(img, kp, ex, near, d, H * sc["near"] * b, 1.0, pal)
    _draw_head(img, ex, head_run, i, pal)
    _draw_arm(img, kp, near, H * sc["near"] * b, 1.0, pal["shirt"], pal["skin"])
    return img


def draw_varied_frame(vr: VariedRun, i: int, background: np.ndarray) -> np.ndarray:
    """Frame i as encoded (BGR uint8): views drawn, rolled, averaged, softened."""
    W, Hf = vr.truth.frame_width_px, vr.truth.frame_height_px
    acc = None
    for view in vr.views:
        img = draw_view(vr, view, i, background)
        if vr.roll_matrix is not None:
            img = cv2.warpAffine(img, vr.roll_matrix, (W, Hf), flags=cv2.INTER_LINEAR,
                                 borderMode=cv2.BORDER_REFLECT_101)
        if len(vr.views) == 1:
            acc = img
        else:
            acc = img.astype(np.float32) if acc is None else acc + img
    if len(vr.views) > 1:
        acc = np.clip(np.round(acc / len(vr.views)), 0, 255).astype(np.uint8)
    return cv2.GaussianBlur(acc, (3, 3), 0.6)


def render_varied(vr: VariedRun, path: str | Path) -> Path:
    """Encode every frame into an .mp4 (libx264, yuv420p, ultrafast, config crf)."""
    path = Path(path)
    run = vr.truth
    background = make_background(vr)
    with av.open(str(path), "w", options={"movflags": "+faststart"}) as container:
        stream = container.add_stream("libx264", rate=Fraction(run.fps).limit_denominator(1001))
        stream.width, stream.height, stream.pix_fmt = (run.frame_width_px,
                                                       run.frame_height_px, "yuv420p")
        stream.options = {"crf": str(int(vr.config.crf)), "preset": "ultrafast"}
        for i in range(run.n_frames):
            frame = av.VideoFrame.from_ndarray(draw_varied_frame(vr, i, background),
                                               format="bgr24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def make_varied_clip(folder: str | Path, cfg: ClipConfig) -> tuple[Path, SyntheticRun]:
    """Synthesize and render `cfg` into `folder`; returns (path, truth run)."""
    vr = synthesize_varied(cfg)
    stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in cfg.name)
    return render_varied(vr, Path(folder) / f"{stem}.mp4"), vr.truth
