"""The Analyze page's optional inputs → `AnalysisOptions`, with plain-words errors."""

from __future__ import annotations

import math
import os
import re

from gait.limits import (
    MAX_CAPTURE_FPS,
    MAX_HEIGHT_M,
    MAX_SPEED_MPS,
    MIN_CAPTURE_FPS,
    MIN_HEIGHT_M,
    MIN_SPEED_MPS,
)
from gait.pose_models import DEFAULT_POSE_MODEL
from gait.result import AnalysisOptions

SPEED_UNITS = ("km/h", "min/km", "m/s", "mph", "min/mile")
TREADMILL_CHOICES = ("Detect from the video", "Treadmill", "Overground (track, road)")
# where the phone was (gait.result.CAMERA_HEIGHTS): label → option value
CAMERA_CHOICES = {"Not said": None, "About hip height": "hip",
                  "Low: on the floor or a treadmill's belt": "low"}
MILE_M = 1609.344


class InputError(ValueError):
    """An optional input that cannot be used; the message says how to fix it."""


def _minutes(text: str) -> float:
    """'5:30' or '5.5' → minutes."""
    match = re.fullmatch(r"(\d{1,2})\s*[:']\s*(\d{1,2})", text)
    if match:
        minutes, seconds = int(match.group(1)), int(match.group(2))
        if seconds >= 60:
            raise InputError(f"“{text}” is not a pace: seconds must be below 60, e.g. 5:30.")
        return minutes + seconds / 60
    return float(text)


def parse_speed(text: str | None, unit: str) -> float | None:
    """Speed in m/s from a speed or pace in `unit`; None when the box is empty. A
    minutes:seconds text is always a pace: per mile with mph, else per km (the box's
    example "5:00" must work whatever unit is chosen)."""
    text = (text or "").strip().replace(",", ".")
    if not text:
        return None
    if unit not in SPEED_UNITS:
        raise InputError(f"Unknown unit {unit!r}.")
    if ":" in text and not unit.startswith("min/"):
        unit = "min/mile" if unit == "mph" else "min/km"
    try:
        value = _minutes(text) if unit.startswith("min/") else float(text)
    except ValueError:
        example = "5:30" if unit.startswith("min/") else "12"
        raise InputError(f"“{text}” is not a number; type e.g. {example} ({unit}).") from None
    if value <= 0:
        raise InputError("The speed or pace must be positive.")
    mps = {"km/h": value / 3.6, "m/s": value, "mph": value * MILE_M / 3600,
           "min/km": 1000 / (value * 60), "min/mile": MILE_M / (value * 60)}[unit]
    if not MIN_SPEED_MPS <= mps <= MAX_SPEED_MPS:
        raise InputError(f"{text} {unit} is {mps:.1f} m/s, not a running speed "
                         f"({MIN_SPEED_MPS:.0f}–{MAX_SPEED_MPS:.0f} m/s). Check the unit.")
    return mps


def build_options(*, speed_text: str | None = None, speed_unit: str = "km/h",
                  surface: str = TREADMILL_CHOICES[0], height_cm: float | None = None,
                  capture_fps: float | None = None,
                  pose_model: str = DEFAULT_POSE_MODEL,
                  camera: str = "Not said") -> AnalysisOptions:
    """Options for the engine; raises InputError with what to change."""
    if height_cm is not None and not (math.isfinite(height_cm)
                                      and 100 * MIN_HEIGHT_M <= height_cm <= 100 * MAX_HEIGHT_M):
        raise InputError(f"Body height {height_cm:g} cm: give it in centimetres, e.g. 178.")
    if capture_fps is not None and not (math.isfinite(capture_fps)
                                        and MIN_CAPTURE_FPS <= capture_fps <= MAX_CAPTURE_FPS):
        raise InputError(f"Capture rate {capture_fps:g} fps: give the slow-motion rate the "
                         "phone recorded at, e.g. 120 or 240.")
    treadmill = {TREADMILL_CHOICES[1]: True, TREADMILL_CHOICES[2]: False}.get(surface)
    return AnalysisOptions(
        speed_mps=parse_speed(speed_text, speed_unit), treadmill=treadmill,
        height_m=None if height_cm is None else height_cm / 100,
        capture_fps=None if capture_fps is None else float(capture_fps),
        pose_model=pose_model, camera_height=CAMERA_CHOICES.get(camera))


def default_pose_model(environ: dict[str, str] | None = None, *,
                       heavy_installed: bool = True) -> str:
    """The pose model uploads start with: heavy (gait.pose_models.DEFAULT_POSE_MODEL)
    unless the host set HIPDRIVE_POSE_MODEL=full (faster, e.g. for a workshop) or the heavy
    model is not installed on this server."""
    value = (os.environ if environ is None else environ).get("HIPDRIVE_POSE_MODEL", "")
    if value.strip().lower() == "full" or not heavy_installed:
        return "full"
    return DEFAULT_POSE_MODEL


def check_upload(file_name: str | None, size_bytes: int, *, max_mb: float) -> None:
    """Server-side check of an upload's type (by name; the decoder then checks the
    content) and size, whatever the browser was told."""
    from gait.video import ALLOWED_EXTENSIONS

    suffix = "." + (file_name or "").rsplit(".", 1)[-1].lower() if "." in (file_name or "") \
        else ""
    if suffix not in ALLOWED_EXTENSIONS:
        from ui.text import md_escape

        raise InputError(f"“{md_escape(file_name)}” is not a video file HipDrive reads: upload "
                         f"{', '.join(ALLOWED_EXTENSIONS)} straight from your phone's camera.")
    if size_bytes > max_mb * 1e6:
        raise InputError(f"The clip is {size_bytes / 1e6:.0f} MB; the limit here is "
                         f"{max_mb:.0f} MB. Trim it to 10–20 s of running, or film at 1080p "
                         "rather than 4K.")
    if size_bytes == 0:
        raise InputError("The file is empty: upload the clip again.")
