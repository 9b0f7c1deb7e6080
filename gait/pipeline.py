"""The one place that knows the order of the stages.

video → pose → cleaning → geometry/angles → events → strides → metrics →
reference comparison → drills → quality. `analyze_track` runs everything after
pose on a PoseTrack (so synthetic tracks can be analysed without a video);
`analyze_video` adds decoding and pose extraction.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from gait import __version__
from gait.drills import suggest_drills
from gait.events import detect_events
from gait.feet import feet_bottom_margin
from gait.keypoints import SIDES
from gait.kinematics import (
    IN_PLACE_TRAVEL_LEGS,
    Geometry,
    compute_angles,
    detect_geometry,
    estimate_speed_mps,
    pixels_per_metre,
)
from gait.level import levelled
from gait.metrics import (
    STRIDE_METRICS,
    cadence_spm,
    drop_angle_outliers,
    side_summary,
    stride_metrics,
    symmetry,
    variability,
)
from gait.posetrack import PoseTrack
from gait.progress import Progress
from gait.quality import FEET_OUTSIDE_SHARE, quality_flags
from gait.reference import (
    ELITE_MARKERS,
    MIN_STRIDES_TO_COMPARE,
    SPEED_FROM_CADENCE_SOURCE,
    compare,
    far_leg_allowed_deg,
    reference_at,
    speed_from_cadence,
    withheld_for_low_camera,
)
from gait.reliability import GIVE_CAPTURE_RATE, assess_reliability
from gait.result import (
    DEFAULT_OPTIONS,
    AnalysisError,
    AnalysisOptions,
    AnalysisSummary,
    GaitReport,
    OptionError,
    SlowMotionError,
)
from gait.shots import (
    analysed_shot,
    frames_in_shot,
    keep_shot,
    shot_facts,
    shot_note,
    slowed_shot,
)
from gait.slow_motion import apparent_slowdown, feet_stride_period_s, slowdown_from_strikes
from gait.strides import build_strides
from gait.summary import (
    ENTERED_BY_USER,
    CleaningReport,
    ClipFacts,
    GeometryFacts,
    ShotAnalysed,
    SideFigures,
    SlowMotion,
    Software,
)
from gait.tracks import clean_track

MIN_PERSON_VISIBLE_S = 1.0  # less than this cannot hold one stride


def _frames_table(raw: PoseTrack, clean: PoseTrack, angles: pd.DataFrame,
                  near_side: str) -> pd.DataFrame:
    """Per-frame table: clean keypoints, raw confidence, angles, repair flags."""
    cols: dict[str, np.ndarray] = {"frame": np.arange(raw.n_frames), "time_s": raw.time_s}
    for j, name in enumerate(raw.keypoints):
        cols[f"{name}_x_px"] = clean.x_px[:, j]
        cols[f"{name}_y_px"] = clean.y_px[:, j]
        cols[f"{name}_conf"] = clean.confidence[:, j]
    table = pd.DataFrame(cols)
    for col in angles.columns.drop(["frame", "time_s"]):
        table[col] = angles[col].to_numpy()
    for part in ("thigh", "hip", "knee", "shank"):
        table[f"near_{part}_deg"] = angles[f"{near_side}_{part}_deg"].to_numpy()
    table["person_detected"] = ~np.isnan(raw.x_px).all(axis=1)
    table["swap_repaired"] = clean.flags.get("swap_repaired", np.zeros(raw.n_frames, bool))
    table["interpolated"] = clean.flags.get("gap_filled", np.zeros(raw.n_frames, bool))
    for side in SIDES:  # conf columns used by stride confidence
        for part in ("hip", "knee", "ankle"):
            table[f"{side}_{part}_conf"] = raw.conf(f"{side}_{part}")
    return table


def _speed(options: AnalysisOptions, clean: PoseTrack, events: pd.DataFrame, geometry,
           cadence: float) -> tuple[float | None, str]:
    if options.speed_mps:
        return options.speed_mps, ENTERED_BY_USER
    px_per_m, height_given = pixels_per_metre(geometry, height_m=options.height_m)
    contacts = [(side, g["time_s"].iloc[0], g["time_s"].iloc[-1])
                for (side, _), g in events.groupby(["side", "contact"]) if len(g) == 2]
    # a runner in place in the picture (a treadmill, or a camera moving with an overground
    # runner, whatever the user called it): the ground's speed under the stance foot
    in_place = geometry.treadmill or geometry.hip_travel_leg_lengths < IN_PLACE_TRAVEL_LEGS
    speed = estimate_speed_mps(clean, contacts, treadmill=in_place, px_per_m=px_per_m)
    if speed is not None and 1.0 <= speed <= 9.0:
        height = (f"height {options.height_m:.2f} m" if height_given
                  else "assuming a body height of 1.75 m — enter yours for a better estimate")
        return speed, f"estimated from the video ({height})"
    if np.isfinite(cadence):
        return speed_from_cadence(cadence)[0], SPEED_FROM_CADENCE_SOURCE
    return None, "unknown"


def _raise_if_slow_motion(events: pd.DataFrame) -> None:
    """No stride was built: if the same foot's strikes are further apart than any running
    stride, the clip is slow motion stored at a lower playback rate — or nobody runs in it
    (people walking about an office, on a public CCTV clip, read as "3× slowed"); the
    swing's own period (`_apparent_slowdown`) catches most slowed runs before this."""
    factor = slowdown_from_strikes(events)
    if factor is not None:
        raise SlowMotionError(
            f"No complete stride was found, and the steps look about {factor:.0f}× slower "
            "than running. If nobody runs in the clip, film 10–20 s of steady running from "
            f"the side. If it is a slow-motion clip, {GIVE_CAPTURE_RATE[0].lower()}"
            f"{GIVE_CAPTURE_RATE[1:]}")


def facing_camera_message(geometry: Geometry) -> str:
    """What to do about a runner seen from the front or back (`Geometry.faces_camera`)."""
    return (
        "The runner seems to run toward or away from the camera: the shoulders look "
        f"{100 * geometry.shoulder_spread_leg_lengths:.0f} % of a leg length apart, where "
        "from the side they nearly overlap. HipDrive measures how the thigh swings back and "
        "forth, which only a side view shows: film from the side, the camera at hip height "
        "and square to the running direction, with the whole runner in view.")


def _raise_if_feet_cut_off(cleaning: CleaningReport) -> None:
    """No stride was built and the feet were often outside the picture: say so."""
    if cleaning.foot_outside_frame_share > FEET_OUTSIDE_SHARE:
        raise AnalysisError(
            f"The feet are cut off by the edge of the picture in "
            f"{100 * cleaning.foot_outside_frame_share:.0f} % of the frames, so no foot "
            "strike can be timed. Film with the whole runner in view, the feet and the ground "
            "under them included: step the camera back or zoom out.")


def _hip_speed_legs_per_s(clean: PoseTrack) -> float:
    """How fast the hips cross the picture, in leg lengths (hip→ankle) per second; 0 on a
    treadmill or with a panning camera."""
    hips = clean.xy("left_hip")[:, 0] / 2 + clean.xy("right_hip")[:, 0] / 2
    ok = np.isfinite(hips)
    if ok.sum() < 3:
        return 0.0
    leg_px = np.nanmedian([np.hypot(*(clean.xy(f"{s}_hip") - clean.xy(f"{s}_ankle")).T)
                           for s in SIDES])
    slope = np.polyfit(clean.time_s[ok], hips[ok], 1)[0]
    return float(abs(slope) / leg_px) if np.isfinite(leg_px) and leg_px > 0 else 0.0


def _apparent_slowdown(clean: PoseTrack, stored_fps: float) -> float | None:
    """How many times too slow the feet's swing looks (gait.slow_motion), from the stride
    period of the ankles' x relative to the hips, the hips' travel and the clip's rate."""
    hips = clean.xy("left_hip")[:, 0] / 2 + clean.xy("right_hip")[:, 0] / 2
    period = feet_stride_period_s(clean.time_s, *(clean.xy(f"{s}_ankle")[:, 0] - hips
                                                  for s in SIDES))
    return apparent_slowdown(period, hip_speed_legs_per_s=_hip_speed_legs_per_s(clean),
                             stored_fps=stored_fps)


def _comparable_medians(side_figures: SideFigures, metrics: list[str]) -> dict[str, float | None]:
    """The leg's medians of those `metrics` that at least MIN_STRIDES_TO_COMPARE of its
    strides hold (`SideFigures.strides_holding`: one stride is no figure to judge a runner
    by); only these are compared with the reference or used for drills."""
    return {m: side_figures.median(m) for m in metrics
            if side_figures.strides_holding(m) >= MIN_STRIDES_TO_COMPARE}


def analyze_track(raw: PoseTrack, *, options: AnalysisOptions = DEFAULT_OPTIONS,
                  capture_fps: float, video: ClipFacts | None = None) -> GaitReport:
    """Analyse a raw pose track (after pose estimation). A clip cut together from
    several shots (flag `scene_cut`, gait.shots) is analysed on one shot only: the one
    with the runner longest in view; a message that it cannot be analysed names it."""
    shot = analysed_shot(raw)
    if shot is None:
        return _analyze_track(raw, options=options, capture_fps=capture_fps, video=video)
    facts = shot_facts(raw, shot)
    try:
        return _analyze_track(keep_shot(raw, shot), options=options, capture_fps=capture_fps,
                              video=video, shot=facts)
    except AnalysisError as err:
        if isinstance(err, OptionError):  # about an option, not about the clip
            raise
        raise type(err)(f"{err} {shot_note(facts)}") from err


def _analyze_track(raw: PoseTrack, *, options: AnalysisOptions, capture_fps: float,
                   video: ClipFacts | None, shot: ShotAnalysed | None = None,
                   assumed_slowdown: float | None = None) -> GaitReport:
    """`analyze_track` on one shot (`shot`: where it lies in a clip with cuts). A clip
    whose steps look some factor too slow (slow motion played back at the stored rate,
    no capture rate given) is analysed again with its times divided by that factor, as
    if captured that much faster (`assumed_slowdown`); its summary and verdict say the
    times rest on that guess."""
    detected = ~np.isnan(raw.x_px).all(axis=1)
    seen_s = float(detected.sum()) * (raw.median_frame_interval_s if raw.n_frames > 1 else 0.0)
    if seen_s < MIN_PERSON_VISIBLE_S:
        raise AnalysisError(
            f"No runner was found in {100 * (1 - detected.mean()) if raw.n_frames else 100:.0f} %"
            " of the frames. Film from the side with the whole body in view, in good light.")
    clean, cleaning = clean_track(raw, cutoff_hz=options.cutoff_hz)
    geometry = detect_geometry(clean, treadmill=options.treadmill)
    if geometry.faces_camera:  # refused before any slow-motion guess re-runs the analysis
        raise AnalysisError(facing_camera_message(geometry))
    slowdown = (None if options.capture_fps or options.real_time or assumed_slowdown
                else _apparent_slowdown(clean, capture_fps))
    if slowdown:  # a slow-motion clip: analyse at the guessed rate, verdict not reliable
        return _analyze_track(raw.with_arrays(time_s=raw.time_s / slowdown), options=options,
                              capture_fps=capture_fps * slowdown, video=video,
                              shot=slowed_shot(shot, slowdown), assumed_slowdown=slowdown)
    level = levelled(clean, video.true_vertical) if video and video.true_vertical else None
    angles = compute_angles(level[0] if level else clean, direction=geometry.direction)
    events, skipped_contacts = detect_events(clean, leg_length_px=geometry.leg_length_px,
                                             direction=geometry.direction,
                                             pose_model=options.pose_model)
    frames = _frames_table(raw, clean, angles, geometry.near_side)
    strides, dropped = build_strides(events, skipped=skipped_contacts)
    if strides.empty:
        _raise_if_slow_motion(events)
        _raise_if_feet_cut_off(cleaning)
        raise AnalysisError(
            "No complete stride was found: the feet must be visible touching the ground. "
            "Film 10–20 s of steady running from the side with the feet in frame.")
    strides, dropped["angle_outlier"] = drop_angle_outliers(stride_metrics(frames, strides))
    if strides.empty:  # every stride found was left out for its angles: no figure to show
        raise AnalysisError(
            f"{dropped['angle_outlier']} stride(s) were found, but on none of them could the "
            "pose model follow the legs (their angles were not seen, or impossible), so "
            "HipDrive has no figure to show. Film from the side with the whole runner in "
            "view, in good light, in clothes that stand out from the background.")
    cadence = cadence_spm(strides)
    speed, speed_source = _speed(options, clean, events, geometry, cadence)
    reference = reference_at(speed) if speed else None
    per_side = side_summary(strides)
    sym = symmetry(per_side)
    # a phone the user says was low reads thigh and knee angles far short: those are not
    # compared (gait.reference.LOW_CAMERA_METRICS), nor used for drills
    compared_metrics = [m for m in STRIDE_METRICS
                        if not withheld_for_low_camera(options.camera_low, m)]
    near_medians = _comparable_medians(per_side[geometry.near_side], compared_metrics)
    # a speed read off the cadence makes the reference's cadence equal the runner's by
    # construction: it is then neither compared nor used for drills
    cadence_compared = (speed_source != SPEED_FROM_CADENCE_SOURCE
                        and len(strides) >= MIN_STRIDES_TO_COMPARE)
    compared_values = {k: v for k, v in (reference.values if reference else {}).items()
                       if k != "cadence_spm" or cadence_compared}
    comparison = {}
    if reference:
        for side in SIDES:
            medians = _comparable_medians(per_side[side], compared_metrics)
            if "cadence_spm" in compared_values:
                medians["cadence_spm"] = cadence
            comparison[side] = compare(medians, reference)
    drills = suggest_drills(
        near_medians=near_medians, reference_values=compared_values,
        cadence_spm=cadence if cadence_compared else None,
        thigh_extension_asymmetry_deg=(
            far_leg_allowed_deg(sym["peak_thigh_extension_deg"].left_minus_right,
                                near_side=geometry.near_side)
            if ("peak_thigh_extension_deg" in sym and not options.camera_low
                and all(per_side[side].strides_holding("peak_thigh_extension_deg")
                        >= MIN_STRIDES_TO_COMPARE for side in SIDES))
            else None))
    in_shot = frames_in_shot(raw)
    far_conf = float(np.nanmean([raw.conf(f"{geometry.far_side}_{p}")[in_shot].mean()
                                 for p in ("hip", "knee", "ankle")]))
    duration = float(raw.time_s[-1] - raw.time_s[0]) if raw.n_frames > 1 else 0.0
    flags = quality_flags(
        capture_fps=capture_fps, duration_s=shot.duration_s if shot else duration,
        strides_per_side={s: per_side[s].n_strides for s in SIDES}, geometry=geometry,
        cleaning=cleaning, frame_height_px=raw.frame_height_px, far_leg_confidence=far_conf,
        dropped_strides=dropped,
        repeated_frame_share=float(np.mean(raw.flags.get("repeated_frame", False))),
        frames_lost_to_damage=video.frames_lost_to_damage if video else 0,
        stored_fps=video.stored_fps if video else None,
        decoding_stopped_early=bool(video and video.decoding_stopped_early),
        other_people=video.other_people if video else None,
        feet_bottom_margin_foot_lengths=feet_bottom_margin(
            clean, picture_bottom_px=video.picture_bottom_px if video else None),
        levelled_by_deg=round(level[1], 2) if level else None,
        levelled_converging=bool(level and video.true_vertical.vanishing_w != 0.0),
        camera_low=options.camera_low, shot_note=shot_note(shot) if shot else None)
    stride_times = strides["stride_time_s"].to_numpy()
    summary = AnalysisSummary(
        software=Software(name="hipdrive", version=__version__,
                          pose_model=options.pose_model), video=video,
        options=options, capture_fps=capture_fps, duration_s=duration, cadence_spm=cadence,
        cadence_ci95_spm=(float(1.96 * np.std(120.0 / stride_times, ddof=1)
                                / np.sqrt(len(stride_times))) if len(stride_times) > 1
                          else None),
        direction=geometry.direction_label, near_side=geometry.near_side,
        far_side=geometry.far_side, treadmill=geometry.treadmill,
        treadmill_source=ENTERED_BY_USER if options.treadmill is not None
        else "detected from the video",
        speed_mps=speed, speed_source=speed_source, per_side=per_side, symmetry=sym,
        variability=variability(strides), strides_dropped=dropped,
        reference=reference.as_used(comparison) if reference else None,
        elite_markers=ELITE_MARKERS, drills=tuple(drills), quality=tuple(flags),
        cleaning=cleaning,
        geometry=GeometryFacts(leg_length_px=geometry.leg_length_px,
                               direction_agreement=geometry.direction_agreement,
                               hip_travel_leg_lengths=geometry.hip_travel_leg_lengths,
                               far_to_near_thigh_length=geometry.camera_side_on_ratio,
                               levelled_by_deg=round(level[1], 2) if level else None),
        slow_motion=SlowMotion(assumed_factor=assumed_slowdown,
                               assumed_capture_fps=round(capture_fps, 3))
        if assumed_slowdown else None, shot=shot,
        reliability=assess_reliability(
            strides=strides, events=events, in_view_s=seen_s, cadence_spm=cadence,
            capture_fps=capture_fps, stated_capture_fps=options.capture_fps,
            quality=tuple(flags), strides_dropped=dropped, assumed_slowdown=assumed_slowdown,
            hip_speed_legs_per_s=_hip_speed_legs_per_s(clean)))
    return GaitReport(summary=summary, strides=strides, frames=frames, events=events, track=clean)


def analyze_video(path: str | Path, *, options: AnalysisOptions = DEFAULT_OPTIONS,
                  progress: Progress | None = None, workers: int | None = None) -> GaitReport:
    """Decode the clip, find the pose in every frame and analyse it.

    `workers`: threads for the pose stage (`gait.segments`); None = the default
    (`gait.segments.default_workers()`), 1 = serial in this thread. Short clips are
    always done serially.
    """
    from gait.level import estimate_true_vertical
    from gait.people import FrameSampler, look_for_other_people
    from gait.picture import picture_bottom_px
    from gait.pose import MediaPipePose, extract_pose
    from gait.roi import mediapipe_roi_pose
    from gait.segments import extract_pose_parallel, resolve_workers
    from gait.video import DecodeStats, iter_frames, probe_video

    info = probe_video(path, capture_fps=options.capture_fps)
    parallel = extract_pose_parallel(path, info=info, workers=resolve_workers(workers),
                                     progress=progress, pose_model=options.pose_model)
    if parallel is not None:
        raw, decoding, sampler = parallel
    else:
        decoding = DecodeStats()
        sampler = FrameSampler(info.n_frames_estimate)
        with mediapipe_roi_pose(options.pose_model) as estimator:  # zooms in on small runners
            frames = sampler.pass_through(iter_frames(path, info=info, stats=decoding))
            raw = extract_pose(frames, estimator, n_frames_estimate=info.n_frames_estimate,
                               width_px=info.width_px, height_px=info.height_px,
                               progress=progress)
    with MediaPipePose(static_image_mode=True, model=options.pose_model) as detector:
        people = look_for_other_people(sampler, raw, detector)
    true_vertical = estimate_true_vertical(sampler, raw)
    if progress:
        progress("analysis", 1.0, 0.0)
    video = ClipFacts(file=Path(path).name, width_px=info.width_px, height_px=info.height_px,
                      rotation_deg=info.rotation_deg, stored_fps=info.stored_fps,
                      capture_fps=info.capture_fps, codec=info.codec,
                      damaged_packets=decoding.damaged_packets,
                      corrupt_frames=decoding.corrupt_frames,
                      decoding_stopped_early=decoding.stopped_early, other_people=people,
                      true_vertical=true_vertical,
                      picture_bottom_px=picture_bottom_px(sampler.kept, info.height_px))
    report = analyze_track(raw, options=options, capture_fps=info.capture_fps, video=video)
    report.video_info = info.at_capture_rate(report.summary.capture_fps)
    return report
