"""The built-in sample run: a synthetic runner, rendered on first use.

We never commit videos, so the clip is drawn by `synthetic.render_runner.make_clip`
from the reference curves (Fukuchi 2017) into `<data dir>/sample/` the first time
someone presses "Try the sample run", then reused. The runner is given a little less
thigh extension than the reference, no more: the kit bends the thigh but keeps its
contact timing, so with more than ~4° less its foot glides along the belt after its
drawn toe-off and the clip stops looking like running (measured 2026-12-03, 60 fps,
seeds 3/7/11: at 7–9° less contact times vary 22–28 % and the verdict is "use with
care"; at 12° less contacts read 0.34 s, 48 % of the stride; from 16° less "walking").
At 3° less contacts read 0.19–0.20 s (the kit's 0.24 s, less its known early toe-off)
and the verdict is "reliable".
"""

from __future__ import annotations

import os
import tempfile
import threading
from pathlib import Path

from gait.result import AnalysisOptions
from ui.paths import sub_dir

SAMPLE_VERSION = "v2"  # bump when the settings change
SAMPLE_SPEED_MPS = 3.5
SAMPLE_EXTENSION_OFFSET_DEG = -3.0
SAMPLE_SETTINGS = {
    "fps": 60.0, "direction": -1, "treadmill": True, "seconds": 10.0, "seed": 7,
    "speed_mps": SAMPLE_SPEED_MPS, "thigh_extension_offset_deg": SAMPLE_EXTENSION_OFFSET_DEG,
    "extension_jitter_deg": 1.5, "stride_jitter": 0.015,
}
# full: fast, and installed with mediapipe itself (the analyse page swaps in its own choice)
SAMPLE_OPTIONS = AnalysisOptions(speed_mps=SAMPLE_SPEED_MPS, treadmill=True, pose_model="full")
SAMPLE_NAME = "Sample runner (synthetic)"
SAMPLE_NOTE = (
    "This is a **synthetic runner**, drawn by HipDrive's test kit from the reference curves "
    f"of experienced runners (Fukuchi 2017), on a treadmill at {SAMPLE_SPEED_MPS} m/s, filmed "
    f"at 60 fps for 10 s, drawn with {abs(SAMPLE_EXTENSION_OFFSET_DEG):.0f}° less thigh "
    "extension than the reference: a difference HipDrive rightly calls measurement noise. "
    "It is not a real person; the pose model sees it like a real clip.")

_lock = threading.Lock()


def sample_clip_path() -> Path:
    """Path of the sample clip, rendering it once (about 5 s) if it is missing."""
    path = sub_dir("sample") / f"sample_run_{SAMPLE_VERSION}.mp4"
    if path.exists():
        return path
    with _lock:
        if not path.exists():
            from synthetic.render_runner import make_clip

            with tempfile.TemporaryDirectory(dir=path.parent) as tmp:
                clip, _ = make_clip(tmp, name="sample", **SAMPLE_SETTINGS)
                os.replace(clip, path)
    return path
