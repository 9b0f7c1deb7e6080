"""Bad, hostile or awkward input through `gait analyze`, as a careless or hostile user
would give it. The contract (gait/cli.py): exit 2 with exactly one `error:` line and
nothing left behind (no --out folder, no hidden staging folder beside it), or exit 0
with the quality flag that says what limits the numbers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import av
import numpy as np
import pytest

from gait.limits import ClipLimits, ClipLimitsError
from gait.video import VideoError, iter_frames, probe_video
from synthetic.render_runner import make_clip
from tests.test_cli import GAIT, ROOT, run_gait
from tests.test_video import write_clip


def assert_refused(proc: subprocess.CompletedProcess, out: Path, phrase: str) -> None:
    """Exit 2, exactly one `error:` line (the last) holding `phrase`, nothing written."""
    assert proc.returncode == 2, proc.stderr
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and proc.stderr.strip().splitlines()[-1] == errors[0], proc.stderr
    assert phrase in errors[0], errors[0]
    assert "Traceback" not in proc.stderr and "usage:" not in proc.stderr
    assert_nothing_left(out)


def assert_nothing_left(out: Path) -> None:
    assert not out.exists()
    assert not [p for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.")]


def quality_ids(out: Path) -> list[str]:
    summary = json.loads((out / "summary.json").read_text())
    return [flag["id"] for flag in summary["quality"]]


@pytest.fixture(scope="module")
def runner_clip(tmp_path_factory) -> Path:
    clip, _ = make_clip(tmp_path_factory.mktemp("bad"), fps=30, seconds=6.0, seed=11)
    return clip


# -- options: one validation, one error line, before any work -----------------------------
@pytest.mark.parametrize(("args", "phrase"), [
    (("--speed", "nan"), "--speed"), (("--speed", "inf"), "--speed"),
    (("--speed", "-3"), "--speed"), (("--speed", "0"), "--speed"),
    (("--speed", "fast"), "--speed"), (("--speed", "0.001"), "from 1 to 12"),
    (("--speed", "40"), "--speed"), (("--height", "0"), "--height"),
    (("--height", "178"), "--height"), (("--capture-fps", "0"), "--capture-fps"),
    (("--capture-fps", "nan"), "--capture-fps"), (("--bogus",), "unrecognized"),
])
def test_bad_option_values_give_one_error_line(runner_clip, tmp_path, args, phrase):
    out = tmp_path / "out"
    proc = run_gait("analyze", runner_clip, "--out", out, *args)
    assert_refused(proc, out, phrase)
    assert "pose" not in proc.stderr  # no progress bar: refused before any work


def test_missing_arguments_give_one_error_line(tmp_path):
    proc = run_gait("analyze")
    assert proc.returncode == 2 and proc.stderr.startswith("error:")
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr


@pytest.mark.parametrize("where", ["a_file", "under_a_file"])
def test_bad_out_is_refused_before_any_work(runner_clip, tmp_path, where):
    blocker = tmp_path / "taken.txt"
    blocker.write_text("not a folder")
    out = blocker if where == "a_file" else blocker / "results"
    proc = run_gait("analyze", runner_clip, "--out", out)
    assert proc.returncode == 2 and "--out" in proc.stderr.splitlines()[-1]
    assert "pose" not in proc.stderr  # no progress bar: nothing was analysed
    assert blocker.read_text() == "not a folder"


# -- containers and limits: refused from the metadata, before decoding -------------------
@pytest.mark.parametrize("text", [
    "ffconcat version 1.0\nfile '{clip}'\n",
    "#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\n{clip}\n#EXT-X-ENDLIST\n",
])
def test_playlists_named_mp4_do_not_open_other_files(runner_clip, tmp_path, text):
    playlist = tmp_path / "list.mp4"
    playlist.write_text(text.format(clip=runner_clip))
    out = tmp_path / "out"
    assert_refused(run_gait("analyze", playlist, "--out", out), out, "not a video")


def test_tiny_file_holding_a_long_clip_is_refused(tmp_path):
    clip = write_clip(tmp_path / "long.mp4", n_frames=181 * 15, fps=15, width_px=64,
                      height_px=48)
    assert clip.stat().st_size < 2_000_000
    out = tmp_path / "out"
    assert_refused(run_gait("analyze", clip, "--out", out), out, "limit here is 3.0 min")


def test_huge_resolution_is_refused_before_decoding(tmp_path):
    clip = write_clip(tmp_path / "12mpx.mp4", n_frames=3, fps=25, width_px=4000,
                      height_px=3000)
    out = tmp_path / "out"
    assert_refused(run_gait("analyze", clip, "--out", out), out, "4000×3000")


def test_limits_come_from_the_environment(tmp_path, monkeypatch):
    clip = write_clip(tmp_path / "clip.mp4", n_frames=150, fps=25)  # 6 s
    assert probe_video(clip).duration_s == pytest.approx(6.0, abs=0.1)
    monkeypatch.setenv("HIPDRIVE_MAX_CLIP_S", "5")
    with pytest.raises(VideoError, match="limit here is 5 s"):
        probe_video(clip)
    monkeypatch.setenv("HIPDRIVE_MAX_CLIP_S", "60")
    monkeypatch.setenv("HIPDRIVE_MAX_FRAMES", "100")
    with pytest.raises(VideoError, match="150 frames"):
        probe_video(clip)
    monkeypatch.setenv("HIPDRIVE_MAX_FRAMES", "lots")
    with pytest.raises(ClipLimitsError, match="HIPDRIVE_MAX_FRAMES"):
        probe_video(clip)


def test_limits_hold_while_decoding_when_the_metadata_lies(tmp_path):
    """The decode loop checks the limits again: a clip that passed the metadata checks
    (here: probed with generous limits) still stops at the real limit."""
    clip = write_clip(tmp_path / "clip.mp4", n_frames=150, fps=25, width_px=96, height_px=64)
    info = probe_video(clip, limits=ClipLimits(max_frames=10_000))
    decoded = []
    with pytest.raises(VideoError, match="limit here is 40"):
        for frame in iter_frames(clip, info=info, limits=ClipLimits(max_frames=40)):
            decoded.append(frame.index)
    assert len(decoded) == 40
    with pytest.raises(VideoError, match="million"):
        next(iter(iter_frames(clip, info=info, limits=ClipLimits(max_pixels=96 * 64 - 1))))
    with pytest.raises(VideoError, match="limit here is 3 s"):
        for _ in iter_frames(clip, info=info, limits=ClipLimits(max_duration_s=3.0)):
            pass


# -- odd but valid clips: analysed, with the flag that says what limits the numbers -------
def test_corrupt_middle_is_analysed_and_flagged(runner_clip, tmp_path):
    data = bytearray(runner_clip.read_bytes())
    with av.open(str(runner_clip)) as container:
        packets = [(p.pos, p.size) for p in container.demux(video=0) if p.size]
    rng = np.random.default_rng(5)
    middle = packets[len(packets) // 3: 2 * len(packets) // 3]
    for i in rng.choice(len(middle), len(packets) // 10, replace=False):
        pos, size = middle[i]
        data[pos + size // 4: pos + size] = rng.integers(0, 256, size - size // 4,
                                                         dtype=np.uint8).tobytes()
    damaged = tmp_path / "damaged.mp4"
    damaged.write_bytes(bytes(data))
    out = tmp_path / "out"
    proc = run_gait("analyze", damaged, "--out", out, "--no-video")
    assert proc.returncode == 0, proc.stderr
    assert "damaged_video" in quality_ids(out)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["video"]["damaged_packets"] > 0
    assert summary["reliability"]["verdict"] != "reliable"


def test_clean_clip_has_none_of_these_flags(runner_clip, tmp_path):
    out = tmp_path / "out"
    proc = run_gait("analyze", runner_clip, "--out", out, "--no-video")
    assert proc.returncode == 0, proc.stderr
    ids = quality_ids(out)
    assert not {"damaged_video", "several_people", "runner_few_pixels"} & set(ids), ids


def test_two_runners_in_view_are_flagged(tmp_path):
    left, _ = make_clip(tmp_path, fps=30, seconds=5.0, seed=1, name="left")
    right, _ = make_clip(tmp_path, fps=30, seconds=5.0, seed=2, direction=-1, name="right")
    both = tmp_path / "two_runners.mp4"
    with av.open(str(both), "w") as container:
        stream = container.add_stream("libx264", rate=30)
        stream.width, stream.height, stream.pix_fmt = 1280, 480, "yuv420p"
        for a, b in zip(iter_frames(left), iter_frames(right), strict=False):
            frame = av.VideoFrame.from_ndarray(np.hstack([a.rgb, b.rgb]), format="rgb24")
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    out = tmp_path / "out"
    proc = run_gait("analyze", both, "--out", out, "--no-video")
    assert proc.returncode == 0, proc.stderr
    assert "several_people" in quality_ids(out)
    assert proc.stdout.strip().splitlines()[-1].startswith("reliability: use_with_care")


def test_tiny_runner_in_a_tiny_clip_is_flagged(tmp_path):
    clip, _ = make_clip(tmp_path, fps=30, seconds=6.0, seed=4, frame_size=(64, 48),
                        body_height_px=32, name="tiny")
    out = tmp_path / "out"
    proc = run_gait("analyze", clip, "--out", out, "--no-video")
    assert proc.returncode == 0, proc.stderr
    assert "runner_few_pixels" in quality_ids(out)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["reliability"]["verdict"] != "reliable"
    assert "runner_few_pixels" in {r["id"] for r in summary["reliability"]["reasons"]}


# -- SIGTERM: stops like Ctrl-C, nothing left behind ------------------------------------
def test_sigterm_while_writing_leaves_nothing_behind(runner_clip, tmp_path):
    out = tmp_path / "out"
    proc = subprocess.Popen([*GAIT, "analyze", str(runner_clip), "--out", str(out)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    deadline = time.monotonic() + 300
    staging: list[Path] = []
    while not staging and proc.poll() is None and time.monotonic() < deadline:
        staging = [p for p in tmp_path.iterdir() if p.name.startswith(".out.")]
        time.sleep(0.02)
    assert staging, "the run ended before it started writing"
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 2, stderr
    errors = [ln for ln in stderr.splitlines() if ln.startswith("error:")]
    assert errors == ["error: stopped (SIGTERM); nothing was written."], stderr
    assert_nothing_left(out)
