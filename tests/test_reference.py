"""Reference curves: values match the published key points; speed matching."""

import pytest

from gait.reference import (
    compare,
    difference_band,
    interpret_difference_deg,
    load_curves,
    reference_at,
    speed_from_cadence,
)

# Key points from the reference notes (derived from Fukuchi 2017).
TABLE = {
    2.5: {"peak_thigh_extension_deg": 20.2, "peak_thigh_flexion_deg": 27.7,
          "thigh_at_strike_deg": 17.1},
    3.5: {"peak_thigh_extension_deg": 26.4, "peak_thigh_flexion_deg": 34.4,
          "thigh_at_strike_deg": 21.0},
    4.5: {"peak_thigh_extension_deg": 30.6, "peak_thigh_flexion_deg": 40.9,
          "thigh_at_strike_deg": 24.9},
}


def test_curves_ship_as_package_data():
    curves = load_curves()
    assert sorted(curves["speed_mps"].unique()) == [2.5, 3.5, 4.5]
    assert len(curves) == 300


@pytest.mark.parametrize("speed", [2.5, 3.5, 4.5])
def test_values_match_published_key_points(speed):
    ref = reference_at(speed)
    for metric, value in TABLE[speed].items():
        assert ref.values[metric] == pytest.approx(value, abs=0.1)
    assert not ref.clamped


def test_interpolates_between_speeds():
    mid = reference_at(3.0).values["peak_thigh_extension_deg"]
    assert mid == pytest.approx((20.2 + 26.4) / 2, abs=0.3)


def test_never_extrapolates():
    fast = reference_at(6.0)
    assert fast.clamped and fast.used_speed_mps == 4.5
    assert fast.values == reference_at(4.5).values
    assert "outside the reference range" in fast.note


def test_interpretation_bands_follow_pose_error():
    assert interpret_difference_deg(3).startswith("within measurement noise")
    assert interpret_difference_deg(-7).startswith("possible")
    assert interpret_difference_deg(12).startswith("likely")


def test_extension_read_short_is_judged_with_the_pose_models_measured_bias():
    metric = "peak_thigh_extension_deg"
    assert difference_band(metric, -10) == "noise"  # could be the pose model
    assert difference_band(metric, +10) == "possible"  # more extension: no bias to allow for
    assert difference_band(metric, -16) == "possible"
    assert difference_band(metric, -20) == "likely"
    assert difference_band("peak_thigh_flexion_deg", -10) == "possible"
    # the thigh at toe-off is signed (− = behind): less extension is a positive difference
    assert difference_band("thigh_at_toe_off_deg", +10) == "noise"
    assert difference_band("thigh_at_toe_off_deg", -10) == "possible"
    assert "pose model" in interpret_difference_deg(-10, metric=metric)
    assert "pose model" not in interpret_difference_deg(-10, metric="peak_thigh_flexion_deg")


def test_compare_reports_difference():
    rows = compare({"peak_thigh_extension_deg": 17.4}, reference_at(3.5))
    (row,) = rows
    assert row.difference == pytest.approx(-9.0, abs=0.1)
    # 9° less extension than the marker-based reference is within noise + the pose
    # model's measured under-reading of extension; 9° less flexion is not.
    assert row.interpretation.startswith("within measurement noise")
    assert row.band == "noise" and row.noise_band_deg > 5
    (flex,) = compare({"peak_thigh_flexion_deg": 25.4}, reference_at(3.5))
    assert flex.difference == pytest.approx(-9.0, abs=0.1)
    assert flex.interpretation.startswith("possible") and flex.band == "possible"


def test_speed_from_cadence_inverts_table():
    assert speed_from_cadence(171)[0] == pytest.approx(3.5)
    assert speed_from_cadence(200)[1] is True


def test_a_saved_analysis_keeps_the_reference_it_was_compared_with():
    """The summary keeps the curves used; older summaries (without them) are matched
    again at their speed."""
    from dataclasses import replace

    import numpy as np

    from gait.reference import reference_as_used, reference_at
    from gait.result import AnalysisSummary, to_jsonable
    from gait.summary_versions import upgrade_summary
    from tests.store_writers import small_report

    report = small_report()
    summary = report.summary
    kept = summary.reference
    today = reference_at(kept.speed_mps_used)
    used = reference_as_used(summary)
    np.testing.assert_allclose(used.thigh_curve_deg, today.thigh_curve_deg, atol=1e-3)
    assert used.values["peak_thigh_extension_deg"] == pytest.approx(
        today.values["peak_thigh_extension_deg"])

    changed = replace(summary, reference=replace(  # as if the shipped curves had changed since
        kept, thigh_curve_deg=tuple(v + 2.0 for v in kept.thigh_curve_deg)))
    np.testing.assert_allclose(reference_as_used(changed).thigh_curve_deg,
                               today.thigh_curve_deg + 2.0, atol=1e-3)

    older = to_jsonable(summary.as_json())  # saved before the curves were kept
    older.pop("schema_version")
    for key in ("thigh_curve_deg", "knee_curve_deg", "requested_speed_mps"):
        older["reference"].pop(key)
    opened = AnalysisSummary.from_json(upgrade_summary(
        older, strides=report.strides, events=report.events, frames=report.frames))
    np.testing.assert_allclose(reference_as_used(opened).knee_curve_deg, today.knee_curve_deg,
                               atol=1e-3)  # kept to 0.001°
    assert reference_as_used(replace(summary, reference=None)) is None
