"""Quality flags a user can act on: what limits the numbers and how to film better."""

from __future__ import annotations

import numpy as np

from gait.kinematics import Geometry
from gait.level import LEVELLED_NOTE_DEG
from gait.people import MIN_FRAMES_WITH_OTHERS
from gait.reference import FAR_LEG_LOW_TEXT
from gait.slow_motion import analysed_faster_than_stored
from gait.strides import DROP_REASONS
from gait.summary import CleaningReport, OtherPeople, QualityFlag

MIN_STRIDES_PER_SIDE = 7  # Dingenen 2018
MIN_FPS_FOR_CONTACT = 60.0  # Souza 2016
MIN_RUNNER_FRACTION_OF_FRAME = 0.4
SHORT_CLIP_S = 8.0
REPEATED_FRAMES_SHARE = 0.1  # more repeated pictures than this is a converted clip
FEET_OUTSIDE_SHARE = 0.1  # feet outside the picture in more of the runner's frames: say so
# Feet coming down closer than this to the picture's bottom (× the foot's length,
# gait.feet.feet_bottom_margin): the edge may cut a foot on the ground. Measured: a real
# clip with its bottom 5 % cut away 0.2 (strikes 1.3 frames early), the same clip panned
# down to 20 px above the feet 0.4, as filmed 0.8, the rendered clips 1.6.
FEET_EDGE_MARGIN_FOOT_LENGTHS = 0.5
# Below this height (head to toe, in the clip's own pixels) one pixel of keypoint error is
# 2°+ on the thigh (~0.25 H long): angles are too coarse to compare with a reference.
MIN_RUNNER_HEIGHT_PX = 100.0
CAMERA_LOW_FLAG = "camera_low"  # the quality id of a phone the user says was low
CAMERA_LOW_MESSAGE = (
    "You said the phone was low (near the floor or a treadmill's belt). From there HipDrive "
    "read the thigh 10–25° short of the hip joint on the one such real clip measured, so the "
    "thigh and knee angles are shown but not compared with the reference nor used for "
    "drills. Steps and timing are not affected. Film at about hip height to compare angles.")


def quality_flags(*, capture_fps: float, duration_s: float, strides_per_side: dict[str, int],
                  geometry: Geometry, cleaning: CleaningReport, frame_height_px: int,
                  far_leg_confidence: float, dropped_strides: dict[str, int],
                  repeated_frame_share: float = 0.0, frames_lost_to_damage: int = 0,
                  decoding_stopped_early: bool = False,
                  other_people: OtherPeople | None = None,
                  feet_bottom_margin_foot_lengths: float = float("nan"),
                  stored_fps: float | None = None,
                  levelled_by_deg: float | None = None,
                  levelled_converging: bool = False,
                  camera_low: bool = False,
                  shot_note: str | None = None) -> list[QualityFlag]:
    """All flags that apply, most important first. `repeated_frame_share`: fraction of
    frames that repeat the previous picture; `frames_lost_to_damage`: damaged packets
    skipped and frames the decoder marked corrupt; `decoding_stopped_early`: the file
    could not be decoded past some point; `other_people`: what gait.people's check
    found; `feet_bottom_margin_foot_lengths`: how far
    above the picture's bottom the feet come down (gait.feet.feet_bottom_margin);
    `stored_fps`: the file's own rate when it differs from `capture_fps` (slow motion:
    times and rates are then per second of running); `levelled_by_deg`: the lean of the
    true vertical at the runner that angles were corrected by (gait.level), and
    `levelled_converging` whether its edges converge (a camera tilted up or down) rather
    than run parallel (a rolled camera); `camera_low`: the user says the phone was low
    (gait.result.AnalysisOptions.camera_low); `shot_note`: which shot of a clip with
    cuts was analysed (gait.shots.shot_note), None for a clip in one take."""
    flags: list[QualityFlag] = []
    if shot_note:
        flags.append(QualityFlag("scene_cuts", "warning", shot_note))
    if other_people and other_people.frames_with_others >= MIN_FRAMES_WITH_OTHERS:
        flags.append(QualityFlag(
            "several_people", "warning",
            f"Somebody besides the runner was seen in {other_people.frames_with_others} of "
            f"{other_people.frames_checked} frames checked. The pose model follows one "
            "person and may switch between people: check in the annotated video that the "
            "skeleton stays on the runner, or film with only the runner in view."))
    if frames_lost_to_damage or decoding_stopped_early:
        end = " and decoding stopped before the end of the file" if decoding_stopped_early \
            else ""
        flags.append(QualityFlag(
            "damaged_video", "warning",
            f"The video file is damaged: {frames_lost_to_damage} frame(s) could not be read"
            f"{end}. Strides there are missing and events near the damage may be off. Export "
            "the clip again from the phone (or copy it again) and upload the new file."))
    slowed = analysed_faster_than_stored(capture_fps=capture_fps, stored_fps=stored_fps)
    distinct_fps = capture_fps * (1.0 - repeated_frame_share)
    if repeated_frame_share > REPEATED_FRAMES_SHARE:
        rates = (f"per second of running, although the file plays at {stored_fps:.0f} "
                 f"frames/s ({capture_fps:.0f} per second of running, as analysed; "
                 if slowed else f"per second although it plays at {capture_fps:.0f} frames/s (")
        flags.append(QualityFlag(
            "repeated_frames", "warning",
            f"{100 * repeated_frame_share:.0f} % of the frames repeat the picture before them: "
            f"the clip holds only about {distinct_fps:.0f} different pictures {rates}"
            "converted from a lower frame rate, or slowed down by repeating frames). Events "
            "and contact times are only as precise as those pictures. Upload the original "
            "recording from the phone."))
        capture_fps = distinct_fps
    if capture_fps < MIN_FPS_FOR_CONTACT:
        frame_ms = 1000.0 / capture_fps
        flags.append(QualityFlag(
            "low_frame_rate", "warning",
            f"{capture_fps:.0f} pictures per second{' of running' if slowed else ''}: each "
            f"is {frame_ms:.0f} ms apart, so contact "
            "times are uncertain by at least one frame, and on some real clips at 25–30 fps "
            "HipDrive's came out 2–4 frames off (Method: measured accuracy). Treat contact "
            "times as rough. Film at 60 fps or more (120–240 is better)."))
    few = {s: n for s, n in strides_per_side.items() if n < MIN_STRIDES_PER_SIDE}
    if few:
        listed = ", ".join(f"{n} {s}" for s, n in few.items())
        flags.append(QualityFlag(
            "few_strides", "warning",
            f"Only {listed} stride(s) found; at least {MIN_STRIDES_PER_SIDE} per leg are needed "
            "for stable averages. Film 10–20 s of steady running."))
    if duration_s < SHORT_CLIP_S:
        flags.append(QualityFlag(
            "short_clip", "info",
            f"The clip holds {duration_s:.1f} s of running; 10–20 s gives enough strides."))
    side_on = 0.8 <= geometry.camera_side_on_ratio <= 1.25 if np.isfinite(
        geometry.camera_side_on_ratio) else False
    if not side_on or geometry.direction_agreement < 0.75:
        flags.append(QualityFlag(
            "not_side_on", "warning",
            "The camera does not look side-on (the legs appear foreshortened or the running "
            "direction is unclear). Place the camera perpendicular to the running direction at "
            "hip height; angles from an oblique view are distorted."))
    runner_height_px = geometry.leg_length_px / 0.53  # leg ≈ 0.49 H, with foot ≈ 0.53 H
    if runner_height_px < MIN_RUNNER_FRACTION_OF_FRAME * frame_height_px:
        flags.append(QualityFlag(
            "runner_small", "warning",
            f"The runner fills only about {100 * runner_height_px / frame_height_px:.0f} % of the "
            "frame height; move closer or zoom so the runner fills at least half of it."))
    if runner_height_px < MIN_RUNNER_HEIGHT_PX:
        flags.append(QualityFlag(
            "runner_few_pixels", "warning",
            f"The runner is only about {runner_height_px:.0f} pixels tall in the video: one "
            "pixel of error moves the thigh angle by 2° or more, so the angles are coarse. "
            "Film at 720p or more with the runner filling at least half the frame height."))
    if far_leg_confidence < 0.6:
        flags.append(QualityFlag(
            "far_leg_occluded", "info",
            f"The far ({geometry.far_side}) leg is often hidden behind the near leg (pose "
            f"confidence {far_leg_confidence:.2f}); its numbers are less certain than the near "
            f"({geometry.near_side}) leg's."))
    flags.append(QualityFlag(
        "one_side_view", "info",
        f"Left/right differences come from one side view: the far ({geometry.far_side}) leg is "
        "seen through the near one, and on clips with known truth it read "
        f"{FAR_LEG_LOW_TEXT} less thigh extension than the near leg. To compare your legs, "
        "film a pass in each direction and compare each leg while it is the near leg."))
    if cleaning.swap_repaired_frames:
        flags.append(QualityFlag(
            "swaps_repaired", "info",
            f"The pose model mixed up the left and right legs in {cleaning.swap_repaired_frames}"
            " frame(s); these were repaired. Shorts and shoes of different colours or brighter "
            "light help."))
    if cleaning.unfilled_frames > 0.1 * cleaning.n_frames:
        flags.append(QualityFlag("gaps", "warning",
                                 gaps_message(cleaning, treadmill=geometry.treadmill)))
    if cleaning.foot_outside_frame_share > FEET_OUTSIDE_SHARE:
        flags.append(QualityFlag(
            "feet_outside_frame", "warning",
            f"A foot was outside the picture in {cleaning.foot_outside_frame_frames} of "
            f"{cleaning.n_frames - cleaning.frames_without_person} frames with the runner "
            "(cut off at the edge): steps there cannot "
            "be timed and are left out. Keep the whole runner, feet and the ground under "
            "them included, in view: step the camera back or zoom out."))
    if feet_bottom_margin_foot_lengths < FEET_EDGE_MARGIN_FOOT_LENGTHS:
        flags.append(QualityFlag(
            "feet_at_bottom_edge", "warning",
            "The feet come down at the bottom edge of the picture. If the edge cuts a foot on "
            "the ground, the pose model squeezes the foot into the picture and foot strikes "
            "come early (1–2 frames on a real clip with its bottom cut). Leave some ground "
            "below the feet: tilt the camera down a little or step back."))
    if levelled_by_deg is not None and abs(levelled_by_deg) >= LEVELLED_NOTE_DEG:
        flags.append(QualityFlag("picture_levelled", "info", levelled_note(
            levelled_by_deg, direction=geometry.direction, converging=levelled_converging)))
    n_dropped = sum(dropped_strides.values())
    if n_dropped:
        reasons = "; ".join(f"{n} because {DROP_REASONS[reason]}"
                            for reason, n in dropped_strides.items() if n)
        flags.append(QualityFlag(
            "strides_dropped", "info",
            f"{n_dropped} stride(s) seen in the clip were left out: {reasons}."))
    if camera_low:  # last: what the user said never hides what was found
        flags.append(QualityFlag(CAMERA_LOW_FLAG, "warning", CAMERA_LOW_MESSAGE))
    return flags


def gaps_message(cleaning: CleaningReport, *, treadmill: bool) -> str:
    """Frames without a shoulder, hip, knee or ankle: the runner gone, or (when the runner
    was seen in most of them) a part of the body hidden, usually the far leg (on a
    treadmill, often behind its console: named only there)."""
    n, total = cleaning.unfilled_frames, cleaning.n_frames
    if cleaning.frames_without_person >= n / 2:
        return (f"No usable pose in {n} of {total} frames (runner out of view or hidden). "
                "Keep the whole body in frame.")
    example = " (a treadmill's console)" if treadmill else ""
    return (f"Part of the body could not be seen in {n} of {total} frames, although the "
            "runner was: usually the far leg, hidden by the near one or by something in "
            f"front of it{example}. Angles that need it are left out of those "
            "strides. Film side-on with nothing between the camera and the runner.")


def levelled_note(lean_deg: float, *, direction: int, converging: bool) -> str:
    """The quality note of a levelled picture (gait.level): by how much, which way the
    picture's own vertical would have moved the figures, and what to do next time.
    Measured against the picture's vertical a thigh angle reads direction × lean more
    (so thigh extension that much less) and the trunk lean that much less."""
    size = f"{abs(lean_deg):.1f}°"
    shift = direction * lean_deg
    less_or_more = "less" if shift > 0 else "more"  # both thigh extension and trunk lean
    advice = ("point the camera level, at hip height (these edges converge: it was tilted "
              "up or down)" if converging else "level the phone (its grid or level helps)")
    return (f"The camera was not level: where the runner is, straight vertical edges behind "
            f"them run {size} off the picture's vertical (their lower ends to the "
            f"{'right' if lean_deg > 0 else 'left'}). Thigh, shank and trunk angles were "
            f"measured against those edges, the true vertical; against the picture's own "
            f"vertical the thigh extension would have read about {size} {less_or_more} and "
            f"the trunk about {size} {less_or_more} forward lean. In the annotated video "
            "(when one is made) a dashed white line shows that vertical: if it runs along the "
            f"walls, these figures stand. Next time {advice}.")
