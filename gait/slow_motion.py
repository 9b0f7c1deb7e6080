"""Slow-motion playback: a clip filmed at a high rate but stored (and so played and
timed) at a lower one makes every step look slow. Times in seconds, cadence in
steps/min (both feet). Used by gait.reliability and gait.pipeline. Pure numpy."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from gait.timegrid import resample, uniform_time_grid

SLOW_MOTION_STRIDE_S = 1.3  # 92 steps/min: slower than any running, slower than most walking
SLOW_MOTION_CADENCE_SPM = 110.0  # with long contacts in running proportions (duty ≤ 0.5)
SLOW_MOTION_CONTACT_S = 0.40
TYPICAL_STRIDE_S = 0.7  # ~170 steps/min, to say how many times slower the clip looks
MIN_PERIODICITY = 0.3  # autocorrelation a foot's swing needs to count as periodic
FUNDAMENTAL_SHARE = 0.8  # a shorter lag's peak this close to the highest is the period
SEPARATE_PEAKS_SHARE = 0.5  # … if the correlation dips below this share between them (not
# a ripple on the highest peak's own flank)
MIN_STRIDE_LAG_S = 0.35  # shortest stride period looked for (~340 steps/min)
MIN_STEP_LAG_S = MIN_STRIDE_LAG_S / 2  # … and step period (half a stride)
MAX_RUNNING_DUTY_FACTOR = 0.50  # contact / stride time; walking is above
# Hip travel per stride period, in leg lengths hip→ankle (≈ 0.45 × body height, 0.79 m at
# 1.75 m): distance runners stride 2–3.5 m (2.5–4.5 leg lengths), sprinters 4.5–5.2 m
# (5.7–6.6). The stride length does not change with the playback rate, so a much longer
# one means the pose repeats every other stride, not slow motion.
MAX_STRIDE_LEG_LENGTHS = 8.0
PHONE_CAPTURE_FPS = (60.0, 120.0, 240.0, 480.0, 960.0)  # the rates phones film slow motion at
MIN_PLAYBACK_FPS = 20.0  # video is played at 23.976-60 frames/s; a clip stored slower than
# this was not exported as a slow-motion video, so its factor is taken as 2×, 4×, 8×


def analysed_faster_than_stored(*, capture_fps: float | None,
                                stored_fps: float | None) -> bool:
    """Whether the times rest on a capture rate above the file's own (slow motion,
    given or assumed): then rates and lengths are per second of running, not of file."""
    return bool(capture_fps and stored_fps) and capture_fps > 1.05 * stored_fps


def looks_slowed(*, stride_s: float, contact_s: float | None, cadence_spm: float) -> bool:
    """Median stride over SLOW_MOTION_STRIDE_S, or cadence under SLOW_MOTION_CADENCE_SPM
    with contacts over SLOW_MOTION_CONTACT_S in running proportions (duty ≤ 0.5)."""
    if stride_s > SLOW_MOTION_STRIDE_S:
        return True
    return (math.isfinite(cadence_spm) and cadence_spm < SLOW_MOTION_CADENCE_SPM
            and contact_s is not None and contact_s > SLOW_MOTION_CONTACT_S
            and contact_s / stride_s <= MAX_RUNNING_DUTY_FACTOR)


def stride_period_s(time_s: np.ndarray, swing_px: list[np.ndarray], *,
                    min_lag_s: float = MIN_STRIDE_LAG_S) -> float | None:
    """Stride period (s) of the feet's swing: the lag, `min_lag_s` to half the clip, of the
    highest peak of the (biased) autocorrelation summed over the signals (e.g. each ankle's x
    minus the hips' x, pixels; NaN = missing), or the shortest lag whose peak reaches
    FUNDAMENTAL_SHARE of that (the highest may be a multiple of the period). None when
    nothing is periodic."""
    if len(time_s) < 8:
        return None
    grid_s = uniform_time_grid(time_s)  # lags are in samples: dropped frames must not count
    dt = float(np.median(np.diff(grid_s)))
    total = np.zeros(len(grid_s))
    for signal in swing_px:
        v = resample(time_s, np.asarray(signal, dtype=float), grid_s)
        ok = np.isfinite(v)
        if ok.sum() < 0.5 * len(v):
            continue
        v = np.where(ok, v - np.nanmean(v), 0.0)
        ac = np.correlate(v, v, mode="full")[len(v) - 1:]
        if ac[0] > 0:
            total += ac / ac[0]
    lo, hi = int(math.ceil(min_lag_s / dt)), len(grid_s) // 2
    if not total[0] or hi <= lo:
        return None
    total /= total[0]
    # the highest PEAK: at the shortest lag the correlation may still be on the flank of
    # its zero-lag peak, and for a slowed clip that flank is higher than the stride's own
    # peak (a real 4x clip with a paused start: 0.50 at 0.35 s against 0.43 at 2.5 s)
    peaks = [k for k in range(max(lo, 1), hi - 1)
             if total[k] >= total[k - 1] and total[k] >= total[k + 1]]
    if not peaks:
        return None
    lag = max(peaks, key=lambda k: total[k])
    if total[lag] < MIN_PERIODICITY:
        return None
    # A periodic signal correlates with itself at every multiple of its period, and noise
    # can make a multiple the highest: the period is the shortest lag whose peak comes
    # close to the highest (on a real treadmill clip re-encoded small and hard, 0.46 at
    # one stride against 0.47 at two read as 2x slow motion).
    for k in range(lo + 1, lag):
        if (total[k] >= total[k - 1] and total[k] >= total[k + 1]
                and total[k] >= FUNDAMENTAL_SHARE * total[lag]
                and total[k:lag].min() < SEPARATE_PEAKS_SHARE * total[lag]):
            return k * dt
    return lag * dt


def feet_stride_period_s(time_s: np.ndarray, left_swing_px: np.ndarray,
                         right_swing_px: np.ndarray) -> float | None:
    """Stride period (s) of the two feet's swing (each ankle's x minus the hips' x,
    pixels): `stride_period_s` of the labelled feet, or, when they show no period, twice
    the period of the feet's fore-aft spread |left − right|. The spread peaks at every
    step whichever foot the pose model calls left, so it keeps the rhythm where the labels
    swap at most steps (a dark silhouette against the sky: a real 4× slowed overground
    clip read no period from its labelled feet and went on as real-time running, "no
    complete stride"). Only a fallback: alone, on 20 recorded real tracks as filmed and
    slowed 2× and 4× (60 cases; docs/accuracy.md), it took two steps for one
    in 3 (a near and a far step differ) and found none in 1; the labelled feet found
    every period."""
    period = stride_period_s(time_s, [left_swing_px, right_swing_px])
    if period is not None:
        return period
    spread_px = np.abs(np.asarray(left_swing_px, float) - np.asarray(right_swing_px, float))
    step = stride_period_s(time_s, [spread_px], min_lag_s=MIN_STEP_LAG_S)
    return 2.0 * step if step is not None else None


def apparent_slowdown(period_s: float | None, *, hip_speed_legs_per_s: float = 0.0,
                      stored_fps: float | None = None) -> float | None:
    """How many times slower than running a stride period looks, rounded to a slow-motion
    setting: with the clip's stored rate, to a rate phones film at (PHONE_CAPTURE_FPS)
    over that rate — 2×, 4×, 8× at 30 frames/s, but 2.5×, 5×, 10× at 23.976 and 2.4×,
    4.8×, 9.6× at 25 (120 frames/s played as cinema or PAL video); without it, or for a
    clip stored under MIN_PLAYBACK_FPS, to 2×, 4×, 8×. None if it looks like running, or
    if the hips (overground, in leg lengths per second) travel further per period than
    any running stride."""
    if period_s is None or period_s <= SLOW_MOTION_STRIDE_S:
        return None
    if abs(hip_speed_legs_per_s) * period_s > MAX_STRIDE_LEG_LENGTHS:
        return None
    looks = period_s / TYPICAL_STRIDE_S
    settings = [round(rate / stored_fps, 3) for rate in PHONE_CAPTURE_FPS
                if stored_fps and stored_fps >= MIN_PLAYBACK_FPS and rate / stored_fps >= 1.5]
    if not settings:
        return float(2 ** max(1, round(math.log2(looks))))
    return float(min(settings, key=lambda factor: abs(math.log(factor / looks))))


def slowdown_from_strikes(events: pd.DataFrame) -> float | None:
    """How many times slower than running the same foot's strikes come (median interval
    over TYPICAL_STRIDE_S), when that median is over SLOW_MOTION_STRIDE_S; else None.
    `events` as gait.events (columns side, event, time_s)."""
    strikes = events[events["event"] == "foot_strike"]
    intervals_s = strikes.groupby("side")["time_s"].diff().dropna()
    if not len(intervals_s) or intervals_s.median() <= SLOW_MOTION_STRIDE_S:
        return None
    return float(intervals_s.median() / TYPICAL_STRIDE_S)
