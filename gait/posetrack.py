"""The pose time-series that flows between stages.

Conventions: image coordinates in pixels, x to the right, y downwards; times in
seconds from the first decoded frame; confidence in [0, 1] (MediaPipe visibility).
Missing keypoints are NaN in x/y and 0 in confidence.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from gait.keypoints import KEYPOINTS


@dataclass(frozen=True)
class PoseTrack:
    """Keypoints of one runner over time.

    Arrays have shape (n_frames,) for `time_s` and (n_frames, n_keypoints) for
    `x_px`, `y_px` and `confidence`; column j is `keypoints[j]`.
    """

    time_s: np.ndarray
    x_px: np.ndarray
    y_px: np.ndarray
    confidence: np.ndarray
    frame_width_px: int
    frame_height_px: int
    keypoints: tuple[str, ...] = KEYPOINTS
    # Per-frame flags, e.g. {"swap_repaired": bool array}; filled by cleaning.
    flags: dict[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        n = len(self.time_s)
        shape = (n, len(self.keypoints))
        for name in ("x_px", "y_px", "confidence"):
            if getattr(self, name).shape != shape:
                raise ValueError(f"{name} has shape {getattr(self, name).shape}, expected {shape}")

    @property
    def n_frames(self) -> int:
        return len(self.time_s)

    def column(self, keypoint: str) -> int:
        return self.keypoints.index(keypoint)

    def xy(self, keypoint: str) -> np.ndarray:
        """(n_frames, 2) array of one keypoint's x, y in pixels."""
        j = self.column(keypoint)
        return np.stack([self.x_px[:, j], self.y_px[:, j]], axis=1)

    def conf(self, keypoint: str) -> np.ndarray:
        return self.confidence[:, self.column(keypoint)]

    def with_arrays(self, **changes) -> PoseTrack:
        """A copy with some arrays replaced (the track itself is never mutated)."""
        return replace(self, **changes)

    @property
    def median_frame_interval_s(self) -> float:
        if self.n_frames < 2:
            return float("nan")
        return float(np.median(np.diff(self.time_s)))

    @classmethod
    def empty(cls, n_frames: int, *, width_px: int, height_px: int) -> PoseTrack:
        k = len(KEYPOINTS)
        return cls(
            time_s=np.zeros(n_frames),
            x_px=np.full((n_frames, k), np.nan),
            y_px=np.full((n_frames, k), np.nan),
            confidence=np.zeros((n_frames, k)),
            frame_width_px=width_px,
            frame_height_px=height_px,
        )

    def save_npz(self, path: str | Path, *, capture_fps: float, clip: str = "") -> None:
        """Write the track (float32 pixels, ample for keypoints), its flags, the frame
        size and the capture rate as a compressed .npz (test fixtures, recorded runs)."""
        np.savez_compressed(
            path, time_s=self.time_s, x_px=self.x_px.astype(np.float32),
            y_px=self.y_px.astype(np.float32), confidence=self.confidence.astype(np.float32),
            frame_size_px=np.array([self.frame_width_px, self.frame_height_px]),
            capture_fps=np.array(capture_fps), clip=np.array(clip),
            keypoints=np.array(self.keypoints),
            **{f"flag_{name}": values for name, values in self.flags.items()})

    @classmethod
    def load_npz(cls, path: str | Path) -> tuple[PoseTrack, float]:
        """A track written by `save_npz`, and its capture rate (frames/s)."""
        data = np.load(path)
        width, height = (int(v) for v in data["frame_size_px"])
        flags = {k.removeprefix("flag_"): data[k] for k in data.files if k.startswith("flag_")}
        track = cls(time_s=data["time_s"].astype(float), x_px=data["x_px"].astype(float),
                    y_px=data["y_px"].astype(float),
                    confidence=data["confidence"].astype(float), frame_width_px=width,
                    frame_height_px=height, keypoints=tuple(str(k) for k in data["keypoints"]),
                    flags=flags)
        return track, float(data["capture_fps"])
