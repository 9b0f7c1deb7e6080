"""The live camera stage: each camera frame → pose (MediaPipe) → skeleton drawn on
the frame; the poses feed the incremental engine (gait.live.LiveAnalyzer); the last
`record_s` seconds are kept (JPEG in memory) so they can become a normal clip.

`process` runs in the camera's thread (streamlit-webrtc calls `callback`), `figures`
in the page's: both are safe to call at the same time. Times are the camera's
frame times in seconds; latency is camera frame in → drawn frame out, measured here.
A frame whose time does not advance past the last one is dropped (not analysed, not
kept): a client that never advances its clock cannot grow the recording. The recording
is also capped at MAX_RECORD_FRAMES frames and MAX_RECORD_BYTES bytes, oldest first.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

from gait.keypoints import KEYPOINTS
from gait.live import LIVE_POSE_MODEL, LiveAnalyzer, LiveFigures
from gait.render import TIME_BASE, FrameStyle, draw_skeleton, open_h264
from gait.result import AnalysisOptions

DEFAULT_RECORD_S = 15.0
JPEG_QUALITY = 90
STATS_FRAMES = 120  # latency and rate over the last this many frames
MAX_RECORD_FRAMES = 1800  # 15 s at 120 frames/s
MAX_RECORD_BYTES = 150_000_000  # ~15 s of 720p JPEGs at 30 frames/s


class LiveCamera:
    """Pose, drawing, incremental analysis and a short recording of a camera stream."""

    def __init__(self, *, options: AnalysisOptions | None = None,
                 record_s: float = DEFAULT_RECORD_S, estimator_factory=None) -> None:
        self.options = options or AnalysisOptions(pose_model=LIVE_POSE_MODEL)
        self.record_s = record_s
        self._estimator_factory = estimator_factory
        self._estimator = None
        self._lock = threading.Lock()
        self.analyzer: LiveAnalyzer | None = None
        self._recording: deque[tuple[float, bytes]] = deque()
        self._recording_bytes = 0
        self._last_time_s: float | None = None
        self.frames_dropped = 0  # frames whose time did not advance
        self._latency_s: deque[float] = deque(maxlen=STATS_FRAMES)
        self._arrivals_s: deque[float] = deque(maxlen=STATS_FRAMES)
        self._style: FrameStyle | None = None
        self.frames_in = 0

    # --- camera thread -----------------------------------------------------------------------
    def callback(self, frame: av.VideoFrame) -> av.VideoFrame:
        """streamlit-webrtc's video_frame_callback: the annotated frame."""
        time_s = frame.time if frame.time is not None else time.monotonic()
        drawn = self.process(frame.to_ndarray(format="rgb24"), float(time_s))
        out = av.VideoFrame.from_ndarray(drawn, format="rgb24")
        out.pts, out.time_base = frame.pts, frame.time_base
        return out

    def process(self, rgb: np.ndarray, time_s: float) -> np.ndarray:
        """Find the pose in one frame, feed the analyzer, keep the frame, and return it
        with the skeleton drawn."""
        started = time.perf_counter()
        with self._lock:
            if self._last_time_s is not None and not time_s > self._last_time_s:
                self.frames_dropped += 1
                return rgb
            self._last_time_s = time_s
        height, width = rgb.shape[:2]
        if self._estimator is None:
            self._estimator = self._make_estimator()
        if self.analyzer is None or (self.analyzer.width_px, self.analyzer.height_px) != (
                width, height):
            # first frame, or the camera changed its resolution (WebRTC adapts): the
            # keypoints are in the new frame's pixels (feet outside the old frame size would
            # be dropped) and a clip holds one size, so the window and recording start again
            self._style = FrameStyle(width, height)
            self.analyzer = LiveAnalyzer(width_px=width, height_px=height,
                                         options=self.options)
            with self._lock:
                self._recording.clear()
                self._recording_bytes = 0
        x_px, y_px, confidence = self._estimator.estimate(rgb, time_s)
        self.analyzer.add_pose(time_s, x_px, y_px, confidence)
        self.analyzer.add_frame_edges(time_s, rgb, x_px, y_px)
        ok, jpeg = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR),
                                [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
        drawn = rgb.copy()
        near = self.analyzer.figures.near_side or "left"
        draw_skeleton(drawn, np.asarray(x_px), np.asarray(y_px), keypoints=KEYPOINTS,
                      near_side=near, style=self._style)
        with self._lock:
            if ok:
                self._recording.append((time_s, jpeg.tobytes()))
                self._recording_bytes += len(self._recording[-1][1])
                while self._recording and (
                        time_s - self._recording[0][0] > self.record_s
                        or len(self._recording) > MAX_RECORD_FRAMES
                        or self._recording_bytes > MAX_RECORD_BYTES):
                    self._recording_bytes -= len(self._recording.popleft()[1])
            self.frames_in += 1
            self._arrivals_s.append(time.monotonic())
            self._latency_s.append(time.perf_counter() - started)
        return drawn

    def _make_estimator(self):
        if self._estimator_factory is not None:
            return self._estimator_factory()
        from gait.pose import MediaPipePose

        return MediaPipePose(model=LIVE_POSE_MODEL)

    # --- page thread -------------------------------------------------------------------------
    def figures(self) -> LiveFigures:
        """Run the incremental engine on the current window (None-safe before frames)."""
        return self.analyzer.update() if self.analyzer is not None else LiveFigures()

    def is_streaming(self, *, within_s: float = 5.0) -> bool:
        """True if a camera frame arrived in the last `within_s` seconds."""
        with self._lock:
            last = self._arrivals_s[-1] if self._arrivals_s else None
        return last is not None and time.monotonic() - last <= within_s

    def stats(self) -> dict:
        """Frames processed, their rate (frames/s) and latency (ms: median, 95th pct)."""
        with self._lock:
            arrivals, latency = list(self._arrivals_s), list(self._latency_s)
            recorded_s = (self._recording[-1][0] - self._recording[0][0]
                          if len(self._recording) > 1 else 0.0)
        rate = ((len(arrivals) - 1) / (arrivals[-1] - arrivals[0])
                if len(arrivals) > 1 and arrivals[-1] > arrivals[0] else None)
        return {"frames": self.frames_in, "fps": rate, "recorded_s": recorded_s,
                "frames_dropped": self.frames_dropped, "recorded_bytes": self._recording_bytes,
                "latency_ms_median": 1000 * float(np.median(latency)) if latency else None,
                "latency_ms_p95": 1000 * float(np.percentile(latency, 95)) if latency else None}

    def write_recording(self, path: str | Path) -> Path | None:
        """The last `record_s` seconds as an H.264 MP4 with the camera's real frame
        times (so the full analysis sees the true rate); None if nothing was kept."""
        with self._lock:
            frames = list(self._recording)
        if len(frames) < 2:
            return None
        first = cv2.imdecode(np.frombuffer(frames[0][1], np.uint8), cv2.IMREAD_COLOR)
        height, width = (first.shape[0] // 2) * 2, (first.shape[1] // 2) * 2
        rate = Fraction((len(frames) - 1) / (frames[-1][0] - frames[0][0])
                        ).limit_denominator(1001)
        path = Path(path)
        container, stream = open_h264(path, format_name="mp4", capture_fps=rate,
                                      size_px=(width, height), crf=20,
                                      options={"movflags": "+faststart"})
        with container:
            last_pts = -1
            for time_s, jpeg in frames:
                bgr = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
                out = av.VideoFrame.from_ndarray(
                    cv2.cvtColor(bgr[:height, :width], cv2.COLOR_BGR2YUV_I420),
                    format="yuv420p")
                last_pts = max(round((time_s - frames[0][0]) / TIME_BASE), last_pts + 1)
                out.pts, out.time_base = last_pts, TIME_BASE
                for packet in stream.encode(out):
                    container.mux(packet)
            for packet in stream.encode():
                container.mux(packet)
        return path

    def close(self) -> None:
        if self._estimator is not None:
            self._estimator.close()
            self._estimator = None
