"""Drawing the annotated video's overlays on RGB arrays (OpenCV): skeleton, read-out
panel, event flash. Conventions as `gait.render`: the runner's left side orange, right
side blue; the near side bright and thick, the far side dim and thin; sizes scale with
the picture (`FrameStyle`), pixels of the picture drawn on.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from gait.keypoints import SKELETON_EDGES

LEFT_RGB = (255, 150, 40)
RIGHT_RGB = (40, 170, 255)
CROSS_RGB = (235, 235, 235)
FAR_DIM = 0.5  # brightness factor of the far side
TEXT_RGB = (255, 255, 255)
FLASH_RGB = (255, 235, 60)
FLASH_S = 0.2  # how long an event label stays up, real seconds
PLUMB_RGB = (255, 255, 255)
PLUMB_OUTLINE_RGB = (40, 40, 40)  # so that the line shows on light walls too
PLUMB_HALF_LENGTH = 0.45  # of the picture's height, each way from the pelvis
PLUMB_DASH_PX = 12
# Read-outs drawn when the column is in `overlays`, in this order.
OVERLAY_LABELS: dict[str, str] = {
    "near_thigh_deg": "Thigh",
    "near_hip_deg": "Trunk-thigh (2D hip)",  # as the cards name it
    "near_knee_deg": "Knee flexion",
    "near_shank_deg": "Shank",
    "trunk_lean_deg": "Trunk lean",
}
EVENT_LABELS = {"foot_strike": "Foot strike", "toe_off": "Toe off"}
_FONT = cv2.FONT_HERSHEY_SIMPLEX


def _side_colour(side: str, *, near_side: str) -> tuple[int, int, int]:
    rgb = LEFT_RGB if side == "left" else RIGHT_RGB
    if side != near_side:
        rgb = tuple(int(c * FAR_DIM) for c in rgb)
    return rgb


class FrameStyle:
    """Sizes that scale with the frame (short side 1080 px → font scale 1.2)."""

    def __init__(self, width_px: int, height_px: int) -> None:
        short_px = min(width_px, height_px)
        self.font_scale = max(0.4, short_px / 900)
        self.text_thickness = max(1, round(self.font_scale * 2))
        self.line_px = max(2, round(short_px / 240))
        self.joint_px = max(2, round(short_px / 200))
        self.margin_px = max(4, round(short_px / 60))
        (_, self.text_h_px), _ = cv2.getTextSize("Ag", _FONT, self.font_scale,
                                                 self.text_thickness)
        self.line_step_px = int(self.text_h_px * 1.8)


def _point(x: float, y: float) -> tuple[int, int] | None:
    if not (math.isfinite(x) and math.isfinite(y)):
        return None
    return round(x), round(y)


def draw_skeleton(rgb: np.ndarray, x_px: np.ndarray, y_px: np.ndarray, *,
                  keypoints: tuple[str, ...], near_side: str, style: FrameStyle) -> None:
    """Draw one frame's skeleton in place; keypoints with NaN coordinates are skipped."""
    points = {name: _point(x_px[j], y_px[j]) for j, name in enumerate(keypoints)}
    far_first = sorted(SKELETON_EDGES, key=lambda edge: edge[0].startswith(near_side))
    for a, b in far_first:  # far side first so the near side is drawn on top
        pa, pb = points.get(a), points.get(b)
        if pa is None or pb is None:
            continue
        side_a, side_b = a.split("_")[0], b.split("_")[0]
        if side_a == side_b:
            colour = _side_colour(side_a, near_side=near_side)
            thickness = style.line_px if side_a == near_side else max(1, style.line_px // 2)
        else:
            colour, thickness = CROSS_RGB, max(1, style.line_px // 2)
        cv2.line(rgb, pa, pb, colour, thickness, cv2.LINE_AA)
    for name, p in points.items():
        if p is None:
            continue
        side = name.split("_")[0]
        if side in ("left", "right"):
            colour = _side_colour(side, near_side=near_side)
            radius = style.joint_px if side == near_side else max(1, style.joint_px // 2)
        else:
            colour, radius = CROSS_RGB, style.joint_px
        cv2.circle(rgb, p, radius, colour, -1, cv2.LINE_AA)


def _text(rgb: np.ndarray, text: str, org: tuple[int, int], style: FrameStyle,
          colour: tuple[int, int, int] = TEXT_RGB) -> int:
    """Put text with its baseline-left at `org`; returns the x after the text."""
    cv2.putText(rgb, text, org, _FONT, style.font_scale, colour, style.text_thickness,
                cv2.LINE_AA)
    (w, _), _ = cv2.getTextSize(text, _FONT, style.font_scale, style.text_thickness)
    return org[0] + w


def _degrees(rgb: np.ndarray, value: float, org: tuple[int, int], style: FrameStyle) -> None:
    """A value in whole degrees with a drawn degree sign; NaN as a drawn dash.

    (OpenCV's Hershey fonts are ASCII-only, so ° and – are drawn as shapes.)
    """
    x, y = org
    if not math.isfinite(value):
        dash_w = round(style.text_h_px * 0.9)
        mid_y = y - style.text_h_px // 2
        cv2.line(rgb, (x, mid_y), (x + dash_w, mid_y), TEXT_RGB, style.text_thickness,
                 cv2.LINE_AA)
        return
    x_end = _text(rgb, f"{value:+.0f}", org, style)
    radius = max(2, round(style.text_h_px * 0.18))
    centre = (x_end + radius + 2, y - style.text_h_px + radius)
    cv2.circle(rgb, centre, radius, TEXT_RGB, max(1, style.text_thickness // 2), cv2.LINE_AA)


def _shade(rgb: np.ndarray, x0: int, y0: int, x1: int, y1: int) -> None:
    """Darken a rectangle so text on it stays readable."""
    h, w = rgb.shape[:2]
    x0, x1, y0, y1 = max(0, x0), min(w, x1), max(0, y0), min(h, y1)
    if x1 > x0 and y1 > y0:
        rgb[y0:y1, x0:x1] = (rgb[y0:y1, x0:x1] * 0.4).astype(np.uint8)


def draw_panel(rgb: np.ndarray, values: dict[str, float], *, near_side: str,
               stride: int | None, style: FrameStyle) -> None:
    """Top-left panel: which leg, the angle read-outs and the stride counter."""
    lines = 1 + len(values) + (stride is not None)
    label_w = max(cv2.getTextSize(label, _FONT, style.font_scale, style.text_thickness)[0][0]
                  for label in [*OVERLAY_LABELS.values(), f"{near_side.capitalize()} leg (near)"])
    value_x = style.margin_px * 2 + label_w + style.margin_px
    panel_w = value_x + round(style.text_h_px * 5)
    _shade(rgb, 0, 0, panel_w, style.margin_px * 2 + lines * style.line_step_px)
    y = style.margin_px + style.line_step_px
    x = style.margin_px * 2
    _text(rgb, f"{near_side.capitalize()} leg (near)", (x, y), style,
          _side_colour(near_side, near_side=near_side))
    for column, value in values.items():
        y += style.line_step_px
        _text(rgb, OVERLAY_LABELS[column], (x, y), style)
        _degrees(rgb, value, (value_x, y), style)
    if stride is not None:
        y += style.line_step_px
        _text(rgb, f"Stride {stride}" if stride else "Stride", (x, y), style)
        if not stride:
            _degrees(rgb, float("nan"), (value_x, y), style)


NOT_ANALYSED_TEXT = "Another shot: not analysed"


def draw_not_analysed(rgb: np.ndarray, *, style: FrameStyle) -> None:
    """A band along the bottom saying this frame lies outside the one shot analysed of a
    clip with cuts (gait.shots)."""
    (w, h), _ = cv2.getTextSize(NOT_ANALYSED_TEXT, _FONT, style.font_scale,
                                style.text_thickness)
    top = rgb.shape[0] - h - 3 * style.margin_px
    _shade(rgb, 0, top, rgb.shape[1], rgb.shape[0])
    _text(rgb, NOT_ANALYSED_TEXT, (max(style.margin_px, (rgb.shape[1] - w) // 2),
                                   rgb.shape[0] - style.margin_px * 3 // 2), style)


ZOOM_TEXT = "Zoomed x{zoom:.1f} on the runner"


def draw_zoom_note(rgb: np.ndarray, zoom: float, *, style: FrameStyle) -> None:
    """A note at the bottom right: the frame is a window around a small runner, `zoom`
    times closer than the whole frame (gait.render_follow)."""
    text = ZOOM_TEXT.format(zoom=zoom)
    (w, h), _ = cv2.getTextSize(text, _FONT, style.font_scale, style.text_thickness)
    x, y = rgb.shape[1] - w - 2 * style.margin_px, rgb.shape[0] - 2 * style.margin_px
    _shade(rgb, x - style.margin_px, y - h - style.margin_px, rgb.shape[1], rgb.shape[0])
    _text(rgb, text, (x, y), style)


def draw_flash(rgb: np.ndarray, event: str, side: str, foot_xy: tuple[int, int] | None, *,
               style: FrameStyle) -> None:
    """Event label at the top right, and a ring around the foot when it is known."""
    label = f"{EVENT_LABELS.get(event, event)} ({side[0].upper()})"
    (w, _), _ = cv2.getTextSize(label, _FONT, style.font_scale * 1.2, style.text_thickness + 1)
    x = rgb.shape[1] - w - style.margin_px * 2
    y = style.margin_px + style.line_step_px
    _shade(rgb, x - style.margin_px, 0, rgb.shape[1], y + style.margin_px * 2)
    cv2.putText(rgb, label, (x, y), _FONT, style.font_scale * 1.2, FLASH_RGB,
                style.text_thickness + 1, cv2.LINE_AA)
    if foot_xy is not None:
        cv2.circle(rgb, foot_xy, style.joint_px * 5, FLASH_RGB, style.line_px, cv2.LINE_AA)


def draw_plumb_line(rgb: np.ndarray, pelvis_xy: tuple[float, float], lean_deg: float, *,
                    style: FrameStyle) -> None:
    """A dashed white line (dark-edged) through the pelvis along the true vertical
    (`gait.level`), leaning `lean_deg` (+ = its lower end to the right), so that a
    levelled picture shows what the angles were measured against."""
    centre = _point(*pelvis_xy)
    if centre is None or not math.isfinite(lean_deg):
        return
    half = PLUMB_HALF_LENGTH * rgb.shape[0]
    down = np.array([math.sin(math.radians(lean_deg)), math.cos(math.radians(lean_deg))])
    thickness = max(2, style.line_px)
    dash_px = max(PLUMB_DASH_PX, 4 * thickness)
    for colour, width in ((PLUMB_OUTLINE_RGB, thickness + 2), (PLUMB_RGB, thickness)):
        for start in np.arange(-half, half, 2 * dash_px):
            a = np.asarray(centre) + start * down
            b = np.asarray(centre) + min(start + dash_px, half) * down
            cv2.line(rgb, (round(a[0]), round(a[1])), (round(b[0]), round(b[1])), colour,
                     width, cv2.LINE_AA)
