"""Bounds on what users give: the options' ranges, and how much work one clip may cause,
checked before decoding (from the container's metadata) and again while decoding
(metadata can lie). A host sets the clip limits by environment; the defaults fit phone
clips.

- `HIPDRIVE_MAX_CLIP_S`: longest real duration, seconds (default 180 = 3 min).
- `HIPDRIVE_MAX_FRAMES`: most frames (default 10 800 = 3 min at 60 fps, 45 s at 240 fps);
  each frame costs one pose estimate (~20–40 ms of a core).
- `HIPDRIVE_MAX_PIXELS`: most pixels per frame (default 8 294 400 = 3840 × 2160, 4K UHD).
- `HIPDRIVE_MAX_UPLOAD_MB`: largest file, MB (default 2000; the app's upload box has its
  own, usually smaller, limit in .streamlit/config.toml).

Read when a clip is opened (never at import). A value that is not a positive number is a
configuration mistake: `ClipLimitsError` says which variable and what to put there.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass

# The one set of bounds for what a user may tell us (app and CLI; AnalysisOptions checks).
MIN_SPEED_MPS, MAX_SPEED_MPS = 1.0, 12.0  # brisk walk .. faster than any sprinter's average
MIN_HEIGHT_M, MAX_HEIGHT_M = 1.0, 2.5
MIN_CAPTURE_FPS, MAX_CAPTURE_FPS = 15.0, 1000.0  # slow-motion capture rates, frames/s
MIN_CUTOFF_HZ, MAX_CUTOFF_HZ = 1.0, 30.0
DEFAULT_CUTOFF_HZ = 8.0  # the keypoints' low-pass filter (gait.tracks), Hz

DEFAULT_MAX_CLIP_S = 180.0
DEFAULT_MAX_FRAMES = 10_800
DEFAULT_MAX_PIXELS = 3840 * 2160
DEFAULT_MAX_UPLOAD_MB = 2000.0


class ClipLimitsError(ValueError):
    """A limit set in the environment is not usable; the message names the variable."""


@dataclass(frozen=True)
class ClipLimits:
    """Most work one clip may cause. Seconds are real (after slow-motion scaling)."""

    max_duration_s: float = DEFAULT_MAX_CLIP_S
    max_frames: int = DEFAULT_MAX_FRAMES
    max_pixels: int = DEFAULT_MAX_PIXELS
    max_size_bytes: int = int(DEFAULT_MAX_UPLOAD_MB * 1e6)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> ClipLimits:
        """The limits a host configured (see the module docstring), else the defaults."""
        env = os.environ if environ is None else environ
        return cls(
            max_duration_s=_positive(env, "HIPDRIVE_MAX_CLIP_S", DEFAULT_MAX_CLIP_S),
            max_frames=int(_positive(env, "HIPDRIVE_MAX_FRAMES", DEFAULT_MAX_FRAMES)),
            max_pixels=int(_positive(env, "HIPDRIVE_MAX_PIXELS", DEFAULT_MAX_PIXELS)),
            max_size_bytes=int(1e6 * _positive(env, "HIPDRIVE_MAX_UPLOAD_MB",
                                               DEFAULT_MAX_UPLOAD_MB)))

    def duration_message(self, duration_s: float) -> str:
        return (f"This clip is {_minutes(duration_s)} long; the limit here is "
                f"{_minutes(self.max_duration_s)}. Trim it to 10–30 s of steady running "
                "(any phone's editor can) and upload that.")

    def frames_message(self, n_frames: int) -> str:
        return (f"This clip has {n_frames:,} frames; the limit here is {self.max_frames:,} "
                f"(e.g. {self.max_frames / 60:.0f} s at 60 fps). Trim it to 10–30 s of "
                "running and upload that.")

    def pixels_message(self, width_px: int, height_px: int) -> str:
        return (f"This clip is {width_px}×{height_px} pixels ({width_px * height_px / 1e6:.1f} "
                f"million per frame); the limit here is {self.max_pixels / 1e6:.1f} million "
                "(4K). Film at 1080p or 4K, or export the clip at a lower resolution, and "
                "upload that.")


LIMIT_ENV_NAMES = ("HIPDRIVE_MAX_CLIP_S", "HIPDRIVE_MAX_FRAMES", "HIPDRIVE_MAX_PIXELS",
                   "HIPDRIVE_MAX_UPLOAD_MB")


def limits_env() -> dict[str, str]:
    """The clip limits this host set (only those set), to hand to a worker elsewhere
    (a Ray node) so that it applies the host's limits rather than its own."""
    return {name: os.environ[name] for name in LIMIT_ENV_NAMES if os.environ.get(name)}


def _positive(env, name: str, default: float) -> float:
    text = (env.get(name) or "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise ClipLimitsError(f"{name}={text!r} is not a positive number; set it to e.g. "
                              f"{default:g} or leave it unset for the default.")
    return value


def _minutes(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.1f} min"
