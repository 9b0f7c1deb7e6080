"""Render a SyntheticRun into a real video file that MediaPipe BlazePose can track.

The figure is drawn in profile from outlined polygons: anatomical thigh and shank
outlines (quadriceps, patella, calf), capsule arms, a shirt, shorts, shoes with a
distinct heel and toe, and a head with hair, eye, ear, nose and mouth, over a
textured room with a floor (or a treadmill belt). Near-side limbs are drawn last and
brighter, far-side limbs first and darker. Joint centres of the drawing are exactly
the SyntheticRun keypoints. Frames are encoded with
PyAV (libx264/yuv420p for .mp4/.mov/.mkv, libvpx-vp9 for .webm, mpeg4 for .avi).
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from .mp4_rotation import set_mp4_rotation as _set_mp4_rotation
from .runner_model import EAR, HEAD_TILT, NOSE_TIP, SyntheticRun, synthesize_run, time_in_view_s

SHIFT = 4  # cv2 sub-pixel drawing: coordinates in 1/16 px
SKIN = (120, 160, 214)  # BGR
SHIRT = (175, 95, 40)
SHORTS = (45, 40, 38)
SHOE = (235, 235, 240)
SOLE = (60, 60, 70)
ACCENT = (30, 90, 230)
HAIR = (30, 40, 55)
SOCK = (225, 225, 225)
# Clothing/skin colours by role; `legs` is the skin or tights colour of both legs.
PALETTE = {"skin": SKIN, "legs": SKIN, "shirt": SHIRT, "shorts": SHORTS, "shoe": SHOE,
           "sole": SOLE, "accent": ACCENT, "hair": HAIR, "sock": SOCK}
# Shorts and pelvis outline in units of body height H (anatomical proportions; varying
# them moved BlazePose's hip by < 0.005 H, see README)
SHORTS_R_HIP, SHORTS_R_HEM, SHORTS_LEN = 0.062, 0.05, 0.42
WAIST_UP, CROTCH_DOWN, BUTTOCK_BACK, PELVIS_FRONT = 0.085, 0.05, 0.085, 0.06


def _pts(points) -> np.ndarray:
    return np.round(np.asarray(points, float) * (1 << SHIFT)).astype(np.int32)


def _shade(color, k: float) -> tuple[int, int, int]:
    return tuple(int(min(255.0, max(0.0, c * k))) for c in color)


def _poly(img, points, color, outline=None, lw=2.0) -> None:
    p = _pts(points).reshape(-1, 1, 2)
    if outline is not None:
        cv2.polylines(img, [p], True, outline, max(1, int(round(lw))), cv2.LINE_AA, SHIFT)
    cv2.fillPoly(img, [p], color, cv2.LINE_AA, SHIFT)


def _circle(img, c, r, color, thickness=-1) -> None:
    cv2.circle(img, tuple(_pts(c)), int(round(r * (1 << SHIFT))), color, thickness,
               cv2.LINE_AA, SHIFT)


_HALF = np.linspace(np.pi / 2, 3 * np.pi / 2, 10)
_HALF_COS, _HALF_SIN = np.cos(_HALF), np.sin(_HALF)


def _capsule_outline(p0, p1, r0, r1) -> np.ndarray:
    """Polygon of a tapered capsule (two half-discs joined by tangents)."""
    p0, p1 = np.asarray(p0, float), np.asarray(p1, float)
    ux, uy = p1 - p0
    norm = np.hypot(ux, uy) + 1e-9
    ux, uy = ux / norm, uy / norm
    cx, cy = ux * _HALF_COS - uy * _HALF_SIN, uy * _HALF_COS + ux * _HALF_SIN  # rotate by u
    cap0 = np.stack([p0[0] + r0 * cx, p0[1] + r0 * cy], -1)
    cap1 = np.stack([p1[0] - r1 * cx, p1[1] - r1 * cy], -1)
    return np.vstack([cap0, cap1])


def _limb(img, p0, p1, r0, r1, color, *, lw) -> None:
    """Shaded capsule with a dark rim and a highlight stripe."""
    _poly(img, _capsule_outline(p0, p1, r0 + lw * 0.5, r1 + lw * 0.5), _shade(color, 0.55))
    _poly(img, _capsule_outline(p0, p1, r0, r1), color)
    u = np.subtract(p1, p0) / (np.hypot(*np.subtract(p1, p0)) + 1e-9)
    off = np.array([u[1], -u[0]]) * 0.35  # highlight towards the upper side of the limb
    if off[1] > 0:
        off = -off
    _poly(img, _capsule_outline(np.add(p0, off * r0), np.add(p1, off * r1), r0 * 0.45,
                                r1 * 0.45), _shade(color, 1.12))


def _frame_of(origin, axis_deg_from_up: float, d: int):
    """Local (forward, up) -> image mapper for a body part tilted by `axis_deg_from_up`."""
    a = np.radians(axis_deg_from_up)
    up = np.array([d * np.sin(a), -np.cos(a)])
    fwd = np.array([d * np.cos(a), np.sin(a)])

    def f(points):
        p = np.atleast_2d(np.asarray(points, float))
        return origin + p[:, :1] * fwd + p[:, 1:2] * up

    return f


# Leg profiles: (fraction along the segment, half-width in units of H) for the front
# (direction of travel when the segment hangs vertically) and the back contour.
THIGH_FRONT = ((0.0, 0.056), (0.3, 0.058), (0.6, 0.05), (0.85, 0.037), (0.97, 0.036),
               (1.0, 0.032))
THIGH_BACK = ((0.0, 0.062), (0.3, 0.056), (0.6, 0.046), (0.85, 0.032), (1.0, 0.029))
SHANK_FRONT = ((0.0, 0.031), (0.08, 0.031), (0.3, 0.025), (0.6, 0.021), (0.9, 0.016),
               (1.0, 0.017))
SHANK_BACK = ((0.0, 0.029), (0.15, 0.036), (0.3, 0.039), (0.5, 0.031), (0.75, 0.019),
              (1.0, 0.017))


def _segment_polygon(p0, p1, front, back, d: int, H: float, n: int = 14) -> np.ndarray:
    p0, p1 = np.asarray(p0, float), np.asarray(p1, float)
    v = p1 - p0
    a = np.arctan2(d * v[0], v[1])  # angle from the downward vertical, + = forward
    fwd = np.array([d * np.cos(a), -np.sin(a)])
    s = np.linspace(0.0, 1.0, n)
    wf = np.interp(s, *np.array(front).T) * H
    wb = np.interp(s, *np.array(back).T) * H
    axis = p0 + s[:, None] * v
    return np.vstack([axis + wf[:, None] * fwd, (axis - wb[:, None] * fwd)[::-1]])


def _draw_leg(img, kp, ex, side, d, H, k, pal=PALETTE) -> None:
    hip, knee, ankle = kp[f"{side}_hip"], kp[f"{side}_knee"], kp[f"{side}_ankle"]
    lw = max(1.5, 0.006 * H)
    skin = _shade(pal["legs"], k)
    _poly(img, _segment_polygon(knee, ankle, SHANK_FRONT, SHANK_BACK, d, H), skin,
          outline=_shade(skin, 0.55), lw=lw)
    _poly(img, _segment_polygon(hip, knee, THIGH_FRONT, THIGH_BACK, d, H), skin,
          outline=_shade(skin, 0.55), lw=lw)
    _circle(img, knee, 0.029 * H, skin)  # fills the joint where the two outlines meet
    # shorts over the upper thigh
    _limb(img, hip, hip + SHORTS_LEN * (knee - hip), SHORTS_R_HIP * H, SHORTS_R_HEM * H,
          _shade(pal["shorts"], k), lw=lw)
    # shoe: heel counter, upper up to the ankle, sole from heel to toe
    heel_s, toe_s = ex[f"{side}_sole_heel"], ex[f"{side}_sole_toe"]
    along = (toe_s - heel_s) / (np.hypot(*(toe_s - heel_s)) + 1e-9)
    up = np.array([along[1], -along[0]]) * d
    L = np.hypot(*(toe_s - heel_s))
    sole_t = 0.016 * H

    def q(f, u):
        return heel_s + f * L * along + u * H * up

    upper = [q(0.0, 0.0), q(-0.02, 0.03), q(0.02, 0.062), q(0.22, 0.07), q(0.42, 0.055),
             q(0.75, 0.038), q(0.97, 0.02), q(1.0, 0.006), q(1.0, 0.0)]
    _poly(img, upper, _shade(pal["shoe"], k), outline=_shade(pal["sole"], k), lw=lw)
    _poly(img, [q(0.22, 0.012), q(0.45, 0.045), q(0.6, 0.04), q(0.35, 0.012)],
          _shade(pal["accent"], k))
    sole = [q(-0.01, 0.0), q(1.0, 0.0), q(1.0, sole_t / H), q(0.0, sole_t / H)]
    _poly(img, sole, _shade(pal["sole"], k))
    # low sock band above the shoe collar
    _limb(img, ankle + up * 0.012 * H, ankle + up * 0.022 * H, 0.018 * H, 0.018 * H,
          _shade(pal["sock"], k), lw=lw * 0.4)


def _draw_arm(img, kp, side, H, k, shirt, skin=SKIN) -> None:
    sh, el, wr = kp[f"{side}_shoulder"], kp[f"{side}_elbow"], kp[f"{side}_wrist"]
    lw = max(1.5, 0.005 * H)
    _limb(img, el, wr, 0.022 * H, 0.016 * H, _shade(skin, k), lw=lw)
    _circle(img, wr + 0.018 * H * (wr - el) / (np.hypot(*(wr - el)) + 1e-9), 0.022 * H,
            _shade(skin, k * 0.95))
    _limb(img, sh, el, 0.03 * H, 0.023 * H, _shade(skin, k), lw=lw)
    _limb(img, sh, sh + 0.45 * (el - sh), 0.037 * H, 0.032 * H, _shade(shirt, k), lw=lw)


def _draw_torso(img, kp, ex, run: SyntheticRun, i: int, shirt, shorts_bgr=SHORTS) -> None:
    d, H = run.direction, run.body_height_px
    hip, sho = ex["mid_hip"], ex["mid_shoulder"]
    lean = float(run.angles["trunk_lean_deg"].iat[i])
    tr = _frame_of(hip, lean, d)
    T = np.hypot(*(sho - hip)) / H
    # (forward, up) outline in units of H, from the back of the pelvis round to the front
    back = [(-0.075, -0.045), (-0.085, 0.0), (-0.07, 0.06), (-0.055, 0.12), (-0.06, 0.2),
            (-0.062, T - 0.03), (-0.035, T + 0.02)]
    front = [(0.035, T + 0.025), (0.06, T - 0.02), (0.078, T - 0.09), (0.07, 0.14),
             (0.062, 0.06), (0.06, -0.02), (0.03, -0.05)]
    outline = np.array(back + front) * H
    _poly(img, tr(outline), shirt, outline=_shade(shirt, 0.5), lw=max(1.5, 0.006 * H))
    _poly(img, tr(np.array([(-0.03, 0.17), (-0.03, T - 0.05), (0.02, T - 0.05),
                            (0.03, 0.17)]) * H), _shade(shirt, 1.12))
    wu, cd, bb, pf = WAIST_UP, CROTCH_DOWN, BUTTOCK_BACK, PELVIS_FRONT
    shorts = np.array([(-bb + 0.007, -cd), (-bb, 0.0), (-bb + 0.015, 0.06), (-0.068, wu),
                       (0.064, wu), (pf + 0.002, -0.02), (0.03, -cd - 0.01)]) * H
    _poly(img, tr(shorts), shorts_bgr, outline=_shade(shorts_bgr, 0.5), lw=max(1.5, 0.006 * H))
    _poly(img, tr(np.array([(-0.07, wu), (0.065, wu), (0.065, wu + 0.01),
                            (-0.07, wu + 0.01)]) * H), (200, 200, 200))


def _draw_head(img, ex, run: SyntheticRun, i: int, pal=PALETTE) -> None:
    d, H = run.direction, run.body_height_px
    lean = float(run.angles["trunk_lean_deg"].iat[i])
    c, neck = ex["head_center"], ex["neck"]
    _limb(img, neck + np.array([0, 0.03 * H]), c + np.array([-d * 0.012 * H, 0.02 * H]),
          0.034 * H, 0.03 * H, pal["skin"], lw=max(1.5, 0.005 * H))
    f = _frame_of(c, lean * HEAD_TILT, d)
    ang = np.linspace(0, 2 * np.pi, 40, endpoint=False)
    skull = np.stack([0.058 * np.cos(ang), 0.068 * np.sin(ang)], -1) * H
    jaw = np.array([(0.05, -0.03), (0.055, -0.062), (0.03, -0.082), (-0.01, -0.075),
                    (-0.03, -0.05)]) * H
    _poly(img, f(skull), pal["skin"], outline=_shade(pal["skin"], 0.55), lw=max(1.5, 0.005 * H))
    _poly(img, f(jaw), pal["skin"])
    tip = (NOSE_TIP[0] + 0.002, NOSE_TIP[1])
    nose = np.array([(0.055, 0.012), tip, (0.068, -0.024), (0.052, -0.024)]) * H
    _poly(img, f(nose), _shade(pal["skin"], 0.95), outline=_shade(pal["skin"], 0.6), lw=1.5)
    lips = np.array([(0.048, -0.044), (0.06, -0.044)]) * H
    cv2.line(img, *[tuple(p) for p in _pts(f(lips))], (60, 60, 150), max(1, int(0.004 * H)),
             cv2.LINE_AA, SHIFT)
    hair = np.array([(0.035, 0.06), (0.0, 0.074), (-0.04, 0.066), (-0.062, 0.03),
                     (-0.066, -0.01), (-0.055, -0.04), (-0.02, 0.02), (0.02, 0.04),
                     (0.05, 0.035)]) * H
    _poly(img, f(hair), pal["hair"])
    eye = f(np.array([(0.04, 0.008)]) * H)[0]
    _circle(img, eye, 0.011 * H, (245, 245, 245))
    _circle(img, eye + np.array([d * 0.004 * H, 0]), 0.0065 * H, (40, 30, 30))
    brow = f(np.array([(0.028, 0.022), (0.055, 0.02)]) * H)
    cv2.line(img, *[tuple(p) for p in _pts(brow)], pal["hair"], max(1, int(0.005 * H)), cv2.LINE_AA,
             SHIFT)
    ear = f(np.array([EAR]) * H)[0]
    cv2.ellipse(img, tuple(_pts(ear)), tuple(_pts([0.013 * H, 0.021 * H])), lean * HEAD_TILT * d,
                0, 360, _shade(pal["skin"], 0.8), -1, cv2.LINE_AA, SHIFT)
    cv2.ellipse(img, tuple(_pts(ear)), tuple(_pts([0.006 * H, 0.012 * H])), lean * HEAD_TILT * d,
                0, 360, _shade(pal["skin"], 0.6), -1, cv2.LINE_AA, SHIFT)


def _background(run: SyntheticRun, seed: int) -> np.ndarray:
    """Textured room panorama (wide enough for a panning camera), BGR uint8."""
    rng = np.random.default_rng(seed)
    W, Hf, H = run.frame_width_px, run.frame_height_px, run.body_height_px
    travel = int(np.ceil(np.abs(run.camera_x_px).max())) if run.n_frames else 0
    width = W + travel + 2
    g = run.ground_y_px + (0.09 * H if run.treadmill else 0.0)  # room floor line
    yy = np.arange(Hf)[:, None].astype(float)
    wall = np.empty((Hf, width, 3), np.float32)
    for c, (top, bottom) in enumerate(((200, 170), (205, 180), (198, 185))):
        wall[..., c] = top + (bottom - top) * yy / Hf
    noise = cv2.resize(rng.normal(0, 1, (Hf // 16 + 1, width // 16 + 1)).astype(np.float32),
                       (width, Hf), interpolation=cv2.INTER_CUBIC)
    wall += 7 * noise[..., None] + rng.normal(0, 2.5, (Hf, width, 1)).astype(np.float32)
    img = np.clip(wall, 0, 255).astype(np.uint8)
    for x in range(int(rng.integers(40, 120)), width, int(1.1 * H)):  # wall panels
        cv2.line(img, (x, 0), (x, int(g)), (165, 150, 140), 2, cv2.LINE_AA)
    for x in range(int(rng.integers(0, 200)), width, int(2.3 * H)):  # posters / windows
        w, h = int(rng.uniform(0.35, 0.6) * H), int(rng.uniform(0.25, 0.4) * H)
        top = int(rng.uniform(0.02, 0.3) * Hf)
        col = tuple(int(v) for v in rng.integers(60, 200, 3))
        cv2.rectangle(img, (x, top), (x + w, top + h), col, -1)
        cv2.rectangle(img, (x, top), (x + w, top + h), (90, 90, 90), 3)
    floor_top = int(g)
    if floor_top < Hf:
        yy = np.arange(Hf - floor_top, dtype=np.float32)[:, None, None]
        floor = np.array([95, 120, 150], np.float32) + 0.25 * yy
        floor = floor + rng.normal(0, 6, (Hf - floor_top, width, 1)).astype(np.float32)
        img[floor_top:] = np.clip(floor, 0, 255).astype(np.uint8)
        for x in range(int(rng.integers(0, 80)), width, int(0.45 * H)):  # floor boards
            cv2.line(img, (x, floor_top), (x - 40, Hf), (80, 100, 125), 1, cv2.LINE_AA)
        cv2.line(img, (0, floor_top), (width, floor_top), (70, 70, 70), 3)
    return img


def _treadmill(img, run: SyntheticRun, i: int) -> None:
    H, g, d = run.body_height_px, run.ground_y_px, run.direction
    cx = run.extra_px["mid_hip"][i, 0] if run.n_frames else run.frame_width_px / 2
    x0, x1 = cx - 0.95 * H, cx + 0.95 * H
    belt = 0.022 * H
    _poly(img, [(x0, g + belt), (x1, g + belt), (x1 - 0.02 * H, g + 0.09 * H),
                (x0 + 0.03 * H, g + 0.09 * H)], (70, 72, 78))
    _poly(img, [(x0, g), (x1, g), (x1, g + belt), (x0, g + belt)], (40, 40, 42))
    period = 0.3 * H
    off = (-d * run.belt_offset_px[i]) % period
    for x in np.arange(x0 + off, x1, period):
        _poly(img, [(x, g + 1), (x + 0.03 * H, g + 1), (x + 0.03 * H, g + belt - 1),
                    (x, g + belt - 1)], (85, 85, 90))
    front = x1 if d > 0 else x0
    post_top = g - 0.55 * H
    _limb(img, (front, g), (front + d * 0.08 * H, post_top), 0.012 * H, 0.012 * H,
          (110, 110, 115), lw=2)
    console = [(0.04, -0.02), (0.2, -0.06), (0.22, 0.02), (0.07, 0.05)]
    _poly(img, [(front + d * a * H, post_top + b * H) for a, b in console], (60, 60, 64))


def draw_frame(run: SyntheticRun, i: int, background: np.ndarray, *, shirt=SHIRT) -> np.ndarray:
    """Frame i of the clip as a BGR uint8 image (upright)."""
    W = run.frame_width_px
    x_cam = int(round(abs(run.camera_x_px[i]))) if run.n_frames else 0
    if run.direction < 0 and np.any(run.camera_x_px):
        x_cam = background.shape[1] - W - x_cam
    img = np.ascontiguousarray(background[:, x_cam:x_cam + W])
    if run.treadmill:
        _treadmill(img, run, i)
    kp = {k: v[i] for k, v in run.keypoints_px.items()}
    ex = {k: v[i] for k, v in run.extra_px.items()}
    d, H = run.direction, run.body_height_px
    near, far = run.near_side, run.far_side
    _draw_arm(img, kp, far, H, 0.72, shirt)
    _draw_leg(img, kp, ex, far, d, H, 0.72)
    _draw_torso(img, kp, ex, run, i, shirt)
    _draw_leg(img, kp, ex, near, d, H, 1.0)
    _draw_head(img, ex, run, i)
    _draw_arm(img, kp, near, H, 1.0, shirt)
    return cv2.GaussianBlur(img, (3, 3), 0.6)


_CODEC_BY_SUFFIX = {".mp4": "libx264", ".mov": "libx264", ".mkv": "libx264", ".avi": "mpeg4",
                    ".webm": "libvpx-vp9"}


def render_clip(
    run: SyntheticRun,
    path: str | Path,
    *,
    codec: str | None = None,
    fps: float | None = None,
    rotation_deg: int = 0,
    crf: int = 18,
    background_seed: int = 0,
    shirt_bgr: tuple[int, int, int] = SHIRT,
) -> Path:
    """Draw every frame of `run` and encode it; returns the path.

    fps: playback rate written to the file (default run.fps). A lower value gives a
    slow-motion file (e.g. 120 fps capture stored at 30 fps): file time = run time x
    run.fps / fps.

    rotation_deg (0/90/180/270, .mp4/.mov only): frames are stored rotated
    counter-clockwise by that much and the track header gets the display matrix of the
    classic `rotate=<deg>` tag (clockwise display rotation), as phones do; players
    and cv2 with CAP_PROP_ORIENTATION_AUTO show the runner upright.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    codec = codec or _CODEC_BY_SUFFIX.get(suffix)
    if codec is None:
        raise ValueError(f"unknown container suffix {suffix!r}; use one of {_CODEC_BY_SUFFIX}")
    rotation_deg = int(rotation_deg) % 360
    if rotation_deg % 90:
        raise ValueError("rotation_deg must be a multiple of 90")
    if rotation_deg and suffix not in (".mp4", ".mov"):
        raise ValueError("rotation metadata is only written for .mp4/.mov")
    rate = Fraction(fps if fps is not None else run.fps).limit_denominator(1001)
    W, Hf = run.frame_width_px, run.frame_height_px
    if rotation_deg in (90, 270):
        W, Hf = Hf, W
    opts = {"movflags": "+faststart"} if suffix in (".mp4", ".mov") else {}
    background = _background(run, background_seed)
    with av.open(str(path), "w", options=opts) as container:
        stream = container.add_stream(codec, rate=rate)
        stream.width, stream.height, stream.pix_fmt = W, Hf, "yuv420p"
        if codec == "libx264":
            stream.options = {"crf": str(crf), "preset": "ultrafast"}
        elif codec == "mpeg4":
            stream.codec_context.qscale = 3
            stream.codec_context.flags |= av.codec.context.Flags.qscale
        elif codec.startswith("libvpx"):
            stream.options = {"crf": "30", "b": "0", "deadline": "realtime", "cpu-used": "8"}
        for i in range(run.n_frames):
            img = draw_frame(run, i, background, shirt=shirt_bgr)
            if rotation_deg:
                img = np.ascontiguousarray(np.rot90(img, k=rotation_deg // 90))
            frame = av.VideoFrame.from_ndarray(img, format="bgr24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    if rotation_deg:
        _set_mp4_rotation(path, rotation_deg)
    return path


def make_clip(
    tmp_dir: str | Path,
    *,
    fps: float = 60.0,
    direction: int = +1,
    treadmill: bool = True,
    seconds: float | None = None,
    suffix: str = ".mp4",
    rotation_deg: int = 0,
    name: str | None = None,
    **run_kwargs,
) -> tuple[Path, SyntheticRun]:
    """Synthesize a run and render it into `tmp_dir`; returns (path, run).

    seconds=None: 5 s, or for an overground fixed-camera run the time the runner is
    fully in view. Other keywords go to synthesize_run (frame_size, body_height_px,
    speed_mps, camera, thigh_extension_offset_deg, ...).
    """
    if seconds is None:
        seconds = 5.0
        if not treadmill and run_kwargs.get("camera", "fixed") == "fixed":
            seconds = time_in_view_s(
                speed_mps=run_kwargs.get("speed_mps", 3.5),
                frame_width_px=run_kwargs.get("frame_size", (640, 480))[0],
                body_height_px=run_kwargs.get("body_height_px", 320.0),
                body_height_m=run_kwargs.get("body_height_m", 1.75))
    run = synthesize_run(fps=fps, duration_s=seconds, direction=direction, treadmill=treadmill,
                         **run_kwargs)
    stem = name or f"runner_{'tm' if treadmill else 'og'}_d{direction:+d}_{fps:g}fps"
    path = render_clip(run, Path(tmp_dir) / f"{stem}{suffix}", rotation_deg=rotation_deg)
    return path, run
