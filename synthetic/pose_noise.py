"""Corrupt a SyntheticRun into a PoseTrack the way a pose model's output is corrupted:
noise, dropouts, lower far-side confidence and left/right leg label swaps."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from gait.keypoints import KEYPOINTS, LEG_PARTS, SIDES
from gait.posetrack import PoseTrack

if TYPE_CHECKING:
    from .runner_model import SyntheticRun


def _bursts(rng: np.random.Generator, n: int, fraction: float, lengths: tuple[int, int]
            ) -> np.ndarray:
    """Boolean mask with about `fraction` of n frames set, in bursts of `lengths` frames."""
    mask = np.zeros(n, bool)
    target = int(round(fraction * n))
    for _ in range(10 * n):
        if mask.sum() >= target:
            break
        length = int(rng.integers(lengths[0], lengths[1] + 1))
        start = int(rng.integers(0, max(1, n - length)))
        mask[start:start + length] = True
    return mask


def leg_crossing_frames(run: SyntheticRun) -> np.ndarray:
    """Frame indices where the two thighs cross (where MediaPipe tends to swap legs)."""
    diff = run.angles["left_thigh_deg"].to_numpy() - run.angles["right_thigh_deg"].to_numpy()
    return np.flatnonzero(np.sign(diff[1:]) != np.sign(diff[:-1])) + 1


def to_pose_track(
    run: SyntheticRun,
    *,
    noise_px: float = 0.0,
    far_noise_factor: float = 1.5,
    dropout_fraction: float = 0.0,
    dropout_burst_frames: tuple[int, int] = (2, 6),
    swap_frames: tuple[tuple[int, int], ...] = (),
    swap_probability: float = 0.0,
    swap_burst_frames: tuple[int, int] = (2, 6),
    near_confidence: float = 0.97,
    far_confidence: float = 0.55,
    seed: int = 0,
) -> PoseTrack:
    """Turn a SyntheticRun into a PoseTrack like a pose model would deliver it.

    - Gaussian noise (SD `noise_px`, far-side points x `far_noise_factor`).
    - Whole-frame dropouts in bursts: NaN and confidence 0 on every keypoint.
    - Far-side leg/arm/ear get lower confidence (about `far_confidence`).
    - Leg label swaps: every left_/right_ hip, knee, ankle, heel, toe column is exchanged
      on the half-open frame ranges `swap_frames`, plus, with `swap_probability` per leg
      crossing, a burst of `swap_burst_frames` frames around that crossing.
    - Keypoints outside the image are NaN with confidence 0.
    flags: "true_swapped" and "true_dropout" (per-frame bool) record what was injected.
    """
    rng = np.random.default_rng(seed)
    n, k = run.n_frames, len(KEYPOINTS)
    x = np.stack([run.keypoints_px[name][:, 0] for name in KEYPOINTS], axis=1)
    y = np.stack([run.keypoints_px[name][:, 1] for name in KEYPOINTS], axis=1)
    far = np.array([name.startswith(run.far_side) for name in KEYPOINTS])
    sd = np.where(far, noise_px * far_noise_factor, noise_px)
    x = x + rng.standard_normal((n, k)) * sd
    y = y + rng.standard_normal((n, k)) * sd
    base = np.where(far, far_confidence, near_confidence)
    conf = np.clip(base + rng.normal(0.0, 0.03, (n, k)) - np.where(far, 0.1, 0.0) * rng.random(
        (n, k)), 0.01, 1.0)
    outside = (x < 0) | (x > run.frame_width_px - 1) | (y < 0) | (y > run.frame_height_px - 1)
    swapped = np.zeros(n, bool)
    for a, b in swap_frames:
        swapped[max(0, a):min(n, b)] = True
    if swap_probability > 0:
        for frame in leg_crossing_frames(run):
            if rng.random() < swap_probability:
                length = int(rng.integers(swap_burst_frames[0], swap_burst_frames[1] + 1))
                a = max(0, frame - length // 2)
                swapped[a:a + length] = True
    cols = [[KEYPOINTS.index(f"{side}_{part}") for part in LEG_PARTS] for side in SIDES]
    for arr in (x, y, conf, outside):
        left, right = arr[swapped][:, cols[0]], arr[swapped][:, cols[1]]
        rows = np.flatnonzero(swapped)
        arr[np.ix_(rows, cols[0])], arr[np.ix_(rows, cols[1])] = right, left
    dropout = _bursts(rng, n, dropout_fraction, dropout_burst_frames) if dropout_fraction > 0 \
        else np.zeros(n, bool)
    missing = outside | dropout[:, None]
    x[missing], y[missing], conf[missing] = np.nan, np.nan, 0.0
    return PoseTrack(time_s=run.time_s.copy(), x_px=x, y_px=y, confidence=conf,
                     frame_width_px=run.frame_width_px, frame_height_px=run.frame_height_px,
                     flags={"true_swapped": swapped, "true_dropout": dropout})
