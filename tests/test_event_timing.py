"""Timing one contact's foot strike and toe-off (gait.event_timing) on a constructed
contact with a known landing: 100 samples/s; the foot is furthest forward at frame 10
(the bracket's peak), lands at frame `LANDING`, and moves back with the ground at 300 px/s
in stance until frame 40 (the trough)."""

from __future__ import annotations

import numpy as np

from gait.event_timing import (
    STRIKE_BACKWARD_FRACTION,
    lift_time,
    moving_back_time,
    strike_time,
    toe_off_time,
)

RATE_HZ = 100.0
PEAK, LANDING, TROUGH = 10, 16, 40
STANCE_SPEED_PX_S = 300.0
TOLERANCE_PX, NOISE_PX = 8.0, 2.0
TIME_S = np.arange(50) / RATE_HZ


def forward_px(backward_from: int) -> np.ndarray:
    """Forward distance from the pelvis: still at the front until `backward_from`, then
    speeding up to the stance speed over 4 frames and keeping it."""
    speed = np.clip((np.arange(50) - backward_from) / 4.0, 0.0, 1.0) * STANCE_SPEED_PX_S
    return 200.0 - np.cumsum(speed) / RATE_HZ


def height_px(hover_from: int, hover_px: float) -> np.ndarray:
    """Height above the ground line: coming down fast, hovering `hover_px` above the
    stance level (0) from `hover_from` until LANDING, then on the ground."""
    h = np.clip(60.0 - 12.0 * (np.arange(50) - PEAK), 0.0, None)
    h[hover_from:LANDING] = hover_px
    h[LANDING:] = 0.0
    return h


def strike(height: np.ndarray, forward: np.ndarray) -> float:
    return strike_time(TIME_S, height, forward, PEAK, TROUGH,
                       tolerance_px=TOLERANCE_PX, noise_px=NOISE_PX)


def test_a_foot_hovering_inside_the_tolerance_is_not_down_until_it_moves_back():
    """The shoe hangs 5 px over the ground (inside the 8 px tolerance) from frame 13 to
    the landing at 16 while it is still at the front of its swing: the height alone
    says frame ~13, but the foot only starts back with the ground at 14 and reaches half
    its stance speed at 15.5."""
    height, forward = height_px(hover_from=13, hover_px=5.0), forward_px(backward_from=14)
    moving_back_s = moving_back_time(TIME_S, forward, PEAK, TROUGH,
                                     velocity_fraction=STRIKE_BACKWARD_FRACTION)
    assert strike(height, forward) == moving_back_s
    assert abs(strike(height, forward) * RATE_HZ - LANDING) < 1.0
    without_bound = strike(height, forward_px(backward_from=PEAK - 5))  # already going back
    assert without_bound * RATE_HZ < 14.0  # what the height alone gives


def test_a_foot_already_at_its_stance_level_is_down_even_if_it_seems_to_lag_backward():
    """Where the pose model's ankle lags (it starts back only at frame 24), the strike is
    no later than the first frame the foot is at its stance level (+ one noise SD)."""
    height, forward = height_px(hover_from=13, hover_px=5.0), forward_px(backward_from=24)
    assert abs(strike(height, forward) * RATE_HZ - LANDING) < 1e-6


def test_a_clean_landing_is_timed_from_the_height_alone():
    """A foot that comes straight down while moving back is timed as before: where its
    path crosses the tolerance, extended down to the ground."""
    height = np.clip(60.0 - 12.0 * (np.arange(50) - PEAK), 0.0, None)  # down at frame 15
    forward = forward_px(backward_from=PEAK - 5)
    assert abs(strike(height, forward) * RATE_HZ - 15.0) < 0.01


def kicked_back_contact(lift_frame: int) -> tuple[np.ndarray, np.ndarray]:
    """Height and forward distance of a foot that leaves the ground at `lift_frame`,
    rising 6 px a frame, but keeps moving back at its stance speed until the trough (a
    runner kicking back): its velocity drops only in the last frames before the trough."""
    height = height_px(hover_from=LANDING, hover_px=0.0)
    height[lift_frame:] = 6.0 * (np.arange(50)[lift_frame:] - lift_frame)
    speed = STANCE_SPEED_PX_S * np.clip((TROUGH - np.arange(50)) / 3.0, 0.0, 1.0)
    return height, 200.0 - np.cumsum(speed) / RATE_HZ  # slows to a stop at the trough


def test_the_foot_leaves_the_ground_where_its_height_rises_from_its_stance_level():
    height, _ = kicked_back_contact(lift_frame=32)
    lifted = lift_time(TIME_S, height, PEAK, TROUGH, tolerance_px=3 * TOLERANCE_PX)
    assert abs(lifted * RATE_HZ - 32.0) < 0.01  # the crossing extended back to the ground
    # a foot still on the ground at the trough has not lifted within the bracket
    on_ground = height_px(hover_from=LANDING, hover_px=0.0)
    assert lift_time(TIME_S, on_ground, PEAK, TROUGH, tolerance_px=TOLERANCE_PX) is None


def test_a_foot_kicked_back_in_the_air_is_off_the_ground_before_the_velocity_says():
    """The velocity rule alone puts this toe-off near the trough (~6 frames late); the
    height bound that gait.events applies (the earlier of the two) gives the lift."""
    from gait.events import TOE_OFF_LIFT_TOLERANCES

    height, forward = kicked_back_contact(lift_frame=32)
    by_velocity = toe_off_time(TIME_S, forward, PEAK, TROUGH, velocity_fraction=0.7)
    assert by_velocity * RATE_HZ > 37.0
    lifted = lift_time(TIME_S, height, PEAK, TROUGH,
                       tolerance_px=TOE_OFF_LIFT_TOLERANCES * TOLERANCE_PX)
    assert abs(lifted * RATE_HZ - 32.0) < 0.01


def slow_landing(rate_hz: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, int]:
    """A foot coming down slowly (75 px/s) onto the ground, which it reaches at 0.6 s,
    while it already moves back with the ground: times, height, forward distance, the
    bracket's peak (0.2 s) and trough (1.2 s) at `rate_hz` samples/s."""
    time_s = np.arange(int(1.6 * rate_hz)) / rate_hz
    height = np.clip(75.0 * (0.6 - time_s), 0.0, None)
    forward = 200.0 - STANCE_SPEED_PX_S * time_s
    return time_s, height, forward, int(0.2 * rate_hz), int(1.2 * rate_hz)


def test_a_slow_landing_at_a_low_frame_rate_may_be_extended_two_frames():
    """At 25 frames/s the foot crosses the 8 px tolerance 107 ms before it lands; the
    extension down to the ground was capped at 40 ms (one frame here), so the strike came
    1.7 frames early (a real 25 fps runner's near strikes came a frame early). With
    `extension_frames=2` it may reach two frames (80 ms); at 120 frames/s the 40 ms floor
    still holds (two frames are only 17 ms there), so nothing changes."""
    time_s, height, forward, peak, trough = slow_landing(25.0)
    kwargs = dict(tolerance_px=TOLERANCE_PX, noise_px=NOISE_PX)
    capped_40_ms = strike_time(time_s, height, forward, peak, trough, **kwargs)
    two_frames = strike_time(time_s, height, forward, peak, trough, extension_frames=2.0,
                             **kwargs)
    crossing_s = 0.6 - TOLERANCE_PX / 75.0
    assert abs(capped_40_ms - (crossing_s + 0.04)) < 1e-9
    assert abs(two_frames - (crossing_s + 0.08)) < 1e-9
    assert abs(two_frames - 0.6) < abs(capped_40_ms - 0.6)
    time_s, height, forward, peak, trough = slow_landing(120.0)
    assert strike_time(time_s, height, forward, peak, trough, extension_frames=2.0,
                       **kwargs) == strike_time(time_s, height, forward, peak, trough,
                                                **kwargs)
