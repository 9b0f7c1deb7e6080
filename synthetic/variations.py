"""Varied synthetic runners: body proportions, build, camera, clothing, blur, background.

`ClipConfig` describes one clip; `synthesize_varied(cfg)` returns a `VariedRun` whose
`truth` is an ordinary SyntheticRun (angles, events, strides from the model) with the
keypoints moved to where they are drawn; `synthetic.varied_render` draws and encodes
it. A default ClipConfig reproduces the standard kit (same keypoints, same truth).

Camera convention (only when `Camera.distance_m` is set; otherwise the kit's exact
side view): world metres with X forward along the running line (image right at zero
roll, measured from the image centre column), Y up from the ground, Z away from the
camera. The runner's sagittal midplane is Z = 0, the near leg at Z = -hip_half_width_m,
the far leg at +hip_half_width_m (shoulders likewise). The pinhole camera sits at
(0, height_m, -distance_m), pitched down by pitch_deg, and is then rolled: the whole
image turns by roll_deg about its centre (+ = counter-clockwise on screen). The focal
length makes the midplane point at the image centre scale at px_per_m, so the runner
stays ~body_height_px tall. Truth angles stay the model's 3-D sagittal angles; the
drawn (projected) 2-D angles differ from them by the perspective, which is the point.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

import cv2
import numpy as np

from .runner_model import (
    EAR,
    HEAD_TILT,
    NOSE_TIP,
    SyntheticRun,
    synthesize_run,
    time_in_view_s,
)

ARM_PARTS = ("shoulder", "elbow", "wrist")


@dataclass(frozen=True)
class Camera:
    """Pinhole camera (metres, degrees); distance_m=None is the kit's orthographic view.

    height_m=None: the height seen at the image centre (0.485 x body height, ~0.85 m).
    pitch_deg=None: aimed at the midplane point seen at the image centre (+ = down).
    """

    distance_m: float | None = None
    height_m: float | None = None
    pitch_deg: float | None = None
    roll_deg: float = 0.0
    hip_half_width_m: float = 0.09
    shoulder_half_width_m: float = 0.18


@dataclass
class ClipConfig:
    """One synthetic clip. Units: px, m/s, degrees, seconds; colours BGR.

    crossing (overground, fixed camera): the runner starts and ends outside the frame;
    seconds=None then means the whole crossing (else 5 s, or the kit's time in view).
    segment_scale: factors on thigh/shank/trunk/arm lengths; build: drawn width factor
    of trunk and limbs (1 = the kit). palette: overrides of render_runner.PALETTE roles
    (skin, legs, shirt, shorts, shoe, sole, accent, hair, sock). same_colour_legs: far
    limbs drawn in the same shade as the near ones (the kit darkens them to 72 %).
    background: plain | textured | busy; background_tone: normal | dark | light.
    blur_shutter: exposure as a fraction of the frame interval (0 = sharp), averaged
    from blur_samples sub-frame renders centred on the frame time. crf: x264 quality.
    """

    name: str = "clip"
    fps: float = 60.0
    seconds: float | None = 5.0
    direction: int = 1
    treadmill: bool = True
    camera_mode: str = "fixed"
    crossing: bool = False
    speed_mps: float = 3.5
    frame_size: tuple[int, int] = (640, 480)
    body_height_px: float = 320.0
    segment_scale: dict[str, float] = field(default_factory=dict)
    build: float = 1.0
    trunk_lean_deg: float = 6.0
    thigh_extension_offset_deg: float = 0.0
    extension_jitter_deg: float = 0.0
    stride_jitter: float = 0.0
    palette: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    same_colour_legs: bool = False
    background: str = "textured"
    background_tone: str = "normal"
    camera: Camera = field(default_factory=Camera)
    blur_shutter: float = 0.0
    blur_samples: int = 5
    crf: int = 18
    seed: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class View:
    """How one (sub-exposure) run is drawn: points before roll, px; scales vs H."""

    run: SyntheticRun  # keypoints/extra_px projected, before the roll
    lean_deg: np.ndarray  # apparent (drawn) trunk lean per frame
    scale: dict[str, float]  # drawn size / nominal at the near leg, far leg, trunk, head
    ground_y: dict[str, float]  # image y of the ground at depth near / far / back / front


@dataclass
class VariedRun:
    """Truth (keypoints as finally drawn, after roll) plus what the renderer needs."""

    config: ClipConfig
    truth: SyntheticRun
    views: list[View]  # one per sub-exposure, time offsets in `offsets_s`
    offsets_s: np.ndarray
    roll_matrix: np.ndarray | None  # 2x3 affine applied to the drawn image, or None


def is_perspective(cam: Camera) -> bool:
    return cam.distance_m is not None


def _depth_m(name: str, near: str, far: str, cam: Camera) -> float:
    """Depth Z of a keypoint or drawing point (m; + = away from the camera)."""
    for side, sign in ((near, -1.0), (far, 1.0)):
        if name.startswith(side + "_"):
            part = name[len(side) + 1:]
            if part == "ear":
                return 0.0
            width = cam.shoulder_half_width_m if part in ARM_PARTS else cam.hip_half_width_m
            return sign * width
    return 0.0


def _camera_geometry(run: SyntheticRun, cam: Camera) -> tuple[float, float, float, float]:
    """(distance D, height Yc, pitch phi rad, focal f px) of the pinhole camera."""
    ppm = run.px_per_m
    y_aim = (run.ground_y_px - run.frame_height_px / 2) / ppm
    D = float(cam.distance_m)
    Yc = y_aim if cam.height_m is None else float(cam.height_m)
    phi = np.arctan2(Yc - y_aim, D) if cam.pitch_deg is None else np.radians(cam.pitch_deg)
    return D, Yc, float(phi), float(ppm * np.hypot(D, Yc - y_aim))


def _projector(run: SyntheticRun, cam: Camera):
    """proj(xy_model_px (n, 2), z_m) -> (image xy (n, 2), scale (n,) vs px_per_m)."""
    ppm, cx, cy = run.px_per_m, run.frame_width_px / 2, run.frame_height_px / 2
    D, Yc, phi, f = _camera_geometry(run, cam)
    c, s = np.cos(phi), np.sin(phi)

    def proj(xy: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
        X = (xy[:, 0] - cx) / ppm
        dy, dz = (run.ground_y_px - xy[:, 1]) / ppm - Yc, z + D
        yc, zc = dy * c + dz * s, -dy * s + dz * c
        return np.stack([cx + f * X / zc, cy - f * yc / zc], -1), f / (zc * ppm)

    return proj


def _lean_from(points: dict[str, np.ndarray], direction: int) -> np.ndarray:
    v = points["mid_shoulder"] - points["mid_hip"]
    return np.degrees(np.arctan2(direction * v[:, 0], -v[:, 1]))


def _head_points(head: np.ndarray, lean_deg: np.ndarray, d: int, H: float) -> dict:
    """Nose and ear keypoints where render_runner draws them (model formula)."""
    a = np.radians(lean_deg * HEAD_TILT)[:, None]
    fwd = np.concatenate([d * np.cos(a), np.sin(a)], -1)
    up = np.concatenate([d * np.sin(a), -np.cos(a)], -1)
    ear = head + H * (EAR[0] * fwd + EAR[1] * up)
    return {"nose": head + H * (NOSE_TIP[0] * fwd + NOSE_TIP[1] * up),
            "left_ear": ear, "right_ear": ear.copy()}


def project_view(run: SyntheticRun, cam: Camera) -> View:
    """Project the model's side-view points through `cam` (before its roll)."""
    if not is_perspective(cam):
        one = {k: 1.0 for k in ("near", "far", "trunk", "head")}
        g = run.ground_y_px
        return View(run, run.angles["trunk_lean_deg"].to_numpy(float), one,
                    {k: g for k in ("near", "far", "back", "front")})
    proj = _projector(run, cam)
    near, far = run.near_side, run.far_side
    kp, ex, scales = {}, {}, {}
    for src, dst in ((run.keypoints_px, kp), (run.extra_px, ex)):
        for name, xy in src.items():
            dst[name], sc = proj(xy, _depth_m(name, near, far, cam))
            scales[name] = float(np.median(sc))
    lean = _lean_from(ex, run.direction)
    H = run.body_height_px
    kp.update(_head_points(ex["head_center"], lean, run.direction, H * scales["head_center"]))
    ground = np.array([[run.frame_width_px / 2, run.ground_y_px]])
    depth = {"near": -cam.hip_half_width_m, "far": cam.hip_half_width_m,
             "back": 0.3, "front": -0.3}  # treadmill belt edges 0.3 m either side
    ground_y = {k: float(proj(ground, z)[0][0, 1]) for k, z in depth.items()}
    scale = {"near": scales[f"{near}_hip"], "far": scales[f"{far}_hip"],
             "trunk": scales["mid_hip"], "head": scales["head_center"]}
    return View(replace(run, keypoints_px=kp, extra_px=ex), lean, scale, ground_y)


def roll_matrix(run: SyntheticRun, roll_deg: float) -> np.ndarray:
    """2x3 affine of the camera roll: rotation about the image centre (+ = CCW)."""
    centre = (run.frame_width_px / 2, run.frame_height_px / 2)
    return cv2.getRotationMatrix2D(centre, float(roll_deg), 1.0)


def apply_affine(M: np.ndarray, xy: np.ndarray) -> np.ndarray:
    return xy @ M[:, :2].T + M[:, 2]


def _with_in_frame(run: SyntheticRun) -> SyntheticRun:
    """Recompute the strides' fully_in_frame from the (drawn) keypoints."""
    if run.strides.empty:
        return run
    inside = run.in_frame()
    flags = [bool(inside[(run.time_s >= r.start_s) & (run.time_s < r.end_s)].all())
             for r in run.strides.itertuples(index=False)]
    return replace(run, strides=run.strides.assign(fully_in_frame=flags))


def crossing_seconds(cfg: ClipConfig) -> float:
    """Time for an overground runner to cross from outside one edge to past the other."""
    W, H = cfg.frame_size[0], cfg.body_height_px
    return (W + 1.2 * H) / (cfg.speed_mps * H / 1.75)


def run_kwargs(cfg: ClipConfig) -> dict:
    """synthesize_run keywords of a config (without fps, time offset)."""
    if cfg.direction not in (1, -1):
        raise ValueError("direction must be +1 or -1")
    kw = dict(speed_mps=cfg.speed_mps, direction=cfg.direction, treadmill=cfg.treadmill,
              camera=cfg.camera_mode, body_height_px=cfg.body_height_px,
              frame_size=tuple(cfg.frame_size), trunk_lean_deg=cfg.trunk_lean_deg,
              thigh_extension_offset_deg=cfg.thigh_extension_offset_deg,
              extension_jitter_deg=cfg.extension_jitter_deg, stride_jitter=cfg.stride_jitter,
              seed=cfg.seed)
    if cfg.segment_scale:
        kw["segment_scale"] = dict(cfg.segment_scale)
    seconds = cfg.seconds
    if cfg.crossing:
        if cfg.treadmill or cfg.camera_mode != "fixed":
            raise ValueError("crossing needs an overground run with a fixed camera")
        W, H = cfg.frame_size[0], cfg.body_height_px
        kw["start_x_px"] = -0.6 * H if cfg.direction > 0 else W + 0.6 * H
        seconds = crossing_seconds(cfg) if seconds is None else seconds
    elif seconds is None:  # as make_clip: 5 s, or the time a fixed-camera runner is in view
        seconds = 5.0
        if not cfg.treadmill and cfg.camera_mode == "fixed":
            seconds = time_in_view_s(speed_mps=cfg.speed_mps, frame_width_px=cfg.frame_size[0],
                                     body_height_px=cfg.body_height_px)
    kw["duration_s"] = float(seconds)
    return kw


def exposure_offsets(cfg: ClipConfig) -> np.ndarray:
    """Sub-frame sample times (s) relative to each frame time, centred on it."""
    if cfg.blur_shutter <= 0:
        return np.zeros(1)
    k = max(2, int(cfg.blur_samples))
    exposure = min(1.0, cfg.blur_shutter) / cfg.fps
    return ((np.arange(k) + 0.5) / k - 0.5) * exposure


def synthesize_varied(cfg: ClipConfig) -> VariedRun:
    """Model + camera for `cfg`; truth keypoints are the drawn (projected, rolled) ones."""
    kw = run_kwargs(cfg)
    base = synthesize_run(fps=cfg.fps, **kw)
    offsets = exposure_offsets(cfg)
    views = []
    for off in offsets:
        # same keywords and seed: the same strides, only sampled `off` seconds later
        sub = base if off == 0 else synthesize_run(fps=cfg.fps, time_offset_s=float(off), **kw)
        views.append(project_view(sub, cfg.camera))
    truth_view = project_view(base, cfg.camera)
    truth = truth_view.run
    M = None
    if cfg.camera.roll_deg:
        M = roll_matrix(base, cfg.camera.roll_deg)
        truth = replace(truth, keypoints_px={k: apply_affine(M, v)
                                             for k, v in truth.keypoints_px.items()},
                        extra_px={k: apply_affine(M, v) for k, v in truth.extra_px.items()})
    if is_perspective(cfg.camera) or M is not None:
        truth = _with_in_frame(truth)
    params = {**truth.params, "clip_config": cfg.to_dict(),
              "drawn_scale": truth_view.scale, "ground_y_drawn": truth_view.ground_y}
    return VariedRun(cfg, replace(truth, params=params), views, offsets, M)

