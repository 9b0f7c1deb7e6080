"""Incremental analysis for the live camera: the same engine on a sliding window.

Poses arrive one frame at a time (`add_pose`). `update()` runs the full engine
(`gait.pipeline.analyze_track`: cleaning, events, strides, metrics, reference) on
the last `window_s` seconds. A stride is *final* once the window spans at least
MIN_WINDOW_S and the stride lies at least `settle_s` inside both ends of it: the
zero-phase filter and the event detector then see the same neighbourhood as in a full
analysis of the clip, so a final stride's figures match the full analysis
(tests/test_live.py measures by how much). Final
strides are kept, keyed by side and start time, so a figure never changes once
shown. Thread-safe: the camera thread adds poses while the page reads figures.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from gait.keypoints import KEYPOINTS
from gait.level import edges_in_frame, fit_true_vertical
from gait.metrics import cadence_spm
from gait.people import N_SAMPLES, keypoint_box
from gait.pipeline import analyze_track
from gait.posetrack import PoseTrack
from gait.result import AnalysisError, AnalysisOptions, GaitReport
from gait.summary import ClipFacts, ReferenceUsed, TrueVertical

LIVE_POSE_MODEL = "full"  # live frames must keep up with the camera: BlazePose full is ~2.4×
# faster than the uploads' default (heavy, gait.pose_models)
DEFAULT_WINDOW_S = 15.0
DEFAULT_SETTLE_S = 0.75
MIN_WINDOW_S = 6.0  # events need a few strides of context (ground level, swing height)
SAME_STRIDE_S = 0.12  # two detections of one stride start within this are the same stride
LEVEL_SAMPLE_EVERY_S = 1.0  # one camera frame a second is searched for straight background
# edges (gait.level), the first N_SAMPLES with a runner, as for an uploaded clip: the
# picture is levelled (or not) before the first stride is final (MIN_WINDOW_S)


@dataclass(frozen=True)
class LiveFigures:
    """What the live page shows. Angles in degrees, cadence in steps/min."""

    seen_s: float = 0.0
    n_strides: int = 0  # final strides, both legs, since the camera started
    cadence_spm: float | None = None  # over the final strides in the current window
    near_side: str | None = None
    last_stride: dict | None = None  # the latest final near-leg stride's row
    reference: ReferenceUsed | None = None  # the latest window's reference
    speed_mps: float | None = None
    message: str = "Waiting for a runner…"
    levelled_by_deg: float | None = None  # the picture's own vertical was this far off
    strides: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)  # final strides
    trace: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False)  # near thigh


class LiveAnalyzer:
    """Sliding-window engine over a stream of poses (times in seconds)."""

    def __init__(self, *, width_px: int, height_px: int, window_s: float = DEFAULT_WINDOW_S,
                 settle_s: float = DEFAULT_SETTLE_S,
                 options: AnalysisOptions | None = None) -> None:
        self.width_px, self.height_px = int(width_px), int(height_px)
        self.window_s, self.settle_s = window_s, settle_s
        self.options = options or AnalysisOptions(pose_model=LIVE_POSE_MODEL)
        self._lock = threading.Lock()
        self._frames: deque[tuple[float, np.ndarray, np.ndarray, np.ndarray]] = deque()
        self._final: dict[tuple[str, float], dict] = {}
        self._first_time_s: float | None = None
        self._edges: list[np.ndarray] = []  # straight background edges found so far
        self._edges_searched_s: float | None = None
        self.true_vertical: TrueVertical | None = None
        self.figures = LiveFigures()

    def add_pose(self, time_s: float, x_px: np.ndarray, y_px: np.ndarray,
                 confidence: np.ndarray) -> None:
        """One frame's keypoints (NaN where no person was found)."""
        with self._lock:
            if self._frames and time_s <= self._frames[-1][0]:
                return  # out of order or repeated: the engine needs increasing times
            self._first_time_s = time_s if self._first_time_s is None else self._first_time_s
            self._frames.append((float(time_s), np.asarray(x_px, float),
                                 np.asarray(y_px, float), np.asarray(confidence, float)))
            while self._frames and time_s - self._frames[0][0] > self.window_s:
                self._frames.popleft()

    def add_frame_edges(self, time_s: float, rgb: np.ndarray, x_px: np.ndarray,
                        y_px: np.ndarray) -> None:
        """Search one frame (RGB, with its keypoints) for straight background edges, at
        most one per LEVEL_SAMPLE_EVERY_S and the first N_SAMPLES frames with a runner,
        and fit the true vertical to all edges found so far (None until enough agree)."""
        if len(self._edges) >= N_SAMPLES or (
                self._edges_searched_s is not None
                and time_s - self._edges_searched_s < LEVEL_SAMPLE_EVERY_S):
            return
        box = keypoint_box(x_px, y_px)
        if box is None:
            return
        self._edges_searched_s = time_s
        self._edges.append(edges_in_frame(rgb, box))
        vertical = fit_true_vertical(np.concatenate(self._edges), width_px=self.width_px,
                                     height_px=self.height_px)
        with self._lock:
            self.true_vertical = vertical

    def window(self) -> PoseTrack:
        """The current window as a raw pose track."""
        with self._lock:
            frames = list(self._frames)
        shape = (len(frames), len(KEYPOINTS))
        return PoseTrack(
            time_s=np.array([f[0] for f in frames], dtype=float),
            x_px=np.array([f[1] for f in frames], dtype=float).reshape(shape),
            y_px=np.array([f[2] for f in frames], dtype=float).reshape(shape),
            confidence=np.array([f[3] for f in frames], dtype=float).reshape(shape),
            frame_width_px=self.width_px, frame_height_px=self.height_px)

    def update(self) -> LiveFigures:
        """Analyse the current window, keep its newly final strides, return the figures."""
        track = self.window()
        seen_s = 0.0 if track.n_frames < 2 else float(track.time_s[-1] - self._first_time_s)
        if track.n_frames < 10:
            self.figures = LiveFigures(seen_s=seen_s)
            return self.figures
        fps = 1.0 / track.median_frame_interval_s
        try:
            # a live camera runs in real time: never treat its window as slow motion (its
            # rate may be below any slow-motion capture rate, e.g. 10 frames/s)
            report = analyze_track(track, options=replace(self.options, real_time=True),
                                   capture_fps=self.options.capture_fps or fps,
                                   video=self._camera_facts())
        except AnalysisError as exc:
            self.figures = self._figures(seen_s=seen_s, report=None, message=str(exc))
            return self.figures
        lo = track.time_s[0] + self.settle_s
        hi = track.time_s[-1] - self.settle_s
        if track.time_s[-1] - track.time_s[0] >= MIN_WINDOW_S:
            for row in report.strides.to_dict("records"):
                if row["start_s"] >= lo and row["end_s"] <= hi and math.isfinite(row["end_s"]):
                    self._keep(row)
        self.figures = self._figures(seen_s=seen_s, report=report, message="")
        return self.figures

    def _camera_facts(self) -> ClipFacts | None:
        """What the engine needs to know of the camera's picture: its true vertical."""
        with self._lock:
            vertical = self.true_vertical
        if vertical is None:
            return None
        return ClipFacts(file=None, width_px=self.width_px, height_px=self.height_px,
                         true_vertical=vertical)

    def _keep(self, row: dict) -> None:
        for side, start in self._final:
            if side == row["side"] and abs(start - row["start_s"]) < SAME_STRIDE_S:
                return  # already final: never changes once shown
        self._final[(row["side"], row["start_s"])] = row

    def final_strides(self) -> pd.DataFrame:
        rows = sorted(self._final.values(), key=lambda r: r["start_s"])
        return pd.DataFrame(rows)

    def _figures(self, *, seen_s: float, report: GaitReport | None,
                 message: str) -> LiveFigures:
        strides = self.final_strides()
        previous = self.figures
        if report is None:
            return LiveFigures(seen_s=seen_s, n_strides=len(strides),
                               cadence_spm=previous.cadence_spm, near_side=previous.near_side,
                               last_stride=previous.last_stride, reference=previous.reference,
                               speed_mps=previous.speed_mps, message=message, strides=strides,
                               trace=previous.trace, levelled_by_deg=previous.levelled_by_deg)
        summary = report.summary
        near = summary.near_side
        near_rows = strides[strides["side"] == near] if not strides.empty else strides
        trace = report.frames[["time_s", f"{near}_thigh_deg"]].rename(
            columns={f"{near}_thigh_deg": "thigh_deg"})
        in_window = strides[strides["start_s"] >= report.frames["time_s"].iloc[0]] \
            if len(strides) else strides
        return LiveFigures(
            seen_s=seen_s, n_strides=len(strides),
            cadence_spm=cadence_spm(in_window) if len(in_window) else None, near_side=near,
            last_stride=near_rows.iloc[-1].to_dict() if len(near_rows) else None,
            reference=summary.reference, speed_mps=summary.speed_mps,
            message=message, levelled_by_deg=summary.geometry.levelled_by_deg,
            strides=strides, trace=trace)
