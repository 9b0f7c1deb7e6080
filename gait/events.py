"""Foot strike and toe-off: contacts found from the feet's positions relative to the
pelvis, then timed from the stance foot's height and its velocity.

Method (decided by measurement on hand-labelled real clips and rendered clips with
known events; see README "Measured accuracy" and docs/accuracy.md):

1. **Find every contact** (Zeni et al. 2008): a foot's forward distance from the pelvis,
   d·(x_ankle − x_pelvis) with d the direction of travel, peaks just before it lands and
   bottoms out just after it leaves. The extremes are large (≈ 0.8 leg lengths apart)
   next to pose noise, need no ground line, and hold on a treadmill, overground and
   with a panning camera (the pelvis moves with the picture). They are taken on the
   **front-most and rear-most foot** rather than on the labelled left and right feet:
   the front-most foot peaks at every landing and the rear-most bottoms out at every
   take-off whatever labels the pose model gave the feet (it swaps them where the legs
   cross, and often on sparse or blurred frames). A front peak and the first rear trough
   after mid-stance (where the landing foot is passed) bracket one contact. Used alone
   they are biased (on a real 30 fps treadmill clip: strike 2.4 frames early, toe-off
   1.8 late), so they only bracket the search below.
2. **The stance foot** is the front-most foot until the swinging foot passes it (the
   front-most foot is furthest back there), then the rear-most one; its side comes from
   alternation (`alternating_sides`), in the phase most of the pose model's labels agree
   with.
3. **Foot strike from height**: the lowest point of the foot (heel or toe) against that
   foot's own ground line (fitted per labelled foot: when the camera is above or below
   hip height the far foot's ground is not the near foot's); with BlazePose heavy, heel
   and toe each against its own ground line (`HEEL_AND_TOE_EACH_OWN_GROUND`). The strike
   is the first time the stance foot comes down to its stance level (+ a tolerance from
   the measured noise), extended along its path down to that level. Horizontal signals cannot time
   the strike: the foot already moves backward with the ground before it lands
   (swing-leg retraction), so they read ~1.5 frames early whatever the threshold. They
   do bound it from below: a foot that hovers low at the front of its swing comes
   within the tolerance before it lands, but it is not down while it does not yet move
   back with the ground (`STRIKE_BACKWARD_FRACTION` of its stance velocity), nor later
   than it reaches its stance level (+ one noise SD).
4. **Toe-off from horizontal velocity**: during stance the foot moves backward relative
   to the pelvis at the running speed (belt or ground). Toe-off is the last time, before
   the bracket's trough, that the stance foot's backward velocity is still at least
   `TOE_OFF_VELOCITY_FRACTION` (per pose model) of its stance velocity.

The signals are taken onto an even time grid first (frames dropped by a busy camera or a
variable-frame-rate clip would otherwise bend the cycle). A contact whose bracket holds
missing keypoints is skipped with a reason; the stride builder counts such drops. Times
are in seconds of the clip.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from gait.event_timing import height_noise_px, lift_time, strike_time, toe_off_time
from gait.feet import foot_height_px, pelvis_x_px
from gait.keypoints import SIDES, other_side
from gait.posetrack import PoseTrack
from gait.timegrid import resample, uniform_time_grid

MIN_PROMINENCE_LEG = 0.2  # a contact's forward/backward extremes: at least this × leg length
MIN_PROMINENCE_OF_RANGE = 0.4  # … and this fraction of the foot's usual fore-aft range
MIN_STEP_S = 0.25  # two extremes of the same kind closer than this are one (≈ 240 steps/min)
MAX_CONTACT_BRACKET_S = 0.8  # peak-to-trough longer than this is not one running contact
FINE_TOLERANCE_LEG = 0.005
FINE_NOISE_SDS = {"full": 3.5, "heavy": 3.0}  # the strike tolerance, in SDs of the stance
# foot's height noise, per pose model (gait.pose_models). Full: chosen on the labelled real
# clip and its variants once the stance foot was taken from the feet's smallest gap
# (`stance_foot`): the noise estimate then fell (4.8 instead of 5.7 px there), and at 3 SDs
# a hovering near foot came 4 frames late at one strike (2 strides lost); 3.5 and 4 kept
# them; the rendered dev set reads the same from 2.5 to 4. Heavy jitters less, so at 3.5
# its strikes came ~1 frame late on the real clip (0.43 frames at 4.5 instead of 1.05) and
# on the dev set (0.49 / 0.57 / 0.42 frames at 4.5 instead of 0.65 / 0.74 / 0.42).
# Heavy, since 2026-12-04, measures the foot's height with heel and toe each against its
# own ground (below); its stance noise then fell (zz 3.7 → 1.7 px: a foot rolling from
# heel to toe no longer counts as noise) and 3.0 SDs was chosen on the first real clip and
# its mirrored copy (4.5: near strikes 1.0 / 1.5 frames; 3.0: 0.65 / 1.0; 2.5 and 2.0
# read a little better there but lost strides on the noisier 60 fps clip: docs/accuracy.md).
HEEL_AND_TOE_EACH_OWN_GROUND = {"full": False, "heavy": True}  # per pose model
# (`gait.feet.foot_height_px`). On a real 60 fps clip filmed from belt height the lowest
# point's single ground line is the toe's (heavy puts its toe point up to ~45 px below its
# heel point in a flat stance), so a landed heel read as still in the air until the foot
# was flat: strikes 2.5 (near) and ~5 (far) frames late, 0 of 8 far strides found. Heel and
# toe each against its own ground: 8/8 and 8/8, strikes 0.8 / 0.6 frames. A trade
# elsewhere (docs/accuracy.md, "Heel and toe each on its own ground"): the second runner's
# contacts and the mirrored copy's near strikes gained, the first clip's near strikes
# (0.43 → 0.65 frames), two of its copies (2 near strides each), the rendered dev set
# (0.4 → 0.6 frames) and the small runner lost a little. Full keeps the lowest point:
# with full, each own ground made the first real clip's strikes ~1.8 frames early at every
# tolerance tried (1–3.5 SDs), though it too mended the 60 fps clip (far 3/8 → 8/8).
STRIKE_EXTENSION_FRAMES = {"full": 0.0, "heavy": 1.5}  # per pose model: the strike's
# extension from its height threshold down to the stance level may reach this many frame
# intervals where that is longer than `gait.event_timing.MAX_EXTENSION_S` (40 ms: a whole
# frame at 25 fps, 1.2 at 30, 2.4 at 60). On the fifth real runner (25 fps; 2026-12-04,
# night) a foot coming down slowly onto the belt was extended only 40 ms past the crossing
# and the near strikes came a frame early (contacts 69 ms off; one frame is 40 ms). With
# heavy, 1.5, 2 and 3 frames were tried on the heavy tracks of four labelled real clips,
# the first clip's 8 copies and the rendered dev set (docs/accuracy.md). 2 timed the fifth
# runner best (near strikes 0.43 frames, contacts 36 ms) but moved the mirrored copy's far
# strikes past the one-frame target (0.85 → 1.10 frames, tests/test_real_tracks.py);
# 1.5 keeps every target met where it was: the fifth runner's near strikes 1.0 → 0.5
# frames (contacts 69 → 49 ms, far strikes 0.18 → 0.5), the other real clips' medians
# unchanged, 4 more near strides on the copies. Two frames alone (no 40 ms floor) made the
# rendered 120 fps clips' strikes early (one 0.4 → 2.3 frames), hence the floor. With full
# (a wider tolerance) two frames made the first clip's strikes late (near 0.61 → 0.92): it
# keeps 40 ms.
MISSED_STEP_GAP = 1.5  # contacts further apart than this × the median step: one was missed
TOE_OFF_VELOCITY_FRACTION = {"full": 0.8, "heavy": 0.7}  # per pose model. Heavy's feet slow
# down earlier at the end of stance than full's: at 0.8 its toe-offs came early on the
# labelled real clip (median −0.6 / −0.9 frames near / far) and on the rendered dev set
# (−1.5 frames); 0.65–0.7 centred both (real −0.1 / 0.0 at 0.7, dev +0.1 at 0.65, −0.6 at
# 0.7), and 0.7 timed the toe-offs of the real clip's 9 copies better on 15 of 18 feet (worse on 2).
TOE_OFF_LIFT_TOLERANCES = 3.0  # a toe-off is no later than the foot rising this many strike
# tolerances above its stance level (`gait.event_timing.lift_time`). A foot that keeps
# moving back at the belt's speed once it is off the belt (a runner kicking back) kept
# the velocity rule firing: on a fifth real runner (25 fps; 2026-12-04) toe-offs came
# 1–3 frames late over half the clip, where the shoe is plainly in the air. Chosen from
# 1, 2 and 3 on the heavy tracks of four labelled real clips (that one included) and the
# first clip's 8 copies: at 1 and 2 a far foot's noisy height cut toe-offs early (the
# 60 fps clip's far toe-offs 0.8 → 3.2 / 1.5 frames); at 3 the fifth runner's far
# toe-offs went 1.17 → 0.37 frames, and the worst loss was the second runner's far
# toe-offs (0.22 → 0.42 frames; docs/accuracy.md). Full barely changes (its tolerance is wider).


@dataclass(frozen=True)
class SkippedContact:
    """A contact seen in the fore-aft motion whose events could not be timed."""

    side: str
    time_s: float
    reason: str  # a key of gait.strides.DROP_REASONS


def prominent_peaks(values: np.ndarray, *, min_prominence: float,
                    min_distance: int) -> np.ndarray:
    """Indices of local maxima that stand at least `min_prominence` above the lower of
    the two minima separating them from a higher peak (or the series' end) on either
    side; of peaks closer than `min_distance` samples only the highest is kept. A peak
    needs seen samples on both sides (the edge of a hole in the data is not a peak)."""
    v = np.where(np.isfinite(values), values, -np.inf)
    n = len(v)
    candidates = [i for i in range(1, n - 1)
                  if np.isfinite(v[i - 1:i + 2]).all() and v[i] >= v[i - 1] and v[i] > v[i + 1]]
    kept = []
    for i in candidates:
        left_min = right_min = v[i]
        j = i - 1
        while j >= 0 and v[j] <= v[i]:
            left_min = min(left_min, v[j])
            j -= 1
        k = i + 1
        while k < n and v[k] <= v[i]:
            right_min = min(right_min, v[k])
            k += 1
        if v[i] - max(left_min, right_min) >= min_prominence:
            kept.append(i)
    kept.sort(key=lambda i: -v[i])
    chosen: list[int] = []
    for i in kept:
        if all(abs(i - c) >= min_distance for c in chosen):
            chosen.append(i)
    return np.array(sorted(chosen), dtype=int)


def _nanargmin(values: np.ndarray) -> int:
    """Index of the smallest finite value (0 when there is none)."""
    finite = np.isfinite(values)
    return int(np.argmin(np.where(finite, values, np.inf))) if finite.any() else 0


def _prominence(values: np.ndarray, leg_length_px: float) -> float:
    finite = values[np.isfinite(values)]
    usual_range = float(np.percentile(finite, 95) - np.percentile(finite, 5))
    return max(MIN_PROMINENCE_LEG * leg_length_px, MIN_PROMINENCE_OF_RANGE * usual_range)


def contact_brackets(forward_px: np.ndarray, time_s: np.ndarray, *, leg_length_px: float,
                     rear_px: np.ndarray | None = None,
                     min_step_s: float = MIN_STEP_S) -> list[tuple[int, int]]:
    """(peak, trough) frame pairs bracketing each contact (Zeni 2008): the most forward
    point of the foot before it lands (a peak of `forward_px`, its forward distance from
    the pelvis) and its most backward point after it leaves (a trough of `rear_px`,
    default the same signal). Each peak is paired with the first trough after it that
    comes before the next peak. Given the front-most and rear-most of the two feet, the
    pairs bracket every step whichever labels the pose model gave the feet."""
    rear_px = forward_px if rear_px is None else rear_px
    if np.isfinite(forward_px).sum() < 5 or np.isfinite(rear_px).sum() < 5:
        return []
    dt = float(np.median(np.diff(time_s)))
    distance = max(int(min_step_s / dt), 1)
    peaks = prominent_peaks(forward_px, min_prominence=_prominence(forward_px, leg_length_px),
                            min_distance=distance)
    troughs = prominent_peaks(-rear_px, min_prominence=_prominence(rear_px, leg_length_px),
                              min_distance=distance)
    # A contact's trough comes after mid-stance, where the landing foot is passed (the
    # lowest point of `forward_px` before the next peak), and before the next one: at
    # one foot's strike the other foot is still near its own rear-most point.
    ends = [*peaks[1:], len(forward_px)] if len(peaks) else []
    crossings = [p + _nanargmin(forward_px[p:end]) for p, end in zip(peaks, ends, strict=True)]
    pairs = []
    for k, p in enumerate(peaks):
        limit = crossings[k + 1] if k + 1 < len(peaks) else len(forward_px)
        after = troughs[(troughs >= crossings[k]) & (troughs < limit)]
        if len(after) and time_s[after[0]] - time_s[p] <= MAX_CONTACT_BRACKET_S:
            pairs.append((int(p), int(after[0])))
    earlier = troughs[troughs < crossings[list(peaks).index(pairs[0][0])]] if pairs else []
    if len(earlier):
        # A trough before the first bracketed contact's mid-stance ends an earlier
        # contact whose forward peak is before frame 0. Bracket it by the usual length
        # when the clip holds at least two thirds of it (the strike search then needs to
        # see the foot come down).
        usual = int(np.median([t - p for p, t in pairs]))
        first = int(earlier[-1])
        if first >= (2 * usual) // 3:
            pairs.insert(0, (max(first - usual, 0), first))
    if pairs:
        # The clip ends during the last contacts: their troughs are not in the clip (the
        # rear foot is still going back at the end, so no trough stands out there). A
        # strike can still close a stride, so each peak after the last bracketed one is
        # bracketed by the usual length when the clip holds its first third. (Two thirds
        # until 2026-12-05: two held-out real clips that end 1 and 3 frames after a
        # labelled strike lost that stride without a reason; the labelled treadmill
        # clip cut 3 frames after each of 22 strikes kept 0 of those strides with two
        # thirds, 16 with one third, each ending within 1.5 frames of its label; the
        # other real clips' events did not change, the rendered sets kept every stride
        # and their 120 fps clips' strikes came 0.1-0.2 frames closer. docs/accuracy.md)
        usual = int(np.median([t - p for p, t in pairs]))
        for last in peaks[peaks > pairs[-1][0]]:
            if len(forward_px) - 1 - last >= usual // 3:
                pairs.append((int(last), min(int(last) + usual, len(forward_px) - 1)))
    return pairs


def alternating_sides(times_s: list[float], observed: list[str]) -> list[str]:
    """Sides of consecutive contacts. Feet alternate, so within a run of contacts with no
    step missing (each gap under 1.5 × the median gap) the sides alternate, in the phase
    that most of the pose model's labels (`observed`, the side in front at each peak)
    agree with; a missed step starts a new run."""
    if not times_s:
        return []
    gaps = np.diff(times_s)
    limit = MISSED_STEP_GAP * float(np.median(gaps)) if len(gaps) else np.inf
    starts = [0] + [k + 1 for k, g in enumerate(gaps) if g > limit]
    sides: list[str] = []
    for begin, end in zip(starts, starts[1:] + [len(times_s)], strict=True):
        votes = sum(1 if observed[k] == ("left" if (k - begin) % 2 == 0 else "right") else -1
                    for k in range(begin, end))
        first = "left" if votes >= 0 else "right"
        sides += [first if (k - begin) % 2 == 0 else other_side(first)
                  for k in range(begin, end)]
    return sides


def stance_foot(front: np.ndarray, rear: np.ndarray, peak: int, trough: int) -> np.ndarray:
    """Per frame of a contact bracket, whether the stance foot is the front-most foot: it
    lands in front and is passed by the swinging foot at mid-stance, where the two feet
    are closest fore and aft (the minimum of `front` − `rear` within the bracket); after
    that it is the rear-most foot. Needs no left/right labels. (The front-most foot's
    own minimum marks the same frame when the swinging foot moves steadily, but where the
    pose model puts both ankles near the stance foot for a few frames, as at 25 fps on a
    real clip, it came two frames late and took the swinging foot's height as the
    stance level.)"""
    crossing = peak + _nanargmin(front[peak:trough + 1] - rear[peak:trough + 1])
    is_front = np.zeros(len(front), dtype=bool)
    is_front[:crossing + 1] = True
    return is_front


def missed_steps(peak_times_s: list[float], *,
                 feet_unseen_s: tuple[float, ...] = ()) -> list[SkippedContact]:
    """Where consecutive contacts are further apart than MISSED_STEP_GAP × the median
    step, a contact was missed: it counts as an unseen contact of both feet, so no stride
    is built across it (and the sides on either side are phased separately). A gap that
    holds a time in `feet_unseen_s` (the feet were not seen there) is explained by that
    and not counted again."""
    gaps = np.diff(peak_times_s)
    if not len(gaps):
        return []
    limit = MISSED_STEP_GAP * float(np.median(gaps))
    return [SkippedContact(side, (peak_times_s[k] + peak_times_s[k + 1]) / 2, "contact_missed")
            for k in np.flatnonzero(gaps > limit)
            if not any(peak_times_s[k] < t < peak_times_s[k + 1] for t in feet_unseen_s)
            for side in SIDES]


def unseen_contacts(grid_s: np.ndarray, signals: list[np.ndarray],
                    skipped: list[SkippedContact]) -> list[SkippedContact]:
    """A hole inside the clip where the feet are not seen for longer than
    gait.timegrid.MAX_BRIDGE_S (frames dropped, the runner hidden) may hide a contact of
    either foot: it counts as an unseen contact of each foot that has no skipped contact
    there already, so no stride is built across it."""
    seen = np.logical_and.reduce([np.isfinite(v) for v in signals])
    if not seen.any():
        return []
    first, last = np.flatnonzero(seen)[[0, -1]]
    unseen = []
    edges = np.diff(np.concatenate([[0], (~seen[first:last + 1]).astype(int), [0]]))
    for start, end in zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True):
        t0, t1 = grid_s[start + first], grid_s[end + first - 1]
        for side in SIDES:
            if not any(c.side == side and t0 - MAX_CONTACT_BRACKET_S <= c.time_s <= t1
                       for c in skipped):
                unseen.append(SkippedContact(side, float((t0 + t1) / 2), "foot_not_visible"))
    return unseen


def detect_events(track: PoseTrack, *, leg_length_px: float, direction: int,
                  pose_model: str = "full") -> tuple[pd.DataFrame, list[SkippedContact]]:
    """Foot strikes and toe-offs of both feet, and the contacts that had to be skipped.

    `direction` is +1 when the runner moves toward +x (image right), −1 otherwise;
    `pose_model` (the track's, gait.pose_models) sets the strike tolerance and the
    toe-off threshold.
    Contacts are bracketed on the front-most and rear-most foot (every step, whatever
    labels the pose model gave the feet; labels swap where the legs cross and on
    sparse or blurred frames), timed on the stance foot, and given their side by
    alternation (`alternating_sides`). The signals are taken onto an even time grid
    first: frames dropped by a busy camera or a variable-frame-rate clip would
    otherwise bend the fore-aft cycle. Returns a table with columns side, event
    ("foot_strike" / "toe_off"), time_s, contact (index of the contact for that
    side), sorted by time.
    """
    pelvis = pelvis_x_px(track)
    grid_s = uniform_time_grid(track.time_s)
    forward, height = {}, {}
    for side in SIDES:
        forward[side] = resample(track.time_s, direction * (
            track.x_px[:, track.column(f"{side}_ankle")] - pelvis), grid_s)
        height[side] = resample(track.time_s, foot_height_px(
            track, side, leg_length_px,
            each_own_ground=HEEL_AND_TOE_EACH_OWN_GROUND[pose_model]), grid_s)  # px up
    left_in_front = np.nan_to_num(forward["left"], nan=-np.inf) >= np.nan_to_num(
        forward["right"], nan=-np.inf)
    front = np.where(left_in_front, forward["left"], forward["right"])
    rear = np.where(left_in_front, forward["right"], forward["left"])
    height_front = np.where(left_in_front, height["left"], height["right"])
    height_rear = np.where(left_in_front, height["right"], height["left"])
    brackets = contact_brackets(front, grid_s, leg_length_px=leg_length_px, rear_px=rear,
                                min_step_s=MIN_STEP_S / 2)
    stance = [stance_foot(front, rear, p, q) for p, q in brackets]
    stance_height = [np.where(s, height_front, height_rear) for s in stance]
    stance_forward = [np.where(s, front, rear) for s in stance]
    noise = height_noise_px(np.concatenate(stance_height) if stance_height else np.array([]),
                            [(p + k * len(grid_s), q + k * len(grid_s))
                             for k, (p, q) in enumerate(brackets)])
    tolerance = max(FINE_NOISE_SDS[pose_model] * noise, FINE_TOLERANCE_LEG * leg_length_px)
    sides = alternating_sides([float(grid_s[p]) for p, _ in brackets],
                              ["left" if left_in_front[p] else "right" for p, _ in brackets])
    rows, skipped, count = [], [], dict.fromkeys(SIDES, 0)
    for (peak, trough), side, h, f in zip(brackets, sides, stance_height, stance_forward,
                                          strict=True):
        when = float(grid_s[peak])
        if not (np.isfinite(h[peak:trough + 1]).all() and np.isfinite(f[peak:trough + 1]).all()):
            skipped.append(SkippedContact(side, when, "foot_not_visible"))
            continue
        strike = strike_time(grid_s, h, f, peak, trough, tolerance_px=tolerance,
                             noise_px=noise, require_descent=peak == 0,
                             extension_frames=STRIKE_EXTENSION_FRAMES[pose_model])
        toe_off = toe_off_time(grid_s, f, peak, trough,
                               velocity_fraction=TOE_OFF_VELOCITY_FRACTION[pose_model])
        lifted = lift_time(grid_s, h, peak, trough,
                           tolerance_px=TOE_OFF_LIFT_TOLERANCES * tolerance)
        if toe_off is not None and lifted is not None:
            toe_off = min(toe_off, lifted)  # never after the foot is seen up off the ground
        if strike is None:
            skipped.append(SkippedContact(side, when, "strike_not_found"))
            continue
        if toe_off is None or toe_off <= strike:
            if trough < len(grid_s) - 1:
                skipped.append(SkippedContact(side, when, "toe_off_not_found"))
                continue
            toe_off = float("nan")  # cut by the clip's end: the strike still ends a stride
        rows.append((side, "foot_strike", strike, count[side]))
        rows.append((side, "toe_off", toe_off, count[side]))
        count[side] += 1
    unseen = unseen_contacts(grid_s, [*forward.values(), *height.values()], skipped)
    skipped += missed_steps([float(grid_s[p]) for p, _ in brackets],
                            feet_unseen_s=tuple(c.time_s for c in unseen))
    skipped += unseen
    events = pd.DataFrame(rows, columns=["side", "event", "time_s", "contact"])
    return events.sort_values("time_s", kind="stable").reset_index(drop=True), skipped
