"""Keypoint names used across HipDrive and their MediaPipe BlazePose indices.

Left/right are the runner's anatomical sides (as MediaPipe labels them), not image sides.
"""

from __future__ import annotations

# name -> BlazePose landmark index (33-landmark topology)
BLAZEPOSE_INDEX: dict[str, int] = {
    "nose": 0,
    "left_ear": 7,
    "right_ear": 8,
    "left_shoulder": 11,
    "right_shoulder": 12,
    "left_elbow": 13,
    "right_elbow": 14,
    "left_wrist": 15,
    "right_wrist": 16,
    "left_hip": 23,
    "right_hip": 24,
    "left_knee": 25,
    "right_knee": 26,
    "left_ankle": 27,
    "right_ankle": 28,
    "left_heel": 29,
    "right_heel": 30,
    "left_toe": 31,  # BlazePose "foot_index"
    "right_toe": 32,
}

KEYPOINTS: tuple[str, ...] = tuple(BLAZEPOSE_INDEX)

SIDES: tuple[str, str] = ("left", "right")

# Segments of one leg, hip downwards; these are what a left/right swap exchanges.
LEG_PARTS: tuple[str, ...] = ("hip", "knee", "ankle", "heel", "toe")

SKELETON_EDGES: tuple[tuple[str, str], ...] = tuple(
    (f"{side}_{a}", f"{side}_{b}")
    for side in SIDES
    for a, b in (
        ("shoulder", "elbow"),
        ("elbow", "wrist"),
        ("shoulder", "hip"),
        ("hip", "knee"),
        ("knee", "ankle"),
        ("ankle", "heel"),
        ("heel", "toe"),
        ("ankle", "toe"),
    )
) + (("left_shoulder", "right_shoulder"), ("left_hip", "right_hip"))


def other_side(side: str) -> str:
    """Return the opposite anatomical side name."""
    return "right" if side == "left" else "left"
