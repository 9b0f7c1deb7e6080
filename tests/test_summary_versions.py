"""gait.summary_versions: one place brings an older summary up to today's shape."""

from __future__ import annotations

import pytest

from gait.pipeline import analyze_track
from gait.result import SUMMARY_SCHEMA_VERSION, AnalysisOptions, AnalysisSummary, to_jsonable
from gait.summary_versions import upgrade_summary
from synthetic.runner_model import synthesize_run, to_pose_track


@pytest.fixture(scope="module")
def report():
    run = synthesize_run(fps=60, duration_s=8, seed=5, speed_mps=3.5)
    return analyze_track(to_pose_track(run, noise_px=1.0, seed=5), capture_fps=60.0,
                         options=AnalysisOptions(speed_mps=3.5))


def tables(report) -> dict:
    return {"strides": report.strides, "events": report.events, "frames": report.frames}


def test_todays_summary_is_current_and_left_alone(report):
    assert report.summary.schema_version == SUMMARY_SCHEMA_VERSION
    saved = to_jsonable(report.summary.as_json())
    assert upgrade_summary(saved, **tables(report)) is saved


def test_json_in_and_out_is_one_round_trip(report):
    """summary.json's shape is read and written in one place, and nothing is lost."""
    saved = to_jsonable(report.summary.as_json())
    assert to_jsonable(AnalysisSummary.from_json(saved).as_json()) == saved
    assert AnalysisSummary.from_json(saved).reliability == report.summary.reliability


def test_a_version_1_summary_gets_its_verdict_and_reference_curves(report):
    today = to_jsonable(report.summary.as_json())
    old = {k: v for k, v in today.items() if k not in ("schema_version", "reliability")}
    old["reference"] = {k: v for k, v in today["reference"].items()
                        if k not in ("thigh_curve_deg", "knee_curve_deg", "requested_speed_mps")}
    upgraded = upgrade_summary(old, **tables(report))
    assert upgraded is not old and "reliability" not in old  # the input is not changed
    assert "thigh_curve_deg" not in old["reference"]
    assert upgraded["schema_version"] == SUMMARY_SCHEMA_VERSION
    opened = AnalysisSummary.from_json(upgraded)
    assert opened.reliability == report.summary.reliability  # assessed the same way
    reference = opened.reference
    assert reference.curves_matched_on_opening is True
    assert reference.thigh_curve_deg == report.summary.reference.thigh_curve_deg
    assert reference.values == report.summary.reference.values


def test_a_track_analysis_keeps_only_its_clip_name(report):
    """A pose track analysed without its video has no clip facts; a session may still
    name it, and a summary saved that way ({"file": …} only) opens again."""
    assert report.summary.video is None and report.summary.as_json()["video"] == {}
    named = report.summary.with_clip_name("mine.mov")
    assert named.clip_name == "mine.mov" and named.as_json()["video"] == {"file": "mine.mov"}
    saved = to_jsonable(named.as_json())
    assert AnalysisSummary.from_json(saved).clip_name == "mine.mov"
    assert to_jsonable(AnalysisSummary.from_json(saved).as_json()) == saved
