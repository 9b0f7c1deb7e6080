"""The trust verdict (gait.reliability): each signal on constructed stride and event
tables, then end to end through analyze_track on synthetic tracks."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from gait import reliability as rel
from gait import slow_motion
from gait.cli import final_line
from gait.pipeline import analyze_track
from gait.reliability import assess_reliability
from gait.result import AnalysisOptions, AnalysisSummary, summary_json
from gait.summary import QualityFlag, Reason, Reliability
from gait.summary_versions import upgrade_summary
from synthetic.runner_model import synthesize_run, to_pose_track


def strides_table(n_per_leg: int = 12, *, stride_s=0.7, contact_s=0.22, extension_deg=15.0,
                  flexion_deg=45.0) -> pd.DataFrame:
    """Strides of both legs; each keyword is a number or a per-stride sequence (used for
    both legs)."""
    def per_stride(value):
        return np.resize(np.asarray(value, dtype=float), n_per_leg)

    rows = []
    for offset, side in ((0.0, "left"), (0.35, "right")):
        times = per_stride(stride_s)
        start = offset + np.concatenate([[0.0], np.cumsum(times)[:-1]])
        contact = per_stride(contact_s)
        rows.append(pd.DataFrame({
            "side": side, "stride": np.arange(1, n_per_leg + 1), "start_s": start,
            "end_s": start + times, "toe_off_s": start + contact, "stride_time_s": times,
            "contact_time_s": contact, "peak_thigh_extension_deg": per_stride(extension_deg),
            "peak_thigh_flexion_deg": per_stride(flexion_deg)}))
    return pd.concat(rows, ignore_index=True)


def events_table(sides: str, *, step_s: float = 0.35) -> pd.DataFrame:
    """Foot strikes in the order given ("lrlr…"), one step apart, each with a toe-off."""
    rows = []
    for i, letter in enumerate(sides):
        side = {"l": "left", "r": "right"}[letter]
        rows += [(side, "foot_strike", i * step_s, i), (side, "toe_off", i * step_s + 0.2, i)]
    return pd.DataFrame(rows, columns=["side", "event", "time_s", "contact"])


def assess(strides=None, *, events=None, in_view_s=None, cadence_spm=None, capture_fps=60.0,
           **kw):
    strides = strides_table() if strides is None else strides
    events = events_table("lr" * 13) if events is None else events
    cadence = cadence_spm or 120.0 / strides["stride_time_s"].mean()
    in_view = in_view_s if in_view_s is not None else (len(strides) / 2 + 1.5) * 120 / cadence
    return assess_reliability(strides=strides, events=events, in_view_s=in_view,
                              cadence_spm=cadence, capture_fps=capture_fps, **kw)


def ids(result, severity=None) -> list[str]:
    return [r.id for r in result.reasons if severity is None or r.severity == severity]


def test_steady_running_is_reliable():
    result = assess()
    assert result.verdict == "reliable" and result.reasons == ()
    assert result.as_json() == {"verdict": "reliable", "reasons": []}


def test_reasons_are_plain_sentences_and_the_verdict_is_the_worst():
    result = assess(strides_table(5, stride_s=1.4, contact_s=0.45))
    assert result.verdict == "not_reliable"
    severities = [r.severity for r in result.reasons]
    assert severities == sorted(severities, key=rel.VERDICTS.index, reverse=True)
    assert {"use_with_care", "not_reliable"} == set(severities)
    for reason in result.as_json()["reasons"]:
        assert set(reason) == {"id", "severity", "message"}
        assert reason["message"].endswith(".") and len(reason["message"]) > 40


@pytest.mark.parametrize(("in_view_s", "verdict"), [(9.0, "reliable"), (14.0, "use_with_care"),
                                                    (40.0, "not_reliable")])
def test_stride_yield_against_the_strides_in_view(in_view_s, verdict):
    # 12 strides per leg at 0.7 s; expected per leg = seconds × 171.4/120 − 1
    result = assess(in_view_s=in_view_s, strides_dropped={"no_toe_off": 4})
    assert result.verdict == verdict
    assert ("stride_yield" in ids(result)) == (verdict != "reliable")
    if verdict != "reliable":
        assert "no toe off: 4" in result.reasons[0].message


def test_yield_judged_on_the_better_leg_for_not_reliable():
    strides = strides_table(12)
    one_leg_short = strides[(strides["side"] == "left") | (strides["stride"] <= 3)]
    result = assess(one_leg_short, in_view_s=9.0)
    assert ids(result, "use_with_care") == ["few_strides", "stride_yield"]
    assert result.verdict == "use_with_care"


def test_few_strides():
    assert ids(assess(strides_table(6)), "use_with_care") == ["few_strides"]
    assert "few_strides" not in ids(assess(strides_table(7)))
    result = assess(strides_table(2))
    assert result.verdict == "not_reliable" and ids(result) == ["few_strides"]


def test_stride_time_variability():
    assert assess(strides_table(stride_s=[0.68, 0.72])).verdict == "reliable"  # CV 2.9 %
    result = assess(strides_table(stride_s=[0.63, 0.77]))  # CV 10.3 %
    assert ids(result) == ["stride_time_variable"] and result.verdict == "use_with_care"


def test_thigh_extension_and_flexion_variability():
    assert assess(strides_table(extension_deg=[13, 17])).verdict == "reliable"  # SD 2.1°
    result = assess(strides_table(extension_deg=[8.5, 21.5]))  # SD 6.8°: the lab clip
    assert ids(result) == ["thigh_extension_variable"] and result.verdict == "use_with_care"
    assert "6.8°" in result.reasons[0].message
    result = assess(strides_table(flexion_deg=[22, 68]))  # SD 24°
    assert ids(result) == ["thigh_flexion_variable"] and result.verdict == "not_reliable"


def test_contact_time_variability_allows_for_the_frame_rate():
    strides = strides_table(contact_s=[0.16, 0.22, 0.28])  # CV 23 %
    assert "contact_time_variable" in ids(assess(strides, capture_fps=240.0))
    assert "contact_time_variable" not in ids(assess(strides, capture_fps=30.0))


def test_implausible_contact_times_and_duty_factor():
    walking = assess(strides_table(stride_s=1.1, contact_s=0.66), cadence_spm=109.0)
    assert walking.verdict == "not_reliable" and "duty_factor" in ids(walking, "not_reliable")
    assert "slow_motion" not in ids(walking)  # walking proportions are not slow motion
    early = assess(strides_table(contact_s=0.1))
    assert ids(early, "use_with_care") == ["duty_factor"]
    spread = assess(strides_table(contact_s=[0.2, 0.2, 0.04, 0.22, 0.9]), capture_fps=30.0)
    assert "contact_time_implausible" in ids(spread)
    assert "0.04 to 0.90 s" in next(r.message for r in spread.reasons
                                    if r.id == "contact_time_implausible")


@pytest.mark.parametrize(("sides", "verdict"), [
    ("lr" * 13, "reliable"),
    ("lrllrlrrlrlrllrlrlrrlrl", "use_with_care"),  # 4 of 22 strikes repeat the foot
    ("llrrllrrlrllrrlrrl", "not_reliable")])  # 7 of 17
def test_feet_must_alternate(sides, verdict):
    result = assess(events=events_table(sides))
    assert result.verdict == verdict
    assert ("feet_not_alternating" in ids(result)) == (verdict != "reliable")


def test_slow_motion_is_checked_even_when_strides_were_found():
    slowed = strides_table(stride_s=1.4, contact_s=0.45)  # a 0.7 s stride played at ½ speed
    result = assess(slowed)
    assert "slow_motion" in ids(result, "not_reliable") and result.verdict == "not_reliable"
    message = result.reasons[0].message
    assert result.reasons[0].id == "slow_motion"
    assert "capture rate" in message and "2.0×" in message
    assert "--capture-fps" not in message  # the same words on every surface: each adds
    assert final_line(result).endswith("(the capture rate: --capture-fps N)")  # its own way
    stated = assess(slowed, stated_capture_fps=120.0)
    assert "slow_motion" in ids(stated, "use_with_care")
    # cadence under 110 with contacts long in running proportions
    assert "slow_motion" in ids(assess(strides_table(stride_s=1.15, contact_s=0.42)))
    assert "slow_motion" not in ids(assess(strides_table(stride_s=0.8, contact_s=0.28)))
    # slowed overground: the hips cross slowly too, so the stride length is a running one
    assert "slow_motion" in ids(assess(slowed, hip_speed_legs_per_s=2.2))
    # a slowed sprinter: 1.4 s × 4.4 leg lengths/s = 6.2 leg lengths, a sprint stride
    assert "slow_motion" in ids(assess(slowed, hip_speed_legs_per_s=4.4))
    # real time, hips at sprint speed: 1.4 s "strides" would be 8.4 leg lengths long
    doubled = assess(slowed, hip_speed_legs_per_s=6.0)
    assert ids(doubled, "not_reliable")[0] == "strides_too_long"
    assert "slow_motion" not in ids(doubled)
    # one long "stride" is more likely a missed foot strike than slow motion
    single = strides_table(1, stride_s=1.4, contact_s=0.2).iloc[:1]
    assert "slow_motion" not in ids(assess(single, in_view_s=3.0))
    assert ids(assess(single, assumed_slowdown=4.0), "not_reliable")[0] == "slow_motion"


def test_quality_flags_that_limit_the_figures():
    quality = (QualityFlag(id="runner_small", severity="warning", message="Runner small."),
               QualityFlag(id="one_side_view", severity="info", message="One side."))
    result = assess(quality=quality)
    assert ids(result) == ["runner_small"] and result.verdict == "use_with_care"
    assert result.reasons[0].message == "Runner small."


def test_a_saved_verdict_is_kept_and_a_missing_one_is_assessed(clean_report):
    """An older summary.json (no schema_version) is brought up to today's shape by
    gait.summary_versions.upgrade_summary: a saved verdict is kept, a missing one is
    assessed from the tables. The older summaries are a real one's JSON with the keys
    the verdict rests on replaced."""
    strides, events = strides_table(5), events_table("lr" * 6)
    frames = pd.DataFrame({"time_s": np.arange(0, 5, 1 / 60), "person_detected": True})
    today = json.loads(summary_json(clean_report))
    version_1 = {k: v for k, v in today.items() if k != "schema_version"}
    saved = {"verdict": "reliable", "reasons": []}
    kept = upgrade_summary(dict(version_1, reliability=saved), strides=strides,
                           events=events, frames=frames)
    assert kept["reliability"] is saved
    assert AnalysisSummary.from_json(kept).reliability == Reliability("reliable", ())
    # only what the old test summary held: no verdict, options, drops or slow motion
    old = {k: v for k, v in version_1.items()
           if k not in ("reliability", "options", "strides_dropped", "slow_motion")}
    old |= {"cadence_spm": 171.4, "capture_fps": 60.0, "quality": []}
    upgraded = upgrade_summary(old, strides=strides, events=events, frames=frames)
    assessed = upgraded["reliability"]
    assert assessed["verdict"] == "use_with_care" and assessed["reasons"][0]["id"] == (
        "few_strides")
    opened = AnalysisSummary.from_json(upgraded).reliability
    assert opened.verdict == "use_with_care" and opened.reasons[0].id == "few_strides"


def test_stride_period_and_slowdown():
    t = np.arange(0, 12, 1 / 30)
    swing = [np.sin(2 * np.pi * t / 2.8) * 80, np.sin(2 * np.pi * (t / 2.8 + 0.5)) * 80]
    assert slow_motion.stride_period_s(t, swing) == pytest.approx(2.8, abs=0.05)
    assert slow_motion.stride_period_s(t, [np.random.default_rng(1).normal(size=len(t))]) is None
    assert slow_motion.apparent_slowdown(2.8) == 4 and slow_motion.apparent_slowdown(1.4) == 2
    assert slow_motion.apparent_slowdown(5.9) == 8 and slow_motion.apparent_slowdown(0.75) is None
    assert slow_motion.apparent_slowdown(1.5, hip_speed_legs_per_s=1.5) == 2
    assert slow_motion.apparent_slowdown(1.5, hip_speed_legs_per_s=4.4) == 2  # 6.6: sprint
    assert slow_motion.apparent_slowdown(1.5, hip_speed_legs_per_s=6.0) is None  # 9 legs
    line = rel.verdict_line(Reliability(verdict="use_with_care", reasons=(
        Reason(id="x", severity="use_with_care", message="First."),)))
    assert line == "reliability: use_with_care — First."


def test_slowdown_snaps_to_a_phone_capture_rate_over_the_stored_rate():
    """Phones film slow motion at 120 or 240 frames/s; stored at 30 that is 4× or 8×, but
    a 120 frames/s clip played as cinema (23.976) is 5× slowed and as PAL video (25)
    4.8×. A real overground clip of that kind (stride 3.6 s as stored) was analysed at 4×
    before: cadence 133 instead of ~167 steps/min."""
    snap = slow_motion.apparent_slowdown
    assert snap(3.6, stored_fps=23.976) == 5.005  # 120 / 23.976, rounded to 3 decimals
    assert snap(3.4, stored_fps=25.0) == pytest.approx(4.8)
    assert snap(2.8, stored_fps=30.0) == 4 and snap(5.9, stored_fps=30.0) == 8
    assert snap(1.4, stored_fps=60.0) == 2 and snap(2.8, stored_fps=60.0) == 4
    assert snap(1.4, stored_fps=29.97) == pytest.approx(2.002, abs=0.001)
    assert snap(0.75, stored_fps=23.976) is None
    assert snap(1.4, stored_fps=15.0) == 2  # not a playback rate: a 30 fps clip at ½ speed
    reasons = rel._slow_motion(pd.DataFrame(), cadence_spm=167.0, stated_capture_fps=None,
                               assumed_slowdown=120 / 23.976, hip_speed_legs_per_s=None)
    assert "about 5.0× slower" in reasons[0].message


def test_the_stride_period_is_the_fundamental_not_a_multiple():
    """A swing that differs a little every other stride (noise, leg labels mixed up on
    alternate strides) can correlate with itself slightly more at two strides than at
    one; that is not a 2x slow-motion clip. Measured on a real treadmill clip re-encoded
    small and hard: 0.46 at one stride against 0.47 at two."""
    t = np.arange(0, 10, 1 / 30)
    swing = np.sin(2 * np.pi * t / 0.7) * 60 + np.sin(2 * np.pi * t / 1.4) * 15
    v = swing - swing.mean()
    correlation = np.correlate(v, v, mode="full")[len(v) - 1:] / np.dot(v, v)
    one, two = (int(round(lag * 30)) for lag in (0.7, 1.4))
    assert correlation[two] > correlation[one]  # the highest peak is at two strides…
    assert slow_motion.stride_period_s(t, [swing]) == pytest.approx(0.7, abs=0.04)
    assert slow_motion.apparent_slowdown(slow_motion.stride_period_s(t, [swing])) is None
    # a real 2x slow-motion swing (period 1.4 s) has no such shorter peak: it stays 2x
    slowed = np.sin(2 * np.pi * t / 1.4) * 60 + np.sin(2 * np.pi * t / 0.7) * 10
    assert slow_motion.stride_period_s(t, [slowed]) == pytest.approx(1.4, abs=0.04)


def test_the_stride_period_is_a_peak_not_the_flank_at_the_shortest_lag():
    """A 4× slowed swing (2.5 s per stride as stored) after a paused start with the feet
    held apart (a screen recording of a video app: the first 1.2 s frozen, then 0.8 s of
    a fast pan): the correlation at the shortest lag (0.35 s), still on the flank of its
    zero-lag peak, came higher than the stride's own peak, so the period read 0.37 s and
    the clip was analysed as real-time running. Measured on such a real clip: 0.50 at
    0.35 s against 0.43 at 2.5 s."""
    t = np.arange(0, 9, 1 / 30)
    feet = []
    for sign, seed in ((1, 3), (-1, 5)):
        swing = sign * np.cos(2 * np.pi * t / 2.5) * 110
        swing += np.random.default_rng(seed).normal(0, 8, len(t))
        swing[:36] = sign * 120.0  # paused with this foot in front
        swing[36:60] = np.linspace(sign * 120.0, -sign * 90.0, 24)  # the pan
        feet.append(swing)
    total = sum(np.correlate(v - v.mean(), v - v.mean(), mode="full")[len(v) - 1:]
                / np.dot(v - v.mean(), v - v.mean()) for v in feet)
    assert total[11] > max(total[60:90])  # the flank beats the stride's peak…
    period = slow_motion.stride_period_s(t, feet)
    assert 2.2 <= period <= 2.6  # …but only a peak is a period
    assert slow_motion.apparent_slowdown(period, stored_fps=30.0) == 4


def test_the_stride_period_survives_leg_labels_swapped_at_many_steps():
    """On a dark silhouette the pose model cannot tell left from right and swaps the
    legs' labels at irregular steps: each labelled foot then shows no period. A real 4×
    slowed overground clip of that kind read as real-time running ("no complete stride").
    The feet's fore-aft spread peaks at every step whichever foot is called left."""
    t = np.arange(0, 8.4, 1 / 30)
    stride_s = 3.4
    front = 120 * np.cos(2 * np.pi * t / stride_s)
    step_index = (t // (stride_s / 2)).astype(int)
    swapped = np.array([False, True, True, True, False])[step_index]
    noise = np.random.default_rng(0).normal(0, 5, (2, len(t)))
    left = np.where(swapped, -front, front) + noise[0]
    right = np.where(swapped, front, -front) + noise[1]
    assert slow_motion.stride_period_s(t, [left, right]) is None
    assert slow_motion.feet_stride_period_s(t, left, right) == pytest.approx(stride_s, abs=0.1)
    # with labels that hold, the labelled feet decide (the spread is only a fallback)
    assert slow_motion.feet_stride_period_s(t, front + noise[0], -front + noise[1]) == (
        slow_motion.stride_period_s(t, [front + noise[0], -front + noise[1]]))
    assert slow_motion.feet_stride_period_s(t, noise[0], noise[1]) is None


def test_a_slowed_clip_with_swapped_leg_labels_is_analysed_as_slow_motion():
    """A runner filmed at 120 frames/s and stored at 30 (4× slow motion), the legs'
    labels swapped on two whole steps: analysed at the guessed rate, not reliable for
    that reason, cadence right; before the spread fallback: "No complete stride"."""
    run = synthesize_run(fps=120, duration_s=2.4, seed=4)
    step_frames = 120 * 60 / 171.0
    swaps = tuple((int(k * step_frames), int((k + 1) * step_frames)) for k in (1, 4))
    track = to_pose_track(run, noise_px=1.0, swap_frames=swaps, seed=2)
    report = analyze_track(track.with_arrays(time_s=track.time_s * 4), capture_fps=30.0)
    assert report.summary.slow_motion.assumed_factor == 4.0
    assert report.summary.reliability.verdict == "not_reliable"
    assert report.summary.reliability.reasons[0].id == "slow_motion"
    assert report.summary.cadence_spm == pytest.approx(171.0, rel=0.02)


@pytest.fixture(scope="module")
def synthetic_track():
    run = synthesize_run(fps=60, duration_s=12, seed=4, extension_jitter_deg=2.0)
    return to_pose_track(run, noise_px=1.0, seed=2)


@pytest.fixture(scope="module")
def clean_report(synthetic_track):
    return analyze_track(synthetic_track, capture_fps=60.0)


def test_clean_synthetic_run_is_reliable(clean_report):
    report = clean_report
    assert report.summary.reliability == Reliability(verdict="reliable", reasons=())


@pytest.mark.parametrize("factor", [2, 4])
def test_slowed_down_playback_is_not_reliable(synthetic_track, factor):
    slowed = synthetic_track.with_arrays(time_s=synthetic_track.time_s * factor)
    report = analyze_track(slowed, capture_fps=60.0 / factor)
    verdict = report.summary.reliability
    assert verdict.verdict == "not_reliable"
    first = verdict.reasons[0]
    assert first.id == "slow_motion" and "capture rate" in first.message
    assert len(report.strides) >= 20


def test_slow_motion_stored_at_a_cinema_rate_is_analysed_at_the_phone_rate():
    """Running filmed at 120 frames/s and played at 23.976 (5× slowed): analysed at
    120 frames/s, so the cadence is the runner's; before, 4× made it 20 % slow."""
    run = synthesize_run(fps=120, duration_s=8, seed=4, extension_jitter_deg=2.0)
    track = to_pose_track(run, noise_px=1.0, seed=2)
    slowed = track.with_arrays(time_s=track.time_s * 120 / 23.976)
    report = analyze_track(slowed, capture_fps=23.976)
    assert report.summary.slow_motion.assumed_factor == 5.005
    assert report.summary.capture_fps == pytest.approx(120.0, abs=0.1)
    assert report.summary.cadence_spm == pytest.approx(run.cadence_spm, rel=0.01)
    assert report.summary.reliability.reasons[0].id == "slow_motion"


def test_a_stated_capture_rate_that_still_looks_slow_asks_to_check_it(synthetic_track):
    slowed = synthetic_track.with_arrays(time_s=synthetic_track.time_s * 2)
    report = analyze_track(slowed, capture_fps=60.0, options=AnalysisOptions(capture_fps=60.0))
    reasons = {r.id: r for r in report.summary.reliability.reasons}
    assert reasons["slow_motion"].severity == "use_with_care"
    assert "check the capture rate" in reasons["slow_motion"].message
    assert report.summary.slow_motion is None  # no guessed rate
