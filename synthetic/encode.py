"""H.264 (or other) clips encoded from pictures: the video tests' small clips and the
real-clip variants (synthetic.real_variants)."""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

MS = Fraction(1, 1000)


def encode_clip(path: Path, pictures: Iterable[np.ndarray], *, fps: int | Fraction,
                times_s: np.ndarray | None = None, codec: str = "libx264",
                stream_options: dict[str, str] | None = None,
                container_options: dict[str, str] | None = None,
                metadata: dict[str, str] | None = None) -> Path:
    """Encode RGB `pictures` (all one size, even for yuv420p) into `path` at `fps`. With
    `times_s`, picture i is stamped at times_s[i] (millisecond time base); without, the
    encoder numbers the frames at the rate."""
    with av.open(str(path), "w", options=container_options or {}) as container:
        container.metadata.update(metadata or {})
        stream = container.add_stream(codec, rate=fps)
        stream.pix_fmt = "yuv420p"
        if stream_options:
            stream.options = stream_options
        if times_s is not None:
            stream.codec_context.time_base = MS
        for i, rgb in enumerate(pictures):
            if i == 0:
                stream.width, stream.height = rgb.shape[1], rgb.shape[0]
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
            if times_s is not None:
                frame.pts, frame.time_base = round(times_s[i] * 1000), MS
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path
