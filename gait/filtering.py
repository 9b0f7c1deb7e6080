"""Zero-phase 2nd-order Butterworth low-pass in plain numpy, and the parabolic peak of
evenly spaced samples (`parabolic_extreme`).

Equivalent to scipy.signal.butter(2, fc/(fs/2)) + filtfilt (odd padding of 9
samples, steady-state initial conditions) — checked against SciPy in the tests —
without importing scipy.signal, which costs 1.5–2 s of start-up per analysis here.
"""

from __future__ import annotations

import math

import numpy as np

PAD_SAMPLES = 9  # scipy's default: 3 * max(len(a), len(b))


def butterworth2_lowpass(cutoff_hz: float, sample_rate_hz: float) -> tuple[np.ndarray, np.ndarray]:
    """(b, a) of a 2nd-order Butterworth low-pass by the bilinear transform."""
    k = math.tan(math.pi * cutoff_hz / sample_rate_hz)
    norm = 1.0 / (1.0 + math.sqrt(2.0) * k + k * k)
    b0 = k * k * norm
    b = np.array([b0, 2.0 * b0, b0])
    a = np.array([1.0, 2.0 * (k * k - 1.0) * norm, (1.0 - math.sqrt(2.0) * k + k * k) * norm])
    return b, a


def _steady_state(b: np.ndarray, a: np.ndarray) -> np.ndarray:
    """Initial state of a unit step's steady state (scipy.signal.lfilter_zi)."""
    companion_t = np.array([[-a[1], 1.0], [-a[2], 0.0]])
    return np.linalg.solve(np.eye(2) - companion_t, b[1:] - a[1:] * b[0])


def _lfilter(b: np.ndarray, a: np.ndarray, x: np.ndarray, state: np.ndarray) -> np.ndarray:
    """Direct form II transposed IIR filter of a 1-D signal from the given state."""
    b0, b1, b2 = (float(v) for v in b)
    a1, a2 = float(a[1]), float(a[2])
    z0, z1 = float(state[0]), float(state[1])
    y = np.empty_like(x)
    for i, xi in enumerate(x.tolist()):
        yi = b0 * xi + z0
        z0 = b1 * xi - a1 * yi + z1
        z1 = b2 * xi - a2 * yi
        y[i] = yi
    return y


def filtfilt(b: np.ndarray, a: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Forward-backward filtering (zero phase) of a finite 1-D signal longer than
    PAD_SAMPLES, with odd extension at both ends."""
    n = PAD_SAMPLES
    ext = np.concatenate([2 * x[0] - x[n:0:-1], x, 2 * x[-1] - x[-2:-n - 2:-1]])
    zi = _steady_state(b, a)
    forward = _lfilter(b, a, ext, zi * ext[0])
    backward = _lfilter(b, a, forward[::-1], zi * forward[-1])[::-1]
    return backward[n:-n]


def parabolic_extreme(values: np.ndarray, *, maximum: bool) -> float:
    """Extreme value of evenly spaced samples, refined by a parabola through the
    extreme sample and its neighbours (NaN samples are ignored)."""
    ok = np.isfinite(values)
    if ok.sum() < 3:
        return float("nan")
    v = np.where(ok, values, -np.inf if maximum else np.inf)
    i = int(np.argmax(v) if maximum else np.argmin(v))
    if 0 < i < len(v) - 1 and np.isfinite(v[i - 1]) and np.isfinite(v[i + 1]):
        denom = v[i - 1] - 2 * v[i] + v[i + 1]
        if denom != 0:
            return float(v[i] - (v[i - 1] - v[i + 1]) ** 2 / (8 * denom))
    return float(v[i])
