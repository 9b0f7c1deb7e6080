"""Cleaning primitives: bounded gap filling and zero-phase low-pass."""

import numpy as np

from gait.tracks import effective_cutoff_hz, fill_gaps, lowpass


def test_fill_gaps_bounded_by_duration():
    t = np.arange(20) / 60.0
    v = np.arange(20, dtype=float)
    v[3:5] = np.nan  # 2 frames: filled
    v[8:18] = np.nan  # 10 frames (0.18 s): left open
    out = fill_gaps(v, t, max_gap_s=0.1)
    assert np.allclose(out[3:5], [3, 4])
    assert np.isnan(out[8:18]).all()


def test_lowpass_is_zero_phase_and_keeps_stride_frequency():
    fs = 60.0
    t = np.arange(0, 10, 1 / fs)
    signal = 30 * np.sin(2 * np.pi * 1.4 * t)
    noise = np.random.default_rng(0).normal(0, 2, len(t))
    out = lowpass(signal + noise, sample_rate_hz=fs, cutoff_hz=8.0)
    core = slice(60, -60)
    assert np.abs(out[core] - signal[core]).std() < 1.0  # noise removed
    lag = np.argmax(np.correlate(out[core], signal[core], "full")) - (len(t) - 121)
    assert lag == 0  # zero phase
    amplitude = 2 * np.mean(out[core] * np.sin(2 * np.pi * 1.4 * t[core]))
    assert abs(amplitude - 30) < 0.5  # stride-frequency motion not attenuated


def test_lowpass_keeps_nan_runs():
    v = np.sin(np.arange(100) / 5.0)
    v[40:50] = np.nan
    out = lowpass(v, sample_rate_hz=60, cutoff_hz=8)
    assert np.isnan(out[40:50]).all() and np.isfinite(out[:40]).all()


def test_cutoff_clamped_to_frame_rate():
    assert effective_cutoff_hz(8.0, 30.0) == 8.0
    assert effective_cutoff_hz(8.0, 15.0) == 6.0


def test_numpy_filter_matches_scipy():
    from scipy.signal import butter
    from scipy.signal import filtfilt as scipy_filtfilt

    from gait.filtering import butterworth2_lowpass, filtfilt

    for fs, fc in ((30.0, 8.0), (60.0, 8.0), (240.0, 8.0)):
        b, a = butterworth2_lowpass(fc, fs)
        b_ref, a_ref = butter(2, fc / (fs / 2))
        assert np.allclose(b, b_ref) and np.allclose(a, a_ref)
        x = np.random.default_rng(1).normal(size=200).cumsum()
        assert np.allclose(filtfilt(b, a, x), scipy_filtfilt(b_ref, a_ref, x), atol=1e-9)


def test_feet_outside_the_picture_are_blanked_and_flagged():
    from gait.posetrack import PoseTrack
    from gait.tracks import feet_outside_frame, gate_feet_outside_frame

    track = PoseTrack.empty(3, width_px=200, height_px=100)
    x, y = np.full_like(track.x_px, 50.0), np.full_like(track.y_px, 50.0)
    toe, heel, knee = (track.column(f"left_{p}") for p in ("toe", "heel", "knee"))
    y[1, toe] = 100.5  # on the edge (within the margin): a real foot, kept
    y[2, toe] = 130.0  # 30 px below the picture: the pose model's guess
    y[2, knee] = 130.0  # not a foot part: left to the other checks
    track = track.with_arrays(x_px=x, y_px=y)
    outside = feet_outside_frame(track)
    assert outside["left"].tolist() == [False, False, True] and not outside["right"].any()
    gated = gate_feet_outside_frame(track, outside)
    assert gated.flags["foot_outside_frame"].tolist() == [False, False, True]
    # the whole foot goes (its lowest point is outside), the knee and the other foot stay
    assert np.isnan(gated.y_px[2, [toe, heel, track.column("left_ankle")]]).all()
    assert gated.y_px[1, toe] == 100.5 and gated.y_px[2, knee] == 130.0
    assert not np.isnan(gated.y_px[2, track.column("right_toe")])
