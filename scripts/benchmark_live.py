"""Benchmark the live mode: latency (camera frame → drawn skeleton) and frame rate.

    .venv/bin/python scripts/benchmark_live.py [--seconds 20] [--fps 30] [--browser]

Without --browser: a rendered runner clip is fed to gait.live_camera.LiveCamera the
way streamlit-webrtc does — a camera thread delivering frames in real time at --fps,
dropping a frame when the previous one is still being processed — while the main
thread refreshes the live figures once a second, as the page does. Then once as fast
as possible (the most frames/s this machine can process).

With --browser: the real app and Chromium with a fake camera playing the clip at
15 and 30 frames/s (browser, WebRTC coding and server all on this machine); reads the
page's own frame-rate and latency read-out after 25 s.
"""

from __future__ import annotations

import argparse
import re
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _frames(seconds: float, fps: int):
    from gait.video import iter_frames
    from synthetic.render_runner import make_clip

    clip, _run = make_clip(tempfile.mkdtemp(), fps=fps, seconds=seconds, seed=3)
    return clip, [f.rgb for f in iter_frames(clip)]


def paced(frames: list[np.ndarray], fps: int) -> dict:
    """Real-time delivery with frame dropping, figures refreshed every second."""
    from gait.live_camera import LiveCamera

    camera = LiveCamera()
    busy, dropped, latencies, figure_s = threading.Lock(), [0], [], []
    done = threading.Event()

    def deliver() -> None:
        start = time.perf_counter()
        workers = []
        for i, rgb in enumerate(frames):
            time.sleep(max(0.0, start + i / fps - time.perf_counter()))
            if not busy.acquire(blocking=False):
                dropped[0] += 1  # still busy with the previous frame: drop, like webrtc
                continue

            def work(rgb=rgb, t=i / fps) -> None:
                try:
                    started = time.perf_counter()
                    camera.process(rgb, t)
                    latencies.append(time.perf_counter() - started)
                finally:
                    busy.release()
            worker = threading.Thread(target=work)
            worker.start()
            workers.append(worker)
        for worker in workers:
            worker.join()
        done.set()

    thread = threading.Thread(target=deliver)
    started = time.perf_counter()
    thread.start()
    while not done.wait(1.0):
        t0 = time.perf_counter()
        camera.figures()
        figure_s.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - started
    figures = camera.figures()
    camera.close()
    return {"processed_fps": len(latencies) / elapsed, "dropped": dropped[0],
            "latency_ms_median": 1000 * np.median(latencies),
            "latency_ms_p95": 1000 * np.percentile(latencies, 95),
            "figures_ms_median": 1000 * np.median(figure_s) if figure_s else None,
            "strides": figures.n_strides, "cadence_spm": figures.cadence_spm}


def free_running(frames: list[np.ndarray], fps: int) -> float:
    from gait.live_camera import LiveCamera

    camera = LiveCamera()
    camera.process(frames[0], 0.0)  # model load outside the timing
    started = time.perf_counter()
    for i, rgb in enumerate(frames[1:], start=1):
        camera.process(rgb, i / fps)
    rate = (len(frames) - 1) / (time.perf_counter() - started)
    camera.close()
    return rate


def browser(clip: Path, camera_fps: int, seconds: float = 25.0) -> str:
    from playwright.sync_api import sync_playwright

    from synthetic.fake_camera import write_y4m
    from tests.streamlit_server import BROWSER_ARGS, CHROMIUM, streamlit_server

    tmp = Path(tempfile.mkdtemp())
    y4m = write_y4m(clip, tmp / "camera.y4m", fps=camera_fps)
    args = BROWSER_ARGS + ["--use-fake-ui-for-media-stream",
                           "--use-fake-device-for-media-stream",
                           f"--use-file-for-fake-video-capture={y4m}"]
    with streamlit_server(tmp) as url, sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=args)
        page = b.new_page(viewport={"width": 1400, "height": 1200})
        page.goto(f"{url}/live")
        page.frame_locator("iframe[title*='webrtc']").first.get_by_role(
            "button", name="Start the camera").click(timeout=60_000)
        time.sleep(seconds)
        text = page.get_by_text("camera frame → skeleton").first.inner_text()
        b.close()
    return re.sub(r"\s*Figures from.*", "", text)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--fps", type=int, default=30)
    parser.add_argument("--browser", action="store_true")
    args = parser.parse_args()
    clip, frames = _frames(args.seconds, args.fps)
    print(f"{len(frames)} frames of {frames[0].shape[1]}×{frames[0].shape[0]}")
    result = paced(frames, args.fps)
    print(f"camera at {args.fps} frames/s: processed {result['processed_fps']:.1f} frames/s "
          f"({result['dropped']} dropped), latency median {result['latency_ms_median']:.0f} ms"
          f", 95th pct {result['latency_ms_p95']:.0f} ms; figures refresh "
          f"{result['figures_ms_median']:.0f} ms; {result['strides']} strides, cadence "
          f"{result['cadence_spm']:.0f}")
    print(f"free-running: {free_running(frames, args.fps):.1f} frames/s")
    if args.browser:
        for camera_fps in (15, 30):
            print(f"browser, fake camera {camera_fps} frames/s: {browser(clip, camera_fps)}")


if __name__ == "__main__":
    main()
