"""A rendered runner as a webcam: Y4M files, the format Chromium's fake camera plays
(`--use-file-for-fake-video-capture=<file.y4m>`, looping)."""

from __future__ import annotations

from pathlib import Path

import cv2

from gait.video import iter_frames


def write_y4m(clip: str | Path, path: str | Path, *, fps: int) -> Path:
    """Write every frame of `clip` into a Y4M file played at `fps` frames/s."""
    path = Path(path)
    frames = iter_frames(clip)
    first = next(frames)
    height, width = first.rgb.shape[:2]
    with open(path, "wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for frame in (first, *frames):
            out.write(b"FRAME\n")
            out.write(cv2.cvtColor(frame.rgb, cv2.COLOR_RGB2YUV_I420).tobytes())
    return path
