"""Synthetic side-view runner with known ground truth.

Each leg's thigh, knee and foot angles follow the mean stride curves of 28 runners
(Fukuchi et al. 2017, PeerJ 5:e3298, CC BY 4.0; copied next to this file),
interpolated in speed. Forward kinematics with Winter's segment proportions turns
them into BlazePose-named keypoints in image pixels (x right, y down). The pelvis
height is chosen so that the stance foot's lowest sole point is exactly on the
ground line from foot strike to toe-off and above it otherwise. Per-stride truth
(peaks, events) is computed from a 1000 Hz evaluation of the same model, never
from the frame-sampled data. See README.md in this folder.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache

import numpy as np
import pandas as pd
from scipy.interpolate import CubicSpline

from gait.keypoints import KEYPOINTS, LEG_PARTS, SIDES
from gait.reference import load_curves

from .pose_noise import leg_crossing_frames, to_pose_track

__all__ = ["SyntheticRun", "leg_crossing_frames", "near_side_for", "synthesize_run",
           "time_in_view_s", "to_pose_track"]

# Derived from the same dataset (reference README): speed -> (cadence spm, toe-off %).
_SPEED_TABLE = np.array([[2.5, 161.0, 38.5], [3.5, 171.0, 33.7], [4.5, 183.0, 32.2]])
# Segment lengths as fractions of standing height H (Winter 2009).
THIGH, SHANK, TRUNK, NECK = 0.245, 0.246, 0.288, 0.05
UPPER_ARM, FOREARM = 0.186, 0.146
ANKLE_HEIGHT = 0.050  # ankle centre above the shoe sole
HEEL_BACK, TOE_FRONT = 0.048, 0.118  # sole ends behind / in front of the ankle
HEEL_KP_UP, TOE_KP_UP = 0.014, 0.012  # heel/toe keypoints above the sole line
HEAD_RADIUS = 0.062
# Head frame (forward, up) in units of H, tilted by HEAD_TILT x trunk lean; shared with
# render_runner so the nose and ear keypoints sit on the drawn nose tip and ear.
HEAD_TILT, NOSE_TIP, EAR = 0.5, (0.072, -0.018), (-0.01, -0.005)
DENSE_HZ = 1000.0


def near_side_for(direction: int) -> str:
    """The anatomical side a side-on camera sees for a runner facing `direction`.

    Facing image-right (+x) with the camera in front of the running line, the runner's
    RIGHT side faces the camera (face east, camera to the south looking north: east is
    image-right and the runner's right hand points south, at the camera). MediaPipe
    agrees: on these clips it labels the near leg "right" when d = +1. NB DESIGN.md §4
    states the opposite (left when d = +1); that is the mirror image of a real runner.
    """
    return "right" if direction > 0 else "left"


def time_in_view_s(*, speed_mps: float, frame_width_px: int, body_height_px: float,
                   body_height_m: float = 1.75) -> float:
    """How long an overground runner (fixed camera, default start) stays fully in view."""
    return (frame_width_px - 0.78 * body_height_px) / (speed_mps * body_height_px
                                                        / body_height_m)


@lru_cache(maxsize=16)
def _curves(speed_mps: float) -> tuple[CubicSpline, float, float]:
    """Periodic spline phase->(thigh, knee, foot) deg, cadence spm, toe-off fraction."""
    ref = load_curves()  # the package copy of the reference curves (Fukuchi 2017)
    speeds = np.sort(ref["speed_mps"].unique())
    cols = ["thigh_deg", "knee_deg", "foot_deg"]
    table = np.stack([ref.loc[ref["speed_mps"] == s, cols].to_numpy() for s in speeds])
    i = int(np.clip(np.searchsorted(speeds, speed_mps) - 1, 0, len(speeds) - 2))
    w = (speed_mps - speeds[i]) / (speeds[i + 1] - speeds[i])
    y = (1 - w) * table[i] + w * table[i + 1]
    y = np.vstack([y, y[:1]])
    spline = CubicSpline(np.linspace(0.0, 1.0, len(y)), y, bc_type="periodic")
    j = 0 if speed_mps < _SPEED_TABLE[1, 0] else 1  # same bracketing, linear beyond ends
    wj = (speed_mps - _SPEED_TABLE[j, 0]) / (_SPEED_TABLE[j + 1, 0] - _SPEED_TABLE[j, 0])
    cadence, toe_off_pct = (1 - wj) * _SPEED_TABLE[j, 1:] + wj * _SPEED_TABLE[j + 1, 1:]
    return spline, float(cadence), float(toe_off_pct) / 100.0


def _lobe_shift(theta: np.ndarray, lobe_peak: float, shift: np.ndarray) -> np.ndarray:
    """Move a lobe's peak by `shift` deg, smoothly tapering to 0 where theta crosses 0."""
    u = np.clip(theta / lobe_peak, 0.0, 1.0)
    eps = 0.3
    g = np.where(u < eps, u * u / (2 * eps), u - eps / 2) / (1 - eps / 2)
    return theta + np.sign(lobe_peak) * shift * g


@dataclass(frozen=True)
class _Leg:
    strikes: np.ndarray  # foot-strike times (s), covering the clip with margin
    ext_shift: np.ndarray  # per stride: extra thigh extension (deg), + = more
    flex_shift: float


@dataclass(frozen=True)
class SyntheticRun:
    """Keypoints of a synthetic runner plus the truth they were made from."""

    time_s: np.ndarray
    keypoints_px: dict[str, np.ndarray]  # name -> (n_frames, 2) x, y in pixels
    extra_px: dict[str, np.ndarray]  # drawing helpers (head centre, sole points, ...)
    angles: pd.DataFrame  # per frame truth: <side>_thigh_deg, _hip_deg, _knee_deg, ...
    events: pd.DataFrame  # side, event ("foot_strike"/"toe_off"), time_s
    strides: pd.DataFrame  # per stride truth (see module docstring)
    cadence_spm: float
    direction: int
    near_side: str
    speed_mps: float
    fps: float
    frame_width_px: int
    frame_height_px: int
    body_height_px: float
    px_per_m: float
    ground_y_px: float
    treadmill: bool
    camera_x_px: np.ndarray  # world x of the image's left edge (pan camera), else 0
    belt_offset_px: np.ndarray  # treadmill belt displacement (px, along travel)
    params: dict = field(default_factory=dict)

    @property
    def n_frames(self) -> int:
        return len(self.time_s)

    @property
    def far_side(self) -> str:
        return "right" if self.near_side == "left" else "left"

    def xy(self, name: str) -> np.ndarray:
        return self.keypoints_px[name]

    def in_frame(self, margin_px: float = 0.0) -> np.ndarray:
        """Per frame: are all keypoints inside the image (by `margin_px`)?"""
        xy = np.stack([self.keypoints_px[k] for k in KEYPOINTS], axis=1)
        ok_x = (xy[..., 0] >= margin_px) & (xy[..., 0] <= self.frame_width_px - 1 - margin_px)
        ok_y = (xy[..., 1] >= margin_px) & (xy[..., 1] <= self.frame_height_px - 1 - margin_px)
        return (ok_x & ok_y).all(axis=1)


class _Model:
    """The continuous-time model; evaluate() works at any times (frames or dense)."""

    def __init__(self, *, speed, direction, treadmill, H, px_per_m, ground_y, x0, trunk_lean,
                 legs: dict[str, _Leg], segment_scale: dict[str, float] | None = None):
        sc = segment_scale or {}  # factors on Winter's lengths (thigh, shank, trunk, arm)
        self.thigh, self.shank = THIGH * sc.get("thigh", 1.0), SHANK * sc.get("shank", 1.0)
        self.trunk, self.arm = TRUNK * sc.get("trunk", 1.0), sc.get("arm", 1.0)
        self.spline, self.cadence, self.toe_off = _curves(float(speed))
        self.d, self.treadmill, self.H = direction, treadmill, H
        self.v_px = speed * px_per_m
        self.ground_y, self.x0, self.lean = ground_y, x0, trunk_lean
        self.legs = legs
        base = self.spline(np.linspace(0, 1, 2001))[:, 0]
        self.ext_peak, self.flex_peak = float(base.min()), float(base.max())
        self._flights = self._solve_flights()

    # --- angles -----------------------------------------------------------------------------
    def leg_state(self, side: str, t: np.ndarray) -> dict[str, np.ndarray]:
        leg = self.legs[side]
        k = np.clip(np.searchsorted(leg.strikes, t, side="right") - 1, 0, len(leg.strikes) - 2)
        start, end = leg.strikes[k], leg.strikes[k + 1]
        phase = (t - start) / (end - start)
        thigh, knee, foot = self.spline(phase).T
        thigh = _lobe_shift(thigh, self.ext_peak, leg.ext_shift[k])
        thigh = _lobe_shift(thigh, self.flex_peak, np.full_like(thigh, leg.flex_shift))
        return {"thigh": thigh, "knee": knee, "foot": foot, "phase": phase, "stride": k,
                "contact": phase < self.toe_off}

    def leg_points(self, st: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Leg points relative to the hip in (forward, up) px."""
        H = self.H
        th, sh, ft = (np.radians(st[a]) for a in ("thigh", "knee", "foot"))
        sh = th - sh
        L1, L2 = self.thigh * H, self.shank * H
        knee = np.stack([L1 * np.sin(th), -L1 * np.cos(th)], -1)
        ankle = knee + np.stack([L2 * np.sin(sh), -L2 * np.cos(sh)], -1)
        fwd = np.stack([np.cos(ft), np.sin(ft)], -1)
        up = np.stack([-np.sin(ft), np.cos(ft)], -1)

        def foot_pt(f: float, u: float) -> np.ndarray:
            return ankle + H * (f * fwd + u * up)

        return {
            "knee": knee, "ankle": ankle,
            "heel": foot_pt(-HEEL_BACK, -ANKLE_HEIGHT + HEEL_KP_UP),
            "toe": foot_pt(TOE_FRONT, -ANKLE_HEIGHT + TOE_KP_UP),
            "sole_heel": foot_pt(-HEEL_BACK, -ANKLE_HEIGHT),
            "sole_toe": foot_pt(TOE_FRONT, -ANKLE_HEIGHT),
        }

    def touch_height(self, side: str, t: np.ndarray) -> np.ndarray:
        """Hip height above ground at which this leg's lowest sole point touches it."""
        p = self.leg_points(self.leg_state(side, np.atleast_1d(t)))
        return -np.minimum(p["sole_heel"][:, 1], p["sole_toe"][:, 1])

    # --- pelvis height ----------------------------------------------------------------------
    def _solve_flights(self) -> list[tuple]:
        """Flight phases: C1 Hermite between stance heights plus a lift keeping feet clear."""
        ev = []
        for side in SIDES:
            s = self.legs[side].strikes
            ev += [(t + self.toe_off * (s[i + 1] - t), side, "off") for i, t in enumerate(s[:-1])]
            ev += [(t, side, "on") for t in s]
        ev.sort()
        flights, dt = [], 1e-5
        for (t0, s0, e0), (t1, s1, e1) in zip(ev[:-1], ev[1:], strict=True):
            if e0 != "off" or e1 != "on":
                continue
            y0 = self.touch_height(s0, t0)[0]
            v0 = (y0 - self.touch_height(s0, t0 - dt)[0]) / dt
            y1 = self.touch_height(s1, t1)[0]
            v1 = (self.touch_height(s1, t1 + dt)[0] - y1) / dt
            ts = np.linspace(t0, t1, 402)[1:-1]
            base = _hermite(ts, t0, t1, y0, y1, v0, v1)
            bump = np.sin(np.pi * (ts - t0) / (t1 - t0)) ** 2
            need = np.maximum(self.touch_height("left", ts), self.touch_height("right", ts))
            margin = 0.002 * self.H * bump
            lift = max(0.0, float(np.max((need + margin - base) / bump)))
            flights.append((t0, t1, y0, y1, v0, v1, lift))
        return flights

    def hip_height(self, t: np.ndarray) -> np.ndarray:
        h = np.full(t.shape, np.nan)
        for side in SIDES:
            c = self.leg_state(side, t)["contact"]
            if c.any():
                h[c] = self.touch_height(side, t[c])
        for t0, t1, y0, y1, v0, v1, lift in self._flights:
            m = (t >= t0) & (t < t1) & np.isnan(h)
            if m.any():
                bump = np.sin(np.pi * (t[m] - t0) / (t1 - t0)) ** 2
                h[m] = _hermite(t[m], t0, t1, y0, y1, v0, v1) + lift * bump
        if np.isnan(h).any():
            raise ValueError("pelvis height undefined (double support?): speed too low")
        return h

    # --- whole body -------------------------------------------------------------------------
    def evaluate(self, t: np.ndarray) -> tuple[dict, dict, dict]:
        d, H = self.d, self.H
        hip_y = self.ground_y - self.hip_height(t)
        hip_x = self.x0 + (0.0 if self.treadmill else d * self.v_px * t)
        hip = np.stack([np.broadcast_to(hip_x, t.shape), hip_y], -1)

        def img(rel: np.ndarray) -> np.ndarray:
            return hip + np.stack([d * rel[:, 0], -rel[:, 1]], -1)

        kp, extra, ang = {}, {}, {}
        states = {s: self.leg_state(s, t) for s in SIDES}
        for side in SIDES:
            st = states[side]
            pts = self.leg_points(st)
            kp[f"{side}_hip"] = hip.copy()
            for part in LEG_PARTS[1:]:
                kp[f"{side}_{part}"] = img(pts[part])
            extra[f"{side}_sole_heel"] = img(pts["sole_heel"])
            extra[f"{side}_sole_toe"] = img(pts["sole_toe"])
            ang[f"{side}_thigh_deg"] = st["thigh"]
            ang[f"{side}_hip_deg"] = st["thigh"] + self.lean
            ang[f"{side}_knee_deg"] = st["knee"]
            ang[f"{side}_shank_deg"] = st["thigh"] - st["knee"]
            ang[f"{side}_foot_deg"] = st["foot"]
            ang[f"{side}_contact"] = st["contact"]
        lean = np.radians(self.lean)
        trunk_dir = np.array([np.sin(lean), np.cos(lean)])
        TR = self.trunk
        shoulder = img(np.tile(TR * H * trunk_dir, (len(t), 1)))
        neck = img(np.tile((TR + NECK) * H * trunk_dir, (len(t), 1)))
        head_rel = (TR + NECK + 0.035) * H * trunk_dir + np.array([0.012, HEAD_RADIUS]) * H
        head = img(np.tile(head_rel, (len(t), 1)))
        extra.update(head_center=head, neck=neck, mid_hip=hip.copy(), mid_shoulder=shoulder)
        a = np.radians(self.lean * HEAD_TILT)
        fwd, up = np.array([d * np.cos(a), np.sin(a)]), np.array([d * np.sin(a), -np.cos(a)])
        kp["nose"] = head + H * (NOSE_TIP[0] * fwd + NOSE_TIP[1] * up)
        upper_px, fore_px = self.arm * UPPER_ARM * H, self.arm * FOREARM * H
        for side in SIDES:
            kp[f"{side}_ear"] = head + H * (EAR[0] * fwd + EAR[1] * up)
            kp[f"{side}_shoulder"] = shoulder.copy()
            # arms swing opposite to the same-side leg; elbow ~75-105 deg flexed
            arm = np.radians(-0.75 * states[side]["thigh"] - 4.0)
            fore = arm + np.radians(90.0 - 0.35 * np.degrees(arm))
            elbow = shoulder + upper_px * np.stack([d * np.sin(arm), np.cos(arm)], -1)
            wrist = elbow + fore_px * np.stack([d * np.sin(fore), np.cos(fore)], -1)
            kp[f"{side}_elbow"], kp[f"{side}_wrist"] = elbow, wrist
        ang["trunk_lean_deg"] = np.full(t.shape, self.lean)
        return kp, extra, ang


def _hermite(t, t0, t1, y0, y1, v0, v1):
    h = t1 - t0
    s = (t - t0) / h
    return ((2 * s**3 - 3 * s**2 + 1) * y0 + (s**3 - 2 * s**2 + s) * h * v0
            + (-2 * s**3 + 3 * s**2) * y1 + (s**3 - s**2) * h * v1)


def synthesize_run(
    *,
    fps: float,
    duration_s: float,
    speed_mps: float = 3.5,
    direction: int = +1,
    treadmill: bool = True,
    camera: str = "fixed",
    body_height_px: float = 320.0,
    body_height_m: float = 1.75,
    frame_size: tuple[int, int] = (640, 480),
    thigh_extension_offset_deg: float = 0.0,
    thigh_flexion_offset_deg: float = 0.0,
    trunk_lean_deg: float = 6.0,
    asymmetry_deg: float = 0.0,
    asymmetric_side: str = "right",
    stride_jitter: float = 0.0,
    extension_jitter_deg: float = 0.0,
    start_phase: float | None = None,
    start_x_px: float | None = None,
    ground_y_px: float | None = None,
    segment_scale: dict[str, float] | None = None,
    time_offset_s: float = 0.0,
    seed: int = 0,
) -> SyntheticRun:
    """Simulate a runner seen from the side; all truth comes from the continuous model.

    thigh_extension_offset_deg: + = the thigh drives that many degrees further back at
    its peak (- = less extension); asymmetry_deg: `asymmetric_side` gets that much *less*
    extension than the other leg. stride_jitter: SD of step duration as a fraction;
    extension_jitter_deg: SD of the per-stride change of peak extension. Overground
    with camera="fixed" the runner crosses the frame (pelvis at `speed_mps`); with
    camera="pan" the camera follows the pelvis and the background scrolls.
    segment_scale: factors on the thigh/shank/trunk/arm lengths (default 1); frame i
    is at time time_offset_s + i / fps (the motion itself does not depend on it).
    """
    params = dict(locals())
    if direction not in (1, -1):
        raise ValueError("direction must be +1 or -1")
    if not 2.0 <= speed_mps <= 5.0:
        raise ValueError("speed_mps must lie in 2.0..5.0 (reference curves 2.5..4.5)")
    if camera not in ("fixed", "pan"):
        raise ValueError("camera must be 'fixed' or 'pan'")
    rng = np.random.default_rng(seed)
    width, height = int(frame_size[0]), int(frame_size[1])
    H = float(body_height_px)
    _, cadence, _ = _curves(float(speed_mps))
    stride_t = 120.0 / cadence
    phase0 = float(rng.uniform(0.05, 0.95)) if start_phase is None else float(start_phase)
    # alternating steps L, R, L, ... starting two strides before t=0
    t, times, sides = -phase0 * stride_t - 2 * stride_t, [], []
    while t < duration_s + 3 * stride_t:
        times.append(t)
        sides.append("left" if len(times) % 2 else "right")
        z = float(np.clip(rng.standard_normal(), -2.5, 2.5))
        t += 0.5 * stride_t * (1.0 + stride_jitter * z)
    times, sides = np.array(times), np.array(sides)
    legs = {}
    for side in SIDES:
        strikes = times[sides == side]
        shift = thigh_extension_offset_deg - (asymmetry_deg if side == asymmetric_side else 0.0)
        jit = extension_jitter_deg * np.clip(rng.standard_normal(len(strikes)), -2.5, 2.5)
        legs[side] = _Leg(strikes, shift + jit, thigh_flexion_offset_deg)
    moving = not treadmill and camera == "fixed"
    if start_x_px is None:
        start_x_px = (0.44 * H if direction > 0 else width - 0.44 * H) if moving else (
            width / 2 + direction * 0.06 * H)
    if ground_y_px is None:
        ground_y_px = height / 2 + 0.485 * H
    px_per_m = H / body_height_m
    model = _Model(speed=speed_mps, direction=direction, treadmill=not moving, H=H,
                   px_per_m=px_per_m, ground_y=float(ground_y_px), x0=float(start_x_px),
                   trunk_lean=float(trunk_lean_deg), legs=legs, segment_scale=segment_scale)
    time_s = time_offset_s + np.arange(int(round(duration_s * fps))) / fps
    kp, extra, ang = model.evaluate(time_s)
    v_px = speed_mps * px_per_m
    camera_x = direction * v_px * time_s if (not treadmill and camera == "pan") else 0 * time_s
    run = SyntheticRun(
        time_s=time_s, keypoints_px=kp, extra_px=extra, angles=pd.DataFrame(
            {"time_s": time_s, **ang}), events=pd.DataFrame(), strides=pd.DataFrame(),
        cadence_spm=cadence, direction=direction, near_side=near_side_for(direction),
        speed_mps=speed_mps, fps=fps, frame_width_px=width, frame_height_px=height,
        body_height_px=H, px_per_m=px_per_m, ground_y_px=float(ground_y_px),
        treadmill=treadmill, camera_x_px=camera_x,
        belt_offset_px=v_px * time_s if treadmill else 0 * time_s,
        params={**params, "nominal_cadence_spm": cadence, "toe_off_frac": model.toe_off,
                "start_phase": phase0, "start_x_px": start_x_px, "ground_y_px": ground_y_px},
    )
    events, strides, checks = _truth_tables(model, run)
    realised = 120.0 / strides["stride_time_s"].mean() if len(strides) else cadence
    return replace(run, events=events, strides=strides, cadence_spm=float(realised),
                    params={**run.params, **checks})


def _truth_tables(model: _Model, run: SyntheticRun) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    t_first, t_last = float(run.time_s[0]), float(run.time_s[-1])
    inside = run.in_frame()
    lean = model.lean
    events, rows = [], []
    for side in SIDES:
        s = model.legs[side].strikes
        for i in range(len(s) - 1):
            start, end = float(s[i]), float(s[i + 1])
            off = start + model.toe_off * (end - start)
            for name, te in (("foot_strike", start), ("toe_off", off)):
                if t_first <= te <= t_last:
                    events.append({"side": side, "event": name, "time_s": te})
            if start < t_first or end > t_last:
                continue
            td = start + np.arange(0.0, end - start, 1.0 / DENSE_HZ)
            td_off = np.array([off])
            st, st_off = model.leg_state(side, td), model.leg_state(side, td_off)
            thigh, knee = st["thigh"], st["knee"]
            swing = td >= off
            frames = (run.time_s >= start) & (run.time_s < end)
            rows.append({
                "side": side, "start_s": start, "end_s": end, "toe_off_s": off,
                "stride_time_s": end - start, "contact_time_s": off - start,
                "peak_thigh_extension_deg": -thigh.min(),
                "peak_thigh_extension_s": float(td[np.argmin(thigh)]),
                "peak_thigh_flexion_deg": thigh.max(),
                "peak_hip_extension_deg": -(thigh + lean).min(),
                "peak_hip_flexion_deg": (thigh + lean).max(),
                "hip_rom_deg": thigh.max() - thigh.min(),
                "thigh_at_strike_deg": thigh[0], "thigh_at_toe_off_deg": st_off["thigh"][0],
                "knee_at_strike_deg": knee[0],
                "peak_knee_flexion_swing_deg": knee[swing].max(),
                "shank_at_strike_deg": thigh[0] - knee[0], "trunk_lean_deg": lean,
                "fully_in_frame": bool(inside[frames].all()),
            })
    events = pd.DataFrame(events, columns=["side", "event", "time_s"])
    events = events.sort_values("time_s", kind="stable").reset_index(drop=True)
    strides = pd.DataFrame(rows)
    if len(strides):
        strides = strides.sort_values("start_s", kind="stable").reset_index(drop=True)
        strides.insert(1, "stride", strides.groupby("side").cumcount())
    # self-check on a dense grid: feet on the ground exactly in contact, above otherwise
    td = np.arange(t_first, t_last, 1.0 / DENSE_HZ)
    hip_h = model.hip_height(td)
    clearance = {}
    for side in SIDES:
        gap = hip_h - model.touch_height(side, td)
        contact = model.leg_state(side, td)["contact"]
        if contact.any() and np.abs(gap[contact]).max() > 1e-6:
            raise RuntimeError("stance foot is not on the ground")
        clearance[side] = float(gap[~contact].min()) if (~contact).any() else np.inf
    if min(clearance.values()) < -1e-3:  # px; the bound is touched at toe-off and strike
        raise RuntimeError(f"swing foot goes through the ground: {clearance}")
    bob = hip_h.max() - hip_h.min() if len(td) else 0.0
    return events, strides, {"min_swing_clearance_px": min(clearance.values()),
                             "vertical_oscillation_px": float(bob)}
